"""The simulated cluster: the store plus the clock, IP allocation and events.

Handlers and controllers receive one Cluster; nothing else holds state.
"""

import threading
import time

import objects
import resources


class Cluster:
    def __init__(self, store, t0=None):
        self.store = store
        self.t0 = int(t0 if t0 is not None else time.time())
        self.offset = 0.0          # added to the wall clock; /_sim/clock moves it
        self._ip_next = {}
        self._serial = 0
        self.lock = store.lock
        self.latency_ms = 0
        self.faults = []           # see server.py /_sim/fault
        self.requests = []         # bounded request log for tests
        self.requests_lock = threading.Lock()

    def now(self):
        return time.time() + self.offset

    def serial(self):
        """A counter for deterministic generated names (pods, events)."""
        with self.lock:
            self._serial += 1
            return self._serial

    def alloc_ip(self, node_name):
        """Pod IPs per node from 172.20.<node index>.0/24, as a per-node pod CIDR would."""
        with self.lock:
            try:
                idx = int(objects.node_ip(node_name).rsplit(".", 1)[1]) - 10
            except (ValueError, IndexError):
                idx = 200
            n = self._ip_next.get(idx, 100) + 1
            self._ip_next[idx] = n
            return "172.20.%d.%d" % (idx, n % 250 + 2)

    def res(self, group, kind):
        return resources.by_kind(group, kind)

    def put(self, obj, event=None):
        """Store an object under a fresh resourceVersion (mutates obj's metadata)."""
        group = obj["apiVersion"].rpartition("/")[0]
        res = resources.by_kind(group, obj["kind"])
        with self.lock:
            obj["metadata"]["resourceVersion"] = str(self.store.next_rv())
            obj = objects.normalize(obj)
            self.store.put(res, obj, event)
        return obj

    def record_event(self, obj, etype, reason, message, component, count=1, first=None,
                     last=None, field_path=None, host=None):
        """Create a core/v1 Event about obj, named and shaped as the event recorder does."""
        now = self.now()
        first = first if first is not None else now
        last = last if last is not None else now
        md = obj["metadata"]
        ns = md.get("namespace") or "default"
        name = "%s.%s" % (md["name"], objects.hexid("%s/%s/%s/%d" % (
            md.get("uid"), reason, message, self.serial()), 16))
        involved = {"kind": obj["kind"], "namespace": md.get("namespace", ""),
                    "name": md["name"], "uid": md.get("uid", ""),
                    "apiVersion": obj["apiVersion"],
                    "resourceVersion": md.get("resourceVersion", "")}
        if not md.get("namespace"):
            del involved["namespace"]
        if field_path:
            involved["fieldPath"] = field_path
        ev = {"kind": "Event", "apiVersion": "v1",
              "metadata": objects.meta(name, ns, created=int(first), uid_parts=("event", name)),
              "involvedObject": involved, "reason": reason, "message": message,
              "source": {"component": component}, "firstTimestamp": objects.ts(first),
              "lastTimestamp": objects.ts(last), "count": count, "type": etype,
              "eventTime": None, "reportingComponent": component, "reportingInstance": ""}
        if host:
            ev["source"]["host"] = host
            ev["reportingInstance"] = host
        if count > 1:
            # events.k8s.io-style aggregation, as recorders that dedupe repeats report it
            ev["series"] = {"count": count, "lastObservedTime": objects.ts_micro(last)}
        return self.put(ev)
