/*
 * GET /log (bpg-reference section 5), for bpg_api.c's route table, and
 * the parts of it with rules of their own, for tests.
 */
#ifndef BPG_API_LOG_H
#define BPG_API_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "bpg_err.h"

struct route_ctx;

void api_h_log(struct route_ctx *);

/*
 * Section 5 steps 4-6 for submission id (a checked length; "" finds
 * nothing) and container exec_id ("" or "driver": the driver): the log
 * streamed through rc->req->io from the pod (pod: tried first; follow:
 * followed until it ends, holding a stream slot) or the S3 objects, to
 * those who may read it; else section 5's not-found text.
 */
void api_log_send(struct route_ctx *rc, const char *id, const char *exec_id,
    bool pod, bool follow);

/* The worker's S3 (log objects) and Spark History Server handles, made
 * on first use (struct bpg_api's log); NULL is a no-op. */
struct api_log_handles;
void api_log_handles_free(struct api_log_handles *);

/*
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
