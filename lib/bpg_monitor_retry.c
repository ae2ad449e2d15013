/*
 * The monitor's retry task (bpg_monitor_int.h): the leader submits the
 * next attempt of jobs with a retry policy (bpg_db_retry.h) as their
 * owners.
 *
 * Each turn, as the leader (bpg_monitor_confirm() before each write):
 *   1. Attempts recorded and left pending (a leader killed after
 *      recording one, or a create that failed for a while) are finished
 *      with the ID they hold: never a second ID; one whose row finished
 *      meanwhile gets no CR.
 *   2. Active jobs whose last attempt has ended and that have no retry
 *      planned (the indexed query): one whose attempt ended in one of its
 *      onStates with attempts left gets its retry planned at the monitor's
 *      clock plus the back-off (bpg_retry_backoff_s()); any other ends.
 *      The plan is a conditional update: a retry is planned once.
 *   3. Jobs whose planned retry is due: the request goes through POST
 *      /spark's checks and routing as the owner; the cluster is the last
 *      attempt's, or with anyCluster the queue's weighted choice again
 *      without the cluster that just failed (bpg_move_pick()) when another
 *      is eligible.  The attempt row with the new ID is written BEFORE the
 *      CR (bpg_db_retry_begin(): one transaction, only while the job is
 *      not cancelled, one writer), then bpg_monitor_submit() makes the row
 *      and the CR, labelled bpg/attempt and bpg/job-id.
 *
 * A cancel (DELETE) racing step 3: the attempt row is written before the
 * cancel, and DELETE then finds it and deletes its CR, or not at all.
 * DELETE's delete may come before the create, so after a create the job
 * is read again and a cancelled job's new CR is deleted here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpg_db.h"
#include "bpg_db_attempts.h"
#include "bpg_db_retry.h"
#include "bpg_kube.h"
#include "bpg_label.h"
#include "bpg_metrics.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_monitor_submit.h"
#include "bpg_move.h"
#include "bpg_req.h"
#include "bpg_retry.h"
#include "bpg_route.h"
#include "bpg_watch.h"
#include "bpg_zones.h"

/* How often the task's queries run (ms). */
#define RETRY_TURN_MS 1000

#define LABEL_ATTEMPT "bpg/attempt"
#define LABEL_JOB "bpg/job-id"

static void
attempt_state(struct bpg_monitor *m, const struct bpg_db_attempt *a,
    const char *to, const char *msg)
{
	struct bpg_errinfo ei;

	if (bpg_monitor_confirm(m) &&
	    bpg_db_attempt_set_state(m->db, a->submission_id,
	    BPG_DB_ATTEMPT_PENDING, to, msg, NULL, &ei) != BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "job %s: cannot record "
		    "attempt %d %s: %s", a->job_id, a->attempt, to, ei.msg);
}

static void
close_job(struct bpg_monitor *m, const char *job_id, int attempt)
{
	struct bpg_errinfo ei;

	if (bpg_monitor_confirm(m) &&
	    bpg_db_retry_close(m->db, job_id, attempt, &ei) != BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "job %s: cannot end "
		    "it: %s", job_id, ei.msg);
}

/* The CR of attempt a, made while its job was being cancelled, goes. */
static void
undo_cancelled(struct bpg_monitor *m, const struct bpg_db_attempt *a)
{
	struct bpg_db_retry_job j;
	struct bpg_errinfo ei = { "" };
	const struct bpg_cluster *c;
	struct bpg_monitor_target *t;
	bool found = false;
	enum bpg_err e;

	if (bpg_db_retry_get(m->db, a->job_id, false, &j, &found, &ei) !=
	    BPG_OK || !found || !j.cancelled)
		return;
	if (bpg_route_cluster_of_id(m->o.cfg, a->submission_id, &c, &ei) !=
	    BPG_OK || (t = bpg_monitor_target_of(m, c)) == NULL ||
	    !bpg_monitor_confirm(m))
		return;
	e = bpg_kube_delete_app(t->kube, a->submission_id, &ei);
	if (e != BPG_OK && e != BPG_ENOTFOUND)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "job %s: cancelled, "
		    "but cannot delete attempt %s: %s", a->job_id,
		    a->submission_id, ei.msg);
	else
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "job %s: cancelled "
		    "while attempt %s was made: deleted it", a->job_id,
		    a->submission_id);
}

/*
 * Make attempt a (pending, its ID chosen): the row, then the CR.  An
 * attempt whose row finished meanwhile is done without a CR.
 */
static void
finish(struct bpg_monitor *m, struct bpg_msub_state *st,
    const struct bpg_db_attempt *a)
{
	struct bpg_db_retry_job j;
	struct bpg_errinfo ei = { "" };
	struct bpg_msub ms;
	json_t *row = NULL;
	char num[16];
	bool found = false;

	if (bpg_db_retry_get(m->db, a->job_id, true, &j, &found, &ei) !=
	    BPG_OK)
		return;
	if (!found || j.request == NULL) {
		attempt_state(m, a, BPG_DB_ATTEMPT_FAILED, "the job is gone");
		goto out;
	}
	if (j.cancelled) {
		attempt_state(m, a, BPG_DB_ATTEMPT_ABANDONED, "cancelled");
		goto out;
	}
	/*
	 * Its row finished already (the LOST sweep found no CR for it, or
	 * its run ended while the attempt could not be recorded done): the
	 * attempt is over.  Creating the CR now would run a submission
	 * recorded as finished, or run it a second time.
	 */
	if (bpg_db_get_submission(m->db, a->submission_id, &row, &ei) ==
	    BPG_OK && !json_is_null(json_object_get(row, "finished_time")) &&
	    json_object_get(row, "finished_time") != NULL) {
		attempt_state(m, a, BPG_DB_ATTEMPT_DONE, NULL);
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "job %s: attempt %d "
		    "as %s: its submission was finished (%s) before the "
		    "attempt was; no SparkApplication made", a->job_id,
		    a->attempt, a->submission_id,
		    json_string_value(json_object_get(row, "status")) != NULL ?
		    json_string_value(json_object_get(row, "status")) :
		    "no state");
		goto out;
	}
	memset(&ms, 0, sizeof(ms));
	snprintf(num, sizeof(num), "%d", a->attempt);
	ms.id = a->submission_id;
	ms.owner = j.owner;
	ms.request = j.request;
	ms.labels[0].key = LABEL_ATTEMPT;
	ms.labels[0].value = num;
	/* IDs are DNS labels of at most BPG_MAX_SUBMISSION_ID characters. */
	if (bpg_label_value_valid(a->job_id)) {
		ms.labels[1].key = LABEL_JOB;
		ms.labels[1].value = a->job_id;
	}
	switch (bpg_monitor_submit(m, &st->rng, st->zones, &ms, &ei)) {
	case BPG_MSUB_DONE:
		attempt_state(m, a, BPG_DB_ATTEMPT_DONE, NULL);
		bpg_metrics_inc(m->o.metrics, BPG_METRIC_MON_RETRIES,
		    BPG_LV("sent"));
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "job %s: attempt %d "
		    "submitted as %s on %s (user %s)", a->job_id, a->attempt,
		    a->submission_id, a->cluster, j.owner);
		undo_cancelled(m, a);
		break;
	case BPG_MSUB_REFUSED:
		bpg_metrics_inc(m->o.metrics, BPG_METRIC_MON_RETRIES,
		    BPG_LV("failed"));
		bpg_monitor_log(m, BPG_MONITOR_LOG_ERR, "job %s: attempt %d "
		    "refused: %s", a->job_id, a->attempt, ei.msg);
		attempt_state(m, a, BPG_DB_ATTEMPT_FAILED, ei.msg);
		/* The checks refuse it now: they would again. */
		close_job(m, a->job_id, a->attempt);
		break;
	case BPG_MSUB_AGAIN:
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "job %s: attempt %d "
		    "as %s: will try again: %s", a->job_id, a->attempt,
		    a->submission_id, ei.msg);
		break;
	}
out:
	json_decref(row);
	bpg_db_retry_job_reset(&j);
}

/* Step 1. */
static void
finish_pending(struct bpg_monitor *m, struct bpg_msub_state *st)
{
	struct bpg_db_attempt open[BPG_DB_RETRY_BATCH];
	struct bpg_errinfo ei;
	size_t i, n = 0;

	if (bpg_db_attempt_open(m->db, open, BPG_DB_RETRY_BATCH, &n, &ei) !=
	    BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "retries: cannot read "
		    "pending attempts: %s", ei.msg);
		return;
	}
	for (i = 0; i < n && m->leader; i++)
		if (strcmp(open[i].cause, BPG_DB_ATTEMPT_RETRY) == 0 &&
		    strcmp(open[i].state, BPG_DB_ATTEMPT_PENDING) == 0)
			finish(m, st, &open[i]);
}

/* Step 2. */
static void
plan_ended(struct bpg_monitor *m, int64_t now)
{
	struct bpg_db_retry_ended *rows;
	struct bpg_db_retry_job j;
	struct bpg_errinfo ei;
	int64_t at;
	bool found, changed;
	size_t i, n = 0;

	if ((rows = calloc(BPG_DB_RETRY_BATCH, sizeof(*rows))) == NULL)
		return;
	if (bpg_db_retry_ended(m->db, rows, BPG_DB_RETRY_BATCH, &n, &ei) !=
	    BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "retries: cannot read "
		    "ended jobs: %s", ei.msg);
	for (i = 0; i < n && m->leader; i++) {
		found = changed = false;
		if (bpg_db_retry_get(m->db, rows[i].job_id, false, &j, &found,
		    &ei) != BPG_OK || !found)
			continue;
		at = -1;
		if (bpg_retry_due(&j.policy, rows[i].status,
		    rows[i].last_attempt))
			at = now + bpg_retry_backoff_s(&j.policy,
			    rows[i].last_attempt);
		if (!bpg_monitor_confirm(m))
			break;
		if (bpg_db_retry_plan(m->db, rows[i].job_id,
		    rows[i].last_attempt, at, &changed, &ei) != BPG_OK) {
			bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "job %s: "
			    "cannot plan: %s", rows[i].job_id, ei.msg);
			continue;
		}
		if (changed && at >= 0)
			bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "job %s: "
			    "attempt %d ended %s: attempt %d at %" PRId64,
			    rows[i].job_id, rows[i].last_attempt,
			    rows[i].status, rows[i].last_attempt + 1, at);
		else if (changed)
			bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "job %s: "
			    "attempt %d ended %s: no retry", rows[i].job_id,
			    rows[i].last_attempt, rows[i].status);
	}
	free(rows);
}

/*
 * The cluster of the next attempt of j: with anyCluster (and no clusterId
 * in the request) the queue's weighted choice without the last attempt's
 * cluster when another is eligible; else the last attempt's.
 */
static enum bpg_err
next_cluster(struct bpg_monitor *m, struct bpg_msub_state *st,
    const struct bpg_db_retry_job *j, const struct bpg_submit_req *req,
    const char *queue, const struct bpg_cluster *routed,
    const struct bpg_cluster **out, struct bpg_errinfo *ei)
{
	const struct bpg_cluster *last = NULL;
	const char *exclude[1];
	enum bpg_err e;

	*out = routed;
	if (req->cluster_id != NULL)
		return BPG_OK;
	if ((e = bpg_route_cluster_of_id(m->o.cfg, j->last_id, &last, ei)) !=
	    BPG_OK)
		return e;
	if (!j->policy.any_cluster) {
		*out = last;
		return BPG_OK;
	}
	exclude[0] = last->id;
	e = bpg_move_pick(m->o.cfg, req->spark_version, queue, exclude, 1,
	    &st->rng, out, ei);
	if (e == BPG_ENOTFOUND) {
		*out = routed;
		return BPG_OK;
	}
	return e;
}

/* Step 3 for the job job_id. */
static void
make_due(struct bpg_monitor *m, struct bpg_msub_state *st, const char *job_id)
{
	struct bpg_db_retry_job j;
	struct bpg_submit_req req;
	struct bpg_db_attempt a;
	struct bpg_errinfo ei = { "" };
	const struct bpg_cluster *routed, *c;
	char id[BPG_MAX_SUBMISSION_ID + 1];
	char *queue = NULL;
	bool found = false;
	enum bpg_err e;

	memset(&req, 0, sizeof(req));
	if (bpg_db_retry_get(m->db, job_id, true, &j, &found, &ei) !=
	    BPG_OK || !found)
		return;
	if (!j.active || j.cancelled || j.request == NULL)
		goto out;
	if (j.last_attempt >= j.policy.max_attempts) {
		close_job(m, job_id, j.last_attempt);
		goto out;
	}
	if (bpg_req_parse(j.request, strlen(j.request), BPG_REQ_JSON, &req,
	    &ei) != BPG_OK ||
	    bpg_route_submission(m->o.cfg, &req, j.owner, &st->rng, &queue,
	    &routed, &ei) != BPG_OK ||
	    next_cluster(m, st, &j, &req, queue, routed, &c, &ei) != BPG_OK ||
	    bpg_route_new_id(c, req.submission_id_suffix, &st->rng, id,
	    &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_ERR, "job %s: attempt %d "
		    "refused: %s", job_id, j.last_attempt + 1, ei.msg);
		close_job(m, job_id, j.last_attempt);
		goto out;
	}
	memset(&a, 0, sizeof(a));
	snprintf(a.job_id, sizeof(a.job_id), "%s", job_id);
	a.attempt = j.last_attempt + 1;
	snprintf(a.submission_id, sizeof(a.submission_id), "%s", id);
	snprintf(a.previous_submission_id, sizeof(a.previous_submission_id),
	    "%s", j.last_id);
	snprintf(a.cluster, sizeof(a.cluster), "%s", c->id);
	snprintf(a.cause, sizeof(a.cause), "%s", BPG_DB_ATTEMPT_RETRY);
	snprintf(a.state, sizeof(a.state), "%s", BPG_DB_ATTEMPT_PENDING);
	if (!bpg_monitor_confirm(m))
		goto out;
	e = bpg_db_retry_begin(m->db, &a, &ei);
	if (e == BPG_OK)
		finish(m, st, &a);
	else if (e == BPG_ECONFLICT || e == BPG_EEXIST)
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "job %s: attempt %d "
		    "not made: %s", job_id, a.attempt, ei.msg);
	else
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "job %s: cannot "
		    "record attempt %d: %s", job_id, a.attempt, ei.msg);
out:
	free(queue);
	bpg_req_reset(&req);
	bpg_db_retry_job_reset(&j);
}

enum bpg_err
bpg_monitor_retry_adopt(struct bpg_monitor *m, const char *id,
    const char *owner, const char *request, struct bpg_errinfo *ei)
{
	struct bpg_submit_req req;
	struct bpg_retry_policy p;
	enum bpg_err e;

	memset(&req, 0, sizeof(req));
	/* A request that does not parse is refused by the submit itself. */
	if (bpg_req_parse(request, strlen(request), BPG_REQ_JSON, &req,
	    NULL) != BPG_OK || req.retry_policy == NULL ||
	    bpg_retry_parse(req.retry_policy, &p, NULL) != BPG_OK) {
		e = BPG_OK;
		goto out;
	}
	if (!bpg_monitor_confirm(m)) {
		e = bpg_errf(ei, BPG_ECONFLICT, "no longer the leader");
		goto out;
	}
	e = bpg_db_retry_insert(m->db, id, owner, request, &p, ei);
out:
	bpg_req_reset(&req);
	return e;
}

static void
retry_step(struct bpg_monitor *m, void *state)
{
	struct bpg_msub_state *st = state;
	char (*due)[BPG_DB_RETRY_MAX_ID + 1];
	struct bpg_errinfo ei;
	int64_t now;
	size_t i, n = 0;

	if (!bpg_msub_turn(m, st, RETRY_TURN_MS))
		return;
	finish_pending(m, st);
	if (!m->leader)
		return;
	now = bpg_monitor_now_s(m);
	plan_ended(m, now);
	if (!m->leader)
		return;
	if ((due = calloc(BPG_DB_RETRY_BATCH, sizeof(*due))) == NULL)
		return;
	if (bpg_db_retry_due(m->db, now, due, BPG_DB_RETRY_BATCH, &n, &ei) !=
	    BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "retries: cannot read "
		    "due jobs: %s", ei.msg);
	for (i = 0; i < n && m->leader; i++)
		make_due(m, st, due[i]);
	free(due);
}

const struct bpg_monitor_task bpg_monitor_task_retry = {
	.name = "retry",
	.init = bpg_msub_init,
	.lead = bpg_msub_lead,
	.step = retry_step,
	.due = bpg_msub_due,
	.free = bpg_msub_state_free,
};
