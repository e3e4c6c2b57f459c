/* test_idscan.c: the id of an oversized message is found while it streams past. */
#include "idscan.h"
#include "test.h"

static json_t *scan(const char *text, size_t chunk) {
  idscan_t s;
  idscan_init(&s);
  size_t n = strlen(text);
  for (size_t i = 0; i < n; i += chunk) idscan_feed(&s, text + i, n - i < chunk ? n - i : chunk);
  return idscan_result(&s);
}

TEST(idscan_finds_integer_id_first) {
  json_t *id = scan("{\"id\":42,\"method\":\"x\",\"params\":{\"id\":7}}", 3);
  CHECK(json_is_integer(id) && json_integer_value(id) == 42);
  json_decref(id);
}

TEST(idscan_finds_string_id_after_nested_ids) {
  json_t *id = scan("{\"method\":\"tools/call\",\"params\":{\"id\":1,\"a\":[{\"id\":2}],\"s\":\"\\\"id\\\":3\"},\"jsonrpc\":\"2.0\",\"id\":\"abc\"}", 1);
  CHECK(json_is_string(id));
  CHECK_STR(json_string_value(id), "abc");
  json_decref(id);
}

TEST(idscan_ignores_keys_that_only_start_with_id) {
  json_t *id = scan("{\"idx\":5,\"ids\":[1],\"id\":9}", 7);
  CHECK(json_integer_value(id) == 9);
  json_decref(id);
}

TEST(idscan_finds_nothing_without_id) {
  CHECK(scan("{\"method\":\"x\",\"params\":{\"id\":1}}", 4) == NULL);
  CHECK(scan("[1,2,3]", 1) == NULL);
  CHECK(scan("{\"id\":null}", 1) == NULL);
}

RUN_TESTS(T(idscan_finds_integer_id_first), T(idscan_finds_string_id_after_nested_ids),
          T(idscan_ignores_keys_that_only_start_with_id), T(idscan_finds_nothing_without_id))
