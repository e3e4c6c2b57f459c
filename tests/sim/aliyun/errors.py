"""Errors the simulator returns, and how each product family renders them.

Families:
  pop   the OpenAPI gateway shared by CS, STS, ARMS and CMS: authentication, RAM,
        throttling and gateway 5xx. Body {"RequestId","HostId","Code","Message","Recommend"},
        header x-acs-request-id.
  cs    CS business errors (unknown cluster, bad parameter): {"code","message","requestId","status"}
        (ack-api.md §2.1), header x-acs-request-id.
  sls   {"errorCode","errorMessage"}, request id in x-log-requestid.
  prom  Prometheus HTTP API: {"status":"error","errorType","error"}.
  imds  ECS metadata service: plain text.
"""

import json
import uuid


class ApiError(Exception):
    def __init__(self, status, code, message, family=None, headers=None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.family = family          # None: the router fills in the product's family
        self.headers = headers or {}


def pop_request_id():
    return str(uuid.uuid4()).upper()


def sls_request_id():
    return uuid.uuid4().hex[:24].upper()


PRODUCT_CODE = {"cs": "CS", "sts": "Sts", "arms": "ARMS", "cms": "Cms"}


def render(err, product, host, request_id):
    """Returns (status, headers, body bytes) for err in the family of `product`."""
    family = err.family or family_of(product)
    headers = dict(err.headers)
    if family == "sls":
        headers["x-log-requestid"] = request_id
        headers["content-type"] = "application/json"
        body = {"errorCode": err.code, "errorMessage": err.message}
    elif family == "prom":
        headers["content-type"] = "application/json"
        body = {"status": "error", "errorType": err.code, "error": err.message}
    elif family == "imds":
        headers["content-type"] = "text/plain"
        return err.status, headers, (err.message + "\n").encode("utf-8")
    elif family == "cs":
        headers["x-acs-request-id"] = request_id
        headers["content-type"] = "application/json;charset=utf-8"
        body = {"code": err.code, "message": err.message, "requestId": request_id, "status": err.status}
    else:
        headers["x-acs-request-id"] = request_id
        headers["content-type"] = "application/json;charset=utf-8"
        code = PRODUCT_CODE.get(product, "")
        body = {"RequestId": request_id, "HostId": host or "", "Code": err.code, "Message": err.message,
                "Recommend": f"https://api.aliyun.com/troubleshoot?q={err.code}&product={code}"
                             f"&requestId={request_id}"}
    return err.status, headers, json.dumps(body, separators=(",", ":")).encode("utf-8")


def family_of(product):
    return {"sls": "sls", "prometheus": "prom", "metadata": "imds"}.get(product, "pop")


# ---------------------------------------------------------------- gateway (pop) errors

def missing_parameter(name):
    return ApiError(400, "MissingParameter",
                    f'The input parameter "{name}" that is mandatory for processing this request is not supplied.')


def invalid_parameter(name, detail=""):
    msg = f'The specified parameter "{name}" is not valid.'
    return ApiError(400, "InvalidParameter", msg + (" " + detail if detail else ""))


def signature_mismatch(string_to_sign):
    return ApiError(400, "SignatureDoesNotMatch",
                    "Specified signature is not matched with our calculation. server string to sign is:"
                    + (string_to_sign or ""))


def incomplete_signature(detail):
    return ApiError(400, "IncompleteSignature",
                    "The request signature does not conform to Aliyun standards. " + detail)


def access_key_not_found():
    return ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")


def access_key_inactive():
    return ApiError(400, "InvalidAccessKeyId.Inactive", "Specified access key is disabled.")


def timestamp_expired(value):
    return ApiError(400, "InvalidTimeStamp.Expired",
                    f"Specified time stamp or date value is expired. ({value})")


def timestamp_format(value):
    return ApiError(400, "InvalidTimeStamp.Format",
                    f"Specified time stamp or date value is not well formatted. ({value})")


def nonce_used():
    return ApiError(400, "SignatureNonceUsed", "Specified signature nonce was used already.")


def token_missing():
    return ApiError(400, "MissingSecurityToken", "SecurityToken is mandatory for this action.")


def token_expired():
    return ApiError(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")


def token_mismatch():
    return ApiError(400, "InvalidSecurityToken.MismatchWithAccessKey",
                    "Specified SecurityToken mismatch with the AccessKey.")


def forbidden_ram(action):
    return ApiError(403, "Forbidden.RAM",
                    f"User not authorized to operate on the specified resource, or this API doesn't support RAM. "
                    f"(action: {action})")


def no_permission():
    return ApiError(403, "NoPermission",
                    "You are not authorized to do this action. You should be authorized by RAM.")


def throttling():
    return ApiError(400, "Throttling.User", "Request was denied due to user flow control.")


def service_unavailable():
    return ApiError(503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")


def internal_error():
    return ApiError(500, "InternalError",
                    "The request processing has failed due to some unknown error, exception or failure.")


def api_not_found(method, path):
    return ApiError(404, "InvalidAction.NotFound",
                    f"Specified api is not found, please check your url and method. ({method} {path})")


def invalid_version(version):
    return ApiError(400, "InvalidVersion", f'Specified parameter Version "{version}" is not valid.')


# ---------------------------------------------------------------- SLS errors

def sls(status, code, message):
    return ApiError(status, code, message, family="sls")


# ---------------------------------------------------------------- CS business errors

def cs(status, code, message):
    return ApiError(status, code, message, family="cs")


def cluster_not_found(cluster_id):
    return cs(404, "ErrorClusterNotFound", f"The specified cluster {cluster_id} not found.")


def nodepool_not_found(nodepool_id):
    return cs(404, "ErrorNodePoolNotFound", f"The specified nodepool {nodepool_id} not found.")
