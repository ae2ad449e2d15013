/*
 * Routing of a submission (bpg-reference sections 2.2-2.6): queue
 * resolution, request limits, weighted cluster choice, submission IDs, and
 * the way back from a submission ID to its cluster.
 *
 * Randomness comes from a caller-owned state (one per worker, seeded from
 * getrandom() after fork), so tests can seed it and nothing here is global.
 */
#ifndef BPG_ROUTE_H
#define BPG_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_limits.h"
#include "bpg_req.h"

struct bpg_rng {
	uint64_t s[2];
};

/* Seed from the kernel (getrandom); BPG_EIO if that fails. */
enum bpg_err bpg_rng_seed(struct bpg_rng *) BPG_WUR;
/* Seed deterministically (tests). */
void bpg_rng_seed_with(struct bpg_rng *, uint64_t seed);
uint64_t bpg_rng_next(struct bpg_rng *);
/* Uniform in [0, n), n > 0, without modulo bias. */
uint64_t bpg_rng_below(struct bpg_rng *, uint64_t n);

/*
 * normalizeQueue (section 2.2 step 1): runs of dots collapsed, leading and
 * trailing dots stripped.  New string, or NULL if nothing but dots remains
 * (or q is NULL).  *oom is set on allocation failure.
 */
char *bpg_route_normalize_queue(const char *q, bool *oom);

/*
 * The full queue of a submission (section 2.2), resolved once (quirk 2):
 * the request's queue normalised, else a queue listing the user (random
 * pick among several), else "poc".  Then the secure-queue token check
 * (section 8.3).  *queue is a new string.
 */
enum bpg_err bpg_route_queue(const struct bpg_config *,
    const struct bpg_submit_req *, const char *user, struct bpg_rng *,
    char **queue, struct bpg_errinfo *) BPG_WUR;

/*
 * Section 8.3 steps 1-5 for the full queue: nothing to check when the
 * config has no queues or the queue (first case-insensitive match) is not
 * secure; otherwise the token must be given, secrets configured, and the
 * token valid for the queue at now (bpg_jwt_check_queue).  BPG's texts:
 * BPG_EINVAL for the 400s, BPG_ECONFIG for the 500s, BPG_ENOMEM.
 */
enum bpg_err bpg_route_check_token(const struct bpg_config *,
    const char *token, const char *queue, time_t now,
    struct bpg_errinfo *) BPG_WUR;

/*
 * validateSubmissionRequest (section 2.4): the queue must be configured
 * (BPG_EINVAL, BPG's text; quirk 3 makes it a 400), executor instances
 * within the limit.
 */
enum bpg_err bpg_route_validate(const struct bpg_config *,
    const struct bpg_submit_req *, const char *queue,
    struct bpg_errinfo *) BPG_WUR;

/*
 * chooseSparkCluster (section 2.5): clusterId, spark version, parent queue,
 * weighted random choice.  BPG_EINVAL with BPG's texts.
 */
enum bpg_err bpg_route_cluster(const struct bpg_config *,
    const struct bpg_submit_req *, const char *queue, struct bpg_rng *,
    const struct bpg_cluster **out, struct bpg_errinfo *) BPG_WUR;

/*
 * The checks and routing of a submission by user, in POST /spark's order
 * (sections 2.4, 2.5, 8.3): bpg_route_queue(), bpg_route_validate() (the
 * queue's token, the request's limits), bpg_route_cluster().  POST
 * /spark, the schedules' endpoints and the monitor's fires all run it.
 * *queue is a new string, NULL on error; errors as those three.
 */
enum bpg_err bpg_route_submission(const struct bpg_config *,
    const struct bpg_submit_req *, const char *user, struct bpg_rng *,
    char **queue, const struct bpg_cluster **cluster,
    struct bpg_errinfo *) BPG_WUR;

/*
 * GatewayConfig's matchSparkVersion / matchQueue (section 12): the list
 * holds the value, ASCII case-insensitively.  NULL or "" never matches.
 */
bool bpg_route_cluster_has_version(const struct bpg_cluster *,
    const char *version);
bool bpg_route_cluster_has_queue(const struct bpg_cluster *,
    const char *queue);
/* The same for queue[0..n). */
bool bpg_route_cluster_has_queue_n(const struct bpg_cluster *,
    const char *queue, size_t n);

/*
 * A new submission ID (section 2.6): "<cluster id>-<32 hex>" and
 * "-<suffix>" when suffix is non-empty.  The suffix must be a DNS label and
 * the whole ID at most BPG_MAX_SUBMISSION_ID characters (quirk 33), else
 * BPG_EINVAL.  out must hold BPG_MAX_SUBMISSION_ID + 1 bytes.
 */
enum bpg_err bpg_route_new_id(const struct bpg_cluster *, const char *suffix,
    struct bpg_rng *, char out[BPG_MAX_SUBMISSION_ID + 1],
    struct bpg_errinfo *) BPG_WUR;

/*
 * The cluster of a submission ID: the configured id followed by '-' and 32
 * lower-case hex digits (optionally "-<DNS label>"), the longest such id
 * winning (quirk 1: ids may contain dashes; weight does not matter).
 * Errors (BPG_EINVAL, BPG's texts): "submissionId <id> is invalid" for a
 * malformed ID ("null" for NULL), "Cluster <c> (in submissionId: <id>) not
 * exists" for a well-formed ID of no configured cluster, c being the text
 * before the first place a valid "-<32 hex>" tail starts.  An ID of more
 * than 300 bytes or with a byte outside printable ASCII is never echoed:
 * "submissionId is invalid (it starts with \"<escaped prefix>...\")".
 * *out is NULL on error.
 */
enum bpg_err bpg_route_cluster_of_id(const struct bpg_config *,
    const char *id, const struct bpg_cluster **out,
    struct bpg_errinfo *) BPG_WUR;

#endif
