/*
 * Private declarations shared by the lib/ modules of the REST API
 * (bpg_api*.c).  Not installed, not for app/.
 */
#ifndef BPG_INTERNAL_H
#define BPG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "bpg_api.h"
#include "bpg_cache.h"
#include "bpg_config.h"
#include "bpg_crd.h"
#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_kube.h"
#include "bpg_ratelimit.h"
#include "bpg_route.h"

/* Deliberate errors carry the JAX-RS class prefix BPG clients see
 * (bpg-reference section 0.3, quirk 32). */
#define WAE "jakarta.ws.rs.WebApplicationException: "
#define KCE "io.fabric8.kubernetes.client.KubernetesClientException: "

#define MAX_SEGS 8
#define AIRFLOW_ACCOUNT "airflow_system_account"

struct bpg_api {
	const struct bpg_config *cfg;
	struct bpg_kube **kube;		/* one per cluster, made on first use */
	struct bpg_db *db;		/* NULL: no DB configured */
	struct bpg_zones *zones;
	struct bpg_rng rng;
	char *body;			/* request body buffer, reused */
	size_t body_cap;
	struct api_files *files;	/* S3 and history handles, or NULL */
	struct bpg_cache *status_cache;	/* section 4.1, per worker */
	struct bpg_ratelimit *rl;	/* list limits: rl_own or the shared */
	struct bpg_ratelimit *rl_own;
	struct bpg_streams *streams;	/* shared stream slots, or NULL */
	unsigned int stream_total;	/* gateway-wide stream limit */
	json_t *openapi_json;		/* the OpenAPI document, or NULL */
	char *openapi_yaml;
	size_t openapi_yaml_len;
	int64_t end_ms;			/* this request's deadline */
};

/* A parsed request URI: decoded path segments after the prefix. */
struct route_ctx {
	struct bpg_api *api;
	const struct bpg_http_req *req;
	struct bpg_http_resp *resp;
	char *segs[MAX_SEGS];
	size_t nsegs;
	const char *query;		/* raw, after '?', or NULL */
	const char *user;		/* authenticated user */
	const char *body;		/* read for routes that take one */
	size_t body_len;
};

typedef void (*handler_fn)(struct route_ctx *);

/* Handlers (the route table is in bpg_api.c). */
void api_h_submit(struct route_ctx *);		/* bpg_api_submit.c */
void api_h_delete(struct route_ctx *);		/* bpg_api_apps.c */

/* bpg_api_apps.c: one submission (sections 1.2-1.6), health, meta. */
void api_h_status(struct route_ctx *);
void api_h_spec(struct route_ctx *);
void api_h_driver(struct route_ctx *);
void api_h_describe(struct route_ctx *);
void api_h_health(struct route_ctx *);
void api_h_version(struct route_ctx *);
void api_h_openapi_json(struct route_ctx *);
void api_h_openapi_yaml(struct route_ctx *);

/* bpg_api_lists.c: sections 1.7 and 1.10. */
void api_h_my_submissions(struct route_ctx *);
void api_h_admin_submissions(struct route_ctx *);

/* Answers (bpg_api.c).  doc is consumed. */
void api_reply_json(struct bpg_http_resp *, int status, json_t *doc);
/* body (NUL-terminated, taken; NULL: out of memory, a 500) as it is. */
void api_reply_text(struct bpg_http_resp *, int status, const char *ctype,
    char *body);
/* BPG's envelope {"code":n,"message":"<cls><text>"}. */
void api_reply_error(struct bpg_http_resp *, int status, const char *cls,
    const char *text);
/* From a lib error: the status by api_status_of(), ei's text. */
void api_reply_err(struct bpg_http_resp *, enum bpg_err,
    const struct bpg_errinfo *);
int api_status_of(enum bpg_err);
/* Decoded value of a query parameter (new string), or NULL. */
char *api_query_param(const char *query, const char *name);
/* The worker's Kubernetes handle for a cluster, made on first use, bound
 * by the request's deadline (api->end_ms). */
enum bpg_err api_kube_for(struct bpg_api *, const struct bpg_cluster *,
    struct bpg_kube **, struct bpg_errinfo *) BPG_WUR;

/*
 * Streamed answers (logs, NDJSON lists, describe): send the head once, then
 * body bytes; the length is unknown (-1).  After api_stream_head() the
 * handler must not use api_reply_*().  Write returns -1 once the client is
 * gone; errors after the head can only end the stream (section 0.3).
 */
int api_stream_head(struct route_ctx *, int status, const char *ctype,
    const char *headers);
int api_stream_write(struct route_ctx *, const char *buf, size_t n);

/* bpg_api_apps.c */
/* Cluster and handle of the ID in rc->segs[1]; on false resp is filled. */
bool api_resolve_id(struct route_ctx *, const struct bpg_cluster **,
    struct bpg_kube **);
int64_t api_now_ms(void);
const char *api_jstr(const json_t *o, const char *key);

/*
 * Push what api_stream_write() has buffered to the client now (a followed
 * log must not wait for a full buffer); -1 once the client is gone.
 */
int api_stream_flush(struct route_ctx *);

/* bpg_api_files.c: GET /log (section 5), POST /s3/{name} (section 6). */
void api_h_log(struct route_ctx *);
void api_h_upload(struct route_ctx *);
/* The worker's S3 and Spark History Server handles; NULL is a no-op. */
struct api_files;
void api_files_free(struct api_files *);

/*
 * The parts of those handlers with rules of their own, for tests.
 *
 * api_upload_length(): the upload's length from the query parameter
 * content-length (wins when present and not empty) or the Content-Length
 * header's text (NULL when absent): BPG_EINVAL with BPG's texts when both
 * are missing or the one used is not a non-negative 64-bit integer.
 *
 * api_upload_key(): "<s3Folder>/<folder>/<name>" (s3Folder and folder
 * without leading and trailing '/'; no prefix when s3Folder is NULL or
 * empty; "<yyyyMMdd of now in UTC>/<uuid>" when folder is NULL or nothing
 * but '/') into out[0..outlen).  name and folder must pass
 * bpg_s3_check_key_part() and the key fit BPG_S3_MAX_KEY: else
 * BPG_EINVAL, naming "name" or "folder", never repeating their bytes.
 *
 * api_log_check_query(): section 5 steps 1 and 2 (both strings not NULL;
 * "" when absent), BPG_EINVAL with BPG's texts.
 *
 * api_log_is_driver(): execId empty or ending in "driver".
 *
 * api_log_transform(): section 5's fluent-bit line rule; the output is
 * line[*off .. *off + *outlen), the whole line when no rule applies.
 *
 * api_log_pod_of(): section 5 step 4's pod of a SparkApplication (a
 * string inside cr), or NULL.
 *
 * api_log_history_app_name(): the app-name label value in a Spark History
 * Server environment document (a string inside env), or NULL.
 */
enum bpg_err api_upload_length(const char *query, const char *header,
    long long *out, struct bpg_errinfo *) BPG_WUR;
enum bpg_err api_upload_key(const char *s3_folder, const char *folder,
    const char *name, time_t now, const char *uuid, char *out,
    size_t outlen, struct bpg_errinfo *) BPG_WUR;
enum bpg_err api_log_check_query(const char *sub_id, const char *app_id,
    struct bpg_errinfo *) BPG_WUR;
bool api_log_is_driver(const char *exec_id);
void api_log_transform(const char *line, size_t len, size_t *off,
    size_t *outlen);
const char *api_log_pod_of(const json_t *cr, const char *exec_id);
const char *api_log_history_app_name(const json_t *env);

/*
 * Log objects split into lines as Java's BufferedReader.readLine() does
 * ("\n", "\r" or "\r\n" end a line), each transformed and written with
 * "\n" through emit (0, or -1 to stop).  Lines longer than
 * API_LOG_MAX_LINE are passed on untransformed.  Zero-initialise, set
 * emit and ctx; feed() the bytes, end() after the last, free() the
 * buffer.  feed and end return -1 when emit did or memory ran out.
 */
#define API_LOG_MAX_LINE (1024 * 1024)
struct api_log_lines {
	int (*emit)(void *ctx, const char *buf, size_t n);
	void *ctx;
	char *buf;
	size_t len, cap;
	bool overlong;		/* passing a too-long line through */
	bool cr;		/* the last byte fed was '\r' */
};
int api_log_lines_feed(struct api_log_lines *, const char *p, size_t n);
int api_log_lines_end(struct api_log_lines *);
void api_log_lines_free(struct api_log_lines *);

#endif
