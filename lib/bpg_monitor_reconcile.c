/*
 * The monitor's reconcile task (bpg_monitor_int.h): per namespace, list
 * the SparkApplications page by page, then watch them from the list's
 * resourceVersion; every item and every event is compared with the row
 * in the database and turned into the statements of bpg_db.h.
 *
 * A row is read from the database the first time an app is seen and
 * again on every list, so the decision for an observation
 * (bpg_monitor_decide()) always starts from the database, not from
 * memory; the target's table only spares a SELECT per watch event.  A
 * list that completes runs the tasks' listed hooks (the LOST sweep)
 * before the watch starts.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bpg_crd.h"
#include "bpg_db.h"
#include "bpg_db_monbatch.h"
#include "bpg_kube.h"
#include "bpg_metrics.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_watch.h"


/* Re-list now (if no back-off is running and now_ok) or after back-off. */
static void
schedule_relist(struct bpg_monitor_target *t, bool now_ok)
{
	long long now = bpg_watch_now_ms();

	bpg_watch_stop(t->watch);
	t->need_list = true;
	t->need_watch = false;
	if (now_ok && t->backoff_ms == 0) {
		t->next_try_ms = now;
		return;
	}
	if (t->backoff_ms == 0)
		t->backoff_ms = BPG_MONITOR_BACKOFF_MIN_MS;
	else if ((t->backoff_ms *= 2) > BPG_MONITOR_BACKOFF_MAX_MS)
		t->backoff_ms = BPG_MONITOR_BACKOFF_MAX_MS;
	t->next_try_ms = now + t->backoff_ms;
}

/*
 * One observation
 */

/* The driver pod's start and resources, then S5 (and S8). */
static enum bpg_err
record_start(struct bpg_monitor_target *t, struct bpg_monitor_entry *ent,
    const struct bpg_monitor_app *app)
{
	struct bpg_monitor *m = t->m;
	struct bpg_db_app_start s;
	struct bpg_monitor_pod pod;
	struct bpg_errinfo ei;
	char pname[BPG_MONITOR_MAX_NAME + 1];
	json_t *doc = NULL;
	enum bpg_err e;

	/* The CR names its driver pod; "<name>-driver" is only a guess. */
	if (app->has_driver_pod)
		bpg_monitor_take(pname, sizeof(pname), app->driver_pod);
	else if ((size_t)snprintf(pname, sizeof(pname), "%s-driver",
		     app->name) >= sizeof(pname))
		return BPG_EINVAL;
	e = bpg_kube_get_pod(t->kube, pname, &doc, &ei);
	if (e == BPG_ENOTFOUND) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO,
		    "%s: %s: driver pod %s not "
		    "found; start_time left empty",
		    t->label, app->name, pname);
		ent->k.start_checked = true;
		return e;
	}
	if (e != BPG_OK) {
		/*
		 * Not worth a re-list of the namespace: the start is only
		 * late, and the next event or resync asks again.
		 */
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
		    "%s: %s: reading the driver pod "
		    "failed: %s",
		    t->label, app->name, ei.msg);
		return e;
	}
	e = bpg_monitor_pod_parse(doc, &pod, &ei);
	json_decref(doc);
	if (e != BPG_OK) {
		bpg_monitor_step_failed(
		    t, BPG_EINVAL, app->name, "reading the driver pod", ei.msg);
		ent->k.start_checked = true;
		return e;
	}
	if (pod.bad[0] != '\0')
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
		    "%s: %s: driver pod %s: ignored "
		    "invalid %s",
		    t->label, app->name, pname, pod.bad);
	if (pod.start_ms < 0) {
		/* Not started: wait for the next event, unless it is over. */
		if (bpg_monitor_terminal(app->state))
			ent->k.start_checked = true;
		return BPG_ENOTFOUND;
	}
	memset(&s, 0, sizeof(s));
	s.start_ms = pod.start_ms;
	/* What Kubernetes reserved; the spec when the pod says nothing. */
	s.driver_core = pod.cores >= 0 ? pod.cores : app->driver_cores;
	s.driver_memory_mb =
	    pod.memory_mb >= 0 ? pod.memory_mb : app->driver_memory_mb;
	s.number_executor = app->executor_instances;
	s.executor_core = app->executor_cores;
	s.executor_memory_mb = app->executor_memory_mb;
	s.dag_name = app->has_dag_name ? app->dag_name : NULL;
	s.task_name = app->has_task_name ? app->task_name : NULL;
	s.app_name = app->has_app_name ? app->app_name : NULL;
	if ((e = bpg_db_monitor_start(m->db, app->name, &s, &ei)) != BPG_OK) {
		bpg_monitor_step_failed(
		    t, e, app->name, "recording the start", ei.msg);
		if (!bpg_monitor_transient(e))
			ent->k.start_checked = true;
		return e;
	}
	bpg_monitor_log(m, BPG_MONITOR_LOG_DEBUG,
	    "%s: %s: started at %lld, driver %lld "
	    "cores %lld MiB, %lld executors of %lld cores %lld MiB",
	    t->label, app->name, (long long)s.start_ms,
	    (long long)s.driver_core, (long long)s.driver_memory_mb,
	    (long long)s.number_executor, (long long)s.executor_core,
	    (long long)s.executor_memory_mb);
	return BPG_OK;
}

static void
record_cost(struct bpg_monitor_target *t, const char *name)
{
	struct bpg_errinfo ei;
	enum bpg_err e;

	if ((e = bpg_db_monitor_cost(t->m->db, name, t->m->mb_cost,
		 t->m->core_cost, &ei)) != BPG_OK)
		bpg_monitor_step_failed(
		    t, e, name, "recording the cost", ei.msg);
}

/* Carry out the actions; returns those that succeeded. */
static unsigned int
apply(struct bpg_monitor_target *t, struct bpg_monitor_entry *ent,
    const struct bpg_monitor_app *app, unsigned int act)
{
	struct bpg_monitor *m = t->m;
	struct bpg_errinfo ei;
	unsigned int done = 0;
	enum bpg_err e;

	/*
	 * The start goes first when the row exists, so that a reader who
	 * sees RUNNING also sees start_time; S5 needs the row, so a new one
	 * is created by the state upsert first.
	 */
	if ((act & BPG_MONITOR_DO_START) != 0 && ent->k.found &&
	    record_start(t, ent, app) == BPG_OK)
		done |= BPG_MONITOR_DO_START;
	if ((act & BPG_MONITOR_DO_STATE) != 0) {
		/* A terminal state is written by FINISH, with its time. */
		e = bpg_db_monitor_state(m->db, app->name,
		    (act & BPG_MONITOR_DO_FINISH) != 0 ? NULL : app->state,
		    app->has_app_id ? app->app_id : NULL, &ei);
		if (e != BPG_OK) {
			bpg_monitor_step_failed(
			    t, e, app->name, "recording the state", ei.msg);
			return done;
		}
		done |= BPG_MONITOR_DO_STATE;
		if (!ent->k.finished &&
		    (!ent->k.has_status ||
			strcmp(ent->k.status, app->state) != 0))
			bpg_monitor_log(m, BPG_MONITOR_LOG_INFO,
			    "%s: %s: %s -> %s", t->label, app->name,
			    ent->k.has_status ? ent->k.status : "(none)",
			    app->state);
	}
	if ((act & BPG_MONITOR_DO_START) != 0 && !ent->k.found &&
	    record_start(t, ent, app) == BPG_OK)
		done |= BPG_MONITOR_DO_START;
	if ((act & BPG_MONITOR_DO_FINISH) != 0) {
		if (bpg_monitor_record_finish(
			t, app->name, app->state, app->terminated_ms) != BPG_OK)
			return done;
		done |= BPG_MONITOR_DO_FINISH;
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "%s: %s: finished %s",
		    t->label, app->name, app->state);
	}
	if ((act & BPG_MONITOR_DO_LOST) != 0) {
		if (bpg_monitor_record_finish(
			t, app->name, BPG_MONITOR_LOST, -1) != BPG_OK)
			return done;
		done |= BPG_MONITOR_DO_LOST;
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO,
		    "%s: %s: deleted while %s: "
		    "recorded as " BPG_MONITOR_LOST,
		    t->label, app->name,
		    app->has_state ? app->state : "without a state");
	}
	if ((act & BPG_MONITOR_DO_COST) != 0)
		record_cost(t, app->name);
	return done;
}

/* The known row of ent from row, as read_row() fills it. */
static void
take_row(struct bpg_monitor_entry *ent, const struct bpg_db_app *row)
{
	bool checked = ent->k.start_checked;

	memset(&ent->k, 0, sizeof(ent->k));
	ent->k.found = row->found;
	ent->k.has_status = row->has_status;
	bpg_monitor_take(ent->k.status, sizeof(ent->k.status), row->status);
	ent->k.has_app_id = row->has_app_id;
	bpg_monitor_take(ent->k.app_id, sizeof(ent->k.app_id), row->app_id);
	ent->k.started = row->started;
	ent->k.finished = row->finished;
	/* Only this run looked at the pod. */
	ent->k.start_checked = checked;
}

/* Fill ent->k from the database; false (target dirty) on failure. */
static bool
read_row(struct bpg_monitor_target *t, struct bpg_monitor_entry *ent)
{
	struct bpg_db_app row;
	struct bpg_errinfo ei;
	enum bpg_err e;

	if (!bpg_db_enabled(t->m->db))
		return true;
	if ((e = bpg_db_monitor_read(t->m->db, ent->name, &row, &ei)) !=
	    BPG_OK) {
		bpg_monitor_step_failed(
		    t, e, ent->name, "reading the row", ei.msg);
		return false;
	}
	take_row(ent, &row);
	return true;
}

/* What the actions done (of act) leave in ent. */
static void
observed(struct bpg_monitor_target *t, struct bpg_monitor_entry *ent,
    const struct bpg_monitor_app *app, unsigned int act, unsigned int done)
{
	bpg_monitor_known_apply(&ent->k, app, done);
	if (ent->move_at_ms == 0)
		ent->move_at_ms =
		    bpg_monitor_starve_first_look(t->m->o.cfg, app);
	if ((act & BPG_MONITOR_DO_TRACK) != 0) {
		if (!ent->tracked)
			bpg_monitor_log(t->m, BPG_MONITOR_LOG_DEBUG,
			    "%s: %s: running, "
			    "maxRunningMillis %lld",
			    t->label, app->name, (long long)app->max_running_ms);
		ent->tracked = true;
		ent->created_ms = app->created_ms;
		ent->max_ms = app->max_running_ms;
		bpg_monitor_take(ent->uid, sizeof(ent->uid), app->uid);
	} else
		ent->tracked = false;
}

/*
 * The entry of the SparkApplication obj, parsed into app (*fresh: new in
 * the table), or NULL if it is ignored.
 */
static struct bpg_monitor_entry *
entry_of(struct bpg_monitor_target *t, const json_t *obj,
    enum bpg_monitor_event ev, struct bpg_monitor_app *app, bool *fresh)
{
	struct bpg_monitor *m = t->m;
	struct bpg_errinfo ei;
	struct bpg_monitor_entry *ent;

	if (bpg_monitor_app_parse(obj, app, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
		    "%s: ignoring a SparkApplication"
		    ": %s",
		    t->label, ei.msg);
		return NULL;
	}
	if (ev != BPG_MONITOR_EV_LIST)
		bpg_monitor_log(m, BPG_MONITOR_LOG_DEBUG,
		    "%s: %s: %s, state %s", t->label, app->name,
		    ev == BPG_MONITOR_EV_ADDED		? "ADDED"
			: ev == BPG_MONITOR_EV_MODIFIED ? "MODIFIED"
							: "DELETED",
		    app->has_state ? app->state : "(none)");
	if (app->bad[0] != '\0')
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
		    "%s: %s: ignored invalid %s", t->label, app->name,
		    app->bad);
	*fresh = (ent = bpg_monitor_tab_get(&t->apps, app->name)) == NULL;
	if (*fresh &&
	    (ent = bpg_monitor_tab_add(&t->apps, app->name)) == NULL) {
		bpg_monitor_step_failed(t, BPG_ENOMEM, app->name, "tracking",
		    "out of "
		    "memory");
		return NULL;
	}
	if (ev == BPG_MONITOR_EV_LIST)
		ent->gen = t->gen;
	return ent;
}

/* One SparkApplication from a watch event: the actions done. */
static unsigned int
observe(
    struct bpg_monitor_target *t, const json_t *obj, enum bpg_monitor_event ev)
{
	struct bpg_monitor_app app;
	struct bpg_monitor_entry *ent;
	unsigned int act, done;
	bool fresh;

	if ((ent = entry_of(t, obj, ev, &app, &fresh)) == NULL)
		return 0;
	/* A list always compares with the database (quirk 16). */
	if ((fresh || ev == BPG_MONITOR_EV_LIST) && !read_row(t, ent))
		return 0;
	act = bpg_monitor_decide(&ent->k, &app, ev);
	done = apply(t, ent, &app, act);
	observed(t, ent, &app, act, done);
	if (ev == BPG_MONITOR_EV_DELETED)
		bpg_monitor_tab_del(&t->apps, ent);
	return done;
}


static void
start_watch(struct bpg_monitor_target *t, const char *rv)
{
	struct bpg_errinfo ei;
	long tmo = t->m->o.watch_timeout_s > 0 ? t->m->o.watch_timeout_s
					       : BPG_MONITOR_WATCH_TIMEOUT_S;

	t->need_watch = false;
	if (bpg_watch_start(t->watch, rv, tmo, &ei) != BPG_OK) {
		bpg_monitor_log(t->m, BPG_MONITOR_LOG_WARN,
		    "%s: cannot watch: %s", t->label, ei.msg);
		bpg_monitor_reach_failed(t, ei.msg);
		schedule_relist(t, false);
	}
}

/*
 * A list's items go by pages of BPG_DB_MONBATCH_MAX: one SELECT reads
 * their rows, the decisions are made in memory, and the applications
 * that only need their state written get it in one multi-row upsert.
 * The rest (a driver pod to read, a finish and its cost) take their own
 * statements, as a watch event's do.
 */
struct list_page {
	struct bpg_monitor_target *t;
	json_t *items; /* the page so far */
	struct bpg_monitor_app apps[BPG_DB_MONBATCH_MAX];
	struct bpg_monitor_entry *ents[BPG_DB_MONBATCH_MAX];
	const char *ids[BPG_DB_MONBATCH_MAX];
	struct bpg_db_app rows[BPG_DB_MONBATCH_MAX];
	unsigned int act[BPG_DB_MONBATCH_MAX];
	struct bpg_db_state_row states[BPG_DB_MONBATCH_MAX];
	size_t of_state[BPG_DB_MONBATCH_MAX]; /* states[j]: apps[of_state[j]] */
};

/* Only the state to write: the page's upsert can take it. */
static bool
state_only(unsigned int act)
{
	return (act & (BPG_MONITOR_DO_STATE | BPG_MONITOR_DO_START |
		       BPG_MONITOR_DO_FINISH | BPG_MONITOR_DO_LOST |
		       BPG_MONITOR_DO_COST)) == BPG_MONITOR_DO_STATE;
}

/* The page's rows read into its entries; false (target dirty) if not. */
static bool
page_read(struct list_page *p, size_t n)
{
	struct bpg_monitor_target *t = p->t;
	struct bpg_errinfo ei;
	enum bpg_err e;
	size_t i;

	if (!bpg_db_enabled(t->m->db))
		return true;
	if ((e = bpg_db_monitor_read_many(t->m->db, p->ids, n, p->rows,
		 &ei)) != BPG_OK) {
		bpg_monitor_step_failed(t, e, p->ids[0],
		    "reading the rows of its page", ei.msg);
		return false;
	}
	for (i = 0; i < n; i++)
		take_row(p->ents[i], &p->rows[i]);
	return true;
}

/* The page's items observed; the page is empty after. */
static void
page_flush(struct list_page *p)
{
	struct bpg_monitor_target *t = p->t;
	struct bpg_monitor_app *app;
	struct bpg_monitor_entry *ent;
	struct bpg_errinfo ei;
	size_t i, n = 0, ns = 0;
	unsigned int done;
	enum bpg_err e;
	bool fresh;

	for (i = 0; i < json_array_size(p->items); i++) {
		ent = entry_of(t, json_array_get(p->items, i),
		    BPG_MONITOR_EV_LIST, &p->apps[n], &fresh);
		if (ent == NULL)
			continue;
		p->ents[n] = ent;
		p->ids[n] = ent->name;
		n++;
	}
	json_array_clear(p->items);
	/* A list always compares with the database (quirk 16). */
	if (n == 0 || !page_read(p, n))
		return;
	for (i = 0; i < n; i++) {
		app = &p->apps[i];
		p->act[i] = bpg_monitor_decide(
		    &p->ents[i]->k, app, BPG_MONITOR_EV_LIST);
		if (state_only(p->act[i])) {
			p->states[ns].id = app->name;
			p->states[ns].status = app->state;
			p->states[ns].app_id =
			    app->has_app_id ? app->app_id : NULL;
			p->of_state[ns++] = i;
			continue;
		}
		done = apply(t, p->ents[i], app, p->act[i]);
		observed(t, p->ents[i], app, p->act[i], done);
	}
	if (ns == 0)
		return;
	e = bpg_db_monitor_state_many(t->m->db, p->states, ns, &ei);
	if (e != BPG_OK && !bpg_monitor_transient(e)) {
		/* A row refused must not hold back the others. */
		for (i = 0; i < ns; i++) {
			app = &p->apps[p->of_state[i]];
			ent = p->ents[p->of_state[i]];
			done = apply(t, ent, app, p->act[p->of_state[i]]);
			observed(t, ent, app, p->act[p->of_state[i]], done);
		}
		return;
	}
	if (e != BPG_OK)
		bpg_monitor_step_failed(t, e, p->states[0].id,
		    "recording the states of its page", ei.msg);
	for (i = 0; i < ns; i++) {
		app = &p->apps[p->of_state[i]];
		ent = p->ents[p->of_state[i]];
		if (e == BPG_OK && !ent->k.finished &&
		    (!ent->k.has_status ||
			strcmp(ent->k.status, app->state) != 0))
			bpg_monitor_log(t->m, BPG_MONITOR_LOG_INFO,
			    "%s: %s: %s -> %s", t->label, app->name,
			    ent->k.has_status ? ent->k.status : "(none)",
			    app->state);
		observed(t, ent, app, p->act[p->of_state[i]],
		    e == BPG_OK ? BPG_MONITOR_DO_STATE : 0);
	}
}

/*
 * The page's items observed, if this process still leads: a list can take
 * as long as the cluster's timeout a page, so the lease is confirmed
 * before each page's writes (BPG_DB_MONBATCH_MAX is at most
 * BPG_MONITOR_CONFIRM_EVERY).
 */
static bool
page_write(struct list_page *p)
{
	if (json_array_size(p->items) == 0)
		return true;
	if (!bpg_monitor_confirm(p->t->m)) {
		json_array_clear(p->items);
		return false;
	}
	page_flush(p);
	return true;
}

_Static_assert(BPG_DB_MONBATCH_MAX <= BPG_MONITOR_CONFIRM_EVERY,
    "a page is written on one confirmation");

/* A list's item: into the page, which is written once full. */
static enum bpg_err
list_item(void *arg, const json_t *it, struct bpg_errinfo *ei)
{
	struct list_page *p = arg;

	if (json_array_append(p->items, (json_t *)(uintptr_t)it) != 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	p->t->listed++;
	if (json_array_size(p->items) >= BPG_DB_MONBATCH_MAX &&
	    !page_write(p))
		return bpg_errf(ei, BPG_ECONFLICT, "no longer the leader");
	return BPG_OK;
}

/*
 * The list starts again (bpg_kube_list_apps()): what it saw so far no
 * longer counts as seen by it; the LOST sweep compares with the new pass
 * only.  What it saw is still written.
 */
static void
list_restart(void *arg)
{
	struct list_page *p = arg;
	struct bpg_monitor_target *t = p->t;

	(void)page_write(p);
	bpg_monitor_log(t->m, BPG_MONITOR_LOG_INFO,
	    "%s: the list expired after %zu "
	    "applications; listing again from the start",
	    t->label, t->listed);
	t->gen++;
	t->listed = 0;
}

static void
relist(struct bpg_monitor_target *t)
{
	struct bpg_monitor *m = t->m;
	struct bpg_errinfo ei;
	char rvbuf[BPG_WATCH_MAX_RV + 1];
	struct list_page *p;
	enum bpg_err e;

	bpg_watch_stop(t->watch);
	t->need_list = t->need_watch = false;
	t->dirty = false;
	t->gen++;
	bpg_metrics_inc(m->o.metrics, BPG_METRIC_MON_RELISTS,
	    BPG_LV(t->cluster->id));
	t->listed = 0;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->items = json_array()) == NULL) {
		free(p);
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
		    "%s: no memory for a list", t->label);
		schedule_relist(t, false);
		return;
	}
	p->t = t;
	/* Page by page: a namespace of thousands fits no one answer. */
	e = bpg_kube_list_apps(t->kube, NULL, list_item, list_restart, p,
	    rvbuf, sizeof(rvbuf), &ei);
	/* What was listed is written, the list complete or not. */
	if (m->leader)
		(void)page_write(p);
	json_decref(p->items);
	free(p);
	if (e != BPG_OK) {
		if (!m->leader)
			return;
		bpg_monitor_reach_failed(t, ei.msg);
		schedule_relist(t, false);
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
		    "%s: list failed after %zu applications: %s; retrying "
		    "in %ld ms",
		    t->label, t->listed, ei.msg, t->backoff_ms);
		return;
	}
	bpg_monitor_reach_ok(t);
	/* The sweep writes too: the lease is confirmed once more. */
	if (!m->leader || !bpg_monitor_confirm(m))
		return;
	bpg_monitor_listed(m, t);
	if (t->dirty) {
		schedule_relist(t, false);
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
		    "%s: some updates failed; "
		    "listing again in %ld ms",
		    t->label, t->backoff_ms);
		return;
	}
	bpg_monitor_log(m, BPG_MONITOR_LOG_DEBUG,
	    "%s: listed %zu applications at "
	    "resourceVersion %s; watching",
	    t->label, t->listed, rvbuf);
	if (bpg_monitor_resync_ms(m) > 0)
		t->next_resync_ms =
		    bpg_watch_now_ms() + bpg_monitor_resync_ms(m);
	start_watch(t, rvbuf);
}

/* CLOCK_MONOTONIC in seconds, to the nanosecond. */
static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_event(void *arg, const struct bpg_watch_event *ev)
{
	struct bpg_monitor_target *t = arg;
	enum bpg_monitor_event me;
	double t0 = mono_s();
	unsigned int done;

	switch (ev->type) {
	case BPG_WATCH_ADDED:
		me = BPG_MONITOR_EV_ADDED;
		break;
	case BPG_WATCH_MODIFIED:
		me = BPG_MONITOR_EV_MODIFIED;
		break;
	case BPG_WATCH_DELETED:
		me = BPG_MONITOR_EV_DELETED;
		break;
	default:
		return;
	}
	/* Each batch of events is written under a lease still valid. */
	if (!bpg_monitor_may_write(t->m))
		return;
	done = observe(t, ev->object, me);
	/* From the event's arrival here to its row written. */
	if ((done & (BPG_MONITOR_DO_STATE | BPG_MONITOR_DO_START |
	    BPG_MONITOR_DO_FINISH | BPG_MONITOR_DO_LOST)) != 0)
		bpg_metrics_observe(t->m->o.metrics, BPG_METRIC_MON_EVENT_DB,
		    NULL, mono_s() - t0);
	if (t->dirty) {
		schedule_relist(t, false);
		bpg_monitor_log(t->m, BPG_MONITOR_LOG_WARN,
		    "%s: an update failed; "
		    "listing again in %ld ms",
		    t->label, t->backoff_ms);
	}
}

static void
on_end(void *arg, enum bpg_watch_end how, const char *detail)
{
	struct bpg_monitor_target *t = arg;
	long long now = bpg_watch_now_ms();
	long long age = now - bpg_watch_started_ms(t->watch);

	bpg_metrics_inc(t->m->o.metrics, BPG_METRIC_MON_WATCH_RESTARTS,
	    BPG_LV(t->cluster->id));
	if (age >= BPG_MONITOR_HEALTHY_MS)
		t->backoff_ms = 0;
	switch (how) {
	case BPG_WATCH_END_CLOSED:
		if (age >= 1000) {
			/* The server's timeout: resume where it ended. */
			bpg_monitor_log(t->m, BPG_MONITOR_LOG_DEBUG,
			    "%s: watch %s; "
			    "resuming at %s",
			    t->label, detail, bpg_watch_rv(t->watch));
			t->need_watch = true;
			t->next_try_ms = now;
			return;
		}
		schedule_relist(t, false);
		bpg_monitor_log(t->m, BPG_MONITOR_LOG_WARN,
		    "%s: watch %s after %lld ms;"
		    " listing again in %ld ms",
		    t->label, detail, age, t->backoff_ms);
		return;
	case BPG_WATCH_END_EXPIRED:
		schedule_relist(t, true);
		bpg_monitor_log(t->m, BPG_MONITOR_LOG_INFO,
		    "%s: watch expired (%s); "
		    "listing again",
		    t->label, detail);
		return;
	default:
		schedule_relist(t, false);
		bpg_monitor_log(t->m, BPG_MONITOR_LOG_WARN,
		    "%s: watch failed: %s; "
		    "listing again in %ld ms",
		    t->label, detail, t->backoff_ms);
		return;
	}
}


/*
 * The task
 */

static void
reconcile_lead(struct bpg_monitor *m, void *state, long long now)
{
	size_t i;

	for (i = 0; i < m->nt; i++) {
		m->t[i].need_list = true;
		m->t[i].need_watch = false;
		m->t[i].next_try_ms = now;
		m->t[i].backoff_ms = 0;
	}
}

static void
reconcile_step(struct bpg_monitor *m, void *state)
{
	long long now;
	size_t i;

	for (i = 0; i < m->nt && m->leader; i++) {
		struct bpg_monitor_target *t = &m->t[i];

		now = bpg_watch_now_ms();
		/* The periodic full resync is a re-list (section 10.2). */
		if (m->resync ||
		    (bpg_monitor_resync_ms(m) > 0 && !t->need_list &&
			now >= t->next_resync_ms)) {
			t->need_list = true;
			t->next_try_ms = now;
		}
		if (t->need_list && now >= t->next_try_ms)
			relist(t);
		else if (t->need_watch && now >= t->next_try_ms)
			start_watch(t, bpg_watch_rv(t->watch));
	}
	m->resync = false;
}

static long long
reconcile_due(const struct bpg_monitor *m, const void *state)
{
	long long due = LLONG_MAX;
	size_t i;

	for (i = 0; i < m->nt; i++) {
		const struct bpg_monitor_target *t = &m->t[i];

		if (t->need_list || t->need_watch) {
			if (t->next_try_ms < due)
				due = t->next_try_ms;
		} else if (bpg_monitor_resync_ms(m) > 0 &&
		    t->next_resync_ms < due)
			due = t->next_resync_ms;
	}
	return due;
}

static void
reconcile_standby(struct bpg_monitor *m, void *state)
{
	size_t i;

	for (i = 0; i < m->nt; i++) {
		bpg_watch_stop(m->t[i].watch);
		m->t[i].need_list = m->t[i].need_watch = false;
		m->t[i].dirty = false;
	}
}

/* A watch per namespace, in the driver's watch set (which frees them). */
static enum bpg_err
reconcile_init(struct bpg_monitor *m, void **state, struct bpg_errinfo *ei)
{
	struct bpg_monitor_target *t;
	char path[512];
	enum bpg_err e;
	size_t i;

	for (i = 0; i < m->nt; i++) {
		t = &m->t[i];
		snprintf(path, sizeof(path),
		    "/apis/" BPG_CRD_GROUP "/" BPG_CRD_VERSION
		    "/namespaces/%s/" BPG_CRD_PLURAL,
		    t->cluster->namespace);
		if ((e = bpg_watch_new(m->ws, t->cluster, path, on_event,
			 on_end, t, &t->watch, ei)) != BPG_OK)
			return e;
	}
	return BPG_OK;
}

const struct bpg_monitor_task bpg_monitor_task_reconcile = {
	.name = "reconcile",
	.init = reconcile_init,
	.lead = reconcile_lead,
	.step = reconcile_step,
	.due = reconcile_due,
	.standby = reconcile_standby,
};
