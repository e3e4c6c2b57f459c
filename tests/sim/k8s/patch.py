"""The three PATCH formats: strategic merge, JSON merge (RFC 7386), JSON patch (RFC 6902).

Strategic merge follows k8s.io/apimachinery/pkg/util/strategicpatch for the
fields whose Go types carry patchStrategy/patchMergeKey tags (MERGE_KEYS): lists
of containers, env, ports, volumes... merge by key; `$patch: delete|replace`,
`$setElementOrder/`, `$deleteFromPrimitiveList/` and `$retainKeys` directives
work; every other list is replaced whole, as for an untagged Go field.
"""

import copy

import errors

# list field -> merge key, for lists whose Go field is tagged patchStrategy=merge
MERGE_KEYS = {
    "containers": "name", "initContainers": "name", "ephemeralContainers": "name",
    "volumes": "name", "env": "name", "imagePullSecrets": "name", "volumeMounts": "mountPath",
    "volumeDevices": "devicePath", "hostAliases": "ip", "conditions": "type",
    "ownerReferences": "uid", "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name", "addresses": "type", "schedulingGates": "name",
}
PRIMITIVE_MERGE = {"finalizers"}
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def merge_key(path, field, kind):
    """The merge key of list `field` at `path` (field names from the root), or None."""
    if field == "ports":
        if path and path[-1] in _CONTAINER_LISTS:
            return "containerPort"
        if kind == "Service" and path == ["spec"]:
            return "port"
        return None
    if field == "secrets":
        return "name" if kind == "ServiceAccount" and not path else None
    if field == "addresses":
        return "type" if kind == "Node" else None
    if field == "conditions" and kind in ("Event",):
        return None
    return MERGE_KEYS.get(field)


def strategic_merge(original, patch, kind):
    if not isinstance(patch, dict):
        raise errors.bad_request("json: cannot unmarshal %s into Go value of type "
                                 "map[string]interface {}" % _json_type(patch))
    out = _smp_map(original, patch, [], kind)
    return out if out is not None else {}


def _json_type(v):
    return {list: "array", str: "string", bool: "bool", type(None): "null"}.get(
        type(v), "number")


def _strip(v, path, kind):
    """A patch value placed where nothing was: directives removed."""
    if isinstance(v, dict):
        return _smp_map({}, v, path, kind)
    if isinstance(v, list):
        return [_strip(x, path, kind) for x in v if not (isinstance(x, dict) and
                                                         x.get("$patch") == "delete")]
    return v


def _smp_map(original, patch, path, kind):
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: _strip(v, path + [k], kind) for k, v in patch.items() if not k.startswith("$")}
    if directive is not None:
        raise errors.bad_request("Unknown patch type: %s in map: %s" % (directive, patch))
    result = dict(original) if isinstance(original, dict) else {}
    orders = {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/"):
            orders[k.split("/", 1)[1]] = v
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(result.get(field), list):
                result[field] = [x for x in result[field] if x not in (v or [])]
            continue
        if k == "$retainKeys":
            continue
        if v is None:
            result.pop(k, None)
        elif isinstance(v, dict):
            merged = _smp_map(result.get(k) if isinstance(result.get(k), dict) else {}, v,
                              path + [k], kind)
            if merged is None:
                result.pop(k, None)
            else:
                result[k] = merged
        elif isinstance(v, list):
            result[k] = _smp_list(result.get(k), v, path, k, kind)
        else:
            result[k] = v
    if "$retainKeys" in patch:
        keep = set(patch["$retainKeys"] or [])
        result = {k: v for k, v in result.items() if k in keep or k not in original}
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _order(result[field], order, merge_key(path, field, kind))
    return result


def _smp_list(orig, items, path, field, kind):
    key = merge_key(path, field, kind)
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in items):
        return [_strip(x, path + [field], kind) for x in items
                if not (isinstance(x, dict) and x.get("$patch") == "replace")]
    if field in PRIMITIVE_MERGE:
        out = list(orig or [])
        for x in items:
            if x not in out:
                out.append(x)
        return out
    if key is None or not all(isinstance(x, dict) for x in items):
        return [_strip(x, path + [field], kind) for x in items]
    out = [copy.copy(x) for x in (orig or [])]
    for item in items:
        if key not in item:
            raise errors.bad_request("map: %s does not contain declared merge key: %s"
                                     % (_go_map(item), key))
        idx = next((i for i, x in enumerate(out) if isinstance(x, dict) and
                    x.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                del out[idx]
            continue
        if idx is None:
            out.append(_strip(item, path + [field], kind))
        else:
            out[idx] = _smp_map(out[idx], item, path + [field], kind)
    return out


def _go_map(m):
    return "map[" + " ".join("%s:%s" % (k, m[k]) for k in sorted(m)) + "]"


def _order(items, order, key):
    """$setElementOrder: listed elements in the given order, the rest after, as they were."""
    if key:
        want = [o.get(key) if isinstance(o, dict) else o for o in order]
        ident = [x.get(key) if isinstance(x, dict) else x for x in items]
    else:
        want, ident = list(order), list(items)
    placed = []
    for w in want:
        if w in ident:
            placed.append(items[ident.index(w)])
    rest = [x for x, i in zip(items, ident) if i not in want]
    return placed + rest


# ---- JSON merge patch --------------------------------------------------------------

def merge_patch(original, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(original) if isinstance(original, dict) else {}
    for k, v in patch.items():
        if v is None:
            result.pop(k, None)
        else:
            result[k] = merge_patch(result.get(k), v)
    return result


# ---- JSON patch ----------------------------------------------------------------------

class PatchFailed(Exception):
    """A JSON patch operation did not apply (the API server answers 422)."""


def _pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchFailed("JSON pointer must be empty or start with a \"/")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _walk(doc, parts):
    cur = doc
    for p in parts:
        if isinstance(cur, dict):
            if p not in cur:
                raise PatchFailed("missing value")
            cur = cur[p]
        elif isinstance(cur, list):
            try:
                cur = cur[int(p)]
            except (ValueError, IndexError):
                raise PatchFailed("missing value")
        else:
            raise PatchFailed("missing value")
    return cur


def _add(doc, parts, value, replace=False):
    if not parts:
        return value
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchFailed("replace operation does not apply: doc is missing key")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
            return doc
        try:
            i = int(last)
        except ValueError:
            raise PatchFailed("invalid array index %s" % last)
        if replace:
            if not 0 <= i < len(parent):
                raise PatchFailed("replace operation does not apply: doc is missing key")
            parent[i] = value
        else:
            if not 0 <= i <= len(parent):
                raise PatchFailed("index out of bounds")
            parent.insert(i, value)
    else:
        raise PatchFailed("add operation does not apply: doc is missing path")
    return doc


def _remove(doc, parts):
    if not parts:
        raise PatchFailed("cannot remove the root")
    parent = _walk(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchFailed("Unable to remove nonexistent key: %s: missing value" % last)
        return parent.pop(last)
    if isinstance(parent, list):
        try:
            return parent.pop(int(last))
        except (ValueError, IndexError):
            raise PatchFailed("Unable to remove nonexistent key: %s: missing value" % last)
    raise PatchFailed("missing value")


def json_patch(original, ops):
    """Apply RFC 6902 ops; raises BadRequest for a malformed patch, PatchFailed otherwise."""
    if not isinstance(ops, list):
        raise errors.bad_request("json: cannot unmarshal %s into Go value of type "
                                 "jsonpatch.Patch" % _json_type(ops))
    for op in ops:
        if not isinstance(op, dict):
            raise errors.bad_request("json: cannot unmarshal %s into Go value of type "
                                     "jsonpatch.Operation" % _json_type(op))
    doc = copy.deepcopy(original)
    for op in ops:
        kind = op.get("op")
        parts = _pointer(op.get("path", ""))
        if kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            _remove(doc, parts)
        elif kind == "replace":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")), replace=True)
        elif kind == "move":
            value = _remove(doc, _pointer(op.get("from", "")))
            doc = _add(doc, parts, value)
        elif kind == "copy":
            value = copy.deepcopy(_walk(doc, _pointer(op.get("from", ""))))
            doc = _add(doc, parts, value)
        elif kind == "test":
            try:
                got = _walk(doc, parts)
            except PatchFailed:
                got = None
            if got != op.get("value"):
                raise PatchFailed("testing value %s failed: test failed" % op.get("path"))
        else:
            raise PatchFailed("Unexpected kind: %s" % kind)
    return doc
