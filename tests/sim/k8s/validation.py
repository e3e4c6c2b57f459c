"""Validation on create and update: the checks clients most often trip, with real messages.

Covers names, pod containers, workload selectors vs template labels, replica
counts, job restart policies, service ports, the Widget CRD schema's minimum,
and the common immutable fields. Everything else is accepted as sent.
"""

import copy
import json
import re

import errors
import shapes
from errors import FieldError

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
SUBDOMAIN_MSG = ("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                 "characters, '-' or '.', and must start and end with an alphanumeric character "
                 "(e.g. 'example.com', regex used for validation is "
                 "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
LABEL_MSG = ("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
             "'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
             "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
_LABEL_KINDS = {"Namespace", "Service"}
_WORKLOADS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet"}
def decode_problem(res, obj):
    """The error Go's JSON decoder would report for obj, or None."""
    return shapes.problem(res.kind, obj)


def decode_check(res, obj):
    """Create and update bodies that do not decode: 400, as kube-apiserver reports them."""
    problem = decode_problem(res, obj)
    if problem:
        raise errors.bad_request('%s in version "%s" cannot be handled as a %s: %s'
                                 % (res.kind, res.version, res.kind, problem))


def patch_check(res, patched):
    """A patch whose result does not decode: 422 on the field "patch", as the patch handler."""
    problem = decode_problem(res, patched)
    if problem:
        value = json.dumps(patched, separators=(",", ":"))
        err = FieldError("Invalid", "patch", value, problem)
        raise errors.ApiError(422, "Invalid", ' "" is invalid: %s' % err, {"causes": [
            {"reason": "FieldValueInvalid", "message": err.body(), "field": "patch"}]})


def _jtype(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, list):
        return "array"
    return "object"


def _name(obj, kind):
    md = obj.get("metadata") or {}
    name = md.get("name", "")
    errs = []
    if not name:
        if not md.get("generateName"):
            errs.append(FieldError("Required", "metadata.name", detail="name or generateName "
                                                                       "is required"))
        return errs
    if kind in _LABEL_KINDS:
        if len(name) > 63 or not _LABEL.match(name):
            errs.append(FieldError("Invalid", "metadata.name", name, LABEL_MSG if len(name) <= 63
                                   else "must be no more than 63 characters"))
    elif len(name) > 253 or not _SUBDOMAIN.match(name):
        errs.append(FieldError("Invalid", "metadata.name", name, SUBDOMAIN_MSG if len(name) <= 253
                               else "must be no more than 253 characters"))
    return errs


def _pod_spec(spec, path):
    errs = []
    containers = spec.get("containers")
    if not containers:
        errs.append(FieldError("Required", path + ".containers"))
        return errs
    seen = set()
    for kind in ("initContainers", "containers"):
        for i, c in enumerate(spec.get(kind) or []):
            c = c or {}       # a null item decodes to an empty container
            p = "%s.%s[%d]" % (path, kind, i)
            name = c.get("name", "")
            if not name:
                errs.append(FieldError("Required", p + ".name"))
            elif not _LABEL.match(name) or len(name) > 63:
                errs.append(FieldError("Invalid", p + ".name", name, LABEL_MSG))
            elif name in seen:
                errs.append(FieldError("Duplicate", p + ".name", name))
            seen.add(name)
            if not c.get("image"):
                errs.append(FieldError("Required", p + ".image"))
            for j, port in enumerate(c.get("ports") or []):
                cp = (port or {}).get("containerPort")
                if not isinstance(cp, int) or not 1 <= cp <= 65535:
                    errs.append(FieldError("Invalid", "%s.ports[%d].containerPort" % (p, j), cp,
                                           "must be between 1 and 65535, inclusive"))
    return errs


def selector_matches(sel, labels):
    for k, v in (sel.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in sel.get("matchExpressions") or []:
        val = labels.get(e.get("key"))
        op = e.get("operator")
        if op == "In" and val not in (e.get("values") or []):
            return False
        if op == "NotIn" and val in (e.get("values") or []):
            return False
        if op == "Exists" and e.get("key") not in labels:
            return False
        if op == "DoesNotExist" and e.get("key") in labels:
            return False
    return True


def _workload(obj):
    errs = []
    spec = obj.get("spec") or {}
    kind = obj["kind"]
    if kind in _WORKLOADS or kind == "Job":
        if "replicas" in spec and isinstance(spec["replicas"], int) and spec["replicas"] < 0:
            errs.append(FieldError("Invalid", "spec.replicas", spec["replicas"],
                                   "must be greater than or equal to 0"))
        sel = spec.get("selector")
        tmpl = spec.get("template") or {}
        labels = (tmpl.get("metadata") or {}).get("labels") or {}
        if kind != "Job":
            if not sel:
                errs.append(FieldError("Required", "spec.selector"))
            elif not sel.get("matchLabels") and not sel.get("matchExpressions"):
                errs.append(FieldError("Invalid", "spec.selector", None,
                                       "empty selector is invalid for deployment"))
            elif not selector_matches(sel, labels):
                errs.append(FieldError("Invalid", "spec.template.metadata.labels", labels,
                                       "`selector` does not match template `labels`"))
        errs += _pod_spec(tmpl.get("spec") or {}, "spec.template.spec")
        rp = (tmpl.get("spec") or {}).get("restartPolicy")
        if kind == "Job" and rp not in ("OnFailure", "Never"):
            if rp:
                errs.append(FieldError("NotSupported", "spec.template.spec.restartPolicy", rp,
                                       'supported values: "OnFailure", "Never"'))
            else:
                errs.append(FieldError("Required", "spec.template.spec.restartPolicy",
                                       detail='valid values: "OnFailure", "Never"'))
        if kind in _WORKLOADS and rp and rp != "Always":
            errs.append(FieldError("NotSupported", "spec.template.spec.restartPolicy", rp,
                                   'supported values: "Always"'))
    return errs


def validate(res, obj, old=None):
    """Raise 422 Invalid listing every problem, as the registry's strategy would."""
    kind = obj.get("kind")
    errs = _name(obj, kind)
    spec = obj.get("spec") or {}
    if kind == "Pod":
        errs += _pod_spec(spec, "spec")
        if old is not None:
            errs += _pod_update(old, obj)
    elif kind in _WORKLOADS or kind == "Job":
        errs += _workload(obj)
        if old is not None and kind != "Job" and \
                old.get("spec", {}).get("selector") != spec.get("selector"):
            errs.append(FieldError("Invalid", "spec.selector", None, "field is immutable"))
    elif kind == "CronJob":
        if not spec.get("schedule"):
            errs.append(FieldError("Required", "spec.schedule"))
        tmpl = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        errs += _pod_spec(tmpl.get("spec") or {}, "spec.jobTemplate.spec.template.spec")
    elif kind == "Service":
        if spec.get("type", "ClusterIP") != "ExternalName" and not spec.get("ports") and \
                spec.get("clusterIP") != "None":
            errs.append(FieldError("Required", "spec.ports"))
        for i, p in enumerate(spec.get("ports") or []):
            p = p or {}
            if not isinstance(p.get("port"), int) or not 1 <= p["port"] <= 65535:
                errs.append(FieldError("Invalid", "spec.ports[%d].port" % i, p.get("port"),
                                       "must be between 1 and 65535, inclusive"))
    elif kind == "Widget":
        size = spec.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool)):
            errs.append(FieldError("Invalid", "spec.size", size,
                                   'spec.size in body must be of type integer: "%s"'
                                   % _jtype(size)))
        elif size is not None and size < 0:
            errs.append(FieldError("Invalid", "spec.size", size,
                                   "spec.size in body should be greater than or equal to 0"))
    if errs:
        name = (obj.get("metadata") or {}).get("name", "")
        raise errors.invalid(res, name, errs)


_POD_MUTABLE = "`spec.containers[*].image`,`spec.initContainers[*].image`," \
               "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing " \
               "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if " \
               "it was previously negative)"


def _pod_update(old, new):
    a = copy.deepcopy(old.get("spec") or {})
    b = copy.deepcopy(new.get("spec") or {})
    for s in (a, b):
        for kind in ("containers", "initContainers"):
            for c in s.get(kind) or []:
                c.pop("image", None)
        s.pop("activeDeadlineSeconds", None)
        s.pop("tolerations", None)
    if json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True):
        return [FieldError("Forbidden", "spec", detail="pod updates may not change fields "
                                                       "other than " + _POD_MUTABLE)]
    return []
