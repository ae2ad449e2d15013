#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "bpg_castore.h"
#include "bpg_crd.h"
#include "bpg_json.h"
#include "bpg_kube.h"
#include "bpg_limits.h"
#include "bpg_metrics.h"

#define APPS_HEAD "/apis/" BPG_CRD_GROUP "/" BPG_CRD_VERSION "/namespaces/"
#define APPS_TAIL "/" BPG_CRD_PLURAL
#define APPS_PATH APPS_HEAD "%s" APPS_TAIL

struct bpg_kube {
	const struct bpg_cluster *cluster;
	CURL *curl;
	struct curl_slist *headers;
	/* The response body of the call under way; freed when it ends, so
	 * that an idle handle holds none (nor the largest list page it read). */
	char *rbuf;
	size_t rlen, rcap;
	/* The call's caller reads a 2xx body (else only an error's Status is
	 * kept: a create's answer, the whole object, is not copied). */
	bool want_body;
	int body_kept;		/* 0: not decided yet, 1: kept, -1: dropped */
	bool overflow;
	bool kept;		/* a kept connection may be reused */
	bool unsent;		/* the last request never reached a server */
	long connects;
	int64_t end_ms;		/* request deadline (monotonic), 0: none */
	struct bpg_metrics *metrics;	/* borrowed; NULL: not counted */
	char url[2048];
	char errbuf[CURL_ERROR_SIZE];
};

/*
 * parts[0..n) one after the other into buf (size bytes, NUL-terminated,
 * cut to fit); the length of all of them, as snprintf() answers.  A URL
 * and a path a request: snprintf() was a tenth of a submission's libc.
 */
static size_t
join(char *buf, size_t size, const char *const *parts, size_t n)
{
	size_t len = 0, k, i;

	for (i = 0; i < n; i++) {
		k = strlen(parts[i]);
		if (len < size)
			memcpy(buf + len, parts[i],
			    len + k < size ? k : size - len);
		len += k;
	}
	if (size > 0)
		buf[len < size ? len : size - 1] = '\0';
	return len;
}

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct bpg_kube *k = arg;
	size_t len = sz * n;
	long code = 0;

	if (k->body_kept == 0) {
		/* The status line and headers are in by the first byte. */
		k->body_kept = 1;
		if (!k->want_body && curl_easy_getinfo(k->curl,
		    CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
		    code >= 200 && code < 300)
			k->body_kept = -1;
	}
	if (k->body_kept < 0)
		return len;
	if (k->rlen + len + 1 > k->rcap) {
		size_t ncap = k->rcap ? k->rcap : 16384;
		char *nb;

		while (ncap < k->rlen + len + 1)
			ncap *= 2;
		if (ncap > BPG_MAX_KUBE_BODY) {
			k->overflow = true;
			return 0;
		}
		if ((nb = realloc(k->rbuf, ncap)) == NULL)
			return 0;
		k->rbuf = nb;
		k->rcap = ncap;
	}
	memcpy(k->rbuf + k->rlen, p, len);
	k->rlen += len;
	k->rbuf[k->rlen] = '\0';
	return len;
}

enum bpg_err
bpg_kube_new(const struct bpg_cluster *c, struct bpg_kube **out,
    struct bpg_errinfo *ei)
{
	return bpg_kube_new_shared(c, NULL, out, ei);
}

enum bpg_err
bpg_kube_new_shared(const struct bpg_cluster *c, struct bpg_castore *cas,
    struct bpg_kube **out, struct bpg_errinfo *ei)
{
	struct bpg_kube *k;
	struct curl_slist *h;
	enum bpg_err e;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	k->cluster = c;
	if ((k->curl = curl_easy_init()) == NULL) {
		free(k);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	if ((e = bpg_kube_setup_easy(k->curl, c, &k->headers, ei)) != BPG_OK) {
		bpg_kube_free(k);
		return e;
	}
	if (cas != NULL && bpg_castore_setup_easy(cas, k->curl, c) != BPG_OK) {
		bpg_kube_free(k);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	/*
	 * This handle also sends bodies, with no "Expect: 100-continue"
	 * round trip on POST.  The list is not empty, so appending keeps its
	 * head, which curl holds.
	 */
	if ((h = curl_slist_append(k->headers,
	    "Content-Type: application/json")) == NULL ||
	    curl_slist_append(h, "Expect:") == NULL) {
		bpg_kube_free(k);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(k->curl, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, (long)c->timeout_millis);
	*out = k;
	return BPG_OK;
}

void
bpg_kube_free(struct bpg_kube *k)
{
	if (k == NULL)
		return;
	if (k->curl != NULL)
		curl_easy_cleanup(k->curl);
	bpg_kube_free_headers(k->headers);
	free(k->rbuf);
	free(k);
}

long
bpg_kube_connects(const struct bpg_kube *k)
{
	return k->connects;
}

int64_t
bpg_kube_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
bpg_kube_set_deadline(struct bpg_kube *k, int64_t end_ms)
{
	k->end_ms = end_ms;
}

/*
 * The time a call may take: the cluster's timeoutMillis, cut to what is
 * left of the deadline.  A call on the kept connection leaves
 * BPG_KUBE_SETTLE_RESERVE_MS (at most timeoutMillis) of it for the calls
 * on connections of their own (fresh) that settle a create whose outcome
 * is unknown.  0: no time left.
 */
static long
call_timeout(const struct bpg_kube *k, bool fresh)
{
	long tmo = (long)k->cluster->timeout_millis;
	int64_t left, reserve;

	if (k->end_ms == 0)
		return tmo;
	left = k->end_ms - bpg_kube_now_ms();
	if (!fresh) {
		reserve = BPG_KUBE_SETTLE_RESERVE_MS;
		if (reserve > k->cluster->timeout_millis)
			reserve = k->cluster->timeout_millis;
		left -= reserve;
	}
	if (left <= 0)
		return 0;
	return left < tmo ? (long)left : tmo;
}

bool
bpg_kube_unsent(const struct bpg_kube *k)
{
	return k->unsent;
}

/*
 * After a perform: whether the request certainly never reached a server,
 * and whether the handle may now keep a connection.  libcurl closes a
 * connection a transfer failed on, and keeps it after an HTTP answer; a
 * request on a connection of its own leaves the kept one as it was.  A
 * failure to connect (name resolution, TCP, the TLS handshake: all
 * before a byte of the request is written) means nothing was sent only
 * if no kept connection was tried first, since libcurl resends a request
 * that died on a reused connection on a new one by itself.
 */
static void
note_connection(struct bpg_kube *k, CURLcode rc, bool fresh)
{
	bool connect_failed = rc == CURLE_COULDNT_RESOLVE_PROXY ||
	    rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT ||
	    rc == CURLE_SSL_CONNECT_ERROR ||
	    rc == CURLE_PEER_FAILED_VERIFICATION;

	k->unsent = connect_failed && (fresh || !k->kept);
	if (!fresh)
		k->kept = rc == CURLE_OK;
}

static enum bpg_err
status_err(long http)
{
	switch (http) {
	case 404:
		return BPG_ENOTFOUND;
	case 409:
		return BPG_EEXIST;
	case 400:
	case 422:
		return BPG_EINVAL;
	case 429:
		return BPG_ERATE;
	case 504:
		return BPG_ETIMEOUT;
	default:
		return BPG_EUPSTREAM;
	}
}

void
bpg_kube_clean_copy(char *dst, size_t dstlen, const char *src)
{
	size_t i, j;

	for (i = j = 0; src[i] != '\0' && j + 1 < dstlen; i++)
		dst[j++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[j] = '\0';
}

/* A request's body: a document, or its text already written (or
 * neither). */
struct kbody {
	const json_t *doc;
	const char *text;
	size_t len;
};

static enum bpg_err request(struct bpg_kube *, const char *, const char *,
    const struct kbody *, json_t **, long *, long, struct bpg_errinfo *);

void
bpg_kube_set_metrics(struct bpg_kube *k, struct bpg_metrics *m)
{
	if (k != NULL)
		k->metrics = m;
}

/* Why a call failed, as a label value: a fixed set. */
static const char *
error_reason(CURLcode rc, bool overflow, long code)
{
	if (overflow)
		return "too_large";
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_OPERATION_TIMEDOUT:
		return "timeout";
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return "connect";
	default:
		return "transfer";
	}
	switch (code) {
	case 0:
		return "bad_response";
	case 404:
		return "not_found";
	case 409:
		return "conflict";
	case 400:
	case 422:
		return "invalid";
	case 429:
		return "throttled";
	default:
		return code >= 500 ? "http_5xx" : "http_4xx";
	}
}

/* The call just done ended with rc and code: its time, its failure. */
static void
count_call(struct bpg_kube *k, CURLcode rc, long code)
{
	const char *cluster = k->cluster->id != NULL ? k->cluster->id : "";
	curl_off_t us = 0;

	if (k->metrics == NULL)
		return;
	curl_easy_getinfo(k->curl, CURLINFO_TOTAL_TIME_T, &us);
	bpg_metrics_observe(k->metrics, BPG_METRIC_KUBE_DURATION,
	    BPG_LV(cluster), (double)us / 1e6);
	if (rc != CURLE_OK || k->overflow || code < 200 || code >= 300)
		bpg_metrics_inc(k->metrics, BPG_METRIC_KUBE_ERRORS,
		    BPG_LV(cluster, error_reason(rc, k->overflow, code)));
}

/*
 * fabric8's KubernetesClientException text, which BPG's error answers
 * carry: "Failure executing: <VERB> at: <url>. Message: <text>." with the
 * text cleaned (bpg_kube_clean_copy()).
 */
static enum bpg_err
failure(struct bpg_errinfo *ei, enum bpg_err e, const char *method,
    const char *url, const char *text)
{
	char clean[300];

	bpg_kube_clean_copy(clean, sizeof(clean), text);
	return bpg_errf(ei, e, "Failure executing: %s at: %s. Message: %s.",
	    method, url, clean);
}

/* A transfer that failed (rc): BPG_ETIMEOUT or BPG_EUPSTREAM. */
static enum bpg_err
transfer_failure(struct bpg_kube *k, struct bpg_errinfo *ei,
    const char *method, CURLcode rc)
{
	return failure(ei, rc == CURLE_OPERATION_TIMEDOUT ? BPG_ETIMEOUT :
	    BPG_EUPSTREAM, method, k->url, k->errbuf[0] ? k->errbuf :
	    curl_easy_strerror(rc));
}

/*
 * An error answer (code): its Status object's message and reason
 * (Kubernetes API conventions: Status), from k->rbuf.
 */
static enum bpg_err
status_failure(struct bpg_kube *k, struct bpg_errinfo *ei,
    const char *method, long code)
{
	json_t *doc = NULL;
	const char *msg, *reason;
	char text[300];
	enum bpg_err e = status_err(code);

	if (k->rlen > 0)
		doc = json_loadb(k->rbuf, k->rlen, 0, NULL);
	msg = json_string_value(json_object_get(doc, "message"));
	reason = json_string_value(json_object_get(doc, "reason"));
	bpg_kube_clean_copy(text, sizeof(text), msg != NULL ? msg : "");
	bpg_errf(ei, e, "Failure executing: %s at: %s. Message: %s. "
	    "Received status: %ld %s.", method, k->url,
	    text[0] ? text : "(no message)", code,
	    reason != NULL ? reason : "");
	json_decref(doc);
	return e;
}

/* After a call: its body, parsed or reported, is no longer needed. */
static void
drop_body(struct bpg_kube *k)
{
	free(k->rbuf);
	k->rbuf = NULL;
	k->rlen = k->rcap = 0;
}

size_t
bpg_kube_held_body(const struct bpg_kube *k)
{
	return k->rcap;
}

/* timeout_ms < 0: on the kept connection; else bpg_kube_request_fresh(). */
static enum bpg_err
call(struct bpg_kube *k, const char *method, const char *path,
    const struct kbody *b, json_t **out, long *http, long timeout_ms,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (timeout_ms == 0 || timeout_ms > (long)k->cluster->timeout_millis)
		timeout_ms = (long)k->cluster->timeout_millis;
	e = request(k, method, path, b, out, http, timeout_ms, ei);
	drop_body(k);
	return e;
}

enum bpg_err
bpg_kube_request(struct bpg_kube *k, const char *method, const char *path,
    const json_t *body, json_t **out, long *http, struct bpg_errinfo *ei)
{
	struct kbody b = { body, NULL, 0 };

	return call(k, method, path, &b, out, http, -1, ei);
}

enum bpg_err
bpg_kube_request_fresh(struct bpg_kube *k, const char *method,
    const char *path, const json_t *body, json_t **out, long *http,
    long timeout_ms, struct bpg_errinfo *ei)
{
	struct kbody b = { body, NULL, 0 };

	return call(k, method, path, &b, out, http,
	    timeout_ms <= 0 ? 0 : timeout_ms, ei);
}

/* fresh_ms >= 0: on a connection of its own, within fresh_ms. */
static enum bpg_err
request(struct bpg_kube *k, const char *method, const char *path,
    const struct kbody *body, json_t **out, long *http, long fresh_ms,
    struct bpg_errinfo *ei)
{
	char *dumped = NULL;
	const char *payload = body->text;
	size_t plen = body->len;
	char text[64];
	json_t *doc = NULL;
	json_error_t jerr;
	CURLcode rc;
	long code = 0, nconn = 0, tmo;

	if (out != NULL)
		*out = NULL;
	if (http != NULL)
		*http = 0;
	k->unsent = true;
	if (join(k->url, sizeof(k->url), (const char *[]){
	    k->cluster->master_url, path }, 2) >= sizeof(k->url))
		return bpg_errf(ei, BPG_EINVAL, "request path too long");
	/* Nothing is sent once the deadline has passed. */
	if ((tmo = call_timeout(k, fresh_ms >= 0)) == 0) {
		if (k->metrics != NULL)
			bpg_metrics_inc(k->metrics, BPG_METRIC_KUBE_ERRORS,
			    BPG_LV(k->cluster->id, "deadline"));
		return failure(ei, BPG_ETIMEOUT, method, k->url,
		    "the request's deadline has passed");
	}
	/* bpg_json_dump(): a SparkApplication four times faster (make bench). */
	if (body->doc != NULL &&
	    (payload = dumped = bpg_json_dump(body->doc, &plen)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");

	k->rlen = 0;
	k->overflow = false;
	k->want_body = out != NULL;
	k->body_kept = 0;
	if (k->rbuf != NULL)
		k->rbuf[0] = '\0';
	k->errbuf[0] = '\0';
	curl_easy_setopt(k->curl, CURLOPT_URL, k->url);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, tmo);
	curl_easy_setopt(k->curl, CURLOPT_CONNECTTIMEOUT_MS, tmo);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(k->curl, CURLOPT_CUSTOMREQUEST, NULL);
		curl_easy_setopt(k->curl, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(k->curl, CURLOPT_POSTFIELDS,
		    payload != NULL ? payload : "");
		curl_easy_setopt(k->curl, CURLOPT_POSTFIELDSIZE,
		    payload != NULL ? (long)plen : 0L);
		curl_easy_setopt(k->curl, CURLOPT_CUSTOMREQUEST,
		    strcmp(method, "POST") == 0 ? NULL : method);
	}
	if (fresh_ms >= 0) {
		curl_easy_setopt(k->curl, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(k->curl, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS,
		    fresh_ms < tmo ? fresh_ms : tmo);
	}
	rc = curl_easy_perform(k->curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &code);
	count_call(k, rc, code);
	curl_easy_getinfo(k->curl, CURLINFO_NUM_CONNECTS, &nconn);
	k->connects += nconn;
	note_connection(k, rc, fresh_ms >= 0);
	if (fresh_ms >= 0) {
		curl_easy_setopt(k->curl, CURLOPT_FRESH_CONNECT, 0L);
		curl_easy_setopt(k->curl, CURLOPT_FORBID_REUSE, 0L);
		curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS,
		    (long)k->cluster->timeout_millis);
	}
	/* The payload must live until perform returns. */
	curl_easy_setopt(k->curl, CURLOPT_POSTFIELDS, NULL);
	free(dumped);

	if (rc != CURLE_OK) {
		if (k->overflow) {
			snprintf(text, sizeof(text), "response larger than %d "
			    "bytes", BPG_MAX_KUBE_BODY);
			return failure(ei, BPG_EUPSTREAM, method, k->url,
			    text);
		}
		return transfer_failure(k, ei, method, rc);
	}
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &code);
	if (http != NULL)
		*http = code;
	/* Kubernetes API conventions: errors carry a Status object. */
	if (code < 200 || code >= 300)
		return status_failure(k, ei, method, code);
	/*
	 * A 2xx body is parsed only for a caller that wants it: a create
	 * answers with the whole object, and parsing that for nothing was
	 * 30% of a submission's CPU (make bench).
	 */
	if (out == NULL || k->rlen == 0)
		return BPG_OK;
	if ((doc = json_loadb(k->rbuf, k->rlen, 0, &jerr)) == NULL ||
	    !json_is_object(doc)) {
		json_decref(doc);
		return failure(ei, BPG_EUPSTREAM, method, k->url,
		    "response is not a JSON object");
	}
	*out = doc;
	return BPG_OK;
}

static enum bpg_err
app_path(struct bpg_kube *k, char *buf, size_t len, const char *name)
{
	const char *parts[] = { APPS_HEAD, k->cluster->namespace, APPS_TAIL,
	    "/", name };

	return join(buf, len, parts, name == NULL ? 3 : 5) >= len ?
	    BPG_EINVAL : BPG_OK;
}

enum bpg_err
bpg_kube_create_app(struct bpg_kube *k, const json_t *cr, json_t **out,
    struct bpg_errinfo *ei)
{
	char path[512];

	if (app_path(k, path, sizeof(path), NULL) != BPG_OK)
		return bpg_errf(ei, BPG_EINVAL, "namespace too long");
	return bpg_kube_request(k, "POST", path, cr, out, NULL, ei);
}

/* A create (body) or read of one application, with its HTTP status. */
static enum bpg_err
try_app(struct bpg_kube *k, const char *method, const char *name,
    const struct kbody *body, long fresh_ms, long *http,
    struct bpg_errinfo *ei)
{
	char path[512];

	k->unsent = true;
	if (http != NULL)
		*http = 0;
	if (app_path(k, path, sizeof(path), name) != BPG_OK)
		return bpg_errf(ei, BPG_EINVAL, "%s too long",
		    name != NULL ? "name" : "namespace");
	return call(k, method, path, body, NULL, http, fresh_ms < 0 ? -1 :
	    fresh_ms, ei);
}

enum bpg_err
bpg_kube_try_create_app(struct bpg_kube *k, const json_t *cr, long fresh_ms,
    long *http, struct bpg_errinfo *ei)
{
	struct kbody b = { cr, NULL, 0 };

	return try_app(k, "POST", NULL, &b, fresh_ms, http, ei);
}

enum bpg_err
bpg_kube_try_create_text(struct bpg_kube *k, const char *cr, size_t len,
    long fresh_ms, long *http, struct bpg_errinfo *ei)
{
	struct kbody b = { NULL, cr, len };

	return try_app(k, "POST", NULL, &b, fresh_ms, http, ei);
}

enum bpg_err
bpg_kube_try_get_app(struct bpg_kube *k, const char *name, long fresh_ms,
    long *http, struct bpg_errinfo *ei)
{
	struct kbody b = { NULL, NULL, 0 };

	return try_app(k, "GET", name, &b, fresh_ms, http, ei);
}

enum bpg_err
bpg_kube_get_app(struct bpg_kube *k, const char *name, json_t **out,
    struct bpg_errinfo *ei)
{
	char path[512];

	if (app_path(k, path, sizeof(path), name) != BPG_OK)
		return bpg_errf(ei, BPG_EINVAL, "name too long");
	return bpg_kube_request(k, "GET", path, NULL, out, NULL, ei);
}

enum bpg_err
bpg_kube_delete_app(struct bpg_kube *k, const char *name,
    struct bpg_errinfo *ei)
{
	char path[512];
	json_t *opts;
	enum bpg_err e;

	if (app_path(k, path, sizeof(path), name) != BPG_OK)
		return bpg_errf(ei, BPG_EINVAL, "name too long");
	opts = json_pack("{s:s, s:s, s:s}", "apiVersion", "v1", "kind",
	    "DeleteOptions", "propagationPolicy", "Background");
	if (opts == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	e = bpg_kube_request(k, "DELETE", path, opts, NULL, NULL, ei);
	json_decref(opts);
	return e;
}

/*
 * The list at path (a collection, with "?" and a query or without), page
 * by page (see bpg_kube.h).
 */
static enum bpg_err
list_pages(struct bpg_kube *k, const char *path, bpg_kube_item_fn *item,
    bpg_kube_restart_fn *restart, void *arg, char *rv, size_t rvlen,
    struct bpg_errinfo *ei)
{
	char *cont = NULL, *esc, *url = NULL, text[64];
	const char *tok, *lrv;
	json_t *doc = NULL, *items, *it;
	size_t i;
	long http, pages = 0;
	int restarts = 0, n;
	bool first = true;
	enum bpg_err e;

	for (;;) {
		if (++pages > BPG_KUBE_LIST_MAX_PAGES) {
			snprintf(text, sizeof(text), "more than %d pages",
			    BPG_KUBE_LIST_MAX_PAGES);
			e = failure(ei, BPG_EUPSTREAM, "GET", k->url, text);
			goto out;
		}
		esc = NULL;
		/* An opaque token: encoded, whatever alphabet it uses. */
		if (cont != NULL && (esc = curl_easy_escape(k->curl, cont,
		    0)) == NULL) {
			e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
			goto out;
		}
		n = asprintf(&url, "%s%slimit=%d%s%s", path,
		    strchr(path, '?') != NULL ? "&" : "?", BPG_KUBE_LIST_LIMIT,
		    esc != NULL ? "&continue=" : "", esc != NULL ? esc : "");
		curl_free(esc);
		if (n < 0) {
			url = NULL;
			e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
			goto out;
		}
		e = bpg_kube_request(k, "GET", url, NULL, &doc, &http, ei);
		free(url);
		url = NULL;
		if (e != BPG_OK && http == 410 && cont != NULL &&
		    restarts < BPG_KUBE_LIST_RESTARTS) {
			/*
			 * "API Concepts": the 410 may carry a token for the
			 * rest at the latest version, but that rest is not
			 * consistent with the pages before it.
			 */
			restarts++;
			free(cont);
			cont = NULL;
			first = true;
			if (restart != NULL)
				restart(arg);
			continue;
		}
		if (e != BPG_OK)
			goto out;
		items = json_object_get(doc, "items");
		lrv = json_string_value(json_object_get(json_object_get(doc,
		    "metadata"), "resourceVersion"));
		tok = json_string_value(json_object_get(json_object_get(doc,
		    "metadata"), "continue"));
		if (!json_is_array(items) || (rv != NULL && first &&
		    (lrv == NULL || lrv[0] == '\0' || strlen(lrv) >= rvlen))) {
			e = failure(ei, BPG_EUPSTREAM, "GET", k->url,
			    "not a list with a resourceVersion");
			goto out;
		}
		if (rv != NULL && first)
			memcpy(rv, lrv, strlen(lrv) + 1);
		first = false;
		json_array_foreach(items, i, it)
			if ((e = item(arg, it, ei)) != BPG_OK)
				goto out;
		free(cont);
		cont = NULL;
		if (tok == NULL || tok[0] == '\0')
			break;
		if ((cont = strdup(tok)) == NULL) {
			e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
			goto out;
		}
		json_decref(doc);
		doc = NULL;
	}
	e = BPG_OK;
out:
	json_decref(doc);
	free(cont);
	return e;
}

enum bpg_err
bpg_kube_list_apps(struct bpg_kube *k, const char *label_selector,
    bpg_kube_item_fn *item, bpg_kube_restart_fn *restart, void *arg,
    char *rv, size_t rvlen, struct bpg_errinfo *ei)
{
	char path[1024];
	char *esc = NULL;
	int n;

	if (rv != NULL && rvlen > 0)
		rv[0] = '\0';
	if (label_selector != NULL && label_selector[0] != '\0') {
		esc = curl_easy_escape(k->curl, label_selector, 0);
		if (esc == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		n = snprintf(path, sizeof(path), APPS_PATH "?labelSelector=%s",
		    k->cluster->namespace, esc);
		curl_free(esc);
	} else
		n = snprintf(path, sizeof(path), APPS_PATH,
		    k->cluster->namespace);
	if (n < 0 || (size_t)n >= sizeof(path))
		return bpg_errf(ei, BPG_EINVAL, "label selector too long");
	return list_pages(k, path, item, restart, arg, rv, rvlen, ei);
}

enum bpg_err
bpg_kube_get_pod(struct bpg_kube *k, const char *name, json_t **out,
    struct bpg_errinfo *ei)
{
	char path[512];
	int n;

	n = snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s",
	    k->cluster->namespace, name);
	if (n < 0 || (size_t)n >= sizeof(path))
		return bpg_errf(ei, BPG_EINVAL, "name too long");
	return bpg_kube_request(k, "GET", path, NULL, out, NULL, ei);
}

/* Items of every page in one array, from the start after a restart. */
static enum bpg_err
collect_item(void *arg, const json_t *item, struct bpg_errinfo *ei)
{
	if (json_array_append(arg, (json_t *)(uintptr_t)item) != 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

static void
collect_restart(void *arg)
{
	json_array_clear(arg);
}

enum bpg_err
bpg_kube_list_events(struct bpg_kube *k, const char *name, json_t **out,
    struct bpg_errinfo *ei)
{
	char path[1024];
	char *esc;
	json_t *items;
	int n;
	enum bpg_err e;

	*out = NULL;
	if ((esc = curl_easy_escape(k->curl, name, 0)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	n = snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events"
	    "?fieldSelector=involvedObject.name%%3D%s", k->cluster->namespace,
	    esc);
	curl_free(esc);
	if (n < 0 || (size_t)n >= sizeof(path))
		return bpg_errf(ei, BPG_EINVAL, "name too long");
	if ((items = json_array()) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	if ((e = list_pages(k, path, collect_item, collect_restart, items,
	    NULL, 0, ei)) != BPG_OK) {
		json_decref(items);
		return e;
	}
	if ((*out = json_pack("{s:s, s:s, s:o}", "apiVersion", "v1", "kind",
	    "EventList", "items", items)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

/* ---- streamed GET ------------------------------------------------- */

struct kstream {
	struct bpg_kube *k;
	int (*write)(void *, const char *, size_t);
	bool (*cancel)(void *);
	void *ctx;
	int mode;		/* 0: status not seen yet, 1: to write, 2: error */
	bool stopped;		/* write or cancel asked to stop */
};

/* libcurl calls this about once a second even while no data comes. */
static int
on_stream_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct kstream *s = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	if (s->cancel != NULL && s->cancel(s->ctx)) {
		s->stopped = true;
		return 1;
	}
	return 0;
}

/* A 2xx body goes to the caller as it comes; an error body is kept for
 * its Status object. */
static size_t
on_stream(char *p, size_t sz, size_t n, void *arg)
{
	struct kstream *s = arg;
	size_t len = sz * n;
	long code = 0;

	if (s->mode == 0) {
		curl_easy_getinfo(s->k->curl, CURLINFO_RESPONSE_CODE, &code);
		s->mode = code >= 200 && code < 300 ? 1 : 2;
	}
	if (s->mode == 2)
		return on_data(p, sz, n, s->k);
	if (len > 0 && s->write(s->ctx, p, len) != 0) {
		s->stopped = true;
		return 0;
	}
	return len;
}

enum bpg_err
bpg_kube_stream(struct bpg_kube *k, const char *path, long max_ms,
    int (*write)(void *ctx, const char *buf, size_t n),
    bool (*cancel)(void *ctx), void *ctx, struct bpg_errinfo *ei)
{
	struct kstream s = { k, write, cancel, ctx, 0, false };
	enum bpg_err e;
	CURLcode rc;
	long code = 0, nconn = 0;

	k->unsent = true;
	if ((size_t)snprintf(k->url, sizeof(k->url), "%s%s",
	    k->cluster->master_url, path) >= sizeof(k->url))
		return bpg_errf(ei, BPG_EINVAL, "request path too long");
	k->rlen = 0;
	k->overflow = false;
	k->want_body = true;
	k->body_kept = 0;
	if (k->rbuf != NULL)
		k->rbuf[0] = '\0';
	k->errbuf[0] = '\0';
	curl_easy_setopt(k->curl, CURLOPT_URL, k->url);
	curl_easy_setopt(k->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(k->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, max_ms > 0 ? max_ms : 1L);
	/* A request before may have cut it to its deadline. */
	curl_easy_setopt(k->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)k->cluster->timeout_millis);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFOFUNCTION, on_stream_progress);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFODATA, &s);
	curl_easy_setopt(k->curl, CURLOPT_NOPROGRESS, 0L);
	rc = curl_easy_perform(k->curl);
	curl_easy_getinfo(k->curl, CURLINFO_NUM_CONNECTS, &nconn);
	k->connects += nconn;
	note_connection(k, rc, false);
	/* Back to the settings of bpg_kube_new(). */
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(k->curl, CURLOPT_NOPROGRESS, 1L);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFOFUNCTION, NULL);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFODATA, NULL);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS,
	    (long)k->cluster->timeout_millis);

	if (s.stopped)
		e = failure(ei, BPG_EIO, "GET", k->url, "the reader stopped");
	else if (rc != CURLE_OK)
		e = transfer_failure(k, ei, "GET", rc);
	else {
		curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &code);
		e = code >= 200 && code < 300 ? BPG_OK :
		    status_failure(k, ei, "GET", code);
	}
	drop_body(k);
	return e;
}

void
bpg_kube_free_headers(struct curl_slist *headers)
{
	struct curl_slist *h;

	for (h = headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(headers);
}

enum bpg_err
bpg_kube_setup_easy(CURL *curl, const struct bpg_cluster *c,
    struct curl_slist **headers, struct bpg_errinfo *ei)
{
	struct curl_slist *list = NULL, *h;
	char *auth = NULL;

	*headers = NULL;
	if (c->token != NULL && c->token[0] != '\0') {
		if (asprintf(&auth, "Authorization: Bearer %s", c->token) < 0)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		h = curl_slist_append(list, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
		if (h == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		list = h;
	}
	if ((h = curl_slist_append(list, "Accept: application/json")) ==
	    NULL) {
		bpg_kube_free_headers(list);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	list = h;
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "bpg");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)c->timeout_millis);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
	if (c->ca_cert != NULL) {
		struct curl_blob blob = { c->ca_cert, c->ca_cert_len,
			CURL_BLOB_COPY };

		if (curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob) !=
		    CURLE_OK) {
			curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
			bpg_kube_free_headers(list);
			return bpg_errf(ei, BPG_ECONFIG,
			    "cluster %s: CA certificate not usable", c->id);
		}
	}
	if (strncmp(c->master_url, "https:", 6) == 0 && c->https_proxy != NULL)
		curl_easy_setopt(curl, CURLOPT_PROXY, c->https_proxy);
	else if (strncmp(c->master_url, "http:", 5) == 0 &&
	    c->http_proxy != NULL)
		curl_easy_setopt(curl, CURLOPT_PROXY, c->http_proxy);
	*headers = list;
	return BPG_OK;
}
