/*
 * Submission rate limits (our submitRateLimit key): how many POST /spark a
 * user, and a queue, may make a second, drawn from the keyed GCRA cells of
 * bpg_ratelimit.h that every worker of the gateway shares.
 *
 * The limits hold per gateway instance: each instance has its own cells.
 * Behind a load balancer spreading submissions over n instances, a user
 * may make up to n times the rate (and n bursts) in all; divide the
 * rates by n for a limit of the whole service, or make the balancer send
 * a user to one instance.
 */
#ifndef BPG_SUBMITLIMIT_H
#define BPG_SUBMITLIMIT_H

#include <stdint.h>

#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_ratelimit.h"

/*
 * Take one submission of user to queue (the routed queue; its parent,
 * the text before the first '.', is the queue limited) at now_ns from
 * rl, by cfg->submit_limit and the queue's own submitRateLimit.  Users of
 * exemptUsers, and adminUsers with exemptAdmins, are not limited.  BPG_OK
 * when allowed (or no limit applies); BPG_ERATE when a limit refuses, with
 * *retry_after_s the seconds until one would be allowed (rounded up, at
 * least 1) and ei saying which limit.  A submission refused by the queue's
 * limit does not count against the user's.
 */
enum bpg_err bpg_submitlimit_take(struct bpg_ratelimit *rl,
    const struct bpg_config *cfg, const char *user, const char *queue,
    int64_t now_ns, int64_t *retry_after_s, struct bpg_errinfo *ei) BPG_WUR;

#endif
