/*
 * The monitor's starvation task (bpg_monitor_int.h, bpg_move.h): every
 * BPG_MONITOR_STARVE_CHECK_MS, apps of a queue with maxPendingMillis
 * that are still waiting for their driver that long after creation are
 * moved to another eligible cluster of the queue, as a new attempt
 * (bpg_db_attempts.h).
 *
 * A move is a row of submission_attempt that says how far it got, so
 * that a leader killed at any step leaves it to the next one, and never
 * makes a second CR or loses the job:
 *   1. intent: the row (state pending) with the new ID and the new CR,
 *      built now from the live old CR; the primary key (job, attempt)
 *      and the unique previous ID let only one monitor write it;
 *   2. state deleting, then the old CR's DELETE with preconditions uid
 *      and resourceVersion ("API Concepts: DeleteOptions"): if the
 *      operator changed the app meanwhile, 409 Conflict and the app is
 *      looked at again: started means the move is abandoned;
 *   3. state deleted; the new submission row (an upsert: safe to
 *      repeat), then the old row becomes SUBMISSION_FAILED "moved to
 *      <new ID>: ..." (over the LOST a deleted CR gets recorded as);
 *   4. the new CR, named by the new ID, so that a create repeated after
 *      a lost answer finds AlreadyExists: done.
 * The new row is written once the old CR is gone, not before the delete:
 * a move abandoned then leaves no submission that never existed in the
 * user's history; until then the attempt's row is the record.  It is
 * still written before the new CR, as POST /spark writes its row first.
 * Moves under way are taken up again from their rows at every check.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_db.h"
#include "bpg_db_attempts.h"
#include "bpg_db_notify.h"
#include "bpg_json.h"
#include "bpg_kube.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_move.h"
#include "bpg_route.h"
#include "bpg_watch.h"

/* The task's state. */
struct starve {
	long long next_ms; /* next check, monotonic */
	long long next_resume_ms; /* next look at moves under way */
	int64_t min_pending_ms; /* the least maxPendingMillis; 0: none */
	struct bpg_rng rng;
	struct bpg_zones *zones;
};

/* The target that watches cluster c's namespace, or NULL. */
static const struct bpg_cluster *
cluster_by_id(const struct bpg_config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->nclusters; i++)
		if (cfg->clusters[i].id != NULL &&
		    strcmp(cfg->clusters[i].id, id) == 0)
			return &cfg->clusters[i];
	return NULL;
}

/* The queue config (the parent queue, as maxRunningMillis) of label q. */
static const struct bpg_queue *
queue_of_label(const struct bpg_config *cfg, const char *q)
{
	if (q == NULL || strncmp(q, "root.", 5) != 0)
		return NULL;
	q += 5;
	return bpg_config_queue_exact_n(cfg, q, strcspn(q, "."));
}

/* The queue config of a CR. */
static const struct bpg_queue *
queue_of(const struct bpg_config *cfg, const json_t *cr)
{
	return queue_of_label(cfg, json_string_value(json_object_get(
	    json_object_get(json_object_get(cr, "metadata"), "labels"),
	    "queue")));
}

int64_t
bpg_monitor_starve_first_look(
    const struct bpg_config *cfg, const struct bpg_monitor_app *app)
{
	const struct bpg_queue *qc = queue_of_label(cfg, app->queue);

	/* check_one() would find no maxPendingMillis in the live CR. */
	if (qc == NULL || !qc->has_max_pending_millis)
		return INT64_MAX;
	if (app->created_ms < 0)
		return 0;
	return app->created_ms + qc->max_pending_millis + 1;
}

/*
 * The old app of a move, looked at now: *cr (if not NULL) gets the CR
 * when it is the same app.
 */
static enum bpg_move_old
look(struct bpg_monitor_target *t, const char *name, const char *uid,
    json_t **cr)
{
	struct bpg_monitor_app app;
	struct bpg_errinfo ei;
	json_t *doc = NULL, *pod = NULL;
	const char *phase = NULL;
	enum bpg_move_old old;
	enum bpg_err e;

	if (cr != NULL)
		*cr = NULL;
	e = bpg_kube_get_app(t->kube, name, &doc, &ei);
	if (e == BPG_ENOTFOUND)
		return BPG_MOVE_OLD_GONE;
	if (e != BPG_OK) {
		bpg_monitor_log(t->m, BPG_MONITOR_LOG_WARN, "%s: %s: cannot "
		    "look at it to move it: %s", t->label, name, ei.msg);
		return BPG_MOVE_OLD_UNKNOWN;
	}
	if (bpg_monitor_app_parse(doc, &app, &ei) != BPG_OK) {
		json_decref(doc);
		return BPG_MOVE_OLD_UNKNOWN;
	}
	if (uid != NULL && uid[0] != '\0' && strcmp(uid, app.uid) != 0) {
		json_decref(doc);
		return BPG_MOVE_OLD_OTHER;
	}
	if (app.has_driver_pod) {
		e = bpg_kube_get_pod(t->kube, app.driver_pod, &pod, &ei);
		if (e != BPG_OK && e != BPG_ENOTFOUND) {
			json_decref(doc);
			return BPG_MOVE_OLD_UNKNOWN;
		}
		phase = json_string_value(json_object_get(json_object_get(pod,
		    "status"), "phase"));
		if (e == BPG_OK && phase == NULL)
			phase = "";
	}
	old = bpg_move_waiting(app.has_state ? app.state : NULL, phase)
	    ? BPG_MOVE_OLD_WAITING : BPG_MOVE_OLD_STARTED;
	json_decref(pod);
	if (cr != NULL)
		*cr = doc;
	else
		json_decref(doc);
	return old;
}

/* DELETE the old CR if it is still the object cr, unchanged. */
static enum bpg_err
delete_if_same(struct bpg_monitor_target *t, const json_t *cr, long *http,
    struct bpg_errinfo *ei)
{
	const json_t *meta = json_object_get(cr, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *uid = json_string_value(json_object_get(meta, "uid"));
	const char *rv = json_string_value(json_object_get(meta,
	    "resourceVersion"));
	char path[512];
	json_t *opts;
	enum bpg_err e;

	*http = 0;
	if (name == NULL || uid == NULL || rv == NULL)
		return bpg_errf(ei, BPG_EINVAL, "no uid or resourceVersion");
	if ((size_t)snprintf(path, sizeof(path), "/apis/" BPG_CRD_GROUP "/"
	    BPG_CRD_VERSION "/namespaces/%s/" BPG_CRD_PLURAL "/%s",
	    t->cluster->namespace, name) >= sizeof(path))
		return bpg_errf(ei, BPG_EINVAL, "name too long");
	opts = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1",
	    "kind", "DeleteOptions", "propagationPolicy", "Background",
	    "preconditions", "uid", uid, "resourceVersion", rv);
	if (opts == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	e = bpg_kube_request(t->kube, "DELETE", path, opts, NULL, http, ei);
	json_decref(opts);
	return e;
}

/* Move a from state from to state to; false if it was not in from. */
static bool
set_state(struct bpg_monitor *m, const struct bpg_db_attempt *a,
    const char *from, const char *to, const char *msg)
{
	struct bpg_errinfo ei;
	bool changed = false;

	if (bpg_db_attempt_set_state(m->db, a->submission_id, from, to, msg,
	    &changed, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "move %s -> %s: "
		    "cannot record %s: %s", a->previous_submission_id,
		    a->submission_id, to, ei.msg);
		return false;
	}
	if (!changed)
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "move %s -> %s: no "
		    "longer %s", a->previous_submission_id, a->submission_id,
		    from);
	return changed;
}

/* Step 3: the new submission's row, a copy of the old one's request. */
static bool
new_row(struct bpg_monitor *m, const struct bpg_db_attempt *a)
{
	struct bpg_db_submission sub;
	struct bpg_errinfo ei;
	json_t *row = NULL;
	enum bpg_err e;

	if ((e = bpg_db_get_submission(m->db, a->previous_submission_id, &row,
	    &ei)) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "move %s -> %s: "
		    "cannot read the old row: %s", a->previous_submission_id,
		    a->submission_id, ei.msg);
		return false;
	}
	memset(&sub, 0, sizeof(sub));
	sub.submission_id = a->submission_id;
	sub.user = json_string_value(json_object_get(row, "user"));
	sub.spark_version = json_string_value(json_object_get(row,
	    "spark_version"));
	sub.request_body = json_string_value(json_object_get(row,
	    "request_body"));
	sub.queue = json_string_value(json_object_get(row, "queue"));
	sub.app_name = json_string_value(json_object_get(row, "app_name"));
	e = bpg_db_insert_submission(m->db, &sub, &ei);
	json_decref(row);
	/* Its receivers, before its CR can change state. */
	if (e == BPG_OK)
		e = bpg_db_notify_copy_targets(m->db,
		    a->previous_submission_id, a->submission_id, a->cluster,
		    &ei);
	if (e != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "move %s -> %s: "
		    "cannot write the new row: %s", a->previous_submission_id,
		    a->submission_id, ei.msg);
		return false;
	}
	return true;
}

/* Step 4's reason, for the old row. */
static void
reason(struct bpg_monitor *m, const struct bpg_db_attempt *a,
    const json_t *cr, char *buf, size_t bufsz)
{
	const struct bpg_queue *qc = queue_of(m->o.cfg, cr);
	const struct bpg_cluster *from = NULL;
	struct bpg_errinfo ei;

	if (bpg_route_cluster_of_id(m->o.cfg, a->previous_submission_id,
	    &from, &ei) != BPG_OK)
		from = NULL;
	if (qc != NULL && qc->has_max_pending_millis)
		snprintf(buf, bufsz, "moved to %s: pending for more than %"
		    PRId64 " ms on %s", a->submission_id,
		    qc->max_pending_millis, from != NULL ? from->id : "?");
	else
		snprintf(buf, bufsz, "moved to %s: pending too long on %s",
		    a->submission_id, from != NULL ? from->id : "?");
}

/* Steps 3 and 4. */
static void
create_new(struct bpg_monitor *m, const struct bpg_db_attempt *a)
{
	const struct bpg_cluster *to = cluster_by_id(m->o.cfg, a->cluster);
	struct bpg_monitor_target *tt = to != NULL ?
	    bpg_monitor_target_of(m, to) : NULL;
	struct bpg_errinfo ei;
	char why[512], *text = NULL;
	json_t *cr = NULL;
	long http = 0;
	enum bpg_err e;

	if (tt == NULL) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "move %s -> %s: "
		    "cluster %s is not monitored", a->previous_submission_id,
		    a->submission_id, a->cluster);
		return;
	}
	if ((e = bpg_db_attempt_cr(m->db, a->submission_id, &text, &ei)) !=
	    BPG_OK || text == NULL ||
	    (cr = json_loads(text, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "move %s -> %s: "
		    "cannot read the CR to create: %s",
		    a->previous_submission_id, a->submission_id,
		    e != BPG_OK ? ei.msg : "none kept");
		goto out;
	}
	reason(m, a, cr, why, sizeof(why));
	if (!bpg_monitor_confirm(m) || !new_row(m, a))
		goto out;
	if (bpg_db_attempt_mark_replaced(m->db, a->previous_submission_id,
	    why, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "move %s -> %s: "
		    "cannot mark the old row: %s", a->previous_submission_id,
		    a->submission_id, ei.msg);
		goto out;
	}
	if (!bpg_monitor_confirm(m))
		goto out;
	e = bpg_kube_try_create_app(tt->kube, cr, -1, &http, &ei);
	if (e == BPG_OK || e == BPG_EEXIST) {
		/* The name is the new ID: only this move makes it. */
		if (set_state(m, a, BPG_DB_ATTEMPT_DELETED,
		    BPG_DB_ATTEMPT_DONE, NULL))
			bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "%s", why);
		goto out;
	}
	if (http >= 400 && http < 500 && http != 429) {
		/* Refused: it will not pass by trying again. */
		bpg_monitor_log(m, BPG_MONITOR_LOG_ERR, "move %s -> %s: the "
		    "new SparkApplication was refused: %s",
		    a->previous_submission_id, a->submission_id, ei.msg);
		if (set_state(m, a, BPG_DB_ATTEMPT_DELETED,
		    BPG_DB_ATTEMPT_FAILED, ei.msg) &&
		    bpg_db_mark_failed(m->db, a->submission_id, ei.msg,
		    &ei) != BPG_OK)
			bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "move %s: "
			    "cannot mark failed: %s", a->submission_id,
			    ei.msg);
		goto out;
	}
	bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "move %s -> %s: create "
	    "failed, will try again: %s", a->previous_submission_id,
	    a->submission_id, ei.msg);
out:
	json_decref(cr);
	free(text);
}

/* Give up: the old app stays; the attempt's row says why. */
static void
abandon(struct bpg_monitor *m, const struct bpg_db_attempt *a,
    enum bpg_move_old old)
{
	const char *why = old == BPG_MOVE_OLD_STARTED
	    ? "not moved: the application started first"
	    : "not moved: the application is gone";

	if (!bpg_monitor_confirm(m) ||
	    !set_state(m, a, a->state, BPG_DB_ATTEMPT_ABANDONED, why))
		return;
	bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "move %s -> %s: %s",
	    a->previous_submission_id, a->submission_id, why);
}

/*
 * Carry a move on from the state its row records, as far as it goes now
 * (bpg_move_next()).
 */
static void
run_move(struct bpg_monitor *m, struct bpg_db_attempt a)
{
	const struct bpg_cluster *from;
	struct bpg_monitor_target *ft;
	struct bpg_errinfo ei;
	enum bpg_move_old old;
	json_t *cr;
	long http;
	int turn;
	enum bpg_err e;

	if (bpg_route_cluster_of_id(m->o.cfg, a.previous_submission_id, &from,
	    &ei) != BPG_OK || (ft = bpg_monitor_target_of(m, from)) == NULL) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "move %s -> %s: the "
		    "old cluster is not monitored", a.previous_submission_id,
		    a.submission_id);
		return;
	}
	for (turn = 0; turn < 4 && m->leader; turn++) {
		cr = NULL;
		old = strcmp(a.state, BPG_DB_ATTEMPT_DELETED) == 0
		    ? BPG_MOVE_OLD_GONE
		    : look(ft, a.previous_submission_id, a.previous_uid, &cr);
		switch (bpg_move_next(a.state, old)) {
		case BPG_MOVE_NOTHING:
		case BPG_MOVE_WAIT:
			json_decref(cr);
			return;
		case BPG_MOVE_ABANDON:
			json_decref(cr);
			abandon(m, &a, old);
			return;
		case BPG_MOVE_CREATE:
			json_decref(cr);
			if (strcmp(a.state, BPG_DB_ATTEMPT_DELETING) == 0) {
				if (!bpg_monitor_confirm(m) ||
				    !set_state(m, &a, a.state,
				    BPG_DB_ATTEMPT_DELETED, NULL))
					return;
			}
			snprintf(a.state, sizeof(a.state), "%s",
			    BPG_DB_ATTEMPT_DELETED);
			create_new(m, &a);
			return;
		case BPG_MOVE_DELETE:
			if (!bpg_monitor_confirm(m) ||
			    (strcmp(a.state, BPG_DB_ATTEMPT_PENDING) == 0 &&
			    !set_state(m, &a, a.state,
			    BPG_DB_ATTEMPT_DELETING, NULL))) {
				json_decref(cr);
				return;
			}
			snprintf(a.state, sizeof(a.state), "%s",
			    BPG_DB_ATTEMPT_DELETING);
			e = delete_if_same(ft, cr, &http, &ei);
			json_decref(cr);
			if (e == BPG_OK || e == BPG_ENOTFOUND)
				continue; /* now gone: create */
			bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "move %s -> "
			    "%s: delete %s: %s", a.previous_submission_id,
			    a.submission_id, http == 409 ? "refused (the "
			    "application changed); looking again" : "failed",
			    ei.msg);
			if (http != 409)
				return;
			continue;
		default:
			json_decref(cr);
			return;
		}
	}
}

/* Moves under way, left by this leader or an earlier one. */
static void
resume(struct bpg_monitor *m)
{
	struct bpg_db_attempt *open;
	struct bpg_errinfo ei;
	size_t i, n = 0;

	if ((open = calloc(64, sizeof(*open))) == NULL)
		return;
	if (bpg_db_attempt_open(m->db, open, 64, &n, &ei) != BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "moves under way: "
		    "cannot read: %s", ei.msg);
	for (i = 0; i < n && m->leader; i++)
		if (strcmp(open[i].cause, BPG_DB_ATTEMPT_MOVED) == 0)
			run_move(m, open[i]);
	free(open);
}

/* The suffix ("" if none) of the request stored in row. */
static void
suffix_of(const json_t *row, char *buf, size_t bufsz)
{
	const char *body = json_string_value(json_object_get(row,
	    "request_body"));
	json_t *req = body != NULL ? json_loads(body, 0, NULL) : NULL;
	const char *s = json_string_value(json_object_get(req,
	    "submissionIdSuffix"));

	snprintf(buf, bufsz, "%s", s != NULL ? s : "");
	json_decref(req);
}

/*
 * Step 1 for the app of entry ent, due to move (old_cr is its live CR):
 * choose the cluster and the ID, build the CR, write the intent, then
 * carry the move on.  Any reason not to move is logged once.
 */
static void
start_move(struct starve *s, struct bpg_monitor_target *t,
    struct bpg_monitor_entry *ent, const json_t *old_cr)
{
	struct bpg_monitor *m = t->m;
	const struct bpg_config *cfg = m->o.cfg;
	const struct bpg_cluster *from, *to, *c;
	const char *exclude[BPG_DB_MAX_ATTEMPTS + 2];
	struct bpg_db_attempt *rows = NULL, a, prev;
	struct bpg_errinfo ei;
	json_t *row = NULL, *cr = NULL;
	const char *body, *version, *q;
	char suffix[BPG_MAX_SUBMISSION_ID + 1], id[BPG_MAX_SUBMISSION_ID + 1];
	char *text = NULL;
	size_t i, n = 0, nex = 0;
	bool found = false;
	int last;
	enum bpg_err e;

	ent->move_at_ms = INT64_MAX; /* whatever happens: once */
	memset(&a, 0, sizeof(a));
	if (bpg_db_attempt_next(m->db, ent->name, &prev, &found, &ei) !=
	    BPG_OK)
		goto dberr;
	if (found)
		return; /* a move exists: resume() carries it on */
	if ((e = bpg_db_get_submission(m->db, ent->name, &row, &ei)) ==
	    BPG_ENOTFOUND) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "%s: %s: pending too "
		    "long, but not moved: it has no row", t->label, ent->name);
		goto out;
	}
	if (e != BPG_OK)
		goto dberr;
	body = json_string_value(json_object_get(row, "request_body"));
	version = json_string_value(json_object_get(row, "spark_version"));
	{
		json_t *req = body != NULL ? json_loads(body, 0, NULL) : NULL;
		bool pinned = json_string_length(json_object_get(req,
		    "clusterId")) > 0;

		json_decref(req);
		if (pinned) {
			bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "%s: %s: "
			    "pending too long, but its clusterId pins it",
			    t->label, ent->name);
			goto out;
		}
	}
	/* The job and its attempts: every cluster it ran on is out. */
	if (bpg_db_attempt_by_id(m->db, ent->name, &prev, &found, &ei) !=
	    BPG_OK)
		goto dberr;
	snprintf(a.job_id, sizeof(a.job_id), "%s", found ? prev.job_id :
	    ent->name);
	last = found ? prev.attempt : 1;
	if ((rows = calloc(BPG_DB_MAX_ATTEMPTS, sizeof(*rows))) == NULL)
		goto out;
	if (bpg_db_attempt_job(m->db, a.job_id, rows, BPG_DB_MAX_ATTEMPTS, &n,
	    &ei) != BPG_OK)
		goto dberr;
	if (bpg_route_cluster_of_id(cfg, a.job_id, &c, &ei) == BPG_OK)
		exclude[nex++] = c->id;
	if (bpg_route_cluster_of_id(cfg, ent->name, &from, &ei) != BPG_OK)
		goto out;
	exclude[nex++] = from->id;
	for (i = 0; i < n; i++) {
		if (rows[i].attempt > last)
			last = rows[i].attempt;
		if (strcmp(rows[i].state, BPG_DB_ATTEMPT_ABANDONED) != 0)
			exclude[nex++] = rows[i].cluster;
	}
	q = json_string_value(json_object_get(json_object_get(
	    json_object_get(old_cr, "metadata"), "labels"), "queue"));
	q = q != NULL && strncmp(q, "root.", 5) == 0 ? q + 5 : "";
	if ((e = bpg_move_pick(cfg, version, q, exclude, nex, &s->rng, &to,
	    &ei)) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "%s: %s: pending too "
		    "long, but not moved: %s", t->label, ent->name, ei.msg);
		goto out;
	}
	if (last + 1 > BPG_DB_MAX_ATTEMPTS)
		goto out;
	suffix_of(row, suffix, sizeof(suffix));
	if (bpg_route_new_id(to, suffix, &s->rng, id, &ei) != BPG_OK ||
	    bpg_move_build_cr(cfg, from, to, body, old_cr, id, s->zones, &cr,
	    &ei) != BPG_OK || (text = bpg_json_dump(cr, NULL)) == NULL) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "%s: %s: pending too "
		    "long, but not moved: %s", t->label, ent->name, ei.msg);
		goto out;
	}
	a.attempt = last + 1;
	snprintf(a.submission_id, sizeof(a.submission_id), "%s", id);
	snprintf(a.previous_submission_id, sizeof(a.previous_submission_id),
	    "%s", ent->name);
	snprintf(a.previous_uid, sizeof(a.previous_uid), "%s",
	    json_string_value(json_object_get(json_object_get(old_cr,
	    "metadata"), "uid")) != NULL ? json_string_value(json_object_get(
	    json_object_get(old_cr, "metadata"), "uid")) : "");
	snprintf(a.cluster, sizeof(a.cluster), "%s", to->id);
	snprintf(a.cause, sizeof(a.cause), "%s", BPG_DB_ATTEMPT_MOVED);
	snprintf(a.state, sizeof(a.state), "%s", BPG_DB_ATTEMPT_PENDING);
	if (!bpg_monitor_confirm(m))
		goto out;
	e = bpg_db_attempt_insert(m->db, &a, text, &ei);
	if (e == BPG_EEXIST) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "%s: %s: moved "
		    "by another monitor", t->label, ent->name);
		goto out;
	}
	if (e != BPG_OK)
		goto dberr;
	bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "%s: %s: pending too long: "
	    "moving to %s as %s (attempt %d)", t->label, ent->name, to->id, id,
	    a.attempt);
	run_move(m, a);
	/* What it left undone is taken up at the next check. */
	s->next_resume_ms = 0;
	goto out;
dberr:
	/* The database may be back at the next look. */
	bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "%s: %s: cannot move it "
	    "now: %s", t->label, ent->name, ei.msg);
	ent->move_at_ms = bpg_monitor_wall_ms() + BPG_MONITOR_STARVE_RETRY_MS;
out:
	free(text);
	json_decref(cr);
	free(rows);
	json_decref(row);
}

/* Look at a waiting entry: when it is due, move it. */
static void
check_one(struct starve *s, struct bpg_monitor_target *t,
    struct bpg_monitor_entry *ent, int64_t wall)
{
	const struct bpg_queue *qc;
	struct bpg_monitor_app app;
	struct bpg_errinfo ei;
	json_t *cr = NULL;
	enum bpg_move_old old;

	old = look(t, ent->name, NULL, &cr);
	if (old == BPG_MOVE_OLD_UNKNOWN) {
		ent->move_at_ms = wall + BPG_MONITOR_STARVE_RETRY_MS;
		return;
	}
	if (old != BPG_MOVE_OLD_WAITING) {
		/* Started, or gone: the list or the watch will say. */
		ent->move_at_ms = wall + BPG_MONITOR_STARVE_CHECK_MS * 5;
		json_decref(cr);
		return;
	}
	qc = queue_of(t->m->o.cfg, cr);
	if (qc == NULL || !qc->has_max_pending_millis ||
	    bpg_monitor_app_parse(cr, &app, &ei) != BPG_OK ||
	    app.created_ms < 0) {
		ent->move_at_ms = INT64_MAX;
		json_decref(cr);
		return;
	}
	if (wall - app.created_ms <= qc->max_pending_millis) {
		ent->move_at_ms = app.created_ms + qc->max_pending_millis + 1;
		json_decref(cr);
		return;
	}
	if (bpg_monitor_confirm(t->m))
		start_move(s, t, ent, cr);
	json_decref(cr);
}

static void
starve_check(struct bpg_monitor *m, struct starve *s)
{
	struct bpg_monitor_entry *e, *next;
	int64_t wall;
	size_t i, j;

	if (bpg_watch_now_ms() >= s->next_resume_ms) {
		s->next_resume_ms = bpg_watch_now_ms() +
		    BPG_MONITOR_STARVE_RETRY_MS;
		resume(m);
	}
	if (s->min_pending_ms <= 0)
		return;
	for (i = 0; i < m->nt && m->leader; i++) {
		struct bpg_monitor_target *t = &m->t[i];

		for (j = 0; j < t->apps.nb; j++)
			for (e = t->apps.b[j]; e != NULL; e = next) {
				next = e->next;
				wall = bpg_monitor_wall_ms();
				if (e->k.finished || !e->k.has_status ||
				    strcasecmp(e->k.status, "SUBMITTED") != 0 ||
				    wall < e->move_at_ms)
					continue;
				/* No app is due sooner after it is first seen
				 * waiting: no look before then. */
				if (e->move_at_ms == 0) {
					e->move_at_ms = wall +
					    s->min_pending_ms;
					continue;
				}
				check_one(s, t, e, wall);
				/* Stepping down cleared every table. */
				if (!m->leader)
					return;
			}
	}
}

static void
starve_lead(struct bpg_monitor *m, void *state, long long now)
{
	struct starve *s = state;

	s->next_ms = now;
	s->next_resume_ms = now;
}

static void
starve_step(struct bpg_monitor *m, void *state)
{
	struct starve *s = state;
	long long now = bpg_watch_now_ms();

	if (now < s->next_ms)
		return;
	s->next_ms = now + BPG_MONITOR_STARVE_CHECK_MS;
	starve_check(m, s);
}

static long long
starve_due(const struct bpg_monitor *m, const void *state)
{
	const struct starve *s = state;

	return s->next_ms;
}

static void
starve_free(void *state)
{
	struct starve *s = state;

	if (s == NULL)
		return;
	bpg_zones_free(s->zones);
	free(s);
}

static enum bpg_err
starve_init(struct bpg_monitor *m, void **state, struct bpg_errinfo *ei)
{
	struct starve *s;
	enum bpg_err e;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	*state = s;
	s->next_ms = LLONG_MAX;
	for (i = 0; i < m->o.cfg->nqueues; i++) {
		const struct bpg_queue *q = &m->o.cfg->queues[i];

		if (q->has_max_pending_millis && (s->min_pending_ms == 0 ||
		    q->max_pending_millis < s->min_pending_ms))
			s->min_pending_ms = q->max_pending_millis;
	}
	if (bpg_zones_new(&s->zones) != BPG_OK)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	if ((e = bpg_rng_seed(&s->rng)) != BPG_OK)
		return bpg_errf(ei, e, "cannot seed the random generator");
	return BPG_OK;
}

const struct bpg_monitor_task bpg_monitor_task_starve = {
	.name = "starve",
	.init = starve_init,
	.lead = starve_lead,
	.step = starve_step,
	.due = starve_due,
	.free = starve_free,
};
