"""Container logs: deterministic lines computed by index, never stored.

A container's log is a function of (pod, container, attempt): line k is written
at start + k * interval and its text depends only on k, so tail, since and byte
limits are arithmetic, and the 100 MiB log of default/bulk-logger streams in
chunks without ever being held in memory. Like a kubelet with log rotation, a
long-running container keeps only its newest MAX_LINES lines.
"""

import time

import errors
import objects

MAX_LINES = 5000
BIG_LINES = 1 << 20          # 1,048,576 lines of 100 bytes: 100 MiB
BIG_WIDTH = 100
CHUNK = 64 * 1024


class Log:
    """The lines of one container attempt: k in [first, last]."""

    def __init__(self, start, end, interval, text, first=0, last=None, fixed=None):
        self.start = start
        self.interval = interval
        self.text = text          # k -> str (no newline)
        self.fixed = fixed        # explicit list of (offset_seconds, text), for crash logs
        if fixed is not None:
            self.first, self.last = 0, len(fixed) - 1
        else:
            top = int((end - start) / interval) if end > start else 0
            self.last = top if last is None else min(last, top)
            self.first = max(first, self.last - MAX_LINES + 1) if last is None else first

    def at(self, k):
        if self.fixed is not None:
            return self.start + self.fixed[k][0], self.fixed[k][1]
        return self.start + k * self.interval, self.text(k)

    def index_since(self, t):
        """First k whose time is >= t."""
        if self.fixed is not None:
            for k in range(len(self.fixed)):
                if self.start + self.fixed[k][0] >= t:
                    return k
            return self.last + 1
        if t <= self.start:
            return self.first
        k = int((t - self.start) / self.interval)
        if self.start + k * self.interval < t:
            k += 1
        return max(k, self.first)


def _rfc3339nano(t):
    frac = int(round((t % 1) * 1e9))
    if frac >= 1000000000:
        frac = 999999999
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%09dZ" % frac


def _klog(t):
    lt = time.gmtime(t)
    return "%s%02d%02d %s.%06d" % ("I", lt.tm_mon, lt.tm_mday, time.strftime("%H:%M:%S", lt),
                                   int((t % 1) * 1e6))


_PATHS = ["/", "/index.html", "/api/items", "/api/cart", "/static/app.js", "/healthz",
          "/api/items/1042", "/api/checkout", "/favicon.ico", "/api/search?q=lamp"]


def _content(pod_name, cname, image, start, interval):
    """Pick a line generator by what the container runs."""
    seed = sum(map(ord, pod_name + cname))
    if "nginx" in image:
        def line(k):
            t = start + k * interval
            status = 200 if (k + seed) % 17 else 404
            path = _PATHS[(k * 7 + seed) % len(_PATHS)]
            return '172.20.1.%d - - [%s +0000] "GET %s HTTP/1.1" %d %d "-" "Mozilla/5.0" "-"' % (
                (k + seed) % 200 + 2, time.strftime("%d/%b/%Y:%H:%M:%S", time.gmtime(t)), path,
                status, 512 + (k * 31 + seed) % 4096)
        return line
    if "/api:" in image or "/cart:" in image:
        def line(k):
            t = start + k * interval
            lvl = "warn" if (k + seed) % 23 == 0 else "info"
            msg = "slow request" if lvl == "warn" else "request served"
            return ('{"level":"%s","ts":"%s","caller":"http/server.go:%d","msg":"%s","method":'
                    '"GET","path":"%s","status":%d,"latency_ms":%d}' % (
                        lvl, objects.ts(t), 80 + k % 40, msg, _PATHS[(k + seed) % 10],
                        200, 3 + (k * 13 + seed) % (900 if lvl == "warn" else 40)))
        return line
    if "worker" in image:
        def line(k):
            t = start + k * interval
            return "%s INFO  [pool-1-thread-%d] c.a.worker.JobRunner - processed batch %d " \
                   "(%d records) in %d ms" % (objects.ts(t).replace("T", " ")[:-1],
                                              k % 4 + 1, k, 500 + k % 300, 40 + k % 200)
        return line

    def line(k):
        t = start + k * interval
        return "%s       1 %s.go:%d] %s: sync loop iteration %d completed" % (
            _klog(t), cname.replace("-", "_"), 100 + k % 50, cname, k)
    return line


def _big_line(k):
    head = "%09d bulk-logger payload " % k
    return (head + "x" * BIG_WIDTH)[:BIG_WIDTH - 1]


def _crash_log(cname, image, reason):
    """What a container that keeps dying printed in its last attempt."""
    if reason == "OOMKilled":
        return [(0, "Starting worker 1.8.0 with -Xmx768m"),
                (1, "INFO  Connected to redis-0.redis.shop.svc.cluster.local:6379"),
                (2, "INFO  Loading batch 88412 (1200000 records)"),
                (88, "WARN  GC overhead: 92% of time spent in GC in the last 60s"),
                (89, 'Exception in thread "pool-1-thread-3" java.lang.OutOfMemoryError: Java '
                     "heap space"),
                (89, "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)"),
                (89, "\tat c.a.worker.BatchLoader.load(BatchLoader.java:118)")]
    return [(0, '{"level":"info","msg":"starting %s","version":"2.3.1"}' % cname),
            (0, '{"level":"info","msg":"connecting to database","host":'
                '"redis-0.redis.shop.svc.cluster.local:5432"}'),
            (1, '{"level":"error","msg":"database connection failed","error":"dial tcp '
                '172.20.2.9:5432: connect: connection refused","attempt":3}'),
            (2, "panic: failed to connect to database: dial tcp 172.20.2.9:5432: connect: "
                "connection refused"),
            (2, ""),
            (2, "goroutine 1 [running]:"),
            (2, "main.main()"),
            (2, "\t/src/cmd/api/main.go:57 +0x2c5")]


def _find(pod, container):
    spec = pod["spec"]
    status = pod.get("status", {})
    for kind, statuses in (("containers", "containerStatuses"),
                           ("initContainers", "initContainerStatuses")):
        for c in spec.get(kind) or []:
            if c["name"] == container:
                st = next((s for s in status.get(statuses) or [] if s["name"] == container), None)
                return c, st
    return None, None


def resolve(pod, q, big):
    """Validate the request as the API server and kubelet do; returns a Log."""
    name = pod["metadata"]["name"]
    spec = pod["spec"]
    container = q.get("container")
    if not container:
        if len(spec["containers"]) != 1:
            names = "[" + " ".join(c["name"] for c in spec["containers"]) + "]"
            msg = "a container name must be specified for pod %s, choose one of: %s" % (
                name, names)
            if spec.get("initContainers"):
                msg += " or one of the init containers: [%s]" % " ".join(
                    c["name"] for c in spec["initContainers"])
            raise errors.bad_request(msg)
        container = spec["containers"][0]["name"]
    c, st = _find(pod, container)
    if c is None:
        raise errors.bad_request("container %s is not valid for pod %s" % (container, name))
    if not spec.get("nodeName"):
        raise errors.bad_request("pod %s does not have a host assigned" % name)
    previous = q.get("previous") in ("true", "1")
    now = time.time()
    st = st or {}
    state = st.get("state", {})
    last = st.get("lastState", {}).get("terminated")
    interval = 30.0
    if previous:
        if not last:
            raise errors.bad_request('previous terminated container "%s" in pod "%s" not found'
                                     % (container, name))
        return _attempt_log(c, last, now)
    if "waiting" in state:
        reason = state["waiting"].get("reason", "")
        if reason == "CrashLoopBackOff" and last:
            return _attempt_log(c, last, now)
        why = {"ImagePullBackOff": "trying and failing to pull image",
               "ErrImagePull": "trying and failing to pull image"}.get(reason, reason)
        raise errors.bad_request('container "%s" in pod "%s" is waiting to start: %s'
                                 % (container, name, why))
    if "terminated" in state:
        t = state["terminated"]
        start = objects.parse_ts(t["startedAt"])
        end = objects.parse_ts(t["finishedAt"])
        if t.get("exitCode"):
            return _attempt_log(c, t, now)
        return Log(start, end, max(1.0, (end - start) / 20.0), _content(
            name, container, c["image"], start, max(1.0, (end - start) / 20.0)))
    started = objects.parse_ts(state.get("running", {}).get("startedAt")) or now
    if big:
        span = max(now - started, 1.0)
        step = span / BIG_LINES
        return Log(started, now, step, _big_line, first=0, last=BIG_LINES - 1)
    return Log(started, now, interval, _content(name, container, c["image"], started, interval))


def _attempt_log(c, term, now):
    start = objects.parse_ts(term["startedAt"])
    end = objects.parse_ts(term["finishedAt"])
    if term.get("reason") in ("OOMKilled", "Error"):
        lines = _crash_log(c["name"], c["image"], term["reason"])
        span = max(end - start, 1)
        top = max(x[0] for x in lines) or 1
        fixed = [(min(off * span / top, span), text) for off, text in lines]
        return Log(start, end, 1.0, None, fixed=fixed)
    return Log(start, end, 5.0, _content("prev", c["name"], c["image"], start, 5.0))


def _int(q, key):
    v = q.get(key)
    if v is None or v == "":
        return None
    try:
        return int(v)
    except ValueError:
        raise errors.bad_request('strconv.ParseInt: parsing "%s": invalid syntax' % v)


def stream(log, q, now=None):
    """Yield the response body in chunks, applying sinceSeconds/sinceTime, tailLines,
    timestamps and limitBytes as the kubelet does (tail first, then the byte limit)."""
    now = now or time.time()
    first, last = log.first, log.last
    since = _int(q, "sinceSeconds")
    if since is not None:
        if since < 1:
            raise errors.bad_request("sinceSeconds: Invalid value: %d: must be greater than 0"
                                     % since)
        first = max(first, log.index_since(now - since))
    if q.get("sinceTime"):
        t = objects.parse_ts(q["sinceTime"])
        if t is None:
            raise errors.bad_request('parsing time "%s" as "2006-01-02T15:04:05Z07:00": cannot '
                                     "parse" % q["sinceTime"])
        first = max(first, log.index_since(t))
    tail = _int(q, "tailLines")
    if tail is not None:
        if tail < 0:
            raise errors.bad_request("tailLines: Invalid value: %d: must be greater than or "
                                     "equal to 0" % tail)
        first = max(first, last - tail + 1)
    limit = _int(q, "limitBytes")
    if limit is not None and limit < 1:
        raise errors.bad_request("limitBytes: Invalid value: %d: must be greater than 0" % limit)
    stamps = q.get("timestamps") in ("true", "1")
    return _chunks(log, first, last, stamps, limit)


def _chunks(log, first, last, stamps, limit):
    buf = []
    size = 0
    sent = 0
    for k in range(first, last + 1):
        t, text = log.at(k)
        line = (_rfc3339nano(t) + " " + text if stamps else text) + "\n"
        b = line.encode()
        buf.append(b)
        size += len(b)
        if size >= CHUNK:
            data = b"".join(buf)
            if limit is not None and sent + len(data) >= limit:
                yield data[:limit - sent]
                return
            sent += len(data)
            yield data
            buf, size = [], 0
    if buf:
        data = b"".join(buf)
        if limit is not None and sent + len(data) > limit:
            data = data[:limit - sent]
        yield data


def follow(log, stamps, deadline, alive):
    """After the existing lines, keep yielding new ones as they come due."""
    k = log.last + 1
    while time.time() < deadline and alive():
        t, text = log.at(k)
        wait = t - time.time()
        if wait > 0:
            time.sleep(min(wait, 0.5))
            continue
        line = (_rfc3339nano(t) + " " + text if stamps else text) + "\n"
        yield line.encode()
        k += 1
