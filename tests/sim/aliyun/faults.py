"""Fault injection: rules added by --fault flags or POST /_sim/faults, consumed by requests.

A rule is a JSON object:
  kind      throttle | error | latency | drop | sls_incomplete          (per request)
            task_fail | diagnosis_stuck | diagnosis_fail | inspect_fail  (switches, taken when
            a task / diagnosis / inspection report is created)
  product   cs | sts | arms | cms | sls | prometheus | metadata | *      (default *)
  action    API name (DescribeClusterDetail, GetLogs, ...) or omitted for any
  method    HTTP method or omitted for any
  cluster   for switches: only objects of this cluster
  count     how many requests/objects it affects (default 1; 0 or -1 = until cleared)
  status, code, message   override the error returned by throttle/error
  delay_ms  latency to add (latency kind), default 1000
  reset     drop: true sends a TCP RST instead of a plain close

Short form on the command line: KIND[:PRODUCT[:COUNT]], e.g. `throttle:cs:2`.
"""

import json
import threading

import errors

REQUEST_KINDS = ("throttle", "error", "latency", "drop", "sls_incomplete")
SWITCH_KINDS = ("task_fail", "diagnosis_stuck", "diagnosis_fail", "inspect_fail")
PRODUCTS = ("cs", "sts", "arms", "cms", "sls", "prometheus", "metadata", "*")


def parse_spec(text):
    text = text.strip()
    if text.startswith("{"):
        return json.loads(text)
    parts = text.split(":")
    spec = {"kind": parts[0]}
    if len(parts) > 1 and parts[1]:
        spec["product"] = parts[1]
    if len(parts) > 2 and parts[2]:
        spec["count"] = int(parts[2])
    return spec


class FaultSet:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.next_id = 1
        self.fired = []      # (rule id, kind) history, for /_sim/faults

    def add(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault is a JSON object")
        kind = spec.get("kind")
        if kind not in REQUEST_KINDS + SWITCH_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(REQUEST_KINDS + SWITCH_KINDS)}")
        product = spec.get("product", "*")
        if product not in PRODUCTS:
            raise ValueError(f"unknown product {product!r}; one of {', '.join(PRODUCTS)}")
        count = int(spec.get("count", 1))
        allowed = {"kind", "product", "action", "method", "cluster", "count", "status", "code", "message",
                   "delay_ms", "reset"}
        unknown = set(spec) - allowed
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        rule = dict(spec, product=product, count=count, remaining=count if count > 0 else None, hits=0)
        with self.lock:
            rule["id"] = self.next_id
            self.next_id += 1
            self.rules.append(rule)
        return rule

    def clear(self):
        with self.lock:
            self.rules = []
            self.fired = []

    def list(self):
        with self.lock:
            return {"active": [dict(r) for r in self.rules], "fired": list(self.fired)}

    def _consume(self, rule):
        rule["hits"] += 1
        self.fired.append({"id": rule["id"], "kind": rule["kind"]})
        if rule["remaining"] is not None:
            rule["remaining"] -= 1
            if rule["remaining"] <= 0:
                self.rules.remove(rule)

    def match(self, product, action, method):
        """Returns (latency rule or None, other rule or None), consuming both."""
        latency = other = None
        with self.lock:
            for rule in list(self.rules):
                if rule["kind"] not in REQUEST_KINDS:
                    continue
                if rule["product"] not in ("*", product):
                    continue
                if rule.get("action") and rule["action"] != action:
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if rule["kind"] == "latency":
                    if latency is None:
                        latency = rule
                        self._consume(rule)
                elif rule["kind"] == "sls_incomplete" and product != "sls":
                    continue
                elif other is None:
                    other = rule
                    self._consume(rule)
        return latency, other

    def take_switch(self, kind, cluster_id=None):
        with self.lock:
            for rule in self.rules:
                if rule["kind"] == kind and rule.get("cluster") in (None, cluster_id):
                    self._consume(rule)
                    return True
        return False


def error_for(rule, product, method):
    """The ApiError a throttle/error rule produces for `product`, in its family's terms."""
    family = errors.family_of(product)
    write = method in ("PUT", "DELETE", "POST")
    if rule["kind"] == "throttle":
        base = {"pop": errors.throttling(),
                "sls": errors.sls(403, "WriteQuotaExceed", "Project write quota exceed: qps") if write and
                method != "POST" else errors.sls(403, "ReadQuotaExceed", "Project read quota exceed: qps"),
                "prom": errors.ApiError(429, "too_many_requests", "query rate limit exceeded"),
                "imds": errors.ApiError(429, "TooManyRequests", "Too Many Requests")}[family]
    else:
        internal = rule.get("code") == "InternalError" and "status" not in rule
        base = {"pop": errors.internal_error() if internal else errors.service_unavailable(),
                "sls": errors.sls(500, "InternalServerError", "Internal server error"),
                "prom": errors.ApiError(503, "unavailable", "the query engine is temporarily unavailable"),
                "imds": errors.ApiError(500, "InternalError", "Internal Server Error")}[family]
    return errors.ApiError(int(rule.get("status", base.status)), rule.get("code", base.code),
                           rule.get("message", base.message), family=family)
