"""Object storage with etcd's semantics: one revision counter, key order, snapshot reads.

Every write bumps a global resourceVersion and is kept in a bounded history, so
that a paginated list can continue at the revision of its first page (what etcd
does) and a watch can start from a past revision. When the history no longer
reaches back far enough, the same 410 Expired errors as a compacted etcd come out.

Objects are plain dicts that the store never mutates after `put`; callers copy
before changing. Entries may also be lazy (the bulk pods of `--pods N`): a
generator builds the dict on demand and only the encoded bytes are cached.
"""

import bisect
import collections
import heapq
import json
import queue
import threading

import errors

HISTORY = 20000          # events kept for continue tokens and watch resumption
WATCH_QUEUE = 10000      # events a slow watcher may fall behind before it is cut off


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class Entry:
    """A stored object at one revision."""

    __slots__ = ("name", "namespace", "labels", "rv", "_obj", "_gen", "_raw", "fields", "memo")

    def __init__(self, obj=None, gen=None, name=None, namespace=None, labels=None, rv=None,
                 fields=None):
        self._obj = obj
        self._gen = gen
        self._raw = None
        self.memo = {}        # derived data (table cells...), valid as long as the entry
        if obj is not None:
            md = obj["metadata"]
            self.name = md["name"]
            self.namespace = md.get("namespace", "")
            self.labels = md.get("labels") or {}
            self.rv = int(md.get("resourceVersion") or 0)
        else:
            self.name, self.namespace, self.labels, self.rv = name, namespace, labels or {}, rv
        # precomputed field-selector values, so lazy entries need not be built to filter
        self.fields = fields

    @property
    def obj(self):
        """The object; a lazy entry returns a fresh dict each time (callers must not keep it).

        Decoding the cached bytes is an order of magnitude cheaper than building the pod.
        """
        if self._obj is not None:
            return self._obj
        if self._raw is not None:
            return json.loads(self._raw)
        obj = self._gen()
        self._raw = dumps(obj)
        return obj

    def raw(self):
        if self._raw is None:
            self._raw = dumps(self.obj)
        return self._raw


class Watcher:
    """One open watch: the store pushes (type, old_entry, new_entry) into its queue."""

    def __init__(self, res_key, namespace, name):
        self.res_key = res_key
        self.namespace = namespace
        self.name = name
        self.q = queue.Queue(WATCH_QUEUE)
        self.overflowed = False

    def push(self, item):
        try:
            self.q.put_nowait(item)
        except queue.Full:
            self.overflowed = True


class Store:
    def __init__(self, first_rv=1):
        self.lock = threading.RLock()
        self.rv = first_rv
        self.tables = collections.defaultdict(dict)    # res_key -> {key: Entry}
        self.sorted = collections.defaultdict(list)    # res_key -> sorted keys
        self.history = collections.deque()             # (rv, res_key, key, prev, new, shown)
        self.compacted = 0                             # snapshots older than this are gone
        self.watchers = []
        self.closed = False

    # ---- keys -------------------------------------------------------------

    @staticmethod
    def res_key(res):
        return "%s/%s" % (res.group, res.plural)

    @staticmethod
    def key(namespace, name):
        return "%s/%s" % (namespace, name) if namespace else name

    # ---- writes -----------------------------------------------------------

    def next_rv(self):
        with self.lock:
            self.rv += 1
            return self.rv

    def put(self, res, obj, event=None):
        """Store obj (whose resourceVersion the caller set from next_rv); emit a watch event."""
        with self.lock:
            e = Entry(obj)
            self._write(self.res_key(res), e.namespace, e.name, e, e.rv, event)
            return e

    def put_lazy(self, res, entry):
        """Seed-time bulk insert of a lazy entry: no history, no watchers."""
        with self.lock:
            rk = self.res_key(res)
            k = self.key(entry.namespace, entry.name)
            if k not in self.tables[rk]:
                bisect.insort(self.sorted[rk], k)
            self.tables[rk][k] = entry

    def delete(self, res, namespace, name, final_obj):
        """Remove an object; final_obj (with a fresh resourceVersion) goes to watchers."""
        with self.lock:
            e = Entry(final_obj)
            self._write(self.res_key(res), namespace, name, None, e.rv, "DELETED", final=e)

    def _write(self, rk, namespace, name, new, rv, event, final=None):
        k = self.key(namespace, name)
        table = self.tables[rk]
        prev = table.get(k)
        if new is None:
            if prev is None:
                return
            del table[k]
            keys = self.sorted[rk]
            i = bisect.bisect_left(keys, k)
            if i < len(keys) and keys[i] == k:
                del keys[i]
        else:
            if prev is None:
                bisect.insort(self.sorted[rk], k)
            table[k] = new
        shown = new if new is not None else final
        self.history.append((rv, rk, k, prev, new, shown))
        if len(self.history) > HISTORY:
            self.compacted = self.history.popleft()[0]
        etype = event or ("ADDED" if prev is None else "MODIFIED")
        for w in self.watchers:
            if w.res_key == rk and (not w.namespace or w.namespace == namespace) and \
                    (not w.name or w.name == name):
                w.push((etype, prev, shown, rv))

    def compact(self):
        """Forget all history: every outstanding continue token and old watch RV expires.

        The revision moves on by one so that even a token issued at the current revision
        is older than the compaction point.
        """
        with self.lock:
            self.rv += 1
            self.history.clear()
            self.compacted = self.rv

    # ---- reads ------------------------------------------------------------

    def get(self, res, namespace, name):
        with self.lock:
            return self.tables[self.res_key(res)].get(self.key(namespace, name))

    def count(self, res):
        return len(self.tables[self.res_key(res)])

    def entries(self, res, namespace=None):
        """Current entries in key order (a snapshot of the key list; cheap)."""
        with self.lock:
            rk = self.res_key(res)
            table = self.tables[rk]
            keys = self._range(self.sorted[rk], namespace, "")
            return [table[k] for k in keys]

    @staticmethod
    def _range(keys, namespace, start):
        prefix = namespace + "/" if namespace else ""
        lo = bisect.bisect_left(keys, prefix + start) if (prefix or start) else 0
        if prefix:
            hi = bisect.bisect_left(keys, namespace + "0")   # "0" sorts right after "/"
        else:
            hi = len(keys)
        return keys[lo:hi]

    def list(self, res, namespace, start, limit, match, at_rv=None):
        """One page of a list, as etcd3 GetList builds it.

        start: key suffix to start at (from a continue token), relative to the namespace.
        match: predicate on Entry. at_rv: serve the snapshot at this revision.
        Returns (entries, list_rv, last_key or None if no more, remaining or None).
        """
        with self.lock:
            rk = self.res_key(res)
            if at_rv is not None and at_rv < self.compacted:
                raise _Compacted()
            snap_rv = at_rv if at_rv is not None else self.rv
            table = self.tables[rk]
            changed = {}
            if snap_rv < self.rv:
                for (rv, hrk, k, prev, _new, _shown) in reversed(self.history):
                    if rv <= snap_rv:
                        break
                    if hrk == rk:
                        changed[k] = prev
            keys = self._range(self.sorted[rk], namespace, start)
            if changed:
                prefix = namespace + "/" if namespace else ""
                extra = sorted(k for k in changed if k.startswith(prefix) and
                               k >= prefix + start and k not in table)
                keys = list(heapq.merge(keys, extra))
            out = []
            last = None
            more = False
            total = 0
            for k in keys:
                e = changed[k] if k in changed else table.get(k)
                if e is None:
                    continue
                total += 1
                if limit and len(out) >= limit:
                    more = True
                    continue
                last = k
                if match(e):
                    out.append(e)
            remaining = total - limit if (more and limit) else None
            if namespace and last is not None:
                last = last[len(namespace) + 1:]
            return out, snap_rv, (last if more else None), remaining

    # ---- watch ------------------------------------------------------------

    def watch(self, res, namespace, name, since_rv):
        """Register a watcher; returns (watcher, backlog events after since_rv).

        since_rv None means "now" (the caller sends the current state itself).
        Raises _Compacted when since_rv is older than the history.
        """
        with self.lock:
            rk = self.res_key(res)
            w = Watcher(rk, namespace, name)
            backlog = []
            if since_rv is not None and since_rv < self.rv:
                if since_rv < self.compacted:
                    raise _Compacted()
                for (rv, hrk, k, prev, new, shown) in self.history:
                    if rv <= since_rv or hrk != rk:
                        continue
                    if namespace and shown.namespace != namespace:
                        continue
                    if name and shown.name != name:
                        continue
                    etype = "DELETED" if new is None else ("ADDED" if prev is None else "MODIFIED")
                    backlog.append((etype, prev, shown, rv))
            self.watchers.append(w)
            return w, backlog

    def unwatch(self, w):
        with self.lock:
            if w in self.watchers:
                self.watchers.remove(w)

    def close(self):
        with self.lock:
            self.closed = True
            for w in self.watchers:
                w.push(None)


class _Compacted(Exception):
    """The requested revision is older than the retained history."""


Compacted = _Compacted


def expired_list_error(paging, start_key):
    if paging:
        return errors.expired(
            "The provided continue parameter is too old to display a consistent list result. "
            "You can start a new list without the continue parameter, or use the continue token "
            "in this response to retrieve the remainder of the results. Continuing with the "
            "provided token results in an inconsistent list - objects that were created, "
            "modified, or deleted between the time the first chunk was returned and now may "
            "show up in the list.", start_key)
    return errors.expired("The resourceVersion for the provided list is too old.")
