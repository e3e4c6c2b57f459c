/* lua_bind.h: the host modules tools see (besides json, in lua_bind_json.h). Each opener
 * pushes its module table. [-0, +1] */
#ifndef ACK_LUA_BIND_H
#define ACK_LUA_BIND_H

#include <lua.h>

int luaopen_time(lua_State *L);
int luaopen_log(lua_State *L);

#endif
