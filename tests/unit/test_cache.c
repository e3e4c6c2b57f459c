/* test_cache.c: the TTL + LRU store behind the `cache` module (src/cache.c). Time is passed
 * in, so lifetimes are tested without sleeping. cache.fetch's one-flight-per-key behaviour
 * is tested end to end (tests/e2e/cache.test.js). */
#include "cache.h"
#include "test.h"

#include <stdio.h>

static json_int_t int_of(cache_t *c, const char *key, double now) {
  json_t *v = cache_get(c, key, now, NULL);
  return v ? json_integer_value(v) : -1;
}

TEST(get_returns_what_put_stored) {
  cache_t *c = cache_new(10, 60);
  cache_put(c, "t:a", json_integer(1), -1, 0);
  cache_put(c, "t:b", json_pack("{s:s}", "region", "cn-hangzhou"), -1, 0);
  CHECK(int_of(c, "t:a", 1) == 1);
  json_t *b = cache_get(c, "t:b", 1, NULL);
  CHECK(b && json_is_object(b));
  CHECK_STR(json_string_value(json_object_get(b, "region")), "cn-hangzhou");
  CHECK(cache_get(c, "t:nope", 1, NULL) == NULL);
  cache_stats_t s = cache_stats(c);
  CHECK(s.entries == 2 && s.hits == 2 && s.misses == 1 && s.evictions == 0);
  cache_free(c);
}

TEST(put_replaces_a_value) {
  cache_t *c = cache_new(10, 60);
  cache_put(c, "t:a", json_integer(1), -1, 0);
  cache_put(c, "t:a", json_integer(2), -1, 0);
  CHECK(int_of(c, "t:a", 0) == 2);
  CHECK(cache_stats(c).entries == 1);
  cache_free(c);
}

TEST(entries_expire_after_the_default_ttl) {
  cache_t *c = cache_new(10, 60);
  cache_put(c, "t:a", json_integer(1), -1, 100);
  double left = 0;
  CHECK(cache_get(c, "t:a", 159.5, &left) != NULL);
  CHECK(left > 0.4 && left < 0.6);
  CHECK(cache_get(c, "t:a", 160, NULL) == NULL);
  cache_stats_t s = cache_stats(c);
  CHECK(s.entries == 0 && s.expirations == 1 && s.evictions == 0);
  cache_free(c);
}

TEST(a_per_entry_ttl_overrides_the_default) {
  cache_t *c = cache_new(10, 60);
  cache_put(c, "t:short", json_integer(1), 5, 0);
  cache_put(c, "t:long", json_integer(2), 3600, 0);
  CHECK(cache_get(c, "t:short", 6, NULL) == NULL);
  CHECK(int_of(c, "t:long", 3000) == 2);
  cache_free(c);
}

TEST(ttl_zero_stores_nothing_and_drops_the_old_value) {
  cache_t *c = cache_new(10, 60);
  cache_put(c, "t:a", json_integer(1), -1, 0);
  cache_put(c, "t:a", json_integer(2), 0, 0);
  CHECK(cache_get(c, "t:a", 0, NULL) == NULL);
  CHECK(cache_stats(c).entries == 0);
  cache_t *off = cache_new(10, 0); /* CACHE_TTL=0: caching off unless a caller says otherwise */
  cache_put(off, "t:a", json_integer(1), -1, 0);
  CHECK(cache_stats(off).entries == 0);
  cache_put(off, "t:b", json_integer(1), 10, 0);
  CHECK(int_of(off, "t:b", 1) == 1);
  cache_free(off);
  cache_free(c);
}

TEST(the_least_recently_used_entry_is_evicted) {
  cache_t *c = cache_new(3, 60);
  cache_put(c, "t:a", json_integer(1), -1, 0);
  cache_put(c, "t:b", json_integer(2), -1, 0);
  cache_put(c, "t:c", json_integer(3), -1, 0);
  CHECK(int_of(c, "t:a", 1) == 1); /* a is now the most recent; b the least */
  cache_put(c, "t:d", json_integer(4), -1, 2);
  CHECK(cache_get(c, "t:b", 3, NULL) == NULL);
  CHECK(int_of(c, "t:a", 3) == 1 && int_of(c, "t:c", 3) == 3 && int_of(c, "t:d", 3) == 4);
  cache_stats_t s = cache_stats(c);
  CHECK(s.entries == 3 && s.evictions == 1);
  cache_free(c);
}

TEST(an_expired_oldest_entry_counts_as_expired_not_evicted) {
  cache_t *c = cache_new(2, 60);
  cache_put(c, "t:a", json_integer(1), 1, 0);
  cache_put(c, "t:b", json_integer(2), -1, 0);
  cache_put(c, "t:c", json_integer(3), -1, 5);
  cache_stats_t s = cache_stats(c);
  CHECK(s.entries == 2 && s.evictions == 0 && s.expirations == 1);
  CHECK(int_of(c, "t:b", 5) == 2);
  cache_free(c);
}

TEST(delete_drops_a_key) {
  cache_t *c = cache_new(10, 60);
  cache_put(c, "t:a", json_integer(1), -1, 0);
  CHECK(cache_delete(c, "t:a") == 1);
  CHECK(cache_delete(c, "t:a") == 0);
  CHECK(cache_get(c, "t:a", 0, NULL) == NULL);
  CHECK(cache_stats(c).entries == 0);
  cache_free(c);
}

TEST(shrinking_evicts_at_once) {
  cache_t *c = cache_new(10, 60);
  char key[32];
  for (int i = 0; i < 10; i++) {
    snprintf(key, sizeof key, "t:%d", i);
    cache_put(c, key, json_integer(i), -1, 0);
  }
  cache_configure(c, 4, 30, 1);
  cache_stats_t s = cache_stats(c);
  CHECK(s.entries == 4 && s.evictions == 6 && s.max_entries == 4 && s.default_ttl == 30);
  CHECK(cache_get(c, "t:5", 1, NULL) == NULL);
  CHECK(int_of(c, "t:6", 1) == 6 && int_of(c, "t:9", 1) == 9);
  cache_free(c);
}

/* Many keys through a small cache: the table grows past its first size, every live key is
 * found, the count never passes the bound, and the most recent keys are the ones kept. */
TEST(many_keys_stay_bounded_and_findable) {
  cache_t *c = cache_new(1000, 60);
  char key[32];
  for (int i = 0; i < 20000; i++) {
    snprintf(key, sizeof key, "t:%d", i);
    cache_put(c, key, json_integer(i), -1, 0);
    CHECK(cache_stats(c).entries <= 1000);
  }
  for (int i = 19000; i < 20000; i++) {
    snprintf(key, sizeof key, "t:%d", i);
    CHECK(int_of(c, key, 1) == i);
  }
  snprintf(key, sizeof key, "t:%d", 18999);
  CHECK(cache_get(c, key, 1, NULL) == NULL);
  cache_stats_t s = cache_stats(c);
  CHECK(s.entries == 1000 && s.evictions == 19000 && s.hits == 1000);
  cache_free(c);
}

TEST(a_cache_of_one_keeps_the_last_put) {
  cache_t *c = cache_new(0, 60); /* 0 is taken as 1 */
  cache_put(c, "t:a", json_integer(1), -1, 0);
  cache_put(c, "t:b", json_integer(2), -1, 0);
  CHECK(cache_get(c, "t:a", 0, NULL) == NULL);
  CHECK(int_of(c, "t:b", 0) == 2);
  cache_free(c);
}

RUN_TESTS(T(get_returns_what_put_stored), T(put_replaces_a_value), T(entries_expire_after_the_default_ttl),
          T(a_per_entry_ttl_overrides_the_default), T(ttl_zero_stores_nothing_and_drops_the_old_value),
          T(the_least_recently_used_entry_is_evicted), T(an_expired_oldest_entry_counts_as_expired_not_evicted),
          T(delete_drops_a_key), T(shrinking_evicts_at_once), T(many_keys_stay_bounded_and_findable),
          T(a_cache_of_one_keeps_the_last_put))
