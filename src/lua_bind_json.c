/* lua_bind_json.c: jansson <-> Lua conversion and the `json` module (encode, decode, null,
 * array, is_array). Decoding goes straight from the envelope's jansson tree to Lua tables, so
 * tool arguments are parsed once. */
#include "lua_bind_json.h"

#include <lauxlib.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define LJSON_ARRAY_MT "json.array"

static int array_mt(lua_State *L) {
  if (luaL_newmetatable(L, LJSON_ARRAY_MT)) {
    lua_pushstring(L, "array");
    lua_setfield(L, -2, "__name");
  }
  return 1;
}

void ljson_new_array(lua_State *L) {
  lua_newtable(L);
  array_mt(L);
  lua_setmetatable(L, -2);
}

static void push_depth(lua_State *L, const json_t *v, int depth) {
  if (depth > LJSON_MAX_DEPTH) luaL_error(L, "JSON nested deeper than %d", LJSON_MAX_DEPTH);
  luaL_checkstack(L, 4, "json");
  switch (json_typeof(v)) {
  case JSON_OBJECT: {
    lua_createtable(L, 0, (int)json_object_size(v));
    const char *k;
    size_t klen;
    json_t *item;
    json_object_keylen_foreach((json_t *)v, k, klen, item) {
      lua_pushlstring(L, k, klen);
      push_depth(L, item, depth + 1);
      lua_rawset(L, -3);
    }
    break;
  }
  case JSON_ARRAY: {
    size_t n = json_array_size(v);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
      push_depth(L, json_array_get(v, i), depth + 1);
      lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    array_mt(L);
    lua_setmetatable(L, -2);
    break;
  }
  case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
  case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(v)); break;
  case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
  case JSON_TRUE: lua_pushboolean(L, 1); break;
  case JSON_FALSE: lua_pushboolean(L, 0); break;
  case JSON_NULL: lua_pushlightuserdata(L, NULL); break;
  }
}

void ljson_push(lua_State *L, const json_t *v) {
  if (!v) lua_pushlightuserdata(L, NULL);
  else push_depth(L, v, 0);
}

/* Copies s replacing invalid UTF-8 with U+FFFD: tool output often holds raw bytes (logs)
 * and one bad byte must not fail the whole result. */
static json_t *utf8_string(const char *s, size_t n) {
  json_t *j = json_stringn(s, n);
  if (j) return j;
  char *out = malloc(n * 3 + 1);
  if (!out) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len && i + len <= n && (len == 1 || c >= 0xC2);
    for (size_t k = 1; ok && k < len; k++) ok = ((unsigned char)s[i + k] >> 6) == 2;
    if (ok) {
      json_t *probe = json_stringn(s + i, len);
      ok = probe != NULL;
      json_decref(probe);
    }
    if (ok) {
      memcpy(out + o, s + i, len);
      o += len;
      i += len;
    } else {
      memcpy(out + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
    }
  }
  j = json_stringn(out, o);
  free(out);
  return j;
}

/* Is the table at idx an array: marked, or keys exactly 1..n with n >= 1. */
static int table_is_array(lua_State *L, int idx, size_t *n) {
  if (lua_getmetatable(L, idx)) {
    array_mt(L);
    int marked = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (marked) {
      *n = (size_t)lua_rawlen(L, idx);
      return 1;
    }
  }
  size_t len = (size_t)lua_rawlen(L, idx), count = 0;
  if (len == 0) return 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    count++;
    if (!lua_isinteger(L, -1)) { lua_pop(L, 1); return 0; }
  }
  *n = len;
  return count == len;
}

static json_t *to_depth(lua_State *L, int idx, int depth, char *path, size_t plen, char *err, size_t errlen) {
  idx = lua_absindex(L, idx);
  if (depth > LJSON_MAX_DEPTH) {
    snprintf(err, errlen, "nested deeper than %d levels (a cycle?) at %s", LJSON_MAX_DEPTH, path);
    return NULL;
  }
  switch (lua_type(L, idx)) {
  case LUA_TNIL: return json_null();
  case LUA_TBOOLEAN: return json_boolean(lua_toboolean(L, idx));
  case LUA_TLIGHTUSERDATA:
    if (lua_touserdata(L, idx) == NULL) return json_null();
    break;
  case LUA_TNUMBER:
    if (lua_isinteger(L, idx)) return json_integer((json_int_t)lua_tointeger(L, idx));
    {
      double d = lua_tonumber(L, idx);
      if (!isfinite(d)) {
        snprintf(err, errlen, "%s: %g cannot be encoded as JSON", path, d);
        return NULL;
      }
      /* 3.0 from Lua arithmetic is an integer to a JSON reader. */
      if (d == floor(d) && fabs(d) < 9007199254740992.0) return json_integer((json_int_t)d);
      return json_real(d);
    }
  case LUA_TSTRING: {
    size_t n;
    const char *s = lua_tolstring(L, idx, &n);
    return utf8_string(s, n);
  }
  case LUA_TTABLE: {
    luaL_checkstack(L, 4, "json");
    size_t n, plen2 = strlen(path);
    if (table_is_array(L, idx, &n)) {
      json_t *arr = json_array();
      for (size_t i = 1; i <= n; i++) {
        snprintf(path + plen2, plen - plen2, "[%zu]", i - 1);
        lua_rawgeti(L, idx, (lua_Integer)i);
        json_t *item = to_depth(L, -1, depth + 1, path, plen, err, errlen);
        lua_pop(L, 1);
        if (!item) { json_decref(arr); return NULL; }
        json_array_append_new(arr, item);
      }
      path[plen2] = '\0';
      return arr;
    }
    json_t *obj = json_object();
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      char keybuf[32];
      const char *key;
      size_t klen;
      if (lua_type(L, -2) == LUA_TSTRING) {
        key = lua_tolstring(L, -2, &klen);
      } else if (lua_isinteger(L, -2)) {
        klen = (size_t)snprintf(keybuf, sizeof keybuf, "%lld", (long long)lua_tointeger(L, -2));
        key = keybuf;
      } else {
        snprintf(err, errlen, "%s: table key of type %s cannot be encoded as JSON", path, luaL_typename(L, -2));
        lua_pop(L, 2);
        json_decref(obj);
        return NULL;
      }
      snprintf(path + plen2, plen - plen2, ".%.*s", (int)(klen > 64 ? 64 : klen), key);
      json_t *item = to_depth(L, -1, depth + 1, path, plen, err, errlen);
      lua_pop(L, 1);
      if (!item) { lua_pop(L, 1); json_decref(obj); return NULL; }
      json_object_setn_new_nocheck(obj, key, klen, item);
    }
    path[plen2] = '\0';
    return obj;
  }
  default: break;
  }
  snprintf(err, errlen, "%s: a %s cannot be encoded as JSON", path, luaL_typename(L, idx));
  return NULL;
}

json_t *ljson_to(lua_State *L, int idx, char *err, size_t errlen) {
  char path[512] = "value";
  return to_depth(L, idx, 0, path, sizeof path, err, errlen);
}

/* json.encode(value [, {pretty=true}]) -> string (pretty: indented, keys sorted). Raises on
 * unencodable values. */
static int l_encode(lua_State *L) {
  luaL_checkany(L, 1);
  char err[256];
  json_t *j = ljson_to(L, 1, err, sizeof err);
  if (!j) return luaL_error(L, "json.encode: %s", err);
  size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15);
  if (lua_istable(L, 2)) {
    lua_getfield(L, 2, "pretty");
    if (lua_toboolean(L, -1)) flags = JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY; /* stable for people and diffs */
    lua_pop(L, 1);
  }
  char *s = json_dumps(j, flags);
  json_decref(j);
  if (!s) return luaL_error(L, "json.encode: out of memory");
  lua_pushstring(L, s);
  free(s);
  return 1;
}

int ljson_depth(const json_t *v) {
  int max = 0;
  if (json_is_array(v)) {
    for (size_t i = 0; i < json_array_size(v); i++) {
      int d = ljson_depth(json_array_get(v, i));
      if (d > max) max = d;
    }
    return max + 1;
  }
  if (json_is_object(v)) {
    const char *k;
    json_t *item;
    json_object_foreach((json_t *)v, k, item) {
      int d = ljson_depth(item);
      if (d > max) max = d;
    }
    return max + 1;
  }
  return 0;
}

/* json.decode(text) -> value | nil, message. Malformed input is data, not a bug: no raise. */
static int l_decode(lua_State *L) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  char err[200];
  if (ljson_decode(L, s, n, err, sizeof err) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, err);
    return 2;
  }
  return 1;
}

/* json.array([t]) -> t marked as an array. */
static int l_array(lua_State *L) {
  if (lua_isnoneornil(L, 1)) lua_newtable(L);
  else luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  array_mt(L);
  lua_setmetatable(L, 1);
  return 1;
}

static int l_is_array(lua_State *L) {
  size_t n;
  lua_pushboolean(L, lua_istable(L, 1) && table_is_array(L, 1, &n));
  return 1;
}

static const luaL_Reg json_funcs[] = {
  { "encode", l_encode }, { "decode", l_decode }, { "array", l_array }, { "is_array", l_is_array }, { NULL, NULL }
};

int luaopen_json(lua_State *L) {
  luaL_newlib(L, json_funcs);
  lua_pushlightuserdata(L, NULL);
  lua_setfield(L, -2, "null");
  return 1;
}
