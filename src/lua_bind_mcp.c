/* lua_bind_mcp.c: the `mcp` module: mcp.result{...} marks a table as a handler's whole MCP
 * result (image, audio or resource content, isError), and base64 for blob and image data. */
#include "lua_bind.h"

#include <lauxlib.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdlib.h>

/* mcp.result(t) -> t, returned by a handler: sent as the result as it is. */
static int l_result(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  luaL_setmetatable(L, LMCP_RESULT_MT);
  return 1;
}

static int l_is_result(lua_State *L) {
  bool marked = false;
  if (lua_istable(L, 1) && lua_getmetatable(L, 1)) {
    luaL_getmetatable(L, LMCP_RESULT_MT);
    marked = lua_rawequal(L, -1, -2);
  }
  lua_pushboolean(L, marked);
  return 1;
}

/* mcp.base64(bytes) -> text */
static int l_base64(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  luaL_argcheck(L, n < (1u << 28), 1, "too large");
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, 4 * ((n + 2) / 3) + 1);
  int len = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
  luaL_pushresultsize(&b, (size_t)len);
  return 1;
}

/* mcp.unbase64(text) -> bytes | nil, message */
static int l_unbase64(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  luaL_argcheck(L, n < (1u << 28), 1, "too large");
  if (n % 4) {
    luaL_pushfail(L);
    lua_pushliteral(L, "base64 text length is not a multiple of 4");
    return 2;
  }
  luaL_Buffer b;
  char *out = luaL_buffinitsize(L, &b, 3 * (n / 4) + 1);
  int len = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
  if (len < 0) {
    luaL_pushfail(L);
    lua_pushliteral(L, "invalid base64");
    return 2;
  }
  size_t pad = n >= 2 ? (s[n - 1] == '=') + (s[n - 2] == '=') : 0; /* EVP_DecodeBlock counts padding */
  luaL_pushresultsize(&b, (size_t)len - pad);
  return 1;
}

static const luaL_Reg mcp_funcs[] = {
  { "result", l_result }, { "is_result", l_is_result }, { "base64", l_base64 }, { "unbase64", l_unbase64 }, { NULL, NULL }
};

int luaopen_mcp(lua_State *L) {
  if (luaL_newmetatable(L, LMCP_RESULT_MT)) {
    lua_pushliteral(L, "mcp.result");
    lua_setfield(L, -2, "__name");
  }
  lua_pop(L, 1);
  luaL_newlib(L, mcp_funcs);
  return 1;
}
