/*
 * What the S3 client's files (bpg_s3.c, bpg_s3_key.c, bpg_s3_put.c)
 * share; not a public interface.
 */
#ifndef BPG_S3_INT_H
#define BPG_S3_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "bpg_s3.h"

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

/* Key and bucket checks (bpg_s3_key.c); BPG_EINVAL naming what. */
enum bpg_err s3_check_key(const char *s, const char *what, bool part,
    struct bpg_errinfo *);
enum bpg_err s3_check_bucket(const char *b, struct bpg_errinfo *);
/* A metadata name S3 takes: x-amz-meta-<n>. */
bool s3_meta_name_ok(const char *n);

/* One request and its answer (bpg_s3.c). */
enum bpg_err s3_request(struct bpg_s3 *, const struct req *,
    struct bpg_errinfo *);
/* The error of an S3 XML error document in s->resp. */
enum bpg_err s3_error(struct bpg_s3 *, const struct req *, long http,
    struct bpg_errinfo *);
/*
 * Text of the first <tag>...</tag> in doc, XML's predefined entities
 * decoded; false if absent or too long (see bpg_s3.c).
 */
bool s3_xml_text(const char *doc, const char *tag, bool strict, char *out,
    size_t outlen);
/* The start of a key for messages, cut at a UTF-8 character boundary. */
void s3_short_key(const char *key, char *buf, size_t buflen);

#endif
