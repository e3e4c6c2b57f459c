/* mcp_methods.c: the MCP method table and its handlers, and the bridge from a tool call's
 * callbacks (progress, log, elicitation, end) back to its request. */
#include "mcp_internal.h"

#include "ack.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char instructions[] =
  "Tools for Alibaba Cloud ACK and Kubernetes clusters. Read-only unless the server runs with "
  "--allow-write. Tool results carry structuredContent; lists page with cursors.";

json_t *mcp_capabilities(const mcp_t *m) {
  ACK_UNUSED(m);
  return json_pack("{s:{s:b},s:{s:b},s:{s:b,s:b},s:{},s:{}}", "tools", "listChanged", 1, "prompts", "listChanged", 1,
                   "resources", "subscribe", 1, "listChanged", 1, "logging", "completions");
}

static json_t *m_initialize(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  mcp_session_t *s = r->s;
  if (s->initialized) {
    *code = JSONRPC_INVALID_REQUEST;
    snprintf(msg, n, "Invalid Request: the session is already initialized (protocol %s)", s->version);
    return NULL;
  }
  const char *requested = json_string_value(json_object_get(params, "protocolVersion"));
  if (!requested) {
    *code = JSONRPC_INVALID_PARAMS;
    snprintf(msg, n, "Invalid params: protocolVersion must be a string");
    return NULL;
  }
  const char *v = mcp__negotiate(requested);
  snprintf(s->version, sizeof s->version, "%s", v);
  s->client_caps = json_incref(json_object_get(params, "capabilities"));
  s->initialized = true;
  json_t *client = json_object_get(params, "clientInfo");
  log_info("session initialized: client %s %s, protocol %s (asked %s)",
           json_string_value(json_object_get(client, "name")) ? json_string_value(json_object_get(client, "name")) : "?",
           json_string_value(json_object_get(client, "version")) ? json_string_value(json_object_get(client, "version")) : "?",
           v, requested);
  return json_pack("{s:s,s:o,s:o,s:s}", "protocolVersion", v, "capabilities", mcp_capabilities(s->m), "serverInfo",
                   mcp_server_info(), "instructions", instructions);
}

static json_t *m_ping(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  ACK_UNUSED(r); ACK_UNUSED(params); ACK_UNUSED(code); ACK_UNUSED(msg); ACK_UNUSED(n);
  return json_object();
}

static json_t *m_discover(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  ACK_UNUSED(params); ACK_UNUSED(code); ACK_UNUSED(msg); ACK_UNUSED(n);
  return json_pack("{s:[s,s,s,s,s],s:o,s:s}", "supportedVersions", MCP_MODERN_VERSION, "2025-11-25", "2025-06-18",
                   "2025-03-26", "2024-11-05", "capabilities", mcp_capabilities(r->s->m), "instructions", instructions);
}

static json_t *m_set_level(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  log_level_t level;
  const char *name = json_string_value(json_object_get(params, "level"));
  if (!name || log_level_parse(name, &level) != 0) {
    *code = JSONRPC_INVALID_PARAMS;
    snprintf(msg, n, "Invalid params: level must be one of debug, info, notice, warning, error, critical, alert, emergency");
    return NULL;
  }
  r->s->log_level = level;
  return json_object();
}

/* tools/list, prompts/list, resources/list and resources/templates/list: one registry
 * kind each, paged. Cursors are opaque to clients: "t1:<offset>". */
static json_t *list_kind(mcp_req_t *r, json_t *params, reg_kind_t kind, const char *field, int *code, char *msg, size_t n) {
  mcp_t *m = r->s->m;
  size_t offset = 0;
  json_t *jc = json_object_get(params, "cursor");
  if (jc) {
    const char *c = json_string_value(jc);
    char *end = NULL;
    if (c && strncmp(c, "t1:", 3) == 0) offset = strtoul(c + 3, &end, 10);
    if (!c || !end || *end || end == c + 3) {
      *code = JSONRPC_INVALID_PARAMS;
      snprintf(msg, n, "Invalid params: unknown cursor (use the nextCursor of a previous %s)", r->method);
      return NULL;
    }
  }
  bool more;
  json_t *items = registry_list(m->reg, kind, offset, (size_t)m->cfg->page_size, &more);
  size_t got = json_array_size(items);
  json_t *res = json_pack("{s:o}", field, items);
  if (more) {
    char cur[32];
    snprintf(cur, sizeof cur, "t1:%zu", offset + got);
    json_object_set_new(res, "nextCursor", json_string(cur));
  }
  return res;
}

static json_t *m_tools_list(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  return list_kind(r, params, REG_TOOL, "tools", code, msg, n);
}

static json_t *m_prompts_list(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  return list_kind(r, params, REG_PROMPT, "prompts", code, msg, n);
}

static json_t *m_resources_list(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  return list_kind(r, params, REG_RESOURCE, "resources", code, msg, n);
}

static json_t *m_templates_list(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  return list_kind(r, params, REG_TEMPLATE, "resourceTemplates", code, msg, n);
}

/* 2026-07-28: a lasting request that delivers change notifications until cancelled. */
static json_t *m_listen(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  ACK_UNUSED(code); ACK_UNUSED(msg); ACK_UNUSED(n);
  json_t *filter = json_object_get(params, "notifications");
  r->listening = true;
  r->listen_filter = json_pack("{s:b,s:b,s:b}", "toolsListChanged", json_is_true(json_object_get(filter, "toolsListChanged")),
                               "promptsListChanged", json_is_true(json_object_get(filter, "promptsListChanged")),
                               "resourcesListChanged", json_is_true(json_object_get(filter, "resourcesListChanged")));
  json_t *ack = json_pack("{s:O,s:{s:O}}", "notifications", r->listen_filter, "_meta", META_SUBSCRIPTION, r->id);
  mcp_notify(r, "notifications/subscriptions/acknowledged", ack);
  *code = 0;
  return NULL;
}

/* ---- tool calls --------------------------------------------------------------------- */

static void call_progress(void *ud, double progress, double total, const char *message) {
  mcp_req_t *r = ud;
  if (!r->progress_token) return;
  json_t *p = json_pack("{s:O,s:f}", "progressToken", r->progress_token, "progress", progress);
  if (!isnan(total)) json_object_set_new(p, "total", json_real(total));
  /* progress messages arrived in 2025-03-26 */
  if (message && (r->modern || strcmp(r->s->version, "2025-03-26") >= 0)) json_object_set_new(p, "message", json_string(message));
  mcp_notify(r, "notifications/progress", p);
}

static void call_log(void *ud, log_level_t level, json_t *data) {
  mcp_req_t *r = ud;
  bool wanted = r->modern ? r->has_log_level && level >= r->log_level : r->s->initialized && level >= r->s->log_level;
  if (!wanted) return;
  mcp_notify(r, "notifications/message",
             json_pack("{s:s,s:s,s:O}", "level", log_level_name(level), "logger", r->tool ? r->tool : r->method, "data", data));
}

static int call_request(void *ud, host_call_t *call, const char *key, const char *method, json_t *params) {
  ACK_UNUSED(call);
  mcp_req_t *r = ud;
  mcp_session_t *s = r->s;
  const char *capability = strcmp(method, "elicitation/create") == 0 ? "elicitation"
                           : strcmp(method, "sampling/createMessage") == 0 ? "sampling" : "roots";
  if (!json_object_get(s->client_caps, capability)) {
    json_decref(params);
    return ACK_ESTATE;
  }
  /* form mode got its name in 2025-11-25 */
  if (strcmp(capability, "elicitation") == 0 && strcmp(s->version, "2025-11-25") < 0) json_object_del(params, "mode");
  mcp_outreq_t *o = ack_xcalloc(1, sizeof *o);
  o->id = s->next_out_id++;
  o->key = ack_strdup(key);
  o->req = r;
  o->next = s->outreqs;
  s->outreqs = o;
  mcp_send(s, json_pack("{s:s,s:I,s:s,s:o}", "jsonrpc", "2.0", "id", o->id, "method", method, "params", params), r->origin, false);
  return 0;
}

static void call_done(void *ud, call_outcome_t outcome, json_t *result) {
  mcp_req_t *r = ud;
  bool is_error = json_is_true(json_object_get(result, "isError"));
  bool tool = strcmp(r->method, "tools/call") == 0;
  if (tool)
    metrics_tool_call(r->s->m->metrics, r->tool, outcome == CALL_CANCELLED ? "cancelled" : is_error ? "error" : "ok",
                      (double)(uv_hrtime() - r->started) / 1e9);
  r->s->m->active_calls--;
  r->call = NULL;
  if (outcome == CALL_CANCELLED) {
    if (r->client_cancelled) mcp_reply_none(r); /* the client asked: it expects no answer */
    else mcp_reply_error(r, JSONRPC_INTERNAL_ERROR, "Server is shutting down: the call was cancelled", NULL);
    return;
  }
  const char *capability = json_string_value(
      json_object_get(json_object_get(json_object_get(result, "_meta"), "ack-mcp-server/error"), "capability"));
  if (r->modern && is_error && capability) { /* 2026-07-28 names what the client must declare */
    const char *text = json_string_value(json_object_get(json_array_get(json_object_get(result, "content"), 0), "text"));
    mcp_reply_error(r, MCP_MISSING_CLIENT_CAPABILITY, text ? text : "missing client capability",
                    json_pack("{s:{s:{}}}", "requiredCapabilities", capability));
    json_decref(result);
    return;
  }
  if (!tool && is_error) { /* prompts, resources and completions fail as protocol errors */
    const char *text = json_string_value(json_object_get(json_array_get(json_object_get(result, "content"), 0), "text"));
    const char *kind = json_string_value(json_object_get(json_object_get(json_object_get(result, "_meta"), "ack-mcp-server/error"), "code"));
    int code = kind && strcmp(kind, "InvalidArguments") == 0 ? JSONRPC_INVALID_PARAMS : JSONRPC_INTERNAL_ERROR;
    mcp_reply_error(r, code, text ? text : "failed", NULL);
    json_decref(result);
    return;
  }
  mcp_reply_result(r, result);
}

static const host_call_ops_t call_ops = { call_progress, call_log, call_request, call_done };

/* Runs item's handler (or its completion) as a call answering r. args and vars borrowed. */
static void start_call(mcp_req_t *r, const reg_item_t *t, const char *kind, json_t *params, json_t *args, const char *uri) {
  mcp_t *m = r->s->m;
  /* 2026-07-28 retries: the answers carried in requestState, then the new inputResponses. */
  json_t *answers = NULL;
  if (r->modern && json_object_get(params, "requestState")) {
    answers = lua_host_state_open(m->host, json_string_value(json_object_get(params, "requestState")));
    if (!answers) {
      mcp_reply_error(r, JSONRPC_INVALID_PARAMS, "Invalid params: requestState was not issued by this server or was altered", NULL);
      return;
    }
  }
  json_t *responses = json_object_get(params, "inputResponses");
  const char *key;
  json_t *answer;
  json_object_foreach(r->modern ? responses : NULL, key, answer) {
    if (json_is_object(answer)) continue;
    char text[200];
    snprintf(text, sizeof text, "Invalid params: inputResponses.%.100s must be a result object", key);
    json_decref(answers);
    mcp_reply_error(r, JSONRPC_INVALID_PARAMS, text, NULL);
    return;
  }
  if (r->modern && responses && !json_is_object(responses)) {
    json_decref(answers);
    mcp_reply_error(r, JSONRPC_INVALID_PARAMS, "Invalid params: inputResponses must be an object", NULL);
    return;
  }
  if (r->modern && json_is_object(responses)) {
    if (!answers) answers = json_object();
    json_object_update(answers, responses);
  }
  host_call_opts_t o = {
    .tool = t->name,
    .def_ref = t->def_ref,
    .validate_ref = t->validate_ref,
    .args = json_is_object(args) ? args : NULL,
    .input_responses = answers,
    .modern = r->modern,
    .client_caps = r->modern ? json_object_get(json_object_get(params, "_meta"), META_CAPS) : NULL,
    .kind = kind,
    .uri = uri,
    .credentials = r->s->credentials,
    .allow_write = m->cfg->allow_write,
    .timeout = t->timeout > 0 ? t->timeout : m->cfg->tool_timeout,
    .ops = &call_ops,
    .ud = r,
  };
  r->tool = ack_strdup(t->name);
  m->active_calls++;
  r->call = lua_host_call_new(m->host, &o);
  json_decref(answers);
  lua_host_call_run(r->call); /* may answer, and free r, before it returns */
}

static json_t *m_tools_call(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  mcp_t *m = r->s->m;
  const char *name = json_string_value(json_object_get(params, "name"));
  json_t *args = json_object_get(params, "arguments");
  if (!name) {
    *code = JSONRPC_INVALID_PARAMS;
    snprintf(msg, n, "Invalid params: name must be a string");
    return NULL;
  }
  if (args && !json_is_object(args) && !json_is_null(args)) {
    *code = JSONRPC_INVALID_PARAMS;
    snprintf(msg, n, "Invalid params: arguments must be an object");
    return NULL;
  }
  const char *why;
  const reg_item_t *t = registry_lookup(m->reg, REG_TOOL, name, &why);
  if (!t) {
    *code = JSONRPC_INVALID_PARAMS;
    if (why) snprintf(msg, n, "Tool %s is not available: it %s", name, why);
    else snprintf(msg, n, "Unknown tool: %s", name);
    return NULL;
  }
  *code = 0;
  start_call(r, t, "tool", params, args, NULL);
  return NULL;
}

static json_t *m_prompts_get(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  const char *name = json_string_value(json_object_get(params, "name"));
  json_t *args = json_object_get(params, "arguments");
  const char *why;
  const reg_item_t *t = name ? registry_lookup(r->s->m->reg, REG_PROMPT, name, &why) : NULL;
  if (!t || (args && !json_is_object(args))) {
    *code = JSONRPC_INVALID_PARAMS;
    if (!name) snprintf(msg, n, "Invalid params: name must be a string");
    else if (!t) snprintf(msg, n, "Invalid params: unknown prompt %.200s", name);
    else snprintf(msg, n, "Invalid params: arguments must be an object of strings");
    return NULL;
  }
  *code = 0;
  start_call(r, t, "prompt", params, args, NULL);
  return NULL;
}

static json_t *m_resources_read(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  const char *uri = json_string_value(json_object_get(params, "uri"));
  json_t *vars = NULL;
  const reg_item_t *t = uri ? registry_resource(r->s->m->reg, uri, &vars) : NULL;
  if (!uri) {
    *code = JSONRPC_INVALID_PARAMS;
    snprintf(msg, n, "Invalid params: uri must be a string");
    return NULL;
  }
  if (!t) {
    /* -32002 until 2026-07-28, which folds it into -32602; data names the uri (SEP-2164) */
    snprintf(msg, n, "Resource not found: %.300s", uri);
    mcp_reply_error(r, r->modern ? JSONRPC_INVALID_PARAMS : -32002, msg, json_pack("{s:s}", "uri", uri));
    *code = 0;
    return NULL;
  }
  *code = 0;
  start_call(r, t, "resource", params, vars, uri);
  json_decref(vars);
  return NULL;
}

/* resources/subscribe and unsubscribe: remembered per session; a reload that changes the
 * resources tells subscribers with notifications/resources/updated. */
static json_t *subscription(mcp_req_t *r, json_t *params, bool on, int *code, char *msg, size_t n) {
  const char *uri = json_string_value(json_object_get(params, "uri"));
  if (!uri) {
    *code = JSONRPC_INVALID_PARAMS;
    snprintf(msg, n, "Invalid params: uri must be a string");
    return NULL;
  }
  mcp_session_t *s = r->s;
  if (!s->subscriptions) s->subscriptions = json_object();
  if (on) json_object_set_new(s->subscriptions, uri, json_true());
  else json_object_del(s->subscriptions, uri);
  return json_object();
}

static json_t *m_subscribe(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  return subscription(r, params, true, code, msg, n);
}

static json_t *m_unsubscribe(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  return subscription(r, params, false, code, msg, n);
}

/* completion/complete for a prompt argument or a resource template variable: the item's
 * `complete(name, value, context)` function, or no values when it has none. */
static json_t *m_complete(mcp_req_t *r, json_t *params, int *code, char *msg, size_t n) {
  json_t *ref = json_object_get(params, "ref"), *arg = json_object_get(params, "argument");
  const char *type = json_string_value(json_object_get(ref, "type"));
  const char *argname = json_string_value(json_object_get(arg, "name"));
  const reg_item_t *t = NULL;
  const char *why;
  json_t *vars = NULL;
  if (type && strcmp(type, "ref/prompt") == 0) {
    const char *name = json_string_value(json_object_get(ref, "name"));
    t = name ? registry_lookup(r->s->m->reg, REG_PROMPT, name, &why) : NULL;
  } else if (type && strcmp(type, "ref/resource") == 0) {
    const char *uri = json_string_value(json_object_get(ref, "uri"));
    /* a ref names a template by its text, or a concrete uri */
    t = uri ? registry_template(r->s->m->reg, uri) : NULL;
    if (uri && !t) t = registry_resource(r->s->m->reg, uri, &vars);
  }
  if (!t || !argname) {
    *code = JSONRPC_INVALID_PARAMS;
    snprintf(msg, n, "Invalid params: %s", !argname ? "argument.name must be a string" : "ref names no prompt or resource here");
    json_decref(vars);
    return NULL;
  }
  json_t *args = json_pack("{s:s,s:O,s:O}", "name", argname, "value",
                           json_object_get(arg, "value") ? json_object_get(arg, "value") : json_string(""), "context",
                           json_object_get(json_object_get(params, "context"), "arguments")
                               ? json_object_get(json_object_get(params, "context"), "arguments") : json_object());
  *code = 0;
  start_call(r, t, "complete", params, args, NULL);
  json_decref(args);
  json_decref(vars);
  return NULL;
}

static const mcp_method_t methods[] = {
  { "initialize", m_initialize, M_LEGACY | M_BEFORE_INIT },
  { "ping", m_ping, M_LEGACY | M_BEFORE_INIT },
  { "server/discover", m_discover, M_LEGACY | M_MODERN | M_BEFORE_INIT | M_CACHEABLE },
  { "logging/setLevel", m_set_level, M_LEGACY },
  { "tools/list", m_tools_list, M_LEGACY | M_MODERN | M_CACHEABLE },
  { "tools/call", m_tools_call, M_LEGACY | M_MODERN },
  { "prompts/list", m_prompts_list, M_LEGACY | M_MODERN | M_CACHEABLE },
  { "prompts/get", m_prompts_get, M_LEGACY | M_MODERN },
  { "resources/list", m_resources_list, M_LEGACY | M_MODERN | M_CACHEABLE },
  { "resources/templates/list", m_templates_list, M_LEGACY | M_MODERN | M_CACHEABLE },
  { "resources/read", m_resources_read, M_LEGACY | M_MODERN | M_CACHEABLE },
  { "resources/subscribe", m_subscribe, M_LEGACY },
  { "resources/unsubscribe", m_unsubscribe, M_LEGACY },
  { "completion/complete", m_complete, M_LEGACY | M_MODERN },
  { "subscriptions/listen", m_listen, M_MODERN },
};

const mcp_method_t *mcp_method_find(const char *name) {
  for (size_t i = 0; i < ACK_ARRAY_LEN(methods); i++)
    if (strcmp(methods[i].name, name) == 0) return &methods[i];
  return NULL;
}
