/*
 * The monitor's reachability task (bpg_monitor_int.h): a cluster whose
 * namespace cannot be listed or watched for clusterCooldownMillis, the
 * time the gateway's circuit breaker skips a failing cluster, is logged
 * once as unreachable, and once as reachable again when a list
 * succeeds; each such episode is counted (bpg_monitor_unreachable()).
 * The monitor does not route: this only tells.
 *
 * The reconcile task reports each list's outcome and each watch it
 * cannot start (bpg_monitor_reach_failed(), bpg_monitor_reach_ok()); a
 * broken watch is followed by a list, whose outcome counts.
 */
#include <limits.h>

#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_watch.h"

static long long
cooldown_ms(const struct bpg_monitor *m)
{
	return m->o.cfg->cluster_cooldown_millis;
}

void
bpg_monitor_reach_failed(struct bpg_monitor_target *t, const char *why)
{
	if (t->down_since_ms == 0) {
		/* 0 means reachable: a clock at 0 counts from 1. */
		t->down_since_ms = bpg_watch_now_ms();
		if (t->down_since_ms == 0)
			t->down_since_ms = 1;
	}
	bpg_monitor_take(t->down_why, sizeof(t->down_why),
	    why != NULL ? why : "");
}

void
bpg_monitor_reach_ok(struct bpg_monitor_target *t)
{
	if (t->down_since_ms != 0 && t->down_logged)
		bpg_monitor_log(t->m, BPG_MONITOR_LOG_INFO, "cluster %s "
		    "reachable again after %lld ms", t->cluster->id,
		    bpg_watch_now_ms() - t->down_since_ms);
	t->down_since_ms = 0;
	t->down_logged = false;
}

static void
reach_step(struct bpg_monitor *m, void *state)
{
	struct bpg_monitor_target *t;
	long long now = bpg_watch_now_ms();
	size_t i;

	(void)state;
	for (i = 0; i < m->nt; i++) {
		t = &m->t[i];
		if (t->down_since_ms == 0 || t->down_logged ||
		    now - t->down_since_ms < cooldown_ms(m))
			continue;
		t->down_logged = true;
		m->unreachable_episodes++;
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "cluster %s "
		    "unreachable for %lld ms: %s", t->cluster->id,
		    now - t->down_since_ms, t->down_why);
	}
}

static long long
reach_due(const struct bpg_monitor *m, const void *state)
{
	const struct bpg_monitor_target *t;
	long long due = LLONG_MAX;
	size_t i;

	(void)state;
	for (i = 0; i < m->nt; i++) {
		t = &m->t[i];
		if (t->down_since_ms != 0 && !t->down_logged &&
		    t->down_since_ms + cooldown_ms(m) < due)
			due = t->down_since_ms + cooldown_ms(m);
	}
	return due;
}

/* Not watching any more: nothing is known either way. */
static void
reach_standby(struct bpg_monitor *m, void *state)
{
	size_t i;

	(void)state;
	for (i = 0; i < m->nt; i++) {
		m->t[i].down_since_ms = 0;
		m->t[i].down_logged = false;
	}
}

unsigned long
bpg_monitor_unreachable(const struct bpg_monitor *m, size_t *now_down)
{
	size_t i, n = 0;

	for (i = 0; i < m->nt; i++)
		n += m->t[i].down_logged;
	if (now_down != NULL)
		*now_down = n;
	return m->unreachable_episodes;
}

const struct bpg_monitor_task bpg_monitor_task_reach = {
	.name = "reach",
	.step = reach_step,
	.due = reach_due,
	.standby = reach_standby,
};
