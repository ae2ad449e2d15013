/*
 * GET /admin/clusters (ours): each configured cluster, in config order,
 * with its circuit breaker as the workers of this gateway instance share
 * it (bpg_breaker.h).  Another instance behind the same load balancer
 * keeps breakers of its own.  For adminUsers only (403 for others):
 * the last error tells about the infrastructure.
 *
 *   {"clusters":[{"id","weight","state":"closed"|"open"|"half-open",
 *     "consecutiveFailures","lastError","lastErrorTime","openSince",
 *     "submissionsLastMinute"}]}
 *
 * Times are epoch milliseconds, like the other times of the API; null
 * when there is none (lastError too).
 */
#include <syslog.h>

#include <jansson.h>

#include "bpg_api_clusters.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_breaker.h"
#include "bpg_failover.h"
#include "bpg_log.h"

#define FORBIDDEN_TEXT "only adminUsers may see the clusters' health"

static json_t *
ms_or_null(int64_t ms)
{
	return ms > 0 ? json_integer(ms) : json_null();
}

void
api_h_clusters(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	const struct bpg_config *cfg = api->cfg;
	struct bpg_breaker_conf bc = bpg_failover_conf(cfg);
	struct bpg_breaker_view v;
	const struct bpg_cluster *c;
	json_t *list, *o;
	size_t i;
	int64_t now = bpg_kube_now_ms();

	if (!bpg_authz_is_admin(cfg, rc->user)) {
		bpg_log(LOG_INFO, "admin/clusters by %s refused", rc->user);
		api_reply_error(rc->resp, 403, WAE, FORBIDDEN_TEXT);
		return;
	}
	if ((list = json_array()) == NULL) {
		api_reply_nomem(rc->resp);
		return;
	}
	for (i = 0; i < cfg->nclusters; i++) {
		c = &cfg->clusters[i];
		bpg_breaker_view(api->breaker, c->id, &bc, now, &v);
		o = json_pack("{s:s?, s:I, s:s, s:I, s:o, s:o, s:o, s:I}",
		    "id", c->id, "weight", (json_int_t)c->weight,
		    "state", bpg_breaker_state_name(v.state),
		    "consecutiveFailures", (json_int_t)v.consecutive_failures,
		    "lastError", v.last_error[0] != '\0' ?
		    json_string(v.last_error) : json_null(),
		    "lastErrorTime", ms_or_null(v.last_error_wall_ms),
		    "openSince", ms_or_null(v.open_since_wall_ms),
		    "submissionsLastMinute",
		    (json_int_t)v.submissions_last_minute);
		if (o == NULL || json_array_append_new(list, o) != 0) {
			json_decref(list);
			api_reply_nomem(rc->resp);
			return;
		}
	}
	api_reply_json(rc->resp, 200, json_pack("{s:o}", "clusters", list));
}
