/*
 * POST /s3/{name} (bpg-reference section 6).
 *
 * The upload is read from the FastCGI input in S3-part-sized pieces by
 * bpg_s3_put() (the route has no BODY flag, so bpg_api.c reads nothing),
 * so the worker never holds it whole.
 *
 * An upload records its uploader in the object's metadata
 * (x-amz-meta-bpg-uploader, the user name URI-encoded) and may replace
 * only an object the same user uploaded: BPG lets anyone overwrite anyone's
 * artifact under the same folder and name, which runs as that user's next
 * job.  The object is looked at first (HeadObject); the write is then
 * conditional (If-None-Match: * for a new key, If-Match: <ETag> for the
 * user's own object) where the store supports it, so that a concurrent
 * upload cannot slip in between.  s3rver ignores these conditions: there
 * the HeadObject check is all there is.  Either refusal is a 409.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>
#include <uuid/uuid.h>

#include "bpg_api_upload.h"
#include "bpg_api_util.h"
#include "bpg_limits.h"
#include "bpg_log.h"
#include "bpg_s3.h"

/* The object metadata (x-amz-meta-...) that names the uploader. */
#define UPLOADER_META "bpg-uploader"

/* Strictly [0-9]+ into a long long; false on anything else. */
static bool
parse_length(const char *s, long long *out)
{
	long long v = 0;
	size_t i;

	if (s[0] == '+')
		s++;
	if (s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' ||
		    v > (LLONG_MAX - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

enum bpg_err
api_upload_length(const char *query, const char *header, long long *out,
    struct bpg_errinfo *ei)
{
	/* The query parameter wins (section 6 step 2); empty is absent. */
	if (query != NULL && query[0] != '\0') {
		/* BPG's router answers 404 here; a 400 names the problem. */
		if (!parse_length(query, out))
			return bpg_errf(ei, BPG_EINVAL, "Please provide valid "
			    "value for content-length in query parameter");
		return BPG_OK;
	}
	if (header == NULL || header[0] == '\0')
		return bpg_errf(ei, BPG_EINVAL, "Please provide content-length "
		    "in http request header or query parameter");
	if (!parse_length(header, out))
		return bpg_errf(ei, BPG_EINVAL, "Please provide valid value for "
		    "content-length in http request header");
	return BPG_OK;
}

/* s[0..*n) without leading and trailing '/'. */
static const char *
strip_slashes(const char *s, size_t *n)
{
	size_t len = strlen(s);

	while (len > 0 && s[0] == '/') {
		s++;
		len--;
	}
	while (len > 0 && s[len - 1] == '/')
		len--;
	*n = len;
	return s;
}

enum bpg_err
api_upload_key(const char *s3_folder, const char *folder, const char *name,
    time_t now, const char *uuid, char *out, size_t outlen,
    struct bpg_errinfo *ei)
{
	char part[BPG_S3_MAX_KEY + 1], day[16];
	const char *p, *pre;
	size_t n, plen;
	struct tm tm;
	enum bpg_err e;
	int len;

	if (outlen > 0)
		out[0] = '\0';
	if ((e = bpg_s3_check_key_part(name, "name", ei)) != BPG_OK)
		return e;
	/*
	 * BPG strips every leading and trailing '/' of the folder and uses
	 * the rest as it is; here it must also be a clean relative path.
	 * A folder of nothing but '/' is no folder.
	 */
	part[0] = '\0';
	if (folder != NULL) {
		p = strip_slashes(folder, &n);
		if (n > BPG_S3_MAX_KEY)
			return bpg_errf(ei, BPG_EINVAL, "folder is longer than "
			    "%d bytes", BPG_S3_MAX_KEY);
		memcpy(part, p, n);
		part[n] = '\0';
		if (n > 0 && (e = bpg_s3_check_key_part(part, "folder",
		    ei)) != BPG_OK)
			return e;
	}
	if (part[0] == '\0') {
		/* <yyyyMMdd in UTC>/<random UUID> (section 6 step 3). */
		if (gmtime_r(&now, &tm) == NULL ||
		    strftime(day, sizeof(day), "%Y%m%d", &tm) == 0)
			return bpg_errf(ei, BPG_EINVAL, "bad clock");
		snprintf(part, sizeof(part), "%s/%s", day, uuid);
	}
	/* An absent s3Folder gives no prefix (BPG prints "null", a quirk). */
	pre = strip_slashes(s3_folder != NULL ? s3_folder : "", &plen);
	len = snprintf(out, outlen, "%.*s%s%s/%s", (int)plen, pre,
	    plen > 0 ? "/" : "", part, name);
	if (len < 0 || (size_t)len >= outlen || len > BPG_S3_MAX_KEY) {
		if (outlen > 0)
			out[0] = '\0';
		return bpg_errf(ei, BPG_EINVAL, "the object key would be longer "
		    "than %d bytes", BPG_S3_MAX_KEY);
	}
	return BPG_OK;
}

/* The request body, counted, for bpg_s3_put(). */
struct upload_src {
	const struct bpg_http_io *io;
	long long got;
	bool eof;
	bool failed;
	bool slow;		/* under the low-speed limit */
	bool stop;		/* the worker is asked to stop */
};

static long
upload_read(void *ctx, char *buf, size_t n)
{
	struct upload_src *s = ctx;
	long r = s->io->read(s->io->ctx, buf, n);

	if (r > 0)
		s->got += r;
	else if (r == 0)
		s->eof = true;
	else {
		s->failed = true;
		s->slow = r == BPG_HTTP_READ_SLOW;
		s->stop = r == BPG_HTTP_READ_STOP;
	}
	return r;
}

static void
upload_fail(struct route_ctx *rc, int status, const char *what,
    const char *msg)
{
	/* Room for a message naming a whole key. */
	char text[BPG_S3_MAX_KEY + 256];

	snprintf(text, sizeof(text), "Failed to upload to %s: %s", what, msg);
	api_reply_error(rc->resp, status, WAE, text);
}

void
api_h_upload(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	const struct bpg_config *cfg = api->cfg;
	const char *bucket = cfg->s3_bucket;
	struct bpg_errinfo ei = { "" };
	struct upload_src src;
	struct bpg_s3_put_opts opts;
	struct bpg_s3_head head;
	char who[3 * BPG_MAX_USER + 1];
	size_t wlen;
	char key[BPG_S3_MAX_KEY + 1], uuid[37], hdr[32] = "";
	char *qlen = NULL, *folder = NULL, text[BPG_S3_MAX_KEY + 128];
	long long len = 0;
	uuid_t u;
	enum bpg_err e;
	int status;
	json_t *doc;

	/* Section 6 step 1: the bucket, or GCS mode. */
	if (bucket == NULL || bucket[0] == '\0') {
		upload_fail(rc, 500, "s3", "the gateway has no s3Bucket "
		    "configured");
		return;
	}
	if (strncasecmp(bucket, "gs://", 5) == 0) {
		upload_fail(rc, 501, "GCS", "uploads to Google Cloud Storage "
		    "are not supported by this gateway");
		return;
	}
	/* Step 2: the length, needed before the first byte is read. */
	if (rc->req->content_length >= 0)
		snprintf(hdr, sizeof(hdr), "%lld", rc->req->content_length);
	if (rc->query != NULL)
		qlen = api_query_param(rc->query, "content-length");
	e = api_upload_length(qlen, hdr, &len, &ei);
	free(qlen);
	if (e != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		return;
	}
	/* Step 3: the key. */
	uuid_generate_random(u);
	uuid_unparse_lower(u, uuid);
	if (rc->query != NULL)
		folder = api_query_param(rc->query, "folder");
	e = api_upload_key(cfg->s3_folder, folder, rc->segs[1], time(NULL),
	    uuid, key, sizeof(key), &ei);
	free(folder);
	if (e != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		return;
	}
	/* The worker's S3 client, made on first use and kept. */
	if (api->s3_upload == NULL &&
	    (e = bpg_s3_new(&cfg->s3, &api->s3_upload, &ei)) != BPG_OK) {
		bpg_log(LOG_ERR, "S3 client: %s", ei.msg);
		upload_fail(rc, 500, "s3", ei.msg);
		return;
	}

	/* Who uploads, as metadata can hold it (printable ASCII). */
	if (bpg_s3_uri_encode(rc->user, strlen(rc->user), false, who,
	    sizeof(who), &wlen) != BPG_OK) {
		upload_fail(rc, 500, "s3", "user name too long");
		return;
	}
	/* A stream slot first: the checks below talk to S3 already. */
	if (!api_stream_admit(rc, "upload"))
		return;
	/* Another user's object, or one of nobody known, is not replaced. */
	memset(&opts, 0, sizeof(opts));
	e = bpg_s3_head(api->s3_upload, bucket, key, UPLOADER_META, &head, &ei);
	if (e == BPG_OK && (!head.has_meta || strcmp(head.meta, who) != 0)) {
		bpg_log(LOG_INFO, "upload to s3://%s/%s by %s refused: the "
		    "object is %s", bucket, key, rc->user, head.has_meta ?
		    "another user's" : "of no recorded uploader");
		snprintf(text, sizeof(text), "%s exists and was uploaded by %s; "
		    "choose another name or folder", key, head.has_meta ?
		    "another user" : "an unknown user");
		upload_fail(rc, 409, "s3", text);
		api_stream_done(rc);
		return;
	}
	if (e == BPG_OK)
		opts.if_match = head.etag[0] != '\0' ? head.etag : NULL;
	else if (e == BPG_ENOTFOUND)
		opts.if_none_match = true;
	else {
		bpg_log(LOG_ERR, "upload: %s", ei.msg);
		upload_fail(rc, e == BPG_ETIMEOUT ? 504 : e == BPG_EUPSTREAM ?
		    502 : 500, "s3", ei.msg);
		api_stream_done(rc);
		return;
	}
	opts.meta_name = UPLOADER_META;
	opts.meta_value = who;

	/* Step 4: stream the body into S3. */
	bpg_log(LOG_INFO, "upload of %lld bytes to s3://%s/%s by %s started",
	    len, bucket, key, rc->user);
	memset(&src, 0, sizeof(src));
	src.io = rc->req->io;
	e = bpg_s3_put_with(api->s3_upload, bucket, key, len, upload_read, &src, &opts,
	    &ei);
	api_stream_done(rc);
	if (e != BPG_OK && (src.slow || src.stop)) {
		bpg_log(LOG_INFO, "upload of %lld bytes to s3://%s/%s by %s cut "
		    "after %lld bytes: %s", len, bucket, key, rc->user, src.got,
		    src.slow ? "the client sent too slowly" :
		    "the gateway is stopping");
		if (src.slow) {
			snprintf(hdr, sizeof(hdr), "%lld",
			    (long long)cfg->upload_low_speed_seconds);
			bpg_errf(&ei, BPG_EIO, "the body came slower than %lld "
			    "bytes a second over %s s",
			    (long long)cfg->upload_low_speed_limit, hdr);
			upload_fail(rc, 408, "s3", ei.msg);
		} else {
			upload_fail(rc, 503, "s3", "the gateway is restarting; "
			    "try again");
			snprintf(rc->resp->headers, sizeof(rc->resp->headers),
			    "Retry-After: 1\r\n");
		}
		return;
	}
	if (e == BPG_EEXIST) {
		/* The condition did not hold: someone wrote it meanwhile. */
		bpg_log(LOG_INFO, "upload to s3://%s/%s by %s refused: %s",
		    bucket, key, rc->user, ei.msg);
		snprintf(text, sizeof(text), "%s was written by another upload "
		    "meanwhile; nothing was replaced", key);
		upload_fail(rc, 409, "s3", text);
		return;
	}
	if (e != BPG_OK) {
		switch (e) {
		case BPG_EINVAL:
			/* A body of another length is the client's fault; a
			 * key or bucket S3 refuses is the configuration's. */
			status = src.got > len || (src.eof && src.got < len) ?
			    400 : 500;
			break;
		case BPG_EIO:
			status = 400;	/* the client's body broke off */
			break;
		case BPG_ETOOBIG:
			status = 413;
			break;
		case BPG_ETIMEOUT:
			status = 504;
			break;
		case BPG_ENOTFOUND:
		case BPG_EUPSTREAM:
			status = 502;
			break;
		default:
			status = 500;
			break;
		}
		bpg_log(status >= 500 ? LOG_ERR : LOG_INFO, "upload of %lld "
		    "bytes to s3://%s/%s by %s failed after %lld bytes: %s",
		    len, bucket, key, rc->user, src.got, ei.msg);
		upload_fail(rc, status, "s3", ei.msg);
		return;
	}
	bpg_log(LOG_INFO, "uploaded %lld bytes to s3://%s/%s user=%s", len,
	    bucket, key, rc->user);
	doc = json_object();
	if (doc != NULL) {
		char *url;

		if (asprintf(&url, "s3a://%s/%s", bucket, key) < 0)
			url = NULL;
		if (url == NULL || json_object_set_new(doc, "url",
		    json_string(url)) != 0) {
			json_decref(doc);
			doc = NULL;
		}
		free(url);
	}
	api_reply_json(rc->resp, 200, doc);
}
