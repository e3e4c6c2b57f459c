/* lua_bind_json.h: the one converter between jansson values and Lua values, and the `json`
 * module tools see. JSON null is json.null (a light userdata); arrays carry a metatable
 * marker so an empty array survives a round trip (stock lua-cjson turns {} into an object). */
#ifndef ACK_LUA_BIND_JSON_H
#define ACK_LUA_BIND_JSON_H

#include <jansson.h>
#include <lua.h>
#include <stddef.h>

/* [-0, +1]: pushes v as a Lua value (NULL pushes json.null). Raises on memory error only. */
void ljson_push(lua_State *L, const json_t *v);
/* [-0, +0]: converts the value at idx to a new jansson value. Returns NULL and writes a
 * message naming the path into err on an unencodable value (function, cycle, NaN, mixed keys). */
json_t *ljson_to(lua_State *L, int idx, char *err, size_t errlen);
/* [-0, +1]: pushes a new empty table marked as a JSON array. */
void ljson_new_array(lua_State *L);
/* Nesting depth of v (scalars 0); push raises past LJSON_MAX_DEPTH, so check untrusted trees first. */
int ljson_depth(const json_t *v);
#define LJSON_MAX_DEPTH 256
#define LJSON_MAX_DEPTH_TEXT "256"
/* [-0, +1] on success: parses JSON text (any value at the top) straight into Lua values, as
 * ljson_push would push them. Returns 0, or -1 with "invalid JSON at line L column C: why"
 * in err and nothing pushed. Raises only on memory errors. */
int ljson_decode(lua_State *L, const char *s, size_t n, char *err, size_t errlen);
/* Opens the `json` module table. [-0, +1] */
int luaopen_json(lua_State *L);

#endif
