/*
 * k8s:secret: references (bpg-reference section 7.3) read through a small
 * in-cluster Kubernetes client: GET /api/v1/namespaces/<ns>/secrets/<name>
 * (Kubernetes API reference: Secret v1, "read the specified Secret") with
 * the service account's bearer token, the server verified against the
 * service account's ca.crt.
 *
 * BPG reads a Secret with fabric8's get(), which gives null for 404 and
 * throws for any other failure; it retries what throws.  So here: 200 is
 * an answer, 404 is "absent" at once, and everything else (transport
 * errors, timeouts, 401, 403, 5xx, an unreadable body) is tried again.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bpg_base64.h"
#include "bpg_name.h"
#include "bpg_secret.h"

/* Largest service account file read (a projected token is ~1 KiB). */
#define SA_FILE_MAX (64 * 1024)
/* Longest API server URL: the request URL must fit URL_MAX. */
#define API_SERVER_MAX 2048
#define URL_MAX (API_SERVER_MAX + 64 + BPG_MAX_K8S_NAME + BPG_SECRET_MAX_NAME)
/* Bytes of an API server's Status message repeated in a reason. */
#define STATUS_SHOW 160

/* One Secret as fetched: its data, or why there is none. */
struct cached {
	char ns[BPG_MAX_K8S_NAME + 1];
	char name[BPG_SECRET_MAX_NAME + 1];
	enum bpg_secret_result status; /* FOUND: data is the "data" member
					* (maybe NULL); ABSENT; FAILED */
	json_t *data;
	char why[sizeof(((struct bpg_errinfo *)0)->msg)];
};

struct bpg_secret_client {
	char *api_server; /* no trailing '/' */
	char *sa_dir;
	long timeout_ms;
	int attempts;
	long retry_ms;

	bool sa_read; /* token and CA looked up */
	char *token; /* NULL: unreadable (sa_why) */
	char *ca_path; /* NULL: the system's CAs */
	char sa_why[sizeof(((struct bpg_errinfo *)0)->msg)];
	bool ns_read;
	char *pod_ns; /* NULL: unreadable (ns_why) */
	char ns_why[sizeof(((struct bpg_errinfo *)0)->msg)];

	struct cached *cache;
	size_t ncache;
	unsigned requests;
};

/* A growing response buffer, capped. */
struct body {
	char *buf;
	size_t len, cap;
	bool overflow;
};

/* ---- names ------------------------------------------------------------ */

/* A Secret data key: [-._a-zA-Z0-9]+ (Kubernetes IsConfigMapKey). */
static bool
data_key(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > BPG_SECRET_MAX_NAME || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

enum bpg_secret_result
bpg_secret_parse(const char *value, struct bpg_secret_ref *out)
{
	const char *rest, *p, *c1, *c2;
	size_t len, parts, i;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (value == NULL ||
	    strncmp(value, BPG_SECRET_PREFIX, strlen(BPG_SECRET_PREFIX)) != 0)
		return BPG_SECRET_NOT_REF;
	/*
	 * Java's split(":") drops trailing empty parts, so "a:b:c:" is three
	 * parts and "a:b:" two; a leading empty part stays (the pod's own
	 * namespace).
	 */
	rest = value + strlen(BPG_SECRET_PREFIX);
	len = strlen(rest);
	while (len > 0 && rest[len - 1] == ':')
		len--;
	parts = len > 0 ? 1 : 0;
	for (i = 0; i < len; i++)
		if (rest[i] == ':')
			parts++;
	if (parts != 3)
		return BPG_SECRET_MALFORMED;
	c1 = memchr(rest, ':', len);
	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - rest));
	p = c2 + 1;
	if ((size_t)(c1 - rest) > BPG_MAX_K8S_NAME ||
	    (size_t)(c2 - c1 - 1) > BPG_SECRET_MAX_NAME ||
	    (size_t)(rest + len - p) > BPG_SECRET_MAX_NAME)
		return BPG_SECRET_BAD_NAME;
	{
		struct bpg_secret_ref r;

		memset(&r, 0, sizeof(r));
		memcpy(r.ns, rest, (size_t)(c1 - rest));
		memcpy(r.name, c1 + 1, (size_t)(c2 - c1 - 1));
		memcpy(r.key, p, (size_t)(rest + len - p));
		if ((r.ns[0] != '\0' &&
			!bpg_name_label(r.ns, strlen(r.ns), BPG_MAX_K8S_NAME)) ||
		    !bpg_name_subdomain(r.name, strlen(r.name),
		    BPG_SECRET_MAX_NAME) || !data_key(r.key))
			return BPG_SECRET_BAD_NAME;
		if (out != NULL)
			*out = r;
	}
	return BPG_SECRET_REF;
}

/* ---- the client ------------------------------------------------------- */

void
bpg_secret_opts_init(struct bpg_secret_opts *o)
{
	o->api_server = BPG_SECRET_DEFAULT_API_SERVER;
	o->sa_dir = BPG_SECRET_DEFAULT_SA_DIR;
	o->timeout_ms = BPG_SECRET_TIMEOUT_MS;
	o->attempts = BPG_SECRET_ATTEMPTS;
	o->retry_ms = BPG_SECRET_RETRY_MS;
}

void
bpg_secret_wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

enum bpg_err
bpg_secret_client_new(const struct bpg_secret_opts *o,
    struct bpg_secret_client **out, struct bpg_errinfo *why)
{
	struct bpg_secret_client *c;
	const char *p;
	size_t n, skip;

	*out = NULL;
	if (o->api_server == NULL || o->sa_dir == NULL || o->sa_dir[0] == '\0')
		return bpg_errf(why, BPG_EINVAL,
		    "no API server or service "
		    "account directory");
	if (strncasecmp(o->api_server, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(o->api_server, "http://", 7) == 0)
		skip = 7;
	else
		return bpg_errf(why, BPG_EINVAL,
		    "the API server must be an "
		    "http:// or https:// URL");
	for (p = o->api_server; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' ||
		    *p == '#')
			return bpg_errf(why, BPG_EINVAL,
			    "the API server URL "
			    "must have no spaces, control characters, query "
			    "or fragment");
	n = strlen(o->api_server);
	if (n > API_SERVER_MAX)
		return bpg_errf(why, BPG_EINVAL,
		    "the API server URL is longer "
		    "than %d bytes",
		    API_SERVER_MAX);
	while (n > skip && o->api_server[n - 1] == '/')
		n--;
	if (n == skip || o->api_server[skip] == '/')
		return bpg_errf(why, BPG_EINVAL,
		    "the API server URL has no "
		    "host");
	if (o->timeout_ms <= 0 || o->attempts < 1 || o->retry_ms < 0)
		return bpg_errf(why, BPG_EINVAL,
		    "timeout, attempts and pause "
		    "must be positive");
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->api_server = strndup(o->api_server, n)) == NULL ||
	    (c->sa_dir = strdup(o->sa_dir)) == NULL) {
		bpg_secret_client_free(c);
		return bpg_errf(why, BPG_ENOMEM, "out of memory");
	}
	c->timeout_ms = o->timeout_ms;
	c->attempts = o->attempts;
	c->retry_ms = o->retry_ms;
	*out = c;
	return BPG_OK;
}

/* Overwrite the string values of a Secret's data before freeing it. */
static void
scrub_data(json_t *data)
{
	const char *k;
	json_t *v;

	json_object_foreach(data, k, v) if (json_is_string(v)) explicit_bzero(
	    (char *)(uintptr_t)json_string_value(v), json_string_length(v));
}

void
bpg_secret_client_free(struct bpg_secret_client *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ncache; i++) {
		scrub_data(c->cache[i].data);
		json_decref(c->cache[i].data);
	}
	free(c->cache);
	bpg_secret_wipe_free(c->token);
	free(c->ca_path);
	free(c->pod_ns);
	free(c->api_server);
	free(c->sa_dir);
	free(c);
}

unsigned
bpg_secret_requests(const struct bpg_secret_client *c)
{
	return c->requests;
}

/*
 * Read dir/name (at most SA_FILE_MAX bytes) into *out without its trailing
 * white space.  0, or an errno value.
 */
static int
read_sa_file(const char *dir, const char *name, char **out)
{
	char path[4096], *buf;
	size_t len = 0;
	ssize_t r;
	int fd, err;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return ENAMETOOLONG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	if ((buf = malloc(SA_FILE_MAX + 1)) == NULL) {
		close(fd);
		return ENOMEM;
	}
	for (;;) {
		r = read(fd, buf + len, SA_FILE_MAX + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len > SA_FILE_MAX)
			break;
	}
	err = r == -1 ? errno : 0;
	close(fd);
	if (err == 0 && len > SA_FILE_MAX)
		err = EFBIG;
	if (err != 0) {
		explicit_bzero(buf, len);
		free(buf);
		return err;
	}
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* The token (required) and the CA (optional), once. */
static void
read_account(struct bpg_secret_client *c)
{
	char path[4096];
	const char *p;
	int err;

	if (c->sa_read)
		return;
	c->sa_read = true;
	if ((err = read_sa_file(c->sa_dir, "token", &c->token)) != 0) {
		snprintf(c->sa_why, sizeof(c->sa_why),
		    "cannot read the "
		    "service account token %s/token: %s",
		    c->sa_dir, strerror(err));
		return;
	}
	/* It goes into a header: visible ASCII only. */
	for (p = c->token; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			break;
	if (c->token[0] == '\0' || *p != '\0') {
		snprintf(c->sa_why, sizeof(c->sa_why),
		    "the service account "
		    "token %s/token is empty or holds characters a bearer "
		    "token cannot have",
		    c->sa_dir);
		bpg_secret_wipe_free(c->token);
		c->token = NULL;
		return;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/ca.crt", c->sa_dir) <
		sizeof(path) &&
	    access(path, F_OK) == 0)
		c->ca_path = strdup(path); /* NULL on ENOMEM: system CAs */
}

/* The pod's namespace, once. */
static void
read_pod_ns(struct bpg_secret_client *c)
{
	int err;

	if (c->ns_read)
		return;
	c->ns_read = true;
	if ((err = read_sa_file(c->sa_dir, "namespace", &c->pod_ns)) != 0) {
		snprintf(c->ns_why, sizeof(c->ns_why),
		    "cannot read the pod's "
		    "namespace from %s/namespace: %s",
		    c->sa_dir, strerror(err));
		return;
	}
	if (!bpg_name_label(c->pod_ns, strlen(c->pod_ns),
	    BPG_MAX_K8S_NAME)) {
		snprintf(c->ns_why, sizeof(c->ns_why),
		    "%s/namespace does not "
		    "hold a namespace name",
		    c->sa_dir);
		free(c->pod_ns);
		c->pod_ns = NULL;
	}
}

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = sz * n, ncap;
	char *nb;

	if (b->len + len + 1 > b->cap) {
		ncap = b->cap ? b->cap : 8192;
		while (ncap < b->len + len + 1)
			ncap *= 2;
		if (ncap > BPG_SECRET_MAX_BODY + 1) {
			b->overflow = true;
			return 0;
		}
		/* Not realloc(): the old block would keep a copy. */
		if ((nb = malloc(ncap)) == NULL)
			return 0;
		if (b->buf != NULL) {
			memcpy(nb, b->buf, b->len);
			explicit_bzero(b->buf, b->len);
			free(b->buf);
		}
		b->buf = nb;
		b->cap = ncap;
	}
	memcpy(b->buf + b->len, p, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return len;
}

/* snprintf() for reasons, which may be cut short. */
static void __attribute__((format(printf, 3, 4)))
say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Printable ASCII of s, at most STATUS_SHOW bytes. */
static void
clean(char *dst, size_t size, const char *s)
{
	size_t i, j;

	for (i = j = 0; s[i] != '\0' && j + 1 < size && i < STATUS_SHOW; i++)
		dst[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[j] = '\0';
}

enum attempt {
	ATT_OK, /* 200: *doc is the Secret */
	ATT_ABSENT, /* 404 */
	ATT_RETRY, /* anything else: why says what */
	ATT_NOMEM,
};

/* One GET of the Secret. */
static enum attempt
get_once(struct bpg_secret_client *c, const char *ns, const char *name,
    json_t **doc, char *why, size_t whylen)
{
	char url[URL_MAX], errbuf[CURL_ERROR_SIZE] = "", text[STATUS_SHOW + 1];
	struct curl_slist *hdrs = NULL, *h;
	struct body b = {NULL, 0, 0, false};
	enum attempt res = ATT_NOMEM;
	char *auth = NULL;
	const char *msg;
	json_t *o = NULL;
	CURLcode rc;
	long code = 0;
	CURL *curl;

	*doc = NULL;
	snprintf(url, sizeof(url), "%s/api/v1/namespaces/%s/secrets/%s",
	    c->api_server, ns, name);
	if ((curl = curl_easy_init()) == NULL)
		return ATT_NOMEM;
	if (asprintf(&auth, "Authorization: Bearer %s", c->token) < 0) {
		auth = NULL;
		goto out;
	}
	if ((h = curl_slist_append(hdrs, auth)) == NULL)
		goto out;
	hdrs = h;
	if ((h = curl_slist_append(hdrs, "Accept: application/json")) == NULL)
		goto out;
	hdrs = h;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "bpg");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(
	    curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->ca_path != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_path);
	c->requests++;
	rc = curl_easy_perform(curl);
	if (rc != CURLE_OK) {
		if (b.overflow)
			say(why, whylen,
			    "GET %s: the answer is larger "
			    "than %d bytes",
			    url, BPG_SECRET_MAX_BODY);
		else {
			clean(text, sizeof(text),
			    errbuf[0] ? errbuf : curl_easy_strerror(rc));
			say(why, whylen, "GET %s: %s", url, text);
		}
		res = ATT_RETRY;
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (code == 404) {
		res = ATT_ABSENT;
		goto out;
	}
	o = b.buf != NULL ? json_loadb(b.buf, b.len, 0, NULL) : NULL;
	if (code == 200 && json_is_object(o)) {
		*doc = o;
		o = NULL;
		res = ATT_OK;
		goto out;
	}
	/* A Status object's message says why (Kubernetes API conventions:
	 * Status); it never holds the Secret's data. */
	msg = code != 200 ? json_string_value(json_object_get(o, "message"))
			  : NULL;
	clean(text, sizeof(text),
	    msg != NULL	      ? msg
		: code == 200 ? "the answer is not a JSON object"
			      : "no Status message");
	say(why, whylen, "GET %s: HTTP %ld: %s", url, code, text);
	res = ATT_RETRY;
out:
	if (o != NULL) {
		scrub_data(json_object_get(o, "data"));
		json_decref(o);
	}
	if (b.buf != NULL) {
		explicit_bzero(b.buf, b.len);
		free(b.buf);
	}
	curl_easy_cleanup(curl);
	for (h = hdrs; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(hdrs);
	bpg_secret_wipe_free(auth);
	return res;
}

static void
pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The cache entry of ns/name, fetched on first use; NULL on ENOMEM. */
static struct cached *
fetch(struct bpg_secret_client *c, const char *ns, const char *name)
{
	struct cached *e, *nv;
	json_t *doc = NULL;
	enum attempt a = ATT_RETRY;
	size_t i;
	int n;

	for (i = 0; i < c->ncache; i++)
		if (strcmp(c->cache[i].ns, ns) == 0 &&
		    strcmp(c->cache[i].name, name) == 0)
			return &c->cache[i];
	if ((nv = reallocarray(c->cache, c->ncache + 1, sizeof(*nv))) == NULL)
		return NULL;
	c->cache = nv;
	e = &c->cache[c->ncache];
	memset(e, 0, sizeof(*e));
	snprintf(e->ns, sizeof(e->ns), "%s", ns);
	snprintf(e->name, sizeof(e->name), "%s", name);
	for (n = 0; n < c->attempts; n++) {
		if (n > 0)
			pause_ms(c->retry_ms);
		a = get_once(c, ns, name, &doc, e->why, sizeof(e->why));
		if (a != ATT_RETRY)
			break;
	}
	switch (a) {
	case ATT_NOMEM:
		return NULL;
	case ATT_OK:
		e->status = BPG_SECRET_FOUND;
		e->data = json_incref(json_object_get(doc, "data"));
		json_decref(doc);
		e->why[0] = '\0';
		break;
	case ATT_ABSENT:
		e->status = BPG_SECRET_ABSENT;
		say(e->why, sizeof(e->why), "Secret %s/%s does not exist", ns,
		    name);
		break;
	case ATT_RETRY: {
		char last[sizeof(e->why)];

		memcpy(last, e->why, sizeof(last));
		e->status = BPG_SECRET_FAILED;
		say(e->why, sizeof(e->why),
		    "Secret %s/%s could not be "
		    "read in %d attempt%s; last: %.*s",
		    ns, name, c->attempts, c->attempts == 1 ? "" : "s",
		    (int)sizeof(e->why) / 2, last);
		break;
	}
	}
	c->ncache++;
	return e;
}

enum bpg_err
bpg_secret_resolve(struct bpg_secret_client *c, const char *value, char **out,
    enum bpg_secret_result *result, struct bpg_errinfo *why)
{
	struct bpg_secret_ref ref;
	struct cached *e;
	const char *ns;
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	json_t *v;
	enum bpg_err err;

	*out = NULL;
	*result = bpg_secret_parse(value, &ref);
	switch (*result) {
	case BPG_SECRET_NOT_REF:
		return BPG_OK;
	case BPG_SECRET_MALFORMED:
		bpg_errf(why, BPG_OK,
		    "a k8s:secret: reference needs exactly "
		    "<namespace>:<name>:<key>");
		return BPG_OK;
	case BPG_SECRET_BAD_NAME:
		bpg_errf(why, BPG_OK,
		    "a k8s:secret: reference needs a "
		    "namespace name (or nothing), a Secret name and a data "
		    "key ([-._a-zA-Z0-9])");
		return BPG_OK;
	default:
		break;
	}
	read_account(c);
	if (c->token == NULL) {
		*result = BPG_SECRET_FAILED;
		bpg_errf(why, BPG_OK, "%s", c->sa_why);
		return BPG_OK;
	}
	ns = ref.ns;
	if (ns[0] == '\0') {
		read_pod_ns(c);
		if (c->pod_ns == NULL) {
			*result = BPG_SECRET_FAILED;
			bpg_errf(why, BPG_OK, "%s", c->ns_why);
			return BPG_OK;
		}
		ns = c->pod_ns;
	}
	if ((e = fetch(c, ns, ref.name)) == NULL)
		return bpg_errf(why, BPG_ENOMEM, "out of memory");
	if (e->status != BPG_SECRET_FOUND) {
		*result = e->status;
		bpg_errf(why, BPG_OK, "%s", e->why);
		return BPG_OK;
	}
	*result = BPG_SECRET_ABSENT;
	if (!json_is_object(e->data)) {
		bpg_errf(why, BPG_OK, "Secret %s/%s has no data", ns, ref.name);
		return BPG_OK;
	}
	if ((v = json_object_get(e->data, ref.key)) == NULL ||
	    json_is_null(v)) {
		bpg_errf(why, BPG_OK, "Secret %s/%s has no key \"%s\"", ns,
		    ref.name, ref.key);
		return BPG_OK;
	}
	*result = BPG_SECRET_UNUSABLE;
	if (!json_is_string(v)) {
		bpg_errf(why, BPG_OK,
		    "key \"%s\" of Secret %s/%s is not a "
		    "string",
		    ref.key, ns, ref.name);
		return BPG_OK;
	}
	err = bpg_base64_decode(
	    json_string_value(v), json_string_length(v), &raw, &rawlen);
	if (err == BPG_ENOMEM)
		return bpg_errf(why, BPG_ENOMEM, "out of memory");
	if (err != BPG_OK) {
		bpg_errf(why, BPG_OK,
		    "key \"%s\" of Secret %s/%s is not "
		    "base64",
		    ref.key, ns, ref.name);
		return BPG_OK;
	}
	/* The value becomes a C string (a password, a token). */
	if (memchr(raw, '\0', rawlen) != NULL) {
		explicit_bzero(raw, rawlen);
		free(raw);
		bpg_errf(why, BPG_OK,
		    "key \"%s\" of Secret %s/%s holds a NUL "
		    "byte",
		    ref.key, ns, ref.name);
		return BPG_OK;
	}
	*out = (char *)raw;
	*result = BPG_SECRET_FOUND;
	return BPG_OK;
}
