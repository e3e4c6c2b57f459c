/* aliyun_sign.h: Alibaba Cloud request signing (reference: shared/reference/aliyun-signing.md).
 *
 * Schemes and what they are for:
 *   ALIYUN_ACS3        ACS3-HMAC-SHA256 (V3): CS (ROA-style REST, JSON bodies) and the RPC-style
 *                      APIs CMS, ARMS, STS (API parameters in the query, path "/", no body, no
 *                      Action/Version parameters: those travel as x-acs-action/-version).
 *                      The default for every non-SLS product.
 *   ALIYUN_ROA_SHA1    legacy CS signer, "Authorization: acs <id>:<base64 HMAC-SHA1>".
 *   ALIYUN_RPC_SHA1    legacy CMS/ARMS/STS signer: Action, Version, Format, AccessKeyId,
 *                      SignatureMethod/-Version/-Nonce, Timestamp, SecurityToken and finally
 *                      Signature are added to req->query (Format only when absent: "JSON").
 *                      Form-body parameters are signed too (when content-type is
 *                      application/x-www-form-urlencoded).
 *   ALIYUN_SLS_SHA256  SLS "LOG <id>:<sig>" v1 with x-log-signaturemethod: hmac-sha256 (GetLogs,
 *                      CallAiTools, every SLS 2020-12-30 API). The default for SLS.
 *   ALIYUN_SLS_SHA1    the same with hmac-sha1.
 *   ALIYUN_SLS4        SLS4-HMAC-SHA256 (SLS V4; needs req->region).
 *
 * Ownership: req->query and req->headers are the caller's jansson objects and are MUTATED in
 * place: signing adds (or replaces) the parameters / headers the scheme needs, including
 * "authorization" (or the RPC "Signature" parameter). Query values are the raw (decoded)
 * strings; send the query as aliyun_query_string(req->query) returns it. Send every header in
 * req->headers exactly as it is after signing (names are lower-case). Re-signing the same
 * request (a retry) is allowed and required: it replaces the date, nonce and signature.
 *
 * Headers: names must be lower-case; values strings. Headers the scheme always sets (date,
 * x-acs-date, nonce, content hashes, x-acs-action/-version, signature method, STS token,
 * authorization) overwrite the caller's. Defaults (accept: application/json; with a body,
 * content-type: "application/json; charset=utf-8" for ACS3/ROA, "application/json" for SLS;
 * x-log-apiversion: 0.6.0; x-log-bodyrawsize: body_len) are added only when absent. A header the caller sets to
 * JSON null is one it wants left out (e.g. x-log-bodyrawsize for an old SLS endpoint): signing
 * deletes it and does not add it.
 *
 * Nothing here does I/O; the functions are thread-safe (RAND_bytes aside, which OpenSSL makes
 * safe). The secret never appears in an error message or in a trace (the STS token, which is
 * signed, does appear in a trace's canonical request / string to sign).
 */
#ifndef ACK_ALIYUN_SIGN_H
#define ACK_ALIYUN_SIGN_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

typedef enum {
  ALIYUN_ACS3,
  ALIYUN_ROA_SHA1,
  ALIYUN_RPC_SHA1,
  ALIYUN_SLS_SHA256,
  ALIYUN_SLS_SHA1,
  ALIYUN_SLS4,
} aliyun_scheme_t;

typedef struct aliyun_cred {
  const char *access_key_id;
  const char *access_key_secret;
  const char *security_token; /* NULL (or "") unless STS credentials */
} aliyun_cred_t;

typedef struct aliyun_sign_req {
  const char *method;   /* upper-case: GET, POST, ... */
  const char *host;     /* host[:port] exactly as sent; becomes the "host" header (signed by
                         * ACS3 and SLS4). NULL: use headers["host"] if any. */
  const char *path;     /* as sent on the wire, segments already percent-encoded, no "?";
                         * "/" for RPC-style APIs. NULL or "" means "/". */
  json_t *query;        /* object: name -> string (integers accepted); NULL = no query for the
                         * HTTP schemes. RPC_SHA1 needs an object (it adds its parameters). */
  json_t *headers;      /* object: lower-case name -> string (or null, see above); required */
  const char *body;     /* exact bytes sent; NULL with body_len 0 when there is none */
  size_t body_len;
  const char *action;   /* API name: ACS3 x-acs-action (required), ROA x-acs-action (optional),
                         * RPC Action (required); ignored by SLS */
  const char *version;  /* API version: ACS3/ROA x-acs-version, RPC Version (all required) */
  const char *region;   /* SLS4 scope region (required there); RPC RegionId is a normal query
                         * parameter the caller sets */
  time_t now;           /* 0: time(NULL) */
  const char *nonce;    /* NULL: 32 fresh hex chars from RAND_bytes on every call */
} aliyun_sign_req_t;

/* What the signer computed, for tests and for logging a SignatureDoesNotMatch next to the
 * server's own string to sign. All malloc'd (NULL where the scheme has no such step);
 * free with aliyun_sign_trace_free. signing_key_hex is the SLS4 derived key: a credential
 * (valid for a day and a region), for tests only, never log it. */
typedef struct aliyun_sign_trace {
  char *canonical_request; /* ACS3, SLS4 */
  char *string_to_sign;    /* every scheme */
  char *signing_key_hex;   /* SLS4 */
  char *signature;         /* the signature as computed (hex or base64, not percent-encoded) */
} aliyun_sign_trace_t;

/* Signs req in place per scheme. Returns 0, or ACK_EINVAL (bad input: missing id/secret,
 * upper-case header name, CR/LF in a header value, '?' in path, ...) or ACK_EIO (no random
 * bytes) with a message in err; on failure req's objects are left unchanged. Never puts the
 * secret (or the token) in err. */
int aliyun_sign(aliyun_scheme_t s, const aliyun_cred_t *cred, aliyun_sign_req_t *req, char *err,
                size_t errlen);
/* Same, also filling *trace (when non-NULL; zero it first or free it between calls). */
int aliyun_sign_traced(aliyun_scheme_t s, const aliyun_cred_t *cred, aliyun_sign_req_t *req,
                       aliyun_sign_trace_t *trace, char *err, size_t errlen);
void aliyun_sign_trace_free(aliyun_sign_trace_t *trace);

/* The percent-encoded, name-sorted query string of query ("" when NULL or empty; no leading
 * "?"), as the wire must carry it for the signature to match (RFC 3986 unreserved set,
 * upper-case hex). Caller frees. NULL if a value is neither a string nor an integer. */
char *aliyun_query_string(const json_t *query);
/* RFC 3986 percent-encoding of §1 (keeps A-Z a-z 0-9 - _ . ~), for path segments and values.
 * Caller frees. */
char *aliyun_percent_encode(const char *s, size_t len);
/* Parses a scheme name ("acs3", "roa-sha1", "rpc-sha1", "sls-sha256", "sls-sha1", "sls4").
 * Returns the aliyun_scheme_t, or -1 when unknown. */
int aliyun_scheme_parse(const char *name);
/* The inverse: the names above. */
const char *aliyun_scheme_name(aliyun_scheme_t s);

#endif
