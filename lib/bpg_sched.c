/* A schedule's turn at a given time (bpg_sched.h). */
#include <string.h>

#include "bpg_sched.h"

/* Fire times read per call of bpg_cron_list(). */
#define CHUNK 64

/*
 * The fire times in [next_fire, now]: how many (at most
 * BPG_SCHED_MAX_COUNT; *more when there are more).
 */
static enum bpg_err
count_due(const struct bpg_cron *c, int64_t anchor, int64_t next_fire,
    int64_t now, size_t *n, bool *more, struct bpg_errinfo *ei)
{
	time_t out[CHUNK];
	int64_t a = next_fire;
	size_t k;
	enum bpg_err e;

	*n = 1;
	*more = true;
	while (*more && a < now) {
		if (*n >= BPG_SCHED_MAX_COUNT) {
			*n = BPG_SCHED_MAX_COUNT;
			return BPG_OK;
		}
		if ((e = bpg_cron_list(c, (time_t)anchor, (time_t)a,
		    (time_t)now, out, CHUNK, &k, more)) != BPG_OK)
			return e;
		if (k == 0)
			break;
		*n += k;
		a = out[k - 1];
	}
	*more = false;
	return BPG_OK;
}

/*
 * The latest fire time in [next_fire, now]: the last of (now - w, now]
 * for windows w growing up to the longest gap between two fire times
 * (BPG_CRON_SEARCH_YEARS), next_fire when none is later.
 */
static enum bpg_err
latest_due(const struct bpg_cron *c, int64_t anchor, int64_t next_fire,
    int64_t now, int64_t *latest, struct bpg_errinfo *ei)
{
	static const int64_t windows[] = { 3600, 86400 * 8, 86400 * 400,
	    86400LL * 366 * BPG_CRON_SEARCH_YEARS };
	time_t out[CHUNK];
	int64_t a;
	size_t i, k;
	bool more;
	enum bpg_err e;

	*latest = next_fire;
	for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		a = now - windows[i];
		if (a < next_fire)
			a = next_fire;
		if (a < 0)
			a = 0;
		do {
			if ((e = bpg_cron_list(c, (time_t)anchor, (time_t)a,
			    (time_t)now, out, CHUNK, &k, &more)) != BPG_OK)
				return e;
			if (k > 0) {
				a = out[k - 1];
				*latest = a;
			}
		} while (more && k > 0);
		if (*latest > next_fire || a <= next_fire)
			return BPG_OK;
	}
	return BPG_OK;
}

enum bpg_err
bpg_sched_plan(const struct bpg_cron *c, int64_t anchor, int64_t next_fire,
    int64_t deadline_s, int64_t now, struct bpg_sched_plan *p,
    struct bpg_errinfo *ei)
{
	int64_t latest;
	size_t n;
	bool more;
	time_t next;
	enum bpg_err e;

	memset(p, 0, sizeof(*p));
	p->fire = p->next = p->first_missed = -1;
	if (now < 0 || now > BPG_CRON_TIME_MAX || anchor < 0 ||
	    anchor > BPG_CRON_TIME_MAX)
		return bpg_errf(ei, BPG_EINVAL, "schedule: time out of range");
	if (next_fire < 0 || next_fire > now) {
		p->next = next_fire;
		return BPG_OK;
	}
	if ((e = latest_due(c, anchor, next_fire, now, &latest, ei)) !=
	    BPG_OK ||
	    (e = count_due(c, anchor, next_fire, now, &n, &more, ei)) !=
	    BPG_OK)
		return e;
	if (deadline_s < 0 || latest >= now - deadline_s)
		p->fire = latest;
	p->missed = p->fire >= 0 ? n - 1 : n;
	p->missed_more = more;
	if (p->missed > 0 || more)
		p->first_missed = next_fire;
	if ((e = bpg_cron_next(c, (time_t)anchor, (time_t)now,
	    &next)) == BPG_OK)
		p->next = next;
	else if (e != BPG_ENOTFOUND)
		return e;
	return BPG_OK;
}
