/*
 * Long requests shared out between the worker processes: followed pod
 * logs (GET /log) and uploads (POST /s3/{name}) hold their worker for as
 * long as the client and the Kubernetes API keep them open.  Without a
 * limit a few of them from one user take every worker, and health checks
 * and submissions of everybody else wait.  So each such request first
 * takes a slot here, and is refused (429) when the whole gateway already
 * serves `total` of them, or the user `per_user`.
 *
 * The slots live in one anonymous shared mapping that the supervisor
 * makes before fork(); every worker inherits it.  A slot is one 64-bit
 * word (the holder's pid and a 32-bit hash of the user), taken and freed
 * with C11 compare-and-swap, never under a lock a dying worker could
 * hold.  A worker that dies holding one does not free it: the supervisor,
 * which reaps the pid, frees its slots (bpg_streams_reap()).
 *
 * Admission takes a slot first and counts afterwards: two workers that
 * race for the last place may both be refused, never both admitted.
 * Users whose names hash alike share their per-user budget (1 in 2^32).
 */
#ifndef BPG_STREAMS_H
#define BPG_STREAMS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bpg_err.h"

struct bpg_streams;

/*
 * nslots slots (1 to 65536), all free, in a MAP_SHARED | MAP_ANONYMOUS
 * mapping: processes forked afterwards share them.  BPG_EINVAL for another
 * count, BPG_ENOMEM if the mapping fails.  Free with bpg_streams_free().
 */
enum bpg_err bpg_streams_new_shared(unsigned int nslots,
    struct bpg_streams **out, struct bpg_errinfo *) BPG_WUR;

/* Unmap (in this process only).  NULL is a no-op. */
void bpg_streams_free(struct bpg_streams *);

/*
 * Take a slot for pid (> 0) and user (not NULL) if, with it, no more than
 * total slots are held in all and no more than per_user by user: true if
 * taken.  false if either limit is reached or every slot is in use (and
 * for pid <= 0 or a zero limit).  Never blocks.  A process holds at most
 * one slot at a time: release it before taking another.
 */
bool bpg_streams_take(struct bpg_streams *, pid_t pid, const char *user,
    unsigned int total, unsigned int per_user);

/* Free the slot pid holds, if any. */
void bpg_streams_release(struct bpg_streams *, pid_t pid);

/*
 * Free every slot of pid, a process that has died (the supervisor calls
 * this for each pid waitpid() returns); how many it held.
 */
unsigned int bpg_streams_reap(struct bpg_streams *, pid_t pid);

/* Slots held: by everyone if user is NULL, else by user. */
unsigned int bpg_streams_count(struct bpg_streams *, const char *user);

/*
 * The gateway-wide limit for workers worker processes: share (above 0, at
 * most 1) of them, rounded down, at least 1 and, with two workers or
 * more, at most workers - 1, so one worker always stays for the rest.
 */
unsigned int bpg_streams_total_for(unsigned int workers, double share);

/*
 * A low-speed limit, as libcurl's CURLOPT_LOW_SPEED_LIMIT/TIME: a
 * transfer is too slow once it has moved fewer than limit bytes a second
 * on average over time_ms.  Start it with the clock and the bytes moved
 * so far; check it with later readings: true if too slow.  Each check
 * that finds a full window moved enough starts the next window there.
 * limit 0 never trips.  Clocks in milliseconds of one monotonic clock.
 */
struct bpg_lowspeed {
	long long limit;	/* bytes a second */
	int64_t time_ms;	/* window */
	int64_t start_ms;	/* this window's start */
	long long start_bytes;	/* bytes moved at that point */
};

void bpg_lowspeed_start(struct bpg_lowspeed *, long long limit,
    int64_t time_ms, int64_t now_ms, long long bytes);
bool bpg_lowspeed_slow(struct bpg_lowspeed *, int64_t now_ms,
    long long bytes);

#endif
