
/*
 * The monitor (spec 9.2 S2 to S5, with bpg-reference quirks 13, 14 and 16
 * fixed)
 *
 * Every statement is safe to repeat: the status and finish upserts leave
 * a finished row's status and finished_time alone (S3's guard, applied to
 * S4 as well), S5 only fills a row whose start_time is empty, and the cost
 * is recomputed from the row.  So a resync may replay anything.
 *
 * The state and finish statements of a submission with receivers run in
 * a transaction with the events they cause (db_notify_begin()), so an
 * event exists exactly when its change was committed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include <jansson.h>

#include "bpg_db_int.h"

static const char *const monitor_sql[ST__MAX] = {
    [ST_MON_READ] =
	"SELECT status, app_id, start_time IS NOT NULL, "
	"finished_time IS NOT NULL, "
	"COALESCE(status = 'LOST' AND error_message = '" BPG_DB_NEVER_SEEN
	"', 0) FROM @DB@.application_submission WHERE submission_id = ?",
    /* S3 (the guard) and S2, creating rows BPG did not submit. */
    [ST_MON_STATE] =
	"INSERT INTO @DB@.application_submission "
	"(submission_id, status, app_id) VALUES (?, ?, ?) "
	"ON DUPLICATE KEY UPDATE "
	"status = IF(finished_time IS NULL, COALESCE(?, status), status), "
	"app_id = COALESCE(?, app_id)",
    /* S5 plus BPG's S8 (executor core and memory), which BPG never ran. */
    [ST_MON_START] =
	"UPDATE @DB@.application_submission SET start_time = ?, "
	"driver_core = ?, driver_memory_mb = ?, number_executor = ?, "
	"executor_core = ?, executor_memory_mb = ?, "
	"dag_name = COALESCE(?, dag_name), "
	"task_name = COALESCE(?, task_name), "
	"app_name = COALESCE(?, app_name) "
	"WHERE submission_id = ? AND start_time IS NULL",
    /*
     * S4 in one statement, so that no reader sees a finished row without
     * its cost.  Every assignment tests the old finished_time and the cost
     * uses the bound finish time, so the order in which the server applies
     * the assignments does not matter.
     */
    [ST_MON_FINISH] =
	"INSERT INTO @DB@.application_submission "
	"(submission_id, status, finished_time) VALUES (?, ?, ?) "
	"ON DUPLICATE KEY UPDATE "
	"status = IF(finished_time IS NULL, ?, status), "
	"cost = IF(finished_time IS NULL, LEAST(99999999.99, "
	"(" DB_MB_SQL " * ? + " DB_CORES_SQL " * ?) * "
	DB_RUN_S_SQL("?") "), cost), "
	"finished_time = IF(finished_time IS NULL, ?, finished_time)",
    /*
     * S4's cost formula.  NULL prices (not configured) give NULL (quirk
     * 13); a start after the finish (clock skew) costs nothing; the value
     * is capped to what DECIMAL(10,2) holds rather than failing.
     */
    [ST_MON_COST] =
	"UPDATE @DB@.application_submission SET cost = LEAST(99999999.99, "
	"(" DB_MB_SQL " * ? + " DB_CORES_SQL " * ?) * "
	DB_RUN_S_SQL("finished_time") ") "
	"WHERE submission_id = ? AND finished_time IS NOT NULL",
    [ST_MON_OPEN] =
	"SELECT submission_id, status, "
	"TIMESTAMPDIFF(SECOND, created_time, NOW()) "
	"FROM @DB@.application_submission "
	"WHERE finished_time IS NULL AND submission_id LIKE ? ESCAPE '!' "
	"ORDER BY submission_id LIMIT 100000",
    [ST_MON_NEVER_SEEN] =
	"UPDATE @DB@.application_submission SET error_message = '"
	BPG_DB_NEVER_SEEN "' WHERE submission_id = ? AND status = 'LOST' "
	"AND app_id IS NULL AND start_time IS NULL",
};

void
db_monitor_sql(struct bpg_db *db)
{
	db_sql_table(db, monitor_sql);
}

/* TIMESTAMP's range, in epoch milliseconds. */
#define DB_MIN_TIMESTAMP_MS 1000LL
#define DB_MAX_TIMESTAMP_MS 2147483647000LL

static void
bind_ll(MYSQL_BIND *b, long long *v, my_bool *null, bool is_null)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
	*null = is_null;
	b->is_null = null;
}

static void
bind_double(MYSQL_BIND *b, double *v, my_bool *null, bool is_null)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_DOUBLE;
	b->buffer = v;
	*null = is_null;
	b->is_null = null;
}

/* Epoch ms as a UTC TIMESTAMP (the session's time_zone is +00:00). */
static void
bind_time(MYSQL_BIND *b, MYSQL_TIME *t, long long ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	memset(t, 0, sizeof(*t));
	gmtime_r(&secs, &tm);
	t->year = (unsigned int)tm.tm_year + 1900;
	t->month = (unsigned int)tm.tm_mon + 1;
	t->day = (unsigned int)tm.tm_mday;
	t->hour = (unsigned int)tm.tm_hour;
	t->minute = (unsigned int)tm.tm_min;
	t->second = (unsigned int)tm.tm_sec;
	t->time_type = MYSQL_TIMESTAMP_DATETIME;
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_TIMESTAMP;
	b->buffer = t;
}

static enum bpg_err
check_time(long long ms, const char *what, struct bpg_errinfo *ei)
{
	if (ms < DB_MIN_TIMESTAMP_MS || ms > DB_MAX_TIMESTAMP_MS)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: %s outside the TIMESTAMP range", what);
	return BPG_OK;
}
/* Copy a fetched string column into dst (NUL-terminated, cut to fit). */
static void
fetched_str(char *dst, size_t dstsz, const char *buf, unsigned long len,
    my_bool null, bool *present)
{
	*present = !null;
	if (null) {
		dst[0] = '\0';
		return;
	}
	if (len >= dstsz)
		len = (unsigned long)dstsz - 1;
	memcpy(dst, buf, len);
	dst[len] = '\0';
}

static enum bpg_err
op_mon_read(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const char *id = in;
	struct bpg_db_app *row = out;
	MYSQL_BIND param, res[5];
	char status[BPG_DB_MAX_TEXT_FIELD], app_id[BPG_DB_MAX_TEXT_FIELD];
	unsigned long idlen, len[5];
	my_bool idnull, null[5], err[5];
	long long started = 0, finished = 0, never = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	if ((e = db_prepared(db, ST_MON_READ, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&param, id, &idlen, &idnull);
	db_bind_out(&res[0], MYSQL_TYPE_STRING, status, sizeof(status), &len[0],
	    &null[0], &err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_STRING, app_id, sizeof(app_id), &len[1],
	    &null[1], &err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_LONGLONG, &started, 0, &len[2],
	    &null[2], &err[2]);
	db_bind_out(&res[3], MYSQL_TYPE_LONGLONG, &finished, 0, &len[3],
	    &null[3], &err[3]);
	db_bind_out(&res[4], MYSQL_TYPE_LONGLONG, &never, 0, &len[4],
	    &null[4], &err[4]);
	if ((e = db_stmt_query(db, st, &param, res,
	    "read application state", ei)) != BPG_OK)
		goto out;
	memset(row, 0, sizeof(*row));
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA)
		goto out;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
		e = db_stmt_fail(db, st, "read application state", ei);
		goto out;
	}
	row->found = true;
	fetched_str(row->status, sizeof(row->status), status, len[0],
	    null[0], &row->has_status);
	fetched_str(row->app_id, sizeof(row->app_id), app_id, len[1],
	    null[1], &row->has_app_id);
	row->started = !null[2] && started != 0;
	row->finished = !null[3] && finished != 0;
	row->never_seen = !null[4] && never != 0;
out:
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_monitor_read(struct bpg_db *db, const char *submission_id,
    struct bpg_db_app *row, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL || row == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or row");
	memset(row, 0, sizeof(*row));
	if ((e = db_check_id(submission_id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return db_read_with_retry(db, op_mon_read, submission_id, row, ei);
}

struct state_args {
	const char *id, *status, *app_id;
};

static enum bpg_err
op_mon_state(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct state_args *a = in;
	struct db_notify_prev np;
	MYSQL_BIND b[5];
	unsigned long len[3];
	my_bool null[3];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = db_prepared(db, ST_MON_STATE, &st, ei)) != BPG_OK ||
	    (e = db_notify_begin(db, a->id, &np, ei)) != BPG_OK)
		return e;
	db_bind_str(&b[0], a->id, &len[0], &null[0]);
	db_bind_str(&b[1], a->status, &len[1], &null[1]);
	db_bind_str(&b[2], a->app_id, &len[2], &null[2]);
	b[3] = b[1];
	b[4] = b[2];
	if (mysql_stmt_bind_param(st, b) != 0 ||
	    mysql_stmt_execute(st) != 0) {
		e = db_stmt_fail(db, st, "record application state", ei);
		db_notify_abort(db, &np);
		return e;
	}
	return db_notify_commit(db, a->id, &np, ei);
}

enum bpg_err
bpg_db_monitor_state(struct bpg_db *db, const char *submission_id,
    const char *status, const char *app_id, struct bpg_errinfo *ei)
{
	struct state_args a = {submission_id, status, app_id};
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(submission_id, ei)) != BPG_OK ||
	    (e = db_check_varchar(status, "status", ei)) != BPG_OK ||
	    (e = db_check_varchar(app_id, "app_id", ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_mon_state, &a, NULL, ei);
}

struct start_args {
	const char *id;
	const struct bpg_db_app_start *s;
};

static enum bpg_err
op_mon_start(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct start_args *a = in;
	const struct bpg_db_app_start *s = a->s;
	const int64_t nums[5] = {s->driver_core, s->driver_memory_mb,
	    s->number_executor, s->executor_core, s->executor_memory_mb};
	const char *strs[4] = {s->dag_name, s->task_name, s->app_name, a->id};
	MYSQL_BIND b[10];
	MYSQL_TIME t;
	long long v[5];
	unsigned long len[4];
	my_bool null[9];
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;

	(void)out;
	if ((e = db_prepared(db, ST_MON_START, &st, ei)) != BPG_OK)
		return e;
	bind_time(&b[0], &t, s->start_ms);
	for (i = 0; i < 5; i++) {
		v[i] = nums[i];
		bind_ll(&b[1 + i], &v[i], &null[i], nums[i] < 0);
	}
	for (i = 0; i < 4; i++)
		db_bind_str(&b[6 + i], strs[i], &len[i], &null[5 + i]);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return db_stmt_fail(db, st, "record application start", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_monitor_start(struct bpg_db *db, const char *submission_id,
    const struct bpg_db_app_start *s, struct bpg_errinfo *ei)
{
	struct start_args a = {submission_id, s};
	enum bpg_err e;

	if (db == NULL || s == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or values");
	if ((e = db_check_id(submission_id, ei)) != BPG_OK ||
	    (e = check_time(s->start_ms, "start_time", ei)) != BPG_OK ||
	    (e = db_check_varchar(s->dag_name, "dag_name", ei)) != BPG_OK ||
	    (e = db_check_varchar(s->task_name, "task_name", ei)) != BPG_OK ||
	    (e = db_check_varchar(s->app_name, "app_name", ei)) != BPG_OK)
		return e;
	if (s->driver_core > BPG_DB_MAX_SMALLINT ||
	    s->number_executor > BPG_DB_MAX_SMALLINT ||
	    s->executor_core > BPG_DB_MAX_SMALLINT ||
	    s->driver_memory_mb > BPG_DB_MAX_INT ||
	    s->executor_memory_mb > BPG_DB_MAX_INT)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "database: a core or memory value does not fit its column");
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_mon_start, &a, NULL, ei);
}

struct finish_args {
	const char *id, *status;
	long long ms;
	const double *mb, *core;
};

static enum bpg_err
op_mon_finish(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct finish_args *a = in;
	struct db_notify_prev np;
	MYSQL_BIND b[9];
	MYSQL_TIME t;
	double mb = a->mb != NULL ? *a->mb : 0, core = a->core != NULL ?
	    *a->core : 0;
	unsigned long len[2];
	my_bool null[4];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = db_prepared(db, ST_MON_FINISH, &st, ei)) != BPG_OK ||
	    (e = db_notify_begin(db, a->id, &np, ei)) != BPG_OK)
		return e;
	db_bind_str(&b[0], a->id, &len[0], &null[0]);
	db_bind_str(&b[1], a->status, &len[1], &null[1]);
	bind_time(&b[2], &t, a->ms);
	b[3] = b[1];
	bind_double(&b[4], &mb, &null[2], a->mb == NULL);
	bind_double(&b[5], &core, &null[3], a->core == NULL);
	b[6] = b[2];
	b[7] = b[2];
	if (mysql_stmt_bind_param(st, b) != 0 ||
	    mysql_stmt_execute(st) != 0) {
		e = db_stmt_fail(db, st, "record application finish", ei);
		db_notify_abort(db, &np);
		return e;
	}
	return db_notify_commit(db, a->id, &np, ei);
}

enum bpg_err
bpg_db_monitor_finish(struct bpg_db *db, const char *submission_id,
    const char *status, int64_t finished_ms,
    const double *memory_mb_second_cost, const double *vcore_second_cost,
    struct bpg_errinfo *ei)
{
	struct finish_args a = {submission_id, status, finished_ms,
	    memory_mb_second_cost, vcore_second_cost};
	enum bpg_err e;

	if (db == NULL || status == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or status");
	if ((e = db_check_id(submission_id, ei)) != BPG_OK ||
	    (e = db_check_varchar(status, "status", ei)) != BPG_OK ||
	    (e = check_time(finished_ms, "finished_time", ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_mon_finish, &a, NULL, ei);
}

static enum bpg_err
op_mon_never_seen(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	MYSQL_BIND b;
	unsigned long len;
	my_bool null;
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = db_prepared(db, ST_MON_NEVER_SEEN, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&b, in, &len, &null);
	if (mysql_stmt_bind_param(st, &b) != 0 || mysql_stmt_execute(st) != 0)
		return db_stmt_fail(db, st, "mark a row never seen", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_monitor_never_seen(struct bpg_db *db, const char *submission_id,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(submission_id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_mon_never_seen, submission_id, NULL, ei);
}

struct cost_args {
	const char *id;
	const double *mb, *core;
};

static enum bpg_err
op_mon_cost(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct cost_args *a = in;
	MYSQL_BIND b[3];
	double mb = a->mb != NULL ? *a->mb : 0, core = a->core != NULL ?
	    *a->core : 0;
	unsigned long len;
	my_bool null[3];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = db_prepared(db, ST_MON_COST, &st, ei)) != BPG_OK)
		return e;
	bind_double(&b[0], &mb, &null[0], a->mb == NULL);
	bind_double(&b[1], &core, &null[1], a->core == NULL);
	db_bind_str(&b[2], a->id, &len, &null[2]);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return db_stmt_fail(db, st, "record application cost", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_monitor_cost(struct bpg_db *db, const char *submission_id,
    const double *memory_mb_second_cost, const double *vcore_second_cost,
    struct bpg_errinfo *ei)
{
	struct cost_args a = {submission_id, memory_mb_second_cost,
	    vcore_second_cost};

	return db_run_by_id(db, submission_id, op_mon_cost, &a, ei);
}

struct open_args {
	const char *pattern;
};

/* Where a row of ST_MON_OPEN lands. */
struct open_row {
	char id[BPG_DB_MAX_TEXT_FIELD], status[BPG_DB_MAX_TEXT_FIELD];
	unsigned long len[3];
	my_bool null[3], err[3];
	long long age;
};

static json_t *
open_row_json(void *ctx, enum bpg_err *e, struct bpg_errinfo *ei)
{
	struct open_row *r = ctx;
	json_t *o;

	/* A cut ID would name another row: skip it. */
	if (r->null[0] || r->len[0] >= sizeof(r->id))
		return NULL;
	r->id[r->len[0]] = '\0';
	if (!r->null[1] && r->len[1] < sizeof(r->status))
		r->status[r->len[1]] = '\0';
	o = json_pack("{s:s, s:s?, s:o?}", "id", r->id, "status",
	    r->null[1] || r->len[1] >= sizeof(r->status) ? NULL : r->status,
	    "age", r->null[2] ? NULL : json_integer((json_int_t)r->age));
	if (o == NULL)
		*e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	return o;
}

static enum bpg_err
op_mon_open(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct open_args *a = in;
	MYSQL_BIND param, res[3];
	struct open_row r;
	unsigned long plen;
	my_bool pnull;
	MYSQL_STMT *st;
	enum bpg_err e;

	if ((e = db_prepared(db, ST_MON_OPEN, &st, ei)) != BPG_OK)
		return e;
	r.age = 0;
	db_bind_str(&param, a->pattern, &plen, &pnull);
	db_bind_out(&res[0], MYSQL_TYPE_STRING, r.id, sizeof(r.id), &r.len[0],
	    &r.null[0], &r.err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_STRING, r.status, sizeof(r.status),
	    &r.len[1], &r.null[1], &r.err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_LONGLONG, &r.age, 0, &r.len[2],
	    &r.null[2], &r.err[2]);
	if ((e = db_stmt_query(db, st, &param, res,
	    "read unfinished applications", ei)) == BPG_OK)
		e = db_fetch_list(db, st, open_row_json, &r,
		    "read unfinished applications", out, ei);
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_monitor_unfinished(struct bpg_db *db, const char *id_prefix,
    json_t **rows, struct bpg_errinfo *ei)
{
	struct open_args a;
	char pattern[2 * DB_MAX_VARCHAR + 2];
	size_t i, o = 0;
	enum bpg_err e;

	if (db == NULL || rows == NULL || id_prefix == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or prefix");
	*rows = NULL;
	if (strlen(id_prefix) > DB_MAX_VARCHAR)
		return bpg_errf(ei, BPG_EINVAL, "database: prefix too long");
	/* LIKE with '!' as the escape: the prefix matches only itself. */
	for (i = 0; id_prefix[i] != '\0'; i++) {
		if (id_prefix[i] == '!' || id_prefix[i] == '%' ||
		    id_prefix[i] == '_')
			pattern[o++] = '!';
		pattern[o++] = id_prefix[i];
	}
	pattern[o++] = '%';
	pattern[o] = '\0';
	a.pattern = pattern;
	if (!db->enabled)
		return db_empty_list(rows, ei);
	e = db_read_with_retry(db, op_mon_open, &a, rows, ei);
	return e;
}
