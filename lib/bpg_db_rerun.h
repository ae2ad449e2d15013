/*
 * Which failed statements the statement helper runs again, how often, and
 * after what pause.  Pure functions of the server's error number, so the
 * policy is testable without a server.
 */
#ifndef BPG_DB_RERUN_H
#define BPG_DB_RERUN_H

enum db_rerun {
	/* An answer (duplicate key, bad value, ...): the same again. */
	DB_RERUN_NONE,
	/* The connection is gone: once more on a new connection. */
	DB_RERUN_LOST,
	/*
	 * The transaction was rolled back and nothing was written: 1213,
	 * an InnoDB deadlock or, on Galera, a certification failure or a
	 * brute-force abort by a replicated write.  Run it again on the same
	 * connection after a short pause.
	 */
	DB_RERUN_ROLLBACK,
	/*
	 * The node refused the statement before running it: on Galera 1047
	 * "WSREP has not yet prepared node for application use" (the node is
	 * joining, or not in the primary component), or 1180 for a commit
	 * it could not replicate.  Nothing was written; run it again on a
	 * new connection after a longer pause, and give up (503) if the
	 * node stays unready.
	 */
	DB_RERUN_NOT_READY,
	DB_RERUN__MAX
};

/* The class's name for a label: "lost", "rollback", "not_ready". */
const char *db_rerun_name(enum db_rerun c);
/* The class of the server's or the client library's error number. */
enum db_rerun db_rerun_class(unsigned int code);
/* How many times in all an operation may run for failures of class c. */
unsigned int db_rerun_tries(enum db_rerun c);
/* Milliseconds to wait before the retry-th rerun (1-based) of class c. */
unsigned int db_rerun_pause_ms(enum db_rerun c, unsigned int retry);

#endif
