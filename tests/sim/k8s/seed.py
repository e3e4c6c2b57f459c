"""The seeded cluster: 3 ACK worker nodes, ~40 pods in realistic states, and the rest.

Deterministic: the same objects, names and UIDs every run; only timestamps are
relative to the server's start (so ages read "3d", "5h" as on a live cluster).
README.md lists the notable objects; tests rely on their names.
"""

import base64
import copy
import json

import apply as ssa
import controllers
import objects

DAY = 86400
HOUR = 3600
REGION = "cn-hangzhou"
NODES = [("cn-hangzhou.10.0.1.11", "cn-hangzhou-k"), ("cn-hangzhou.10.0.1.12", "cn-hangzhou-k"),
         ("cn-hangzhou.10.0.1.13", "cn-hangzhou-j")]
REG = "registry-cn-hangzhou.ack.aliyuncs.com/acs/"
ACME = "registry.cn-hangzhou.aliyuncs.com/acme/"
BIG_LOG_POD = ("default", "bulk-logger")


def b64(text):
    return base64.b64encode(text.encode()).decode()


# kind -> (manager of the object, manager of its status), as on a live cluster
_MANAGERS = {
    "Pod": ("kube-controller-manager", "kubelet"),
    "ReplicaSet": ("kube-controller-manager", "kube-controller-manager"),
    "Job": ("kube-controller-manager", "kube-controller-manager"),
    "Node": ("kubelet", "kubelet"),
    "Event": ("kubelet", None),
    "Endpoints": ("kube-controller-manager", None),
    "Namespace": ("kubectl-create", None),
    "ServiceAccount": ("kube-controller-manager", None),
    "PersistentVolumeClaim": ("kube-controller-manager", "kube-controller-manager"),
    "PersistentVolume": ("csi-provisioner", "kube-controller-manager"),
    "CustomResourceDefinition": ("helm", "kube-apiserver"),
}


def _last_applied(obj):
    """The annotation `kubectl apply` leaves: the configuration as the user wrote it."""
    md = obj["metadata"]
    cfg_md = {"annotations": {}, "name": md["name"]}
    if md.get("labels"):
        cfg_md["labels"] = md["labels"]
    if md.get("namespace"):
        cfg_md["namespace"] = md["namespace"]
    cfg = {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "metadata": cfg_md}
    for k, v in obj.items():
        if k not in ("apiVersion", "kind", "metadata", "status"):
            cfg[k] = v
    text = json.dumps(cfg, sort_keys=True, separators=(",", ":")) + "\n"
    md.setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = text


class Seeder:
    def __init__(self, cl):
        self.cl = cl
        self.t0 = cl.t0

    def ago(self, sec):
        return self.t0 - sec

    def put(self, obj):
        """Store a seeded object with the managedFields its makers would have left."""
        md = obj["metadata"]
        if "managedFields" not in md:
            manager, status_manager = _MANAGERS.get(obj["kind"], ("kubectl-client-side-apply",
                                                                  "kube-controller-manager"))
            if obj["kind"] == "Pod" and not md.get("ownerReferences"):
                manager = "kubectl-run"
            created = objects.parse_ts(md.get("creationTimestamp")) or self.t0
            if manager == "kubectl-client-side-apply":
                _last_applied(obj)
            ssa.initial_managed(obj, manager, status_manager, created)
        return self.cl.put(obj)

    # ---- helpers ---------------------------------------------------------------

    def container(self, name, image, port=None, cpu="100m", mem="128Mi", limit_mem=None,
                  env=None, args=None):
        c = {"name": name, "image": image}
        if args:
            c["args"] = args
        if port:
            c["ports"] = [{"containerPort": port, "name": "http" if port in (80, 8080) else
                           "tcp-%d" % port, "protocol": "TCP"}]
        if env:
            c["env"] = env
        res = {"requests": {"cpu": cpu, "memory": mem}}
        if limit_mem:
            res["limits"] = {"memory": limit_mem}
        c["resources"] = res
        return objects.default_container(c)

    def pod(self, owner, name, template, node, created, states=None, init_states=None,
            extra_labels=None, uid_parts=None):
        md = template.get("metadata", {})
        labels = dict(md.get("labels") or {})
        labels.update(extra_labels or {})
        ns = owner["metadata"]["namespace"] if owner else template["_ns"]
        spec = copy.deepcopy(template["spec"])
        p = objects.build_pod(ns, name, spec, labels, md.get("annotations"), owner, node,
                              created, states, init_states,
                              self.cl.alloc_ip(node) if node else "", now=self.t0,
                              uid_parts=uid_parts)
        if owner and owner["kind"] in ("ReplicaSet", "Job", "DaemonSet"):
            p["metadata"]["generateName"] = owner["metadata"]["name"] + "-"
        return self.put(p)

    def deployment(self, ns, name, containers, replicas, created, labels=None,
                   pod_states=None, history=(), init=None, annotations=None, pod_labels=None,
                   node_for=None, volumes=None):
        """A deployment with its replica sets (older templates first) and pods."""
        labels = labels or {"app": name}
        sel = {"matchLabels": dict(labels)}
        tmpl = {"metadata": {"labels": dict(labels, **(pod_labels or {}))},
                "spec": {"containers": containers}}
        if init:
            tmpl["spec"]["initContainers"] = init
        if volumes:
            tmpl["spec"]["volumes"] = volumes
        objects.default_template(tmpl)
        dep = {"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": objects.meta(name, ns, labels, annotations, created, generation=1 +
                                        len(history)),
               "spec": {"replicas": replicas, "selector": sel, "template": tmpl}}
        objects.apply_defaults(dep)
        dep["status"] = {}
        self.put(dep)
        templates = []
        for i, mutate in enumerate(history):
            t = copy.deepcopy(tmpl)
            mutate(t)
            templates.append((t, created + i * HOUR))
        templates.append((tmpl, created + len(history) * HOUR))
        rses = []
        pods_by_rs = {}
        for rev, (t, rs_created) in enumerate(templates, 1):
            h = objects.template_hash(t)
            rt = copy.deepcopy(t)
            rt["metadata"]["labels"]["pod-template-hash"] = h
            current = rev == len(templates)
            ann = {"deployment.kubernetes.io/desired-replicas": str(replicas),
                   "deployment.kubernetes.io/max-replicas": str(replicas + max(1, replicas // 4)),
                   "deployment.kubernetes.io/revision": str(rev)}
            if current and annotations and "kubernetes.io/change-cause" in annotations:
                ann["kubernetes.io/change-cause"] = annotations["kubernetes.io/change-cause"]
            rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": objects.meta("%s-%s" % (name, h), ns, rt["metadata"]["labels"], ann,
                                           rs_created, owner=dep, generation=1 if current else 2),
                  "spec": {"replicas": replicas if current else 0,
                           "selector": {"matchLabels": dict(labels, **{"pod-template-hash": h})},
                           "template": rt},
                  "status": {}}
            pods = []
            if current:
                for i in range(replicas):
                    pname = "%s-%s-%s" % (name, h, objects.safe_hash("%s/%s/%d" % (
                        ns, name, i), 5))
                    states = pod_states(i, rs_created) if pod_states else None
                    node = node_for(i) if node_for else NODES[(i + len(name)) % 2][0]
                    pods.append(self.pod(rs, pname, rt, node, rs_created + 10, states))
            rs["status"] = controllers.replicaset_status(rs, pods)
            self.put(rs)
            rses.append(rs)
            pods_by_rs[rs["metadata"]["uid"]] = pods
        dep["metadata"]["annotations"] = dict(dep["metadata"].get("annotations") or {})
        dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = str(len(templates))
        dep["status"] = controllers.deployment_status(dep, rses, pods_by_rs, self.t0)
        self.put(dep)
        return dep, rses

    def daemonset(self, ns, name, containers, created, init=None, tolerate_all=True):
        labels = {"app": name}
        tmpl = {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}}
        if init:
            tmpl["spec"]["initContainers"] = init
        if tolerate_all:
            tmpl["spec"]["tolerations"] = [{"operator": "Exists"}]
        tmpl["spec"]["priorityClassName"] = "system-node-critical"
        objects.default_template(tmpl)
        ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
              "metadata": objects.meta(name, ns, labels, {"deprecated.daemonset.template."
                                                          "generation": "1"}, created,
                                       generation=1),
              "spec": {"selector": {"matchLabels": labels}, "template": tmpl}}
        objects.apply_defaults(ds)
        self.put(ds)
        rev = objects.safe_hash(controllers._strip_hash(tmpl), 10)
        for node, _zone in NODES:
            pname = "%s-%s" % (name, objects.safe_hash("%s/%s" % (name, node), 5))
            t = copy.deepcopy(tmpl)
            t["spec"]["affinity"] = {"nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
                    "matchFields": [{"key": "metadata.name", "operator": "In",
                                     "values": [node]}]}]}}}
            self.pod(ds, pname, t, node, created + 20, extra_labels={
                "controller-revision-hash": rev, "pod-template-generation": "1"})
        n = len(NODES)
        ds["status"] = {"currentNumberScheduled": n, "numberMisscheduled": 0,
                        "desiredNumberScheduled": n, "numberReady": n, "observedGeneration": 1,
                        "updatedNumberScheduled": n, "numberAvailable": n}
        return self.put(ds)

    def statefulset(self, ns, name, containers, replicas, created, storage="20Gi"):
        labels = {"app": name}
        tmpl = {"metadata": {"labels": dict(labels)}, "spec": {"containers": containers}}
        objects.default_template(tmpl)
        for c in tmpl["spec"]["containers"]:
            c["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
        sts = {"apiVersion": "apps/v1", "kind": "StatefulSet",
               "metadata": objects.meta(name, ns, labels, None, created, generation=1),
               "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                        "serviceName": name, "template": tmpl,
                        "volumeClaimTemplates": [{
                            "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                            "metadata": {"name": "data", "creationTimestamp": None},
                            "spec": {"accessModes": ["ReadWriteOnce"],
                                     "storageClassName": "alicloud-disk-essd",
                                     "resources": {"requests": {"storage": storage}},
                                     "volumeMode": "Filesystem"},
                            "status": {"phase": "Pending"}}]}}
        objects.apply_defaults(sts)
        self.put(sts)
        rev = controllers._sts_revision(sts)
        for i in range(replicas):
            pname = "%s-%d" % (name, i)
            claim = "data-%s" % pname
            t = copy.deepcopy(tmpl)
            t["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {
                "claimName": claim}}]
            t["spec"]["hostname"] = pname
            t["spec"]["subdomain"] = name
            self.pod(sts, pname, t, NODES[i % 2][0], created + 30 * (i + 1), extra_labels={
                "controller-revision-hash": rev, "apps.kubernetes.io/pod-index": str(i),
                "statefulset.kubernetes.io/pod-name": pname})
            self.pvc(ns, claim, storage, created, labels)
        sts["status"] = {"observedGeneration": 1, "replicas": replicas,
                         "readyReplicas": replicas, "currentReplicas": replicas,
                         "updatedReplicas": replicas, "currentRevision": rev,
                         "updateRevision": rev, "collisionCount": 0,
                         "availableReplicas": replicas}
        return self.put(sts)

    def pvc(self, ns, name, size, created, labels=None):
        vol = "d-bp1" + objects.safe_hash(name, 17)
        pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
               "metadata": objects.meta(name, ns, labels, {
                   "pv.kubernetes.io/bind-completed": "yes",
                   "pv.kubernetes.io/bound-by-controller": "yes",
                   "volume.beta.kubernetes.io/storage-provisioner": "diskplugin.csi.alibabacloud"
                                                                    ".com",
                   "volume.kubernetes.io/storage-provisioner": "diskplugin.csi.alibabacloud.com"},
                   created), "spec": {
                   "accessModes": ["ReadWriteOnce"], "resources": {"requests": {
                       "storage": size}}, "storageClassName": "alicloud-disk-essd",
                   "volumeMode": "Filesystem", "volumeName": vol},
               "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"],
                          "capacity": {"storage": size}}}
        pvc["metadata"]["finalizers"] = ["kubernetes.io/pvc-protection"]
        self.put(pvc)
        pv = {"apiVersion": "v1", "kind": "PersistentVolume",
              "metadata": objects.meta(vol, None, {"topology.kubernetes.io/region": REGION},
                                       {"pv.kubernetes.io/provisioned-by":
                                        "diskplugin.csi.alibabacloud.com"}, created),
              "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size},
                       "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                    "name": name, "namespace": ns,
                                    "uid": pvc["metadata"]["uid"]},
                       "csi": {"driver": "diskplugin.csi.alibabacloud.com", "fsType": "ext4",
                               "volumeHandle": vol},
                       "persistentVolumeReclaimPolicy": "Delete",
                       "storageClassName": "alicloud-disk-essd", "volumeMode": "Filesystem"},
              "status": {"phase": "Bound"}}
        self.put(pv)

    def service(self, ns, name, ports, selector, created, cluster_ip, headless=False,
                svc_type="ClusterIP", labels=None, lb_ip=None):
        spec = {"clusterIP": "None" if headless else cluster_ip,
                "clusterIPs": ["None" if headless else cluster_ip],
                "ports": ports}
        if selector:
            spec["selector"] = selector
        spec["type"] = svc_type
        objects.apply_defaults({"kind": "Service", "spec": spec})
        if svc_type == "LoadBalancer":
            spec["externalTrafficPolicy"] = "Local"
            spec["allocateLoadBalancerNodePorts"] = True
            for i, p in enumerate(ports):
                p["nodePort"] = 30000 + (sum(map(ord, name)) * 7 + i) % 2000
        svc = {"apiVersion": "v1", "kind": "Service",
               "metadata": objects.meta(name, ns, labels or ({"app": name} if selector else None),
                                        None, created), "spec": spec,
               "status": {"loadBalancer": {"ingress": [{"ip": lb_ip, "ipMode": "VIP"}]}
                          if lb_ip else {}}}
        self.put(svc)
        addrs = []
        if selector:
            for e in self.cl.store.entries(controllers.RES["Pod"], ns):
                p = e.obj
                if all(p["metadata"].get("labels", {}).get(k) == v for k, v in selector.items()) \
                        and p["status"].get("podIP") and controllers.pod_ready(p):
                    addrs.append({"ip": p["status"]["podIP"], "nodeName": p["spec"]["nodeName"],
                                  "targetRef": {"kind": "Pod", "namespace": ns,
                                                "name": p["metadata"]["name"],
                                                "uid": p["metadata"]["uid"]}})
        ep = {"apiVersion": "v1", "kind": "Endpoints",
              "metadata": objects.meta(name, ns, svc["metadata"].get("labels"), None, created)}
        if addrs:
            ep["subsets"] = [{"addresses": addrs, "ports": [
                {"name": p.get("name", ""), "port": p.get("targetPort", p["port"])
                 if isinstance(p.get("targetPort"), int) else p["port"],
                 "protocol": p["protocol"]} for p in ports]}]
            for p in ep["subsets"][0]["ports"]:
                if not p["name"]:
                    del p["name"]
        self.put(ep)
        return svc

    def configmap(self, ns, name, data, created):
        return self.put({"apiVersion": "v1", "kind": "ConfigMap",
                         "metadata": objects.meta(name, ns, None, None, created), "data": data})

    def secret(self, ns, name, stype, data, created, annotations=None):
        return self.put({"apiVersion": "v1", "kind": "Secret",
                         "metadata": objects.meta(name, ns, None, annotations, created),
                         "data": {k: b64(v) for k, v in data.items()}, "type": stype})

    def serviceaccount(self, ns, name, created):
        return self.put({"apiVersion": "v1", "kind": "ServiceAccount",
                         "metadata": objects.meta(name, ns, None, None, created)})

    def event(self, obj, etype, reason, message, component, count=1, first=None, last=None,
              field_path=None, host=None):
        return self.cl.record_event(obj, etype, reason, message, component, count, first, last,
                                    field_path, host)

    def find_pod(self, ns, prefix):
        for e in self.cl.store.entries(controllers.RES["Pod"], ns):
            if e.name.startswith(prefix):
                return e.obj
        raise KeyError(prefix)


# ---- the cluster -----------------------------------------------------------------

def seed(cl, extra_pods=0):
    s = Seeder(cl)
    _nodes(s)
    _namespaces(s)
    _kube_system(s)
    _shop(s)
    _monitoring(s)
    _batch(s)
    _default(s)
    _rbac(s)
    _crd(s)
    if extra_pods:
        import bulk
        bulk.seed_load(cl, extra_pods)


def _nodes(s):
    for i, (name, zone) in enumerate(NODES):
        ip = objects.node_ip(name)
        created = s.ago(30 * DAY)
        labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                  "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
                  "kubernetes.io/os": "linux",
                  "node.kubernetes.io/instance-type": "ecs.g7.xlarge",
                  "topology.kubernetes.io/region": REGION, "topology.kubernetes.io/zone": zone,
                  "alibabacloud.com/nodepool-id": "np6edaf93ec693ee91d938597b5f146d40",
                  "node.csi.alibabacloud.com/disktype.cloud_essd": "available"}
        spec = {"podCIDR": "172.20.%d.0/24" % (i + 1), "podCIDRs": ["172.20.%d.0/24" % (i + 1)],
                "providerID": "%s.i-bp1%s" % (REGION, objects.safe_hash(name, 17))}
        if i == 2:
            labels["workload"] = "gpu"
            spec["taints"] = [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]
        t = objects.ts(created)
        hb = objects.ts(s.t0 - 40)

        def cond(ctype, status, reason, msg):
            return {"type": ctype, "status": status, "lastHeartbeatTime": hb,
                    "lastTransitionTime": t, "reason": reason, "message": msg}
        node = {"apiVersion": "v1", "kind": "Node",
                "metadata": objects.meta(name, None, labels, {
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"}, created),
                "spec": spec,
                "status": {
                    "capacity": {"cpu": "4", "ephemeral-storage": "123722704Ki",
                                 "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                                 "memory": "15944116Ki", "pods": "64"},
                    "allocatable": {"cpu": "3900m", "ephemeral-storage": "114022843818",
                                    "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                                    "memory": "13134260Ki", "pods": "64"},
                    "conditions": [
                        cond("MemoryPressure", "False", "KubeletHasSufficientMemory",
                             "kubelet has sufficient memory available"),
                        cond("DiskPressure", "False", "KubeletHasNoDiskPressure",
                             "kubelet has no disk pressure"),
                        cond("PIDPressure", "False", "KubeletHasSufficientPID",
                             "kubelet has sufficient PID available"),
                        cond("Ready", "True", "KubeletReady", "kubelet is posting ready status")],
                    "addresses": [{"type": "InternalIP", "address": ip},
                                  {"type": "Hostname", "address": name}],
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                    "nodeInfo": {"machineID": objects.hexid(name, 32),
                                 "systemUUID": objects.uid("sys", name),
                                 "bootID": objects.uid("boot", name),
                                 "kernelVersion": "5.10.134-18.al8.x86_64",
                                 "osImage": "Alibaba Cloud Linux 3.2104 U11 (OpenAnolis Edition)",
                                 "containerRuntimeVersion": "containerd://1.6.36",
                                 "kubeletVersion": "v1.32.1-aliyun.1",
                                 "kubeProxyVersion": "v1.32.1-aliyun.1",
                                 "operatingSystem": "linux", "architecture": "amd64"},
                    "images": [{"names": [REG + "pause:3.9"], "sizeBytes": 311000}]}}
        s.put(node)


NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease", "shop", "monitoring",
              "batch"]


def _namespaces(s):
    for name in NAMESPACES:
        created = s.ago(30 * DAY if name.startswith("kube") or name == "default" else 20 * DAY)
        ns = {"apiVersion": "v1", "kind": "Namespace",
              "metadata": objects.meta(name, None, {"kubernetes.io/metadata.name": name}, None,
                                       created),
              "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
        s.put(ns)
        # what kube-controller-manager puts in every namespace as soon as it exists
        s.configmap(name, "kube-root-ca.crt", {"ca.crt": "-----BEGIN CERTIFICATE-----\n"
                                               "MIIDGjCCAgKgAwIBAgIUSIMULATEDCA\n"
                                               "-----END CERTIFICATE-----\n"}, created + 1)
        s.serviceaccount(name, "default", created + 1)


def _kube_system(s):
    ks = "kube-system"
    s.deployment(ks, "coredns", [s.container(
        "coredns", REG + "coredns:v1.11.3.2-f57ea7ed6-aliyun", 53, "100m", "70Mi", "2Gi",
        args=["-conf", "/etc/coredns/Corefile"])], 2, s.ago(30 * DAY),
        labels={"k8s-app": "kube-dns"})
    s.deployment(ks, "metrics-server", [s.container(
        "metrics-server", REG + "metrics-server:v0.7.2-aliyun.1", 443, "100m", "200Mi")], 1,
        s.ago(30 * DAY), labels={"k8s-app": "metrics-server"})
    s.deployment(ks, "csi-provisioner", [s.container(
        "csi-provisioner", REG + "csi-provisioner:v1.33.1-67e8986-aliyun", None, "10m",
        "16Mi")], 2, s.ago(30 * DAY), labels={"app": "csi-provisioner"})
    s.daemonset(ks, "kube-proxy-worker", [s.container(
        "kube-proxy-worker", REG + "kube-proxy:v1.32.1-aliyun.1", None, "100m", "128Mi")],
        s.ago(30 * DAY))
    s.daemonset(ks, "csi-plugin", [
        s.container("disk-driver-registrar", REG + "csi-node-driver-registrar:v2.9.0-d48d2e0-"
                    "aliyun", None, "10m", "16Mi"),
        s.container("csi-plugin", REG + "csi-plugin:v1.33.1-67e8986-aliyun", 11260, "100m",
                    "128Mi", "1Gi")], s.ago(30 * DAY),
        init=[s.container("csi-plugin-init", REG + "csi-plugin:v1.33.1-67e8986-aliyun-init",
                          None, "10m", "16Mi")])
    s.daemonset(ks, "ack-node-problem-detector-daemonset", [s.container(
        "ack-node-problem-detector", REG + "node-problem-detector:v0.8.20-d31a2b5-aliyun", None,
        "0", "200Mi")], s.ago(30 * DAY))
    s.service(ks, "kube-dns", [{"name": "dns", "port": 53, "protocol": "UDP",
                                "targetPort": 53},
                               {"name": "dns-tcp", "port": 53, "protocol": "TCP",
                                "targetPort": 53},
                               {"name": "metrics", "port": 9153, "protocol": "TCP",
                                "targetPort": 9153}],
              {"k8s-app": "kube-dns"}, s.ago(30 * DAY), "192.168.0.10",
              labels={"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                      "kubernetes.io/name": "CoreDNS"})
    s.service(ks, "metrics-server", [{"name": "https", "port": 443, "protocol": "TCP",
                                      "targetPort": 443}], {"k8s-app": "metrics-server"},
              s.ago(30 * DAY), "192.168.12.201",
              labels={"kubernetes.io/cluster-service": "true",
                      "kubernetes.io/name": "metrics-server"})
    s.configmap(ks, "coredns", {"Corefile": ".:53 {\n    errors\n    health {\n       lameduck "
                                "15s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa "
                                "ip6.arpa {\n      pods verified\n      ttl 30\n      fallthrough"
                                " in-addr.arpa ip6.arpa\n    }\n    prometheus :9153\n    forward"
                                " . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n    "
                                "loadbalance\n}\n"}, s.ago(30 * DAY))
    s.secret(ks, "addon.network.token", "Opaque", {"addon.token.config": '{"AccessKeyId":'
             '"STS.NTx9simulatedAK","AccessKeySecret":"simulatedSecretValue0123456789",'
             '"SecurityToken":"CAIS-simulated-token"}'}, s.ago(30 * DAY))


def _shop(s):
    ns = "shop"
    created = s.ago(12 * DAY)
    web_c = s.container("nginx", "nginx:1.25.3", 80, "100m", "128Mi", "256Mi")
    web_c["volumeMounts"] = [{"name": "config", "mountPath": "/etc/nginx/conf.d",
                              "readOnly": True}]

    def old_image(t):
        t["spec"]["containers"][0]["image"] = "nginx:1.24.0"
    s.deployment(ns, "web", [web_c], 3, created, labels={"app": "web"},
                 pod_labels={"tier": "frontend"}, history=[old_image],
                 annotations={"kubernetes.io/change-cause":
                              "kubectl set image deployment/web nginx=nginx:1.25.3"},
                 volumes=[{"name": "config", "configMap": {"name": "web-config",
                                                           "defaultMode": 420}}])
    api_env = [{"name": "DB_HOST", "value": "redis-0.redis.shop.svc.cluster.local"},
               {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {
                   "name": "db-credentials", "key": "password"}}},
               {"name": "API_TOKEN", "value": "tok-3f9a1c7e5b2d4f60"},
               {"name": "LOG_LEVEL", "value": "info"}]
    api_c = s.container("api", ACME + "api:2.3.1", 8080, "250m", "256Mi", "512Mi", env=api_env)
    api_start = s.ago(3 * HOUR)

    def api_states(i, rs_created):
        if i == 0:
            return [{"kind": "running", "started": rs_created + 20}]
        return [{"kind": "crashloop", "restarts": 7, "last": {
            "reason": "Error", "exit": 1, "started": s.ago(7 * 60 + 2),
            "finished": s.ago(7 * 60)}}]
    dep, _ = s.deployment(ns, "api", [api_c], 2, api_start, labels={"app": "api"},
                          pod_labels={"tier": "backend"}, pod_states=api_states)
    cart_c = s.container("cart", ACME + "cart:1.4.2", 8080, "100m", "128Mi", "256Mi")
    s.deployment(ns, "cart", [cart_c], 3, s.ago(9 * DAY), labels={"app": "cart"},
                 node_for=lambda i: NODES[i % 2][0])
    worker_c = s.container("worker", ACME + "worker:1.8.0", None, "500m", "256Mi", "512Mi",
                           env=[{"name": "JAVA_OPTS", "value": "-Xmx768m"}])

    def worker_states(i, rs_created):
        return [{"kind": "running", "started": s.ago(25 * 60), "restarts": 3, "last": {
            "reason": "OOMKilled", "exit": 137, "started": s.ago(95 * 60),
            "finished": s.ago(25 * 60 + 3)}}]
    s.deployment(ns, "worker", [worker_c], 1, s.ago(5 * DAY), pod_states=worker_states)
    pay_c = s.container("payments", ACME + "payments:3.0.0", 8443, "2", "64Gi")
    pay_msg = ("0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 "
               "Insufficient memory. preemption: 0/3 nodes are available: 1 Preemption is not "
               "helpful for scheduling, 2 No preemption victims found for incoming pod.")
    s.deployment(ns, "payments", [pay_c], 1, s.ago(2 * HOUR),
                 pod_states=lambda i, t: [{"kind": "pending", "message": pay_msg}],
                 node_for=lambda i: None)
    rep_c = s.container("report", ACME + "report:9.9.9-missing", None, "100m", "64Mi")
    pull_msg = ('Back-off pulling image "%sreport:9.9.9-missing"' % ACME)
    s.deployment(ns, "report", [rep_c], 1, s.ago(40 * 60),
                 pod_states=lambda i, t: [{"kind": "pull", "reason": "ImagePullBackOff",
                                           "message": pull_msg}])
    redis_c = s.container("redis", "redis:7.2.4-alpine", 6379, "100m", "256Mi", "1Gi")
    s.statefulset(ns, "redis", [redis_c], 2, s.ago(12 * DAY))

    s.service(ns, "web", [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}],
              {"app": "web"}, created, "192.168.34.17", svc_type="LoadBalancer",
              lb_ip="47.96.12.34")
    s.service(ns, "api", [{"name": "http", "port": 8080, "protocol": "TCP",
                           "targetPort": 8080}], {"app": "api"}, created, "192.168.51.3")
    s.service(ns, "cart", [{"name": "http", "port": 8080, "protocol": "TCP",
                            "targetPort": 8080}], {"app": "cart"}, created, "192.168.51.9")
    s.service(ns, "redis", [{"name": "tcp-6379", "port": 6379, "protocol": "TCP",
                             "targetPort": 6379}], {"app": "redis"}, created, "", headless=True)
    s.configmap(ns, "web-config", {"default.conf": "server {\n    listen 80;\n    location / {\n"
                                   "        proxy_pass http://api:8080;\n    }\n}\n"}, created)
    s.configmap(ns, "api-config", {"app.yaml": "server:\n  port: 8080\ncache:\n  host: redis\n",
                                   "FEATURE_FLAGS": "checkout-v2,fast-cart"}, created)
    s.secret(ns, "db-credentials", "Opaque", {"username": "shop",
                                              "password": "S3cr3t-Pa55w0rd!"}, created)
    s.secret(ns, "web-tls", "kubernetes.io/tls", {
        "tls.crt": "-----BEGIN CERTIFICATE-----\nMIIBsimulated\n-----END CERTIFICATE-----\n",
        "tls.key": "-----BEGIN PRIVATE KEY-----\nMIIEsimulated\n-----END PRIVATE KEY-----\n"},
        created)
    s.secret(ns, "acr-credential", "kubernetes.io/dockerconfigjson", {
        ".dockerconfigjson": '{"auths":{"registry.cn-hangzhou.aliyuncs.com":{"username":"acme",'
                             '"password":"acr-pass-123","auth":"YWNtZTphY3ItcGFzcy0xMjM="}}}'},
        created)
    sa = s.serviceaccount(ns, "api", created)
    s.secret(ns, "api-token", "kubernetes.io/service-account-token", {
        "ca.crt": "-----BEGIN CERTIFICATE-----\nMIIDsimulated\n-----END CERTIFICATE-----\n",
        "namespace": ns,
        "token": "eyJhbGciOiJSUzI1NiIsImtpZCI6InNpbSJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6"
                 "c2hvcDphcGkifQ.c2ltdWxhdGVkLXNpZ25hdHVyZQ"}, created,
        annotations={"kubernetes.io/service-account.name": "api",
                     "kubernetes.io/service-account.uid": sa["metadata"]["uid"]})
    s.put({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": objects.meta("web", ns, {"app": "web"}, None, created, generation=1),
           "spec": {"ingressClassName": "alb", "rules": [{"host": "shop.example.com", "http": {
               "paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {
                   "name": "web", "port": {"number": 80}}}}]}}],
               "tls": [{"hosts": ["shop.example.com"], "secretName": "web-tls"}]},
           "status": {"loadBalancer": {"ingress": [{
               "hostname": "alb-simulated.cn-hangzhou.alb.aliyuncs.com"}]}}})
    s.put({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
           "metadata": objects.meta("web", ns, None, None, created, generation=1),
           "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "web"}}},
           "status": {"observedGeneration": 1, "disruptionsAllowed": 1, "currentHealthy": 3,
                      "desiredHealthy": 2, "expectedPods": 3, "conditions": [{
                          "type": "DisruptionAllowed", "status": "True", "reason": "SufficientPods",
                          "message": "", "observedGeneration": 1,
                          "lastTransitionTime": objects.ts(created)}]}})
    s.put({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": objects.meta("cart", ns, None, None, created),
           "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                       "name": "cart"}, "minReplicas": 3, "maxReplicas": 10,
                    "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                        "type": "Utilization", "averageUtilization": 70}}}]},
           "status": {"currentReplicas": 3, "desiredReplicas": 3, "currentMetrics": [{
               "type": "Resource", "resource": {"name": "cpu", "current": {
                   "averageUtilization": 23, "averageValue": "23m"}}}]}})

    # events for the pods worth diagnosing
    api_bad = s.find_pod(ns, "api-")
    for p in (e.obj for e in s.cl.store.entries(controllers.RES["Pod"], ns)):
        if p["metadata"]["name"].startswith("api-") and \
                p["status"]["containerStatuses"][0]["restartCount"]:
            api_bad = p
    node = api_bad["spec"]["nodeName"]
    fp = "spec.containers{api}"
    s.event(api_bad, "Normal", "Scheduled", "Successfully assigned shop/%s to %s" % (
        api_bad["metadata"]["name"], node), "default-scheduler", first=api_start + 10,
        last=api_start + 10)
    s.event(api_bad, "Normal", "Pulled", 'Container image "%sapi:2.3.1" already present on '
            "machine" % ACME, "kubelet", 8, api_start + 12, s.ago(7 * 60 + 3), fp, node)
    s.event(api_bad, "Normal", "Created", "Created container api", "kubelet", 8, api_start + 12,
            s.ago(7 * 60 + 3), fp, node)
    s.event(api_bad, "Normal", "Started", "Started container api", "kubelet", 8, api_start + 13,
            s.ago(7 * 60 + 2), fp, node)
    s.event(api_bad, "Warning", "BackOff", "Back-off restarting failed container api in pod "
            "%s_shop(%s)" % (api_bad["metadata"]["name"], api_bad["metadata"]["uid"]), "kubelet",
            164, api_start + 60, s.ago(40), fp, node)
    worker = s.find_pod(ns, "worker-")
    wnode = worker["spec"]["nodeName"]
    s.event(worker, "Normal", "Pulled", 'Container image "%sworker:1.8.0" already present on '
            "machine" % ACME, "kubelet", 4, s.ago(5 * DAY), s.ago(25 * 60 + 2),
            "spec.containers{worker}", wnode)
    s.event(worker, "Normal", "Started", "Started container worker", "kubelet", 4,
            s.ago(5 * DAY), s.ago(25 * 60), "spec.containers{worker}", wnode)
    s.event(worker, "Warning", "OOMKilling", "Memory cgroup out of memory: Killed process 2817 "
            "(java) total-vm:3281232kB, anon-rss:524104kB, file-rss:18916kB, shmem-rss:0kB, "
            "UID:0 pgtables:1416kB oom_score_adj:984", "kernel-monitor", 3, s.ago(3 * DAY),
            s.ago(25 * 60 + 3), host=wnode)
    pay = s.find_pod(ns, "payments-")
    s.event(pay, "Warning", "FailedScheduling", pay_msg, "default-scheduler", 25,
            s.ago(2 * HOUR), s.ago(4 * 60))
    rep = s.find_pod(ns, "report-")
    rnode = rep["spec"]["nodeName"]
    img = ACME + "report:9.9.9-missing"
    fp = "spec.containers{report}"
    s.event(rep, "Normal", "Scheduled", "Successfully assigned shop/%s to %s" % (
        rep["metadata"]["name"], rnode), "default-scheduler", 1, s.ago(40 * 60),
        s.ago(40 * 60))
    s.event(rep, "Normal", "Pulling", 'Pulling image "%s"' % img, "kubelet", 12, s.ago(40 * 60),
            s.ago(3 * 60), fp, rnode)
    s.event(rep, "Warning", "Failed", 'Failed to pull image "%s": rpc error: code = NotFound '
            'desc = failed to pull and unpack image "%s": failed to resolve reference "%s": '
            "%s: not found" % (img, img, img, img), "kubelet", 12, s.ago(40 * 60), s.ago(3 * 60),
            fp, rnode)
    s.event(rep, "Warning", "Failed", "Error: ErrImagePull", "kubelet", 12, s.ago(40 * 60),
            s.ago(3 * 60), fp, rnode)
    s.event(rep, "Normal", "BackOff", 'Back-off pulling image "%s"' % img, "kubelet", 160,
            s.ago(39 * 60), s.ago(20), fp, rnode)
    s.event(rep, "Warning", "Failed", "Error: ImagePullBackOff", "kubelet", 160, s.ago(39 * 60),
            s.ago(20), fp, rnode)
    web = s.cl.store.get(controllers.RES["Deployment"], ns, "web").obj
    rses = sorted(controllers.owned(s.cl, "ReplicaSet", ns, web["metadata"]["uid"]),
                  key=controllers._revision)
    s.event(web, "Normal", "ScalingReplicaSet", "Scaled up replica set %s to 3" % rses[-1][
        "metadata"]["name"], "deployment-controller", 1, created + HOUR, created + HOUR)
    s.event(web, "Normal", "ScalingReplicaSet", "Scaled down replica set %s to 0 from 3" % rses[
        0]["metadata"]["name"], "deployment-controller", 1, created + HOUR + 40,
        created + HOUR + 40)
    for name, size, phase in (("widget-a", 3, "Ready"), ("widget-b", 1, "Pending")):
        s.put({"apiVersion": "example.com/v1", "kind": "Widget",
               "metadata": objects.meta(name, ns, {"app": "web"}, None, created, generation=1),
               "spec": {"size": size, "color": "blue" if size > 1 else "red"},
               "status": {"phase": phase}})


def _monitoring(s):
    ns = "monitoring"
    created = s.ago(20 * DAY)
    s.daemonset(ns, "node-exporter", [s.container(
        "node-exporter", "quay.io/prometheus/node-exporter:v1.8.2", 9100, "10m", "32Mi")],
        created)
    init = [s.container("init-chown-data", "busybox:1.36", None, "10m", "16Mi",
                        args=["chown", "-R", "65534:65534", "/prometheus"])]
    s.deployment(ns, "prometheus", [
        s.container("prometheus", "quay.io/prometheus/prometheus:v2.54.1", 9090, "500m", "2Gi",
                    "4Gi"),
        s.container("config-reloader", "quay.io/prometheus-operator/prometheus-config-reloader:"
                    "v0.76.0", 8080, "10m", "32Mi")], 1, created, init=init,
        annotations=None, pod_labels=None)
    s.deployment(ns, "grafana", [s.container("grafana", "grafana/grafana:11.2.0", 3000, "100m",
                                             "256Mi")], 1, created)
    s.statefulset(ns, "alertmanager", [s.container(
        "alertmanager", "quay.io/prometheus/alertmanager:v0.27.0", 9093, "50m", "64Mi")], 1,
        created, storage="5Gi")
    s.service(ns, "prometheus", [{"name": "web", "port": 9090, "protocol": "TCP",
                                  "targetPort": 9090}], {"app": "prometheus"}, created,
              "192.168.77.5")
    s.service(ns, "grafana", [{"name": "http", "port": 80, "protocol": "TCP",
                               "targetPort": 3000}], {"app": "grafana"}, created, "192.168.77.9")
    s.configmap(ns, "prometheus-config", {"prometheus.yml": "global:\n  scrape_interval: 30s\n"
                                          "scrape_configs:\n  - job_name: node\n    "
                                          "kubernetes_sd_configs:\n      - role: node\n"},
                created)
    s.secret(ns, "grafana-admin", "Opaque", {"admin-user": "admin",
                                             "admin-password": "grafana-Adm1n!"}, created)


def _batch(s):
    ns = "batch"
    created = s.ago(20 * DAY)
    tmpl = {"metadata": {"labels": {"app": "nightly-report"}}, "spec": {
        "containers": [s.container("report", ACME + "report-job:1.2.0", None, "200m", "256Mi")],
        "restartPolicy": "OnFailure"}}
    objects.default_template(tmpl)
    cj = {"apiVersion": "batch/v1", "kind": "CronJob",
          "metadata": objects.meta("nightly-report", ns, None, None, created, generation=1),
          "spec": {"schedule": "0 2 * * *", "timeZone": "Asia/Shanghai",
                   "jobTemplate": {"metadata": {"creationTimestamp": None}, "spec": {
                       "template": tmpl}}}}
    objects.apply_defaults(cj)
    s.put(cj)
    last = None
    for days in (2, 1):
        start = s.ago(days * DAY - 3 * HOUR)
        last = start
        jname = "nightly-report-%d" % (start // 60)
        _job(s, ns, jname, tmpl, start, cj, 45)
    cj["status"] = {"lastScheduleTime": objects.ts(last),
                    "lastSuccessfulTime": objects.ts(last + 45)}
    s.put(cj)
    mig = copy.deepcopy(tmpl)
    mig["metadata"]["labels"] = {"app": "db-migrate"}
    mig["spec"]["containers"][0].update(name="migrate", image=ACME + "api:2.3.1",
                                        args=["migrate", "--to", "v42"])
    mig["spec"]["restartPolicy"] = "Never"
    _job(s, ns, "db-migrate-v42", mig, s.ago(3 * DAY), None, 12)
    imp = copy.deepcopy(tmpl)
    imp["metadata"]["labels"] = {"app": "data-import"}
    imp["spec"]["containers"][0].update(name="import", image=ACME + "importer:0.9.1")
    imp["spec"]["restartPolicy"] = "Never"
    job = _job(s, ns, "data-import", imp, s.ago(6 * HOUR), None, 30, fail=True)
    s.event(job, "Warning", "BackoffLimitExceeded", "Job has reached the specified backoff "
            "limit", "job-controller", 1, s.ago(6 * HOUR - 40), s.ago(6 * HOUR - 40))


def _job(s, ns, name, tmpl, start, owner, duration, fail=False):
    t = copy.deepcopy(tmpl)
    md = objects.meta(name, ns, None, None, start, owner=owner, generation=1)
    uid = md["uid"]
    t["metadata"]["labels"].update({"batch.kubernetes.io/controller-uid": uid,
                                    "batch.kubernetes.io/job-name": name,
                                    "controller-uid": uid, "job-name": name})
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": md,
           "spec": {"backoffLimit": 0 if fail else 6, "template": t,
                    "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
                    "manualSelector": False}}
    objects.apply_defaults(job)
    job["metadata"]["labels"] = {"batch.kubernetes.io/controller-uid": uid,
                                 "batch.kubernetes.io/job-name": name, "controller-uid": uid,
                                 "job-name": name}
    s.put(job)
    pname = "%s-%s" % (name, objects.safe_hash(name, 5))
    state = {"kind": "error" if fail else "completed", "started": start + 2,
             "finished": start + duration, "exit": 2}
    s.pod(job, pname, t, NODES[len(name) % 2][0], start, [state])
    end = objects.ts(start + duration)
    if fail:
        job["status"] = {"conditions": [
            {"type": "FailureTarget", "status": "True", "lastProbeTime": end,
             "lastTransitionTime": end, "reason": "BackoffLimitExceeded",
             "message": "Job has reached the specified backoff limit"},
            {"type": "Failed", "status": "True", "lastProbeTime": end,
             "lastTransitionTime": end, "reason": "BackoffLimitExceeded",
             "message": "Job has reached the specified backoff limit"}],
            "startTime": objects.ts(start), "failed": 1, "terminating": 0,
            "uncountedTerminatedPods": {}, "ready": 0}
    else:
        job["status"] = {"conditions": [
            {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": end,
             "lastTransitionTime": end, "reason": "CompletionsReached",
             "message": "Reached expected number of succeeded pods"},
            {"type": "Complete", "status": "True", "lastProbeTime": end,
             "lastTransitionTime": end, "reason": "CompletionsReached",
             "message": "Reached expected number of succeeded pods"}],
            "startTime": objects.ts(start), "completionTime": end, "succeeded": 1,
            "terminating": 0, "uncountedTerminatedPods": {}, "ready": 0}
    return s.put(job)


def _default(s):
    ns = "default"
    created = s.ago(15 * DAY)
    s.deployment(ns, "nginx", [s.container("nginx", "nginx:1.25.3", 80, "50m", "64Mi")], 2,
                 created)
    for name, image, args, age in (
            ("sleeper", "busybox:1.36", ["sleep", "infinity"], 6 * DAY),
            (BIG_LOG_POD[1], ACME + "log-generator:1.0", ["--rate", "600/s"], 2 * DAY)):
        tmpl = {"_ns": ns, "metadata": {"labels": {"run": name}}, "spec": {"containers": [
            s.container(name, image, None, "10m", "16Mi", args=args)]}}
        s.pod(None, name, tmpl, NODES[0][0], s.ago(age))
    s.service(ns, "kubernetes", [{"name": "https", "port": 443, "protocol": "TCP",
                                  "targetPort": 6443}], None, s.ago(30 * DAY), "192.168.0.1",
              labels={"component": "apiserver", "provider": "kubernetes"})


def _rbac(s):
    created = s.ago(30 * DAY)
    s.put({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
           "metadata": objects.meta("view", None, {
               "kubernetes.io/bootstrapping": "rbac-defaults"}, None, created),
           "rules": [{"apiGroups": ["", "apps", "batch"], "resources": ["*"],
                      "verbs": ["get", "list", "watch"]}]})
    s.put({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
           "metadata": objects.meta("cluster-admin", None, {
               "kubernetes.io/bootstrapping": "rbac-defaults"}, None, created),
           "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                     {"nonResourceURLs": ["*"], "verbs": ["*"]}]})
    s.put({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
           "metadata": objects.meta("sim-viewer", None, None, None, created),
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                       "name": "view"},
           "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                         "name": "sim-viewer"}]})
    s.put({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
           "metadata": objects.meta("api-config-reader", "shop", None, None, created),
           "rules": [{"apiGroups": [""], "resources": ["configmaps"],
                      "verbs": ["get", "list", "watch"]}]})
    s.put({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
           "metadata": objects.meta("api-config-reader", "shop", None, None, created),
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                       "name": "api-config-reader"},
           "subjects": [{"kind": "ServiceAccount", "name": "api", "namespace": "shop"}]})


def crd_object(created):
    """The CustomResourceDefinition behind widgets.example.com (also used by openapi.py)."""
    schema = {"type": "object", "description": "Widget is a simulated custom resource.",
              "properties": {
                  "apiVersion": {"type": "string"}, "kind": {"type": "string"},
                  "metadata": {"type": "object"},
                  "spec": {"type": "object", "description": "Desired state of the widget.",
                           "properties": {
                               "size": {"type": "integer", "minimum": 0,
                                        "description": "Number of parts."},
                               "color": {"type": "string", "description": "Paint colour."}}},
                  "status": {"type": "object", "properties": {
                      "phase": {"type": "string", "description": "Lifecycle phase."}}}}}
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": objects.meta("widgets.example.com", None, None, None, created,
                                     generation=1),
            "spec": {"group": "example.com", "names": {
                "plural": "widgets", "singular": "widget", "kind": "Widget",
                "listKind": "WidgetList", "shortNames": ["wg"], "categories": ["all"]},
                "scope": "Namespaced", "conversion": {"strategy": "None"},
                "versions": [{"name": "v1", "served": True, "storage": True,
                              "schema": {"openAPIV3Schema": schema},
                              "subresources": {"status": {}},
                              "additionalPrinterColumns": [
                                  {"name": "Size", "type": "integer",
                                   "jsonPath": ".spec.size"},
                                  {"name": "Phase", "type": "string",
                                   "jsonPath": ".status.phase"},
                                  {"name": "Age", "type": "date",
                                   "jsonPath": ".metadata.creationTimestamp"}]}]},
            "status": {"acceptedNames": {"plural": "widgets", "singular": "widget",
                                         "kind": "Widget", "listKind": "WidgetList",
                                         "shortNames": ["wg"], "categories": ["all"]},
                       "storedVersions": ["v1"], "conditions": [
                           {"type": "NamesAccepted", "status": "True",
                            "lastTransitionTime": objects.ts(created), "reason": "NoConflicts",
                            "message": "no conflicts found"},
                           {"type": "Established", "status": "True",
                            "lastTransitionTime": objects.ts(created),
                            "reason": "InitialNamesAccepted",
                            "message": "the initial names have been accepted"}]}}


def _crd(s):
    s.put(crd_object(s.ago(20 * DAY)))
