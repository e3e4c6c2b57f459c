"""API errors as the kube-apiserver writes them: a meta/v1 Status body.

Messages follow k8s.io/apimachinery/pkg/api/errors word for word, because
clients (kubectl, and the product under test) show them to people and some
match on them. Key order follows the Go struct so bodies diff cleanly
against a real server's.
"""

import json


class ApiError(Exception):
    """Raised anywhere in request handling; the server turns it into a Status."""

    def __init__(self, code, reason, message, details=None, list_meta=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.list_meta = list_meta

    def status(self):
        body = {"kind": "Status", "apiVersion": "v1", "metadata": self.list_meta or {},
                "status": "Failure"}
        if self.message:
            body["message"] = self.message
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def _details(name="", group="", kind="", causes=None, retry=None):
    d = {}
    if name:
        d["name"] = name
    if group:
        d["group"] = group
    if kind:
        d["kind"] = kind
    if causes:
        d["causes"] = causes
    if retry:
        d["retryAfterSeconds"] = retry
    return d


def not_found(res, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (res.group_resource, name),
                    _details(name, res.group, res.plural))


def namespace_not_found(name):
    return ApiError(404, "NotFound", 'namespaces "%s" not found' % name,
                    _details(name, "", "namespaces"))


def already_exists(res, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (res.group_resource, name),
                    _details(name, res.group, res.plural))


def conflict(res, name, why="the object has been modified; please apply your changes to "
                           "the latest version and try again"):
    return ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": %s'
                    % (res.group_resource, name, why), _details(name, res.group, res.plural))


def forbidden(res, name, why):
    if name:
        msg = '%s "%s" is forbidden: %s' % (res.group_resource, name, why)
    else:
        msg = "%s is forbidden: %s" % (res.group_resource, why)
    return ApiError(403, "Forbidden", msg, _details(name, res.group, res.plural))


def unauthorized():
    return ApiError(401, "Unauthorized", "Unauthorized")


def bad_request(message):
    return ApiError(400, "BadRequest", message)


def expired(message, continue_token=None):
    meta = {"continue": continue_token} if continue_token else None
    return ApiError(410, "Expired", message, list_meta=meta)


def too_many_requests(message, causes=None, retry=None):
    return ApiError(429, "TooManyRequests", message, _details(causes=causes, retry=retry))


def method_not_allowed():
    return ApiError(405, "MethodNotAllowed",
                    "the server does not allow this method on the requested resource", {})


def resource_not_found():
    """A path under a known group/version naming no resource."""
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def unsupported_media_type(content_type, accepted):
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types "
                    "include: " + ", ".join(accepted), {})


def not_acceptable(accepted):
    return ApiError(406, "NotAcceptable",
                    "only the following media types are accepted: " + ", ".join(accepted), {})


def internal(message):
    return ApiError(500, "InternalError", "Internal error occurred: " + message,
                    {"causes": [{"message": message}]})


def apply_conflict(conflicts):
    """conflicts: [(manager_description, field_path)] as the field manager reports them."""
    causes = [{"type": "FieldManagerConflict", "message": "conflict with %s" % m, "field": p}
              for m, p in conflicts]
    if len(conflicts) == 1:
        msg = "Apply failed with 1 conflict: conflict with %s: %s" % conflicts[0]
    else:
        by_manager = {}
        for m, p in conflicts:
            by_manager.setdefault(m, []).append(p)
        lines = []
        for m in sorted(by_manager):
            lines.append("conflicts with %s:" % m)
            lines.extend("- %s" % p for p in by_manager[m])
        msg = "Apply failed with %d conflicts: %s" % (len(conflicts), "\n".join(lines))
    return ApiError(409, "Conflict", msg, {"causes": causes})


class FieldError:
    """One entry of a field.ErrorList: k8s.io/apimachinery/pkg/util/validation/field."""

    def __init__(self, kind, field, value=None, detail=""):
        self.kind = kind          # "Required", "Invalid", "NotSupported", "Duplicate", "Forbidden"
        self.field = field
        self.value = value
        self.detail = detail

    _TYPES = {"Required": "FieldValueRequired", "Invalid": "FieldValueInvalid",
              "NotSupported": "FieldValueNotSupported", "Duplicate": "FieldValueDuplicate",
              "Forbidden": "FieldValueForbidden"}
    _BODIES = {"Required": "Required value", "Invalid": "Invalid value",
               "NotSupported": "Unsupported value", "Duplicate": "Duplicate value",
               "Forbidden": "Forbidden"}

    def body(self):
        text = self._BODIES[self.kind]
        if self.kind in ("Invalid", "NotSupported", "Duplicate"):
            text += ": " + go_value(self.value)
        if self.detail:
            text += ": " + self.detail
        return text

    def __str__(self):
        return "%s: %s" % (self.field, self.body())


def go_value(v):
    """How Go's %#v-ish value printing in field errors shows common values."""
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        inner = ", ".join("%s:%s" % (json.dumps(k), json.dumps(v[k])) for k in sorted(v))
        return "map[string]string{%s}" % inner
    if v is None:
        return "null"
    return str(v)


def invalid(res, name, errs):
    causes = [{"reason": e.kind and FieldError._TYPES[e.kind], "message": e.body(),
               "field": e.field} for e in errs]
    if len(errs) == 1:
        agg = str(errs[0])
    else:
        agg = "[" + ", ".join(str(e) for e in errs) + "]"
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (res.group_kind, name, agg),
                    _details(name, res.group, res.kind, causes))
