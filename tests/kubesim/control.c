/*
 * The control API of the stand-in: plain HTTP on a loopback address, no
 * authentication, JSON bodies.  Tests use it to inject faults, steer the
 * simulated operator, inspect objects and counters, and reset state.  The
 * paths are documented at the top of main.c.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "kubesim.h"

#define CTL_MAX_SEGS 8

static const char *const fault_names[KS_F__MAX] = {
	[KS_F_LATENCY] = "latency",
	[KS_F_ERROR] = "error",
	[KS_F_DROP] = "drop",
	[KS_F_THROTTLE] = "throttle",
	[KS_F_DOWN] = "down",
	[KS_F_GARBAGE] = "garbage",
	[KS_F_WATCHCUT] = "watchcut",
	[KS_F_WATCHGARBAGE] = "watchgarbage",
	[KS_F_LATEANSWER] = "lateanswer",
	[KS_F_LATECOMMIT] = "latecommit",
	[KS_F_EXPIRE] = "expire",
	[KS_F_HOLD] = "hold",
};

static const char *const outcomes[] = { "COMPLETED", "FAILED",
    "SUBMISSION_FAILED", "RUNNING", "PENDING", NULL };

static enum MHD_Result
ctl_error(struct MHD_Connection *c, struct ks_req *r, unsigned code,
    const char *msg)
{
	return ks_respond_json(c, r, code, json_pack("{s:s}", "error", msg));
}

static struct ks_cluster *
cluster_by_name(struct kubesim *ks, const char *name)
{
	size_t i;

	for (i = 0; i < ks->nclusters; i++)
		if (strcmp(ks->clusters[i].name, name) == 0)
			return &ks->clusters[i];
	return NULL;
}

static int
res_by_name(const char *s)
{
	int i;

	for (i = 0; i < KS_RES__MAX; i++)
		if (strcmp(ks_res[i].plural, s) == 0)
			return i;
	return -1;
}

static json_t *
fault_json(const struct ks_fault *f)
{
	json_t *j = json_pack("{s:s, s:I, s:f}", "type", fault_names[f->kind],
	    "count", (json_int_t)f->count, "rate", f->rate);

	if (j == NULL)
		return NULL;
	if (f->method[0])
		json_object_set_new(j, "method", json_string(f->method));
	if (f->path[0])
		json_object_set_new(j, "path", json_string(f->path));
	if (f->kind == KS_F_ERROR || f->kind == KS_F_LATECOMMIT)
		json_object_set_new(j, "code", json_integer(f->code));
	if (f->commit)
		json_object_set_new(j, "commit", json_true());
	if (f->close)
		json_object_set_new(j, "close", json_true());
	if (f->kind == KS_F_THROTTLE)
		json_object_set_new(j, "retryAfter",
		    json_integer(f->retry_after));
	if (f->kind == KS_F_LATENCY || f->kind == KS_F_LATEANSWER ||
	    f->kind == KS_F_LATECOMMIT)
		json_object_set_new(j, "ms", json_integer(f->ms));
	if (f->message[0])
		json_object_set_new(j, "message", json_string(f->message));
	return j;
}

static json_t *
faults_json(const struct ks_cluster *cl)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < cl->nfaults && a != NULL; i++)
		json_array_append_new(a, fault_json(&cl->faults[i]));
	return json_pack("{s:o}", "faults", a);
}

static int fault_add(struct ks_cluster *, const json_t *, char *, size_t);

/*
 * Short forms, kept for callers that say what they want in one key:
 * {"reset":true}, {"fail_next":N,"fail_status":C}, {"drop_next":N},
 * {"throttle_next":N}, {"latency_ms":MS}, each with an optional "method".
 * Returns 1 if j was one of them (handled), 0 if not, -1 on error.
 */
static int
fault_short(struct ks_cluster *cl, const json_t *j, char *err, size_t errlen)
{
	json_t *f;
	const json_t *m = json_object_get(j, "method");
	int rc;

	if (json_is_true(json_object_get(j, "reset"))) {
		cl->nfaults = 0;
		ks_release_held(cl);
		return 1;
	}
	if (json_object_get(j, "fail_next") != NULL)
		f = json_pack("{s:s, s:O, s:O*}", "type", "error", "count",
		    json_object_get(j, "fail_next"), "code",
		    json_object_get(j, "fail_status"));
	else if (json_object_get(j, "drop_next") != NULL)
		f = json_pack("{s:s, s:O}", "type", "drop", "count",
		    json_object_get(j, "drop_next"));
	else if (json_object_get(j, "throttle_next") != NULL)
		f = json_pack("{s:s, s:O}", "type", "throttle", "count",
		    json_object_get(j, "throttle_next"));
	else if (json_object_get(j, "latency_ms") != NULL)
		f = json_pack("{s:s, s:O}", "type", "latency", "ms",
		    json_object_get(j, "latency_ms"));
	else
		return 0;
	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (m != NULL)
		json_object_set(f, "method", (json_t *)(uintptr_t)m);
	rc = fault_add(cl, f, err, errlen);
	json_decref(f);
	return rc == 0 ? 1 : -1;
}

/* One fault from its JSON form (lock held). */
static int
fault_add(struct ks_cluster *cl, const json_t *j, char *err, size_t errlen)
{
	struct ks_fault f;
	const char *type = json_string_value(json_object_get(j, "type"));
	const char *s;
	const json_t *v;
	size_t i, k;
	int kind = -1, shortform;

	if (!json_is_object(j)) {
		snprintf(err, errlen, "a fault is a JSON object");
		return -1;
	}
	if (type == NULL && (shortform = fault_short(cl, j, err, errlen)) != 0)
		return shortform > 0 ? 0 : -1;
	if ((v = json_object_get(j, "seed")) != NULL) {
		if (!json_is_integer(v)) {
			snprintf(err, errlen, "seed: an integer");
			return -1;
		}
		cl->rng = (uint64_t)json_integer_value(v) ^
		    0x5851f42d4c957f2dULL;
		if (type == NULL)
			return 0;
	}
	if (type != NULL && (strcmp(type, "up") == 0 ||
	    strcmp(type, "release") == 0)) {
		kind = strcmp(type, "up") == 0 ? KS_F_DOWN : KS_F_HOLD;
		for (i = 0, k = 0; i < cl->nfaults; i++)
			if ((int)cl->faults[i].kind != kind)
				cl->faults[k++] = cl->faults[i];
		cl->nfaults = k;
		if (kind == KS_F_HOLD)
			ks_release_held(cl);
		return 0;
	}
	for (i = 0; i < KS_F__MAX && type != NULL; i++)
		if (strcmp(type, fault_names[i]) == 0)
			kind = (int)i;
	if (kind < 0) {
		snprintf(err, errlen, "type: one of latency, error, drop, "
		    "throttle, down, up, garbage, watchcut, watchgarbage, "
		    "lateanswer, latecommit, expire, hold, release");
		return -1;
	}
	memset(&f, 0, sizeof(f));
	f.kind = (enum ks_fkind)kind;
	f.rate = 1.0;
	/* kube-apiserver's timeout filter answers 504 while the request
	 * goes on: the answer of a late commit. */
	f.code = f.kind == KS_F_LATECOMMIT ? 504 : 500;
	f.retry_after = 1;
	if ((v = json_object_get(j, "rate")) != NULL) {
		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 1) {
			snprintf(err, errlen, "rate: a number from 0 to 1");
			return -1;
		}
		f.rate = json_number_value(v);
	}
	/* Counted by default, unless a rate or a standing kind. */
	f.count = (json_object_get(j, "rate") != NULL ||
	    f.kind == KS_F_LATENCY || f.kind == KS_F_DOWN ||
	    f.kind == KS_F_HOLD) ? -1 : 1;
	if ((v = json_object_get(j, "count")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < -1 ||
		    json_integer_value(v) == 0) {
			snprintf(err, errlen, "count: a positive integer, or "
			    "-1 for no limit");
			return -1;
		}
		f.count = (long)json_integer_value(v);
	}
	if ((v = json_object_get(j, "code")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 400 ||
		    json_integer_value(v) > 599) {
			snprintf(err, errlen, "code: an HTTP status from 400 "
			    "to 599");
			return -1;
		}
		f.code = (int)json_integer_value(v);
	}
	if ((v = json_object_get(j, "retryAfter")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 3600) {
			snprintf(err, errlen, "retryAfter: seconds, 1 to 3600");
			return -1;
		}
		f.retry_after = (int)json_integer_value(v);
	}
	if ((v = json_object_get(j, "ms")) != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 600000) {
			snprintf(err, errlen, "ms: 0 to 600000");
			return -1;
		}
		f.ms = (long)json_integer_value(v);
	}
	if ((f.kind == KS_F_LATENCY || f.kind == KS_F_LATEANSWER ||
	    f.kind == KS_F_LATECOMMIT) && json_object_get(j, "ms") == NULL) {
		snprintf(err, errlen, "ms: required for latency, lateanswer "
		    "and latecommit");
		return -1;
	}
	if (f.kind == KS_F_LATECOMMIT && (f.ms < 1 ||
	    f.ms > KS_MAX_LATE_COMMIT_MS)) {
		snprintf(err, errlen, "ms: 1 to %d for latecommit (the API "
		    "server's request timeout)", KS_MAX_LATE_COMMIT_MS);
		return -1;
	}
	for (i = 0; i < 2; i++) {
		const char *key = i == 0 ? "commit" : "close";

		if ((v = json_object_get(j, key)) == NULL)
			continue;
		if (!json_is_boolean(v) || f.kind != KS_F_ERROR) {
			snprintf(err, errlen, "%s: a boolean, for error "
			    "faults", key);
			return -1;
		}
		if (i == 0)
			f.commit = json_is_true(v);
		else
			f.close = json_is_true(v);
	}
	if ((s = json_string_value(json_object_get(j, "method"))) != NULL)
		snprintf(f.method, sizeof(f.method), "%s", s);
	if ((s = json_string_value(json_object_get(j, "path"))) != NULL)
		snprintf(f.path, sizeof(f.path), "%s", s);
	if ((s = json_string_value(json_object_get(j, "message"))) != NULL)
		snprintf(f.message, sizeof(f.message), "%s", s);
	if (cl->nfaults == KS_MAX_FAULTS) {
		snprintf(err, errlen, "too many faults");
		return -1;
	}
	cl->faults[cl->nfaults++] = f;
	return 0;
}

static enum MHD_Result
ctl_faults(struct MHD_Connection *c, struct ks_req *r, struct ks_cluster *cl,
    json_t *body)
{
	struct kubesim *ks = cl->ks;
	const json_t *list, *f;
	char err[256];
	size_t i, saved;
	json_t *out;
	int rc = 0;

	if (!strcmp(r->method, "DELETE")) {
		pthread_mutex_lock(&ks->mu);
		cl->nfaults = 0;
		ks_release_held(cl);
		out = faults_json(cl);
		pthread_mutex_unlock(&ks->mu);
		return ks_respond_json(c, r, 200, out);
	}
	if (!strcmp(r->method, "POST")) {
		list = json_is_array(body) ? body :
		    json_object_get(body, "faults");
		pthread_mutex_lock(&ks->mu);
		saved = cl->nfaults;
		if (list == NULL)
			rc = fault_add(cl, body, err, sizeof(err));
		else
			for (i = 0; rc == 0 && i < json_array_size(list);
			    i++) {
				f = json_array_get(list, i);
				rc = fault_add(cl, f, err, sizeof(err));
			}
		if (rc != 0) {
			cl->nfaults = saved;	/* all or nothing */
			pthread_mutex_unlock(&ks->mu);
			return ctl_error(c, r, 400, err);
		}
		out = faults_json(cl);
		pthread_mutex_unlock(&ks->mu);
		return ks_respond_json(c, r, 200, out);
	}
	pthread_mutex_lock(&ks->mu);
	out = faults_json(cl);
	pthread_mutex_unlock(&ks->mu);
	return ks_respond_json(c, r, 200, out);
}

static json_t *
stats_json(const struct ks_cluster *cl)
{
	json_t *f = json_object();
	char rv[32];
	int i;

	for (i = 0; i < KS_F__MAX && f != NULL; i++)
		json_object_set_new(f, fault_names[i],
		    json_integer(cl->st.faults[i]));
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)cl->rv);
	return json_pack("{s:s, s:i, s:I, s:I, s:I, s:o, s:o, s:o, s:I, s:I,"
	    " s:I, s:s, s:I, s:I}",
	    "cluster", cl->name, "port", (int)cl->port,
	    "connections", (json_int_t)cl->st.connections,
	    "activeConnections", (json_int_t)cl->st.active_connections,
	    "requests", (json_int_t)cl->st.requests,
	    "methods", json_deep_copy(cl->st.methods),
	    "codes", json_deep_copy(cl->st.codes),
	    "faultsInjected", f,
	    "watches", (json_int_t)cl->st.watches,
	    "activeWatches", (json_int_t)cl->st.active_watches,
	    "logFollows", (json_int_t)cl->st.log_follows,
	    "resourceVersion", rv,
	    "pendingCommits", (json_int_t)json_array_size(cl->pending),
	    "held", (json_int_t)cl->held);
}

static json_t *
opcfg_json(const struct ks_opcfg *op)
{
	return json_pack("{s:b, s:s, s:o, s:i, s:i, s:i, s:s}",
	    "frozen", op->frozen, "outcome", op->outcome,
	    "apps", json_deep_copy(op->apps),
	    "submitTicks", op->submit_ticks, "pendingTicks", op->pending_ticks,
	    "runTicks", op->run_ticks, "errorMessage", op->error_message);
}

static int
outcome_ok(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && outcomes[i] != NULL; i++)
		if (strcmp(outcomes[i], s) == 0)
			return 1;
	return 0;
}

static int
ticks_field(const json_t *body, const char *key, int *out, char *err,
    size_t errlen)
{
	const json_t *v = json_object_get(body, key);

	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 100000) {
		snprintf(err, errlen, "%s: an integer from 1 to 100000", key);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

static enum MHD_Result
ctl_operator(struct MHD_Connection *c, struct ks_req *r,
    struct ks_cluster *cl, json_t *body)
{
	struct kubesim *ks = cl->ks;
	struct ks_opcfg op;
	const json_t *apps, *v;
	const char *k, *s;
	char err[256];
	json_t *out;

	pthread_mutex_lock(&ks->mu);
	if (!strcmp(r->method, "POST")) {
		op = cl->op;
		op.apps = json_deep_copy(cl->op.apps);
		err[0] = '\0';
		if ((v = json_object_get(body, "frozen")) != NULL)
			op.frozen = json_is_true(v);
		if ((v = json_object_get(body, "outcome")) != NULL) {
			if (!outcome_ok(json_string_value(v)))
				snprintf(err, sizeof(err), "outcome: one of "
				    "COMPLETED, FAILED, SUBMISSION_FAILED, "
				    "RUNNING, PENDING");
			else
				snprintf(op.outcome, sizeof(op.outcome), "%s",
				    json_string_value(v));
		}
		if ((s = json_string_value(json_object_get(body,
		    "errorMessage"))) != NULL)
			snprintf(op.error_message, sizeof(op.error_message),
			    "%s", s);
		apps = json_object_get(body, "apps");
		json_object_foreach((json_t *)(uintptr_t)apps, k, v) {
			if (json_is_null(v))
				json_object_del(op.apps, k);
			else if (!outcome_ok(json_string_value(v)))
				snprintf(err, sizeof(err), "apps.%s: an "
				    "outcome", k);
			else
				json_object_set(op.apps, k, (json_t *)
				    (uintptr_t)v);
		}
		if (err[0] == '\0')
			(void)(ticks_field(body, "submitTicks",
			    &op.submit_ticks, err, sizeof(err)) ||
			    ticks_field(body, "pendingTicks", &op.pending_ticks,
			    err, sizeof(err)) || ticks_field(body, "runTicks",
			    &op.run_ticks, err, sizeof(err)));
		if (err[0] != '\0') {
			json_decref(op.apps);
			pthread_mutex_unlock(&ks->mu);
			return ctl_error(c, r, 400, err);
		}
		json_decref(cl->op.apps);
		cl->op = op;
	}
	out = opcfg_json(&cl->op);
	pthread_mutex_unlock(&ks->mu);
	return ks_respond_json(c, r, 200, out);
}

static enum MHD_Result
ctl_history(struct MHD_Connection *c, struct ks_req *r,
    struct ks_cluster *cl, json_t *body)
{
	struct kubesim *ks = cl->ks;
	const json_t *v;
	json_t *out;
	char rv[32], old[32];

	pthread_mutex_lock(&ks->mu);
	if (!strcmp(r->method, "POST")) {
		if ((v = json_object_get(body, "size")) != NULL) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > KS_MAX_HISTORY ||
			    ks_hist_resize(cl, (size_t)json_integer_value(v))) {
				pthread_mutex_unlock(&ks->mu);
				return ctl_error(c, r, 400,
				    "size: 0 to 1000000");
			}
		}
		if (json_is_true(json_object_get(body, "compact")))
			ks_hist_compact(cl);
	}
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)cl->rv);
	snprintf(old, sizeof(old), "%llu",
	    (unsigned long long)ks_hist_oldest(cl));
	out = json_pack("{s:I, s:I, s:s, s:s}", "size", (json_int_t)cl->hcap,
	    "events", (json_int_t)cl->hlen, "oldestResourceVersion", old,
	    "resourceVersion", rv);
	pthread_mutex_unlock(&ks->mu);
	return ks_respond_json(c, r, 200, out);
}

static enum MHD_Result
ctl_objects(struct MHD_Connection *c, struct ks_req *r,
    struct ks_cluster *cl, char **seg, int nseg)
{
	struct kubesim *ks = cl->ks;
	json_t *out, *o;
	int res, i;

	if (strcmp(r->method, "GET") != 0)
		return ctl_error(c, r, 405, "GET only");
	pthread_mutex_lock(&ks->mu);
	if (nseg == 0) {
		out = json_object();
		for (i = 0; i < KS_RES__MAX && out != NULL; i++)
			json_object_set_new(out, ks_res[i].plural,
			    ks_list(cl, (enum ks_res)i, NULL));
	} else if ((res = res_by_name(seg[0])) < 0) {
		pthread_mutex_unlock(&ks->mu);
		return ctl_error(c, r, 404, "no such resource");
	} else if (nseg == 1)
		out = ks_list(cl, (enum ks_res)res, NULL);
	else if (nseg == 2)
		out = ks_list(cl, (enum ks_res)res, seg[1]);
	else if (nseg == 3) {
		o = ks_get(cl, (enum ks_res)res, seg[1], seg[2]);
		if (o == NULL) {
			pthread_mutex_unlock(&ks->mu);
			return ctl_error(c, r, 404, "no such object");
		}
		out = json_deep_copy(o);
	} else {
		pthread_mutex_unlock(&ks->mu);
		return ctl_error(c, r, 404, "no such path");
	}
	/* Copies: the store may change once the lock is released. */
	o = json_deep_copy(out);
	json_decref(out);
	pthread_mutex_unlock(&ks->mu);
	return ks_respond_json(c, r, 200, o);
}

static enum MHD_Result
ctl_logs(struct MHD_Connection *c, struct ks_req *r, struct ks_cluster *cl,
    char **seg, int nseg)
{
	json_t *lines, *v;
	struct bpg_buf out = { NULL, 0, 0 };
	char *key;
	const char *l, *sp;
	size_t i;

	if (nseg != 2)
		return ctl_error(c, r, 404, "logs/NAMESPACE/POD");
	if ((key = ks_key(seg[0], seg[1])) == NULL)
		return ctl_error(c, r, 500, "out of memory");
	pthread_mutex_lock(&cl->ks->mu);
	lines = json_object_get(cl->logs, key);
	free(key);
	if (lines == NULL) {
		pthread_mutex_unlock(&cl->ks->mu);
		return ctl_error(c, r, 404, "no log");
	}
	json_array_foreach(lines, i, v) {
		l = json_string_value(v);
		sp = strchr(l, ' ');
		l = sp ? sp + 1 : l;
		if (bpg_buf_append(&out, l, strlen(l), 0) != BPG_OK ||
		    bpg_buf_append(&out, "\n", 1, 0) != BPG_OK)
			break;
	}
	pthread_mutex_unlock(&cl->ks->mu);
	return ks_respond(c, r, 200, "text/plain", out.p, out.len);
}

static enum MHD_Result
ctl_config(struct MHD_Connection *c, struct ks_req *r, struct kubesim *ks,
    json_t *body)
{
	const json_t *v;
	json_t *out;

	pthread_mutex_lock(&ks->mu);
	if (!strcmp(r->method, "POST")) {
		if (json_is_integer(v = json_object_get(body, "tickMs")) &&
		    json_integer_value(v) >= 10)
			ks->tick_ms = (long)json_integer_value(v);
		if (json_is_number(v = json_object_get(body, "ttlScale")) &&
		    json_number_value(v) >= 0)
			ks->ttl_scale = json_number_value(v);
		if (json_is_integer(v = json_object_get(body, "bookmarkMs")) &&
		    json_integer_value(v) >= 10)
			ks->bookmark_ms = (long)json_integer_value(v);
		if ((v = json_object_get(body, "quiet")) != NULL)
			ks->quiet = json_is_true(v);
		pthread_cond_broadcast(&ks->cv);
	}
	out = json_pack("{s:I, s:f, s:I, s:b, s:I}", "tickMs",
	    (json_int_t)ks->tick_ms, "ttlScale", ks->ttl_scale, "bookmarkMs",
	    (json_int_t)ks->bookmark_ms, "quiet", ks->quiet, "historySize",
	    (json_int_t)ks->hist_default);
	pthread_mutex_unlock(&ks->mu);
	return ks_respond_json(c, r, 200, out);
}

static enum MHD_Result
ctl_cluster(struct MHD_Connection *c, struct ks_req *r, struct ks_cluster *cl,
    char **seg, int nseg, json_t *body)
{
	struct kubesim *ks = cl->ks;
	const char *what = nseg > 0 ? seg[0] : "";
	const char *m = r->method;
	json_t *out;
	json_int_t n, i;

	if (!strcmp(what, "faults") && nseg == 1)
		return ctl_faults(c, r, cl, body);
	if (!strcmp(what, "operator") && nseg == 1)
		return ctl_operator(c, r, cl, body);
	if (!strcmp(what, "history") && nseg == 1)
		return ctl_history(c, r, cl, body);
	if (!strcmp(what, "objects"))
		return ctl_objects(c, r, cl, seg + 1, nseg - 1);
	if (!strcmp(what, "logs"))
		return ctl_logs(c, r, cl, seg + 1, nseg - 1);
	if (!strcmp(what, "stats") && nseg == 1) {
		pthread_mutex_lock(&ks->mu);
		if (!strcmp(m, "DELETE")) {
			long active = cl->st.active_connections;
			long aw = cl->st.active_watches;

			json_decref(cl->st.methods);
			json_decref(cl->st.codes);
			memset(&cl->st, 0, sizeof(cl->st));
			cl->st.methods = json_object();
			cl->st.codes = json_object();
			cl->st.active_connections = active;
			cl->st.active_watches = aw;
		}
		out = stats_json(cl);
		pthread_mutex_unlock(&ks->mu);
		return ks_respond_json(c, r, 200, out);
	}
	if (!strcmp(what, "tick") && nseg == 1 && !strcmp(m, "POST")) {
		n = json_integer_value(json_object_get(body, "count"));
		if (n < 1 || n > 1000)
			n = 1;
		pthread_mutex_lock(&ks->mu);
		for (i = 0; i < n; i++)
			ks_sim_tick(cl, 1);
		out = stats_json(cl);
		pthread_mutex_unlock(&ks->mu);
		return ks_respond_json(c, r, 200, out);
	}
	if (!strcmp(what, "reset") && nseg == 1 && !strcmp(m, "POST")) {
		pthread_mutex_lock(&ks->mu);
		ks_cluster_reset(cl);
		out = stats_json(cl);
		pthread_mutex_unlock(&ks->mu);
		return ks_respond_json(c, r, 200, out);
	}
	if (nseg == 0) {
		pthread_mutex_lock(&ks->mu);
		out = stats_json(cl);
		pthread_mutex_unlock(&ks->mu);
		return ks_respond_json(c, r, 200, out);
	}
	return ctl_error(c, r, 404, "no such control path");
}

static enum MHD_Result
ctl_dispatch(struct MHD_Connection *c, struct ks_req *r, struct kubesim *ks,
    const char *url)
{
	char buf[1024], *seg[CTL_MAX_SEGS], *p, *save = NULL;
	struct ks_cluster *cl;
	json_error_t je;
	json_t *body = NULL, *out;
	enum MHD_Result ret;
	int nseg = 0;
	size_t i;

	snprintf(buf, sizeof(buf), "%s", url);
	for (p = strtok_r(buf, "/", &save); p != NULL && nseg < CTL_MAX_SEGS;
	    p = strtok_r(NULL, "/", &save))
		seg[nseg++] = p;
	if (r->too_big)
		return ctl_error(c, r, 413, "body too large");
	if (r->len > 0 && (body = json_loadb(r->body, r->len, 0, &je)) ==
	    NULL) {
		snprintf(buf, sizeof(buf), "bad JSON: %s", je.text);
		return ctl_error(c, r, 400, buf);
	}
	if (nseg == 1 && !strcmp(seg[0], "healthz")) {
		ret = ks_respond(c, r, 200, "text/plain", strdup("ok"), 2);
	} else if (nseg == 1 && !strcmp(seg[0], "reset") &&
	    !strcmp(r->method, "POST")) {
		pthread_mutex_lock(&ks->mu);
		for (i = 0; i < ks->nclusters; i++)
			ks_cluster_reset(&ks->clusters[i]);
		pthread_mutex_unlock(&ks->mu);
		ret = ks_respond_json(c, r, 200, json_pack("{s:b}", "reset",
		    1));
	} else if (nseg == 1 && !strcmp(seg[0], "config")) {
		ret = ctl_config(c, r, ks, body);
	} else if (nseg == 1 && !strcmp(seg[0], "clusters")) {
		out = json_array();
		pthread_mutex_lock(&ks->mu);
		for (i = 0; i < ks->nclusters; i++)
			json_array_append_new(out, json_pack("{s:s, s:i, s:s}",
			    "name", ks->clusters[i].name, "port",
			    (int)ks->clusters[i].port, "namespace",
			    ks->default_ns));
		pthread_mutex_unlock(&ks->mu);
		ret = ks_respond_json(c, r, 200, out);
	} else if (nseg >= 2 && !strcmp(seg[0], "clusters")) {
		if ((cl = cluster_by_name(ks, seg[1])) == NULL)
			ret = ctl_error(c, r, 404, "no such cluster");
		else
			ret = ctl_cluster(c, r, cl, seg + 2, nseg - 2, body);
	} else
		ret = ctl_error(c, r, 404, "no such control path");
	json_decref(body);
	return ret;
}

static enum MHD_Result
ctl_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct kubesim *ks = cls;
	struct ks_req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		if ((r = ks_req_new(c, url, method, KS_MAX_CONTROL_BODY)) ==
		    NULL)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		ks_req_append(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return ctl_dispatch(c, r, ks, url);
}

static void
ctl_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct kubesim *ks = cls;
	struct ks_req *r = *con_cls;

	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	if (!ks->quiet)
		ks_req_log("control", r);
	ks_req_free(r);
	*con_cls = NULL;
}

void *
ks_control_start(struct kubesim *ks, const char *addr, unsigned *portp,
    char *err, size_t errlen)
{
	const union MHD_DaemonInfo *di;
	struct sockaddr_in sin;
	struct MHD_Daemon *d;
	unsigned port = *portp;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
	    (ntohl(sin.sin_addr.s_addr) >> 24) != 127) {
		snprintf(err, errlen, "control address %s: loopback IPv4 "
		    "only", addr);
		return NULL;
	}
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL,
	    ctl_access, ks, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_NOTIFY_COMPLETED, ctl_completed, ks, MHD_OPTION_END);
	if (d == NULL)
		snprintf(err, errlen, "cannot listen on %s:%u", addr, port);
	else if (port == 0 && (di = MHD_get_daemon_info(d,
	    MHD_DAEMON_INFO_BIND_PORT)) != NULL)
		*portp = di->port;
	return d;
}

void
ks_control_stop(void *d)
{
	if (d != NULL)
		MHD_stop_daemon(d);
}
