"""Decoding Kubernetes protobuf request bodies (application/vnd.kubernetes.protobuf).

kubectl's typed clients (`create namespace`, `create configmap|secret|serviceaccount`,
`create token`, `auth can-i`, `auth whoami`) send protobuf, not JSON. A body is
the magic "k8s\\0" then a runtime.Unknown {typeMeta, raw}; raw is the object's
message. Field numbers below come from the generated.proto files of
k8s.io/api and k8s.io/apimachinery. Other kinds answer 415, as a real server
does for a content type it cannot decode (CRDs, for instance).
"""

import base64
import time

MAGIC = b"k8s\x00"

# message -> {field number: (json name, type)}; type: string, bool, int, bytes,
# "map" (string->string), "bmap" (string->bytes), "qmap" (string->Quantity),
# "[]T" repeated, or a message name. Only the fields kubectl's typed commands set.
MESSAGES = {
    "Unknown": {1: ("typeMeta", "TypeMeta"), 2: ("raw", "bytes"),
                3: ("contentEncoding", "string"), 4: ("contentType", "string")},
    "TypeMeta": {1: ("apiVersion", "string"), 2: ("kind", "string")},
    "Time": {1: ("seconds", "int"), 2: ("nanos", "int")},
    "ObjectMeta": {1: ("name", "string"), 2: ("generateName", "string"),
                   3: ("namespace", "string"), 4: ("selfLink", "string"), 5: ("uid", "string"),
                   6: ("resourceVersion", "string"), 7: ("generation", "int"),
                   8: ("creationTimestamp", "Time"), 9: ("deletionTimestamp", "Time"),
                   10: ("deletionGracePeriodSeconds", "int"), 11: ("labels", "map"),
                   12: ("annotations", "map"), 13: ("ownerReferences", "[]OwnerReference"),
                   14: ("finalizers", "[]string")},
    "OwnerReference": {5: ("apiVersion", "string"), 1: ("kind", "string"),
                       3: ("name", "string"), 4: ("uid", "string"), 6: ("controller", "bool"),
                       7: ("blockOwnerDeletion", "bool")},
    "Preconditions": {1: ("uid", "string"), 2: ("resourceVersion", "string")},
    "DeleteOptions": {1: ("gracePeriodSeconds", "int"), 2: ("preconditions", "Preconditions"),
                      3: ("orphanDependents", "bool"), 4: ("propagationPolicy", "string"),
                      5: ("dryRun", "[]string")},
    "ObjectReference": {1: ("kind", "string"), 2: ("namespace", "string"),
                        3: ("name", "string"), 4: ("uid", "string"),
                        5: ("apiVersion", "string"), 6: ("resourceVersion", "string"),
                        7: ("fieldPath", "string")},
    "LocalObjectReference": {1: ("name", "string")},
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec")},
    "NamespaceSpec": {1: ("finalizers", "[]string")},
    "ConfigMap": {1: ("metadata", "ObjectMeta"), 4: ("immutable", "bool"), 2: ("data", "map"),
                  3: ("binaryData", "bmap")},
    "Secret": {1: ("metadata", "ObjectMeta"), 5: ("immutable", "bool"), 2: ("data", "bmap"),
               4: ("stringData", "map"), 3: ("type", "string")},
    "ServiceAccount": {1: ("metadata", "ObjectMeta"), 2: ("secrets", "[]ObjectReference"),
                       3: ("imagePullSecrets", "[]LocalObjectReference"),
                       4: ("automountServiceAccountToken", "bool")},
    "ResourceAttributes": {1: ("namespace", "string"), 2: ("verb", "string"),
                           3: ("group", "string"), 4: ("version", "string"),
                           5: ("resource", "string"), 6: ("subresource", "string"),
                           7: ("name", "string")},
    "NonResourceAttributes": {1: ("path", "string"), 2: ("verb", "string")},
    "SelfSubjectAccessReview": {1: ("metadata", "ObjectMeta"),
                                2: ("spec", "SelfSubjectAccessReviewSpec")},
    "SelfSubjectAccessReviewSpec": {1: ("resourceAttributes", "ResourceAttributes"),
                                    2: ("nonResourceAttributes", "NonResourceAttributes")},
    "SelfSubjectRulesReview": {1: ("metadata", "ObjectMeta"),
                               2: ("spec", "SelfSubjectRulesReviewSpec")},
    "SelfSubjectRulesReviewSpec": {1: ("namespace", "string")},
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta")},
    "Eviction": {1: ("metadata", "ObjectMeta"), 2: ("deleteOptions", "DeleteOptions")},
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec")},
    "DeploymentSpec": {1: ("replicas", "int"), 2: ("selector", "LabelSelector"),
                       3: ("template", "PodTemplateSpec"), 4: ("strategy", "DeploymentStrategy"),
                       5: ("minReadySeconds", "int"), 6: ("revisionHistoryLimit", "int"),
                       7: ("paused", "bool"), 9: ("progressDeadlineSeconds", "int")},
    "DeploymentStrategy": {1: ("type", "string")},
    "LabelSelector": {1: ("matchLabels", "map")},
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "PodSpec": {2: ("containers", "[]Container"), 20: ("initContainers", "[]Container"),
                3: ("restartPolicy", "string"), 7: ("nodeSelector", "map"),
                8: ("serviceAccountName", "string"), 19: ("schedulerName", "string")},
    "Container": {1: ("name", "string"), 2: ("image", "string"), 3: ("command", "[]string"),
                  4: ("args", "[]string"), 5: ("workingDir", "string"),
                  6: ("ports", "[]ContainerPort"), 7: ("env", "[]EnvVar"),
                  8: ("resources", "ResourceRequirements"),
                  14: ("imagePullPolicy", "string")},
    "ContainerPort": {1: ("name", "string"), 2: ("hostPort", "int"),
                      3: ("containerPort", "int"), 4: ("protocol", "string")},
    "EnvVar": {1: ("name", "string"), 2: ("value", "string")},
    "ResourceRequirements": {1: ("limits", "qmap"), 2: ("requests", "qmap")},
    "TokenRequest": {1: ("metadata", "ObjectMeta"), 2: ("spec", "TokenRequestSpec")},
    "TokenRequestSpec": {1: ("audiences", "[]string"), 4: ("expirationSeconds", "int"),
                         3: ("boundObjectRef", "BoundObjectReference")},
    "BoundObjectReference": {1: ("kind", "string"), 2: ("apiVersion", "string"),
                             3: ("name", "string"), 4: ("uid", "string")},
}
KINDS = {"Deployment", "Namespace", "ConfigMap", "Secret", "ServiceAccount",
         "SelfSubjectAccessReview",
         "SelfSubjectRulesReview", "SelfSubjectReview", "Eviction", "TokenRequest"}


class DecodeError(ValueError):
    pass


def _varint(buf, i):
    shift = result = 0
    while True:
        if i >= len(buf):
            raise DecodeError("unexpected EOF")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise DecodeError("varint overflow")


def _fields(buf):
    """Yield (field number, wire type, value) from one message's bytes."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise DecodeError("unexpected EOF")
            v = buf[i:i + n]
            i += n
        elif wt == 1:
            v = buf[i:i + 8]
            i += 8
        elif wt == 5:
            v = buf[i:i + 4]
            i += 4
        else:
            raise DecodeError("unsupported wire type %d" % wt)
        yield num, wt, v


def _map_entry(buf, typ):
    """One map entry; "qmap" values are resource.Quantity messages {string = 1}."""
    k, v = "", b""
    for num, _, val in _fields(buf):
        if num == 1:
            k = val.decode()
        elif num == 2:
            v = val
    if typ == "bmap":
        return k, base64.b64encode(v).decode()
    if typ == "qmap":
        return k, next((x.decode() for n, _, x in _fields(v) if n == 1), "")
    return k, v.decode()


def _scalar(typ, wt, v):
    if typ == "string":
        return v.decode()
    if typ == "bytes":
        return bytes(v)
    if typ == "bool":
        return bool(v)
    if typ == "int":
        return v - (1 << 64) if v >= 1 << 63 else v
    raise DecodeError("bad type " + typ)


def decode_message(buf, name):
    schema = MESSAGES[name]
    out = {}
    for num, wt, v in _fields(buf):
        if num not in schema:
            continue
        key, typ = schema[num]
        if typ in ("map", "bmap", "qmap"):
            k, val = _map_entry(v, typ)
            out.setdefault(key, {})[k] = val
        elif typ.startswith("[]"):
            inner = typ[2:]
            item = decode_message(v, inner) if inner in MESSAGES else _scalar(inner, wt, v)
            out.setdefault(key, []).append(item)
        elif typ in MESSAGES:
            out[key] = decode_message(v, typ)
        else:
            out[key] = _scalar(typ, wt, v)
    if name == "Time":
        if not out.get("seconds"):
            return None
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(out["seconds"]))
    return {k: v for k, v in out.items() if v not in ("", 0, False, None) or
            k in ("replicas",)}


def decode(body):
    """A protobuf request body as the equivalent JSON object (dict)."""
    if not body.startswith(MAGIC):
        raise DecodeError("provided data does not appear to be a protobuf message, expected "
                          "prefix [107 56 115 0]")
    unknown = decode_message(body[4:], "Unknown")
    tm = unknown.get("typeMeta") or {}
    kind = tm.get("kind", "")
    if kind not in KINDS:
        raise LookupError(kind)
    obj = {"kind": kind, "apiVersion": tm.get("apiVersion", "")}
    obj.update(decode_message(unknown.get("raw", b""), kind))
    return obj
