/*
 * S3 uploads (see bpg_s3.h): PutObject for a small body, a multipart
 * upload for a large one, aborted when any part fails.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "bpg_s3_int.h"
#include "bpg_log.h"
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
	enum bpg_err e = s3_request(s, r, ei);

	if (e != BPG_OK && s->http == 501 && r->cond >= 0 &&
	    r->extra[r->cond] != NULL && !s->cond_unsupported) {
		bpg_log(LOG_WARNING, "%s; writing without conditions from now on",
		    ei->msg);
		s->cond_unsupported = true;
		e = s3_request(s, r, ei);
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
		if (!s3_meta_name_ok(o->meta_name) ||
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
	if (s3_request(s, &r, &aei) != BPG_OK) {
		s->stats.aborts_failed++;
		bpg_log(LOG_WARNING, "%s", aei.msg);
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
	if ((e = s3_request(s, &r, ei)) != BPG_OK)
		goto out;
	if (!s3_xml_text(
		s->resp, "UploadId", true, upload_id, sizeof(upload_id))) {
		s3_short_key(key, kbuf, sizeof(kbuf));
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
		if ((e = s3_request(s, &r, ei)) != BPG_OK)
			goto fail;
		if (s->etag[0] == '\0' || s->etag_bad) {
			s3_short_key(key, kbuf, sizeof(kbuf));
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

	if ((e = s3_check_bucket(bucket, ei)) != BPG_OK ||
	    (e = s3_check_key(key, "S3 key", false, ei)) != BPG_OK ||
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
