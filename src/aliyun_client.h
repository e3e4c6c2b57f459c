/* aliyun_client.h: the Alibaba Cloud bridge: one request to CS (ROA), ARMS/CMS/STS (RPC) or
 * SLS, signed (aliyun_sign.h) with credentials from the chain (aliyun_creds.h) or given per
 * request, sent on the event loop (http_client.h), decoded, and retried when that is safe.
 *
 *   endpoints  per product: --endpoint cs=URL (repeatable; also ENDPOINTS=cs=URL,sts=URL),
 *              then <PRODUCT>_ENDPOINT (CS_ENDPOINT, STS_ENDPOINT, ARMS_ENDPOINT, SLS_ENDPOINT,
 *              CMS_ENDPOINT; ALIBABA_CLOUD_ECS_METADATA_ENDPOINT for "metadata"), then the
 *              public default (cs.<region>.aliyuncs.com, ...). A URL may hold "{region}".
 *              SLS puts the project in front of the host (<project>.<host>); for an address
 *              (127.0.0.1, localhost) it connects there and sends Host: <project>.<address>,
 *              as the SLS SDKs do.
 *   schemes    ACS3-HMAC-SHA256 for cs/arms/cms/sts, LOG v1 hmac-sha256 for sls; another per
 *              product with --signature cs=roa-sha1 (or SIGNATURES=cs=roa-sha1,cms=rpc-sha1).
 *   classes    a read (ROA/SLS GET, RPC Describe*|List*|Get*|Query*|Check*, SLS GetLogsV2 and
 *              CallAiTools POSTs) is retried with jittered exponential backoff on throttling,
 *              429, 5xx, timeouts and failed connections, re-signed each time; a job
 *              (gate_action_is_job) and a write are sent once and never repeated; a write
 *              passes the write gate first. An expired STS token from a refreshable source is
 *              refreshed and the request sent once more (the cloud refused it unexecuted).
 *
 * Ownership: aliyun_t is owned by the server. A call belongs to the bridge until its
 * callback has returned or it was cancelled (then no callback comes). */
#ifndef ACK_ALIYUN_CLIENT_H
#define ACK_ALIYUN_CLIENT_H

#include "aliyun_creds.h"
#include "config.h"
#include "gate.h"
#include "http_client.h"

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

typedef struct aliyun aliyun_t;
typedef struct aliyun_call aliyun_call_t;

typedef enum { ALIYUN_STYLE_ROA, ALIYUN_STYLE_RPC, ALIYUN_STYLE_SLS } aliyun_style_t;

typedef struct aliyun_request {
  aliyun_style_t style;
  const char *product;      /* cs, arms, cms, sts, sls */
  const char *action;       /* API name (ROA, RPC); SLS: optional, for errors and logs */
  const char *version;      /* NULL: the product's (cs 2015-12-15, arms 2019-08-08, cms 2019-01-01, sts 2015-04-01) */
  const char *method;       /* NULL: GET (ROA, SLS), POST (RPC) */
  const char *path;         /* ROA/SLS: raw segments, each is percent-encoded here; RPC: ignored ("/") */
  const json_t *query;      /* object name -> string (RPC: the API parameters); borrowed, may be NULL */
  const json_t *headers;    /* extra headers, lower-case names; borrowed, may be NULL */
  const char *body;         /* exact bytes, or NULL */
  size_t body_len;
  const char *content_type; /* NULL: application/json (ROA: ; charset=utf-8) when there is a body */
  const char *region;       /* NULL: the server's --region */
  const char *project;      /* SLS project (NULL: an account-level call on <region>.log...) */
  bool global;              /* CS: the global endpoint cs.aliyuncs.com */
  double timeout;           /* seconds per attempt; <= 0: --api-timeout */
  int retries;              /* reads only; < 0: the default (3) */
  size_t max_bytes;         /* response cap; 0: 16 MiB */
  const aliyun_credential_t *credentials; /* per-request credentials (copied), or NULL: the chain */
} aliyun_request_t;

typedef struct aliyun_result {
  long status;              /* HTTP status; 0 when no answer */
  json_t *headers;          /* response headers (lower-case names), or NULL */
  const char *body;         /* response body (success or error) */
  size_t len;
  const char *request_id;   /* x-acs-request-id, x-log-requestid or the body's, or NULL */
  int attempts;
  /* failure: code set */
  const char *code;         /* API code (Throttling.User, ...) or Timeout, ConnectionFailed,
                             * NoCredentials, WriteRefused, InvalidArgument, ... */
  const char *message;      /* for the model: the cloud's message plus what to check */
  bool retryable;           /* the kind of failure may go away by itself */
} aliyun_result_t;

typedef void (*aliyun_done_cb)(void *ud, const aliyun_result_t *r);

/* The message of per-request credentials with an id and no secret (or the reverse). */
#define ALIYUN_HALF_CREDENTIALS \
  "the request's credentials need both an AccessKey id and a secret (X-Aliyun-Access-Key-Id and X-Aliyun-Access-Key-Secret)"

aliyun_t *aliyun_new(uv_loop_t *loop, http_client_t *http, const config_t *cfg, const gate_t *gate);
/* Cancels nothing (calls are cancelled by their owners first); aborts a credential fetch. */
void aliyun_free(aliyun_t *a);

/* Starts a call. Returns NULL without calling done when it is refused or invalid before any
 * I/O (write gate, bad product/region/path, unusable per-request credentials): then *out
 * holds the error (its strings valid until the next call into this module). */
aliyun_call_t *aliyun_call(aliyun_t *a, const aliyun_request_t *req, aliyun_done_cb done, void *ud, aliyun_result_t *out);
void aliyun_call_cancel(aliyun_call_t *call);

/* The chain's current credentials (cb as in aliyun_creds.h), for aliyun.credentials(). */
aliyun_creds_t *aliyun_creds(aliyun_t *a);
/* Whether req is a read, a job (allowed read-only, never retried) or a write. */
typedef enum { ALIYUN_READ, ALIYUN_JOB, ALIYUN_WRITE } aliyun_class_t;
aliyun_class_t aliyun_classify(const aliyun_request_t *req);

/* Checks --endpoint and --signature values (known products, http(s) URLs, a scheme the
 * product can use); called by config validation. Returns 0 or ACK_EINVAL with err. */
int aliyun_config_check(const config_t *cfg, char *err, size_t errlen);

#endif
