/*
 * The schedules' endpoints (bpg_api_schedules.h).  Everything a schedule
 * will do at fire time is checked here, before anything is written: the
 * cron expression and its zone (bpg_cron.h), and the request exactly as
 * POST /spark checks it (bpg_req_parse(), bpg_route_submission(): queue,
 * queue token, Spark version, limits; bpg_notify_plan(): its webhooks).
 * A 400 names the field.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "bpg_api_schedules.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_cron.h"
#include "bpg_db_schedules.h"
#include "bpg_dryrun.h"
#include "bpg_json.h"
#include "bpg_log.h"
#include "bpg_notify_plan.h"
#include "bpg_req.h"
#include "bpg_route.h"

#define MAX_NAME 253
#define MAX_DEADLINE_S 31536000 /* a year */

static const char *const policies[] = { "Allow", "Forbid", "Replace" };

static bool
need_db(struct route_ctx *rc)
{
	if (rc->api->db != NULL)
		return true;
	api_reply_error(rc->resp, 409, WAE, "Schedules need the database "
	    "(dbStorageSOPS): none is configured.");
	return false;
}

/* s formatted as RFC 3339 UTC, or JSON null for -1. */
static json_t *
jtime(int64_t t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;

	if (t < 0 || gmtime_r(&tt, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

/*
 * The request as a GET shows it: env values, secret-looking sparkConf
 * and hadoopConf keys and the queue token masked as the dry run masks a
 * CR (bpg_dryrun_mask()).
 */
static json_t *
masked_request(const char *text)
{
	json_t *req, *wrap, *m, *out = NULL;

	if ((req = json_loads(text, 0, NULL)) == NULL)
		return json_null();
	if ((wrap = json_pack("{s:o}", "spec", req)) == NULL)
		return NULL;
	if ((m = bpg_dryrun_mask(wrap)) != NULL) {
		out = json_incref(json_object_get(m, "spec"));
		if (out != NULL && json_object_get(out, "queueToken") != NULL &&
		    json_object_set_new(out, "queueToken",
		    json_string(BPG_DRYRUN_MASK)) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	json_decref(m);
	json_decref(wrap);
	return out;
}

/* The answer about s; with fires (n of them) when fires is not NULL. */
static json_t *
sched_json(const struct bpg_db_schedule *s, const struct bpg_db_fire *fires,
    size_t n)
{
	json_t *o, *list, *req = NULL;
	size_t i;

	if (s->request != NULL && (req = masked_request(s->request)) == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o, "
	    "s:o, s:o}",
	    "scheduleId", s->id, "name", s->name, "owner", s->owner,
	    "cron", s->cron, "timezone", s->timezone,
	    "concurrencyPolicy", s->policy, "suspend", s->suspend,
	    "startingDeadlineSeconds", s->deadline_s < 0 ? json_null() :
	    json_integer(s->deadline_s),
	    "lastFireTime", jtime(s->last_fire),
	    "nextFireTime", jtime(s->next_fire),
	    "createdTime", jtime(s->created),
	    "updatedTime", jtime(s->updated));
	if (o == NULL) {
		json_decref(req);
		return NULL;
	}
	if (req != NULL && json_object_set_new(o, "request", req) != 0)
		goto fail;
	if (fires == NULL)
		return o;
	if ((list = json_array()) == NULL ||
	    json_object_set_new(o, "submissions", list) != 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (json_array_append_new(list, json_pack("{s:s, s:o, s:s}",
		    "submissionId", fires[i].submission_id,
		    "fireTime", jtime(fires[i].fire_time),
		    "state", fires[i].status[0] != '\0' ? fires[i].status :
		    fires[i].state)) != 0)
			goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/* A fresh schedule ID: "s-" and 32 hex digits, a valid label value. */
static void
new_id(struct bpg_api *api, char id[BPG_DB_SCHED_MAX_ID + 1])
{
	snprintf(id, BPG_DB_SCHED_MAX_ID + 1, "s-%016llx%016llx",
	    (unsigned long long)bpg_rng_next(&api->rng),
	    (unsigned long long)bpg_rng_next(&api->rng));
}

/* o[key] as a string of 1..max bytes into dst, or the default dflt. */
static enum bpg_err
take_str(const json_t *o, const char *key, const char *dflt, char *dst,
    size_t max, struct bpg_errinfo *ei)
{
	const json_t *v = json_object_get(o, key);
	size_t n;

	if (v == NULL || json_is_null(v)) {
		if (dflt == NULL)
			return bpg_errf(ei, BPG_EINVAL, "%s: required", key);
		snprintf(dst, max + 1, "%s", dflt);
		return BPG_OK;
	}
	if (!json_is_string(v))
		return bpg_errf(ei, BPG_EINVAL, "%s: must be a string", key);
	if ((n = json_string_length(v)) == 0 || n > max ||
	    strlen(json_string_value(v)) != n)
		return bpg_errf(ei, BPG_EINVAL, "%s: must be 1 to %zu bytes "
		    "without NUL", key, max);
	memcpy(dst, json_string_value(v), n + 1);
	return BPG_OK;
}

/*
 * The body of a POST or PUT checked into *s (owner and id set by the
 * caller; s->request a new string) and *cron; nothing written.
 */
static enum bpg_err
parse_body(struct route_ctx *rc, struct bpg_db_schedule *s,
    struct bpg_cron *cron, struct bpg_errinfo *ei)
{
	static const char *const known[] = { "name", "cron", "timezone",
	    "request", "concurrencyPolicy", "suspend",
	    "startingDeadlineSeconds" };
	struct bpg_submit_req req;
	struct bpg_notify_spec notify;
	const struct bpg_cluster *cluster;
	json_error_t jerr;
	json_t *doc, *v;
	const char *k;
	char *queue = NULL, *text = NULL;
	enum bpg_err e;
	size_t i;

	memset(&req, 0, sizeof(req));
	doc = json_loadb(rc->body != NULL ? rc->body : "", rc->body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || !json_is_object(doc)) {
		e = bpg_errf(ei, BPG_EINVAL, "Invalid JSON request: %s",
		    doc == NULL ? jerr.text : "not an object");
		goto out;
	}
	json_object_foreach(doc, k, v) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			e = bpg_errf(ei, BPG_EINVAL, "Unknown field '%.64s'",
			    k);
			goto out;
		}
	}
	if ((e = take_str(doc, "name", NULL, s->name, MAX_NAME, ei)) != BPG_OK ||
	    (e = take_str(doc, "cron", NULL, s->cron, BPG_CRON_MAX_LEN < 255 ?
	    BPG_CRON_MAX_LEN : 255, ei)) != BPG_OK ||
	    (e = take_str(doc, "timezone", "UTC", s->timezone,
	    BPG_CRON_TZ_MAX, ei)) != BPG_OK ||
	    (e = take_str(doc, "concurrencyPolicy", "Allow", s->policy,
	    BPG_DB_SCHED_MAX_WORD, ei)) != BPG_OK)
		goto out;
	if ((e = bpg_cron_parse_n(cron, s->cron, strlen(s->cron),
	    ei)) != BPG_OK ||
	    (e = bpg_cron_zone_n(cron, s->timezone, strlen(s->timezone),
	    ei)) != BPG_OK)
		goto out;
	for (i = 0; i < 3; i++)
		if (strcmp(s->policy, policies[i]) == 0)
			break;
	if (i == 3) {
		e = bpg_errf(ei, BPG_EINVAL, "concurrencyPolicy: must be "
		    "Allow, Forbid or Replace");
		goto out;
	}
	v = json_object_get(doc, "suspend");
	if (v != NULL && !json_is_boolean(v)) {
		e = bpg_errf(ei, BPG_EINVAL, "suspend: must be a boolean");
		goto out;
	}
	s->suspend = v != NULL && json_is_true(v);
	s->deadline_s = -1;
	v = json_object_get(doc, "startingDeadlineSeconds");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > MAX_DEADLINE_S) {
			e = bpg_errf(ei, BPG_EINVAL, "startingDeadlineSeconds: "
			    "must be an integer from 0 to %d", MAX_DEADLINE_S);
			goto out;
		}
		s->deadline_s = json_integer_value(v);
	}
	v = json_object_get(doc, "request");
	if (v == NULL || !json_is_object(v)) {
		e = bpg_errf(ei, BPG_EINVAL, "request: required, a "
		    "SubmitApplicationRequest object");
		goto out;
	}
	if ((text = json_dumps(v, JSON_COMPACT)) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto out;
	}
	/* As POST /spark would check it, as the owner, now. */
	if ((e = bpg_req_parse(text, strlen(text), BPG_REQ_JSON, &req,
	    ei)) != BPG_OK ||
	    (e = bpg_route_submission(rc->api->cfg, &req, s->owner,
	    &rc->api->rng, &queue, &cluster, ei)) != BPG_OK ||
	    (e = bpg_notify_plan(rc->api->cfg, rc->api->db, req.notify, queue,
	    &notify, ei)) != BPG_OK) {
		char msg[sizeof(ei->msg)];

		snprintf(msg, sizeof(msg), "%s", ei->msg);
		e = bpg_errf(ei, e == BPG_ENOMEM ? e : BPG_EINVAL,
		    "request: %s", msg);
		goto out;
	}
	s->request = text;
	text = NULL;
out:
	free(queue);
	free(text);
	bpg_req_reset(&req);
	json_decref(doc);
	return e;
}

/* The next fire of s after now (-1: suspended, or none). */
static int64_t
next_of(const struct bpg_db_schedule *s, const struct bpg_cron *c,
    int64_t now)
{
	time_t next;

	if (s->suspend ||
	    bpg_cron_next(c, (time_t)s->anchor, (time_t)now, &next) != BPG_OK)
		return -1;
	return (int64_t)next;
}

void
api_h_sched_create(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	struct bpg_db_schedule s;
	struct bpg_cron cron;
	struct bpg_errinfo ei = { "" };
	enum bpg_err e;
	int tries;

	memset(&s, 0, sizeof(s));
	if (!need_db(rc))
		return;
	snprintf(s.owner, sizeof(s.owner), "%s", rc->user);
	if (strlen(rc->user) > BPG_DB_SCHED_MAX_FIELD) {
		e = bpg_errf(&ei, BPG_EINVAL, "user name too long");
		goto fail;
	}
	if ((e = parse_body(rc, &s, &cron, &ei)) != BPG_OK)
		goto fail;
	s.anchor = api_now_ms() / 1000;
	s.next_fire = next_of(&s, &cron, s.anchor);
	s.last_fire = -1;
	for (tries = 0; tries < 3; tries++) {
		new_id(api, s.id);
		if ((e = bpg_db_schedule_insert(api->db, &s, &ei)) != BPG_EEXIST)
			break;
	}
	if (e != BPG_OK)
		goto fail;
	bpg_log(LOG_INFO, "schedule %s created by %s: %s", s.id, s.owner,
	    s.cron);
	api_reply_json(rc->resp, 200, json_pack("{s:s}", "scheduleId", s.id));
	goto out;
fail:
	api_reply_err(rc->resp, e, &ei);
out:
	bpg_db_schedule_reset(&s);
}

void
api_h_sched_list(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	struct bpg_db_schedule *rows;
	struct bpg_errinfo ei = { "" };
	json_t *list, *o;
	size_t i, n = 0;
	enum bpg_err e;

	if (!need_db(rc))
		return;
	if ((rows = calloc(BPG_DB_SCHED_MAX_LIST, sizeof(*rows))) == NULL) {
		api_reply_nomem(rc->resp);
		return;
	}
	e = bpg_db_schedule_list(api->db,
	    bpg_authz_is_admin(api->cfg, rc->user) ? NULL : rc->user, rows,
	    BPG_DB_SCHED_MAX_LIST, &n, &ei);
	if (e != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		goto out;
	}
	if ((list = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if ((o = sched_json(&rows[i], NULL, 0)) == NULL ||
		    json_array_append_new(list, o) != 0) {
			json_decref(list);
			goto nomem;
		}
	api_reply_json(rc->resp, 200, json_pack("{s:o}", "schedules", list));
	goto out;
nomem:
	api_reply_nomem(rc->resp);
out:
	free(rows);
}

/*
 * The schedule of rc->segs[1] into *s, readable and changeable by the
 * caller (only the owner and the admins); on false resp is filled.
 */
static bool
load(struct route_ctx *rc, struct bpg_db_schedule *s)
{
	struct bpg_errinfo ei = { "" };
	const char *id = rc->segs[1];
	bool found = false;
	enum bpg_err e;

	memset(s, 0, sizeof(*s));
	if (!need_db(rc))
		return false;
	if (strlen(id) > BPG_DB_SCHED_MAX_ID)
		found = false;
	else if ((e = bpg_db_schedule_get(rc->api->db, id, s, &found,
	    &ei)) != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		return false;
	}
	if (found && (strcmp(s->owner, rc->user) == 0 ||
	    bpg_authz_is_admin(rc->api->cfg, rc->user)))
		return true;
	if (found)
		bpg_log(LOG_INFO, "schedule %s: %s refused, not the owner", id,
		    rc->user);
	bpg_db_schedule_reset(s);
	/* Another's schedule is not shown to exist. */
	api_reply_error(rc->resp, 404, WAE, "Schedule not found");
	return false;
}

static void
reply_sched(struct route_ctx *rc, const char *id)
{
	struct bpg_db_fire fires[BPG_DB_SCHED_RECENT];
	struct bpg_db_schedule s;
	struct bpg_errinfo ei = { "" };
	bool found = false;
	size_t n = 0;
	enum bpg_err e;

	memset(&s, 0, sizeof(s));
	if ((e = bpg_db_schedule_get(rc->api->db, id, &s, &found,
	    &ei)) != BPG_OK ||
	    (e = bpg_db_fire_recent(rc->api->db, id, fires,
	    BPG_DB_SCHED_RECENT, &n, &ei)) != BPG_OK)
		api_reply_err(rc->resp, e, &ei);
	else if (!found)
		api_reply_error(rc->resp, 404, WAE, "Schedule not found");
	else
		api_reply_json(rc->resp, 200, sched_json(&s, fires, n));
	bpg_db_schedule_reset(&s);
}

void
api_h_sched_get(struct route_ctx *rc)
{
	struct bpg_db_schedule s;

	if (!load(rc, &s))
		return;
	bpg_db_schedule_reset(&s);
	reply_sched(rc, rc->segs[1]);
}

void
api_h_sched_replace(struct route_ctx *rc)
{
	struct bpg_db_schedule cur, s;
	struct bpg_cron cron;
	struct bpg_errinfo ei = { "" };
	bool found = false;
	enum bpg_err e;

	if (!load(rc, &cur))
		return;
	memset(&s, 0, sizeof(s));
	memcpy(s.id, cur.id, sizeof(s.id));
	memcpy(s.owner, cur.owner, sizeof(s.owner));
	if ((e = parse_body(rc, &s, &cron, &ei)) != BPG_OK)
		goto fail;
	/* A new expression counts from now; the fires made stay. */
	s.anchor = api_now_ms() / 1000;
	s.next_fire = next_of(&s, &cron, s.anchor);
	if ((e = bpg_db_schedule_replace(rc->api->db, &s, &found,
	    &ei)) != BPG_OK)
		goto fail;
	bpg_log(LOG_INFO, "schedule %s replaced by %s", s.id, rc->user);
	reply_sched(rc, s.id);
	goto out;
fail:
	api_reply_err(rc->resp, e, &ei);
out:
	bpg_db_schedule_reset(&s);
	bpg_db_schedule_reset(&cur);
}

void
api_h_sched_delete(struct route_ctx *rc)
{
	struct bpg_db_schedule s;
	struct bpg_errinfo ei = { "" };
	bool found = false;
	enum bpg_err e;

	if (!load(rc, &s))
		return;
	if ((e = bpg_db_schedule_delete(rc->api->db, s.id, &found,
	    &ei)) != BPG_OK)
		api_reply_err(rc->resp, e, &ei);
	else {
		bpg_log(LOG_INFO, "schedule %s deleted by %s", s.id, rc->user);
		api_reply_json(rc->resp, 200, json_pack("{s:s, s:b}",
		    "scheduleId", s.id, "deleted", found));
	}
	bpg_db_schedule_reset(&s);
}

/* Suspend (on) or resume the schedule: a resumed one counts from now. */
static void
set_suspend(struct route_ctx *rc, bool on)
{
	struct bpg_db_schedule s;
	struct bpg_cron cron;
	struct bpg_errinfo ei = { "" };
	bool found = false;
	int64_t now = api_now_ms() / 1000, next = -1, anchor;
	enum bpg_err e;

	if (!load(rc, &s))
		return;
	anchor = s.anchor;
	if (!on) {
		if ((e = bpg_cron_parse_n(&cron, s.cron, strlen(s.cron),
		    &ei)) != BPG_OK ||
		    (e = bpg_cron_zone_n(&cron, s.timezone,
		    strlen(s.timezone), &ei)) != BPG_OK)
			goto fail;
		/* Missed fires while suspended are not made up. */
		s.suspend = false;
		if (s.suspend != on && !s.suspend)
			anchor = now;
		s.anchor = anchor;
		next = next_of(&s, &cron, now);
	}
	if ((e = bpg_db_schedule_set_suspend(rc->api->db, s.id, on, next,
	    anchor, &found, &ei)) != BPG_OK)
		goto fail;
	bpg_log(LOG_INFO, "schedule %s %s by %s", s.id, on ? "suspended" :
	    "resumed", rc->user);
	bpg_db_schedule_reset(&s);
	reply_sched(rc, rc->segs[1]);
	return;
fail:
	bpg_db_schedule_reset(&s);
	api_reply_err(rc->resp, e, &ei);
}

void
api_h_sched_suspend(struct route_ctx *rc)
{
	set_suspend(rc, true);
}

void
api_h_sched_resume(struct route_ctx *rc)
{
	set_suspend(rc, false);
}

/*
 * Run now: the next fire moves to now, so the monitor makes it on its
 * next turn, through the same path as every fire (one submission per
 * fire time); the cron sequence goes on from there.
 */
void
api_h_sched_trigger(struct route_ctx *rc)
{
	struct bpg_db_schedule s;
	struct bpg_errinfo ei = { "" };
	bool found = false;
	int64_t now = api_now_ms() / 1000;
	enum bpg_err e;

	if (!load(rc, &s))
		return;
	if (s.suspend) {
		api_reply_error(rc->resp, 409, WAE, "The schedule is "
		    "suspended: resume it first.");
		goto out;
	}
	if ((e = bpg_db_schedule_trigger(rc->api->db, s.id, now, &found,
	    &ei)) != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		goto out;
	}
	bpg_log(LOG_INFO, "schedule %s triggered by %s", s.id, rc->user);
	api_reply_json(rc->resp, 200, json_pack("{s:s, s:o}", "scheduleId",
	    s.id, "fireTime", jtime(now)));
out:
	bpg_db_schedule_reset(&s);
}
