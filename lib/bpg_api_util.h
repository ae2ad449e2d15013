/*
 * What the REST API's handlers share (see the layers in bpg_internal.h):
 * answers in BPG's envelope, query parameters, the worker's Kubernetes
 * handles, clocks and streamed answers.  Includes no handler and calls
 * none.
 */
#ifndef BPG_API_UTIL_H
#define BPG_API_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_internal.h"

/* ---- answers ------------------------------------------------------ */

/* doc is consumed (NULL: out of memory, a 500). */
void api_reply_json(struct bpg_http_resp *, int status, json_t *doc);
/* body (NUL-terminated, taken; NULL: out of memory, a 500) as it is. */
void api_reply_text(struct bpg_http_resp *, int status, const char *ctype,
    char *body);
/* body[0..len) (taken; NULL: out of memory, a 500) as it is. */
void api_reply_text_n(struct bpg_http_resp *, int status, const char *ctype,
    char *body, size_t len);
/* BPG's envelope {"code":n,"message":"<cls><text>"}. */
void api_reply_error(struct bpg_http_resp *, int status, const char *cls,
    const char *text);
/* From a lib error: the status by api_status_of(), ei's text. */
void api_reply_err(struct bpg_http_resp *, enum bpg_err,
    const struct bpg_errinfo *);
/* The 500 of an allocation that failed. */
void api_reply_nomem(struct bpg_http_resp *);
/* JAX-RS's 404 of a path no resource serves (section 0.1). */
void api_reply_no_resource(struct bpg_http_resp *);
int api_status_of(enum bpg_err);

/* ---- the request -------------------------------------------------- */

/*
 * s[0..n) percent-decoded into a new string; NULL on a bad escape, a
 * decoded NUL or no memory.  A decoded '/' stays in the string.
 */
char *api_pct_decode(const char *s, size_t n);
/* Decoded value of a query parameter (new string), or NULL. */
char *api_query_param(const char *query, const char *name);
/* o[key] as a string (borrowed), or NULL. */
const char *api_jstr(const json_t *o, const char *key);
/* The wall clock in milliseconds since the epoch. */
int64_t api_now_ms(void);

/* ---- Kubernetes --------------------------------------------------- */

/* The worker's Kubernetes handle for a cluster, made on first use, bound
 * by the request's deadline (api->end_ms). */
enum bpg_err api_kube_for(struct bpg_api *, const struct bpg_cluster *,
    struct bpg_kube **, struct bpg_errinfo *) BPG_WUR;
/* Cluster and handle of the ID in rc->segs[1]; on false resp is filled. */
bool api_resolve_id(struct route_ctx *, const struct bpg_cluster **,
    struct bpg_kube **);

/* ---- streamed answers --------------------------------------------- */

/*
 * Streamed answers (logs, NDJSON lists, describe): send the head once, then
 * body bytes; the length is unknown (-1).  After api_stream_head() the
 * handler must not use api_reply_*().  Write returns -1 once the client is
 * gone; errors after the head can only end the stream (section 0.3).
 */
int api_stream_head(struct route_ctx *, int status, const char *ctype,
    const char *headers);
int api_stream_write(struct route_ctx *, const char *buf, size_t n);
/*
 * Push what api_stream_write() has buffered to the client now (a followed
 * log must not wait for a full buffer); -1 once the client is gone.
 */
int api_stream_flush(struct route_ctx *);

/*
 * A followed log or an upload holds this worker until it ends: take one
 * of the gateway's stream slots for it (bpg_streams.h), or answer 429
 * with Retry-After (what names it in the log).  True if admitted; then
 * release with api_stream_done().
 */
bool api_stream_admit(struct route_ctx *, const char *what);
void api_stream_done(struct route_ctx *);

/*
 * A submission of rc's user to queue within the submission rate limits
 * (bpg_submitlimit.h), or a 429 with Retry-After answered: true if
 * admitted.
 */
bool api_submit_admit(struct route_ctx *, const char *queue);

/* ---- metrics ------------------------------------------------------ */

/*
 * Count one POST /spark by its answer (rc->resp) in bpg_submissions_total:
 * queue as routed (NULL: refused before; a name the config does not list
 * is "other"), cluster the one it was created on (NULL: none; for a dry
 * run the one it would go to).
 */
void api_metrics_submission(struct route_ctx *, const char *queue,
    const char *cluster, bool dry_run);

#endif
