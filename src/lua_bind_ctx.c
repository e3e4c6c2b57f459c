/* lua_bind_ctx.c: the ctx object a handler gets: progress, client logging, cancellation,
 * and asking the client (elicitation, sampling, roots), which waits in the legacy era and
 * ends the round with input_required in 2026-07-28. */
#include "lua_host_internal.h"

#include "ack.h"
#include "lua_bind_json.h"

#include <lauxlib.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static host_call_t *ctx_call(lua_State *L, const char *what) {
  call_box_t *box = luaL_checkudata(L, lua_upvalueindex(1), BOX_MT);
  if (!box->call || box->call->finished) luaL_error(L, "%s: the call this ctx belongs to has ended", what);
  return box->call;
}

/* ctx.progress(progress [, total [, message]]) */
static int ctx_progress(lua_State *L) {
  host_call_t *c = ctx_call(L, "ctx.progress");
  double p = luaL_checknumber(L, 1);
  double total = luaL_optnumber(L, 2, NAN);
  const char *msg = luaL_optstring(L, 3, NULL);
  if (!(p > c->last_progress)) return 0; /* the protocol wants strictly increasing values */
  c->last_progress = p;
  if (c->ops->progress) c->ops->progress(c->ud, p, total, msg);
  return 0;
}

/* ctx.log(level, data) */
static int ctx_log(lua_State *L) {
  host_call_t *c = ctx_call(L, "ctx.log");
  log_level_t level;
  if (log_level_parse(luaL_checkstring(L, 1), &level) != 0)
    return luaL_argerror(L, 1, "expected debug, info, notice, warning, error, critical, alert or emergency");
  luaL_checkany(L, 2);
  char err[200];
  json_t *data = ljson_to(L, 2, err, sizeof err);
  if (!data) return luaL_error(L, "ctx.log: %s", err);
  if (c->ops->log) c->ops->log(c->ud, level, data);
  json_decref(data);
  return 0;
}

static int ctx_cancelled(lua_State *L) {
  call_box_t *box = luaL_checkudata(L, lua_upvalueindex(1), BOX_MT);
  lua_pushboolean(L, !box->call || box->call->finished);
  return 1;
}

/* A legacy-era ask waiting for the client: one server-to-client request per key. */
typedef struct ask_op {
  host_op_t op;
  char what[24];               /* "ctx.elicit", for error messages */
  json_t *answers;             /* key -> result */
  char *error;                 /* the first refusal */
  int outstanding;
  bool many;                   /* ctx.ask: resume with the table of answers */
} ask_op_t;

static void ask_cancel(host_op_t *op) {
  ask_op_t *a = (ask_op_t *)op;
  json_decref(a->answers);
  free(a->error);
  free(a);
}

static int ask_k(lua_State *L, int status, lua_KContext kctx) {
  ACK_UNUSED(status);
  ACK_UNUSED(kctx);
  /* stack: ..., result | nil, error */
  if (lua_isnil(L, -2)) return luaL_error(L, "%s", lua_tostring(L, -1));
  lua_pop(L, 1);
  return 1;
}

/* Raises {code = "MissingRequiredClientCapability", capability =, message =}: a table so a
 * tool can pcall and fall back; uncaught, a 2026-07-28 request answers -32021 with it. */
static int raise_missing_capability(lua_State *L, const char *what, const char *capability) {
  lua_createtable(L, 0, 3);
  lua_pushliteral(L, "MissingRequiredClientCapability");
  lua_setfield(L, -2, "code");
  lua_pushstring(L, capability);
  lua_setfield(L, -2, "capability");
  lua_pushfstring(L, "%s: the client did not declare the %s capability", what, capability);
  lua_setfield(L, -2, "message");
  luaL_getmetatable(L, ERROR_MT);
  lua_setmetatable(L, -2);
  return lua_error(L);
}

static const char *capability_of(const char *method) {
  return strcmp(method, "elicitation/create") == 0 ? "elicitation" : strcmp(method, "sampling/createMessage") == 0 ? "sampling" : "roots";
}

/* What ctx.elicit, ctx.sample, ctx.roots and ctx.ask share: requests to the client (an
 * object key -> {method, params}, stolen). Legacy era: server-to-client requests, the call
 * waits for every answer. 2026-07-28: the answers come with the retried request (its
 * inputResponses, plus those carried in its signed requestState); the missing ones end the
 * call with input_required, and the handler runs again from the start when they come. */
static int ask(lua_State *L, host_call_t *c, const char *what, json_t *requests, bool many) {
  const char *key;
  json_t *req;
  if (c->modern) {
    bool missing = false;
    json_object_foreach(requests, key, req) {
      if (json_object_get(c->input_responses, key)) continue;
      const char *capability = capability_of(json_string_value(json_object_get(req, "method")));
      if (!json_object_get(c->client_caps, capability)) {
        json_decref(requests);
        return raise_missing_capability(L, what, capability);
      }
      missing = true;
    }
    if (!missing) {
      if (many) {
        lua_createtable(L, 0, (int)json_object_size(requests));
        json_object_foreach(requests, key, req) {
          ljson_push(L, json_object_get(c->input_responses, key));
          lua_setfield(L, -2, key);
        }
      } else {
        json_object_foreach(requests, key, req) ljson_push(L, json_object_get(c->input_responses, key));
      }
      json_decref(requests);
      return 1;
    }
    if (!c->input_requests) c->input_requests = json_object();
    json_object_foreach(requests, key, req)
      if (!json_object_get(c->input_responses, key)) json_object_set(c->input_requests, key, req);
    json_decref(requests);
    c->input_required = true;
    if (!lua_isyieldable(L)) return luaL_error(L, "%s: cannot ask the client from here (inside a C callback)", what);
    return lua_yield(L, 0);
  }
  host_call_t *cur = lua_host_current_call(L, what);
  if (!c->ops->request || cur != c) {
    json_decref(requests);
    return luaL_error(L, "%s: this transport cannot ask the client", what);
  }
  ask_op_t *op = ack_xcalloc(1, sizeof *op);
  op->op.cancel = ask_cancel;
  op->op.call = c;
  op->answers = json_object();
  op->many = many;
  snprintf(op->what, sizeof op->what, "%s", what);
  json_object_foreach(requests, key, req) {
    const char *method = json_string_value(json_object_get(req, "method"));
    if (c->ops->request(c->ud, c, key, method, json_incref(json_object_get(req, "params"))) != 0) {
      const char *capability = capability_of(method); /* a literal: outlives requests */
      json_decref(requests);
      ask_cancel(&op->op); /* requests already sent are answered into nothing */
      return raise_missing_capability(L, what, capability);
    }
    op->outstanding++;
  }
  json_decref(requests);
  c->pending = &op->op;
  return lua_yieldk(L, 0, 0, ask_k);
}

/* The key of an ask: the caller's `key=`, else "<prefix>-<n>" in call order. */
static void ask_key(lua_State *L, host_call_t *c, int opts, const char *prefix, char *key, size_t n) {
  if (opts && lua_istable(L, opts) && lua_getfield(L, opts, "key") == LUA_TSTRING) snprintf(key, n, "%s", lua_tostring(L, -1));
  else snprintf(key, n, "%s-%d", prefix, ++c->ask_seq);
  if (opts && lua_istable(L, opts)) lua_pop(L, 1);
}

static json_t *one_request(const char *key, const char *method, json_t *params) {
  return json_pack("{s:{s:s,s:o}}", key, "method", method, "params", params);
}

/* [-0, +0]: the table argument of ctx.sample/ctx.elicit as JSON, or raises. */
static json_t *table_arg(lua_State *L, int idx, const char *what) {
  luaL_checktype(L, idx, LUA_TTABLE);
  char err[200];
  json_t *j = ljson_to(L, idx, err, sizeof err);
  if (!j) luaL_error(L, "%s: %s", what, err);
  return j;
}

/* The params of an elicitation from ctx.elicit's table: message and schema. */
static json_t *elicit_params(lua_State *L, int idx) {
  lua_getfield(L, idx, "message");
  const char *msg = luaL_checkstring(L, -1);
  lua_getfield(L, idx, "schema");
  json_t *schema = lua_istable(L, -1) ? table_arg(L, -1, "ctx.elicit: schema")
                                      : json_pack("{s:s,s:{}}", "type", "object", "properties");
  json_t *params = json_pack("{s:s,s:s,s:o}", "mode", "form", "message", msg, "requestedSchema", schema);
  lua_pop(L, 2);
  return params;
}

/* ctx.elicit{message=, schema= [, key=]} -> {action=, content=} */
static int ctx_elicit(lua_State *L) {
  host_call_t *c = ctx_call(L, "ctx.elicit");
  luaL_checktype(L, 1, LUA_TTABLE);
  char key[64];
  ask_key(L, c, 1, "elicit", key, sizeof key);
  return ask(L, c, "ctx.elicit", one_request(key, "elicitation/create", elicit_params(L, 1)), false);
}

/* ctx.sample{messages=, maxTokens= [, key=], ...} -> the client's CreateMessageResult */
static int ctx_sample(lua_State *L) {
  host_call_t *c = ctx_call(L, "ctx.sample");
  char key[64];
  ask_key(L, c, 1, "sample", key, sizeof key);
  json_t *params = table_arg(L, 1, "ctx.sample");
  json_object_del(params, "key");
  if (!json_object_get(params, "maxTokens")) json_object_set_new(params, "maxTokens", json_integer(1000));
  return ask(L, c, "ctx.sample", one_request(key, "sampling/createMessage", params), false);
}

/* ctx.roots([{key=}]) -> {roots = {...}} */
static int ctx_roots(lua_State *L) {
  host_call_t *c = ctx_call(L, "ctx.roots");
  char key[64];
  ask_key(L, c, lua_istable(L, 1) ? 1 : 0, "roots", key, sizeof key);
  return ask(L, c, "ctx.roots", one_request(key, "roots/list", json_object()), false);
}

/* ctx.ask{ key = {method=, params=}, ... } -> { key = answer, ... }: several at once (one
 * round trip in 2026-07-28). */
static int ctx_ask(lua_State *L) {
  host_call_t *c = ctx_call(L, "ctx.ask");
  json_t *requests = table_arg(L, 1, "ctx.ask");
  const char *key;
  json_t *req;
  json_object_foreach(requests, key, req) {
    const char *method = json_string_value(json_object_get(req, "method"));
    if (!method || (strcmp(method, "elicitation/create") && strcmp(method, "sampling/createMessage") && strcmp(method, "roots/list"))) {
      json_decref(requests);
      return luaL_error(L, "ctx.ask: %s: method must be elicitation/create, sampling/createMessage or roots/list", key);
    }
    if (!json_object_get(req, "params")) json_object_set_new(req, "params", json_object());
  }
  if (json_object_size(requests) == 0) {
    json_decref(requests);
    lua_newtable(L);
    return 1;
  }
  return ask(L, c, "ctx.ask", requests, true);
}

void lua_host_call_answer(host_call_t *c, const char *key, const json_t *result, const char *error) {
  if (c->finished || !c->pending || c->pending->cancel != ask_cancel) return;
  ask_op_t *op = (ask_op_t *)c->pending;
  if (error && !op->error) op->error = ack_strdup(error);
  else if (result) json_object_set(op->answers, key, (json_t *)result);
  if (--op->outstanding > 0) return;
  c->pending = NULL;
  if (op->error) {
    lua_pushnil(c->co);
    lua_pushfstring(c->co, "%s: %s", op->what, op->error);
  } else if (op->many) {
    ljson_push(c->co, op->answers);
    lua_pushnil(c->co);
  } else {
    const char *k;
    json_t *v;
    json_object_foreach(op->answers, k, v) ljson_push(c->co, v);
    lua_pushnil(c->co);
  }
  ask_cancel(&op->op);
  lua_host__resume(c, 2);
}

/* [-0, +1]: the ctx table of a call. */
void lua_host__push_ctx(lua_host_t *h, host_call_t *c) {
  lua_State *L = h->L;
  lua_createtable(L, 0, 8);
  call_box_t *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->call = c;
  luaL_setmetatable(L, BOX_MT);
  lua_pushvalue(L, -1);
  c->box_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  static const luaL_Reg fns[] = {
    { "progress", ctx_progress }, { "log", ctx_log }, { "cancelled", ctx_cancelled }, { "elicit", ctx_elicit },
    { "sample", ctx_sample }, { "roots", ctx_roots }, { "ask", ctx_ask }, { NULL, NULL }
  };
  luaL_setfuncs(L, fns, 1);
  lua_pushboolean(L, c->allow_write);
  lua_setfield(L, -2, "allow_write");
  lua_pushboolean(L, c->modern);
  lua_setfield(L, -2, "modern");
  lua_pushstring(L, c->tool);
  lua_setfield(L, -2, "tool");
  if (c->credentials) { /* for the cloud bridge; never logged by the core */
    ljson_push(L, c->credentials);
    lua_setfield(L, -2, "credentials");
  }
}

