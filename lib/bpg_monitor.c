/*
 * The application monitor's driver (see bpg_monitor.h; bpg-reference
 * sections 9.2, 9.3, 10 and quirks 13 to 17).
 *
 * The driver owns the leader lease, the database handles, the watch set
 * and one target per namespace with its Kubernetes client and its table
 * of apps; the work is done by the tasks of the table below
 * (bpg_monitor_int.h), which it runs in order while it is the leader.
 * Any step of a task that fails for a reason that may pass (database or
 * API server unavailable) marks the target dirty, which schedules a
 * re-list after back-off; the re-list compares everything again, so no
 * transition is lost.  Failures that will not pass (a value that does not
 * fit a column) are logged and skipped.
 */
#include <sys/random.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpg_db.h"
#include "bpg_db_lease.h"
#include "bpg_kube.h"
#include "bpg_lease.h"
#include "bpg_metrics.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_watch.h"

/*
 * The tasks, run in this order at each step.  The LOST sweep follows the
 * reconcile task's lists (its listed hook); kills and starvation moves
 * come last, on the table the lists just refreshed.
 */
static const struct bpg_monitor_task *const tasks[] = {
	&bpg_monitor_task_reconcile,
	&bpg_monitor_task_lost,
	&bpg_monitor_task_kill,
	&bpg_monitor_task_idem,
	&bpg_monitor_task_reach,
	&bpg_monitor_task_starve,
	&bpg_monitor_task_sched,
	&bpg_monitor_task_deps,
	&bpg_monitor_task_retry,
	&bpg_monitor_task_gauges,
	&bpg_monitor_task_notify,
	&bpg_monitor_task_purge,
};
#define NTASKS (sizeof(tasks) / sizeof(tasks[0]))

void
bpg_monitor_log(
    struct bpg_monitor *m, enum bpg_monitor_level lvl, const char *fmt, ...)
{
	char buf[1024], *p;
	va_list ap;

	if (m->o.log == NULL || (lvl == BPG_MONITOR_LOG_DEBUG && !m->o.verbose))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Names come from the API server: no control bytes in the log. */
	for (p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	m->o.log(m->o.log_arg, lvl, buf);
}

long long
bpg_monitor_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long
bpg_monitor_resync_ms(const struct bpg_monitor *m)
{
	if (m->o.resync_s < 0)
		return -1;
	return (m->o.resync_s > 0 ? m->o.resync_s : BPG_MONITOR_RESYNC_S) *
	    1000L;
}

bool
bpg_monitor_transient(enum bpg_err e)
{
	return e != BPG_EINVAL && e != BPG_ETOOBIG && e != BPG_ENOTFOUND;
}

void
bpg_monitor_step_failed(struct bpg_monitor_target *t, enum bpg_err e,
    const char *name, const char *what, const char *msg)
{
	bpg_monitor_log(t->m, BPG_MONITOR_LOG_WARN, "%s: %s: %s failed: %s",
	    t->label, name, what, msg);
	bpg_monitor_fenced(t->m);
	if (bpg_monitor_transient(e))
		t->dirty = true;
}

/* A finish time for the database: the given one if usable, else now. */
static int64_t
finish_time(int64_t ms)
{
	/* TIMESTAMP holds 1970-01-01 00:00:01 to 2038-01-19 03:14:07. */
	if (ms >= 1000 && ms <= 2147483647000LL)
		return ms;
	return bpg_monitor_wall_ms();
}

enum bpg_err
bpg_monitor_record_finish(struct bpg_monitor_target *t, const char *name,
    const char *status, int64_t ms)
{
	struct bpg_monitor *m = t->m;
	struct bpg_errinfo ei;
	enum bpg_err e;

	if ((e = bpg_db_monitor_finish(m->db, name, status, finish_time(ms),
		 m->mb_cost, m->core_cost, &ei)) != BPG_OK) {
		bpg_monitor_step_failed(
		    t, e, name, "recording the finish", ei.msg);
		return e;
	}
	return BPG_OK;
}

void
bpg_monitor_listed(struct bpg_monitor *m, struct bpg_monitor_target *t)
{
	size_t i;

	for (i = 0; i < NTASKS && m->leader; i++)
		if (tasks[i]->listed != NULL)
			tasks[i]->listed(m, m->state[i], t);
}

/*
 * Leadership: the lease (bpg_lease.h for the decisions, bpg_db_lease.h
 * for the row and the fence).  The lease is taken and renewed on lockdb;
 * the tasks' statements run on db, fenced by the lease's token, so that
 * a leader deposed while it was not looking (stopped, cut off, slow) has
 * its late writes refused by the database.
 */

static void
set_fence(struct bpg_monitor *m, long long token)
{
	struct bpg_errinfo ei;

	/* Only fails for arguments checked at start-up. */
	if (bpg_db_set_fence(m->db, BPG_MONITOR_LEASE_NAME, m->holder_id,
	    token, &ei) != BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_ERR, "fence: %s", ei.msg);
}

static void
become_leader(struct bpg_monitor *m, long long remaining_ms)
{
	long long now = bpg_watch_now_ms();
	size_t i;

	set_fence(m, m->lease.token);
	m->leader = true;
	m->announced = 1;
	m->confirmed_ms = now;
	bpg_metrics_set(m->o.metrics, BPG_METRIC_MON_LEADER, NULL, 1);
	for (i = 0; i < NTASKS; i++)
		if (tasks[i]->lead != NULL)
			tasks[i]->lead(m, m->state[i], now);
	bpg_monitor_log(m, BPG_MONITOR_LOG_INFO,
	    "leader: holding lease '%s' with token %lld as %s (%lld ms, "
	    "renewed every %lld ms); monitoring %zu namespace(s)",
	    BPG_MONITOR_LEASE_NAME, m->lease.token, m->holder_id,
	    remaining_ms, m->lease.renew_ms, m->nt);
}

static void
become_standby(struct bpg_monitor *m, const char *why)
{
	size_t i;

	/* First of all: no statement of this process passes any more. */
	set_fence(m, 0);
	m->leader = false;
	m->lease.held = false;
	m->announced = 0;
	m->other[0] = '\0';
	bpg_metrics_set(m->o.metrics, BPG_METRIC_MON_LEADER, NULL, 0);
	for (i = 0; i < NTASKS; i++)
		if (tasks[i]->standby != NULL)
			tasks[i]->standby(m, m->state[i]);
	for (i = 0; i < m->nt; i++)
		bpg_monitor_tab_clear(&m->t[i].apps);
	bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
	    "standby: stopped acting as leader with token %lld (%s)",
	    m->lease.token, why);
}

/*
 * Take or renew the lease once.  BPG_ECONFIG (a TLS setting or
 * certificate that cannot work) on the first try is returned, to stop the
 * daemon at start-up with its message; other failures are logged and
 * retried.  The deadline counts from before the request was sent.
 */
static enum bpg_err
lease_round(struct bpg_monitor *m, struct bpg_errinfo *out)
{
	struct bpg_db_lease st;
	struct bpg_errinfo ei;
	char why[sizeof(ei.msg) + 64];
	long long sent = bpg_watch_now_ms(), now, old = m->lease.token;
	bool was = m->leader;
	enum bpg_err e;

	e = bpg_db_lease_acquire(m->lockdb, BPG_MONITOR_LEASE_NAME,
	    m->holder_id, was ? old : 0, m->lease.duration_ms, &st, &ei);
	now = bpg_watch_now_ms();
	if (e != BPG_OK) {
		if (e == BPG_ECONFIG && m->announced == -1)
			return bpg_errf(out, e, "%s", ei.msg);
		if (strcmp(ei.msg, m->lock_err) != 0)
			bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
			    "%s: cannot %s the lease: %s; retrying",
			    was ? "leader" : "standby",
			    was ? "renew" : "take", ei.msg);
		bpg_monitor_take(m->lock_err, sizeof(m->lock_err), ei.msg);
		bpg_lease_failed(&m->lease, now);
		if (was && !bpg_lease_valid(&m->lease, now)) {
			snprintf(why, sizeof(why), "not renewed before its "
			    "deadline: %s", ei.msg);
			become_standby(m, why);
		}
		if (!m->leader)
			m->announced = 0;
		return BPG_OK;
	}
	m->lock_err[0] = '\0';
	if (st.held) {
		/* Expired before the renewal got the row: a new term. */
		if (was && st.token != old)
			become_standby(m, "the lease expired and was taken "
			    "anew");
		bpg_lease_granted(&m->lease, sent, st.token);
		if (!m->leader)
			become_leader(m, st.remaining_ms);
		m->confirmed_ms = now;
		return BPG_OK;
	}
	bpg_lease_refused(&m->lease, now);
	if (was) {
		snprintf(why, sizeof(why), "lease '%s' is held by %s with "
		    "token %lld", BPG_MONITOR_LEASE_NAME, st.holder, st.token);
		become_standby(m, why);
	}
	if (m->announced != 0 || strcmp(st.holder, m->other) != 0)
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO,
		    "standby: lease '%s' is held by %s with token %lld "
		    "(%lld ms left); retrying every %lld ms",
		    BPG_MONITOR_LEASE_NAME, st.holder, st.token,
		    st.remaining_ms, m->lease.renew_ms);
	m->announced = 0;
	bpg_monitor_take(m->other, sizeof(m->other), st.holder);
	return BPG_OK;
}

bool
bpg_monitor_confirm(struct bpg_monitor *m)
{
	struct bpg_errinfo ei;
	long long now = bpg_watch_now_ms();

	if (!m->leader)
		return false;
	if (bpg_lease_due(&m->lease, now)) {
		(void)lease_round(m, &ei);
		if (!m->leader)
			return false;
		now = bpg_watch_now_ms();
	}
	if (!bpg_lease_valid(&m->lease, now)) {
		become_standby(m, "the lease ran out before it was renewed");
		return false;
	}
	return true;
}

bool
bpg_monitor_may_write(struct bpg_monitor *m)
{
	if (!m->leader)
		return false;
	if (bpg_lease_valid(&m->lease, bpg_watch_now_ms()))
		return true;
	bpg_monitor_take(m->lost_why, sizeof(m->lost_why),
	    "the lease ran out before it was renewed");
	m->leader = false;
	return false;
}

void
bpg_monitor_fenced(struct bpg_monitor *m)
{
	if (!m->leader || !bpg_db_fence_refused(m->db))
		return;
	bpg_monitor_take(m->lost_why, sizeof(m->lost_why),
	    "the database refused a write under this token");
	m->leader = false;
}

/* Step down after bpg_monitor_may_write() found the lease lost. */
static void
settle_leader(struct bpg_monitor *m)
{
	char why[sizeof(m->lost_why)];

	if (m->lost_why[0] == '\0')
		return;
	memcpy(why, m->lost_why, sizeof(why));
	m->lost_why[0] = '\0';
	become_standby(m, why);
}

/* This process's name in the lease: host, pid and 32 random bits. */
static enum bpg_err
make_holder_id(struct bpg_monitor *m, struct bpg_errinfo *ei)
{
	char host[64];
	uint32_t r = 0;
	ssize_t n;

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	do
		n = getrandom(&r, sizeof(r), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(r))
		return bpg_errf(ei, BPG_EIO, "monitor: no random bytes");
	snprintf(m->holder_id, sizeof(m->holder_id), "%s/%ld/%08x", host,
	    (long)getpid(), (unsigned)r);
	return BPG_OK;
}

/*
 * Set-up and the loop
 */

bool
bpg_monitor_same_pair(const struct bpg_cluster *a, const struct bpg_cluster *b)
{
	return strcmp(a->master_url, b->master_url) == 0 &&
	    strcmp(a->namespace, b->namespace) == 0;
}

struct bpg_monitor_target *
bpg_monitor_target_of(struct bpg_monitor *m, const struct bpg_cluster *c)
{
	size_t i;

	for (i = 0; i < m->nt; i++)
		if (bpg_monitor_same_pair(m->t[i].cluster, c))
			return &m->t[i];
	return NULL;
}

/*
 * The lease session's wait_timeout.  The lease does not depend on it (it
 * expires by the database's clock); it only keeps the session of a
 * leader that vanished without closing its socket from lingering on the
 * server for its 8 hours.  A live leader talks on it at every renewal,
 * and a list or a kill may hold it back one or two of a cluster's
 * timeouts (a timeout of 0, none, counts as
 * BPG_MONITOR_LOCK_IDLE_NO_TIMEOUT_S); the margin covers the rest.
 */
static unsigned int
lock_idle_s(const struct bpg_monitor *m)
{
	int64_t ms, most = 0;
	size_t i;

	for (i = 0; i < m->nt; i++) {
		ms = m->t[i].cluster->timeout_millis;
		if (ms <= 0)
			ms = BPG_MONITOR_LOCK_IDLE_NO_TIMEOUT_S * 1000LL;
		if (ms > most)
			most = ms;
	}
	if (most > BPG_MONITOR_LOCK_IDLE_NO_TIMEOUT_S * 1000LL)
		most = BPG_MONITOR_LOCK_IDLE_NO_TIMEOUT_S * 1000LL;
	/* A kill is two requests: a GET and the DELETE. */
	return 2 * (unsigned int)((most + 999) / 1000) +
	    BPG_MONITOR_LOCK_IDLE_MARGIN_S;
}

enum bpg_err
bpg_monitor_new(const struct bpg_monitor_opts *opts, struct bpg_monitor **out,
    struct bpg_errinfo *ei)
{
	const struct bpg_config *cfg = opts != NULL ? opts->cfg : NULL;
	struct bpg_monitor *m;
	struct bpg_monitor_target *t;
	size_t i, j;
	enum bpg_err e;

	*out = NULL;
	if (cfg == NULL)
		return bpg_errf(ei, BPG_EINVAL, "monitor: no configuration");
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	m->o = *opts;
	m->announced = -1;
	bpg_lease_init(&m->lease, cfg->monitor_lease_millis,
	    cfg->monitor_lease_renew_millis, bpg_watch_now_ms());
	if (cfg->has_memory_mb_second_cost)
		m->mb_cost = &cfg->memory_mb_second_cost;
	if (cfg->has_vcore_second_cost)
		m->core_cost = &cfg->vcore_second_cost;
	if ((m->t = calloc(cfg->nclusters + 1, sizeof(*m->t))) == NULL ||
	    (m->state = calloc(NTASKS, sizeof(*m->state))) == NULL) {
		free(m->t);
		free(m);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	/* Section 10.2: distinct pairs of weighted clusters, last wins. */
	for (i = 0; i < cfg->nclusters; i++) {
		const struct bpg_cluster *c = &cfg->clusters[i];

		if (c->weight <= 0)
			continue;
		for (j = 0; j < m->nt; j++)
			if (bpg_monitor_same_pair(m->t[j].cluster, c))
				break;
		if (j == m->nt)
			m->nt++;
		m->t[j].cluster = c;
	}
	if (m->nt == 0) {
		bpg_monitor_free(m);
		return bpg_errf(ei, BPG_ECONFIG,
		    "monitor: no cluster has a weight above 0");
	}
	if ((e = bpg_lease_check(cfg->monitor_lease_millis,
	    cfg->monitor_lease_renew_millis, ei)) != BPG_OK) {
		e = BPG_ECONFIG;
		goto fail;
	}
	if ((e = make_holder_id(m, ei)) != BPG_OK ||
	    (e = bpg_db_new(&cfg->db, &m->db, ei)) != BPG_OK ||
	    (e = bpg_db_new(&cfg->db, &m->lockdb, ei)) != BPG_OK ||
	    (e = bpg_db_set_idle_timeout(m->lockdb, lock_idle_s(m), ei)) !=
	    BPG_OK ||
	    (e = bpg_watchset_new(&m->ws, ei)) != BPG_OK)
		goto fail;
	/* A standby runs nothing on db: a stray statement is refused. */
	set_fence(m, 0);
	for (i = 0; i < m->nt; i++) {
		t = &m->t[i];
		t->m = m;
		snprintf(t->label, sizeof(t->label), "%s/%s", t->cluster->id,
		    t->cluster->namespace);
		if ((e = bpg_kube_new(t->cluster, &t->kube, ei)) != BPG_OK)
			goto fail;
	}
	for (i = 0; i < NTASKS; i++)
		if (tasks[i]->init != NULL &&
		    (e = tasks[i]->init(m, &m->state[i], ei)) != BPG_OK)
			goto fail;
	*out = m;
	return BPG_OK;
fail:
	bpg_monitor_free(m);
	return e;
}

void
bpg_monitor_resync(struct bpg_monitor *m)
{
	m->resync = true;
}

bool
bpg_monitor_leader(const struct bpg_monitor *m)
{
	return m->leader;
}

struct bpg_db *
bpg_monitor_lock_db(const struct bpg_monitor *m)
{
	return m->lockdb;
}

static long long
min_ll(long long a, long long b)
{
	return a < b ? a : b;
}

enum bpg_err
bpg_monitor_step(struct bpg_monitor *m, int max_wait_ms, struct bpg_errinfo *ei)
{
	long long now = bpg_watch_now_ms(), until = now + max_wait_ms;
	enum bpg_err e;
	size_t i;

	if (!m->leader) {
		if (bpg_lease_due(&m->lease, now)) {
			if ((e = lease_round(m, ei)) != BPG_OK)
				return e;
			if (m->leader)
				return BPG_OK;
		}
		until = min_ll(until, m->lease.next_ms);
		return bpg_watchset_run(
		    m->ws, (int)(until - now > 0 ? until - now : 0), ei);
	}
	if (!bpg_monitor_confirm(m))
		return BPG_OK;
	/* Tasks write only as the leader: none runs after the lease went. */
	for (i = 0; i < NTASKS; i++) {
		if (tasks[i]->step != NULL)
			tasks[i]->step(m, m->state[i]);
		if (!m->leader) {
			settle_leader(m);
			return BPG_OK;
		}
	}
	now = bpg_watch_now_ms();
	until = min_ll(until, m->lease.next_ms);
	until = min_ll(until, m->lease.deadline_ms);
	for (i = 0; i < NTASKS; i++)
		if (tasks[i]->due != NULL)
			until = min_ll(until, tasks[i]->due(m, m->state[i]));
	e = bpg_watchset_run(
	    m->ws, (int)(until - now > 0 ? until - now : 0), ei);
	settle_leader(m);
	return e;
}

void
bpg_monitor_free(struct bpg_monitor *m)
{
	size_t i;

	if (m == NULL)
		return;
	if (m->leader) {
		struct bpg_errinfo ei;

		set_fence(m, 0);
		if (bpg_db_lease_release(m->lockdb, BPG_MONITOR_LEASE_NAME,
		    m->holder_id, m->lease.token, &ei) == BPG_OK)
			bpg_monitor_log(m, BPG_MONITOR_LOG_INFO,
			    "released lease '%s' (token %lld)",
			    BPG_MONITOR_LEASE_NAME, m->lease.token);
		else
			bpg_monitor_log(m, BPG_MONITOR_LOG_WARN,
			    "could not release lease '%s': %s",
			    BPG_MONITOR_LEASE_NAME, ei.msg);
	}
	for (i = 0; m->state != NULL && i < NTASKS; i++)
		if (tasks[i]->free != NULL)
			tasks[i]->free(m->state[i]);
	free(m->state);
	/* The set frees the watches. */
	bpg_watchset_free(m->ws);
	for (i = 0; i < m->nt; i++) {
		bpg_kube_free(m->t[i].kube);
		bpg_monitor_tab_clear(&m->t[i].apps);
	}
	free(m->t);
	bpg_db_free(m->lockdb);
	bpg_db_free(m->db);
	free(m);
}
