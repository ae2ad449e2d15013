/*
 * Livy batch IDs (table bpg_livy_batch): Livy's clients want a batch ID
 * that is an integer, so each submission made through the Livy API has
 * one, assigned by the database (AUTO_INCREMENT: unique across every
 * gateway sharing the database), mapped to its submission ID (unique).
 *
 * The integer is assigned with the first submission ID a submission
 * chooses, before that submission's row is written and its CR created;
 * a failover to another cluster binds it to the new ID the same way.  So
 * a submission made through the Livy API always has its integer, and a
 * process that dies between the two writes leaves a batch whose
 * submission ID was never used: a lookup then finds no submission (404),
 * never another one's, and lists leave it out.
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
	bool deleted;		/* DELETE /batches/{id} deleted it */
};

/*
 * A new batch for owner (the user it runs as) mapped to submission_id;
 * its ID into *id.  A retry after a lost answer finds the row the first
 * try wrote (same submission ID and owner) and answers its ID.
 */
enum bpg_err bpg_db_livy_insert(struct bpg_db *db, const char *owner,
    const char *submission_id, int64_t *id, struct bpg_errinfo *ei) BPG_WUR;

/* Map batch id to submission_id instead (the next try of a failover). */
enum bpg_err bpg_db_livy_bind(struct bpg_db *db, int64_t id,
    const char *submission_id, struct bpg_errinfo *ei) BPG_WUR;

/* Record that batch id was deleted (once: the first time stays). */
enum bpg_err bpg_db_livy_deleted(struct bpg_db *db, int64_t id,
    struct bpg_errinfo *ei) BPG_WUR;

/* Batch id into *out; *found false if there is none. */
enum bpg_err bpg_db_livy_get(struct bpg_db *db, int64_t id,
    struct bpg_db_livy_batch *out, bool *found, struct bpg_errinfo *ei)
    BPG_WUR;

/*
 * owner's batches whose submission has a row, in ID order, from the from-th (0-based), at most
 * max into out[]; *n gets how many, *total how many owner has.
 */
enum bpg_err bpg_db_livy_list(struct bpg_db *db, const char *owner,
    int64_t from, size_t max, struct bpg_db_livy_batch *out, size_t *n,
    int64_t *total, struct bpg_errinfo *ei) BPG_WUR;

#endif
