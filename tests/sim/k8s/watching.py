"""Watch (`?watch=true` on a list): a chunked stream of {"type", "object"} lines.

Semantics of the watch cache: without a resourceVersion (or "0") the current
objects come first as ADDED; with one, every change after it is replayed from
the store's history, or a 410 ERROR event says it is too old. Selectors apply to
both sides of a change, so an object that stops matching is seen as DELETED and
one that starts matching as ADDED. With `as=Table` each object is a one-row
Table (column definitions on the first event only), as `kubectl get -w` expects.
"""

import queue
import time

import errors
import request
import selection
import table
from store import Compacted, dumps

MAX_TIMEOUT = 1800        # kube-apiserver's default --min-request-timeout


def watch(req, res, ns):
    cl = req.cl
    lsel, fsel = selection.from_query(req.query, res)
    name = fsel.exact("metadata.name") or ""
    rv = req.q("resourceVersion")
    initial_events = req.q("sendInitialEvents") == "true"
    try:
        timeout = min(int(req.q("timeoutSeconds") or MAX_TIMEOUT), MAX_TIMEOUT)
    except ValueError:
        raise errors.bad_request("timeoutSeconds: Invalid value: %s" % req.q("timeoutSeconds"))

    def matches(entry):
        return entry is not None and lsel.matches(entry.labels) and selection.field_match(entry, fsel)

    with cl.lock:
        initial = []
        since = None
        if rv in (None, "", "0") or initial_events:
            initial = [e for e in cl.store.entries(res, ns) if matches(e)]
        else:
            try:
                since = int(rv)
            except ValueError:
                raise errors.bad_request("invalid resource version: %s" % rv)
        try:
            w, backlog = cl.store.watch(res, ns, name, since)
        except Compacted:
            w, backlog = None, []
        start_rv = cl.store.rv
    enc = _Encoder(req, res)

    def events():
        if w is None:
            st = errors.expired("too old resource version: %s (%d)" % (rv, cl.store.compacted))
            yield enc.line("ERROR", st.status())
            return
        try:
            for e in initial:
                yield enc.line("ADDED", e.obj)
            if initial_events and req.q("allowWatchBookmarks") == "true":
                yield enc.line("BOOKMARK", {
                    "kind": res.kind, "apiVersion": res.group_version,
                    "metadata": {"resourceVersion": str(start_rv),
                                 "annotations": {"k8s.io/initial-events-end": "true"}}})
            deadline = time.time() + timeout
            pending = list(backlog)
            while time.time() < deadline and req.alive() and not cl.store.closed:
                if pending:
                    item = pending.pop(0)
                else:
                    try:
                        item = w.q.get(timeout=1.0)
                    except queue.Empty:
                        continue
                if item is None or w.overflowed:
                    break     # server stopping, or the client fell too far behind
                etype, prev, new, _ = item
                seen = _transition(etype, matches(prev), matches(new))
                if seen:
                    yield enc.line(seen, new.obj)
        finally:
            cl.store.unwatch(w)
    return request.Response(200, stream=events())


def _transition(etype, was, now):
    """The event a filtered watcher sees for a change, or None."""
    if etype == "DELETED":
        return "DELETED" if was or now else None
    if now and not was:
        return "ADDED"
    if now:
        return etype
    if was:
        return "DELETED"
    return None


class _Encoder:
    def __init__(self, req, res):
        self.req = req
        self.res = res
        self.table = request.wants_table(req.headers)
        self.include = req.q("includeObject", "PartialObjectMetadata")
        self.first = True

    def line(self, etype, obj):
        if self.table and etype not in ("ERROR", "BOOKMARK"):
            obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                   "metadata": {"resourceVersion": obj["metadata"].get("resourceVersion", "")},
                   "columnDefinitions": table.columns(self.res.kind) if self.first else [],
                   "rows": [table.row(obj, self.req.cl.now(), self.include)]}
            self.first = False
        return dumps({"type": etype, "object": obj}) + b"\n"
