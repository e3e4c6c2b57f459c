/* aliyun_client.c: the bridge of aliyun_client.h. A call is a small state machine on the
 * loop: get credentials (maybe waiting for a fetch) -> sign a fresh copy of the request ->
 * send -> decode -> done, or back off on a timer and start over (reads only). */
#include "aliyun_client.h"

#include "ack.h"
#include "aliyun_sign.h"
#include "log.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_RETRIES 3
#define MAX_RETRIES 10
#define BACKOFF_BASE 0.3         /* seconds before the first retry (then doubling) ... */
#define BACKOFF_CAP 8.0          /* ... up to this, each scaled by a random 50-100 % */
#define DEFAULT_MAX_BYTES (16u << 20)
#define MESSAGE_MAX 1500         /* of the cloud's message: a signature mismatch quotes a lot */

/* What the bridge knows of each product. */
typedef struct product {
  const char *name;
  const char *version;     /* API version sent when the caller gives none */
  const char *host;        /* default host, "%s" = region */
  const char *global_host; /* CS, CMS: without a region */
  aliyun_scheme_t scheme;  /* default signature */
  const char *env;         /* endpoint override from the environment */
} product_t;

static const product_t products[] = {
  { "cs", "2015-12-15", "cs.%s.aliyuncs.com", "cs.aliyuncs.com", ALIYUN_ACS3, "CS_ENDPOINT" },
  { "arms", "2019-08-08", "arms.%s.aliyuncs.com", NULL, ALIYUN_ACS3, "ARMS_ENDPOINT" },
  { "cms", "2019-01-01", "metrics.%s.aliyuncs.com", "metrics.aliyuncs.com", ALIYUN_ACS3, "CMS_ENDPOINT" },
  { "sts", "2015-04-01", "sts.aliyuncs.com", "sts.aliyuncs.com", ALIYUN_ACS3, "STS_ENDPOINT" },
  { "sls", NULL, "%s.log.aliyuncs.com", NULL, ALIYUN_SLS_SHA256, "SLS_ENDPOINT" },
  { "metadata", NULL, "100.100.100.200", NULL, ALIYUN_ACS3, "ALIBABA_CLOUD_ECS_METADATA_ENDPOINT" },
};
#define NPRODUCTS ACK_ARRAY_LEN(products)
#define PRODUCT_STS 3
#define PRODUCT_METADATA 5

struct aliyun {
  uv_loop_t *loop;
  http_client_t *http;
  const config_t *cfg;
  const gate_t *gate;
  aliyun_creds_t *creds;
  char *endpoint[NPRODUCTS];        /* override (may hold {region}), or NULL */
  aliyun_scheme_t scheme[NPRODUCTS];
  uint64_t rng;
  char sync_code[96], sync_msg[3200]; /* the error of a call refused before any I/O */
};

struct aliyun_call {
  aliyun_t *a;
  const product_t *prod;
  aliyun_style_t style;
  aliyun_class_t cls;
  aliyun_scheme_t scheme;
  char *action, *version, *method, *path, *region, *project, *body, *content_type;
  size_t body_len, max_bytes;
  json_t *query, *headers;
  bool global;
  double timeout;
  int retries, attempts;
  aliyun_credential_t own;          /* per-request credentials (own.access_key_id NULL: the chain) */
  char used_id[160];                /* the AccessKey id of the last attempt, to invalidate it */
  char *used_secret, *used_token;   /* of the last attempt: masked out of the cloud's messages */
  bool refreshed, cancelled;
  aliyun_creds_waiter_t waiter;
  http_req_t *req;
  uv_timer_t timer;                 /* backoff; its close callback frees the call */
  aliyun_done_cb done;
  void *ud;
  char code[96], request_id[128], message[3200];
};

/* ---- helpers ------------------------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return ACK_EINVAL;
}

static const product_t *product_find(const char *name, size_t len) {
  for (size_t i = 0; name && i < NPRODUCTS; i++)
    if (strlen(products[i].name) == len && strncmp(products[i].name, name, len) == 0) return &products[i];
  return NULL;
}

static bool is_name(const char *s, size_t max) {
  size_t n = s ? strlen(s) : 0;
  if (!n || n > max) return false;
  for (size_t i = 0; i < n; i++)
    if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-')) return false;
  return true;
}

static bool http_url(const char *u) { return strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0; }

static char *xdup(const char *s) { return s ? ack_strdup(s) : NULL; }

/* Replaces every "{region}" in tmpl. */
static void expand_region(const char *tmpl, const char *region, char *out, size_t n) {
  size_t len = 0;
  out[0] = '\0';
  for (const char *p = tmpl; *p && len + 1 < n;) {
    if (strncmp(p, "{region}", 8) == 0) {
      len += (size_t)snprintf(out + len, n - len, "%s", region);
      p += 8;
    } else {
      out[len++] = *p++;
      out[len] = '\0';
    }
    if (len >= n) len = n - 1;
  }
}

/* Path with each byte outside the unreserved set and '/' percent-encoded (§1). */
static char *encode_path(const char *raw) {
  static const char hex[] = "0123456789ABCDEF";
  char *out = ack_xmalloc(strlen(raw) * 3 + 1), *o = out;
  for (const unsigned char *p = (const unsigned char *)raw; *p; p++) {
    if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' || *p == '/') {
      *o++ = (char)*p;
    } else {
      *o++ = '%';
      *o++ = hex[*p >> 4];
      *o++ = hex[*p & 15];
    }
  }
  *o = '\0';
  return out;
}

static double jitter(aliyun_t *a) {
  a->rng ^= a->rng << 13; /* xorshift64: spreading retries needs no cryptography */
  a->rng ^= a->rng >> 7;
  a->rng ^= a->rng << 17;
  return 0.5 + 0.5 * (double)(a->rng >> 11) / (double)(1ULL << 53);
}

/* Masks every occurrence of s in buf. */
static void scrub(char *buf, const char *s) {
  size_t n = s ? strlen(s) : 0;
  if (n < 4) return;
  for (char *p = strstr(buf, s); p; p = strstr(p + n, s)) memset(p, '*', n);
}

/* ---- configuration ------------------------------------------------------------------- */

static int parse_pair(const char *item, const char *what, const product_t **prod, const char **value, char *err,
                      size_t errlen) {
  const char *eq = strchr(item, '=');
  if (!eq) return fail(err, errlen, "--%s %s: expected PRODUCT=VALUE", what, item);
  *prod = product_find(item, (size_t)(eq - item));
  if (!*prod) return fail(err, errlen, "--%s %s: unknown product '%.*s' (cs, arms, sls, cms, sts, metadata)", what, item, (int)(eq - item), item);
  *value = eq + 1;
  return 0;
}

int aliyun_config_check(const config_t *cfg, char *err, size_t errlen) {
  const product_t *p;
  const char *v;
  for (char **e = cfg->endpoints; e && *e; e++) {
    if (parse_pair(*e, "endpoint", &p, &v, err, errlen)) return ACK_EINVAL;
    if (!*v) return fail(err, errlen, "--endpoint %s: empty URL", *e);
    if (strstr(v, "://") && !http_url(v)) return fail(err, errlen, "--endpoint %s: the URL must be http:// or https://", *e);
  }
  for (char **e = cfg->signatures; e && *e; e++) {
    if (parse_pair(*e, "signature", &p, &v, err, errlen)) return ACK_EINVAL;
    int s = aliyun_scheme_parse(v);
    bool sls = p->scheme == ALIYUN_SLS_SHA256;
    bool ok = s >= 0 && strcmp(p->name, "metadata") != 0 &&
              (sls ? (s == ALIYUN_SLS_SHA256 || s == ALIYUN_SLS_SHA1 || s == ALIYUN_SLS4)
                   : (s == ALIYUN_ACS3 || s == (strcmp(p->name, "cs") == 0 ? ALIYUN_ROA_SHA1 : ALIYUN_RPC_SHA1)));
    if (!ok)
      return fail(err, errlen, "--signature %s: %s takes %s", *e, p->name,
                  sls ? "sls-sha256, sls-sha1 or sls4" : strcmp(p->name, "cs") == 0 ? "acs3 or roa-sha1" : "acs3 or rpc-sha1");
  }
  return 0;
}

/* scheme://host[:port] of product p (override first), with region filled in. */
static void base_url(const aliyun_t *a, const product_t *p, const char *region, bool global, char *out, size_t n) {
  const char *over = a->endpoint[p - products];
  char buf[512];
  if (over) {
    expand_region(over, region, buf, sizeof buf);
    size_t len = strlen(buf);
    while (len && buf[len - 1] == '/') buf[--len] = '\0';
    snprintf(out, n, "%s%s", http_url(buf) ? "" : "https://", buf);
    return;
  }
  if (p == &products[PRODUCT_METADATA]) {
    snprintf(out, n, "http://%s", p->host);
    return;
  }
  if (p == &products[PRODUCT_STS]) { /* STS: ALIBABA_CLOUD_STS_REGION and the VPC switch, as the SDKs do */
    const char *r = getenv("ALIBABA_CLOUD_STS_REGION");
    const char *vpc = getenv("ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED");
    if (r && *r) {
      snprintf(out, n, "https://sts%s.%s.aliyuncs.com", vpc && strcasecmp(vpc, "true") == 0 ? "-vpc" : "", r);
      return;
    }
  }
  if (global && p->global_host) {
    snprintf(out, n, "https://%s", p->global_host);
    return;
  }
  snprintf(buf, sizeof buf, p->host, region);
  snprintf(out, n, "https://%s", buf);
}

aliyun_t *aliyun_new(uv_loop_t *loop, http_client_t *http, const config_t *cfg, const gate_t *gate) {
  aliyun_t *a = ack_xcalloc(1, sizeof *a);
  a->loop = loop;
  a->http = http;
  a->cfg = cfg;
  a->gate = gate;
  a->rng = uv_hrtime() | 1;
  for (size_t i = 0; i < NPRODUCTS; i++) {
    a->scheme[i] = products[i].scheme;
    const char *env = getenv(products[i].env);
    if (env && *env) a->endpoint[i] = ack_strdup(env);
  }
  const product_t *p;
  const char *v;
  char err[300];
  for (char **e = cfg->endpoints; e && *e; e++) /* flags (and ENDPOINTS) win over <PRODUCT>_ENDPOINT */
    if (parse_pair(*e, "endpoint", &p, &v, err, sizeof err) == 0) {
      free(a->endpoint[p - products]);
      a->endpoint[p - products] = ack_strdup(v);
    }
  for (char **e = cfg->signatures; e && *e; e++)
    if (parse_pair(*e, "signature", &p, &v, err, sizeof err) == 0 && aliyun_scheme_parse(v) >= 0)
      a->scheme[p - products] = (aliyun_scheme_t)aliyun_scheme_parse(v);
  char sts[512], md[512];
  const char *region = cfg->region ? cfg->region : "cn-hangzhou";
  base_url(a, &products[PRODUCT_STS], region, true, sts, sizeof sts);
  base_url(a, &products[PRODUCT_METADATA], region, false, md, sizeof md);
  aliyun_creds_opts_t co = { cfg->access_key_id, cfg->access_key_secret, sts, md, cfg->api_timeout > 0 ? cfg->api_timeout : 10 };
  a->creds = aliyun_creds_new(loop, http, &co);
  for (size_t i = 0; i < NPRODUCTS; i++)
    if (a->endpoint[i]) log_info("aliyun: %s endpoint %s", products[i].name, a->endpoint[i]);
  return a;
}

void aliyun_free(aliyun_t *a) {
  if (!a) return;
  aliyun_creds_free(a->creds);
  for (size_t i = 0; i < NPRODUCTS; i++) free(a->endpoint[i]);
  free(a);
}

aliyun_creds_t *aliyun_creds(aliyun_t *a) { return a->creds; }

/* ---- classification ------------------------------------------------------------------ */

static const char *method_of(const aliyun_request_t *r) {
  return r->method ? r->method : r->style == ALIYUN_STYLE_RPC ? "POST" : "GET";
}

aliyun_class_t aliyun_classify(const aliyun_request_t *r) {
  static const char *const read_prefixes[] = { "Describe", "List", "Get", "Query", "Check" };
  const char *m = method_of(r);
  if (gate_action_is_job(r->product, r->action, m, r->path)) return ALIYUN_JOB;
  bool safe = strcasecmp(m, "GET") == 0 || strcasecmp(m, "HEAD") == 0;
  switch (r->style) {
  case ALIYUN_STYLE_RPC:
    for (size_t i = 0; r->action && i < ACK_ARRAY_LEN(read_prefixes); i++)
      if (strncmp(r->action, read_prefixes[i], strlen(read_prefixes[i])) == 0 &&
          isupper((unsigned char)r->action[strlen(read_prefixes[i])]))
        return ALIYUN_READ;
    return ALIYUN_WRITE;
  case ALIYUN_STYLE_SLS: {
    /* Two SLS reads are POSTs: GetLogsV2 (POST /logstores/<ls>/logs) and CallAiTools. */
    const char *p = r->path ? r->path : "/";
    if (safe) return ALIYUN_READ;
    if (strcasecmp(m, "POST") != 0) return ALIYUN_WRITE;
    if (strcmp(p, "/ml/tool/call") == 0) return ALIYUN_READ;
    if (strncmp(p, "/logstores/", 11) == 0) {
      const char *slash = strchr(p + 11, '/');
      if (slash && slash > p + 11 && strcmp(slash, "/logs") == 0) return ALIYUN_READ;
    }
    return ALIYUN_WRITE;
  }
  default: return safe ? ALIYUN_READ : ALIYUN_WRITE;
  }
}

/* ---- errors -------------------------------------------------------------------------- */

/* What the model should check, by the cloud's code. */
static const char *hint_for(const char *code) {
  static const struct {
    const char *prefix, *hint;
  } hints[] = {
    { "SignatureDoesNotMatch", "check the AccessKey secret" },
    { "SignatureNotMatch", "check the AccessKey secret" },
    { "IncompleteSignature", "the request was signed incompletely: check the signature scheme (--signature)" },
    { "InvalidAccessKeyId.Inactive", "the AccessKey is disabled" },
    { "InvalidAccessKeyId", "check the AccessKey id" },
    { "InvalidSecurityToken.Expired", "the STS security token has expired: renew it, or use a source that refreshes (RRSA, ECS RAM role)" },
    { "SecurityTokenExpired", "the STS security token has expired: renew it, or use a source that refreshes (RRSA, ECS RAM role)" },
    { "InvalidSecurityToken", "the STS security token does not belong to this AccessKey id" },
    { "MissingSecurityToken", "STS AccessKey ids (STS.*) need their security token" },
    { "InvalidTimeStamp", "check this machine's clock (requests must be within 15 minutes of the cloud's)" },
    { "RequestTimeExpired", "check this machine's clock (requests must be within 15 minutes of the cloud's)" },
    { "Forbidden.RAM", "the RAM identity is not allowed this action: grant the permission or use another AccessKey" },
    { "NoPermission", "the RAM identity is not allowed this action: grant the permission or use another AccessKey" },
    { "Unauthorized", "the identity is not allowed this request" },
    { "Throttling", "the cloud is throttling requests" },
    { "ReadQuotaExceed", "the SLS read quota is exhausted for now" },
    { "WriteQuotaExceed", "the SLS write quota is exhausted for now" },
  };
  for (size_t i = 0; code && i < ACK_ARRAY_LEN(hints); i++)
    if (strncmp(code, hints[i].prefix, strlen(hints[i].prefix)) == 0) return hints[i].hint;
  return NULL;
}

static bool retryable(long status, const char *code) {
  static const char *const codes[] = { "Throttling", "ServiceUnavailable", "InternalError", "InternalServerError",
                                       "ReadQuotaExceed", "WriteQuotaExceed", "Timeout", "ConnectionFailed" };
  if (status == 429 || status == 500 || status == 502 || status == 503 || status == 504) return true;
  for (size_t i = 0; code && i < ACK_ARRAY_LEN(codes); i++)
    if (strncmp(code, codes[i], strlen(codes[i])) == 0) return true;
  return false;
}

static bool token_expired(const char *code) {
  return strcmp(code, "InvalidSecurityToken.Expired") == 0 || strcmp(code, "SecurityTokenExpired") == 0;
}

static const char *str_or_num(const json_t *v, char *buf, size_t n) {
  if (json_is_string(v)) return json_string_value(v);
  if (json_is_integer(v)) {
    snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    return buf;
  }
  return NULL;
}

static const char *status_code(long status) {
  switch (status) {
  case 400: return "BadRequest";
  case 401: return "Unauthorized";
  case 403: return "Forbidden";
  case 404: return "NotFound";
  case 409: return "Conflict";
  case 429: return "Throttling";
  case 500: return "InternalError";
  case 502: return "BadGateway";
  case 503: return "ServiceUnavailable";
  case 504: return "GatewayTimeout";
  default: return "HttpError";
  }
}

/* Fills call->code, ->message (the cloud's, raw) and ->request_id from an answer that failed. */
static void read_error(aliyun_call_t *c, const http_response_t *resp, json_t *body) {
  char num[32];
  const char *code = str_or_num(json_object_get(body, "Code"), num, sizeof num);
  if (!code) code = json_string_value(json_object_get(body, "code"));
  if (!code) code = json_string_value(json_object_get(body, "errorCode"));
  const char *msg = json_string_value(json_object_get(body, "Message"));
  if (!msg) msg = json_string_value(json_object_get(body, "message"));
  if (!msg) msg = json_string_value(json_object_get(body, "errorMessage"));
  snprintf(c->code, sizeof c->code, "%s", code && *code ? code : status_code(resp->status));
  if (msg) snprintf(c->message, sizeof c->message, "%.*s", MESSAGE_MAX, msg);
  else if (resp->len && !body) snprintf(c->message, sizeof c->message, "HTTP %ld: %.200s", resp->status, resp->body);
  else snprintf(c->message, sizeof c->message, "HTTP %ld", resp->status);
}

static void read_request_id(aliyun_call_t *c, const http_response_t *resp, json_t *body) {
  static const char *const headers[] = { "x-acs-request-id", "x-log-requestid" };
  static const char *const fields[] = { "RequestId", "requestId", "request_id" };
  const char *id = NULL;
  for (size_t i = 0; !id && i < ACK_ARRAY_LEN(headers); i++) id = json_string_value(json_object_get(resp->headers, headers[i]));
  for (size_t i = 0; !id && i < ACK_ARRAY_LEN(fields); i++) id = json_string_value(json_object_get(body, fields[i]));
  snprintf(c->request_id, sizeof c->request_id, "%s", id ? id : "");
}

/* Turns the raw message into the one the model reads: code, message, hint, retry note. */
static void compose_message(aliyun_call_t *c, bool can_retry) {
  char raw[sizeof c->message];
  snprintf(raw, sizeof raw, "%s", c->message);
  const char *hint = hint_for(c->code);
  char note[300] = "";
  const char *api = c->action ? c->action : "the request";
  if (can_retry && c->cls == ALIYUN_READ && c->attempts > 1)
    snprintf(note, sizeof note, "; gave up after %d attempts", c->attempts);
  else if (can_retry && c->cls != ALIYUN_READ)
    snprintf(note, sizeof note, "; not retried: %s %s, so it is never repeated automatically (check its effect before trying again)",
             api, c->cls == ALIYUN_JOB ? "starts a job" : "changes state");
  snprintf(c->message, sizeof c->message, "%s: %.2600s%s%s%s%s", c->code, raw, hint ? " (" : "", hint ? hint : "", hint ? ")" : "", note);
  /* A ROA signature mismatch quotes the server's string to sign, STS token included. */
  scrub(c->message, c->used_secret);
  scrub(c->message, c->used_token);
  log_scrub(c->message);
}

/* ---- the call ------------------------------------------------------------------------ */

static void call_closed(uv_handle_t *h) {
  aliyun_call_t *c = h->data;
  json_decref(c->query);
  json_decref(c->headers);
  free(c->action);
  free(c->version);
  free(c->method);
  free(c->path);
  free(c->region);
  free(c->project);
  free(c->body);
  free(c->content_type);
  free(c->own.access_key_id);
  free(c->own.access_key_secret);
  free(c->own.security_token);
  free(c->used_secret);
  free(c->used_token);
  free(c);
}

static void call_release(aliyun_call_t *c) {
  aliyun_creds_unwait(&c->waiter);
  if (c->req) http_cancel(c->req);
  c->req = NULL;
  uv_timer_stop(&c->timer);
  uv_close((uv_handle_t *)&c->timer, call_closed);
}

/* Ends the call: done with r, then the call goes. */
static void finish(aliyun_call_t *c, aliyun_result_t *r) {
  r->attempts = c->attempts;
  if (!r->request_id && c->request_id[0]) r->request_id = c->request_id;
  c->cancelled = true; /* nothing more may happen to it */
  c->done(c->ud, r);
  call_release(c);
}

static void finish_error(aliyun_call_t *c, long status, json_t *headers, const char *body, size_t len, bool can_retry) {
  compose_message(c, can_retry);
  aliyun_result_t r = { .status = status, .headers = headers, .body = body, .len = len, .code = c->code,
                        .message = c->message, .retryable = can_retry };
  log_debug("aliyun: %s %s failed after %d attempt(s): %s", c->prod->name, c->action ? c->action : c->path, c->attempts, c->code);
  finish(c, &r);
}

static void attempt(aliyun_call_t *c);

static void on_timer(uv_timer_t *t) { attempt(t->data); }

/* Backs off before the next attempt when that is allowed; false when it is not. */
static bool backoff(aliyun_call_t *c, const http_response_t *resp) {
  if (c->cls != ALIYUN_READ || c->attempts > c->retries) return false;
  double delay = BACKOFF_BASE * pow(2, c->attempts - 1);
  if (delay > BACKOFF_CAP) delay = BACKOFF_CAP;
  delay *= jitter(c->a);
  const char *after = resp ? json_string_value(json_object_get(resp->headers, "retry-after")) : NULL;
  if (after && atof(after) > delay) delay = atof(after) < BACKOFF_CAP ? atof(after) : BACKOFF_CAP;
  log_debug("aliyun: %s %s: %s, retry %d/%d in %.2f s", c->prod->name, c->action ? c->action : c->path, c->code, c->attempts,
            c->retries, delay);
  uv_timer_start(&c->timer, on_timer, (uint64_t)(delay * 1000.0) + 1, 0);
  return true;
}

static void on_response(void *ud, http_response_t *resp) {
  aliyun_call_t *c = ud;
  c->req = NULL;
  if (resp->error_code) {
    snprintf(c->code, sizeof c->code, "%s", resp->error_code);
    snprintf(c->message, sizeof c->message, "%s (%s %s)", resp->error, c->prod->name, c->action ? c->action : c->path);
    c->request_id[0] = '\0';
    bool can = retryable(0, c->code);
    if (can && backoff(c, NULL)) return;
    finish_error(c, 0, NULL, NULL, 0, can);
    return;
  }
  json_t *body = resp->len ? json_loadb(resp->body, resp->len, JSON_DECODE_ANY, NULL) : NULL;
  read_request_id(c, resp, body);
  bool ok = resp->status >= 200 && resp->status <= 299;
  if (ok && c->style == ALIYUN_STYLE_RPC && json_is_false(json_object_get(body, "Success"))) ok = false; /* CMS */
  if (ok) {
    json_decref(body);
    log_debug("aliyun: %s %s -> %ld (request %s, attempt %d)", c->prod->name, c->action ? c->action : c->path, resp->status,
              c->request_id, c->attempts);
    aliyun_result_t r = { .status = resp->status, .headers = resp->headers, .body = resp->body, .len = resp->len,
                          .request_id = c->request_id[0] ? c->request_id : NULL };
    finish(c, &r);
    return;
  }
  read_error(c, resp, body);
  json_decref(body);
  /* An expired token from a source that refreshes: the cloud refused the request unexecuted,
   * so sending it once more with fresh credentials repeats nothing. */
  if (token_expired(c->code) && !c->refreshed && !c->own.access_key_id && aliyun_creds_invalidate(c->a->creds, c->used_id)) {
    c->refreshed = true;
    c->attempts--;
    attempt(c);
    return;
  }
  bool can = retryable(resp->status, c->code);
  if (can && backoff(c, resp)) return;
  finish_error(c, resp->status, resp->headers, resp->body, resp->len, can);
}

/* The endpoint of this call: base URL to connect to and the Host header. */
static void endpoint(aliyun_call_t *c, char *base, size_t bn, char *host, size_t hn) {
  base_url(c->a, c->prod, c->region, c->global, base, bn);
  const char *hp = strstr(base, "://") + 3;
  snprintf(host, hn, "%s", hp);
  if (c->style != ALIYUN_STYLE_SLS || !c->project) return;
  /* SLS: the project goes in front of the host. An address cannot take a prefix: connect to
   * it and name the project in Host, as the SLS SDKs do for IP endpoints. */
  char hostonly[256];
  snprintf(hostonly, sizeof hostonly, "%.*s", (int)strcspn(hp, ":/"), hp);
  bool address = strcmp(hostonly, "localhost") == 0 || strspn(hostonly, "0123456789.") == strlen(hostonly) || hostonly[0] == '[';
  snprintf(host, hn, "%s.%s", c->project, hp);
  if (!address) {
    char scheme[16];
    snprintf(scheme, sizeof scheme, "%.*s", (int)(hp - base), base);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s%s", scheme, host);
    snprintf(base, bn, "%s", tmp);
  }
}

/* Signs a fresh copy of the request with k and sends it. */
static int send_signed(aliyun_call_t *c, const aliyun_credential_t *k) {
  char base[600], host[400];
  endpoint(c, base, sizeof base, host, sizeof host);
  json_t *query = c->query ? json_deep_copy(c->query) : json_object();
  json_t *headers = c->headers ? json_deep_copy(c->headers) : json_object();
  if (c->body && c->content_type) json_object_set_new(headers, "content-type", json_string(c->content_type));
  const char *path = c->style == ALIYUN_STYLE_RPC ? "/" : c->path;
  aliyun_cred_t cred = { k->access_key_id, k->access_key_secret, k->security_token };
  aliyun_sign_req_t sr = { .method = c->method, .host = host, .path = path, .query = query, .headers = headers,
                           .body = c->body, .body_len = c->body_len, .action = c->action, .version = c->version,
                           .region = c->region };
  char err[400];
  snprintf(c->used_id, sizeof c->used_id, "%s", k->access_key_id);
  free(c->used_secret);
  free(c->used_token);
  c->used_secret = ack_strdup(k->access_key_secret);
  c->used_token = k->security_token ? ack_strdup(k->security_token) : NULL;
  int rc = aliyun_sign(c->scheme, &cred, &sr, err, sizeof err);
  if (rc == 0) {
    char *qs = aliyun_query_string(query);
    size_t n = strlen(base) + strlen(path) + (qs ? strlen(qs) : 0) + 2;
    char *url = ack_xmalloc(n);
    snprintf(url, n, "%s%s%s%s", base, path, qs && *qs ? "?" : "", qs ? qs : "");
    free(qs);
    /* Unsigned transport details: no 100-continue round trip, a length on bodiless writes,
     * and no compression for SLS (it would answer in its own x-log-compresstype format). */
    json_object_set_new(headers, "expect", json_string(""));
    json_object_set_new(headers, "user-agent", json_string(ACK_NAME "/" ACK_VERSION));
    if (!c->body && strcasecmp(c->method, "GET") != 0 && strcasecmp(c->method, "HEAD") != 0)
      json_object_set_new(headers, "content-length", json_string("0"));
    if (c->style == ALIYUN_STYLE_SLS && !json_object_get(headers, "accept-encoding"))
      json_object_set_new(headers, "accept-encoding", json_string("identity"));
    http_opts_t o = { .method = c->method, .url = url, .headers = headers, .body = c->body, .body_len = c->body_len,
                      .timeout = c->timeout, .max_bytes = c->max_bytes };
    c->req = http_request(c->a->http, &o, on_response, c, err, sizeof err);
    free(url);
    if (!c->req) {
      snprintf(c->code, sizeof c->code, "ConnectionFailed");
      snprintf(c->message, sizeof c->message, "%s", err);
      rc = ACK_EIO;
    }
  } else {
    snprintf(c->code, sizeof c->code, "InvalidArgument");
    snprintf(c->message, sizeof c->message, "cannot sign the request: %s", err);
  }
  json_decref(query);
  json_decref(headers);
  return rc;
}

static void on_creds(void *ud, const aliyun_credential_t *k, const char *code, const char *message) {
  aliyun_call_t *c = ud;
  if (!k) {
    snprintf(c->code, sizeof c->code, "%s", code);
    snprintf(c->message, sizeof c->message, "%s", message);
    aliyun_result_t r = { .code = c->code, .message = c->message };
    finish(c, &r);
    return;
  }
  if (send_signed(c, k) != 0) {
    aliyun_result_t r = { .code = c->code, .message = c->message };
    finish(c, &r);
  }
}

/* One attempt: credentials, then sign and send. Returns 0 when in flight, else the error
 * is in c->code/c->message (nothing was called). */
static int start_attempt(aliyun_call_t *c) {
  c->attempts++;
  if (c->own.access_key_id) return send_signed(c, &c->own);
  const aliyun_credential_t *k = NULL;
  char err[3000];
  int rc = aliyun_creds_get(c->a->creds, &c->waiter, on_creds, c, &k, err, sizeof err);
  if (rc == 1) return 0;
  if (rc == 0) return send_signed(c, k);
  snprintf(c->code, sizeof c->code, "NoCredentials");
  snprintf(c->message, sizeof c->message, "%s", err);
  return rc;
}

static void attempt(aliyun_call_t *c) {
  if (start_attempt(c) != 0) {
    aliyun_result_t r = { .code = c->code, .message = c->message };
    finish(c, &r);
  }
}

static aliyun_call_t *refuse(aliyun_t *a, aliyun_result_t *out, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static aliyun_call_t *refuse(aliyun_t *a, aliyun_result_t *out, const char *code, const char *fmt, ...) {
  snprintf(a->sync_code, sizeof a->sync_code, "%s", code);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(a->sync_msg, sizeof a->sync_msg, fmt, ap);
  va_end(ap);
  log_scrub(a->sync_msg);
  memset(out, 0, sizeof *out);
  out->code = a->sync_code;
  out->message = a->sync_msg;
  return NULL;
}

aliyun_call_t *aliyun_call(aliyun_t *a, const aliyun_request_t *req, aliyun_done_cb done, void *ud, aliyun_result_t *out) {
  const product_t *p = product_find(req->product, req->product ? strlen(req->product) : 0);
  if (!p || p == &products[PRODUCT_METADATA])
    return refuse(a, out, "InvalidArgument", "unknown product '%s' (cs, arms, cms, sts, sls)", req->product ? req->product : "");
  if ((req->style == ALIYUN_STYLE_SLS) != (strcmp(p->name, "sls") == 0))
    return refuse(a, out, "InvalidArgument", "product %s is not called with aliyun.%s", p->name,
                  req->style == ALIYUN_STYLE_SLS ? "sls" : req->style == ALIYUN_STYLE_RPC ? "rpc" : "roa");
  if (req->style != ALIYUN_STYLE_SLS && (!req->action || !*req->action))
    return refuse(a, out, "InvalidArgument", "action is required (the API name, e.g. DescribeClusterDetail)");
  const char *region = req->region ? req->region : a->cfg->region ? a->cfg->region : "cn-hangzhou";
  if (!is_name(region, 64)) return refuse(a, out, "InvalidArgument", "invalid region '%s'", region);
  if (req->project && !is_name(req->project, 128)) return refuse(a, out, "InvalidArgument", "invalid SLS project '%s'", req->project);
  const char *path = req->path ? req->path : "/";
  if (req->style != ALIYUN_STYLE_RPC) {
    if (path[0] != '/') return refuse(a, out, "InvalidArgument", "path must start with '/': %s", path);
    if (strpbrk(path, "?#\r\n\t "))
      return refuse(a, out, "InvalidArgument", "path holds '?', '#' or whitespace (put parameters in query): %s", path);
  }
  const char *method = method_of(req);
  size_t mlen = strlen(method);
  if (!mlen || mlen > 10 || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != mlen)
    return refuse(a, out, "InvalidArgument", "invalid method '%s'", method);
  if (req->credentials && (!req->credentials->access_key_id || !*req->credentials->access_key_id ||
                           !req->credentials->access_key_secret || !*req->credentials->access_key_secret))
    return refuse(a, out, "InvalidCredentials", "%s", ALIYUN_HALF_CREDENTIALS);
  aliyun_request_t norm = *req;
  norm.method = method;
  norm.path = path;
  aliyun_class_t cls = aliyun_classify(&norm);
  if (cls == ALIYUN_WRITE && a->gate) {
    char what[400], err[600];
    snprintf(what, sizeof what, "%s %s (%s %.200s)", p->name, req->action ? req->action : "request", method,
             req->style == ALIYUN_STYLE_RPC ? "/" : path);
    if (gate_check(a->gate, true, what, err, sizeof err) != 0) return refuse(a, out, "WriteRefused", "%s", err);
  }
  aliyun_call_t *c = ack_xcalloc(1, sizeof *c);
  c->a = a;
  c->prod = p;
  c->style = req->style;
  c->cls = cls;
  c->scheme = a->scheme[p - products];
  c->action = xdup(req->action);
  c->version = xdup(req->version ? req->version : p->version);
  c->method = ack_strdup(method);
  for (char *m = c->method; *m; m++) *m = (char)toupper((unsigned char)*m);
  c->path = encode_path(path);
  c->region = ack_strdup(region);
  c->project = xdup(req->project);
  if (req->body) {
    c->body = ack_xmalloc(req->body_len + 1);
    memcpy(c->body, req->body, req->body_len);
    c->body[req->body_len] = '\0';
    c->body_len = req->body_len;
    c->content_type = ack_strdup(req->content_type ? req->content_type
                                 : req->style == ALIYUN_STYLE_ROA ? "application/json; charset=utf-8"
                                                                  : "application/json");
  }
  c->query = req->query ? json_deep_copy(req->query) : NULL;
  c->headers = req->headers ? json_deep_copy(req->headers) : NULL;
  c->global = req->global;
  c->timeout = req->timeout > 0 ? req->timeout : a->cfg->api_timeout > 0 ? a->cfg->api_timeout : 60;
  c->retries = req->retries < 0 ? DEFAULT_RETRIES : req->retries > MAX_RETRIES ? MAX_RETRIES : req->retries;
  c->max_bytes = req->max_bytes ? req->max_bytes : DEFAULT_MAX_BYTES;
  if (req->credentials) {
    c->own.access_key_id = ack_strdup(req->credentials->access_key_id);
    c->own.access_key_secret = ack_strdup(req->credentials->access_key_secret);
    c->own.security_token = req->credentials->security_token && *req->credentials->security_token
                              ? ack_strdup(req->credentials->security_token) : NULL;
    c->own.source = "request";
    log_add_secret(c->own.access_key_secret);
  }
  c->done = done;
  c->ud = ud;
  uv_timer_init(a->loop, &c->timer);
  c->timer.data = c;
  if (start_attempt(c) != 0) {
    aliyun_call_t *dummy = refuse(a, out, c->code, "%s", c->message);
    c->cancelled = true;
    call_release(c);
    return dummy;
  }
  return c;
}

void aliyun_call_cancel(aliyun_call_t *c) {
  if (!c || c->cancelled) return;
  c->cancelled = true;
  log_debug("aliyun: %s %s cancelled after %d attempt(s)", c->prod->name, c->action ? c->action : c->path, c->attempts);
  call_release(c);
}
