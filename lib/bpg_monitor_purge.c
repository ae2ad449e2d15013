/*
 * The monitor's purge of old notifications (bpg_monitor_int.h,
 * bpg_db_notify_purge()): events sent or given up on more than
 * notificationRetentionDays ago, and the record of their attempts, go,
 * so that the outbox and the delivery log do not grow for ever.  Nothing
 * waits for it.  Hourly from taking the lead on, in batches, each under a
 * lease confirmed just before (bpg_monitor_batches()).
 */
#include <stdlib.h>

#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_db_notify.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"

static enum bpg_err
purge_batch(struct bpg_db *db, size_t batch, void *arg,
    unsigned long long *n, struct bpg_errinfo *ei)
{
	return bpg_db_notify_purge(db, *(const long long *)arg, batch, n, ei);
}

static void
purge_step(struct bpg_monitor *m, void *state)
{
	struct bpg_errinfo ei = { "" };
	long long days = m->o.cfg->notification_retention_days;
	long long before = bpg_monitor_wall_ms() - days * 86400000LL;
	unsigned long long total;

	if (!bpg_monitor_every_turn(state, BPG_MONITOR_PURGE_MS))
		return;
	if (!bpg_monitor_batches(m, BPG_MONITOR_PURGE_BATCHES,
	    BPG_MONITOR_PURGE_BATCH, purge_batch, &before, &total, &ei))
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "notifications: "
		    "purge failed: %s", ei.msg);
	if (total > 0)
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "notifications: %llu "
		    "older than %lld days deleted", total, days);
}

const struct bpg_monitor_task bpg_monitor_task_purge = {
	.name = "notification purge",
	.init = bpg_monitor_every_init,
	.lead = bpg_monitor_every_lead,
	.step = purge_step,
	.due = bpg_monitor_every_due,
	.free = free,
};
