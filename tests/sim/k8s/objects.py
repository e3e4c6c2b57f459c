"""Builders for realistic objects: metadata, defaulted pod specs, pod status, hashes.

The seed, the controllers (which create pods for replica sets) and the create
path (which defaults what a client sends) all go through these, so a pod made by
`kubectl apply` looks like a seeded one and like a real cluster's.
"""

import calendar
import copy
import hashlib
import json
import time
import uuid

_SAFE = "bcdfghjklmnpqrstvwxz2456789"   # k8s.io/apimachinery/pkg/util/rand alphabet
_UID_NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
_META_ORDER = ["name", "generateName", "namespace", "selfLink", "uid", "resourceVersion",
               "generation", "creationTimestamp", "deletionTimestamp",
               "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences",
               "finalizers", "managedFields"]


def normalize(obj):
    """Key order as the Go structs marshal: kind, apiVersion, metadata, ..., status last."""
    out = {"kind": obj.get("kind"), "apiVersion": obj.get("apiVersion")}
    md = obj.get("metadata") or {}
    out["metadata"] = {k: md[k] for k in _META_ORDER if k in md}
    for k, v in md.items():
        if k not in out["metadata"]:
            out["metadata"][k] = v
    for k, v in obj.items():
        if k not in out and k != "status":
            out[k] = v
    if "status" in obj:
        out["status"] = obj["status"]
    return out


def strip_nulls(value):
    """What decoding into Go structs does to JSON nulls in a body: the field stays unset."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def ts(sec):
    """RFC 3339 in UTC, second precision, as metav1.Time marshals."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec))


def ts_micro(sec):
    """metav1.MicroTime, used by events' eventTime and series."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec)) + ".%06dZ" % int(
        (sec % 1) * 1e6)


def parse_ts(text):
    """Seconds since the epoch for an RFC 3339 time (fractions ignored); None if unset."""
    if not text:
        return None
    try:
        return calendar.timegm(time.strptime(text[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None


def uid(*parts):
    """Deterministic UID: the same seed gives the same cluster, run after run."""
    return str(uuid.uuid5(_UID_NS, "/".join(str(p) for p in parts)))


def safe_hash(text, n):
    """n characters of the rand.SafeEncodeString alphabet derived from text."""
    h = hashlib.sha256(text.encode()).digest()
    return "".join(_SAFE[b % len(_SAFE)] for b in h[:n])


def hexid(text, n=64):
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def template_hash(template):
    """pod-template-hash: stable for an unchanged template, new for any change."""
    t = copy.deepcopy(template)
    t.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    return safe_hash(json.dumps(t, sort_keys=True), 10)


def meta(name, namespace=None, labels=None, annotations=None, created=0, rv=1, owner=None,
         uid_parts=None, generation=None):
    """ObjectMeta in the key order the API server emits."""
    md = {"name": name}
    if namespace:
        md["namespace"] = namespace
    md["uid"] = uid(*(uid_parts or (namespace or "", name)))
    md["resourceVersion"] = str(rv)
    if generation is not None:
        md["generation"] = generation
    md["creationTimestamp"] = ts(created)
    if labels:
        md["labels"] = dict(labels)
    if annotations:
        md["annotations"] = dict(annotations)
    if owner:
        md["ownerReferences"] = [owner_ref(owner)]
    return md


def owner_ref(owner):
    """A controller reference to owner (a full object)."""
    return {"apiVersion": owner["apiVersion"], "kind": owner["kind"],
            "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
            "controller": True, "blockOwnerDeletion": True}


# ---- defaulting (what SetDefaults_* in k8s.io/kubernetes/pkg/apis/*/v1 fill in) ----

def default_container(c):
    c.setdefault("resources", {})
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    image = c.get("image", "")
    tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else "latest"
    c.setdefault("imagePullPolicy", "Always" if tag == "latest" else "IfNotPresent")
    for p in c.get("ports") or []:
        p.setdefault("protocol", "TCP")
    return c


def default_pod_spec(spec):
    for c in spec.get("initContainers") or []:
        default_container(c)
    for c in spec.get("containers") or []:
        default_container(c)
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for v in spec.get("volumes") or []:
        if "configMap" in v:
            v["configMap"].setdefault("defaultMode", 420)
        if "secret" in v:
            v["secret"].setdefault("defaultMode", 420)
    return spec


def default_template(template):
    template.setdefault("metadata", {})
    template["metadata"].setdefault("creationTimestamp", None)
    default_pod_spec(template.setdefault("spec", {}))
    return template


def apply_defaults(obj):
    """Defaults for apps/batch workloads, as the API server applies on create and update."""
    kind = obj.get("kind")
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return obj
    if kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job") and \
            isinstance(spec.get("template"), dict):
        default_template(spec["template"])
    if kind == "Deployment":
        spec.setdefault("replicas", 1)
        strategy = spec.setdefault("strategy", {})
        strategy.setdefault("type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            ru = strategy.setdefault("rollingUpdate", {})
            ru.setdefault("maxUnavailable", "25%")
            ru.setdefault("maxSurge", "25%")
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
    elif kind == "ReplicaSet":
        spec.setdefault("replicas", 1)
    elif kind == "StatefulSet":
        spec.setdefault("replicas", 1)
        spec.setdefault("podManagementPolicy", "OrderedReady")
        spec.setdefault("updateStrategy", {"type": "RollingUpdate",
                                           "rollingUpdate": {"partition": 0}})
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("persistentVolumeClaimRetentionPolicy",
                        {"whenDeleted": "Retain", "whenScaled": "Retain"})
    elif kind == "DaemonSet":
        spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {
            "maxUnavailable": 1, "maxSurge": 0}})
        spec.setdefault("revisionHistoryLimit", 10)
    elif kind == "Job":
        spec.setdefault("parallelism", 1)
        spec.setdefault("completions", 1)
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
        spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    elif kind == "CronJob":
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
        spec.setdefault("successfulJobsHistoryLimit", 3)
        spec.setdefault("failedJobsHistoryLimit", 1)
        jt = spec.setdefault("jobTemplate", {}).setdefault("spec", {})
        if "template" in jt:
            default_template(jt["template"])
    elif kind == "Service":
        spec.setdefault("type", "ClusterIP")
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("internalTrafficPolicy", "Cluster")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        for p in spec.get("ports") or []:
            p.setdefault("protocol", "TCP")
            p.setdefault("targetPort", p.get("port"))
    return obj


# ---- pod status ------------------------------------------------------------------

def container_id(pod_name, cname, attempt):
    return "containerd://" + hexid("%s/%s/%d" % (pod_name, cname, attempt))


def image_id(image):
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    if "/" not in repo:
        repo = "docker.io/library/" + repo
    return "%s@sha256:%s" % (repo, hexid(image))


def _full_image(image):
    first = image.split("/", 1)[0]
    if "/" not in image:
        return "docker.io/library/" + image
    if "." not in first and ":" not in first:
        return "docker.io/" + image
    return image


def container_status(pod_name, c, state, now):
    """One containerStatuses entry. state: dict with kind and times (see seed.py)."""
    name, image = c["name"], c["image"]
    kind = state.get("kind", "running")
    restarts = state.get("restarts", 0)
    st = {"name": name, "state": {}, "lastState": {}, "ready": False, "restartCount": restarts,
          "image": _full_image(image), "imageID": image_id(image) if kind != "pull" else "",
          "containerID": container_id(pod_name, name, restarts), "started": False}
    if kind == "running":
        st["state"]["running"] = {"startedAt": ts(state["started"])}
        st["ready"] = state.get("ready", True)
        st["started"] = True
    elif kind == "crashloop":
        st["state"]["waiting"] = {"reason": "CrashLoopBackOff", "message": (
            "back-off 5m0s restarting failed container=%s pod=%s" % (name, pod_name))}
    elif kind == "pull":
        st["state"]["waiting"] = {"reason": state.get("reason", "ImagePullBackOff"),
                                  "message": state.get("message", "")}
        del st["containerID"]
    elif kind == "creating":
        st["state"]["waiting"] = {"reason": "ContainerCreating"}
        del st["containerID"]
        st["imageID"] = ""
    elif kind == "pending-init":
        st["state"]["waiting"] = {"reason": "PodInitializing"}
        del st["containerID"]
        st["imageID"] = ""
    elif kind == "completed":
        st["state"]["terminated"] = {
            "exitCode": 0, "reason": "Completed", "startedAt": ts(state["started"]),
            "finishedAt": ts(state["finished"]), "containerID": st["containerID"]}
    elif kind == "error":
        st["state"]["terminated"] = {
            "exitCode": state.get("exit", 1), "reason": "Error",
            "startedAt": ts(state["started"]), "finishedAt": ts(state["finished"]),
            "containerID": st["containerID"]}
    last = state.get("last")
    if last:
        st["lastState"] = {"terminated": {
            "exitCode": last["exit"], "reason": last["reason"],
            "startedAt": ts(last["started"]), "finishedAt": ts(last["finished"]),
            "containerID": container_id(pod_name, name, restarts - 1)}}
        if last.get("message"):
            st["lastState"]["terminated"]["message"] = last["message"]
    # the kubelet's key order: containerID first when present
    order = ["containerID", "image", "imageID", "lastState", "name", "ready", "restartCount",
             "started", "state"]
    return {k: st[k] for k in order if k in st}


def pod_conditions(created, scheduled, initialized, ready, phase):
    """The five pod conditions, with the reasons the kubelet and scheduler write."""
    conds = []
    t = ts(created)
    if scheduled:
        conds.append({"type": "PodReadyToStartContainers", "status": "True" if phase in (
            "Running", "Failed", "Succeeded") or ready else "False",
            "lastProbeTime": None, "lastTransitionTime": t})
        init = {"type": "Initialized", "status": "True" if initialized else "False",
                "lastProbeTime": None, "lastTransitionTime": t}
        if not initialized:
            init["reason"] = "ContainersNotInitialized"
            init["message"] = "containers with incomplete status: [init]"
        conds.append(init)
        rd = {"type": "Ready", "status": "True" if ready else "False", "lastProbeTime": None,
              "lastTransitionTime": t}
        cr = {"type": "ContainersReady", "status": "True" if ready else "False",
              "lastProbeTime": None, "lastTransitionTime": t}
        if not ready:
            why = "PodCompleted" if phase in ("Succeeded", "Failed") else "ContainersNotReady"
            rd["reason"] = cr["reason"] = why
        conds.extend([rd, cr])
        conds.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                      "lastTransitionTime": t})
    return conds


def node_ip(node_name):
    """ACK names nodes <region>.<ip>; the simulator's nodes follow that."""
    return node_name.split(".", 1)[1] if node_name and "." in node_name else ""


def _api_access_volume(pod_uid):
    name = "kube-api-access-" + safe_hash(pod_uid, 5)
    vol = {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt",
                                                             "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}
    mount = {"name": name, "readOnly": True,
             "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}
    return vol, mount


def build_pod(namespace, name, spec, labels=None, annotations=None, owner=None, node=None,
              created=0, states=None, init_states=None, ip="", rv=1, now=None, uid_parts=None):
    """A complete pod as a kubelet would report it.

    states: one dict per container, e.g. {"kind": "running", "started": t, "restarts": 2,
    "last": {"reason": "OOMKilled", "exit": 137, "started": t1, "finished": t2}};
    kinds: running, crashloop, pull, creating, completed, error. No node: Pending, unscheduled.
    """
    md = meta(name, namespace, labels, annotations, created, rv, owner, uid_parts)
    spec = default_pod_spec(json.loads(json.dumps(spec)))     # a deep copy, but faster
    if spec.get("automountServiceAccountToken", True):
        vol, mount = _api_access_volume(md["uid"])
        spec.setdefault("volumes", []).append(vol)
        for c in spec.get("initContainers", []) + spec.get("containers", []):
            c.setdefault("volumeMounts", []).append(dict(mount))
    spec.setdefault("serviceAccountName", "default")
    spec["serviceAccount"] = spec["serviceAccountName"]
    if node:
        spec["nodeName"] = node
    spec.setdefault("priority", 0)
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    spec.setdefault("tolerations", [
        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300},
        {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
         "tolerationSeconds": 300}])
    containers = spec["containers"]
    states = states or [{"kind": "running", "started": created + 5} for _ in containers]
    inits = spec.get("initContainers") or []
    init_states = init_states or [{"kind": "completed", "started": created + 2,
                                   "finished": created + 4} for _ in inits]
    status = {}
    kinds = [s["kind"] for s in states]
    if not node:
        phase = "Pending"
    elif all(k == "completed" for k in kinds):
        phase = "Succeeded"
    elif spec["restartPolicy"] == "Never" and any(k == "error" for k in kinds):
        phase = "Failed"
    elif any(k in ("pull", "creating") for k in kinds) and "running" not in kinds:
        phase = "Pending"
    else:
        phase = "Running"
    ready = node is not None and all(s["kind"] == "running" and s.get("ready", True)
                                     for s in states)
    initialized = all(s["kind"] == "completed" for s in init_states)
    status["phase"] = phase
    if not node:
        status["conditions"] = [{
            "type": "PodScheduled", "status": "False", "lastProbeTime": None,
            "lastTransitionTime": ts(created), "reason": "Unschedulable",
            "message": states[0].get("message", "0/3 nodes are available.")}]
        status["qosClass"] = qos_class(containers)
        return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec,
                "status": status}
    status["conditions"] = pod_conditions(created, True, initialized, ready, phase)
    hip = node_ip(node)
    status["hostIP"] = hip
    status["hostIPs"] = [{"ip": hip}]
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    status["startTime"] = ts(created + 1)
    if inits:
        status["initContainerStatuses"] = [container_status(name, c, s, now)
                                           for c, s in zip(inits, init_states)]
    status["containerStatuses"] = [container_status(name, c, s, now)
                                   for c, s in zip(containers, states)]
    status["qosClass"] = qos_class(containers)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec, "status": status}


def qos_class(containers):
    reqs = [c.get("resources", {}) for c in containers]
    if all(not r.get("requests") and not r.get("limits") for r in reqs):
        return "BestEffort"
    guaranteed = all(r.get("limits") and all(
        (r.get("requests") or r["limits"]).get(k) == r["limits"].get(k) for k in ("cpu", "memory"))
        and "cpu" in r["limits"] and "memory" in r["limits"] for r in reqs)
    return "Guaranteed" if guaranteed else "Burstable"
