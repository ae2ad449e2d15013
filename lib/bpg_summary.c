/*
 * Status and SubmissionSummary answers (bpg-reference sections 1.14, 4.2,
 * 4.3).  Field order is BPG's (jansson keeps insertion order).
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_crd.h"
#include "bpg_route.h"
#include "bpg_summary.h"

/* What section 4.3 calls running too long: within 2 minutes of the limit. */
#define KILL_MARGIN_MS 120000

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An integer member, or dflt when absent or not an integer. */
static int64_t
jint_or(const json_t *o, const char *key, int64_t dflt)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

/* Set key to v (consumed); false (and v released) on failure. */
static bool
put(json_t *o, const char *key, json_t *v)
{
	return v != NULL && json_object_set_new(o, key, v) == 0;
}

static bool
put_str(json_t *o, const char *key, const char *s)
{
	return s == NULL || put(o, key, json_string(s));
}

/* ---- memory (Spark's byteStringAsGb) ------------------------------ */

bool
bpg_summary_memory_gib(const char *s, int64_t *gib)
{
	static const struct {
		const char *suffix;
		int shift;		/* log2 of the unit in bytes */
	} units[] = {
		{ "b", 0 }, { "k", 10 }, { "kb", 10 }, { "m", 20 },
		{ "mb", 20 }, { "g", 30 }, { "gb", 30 }, { "t", 40 },
		{ "tb", 40 }, { "p", 50 }, { "pb", 50 },
	};
	char suffix[4];
	const char *p, *end;
	uint64_t v = 0;
	size_t i, n = 0;
	int shift = 30;

	*gib = 0;
	if (s == NULL)
		return false;
	/* Java's trim(): every byte up to U+0020 at either end. */
	for (p = s; *p != '\0' && (unsigned char)*p <= 0x20; p++)
		;
	for (end = p + strlen(p); end > p && (unsigned char)end[-1] <= 0x20;
	    end--)
		;
	if (p == end || !isdigit((unsigned char)*p))
		return false;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		/* Long.parseLong: at most 2^63 - 1. */
		if (v > (UINT64_C(0x7fffffffffffffff) -
		    (uint64_t)(*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p < end) {
		for (; p < end && n < sizeof(suffix) - 1; p++, n++) {
			if (!isalpha((unsigned char)*p))
				return false;
			suffix[n] = (char)tolower((unsigned char)*p);
		}
		if (p < end)
			return false;
		suffix[n] = '\0';
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(suffix, units[i].suffix) == 0)
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return false;
		shift = units[i].shift;
	}
	if (shift >= 30) {
		/* ByteUnit.convertTo: refuse what overflows a long. */
		if (v > (UINT64_C(0x7fffffffffffffff) >> (shift - 30)))
			return false;
		v <<= shift - 30;
	} else
		v >>= 30 - shift;
	*gib = (int64_t)v;
	return true;
}

/* ---- status (sections 4.2, 4.3) ----------------------------------- */

bool
bpg_summary_duration_base(const json_t *st, int64_t *base)
{
	const json_t *created = json_object_get(st, "creationTime");
	const json_t *ended = json_object_get(st, "terminationTime");
	const char *state = jstr(st, "applicationState");

	*base = 0;
	if (!json_is_integer(created))
		return false;
	if (json_is_integer(ended)) {
		*base = (int64_t)(json_integer_value(ended) -
		    json_integer_value(created));
		return false;
	}
	if (state != NULL && (strcmp(state, "RUNNING") == 0 ||
	    strcmp(state, "SUBMITTED") == 0)) {
		*base = (int64_t)json_integer_value(created);
		return true;
	}
	return false;
}

void
bpg_summary_set_duration(json_t *st, int64_t now_ms)
{
	int64_t d;

	if (bpg_summary_duration_base(st, &d))
		d = now_ms - d;
	/* Only "duration" is replaced, so the field keeps its place. */
	json_object_set_new(st, "duration", json_integer(d));
}

/* Section 4.3's addition to applicationErrorMessage, or "". */
static void
remarks_of(const json_t *labels, const char *state, int64_t created,
    int64_t ended, char *extra, size_t len)
{
	const char *label = jstr(labels, "maxRunningMillis");
	char *end;
	long long m;

	extra[0] = '\0';
	if (label == NULL || label[0] == '\0')
		return;
	m = strtoll(label, &end, 10);
	if (*end != '\0')
		return;
	if (m > BPG_DEFAULT_MAX_RUNNING_MILLIS)
		snprintf(extra, len, "(warning: application is configured with "
		    "custom max running time: %lld millis, but might be still "
		    "killed in certain situations like maintenance)", m);
	if (strcmp(state, "FAILED") == 0 && created >= 0 && ended >= 0 &&
	    ended - created >= m - KILL_MARGIN_MS)
		snprintf(extra, len, "(application might be killed because of "
		    "running too long)");
}

/*
 * The status fields shared by the status answer and SubmissionSummary,
 * added to o in BPG's order.  false on ENOMEM.
 */
static bool
status_fields(json_t *o, const json_t *cr, bool remarks, int64_t now_ms)
{
	const json_t *meta = json_object_get(cr, "metadata");
	const json_t *st = json_object_get(cr, "status");
	const json_t *as = json_object_get(st, "applicationState");
	const json_t *attempts = json_object_get(st, "executionAttempts");
	const char *state = jstr(as, "state");
	const char *errmsg = jstr(as, "errorMessage");
	int64_t created = bpg_time_parse_ms(jstr(meta, "creationTimestamp"));
	int64_t ended = bpg_time_parse_ms(jstr(st, "terminationTime"));
	char extra[256] = "";
	char *msg = NULL;
	bool ok = true;

	if (state == NULL)
		state = "UNKNOWN";
	if (remarks)
		remarks_of(json_object_get(meta, "labels"), state, created,
		    ended, extra, sizeof(extra));
	if (created >= 0)
		ok = ok && put(o, "creationTime", json_integer(created));
	ok = ok && put_str(o, "sparkApplicationId",
	    jstr(st, "sparkApplicationId"));
	/* The operator leaves out a zero: absent reads as 1. */
	if (st != NULL)
		ok = ok && put(o, "executionAttempts",
		    json_integer(json_is_integer(attempts) ?
		    json_integer_value(attempts) : 1));
	if (ended >= 0)
		ok = ok && put(o, "terminationTime", json_integer(ended));
	ok = ok && put(o, "duration", json_integer(0));
	ok = ok && put_str(o, "applicationState", state);
	if (extra[0] != '\0') {
		if (asprintf(&msg, "%s%s%s", errmsg ? errmsg : "",
		    errmsg ? " " : "", extra) < 0)
			return false;
		ok = ok && put_str(o, "applicationErrorMessage", msg);
		free(msg);
	} else
		ok = ok && put_str(o, "applicationErrorMessage", errmsg);
	if (ok)
		bpg_summary_set_duration(o, now_ms);
	return ok;
}

/* <sparkUIUrl>/<namespace>/<id> while RUNNING, if the cluster has one. */
static bool
put_ui_url(json_t *o, const struct bpg_cluster *c, const char *state,
    const char *id)
{
	if (c == NULL || c->spark_ui_url == NULL || c->spark_ui_url[0] == '\0' ||
	    state == NULL || strcasecmp(state, "RUNNING") != 0 || id == NULL)
		return true;
	return put(o, "sparkUIUrl", json_sprintf("%s/%s/%s", c->spark_ui_url,
	    c->namespace, id));
}

json_t *
bpg_summary_status(const struct bpg_cluster *c, const json_t *cr,
    bool remarks, int64_t now_ms)
{
	json_t *o = json_object();

	if (o == NULL || !status_fields(o, cr, remarks, now_ms) ||
	    !put_ui_url(o, c, jstr(o, "applicationState"),
	    jstr(json_object_get(cr, "metadata"), "name"))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static bool
row_status_fields(json_t *o, const json_t *row, int64_t now_ms)
{
	const json_t *created = json_object_get(row, "created_time");
	const json_t *ended = json_object_get(row, "finished_time");
	const char *state = jstr(row, "status");
	bool ok = true;

	if (json_is_integer(created))
		ok = ok && put(o, "creationTime",
		    json_integer(json_integer_value(created)));
	ok = ok && put_str(o, "sparkApplicationId", jstr(row, "app_id"));
	if (json_is_integer(ended))
		ok = ok && put(o, "terminationTime",
		    json_integer(json_integer_value(ended)));
	ok = ok && put(o, "duration", json_integer(0));
	ok = ok && put_str(o, "applicationState", state ? state : "UNKNOWN");
	ok = ok && put_str(o, "applicationErrorMessage",
	    jstr(row, "error_message"));
	if (ok)
		bpg_summary_set_duration(o, now_ms);
	return ok;
}

json_t *
bpg_summary_status_row(const json_t *row, int64_t now_ms)
{
	json_t *o = json_object();

	if (o == NULL || !row_status_fields(o, row, now_ms)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- SubmissionSummary (section 1.14) ----------------------------- */

/* https://<sparkHistoryDns>/history/<app id> for finished states. */
static bool
put_history_url(json_t *o, const struct bpg_config *cfg, const char *state,
    const char *app_id)
{
	const char *dns = cfg->spark_history_dns;

	if (state == NULL || (strcasecmp(state, "COMPLETED") != 0 &&
	    strcasecmp(state, "FAILED") != 0))
		return true;
	/* Java's string concatenation prints a null as "null" (quirk 25). */
	return put(o, "sparkUIUrl", json_sprintf("https://%s/history/%s",
	    dns != NULL ? dns : "null", app_id != NULL ? app_id : "null"));
}

/* The resource fields from cores and memory texts, in BPG's order. */
struct resources {
	int64_t driver_cores, driver_gb;
	int64_t executor_instances, executor_cores, executor_gb;
};

static void
default_resources(struct resources *r)
{
	r->driver_cores = 1;
	r->driver_gb = 0;
	r->executor_instances = 1;
	r->executor_cores = 1;
	r->executor_gb = 0;
}

static bool
put_resources(json_t *o, const struct resources *r)
{
	return put(o, "driverCores", json_integer(r->driver_cores)) &&
	    put(o, "driverMemoryGB", json_integer(r->driver_gb)) &&
	    put(o, "executorInstances", json_integer(r->executor_instances)) &&
	    put(o, "executorCores", json_integer(r->executor_cores)) &&
	    put(o, "totalCores", json_integer(r->executor_instances *
	    r->executor_cores + r->driver_cores)) &&
	    put(o, "executorMemoryGB", json_integer(r->executor_gb)) &&
	    put(o, "totalMemoryGB", json_integer(r->executor_instances *
	    r->executor_gb + r->driver_gb));
}

static bool
put_copy(json_t *o, const char *key, const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return true;
	return put(o, key, json_deep_copy(v));
}

json_t *
bpg_summary_of_cr(const struct bpg_config *cfg, const struct bpg_cluster *c,
    const json_t *cr, int64_t now_ms)
{
	const json_t *meta = json_object_get(cr, "metadata");
	const json_t *labels = json_object_get(meta, "labels");
	const json_t *spec = json_object_get(cr, "spec");
	const json_t *driver = json_object_get(spec, "driver");
	const json_t *executor = json_object_get(spec, "executor");
	const char *queue = "", *dag = "", *user = NULL;
	struct resources r;
	json_t *o;
	bool ok;

	default_resources(&r);
	/* BPG fills these only when the CR has labels. */
	if (json_is_object(labels)) {
		user = jstr(labels, "proxyUser");
		if (jstr(labels, "queue") != NULL)
			queue = jstr(labels, "queue");
		if (jstr(json_object_get(driver, "labels"), "dag_name") != NULL)
			dag = jstr(json_object_get(driver, "labels"),
			    "dag_name");
		r.driver_cores = jint_or(driver, "cores", 1);
		(void)bpg_summary_memory_gib(jstr(driver, "memory"),
		    &r.driver_gb);
		r.executor_instances = jint_or(executor, "instances", 1);
		r.executor_cores = jint_or(executor, "cores", 1);
		(void)bpg_summary_memory_gib(jstr(executor, "memory"),
		    &r.executor_gb);
	}
	if ((o = json_object()) == NULL)
		return NULL;
	ok = status_fields(o, cr, false, now_ms) &&
	    put_str(o, "submissionId", jstr(meta, "name")) &&
	    put_str(o, "user", user) &&
	    put_str(o, "queue", queue) &&
	    put_str(o, "dagName", dag) &&
	    put_resources(o, &r) &&
	    put_str(o, "sparkVersion", jstr(spec, "sparkVersion")) &&
	    put_str(o, "applicationName", jstr(json_object_get(spec,
	    "sparkConf"), "spark.app.name"));
	if (ok) {
		const char *state = jstr(o, "applicationState");

		if (c != NULL && c->spark_ui_url != NULL &&
		    c->spark_ui_url[0] != '\0' &&
		    strcasecmp(state, "RUNNING") == 0)
			ok = put_ui_url(o, c, state, jstr(meta, "name"));
		else
			ok = put_history_url(o, cfg, state,
			    jstr(o, "sparkApplicationId"));
	}
	ok = ok && put_copy(o, "applicationArguments",
	    json_object_get(spec, "arguments")) &&
	    /* Ours: the schedule that made it (bpg_monitor_sched.c). */
	    (jstr(labels, "bpg/schedule-id") == NULL ||
	    put_str(o, "scheduleId", jstr(labels, "bpg/schedule-id")));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * GiB of the memory text the CR gets from a request's (section 2.10 step
 * 9 with ratio 1.0: the leading number truncated to an integer, then the
 * unit, so "2.5g" counts as "2g"); dflt when the request has none.
 */
static int64_t
request_memory_gib(const char *s, const char *dflt)
{
	char buf[64];
	const char *p;
	double v;
	int64_t gib;

	if (s == NULL)
		s = dflt;
	for (p = s; (*p >= '0' && *p <= '9') || *p == '.'; p++)
		;
	if (p > s && (size_t)(p - s) < 32) {
		memcpy(buf, s, (size_t)(p - s));
		buf[p - s] = '\0';
		v = strtod(buf, NULL);
		if (isfinite(v) && v >= 0 && v < 1e18) {
			snprintf(buf, sizeof(buf), "%.0f%.16s", floor(v), p);
			s = buf;
		}
	}
	(void)bpg_summary_memory_gib(s, &gib);
	return gib;
}

json_t *
bpg_summary_of_row(const struct bpg_config *cfg, const json_t *row,
    int64_t now_ms)
{
	const json_t *req = json_object_get(row, "request");
	const json_t *driver = json_object_get(req, "driver");
	const json_t *executor = json_object_get(req, "executor");
	const char *dag = jstr(row, "dag_name");
	char *queue = NULL, *qlabel = NULL, *norm = NULL;
	struct resources r;
	bool oom = false, ok;
	json_t *o;

	r.driver_cores = jint_or(driver, "cores", 1);
	r.driver_gb = request_memory_gib(jstr(driver, "memory"), "1g");
	r.executor_instances = jint_or(executor, "instances", 1);
	r.executor_cores = jint_or(executor, "cores", 1);
	r.executor_gb = request_memory_gib(jstr(executor, "memory"), "1g");
	if (dag == NULL && jstr(json_object_get(driver, "labels"),
	    "dag_name") != NULL) {
		/* The CR's label is normalised (section 2.10 step 3). */
		norm = bpg_label_normalize(jstr(json_object_get(driver,
		    "labels"), "dag_name"));
		dag = norm;
	}
	/* The CR's queue label is "root." and the normalised queue. */
	if (jstr(row, "queue") != NULL &&
	    (queue = bpg_route_normalize_queue(jstr(row, "queue"), &oom)) !=
	    NULL && asprintf(&qlabel, "root.%s", queue) < 0)
		qlabel = NULL;
	if ((o = json_object()) == NULL)
		goto fail;
	ok = !oom && row_status_fields(o, row, now_ms) &&
	    put_str(o, "submissionId", jstr(row, "submission_id")) &&
	    put_str(o, "user", jstr(row, "user")) &&
	    put_str(o, "queue", qlabel != NULL ? qlabel : "") &&
	    put_str(o, "dagName", dag != NULL ? dag : "") &&
	    put_resources(o, &r) &&
	    put_str(o, "sparkVersion", jstr(row, "spark_version")) &&
	    put_str(o, "applicationName", jstr(row, "app_name")) &&
	    put_history_url(o, cfg, jstr(o, "applicationState"),
	    jstr(row, "app_id")) &&
	    put_copy(o, "applicationArguments", json_object_get(req,
	    "arguments")) &&
	    /* A schedule's fire keeps its ID with the summary. */
	    (jstr(req, "scheduleId") == NULL ||
	    put_str(o, "scheduleId", jstr(req, "scheduleId")));
	if (!ok)
		goto fail;
	free(norm);
	free(queue);
	free(qlabel);
	return o;
fail:
	json_decref(o);
	free(norm);
	free(queue);
	free(qlabel);
	return NULL;
}
