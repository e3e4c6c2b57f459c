"""REST semantics of kube-apiserver: dispatch, and the reads (list, get, watch).

`handle(req)` serves one request under /api/v1 or /apis/{g}/{v}. Lists support
label and field selectors, limit/continue with etcd-style tokens served from a
snapshot, resourceVersion/resourceVersionMatch and Table output. Watches are in
watching.py, writes in writes.py, subresources and computed resources in
subresources.py.
Errors are raised as errors.ApiError.
"""

import base64
import json

import authz
import errors
import request
import resources
import selection
import subresources
import table
import watching
import writes
from store import Compacted, dumps, expired_list_error


# ---- path parsing ------------------------------------------------------------------

def parse(path):
    """(res, namespace, name, subresource) for a resource path, or None."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    if parts[0] == "api":
        if len(parts) < 3 or parts[1] != "v1":
            return None
        group, version, rest = "", "v1", parts[2:]
    elif parts[0] == "apis":
        if len(parts) < 4:
            return None
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    ns = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        res = resources.lookup(group, version, rest[2])
        if res is not None and res.namespaced:
            ns = rest[1]
            rest = rest[2:]
    res = resources.lookup(group, version, rest[0])
    if res is None:
        raise errors.resource_not_found()
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    if len(rest) > 3 or (sub and sub not in res.subresources):
        raise errors.resource_not_found()
    return res, ns, name, sub


# ---- dispatch ----------------------------------------------------------------------

# (method, has name) -> verb, as the API server's request-info resolver names them
_VERBS = {("GET", True): "get", ("GET", False): "list", ("POST", False): "create",
          ("POST", True): "create", ("PUT", True): "update", ("PATCH", True): "patch",
          ("DELETE", True): "delete", ("DELETE", False): "deletecollection"}
_STREAMING = ("exec", "attach", "portforward")


def handle(req):
    """Serve a resource path; None when the path is not one (the caller answers 404)."""
    parsed = parse(req.path)
    if parsed is None:
        return None
    res, ns, name, sub = parsed
    request.check_accept(req.headers)
    m = req.method
    watch = req.q("watch") in ("true", "1")
    verb = _VERBS.get((m, bool(name)))
    if verb is None:
        raise errors.method_not_allowed()
    if verb == "list" and watch:
        verb = "watch"
    allowed = res.subresources[sub][3] if sub else res.verbs
    if verb not in allowed and not (verb == "watch" and "list" in allowed and res.storage):
        raise errors.method_not_allowed()
    if res.namespaced and not ns and name:
        raise errors.resource_not_found()
    authz.check(req.user, verb, res, sub, ns, name)
    if not res.storage:
        return subresources.computed(req, res, ns, name, verb)
    if sub in _STREAMING:
        raise errors.bad_request("Upgrade request required")
    if sub in ("proxy", "binding", "ephemeralcontainers", "finalize"):
        raise errors.method_not_allowed()
    if verb == "create":
        if sub == "eviction":
            return subresources.evict(req, res, ns, name)
        if sub == "token":
            return subresources.token_request(req, ns, name)
        return writes.create(req, res, ns)
    if verb in ("list", "watch"):
        return watching.watch(req, res, ns) if watch else list_objects(req, res, ns)
    if verb == "get":
        if sub == "log":
            return subresources.pod_log(req, res, ns, name)
        return get(req, res, ns, name, sub)
    if verb == "update":
        return writes.update(req, res, ns, name, sub)
    if verb == "patch":
        return writes.patch(req, res, ns, name, sub)
    if verb == "delete":
        return writes.delete(req, res, ns, name)
    return writes.delete_collection(req, res, ns)


# ---- reads -------------------------------------------------------------------------

def _decode_continue(token):
    try:
        pad = "=" * (-len(token) % 4)
        raw = base64.urlsafe_b64decode(token + pad)
        data = json.loads(raw)
    except (ValueError, TypeError) as e:
        raise errors.bad_request("invalid continue token: continue key is not valid: %s" % e)
    if not isinstance(data, dict):
        raise errors.bad_request("invalid continue token: continue key is not valid")
    if data.get("v") != "meta.k8s.io/v1":
        raise errors.bad_request("invalid continue token: continue key is not valid: server "
                                 "does not recognize this encoded version %s" % data.get("v"))
    rv = data.get("rv")
    if not isinstance(rv, int) or rv == 0:
        raise errors.bad_request("invalid continue token: continue key is not valid: incorrect "
                                 "encoded start resourceVersion (version meta.k8s.io/v1)")
    start = data.get("start") or ""
    if not start:
        raise errors.bad_request("invalid continue token: continue key is not valid: encoded "
                                 "start key empty (version meta.k8s.io/v1)")
    if ".." in start.split("/") or start.startswith("/"):
        raise errors.bad_request("invalid continue token: continue key is not valid: %s" % start)
    return start, rv


def _encode_continue(start, rv):
    """storage.EncodeContinue: unpadded base64url of {"v", "rv", "start"}."""
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _page(req, res, ns):
    """Select one page: (entries, list_rv, continue token, remainingItemCount)."""
    cl = req.cl
    lsel, fsel = selection.from_query(req.query, res)
    if res.namespaced and not ns:
        pinned = fsel.exact("metadata.namespace")
        if pinned is not None:
            ns = pinned
    try:
        limit = int(req.q("limit") or 0)
    except ValueError:
        raise errors.bad_request('limit: Invalid value: "%s": must be an integer' % req.q("limit"))
    limit = max(limit, 0)
    cont = req.q("continue")
    rv_param = req.q("resourceVersion")
    at_rv = None
    start = ""
    if cont:
        if rv_param not in (None, "", "0"):
            raise errors.bad_request("specifying resource version is not allowed when using "
                                     "continue")
        start, at_rv = _decode_continue(cont)
        if at_rv < 0:
            at_rv = None
    elif rv_param not in (None, "", "0"):
        try:
            rv_num = int(rv_param)
        except ValueError:
            raise errors.bad_request("invalid resource version: strconv.ParseUint: parsing "
                                     "\"%s\": invalid syntax" % rv_param)
        match = req.q("resourceVersionMatch", "")
        if match == "Exact" or (match == "" and limit):
            at_rv = rv_num
        elif match not in ("", "NotOlderThan"):
            raise errors.bad_request("resourceVersionMatch: Unsupported value: \"%s\"" % match)
        if rv_num > cl.store.rv:
            raise errors.ApiError(504, "Timeout", "Too large resource version: %d, current: %d"
                                  % (rv_num, cl.store.rv),
                                  {"causes": [{"reason": "ResourceVersionTooLarge",
                                               "message": "Too large resource version"}],
                                   "retryAfterSeconds": 1})

    def match(e):
        return lsel.matches(e.labels) and selection.field_match(e, fsel)
    try:
        entries, list_rv, last, remaining = cl.store.list(res, ns, start, limit, match, at_rv)
    except Compacted:
        if cont:
            # rv -1: "continue at the latest revision", offered in the 410 as etcd3 does
            raise expired_list_error(True, _encode_continue(start, -1))
        raise expired_list_error(False, None)
    token = _encode_continue(last + "\x00", list_rv) if last is not None else None
    if not (lsel.empty() and fsel.empty()):
        remaining = None
    return entries, list_rv, token, remaining


def _list_meta(rv, token, remaining):
    md = {"resourceVersion": str(rv)}
    if token:
        md["continue"] = token
    if remaining is not None:
        md["remainingItemCount"] = remaining
    return md


def list_objects(req, res, ns):
    entries, rv, token, remaining = _page(req, res, ns)
    md = _list_meta(rv, token, remaining)
    now = req.cl.now()
    if request.wants_table(req.headers):
        include = req.q("includeObject", "PartialObjectMetadata")
        rows = [table.entry_row(e, now, include) for e in entries]
        body = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": md,
                "columnDefinitions": table.columns(res.kind), "rows": rows}
        return request.json_response(body)
    head = dumps({"kind": res.list_kind, "apiVersion": res.group_version, "metadata": md})
    builtin = res.group != "example.com"
    prefix = len('{"kind":"%s","apiVersion":"%s",' % (res.kind, res.group_version))
    items = []
    for e in entries:
        raw = e.raw()
        items.append(b"{" + raw[prefix:] if builtin else raw)
    body = head[:-1] + b',"items":[' + b",".join(items) + b"]}"
    return request.Response(200, body)


def get(req, res, ns, name, sub=""):
    e = request.live(req.cl, res, ns, name)
    obj = e.obj
    if sub == "scale":
        return request.json_response(writes.scale_of(res, obj))
    if request.wants_table(req.headers):
        include = req.q("includeObject", "PartialObjectMetadata")
        body = {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                "metadata": {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                "columnDefinitions": table.columns(res.kind),
                "rows": [table.row(obj, req.cl.now(), include)]}
        return request.json_response(body)
    return request.Response(200, e.raw())
