/*
 * Endpoints on one submission (bpg-reference sections 1.2-1.6, 4), the
 * health check, the version and the OpenAPI document (sections 0.1, 1.11,
 * 1.12).
 *
 * Every endpoint taking an ID checks it first (bpg_route_cluster_of_id):
 * a malformed ID or one of no configured cluster is a 400 everywhere,
 * status included (quirk 4 fixed).
 *
 * Differences from BPG, on purpose:
 *
 *   History outlives the CR.  Once Kubernetes no longer has the
 *   SparkApplication (its TTL ran out, or it was deleted), status and spec
 *   answer from the submission's database row instead of 404: the status
 *   from the row's status, app_id, created_time and finished_time, the spec
 *   as the stored request (the sanitised request of section 2.20, not the
 *   CR spec).  Only a submission with neither CR nor row is a 404.
 *
 *   Only the submitter deletes, and, unless readAccess is "all", only
 *   the submitter reads.  BPG lets any user read and delete any
 *   submission (quirk 19).  Here the owner is the exact user the
 *   submission runs as (bpg_authz.h: the CR's spec.proxyUser, or the
 *   row's user once the CR is gone), never the normalised label.  DELETE
 *   is allowed to the owner, adminUsers and the Airflow account; reads
 *   (status, spec, driver, describe) also to viewerUsers, or to everyone
 *   with readAccess "all".  A user who may not read a submission gets
 *   exactly the 404 of a missing one, for reads and DELETE alike, so its
 *   existence is not revealed; one who may read but not delete (a
 *   viewer, or anyone under readAccess "all") gets a 403 that says so.
 *   A submission whose CR is already gone is still a 200 for everyone on
 *   DELETE (quirk 38), as there is nothing left to protect.
 *
 *   The status cache is bounded (quirk 30), see bpg_cache.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "bpg_api_apps.h"
#include "bpg_api_deps.h"
#include "bpg_api_retry.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_db_attempts.h"
#include "bpg_db_schedules.h"
#include "bpg_json.h"
#include "bpg_limits.h"
#include "bpg_log.h"
#include "bpg_metrics.h"
#include "bpg_summary.h"
#include "bpg_yaml.h"

/* ---- helpers ------------------------------------------------------ */

/* The status cache's clock: not moved by changes of the wall clock. */
static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
reply_404(struct bpg_http_resp *r)
{
	/* The text of a JAX-RS error without one (section 0.3). */
	api_reply_error(r, 404, WAE, "HTTP 404 Not Found");
}

/*
 * May the caller read a submission owned by owner (NULL: none known)?
 * When not, the answer is the 404 of a missing submission.
 */
static bool
may_read(struct route_ctx *rc, const char *owner)
{
	if (bpg_authz_may_read(rc->api->cfg, rc->user, owner))
		return true;
	bpg_log(LOG_INFO, "read of %s by %s refused: not the owner",
	    rc->segs[1], rc->user);
	reply_404(rc->resp);
	return false;
}

/*
 * The CR of the ID in rc->segs[1] (a new reference in *cr) and its
 * cluster's Kubernetes handle, when the CR exists and the caller may read
 * it.  On false resp is filled: a missing CR and one the caller may not
 * read get the same 404.
 */
static bool
readable_cr(struct route_ctx *rc, struct bpg_kube **kube, json_t **cr)
{
	const struct bpg_cluster *cluster;
	struct bpg_errinfo ei = { "" };
	enum bpg_err e;

	*cr = NULL;
	if (!api_resolve_id(rc, &cluster, kube))
		return false;
	e = bpg_kube_get_app(*kube, rc->segs[1], cr, &ei);
	if (e == BPG_ENOTFOUND)
		reply_404(rc->resp);
	else if (e != BPG_OK)
		api_reply_err(rc->resp, e, &ei);
	else if (may_read(rc, bpg_authz_cr_owner(*cr)))
		return true;
	json_decref(*cr);
	*cr = NULL;
	return false;
}

/* The CR's spec without the env lists (sections 1.4, 1.6); NULL: ENOMEM. */
static json_t *
spec_without_env(const json_t *cr)
{
	const json_t *spec = json_object_get(cr, "spec");
	json_t *copy;

	copy = json_is_object(spec) ? json_deep_copy(spec) : json_object();
	if (copy == NULL)
		return NULL;
	/*
	 * BPG removes executor.env only when spec.driver exists (both sit in
	 * one guarded step); here each goes on its own, so no env is shown.
	 */
	json_object_del(json_object_get(copy, "driver"), "env");
	json_object_del(json_object_get(copy, "executor"), "env");
	return copy;
}

/*
 * The submission's database row when Kubernetes has no CR.  BPG_ENOTFOUND
 * when there is no database or no row; other errors are logged.
 */
static enum bpg_err
history_row(struct route_ctx *rc, json_t **row)
{
	struct bpg_errinfo ei = { "" };
	enum bpg_err e;

	*row = NULL;
	if (rc->api->db == NULL)
		return BPG_ENOTFOUND;
	e = bpg_db_get_submission(rc->api->db, rc->segs[1], row, &ei);
	if (e != BPG_OK && e != BPG_ENOTFOUND)
		bpg_log(LOG_ERR, "history of %s: %s", rc->segs[1], ei.msg);
	return e;
}

#define HISTORY_UNAVAILABLE "The submission is not in Kubernetes and its " \
	"record cannot be read now (database unavailable). Please try again " \
	"later."

static void
reply_history_unavailable(struct route_ctx *rc)
{
	api_reply_error(rc->resp, 503, WAE, HISTORY_UNAVAILABLE);
}

/* ---- status (section 4) ------------------------------------------- */

/*
 * "nextSubmissionId" in body once the submission was replaced by a later
 * attempt (bpg_db_attempts.h): its old CR is gone by then.  A link that
 * cannot be read is logged and left out.  false: out of memory.
 */
static bool
put_next_id(struct route_ctx *rc, json_t *body)
{
	struct bpg_db_attempt a;
	struct bpg_errinfo ei = { "" };
	bool found = false;

	if (rc->api->db == NULL)
		return true;
	if (bpg_db_attempt_next(rc->api->db, rc->segs[1], &a, &found, &ei) !=
	    BPG_OK) {
		bpg_log(LOG_ERR, "next attempt of %s: %s", rc->segs[1], ei.msg);
		return true;
	}
	if (!found || strcmp(a.state, BPG_DB_ATTEMPT_PENDING) == 0 ||
	    strcmp(a.state, BPG_DB_ATTEMPT_DELETING) == 0 ||
	    strcmp(a.state, BPG_DB_ATTEMPT_ABANDONED) == 0)
		return true;
	return json_object_set_new(body, "nextSubmissionId",
	    json_string(a.submission_id)) == 0;
}

/*
 * "scheduleId" in body for a submission a schedule made: the CR's label
 * bpg/schedule-id (cr NULL: gone), else the schedule's record of fires.
 * A record that cannot be read is logged and left out.  false: out of
 * memory.
 */
static bool
put_schedule_id(struct route_ctx *rc, json_t *body, const json_t *cr)
{
	char sid[BPG_DB_SCHED_MAX_ID + 1];
	struct bpg_errinfo ei = { "" };
	const char *v;

	v = json_string_value(json_object_get(json_object_get(json_object_get(
	    cr, "metadata"), "labels"), "bpg/schedule-id"));
	if (v == NULL && rc->api->db != NULL) {
		if (bpg_db_fire_schedule_of(rc->api->db, rc->segs[1], sid,
		    &ei) != BPG_OK) {
			bpg_log(LOG_ERR, "schedule of %s: %s", rc->segs[1],
			    ei.msg);
			return true;
		}
		if (sid[0] != '\0')
			v = sid;
	}
	return v == NULL ||
	    json_object_set_new(body, "scheduleId", json_string(v)) == 0;
}

/*
 * What the status endpoint answers for one ID, as the cache keeps it:
 * {"code": 200, "body": {...}} or {"code": N, "message": "..."}.
 * *cache is false for answers that must not be kept (the database could
 * not be asked).  NULL: out of memory.
 */
static json_t *
status_load(struct route_ctx *rc, const struct bpg_cluster *cluster,
    struct bpg_kube *kube, bool *cache)
{
	const char *id = rc->segs[1];
	struct bpg_errinfo ei = { "" };
	json_t *cr = NULL, *row = NULL, *body, *out = NULL;
	char text[sizeof(ei.msg) + 128];
	enum bpg_err e;

	*cache = true;
	e = bpg_kube_get_app(kube, id, &cr, &ei);
	switch (e) {
	case BPG_OK:
		/* "owner": whose answer it is, checked on every hit. */
		if ((body = bpg_summary_status(cluster, cr, true,
		    api_now_ms())) != NULL && (!put_schedule_id(rc, body, cr) ||
		    !api_retry_status(rc, body))) {
			json_decref(body);
			body = NULL;
		}
		if (body != NULL)
			out = json_pack("{s:i, s:o, s:s*}", "code", 200,
			    "body", body, "owner", bpg_authz_cr_owner(cr));
		break;
	case BPG_ENOTFOUND:
		switch (history_row(rc, &row)) {
		case BPG_OK:
			if ((body = bpg_summary_status_row(row,
			    api_now_ms())) != NULL &&
			    (!put_next_id(rc, body) ||
			    !put_schedule_id(rc, body, NULL) ||
			    !api_retry_status(rc, body))) {
				json_decref(body);
				body = NULL;
			}
			if (body != NULL)
				out = json_pack("{s:i, s:o, s:s*}", "code",
				    200, "body", body, "owner",
				    api_jstr(row, "user"));
			break;
		case BPG_ENOTFOUND:
			/* Section 3.4: a 404 is remembered too. */
			out = json_pack("{s:i, s:s}", "code", 404, "message",
			    WAE "HTTP 404 Not Found");
			break;
		default:
			*cache = false;
			out = json_pack("{s:i, s:s}", "code", 503, "message",
			    WAE HISTORY_UNAVAILABLE);
			break;
		}
		break;
	case BPG_ERATE:
		/* Section 3.4: Kubernetes throttling reads as UNKNOWN. */
		snprintf(text, sizeof(text), KCE "%s", ei.msg);
		out = json_pack("{s:i, s:{s:i, s:s, s:s}}", "code", 200, "body",
		    "duration", 0, "applicationState", "UNKNOWN",
		    "applicationErrorMessage", text);
		break;
	default:
		/* Other failures are cached too, as BPG's loader does. */
		snprintf(text, sizeof(text), WAE "Failed to get status: %s%s",
		    e == BPG_EUPSTREAM || e == BPG_ETIMEOUT ? KCE : "",
		    ei.msg);
		out = json_pack("{s:i, s:s}", "code", api_status_of(e),
		    "message", text);
		break;
	}
	json_decref(row);
	json_decref(cr);
	return out;
}

/*
 * A 200 status answer is written out on every cache hit with only its
 * duration changing, so it is rendered once, when loaded: v gets "pre"
 * and "post", the text around the duration's digits, and the duration's
 * base (bpg_summary_duration_base()).  Without them (out of memory) the
 * answer is built from "body" each time.
 */
static void
status_prerender(json_t *v)
{
	json_t *body = json_object_get(v, "body");
	char *s, *at;
	int64_t base;
	bool live;

	if (json_integer_value(json_object_get(v, "code")) != 200 ||
	    !json_is_object(body))
		return;
	live = bpg_summary_duration_base(body, &base);
	if (json_object_set_new(body, "duration", json_integer(0)) != 0 ||
	    (s = bpg_json_dump(body, NULL)) == NULL)
		return;
	/* A quote inside a string is escaped: this can only be the key. */
	for (at = s; (at = strstr(at, "\"duration\":0")) != NULL; at++)
		if (at > s && (at[-1] == '{' || at[-1] == ','))
			break;
	if (at != NULL) {
		at += sizeof("\"duration\":") - 1;
		if (json_object_set_new(v, "pre", json_stringn(s,
		    (size_t)(at - s))) != 0 ||
		    json_object_set_new(v, "post", json_string(at + 1)) != 0 ||
		    json_object_set_new(v, "live", json_boolean(live)) != 0 ||
		    json_object_set_new(v, "base", json_integer(base)) != 0)
			json_object_del(v, "pre");
	}
	free(s);
}

/* The prerendered answer of v for now, or NULL. */
static char *
status_text(const json_t *v)
{
	const json_t *pre = json_object_get(v, "pre");
	const json_t *post = json_object_get(v, "post");
	int64_t d = json_integer_value(json_object_get(v, "base"));
	size_t npre, npost;
	char *out;
	int n;

	if (!json_is_string(pre) || !json_is_string(post))
		return NULL;
	if (json_is_true(json_object_get(v, "live")))
		d = api_now_ms() - d;
	npre = json_string_length(pre);
	npost = json_string_length(post);
	if ((out = malloc(npre + 21 + npost + 1)) == NULL)
		return NULL;
	memcpy(out, json_string_value(pre), npre);
	n = snprintf(out + npre, 22, "%lld", (long long)d);
	memcpy(out + npre + (size_t)n, json_string_value(post), npost + 1);
	return out;
}

void
api_h_status(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	const struct bpg_cluster *cluster;
	struct bpg_kube *kube;
	json_t *v, *body;
	bool cache;
	char *text;
	int code;

	/* Quirk 4 fixed: a bad ID is a 400 here as everywhere. */
	if (!api_resolve_id(rc, &cluster, &kube))
		return;
	if ((v = bpg_cache_get(api->status_cache, rc->segs[1],
	    mono_ms())) != NULL)
		bpg_metrics_inc(api->metrics, BPG_METRIC_STATUS_CACHE_HITS,
		    NULL);
	else {
		bpg_metrics_inc(api->metrics, BPG_METRIC_STATUS_CACHE_MISSES,
		    NULL);
		if ((v = status_load(rc, cluster, kube, &cache)) == NULL) {
			api_reply_nomem(rc->resp);
			return;
		}
		status_prerender(v);
		/* The entry's life starts when the answer is known. */
		if (cache && bpg_cache_put(api->status_cache, rc->segs[1], v,
		    mono_ms()) != BPG_OK)
			bpg_log(LOG_WARNING, "status cache: out of memory");
	}
	/* Answers about a submission carry its owner (null: unknown). */
	if (json_object_get(v, "owner") != NULL &&
	    !may_read(rc, api_jstr(v, "owner"))) {
		json_decref(v);
		return;
	}
	code = (int)json_integer_value(json_object_get(v, "code"));
	if (code == 200 && (text = status_text(v)) != NULL)
		api_reply_text(rc->resp, 200, "application/json", text);
	else if (code == 200) {
		/* Section 4.2: duration is computed when it is written. */
		if ((body = json_deep_copy(json_object_get(v, "body"))) ==
		    NULL) {
			json_decref(v);
			api_reply_nomem(rc->resp);
			return;
		}
		bpg_summary_set_duration(body, api_now_ms());
		api_reply_json(rc->resp, 200, body);
	} else
		api_reply_json(rc->resp, code, json_pack("{s:i, s:s}", "code",
		    code, "message", api_jstr(v, "message")));
	json_decref(v);
}

/* ---- spec, driver, describe (sections 1.4-1.6) -------------------- */

void
api_h_spec(struct route_ctx *rc)
{
	const struct bpg_cluster *cluster;
	struct bpg_kube *kube;
	struct bpg_errinfo ei = { "" };
	json_t *cr = NULL, *row = NULL, *spec;
	json_error_t jerr;
	const char *stored;
	enum bpg_err e;

	if (!api_resolve_id(rc, &cluster, &kube))
		return;
	e = bpg_kube_get_app(kube, rc->segs[1], &cr, &ei);
	if (e == BPG_OK) {
		if (!may_read(rc, bpg_authz_cr_owner(cr)))
			goto out;
		if ((spec = spec_without_env(cr)) == NULL)
			api_reply_nomem(rc->resp);
		else
			api_reply_json(rc->resp, 200, spec);
		goto out;
	}
	if (e != BPG_ENOTFOUND) {
		api_reply_err(rc->resp, e, &ei);
		goto out;
	}
	/* The CR is gone: the request as it was stored, if there is one. */
	switch (history_row(rc, &row)) {
	case BPG_OK:
		break;
	case BPG_ENOTFOUND:
		reply_404(rc->resp);
		goto out;
	default:
		reply_history_unavailable(rc);
		goto out;
	}
	if (!may_read(rc, api_jstr(row, "user")))
		goto out;
	stored = api_jstr(row, "request_body");
	spec = stored != NULL ? json_loads(stored, JSON_REJECT_DUPLICATES,
	    &jerr) : NULL;
	if (!json_is_object(spec)) {
		/* A row written by the monitor has no request. */
		json_decref(spec);
		reply_404(rc->resp);
		goto out;
	}
	api_reply_json(rc->resp, 200, spec);
out:
	json_decref(row);
	json_decref(cr);
}

void
api_h_driver(struct route_ctx *rc)
{
	struct bpg_kube *kube;
	struct bpg_errinfo ei = { "" };
	json_t *cr, *pod = NULL, *o;
	const json_t *pst;
	const char *name;
	int64_t start;
	enum bpg_err e;

	if (!readable_cr(rc, &kube, &cr))
		return;
	name = api_jstr(json_object_get(json_object_get(cr, "status"),
	    "driverInfo"), "podName");
	if (name == NULL) {
		api_reply_json(rc->resp, 200, json_object());
		goto out;
	}
	e = bpg_kube_get_pod(kube, name, &pod, &ei);
	if (e == BPG_ENOTFOUND) {
		api_reply_json(rc->resp, 200, json_object());
		goto out;
	}
	if (e != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		goto out;
	}
	if ((pst = json_object_get(pod, "status")) == NULL) {
		api_reply_json(rc->resp, 200, json_object());
		goto out;
	}
	start = bpg_time_parse_ms(api_jstr(pst, "startTime"));
	o = json_pack("{s:s}", "podName", name);
	if (o != NULL && start >= 0 &&
	    json_object_set_new(o, "startTime", json_integer(start)) != 0) {
		json_decref(o);
		o = NULL;
	}
	api_reply_json(rc->resp, 200, o);
out:
	json_decref(pod);
	json_decref(cr);
}

/* A growing text buffer for the describe answer. */
struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

static void
text_add(struct text *t, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (t->oom)
		return;
	if (t->len + n + 1 > t->cap) {
		ncap = t->cap ? t->cap : 4096;
		while (ncap < t->len + n + 1)
			ncap *= 2;
		if ((np = realloc(t->p, ncap)) == NULL) {
			t->oom = true;
			return;
		}
		t->p = np;
		t->cap = ncap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void
text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* "<lastTimestamp> <reason> <message>" per event; Java prints null. */
static void
text_events(struct text *t, const json_t *list)
{
	const json_t *ev;
	const char *v;
	size_t i;

	json_array_foreach(json_object_get(list, "items"), i, ev) {
		v = api_jstr(ev, "lastTimestamp");
		text_str(t, v != NULL ? v : "null");
		text_str(t, " ");
		v = api_jstr(ev, "reason");
		text_str(t, v != NULL ? v : "null");
		text_str(t, " ");
		v = api_jstr(ev, "message");
		text_str(t, v != NULL ? v : "null");
		text_str(t, "\n");
	}
}

void
api_h_describe(struct route_ctx *rc)
{
	struct bpg_kube *kube;
	struct bpg_errinfo ei = { "" };
	struct text t = { NULL, 0, 0, false };
	json_t *cr, *spec = NULL, *app_ev = NULL, *drv_ev = NULL;
	char *yaml = NULL, name[BPG_MAX_SUBMISSION_ID + sizeof("-driver")];
	size_t ylen;
	enum bpg_err e;

	/* Everything is fetched before the first byte: errors are JSON. */
	if (!readable_cr(rc, &kube, &cr))
		return;
	if ((spec = spec_without_env(cr)) == NULL ||
	    bpg_yaml_dump(spec, &yaml, &ylen) != BPG_OK) {
		api_reply_nomem(rc->resp);
		goto out;
	}
	if ((e = bpg_kube_list_events(kube, rc->segs[1], &app_ev, &ei)) !=
	    BPG_OK)
		goto fail;
	snprintf(name, sizeof(name), "%s-driver", rc->segs[1]);
	if ((e = bpg_kube_list_events(kube, name, &drv_ev, &ei)) != BPG_OK)
		goto fail;

	text_str(&t, "--- Spark Spec ---\n");
	text_add(&t, yaml, ylen);
	text_str(&t, "\n--- Spark Application Events ---\n");
	text_events(&t, app_ev);
	text_str(&t, "--- Spark Driver Events ---\n");
	text_events(&t, drv_ev);
	if (t.oom) {
		api_reply_nomem(rc->resp);
		goto out;
	}
	/* One buffered answer: its length is known. */
	api_reply_text_n(rc->resp, 200, "application/octet-stream", t.p,
	    t.len);
	t.p = NULL;
	goto out;
fail:
	api_reply_err(rc->resp, e, &ei);
out:
	free(t.p);
	free(yaml);
	json_decref(drv_ev);
	json_decref(app_ev);
	json_decref(spec);
	json_decref(cr);
}

/* ---- delete (section 1.2) ----------------------------------------- */

void
api_h_delete(struct route_ctx *rc)
{
	const struct bpg_cluster *cluster;
	struct bpg_kube *kube;
	struct bpg_errinfo ei = { "" };
	json_t *cr = NULL;
	const char *owner;
	char text[BPG_MAX_USER + BPG_MAX_SUBMISSION_ID + 160];
	enum bpg_err e;

	if (!api_resolve_id(rc, &cluster, &kube))
		return;
	/* Who owns it decides who may delete it (see the top of the file). */
	e = bpg_kube_get_app(kube, rc->segs[1], &cr, &ei);
	if (e == BPG_OK && !bpg_authz_may_change(rc->api->cfg, rc->user,
	    owner = bpg_authz_cr_owner(cr))) {
		if (!may_read(rc, owner))
			goto out;
		snprintf(text, sizeof(text), "User %s is not allowed to delete "
		    "submission %s: only the user who submitted it or an "
		    "admin may delete it", rc->user, rc->segs[1]);
		api_reply_error(rc->resp, 403, WAE, text);
		goto out;
	}
	if ((e == BPG_OK || e == BPG_ENOTFOUND) && !api_retry_cancel(rc))
		goto out;
	/* No CR: it may be waiting for its dependencies. */
	if (e == BPG_ENOTFOUND && api_deps_delete(rc))
		goto out;
	/* A missing object is not an error (section 1.2, quirk 38). */
	if (e == BPG_OK)
		e = bpg_kube_delete_app(kube, rc->segs[1], &ei);
	if (e != BPG_OK && e != BPG_ENOTFOUND) {
		api_reply_err(rc->resp, e, &ei);
		goto out;
	}
	bpg_log(LOG_INFO, "deleted %s user=%s", rc->segs[1], rc->user);
	api_reply_json(rc->resp, 200, json_pack("{s:s}", "submissionId",
	    rc->segs[1]));
out:
	json_decref(cr);
}

/* ---- health, version, OpenAPI ------------------------------------- */

void
api_h_health(struct route_ctx *rc)
{
	api_reply_json(rc->resp, 200, json_pack("{s:s}", "status", "OK"));
}

#ifndef BPG_VERSION
#define BPG_VERSION NULL
#endif
#ifndef BPG_GIT_REV
#define BPG_GIT_REV NULL
#endif
#ifndef BPG_BUILD_TIME
#define BPG_BUILD_TIME NULL
#endif

/* A JSON string (or null) as Jackson writes it; NULL on ENOMEM. */
static char *
json_text(const char *s)
{
	json_t *v = s != NULL ? json_string(s) : json_null();
	char *out;

	if (v == NULL)
		return NULL;
	out = json_dumps(v, JSON_ENCODE_ANY);
	json_decref(v);
	return out;
}

/*
 * Section 1.11: Jackson's default pretty printer, byte for byte (two-space
 * indent, " : " between key and value, a newline after the object).
 */
void
api_h_version(struct route_ctx *rc)
{
	char *v = json_text(BPG_VERSION), *g = json_text(BPG_GIT_REV);
	char *b = json_text(BPG_BUILD_TIME), *body = NULL;
	int n = -1;

	if (v != NULL && g != NULL && b != NULL)
		n = asprintf(&body, "{\n  \"version\" : %s,\n  \"gitCommit\" : "
		    "%s,\n  \"buildTime\" : %s\n}\n", v, g, b);
	free(v);
	free(g);
	free(b);
	if (n < 0) {
		api_reply_nomem(rc->resp);
		return;
	}
	api_reply_text_n(rc->resp, 200, "application/json", body, (size_t)n);
}

void
api_h_openapi_json(struct route_ctx *rc)
{
	if (rc->api->openapi_json == NULL) {
		api_reply_no_resource(rc->resp);
		return;
	}
	api_reply_json(rc->resp, 200, json_incref(rc->api->openapi_json));
}

void
api_h_openapi_yaml(struct route_ctx *rc)
{
	char *copy;

	if (rc->api->openapi_yaml == NULL) {
		api_reply_no_resource(rc->resp);
		return;
	}
	if ((copy = malloc(rc->api->openapi_yaml_len + 1)) == NULL) {
		api_reply_nomem(rc->resp);
		return;
	}
	memcpy(copy, rc->api->openapi_yaml, rc->api->openapi_yaml_len + 1);
	api_reply_text_n(rc->resp, 200, "application/yaml", copy,
	    rc->api->openapi_yaml_len);
}
