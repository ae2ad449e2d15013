#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "bpg_crd.h"
#include "bpg_json.h"
#include "bpg_kube.h"
#include "bpg_limits.h"

#define APPS_PATH "/apis/" BPG_CRD_GROUP "/" BPG_CRD_VERSION "/namespaces/%s/" \
	BPG_CRD_PLURAL

struct bpg_kube {
	const struct bpg_cluster *cluster;
	CURL *curl;
	struct curl_slist *headers;
	char *rbuf;		/* response body, reused */
	size_t rlen, rcap;
	bool overflow;
	long connects;
	char url[2048];
	char errbuf[CURL_ERROR_SIZE];
};

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct bpg_kube *k = arg;
	size_t len = sz * n;

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
	struct bpg_kube *k;
	struct curl_slist *h;
	char *auth = NULL;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	k->cluster = c;
	if ((k->curl = curl_easy_init()) == NULL)
		goto nomem;
	if (c->token != NULL && c->token[0] != '\0') {
		if (asprintf(&auth, "Authorization: Bearer %s", c->token) < 0) {
			auth = NULL;
			goto nomem;
		}
		if ((h = curl_slist_append(k->headers, auth)) == NULL)
			goto nomem;
		k->headers = h;
		explicit_bzero(auth, strlen(auth));
		free(auth);
		auth = NULL;
	}
	if ((h = curl_slist_append(k->headers, "Accept: application/json")) ==
	    NULL)
		goto nomem;
	k->headers = h;
	if ((h = curl_slist_append(k->headers,
	    "Content-Type: application/json")) == NULL)
		goto nomem;
	k->headers = h;
	/* No "Expect: 100-continue" round trip on POST. */
	if ((h = curl_slist_append(k->headers, "Expect:")) == NULL)
		goto nomem;
	k->headers = h;

	curl_easy_setopt(k->curl, CURLOPT_HTTPHEADER, k->headers);
	curl_easy_setopt(k->curl, CURLOPT_USERAGENT, "bpg");
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(k->curl, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(k->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(k->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, (long)c->timeout_millis);
	curl_easy_setopt(k->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)c->timeout_millis);
	curl_easy_setopt(k->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(k->curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
	if (c->ca_cert != NULL) {
		struct curl_blob blob = { c->ca_cert, c->ca_cert_len,
			CURL_BLOB_COPY };

		if (curl_easy_setopt(k->curl, CURLOPT_CAINFO_BLOB, &blob) !=
		    CURLE_OK) {
			bpg_kube_free(k);
			return bpg_errf(ei, BPG_ECONFIG,
			    "cluster %s: CA certificate not usable", c->id);
		}
	}
	if (strncmp(c->master_url, "https:", 6) == 0 && c->https_proxy != NULL)
		curl_easy_setopt(k->curl, CURLOPT_PROXY, c->https_proxy);
	else if (strncmp(c->master_url, "http:", 5) == 0 &&
	    c->http_proxy != NULL)
		curl_easy_setopt(k->curl, CURLOPT_PROXY, c->http_proxy);
	*out = k;
	return BPG_OK;
nomem:
	if (auth != NULL) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	bpg_kube_free(k);
	return bpg_errf(ei, BPG_ENOMEM, "out of memory");
}

void
bpg_kube_free(struct bpg_kube *k)
{
	struct curl_slist *h;

	if (k == NULL)
		return;
	if (k->curl != NULL)
		curl_easy_cleanup(k->curl);
	/* The bearer header holds the token. */
	for (h = k->headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(k->headers);
	free(k->rbuf);
	free(k);
}

long
bpg_kube_connects(const struct bpg_kube *k)
{
	return k->connects;
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

/* Printable ASCII only, at most n bytes: Status text reaches logs. */
static void
clean_copy(char *dst, size_t dstlen, const char *src)
{
	size_t i, j;

	for (i = j = 0; src[i] != '\0' && j + 1 < dstlen; i++)
		dst[j++] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[j] = '\0';
}

enum bpg_err
bpg_kube_request(struct bpg_kube *k, const char *method, const char *path,
    const json_t *body, json_t **out, long *http, struct bpg_errinfo *ei)
{
	char *payload = NULL;
	size_t plen = 0;
	char text[300];
	json_t *doc = NULL;
	json_error_t jerr;
	CURLcode rc;
	long code = 0, nconn = 0;
	enum bpg_err e;

	if (out != NULL)
		*out = NULL;
	if (http != NULL)
		*http = 0;
	if ((size_t)snprintf(k->url, sizeof(k->url), "%s%s",
	    k->cluster->master_url, path) >= sizeof(k->url))
		return bpg_errf(ei, BPG_EINVAL, "request path too long");
	/* bpg_json_dump(): a SparkApplication four times faster (make bench). */
	if (body != NULL && (payload = bpg_json_dump(body, &plen)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");

	k->rlen = 0;
	k->overflow = false;
	if (k->rbuf != NULL)
		k->rbuf[0] = '\0';
	k->errbuf[0] = '\0';
	curl_easy_setopt(k->curl, CURLOPT_URL, k->url);
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
	rc = curl_easy_perform(k->curl);
	curl_easy_getinfo(k->curl, CURLINFO_NUM_CONNECTS, &nconn);
	k->connects += nconn;
	/* The payload must live until perform returns. */
	curl_easy_setopt(k->curl, CURLOPT_POSTFIELDS, NULL);
	free(payload);

	if (rc != CURLE_OK) {
		if (k->overflow)
			return bpg_errf(ei, BPG_EUPSTREAM,
			    "Failure executing: %s at: %s. Message: response "
			    "larger than %d bytes.", method, k->url,
			    BPG_MAX_KUBE_BODY);
		clean_copy(text, sizeof(text),
		    k->errbuf[0] ? k->errbuf : curl_easy_strerror(rc));
		e = rc == CURLE_OPERATION_TIMEDOUT ? BPG_ETIMEOUT :
		    BPG_EUPSTREAM;
		return bpg_errf(ei, e, "Failure executing: %s at: %s. "
		    "Message: %s.", method, k->url, text);
	}
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &code);
	if (http != NULL)
		*http = code;
	/*
	 * A 2xx body is parsed only for a caller that wants it: a create
	 * answers with the whole object, and parsing that for nothing was
	 * 30% of a submission's CPU (make bench).
	 */
	if (k->rlen > 0 && (out != NULL || code < 200 || code >= 300))
		doc = json_loadb(k->rbuf, k->rlen, 0, &jerr);

	if (code >= 200 && code < 300) {
		if (out != NULL && k->rlen > 0 && !json_is_object(doc)) {
			json_decref(doc);
			return bpg_errf(ei, BPG_EUPSTREAM, "Failure executing: "
			    "%s at: %s. Message: response is not a JSON "
			    "object.", method, k->url);
		}
		if (out != NULL)
			*out = doc;
		else
			json_decref(doc);
		return BPG_OK;
	}

	/* Kubernetes API conventions: errors carry a Status object. */
	e = status_err(code);
	{
		const char *msg = json_string_value(json_object_get(doc,
		    "message"));
		const char *reason = json_string_value(json_object_get(doc,
		    "reason"));

		clean_copy(text, sizeof(text), msg != NULL ? msg : "");
		bpg_errf(ei, e, "Failure executing: %s at: %s. Message: %s. "
		    "Received status: %ld %s.", method, k->url,
		    text[0] ? text : "(no message)", code,
		    reason != NULL ? reason : "");
	}
	json_decref(doc);
	return e;
}

static enum bpg_err
app_path(struct bpg_kube *k, char *buf, size_t len, const char *name)
{
	int n;

	if (name == NULL)
		n = snprintf(buf, len, APPS_PATH, k->cluster->namespace);
	else
		n = snprintf(buf, len, APPS_PATH "/%s", k->cluster->namespace,
		    name);
	return n < 0 || (size_t)n >= len ? BPG_EINVAL : BPG_OK;
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

enum bpg_err
bpg_kube_list_apps(struct bpg_kube *k, const char *label_selector,
    json_t **out, struct bpg_errinfo *ei)
{
	char path[1024];
	char *esc = NULL;
	int n;
	enum bpg_err e;

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
	e = bpg_kube_request(k, "GET", path, NULL, out, NULL, ei);
	return e;
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

enum bpg_err
bpg_kube_list_events(struct bpg_kube *k, const char *name, json_t **out,
    struct bpg_errinfo *ei)
{
	char path[1024];
	char *esc;
	int n;

	if ((esc = curl_easy_escape(k->curl, name, 0)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	n = snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events"
	    "?fieldSelector=involvedObject.name%%3D%s", k->cluster->namespace,
	    esc);
	curl_free(esc);
	if (n < 0 || (size_t)n >= sizeof(path))
		return bpg_errf(ei, BPG_EINVAL, "name too long");
	return bpg_kube_request(k, "GET", path, NULL, out, NULL, ei);
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
	const char *msg, *reason;
	char text[300];
	json_t *doc = NULL;
	CURLcode rc;
	long code = 0, nconn = 0;
	enum bpg_err e;

	if ((size_t)snprintf(k->url, sizeof(k->url), "%s%s",
	    k->cluster->master_url, path) >= sizeof(k->url))
		return bpg_errf(ei, BPG_EINVAL, "request path too long");
	k->rlen = 0;
	k->overflow = false;
	if (k->rbuf != NULL)
		k->rbuf[0] = '\0';
	k->errbuf[0] = '\0';
	curl_easy_setopt(k->curl, CURLOPT_URL, k->url);
	curl_easy_setopt(k->curl, CURLOPT_CUSTOMREQUEST, NULL);
	curl_easy_setopt(k->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS, max_ms > 0 ? max_ms : 1L);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFOFUNCTION, on_stream_progress);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFODATA, &s);
	curl_easy_setopt(k->curl, CURLOPT_NOPROGRESS, 0L);
	rc = curl_easy_perform(k->curl);
	curl_easy_getinfo(k->curl, CURLINFO_NUM_CONNECTS, &nconn);
	k->connects += nconn;
	/* Back to the settings of bpg_kube_new(). */
	curl_easy_setopt(k->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(k->curl, CURLOPT_WRITEDATA, k);
	curl_easy_setopt(k->curl, CURLOPT_NOPROGRESS, 1L);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFOFUNCTION, NULL);
	curl_easy_setopt(k->curl, CURLOPT_XFERINFODATA, NULL);
	curl_easy_setopt(k->curl, CURLOPT_TIMEOUT_MS,
	    (long)k->cluster->timeout_millis);

	if (s.stopped)
		return bpg_errf(ei, BPG_EIO, "Failure executing: GET at: %s. "
		    "Message: the reader stopped.", k->url);
	if (rc != CURLE_OK) {
		clean_copy(text, sizeof(text),
		    k->errbuf[0] ? k->errbuf : curl_easy_strerror(rc));
		e = rc == CURLE_OPERATION_TIMEDOUT ? BPG_ETIMEOUT :
		    BPG_EUPSTREAM;
		return bpg_errf(ei, e, "Failure executing: GET at: %s. "
		    "Message: %s.", k->url, text);
	}
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && code < 300)
		return BPG_OK;
	/* Kubernetes API conventions: errors carry a Status object. */
	if (k->rlen > 0)
		doc = json_loadb(k->rbuf, k->rlen, 0, NULL);
	msg = json_string_value(json_object_get(doc, "message"));
	reason = json_string_value(json_object_get(doc, "reason"));
	clean_copy(text, sizeof(text), msg != NULL ? msg : "");
	e = bpg_errf(ei, status_err(code), "Failure executing: GET at: %s. "
	    "Message: %s. Received status: %ld %s.", k->url,
	    text[0] ? text : "(no message)", code,
	    reason != NULL ? reason : "");
	json_decref(doc);
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
