/*
 * The monitor's dependencies task (bpg_monitor_int.h): the leader
 * releases the submissions waiting for their dependencies (bpg_deps.h,
 * bpg_db_deps.h), or ends them DEPENDENCY_FAILED.
 *
 * Each turn, as the leader (bpg_monitor_confirm() before each write):
 *   1. Rows in state releasing (a leader that died mid-release, or a
 *      create that failed for a while) are finished with the ID chosen
 *      at POST: bpg_monitor_submit() writes the row again and creates
 *      the CR named by that ID, so a resumed release never makes two.
 *   2. Rows in state waiting, a batch at a time from a cursor over the
 *      index bpg_waiting_state: each dependency's last attempt is read
 *      (dep_state(), the one place that says whether a dependency is
 *      final) and bpg_deps_decide() decides.  A release moves the row
 *      waiting -> releasing first (a conditional update: a DELETE that
 *      came first wins, and then nothing is created), then runs step 1's
 *      submit.  A failure moves it waiting -> failed and its row to
 *      DEPENDENCY_FAILED naming the dependency, in one statement.
 * A full batch is followed by another turn at once; a pass that reached
 * the end waits DEPS_TURN_MS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_db.h"
#include "bpg_db_attempts.h"
#include "bpg_db_deps.h"
#include "bpg_db_retry.h"
#include "bpg_deps.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_monitor_submit.h"
#include "bpg_retry.h"
#include "bpg_route.h"
#include "bpg_watch.h"
#include "bpg_zones.h"

#define DEPS_TURN_MS 1000
#define DEPS_BATCH 64

struct deps {
	struct bpg_msub_state s; /* first: the shared hooks read it */
	char cursor[BPG_DB_DEPS_MAX_ID + 1]; /* "" from the start */
};

/* Where one dependency stands, and what its last attempt is. */
struct dep {
	enum bpg_deps_dep state;
	char last[BPG_DB_ATTEMPT_MAX_ID + 1];
	char status[64]; /* cut to fit: for the message only */
};

/*
 * Whether the job of submission id (a handle or any of its attempts),
 * whose last attempt ended in status, will still be retried: it has a
 * retryPolicy (bpg_db_retry.h), is not cancelled nor ended, and a retry is
 * planned or due by its policy for status after the attempts it used.
 */
static enum bpg_err
retry_pending(struct bpg_monitor *m, const char *id, const char *status,
    bool *pending, struct bpg_errinfo *ei)
{
	char job[BPG_DB_RETRY_MAX_ID + 1];
	struct bpg_db_retry_job j;
	bool has_job = false, found = false;
	int attempt = 0;
	enum bpg_err e;

	*pending = false;
	if ((e = bpg_db_retry_job_of(m->db, id, job, &attempt, &has_job,
	    &found, ei)) != BPG_OK || !found || !has_job)
		return e;
	memset(&j, 0, sizeof(j));
	if ((e = bpg_db_retry_get(m->db, job, false, &j, &found, ei)) !=
	    BPG_OK || !found)
		return e;
	*pending = j.active && !j.cancelled && (j.retry_at >= 0 ||
	    bpg_retry_due(&j.policy, status, j.last_attempt));
	bpg_db_retry_job_reset(&j);
	return BPG_OK;
}

/*
 * Dependency id: the last attempt of its chain (bpg_db_attempt_next()
 * from id), that attempt's row, and whether its job will be retried.  The
 * one place that says whether a dependency is final: a move or retry
 * under way (the next attempt pending or deleting) is not, nor a failed
 * last attempt that its job's retryPolicy will retry (retry_pending()).
 */
static enum bpg_err
dep_state(struct bpg_monitor *m, const char *id, struct dep *d,
    struct bpg_errinfo *ei)
{
	struct bpg_db_attempt a;
	struct bpg_db_app row;
	bool found, retry = false;
	enum bpg_err e;
	int hops;

	memset(d, 0, sizeof(*d));
	bpg_monitor_take(d->last, sizeof(d->last), id);
	for (hops = 0; hops < BPG_DB_MAX_ATTEMPTS; hops++) {
		if ((e = bpg_db_attempt_next(m->db, d->last, &a, &found,
		    ei)) != BPG_OK)
			return e;
		if (!found || strcmp(a.state, BPG_DB_ATTEMPT_ABANDONED) == 0)
			break;
		if (strcmp(a.state, BPG_DB_ATTEMPT_PENDING) == 0 ||
		    strcmp(a.state, BPG_DB_ATTEMPT_DELETING) == 0) {
			d->state = BPG_DEPS_DEP_OPEN;
			return BPG_OK;
		}
		bpg_monitor_take(d->last, sizeof(d->last), a.submission_id);
	}
	if ((e = bpg_db_monitor_read(m->db, d->last, &row, ei)) != BPG_OK)
		return e;
	if (row.found && row.has_status)
		bpg_monitor_take(d->status, sizeof(d->status), row.status);
	d->state = bpg_deps_dep_of(row.found, row.has_status ? row.status :
	    NULL, row.finished, false);
	if (d->state == BPG_DEPS_DEP_ENDED && row.found) {
		if ((e = retry_pending(m, d->last, d->status, &retry, ei)) !=
		    BPG_OK)
			return e;
		if (retry)
			d->state = BPG_DEPS_DEP_OPEN;
	}
	return BPG_OK;
}

/* Step 1 for id (state releasing): the row and the CR. */
static void
release(struct bpg_monitor *m, struct deps *st, const char *id)
{
	struct bpg_db_waiting w;
	struct bpg_errinfo ei = { "" };
	struct bpg_msub ms;
	bool found = false;

	if (bpg_db_deps_get(m->db, id, &w, &found, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "dependencies: cannot "
		    "read %s: %s", id, ei.msg);
		return;
	}
	if (!found || strcmp(w.state, BPG_DB_DEPS_RELEASING) != 0 ||
	    w.request == NULL) {
		bpg_db_waiting_reset(&w);
		return;
	}
	memset(&ms, 0, sizeof(ms));
	ms.id = id;
	ms.owner = w.owner;
	ms.request = w.request;
	ms.format = (enum bpg_req_format)w.format;
	switch (bpg_monitor_submit(m, &st->s.rng, st->s.zones, &ms, &ei)) {
	case BPG_MSUB_DONE:
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "dependencies of %s "
		    "met: submitted (user %s)", id, w.owner);
		break;
	case BPG_MSUB_REFUSED:
		/* The row says SUBMISSION_FAILED and why. */
		bpg_monitor_log(m, BPG_MONITOR_LOG_ERR, "dependencies of %s "
		    "met, but the submission was refused: %s", id, ei.msg);
		break;
	case BPG_MSUB_AGAIN:
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "dependencies of %s "
		    "met: will try again: %s", id, ei.msg);
		bpg_db_waiting_reset(&w);
		return;
	}
	bpg_db_waiting_reset(&w);
	if (bpg_monitor_confirm(m) && bpg_db_deps_move(m->db, id,
	    BPG_DB_DEPS_RELEASING, BPG_DB_DEPS_RELEASED, NULL, &ei) != BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "dependencies: cannot "
		    "record %s released: %s", id, ei.msg);
}

/* DEPENDENCY_FAILED for id: dependency dep (last attempt d) ended. */
static void
fail(struct bpg_monitor *m, const char *id, const char *dep,
    const struct dep *d)
{
	char msg[BPG_DB_ATTEMPT_MAX_ID * 2 + 160];
	struct bpg_errinfo ei = { "" };
	bool changed = false;

	if (strcmp(dep, d->last) == 0)
		snprintf(msg, sizeof(msg), "Dependency %s ended %s", dep,
		    d->status[0] != '\0' ? d->status : "without a record");
	else
		snprintf(msg, sizeof(msg), "Dependency %s ended %s (its last "
		    "attempt %s)", dep, d->status[0] != '\0' ? d->status :
		    "without a record", d->last);
	if (!bpg_monitor_confirm(m))
		return;
	if (bpg_db_deps_end(m->db, id, BPG_DB_DEPS_FAILED, BPG_DEPS_FAILED,
	    msg, &changed, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "dependencies: cannot "
		    "record %s failed: %s", id, ei.msg);
		return;
	}
	if (changed)
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "%s: %s: %s", id,
		    BPG_DEPS_FAILED, msg);
}

/* Step 2 for one waiting row. */
static void
consider(struct bpg_monitor *m, struct deps *st, const struct bpg_db_waiting *w)
{
	char links[BPG_DEPS_MAX][BPG_DB_DEPS_MAX_ID + 1];
	enum bpg_deps_dep states[BPG_DEPS_MAX];
	struct dep d[BPG_DEPS_MAX];
	struct bpg_errinfo ei = { "" };
	enum bpg_deps_policy policy = BPG_DEPS_ALL_SUCCEEDED;
	bool changed = false;
	size_t i, n = 0, failed = 0;

	if (bpg_db_deps_links(m->db, w->submission_id, links, BPG_DEPS_MAX, &n,
	    &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "dependencies of %s: "
		    "%s", w->submission_id, ei.msg);
		return;
	}
	(void)bpg_deps_policy_of(w->policy, &policy);
	for (i = 0; i < n; i++) {
		if (dep_state(m, links[i], &d[i], &ei) != BPG_OK) {
			bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "dependency %s "
			    "of %s: %s", links[i], w->submission_id, ei.msg);
			return;
		}
		states[i] = d[i].state;
	}
	switch (bpg_deps_decide(policy, states, n, &failed)) {
	case BPG_DEPS_WAIT:
		return;
	case BPG_DEPS_FAIL:
		fail(m, w->submission_id, links[failed], &d[failed]);
		return;
	case BPG_DEPS_RELEASE:
		break;
	}
	if (!bpg_monitor_confirm(m))
		return;
	if (bpg_db_deps_move(m->db, w->submission_id, BPG_DB_DEPS_WAITING,
	    BPG_DB_DEPS_RELEASING, &changed, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "dependencies: cannot "
		    "release %s: %s", w->submission_id, ei.msg);
		return;
	}
	if (changed) /* else a DELETE came first */
		release(m, st, w->submission_id);
}

static void
deps_step(struct bpg_monitor *m, void *state)
{
	struct deps *st = state;
	struct bpg_db_waiting *rows;
	struct bpg_errinfo ei = { "" };
	long long mono = bpg_watch_now_ms();
	size_t i, n = 0;

	if (!bpg_msub_turn(m, &st->s, DEPS_TURN_MS))
		return;
	if ((rows = calloc(DEPS_BATCH, sizeof(*rows))) == NULL)
		return;
	/* Step 1. */
	if (bpg_db_deps_list(m->db, BPG_DB_DEPS_RELEASING, "", rows,
	    DEPS_BATCH, &n, &ei) != BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "dependencies: cannot "
		    "read releases under way: %s", ei.msg);
	for (i = 0; i < n && m->leader; i++)
		release(m, st, rows[i].submission_id);
	/* Step 2. */
	n = 0;
	if (m->leader && bpg_db_deps_list(m->db, BPG_DB_DEPS_WAITING,
	    st->cursor, rows, DEPS_BATCH, &n, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "dependencies: cannot "
		    "read waiting submissions: %s", ei.msg);
		n = 0;
	}
	for (i = 0; i < n && m->leader; i++)
		consider(m, st, &rows[i]);
	if (n == DEPS_BATCH) {
		bpg_monitor_take(st->cursor, sizeof(st->cursor),
		    rows[n - 1].submission_id);
		st->s.next_ms = mono; /* the rest of the pass at once */
	} else
		st->cursor[0] = '\0';
	free(rows);
}

static void
deps_lead(struct bpg_monitor *m, void *state, long long now)
{
	struct deps *st = state;

	(void)m;
	st->s.next_ms = now;
	st->cursor[0] = '\0';
}

static enum bpg_err
deps_init(struct bpg_monitor *m, void **state, struct bpg_errinfo *ei)
{
	(void)m;
	return bpg_msub_state_new(sizeof(struct deps), state, ei);
}

const struct bpg_monitor_task bpg_monitor_task_deps = {
	.name = "deps",
	.init = deps_init,
	.lead = deps_lead,
	.step = deps_step,
	.due = bpg_msub_due,
	.free = bpg_msub_state_free,
};
