/*
 * The leader lease's decisions (bpg_lease.h).  Pure: the caller reads the
 * clock and talks to the database.
 */
#include <stdbool.h>

#include "bpg_lease.h"

static long long
margin_of(long long duration_ms)
{
	return duration_ms / BPG_LEASE_MARGIN_DIV;
}

enum bpg_err
bpg_lease_check(long long duration_ms, long long renew_ms,
    struct bpg_errinfo *ei)
{
	long long act;

	if (duration_ms < BPG_LEASE_MIN_MS || duration_ms > BPG_LEASE_MAX_MS)
		return bpg_errf(ei, BPG_EINVAL, "lease of %lld ms: not from "
		    "%d to %d ms", duration_ms, BPG_LEASE_MIN_MS,
		    BPG_LEASE_MAX_MS);
	act = duration_ms - margin_of(duration_ms);
	if (renew_ms < BPG_LEASE_MIN_RENEW_MS || renew_ms * 2 > act)
		return bpg_errf(ei, BPG_EINVAL, "lease renewal every %lld ms: "
		    "not from %d ms to half of %lld ms (the lease less its "
		    "safety margin)", renew_ms, BPG_LEASE_MIN_RENEW_MS, act);
	return BPG_OK;
}

void
bpg_lease_init(struct bpg_lease *l, long long duration_ms, long long renew_ms,
    long long now)
{
	l->duration_ms = duration_ms;
	l->renew_ms = renew_ms;
	l->margin_ms = margin_of(duration_ms);
	l->held = false;
	l->token = 0;
	l->deadline_ms = now;
	l->next_ms = now;
}

bool
bpg_lease_due(const struct bpg_lease *l, long long now)
{
	return now >= l->next_ms;
}

void
bpg_lease_granted(struct bpg_lease *l, long long sent, long long token)
{
	l->held = true;
	l->token = token;
	l->deadline_ms = sent + l->duration_ms - l->margin_ms;
	l->next_ms = sent + l->renew_ms;
}

void
bpg_lease_refused(struct bpg_lease *l, long long now)
{
	l->held = false;
	l->deadline_ms = now;
	l->next_ms = now + l->renew_ms;
}

void
bpg_lease_failed(struct bpg_lease *l, long long now)
{
	long long next;

	if (!l->held) {
		l->next_ms = now + l->renew_ms;
		return;
	}
	next = now + BPG_LEASE_RETRY_MS;
	/* A holder tries at least once more before its deadline. */
	if (next >= l->deadline_ms && now < l->deadline_ms)
		next = now + (l->deadline_ms - now) / 2;
	l->next_ms = next;
}

bool
bpg_lease_valid(const struct bpg_lease *l, long long now)
{
	return l->held && now < l->deadline_ms;
}

void
bpg_lease_drop(struct bpg_lease *l, long long now)
{
	l->held = false;
	l->deadline_ms = now;
	l->next_ms = now;
}
