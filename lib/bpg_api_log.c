/*
 * GET /log (bpg-reference section 5).
 *
 * A log is copied to the client as it arrives, from the Kubernetes API
 * (pod log, follow=true) or from S3 objects, so the worker never holds
 * it whole.
 *
 * Errors found before the first byte of a log is sent are JSON answers;
 * after that they can only end the stream (section 0.3).
 *
 * A log is read only by those who may read its submission (bpg_authz.h:
 * with readAccess "owner", its exact owner, adminUsers, viewerUsers and
 * the Airflow account).  Anyone else gets the answer of a submission
 * without logs (section 5's fixed text), so that the existence of
 * another user's submission is not revealed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bpg_api_log.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_buf.h"
#include "bpg_limits.h"
#include "bpg_log.h"
#include "bpg_s3.h"

/* Section 5: the answer when neither a pod nor S3 objects have the log. */
#define LOG_NOT_FOUND "Cannot find matched log files. Please try again in " \
	"5 minutes if this is a new job which was just started within 5 " \
	"minutes."
#define OCTETS "application/octet-stream"
/* Section 5: IDs shorter than this are refused. */
#define LOG_MIN_ID 32
/* Section 5: the pod log is copied in pieces of this size, each flushed. */
#define LOG_CHUNK 8192
/* Longest submission ID looked up (application_submission's VARCHAR). */
#define LOG_MAX_ID 255
/* Bytes of a client's ID echoed in an error message. */
#define ECHO_MAX 256
/* The Spark History Server's environment document, and its timeout. */
#define HISTORY_MAX_BODY (8 * 1024 * 1024)
#define HISTORY_TIMEOUT_MS 30000L
#define HISTORY_APP_NAME_KEY \
	"spark.kubernetes.executor.label.sparkoperator.k8s.io/app-name"
/* DNS-1123 subdomain: the longest pod name. */
#define POD_NAME_MAX 253

/* The fluent-bit markers of section 5 (backslashes are literal). */
static const char log_start[] = "log\\\":\\\"";
static const char log_end[] = "\\\\n\\\",\\\"stream";

struct api_log_handles {
	struct bpg_s3 *s3;	/* log objects (cfg->s3_log) */
	CURL *history;		/* Spark History Server */
};

void
api_log_handles_free(struct api_log_handles *h)
{
	if (h == NULL)
		return;
	bpg_s3_free(h->s3);
	if (h->history != NULL)
		curl_easy_cleanup(h->history);
	free(h);
}

/* The worker's handles, made on first use and kept; NULL: no memory. */
static struct api_log_handles *
handles_of(struct bpg_api *api)
{
	if (api->log == NULL)
		api->log = calloc(1, sizeof(*api->log));
	return api->log;
}

/*
 * s as printable ASCII of at most ECHO_MAX bytes, for messages that repeat
 * what the client sent (BPG echoes it raw; JSON needs valid UTF-8).
 */
static void
echo(char *dst, size_t dstlen, const char *s)
{
	size_t i, j;

	for (i = j = 0; s[i] != '\0' && j + 4 < dstlen && i < ECHO_MAX; i++)
		dst[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i] != '\0' && j + 4 <= dstlen) {
		memcpy(dst + j, "...", 3);
		j += 3;
	}
	dst[j] = '\0';
}

/* Java's String.length(): UTF-16 units (4-byte sequences count 2). */
static size_t
java_length(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c & 0xc0) != 0x80)
			n += c >= 0xf0 ? 2 : 1;
	}
	return n;
}

enum bpg_err
api_log_check_query(const char *sub_id, const char *app_id,
    struct bpg_errinfo *ei)
{
	char s[ECHO_MAX + 8], a[ECHO_MAX + 8];

	if (sub_id[0] == '\0' && app_id[0] == '\0')
		return bpg_errf(ei, BPG_EINVAL, "Error: Please provide either a "
		    "submissionId or an appId.");
	if ((app_id[0] != '\0' && java_length(app_id) < LOG_MIN_ID) ||
	    (sub_id[0] != '\0' && java_length(sub_id) < LOG_MIN_ID)) {
		echo(s, sizeof(s), sub_id);
		echo(a, sizeof(a), app_id);
		return bpg_errf(ei, BPG_EINVAL, "Invalid submissionId %s or "
		    "appId %s : Should be at least %d characters.", s, a,
		    LOG_MIN_ID);
	}
	return BPG_OK;
}

bool
api_log_is_driver(const char *exec_id)
{
	size_t n = strlen(exec_id);

	return n == 0 || (n >= 6 && strcmp(exec_id + n - 6, "driver") == 0);
}

/* The last occurrence of needle in h[0..n) that starts at or before
 * limit, or NULL. */
static const char *
last_at_or_before(const char *h, size_t n, const char *needle, size_t nlen,
    size_t limit)
{
	size_t i;

	if (n < nlen)
		return NULL;
	if (limit > n - nlen)
		limit = n - nlen;
	for (i = limit + 1; i-- > 0;)
		if (memcmp(h + i, needle, nlen) == 0)
			return h + i;
	return NULL;
}

/*
 * Section 5's fluent-bit transform, equivalent to Java's
 * ^.*log\\":\\"(.*)\\\\n\\",\\"stream.*$ with replacement $1: the text
 * between the last start marker that still has an end marker after it
 * and the last end marker; the whole line when there is no such pair.
 */
void
api_log_transform(const char *line, size_t len, size_t *off, size_t *outlen)
{
	size_t sl = sizeof(log_start) - 1, el = sizeof(log_end) - 1;
	const char *end, *start;

	*off = 0;
	*outlen = len;
	if (len < sl + el)
		return;
	if ((end = last_at_or_before(line, len, log_end, el, len)) == NULL ||
	    (size_t)(end - line) < sl)
		return;
	start = last_at_or_before(line, len, log_start, sl,
	    (size_t)(end - line) - sl);
	if (start == NULL)
		return;
	*off = (size_t)(start - line) + sl;
	*outlen = (size_t)(end - line) - *off;
}

/* Emit one complete line, transformed, and its "\n". */
static int
lines_emit(struct api_log_lines *l, const char *p, size_t n)
{
	size_t off, len;

	api_log_transform(p, n, &off, &len);
	if (len > 0 && l->emit(l->ctx, p + off, len) != 0)
		return -1;
	return l->emit(l->ctx, "\n", 1);
}

/* Add p[0..n), which holds no line end, to the current line. */
static int
lines_add(struct api_log_lines *l, const char *p, size_t n)
{
	size_t ncap;
	char *nb;

	if (n == 0)
		return 0;
	if (l->overlong)
		return l->emit(l->ctx, p, n);
	if (l->len + n > API_LOG_MAX_LINE) {
		/* Too long to hold: passed on as it is, untransformed. */
		l->overlong = true;
		if (l->len > 0 && l->emit(l->ctx, l->buf, l->len) != 0)
			return -1;
		l->len = 0;
		return l->emit(l->ctx, p, n);
	}
	if (l->len + n > l->cap) {
		ncap = l->cap > 0 ? l->cap : 256;
		while (ncap < l->len + n)
			ncap *= 2;
		if (ncap > API_LOG_MAX_LINE)
			ncap = API_LOG_MAX_LINE;
		if ((nb = realloc(l->buf, ncap)) == NULL)
			return -1;
		l->buf = nb;
		l->cap = ncap;
	}
	memcpy(l->buf + l->len, p, n);
	l->len += n;
	return 0;
}

/* The current line is complete. */
static int
lines_close(struct api_log_lines *l)
{
	int rc;

	if (l->overlong)
		rc = l->emit(l->ctx, "\n", 1);
	else
		rc = lines_emit(l, l->buf != NULL ? l->buf : "", l->len);
	l->len = 0;
	l->overlong = false;
	return rc;
}

/*
 * Lines as Java's BufferedReader.readLine() sees them: ended by "\n",
 * "\r" or "\r\n", which are not part of the line.
 */
int
api_log_lines_feed(struct api_log_lines *l, const char *p, size_t n)
{
	size_t i, seg;

	i = 0;
	if (n > 0 && l->cr && p[0] == '\n')
		i = 1;
	l->cr = false;
	while (i < n) {
		for (seg = i; seg < n && p[seg] != '\n' && p[seg] != '\r';
		    seg++)
			;
		if (lines_add(l, p + i, seg - i) != 0)
			return -1;
		if (seg == n)
			break;
		if (lines_close(l) != 0)
			return -1;
		if (p[seg] == '\r') {
			if (seg + 1 == n) {
				l->cr = true;
				break;
			}
			if (p[seg + 1] == '\n')
				seg++;
		}
		i = seg + 1;
	}
	return 0;
}

int
api_log_lines_end(struct api_log_lines *l)
{
	int rc = 0;

	if (l->len > 0 || l->overlong)
		rc = lines_close(l);
	l->len = 0;
	l->overlong = false;
	l->cr = false;
	return rc;
}

void
api_log_lines_free(struct api_log_lines *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = l->cap = 0;
	l->overlong = l->cr = false;
}

/* A pod name we may put into a URL path: a DNS-1123 subdomain. */
static bool
pod_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > POD_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.'))
			return false;
	return true;
}

/* Section 5 step 4: the driver pod, or the last executor that matches. */
const char *
api_log_pod_of(const json_t *cr, const char *exec_id)
{
	const json_t *st = json_object_get(cr, "status");
	const json_t *di = json_object_get(st, "driverInfo");
	const char *key, *found = NULL;
	char suffix[128];
	size_t sl, kl;
	json_t *v;

	if (!json_is_object(st) || !json_is_object(di))
		return NULL;
	if (api_log_is_driver(exec_id))
		return json_string_value(json_object_get(di, "podName"));
	if ((size_t)snprintf(suffix, sizeof(suffix), "exec-%s", exec_id) >=
	    sizeof(suffix))
		return NULL;
	sl = strlen(suffix);
	/* jansson keeps insertion order, so "last" is the CR's order. */
	json_object_foreach(json_object_get(st, "executorState"), key, v) {
		kl = strlen(key);
		if (kl >= sl && strcmp(key + kl - sl, suffix) == 0)
			found = key;
	}
	return found;
}

/* What the History Server's environment says the app-name label is. */
const char *
api_log_history_app_name(const json_t *env)
{
	const json_t *props = json_object_get(env, "sparkProperties"), *kv;
	const char *k;
	size_t i;

	if (!json_is_array(props))
		return NULL;
	for (i = 0; i < json_array_size(props); i++) {
		kv = json_array_get(props, i);
		k = json_string_value(json_array_get(kv, 0));
		if (json_array_size(kv) == 2 && k != NULL &&
		    strcasecmp(k, HISTORY_APP_NAME_KEY) == 0)
			return json_string_value(json_array_get(kv, 1));
	}
	return NULL;
}

static size_t
on_history(char *p, size_t sz, size_t n, void *arg)
{
	/* Over HISTORY_MAX_BODY (or out of memory) the transfer fails. */
	return bpg_buf_append(arg, p, sz * n, HISTORY_MAX_BODY) == BPG_OK ?
	    sz * n : 0;
}

/*
 * Section 5 step 3: the submission of app_id according to the Spark
 * History Server, with the Host header of sparkHistoryDns (quirk 21
 * fixed).  Any failure gives "".
 */
static void
history_lookup(struct bpg_api *api, const char *app_id, char *out,
    size_t outlen)
{
	const struct bpg_config *cfg = api->cfg;
	struct curl_slist *hdrs = NULL, *h;
	struct bpg_buf body = { NULL, 0, 0 };
	struct api_log_handles *f;
	char *esc = NULL, *url = NULL, *host = NULL;
	const char *base = cfg->spark_history_url, *v;
	size_t blen;
	json_t *doc = NULL;
	CURLcode rc;
	long code = 0;

	out[0] = '\0';
	if (base == NULL || base[0] == '\0' || (f = handles_of(api)) == NULL)
		return;
	if (f->history == NULL && (f->history = curl_easy_init()) == NULL)
		return;
	curl_easy_reset(f->history);
	blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	if ((esc = curl_easy_escape(f->history, app_id, 0)) == NULL ||
	    asprintf(&url, "%.*s/api/v1/applications/%s/environment",
	    (int)blen, base, esc) < 0) {
		url = NULL;
		goto out;
	}
	if ((h = curl_slist_append(hdrs, "Accept: application/json")) == NULL)
		goto out;
	hdrs = h;
	if (cfg->spark_history_dns != NULL && cfg->spark_history_dns[0] != '\0') {
		if (asprintf(&host, "Host: %s", cfg->spark_history_dns) < 0) {
			host = NULL;
			goto out;
		}
		if ((h = curl_slist_append(hdrs, host)) == NULL)
			goto out;
		hdrs = h;
	}
	curl_easy_setopt(f->history, CURLOPT_URL, url);
	curl_easy_setopt(f->history, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(f->history, CURLOPT_USERAGENT, "bpg");
	curl_easy_setopt(f->history, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->history, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->history, CURLOPT_CONNECTTIMEOUT_MS,
	    HISTORY_TIMEOUT_MS);
	curl_easy_setopt(f->history, CURLOPT_TIMEOUT_MS, HISTORY_TIMEOUT_MS);
	curl_easy_setopt(f->history, CURLOPT_WRITEFUNCTION, on_history);
	curl_easy_setopt(f->history, CURLOPT_WRITEDATA, &body);
	rc = curl_easy_perform(f->history);
	curl_easy_getinfo(f->history, CURLINFO_RESPONSE_CODE, &code);
	/* The list must not outlive this call. */
	curl_easy_setopt(f->history, CURLOPT_HTTPHEADER, NULL);
	if (rc != CURLE_OK || code != 200 || body.p == NULL) {
		bpg_log(LOG_INFO, "history server lookup of an appId: %s (HTTP "
		    "%ld)", rc != CURLE_OK ? curl_easy_strerror(rc) :
		    "unexpected answer", code);
		goto out;
	}
	doc = json_loadb(body.p, body.len, JSON_REJECT_DUPLICATES, NULL);
	v = api_log_history_app_name(doc);
	if (v != NULL && strlen(v) < outlen && strlen(v) <= LOG_MAX_ID)
		snprintf(out, outlen, "%s", v);
out:
	json_decref(doc);
	bpg_buf_free(&body);
	curl_slist_free_all(hdrs);
	free(host);
	free(url);
	curl_free(esc);
}

/* The pod log being copied to the client. */
struct podlog {
	struct route_ctx *rc;
	bool started;		/* the answer's head is out */
	bool gone;		/* the client went away */
	bool cancelled;		/* client gone or worker stopping */
};

static bool
podlog_cancel(void *ctx)
{
	struct podlog *pl = ctx;
	const struct bpg_http_io *io = pl->rc->req->io;

	if (io->cancelled != NULL && io->cancelled(io->ctx))
		pl->cancelled = true;
	return pl->cancelled;
}

static int
podlog_write(void *ctx, const char *buf, size_t n)
{
	struct podlog *pl = ctx;
	size_t k;

	if (!pl->started) {
		if (api_stream_head(pl->rc, 200, OCTETS, NULL) != 0) {
			pl->started = pl->gone = true;
			return -1;
		}
		pl->started = true;
	}
	for (; n > 0; buf += k, n -= k) {
		k = n < LOG_CHUNK ? n : LOG_CHUNK;
		if (api_stream_write(pl->rc, buf, k) != 0 ||
		    api_stream_flush(pl->rc) != 0) {
			pl->gone = true;
			return -1;
		}
	}
	return 0;
}

/*
 * Section 5 step 4.  Returns true if the answer went out from the pod
 * (completely or cut short), false if there is no pod stream and nothing
 * was sent.
 */
static bool
log_from_pod(struct route_ctx *rc, const char *id, const char *exec_id,
    bool follow)
{
	const struct bpg_cluster *cluster;
	struct bpg_errinfo ei = { "" };
	struct podlog pl = { rc, false, false, false };
	struct bpg_kube *kube;
	json_t *cr = NULL, *pod = NULL;
	const char *name, *phase;
	char path[512];
	bool sent = false;
	enum bpg_err e = BPG_OK;

	if ((e = bpg_route_cluster_of_id(rc->api->cfg, id, &cluster,
	    &ei)) != BPG_OK ||
	    (e = api_kube_for(rc->api, cluster, &kube, &ei)) != BPG_OK ||
	    (e = bpg_kube_get_app(kube, id, &cr, &ei)) != BPG_OK)
		goto out;
	name = api_log_pod_of(cr, exec_id);
	if (name == NULL || !pod_name_ok(name))
		goto out;
	if ((e = bpg_kube_get_pod(kube, name, &pod, &ei)) != BPG_OK)
		goto out;
	phase = api_jstr(json_object_get(pod, "status"), "phase");
	if (phase == NULL || strcasecmp(phase, "Unknown") == 0 ||
	    strcasecmp(phase, "Pending") == 0)
		goto out;
	if ((size_t)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/"
	    "%s/log?pretty=false%s", cluster->namespace, name,
	    follow ? "&follow=true" : "") >= sizeof(path))
		goto out;
	sent = true;
	/* Only a followed log holds the worker for long. */
	if (follow && !api_stream_admit(rc, "log follow"))
		goto out;
	e = bpg_kube_stream(kube, path,
	    (long)rc->api->cfg->log_follow_max_seconds * 1000, podlog_write,
	    podlog_cancel, &pl, &ei);
	if (follow)
		api_stream_done(rc);
	if (!pl.started && e != BPG_OK && !pl.cancelled) {
		sent = false;
		goto out;	/* not opened: no pod stream */
	}
	if (pl.cancelled)
		bpg_log(LOG_INFO, "log of pod %s ended: the client went away or "
		    "the gateway is stopping", name);
	else if (e == BPG_ETIMEOUT && pl.started)
		bpg_log(LOG_INFO, "log of pod %s ended after logFollowMaxSeconds "
		    "(%lld s)", name,
		    (long long)rc->api->cfg->log_follow_max_seconds);
	else if (e != BPG_OK && !pl.gone)
		bpg_log(LOG_WARNING, "log of pod %s ended early: %s", name,
		    ei.msg);
	if (pl.gone)
		goto out;
	/* An empty log still gets its head; every pod log ends in "\n". */
	(void)podlog_write(&pl, "\n", 1);
out:
	/* A finished application is no news; other failures may be. */
	if (!sent && ei.msg[0] != '\0')
		bpg_log(e == BPG_ENOTFOUND || e == BPG_EINVAL ? LOG_DEBUG :
		    LOG_WARNING, "no pod log for %s: %s", id, ei.msg);
	json_decref(pod);
	json_decref(cr);
	return sent;
}

/* One S3 object being copied, line by line. */
struct s3log {
	struct route_ctx *rc;
	struct api_log_lines lines;
	bool gone;
};

static int
s3log_emit(void *ctx, const char *buf, size_t n)
{
	struct s3log *s = ctx;

	if (api_stream_write(s->rc, buf, n) != 0) {
		s->gone = true;
		return -1;
	}
	return 0;
}

static int
s3log_sink(void *ctx, const char *buf, size_t n)
{
	struct s3log *s = ctx;

	return api_log_lines_feed(&s->lines, buf, n);
}

/*
 * Section 5 steps 5 and 6: the objects logindex names for the container.
 * Returns false if there are none (nothing sent).
 */
static bool
log_from_s3(struct route_ctx *rc, const char *id, const char *exec_id)
{
	struct bpg_api *api = rc->api;
	const char *bucket = api->cfg->spark_log_s3_bucket, *key;
	struct bpg_errinfo ei = { "" };
	struct api_log_handles *f;
	struct s3log s;
	char *container = NULL;
	json_t *keys = NULL, *v;
	size_t i;
	enum bpg_err e;
	bool sent = false;

	if (api->db == NULL)
		return false;
	if (api_log_is_driver(exec_id))
		e = asprintf(&container, "%s-driver", id) < 0 ? BPG_ENOMEM :
		    BPG_OK;
	else
		e = asprintf(&container, "%s-exec-%s", id, exec_id) < 0 ?
		    BPG_ENOMEM : BPG_OK;
	if (e != BPG_OK) {
		container = NULL;
		goto out;
	}
	if (bpg_db_log_keys(api->db, container, &keys, &ei) != BPG_OK) {
		bpg_log(LOG_WARNING, "log index of %s: %s", id, ei.msg);
		goto out;
	}
	if (json_array_size(keys) == 0)
		goto out;
	if (bucket == NULL || bucket[0] == '\0') {
		bpg_log(LOG_WARNING, "log index names objects for %s, but no "
		    "sparkLogS3Bucket is configured", id);
		goto out;
	}
	if ((f = handles_of(api)) == NULL || (f->s3 == NULL &&
	    bpg_s3_new(&api->cfg->s3_log, &f->s3, &ei) != BPG_OK)) {
		bpg_log(LOG_ERR, "S3 client for logs: %s", f ? ei.msg :
		    "out of memory");
		goto out;
	}
	sent = true;
	if (api_stream_head(rc, 200, OCTETS, NULL) != 0)
		goto out;
	memset(&s, 0, sizeof(s));
	s.rc = rc;
	s.lines.emit = s3log_emit;
	s.lines.ctx = &s;
	json_array_foreach(keys, i, v) {
		key = json_string_value(v);
		e = bpg_s3_get(f->s3, bucket, key, s3log_sink, &s, &ei);
		if (e == BPG_OK && api_log_lines_end(&s.lines) == 0)
			(void)s3log_emit(&s, "\n", 1);
		/* A failed object is skipped (section 5). */
		else if (!s.gone)
			bpg_log(LOG_WARNING, "log object s3://%s/%s: %s", bucket,
			    key, ei.msg);
		s.lines.len = 0;
		s.lines.overlong = s.lines.cr = false;
		if (s.gone)
			break;
	}
	api_log_lines_free(&s.lines);
out:
	json_decref(keys);
	free(container);
	return sent;
}

/*
 * May the caller read the logs of submission id?  Its owner is the CR's
 * (bpg_authz_cr_owner()), or once the CR is gone its row's user; with
 * neither, only the privileged users may.
 */
static bool
log_may_read(struct route_ctx *rc, const char *id)
{
	struct bpg_api *api = rc->api;
	const struct bpg_cluster *cluster;
	struct bpg_errinfo ei = { "" };
	struct bpg_kube *kube;
	json_t *cr = NULL, *row = NULL;
	bool ok;

	if (bpg_authz_may_read(api->cfg, rc->user, NULL))
		return true;
	if (bpg_route_cluster_of_id(api->cfg, id, &cluster, NULL) == BPG_OK &&
	    api_kube_for(api, cluster, &kube, &ei) == BPG_OK &&
	    bpg_kube_get_app(kube, id, &cr, &ei) == BPG_OK)
		ok = bpg_authz_may_read(api->cfg, rc->user,
		    bpg_authz_cr_owner(cr));
	else if (api->db != NULL &&
	    bpg_db_get_submission(api->db, id, &row, &ei) == BPG_OK)
		ok = bpg_authz_may_read(api->cfg, rc->user,
		    api_jstr(row, "user"));
	else
		ok = false;
	if (!ok)
		bpg_log(LOG_INFO, "log of %s for %s refused: not the owner", id,
		    rc->user);
	json_decref(row);
	json_decref(cr);
	return ok;
}

void
api_log_send(struct route_ctx *rc, const char *id, const char *exec_id,
    bool pod, bool follow)
{
	if (id[0] != '\0' && log_may_read(rc, id)) {
		/* Step 4, then 5 and 6. */
		if (pod && log_from_pod(rc, id, exec_id, follow))
			return;
		if (log_from_s3(rc, id, exec_id))
			return;
	}
	if (api_stream_head(rc, 200, OCTETS, NULL) == 0)
		(void)api_stream_write(rc, LOG_NOT_FOUND,
		    sizeof(LOG_NOT_FOUND) - 1);
}

void
api_h_log(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	struct bpg_errinfo ei = { "" };
	char *sub = NULL, *app = NULL, *exec = NULL, *s3only = NULL;
	char id[LOG_MAX_ID + 1] = "", text[ECHO_MAX + 64];
	bool pod = true;
	enum bpg_err e;

	if (rc->query != NULL) {
		sub = api_query_param(rc->query, "subId");
		app = api_query_param(rc->query, "appId");
		exec = api_query_param(rc->query, "execId");
		s3only = api_query_param(rc->query, "s3only");
	}
	if ((e = api_log_check_query(sub ? sub : "", app ? app : "",
	    &ei)) != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		goto out;
	}
	/* Step 3: the submission ID. */
	if (sub != NULL && sub[0] != '\0') {
		/* Longer than any stored ID: nothing can be found. */
		if (strlen(sub) <= LOG_MAX_ID)
			snprintf(id, sizeof(id), "%s", sub);
	} else {
		if (api->db != NULL &&
		    bpg_db_app_submission(api->db, app, id, sizeof(id), &ei) !=
		    BPG_OK) {
			bpg_log(LOG_WARNING, "submission of an appId: %s",
			    ei.msg);
			id[0] = '\0';
		}
		if (id[0] == '\0')
			history_lookup(api, app, id, sizeof(id));
		if (id[0] == '\0') {
			echo(text, sizeof(text), app);
			bpg_errf(&ei, BPG_EINVAL, "Could not find submissionId "
			    "from the appId %s.", text);
			api_reply_err(rc->resp, BPG_EINVAL, &ei);
			goto out;
		}
	}
	if (exec == NULL && (exec = strdup("")) == NULL) {
		api_reply_nomem(rc->resp);
		goto out;
	}
	if (s3only != NULL && strcasecmp(s3only, "false") != 0)
		pod = false;
	api_log_send(rc, id, exec, pod, true);
out:
	free(sub);
	free(app);
	free(exec);
	free(s3only);
}
