/*
 * MariaDB as a gateway worker uses it, for the benchmark's reference
 * programs (dbdrive.c, floor.c): one connection made the way the gateway
 * makes it, and the gateway's insert of a submission row.
 *
 * Benchmark tools only; never installed.
 */
#ifndef BENCHDB_H
#define BENCHDB_H

#include <mysql.h>

#define BENCHDB_MAX_TEXT 65535	/* request_body is a TEXT */

struct benchdb {
	const char *host, *user, *password, *db;
	unsigned int port;
};

/* TCP, utf8mb4, UTC session; NULL (message on stderr) on failure. */
MYSQL *benchdb_connect(const struct benchdb *d, const char *prog);

/*
 * The upsert of lib/bpg_db_submissions.c, prepared; NULL (message) on
 * failure.
 */
MYSQL_STMT *benchdb_prepare_insert(MYSQL *my, const struct benchdb *d,
    const char *prog);

/*
 * Insert the row a SparkPi submission of alice's stores under id:
 * request_body is body, bpg_request_summary summary.  0 or -1.
 */
int benchdb_insert(MYSQL_STMT *st, const char *id, const char *body,
    const char *summary);

/* A text file's content without its trailing newlines, into buf
 * (BENCHDB_MAX_TEXT + 1 bytes); exits on error. */
void benchdb_read_text(const char *prog, const char *path, char *buf);

#endif
