/*
 * Watch streams over curl's multi interface (see bpg_watch.h).
 *
 * Bytes arrive in on_data() inside curl_multi_perform(); they are only
 * buffered there.  Complete lines are parsed and delivered afterwards, in
 * deliver(), outside any curl callback, so that the event callback may do
 * blocking work (database statements, other Kubernetes requests on other
 * handles) and stop its watch.  When more than BPG_WATCH_HIGH_WATER bytes
 * of complete lines wait, the transfer is paused until they are
 * delivered: a burst of events cannot make the buffer grow without bound.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "bpg_kube.h"
#include "bpg_watch.h"

/* Complete lines buffered before the transfer is paused. */
#define BPG_WATCH_HIGH_WATER (1024 * 1024)
/* Client-side guard on top of timeoutSeconds: a stream that outlives its
 * server-side timeout by this much is dead. */
#define BPG_WATCH_GRACE_S 30
/* TCP keepalive: a silent peer is probed after 30 s, every 10 s. */
#define BPG_WATCH_KEEPIDLE 30L
#define BPG_WATCH_KEEPINTVL 10L

struct bpg_watchset {
	CURLM *multi;
	struct bpg_watch *head;
};

struct bpg_watch {
	struct bpg_watchset *set;
	struct bpg_watch *prev, *next;
	const struct bpg_cluster *cluster;
	char *path;
	CURL *curl;
	struct curl_slist *headers;
	bpg_watch_event_fn *ev;
	bpg_watch_end_fn *end;
	void *arg;
	bool active; /* in the multi handle */
	bool paused;
	bool overflow; /* a line over BPG_WATCH_MAX_LINE */
	unsigned long gen; /* bumped by stop: detects it in callbacks */
	char rv[BPG_WATCH_MAX_RV + 1];
	char *buf; /* buf[off..len) not yet delivered */
	size_t off, len, cap;
	size_t scanned; /* end of the last complete line */
	long long started_ms;
	char errbuf[CURL_ERROR_SIZE];
};

static const char *const type_names[BPG_WATCH__MAX] = {
    [BPG_WATCH_ADDED] = "ADDED",
    [BPG_WATCH_MODIFIED] = "MODIFIED",
    [BPG_WATCH_DELETED] = "DELETED",
    [BPG_WATCH_BOOKMARK] = "BOOKMARK",
    [BPG_WATCH_ERROR] = "ERROR",
};

long long
bpg_watch_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
bpg_watch_type_name(enum bpg_watch_type t)
{
	if ((unsigned)t >= BPG_WATCH__MAX)
		return "?";
	return type_names[t];
}

/*
 * Event lines
 */

/*
 * Nesting depth of JSON text s[0..n) (strings skipped), stopping as soon
 * as it passes max.  jansson has no depth option, and a deep document is
 * a cheap way to exhaust a recursive parser's stack.
 */
static size_t
json_depth(const char *s, size_t n, size_t max)
{
	size_t i, d = 0, top = 0;
	bool str = false;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				str = false;
			continue;
		}
		if (c == '"')
			str = true;
		else if (c == '{' || c == '[') {
			if (++d > top)
				top = d;
			if (top > max)
				return top;
		} else if ((c == '}' || c == ']') && d > 0)
			d--;
	}
	return top;
}

/* A resourceVersion: 1 to BPG_WATCH_MAX_RV printable, non-blank bytes. */
static bool
rv_ok(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || i >= BPG_WATCH_MAX_RV)
			return false;
	return i > 0;
}

void
bpg_watch_event_clear(struct bpg_watch_event *ev)
{
	if (ev == NULL)
		return;
	json_decref(ev->object);
	memset(ev, 0, sizeof(*ev));
}

enum bpg_err
bpg_watch_parse_line(const char *line, size_t len, struct bpg_watch_event *ev,
    struct bpg_errinfo *ei)
{
	json_t *doc, *obj;
	json_error_t jerr;
	const char *type, *rv;
	const json_t *code;
	size_t i;
	int t = -1;

	memset(ev, 0, sizeof(*ev));
	if (line == NULL)
		return bpg_errf(ei, BPG_EINVAL, "watch event: no line");
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > BPG_WATCH_MAX_LINE)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "watch event: line longer than %d bytes",
		    BPG_WATCH_MAX_LINE);
	if (json_depth(line, len, BPG_WATCH_MAX_DEPTH) > BPG_WATCH_MAX_DEPTH)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "watch event: nested deeper than %d", BPG_WATCH_MAX_DEPTH);
	doc = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return bpg_errf(ei, BPG_EINVAL,
		    "watch event: not JSON (line %d, column %d)", jerr.line,
		    jerr.column);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return bpg_errf(
		    ei, BPG_EINVAL, "watch event: not a JSON object");
	}
	type = json_string_value(json_object_get(doc, "type"));
	for (i = 0; type != NULL && i < BPG_WATCH__MAX; i++)
		if (strcmp(type, type_names[i]) == 0)
			t = (int)i;
	if (t < 0) {
		json_decref(doc);
		return bpg_errf(ei, BPG_EINVAL, "watch event: %s",
		    type == NULL ? "no type" : "unknown type");
	}
	obj = json_object_get(doc, "object");
	if (!json_is_object(obj)) {
		json_decref(doc);
		return bpg_errf(ei, BPG_EINVAL,
		    "watch event: object missing or not an object");
	}
	ev->type = (enum bpg_watch_type)t;
	if (ev->type == BPG_WATCH_ERROR) {
		/* Kubernetes API conventions: Status. */
		code = json_object_get(obj, "code");
		if (json_is_integer(code) && json_integer_value(code) >= 0 &&
		    json_integer_value(code) <= 999)
			ev->code = (long)json_integer_value(code);
		else if (code != NULL) {
			json_decref(doc);
			return bpg_errf(ei, BPG_EINVAL,
			    "watch event: ERROR with a bad Status code");
		}
		if (json_is_string(json_object_get(obj, "reason")))
			bpg_kube_clean_copy(ev->reason, sizeof(ev->reason),
			    json_string_value(json_object_get(obj, "reason")));
	} else {
		rv = json_string_value(json_object_get(
		    json_object_get(obj, "metadata"), "resourceVersion"));
		if (!rv_ok(rv)) {
			json_decref(doc);
			return bpg_errf(ei, BPG_EINVAL,
			    "watch event: %s without a valid "
			    "metadata.resourceVersion",
			    type_names[t]);
		}
		memcpy(ev->rv, rv, strlen(rv) + 1);
	}
	ev->object = json_incref(obj);
	json_decref(doc);
	return BPG_OK;
}

/*
 * Streams
 */

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct bpg_watch *w = arg;
	size_t len = sz * n, ncap, i;
	char *nb;

	/* Deliverable lines waiting: let deliver() catch up first. */
	if (w->scanned > w->off && w->len - w->off >= BPG_WATCH_HIGH_WATER) {
		w->paused = true;
		return CURL_WRITEFUNC_PAUSE;
	}
	if (w->off > 0 && w->off == w->len)
		w->off = w->len = w->scanned = 0;
	if (w->len + len + 1 > w->cap) {
		if (w->off > 0) {
			memmove(w->buf, w->buf + w->off, w->len - w->off);
			w->len -= w->off;
			w->scanned -= w->off;
			w->off = 0;
		}
		if (w->len + len + 1 > w->cap) {
			ncap = w->cap ? w->cap : 65536;
			while (ncap < w->len + len + 1)
				ncap *= 2;
			if (ncap > 2 * (size_t)BPG_WATCH_MAX_LINE +
				BPG_WATCH_HIGH_WATER) {
				w->overflow = true;
				return 0;
			}
			if ((nb = realloc(w->buf, ncap)) == NULL)
				return 0;
			w->buf = nb;
			w->cap = ncap;
		}
	}
	memcpy(w->buf + w->len, p, len);
	w->len += len;
	w->buf[w->len] = '\0';
	/* Only the new bytes can hold a new last '\n'. */
	for (i = w->len; i > w->len - len; i--)
		if (w->buf[i - 1] == '\n') {
			w->scanned = i;
			break;
		}
	if (w->len - (w->scanned > w->off ? w->scanned : w->off) >
	    BPG_WATCH_MAX_LINE) {
		w->overflow = true;
		return 0;
	}
	return len;
}

enum bpg_err
bpg_watchset_new(struct bpg_watchset **out, struct bpg_errinfo *ei)
{
	struct bpg_watchset *set;

	*out = NULL;
	if ((set = calloc(1, sizeof(*set))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	if ((set->multi = curl_multi_init()) == NULL) {
		free(set);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	*out = set;
	return BPG_OK;
}

void
bpg_watchset_free(struct bpg_watchset *set)
{
	if (set == NULL)
		return;
	while (set->head != NULL)
		bpg_watch_free(set->head);
	curl_multi_cleanup(set->multi);
	free(set);
}

enum bpg_err
bpg_watch_new(struct bpg_watchset *set, const struct bpg_cluster *c,
    const char *path, bpg_watch_event_fn *ev, bpg_watch_end_fn *end, void *arg,
    struct bpg_watch **out, struct bpg_errinfo *ei)
{
	struct bpg_watch *w;
	enum bpg_err e;

	*out = NULL;
	if (path == NULL || path[0] != '/' || strlen(path) > 1024)
		return bpg_errf(ei, BPG_EINVAL, "watch: bad collection path");
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	w->set = set;
	w->cluster = c;
	w->ev = ev;
	w->end = end;
	w->arg = arg;
	if ((w->path = strdup(path)) == NULL ||
	    (w->curl = curl_easy_init()) == NULL) {
		free(w->path);
		free(w);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	if ((e = bpg_kube_setup_easy(w->curl, c, &w->headers, ei)) != BPG_OK) {
		curl_easy_cleanup(w->curl);
		free(w->path);
		free(w);
		return e;
	}
	curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(w->curl, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->curl, CURLOPT_ERRORBUFFER, w->errbuf);
	curl_easy_setopt(w->curl, CURLOPT_PRIVATE, w);
	curl_easy_setopt(w->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(w->curl, CURLOPT_TCP_KEEPIDLE, BPG_WATCH_KEEPIDLE);
	curl_easy_setopt(w->curl, CURLOPT_TCP_KEEPINTVL, BPG_WATCH_KEEPINTVL);
	w->next = set->head;
	if (set->head != NULL)
		set->head->prev = w;
	set->head = w;
	*out = w;
	return BPG_OK;
}

void
bpg_watch_stop(struct bpg_watch *w)
{
	if (w == NULL)
		return;
	w->gen++;
	if (w->active)
		curl_multi_remove_handle(w->set->multi, w->curl);
	w->active = false;
	w->paused = false;
	w->overflow = false;
	w->off = w->len = w->scanned = 0;
}

void
bpg_watch_free(struct bpg_watch *w)
{
	if (w == NULL)
		return;
	bpg_watch_stop(w);
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		w->set->head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	curl_easy_cleanup(w->curl);
	bpg_kube_free_headers(w->headers);
	free(w->buf);
	free(w->path);
	free(w);
}

bool
bpg_watch_active(const struct bpg_watch *w)
{
	return w != NULL && w->active;
}

const char *
bpg_watch_rv(const struct bpg_watch *w)
{
	return w->rv;
}

long long
bpg_watch_started_ms(const struct bpg_watch *w)
{
	return w->started_ms;
}

enum bpg_err
bpg_watch_start(
    struct bpg_watch *w, const char *rv, long timeout_s, struct bpg_errinfo *ei)
{
	char *url = NULL, *esc;
	int n;

	bpg_watch_stop(w);
	if (!rv_ok(rv))
		return bpg_errf(ei, BPG_EINVAL, "watch: bad resourceVersion");
	if (timeout_s < 1 || timeout_s > 3600)
		return bpg_errf(ei, BPG_EINVAL, "watch: bad timeout");
	if ((esc = curl_easy_escape(w->curl, rv, 0)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	n = asprintf(&url,
	    "%s%s?watch=true&allowWatchBookmarks=true"
	    "&resourceVersion=%s&timeoutSeconds=%ld",
	    w->cluster->master_url, w->path, esc, timeout_s);
	curl_free(esc);
	if (n < 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	/* CURLOPT_URL copies the string. */
	curl_easy_setopt(w->curl, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS,
	    (timeout_s + BPG_WATCH_GRACE_S) * 1000L);
	/* rv may be bpg_watch_rv(w) itself. */
	memmove(w->rv, rv, strlen(rv) + 1);
	w->errbuf[0] = '\0';
	if (curl_multi_add_handle(w->set->multi, w->curl) != CURLM_OK)
		return bpg_errf(ei, BPG_EUPSTREAM,
		    "watch: curl refused the "
		    "transfer");
	w->active = true;
	w->started_ms = bpg_watch_now_ms();
	return BPG_OK;
}

/* End w's stream by itself: remove it, then tell the owner. */
static void
finish(struct bpg_watch *w, enum bpg_watch_end how, const char *detail)
{
	bpg_watch_stop(w);
	if (w->end != NULL)
		w->end(w->arg, how, detail);
}

static long
http_code(struct bpg_watch *w)
{
	long code = 0;

	curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &code);
	return code;
}

/*
 * Deliver the complete lines of w.  Returns false if the stream was ended
 * or stopped meanwhile (w must not be touched further for it).
 */
static bool
deliver(struct bpg_watch *w)
{
	struct bpg_watch_event ev;
	struct bpg_errinfo ei;
	char detail[sizeof(ei.msg) + 64];
	unsigned long gen = w->gen;
	const char *line, *nl;
	size_t len;
	enum bpg_err e;

	if (http_code(w) != 200)
		return true; /* an error body: read whole at the end */
	while (w->off < w->scanned) {
		line = w->buf + w->off;
		nl = memchr(line, '\n', w->scanned - w->off);
		if (nl == NULL)
			break;
		len = (size_t)(nl - line);
		w->off += len + 1;
		if (len == 0 || (len == 1 && line[0] == '\r'))
			continue;
		if ((e = bpg_watch_parse_line(line, len, &ev, &ei)) != BPG_OK) {
			snprintf(detail, sizeof(detail),
			    "bad line in the "
			    "stream: %s",
			    ei.msg);
			finish(w, BPG_WATCH_END_ERROR, detail);
			return false;
		}
		switch (ev.type) {
		case BPG_WATCH_BOOKMARK:
			memcpy(w->rv, ev.rv, sizeof(w->rv));
			break;
		case BPG_WATCH_ERROR:
			/* 410: the resourceVersion is older than the
			 * server's history ("API Concepts"). */
			snprintf(detail, sizeof(detail), "ERROR event: %ld %s",
			    ev.code, ev.reason);
			e = ev.code == 410 ? BPG_OK : BPG_EUPSTREAM;
			bpg_watch_event_clear(&ev);
			finish(w,
			    e == BPG_OK ? BPG_WATCH_END_EXPIRED
					: BPG_WATCH_END_ERROR,
			    detail);
			return false;
		default:
			memcpy(w->rv, ev.rv, sizeof(w->rv));
			if (w->ev != NULL)
				w->ev(w->arg, &ev);
			break;
		}
		bpg_watch_event_clear(&ev);
		if (w->gen != gen)
			return false;
	}
	if (w->off == w->len)
		w->off = w->len = w->scanned = 0;
	return true;
}

/* A finished transfer of w, with curl's result rc. */
static void
done(struct bpg_watch *w, CURLcode rc)
{
	char detail[512], text[300];
	json_t *st;
	const char *msg, *reason;
	long code = http_code(w);

	/* Lines that arrived whole are good, whatever happened next. */
	if (code == 200 && !deliver(w))
		return;
	if (rc != CURLE_OK) {
		if (w->overflow)
			snprintf(detail, sizeof(detail),
			    "a line longer than "
			    "%d bytes",
			    BPG_WATCH_MAX_LINE);
		else {
			bpg_kube_clean_copy(text, sizeof(text),
			    w->errbuf[0] ? w->errbuf : curl_easy_strerror(rc));
			snprintf(
			    detail, sizeof(detail), "stream broken: %s", text);
		}
		finish(w, BPG_WATCH_END_ERROR, detail);
		return;
	}
	if (code != 200) {
		/* Kubernetes API conventions: the error is a Status. */
		st = w->len > w->off
		    ? json_loadb(w->buf + w->off, w->len - w->off, 0, NULL)
		    : NULL;
		msg = json_string_value(json_object_get(st, "message"));
		reason = json_string_value(json_object_get(st, "reason"));
		bpg_kube_clean_copy(text, sizeof(text), msg != NULL ? msg : "");
		snprintf(detail, sizeof(detail), "HTTP %ld %s%s%s", code,
		    reason != NULL ? reason : "", text[0] ? ": " : "", text);
		json_decref(st);
		finish(w,
		    code == 410 ? BPG_WATCH_END_EXPIRED : BPG_WATCH_END_ERROR,
		    detail);
		return;
	}
	if (w->len > w->off) {
		finish(w, BPG_WATCH_END_ERROR,
		    "stream cut in the middle of "
		    "an event");
		return;
	}
	finish(w, BPG_WATCH_END_CLOSED, "closed by the server");
}

enum bpg_err
bpg_watchset_run(
    struct bpg_watchset *set, int timeout_ms, struct bpg_errinfo *ei)
{
	struct bpg_watch *w, *next;
	CURLMsg *m;
	CURLMcode mc;
	int running, left;

	if (timeout_ms < 0)
		timeout_ms = 0;
	if ((mc = curl_multi_poll(set->multi, NULL, 0, timeout_ms, NULL)) !=
	    CURLM_OK)
		return bpg_errf(
		    ei, BPG_EUPSTREAM, "curl: %s", curl_multi_strerror(mc));
	if ((mc = curl_multi_perform(set->multi, &running)) != CURLM_OK)
		return bpg_errf(
		    ei, BPG_EUPSTREAM, "curl: %s", curl_multi_strerror(mc));
	for (w = set->head; w != NULL; w = next) {
		next = w->next;
		if (!w->active || !deliver(w))
			continue;
		if (w->paused) {
			w->paused = false;
			/* May call on_data() at once; it pauses again if
			 * need be. */
			curl_easy_pause(w->curl, CURLPAUSE_CONT);
		}
	}
	while ((m = curl_multi_info_read(set->multi, &left)) != NULL) {
		char *priv = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		w = (struct bpg_watch *)(void *)priv;
		if (w != NULL && w->active)
			done(w, m->data.result);
	}
	return BPG_OK;
}
