/*
 * POST /spark and DELETE /spark/{id} for submissions with dependencies
 * (bpg_deps.h, README "Dependencies").
 */
#ifndef BPG_API_DEPS_H
#define BPG_API_DEPS_H

#include <stdbool.h>

#include "bpg_deps.h"

struct api_idem;
struct bpg_cluster;
struct bpg_notify_spec;
struct bpg_submit_req;
struct route_ctx;

/*
 * POST /spark of req with dependencies d (d->n > 0), after its checks
 * and routing (queue, cluster) and the request's admission, as the
 * proxy user owner: each dependency must exist and be readable by the
 * caller (else 400, nothing written); the ID is chosen on cluster and
 * the CR built and checked now (so a bad request fails now); then the
 * row (WAITING, stored and summary as POST /spark writes them), the
 * links and the request as sent are recorded in one transaction, and
 * the answer is the ID.  No CR: the monitor creates it once the
 * dependencies are met.  rc->resp always holds the answer.
 */
void api_deps_submit(struct route_ctx *rc, struct api_idem *idem,
    struct bpg_submit_req *req, const struct bpg_deps *d, const char *queue,
    const struct bpg_cluster *cluster, const char *owner, const char *stored,
    const char *summary, const struct bpg_notify_spec *notify);

/*
 * DELETE of the ID in rc->segs[1], which has no CR: if it is waiting for
 * its dependencies, it is cancelled (CANCELLED, no CR ever) for its
 * owner or an admin.  true: rc->resp holds the answer; false: it is not
 * waiting, DELETE goes on as usual.
 */
bool api_deps_delete(struct route_ctx *rc);

#endif
