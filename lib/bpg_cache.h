/*
 * A small time-bounded cache from strings to JSON values, one per worker
 * process: the status cache of bpg-reference section 4.1.
 *
 * An entry lives ttl_ms after it was written (reading it does not extend
 * its life), like BPG's expireAfterWrite cache.  Unlike BPG's, the cache
 * is bounded (quirk 30): when it is full, the entry written longest ago
 * makes room.  Expired entries are dropped lazily, on the lookups and
 * writes that meet them.
 *
 * Time is passed in by the caller (milliseconds of any monotonic clock),
 * so that tests can drive the cache with a fake clock.  Not thread-safe.
 */
#ifndef BPG_CACHE_H
#define BPG_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_err.h"

struct bpg_cache;

/*
 * A cache of at most max_entries (at least 1) whose entries live ttl_ms
 * (0 or less: nothing is ever found).  BPG_EINVAL for max_entries 0,
 * BPG_ENOMEM.  Free with bpg_cache_free().
 */
enum bpg_err bpg_cache_new(size_t max_entries, int64_t ttl_ms,
    struct bpg_cache **out) BPG_WUR;

/* NULL is a no-op. */
void bpg_cache_free(struct bpg_cache *);

/*
 * The value stored under key if it was written less than ttl_ms before
 * now_ms, as a new reference the caller releases; NULL otherwise (an
 * expired entry is removed).
 */
json_t *bpg_cache_get(struct bpg_cache *, const char *key, int64_t now_ms);

/*
 * Store value (a reference is taken: the caller keeps its own) under key,
 * written at now_ms, replacing any entry of that key.  BPG_ENOMEM leaves
 * the cache as it was.
 */
enum bpg_err bpg_cache_put(struct bpg_cache *, const char *key,
    json_t *value, int64_t now_ms) BPG_WUR;

/* Forget key, if present. */
void bpg_cache_remove(struct bpg_cache *, const char *key);

/* Entries held, expired ones not yet dropped included. */
size_t bpg_cache_size(const struct bpg_cache *);

#endif
