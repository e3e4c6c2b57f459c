/* mcp.c: sessions, message routing, replies, cancellation and server notifications.
 * The method handlers are in mcp_methods.c; this file decides which era a message belongs
 * to, checks the envelope, and makes sure every request gets exactly one answer (or none,
 * when the client cancelled it). */
#include "mcp_internal.h"

#include "ack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const legacy_versions[] = { "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05" };

/* ---- sending ------------------------------------------------------------------------ */

void mcp_send(mcp_session_t *s, json_t *msg, void *origin, bool final) {
  if (!s->closed) {
    char *text = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(15));
    if (text) {
      size_t n = strlen(text);
      metrics_bytes(s->m->metrics, 0, n);
      s->t->send(s->tctx, text, n, origin, final);
      free(text);
    }
  }
  json_decref(msg);
}

json_t *mcp_server_info(void) {
  return json_pack("{s:s,s:s,s:s}", "name", ACK_NAME, "title", "ACK MCP Server", "version", ACK_VERSION);
}

static void session_maybe_free(mcp_session_t *s);

static void req_free(mcp_req_t *r) {
  mcp_session_t *s = r->s;
  s->nreqs--;
  if (r->prev) r->prev->next = r->next;
  else s->reqs = r->next;
  if (r->next) r->next->prev = r->prev;
  for (mcp_outreq_t **pp = &s->outreqs; *pp;) {
    if ((*pp)->req == r) {
      mcp_outreq_t *o = *pp;
      *pp = o->next;
      free(o->key);
      free(o);
    } else {
      pp = &(*pp)->next;
    }
  }
  json_decref(r->id);
  json_decref(r->progress_token);
  free(r->method);
  free(r->tool);
  json_decref(r->listen_filter);
  free(r);
  session_maybe_free(s);
}

/* Delivers a response: into its batch, or on the wire. Frees r. */
static void deliver(mcp_req_t *r, json_t *msg) {
  mcp_batch_t *b = r->batch;
  mcp_session_t *s = r->s;
  if (b) {
    json_array_append_new(b->responses, msg);
    if (--b->outstanding == 0) {
      mcp_send(s, b->responses, b->origin, true);
      free(b);
    }
  } else {
    mcp_send(s, msg, r->origin, true);
  }
  req_free(r);
}

/* A notification or a request without a reply still counts down its batch. */
static void batch_release(mcp_batch_t *b, mcp_session_t *s) {
  if (!b || --b->outstanding > 0) return;
  if (json_array_size(b->responses)) mcp_send(s, b->responses, b->origin, true);
  else json_decref(b->responses);
  free(b);
}

void mcp_reply_result(mcp_req_t *r, json_t *result) {
  metrics_request(r->s->m->metrics, r->method, false);
  const mcp_method_t *mm = mcp_method_find(r->method);
  if (r->modern && mm && (mm->flags & M_CACHEABLE)) {
    if (!json_object_get(result, "ttlMs")) json_object_set_new(result, "ttlMs", json_integer(r->s->m->cfg->dev ? 0 : 60000));
    if (!json_object_get(result, "cacheScope")) json_object_set_new(result, "cacheScope", json_string("public"));
  }
  if (r->modern) {
    if (!json_object_get(result, "resultType")) json_object_set_new(result, "resultType", json_string("complete"));
    json_t *meta = json_object_get(result, "_meta");
    if (!meta) json_object_set_new(result, "_meta", meta = json_object());
    json_object_set_new(meta, META_SERVER, mcp_server_info());
  }
  deliver(r, json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", r->id, "result", result));
}

static json_t *error_msg(const json_t *id, int code, const char *message, json_t *data) {
  json_t *err = json_pack("{s:i,s:s}", "code", code, "message", message);
  if (data) json_object_set_new(err, "data", data);
  return json_pack("{s:s,s:O,s:o}", "jsonrpc", "2.0", "id", id ? id : json_null(), "error", err);
}

void mcp_reply_error(mcp_req_t *r, int code, const char *message, json_t *data) {
  metrics_request(r->s->m->metrics, r->method, true);
  deliver(r, error_msg(r->id, code, message, data));
}

void mcp_reply_none(mcp_req_t *r) {
  if (!r->batch && !r->s->closed) r->s->t->send(r->s->tctx, NULL, 0, r->origin, true); /* its stream may end */
  batch_release(r->batch, r->s);
  req_free(r);
}

void mcp_notify(mcp_req_t *r, const char *method, json_t *params) {
  mcp_send(r->s, json_pack("{s:s,s:s,s:o}", "jsonrpc", "2.0", "method", method, "params", params), r->origin, false);
}

/* ---- sessions ----------------------------------------------------------------------- */

mcp_session_t *mcp_session_new(mcp_t *m, const mcp_transport_t *t, void *tctx) {
  mcp_session_t *s = ack_xcalloc(1, sizeof *s);
  s->m = m;
  s->t = t;
  s->tctx = tctx;
  s->log_level = LOG_INFO;
  s->next_out_id = 1;
  metrics_session(m->metrics, t->name, +1);
  s->next = m->sessions;
  if (m->sessions) m->sessions->prev = s;
  m->sessions = s;
  return s;
}

static void session_maybe_free(mcp_session_t *s) {
  if (!s->closed || s->reqs || s->busy) return;
  mcp_t *m = s->m;
  if (s->prev) s->prev->next = s->next;
  else m->sessions = s->next;
  if (s->next) s->next->prev = s->prev;
  metrics_session(m->metrics, s->t->name, -1);
  json_decref(s->client_caps);
  json_decref(s->subscriptions);
  json_decref(s->credentials);
  free(s);
}

void mcp_session_close(mcp_session_t *s) {
  s->closed = true;
  s->busy++;
  /* Cancelling answers nothing (the session is closed) and frees each request. */
  while (s->reqs) {
    mcp_req_t *r = s->reqs;
    if (r->call) {
      r->client_cancelled = true;
      lua_host_call_cancel(r->call, "client went away", false);
    } else {
      req_free(r);
    }
  }
  s->busy--;
  session_maybe_free(s);
}

/* ---- routing ------------------------------------------------------------------------ */

static mcp_req_t *find_req(mcp_session_t *s, const json_t *id) {
  for (mcp_req_t *r = s->reqs; r; r = r->next)
    if (json_equal(r->id, id)) return r;
  return NULL;
}

static void on_cancelled(mcp_session_t *s, json_t *params) {
  json_t *id = json_object_get(params, "requestId");
  mcp_req_t *r = id ? find_req(s, id) : NULL;
  if (!r) {
    log_debug("cancel for unknown or finished request ignored");
    return;
  }
  if (r->listening) { /* a subscription ends without an answer */
    mcp_reply_none(r);
    return;
  }
  if (r->call) {
    const char *reason = json_string_value(json_object_get(params, "reason"));
    r->client_cancelled = true;
    lua_host_call_cancel(r->call, reason ? reason : "cancelled by the client", false);
  }
}

/* A client's answer to a server request (legacy elicitation). */
static void on_response(mcp_session_t *s, json_t *msg) {
  json_t *id = json_object_get(msg, "id");
  for (mcp_outreq_t **pp = &s->outreqs; *pp; pp = &(*pp)->next) {
    mcp_outreq_t *o = *pp;
    if (!json_is_integer(id) || json_integer_value(id) != o->id) continue;
    *pp = o->next;
    mcp_req_t *r = o->req;
    json_t *err = json_object_get(msg, "error");
    if (r->call) {
      if (err) {
        char text[300];
        snprintf(text, sizeof text, "the client refused: %s",
                 json_string_value(json_object_get(err, "message")) ? json_string_value(json_object_get(err, "message")) : "error");
        lua_host_call_answer(r->call, o->key, NULL, text);
      } else {
        lua_host_call_answer(r->call, o->key, json_object_get(msg, "result"), NULL);
      }
    }
    free(o->key);
    free(o);
    return;
  }
  log_debug("response to unknown server request ignored");
}

static bool supported_legacy(const char *v) {
  for (size_t i = 0; i < ACK_ARRAY_LEN(legacy_versions); i++)
    if (strcmp(v, legacy_versions[i]) == 0) return true;
  return false;
}

/* Handles one request or notification object. batch may be NULL. Returns whether a final
 * answer goes out for it (a request, or an invalid message). */
static bool handle_object(mcp_session_t *s, json_t *msg, mcp_batch_t *batch, void *origin) {
  mcp_t *m = s->m;
  json_t *jid = json_object_get(msg, "id");
  json_t *jmethod = json_object_get(msg, "method");
  json_t *params = json_object_get(msg, "params");
  const char *jsonrpc = json_string_value(json_object_get(msg, "jsonrpc"));
  bool is_response = !jmethod && jid && (json_object_get(msg, "result") || json_object_get(msg, "error"));

  if (!jsonrpc || strcmp(jsonrpc, "2.0") != 0 || (!is_response && !json_is_string(jmethod)) ||
      (jid && !json_is_string(jid) && !json_is_integer(jid)) || (params && !json_is_object(params))) {
    const char *why = !jsonrpc || strcmp(jsonrpc, "2.0") != 0 ? "Invalid Request: jsonrpc must be \"2.0\""
                      : (jid && !json_is_string(jid) && !json_is_integer(jid)) ? "Invalid Request: id must be a string or an integer"
                      : (params && !json_is_object(params)) ? "Invalid Request: params must be an object"
                                                             : "Invalid Request: method must be a string";
    json_t *e = error_msg(jid && (json_is_string(jid) || json_is_integer(jid)) ? jid : NULL, JSONRPC_INVALID_REQUEST, why, NULL);
    if (batch) {
      json_array_append_new(batch->responses, e);
      batch_release(batch, s);
    } else {
      mcp_send(s, e, origin, true);
    }
    return true;
  }
  if (is_response) {
    on_response(s, msg);
    batch_release(batch, s);
    return false;
  }
  const char *method = json_string_value(jmethod);
  if (!jid) { /* notification */
    if (strcmp(method, "notifications/cancelled") == 0) on_cancelled(s, params);
    else if (strcmp(method, "notifications/initialized") == 0) log_debug("client initialized (%s)", s->version);
    else log_debug("notification %s ignored", method);
    batch_release(batch, s);
    return false;
  }

  mcp_req_t *r = ack_xcalloc(1, sizeof *r);
  r->s = s;
  r->id = json_incref(jid);
  r->method = ack_strdup(method);
  r->batch = batch;
  r->origin = origin;
  r->started = uv_hrtime();
  s->nreqs++;
  r->next = s->reqs;
  if (s->reqs) s->reqs->prev = r;
  json_t *meta = json_object_get(params, "_meta");
  json_t *mver = json_object_get(meta, META_VERSION);
  r->progress_token = json_incref(json_object_get(meta, "progressToken"));
  if (r->progress_token && !json_is_string(r->progress_token) && !json_is_integer(r->progress_token)) {
    json_decref(r->progress_token);
    r->progress_token = NULL;
  }
  for (mcp_req_t *o = s->reqs; o; o = o->next) {
    if (json_equal(o->id, jid)) {
      s->reqs = r;
      mcp_reply_error(r, JSONRPC_INVALID_REQUEST, "Invalid Request: this id is already in use by a request in flight", NULL);
      return true;
    }
  }
  s->reqs = r;
  if (s->nreqs > m->cfg->max_inflight) {
    char busy[120];
    snprintf(busy, sizeof busy, "Too many requests in flight on this session (limit %d, --max-inflight)", m->cfg->max_inflight);
    mcp_reply_error(r, -32000, busy, NULL);
    return true;
  }

  /* Era: a legacy session stays legacy; otherwise the per-request _meta version decides. */
  if (mver && !s->initialized) {
    const char *v = json_string_value(mver);
    if (!v || strcmp(v, MCP_MODERN_VERSION) != 0) {
      json_t *data = json_pack("{s:[s],s:O}", "supported", MCP_MODERN_VERSION, "requested", mver);
      for (size_t i = 0; i < ACK_ARRAY_LEN(legacy_versions); i++)
        json_array_append_new(json_object_get(data, "supported"), json_string(legacy_versions[i]));
      char text[160];
      snprintf(text, sizeof text, "Unsupported protocol version %s: per-request _meta needs %s; older revisions use initialize",
               v ? v : "(not a string)", MCP_MODERN_VERSION);
      mcp_reply_error(r, MCP_UNSUPPORTED_PROTOCOL_VERSION, text, data);
      return true;
    }
    r->modern = true;
    if (!json_is_object(json_object_get(meta, META_CAPS))) {
      mcp_reply_error(r, JSONRPC_INVALID_PARAMS, "Invalid params: _meta[\"" META_CAPS "\"] is required on " MCP_MODERN_VERSION " requests", NULL);
      return true;
    }
    const char *lvl = json_string_value(json_object_get(meta, META_LOGLEVEL));
    if (lvl && log_level_parse(lvl, &r->log_level) == 0) r->has_log_level = true;
  }

  const mcp_method_t *mm = mcp_method_find(method);
  char text[512];
  if (!mm || (r->modern && !(mm->flags & M_MODERN)) || (!r->modern && !(mm->flags & M_LEGACY))) {
    snprintf(text, sizeof text, "Method not found: %s%s", method,
             mm ? (r->modern ? " (not part of " MCP_MODERN_VERSION ")" : " (needs a " MCP_MODERN_VERSION " request)") : "");
    mcp_reply_error(r, JSONRPC_METHOD_NOT_FOUND, text, NULL);
    return true;
  }
  if (!r->modern && !s->initialized && !(mm->flags & M_BEFORE_INIT)) {
    snprintf(text, sizeof text, "Invalid Request: %s before initialize (send initialize first, or use %s per-request _meta)",
             method, MCP_MODERN_VERSION);
    mcp_reply_error(r, JSONRPC_INVALID_REQUEST, text, NULL);
    return true;
  }
  if (m->draining && strcmp(method, "ping") != 0) {
    mcp_reply_error(r, JSONRPC_INTERNAL_ERROR, "Server is shutting down", NULL);
    return true;
  }
  int code = 0;
  text[0] = '\0';
  json_t *result = mm->fn(r, params, &code, text, sizeof text);
  if (result) {
    mcp_reply_result(r, result);
  } else if (code) {
    mcp_reply_error(r, code, text, NULL);
  }
  return true;
}

bool mcp_session_handle(mcp_session_t *s, const char *buf, size_t len, void *origin) {
  json_error_t e;
  metrics_bytes(s->m->metrics, len, 0);
  /* jansson rejects invalid UTF-8 and nesting past its depth limit: both are parse errors. */
  json_t *msg = json_loadb(buf, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &e);
  if (!msg) {
    char text[300];
    snprintf(text, sizeof text, "Parse error: %s (at byte %d)", e.text, e.position);
    mcp_send(s, error_msg(NULL, JSONRPC_PARSE_ERROR, text, NULL), origin, true);
    return true;
  }
  bool answered = true;
  if (json_is_array(msg)) {
    size_t n = json_array_size(msg);
    if (n == 0 || !s->initialized || strcmp(s->version, "2025-03-26") != 0) {
      char text[200];
      if (n == 0) snprintf(text, sizeof text, "Invalid Request: empty batch");
      else snprintf(text, sizeof text, "Invalid Request: JSON-RPC batches are only allowed in protocol revision 2025-03-26%s%s",
                    s->initialized ? ", this session uses " : "", s->initialized ? s->version : "");
      mcp_send(s, error_msg(NULL, JSONRPC_INVALID_REQUEST, text, NULL), origin, true);
    } else {
      mcp_batch_t *b = ack_xcalloc(1, sizeof *b);
      b->responses = json_array();
      b->origin = origin;
      b->outstanding = (int)n + 1; /* +1 held until every element is dispatched */
      answered = false;
      for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(msg, i);
        const char *m = json_string_value(json_object_get(item, "method"));
        if (m && strcmp(m, "initialize") == 0) {
          json_array_append_new(b->responses, error_msg(json_object_get(item, "id"), JSONRPC_INVALID_REQUEST,
                                                        "Invalid Request: initialize must not be part of a batch", NULL));
          batch_release(b, s);
          answered = true;
        } else if (json_is_object(item)) {
          answered |= handle_object(s, item, b, origin);
        } else {
          json_array_append_new(b->responses, error_msg(NULL, JSONRPC_INVALID_REQUEST, "Invalid Request: not an object", NULL));
          batch_release(b, s);
          answered = true;
        }
      }
      batch_release(b, s);
    }
  } else if (json_is_object(msg)) {
    answered = handle_object(s, msg, NULL, origin);
  } else {
    mcp_send(s, error_msg(NULL, JSONRPC_INVALID_REQUEST, "Invalid Request: a message must be a JSON object", NULL), origin, true);
  }
  json_decref(msg);
  return answered;
}

void mcp_session_reject_oversize(mcp_session_t *s, const json_t *id, size_t limit, void *origin) {
  char text[160];
  snprintf(text, sizeof text, "Invalid Request: message larger than the %zu-byte limit (--max-message-bytes); it was discarded", limit);
  mcp_send(s, error_msg(id, JSONRPC_INVALID_REQUEST, text, NULL), origin, true);
}

void mcp_session_origin_gone(mcp_session_t *s, void *origin) {
  s->busy++;
  bool again = true;
  while (again) {
    again = false;
    for (mcp_req_t *r = s->reqs; r; r = r->next) {
      if (r->origin != origin) continue;
      if (r->call) {
        r->client_cancelled = true;
        lua_host_call_cancel(r->call, "client went away", false);
      } else {
        if (r->batch) r->batch->origin = NULL;
        mcp_reply_none(r);
      }
      again = true;
      break;
    }
  }
  s->busy--;
  session_maybe_free(s);
}

/* ---- version negotiation (used by initialize) ---------------------------------------- */

const char *mcp__negotiate(const char *requested) {
  return requested && supported_legacy(requested) ? requested : legacy_versions[0];
}

/* ---- server-wide -------------------------------------------------------------------- */

void mcp_session_set_credentials(mcp_session_t *s, json_t *credentials) {
  json_decref(s->credentials);
  s->credentials = credentials;
}

const char *mcp_session_version(const mcp_session_t *s) { return s->initialized ? s->version : NULL; }
int mcp_session_inflight(const mcp_session_t *s) { return s->nreqs; }

mcp_t *mcp_new(const config_t *cfg, lua_host_t *host, registry_t *reg, metrics_t *metrics) {
  mcp_t *m = ack_xcalloc(1, sizeof *m);
  m->metrics = metrics;
  m->cfg = cfg;
  m->host = host;
  m->reg = reg;
  return m;
}

void mcp_free(mcp_t *m) { free(m); }

int mcp_active_calls(const mcp_t *m) { return m->active_calls; }

void mcp_drain(mcp_t *m) {
  m->draining = true;
  for (mcp_session_t *s = m->sessions; s; s = s->next) {
    for (mcp_req_t *r = s->reqs, *next; r; r = next) {
      next = r->next;
      if (!r->listening) continue;
      /* A graceful end of a subscription is its (empty) result. */
      json_t *res = json_pack("{s:{s:O}}", "_meta", META_SUBSCRIPTION, r->id);
      mcp_reply_result(r, res);
    }
  }
}

void mcp_cancel_all(mcp_t *m, const char *reason) {
  for (mcp_session_t *s = m->sessions, *snext; s; s = snext) {
    s->busy++;
    bool again = true;
    while (again) {
      again = false;
      for (mcp_req_t *r = s->reqs; r; r = r->next) {
        if (r->call) {
          lua_host_call_cancel(r->call, reason, false);
          again = true;
          break;
        }
      }
    }
    snext = s->next;
    s->busy--;
    session_maybe_free(s);
  }
}

void mcp_list_changed(mcp_t *m, unsigned kinds) {
  static const struct { unsigned bit; const char *method, *filter; } lists[] = {
    { 1u << REG_TOOL, "notifications/tools/list_changed", "toolsListChanged" },
    { 1u << REG_PROMPT, "notifications/prompts/list_changed", "promptsListChanged" },
    { 1u << REG_RESOURCE, "notifications/resources/list_changed", "resourcesListChanged" },
  };
  for (mcp_session_t *s = m->sessions; s; s = s->next) {
    for (size_t i = 0; i < ACK_ARRAY_LEN(lists); i++) {
      if (!(kinds & lists[i].bit)) continue;
      if (s->initialized) {
        mcp_send(s, json_pack("{s:s,s:s}", "jsonrpc", "2.0", "method", lists[i].method), NULL, false);
        continue;
      }
      for (mcp_req_t *r = s->reqs; r; r = r->next)
        if (r->listening && json_is_true(json_object_get(r->listen_filter, lists[i].filter)))
          mcp_notify(r, lists[i].method, json_pack("{s:{s:O}}", "_meta", META_SUBSCRIPTION, r->id));
    }
    if (!(kinds & (1u << REG_RESOURCE)) || !s->initialized) continue;
    const char *uri;
    json_t *v;
    json_object_foreach(s->subscriptions, uri, v) {
      mcp_send(s, json_pack("{s:s,s:s,s:{s:s}}", "jsonrpc", "2.0", "method", "notifications/resources/updated", "params", "uri", uri),
               NULL, false);
    }
  }
}

void mcp_log(mcp_t *m, log_level_t level, const char *logger, const char *text) {
  for (mcp_session_t *s = m->sessions; s; s = s->next) {
    if (!s->initialized || level < s->log_level) continue;
    mcp_send(s, json_pack("{s:s,s:s,s:{s:s,s:s,s:s}}", "jsonrpc", "2.0", "method", "notifications/message", "params",
                          "level", log_level_name(level), "logger", logger, "data", text), NULL, false);
  }
}
