/* lua_bind_cache.c: the `cache` module: one process-wide TTL + LRU store (src/cache.c) sized
 * by --cache-max-size and --cache-ttl, and cache.fetch, which collapses concurrent misses of
 * a key into one run of the producer.
 *
 * fetch: the first call to miss a key owns a "flight" and runs fn in its own coroutine; later
 * calls for the key park on the flight (a host op) and are woken, through a zero-delay timer
 * on the loop, with the value, the error fn raised (errors are not cached), or "retry" when
 * the owner went away without an answer (cancelled, timed out): then each retries and the
 * first to run becomes the new owner. The owner runs fn under lua_pcallk, so its value and
 * its error both land in the continuation; a cancelled owner never gets there, and is seen
 * by a to-be-closed guard on its stack, which the host closes with the call's coroutine.
 * Values cross as JSON (ljson_to/ljson_push): each caller gets its own copy and cannot
 * change what the cache holds.
 *
 * Ownership: the module state is a userdata upvalue of the functions (freed by __gc at
 * lua_close, after every call has been cancelled); a flight belongs to the module until it
 * lands; a waiter to its call's pending op until woken or cancelled. */
#include "ack.h"
#include "cache.h"
#include "config.h"
#include "lua_bind.h"
#include "lua_bind_json.h"
#include "lua_host.h"

#include <lauxlib.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MT "cache.state"
#define GUARD_MT "cache.flight"
#define MAX_KEY 1024
#define DEFAULT_MAX_SIZE 1000
#define DEFAULT_TTL 300

typedef struct flight flight_t;
typedef struct waiter waiter_t;

enum { WAKE_VALUE = 1, WAKE_ERROR = 2, WAKE_RETRY = 3 };

typedef struct cache_mod {
  cache_t *cache;
  bool configured;
  flight_t *flights; /* in flight now: few at a time, a list is enough */
  uint64_t coalesced; /* calls served by another call's fetch */
} cache_mod_t;

struct flight {
  char *key;
  host_call_t *owner;
  waiter_t *waiters;
  struct guard *guard;
  flight_t *prev, *next;
  cache_mod_t *mod;
};

struct waiter {
  host_op_t op;
  uv_timer_t timer;
  flight_t *flight;          /* while parked; NULL once an outcome is set */
  waiter_t *prev, *next;
  int outcome;
  json_t *value;             /* WAKE_VALUE (NULL: nil) */
  int err_ref;               /* WAKE_ERROR: registry ref of the error value */
};

typedef struct guard {
  flight_t *flight; /* NULL once landed */
} guard_t;

static double now_s(void) { return (double)uv_hrtime() / 1e9; }

/* The module state, read from the server's settings the first time a call uses it (the
 * settings are set after the state is built). */
static cache_t *mod_cache(lua_State *L, host_call_t *c) {
  cache_mod_t *m = lua_touserdata(L, lua_upvalueindex(1));
  if (!m->configured) {
    const config_t *cfg = lua_host_config(lua_host_of(c));
    size_t max = cfg && cfg->cache_max_size > 0 ? (size_t)cfg->cache_max_size : DEFAULT_MAX_SIZE;
    double ttl = cfg ? cfg->cache_ttl : DEFAULT_TTL;
    cache_configure(m->cache, max, ttl, now_s());
    m->configured = true;
  }
  return m->cache;
}

/* The call running on L, for the functions that do not yield (they work where a yield
 * cannot happen, such as a table.sort comparator). */
static host_call_t *running_call(lua_State *L, const char *what) {
  host_call_t *c = lua_host_running_call(L);
  if (!c) luaL_error(L, "%s: only inside a tool call", what);
  return c;
}

/* A namespaced key: "<namespace>:<rest>", the namespace of [A-Za-z0-9_.-]. */
static const char *check_key(lua_State *L, int idx) {
  size_t n;
  const char *key = luaL_checklstring(L, idx, &n);
  const char *colon = memchr(key, ':', n);
  bool ok = colon && colon > key && n <= MAX_KEY && strlen(key) == n;
  for (const char *p = key; ok && p < colon; p++)
    ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
         *p == '.';
  if (!ok) luaL_argerror(L, idx, "key must be \"namespace:rest\" (namespace of A-Za-z0-9_.-, at most 1024 bytes)");
  return key;
}

/* ttl argument: nil means the default (-1), else a number of seconds >= 0. */
static double check_ttl(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) return -1;
  double ttl = luaL_checknumber(L, idx);
  luaL_argcheck(L, ttl >= 0 && isfinite(ttl), idx, "ttl must be a number of seconds >= 0");
  return ttl;
}

/* Converts the value at idx for storing; raises naming what is wrong. nil gives NULL. */
static json_t *to_json(lua_State *L, int idx, const char *what) {
  if (lua_isnil(L, idx)) return NULL;
  char err[256];
  json_t *v = ljson_to(L, idx, err, sizeof err);
  if (!v) luaL_error(L, "%s: the value cannot be cached: %s", what, err);
  return v;
}

/* ---- get, set, delete, stats -------------------------------------------------------- */

/* cache.get(key) -> value, seconds left; or nil on a miss. */
static int l_get(lua_State *L) {
  host_call_t *c = running_call(L, "cache.get");
  const char *key = check_key(L, 1);
  double left = 0;
  json_t *v = cache_get(mod_cache(L, c), key, now_s(), &left);
  if (!v) return 0;
  ljson_push(L, v);
  lua_pushnumber(L, left);
  return 2;
}

/* cache.set(key, value [, ttl]): value nil deletes; ttl 0 stores nothing. Returns value. */
static int l_set(lua_State *L) {
  host_call_t *c = running_call(L, "cache.set");
  const char *key = check_key(L, 1);
  double ttl = check_ttl(L, 3);
  lua_settop(L, 2);
  cache_t *cache = mod_cache(L, c);
  json_t *v = to_json(L, 2, "cache.set");
  if (v) cache_put(cache, key, v, ttl, now_s());
  else cache_delete(cache, key);
  return 1;
}

/* cache.delete(key) -> whether it was cached. */
static int l_delete(lua_State *L) {
  host_call_t *c = running_call(L, "cache.delete");
  const char *key = check_key(L, 1);
  lua_pushboolean(L, cache_delete(mod_cache(L, c), key));
  return 1;
}

static int l_stats(lua_State *L) {
  host_call_t *c = running_call(L, "cache.stats");
  cache_mod_t *m = lua_touserdata(L, lua_upvalueindex(1));
  cache_stats_t s = cache_stats(mod_cache(L, c));
  int inflight = 0, waiting = 0;
  for (flight_t *f = m->flights; f; f = f->next) {
    inflight++;
    for (waiter_t *w = f->waiters; w; w = w->next) waiting++;
  }
  lua_createtable(L, 0, 10);
  const struct { const char *name; double v; } fields[] = {
    { "entries", (double)s.entries },     { "max_entries", (double)s.max_entries },
    { "ttl", s.default_ttl },             { "hits", (double)s.hits },
    { "misses", (double)s.misses },       { "evictions", (double)s.evictions },
    { "expirations", (double)s.expirations }, { "coalesced", (double)m->coalesced },
    { "in_flight", inflight },            { "waiting", waiting },
  };
  for (size_t i = 0; i < ACK_ARRAY_LEN(fields); i++) {
    if (fields[i].v == floor(fields[i].v)) lua_pushinteger(L, (lua_Integer)fields[i].v);
    else lua_pushnumber(L, fields[i].v);
    lua_setfield(L, -2, fields[i].name);
  }
  return 1;
}

/* ---- fetch: waiters ----------------------------------------------------------------- */

static void waiter_free_cb(uv_handle_t *h) { free(h->data); }

static void waiter_unlink(waiter_t *w) {
  flight_t *f = w->flight;
  if (!f) return;
  if (w->prev) w->prev->next = w->next;
  else f->waiters = w->next;
  if (w->next) w->next->prev = w->prev;
  w->flight = NULL;
  w->prev = w->next = NULL;
}

/* The waiting call was cancelled: it just leaves. */
static void waiter_cancel(host_op_t *op) {
  waiter_t *w = (waiter_t *)op;
  waiter_unlink(w);
  uv_timer_stop(&w->timer);
  json_decref(w->value);
  if (w->outcome == WAKE_ERROR) luaL_unref(lua_host_call_thread(w->op.call), LUA_REGISTRYINDEX, w->err_ref);
  uv_close((uv_handle_t *)&w->timer, waiter_free_cb);
}

/* On the loop: resume the waiting call with (value, outcome). */
static void waiter_fire(uv_timer_t *t) {
  waiter_t *w = t->data;
  host_call_t *c = w->op.call;
  lua_State *co = lua_host_call_thread(c);
  int outcome = w->outcome;
  if (outcome == WAKE_VALUE && w->value) {
    ljson_push(co, w->value);
  } else if (outcome == WAKE_ERROR) {
    lua_rawgeti(co, LUA_REGISTRYINDEX, w->err_ref);
    luaL_unref(co, LUA_REGISTRYINDEX, w->err_ref);
  } else {
    lua_pushnil(co);
  }
  lua_pushinteger(co, outcome);
  json_decref(w->value);
  w->value = NULL;
  uv_close((uv_handle_t *)&w->timer, waiter_free_cb);
  lua_host_wake(c, 2);
}

/* Gives every waiter of f its outcome (the value on top of L for WAKE_ERROR) and schedules
 * its wake: never resume another call from inside this one. */
static void flight_land(lua_State *L, flight_t *f, int outcome, json_t *value) {
  while (f->waiters) {
    waiter_t *w = f->waiters;
    waiter_unlink(w);
    w->outcome = outcome;
    if (outcome == WAKE_VALUE) {
      w->value = value ? json_incref(value) : NULL;
      f->mod->coalesced++;
    } else if (outcome == WAKE_ERROR) {
      lua_pushvalue(L, -1);
      w->err_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    uv_timer_start(&w->timer, waiter_fire, 0, 0);
  }
  cache_mod_t *m = f->mod;
  if (f->prev) f->prev->next = f->next;
  else m->flights = f->next;
  if (f->next) f->next->prev = f->prev;
  if (f->guard) f->guard->flight = NULL;
  free(f->key);
  free(f);
}

/* __close of the owner's guard. Every way out through fetch_done_k lands the flight first;
 * one still in the air here means the owner's call ended without an answer (cancelled or
 * timed out), so the waiters retry and the first to run takes over. */
static int guard_close(lua_State *L) {
  guard_t *g = luaL_checkudata(L, 1, GUARD_MT);
  flight_t *f = g->flight;
  if (f) flight_land(L, f, WAKE_RETRY, NULL);
  return 0;
}

/* ---- fetch: the call ---------------------------------------------------------------- */

static int fetch_step(lua_State *L);

/* The owner fails: the waiters get the error on top of L, then it is raised. */
static int owner_fail(lua_State *L, guard_t *g) {
  if (g->flight) flight_land(L, g->flight, WAKE_ERROR, NULL);
  return lua_error(L);
}

/* The owner's fn ended: stack key, ttl, fn, guard, then value, fn_ttl or the error. */
static int fetch_done_k(lua_State *L, int status, lua_KContext kctx) {
  ACK_UNUSED(kctx);
  guard_t *g = lua_touserdata(L, 4);
  if (status != LUA_OK && status != LUA_YIELD) return owner_fail(L, g);
  host_call_t *c = lua_host_current_call(L, "cache.fetch");
  double ttl = check_ttl(L, 2);
  if (!lua_isnil(L, 6)) { /* fn knows better, e.g. a kubeconfig's expiry */
    ttl = lua_tonumber(L, 6);
    if (!lua_isnumber(L, 6) || !(ttl >= 0) || !isfinite(ttl)) {
      lua_pushliteral(L, "cache.fetch: fn's second result (ttl) must be a number of seconds >= 0");
      return owner_fail(L, g);
    }
  }
  json_t *v = NULL;
  if (!lua_isnil(L, 5)) {
    char err[256];
    v = ljson_to(L, 5, err, sizeof err);
    if (!v) {
      lua_pushfstring(L, "cache.fetch: fn's value cannot be cached: %s", err);
      return owner_fail(L, g);
    }
  }
  if (v) cache_put(mod_cache(L, c), lua_tostring(L, 1), json_incref(v), ttl, now_s());
  if (g->flight) flight_land(L, g->flight, WAKE_VALUE, v);
  json_decref(v);
  lua_settop(L, 5);
  return 1;
}

/* A waiter woke: stack key, ttl, fn, value, outcome. */
static int fetch_wait_k(lua_State *L, int status, lua_KContext kctx) {
  ACK_UNUSED(status);
  ACK_UNUSED(kctx);
  int outcome = (int)lua_tointeger(L, -1);
  lua_pop(L, 1);
  if (outcome == WAKE_VALUE) return 1;
  if (outcome == WAKE_ERROR) return lua_error(L);
  lua_settop(L, 3);
  return fetch_step(L);
}

static int fetch_step(lua_State *L) {
  host_call_t *c = lua_host_current_call(L, "cache.fetch");
  cache_mod_t *m = lua_touserdata(L, lua_upvalueindex(1));
  const char *key = lua_tostring(L, 1);
  json_t *v = cache_get(mod_cache(L, c), key, now_s(), NULL);
  if (v) {
    ljson_push(L, v);
    return 1;
  }
  for (flight_t *f = m->flights; f; f = f->next) {
    if (strcmp(f->key, key) != 0) continue;
    if (f->owner == c) return luaL_error(L, "cache.fetch: fn asked for its own key %s", key);
    waiter_t *w = ack_xcalloc(1, sizeof *w);
    w->op.cancel = waiter_cancel;
    w->flight = f;
    w->next = f->waiters;
    if (f->waiters) f->waiters->prev = w;
    f->waiters = w;
    uv_timer_init(lua_host_loop_of(c), &w->timer);
    w->timer.data = w;
    return lua_host_wait_k(L, c, &w->op, fetch_wait_k, 0);
  }
  guard_t *g = lua_newuserdatauv(L, sizeof *g, 0); /* first: it may raise, nothing to undo yet */
  g->flight = NULL;
  luaL_setmetatable(L, GUARD_MT);
  lua_toclose(L, 4);
  flight_t *f = ack_xcalloc(1, sizeof *f);
  f->key = ack_strdup(key);
  f->owner = c;
  f->mod = m;
  f->next = m->flights;
  if (m->flights) m->flights->prev = f;
  m->flights = f;
  g->flight = f;
  f->guard = g;
  lua_pushvalue(L, 3);
  return fetch_done_k(L, lua_pcallk(L, 0, 2, 0, 0, fetch_done_k), 0);
}

/* cache.fetch(key, ttl, fn) -> the cached value, or fn()'s: fn returns value [, ttl]. Yields. */
static int l_fetch(lua_State *L) {
  lua_host_current_call(L, "cache.fetch");
  check_key(L, 1);
  check_ttl(L, 2);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  lua_settop(L, 3);
  return fetch_step(L);
}

/* ---- module ------------------------------------------------------------------------- */

static int state_gc(lua_State *L) {
  cache_mod_t *m = luaL_checkudata(L, 1, STATE_MT);
  while (m->flights) { /* none by now: every call was cancelled before the state closes */
    flight_t *f = m->flights;
    m->flights = f->next;
    free(f->key);
    free(f);
  }
  cache_free(m->cache);
  m->cache = NULL;
  return 0;
}

static const luaL_Reg cache_funcs[] = {
  { "get", l_get }, { "set", l_set }, { "delete", l_delete }, { "fetch", l_fetch }, { "stats", l_stats }, { NULL, NULL }
};

int luaopen_cache(lua_State *L) {
  if (luaL_newmetatable(L, GUARD_MT)) {
    lua_pushcfunction(L, guard_close);
    lua_setfield(L, -2, "__close");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, ACK_ARRAY_LEN(cache_funcs) - 1);
  cache_mod_t *m = lua_newuserdatauv(L, sizeof *m, 0);
  memset(m, 0, sizeof *m);
  m->cache = cache_new(DEFAULT_MAX_SIZE, DEFAULT_TTL);
  if (luaL_newmetatable(L, STATE_MT)) {
    lua_pushcfunction(L, state_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
  }
  lua_setmetatable(L, -2);
  luaL_setfuncs(L, cache_funcs, 1);
  return 1;
}
