/*
 * Endpoints on one submission (bpg-reference sections 1.2-1.6, 4), the
 * health check, the version and the OpenAPI document (sections 0.1, 1.11,
 * 1.12).  Handlers for bpg_api.c's route table: each fills rc->resp (or
 * streams through rc->req->io) and never fails.
 */
#ifndef BPG_API_APPS_H
#define BPG_API_APPS_H

struct route_ctx;

void api_h_delete(struct route_ctx *);
void api_h_status(struct route_ctx *);
void api_h_spec(struct route_ctx *);
void api_h_driver(struct route_ctx *);
void api_h_describe(struct route_ctx *);
void api_h_health(struct route_ctx *);
void api_h_version(struct route_ctx *);
void api_h_openapi_json(struct route_ctx *);
void api_h_openapi_yaml(struct route_ctx *);

#endif
