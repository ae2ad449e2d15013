/*
 * Private declarations shared by the database modules (bpg_db_*.c): the
 * handle, the statements and the one statement helper (bpg_db_stmt.c).
 * Not for any other module: they use bpg_db.h.
 *
 * A module of one table or use keeps its SQL in a template table indexed
 * by enum stmt_id ("@DB@" for the back-quoted dbName), fills db->sql[]
 * from it in its db_<module>_sql(), called by bpg_db_new(), and runs each
 * statement as an op through db_with_retry().
 */
#ifndef BPG_DB_INT_H
#define BPG_DB_INT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include <mysql.h>

#include <jansson.h>

#include "bpg_db.h"
#include "bpg_notify.h"

/*
 * What a finished row used, shared by the monitor's cost (S4) and the
 * reports: its cores and memory, and its run time in seconds up to `end`
 * (a start after the end, clock skew, counts nothing).  NULL when a
 * value is missing.
 */
#define DB_CORES_SQL "(executor_core * number_executor + driver_core)"
#define DB_MB_SQL "(executor_memory_mb * number_executor + driver_memory_mb)"
#define DB_RUN_S_SQL(end) \
	"GREATEST(0, TIMESTAMPDIFF(SECOND, start_time, " end "))"
#include "bpg_db_lease.h"

/* VARCHAR(255) holds 255 characters; TEXT 65535 bytes. */
#define DB_MAX_VARCHAR 255
#define DB_MAX_TEXT 65535

enum stmt_id {
	/* bpg_db_submissions.c */
	ST_INSERT,
	ST_FAIL,
	ST_GET,
	/* bpg_db_monitor.c */
	ST_MON_READ,
	ST_MON_STATE,
	ST_MON_START,
	ST_MON_FINISH,
	ST_MON_COST,
	ST_MON_OPEN,
	ST_MON_NEVER_SEEN,
	/* bpg_db_monbatch.c */
	ST_MON_READ_MANY,
	ST_MON_STATE_MANY,
	/* GET /log's reads (S6, S7), bpg_db_logindex.c */
	ST_LOG_SUBMISSION,
	ST_LOG_KEYS,
	/* History of the list endpoints, bpg_db_history.c */
	ST_HIST_USER,
	ST_HIST_NAME,
	ST_HIST_ALL,
	/* Idempotency keys, bpg_db_idem.c */
	ST_IDEM_PURGE,
	ST_IDEM_CLAIM,
	ST_IDEM_READ,
	ST_IDEM_SUBMISSION,
	ST_IDEM_FINISH,
	ST_IDEM_RELEASE,
	ST_IDEM_TAKEOVER,
	ST_IDEM_SWEEP,
	/* The links between attempts, bpg_db_attempts.c */
	ST_ATT_INSERT,
	ST_ATT_BY_ID,
	ST_ATT_NEXT,
	ST_ATT_JOB,
	ST_ATT_OPEN,
	ST_ATT_STATE,
	ST_ATT_REPLACED,
	ST_ATT_CR,
	/* Schedules and their fires, bpg_db_schedules.c */
	ST_SCH_INSERT,
	ST_SCH_GET,
	ST_SCH_LIST_OWNER,
	ST_SCH_LIST_ALL,
	ST_SCH_REPLACE,
	ST_SCH_SUSPEND,
	ST_SCH_TRIGGER,
	ST_SCH_DELETE,
	ST_SCH_FIRES_DELETE,
	ST_SCH_DUE,
	ST_SCH_ADVANCE,
	ST_FIRE_INSERT,
	ST_FIRE_GET,
	ST_FIRE_STATE,
	ST_FIRE_PENDING,
	ST_FIRE_RECENT,
	ST_FIRE_OF,
	/* Dependencies and waiting submissions, bpg_db_deps.c */
	ST_DEP_ROW,
	ST_DEP_LINK,
	ST_DEP_WAIT,
	ST_DEP_LIST,
	ST_DEP_GET,
	ST_DEP_LINKS,
	ST_DEP_MOVE,
	ST_DEP_END,
	/* Jobs with a retry policy, bpg_db_retry.c */
	ST_RTY_INSERT,
	ST_RTY_FORGET,
	ST_RTY_GET,
	ST_RTY_LOCK,
	ST_RTY_ENDED,
	ST_RTY_PLAN,
	ST_RTY_DUE,
	ST_RTY_ATT_INSERT,
	ST_RTY_ADVANCE,
	ST_RTY_CLOSE,
	ST_RTY_CANCEL,
	/* Livy batch IDs, bpg_db_livy.c */
	ST_LIVY_INSERT,
	ST_LIVY_BY_SUB,
	ST_LIVY_BIND,
	ST_LIVY_DELETED,
	ST_LIVY_GET,
	ST_LIVY_LIST,
	ST_LIVY_COUNT,
	/* Notifications, bpg_db_notify.c */
	ST_NTF_TARGET,
	ST_NTF_FORGET,
	ST_NTF_TARGETS,
	ST_NTF_LOCK,
	ST_NTF_ROW,
	ST_NTF_COPY,
	ST_NTF_EVENT,
	ST_NTF_DUE,
	ST_NTF_NEXT,
	ST_NTF_UPDATE,
	ST_NTF_DELIVERY,
	ST_NTF_LIST_EVENTS,
	ST_NTF_LIST_DELIVERIES,
	ST_NTF_FAILED,
	ST_NTF_PURGE_PICK,
	ST_NTF_PURGE_DELIVERIES,
	ST_NTF_PURGE_EVENT,
	/* The leader lease and the fence, bpg_db_lease.c */
	ST_LEASE_SEED,
	ST_LEASE_READ,
	ST_LEASE_RENEW,
	ST_LEASE_ARCHIVE,
	ST_LEASE_TAKE,
	ST_LEASE_RELEASE,
	ST_LEASE_GUARD,
	/* Reports, bpg_db_report.c: [group][scope], scope 0 all, 1 a user */
	ST_REP_AGG,
	ST__MAX = ST_REP_AGG + 8
};

struct bpg_db {
	bool enabled;
	struct bpg_db_url url;
	char name[BPG_DB_MAX_NAME + 1]; /* dbName, checked */
	char *user; /* NULL: none */
	char *password; /* NULL: none; wiped on free */
	char *sql[ST__MAX]; /* with dbName filled in */
	MYSQL *my; /* NULL: not connected */
	size_t host; /* url.hosts[host] is tried first */
	MYSQL_STMT *stmt[ST__MAX]; /* prepared on first use */
	pid_t pid; /* process that opened my */
	bool migrated;
	bool lost; /* the last failure was a lost connection */
	bool unsettled; /* an INSERT was sent and its answer lost */
	unsigned int last_errno; /* of the last failed statement */
	int ca_fd; /* memfd with caCertDataSOPS; -1: none */
	char ca_path[40]; /* "/proc/self/fd/N" or "" */
	unsigned int idle_timeout_s; /* 0: the server's wait_timeout */
	struct bpg_metrics *metrics; /* borrowed; NULL: none */
	/* The fence (bpg_db_set_fence()): statements run under the lease. */
	bool fenced;
	bool fence_refused; /* the last statement was refused by it */
	bool in_fence; /* the fence's transaction is open */
	long long fence_token; /* 0: refuse every statement */
	char fence_name[BPG_DB_LEASE_MAX_NAME + 1];
	char fence_holder[BPG_DB_LEASE_MAX_HOLDER + 1];
};

/*
 * The statement helper (bpg_db_stmt.c)
 */

/* A copy of tmpl with every "@DB@" replaced by `name`; NULL if no memory. */
char *db_sql_expand(const char *tmpl, const char *name);
/*
 * db->sql[i] expanded from tmpl[i] for every template given (NULL: not
 * this module's); an entry left NULL means no memory (bpg_db_new()).
 */
void db_sql_table(struct bpg_db *db, const char *const tmpl[ST__MAX]);
/* Replace control bytes in ei's message (server text may quote data). */
void db_scrub(struct bpg_errinfo *ei);
/*
 * BPG_EDB for statement st's error, noting in db whether the connection
 * was lost and the error number.
 */
enum bpg_err db_stmt_fail(struct bpg_db *db, MYSQL_STMT *st, const char *what,
    struct bpg_errinfo *ei) BPG_WUR;
/* The same for the last error of the connection itself (mysql_query()). */
enum bpg_err db_my_fail(struct bpg_db *db, const char *what,
    struct bpg_errinfo *ei) BPG_WUR;
/* A result column read into buf (size bytes; 0 for a number). */
void db_bind_out(MYSQL_BIND *b, enum enum_field_types type, void *buf,
    unsigned long size, unsigned long *len, my_bool *null, my_bool *err);
/* A BIGINT parameter (or result column without NULL). */
void db_bind_ll(MYSQL_BIND *b, long long *v);
/* A string parameter; s NULL binds SQL NULL.  s must outlive b. */
void db_bind_str(
    MYSQL_BIND *b, const char *s, unsigned long *len, my_bool *null);
/*
 * Bind param and res, execute and store the whole result on the client:
 * BPG_OK, or db_stmt_fail()'s answer for what.
 */
enum bpg_err db_stmt_query(struct bpg_db *db, MYSQL_STMT *st,
    MYSQL_BIND *param, MYSQL_BIND *res, const char *what,
    struct bpg_errinfo *ei) BPG_WUR;
/* The cached statement id, prepared on first use on this connection. */
enum bpg_err db_prepared(struct bpg_db *db, enum stmt_id id,
    MYSQL_STMT **out, struct bpg_errinfo *ei) BPG_WUR;
/*
 * Run op on a connected handle; if it fails because the connection was
 * lost, reconnect and run it once more; if its transaction was rolled back
 * (1213: deadlock, Galera certification failure) or a Galera node refused
 * it (1047), run it again a bounded number of times (bpg_db_rerun.h).  If
 * our table has gone (a restored or replaced server), migrate again and
 * retry once.
 */
typedef enum bpg_err (*db_op)(
    struct bpg_db *, const void *, void *, struct bpg_errinfo *);
enum bpg_err db_with_retry(struct bpg_db *db, db_op op, const void *in,
    void *out, struct bpg_errinfo *ei) BPG_WUR;
/*
 * The same for an op that only reads, which runs outside the handle's
 * fence (bpg_db_set_fence()): a deposed leader's reads change nothing,
 * and the monitor's catch-up reads a row per app.
 */
enum bpg_err db_read_with_retry(struct bpg_db *db, db_op op, const void *in,
    void *out, struct bpg_errinfo *ei) BPG_WUR;
/*
 * The fence (bpg_db_lease.c), run by db_with_retry() around each op of a
 * fenced handle: begin opens the transaction and updates the lease row
 * under the handle's token, or refuses (BPG_EDB, fence_refused set); end
 * commits if e is BPG_OK, else rolls back, and returns the outcome.
 */
enum bpg_err db_fence_begin(struct bpg_db *db, struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err db_fence_end(struct bpg_db *db, enum bpg_err e,
    struct bpg_errinfo *ei) BPG_WUR;
/*
 * The JSON value of the row of a statement just fetched, read from the
 * buffers bound to its result (ctx): NULL leaves the row out, NULL with
 * *e set fails the statement.
 */
typedef json_t *(*db_row_fn)(
    void *ctx, enum bpg_err *e, struct bpg_errinfo *ei);
/*
 * Every row of st, run by db_stmt_query(), as a new JSON array in *list,
 * a value a row from row(ctx); what names the statement in an error.  The
 * caller still frees st's result.
 */
enum bpg_err db_fetch_list(struct bpg_db *db, MYSQL_STMT *st, db_row_fn row,
    void *ctx, const char *what, json_t **list,
    struct bpg_errinfo *ei) BPG_WUR;
/*
 * A call on one submission: the handle and the ID checked, nothing done
 * without a database, op(in) run by db_with_retry().
 */
enum bpg_err db_run_by_id(struct bpg_db *db, const char *id, db_op op,
    const void *in, struct bpg_errinfo *ei) BPG_WUR;
/* A submission ID fit for the key column, or BPG_EINVAL. */
enum bpg_err db_check_id(const char *id, struct bpg_errinfo *ei) BPG_WUR;
/*
 * v (NULL: fine) fits a VARCHAR(255) column named what, or BPG_ETOOBIG:
 * refused whatever the server's sql_mode, since without strict mode MySQL
 * would store it cut short.
 */
enum bpg_err db_check_varchar(
    const char *v, const char *what, struct bpg_errinfo *ei) BPG_WUR;
/* A JSON array for a disabled database's empty answer in *rows. */
enum bpg_err db_empty_list(json_t **rows, struct bpg_errinfo *ei) BPG_WUR;

/*
 * The connection (bpg_db_conn.c) and the migration (bpg_db_migrate.c)
 */

/* Close the statements and the connection of this process. */
void db_close(struct bpg_db *db);
/* The next connection goes to the URL's next host first (failover). */
void db_next_host(struct bpg_db *db);
/* Create or complete the schema on the open connection. */
enum bpg_err db_migrate(struct bpg_db *db, struct bpg_errinfo *ei) BPG_WUR;

/* The statements of each module into db->sql[] (see db_sql_table()). */
void db_submissions_sql(struct bpg_db *db);
void db_history_sql(struct bpg_db *db);
void db_monitor_sql(struct bpg_db *db);
void db_notify_sql(struct bpg_db *db);
void db_notify_failed_sql(struct bpg_db *db);
void db_notify_purge_sql(struct bpg_db *db);
void db_monbatch_sql(struct bpg_db *db);
void db_logindex_sql(struct bpg_db *db);
void db_idem_sql(struct bpg_db *db);
void db_attempts_sql(struct bpg_db *db);
void db_schedules_sql(struct bpg_db *db);
void db_deps_sql(struct bpg_db *db);
void db_retry_sql(struct bpg_db *db);
void db_livy_sql(struct bpg_db *db);
void db_report_sql(struct bpg_db *db);

/*
 * Notifications written with a state change (bpg_db_notify.c).  An op
 * that records a change of submission id calls db_notify_begin() first:
 * when id has receivers it opens a transaction and reads the row's state
 * under a lock.  After its statement, db_notify_commit() writes an event
 * for each receiver that asked for the new state, if the state changed,
 * and commits; on a failure in between, db_notify_abort() rolls back.
 * Without receivers all three do nothing (autocommit as before).  Under
 * the fence (db->in_fence) the fence's transaction is used: its own
 * commit or rollback ends it, so that the lease row stays in the write
 * set of the change and its events.
 */
struct db_notify_target {
	int idx;
	char url[BPG_NOTIFY_MAX_URL + 1];
	char cluster[256];
	unsigned on;
	enum bpg_notify_format format;
};
struct db_notify_prev {
	bool open;		/* a transaction is open */
	bool own;		/* opened here, not the fence's */
	bool found, finished, has_status;
	char status[64];
	struct db_notify_target t[BPG_NOTIFY_MAX_ALL];
	size_t nt;
};
enum bpg_err db_notify_begin(struct bpg_db *db, const char *id,
    struct db_notify_prev *p, struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err db_notify_commit(struct bpg_db *db, const char *id,
    struct db_notify_prev *p, struct bpg_errinfo *ei) BPG_WUR;
void db_notify_abort(struct bpg_db *db, struct db_notify_prev *p);
void db_lease_sql(struct bpg_db *db);

#endif /* BPG_DB_INT_H */
