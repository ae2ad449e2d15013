/*
 * The submission table in MySQL 5.7/8 or MariaDB (libmariadb), kept
 * compatible with BPG's schema: BPG and this gateway can share the same
 * tables (spec section 9).
 *
 * One struct bpg_db per worker process, created after fork() and kept
 * across requests.  Every statement is a prepared statement, prepared once
 * per connection; every session runs with time_zone '+00:00'.  A statement
 * that fails because the connection was lost is retried once on a new
 * connection (all statements here are idempotent, so a retry after a lost
 * reply is harmless); one that finds the table gone runs the migration
 * again first.
 *
 * Not thread-safe: one handle is used by one thread at a time.
 */
#ifndef BPG_DB_H
#define BPG_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_err.h"
#include "bpg_idem.h"

/*
 * Longest host name (RFC 1035: 255 octets) and MySQL identifier (64),
 * both without the terminating NUL.
 */
#define BPG_DB_MAX_HOST 255
#define BPG_DB_MAX_NAME 64
/* Port when the URL names none. */
#define BPG_DB_DEFAULT_PORT 3306
/* Hosts a URL may list (failover: jdbc:mysql://h1:p1,h2:p2/db). */
#define BPG_DB_MAX_HOSTS 8
/*
 * Timeouts (seconds) when the URL sets no connectTimeout or socketTimeout.
 * JDBC waits forever by default; a worker must not hang on a dead
 * database, so ours are bounded.  An explicit 0 keeps the JDBC meaning (no
 * timeout).
 */
#define BPG_DB_DEFAULT_CONNECT_TIMEOUT 10
#define BPG_DB_DEFAULT_SOCKET_TIMEOUT 30
/*
 * Bytes of a failure reason stored in error_message (a TEXT column holds
 * at most 65535); longer reasons are cut at a UTF-8 character boundary.
 */
#define BPG_DB_MAX_ERROR_MESSAGE 4096
/* dbName when the configuration gives none. */
#define BPG_DB_DEFAULT_NAME "bpg"

/*
 * Config key dbStorageSOPS (spec 7.2), with secret references already
 * resolved.  Owned by the config module; bpg_db_new() copies what it keeps.
 */
struct bpg_dbconf {
	char *connection_string; /* JDBC URL; NULL or "" disables all DB work */
	char *user; /* NULL or "": connect without credentials */
	char *password; /* NULL or "": no password */
	char *db_name; /* NULL or "": "bpg"; ^[0-9A-Za-z$_]+$ */
	/*
	 * caCertDataSOPS: PEM text of the CA bundle that verifies the
	 * server's certificate (sslMode VERIFY_CA or VERIFY_IDENTITY);
	 * NULL: none (VERIFY_IDENTITY then uses the system's store).
	 */
	char *ca_cert;
	size_t ca_cert_len;
};

/*
 * TLS on the database link, as Connector/J's sslMode.  BPG_DB_SSL_NONE is
 * the URL saying nothing: no TLS, as before.
 */
enum bpg_db_ssl {
	BPG_DB_SSL_NONE,
	BPG_DB_SSL_DISABLED,
	BPG_DB_SSL_PREFERRED,	/* TLS if the server offers it */
	BPG_DB_SSL_REQUIRED,	/* TLS or no connection, unverified */
	BPG_DB_SSL_VERIFY_CA,	/* and the chain checked against the CA */
	BPG_DB_SSL_VERIFY_IDENTITY, /* and the host name checked */
	BPG_DB_SSL__MAX
};

/*
 * A parsed JDBC URL:
 *
 *	jdbc:mysql://[host][:port][/[database]][?key=value[&key=value...]]
 *
 * ("jdbc:mariadb://" too; the scheme is case-insensitive).  host is a
 * name or IPv4 address of [0-9A-Za-z._-], or an IPv6 address in brackets,
 * stored without them; an empty host means "localhost".  The connection
 * is always TCP, as with JDBC.  database is [0-9A-Za-z$_-]{0,64}; it is
 * only the session default, since every table name is qualified with
 * dbName.  Of the parameters, connectTimeout and socketTimeout
 * (milliseconds, 0 to 2147483647) are used, and the TLS ones: sslMode
 * (DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY, any case;
 * MariaDB Connector/J's disable, trust, verify-ca and verify-full too)
 * or, when it is absent, Connector/J 5.1's useSSL (useSsl),
 * requireSSL and verifyServerCertificate (true/false/yes/no): useSSL=false
 * is DISABLED, else verifyServerCertificate=true VERIFY_CA, else
 * requireSSL=true REQUIRED, else useSSL=true PREFERRED.  A TLS parameter
 * with any other value is an error, never ignored.  Others are ignored,
 * but must be printable ASCII.  Several hosts, separated by commas, are
 * tried in turn (up to BPG_DB_MAX_HOSTS); credentials in the URL and
 * fragments are rejected.
 */
struct bpg_db_addr {
	char host[BPG_DB_MAX_HOST + 1];
	unsigned int port; /* 1 to 65535 */
};

struct bpg_db_url {
	/*
	 * The hosts in the URL's order, at least one: a connection goes to
	 * the first that takes it, from the one that answered last on, as
	 * Connector/J's failover does.
	 */
	struct bpg_db_addr hosts[BPG_DB_MAX_HOSTS];
	size_t nhosts;
	char database[BPG_DB_MAX_NAME + 1]; /* "" if none */
	long connect_timeout_ms; /* -1 if not given */
	long socket_timeout_ms; /* -1 if not given */
	enum bpg_db_ssl ssl_mode; /* BPG_DB_SSL_NONE if not given */
};

/*
 * Parse s[0..len) (need not be NUL-terminated; a NUL byte is an error)
 * into *url.  BPG_EINVAL with ei naming the problem and its byte offset;
 * the message never repeats parameter values or credentials.  *url is
 * unspecified after an error.
 */
enum bpg_err bpg_db_parse_url(const char *s, size_t len, struct bpg_db_url *url,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * Check a dbName (NUL-terminated, not NULL): 1 to 64 bytes of
 * [0-9A-Za-z$_].  BPG_ECONFIG otherwise, naming the offending value
 * (non-printable bytes escaped).
 */
enum bpg_err bpg_db_check_name(
    const char *name, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Check conf as bpg_db_new() does (URL, dbName, TLS), without making a
 * handle: for the config check (bpg-gateway -t).  A TLS setting that
 * cannot be honoured is BPG_ECONFIG: VERIFY_CA without caCertDataSOPS, a
 * CA with a URL that asks for no TLS, TLS with a client library built
 * without it.  An empty connection string is fine.
 */
enum bpg_err bpg_db_check_conf(
    const struct bpg_dbconf *conf, struct bpg_errinfo *ei) BPG_WUR;

/* Opaque handle: configuration, the connection and its statements. */
struct bpg_db;

/*
 * Check conf and make a handle in *db (the caller frees it with
 * bpg_db_free()).  No network I/O: the connection is opened on first use.
 * conf is copied, so the caller may free it afterwards.  An empty
 * connection string gives a disabled handle, on which every call succeeds
 * and does nothing (bpg_db_get_submission() gives BPG_ENOTFOUND).
 * BPG_EINVAL if conf or db is NULL, BPG_ECONFIG for a bad URL or dbName,
 * BPG_ENOMEM.  The message never contains the password.
 */
enum bpg_err bpg_db_new(const struct bpg_dbconf *conf, struct bpg_db **db,
    struct bpg_errinfo *ei) BPG_WUR;

/* Whether db does database work (a connection string was configured). */
bool bpg_db_enabled(const struct bpg_db *db);

/*
 * Connect if not connected, then, once per handle, run the start-up
 * migration (spec 9.1 and the additions described in bpg_db_migrate.c),
 * which is idempotent and safe on tables BPG created.  BPG_EDB if the server
 * cannot be reached (within the connect timeout), refuses the login or a
 * migration statement fails; the next call tries again.  BPG_ECONFIG if
 * TLS fails (the handshake, or the server's certificate or name against
 * sslMode and caCertDataSOPS) or the server offers no TLS where sslMode
 * requires it: the message says what was checked against what, never
 * the CA or the password.  BPG_EINVAL if
 * the connection was opened by another process (handles must not cross
 * fork()).  Called implicitly by the statements below.
 */
enum bpg_err bpg_db_connect(struct bpg_db *db, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Server-side id of the current connection (as in SHOW PROCESSLIST), or 0
 * if not connected.  For diagnostics and tests.
 */
unsigned long bpg_db_connection_id(const struct bpg_db *db);

/*
 * The TLS cipher of the current connection (static text of the client
 * library), or NULL if not connected or in cleartext.  For diagnostics
 * and tests.
 */
const char *bpg_db_tls_cipher(const struct bpg_db *db);

/*
 * A submission row.  Borrowed strings, NUL-terminated; NULL stores SQL
 * NULL.  submission_id must be 1 to 255 bytes.
 */
struct bpg_db_submission {
	const char *submission_id;
	const char *user; /* the proxy user */
	const char *spark_version;
	const char *request_body; /* sanitised request JSON (spec 2.20) */
	const char *queue; /* as sent: raw, NULL when defaulted */
	const char *app_name;
	/* bpg_db_request_summary() of the request; NULL: none (history
	 * then reads the parts from request_body) */
	const char *request_summary;
};

/*
 * BPG's S1 (spec 9.2) plus app_name and bpg_request_summary: insert the
 * row, or update user, spark_version, request_body, queue, app_name and
 * bpg_request_summary if the ID exists.  BPG_EINVAL for a bad
 * submission_id, BPG_ETOOBIG if a value does not fit its column (255
 * characters; request_body and request_summary 65535 bytes, a TEXT),
 * BPG_EDB (the message carries the server's reason).
 */
enum bpg_err bpg_db_insert_submission(struct bpg_db *db,
    const struct bpg_db_submission *sub, struct bpg_errinfo *ei) BPG_WUR;

/*
 * After bpg_db_insert_submission() failed: whether the row may exist all
 * the same, because an INSERT was sent and the connection died before its
 * answer (and the retry did not settle it).  false after a success, when
 * the INSERT was never sent, and for a NULL db.
 */
bool bpg_db_insert_unsettled(const struct bpg_db *db);

/*
 * The SparkApplication could not be created: set status SUBMISSION_FAILED,
 * error_message to reason (NULL stores NULL; cut to
 * BPG_DB_MAX_ERROR_MESSAGE bytes) and finished_time to now, unless the row
 * already has a finished_time.  A missing or finished row is left alone
 * and is not an error.  BPG_EINVAL for a bad submission_id, BPG_EDB.
 */
enum bpg_err bpg_db_mark_failed(struct bpg_db *db, const char *submission_id,
    const char *reason, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Read one row into *row, a new JSON object the caller owns, keyed by
 * column name, with every column: strings, integers, cost as a real,
 * times as integer milliseconds since the epoch, SQL NULL as JSON null.
 * BPG_ENOTFOUND if there is no such row (or DB work is disabled),
 * BPG_EINVAL for a bad submission_id, BPG_EDB, BPG_ENOMEM.  *row is left
 * untouched on error.
 */
enum bpg_err bpg_db_get_submission(struct bpg_db *db, const char *submission_id,
    json_t **row, struct bpg_errinfo *ei) BPG_WUR;

/*
 * The parts of request (a sanitised request, borrowed and left as it was)
 * that bpg_db_history() gives as a row's "request", as compact JSON in
 * the same nested shape, e.g. {"driver":{"cores":1,"memory":"2g",
 * "labels":{"dag_name":"d"}},"executor":{"instances":2},"arguments":[]};
 * parts the request lacks are left out, so a NULL or non-object request
 * gives "{}".  The caller frees the string; NULL if memory runs out.
 */
char *bpg_db_request_summary(const json_t *request);

/* Most rows bpg_db_history() returns. */
#define BPG_DB_MAX_HISTORY 10000

/*
 * The newest rows (by created_time, at most limit, 1 to
 * BPG_DB_MAX_HISTORY) of one user (`user` = user), of one application
 * name (app_name = app_name, exactly), or of everyone (both NULL; giving
 * both is BPG_EINVAL): *rows is a new JSON array of objects with
 * submission_id, user, app_name, dag_name, queue, status, app_id,
 * spark_version, error_message (strings or null), created_time and
 * finished_time (epoch ms or null), and "request": the parts of the
 * stored request a summary needs, {"driver": {"cores", "memory",
 * "labels": {"dag_name"}}, "executor": {"instances", "cores", "memory"},
 * "arguments"}, each present only if the request had it: the row's
 * bpg_request_summary if it has one (an unreadable one gives {}), else
 * the parts read from request_body ({} if that is not JSON).  Each query
 * reads an index (bpg_user_created, bpg_app_name, bpg_created).  For a
 * disabled handle, [].  BPG_EDB, BPG_ENOMEM.
 */
enum bpg_err bpg_db_history(struct bpg_db *db, const char *user,
    const char *app_name, size_t limit, json_t **rows,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * The application monitor's statements (spec 9.2 S2 to S5, with the fixes
 * of bpg-reference quirks 13, 14 and 16; see bpg_monitor.h for when each
 * runs).  All are prepared, idempotent and safe to repeat after a resync.
 * On a disabled handle they succeed and do nothing (bpg_db_monitor_read()
 * then finds no row).  Errors: BPG_EINVAL for a bad submission_id (as
 * above) or time, BPG_ETOOBIG for a value that does not fit its column,
 * BPG_EDB, BPG_ENOMEM.
 */

/* Buffer for a VARCHAR(255) read back (255 characters of utf8mb4). */
#define BPG_DB_MAX_TEXT_FIELD 1024
/* SMALLINT and INT columns. */
#define BPG_DB_MAX_SMALLINT 32767
#define BPG_DB_MAX_INT 2147483647

/* What the monitor needs of a row. */
/*
 * The error_message of a row the monitor recorded LOST because no
 * SparkApplication ever appeared for it (a create whose outcome was not
 * known, past BPG_MONITOR_ORPHAN_GRACE_S): nothing of it ever ran.
 */
#define BPG_DB_NEVER_SEEN "No SparkApplication was ever seen for this " \
	"submission"

struct bpg_db_app {
	bool found;
	bool has_status;		/* status is not NULL */
	char status[BPG_DB_MAX_TEXT_FIELD];
	bool has_app_id;
	char app_id[BPG_DB_MAX_TEXT_FIELD];
	bool started;			/* start_time is set */
	bool finished;			/* finished_time is set */
	bool never_seen;		/* LOST, error_message BPG_DB_NEVER_SEEN */
};

/* Read the row of submission_id; row->found is false if there is none. */
enum bpg_err bpg_db_monitor_read(struct bpg_db *db, const char *submission_id,
    struct bpg_db_app *row, struct bpg_errinfo *ei) BPG_WUR;

/*
 * S3 and S2 in one upsert, which also creates the row of an application
 * the gateway did not submit: status (NULL keeps it) unless the row has a
 * finished_time, and app_id (NULL keeps it).
 */
enum bpg_err bpg_db_monitor_state(struct bpg_db *db, const char *submission_id,
    const char *status, const char *app_id, struct bpg_errinfo *ei) BPG_WUR;

/* S5 and S8: values of a row whose start_time is still NULL. */
struct bpg_db_app_start {
	int64_t start_ms;		/* the driver pod's start, epoch ms */
	int64_t driver_core;		/* whole cores; -1 stores NULL */
	int64_t driver_memory_mb;	/* MiB; -1 stores NULL */
	int64_t number_executor;	/* -1 stores NULL */
	int64_t executor_core;		/* -1 stores NULL */
	int64_t executor_memory_mb;	/* -1 stores NULL */
	const char *dag_name;		/* NULL keeps the column */
	const char *task_name;		/* NULL keeps the column */
	const char *app_name;		/* NULL keeps the column */
};
enum bpg_err bpg_db_monitor_start(struct bpg_db *db, const char *submission_id,
    const struct bpg_db_app_start *start, struct bpg_errinfo *ei) BPG_WUR;

/*
 * S4 in one statement: status, finished_time (epoch ms) and the cost from
 * the row's cores, memory and start_time with the prices
 * memoryMbSecondCost and vCoreSecondCost, creating the row if needed,
 * unless the row already has a finished_time.  A NULL price (not
 * configured) stores a NULL cost, but status and finished_time are still
 * written (quirk 13).
 */
enum bpg_err bpg_db_monitor_finish(struct bpg_db *db,
    const char *submission_id, const char *status, int64_t finished_ms,
    const double *memory_mb_second_cost, const double *vcore_second_cost,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * Mark the row of submission_id, just recorded LOST with neither an app ID
 * nor a start, as never seen (BPG_DB_NEVER_SEEN).  Only the monitor's
 * sweep of rows without a SparkApplication calls it, for rows that never
 * had a status.  A row in any other state is left alone.
 */
enum bpg_err bpg_db_monitor_never_seen(struct bpg_db *db,
    const char *submission_id, struct bpg_errinfo *ei) BPG_WUR;

/*
 * S4's cost again, for a finished row whose start arrived after its
 * finish; prices as above.  Rows without a finished_time are left alone.
 */
enum bpg_err bpg_db_monitor_cost(struct bpg_db *db, const char *submission_id,
    const double *memory_mb_second_cost, const double *vcore_second_cost,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * Rows without a finished_time whose submission_id starts with id_prefix
 * (matched literally), at most 100000: *rows is a new JSON array of
 * {"id": string, "status": string or null, "age": seconds since
 * created_time or null}.  For a disabled handle, [].
 */
enum bpg_err bpg_db_monitor_unfinished(struct bpg_db *db,
    const char *id_prefix, json_t **rows, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Make the server end this handle's sessions after seconds idle (1 to
 * 31536000: the session's wait_timeout, set on every new connection), so
 * that the session of a monitor that vanished without closing its socket
 * (a dead host, a cut network) ends within that time, not after the
 * server's default of 8 hours.  0 keeps the server's default.  Takes
 * effect on the next connection.  BPG_EINVAL for a NULL handle or a value
 * out of range.
 */
#define BPG_DB_MAX_IDLE_TIMEOUT 31536000u
enum bpg_err bpg_db_set_idle_timeout(
    struct bpg_db *db, unsigned int seconds, struct bpg_errinfo *ei) BPG_WUR;

/*
 * The wait_timeout (seconds) of the current session, read from the server
 * (SELECT @@session.wait_timeout); connects if needed.  For diagnostics
 * and tests.  BPG_EDB, BPG_EINVAL.
 */
enum bpg_err bpg_db_session_idle_timeout(struct bpg_db *db,
    unsigned long *seconds, struct bpg_errinfo *ei) BPG_WUR;

/*
 * The server's view of the current session's TLS (SHOW SESSION STATUS
 * LIKE 'Ssl_cipher') into cipher[0..len): "" in cleartext.  Connects if
 * needed.  For diagnostics and tests.  BPG_EDB, BPG_EINVAL.
 */
enum bpg_err bpg_db_session_tls_cipher(struct bpg_db *db, char *cipher,
    size_t len, struct bpg_errinfo *ei) BPG_WUR;


/*
 * GET /log's reads (spec 9.2).
 *
 * bpg_db_app_submission(): S6, the submission_id of the row whose app_id
 * equals app_id, into out[0..outlen).  out is "" when no row or several
 * rows match, when the value is NULL or does not fit, and when DB work is
 * disabled.  BPG_EINVAL for a NULL handle or buffer, or an app_id that is
 * empty or longer than BPG_DB_MAX_TEXT_FIELD bytes; BPG_EDB.
 *
 * bpg_db_log_keys(): S7, the logs3key values of container_id in key
 * order, at most BPG_DB_MAX_LOG_KEYS: *keys is a new JSON array of
 * strings the caller owns ([] when DB work is disabled; NULL on error).
 * BPG_EINVAL for a NULL handle or list, or a container_id that is empty
 * or longer than BPG_DB_MAX_TEXT_FIELD bytes; BPG_EDB, BPG_ENOMEM.
 */
#define BPG_DB_MAX_LOG_KEYS 100000
enum bpg_err bpg_db_app_submission(struct bpg_db *db, const char *app_id,
    char *out, size_t outlen, struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err bpg_db_log_keys(struct bpg_db *db, const char *container_id,
    json_t **keys, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Idempotency keys (bpg_db_idem.c, bpg_idem.h): table
 * bpg_idempotency_key, one row per (user, key).  Every call needs an
 * enabled database (BPG_EDB otherwise), a user and a key (BPG_EINVAL);
 * owner is the token of the request that holds the row.
 *
 * claim: an expired row of the key is deleted, then a pending row of
 *   owner inserted, expiring ttl_s from now; *won is false when the key
 *   already has a live row (the unique key decides among racing claims).
 * read: the live row of the key into *row (row->found false: none, or
 *   expired); row->answer is allocated on first use and kept for the
 *   next read: free with bpg_db_idem_row_reset().
 * set_submission: the submission ID of owner's row.
 * finish: owner's row (not yet done) becomes state, with the answer.
 *   BPG_ETOOBIG if the answer is over BPG_IDEM_MAX_ANSWER.
 * release: owner's row is deleted.
 * takeover: owner's row (not done) passes to new_owner as a fresh
 *   pending row with hash; *won tells whether it did (one racer wins).
 * sweep: up to batch expired rows deleted, oldest first; *deleted.
 */
struct bpg_db_idem_ref {
	const char *user;
	const char *key;
};

struct bpg_db_idem_row {
	bool found;
	char owner[BPG_IDEM_OWNER_HEX + 1];
	char hash[BPG_IDEM_HASH_HEX + 1];
	enum bpg_idem_state state;
	bool has_submission;
	char submission_id[BPG_DB_MAX_TEXT_FIELD];
	int http_status;		/* 0: none */
	char content_type[256];
	bool has_answer;
	char *answer;		/* answer_len bytes, unterminated */
	size_t answer_len;
	int64_t age_s;			/* since claimed */
};

enum bpg_err bpg_db_idem_claim(struct bpg_db *db,
    const struct bpg_db_idem_ref *r, const char *owner, const char *hash,
    int64_t ttl_s, bool *won, struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err bpg_db_idem_read(struct bpg_db *db,
    const struct bpg_db_idem_ref *r, struct bpg_db_idem_row *row,
    struct bpg_errinfo *ei) BPG_WUR;
void bpg_db_idem_row_reset(struct bpg_db_idem_row *row);
enum bpg_err bpg_db_idem_set_submission(struct bpg_db *db,
    const struct bpg_db_idem_ref *r, const char *owner,
    const char *submission_id, struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err bpg_db_idem_finish(struct bpg_db *db,
    const struct bpg_db_idem_ref *r, const char *owner,
    enum bpg_idem_state state, int status, const char *ctype,
    const char *answer, size_t answer_len, struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err bpg_db_idem_release(struct bpg_db *db,
    const struct bpg_db_idem_ref *r, const char *owner,
    struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err bpg_db_idem_takeover(struct bpg_db *db,
    const struct bpg_db_idem_ref *r, const char *old_owner,
    const char *new_owner, const char *hash, bool *won,
    struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err bpg_db_idem_sweep(struct bpg_db *db, unsigned int batch,
    unsigned long long *deleted, struct bpg_errinfo *ei) BPG_WUR;

/* The SQL of the key lookup and of the sweep (for EXPLAIN in tests). */
enum bpg_db_idem_stmt { BPG_DB_IDEM_READ, BPG_DB_IDEM_SWEEP };
const char *bpg_db_idem_sql(const struct bpg_db *db, enum bpg_db_idem_stmt);

struct bpg_metrics;

/*
 * Count each operation that fails, after its retry on a new connection
 * (bpg_db_errors_total), into m (borrowed; NULL, the default: not
 * counted).  db NULL: no-op.
 */
void bpg_db_set_metrics(struct bpg_db *db, struct bpg_metrics *m);

/*
 * Close the statements and the connection, wipe the password and free db.
 * NULL is a no-op.  In a process that merely inherited the handle, only
 * that process's copy is closed: the other process's session goes on.
 */
void bpg_db_free(struct bpg_db *db);

#endif
