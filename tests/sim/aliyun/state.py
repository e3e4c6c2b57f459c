"""The simulated account: clusters, node pools, nodes, workloads, and the asynchronous things
(tasks, diagnoses, inspection reports) that advance on a clock.

Everything is seeded deterministically (ids below are stable across runs) and relative to the
moment the simulator starts. Progress is computed lazily from the clock: `World.tick()` runs at
the start of every request and applies the effects of tasks that reached a terminal state
(node pool size and nodes change when a scale or remove task succeeds).

The clock is virtual: now() = wall time + offset, and POST /_sim/clock {"advance": s} moves it,
so tests can finish a 10-minute task instantly. Signing-time checks use the wall clock.
"""

import copy
import hashlib
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import errors

CST = timezone(timedelta(hours=8))

CLUSTER_PROD = "c346c131d737cfd3b28ae4355e7f1adb1"      # prod-hz, cn-hangzhou, public + intranet
CLUSTER_STAGING = "cf4a7774c5d5df05ec3623ce037c79918"   # staging-sh, cn-shanghai, intranet only
CLUSTER_EDGE = "cc96734492e9199cc27ff39e75c35be24"      # edge-bj, cn-beijing, updating, null fields
NP_PROD_DEFAULT = "np6edaf93ec693ee91d938597b5f146d40"
NP_PROD_GPU = "np00433cfea4a3a3539f7615ce2413b866"
NP_STAGING_DEFAULT = "np45e8bde5f828daebd777dcc8c9e4227a"
NP_EDGE = "npd94a47556f91514f885be0698378bac3"

TERMINAL = ("success", "failed", "canceled")


def h(text, n=32):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:n]


def cs_time(epoch):
    """CS timestamps: RFC 3339 with the +08:00 offset the service uses."""
    return datetime.fromtimestamp(epoch, CST).strftime("%Y-%m-%dT%H:%M:%S+08:00")


def diag_time(epoch):
    """Diagnosis timestamps look like 2024-05-28T11:29Z (ack-api.md §2.9)."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def iso_z(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Clock:
    def __init__(self):
        self.offset = 0.0
        self.lock = threading.Lock()

    def now(self):
        with self.lock:
            return time.time() + self.offset

    def advance(self, seconds):
        with self.lock:
            self.offset += float(seconds)
            return time.time() + self.offset


# ------------------------------------------------------------------ seed description

# name, id, region, type, spec, profile, state, version, public endpoint?, node pools
# node pool: (name, id, type, is_default, node count, instance type)
SEED_CLUSTERS = [
    ("prod-hz", CLUSTER_PROD, "cn-hangzhou", "ManagedKubernetes", "ack.pro.small", "Default", "running",
     "1.31.1-aliyun.1", True,
     [("default-nodepool", NP_PROD_DEFAULT, "ess", True, 3, "ecs.g7.xlarge"),
      ("gpu-pool", NP_PROD_GPU, "ess", False, 1, "ecs.gn7i-c8g1.2xlarge")]),
    ("staging-sh", CLUSTER_STAGING, "cn-shanghai", "ManagedKubernetes", "ack.standard", "Default", "running",
     "1.30.7-aliyun.1", False,
     [("default-nodepool", NP_STAGING_DEFAULT, "ess", True, 2, "ecs.g7.large")]),
    ("edge-bj", CLUSTER_EDGE, "cn-beijing", "ManagedKubernetes", "ack.pro.small", "Edge", "updating",
     "1.28.9-aliyun.1", True,
     [("edge-nodepool", NP_EDGE, "edge", True, 2, "ecs.c7.large")]),
]
for _i in range(1, 10):
    _name = f"dev-{_i:02d}"
    _cid = "c" + h("cluster:" + _name)
    _region = "cn-hangzhou" if _i % 3 else "cn-shenzhen"
    SEED_CLUSTERS.append((_name, _cid, _region, "Kubernetes" if _i % 2 else "ManagedKubernetes", "ack.standard",
                          "Default", "running" if _i != 7 else "stopped", "1.30.7-aliyun.1", True,
                          [("default-nodepool", "np" + h("nodepool:" + _name + "/default"), "ess", True,
                            1 + _i % 2, "ecs.g7.large")]))

ZONE = {"cn-hangzhou": "cn-hangzhou-k", "cn-shanghai": "cn-shanghai-l", "cn-beijing": "cn-beijing-h",
        "cn-shenzhen": "cn-shenzhen-e"}
INSTANCE_PREFIX = {"cn-hangzhou": "i-bp1", "cn-shanghai": "i-uf6", "cn-beijing": "i-2ze", "cn-shenzhen": "i-wz9"}

# Workloads every cluster runs (pods feed Prometheus series, SLS rows and diagnosis targets).
# Named after the Kubernetes simulator's seed (tests/sim/k8s), so a workload read from it has
# metrics here; pod name hashes differ, which `pod=~"<name>-.*"` selectors do not mind.
# namespace, kind, name, replicas, [(container, cpu request cores, memory request bytes)]
WORKLOADS = [
    ("shop", "Deployment", "web", 3, [("web", 0.25, 256 << 20)]),
    ("shop", "Deployment", "api", 2, [("api", 0.5, 512 << 20), ("sidecar", 0.05, 64 << 20)]),
    ("shop", "Deployment", "cart", 3, [("cart", 0.2, 256 << 20)]),
    ("shop", "StatefulSet", "redis", 2, [("redis", 0.5, 1 << 30)]),
    ("kube-system", "Deployment", "coredns", 2, [("coredns", 0.1, 70 << 20)]),
    ("monitoring", "Deployment", "prometheus", 1, [("prometheus", 1.0, 2 << 30)]),
    ("default", "Deployment", "nginx", 2, [("nginx", 0.05, 64 << 20)]),
]

# prod-hz's default pool holds the Kubernetes simulator's three nodes, with the instance ids its
# providerIDs carry, so node names from `kubectl get nodes` are valid diagnosis targets here.
K8S_SIM_NODES = ["cn-hangzhou.10.0.1.11", "cn-hangzhou.10.0.1.12", "cn-hangzhou.10.0.1.13"]
_SAFE = "bcdfghjklmnpqrstvwxz2456789"   # k8s rand.SafeEncodeString alphabet, as the k8s simulator uses


def safe_hash(text, n):
    digest = hashlib.sha256(text.encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in digest[:n])

INSPECT_ITEMS = [
    # category, uid, name, level, targetType, abnormal?
    ("stability", "APIServerClbInstanceStatus", "API server CLB instance status", "error", "CLB", True),
    ("stability", "NodePoolHealthyNodesRatio", "Healthy nodes ratio of node pool", "warning", "NodePool", True),
    ("stability", "CoreDNSReplicas", "CoreDNS replicas", "warning", "Deployment", True),
    ("stability", "NodeDiskUsage", "Node system disk usage", "warning", "Node", False),
    ("stability", "NodeMemoryPressure", "Node memory pressure", "critical", "Node", False),
    ("stability", "NodePIDPressure", "Node PID pressure", "warning", "Node", False),
    ("stability", "EtcdDBSize", "etcd database size", "warning", "Cluster", False),
    ("stability", "PodRestartCount", "Pods restarting frequently", "advice", "Pod", True),
    ("security", "SecurityGroupRules", "Security group allows 0.0.0.0/0 on 22", "error", "SecurityGroup", True),
    ("security", "APIServerPublicAccess", "API server exposed to the Internet", "advice", "Cluster", True),
    ("security", "RBACClusterAdminBinding", "Extra cluster-admin bindings", "warning", "ClusterRoleBinding", False),
    ("security", "PodSecurityPolicy", "Privileged containers", "warning", "Pod", False),
    ("security", "SecretEncryption", "Secrets encrypted at rest", "advice", "Cluster", False),
    ("performance", "NodeCPUUsage", "Node CPU usage", "warning", "Node", False),
    ("performance", "NodeLoad", "Node load average", "advice", "Node", False),
    ("performance", "IngressControllerReplicas", "Ingress controller replicas", "advice", "Deployment", False),
    ("performance", "KubeProxyMode", "kube-proxy uses IPVS", "advice", "Cluster", False),
    ("limitation", "VSwitchAvailableIPs", "Available IPs in vSwitch", "error", "VSwitch", True),
    ("limitation", "ClusterNodeQuota", "Node quota of the cluster", "warning", "Cluster", False),
    ("limitation", "ENIQuota", "ENI quota per instance", "advice", "Node", False),
    ("limitation", "SLBQuota", "SLB quota", "advice", "Cluster", False),
    ("limitation", "PodCIDRUsage", "Pod CIDR usage", "warning", "Cluster", False),
    ("cost", "IdleNodes", "Idle nodes", "advice", "Node", True),
    ("cost", "OversizedRequests", "Pods requesting far more than they use", "advice", "Pod", False),
    ("cost", "UnattachedDisks", "Unattached cloud disks", "advice", "Disk", False),
]

DIAGNOSIS_CHECKS = {
    "node": [("NodeReady", "node", "Node is Ready"), ("KubeletStatus", "node", "kubelet is running"),
             ("ContainerdStatus", "node", "containerd is running"), ("DiskUsage", "node", "system disk usage"),
             ("ENIStatus", "network", "ENI attached"), ("NTPSync", "node", "clock synchronised")],
    "pod": [("PodPhase", "pod", "pod phase"), ("ContainerRestarts", "pod", "container restarts"),
            ("ImagePull", "pod", "image pull"), ("ResourceQuota", "pod", "requests within quota")],
    "service": [("ServiceEndpoints", "service", "service has endpoints"), ("SLBStatus", "network", "SLB status")],
    "ingress": [("IngressRule", "ingress", "ingress rule matches"), ("BackendService", "ingress", "backend reachable"),
                ("Certificate", "ingress", "certificate valid")],
    "memory": [("MemoryUsage", "node", "memory usage"), ("OOMEvents", "node", "OOM kills"),
               ("PageCache", "node", "page cache")],
    "network": [("RouteTable", "network", "route table"), ("SecurityGroup", "network", "security group allows flow"),
                ("NetworkPolicy", "network", "network policies")],
    "cluster": [("APIServer", "cluster", "API server healthy"), ("Etcd", "cluster", "etcd healthy"),
                ("Addons", "cluster", "addons healthy")],
}


class Task:
    def __init__(self, task_id, cluster_id, task_type, created, duration, stages, target, parameters,
                 fail=False, on_success=None, on_fail=None, on_start=None):
        self.task_id = task_id
        self.cluster_id = cluster_id
        self.task_type = task_type
        self.created = created
        self.duration = max(0.001, float(duration))
        self.stages = stages
        self.target = target
        self.parameters = parameters
        self.fail = fail
        self.on_success = on_success
        self.on_fail = on_fail
        self.paused_at = None
        self.paused_total = 0.0
        self.canceled_at = None
        self.applied = False
        self.final_state = None
        self.finished_at = None
        self.task_result = []
        self.error = None
        if on_start:
            on_start(self)

    def elapsed(self, now):
        end = self.paused_at if self.paused_at is not None else now
        if self.canceled_at is not None:
            end = min(end, self.canceled_at)
        return max(0.0, end - self.created - self.paused_total)

    def state(self, now):
        if self.final_state:
            return self.final_state
        if self.canceled_at is not None:
            return "canceled"
        if self.paused_at is not None:
            return "paused"
        if self.elapsed(now) >= self.duration:
            return "failed" if self.fail else "success"
        return "running"

    def updated(self, now):
        if self.finished_at:
            return self.finished_at
        return min(now, self.created + self.duration + self.paused_total)


class World:
    def __init__(self, clock, faults=None, task_duration=5.0, diagnosis_duration=4.0, inspect_duration=4.0,
                 k8s=None, endpoint_url="http://127.0.0.1"):
        self.clock = clock
        self.faults = faults
        self.task_duration = task_duration
        self.diagnosis_duration = diagnosis_duration
        self.inspect_duration = inspect_duration
        self.k8s = k8s or {}
        self.endpoint_url = endpoint_url
        self.lock = threading.RLock()
        self.reset()

    # ------------------------------------------------------------------ seeding

    def reset(self):
        with self.lock:
            self.start = self.clock.now()
            self.counter = 0
            self.clusters = {}
            self.nodepools = {}     # cluster id -> {nodepool id -> pool}
            self.nodes = {}         # cluster id -> [node]
            self.tasks = {}
            self.diagnoses = {}
            self.reports = {}       # cluster id -> [report], newest last
            self.kubeconfigs_issued = 0
            for spec in SEED_CLUSTERS:
                self._seed_cluster(*spec)
            self._seed_history()
            for cid in self.clusters:
                self.seed_report(cid)

    def _seed_cluster(self, name, cid, region, ctype, spec, profile, state, version, public, pools):
        created = self.start - 86400 * (30 + len(self.clusters))
        octet = 10 + len(self.clusters)
        k8s_url = self.k8s.get("server") or f"https://127.0.0.1:{6443}"
        master = {"api_server_endpoint": k8s_url if public else "",
                  "intranet_api_server_endpoint": self.k8s.get("private_server") or k8s_url}
        edge = cid == CLUSTER_EDGE
        c = {
            "cluster_id": cid, "name": name, "state": state, "region_id": region, "zone_id": ZONE[region],
            "cluster_type": ctype, "cluster_spec": spec, "profile": profile,
            "current_version": version, "init_version": version,
            "vpc_id": None if edge else "vpc-" + h("vpc:" + cid, 20),
            "vswitch_ids": [] if edge else ["vsw-" + h("vsw:" + cid, 20)],
            "vswitch_id": None if edge else "vsw-" + h("vsw:" + cid, 20),
            "security_group_id": "sg-" + h("sg:" + cid, 20),
            "resource_group_id": "rg-" + h("rg:" + region, 15),
            "proxy_mode": "ipvs", "network_mode": "vpc",
            "container_cidr": f"172.{16 + octet % 16}.0.0/16", "service_cidr": "192.168.0.0/16",
            "tags": None if edge else [{"key": "env", "value": name.split("-")[0]},
                                       {"key": "ack.aliyun.com", "value": cid}],
            "created": cs_time(created), "updated": cs_time(created + 3600),
            "size": 0, "master_url": json.dumps(master),
            "deletion_protection": name.startswith("prod"), "external_loadbalancer_id": "lb-" + h("lb:" + cid, 20),
            "docker_version": "", "maintenance_window": {"enable": False},
            "_octet": octet, "_public": public,
            "_audit": cid != CLUSTER_STAGING, "_prometheus": {CLUSTER_PROD: "V2", CLUSTER_STAGING: "V1"}.get(cid),
            "_controlplane": (["apiserver", "kcm", "scheduler", "ccm", "controlplane-events", "alb"]
                              if cid == CLUSTER_PROD else
                              ['["apiserver", "kcm", "scheduler"]'] if cid == CLUSTER_STAGING else []),
        }
        self.clusters[cid] = c
        self.nodepools[cid] = {}
        self.nodes[cid] = []
        for pi, (pname, npid, ptype, is_default, count, itype) in enumerate(pools):
            pool = {
                "nodepool_info": {"nodepool_id": npid, "name": pname, "type": ptype, "is_default": is_default,
                                  "region_id": region, "resource_group_id": c["resource_group_id"],
                                  "created": cs_time(created + 600), "updated": cs_time(created + 600)},
                "status": {},
                "scaling_group": {"desired_size": count, "instance_types": [itype],
                                  "vswitch_ids": c["vswitch_ids"], "image_id": "aliyun_3_x64_20G_alibase_20240819.vhd",
                                  "image_type": "AliyunLinux3", "instance_charge_type": "PostPaid",
                                  "system_disk_category": "cloud_essd", "system_disk_size": 120, "data_disks": [],
                                  "security_group_ids": [c["security_group_id"]], "key_pair": "",
                                  "login_password": "Sim-Passw0rd!", "spot_strategy": "NoSpot",
                                  "scaling_group_id": "asg-" + h("asg:" + npid, 20), "tags": [],
                                  "user_data": "IyEvYmluL3NoCmVjaG8gc2lt"},
                "auto_scaling": {"enable": False, "min_instances": 0, "max_instances": 10, "type": "cpu"},
                "kubernetes_config": {"runtime": "containerd", "runtime_version": "1.6.28",
                                      "labels": [{"key": "pool", "value": pname}],
                                      "taints": ([{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
                                                 if "gpu" in pname else []),
                                      "unschedulable": False, "cpu_policy": "none", "node_name_mode": ""},
                "management": {"enable": True, "auto_repair": True, "auto_upgrade": False, "auto_vul_fix": False,
                               "upgrade_config": {"auto_upgrade": False, "surge": 1, "max_unavailable": 1}},
                "max_nodes": 1000,
                "_subnet": pi,
            }
            self.nodepools[cid][npid] = pool
            fixed = K8S_SIM_NODES if npid == NP_PROD_DEFAULT else []
            for k in range(count):
                self.nodes[cid].append(self._new_node(c, pool, "running", created + 900,
                                                      fixed[k] if k < len(fixed) else None))
            self._refresh_pool(cid, npid)
        c["size"] = len(self.nodes[cid])

    def _new_node(self, cluster, pool, state, created, name=None):
        cid = cluster["cluster_id"]
        npid = pool["nodepool_info"]["nodepool_id"]
        self.counter += 1
        region = cluster["region_id"]
        if name:
            ip = name.split(".", 1)[1]
            iid = INSTANCE_PREFIX[region] + safe_hash(name, 17)
        else:
            ip = f"192.168.{cluster['_octet'] * 4 + pool['_subnet']}.{10 + self.counter}"
            iid = INSTANCE_PREFIX[region] + h(f"instance:{cid}:{self.counter}", 17)
            name = f"{region}.{ip}"
        running = state == "running"
        return {
            "instance_id": iid, "instance_name": f"worker-k8s-for-cs-{cid}", "node_name": name,
            "node_status": "Ready" if running else "Unknown", "state": state,
            "instance_status": "Running" if running else "Pending",
            "ip_address": [ip], "host_name": "iZ" + iid[2:].replace("-", "") + "Z",
            "nodepool_id": npid, "instance_type": pool["scaling_group"]["instance_types"][0],
            "instance_type_family": pool["scaling_group"]["instance_types"][0].rsplit(".", 1)[0],
            "instance_role": "Worker", "instance_charge_type": "PostPaid",
            "image_id": pool["scaling_group"]["image_id"], "creation_time": cs_time(created),
            "expired_time": "2099-12-31T15:59:00Z", "error_message": "", "source": "ess_attach",
            "spot_strategy": "NoSpot", "is_aliyun_node": True, "is_leader": False,
        }

    def _refresh_pool(self, cid, npid):
        pool = self.nodepools[cid][npid]
        nodes = [n for n in self.nodes[cid] if n["nodepool_id"] == npid]
        st = pool["status"]
        st.update({
            "total_nodes": len(nodes),
            "healthy_nodes": sum(1 for n in nodes if n["node_status"] == "Ready"),
            "serving_nodes": sum(1 for n in nodes if n["state"] == "running"),
            "failed_nodes": sum(1 for n in nodes if n["state"] == "failed"),
            "initial_nodes": sum(1 for n in nodes if n["state"] == "initial"),
            "offline_nodes": 0,
            "removing_nodes": sum(1 for n in nodes if n["state"] == "removing"),
        })
        busy = st["initial_nodes"] or st["removing_nodes"]
        st["state"] = ("scaling" if st["initial_nodes"] else "removing") if busy else "active"
        self.clusters[cid]["size"] = len(self.nodes[cid])

    def _seed_history(self):
        """A few finished tasks per prod/staging cluster, so DescribeClusterTasks has a past."""
        for cid, hist in ((CLUSTER_PROD, [("cluster_addon_install", 2 * 86400, False, None),
                                          ("nodepool_upgrade", 86400, True, NP_PROD_GPU),
                                          ("nodepool_scaleout", 6 * 3600, False, NP_PROD_DEFAULT)]),
                          (CLUSTER_STAGING, [("cluster_addon_install", 3 * 86400, False, None)])):
            for ttype, ago, fail, npid in hist:
                created = self.start - ago
                t = Task(self._task_id(created), cid, ttype, created, 300, self._stages(ttype),
                         {"id": npid or cid, "type": "nodepool" if npid else "cluster"}, {}, fail=fail)
                t.applied = True
                t.final_state = "failed" if fail else "success"
                t.finished_at = created + 300
                if fail:
                    t.error = {"code": "NodePoolUpgradeFailed",
                               "message": "Upgrade of node cn-hangzhou.192.168.44.12 timed out after 300s."}
                self.tasks[t.task_id] = t

    # ------------------------------------------------------------------ helpers

    def _task_id(self, created):
        self.counter += 1
        return f"T-{int(created) & 0xffffffff:08x}{h('task:' + str(self.counter), 10)}{self.counter:06x}"

    @staticmethod
    def _stages(task_type):
        return {
            "nodepool_scaleout": ["CreateInstances", "AttachNodes", "CheckNodesReady"],
            "nodepool_node_remove": ["DrainNodes", "RemoveNodes", "ReleaseInstances"],
            "nodepool_scalein": ["DrainNodes", "RemoveNodes"],
            "nodepool_upgrade": ["PrecheckUpgrade", "UpgradeNodes"],
            "cluster_addon_install": ["InstallAddons"],
        }.get(task_type, ["Run"])

    def tick(self):
        with self.lock:
            now = self.clock.now()
            for t in list(self.tasks.values()):
                if t.applied:
                    continue
                st = t.state(now)
                if st in TERMINAL:
                    t.applied = True
                    t.final_state = st
                    t.finished_at = now if st == "canceled" else t.created + t.duration + t.paused_total
                    cb = t.on_success if st == "success" else t.on_fail
                    if cb:
                        cb(t)
                    if st == "canceled":
                        t.error = None

    # ------------------------------------------------------------------ clusters

    def cluster(self, cid):
        c = self.clusters.get(cid)
        if c is None:
            raise errors.cluster_not_found(cid)
        return c

    def nodepool(self, cid, npid):
        self.cluster(cid)
        pool = self.nodepools[cid].get(npid)
        if pool is None:
            raise errors.nodepool_not_found(npid)
        return pool

    def pods(self, cid):
        """Pods of WORKLOADS in cluster cid, spread over its running nodes (round robin)."""
        nodes = [n["node_name"] for n in self.nodes.get(cid, []) if n["state"] == "running"] or ["-"]
        out = []
        k = 0
        for ns, kind, name, replicas, containers in WORKLOADS:
            rs = h(f"rs:{cid}:{ns}/{name}", 10)
            for i in range(replicas):
                pod = f"{name}-{i}" if kind == "StatefulSet" else f"{name}-{rs}-{h(f'pod:{cid}:{name}:{i}', 5)}"
                out.append({"namespace": ns, "kind": kind, "workload": name, "pod": pod,
                            "containers": containers, "node": nodes[k % len(nodes)]})
                k += 1
        return out

    # ------------------------------------------------------------------ tasks

    def _new_task(self, cid, ttype, target, params, on_success=None, on_fail=None, on_start=None):
        now = self.clock.now()
        fail = bool(self.faults and self.faults.take_switch("task_fail", cid))
        t = Task(self._task_id(now), cid, ttype, now, self.task_duration, self._stages(ttype), target, params,
                 fail=fail, on_success=on_success, on_fail=on_fail, on_start=on_start)
        self.tasks[t.task_id] = t
        return t

    def scale_out(self, cid, npid, count):
        with self.lock:
            cluster = self.cluster(cid)
            pool = self.nodepool(cid, npid)

            def start(t):
                for _ in range(count):
                    n = self._new_node(cluster, pool, "initial", self.clock.now())
                    self.nodes[cid].append(n)
                    t.task_result.append({"data": n["instance_id"], "status": "initial"})
                pool["scaling_group"]["desired_size"] += count
                self._refresh_pool(cid, npid)

            def done(t):
                ids = {r["data"] for r in t.task_result}
                for n in self.nodes[cid]:
                    if n["instance_id"] in ids:
                        n.update(state="running", node_status="Ready", instance_status="Running")
                for r in t.task_result:
                    r["status"] = "success"
                self._refresh_pool(cid, npid)

            def failed(t):
                ids = {r["data"] for r in t.task_result}
                self.nodes[cid] = [n for n in self.nodes[cid] if n["instance_id"] not in ids]
                for r in t.task_result:
                    r["status"] = "failed"
                pool["scaling_group"]["desired_size"] -= count
                t.error = {"code": "OperationDenied.NoStock",
                           "message": "The requested resource is sold out in the specified zone; "
                                      "try other types of resources or other regions and zones. (injected failure)"}
                self._refresh_pool(cid, npid)

            return self._new_task(cid, "nodepool_scaleout", {"id": npid, "type": "nodepool"}, {"count": count},
                                  on_success=done, on_fail=failed, on_start=start)

    def remove_nodes(self, cid, npid, instance_ids, release, drain, ttype="nodepool_node_remove"):
        with self.lock:
            pool = self.nodepool(cid, npid)
            by_id = {n["instance_id"]: n for n in self.nodes[cid]}
            for iid in instance_ids:
                n = by_id.get(iid)
                if n is None or n["nodepool_id"] != npid:
                    raise errors.cs(400, "ErrorNodeNotInNodePool",
                                    f"The instance {iid} is not a node of nodepool {npid}.")
                if n["instance_role"] != "Worker":
                    raise errors.cs(400, "ErrorNotWorkerNode", f"Only worker nodes can be removed: {iid}.")
                if n["state"] in ("removing", "initial"):
                    raise errors.cs(400, "ErrorNodeStateConflict", f"The node {iid} is {n['state']}.")
            before = {iid: by_id[iid]["state"] for iid in instance_ids}

            def start(t):
                for iid in instance_ids:
                    by_id[iid].update(state="removing")
                    t.task_result.append({"data": iid, "status": "initial"})
                self._refresh_pool(cid, npid)

            def done(t):
                gone = set(instance_ids)
                self.nodes[cid] = [n for n in self.nodes[cid] if n["instance_id"] not in gone]
                pool["scaling_group"]["desired_size"] = max(0, pool["scaling_group"]["desired_size"] - len(gone))
                for r in t.task_result:
                    r["status"] = "success"
                self._refresh_pool(cid, npid)

            def failed(t):
                for iid in instance_ids:
                    if iid in by_id:
                        by_id[iid].update(state=before[iid])
                for r in t.task_result:
                    r["status"] = "failed"
                t.error = {"code": "DrainNodeFailed",
                           "message": "Cannot evict pod shop/web: the PodDisruptionBudget allows 0 disruptions. "
                                      "(injected failure)"}
                self._refresh_pool(cid, npid)

            params = {"instance_ids": list(instance_ids), "release_node": release, "drain_node": drain}
            return self._new_task(cid, ttype, {"id": npid, "type": "nodepool"}, params,
                                  on_success=done, on_fail=failed, on_start=start)

    def set_desired(self, cid, npid, desired):
        with self.lock:
            self.nodepool(cid, npid)
            current = [n for n in self.nodes[cid] if n["nodepool_id"] == npid]
            if desired > len(current):
                return self.scale_out(cid, npid, desired - len(current))
            victims = [n["instance_id"] for n in current[desired:]]
            if not victims:
                return self._new_task(cid, "nodepool_update", {"id": npid, "type": "nodepool"},
                                      {"desired_size": desired})
            return self.remove_nodes(cid, npid, victims, True, True, ttype="nodepool_scalein")

    def task(self, task_id):
        t = self.tasks.get(task_id)
        if t is None:
            raise errors.cs(404, "ErrorTaskNotFound", f"The specified task {task_id} not found.")
        return t

    def task_view(self, t, detail=True):
        self.tick()     # a task may have ended since the request's tick: apply its effects first
        now = self.clock.now()
        st = t.state(now)
        n = len(t.stages)
        frac = min(1.0, t.elapsed(now) / t.duration)
        idx = min(n - 1, int(frac * n))
        stages = []
        for i, name in enumerate(t.stages):
            s_start = t.created + t.duration * i / n
            s_end = t.created + t.duration * (i + 1) / n
            if i < idx or (i == idx and st == "success"):
                state = "success"
            elif i == idx:
                state = {"failed": "failed", "canceled": "canceled", "paused": "paused"}.get(st, "running")
            else:
                continue
            stage = {"state": state, "start_time": cs_time(s_start),
                     "end_time": cs_time(s_end) if state in ("success", "failed") else "",
                     "message": f"{name} {state}", "outputs": {}}
            stages.append(stage)
        events = [{"action": "start", "level": "Normal", "message": f"task {t.task_type} started",
                   "reason": "TaskStarted", "source": "ack", "timestamp": cs_time(t.created)}]
        if st in TERMINAL:
            events.append({"action": "finish", "level": "Warning" if st == "failed" else "Normal",
                           "message": f"task {t.task_type} {st}", "reason": "Task" + st.capitalize(),
                           "source": "ack", "timestamp": cs_time(t.updated(now))})
        view = {"task_id": t.task_id, "cluster_id": t.cluster_id, "task_type": t.task_type, "state": st,
                "current_stage": t.stages[idx], "created": cs_time(t.created), "updated": cs_time(t.updated(now)),
                "target": t.target, "parameters": t.parameters,
                "error": t.error if st == "failed" else None}
        if detail:
            view.update(stages=stages, events=events, task_result=copy.deepcopy(t.task_result))
        return view

    def control_task(self, task_id, op):
        with self.lock:
            t = self.task(task_id)
            now = self.clock.now()
            st = t.state(now)
            if op == "cancel":
                if st in TERMINAL:
                    raise errors.cs(400, "ErrorTaskStateConflict", f"Task {task_id} is already {st}.")
                t.canceled_at = now
            elif op == "pause":
                if st != "running":
                    raise errors.cs(400, "ErrorTaskStateConflict", f"Task {task_id} is {st}, not running.")
                t.paused_at = now
            elif op == "resume":
                if st != "paused":
                    raise errors.cs(400, "ErrorTaskStateConflict", f"Task {task_id} is {st}, not paused.")
                t.paused_total += now - t.paused_at
                t.paused_at = None
            elif op in ("fail", "succeed"):
                if st in TERMINAL:
                    raise errors.cs(400, "ErrorTaskStateConflict", f"Task {task_id} is already {st}.")
                t.fail = op == "fail"
                t.duration = max(0.001, t.elapsed(now))
            self.tick()

    # ------------------------------------------------------------------ diagnosis

    def create_diagnosis(self, cid, dtype, target):
        with self.lock:
            self.cluster(cid)
            mode = "normal"
            if self.faults and self.faults.take_switch("diagnosis_stuck", cid):
                mode = "stuck"
            elif self.faults and self.faults.take_switch("diagnosis_fail", cid):
                mode = "fail"
            did = uuid.uuid4().hex
            self.diagnoses[did] = {"diagnosis_id": did, "cluster_id": cid, "type": dtype, "target": target,
                                   "created": self.clock.now(), "duration": self.diagnosis_duration, "mode": mode}
            return did

    def diagnosis(self, cid, did):
        d = self.diagnoses.get(did)
        if d is None or d["cluster_id"] != cid:
            raise errors.cs(404, "ErrorDiagnosisNotFound", f"The specified diagnosis {did} not found.")
        elapsed = self.clock.now() - d["created"]
        if d["mode"] == "stuck":
            status = 0 if elapsed < 0.2 * d["duration"] else 1
        else:
            status = 0 if elapsed < 0.2 * d["duration"] else (1 if elapsed < d["duration"] else 2)
        return d, status

    # ------------------------------------------------------------------ inspection

    def run_inspect(self, cid, client_token=None):
        with self.lock:
            self.cluster(cid)
            for r in self.reports.get(cid, []):
                if client_token and r.get("client_token") == client_token:
                    return r
            fail = bool(self.faults and self.faults.take_switch("inspect_fail", cid))
            now = self.clock.now()
            r = {"reportId": uuid.uuid4().hex, "taskId": self._task_id(now), "cluster_id": cid, "created": now,
                 "duration": self.inspect_duration, "fail": fail, "client_token": client_token}
            self.reports.setdefault(cid, []).append(r)
            return r

    def seed_report(self, cid):
        """Every cluster but edge-bj has one completed report from yesterday."""
        if cid == CLUSTER_EDGE or cid in self.reports:
            return
        created = self.start - 86400
        self.reports[cid] = [{"reportId": h("report:" + cid), "taskId": self._task_id(created), "cluster_id": cid,
                              "created": created, "duration": 120, "fail": False, "client_token": None}]

    def report_status(self, r):
        if self.clock.now() - r["created"] < r["duration"]:
            return "running"
        return "failed" if r["fail"] else "completed"
