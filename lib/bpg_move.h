/*
 * Moving a starved application to another cluster: the pure parts of the
 * monitor's starvation task (bpg_monitor_starve.c), with no I/O and the
 * clock passed in.
 *
 * An application of a queue with maxPendingMillis that is still
 * SUBMITTED (its driver has not started: no driver pod, or one still
 * Pending) that long after its creation is deleted and submitted again
 * as a new attempt (bpg_db_attempts.h) on another eligible cluster of
 * the queue, at most once per cluster.
 */
#ifndef BPG_MOVE_H
#define BPG_MOVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_config.h"
#include "bpg_crd.h"
#include "bpg_err.h"
#include "bpg_route.h"

/*
 * Whether an app in state (NULL: none yet) whose driver pod is in phase
 * pod_phase (NULL: no driver pod) is still waiting for its driver: state
 * SUBMITTED (any case) and no pod or a Pending one.
 */
bool bpg_move_waiting(const char *state, const char *pod_phase);

/*
 * Whether such an app, created at created_ms (epoch ms; < 0 unknown), is
 * due to move at now_ms under max_pending_ms (> 0): waiting and pending
 * for more than max_pending_ms.
 */
bool bpg_move_due(const char *state, const char *pod_phase,
    int64_t created_ms, int64_t max_pending_ms, int64_t now_ms);

/*
 * The weighted choice of bpg_route_cluster() (weight > 0, spark_version,
 * the parent queue of queue) among the clusters whose id is not one of
 * exclude[0..nexclude): *out, or BPG_ENOTFOUND when none is left.
 * BPG_ECONFIG if the weights overflow.
 */
enum bpg_err bpg_move_pick(const struct bpg_config *, const char *spark_version,
    const char *queue, const char *const *exclude, size_t nexclude,
    struct bpg_rng *, const struct bpg_cluster **out,
    struct bpg_errinfo *) BPG_WUR;

/*
 * The CR of the new attempt new_id on cluster to, built as POST /spark
 * builds it (bpg_crd_build(), then bpg_crd_check()) from what the old
 * attempt left: request_body, the sanitised request stored in its row,
 * and old_cr, its live SparkApplication on cluster from, which gives what
 * the stored request lacks: the users (spec.originalUser, proxyUser),
 * the full queue (label queue), and the request's own env entries (those
 * of spec.driver.env and spec.executor.env that are not the from
 * cluster's configured entries; stored requests keep no env, since
 * values may be secrets).  Everything that depends on the cluster
 * (namespace, service account, volumes, env, sparkConf, UI options, TTL,
 * batch scheduler, the name) comes from to.  zones: as for
 * bpg_crd_build().  *cr is a new reference.  BPG_EINVAL naming what is
 * missing or refused, BPG_ENOMEM.
 */
enum bpg_err bpg_move_build_cr(const struct bpg_config *,
    const struct bpg_cluster *from, const struct bpg_cluster *to,
    const char *request_body, const json_t *old_cr, const char *new_id,
    struct bpg_zones *zones, json_t **cr, struct bpg_errinfo *) BPG_WUR;

/* What the old app looks like now, for a move under way. */
enum bpg_move_old {
	BPG_MOVE_OLD_WAITING,	/* the same app, its driver not started */
	BPG_MOVE_OLD_STARTED,	/* the same app, no longer waiting */
	BPG_MOVE_OLD_OTHER,	/* an app of that name with another uid */
	BPG_MOVE_OLD_GONE,	/* no app of that name */
	BPG_MOVE_OLD_UNKNOWN,	/* could not be read */
	BPG_MOVE_OLD__MAX
};

/* What to do next. */
enum bpg_move_act {
	BPG_MOVE_NOTHING,	/* the move has ended */
	BPG_MOVE_WAIT,		/* try again later */
	BPG_MOVE_DELETE,	/* (state deleting) delete the old CR */
	BPG_MOVE_CREATE,	/* (state deleted) create the new CR */
	BPG_MOVE_ABANDON,	/* the old app stays: state abandoned */
	BPG_MOVE_ACT__MAX
};

/*
 * The next action of a move in state (bpg_db_attempts.h) given the old
 * app:
 *   pending   waiting: delete; unknown: wait; else abandon (it started,
 *             or vanished, before anything was done)
 *   deleting  waiting: delete (again: the delete's answer was lost, or a
 *             status update beat its precondition); gone or another uid:
 *             create (our delete went through); started: abandon;
 *             unknown: wait
 *   deleted   create
 *   other     nothing
 */
enum bpg_move_act bpg_move_next(const char *state, enum bpg_move_old old);

#endif
