/*
 * The monitor's kill task (bpg_monitor_int.h; section 10.3, quirk 15
 * fixed): every BPG_MONITOR_KILL_CHECK_MS, the apps the lists and events
 * saw RUNNING that have run longer than their maxRunningMillis have
 * their driver pod deleted, after a fresh look at the app.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_kube.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_watch.h"

/* The task's state. */
struct kill {
	long long next_ms; /* next check, monotonic */
};

static void
kill_one(
    struct bpg_monitor_target *t, struct bpg_monitor_entry *ent, long long now)
{
	struct bpg_monitor *m = t->m;
	struct bpg_monitor_app app;
	struct bpg_errinfo ei;
	char path[512];
	json_t *doc = NULL;
	enum bpg_err e;
	long long ran;

	/* Look again: it must still be this app, RUNNING, and over time. */
	e = bpg_kube_get_app(t->kube, ent->name, &doc, &ei);
	if (e == BPG_ENOTFOUND) {
		ent->tracked = false;
		return;
	}
	if (e != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
		    "%s: %s: cannot check before "
		    "killing: %s",
		    t->label, ent->name, ei.msg);
		ent->kill_not_before = now + BPG_MONITOR_KILL_RETRY_MS;
		return;
	}
	e = bpg_monitor_app_parse(doc, &app, &ei);
	json_decref(doc);
	if (e != BPG_OK || !app.has_state ||
	    strcasecmp(app.state, "RUNNING") != 0 ||
	    (ent->uid[0] != '\0' && strcmp(ent->uid, app.uid) != 0)) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO,
		    "%s: %s: not killed: no longer "
		    "running",
		    t->label, ent->name);
		ent->tracked = false;
		return;
	}
	ent->created_ms = app.created_ms;
	ent->max_ms = app.max_running_ms;
	ran = bpg_monitor_wall_ms() - app.created_ms;
	if (app.created_ms < 0 || ran <= app.max_running_ms)
		return;
	if (!app.has_driver_pod) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
		    "%s: %s: over maxRunningMillis "
		    "but names no driver pod; not killed",
		    t->label, ent->name);
		ent->tracked = false;
		return;
	}
	if ((size_t)snprintf(path, sizeof(path),
		"/api/v1/namespaces/%s/"
		"pods/%s",
		t->cluster->namespace, app.driver_pod) >= sizeof(path))
		return;
	e = bpg_kube_request(t->kube, "DELETE", path, NULL, NULL, NULL, &ei);
	if (e != BPG_OK && e != BPG_ENOTFOUND) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
		    "%s: %s: kill failed: %s", t->label, ent->name, ei.msg);
		ent->kill_not_before = now + BPG_MONITOR_KILL_RETRY_MS;
		return;
	}
	bpg_monitor_log(m, BPG_MONITOR_LOG_INFO,
	    "%s: %s: killed (driver pod %s "
	    "deleted): running %lld ms, maxRunningMillis %lld",
	    t->label, ent->name, app.driver_pod, ran,
	    (long long)app.max_running_ms);
	ent->tracked = false;
}

static void
kill_check(struct bpg_monitor *m)
{
	struct bpg_monitor_entry *e;
	long long wall = bpg_monitor_wall_ms(), now = bpg_watch_now_ms();
	size_t i, j;

	for (i = 0; i < m->nt; i++) {
		struct bpg_monitor_target *t = &m->t[i];

		for (j = 0; j < t->apps.nb; j++)
			for (e = t->apps.b[j]; e != NULL; e = e->next) {
				if (!e->tracked || e->created_ms < 0 ||
				    wall - e->created_ms <= e->max_ms ||
				    now < e->kill_not_before)
					continue;
				/* Never kill on a lease we may have lost:
				 * each kill may wait on the cluster. */
				if (!bpg_monitor_confirm(m))
					return;
				kill_one(t, e, now);
			}
	}
}

static void
kill_lead(struct bpg_monitor *m, void *state, long long now)
{
	struct kill *k = state;

	k->next_ms = now + BPG_MONITOR_KILL_CHECK_MS;
}

static void
kill_step(struct bpg_monitor *m, void *state)
{
	struct kill *k = state;
	long long now = bpg_watch_now_ms();

	if (now < k->next_ms)
		return;
	k->next_ms = now + BPG_MONITOR_KILL_CHECK_MS;
	kill_check(m);
}

static long long
kill_due(const struct bpg_monitor *m, const void *state)
{
	const struct kill *k = state;

	return k->next_ms;
}

static enum bpg_err
kill_init(struct bpg_monitor *m, void **state, struct bpg_errinfo *ei)
{
	if ((*state = calloc(1, sizeof(struct kill))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

const struct bpg_monitor_task bpg_monitor_task_kill = {
	.name = "kill",
	.init = kill_init,
	.lead = kill_lead,
	.step = kill_step,
	.due = kill_due,
	.free = free,
};
