/*
 * The link between the attempts of one job (table submission_attempt):
 * a job is its first submission; each later attempt is a submission of
 * its own (row, ID and CR) with a row here naming the job, its number,
 * the submission it follows and why it was made.  The monitor's
 * starvation move (bpg_monitor_starve.c) writes cause "moved"; retries
 * will write "retry" the same way.
 *
 * The first submission has no row: it is attempt 1 of the job named by
 * its own ID.  Rows exist for attempts 2 and on.  The primary key
 * (job_id, attempt) lets exactly one of several writers create attempt
 * n; previous_submission_id and submission_id are unique too, so a
 * submission has at most one successor.
 *
 * A row also carries the progress of the step that made it (state), so
 * that whoever holds the monitor's lock next can finish it:
 *   pending   the intent: the new ID and the CR to create chosen; the
 *             old CR not touched yet, no row for the new ID yet
 *   deleting  the old CR's delete is about to be sent
 *   deleted   the old CR is gone; the new ID's row is written and the
 *             old row names the new ID
 *   done      the new CR exists
 *   abandoned the old app started (or vanished) first: nothing moved
 *   failed    the new CR was refused: the new row says why
 * Errors as in bpg_db.h: BPG_EINVAL for a bad ID, BPG_ETOOBIG, BPG_EDB,
 * BPG_ENOMEM.  On a disabled handle reads find nothing and writes do
 * nothing.
 */
#ifndef BPG_DB_ATTEMPTS_H
#define BPG_DB_ATTEMPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "bpg_db.h"
#include "bpg_err.h"

#define BPG_DB_ATTEMPT_MAX_ID 255
#define BPG_DB_ATTEMPT_MAX_UID 63
#define BPG_DB_ATTEMPT_MAX_WORD 16 /* cause, state */
/* Most attempts one job may have (bpg_db_attempt_job() reads no more). */
#define BPG_DB_MAX_ATTEMPTS 64

#define BPG_DB_ATTEMPT_MOVED "moved"
#define BPG_DB_ATTEMPT_PENDING "pending"
#define BPG_DB_ATTEMPT_DELETING "deleting"
#define BPG_DB_ATTEMPT_DELETED "deleted"
#define BPG_DB_ATTEMPT_DONE "done"
#define BPG_DB_ATTEMPT_ABANDONED "abandoned"
#define BPG_DB_ATTEMPT_FAILED "failed"

struct bpg_db_attempt {
	char job_id[BPG_DB_ATTEMPT_MAX_ID + 1];
	int attempt; /* 2 and on */
	char submission_id[BPG_DB_ATTEMPT_MAX_ID + 1];
	char previous_submission_id[BPG_DB_ATTEMPT_MAX_ID + 1];
	char previous_uid[BPG_DB_ATTEMPT_MAX_UID + 1]; /* "" if unknown */
	char cluster[BPG_DB_ATTEMPT_MAX_ID + 1]; /* configured cluster id */
	char cause[BPG_DB_ATTEMPT_MAX_WORD + 1];
	char state[BPG_DB_ATTEMPT_MAX_WORD + 1];
};

/*
 * Insert a (its state is the first state) with cr (NULL: none), the CR
 * the attempt is to create, kept until the row reaches done, abandoned
 * or failed: whoever finishes the step creates exactly that CR, even
 * after the object it was made from is gone.  BPG_OK when inserted, or when
 * the very same row is there already (an insert whose answer was lost and
 * was sent again); BPG_EEXIST when another row holds (job_id, attempt),
 * submission_id or previous_submission_id: another writer won.
 */
enum bpg_err bpg_db_attempt_insert(struct bpg_db *db,
    const struct bpg_db_attempt *a, const char *cr,
    struct bpg_errinfo *ei) BPG_WUR;

/* The CR kept with the row of submission_id: *cr a new string, NULL if
 * none (no row, or wiped). */
enum bpg_err bpg_db_attempt_cr(struct bpg_db *db, const char *submission_id,
    char **cr, struct bpg_errinfo *ei) BPG_WUR;

/*
 * The row of submission_id (by_id), or the row whose
 * previous_submission_id is id (next): *found tells; *a is filled when
 * found.
 */
enum bpg_err bpg_db_attempt_by_id(struct bpg_db *db, const char *id,
    struct bpg_db_attempt *a, bool *found, struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err bpg_db_attempt_next(struct bpg_db *db, const char *id,
    struct bpg_db_attempt *a, bool *found, struct bpg_errinfo *ei) BPG_WUR;

/*
 * The rows of job_id in attempt order, at most max into out: *n of them
 * (a job with more rows gives its first max).
 */
enum bpg_err bpg_db_attempt_job(struct bpg_db *db, const char *job_id,
    struct bpg_db_attempt *out, size_t max, size_t *n,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * Rows still under way (pending, deleting, deleted), oldest first, at
 * most max into out (the index on state reads only those).
 */
enum bpg_err bpg_db_attempt_open(struct bpg_db *db, struct bpg_db_attempt *out,
    size_t max, size_t *n, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Move the row of submission_id from state from to state to, and set its
 * message (NULL keeps it; cut to BPG_DB_MAX_ERROR_MESSAGE bytes); done,
 * abandoned and failed wipe the kept CR.
 * *changed (may be NULL) is false when the row was not in state from.
 */
enum bpg_err bpg_db_attempt_set_state(struct bpg_db *db,
    const char *submission_id, const char *from, const char *to,
    const char *message, bool *changed, struct bpg_errinfo *ei) BPG_WUR;

/*
 * The submission old_id was replaced by another: its row gets status
 * SUBMISSION_FAILED and error_message reason whatever it had (the
 * monitor may have recorded the deleted CR as LOST meanwhile: the move is
 * what happened), and a finished_time if it had none.
 */
enum bpg_err bpg_db_attempt_mark_replaced(struct bpg_db *db,
    const char *old_id, const char *reason, struct bpg_errinfo *ei) BPG_WUR;

#endif
