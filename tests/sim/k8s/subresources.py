"""Subresources (log, eviction, token) and computed resources (metrics, self-reviews).

The scale subresource is a write and lives in writes.py.
"""

import base64
import json
import time

import authz
import controllers
import errors
import logs
import metrics
import objects
import request
import resources
import seed
import validation
import writes
from selection import LabelSelector

FOLLOW_SECONDS = 300      # a `logs -f` stream ends after this, as an idle proxy would cut it


def pod_log(req, res, ns, name):
    pod = request.live(req.cl, res, ns, name).obj
    log = logs.resolve(pod, req.query, big=(ns, name) == seed.BIG_LOG_POD)
    body = logs.stream(log, req.query)
    if req.q("follow") in ("true", "1"):
        c = req.q("container") or pod["spec"]["containers"][0]["name"]
        st = next((s for s in pod.get("status", {}).get("containerStatuses") or []
                   if s["name"] == c), {})
        if "running" in st.get("state", {}):
            stamps = req.q("timestamps") in ("true", "1")
            body = _chain(body, logs.follow(log, stamps, time.time() + FOLLOW_SECONDS,
                                            req.alive))
    return request.Response(200, stream=body, ctype="text/plain")


def _chain(a, b):
    yield from a
    yield from b


def _pdb_blocks(cl, pdb, pod):
    """The 429 cause when evicting pod would break pdb, else None."""
    sel = pdb["spec"].get("selector") or {}
    if not validation.selector_matches(sel, pod["metadata"].get("labels") or {}):
        return None
    if pod.get("status", {}).get("phase") != "Running" or not controllers.pod_ready(pod):
        return None        # evicting a pod that is not healthy costs the budget nothing
    ns = pod["metadata"]["namespace"]
    healthy = sum(1 for e in cl.store.entries(controllers.RES["Pod"], ns)
                  if validation.selector_matches(sel, e.labels) and controllers.pod_ready(e.obj))
    need = pdb["spec"].get("minAvailable")
    if isinstance(need, str) and need.endswith("%"):
        need = int(need[:-1]) * healthy // 100
    if need is None:
        need = healthy - int(pdb["spec"].get("maxUnavailable", 1))
    if healthy - 1 >= need:
        return None
    return {"reason": "DisruptionBudget",
            "message": "The disruption budget %s needs %d healthy pods and has %d currently"
                       % (pdb["metadata"]["name"], need, healthy)}


def evict(req, res, ns, name):
    """POST pods/{name}/eviction: delete the pod unless a disruption budget forbids it."""
    cl = req.cl
    body = req.decode_body()
    if not isinstance(body, dict) or body.get("kind") != "Eviction":
        raise errors.bad_request('Eviction in version "v1" cannot be handled: expected kind '
                                 "Eviction")
    with cl.lock:
        pod = request.live(cl, res, ns, name).obj
        opts = body.get("deleteOptions") or {}
        dry = opts.get("dryRun") == ["All"] or req.q("dryRun") == "All"
        for e in cl.store.entries(resources.by_kind("policy", "PodDisruptionBudget"), ns):
            cause = _pdb_blocks(cl, e.obj, pod)
            if cause:
                raise errors.too_many_requests("Cannot evict pod as it would violate the pod's "
                                               "disruption budget.", [cause])
        if not dry:
            controllers.remove(cl, res, pod)
            writes.replace_pod(cl, pod)
    return request.json_response({"kind": "Status", "apiVersion": "v1", "metadata": {},
                                  "status": "Success", "code": 201}, 201)


def token_request(req, ns, name):
    """POST serviceaccounts/{name}/token: a JWT-shaped token (not signed by anything)."""
    cl = req.cl
    request.live(cl, resources.by_kind("", "ServiceAccount"), ns, name)
    body = req.decode_body() if req.body else {}
    exp = (body.get("spec") or {}).get("expirationSeconds") or 3600
    now = cl.now()
    claims = {"sub": "system:serviceaccount:%s:%s" % (ns, name), "exp": int(now + exp)}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return request.json_response({
        "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": None},
        "spec": {"audiences": ["https://kubernetes.default.svc"], "expirationSeconds": exp,
                 "boundObjectRef": None},
        "status": {"token": "eyJhbGciOiJSUzI1NiJ9.%s.c2ltdWxhdGVk" % payload,
                   "expirationTimestamp": objects.ts(now + exp)}}, 201)


def computed(req, res, ns, name, verb):
    """Resources with no storage: the self-reviews and metrics.k8s.io."""
    if res.group in ("authorization.k8s.io", "authentication.k8s.io"):
        body = req.decode_body()
        if res.plural == "selfsubjectaccessreviews":
            return request.json_response(authz.access_review(req.user, body), 201)
        if res.plural == "selfsubjectrulesreviews":
            return request.json_response(authz.rules_review(req.user, body), 201)
        return request.json_response(authz.self_review(req.user), 201)
    if res.kind == "NodeMetrics":
        return _node_metrics(req, name)
    return _pod_metrics(req, ns, name)


def _metrics_response(items, name, list_kind, not_found):
    if name:
        if not items:
            raise not_found
        return request.json_response(items[0])
    return request.json_response({"kind": list_kind, "apiVersion": "metrics.k8s.io/v1beta1",
                                  "metadata": {}, "items": items})


def _node_metrics(req, name):
    cl = req.cl
    now = cl.now()
    lsel = LabelSelector(req.q("labelSelector"))
    by_node = {}
    for e in cl.store.entries(controllers.RES["Pod"]):
        p = e.obj
        if metrics.running(p):
            by_node.setdefault(p["spec"]["nodeName"], []).append(p)
    items = [metrics.node_metrics(e.obj, by_node.get(e.name, []), now)
             for e in cl.store.entries(controllers.RES["Node"])
             if (not name or e.name == name) and lsel.matches(e.labels)]
    return _metrics_response(items, name, "NodeMetricsList", errors.ApiError(
        404, "NotFound", 'nodemetrics.metrics.k8s.io "%s" not found' % name,
        {"name": name, "group": "metrics.k8s.io", "kind": "nodes"}))


def _pod_metrics(req, ns, name):
    cl = req.cl
    now = cl.now()
    lsel = LabelSelector(req.q("labelSelector"))
    items = [metrics.pod_metrics(e.obj, now)
             for e in cl.store.entries(controllers.RES["Pod"], ns or None)
             if (not name or e.name == name) and lsel.matches(e.labels) and
             metrics.running(e.obj)]
    return _metrics_response(items, name, "PodMetricsList", errors.ApiError(
        404, "NotFound", 'podmetrics.metrics.k8s.io "%s/%s" not found' % (ns, name),
        {"name": name, "group": "metrics.k8s.io", "kind": "pods"}))
