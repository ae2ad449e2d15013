/*
 * GET /metrics (ours) for bpg_api.c's route table, and the counts the
 * request path takes for it (bpg_metrics.h).
 */
#ifndef BPG_API_METRICS_H
#define BPG_API_METRICS_H

struct route_ctx;

/*
 * The gateway's metrics in Prometheus' text format 0.0.4, for adminUsers
 * and metricsUsers (403 for others).
 */
void api_h_metrics(struct route_ctx *);

/*
 * Count one answered request: route is the route table's pattern (NULL:
 * none matched), method the request's, status the answer's.  Method and
 * route become label values only from fixed sets.
 */
void api_metrics_request(struct route_ctx *, const char *route,
    const char *method, int status);

#endif
