/*
 * S3 client: streams uploads into S3 (POST /s3/{name}, bpg-reference
 * section 6) and reads log objects back (GET /log, section 5).
 *
 * One struct bpg_s3 per worker process, created after fork() and kept
 * across requests: it owns one libcurl easy handle, so the connection to
 * the endpoint is kept alive and reused.  Requests are signed with AWS
 * Signature Version 4 (libcurl's CURLOPT_AWS_SIGV4, service "s3"); bodies
 * are sent with x-amz-content-sha256: UNSIGNED-PAYLOAD, which the S3 API
 * accepts for every operation used here ("Authenticating Requests: Using
 * the Authorization Header", payload signing options).
 *
 * Errors map S3's HTTP status and XML error document (S3 API reference,
 * "Error responses": <Error><Code/><Message/></Error>) onto enum bpg_err:
 *   404, NoSuchKey, NoSuchBucket, NoSuchUpload   BPG_ENOTFOUND
 *   403 and other 4xx (credentials, signature)   BPG_EUPSTREAM
 *   5xx, redirects, transport failures           BPG_EUPSTREAM
 *   connect or inactivity timeout, RequestTimeout BPG_ETIMEOUT
 * ei->msg then reads "S3 <operation> s3://<bucket>/<key>: HTTP <status>
 * <Code>: <Message>" or names the transport error.  Messages never hold
 * the secret key or the session token.
 *
 * Not thread-safe: one handle is used by one thread at a time.
 */
#ifndef BPG_S3_H
#define BPG_S3_H

#include <stdbool.h>
#include <stddef.h>

#include "bpg_err.h"

/* Region when the configuration gives none. */
#define BPG_S3_DEFAULT_REGION "us-east-1"
/*
 * Connect and inactivity timeout when the configuration gives none: BPG
 * sets all S3 client timeouts to 180 s (spec sections 5 and 6).
 */
#define BPG_S3_DEFAULT_TIMEOUT_MS 180000L
/*
 * Uploads up to this many bytes are one PutObject; larger ones are a
 * multipart upload of parts this size (the last one smaller).  The
 * multipart minimum part size is 5 MiB (S3 API: UploadPart); one part is
 * held in memory at a time.
 */
#define BPG_S3_PART_SIZE (8LL * 1024 * 1024)
#define BPG_S3_SINGLE_PUT_MAX BPG_S3_PART_SIZE
/* Parts in one multipart upload (S3 API: UploadPart, 1 to 10,000). */
#define BPG_S3_MAX_PARTS 10000
/* Largest upload: BPG_S3_MAX_PARTS parts of BPG_S3_PART_SIZE (78 GiB). */
#define BPG_S3_MAX_OBJECT (BPG_S3_MAX_PARTS * BPG_S3_PART_SIZE)
/* Longest object key in bytes of UTF-8 (S3 "Object keys"). */
#define BPG_S3_MAX_KEY 1024
/* An ETag as kept here (quotes included). */
#define BPG_S3_MAX_ETAG 128
/*
 * User metadata (x-amz-meta-<name>) written and read here: a name of
 * [a-z0-9-], a value of printable ASCII.  S3 allows 2 KB of user metadata
 * in all (S3 "Working with object metadata").
 */
#define BPG_S3_MAX_META_NAME 64
#define BPG_S3_MAX_META_VALUE 1024

/*
 * Filled by the config module from config.yaml and the environment.  The
 * strings are borrowed: bpg_s3_new() copies what it keeps.
 */
struct bpg_s3conf {
	/*
	 * "http://127.0.0.1:4569" or "https://host[:port][/path]"; NULL or
	 * "" means https://s3.<region>.amazonaws.com.  No query, fragment or
	 * user information.
	 */
	char *endpoint;
	char *region; /* NULL or "": BPG_S3_DEFAULT_REGION */
	char *access_key_id; /* secret-ish; NULL or "": anonymous */
	char *secret_access_key; /* secret; set exactly when access_key_id is */
	char *session_token; /* secret; NULL or "": none */
	/*
	 * true: http(s)://host/<bucket>/<key> (s3rver, MinIO, Ozone);
	 * false: http(s)://<bucket>.host/<key>, except for bucket names with
	 * a '.', which cannot be a TLS host name label and use path style.
	 */
	bool path_style;
	/* Connect and inactivity timeout; 0: BPG_S3_DEFAULT_TIMEOUT_MS. */
	long timeout_ms;
};

struct bpg_s3;

/*
 * A new handle in *out (NULL on error).  BPG_ECONFIG for an unusable
 * configuration (malformed endpoint or region, a key ID without a secret,
 * bytes that cannot appear in an HTTP header), naming the field but never
 * its secret value; BPG_ENOMEM.
 */
enum bpg_err bpg_s3_new(
    const struct bpg_s3conf *, struct bpg_s3 **, struct bpg_errinfo *) BPG_WUR;
/* Wipes the credentials it holds.  NULL is a no-op. */
void bpg_s3_free(struct bpg_s3 *);

/*
 * Stream content_length bytes from read() into s3://bucket/key with
 * Content-Type application/octet-stream.
 *
 * read(ctx, buf, n) returns the number of bytes it stored in buf (1 to n),
 * 0 at the end of the body, or -1 on error.  It is called until
 * content_length bytes are in, then once more to see the end of the body.
 *
 * Up to BPG_S3_SINGLE_PUT_MAX bytes are one PutObject; above that, a
 * multipart upload of BPG_S3_PART_SIZE parts.  Each request body is read
 * in full before it is sent, so a body that ends early is never stored:
 * fewer bytes than content_length, or more, give BPG_EINVAL; a read error
 * gives BPG_EIO; on any failure after CreateMultipartUpload the upload is
 * aborted (AbortMultipartUpload), so S3 keeps no parts (an abort that
 * fails too is logged with syslog; the first error is returned).
 *
 * bucket: S3 bucket naming rules (3 to 63 of [a-z0-9.-]); key: 1 to
 * BPG_S3_MAX_KEY bytes of UTF-8 without control characters (BPG_EINVAL).
 * content_length: 0 to BPG_S3_MAX_OBJECT (BPG_ETOOBIG above).  Other
 * errors as described at the top.
 */
enum bpg_err bpg_s3_put(struct bpg_s3 *, const char *bucket, const char *key,
    long long content_length, long (*read)(void *ctx, char *buf, size_t n),
    void *ctx, struct bpg_errinfo *) BPG_WUR;

/* What bpg_s3_put_with() adds to an upload. */
struct bpg_s3_put_opts {
	/* x-amz-meta-<meta_name>: meta_value (both or neither), stored
	 * with the object: on PutObject or CreateMultipartUpload. */
	const char *meta_name;
	const char *meta_value;
	/*
	 * A conditional write (S3 API: PutObject and CompleteMultipartUpload,
	 * "Conditional writes"): if_none_match, only if the key has no
	 * object; if_match, only if its object's ETag is this one (as
	 * bpg_s3_head() gave it).  Not both.  A condition that does not hold
	 * is BPG_EEXIST (412 PreconditionFailed, or 409
	 * ConditionalRequestConflict when another write raced it).  A store
	 * that answers 501 to conditions is written to without them from then
	 * on (logged); one that ignores them (s3rver) just writes.
	 */
	bool if_none_match;
	const char *if_match;
};

/*
 * bpg_s3_put() with opts (NULL: none; bpg_s3_put() is this with NULL).
 * BPG_EINVAL for a metadata name or value, or an ETag, that is not
 * allowed.
 */
enum bpg_err bpg_s3_put_with(struct bpg_s3 *, const char *bucket,
    const char *key, long long content_length,
    long (*read)(void *ctx, char *buf, size_t n), void *ctx,
    const struct bpg_s3_put_opts *opts, struct bpg_errinfo *) BPG_WUR;

/* What bpg_s3_head() learns of an object. */
struct bpg_s3_head {
	bool has_meta; /* the metadata asked for is there (printable) */
	char meta[BPG_S3_MAX_META_VALUE + 1];
	char etag[BPG_S3_MAX_ETAG + 1]; /* "" if none was usable */
};

/*
 * HeadObject of s3://bucket/key into *out, with the value of its
 * x-amz-meta-<meta_name> (meta_name NULL: none asked).  BPG_ENOTFOUND when
 * there is no such object (or bucket); other errors as at the top.
 */
enum bpg_err bpg_s3_head(struct bpg_s3 *, const char *bucket, const char *key,
    const char *meta_name, struct bpg_s3_head *out,
    struct bpg_errinfo *) BPG_WUR;

/*
 * Stream s3://bucket/key to write(ctx, buf, n), in pieces as they arrive;
 * write returns 0, or -1 to stop (then BPG_EIO).  BPG_ENOTFOUND for a
 * missing object or bucket, nothing written.  A transfer that fails
 * half-way has already written part of the object.  bucket and key as for
 * bpg_s3_put().
 */
enum bpg_err bpg_s3_get(struct bpg_s3 *, const char *bucket, const char *key,
    int (*write)(void *ctx, const char *buf, size_t n), void *ctx,
    struct bpg_errinfo *) BPG_WUR;

/*
 * Check an upload name or folder, which become part of an object key
 * (spec section 6 does no sanitising; we do): 1 to BPG_S3_MAX_KEY bytes of
 * valid UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF); no control characters (C0, DEL, C1); no backslash; no leading
 * or trailing '/', no empty segment ("a//b") and no "." or ".." segment.
 * BPG_EINVAL with a message that starts with what (e.g. "name") and never
 * repeats the raw bytes.  s may be NULL (rejected as empty).
 */
enum bpg_err bpg_s3_check_key_part(
    const char *s, const char *what, struct bpg_errinfo *) BPG_WUR;

/*
 * URI-encode s[0..n) as AWS Signature Version 4 requires for the
 * canonical URI and query ("Create a canonical request"): every byte but
 * the RFC 3986 unreserved characters A-Z a-z 0-9 - . _ ~ becomes %XX with
 * upper-case hex; '/' is kept when keep_slash is true (object key paths).
 * Writes a NUL-terminated string into dst[0..dstlen) and its length to
 * *outlen.  BPG_ETOOBIG if it does not fit (dst then holds "" when dstlen
 * is not 0).  s may be NULL only when n is 0 (BPG_EINVAL otherwise).
 */
enum bpg_err bpg_s3_uri_encode(const char *s, size_t n, bool keep_slash,
    char *dst, size_t dstlen, size_t *outlen) BPG_WUR;

/* Counters since bpg_s3_new(), for tests and metrics. */
struct bpg_s3_stats {
	long requests; /* HTTP requests that reached curl */
	long connects; /* new connections (keep-alive reuse) */
	long aborts; /* AbortMultipartUpload requests sent */
	long aborts_failed; /* ... that S3 did not confirm */
};
void bpg_s3_get_stats(const struct bpg_s3 *, struct bpg_s3_stats *);

#endif
