/*
 * GET /metrics (ours): the gateway's counters, one view for all the
 * workers of this instance (the supervisor's shared mapping,
 * bpg_metrics.h), in Prometheus' text format 0.0.4.  Another instance
 * behind the same load balancer keeps its own: Prometheus scrapes each.
 *
 * Only adminUsers and metricsUsers read it (403 for others): the counts
 * tell about other users' traffic.  Label values are bounded: route
 * table patterns, the config's queue and cluster names, fixed words.
 */
#include <string.h>
#include <syslog.h>

#include "bpg_api_metrics.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_log.h"
#include "bpg_metrics.h"

#define FORBIDDEN_TEXT "only adminUsers and metricsUsers may read the metrics"

void
api_h_metrics(struct route_ctx *rc)
{
	const struct bpg_config *cfg = rc->api->cfg;
	struct bpg_buf b = { NULL, 0, 0 };
	size_t len;
	char *text;

	if (!bpg_authz_is_admin(cfg, rc->user) &&
	    !bpg_strlist_has(&cfg->metrics_users, rc->user, false)) {
		bpg_log(LOG_INFO, "metrics by %s refused", rc->user);
		api_reply_error(rc->resp, 403, WAE, FORBIDDEN_TEXT);
		return;
	}
	if (bpg_metrics_render(rc->api->metrics, BPG_METRICS_GATEWAY, &b) !=
	    BPG_OK) {
		bpg_buf_free(&b);
		api_reply_nomem(rc->resp);
		return;
	}
	len = b.len;
	text = bpg_buf_take(&b);
	api_reply_text_n(rc->resp, 200, BPG_METRICS_CONTENT_TYPE, text,
	    text != NULL ? len : 0);
}

/* The method as a label value: one of a fixed set. */
static const char *
method_label(const char *m)
{
	static const char *const known[] = { "GET", "POST", "PUT", "DELETE",
	    "HEAD", "PATCH", "OPTIONS" };
	size_t i;

	for (i = 0; m != NULL && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return known[i];
	return "other";
}

void
api_metrics_request(struct route_ctx *rc, const char *route,
    const char *method, int status)
{
	static const char *const classes[] = { "1xx", "2xx", "3xx", "4xx",
	    "5xx" };
	const char *code = status >= 100 && status < 600 ?
	    classes[status / 100 - 1] : "other";

	bpg_metrics_inc(rc->api->metrics, BPG_METRIC_HTTP_REQUESTS,
	    BPG_LV(route != NULL ? route : "unmatched", method_label(method),
	    code));
}
