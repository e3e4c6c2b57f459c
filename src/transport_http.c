/* transport_http.c: Streamable HTTP, WebSocket and legacy SSE on one libwebsockets
 * listener running on the server's libuv loop.
 *
 * Each connection (lws wsi) carries a conn_t. An HTTP session (hsession_t) is what a legacy
 * client keeps across requests: its MCP session, its standalone stream (GET /mcp, GET /sse or
 * the WebSocket itself) and a ring of recent events for Last-Event-ID replay. A POST is the
 * origin of the answers to what it carried: they go back on its own response, as JSON when
 * the answer comes first, as an SSE stream when notifications come before it. lws may only
 * write in the WRITEABLE callback, so every output is queued on its conn first. */
#include "transport_http.h"

#include "ack.h"
#include "http_security.h"
#include "log.h"

#include <libwebsockets.h>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING_EVENTS 512               /* events kept per session for resumption */
#define RING_BYTES (4u << 20)
#define SWEEP_MS 5000
#define KEEPALIVE_MS 15000              /* SSE comment lines keep proxies from timing a stream out */
#define PROBE_MS 500                    /* lws does not read a socket mid-response: while calls run,
                                           a tiny write finds a client that hung up */
#define MODERN "2026-07-28"

typedef enum { HS_STREAMABLE, HS_SSE, HS_WS } hs_kind_t;
typedef enum { C_NONE, C_POST, C_STREAM, C_WS, C_SIMPLE } conn_kind_t;

typedef struct outbuf {
  struct outbuf *next;
  size_t len;
  bool final;                          /* last write of an HTTP response */
  unsigned char data[];                /* LWS_PRE headroom, then len bytes */
} outbuf_t;

typedef struct ring_event {
  char stream[16];
  unsigned long long seq;
  bool delivered;                      /* went out on a live stream */
  char *data;
} ring_event_t;

typedef struct hsession hsession_t;
typedef struct conn conn_t;

/* The answer stream of one legacy POST: the origin its messages carry. It outlives the
 * connection when the client hung up after events with ids went out, so a GET with
 * Last-Event-ID can pick the rest up (a disconnect is not a cancellation once resumable). */
typedef struct pstream {
  hsession_t *hs;
  conn_t *conn;                        /* the POST, or a GET resuming it, or NULL */
  char id[16];
  bool done;                           /* its final answer went out */
  bool cancelling;                     /* conn_end is cancelling it and frees it after */
  struct pstream *next;
} pstream_t;

struct conn {
  http_server_t *srv;
  struct lws *wsi;
  conn_kind_t kind;
  hsession_t *hs;                      /* session it serves, or NULL */
  mcp_session_t *ephemeral;            /* a 2026-07-28 request's own session */
  bool modern;
  /* request */
  char *body;
  size_t blen, bcap;
  bool too_big;
  char protocol_version[32];
  json_t *req_id;                      /* the body's id, for errors answered at the HTTP level */
  char mcp_method[64], mcp_name[256];
  /* response */
  int status;
  const char *ctype;
  char extra[256];                     /* extra header lines, "name: value\r\n" */
  bool headers_queued, headers_sent, sse, final_queued, close_after;
  char stream_id[16];
  pstream_t *ps;                       /* the answer stream this connection carries */
  outbuf_t *q_head, *q_tail;
  size_t q_bytes;
  bool answered;                       /* the POST's final answer is queued */
  bool going_away;
  int close_code;                      /* WebSocket: close with this once the queue is out */
  const char *close_reason;
  bool close_sent;
  uint64_t last_write;
  conn_t *next_live, *prev_live;
};

struct hsession {
  http_server_t *srv;
  hs_kind_t kind;
  char id[40];
  mcp_session_t *mcp;
  mcp_transport_t ops;
  conn_t *stream;                      /* GET stream, SSE stream or the WebSocket */
  ring_event_t *ring;                  /* RING_EVENTS slots, allocated on first use */
  size_t ring_start, ring_count, ring_bytes;
  unsigned long long seq;
  unsigned long long post_counter;
  pstream_t *pstreams;
  uint64_t last_active;
  int conns;                           /* connections attached (POSTs in flight, stream) */
  bool closed;
  hsession_t *next;
};

struct http_server {
  uv_loop_t *loop;
  mcp_t *mcp;
  lua_host_t *host;
  metrics_t *metrics;
  const config_t *cfg;
  struct lws_context *ctx;
  hsession_t *sessions;
  json_t *by_id;                       /* session id -> hsession_t pointer */
  int nsessions;
  int nconns;
  bool draining, ready, loopback, warned_credentials;
  bool failed;                         /* the listener did not start: only teardown is left */
  uv_timer_t sweep, probe;
  conn_t *live;                        /* every conn, for drain */
  lws_retry_bo_t retry;
  struct lws_protocols protocols[2];
  char *auth_token;
};

/* ---- output queue ------------------------------------------------------------------- */

static void queue_raw(conn_t *c, const void *data, size_t len, bool final) {
  outbuf_t *b = malloc(sizeof *b + LWS_PRE + len + 1);
  if (!b) return;
  b->next = NULL;
  b->len = len;
  b->final = final;
  memcpy(b->data + LWS_PRE, data, len);
  if (c->q_tail) c->q_tail->next = b;
  else c->q_head = b;
  c->q_tail = b;
  c->q_bytes += len;
  if (final) c->final_queued = true;
  c->last_write = uv_now(c->srv->loop);
  /* A client that stops reading must not grow our memory without bound. */
  if (c->q_bytes > c->srv->cfg->max_queued_bytes && !c->close_after) {
    log_warn("http: a client is not reading (%zu bytes queued); dropping its connection", c->q_bytes);
    c->close_after = true;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    return;
  }
  if (c->wsi) lws_callback_on_writable(c->wsi);
}

static void queue_free(conn_t *c) {
  for (outbuf_t *b = c->q_head, *n; b; b = n) {
    n = b->next;
    free(b);
  }
  c->q_head = c->q_tail = NULL;
  c->q_bytes = 0;
}

/* Starts an HTTP response: status and content type now, headers written when writable. */
static void begin_response(conn_t *c, int status, const char *ctype) {
  c->status = status;
  c->ctype = ctype;
  c->headers_queued = true;
}

static void add_header(conn_t *c, const char *name, const char *value) {
  size_t n = strlen(c->extra);
  snprintf(c->extra + n, sizeof c->extra - n, "%s: %s\r\n", name, value);
}

/* A whole response with a body, e.g. an error or a JSON answer. */
static void respond(conn_t *c, int status, const char *ctype, const char *body) {
  begin_response(c, status, ctype);
  queue_raw(c, body ? body : "", body ? strlen(body) : 0, true);
}

/* A JSON-RPC error as an HTTP response body (no id: it answers the HTTP request). */
static void respond_error_data(conn_t *c, int status, int code, const char *message, json_t *data) {
  json_t *e = json_pack("{s:s,s:O,s:{s:i,s:s}}", "jsonrpc", "2.0", "id", c->req_id ? c->req_id : json_null(), "error",
                        "code", code, "message", message);
  if (data) json_object_set_new(json_object_get(e, "error"), "data", data);
  char *text = json_dumps(e, JSON_COMPACT);
  json_decref(e);
  respond(c, status, "application/json", text);
  free(text);
}

/* A JSON-RPC error as the HTTP answer, carrying the request's id when the body had one. */
static void respond_error(conn_t *c, int status, int code, const char *message) {
  respond_error_data(c, status, code, message, NULL);
}

/* ---- sessions ----------------------------------------------------------------------- */

static void ring_push(hsession_t *hs, const char *stream, unsigned long long seq, const char *data, size_t len,
                      bool delivered) {
  if (!hs->ring) hs->ring = ack_xcalloc(RING_EVENTS, sizeof *hs->ring); /* WebSocket sessions never need it */
  if (hs->ring_count == RING_EVENTS || hs->ring_bytes + len > RING_BYTES) {
    while (hs->ring_count && (hs->ring_count == RING_EVENTS || hs->ring_bytes + len > RING_BYTES)) {
      ring_event_t *old = &hs->ring[hs->ring_start];
      hs->ring_bytes -= strlen(old->data);
      free(old->data);
      hs->ring_start = (hs->ring_start + 1) % RING_EVENTS;
      hs->ring_count--;
    }
  }
  if (len > RING_BYTES) return;
  ring_event_t *e = &hs->ring[(hs->ring_start + hs->ring_count) % RING_EVENTS];
  snprintf(e->stream, sizeof e->stream, "%s", stream);
  e->seq = seq;
  e->delivered = delivered;
  e->data = ack_strndup(data, len);
  hs->ring_bytes += len;
  hs->ring_count++;
}

/* Queues one SSE event, with the id "<stream>-<seq>" when stream is not NULL. */
static void queue_sse(conn_t *c, const char *stream, unsigned long long seq, const char *data, size_t len, bool final) {
  char head[96];
  int n = stream ? snprintf(head, sizeof head, "id: %s-%llu\nevent: message\ndata: ", stream, seq)
                 : snprintf(head, sizeof head, "event: message\ndata: ");
  char *ev = malloc((size_t)n + len + 2);
  if (!ev) return;
  memcpy(ev, head, (size_t)n);
  memcpy(ev + n, data, len);
  memcpy(ev + n + len, "\n\n", 2);
  queue_raw(c, ev, (size_t)n + len + 2, final);
  free(ev);
}

/* Queues one message as an SSE event on c; on a Streamable HTTP session, numbered and kept
 * for replay. */
static void queue_event(conn_t *c, const char *data, size_t len, bool final) {
  hsession_t *hs = c->hs;
  if (hs && hs->kind == HS_STREAMABLE) {
    unsigned long long seq = ++hs->seq;
    ring_push(hs, c->stream_id, seq, data, len, true);
    queue_sse(c, c->stream_id, seq, data, len, final);
  } else {
    queue_sse(c, NULL, 0, data, len, final);
  }
}

/* Sends a message to conn c in the form its kind needs. NULL data ends c's answer without a
 * message (the client cancelled what it asked). */
static void conn_emit(conn_t *c, const char *data, size_t len, bool final) {
  if (!data) {
    if (c->kind == C_WS) return;
    if (!c->headers_queued) respond(c, 202, "text/plain", "");
    else queue_raw(c, "", 0, true);
    c->answered = true;
    return;
  }
  if (c->kind == C_WS) {
    queue_raw(c, data, len, false);
    return;
  }
  if (c->kind == C_POST && !c->headers_queued) {
    if (final) { /* the answer came first: plain JSON */
      const char *p = strstr(data, "\"error\":{\"code\":");
      int status = 200;
      if (c->modern && p) {
        int code = atoi(p + 16);
        status = code == -32601 ? 404 : (code == -32020 || code == -32022 || code == -32021 || code == -32600 || code == -32700) ? 400 : 200;
      }
      begin_response(c, status, "application/json");
      queue_raw(c, data, len, true);
      c->answered = true;
      return;
    }
    begin_response(c, 200, "text/event-stream");
    c->sse = true;
    add_header(c, "Cache-Control", "no-cache");
    add_header(c, "X-Accel-Buffering", "no");
  }
  queue_event(c, data, len, final);
  if (final && c->kind == C_POST) c->answered = true;
}

static void hs_touch(hsession_t *hs) { hs->last_active = uv_now(hs->srv->loop); }

static void ps_free(pstream_t *ps) {
  for (pstream_t **pp = &ps->hs->pstreams; *pp; pp = &(*pp)->next) {
    if (*pp == ps) {
      *pp = ps->next;
      break;
    }
  }
  if (ps->conn) ps->conn->ps = NULL;
  free(ps);
}

static pstream_t *ps_find(hsession_t *hs, const char *id) {
  for (pstream_t *ps = hs->pstreams; ps; ps = ps->next)
    if (strcmp(ps->id, id) == 0) return ps;
  return NULL;
}

/* mcp_transport_t.send for sessions. */
static int hs_send(void *tctx, const char *data, size_t len, void *origin, bool final) {
  hsession_t *hs = tctx;
  if (hs->kind != HS_STREAMABLE) { /* one stream carries everything */
    if (hs->stream && data) conn_emit(hs->stream, data, len, false);
    return 0;
  }
  pstream_t *ps = origin;
  if (ps) {
    if (final) ps->done = true;
    if (ps->conn) conn_emit(ps->conn, data, len, final);
    else if (data) ring_push(hs, ps->id, ++hs->seq, data, len, false); /* for a resuming GET */
    if (final && !ps->conn && !ps->cancelling) ps_free(ps);
  } else if (hs->stream) {
    if (data) conn_emit(hs->stream, data, len, false);
  } else if (data) {
    ring_push(hs, "g", ++hs->seq, data, len, false); /* no stream open now: keep it for the next */
  }
  return 0;
}

/* mcp_transport_t.send for a 2026-07-28 request's own session: everything to its POST. */
static int eph_send(void *tctx, const char *data, size_t len, void *origin, bool final) {
  ACK_UNUSED(origin);
  conn_emit(tctx, data, len, final);
  return 0;
}

static const mcp_transport_t eph_ops = { eph_send, "http" };

static hsession_t *hs_new(http_server_t *h, hs_kind_t kind) {
  hsession_t *hs = ack_xcalloc(1, sizeof *hs);
  hs->srv = h;
  hs->kind = kind;
  unsigned char rnd[16];
  if (uv_random(NULL, NULL, rnd, sizeof rnd, 0, NULL) != 0) {
    for (size_t i = 0; i < sizeof rnd; i++) rnd[i] = (unsigned char)(uv_hrtime() >> (i % 8));
  }
  for (size_t i = 0; i < sizeof rnd; i++) snprintf(hs->id + 2 * i, 3, "%02x", rnd[i]);
  hs->ops.send = hs_send;
  hs->ops.name = kind == HS_WS ? "ws" : kind == HS_SSE ? "sse" : "http";
  hs->mcp = mcp_session_new(h->mcp, &hs->ops, hs);
  hs->next = h->sessions;
  h->sessions = hs;
  h->nsessions++;
  json_object_set_new(h->by_id, hs->id, json_integer((json_int_t)(intptr_t)hs));
  hs_touch(hs);
  return hs;
}

/* Sessions by id: a jansson object is the hash table at hand (values are the pointers),
 * so a request costs the same with 10 sessions as with 10,000. */
static hsession_t *hs_find(http_server_t *h, const char *id) {
  json_t *v = json_object_get(h->by_id, id);
  hsession_t *hs = v ? (hsession_t *)(intptr_t)json_integer_value(v) : NULL;
  return hs && !hs->closed ? hs : NULL;
}

/* Ends a session: cancels its calls; memory goes when no connection refers to it. */
static void hs_close(hsession_t *hs) {
  if (hs->closed) return;
  hs->closed = true;
  mcp_session_close(hs->mcp);
  hs->mcp = NULL;
  if (hs->stream) {
    hs->stream->hs = NULL;
    hs->stream->close_after = true;
    lws_callback_on_writable(hs->stream->wsi);
    hs->stream = NULL;
    hs->conns--;
  }
}

static void hs_maybe_free(hsession_t *hs) {
  if (!hs->closed || hs->conns > 0) return;
  http_server_t *h = hs->srv;
  for (hsession_t **pp = &h->sessions; *pp; pp = &(*pp)->next) {
    if (*pp == hs) {
      *pp = hs->next;
      json_object_del(h->by_id, hs->id);
      break;
    }
  }
  h->nsessions--;
  while (hs->pstreams) ps_free(hs->pstreams);
  for (size_t i = 0; i < hs->ring_count; i++) free(hs->ring[(hs->ring_start + i) % RING_EVENTS].data);
  free(hs->ring);
  free(hs);
}

static void conn_detach(conn_t *c) {
  hsession_t *hs = c->hs;
  if (!hs) return;
  c->hs = NULL;
  if (hs->stream == c) hs->stream = NULL;
  hs->conns--;
  hs_maybe_free(hs);
}

static void on_probe(uv_timer_t *t) {
  http_server_t *h = t->data;
  uint64_t now = uv_now(h->loop);
  for (conn_t *c = h->live; c; c = c->next_live)
    if (c->sse && c->headers_queued && !c->final_queued && c->hs && c->hs->mcp && mcp_session_inflight(c->hs->mcp) > 0 &&
        now - c->last_write >= PROBE_MS)
      queue_raw(c, ":\n\n", 3, false);
}

static void on_sweep(uv_timer_t *t) {
  http_server_t *h = t->data;
  uint64_t now = uv_now(h->loop), idle = (uint64_t)(h->cfg->session_idle * 1000.0);
  for (conn_t *c = h->live; c; c = c->next_live)
    if (c->sse && c->headers_queued && !c->final_queued && now - c->last_write >= KEEPALIVE_MS)
      queue_raw(c, ": keepalive\n\n", 13, false);
  for (hsession_t *hs = h->sessions, *next; hs; hs = next) {
    next = hs->next;
    if (!hs->closed && hs->kind == HS_STREAMABLE && !hs->stream && mcp_session_inflight(hs->mcp) == 0 &&
        now - hs->last_active > idle) {
      log_info("http: session %.8s... expired after %.0f s idle", hs->id, h->cfg->session_idle);
      hs_close(hs);
      hs_maybe_free(hs);
    }
  }
}

/* ---- request inspection ------------------------------------------------------------- */

/* Header values lose surrounding whitespace (RFC 9110 5.5). */
static int trim(char *buf, int n) {
  if (n <= 0) return n;
  int start = 0;
  while (start < n && (buf[start] == ' ' || buf[start] == '\t')) start++;
  while (n > start && (buf[n - 1] == ' ' || buf[n - 1] == '\t')) n--;
  memmove(buf, buf + start, (size_t)(n - start));
  buf[n - start] = '\0';
  return n - start;
}

static int header(struct lws *wsi, enum lws_token_indexes tok, char *buf, int len) {
  buf[0] = '\0';
  if (lws_hdr_total_length(wsi, tok) <= 0) return -1;
  return trim(buf, lws_hdr_copy(wsi, buf, len, tok));
}

/* Custom header by lower-case name with its colon, e.g. "mcp-session-id:". */
static int custom(struct lws *wsi, const char *name, char *buf, int len) {
  buf[0] = '\0';
  int n = lws_hdr_custom_length(wsi, name, (int)strlen(name));
  if (n <= 0 || n >= len) return n <= 0 ? -1 : -2;
  return trim(buf, lws_hdr_custom_copy(wsi, buf, len, name, (int)strlen(name)));
}

/* X-Aliyun-* credential headers: a new object when present and allowed, else NULL. Without
 * --allow-request-credentials they are ignored, with one warning for the process. */
static json_t *request_credentials(conn_t *c) {
  static const char *const names[][2] = {
    { "x-aliyun-access-key-id:", "access_key_id" }, { "x-aliyun-access-key-secret:", "access_key_secret" },
    { "x-aliyun-security-token:", "security_token" }, { "x-aliyun-region:", "region" },
  };
  json_t *creds = NULL;
  for (size_t i = 0; i < ACK_ARRAY_LEN(names); i++) {
    char value[2048];
    if (custom(c->wsi, names[i][0], value, sizeof value) <= 0) continue;
    if (!creds) creds = json_object();
    json_object_set_new(creds, names[i][1], json_string(value));
  }
  if (creds && !c->srv->cfg->allow_request_credentials) {
    if (!c->srv->warned_credentials) log_warn("http: X-Aliyun-* credential headers ignored (start with --allow-request-credentials to use them)");
    c->srv->warned_credentials = true;
    json_decref(creds);
    return NULL;
  }
  return creds;
}

/* Origin, Host and token: 0 when the request may go on, else the HTTP status (403, 401)
 * with the reason in *why. */
static int access_denied(http_server_t *h, struct lws *wsi, const char **why) {
  char origin[256], host[256], auth[512];
  bool has_origin = header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin) > 0;
  header(wsi, WSI_TOKEN_HOST, host, sizeof host);
  if (has_origin && !http_origin_allowed(origin, h->cfg->allowed_origins)) {
    log_warn("http: refused Origin %s", origin);
    *why = "Forbidden: Origin not allowed (--allowed-origins)";
    return 403;
  }
  if (h->loopback && !h->cfg->allowed_origins && !http_host_is_loopback(host)) {
    log_warn("http: refused Host %s on a loopback listener", host);
    *why = "Forbidden: Host header does not name this loopback server";
    return 403;
  }
  if (h->auth_token && !(header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, auth, sizeof auth) > 0 && http_bearer_ok(auth, h->auth_token))) {
    *why = "Unauthorized: a valid bearer token is required";
    return 401;
  }
  return 0;
}

static const char WWW_AUTHENTICATE[] = "Bearer realm=\"ack-mcp-server\"";

/* For every MCP endpoint: queues the refusal and returns false when access is denied. */
static bool admit(conn_t *c) {
  const char *why;
  int status = access_denied(c->srv, c->wsi, &why);
  if (!status) return true;
  if (status == 401) add_header(c, "WWW-Authenticate", WWW_AUTHENTICATE);
  respond_error(c, status, JSONRPC_INVALID_REQUEST, why);
  return false;
}

/* Answers a refused WebSocket upgrade with a real HTTP response (lws would just drop the
 * connection), written at once: the connection closes right after. Returns nonzero. */
static int refuse_upgrade(struct lws *wsi, int status, const char *why) {
  unsigned char buf[LWS_PRE + 1024], *start = &buf[LWS_PRE], *p = start, *end = &buf[sizeof buf - 1];
  char body[320];
  int n = snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"%s\"}}", why);
  if (lws_add_http_common_headers(wsi, (unsigned int)status, "application/json", (lws_filepos_t)n, &p, end)) return 1;
  if (status == 401 && lws_add_http_header_by_name(wsi, (const unsigned char *)"www-authenticate:", (const unsigned char *)WWW_AUTHENTICATE,
                                                   (int)strlen(WWW_AUTHENTICATE), &p, end))
    return 1;
  if (lws_finalize_http_header(wsi, &p, end) || end - p < n) return 1;
  memcpy(p, body, (size_t)n);
  p += n;
  lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_HEADERS);
  return 1;
}

static bool method_is(struct lws *wsi, enum lws_token_indexes tok) { return lws_hdr_total_length(wsi, tok) > 0; }

static bool accepts(const char *accept, const char *type) {
  return !accept[0] || strstr(accept, type) || strstr(accept, "*/*");
}

/* ---- Streamable HTTP ---------------------------------------------------------------- */

static bool version_supported(const char *v) {
  static const char *const known[] = { "2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25" };
  for (size_t i = 0; i < ACK_ARRAY_LEN(known); i++)
    if (strcmp(v, known[i]) == 0) return true;
  return false;
}

/* A 2026-07-28 request: headers must agree with the body; it gets its own session. */
static void post_modern(conn_t *c, json_t *msg) {
  const char *method = json_string_value(json_object_get(msg, "method"));
  json_t *params = json_object_get(msg, "params");
  json_t *meta = json_object_get(params, "_meta");
  const char *meta_version = json_string_value(json_object_get(meta, "io.modelcontextprotocol/protocolVersion"));
  const char *requested = c->protocol_version[0] ? c->protocol_version : meta_version;
  if (requested && strcmp(requested, MODERN) != 0) {
    char text[160];
    snprintf(text, sizeof text, "Unsupported protocol version %.40s: this server speaks %s per request, and older revisions through initialize",
             requested, MODERN);
    respond_error_data(c, 400, MCP_UNSUPPORTED_PROTOCOL_VERSION, text,
                       json_pack("{s:[s,s,s,s,s],s:s}", "supported", MODERN, "2025-11-25", "2025-06-18", "2025-03-26",
                                 "2024-11-05", "requested", requested));
    return;
  }
  bool request = json_object_get(msg, "id") != NULL;
  if (request && method && (!meta_version || !json_is_object(json_object_get(meta, "io.modelcontextprotocol/clientCapabilities")))) {
    respond_error(c, 400, JSONRPC_INVALID_PARAMS, meta_version ? "Invalid params: _meta[\"io.modelcontextprotocol/clientCapabilities\"] is required"
                                                                : "Invalid params: _meta[\"io.modelcontextprotocol/protocolVersion\"] is required");
    return;
  }
  char why[256] = "";
  if (!method) snprintf(why, sizeof why, "a 2026-07-28 POST carries one request or notification");
  else if (!c->mcp_method[0]) snprintf(why, sizeof why, "Mcp-Method header is required");
  else if (strcmp(c->mcp_method, method) != 0) snprintf(why, sizeof why, "Mcp-Method header '%.60s' does not match method '%.60s'", c->mcp_method, method);
  else if (meta_version && strcmp(meta_version, c->protocol_version) != 0)
    snprintf(why, sizeof why, "MCP-Protocol-Version header does not match _meta protocolVersion");
  else {
    const char *key = strcmp(method, "resources/read") == 0 ? "uri" : "name";
    bool named = strcmp(method, "tools/call") == 0 || strcmp(method, "prompts/get") == 0 || strcmp(method, "resources/read") == 0;
    const char *value = json_string_value(json_object_get(params, key));
    if (named && !c->mcp_name[0]) snprintf(why, sizeof why, "Mcp-Name header is required for %s", method);
    else if (named && value && strcmp(value, c->mcp_name) != 0)
      snprintf(why, sizeof why, "Mcp-Name header '%.100s' does not match params.%s", c->mcp_name, key);
  }
  if (why[0]) {
    respond_error(c, 400, MCP_HEADER_MISMATCH, why);
    return;
  }
  c->ephemeral = mcp_session_new(c->srv->mcp, &eph_ops, c);
  mcp_session_set_credentials(c->ephemeral, request_credentials(c));
  char *text = json_dumps(msg, JSON_COMPACT);
  bool answered = mcp_session_handle(c->ephemeral, text, strlen(text), c);
  free(text);
  if (!answered && !c->headers_queued) respond(c, 202, "text/plain", "");
}

static void post_mcp(conn_t *c) {
  http_server_t *h = c->srv;
  char sid[64];
  bool has_sid = custom(c->wsi, "mcp-session-id:", sid, sizeof sid) > 0;
  json_error_t e;
  json_t *msg = json_loadb(c->body ? c->body : "", c->blen, JSON_DECODE_ANY, &e);
  if (!msg) {
    char text[300];
    snprintf(text, sizeof text, "Parse error: %s (at byte %d)", e.text, e.position);
    respond_error(c, 400, JSONRPC_PARSE_ERROR, text);
    return;
  }
  json_t *jid = json_is_object(msg) ? json_object_get(msg, "id") : NULL;
  if (json_is_string(jid) || json_is_integer(jid)) c->req_id = json_incref(jid);
  json_t *meta_v = json_object_get(json_object_get(json_object_get(msg, "params"), "_meta"), "io.modelcontextprotocol/protocolVersion");
  /* Modern: the 2026-07-28 header, or any version this server does not negotiate through
   * initialize, or a per-request _meta version, without a session. */
  if (!has_sid && json_is_object(msg) &&
      (strcmp(c->protocol_version, MODERN) == 0 || (c->protocol_version[0] && !version_supported(c->protocol_version)) || meta_v)) {
    c->modern = true;
    post_modern(c, msg);
    json_decref(msg);
    return;
  }
  const char *method = json_string_value(json_object_get(msg, "method"));
  bool is_init = method && strcmp(method, "initialize") == 0;
  hsession_t *hs = NULL;
  if (is_init && !has_sid) {
    if (h->nsessions >= h->cfg->max_sessions) {
      json_decref(msg);
      respond_error(c, 503, JSONRPC_INTERNAL_ERROR, "Too many sessions (--max-sessions); try again later");
      return;
    }
    hs = hs_new(h, HS_STREAMABLE);
    add_header(c, "Mcp-Session-Id", hs->id);
  } else if (!has_sid) {
    json_decref(msg);
    respond_error(c, 400, -32000, "Bad Request: Mcp-Session-Id header is required (send initialize first)");
    return;
  } else {
    hs = hs_find(h, sid);
    if (!hs) {
      json_decref(msg);
      respond_error(c, 404, -32001, "Session not found: it expired or was deleted; initialize again");
      return;
    }
    if (c->protocol_version[0] && !version_supported(c->protocol_version)) {
      json_decref(msg);
      char text[160];
      snprintf(text, sizeof text, "Bad Request: unsupported MCP-Protocol-Version %.40s", c->protocol_version);
      respond_error(c, 400, JSONRPC_INVALID_REQUEST, text);
      return;
    }
  }
  json_decref(msg);
  hs_touch(hs);
  c->hs = hs;
  hs->conns++;
  snprintf(c->stream_id, sizeof c->stream_id, "p%llu", ++hs->post_counter);
  pstream_t *ps = ack_xcalloc(1, sizeof *ps);
  ps->hs = hs;
  ps->conn = c;
  snprintf(ps->id, sizeof ps->id, "%s", c->stream_id);
  ps->next = hs->pstreams;
  hs->pstreams = ps;
  c->ps = ps;
  mcp_session_set_credentials(hs->mcp, request_credentials(c));
  bool answered = mcp_session_handle(hs->mcp, c->body, c->blen, ps);
  if (hs->mcp) mcp_session_set_credentials(hs->mcp, NULL);
  if (!answered && !c->headers_queued) {
    respond(c, 202, "text/plain", "");
    if (c->ps) ps_free(c->ps);
  }
}

/* The session named by the request's Mcp-Session-Id, or NULL after answering 400/404. */
static hsession_t *session_of(conn_t *c) {
  char sid[64];
  if (custom(c->wsi, "mcp-session-id:", sid, sizeof sid) <= 0) {
    respond_error(c, 400, -32000, "Bad Request: Mcp-Session-Id header is required");
    return NULL;
  }
  hsession_t *hs = hs_find(c->srv, sid);
  if (!hs) respond_error(c, 404, -32001, "Session not found: it expired or was deleted; initialize again");
  return hs;
}

/* GET /mcp: the standalone stream, or a replay from Last-Event-ID. */
static void get_mcp(conn_t *c) {
  char sid[64], last[64], accept[256];
  header(c->wsi, WSI_TOKEN_HTTP_ACCEPT, accept, sizeof accept);
  if (strcmp(c->protocol_version, MODERN) == 0 && custom(c->wsi, "mcp-session-id:", sid, sizeof sid) <= 0) {
    add_header(c, "Allow", "POST");
    respond_error(c, 405, JSONRPC_METHOD_NOT_FOUND, "Method Not Allowed: 2026-07-28 uses POST only");
    return;
  }
  if (!strstr(accept, "text/event-stream")) {
    respond_error(c, 406, JSONRPC_INVALID_REQUEST, "Not Acceptable: GET /mcp needs Accept: text/event-stream");
    return;
  }
  hsession_t *hs = session_of(c);
  if (!hs) return;
  hs_touch(hs);
  c->kind = C_STREAM;
  c->hs = hs;
  hs->conns++;
  begin_response(c, 200, "text/event-stream");
  c->sse = true;
  add_header(c, "Cache-Control", "no-cache");
  add_header(c, "X-Accel-Buffering", "no");
  bool has_last = custom(c->wsi, "last-event-id:", last, sizeof last) > 0;
  char stream[16] = "g";
  unsigned long long after = 0;
  if (has_last) {
    char *dash = strrchr(last, '-');
    if (dash && (size_t)(dash - last) < sizeof stream) {
      snprintf(stream, sizeof stream, "%.*s", (int)(dash - last), last);
      after = strtoull(dash + 1, NULL, 10);
    }
  }
  snprintf(c->stream_id, sizeof c->stream_id, "%s", stream);
  /* Replay what that stream missed: after Last-Event-ID, or (for the standalone stream)
   * what was kept while no stream was open. */
  for (size_t i = 0; i < hs->ring_count; i++) {
    ring_event_t *e = &hs->ring[(hs->ring_start + i) % RING_EVENTS];
    if (strcmp(e->stream, stream) != 0 || (has_last ? e->seq <= after : e->delivered)) continue;
    e->delivered = true;
    queue_sse(c, e->stream, e->seq, e->data, strlen(e->data), false);
  }
  if (stream[0] == 'g') {
    if (hs->stream && hs->stream != c) { /* one standalone stream per session: the new one wins */
      hs->stream->hs = NULL;
      hs->stream->close_after = true;
      lws_callback_on_writable(hs->stream->wsi);
      hs->conns--;
    }
    hs->stream = c;
  } else {
    pstream_t *ps = ps_find(hs, stream);
    if (ps && !ps->done && !ps->conn) { /* the rest of that POST's answer comes here */
      ps->conn = c;
      c->ps = ps;
    } else {
      queue_raw(c, ": replay done\n\n", 15, true);
    }
  }
  lws_callback_on_writable(c->wsi);
}

static void delete_mcp(conn_t *c) {
  char sid[64];
  if (strcmp(c->protocol_version, MODERN) == 0 && custom(c->wsi, "mcp-session-id:", sid, sizeof sid) <= 0) {
    add_header(c, "Allow", "POST");
    respond_error(c, 405, JSONRPC_METHOD_NOT_FOUND, "Method Not Allowed: 2026-07-28 has no sessions to delete");
    return;
  }
  hsession_t *hs = session_of(c);
  if (!hs) return;
  hs_close(hs);
  hs_maybe_free(hs);
  respond(c, 200, "text/plain", "");
}

/* ---- legacy HTTP+SSE ---------------------------------------------------------------- */

static void get_sse(conn_t *c) {
  http_server_t *h = c->srv;
  if (h->nsessions >= h->cfg->max_sessions) {
    respond_error(c, 503, JSONRPC_INTERNAL_ERROR, "Too many sessions (--max-sessions)");
    return;
  }
  hsession_t *hs = hs_new(h, HS_SSE);
  c->kind = C_STREAM;
  c->hs = hs;
  hs->stream = c;
  hs->conns++;
  begin_response(c, 200, "text/event-stream");
  c->sse = true;
  add_header(c, "Cache-Control", "no-cache");
  add_header(c, "X-Accel-Buffering", "no");
  char ev[128];
  int n = snprintf(ev, sizeof ev, "event: endpoint\ndata: /messages?sessionId=%s\n\n", hs->id);
  queue_raw(c, ev, (size_t)n, false);

}

static void post_messages(conn_t *c) {
  char arg[96];
  const char *sid = lws_get_urlarg_by_name(c->wsi, "sessionId=", arg, sizeof arg); /* points into arg */
  if (!sid || !sid[0]) {
    respond_error(c, 400, -32000, "Bad Request: sessionId query parameter is required");
    return;
  }
  hsession_t *hs = hs_find(c->srv, sid);
  if (!hs || hs->kind != HS_SSE) {
    respond_error(c, 404, -32001, "Session not found");
    return;
  }
  hs_touch(hs);
  respond(c, 202, "text/plain", "Accepted");
  mcp_session_set_credentials(hs->mcp, request_credentials(c));
  mcp_session_handle(hs->mcp, c->body ? c->body : "", c->blen, NULL);
  if (hs->mcp) mcp_session_set_credentials(hs->mcp, NULL);
}

/* ---- health and metrics ------------------------------------------------------------- */

static void get_plain(conn_t *c, const char *path) {
  http_server_t *h = c->srv;
  if (strcmp(path, "/healthz") == 0) {
    respond(c, 200, "text/plain", "ok\n");
  } else if (strcmp(path, "/readyz") == 0) {
    bool ready = h->ready && !h->draining;
    respond(c, ready ? 200 : 503, "text/plain", ready ? "ready\n" : "not ready\n");
  } else {
    char *text = metrics_render(h->metrics, lua_host_memory(h->host), mcp_active_calls(h->mcp));
    respond(c, 200, "text/plain; version=0.0.4", text);
    free(text);
  }
}

/* ---- the lws callback --------------------------------------------------------------- */

static void live_add(http_server_t *h, conn_t *c) {
  c->next_live = h->live;
  if (h->live) h->live->prev_live = c;
  h->live = c;
  h->nconns++;
}

static void live_remove(http_server_t *h, conn_t *c) {
  if (c->prev_live) c->prev_live->next_live = c->next_live;
  else if (h->live == c) h->live = c->next_live;
  else return;
  if (c->next_live) c->next_live->prev_live = c->prev_live;
  c->next_live = c->prev_live = NULL;
  h->nconns--;
}

/* Resets the per-transaction state of a keep-alive connection. */
static void conn_reset(conn_t *c) {
  queue_free(c);
  free(c->body);
  c->body = NULL;
  c->blen = c->bcap = 0;
  c->too_big = c->modern = false;
  json_decref(c->req_id);
  c->req_id = NULL;
  c->status = 0;
  c->ctype = NULL;
  c->extra[0] = '\0';
  c->headers_queued = c->headers_sent = c->sse = c->final_queued = c->answered = false;
  c->protocol_version[0] = c->mcp_method[0] = c->mcp_name[0] = '\0';
}

/* The end of an HTTP transaction or connection: an unanswered POST is cancelled. */
static void conn_end(conn_t *c) {
  pstream_t *ps = c->ps;
  if (ps) {
    c->ps = NULL;
    ps->conn = NULL;
    if (ps->done || c->answered) ps_free(ps);
    else if (!c->sse && c->hs && c->hs->mcp) { /* nothing resumable went out: the hang-up cancels */
      ps->cancelling = true;
      mcp_session_origin_gone(c->hs->mcp, ps);
      ps_free(ps);
    } /* else it waits for a GET with Last-Event-ID, answers kept in the ring meanwhile */
  }
  if (c->ephemeral) {
    mcp_session_origin_gone(c->ephemeral, c);
    mcp_session_close(c->ephemeral);
    c->ephemeral = NULL;
  }
  if (c->hs && c->hs->kind == HS_SSE && c->hs->stream == c) { /* the legacy stream is the session */
    hsession_t *hs = c->hs;
    hs_close(hs);
    c->hs = hs;
    hs->conns++;
  }
  conn_detach(c);
  c->kind = C_NONE;
}

static int write_headers(conn_t *c) {
  unsigned char buf[LWS_PRE + 1024], *start = &buf[LWS_PRE], *p = start, *end = &buf[sizeof buf - 1];
  lws_filepos_t len = c->sse ? LWS_ILLEGAL_HTTP_CONTENT_LEN : (lws_filepos_t)(c->q_head ? c->q_head->len : 0);
  if (lws_add_http_common_headers(c->wsi, (unsigned int)c->status, c->ctype, len, &p, end)) return -1;
  for (char *line = c->extra; *line;) {
    char *colon = strchr(line, ':'), *eol = strstr(line, "\r\n");
    if (!colon || !eol) break;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(colon - line + 1), line);
    for (char *q = name; *q; q++) *q = (char)(*q >= 'A' && *q <= 'Z' ? *q + 32 : *q);
    const char *value = colon + 2;
    if (lws_add_http_header_by_name(c->wsi, (const unsigned char *)name, (const unsigned char *)value,
                                    (int)(eol - value), &p, end))
      return -1;
    line = eol + 2;
  }
  if (lws_finalize_write_http_header(c->wsi, start, &p, end)) return -1;
  c->headers_sent = true;
  return 0;
}

static int on_writeable(conn_t *c) {
  if (c->kind == C_WS) {
    if (c->going_away && !c->q_head && !c->close_code) {
      if (c->hs && c->hs->mcp && mcp_session_inflight(c->hs->mcp) > 0) return 0; /* answers first */
      c->close_code = LWS_CLOSE_STATUS_GOINGAWAY;
      c->close_reason = "server shutting down";
    }
    if (c->close_code && !c->q_head) {
      /* The close frame is written here: lws_close_reason() followed by returning -1 from
       * this callback drops the connection without one in lws 4.1 (clients saw 1006). */
      if (c->close_sent) return 0;
      unsigned char frame[LWS_PRE + 128];
      size_t n = strlen(c->close_reason);
      frame[LWS_PRE] = (unsigned char)(c->close_code >> 8);
      frame[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
      memcpy(frame + LWS_PRE + 2, c->close_reason, n);
      lws_write(c->wsi, frame + LWS_PRE, n + 2, (enum lws_write_protocol)4 /* LWS_WRITE_CLOSE */);
      c->close_sent = true;
      lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_ACK, 5); /* the peer's answer, or we hang up */
      return 0;
    }
    if (c->close_after && !c->q_head) return -1;
    outbuf_t *b = c->q_head;
    if (!b) return 0;
    c->q_head = b->next;
    if (!c->q_head) c->q_tail = NULL;
    c->q_bytes -= b->len;
    int n = lws_write(c->wsi, b->data + LWS_PRE, b->len, LWS_WRITE_TEXT);
    free(b);
    if (n < 0) return -1;
    if (c->q_head || c->going_away) lws_callback_on_writable(c->wsi);
    return 0;
  }
  if (c->headers_queued && !c->headers_sent) {
    if (write_headers(c) != 0) return -1;
    if (c->q_head || c->close_after) lws_callback_on_writable(c->wsi);
    return 0;
  }
  outbuf_t *b = c->q_head;
  if (!b) {
    if (c->close_after) {
      if (c->headers_sent) lws_write(c->wsi, (unsigned char *)"", 0, LWS_WRITE_HTTP_FINAL);
      return -1;
    }
    return 0;
  }
  c->q_head = b->next;
  if (!c->q_head) c->q_tail = NULL;
  c->q_bytes -= b->len;
  bool final = b->final;
  int n = lws_write(c->wsi, b->data + LWS_PRE, b->len, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
  free(b);
  if (n < 0) return -1;
  if (final) {
    bool sse = c->sse;
    conn_end(c);
    conn_reset(c);
    /* Without a content length the end of an SSE response is the end of the connection. */
    if (sse || lws_http_transaction_completed(c->wsi)) return -1;
    return 0;
  }
  if (c->q_head || c->close_after) lws_callback_on_writable(c->wsi);
  return 0;
}

static int on_http(conn_t *c, const char *path) {
  http_server_t *h = c->srv;
  conn_reset(c);
  struct lws *wsi = c->wsi;
  bool post = method_is(wsi, WSI_TOKEN_POST_URI), get = method_is(wsi, WSI_TOKEN_GET_URI);
  bool del = method_is(wsi, WSI_TOKEN_DELETE_URI), options = method_is(wsi, WSI_TOKEN_OPTIONS_URI);
  bool mcp_path = strcmp(path, "/mcp") == 0 || strcmp(path, "/mcp/") == 0;
  c->kind = C_SIMPLE;
  if (h->draining) {
    respond_error(c, 503, JSONRPC_INTERNAL_ERROR, "Server is shutting down");
    return 0;
  }
  if (get && (strcmp(path, "/healthz") == 0 || strcmp(path, "/readyz") == 0 || strcmp(path, "/metrics") == 0)) {
    get_plain(c, path);
    return 0;
  }
  if (!mcp_path && strcmp(path, "/sse") != 0 && strcmp(path, "/messages") != 0 && strcmp(path, "/message") != 0) {
    respond(c, 404, "text/plain", "Not Found: MCP is at /mcp (Streamable HTTP, WebSocket) and /sse (legacy)\n");
    return 0;
  }
  if (!admit(c)) return 0;
  if (options) {
    add_header(c, "Allow", "GET, POST, DELETE, OPTIONS");
    respond(c, 204, "text/plain", "");
    return 0;
  }
  custom(wsi, "mcp-protocol-version:", c->protocol_version, sizeof c->protocol_version);
  custom(wsi, "mcp-method:", c->mcp_method, sizeof c->mcp_method);
  custom(wsi, "mcp-name:", c->mcp_name, sizeof c->mcp_name);
  if (post) {
    char ctype[128], accept[256];
    header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, ctype, sizeof ctype);
    header(wsi, WSI_TOKEN_HTTP_ACCEPT, accept, sizeof accept);
    if (strncasecmp(ctype, "application/json", 16) != 0 || (ctype[16] && ctype[16] != ';' && ctype[16] != ' ')) {
      respond_error(c, 415, JSONRPC_INVALID_REQUEST, "Unsupported Media Type: Content-Type must be application/json");
      c->close_after = true;
      return 0;
    }
    if (mcp_path && (!accepts(accept, "application/json") || !accepts(accept, "text/event-stream"))) {
      respond_error(c, 406, JSONRPC_INVALID_REQUEST, "Not Acceptable: Accept must list application/json and text/event-stream");
      c->close_after = true;
      return 0;
    }
    char te[64];
    if (header(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING, te, sizeof te) > 0 && strcasestr(te, "chunked") &&
        lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
      /* lws does not decode chunked request bodies; say so rather than wait forever */
      respond_error(c, 411, JSONRPC_INVALID_REQUEST, "Length Required: send the body with a Content-Length");
      c->close_after = true;
      return 0;
    }
    c->kind = C_POST;
    return 0; /* the body follows */
  }
  if (get && mcp_path) {
    get_mcp(c);
    return 0;
  }
  if (get && strcmp(path, "/sse") == 0) {
    get_sse(c);
    return 0;
  }
  if (del && mcp_path) {
    delete_mcp(c);
    return 0;
  }
  add_header(c, "Allow", mcp_path ? "GET, POST, DELETE" : strcmp(path, "/sse") == 0 ? "GET" : "POST");
  respond_error(c, 405, JSONRPC_METHOD_NOT_FOUND, "Method Not Allowed");
  return 0;
}

static int on_body(conn_t *c, const char *in, size_t len) {
  if (c->too_big) return 0;
  size_t max = c->srv->cfg->max_message_bytes;
  if (c->blen + len > max) {
    c->too_big = true;
    free(c->body);
    c->body = NULL;
    c->blen = c->bcap = 0;
    char text[160];
    snprintf(text, sizeof text, "Payload Too Large: the body exceeds %zu bytes (--max-message-bytes)", max);
    respond_error(c, 413, JSONRPC_INVALID_REQUEST, text);
    c->close_after = true;
    c->kind = C_SIMPLE;
    return 0;
  }
  if (c->blen + len + 1 > c->bcap) {
    size_t cap = c->bcap ? c->bcap : 4096;
    while (cap < c->blen + len + 1) cap *= 2;
    char *nb = realloc(c->body, cap);
    if (!nb) return -1;
    c->body = nb;
    c->bcap = cap;
  }
  memcpy(c->body + c->blen, in, len);
  c->blen += len;
  c->body[c->blen] = '\0';
  return 0;
}

static void on_body_done(conn_t *c, const char *path) {
  if (c->too_big || c->headers_queued) return;
  if (strcmp(path, "/mcp") == 0 || strcmp(path, "/mcp/") == 0) post_mcp(c);
  else post_messages(c);
}

/* WebSocket: whole messages up to the limit; binary frames are answered, not fatal. */
static int on_ws_receive(conn_t *c, const char *in, size_t len) {
  size_t max = c->srv->cfg->max_message_bytes;
  if (lws_frame_is_binary(c->wsi)) {
    if (lws_is_final_fragment(c->wsi))
    {
      static const char refusal[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":"
                                    "\"Invalid Request: binary frames are not MCP messages; send JSON as text frames\"}}";
      queue_raw(c, refusal, sizeof refusal - 1, false);
    }
    return 0;
  }
  if (c->close_code) return 0; /* closing: the rest of the message is dropped */
  if (c->blen + len > max) {
    c->close_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
    c->close_reason = "message too big";
    c->blen = 0;
    lws_callback_on_writable(c->wsi);
    return 0;
  }
  if (on_body(c, in, len) != 0) return -1;
  if (!lws_is_final_fragment(c->wsi) || lws_remaining_packet_payload(c->wsi)) return 0;
  if (c->hs && c->hs->mcp) {
    hs_touch(c->hs);
    mcp_session_handle(c->hs->mcp, c->body, c->blen, NULL);
  }
  c->blen = 0;
  return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  conn_t *c = user;
  http_server_t *h = lws_context_user(lws_get_context(wsi));
  switch (reason) {
  case LWS_CALLBACK_HTTP:
    /* Tracked from its first request: a connection that upgrades to WebSocket never gets
     * here, and is tracked from ESTABLISHED instead. */
    if (!c->srv) {
      c->srv = h;
      c->wsi = wsi;
      live_add(h, c);
    }
    return on_http(c, in);
  case LWS_CALLBACK_HTTP_BODY:
    return c->kind == C_POST || c->too_big ? on_body(c, in, len) : 0;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    if (c->kind == C_POST) {
      char uri[64] = "";
      char *p = NULL;
      int n = 0;
      if (lws_http_get_uri_and_method(wsi, &p, &n) >= 0 && p) snprintf(uri, sizeof uri, "%.*s", n, p);
      char *q = strchr(uri, '?');
      if (q) *q = '\0';
      on_body_done(c, uri);
    }
    return 0;
  case LWS_CALLBACK_HTTP_WRITEABLE:
    return c ? on_writeable(c) : 0;
  case LWS_CALLBACK_CLOSED_HTTP:
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    if (c && c->srv) {
      conn_end(c);
      conn_reset(c);
      live_remove(h, c);
      c->srv = NULL;
    }
    break;
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
    /* The WebSocket handshake: same checks as HTTP, answered by refusing the upgrade. */
    char path[64] = "";
    lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI);
    const char *why = NULL;
    int status = strcmp(path, "/mcp") != 0 ? 404 : h->draining ? 503 : access_denied(h, wsi, &why);
    if (!status && h->nsessions >= h->cfg->max_sessions) status = 503;
    if (!status) return 0;
    log_warn("http: refused a WebSocket upgrade to %s (%d)", path, status);
    return refuse_upgrade(wsi, status, why ? why : status == 404 ? "Not Found: WebSocket MCP is at /mcp"
                                            : h->draining ? "Server is shutting down" : "Too many sessions (--max-sessions)");
  }
  case LWS_CALLBACK_ESTABLISHED:
    c->srv = h;
    c->wsi = wsi;
    c->kind = C_WS;
    live_add(h, c);
    c->hs = hs_new(h, HS_WS);
    c->hs->stream = c;
    c->hs->conns++;
    mcp_session_set_credentials(c->hs->mcp, request_credentials(c)); /* a WebSocket's, from its upgrade */
    break;
  case LWS_CALLBACK_RECEIVE:
    return on_ws_receive(c, in, len);
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return on_writeable(c);
  case LWS_CALLBACK_CLOSED:
    if (c->hs) {
      hsession_t *hs = c->hs;
      hs_close(hs);
      c->hs = hs;
      hs->conns++;
      conn_detach(c);
    }
    queue_free(c);
    free(c->body);
    c->body = NULL;
    live_remove(h, c);
    break;
  default:
    break;
  }
  return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- life --------------------------------------------------------------------------- */

static void lws_log(int level, const char *line) {
  size_t n = strlen(line);
  while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
  log_msg(level == LLL_ERR ? LOG_ERROR : level == LLL_WARN ? LOG_WARNING : LOG_DEBUG, "lws: %.*s", (int)n, line);
}

/* Whether host:port can be bound (as lws will, with SO_REUSEADDR); err says why not. */
static bool port_free(const char *host, int port, char *err, size_t errlen) {
  struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res = NULL;
  char service[16];
  snprintf(service, sizeof service, "%d", port);
  int rc = getaddrinfo(host, service, &hints, &res);
  if (rc != 0) {
    snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, gai_strerror(rc));
    return false;
  }
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol), one = 1;
  bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
            bind(fd, res->ai_addr, res->ai_addrlen) == 0;
  if (!ok) snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
  if (fd >= 0) close(fd);
  freeaddrinfo(res);
  return ok;
}

http_server_t *http_new(uv_loop_t *loop, mcp_t *m, lua_host_t *host, metrics_t *metrics, const config_t *cfg, char *err,
                        size_t errlen) {
  http_server_t *h = ack_xcalloc(1, sizeof *h);
  h->loop = loop;
  h->mcp = m;
  h->host = host;
  h->metrics = metrics;
  h->cfg = cfg;
  h->auth_token = cfg->auth_token ? ack_strdup(cfg->auth_token) : NULL;
  h->loopback = http_bind_is_loopback(cfg->host);
  h->by_id = json_object();
  uv_timer_init(loop, &h->sweep);
  uv_timer_init(loop, &h->probe);
  h->sweep.data = h->probe.data = h;
  h->protocols[0] = (struct lws_protocols){ "mcp", callback, sizeof(conn_t), 65536, 0, NULL, 0 };
  /* WebSocket keepalive: ping after 30 s without traffic, hang up a peer silent for 60 s. */
  h->retry.secs_since_valid_ping = 30;
  h->retry.secs_since_valid_hangup = 60;
  lws_set_log_level(log_get_level() <= LOG_DEBUG ? (LLL_ERR | LLL_WARN | LLL_NOTICE) : (LLL_ERR | LLL_WARN), lws_log);
  void *foreign[] = { loop };
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = cfg->port;
  info.iface = cfg->host;
  info.protocols = h->protocols;
  info.user = h;
  info.foreign_loops = foreign;
  info.pcontext = &h->ctx; /* lws clears it once a destroy has really finished */
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE * 0 |
                 LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
  info.max_http_header_data = (unsigned short)cfg->max_header_bytes;
  /* A connection holds a header slot until its request head is complete: enough slots that
   * silent clients cannot starve the rest, and a short hold for idle ones. */
  info.max_http_header_pool = (unsigned short)(cfg->max_sessions < 1024 ? cfg->max_sessions + 64 : 1024);
  info.timeout_secs_ah_idle = 5;
  info.timeout_secs = 20;          /* a client that connects and sends nothing is dropped */
  info.ka_time = 60;               /* TCP keepalive finds half-open peers */
  info.ka_probes = 3;
  info.ka_interval = 10;
  info.retry_and_idle_policy = &h->retry;
  info.fd_limit_per_thread = (unsigned int)cfg->max_sessions + 64;
  if (cfg->tls_cert) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = cfg->tls_cert;
    info.ssl_private_key_filepath = cfg->tls_key;
  }
  /* lws 4.1 on a foreign loop crashes tearing down a context whose listener failed to
   * bind, so the usual failure (the port is taken) is found before lws is asked. */
  if (!port_free(cfg->host, cfg->port, err, errlen)) {
    h->failed = true;
    return h;
  }
  h->ctx = lws_create_context(&info);
  if (!h->ctx || !lws_get_vhost_by_name(h->ctx, "default")) { /* port in use, a TLS key that does not load */
    snprintf(err, errlen, "cannot listen on %s:%d (in use, or a bad TLS certificate or key?)", cfg->host, cfg->port);
    h->failed = true;
  }
  uv_timer_start(&h->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
  uv_timer_start(&h->probe, on_probe, PROBE_MS, PROBE_MS);
  return h;
}

bool http_failed(const http_server_t *h) { return h->failed; }

void http_set_ready(http_server_t *h, bool ready) { h->ready = ready; }
int http_connections(const http_server_t *h) { return h->nconns; }

void http_drain(http_server_t *h) {
  h->draining = true;
  for (conn_t *c = h->live; c; c = c->next_live) {
    if (c->kind == C_WS) {
      c->going_away = true;
      lws_callback_on_writable(c->wsi);
    } else if (c->kind == C_STREAM) {
      c->close_after = true;
      lws_callback_on_writable(c->wsi);
    } else if ((c->kind == C_NONE || c->kind == C_SIMPLE) && !c->q_head) {
      lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC); /* idle keep-alive */
    }
  }
}

void http_free(http_server_t *h) {
  if (!h) return;
  for (hsession_t *hs = h->sessions; hs; hs = hs->next) hs_close(hs);
  if (h->ctx) lws_context_destroy(h->ctx); /* finishes on the loop: see http_release */
  uv_timer_stop(&h->sweep);
  uv_close((uv_handle_t *)&h->probe, NULL);
  uv_close((uv_handle_t *)&h->sweep, NULL);
  free(h->auth_token);
  h->auth_token = NULL;
}

void http_release(http_server_t *h) {
  if (!h) return;
  /* With a foreign loop, lws frees the context in a second destroy once the loop has run
   * its handles' close callbacks (lws's own libuv example does the same). */
  if (h->ctx) lws_context_destroy(h->ctx);
  while (h->sessions) {
    hsession_t *hs = h->sessions;
    h->sessions = hs->next;
    while (hs->pstreams) ps_free(hs->pstreams);
    for (size_t i = 0; i < hs->ring_count; i++) free(hs->ring[(hs->ring_start + i) % RING_EVENTS].data);
    free(hs->ring);
    free(hs);
  }
  json_decref(h->by_id);
  free(h);
}
