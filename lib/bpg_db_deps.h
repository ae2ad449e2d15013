/*
 * Submissions waiting for their dependencies (bpg_deps.h), in two
 * tables of ours:
 *   bpg_dependency  (submission_id, depends_on): one row per link; the
 *                   index bpg_dependency_on finds a job's dependents.
 *   bpg_waiting     one row per submission made with dependencies: its
 *                   owner, the request as it was sent (it may hold env
 *                   values and a queue token: it stays in the database
 *                   and is wiped once it is no longer needed), its
 *                   policy and its state.  The index bpg_waiting_state
 *                   (state, submission_id) serves the monitor's query.
 * States of bpg_waiting, each move a conditional UPDATE from the state
 * read, so that of two writers (the monitor releasing, a DELETE
 * cancelling) exactly one wins:
 *   waiting    no CR; application_submission says WAITING
 *   releasing  the monitor chose to create the CR (a resumed leader
 *              finishes it with the same ID)
 *   released   the CR was created (or refused: SUBMISSION_FAILED)
 *   failed     a dependency failed: the row says DEPENDENCY_FAILED
 *   cancelled  DELETE came first: the row says CANCELLED
 * Errors as in bpg_db.h: BPG_EINVAL for a bad ID or value, BPG_ETOOBIG,
 * BPG_EDB, BPG_ENOMEM.  On a disabled handle reads find nothing and
 * writes do nothing.
 */
#ifndef BPG_DB_DEPS_H
#define BPG_DB_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#include "bpg_db.h"
#include "bpg_err.h"

#define BPG_DB_DEPS_MAX_ID 255
#define BPG_DB_DEPS_MAX_WORD 16

#define BPG_DB_DEPS_WAITING "waiting"
#define BPG_DB_DEPS_RELEASING "releasing"
#define BPG_DB_DEPS_RELEASED "released"
#define BPG_DB_DEPS_FAILED "failed"
#define BPG_DB_DEPS_CANCELLED "cancelled"

struct bpg_db_waiting {
	char submission_id[BPG_DB_DEPS_MAX_ID + 1];
	char owner[BPG_DB_DEPS_MAX_ID + 1];
	char policy[BPG_DB_DEPS_MAX_WORD + 1];
	char state[BPG_DB_DEPS_MAX_WORD + 1];
	int format; /* enum bpg_req_format of request */
	char *request; /* owned; NULL when not read or wiped */
};

/* Free w->request; w stays usable.  NULL is a no-op. */
void bpg_db_waiting_reset(struct bpg_db_waiting *w);

/*
 * In one transaction: row (bpg_db_insert_submission()'s columns) with
 * status WAITING, the links of row->submission_id to deps[0..ndeps), and
 * w (its submission_id must be row's; state waiting).  Nothing of it is
 * written if any part fails.  BPG_EEXIST if the ID is taken.  A commit
 * whose answer was lost is not sent again: bpg_db_insert_unsettled()
 * then tells that it may have been recorded.  Not on a fenced handle
 * (bpg_db_set_fence(): the monitor's): BPG_EINVAL.
 */
enum bpg_err bpg_db_deps_record(struct bpg_db *db,
    const struct bpg_db_submission *row, const struct bpg_db_waiting *w,
    const char *const *deps, size_t ndeps, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Rows of bpg_waiting in state, submission_id after after ("" from the
 * start), in ID order, at most max into out, without their requests: *n.
 */
enum bpg_err bpg_db_deps_list(struct bpg_db *db, const char *state,
    const char *after, struct bpg_db_waiting *out, size_t max, size_t *n,
    struct bpg_errinfo *ei) BPG_WUR;

/* The row of id with its request: *found tells. */
enum bpg_err bpg_db_deps_get(struct bpg_db *db, const char *id,
    struct bpg_db_waiting *w, bool *found, struct bpg_errinfo *ei) BPG_WUR;

/* The dependencies of id, in ID order, at most max into out: *n. */
enum bpg_err bpg_db_deps_links(struct bpg_db *db, const char *id,
    char (*out)[BPG_DB_DEPS_MAX_ID + 1], size_t max, size_t *n,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * Move the row of id from state from to state to; released wipes the
 * request.  *changed false: it was not in state from.
 */
enum bpg_err bpg_db_deps_move(struct bpg_db *db, const char *id,
    const char *from, const char *to, bool *changed,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * In one statement, only from state waiting: the row of id moves to state
 * to (failed or cancelled) and its request is wiped, and its
 * application_submission row gets status, error_message message (NULL:
 * none; cut to BPG_DB_MAX_ERROR_MESSAGE bytes) and a finished_time.
 * *changed false: it was no longer waiting (nothing written).
 */
enum bpg_err bpg_db_deps_end(struct bpg_db *db, const char *id,
    const char *to, const char *status, const char *message, bool *changed,
    struct bpg_errinfo *ei) BPG_WUR;

/* The SQL of the monitor's query (for EXPLAIN in the tests). */
const char *bpg_db_deps_list_sql(const struct bpg_db *db);

#endif
