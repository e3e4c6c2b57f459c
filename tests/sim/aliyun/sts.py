"""STS (2015-04-01): AssumeRoleWithOIDC (unsigned), AssumeRole, GetCallerIdentity.

OIDC tokens: the simulator writes a JWT-shaped token to <state-dir>/oidc-token and accepts exactly
the tokens it wrote (standing in for the provider's signature check) while they are unexpired
on the virtual clock. POST /_sim/oidc/rotate writes a new one (optionally already expired).
"""

import base64
import json
import os
import re
import secrets
import threading

import errors
import signing
from accounts import ACCOUNT_ID, iso_z
from common import ok

VERSION = "2015-04-01"
ACTIONS = {"AssumeRoleWithOIDC": "read", "AssumeRole": "read", "GetCallerIdentity": "read"}

SESSION_NAME = re.compile(r"^[\w.@-]{2,64}$")
ROLE_ARN = re.compile(r"^acs:ram::(\d+):role/([\w.@+=,-]{1,64})$")


def _b64url(data):
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


class OIDC:
    def __init__(self, clock, state_dir, provider_arn, issuer, lifetime=3600):
        self.clock = clock
        self.path = os.path.join(state_dir, "oidc-token")
        self.provider_arn = provider_arn
        self.issuer = issuer
        self.lifetime = lifetime
        self.subject = "system:serviceaccount:ack-mcp:ack-mcp-server"
        self.lock = threading.Lock()
        self.tokens = {}    # token -> claims
        self.rotate()

    def rotate(self, lifetime=None):
        now = int(self.clock.now())
        life = self.lifetime if lifetime is None else int(lifetime)
        claims = {"iss": self.issuer, "sub": self.subject, "aud": ["sts.aliyuncs.com"],
                  "iat": now, "nbf": now, "exp": now + life}
        header = {"alg": "RS256", "kid": "aliyun-sim", "typ": "JWT"}
        token = ".".join([_b64url(json.dumps(header).encode()), _b64url(json.dumps(claims).encode()),
                          _b64url(secrets.token_bytes(64))])
        with self.lock:
            self.tokens[token] = claims
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(token)
        os.replace(tmp, self.path)      # rotated atomically, as the kubelet does
        return token, claims

    def check(self, token):
        with self.lock:
            claims = self.tokens.get(token.strip())
        if claims is None:
            raise errors.ApiError(400, "AuthenticationFail.OIDCToken.Invalid",
                                  "The OIDC token is invalid: signature verification failed.")
        if self.clock.now() >= claims["exp"]:
            raise errors.ApiError(400, "AuthenticationFail.OIDCToken.Expired",
                                  f"The OIDC token is expired at {iso_z(claims['exp'])}.")
        return claims


def _params(call):
    return dict(signing.rpc_params(call.req))


def _role(call, arn):
    m = ROLE_ARN.match(arn or "")
    if not m:
        raise errors.ApiError(400, "InvalidParameter.RoleArn", f"The parameter RoleArn {arn!r} is invalid.")
    role = call.app.store.roles.get(m.group(2))
    if m.group(1) != ACCOUNT_ID or role is None:
        raise errors.ApiError(404, "EntityNotExist.Role", f"The role not exists: {arn}.")
    return role


def _duration(params, role):
    raw = params.get("DurationSeconds") or "3600"
    try:
        d = int(raw)
    except ValueError:
        raise errors.ApiError(400, "InvalidParameter.DurationSeconds", f"DurationSeconds {raw!r} is not an integer.")
    if d < 900 or d > role.max_session:
        raise errors.ApiError(400, "InvalidParameter.DurationSeconds",
                              f"The DurationSeconds must be in [900, {role.max_session}].")
    return d


def _session_name(params, required=True):
    name = params.get("RoleSessionName")
    if not name:
        if required:
            raise errors.missing_parameter("RoleSessionName")
        return None
    if not SESSION_NAME.match(name):
        raise errors.ApiError(400, "InvalidParameter.RoleSessionName",
                              "RoleSessionName must be 2-64 characters of [A-Za-z0-9_.@-].")
    return name


def _creds(cred):
    return {"AccessKeyId": cred.access_key_id, "AccessKeySecret": cred.secret,
            "SecurityToken": cred.token, "Expiration": iso_z(cred.expires_at)}


def assume_role_with_oidc(call):
    p = _params(call)
    for name in ("OIDCProviderArn", "OIDCToken", "RoleArn"):
        if not p.get(name):
            raise errors.missing_parameter(name)
    oidc = call.app.oidc
    if p["OIDCProviderArn"] != oidc.provider_arn:
        raise errors.ApiError(404, "EntityNotExist.OIDCProvider",
                              f"The OIDC provider not exists: {p['OIDCProviderArn']}.")
    role = _role(call, p["RoleArn"])
    if role.name == "ack-mcp-node-role":
        raise errors.ApiError(403, "AuthenticationFail.NoPermission",
                              f"The role {role.arn} does not trust the OIDC provider.")
    session = _session_name(p, required=False) or "ack-mcp-" + secrets.token_hex(4)
    duration = _duration(p, role)
    claims = oidc.check(p["OIDCToken"])
    cred = call.app.store.issue(role, session, duration, "AssumeRoleWithOIDC")
    return ok({"RequestId": call.request_id,
               "OIDCTokenInfo": {"Subject": claims["sub"], "Issuer": claims["iss"], "ClientIds": "sts.aliyuncs.com",
                                 "ExpirationTime": iso_z(claims["exp"]), "IssuanceTime": iso_z(claims["iat"]),
                                 "VerificationInfo": "Success"},
               "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{session}",
                                   "Arn": f"acs:ram::{ACCOUNT_ID}:assumed-role/{role.name}/{session}"},
               "Credentials": _creds(cred)})


def assume_role(call):
    p = _params(call)
    if not p.get("RoleArn"):
        raise errors.missing_parameter("RoleArn")
    session = _session_name(p)
    role = _role(call, p["RoleArn"])
    if call.principal.profile != "full" and role.profile == "full":
        raise errors.no_permission()
    duration = _duration(p, role)
    cred = call.app.store.issue(role, session, duration, "AssumeRole")
    return ok({"RequestId": call.request_id,
               "AssumedRoleUser": {"AssumedRoleId": f"{role.role_id}:{session}",
                                   "Arn": f"acs:ram::{ACCOUNT_ID}:assumed-role/{role.name}/{session}"},
               "Credentials": _creds(cred)})


def get_caller_identity(call):
    pr = call.principal
    body = {"RequestId": call.request_id, "AccountId": pr.account_id, "UserId": pr.user_id, "Arn": pr.arn,
            "IdentityType": pr.identity_type, "PrincipalId": pr.principal_id}
    if pr.role_id:
        body["RoleId"] = pr.role_id
    return ok(body)


HANDLERS = {"AssumeRoleWithOIDC": assume_role_with_oidc, "AssumeRole": assume_role,
            "GetCallerIdentity": get_caller_identity}


def handle(call):
    return HANDLERS[call.action](call)
