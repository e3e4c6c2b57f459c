/* lua_host_sandbox.c: the environment tool files run in: allow-listed globals with their
 * own copies of the libraries, strict global access, text-only load, a require that only
 * finds lua/, and the instruction budget of loading a file. */
#include "lua_host_internal.h"

#include "ack.h"
#include "lua_bind.h"
#include "lua_bind_json.h"

#include <lauxlib.h>
#include <lualib.h>

#include <string.h>

#define LOAD_MAX_INSTRUCTIONS 50000000LL   /* a tool file's top level: no real work there */

/* Loading runs on the main thread, whose extra space holds no call; the load hook finds
 * the host through a registry key. */
const char lua_host__load_key = 'L';

static void load_hook(lua_State *L, lua_Debug *ar) {
  ACK_UNUSED(ar);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &lua_host__load_key);
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

static void sandbox_on(lua_State *L, lua_host_t *h, int modules_ref, const char *lua_dir);

/* require(name): upvalues: 1 module cache table, 2 lua dir, 3 host (light). Modules load
 * from the lua dir only, text only, each in its own sandbox; the cache belongs to one
 * registry generation so a reload brings fresh modules. */
static int l_require(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  lua_pushvalue(L, 1);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
    if (lua_islightuserdata(L, -1) && lua_touserdata(L, -1) == (void *)&lua_host__load_key)
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
  sandbox_on(L, h, cache_ref, dir);
  luaL_unref(L, LUA_REGISTRYINDEX, cache_ref);
  /* stack: name, path, fn */
  lua_pushvalue(L, 1);
  lua_pushlightuserdata(L, (void *)&lua_host__load_key);
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
void lua_host__build_base(lua_host_t *h) {
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
    { "json", luaopen_json }, { "time", luaopen_time }, { "log", luaopen_log },
    { "mcp", luaopen_mcp },   { "http", luaopen_http },
    { "cache", luaopen_cache }, { "yaml", luaopen_yaml },
    { "aliyun", luaopen_aliyun },
    { "kube", luaopen_kube },
    { NULL, NULL }
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

/* On L's stack, which is a call's coroutine when a handler requires a module lazily. */
static void sandbox_on(lua_State *L, lua_host_t *h, int modules_ref, const char *lua_dir) {
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

void lua_host_sandbox_function(lua_host_t *h, int modules_ref, const char *lua_dir) {
  sandbox_on(h->L, h, modules_ref, lua_dir);
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

