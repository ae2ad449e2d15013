/*
 * The start-up migration of the submission tables (spec section 9.1).
 *
 * Schema.  The start-up migration creates what BPG creates (spec 9.1:
 * schema, application_submission, logindex, with `hour` back-quoted, quirk
 * 23) and then adds, without touching BPG's columns:
 *
 *	error_message TEXT NULL			why the CR create failed
 *	bpg_request_summary TEXT NULL		the request's parts the
 *						history lists
 *	INDEX bpg_app_id (app_id)		S6, /log?appId=
 *	INDEX bpg_user_created (`user`, created_time)	per-user history
 *	INDEX bpg_created (created_time)	admin history
 *	INDEX bpg_app_name (app_name, created_time)	history by name
 *	INDEX bpg_unfinished (finished_time, submission_id, status,
 *	    created_time)			the monitor's unfinished rows
 *	INDEX bpg_report (created_time, queue, status, start_time,
 *	    finished_time, the cores and memory, cost)	reports
 *
 * and tables of ours: bpg_idempotency_key (bpg_db_idem.c), with its
 * index bpg_idem_expires, submission_attempt (bpg_db_attempts.h), and
 * bpg_schedule and bpg_schedule_fire (bpg_db_schedules.h),
 * bpg_livy_batch (bpg_db_livy.h), bpg_notify_target,
 * bpg_notify_outbox and bpg_notify_delivery (bpg_db_notify.h), and
 * bpg_retry_job (bpg_db_retry.h).
 *
 * bpg_unfinished covers ST_MON_OPEN: without it that query reads every row
 * of the cluster's prefix (250 ms at 1,000,000 rows, make bench SCALE=1),
 * with it only the unfinished ones, from the index alone (2 ms).
 *
 * bpg_request_summary holds, as compact JSON, the few parts of
 * request_body that a history row shows (hist_rq[]); our S1 writes it.
 * Reading it instead of running JSON_EXTRACT over request_body once per
 * part takes a 1,000-row history at 1,000,000 rows from 12-21 ms to 3-6
 * ms, about what reading those rows costs at all (tests/bench/scale.sh).
 * Rows that BPG wrote, that the monitor created (S2, S4) or that predate
 * the column have NULL there and are still read from request_body.  Added
 * at the end of the table and nullable, it is an instant ADD COLUMN on
 * MariaDB 10.3+ and MySQL 8.0.12+.  XXX: were BPG's S1 to rewrite the
 * request_body of a row we wrote, the row would keep our old summary;
 * submission IDs are random, so that does not happen.
 *
 * BPG ignores columns and indexes it does not know, so both gateways can
 * share the tables: BPG's INSERTs name their columns, so in the rows it
 * writes our two nullable columns simply stay NULL.  MySQL 5.7/8 have no
 * ADD COLUMN IF NOT EXISTS or CREATE INDEX IF NOT EXISTS, so each step
 * first asks information_schema whether its object exists and only then
 * runs its DDL.  That also lets a user without DDL privileges start
 * against an already migrated schema (one migrated by this version: a
 * new step needs the DDL privilege once).  Workers migrate concurrently
 * at start-up; a step that loses the race fails with "duplicate
 * column/key name", which counts as success.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "bpg_db_int.h"

/*
 * Migration steps, in order.  Each names the object whose presence in
 * information_schema makes the step unnecessary.
 */
enum step_kind {
	STEP_SCHEMA,
	STEP_TABLE,
	STEP_COLUMN, /* of application_submission */
	STEP_INDEX, /* of application_submission */
};

static const char *const step_query[] = {
    [STEP_SCHEMA] = "SELECT COUNT(*) FROM information_schema.SCHEMATA "
		    "WHERE SCHEMA_NAME = ?",
    [STEP_TABLE] = "SELECT COUNT(*) FROM information_schema.TABLES "
		   "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
    [STEP_COLUMN] = "SELECT COUNT(*) FROM information_schema.COLUMNS "
		    "WHERE TABLE_SCHEMA = ? "
		    "AND TABLE_NAME = 'application_submission' "
		    "AND COLUMN_NAME = ?",
    [STEP_INDEX] = "SELECT COUNT(*) FROM information_schema.STATISTICS "
		   "WHERE TABLE_SCHEMA = ? "
		   "AND TABLE_NAME = 'application_submission' "
		   "AND INDEX_NAME = ?",
};

static const char *const step_label[] = {
    [STEP_SCHEMA] = "create schema",
    [STEP_TABLE] = "create table",
    [STEP_COLUMN] = "add column",
    [STEP_INDEX] = "create index",
};

static const struct step {
	enum step_kind kind;
	const char *name;
	unsigned int race_errno; /* another worker did it first */
	const char *sql;
} steps[] = {
    /* utf8mb4 only applies if we create the schema. */
    {STEP_SCHEMA, NULL, 0,
	"CREATE SCHEMA IF NOT EXISTS @DB@ CHARACTER SET utf8mb4"},
    /* BPG's DDL, verbatim (spec 9.1). */
    {STEP_TABLE, "application_submission", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.application_submission (\n"
	"    submission_id VARCHAR(255) NOT NULL PRIMARY KEY,\n"
	"    `user` VARCHAR(255) NULL,\n"
	"    app_name VARCHAR(255) NULL,\n"
	"    dag_name VARCHAR(255) NULL,\n"
	"    task_name VARCHAR(255) NULL,\n"
	"    spark_version VARCHAR(255) NULL,\n"
	"    queue VARCHAR(255) NULL,\n"
	"    status VARCHAR(255) NULL,\n"
	"    app_id VARCHAR(255) NULL,\n"
	"    request_body TEXT NULL,\n"
	"    created_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
	"    finished_time TIMESTAMP NULL,\n"
	"    start_time TIMESTAMP NULL,\n"
	"    driver_core SMALLINT,\n"
	"    driver_memory_mb INT,\n"
	"    number_executor SMALLINT,\n"
	"    executor_core SMALLINT,\n"
	"    executor_memory_mb INT,\n"
	"    cost DECIMAL(10,2)\n"
	")"},
    /* BPG's DDL with `hour` back-quoted (quirk 23). */
    {STEP_TABLE, "logindex", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.logindex (\n"
	"    logs3key VARCHAR(500) NOT NULL PRIMARY KEY,\n"
	"    date date NOT NULL,\n"
	"    `hour` SMALLINT NOT NULL,\n"
	"    containerId VARCHAR(60) NOT NULL\n"
	")"},
    {STEP_COLUMN, "error_message", ER_DUP_FIELDNAME,
	"ALTER TABLE @DB@.application_submission "
	"ADD COLUMN error_message TEXT NULL"},
    {STEP_COLUMN, "bpg_request_summary", ER_DUP_FIELDNAME,
	"ALTER TABLE @DB@.application_submission "
	"ADD COLUMN bpg_request_summary TEXT NULL"},
    {STEP_INDEX, "bpg_app_id", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_app_id ON @DB@.application_submission "
	"(app_id)"},
    {STEP_INDEX, "bpg_user_created", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_user_created ON @DB@.application_submission "
	"(`user`, created_time)"},
    {STEP_INDEX, "bpg_created", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_created ON @DB@.application_submission "
	"(created_time)"},
    {STEP_INDEX, "bpg_app_name", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_app_name ON @DB@.application_submission "
	"(app_name, created_time)"},
    {STEP_INDEX, "bpg_unfinished", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_unfinished ON @DB@.application_submission "
	"(finished_time, submission_id, status, created_time)"},
    /*
     * Reports (bpg_db_report.c): every column a whole-table report reads,
     * so that it reads this index alone (submission_id, the cluster's
     * key, rides along as the primary key).  `user` does not fit too
     * (3072 bytes per key): groupBy user reads the rows as well.
     */
    {STEP_INDEX, "bpg_report", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_report ON @DB@.application_submission "
	"(created_time, queue, status, start_time, finished_time, "
	"driver_core, driver_memory_mb, number_executor, executor_core, "
	"executor_memory_mb, cost)"},
    /*
     * Ours: idempotency keys (bpg_db_idem.c).  Binary columns compare
     * byte for byte: keys and users are case-sensitive.  Every TIMESTAMP
     * has an explicit default, so none updates itself on UPDATE
     * (explicit_defaults_for_timestamp=OFF).  bpg_idem_expires serves the
     * sweep and the purge of an expired key.
     */
    {STEP_TABLE, "bpg_idempotency_key", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_idempotency_key (\n"
	"    `user` VARBINARY(255) NOT NULL,\n"
	"    idem_key VARBINARY(128) NOT NULL,\n"
	"    owner CHAR(32) CHARACTER SET ascii NOT NULL,\n"
	"    request_hash CHAR(64) CHARACTER SET ascii NOT NULL,\n"
	"    state VARCHAR(16) CHARACTER SET ascii NOT NULL,\n"
	"    submission_id VARCHAR(255) NULL,\n"
	"    http_status SMALLINT NULL,\n"
	"    content_type VARCHAR(255) CHARACTER SET ascii NULL,\n"
	"    answer BLOB NULL,\n"
	"    created_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
	"    claimed_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
	"    expires_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
	"    PRIMARY KEY (`user`, idem_key),\n"
	"    INDEX bpg_idem_expires (expires_time)\n"
	")"},
    /* Ours: the links between the attempts of a job (bpg_db_attempts.h).
     * The primary key decides which of two writers makes attempt n. */
    {STEP_TABLE, "submission_attempt", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.submission_attempt (\n"
	"    job_id VARCHAR(255) NOT NULL,\n"
	"    attempt SMALLINT NOT NULL,\n"
	"    submission_id VARCHAR(255) NOT NULL,\n"
	"    previous_submission_id VARCHAR(255) NOT NULL,\n"
	"    previous_uid VARCHAR(64) NULL,\n"
	"    cluster VARCHAR(255) NOT NULL,\n"
	"    cause VARCHAR(16) NOT NULL,\n"
	"    state VARCHAR(16) NOT NULL,\n"
	"    message TEXT NULL,\n"
	"    cr MEDIUMTEXT NULL,\n"
	"    created_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
	"    updated_time TIMESTAMP NULL,\n"
	"    PRIMARY KEY (job_id, attempt),\n"
	"    UNIQUE KEY bpg_attempt_id (submission_id),\n"
	"    UNIQUE KEY bpg_attempt_previous (previous_submission_id),\n"
	"    KEY bpg_attempt_state (state, created_time)\n"
	")"},
    /*
     * Ours: schedules (bpg_db_schedules.h).  Times are epoch seconds.
     * bpg_schedule_due serves the monitor's due query (unsuspended rows
     * by next_fire_time); the fires' primary key makes each fire time
     * yield one submission whoever inserts it first.
     */
    {STEP_TABLE, "bpg_schedule", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_schedule (\n"
	"    schedule_id VARCHAR(63) CHARACTER SET ascii NOT NULL,\n"
	"    owner VARBINARY(255) NOT NULL,\n"
	"    name VARBINARY(255) NOT NULL,\n"
	"    cron VARBINARY(255) NOT NULL,\n"
	"    timezone VARBINARY(255) NOT NULL,\n"
	"    concurrency_policy VARCHAR(16) CHARACTER SET ascii NOT NULL,\n"
	"    suspend TINYINT NOT NULL DEFAULT 0,\n"
	"    starting_deadline_s BIGINT NULL,\n"
	"    anchor_time BIGINT NOT NULL,\n"
	"    next_fire_time BIGINT NULL,\n"
	"    last_fire_time BIGINT NULL,\n"
	"    request MEDIUMTEXT NOT NULL,\n"
	"    created_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
	"    updated_time TIMESTAMP NULL,\n"
	"    PRIMARY KEY (schedule_id),\n"
	"    KEY bpg_schedule_due (suspend, next_fire_time),\n"
	"    KEY bpg_schedule_owner (owner, created_time)\n"
	")"},
    {STEP_TABLE, "bpg_schedule_fire", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_schedule_fire (\n"
	"    schedule_id VARCHAR(63) CHARACTER SET ascii NOT NULL,\n"
	"    fire_time BIGINT NOT NULL,\n"
	"    submission_id VARCHAR(255) NULL,\n"
	"    state VARCHAR(16) CHARACTER SET ascii NOT NULL,\n"
	"    message TEXT NULL,\n"
	"    created_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
	"    updated_time TIMESTAMP NULL,\n"
	"    PRIMARY KEY (schedule_id, fire_time),\n"
	"    UNIQUE KEY bpg_fire_submission (submission_id),\n"
	"    KEY bpg_fire_state (state, created_time)\n"
	")"},
    /*
     * Ours: dependencies (bpg_db_deps.h).  bpg_dependency_on finds the
     * dependents of a job; bpg_waiting_state serves the monitor's query
     * (one state, in ID order from a cursor).
     */
    {STEP_TABLE, "bpg_dependency", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_dependency (\n"
	"    submission_id VARCHAR(255) NOT NULL,\n"
	"    depends_on VARCHAR(255) NOT NULL,\n"
	"    PRIMARY KEY (submission_id, depends_on),\n"
	"    KEY bpg_dependency_on (depends_on)\n"
	")"},
    {STEP_TABLE, "bpg_waiting", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_waiting (\n"
	"    submission_id VARCHAR(255) NOT NULL,\n"
	"    owner VARBINARY(255) NOT NULL,\n"
	"    policy VARCHAR(16) CHARACTER SET ascii NOT NULL,\n"
	"    state VARCHAR(16) CHARACTER SET ascii NOT NULL,\n"
	"    format TINYINT NOT NULL DEFAULT 0,\n"
	"    request MEDIUMTEXT NULL,\n"
	"    created_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
	"    updated_time TIMESTAMP NULL,\n"
	"    PRIMARY KEY (submission_id),\n"
	"    KEY bpg_waiting_state (state, submission_id)\n"
	")"},
    /*
     * Ours: Livy batch IDs (bpg_db_livy.h).  AUTO_INCREMENT makes the
     * integer unique across every gateway sharing the table; the unique
     * key keeps one batch per submission ID.
     */
    {STEP_TABLE, "bpg_livy_batch", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_livy_batch (\n"
	"    batch_id BIGINT NOT NULL AUTO_INCREMENT,\n"
	"    submission_id VARCHAR(255) NOT NULL,\n"
	"    owner VARBINARY(255) NOT NULL,\n"
	"    created_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
	"    deleted_time TIMESTAMP NULL DEFAULT NULL,\n"
	"    PRIMARY KEY (batch_id),\n"
	"    UNIQUE KEY bpg_livy_submission (submission_id),\n"
	"    KEY bpg_livy_owner (owner, batch_id)\n"
	")"},
    /*
     * Ours: notifications (bpg_db_notify.h).  bpg_outbox_due serves the
     * sender's due query; event_id is unique so that replaying a state
     * change writes no second event; the submission indexes serve GET
     * /spark/{id}/notifications and the state change's read.
     */
    {STEP_TABLE, "bpg_notify_target", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_notify_target (\n"
	"    submission_id VARCHAR(255) NOT NULL,\n"
	"    idx SMALLINT NOT NULL,\n"
	"    url VARCHAR(2000) CHARACTER SET ascii NOT NULL,\n"
	"    format VARCHAR(16) CHARACTER SET ascii NOT NULL,\n"
	"    on_states VARCHAR(64) CHARACTER SET ascii NOT NULL,\n"
	"    cluster VARCHAR(255) NULL,\n"
	"    PRIMARY KEY (submission_id, idx)\n"
	")"},
    {STEP_TABLE, "bpg_notify_outbox", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_notify_outbox (\n"
	"    id BIGINT NOT NULL AUTO_INCREMENT,\n"
	"    event_id VARCHAR(300) NOT NULL,\n"
	"    submission_id VARCHAR(255) NOT NULL,\n"
	"    url VARCHAR(2000) CHARACTER SET ascii NOT NULL,\n"
	"    body TEXT NOT NULL,\n"
	"    attempts INT NOT NULL DEFAULT 0,\n"
	"    first_ms BIGINT NOT NULL,\n"
	"    next_ms BIGINT NOT NULL,\n"
	"    state VARCHAR(16) CHARACTER SET ascii NOT NULL,\n"
	"    last_status SMALLINT NULL,\n"
	"    last_error VARCHAR(255) NULL,\n"
	"    PRIMARY KEY (id),\n"
	"    UNIQUE KEY bpg_outbox_event (event_id),\n"
	"    KEY bpg_outbox_submission (submission_id),\n"
	"    KEY bpg_outbox_due (state, next_ms)\n"
	")"},
    {STEP_TABLE, "bpg_notify_delivery", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_notify_delivery (\n"
	"    id BIGINT NOT NULL AUTO_INCREMENT,\n"
	"    event_id VARCHAR(300) NOT NULL,\n"
	"    submission_id VARCHAR(255) NOT NULL,\n"
	"    attempt INT NOT NULL,\n"
	"    status_code SMALLINT NULL,\n"
	"    time_ms BIGINT NOT NULL,\n"
	"    error VARCHAR(255) NULL,\n"
	"    PRIMARY KEY (id),\n"
	"    KEY bpg_delivery_submission (submission_id, id)\n"
	")"},
    /*
     * Ours: the leader lease (bpg_db_lease.h), a row per name, and the
     * terms it had.  DATETIME(6), not TIMESTAMP: no automatic updates,
     * microseconds, and every value comes from NOW(6) in UTC sessions.
     */
    {STEP_TABLE, "bpg_lease", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_lease (\n"
	"    name VARCHAR(64) CHARACTER SET ascii NOT NULL,\n"
	"    holder VARBINARY(128) NOT NULL,\n"
	"    token BIGINT NOT NULL,\n"
	"    expires_time DATETIME(6) NOT NULL,\n"
	"    acquired_time DATETIME(6) NULL,\n"
	"    first_write_time DATETIME(6) NULL,\n"
	"    last_write_time DATETIME(6) NULL,\n"
	"    writes BIGINT NOT NULL DEFAULT 0,\n"
	"    PRIMARY KEY (name)\n"
	")"},
    {STEP_TABLE, "bpg_lease_term", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_lease_term (\n"
	"    name VARCHAR(64) CHARACTER SET ascii NOT NULL,\n"
	"    token BIGINT NOT NULL,\n"
	"    holder VARBINARY(128) NOT NULL,\n"
	"    acquired_time DATETIME(6) NULL,\n"
	"    first_write_time DATETIME(6) NULL,\n"
	"    last_write_time DATETIME(6) NULL,\n"
	"    writes BIGINT NOT NULL,\n"
	"    ended_time DATETIME(6) NOT NULL,\n"
	"    PRIMARY KEY (name, token)\n"
	")"},
    /*
     * Ours: jobs with a retry policy (bpg_db_retry.h).  bpg_retry_active
     * serves both of the monitor's queries: active jobs with no retry
     * planned (joined to their last attempt's row by its key) and active
     * jobs whose retry is due; ended jobs are never read.
     */
    {STEP_TABLE, "bpg_retry_job", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.bpg_retry_job (\n"
	"    job_id VARCHAR(255) NOT NULL,\n"
	"    owner VARBINARY(255) NOT NULL,\n"
	"    request MEDIUMTEXT NOT NULL,\n"
	"    max_attempts SMALLINT NOT NULL,\n"
	"    backoff_s INT NOT NULL,\n"
	"    backoff_multiplier DOUBLE NOT NULL,\n"
	"    on_states TINYINT NOT NULL,\n"
	"    any_cluster TINYINT NOT NULL,\n"
	"    last_attempt SMALLINT NOT NULL DEFAULT 1,\n"
	"    last_id VARCHAR(255) NOT NULL,\n"
	"    retry_at BIGINT NULL,\n"
	"    active TINYINT NOT NULL DEFAULT 1,\n"
	"    cancelled TINYINT NOT NULL DEFAULT 0,\n"
	"    created_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
	"    updated_time TIMESTAMP NULL,\n"
	"    PRIMARY KEY (job_id),\n"
	"    KEY bpg_retry_active (active, retry_at)\n"
	")"},
};

/* Run the DDL of step s once, as a one-off prepared statement. */
static enum bpg_err
exec_once(struct bpg_db *db, const struct step *s, struct bpg_errinfo *ei)
{
	char what[128];
	MYSQL_STMT *st = NULL;
	char *sql;
	enum bpg_err e = BPG_OK;

	if ((sql = db_sql_expand(s->sql, db->name)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	if ((st = mysql_stmt_init(db->my)) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
		goto out;
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 ||
	    mysql_stmt_execute(st) != 0) {
		if (s->race_errno == 0 ||
		    mysql_stmt_errno(st) != s->race_errno) {
			snprintf(what, sizeof(what), "migration (%s %s)",
			    step_label[s->kind],
			    s->name != NULL ? s->name : db->name);
			e = db_stmt_fail(db, st, what, ei);
		}
	}
out:
	if (st != NULL)
		mysql_stmt_close(st);
	free(sql);
	return e;
}

/* Whether the object of step s exists, from information_schema. */
static enum bpg_err
step_done(
    struct bpg_db *db, const struct step *s, bool *done, struct bpg_errinfo *ei)
{
	const char *q = step_query[s->kind];
	MYSQL_STMT *st;
	MYSQL_BIND in[2], out;
	unsigned long len[2];
	long long count = 0;
	enum bpg_err e = BPG_OK;
	int rc;

	if ((st = mysql_stmt_init(db->my)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	memset(in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	len[0] = strlen(db->name);
	in[0].buffer_type = MYSQL_TYPE_STRING;
	in[0].buffer = db->name;
	in[0].buffer_length = len[0];
	in[0].length = &len[0];
	if (s->name != NULL) {
		len[1] = strlen(s->name);
		in[1].buffer_type = MYSQL_TYPE_STRING;
		in[1].buffer = (void *)(uintptr_t)s->name;
		in[1].buffer_length = len[1];
		in[1].length = &len[1];
	}
	out.buffer_type = MYSQL_TYPE_LONGLONG;
	out.buffer = &count;
	if (mysql_stmt_prepare(st, q, strlen(q)) != 0 ||
	    mysql_stmt_bind_param(st, in) != 0 || mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, &out) != 0 ||
	    mysql_stmt_store_result(st) != 0) {
		e = db_stmt_fail(db, st, "migration check", ei);
		goto out;
	}
	rc = mysql_stmt_fetch(st);
	if (rc == 1) {
		e = db_stmt_fail(db, st, "migration check", ei);
		goto out;
	}
	*done = rc == 0 && count > 0;
out:
	mysql_stmt_close(st);
	return e;
}

enum bpg_err
db_migrate(struct bpg_db *db, struct bpg_errinfo *ei)
{
	size_t i;
	bool done;
	enum bpg_err e;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		done = false;
		if ((e = step_done(db, &steps[i], &done, ei)) != BPG_OK)
			return e;
		if (done)
			continue;
		e = exec_once(db, &steps[i], ei);
		if (e != BPG_OK)
			return e;
	}
	return BPG_OK;
}
