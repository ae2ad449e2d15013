/*
 * The monitor's sweep of expired idempotency keys (bpg_monitor_int.h,
 * bpg_idem.h).  Correctness never waits for it: a gateway treats a row
 * past its expiry as absent.  The sweep only keeps the table small,
 * deleting in batches by the expiry index so that no statement holds
 * many locks, and confirming the leader lease before each batch.
 */
#include <stdlib.h>

#include "bpg_db.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_watch.h"

struct idem_sweep {
	long long next_ms;
};

/* One turn: batches until one is not full or the turn's cap is reached. */
static void
idem_sweep(struct bpg_monitor *m)
{
	struct bpg_errinfo ei = { "" };
	unsigned long long n, total = 0;
	int i;

	for (i = 0; i < BPG_MONITOR_IDEM_BATCHES; i++) {
		if (!bpg_monitor_confirm(m))
			return;
		if (bpg_db_idem_sweep(m->db, BPG_MONITOR_IDEM_BATCH, &n,
		    &ei) != BPG_OK) {
			bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "idempotency "
			    "keys: sweep failed: %s", ei.msg);
			break;
		}
		total += n;
		if (n < BPG_MONITOR_IDEM_BATCH)
			break;
	}
	if (total > 0)
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "idempotency keys: "
		    "%llu expired deleted", total);
}

static void
idem_lead(struct bpg_monitor *m, void *state, long long now)
{
	struct idem_sweep *s = state;

	s->next_ms = now;	/* at once: a new leader may find a backlog */
}

static void
idem_step(struct bpg_monitor *m, void *state)
{
	struct idem_sweep *s = state;
	long long now = bpg_watch_now_ms();

	if (now < s->next_ms)
		return;
	s->next_ms = now + BPG_MONITOR_IDEM_SWEEP_MS;
	idem_sweep(m);
}

static long long
idem_due(const struct bpg_monitor *m, const void *state)
{
	const struct idem_sweep *s = state;

	return s->next_ms;
}

static enum bpg_err
idem_init(struct bpg_monitor *m, void **state, struct bpg_errinfo *ei)
{
	if ((*state = calloc(1, sizeof(struct idem_sweep))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

const struct bpg_monitor_task bpg_monitor_task_idem = {
	.name = "idempotency keys",
	.init = idem_init,
	.lead = idem_lead,
	.step = idem_step,
	.due = idem_due,
	.free = free,
};
