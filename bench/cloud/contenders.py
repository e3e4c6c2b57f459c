"""bench/cloud/contenders.py: the three ways the cloud bench reaches the CS API of the simulator.

- curl: the request signed ACS3-HMAC-SHA256 here, by the simulator's test-side signer
  (tests/sim/aliyun/sim_client.py, written independently of both the simulator's verifier and
  our C signer), and sent by one `curl` process per call, as an agent's script would;
- keep-alive: the same signed request on one persistent Python http.client connection: the
  network floor (the signer's own time is measured separately and reported with it);
- ours: `tools/call` to build/ack-mcp-server over stdio, raw JSON-RPC lines on its pipes.

Every call is timed until its answer is read and parsed (the body's JSON, or the JSON-RPC line)
and resolves with {ok, bytes, error, value, sign_ns}: bytes is what a model would receive (the
response body, or the text content of the tool result). Owner: bench-cloud."""
import http.client
import json
import os
import select
import subprocess
import sys
import time
import types

from procs import cpu_ns, forget, track

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "sim", "aliyun"))
import sim_client  # noqa: E402  (the test-side signer)

CALL_TIMEOUT_S = 10
# Pause after each call, outside the timing (the driver sets it): the work a server finishes
# after answering (freeing, Lua's collector) then lands in that call's CPU figure, not in the
# next contender's latency; agents call tools seconds apart anyway.
settle_s = 0.0


class Signer(sim_client.Client):
    """sim_client's ACS3 signer, stopped short of sending: returns (method, target, headers,
    body) for the caller's own transport. Records every nonce it makes, so the bench can tell its
    own requests from our server's in the simulator's log."""

    def __init__(self, base_url, ak, secret):
        super().__init__(types.SimpleNamespace(url=base_url, ssl_context=None), ak, secret)
        self.nonces = set()

    def _send(self, method, path, pairs, headers, body):
        self.nonces.add(headers["x-acs-signature-nonce"])
        return method, path + ("?" + sim_client.wire_query(pairs) if pairs else ""), headers, body

    def sign(self, op):
        return self.cs(op["method"], op["path"], op["query"], action=op["action"])


def _fail(msg, bytes_=0):
    return {"ok": False, "bytes": bytes_, "error": msg}


def _parse(body, check):
    try:
        value = json.loads(body)
    except ValueError as e:
        return None, f"not JSON ({e}): {body[:200]!r}"
    err = check(value)
    return value, err


class Curl:
    """One curl process per call."""

    def __init__(self, base_url, signer):
        self.base, self.signer = base_url, signer

    def call(self, op):
        t0 = time.perf_counter_ns()
        method, target, headers, body = self.signer.sign(op)
        t1 = time.perf_counter_ns()
        argv = ["curl", "-sS", "--max-time", str(CALL_TIMEOUT_S), "-w", "\n%{http_code}"]
        if method != "GET":
            argv += ["-X", method]
        for k, v in headers.items():
            argv += ["-H", f"{k}: {v}"]
        if body:
            argv += ["--data-binary", body.decode()]
        argv.append(self.base + target)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        track(p.pid, persist=False)
        out, err = p.communicate()
        forget(p.pid, persist=False)
        data, _, code = out.rpartition(b"\n")
        if p.returncode != 0 or code != b"200":
            return _fail(f"curl exit {p.returncode}, HTTP {code.decode(errors='replace')}: "
                         f"{(err or data)[:300].decode(errors='replace')}", len(data))
        value, bad = _parse(data, op["check"])
        t2 = time.perf_counter_ns()
        time.sleep(settle_s)
        if bad:
            return _fail(bad, len(data))
        return {"ok": True, "bytes": len(data), "ns": t2 - t0, "sign_ns": t1 - t0, "value": value}


class KeepAlive:
    """One persistent HTTP/1.1 connection (http.client sets TCP_NODELAY)."""

    def __init__(self, base_url, signer):
        host, _, port = base_url.split("://", 1)[1].partition(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=CALL_TIMEOUT_S)
        self.conn.connect()
        self.signer = signer

    def call(self, op):
        t0 = time.perf_counter_ns()
        method, target, headers, body = self.signer.sign(op)
        t1 = time.perf_counter_ns()
        try:
            self.conn.request(method, target, body=body or None, headers=headers)
            resp = self.conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as e:
            self.conn.close()
            return _fail(f"{type(e).__name__}: {e}")
        if resp.status != 200:
            return _fail(f"HTTP {resp.status}: {data[:300].decode(errors='replace')}", len(data))
        value, bad = _parse(data, op["check"])
        t2 = time.perf_counter_ns()
        time.sleep(settle_s)
        if bad:
            return _fail(bad, len(data))
        return {"ok": True, "bytes": len(data), "ns": t2 - t0, "sign_ns": t1 - t0, "value": value}

    def close(self):
        self.conn.close()


class McpStdio:
    """Our server over stdio: newline-delimited JSON-RPC on its pipes. Notifications from the
    server are counted and skipped; anything else that is not the answer stops the bench."""

    def __init__(self, argv, env, cwd, stderr_path):
        self.stderr_path = stderr_path
        with open(stderr_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                         cwd=cwd, env=env)
        track(self.proc.pid)
        self.fd_in, self.fd_out = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        self.buf = b""
        self.next_id = 1
        self.notifications = 0

    def _why(self):
        try:
            rc = self.proc.wait(1)  # a server that closed stdout is usually exiting
        except subprocess.TimeoutExpired:
            rc = None
        try:
            with open(self.stderr_path, "rb") as f:
                tail = f.read()[-800:].decode("utf-8", "replace")
        except OSError:
            tail = ""
        return f"(server {'exited ' + str(rc) if rc is not None else 'running'}; stderr: {tail.strip()})"

    def _line(self, deadline):
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line, self.buf = self.buf[:nl], self.buf[nl + 1:]
                return line
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd_out], [], [], left)[0]:
                raise RuntimeError(f"no answer within {CALL_TIMEOUT_S} s {self._why()}")
            chunk = os.read(self.fd_out, 1 << 20)
            if not chunk:
                raise RuntimeError(f"server closed stdout {self._why()}")
            self.buf += chunk

    def request(self, method, params=None):
        rid = self.next_id
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self._write(msg)
        deadline = time.monotonic() + CALL_TIMEOUT_S
        while True:
            line = self._line(deadline)
            m = json.loads(line)
            if m.get("id") == rid and ("result" in m or "error" in m):
                return m
            if "method" in m and "id" not in m:
                self.notifications += 1
                continue
            raise RuntimeError(f"unexpected message from the server: {line[:300]!r}")

    def _write(self, msg):
        data = (json.dumps(msg, separators=(",", ":")) + "\n").encode()
        while data:
            data = data[os.write(self.fd_in, data):]

    def initialize(self):
        m = self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                        "clientInfo": {"name": "bench-cloud", "version": "1"}})
        if "result" not in m:
            raise RuntimeError(f"initialize failed: {m}")
        self._write({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return m["result"]

    def call(self, name, arguments, check):
        """One tool call, timed; cpu_ns is the server's CPU time from the request to the end of
        the settle pause (so it includes what the server does after answering)."""
        c0 = cpu_ns(self.proc.pid)
        t0 = time.perf_counter_ns()
        try:
            m = self.request("tools/call", {"name": name, "arguments": arguments})
        except (RuntimeError, ValueError, OSError) as e:
            return _fail(str(e))
        t1 = time.perf_counter_ns()
        time.sleep(settle_s)
        c1 = cpu_ns(self.proc.pid)
        r = m.get("result")
        if r is None:
            return _fail(f"JSON-RPC error: {json.dumps(m.get('error'))[:300]}")
        text = "".join(c.get("text", "") for c in r.get("content", []) if c.get("type") == "text")
        size = len(text.encode("utf-8"))
        if r.get("isError"):
            return _fail(f"tool error: {text[:300]}", size)
        bad = check(r.get("structuredContent"))
        if bad:
            return _fail(bad, size)
        return {"ok": True, "bytes": size, "ns": t1 - t0, "cpu_ns": c1 - c0, "value": r.get("structuredContent")}
