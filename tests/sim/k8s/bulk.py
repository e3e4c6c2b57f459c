"""`--pods N`: a `load` namespace with one deployment of N lazily built pods.

Each pod exists in the store as a small entry (name, labels, the few fields
selectors look at); its full object is built only when a response needs it, so
10,000 pods cost a few MB until they are listed, and a list of all of them is
still a faithful list of real-looking pods. Every 50th pod is crash-looping
so that filtering a big list has something to find.
"""

import copy
import json

import apply as ssa
import controllers
import objects
import resources
import store as store_mod

NS = "load"
IMAGE = "registry.cn-hangzhou.aliyuncs.com/acme/load:1.0.0"


def seed_load(cl, n):
    t0 = cl.t0
    created = t0 - 4 * 86400
    cl.put({"apiVersion": "v1", "kind": "Namespace",
            "metadata": objects.meta(NS, None, {"kubernetes.io/metadata.name": NS}, None,
                                     created),
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    cl.put({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": objects.meta("default", NS, None, None, created)})
    labels = {"app": "load"}
    container = objects.default_container({
        "name": "load", "image": IMAGE, "ports": [{"containerPort": 8080, "name": "http"}],
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}})
    tmpl = {"metadata": {"labels": dict(labels)}, "spec": {"containers": [container]}}
    objects.default_template(tmpl)
    dep = {"apiVersion": "apps/v1", "kind": "Deployment",
           "metadata": objects.meta("load", NS, labels, {
               "deployment.kubernetes.io/revision": "1"}, created, generation=1),
           "spec": {"replicas": n, "selector": {"matchLabels": labels}, "template": tmpl}}
    objects.apply_defaults(dep)
    cl.put(dep)
    h = objects.template_hash(tmpl)
    rt = copy.deepcopy(tmpl)
    rt["metadata"]["labels"]["pod-template-hash"] = h
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
          "metadata": objects.meta("load-" + h, NS, rt["metadata"]["labels"], {
              "deployment.kubernetes.io/desired-replicas": str(n),
              "deployment.kubernetes.io/max-replicas": str(n + (n + 3) // 4),
              "deployment.kubernetes.io/revision": "1"}, created, owner=dep, generation=1),
          "spec": {"replicas": n, "selector": {"matchLabels": dict(labels, **{
              "pod-template-hash": h})}, "template": rt}}
    bad = sum(1 for i in range(n) if i % 50 == 7)
    rs["status"] = {"replicas": n, "fullyLabeledReplicas": n, "readyReplicas": n - bad,
                    "availableReplicas": n - bad, "observedGeneration": 1}
    cl.put(rs)
    res = resources.by_kind("", "Pod")
    pod_labels = rt["metadata"]["labels"]
    rs_uid = rs["metadata"]["uid"]
    nodes = [cl.store.entries(resources.by_kind("", "Node"))[k].name for k in (0, 1)]
    with cl.lock:
        base = cl.store.rv
        cl.store.rv += n
    for i in range(n):
        name = "load-%s-%s" % (h, _suffix(i))
        node = nodes[i % 2]
        phase = "Running"
        entry = store_mod.Entry(
            gen=_builder(i, name, node, rt, rs, t0, base + i + 1), name=name, namespace=NS,
            labels=pod_labels, rv=base + i + 1,
            fields={"owner": rs_uid, "spec.nodeName": node, "status.phase": phase,
                    "spec.restartPolicy": "Always", "spec.schedulerName": "default-scheduler",
                    "spec.serviceAccountName": "default", "spec.hostNetwork": "false",
                    "status.podIP": _ip(i), "status.podIPs": _ip(i),
                    "status.nominatedNodeName": ""})
        cl.store.put_lazy(res, entry)
    pods = {rs_uid: []}
    dep["status"] = controllers.deployment_status(dep, [rs], pods, t0)
    dep["status"].update({"replicas": n, "updatedReplicas": n, "readyReplicas": n - bad,
                          "availableReplicas": n - bad})
    if bad:
        dep["status"]["unavailableReplicas"] = bad
    cl.put(dep)


def warm(cl, now):
    """Build and cache the lazy pods' bytes and table cells ahead of the first big list."""
    import table
    res = resources.by_kind("", "Pod")
    for e in cl.store.entries(res, NS):
        if cl.store.closed:
            return
        e.raw()
        table.entry_row(e, now, "None")


def _suffix(i):
    """Five characters of the pod-name alphabet, distinct for every i below 27**5."""
    n = (i * 7919 + 12345) % 27 ** 5       # 7919 is prime to 27**5: a permutation
    out = ""
    for _ in range(5):
        n, r = divmod(n, 27)
        out += objects._SAFE[r]
    return out


def _ip(i):
    return "172.21.%d.%d" % (i // 250, i % 250 + 2)


def _builder(i, name, node, template, rs, t0, rv):
    def build():
        created = t0 - 4 * 86400 + 60 + i % 3600
        if i % 50 == 7:
            states = [{"kind": "crashloop", "restarts": 12 + i % 5, "last": {
                "reason": "Error", "exit": 2, "started": t0 - 330, "finished": t0 - 300}}]
        else:
            states = [{"kind": "running", "started": created + 8}]
        pod = objects.build_pod(NS, name, template["spec"], template["metadata"]["labels"], None,
                                rs, node, created, states, ip=_ip(i), rv=rv,
                                uid_parts=("pod", NS, name))
        pod["metadata"]["generateName"] = rs["metadata"]["name"] + "-"
        _managed(pod, created, i % 50 == 7)
        return objects.normalize(pod)
    return build


_MANAGED = {}      # variant -> (managedFields JSON, the volume name in it)


def _managed(pod, created, crashing):
    """initial_managed, computed once per pod variant: only the volume name differs."""
    vol = next(v["name"] for v in pod["spec"]["volumes"]
               if v["name"].startswith("kube-api-access-"))
    if crashing not in _MANAGED:
        ssa.initial_managed(pod, "kube-controller-manager", "kubelet", created)
        _MANAGED[crashing] = (json.dumps(pod["metadata"]["managedFields"]), vol)
        return
    text, proto_vol = _MANAGED[crashing]
    mf = json.loads(text.replace(proto_vol, vol))
    stamp = objects.ts(created)
    for e in mf:
        e["time"] = stamp
    pod["metadata"]["managedFields"] = mf
