/* cache.c: TTL + LRU store (see cache.h). Chained hash table that doubles as it fills; the
 * recency list runs from head (most recent) to tail (next to evict). */
#include "cache.h"

#include "ack.h"

#include <stdlib.h>
#include <string.h>

typedef struct entry entry_t;
struct entry {
  char *key;
  uint64_t hash;
  json_t *value;
  double expires;
  entry_t *chain;        /* next in the bucket */
  entry_t *prev, *next;  /* recency list */
};

struct cache {
  entry_t **buckets;
  size_t nbuckets;       /* a power of two */
  size_t count;
  size_t max_entries;
  double default_ttl;
  uint64_t seed;
  entry_t *head, *tail;
  uint64_t hits, misses, evictions, expirations;
};

#define MIN_BUCKETS 16

/* FNV-1a, seeded per cache: keys are built by tools from validated ids, so flooding is not
 * a concern worth a keyed hash, but the seed keeps bucket order from being predictable. */
static uint64_t hash_key(const cache_t *c, const char *key) {
  uint64_t h = 1469598103934665603ULL ^ c->seed;
  for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
    h ^= *p;
    h *= 1099511628211ULL;
  }
  return h;
}

cache_t *cache_new(size_t max_entries, double default_ttl) {
  cache_t *c = ack_xcalloc(1, sizeof *c);
  c->nbuckets = MIN_BUCKETS;
  c->buckets = ack_xcalloc(c->nbuckets, sizeof *c->buckets);
  c->max_entries = max_entries ? max_entries : 1;
  c->default_ttl = default_ttl;
  c->seed = (uint64_t)(uintptr_t)c * 0x9e3779b97f4a7c15ULL;
  return c;
}

static void list_unlink(cache_t *c, entry_t *e) {
  if (e->prev) e->prev->next = e->next;
  else c->head = e->next;
  if (e->next) e->next->prev = e->prev;
  else c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void list_push_front(cache_t *c, entry_t *e) {
  e->prev = NULL;
  e->next = c->head;
  if (c->head) c->head->prev = e;
  c->head = e;
  if (!c->tail) c->tail = e;
}

static entry_t **find_slot(const cache_t *c, const char *key, uint64_t hash) {
  entry_t **pp = &c->buckets[hash & (c->nbuckets - 1)];
  while (*pp && ((*pp)->hash != hash || strcmp((*pp)->key, key) != 0)) pp = &(*pp)->chain;
  return pp;
}

static void entry_free(entry_t *e) {
  json_decref(e->value);
  free(e->key);
  free(e);
}

/* Unlinks e from its bucket and the list and frees it. */
static void drop(cache_t *c, entry_t *e) {
  entry_t **pp = find_slot(c, e->key, e->hash);
  *pp = e->chain;
  list_unlink(c, e);
  c->count--;
  entry_free(e);
}

static void evict_tail(cache_t *c, double now) {
  entry_t *victim = c->tail;
  if (victim->expires <= now) c->expirations++;
  else c->evictions++;
  drop(c, victim);
}

static void grow(cache_t *c) {
  size_t n = c->nbuckets * 2;
  entry_t **b = ack_xcalloc(n, sizeof *b);
  for (size_t i = 0; i < c->nbuckets; i++) {
    entry_t *e = c->buckets[i];
    while (e) {
      entry_t *next = e->chain;
      entry_t **slot = &b[e->hash & (n - 1)];
      e->chain = *slot;
      *slot = e;
      e = next;
    }
  }
  free(c->buckets);
  c->buckets = b;
  c->nbuckets = n;
}

void cache_free(cache_t *c) {
  if (!c) return;
  entry_t *e = c->head;
  while (e) {
    entry_t *next = e->next;
    entry_free(e);
    e = next;
  }
  free(c->buckets);
  free(c);
}

void cache_configure(cache_t *c, size_t max_entries, double default_ttl, double now) {
  c->max_entries = max_entries ? max_entries : 1;
  c->default_ttl = default_ttl;
  while (c->count > c->max_entries) evict_tail(c, now);
}

json_t *cache_get(cache_t *c, const char *key, double now, double *ttl_left) {
  entry_t *e = *find_slot(c, key, hash_key(c, key));
  if (e && e->expires <= now) {
    c->expirations++;
    drop(c, e);
    e = NULL;
  }
  if (!e) {
    c->misses++;
    return NULL;
  }
  c->hits++;
  list_unlink(c, e);
  list_push_front(c, e);
  if (ttl_left) *ttl_left = e->expires - now;
  return e->value;
}

void cache_put(cache_t *c, const char *key, json_t *value, double ttl, double now) {
  if (ttl < 0) ttl = c->default_ttl;
  uint64_t hash = hash_key(c, key);
  entry_t **pp = find_slot(c, key, hash);
  if (*pp) drop(c, *pp);
  if (!value || !(ttl > 0)) {
    json_decref(value);
    return;
  }
  while (c->count >= c->max_entries) evict_tail(c, now);
  if (c->count >= c->nbuckets) grow(c);
  entry_t *e = ack_xcalloc(1, sizeof *e);
  e->key = ack_strdup(key);
  e->hash = hash;
  e->value = value;
  e->expires = now + ttl;
  pp = &c->buckets[hash & (c->nbuckets - 1)];
  e->chain = *pp;
  *pp = e;
  list_push_front(c, e);
  c->count++;
}

int cache_delete(cache_t *c, const char *key) {
  entry_t *e = *find_slot(c, key, hash_key(c, key));
  if (!e) return 0;
  drop(c, e);
  return 1;
}

cache_stats_t cache_stats(const cache_t *c) {
  return (cache_stats_t){ .entries = c->count, .max_entries = c->max_entries, .default_ttl = c->default_ttl,
                          .hits = c->hits, .misses = c->misses, .evictions = c->evictions,
                          .expirations = c->expirations };
}
