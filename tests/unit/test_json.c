/* test_json.c: the jansson <-> Lua converter and the json module. */
#include "lua_bind_json.h"
#include "test.h"

#include <lauxlib.h>
#include <lualib.h>

static lua_State *state(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaopen_json(L);
  lua_setglobal(L, "json");
  return L;
}

/* Runs chunk (which returns one value) and converts the result to compact JSON text. */
static char *eval_to_json(lua_State *L, const char *chunk, char *err) {
  if (luaL_dostring(L, chunk) != LUA_OK) {
    snprintf(err, 256, "%s", lua_tostring(L, -1));
    return NULL;
  }
  json_t *j = ljson_to(L, -1, err, 256);
  lua_pop(L, 1);
  if (!j) return NULL;
  char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
  json_decref(j);
  return s;
}

TEST(json_round_trip_keeps_empty_arrays_and_null) {
  lua_State *L = state();
  char err[256];
  char *s = eval_to_json(L, "return json.decode('{\"a\":[],\"b\":{},\"c\":null,\"d\":[1,2.5,\"x\",true]}')", err);
  CHECK_STR(s, "{\"a\":[],\"b\":{},\"c\":null,\"d\":[1,2.5,\"x\",true]}");
  free(s);
  lua_close(L);
}

TEST(json_lua_tables_map_to_arrays_and_objects) {
  lua_State *L = state();
  char err[256];
  char *s = eval_to_json(L, "return { list = {1,2,3}, empty = {}, arr = json.array(), n = 3.0, f = 0.5, [7] = 'seven' }", err);
  CHECK_STR(s, "{\"7\":\"seven\",\"arr\":[],\"empty\":{},\"f\":0.5,\"list\":[1,2,3],\"n\":3}");
  free(s);
  lua_close(L);
}

TEST(json_unencodable_values_name_their_path) {
  lua_State *L = state();
  char err[256];
  CHECK(eval_to_json(L, "return { a = { b = print } }", err) == NULL);
  CHECK_CONTAINS(err, "value.a.b: a function cannot be encoded");
  CHECK(eval_to_json(L, "return { x = 0/0 }", err) == NULL);
  CHECK_CONTAINS(err, "value.x");
  CHECK(eval_to_json(L, "local t = {} t.self = t return t", err) == NULL);
  CHECK_CONTAINS(err, "nested deeper");
  lua_close(L);
}

TEST(json_invalid_utf8_is_replaced_not_fatal) {
  lua_State *L = state();
  char err[256];
  char *s = eval_to_json(L, "return 'ok\\255\\254 done'", err);
  CHECK_STR(s, "\"ok\xEF\xBF\xBD\xEF\xBF\xBD done\"");
  free(s);
  lua_close(L);
}

TEST(json_decode_reports_errors_without_raising) {
  lua_State *L = state();
  CHECK(luaL_dostring(L, "local v, e = json.decode('{bad') assert(v == nil) return e") == LUA_OK);
  CHECK_CONTAINS(lua_tostring(L, -1), "invalid JSON");
  CHECK(luaL_dostring(L, "return json.decode(string.rep('[', 300) .. string.rep(']', 300))") == LUA_OK);
  CHECK(lua_isnil(L, -2));
  lua_close(L);
}

TEST(json_push_depth_is_checked_first) {
  json_t *deep = json_array(), *cur = deep;
  for (int i = 0; i < 300; i++) {
    json_t *next = json_array();
    json_array_append_new(cur, next);
    cur = next;
  }
  CHECK(ljson_depth(deep) == 301);
  json_decref(deep);
}

RUN_TESTS(T(json_round_trip_keeps_empty_arrays_and_null), T(json_lua_tables_map_to_arrays_and_objects),
          T(json_unencodable_values_name_their_path), T(json_invalid_utf8_is_replaced_not_fatal),
          T(json_decode_reports_errors_without_raising), T(json_push_depth_is_checked_first))
