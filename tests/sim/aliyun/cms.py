"""CloudMonitor (CMS, 2019-01-01, RPC style): DescribeMetricList, DescribeMetricLast,
DescribeMetricMetaList, DescribeAlertLogList.

Metrics exist for namespace acs_ecs_dashboard, one series per ECS instance (every node of every
seeded cluster), values a deterministic function of instance and time. Datapoints come back as
JSON text, as on the real service. Alert logs: 36 seeded entries over the 24 hours before the
simulator started.
"""

import base64
import json
import math
from datetime import datetime, timedelta, timezone

import errors
import signing
import state
from accounts import ACCOUNT_ID
from common import ok

VERSION = "2019-01-01"
ACTIONS = {"DescribeMetricList": "read", "DescribeMetricLast": "read", "DescribeMetricMetaList": "read",
           "DescribeAlertLogList": "read"}

# metric, unit, description, category, base, amplitude
METRICS = {
    "CPUUtilization": ("%", "CPU utilization", "cpu", 35.0, 20.0),
    "memory_usedutilization": ("%", "Memory usage", "memory", 55.0, 10.0),
    "diskusage_utilization": ("%", "Disk usage", "disk", 40.0, 2.0),
    "load_1m": ("count", "Load average over 1 minute", "cpu", 1.2, 0.6),
    "IntranetInRate": ("bit/s", "Inbound bandwidth on the internal network", "network", 4.0e6, 2.0e6),
    "IntranetOutRate": ("bit/s", "Outbound bandwidth on the internal network", "network", 3.0e6, 1.5e6),
}
NAMESPACE = "acs_ecs_dashboard"


def _params(call):
    return dict(signing.rpc_params(call.req))


def _int(p, name, default, lo=None, hi=None):
    raw = p.get(name)
    if raw is None or raw == "":
        return default
    try:
        v = int(raw)
    except ValueError:
        raise errors.invalid_parameter(name, f"{raw!r} is not an integer.")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise errors.invalid_parameter(name, f"{v} is outside [{lo}, {hi}].")
    return v


def _time(raw, name, default):
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    if raw.isdigit():
        return int(raw) / 1000.0
    for fmt, tz in (("%Y-%m-%dT%H:%M:%SZ", timezone.utc), ("%Y-%m-%d %H:%M:%S", timezone(timedelta(hours=8)))):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=tz).timestamp()
        except ValueError:
            pass
    raise errors.invalid_parameter(name, f"{raw!r} is neither epoch milliseconds nor YYYY-MM-DDThh:mm:ssZ.")


def _instances(call, p):
    all_nodes = [(cid, n) for cid, nodes in call.world.nodes.items() for n in nodes]
    raw = p.get("Dimensions")
    if not raw:
        return [n["instance_id"] for _, n in all_nodes]
    try:
        dims = json.loads(raw)
    except ValueError:
        raise errors.invalid_parameter("Dimensions", "Dimensions must be JSON text.")
    if isinstance(dims, dict):
        dims = [dims]
    if not isinstance(dims, list) or not all(isinstance(d, dict) for d in dims):
        raise errors.invalid_parameter("Dimensions", "Dimensions must be a JSON array of objects.")
    if len(dims) > 50:
        raise errors.invalid_parameter("Dimensions", "at most 50 dimensions.")
    known = {n["instance_id"] for _, n in all_nodes}
    return [d["instanceId"] for d in dims if d.get("instanceId") in known]


def _value(metric, iid, t):
    unit, _, _, base, amp = METRICS[metric]
    ph = int(state.h(f"{metric}:{iid}", 8), 16) / 0xFFFFFFFF
    v = base + amp * math.sin(2 * math.pi * (t / 3600.0 + ph))
    return round(v, 2)


def _point(metric, iid, t):
    avg = _value(metric, iid, t)
    return {"timestamp": int(t * 1000), "userId": ACCOUNT_ID, "instanceId": iid, "Average": avg,
            "Maximum": round(avg * 1.15, 2), "Minimum": round(avg * 0.85, 2)}


def _common(call, p):
    ns = p.get("Namespace")
    metric = p.get("MetricName")
    if not ns:
        raise errors.missing_parameter("Namespace")
    if not metric:
        raise errors.missing_parameter("MetricName")
    period = _int(p, "Period", 60)
    if period <= 0 or period % 60:
        raise errors.invalid_parameter("Period", "Period must be a multiple of 60 seconds.")
    return ns, metric, period


def _body(call, period, points, token):
    body = {"RequestId": call.request_id, "Code": "200", "Success": True, "Message": "", "Period": str(period),
            "Datapoints": json.dumps(points, separators=(",", ":"))}
    if token:
        body["NextToken"] = token
    return ok(body)


def metric_list(call):
    p = _params(call)
    ns, metric, period = _common(call, p)
    length = _int(p, "Length", 1000, 1, 1440)
    now = call.world.clock.now()
    end = _time(p.get("EndTime"), "EndTime", now)
    start = _time(p.get("StartTime"), "StartTime", end - 3600)
    if start >= end:
        raise errors.invalid_parameter("StartTime", "StartTime must be before EndTime.")
    if ns != NAMESPACE or metric not in METRICS:
        return _body(call, period, [], None)
    iids = _instances(call, p)
    first = math.floor(start / period) * period + period      # start is exclusive
    points = []
    t = first
    while t <= end and t <= now:
        points += [_point(metric, iid, t) for iid in iids]
        t += period
    offset = 0
    if p.get("NextToken"):
        try:
            offset = int(base64.b64decode(p["NextToken"]).decode())
        except (ValueError, UnicodeDecodeError):
            raise errors.invalid_parameter("NextToken")
    page = points[offset: offset + length]
    token = base64.b64encode(str(offset + length).encode()).decode() if offset + length < len(points) else None
    return _body(call, period, page, token)


def metric_last(call):
    p = _params(call)
    ns, metric, period = _common(call, p)
    if ns != NAMESPACE or metric not in METRICS:
        return _body(call, period, [], None)
    t = math.floor(call.world.clock.now() / period) * period
    return _body(call, period, [_point(metric, iid, t) for iid in _instances(call, p)], None)


def metric_meta(call):
    p = _params(call)
    number = _int(p, "PageNumber", 1, 1)
    size = _int(p, "PageSize", 30, 1, 10000)
    items = []
    for name, (unit, desc, cat, _, _) in METRICS.items():
        if p.get("Namespace") and p["Namespace"] != NAMESPACE:
            continue
        if p.get("MetricName") and p["MetricName"] != name:
            continue
        items.append({"MetricName": name, "Namespace": NAMESPACE, "Description": desc, "Unit": unit,
                      "Dimensions": "userId,instanceId", "Periods": "60,300,900",
                      "Statistics": "Average,Minimum,Maximum",
                      "Labels": json.dumps([{"name": "metricCategory", "value": cat},
                                            {"name": "productCategory", "value": "ecs"}], separators=(",", ":"))})
    page = items[(number - 1) * size: number * size]
    return ok({"RequestId": call.request_id, "Code": "200", "Success": True, "Message": "",
               "TotalCount": len(items), "Resources": {"Resource": page}})


def _alerts(world):
    nodes = [n for cid in (state.CLUSTER_PROD, state.CLUSTER_STAGING) for n in world.nodes[cid]]
    out = []
    for i in range(36):
        t = int(world.start) - 2400 * i
        n = nodes[i % len(nodes)]
        metric = ("CPUUtilization", "memory_usedutilization", "diskusage_utilization")[i % 3]
        level = ("P2", "P3", "P4", "OK")[i % 4]
        event = "RESOLVED" if level == "OK" else "TRIGGERED"
        rule = {"CPUUtilization": "ecs-cpu-high", "memory_usedutilization": "ecs-memory-high",
                "diskusage_utilization": "ecs-disk-high"}[metric]
        out.append({"AlertTime": str(t * 1000), "Level": level, "LevelChange": "P4->P2" if i % 5 == 0 else "",
                    "RuleId": "rule-" + state.h(rule, 12), "RuleName": rule, "MetricName": metric,
                    "Namespace": NAMESPACE, "Product": "ECS", "InstanceId": n["instance_id"],
                    "InstanceName": n["node_name"], "EventName": "", "EventType": event,
                    "Message": f"{metric} of {n['instance_id']} is {80 + i % 15}% (threshold 80%)",
                    "SendStatus": "0" if i % 7 else "1", "LogId": state.h(f"alertlog:{i}", 24),
                    "GroupId": "g-ack", "GroupName": "ack-nodes",
                    "Dimensions": [{"Key": "instanceId", "Value": n["instance_id"]},
                                   {"Key": "userId", "Value": ACCOUNT_ID}],
                    "Escalation": {"Expression": "$Average>=80", "Level": level, "Times": 3}})
    return out


def alert_logs(call):
    p = _params(call)
    now = call.world.clock.now()
    number = _int(p, "PageNumber", 1, 1)
    size = _int(p, "PageSize", 10, 1, 10000)
    if p.get("LastMin"):
        start_ms, end_ms = (now - _int(p, "LastMin", 0, 0) * 60) * 1000, now * 1000
    else:
        end_ms = _int(p, "EndTime", int(now * 1000))
        start_ms = _int(p, "StartTime", end_ms - 86400 * 1000)
    items = [a for a in _alerts(call.world) if start_ms <= int(a["AlertTime"]) <= end_ms]
    for key, field in (("Namespace", "Namespace"), ("Product", "Product"), ("MetricName", "MetricName"),
                       ("Level", "Level"), ("EventType", "EventType"), ("RuleName", "RuleName"),
                       ("SendStatus", "SendStatus"), ("RuleId", "RuleId")):
        if p.get(key):
            items = [a for a in items if a[field] == p[key]]
    if p.get("SearchKey"):
        items = [a for a in items if p["SearchKey"] in a["Message"] or p["SearchKey"] in a["InstanceName"]]
    items.sort(key=lambda a: int(a["AlertTime"]), reverse=True)
    page = items[(number - 1) * size: number * size]
    return ok({"RequestId": call.request_id, "Code": "200", "Success": True, "Message": "",
               "PageNumber": number, "PageSize": size, "AlertLogList": page})


HANDLERS = {"DescribeMetricList": metric_list, "DescribeMetricLast": metric_last,
            "DescribeMetricMetaList": metric_meta, "DescribeAlertLogList": alert_logs}


def handle(call):
    with call.world.lock:
        return HANDLERS[call.action](call)
