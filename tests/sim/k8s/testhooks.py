"""Test-only controls under /_sim/: reset, latency, compaction, injected faults, request log.

Never part of the Kubernetes API and never authenticated; README.md lists them.
Faults and the request log belong to the cluster, so /_sim/reset clears them too.
"""

import itertools
import json
import time

import errors
import request
import resources
from store import dumps

REQUEST_LOG = 2000
_REASONS = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
            429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
            504: "Timeout"}
_SEQ = itertools.count(1)


def take_fault(cl, method, path):
    """The response of an injected failure matching this request, or None."""
    fault = None
    with cl.requests_lock:
        for f in cl.faults:
            if f["count"] != 0 and f.get("method", method) == method and \
                    path.startswith(f.get("path", "/")):
                f["count"] -= 1          # a negative count never reaches zero: for ever
                fault = dict(f)
                break
    if fault is None:
        return None
    if fault.get("delay_ms"):
        time.sleep(fault["delay_ms"] / 1000.0)
    code = int(fault.get("status", 500))
    if code < 400:
        return None                      # a pure delay
    msg = fault.get("message") or "injected failure (%d)" % code
    retry = code in (429, 503)
    st = errors.ApiError(code, _REASONS.get(code, "Unknown"), msg,
                         {"retryAfterSeconds": 1} if retry else None)
    return request.Response(code, dumps(st.status()), headers={"Retry-After": "1"} if retry
                            else {})


def record(cl, method, path, query, headers, user, status):
    """Append one API request to the bounded log that GET /_sim/requests returns."""
    with cl.requests_lock:
        cl.requests.append({"seq": next(_SEQ), "method": method, "path": path, "query": query,
                            "contentType": headers.get("content-type", ""),
                            "accept": headers.get("accept", ""),
                            "userAgent": headers.get("user-agent", ""),
                            "user": user, "status": status})
        if len(cl.requests) > REQUEST_LOG:
            del cl.requests[:len(cl.requests) - REQUEST_LOG]


def handle(sim, method, path, query, body):
    try:
        return _handle(sim, method, path, query, body)
    except (ValueError, TypeError, KeyError) as e:
        return request.Response(400, dumps(errors.bad_request("bad /_sim request: %s" % e)
                                           .status()))


def _handle(sim, method, path, query, body):
    cl = sim.cl
    name = path[len("/_sim/"):].strip("/")
    if name == "status" and method == "GET":
        return request.json_response({
            "resourceVersion": cl.store.rv, "pods": cl.store.count(resources.by_kind("", "Pod")),
            "latencyMs": cl.latency_ms, "faults": cl.faults, "watchers": len(cl.store.watchers)})
    if name == "reset" and method == "POST":
        sim.reset()
        return request.json_response({"reset": True, "resourceVersion": sim.cl.store.rv})
    if name == "latency" and method == "POST":
        cl.latency_ms = max(0, int(query.get("ms", "0")))
        return request.json_response({"latencyMs": cl.latency_ms})
    if name == "compact" and method == "POST":
        cl.store.compact()
        return request.json_response({"compacted": cl.store.compacted})
    if name == "fault" and method in ("POST", "DELETE"):
        with cl.requests_lock:
            if method == "DELETE":
                cl.faults = []
            else:
                f = json.loads(body or b"{}")
                if not isinstance(f, dict):
                    raise ValueError("a fault is a JSON object")
                f["count"] = int(f.get("count", 1))
                cl.faults.append(f)
            return request.json_response({"faults": cl.faults})
    if name == "requests" and method in ("GET", "DELETE"):
        with cl.requests_lock:
            if method == "DELETE":
                cl.requests.clear()
            since = int(query.get("since", "0"))
            return request.json_response({"requests": [r for r in cl.requests
                                                       if r["seq"] > since]})
    return request.Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
