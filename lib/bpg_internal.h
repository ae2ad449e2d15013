/*
 * The structs the lib/ modules of the REST API share, and nothing else.
 * Not installed, not for app/.
 *
 * The API modules form layers; each includes only those below it, and
 * calls flow only downwards:
 *
 *   bpg_api.c          route table, authentication, the request's body,
 *                      lifecycle (bpg_api.h); calls every handler
 *   bpg_api_apps.c     the handlers, each with its own header, none of
 *   bpg_api_clusters.c
 *   bpg_api_lists.c    which includes or calls another
 *   bpg_api_submit.c
 *   bpg_api_log.c
 *   bpg_api_upload.c
 *   bpg_api_util.c     what the handlers share: answers, query
 *                      parameters, Kubernetes handles, streams
 *   bpg_internal.h     these structs
 */
#ifndef BPG_INTERNAL_H
#define BPG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_api.h"
#include "bpg_breaker.h"
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

struct bpg_s3;
struct api_log_handles;
struct api_route_shape;
struct bpg_metrics;

struct bpg_api {
	const struct bpg_config *cfg;
	struct bpg_kube **kube;		/* one per cluster, made on first use */
	long long *kube_used_ms;	/* each one's last use, bpg_kube_now_ms() */
	struct bpg_castore *castore;	/* the handles' CA stores */
	struct bpg_db *db;		/* NULL: no DB configured */
	struct bpg_zones *zones;
	struct bpg_rng rng;
	char *body;			/* request body buffer, reused */
	size_t body_cap;
	struct bpg_s3 *s3_upload;	/* POST /s3 (cfg->s3), or NULL */
	struct api_log_handles *log;	/* GET /log's S3 and history, or NULL */
	struct bpg_cache *status_cache;	/* section 4.1, per worker */
	struct bpg_ratelimit *rl;	/* list limits: rl_own or the shared */
	struct bpg_ratelimit *rl_own;
	struct bpg_streams *streams;	/* shared stream slots, or NULL */
	struct bpg_breaker *breaker;	/* breaker_own or the shared */
	struct bpg_breaker *breaker_own;
	unsigned int stream_total;	/* gateway-wide stream limit */
	struct bpg_metrics *metrics;	/* metrics_own or the shared */
	struct bpg_metrics *metrics_own;
	json_t *openapi_json;		/* the OpenAPI document, or NULL */
	char *openapi_yaml;
	size_t openapi_yaml_len;
	int64_t end_ms;			/* this request's deadline */
	struct api_route_shape *shapes;	/* the routes' segments, bpg_api.c */
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

#endif
