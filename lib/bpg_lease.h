/*
 * The leader lease's decisions, without I/O: when to take or renew the
 * lease, and until when its holder may act.
 *
 * The lease row (bpg_db_lease.c) carries an expiry the database computes
 * from its own clock.  The holder never compares its clock with the
 * database's: it measures on its own MONOTONIC clock from just before it
 * sent the renewal, so the database's expiry is at or after
 * sent + duration.  The holder stops acting a safety margin earlier
 * (BPG_LEASE_MARGIN_DIV), which covers clock rate drift and the time a
 * fenced write takes to reach the server; the fencing token checked by
 * every leader write (bpg_db_set_fence()) refuses whatever still arrives
 * late.  All times are milliseconds of one monotonic clock passed in by
 * the caller.
 */
#ifndef BPG_LEASE_H
#define BPG_LEASE_H

#include <stdbool.h>

#include "bpg_err.h"

#define BPG_LEASE_DEFAULT_MS 15000
#define BPG_LEASE_DEFAULT_RENEW_MS 5000
#define BPG_LEASE_MIN_MS 2000
#define BPG_LEASE_MAX_MS 600000
#define BPG_LEASE_MIN_RENEW_MS 200
/* The holder stops acting duration / BPG_LEASE_MARGIN_DIV early. */
#define BPG_LEASE_MARGIN_DIV 5
/* After a failed renewal, try again this soon (or at the renewal time). */
#define BPG_LEASE_RETRY_MS 500

struct bpg_lease {
	long long duration_ms, renew_ms, margin_ms;
	bool held;
	long long token; /* of the last grant; 0: never held */
	long long deadline_ms; /* held: act only before this */
	long long next_ms; /* the next take or renewal */
};

/*
 * Check a lease of duration_ms renewed every renew_ms: duration from
 * BPG_LEASE_MIN_MS to BPG_LEASE_MAX_MS, renewal at least
 * BPG_LEASE_MIN_RENEW_MS and at most half of what the holder may act
 * (duration minus the margin), so that one failed renewal still leaves
 * time for another.  BPG_EINVAL with ei saying why.
 */
enum bpg_err bpg_lease_check(long long duration_ms, long long renew_ms,
    struct bpg_errinfo *ei) BPG_WUR;

/* Not held; the first take is due at now.  Values as checked above. */
void bpg_lease_init(struct bpg_lease *, long long duration_ms,
    long long renew_ms, long long now);

/* Whether a take (not held) or a renewal (held) is due at now. */
bool bpg_lease_due(const struct bpg_lease *, long long now);

/*
 * The database granted (took or renewed) the lease with token to a
 * request sent at sent (read before sending).  Held until
 * sent + duration - margin; the next renewal at sent + renew.
 */
void bpg_lease_granted(struct bpg_lease *, long long sent, long long token);

/*
 * The database said another holder has it (or it could not be taken):
 * not held from now; the next try at now + renew.
 */
void bpg_lease_refused(struct bpg_lease *, long long now);

/*
 * The request could not be answered (database unreachable).  A holder
 * keeps its deadline and tries again after BPG_LEASE_RETRY_MS; a
 * standby after the renewal interval.
 */
void bpg_lease_failed(struct bpg_lease *, long long now);

/* Whether the holder may act at now: held and now before the deadline. */
bool bpg_lease_valid(const struct bpg_lease *, long long now);

/* Give it up (released or stepped down): not held, next try at now. */
void bpg_lease_drop(struct bpg_lease *, long long now);

#endif
