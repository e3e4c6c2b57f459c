"""The simulator's API surface: every group, version and resource it serves.

Discovery, OpenAPI, routing and the Table printer all read this one table, so a
resource added here shows up consistently everywhere (as it does in a real
kube-apiserver, where the REST storage registration drives all of them).
"""

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
READ_VERBS = ["get", "list", "watch"]


class Resource:
    """One REST resource (e.g. apps/v1 deployments)."""

    def __init__(self, group, version, plural, kind, namespaced=True, short=(), categories=(),
                 verbs=ALL_VERBS, subresources=None, singular=None, storage=True):
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
        self.short_names = list(short)
        self.categories = list(categories)
        self.verbs = list(verbs)
        # name -> (group, version, kind, verbs) of the subresource's response
        self.subresources = subresources or {}
        self.singular = singular or kind.lower()
        # False for virtual resources (reviews, metrics) that are computed, never stored
        self.storage = storage

    @property
    def group_version(self):
        return self.version if self.group == "" else "%s/%s" % (self.group, self.version)

    @property
    def group_resource(self):
        """What error messages call the resource: "pods", "deployments.apps"."""
        return self.plural if self.group == "" else "%s.%s" % (self.plural, self.group)

    @property
    def group_kind(self):
        """What Invalid errors call the kind: "Pod", "Deployment.apps"."""
        return self.kind if self.group == "" else "%s.%s" % (self.kind, self.group)

    @property
    def list_kind(self):
        return self.kind + "List"

    def __repr__(self):
        return "<Resource %s/%s>" % (self.group_version, self.plural)


def _status(group, version, kind):
    return {"status": (group, version, kind, ["get", "patch", "update"])}


def _scale_status(group, version, kind):
    sub = _status(group, version, kind)
    sub["scale"] = ("autoscaling", "v1", "Scale", ["get", "patch", "update"])
    return sub


_POD_SUBRESOURCES = {
    "attach": ("", "v1", "PodAttachOptions", ["create", "get"]),
    "binding": ("", "v1", "Binding", ["create"]),
    "ephemeralcontainers": ("", "v1", "Pod", ["get", "patch", "update"]),
    "eviction": ("policy", "v1", "Eviction", ["create"]),
    "exec": ("", "v1", "PodExecOptions", ["create", "get"]),
    "log": ("", "v1", "Pod", ["get"]),
    "portforward": ("", "v1", "PodPortForwardOptions", ["create", "get"]),
    "proxy": ("", "v1", "PodProxyOptions", ["create", "delete", "get", "patch", "update"]),
    "status": ("", "v1", "Pod", ["get", "patch", "update"]),
}

NO_DELETECOLLECTION = ["create", "delete", "get", "list", "patch", "update", "watch"]

RESOURCES = [
    # core/v1
    Resource("", "v1", "namespaces", "Namespace", namespaced=False, short=["ns"],
             verbs=NO_DELETECOLLECTION, subresources={
                 "finalize": ("", "v1", "Namespace", ["update"]),
                 "status": ("", "v1", "Namespace", ["get", "patch", "update"])}),
    Resource("", "v1", "nodes", "Node", namespaced=False, short=["no"],
             subresources=dict(_status("", "v1", "Node"),
                               proxy=("", "v1", "NodeProxyOptions",
                                      ["create", "delete", "get", "patch", "update"]))),
    Resource("", "v1", "pods", "Pod", short=["po"], categories=["all"],
             subresources=_POD_SUBRESOURCES),
    Resource("", "v1", "services", "Service", short=["svc"], categories=["all"],
             subresources=dict(_status("", "v1", "Service"),
                               proxy=("", "v1", "ServiceProxyOptions",
                                      ["create", "delete", "get", "patch", "update"]))),
    Resource("", "v1", "configmaps", "ConfigMap", short=["cm"]),
    Resource("", "v1", "secrets", "Secret"),
    Resource("", "v1", "events", "Event", short=["ev"]),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", short=["sa"],
             subresources={"token": ("authentication.k8s.io", "v1", "TokenRequest", ["create"])}),
    Resource("", "v1", "endpoints", "Endpoints", short=["ep"], singular="endpoints"),
    Resource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", short=["pvc"],
             subresources=_status("", "v1", "PersistentVolumeClaim")),
    Resource("", "v1", "persistentvolumes", "PersistentVolume", namespaced=False, short=["pv"],
             subresources=_status("", "v1", "PersistentVolume")),
    # apps/v1
    Resource("apps", "v1", "deployments", "Deployment", short=["deploy"], categories=["all"],
             subresources=_scale_status("apps", "v1", "Deployment")),
    Resource("apps", "v1", "replicasets", "ReplicaSet", short=["rs"], categories=["all"],
             subresources=_scale_status("apps", "v1", "ReplicaSet")),
    Resource("apps", "v1", "statefulsets", "StatefulSet", short=["sts"], categories=["all"],
             subresources=_scale_status("apps", "v1", "StatefulSet")),
    Resource("apps", "v1", "daemonsets", "DaemonSet", short=["ds"], categories=["all"],
             subresources=_status("apps", "v1", "DaemonSet")),
    # autoscaling/v2
    Resource("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler",
             short=["hpa"], categories=["all"],
             subresources=_status("autoscaling", "v2", "HorizontalPodAutoscaler")),
    # batch/v1
    Resource("batch", "v1", "jobs", "Job", categories=["all"],
             subresources=_status("batch", "v1", "Job")),
    Resource("batch", "v1", "cronjobs", "CronJob", short=["cj"], categories=["all"],
             subresources=_status("batch", "v1", "CronJob")),
    # networking.k8s.io/v1
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", short=["ing"],
             subresources=_status("networking.k8s.io", "v1", "Ingress")),
    # policy/v1
    Resource("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", short=["pdb"],
             subresources=_status("policy", "v1", "PodDisruptionBudget")),
    # rbac.authorization.k8s.io/v1
    Resource("rbac.authorization.k8s.io", "v1", "roles", "Role"),
    Resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    Resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", namespaced=False),
    Resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding",
             namespaced=False),
    # apiextensions.k8s.io/v1
    Resource("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition",
             namespaced=False, short=["crd", "crds"], categories=["api-extensions"],
             subresources=_status("apiextensions.k8s.io", "v1", "CustomResourceDefinition")),
    # the one custom resource, described by the CRD object seeded in seed.py
    Resource("example.com", "v1", "widgets", "Widget", short=["wg"], categories=["all"],
             subresources=_status("example.com", "v1", "Widget")),
    # metrics.k8s.io/v1beta1 (metrics-server): computed from the pods and nodes
    Resource("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", namespaced=False,
             verbs=["get", "list"], storage=False),
    Resource("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", verbs=["get", "list"],
             storage=False),
    # reviews: create-only and never stored
    Resource("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview",
             namespaced=False, verbs=["create"], storage=False),
    Resource("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview",
             namespaced=False, verbs=["create"], storage=False),
    Resource("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview",
             namespaced=False, verbs=["create"], storage=False),
]

# Preferred version per group, in the order /apis lists them (core first, as the real server).
GROUP_ORDER = ["", "apps", "autoscaling", "batch", "networking.k8s.io", "policy",
               "rbac.authorization.k8s.io", "apiextensions.k8s.io", "authorization.k8s.io",
               "authentication.k8s.io", "metrics.k8s.io", "example.com"]

_BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
_BY_KIND = {(r.group, r.kind): r for r in RESOURCES if r.storage}


def lookup(group, version, plural):
    """The resource served at /apis/{group}/{version}/{plural}, or None."""
    return _BY_PATH.get((group, version, plural))


def by_kind(group, kind):
    """The stored resource for a kind (owner references name kinds, not resources)."""
    return _BY_KIND.get((group, kind))


def group_versions():
    """[(group, [versions])] in discovery order."""
    out = []
    for g in GROUP_ORDER:
        versions = []
        for r in RESOURCES:
            if r.group == g and r.version not in versions:
                versions.append(r.version)
        out.append((g, versions))
    return out


def in_group_version(group, version):
    return [r for r in RESOURCES if r.group == group and r.version == version]
