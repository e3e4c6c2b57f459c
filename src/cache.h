/* cache.h: a bounded key-value store with a lifetime per entry (TTL) and least-recently-used
 * eviction, for the cloud bridges' lookups (cluster details, region of a cluster, kubeconfigs).
 * Values are jansson values owned by the cache; keys are strings that the caller namespaces
 * ("cs:region:<cluster>:<credential identity>"). get, put, delete and eviction are O(1): a
 * hash table for lookup and a doubly-linked list in recency order.
 *
 * Time is passed in (seconds on any monotonic clock) so tests control it. Expired entries
 * are dropped when touched, or first when room is needed. Single-threaded: the event loop's. */
#ifndef ACK_CACHE_H
#define ACK_CACHE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cache cache_t;

typedef struct cache_stats {
  size_t entries;
  size_t max_entries;
  double default_ttl;
  uint64_t hits, misses;
  uint64_t evictions;   /* live entries pushed out to make room */
  uint64_t expirations; /* entries dropped because their lifetime ended */
} cache_stats_t;

/* A cache of at most max_entries (>= 1) whose entries live default_ttl seconds unless put
 * says otherwise. */
cache_t *cache_new(size_t max_entries, double default_ttl);
void cache_free(cache_t *c);
/* Changes the bounds; shrinking evicts least-recently-used entries at once. */
void cache_configure(cache_t *c, size_t max_entries, double default_ttl, double now);
/* The live value of key (borrowed: valid until the next put/delete/configure of the cache),
 * marked most recently used, or NULL (a miss; an expired entry is dropped). ttl_left, when
 * not NULL, gets the seconds the entry has left. Counts a hit or a miss. */
json_t *cache_get(cache_t *c, const char *key, double now, double *ttl_left);
/* Stores value (stolen) under key for ttl seconds (ttl < 0: the default TTL). ttl == 0
 * stores nothing and drops any previous value: "do not cache this". Evicts the least
 * recently used entry when full (expired ones first if the oldest is expired). */
void cache_put(cache_t *c, const char *key, json_t *value, double ttl, double now);
/* Drops key. Returns whether it was there. */
int cache_delete(cache_t *c, const char *key);
cache_stats_t cache_stats(const cache_t *c);

#endif
