/*
 * The monitor's sweep of expired idempotency keys (bpg_monitor_int.h,
 * bpg_idem.h).  Correctness never waits for it: a gateway treats a row
 * past its expiry as absent.  The sweep only keeps the table small,
 * deleting in batches by the expiry index so that no statement holds
 * many locks, and confirming the leader lease before each batch
 * (bpg_monitor_batches()).
 */
#include <stdlib.h>

#include "bpg_db.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"

static enum bpg_err
idem_batch(struct bpg_db *db, size_t batch, void *arg,
    unsigned long long *n, struct bpg_errinfo *ei)
{
	(void)arg;
	return bpg_db_idem_sweep(db, (unsigned int)batch, n, ei);
}

static void
idem_step(struct bpg_monitor *m, void *state)
{
	struct bpg_errinfo ei = { "" };
	unsigned long long total;

	if (!bpg_monitor_every_turn(state, BPG_MONITOR_IDEM_SWEEP_MS))
		return;
	if (!bpg_monitor_batches(m, BPG_MONITOR_IDEM_BATCHES,
	    BPG_MONITOR_IDEM_BATCH, idem_batch, NULL, &total, &ei))
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "idempotency "
		    "keys: sweep failed: %s", ei.msg);
	if (total > 0)
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "idempotency keys: "
		    "%llu expired deleted", total);
}

const struct bpg_monitor_task bpg_monitor_task_idem = {
	.name = "idempotency keys",
	.init = bpg_monitor_every_init,
	.lead = bpg_monitor_every_lead,
	.step = idem_step,
	.due = bpg_monitor_every_due,
	.free = free,
};
