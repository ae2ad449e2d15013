#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "bpg_api.h"
#include "bpg_crd.h"
#include "bpg_db.h"
#include "bpg_kube.h"
#include "bpg_limits.h"
#include "bpg_req.h"
#include "bpg_route.h"

/* Deliberate errors carry the JAX-RS class prefix BPG clients see
 * (bpg-reference section 0.3, quirk 32). */
#define WAE "jakarta.ws.rs.WebApplicationException: "
#define KCE "io.fabric8.kubernetes.client.KubernetesClientException: "

#define MAX_SEGS 8
#define AIRFLOW_ACCOUNT "airflow_system_account"

struct bpg_api {
	const struct bpg_config *cfg;
	struct bpg_kube **kube;		/* one per cluster, made on first use */
	struct bpg_db *db;		/* NULL: no DB configured */
	struct bpg_zones *zones;
	struct bpg_rng rng;
	char *body;			/* request body buffer, reused */
	size_t body_cap;
};

/* A parsed request URI: decoded path segments after the prefix. */
struct route_ctx {
	struct bpg_api *api;
	const struct bpg_http_req *req;
	struct bpg_http_resp *resp;
	char *segs[MAX_SEGS];
	size_t nsegs;
	const char *query;		/* raw, after '?', or NULL */
	const char *user;		/* authenticated user */
	const char *body;		/* read for routes that take one */
	size_t body_len;
};

typedef void (*handler_fn)(struct route_ctx *);

/*
 * Route table.  A literal segment beats "{id}" (section 0.1: GET
 * /spark/mySubmissions is not an ID).  Paths are after the prefix.
 */
static void h_submit(struct route_ctx *);
static void h_delete(struct route_ctx *);
static void h_status(struct route_ctx *);
static void h_health(struct route_ctx *);

enum { NOAUTH = 0, AUTH = 1, BODY = 2 };

static const struct route {
	const char *method;
	const char *pattern;
	int flags;
	handler_fn fn;
} routes[] = {
	{ "POST", "/spark", AUTH | BODY, h_submit },
	{ "DELETE", "/spark/{id}", AUTH, h_delete },
	{ "GET", "/spark/{id}/status", AUTH, h_status },
	{ "GET", "/healthcheck/status", AUTH, h_health },
};

/* ---- responses ---------------------------------------------------- */

static void
resp_reset(struct bpg_http_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void
set_body(struct bpg_http_resp *r, int status, const char *ctype, char *body)
{
	free(r->body);
	r->status = status;
	r->content_type = ctype;
	r->body = body;
	r->body_len = body != NULL ? strlen(body) : 0;
}

static void
reply_json(struct bpg_http_resp *r, int status, json_t *doc)
{
	char *s = NULL;

	if (doc != NULL)
		s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (s == NULL) {
		/* Out of memory: a static answer that needs no allocation. */
		s = strdup("{\"code\":500,\"message\":\"out of memory\"}");
		status = 500;
	}
	set_body(r, status, "application/json", s);
}

/* BPG's error envelope: {"code":<n>,"message":"<class>: <text>"}. */
static void
reply_error(struct bpg_http_resp *r, int status, const char *cls,
    const char *text)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s%s", cls, text);
	reply_json(r, status, json_pack("{s:i, s:s}", "code", status,
	    "message", msg));
}

static int
status_of(enum bpg_err e)
{
	switch (e) {
	case BPG_OK:
		return 200;
	case BPG_EINVAL:
	case BPG_ETOOBIG:
		return 400;
	case BPG_EAUTH:
		return 401;
	case BPG_EFORBIDDEN:
		return 403;
	case BPG_ENOTFOUND:
		return 404;
	case BPG_EEXIST:
	case BPG_ECONFLICT:
		return 409;
	case BPG_ERATE:
		return 429;
	case BPG_EUPSTREAM:
		return 502;
	case BPG_EDB:
		return 503;
	case BPG_ETIMEOUT:
		return 504;
	default:
		return 500;
	}
}

/* An error from lib: deliberate ones keep BPG's prefix. */
static void
reply_err(struct bpg_http_resp *r, enum bpg_err e,
    const struct bpg_errinfo *ei)
{
	int status = status_of(e);
	const char *cls = WAE;

	if (e == BPG_EUPSTREAM || e == BPG_ETIMEOUT)
		cls = KCE;
	else if (status >= 500 && e != BPG_EDB && e != BPG_ECONFIG)
		cls = "InternalError: ";
	reply_error(r, status, cls, ei->msg[0] ? ei->msg : bpg_strerror(e));
}

static void
reply_too_large(struct bpg_http_resp *r)
{
	char text[128];

	snprintf(text, sizeof(text), "Request body larger than %d bytes",
	    BPG_MAX_BODY);
	reply_error(r, 413, WAE, text);
}

/* ---- request helpers ---------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Percent-decode s[0..n) into a new string.  Fails on a bad escape or a
 * decoded NUL; a decoded '/' stays inside its segment (so it can never
 * become a path separator) and is rejected later by ID checks.
 */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i, j;
	int hi, lo;

	if (out == NULL)
		return NULL;
	for (i = j = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n) {
				free(out);
				return NULL;
			}
			hi = hexval((unsigned char)s[i + 1]);
			lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			out[j++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[j++] = s[i];
	}
	out[j] = '\0';
	return out;
}

/*
 * Value of query parameter name (first occurrence), decoded, or NULL.
 * '+' is a space in application/x-www-form-urlencoded queries.
 */
static char *
query_param(const char *query, const char *name)
{
	size_t nlen = strlen(name);
	const char *p = query, *end, *amp;
	char *v;
	size_t i;

	while (p != NULL && *p != '\0') {
		amp = strchr(p, '&');
		end = amp != NULL ? amp : p + strlen(p);
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=') {
			if ((v = pct_decode(p + nlen + 1,
			    (size_t)(end - p - nlen - 1))) == NULL)
				return NULL;
			for (i = 0; v[i] != '\0'; i++)
				if (v[i] == '+')
					v[i] = ' ';
			return v;
		}
		p = amp != NULL ? amp + 1 : NULL;
	}
	return NULL;
}

static void
free_segs(struct route_ctx *rc)
{
	size_t i;

	for (i = 0; i < rc->nsegs; i++)
		free(rc->segs[i]);
	rc->nsegs = 0;
}

/*
 * Split the URI path after the prefix into decoded segments.  Returns
 * 0 on success, 404 when the prefix does not match or there are too many
 * segments, 400 on a malformed escape.
 */
static int
split_path(struct route_ctx *rc, const char *uri, const char *prefix)
{
	size_t plen = strlen(prefix), len;
	const char *path, *q, *p, *slash;

	q = strchr(uri, '?');
	len = q != NULL ? (size_t)(q - uri) : strlen(uri);
	rc->query = q != NULL ? q + 1 : NULL;
	if (len < plen || strncmp(uri, prefix, plen) != 0)
		return 404;
	path = uri + plen;
	len -= plen;
	if (len == 0 || path[0] != '/')
		return 404;
	p = path + 1;
	while (p < path + len) {
		slash = memchr(p, '/', (size_t)(path + len - p));
		if (slash == NULL)
			slash = path + len;
		if (rc->nsegs == MAX_SEGS)
			return 404;
		if ((rc->segs[rc->nsegs] = pct_decode(p,
		    (size_t)(slash - p))) == NULL)
			return 400;
		rc->nsegs++;
		p = slash + 1;
		/* A trailing slash is an empty last segment. */
		if (slash < path + len && p == path + len) {
			if (rc->nsegs == MAX_SEGS)
				return 404;
			if ((rc->segs[rc->nsegs] = strdup("")) == NULL)
				return 400;
			rc->nsegs++;
		}
	}
	return 0;
}

/* Does the pattern match the segments?  literal=true counts literals. */
static bool
pattern_match(const char *pattern, struct route_ctx *rc, int *literals)
{
	char buf[64];
	const char *p = pattern + 1, *slash;
	size_t i = 0, n;

	*literals = 0;
	while (*p != '\0') {
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (i >= rc->nsegs || n >= sizeof(buf))
			return false;
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (strcmp(buf, "{id}") == 0) {
			if (rc->segs[i][0] == '\0')
				return false;
		} else if (strcmp(buf, rc->segs[i]) != 0)
			return false;
		else
			(*literals)++;
		i++;
		p += n;
		if (*p == '/')
			p++;
	}
	return i == rc->nsegs;
}

/* ---- authentication (section 8) ----------------------------------- */

static void
reply_401(struct bpg_http_resp *r)
{
	/* The 401 body has "code" as a string (quirk 31, copied). */
	reply_json(r, 401, json_pack("{s:s, s:s}", "code", "401", "message",
	    "HTTP 401 Unauthorized."));
	snprintf(r->headers, sizeof(r->headers),
	    "WWW-Authenticate: Basic realm=\"bpg\"\r\n");
}

static bool
printable_name(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return n > 0 && n <= BPG_MAX_USER;
}

/*
 * The user is the web server's REMOTE_USER (it did the basic auth), or the
 * configured trusted header.  An empty value is no user (quirk 35).
 * Returns true when the request may go on; otherwise resp is filled.
 */
static bool
authenticate(struct route_ctx *rc)
{
	const struct bpg_config *cfg = rc->api->cfg;
	const char *u = rc->req->remote_user;
	char text[BPG_MAX_USER + 64];

	if ((u == NULL || u[0] == '\0') && cfg->trusted_user_header != NULL)
		u = rc->req->user_header;
	if (u == NULL || u[0] == '\0') {
		reply_401(rc->resp);
		return false;
	}
	if (!printable_name(u)) {
		reply_401(rc->resp);
		return false;
	}
	if (bpg_strlist_has(&cfg->blocked_users, u, false) ||
	    !(bpg_strlist_has(&cfg->allowed_users, "*", false) ||
	    bpg_strlist_has(&cfg->allowed_users, u, false))) {
		snprintf(text, sizeof(text), "User %s is not allowed", u);
		reply_error(rc->resp, 403, WAE, text);
		return false;
	}
	rc->user = u;
	return true;
}

/* ---- Kubernetes handles ------------------------------------------- */

static enum bpg_err
kube_for(struct bpg_api *api, const struct bpg_cluster *c,
    struct bpg_kube **out, struct bpg_errinfo *ei)
{
	size_t i = (size_t)(c - api->cfg->clusters);
	enum bpg_err e;

	if (api->kube[i] == NULL &&
	    (e = bpg_kube_new(c, &api->kube[i], ei)) != BPG_OK)
		return e;
	*out = api->kube[i];
	return BPG_OK;
}

/* ---- POST /spark (section 2) -------------------------------------- */

/*
 * Create the CR.  The name is the fresh submission ID, so a create retried
 * after a lost answer that gets 409 AlreadyExists found our own object.
 * A failure whose outcome is unknown (transport error, 5xx, timeout) is
 * retried once; if it still fails the object is deleted, so that an error
 * answer never leaves an orphan CR behind.
 */
static enum bpg_err
create_cr(struct bpg_kube *k, const json_t *cr, const char *name,
    struct bpg_errinfo *ei)
{
	struct bpg_errinfo dei;
	enum bpg_err e;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		e = bpg_kube_create_app(k, cr, NULL, ei);
		if (e == BPG_OK || e == BPG_EEXIST)
			return BPG_OK;
		if (e != BPG_EUPSTREAM && e != BPG_ETIMEOUT)
			return e;
	}
	if (bpg_kube_delete_app(k, name, &dei) != BPG_OK)
		syslog(LOG_WARNING, "cleanup of %s after a failed create: %s",
		    name, dei.msg);
	return e;
}

static void
h_submit(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	const struct bpg_config *cfg = api->cfg;
	struct bpg_submit_req req;
	struct bpg_errinfo ei = { "" };
	const struct bpg_cluster *cluster;
	struct bpg_crd_ctx ctx;
	struct bpg_kube *kube;
	char id[BPG_MAX_SUBMISSION_ID + 1];
	char *queue = NULL, *dag_user = NULL, *stored = NULL;
	json_t *cr = NULL, *sanitized = NULL;
	const char *proxy_user;
	bool have_row = false;
	enum bpg_err e;

	e = bpg_req_parse(rc->body, rc->body_len,
	    bpg_req_format_of(rc->req->content_type), &req, &ei);
	if (e != BPG_OK)
		goto fail;
	if ((e = bpg_route_queue(cfg, &req, rc->user, &api->rng, &queue,
	    &ei)) != BPG_OK)
		goto fail;
	if ((e = bpg_route_validate(cfg, &req, queue, &ei)) != BPG_OK)
		goto fail;
	if ((e = bpg_route_cluster(cfg, &req, queue, &api->rng, &cluster,
	    &ei)) != BPG_OK)
		goto fail;
	if ((e = bpg_route_new_id(cluster, req.submission_id_suffix,
	    &api->rng, id, &ei)) != BPG_OK)
		goto fail;

	/* Section 2.7: the Airflow account submits for dagUser. */
	proxy_user = rc->user;
	if (strcmp(rc->user, AIRFLOW_ACCOUNT) == 0) {
		dag_user = rc->query ? query_param(rc->query, "dagUser") : NULL;
		proxy_user = dag_user != NULL && dag_user[0] != '\0' ?
		    dag_user : "dagUser";
	}
	ctx.submission_id = id;
	ctx.user = rc->user;
	ctx.proxy_user = proxy_user;
	ctx.queue = queue;
	if ((e = bpg_crd_build(cfg, cluster, &req, &ctx, api->zones, &cr,
	    &ei)) != BPG_OK)
		goto fail;
	if ((e = kube_for(api, cluster, &kube, &ei)) != BPG_OK)
		goto fail;

	/*
	 * The row first: if the DB cannot record the submission, nothing is
	 * created (BPG creates the CR anyway and loses the record).
	 */
	if (api->db != NULL) {
		struct bpg_db_submission row;

		if ((sanitized = bpg_req_sanitized(&req)) == NULL ||
		    (stored = json_dumps(sanitized,
		    JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
			e = bpg_errf(&ei, BPG_ENOMEM, "out of memory");
			goto fail;
		}
		memset(&row, 0, sizeof(row));
		row.submission_id = id;
		row.user = proxy_user;
		row.spark_version = req.spark_version;
		row.request_body = stored;
		row.queue = req.queue;
		row.app_name = req.application_name;
		e = bpg_db_insert_submission(api->db, &row, &ei);
		if (e == BPG_ETOOBIG) {
			/* BPG's request_body column is a TEXT (64 KiB). */
			e = bpg_errf(&ei, BPG_EINVAL, "Request too large to "
			    "record: %s", ei.msg);
			goto fail;
		}
		if (e != BPG_OK) {
			syslog(LOG_ERR, "submission %s not recorded: %s", id,
			    ei.msg);
			e = bpg_errf(&ei, BPG_EDB, "The submission could not be "
			    "recorded (database unavailable); nothing was "
			    "submitted. Please try again later.");
			goto fail;
		}
		have_row = true;
	}

	if ((e = create_cr(kube, cr, id, &ei)) != BPG_OK) {
		syslog(LOG_ERR, "submission %s: create failed: %s", id, ei.msg);
		if (have_row) {
			struct bpg_errinfo mei;

			if (bpg_db_mark_failed(api->db, id, ei.msg, &mei) !=
			    BPG_OK)
				syslog(LOG_ERR, "submission %s: cannot mark "
				    "failed: %s", id, mei.msg);
		}
		goto fail;
	}
	syslog(LOG_INFO, "submitted %s user=%s queue=%s cluster=%s", id,
	    proxy_user, queue, cluster->id);
	reply_json(rc->resp, 200, json_pack("{s:s}", "submissionId", id));
	goto out;
fail:
	reply_err(rc->resp, e, &ei);
out:
	free(stored);
	json_decref(sanitized);
	json_decref(cr);
	free(dag_user);
	free(queue);
	bpg_req_reset(&req);
}

/* ---- ID endpoints ------------------------------------------------- */

/* Resolve the cluster of rc->segs[1] and its Kubernetes handle. */
static bool
resolve_id(struct route_ctx *rc, const struct bpg_cluster **cluster,
    struct bpg_kube **kube)
{
	struct bpg_errinfo ei = { "" };
	enum bpg_err e;

	if ((e = bpg_route_cluster_of_id(rc->api->cfg, rc->segs[1], cluster,
	    &ei)) != BPG_OK ||
	    (e = kube_for(rc->api, *cluster, kube, &ei)) != BPG_OK) {
		reply_err(rc->resp, e, &ei);
		return false;
	}
	return true;
}

static void
h_delete(struct route_ctx *rc)
{
	const struct bpg_cluster *cluster;
	struct bpg_kube *kube;
	struct bpg_errinfo ei = { "" };
	enum bpg_err e;

	if (!resolve_id(rc, &cluster, &kube))
		return;
	/* A missing object is not an error (section 1.2, quirk 38). */
	e = bpg_kube_delete_app(kube, rc->segs[1], &ei);
	if (e != BPG_OK && e != BPG_ENOTFOUND) {
		reply_err(rc->resp, e, &ei);
		return;
	}
	reply_json(rc->resp, 200, json_pack("{s:s}", "submissionId",
	    rc->segs[1]));
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
jstr(const json_t *o, const char *key)
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
	const char *state = jstr(as, "state");
	const char *errmsg = jstr(as, "errorMessage");
	const char *label = jstr(json_object_get(meta, "labels"),
	    "maxRunningMillis");
	int64_t created = bpg_time_parse_ms(jstr(meta, "creationTimestamp"));
	int64_t ended = bpg_time_parse_ms(jstr(st, "terminationTime"));
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
			duration = now_ms() - created;
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
	if (jstr(st, "sparkApplicationId") != NULL)
		json_object_set_new(o, "sparkApplicationId",
		    json_string(jstr(st, "sparkApplicationId")));
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
		    c->namespace, jstr(meta, "name"));
		json_object_set_new(o, "sparkUIUrl", json_string(msg));
	}
	return o;
}

static void
h_status(struct route_ctx *rc)
{
	const struct bpg_cluster *cluster;
	struct bpg_kube *kube;
	struct bpg_errinfo ei = { "" };
	char text[700];
	json_t *cr = NULL;
	enum bpg_err e;

	/* Quirk 4 fixed: a bad ID is a 400 here as everywhere. */
	if (!resolve_id(rc, &cluster, &kube))
		return;
	e = bpg_kube_get_app(kube, rc->segs[1], &cr, &ei);
	switch (e) {
	case BPG_OK:
		reply_json(rc->resp, 200, status_of_cr(cluster, cr));
		break;
	case BPG_ENOTFOUND:
		reply_error(rc->resp, 404, WAE, "HTTP 404 Not Found");
		break;
	case BPG_ERATE:
		/* Section 3.4: Kubernetes throttling reads as UNKNOWN. */
		snprintf(text, sizeof(text), KCE "%s", ei.msg);
		reply_json(rc->resp, 200, json_pack("{s:i, s:s, s:s}",
		    "duration", 0, "applicationState", "UNKNOWN",
		    "applicationErrorMessage", text));
		break;
	default:
		snprintf(text, sizeof(text), "Failed to get status: %s%s",
		    e == BPG_EUPSTREAM || e == BPG_ETIMEOUT ? KCE : "",
		    ei.msg);
		reply_error(rc->resp, status_of(e), WAE, text);
		break;
	}
	json_decref(cr);
}

static void
h_health(struct route_ctx *rc)
{
	reply_json(rc->resp, 200, json_pack("{s:s}", "status", "OK"));
}

/* ---- dispatch ----------------------------------------------------- */

/*
 * Read the whole body into api->body (at most BPG_MAX_BODY bytes).
 * Returns 0, 413 when it is larger, 400 when the stream fails.
 */
static int
read_body(struct bpg_api *api, const struct bpg_http_req *req, size_t *len)
{
	long n;
	size_t want;

	*len = 0;
	if (req->content_length > BPG_MAX_BODY)
		return 413;
	for (;;) {
		want = req->content_length >= 0 ?
		    (size_t)req->content_length + 1 : *len + 16384 + 1;
		if (want > BPG_MAX_BODY + 2)
			want = BPG_MAX_BODY + 2;
		if (want > api->body_cap) {
			char *nb = realloc(api->body, want);

			if (nb == NULL)
				return 413;
			api->body = nb;
			api->body_cap = want;
		}
		if (*len + 1 >= api->body_cap)
			break;
		n = req->io->read(req->io->ctx, api->body + *len,
		    api->body_cap - 1 - *len);
		if (n < 0)
			return 400;
		if (n == 0)
			break;
		*len += (size_t)n;
		if (*len > BPG_MAX_BODY)
			return 413;
	}
	api->body[*len] = '\0';
	return 0;
}

static void
dispatch(struct route_ctx *rc)
{
	const struct bpg_http_req *req = rc->req;
	struct bpg_http_resp *resp = rc->resp;
	const struct route *best = NULL;
	char allow[128] = "";
	int rcode, lit, best_lit = -1;
	size_t i;

	rcode = split_path(rc, req->uri, rc->api->cfg->context_path);
	if (rcode == 400) {
		reply_error(resp, 400, WAE, "Malformed request URI");
		return;
	}
	if (rcode == 404)
		goto notfound;

	/* Method and path are checked before authentication (0.1). */
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!pattern_match(routes[i].pattern, rc, &lit))
			continue;
		if (strcmp(routes[i].method, req->method) != 0) {
			if (strstr(allow, routes[i].method) == NULL)
				snprintf(allow + strlen(allow),
				    sizeof(allow) - strlen(allow), "%s%s",
				    allow[0] ? "," : "", routes[i].method);
			continue;
		}
		if (lit > best_lit) {
			best = &routes[i];
			best_lit = lit;
		}
	}
	if (best == NULL && allow[0] != '\0') {
		reply_json(resp, 405, json_pack("{s:i, s:s}", "code", 405,
		    "message", "jakarta.ws.rs.NotAllowedException: HTTP 405 "
		    "Method Not Allowed"));
		snprintf(resp->headers, sizeof(resp->headers), "Allow: %s\r\n",
		    allow);
		return;
	}
	if (best == NULL)
		goto notfound;
	if ((best->flags & AUTH) && !authenticate(rc))
		return;
	if (best->flags & BODY) {
		switch (read_body(rc->api, req, &rc->body_len)) {
		case 0:
			rc->body = rc->api->body;
			break;
		case 413:
			reply_too_large(resp);
			return;
		default:
			reply_error(resp, 400, WAE, "Request body unreadable");
			return;
		}
	}
	best->fn(rc);
	return;
notfound:
	reply_json(resp, 404, json_pack("{s:i, s:s}", "code", 404, "message",
	    "jakarta.ws.rs.NotFoundException: HTTP 404 Not Found"));
}

void
bpg_api_handle(struct bpg_api *api, const struct bpg_http_req *req)
{
	struct bpg_http_resp resp;
	struct route_ctx rc;

	memset(&resp, 0, sizeof(resp));
	memset(&rc, 0, sizeof(rc));
	rc.api = api;
	rc.req = req;
	rc.resp = &resp;
	dispatch(&rc);
	free_segs(&rc);
	if (!resp.streamed &&
	    req->io->head(req->io->ctx, resp.status, resp.content_type,
	    resp.headers, (long long)resp.body_len) == 0 && resp.body_len > 0)
		(void)req->io->write(req->io->ctx, resp.body, resp.body_len);
	resp_reset(&resp);
	/* A large upload's buffer is not kept for the next request. */
	if (api->body_cap > 65536) {
		free(api->body);
		api->body = NULL;
		api->body_cap = 0;
	}
}

/* ---- lifecycle ---------------------------------------------------- */

enum bpg_err
bpg_api_new(const struct bpg_config *cfg, struct bpg_api **out,
    struct bpg_errinfo *ei)
{
	struct bpg_api *api;
	enum bpg_err e;

	*out = NULL;
	if ((api = calloc(1, sizeof(*api))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	api->cfg = cfg;
	if (cfg->nclusters > 0 &&
	    (api->kube = calloc(cfg->nclusters, sizeof(*api->kube))) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}
	if ((e = bpg_zones_new(&api->zones)) != BPG_OK) {
		bpg_errf(ei, e, "out of memory");
		goto fail;
	}
	if ((e = bpg_rng_seed(&api->rng)) != BPG_OK) {
		bpg_errf(ei, e, "cannot seed the random number generator");
		goto fail;
	}
	if (cfg->db.connection_string != NULL &&
	    cfg->db.connection_string[0] != '\0' &&
	    (e = bpg_db_new(&cfg->db, &api->db, ei)) != BPG_OK)
		goto fail;
	*out = api;
	return BPG_OK;
fail:
	bpg_api_free(api);
	return e;
}

enum bpg_err
bpg_api_warm(struct bpg_api *api, struct bpg_errinfo *ei)
{
	if (api->db == NULL)
		return BPG_OK;
	return bpg_db_connect(api->db, ei);
}

void
bpg_api_free(struct bpg_api *api)
{
	size_t i;

	if (api == NULL)
		return;
	if (api->kube != NULL)
		for (i = 0; i < api->cfg->nclusters; i++)
			bpg_kube_free(api->kube[i]);
	free(api->kube);
	bpg_db_free(api->db);
	bpg_zones_free(api->zones);
	free(api->body);
	free(api);
}
