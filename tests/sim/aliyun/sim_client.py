"""Test-side helpers: start the simulator as a child process, and sign requests to it.

The signer here is written a second time from aliyun-signing.md and imports nothing from the
simulator, so a misreading of the reference in signing.py cannot hide behind a shared helper.
Every signing method takes keyword overrides (date, nonce, drop/alter headers) so tests can
build the bad requests the simulator must reject.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import ssl
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from email.utils import formatdate

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "server.py")

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def pct(text, extra_safe=b""):
    """§1 percentEncode: unreserved bytes kept, everything else %XX with upper-case hex."""
    safe = _SAFE | frozenset(extra_safe)
    return "".join(chr(b) if b in safe else "%{:02X}".format(b) for b in str(text).encode("utf-8"))


def iso8601(ts=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if ts is None else ts))


def rfc1123(ts=None):
    return formatdate(time.time() if ts is None else ts, usegmt=True)


def sha256hex(data):
    return hashlib.sha256(data).hexdigest()


def _pairs(query):
    if query is None:
        return []
    if isinstance(query, dict):
        return [(str(k), "" if v is None else str(v)) for k, v in query.items()]
    return [(str(k), str(v)) for k, v in query]


def _ordered(pairs):
    return sorted(pairs, key=lambda p: (p[0].encode(), p[1].encode()))


def wire_query(pairs):
    return "&".join(f"{pct(k)}={pct(v)}" for k, v in pairs)


class Result:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self):
        return self.body.decode("utf-8")

    def __repr__(self):
        return f"<Result {self.status} {self.body[:300]!r}>"


class Sim:
    """A running simulator. Sim.start(...) blocks until its ready line arrives."""

    def __init__(self, proc, info, state_dir, tmp):
        self.proc, self.info, self.state_dir, self._tmp = proc, info, state_dir, tmp
        self.url = info["url"]
        self.port = info["port"]
        self.ssl_context = None
        if info.get("ca_file"):
            self.ssl_context = ssl.create_default_context(cafile=info["ca_file"])

    @classmethod
    def start(cls, *args):
        tmp = tempfile.TemporaryDirectory(prefix="aliyun-sim-")
        state_dir = os.path.join(tmp.name, "state")
        # stderr goes to a file: a pipe nobody reads could fill up and stall the server.
        errlog = open(os.path.join(tmp.name, "stderr.log"), "w+b")
        proc = subprocess.Popen([sys.executable, SERVER, "--port", "0", "--state-dir", state_dir,
                                 "--exit-on-stdin-eof", *args],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errlog)
        line = proc.stdout.readline()
        if not line:
            proc.kill()
            proc.wait()
            errlog.seek(0)
            err = errlog.read().decode("utf-8", "replace")
            for stream in (proc.stdin, proc.stdout, errlog):
                stream.close()
            tmp.cleanup()
            raise RuntimeError("simulator did not start: " + err)
        sim = cls(proc, json.loads(line), state_dir, tmp)
        sim.errlog = errlog
        return sim

    def stderr(self):
        """What the simulator wrote to stderr so far (tracebacks of simulator bugs)."""
        self.errlog.flush()
        with open(self.errlog.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.errlog):
            stream.close()
        self._tmp.cleanup()

    def key(self, profile="full", enabled=True):
        for k in self.info["access_keys"]:
            if k["profile"] == profile and k["enabled"] == enabled and k["id"] != "testid":
                return k["id"], k["secret"]
        raise KeyError(profile)

    def client(self, ak=None, secret=None, token=None, profile="full"):
        if ak is None:
            ak, secret = self.key(profile)
        return Client(self, ak, secret, token)

    # control endpoints
    def control(self, method, path, obj=None, base=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        r = send(base or self.url, method, path, {"content-type": "application/json"} if body else {}, body,
                 self.ssl_context)
        return r.json if r.body else {}

    def requests(self, **filters):
        q = "&".join(f"{k}={v}" for k, v in filters.items())
        return self.control("GET", "/_sim/requests" + ("?" + q if q else ""))["requests"]

    def last_request(self, **filters):
        reqs = self.requests(**filters)
        return reqs[-1] if reqs else None

    def fault(self, **spec):
        return self.control("POST", "/_sim/faults", spec)["added"][0]

    def reset(self):
        return self.control("POST", "/_sim/reset", {})

    def advance(self, seconds):
        return self.control("POST", "/_sim/clock", {"advance": seconds})

    def configure(self, **settings):
        return self.control("POST", "/_sim/config", settings)

    def state(self):
        return self.control("GET", "/_sim/state")


def send(base, method, target, headers, body=b"", ssl_context=None, timeout=15):
    scheme, _, hostport = base.partition("://")
    host, _, port = hostport.partition(":")
    if scheme == "https":
        conn = http.client.HTTPSConnection(host, int(port), timeout=timeout, context=ssl_context)
    else:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.putrequest(method, target, skip_host="host" in {k.lower() for k in headers},
                        skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        if body or method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body or None)
        resp = conn.getresponse()
        return Result(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()


class Client:
    """Signs with one credential. `host` is the Host header to send and sign (default: the
    simulator's address), as a real client pointed at an endpoint override would."""

    def __init__(self, sim, ak, secret, token=None):
        self.sim, self.ak, self.secret, self.token = sim, ak, secret, token
        self.host = sim.url.split("://", 1)[1]
        self.last_headers = None

    def _send(self, method, path, pairs, headers, body):
        target = path + ("?" + wire_query(pairs) if pairs else "")
        self.last_headers = headers
        return send(self.sim.url, method, target, headers, body, self.sim.ssl_context)

    @staticmethod
    def _body(body):
        if body is None:
            return b"", None
        if isinstance(body, (dict, list)):
            return json.dumps(body, separators=(",", ":")).encode(), "application/json; charset=utf-8"
        return body, None

    # ------------------------------------------------------------------ ACS3-HMAC-SHA256 (§2)

    def acs3(self, method, path, query=None, body=None, action="", version="2015-12-15", date=None,
             nonce=None, content_type=None, drop=(), unsigned=(), extra=None, secret=None, body_hash=None):
        pairs = _pairs(query)
        data, ctype = self._body(body)
        ctype = content_type or ctype
        h = {"host": self.host, "x-acs-action": action, "x-acs-version": version,
             "x-acs-date": date or iso8601(), "x-acs-signature-nonce": nonce or secrets.token_hex(16),
             "x-acs-content-sha256": body_hash or sha256hex(data)}
        if ctype:
            h["content-type"] = ctype
        if self.token:
            h["x-acs-security-token"] = self.token
            h["x-acs-accesskey-id"] = self.ak
        h.update(extra or {})
        for name in drop:
            h.pop(name, None)
        signed = sorted(n for n in h if n not in unsigned)
        canon_uri = path.replace("+", "%20").replace("*", "%2A").replace("%7E", "~") or "/"
        canon_query = "&".join(f"{k}={pct(v)}" for k, v in _ordered(pairs))
        canon_headers = "".join(f"{n}:{h[n].strip()}\n" for n in signed)
        creq = "\n".join([method, canon_uri, canon_query, canon_headers, ";".join(signed), sha256hex(data)])
        sts = "ACS3-HMAC-SHA256\n" + sha256hex(creq.encode())
        sig = hmac.new((secret or self.secret).encode(), sts.encode(), hashlib.sha256).hexdigest()
        h["authorization"] = f"ACS3-HMAC-SHA256 Credential={self.ak},SignedHeaders={';'.join(signed)},Signature={sig}"
        h["accept"] = "application/json"
        return self._send(method, path, pairs, h, data)

    def cs(self, method, path, query=None, body=None, action="", **kw):
        return self.acs3(method, path, query, body, action=action, version="2015-12-15", **kw)

    def rpc3(self, product_version, action, params=None, method="POST", **kw):
        """An RPC-style API (STS/CMS/ARMS) signed with ACS3: parameters in the query, path /."""
        return self.acs3(method, "/", params, None, action=action, version=product_version, **kw)

    # ------------------------------------------------------------------ ROA HMAC-SHA1 (§3)

    def roa(self, method, path, query=None, body=None, action="", date=None, nonce=None, md5=False,
            drop=(), extra=None, secret=None):
        pairs = _pairs(query)
        data, ctype = self._body(body)
        h = {"accept": "application/json", "date": date or rfc1123(), "host": self.host,
             "x-acs-signature-nonce": nonce or secrets.token_hex(16), "x-acs-signature-method": "HMAC-SHA1",
             "x-acs-signature-version": "1.0", "x-acs-version": "2015-12-15", "x-acs-action": action}
        if ctype:
            h["content-type"] = ctype
        if md5:
            h["content-md5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
        if self.token:
            h["x-acs-security-token"] = self.token
            h["x-acs-accesskey-id"] = self.ak
        h.update(extra or {})
        for name in drop:
            h.pop(name, None)
        acs = "".join(f"{n}:{h[n].strip()}\n" for n in sorted(k for k in h if k.startswith("x-acs-")))
        resource = path + ("?" + "&".join(f"{k}={v}" for k, v in _ordered(pairs)) if pairs else "")
        sts = "\n".join([method, h.get("accept", ""), h.get("content-md5", ""), h.get("content-type", ""),
                         h.get("date", "")]) + "\n" + acs + resource
        sig = base64.b64encode(hmac.new((secret or self.secret).encode(), sts.encode(), hashlib.sha1).digest())
        h["authorization"] = f"acs {self.ak}:{sig.decode()}"
        return self._send(method, path, pairs, h, data)

    # ------------------------------------------------------------------ RPC HMAC-SHA1 (§4)

    def rpc(self, version, action, params=None, method="POST", placement="query", timestamp=None, nonce=None,
            drop=(), secret=None, extra_params=None):
        p = {"Action": action, "Version": version, "Format": "JSON", "AccessKeyId": self.ak,
             "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
             "SignatureNonce": nonce or secrets.token_hex(16), "Timestamp": timestamp or iso8601()}
        if self.token:
            p["SecurityToken"] = self.token
        p.update(params or {})
        p.update(extra_params or {})
        for name in drop:
            p.pop(name, None)
        canon = "&".join(f"{pct(k)}={pct(v)}" for k, v in _ordered(_pairs(p)))
        sts = f"{method}&{pct('/')}&{pct(canon)}"
        sig = base64.b64encode(hmac.new(((secret or self.secret) + "&").encode(), sts.encode(), hashlib.sha1).digest())
        p["Signature"] = sig.decode()
        h = {"host": self.host, "accept": "application/json"}
        if placement == "form":
            form = wire_query(_pairs(p)).encode()
            h["content-type"] = "application/x-www-form-urlencoded"
            return self._send(method, "/", [], h, form)
        return self._send(method, "/", _pairs(p), h, b"")

    # ------------------------------------------------------------------ SLS (§5)

    def sls(self, method, path, query=None, body=None, project=None, sigmethod="hmac-sha256", date=None,
            drop=(), extra=None, secret=None, host=None):
        pairs = _pairs(query)
        data = b""
        h = {"date": date or rfc1123(), "x-log-apiversion": "0.6.0", "x-log-signaturemethod": sigmethod,
             "x-log-bodyrawsize": "0", "accept": "application/json",
             "host": host or ((project + "." + self.host.split(":")[0]) if project else self.host)}
        if body is not None:
            data = json.dumps(body, separators=(",", ":")).encode() if isinstance(body, (dict, list)) else body
            h["content-type"] = "application/json"
            h["content-md5"] = hashlib.md5(data).hexdigest().upper()
            h["x-log-bodyrawsize"] = str(len(data))
        if self.token:
            h["x-acs-security-token"] = self.token
        h.update(extra or {})
        for name in drop:
            h.pop(name, None)
        if sigmethod == "hmac-sha1" and "x-log-signaturemethod" in drop:
            pass
        canon = "".join(f"{n}:{h[n]}\n" for n in sorted(k for k in h if k.startswith(("x-log-", "x-acs-"))))
        resource = path + ("?" + "&".join(f"{k}={v}" for k, v in _ordered(pairs)) if pairs else "")
        sts = "\n".join([method, h.get("content-md5", ""), h.get("content-type", ""), h.get("date", "")]) + "\n" \
            + canon + resource
        algo = hashlib.sha256 if h.get("x-log-signaturemethod", "hmac-sha1") == "hmac-sha256" else hashlib.sha1
        sig = base64.b64encode(hmac.new((secret or self.secret).encode(), sts.encode(), algo).digest()).decode()
        h["authorization"] = f"LOG {self.ak}:{sig}"
        return self._send(method, path, pairs, h, data)

    def sls4(self, method, path, query=None, body=None, project=None, region="cn-hangzhou", date=None, secret=None):
        pairs = _pairs(query)
        data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        stamp = date or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        h = {"host": (project + "." + self.host.split(":")[0]) if project else self.host,
             "x-log-apiversion": "0.6.0", "x-log-bodyrawsize": str(len(data)),
             "x-log-content-sha256": sha256hex(data), "x-log-date": stamp, "accept": "application/json"}
        if body is not None:
            h["content-type"] = "application/json"
        if self.token:
            h["x-acs-security-token"] = self.token
        names = sorted(n for n in h if n in ("host", "content-type") or n.startswith(("x-log-", "x-acs-")))
        cq = "&".join(k if v == "" else f"{k}={pct(v, b'()!' + bytes([39]))}" for k, v in _ordered(pairs))
        creq = "\n".join([method, path, cq, "".join(f"{n}:{h[n].strip()}\n" for n in names), ";".join(names),
                          sha256hex(data)])
        day = stamp[:8]
        scope = f"{day}/{region}/sls/aliyun_v4_request"
        sts = "\n".join(["SLS4-HMAC-SHA256", stamp, scope, sha256hex(creq.encode())])
        key = ("aliyun_v4" + (secret or self.secret)).encode()
        for part in (day, region, "sls", "aliyun_v4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        h["authorization"] = f"SLS4-HMAC-SHA256 Credential={self.ak}/{scope},Signature={sig}"
        return self._send(method, path, pairs, h, data)


def unsigned(sim, method, target, headers=None, body=b"", base=None):
    """A request with no signature at all (STS AssumeRoleWithOIDC, metadata service)."""
    return send(base or sim.url, method, target, dict(headers or {}), body, sim.ssl_context)


def utc_ts(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
