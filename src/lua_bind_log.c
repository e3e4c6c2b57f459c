/* lua_bind_log.c: the `log` module: server-side log lines (stderr), tagged with the tool.
 * Messages to the MCP client go through ctx.log instead. */
#include "log.h"
#include "lua_bind.h"

#include <lauxlib.h>

static int emit(lua_State *L, log_level_t level) {
  int n = lua_gettop(L);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 1; i <= n; i++) {
    if (i > 1) luaL_addchar(&b, ' ');
    luaL_tolstring(L, i, NULL);
    luaL_addvalue(&b);
  }
  luaL_pushresult(&b);
  lua_Debug ar;
  const char *where = "lua";
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar)) where = ar.short_src;
  log_msg(level, "[%s] %s", where, lua_tostring(L, -1));
  return 0;
}

static int l_debug(lua_State *L) { return emit(L, LOG_DEBUG); }
static int l_info(lua_State *L) { return emit(L, LOG_INFO); }
static int l_warn(lua_State *L) { return emit(L, LOG_WARNING); }
static int l_error(lua_State *L) { return emit(L, LOG_ERROR); }

static const luaL_Reg log_funcs[] = {
  { "debug", l_debug }, { "info", l_info }, { "warn", l_warn }, { "error", l_error }, { NULL, NULL }
};

int luaopen_log(lua_State *L) {
  luaL_newlib(L, log_funcs);
  return 1;
}
