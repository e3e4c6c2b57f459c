"""What product handlers share: the per-request Call, the Response, and parameter parsing."""

import json
from dataclasses import dataclass, field

import errors


@dataclass
class Response:
    status: int = 200
    body: object = None            # dict/list -> JSON; str/bytes sent as is
    headers: dict = field(default_factory=dict)
    drop: bool = False             # close the socket without answering
    reset: bool = False            # ... with a TCP RST


def ok(body, status=200, **headers):
    return Response(status, body, {k.replace("_", "-"): v for k, v in headers.items()})


class Call:
    """One request as a product handler sees it."""

    def __init__(self, app, req, host, product, action, route_args=None, params=None):
        self.app = app
        self.req = req
        self.host = host
        self.product = product
        self.action = action
        self.args = route_args or {}
        self.params = params if params is not None else dict(req.query)
        self.principal = None
        self.credential = None
        self.request_id = None
        self._json = None

    @property
    def world(self):
        return self.app.world

    def param(self, name, default=None):
        v = self.params.get(name)
        return default if v is None else v

    def require(self, name):
        v = self.params.get(name)
        if v is None or v == "":
            raise errors.missing_parameter(name)
        return v

    def int_param(self, name, default=None, lo=None, hi=None, err=None):
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        try:
            v = int(raw)
        except ValueError:
            raise (err or errors.invalid_parameter)(name, f"{raw!r} is not an integer.")
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            raise (err or errors.invalid_parameter)(name, f"{v} is outside [{lo}, {hi}].")
        return v

    def bool_param(self, name, default=False, err=None):
        raw = self.params.get(name)
        if raw is None or raw == "":
            return default
        if raw.lower() in ("true", "1"):
            return True
        if raw.lower() in ("false", "0"):
            return False
        raise (err or errors.invalid_parameter)(name, f"{raw!r} is not a boolean.")

    def json_body(self, err):
        """Decoded JSON body (dict); err(detail) builds the product's error."""
        if self._json is None:
            if not self.req.body:
                self._json = {}
            else:
                try:
                    self._json = json.loads(self.req.body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError) as e:
                    raise err(f"The request body is not valid JSON: {e}")
                if not isinstance(self._json, dict):
                    raise err("The request body must be a JSON object.")
        return self._json


def cs_param_error(name, detail=""):
    return errors.cs(400, "InvalidParameter", f"The parameter {name} is invalid. {detail}".strip())
