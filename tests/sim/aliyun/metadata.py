"""ECS instance metadata service (100.100.100.200 in real life), IMDSv2 style.

PUT /latest/api/token with x-aliyun-ecs-metadata-token-ttl-seconds (1..21600) returns a token;
every GET must carry it in x-aliyun-ecs-metadata-token unless the simulator runs with --imds-v1
(token optional, as on an instance that has not enforced hardened mode). Missing, unknown or
expired tokens get 401; a bad TTL gets 400. Credentials come from the node RAM role and are
reissued once less than half their lifetime is left, so short --sts-lifetime values rotate them.
"""

import json
import secrets
import threading

import errors
from accounts import iso_z
from common import ok

TOKEN_HEADER = "x-aliyun-ecs-metadata-token"
TTL_HEADER = "x-aliyun-ecs-metadata-token-ttl-seconds"


class Metadata:
    def __init__(self, app, role_name, allow_v1=False):
        self.app = app
        self.role_name = role_name
        self.allow_v1 = allow_v1
        self.lock = threading.Lock()
        self.tokens = {}
        self.current = None
        self.instance_id = "i-bp1" + secrets.token_hex(9)[:17]

    def route(self, method, path):
        """Action name for the request log."""
        if path == "/latest/api/token":
            return "PutToken"
        if path.startswith("/latest/meta-data/ram/security-credentials"):
            rest = path[len("/latest/meta-data/ram/security-credentials"):].strip("/")
            return "GetRoleCredentials" if rest else "ListRoles"
        return "GetMetadata"

    def handle(self, call):
        req = call.req
        path = req.path
        clock = self.app.clock
        if path == "/latest/api/token":
            if req.method != "PUT":
                raise errors.ApiError(405, "MethodNotAllowed", "Method Not Allowed", family="imds")
            raw = req.headers.get(TTL_HEADER)
            try:
                ttl = int(raw)
            except (TypeError, ValueError):
                ttl = 0
            if not 1 <= ttl <= 21600:
                raise errors.ApiError(400, "BadRequest", f"Bad Request: {TTL_HEADER} must be 1..21600",
                                      family="imds")
            token = secrets.token_urlsafe(42)
            with self.lock:
                self.tokens[token] = clock.now() + ttl
            return ok(token, content_type="text/plain", **{"x_aliyun_ecs_metadata_token_ttl_seconds": str(ttl)})
        if req.method != "GET":
            raise errors.ApiError(405, "MethodNotAllowed", "Method Not Allowed", family="imds")
        token = req.headers.get(TOKEN_HEADER)
        if token is None:
            if not self.allow_v1:
                raise errors.ApiError(401, "Unauthorized", "Unauthorized: a metadata token is required (IMDSv2)",
                                      family="imds")
        else:
            with self.lock:
                exp = self.tokens.get(token)
            if exp is None or clock.now() >= exp:
                raise errors.ApiError(401, "Unauthorized", "Unauthorized: the metadata token is invalid or expired",
                                      family="imds")
        return self._get(path)

    def _get(self, path):
        if path in ("/latest/meta-data", "/latest/meta-data/"):
            return ok("instance-id\nregion-id\nzone-id\nram/\n", content_type="text/plain")
        if path == "/latest/meta-data/instance-id":
            return ok(self.instance_id, content_type="text/plain")
        if path == "/latest/meta-data/region-id":
            return ok("cn-hangzhou", content_type="text/plain")
        if path == "/latest/meta-data/zone-id":
            return ok("cn-hangzhou-k", content_type="text/plain")
        prefix = "/latest/meta-data/ram/security-credentials"
        if path.startswith(prefix):
            rest = path[len(prefix):].strip("/")
            if not rest:
                return ok(self.role_name, content_type="text/plain")
            if rest != self.role_name:
                raise errors.ApiError(404, "NotFound", "Not Found", family="imds")
            cred = self._credential()
            body = {"AccessKeyId": cred.access_key_id, "AccessKeySecret": cred.secret,
                    "Expiration": iso_z(cred.expires_at), "SecurityToken": cred.token,
                    "LastUpdated": iso_z(cred.issued_at), "Code": "Success"}
            return ok(json.dumps(body, indent=2), content_type="text/plain")
        raise errors.ApiError(404, "NotFound", "Not Found", family="imds")

    def _credential(self):
        store = self.app.store
        now = self.app.clock.now()
        with self.lock:
            c = self.current
            if c is None or store.expired(c) or (c.expires_at - now) < (c.expires_at - c.issued_at) / 2:
                role = store.roles[self.role_name]
                c = store.issue(role, "ecs-" + self.instance_id, 21600, "metadata")
                self.current = c
            return c
