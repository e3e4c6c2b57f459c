#!/usr/bin/env python3
"""Alibaba Cloud API simulator for ack-mcp-server tests (Python 3 standard library only).

One process, one port (plus a plain-HTTP port when --tls is on), listening on 127.0.0.1 only.
Every product is served on that port and told apart by the request itself:

  /_sim/...                      control endpoints (tests only; no authentication)
  /latest/...                    ECS metadata service (IMDSv2)
  /api/v1/prometheus/...         ARMS Prometheus HTTP API of an instance
  LOG / SLS4 Authorization, x-log-* headers, /logstores..., /ml/tool/call   -> SLS
  any other path but /           CS (ROA): /api/v1/clusters, /clusters/..., /k8s/..., /tasks/...
  /                              RPC-style: x-acs-version or Version= picks STS (2015-04-01),
                                 ARMS (2019-08-08) or CMS (2019-01-01); x-acs-action/Action the API

Start: python3 tests/sim/aliyun/server.py --port 0 --state-dir DIR [options]
It prints one JSON line on stdout when ready (also written to DIR/ready.json). See README.md.
"""

import argparse
import base64
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import traceback
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import accounts  # noqa: E402
import arms  # noqa: E402
import cms  # noqa: E402
import cs  # noqa: E402
import errors  # noqa: E402
import faults  # noqa: E402
import metadata  # noqa: E402
import signing  # noqa: E402
import sls  # noqa: E402
import state  # noqa: E402
import sts  # noqa: E402
from common import Call, Response  # noqa: E402

VERSIONS = {cs.VERSION: "cs", sts.VERSION: "sts", arms.VERSION: "arms", cms.VERSION: "cms"}
RPC_MODULES = {"sts": sts, "arms": arms, "cms": cms}
SECRET_PARAMS = {"Signature", "SecurityToken", "OIDCToken", "AccessKeySecret"}
OIDC_PROVIDER = f"acs:ram::{accounts.ACCOUNT_ID}:oidc-provider/ack-rrsa-{state.CLUSTER_PROD}"
OIDC_ISSUER = f"https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/{state.CLUSTER_PROD}"
ECS_ROLE = "ack-mcp-node-role"


def now_iso_ms():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class RequestLog:
    def __init__(self, path=None):
        self.lock = threading.Lock()
        self.entries = []
        self.seq = 0
        self.path = path

    def add(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.entries.append(entry)
            if len(self.entries) > 20000:
                del self.entries[:5000]
            if self.path:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def query(self, filters):
        with self.lock:
            out = list(self.entries)
        since = int(filters.get("since") or 0)
        out = [e for e in out if e["seq"] > since]
        for key in ("product", "action", "scheme", "method", "class"):
            if filters.get(key):
                out = [e for e in out if str(e.get(key)) == filters[key]]
        return out

    def clear(self):
        with self.lock:
            self.entries = []


class Classified:
    def __init__(self, product, action=None, klass="read", args=None, params=None, rpc_style=False, extra=None):
        self.product, self.action, self.klass = product, action, klass
        self.args, self.params, self.rpc_style = args or {}, params, rpc_style
        self.extra = extra or {}


class App:
    def __init__(self, cfg):
        self.cfg = cfg
        self.clock = state.Clock()
        self.faults = faults.FaultSet()
        for spec in cfg.fault or []:
            self.faults.add(faults.parse_spec(spec))
        self.store = accounts.CredentialStore(self.clock, cfg.sts_lifetime)
        for spec in cfg.access_key or []:
            parts = spec.split(":")
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in (accounts.FULL, accounts.READONLY)):
                raise SystemExit(f"--access-key {spec!r}: expected ID:SECRET[:full|readonly]")
            self.store.add_permanent(parts[0], parts[1], parts[2] if len(parts) == 3 else accounts.FULL,
                                     "extra-" + parts[0][-6:])
        self.nonces = accounts.NonceCache(cfg.max_skew)
        self.auth = accounts.Authenticator(self.store, self.nonces, cfg.max_skew)
        self.world = state.World(self.clock, self.faults, cfg.task_duration, cfg.diagnosis_duration,
                                 cfg.inspect_duration, k8s=cfg.k8s)
        self.logs = sls.Logs(self.world)
        self.oidc = sts.OIDC(self.clock, cfg.state_dir, OIDC_PROVIDER, OIDC_ISSUER, cfg.oidc_token_lifetime)
        self.metadata = metadata.Metadata(self, ECS_ROLE, allow_v1=cfg.imds_v1)
        self.log = RequestLog(os.path.join(cfg.state_dir, "requests.jsonl"))
        self.public_url = "http://127.0.0.1"
        self.info = {}

    # ------------------------------------------------------------------ routing

    def classify(self, req, host):
        path, h = req.path, req.headers
        if path.startswith("/latest/"):
            return Classified("metadata", self.metadata.route(req.method, path))
        if path.startswith(arms.PROM_PREFIX):
            r = arms.prom_route(path)
            if r is None:
                raise errors.ApiError(404, "not_found", f"unknown Prometheus API path {path}", family="prom")
            return Classified("prometheus", arms.PROM_OPS[r[2]], extra={"cid": r[0], "region": r[1], "op": r[2],
                                                                        "label": r[3]})
        auth = h.get("authorization") or ""
        if (auth.startswith("LOG ") or auth.startswith("SLS4-HMAC-SHA256") or any(k.startswith("x-log-") for k in h)
                or path.startswith("/logstores") or path.startswith("/ml/")):
            project, region = sls.split_host(host)
            r = sls.route(req.method, path)
            if r is None:
                raise errors.sls(404, "ParameterInvalid", f"no SLS API at {req.method} {path}")
            action, store = r
            if action == "GetLogs" and dict(req.query).get("type") != "log":
                action = "GetLogStore"
            return Classified("sls", action, extra={"logstore": store, "project": project, "region": region})
        if path not in ("/", ""):
            r = cs.route(req.method, path)
            if r is None:
                raise _with_product(errors.api_not_found(req.method, path), "cs")
            action, klass, args = r
            return Classified("cs", action, klass, args)
        params = dict(signing.rpc_params(req))
        version = h.get("x-acs-version") or params.get("Version")
        action = h.get("x-acs-action") or params.get("Action")
        if not action:
            raise _with_product(errors.missing_parameter("Action"), "sts")
        if not version:
            raise _with_product(errors.missing_parameter("Version"), "sts")
        product = VERSIONS.get(version)
        if product is None:
            raise _with_product(errors.invalid_version(version), "sts")
        if product == "cs" or action not in RPC_MODULES[product].ACTIONS:
            raise _with_product(errors.api_not_found(req.method, f"/?Action={action}&Version={version}"), product)
        return Classified(product, action, RPC_MODULES[product].ACTIONS[action], params=params, rpc_style=True)

    # ------------------------------------------------------------------ one request

    def handle(self, req, host, client):
        t0 = time.time()
        if req.path.startswith("/_sim/") or req.path == "/_sim":
            return self.control(req)
        self.world.tick()
        entry = {"time": now_iso_ms(), "client": client, "method": req.method, "path": req.path,
                 "query": _sanitize(req.query), "host": host, "body_bytes": len(req.body or b"")}
        cls, class_error = None, None
        try:
            cls = self.classify(req, host)
        except errors.ApiError as e:
            class_error = e
            cls = Classified(getattr(e, "product", None) or errors_product(e))
        product = cls.product
        call = Call(self, req, host, product, cls.action, cls.args, cls.params)
        call.request_id = errors.sls_request_id() if product == "sls" else errors.pop_request_id()
        call.klass = cls.klass
        entry.update(product=product, action=cls.action, **{"class": cls.klass}, request_id=call.request_id)
        if cls.rpc_style:
            entry["query"] = _sanitize(signing.rpc_params(req))
        sent_action = req.headers.get("x-acs-action")
        if product == "cs" and cls.action and sent_action is not None and sent_action != cls.action:
            entry["action_header"] = sent_action      # the gateway routes CS by path; the header disagrees

        result = None
        if class_error is None:
            result = self.authenticate(call, cls)
            entry.update(scheme=result.scheme, access_key_id=accounts.mask(result.access_key_id),
                         security_token=bool(result.verification and result.verification.security_token),
                         verified=result.verified, nonce=result.info.get("nonce"), date=result.info.get("date"),
                         auth_error=result.error.code if result.error else None,
                         principal=result.principal.arn if result.principal else None)
            if result.error and result.error.code in ("SignatureDoesNotMatch", "SignatureNotMatch"):
                v = result.verification
                entry["expected_string_to_sign"] = v.string_to_sign
                if v.canonical_request:
                    entry["expected_canonical_request"] = v.canonical_request
        else:
            entry.update(scheme=_scheme(req), verified=False, access_key_id=None, security_token=False,
                         auth_error=None)

        resp = None
        latency, rule = self.faults.match(product, cls.action, req.method) if product else (None, None)
        if latency:
            entry["latency_ms"] = int(latency.get("delay_ms", 1000))
            time.sleep(entry["latency_ms"] / 1000.0)
        if rule:
            entry["fault"] = rule["kind"]
            entry["fault_id"] = rule["id"]
            if rule["kind"] == "drop":
                resp = Response(drop=True, reset=bool(rule.get("reset")))
            elif rule["kind"] == "sls_incomplete":
                call.sls_incomplete = True
            else:
                resp = self.render_error(call, faults.error_for(rule, product, req.method))
        if resp is None:
            if class_error is not None:
                resp = self.render_error(call, class_error)
            elif result.error is not None:
                resp = self.render_error(call, result.error)
            else:
                call.principal, call.credential = result.principal, result.credential
                resp = self.dispatch(call, cls)
        entry["status"] = "dropped" if resp.drop else resp.status
        entry["error_code"] = getattr(resp, "error_code", None)
        entry["duration_ms"] = int((time.time() - t0) * 1000)
        self.log.add(entry)
        return resp

    def authenticate(self, call, cls):
        req = call.req
        if cls.product == "metadata":
            token = req.headers.get(metadata.TOKEN_HEADER)
            return accounts.AuthResult(scheme="imds-token" if token else "none", verified=True)
        if cls.product == "prometheus":
            auth = req.headers.get("authorization") or ""
            return accounts.AuthResult(scheme=auth.split(" ")[0].lower() if auth else "none",
                                       verified=False)
        if cls.product == "sls":
            return self.auth.authenticate_sls(req)
        if cls.action == "AssumeRoleWithOIDC" and signing.detect_scheme(req) == signing.ANONYMOUS:
            return accounts.AuthResult(scheme=signing.ANONYMOUS, verified=False)
        return self.auth.authenticate_pop(req, cls.rpc_style)

    def dispatch(self, call, cls):
        try:
            if cls.product == "metadata":
                return self.finish(call, self.metadata.handle(call))
            if cls.product == "prometheus":
                cluster = self.world.clusters.get(cls.extra["cid"])
                if cluster is None or not cluster["_prometheus"] or cluster["region_id"] != cls.extra["region"]:
                    raise errors.ApiError(404, "not_found", "no such Prometheus instance", family="prom")
                arms.prom_auth(call, cluster)
                return self.finish(call, arms.handle_prom(call, cls.extra["cid"], cls.extra["op"], cls.extra["label"]))
            if cls.product == "sls":
                return self.finish(call, sls.handle(call, self.logs, cls.extra["logstore"], cls.extra["region"],
                                                    cls.extra["project"]))
            if cls.klass != "read" and call.principal.profile != accounts.FULL:
                raise errors.forbidden_ram(f"{cls.product}:{cls.action}")
            if cls.action == "AssumeRoleWithOIDC":
                self.check_oidc_timestamp(call)
            module = cs if cls.product == "cs" else RPC_MODULES[cls.product]
            return self.finish(call, module.handle(call))
        except errors.ApiError as e:
            return self.render_error(call, e)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return self.render_error(call, errors.internal_error())

    def check_oidc_timestamp(self, call):
        if call.principal is not None:
            return
        raw = dict(signing.rpc_params(call.req)).get("Timestamp")
        if not raw:
            raise errors.missing_parameter("Timestamp")
        when = accounts.parse_iso_z(raw)
        if when is None:
            raise errors.timestamp_format(raw)
        if abs(time.time() - when) > self.cfg.max_skew:
            raise errors.timestamp_expired(raw)

    def finish(self, call, resp):
        body = resp.body
        headers = {k.lower(): v for k, v in resp.headers.items()}
        if isinstance(body, (dict, list)) or body is None:
            body = json.dumps(body if body is not None else {}, separators=(",", ":"), ensure_ascii=False)
            headers.setdefault("content-type", "application/json;charset=utf-8")
        if isinstance(body, str):
            body = body.encode("utf-8")
            headers.setdefault("content-type", "text/plain;charset=utf-8")
        if call.product == "sls":
            headers["x-log-requestid"] = call.request_id
        elif call.product in ("cs", "sts", "arms", "cms"):
            headers["x-acs-request-id"] = call.request_id
        return Response(resp.status, body, headers)

    def render_error(self, call, err):
        status, headers, body = errors.render(err, call.product, (call.host or "").split(":")[0], call.request_id)
        r = Response(status, body, headers)
        r.error_code = err.code
        return r

    # ------------------------------------------------------------------ control endpoints

    def control(self, req):
        path = req.path.rstrip("/")
        q = dict(req.query)
        try:
            body = json.loads(req.body.decode("utf-8")) if req.body else {}
        except ValueError as e:
            return _json(400, {"error": f"invalid JSON: {e}"})
        m = req.method
        try:
            if path == "/_sim/health":
                return _json(200, {"ok": True})
            if path == "/_sim/info":
                return _json(200, self.info)
            if path == "/_sim/requests":
                if m == "DELETE":
                    self.log.clear()
                    return _json(200, {"cleared": True})
                return _json(200, {"requests": self.log.query(q)})
            if path == "/_sim/faults":
                if m == "DELETE":
                    self.faults.clear()
                    return _json(200, {"cleared": True})
                if m == "POST":
                    specs = body if isinstance(body, list) else [body]
                    added = [self.faults.add(s) for s in specs]
                    return _json(200, {"added": added})
                return _json(200, self.faults.list())
            if path == "/_sim/clock":
                if m == "POST":
                    self.clock.advance(float(body.get("advance", 0)))
                    self.world.tick()
                return _json(200, {"now": state.iso_z(self.clock.now()), "offset": self.clock.offset})
            if path == "/_sim/config" and m == "POST":
                return _json(200, self.configure(body))
            if path == "/_sim/credentials/expire" and m == "POST":
                return _json(200, {"expired": self.store.expire_all()})
            if path == "/_sim/oidc/rotate" and m == "POST":
                token, claims = self.oidc.rotate(body.get("lifetime"))
                return _json(200, {"path": self.oidc.path, "expires": state.iso_z(claims["exp"])})
            if path == "/_sim/state":
                self.world.tick()
                return _json(200, self.snapshot())
            if path.startswith("/_sim/tasks/") and m == "POST":
                op = {"failed": "fail", "fail": "fail", "success": "succeed", "succeed": "succeed",
                      "canceled": "cancel"}.get(body.get("state"))
                if op is None:
                    return _json(400, {"error": 'state must be "failed" or "success"'})
                self.world.control_task(path.rsplit("/", 1)[1], op)
                return _json(200, {"ok": True})
            if path == "/_sim/reset" and m == "POST":
                self.reset()
                return _json(200, {"ok": True})
        except (ValueError, TypeError) as e:
            return _json(400, {"error": str(e)})
        except errors.ApiError as e:
            return _json(e.status, {"error": e.message, "code": e.code})
        return _json(404, {"error": f"no control endpoint {m} {path}"})

    def configure(self, body):
        known = {"sts_lifetime", "task_duration", "diagnosis_duration", "inspect_duration", "max_skew", "imds_v1"}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        if "sts_lifetime" in body:
            self.store.sts_lifetime = None if body["sts_lifetime"] is None else float(body["sts_lifetime"])
        for key in ("task_duration", "diagnosis_duration", "inspect_duration"):
            if key in body:
                setattr(self.world, key, float(body[key]))
        if "max_skew" in body:
            self.auth.max_skew = self.cfg.max_skew = float(body["max_skew"])
        if "imds_v1" in body:
            self.metadata.allow_v1 = bool(body["imds_v1"])
        return {"sts_lifetime": self.store.sts_lifetime, "task_duration": self.world.task_duration,
                "diagnosis_duration": self.world.diagnosis_duration, "inspect_duration": self.world.inspect_duration,
                "max_skew": self.auth.max_skew, "imds_v1": self.metadata.allow_v1}

    def snapshot(self):
        w = self.world
        with w.lock:
            clusters = []
            for cid, c in w.clusters.items():
                pools = []
                for npid, p in w.nodepools[cid].items():
                    pools.append({"nodepool_id": npid, "name": p["nodepool_info"]["name"],
                                  "desired_size": p["scaling_group"]["desired_size"], "status": dict(p["status"]),
                                  "nodes": [{"instance_id": n["instance_id"], "node_name": n["node_name"],
                                             "state": n["state"]} for n in w.nodes[cid] if n["nodepool_id"] == npid]})
                clusters.append({"cluster_id": cid, "name": c["name"], "state": c["state"], "region_id": c["region_id"],
                                 "nodepools": pools})
            now = w.clock.now()
            tasks = [{"task_id": t.task_id, "cluster_id": t.cluster_id, "task_type": t.task_type,
                      "state": t.state(now)} for t in w.tasks.values()]
            return {"now": state.iso_z(now), "clusters": clusters, "tasks": tasks,
                    "diagnoses": len(w.diagnoses), "kubeconfigs_issued": w.kubeconfigs_issued}

    def reset(self):
        self.clock.offset = 0.0
        self.world.reset()
        self.logs.build(self.world)
        self.faults.clear()
        self.log.clear()
        self.nonces.clear()
        with self.store.lock:
            self.store.creds = {k: c for k, c in self.store.creds.items() if c.kind == "permanent"}


def _with_product(err, product):
    err.product = product
    return err


def errors_product(err):
    return {"sls": "sls", "prom": "prometheus", "imds": "metadata"}.get(err.family, "cs")


def _scheme(req):
    try:
        return signing.detect_scheme(req)
    except Exception:
        return "malformed"


def _sanitize(pairs):
    out = []
    for k, v in pairs:
        if k in SECRET_PARAMS:
            v = "<redacted>"
        elif k == "AccessKeyId":
            v = accounts.mask(v)
        out.append([k, v])
    return out


def _json(status, obj):
    return Response(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"),
                    {"content-type": "application/json;charset=utf-8"})


# ====================================================================== HTTP

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aliyun-sim/1.0"
    sys_version = ""
    app = None
    verbose = False

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle plus delayed ACK
        # hold every answer on a reused connection for ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if isinstance(self.connection, ssl.SSLSocket):
            self.connection.settimeout(10)
            self.connection.do_handshake()
            self.connection.settimeout(None)

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("aliyun-sim: %s %s\n" % (self.address_string(), fmt % args))

    def _body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _serve(self):
        target = self.path
        if target.startswith("http://") or target.startswith("https://"):
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        raw_path, _, raw_query = target.partition("?")
        headers = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = headers[key] + "," + value if key in headers else value
        try:
            body = self._body()
        except (ValueError, OSError):
            self.send_error(400, "bad body")
            return
        req = signing.WireRequest(self.command, raw_path, signing.parse_query(raw_query), headers, body)
        client = "%s:%s" % self.client_address[:2]
        try:
            resp = self.app.handle(req, headers.get("host", ""), client)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            resp = Response(500, b'{"Code":"InternalError","Message":"simulator bug"}',
                            {"content-type": "application/json"})
        if resp.drop:
            self.close_connection = True
            if resp.reset:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        body = resp.body if isinstance(resp.body, bytes) else (resp.body or b"")
        self.send_response(resp.status)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _serve


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        """Clients that fail the TLS handshake or hang up are normal in tests; anything else
        is a simulator bug and gets its traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, socket.timeout)):
            return
        super().handle_error(request, client_address)


# ====================================================================== start-up

def make_tls(state_dir):
    """A throwaway CA and a server certificate for 127.0.0.1/localhost, made with openssl(1)."""
    ca_key, ca = os.path.join(state_dir, "ca.key"), os.path.join(state_dir, "ca.pem")
    key, csr, crt = (os.path.join(state_dir, n) for n in ("server.key", "server.csr", "server.pem"))
    ext = os.path.join(state_dir, "server.ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:*.localhost\n"
                "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, stdout=subprocess.DEVNULL,  # noqa: E731
                                    stderr=subprocess.PIPE)
    try:
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", ca_key, "-out", ca, "-days", "3", "-subj", "/CN=aliyun-sim test CA",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key,
            "-out", csr, "-subj", "/CN=127.0.0.1")
        run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
            "-days", "3", "-extfile", ext)
    except FileNotFoundError:
        raise SystemExit("--tls needs the openssl command to create the test CA")
    except subprocess.CalledProcessError as e:
        raise SystemExit("openssl failed: " + e.stderr.decode("utf-8", "replace"))
    return ca, crt, key


def read_b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode("ascii")


def parse_args(argv):
    p = argparse.ArgumentParser(description="Alibaba Cloud API simulator (CS, STS, ARMS, SLS, CMS, ECS metadata)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    p.add_argument("--state-dir", required=True, help="directory for ready.json, the OIDC token, TLS files, logs")
    p.add_argument("--tls", action="store_true", help="serve HTTPS with a CA written to the state dir "
                                                      "(a second, plain-HTTP port serves the metadata service)")
    p.add_argument("--http-port", type=int, default=0, help="with --tls: port of the plain-HTTP listener")
    p.add_argument("--k8s-server", help="Kubernetes API URL put in kubeconfigs and master_url (public endpoint)")
    p.add_argument("--k8s-private-server", help="URL for PrivateIpAddress=true kubeconfigs (default: --k8s-server)")
    p.add_argument("--k8s-ca", help="PEM file: certificate-authority-data of issued kubeconfigs")
    p.add_argument("--k8s-token", help="bearer token put in issued kubeconfigs")
    p.add_argument("--k8s-client-cert", help="PEM client certificate put in issued kubeconfigs")
    p.add_argument("--k8s-client-key", help="PEM client key put in issued kubeconfigs")
    p.add_argument("--k8s-insecure", action="store_true", help="kubeconfigs say insecure-skip-tls-verify")
    p.add_argument("--sts-lifetime", type=float, help="lifetime in seconds of every STS credential issued "
                                                      "(overrides DurationSeconds; e.g. 3 to test expiry)")
    p.add_argument("--oidc-token-lifetime", type=int, default=3600, help="lifetime of the OIDC token file")
    p.add_argument("--task-duration", type=float, default=5.0, help="seconds a CS task runs before finishing")
    p.add_argument("--diagnosis-duration", type=float, default=4.0, help="seconds a diagnosis runs")
    p.add_argument("--inspect-duration", type=float, default=4.0, help="seconds an inspection runs")
    p.add_argument("--max-skew", type=float, default=900, help="accepted signing-time skew in seconds")
    p.add_argument("--imds-v1", action="store_true", help="metadata service also answers without a token")
    p.add_argument("--fault", action="append", help="fault rule, JSON or KIND[:PRODUCT[:COUNT]] (repeatable)")
    p.add_argument("--access-key", action="append", help="extra key ID:SECRET[:full|readonly] (repeatable)")
    p.add_argument("--exit-on-stdin-eof", action="store_true", help="exit when stdin closes (parent died)")
    p.add_argument("--verbose", action="store_true", help="log every HTTP request to stderr")
    return p.parse_args(argv)


def main(argv=None):
    cfg = parse_args(argv)
    os.makedirs(cfg.state_dir, exist_ok=True)
    k8s = {"server": cfg.k8s_server, "private_server": cfg.k8s_private_server or cfg.k8s_server,
           "token": cfg.k8s_token, "insecure": cfg.k8s_insecure}
    if cfg.k8s_ca:
        k8s["ca_data"] = read_b64(cfg.k8s_ca)
    if cfg.k8s_client_cert and cfg.k8s_client_key:
        k8s["cert_data"], k8s["key_data"] = read_b64(cfg.k8s_client_cert), read_b64(cfg.k8s_client_key)
    cfg.k8s = k8s
    try:
        app = App(cfg)
    except ValueError as e:
        raise SystemExit(f"aliyun-sim: {e}")
    Handler.app, Handler.verbose = app, cfg.verbose

    servers = []
    main_srv = Server(("127.0.0.1", cfg.port), Handler)
    servers.append(main_srv)
    port = main_srv.server_address[1]
    ca_file, http_url = None, None
    if cfg.tls:
        ca_file, crt, key = make_tls(cfg.state_dir)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        main_srv.socket = ctx.wrap_socket(main_srv.socket, server_side=True, do_handshake_on_connect=False)
        plain = Server(("127.0.0.1", cfg.http_port), Handler)
        servers.append(plain)
        http_url = f"http://127.0.0.1:{plain.server_address[1]}"
        url = f"https://127.0.0.1:{port}"
    else:
        url = http_url = f"http://127.0.0.1:{port}"
    app.public_url = url

    info = {
        "ready": True, "pid": os.getpid(), "port": port, "url": url, "http_url": http_url, "tls": cfg.tls,
        "ca_file": ca_file, "state_dir": os.path.abspath(cfg.state_dir),
        "endpoints": {p: url for p in ("cs", "sts", "arms", "sls", "cms")},
        "account_id": accounts.ACCOUNT_ID,
        "access_keys": [{"id": c.access_key_id, "secret": c.secret, "profile": c.principal.profile,
                         "enabled": c.enabled, "arn": c.principal.arn} for c in app.store.permanent_keys()],
        "sts": {"role_arn": app.store.roles["ack-mcp"].arn,
                "readonly_role_arn": app.store.roles["ack-mcp-readonly"].arn,
                "oidc_provider_arn": OIDC_PROVIDER, "oidc_token_file": os.path.abspath(app.oidc.path)},
        "metadata": {"url": http_url, "role_name": ECS_ROLE},
        "clusters": {"prod": state.CLUSTER_PROD, "staging": state.CLUSTER_STAGING, "edge": state.CLUSTER_EDGE,
                     "all": sorted(app.world.clusters)},
        "nodepools": {"prod_default": state.NP_PROD_DEFAULT, "prod_gpu": state.NP_PROD_GPU,
                      "staging_default": state.NP_STAGING_DEFAULT, "edge": state.NP_EDGE},
    }
    app.info = info

    stop = threading.Event()
    for s in servers:
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    if cfg.exit_on_stdin_eof:
        def watch():
            # os.read on the raw fd: a daemon thread blocked in the buffered sys.stdin would hold
            # its lock and make interpreter shutdown wait.
            try:
                while os.read(0, 4096):
                    pass
            except (OSError, ValueError):
                pass
            stop.set()
        threading.Thread(target=watch, daemon=True).start()

    line = json.dumps(info, separators=(",", ":"))
    tmp = os.path.join(cfg.state_dir, "ready.json.tmp")
    with open(tmp, "w") as f:
        f.write(line + "\n")
    os.replace(tmp, os.path.join(cfg.state_dir, "ready.json"))
    sys.stdout.write(line + "\n")
    sys.stdout.flush()

    while not stop.wait(0.5):
        pass
    for s in servers:
        s.shutdown()
        s.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
