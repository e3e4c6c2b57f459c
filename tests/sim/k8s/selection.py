"""Label and field selectors with the grammar and error texts of apimachinery.

Label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
`a>3`, `a<3`, comma-separated (AND). Field selectors: `f=v`, `f==v`, `f!=v` over a
fixed set of field labels per kind, as the registries of kube-apiserver allow.
"""

import re

from errors import bad_request

_KEY_RE = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                     r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_VALUE_RE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


class LabelSelector:
    """A parsed label selector; an empty one matches everything."""

    def __init__(self, text):
        self.text = text or ""
        self.reqs = _parse_labels(self.text)

    def empty(self):
        return not self.reqs

    def matches(self, labels):
        labels = labels or {}
        for key, op, values in self.reqs:
            has = key in labels
            val = labels.get(key)
            if op in ("=", "==", "in"):
                if not has or val not in values:
                    return False
            elif op in ("!=", "notin"):
                if has and val in values:
                    return False
            elif op == "exists":
                if not has:
                    return False
            elif op == "!":
                if has:
                    return False
            elif op in (">", "<"):
                try:
                    n = int(val)
                except (TypeError, ValueError):
                    return False
                if (op == ">" and not n > values[0]) or (op == "<" and not n < values[0]):
                    return False
        return True


def _tokens(text):
    """Split into identifiers and operators the way the labels lexer does."""
    out = []
    i = 0
    specials = "=!(),<>"
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if text.startswith("==", i) or text.startswith("!=", i):
            out.append(text[i:i + 2])
            i += 2
            continue
        if c in specials:
            out.append(c)
            i += 1
            continue
        j = i
        while j < len(text) and not text[j].isspace() and text[j] not in specials:
            j += 1
        out.append(text[i:j])
        i = j
    return out


def _fail(detail):
    raise bad_request("unable to parse requirement: %s" % detail)


def _check_key(key):
    if not _KEY_RE.match(key) or len(key) > 316:
        _fail('key: Invalid value: "%s": name part must consist of alphanumeric characters, '
              "'-', '_' or '.', and must start and end with an alphanumeric character" % key)


def _check_value(value):
    if len(value) > 63 or not _VALUE_RE.match(value):
        _fail('values[0][%s]: Invalid value: "%s": a valid label must be an empty string or '
              "consist of alphanumeric characters, '-', '_' or '.', and must start and end "
              "with an alphanumeric character" % (value, value))


def _parse_labels(text):
    toks = _tokens(text)
    reqs = []
    i = 0
    n = len(toks)

    def peek(k=0):
        return toks[i + k] if i + k < n else None

    while i < n:
        if toks[i] == "!":
            if peek(1) is None or peek(1) in ",()=!<>":
                raise bad_request("found '%s', expected: identifier" % (peek(1) or "EOF"))
            _check_key(toks[i + 1])
            reqs.append((toks[i + 1], "!", ()))
            i += 2
        else:
            key = toks[i]
            if key in ",()=!<>==!=":
                raise bad_request("found '%s', expected: !, identifier, or 'end of string'" % key)
            _check_key(key)
            op = peek(1)
            if op is None or op == ",":
                reqs.append((key, "exists", ()))
                i += 1
            elif op in ("=", "==", "!="):
                val = peek(2)
                if val is None or val == ",":
                    val = ""
                    i += 2
                else:
                    i += 3
                _check_value(val)
                reqs.append((key, op, (val,)))
            elif op in ("in", "notin"):
                if peek(2) != "(":
                    raise bad_request("found '%s', expected: '('" % (peek(2) or "EOF"))
                i += 3
                vals = []
                while True:
                    t = peek()
                    if t is None:
                        raise bad_request("found 'EOF', expected: ')'")
                    if t == ")":
                        i += 1
                        break
                    if t == ",":
                        i += 1
                        continue
                    _check_value(t)
                    vals.append(t)
                    i += 1
                reqs.append((key, op, tuple(vals)))
            elif op in (">", "<"):
                try:
                    num = int(peek(2))
                except (TypeError, ValueError):
                    _fail("for 'Gt', 'Lt' operators, the value must be an integer")
                reqs.append((key, op, (num,)))
                i += 3
            else:
                raise bad_request("found '%s', expected: in, notin, =, ==, !=, gt, lt" % op)
        if i < n:
            if toks[i] != ",":
                raise bad_request("found '%s', expected: ',' or 'end of string'" % toks[i])
            i += 1
    return reqs


# Field labels each registry accepts, beyond metadata.name and metadata.namespace.
_FIELD_LABELS = {
    ("", "Pod"): ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                  "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
                  "status.podIPs", "status.nominatedNodeName"],
    ("", "Event"): ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                    "involvedObject.uid", "involvedObject.apiVersion",
                    "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                    "reportingComponent", "source", "type"],
    ("", "Secret"): ["type"],
    ("", "Node"): ["spec.unschedulable"],
    ("", "Namespace"): ["status.phase"],
    ("apps", "ReplicaSet"): ["status.replicas"],
    ("batch", "Job"): ["status.successful"],
}


def field_value(obj, field):
    """The string a field label has on an object, as the registries' GetAttrs compute it."""
    if field == "metadata.name":
        return obj.get("metadata", {}).get("name", "")
    if field == "metadata.namespace":
        return obj.get("metadata", {}).get("namespace", "")
    if field == "source":
        return obj.get("source", {}).get("component", "")
    if field == "status.podIPs":
        ips = obj.get("status", {}).get("podIPs") or []
        return ips[0]["ip"] if ips else ""
    if field == "status.successful":
        return str(obj.get("status", {}).get("succeeded", 0))
    cur = obj
    for part in field.split("."):
        if not isinstance(cur, dict):
            cur = None
            break
        cur = cur.get(part)
    if isinstance(cur, bool):
        return "true" if cur else "false"
    if cur is None:
        if field in ("spec.unschedulable", "spec.hostNetwork"):
            return "false"
        if field == "status.replicas":
            return "0"
        return ""
    return str(cur)


class FieldSelector:
    """A parsed field selector for one resource."""

    def __init__(self, text, res):
        self.text = text or ""
        self.reqs = []
        if not self.text:
            return
        allowed = ["metadata.name", "metadata.namespace"] + _FIELD_LABELS.get(
            (res.group, res.kind), [])
        for part in _split_unescaped(self.text):
            if not part:
                continue
            for op in ("!=", "==", "="):
                if op in part:
                    field, value = part.split(op, 1)
                    break
            else:
                raise bad_request("invalid selector: '%s'; can't understand '%s'"
                                  % (self.text, part))
            field = field.strip()
            if field not in allowed:
                raise bad_request('Unable to find "%s" that match label selector "", field '
                                  'selector "%s": field label not supported: %s'
                                  % (_gvr_string(res), self.text, field))
            self.reqs.append((field, "!=" if op == "!=" else "=", _unescape(value)))

    def empty(self):
        return not self.reqs

    def exact(self, field):
        """The value this selector pins `field` to with `=`, or None."""
        for f, op, v in self.reqs:
            if f == field and op == "=":
                return v
        return None

    def matches(self, obj):
        for field, op, value in self.reqs:
            got = field_value(obj, field)
            if (got == value) != (op == "="):
                return False
        return True


def _gvr_string(res):
    return "%s/%s, Resource=%s" % (res.group, res.version, res.plural)


def _split_unescaped(text):
    parts, cur, esc = [], [], False
    for c in text:
        if esc:
            cur.append("\\" + c)
            esc = False
        elif c == "\\":
            esc = True
        elif c == ",":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    parts.append("".join(cur))
    return parts


def _unescape(value):
    return re.sub(r"\\(.)", r"\1", value)


def from_query(query, res):
    """The labelSelector and fieldSelector parameters of a request."""
    return LabelSelector(query.get("labelSelector")), FieldSelector(query.get("fieldSelector"),
                                                                    res)


def field_match(entry, fsel):
    """fsel on a store entry, using its precomputed fields when it has them (lazy pods)."""
    if fsel.empty():
        return True
    if entry.fields is not None and all(f in entry.fields for f, _, _ in fsel.reqs):
        for f, op, v in fsel.reqs:
            if (entry.fields[f] == v) != (op == "="):
                return False
        return True
    return fsel.matches(entry.obj)
