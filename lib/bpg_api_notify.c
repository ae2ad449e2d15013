/*
 * Notifications at the API's edge (bpg_api_notify.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "bpg_api_notify.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_db.h"
#include "bpg_db_notify.h"
#include "bpg_internal.h"

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
api_notify_plan(const struct bpg_config *cfg, const struct bpg_db *db,
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

	memset(out, 0, sizeof(*out));
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
			syslog(LOG_WARNING, "queue %s: notify[%zu] skipped: "
			    "%s", q->name, i, qei.msg);
			continue;
		}
		out->t[out->n++] = qs.t[i];
	}
	return BPG_OK;
}

void
api_h_notifications(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	struct bpg_errinfo ei = { "" };
	json_t *row = NULL, *out = NULL;
	enum bpg_err e;

	if (api->db == NULL) {
		api_reply_error(rc->resp, 404, "WebApplicationException",
		    "HTTP 404 Not Found");
		return;
	}
	e = bpg_db_get_submission(api->db, rc->segs[1], &row, &ei);
	if (e == BPG_ENOTFOUND || (e == BPG_OK &&
	    !bpg_authz_may_read(api->cfg, rc->user, api_jstr(row, "user")))) {
		if (e == BPG_OK)
			syslog(LOG_INFO, "notifications of %s read by %s "
			    "refused: not the owner", rc->segs[1], rc->user);
		api_reply_error(rc->resp, 404, "WebApplicationException",
		    "HTTP 404 Not Found");
		goto out;
	}
	if (e != BPG_OK ||
	    (e = bpg_db_notify_list(api->db, rc->segs[1], &out, &ei)) !=
	    BPG_OK) {
		syslog(LOG_ERR, "notifications of %s: %s", rc->segs[1],
		    ei.msg);
		api_reply_error(rc->resp, 503, "WebApplicationException",
		    "The notifications cannot be read now (database "
		    "unavailable). Please try again later.");
		goto out;
	}
	api_reply_json(rc->resp, 200, out);
out:
	json_decref(row);
}

/*
 * GET /admin/notifications?state=failed (adminUsers): the events given
 * up on, newest first (bpg_db_notify_failed()).  state is the only
 * filter and failed its only value; leaving it out means the same.
 */
void
api_h_admin_notifications(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	struct bpg_errinfo ei = { "" };
	json_t *out = NULL;
	char *state;

	if (!bpg_authz_is_admin(api->cfg, rc->user)) {
		syslog(LOG_INFO, "admin/notifications by %s refused", rc->user);
		api_reply_error(rc->resp, 403, "WebApplicationException",
		    "only adminUsers may list the notifications");
		return;
	}
	state = rc->query != NULL ? api_query_param(rc->query, "state") : NULL;
	if (state != NULL && strcmp(state, "failed") != 0) {
		free(state);
		api_reply_error(rc->resp, 400, "WebApplicationException",
		    "state: only \"failed\" is listed");
		return;
	}
	free(state);
	if (api->db == NULL) {
		api_reply_error(rc->resp, 404, "WebApplicationException",
		    "HTTP 404 Not Found");
		return;
	}
	if (bpg_db_notify_failed(api->db, &out, &ei) != BPG_OK) {
		syslog(LOG_ERR, "failed notifications: %s", ei.msg);
		api_reply_error(rc->resp, 503, "WebApplicationException",
		    "The notifications cannot be read now (database "
		    "unavailable). Please try again later.");
		return;
	}
	api_reply_json(rc->resp, 200, out);
}
