/*
 * The monitor's application gauges (bpg_monitor_int.h, bpg_metrics.h):
 * bpg_monitor_applications{cluster,state}, what the leader's tables of
 * the apps it lists and watches hold, recounted at most once a second.
 * Every (cluster, state) pair is set, zeros too, so a state that emptied
 * shows 0 rather than its last count; states outside the fixed set below
 * count as "other", so the label set stays bounded.  A monitor that steps
 * down sets them all to 0: it sees nothing any more.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_metrics.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_watch.h"

#define RECOUNT_MS 1000

/* The Spark operator's application states, BPG's LOST, then "other". */
static const char *const states[] = { "SUBMITTED", "RUNNING", "SUCCEEDING",
	"FAILING", "COMPLETED", "FAILED", "SUBMISSION_FAILED", "PENDING_RERUN",
	"INVALIDATING", "UNKNOWN", "LOST", "other" };
#define NSTATES (sizeof(states) / sizeof(states[0]))

struct app_gauges {
	long long next_ms;
	int64_t *count;		/* per target and state */
};

static size_t
state_index(const struct bpg_monitor_known *k)
{
	size_t i;

	for (i = 0; k->has_status && i < NSTATES - 1; i++)
		if (strcmp(k->status, states[i]) == 0)
			return i;
	return NSTATES - 1;
}

/*
 * Set the gauges from count (NULL: all 0).  Targets of one cluster id
 * (its namespaces) add up; each id is set once, at its first target.
 */
static void
publish(struct bpg_monitor *m, const int64_t *count)
{
	const char *id;
	int64_t sum;
	size_t i, j, s;

	for (i = 0; i < m->nt; i++) {
		id = m->t[i].cluster->id;
		for (j = 0; j < i; j++)
			if (strcmp(m->t[j].cluster->id, id) == 0)
				break;
		if (j < i)
			continue;
		for (s = 0; s < NSTATES; s++) {
			sum = 0;
			for (j = i; count != NULL && j < m->nt; j++)
				if (strcmp(m->t[j].cluster->id, id) == 0)
					sum += count[j * NSTATES + s];
			bpg_metrics_set(m->o.metrics, BPG_METRIC_MON_APPS,
			    BPG_LV(id, states[s]), sum);
		}
	}
}

static void
gauges_step(struct bpg_monitor *m, void *state)
{
	struct app_gauges *g = state;
	const struct bpg_monitor_table *tab;
	const struct bpg_monitor_entry *e;
	long long now = bpg_watch_now_ms();
	size_t i, b;

	if (m->o.metrics == NULL || now < g->next_ms)
		return;
	g->next_ms = now + RECOUNT_MS;
	memset(g->count, 0, m->nt * NSTATES * sizeof(*g->count));
	for (i = 0; i < m->nt; i++) {
		tab = &m->t[i].apps;
		for (b = 0; b < tab->nb; b++)
			for (e = tab->b[b]; e != NULL; e = e->next)
				g->count[i * NSTATES + state_index(&e->k)]++;
	}
	publish(m, g->count);
}

static long long
gauges_due(const struct bpg_monitor *m, const void *state)
{
	const struct app_gauges *g = state;

	return m->o.metrics == NULL ? LLONG_MAX : g->next_ms;
}

static void
gauges_standby(struct bpg_monitor *m, void *state)
{
	struct app_gauges *g = state;

	g->next_ms = 0;
	if (m->o.metrics != NULL)
		publish(m, NULL);
}

static enum bpg_err
gauges_init(struct bpg_monitor *m, void **state, struct bpg_errinfo *ei)
{
	struct app_gauges *g;

	if ((g = calloc(1, sizeof(*g))) == NULL ||
	    (g->count = calloc(m->nt > 0 ? m->nt * NSTATES : 1,
	    sizeof(*g->count))) == NULL) {
		free(g);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	*state = g;
	return BPG_OK;
}

static void
gauges_free(void *state)
{
	struct app_gauges *g = state;

	if (g != NULL)
		free(g->count);
	free(g);
}

const struct bpg_monitor_task bpg_monitor_task_gauges = {
	.name = "gauges",
	.init = gauges_init,
	.step = gauges_step,
	.due = gauges_due,
	.standby = gauges_standby,
	.free = gauges_free,
};
