/*
 * The monitor's sender of notifications (bpg_monitor_int.h,
 * bpg_db_notify.h, bpg_notify_send.h).
 *
 * The leader reads due events from the outbox (at most
 * BPG_NOTIFY_INFLIGHT in flight) and posts them through a libcurl multi
 * handle that each turn only drives without waiting, so a receiver that is
 * slow, hangs or drops the connection delays neither the other tasks nor
 * the recording of states; each request is cut after
 * BPG_NOTIFY_TIMEOUT_MS.  Each attempt is recorded (a delivery row) with
 * its outcome: a 2xx is sent; anything else is tried again after
 * bpg_notify_backoff_ms(attempts), and failed once the event is 24 h old.
 *
 * At least once: an event leaves the outbox's pending state only when its
 * result is recorded.  A leader that dies or steps down mid-send leaves it
 * pending, and the next leader sends it again with the same event ID, for
 * the receiver to drop the duplicate.  The lock is confirmed before each
 * batch of writes.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "bpg_db.h"
#include "bpg_db_notify.h"
#include "bpg_metrics.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_notify_send.h"
#include "bpg_watch.h"

/* How often the multi handle is driven while requests are in flight. */
#define DRIVE_MS 20

struct flight {
	bool used;
	struct bpg_notify_send s;
	struct bpg_db_notify_item it;
};

struct sender {
	CURLM *multi;
	struct flight f[BPG_NOTIFY_INFLIGHT];
	size_t nf;
	long long next_ms; /* next read of the outbox (monotonic) */
};

static struct bpg_notify_send_conf
conf_of(const struct bpg_monitor *m)
{
	const struct bpg_config *cfg = m->o.cfg;
	struct bpg_notify_send_conf c = {
		{ cfg->notification_allow_http, cfg->notification_allow_private,
		    (const char *const *)cfg->notification_allowed_hosts.v,
		    cfg->notification_allowed_hosts.n },
		cfg->notification_secret, cfg->notification_ca_cert };

	return c;
}

static void
drop(struct sender *s, struct flight *f)
{
	if (!f->used)
		return;
	if (f->s.h != NULL)
		curl_multi_remove_handle(s->multi, f->s.h);
	bpg_notify_send_reset(&f->s);
	free(f->it.body);
	memset(f, 0, sizeof(*f));
	s->nf--;
}

/* Record the outcome of one attempt at f's event. */
static void
record(struct bpg_monitor *m, struct flight *f, bool ok, long status,
    const char *why, bool permanent)
{
	struct bpg_errinfo ei = { "" };
	long long wall = bpg_monitor_wall_ms();
	unsigned attempts = f->it.attempts + 1;
	const char *state = BPG_DB_NOTIFY_PENDING;
	long long next = wall + bpg_notify_backoff_ms(attempts);

	if (ok)
		state = BPG_DB_NOTIFY_SENT;
	else if (permanent || bpg_notify_expired(f->it.first_ms, next))
		state = BPG_DB_NOTIFY_FAILED;
	if (bpg_db_notify_result(m->db, &f->it, state, attempts, next, status,
	    wall, ok ? NULL : why, &ei) != BPG_OK) {
		/* Left pending: sent again later, same event ID. */
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "notification %s: "
		    "result not recorded: %s", f->it.event_id, ei.msg);
		return;
	}
	bpg_metrics_inc(m->o.metrics, BPG_METRIC_MON_NOTIFICATIONS,
	    BPG_LV(ok ? "sent" : "failed"));
	if (ok)
		bpg_monitor_log(m, BPG_MONITOR_LOG_DEBUG, "notification %s: "
		    "delivered (HTTP %ld)", f->it.event_id, status);
	else
		bpg_monitor_log(m, BPG_MONITOR_LOG_INFO, "notification %s: "
		    "attempt %u failed: %s%s", f->it.event_id, attempts, why,
		    strcmp(state, BPG_DB_NOTIFY_FAILED) == 0 ?
		    "; given up" : "");
}

/* Collect the transfers that ended. */
static void
reap(struct bpg_monitor *m, struct sender *s)
{
	struct bpg_notify_send *ns;
	struct flight *f;
	CURLMsg *msg;
	char why[CURL_ERROR_SIZE + 32];
	long status;
	bool ok;
	int left;

	while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		ns = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &ns);
		if (ns == NULL)
			continue;
		f = (struct flight *)(void *)((char *)ns -
		    offsetof(struct flight, s));
		ok = bpg_notify_send_done(ns, msg->data.result, &status, why,
		    sizeof(why));
		if (!bpg_monitor_confirm(m))
			return; /* standby dropped every flight */
		record(m, f, ok, status, why, false);
		drop(s, f);
	}
}

static bool
in_flight(const struct sender *s, long long row)
{
	size_t i;

	for (i = 0; i < BPG_NOTIFY_INFLIGHT; i++)
		if (s->f[i].used && s->f[i].it.row == row)
			return true;
	return false;
}

/* Start what is due, as many as there are free slots. */
static void
start_due(struct bpg_monitor *m, struct sender *s, long long now)
{
	struct bpg_notify_send_conf conf = conf_of(m);
	struct bpg_db_notify_item *items = NULL;
	struct bpg_errinfo ei = { "" };
	long long next = LLONG_MAX, wall = bpg_monitor_wall_ms(), wait;
	struct flight *f;
	enum bpg_err e;
	size_t n = 0, i, j;

	s->next_ms = now + BPG_NOTIFY_POLL_MS;
	if (!bpg_monitor_confirm(m))
		return;
	/* Twice the slots: rows in flight are still pending. */
	if (bpg_db_notify_due(m->db, wall, 2 * BPG_NOTIFY_INFLIGHT, &items,
	    &n, &next, &ei) != BPG_OK) {
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "notifications: "
		    "outbox not read: %s", ei.msg);
		return;
	}
	for (i = 0; i < n && s->nf < BPG_NOTIFY_INFLIGHT; i++) {
		if (in_flight(s, items[i].row))
			continue;
		for (j = 0; s->f[j].used; j++)
			;
		f = &s->f[j];
		f->used = true;
		s->nf++;
		f->it = items[i];
		items[i].body = NULL;
		if ((e = bpg_notify_send_init(&f->s, &conf, f->it.url,
		    f->it.event_id, f->it.body, &ei)) != BPG_OK) {
			/* The URL is no longer allowed, or no secret. */
			record(m, f, false, 0, ei.msg, e == BPG_EINVAL);
			drop(s, f);
			continue;
		}
		if (curl_multi_add_handle(s->multi, f->s.h) != CURLM_OK) {
			drop(s, f);
			continue;
		}
	}
	bpg_db_notify_items_free(items, n);
	/* Sooner than the poll when a retry falls due before it. */
	if (next != LLONG_MAX && s->nf < BPG_NOTIFY_INFLIGHT) {
		wait = next - wall;
		if (wait < 0)
			wait = 0;
		if (now + wait < s->next_ms)
			s->next_ms = now + wait;
	}
}

static void
notify_step(struct bpg_monitor *m, void *state)
{
	struct sender *s = state;
	long long now = bpg_watch_now_ms();
	int running = 0;

	if (s->nf > 0) {
		curl_multi_perform(s->multi, &running);
		reap(m, s);
		if (!m->leader)
			return;
	}
	if (now >= s->next_ms && s->nf < BPG_NOTIFY_INFLIGHT) {
		start_due(m, s, now);
		if (s->nf > 0 && m->leader) {
			curl_multi_perform(s->multi, &running);
			reap(m, s);
		}
	}
}

static long long
notify_due(const struct bpg_monitor *m, const void *state)
{
	const struct sender *s = state;
	long long drive;

	(void)m;
	if (s->nf == 0)
		return s->next_ms;
	drive = bpg_watch_now_ms() + DRIVE_MS;
	return drive < s->next_ms ? drive : s->next_ms;
}

static void
notify_lead(struct bpg_monitor *m, void *state, long long now)
{
	struct sender *s = state;

	(void)m;
	s->next_ms = now; /* what a previous leader left pending, at once */
}

static void
notify_standby(struct bpg_monitor *m, void *state)
{
	struct sender *s = state;
	size_t i;

	(void)m;
	/* Left pending in the outbox: the next leader sends them. */
	for (i = 0; i < BPG_NOTIFY_INFLIGHT; i++)
		drop(s, &s->f[i]);
}

static enum bpg_err
notify_init(struct bpg_monitor *m, void **state, struct bpg_errinfo *ei)
{
	struct sender *s;

	(void)m;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->multi = curl_multi_init()) == NULL) {
		free(s);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	curl_multi_setopt(s->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)BPG_NOTIFY_INFLIGHT);
	s->next_ms = LLONG_MAX;
	*state = s;
	return BPG_OK;
}

static void
notify_free(void *state)
{
	struct sender *s = state;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < BPG_NOTIFY_INFLIGHT; i++)
		drop(s, &s->f[i]);
	curl_multi_cleanup(s->multi);
	free(s);
}

const struct bpg_monitor_task bpg_monitor_task_notify = {
	.name = "notify",
	.init = notify_init,
	.lead = notify_lead,
	.step = notify_step,
	.due = notify_due,
	.standby = notify_standby,
	.free = notify_free,
};
