/*
 * Which receivers a submission has (bpg_notify_plan.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_log.h"
#include "bpg_notify_plan.h"

static struct bpg_notify_policy
policy_of(const struct bpg_config *cfg)
{
	struct bpg_notify_policy p = { cfg->notification_allow_http,
		cfg->notification_allow_private,
		(const char *const *)cfg->notification_allowed_hosts.v,
		cfg->notification_allowed_hosts.n };

	return p;
}

/* The URL of t refused or not, by shape and by what its host resolves to. */
static enum bpg_err
check_target(const struct bpg_notify_policy *p,
    const struct bpg_notify_target *t, const char *field,
    struct bpg_errinfo *ei)
{
	char host[BPG_NOTIFY_MAX_HOST + 1];
	enum bpg_err e;
	int port;

	if ((e = bpg_notify_check_url(t->url, p, field, host, sizeof(host),
	    &port, ei)) != BPG_OK)
		return e;
	if (p->allow_private)
		return BPG_OK;
	return bpg_notify_resolve_check(host, port, p, field, ei);
}

static const struct bpg_queue *
queue_of(const struct bpg_config *cfg, const char *queue)
{
	const struct bpg_queue *q;
	const char *dot;

	if (queue == NULL)
		return NULL;
	if ((q = bpg_config_queue_exact(cfg, queue)) != NULL)
		return q;
	if ((dot = strchr(queue, '.')) != NULL)
		return bpg_config_queue_exact_n(cfg, queue,
		    (size_t)(dot - queue));
	return NULL;
}

enum bpg_err
bpg_notify_plan(const struct bpg_config *cfg, const struct bpg_db *db,
    const json_t *field, const char *queue, struct bpg_notify_spec *out,
    struct bpg_errinfo *ei)
{
	struct bpg_notify_policy p = policy_of(cfg);
	struct bpg_notify_spec qs;
	struct bpg_errinfo qei;
	const struct bpg_queue *q;
	char name[48];
	enum bpg_err e;
	size_t i;

	if ((e = bpg_notify_parse(field, "notify", out, ei)) != BPG_OK)
		return e;
	if (out->n > 0 && (db == NULL || !bpg_db_enabled(db)))
		return bpg_errf(ei, BPG_EINVAL, "notify: this gateway keeps no "
		    "database, so it sends no notifications");
	if (out->n > 0 && cfg->notification_secret == NULL)
		return bpg_errf(ei, BPG_EINVAL, "notify: notifications are not "
		    "configured here (notificationSecretSOPS)");
	for (i = 0; i < out->n; i++) {
		if (out->n == 1)
			snprintf(name, sizeof(name), "notify.url");
		else
			snprintf(name, sizeof(name), "notify[%zu].url", i);
		if ((e = check_target(&p, &out->t[i], name, ei)) != BPG_OK)
			return e;
	}
	/* The queue's defaults: the operator's, checked at load. */
	q = queue_of(cfg, queue);
	if (q == NULL || q->notify == NULL || db == NULL ||
	    !bpg_db_enabled(db) || cfg->notification_secret == NULL)
		return BPG_OK;
	if (bpg_notify_parse(q->notify, "queues[].notify", &qs, &qei) !=
	    BPG_OK)
		return BPG_OK; /* not after the load's check */
	for (i = 0; i < qs.n && out->n < BPG_NOTIFY_MAX_ALL; i++) {
		if (check_target(&p, &qs.t[i], "url", &qei) != BPG_OK) {
			bpg_log(LOG_WARNING, "queue %s: notify[%zu] skipped: "
			    "%s", q->name, i, qei.msg);
			continue;
		}
		out->t[out->n++] = qs.t[i];
	}
	return BPG_OK;
}
