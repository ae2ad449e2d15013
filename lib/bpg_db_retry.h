/*
 * Jobs with a retry policy (table bpg_retry_job): a job is named by its
 * first submission ID (its handle) and keeps what the monitor needs to
 * submit it again as its owner: the owner, the request as submitted (it
 * may hold env values and a queue token: it stays here, never in an
 * answer or a log), the policy (bpg_retry.h), and where the job stands:
 *
 *   last_attempt, last_id  the newest attempt (1 and the handle at first)
 *   retry_at               when attempt last_attempt + 1 is due (monitor
 *                          clock, epoch s); -1 while none is planned
 *   active                 more attempts may follow; false once the job
 *                          ended (no retry left or wanted) or was cancelled
 *   cancelled              DELETE of the handle or of an attempt
 *
 * The attempts 2 and on are rows of submission_attempt (bpg_db_attempts.h,
 * cause "retry"); bpg_db_retry_begin() writes one and moves last_attempt
 * in one transaction that reads the job row with a lock, so an attempt is
 * made only while the job is not cancelled, and by one writer only.
 *
 * Errors as in bpg_db.h: BPG_EINVAL for a bad ID, BPG_ETOOBIG, BPG_EDB,
 * BPG_ENOMEM.  On a disabled handle reads find nothing and writes do
 * nothing.
 */
#ifndef BPG_DB_RETRY_H
#define BPG_DB_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpg_db.h"
#include "bpg_db_attempts.h"
#include "bpg_err.h"
#include "bpg_retry.h"

#define BPG_DB_RETRY_MAX_ID 255
#define BPG_DB_RETRY_MAX_OWNER 255
/* Jobs the monitor's queries read at most per call. */
#define BPG_DB_RETRY_BATCH 64

#define BPG_DB_ATTEMPT_RETRY "retry"

struct bpg_db_retry_job {
	char job_id[BPG_DB_RETRY_MAX_ID + 1];
	char owner[BPG_DB_RETRY_MAX_OWNER + 1];
	struct bpg_retry_policy policy;
	int last_attempt;
	char last_id[BPG_DB_RETRY_MAX_ID + 1];
	int64_t retry_at; /* -1: none planned */
	bool active, cancelled;
	char *request; /* owned; NULL unless asked for */
};

/* Free what j owns (the request). */
void bpg_db_retry_job_reset(struct bpg_db_retry_job *j);

/*
 * The job of handle job_id with policy p, for owner, request the request
 * JSON as submitted.  BPG_OK also when the same job is there (an insert
 * sent again after its answer was lost).
 */
enum bpg_err bpg_db_retry_insert(struct bpg_db *db, const char *job_id,
    const char *owner, const char *request, const struct bpg_retry_policy *p,
    struct bpg_errinfo *ei) BPG_WUR;

/* Remove the job of handle job_id (POST /spark moved to another ID
 * before anything was created). */
enum bpg_err bpg_db_retry_forget(struct bpg_db *db, const char *job_id,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * The job whose handle is job_id: *found tells; with_request also reads
 * the request (j->request, the caller's to free with
 * bpg_db_retry_job_reset()).  Its policy, the attempts used
 * (last_attempt) and whether it was cancelled.
 */
enum bpg_err bpg_db_retry_get(struct bpg_db *db, const char *job_id,
    bool with_request, struct bpg_db_retry_job *j, bool *found,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * The job submission id belongs to, for any attempt: *job_id (a buffer of
 * BPG_DB_RETRY_MAX_ID + 1) and *attempt, its number (1 for a handle).
 * *found false when id is neither a job's handle nor one of its
 * attempts (the starvation move's attempts count too).  *has_job tells
 * whether the job has a retry policy (a row here).
 */
enum bpg_err bpg_db_retry_job_of(struct bpg_db *db, const char *id,
    char *job_id, int *attempt, bool *has_job, bool *found,
    struct bpg_errinfo *ei) BPG_WUR;

/* An active job whose last attempt has ended, with no retry planned. */
struct bpg_db_retry_ended {
	char job_id[BPG_DB_RETRY_MAX_ID + 1];
	int last_attempt;
	char status[32]; /* the last attempt's row's status */
};

/*
 * At most max such jobs (the index on (active, retry_at) finds the
 * active ones with none planned; each is joined to its last attempt's
 * row by its key).
 */
enum bpg_err bpg_db_retry_ended(struct bpg_db *db,
    struct bpg_db_retry_ended *out, size_t max, size_t *n,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * The ended attempt last_attempt of job_id: retry_at >= 0 plans the next
 * at that time; -1 ends the job (active false).  Only from the state
 * read (active, last_attempt, no retry planned): *changed (may be NULL)
 * is false when another writer did it first.
 */
enum bpg_err bpg_db_retry_plan(struct bpg_db *db, const char *job_id,
    int last_attempt, int64_t retry_at, bool *changed,
    struct bpg_errinfo *ei) BPG_WUR;

/* Handles of active jobs whose planned retry is due at now (epoch s),
 * earliest first, at most max into out[][BPG_DB_RETRY_MAX_ID + 1]. */
enum bpg_err bpg_db_retry_due(struct bpg_db *db, int64_t now,
    char (*out)[BPG_DB_RETRY_MAX_ID + 1], size_t max, size_t *n,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * Attempt a (cause "retry", state pending, a->attempt the next number,
 * a->previous_submission_id the job's last_id) in one transaction: the
 * job row is read with a lock, a is inserted and becomes the job's last
 * attempt, its planned time cleared.
 *   BPG_OK          written now, or by this very call before (a repeat
 *                   after a lost answer): a is the job's last attempt
 *   BPG_ECONFLICT   the job is cancelled or ended: nothing written
 *   BPG_EEXIST      another writer made attempt a->attempt (or went on)
 *   BPG_ENOTFOUND   no such job
 */
enum bpg_err bpg_db_retry_begin(struct bpg_db *db,
    const struct bpg_db_attempt *a, struct bpg_errinfo *ei) BPG_WUR;

/* End the job (active false) if last_attempt is still its last one. */
enum bpg_err bpg_db_retry_close(struct bpg_db *db, const char *job_id,
    int last_attempt, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Cancel job_id: no attempt is made after this returns (an attempt being
 * made now is either written before, and then seen by whoever reads the
 * job's attempts after this, or not at all).  *found (may be NULL) tells
 * whether the job exists.
 */
enum bpg_err bpg_db_retry_cancel(struct bpg_db *db, const char *job_id,
    bool *found, struct bpg_errinfo *ei) BPG_WUR;

#endif
