/*
 * Private declarations shared by the lib/ modules of the REST API
 * (bpg_api*.c).  Not installed, not for app/.
 */
#ifndef BPG_INTERNAL_H
#define BPG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_api.h"
#include "bpg_config.h"
#include "bpg_crd.h"
#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_kube.h"
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
void api_h_delete(struct route_ctx *);		/*
 * Streamed answers (logs, NDJSON lists, describe): send the head once, then
 * body bytes; the length is unknown (-1).  After api_stream_head() the
 * handler must not use api_reply_*().  Write returns -1 once the client is
 * gone; errors after the head can only end the stream (section 0.3).
 */
int api_stream_head(struct route_ctx *, int status, const char *ctype,
    const char *headers);
int api_stream_write(struct route_ctx *, const char *buf, size_t n);

/* bpg_api_apps.c */
void api_h_status(struct route_ctx *);
void api_h_health(struct route_ctx *);

/* Answers (bpg_api.c).  doc is consumed. */
void api_reply_json(struct bpg_http_resp *, int status, json_t *doc);
/* BPG's envelope {"code":n,"message":"<cls><text>"}. */
void api_reply_error(struct bpg_http_resp *, int status, const char *cls,
    const char *text);
/* From a lib error: the status by api_status_of(), ei's text. */
void api_reply_err(struct bpg_http_resp *, enum bpg_err,
    const struct bpg_errinfo *);
int api_status_of(enum bpg_err);
/* Decoded value of a query parameter (new string), or NULL. */
char *api_query_param(const char *query, const char *name);
/* The worker's Kubernetes handle for a cluster, made on first use. */
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

#endif
