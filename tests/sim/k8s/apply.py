"""Server-side apply and managedFields, after sigs.k8s.io/structured-merge-diff.

Field ownership is tracked per manager as sets of paths in the FieldsV1 notation
(`f:spec`, `k:{"name":"nginx"}`, `v:"x"`). Lists that strategic merge treats by
key (patch.merge_key) are associative here too; other lists are atomic, as they
are for Go fields without list-type markers. An apply:

1. conflicts when it sets a field another manager owns to a different value
   (409 with the causes the real server gives), unless force=true;
2. merges the applied configuration into the live object;
3. removes fields this manager applied before and no longer applies, unless
   someone else also owns them;
4. records the manager's new set; forced fields leave their former owners.

Any other write (create, update, patch) moves the fields it changed to its
manager, as an Update entry.
"""

import copy
import json

import errors
import objects
from patch import merge_key, PRIMITIVE_MERGE

MISSING = object()
_IGNORED_META = {"name", "namespace", "uid", "resourceVersion", "generation",
                 "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                 "managedFields", "selfLink", "generateName"}
MAP_FIELDS = {"labels", "annotations", "data", "stringData", "binaryData", "nodeSelector",
              "matchLabels", "requests", "limits", "capacity", "allocatable"}


def _is_atomic_map(path, field, kind):
    """LabelSelector is a +structType=atomic struct everywhere but Service.spec.selector."""
    return field == "selector" and not (kind == "Service" and path == ["spec"])


def _key_token(item, key):
    return "k:" + json.dumps({key: item.get(key)}, separators=(",", ":"))


def flatten(obj, kind, subresource=""):
    """{path: leaf value} for every owned-able field of obj, plus the "." members."""
    out = {}
    body = {}
    for k, v in obj.items():
        if k in ("apiVersion", "kind"):
            continue
        if k == "metadata":
            v = {mk: mv for mk, mv in (v or {}).items() if mk not in _IGNORED_META}
            if not v:
                continue
        if k == "status" and subresource != "status":
            continue
        if subresource == "status" and k not in ("status", "metadata"):
            continue
        body[k] = v
    _flatten(body, (), [], kind, out)
    return out


def _flatten(node, prefix, path, kind, out):
    for k, v in node.items():
        p = prefix + ("f:" + k,)
        if isinstance(v, dict) and v and not _is_atomic_map(path, k, kind):
            if k in MAP_FIELDS:
                out[p] = MISSING          # "." member: the map itself
            _flatten(v, p, path + [k], kind, out)
        elif isinstance(v, list) and v and k in PRIMITIVE_MERGE:
            for x in v:
                out[p + ("v:" + json.dumps(x, separators=(",", ":")),)] = x
        elif isinstance(v, list) and v and merge_key(path, k, kind) and \
                all(isinstance(x, dict) for x in v):
            key = merge_key(path, k, kind)
            for item in v:
                ip = p + (_key_token(item, key),)
                out[ip] = MISSING
                _flatten(item, ip, path + [k], kind, out)
        else:
            out[p] = v


def to_fields_v1(paths):
    tree = {}
    for p in sorted(paths):
        node = tree
        for part in p:
            node = node.setdefault(part, {})
    for p in paths:
        node = tree
        for part in p:
            node = node[part]
        if node and "." not in node:
            node["."] = {}
    return _sorted_tree(tree)


def _sorted_tree(t):
    return {k: _sorted_tree(t[k]) for k in sorted(t, key=lambda x: (x != ".", x))}


def from_fields_v1(tree, prefix=()):
    out = set()
    for k, v in (tree or {}).items():
        if k == ".":
            out.add(prefix)
            continue
        p = prefix + (k,)
        if not v:
            out.add(p)
        else:
            out |= from_fields_v1(v, p)
    return out


def _entries(obj):
    return obj.get("metadata", {}).get("managedFields") or []


def _set_entries(obj, entries):
    if entries:
        obj["metadata"]["managedFields"] = entries
    else:
        obj["metadata"].pop("managedFields", None)


def manager_from(field_manager, user_agent):
    """managerOrUserAgent: the fieldManager parameter, else the user agent's program name."""
    if field_manager:
        return field_manager
    ua = (user_agent or "unknown").split("/", 1)[0]
    return ua[:128]


def _entry(manager, operation, api_version, paths, now, subresource=""):
    e = {"manager": manager, "operation": operation, "apiVersion": api_version,
         "time": objects.ts(now), "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(paths)}
    if subresource:
        e["subresource"] = subresource
    return e


def record_update(old, new, manager, now, subresource=""):
    """Give `manager` the fields that differ between old (None on create) and new."""
    kind = new.get("kind")
    before = flatten(old, kind, subresource) if old else {}
    after = flatten(new, kind, subresource)
    changed = {p for p, v in after.items() if p not in before or (
        v is not MISSING and before[p] != v)}
    removed = set(before) - set(after)
    entries = copy.deepcopy(_entries(old)) if old else []
    out = []
    mine = None
    for e in entries:
        paths = from_fields_v1(e.get("fieldsV1")) - changed - removed
        if e["manager"] == manager and e["operation"] == "Update" and \
                e.get("subresource", "") == subresource:
            mine = paths
            continue
        if paths:
            e["fieldsV1"] = to_fields_v1(paths)
            out.append(e)
    paths = (mine or set()) | changed
    paths = {p for p in paths if p in after}
    if paths:
        out.append(_entry(manager, "Update", new["apiVersion"], paths, now, subresource))
    _set_entries(new, out)
    return new


def _value_at(obj, path):
    cur = obj
    for part in path:
        if part.startswith("f:"):
            if not isinstance(cur, dict) or part[2:] not in cur:
                return MISSING
            cur = cur[part[2:]]
        elif part.startswith("k:"):
            want = json.loads(part[2:])
            if not isinstance(cur, list):
                return MISSING
            cur = next((x for x in cur if isinstance(x, dict) and
                        all(x.get(k) == v for k, v in want.items())), MISSING)
            if cur is MISSING:
                return MISSING
        elif part.startswith("v:"):
            want = json.loads(part[2:])
            if not isinstance(cur, list) or want not in cur:
                return MISSING
            cur = want
    return cur


def _remove_at(obj, path):
    parent = _value_at(obj, path[:-1])
    last = path[-1]
    if parent is MISSING:
        return
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        want = json.loads(last[2:])
        parent[:] = [x for x in parent if not (isinstance(x, dict) and all(
            x.get(k) == v for k, v in want.items()))]
    elif last.startswith("v:") and isinstance(parent, list):
        want = json.loads(last[2:])
        parent[:] = [x for x in parent if x != want]


def _merge(live, cfg, path, kind):
    if not isinstance(cfg, dict) or not isinstance(live, dict):
        return copy.deepcopy(cfg)
    out = dict(live)
    for k, v in cfg.items():
        if isinstance(v, dict) and not _is_atomic_map(path, k, kind):
            out[k] = _merge(live.get(k, {}), v, path + [k], kind)
        elif isinstance(v, list) and k in PRIMITIVE_MERGE:
            cur = list(live.get(k) or [])
            out[k] = cur + [x for x in v if x not in cur]
        elif isinstance(v, list) and merge_key(path, k, kind) and \
                all(isinstance(x, dict) for x in v):
            key = merge_key(path, k, kind)
            cur = [copy.deepcopy(x) for x in live.get(k) or []]
            for item in v:
                idx = next((i for i, x in enumerate(cur) if isinstance(x, dict) and
                            x.get(key) == item.get(key)), None)
                if idx is None:
                    cur.append(copy.deepcopy(item))
                else:
                    cur[idx] = _merge(cur[idx], item, path + [k], kind)
            out[k] = cur
        else:
            out[k] = copy.deepcopy(v)
    return out


def _describe_manager(e):
    s = '"%s"' % e["manager"]
    if e.get("subresource"):
        s += ' with subresource "%s"' % e["subresource"]
    if e["operation"] == "Update":
        s += " using %s" % e["apiVersion"]
        if e.get("time"):
            s += " at %s" % e["time"]
    return s


def _path_string(path):
    """fieldpath.Path.String(): .spec.replicas, .spec.containers[name="nginx"].image."""
    out = ""
    for part in path:
        if part.startswith("f:"):
            out += "." + part[2:]
        elif part.startswith("k:"):
            kv = json.loads(part[2:])
            out += "[" + ",".join("%s=%s" % (k, json.dumps(v)) for k, v in kv.items()) + "]"
        elif part.startswith("v:"):
            out += "[=%s]" % part[2:]
    return out


def server_side_apply(live, cfg, manager, force, now, subresource=""):
    """Return the object after applying cfg as manager (live None: the object is new)."""
    kind = cfg.get("kind")
    applied = flatten(cfg, kind, subresource)
    applied_paths = set(applied)
    base = copy.deepcopy(live) if live else {"apiVersion": cfg["apiVersion"], "kind": kind,
                                             "metadata": {}}
    entries = copy.deepcopy(_entries(base))
    conflicts = []
    forced = set()
    for e in entries:
        if e["manager"] == manager and e["operation"] == "Apply":
            continue
        owned = from_fields_v1(e.get("fieldsV1"))
        for p in sorted(owned & applied_paths):
            if applied[p] is MISSING:
                continue
            cur = _value_at(base, p)
            if cur is not MISSING and cur != applied[p]:
                if force:
                    forced.add(p)
                else:
                    conflicts.append((_describe_manager(e), _path_string(p)))
    if conflicts:
        raise errors.apply_conflict(conflicts)
    body = {k: v for k, v in cfg.items() if k not in ("apiVersion", "kind")}
    md = body.get("metadata", {})
    body["metadata"] = {k: v for k, v in md.items() if k not in _IGNORED_META}
    result = _merge(base, body, [], kind)
    result["apiVersion"], result["kind"] = cfg["apiVersion"], kind
    # fields this manager stopped applying, and that nobody else owns, go away
    prev = set()
    others = set()
    for e in entries:
        paths = from_fields_v1(e.get("fieldsV1"))
        if e["manager"] == manager and e["operation"] == "Apply" and \
                e.get("subresource", "") == subresource:
            prev = paths
        else:
            others |= paths - forced
    for p in sorted(prev - applied_paths - others, key=len):
        _remove_at(result, p)
    out = []
    for e in entries:
        if e["manager"] == manager and e["operation"] == "Apply" and \
                e.get("subresource", "") == subresource:
            continue
        paths = from_fields_v1(e.get("fieldsV1")) - forced
        if paths:
            e["fieldsV1"] = to_fields_v1(paths)
            out.append(e)
    if applied_paths:
        out.append(_entry(manager, "Apply", cfg["apiVersion"], applied_paths, now, subresource))
    result["metadata"]["managedFields"] = out
    if not out:
        del result["metadata"]["managedFields"]
    return result


def initial_managed(obj, manager, status_manager, now):
    """managedFields for an object that a controller or a user made before the run began.

    The object's own fields go to manager; its status, when it has one, to status_manager
    through the status subresource, as the kubelet and controllers write it.
    """
    entries = []
    paths = set(flatten(obj, obj.get("kind")))
    if paths:
        entries.append(_entry(manager, "Update", obj["apiVersion"], paths, now))
    if status_manager and obj.get("status"):
        spaths = {p for p in flatten(obj, obj.get("kind"), "status") if p[0] == "f:status"}
        if spaths:
            entries.append(_entry(status_manager, "Update", obj["apiVersion"], spaths, now,
                                  "status"))
    _set_entries(obj, entries)
    return obj
