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
#include "bpg_log.h"

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
			bpg_log(LOG_INFO, "notifications of %s read by %s "
			    "refused: not the owner", rc->segs[1], rc->user);
		api_reply_error(rc->resp, 404, "WebApplicationException",
		    "HTTP 404 Not Found");
		goto out;
	}
	if (e != BPG_OK ||
	    (e = bpg_db_notify_list(api->db, rc->segs[1], &out, &ei)) !=
	    BPG_OK) {
		bpg_log(LOG_ERR, "notifications of %s: %s", rc->segs[1],
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
		bpg_log(LOG_INFO, "admin/notifications by %s refused", rc->user);
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
		bpg_log(LOG_ERR, "failed notifications: %s", ei.msg);
		api_reply_error(rc->resp, 503, "WebApplicationException",
		    "The notifications cannot be read now (database "
		    "unavailable). Please try again later.");
		return;
	}
	api_reply_json(rc->resp, 200, out);
}
