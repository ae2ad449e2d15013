/*
 * Dry run of a submission: POST /spark?dryRun=true runs the submission
 * pipeline up to the CR and answers what it would create, writing nothing
 * (no database row, no Kubernetes call, no advance of the zone counters).
 *
 * The answer is
 *   {"cluster", "queue", "submissionId", "sparkApplication", "warnings"}
 * where sparkApplication is the CR a real submission would send, with
 * what may carry a secret masked (see bpg_dryrun_mask()), and warnings
 * name the values the gateway defaulted or changed (cores, memory and
 * executor instances defaulted, the queue's buffer ratios applied, a zone
 * chosen, the image picked from the config).
 *
 * Below the API layer: it knows the config, the request and the CR
 * builder, never the HTTP request.
 */
#ifndef BPG_DRYRUN_H
#define BPG_DRYRUN_H

#include <stdbool.h>

#include <jansson.h>

#include "bpg_config.h"
#include "bpg_crd.h"
#include "bpg_err.h"
#include "bpg_req.h"

#define BPG_DRYRUN_PARAM "dryRun"
#define BPG_DRYRUN_MASK "***"

/*
 * The dryRun parameter of a raw (still percent-encoded) query string;
 * query may be NULL.  Absent, or "dryRun" with no '=': *on is false.
 * "true" or "false" in any case: *on says which.  Any other value, or the
 * parameter given more than once, is BPG_EINVAL with a message naming the
 * parameter and the value (printable ASCII only, cut short): a client
 * that asked for a dry run must never get a real submission by mistake.
 */
enum bpg_err bpg_dryrun_param(const char *query, bool *on,
    struct bpg_errinfo *) BPG_WUR;

/*
 * A copy of cr as a dry run shows it: every env value of the driver and
 * the executor is "***" (env is where secrets reach the pods; the
 * gateway cannot tell which values are secret, and BPG's spec endpoint
 * hides env altogether), and so is every sparkConf and hadoopConf value
 * whose key contains "secret", "password" or "token" in any case (quirk
 * 37).  env entries with valueFrom (a fieldRef) are kept: they hold no
 * value.  New reference, or NULL when out of memory.
 */
json_t *bpg_dryrun_mask(const json_t *cr);

/*
 * The warnings of a built CR: a new array of strings in *out, or
 * BPG_ENOMEM.  req is the request as bpg_crd_build() left it (its
 * sparkConf shows the zone picked); queue is the full queue name.
 */
enum bpg_err bpg_dryrun_warnings(const struct bpg_config *,
    const struct bpg_submit_req *req, const char *queue, const json_t *cr,
    json_t **out) BPG_WUR;

/*
 * The whole dry run after routing: build the CR as a submission would
 * (with a copy of zones, so that the real pick order is not advanced;
 * zones may be NULL), check it with bpg_crd_check(), and make the answer
 * in *out (new reference).  Errors are those of bpg_crd_build() and
 * bpg_crd_check(), the same a real submission gets, or BPG_ENOMEM.
 * ctx->submission_id and ctx->queue name the ID and queue shown.
 */
enum bpg_err bpg_dryrun_run(const struct bpg_config *,
    const struct bpg_cluster *, struct bpg_submit_req *req,
    const struct bpg_crd_ctx *ctx, const struct bpg_zones *zones,
    json_t **out, struct bpg_errinfo *) BPG_WUR;

#endif
