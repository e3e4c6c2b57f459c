"""ARMS (2019-08-08, RPC style) Prometheus instance APIs, and the Prometheus HTTP API behind
each instance's HttpApiInterUrl.

Prometheus instances: prod-hz has a V2 instance (HTTP Basic auth with an AccessKey id and secret,
permanent or STS), staging-sh a V1 instance with EnableAuthToken="true" (the AuthToken goes in the
Authorization header, raw or as "Bearer <token>"). No other cluster has one.

The query engine is not PromQL. It evaluates the first known metric selector of the query with
its label matchers (=, !=, =~, !~), applies rate()/irate()/increase() when present, and an outer
sum/avg/max/min/count [by (...)] aggregation. Values are deterministic functions of the series
and the timestamp: daily and hourly waves around a share of the container's request, so the
same query always returns the same numbers for the same times.
"""

import base64
import functools
import json
import math
import re
from datetime import datetime, timezone
from urllib.parse import unquote

import errors
import signing
import state
from accounts import ACCOUNT_ID
from common import ok

VERSION = "2019-08-08"
ACTIONS = {"GetPrometheusInstance": "read", "ListPrometheusInstances": "read", "GetPrometheusApiToken": "read"}

PROM_PREFIX = "/api/v1/prometheus/"
V1_TOKEN = "sim-arms-v1-token-" + state.h("v1-token", 16)


def instance_path(cluster, intranet=False):
    cid, region = cluster["cluster_id"], cluster["region_id"]
    return (f"{PROM_PREFIX}{state.h(('intra:' if intranet else 'inter:') + cid, 20)}/{ACCOUNT_ID}/{cid}/{region}")


def _params(call):
    return dict(signing.rpc_params(call.req))


def get_instance(call):
    p = _params(call)
    for name in ("RegionId", "ClusterId"):
        if not p.get(name):
            raise errors.missing_parameter(name)
    c = call.world.clusters.get(p["ClusterId"])
    data = None
    if c and c["_prometheus"] and c["region_id"] == p["RegionId"]:
        base = call.app.public_url
        v1 = c["_prometheus"] == "V1"
        data = {"ClusterId": c["cluster_id"], "ClusterName": c["name"], "ClusterType": "aliyun-cs",
                "RegionId": c["region_id"], "Version": c["_prometheus"],
                "HttpApiInterUrl": base + instance_path(c), "HttpApiIntraUrl": base + instance_path(c, True),
                "RemoteWriteInterUrl": base + instance_path(c) + "/api/v3/write",
                "RemoteWriteIntraUrl": base + instance_path(c, True) + "/api/v3/write",
                "RemoteReadInterUrl": base + instance_path(c) + "/api/v1/read",
                "RemoteReadIntraUrl": base + instance_path(c, True) + "/api/v1/read",
                "PushGatewayInterUrl": "", "PushGatewayIntraUrl": "",
                "EnableAuthToken": "true" if v1 else "false", "AuthToken": V1_TOKEN if v1 else None,
                "SupportAuthTypes": ["token"] if v1 else ["basic"], "EnableAuthFreeRead": False,
                "AuthFreeReadPolicy": "", "AccessType": "readWrite", "PaymentType": "POSTPAY",
                "StorageDuration": 15, "VpcId": c["vpc_id"], "VSwitchId": c["vswitch_id"],
                "SecurityGroupId": c["security_group_id"], "GrafanaInstanceId": "grafana-" + state.h(c["cluster_id"], 12),
                "ResourceGroupId": c["resource_group_id"], "Tags": []}
    return ok({"RequestId": call.request_id, "Code": 200, "Message": "success", "Success": True, "Data": data})


def list_instances(call):
    p = _params(call)
    for name in ("RegionId", "ShowGlobalView"):
        if not p.get(name):
            raise errors.missing_parameter(name)
    ctype = p.get("ClusterType")
    out = []
    for c in call.world.clusters.values():
        if not c["_prometheus"] or c["region_id"] != p["RegionId"]:
            continue
        if ctype and ctype not in ("aliyun-cs", c["cluster_type"]):
            continue
        out.append({"clusterId": c["cluster_id"], "clusterName": c["name"], "clusterType": "aliyun-cs",
                    "regionId": c["region_id"], "isClusterRunning": c["state"] == "running",
                    "createTime": c["created"], "version": c["_prometheus"], "paymentType": "POSTPAY"})
    return ok({"RequestId": call.request_id, "Code": 200, "Message": "success", "Success": True,
               "Data": json.dumps(out, separators=(",", ":"))})


def get_api_token(call):
    p = _params(call)
    if not p.get("RegionId"):
        raise errors.missing_parameter("RegionId")
    return ok({"RequestId": call.request_id, "Token": "sim-integration-" + state.h("api-token:" + p["RegionId"], 20)})


HANDLERS = {"GetPrometheusInstance": get_instance, "ListPrometheusInstances": list_instances,
            "GetPrometheusApiToken": get_api_token}


def handle(call):
    with call.world.lock:
        return HANDLERS[call.action](call)


# ====================================================================== Prometheus HTTP API

PROM_OPS = {"query": "PromQuery", "query_range": "PromQueryRange", "labels": "PromLabels",
            "series": "PromSeries", "label": "PromLabelValues"}


def prom_route(path):
    """(cluster id, region, op, label name) for an instance URL, or None."""
    rest = unquote(path[len(PROM_PREFIX):]).strip("/").split("/")
    if len(rest) < 7 or rest[4:6] != ["api", "v1"]:
        return None
    cid, region, op = rest[2], rest[3], rest[6]
    label = None
    if op == "label" and len(rest) == 9 and rest[8] == "values":
        label = rest[7]
    elif len(rest) != 7:
        return None
    if op not in PROM_OPS:
        return None
    return cid, region, op, label


def bad_data(msg, status=400):
    return errors.ApiError(status, "bad_data", msg, family="prom")


def prom_auth(call, cluster):
    """Checks the instance's auth mode; returns a short description for the request log."""
    auth = call.req.headers.get("authorization") or ""
    if cluster["_prometheus"] == "V1":
        token = auth[7:] if auth.startswith("Bearer ") else auth
        if not signing.constant_eq(token, V1_TOKEN):
            raise errors.ApiError(401, "unauthorized", "authentication token is missing or invalid", family="prom")
        return "token", None
    if not auth.startswith("Basic "):
        raise errors.ApiError(401, "unauthorized", "basic authentication with an AccessKey is required",
                              family="prom", headers={"www-authenticate": 'Basic realm="arms"'})
    try:
        user, _, password = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        raise errors.ApiError(401, "unauthorized", "malformed basic credentials", family="prom")
    cred = call.app.auth.check_basic(user, password)
    if cred is None:
        raise errors.ApiError(401, "unauthorized", "invalid AccessKey for this Prometheus instance", family="prom")
    return "basic", cred


def parse_time(raw, name, default=None):
    if raw is None or raw == "":
        if default is None:
            raise bad_data(f'invalid parameter "{name}": missing')
        return default
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()
    except ValueError:
        raise bad_data(f'invalid parameter "{name}": cannot parse "{raw}" to a valid timestamp')


DUR = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)?$")
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000, None: 1}


def parse_step(raw):
    if raw is None or raw == "":
        raise bad_data('invalid parameter "step": missing')
    m = DUR.match(raw)
    if not m:
        raise bad_data(f'invalid parameter "step": cannot parse "{raw}" to a valid duration')
    v = float(m.group(1)) * UNITS[m.group(2)]
    if v <= 0:
        raise bad_data("zero or negative query resolution step widths are not accepted. Try a positive integer")
    return v


KEYWORDS = {"sum", "avg", "max", "min", "count", "by", "without", "rate", "irate", "increase", "delta",
            "topk", "bottomk", "quantile", "histogram_quantile", "abs", "ceil", "floor", "round", "time",
            "vector", "scalar", "and", "or", "unless", "on", "ignoring", "group_left", "group_right", "offset",
            "avg_over_time", "max_over_time", "min_over_time", "sum_over_time", "count_over_time", "absent",
            "label_replace", "clamp_max", "clamp_min", "bool", "stddev", "stdvar", "sort", "sort_desc"}
SELECTOR = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?')
MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
AGG_HEAD = re.compile(r'^\s*(sum|avg|max|min|count)\s*(?:(by|without)\s*\(([^)]*)\)\s*)?\(', re.S)
AGG_TAIL = re.compile(r'^\s*(?:(by|without)\s*\(([^)]*)\))?\s*$', re.S)


def parse_agg(q):
    """(op, 'by'|'without'|None, [labels]) when the whole query is one aggregation, else None."""
    m = AGG_HEAD.match(q)
    if not m:
        return None
    depth, i = 1, m.end()
    while i < len(q) and depth:
        depth += {"(": 1, ")": -1}.get(q[i], 0)
        i += 1
    if depth:
        return None
    tail = AGG_TAIL.match(q[i:])
    if not tail:
        return None
    mode, names = (m.group(2), m.group(3)) if m.group(2) else (tail.group(1), tail.group(2))
    return m.group(1), mode, [x.strip() for x in (names or "").split(",") if x.strip()]


class Series:
    def __init__(self, labels, fn):
        self.labels = labels
        self.fn = fn        # fn(t, rate: bool) -> float


@functools.lru_cache(maxsize=65536)
def _frac(key):
    return int(state.h(key, 8), 16) / 0xFFFFFFFF


def _wave(t, key, amp, period=86400):
    return 1 + amp * math.sin(2 * math.pi * t / period + 6.283 * _frac("phase:" + key))


def universe(world, cid):
    """Every series of cluster cid, by metric name."""
    out = {}
    pods = world.pods(cid)
    nodes = [n for n in world.nodes[cid] if n["state"] == "running"]

    def add(name, labels, fn):
        out.setdefault(name, []).append(Series(dict(labels, __name__=name), fn))

    for p in pods:
        pod_series(cid, p, add)
    for ns, kind, name, replicas, _ in state.WORKLOADS:
        if kind == "Deployment":
            lab = {"namespace": ns, "deployment": name, "job": "kube-state-metrics"}
            add("kube_deployment_spec_replicas", lab, lambda t, r, n=replicas: float(n))
            add("kube_deployment_status_replicas_available", lab, lambda t, r, n=replicas: float(n))
    for n in nodes:
        node_series(cid, n, add)
    return out


def pod_series(cid, p, add):
    """The cAdvisor and kube-state-metrics series of one pod."""
    volatile = p["workload"] == "api"
    for cname, cpu_req, mem_req in p["containers"] + [("POD", 0.001, 1 << 20)]:
        key = f"{cid}/{p['namespace']}/{p['pod']}/{cname}"
        base = {"namespace": p["namespace"], "pod": p["pod"], "container": cname, "node": p["node"],
                "instance": p["node"].split(".", 1)[-1] + ":10250", "job": "kubelet",
                "image": f"registry.cn-hangzhou.aliyuncs.com/sim/{p['workload']}:v1"}
        share = 0.3 + 0.4 * _frac("cpu:" + key)
        amp = 0.6 if volatile else 0.2

        def cpu(t, rate, r=cpu_req * share, k=key, a=amp):
            if rate:
                return r * _wave(t, k, a) * _wave(t, k + "h", 0.1, 3600)
            return r * t  # a counter: seconds of CPU since the epoch, monotonic
        mshare = 0.5 + 0.3 * _frac("mem:" + key)

        def mem(t, rate, m=mem_req * mshare, k=key, a=amp / 3):
            return math.floor(m * _wave(t, k, a))
        add("container_cpu_usage_seconds_total", base, cpu)
        add("container_memory_working_set_bytes", base, mem)
        add("container_memory_rss", base, lambda t, r, f=mem: math.floor(f(t, r) * 0.8))
        add("container_memory_cache", base, lambda t, r, f=mem: math.floor(f(t, r) * 0.15))
        add("container_spec_memory_limit_bytes", base, lambda t, r, m=mem_req * 2: m)
        add("container_cpu_cfs_throttled_seconds_total", base,
            lambda t, r, c=cpu_req: (0.02 * c if r else 0.02 * c * t))
        if cname != "POD":
            for res, val, unit in (("cpu", cpu_req, "core"), ("memory", mem_req, "byte")):
                add("kube_pod_container_resource_requests",
                    {"namespace": p["namespace"], "pod": p["pod"], "container": cname, "node": p["node"],
                     "resource": res, "unit": unit, "job": "kube-state-metrics"},
                    lambda t, r, v=val: v)
            add("kube_pod_container_status_restarts_total",
                {"namespace": p["namespace"], "pod": p["pod"], "container": cname, "job": "kube-state-metrics"},
                lambda t, r, k=key: 0.0 if r else float(int(_frac("restarts:" + k) * 3)))
    for phase in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
        add("kube_pod_status_phase", {"namespace": p["namespace"], "pod": p["pod"], "phase": phase,
                                      "job": "kube-state-metrics"},
            lambda t, r, ph=phase: 1.0 if ph == "Running" else 0.0)


def node_series(cid, n, add):
    """The node-exporter and kube-state-metrics series of one node."""
    ip = n["ip_address"][0]
    lab = {"instance": ip + ":9100", "node": n["node_name"], "job": "node-exporter"}
    key = cid + "/" + n["node_name"]
    for mode, sh in (("idle", 0.7), ("user", 0.2), ("system", 0.08), ("iowait", 0.02)):
        add("node_cpu_seconds_total", dict(lab, cpu="0", mode=mode),
            lambda t, r, s=sh, k=key: (s * _wave(t, k, 0.1) if r else s * t))
    add("node_memory_MemTotal_bytes", lab, lambda t, r: float(16 << 30))
    add("node_memory_MemAvailable_bytes", lab,
        lambda t, r, k=key: math.floor((16 << 30) * (0.55 + 0.1 * math.sin(t / 7200 + _frac(k)))))
    add("node_load1", lab, lambda t, r, k=key: round(1.5 * _wave(t, k, 0.3), 3))
    add("node_filesystem_avail_bytes", dict(lab, mountpoint="/", fstype="ext4", device="/dev/vda1"),
        lambda t, r, k=key: float((120 << 30) * (0.4 + 0.3 * _frac("disk:" + k))))
    add("node_filesystem_size_bytes", dict(lab, mountpoint="/", fstype="ext4", device="/dev/vda1"),
        lambda t, r: float(120 << 30))
    add("kube_node_status_condition", {"node": n["node_name"], "condition": "Ready", "status": "true",
                                       "job": "kube-state-metrics"}, lambda t, r: 1.0)
    add("up", {"instance": ip + ":9100", "job": "node-exporter"}, lambda t, r: 1.0)


POD_PREFIX = re.compile(r"^\^?([a-z0-9]([-a-z0-9]*[a-z0-9])?)-?\.[*+]\$?$")


def synthesize(world, cid, metric, matchers):
    """Series for a workload the simulator does not seed, so any workload of the Kubernetes
    simulator has metrics: a container_* selector with namespace="X" and pod=~"Y-.*" gets two
    pods Y-<hash>-<hash> with one container Y (0.2 cores, 256 MiB requested)."""
    if not (metric.startswith("container_") or metric.startswith("kube_pod_")):
        return []
    ns = next((v for k, op, v in matchers if k == "namespace" and op == "="), None)
    prefix = next((POD_PREFIX.match(v) for k, op, v in matchers if k == "pod" and op == "=~"), None)
    if not ns or not prefix:
        return []
    name = prefix.group(1)
    nodes = [n["node_name"] for n in world.nodes[cid] if n["state"] == "running"] or ["-"]
    out = {}

    def add(mname, labels, fn):
        out.setdefault(mname, []).append(Series(dict(labels, __name__=mname), fn))
    rs = state.h(f"rs:{cid}:{ns}/{name}", 10)
    for i in range(2):
        pod_series(cid, {"namespace": ns, "workload": name, "node": nodes[i % len(nodes)],
                         "pod": f"{name}-{rs}-{state.h(f'pod:{cid}:{ns}:{name}:{i}', 5)}",
                         "containers": [(name, 0.2, 256 << 20)]}, add)
    return [x for x in out.get(metric, []) if _matches(x.labels, matchers)]


def _unescape(matchers):
    """PromQL string escapes resolved; regex matchers checked so a bad one is a 400, not a crash."""
    out = []
    for name, op, value in matchers:
        value = re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), value)
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as e:
                raise bad_data(f'invalid parameter "query": error parsing regexp: {e}')
        out.append((name, op, value))
    return out


def _matches(labels, matchers):
    for name, op, value in matchers:
        v = labels.get(name, "")
        if op == "=" and v != value:
            return False
        if op == "!=" and v == value:
            return False
        if op == "=~" and not re.fullmatch(value, v):
            return False
        if op == "!~" and re.fullmatch(value, v):
            return False
    return True


class Plan:
    def __init__(self, query, series, rate_kind, window, agg, by, without, scalar=None):
        self.query, self.series, self.rate_kind, self.window = query, series, rate_kind, window
        self.agg, self.by, self.without, self.scalar = agg, by, without, scalar


def plan(world, cid, query):
    q = (query or "").strip()
    if not q:
        raise bad_data('invalid parameter "query": 1:1: parse error: no expression found in input')
    if q.count("(") != q.count(")") or q.count("{") != q.count("}"):
        raise bad_data(f'invalid parameter "query": 1:{len(q)}: parse error: unclosed left parenthesis')
    try:
        return Plan(q, [], None, 0, None, None, None, scalar=float(q))
    except ValueError:
        pass
    metrics = universe(world, cid)
    chosen = None
    for m in SELECTOR.finditer(q):
        name = m.group(1)
        if name in KEYWORDS and not m.group(2):
            continue
        chosen = m
        break
    series = []
    if chosen:
        matchers = _unescape(MATCHER.findall(chosen.group(2) or ""))
        series = [s for s in metrics.get(chosen.group(1), []) if _matches(s.labels, matchers)]
        if not series:
            series = synthesize(world, cid, chosen.group(1), matchers)
    rate_kind, window = None, 0
    rm = re.search(r'\b(rate|irate|increase)\s*\(', q)
    if rm:
        rate_kind = rm.group(1)
        wm = re.search(r'\[(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)', q)
        window = float(wm.group(1)) * UNITS[wm.group(2)] if wm else 60
    agg = by = without = None
    parsed = parse_agg(q)
    if parsed:
        agg, mode, names = parsed
        if mode == "by":
            by = names
        elif mode == "without":
            without = names
    return Plan(q, series, rate_kind, window, agg, by, without)


def evaluate(p, t):
    """[(labels, value)] at time t."""
    if p.scalar is not None:
        return p.scalar
    points = []
    for s in p.series:
        v = s.fn(t, p.rate_kind is not None)
        if p.rate_kind == "increase":
            v *= p.window
        labels = dict(s.labels)
        if p.rate_kind or p.agg:
            labels.pop("__name__", None)
        points.append((labels, v))
    if not p.agg:
        return points
    groups = {}
    for labels, v in points:
        if p.by is not None:
            key = tuple((k, labels.get(k, "")) for k in p.by if labels.get(k))
        elif p.without is not None:
            key = tuple(sorted((k, x) for k, x in labels.items() if k not in p.without))
        else:
            key = ()
        groups.setdefault(key, []).append(v)
    out = []
    for key, vals in sorted(groups.items()):
        fn = {"sum": sum, "max": max, "min": min, "count": len, "avg": lambda xs: sum(xs) / len(xs)}[p.agg]
        out.append((dict(key), float(fn(vals))))
    return out


def fmt(v):
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return format(v, ".12g")


def ts(t):
    return int(t) if float(t).is_integer() else round(t, 3)


def handle_prom(call, cid, op, label):
    req = call.req
    params = dict(req.query)
    if req.method == "POST":
        params.update(signing.parse_query(req.body.decode("utf-8", "replace")))
    world = call.world
    now = world.clock.now()
    with world.lock:
        if op == "query":
            t = parse_time(params.get("time"), "time", default=now)
            p = plan(world, cid, params.get("query"))
            r = evaluate(p, t)
            if p.scalar is not None:
                data = {"resultType": "scalar", "result": [ts(t), fmt(r)]}
            else:
                data = {"resultType": "vector", "result": [{"metric": lab, "value": [ts(t), fmt(v)]} for lab, v in r]}
            return ok({"status": "success", "data": data})
        if op == "query_range":
            start = parse_time(params.get("start"), "start")
            end = parse_time(params.get("end"), "end")
            step = parse_step(params.get("step"))
            if end < start:
                raise bad_data('invalid parameter "end": end timestamp must not be before start time')
            if (end - start) / step > 11000:
                raise bad_data("exceeded maximum resolution of 11,000 points per timeseries. "
                               "Try decreasing the query resolution (?step=XX)")
            p = plan(world, cid, params.get("query"))
            series = {}
            order = []
            n = int(math.floor((end - start) / step + 1e-9)) + 1
            for i in range(n):
                t = start + i * step
                r = evaluate(p, t)
                if p.scalar is not None:
                    r = [({}, r)]
                for lab, v in r:
                    key = json.dumps(lab, sort_keys=True)
                    if key not in series:
                        series[key] = {"metric": lab, "values": []}
                        order.append(key)
                    series[key]["values"].append([ts(t), fmt(v)])
            return ok({"status": "success", "data": {"resultType": "matrix", "result": [series[k] for k in order]}})
        metrics = universe(world, cid)
        if op == "labels":
            names = sorted({k for ss in metrics.values() for s in ss for k in s.labels})
            return ok({"status": "success", "data": names})
        if op == "label":
            vals = sorted({s.labels[label] for ss in metrics.values() for s in ss if label in s.labels})
            return ok({"status": "success", "data": vals})
        matches = [v for k, v in req.query if k == "match[]"]
        if not matches:
            raise bad_data("no match[] parameter provided")
        out = []
        for m in matches:
            sel = SELECTOR.match(m.strip())
            if not sel:
                raise bad_data(f'invalid parameter "match[]": parse error in {m!r}')
            matchers = _unescape(MATCHER.findall(sel.group(2) or ""))
            out += [s.labels for s in metrics.get(sel.group(1), []) if _matches(s.labels, matchers)]
        return ok({"status": "success", "data": out})
