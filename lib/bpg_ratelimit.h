/*
 * Token buckets shared by every worker process: the list endpoints' rate
 * limits (bpg-reference sections 1.7 and 1.10, quirk 36: one bucket per
 * endpoint, shared by all users).  BPG runs one JVM, so its limit holds
 * for the whole server; a pre-forked gateway keeps that meaning only if
 * its workers draw from the same buckets.  So the buckets live in one
 * anonymous shared mapping that the supervisor makes before fork() and
 * every worker inherits; they are updated with C11 atomics (lock-free
 * 64-bit compare-and-swap), never with locks a dying worker could hold.
 *
 * Each bucket is a generic cell rate algorithm (GCRA): a bucket of
 * `burst` tokens refilled at `rate` per second, tried without waiting.
 */
#ifndef BPG_RATELIMIT_H
#define BPG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "bpg_err.h"

/* BPG's limits: RateLimiter.create(20), tryAcquire(). */
#define BPG_RATELIMIT_RATE 20
#define BPG_RATELIMIT_BURST 20

enum bpg_ratelimit_bucket {
	BPG_RATELIMIT_MY_SUBMISSIONS,	/* GET /spark/mySubmissions */
	BPG_RATELIMIT_SUBMISSIONS,	/* GET /admin/submissions */
	BPG_RATELIMIT__MAX
};

struct bpg_ratelimit;

/*
 * Buckets (all full) of burst tokens refilled at rate per second, in a
 * MAP_SHARED | MAP_ANONYMOUS mapping: processes forked afterwards share
 * them.  rate and burst from 1 to 1000000.  BPG_EINVAL for other values,
 * BPG_ENOMEM if the mapping fails.  Free with bpg_ratelimit_free().
 */
enum bpg_err bpg_ratelimit_new_shared(unsigned int rate, unsigned int burst,
    struct bpg_ratelimit **out, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Unmap (in this process only; forked processes keep their mapping).
 * NULL is a no-op.
 */
void bpg_ratelimit_free(struct bpg_ratelimit *);

/*
 * Take one token from bucket b at time now_ns (nanoseconds of
 * bpg_ratelimit_now() or of a test's fake clock): true if there was one.
 * Never blocks.  An out-of-range bucket is never allowed.
 */
bool bpg_ratelimit_try(struct bpg_ratelimit *, enum bpg_ratelimit_bucket b,
    int64_t now_ns);

/* CLOCK_MONOTONIC in nanoseconds: one clock for all processes. */
int64_t bpg_ratelimit_now(void);

#endif
