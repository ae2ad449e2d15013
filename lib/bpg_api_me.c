/*
 * GET /me (ours): the caller as the gateway sees them, so that a client
 * (the dashboard, the command-line client) shows what the caller may do
 * without trying what it may not:
 *
 *   {"user":"alice","admin":false,"viewer":false}
 *
 * admin: one of adminUsers (every submission, the /admin endpoints); viewer: may read
 * every user's submissions (adminUsers and viewerUsers, bpg_authz.h).
 */
#include <jansson.h>

#include "bpg_api_me.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"

void
api_h_me(struct route_ctx *rc)
{
	const struct bpg_config *cfg = rc->api->cfg;
	json_t *o;

	o = json_pack("{s:s, s:b, s:b}", "user", rc->user,
	    "admin", bpg_authz_is_admin(cfg, rc->user),
	    "viewer", bpg_authz_may_list_all(cfg, rc->user));
	if (o == NULL) {
		api_reply_nomem(rc->resp);
		return;
	}
	api_reply_json(rc->resp, 200, o);
}
