"""JSON shapes of the Go types, so a body that would not decode is refused as the real one is.

kube-apiserver decodes a body into Go structs; a string where an int32 belongs, or
a list where a struct belongs, fails there with encoding/json's message, e.g.
`json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas
of type int32`. Only the fields clients commonly send are described; anything
else is accepted as it comes.
"""


class S:
    """A Go struct: its type name and its fields' shapes."""

    def __init__(self, go, fields):
        self.go = go
        self.fields = fields


class L:
    """A Go slice of item."""

    def __init__(self, item):
        self.item = item


# leaf shapes: name -> (accepted JSON types, Go type in messages)
LEAVES = {"string": ((str,), "string"), "int": ((int,), "int32"), "int64": ((int,), "int64"),
          "bool": ((bool,), "bool"), "map": ((dict,), "map[string]string"),
          "object": ((dict,), "map[string]interface {}"), "any": (None, "")}

OBJECT_META = S("v1.ObjectMeta", {
    "name": "string", "generateName": "string", "namespace": "string", "uid": "string",
    "resourceVersion": "string", "generation": "int64", "labels": "map",
    "annotations": "map", "finalizers": L("string"), "ownerReferences": L("object")})
LABEL_SELECTOR = S("v1.LabelSelector", {"matchLabels": "map",
                                        "matchExpressions": L("object")})
CONTAINER = S("v1.Container", {
    "name": "string", "image": "string", "command": L("string"), "args": L("string"),
    "workingDir": "string", "imagePullPolicy": "string",
    "ports": L(S("v1.ContainerPort", {"containerPort": "int", "hostPort": "int",
                                      "name": "string", "protocol": "string"})),
    "env": L(S("v1.EnvVar", {"name": "string", "value": "string", "valueFrom": "object"})),
    "envFrom": L("object"),
    "resources": S("v1.ResourceRequirements", {"limits": "object", "requests": "object"}),
    "volumeMounts": L(S("v1.VolumeMount", {"name": "string", "mountPath": "string",
                                           "readOnly": "bool", "subPath": "string"})),
    "livenessProbe": "object", "readinessProbe": "object", "startupProbe": "object",
    "securityContext": "object"})
POD_SPEC = S("v1.PodSpec", {
    "containers": L(CONTAINER), "initContainers": L(CONTAINER), "volumes": L("object"),
    "restartPolicy": "string", "nodeName": "string", "nodeSelector": "map",
    "serviceAccountName": "string", "hostNetwork": "bool", "tolerations": L("object"),
    "affinity": "object", "terminationGracePeriodSeconds": "int64",
    "imagePullSecrets": L("object"), "priorityClassName": "string", "schedulerName": "string"})
TEMPLATE = S("v1.PodTemplateSpec", {"metadata": OBJECT_META, "spec": POD_SPEC})
WORKLOAD_SPEC = {"replicas": "int", "selector": LABEL_SELECTOR, "template": TEMPLATE,
                 "minReadySeconds": "int", "revisionHistoryLimit": "int", "paused": "bool",
                 "strategy": "object", "updateStrategy": "object", "serviceName": "string",
                 "progressDeadlineSeconds": "int", "volumeClaimTemplates": L("object")}
JOB_SPEC = S("v1.JobSpec", {"completions": "int", "parallelism": "int", "backoffLimit": "int",
                            "activeDeadlineSeconds": "int64", "suspend": "bool",
                            "selector": LABEL_SELECTOR, "template": TEMPLATE})
SPECS = {
    "Pod": POD_SPEC,
    "Deployment": S("v1.DeploymentSpec", WORKLOAD_SPEC),
    "ReplicaSet": S("v1.ReplicaSetSpec", WORKLOAD_SPEC),
    "StatefulSet": S("v1.StatefulSetSpec", WORKLOAD_SPEC),
    "DaemonSet": S("v1.DaemonSetSpec", WORKLOAD_SPEC),
    "Job": JOB_SPEC,
    "CronJob": S("v1.CronJobSpec", {"schedule": "string", "suspend": "bool",
                                    "timeZone": "string", "concurrencyPolicy": "string",
                                    "jobTemplate": S("v1.JobTemplateSpec", {
                                        "metadata": OBJECT_META, "spec": JOB_SPEC})}),
    "Service": S("v1.ServiceSpec", {
        "type": "string", "selector": "map", "clusterIP": "string",
        "clusterIPs": L("string"), "externalIPs": L("string"),
        "ports": L(S("v1.ServicePort", {"name": "string", "protocol": "string",
                                        "port": "int", "nodePort": "int", "targetPort": "any"}))}),
    "Namespace": S("v1.NamespaceSpec", {"finalizers": L("string")}),
}
NO_SPEC = {"ConfigMap", "Secret", "Event", "ServiceAccount", "Endpoints", "Role", "RoleBinding",
           "ClusterRole", "ClusterRoleBinding"}
TOP = {"ConfigMap": {"data": "map", "binaryData": "map", "immutable": "bool"},
       "Secret": {"data": "map", "stringData": "map", "type": "string", "immutable": "bool"}}


def json_type(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, list):
        return "array"
    return "object"


def _go(shape):
    if isinstance(shape, S):
        return shape.go
    if isinstance(shape, L):
        return "[]" + _go(shape.item)
    return LEAVES[shape][1]


def _fits(value, shape):
    if value is None:
        return True       # bodies are stripped of nulls first; in a list this is a zero value
    if isinstance(shape, S):
        return isinstance(value, dict)
    if isinstance(shape, L):
        return isinstance(value, list)
    types, _ = LEAVES[shape]
    if types is None:
        return True
    if types == (int,):
        return isinstance(value, int) and not isinstance(value, bool)
    if shape == "map":
        return isinstance(value, dict) and all(isinstance(v, str) or v is None
                                               for v in value.values())
    return isinstance(value, types)


def _check(value, shape, path, struct):
    """The decoder's message for the first value that does not fit, or None."""
    if not _fits(value, shape):
        if shape == "map" and isinstance(value, dict):
            bad = next(v for v in value.values() if not isinstance(v, str))
            return "json: cannot unmarshal %s into Go struct field %s.%s of type string" % (
                json_type(bad), struct, path)
        return "json: cannot unmarshal %s into Go struct field %s.%s of type %s" % (
            json_type(value), struct, path, _go(shape))
    if value is None:
        return None
    if isinstance(shape, S):
        for k, sub in shape.fields.items():
            if k in value:
                problem = _check(value[k], sub, path + "." + k if path else k,
                                 shape.go.split(".")[-1])
                if problem:
                    return problem
    elif isinstance(shape, L):
        for item in value:
            problem = _check(item, shape.item, path, struct)
            if problem:
                return problem
    return None


def problem(kind, obj):
    """Why obj would not decode as kind, in encoding/json's words; None if it would."""
    if not isinstance(obj, dict):
        return "json: cannot unmarshal %s into Go value of type struct" % json_type(obj)
    fields = {"metadata": OBJECT_META}
    if kind not in NO_SPEC:
        fields["spec"] = SPECS.get(kind, "object")
        fields["status"] = "object"
    fields.update(TOP.get(kind, {}))
    for k, shape in fields.items():
        if k in obj:
            p = _check(obj[k], shape, k, kind)
            if p:
                return p
    return None


DELETE_OPTIONS = S("v1.DeleteOptions", {
    "gracePeriodSeconds": "int64", "propagationPolicy": "string", "orphanDependents": "bool",
    "dryRun": L("string"), "preconditions": S("v1.Preconditions", {"uid": "string",
                                                                   "resourceVersion": "string"})})


def delete_options_problem(opts):
    return _check(opts, DELETE_OPTIONS, "", "DeleteOptions")
