"""Who may do what: the simulator's users, a fixed policy, and the self-reviews.

Users (tokens are flags of server.py; the client certificate is issued at start):
  sim-admin       bearer token      everything except deleting nodes
  sim-cert-admin  client cert       everything (O=system:masters)
  sim-viewer      bearer token      get/list/watch, but not secrets
A rejected token (`--expired-token`) authenticates nobody: 401.
"""

import errors

ANYONE = {("authorization.k8s.io", "selfsubjectaccessreviews"),
          ("authorization.k8s.io", "selfsubjectrulesreviews"),
          ("authentication.k8s.io", "selfsubjectreviews")}
READ = {"get", "list", "watch"}


class User:
    def __init__(self, name, groups):
        self.name = name
        self.groups = groups


def allowed(user, verb, group, resource, subresource="", namespace="", name=""):
    """(allowed, reason) under the fixed policy."""
    if (group, resource) in ANYONE:
        return True, 'RBAC: allowed by ClusterRoleBinding "system:basic-user" of ClusterRole ' \
                     '"system:basic-user" to Group "system:authenticated"'
    if "system:masters" in user.groups:
        return True, ""
    if user.name == "sim-admin":
        if group == "" and resource == "nodes" and not subresource and \
                verb in ("delete", "deletecollection"):
            return False, ""
        return True, 'RBAC: allowed by ClusterRoleBinding "sim-admin" of ClusterRole ' \
                     '"sim-admin" to User "sim-admin"'
    if user.name == "sim-viewer":
        if verb in READ and resource != "secrets" and subresource in ("", "log", "status",
                                                                       "scale"):
            return True, 'RBAC: allowed by ClusterRoleBinding "sim-viewer" of ClusterRole ' \
                         '"view" to User "sim-viewer"'
        return False, ""
    return False, ""


def check(user, verb, res, subresource, namespace, name):
    ok, _ = allowed(user, verb, res.group, res.plural, subresource, namespace, name)
    if ok:
        return
    what = res.plural + ("/" + subresource if subresource else "")
    where = 'in the namespace "%s"' % namespace if namespace else "at the cluster scope"
    raise errors.forbidden(res, name, 'User "%s" cannot %s resource "%s" in API group "%s" %s'
                           % (user.name, verb, what, res.group, where))


def access_review(user, review):
    spec = review.get("spec") or {}
    ra = spec.get("resourceAttributes")
    if ra:
        ok, reason = allowed(user, ra.get("verb", ""), ra.get("group", ""),
                             ra.get("resource", ""), ra.get("subresource", ""),
                             ra.get("namespace", ""), ra.get("name", ""))
        if ra.get("resource") == "*" or ra.get("verb") == "*":
            ok = "system:masters" in user.groups
            reason = ""
    else:
        ok = user.name != "sim-viewer" or (spec.get("nonResourceAttributes") or {}).get(
            "verb") == "get"
        reason = ""
    status = {"allowed": ok}
    if reason and ok:
        status["reason"] = reason
    out = {"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1",
           "metadata": {"creationTimestamp": None}, "spec": spec, "status": status}
    return out


def rules_review(user, review):
    spec = review.get("spec") or {}
    base = [{"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
             "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]},
            {"verbs": ["create"], "apiGroups": ["authentication.k8s.io"],
             "resources": ["selfsubjectreviews"]}]
    if "system:masters" in user.groups or user.name == "sim-admin":
        rules = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}] + base
        nonres = [{"verbs": ["*"], "nonResourceURLs": ["*"]}]
    else:
        rules = [{"verbs": ["get", "list", "watch"], "apiGroups": ["", "apps", "batch"],
                  "resources": ["*"]}] + base
        nonres = [{"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*",
                                                         "/healthz", "/version"]}]
    return {"kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None}, "spec": spec,
            "status": {"resourceRules": rules, "nonResourceRules": nonres,
                       "incomplete": False}}


def self_review(user):
    return {"kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "status": {"userInfo": {"username": user.name, "groups": user.groups}}}
