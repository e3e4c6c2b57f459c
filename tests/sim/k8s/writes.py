"""Writes with kube-apiserver's semantics: create, update, patch, apply, delete.

Every write validates like the registry strategies (validation.py), honours
dryRun=All (nothing stored, the object returned), records managedFields
(apply.py), checks resourceVersion preconditions (409 Conflict), and runs the
controllers (controllers.py) so dependents follow at once.
"""

import base64
import copy
import json

import apply as ssa
import controllers
import errors
import objects
import patch as patching
import request
import resources
import shapes
import table
import validation
import yamlish
from selection import FieldSelector, LabelSelector

_GENERATION_GROUPS = {"apps", "batch", "networking.k8s.io", "policy", "autoscaling",
                      "example.com", "apiextensions.k8s.io"}
PATCH_TYPES = ["application/json-patch+json", "application/merge-patch+json",
               "application/strategic-merge-patch+json", "application/apply-patch+yaml"]
RETURNS_OBJECT_ON_DELETE = {"Pod", "Namespace"}


class _Kind:
    """What errors.invalid needs to name an options kind (PatchOptions, DeleteOptions...)."""

    def __init__(self, kind, group):
        self.kind, self.group = kind, group
        self.group_kind = "%s.%s" % (kind, group)


_PATCH_OPTIONS = _Kind("PatchOptions", "meta.k8s.io")
_DELETE_OPTIONS = _Kind("DeleteOptions", "meta.k8s.io")
_SCALE = _Kind("Scale", "autoscaling")


# ---- create ------------------------------------------------------------------------

def _check_namespace(cl, res, ns):
    """Creating in a missing namespace is a 404 naming the namespace, as the real server."""
    if not (res.namespaced and ns):
        return
    e = cl.store.get(resources.by_kind("", "Namespace"), "", ns)
    if e is None:
        raise errors.namespace_not_found(ns)
    if e.obj["metadata"].get("deletionTimestamp"):
        raise errors.ApiError(403, "Forbidden", '%s "" is forbidden: unable to create new '
                              "content in namespace %s because it is being terminated"
                              % (res.group_resource, ns))


def _check_type(res, obj):
    validation.decode_check(res, obj)
    if not obj.get("kind"):
        raise errors.bad_request("Object 'Kind' is missing in '%s'" % json.dumps(obj)[:200])
    if obj.get("kind") != res.kind:
        raise errors.bad_request('%s in version "%s" cannot be handled as a %s: no kind "%s" is '
                                 'registered for version "%s" in scheme' % (
                                     obj["kind"], res.version, res.kind, obj["kind"],
                                     obj.get("apiVersion")))
    if obj.get("apiVersion") != res.group_version:
        raise errors.bad_request("the API version in the data (%s) does not match the expected "
                                 "API version (%s)" % (obj.get("apiVersion"), res.group_version))


def _prepare_new(req, res, ns, obj):
    """Everything the API server sets on create: identity, defaults, generation."""
    cl = req.cl
    obj = copy.deepcopy(obj)
    md = obj.setdefault("metadata", {})
    if res.namespaced:
        if md.get("namespace") and md["namespace"] != ns:
            raise errors.bad_request("the namespace of the provided object does not match the "
                                     "namespace sent on the request")
        md["namespace"] = ns
    else:
        md.pop("namespace", None)
    if not md.get("name") and md.get("generateName"):
        md["name"] = md["generateName"] + objects.safe_hash(
            "%s/%d" % (md["generateName"], cl.serial()), 5)
    validation.validate(res, obj)
    now = cl.now()
    for k in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
              "deletionGracePeriodSeconds", "managedFields", "selfLink"):
        md.pop(k, None)
    md["uid"] = objects.uid("created", ns, md["name"], cl.serial())
    md["creationTimestamp"] = objects.ts(now)
    if res.group in _GENERATION_GROUPS:
        md["generation"] = 1
    objects.apply_defaults(obj)
    if res.kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job",
                    "CronJob", "Ingress", "PersistentVolumeClaim", "HorizontalPodAutoscaler",
                    "PodDisruptionBudget", "Widget", "Namespace", "Service"):
        obj["status"] = {}
    if res.kind == "Namespace":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}
        md.setdefault("labels", {})["kubernetes.io/metadata.name"] = md["name"]
    if res.kind == "Service":
        obj["status"] = {"loadBalancer": {}}
        if not obj["spec"].get("clusterIP"):
            ip = "192.168.%d.%d" % (cl.serial() % 200 + 20, cl.serial() % 250 + 2)
            obj["spec"]["clusterIP"] = ip
            obj["spec"]["clusterIPs"] = [ip]
    if res.kind == "Secret":
        obj.setdefault("type", "Opaque")
        for k, v in (obj.pop("stringData", None) or {}).items():
            obj.setdefault("data", {})[k] = base64.b64encode(v.encode()).decode()
    if res.kind == "Event":
        obj.setdefault("count", 1)
    return obj


def create(req, res, ns):
    """POST to a collection: 201 with the object as stored, 409 if it exists."""
    cl = req.cl
    if res.kind == "Namespace" or not res.namespaced:
        ns = ""
    obj = objects.strip_nulls(req.decode_body(res))
    _check_type(res, obj)
    dry = req.dry_run()
    with cl.lock:
        _check_namespace(cl, res, ns)
        obj = _prepare_new(req, res, ns, obj)
        name = obj["metadata"]["name"]
        if cl.store.get(res, ns, name) is not None:
            raise errors.already_exists(res, name)
        ssa.record_update(None, obj, req.manager(), cl.now())
        msg = None
        if res.kind == "Pod":
            obj, msg = controllers.run_pod(cl, obj)
        obj = objects.normalize(obj)
        if dry:
            return request.json_response(obj, 201)
        stored = copy.deepcopy(cl.put(obj))
        if res.kind == "Pod":
            controllers.pod_events(cl, obj, msg)
        controllers.reconcile(cl, obj)
    return request.json_response(stored, 201)


# ---- update and patch ----------------------------------------------------------------

def apply_update(req, res, old, new, sub, dry, managed=None):
    """Common tail of PUT and PATCH: preserve server fields, validate, store, reconcile.

    managed: the managedFields a server-side apply computed; otherwise the fields this
    write changed go to the request's field manager.
    """
    cl = req.cl
    md_old = old["metadata"]
    if sub == "status":
        merged = copy.deepcopy(old)
        merged["status"] = new.get("status")
        if merged["status"] is None:
            merged.pop("status")
        new = merged
    else:
        new = copy.deepcopy(new)
        if "status" in old and res.kind != "Namespace" and \
                "status" in res.subresources:
            new["status"] = copy.deepcopy(old["status"])
    md = new.setdefault("metadata", {})
    if md.get("name") != md_old["name"]:
        raise errors.bad_request("the name of the object (%s) does not match the name on the "
                                 "URL (%s)" % (md.get("name"), md_old["name"]))
    if md.get("namespace", md_old.get("namespace", "")) != md_old.get("namespace", "") and \
            res.namespaced:
        raise errors.bad_request("the namespace of the provided object does not match the "
                                 "namespace sent on the request")
    if md.get("uid") and md["uid"] != md_old["uid"]:
        raise errors.conflict(res, md_old["name"], "Precondition failed: UID in precondition: "
                                                   "%s, UID in object meta: %s"
                              % (md["uid"], md_old["uid"]))
    for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
              "generation"):
        if k in md_old:
            md[k] = md_old[k]
        else:
            md.pop(k, None)
    if res.namespaced:
        md["namespace"] = md_old["namespace"]
    md.pop("resourceVersion", None)
    _check_type(res, new)
    validation.validate(res, new, old)
    objects.apply_defaults(new)
    if "generation" in md_old and sub != "status":
        a = {k: v for k, v in old.items() if k not in ("metadata", "status")}
        b = {k: v for k, v in new.items() if k not in ("metadata", "status")}
        if a != b:
            md["generation"] = md_old["generation"] + 1
    if managed is None:
        ssa.record_update(old, new, req.manager(), cl.now(), sub)
    elif managed:
        md["managedFields"] = managed
    else:
        md.pop("managedFields", None)
    new = objects.normalize(new)
    if dry:
        new["metadata"]["resourceVersion"] = md_old.get("resourceVersion")
        return new
    stored = copy.deepcopy(cl.put(new))
    _after_write(cl, res, new, old)
    return stored


def _after_write(cl, res, new, old):
    if res.kind in controllers.SYNC and (
            old.get("spec") != new.get("spec") or res.kind == "Deployment"):
        controllers.reconcile(cl, new)
    elif res.kind == "Pod":
        controllers.after_pod_change(cl, new)


def update(req, res, ns, name, sub):
    """PUT: requires the current resourceVersion, else 409 Conflict."""
    cl = req.cl
    body = objects.strip_nulls(req.decode_body(res))
    dry = req.dry_run()
    with cl.lock:
        e = request.live(cl, res, ns, name)
        old = e.obj
        if sub == "scale":
            return request.json_response(set_scale(req, res, old, body, dry))
        validation.decode_check(res, body)
        rv = (body.get("metadata") or {}).get("resourceVersion")
        if not rv:
            raise errors.invalid(res, name, [errors.FieldError(
                "Invalid", "metadata.resourceVersion", 0, "must be specified for an update")])
        if rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(res, name)
        return request.json_response(apply_update(req, res, old, body, sub, dry))


def patch(req, res, ns, name, sub):
    """PATCH in any of the four content types; apply creates a missing object."""
    cl = req.cl
    ct = req.content_type()
    if ct not in PATCH_TYPES or (ct == "application/strategic-merge-patch+json" and
                                 res.group == "example.com"):
        accepted = [t for t in PATCH_TYPES if not (
            res.group == "example.com" and "strategic" in t)]
        raise errors.unsupported_media_type(ct, accepted)
    dry = req.dry_run()
    force = req.q("force") in ("true", "1")
    if force and ct != "application/apply-patch+yaml":
        raise errors.invalid(_PATCH_OPTIONS, "", [errors.FieldError(
            "Forbidden", "force", detail="may not be specified for non-apply patch")])
    if ct == "application/apply-patch+yaml" and not req.q("fieldManager"):
        raise errors.invalid(_PATCH_OPTIONS, "", [errors.FieldError(
            "Required", "fieldManager", detail="is required for apply patch")])
    try:
        body = (yamlish.loads(req.body) if ct == "application/apply-patch+yaml"
                else json.loads(req.body or b"null"))
    except (ValueError, UnicodeDecodeError) as e:
        if ct == "application/apply-patch+yaml":
            raise errors.bad_request("error decoding YAML: %s" % e)
        raise errors.bad_request("error decoding patch: %s" % e)
    with cl.lock:
        e = cl.store.get(res, ns, name)
        if ct == "application/apply-patch+yaml":
            return _server_side_apply(req, res, ns, name, sub, e, body, force, dry)
        if e is None:
            raise errors.not_found(res, name)
        old = e.obj
        if sub == "scale":
            current = scale_of(res, old)
            patched = _patch_doc(ct, current, body, "Scale")
            return request.json_response(set_scale(req, res, old, patched, dry))
        patched = _patch_doc(ct, old, body, res.kind)
        validation.patch_check(res, patched)
        rv = (patched.get("metadata") or {}).get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(res, name)
        return request.json_response(apply_update(req, res, old, patched, sub, dry))


def _patch_doc(ct, current, body, kind):
    try:
        if ct == "application/json-patch+json":
            return patching.json_patch(current, body)
        if ct == "application/merge-patch+json":
            if not isinstance(body, dict):
                raise errors.bad_request("Invalid JSON Patch")
            return patching.merge_patch(current, body)
        return patching.strategic_merge(current, body, kind)
    except patching.PatchFailed:
        raise errors.ApiError(422, "Invalid", "the server rejected our request due to an error "
                                              "in our request", {})


def _server_side_apply(req, res, ns, name, sub, entry, cfg, force, dry):
    cl = req.cl
    if not isinstance(cfg, dict):
        raise errors.bad_request("error decoding YAML: json: cannot unmarshal array into Go "
                                 "value of type map[string]interface {}")
    cfg = objects.strip_nulls(cfg)
    _check_type(res, cfg)
    md = cfg.get("metadata") or {}
    if md.get("name") and md["name"] != name:
        raise errors.bad_request("the name of the object (%s) does not match the name on the "
                                 "URL (%s)" % (md["name"], name))
    manager = req.q("fieldManager")
    now = cl.now()
    if entry is None:
        if sub:
            raise errors.not_found(res, name)
        _check_namespace(cl, res, ns)
        cfg = copy.deepcopy(cfg)
        cfg.setdefault("metadata", {})["name"] = name
        obj = _prepare_new(req, res, ns, cfg)
        applied = ssa.server_side_apply(None, cfg, manager, force, now)
        obj["metadata"]["managedFields"] = applied["metadata"].get("managedFields", [])
        msg = None
        if res.kind == "Pod":
            obj, msg = controllers.run_pod(cl, obj)
        obj = objects.normalize(obj)
        if dry:
            return request.json_response(obj, 201)
        stored = copy.deepcopy(cl.put(obj))
        if res.kind == "Pod":
            controllers.pod_events(cl, obj, msg)
        controllers.reconcile(cl, obj)
        return request.json_response(stored, 201)
    old = entry.obj
    rv = md.get("resourceVersion")
    if rv and rv != old["metadata"]["resourceVersion"]:
        raise errors.conflict(res, name)
    result = ssa.server_side_apply(old, cfg, manager, force, now, sub)
    managed = result["metadata"].get("managedFields") or []
    return request.json_response(apply_update(req, res, old, result, sub, dry, managed))


# ---- delete ------------------------------------------------------------------------

def _delete_options(req):
    opts = {}
    if req.body:
        try:
            opts = json.loads(req.body) or {}
        except ValueError as e:
            raise errors.bad_request("couldn't get version/kind; json parse error: %s" % e)
        if not isinstance(opts, dict):
            raise errors.bad_request("json: cannot unmarshal %s into Go value of type "
                                     "v1.DeleteOptions" % shapes.json_type(opts))
        problem = shapes.delete_options_problem(opts)
        if problem:
            raise errors.bad_request(problem)
    for k in ("propagationPolicy", "gracePeriodSeconds", "orphanDependents"):
        if req.q(k) is not None:
            v = req.q(k)
            opts[k] = int(v) if k == "gracePeriodSeconds" else (
                v in ("true", "1") if k == "orphanDependents" else v)
    if req.q("dryRun") is not None:
        opts["dryRun"] = ["All"] if req.dry_run() else []
    if "dryRun" in opts and opts["dryRun"] not in ([], ["All"]):
        raise errors.bad_request('dryRun: Unsupported value: "%s"' % opts["dryRun"])
    pol = opts.get("propagationPolicy")
    if pol not in (None, "Orphan", "Background", "Foreground"):
        raise errors.invalid(_DELETE_OPTIONS, "", [errors.FieldError(
            "NotSupported", "propagationPolicy", pol,
            'supported values: "Foreground", "Background", "Orphan", "nil"')])
    if opts.get("orphanDependents") and pol:
        raise errors.invalid(_DELETE_OPTIONS, "", [errors.FieldError(
            "Invalid", "propagationPolicy", pol, "orphanDependents and deletionPropagation "
                                                 "cannot be both set")])
    return opts


def delete(req, res, ns, name):
    """DELETE: dependents follow the propagation policy; the pod is gone at once."""
    cl = req.cl
    opts = _delete_options(req)
    dry = opts.get("dryRun") == ["All"]
    with cl.lock:
        e = request.live(cl, res, ns, name)
        obj = e.obj
        pre = opts.get("preconditions") or {}
        if pre.get("uid") and pre["uid"] != obj["metadata"]["uid"]:
            raise errors.conflict(res, name, "Precondition failed: UID in precondition: %s, UID "
                                             "in object meta: %s" % (pre["uid"],
                                                                     obj["metadata"]["uid"]))
        if pre.get("resourceVersion") and pre["resourceVersion"] != \
                obj["metadata"]["resourceVersion"]:
            raise errors.conflict(res, name, "Precondition failed: ResourceVersion in "
                                             "precondition: %s, ResourceVersion in object meta: "
                                             "%s" % (pre["resourceVersion"],
                                                     obj["metadata"]["resourceVersion"]))
        policy = opts.get("propagationPolicy") or ("Orphan" if opts.get("orphanDependents")
                                                   else "Background")
        final = copy.deepcopy(obj)
        final["metadata"]["deletionTimestamp"] = objects.ts(cl.now())
        grace = opts.get("gracePeriodSeconds")
        if res.kind == "Pod":
            final["metadata"]["deletionGracePeriodSeconds"] = grace if grace is not None else \
                obj["spec"].get("terminationGracePeriodSeconds", 30)
        if dry:
            return _deleted_response(res, final)
        if res.kind == "Namespace":
            _delete_namespace_content(cl, name)
            final["status"] = {"phase": "Terminating"}
        controllers.garbage_collect(cl, obj, policy)
        controllers.remove(cl, res, obj)
        if res.kind == "Pod":
            replace_pod(cl, obj)
    return _deleted_response(res, final)


def _deleted_response(res, final):
    if res.kind in RETURNS_OBJECT_ON_DELETE:
        return request.json_response(objects.normalize(final))
    md = final["metadata"]
    details = {"name": md["name"]}
    if res.group:
        details["group"] = res.group
    details["kind"] = res.plural
    details["uid"] = md["uid"]
    return request.json_response({"kind": "Status", "apiVersion": "v1", "metadata": {},
                                  "status": "Success", "details": details})


def replace_pod(cl, pod):
    """Controllers notice a deleted pod and make a new one, as on a real cluster."""
    for ref in pod["metadata"].get("ownerReferences") or []:
        if not ref.get("controller"):
            continue
        kind = ref["kind"]
        if kind not in ("ReplicaSet", "StatefulSet", "DaemonSet"):
            continue
        e = cl.store.get(controllers.RES[kind], pod["metadata"]["namespace"], ref["name"])
        if e is not None:
            controllers.reconcile(cl, e.obj)
            if kind == "ReplicaSet":
                controllers.after_pod_change(cl, pod)


def _delete_namespace_content(cl, ns):
    for res in resources.RESOURCES:
        if res.namespaced and res.storage:
            for e in cl.store.entries(res, ns):
                controllers.remove(cl, res, e.obj)


def delete_collection(req, res, ns):
    cl = req.cl
    opts = _delete_options(req)
    dry = opts.get("dryRun") == ["All"]
    lsel = LabelSelector(req.q("labelSelector"))
    fsel = FieldSelector(req.q("fieldSelector"), res)
    out = []
    with cl.lock:
        for e in cl.store.entries(res, ns or None):
            if lsel.matches(e.labels) and fsel.matches(e.obj):
                obj = e.obj
                out.append(obj)
                if not dry:
                    controllers.garbage_collect(cl, obj, opts.get("propagationPolicy",
                                                                  "Background"))
                    controllers.remove(cl, res, obj)
        rv = cl.store.rv
    return request.json_response({"kind": res.list_kind, "apiVersion": res.group_version,
                                  "metadata": {"resourceVersion": str(rv)}, "items": out})


# ---- the scale subresource -----------------------------------------------------

def scale_of(res, obj):
    """The autoscaling/v1 Scale view of a deployment, replica set or stateful set."""
    md = obj["metadata"]
    sel = table.selector_string(obj["spec"].get("selector"))
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {"name": md["name"], "namespace": md["namespace"], "uid": md["uid"],
                         "resourceVersion": md["resourceVersion"],
                         "creationTimestamp": md["creationTimestamp"]},
            "spec": {"replicas": obj["spec"].get("replicas", 1)},
            "status": {"replicas": obj.get("status", {}).get("replicas", 0),
                       "selector": sel}}


def set_scale(req, res, old, scale, dry):
    """Write spec.replicas from a Scale (PUT or patched); returns the new Scale."""
    if not isinstance(scale, dict) or scale.get("kind", "Scale") != "Scale":
        raise errors.bad_request("invalid Scale object")
    rv = (scale.get("metadata") or {}).get("resourceVersion")
    if rv and rv != old["metadata"]["resourceVersion"]:
        raise errors.conflict(res, old["metadata"]["name"])
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise errors.bad_request("Scale in version \"v1\" cannot be handled as a Scale: json: "
                                 "cannot unmarshal %s into Go struct field ScaleSpec.spec."
                                 "replicas of type int32" % type(replicas).__name__)
    if replicas < 0:
        raise errors.invalid(_SCALE, old["metadata"]["name"], [errors.FieldError(
            "Invalid", "spec.replicas", replicas, "must be greater than or equal to 0")])
    new = copy.deepcopy(old)
    new["spec"]["replicas"] = replicas
    stored = apply_update(req, res, old, new, "", dry)
    if not dry:
        stored = req.cl.store.get(res, old["metadata"]["namespace"], old["metadata"]["name"]).obj
    return scale_of(res, stored)
