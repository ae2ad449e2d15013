/*
 * Notifications by webhook: the pure parts (bpg_notify.h).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bpg_notify.h"

static const char *const state_names[BPG_NOTIFY__MAX] = {
	[BPG_NOTIFY_RUNNING] = "RUNNING",
	[BPG_NOTIFY_COMPLETED] = "COMPLETED",
	[BPG_NOTIFY_FAILED] = "FAILED",
	[BPG_NOTIFY_LOST] = "LOST",
	[BPG_NOTIFY_SUBMISSION_FAILED] = "SUBMISSION_FAILED",
	[BPG_NOTIFY_DEPENDENCY_FAILED] = "DEPENDENCY_FAILED",
	[BPG_NOTIFY_CANCELLED] = "CANCELLED",
};

static const char *const format_names[BPG_NOTIFY_FMT__MAX] = {
	[BPG_NOTIFY_FMT_JSON] = "json",
	[BPG_NOTIFY_FMT_SLACK] = "slack",
};

int
bpg_notify_state_bit(const char *state)
{
	int i;

	if (state == NULL)
		return -1;
	for (i = 0; i < BPG_NOTIFY__MAX; i++)
		if (strcmp(state, state_names[i]) == 0)
			return i;
	return -1;
}

const char *
bpg_notify_format_name(enum bpg_notify_format f)
{
	return (unsigned)f < BPG_NOTIFY_FMT__MAX ? format_names[f] : "json";
}

int
bpg_notify_format_of(const char *name)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < BPG_NOTIFY_FMT__MAX; i++)
		if (strcmp(name, format_names[i]) == 0)
			return i;
	return -1;
}

/*
 * The request field
 */

static enum bpg_err
parse_one(const json_t *o, const char *w, struct bpg_notify_target *t,
    struct bpg_errinfo *ei)
{
	const char *key, *s;
	const json_t *v, *x;
	size_t i, n;
	int bit;

	if (!json_is_object(o))
		return bpg_errf(ei, BPG_EINVAL, "%s: must be an object with "
		    "url, on and format", w);
	memset(t, 0, sizeof(*t));
	t->on = BPG_NOTIFY_ON_ALL;
	t->format = BPG_NOTIFY_FMT_JSON;
	json_object_foreach((json_t *)(uintptr_t)o, key, v) {
		if (strcmp(key, "url") == 0) {
			if (!json_is_string(v) ||
			    (n = json_string_length(v)) == 0)
				return bpg_errf(ei, BPG_EINVAL,
				    "%s.url: must be a non-empty string", w);
			if (n > BPG_NOTIFY_MAX_URL)
				return bpg_errf(ei, BPG_EINVAL,
				    "%s.url: longer than %d bytes", w,
				    BPG_NOTIFY_MAX_URL);
			s = json_string_value(v);
			for (i = 0; i < n; i++)
				if ((unsigned char)s[i] <= 0x20 ||
				    (unsigned char)s[i] >= 0x7f)
					return bpg_errf(ei, BPG_EINVAL,
					    "%s.url: spaces, control or "
					    "non-ASCII bytes", w);
			memcpy(t->url, s, n + 1);
		} else if (strcmp(key, "on") == 0) {
			if (!json_is_array(v) || json_array_size(v) == 0)
				return bpg_errf(ei, BPG_EINVAL,
				    "%s.on: must be a non-empty list of "
				    "states", w);
			t->on = 0;
			json_array_foreach(v, i, x) {
				if (!json_is_string(x) ||
				    (bit = bpg_notify_state_bit(
					 json_string_value(x))) < 0)
					return bpg_errf(ei, BPG_EINVAL,
					    "%s.on[%zu]: must be one of "
					    "RUNNING, COMPLETED, FAILED, "
					    "LOST, SUBMISSION_FAILED, "
					    "DEPENDENCY_FAILED, CANCELLED", w, i);
				t->on |= 1u << bit;
			}
		} else if (strcmp(key, "format") == 0) {
			if (!json_is_string(v) ||
			    (bit = bpg_notify_format_of(
				 json_string_value(v))) < 0)
				return bpg_errf(ei, BPG_EINVAL,
				    "%s.format: must be \"json\" or \"slack\"",
				    w);
			t->format = (enum bpg_notify_format)bit;
		} else
			return bpg_errf(ei, BPG_EINVAL,
			    "%s: unknown field (url, on, format)", w);
	}
	if (t->url[0] == '\0')
		return bpg_errf(ei, BPG_EINVAL, "%s.url: missing", w);
	return BPG_OK;
}

enum bpg_err
bpg_notify_parse(const json_t *v, const char *where,
    struct bpg_notify_spec *out, struct bpg_errinfo *ei)
{
	char w[64];
	enum bpg_err e;
	size_t i;

	/* Only t[0..n) is written: the spec is 16 KiB, read to n. */
	out->n = 0;
	if (v == NULL || json_is_null(v))
		return BPG_OK;
	if (json_is_object(v)) {
		if ((e = parse_one(v, where, &out->t[0], ei)) != BPG_OK)
			return e;
		out->n = 1;
		return BPG_OK;
	}
	if (!json_is_array(v))
		return bpg_errf(ei, BPG_EINVAL, "%s: must be an object or a "
		    "list of objects", where);
	if (json_array_size(v) > BPG_NOTIFY_MAX)
		return bpg_errf(ei, BPG_EINVAL, "%s: at most %d entries",
		    where, BPG_NOTIFY_MAX);
	for (i = 0; i < json_array_size(v); i++) {
		snprintf(w, sizeof(w), "%s[%zu]", where, i);
		if ((e = parse_one(json_array_get(v, i), w, &out->t[i], ei)) !=
		    BPG_OK) {
			out->n = 0;
			return e;
		}
		out->n = i + 1;
	}
	return BPG_OK;
}

json_t *
bpg_notify_spec_json(const struct bpg_notify_spec *s)
{
	json_t *l, *o, *on;
	size_t i;
	int b;

	if ((l = json_array()) == NULL)
		return NULL;
	for (i = 0; i < s->n; i++) {
		if ((on = json_array()) == NULL)
			goto fail;
		for (b = 0; b < BPG_NOTIFY__MAX; b++)
			if ((s->t[i].on & (1u << b)) != 0 &&
			    json_array_append_new(on,
				json_string(state_names[b])) != 0) {
				json_decref(on);
				goto fail;
			}
		o = json_pack("{s:s, s:o, s:s}", "url", s->t[i].url, "on", on,
		    "format", bpg_notify_format_name(s->t[i].format));
		if (o == NULL || json_array_append_new(l, o) != 0)
			goto fail;
	}
	return l;
fail:
	json_decref(l);
	return NULL;
}

/*
 * The URL's policy
 */

bool
bpg_notify_host_allowed(
    const char *host, const char *const *hosts, size_t nhosts)
{
	size_t i, hl = strlen(host), pl;
	const char *p;

	for (i = 0; i < nhosts; i++) {
		p = hosts[i];
		if (p == NULL)
			continue;
		if (p[0] == '*' && p[1] == '.') {
			/* "*.example.com": a name under it, not itself. */
			pl = strlen(p + 1);
			if (hl > pl && strcasecmp(host + hl - pl, p + 1) == 0)
				return true;
		} else if (strcasecmp(host, p) == 0)
			return true;
	}
	return false;
}

static bool
v4_private(uint32_t a)
{
	static const struct {
		uint32_t net, mask;
	} r[] = {
	    {0x00000000, 0xff000000}, /* 0/8 "this network" */
	    {0x0a000000, 0xff000000}, /* 10/8 */
	    {0x64400000, 0xffc00000}, /* 100.64/10 shared (CGNAT) */
	    {0x7f000000, 0xff000000}, /* 127/8 loopback */
	    {0xa9fe0000, 0xffff0000}, /* 169.254/16 link-local, metadata */
	    {0xac100000, 0xfff00000}, /* 172.16/12 */
	    {0xc0000000, 0xffffff00}, /* 192.0.0/24 IETF protocol */
	    {0xc0a80000, 0xffff0000}, /* 192.168/16 */
	    {0xc6120000, 0xfffe0000}, /* 198.18/15 benchmarking */
	    {0xe0000000, 0xe0000000}, /* 224/4 multicast, 240/4, bcast */
	};
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if ((a & r[i].mask) == r[i].net)
			return true;
	return false;
}

static uint32_t
v4_at(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

bool
bpg_notify_addr_private(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_in *s4;
	const struct sockaddr_in6 *s6;
	const unsigned char *b;
	static const unsigned char zero12[12];
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff};
	static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};

	if (sa == NULL)
		return true;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(*s4)) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		return v4_private(ntohl(s4->sin_addr.s_addr));
	}
	if (sa->sa_family != AF_INET6 || len < (socklen_t)sizeof(*s6))
		return true; /* nothing else is a receiver */
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	b = s6->sin6_addr.s6_addr;
	/* ::ffff:a.b.c.d, ::a.b.c.d (also :: and ::1), 64:ff9b::a.b.c.d */
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, zero12, 12) == 0 ||
	    memcmp(b, nat64, 12) == 0)
		return v4_private(v4_at(b + 12));
	if (b[0] == 0x20 && b[1] == 0x02) /* 6to4 2002:a.b.c.d::/48 */
		return v4_private(v4_at(b + 2));
	if ((b[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
		return true;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 */
		return true;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) /* fec0::/10 site-local */
		return true;
	if (b[0] == 0xff) /* multicast */
		return true;
	return false;
}

/* Whether host is an IP literal; if so, its address into ss. */
static bool
ip_literal(const char *host, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
		return true;
	}
	return false;
}

enum bpg_err
bpg_notify_check_url(const char *url, const struct bpg_notify_policy *p,
    const char *field, char *host, size_t hostsz, int *port,
    struct bpg_errinfo *ei)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	CURLU *u;
	char *scheme = NULL, *h = NULL, *user = NULL, *pw = NULL, *ps = NULL;
	enum bpg_err e = BPG_EINVAL;
	size_t n;
	long pn;

	host[0] = '\0';
	*port = 0;
	if ((u = curl_url()) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		bpg_errf(ei, e, "%s: not a URL", field);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "https") != 0 &&
		(strcmp(scheme, "http") != 0 || !p->allow_http))) {
		bpg_errf(ei, e, "%s: must be https://%s", field,
		    p->allow_http ? " or http://" : "");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK) {
		bpg_errf(ei, e, "%s: must not hold a user or password", field);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK ||
	    (n = strlen(h)) == 0) {
		bpg_errf(ei, e, "%s: no host", field);
		goto out;
	}
	if (h[0] == '[' && n >= 2 && h[n - 1] == ']') {
		memmove(h, h + 1, n - 2);
		h[n - 2] = '\0';
		n -= 2;
	}
	if (n > BPG_NOTIFY_MAX_HOST || n >= hostsz) {
		bpg_errf(ei, e, "%s: host too long", field);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &ps, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK || (pn = strtol(ps, NULL, 10)) < 1 || pn > 65535) {
		bpg_errf(ei, e, "%s: bad port", field);
		goto out;
	}
	if (!bpg_notify_host_allowed(h, p->hosts, p->nhosts)) {
		bpg_errf(ei, e, "%s: host %s is not in "
		    "notificationAllowedHosts", field, h);
		goto out;
	}
	if (!p->allow_private && ip_literal(h, &ss, &sl) &&
	    bpg_notify_addr_private((struct sockaddr *)&ss, sl)) {
		bpg_errf(ei, e, "%s: %s is a private, loopback or link-local "
		    "address", field, h);
		goto out;
	}
	memcpy(host, h, n + 1);
	*port = (int)pn;
	e = BPG_OK;
out:
	curl_free(ps);
	curl_free(h);
	curl_free(pw);
	curl_free(user);
	curl_free(scheme);
	curl_url_cleanup(u);
	return e;
}

enum bpg_err
bpg_notify_resolve_check(const char *host, int port,
    const struct bpg_notify_policy *p, const char *field,
    struct bpg_errinfo *ei)
{
	struct addrinfo hints, *res = NULL, *ai;
	char ps[8], ip[INET6_ADDRSTRLEN];
	enum bpg_err e = BPG_OK;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof(ps), "%d", port);
	if ((rc = getaddrinfo(host, ps, &hints, &res)) != 0)
		return bpg_errf(ei, BPG_EINVAL, "%s: host %s does not resolve",
		    field, host);
	if (!p->allow_private)
		for (ai = res; ai != NULL; ai = ai->ai_next)
			if (bpg_notify_addr_private(ai->ai_addr,
				ai->ai_addrlen)) {
				if (getnameinfo(ai->ai_addr, ai->ai_addrlen,
					ip, sizeof(ip), NULL, 0,
					NI_NUMERICHOST) != 0)
					snprintf(ip, sizeof(ip), "?");
				e = bpg_errf(ei, BPG_EINVAL, "%s: host %s "
				    "resolves to %s, a private, loopback or "
				    "link-local address", field, host, ip);
				break;
			}
	freeaddrinfo(res);
	return e;
}

/*
 * The event
 */

static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

json_t *
bpg_notify_event_json(const struct bpg_notify_event *ev)
{
	char t[96];
	struct tm tm;
	time_t s = (time_t)(ev->time_ms / 1000);

	if (gmtime_r(&s, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ev->time_ms < 0 ? 0 : ev->time_ms % 1000));
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, "
	    "s:o, s:o}",
	    "eventId", str_or_null(ev->event_id),
	    "submissionId", str_or_null(ev->submission_id),
	    "state", str_or_null(ev->state),
	    "previousState", str_or_null(ev->previous_state),
	    "user", str_or_null(ev->user),
	    "queue", str_or_null(ev->queue),
	    "cluster", str_or_null(ev->cluster),
	    "appId", str_or_null(ev->app_id),
	    "attempt", ev->attempt >= 1 ? json_integer(ev->attempt) :
	    json_null(),
	    "time", t,
	    "errorMessage", str_or_null(ev->error_message),
	    "cost", ev->has_cost ? json_real(ev->cost) : json_null());
}

/* Slack's mrkdwn escapes (&, <, >); control bytes of values as '?'. */
static void
put_escaped(char *dst, size_t *n, size_t cap, const char *s, bool lit)
{
	const char *r;

	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		default: r = NULL; break;
		}
		if (r != NULL) {
			if (*n + strlen(r) >= cap)
				return;
			memcpy(dst + *n, r, strlen(r));
			*n += strlen(r);
		} else {
			if (*n + 1 >= cap)
				return;
			dst[(*n)++] = !lit && (unsigned char)*s < 0x20 ? '?' : *s;
		}
	}
	dst[*n] = '\0';
}

static const char *
get_s(const json_t *ev, const char *k)
{
	return json_string_value(json_object_get(ev, k));
}

char *
bpg_notify_body(const json_t *ev, enum bpg_notify_format f)
{
	char text[2048], num[64];
	size_t n = 0;
	const json_t *c;
	json_t *o;
	char *out;

	if (f != BPG_NOTIFY_FMT_SLACK)
		return json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	text[0] = '\0';
#define PUT(s) put_escaped(text, &n, sizeof(text), (s), false)
#define LIT(s) put_escaped(text, &n, sizeof(text), (s), true)
	PUT("Spark application ");
	PUT(get_s(ev, "submissionId"));
	PUT(" is ");
	PUT(get_s(ev, "state"));
	if (get_s(ev, "previousState") != NULL) {
		PUT(" (was ");
		PUT(get_s(ev, "previousState"));
		PUT(")");
	}
	LIT("\nuser: ");
	PUT(get_s(ev, "user") != NULL ? get_s(ev, "user") : "-");
	PUT(", queue: ");
	PUT(get_s(ev, "queue") != NULL ? get_s(ev, "queue") : "-");
	PUT(", cluster: ");
	PUT(get_s(ev, "cluster") != NULL ? get_s(ev, "cluster") : "-");
	if (get_s(ev, "appId") != NULL) {
		PUT(", appId: ");
		PUT(get_s(ev, "appId"));
	}
	if ((c = json_object_get(ev, "cost")) != NULL && json_is_number(c)) {
		snprintf(num, sizeof(num), ", cost: %.2f",
		    json_number_value(c));
		PUT(num);
	}
	LIT("\ntime: ");
	PUT(get_s(ev, "time"));
	if (get_s(ev, "errorMessage") != NULL) {
		LIT("\nerror: ");
		PUT(get_s(ev, "errorMessage"));
	}
#undef PUT
#undef LIT
	if ((o = json_pack("{s:s}", "text", text)) == NULL)
		return NULL;
	out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

/*
 * Signature and back-off
 */

enum bpg_err
bpg_notify_sign(const void *key, size_t keylen, const void *body, size_t len,
    char out[BPG_NOTIFY_SIG_LEN + 1], struct bpg_errinfo *ei)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	out[0] = '\0';
	if (key == NULL || keylen == 0 || keylen > INT32_MAX)
		return bpg_errf(ei, BPG_EINVAL, "notification: no secret");
	if (HMAC(EVP_sha256(), key, (int)keylen, body, len, md, &mdlen) ==
	    NULL || mdlen != 32)
		return bpg_errf(ei, BPG_ENOMEM, "notification: HMAC failed");
	memcpy(out, "sha256=", 7);
	for (i = 0; i < mdlen; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[7 + 2 * i + 1] = hex[md[i] & 15];
	}
	out[7 + 2 * mdlen] = '\0';
	return BPG_OK;
}

long long
bpg_notify_backoff_ms(unsigned attempts)
{
	long long d = BPG_NOTIFY_BACKOFF_MIN_MS;

	while (attempts-- > 1 && d < BPG_NOTIFY_BACKOFF_MAX_MS)
		d *= 2;
	return d < BPG_NOTIFY_BACKOFF_MAX_MS ? d : BPG_NOTIFY_BACKOFF_MAX_MS;
}

bool
bpg_notify_expired(long long first_ms, long long now_ms)
{
	return now_ms - first_ms >= BPG_NOTIFY_GIVE_UP_MS;
}
