/*
 * Schedules and their fires (tables bpg_schedule and bpg_schedule_fire).
 *
 * A schedule row holds what POST /schedules accepted (the request as
 * submitted: it may hold env values and a queue token, which a fire
 * needs; answers mask them) and the time of its next fire, stored so
 * that the monitor's due query reads an index (bpg_schedule_due) rather
 * than computing every schedule's next time on each turn.  Times are
 * seconds since the epoch; -1 stands for none (SQL NULL).
 *
 * A fire row is keyed by (schedule_id, fire_time): whoever inserts it
 * first owns that fire, so each fire time yields at most one submission
 * across monitors, a leader killed mid-fire and a DB restart.  The row
 * is written with the submission ID chosen BEFORE the CR is created, in
 * state pending; a leader that finds a pending row finishes that fire
 * with that ID and never makes a second.  States:
 *   pending   ID chosen, the CR may not exist yet
 *   done      the submission was made (its row says how it went)
 *   failed    the submission was refused (message says why)
 *   skipped   no submission: missed its deadline, or Forbid
 * Errors as in bpg_db.h: BPG_EINVAL, BPG_ETOOBIG, BPG_EDB, BPG_ENOMEM.
 * On a disabled handle reads find nothing and writes do nothing.
 */
#ifndef BPG_DB_SCHEDULES_H
#define BPG_DB_SCHEDULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpg_db.h"
#include "bpg_err.h"

#define BPG_DB_SCHED_MAX_ID 63 /* a label value */
#define BPG_DB_SCHED_MAX_FIELD 255 /* owner, name, cron, timezone (bytes) */
#define BPG_DB_SCHED_MAX_WORD 16 /* policy, state */
#define BPG_DB_SCHED_MAX_LIST 1000 /* rows a list reads */
#define BPG_DB_SCHED_RECENT 20 /* fires GET /schedules/{id} shows */

#define BPG_DB_FIRE_PENDING "pending"
#define BPG_DB_FIRE_DONE "done"
#define BPG_DB_FIRE_FAILED "failed"
#define BPG_DB_FIRE_SKIPPED "skipped"

struct bpg_db_schedule {
	char id[BPG_DB_SCHED_MAX_ID + 1];
	char owner[BPG_DB_SCHED_MAX_FIELD + 1];
	char name[BPG_DB_SCHED_MAX_FIELD + 1];
	char cron[BPG_DB_SCHED_MAX_FIELD + 1];
	char timezone[BPG_DB_SCHED_MAX_FIELD + 1];
	char policy[BPG_DB_SCHED_MAX_WORD + 1]; /* Allow, Forbid, Replace */
	bool suspend;
	int64_t deadline_s; /* startingDeadlineSeconds; -1: none */
	int64_t anchor; /* "@every" counts from here */
	int64_t next_fire; /* -1: none (suspended) */
	int64_t last_fire; /* -1: never fired */
	int64_t created, updated; /* read only */
	char *request; /* owned; NULL in list answers */
};

struct bpg_db_fire {
	char schedule_id[BPG_DB_SCHED_MAX_ID + 1];
	int64_t fire_time;
	char submission_id[BPG_DB_SCHED_MAX_FIELD + 1]; /* "" if none */
	char state[BPG_DB_SCHED_MAX_WORD + 1];
	/* From the submission's row (reads only): "" if none. */
	char status[64];
	bool finished; /* the submission's row has a finished_time */
};

/* Free s->request (s may be NULL); s stays usable. */
void bpg_db_schedule_reset(struct bpg_db_schedule *s);

/* Insert s; BPG_EEXIST when its ID is taken. */
enum bpg_err bpg_db_schedule_insert(struct bpg_db *db,
    const struct bpg_db_schedule *s, struct bpg_errinfo *ei) BPG_WUR;

/* The row of id into *s (request a new string): *found tells. */
enum bpg_err bpg_db_schedule_get(struct bpg_db *db, const char *id,
    struct bpg_db_schedule *s, bool *found, struct bpg_errinfo *ei) BPG_WUR;

/*
 * The rows of owner (NULL: everyone's), oldest first, at most max into
 * out (no request), their number in *n.
 */
enum bpg_err bpg_db_schedule_list(struct bpg_db *db, const char *owner,
    struct bpg_db_schedule *out, size_t max, size_t *n,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * Replace the row of s->id with s (all but owner and created): *found
 * false when there is none.
 */
enum bpg_err bpg_db_schedule_replace(struct bpg_db *db,
    const struct bpg_db_schedule *s, bool *found,
    struct bpg_errinfo *ei) BPG_WUR;

/* Set suspend, next_fire (-1: none) and anchor of id. */
enum bpg_err bpg_db_schedule_set_suspend(struct bpg_db *db, const char *id,
    bool suspend, int64_t next_fire, int64_t anchor, bool *found,
    struct bpg_errinfo *ei) BPG_WUR;

/* Run id now: next_fire becomes now if it is later (a resumed schedule). */
enum bpg_err bpg_db_schedule_trigger(struct bpg_db *db, const char *id,
    int64_t now, bool *found, struct bpg_errinfo *ei) BPG_WUR;

/* Delete id and its fires. */
enum bpg_err bpg_db_schedule_delete(struct bpg_db *db, const char *id,
    bool *found, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Unsuspended rows with next_fire <= now, earliest first, at most max
 * (with request) into out: free each with bpg_db_schedule_reset().
 */
enum bpg_err bpg_db_schedule_due(struct bpg_db *db, int64_t now,
    struct bpg_db_schedule *out, size_t max, size_t *n,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * Move id's next_fire from old_next to new_next (-1: none) and raise its
 * last_fire to fired (-1: leave it): *changed false when another writer
 * moved it first (or the schedule was changed meanwhile).
 */
enum bpg_err bpg_db_schedule_advance(struct bpg_db *db, const char *id,
    int64_t old_next, int64_t new_next, int64_t fired, bool *changed,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * Insert fire f (state and submission_id as given; "" submission_id:
 * none).  BPG_OK when inserted; BPG_EEXIST when a row holds (schedule,
 * fire time) already: *f is then that row.
 */
enum bpg_err bpg_db_fire_insert(struct bpg_db *db, struct bpg_db_fire *f,
    const char *message, struct bpg_errinfo *ei) BPG_WUR;

/* Move fire (id, t) from state from to to; *changed (may be NULL). */
enum bpg_err bpg_db_fire_set_state(struct bpg_db *db, const char *id,
    int64_t t, const char *from, const char *to, const char *message,
    bool *changed, struct bpg_errinfo *ei) BPG_WUR;

/* Pending fires of every schedule, oldest first, at most max. */
enum bpg_err bpg_db_fire_pending(struct bpg_db *db, struct bpg_db_fire *out,
    size_t max, size_t *n, struct bpg_errinfo *ei) BPG_WUR;

/*
 * The latest fires of id that made a submission (BPG_DB_SCHED_RECENT at
 * most, latest first) with their submissions' states.
 */
enum bpg_err bpg_db_fire_recent(struct bpg_db *db, const char *id,
    struct bpg_db_fire *out, size_t max, size_t *n,
    struct bpg_errinfo *ei) BPG_WUR;

/* The schedule that made submission_id: *id "" if none. */
enum bpg_err bpg_db_fire_schedule_of(struct bpg_db *db,
    const char *submission_id, char id[BPG_DB_SCHED_MAX_ID + 1],
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * The SQL (dbName filled in, "?" for each parameter) of the statements
 * the monitor's schedule task runs on its turns, and of the status
 * endpoint's lookup, so that tests EXPLAIN exactly what runs.  NULL for
 * an unknown which or a NULL db.
 */
enum bpg_db_sched_stmt {
	BPG_DB_SCHED_DUE, /* suspend, next_fire_time <= ? */
	BPG_DB_SCHED_GET, /* schedule_id */
	BPG_DB_SCHED_ADVANCE, /* schedule_id, next_fire_time */
	BPG_DB_SCHED_FIRE_PENDING, /* state 'pending', oldest first */
	BPG_DB_SCHED_FIRE_GET, /* schedule_id, fire_time */
	BPG_DB_SCHED_FIRE_STATE, /* schedule_id, fire_time, state */
	BPG_DB_SCHED_FIRE_RECENT, /* schedule_id, latest first */
	BPG_DB_SCHED_FIRE_OF, /* submission_id */
	BPG_DB_SCHED__MAX
};
const char *bpg_db_schedules_sql(const struct bpg_db *db,
    enum bpg_db_sched_stmt which);

#endif
