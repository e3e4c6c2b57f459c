/* lua_bind.h: the host modules tools see (besides json, in lua_bind_json.h). Each opener
 * pushes its module table. [-0, +1] */
#ifndef ACK_LUA_BIND_H
#define ACK_LUA_BIND_H

#include <lua.h>

int luaopen_time(lua_State *L);
int luaopen_log(lua_State *L);
int luaopen_mcp(lua_State *L);
int luaopen_http(lua_State *L);
int luaopen_aliyun(lua_State *L);
int luaopen_cache(lua_State *L);
int luaopen_kube(lua_State *L);
int luaopen_yaml(lua_State *L);

/* For bindings whose answer is an http_response_t (http, kube): wakes call c with
 * {status, headers, body} or a failure, and the continuation that returns the answer or
 * raises the failure, prefixed with the module name given as its context. */
struct host_call;
struct http_response;
void lbind_wake_http(struct host_call *c, const struct http_response *resp);
int lbind_http_k(lua_State *L, int status, lua_KContext kctx);

struct config;
/* [-0, +1]: the read-only `settings` table built from the server's config. */
void lbind_push_settings(lua_State *L, const struct config *cfg);

/* Metatable of tables built by mcp.result{...}: a handler's whole MCP result. */
#define LMCP_RESULT_MT "mcp.result"

#endif
