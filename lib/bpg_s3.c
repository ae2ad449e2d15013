/*
 * S3 client (see bpg_s3.h).  libcurl does the transport and the AWS
 * Signature Version 4 signing (CURLOPT_AWS_SIGV4); this file builds the
 * requests of the S3 REST API it needs (PutObject, GetObject, HeadObject
 * and the multipart upload calls), reads S3's small XML answers and maps
 * errors.
 *
 * Every request body is in memory before the request starts: a short or
 * failing reader is found before anything is sent, so S3 never stores a
 * truncated object (a cut PutObject may otherwise be kept by simple
 * S3-compatible stores) and the multipart upload is aborted instead.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include <curl/curl.h>

#include "bpg_s3.h"
#include "bpg_secret.h"

/*
 * x-amz-content-sha256 of a request without a body: the SHA-256 of the
 * empty string (SigV4 "HashedPayload").
 */
#define EMPTY_SHA256                                                           \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* S3 error documents and multipart answers are small; more is dropped. */
#define RESP_MAX 16384
#define MAX_ETAG BPG_S3_MAX_ETAG
#define MAX_UPLOAD_ID 1024
#define MAX_ENDPOINT 1024
#define MAX_REGION 64
#define MAX_ACCESS_KEY 256
#define MAX_SECRET 1024
#define MAX_TOKEN 8192
/* Endpoint, bucket, key encoded (3 bytes a byte) and query. */
#define URL_MAX                                                                \
	(MAX_ENDPOINT + 64 + 3 * BPG_S3_MAX_KEY + 3 * MAX_UPLOAD_ID + 128)
/* The part of a key shown in messages, in bytes. */
#define MSG_KEY_MAX 200

enum method { M_GET, M_PUT, M_POST, M_DELETE, M_HEAD };

/* Extra headers of one request: an upload's metadata and condition. */
#define MAX_EXTRA 2

struct bpg_s3 {
	CURL *curl;
	char *scheme; /* "http://" or "https://" */
	char *host; /* host[:port] */
	char *base_path; /* "" or "/path", no trailing '/' */
	char *sigv4; /* "aws:amz:<region>:s3" */
	char *access_key; /* NULL: anonymous requests */
	char *secret;
	char *token_hdr; /* "x-amz-security-token: ..." or NULL */
	bool path_style;
	long timeout_ms;
	struct bpg_s3_stats stats;

	/* One request. */
	const char *body;
	size_t body_len, body_off;
	int (*sink)(void *, const char *, size_t);
	void *sink_ctx;
	int body_mode; /* 0: not yet known, 1: to sink, 2: to resp */
	bool sink_failed;
	char resp[RESP_MAX + 1];
	size_t resp_len;
	char etag[MAX_ETAG + 1];
	bool etag_bad;
	/* HeadObject: the metadata header asked for, and its value. */
	char meta_hdr[BPG_S3_MAX_META_NAME + sizeof("x-amz-meta-")];
	char meta[BPG_S3_MAX_META_VALUE + 1];
	bool has_meta;
	long http; /* the status of the last answer */
	bool cond_unsupported; /* the store refused conditional writes */
	char url[URL_MAX];
	char errbuf[CURL_ERROR_SIZE];
};

/* What do_request() sends. */
struct req {
	const char *op; /* S3 API action, for messages */
	enum method method;
	const char *bucket, *key;
	const char *query; /* canonical query string (SigV4), or NULL */
	const char *body; /* M_PUT and M_POST */
	size_t body_len;
	const char *content_type;
	int (*sink)(void *, const char *, size_t);
	void *sink_ctx;
	/* "Name: value" headers, NULL-terminated; extra[0] may be NULL. */
	const char *extra[MAX_EXTRA + 1];
	/* Which of extra is a condition (If-Match, If-None-Match), or -1. */
	int cond;
};

/*
 * UTF-8 (RFC 3629 section 4)
 */

/*
 * Length of the well-formed UTF-8 sequence at p[0..n), n >= 1, storing its
 * code point in *cp; 0 if it is not well-formed (overlong forms,
 * surrogates, past U+10FFFF, truncated).
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* C0 controls, DEL and C1 controls (Unicode general category Cc). */
static bool
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * Check s: 1 to BPG_S3_MAX_KEY bytes of UTF-8 without control characters;
 * and, when part is true, the upload name and folder rules of
 * bpg_s3_check_key_part().
 */
static enum bpg_err
check_key(const char *s, const char *what, bool part, struct bpg_errinfo *ei)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i, len, seg;
	uint32_t cp;

	if (s == NULL || s[0] == '\0')
		return bpg_errf(ei, BPG_EINVAL, "%s is empty", what);
	n = strnlen(s, BPG_S3_MAX_KEY + 1);
	if (n > BPG_S3_MAX_KEY)
		return bpg_errf(ei, BPG_EINVAL, "%s is longer than %d bytes",
		    what, BPG_S3_MAX_KEY);
	for (i = 0; i < n; i += len) {
		if ((len = utf8_seq(p + i, n - i, &cp)) == 0)
			return bpg_errf(ei, BPG_EINVAL,
			    "%s is not valid UTF-8 (at byte %zu)", what, i);
		if (is_control(cp))
			return bpg_errf(ei, BPG_EINVAL,
			    "%s contains a control character (at byte %zu)",
			    what, i);
		if (part && cp == '\\')
			return bpg_errf(ei, BPG_EINVAL,
			    "%s contains a backslash (at byte %zu)", what, i);
	}
	if (!part)
		return BPG_OK;
	if (s[0] == '/')
		return bpg_errf(
		    ei, BPG_EINVAL, "%s must not start with '/'", what);
	if (s[n - 1] == '/')
		return bpg_errf(
		    ei, BPG_EINVAL, "%s must not end with '/'", what);
	/*
	 * Dot segments mean "this folder" and "the parent" to every tool
	 * that maps keys onto paths (RFC 3986 section 5.2.4, s3a, the
	 * console), and empty ones make keys that differ only by a '/'.
	 */
	for (i = 0; i < n; i += seg + 1) {
		seg = strcspn(s + i, "/");
		if (seg == 0)
			return bpg_errf(ei, BPG_EINVAL,
			    "%s contains an empty path segment (\"//\")", what);
		if (seg == 2 && s[i] == '.' && s[i + 1] == '.')
			return bpg_errf(ei, BPG_EINVAL,
			    "%s must not contain a \"..\" path segment", what);
		if (seg == 1 && s[i] == '.')
			return bpg_errf(ei, BPG_EINVAL,
			    "%s must not contain a \".\" path segment", what);
	}
	return BPG_OK;
}

enum bpg_err
bpg_s3_check_key_part(const char *s, const char *what, struct bpg_errinfo *ei)
{
	return check_key(s, what != NULL ? what : "key part", true, ei);
}

/*
 * Bucket names (S3 "Bucket naming rules"): 3 to 63 characters of lower-case
 * letters, digits, '.' and '-', beginning and ending with a letter or
 * digit.  Checked because the name goes into the URL's path or host.
 */
static enum bpg_err
check_bucket(const char *b, struct bpg_errinfo *ei)
{
	size_t n, i;

	if (b == NULL || (n = strnlen(b, 64)) < 3 || n > 63)
		return bpg_errf(ei, BPG_EINVAL,
		    "bucket name must be 3 to 63 characters long");
	for (i = 0; i < n; i++) {
		char c = b[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && ((c != '.' && c != '-') || i == 0 || i == n - 1))
			return bpg_errf(ei, BPG_EINVAL,
			    "bucket name is not valid (S3 bucket naming "
			    "rules)");
	}
	return BPG_OK;
}

enum bpg_err
bpg_s3_uri_encode(const char *s, size_t n, bool keep_slash, char *dst,
    size_t dstlen, size_t *outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, j = 0;

	*outlen = 0;
	if (dstlen == 0)
		return BPG_ETOOBIG;
	dst[0] = '\0';
	if (s == NULL && n != 0)
		return BPG_EINVAL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (c == '/' && keep_slash)) {
			if (dstlen - j < 2)
				goto toobig;
			dst[j++] = (char)c;
		} else {
			if (dstlen - j < 4)
				goto toobig;
			dst[j++] = '%';
			dst[j++] = hex[c >> 4];
			dst[j++] = hex[c & 0x0f];
		}
	}
	dst[j] = '\0';
	*outlen = j;
	return BPG_OK;
toobig:
	dst[0] = '\0';
	return BPG_ETOOBIG;
}

/*
 * Configuration
 */

/* Bytes 0x21..0x7e, except those in reject; 1 to max bytes. */
static bool
token_ok(const char *s, size_t max, const char *reject)
{
	size_t i, n = strnlen(s, max + 1);

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || strchr(reject, s[i]) != NULL)
			return false;
	return true;
}

static bool
empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

/* Split an endpoint URL into scheme, host[:port] and path. */
static enum bpg_err
parse_endpoint(struct bpg_s3 *s, const char *ep, struct bpg_errinfo *ei)
{
	const char *h;
	size_t hl, pl;

	if (strnlen(ep, MAX_ENDPOINT + 1) > MAX_ENDPOINT)
		return bpg_errf(ei, BPG_ECONFIG, "S3 endpoint is too long");
	if (strncasecmp(ep, "http://", 7) == 0) {
		s->scheme = strdup("http://");
		h = ep + 7;
	} else if (strncasecmp(ep, "https://", 8) == 0) {
		s->scheme = strdup("https://");
		h = ep + 8;
	} else
		return bpg_errf(ei, BPG_ECONFIG,
		    "S3 endpoint must start with http:// or https://");
	if (s->scheme == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	/* No user information, query or fragment; nothing to escape. */
	if (!token_ok(h, MAX_ENDPOINT, "@?#%\\\"<>{}|^`"))
		return bpg_errf(ei, BPG_ECONFIG,
		    "S3 endpoint has no host or has characters that are "
		    "not allowed");
	hl = strcspn(h, "/");
	if (hl == 0 || h[0] == ':')
		return bpg_errf(ei, BPG_ECONFIG, "S3 endpoint has no host");
	pl = strlen(h + hl);
	while (pl > 0 && h[hl + pl - 1] == '/')
		pl--;
	if ((s->host = strndup(h, hl)) == NULL ||
	    (s->base_path = strndup(h + hl, pl)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

static enum bpg_err
configure(struct bpg_s3 *s, const struct bpg_s3conf *c, struct bpg_errinfo *ei)
{
	const char *region =
	    empty(c->region) ? BPG_S3_DEFAULT_REGION : c->region;
	size_t i, n = strnlen(region, MAX_REGION + 1);
	enum bpg_err e;

	if (n > MAX_REGION)
		return bpg_errf(ei, BPG_ECONFIG, "S3 region is too long");
	for (i = 0; i < n; i++)
		if (!((region[i] >= 'a' && region[i] <= 'z') ||
			(region[i] >= '0' && region[i] <= '9') ||
			region[i] == '-'))
			return bpg_errf(ei, BPG_ECONFIG,
			    "S3 region must be lower-case letters, digits "
			    "and '-'");
	if (asprintf(&s->sigv4, "aws:amz:%s:s3", region) < 0) {
		s->sigv4 = NULL;
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	if (empty(c->endpoint)) {
		if ((s->scheme = strdup("https://")) == NULL ||
		    asprintf(&s->host, "s3.%s.amazonaws.com", region) < 0 ||
		    (s->base_path = strdup("")) == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	} else if ((e = parse_endpoint(s, c->endpoint, ei)) != BPG_OK)
		return e;

	if (empty(c->access_key_id) != empty(c->secret_access_key))
		return bpg_errf(ei, BPG_ECONFIG,
		    "S3 credentials need both an access key ID and a secret "
		    "access key");
	if (!empty(c->access_key_id)) {
		/* It goes into "Credential=<id>/<date>/..." (SigV4). */
		if (!token_ok(c->access_key_id, MAX_ACCESS_KEY, "/,;=\\\""))
			return bpg_errf(ei, BPG_ECONFIG,
			    "S3 access key ID is too long or has characters "
			    "that are not allowed");
		if (!token_ok(c->secret_access_key, MAX_SECRET, ""))
			return bpg_errf(ei, BPG_ECONFIG,
			    "S3 secret access key is too long or has "
			    "characters that are not allowed");
		if ((s->access_key = strdup(c->access_key_id)) == NULL ||
		    (s->secret = strdup(c->secret_access_key)) == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	if (!empty(c->session_token)) {
		/* A header value: no CR, LF or other control bytes. */
		if (!token_ok(c->session_token, MAX_TOKEN, ""))
			return bpg_errf(ei, BPG_ECONFIG,
			    "S3 session token is too long or has characters "
			    "that are not allowed");
		if (s->access_key == NULL)
			return bpg_errf(ei, BPG_ECONFIG,
			    "S3 session token given without credentials");
		if (asprintf(&s->token_hdr, "x-amz-security-token: %s",
			c->session_token) < 0) {
			s->token_hdr = NULL;
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		}
	}
	if (c->timeout_ms < 0)
		return bpg_errf(ei, BPG_ECONFIG, "S3 timeout is negative");
	s->timeout_ms =
	    c->timeout_ms > 0 ? c->timeout_ms : BPG_S3_DEFAULT_TIMEOUT_MS;
	s->path_style = c->path_style;
	return BPG_OK;
}

enum bpg_err
bpg_s3_new(
    const struct bpg_s3conf *c, struct bpg_s3 **out, struct bpg_errinfo *ei)
{
	struct bpg_s3 *s;
	enum bpg_err e;

	*out = NULL;
	if (c == NULL)
		return bpg_errf(ei, BPG_ECONFIG, "no S3 configuration");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	if ((e = configure(s, c, ei)) != BPG_OK) {
		bpg_s3_free(s);
		return e;
	}
	if ((s->curl = curl_easy_init()) == NULL) {
		bpg_s3_free(s);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	*out = s;
	return BPG_OK;
}

void
bpg_s3_free(struct bpg_s3 *s)
{
	if (s == NULL)
		return;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	free(s->scheme);
	free(s->host);
	free(s->base_path);
	free(s->sigv4);
	bpg_secret_wipe_free(s->access_key);
	bpg_secret_wipe_free(s->secret);
	bpg_secret_wipe_free(s->token_hdr);
	free(s);
}

void
bpg_s3_get_stats(const struct bpg_s3 *s, struct bpg_s3_stats *st)
{
	*st = s->stats;
}

/*
 * One request
 */

static size_t
on_read(char *buf, size_t sz, size_t n, void *arg)
{
	struct bpg_s3 *s = arg;
	size_t len = sz * n;

	if (len > s->body_len - s->body_off)
		len = s->body_len - s->body_off;
	memcpy(buf, s->body + s->body_off, len);
	s->body_off += len;
	return len;
}

/* Keep the start of an answer (errors, XML results); drop the rest. */
static void
keep(struct bpg_s3 *s, const char *p, size_t len)
{
	size_t room = RESP_MAX - s->resp_len;

	if (len > room)
		len = room;
	memcpy(s->resp + s->resp_len, p, len);
	s->resp_len += len;
	s->resp[s->resp_len] = '\0';
}

static size_t
on_write(char *p, size_t sz, size_t n, void *arg)
{
	struct bpg_s3 *s = arg;
	size_t len = sz * n;
	long code = 0;

	if (s->body_mode == 0) {
		/* The status is known once the body starts. */
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
		s->body_mode =
		    s->sink != NULL && code >= 200 && code < 300 ? 1 : 2;
	}
	if (s->body_mode == 1) {
		if (s->sink(s->sink_ctx, p, len) != 0) {
			s->sink_failed = true;
			return 0;
		}
		return len;
	}
	keep(s, p, len);
	return len;
}

/* A header line's value without the white space and CRLF around it. */
static void
trim(const char **p, size_t *len)
{
	while (*len > 0 && (**p == ' ' || **p == '\t')) {
		(*p)++;
		(*len)--;
	}
	while (*len > 0 && ((*p)[*len - 1] == '\r' ||
	    (*p)[*len - 1] == '\n' || (*p)[*len - 1] == ' ' ||
	    (*p)[*len - 1] == '\t'))
		(*len)--;
}

/*
 * If p[0..len) is the metadata header HeadObject asks for, keep its value
 * (printable ASCII, at most BPG_S3_MAX_META_VALUE bytes; else it counts
 * as absent) and return true.
 */
static bool
header_value(struct bpg_s3 *s, const char *p, size_t len)
{
	size_t n = strlen(s->meta_hdr), i;

	if (len <= n || strncasecmp(p, s->meta_hdr, n) != 0 || p[n] != ':')
		return false;
	p += n + 1;
	len -= n + 1;
	trim(&p, &len);
	s->has_meta = len <= BPG_S3_MAX_META_VALUE;
	for (i = 0; i < len && s->has_meta; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			s->has_meta = false;
	if (s->has_meta) {
		memcpy(s->meta, p, len);
		s->meta[len] = '\0';
	}
	return true;
}

/* Picks the ETag of an UploadPart answer (S3 API: UploadPart). */
static size_t
on_header(char *line, size_t sz, size_t n, void *arg)
{
	struct bpg_s3 *s = arg;
	const char *p = line;
	size_t total = sz * n, len = total, i;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or 1xx). */
		s->etag[0] = '\0';
		s->etag_bad = false;
		s->meta[0] = '\0';
		s->has_meta = false;
		return total;
	}
	if (s->meta_hdr[0] != '\0' && header_value(s, p, len))
		return total;
	if (len < 5 || strncasecmp(p, "etag:", 5) != 0)
		return total;
	p += 5;
	len -= 5;
	trim(&p, &len);
	/* It goes back into the CompleteMultipartUpload XML. */
	s->etag_bad = len == 0 || len > MAX_ETAG;
	for (i = 0; i < len && !s->etag_bad; i++)
		if (p[i] < 0x21 || p[i] > 0x7e || p[i] == '<' || p[i] == '>' ||
		    p[i] == '&')
			s->etag_bad = true;
	if (!s->etag_bad) {
		memcpy(s->etag, p, len);
		s->etag[len] = '\0';
	}
	return total;
}

/*
 * Text of the first <tag>...</tag> in doc, with the predefined XML
 * entities decoded (XML 1.0 section 4.6).  When strict, false for any byte
 * outside 0x21..0x7e; otherwise such bytes become '?' (the text goes into
 * messages and logs).  false if the element is absent or too long.
 */
static bool
xml_text(
    const char *doc, const char *tag, bool strict, char *out, size_t outlen)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {
	    {"&amp;", '&'},
	    {"&lt;", '<'},
	    {"&gt;", '>'},
	    {"&quot;", '"'},
	    {"&apos;", '\''},
	};
	char open[64], close[64];
	const char *p, *end;
	size_t j = 0, k;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	if ((p = strstr(doc, open)) == NULL)
		return false;
	p += strlen(open);
	if ((end = strstr(p, close)) == NULL)
		return false;
	while (p < end) {
		char c = *p++;

		if (c == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t el = strlen(ents[k].ent) - 1;

				if ((size_t)(end - p) >= el &&
				    strncmp(p, ents[k].ent + 1, el) == 0) {
					c = ents[k].c;
					p += el;
					break;
				}
			}
		}
		if (c < 0x20 || c > 0x7e || (strict && c == ' ')) {
			if (strict)
				return false;
			c = '?';
		}
		if (j + 1 >= outlen)
			return false;
		out[j++] = c;
	}
	out[j] = '\0';
	return j > 0 || !strict;
}

/* The start of a key for messages, cut at a UTF-8 character boundary. */
static void
short_key(const char *key, char *buf, size_t buflen)
{
	size_t n = strlen(key);

	if (n <= MSG_KEY_MAX && n < buflen) {
		memcpy(buf, key, n + 1);
		return;
	}
	n = MSG_KEY_MAX < buflen - 4 ? MSG_KEY_MAX : buflen - 4;
	while (n > 0 && ((unsigned char)key[n] & 0xc0) == 0x80)
		n--;
	memcpy(buf, key, n);
	memcpy(buf + n, "...", 4);
}

static enum bpg_err
http_error(long http, const char *code)
{
	if (http == 404 || strcmp(code, "NoSuchKey") == 0 ||
	    strcmp(code, "NoSuchBucket") == 0 ||
	    strcmp(code, "NoSuchUpload") == 0)
		return BPG_ENOTFOUND;
	/* S3 closed a connection that sent nothing for too long. */
	if (strcmp(code, "RequestTimeout") == 0)
		return BPG_ETIMEOUT;
	/*
	 * A conditional write that did not hold (S3 API: PutObject,
	 * "Conditional writes"): 412 PreconditionFailed, or 409
	 * ConditionalRequestConflict for one that raced another write.
	 */
	if (http == 412 || strcmp(code, "PreconditionFailed") == 0 ||
	    strcmp(code, "ConditionalRequestConflict") == 0)
		return BPG_EEXIST;
	return BPG_EUPSTREAM;
}

/* Error out of an S3 XML error document. */
static enum bpg_err
s3_error(
    struct bpg_s3 *s, const struct req *r, long http, struct bpg_errinfo *ei)
{
	char code[64], msg[256], key[MSG_KEY_MAX + 4];

	if (!xml_text(s->resp, "Code", false, code, sizeof(code)))
		code[0] = '\0';
	if (!xml_text(s->resp, "Message", false, msg, sizeof(msg)))
		msg[0] = '\0';
	short_key(r->key, key, sizeof(key));
	return bpg_errf(ei, http_error(http, code),
	    "S3 %s s3://%s/%s: HTTP %ld%s%s%s%s", r->op, r->bucket, key, http,
	    code[0] != '\0' ? " " : "", code, msg[0] != '\0' ? ": " : "", msg);
}

static enum bpg_err
build_url(struct bpg_s3 *s, const struct req *r, struct bpg_errinfo *ei)
{
	char enc[3 * BPG_S3_MAX_KEY + 1];
	size_t elen;
	int n;

	if (bpg_s3_uri_encode(r->key, strlen(r->key), true, enc, sizeof(enc),
		&elen) != BPG_OK)
		return bpg_errf(ei, BPG_EINVAL, "S3 key is too long");
	/*
	 * Virtual-hosted style unless configured otherwise; a bucket name
	 * with '.' would not match a wildcard TLS certificate, so it is
	 * addressed path-style, as the AWS SDKs do.
	 */
	if (s->path_style || strchr(r->bucket, '.') != NULL)
		n = snprintf(s->url, sizeof(s->url), "%s%s%s/%s/%s%s%s",
		    s->scheme, s->host, s->base_path, r->bucket, enc,
		    r->query != NULL ? "?" : "",
		    r->query != NULL ? r->query : "");
	else
		n = snprintf(s->url, sizeof(s->url), "%s%s.%s%s/%s%s%s",
		    s->scheme, r->bucket, s->host, s->base_path, enc,
		    r->query != NULL ? "?" : "",
		    r->query != NULL ? r->query : "");
	if (n < 0 || (size_t)n >= sizeof(s->url))
		return bpg_errf(ei, BPG_EINVAL, "S3 URL is too long");
	return BPG_OK;
}

static struct curl_slist *
add_header(struct curl_slist **list, const char *h)
{
	struct curl_slist *l = curl_slist_append(*list, h);

	if (l != NULL)
		*list = l;
	return l;
}

/* Free a header list; the token header is wiped first. */
static void
free_headers(struct curl_slist *list)
{
	struct curl_slist *h;

	for (h = list; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(list);
}

static enum bpg_err
do_request(struct bpg_s3 *s, const struct req *r, struct bpg_errinfo *ei)
{
	struct curl_slist *hdrs = NULL;
	char ct[128], key[MSG_KEY_MAX + 4];
	long http = 0, nconn = 0;
	int i;
	CURLcode rc;
	CURL *c = s->curl;
	enum bpg_err e;

	if ((e = build_url(s, r, ei)) != BPG_OK)
		return e;
	/*
	 * SigV4 signs x-amz-content-sha256; UNSIGNED-PAYLOAD is allowed for
	 * any S3 request and spares hashing each body a second time.
	 */
	if (add_header(&hdrs,
		r->method == M_PUT || r->method == M_POST
		    ? "x-amz-content-sha256: UNSIGNED-PAYLOAD"
		    : "x-amz-content-sha256: " EMPTY_SHA256) == NULL ||
	    (s->token_hdr != NULL && add_header(&hdrs, s->token_hdr) == NULL))
		goto nomem;
	/*
	 * No "Expect:" here to turn off 100-continue: libcurl 7.88 signs
	 * every header of this list, even an empty one it does not send,
	 * which breaks the signature.  100-continue is harmless (S3 answers
	 * it, and refuses a bad request before the body is sent).
	 */
	if (r->content_type != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", r->content_type);
		if (add_header(&hdrs, ct) == NULL)
			goto nomem;
	}
	for (i = 0; r->extra[i] != NULL; i++)
		if ((i != r->cond || !s->cond_unsupported) &&
		    add_header(&hdrs, r->extra[i]) == NULL)
			goto nomem;

	/*
	 * A reset per request clears the method and body options of the
	 * previous one; it keeps the connection cache (keep-alive).
	 */
	curl_easy_reset(c);
	s->body = r->body;
	s->body_len = r->body_len;
	s->body_off = 0;
	s->sink = r->sink;
	s->sink_ctx = r->sink_ctx;
	s->body_mode = 0;
	s->sink_failed = false;
	s->resp[0] = '\0';
	s->resp_len = 0;
	s->etag[0] = '\0';
	s->etag_bad = false;
	s->meta[0] = '\0';
	s->has_meta = false;
	s->http = 0;
	s->errbuf[0] = '\0';

	curl_easy_setopt(c, CURLOPT_URL, s->url);
	/* Keys are names, not paths: "a/../b" must reach S3 as such. */
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "bpg");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	/*
	 * BPG's 180 s are the AWS SDK's connection and socket timeouts: a
	 * bound on connecting and on silence, not on a whole transfer, which
	 * for a large log object may take longer.
	 */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(
	    c, CURLOPT_LOW_SPEED_TIME, (s->timeout_ms + 999) / 1000);
	if (s->access_key != NULL) {
		curl_easy_setopt(c, CURLOPT_AWS_SIGV4, s->sigv4);
		/* Not CURLOPT_USERPWD: an access key ID may hold a ':'. */
		curl_easy_setopt(c, CURLOPT_USERNAME, s->access_key);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->secret);
	}
	switch (r->method) {
	case M_GET:
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		break;
	case M_PUT:
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, s);
		curl_easy_setopt(
		    c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
		break;
	case M_POST:
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
		curl_easy_setopt(
		    c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		break;
	case M_DELETE:
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	case M_HEAD:
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		break;
	}

	rc = curl_easy_perform(c);
	s->stats.requests++;
	if (curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &nconn) == CURLE_OK)
		s->stats.connects += nconn;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &http);
	s->http = http;
	/* The list holds the session token; curl keeps no pointer to it. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	free_headers(hdrs);
	s->body = NULL;
	s->sink = NULL;

	if (rc != CURLE_OK) {
		short_key(r->key, key, sizeof(key));
		if (rc == CURLE_WRITE_ERROR && s->sink_failed)
			return bpg_errf(ei, BPG_EIO,
			    "S3 %s s3://%s/%s: output closed", r->op, r->bucket,
			    key);
		if (rc == CURLE_OUT_OF_MEMORY)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		return bpg_errf(ei,
		    rc == CURLE_OPERATION_TIMEDOUT ? BPG_ETIMEOUT
						   : BPG_EUPSTREAM,
		    "S3 %s s3://%s/%s: %s%s%s", r->op, r->bucket, key,
		    curl_easy_strerror(rc), s->errbuf[0] != '\0' ? ": " : "",
		    s->errbuf);
	}
	if (http < 200 || http > 299)
		return s3_error(s, r, http, ei);
	return BPG_OK;
nomem:
	free_headers(hdrs);
	return bpg_errf(ei, BPG_ENOMEM, "out of memory");
}

/*
 * Upload
 */

/* Read exactly want bytes of the body into buf. */
static enum bpg_err
fill(long (*rd)(void *, char *, size_t), void *ctx, char *buf, size_t want,
    long long done, long long total, struct bpg_errinfo *ei)
{
	size_t got = 0;
	long r;

	while (got < want) {
		r = rd(ctx, buf + got, want - got);
		if (r < 0)
			return bpg_errf(
			    ei, BPG_EIO, "reading the upload body failed");
		if (r == 0)
			return bpg_errf(ei, BPG_EINVAL,
			    "the body is shorter than its content length "
			    "(%lld of %lld bytes)",
			    done + (long long)got, total);
		if ((size_t)r > want - got)
			return bpg_errf(ei, BPG_EIO,
			    "reading the upload body failed (%ld bytes "
			    "returned for %zu)",
			    r, want - got);
		got += (size_t)r;
	}
	return BPG_OK;
}

/*
 * After content_length bytes the body must end (spec section 6: the
 * declared length must match the body).
 */
static enum bpg_err
expect_end(long (*rd)(void *, char *, size_t), void *ctx, long long total,
    struct bpg_errinfo *ei)
{
	char c;
	long r = rd(ctx, &c, 1);

	if (r < 0)
		return bpg_errf(ei, BPG_EIO, "reading the upload body failed");
	if (r > 0)
		return bpg_errf(ei, BPG_EINVAL,
		    "the body is longer than its content length (%lld bytes)",
		    total);
	return BPG_OK;
}

/*
 * A write that may carry a condition.  A store that answers 501 Not
 * Implemented to it (one without conditional writes) is asked again
 * without, and never again on this handle; the check the caller made
 * before (bpg_s3_head()) is then all there is.
 */
static enum bpg_err
do_write(struct bpg_s3 *s, const struct req *r, struct bpg_errinfo *ei)
{
	enum bpg_err e = do_request(s, r, ei);

	if (e != BPG_OK && s->http == 501 && r->cond >= 0 &&
	    r->extra[r->cond] != NULL && !s->cond_unsupported) {
		syslog(LOG_WARNING, "%s; writing without conditions from now on",
		    ei->msg);
		s->cond_unsupported = true;
		e = do_request(s, r, ei);
	}
	return e;
}

/* The headers of bpg_s3_put_with()'s options. */
struct put_hdrs {
	char meta[sizeof("x-amz-meta-: ") + BPG_S3_MAX_META_NAME +
	    BPG_S3_MAX_META_VALUE];
	char cond[sizeof("If-Match: ") + MAX_ETAG];
};

/* printable ASCII (header values), at most max bytes */
static bool
printable(const char *v, size_t max)
{
	size_t i;

	for (i = 0; v[i] != '\0'; i++)
		if (i >= max || v[i] < 0x20 || v[i] > 0x7e)
			return false;
	return true;
}

/* A metadata name: 1 to BPG_S3_MAX_META_NAME of [a-z0-9-]. */
static bool
meta_name_ok(const char *n)
{
	size_t i;

	for (i = 0; n[i] != '\0'; i++)
		if (i >= BPG_S3_MAX_META_NAME ||
		    !((n[i] >= 'a' && n[i] <= 'z') ||
			(n[i] >= '0' && n[i] <= '9') || n[i] == '-'))
			return false;
	return i > 0;
}

static enum bpg_err
put_hdrs_of(
    const struct bpg_s3_put_opts *o, struct put_hdrs *h, struct bpg_errinfo *ei)
{
	h->meta[0] = h->cond[0] = '\0';
	if (o == NULL)
		return BPG_OK;
	if ((o->meta_name == NULL) != (o->meta_value == NULL))
		return bpg_errf(ei, BPG_EINVAL,
		    "S3 metadata needs both a name and a value");
	if (o->meta_name != NULL) {
		if (!meta_name_ok(o->meta_name) ||
		    !printable(o->meta_value, BPG_S3_MAX_META_VALUE))
			return bpg_errf(ei, BPG_EINVAL,
			    "S3 metadata name or value not allowed");
		snprintf(h->meta, sizeof(h->meta), "x-amz-meta-%s: %s",
		    o->meta_name, o->meta_value);
	}
	if (o->if_none_match && o->if_match != NULL)
		return bpg_errf(ei, BPG_EINVAL,
		    "S3 write: If-Match or If-None-Match, not both");
	if (o->if_none_match)
		snprintf(h->cond, sizeof(h->cond), "If-None-Match: *");
	else if (o->if_match != NULL) {
		if (o->if_match[0] == '\0' || !printable(o->if_match, MAX_ETAG))
			return bpg_errf(ei, BPG_EINVAL, "S3 write: bad ETag");
		snprintf(h->cond, sizeof(h->cond), "If-Match: %s", o->if_match);
	}
	return BPG_OK;
}

/* Set r's extra headers: those of h that are wanted and not empty. */
static void
set_extra(struct req *r, const char *meta, const char *cond)
{
	int n = 0;

	r->cond = -1;
	if (meta != NULL && meta[0] != '\0')
		r->extra[n++] = meta;
	if (cond != NULL && cond[0] != '\0') {
		r->cond = n;
		r->extra[n++] = cond;
	}
	r->extra[n] = NULL;
}

static enum bpg_err
put_single(struct bpg_s3 *s, const char *bucket, const char *key, size_t len,
    long (*rd)(void *, char *, size_t), void *ctx, const struct put_hdrs *h,
    struct bpg_errinfo *ei)
{
	struct req r = {"PutObject", M_PUT, bucket, key, NULL, NULL, 0,
	    "application/octet-stream", NULL, NULL, {NULL}, -1};
	char *buf;
	enum bpg_err e;

	set_extra(&r, h->meta, h->cond);

	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	if ((e = fill(rd, ctx, buf, len, 0, (long long)len, ei)) == BPG_OK &&
	    (e = expect_end(rd, ctx, (long long)len, ei)) == BPG_OK) {
		r.body = buf;
		r.body_len = len;
		e = do_write(s, &r, ei);
	}
	free(buf);
	return e;
}

/* A growing string for the CompleteMultipartUpload document. */
struct sbuf {
	char *p;
	size_t len, cap;
};

static bool sbuf_printf(struct sbuf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static bool
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p != NULL ? b->p + b->len : NULL,
		    b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return false;
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return true;
		}
		{
			size_t ncap = b->cap ? b->cap * 2 : 4096;
			char *np;

			while (ncap - b->len <= (size_t)n)
				ncap *= 2;
			if ((np = realloc(b->p, ncap)) == NULL)
				return false;
			b->p = np;
			b->cap = ncap;
		}
	}
}

/*
 * AbortMultipartUpload, after a failure: frees the parts S3 would
 * otherwise keep (and bill) until a lifecycle rule removes them.  Its own
 * failure is logged; the caller reports the first error.
 */
static void
abort_upload(
    struct bpg_s3 *s, const char *bucket, const char *key, const char *query)
{
	struct req r = {"AbortMultipartUpload", M_DELETE, bucket, key, query,
	    NULL, 0, NULL, NULL, NULL, {NULL}, -1};
	struct bpg_errinfo aei = {""};

	s->stats.aborts++;
	if (do_request(s, &r, &aei) != BPG_OK) {
		s->stats.aborts_failed++;
		syslog(LOG_WARNING, "%s", aei.msg);
	}
}

static enum bpg_err
put_multipart(struct bpg_s3 *s, const char *bucket, const char *key,
    long long len, long (*rd)(void *, char *, size_t), void *ctx,
    const struct put_hdrs *h, struct bpg_errinfo *ei)
{
	struct req r = {"CreateMultipartUpload", M_POST, bucket, key,
	    "uploads=", NULL, 0, "application/octet-stream", NULL, NULL, {NULL},
	    -1};
	char upload_id[MAX_UPLOAD_ID + 1], enc_id[3 * MAX_UPLOAD_ID + 1];
	char q_id[sizeof(enc_id) + 16], q_part[sizeof(enc_id) + 40];
	char kbuf[MSG_KEY_MAX + 4];
	struct sbuf doc = {NULL, 0, 0};
	long long done = 0;
	char *buf = NULL;
	size_t part_len, elen;
	int part;
	enum bpg_err e;

	if ((buf = malloc((size_t)BPG_S3_PART_SIZE)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	/*
	 * The first part is read before the upload is created, so a body
	 * that is short from the start costs no S3 request.
	 */
	part_len = (size_t)BPG_S3_PART_SIZE;
	if ((e = fill(rd, ctx, buf, part_len, 0, len, ei)) != BPG_OK)
		goto out;

	/* The metadata goes with the upload, the condition with its end. */
	set_extra(&r, h->meta, NULL);
	if ((e = do_request(s, &r, ei)) != BPG_OK)
		goto out;
	if (!xml_text(
		s->resp, "UploadId", true, upload_id, sizeof(upload_id))) {
		short_key(key, kbuf, sizeof(kbuf));
		e = bpg_errf(ei, BPG_EUPSTREAM,
		    "S3 CreateMultipartUpload s3://%s/%s: no UploadId in the "
		    "answer",
		    bucket, kbuf);
		goto out;
	}
	/* Query strings in SigV4 canonical form: sorted, encoded. */
	if (bpg_s3_uri_encode(upload_id, strlen(upload_id), false, enc_id,
		sizeof(enc_id), &elen) != BPG_OK) {
		/* Not reached: enc_id is sized for the longest ID. */
		e = bpg_errf(ei, BPG_EUPSTREAM, "S3 UploadId is too long");
		goto out;
	}
	snprintf(q_id, sizeof(q_id), "uploadId=%s", enc_id);
	if (!sbuf_printf(&doc,
		"<CompleteMultipartUpload "
		"xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">")) {
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}

	for (part = 1;; part++) {
		if (part > 1) {
			part_len = len - done < BPG_S3_PART_SIZE
			    ? (size_t)(len - done)
			    : (size_t)BPG_S3_PART_SIZE;
			if ((e = fill(rd, ctx, buf, part_len, done, len, ei)) !=
			    BPG_OK)
				goto fail;
		}
		if (done + (long long)part_len == len &&
		    (e = expect_end(rd, ctx, len, ei)) != BPG_OK)
			goto fail;
		snprintf(q_part, sizeof(q_part), "partNumber=%d&uploadId=%s",
		    part, enc_id);
		r = (struct req){"UploadPart", M_PUT, bucket, key, q_part, buf,
		    part_len, NULL, NULL, NULL, {NULL}, -1};
		if ((e = do_request(s, &r, ei)) != BPG_OK)
			goto fail;
		if (s->etag[0] == '\0' || s->etag_bad) {
			short_key(key, kbuf, sizeof(kbuf));
			e = bpg_errf(ei, BPG_EUPSTREAM,
			    "S3 UploadPart s3://%s/%s: no usable ETag in the "
			    "answer for part %d",
			    bucket, kbuf, part);
			goto fail;
		}
		if (!sbuf_printf(&doc,
			"<Part><PartNumber>%d</PartNumber><ETag>%s</ETag>"
			"</Part>",
			part, s->etag)) {
			e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
			goto fail;
		}
		done += (long long)part_len;
		if (done == len)
			break;
	}
	free(buf);
	buf = NULL;
	if (!sbuf_printf(&doc, "</CompleteMultipartUpload>")) {
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}
	r = (struct req){"CompleteMultipartUpload", M_POST, bucket, key, q_id,
	    doc.p, doc.len, "application/xml", NULL, NULL, {NULL}, -1};
	set_extra(&r, NULL, h->cond);
	if ((e = do_write(s, &r, ei)) != BPG_OK)
		goto fail;
	/*
	 * CompleteMultipartUpload may answer 200 and still fail, with an
	 * <Error> document as the body (S3 API: CompleteMultipartUpload).
	 */
	if (strstr(s->resp, "<Error>") != NULL) {
		e = s3_error(s, &r, 200, ei);
		goto fail;
	}
	e = BPG_OK;
	goto out;
fail:
	abort_upload(s, bucket, key, q_id);
out:
	free(doc.p);
	free(buf);
	return e;
}

enum bpg_err
bpg_s3_put(struct bpg_s3 *s, const char *bucket, const char *key,
    long long content_length, long (*rd)(void *, char *, size_t), void *ctx,
    struct bpg_errinfo *ei)
{
	return bpg_s3_put_with(
	    s, bucket, key, content_length, rd, ctx, NULL, ei);
}

enum bpg_err
bpg_s3_put_with(struct bpg_s3 *s, const char *bucket, const char *key,
    long long content_length, long (*rd)(void *, char *, size_t), void *ctx,
    const struct bpg_s3_put_opts *opts, struct bpg_errinfo *ei)
{
	struct put_hdrs h;
	enum bpg_err e;

	if ((e = check_bucket(bucket, ei)) != BPG_OK ||
	    (e = check_key(key, "S3 key", false, ei)) != BPG_OK ||
	    (e = put_hdrs_of(opts, &h, ei)) != BPG_OK)
		return e;
	if (rd == NULL)
		return bpg_errf(ei, BPG_EINVAL, "no body reader");
	if (content_length < 0)
		return bpg_errf(ei, BPG_EINVAL, "content length is negative");
	if (content_length > BPG_S3_MAX_OBJECT)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "content length %lld is over the upload limit of %lld "
		    "bytes",
		    content_length, (long long)BPG_S3_MAX_OBJECT);
	if (content_length <= BPG_S3_SINGLE_PUT_MAX)
		return put_single(
		    s, bucket, key, (size_t)content_length, rd, ctx, &h, ei);
	return put_multipart(s, bucket, key, content_length, rd, ctx, &h, ei);
}

/*
 * HeadObject
 */

enum bpg_err
bpg_s3_head(struct bpg_s3 *s, const char *bucket, const char *key,
    const char *meta_name, struct bpg_s3_head *out, struct bpg_errinfo *ei)
{
	struct req r = {"HeadObject", M_HEAD, bucket, key, NULL, NULL, 0, NULL,
	    NULL, NULL, {NULL}, -1};
	enum bpg_err e;

	memset(out, 0, sizeof(*out));
	if ((e = check_bucket(bucket, ei)) != BPG_OK ||
	    (e = check_key(key, "S3 key", false, ei)) != BPG_OK)
		return e;
	if (meta_name != NULL && !meta_name_ok(meta_name))
		return bpg_errf(ei, BPG_EINVAL, "S3 metadata name not allowed");
	r.cond = -1;
	if (meta_name != NULL)
		snprintf(s->meta_hdr, sizeof(s->meta_hdr), "x-amz-meta-%s",
		    meta_name);
	e = do_request(s, &r, ei);
	s->meta_hdr[0] = '\0';
	if (e != BPG_OK)
		return e;
	out->has_meta = s->has_meta;
	if (s->has_meta)
		memcpy(out->meta, s->meta, sizeof(out->meta));
	if (!s->etag_bad)
		memcpy(out->etag, s->etag, sizeof(out->etag));
	return BPG_OK;
}

/*
 * Download
 */

enum bpg_err
bpg_s3_get(struct bpg_s3 *s, const char *bucket, const char *key,
    int (*wr)(void *, const char *, size_t), void *ctx, struct bpg_errinfo *ei)
{
	struct req r = {"GetObject", M_GET, bucket, key, NULL, NULL, 0, NULL,
	    wr, ctx, {NULL}, -1};
	enum bpg_err e;

	if ((e = check_bucket(bucket, ei)) != BPG_OK ||
	    (e = check_key(key, "S3 key", false, ei)) != BPG_OK)
		return e;
	if (wr == NULL)
		return bpg_errf(ei, BPG_EINVAL, "no output");
	return do_request(s, &r, ei);
}
