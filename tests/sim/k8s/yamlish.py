"""A small YAML reader for request bodies (apply-patch+yaml, application/yaml).

kubectl sends JSON even for apply patches, and JSON is YAML, so JSON is tried
first. Other clients may send block YAML as people write manifests: mappings,
sequences, plain/quoted scalars, `|`/`>` blocks, comments, flow collections
written as JSON. Anchors, tags and multi-document streams are not supported and
give the same 400 "error decoding YAML" a real server gives for bad YAML.
"""

import json
import re

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


class YAMLError(ValueError):
    pass


def loads(text):
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    stripped = text.strip()
    if stripped.startswith("{") or stripped.startswith("["):
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    lines = []
    for n, raw in enumerate(text.split("\n"), 1):
        if raw.strip() in ("---", "...") and not lines:
            continue
        if raw.strip() == "---":
            raise YAMLError("line %d: multiple documents are not supported" % n)
        if "\t" in raw[:len(raw) - len(raw.lstrip())]:
            raise YAMLError("line %d: found character that cannot start any token" % n)
        lines.append((n, raw))
    p = _Parser(lines)
    value = p.block(0)
    p.skip_blank()
    if p.i < len(p.lines):
        n, raw = p.lines[p.i]
        raise YAMLError("line %d: did not find expected key" % n)
    return value


def _strip_comment(s):
    out, q = [], None
    for i, c in enumerate(s):
        if q:
            if c == q:
                q = None
        elif c in "'\"":
            q = c
        elif c == "#" and (i == 0 or s[i - 1] in " \t"):
            break
        out.append(c)
    return "".join(out).rstrip()


def scalar(s, n=0):
    s = s.strip()
    if s == "" or s in ("~", "null", "Null", "NULL"):
        return None
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if s[0] in "{[":
        try:
            return json.loads(s)
        except ValueError:
            raise YAMLError("line %d: flow collections must be JSON here" % n)
    if s[0] == '"':
        try:
            return json.loads(s)
        except ValueError:
            raise YAMLError("line %d: found unexpected end of stream" % n)
    if s[0] == "'":
        if len(s) < 2 or s[-1] != "'":
            raise YAMLError("line %d: found unexpected end of stream" % n)
        return s[1:-1].replace("''", "'")
    if _INT.match(s):
        return int(s)
    if _FLOAT.match(s):
        return float(s)
    return s


def _split_key(text, n):
    """'key: value' -> (key, value); None when the line is not a mapping entry."""
    q = None
    for i, c in enumerate(text):
        if q:
            if c == q:
                q = None
            continue
        if c in "'\"" and i == 0:
            q = c
            continue
        if c == ":" and (i + 1 == len(text) or text[i + 1] == " "):
            key = text[:i].strip()
            if key[:1] in "'\"":
                key = scalar(key, n)
            return key, text[i + 1:].strip()
    return None


class _Parser:
    def __init__(self, lines):
        self.lines = lines
        self.i = 0

    def skip_blank(self):
        while self.i < len(self.lines) and not _strip_comment(self.lines[self.i][1]).strip():
            self.i += 1

    def indent_of(self):
        n, raw = self.lines[self.i]
        return len(raw) - len(raw.lstrip(" "))

    def block(self, min_indent):
        self.skip_blank()
        if self.i >= len(self.lines):
            return None
        ind = self.indent_of()
        if ind < min_indent:
            return None
        text = _strip_comment(self.lines[self.i][1]).strip()
        if text == "-" or text.startswith("- "):
            return self.seq(ind)
        return self.map(ind)

    def seq(self, ind):
        out = []
        while True:
            self.skip_blank()
            if self.i >= len(self.lines) or self.indent_of() != ind:
                break
            n, raw = self.lines[self.i]
            text = _strip_comment(raw).strip()
            if not (text == "-" or text.startswith("- ")):
                break
            rest = text[1:].strip()
            if not rest:
                self.i += 1
                out.append(self.block(ind + 1))
                continue
            if _split_key(rest, n) is not None and not rest.startswith(("'", '"', "{", "[")):
                # "- key: value" starts a mapping indented at the dash's content
                inner = ind + len(raw[ind:]) - len(raw[ind + 1:].lstrip(" "))
                self.lines[self.i] = (n, " " * inner + rest)
                out.append(self.map(inner))
                continue
            self.i += 1
            out.append(self.value(rest, n, ind))
        return out

    def map(self, ind):
        out = {}
        while True:
            self.skip_blank()
            if self.i >= len(self.lines) or self.indent_of() != ind:
                if self.i < len(self.lines) and self.indent_of() > ind:
                    n, _ = self.lines[self.i]
                    raise YAMLError("line %d: mapping values are not allowed in this context"
                                    % n)
                break
            n, raw = self.lines[self.i]
            text = _strip_comment(raw).strip()
            if text.startswith("- "):
                break
            kv = _split_key(text, n)
            if kv is None:
                raise YAMLError("line %d: could not find expected ':'" % n)
            key, rest = kv
            self.i += 1
            if key in out:
                raise YAMLError('line %d: key "%s" already set in map' % (n, key))
            if rest:
                out[key] = self.value(rest, n, ind)
            else:
                self.skip_blank()
                if self.i < len(self.lines) and (self.indent_of() > ind or (
                        self.indent_of() == ind and
                        _strip_comment(self.lines[self.i][1]).strip().startswith("-"))):
                    out[key] = self.block(ind if self.indent_of() == ind else ind + 1)
                else:
                    out[key] = None
        return out

    def value(self, rest, n, ind):
        if rest in ("|", "|-", ">", ">-", "|+", ">+"):
            return self.literal(rest, ind)
        return scalar(rest, n)

    def literal(self, style, ind):
        lines = []
        block_ind = None
        while self.i < len(self.lines):
            n, raw = self.lines[self.i]
            if raw.strip() == "":
                lines.append("")
                self.i += 1
                continue
            cur = len(raw) - len(raw.lstrip(" "))
            if cur <= ind:
                break
            if block_ind is None:
                block_ind = cur
            lines.append(raw[block_ind:])
            self.i += 1
        while lines and lines[-1] == "":
            lines.pop()
        if style.startswith(">"):
            text = " ".join(lines)
        else:
            text = "\n".join(lines)
        if not style.endswith("-"):
            text += "\n"
        return text
