"""Just enough of kube-controller-manager, the scheduler and the kubelet.

Controllers run synchronously after each write (under the store lock), so a
deployment applied, scaled, restarted or undone is fully rolled out by the time
the write returns: `kubectl rollout status` finishes at once, and tests see the
replica sets, pods and statuses a settled cluster would show.
"""

import copy
import json

import apply as ssa
import objects
import resources

RES = {k: resources.by_kind(g, k) for g, k in [
    ("", "Pod"), ("", "Node"), ("", "Event"), ("apps", "ReplicaSet"), ("apps", "Deployment"),
    ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("batch", "Job"), ("batch", "CronJob"),
    ("", "PersistentVolumeClaim")]}

REVISION = "deployment.kubernetes.io/revision"
# Pods one reconcile may create: a replicas typo of 1000000 must not exhaust memory (the
# rest simply never appear, as if the controller were still catching up).
MAX_NEW_PODS = 2000


def owner_uid(entry):
    """UID of an entry's controller owner, without building a lazy entry's object."""
    if entry.fields is not None and "owner" in entry.fields:
        return entry.fields["owner"]
    for ref in entry.obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def owned(cl, kind, namespace, uid):
    res = RES[kind]
    return [e.obj for e in cl.store.entries(res, namespace) if owner_uid(e) == uid]


# ---- scheduling and the kubelet --------------------------------------------------

def _mem_bytes(q):
    if q is None:
        return 0
    q = str(q)
    units = {"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "k": 1000,
             "M": 10 ** 6, "G": 10 ** 9, "T": 10 ** 12}
    try:
        for u, m in units.items():
            if q.endswith(u):
                return float(q[:-len(u)]) * m
        return float(q)
    except ValueError:
        return 0          # validation of quantities is not simulated; count it as nothing


def _tolerates(spec, taint):
    for t in spec.get("tolerations") or []:
        if t.get("operator") == "Exists" and not t.get("key"):
            return True
        if t.get("key") == taint.get("key") and (
                t.get("operator") == "Exists" or t.get("value") == taint.get("value")) and (
                not t.get("effect") or t.get("effect") == taint.get("effect")):
            return True
    return False


def schedule(cl, spec, daemon_node=None):
    """Pick a node like the default scheduler would, or explain why none fits.

    Returns (node_name, None) or (None, FailedScheduling message).
    """
    if daemon_node:
        return daemon_node, None
    nodes = [e.obj for e in cl.store.entries(RES["Node"])]
    want = sum(_mem_bytes(c.get("resources", {}).get("requests", {}).get("memory"))
               for c in spec.get("containers", []))
    fits, tainted, small, cordoned = [], 0, 0, 0
    for n in nodes:
        if n["spec"].get("unschedulable"):
            cordoned += 1
            continue
        bad = [t for t in n["spec"].get("taints") or [] if t.get("effect") in (
            "NoSchedule", "NoExecute") and not _tolerates(spec, t)]
        if bad:
            tainted += 1
            continue
        if want > _mem_bytes(n["status"]["allocatable"]["memory"]):
            small += 1
            continue
        fits.append(n)
    if fits:
        load = {}
        for e in cl.store.entries(RES["Pod"]):
            node = e.fields.get("spec.nodeName") if e.fields else e.obj["spec"].get("nodeName")
            load[node] = load.get(node, 0) + 1
        fits.sort(key=lambda n: (load.get(n["metadata"]["name"], 0), n["metadata"]["name"]))
        return fits[0]["metadata"]["name"], None
    parts = []
    if small:
        parts.append("%d Insufficient memory" % small)
    if tainted:
        parts.append("%d node(s) had untolerated taint(s)" % tainted)
    if cordoned:
        parts.append("%d node(s) were unschedulable" % cordoned)
    total = len(nodes)
    msg = "0/%d nodes are available: %s. preemption: 0/%d nodes are available: %d No " \
          "preemption victims found for incoming pod." % (total, ", ".join(sorted(parts)),
                                                          total, total)
    return None, msg


def run_pod(cl, pod, daemon_node=None):
    """Admit a new pod: schedule it and let the kubelet start it (status filled in).

    pod: the defaulted object about to be stored (metadata complete).
    Returns (pod, FailedScheduling message or None).
    """
    spec = pod["spec"]
    md = pod["metadata"]
    now = cl.now()
    node = spec.get("nodeName") or None
    msg = None
    if node and cl.store.get(RES["Node"], "", node) is None:
        # bound to a node that does not exist: no kubelet will ever start it
        pod["status"] = {"phase": "Pending", "qosClass": objects.qos_class(spec["containers"])}
        return pod, None
    if not node:
        node, msg = schedule(cl, spec, daemon_node)
    built = objects.build_pod(
        md.get("namespace"), md["name"], spec, created=int(now), node=node,
        ip=cl.alloc_ip(node) if node else "", now=now,
        states=None if node else [{"kind": "pending", "message": msg}] * len(spec["containers"]))
    # keep everything the client and the API server set on metadata
    built["metadata"] = md
    if spec.get("restartPolicy") in ("Never", "OnFailure") and _owner_kind(pod) == "Job":
        _complete(built, now)
    pod["spec"], pod["status"] = built["spec"], built["status"]
    return pod, msg


def _owner_kind(obj):
    for r in obj["metadata"].get("ownerReferences") or []:
        if r.get("controller"):
            return r.get("kind")
    return None


def _complete(pod, now):
    """A job's pod: its containers ran and exited 0."""
    statuses = []
    for c in pod["spec"]["containers"]:
        statuses.append(objects.container_status(
            pod["metadata"]["name"], c, {"kind": "completed", "started": int(now),
                                         "finished": int(now) + 1}, now))
    pod["status"]["containerStatuses"] = statuses
    pod["status"]["phase"] = "Succeeded"
    pod["status"]["conditions"] = objects.pod_conditions(int(now), True, True, False,
                                                         "Succeeded")


def pod_events(cl, pod, msg):
    """The events a real scheduler and kubelet emit for a new pod."""
    spec = pod["spec"]
    md = pod["metadata"]
    if msg:
        cl.record_event(pod, "Warning", "FailedScheduling", msg, "default-scheduler")
        return
    if not pod["status"].get("containerStatuses"):
        return            # bound to a missing node: nothing happens to it
    node = spec.get("nodeName")
    cl.record_event(pod, "Normal", "Scheduled", "Successfully assigned %s/%s to %s" % (
        md["namespace"], md["name"], node), "default-scheduler")
    for c in spec["containers"]:
        fp = "spec.containers{%s}" % c["name"]
        cl.record_event(pod, "Normal", "Pulled", 'Container image "%s" already present on '
                        "machine" % c["image"], "kubelet", field_path=fp, host=node)
        cl.record_event(pod, "Normal", "Created", "Created container %s" % c["name"],
                        "kubelet", field_path=fp, host=node)
        cl.record_event(pod, "Normal", "Started", "Started container %s" % c["name"],
                        "kubelet", field_path=fp, host=node)


def create_pod(cl, owner, template, name, daemon_node=None, extra_labels=None):
    """Create a pod from a template on behalf of a controller."""
    t = copy.deepcopy(template)
    md = t.get("metadata") or {}
    labels = dict(md.get("labels") or {})
    labels.update(extra_labels or {})
    ns = owner["metadata"]["namespace"]
    now = cl.now()
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": objects.meta(name, ns, labels, md.get("annotations"), int(now),
                                    owner=owner, uid_parts=("pod", ns, name, cl.serial())),
           "spec": t["spec"]}
    if owner["kind"] in ("ReplicaSet", "Job", "DaemonSet"):
        pod["metadata"]["generateName"] = owner["metadata"]["name"] + "-"
    if daemon_node:
        pod["spec"] = dict(pod["spec"])
        pod["spec"]["affinity"] = {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{
                "matchFields": [{"key": "metadata.name", "operator": "In",
                                 "values": [daemon_node]}]}]}}}
    pod, msg = run_pod(cl, pod, daemon_node)
    ssa.initial_managed(pod, "kube-controller-manager", "kubelet", now)
    cl.put(pod)
    pod_events(cl, pod, msg)
    return pod


def delete_pod(cl, pod):
    remove(cl, RES["Pod"], pod)


def remove(cl, res, obj):
    """Delete obj from the store at once (no graceful termination is simulated)."""
    md = dict(obj["metadata"])
    final = dict(obj)
    md["resourceVersion"] = str(cl.store.next_rv())
    md["deletionTimestamp"] = objects.ts(cl.now())
    md["deletionGracePeriodSeconds"] = 0
    final["metadata"] = md
    cl.store.delete(res, md.get("namespace", ""), md["name"], final)


# ---- status computations ---------------------------------------------------------

def pod_ready(pod):
    for c in pod.get("status", {}).get("conditions") or []:
        if c["type"] == "Ready":
            return c["status"] == "True"
    return False


def _active(pods):
    return [p for p in pods if p.get("status", {}).get("phase") not in ("Succeeded", "Failed")
            and not p["metadata"].get("deletionTimestamp")]


def replicaset_status(rs, pods):
    pods = _active(pods)
    ready = sum(1 for p in pods if pod_ready(p))
    st = {"replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": ready,
          "availableReplicas": ready, "observedGeneration": rs["metadata"].get("generation", 1)}
    if not pods:
        st = {"replicas": 0, "observedGeneration": st["observedGeneration"]}
    return st


def _pct(value, total, round_up):
    """An IntOrString like maxSurge/maxUnavailable resolved against total."""
    try:
        if isinstance(value, str) and value.endswith("%"):
            x = int(value[:-1]) * total / 100.0
            return int(-(-x // 1)) if round_up else int(x)
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def deployment_status(dep, rses, pods_by_rs, now):
    spec = dep["spec"]
    want = spec.get("replicas", 1)
    new_rs = None
    rev = dep["metadata"].get("annotations", {}).get(REVISION)
    for rs in rses:
        if rs["metadata"].get("annotations", {}).get(REVISION) == rev:
            new_rs = rs
    replicas = updated = ready = 0
    for rs in rses:
        pods = _active(pods_by_rs.get(rs["metadata"]["uid"], []))
        replicas += len(pods)
        r = sum(1 for p in pods if pod_ready(p))
        ready += r
        if rs is new_rs:
            updated = len(pods)
    available = ready
    ru = spec.get("strategy", {}).get("rollingUpdate") or {}
    max_unavail = _pct(ru.get("maxUnavailable", "25%"), want, False)
    t = objects.ts(now)
    created = dep["metadata"]["creationTimestamp"]
    if available >= want - max_unavail:
        avail = {"type": "Available", "status": "True", "lastUpdateTime": created,
                 "lastTransitionTime": created, "reason": "MinimumReplicasAvailable",
                 "message": "Deployment has minimum availability."}
    else:
        avail = {"type": "Available", "status": "False", "lastUpdateTime": t,
                 "lastTransitionTime": t, "reason": "MinimumReplicasUnavailable",
                 "message": "Deployment does not have minimum availability."}
    rs_name = new_rs["metadata"]["name"] if new_rs else ""
    complete = updated == want and replicas == want and available == want
    deadline = spec.get("progressDeadlineSeconds", 600)
    started = objects.parse_ts((new_rs or dep)["metadata"]["creationTimestamp"])
    if complete:
        prog = {"type": "Progressing", "status": "True", "lastUpdateTime": t,
                "lastTransitionTime": created, "reason": "NewReplicaSetAvailable",
                "message": 'ReplicaSet "%s" has successfully progressed.' % rs_name}
    elif now - started > deadline:
        prog = {"type": "Progressing", "status": "False", "lastUpdateTime": t,
                "lastTransitionTime": t, "reason": "ProgressDeadlineExceeded",
                "message": 'ReplicaSet "%s" has timed out progressing.' % rs_name}
    else:
        prog = {"type": "Progressing", "status": "True", "lastUpdateTime": t,
                "lastTransitionTime": created, "reason": "ReplicaSetUpdated",
                "message": 'ReplicaSet "%s" is progressing.' % rs_name}
    st = {"observedGeneration": dep["metadata"].get("generation", 1), "replicas": replicas,
          "updatedReplicas": updated, "readyReplicas": ready, "availableReplicas": available}
    if replicas - available > 0:
        st["unavailableReplicas"] = replicas - available
    for k in ("readyReplicas", "availableReplicas", "updatedReplicas", "replicas"):
        if not st[k]:
            del st[k]
    st["conditions"] = [avail, prog]
    return st


# ---- controllers -----------------------------------------------------------------

def _strip_hash(template):
    t = copy.deepcopy(template)
    t.get("metadata", {}).get("labels", {}).pop("pod-template-hash", None)
    return json.dumps(t, sort_keys=True)


def _revision(rs):
    try:
        return int(rs["metadata"].get("annotations", {}).get(REVISION, "0"))
    except ValueError:
        return 0


def sync_deployment(cl, dep):
    """Roll dep out completely: the matching replica set scaled up, the others to zero."""
    md = dep["metadata"]
    ns = md["namespace"]
    rses = owned(cl, "ReplicaSet", ns, md["uid"])
    want = dep["spec"].get("replicas", 1)
    tmpl = dep["spec"]["template"]
    key = _strip_hash(tmpl)
    new_rs = next((r for r in rses if _strip_hash(r["spec"]["template"]) == key), None)
    max_rev = max([_revision(r) for r in rses] or [0])
    now = cl.now()
    changed = []
    if new_rs is None:
        h = objects.template_hash(tmpl)
        t = copy.deepcopy(tmpl)
        t.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
        sel = copy.deepcopy(dep["spec"]["selector"])
        sel.setdefault("matchLabels", {})["pod-template-hash"] = h
        labels = dict(t["metadata"]["labels"])
        ann = {"deployment.kubernetes.io/desired-replicas": str(want),
               "deployment.kubernetes.io/max-replicas": str(want + _pct(
                   (dep["spec"].get("strategy", {}).get("rollingUpdate") or {}).get(
                       "maxSurge", "25%"), want, True)),
               REVISION: str(max_rev + 1)}
        for k, v in (md.get("annotations") or {}).items():
            if k.startswith("kubernetes.io/change-cause"):
                ann[k] = v
        new_rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                  "metadata": objects.meta("%s-%s" % (md["name"], h), ns, labels, ann, int(now),
                                           owner=dep, uid_parts=("rs", ns, md["name"], h,
                                                                 cl.serial()), generation=1),
                  "spec": {"replicas": 0, "selector": sel, "template": t}}
        new_rs["status"] = {"replicas": 0}
        ssa.initial_managed(new_rs, "kube-controller-manager", "kube-controller-manager", now)
        cl.put(new_rs)
        rses.append(new_rs)
    elif _revision(new_rs) != max_rev:
        # a rollback (or a template returning to an old one) makes that set the newest
        new_rs = copy.deepcopy(new_rs)
        new_rs["metadata"]["annotations"][REVISION] = str(max_rev + 1)
        cl.put(new_rs)
        rses = [new_rs if r["metadata"]["uid"] == new_rs["metadata"]["uid"] else r for r in rses]
    for rs in rses:
        target = want if rs["metadata"]["uid"] == new_rs["metadata"]["uid"] else 0
        if rs["spec"].get("replicas") != target:
            old = rs["spec"].get("replicas", 0)
            rs = copy.deepcopy(rs)
            rs["spec"]["replicas"] = target
            rs["metadata"]["generation"] = rs["metadata"].get("generation", 1) + 1
            rs["metadata"].setdefault("annotations", {})[
                "deployment.kubernetes.io/desired-replicas"] = str(want)
            cl.put(rs)
            changed.append(rs)
            verb = "up" if target > old else "down"
            frm = "" if target > old else " from %d" % old
            cl.record_event(dep, "Normal", "ScalingReplicaSet", "Scaled %s replica set %s to "
                            "%d%s" % (verb, rs["metadata"]["name"], target, frm),
                            "deployment-controller")
    for rs in changed:
        sync_replicaset(cl, rs)
    rses = owned(cl, "ReplicaSet", ns, md["uid"])
    # keep revisionHistoryLimit old, scaled-down sets, as the controller's cleanup does
    limit = dep["spec"].get("revisionHistoryLimit", 10)
    old = sorted([r for r in rses if r["metadata"]["uid"] != new_rs["metadata"]["uid"]
                  and not r["spec"].get("replicas")], key=_revision)
    for r in old[:max(0, len(old) - limit)]:
        remove(cl, RES["ReplicaSet"], r)
        rses.remove(r)
    return update_deployment_status(cl, dep, rses, new_rs)


def update_deployment_status(cl, dep, rses=None, new_rs=None):
    md = dep["metadata"]
    if rses is None:
        rses = owned(cl, "ReplicaSet", md["namespace"], md["uid"])
    if new_rs is None:
        key = _strip_hash(dep["spec"]["template"])
        new_rs = next((r for r in rses if _strip_hash(r["spec"]["template"]) == key), None)
    pods = {r["metadata"]["uid"]: owned(cl, "Pod", md["namespace"], r["metadata"]["uid"])
            for r in rses}
    dep = copy.deepcopy(dep)
    if new_rs is not None:
        dep["metadata"].setdefault("annotations", {})[REVISION] = \
            new_rs["metadata"]["annotations"][REVISION]
    dep["status"] = deployment_status(dep, rses, pods, cl.now())
    cl.put(dep)
    return dep


def sync_replicaset(cl, rs):
    md = rs["metadata"]
    ns = md["namespace"]
    pods = _active(owned(cl, "Pod", ns, md["uid"]))
    want = rs["spec"].get("replicas", 1)
    if len(pods) < want:
        for _ in range(min(want - len(pods), MAX_NEW_PODS)):
            name = "%s-%s" % (md["name"], objects.safe_hash("%s/%d" % (md["uid"], cl.serial()),
                                                             5))
            pods.append(create_pod(cl, rs, rs["spec"]["template"], name))
            cl.record_event(rs, "Normal", "SuccessfulCreate", "Created pod: %s" % name,
                            "replicaset-controller")
    elif len(pods) > want:
        # not-ready pods go first, then the newest, as the controller ranks them
        victims = sorted(pods, key=lambda p: (pod_ready(p), -objects.parse_ts(
            p["metadata"]["creationTimestamp"])))[:len(pods) - want]
        for p in victims:
            delete_pod(cl, p)
            cl.record_event(rs, "Normal", "SuccessfulDelete", "Deleted pod: %s"
                            % p["metadata"]["name"], "replicaset-controller")
        pods = [p for p in pods if p not in victims]
    rs = copy.deepcopy(cl.store.get(RES["ReplicaSet"], ns, md["name"]).obj)
    rs["status"] = replicaset_status(rs, pods)
    cl.put(rs)
    return rs


def _sts_revision(sts):
    return "%s-%s" % (sts["metadata"]["name"], objects.safe_hash(
        _strip_hash(sts["spec"]["template"]), 10))


def sync_statefulset(cl, sts):
    md = sts["metadata"]
    ns = md["namespace"]
    want = sts["spec"].get("replicas", 1)
    rev = _sts_revision(sts)
    pods = {p["metadata"]["name"]: p for p in owned(cl, "Pod", ns, md["uid"])}
    for i in range(min(max(want, len(pods)), MAX_NEW_PODS)):
        name = "%s-%d" % (md["name"], i)
        p = pods.get(name)
        if i >= want:
            if p:
                delete_pod(cl, p)
            continue
        if p and p["metadata"].get("labels", {}).get("controller-revision-hash") != rev:
            delete_pod(cl, p)
            p = None
        if not p:
            create_pod(cl, sts, sts["spec"]["template"], name, extra_labels={
                "controller-revision-hash": rev, "apps.kubernetes.io/pod-index": str(i),
                "statefulset.kubernetes.io/pod-name": name})
    pods = _active(owned(cl, "Pod", ns, md["uid"]))
    ready = sum(1 for p in pods if pod_ready(p))
    sts = copy.deepcopy(sts)
    sts["status"] = {"observedGeneration": md.get("generation", 1), "replicas": len(pods),
                     "readyReplicas": ready, "currentReplicas": len(pods),
                     "updatedReplicas": len(pods), "currentRevision": rev,
                     "updateRevision": rev, "collisionCount": 0, "availableReplicas": ready}
    cl.put(sts)
    return sts


def sync_daemonset(cl, ds):
    md = ds["metadata"]
    ns = md["namespace"]
    rev = objects.safe_hash(_strip_hash(ds["spec"]["template"]), 10)
    nodes = [e.obj["metadata"]["name"] for e in cl.store.entries(RES["Node"])]
    pods = {p["spec"].get("nodeName"): p for p in _active(owned(cl, "Pod", ns, md["uid"]))}
    for node in nodes:
        p = pods.get(node)
        if p and p["metadata"].get("labels", {}).get("controller-revision-hash") != rev:
            delete_pod(cl, p)
            p = None
        if not p:
            name = "%s-%s" % (md["name"], objects.safe_hash("%s/%s/%d" % (
                md["uid"], node, cl.serial()), 5))
            create_pod(cl, ds, ds["spec"]["template"], name, daemon_node=node,
                       extra_labels={"controller-revision-hash": rev,
                                     "pod-template-generation": str(md.get("generation", 1))})
    pods = _active(owned(cl, "Pod", ns, md["uid"]))
    ready = sum(1 for p in pods if pod_ready(p))
    ds = copy.deepcopy(ds)
    ds["status"] = {"currentNumberScheduled": len(pods), "numberMisscheduled": 0,
                    "desiredNumberScheduled": len(nodes), "numberReady": ready,
                    "observedGeneration": md.get("generation", 1),
                    "updatedNumberScheduled": len(pods), "numberAvailable": ready}
    if len(pods) - ready:
        ds["status"]["numberUnavailable"] = len(pods) - ready
    cl.put(ds)
    return ds


def sync_job(cl, job):
    """A new job runs its pods to completion at once."""
    md = job["metadata"]
    ns = md["namespace"]
    if job.get("status", {}).get("completionTime") or job["spec"].get("suspend"):
        return job
    pods = owned(cl, "Pod", ns, md["uid"])
    t = copy.deepcopy(job["spec"]["template"])
    t.setdefault("metadata", {}).setdefault("labels", {}).update({
        "batch.kubernetes.io/controller-uid": md["uid"], "controller-uid": md["uid"],
        "batch.kubernetes.io/job-name": md["name"], "job-name": md["name"]})
    completions = job["spec"].get("completions") or 1
    for _ in range(min(completions - len(pods), MAX_NEW_PODS)):
        name = "%s-%s" % (md["name"], objects.safe_hash("%s/%d" % (md["uid"], cl.serial()), 5))
        create_pod(cl, job, t, name)
        cl.record_event(job, "Normal", "SuccessfulCreate", "Created pod: %s" % name,
                        "job-controller")
    now = cl.now()
    job = copy.deepcopy(job)
    done = objects.ts(now)
    job["status"] = {"conditions": [
        {"type": "SuccessCriteriaMet", "status": "True", "lastProbeTime": done,
         "lastTransitionTime": done, "reason": "CompletionsReached",
         "message": "Reached expected number of succeeded pods"},
        {"type": "Complete", "status": "True", "lastProbeTime": done,
         "lastTransitionTime": done, "reason": "CompletionsReached",
         "message": "Reached expected number of succeeded pods"}],
        "startTime": done, "completionTime": done,
        "succeeded": completions, "terminating": 0,
        "uncountedTerminatedPods": {}, "ready": 0}
    cl.put(job)
    cl.record_event(job, "Normal", "Completed", "Job completed", "job-controller")
    return job


SYNC = {"Deployment": sync_deployment, "ReplicaSet": sync_replicaset,
        "StatefulSet": sync_statefulset, "DaemonSet": sync_daemonset, "Job": sync_job}


def reconcile(cl, obj):
    """Run the controller for obj's kind after a write; returns the object as now stored."""
    fn = SYNC.get(obj.get("kind"))
    if fn is None:
        return obj
    return fn(cl, obj)


def after_pod_change(cl, pod):
    """Refresh the owning workload's status after one of its pods changed or went away."""
    for ref in pod["metadata"].get("ownerReferences") or []:
        if ref.get("kind") == "ReplicaSet":
            e = cl.store.get(RES["ReplicaSet"], pod["metadata"]["namespace"], ref["name"])
            if e is None:
                continue
            rs = e.obj
            pods = owned(cl, "Pod", rs["metadata"]["namespace"], rs["metadata"]["uid"])
            rs = copy.deepcopy(rs)
            rs["status"] = replicaset_status(rs, pods)
            cl.put(rs)
            for dref in rs["metadata"].get("ownerReferences") or []:
                if dref.get("kind") == "Deployment":
                    d = cl.store.get(RES["Deployment"], rs["metadata"]["namespace"], dref["name"])
                    if d is not None:
                        update_deployment_status(cl, d.obj)


def garbage_collect(cl, obj, policy):
    """Handle dependents of a deleted object: delete them (Background/Foreground) or orphan."""
    md = obj["metadata"]
    ns = md.get("namespace")
    kinds = {"Deployment": ["ReplicaSet"], "ReplicaSet": ["Pod"], "StatefulSet": ["Pod"],
             "DaemonSet": ["Pod"], "Job": ["Pod"], "CronJob": ["Job"]}.get(obj["kind"], [])
    for kind in kinds:
        for dep in owned(cl, kind, ns, md["uid"]):
            if policy == "Orphan":
                d = copy.deepcopy(dep)
                d["metadata"]["ownerReferences"] = [
                    r for r in d["metadata"].get("ownerReferences", []) if r["uid"] != md["uid"]]
                if not d["metadata"]["ownerReferences"]:
                    del d["metadata"]["ownerReferences"]
                cl.put(d)
            else:
                remove(cl, RES[kind], dep)
                garbage_collect(cl, dep, policy)
