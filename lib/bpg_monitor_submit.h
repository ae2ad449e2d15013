/*
 * Submissions the monitor makes by itself, as their owner: schedule
 * fires, retries, dependents released.  Each is a request stored as its
 * owner submitted it and a submission ID chosen and recorded beforehand
 * by the task (its own table), so that whoever leads next finishes the
 * same submission and never makes a second.
 *
 * bpg_monitor_submit() runs POST /spark's checks and routing on the
 * request as the owner (bpg_route_submission(): queue, token, limits;
 * bpg_notify_plan(): its webhooks and the queue's), builds the CR for the
 * ID's cluster, writes the row (an upsert: a resumed step writes it
 * again) and the webhooks' receivers, then creates the CR.  It may be called
 * again for the same ID at any time: the CR is named by the ID, so a
 * second create answers 409, which means it is there.
 *
 * Outcomes:
 *   BPG_MSUB_DONE     the CR exists.
 *   BPG_MSUB_REFUSED  the request fails the checks now, the CR does not
 *                     pass the CRD, or the API server refused the create
 *                     (a 4xx other than 409 and 429): nothing was created;
 *                     the row, if written, is marked SUBMISSION_FAILED with
 *                     the reason (ei).
 *   BPG_MSUB_AGAIN    not settled: no longer the leader, the DB or the API
 *                     server failed, a 429, or no answer.  Call again on a
 *                     later turn.
 */
#ifndef BPG_MONITOR_SUBMIT_H
#define BPG_MONITOR_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpg_route.h"

#include "bpg_err.h"
#include "bpg_req.h"

struct bpg_monitor;
struct bpg_zones;

#define BPG_MSUB_MAX_EXTRA 4

/* A key and value added to the CR's labels or the row's summary. */
struct bpg_msub_pair {
	const char *key;
	const char *value;
};

struct bpg_msub {
	const char *id; /* the chosen ID; the cluster is the ID's */
	const char *owner; /* who it is made as */
	const char *request; /* the request as the owner sent it */
	enum bpg_req_format format; /* of request (0: JSON) */
	struct bpg_msub_pair labels[BPG_MSUB_MAX_EXTRA]; /* key NULL: unused */
	struct bpg_msub_pair summary[BPG_MSUB_MAX_EXTRA]; /* the same */
};

enum bpg_msub_outcome {
	BPG_MSUB_DONE,
	BPG_MSUB_REFUSED,
	BPG_MSUB_AGAIN
};

/* rng for the queue choice, zones for the CR (the task's own). */
enum bpg_msub_outcome bpg_monitor_submit(struct bpg_monitor *,
    struct bpg_rng *, struct bpg_zones *, const struct bpg_msub *,
    struct bpg_errinfo *);

/*
 * What a task that submits keeps (bpg_monitor_int.h's task hooks): its
 * random state, its zones, and the bpg_watch_now_ms() of its next turn.
 * It is the first member of the task's own state (or the whole of it),
 * so that the hooks below serve every such task.
 */
struct bpg_msub_state {
	struct bpg_rng rng;
	struct bpg_zones *zones;
	long long next_ms;
};

/* init: a zeroed state of size bytes (at least the struct above), its
 * zones made and its rng seeded. */
enum bpg_err bpg_msub_state_new(size_t size, void **state,
    struct bpg_errinfo *);
/* The hooks of a task whose state is just that: init, free, lead (a
 * turn at once), due. */
enum bpg_err bpg_msub_init(struct bpg_monitor *, void **state,
    struct bpg_errinfo *);
void bpg_msub_state_free(void *state);
void bpg_msub_lead(struct bpg_monitor *, void *state, long long now);
long long bpg_msub_due(const struct bpg_monitor *, const void *state);
/*
 * A step's start: true when its turn has come (the next one planned
 * period_ms on), there is a database, and the lease is confirmed.
 */
bool bpg_msub_turn(struct bpg_monitor *, struct bpg_msub_state *,
    long long period_ms);

/* The monitor's clock (bpg_monitor_opts.clock_ms, else the wall), in s. */
int64_t bpg_monitor_now_s(const struct bpg_monitor *);

#endif
