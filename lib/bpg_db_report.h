/*
 * Reports read from application_submission (bpg_report.h says what a
 * report holds).
 *
 * Two statements in one read-only transaction with a consistent snapshot,
 * so that both see the same rows: the first counts and sums in SQL per
 * (key, status); the second streams each group's run times in ascending
 * order, unbuffered, and bpg_report_pick() keeps only the two ranks it
 * needs, so memory grows with the number of groups, never with the number
 * of rows.  Both read the index bpg_report (bpg_db_migrate.c) for the
 * whole-table reports, bpg_user_created for a user's.
 */
#ifndef BPG_DB_REPORT_H
#define BPG_DB_REPORT_H

#include <stdbool.h>

#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_report.h"

/*
 * q's report into *out (emptied first; the caller frees it, also on
 * error).  q->user NULL: every row; else only that user's rows, compared
 * byte for byte.  On a disabled handle the report is empty.  BPG_EDB,
 * BPG_ENOMEM, BPG_ETOOBIG (too many groups), BPG_EINVAL.
 */
enum bpg_err bpg_db_report(struct bpg_db *db, const struct bpg_report_query *q,
    struct bpg_report *out, struct bpg_errinfo *ei) BPG_WUR;

/*
 * The SQL text (dbName filled in, '?' for the parameters: the user twice
 * when `user`, then from and to in epoch seconds) of the statement that
 * sums (durations false) or streams the run times (true), for EXPLAIN in
 * tests and benchmarks.  Borrowed from db; NULL if not made.
 */
const char *bpg_db_report_sql(const struct bpg_db *db,
    enum bpg_report_group group, bool user, bool durations);

#endif
