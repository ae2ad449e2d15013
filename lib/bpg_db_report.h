/*
 * Reports read from application_submission (bpg_report.h says what a
 * report holds).
 *
 * One statement: the server counts and sums per (key, status, run time
 * in whole seconds) and hands the groups over in key and run time order,
 * unbuffered; the percentiles of a key are picked from its run times'
 * histogram (bpg_report_hist), so memory grows with the number of keys
 * and of distinct run times in one key, never with the number of rows.
 * It reads the index bpg_report alone (bpg_db_migrate.c) for a
 * whole-table report but by user (`user` does not fit beside queue and
 * status), bpg_user_created for one user's.
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
 * when `user`, then from and to in epoch seconds) of the report's
 * statement, for EXPLAIN in tests and benchmarks.  Borrowed from db;
 * NULL if not made.
 */
const char *bpg_db_report_sql(const struct bpg_db *db,
    enum bpg_report_group group, bool user);

#endif
