/*
 * The monitor's statements for a page of applications at once: one
 * SELECT for the rows of up to BPG_DB_MONBATCH_MAX submission IDs and one
 * multi-row upsert of their states, instead of a round trip per
 * application (a list of 100,000 SparkApplications would otherwise cost
 * 200,000 of them).  Same rules and errors as bpg_db_monitor_read() and
 * bpg_db_monitor_state() in bpg_db.h.
 */
#ifndef BPG_DB_MONBATCH_H
#define BPG_DB_MONBATCH_H

#include <stddef.h>

#include "bpg_db.h"

/* IDs a call takes at most; the statements have that many slots. */
#define BPG_DB_MONBATCH_MAX 256

/*
 * rows[i] (caller's array of n) receives the row of ids[i], found false
 * if there is none; 1 <= n <= BPG_DB_MONBATCH_MAX.  A disabled handle
 * finds no rows.
 */
enum bpg_err bpg_db_monitor_read_many(struct bpg_db *db,
    const char *const *ids, size_t n, struct bpg_db_app *rows,
    struct bpg_errinfo *ei) BPG_WUR;

/* One application's state for bpg_db_monitor_state_many(). */
struct bpg_db_state_row {
	const char *id;     /* borrowed */
	const char *status; /* not NULL */
	const char *app_id; /* NULL keeps the column */
};

/*
 * bpg_db_monitor_state() for n rows (1 to BPG_DB_MONBATCH_MAX) in one
 * statement, so all of them or none are written.  Nothing is written if
 * any row is refused (BPG_EINVAL, BPG_ETOOBIG: ei names its ID).
 */
enum bpg_err bpg_db_monitor_state_many(struct bpg_db *db,
    const struct bpg_db_state_row *rows, size_t n,
    struct bpg_errinfo *ei) BPG_WUR;

#endif /* BPG_DB_MONBATCH_H */
