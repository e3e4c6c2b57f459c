"""The Table format (`as=Table;g=meta.k8s.io;v=v1`): columns and cells per kind.

Columns and cell logic follow k8s.io/kubernetes/pkg/printers/internalversion
(printers.go, 1.32): the server always computes the wide cells and marks the
extra columns with priority 1; kubectl hides those unless `-o wide`.
"""

import objects

NAME = ("Name", "string", "name", "Name must be unique within a namespace.", 0)
AGE = ("Age", "string", "", "CreationTimestamp is a timestamp representing the server time "
       "when this object was created.", 0)
CONTAINERS = ("Containers", "string", "", "Names of each container in the template.", 1)
IMAGES = ("Images", "string", "", "Images referenced by each container in the template.", 1)
SELECTOR = ("Selector", "string", "", "A label query over pods.", 1)


def human_duration(sec):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(sec)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm" % m if s % 60 == 0 else "%dm%ds" % (m, s % 60)
    if m < 180:
        return "%dm" % m
    h = s // 3600
    if h < 8:
        return "%dh" % h if m % 60 == 0 else "%dh%dm" % (h, m % 60)
    if h < 48:
        return "%dh" % h
    if h < 24 * 8:
        return "%dd" % (h // 24) if h % 24 == 0 else "%dd%dh" % (h // 24, h % 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    if h < 24 * 365 * 8:
        dy = (h // 24) % 365
        return "%dy" % (h // 24 // 365) if dy == 0 else "%dy%dd" % (h // 24 // 365, dy)
    return "%dy" % (h // 24 // 365)


def since(text, now):
    t = objects.parse_ts(text)
    if t is None:
        return "<unknown>"
    return human_duration(now - t)


def age(obj, now):
    return since(obj["metadata"].get("creationTimestamp"), now)


def _dig(obj, *keys):
    """obj[k1][k2]... or {} when any level is missing."""
    for k in keys:
        obj = obj.get(k) if isinstance(obj, dict) else None
    return obj if obj is not None else {}


def _pod_template(spec):
    return _dig(spec, "template", "spec")


def _containers(tmpl_spec):
    cs = [c or {} for c in tmpl_spec.get("containers") or []]
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def selector_string(sel):
    """metav1.LabelSelectorAsSelector(sel).String()."""
    if not sel:
        return "<none>"
    parts = []
    for k in sorted((sel.get("matchLabels") or {})):
        parts.append("%s=%s" % (k, sel["matchLabels"][k]))
    for e in sel.get("matchExpressions") or []:
        op = e["operator"]
        if op == "In":
            parts.append("%s in (%s)" % (e["key"], ",".join(sorted(e.get("values", [])))))
        elif op == "NotIn":
            parts.append("%s notin (%s)" % (e["key"], ",".join(sorted(e.get("values", [])))))
        elif op == "Exists":
            parts.append(e["key"])
        elif op == "DoesNotExist":
            parts.append("!" + e["key"])
    parts.sort()
    return ",".join(parts) if parts else "<none>"


def _map_selector(m):
    if not m:
        return "<none>"
    return ",".join("%s=%s" % (k, m[k]) for k in sorted(m))


# ---- per kind ----------------------------------------------------------------------

def _pod_static(p):
    """printPod's cells, with RESTARTS and AGE left for _pod_cells."""
    spec, st = p.get("spec") or {}, p.get("status") or {}
    restarts = 0
    total = len(spec.get("containers") or [])
    ready = 0
    last_restart = 0
    reason = st.get("reason") or st.get("phase", "")
    for c in st.get("conditions") or []:
        if c["type"] == "PodScheduled" and c.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    inits = {c["name"]: c for c in spec.get("initContainers") or []}
    sidecars = {n for n, c in inits.items() if c.get("restartPolicy") == "Always"}
    total += len(sidecars)
    initializing = False
    for i, cs in enumerate(st.get("initContainerStatuses") or []):
        restarts += cs.get("restartCount", 0)
        lt = (cs.get("lastState") or {}).get("terminated")
        if lt:
            last_restart = max(last_restart, objects.parse_ts(lt.get("finishedAt")) or 0)
        term = cs.get("state", {}).get("terminated")
        wait = cs.get("state", {}).get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        if cs["name"] in sidecars and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if term:
            if not term.get("reason"):
                reason = "Init:Signal:%d" % term["signal"] if term.get("signal") else \
                    "Init:ExitCode:%d" % term.get("exitCode", 0)
            else:
                reason = "Init:" + term["reason"]
        elif wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = "Init:%d/%d" % (i, len(inits))
        initializing = True
        break
    initialized = any(c["type"] == "Initialized" and c["status"] == "True"
                      for c in st.get("conditions") or [])
    if not initializing or initialized:
        restarts = 0
        last_restart = 0
        for cs in st.get("initContainerStatuses") or []:
            if cs["name"] in sidecars:
                restarts += cs.get("restartCount", 0)
        has_running = False
        for cs in reversed(st.get("containerStatuses") or []):
            restarts += cs.get("restartCount", 0)
            lt = (cs.get("lastState") or {}).get("terminated")
            if lt:
                last_restart = max(last_restart, objects.parse_ts(lt.get("finishedAt")) or 0)
            state = cs.get("state", {})
            if state.get("waiting", {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated", {}).get("reason"):
                reason = state["terminated"]["reason"]
            elif "terminated" in state:
                t = state["terminated"]
                reason = "Signal:%d" % t["signal"] if t.get("signal") else \
                    "ExitCode:%d" % t.get("exitCode", 0)
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if any(c["type"] == "Ready" and c["status"] == "True"
                                      for c in st.get("conditions") or []) else "NotReady"
    if p["metadata"].get("deletionTimestamp"):
        if st.get("reason") == "NodeLost":
            reason = "Unknown"
        elif st.get("phase") not in ("Succeeded", "Failed"):
            reason = "Terminating"
    ips = st.get("podIPs") or []
    gates = spec.get("readinessGates") or []
    gate_cell = "<none>"
    if gates:
        conds = {c["type"]: c["status"] for c in st.get("conditions") or []}
        n = sum(1 for g in gates if conds.get(g["conditionType"]) == "True")
        gate_cell = "%d/%d" % (n, len(gates))
    cells = [p["metadata"]["name"], "%d/%d" % (ready, total), reason, None, None,
             ips[0]["ip"] if ips else "<none>", spec.get("nodeName") or "<none>",
             st.get("nominatedNodeName") or "<none>", gate_cell]
    return cells, restarts, last_restart, objects.parse_ts(p["metadata"].get("creationTimestamp"))


def _pod_cells(static, now):
    """Fill in the two cells that depend on the current time."""
    cells, restarts, last_restart, created = static
    cells = list(cells)
    cells[3] = "%d (%s ago)" % (restarts, human_duration(now - last_restart)) \
        if restarts and last_restart else str(restarts)
    cells[4] = human_duration(now - created) if created is not None else "<unknown>"
    return cells


def _pod(p, now):
    return _pod_cells(_pod_static(p), now)


def _pod_conditions(p):
    phase = p.get("status", {}).get("phase")
    if phase == "Succeeded":
        return [{"type": "Completed", "status": "True", "reason": "Succeeded",
                 "message": "The pod has completed successfully."}]
    if phase == "Failed":
        return [{"type": "Completed", "status": "True", "reason": "Failed",
                 "message": "The pod failed."}]
    return None


def _node(n, now):
    st = n.get("status", {})
    conds = {c["type"]: c["status"] for c in st.get("conditions") or []}
    status = []
    if "Ready" in conds:
        status.append("Ready" if conds["Ready"] == "True" else "NotReady")
    else:
        status.append("Unknown")
    if (n.get("spec") or {}).get("unschedulable"):
        status.append("SchedulingDisabled")
    roles = sorted({k.split("/", 1)[1] for k in n["metadata"].get("labels", {})
                    if k.startswith("node-role.kubernetes.io/")} |
                   ({n["metadata"]["labels"]["kubernetes.io/role"]}
                    if "kubernetes.io/role" in n["metadata"].get("labels", {}) else set()))
    addrs = st.get("addresses") or []
    internal = next((a["address"] for a in addrs if a["type"] == "InternalIP"), "<none>")
    external = next((a["address"] for a in addrs if a["type"] == "ExternalIP"), "<none>")
    info = st.get("nodeInfo", {})
    return [n["metadata"]["name"], ",".join(status), ",".join(roles) or "<none>", age(n, now),
            info.get("kubeletVersion", ""), internal, external, info.get("osImage", "<unknown>"),
            info.get("kernelVersion", "<unknown>"), info.get("containerRuntimeVersion",
                                                             "<unknown>")]


def _ports(svc):
    out = []
    for p in (svc.get("spec") or {}).get("ports") or []:
        proto = p.get("protocol", "TCP")
        if p.get("nodePort"):
            out.append("%d:%d/%s" % (p["port"], p["nodePort"], proto))
        else:
            out.append("%d/%s" % (p["port"], proto))
    return ",".join(out) or "<none>"


def _service(s, now):
    spec = s.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    external = "<none>"
    ips = list(spec.get("externalIPs") or [])
    if stype == "LoadBalancer":
        lb = [i.get("ip") or i.get("hostname") for i in
              s.get("status", {}).get("loadBalancer", {}).get("ingress") or []]
        ips = lb + ips
        external = ",".join(ips) if ips else "<pending>"
    elif stype == "ExternalName":
        external = spec.get("externalName", "<none>")
    elif ips:
        external = ",".join(ips)
    return [s["metadata"]["name"], stype, spec.get("clusterIP") or "<none>", external,
            _ports(s), age(s, now), _map_selector(spec.get("selector"))]


def _endpoints(e, now):
    parts = []
    total = 0
    for ss in e.get("subsets") or []:
        for a in ss.get("addresses") or []:
            for p in ss.get("ports") or [{}]:
                total += 1
                if len(parts) < 3:
                    parts.append("%s:%s" % (a["ip"], p["port"]) if "port" in p else a["ip"])
    text = ",".join(parts) if parts else "<none>"
    if total > 3:
        text += " + %d more..." % (total - 3)
    return [e["metadata"]["name"], text, age(e, now)]


def _deployment(d, now):
    spec, st = d.get("spec") or {}, d.get("status") or {}
    c, i = _containers(_pod_template(spec))
    return [d["metadata"]["name"], "%d/%d" % (st.get("readyReplicas", 0), spec.get("replicas", 1)),
            st.get("updatedReplicas", 0), st.get("availableReplicas", 0), age(d, now), c, i,
            selector_string(spec.get("selector"))]


def _replicaset(r, now):
    spec, st = r.get("spec") or {}, r.get("status") or {}
    c, i = _containers(_pod_template(spec))
    return [r["metadata"]["name"], spec.get("replicas", 1), st.get("replicas", 0),
            st.get("readyReplicas", 0), age(r, now), c, i, selector_string(spec.get("selector"))]


def _statefulset(s, now):
    spec, st = s.get("spec") or {}, s.get("status") or {}
    c, i = _containers(_pod_template(spec))
    return [s["metadata"]["name"], "%d/%d" % (st.get("readyReplicas", 0), spec.get("replicas", 1)),
            age(s, now), c, i]


def _daemonset(d, now):
    spec, st = d.get("spec") or {}, d.get("status") or {}
    c, i = _containers(_pod_template(spec))
    return [d["metadata"]["name"], st.get("desiredNumberScheduled", 0),
            st.get("currentNumberScheduled", 0), st.get("numberReady", 0),
            st.get("updatedNumberScheduled", 0), st.get("numberAvailable", 0),
            _map_selector(_pod_template(spec).get("nodeSelector")), age(d, now), c, i,
            selector_string(spec.get("selector"))]


def _job(j, now):
    spec, st = j.get("spec") or {}, j.get("status") or {}
    conds = {c["type"] for c in st.get("conditions") or [] if c["status"] == "True"}
    if "Complete" in conds:
        status = "Complete"
    elif "Failed" in conds:
        status = "Failed"
    elif j["metadata"].get("deletionTimestamp"):
        status = "Terminating"
    elif "Suspended" in conds:
        status = "Suspended"
    elif "FailureTarget" in conds:
        status = "FailureTarget"
    elif "SuccessCriteriaMet" in conds:
        status = "SuccessCriteriaMet"
    else:
        status = "Running"
    comps = spec.get("completions")
    par = spec.get("parallelism", 1)
    succeeded = st.get("succeeded", 0)
    if comps is not None:
        completions = "%d/%d" % (succeeded, comps)
    elif par > 1:
        completions = "%d/1 of %d" % (succeeded, par)
    else:
        completions = "%d/1" % succeeded
    start = objects.parse_ts(st.get("startTime"))
    end = objects.parse_ts(st.get("completionTime"))
    if start is None:
        duration = ""
    elif end is None:
        duration = human_duration(now - start)
    else:
        duration = human_duration(end - start)
    c, i = _containers(_pod_template(spec))
    return [j["metadata"]["name"], status, completions, duration, age(j, now), c, i,
            selector_string(spec.get("selector"))]


def _cronjob(cj, now):
    spec, st = cj.get("spec") or {}, cj.get("status") or {}
    c, i = _containers(_pod_template(_dig(spec, "jobTemplate", "spec")))
    last = st.get("lastScheduleTime")
    return [cj["metadata"]["name"], spec.get("schedule", ""), spec.get("timeZone") or "<none>",
            "True" if spec.get("suspend") else "False", len(st.get("active") or []),
            since(last, now) if last else "<none>", age(cj, now), c, i,
            selector_string(_dig(spec, "jobTemplate", "spec", "selector"))]


def _ingress(ing, now):
    spec = ing.get("spec") or {}
    hosts = [r.get("host") for r in spec.get("rules") or [] if r.get("host")]
    addrs = [i.get("ip") or i.get("hostname") for i in
             ing.get("status", {}).get("loadBalancer", {}).get("ingress") or []]
    return [ing["metadata"]["name"], spec.get("ingressClassName") or "<none>",
            ",".join(hosts) or "*", ",".join(addrs), "80, 443" if spec.get("tls") else "80",
            age(ing, now)]


_MODES = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
          "ReadWriteOncePod": "RWOP"}


def _pvc(p, now):
    spec, st = p.get("spec") or {}, p.get("status") or {}
    phase = st.get("phase", "")
    if p["metadata"].get("deletionTimestamp"):
        phase = "Terminating"
    modes = ",".join(_MODES.get(m, m) for m in st.get("accessModes") or [])
    return [p["metadata"]["name"], phase, spec.get("volumeName", ""),
            (st.get("capacity") or {}).get("storage", ""), modes,
            spec.get("storageClassName", ""), spec.get("volumeAttributesClassName") or "<unset>",
            age(p, now), spec.get("volumeMode", "<unset>")]


def _pv(p, now):
    spec = p.get("spec") or {}
    claim = ""
    if spec.get("claimRef"):
        claim = "%s/%s" % (spec["claimRef"].get("namespace"), spec["claimRef"].get("name"))
    return [p["metadata"]["name"], spec.get("capacity", {}).get("storage", ""),
            ",".join(_MODES.get(m, m) for m in spec.get("accessModes") or []),
            spec.get("persistentVolumeReclaimPolicy", ""), p.get("status", {}).get("phase", ""),
            claim, spec.get("storageClassName", ""),
            spec.get("volumeAttributesClassName") or "<unset>",
            p.get("status", {}).get("reason", ""), age(p, now), spec.get("volumeMode", "<unset>")]


def _hpa(h, now):
    spec, st = h.get("spec") or {}, h.get("status") or {}
    ref = spec.get("scaleTargetRef") or {}
    targets = []
    current = {m.get("resource", {}).get("name"): m for m in st.get("currentMetrics") or []}
    for m in spec.get("metrics") or []:
        if m.get("type") == "Resource":
            name = m["resource"]["name"]
            want = m["resource"]["target"].get("averageUtilization")
            cur = current.get(name, {}).get("resource", {}).get("current", {}).get(
                "averageUtilization")
            targets.append("%s: %s/%s%%" % (name, "%d%%" % cur if cur is not None else
                                            "<unknown>", want))
    return [h["metadata"]["name"], "%s/%s" % (ref.get("kind", ""), ref.get("name", "")),
            ", ".join(targets) or "<none>", spec.get("minReplicas", 1), spec.get("maxReplicas"),
            st.get("currentReplicas", 0), age(h, now)]


def _pdb(p, now):
    spec = p.get("spec") or {}
    return [p["metadata"]["name"], str(spec["minAvailable"]) if "minAvailable" in spec else "N/A",
            str(spec["maxUnavailable"]) if "maxUnavailable" in spec else "N/A",
            p.get("status", {}).get("disruptionsAllowed", 0), age(p, now)]


def _binding(b, now):
    subj = b.get("subjects") or []

    def names(kind):
        return ",".join((s.get("namespace", "") + "/" + s["name"]) if kind == "ServiceAccount"
                        else s["name"] for s in subj if s["kind"] == kind)
    return [b["metadata"]["name"], "%s/%s" % (b["roleRef"]["kind"], b["roleRef"]["name"]),
            age(b, now), names("User"), names("Group"), names("ServiceAccount")]


def _created_at(o, now):
    return [o["metadata"]["name"], o["metadata"].get("creationTimestamp")]


def _namespace(n, now):
    return [n["metadata"]["name"], n.get("status", {}).get("phase", ""), age(n, now)]


def _configmap(c, now):
    return [c["metadata"]["name"], len(c.get("data") or {}) + len(c.get("binaryData") or {}),
            age(c, now)]


def _secret(s, now):
    return [s["metadata"]["name"], s.get("type", ""), len(s.get("data") or {}), age(s, now)]


def _serviceaccount(s, now):
    return [s["metadata"]["name"], len(s.get("secrets") or []), age(s, now)]


def _event(e, now):
    first = since(e.get("firstTimestamp"), now) if e.get("firstTimestamp") else since(
        e.get("eventTime"), now)
    last = since(e.get("lastTimestamp"), now) if e.get("lastTimestamp") else first
    count = e.get("count") or 1
    if e.get("series"):
        last = since(e["series"].get("lastObservedTime"), now)
        count = e["series"].get("count", count)
    io = e.get("involvedObject", {})
    target = "%s/%s" % (io.get("kind", "").lower(), io["name"]) if io.get("name") else \
        io.get("kind", "").lower()
    src = e.get("source") or {}
    source = src.get("component") or e.get("reportingComponent") or ""
    host = src.get("host") or e.get("reportingInstance")
    if host:
        source += ", " + host
    return [last, e.get("type", ""), e.get("reason", ""), target, io.get("fieldPath", ""), source,
            (e.get("message") or "").strip(), first, count, e["metadata"]["name"]]


def _widget(w, now):
    return [w["metadata"]["name"], w.get("spec", {}).get("size"),
            w.get("status", {}).get("phase"), age(w, now)]


def _col(name, typ="string", fmt="", desc="", prio=0):
    return (name, typ, fmt, desc, prio)


PRINTERS = {
    "Pod": ([NAME, _col("Ready", desc="The aggregate readiness state of this pod for "
                                       "accepting traffic."),
             _col("Status", desc="The aggregate status of the containers in this pod."),
             _col("Restarts", desc="The number of times the containers in this pod have been "
                                   "restarted and when the last container in this pod has "
                                   "restarted."), AGE,
             _col("IP", desc="podIP address allocated to the pod.", prio=1),
             _col("Node", desc="NodeName indicates in which node this pod is scheduled.", prio=1),
             _col("Nominated Node", desc="nominatedNodeName is set when this pod preempts other "
                                         "pods on the node.", prio=1),
             _col("Readiness Gates", desc="If specified, all readiness gates will be evaluated "
                                          "for pod readiness.", prio=1)], _pod),
    "Node": ([NAME, _col("Status", desc="The status of the node"),
              _col("Roles", desc="The roles of the node"), AGE,
              _col("Version", desc="Kubelet Version reported by the node."),
              _col("Internal-IP", desc="List of addresses reachable to the node.", prio=1),
              _col("External-IP", desc="List of addresses reachable to the node.", prio=1),
              _col("OS-Image", desc="OS Image reported by the node.", prio=1),
              _col("Kernel-Version", desc="Kernel Version reported by the node.", prio=1),
              _col("Container-Runtime", desc="ContainerRuntime Version reported by the node.",
                   prio=1)], _node),
    "Namespace": ([NAME, _col("Status", desc="The status of the namespace"), AGE], _namespace),
    "Service": ([NAME, _col("Type", desc="type determines how the Service is exposed."),
                 _col("Cluster-IP", desc="clusterIP is the IP address of the service."),
                 _col("External-IP", desc="externalIPs is a list of IP addresses for which "
                                          "nodes in the cluster will also accept traffic."),
                 _col("Port(s)", desc="The list of ports that are exposed by this service."),
                 AGE, _col("Selector", desc="Route service traffic to pods with label keys and "
                                            "values matching this selector.", prio=1)],
                _service),
    "Endpoints": ([NAME, _col("Endpoints", desc="The set of all endpoints is the union of all "
                                                "subsets."), AGE], _endpoints),
    "ConfigMap": ([NAME, _col("Data", "integer", desc="Data contains the configuration data."),
                   AGE], _configmap),
    "Secret": ([NAME, _col("Type", desc="Used to facilitate programmatic handling of secret "
                                        "data."),
                _col("Data", "integer", desc="Data contains the secret data."), AGE], _secret),
    "ServiceAccount": ([NAME, _col("Secrets", "integer", desc="Secrets is a list of the "
                                                              "secrets in the same namespace."),
                        AGE], _serviceaccount),
    "Event": ([_col("Last Seen", desc="Time when this Event was last observed."),
               _col("Type", desc="Type of this event (Normal, Warning)."),
               _col("Reason", desc="Why the action was taken."),
               _col("Object", desc="The object this Event is about."),
               _col("Subobject", desc="The field path of the object.", prio=1),
               _col("Source", desc="The component reporting this event.", prio=1),
               _col("Message", desc="A human-readable description of the status of this "
                                    "operation."),
               _col("First Seen", desc="The time at which the event was first recorded.",
                    prio=1),
               _col("Count", desc="The number of times this event has occurred.", prio=1),
               _col("Name", fmt="name", desc="Name must be unique within a namespace.",
                    prio=1)], _event),
    "Deployment": ([NAME, _col("Ready", desc="Number of the pod with ready state"),
                    _col("Up-to-date", "integer", desc="Total number of non-terminated pods "
                                                       "targeted by this deployment that have "
                                                       "the desired template spec."),
                    _col("Available", "integer", desc="Total number of available pods "
                                                      "targeted by this deployment."), AGE,
                    CONTAINERS, IMAGES, SELECTOR], _deployment),
    "ReplicaSet": ([NAME, _col("Desired", "integer", desc="Replicas is the number of desired "
                                                          "pods."),
                    _col("Current", "integer", desc="Replicas is the most recently observed "
                                                    "number of non-terminating pods."),
                    _col("Ready", "integer", desc="The number of non-terminating pods targeted "
                                                  "by this ReplicaSet with a Ready Condition."),
                    AGE, CONTAINERS, IMAGES, SELECTOR], _replicaset),
    "StatefulSet": ([NAME, _col("Ready", desc="Number of the pod with ready state"), AGE,
                     CONTAINERS, IMAGES], _statefulset),
    "DaemonSet": ([NAME, _col("Desired", "integer", desc="The total number of nodes that should "
                                                         "be running the daemon pod."),
                   _col("Current", "integer", desc="The number of nodes that are running at "
                                                   "least 1 daemon pod."),
                   _col("Ready", "integer", desc="numberReady is the number of nodes that "
                                                 "should be running the daemon pod and have "
                                                 "one or more of the daemon pod running with a "
                                                 "Ready Condition."),
                   _col("Up-to-date", "integer", desc="The total number of nodes that are "
                                                      "running updated daemon pod"),
                   _col("Available", "integer", desc="The number of nodes that should be "
                                                     "running the daemon pod and have one or "
                                                     "more of the daemon pod running and "
                                                     "available."),
                   _col("Node Selector", desc="NodeSelector is a selector which must be true for "
                                              "the pod to fit on a node."), AGE, CONTAINERS,
                   IMAGES, SELECTOR], _daemonset),
    "Job": ([NAME, _col("Status", desc="Status of the job."),
             _col("Completions", desc="The completion status of the job."),
             _col("Duration", desc="Time required to complete the job."), AGE, CONTAINERS,
             IMAGES, SELECTOR], _job),
    "CronJob": ([NAME, _col("Schedule", desc="The schedule in Cron format."),
                 _col("Timezone", desc="The time zone name for the given schedule."),
                 _col("Suspend", "boolean", desc="This flag tells the controller to suspend "
                                                 "subsequent executions."),
                 _col("Active", "integer", desc="A list of pointers to currently running "
                                                "jobs."),
                 _col("Last Schedule", desc="Information when was the last time the job was "
                                            "successfully scheduled."), AGE, CONTAINERS, IMAGES,
                 SELECTOR], _cronjob),
    "Ingress": ([NAME, _col("Class", desc="The name of the IngressClass resource."),
                 _col("Hosts", desc="Hosts that incoming requests are matched against before "
                                    "the ingress rule"),
                 _col("Address", desc="Address is a list containing ingress points for the "
                                      "load-balancer"),
                 _col("Ports", desc="Ports of TLS configurations that open"), AGE], _ingress),
    "PersistentVolumeClaim": ([NAME, _col("Status", desc="The phase of the claim."),
                               _col("Volume", desc="The binding reference to the volume."),
                               _col("Capacity", desc="The actual resources of the volume."),
                               _col("Access Modes", desc="The actual access modes."),
                               _col("StorageClass", desc="The name of the StorageClass."),
                               _col("VolumeAttributesClass", desc="The VolumeAttributesClass "
                                                                  "of the claim."), AGE,
                               _col("VolumeMode", desc="The volume mode.", prio=1)], _pvc),
    "PersistentVolume": ([NAME, _col("Capacity", desc="The capacity of the volume."),
                          _col("Access Modes", desc="The access modes."),
                          _col("Reclaim Policy", desc="What happens when released."),
                          _col("Status", desc="The phase of the volume."),
                          _col("Claim", desc="The bound claim."),
                          _col("StorageClass", desc="The name of the StorageClass."),
                          _col("VolumeAttributesClass", desc="The VolumeAttributesClass."),
                          _col("Reason", desc="Why the volume is in this phase."), AGE,
                          _col("VolumeMode", desc="The volume mode.", prio=1)], _pv),
    "HorizontalPodAutoscaler": ([NAME, _col("Reference", desc="The target of the scaling."),
                                 _col("Targets", desc="The metrics and their targets."),
                                 _col("MinPods", desc="The lower limit of replicas."),
                                 _col("MaxPods", "integer", desc="The upper limit of replicas."),
                                 _col("Replicas", "integer", desc="Current number of "
                                                                  "replicas."), AGE], _hpa),
    "PodDisruptionBudget": ([NAME, _col("Min Available", desc="The minimum number of pods that "
                                                              "must be available."),
                             _col("Max Unavailable", desc="The maximum number of pods that may "
                                                          "be unavailable."),
                             _col("Allowed Disruptions", "integer", desc="Calculated number of "
                                                                         "pods that may be "
                                                                         "disrupted at this "
                                                                         "time."), AGE], _pdb),
    "RoleBinding": ([NAME, _col("Role", desc="RoleRef references the role being granted."), AGE,
                     _col("Users", desc="Users in the binding.", prio=1),
                     _col("Groups", desc="Groups in the binding.", prio=1),
                     _col("ServiceAccounts", desc="ServiceAccounts in the binding.", prio=1)],
                    _binding),
    "Widget": ([NAME, _col("Size", "integer"), _col("Phase"), _col("Age", "date")], _widget),
}
PRINTERS["ClusterRoleBinding"] = PRINTERS["RoleBinding"]
_DEFAULT = ([NAME, _col("Created At", "date", desc="CreationTimestamp is a timestamp "
                                                   "representing the server time when this "
                                                   "object was created.")], _created_at)


def columns(kind):
    cols, _ = PRINTERS.get(kind, _DEFAULT)
    out = []
    for name, typ, fmt, desc, prio in cols:
        out.append({"name": name, "type": typ, "format": fmt, "description": desc,
                    "priority": prio})
    return out


def row(obj, now, include):
    """One Table row; include is None, "Object" or "PartialObjectMetadata"."""
    _, fn = PRINTERS.get(obj.get("kind"), _DEFAULT)
    r = {"cells": fn(obj, now)}
    if obj.get("kind") == "Pod":
        conds = _pod_conditions(obj)
        if conds:
            r["conditions"] = conds
    if include == "Object":
        r["object"] = obj
    elif include != "None":
        r["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                       "metadata": obj["metadata"]}
    return r


def entry_row(entry, now, include):
    """row() for a stored entry, reusing what does not change while the entry lives.

    Pods dominate big lists: their cells (but RESTARTS and AGE), conditions and
    metadata are computed once per entry, so a 10,000-pod Table costs little more
    than the JSON list.
    """
    if entry.memo.get("kind", "Pod") != "Pod" or include == "Object":
        return row(entry.obj, now, include)
    memo = entry.memo
    if "static" not in memo:
        obj = entry.obj
        if obj.get("kind") != "Pod":
            memo["kind"] = obj.get("kind")
            return row(obj, now, include)
        # "static" last: the warming thread and a request thread may fill the same memo,
        # and a reader takes "static" as the sign the rest is there.
        memo["conditions"] = _pod_conditions(obj)
        memo["metadata"] = obj["metadata"]
        memo["static"] = _pod_static(obj)
    r = {"cells": _pod_cells(memo["static"], now)}
    if memo["conditions"]:
        r["conditions"] = memo["conditions"]
    if include != "None":
        r["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                       "metadata": memo["metadata"]}
    return r
