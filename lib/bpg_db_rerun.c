/*
 * The retry policy of the statement helper (bpg_db_stmt.c): which errors
 * are worth running the operation again, how many times, with what pause.
 * Every operation of the db modules is one autocommit statement or a few
 * idempotent ones (upserts, guarded updates, selects), so running one
 * again after a rollback or a refusal writes nothing twice.
 */
#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "bpg_db_rerun.h"

/* MySQL 8.0.24+: the server closed an idle connection (wait_timeout). */
#ifndef ER_CLIENT_INTERACTION_TIMEOUT
#define ER_CLIENT_INTERACTION_TIMEOUT 4031
#endif

/* Runs in all, per class. */
#define ROLLBACK_TRIES 6	/* deadlocks and certification failures */
#define NOT_READY_TRIES 5	/* about 1.5 s of an unready node */

enum db_rerun
db_rerun_class(unsigned int code)
{
	switch (code) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
	case ER_CLIENT_INTERACTION_TIMEOUT:
		/* The table changed under a prepared statement. */
	case ER_NEED_REPREPARE:
		return DB_RERUN_LOST;
	case ER_LOCK_DEADLOCK:
		return DB_RERUN_ROLLBACK;
	case ER_UNKNOWN_COM_ERROR:
		/*
		 * Galera: a commit the node could not replicate ("Not
		 * connected to Primary Component"); it was rolled back.
		 */
	case ER_ERROR_DURING_COMMIT:
		return DB_RERUN_NOT_READY;
	default:
		return DB_RERUN_NONE;
	}
}

const char *
db_rerun_name(enum db_rerun c)
{
	switch (c) {
	case DB_RERUN_LOST:
		return "lost";
	case DB_RERUN_ROLLBACK:
		return "rollback";
	case DB_RERUN_NOT_READY:
		return "not_ready";
	default:
		return "none";
	}
}

unsigned int
db_rerun_tries(enum db_rerun c)
{
	switch (c) {
	case DB_RERUN_LOST:
		return 2;
	case DB_RERUN_ROLLBACK:
		return ROLLBACK_TRIES;
	case DB_RERUN_NOT_READY:
		return NOT_READY_TRIES;
	default:
		return 1;
	}
}

unsigned int
db_rerun_pause_ms(enum db_rerun c, unsigned int retry)
{
	if (retry == 0)
		return 0;
	switch (c) {
	case DB_RERUN_ROLLBACK:
		/* 1, 2, 4, 8, 16 ms: the winner's write set applies fast. */
		return 1u << (retry - 1 < 10 ? retry - 1 : 10);
	case DB_RERUN_NOT_READY:
		/* 100, 200, 300, ... ms: a node rejoining takes a while. */
		return 100 * retry;
	default:
		return 0;
	}
}
