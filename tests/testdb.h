/*
 * A scratch schema on the MariaDB server of tests/run-unit.sh
 * (BPG_TEST_DB_PORT) for the unit tests of lib/bpg_db_*.c: a migrated
 * handle on it, and an admin connection to look at and change its tables
 * behind the handle's back.
 */
#ifndef TESTDB_H
#define TESTDB_H

#include <mysql.h>

#include "bpg_db.h"

struct tu_db {
	char schema[64]; /* bpgt_<tag>_<pid> */
	char url[192];
	struct bpg_dbconf conf;
	MYSQL *admin;
	struct bpg_db *db; /* connected, the schema migrated */
	char out[4096]; /* tu_db_str()'s answer */
};

/* Drop and make the schema bpgt_<tag>_<pid>, connect d->db to it. */
void tu_db_open(struct tu_db *d, const char *tag);
/* Free d->db, drop the schema. */
void tu_db_close(struct tu_db *d);

/* printf(fmt, ...) on the admin connection; the test fails if it does. */
void tu_db_exec(struct tu_db *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The first column of the first row ("" for none or NULL), in d->out. */
const char *tu_db_str(struct tu_db *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * The index EXPLAIN says the first table of the query printf(fmt, ...)
 * is read through (its "key" column; "" for none: a full scan), in
 * d->out.  With small tables, ANALYZE them first.
 */
const char *tu_db_explain_key(struct tu_db *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same as a number, -1 for none. */
long long tu_db_long(struct tu_db *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
