"""The request and response objects handlers pass around, and content negotiation."""

import json

import apply as ssa
import errors
import protobuf
import yamlish
from store import dumps

JSON = "application/json"


class Response:
    def __init__(self, status=200, body=None, ctype=JSON, stream=None, headers=None):
        self.status = status
        self.body = body              # bytes
        self.ctype = ctype
        self.stream = stream          # iterator of bytes, sent chunked
        self.headers = headers or {}


def json_response(obj, status=200):
    return Response(status, dumps(obj))


class Request:
    def __init__(self, cl, method, path, query, headers, body, user):
        self.cl = cl
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.user = user
        self.alive = lambda: True     # server.py replaces it with a socket check

    def q(self, key, default=None):
        return self.query.get(key, default)

    def dry_run(self):
        v = self.query.get("dryRun")
        if v is None:
            return False
        if v != "All":
            raise errors.bad_request('dryRun: Unsupported value: "%s": supported values: "All"'
                                     % v)
        return True

    def manager(self):
        return ssa.manager_from(self.query.get("fieldManager"), self.headers.get("user-agent"))

    def content_type(self):
        return (self.headers.get("content-type") or JSON).split(";")[0].strip().lower()

    def decode_body(self, res=None):
        ct = self.content_type()
        if not self.body:
            raise errors.bad_request("Object 'Kind' is missing in ''")
        if ct == "application/vnd.kubernetes.protobuf":
            try:
                return protobuf.decode(self.body)
            except LookupError:
                raise errors.unsupported_media_type(ct, ["application/json", "application/yaml"])
            except (ValueError, UnicodeDecodeError) as e:
                raise errors.bad_request("error decoding protobuf: %s" % e)
        try:
            if ct in ("application/yaml", "application/apply-patch+yaml"):
                return yamlish.loads(self.body)
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as e:
            if ct in ("application/yaml", "application/apply-patch+yaml"):
                raise errors.bad_request("error decoding YAML: %s" % e)
            raise errors.bad_request("couldn't get version/kind; json parse error: %s" % e)


def wants_table(headers):
    """The Table media type when Accept names it before plain JSON."""
    for part in (headers.get("accept") or "").split(","):
        p = part.strip().replace(" ", "")
        if "as=Table" in p and "g=meta.k8s.io" in p:
            return True
        if p.startswith("application/json") or p.startswith("*/*"):
            return False
    return False


def check_accept(headers):
    accept = headers.get("accept")
    if not accept:
        return
    for part in accept.split(","):
        p = part.strip().split(";")[0]
        if p in ("application/json", "*/*", "application/*", "application/yaml"):
            return
    raise errors.not_acceptable(["application/json", "application/yaml",
                                 "application/vnd.kubernetes.protobuf"])


def live(cl, res, ns, name):
    e = cl.store.get(res, ns, name)
    if e is None:
        raise errors.not_found(res, name)
    return e
