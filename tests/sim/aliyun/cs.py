"""Container Service for Kubernetes (CS, 2015-12-15, ROA style) on top of state.World."""

import base64
import json
import re
from urllib.parse import unquote

import errors
import state
from accounts import ACCOUNT_ID, iso_z
from common import cs_param_error, ok

VERSION = "2015-12-15"

# (method, path pattern, action, class). Classes: read, write (mutates), job (starts a server-side job
# that changes nothing in the cluster; RAM still treats it as a non-read action).
ROUTES = [
    ("GET", r"/api/v1/clusters", "DescribeClustersV1", "read"),
    ("GET", r"/clusters/(?P<cid>[^/]+)", "DescribeClusterDetail", "read"),
    ("GET", r"/k8s/(?P<cid>[^/]+)/user_config", "DescribeClusterUserKubeconfig", "read"),
    ("GET", r"/clusters/(?P<cid>[^/]+)/nodepools", "DescribeClusterNodePools", "read"),
    ("GET", r"/clusters/(?P<cid>[^/]+)/nodepools/(?P<np>[^/]+)", "DescribeClusterNodePoolDetail", "read"),
    ("POST", r"/clusters/(?P<cid>[^/]+)/nodepools/(?P<np>[^/]+)", "ScaleClusterNodePool", "write"),
    ("PUT", r"/clusters/(?P<cid>[^/]+)/nodepools/(?P<np>[^/]+)", "ModifyClusterNodePool", "write"),
    ("DELETE", r"/clusters/(?P<cid>[^/]+)/nodepools/(?P<np>[^/]+)/nodes", "RemoveNodePoolNodes", "write"),
    ("GET", r"/clusters/(?P<cid>[^/]+)/nodes", "DescribeClusterNodes", "read"),
    ("GET", r"/clusters/(?P<cid>[^/]+)/tasks", "DescribeClusterTasks", "read"),
    ("GET", r"/tasks/(?P<tid>[^/]+)", "DescribeTaskInfo", "read"),
    ("POST", r"/tasks/(?P<tid>[^/]+)/cancel", "CancelTask", "write"),
    ("POST", r"/tasks/(?P<tid>[^/]+)/pause", "PauseTask", "write"),
    ("POST", r"/tasks/(?P<tid>[^/]+)/resume", "ResumeTask", "write"),
    ("POST", r"/clusters/(?P<cid>[^/]+)/diagnosis", "CreateClusterDiagnosis", "job"),
    ("GET", r"/clusters/(?P<cid>[^/]+)/diagnosis/(?P<did>[^/]+)/result", "GetClusterDiagnosisResult", "read"),
    ("GET", r"/clusters/(?P<cid>[^/]+)/diagnosis/(?P<did>[^/]+)/check_items", "GetClusterDiagnosisCheckItems",
     "read"),
    ("POST", r"/clusters/(?P<cid>[^/]+)/inspectReports", "RunClusterInspect", "job"),
    ("GET", r"/clusters/(?P<cid>[^/]+)/inspectReports", "ListClusterInspectReports", "read"),
    ("GET", r"/clusters/(?P<cid>[^/]+)/inspectReports/(?P<rid>[^/]+)", "GetClusterInspectReportDetail", "read"),
    ("GET", r"/clusters/(?P<cid>[^/]+)/audit", "GetClusterAuditProject", "read"),
    ("GET", r"/clusters/(?P<cid>[^/]+)/controlplanelog", "CheckControlPlaneLogEnable", "read"),
]
_COMPILED = [(m, re.compile("^" + p + "/?$"), a, k) for m, p, a, k in ROUTES]
ACTIONS = {a: k for _, _, a, k in ROUTES}

DIAG_TYPES = ("node", "ingress", "cluster", "memory", "pod", "service", "network")
DIAG_TARGET_KEYS = {"node": ("name",), "pod": ("namespace", "name"), "service": ("namespace", "name"),
                    "ingress": ("url",), "memory": ("node",), "network": ("src", "dst"), "cluster": ()}


def route(method, raw_path):
    """(action, class, args) for a CS path, or None. The path is matched segment-decoded."""
    path = "/".join(unquote(seg) for seg in raw_path.split("/"))
    for m, rx, action, klass in _COMPILED:
        mo = rx.match(path)
        if mo and m == method:
            return action, klass, mo.groupdict()
    return None


def public(obj):
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def handle(call):
    fn = HANDLERS[call.action]
    with call.world.lock:
        return fn(call)


# ------------------------------------------------------------------ clusters

def describe_clusters(call):
    w = call.world
    size = call.int_param("page_size", 10, 1, 100, cs_param_error)
    number = call.int_param("page_number", 1, 1, None, cs_param_error)
    items = sorted(w.clusters.values(), key=lambda c: c["created"], reverse=True)
    name = call.param("name")
    if name:
        items = [c for c in items if name in c["name"]]
    for key in ("cluster_type", "cluster_spec", "profile", "region_id", "cluster_id"):
        val = call.param(key)
        if val:
            items = [c for c in items if c.get(key) == val]
    page = items[(number - 1) * size: number * size]
    return ok({"clusters": [public(c) for c in page],
               "page_info": {"page_number": number, "page_size": size, "total_count": len(items)}})


def describe_cluster_detail(call):
    c = call.world.cluster(call.args["cid"])
    body = public(c)
    body["parameters"] = {"KubernetesVersion": c["current_version"], "ProxyMode": c["proxy_mode"]}
    return ok(body)


def describe_user_kubeconfig(call):
    w = call.world
    c = w.cluster(call.args["cid"])
    private = call.bool_param("PrivateIpAddress", False, cs_param_error)
    minutes = call.int_param("TemporaryDurationMinutes", None, 15, 4320, cs_param_error)
    master = json.loads(c["master_url"])
    server = master["intranet_api_server_endpoint"] if private else master["api_server_endpoint"]
    if not server:
        raise errors.cs(400, "ErrorPublicEndpointNotEnabled",
                        f"Cluster {c['cluster_id']} has no public API server endpoint; "
                        "bind an EIP or request PrivateIpAddress=true.")
    lifetime = (minutes or 3 * 365 * 24 * 60) * 60
    expires = w.clock.now() + lifetime
    w.kubeconfigs_issued += 1
    return ok({"config": kubeconfig_yaml(w.k8s, c["cluster_id"], server), "expiration": iso_z(expires)})


def kubeconfig_yaml(k8s, cid, server):
    user = ACCOUNT_ID
    ctx = f"{user}-{cid}"
    lines = ["apiVersion: v1", "clusters:", "- cluster:", f"    server: {server}"]
    if k8s.get("ca_data"):
        lines.append(f"    certificate-authority-data: {k8s['ca_data']}")
    elif server.startswith("https://") and k8s.get("insecure"):
        lines.append("    insecure-skip-tls-verify: true")
    lines += ["  name: kubernetes", "contexts:", "- context:", "    cluster: kubernetes",
              f'    user: "{user}"', f"  name: {ctx}", f"current-context: {ctx}", "kind: Config",
              "preferences: {}", "users:", f'- name: "{user}"', "  user:"]
    if k8s.get("cert_data") and k8s.get("key_data"):
        lines += [f"    client-certificate-data: {k8s['cert_data']}", f"    client-key-data: {k8s['key_data']}"]
    if k8s.get("token"):
        lines.append(f"    token: {k8s['token']}")
    if not (k8s.get("token") or k8s.get("cert_data")):
        lines.append("    token: sim-" + state.h("kubeconfig-token:" + cid, 24))
    return "\n".join(lines) + "\n"


def audit_project(call):
    c = call.world.cluster(call.args["cid"])
    return ok({"sls_project_name": f"k8s-log-{c['cluster_id']}" if c["_audit"] else "",
               "audit_enabled": bool(c["_audit"])})


def controlplane_log(call):
    c = call.world.cluster(call.args["cid"])
    staging = c["cluster_id"] == state.CLUSTER_STAGING
    return ok({"log_project": f"k8s-log-{c['cluster_id']}", "log_ttl": 7 if staging else "30",
               "aliuid": ACCOUNT_ID, "components": list(c["_controlplane"])})


# ------------------------------------------------------------------ node pools and nodes

def describe_nodepools(call):
    w = call.world
    w.cluster(call.args["cid"])
    name = call.param("NodepoolName")
    pools = [public(p) for p in w.nodepools[call.args["cid"]].values()
             if not name or p["nodepool_info"]["name"] == name]
    return ok({"nodepools": pools})


def describe_nodepool_detail(call):
    return ok(public(call.world.nodepool(call.args["cid"], call.args["np"])))


def describe_nodes(call):
    w = call.world
    cid = call.args["cid"]
    w.cluster(cid)
    number = call.int_param("pageNumber", 1, 1, None, cs_param_error)
    size = call.int_param("pageSize", 10, 1, 100, cs_param_error)
    nodes = list(w.nodes[cid])
    npid = call.param("nodepool_id")
    if npid:
        w.nodepool(cid, npid)
        nodes = [n for n in nodes if n["nodepool_id"] == npid]
    st = call.param("state", "all")
    if st not in ("all", "running", "removing", "initial", "failed"):
        raise cs_param_error("state", f"{st!r} is not one of all, running, removing, initial, failed.")
    if st != "all":
        nodes = [n for n in nodes if n["state"] == st]
    ids = call.param("instanceIds")
    if ids:
        wanted = {i.strip() for i in ids.split(",") if i.strip()}
        nodes = [n for n in nodes if n["instance_id"] in wanted]
    page = nodes[(number - 1) * size: number * size]
    return ok({"nodes": [dict(n) for n in page],
               "page": {"page_number": number, "page_size": size, "total_count": len(nodes)}})


def _require_running(c):
    if c["state"] not in ("running",):
        raise errors.cs(400, "ErrorClusterStateConflict",
                        f"The cluster {c['cluster_id']} is {c['state']}; the operation needs a running cluster.")


def scale_nodepool(call):
    w = call.world
    c = w.cluster(call.args["cid"])
    w.nodepool(c["cluster_id"], call.args["np"])
    body = call.json_body(lambda d: cs_param_error("body", d))
    count = body.get("count")
    if isinstance(count, bool) or not isinstance(count, int):
        raise cs_param_error("count", "count must be an integer: the number of nodes to add.")
    if not 1 <= count <= 500:
        raise cs_param_error("count", f"count {count} is outside [1, 500].")
    _require_running(c)
    t = w.scale_out(c["cluster_id"], call.args["np"], count)
    return ok({"task_id": t.task_id, "request_id": call.request_id})


def modify_nodepool(call):
    w = call.world
    c = w.cluster(call.args["cid"])
    w.nodepool(c["cluster_id"], call.args["np"])
    body = call.json_body(lambda d: cs_param_error("body", d))
    desired = (body.get("scaling_group") or {}).get("desired_size")
    if isinstance(desired, bool) or not isinstance(desired, int) or desired < 0:
        raise cs_param_error("scaling_group.desired_size", "a non-negative integer is required.")
    _require_running(c)
    t = w.set_desired(c["cluster_id"], call.args["np"], desired)
    return ok({"task_id": t.task_id, "nodepool_id": call.args["np"], "request_id": call.request_id})


def remove_nodes(call):
    w = call.world
    c = w.cluster(call.args["cid"])
    cid, npid = c["cluster_id"], call.args["np"]
    w.nodepool(cid, npid)
    raw = call.param("instance_ids")
    names_raw = call.param("nodes")
    ids = []
    if raw:
        try:
            ids = json.loads(raw)
        except ValueError:
            raise cs_param_error("instance_ids", 'instance_ids must be a JSON array, e.g. ["i-a","i-b"].')
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise cs_param_error("instance_ids", "instance_ids must be a JSON array of strings.")
    elif names_raw:
        try:
            names = json.loads(names_raw)
        except ValueError:
            raise cs_param_error("nodes", "nodes must be a JSON array of node names.")
        by_name = {n["node_name"]: n["instance_id"] for n in w.nodes[cid]}
        ids = [by_name.get(n, n) for n in names]
    if not ids:
        raise cs_param_error("instance_ids", "at least one instance id is required.")
    if len(ids) > 100:
        raise cs_param_error("instance_ids", "at most 100 instances per call.")
    release = call.bool_param("release_node", False, cs_param_error)
    drain = call.bool_param("drain_node", True, cs_param_error)
    call.bool_param("concurrency", False, cs_param_error)
    _require_running(c)
    t = w.remove_nodes(cid, npid, ids, release, drain)
    return ok({"task_id": t.task_id, "request_id": call.request_id})


# ------------------------------------------------------------------ tasks

def describe_cluster_tasks(call):
    w = call.world
    cid = call.args["cid"]
    w.cluster(cid)
    number = call.int_param("page_number", 1, 1, None, cs_param_error)
    size = call.int_param("page_size", 10, 1, 100, cs_param_error)
    tasks = sorted((t for t in w.tasks.values() if t.cluster_id == cid), key=lambda t: t.created, reverse=True)
    page = tasks[(number - 1) * size: number * size]
    return ok({"tasks": [w.task_view(t, detail=False) for t in page],
               "page_info": {"page_number": number, "page_size": size, "total_count": len(tasks)},
               "requestId": call.request_id})


def describe_task_info(call):
    w = call.world
    return ok(w.task_view(w.task(call.args["tid"])))


def task_control(op):
    def fn(call):
        call.world.control_task(call.args["tid"], op)
        return ok({})
    return fn


# ------------------------------------------------------------------ diagnosis

def create_diagnosis(call):
    w = call.world
    c = w.cluster(call.args["cid"])
    body = call.json_body(lambda d: cs_param_error("body", d))
    dtype = body.get("type")
    if dtype not in DIAG_TYPES:
        raise cs_param_error("type", f"type must be one of {', '.join(DIAG_TYPES)}.")
    target = body.get("target", {})
    if isinstance(target, str):
        try:
            target = json.loads(target) if target else {}
        except ValueError:
            raise cs_param_error("target", "target is not a JSON object.")
    if not isinstance(target, dict):
        raise cs_param_error("target", "target must be an object.")
    missing = [k for k in DIAG_TARGET_KEYS[dtype] if not target.get(k)]
    if missing:
        raise cs_param_error("target", f"target.{missing[0]} is required for a {dtype} diagnosis.")
    did = w.create_diagnosis(c["cluster_id"], dtype, target)
    return ok({"diagnosis_id": did, "cluster_id": c["cluster_id"], "request_id": call.request_id})


def _target_problem(w, d):
    """Why the diagnosed object does not exist, or None."""
    cid, t = d["cluster_id"], d["target"]
    node_names = {n["node_name"] for n in w.nodes[cid]}
    if d["type"] == "node" and t.get("name") not in node_names:
        return f"node {t.get('name')} not found in cluster {cid}"
    if d["type"] == "memory" and t.get("node") not in node_names:
        return f"node {t.get('node')} not found in cluster {cid}"
    if d["type"] == "pod":
        pods = {(p["namespace"], p["pod"]) for p in w.pods(cid)}
        if (t.get("namespace"), t.get("name")) not in pods:
            return f"pod {t.get('namespace')}/{t.get('name')} not found"
    return None


def _checks(w, d, language):
    zh = language == "zh_CN"
    problem = _target_problem(w, d)
    items = []
    for i, (name, group, desc) in enumerate(state.DIAGNOSIS_CHECKS[d["type"]]):
        level = "normal"
        message = "正常" if zh else "OK"
        if d["mode"] == "fail" or problem:
            level = "error" if i == 0 else "normal"
            if i == 0:
                message = problem or ("诊断执行失败" if zh else "diagnosis agent failed to run")
        elif i == 1:
            level, message = "warning", ("存在告警" if zh else f"{desc}: degraded, see refer")
        items.append({"name": name, "group": group, "desc": desc, "display": desc.capitalize(),
                      "value": "ok" if level == "normal" else level,
                      "refer": "https://help.aliyun.com/zh/ack/diagnosis/" + name.lower(),
                      "level": level, "message": message})
    return items, problem


def diagnosis_result(call):
    w = call.world
    d, status = w.diagnosis(call.args["cid"], call.args["did"])
    language = call.param("language", "en_US")
    body = {"diagnosis_id": d["diagnosis_id"], "status": status, "code": 0, "message": "",
            "type": d["type"], "target": json.dumps(d["target"], separators=(",", ":")),
            "created": state.diag_time(d["created"]), "finished": None, "result": None}
    if status == 2:
        items, problem = _checks(w, d, language)
        failed = d["mode"] == "fail" or problem is not None
        body["code"] = 1 if failed else 0
        body["message"] = ("failed: " + (problem or "diagnosis agent failed to run")) if failed else "success"
        body["finished"] = state.diag_time(d["created"] + d["duration"])
        summary = {"normal": sum(1 for i in items if i["level"] == "normal"),
                   "warning": sum(1 for i in items if i["level"] == "warning"),
                   "error": sum(1 for i in items if i["level"] == "error")}
        result = {"phase": 5, "version": "20240101", "summary": summary,
                  "findings": [{"name": i["name"], "level": i["level"], "message": i["message"]}
                               for i in items if i["level"] != "normal"]}
        body["result"] = json.dumps(result, separators=(",", ":"), ensure_ascii=False)
    return ok(body)


def diagnosis_check_items(call):
    w = call.world
    d, status = w.diagnosis(call.args["cid"], call.args["did"])
    items = []
    if status == 2:
        items, _ = _checks(w, d, call.param("language", "en_US"))
    return ok({"check_items": items, "code": "200", "is_success": True, "request_id": call.request_id})


# ------------------------------------------------------------------ inspection

def _token(index):
    return base64.urlsafe_b64encode(f"offset:{index}".encode()).decode().rstrip("=")


def _untoken(token, name):
    if not token:
        return 0
    try:
        pad = "=" * (-len(token) % 4)
        text = base64.urlsafe_b64decode(token + pad).decode()
        if not text.startswith("offset:"):
            raise ValueError
        return int(text[7:])
    except (ValueError, UnicodeDecodeError):
        raise cs_param_error(name, "nextToken is not valid.")


def _report_items(w, r, language):
    cid = r["cluster_id"]
    zh = language == "zh_CN"
    nodes = w.nodes[cid]
    pools = list(w.nodepools[cid])
    c = w.clusters[cid]
    items = []
    for i, (cat, uid, name, level, ttype, abnormal) in enumerate(state.INSPECT_ITEMS):
        if ttype == "Node":
            targets = [n["node_name"] for n in nodes[: 1 + i % 2]]
        elif ttype == "NodePool":
            targets = pools[:1]
        elif ttype == "CLB":
            targets = [c["external_loadbalancer_id"]]
        elif ttype in ("Deployment", "Pod"):
            targets = ["kube-system/coredns"] if "CoreDNS" in uid else ["shop/web"]
        else:
            targets = [cid]
        items.append({"category": cat, "checkItemUid": uid, "name": name,
                      "description": (f"检查项：{name}" if zh else f"Checks {name[0].lower() + name[1:]}."),
                      "fix": ("请参考文档修复" if zh else f"See https://help.aliyun.com/zh/ack/inspection/{uid}"),
                      "level": level, "result": "true" if abnormal else "false", "targetType": ttype,
                      "targets": targets})
    return items


def _summary(items):
    ab = [i for i in items if i["result"] == "true"]
    errs = sum(1 for i in ab if i["level"] in ("error", "critical"))
    warns = sum(1 for i in ab if i["level"] == "warning")
    advice = sum(1 for i in ab if i["level"] == "advice")
    code = "error" if errs else "warning" if warns else "advice" if advice else "normal"
    return {"code": code, "errorCount": errs, "warnCount": warns, "adviceCount": advice,
            "normalCount": len(items) - len(ab)}


def _report_head(w, r):
    st = w.report_status(r)
    items = _report_items(w, r, "en_US") if st == "completed" else []
    return {"reportId": r["reportId"], "startTime": state.cs_time(r["created"]),
            "endTime": state.cs_time(r["created"] + r["duration"]) if st != "running" else None,
            "status": st, "summary": _summary(items) if st == "completed" else
            {"code": "", "errorCount": 0, "warnCount": 0, "adviceCount": 0, "normalCount": 0}}


def run_inspect(call):
    w = call.world
    c = w.cluster(call.args["cid"])
    if c["cluster_id"] == state.CLUSTER_EDGE:
        raise errors.cs(400, "ErrorInspectionNotSupported",
                        "Cluster inspection is not supported for clusters of profile Edge.")
    body = call.json_body(lambda d: cs_param_error("body", d))
    r = w.run_inspect(c["cluster_id"], body.get("clientToken"))
    return ok({"reportId": r["reportId"], "taskId": r["taskId"], "requestId": call.request_id})


def list_inspect_reports(call):
    w = call.world
    cid = call.args["cid"]
    w.cluster(cid)
    size = call.int_param("maxResults", 20, 1, 50, cs_param_error)
    start = _untoken(call.param("nextToken"), "nextToken")
    reports = sorted(w.reports.get(cid, []), key=lambda r: r["created"], reverse=True)
    page = reports[start: start + size]
    body = {"reports": [_report_head(w, r) for r in page], "requestId": call.request_id}
    if start + size < len(reports):
        body["nextToken"] = _token(start + size)
    return ok(body)


def inspect_report_detail(call):
    w = call.world
    cid = call.args["cid"]
    w.cluster(cid)
    r = next((r for r in w.reports.get(cid, []) if r["reportId"] == call.args["rid"]), None)
    if r is None:
        raise errors.cs(404, "ErrorReportNotFound", f"The inspect report {call.args['rid']} not found.")
    size = call.int_param("maxResults", 20, 1, 50, cs_param_error)
    start = _untoken(call.param("nextToken"), "nextToken")
    language = call.param("language", "en_US")
    if language not in ("zh_CN", "en_US"):
        raise cs_param_error("language", "language must be zh_CN or en_US.")
    head = _report_head(w, r)
    items = _report_items(w, r, language) if head["status"] == "completed" else []
    if call.bool_param("enableFilter", False, cs_param_error):
        items = [i for i in items if i["result"] == "true"]
    for key, field in (("category", "category"), ("level", "level"), ("targetType", "targetType")):
        val = call.param(key)
        if val:
            items = [i for i in items if i[field] == val]
    body = dict(head, checkItemResults=items[start: start + size], requestId=call.request_id)
    if start + size < len(items):
        body["nextToken"] = _token(start + size)
    return ok(body)


HANDLERS = {
    "DescribeClustersV1": describe_clusters,
    "DescribeClusterDetail": describe_cluster_detail,
    "DescribeClusterUserKubeconfig": describe_user_kubeconfig,
    "DescribeClusterNodePools": describe_nodepools,
    "DescribeClusterNodePoolDetail": describe_nodepool_detail,
    "ScaleClusterNodePool": scale_nodepool,
    "ModifyClusterNodePool": modify_nodepool,
    "RemoveNodePoolNodes": remove_nodes,
    "DescribeClusterNodes": describe_nodes,
    "DescribeClusterTasks": describe_cluster_tasks,
    "DescribeTaskInfo": describe_task_info,
    "CancelTask": task_control("cancel"),
    "PauseTask": task_control("pause"),
    "ResumeTask": task_control("resume"),
    "CreateClusterDiagnosis": create_diagnosis,
    "GetClusterDiagnosisResult": diagnosis_result,
    "GetClusterDiagnosisCheckItems": diagnosis_check_items,
    "RunClusterInspect": run_inspect,
    "ListClusterInspectReports": list_inspect_reports,
    "GetClusterInspectReportDetail": inspect_report_detail,
    "GetClusterAuditProject": audit_project,
    "CheckControlPlaneLogEnable": controlplane_log,
}
