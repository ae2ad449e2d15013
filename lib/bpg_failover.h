/*
 * The cluster choice of one submission when clusters fail: the same
 * weighted random choice as bpg_route_cluster() (section 2.5), among the
 * queue's eligible clusters whose circuit breaker lets a request through
 * (bpg_breaker.h), minus those this submission already failed on.
 *
 * A submission asks for a cluster (bpg_failover_pick()), tries it, and
 * when the cluster definitely failed it, excludes it
 * (bpg_failover_exclude()) and asks again.  A request with a clusterId
 * has exactly one eligible cluster: it never fails over.
 */
#ifndef BPG_FAILOVER_H
#define BPG_FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "bpg_breaker.h"
#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_req.h"
#include "bpg_route.h"

#define BPG_FAILOVER_FEW 16

/* One submission's choice; its fields are private. */
struct bpg_failover {
	const struct bpg_config *cfg;
	struct bpg_breaker *br;
	struct bpg_breaker_conf conf;
	const struct bpg_cluster *forced;	/* clusterId, or NULL */
	bool *excluded;				/* per config cluster */
	size_t *cand;				/* a pick's candidates */
	/* Room for both when the config has few clusters: no allocation. */
	bool excluded_few[BPG_FAILOVER_FEW];
	size_t cand_few[BPG_FAILOVER_FEW];
	size_t ncand;				/* how many the last had */
	size_t neligible;	/* eligible at all, open or failed or not */
	int64_t retry_ms;	/* the nearest trial of those denied */
};

/* What bpg_failover_pick() found. */
enum bpg_failover_pick {
	BPG_FAILOVER_PICKED,	/* *out is the cluster to try */
	BPG_FAILOVER_ALL_OPEN,	/* every one left is open: retry_ms */
	BPG_FAILOVER_NONE_LEFT	/* every eligible one was excluded */
};

/* The config's clusterFailureThreshold and clusterCooldownMillis. */
struct bpg_breaker_conf bpg_failover_conf(const struct bpg_config *);

/*
 * Start the choice of a submission: req and queue have passed
 * bpg_route_cluster() (which gave BPG's errors; its pick is not used
 * unless the request names a clusterId, in which case first is that
 * cluster).  br may be NULL (no breakers: every cluster closed).
 * BPG_ENOMEM.  Reset with bpg_failover_reset().
 */
enum bpg_err bpg_failover_init(struct bpg_failover *,
    const struct bpg_config *, struct bpg_breaker *,
    const struct bpg_submit_req *, const struct bpg_cluster *first,
    struct bpg_errinfo *) BPG_WUR;
void bpg_failover_reset(struct bpg_failover *);

/*
 * The next cluster to try at now_ms: a weighted random choice among the
 * eligible clusters not excluded whose breaker allows a request.  When
 * the breaker's answer is a trial, *trial is true and the caller holds
 * its lease for lease_ms (it must tell the breaker the outcome).
 */
enum bpg_failover_pick bpg_failover_pick(struct bpg_failover *,
    const struct bpg_submit_req *, const char *queue, struct bpg_rng *,
    int64_t now_ms, int64_t lease_ms, const struct bpg_cluster **out,
    bool *trial);

/* This submission failed on c: never pick it again. */
void bpg_failover_exclude(struct bpg_failover *, const struct bpg_cluster *c);

/*
 * Should a create on c be preceded by a probe (a cheap GET)?  True for a
 * trial (a failed probe ends it; a passing one leaves the create to
 * decide); and, when the last pick had another cluster to go to, when c's
 * last outcome was a failure or it has had no success within fresh_ms:
 * an API server that hangs then costs a probe's short timeout, and puts
 * no submission in doubt.  With no other cluster the create goes at
 * once, as without failover.
 */
bool bpg_failover_should_probe(const struct bpg_failover *,
    const struct bpg_cluster *c, bool trial, int64_t now_ms,
    int64_t fresh_ms);

#endif
