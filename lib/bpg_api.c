/*
 * The REST API's top (bpg_api.h; the layers are in bpg_internal.h): the
 * route table, the URI's path, authentication, the request's body, and
 * the per-worker state every handler works with.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpg_api.h"
#include "bpg_api_apps.h"
#include "bpg_api_clusters.h"
#include "bpg_api_me.h"
#include "bpg_api_livy.h"
#include "bpg_api_lists.h"
#include "bpg_api_log.h"
#include "bpg_api_retry.h"
#include "bpg_api_metrics.h"
#include "bpg_api_report.h"
#include "bpg_api_notify.h"
#include "bpg_api_schedules.h"
#include "bpg_api_submit.h"
#include "bpg_api_upload.h"
#include "bpg_api_util.h"
#include "bpg_castore.h"
#include "bpg_internal.h"
#include "bpg_limits.h"
#include "bpg_metrics.h"
#include "bpg_s3.h"
#include "bpg_yaml.h"

/*
 * Route table.  A literal segment beats "{id}" (section 0.1: GET
 * /spark/mySubmissions is not an ID).  Paths are after the prefix.
 */

enum { NOAUTH = 0, AUTH = 1, BODY = 2 };

typedef void (*handler_fn)(struct route_ctx *);

static const struct route {
	const char *method;
	const char *pattern;
	int flags;
	handler_fn fn;
} routes[] = {
	{ "POST", "/spark", AUTH | BODY, api_h_submit },
	{ "DELETE", "/spark/{id}", AUTH, api_h_delete },
	{ "GET", "/spark/{id}/status", AUTH, api_h_status },
	{ "GET", "/spark/{id}/attempts", AUTH, api_h_attempts },
	{ "GET", "/spark/{id}/spec", AUTH, api_h_spec },
	{ "GET", "/spark/{id}/driver", AUTH, api_h_driver },
	{ "GET", "/spark/{id}/describe", AUTH, api_h_describe },
	{ "GET", "/spark/{id}/notifications", AUTH, api_h_notifications },
	{ "GET", "/spark/mySubmissions", AUTH, api_h_my_submissions },
	{ "GET", "/admin/submissions", AUTH, api_h_admin_submissions },
	{ "GET", "/admin/clusters", AUTH, api_h_clusters },
	{ "GET", "/admin/notifications", AUTH, api_h_admin_notifications },
	{ "GET", "/me", AUTH, api_h_me },
	{ "GET", "/admin/report", AUTH, api_h_admin_report },
	{ "GET", "/report", AUTH, api_h_report },
	/* No user (section 1.11, quirk 20; section 0.1). */
	{ "GET", "/admin/version", NOAUTH, api_h_version },
	{ "GET", "/openapi.json", NOAUTH, api_h_openapi_json },
	{ "GET", "/openapi.yaml", NOAUTH, api_h_openapi_yaml },
	{ "GET", "/healthcheck/status", AUTH, api_h_health },
	/* No BODY: the handlers stream what they read or write. */
	{ "GET", "/log", AUTH, api_h_log },
	{ "POST", "/s3/{id}", AUTH, api_h_upload },
	/* Schedules (bpg_api_schedules.h). */
	{ "POST", "/schedules", AUTH | BODY, api_h_sched_create },
	{ "GET", "/schedules", AUTH, api_h_sched_list },
	{ "GET", "/schedules/{id}", AUTH, api_h_sched_get },
	{ "PUT", "/schedules/{id}", AUTH | BODY, api_h_sched_replace },
	{ "DELETE", "/schedules/{id}", AUTH, api_h_sched_delete },
	{ "POST", "/schedules/{id}/suspend", AUTH, api_h_sched_suspend },
	{ "POST", "/schedules/{id}/resume", AUTH, api_h_sched_resume },
	{ "POST", "/schedules/{id}/trigger", AUTH, api_h_sched_trigger },
	/* Prometheus' text format (bpg_api_metrics.h). */
	{ "GET", "/metrics", AUTH, api_h_metrics },
	/* Apache Livy's batches (bpg_api_livy.h); also at livy.path. */
	{ "POST", "/batches", AUTH | BODY, api_h_livy_create },
	{ "GET", "/batches", AUTH, api_h_livy_list },
	{ "GET", "/batches/{id}", AUTH, api_h_livy_get },
	{ "GET", "/batches/{id}/state", AUTH, api_h_livy_state },
	{ "GET", "/batches/{id}/log", AUTH, api_h_livy_log },
	{ "DELETE", "/batches/{id}", AUTH, api_h_livy_delete },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* ---- responses ---------------------------------------------------- */

static void
resp_reset(struct bpg_http_resp *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void
reply_too_large(struct bpg_http_resp *r)
{
	char text[128];

	snprintf(text, sizeof(text), "Request body larger than %d bytes",
	    BPG_MAX_BODY);
	api_reply_error(r, 413, WAE, text);
}

/* ---- the path ----------------------------------------------------- */

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
		if ((rc->segs[rc->nsegs] = api_pct_decode(p,
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

/*
 * The Livy API's root mount (livy.path, e.g. "/batches"): its path and
 * what follows read as "/batches..." after the prefix.  -1 when the URI
 * is not under it, else split_path()'s answer.
 */
static int
split_livy_root(struct route_ctx *rc, const char *uri)
{
	const struct bpg_livy_conf *lc = &rc->api->cfg->livy;
	size_t n;
	int code;

	if (!lc->enabled || lc->path == NULL)
		return -1;
	n = strlen(lc->path);
	if (strncmp(uri, lc->path, n) != 0 || (uri[n] != '\0' &&
	    uri[n] != '/' && uri[n] != '?'))
		return -1;
	if (uri[n] == '/' && uri[n + 1] != '\0' && uri[n + 1] != '?') {
		if ((code = split_path(rc, uri, lc->path)) != 0)
			return code;
		if (rc->nsegs == MAX_SEGS)
			return 404;
		memmove(rc->segs + 1, rc->segs, rc->nsegs * sizeof(*rc->segs));
		rc->nsegs++;
	} else {
		rc->query = uri[n] == '?' ? uri + n + 1 : (uri[n] == '/' &&
		    uri[n + 1] == '?' ? uri + n + 2 : NULL);
	}
	if ((rc->segs[0] = strdup("batches")) == NULL)
		return 400;
	if (rc->nsegs == 0)
		rc->nsegs = 1;
	return 0;
}

/*
 * A route's pattern read once (bpg_api_new()): its segments, each a
 * literal (where it starts in the pattern, its length) or "{id}", which
 * takes any non-empty segment.  A pattern of more than MAX_SEGS segments
 * matches no path.
 */
struct api_route_shape {
	unsigned char nsegs, literals;
	struct {
		unsigned char off, len;
		bool any;
	} seg[MAX_SEGS];
};

static enum bpg_err
shapes_new(struct api_route_shape **out)
{
	struct api_route_shape *sh;
	const char *pat, *p, *slash;
	size_t i, n, k;

	if ((sh = calloc(NROUTES, sizeof(*sh))) == NULL)
		return BPG_ENOMEM;
	for (i = 0; i < NROUTES; i++) {
		pat = routes[i].pattern;
		for (k = 0, p = pat + 1; *p != '\0'; k++) {
			slash = strchr(p, '/');
			n = slash != NULL ? (size_t)(slash - p) : strlen(p);
			if (k == MAX_SEGS || (size_t)(p - pat) > UCHAR_MAX ||
			    n > UCHAR_MAX) {
				k = UCHAR_MAX;	/* more than a path has */
				break;
			}
			sh[i].seg[k].off = (unsigned char)(p - pat);
			sh[i].seg[k].len = (unsigned char)n;
			sh[i].seg[k].any = n == 4 && memcmp(p, "{id}", 4) == 0;
			sh[i].literals += !sh[i].seg[k].any;
			p += n;
			if (*p == '/')
				p++;
		}
		sh[i].nsegs = (unsigned char)k;
	}
	*out = sh;
	return BPG_OK;
}

/* Whether the path's segments match route r's; its literal segments in
 * *literals (the more, the more specific). */
static bool
pattern_match(const struct route *r, const struct api_route_shape *sh,
    const struct route_ctx *rc, int *literals)
{
	const char *seg;
	size_t i;

	if (sh->nsegs != rc->nsegs)
		return false;
	for (i = 0; i < rc->nsegs; i++) {
		seg = rc->segs[i];
		if (sh->seg[i].any) {
			if (seg[0] == '\0')
				return false;
		} else if (strncmp(r->pattern + sh->seg[i].off, seg,
		    sh->seg[i].len) != 0 || seg[sh->seg[i].len] != '\0')
			return false;
	}
	*literals = sh->literals;
	return true;
}

/* ---- authentication (section 8) ----------------------------------- */

static void
reply_401(struct bpg_http_resp *r)
{
	/* The 401 body has "code" as a string (quirk 31, copied). */
	api_reply_json(r, 401, json_pack("{s:s, s:s}", "code", "401", "message",
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
		api_reply_error(rc->resp, 403, WAE, text);
		return false;
	}
	rc->user = u;
	return true;
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
	size_t want, room;

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
		/* No more than CONTENT_LENGTH (RFC 3875 section 4.2): no read
		 * waits for the end of a body whose length was given. */
		if (*len + 1 >= api->body_cap || (req->content_length >= 0 &&
		    *len >= (size_t)req->content_length))
			break;
		room = api->body_cap - 1 - *len;
		if (req->content_length >= 0 &&
		    (size_t)req->content_length - *len < room)
			room = (size_t)req->content_length - *len;
		n = req->io->read(req->io->ctx, api->body + *len, room);
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

/* The route that served the request, or NULL. */
static const struct route *
dispatch(struct route_ctx *rc)
{
	const struct bpg_http_req *req = rc->req;
	struct bpg_http_resp *resp = rc->resp;
	const struct route *best = NULL;
	char allow[128] = "";
	int rcode, lit, best_lit = -1;
	size_t i;

	if ((rcode = split_livy_root(rc, req->uri)) < 0)
		rcode = split_path(rc, req->uri, rc->api->cfg->context_path);
	if (rcode == 400) {
		api_reply_error(resp, 400, WAE, "Malformed request URI");
		return NULL;
	}
	if (rcode == 404)
		goto notfound;

	/* Method and path are checked before authentication (0.1). */
	for (i = 0; i < NROUTES; i++) {
		if (!pattern_match(&routes[i], &rc->api->shapes[i], rc, &lit))
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
		api_reply_json(resp, 405, json_pack("{s:i, s:s}", "code", 405,
		    "message", "jakarta.ws.rs.NotAllowedException: HTTP 405 "
		    "Method Not Allowed"));
		snprintf(resp->headers, sizeof(resp->headers), "Allow: %s\r\n",
		    allow);
		return NULL;
	}
	if (best == NULL)
		goto notfound;
	if ((best->flags & AUTH) && !authenticate(rc))
		return best;
	if (best->flags & BODY) {
		switch (read_body(rc->api, req, &rc->body_len)) {
		case 0:
			rc->body = rc->api->body;
			break;
		case 413:
			reply_too_large(resp);
			return best;
		default:
			api_reply_error(resp, 400, WAE, "Request body unreadable");
			return best;
		}
	}
	best->fn(rc);
	return best;
notfound:
	api_reply_no_resource(resp);
	return NULL;
}

/*
 * The status of a streamed answer is the one its handler sends through
 * io->head(): the request's io is passed on through these, which note it.
 */
struct counted_io {
	const struct bpg_http_io *io;
	int status;
};

static long
counted_read(void *ctx, char *buf, size_t n)
{
	const struct counted_io *c = ctx;

	return c->io->read(c->io->ctx, buf, n);
}

static int
counted_head(void *ctx, int status, const char *content_type,
    const char *headers, long long content_length)
{
	struct counted_io *c = ctx;

	c->status = status;
	return c->io->head(c->io->ctx, status, content_type, headers,
	    content_length);
}

static int
counted_write(void *ctx, const char *buf, size_t n)
{
	const struct counted_io *c = ctx;

	return c->io->write(c->io->ctx, buf, n);
}

static bool
counted_cancelled(void *ctx)
{
	const struct counted_io *c = ctx;

	return c->io->cancelled != NULL && c->io->cancelled(c->io->ctx);
}

void
bpg_api_handle(struct bpg_api *api, const struct bpg_http_req *in)
{
	struct counted_io cio = { in->io, 0 };
	struct bpg_http_io io = { counted_read, counted_head, counted_write,
	    &cio, counted_cancelled };
	struct bpg_http_req reqv = *in;
	const struct bpg_http_req *req = &reqv;
	const struct route *route;
	struct bpg_http_resp resp;
	struct route_ctx rc;

	reqv.io = &io;
	/* requestDeadlineSeconds, from the moment the request is here. */
	api->end_ms = bpg_kube_now_ms() +
	    api->cfg->request_deadline_seconds * 1000;
	api_kube_sweep(api, bpg_kube_now_ms());
	memset(&resp, 0, sizeof(resp));
	memset(&rc, 0, sizeof(rc));
	rc.api = api;
	rc.req = req;
	rc.resp = &resp;
	route = dispatch(&rc);
	/* Livy's clients read its error shape on all of /batches. */
	if (rc.nsegs > 0 && strcmp(rc.segs[0], "batches") == 0)
		api_livy_error_shape(&resp);
	free_segs(&rc);
	if (!resp.streamed &&
	    req->io->head(req->io->ctx, resp.status, resp.content_type,
	    resp.headers, (long long)resp.body_len) == 0 && resp.body_len > 0)
		(void)req->io->write(req->io->ctx, resp.body, resp.body_len);
	api_metrics_request(&rc, route != NULL ? route->pattern : NULL,
	    in->method, cio.status);
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
	    ((api->kube = calloc(cfg->nclusters, sizeof(*api->kube))) == NULL ||
	    (api->kube_used_ms = calloc(cfg->nclusters,
	    sizeof(*api->kube_used_ms))) == NULL)) {
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}
	if ((e = bpg_castore_new(&api->castore)) != BPG_OK) {
		bpg_errf(ei, e, "out of memory");
		goto fail;
	}
	if ((e = bpg_zones_new(&api->zones)) != BPG_OK) {
		bpg_errf(ei, e, "out of memory");
		goto fail;
	}
	if ((e = shapes_new(&api->shapes)) != BPG_OK) {
		bpg_errf(ei, e, "out of memory");
		goto fail;
	}
	if ((e = bpg_rng_seed(&api->rng)) != BPG_OK) {
		bpg_errf(ei, e, "cannot seed the random number generator");
		goto fail;
	}
	if ((e = bpg_cache_new(BPG_STATUS_CACHE_MAX,
	    cfg->status_cache_expire_millis, &api->status_cache)) != BPG_OK) {
		bpg_errf(ei, e, "out of memory");
		goto fail;
	}
	/* Until the supervisor's shared buckets are set: this process's. */
	if ((e = bpg_ratelimit_new_shared(BPG_RATELIMIT_RATE,
	    BPG_RATELIMIT_BURST, &api->rl_own, ei)) != BPG_OK)
		goto fail;
	api->rl = api->rl_own;
	if ((e = bpg_breaker_new_shared(&api->breaker_own, ei)) != BPG_OK)
		goto fail;
	api->breaker = api->breaker_own;
	/* Until the supervisor's shared metrics are set: this process's. */
	if ((e = bpg_metrics_new_shared(&api->metrics_own, ei)) != BPG_OK)
		goto fail;
	api->metrics = api->metrics_own;
	if (cfg->db.connection_string != NULL &&
	    cfg->db.connection_string[0] != '\0' &&
	    (e = bpg_db_new(&cfg->db, &api->db, ei)) != BPG_OK)
		goto fail;
	bpg_db_set_metrics(api->db, api->metrics);
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
	free(api->kube_used_ms);
	bpg_castore_free(api->castore);
	bpg_db_free(api->db);
	bpg_zones_free(api->zones);
	bpg_cache_free(api->status_cache);
	bpg_ratelimit_free(api->rl_own);
	bpg_breaker_free(api->breaker_own);
	bpg_metrics_free(api->metrics_own);
	json_decref(api->openapi_json);
	free(api->openapi_yaml);
	bpg_s3_free(api->s3_upload);
	api_log_handles_free(api->log);
	free(api->body);
	free(api->shapes);
	free(api);
}

void
bpg_api_set_ratelimit(struct bpg_api *api, struct bpg_ratelimit *rl)
{
	api->rl = rl != NULL ? rl : api->rl_own;
}

void
bpg_api_set_metrics(struct bpg_api *api, struct bpg_metrics *m)
{
	size_t i;

	api->metrics = m != NULL ? m : api->metrics_own;
	bpg_db_set_metrics(api->db, api->metrics);
	for (i = 0; api->kube != NULL && i < api->cfg->nclusters; i++)
		bpg_kube_set_metrics(api->kube[i], api->metrics);
}

void
bpg_api_set_breaker(struct bpg_api *api, struct bpg_breaker *br)
{
	api->breaker = br != NULL ? br : api->breaker_own;
}

void
bpg_api_set_streams(struct bpg_api *api, struct bpg_streams *st,
    unsigned int total)
{
	api->streams = st;
	api->stream_total = total;
}

enum bpg_err
bpg_api_set_openapi(struct bpg_api *api, const char *yaml, size_t len,
    struct bpg_errinfo *ei)
{
	json_t *doc = NULL;
	char *copy;
	enum bpg_err e;

	if ((e = bpg_yaml_load(yaml, len, BPG_YAML_TYPED, &doc, NULL, ei)) !=
	    BPG_OK)
		return e;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return bpg_errf(ei, BPG_EINVAL, "OpenAPI document: not a "
		    "mapping");
	}
	if ((copy = malloc(len + 1)) == NULL) {
		json_decref(doc);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	memcpy(copy, yaml, len);
	copy[len] = '\0';
	json_decref(api->openapi_json);
	free(api->openapi_yaml);
	api->openapi_json = doc;
	api->openapi_yaml = copy;
	api->openapi_yaml_len = len;
	return BPG_OK;
}
