/* lua_bind_yaml.c: the `yaml` module (decode, decode_all, encode) over yaml_codec, with
 * the json module's converter so json.null and array markers mean the same here. */
#include "lua_bind.h"
#include "lua_bind_json.h"
#include "lua_host.h"
#include "yaml_codec.h"

#include <lauxlib.h>
#include <stdlib.h>

/* Pushing can raise (the call's memory cap) while C holds the value: push under pcall, free,
 * then re-raise. */
static int push_json(lua_State *L) {
  ljson_push(L, lua_touserdata(L, 1));
  return 1;
}

static int push_text(lua_State *L) {
  lua_pushstring(L, lua_touserdata(L, 1));
  return 1;
}

static int push_owned(lua_State *L, lua_CFunction push, void *v, void (*release)(void *)) {
  lua_pushcfunction(L, push);
  lua_pushlightuserdata(L, v);
  int rc = lua_pcall(L, 1, 1, 0);
  release(v);
  if (rc != LUA_OK) return lua_error(L);
  return 1;
}

static void release_json(void *v) { json_decref(v); }

/* Shared by decode and decode_all: bad YAML is data, so it raises the structured
 * {code = "InvalidYAML"} a tool can catch and show, naming line and column. */
static int decode(lua_State *L, bool all, const char *what) {
  size_t n;
  const char *s = luaL_checklstring(L, 1, &n);
  char err[256];
  json_t *j = yaml_decode(s, n, all, err, sizeof err);
  if (!j) return lua_host_raise(L, "InvalidYAML", 0, false, "%s: %s", what, err);
  /* ljson_push raises past LJSON_MAX_DEPTH; check first so the tree is never leaked. */
  if (ljson_depth(j) > LJSON_MAX_DEPTH) {
    json_decref(j);
    return lua_host_raise(L, "InvalidYAML", 0, false, "%s: nested deeper than %d levels", what, LJSON_MAX_DEPTH);
  }
  return push_owned(L, push_json, j, release_json);
}

/* yaml.decode(text) -> the first non-empty document (json.null when there is none). */
static int l_decode(lua_State *L) { return decode(L, false, "yaml.decode"); }

/* yaml.decode_all(text) -> array of the non-empty documents. */
static int l_decode_all(lua_State *L) { return decode(L, true, "yaml.decode_all"); }

/* yaml.encode(value) -> text. An unencodable value (function, cycle) is the author's bug. */
static int l_encode(lua_State *L) {
  luaL_checkany(L, 1);
  char err[256];
  json_t *j = ljson_to(L, 1, err, sizeof err);
  if (!j) return luaL_error(L, "yaml.encode: %s", err);
  char *s = yaml_encode(j, err, sizeof err);
  json_decref(j);
  if (!s) return luaL_error(L, "yaml.encode: %s", err);
  return push_owned(L, push_text, s, free);
}

static const luaL_Reg yaml_funcs[] = {
  { "decode", l_decode }, { "decode_all", l_decode_all }, { "encode", l_encode }, { NULL, NULL }
};

int luaopen_yaml(lua_State *L) {
  luaL_newlib(L, yaml_funcs);
  return 1;
}
