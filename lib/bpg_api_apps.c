/* Endpoints on one submission and the health check (sections 1.2-1.12). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "bpg_internal.h"
#include "bpg_limits.h"
#include "bpg_req.h"

/* ---- ID endpoints ------------------------------------------------- */

/* Resolve the cluster of rc->segs[1] and its Kubernetes handle. */
bool
api_resolve_id(struct route_ctx *rc, const struct bpg_cluster **cluster,
    struct bpg_kube **kube)
{
	struct bpg_errinfo ei = { "" };
	enum bpg_err e;

	if ((e = bpg_route_cluster_of_id(rc->api->cfg, rc->segs[1], cluster,
	    &ei)) != BPG_OK ||
	    (e = api_kube_for(rc->api, *cluster, kube, &ei)) != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		return false;
	}
	return true;
}

void
api_h_delete(struct route_ctx *rc)
{
	const struct bpg_cluster *cluster;
	struct bpg_kube *kube;
	struct bpg_errinfo ei = { "" };
	enum bpg_err e;

	if (!api_resolve_id(rc, &cluster, &kube))
		return;
	/* A missing object is not an error (section 1.2, quirk 38). */
	e = bpg_kube_delete_app(kube, rc->segs[1], &ei);
	if (e != BPG_OK && e != BPG_ENOTFOUND) {
		api_reply_err(rc->resp, e, &ei);
		return;
	}
	api_reply_json(rc->resp, 200, json_pack("{s:s}", "submissionId",
	    rc->segs[1]));
}

int64_t
api_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
api_jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* GetSubmissionStatusResponse from a CR (sections 4.2, 4.3). */
static json_t *
status_of_cr(const struct bpg_cluster *c, const json_t *cr)
{
	const json_t *meta = json_object_get(cr, "metadata");
	const json_t *st = json_object_get(cr, "status");
	const json_t *as = json_object_get(st, "applicationState");
	const json_t *attempts = json_object_get(st, "executionAttempts");
	const char *state = api_jstr(as, "state");
	const char *errmsg = api_jstr(as, "errorMessage");
	const char *label = api_jstr(json_object_get(meta, "labels"),
	    "maxRunningMillis");
	int64_t created = bpg_time_parse_ms(api_jstr(meta, "creationTimestamp"));
	int64_t ended = bpg_time_parse_ms(api_jstr(st, "terminationTime"));
	int64_t duration = 0;
	char extra[200] = "", msg[1024];
	json_t *o;

	if (state == NULL)
		state = "UNKNOWN";
	if (created >= 0) {
		if (ended >= 0)
			duration = ended - created;
		else if (strcmp(state, "RUNNING") == 0 ||
		    strcmp(state, "SUBMITTED") == 0)
			duration = api_now_ms() - created;
	}
	if (label != NULL && label[0] != '\0') {
		char *end;
		long long m = strtoll(label, &end, 10);

		if (*end == '\0') {
			if (m > BPG_DEFAULT_MAX_RUNNING_MILLIS)
				snprintf(extra, sizeof(extra), "(warning: "
				    "application is configured with custom max "
				    "running time: %lld millis, but might be "
				    "still killed in certain situations like "
				    "maintenance)", m);
			if (strcmp(state, "FAILED") == 0 && created >= 0 &&
			    ended >= 0 && ended - created >= m - 120000)
				snprintf(extra, sizeof(extra), "(application "
				    "might be killed because of running too "
				    "long)");
		}
	}
	if ((o = json_object()) == NULL)
		return NULL;
	if (created >= 0)
		json_object_set_new(o, "creationTime", json_integer(created));
	if (api_jstr(st, "sparkApplicationId") != NULL)
		json_object_set_new(o, "sparkApplicationId",
		    json_string(api_jstr(st, "sparkApplicationId")));
	if (st != NULL)
		json_object_set_new(o, "executionAttempts",
		    json_integer(json_is_integer(attempts) ?
		    json_integer_value(attempts) : 1));
	if (ended >= 0)
		json_object_set_new(o, "terminationTime", json_integer(ended));
	json_object_set_new(o, "duration", json_integer(duration));
	json_object_set_new(o, "applicationState", json_string(state));
	if (extra[0] != '\0') {
		snprintf(msg, sizeof(msg), "%s%s%s", errmsg ? errmsg : "",
		    errmsg ? " " : "", extra);
		json_object_set_new(o, "applicationErrorMessage",
		    json_string(msg));
	} else if (errmsg != NULL)
		json_object_set_new(o, "applicationErrorMessage",
		    json_string(errmsg));
	if (c->spark_ui_url != NULL && c->spark_ui_url[0] != '\0' &&
	    strcasecmp(state, "RUNNING") == 0) {
		snprintf(msg, sizeof(msg), "%s/%s/%s", c->spark_ui_url,
		    c->namespace, api_jstr(meta, "name"));
		json_object_set_new(o, "sparkUIUrl", json_string(msg));
	}
	return o;
}

void
api_h_status(struct route_ctx *rc)
{
	const struct bpg_cluster *cluster;
	struct bpg_kube *kube;
	struct bpg_errinfo ei = { "" };
	char text[700];
	json_t *cr = NULL;
	enum bpg_err e;

	/* Quirk 4 fixed: a bad ID is a 400 here as everywhere. */
	if (!api_resolve_id(rc, &cluster, &kube))
		return;
	e = bpg_kube_get_app(kube, rc->segs[1], &cr, &ei);
	switch (e) {
	case BPG_OK:
		api_reply_json(rc->resp, 200, status_of_cr(cluster, cr));
		break;
	case BPG_ENOTFOUND:
		api_reply_error(rc->resp, 404, WAE, "HTTP 404 Not Found");
		break;
	case BPG_ERATE:
		/* Section 3.4: Kubernetes throttling reads as UNKNOWN. */
		snprintf(text, sizeof(text), KCE "%s", ei.msg);
		api_reply_json(rc->resp, 200, json_pack("{s:i, s:s, s:s}",
		    "duration", 0, "applicationState", "UNKNOWN",
		    "applicationErrorMessage", text));
		break;
	default:
		snprintf(text, sizeof(text), "Failed to get status: %s%s",
		    e == BPG_EUPSTREAM || e == BPG_ETIMEOUT ? KCE : "",
		    ei.msg);
		api_reply_error(rc->resp, api_status_of(e), WAE, text);
		break;
	}
	json_decref(cr);
}

void
api_h_health(struct route_ctx *rc)
{
	api_reply_json(rc->resp, 200, json_pack("{s:s}", "status", "OK"));
}

