/* lua_host.c: the Lua state, its sandbox, its budgets, and the coroutine scheduler.
 * call_resume() is the one caller of lua_resume (HAProxy's hlua_ctx_resume): it maps every
 * status to an outcome. The count hook enforces the instruction budget and slices long
 * computations so one script cannot starve the loop; a kill cannot be swallowed by pcall
 * because the hook re-arms on every instruction until the coroutine unwinds or yields. */
#include "lua_host.h"

#include "ack.h"
#include "lua_bind.h"
#include "lua_bind_json.h"

#include <lauxlib.h>
#include <lualib.h>

#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOOK_STEP 10000                   /* instructions between budget checks */
#define SLICE_NS (5 * 1000 * 1000ULL)      /* run at most ~5 ms before letting the loop in */
#define LOAD_MAX_INSTRUCTIONS 50000000LL   /* a tool file's top level: no real work there */

struct host_call {
  lua_host_t *host;
  char *tool;
  lua_State *co;
  int co_ref;
  int box_ref;                 /* ctx userdata box, cleared when the call ends */
  host_op_t *pending;
  const host_call_ops_t *ops;
  void *ud;
  bool modern, allow_write;
  json_t *client_caps;         /* 2026-07-28: the request's clientCapabilities (owned) */
  const char *kind;            /* "tool", "prompt", "resource", "complete" */
  char *uri;                   /* resources: the uri read */
  json_t *credentials;         /* per-request cloud credentials, or NULL */
  bool finished, closing, preempted, input_required;
  const char *kill_reason;     /* static text when killed */
  char kill_buf[160];
  long long instructions, max_instructions;
  long long mem;               /* net bytes allocated while this call ran */
  double timeout;              /* seconds */
  json_t *args;                /* until the call runs */
  uint64_t slice_start;
  double last_progress;
  int ask_seq;
  json_t *input_responses;     /* owned copy */
  json_t *input_requests;      /* built when an answer is missing (2026-07-28) */
  uv_timer_t deadline;         /* its close callback frees the call */
  host_call_t *next_ready;
  host_call_t *prev, *next;    /* host->calls list */
};

struct lua_host {
  lua_State *L;
  uv_loop_t *loop;
  host_limits_t limits;
  const gate_t *gate;
  size_t heap;                 /* bytes in use */
  host_call_t *current;        /* call being resumed, for the allocator */
  long long load_instructions;
  int base_ref, env_mt_ref, invoke_ref;
  host_call_t *calls;
  int ncalls;
  host_call_t *ready_head, *ready_tail;
  uv_idle_t idle;
  unsigned char state_key[32];  /* signs 2026-07-28 requestState: a client cannot forge answers */
};

typedef struct call_box {
  host_call_t *call;
} call_box_t;

#define BOX_MT "ack.ctx"
#define ERROR_MT "ack.error"

static void call_resume(host_call_t *c, int nargs);
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

/* Loading runs on the main thread, whose extra space holds no call; the load hook finds
 * the host through a registry key. */
static const char LOAD_KEY = 'L';

static void load_hook(lua_State *L, lua_Debug *ar) {
  ACK_UNUSED(ar);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &LOAD_KEY);
  lua_host_t *h = lua_touserdata(L, -1);
  lua_pop(L, 1);
  h->load_instructions += HOOK_STEP;
  if (h->load_instructions > LOAD_MAX_INSTRUCTIONS) {
    lua_sethook(L, load_hook, LUA_MASKCOUNT, 1);
    luaL_error(L, "loading ran over %lld instructions: a tool file's top level must only build its table",
               LOAD_MAX_INSTRUCTIONS);
  }
}

/* ---- sandbox ------------------------------------------------------------------------ */

static int strict_index(lua_State *L) {
  return luaL_error(L, "undeclared global '%s'", luaL_tolstring(L, 2, NULL));
}

static int strict_newindex(lua_State *L) {
  return luaL_error(L, "tools may not create globals (assignment to '%s'); use local", luaL_tolstring(L, 2, NULL));
}

static int l_print(lua_State *L) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int n = lua_gettop(L);
  for (int i = 1; i <= n; i++) {
    if (i > 1) luaL_addchar(&b, '\t');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  host_call_t *c = *(host_call_t **)lua_getextraspace(L);
  log_info("[%s] %s", c ? c->tool : "load", lua_tostring(L, -1));
  return 0;
}

/* load(chunk [, name [, mode [, env]]]): text only; env defaults to the caller's sandbox,
 * never the real globals. Upvalue 1: the sandbox env. */
static int l_load(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  const char *name = luaL_optstring(L, 2, "=(load)");
  int has_env = !lua_isnone(L, 4);
  if (luaL_loadbufferx(L, s, n, name, "t") != LUA_OK) {
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
  }
  if (has_env) lua_pushvalue(L, 4);
  else lua_pushvalue(L, lua_upvalueindex(1));
  lua_setupvalue(L, -2, 1);
  return 1;
}

/* require(name): upvalues: 1 module cache table, 2 lua dir, 3 host (light). Modules load
 * from the lua dir only, text only, each in its own sandbox; the cache belongs to one
 * registry generation so a reload brings fresh modules. */
static int l_require(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  lua_pushvalue(L, 1);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
    if (lua_islightuserdata(L, -1) && lua_touserdata(L, -1) == (void *)&LOAD_KEY)
      return luaL_error(L, "require '%s': circular require", name);
    return 1;
  }
  lua_pop(L, 1);
  for (const char *p = name; *p; p++) {
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.'))
      return luaL_error(L, "require '%s': module names are letters, digits, '_' and '.'", name);
  }
  if (!*name || name[0] == '.') return luaL_error(L, "require '%s': invalid module name", name);
  const char *dir = lua_tostring(L, lua_upvalueindex(2));
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, dir);
  luaL_addchar(&b, '/');
  for (const char *p = name; *p; p++) luaL_addchar(&b, *p == '.' ? '/' : *p);
  luaL_addstring(&b, ".lua");
  luaL_pushresult(&b); /* stack: name, path */
  const char *path = lua_tostring(L, 2);
  if (luaL_loadfilex(L, path, "t") != LUA_OK)
    return luaL_error(L, "require '%s': %s", name, lua_tostring(L, -1));
  lua_host_t *h = lua_touserdata(L, lua_upvalueindex(3));
  lua_pushvalue(L, lua_upvalueindex(1));
  int cache_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_host_sandbox_function(h, cache_ref, dir);
  luaL_unref(L, LUA_REGISTRYINDEX, cache_ref);
  /* stack: name, path, fn */
  lua_pushvalue(L, 1);
  lua_pushlightuserdata(L, (void *)&LOAD_KEY);
  lua_rawset(L, lua_upvalueindex(1));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, 1);
  lua_pushvalue(L, -2);
  lua_rawset(L, lua_upvalueindex(1));
  return 1;
}

static const char *const safe_globals[] = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber", "tostring", "type", "xpcall",
  "rawequal", "rawget", "rawlen", "rawset", "setmetatable", "getmetatable", "_VERSION", NULL
};
static const char *const safe_libs[] = { "string", "table", "math", "utf8", NULL };

/* Builds the base: safe globals and libraries from a scratch state's standard library,
 * plus the host modules. Library tables are copied per sandbox, so a tool that edits
 * string.format changes only its own copy. */
static void build_base(lua_host_t *h) {
  lua_State *L = h->L;
  luaL_openlibs(L);
  lua_newtable(L); /* base */
  for (int i = 0; safe_globals[i]; i++) {
    lua_getglobal(L, safe_globals[i]);
    lua_setfield(L, -2, safe_globals[i]);
  }
  for (int i = 0; safe_libs[i]; i++) {
    lua_getglobal(L, safe_libs[i]);
    lua_setfield(L, -2, safe_libs[i]);
  }
  lua_getfield(L, -1, "string");
  lua_pushnil(L);
  lua_setfield(L, -2, "dump"); /* bytecode out is bytecode in elsewhere */
  lua_pop(L, 1);
  lua_pushcfunction(L, l_print);
  lua_setfield(L, -2, "print");
  static const luaL_Reg host_modules[] = {
    { "json", luaopen_json }, { "time", luaopen_time }, { "log", luaopen_log }, { "mcp", luaopen_mcp }, { NULL, NULL }
  };
  for (const luaL_Reg *m = host_modules; m->name; m++) {
    m->func(L);
    lua_setfield(L, -2, m->name);
  }
  h->base_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  /* The string metatable is shared by every string: lock it. */
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
  /* Drop the real globals from reach: tools only ever see sandboxes. */
  lua_pushglobaltable(L);
  lua_pushnil(L);
  while (lua_next(L, -2)) {
    lua_pop(L, 1);
    lua_pushvalue(L, -1);
    lua_pushnil(L);
    lua_rawset(L, -4);
  }
  lua_pop(L, 1);
  lua_newtable(L); /* sandbox env metatable */
  lua_pushcfunction(L, strict_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, strict_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  h->env_mt_ref = luaL_ref(L, LUA_REGISTRYINDEX);
}

void lua_host_sandbox_function(lua_host_t *h, int modules_ref, const char *lua_dir) {
  lua_State *L = h->L;
  luaL_checkstack(L, 8, "sandbox");
  lua_newtable(L); /* env */
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->base_ref);
  lua_pushnil(L);
  while (lua_next(L, -2)) { /* stack: fn, env, base, k, v */
    if (lua_istable(L, -1)) {
      lua_newtable(L);
      lua_pushnil(L);
      while (lua_next(L, -3)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
      }
      lua_remove(L, -2);
    }
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -5);
  }
  lua_pop(L, 1); /* base */
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "_G");
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, l_load, 1);
  lua_setfield(L, -2, "load");
  lua_rawgeti(L, LUA_REGISTRYINDEX, modules_ref);
  lua_pushstring(L, lua_dir ? lua_dir : ".");
  lua_pushlightuserdata(L, h);
  lua_pushcclosure(L, l_require, 3);
  lua_setfield(L, -2, "require");
  lua_rawgeti(L, LUA_REGISTRYINDEX, h->env_mt_ref);
  lua_setmetatable(L, -2);
  if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1); /* a chunk's first upvalue is _ENV */
}

int lua_host_run_file(lua_host_t *h, const char *path, int modules_ref, const char *lua_dir) {
  if (luaL_loadfilex(h->L, path, "t") != LUA_OK) return ACK_ELUA;
  return lua_host_run_loaded(h, modules_ref, lua_dir);
}

int lua_host_run_loaded(lua_host_t *h, int modules_ref, const char *lua_dir) {
  lua_State *L = h->L;
  lua_host_sandbox_function(h, modules_ref, lua_dir);
  h->load_instructions = 0;
  lua_sethook(L, load_hook, LUA_MASKCOUNT, HOOK_STEP);
  int st = lua_pcall(L, 0, 1, 0);
  lua_sethook(L, NULL, 0, 0);
  return st == LUA_OK ? 0 : ACK_ELUA;
}

/* ---- ctx ---------------------------------------------------------------------------- */

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
  call_resume(c, 2);
}

/* [-0, +1]: the ctx table of a call. */
static void push_ctx(lua_host_t *h, host_call_t *c) {
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

static void call_resume(host_call_t *c, int nargs) {
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
    call_resume(c, 0);
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
  push_ctx(h, c);
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
  call_resume(c, 6);
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

void lua_host_wake(host_call_t *c, int nret) {
  if (c->finished) return;
  c->pending = NULL;
  call_resume(c, nret);
}

lua_State *lua_host_call_thread(host_call_t *c) { return c->co; }
uv_loop_t *lua_host_loop_of(host_call_t *c) { return c->host->loop; }
bool lua_host_call_cancelled(const host_call_t *c) { return c->finished; }
int lua_host_active_calls(const lua_host_t *h) { return h->ncalls; }
size_t lua_host_memory(const lua_host_t *h) { return h->heap; }
lua_State *lua_host_state(lua_host_t *h) { return h->L; }
void lua_host_set_gate(lua_host_t *h, const gate_t *gate) { h->gate = gate; }
const gate_t *lua_host_gate(const lua_host_t *h) { return h->gate; }
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
  lua_rawsetp(h->L, LUA_REGISTRYINDEX, &LOAD_KEY);
  luaL_newmetatable(h->L, BOX_MT);
  lua_pop(h->L, 1);
  luaL_newmetatable(h->L, ERROR_MT);
  lua_pushcfunction(h->L, error_tostring);
  lua_setfield(h->L, -2, "__tostring");
  lua_pop(h->L, 1);
  if (uv_random(NULL, NULL, h->state_key, sizeof h->state_key, 0, NULL) != 0) {
    snprintf(err, errlen, "no randomness for the request-state key");
    lua_close(h->L);
    free(h);
    return NULL;
  }
  build_base(h);
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
