/* lua_host.c: the Lua state, its budgets, and the coroutine scheduler.
 * lua_host__resume() is the one caller of lua_resume (HAProxy's hlua_ctx_resume): it maps every
 * status to an outcome. The count hook enforces the instruction budget and slices long
 * computations so one script cannot starve the loop; a kill cannot be swallowed by pcall
 * because the hook re-arms on every instruction until the coroutine unwinds or yields. */
#include "lua_host_internal.h"

#include "ack.h"
#include "lua_bind.h"
#include "lua_bind_json.h"

#include <lauxlib.h>
#include <lualib.h>

#include <math.h>
#include <stdarg.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLICE_NS (5 * 1000 * 1000ULL)      /* run at most ~5 ms before letting the loop in */

static void on_idle(uv_idle_t *idle);
static void call_finish(host_call_t *c, call_outcome_t outcome, json_t *result);

/* ---- allocator ---------------------------------------------------------------------- */

static void hook(lua_State *L, lua_Debug *ar);

static void *host_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  lua_host_t *h = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    h->heap -= old;
    if (h->current) h->current->mem -= (long long)old;
    return NULL;
  }
  if (nsize > old) {
    size_t grow = nsize - old;
    host_call_t *c = h->current;
    if (h->heap + grow > h->limits.heap_bytes) return NULL;
    if (c && (c->kill_reason || c->mem + (long long)grow > (long long)h->limits.call_bytes)) {
      if (!c->kill_reason) {
        snprintf(c->kill_buf, sizeof c->kill_buf, "memory limit exceeded: tool %s allocated over %zu MiB", c->tool,
                 h->limits.call_bytes >> 20);
        c->kill_reason = c->kill_buf;
        /* Make the hook fire at once so the kill is prompt even if pcall eats ENOMEM. */
        lua_sethook(c->co, hook, LUA_MASKCOUNT, 1);
      }
      return NULL;
    }
  }
  void *p = realloc(ptr, nsize);
  if (!p) return NULL;
  h->heap = h->heap - old + nsize;
  if (h->current) h->current->mem += (long long)nsize - (long long)old;
  return p;
}

/* ---- budgets ------------------------------------------------------------------------ */

static void arm_hook(lua_State *L, int count) { lua_sethook(L, hook, LUA_MASKCOUNT, count); }

static void hook(lua_State *L, lua_Debug *ar) {
  ACK_UNUSED(ar);
  host_call_t *c = *(host_call_t **)lua_getextraspace(L);
  if (!c) return;
  if (!c->kill_reason) {
    c->instructions += HOOK_STEP;
    if (c->instructions > c->max_instructions) {
      snprintf(c->kill_buf, sizeof c->kill_buf, "CPU budget exceeded: tool %s ran over %lld instructions", c->tool,
               c->max_instructions);
      c->kill_reason = c->kill_buf;
    } else {
      if (uv_hrtime() - c->slice_start > SLICE_NS && lua_isyieldable(L) && !c->closing) {
        c->preempted = true;
        lua_yield(L, 0);
      }
      return;
    }
  }
  if (lua_isyieldable(L) && !c->closing) lua_yield(L, 0);
  arm_hook(L, 1);
  luaL_error(L, "%s", c->kill_reason);
}

/* ---- calls -------------------------------------------------------------------------- */

static json_t *text_result(const char *text, bool is_error) {
  json_t *r = json_pack("{s:[{s:s,s:s}]}", "content", "type", "text", "text", text);
  if (is_error) json_object_set_new(r, "isError", json_true());
  return r;
}

/* The isError result of a failed call. The code goes in _meta, not structuredContent: SDK
 * clients check structuredContent against the tool's outputSchema even on errors. */
static json_t *error_result(const char *code, const char *message) {
  json_t *r = text_result(message, true);
  json_object_set_new(r, "_meta", json_pack("{s:{s:s,s:b}}", "ack-mcp-server/error", "code", code, "retryable", 0));
  return r;
}

static void ready_remove(lua_host_t *h, host_call_t *c) {
  host_call_t **pp = &h->ready_head, *prev = NULL;
  while (*pp && *pp != c) { prev = *pp; pp = &(*pp)->next_ready; }
  if (!*pp) return;
  *pp = c->next_ready;
  if (h->ready_tail == c) h->ready_tail = prev;
  c->next_ready = NULL;
}

static void call_free_cb(uv_handle_t *handle) {
  host_call_t *c = handle->data;
  free(c->uri);
  free(c->tool);
  free(c);
}

static void call_finish(host_call_t *c, call_outcome_t outcome, json_t *result) {
  lua_host_t *h = c->host;
  if (c->finished) {
    json_decref(result);
    return;
  }
  c->finished = true;
  if (c->pending) {
    host_op_t *op = c->pending;
    c->pending = NULL;
    op->cancel(op);
  }
  ready_remove(h, c);
  uv_timer_stop(&c->deadline);
  /* Close the coroutine: to-be-closed variables run, under the hook, never yielding. */
  c->closing = true;
  h->current = c;
  lua_resetthread(c->co);
  h->current = NULL;
  lua_rawgeti(h->L, LUA_REGISTRYINDEX, c->box_ref);
  ((call_box_t *)lua_touserdata(h->L, -1))->call = NULL;
  lua_pop(h->L, 1);
  luaL_unref(h->L, LUA_REGISTRYINDEX, c->box_ref);
  luaL_unref(h->L, LUA_REGISTRYINDEX, c->co_ref);
  json_decref(c->input_responses);
  json_decref(c->input_requests);
  json_decref(c->args);
  json_decref(c->client_caps);
  json_decref(c->credentials);
  if (c->prev) c->prev->next = c->next;
  else h->calls = c->next;
  if (c->next) c->next->prev = c->prev;
  h->ncalls--;
  c->ops->done(c->ud, outcome, result);
  uv_close((uv_handle_t *)&c->deadline, call_free_cb);
}

/* Turns the handler's return value (top of co) into a CallToolResult. */
static json_t *value_result(host_call_t *c, lua_State *co) {
  int t = lua_type(co, -1);
  if (t == LUA_TNIL || t == LUA_TNONE) return text_result("(no output)", false);
  char err[300];
  if (t == LUA_TSTRING) /* strings never fail to convert: bad UTF-8 is replaced */
    return json_pack("{s:[{s:s,s:o}]}", "content", "type", "text", "text", ljson_to(co, -1, err, sizeof err));
  if (t == LUA_TNUMBER || t == LUA_TBOOLEAN) return text_result(luaL_tolstring(co, -1, NULL), false);
  json_t *v = ljson_to(co, -1, err, sizeof err);
  if (!v) {
    char msg[400];
    snprintf(msg, sizeof msg, "tool %s returned a value that is not JSON: %s", c->tool, err);
    return error_result("InvalidOutput", msg);
  }
  if (lua_getmetatable(co, -1)) { /* mcp.result{...}: the table is the whole result */
    luaL_getmetatable(co, LMCP_RESULT_MT);
    bool raw = lua_rawequal(co, -1, -2);
    lua_pop(co, 2);
    if (raw && json_is_object(v)) return v;
  }
  char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
  json_t *r = json_pack("{s:[{s:s,s:s}]}", "content", "type", "text", "text", text ? text : "");
  free(text);
  if (json_is_object(v) || c->modern) json_object_set_new(r, "structuredContent", v);
  else json_decref(v); /* legacy structuredContent must be an object: the text carries it */
  return r;
}

/* Message of a raised error: a structured host error {code, message} or any value. */
static json_t *raised_result(host_call_t *c, lua_State *co) {
  char code[64] = "LuaError", capability[32] = "";
  const char *msg;
  if (lua_istable(co, -1)) {
    lua_getfield(co, -1, "code");
    if (lua_type(co, -1) == LUA_TSTRING) snprintf(code, sizeof code, "%s", lua_tostring(co, -1));
    lua_pop(co, 1);
    lua_getfield(co, -1, "capability");
    if (lua_type(co, -1) == LUA_TSTRING) snprintf(capability, sizeof capability, "%s", lua_tostring(co, -1));
    lua_pop(co, 1);
    lua_getfield(co, -1, "message");
    msg = lua_type(co, -1) == LUA_TSTRING ? lua_tostring(co, -1) : luaL_tolstring(co, -2, NULL);
  } else {
    msg = luaL_tolstring(co, -1, NULL);
  }
  char text[2048];
  snprintf(text, sizeof text, "tool %s failed: %s", c->tool, msg);
  luaL_traceback(c->host->L, co, NULL, 0);
  log_warn("%s\n%s", text, lua_tostring(c->host->L, -1));
  lua_pop(c->host->L, 1);
  json_t *r = error_result(code, text);
  if (capability[0])
    json_object_set_new(json_object_get(json_object_get(r, "_meta"), "ack-mcp-server/error"), "capability", json_string(capability));
  return r;
}

void lua_host__resume(host_call_t *c, int nargs) {
  lua_host_t *h = c->host;
  lua_State *co = c->co;
  int nres = 0;
  h->current = c;
  c->slice_start = uv_hrtime();
  int st = lua_resume(co, h->L, nargs, &nres);
  h->current = NULL;
  switch (st) {
  case LUA_YIELD:
    if (c->kill_reason) {
      call_finish(c, CALL_RESULT, error_result("LimitExceeded", c->kill_reason));
    } else if (c->input_required) {
      json_t *r = json_pack("{s:s,s:O}", "resultType", "input_required", "inputRequests", c->input_requests);
      /* Answers so far travel with the client, signed (an empty set too: the client echoes it). */
      json_t *answers = c->input_responses ? json_incref(c->input_responses) : json_object();
      char *state = lua_host_state_seal(h, answers);
      json_decref(answers);
      json_object_set_new(r, "requestState", json_string(state));
      free(state);
      call_finish(c, CALL_INPUT_REQUIRED, r);
    } else if (c->preempted) {
      c->preempted = false;
      if (h->ready_tail) h->ready_tail->next_ready = c;
      else h->ready_head = c;
      h->ready_tail = c;
      uv_idle_start(&h->idle, on_idle);
    } else if (!c->pending) {
      call_finish(c, CALL_RESULT, error_result("LuaError", "tool yielded outside a host call (coroutine.yield is not available to tools)"));
    } else {
      lua_pop(co, nres);
    }
    return;
  case LUA_OK: {
    /* invoke returns: ok, value (or false, validation message) */
    json_t *r;
    if (nres > 2) lua_pop(co, nres - 2);
    for (; nres < 2; nres++) lua_pushnil(co);
    if (!lua_toboolean(co, -2)) {
      r = error_result("InvalidArguments", lua_tostring(co, -1));
    } else {
      r = value_result(c, co);
    }
    call_finish(c, CALL_RESULT, r);
    return;
  }
  case LUA_ERRMEM:
    call_finish(c, CALL_RESULT, error_result("LimitExceeded", c->kill_reason ? c->kill_reason : "Lua heap is full"));
    return;
  default:
    call_finish(c, CALL_RESULT, c->kill_reason ? error_result("LimitExceeded", c->kill_reason) : raised_result(c, co));
    return;
  }
}

static void on_idle(uv_idle_t *idle) {
  lua_host_t *h = idle->data;
  host_call_t *batch = h->ready_head;
  h->ready_head = h->ready_tail = NULL;
  uv_idle_stop(idle);
  while (batch) {
    host_call_t *c = batch;
    batch = c->next_ready;
    c->next_ready = NULL;
    lua_host__resume(c, 0);
  }
}

static void on_deadline(uv_timer_t *t) {
  host_call_t *c = t->data;
  char msg[160];
  snprintf(msg, sizeof msg, "tool %s timed out after %.3g s", c->tool, c->timeout);
  lua_host_call_cancel(c, msg, true);
}

host_call_t *lua_host_call_new(lua_host_t *h, const host_call_opts_t *o) {
  lua_State *L = h->L;
  host_call_t *c = ack_xcalloc(1, sizeof *c);
  c->host = h;
  c->tool = ack_strdup(o->tool);
  c->ops = o->ops;
  c->ud = o->ud;
  c->modern = o->modern;
  c->client_caps = o->client_caps ? json_deep_copy(o->client_caps) : NULL;
  c->kind = o->kind ? o->kind : "tool";
  c->uri = o->uri ? ack_strdup(o->uri) : NULL;
  c->credentials = o->credentials ? json_deep_copy(o->credentials) : NULL;
  c->allow_write = o->allow_write;
  c->max_instructions = h->limits.call_instructions;
  c->last_progress = -INFINITY;
  c->timeout = o->timeout;
  c->input_responses = o->input_responses ? json_deep_copy(o->input_responses) : NULL;
  c->args = o->args ? json_incref((json_t *)o->args) : NULL;
  uv_timer_init(h->loop, &c->deadline);
  c->deadline.data = c;
  c->next = h->calls;
  if (h->calls) h->calls->prev = c;
  h->calls = c;
  h->ncalls++;
  c->co = lua_newthread(L);
  c->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  *(host_call_t **)lua_getextraspace(c->co) = c;
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->invoke_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, o->validate_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, o->def_ref);
  lua_xmove(L, c->co, 3);
  lua_host__push_ctx(h, c);
  lua_xmove(L, c->co, 1);
  return c;
}

void lua_host_call_run(host_call_t *c) {
  lua_host_t *h = c->host;
  json_t *args = c->args;
  c->args = NULL;
  if (args && ljson_depth(args) > LJSON_MAX_DEPTH) {
    char msg[96];
    snprintf(msg, sizeof msg, "arguments nest deeper than %d levels", LJSON_MAX_DEPTH);
    json_decref(args);
    call_finish(c, CALL_RESULT, error_result("InvalidArguments", msg));
    return;
  }
  if (args) ljson_push(h->L, args);
  else lua_newtable(h->L);
  json_decref(args);
  lua_xmove(h->L, c->co, 1);
  lua_insert(c->co, -2); /* stack: invoke, validate, def, args, ctx */
  lua_pushstring(c->co, c->kind);
  if (c->uri) lua_pushstring(c->co, c->uri);
  else lua_pushnil(c->co);
  arm_hook(c->co, HOOK_STEP);
  uint64_t ms = (uint64_t)(c->timeout * 1000.0);
  uv_timer_start(&c->deadline, on_deadline, ms ? ms : 1, 0);
  lua_host__resume(c, 6);
}

void lua_host_call_cancel(host_call_t *c, const char *reason, bool report) {
  if (!c || c->finished) return;
  log_debug("cancelling call of %s: %s", c->tool, reason ? reason : "cancelled");
  if (report) call_finish(c, CALL_RESULT, error_result("Timeout", reason));
  else call_finish(c, CALL_CANCELLED, NULL);
}

/* ---- 2026-07-28 request state ------------------------------------------------------- */

/* HMAC-SHA256 of data under the host's key, as 64 hex characters in out[65]. */
static void state_mac(const lua_host_t *h, const char *data, size_t n, char out[65]) {
  unsigned char mac[32];
  size_t len = 0;
  EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, h->state_key, sizeof h->state_key, (const unsigned char *)data, n, mac,
            sizeof mac, &len);
  for (size_t i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", mac[i]);
}

char *lua_host_state_seal(const lua_host_t *h, const json_t *answers) {
  char *payload = json_dumps(answers, JSON_COMPACT | JSON_SORT_KEYS);
  size_t n = strlen(payload);
  char *out = ack_xmalloc(4 * ((n + 2) / 3) + 66);
  int len = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)payload, (int)n);
  out[len] = '.';
  state_mac(h, out, (size_t)len, out + len + 1);
  free(payload);
  return out;
}

json_t *lua_host_state_open(const lua_host_t *h, const char *state) {
  const char *dot = state ? strrchr(state, '.') : NULL;
  if (!dot || strlen(dot + 1) != 64) return NULL;
  size_t n = (size_t)(dot - state);
  char expect[65];
  state_mac(h, state, n, expect);
  unsigned char diff = 0;
  for (size_t i = 0; i < 64; i++) diff |= (unsigned char)(expect[i] ^ dot[1 + i]);
  if (diff || n % 4) return NULL;
  unsigned char *raw = ack_xmalloc(n / 4 * 3 + 1);
  int len = EVP_DecodeBlock(raw, (const unsigned char *)state, (int)n);
  json_t *answers = len < 0 ? NULL : json_loadb((const char *)raw, strnlen((const char *)raw, (size_t)len), 0, NULL);
  free(raw);
  if (answers && !json_is_object(answers)) {
    json_decref(answers);
    return NULL;
  }
  return answers;
}

/* ---- bindings' side ----------------------------------------------------------------- */

host_call_t *lua_host_current_call(lua_State *L, const char *what) {
  host_call_t *c = *(host_call_t **)lua_getextraspace(L);
  if (!c || c->finished) luaL_error(L, "%s: only inside a tool call", what);
  if (c->co != L) luaL_error(L, "%s: only from the tool's own coroutine", what);
  if (!lua_isyieldable(L)) luaL_error(L, "%s: cannot wait here (inside a C callback such as table.sort)", what);
  return c;
}

int lua_host_wait(lua_State *L, host_call_t *c, host_op_t *op) {
  op->call = c;
  c->pending = op;
  return lua_yield(L, 0);
}

int lua_host_wait_k(lua_State *L, host_call_t *c, host_op_t *op, lua_KFunction k, lua_KContext ctx) {
  op->call = c;
  c->pending = op;
  return lua_yieldk(L, 0, ctx, k);
}

host_call_t *lua_host_running_call(lua_State *L) {
  host_call_t *c = *(host_call_t **)lua_getextraspace(L);
  return c && !c->finished ? c : NULL;
}

const json_t *lua_host_call_credentials(const host_call_t *c) { return c->credentials; }

void lua_host_mark_error(lua_State *L) {
  luaL_getmetatable(L, ERROR_MT);
  lua_setmetatable(L, -2);
}

void lua_host_wake(host_call_t *c, int nret) {
  if (c->finished) return;
  c->pending = NULL;
  lua_host__resume(c, nret);
}

lua_State *lua_host_call_thread(host_call_t *c) { return c->co; }
uv_loop_t *lua_host_loop_of(host_call_t *c) { return c->host->loop; }
bool lua_host_call_cancelled(const host_call_t *c) { return c->finished; }
int lua_host_active_calls(const lua_host_t *h) { return h->ncalls; }
size_t lua_host_memory(const lua_host_t *h) { return h->heap; }
lua_State *lua_host_state(lua_host_t *h) { return h->L; }
void lua_host_set_gate(lua_host_t *h, const gate_t *gate) { h->gate = gate; }
const gate_t *lua_host_gate(const lua_host_t *h) { return h->gate; }
void lua_host_set_http(lua_host_t *h, http_client_t *client) { h->http = client; }
void lua_host_set_config(lua_host_t *h, const struct config *cfg) {
  h->cfg = cfg;
  lua_rawgeti(h->L, LUA_REGISTRYINDEX, h->base_ref);
  lbind_push_settings(h->L, cfg);
  lua_setfield(h->L, -2, "settings");
  lua_pop(h->L, 1);
}
const struct config *lua_host_config(const lua_host_t *h) { return h->cfg; }
void lua_host_set_service(lua_host_t *h, host_service_t which, void *svc) { h->services[which] = svc; }
void *lua_host_service(const lua_host_t *h, host_service_t which) { return h->services[which]; }
http_client_t *lua_host_http(const lua_host_t *h) { return h->http; }
lua_host_t *lua_host_of(host_call_t *c) { return c->host; }

int lua_host_raise(lua_State *L, const char *code, int status, bool retryable, const char *fmt, ...) {
  lua_createtable(L, 0, 4);
  lua_pushstring(L, code);
  lua_setfield(L, -2, "code");
  va_list ap;
  va_start(ap, fmt);
  lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  lua_setfield(L, -2, "message");
  if (status) {
    lua_pushinteger(L, status);
    lua_setfield(L, -2, "status");
  }
  lua_pushboolean(L, retryable);
  lua_setfield(L, -2, "retryable");
  luaL_getmetatable(L, ERROR_MT);
  lua_setmetatable(L, -2);
  return lua_error(L);
}
uv_loop_t *lua_host_loop(lua_host_t *h) { return h->loop; }

/* ---- life --------------------------------------------------------------------------- */

/* Runs in the call's coroutine: validate, run, check the output. Kept in Lua because it is
 * glue between two Lua functions; it lives in the binary so no tool file can change it. */
/* __tostring of structured errors: their message. */
static int error_tostring(lua_State *L) {
  lua_getfield(L, 1, "message");
  if (!lua_isstring(L, -1)) {
    lua_pop(L, 1);
    lua_pushliteral(L, "error");
  }
  return 1;
}

static const char invoke_src[] =
  "local validate, def, args, ctx, kind, uri = ...\n"
  "if kind == 'complete' then\n"
  "  local r = def.complete and def.complete(args.name, args.value, args.context or {}) or {}\n"
  "  if r.values == nil then r = { values = r } end\n"
  "  local values = json.array()\n"
  "  for i, v in ipairs(r.values) do if i <= 100 then values[i] = tostring(v) end end\n"
  "  return true, mcp.result{ completion = { values = values, total = r.total or #r.values,\n"
  "                                          hasMore = r.hasMore or #r.values > 100 } }\n"
  "end\n"
  "local ok, err = validate(def.input, args, 'arguments')\n"
  "if not ok then return false, err end\n"
  "local r = def.handler(args, ctx)\n"
  "if kind == 'prompt' then\n"
  "  if type(r) == 'string' then r = { messages = { { role = 'user', content = { type = 'text', text = r } } } } end\n"
  "  if type(r) ~= 'table' or type(r.messages) ~= 'table' then error('a prompt returns a string or {messages = {...}}', 0) end\n"
  "  if r.description == nil then r.description = def.description end\n"
  "  return true, mcp.result(r)\n"
  "elseif kind == 'resource' then\n"
  "  if type(r) == 'string' then r = { text = r } end\n"
  "  if type(r) ~= 'table' then error('a resource returns a string or {text=}, {blob=} or {contents=}', 0) end\n"
  "  if r.contents == nil then\n"
  "    r.uri = r.uri or uri\n"
  "    r.mimeType = r.mimeType or def.mime_type\n"
  "    r = { contents = { r } }\n"
  "  end\n"
  "  return true, mcp.result(r)\n"
  "end\n"
  "if def.output ~= nil and type(r) == 'table' and not mcp.is_result(r) then\n"
  "  local good, why = validate(def.output, r, 'result')\n"
  "  if not good then error('result does not match the output schema: ' .. why, 0) end\n"
  "end\n"
  "return true, r\n";

lua_host_t *lua_host_new(uv_loop_t *loop, const host_limits_t *limits, char *err, size_t errlen) {
  lua_host_t *h = ack_xcalloc(1, sizeof *h);
  h->loop = loop;
  h->limits = *limits;
  h->L = lua_newstate(host_alloc, h);
  if (!h->L) {
    snprintf(err, errlen, "cannot create the Lua state");
    free(h);
    return NULL;
  }
  lua_gc(h->L, LUA_GCGEN, 0, 0); /* many short-lived coroutines: generational GC fits */
  *(host_call_t **)lua_getextraspace(h->L) = NULL;
  lua_pushlightuserdata(h->L, h);
  lua_rawsetp(h->L, LUA_REGISTRYINDEX, &lua_host__load_key);
  luaL_newmetatable(h->L, BOX_MT);
  lua_pop(h->L, 1);
  luaL_newmetatable(h->L, ERROR_MT);
  lua_pushcfunction(h->L, error_tostring);
  lua_setfield(h->L, -2, "__tostring");
  lua_pop(h->L, 1);
  /* Replicas that share a secret accept each other's requestState; without one the key is
   * random, and a multi-round call must come back to the process that started it. */
  if (limits->state_secret) {
    size_t len = 0;
    EVP_Q_digest(NULL, "SHA256", NULL, limits->state_secret, strlen(limits->state_secret), h->state_key, &len);
  } else if (uv_random(NULL, NULL, h->state_key, sizeof h->state_key, 0, NULL) != 0) {
    snprintf(err, errlen, "no randomness for the request-state key");
    lua_close(h->L);
    free(h);
    return NULL;
  }
  lua_host__build_base(h);
  if (luaL_loadbufferx(h->L, invoke_src, sizeof invoke_src - 1, "=invoke", "t") != LUA_OK) {
    snprintf(err, errlen, "invoke: %s", lua_tostring(h->L, -1));
    lua_close(h->L);
    free(h);
    return NULL;
  }
  lua_rawgeti(h->L, LUA_REGISTRYINDEX, h->base_ref); /* its globals: type, error */
  lua_setupvalue(h->L, -2, 1);
  h->invoke_ref = luaL_ref(h->L, LUA_REGISTRYINDEX);
  uv_idle_init(loop, &h->idle);
  h->idle.data = h;
  return h;
}

static void host_free_cb(uv_handle_t *handle) { free(handle->data); }

void lua_host_free(lua_host_t *h) {
  if (!h) return;
  while (h->calls) lua_host_call_cancel(h->calls, "server shutting down", false);
  lua_close(h->L);
  h->L = NULL;
  uv_close((uv_handle_t *)&h->idle, host_free_cb);
}
