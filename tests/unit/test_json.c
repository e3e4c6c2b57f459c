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

/* json.decode(text) -> the value as compact, key-sorted JSON, or "ERR <message>". */
static char *decode(lua_State *L, const char *text, size_t n) {
  lua_getglobal(L, "json");
  lua_getfield(L, -1, "decode");
  lua_pushlstring(L, text, n);
  lua_call(L, 1, 2);
  char err[256], *out;
  if (lua_isnil(L, -2)) {
    snprintf(err, sizeof err, "ERR %s", lua_tostring(L, -1));
    out = strdup(err);
  } else {
    json_t *j = ljson_to(L, -2, err, sizeof err);
    out = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : strdup(err);
    json_decref(j);
  }
  lua_pop(L, 3);
  return out;
}
#define CHECK_DECODE(text, want)                                                    \
  do {                                                                              \
    char *got_ = decode(L, text, sizeof(text) - 1);                                 \
    CHECK_STR(got_, want);                                                          \
    free(got_);                                                                     \
  } while (0)

TEST(json_decode_reads_every_json_form) {
  lua_State *L = state();
  CHECK_DECODE(" {\"b\": [1, -2, 3.5, 1e3, -2.5E-1, true, false, null], \"a\": {}} ",
               "{\"a\":{},\"b\":[1,-2,3.5,1000,-0.25,true,false,null]}");
  CHECK_DECODE("\"esc \\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00\"", "\"esc \\\" \\\\ / \\b\\f\\n\\r\\t \u00e9 \U0001F600\"");
  CHECK_DECODE("\"caf\xc3\xa9\"", "\"caf\u00e9\"");
  CHECK_DECODE("9223372036854775807", "9223372036854775807");
  CHECK_DECODE("92233720368547758070", "9.2233720368547758e19");
  CHECK_DECODE("{\"k\":1,\"k\":2}", "{\"k\":2}");
  CHECK_DECODE("[]", "[]");
  CHECK_DECODE("\"nul\\u0000byte\"", "\"nul\\u0000byte\"");
  lua_close(L);
}

TEST(json_decode_refuses_bad_text_with_its_place) {
  lua_State *L = state();
  CHECK_DECODE("{\"a\":\n  [1,]}", "ERR invalid JSON at line 2 column 6: invalid number");
  CHECK_DECODE("[1 2]", "ERR invalid JSON at line 1 column 4: expected ',' or ']'");
  CHECK_DECODE("{\"a\" 1}", "ERR invalid JSON at line 1 column 6: expected ':'");
  CHECK_DECODE("{a:1}", "ERR invalid JSON at line 1 column 2: expected a string key");
  CHECK_DECODE("\"open", "ERR invalid JSON at line 1 column 1: unterminated string");
  CHECK_DECODE("\"bad \xff\"", "ERR invalid JSON at line 1 column 6: invalid UTF-8 in a string");
  CHECK_DECODE("\"over\xc0\xaflong\"", "ERR invalid JSON at line 1 column 6: invalid UTF-8 in a string");
  CHECK_DECODE("\"tab\there\"", "ERR invalid JSON at line 1 column 5: control character in a string");
  CHECK_DECODE("\"\\ud800 alone\"", "ERR invalid JSON at line 1 column 2: invalid Unicode surrogate pair");
  CHECK_DECODE("\"\\x\"", "ERR invalid JSON at line 1 column 2: invalid escape");
  CHECK_DECODE("tru", "ERR invalid JSON at line 1 column 1: invalid literal");
  CHECK_DECODE("01", "ERR invalid JSON at line 1 column 2: end of file expected");
  CHECK_DECODE("1.", "ERR invalid JSON at line 1 column 1: invalid number");
  CHECK_DECODE("", "ERR invalid JSON at line 1 column 1: unexpected end of input");
  CHECK_DECODE("[1] x", "ERR invalid JSON at line 1 column 5: end of file expected");
  char deep[600];
  memset(deep, '[', 300);
  memset(deep + 300, ']', 300);
  char *got = decode(L, deep, 600);
  CHECK_CONTAINS(got, "nested deeper than 256 levels");
  free(got);
  memset(deep, '[', 256);
  memset(deep + 256, ']', 256);
  got = decode(L, deep, 512);
  CHECK(strncmp(got, "[[[[", 4) == 0);
  free(got);
  lua_close(L);
}

RUN_TESTS(T(json_decode_reads_every_json_form), T(json_decode_refuses_bad_text_with_its_place), T(json_round_trip_keeps_empty_arrays_and_null), T(json_lua_tables_map_to_arrays_and_objects),
          T(json_unencodable_values_name_their_path), T(json_invalid_utf8_is_replaced_not_fatal),
          T(json_decode_reports_errors_without_raising), T(json_push_depth_is_checked_first))
