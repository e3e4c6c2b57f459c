#!/usr/bin/env python3
"""Kubernetes API server simulator: HTTPS on 127.0.0.1, routing, authentication.

    python3 tests/sim/k8s/server.py --port 0 --state-dir DIR [--pods N] [--token T]
        [--viewer-token T] [--expired-token T] [--latency-ms N]

Prints one JSON line when ready: {"port", "kubeconfig", "ca", "token", ...}. Stops
cleanly on SIGTERM or SIGINT. See README.md for what is served.
"""

import argparse
import http.server
import json
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api            # noqa: E402
import authz          # noqa: E402
import certs          # noqa: E402
import discovery      # noqa: E402
import errors         # noqa: E402
import openapi        # noqa: E402
import request        # noqa: E402
import seed           # noqa: E402
import testhooks      # noqa: E402
from cluster import Cluster    # noqa: E402
from store import Store, dumps  # noqa: E402

MAX_BODY = 3 * 1024 * 1024       # kube-apiserver's request size limit
ANONYMOUS_PATHS = {"/healthz", "/livez", "/readyz", "/version"}


class Sim:
    """Everything one server process holds; handlers reach it as server.sim."""

    def __init__(self, args):
        self.args = args
        self.tokens = {args.token: authz.User("sim-admin", ["system:authenticated"]),
                       args.viewer_token: authz.User("sim-viewer", ["system:authenticated"])}
        self.expired = {args.expired_token}
        self.openapi = openapi.OpenAPI()
        self.cl = None
        self.reset()
        self.cl.latency_ms = args.latency_ms

    def reset(self):
        latency = self.cl.latency_ms if self.cl else 0
        old = self.cl
        cl = Cluster(Store(first_rv=1000), self.args.epoch)
        seed.seed(cl, self.args.pods)
        cl.latency_ms = latency
        self.cl = cl
        if old is not None:
            old.store.close()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, sim, ctx):
        self.sim = sim
        self.ctx = ctx
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # the TLS handshake runs in the handler thread, so one slow client cannot stall accept
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError)):
            return
        super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sim-kube-apiserver"
    timeout = 300

    def setup(self):
        # Headers and body are separate writes: without this, Nagle plus delayed ACK hold
        # every answer on a kept-alive connection for ~40 ms (as a real server would not).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.request.settimeout(30)
            self.request.do_handshake()
            self.request.settimeout(self.timeout)
        except (ssl.SSLError, OSError):
            self.request.close()
            raise ConnectionAbortedError("TLS handshake failed")
        super().setup()

    def log_message(self, fmt, *args):
        if self.server.sim.args.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # ---- plumbing ----------------------------------------------------------

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_PATCH(self):
        self._serve("PATCH")

    def do_DELETE(self):
        self._serve("DELETE")

    def do_HEAD(self):
        self._serve("HEAD")

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise errors.ApiError(413, "RequestEntityTooLarge", "Request entity too large: limit "
                                  "is %d" % MAX_BODY, {})
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                total += size
                if total > MAX_BODY:
                    raise errors.ApiError(413, "RequestEntityTooLarge", "Request entity too "
                                          "large: limit is %d" % MAX_BODY, {})
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(n) if n else b""

    def _user(self, path):
        auth = self.headers.get("Authorization") or ""
        sim = self.server.sim
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip()
            if token in sim.expired:
                raise errors.unauthorized()     # what an expired token gets
            user = sim.tokens.get(token)
            if user is None:
                raise errors.unauthorized()
            return user
        if auth:
            raise errors.unauthorized()
        cert = self.request.getpeercert()
        if cert:
            subject = dict(x[0] for x in cert.get("subject", ()))
            groups = [v for rdn in cert.get("subject", ()) for k, v in rdn
                      if k == "organizationName"]
            return authz.User(subject.get("commonName", ""), groups + ["system:authenticated"])
        if path in ANONYMOUS_PATHS:
            return authz.User("system:anonymous", ["system:unauthenticated"])
        raise errors.unauthorized()

    def _serve(self, method):
        sim = self.server.sim
        cl = sim.cl
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        query = {}
        for k, v in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True):
            query.setdefault(k, v)
        headers = {k.lower(): v for k, v in self.headers.items()}
        user_name = ""
        try:
            body = self._read_body()
            if path.startswith("/_sim/"):
                resp = testhooks.handle(sim, method, path, query, body)
            else:
                fault = testhooks.take_fault(cl, method, path)
                if cl.latency_ms:
                    time.sleep(cl.latency_ms / 1000.0)
                user = self._user(path)
                user_name = user.name
                if fault:
                    resp = fault
                else:
                    req = request.Request(cl, method, path, query, headers, body, user)
                    req.alive = self._alive
                    resp = route(sim, req)
        except errors.ApiError as e:
            resp = request.Response(e.code, dumps(e.status()))
        except Exception as e:      # a bug here must still answer like an API server
            traceback.print_exc()
            err = errors.internal(repr(e))
            resp = request.Response(500, dumps(err.status()))
        if not path.startswith("/_sim/"):
            testhooks.record(cl, method, path, parsed.query, headers, user_name, resp.status)
        self._write(resp, method == "HEAD")

    def _alive(self):
        """False once the client has gone: its socket turns readable and reads EOF."""
        try:
            readable, _, _ = select.select([self.request], [], [], 0)
            if not readable:
                return True
            self.request.setblocking(False)
            try:
                return self.request.recv(1) != b""
            except (ssl.SSLWantReadError, BlockingIOError):
                return True
            finally:
                self.request.settimeout(self.timeout)
        except (OSError, ValueError):
            return False

    def _write(self, resp, head_only):
        try:
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.ctype)
            self.send_header("Cache-Control", "no-cache, private")
            self.send_header("Audit-Id", str(uuid.uuid4()))
            self.send_header("X-Kubernetes-Pf-Flowschema-Uid", "5bd5f5e8-sim")
            self.send_header("X-Kubernetes-Pf-Prioritylevel-Uid", "a8b1f3b2-sim")
            for k, v in resp.headers.items():
                if k != "Transfer-Encoding":
                    self.send_header(k, v)
            if resp.stream is not None:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                if not head_only:
                    for chunk in resp.stream:
                        if chunk:
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                            self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            else:
                body = resp.body or b""
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head_only:
                    self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True
            close = getattr(resp.stream, "close", None)
            if close:
                close()


def route(sim, req):
    """Non-resource paths, then api.handle for resource paths."""
    path = req.path.rstrip("/") or "/"
    accept = req.headers.get("accept")
    if path in ("/healthz", "/livez", "/readyz"):
        return request.Response(200, b"ok", "text/plain; charset=utf-8")
    if path == "/version":
        return request.json_response(discovery.VERSION)
    if path == "/api":
        agg = discovery.wants_aggregated(accept)
        if agg:
            return request.Response(200, dumps(discovery.aggregated(True, agg)), agg)
        return request.json_response(discovery.api_versions("127.0.0.1:%d" % sim.port))
    if path == "/apis":
        agg = discovery.wants_aggregated(accept)
        if agg:
            return request.Response(200, dumps(discovery.aggregated(False, agg)), agg)
        return request.json_response(discovery.api_group_list())
    if path == "/api/v1":
        return request.json_response(discovery.resource_list("", "v1"))
    parts = path.strip("/").split("/")
    if parts[0] == "apis" and len(parts) == 2:
        g = discovery.api_group(parts[1])
        if g is None:
            return not_found_page()
        return request.json_response(g)
    if parts[0] == "apis" and len(parts) == 3:
        rl = discovery.resource_list(parts[1], parts[2])
        if rl is None:
            return not_found_page()
        return request.json_response(rl)
    if path == "/openapi/v3":
        return request.json_response(sim.openapi.index())
    if path.startswith("/openapi/v3/"):
        doc = sim.openapi.get(path[len("/openapi/v3/"):])
        if doc is None:
            return not_found_page()
        body, h = doc
        want = req.q("hash")
        if want and want != h:
            return request.Response(301, b"", headers={
                "Location": "%s?hash=%s" % (path, h)})
        headers = {"Etag": '"%s"' % h}
        if want:
            headers["Cache-Control"] = "public, immutable"
        return request.Response(200, body, headers=headers)
    resp = api.handle(req)
    if resp is None:
        return not_found_page()
    return resp


def not_found_page():
    return request.Response(404, b"404 page not found\n", "text/plain; charset=utf-8")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--state-dir", required=True, help="certificates and kubeconfig go here")
    p.add_argument("--pods", type=int, default=0, help="extra pods in namespace 'load'")
    p.add_argument("--token", default="sim-admin-token")
    p.add_argument("--viewer-token", default="sim-viewer-token")
    p.add_argument("--expired-token", default="sim-expired-token",
                   help="a token the server rejects with 401, as an expired one")
    p.add_argument("--latency-ms", type=int, default=0, help="delay before every API response")
    p.add_argument("--epoch", type=int, default=None,
                   help="seed timestamps relative to this Unix time instead of now")
    p.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = p.parse_args(argv)
    if args.pods < 0 or args.pods > 200000:
        p.error("--pods must be between 0 and 200000")
    os.makedirs(args.state_dir, exist_ok=True)
    paths = certs.make(args.state_dir)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(paths["server.crt"], paths["server.key"])
    ctx.load_verify_locations(paths["ca.crt"])
    ctx.verify_mode = ssl.CERT_OPTIONAL
    ctx.set_alpn_protocols(["http/1.1"])
    sim = Sim(args)
    server = Server(("127.0.0.1", args.port), sim, ctx)
    sim.port = server.server_address[1]
    kc = certs.kubeconfig(args.state_dir, sim.port, {"admin": args.token,
                                                     "viewer": args.viewer_token,
                                                     "expired": args.expired_token})

    def stop(signum, frame):
        sim.cl.store.close()
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({"port": sim.port, "server": "https://127.0.0.1:%d" % sim.port,
                      "kubeconfig": kc, "ca": paths["ca.crt"], "token": args.token,
                      "viewerToken": args.viewer_token, "expiredToken": args.expired_token,
                      "clientCert": paths["client.crt"], "clientKey": paths["client.key"],
                      "pid": os.getpid()}), flush=True)
    if args.pods:
        import bulk
        threading.Thread(target=bulk.warm, args=(sim.cl, time.time()), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
