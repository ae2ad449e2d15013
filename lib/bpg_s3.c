/*
 * S3 client (see bpg_s3.h).  libcurl does the transport and the AWS
 * Signature Version 4 signing (CURLOPT_AWS_SIGV4); this file configures
 * the client, sends one request of the S3 REST API at a time, reads S3's
 * small XML answers, maps errors, and makes GetObject and HeadObject.
 * Uploads (PutObject, the multipart calls) are in bpg_s3_put.c, the key
 * and bucket rules in bpg_s3_key.c.
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

#include "bpg_s3_int.h"
#include "bpg_secret.h"

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
bool
s3_xml_text(
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
void
s3_short_key(const char *key, char *buf, size_t buflen)
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
enum bpg_err
s3_error(
    struct bpg_s3 *s, const struct req *r, long http, struct bpg_errinfo *ei)
{
	char code[64], msg[256], key[MSG_KEY_MAX + 4];

	if (!s3_xml_text(s->resp, "Code", false, code, sizeof(code)))
		code[0] = '\0';
	if (!s3_xml_text(s->resp, "Message", false, msg, sizeof(msg)))
		msg[0] = '\0';
	s3_short_key(r->key, key, sizeof(key));
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

enum bpg_err
s3_request(struct bpg_s3 *s, const struct req *r, struct bpg_errinfo *ei)
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
		s3_short_key(r->key, key, sizeof(key));
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
	if ((e = s3_check_bucket(bucket, ei)) != BPG_OK ||
	    (e = s3_check_key(key, "S3 key", false, ei)) != BPG_OK)
		return e;
	if (meta_name != NULL && !s3_meta_name_ok(meta_name))
		return bpg_errf(ei, BPG_EINVAL, "S3 metadata name not allowed");
	r.cond = -1;
	if (meta_name != NULL)
		snprintf(s->meta_hdr, sizeof(s->meta_hdr), "x-amz-meta-%s",
		    meta_name);
	e = s3_request(s, &r, ei);
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

	if ((e = s3_check_bucket(bucket, ei)) != BPG_OK ||
	    (e = s3_check_key(key, "S3 key", false, ei)) != BPG_OK)
		return e;
	if (wr == NULL)
		return bpg_errf(ei, BPG_EINVAL, "no output");
	return s3_request(s, &r, ei);
}
