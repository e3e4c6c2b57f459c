"""Server-side signature verification for the Alibaba Cloud simulator.

Written from the text of aliyun-signing.md, independently of the C signer: every
function rebuilds the string to sign from the request as it arrived on the wire.
The module knows nothing about accounts, clocks or nonces; `verify()` returns what
the caller needs to apply those policies (key id, token, date, nonce) plus whether
the signature matched and the string to sign the server computed.

Schemes (names as they appear in the request log):
  ACS3-HMAC-SHA256   Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..
  ROA-HMAC-SHA1      Authorization: acs <id>:<base64 sig>
  RPC-HMAC-SHA1      Signature=<base64> query/form parameter
  LOG-HMAC-SHA256    Authorization: LOG <id>:<sig>, x-log-signaturemethod: hmac-sha256
  LOG-HMAC-SHA1      same, hmac-sha1 (the default when the header is absent)
  SLS4-HMAC-SHA256   Authorization: SLS4-HMAC-SHA256 Credential=<id>/<scope>,Signature=..
  anonymous          nothing of the above
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote_plus

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

ACS3 = "ACS3-HMAC-SHA256"
ROA = "ROA-HMAC-SHA1"
RPC = "RPC-HMAC-SHA1"
LOG_SHA256 = "LOG-HMAC-SHA256"
LOG_SHA1 = "LOG-HMAC-SHA1"
SLS4 = "SLS4-HMAC-SHA256"
ANONYMOUS = "anonymous"


class SignatureFormatError(Exception):
    """The Authorization value or the signing parameters are malformed (not a mismatch)."""


@dataclass
class WireRequest:
    """A request as the server received it.

    path: the path exactly as on the wire (still percent-encoded), without the query.
    query: decoded (name, value) pairs in wire order.
    headers: lower-case names; repeated headers joined with ','.
    """
    method: str
    path: str
    query: list
    headers: dict
    body: bytes = b""

    def header(self, name, default=None):
        return self.headers.get(name, default)


@dataclass
class Verification:
    scheme: str
    access_key_id: str = None
    signature_ok: bool = False
    security_token: str = None
    date: str = None            # the signed time value, as sent
    nonce: str = None
    string_to_sign: str = None  # what the server signed (no secret in it)
    canonical_request: str = None
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- encoding

def percent_encode(value):
    """RFC 3986 unreserved set kept, everything else %XX upper-case (§1)."""
    return quote(value.encode("utf-8"), safe="-_.~")


def sls4_encode(value):
    """SLS4 canonical-query encoding. §5.2 says percentEncode, but its vector (SLS-5) keeps
    '(' and ')' raw while encoding '*' and '|': that is encodeURIComponent with '*' escaped.
    The vector is normative, so this follows it."""
    return quote(value.encode("utf-8"), safe="-_.~!'()")


def parse_query(raw):
    """Decode a query or form string into (name, value) pairs; '+' decodes to a space,
    as on the real servers (so a literal '+' must travel as %2B)."""
    pairs = []
    if not raw:
        return pairs
    for part in raw.split("&"):
        if part == "":
            continue
        if "=" in part:
            k, v = part.split("=", 1)
            pairs.append((unquote_plus(k), unquote_plus(v)))
        else:
            pairs.append((unquote_plus(part), ""))
    return pairs


def _sorted_pairs(pairs):
    return sorted(pairs, key=lambda kv: (kv[0].encode("utf-8"), kv[1].encode("utf-8")))


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def _hmac(key, msg, algo):
    if isinstance(key, str):
        key = key.encode("utf-8")
    return hmac.new(key, msg.encode("utf-8"), algo).digest()


def constant_eq(a, b):
    return hmac.compare_digest((a or "").encode("utf-8"), (b or "").encode("utf-8"))


# --------------------------------------------------------------------------- ACS3 (§2)

_ACS3_AUTH = re.compile(r"^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]*),Signature=([0-9a-fA-F]+)$")


def parse_acs3_authorization(value):
    m = _ACS3_AUTH.match(value.strip())
    if not m:
        raise SignatureFormatError("Authorization is not 'ACS3-HMAC-SHA256 Credential=<id>,"
                                   "SignedHeaders=<names>,Signature=<hex>'")
    names = [n for n in m.group(2).split(";") if n]
    return m.group(1), names, m.group(3).lower()


def acs3_canonical_uri(raw_path):
    path = raw_path or "/"
    return path.replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def acs3_canonical_query(pairs):
    return "&".join(f"{k}={percent_encode(v)}" for k, v in _sorted_pairs(pairs))


def acs3_canonical_request(req, signed_headers, body_hash):
    names = sorted(signed_headers)
    canon_headers = "".join(f"{n}:{(req.headers.get(n) or '').strip()}\n" for n in names)
    return "\n".join([
        req.method.upper(),
        acs3_canonical_uri(req.path),
        acs3_canonical_query(req.query),
        canon_headers,
        ";".join(names),
        body_hash,
    ])


def acs3_string_to_sign(canonical_request):
    return "ACS3-HMAC-SHA256\n" + sha256_hex(canonical_request.encode("utf-8"))


def acs3_signature(secret, string_to_sign):
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def acs3_required_signed(req):
    """Headers the simulator insists are signed: every x-acs-*, host, and content-type when sent."""
    return sorted(n for n in req.headers
                  if n == "host" or n == "content-type" or n.startswith("x-acs-"))


# --------------------------------------------------------------------------- ROA (§3)

def _clean_header_value(v):
    return re.sub(r"[\t\r\n\f]", " ", v or "").strip()


def roa_string_to_sign(req, empty_value_form="name="):
    """empty_value_form: how a parameter with an empty value is written in the resource:
    'name=' (as in SLS-v1) or 'name' (as some ROA SDKs do); the reference does not say."""
    h = req.headers
    canon_headers = "".join(f"{n}:{_clean_header_value(h[n])}\n"
                            for n in sorted(x for x in h if x.startswith("x-acs-")))
    resource = req.path
    if req.query:
        parts = []
        for k, v in _sorted_pairs(req.query):
            if v == "" and empty_value_form == "name":
                parts.append(k)
            else:
                parts.append(f"{k}={v}")
        resource += "?" + "&".join(parts)
    return "\n".join([
        req.method.upper(),
        h.get("accept", ""),
        h.get("content-md5", ""),
        h.get("content-type", ""),
        h.get("date", ""),
    ]) + "\n" + canon_headers + resource


def roa_signature(secret, string_to_sign):
    return base64.b64encode(_hmac(secret, string_to_sign, hashlib.sha1)).decode("ascii")


# --------------------------------------------------------------------------- RPC (§4)

def rpc_string_to_sign(method, params):
    """params: decoded (name, value) pairs, Signature excluded."""
    canon = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in _sorted_pairs(params))
    return f"{method.upper()}&%2F&{percent_encode(canon)}"


def rpc_signature(secret, string_to_sign):
    return base64.b64encode(_hmac(secret + "&", string_to_sign, hashlib.sha1)).decode("ascii")


def rpc_params(req):
    """Query parameters plus form-body parameters (form bodies are signed too)."""
    params = list(req.query)
    ctype = (req.headers.get("content-type") or "").lower()
    if req.body and ctype.startswith("application/x-www-form-urlencoded"):
        params += parse_query(req.body.decode("utf-8", "replace"))
    return params


# --------------------------------------------------------------------------- SLS LOG v1 (§5.1)

def sls_v1_string_to_sign(req):
    h = req.headers
    canon_headers = "".join(f"{n}:{h[n]}\n" for n in sorted(
        x for x in h if x.startswith("x-log-") or x.startswith("x-acs-")))
    resource = req.path
    if req.query:
        resource += "?" + "&".join(f"{k}={v}" for k, v in _sorted_pairs(req.query))
    return "\n".join([
        req.method.upper(),
        h.get("content-md5", ""),
        h.get("content-type", ""),
        h.get("date", ""),
    ]) + "\n" + canon_headers + resource


def sls_v1_signature(secret, string_to_sign, method="hmac-sha1"):
    algo = hashlib.sha256 if method == "hmac-sha256" else hashlib.sha1
    return base64.b64encode(_hmac(secret, string_to_sign, algo)).decode("ascii")


# --------------------------------------------------------------------------- SLS4 (§5.2)

_SLS4_AUTH = re.compile(r"^SLS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/,]+)/sls/aliyun_v4_request,"
                        r"Signature=([0-9a-fA-F]+)$")


def parse_sls4_authorization(value):
    m = _SLS4_AUTH.match(value.strip())
    if not m:
        raise SignatureFormatError("Authorization is not 'SLS4-HMAC-SHA256 Credential=<id>/<yyyyMMdd>/"
                                   "<region>/sls/aliyun_v4_request,Signature=<hex>'")
    return m.group(1), m.group(2), m.group(3), m.group(4).lower()


def sls4_canonical_request(req, body_hash):
    names = sorted(n for n in req.headers if n in ("host", "content-type")
                   or n.startswith("x-log-") or n.startswith("x-acs-"))
    canon_headers = "".join(f"{n}:{(req.headers[n] or '').strip()}\n" for n in names)
    query = "&".join(k if v == "" else f"{k}={sls4_encode(v)}" for k, v in _sorted_pairs(req.query))
    return "\n".join([req.method.upper(), req.path, query, canon_headers, ";".join(names), body_hash])


def sls4_scope(date8, region):
    return f"{date8}/{region}/sls/aliyun_v4_request"


def sls4_signing_key(secret, date8, region):
    k = _hmac("aliyun_v4" + secret, date8, hashlib.sha256)
    k = _hmac(k, region, hashlib.sha256)
    k = _hmac(k, "sls", hashlib.sha256)
    return _hmac(k, "aliyun_v4_request", hashlib.sha256)


def sls4_string_to_sign(x_log_date, scope, canonical_request):
    return "\n".join(["SLS4-HMAC-SHA256", x_log_date, scope, sha256_hex(canonical_request.encode("utf-8"))])


def sls4_signature(key, string_to_sign):
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- dispatch

def detect_scheme(req):
    auth = req.headers.get("authorization") or ""
    if auth.startswith("ACS3-HMAC-SHA256 "):
        return ACS3
    if auth.startswith("acs "):
        return ROA
    if auth.startswith("LOG "):
        m = (req.headers.get("x-log-signaturemethod") or "hmac-sha1").lower()
        return LOG_SHA256 if m == "hmac-sha256" else LOG_SHA1
    if auth.startswith("SLS4-HMAC-SHA256 "):
        return SLS4
    if any(k == "Signature" for k, _ in rpc_params(req)):
        return RPC
    return ANONYMOUS


def identify(req):
    """First pass: scheme, key id, token, date and nonce, without the secret.
    Raises SignatureFormatError for a malformed Authorization."""
    scheme = detect_scheme(req)
    v = Verification(scheme=scheme)
    h = req.headers
    if scheme == ACS3:
        v.access_key_id, names, sig = parse_acs3_authorization(h["authorization"])
        v.extra["signed_headers"] = names
        v.extra["signature"] = sig
        v.security_token = h.get("x-acs-security-token")
        v.date = h.get("x-acs-date")
        v.nonce = h.get("x-acs-signature-nonce")
    elif scheme == ROA:
        cred = h["authorization"][4:].strip()
        if ":" not in cred:
            raise SignatureFormatError("Authorization is not 'acs <AccessKeyId>:<Signature>'")
        v.access_key_id, v.extra["signature"] = cred.rsplit(":", 1)
        v.security_token = h.get("x-acs-security-token")
        v.date = h.get("date")
        v.nonce = h.get("x-acs-signature-nonce")
    elif scheme == RPC:
        params = dict(rpc_params(req))
        v.access_key_id = params.get("AccessKeyId")
        v.extra["signature"] = params.get("Signature")
        v.security_token = params.get("SecurityToken")
        v.date = params.get("Timestamp")
        v.nonce = params.get("SignatureNonce")
        v.extra["signature_method"] = params.get("SignatureMethod")
        v.extra["signature_version"] = params.get("SignatureVersion")
    elif scheme in (LOG_SHA256, LOG_SHA1):
        cred = h["authorization"][4:].strip()
        if ":" not in cred:
            raise SignatureFormatError("Authorization is not 'LOG <AccessKeyId>:<Signature>'")
        v.access_key_id, v.extra["signature"] = cred.rsplit(":", 1)
        v.security_token = h.get("x-acs-security-token")
        v.date = h.get("date")
    elif scheme == SLS4:
        v.access_key_id, date8, region, sig = parse_sls4_authorization(h["authorization"])
        v.extra.update(scope_date=date8, region=region, signature=sig)
        v.security_token = h.get("x-acs-security-token")
        v.date = h.get("x-log-date")
    return v


def check(req, v, secret):
    """Second pass: recompute the signature with `secret`; fills v.signature_ok and
    v.string_to_sign (and v.canonical_request where the scheme has one)."""
    s = v.scheme
    if s == ACS3:
        body_hash = sha256_hex(req.body or b"")
        v.canonical_request = acs3_canonical_request(req, v.extra["signed_headers"], body_hash)
        v.string_to_sign = acs3_string_to_sign(v.canonical_request)
        v.signature_ok = constant_eq(acs3_signature(secret, v.string_to_sign), v.extra["signature"])
    elif s == ROA:
        v.string_to_sign = roa_string_to_sign(req)
        ok = constant_eq(roa_signature(secret, v.string_to_sign), v.extra["signature"])
        if not ok and any(val == "" for _, val in req.query):
            alt = roa_string_to_sign(req, empty_value_form="name")
            if constant_eq(roa_signature(secret, alt), v.extra["signature"]):
                ok, v.string_to_sign = True, alt
        v.signature_ok = ok
    elif s == RPC:
        params = [(k, val) for k, val in rpc_params(req) if k != "Signature"]
        v.string_to_sign = rpc_string_to_sign(req.method, params)
        v.signature_ok = constant_eq(rpc_signature(secret, v.string_to_sign), v.extra["signature"])
    elif s in (LOG_SHA256, LOG_SHA1):
        v.string_to_sign = sls_v1_string_to_sign(req)
        method = "hmac-sha256" if s == LOG_SHA256 else "hmac-sha1"
        v.signature_ok = constant_eq(sls_v1_signature(secret, v.string_to_sign, method), v.extra["signature"])
    elif s == SLS4:
        body_hash = sha256_hex(req.body or b"")
        v.canonical_request = sls4_canonical_request(req, body_hash)
        scope = sls4_scope(v.extra["scope_date"], v.extra["region"])
        v.string_to_sign = sls4_string_to_sign(v.date or "", scope, v.canonical_request)
        key = sls4_signing_key(secret, v.extra["scope_date"], v.extra["region"])
        v.signature_ok = constant_eq(sls4_signature(key, v.string_to_sign), v.extra["signature"])
    else:
        v.signature_ok = False
    return v


def verify(req, secret_for):
    """Convenience for tests: identify, look the secret up with secret_for(key_id), check."""
    v = identify(req)
    if v.scheme == ANONYMOUS:
        return v
    secret = secret_for(v.access_key_id)
    if secret is None:
        return v
    return check(req, v, secret)
