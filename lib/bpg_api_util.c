/*
 * What the REST API's handlers share (bpg_api_util.h): BPG's answers,
 * query parameters, the worker's Kubernetes handles and streamed answers.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bpg_api_util.h"
#include "bpg_json.h"
#include "bpg_limits.h"
#include "bpg_log.h"
#include "bpg_metrics.h"
#include "bpg_streams.h"
#include "bpg_submitlimit.h"

/* ---- answers ------------------------------------------------------ */

void
api_reply_text_n(struct bpg_http_resp *r, int status, const char *ctype,
    char *body, size_t len)
{
	if (body == NULL) {
		body = strdup("{\"code\":500,\"message\":\"out of memory\"}");
		status = 500;
		ctype = "application/json";
		len = body != NULL ? strlen(body) : 0;
	}
	free(r->body);
	r->status = status;
	r->content_type = ctype;
	r->body = body;
	r->body_len = body != NULL ? len : 0;
}

void
api_reply_text(struct bpg_http_resp *r, int status, const char *ctype,
    char *body)
{
	api_reply_text_n(r, status, ctype, body, body != NULL ? strlen(body) :
	    0);
}

void
api_reply_json(struct bpg_http_resp *r, int status, json_t *doc)
{
	char *s = NULL;

	/* Not json_dumps(): a third of a status answer's CPU (bpg_json.c). */
	if (doc != NULL)
		s = bpg_json_dump(doc, NULL);
	json_decref(doc);
	/* NULL: out of memory, a 500. */
	api_reply_text(r, status, "application/json", s);
}

/* BPG's error envelope: {"code":<n>,"message":"<class>: <text>"}. */
void
api_reply_error(struct bpg_http_resp *r, int status, const char *cls,
    const char *text)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s%s", cls, text);
	api_reply_json(r, status, json_pack("{s:i, s:s}", "code", status,
	    "message", msg));
}

int
api_status_of(enum bpg_err e)
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
void
api_reply_err(struct bpg_http_resp *r, enum bpg_err e,
    const struct bpg_errinfo *ei)
{
	int status = api_status_of(e);
	const char *cls = WAE;

	if (e == BPG_EUPSTREAM || e == BPG_ETIMEOUT)
		cls = KCE;
	else if (status >= 500 && e != BPG_EDB && e != BPG_ECONFIG)
		cls = "InternalError: ";
	api_reply_error(r, status, cls, ei->msg[0] ? ei->msg : bpg_strerror(e));
}

void
api_reply_nomem(struct bpg_http_resp *r)
{
	api_reply_error(r, 500, "InternalError: ", "out of memory");
}

void
api_reply_no_resource(struct bpg_http_resp *r)
{
	api_reply_json(r, 404, json_pack("{s:i, s:s}", "code", 404, "message",
	    "jakarta.ws.rs.NotFoundException: HTTP 404 Not Found"));
}

/* ---- the request -------------------------------------------------- */

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
char *
api_pct_decode(const char *s, size_t n)
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
char *
api_query_param(const char *query, const char *name)
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
			if ((v = api_pct_decode(p + nlen + 1,
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

const char *
api_jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int64_t
api_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- Kubernetes --------------------------------------------------- */

enum bpg_err
api_kube_for(struct bpg_api *api, const struct bpg_cluster *c,
    struct bpg_kube **out, struct bpg_errinfo *ei)
{
	size_t i = (size_t)(c - api->cfg->clusters);
	enum bpg_err e;

	if (api->kube[i] == NULL &&
	    (e = bpg_kube_new_shared(c, api->castore, &api->kube[i], ei)) !=
	    BPG_OK)
		return e;
	bpg_kube_set_metrics(api->kube[i], api->metrics);
	bpg_kube_set_deadline(api->kube[i], api->end_ms);
	api->kube_used_ms[i] = bpg_kube_now_ms();
	*out = api->kube[i];
	return BPG_OK;
}

void
api_kube_sweep(struct bpg_api *api, long long now)
{
	size_t i;

	for (i = 0; api->kube != NULL && i < api->cfg->nclusters; i++)
		if (api->kube[i] != NULL &&
		    now - api->kube_used_ms[i] >= BPG_API_KUBE_IDLE_MS) {
			bpg_kube_free(api->kube[i]);
			api->kube[i] = NULL;
		}
}

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

/* ---- streamed answers --------------------------------------------- */

int
api_stream_head(struct route_ctx *rc, int status, const char *ctype,
    const char *headers)
{
	rc->resp->streamed = true;
	return rc->req->io->head(rc->req->io->ctx, status, ctype, headers, -1);
}

int
api_stream_write(struct route_ctx *rc, const char *buf, size_t n)
{
	return rc->req->io->write(rc->req->io->ctx, buf, n);
}

/* A write of no bytes asks the transport to flush (struct bpg_http_io). */
int
api_stream_flush(struct route_ctx *rc)
{
	return rc->req->io->write(rc->req->io->ctx, "", 0);
}

/* One slot of bpg_streams.h a stream, held until api_stream_done(). */
bool
api_stream_admit(struct route_ctx *rc, const char *what)
{
	struct bpg_api *api = rc->api;
	const char *user = rc->user != NULL ? rc->user : "";
	char text[256];

	if (api->streams == NULL || bpg_streams_take(api->streams, getpid(),
	    user, api->stream_total, (unsigned int)api->cfg->streams_per_user))
		return true;
	bpg_log(LOG_INFO, "%s by %s refused: %u of %u streams in use, %u of "
	    "%lld by the user", what, user, bpg_streams_count(api->streams,
	    NULL), api->stream_total, bpg_streams_count(api->streams, user),
	    (long long)api->cfg->streams_per_user);
	snprintf(text, sizeof(text), "Too many followed logs and uploads at "
	    "once (at most %u in all and %lld per user); try again later",
	    api->stream_total, (long long)api->cfg->streams_per_user);
	api_reply_error(rc->resp, 429, WAE, text);
	snprintf(rc->resp->headers, sizeof(rc->resp->headers),
	    "Retry-After: %d\r\n", BPG_STREAM_RETRY_AFTER_S);
	return false;
}

void
api_stream_done(struct route_ctx *rc)
{
	if (rc->api->streams != NULL)
		bpg_streams_release(rc->api->streams, getpid());
}


bool
api_submit_admit(struct route_ctx *rc, const char *queue)
{
	struct bpg_errinfo ei = { "" };
	int64_t retry;

	if (bpg_submitlimit_take(rc->api->rl, rc->api->cfg, rc->user, queue,
	    bpg_ratelimit_now(), &retry, &ei) == BPG_OK)
		return true;
	bpg_log(LOG_INFO, "submission refused: %s", ei.msg);
	api_reply_error(rc->resp, 429, WAE, ei.msg);
	snprintf(rc->resp->headers, sizeof(rc->resp->headers),
	    "Retry-After: %lld\r\n", (long long)retry);
	return false;
}

/* ---- metrics ------------------------------------------------------ */

/* The config's name of queue (a bounded label), "other" if it has none. */
static const char *
queue_label(const struct bpg_config *cfg, const char *queue)
{
	size_t i;

	if (queue == NULL)
		return "";
	for (i = 0; i < cfg->nqueues; i++)
		if (strcmp(cfg->queues[i].name, queue) == 0)
			return cfg->queues[i].name;
	return "other";
}

void
api_metrics_submission(struct route_ctx *rc, const char *queue,
    const char *cluster, bool dry_run)
{
	int st = rc->resp->status;
	const char *outcome;

	if (st == 429)
		outcome = "limited";
	else if (st >= 500)
		outcome = "failed";
	else if (st >= 400)
		outcome = "rejected";
	else if (dry_run)
		outcome = "dry_run";
	else if (cluster != NULL)
		outcome = "accepted";
	else	/* an Idempotency-Key's stored answer */
		outcome = "replayed";
	bpg_metrics_inc(rc->api->metrics, BPG_METRIC_SUBMISSIONS,
	    BPG_LV(queue_label(rc->api->cfg, queue),
	    cluster != NULL ? cluster : "", outcome));
}
