"""metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, as metrics-server reports them.

Usage is a deterministic function of the pod and container names (so `kubectl
top` output is stable), scaled to the container's requests and limits; the
shop/worker pod sits near its memory limit, as a pod about to be OOM-killed does.
"""

import hashlib

import objects


def _unit(name):
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / float(0xFFFFFFFF)


def _cpu_milli(q):
    if not q:
        return 0
    q = str(q)
    if q.endswith("m"):
        return float(q[:-1])
    return float(q) * 1000


def _mem_mi(q):
    if not q:
        return 0
    q = str(q)
    for u, m in (("Ki", 1 / 1024.0), ("Mi", 1), ("Gi", 1024), ("Ti", 1024 * 1024)):
        if q.endswith(u):
            return float(q[:-2]) * m
    return float(q) / (1 << 20)


def container_usage(pod_name, c):
    r = c.get("resources", {})
    req_cpu = _cpu_milli(r.get("requests", {}).get("cpu")) or 50
    req_mem = _mem_mi(r.get("requests", {}).get("memory")) or 32
    lim_mem = _mem_mi(r.get("limits", {}).get("memory"))
    u = _unit(pod_name + "/" + c["name"])
    cpu_n = int((0.05 + 0.9 * u) * req_cpu * 1e6)
    mem = (0.4 + 0.6 * u) * req_mem
    if pod_name.startswith("worker-") and lim_mem:
        mem = lim_mem * 0.94
    return {"cpu": "%dn" % cpu_n, "memory": "%dKi" % int(mem * 1024)}


def _running(pod):
    return pod.get("status", {}).get("phase") == "Running" and pod["spec"].get("nodeName")


def pod_metrics(pod, now):
    md = pod["metadata"]
    return {"kind": "PodMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": md["name"], "namespace": md["namespace"],
                         "creationTimestamp": objects.ts(now), "labels": md.get("labels") or {}},
            "timestamp": objects.ts(now - 12), "window": "15.012s",
            "containers": [{"name": c["name"], "usage": container_usage(md["name"], c)}
                           for c in pod["spec"]["containers"]]}


def node_metrics(node, pods, now):
    name = node["metadata"]["name"]
    cpu = 180e6 + _unit(name) * 120e6
    mem = 900 * 1024 + _unit(name + "m") * 300 * 1024
    for p in pods:
        for c in p["spec"]["containers"]:
            u = container_usage(p["metadata"]["name"], c)
            cpu += int(u["cpu"][:-1])
            mem += int(u["memory"][:-2])
    return {"kind": "NodeMetrics", "apiVersion": "metrics.k8s.io/v1beta1",
            "metadata": {"name": name, "creationTimestamp": objects.ts(now),
                         "labels": node["metadata"].get("labels") or {}},
            "timestamp": objects.ts(now - 9), "window": "20.032s",
            "usage": {"cpu": "%dn" % cpu, "memory": "%dKi" % mem}}


def running(pod):
    return bool(_running(pod))
