/*
 * The health of each Kubernetes cluster as every worker of one gateway
 * instance sees it: a circuit breaker per cluster, shared.
 *
 * A cluster whose API fails (a transport error, a timeout, a 5xx, a 429:
 * the cluster's fault, never another 4xx, which is the request's) counts
 * consecutive failures; at `threshold` of them its breaker opens and the
 * cluster is skipped for `cooldown_ms`.  Then it is half-open: exactly
 * one request, the trial, may try it, and its outcome closes the breaker
 * or opens it again for another cooldown.  The trial is a lease: a
 * worker killed while it holds it does not wedge the breaker, because
 * the lease ends at the time its holder named, and the next caller after
 * that gets the trial.
 *
 * The cells live in one anonymous shared mapping that the supervisor
 * makes before fork(), keyed by cluster id (not by the config's order,
 * which a reload may change).  Each update is a few loads and stores
 * under one process-shared robust mutex: a worker that dies holding it
 * leaves it to the next locker (EOWNERDEAD), which finds every cell in a
 * state some update left it in, because no update leaves a cell
 * inconsistent halfway in a way the state machine cannot read.
 *
 * Times are CLOCK_MONOTONIC milliseconds given by the caller
 * (bpg_kube_now_ms(), or a test's clock), so nothing here sleeps or reads
 * a clock; wall-clock times (for display) are given by the caller too.
 */
#ifndef BPG_BREAKER_H
#define BPG_BREAKER_H

#include <stdbool.h>
#include <stdint.h>

#include "bpg_err.h"

/* Clusters tracked; one more cluster id than this is never opened. */
#define BPG_BREAKER_CELLS 256
/* Bytes kept of the last error's text, NUL included. */
#define BPG_BREAKER_ERRLEN 160

struct bpg_breaker;

enum bpg_breaker_state {
	BPG_BREAKER_CLOSED,
	BPG_BREAKER_OPEN,
	BPG_BREAKER_HALF_OPEN,
	BPG_BREAKER_STATE__MAX
};

/* What a caller may do with a cluster now. */
enum bpg_breaker_verdict {
	BPG_BREAKER_ALLOW,	/* closed: go */
	BPG_BREAKER_TRIAL,	/* half-open: go, this is the trial */
	BPG_BREAKER_DENY	/* open, or another's trial is running */
};

/* The config's clusterFailureThreshold and clusterCooldownMillis. */
struct bpg_breaker_conf {
	int64_t threshold;	/* 1 to 1000 */
	int64_t cooldown_ms;	/* 1 to 86400000 */
};

/* One cluster's state, for GET /admin/clusters and the submit path. */
struct bpg_breaker_view {
	enum bpg_breaker_state state;
	int64_t consecutive_failures;
	char last_error[BPG_BREAKER_ERRLEN];	/* "" when none */
	int64_t last_error_wall_ms;	/* 0 when none */
	int64_t open_since_wall_ms;	/* 0 when closed */
	int64_t submissions_last_minute;
	/* Monotonic ms until a trial may go (0: now); 0 when closed. */
	int64_t trial_in_ms;
	/* The last outcome was a success, at last_success_ms (monotonic);
	 * false when there was none or a failure came after it. */
	bool last_ok;
	int64_t last_success_ms;
};

/*
 * Every cell closed and unused, in a MAP_SHARED | MAP_ANONYMOUS mapping
 * with its process-shared robust mutex: processes forked afterwards
 * share it.  BPG_ENOMEM if the mapping fails, BPG_EIO if the mutex
 * cannot be made.  Free with bpg_breaker_free().
 */
enum bpg_err bpg_breaker_new_shared(struct bpg_breaker **out,
    struct bpg_errinfo *) BPG_WUR;

/* Unmap (in this process only).  NULL is a no-op. */
void bpg_breaker_free(struct bpg_breaker *);

/*
 * May a request go to cluster id at now_ms?  ALLOW when closed; when the
 * cooldown is over and no trial lease is running, TRIAL, and the caller
 * holds the lease until now_ms + lease_ms (it must report the outcome
 * with bpg_breaker_success() or bpg_breaker_failure() before then);
 * otherwise DENY, and *retry_ms (if not NULL) gets how long until a
 * trial may go (at least 1).  A NULL breaker or id always allows.
 */
enum bpg_breaker_verdict bpg_breaker_acquire(struct bpg_breaker *,
    const char *id, const struct bpg_breaker_conf *, int64_t now_ms,
    int64_t lease_ms, int64_t *retry_ms);

/* The cluster answered: the breaker closes, failures go back to 0. */
void bpg_breaker_success(struct bpg_breaker *, const char *id,
    int64_t now_ms);

/*
 * The cluster failed (reason: a short text, never a secret; NULL: none).
 * At threshold consecutive failures, or on a failed trial, the breaker
 * opens (again) at now_ms; wall_ms is the same moment on the wall clock.
 */
void bpg_breaker_failure(struct bpg_breaker *, const char *id,
    const struct bpg_breaker_conf *, int64_t now_ms, int64_t wall_ms,
    const char *reason);

/* One more submission created on cluster id at now_ms (the per-minute
 * count). */
void bpg_breaker_count_submission(struct bpg_breaker *, const char *id,
    int64_t now_ms);

/* Cluster id's state at now_ms into *out (a cluster never seen: closed,
 * nothing counted). */
void bpg_breaker_view(struct bpg_breaker *, const char *id,
    const struct bpg_breaker_conf *, int64_t now_ms,
    struct bpg_breaker_view *out);
/* The same without last_error and submissions_last_minute ("" and 0):
 * what the submit path reads, without copying the rest. */
void bpg_breaker_peek(struct bpg_breaker *, const char *id,
    const struct bpg_breaker_conf *, int64_t now_ms,
    struct bpg_breaker_view *);

/* "closed", "open", "half-open". */
const char *bpg_breaker_state_name(enum bpg_breaker_state);

#endif
