"""Simple Log Service data plane: ListProject, ListLogStores, GetLogStore, GetLogs, GetLogsV2, CallAiTools.

Project from Host: `<project>.<region>.log.aliyuncs.com`, or `<project>.<ip>` / `<project>.localhost`
(what the official SDKs send when the endpoint is a raw IP). A bare IP, `localhost` or
`<region>.log.aliyuncs.com` means an account-level call (ListProject, CallAiTools).

Projects (rows are generated when the simulator starts, spread over the 24 hours before it):
  k8s-log-<prod-hz>     k8s-event (240 events), audit-<id> (288 audit events),
                        apiserver/kcm/scheduler/ccm/controlplane-events/alb-<id> (96 rows each),
                        web-stdout (nginx access lines)
  k8s-log-<staging-sh>  apiserver/kcm/scheduler-<id> only: no k8s-event (event centre not
                        installed -> LogStoreNotExist), no audit logstore (auditing disabled)
  workspace-default-cms-<account>-cn-hangzhou   metricstore aliyun-prom-<prod-hz> (no log rows)
Other clusters have no project (ProjectNotExist).

Queries: SLS search syntax (`*`, `key: value`, `key: "quoted value"`, trailing `*` wildcards,
bare terms, and/or/not, parentheses, numeric `key > n`; keys may reach into JSON-text fields,
e.g. `eventId.reason: BackOff`), optionally followed by `| select ...` with: `*`, columns,
count(*)/count(1) [as x], where with =, !=, <>, <, <=, >, >=, like joined by and, group by,
order by, limit. Anything else is a ParameterInvalid error, as a real SQL error would be.
"""

import json
import re
import uuid
import zlib
from datetime import datetime, timezone

import errors
import state
from accounts import ACCOUNT_ID
from common import ok

ACTIONS = {"ListProject": "read", "ListLogStores": "read", "GetLogStore": "read", "GetLogs": "read",
           "GetLogsV2": "read", "CallAiTools": "read"}
RAM_ACTION = {"ListProject": "log:ListProject", "ListLogStores": "log:ListLogStores", "GetLogStore": "log:GetLogStore",
              "GetLogs": "log:GetLogStoreLogs", "GetLogsV2": "log:GetLogStoreLogs", "CallAiTools": "log:CallAiTools"}

IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
WORKSPACE = f"workspace-default-cms-{ACCOUNT_ID}-cn-hangzhou"
COMPONENTS_PROD = ["apiserver", "kcm", "scheduler", "ccm", "controlplane-events", "alb"]
COMPONENTS_STAGING = ["apiserver", "kcm", "scheduler"]


def perr(status, code, msg):
    return errors.sls(status, code, msg)


# ------------------------------------------------------------------ routing

def split_host(host):
    """(project or None, region or None) from a Host header value."""
    hostname = (host or "").strip().lower()
    if hostname.startswith("["):
        return None, None
    hostname = hostname.rsplit(":", 1)[0] if ":" in hostname else hostname
    if IPV4.match(hostname) or hostname in ("localhost", ""):
        return None, None
    first, _, rest = hostname.partition(".")
    if rest.endswith(".log.aliyuncs.com"):
        return first, rest[: -len(".log.aliyuncs.com")].replace("-intranet", "")
    if rest == "log.aliyuncs.com":
        return None, first.replace("-intranet", "")
    if rest == "localhost" or IPV4.match(rest):
        return first, None
    return None, None


def route(method, path):
    """(action, logstore) or None."""
    if method == "GET" and path in ("/", ""):
        return "ListProject", None
    if method == "GET" and path == "/logstores":
        return "ListLogStores", None
    if method == "POST" and path == "/ml/tool/call":
        return "CallAiTools", None
    m = re.match(r"^/logstores/([^/]+)(/logs)?$", path)
    if m:
        if method == "POST" and m.group(2):
            return "GetLogsV2", m.group(1)
        if method == "GET" and not m.group(2):
            return "GetLogs", m.group(1)     # GetLogStore when there is no type=log (see handle)
    return None


# ------------------------------------------------------------------ data

def _iso(t):
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


EVENTS = [
    ("Normal", "Scheduled", "Pod", "default-scheduler", "Successfully assigned {ns}/{pod} to {node}"),
    ("Normal", "Pulled", "Pod", "kubelet", 'Container image "{image}" already present on machine'),
    ("Normal", "Created", "Pod", "kubelet", "Created container {container}"),
    ("Normal", "Started", "Pod", "kubelet", "Started container {container}"),
    ("Warning", "BackOff", "Pod", "kubelet", "Back-off restarting failed container {container} in pod {pod}_{ns}"),
    ("Warning", "Unhealthy", "Pod", "kubelet", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
    ("Warning", "FailedScheduling", "Pod", "default-scheduler",
     "0/{nn} nodes are available: {nn} Insufficient cpu. preemption: 0/{nn} nodes are available: "
     "{nn} No preemption victims found for incoming pod."),
    ("Normal", "ScalingReplicaSet", "Deployment", "deployment-controller", "Scaled up replica set {rs} to {n}"),
    ("Warning", "OOMKilling", "Node", "kernel-monitor",
     "Memory cgroup out of memory: Killed process 4242 (nginx) total-vm:1048576kB, anon-rss:262144kB"),
    ("Normal", "NodeReady", "Node", "kubelet", "Node {node} status is now: NodeReady"),
    ("Warning", "NodeNotReady", "Node", "node-controller", "Node {node} status is now: NodeNotReady"),
    ("Normal", "Killing", "Pod", "kubelet", "Stopping container {container}"),
]

AUDIT = [
    # user, groups, verb, resource, apiGroup, namespace, name, code, agent
    ("kubernetes-admin", ["system:masters"], "get", "pods", "", "{ns}", "{pod}", 200, "kubectl/v1.31.1"),
    ("system:serviceaccount:kube-system:deployment-controller", ["system:serviceaccounts"], "update",
     "replicasets", "apps", "{ns}", "{rs}", 200, "kube-controller-manager/v1.31.1"),
    ("1234567890123456", ["system:authenticated"], "delete", "pods", "", "{ns}", "{pod}", 200, "kubectl/v1.31.1"),
    ("1234567890123456", ["system:authenticated"], "create", "configmaps", "", "default", "app-config", 201,
     "kubectl/v1.31.1"),
    ("system:node:{node}", ["system:nodes"], "patch", "nodes", "", "", "{node}", 200, "kubelet/v1.31.1"),
    ("kubernetes-admin", ["system:masters"], "list", "secrets", "", "kube-system", "", 200, "kubectl/v1.31.1"),
    ("system:serviceaccount:shop:web", ["system:serviceaccounts"], "get", "secrets", "", "shop", "db-password",
     403, "web/1.0"),
    ("1234567890123456", ["system:authenticated"], "patch", "deployments", "apps", "shop", "web", 200,
     "kubectl/v1.31.1"),
    ("system:kube-scheduler", [], "update", "leases", "coordination.k8s.io", "kube-system", "kube-scheduler", 200,
     "kube-scheduler/v1.31.1"),
    ("1234567890123456", ["system:authenticated"], "delete", "deployments", "apps", "default", "legacy-app", 404,
     "kubectl/v1.31.1"),
]

CONTROL_PLANE = {
    "apiserver": [("INFO", "handler.go:153", 'Trace[{n}]: "List" url:/api/v1/pods,user-agent:kubectl/v1.31.1 '
                                             '(linux/amd64) kubernetes/abc,audit-id:{audit} (total time: 612ms)'),
                  ("WARNING", "watcher.go:98", "watch chan error: etcdserver: mvcc: required revision has been "
                                               "compacted"),
                  ("ERROR", "status.go:71", "apiserver received an error that is not an metav1.Status: "
                                            "context deadline exceeded")],
    "kcm": [("INFO", "event.go:389", 'Event occurred object="shop/web" kind="Deployment" '
                                     'reason="ScalingReplicaSet" message="Scaled up replica set {rs} to 3"'),
            ("ERROR", "garbagecollector.go:242", "failed to discover some groups: metrics.k8s.io/v1beta1: "
                                                 "stale GroupVersion discovery")],
    "scheduler": [("INFO", "schedule_one.go:286", 'Successfully bound pod to node pod="shop/{pod}" node="{node}"'),
                  ("WARNING", "schedule_one.go:1004", 'Unable to schedule pod; no fit; waiting pod="shop/{pod}" '
                                                      'err="0/3 nodes are available: 3 Insufficient cpu."')],
    "ccm": [("INFO", "service_controller.go:383", "Ensuring load balancer for service shop/web"),
            ("ERROR", "service_controller.go:291", "error processing service shop/web (will retry): "
                                                   "failed to ensure load balancer: SLB quota exceeded")],
    "controlplane-events": [("INFO", "events.go:10", "control plane component kube-apiserver restarted"),
                            ("WARNING", "events.go:22", "etcd database size is 1.6GiB, close to the 2GiB quota")],
    "alb": [("INFO", "alb.go:77", "reconciled AlbConfig default/alb: listeners=2 rules=5"),
            ("ERROR", "alb.go:131", "failed to update listener 443: certificate not found")],
}


class Logs:
    def __init__(self, world):
        self.projects = {}
        self.build(world)

    def build(self, world):
        self.projects = {}
        for cid in (state.CLUSTER_PROD, state.CLUSTER_STAGING):
            c = world.clusters[cid]
            stores = {}
            comps = COMPONENTS_PROD if cid == state.CLUSTER_PROD else COMPONENTS_STAGING
            for comp in comps:
                stores[f"{comp}-{cid}"] = {"kind": "logs", "rows": self._controlplane(world, cid, comp)}
            if cid == state.CLUSTER_PROD:
                stores["k8s-event"] = {"kind": "logs", "rows": self._events(world, cid)}
                stores[f"audit-{cid}"] = {"kind": "logs", "rows": self._audit(world, cid)}
                stores["web-stdout"] = {"kind": "logs", "rows": self._stdout(world, cid)}
            self.projects[f"k8s-log-{cid}"] = {"region": c["region_id"], "stores": stores,
                                               "description": f"k8s log project for cluster {c['name']}",
                                               "created": world.start - 86400 * 30}
        self.projects[WORKSPACE] = {"region": "cn-hangzhou", "description": "CMS 2.0 default workspace",
                                    "created": world.start - 86400 * 60,
                                    "stores": {f"aliyun-prom-{state.CLUSTER_PROD}": {"kind": "metrics", "rows": []}}}

    @staticmethod
    def _times(world, count, every):
        end = int(world.start) // 60 * 60
        return [end - i * every for i in range(count)][::-1]

    def _events(self, world, cid):
        pods = world.pods(cid)
        nodes = [n["node_name"] for n in world.nodes[cid]]
        rows = []
        for i, t in enumerate(self._times(world, 240, 360)):
            level, reason, kind, comp, msg = EVENTS[i % len(EVENTS)]
            p = pods[i % len(pods)]
            node = nodes[i % len(nodes)]
            rs = p["pod"].rsplit("-", 1)[0]
            if kind == "Pod":
                ns, name = p["namespace"], p["pod"]
            elif kind == "Deployment":
                ns, name = p["namespace"], p["workload"]
            else:
                ns, name = "default", node
            text = msg.format(ns=p["namespace"], pod=p["pod"], node=node, nn=len(nodes), rs=rs, n=3,
                              container=p["containers"][0][0], image=f"registry.cn-hangzhou.aliyuncs.com/sim/"
                                                                     f"{p['workload']}:v1")
            event = {"metadata": {"name": f"{name}.{state.h(f'ev:{cid}:{i}', 16)}", "namespace": ns,
                                  "uid": str(uuid.UUID(state.h(f"evuid:{cid}:{i}"))),
                                  "creationTimestamp": _iso(t)},
                     "involvedObject": {"kind": kind, "namespace": ns if kind != "Node" else "", "name": name,
                                        "apiVersion": "apps/v1" if kind == "Deployment" else "v1"},
                     "reason": reason, "message": text, "source": {"component": comp, "host": node},
                     "firstTimestamp": _iso(t - 60 * (i % 5)), "lastTimestamp": _iso(t), "count": 1 + i % 5,
                     "type": level}
            rows.append({"__time__": str(t), "__source__": "log_service", "__topic__": "",
                         "__tag__:__hostname__": "kube-eventer-7d9f8b6c5d-x2k4p",
                         "eventId": json.dumps(event, separators=(",", ":")), "hostname": node, "level": level,
                         "pod_name": "kube-eventer-7d9f8b6c5d-x2k4p", "pod_id": state.h(f"eventer:{cid}", 32)})
        return rows

    def _audit(self, world, cid):
        pods = world.pods(cid)
        nodes = [n["node_name"] for n in world.nodes[cid]]
        rows = []
        for i, t in enumerate(self._times(world, 288, 300)):
            user, groups, verb, res, group, ns, name, code, agent = AUDIT[i % len(AUDIT)]
            p = pods[i % len(pods)]
            node = nodes[i % len(nodes)]
            fill = {"pod": p["pod"], "rs": p["pod"].rsplit("-", 1)[0], "node": node, "ns": p["namespace"]}
            user, name, ns = user.format(**fill), name.format(**fill), ns.format(**fill)
            prefix = f"/apis/{group}/v1" if group else "/api/v1"
            uri = prefix + (f"/namespaces/{ns}" if ns else "") + f"/{res}" + (f"/{name}" if name else "")
            audit_id = str(uuid.UUID(state.h(f"audit:{cid}:{i}")))
            row = {"__time__": str(t), "__source__": "log_service", "__topic__": "", "verb": verb,
                   "user.username": user, "user.groups": json.dumps(groups), "objectRef.resource": res,
                   "objectRef.namespace": ns, "objectRef.name": name, "objectRef.apiGroup": group,
                   "objectRef.apiVersion": "v1", "objectRef.subresource": "", "responseStatus.code": str(code),
                   "sourceIPs": json.dumps([f"10.0.{i % 4}.{20 + i % 7}"]), "userAgent": agent, "requestURI": uri,
                   "stage": "ResponseComplete", "auditID": audit_id,
                   "level": "RequestResponse" if verb in ("create", "update", "patch", "delete") else "Metadata",
                   "requestReceivedTimestamp": _iso(t), "stageTimestamp": _iso(t),
                   "annotations": json.dumps({"authorization.k8s.io/decision": "allow" if code != 403 else "forbid",
                                              "authorization.k8s.io/reason": ""}),
                   "requestObject": json.dumps({"kind": "DeleteOptions"} if verb == "delete" else
                                               {"metadata": {"name": name}} if verb in ("create", "update", "patch")
                                               else None),
                   "responseObject": json.dumps({"kind": "Status", "code": code} if code >= 400 else None)}
            rows.append(row)
        return rows

    def _controlplane(self, world, cid, comp):
        pods = world.pods(cid)
        nodes = [n["node_name"] for n in world.nodes[cid]] or ["-"]
        rows = []
        templates = CONTROL_PLANE[comp]
        for i, t in enumerate(self._times(world, 96, 900)):
            level, src, msg = templates[i % len(templates)]
            p = pods[i % len(pods)]
            text = msg.format(n=10000 + i, audit=str(uuid.UUID(state.h(f"a:{cid}:{i}"))), pod=p["pod"],
                              node=nodes[i % len(nodes)], rs=p["pod"].rsplit("-", 1)[0])
            rows.append({"__time__": str(t), "__source__": "log_service", "__topic__": comp, "level": level,
                         "component": comp, "message": text, "source": src,
                         "__tag__:__pod_name__": f"{comp}-{state.h(cid + comp, 5)}"})
        return rows

    def _stdout(self, world, cid):
        pods = [p for p in world.pods(cid) if p["workload"] == "web"]
        rows = []
        for i, t in enumerate(self._times(world, 120, 600)):
            status = 500 if i % 17 == 0 else 404 if i % 11 == 0 else 200
            p = pods[i % len(pods)]
            stamp = datetime.fromtimestamp(t, timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000")
            rows.append({"__time__": str(t), "__source__": p["node"].split(".", 1)[-1], "__topic__": "",
                         "_container_name_": "web", "_namespace_": "shop", "_pod_name_": p["pod"],
                         "status": str(status),
                         "content": f'10.0.1.{i % 250} - - [{stamp}] "GET /api/items/{i % 40} HTTP/1.1" {status} '
                                    f'{512 + i} "-" "curl/8.5.0"'})
        return rows

    def project(self, name, region):
        p = self.projects.get(name)
        if p is None or (region and p["region"] != region):
            raise perr(404, "ProjectNotExist", f"The Project does not exist : {name}")
        return p

    def store(self, project, name, store_name):
        s = project["stores"].get(store_name)
        if s is None:
            raise perr(404, "LogStoreNotExist", f"logstore {store_name} does not exist")
        return s


# ------------------------------------------------------------------ search syntax

TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|(>=|<=|>|<|=)|(:)|([^\s():"<>=]+))')
DELIMS = re.compile(r"[\s,'\";=()\[\]{}?@&<>/:\\|]+")


def tokenize(text):
    out, pos = [], 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise perr(400, "ParameterInvalid", f"query syntax error near: {text[pos:pos + 20]!r}")
        pos = m.end()
        if m.group(1):
            out.append(("(", None))
        elif m.group(2):
            out.append((")", None))
        elif m.group(3) is not None:
            out.append(("str", re.sub(r"\\(.)", r"\1", m.group(3))))
        elif m.group(4):
            out.append(("op", m.group(4)))
        elif m.group(5):
            out.append((":", None))
        elif m.group(6):
            out.append(("word", m.group(6)))
    return out


def field_value(row, key):
    if key in row:
        return row[key]
    parts = key.split(".")
    for i in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:i])
        if head in row:
            try:
                obj = json.loads(row[head])
            except (ValueError, TypeError):
                return None
            for p in parts[i:]:
                if not isinstance(obj, dict) or p not in obj:
                    return None
                obj = obj[p]
            return obj if isinstance(obj, str) else json.dumps(obj) if obj is not None else None
    return None


def _pattern(value):
    return re.compile("^" + ".*".join(re.escape(x) for x in value.lower().split("*")) + "$", re.S)


def value_matches(text, value, phrase):
    if text is None:
        return False
    t = text.lower()
    v = value.lower()
    if v == "*":
        return True
    if phrase and " " in v:
        return v in t
    tokens = [x for x in DELIMS.split(t) if x]
    if "*" in v:
        rx = _pattern(v)
        return bool(rx.match(t)) or any(rx.match(x) for x in tokens)
    return t == v or v in tokens


class Parser:
    def __init__(self, tokens):
        self.toks = tokens
        self.i = 0

    def peek(self, k=0):
        return self.toks[self.i + k] if self.i + k < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def parse(self):
        if not self.toks:
            return lambda row: True
        e = self.or_expr()
        if self.i < len(self.toks):
            raise perr(400, "ParameterInvalid", f"query syntax error: unexpected {self.peek()[1] or self.peek()[0]!r}")
        return e

    def or_expr(self):
        left = self.and_expr()
        while self.peek() == ("word", "or") or self.peek() == ("word", "OR"):
            self.take()
            right = self.and_expr()
            left = (lambda a, b: lambda row: a(row) or b(row))(left, right)
        return left

    def and_expr(self):
        left = self.not_expr()
        while True:
            t = self.peek()
            if t[0] is None or t[0] == ")" or (t[0] == "word" and t[1].lower() == "or"):
                return left
            if t[0] == "word" and t[1].lower() == "and":
                self.take()
            right = self.not_expr()
            left = (lambda a, b: lambda row: a(row) and b(row))(left, right)

    def not_expr(self):
        if self.peek()[0] == "word" and self.peek()[1].lower() == "not":
            self.take()
            inner = self.not_expr()
            return lambda row: not inner(row)
        return self.primary()

    def primary(self):
        kind, val = self.take()
        if kind == "(":
            e = self.or_expr()
            if self.take()[0] != ")":
                raise perr(400, "ParameterInvalid", "query syntax error: missing ')'")
            return e
        if kind not in ("word", "str"):
            raise perr(400, "ParameterInvalid", f"query syntax error near {val or kind!r}")
        nxt = self.peek()
        if kind == "word" and nxt[0] == ":":
            self.take()
            vk, vv = self.take()
            if vk not in ("word", "str"):
                raise perr(400, "ParameterInvalid", f"query syntax error: no value for key {val}")
            key, phrase = val, vk == "str"
            return lambda row: value_matches(field_value(row, key), vv, phrase)
        if kind == "word" and nxt[0] == "op" and nxt[1] != "=":
            self.take()
            op = nxt[1]
            _, num = self.take()
            try:
                limit = float(num)
            except (TypeError, ValueError):
                raise perr(400, "ParameterInvalid", f"query syntax error: {num!r} is not a number")
            key = val

            def cmp(row):
                try:
                    x = float(field_value(row, key))
                except (TypeError, ValueError):
                    return False
                return {">": x > limit, "<": x < limit, ">=": x >= limit, "<=": x <= limit}[op]
            return cmp
        if kind == "word" and val == "*":
            return lambda row: True
        phrase = kind == "str"
        return lambda row: any(value_matches(v, val, phrase) for k, v in row.items()
                               if not k.startswith("__") and isinstance(v, str))


def split_sql(query):
    in_q = False
    for i, ch in enumerate(query):
        if ch == '"':
            in_q = not in_q
        elif ch == "|" and not in_q:
            return query[:i].strip(), query[i + 1:].strip()
    return query.strip(), None


# ------------------------------------------------------------------ SQL

SQL = re.compile(r"^\s*select\s+(?P<items>.+?)(?:\s+from\s+log)?(?:\s+where\s+(?P<where>.+?))?"
                 r"(?:\s+group\s+by\s+(?P<group>.+?))?(?:\s+order\s+by\s+(?P<order>.+?))?"
                 r"(?:\s+limit\s+(?P<limit>\d+))?\s*;?\s*$", re.I | re.S)
COND = re.compile(r'^\s*("?[\w.:]+"?)\s*(>=|<=|!=|<>|=|>|<|\s+like\s+)\s*(\'[^\']*\'|-?\d+(?:\.\d+)?)\s*$', re.I)


def sql_error(msg, col=1):
    return perr(400, "ParameterInvalid", f"line 1:{col}: {msg}")


def _col(name, rows, sql):
    name = name.strip()
    if name.startswith('"') and name.endswith('"'):
        name = name[1:-1]
    if rows and not any(field_value(r, name) is not None for r in rows):
        raise sql_error(f"Column '{name}' cannot be resolved;please add the column in the index attribute",
                        max(1, sql.find(name) + 1))
    return name


def run_sql(sql, rows):
    m = SQL.match(sql)
    if not m:
        first = sql.split()[0] if sql.split() else ""
        raise sql_error(f"mismatched input '{first}'. Expecting: 'SELECT', 'WITH', <query>")
    items = [x.strip() for x in re.split(r",(?![^(]*\))", m.group("items"))]
    if m.group("where"):
        for cond in re.split(r"\s+and\s+", m.group("where"), flags=re.I):
            cm = COND.match(cond)
            if not cm:
                raise sql_error(f"unsupported condition in simulator: {cond.strip()!r}", sql.lower().find("where") + 7)
            key = _col(cm.group(1), rows, sql)
            op = cm.group(2).strip().lower()
            lit = cm.group(3)
            rows = [r for r in rows if _cond(field_value(r, key), op, lit)]
    aliases = {}
    for idx, it in enumerate(items, 1):
        am = re.match(r'^("?[\w.:]+"?)\s+as\s+"?(\w+)"?$', it, re.I)
        if am and not am.group(1).lower().startswith("count"):
            aliases[am.group(2)] = am.group(1)
            aliases[str(idx)] = am.group(1)
        elif re.match(r'^"?[\w.:]+"?$', it):
            aliases[str(idx)] = it
    group = []
    for g in (m.group("group").split(",") if m.group("group") else []):
        g = g.strip()
        group.append(_col(aliases.get(g.strip('"'), g), rows, sql))
    out_cols = []
    agg = False
    for it in items:
        im = re.match(r'^(count\s*\(\s*(?:\*|1)\s*\)|"?[\w.:]+"?|\*)(?:\s+as\s+("?[\w]+"?))?$', it, re.I)
        if not im:
            raise sql_error(f"unsupported select item in simulator: {it!r}", sql.find(it) + 1)
        expr, alias = im.group(1), (im.group(2) or "").strip('"')
        if expr.lower().startswith("count"):
            agg = True
            out_cols.append(("count", None, alias or "_col%d" % len(out_cols)))
        elif expr == "*":
            out_cols.append(("star", None, None))
        else:
            name = _col(expr, rows, sql)
            out_cols.append(("col", name, alias or name))
    if agg or group:
        groups = {}
        for r in rows:
            key = tuple(field_value(r, g) or "" for g in group)
            groups.setdefault(key, []).append(r)
        if not group and not groups:
            groups[()] = []
        result = []
        for key, members in groups.items():
            kv = dict(zip(group, key))
            row = {}
            for kind, name, alias in out_cols:
                if kind == "count":
                    row[alias] = str(len(members))
                elif kind == "col":
                    if name not in kv:
                        raise sql_error(f"'{name}' must be an aggregate expression or appear in GROUP BY clause")
                    row[alias] = kv[name]
            result.append(row)
    else:
        result = []
        for r in rows:
            row = {}
            for kind, name, alias in out_cols:
                if kind == "star":
                    row.update({k: v for k, v in r.items() if not k.startswith("__tag__")})
                else:
                    row[alias] = field_value(r, name) or ""
            result.append(row)
    if m.group("order"):
        om = re.match(r'^"?([\w.:]+)"?(?:\s+(asc|desc))?$', m.group("order").strip(), re.I)
        if not om:
            raise sql_error(f"unsupported ORDER BY in simulator: {m.group('order')!r}")
        key, desc = om.group(1), (om.group(2) or "asc").lower() == "desc"

        def sort_key(row):
            v = row.get(key, "")
            try:
                return (0, float(v), "")
            except (TypeError, ValueError):
                return (1, 0.0, str(v))
        result.sort(key=sort_key, reverse=desc)
    limit = int(m.group("limit")) if m.group("limit") else 100
    return result[:limit]


def _cond(value, op, lit):
    if lit.startswith("'"):
        s = lit[1:-1]
        v = value or ""
        if op == "like":
            return bool(re.fullmatch(re.escape(s).replace("%", ".*").replace("_", "."), v))
        return {"=": v == s, "!=": v != s, "<>": v != s}.get(op, False)
    try:
        x, y = float(value), float(lit)
    except (TypeError, ValueError):
        return False
    return {"=": x == y, "!=": x != y, "<>": x != y, ">": x > y, "<": x < y, ">=": x >= y, "<=": x <= y}.get(op, False)


# ------------------------------------------------------------------ handlers

def _int(params, name, default=None, lo=None, hi=None):
    raw = params.get(name)
    if raw is None or raw == "":
        if default is None:
            raise perr(400, "ParameterInvalid", f"{name} is required")
        return default
    try:
        v = int(raw)
    except (TypeError, ValueError):
        raise perr(400, "ParameterInvalid", f"{name} is invalid: {raw!r}")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise perr(400, "ParameterInvalid", f"{name} must be in [{lo}, {hi}], got {v}")
    return v


def _bool(params, name):
    v = params.get(name)
    if isinstance(v, bool):
        return v
    return str(v).lower() == "true"


def query_logs(rows, params, has_sql_default=False):
    frm = _int(params, "from")
    to = _int(params, "to")
    if to <= frm:
        raise perr(400, "ParameterInvalid", "from must be smaller than to")
    line = _int(params, "line", 100, 0, 100)
    offset = _int(params, "offset", 0, 0, None)
    reverse = _bool(params, "reverse")
    topic = params.get("topic") or ""
    search, sql = split_sql(params.get("query") or "*")
    matcher = Parser(tokenize(search or "*")).parse()
    window = [r for r in rows if frm <= int(r["__time__"]) < to and (not topic or r.get("__topic__") == topic)]
    hits = [r for r in window if matcher(r)]
    if sql is not None:
        out = run_sql(sql, hits)
    else:
        hits.sort(key=lambda r: int(r["__time__"]), reverse=reverse)
        out = [dict(r) for r in hits[offset: offset + line]]
    return out, {"processed": len(window), "has_sql": sql is not None, "search": search or "*", "sql": sql}


def handle(call, logs, logstore, region_host, project_name):
    req = call.req
    action = call.action
    params = dict(req.query)
    if action == "ListProject":
        offset = _int(params, "offset", 0, 0)
        size = _int(params, "size", 100, 1, 500)
        name = params.get("projectName") or ""
        items = [(n, p) for n, p in sorted(logs.projects.items())
                 if (not region_host or p["region"] == region_host) and name in n]
        page = items[offset: offset + size]
        return ok({"count": len(page), "total": len(items),
                   "projects": [{"projectName": n, "description": p["description"], "region": p["region"],
                                 "status": "Normal", "owner": ACCOUNT_ID, "createTime": str(int(p["created"])),
                                 "lastModifyTime": str(int(p["created"]))} for n, p in page]})
    if action == "CallAiTools":
        return call_ai_tools(call)
    if not project_name:
        raise perr(400, "ParameterInvalid", "the project is missing: send Host: <project>.<endpoint>")
    project = logs.project(project_name, region_host)
    if action == "ListLogStores":
        offset = _int(params, "offset", 0, 0)
        size = _int(params, "size", 200, 1, 500)
        name = params.get("logstoreName") or ""
        names = [n for n in sorted(project["stores"]) if name in n]
        page = names[offset: offset + size]
        return ok({"count": len(page), "total": len(names), "logstores": page})
    store = logs.store(project, project_name, logstore)
    if action == "GetLogStore":
        return ok({"logstoreName": logstore, "ttl": 30, "shardCount": 2, "autoSplit": True, "maxSplitShard": 64,
                   "enable_tracking": False, "appendMeta": True, "telemetryType": "Metrics" if store["kind"] ==
                   "metrics" else "", "createTime": int(project["created"]), "lastModifyTime": int(project["created"])})
    if action == "GetLogsV2":
        try:
            params = json.loads(req.body.decode("utf-8") or "{}")
        except ValueError:
            raise perr(400, "ParameterInvalid", "the request body is not valid JSON")
        params = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in params.items()}
    rows, meta = query_logs(store["rows"], params)
    progress = "Complete"
    if getattr(call, "sls_incomplete", False):
        progress, rows = "Incomplete", rows[: len(rows) // 2]
    headers = {"x-log-count": str(len(rows)), "x-log-progress": progress,
               "x-log-processed-rows": str(meta["processed"]), "x-log-elapsed-millisecond": "3",
               "x-log-has-sql": "true" if meta["has_sql"] else "false",
               "x-log-where-query": meta["search"], "x-log-agg-query": meta["sql"] or ""}
    if action == "GetLogs":
        return ok(rows, **{k.replace("-", "_"): v for k, v in headers.items()})
    keys = sorted({k for r in rows for k in r})
    body = {"meta": {"progress": progress, "count": len(rows), "processedRows": meta["processed"],
                     "elapsedMillisecond": 3, "hasSQL": meta["has_sql"], "keys": keys,
                     "aggQuery": meta["sql"] or "", "whereQuery": meta["search"], "limited": 0,
                     "mode": 0 if not meta["has_sql"] else 1, "isAccurate": True, "columnTypes": []},
            "data": rows}
    raw = json.dumps(body, separators=(",", ":")).encode("utf-8")
    if "deflate" in (req.headers.get("accept-encoding") or ""):
        return ok(zlib.compress(raw), content_type="application/json", x_log_compresstype="deflate",
                  x_log_bodyrawsize=str(len(raw)))
    return ok(raw, content_type="application/json")


# ------------------------------------------------------------------ CallAiTools

def _answer_sql(question, logstore):
    q = question.lower()
    if "5xx" in q or "500" in q or "error" in q and logstore.endswith("stdout"):
        return "* | select count(1) as c where status >= 500"
    if "warning" in q or "warn" in q:
        return 'level: Warning | select "eventId.reason" as reason, count(1) as c group by reason order by c desc limit 10'
    if "delete" in q:
        return 'verb: delete | select "user.username" as user, count(1) as c group by user order by c desc limit 10'
    if "oom" in q:
        return "eventId.reason: OOMKilling"
    return "* | select count(1) as c"


def _answer_promql(question):
    q = question.lower()
    ns = re.search(r"namespace\s+([a-z0-9-]+)", q)
    sel = f'namespace="{ns.group(1)}",' if ns else ""
    if "memory" in q or "内存" in q:
        return f'sum(container_memory_working_set_bytes{{{sel}container!="",container!="POD"}}) by (pod)'
    if "cpu" in q:
        return f'sum(rate(container_cpu_usage_seconds_total{{{sel}container!="",container!="POD"}}[2m])) by (pod)'
    if "restart" in q:
        return "sum(increase(kube_pod_container_status_restarts_total[1h])) by (namespace, pod) > 0"
    return "up"


def call_ai_tools(call):
    req = call.req
    try:
        body = json.loads(req.body.decode("utf-8") or "{}")
    except ValueError:
        raise perr(400, "ParameterInvalid", "the request body is not valid JSON")
    if not isinstance(body, dict):
        raise perr(400, "ParameterInvalid", "the request body must be a JSON object")
    tool = str(body.get("toolName") or "")
    params = body.get("params") or {}
    if not tool:
        raise perr(400, "ParameterInvalid", "toolName is required")
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise perr(400, "ParameterInvalid", "params must be a map of strings")
    norm = tool[4:] if tool.startswith("sls_") else tool
    lower = {k.lower(): v for k, v in params.items()}
    question = lower.get("sys.query") or lower.get("text") or ""
    if not question:
        raise perr(400, "ParameterInvalid", "params[\"sys.query\"] is required")
    if norm == "text_to_sql":
        logstore = lower.get("logstore") or ""
        if not lower.get("project") or not logstore:
            raise perr(400, "ParameterInvalid", "params project and logstore are required")
        answer = _answer_sql(question, logstore)
    elif norm == "text_to_promql":
        if not lower.get("project") or not lower.get("metricstore"):
            raise perr(400, "ParameterInvalid", "params project and metricstore are required")
        answer = _answer_promql(question)
    elif norm == "diagnosis_sql":
        answer = ("The statement failed because the SQL part references a field that is not indexed or is "
                  "misspelled. Check the index attributes of the logstore, quote dotted field names such as "
                  '"eventId.reason", and retry, e.g.: * | select count(1) as c')
    else:
        raise perr(400, "ParameterInvalid", f"toolName {tool} is not supported")
    text = (f"Thinking about: {question}\nregion={body.get('regionId') or ''} tool={norm}\n"
            f"------answer------\n{answer}\n")
    return ok(text, content_type="text/plain;charset=utf-8")
