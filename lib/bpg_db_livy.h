/*
 * Livy batch IDs (table bpg_livy_batch): Livy's clients want a batch ID
 * that is an integer, so each submission made through the Livy API has
 * one, assigned by the database (AUTO_INCREMENT: unique across every
 * gateway sharing the database), mapped to its submission ID (unique).
 *
 * The ID is reserved first (a row with no submission ID), then bound to
 * the submission ID before that submission's row is written and its CR
 * created; a failover to another cluster binds it again to the new ID.
 * So a submission made through the Livy API always has its integer, and
 * a process that dies in between leaves at most a reserved ID that maps
 * to nothing (NULL) or to a submission ID that was never used: a lookup
 * then finds no submission (404), never another one's.
 *
 * Errors as in bpg_db.h: BPG_EINVAL, BPG_EDB, BPG_ENOMEM.  Every call
 * needs an enabled database (BPG_EDB otherwise).
 */
#ifndef BPG_DB_LIVY_H
#define BPG_DB_LIVY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpg_db.h"
#include "bpg_err.h"

#define BPG_DB_LIVY_MAX_FIELD 255

/* A batch and what the submission's row says of it ("" if nothing). */
struct bpg_db_livy_batch {
	int64_t id;
	char submission_id[BPG_DB_LIVY_MAX_FIELD + 1];
	char owner[BPG_DB_LIVY_MAX_FIELD + 1];
	char status[64];
	char app_id[BPG_DB_LIVY_MAX_FIELD + 1];
	char app_name[BPG_DB_LIVY_MAX_FIELD + 1];
	bool has_row;		/* the submission's row exists */
};

/*
 * A new batch ID for owner (the user the batch runs as) into *id.  A
 * retry after a lost connection may leave an earlier reserved ID unused.
 */
enum bpg_err bpg_db_livy_reserve(struct bpg_db *db, const char *owner,
    int64_t *id, struct bpg_errinfo *ei) BPG_WUR;

/* Map batch id to submission_id (replacing an earlier one). */
enum bpg_err bpg_db_livy_bind(struct bpg_db *db, int64_t id,
    const char *submission_id, struct bpg_errinfo *ei) BPG_WUR;

/* Batch id into *out; *found false if there is none or it is unbound. */
enum bpg_err bpg_db_livy_get(struct bpg_db *db, int64_t id,
    struct bpg_db_livy_batch *out, bool *found, struct bpg_errinfo *ei)
    BPG_WUR;

/*
 * owner's bound batches in ID order, from the from-th (0-based), at most
 * max into out[]; *n gets how many, *total how many owner has.
 */
enum bpg_err bpg_db_livy_list(struct bpg_db *db, const char *owner,
    int64_t from, size_t max, struct bpg_db_livy_batch *out, size_t *n,
    int64_t *total, struct bpg_errinfo *ei) BPG_WUR;

#endif
