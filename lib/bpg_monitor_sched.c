/*
 * The monitor's schedule task (bpg_monitor_int.h): the leader fires due
 * schedules (bpg_db_schedules.h) as their owners.
 *
 * Each turn, as the leader (bpg_monitor_confirm() before each write):
 *   1. Fires recorded pending (a leader that died mid-fire, or a create
 *      that failed for a while) are finished with the ID they hold: the
 *      row, then the CR named by that ID.  Never a second ID.
 *   2. Schedules whose stored next fire time is due (the indexed due
 *      query) get their plan (bpg_sched_plan(): missed fire times are
 *      logged and skipped, only the latest within the deadline is made).
 *      The request goes through POST /spark's checks and routing
 *      (bpg_req_parse(), bpg_route_submission()) as the owner; Forbid
 *      skips the fire while the schedule's previous submission is
 *      unfinished, Replace deletes that submission's CR first.  The fire
 *      row with the chosen submission ID is inserted BEFORE the CR is
 *      created: its key (schedule, fire time) lets one writer only make
 *      that fire; a writer that loses finishes nothing new.  Then the
 *      schedule's next fire time moves on, only from the value read (a
 *      conditional update), so a fire time is planned once.
 * The CR carries label bpg/schedule-id.  The clock is the monitor's
 * (bpg_monitor_opts.clock_ms, the wall clock by default).
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "bpg_crd.h"
#include "bpg_cron.h"
#include "bpg_db.h"
#include "bpg_db_schedules.h"
#include "bpg_json.h"
#include "bpg_kube.h"
#include "bpg_metrics.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_monitor_submit.h"
#include "bpg_req.h"
#include "bpg_route.h"
#include "bpg_sched.h"
#include "bpg_watch.h"
#include "bpg_zones.h"

/* How often the due query runs (ms), and how many rows a turn reads. */
#define SCHED_TURN_MS 1000
#define SCHED_BATCH 32

#define SCHED_LABEL "bpg/schedule-id"

static void
fire_state(struct bpg_monitor *m, const struct bpg_db_fire *f,
    const char *to, const char *msg)
{
	struct bpg_errinfo ei;

	if (bpg_db_fire_set_state(m->db, f->schedule_id, f->fire_time,
	    BPG_DB_FIRE_PENDING, to, msg, NULL, &ei) != BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedule %s: cannot "
		    "record fire %" PRId64 " %s: %s", f->schedule_id,
		    f->fire_time, to, ei.msg);
}

/*
 * Make fire f (pending, its ID chosen) of schedule s: the row, then the
 * CR.  A refusal marks the fire and the row failed; a transient failure
 * leaves the fire pending for the next turn.  A fire whose row finished
 * meanwhile is done without a CR.
 */
static void
finish(struct bpg_monitor *m, struct bpg_msub_state *st,
    const struct bpg_db_schedule *s, const struct bpg_db_fire *f)
{
	struct bpg_msub ms;
	struct bpg_errinfo ei = { "" };

	/*
	 * Its row finished already: the fire is over, whatever stopped it
	 * (the LOST sweep found no SparkApplication for it, or its run ended
	 * and its CR may be gone).  Creating the CR now would run a
	 * submission recorded as finished, or run it a second time.
	 */
	if (f->finished) {
		if (!bpg_monitor_confirm(m))
			return;
		fire_state(m, f, BPG_DB_FIRE_DONE, NULL);
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedule %s: fire %"
		    PRId64 " as %s: its submission was finished (%s) before "
		    "the fire was; no SparkApplication made", s->id,
		    f->fire_time, f->submission_id,
		    f->status[0] != '\0' ? f->status : "no state");
		return;
	}
	memset(&ms, 0, sizeof(ms));
	ms.id = f->submission_id;
	ms.owner = s->owner;
	ms.request = s->request;
	ms.labels[0].key = SCHED_LABEL;
	ms.labels[0].value = s->id;
	ms.summary[0].key = "scheduleId";
	ms.summary[0].value = s->id;
	/* A retryPolicy in the request: the job's row before the CR. */
	if (bpg_monitor_retry_adopt(m, f->submission_id, s->owner, s->request,
	    &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedule %s: fire %"
		    PRId64 " as %s: will try again: %s", s->id, f->fire_time,
		    f->submission_id, ei.msg);
		return;
	}
	switch (bpg_monitor_submit(m, &st->rng, st->zones, &ms, &ei)) {
	case BPG_MSUB_DONE:
		fire_state(m, f, BPG_DB_FIRE_DONE, NULL);
		bpg_metrics_inc(m->o.metrics, BPG_METRIC_MON_SCHEDULES,
		    BPG_LV("sent"));
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "schedule %s: fired "
		    "%" PRId64 " as %s (user %s)", s->id, f->fire_time,
		    f->submission_id, s->owner);
		break;
	case BPG_MSUB_REFUSED:
		bpg_metrics_inc(m->o.metrics, BPG_METRIC_MON_SCHEDULES,
		    BPG_LV("failed"));
		bpg_monitor_log(m, BPG_MONITOR_LOG_ERR, "schedule %s: fire %"
		    PRId64 " refused: %s", s->id, f->fire_time, ei.msg);
		if (bpg_monitor_confirm(m))
			fire_state(m, f, BPG_DB_FIRE_FAILED, ei.msg);
		break;
	case BPG_MSUB_AGAIN:
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedule %s: fire %"
		    PRId64 " as %s: will try again: %s", s->id, f->fire_time,
		    f->submission_id, ei.msg);
		break;
	}
}

/* Step 1: fires recorded and not finished. */
static void
finish_pending(struct bpg_monitor *m, struct bpg_msub_state *st)
{
	struct bpg_db_fire f[SCHED_BATCH];
	struct bpg_db_schedule s;
	struct bpg_errinfo ei;
	bool found;
	size_t i, n = 0;

	if (bpg_db_fire_pending(m->db, f, SCHED_BATCH, &n, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedules: cannot "
		    "read pending fires: %s", ei.msg);
		return;
	}
	for (i = 0; i < n && m->leader; i++) {
		memset(&s, 0, sizeof(s));
		found = false;
		if (bpg_db_schedule_get(m->db, f[i].schedule_id, &s, &found,
		    &ei) != BPG_OK)
			continue;
		if (!found) {
			if (bpg_monitor_confirm(m))
				fire_state(m, &f[i], BPG_DB_FIRE_FAILED,
				    "the schedule was deleted");
		} else
			finish(m, st, &s, &f[i]);
		bpg_db_schedule_reset(&s);
	}
}

/*
 * Whether the previous submission of s is unfinished; Replace deletes
 * its CR.  false: go on with the fire; true: skip it (Forbid).
 */
static bool
concurrency_skip(struct bpg_monitor *m, const struct bpg_db_schedule *s)
{
	struct bpg_db_fire prev;
	struct bpg_errinfo ei;
	const struct bpg_cluster *c;
	struct bpg_monitor_target *t;
	enum bpg_err e;
	size_t n = 0;

	if (strcmp(s->policy, "Allow") == 0)
		return false;
	if (bpg_db_fire_recent(m->db, s->id, &prev, 1, &n, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedule %s: cannot "
		    "read its last submission: %s", s->id, ei.msg);
		return true;
	}
	if (n == 0 || prev.finished ||
	    strcmp(prev.state, BPG_DB_FIRE_FAILED) == 0)
		return false;
	if (strcmp(s->policy, "Forbid") == 0)
		return true;
	/* Replace. */
	if (bpg_route_cluster_of_id(m->o.cfg, prev.submission_id, &c,
	    &ei) != BPG_OK || (t = bpg_monitor_target_of(m, c)) == NULL) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedule %s: cannot "
		    "replace %s: no cluster", s->id, prev.submission_id);
		return true;
	}
	if (!bpg_monitor_confirm(m))
		return true;
	if ((e = bpg_kube_delete_app(t->kube, prev.submission_id, &ei)) !=
	    BPG_OK && e != BPG_ENOTFOUND) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedule %s: cannot "
		    "delete %s to replace it: %s", s->id, prev.submission_id,
		    ei.msg);
		return true;
	}
	bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "schedule %s: replaced %s",
	    s->id, prev.submission_id);
	return false;
}

/* Step 2 for one due schedule s at now. */
static void
fire_due(struct bpg_monitor *m, struct bpg_msub_state *st,
    struct bpg_db_schedule *s, int64_t now)
{
	struct bpg_submit_req req;
	struct bpg_cron cron;
	struct bpg_sched_plan p;
	struct bpg_errinfo ei = { "" };
	struct bpg_db_fire f;
	const struct bpg_cluster *c;
	char *queue = NULL;
	bool changed = false;
	enum bpg_err e;

	memset(&req, 0, sizeof(req));
	memset(&f, 0, sizeof(f));
	if (bpg_cron_parse_n(&cron, s->cron, strlen(s->cron), &ei) != BPG_OK ||
	    bpg_cron_zone_n(&cron, s->timezone, strlen(s->timezone),
	    &ei) != BPG_OK ||
	    bpg_sched_plan(&cron, s->anchor, s->next_fire, s->deadline_s, now,
	    &p, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_ERR, "schedule %s: %s",
		    s->id, ei.msg);
		return;
	}
	if (p.missed > 0)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedule %s: %s%zu "
		    "fire time(s) from %" PRId64 " missed (startingDeadline"
		    "Seconds %" PRId64 "), skipped", s->id,
		    p.missed_more ? "over " : "", p.missed, p.first_missed,
		    s->deadline_s);
	snprintf(f.schedule_id, sizeof(f.schedule_id), "%s", s->id);
	f.fire_time = p.fire;
	if (p.fire < 0)
		goto advance;
	if (concurrency_skip(m, s)) {
		snprintf(f.state, sizeof(f.state), BPG_DB_FIRE_SKIPPED);
		if (!bpg_monitor_confirm(m))
			goto out;
		if ((e = bpg_db_fire_insert(m->db, &f, "the previous run is "
		    "unfinished (Forbid)", &ei)) == BPG_OK)
			bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "schedule %s: "
			    "fire %" PRId64 " skipped: the previous run is "
			    "unfinished (concurrencyPolicy %s)", s->id, p.fire,
			    s->policy);
		else if (e != BPG_EEXIST)
			goto out; /* try again next turn */
		goto advance;
	}
	/* Choose the ID as POST /spark would, as the owner. */
	if ((e = bpg_req_parse(s->request, strlen(s->request), BPG_REQ_JSON,
	    &req, &ei)) != BPG_OK ||
	    (e = bpg_route_submission(m->o.cfg, &req, s->owner, &st->rng,
	    &queue, &c, &ei)) != BPG_OK ||
	    (e = bpg_route_new_id(c, req.submission_id_suffix, &st->rng,
	    f.submission_id, &ei)) != BPG_OK) {
		bpg_metrics_inc(m->o.metrics, BPG_METRIC_MON_SCHEDULES,
		    BPG_LV("failed"));
		bpg_monitor_log(m, BPG_MONITOR_LOG_ERR, "schedule %s: fire %"
		    PRId64 " refused: %s", s->id, p.fire, ei.msg);
		f.submission_id[0] = '\0';
		snprintf(f.state, sizeof(f.state), BPG_DB_FIRE_FAILED);
		if (!bpg_monitor_confirm(m) ||
		    ((e = bpg_db_fire_insert(m->db, &f, ei.msg, &ei)) !=
		    BPG_OK && e != BPG_EEXIST))
			goto out;
		goto advance;
	}
	snprintf(f.state, sizeof(f.state), BPG_DB_FIRE_PENDING);
	if (!bpg_monitor_confirm(m))
		goto out;
	e = bpg_db_fire_insert(m->db, &f, NULL, &ei);
	if (e == BPG_OK)
		finish(m, st, s, &f);
	else if (e == BPG_EEXIST) {
		/* Made (or being made) by another writer: f is its row. */
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "schedule %s: fire %"
		    PRId64 " already recorded (%s, %s)", s->id, p.fire,
		    f.submission_id[0] != '\0' ? f.submission_id : "none",
		    f.state);
		if (strcmp(f.state, BPG_DB_FIRE_PENDING) == 0)
			finish(m, st, s, &f);
	} else {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedule %s: cannot "
		    "record fire %" PRId64 ": %s", s->id, p.fire, ei.msg);
		goto out;
	}
advance:
	if (!bpg_monitor_confirm(m))
		goto out;
	if (bpg_db_schedule_advance(m->db, s->id, s->next_fire, p.next,
	    p.fire, &changed, &ei) != BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedule %s: cannot "
		    "move its next fire time: %s", s->id, ei.msg);
out:
	free(queue);
	bpg_req_reset(&req);
}

static void
sched_step(struct bpg_monitor *m, void *state)
{
	struct bpg_msub_state *st = state;
	struct bpg_db_schedule *rows;
	struct bpg_errinfo ei;
	int64_t now;
	size_t i, n = 0;

	if (!bpg_msub_turn(m, st, SCHED_TURN_MS))
		return;
	finish_pending(m, st);
	if (!m->leader)
		return;
	if ((rows = calloc(SCHED_BATCH, sizeof(*rows))) == NULL)
		return;
	now = bpg_monitor_now_s(m);
	if (bpg_db_schedule_due(m->db, now, rows, SCHED_BATCH, &n,
	    &ei) != BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "schedules: cannot "
		    "read due schedules: %s", ei.msg);
	for (i = 0; i < n; i++) {
		if (m->leader && rows[i].request != NULL)
			fire_due(m, st, &rows[i], now);
		bpg_db_schedule_reset(&rows[i]);
	}
	free(rows);
}

const struct bpg_monitor_task bpg_monitor_task_sched = {
	.name = "sched",
	.init = bpg_msub_init,
	.lead = bpg_msub_lead,
	.step = sched_step,
	.due = bpg_msub_due,
	.free = bpg_msub_state_free,
};
