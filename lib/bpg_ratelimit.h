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
 *
 * Keyed cells (the submission limits, bpg_submitlimit.h): a bounded table
 * of BPG_RATELIMIT_CELLS cells in the same mapping, one per (kind, name),
 * each a GCRA state whose rate and burst the caller gives on every try
 * (so a reloaded config applies at once, to the state kept).  A cell
 * whose bucket is full again (idle for burst / rate seconds) is free for
 * another key.  When every cell a key may use (BPG_RATELIMIT_PROBE of
 * them) belongs to a key that is not idle, the key draws from one
 * overflow cell of its kind, shared by every key in that plight: it is
 * limited together with them, more strictly, never unlimited, until a
 * cell becomes idle.  Cells are told apart by a 64-bit hash of the key.
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

/* Cells: enough for every user and queue active within a burst. */
#define BPG_RATELIMIT_CELLS 4096
#define BPG_RATELIMIT_PROBE 32

/* The kinds of keyed cells: a user and a queue of the same name differ. */
enum bpg_ratelimit_kind {
	BPG_RATELIMIT_USER,
	BPG_RATELIMIT_QUEUE,
	BPG_RATELIMIT_KIND__MAX
};

/* Rate in tokens per second (above 0, at most 1000000; below 0.001 it
 * is 0.001), burst from 1 to 1000000. */
struct bpg_ratelimit_rate {
	double rate;
	int64_t burst;
};

/*
 * Take one token from the cell of (kind, key) at time now_ns, at rate r:
 * true if there was one.  Otherwise false, and *wait_ns (if not NULL)
 * gets how long until there is one.  key is a NUL-terminated string of
 * any length; a rate out of range, a bad kind or a NULL key is never
 * allowed (*wait_ns 0).  Never blocks.  Two processes that take the first
 * token of a new key at the same moment may each get a cell for it: the
 * key then has one token more, once.  A take that races with the reuse
 * of an idle cell may count against the cell's new key: one token, once.
 */
bool bpg_ratelimit_try_key(struct bpg_ratelimit *,
    enum bpg_ratelimit_kind kind, const char *key,
    const struct bpg_ratelimit_rate *r, int64_t now_ns, int64_t *wait_ns);

/*
 * Give back a token bpg_ratelimit_try_key() took from (kind, key) at rate
 * r, when what it was taken for did not happen after all (another limit
 * refused it): to its cell, or to the overflow cell of its kind when it
 * has none.
 */
void bpg_ratelimit_refund_key(struct bpg_ratelimit *,
    enum bpg_ratelimit_kind kind, const char *key,
    const struct bpg_ratelimit_rate *r);

/* CLOCK_MONOTONIC in nanoseconds: one clock for all processes. */
int64_t bpg_ratelimit_now(void);

#endif
