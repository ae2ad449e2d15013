/*
 * Retries of a job (request field retryPolicy): the policy, checked once,
 * the back-off before an attempt, and whether an attempt that ended in a
 * state gets another.  Pure: no I/O, times passed in.
 *
 *   "retryPolicy": {"maxAttempts": 3, "backoffSeconds": 30,
 *     "backoffMultiplier": 2.0,
 *     "onStates": ["FAILED", "SUBMISSION_FAILED", "LOST"],
 *     "anyCluster": true}
 *
 * maxAttempts counts every attempt, the first one too (1: no retry).
 * The wait before attempt n + 1 (n >= 1) is backoffSeconds *
 * backoffMultiplier^(n - 1), cut to BPG_RETRY_MAX_BACKOFF_S.
 */
#ifndef BPG_RETRY_H
#define BPG_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_err.h"

#define BPG_RETRY_MAX_ATTEMPTS 10
#define BPG_RETRY_MAX_BACKOFF_S 86400
/* A multiplier above this gives the cap from the second retry on. */
#define BPG_RETRY_MAX_MULTIPLIER 100.0

/* The states a retry may follow (bits of on_states). */
#define BPG_RETRY_ON_FAILED 0x1
#define BPG_RETRY_ON_SUBMISSION_FAILED 0x2
#define BPG_RETRY_ON_LOST 0x4
#define BPG_RETRY_ON_DEFAULT \
	(BPG_RETRY_ON_FAILED | BPG_RETRY_ON_SUBMISSION_FAILED | \
	BPG_RETRY_ON_LOST)

struct bpg_retry_policy {
	int max_attempts;	/* 1..BPG_RETRY_MAX_ATTEMPTS */
	int64_t backoff_s;	/* 0..BPG_RETRY_MAX_BACKOFF_S */
	double multiplier;	/* 1..BPG_RETRY_MAX_MULTIPLIER */
	unsigned on_states;	/* BPG_RETRY_ON_*, not 0 */
	bool any_cluster;
};

/*
 * Check the retryPolicy object v (plain JSON: integers, reals, booleans,
 * an array of strings) into *p, absent fields taking their defaults
 * (maxAttempts 3, backoffSeconds 30, backoffMultiplier 2.0, the three
 * states, anyCluster false).  BPG_EINVAL with a message naming the field
 * ("retryPolicy.maxAttempts must be 1..10"), for an unknown field too.
 * ei may be NULL.
 */
enum bpg_err bpg_retry_parse(const json_t *v, struct bpg_retry_policy *p,
    struct bpg_errinfo *ei) BPG_WUR;

/* The policy as the JSON object bpg_retry_parse() reads (new reference,
 * NULL on ENOMEM). */
json_t *bpg_retry_json(const struct bpg_retry_policy *p);

/* The bit of state (FAILED, SUBMISSION_FAILED, LOST; case as stored),
 * 0 for any other. */
unsigned bpg_retry_state_bit(const char *state);

/*
 * Seconds to wait after attempt n (>= 1) ended before attempt n + 1:
 * backoff_s * multiplier^(n - 1), at most BPG_RETRY_MAX_BACKOFF_S, with no
 * overflow for any n.
 */
int64_t bpg_retry_backoff_s(const struct bpg_retry_policy *p, int n);

/*
 * Whether attempt n (>= 1) that ended in state gets a retry: state is one
 * of on_states and n < max_attempts.
 */
bool bpg_retry_due(const struct bpg_retry_policy *p, const char *state,
    int n);

#endif
