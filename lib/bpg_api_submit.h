/* POST /spark (bpg-reference section 2), for bpg_api.c's route table. */
#ifndef BPG_API_SUBMIT_H
#define BPG_API_SUBMIT_H

#include "bpg_err.h"

struct bpg_api;
struct bpg_cluster;
struct bpg_submit_req;
struct route_ctx;

/*
 * The checks and routing of a submission by user (bpg-reference 2.4,
 * 2.5, 8.3): its queue (*queue a new string), the queue's token, the
 * request's limits, and the cluster chosen.  POST /spark and the
 * schedules (bpg_api_schedules.c) run the same steps.  BPG_EINVAL with
 * BPG's texts; *queue NULL on error.
 */
enum bpg_err api_submit_route(struct bpg_api *, const struct bpg_submit_req *,
    const char *user, char **queue, const struct bpg_cluster **cluster,
    struct bpg_errinfo *) BPG_WUR;

/* rc->body holds the request (the route has the BODY flag). */
void api_h_submit(struct route_ctx *);

#endif
