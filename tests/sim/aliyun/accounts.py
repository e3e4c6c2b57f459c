"""Accounts, roles, STS credentials, nonces, and the authentication policy around signing.py.

Policy order for a signed request (POP gateway: CS/STS/ARMS/CMS):
  malformed Authorization -> IncompleteSignature
  missing signing fields  -> MissingParameter / IncompleteSignature
  unknown key             -> InvalidAccessKeyId.NotFound (404); disabled key -> .Inactive
  STS key                 -> MissingSecurityToken / InvalidSecurityToken.MismatchWithAccessKey /
                             InvalidSecurityToken.Expired
  time outside the window -> InvalidTimeStamp.Format / InvalidTimeStamp.Expired
  signature               -> SignatureDoesNotMatch (message carries the server's string to sign)
  nonce seen before       -> SignatureNonceUsed (recorded only once the signature verified)
SLS uses its own codes for the same checks (see authenticate_sls).

Token expiry follows the simulator's virtual clock (state.Clock), so a test can expire tokens
by advancing it; the signing-time window follows the wall clock, because clients sign with it.
"""

import base64
import hashlib
import email.utils
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import errors
import signing

ACCOUNT_ID = "1234567890123456"

FULL = "full"
READONLY = "readonly"


@dataclass
class Principal:
    identity_type: str          # "RAMUser" | "AssumedRoleUser"
    arn: str
    user_id: str
    principal_id: str
    profile: str                # FULL | READONLY
    role_name: str = None
    role_id: str = None
    session_name: str = None
    account_id: str = ACCOUNT_ID


@dataclass
class Credential:
    access_key_id: str
    secret: str
    principal: Principal
    kind: str = "permanent"     # "permanent" | "sts"
    token: str = None
    expires_at: float = None    # virtual-clock epoch seconds (sts only)
    enabled: bool = True
    source: str = "static"      # static | AssumeRole | AssumeRoleWithOIDC | metadata
    issued_at: float = None


@dataclass
class Role:
    name: str
    role_id: str
    profile: str
    max_session: int = 3600

    @property
    def arn(self):
        return f"acs:ram::{ACCOUNT_ID}:role/{self.name}"


DEFAULT_KEYS = [
    # id, secret, profile, user name, enabled
    ("LTAI5tSimFullAccess00001", "SimFullAccessSecret000000000001", FULL, "sim-admin", True),
    ("LTAI5tSimReadOnly0000002", "SimReadOnlySecret00000000000002", READONLY, "sim-readonly", True),
    ("LTAI5tSimDisabled0000003", "SimDisabledSecret00000000000003", FULL, "sim-disabled", False),
    # The reference's test-vector key, so fixed-clock vectors can be replayed in spirit.
    ("testid", "testsecret", FULL, "sim-vector", True),
]

DEFAULT_ROLES = [
    Role("ack-mcp", "300000000000000001", FULL),
    Role("ack-mcp-readonly", "300000000000000002", READONLY),
    Role("ack-mcp-node-role", "300000000000000003", FULL),
]


def mask(access_key_id):
    """Key ids never appear whole in the request log: first 4 and last 4 characters."""
    if not access_key_id:
        return access_key_id
    if len(access_key_id) <= 8:
        return access_key_id[:2] + "***"
    return access_key_id[:4] + "****" + access_key_id[-4:]


def iso_z(epoch):
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _alnum(n):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def new_security_token():
    """Opaque like the real ones, and always containing '+', '/' and '=' so that clients'
    encoding of the token in queries and headers is exercised."""
    body = base64.b64encode(os.urandom(60)).decode("ascii")
    return "CAIS" + body[:20] + "+" + body[20:40] + "/" + body[40:] + base64.b64encode(os.urandom(4)).decode("ascii")


class CredentialStore:
    def __init__(self, clock, sts_lifetime=None):
        self.clock = clock
        self.sts_lifetime = sts_lifetime    # seconds; overrides DurationSeconds when set
        self.lock = threading.Lock()
        self.creds = {}
        self.roles = {r.name: r for r in DEFAULT_ROLES}
        for kid, secret, profile, user, enabled in DEFAULT_KEYS:
            self.add_permanent(kid, secret, profile, user, enabled)

    def add_permanent(self, kid, secret, profile, user_name, enabled=True):
        uid = str(200000000000000000 + len(self.creds) + 1)
        p = Principal("RAMUser", f"acs:ram::{ACCOUNT_ID}:user/{user_name}", uid, uid, profile)
        with self.lock:
            self.creds[kid] = Credential(kid, secret, p, enabled=enabled)

    def permanent_keys(self):
        with self.lock:
            return [c for c in self.creds.values() if c.kind == "permanent"]

    def lookup(self, kid):
        with self.lock:
            return self.creds.get(kid)

    def issue(self, role, session_name, duration, source):
        lifetime = self.sts_lifetime if self.sts_lifetime is not None else duration
        kid = "STS.NT" + _alnum(26)
        p = Principal("AssumedRoleUser", f"acs:ram::{ACCOUNT_ID}:assumed-role/{role.name}/{session_name}",
                      f"{role.role_id}:{session_name}", f"{role.role_id}:{session_name}", role.profile,
                      role_name=role.name, role_id=role.role_id, session_name=session_name)
        now = self.clock.now()
        cred = Credential(kid, _alnum(44), p, kind="sts", token=new_security_token(),
                          expires_at=now + lifetime, source=source, issued_at=now)
        with self.lock:
            self.creds[kid] = cred
        return cred

    def expire_all(self):
        now = self.clock.now()
        with self.lock:
            n = 0
            for c in self.creds.values():
                if c.kind == "sts" and c.expires_at > now:
                    c.expires_at = now - 1
                    n += 1
            return n

    def expired(self, cred):
        return cred.kind == "sts" and self.clock.now() >= cred.expires_at


class NonceCache:
    """Nonces seen inside the skew window, per key id."""

    def __init__(self, window):
        self.window = window
        self.lock = threading.Lock()
        self.seen = {}

    def use(self, kid, nonce):
        now = time.time()
        with self.lock:
            if len(self.seen) > 50000:
                self.seen = {k: t for k, t in self.seen.items() if now - t < 2 * self.window}
            key = (kid, nonce)
            t = self.seen.get(key)
            if t is not None and now - t < 2 * self.window:
                return False
            self.seen[key] = now
            return True

    def clear(self):
        with self.lock:
            self.seen.clear()


@dataclass
class AuthResult:
    scheme: str
    principal: Principal = None
    credential: Credential = None
    verification: signing.Verification = None
    access_key_id: str = None
    verified: bool = False
    error: errors.ApiError = None
    info: dict = field(default_factory=dict)


def parse_iso_z(value):
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def parse_rfc1123(value):
    if not value or not value.endswith(" GMT"):
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def parse_compact(value):
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


class Authenticator:
    def __init__(self, store, nonces, max_skew=900):
        self.store = store
        self.nonces = nonces
        self.max_skew = max_skew

    # ------------------------------------------------------------------ POP gateway

    def authenticate_pop(self, req, rpc_style):
        """Returns AuthResult; .error is set (not raised) so the caller can still log and
        apply faults. An anonymous request has scheme 'anonymous' and error set."""
        try:
            v = signing.identify(req)
        except signing.SignatureFormatError as e:
            return AuthResult(scheme="malformed", error=errors.incomplete_signature(str(e)))
        res = AuthResult(scheme=v.scheme, verification=v, access_key_id=v.access_key_id)
        res.info["nonce"] = v.nonce
        res.info["date"] = v.date
        try:
            self._pop_checks(req, v, res, rpc_style)
        except errors.ApiError as e:
            res.error = e
        return res

    def _pop_checks(self, req, v, res, rpc_style):
        h = req.headers
        if v.scheme == signing.ANONYMOUS:
            if rpc_style:
                params = dict(signing.rpc_params(req))
                raise errors.missing_parameter("AccessKeyId" if "AccessKeyId" not in params else "Signature")
            raise errors.incomplete_signature("The Authorization header is missing.")
        if v.scheme not in (signing.ACS3, signing.ROA, signing.RPC):
            raise errors.incomplete_signature(f"Signature scheme {v.scheme} is not accepted by this endpoint.")
        if v.scheme == signing.ACS3:
            for name in ("x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256", "x-acs-version"):
                if not h.get(name):
                    raise errors.missing_parameter(name)
            unsigned = [n for n in signing.acs3_required_signed(req) if n not in v.extra["signed_headers"]]
            if unsigned:
                raise errors.incomplete_signature(f"Header {unsigned[0]} must be signed (SignedHeaders).")
            absent = [n for n in v.extra["signed_headers"] if n not in h]
            if absent:
                raise errors.incomplete_signature(f"Signed header {absent[0]} is not in the request.")
            acc = h.get("x-acs-accesskey-id")
            if acc is not None and acc != v.access_key_id:
                raise errors.incomplete_signature("x-acs-accesskey-id differs from the Credential.")
        elif v.scheme == signing.ROA:
            for name in ("date", "x-acs-signature-nonce", "x-acs-signature-method",
                         "x-acs-signature-version", "x-acs-version"):
                if not h.get(name):
                    raise errors.missing_parameter(name)
            if h["x-acs-signature-method"] != "HMAC-SHA1" or h["x-acs-signature-version"] != "1.0":
                raise errors.incomplete_signature("ROA signatures must be HMAC-SHA1, version 1.0.")
            md5 = h.get("content-md5")
            if md5 and md5 != base64.b64encode(hashlib.md5(req.body or b"").digest()).decode("ascii"):
                raise errors.ApiError(400, "InvalidContentMD5",
                                      "Content-MD5 is not the base64 MD5 of the request body.")
        else:
            params = dict(signing.rpc_params(req))
            for name in ("AccessKeyId", "Timestamp", "SignatureNonce", "SignatureMethod", "SignatureVersion"):
                if not params.get(name):
                    raise errors.missing_parameter(name)
            if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
                raise errors.incomplete_signature("RPC signatures must be HMAC-SHA1, SignatureVersion 1.0.")
        cred = self.store.lookup(v.access_key_id)
        if cred is None:
            raise errors.access_key_not_found()
        if not cred.enabled:
            raise errors.access_key_inactive()
        if cred.kind == "sts":
            if not v.security_token:
                raise errors.token_missing()
            if not signing.constant_eq(v.security_token, cred.token):
                raise errors.token_mismatch()
            if self.store.expired(cred):
                raise errors.token_expired()
        elif v.security_token:
            raise errors.token_mismatch()
        when = parse_rfc1123(v.date) if v.scheme == signing.ROA else parse_iso_z(v.date)
        if when is None:
            raise errors.timestamp_format(v.date)
        if abs(time.time() - when) > self.max_skew:
            raise errors.timestamp_expired(v.date)
        signing.check(req, v, cred.secret)
        res.credential, res.principal = cred, cred.principal
        if v.scheme == signing.ACS3 and h["x-acs-content-sha256"] != signing.sha256_hex(req.body or b""):
            err = errors.signature_mismatch(v.string_to_sign)
            err.message = "x-acs-content-sha256 is not the SHA-256 of the request body. " + err.message
            raise err
        if not v.signature_ok:
            raise errors.signature_mismatch(v.string_to_sign)
        res.verified = True
        if not self.nonces.use(v.access_key_id, v.nonce):
            res.verified = False
            raise errors.nonce_used()

    # ------------------------------------------------------------------ SLS

    def authenticate_sls(self, req):
        try:
            v = signing.identify(req)
        except signing.SignatureFormatError as e:
            return AuthResult(scheme="malformed", error=errors.sls(401, "Unauthorized", str(e)))
        res = AuthResult(scheme=v.scheme, verification=v, access_key_id=v.access_key_id)
        res.info["date"] = v.date
        try:
            self._sls_checks(req, v, res)
        except errors.ApiError as e:
            res.error = e
        return res

    def _sls_checks(self, req, v, res):
        h = req.headers
        if v.scheme == signing.ANONYMOUS:
            raise errors.sls(401, "Unauthorized", "The Authorization header is missing.")
        if v.scheme not in (signing.LOG_SHA1, signing.LOG_SHA256, signing.SLS4):
            raise errors.sls(401, "Unauthorized", f"Signature scheme {v.scheme} is not accepted by SLS.")
        if v.scheme == signing.SLS4:
            if not h.get("x-log-date"):
                raise errors.sls(400, "MissingDate", "x-log-date does not exist in http header.")
        else:
            if not h.get("date"):
                raise errors.sls(400, "MissingDate", "Date does not exist in http header.")
            m = h.get("x-log-signaturemethod", "hmac-sha1")
            if m not in ("hmac-sha1", "hmac-sha256"):
                raise errors.sls(400, "InvalidSignatureMethod", f"signature method {m} is not supported.")
        if not h.get("x-log-apiversion"):
            raise errors.sls(400, "MissingAPIVersion", "x-log-apiversion does not exist in http header.")
        if req.body and h.get("content-md5"):
            if hashlib.md5(req.body).hexdigest().upper() != h["content-md5"]:
                raise errors.sls(400, "InvalidContentMD5", "Content-MD5 does not match the body (upper-case hex "
                                                          "MD5 expected).")
        cred = self.store.lookup(v.access_key_id)
        if cred is None:
            raise errors.sls(401, "InvalidAccessKeyId", f"AccessKeyId not found: {v.access_key_id}")
        if not cred.enabled:
            raise errors.sls(401, "Unauthorized", "The AccessKeyId is disabled.")
        if cred.kind == "sts":
            if not v.security_token:
                raise errors.sls(401, "Unauthorized", "A security token is required for an STS AccessKeyId.")
            if not signing.constant_eq(v.security_token, cred.token):
                raise errors.sls(401, "Unauthorized", "The security token you provided is invalid.")
            if self.store.expired(cred):
                raise errors.sls(401, "SecurityTokenExpired", "The security token you provided has expired.")
        when = parse_compact(v.date) if v.scheme == signing.SLS4 else parse_rfc1123(v.date)
        if when is None:
            raise errors.sls(400, "InvalidDateFormat", f"Date {v.date} must follow RFC822.")
        if abs(time.time() - when) > self.max_skew:
            raise errors.sls(400, "RequestTimeExpired",
                             f"Request time {v.date} has been expired while server time is "
                             f"{email.utils.formatdate(usegmt=True)}.")
        signing.check(req, v, cred.secret)
        res.credential, res.principal = cred, cred.principal
        declared = h.get("x-log-content-sha256")
        if not v.signature_ok or (v.scheme == signing.SLS4 and declared != signing.sha256_hex(req.body or b"")):
            raise errors.sls(401, "SignatureNotMatch", f"Signature {v.extra.get('signature')} not matched.")
        res.verified = True

    # ------------------------------------------------------------------ Basic (ARMS Prometheus V2)

    def check_basic(self, user, password):
        cred = self.store.lookup(user)
        if cred is None or not cred.enabled or self.store.expired(cred):
            return None
        if not signing.constant_eq(password, cred.secret):
            return None
        return cred
