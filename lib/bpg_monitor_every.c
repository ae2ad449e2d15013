/*
 * What the monitor's periodic sweeps share (bpg_monitor_int.h): a turn
 * every so often from taking the lead on, and batches of deletions, each
 * under a lease confirmed just before, until one comes back short.
 */
#include <stdlib.h>

#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_watch.h"

enum bpg_err
bpg_monitor_every_init(struct bpg_monitor *m, void **state,
    struct bpg_errinfo *ei)
{
	(void)m;
	if ((*state = calloc(1, sizeof(struct bpg_monitor_every))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

void
bpg_monitor_every_lead(struct bpg_monitor *m, void *state, long long now)
{
	struct bpg_monitor_every *s = state;

	(void)m;
	s->next_ms = now;	/* at once: a new leader may find a backlog */
}

long long
bpg_monitor_every_due(const struct bpg_monitor *m, const void *state)
{
	const struct bpg_monitor_every *s = state;

	(void)m;
	return s->next_ms;
}

bool
bpg_monitor_every_turn(void *state, long long period_ms)
{
	struct bpg_monitor_every *s = state;
	long long now = bpg_watch_now_ms();

	if (now < s->next_ms)
		return false;
	s->next_ms = now + period_ms;
	return true;
}

bool
bpg_monitor_batches(struct bpg_monitor *m, int max_batches, size_t batch,
    bpg_monitor_batch_fn one, void *arg, unsigned long long *total,
    struct bpg_errinfo *ei)
{
	unsigned long long n;
	int i;

	*total = 0;
	for (i = 0; i < max_batches; i++) {
		if (!bpg_monitor_confirm(m))
			return true;
		if (one(m->db, batch, arg, &n, ei) != BPG_OK)
			return false;
		*total += n;
		if (n < batch)
			break;
	}
	return true;
}
