/*
 * The rows of application_submission that the gateway writes and reads
 * whole: insert (S1), mark failed, and read back one submission.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include <jansson.h>

#include "bpg_db_int.h"

/* "@DB@" stands for the back-quoted dbName; ST_GET comes from sql_get(). */
static const char *const submissions_sql[ST__MAX] = {
    [ST_INSERT] =
	"INSERT INTO @DB@.application_submission (submission_id, `user`, "
	"spark_version, request_body, queue, app_name, bpg_request_summary) "
	"VALUES (?, ?, ?, ?, ?, ?, ?) "
	"ON DUPLICATE KEY UPDATE `user` = ?, spark_version = ?, "
	"request_body = ?, queue = ?, app_name = ?, bpg_request_summary = ?",
    [ST_FAIL] =
	"UPDATE @DB@.application_submission "
	"SET status = 'SUBMISSION_FAILED', error_message = ?, "
	"finished_time = CURRENT_TIMESTAMP "
	"WHERE submission_id = ? AND finished_time IS NULL",
};

enum col_kind {
	COL_STR,
	COL_INT,
	COL_TIME, /* read as epoch milliseconds */
	COL_DEC, /* DECIMAL, read as text, given as a JSON real */
};

/*
 * Every column of application_submission, in table order, but
 * bpg_request_summary: a copy of part of request_body, for the history
 * only.
 */
static const struct col {
	const char *name;
	enum col_kind kind;
} cols[] = {
    {"submission_id", COL_STR},
    {"user", COL_STR},
    {"app_name", COL_STR},
    {"dag_name", COL_STR},
    {"task_name", COL_STR},
    {"spark_version", COL_STR},
    {"queue", COL_STR},
    {"status", COL_STR},
    {"app_id", COL_STR},
    {"request_body", COL_STR},
    {"created_time", COL_TIME},
    {"finished_time", COL_TIME},
    {"start_time", COL_TIME},
    {"driver_core", COL_INT},
    {"driver_memory_mb", COL_INT},
    {"number_executor", COL_INT},
    {"executor_core", COL_INT},
    {"executor_memory_mb", COL_INT},
    {"cost", COL_DEC},
    {"error_message", COL_STR},
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

/* The SELECT for ST_GET, built from cols[]. */
static char *
sql_get(const char *name)
{
	char buf[2048];
	size_t off, i;
	int n;

	off = (size_t)snprintf(buf, sizeof(buf), "SELECT ");
	for (i = 0; i < NCOLS; i++) {
		n = snprintf(buf + off, sizeof(buf) - off,
		    cols[i].kind == COL_TIME
			? "%sFLOOR(UNIX_TIMESTAMP(`%s`) * 1000)"
			: "%s`%s`",
		    i > 0 ? ", " : "", cols[i].name);
		if (n < 0 || (size_t)n >= sizeof(buf) - off)
			return NULL;
		off += (size_t)n;
	}
	n = snprintf(buf + off, sizeof(buf) - off,
	    " FROM @DB@.application_submission WHERE submission_id = ?");
	if (n < 0 || (size_t)n >= sizeof(buf) - off)
		return NULL;
	return db_sql_expand(buf, name);
}

void
db_submissions_sql(struct bpg_db *db)
{
	db_sql_table(db, submissions_sql);
	db->sql[ST_GET] = sql_get(db->name);
}

/*
 * Refuse values the columns cannot hold, whatever the server's sql_mode:
 * without strict mode MySQL would store them cut short.
 */
static enum bpg_err
check_sizes(const struct bpg_db_submission *sub, struct bpg_errinfo *ei)
{
	const struct {
		const char *col;
		const char *v;
	} vc[] = {
	    {"user", sub->user},
	    {"spark_version", sub->spark_version},
	    {"queue", sub->queue},
	    {"app_name", sub->app_name},
	};
	enum bpg_err e;
	size_t i;

	for (i = 0; i < sizeof(vc) / sizeof(vc[0]); i++)
		if ((e = db_check_varchar(vc[i].v, vc[i].col, ei)) != BPG_OK)
			return e;
	if (sub->request_body != NULL &&
	    strlen(sub->request_body) > DB_MAX_TEXT)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "database: request_body longer than %d bytes", DB_MAX_TEXT);
	if (sub->request_summary != NULL &&
	    strlen(sub->request_summary) > DB_MAX_TEXT)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "database: bpg_request_summary longer than %d bytes",
		    DB_MAX_TEXT);
	return BPG_OK;
}

/*
 * Insert (S1)
 */

static enum bpg_err
op_insert(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct bpg_db_submission *sub = in;
	const char *v[] = {sub->submission_id, sub->user, sub->spark_version,
	    sub->request_body, sub->queue, sub->app_name, sub->request_summary};
	enum { NV = sizeof(v) / sizeof(v[0]) };
	MYSQL_BIND b[2 * NV - 1];
	unsigned long len[NV];
	my_bool null[NV];
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;

	(void)out;
	if ((e = db_prepared(db, ST_INSERT, &st, ei)) != BPG_OK)
		return e;
	for (i = 0; i < NV; i++)
		db_bind_str(&b[i], v[i], &len[i], &null[i]);
	/* The update list repeats every column but the key. */
	for (i = 1; i < NV; i++)
		b[NV - 1 + i] = b[i];
	if (mysql_stmt_bind_param(st, b) != 0)
		return db_stmt_fail(db, st, "insert submission", ei);
	if (mysql_stmt_execute(st) != 0) {
		e = db_stmt_fail(db, st, "insert submission", ei);
		/* Sent, and the connection died: it may have committed. */
		if (db->lost && db->last_errno != ER_NEED_REPREPARE)
			db->unsettled = true;
		return e;
	}
	return BPG_OK;
}

enum bpg_err
bpg_db_insert_submission(struct bpg_db *db, const struct bpg_db_submission *sub,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL || sub == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or row");
	if ((e = db_check_id(sub->submission_id, ei)) != BPG_OK ||
	    (e = check_sizes(sub, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	db->unsettled = false;
	if ((e = db_with_retry(db, op_insert, sub, NULL, ei)) == BPG_OK)
		db->unsettled = false;
	return e;
}

bool
bpg_db_insert_unsettled(const struct bpg_db *db)
{
	return db != NULL && db->unsettled;
}

/*
 * Mark failed
 */

struct fail_args {
	const char *id;
	const char *reason;
};

static enum bpg_err
op_fail(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct fail_args *a = in;
	struct db_notify_prev np;
	MYSQL_BIND b[2];
	unsigned long len[2];
	my_bool null[2];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = db_prepared(db, ST_FAIL, &st, ei)) != BPG_OK ||
	    (e = db_notify_begin(db, a->id, &np, ei)) != BPG_OK)
		return e;
	db_bind_str(&b[0], a->reason, &len[0], &null[0]);
	if (a->reason != NULL && len[0] > BPG_DB_MAX_ERROR_MESSAGE) {
		/* Cut before a UTF-8 continuation byte, never inside. */
		len[0] = BPG_DB_MAX_ERROR_MESSAGE;
		while (len[0] > 0 &&
		    ((unsigned char)a->reason[len[0]] & 0xc0) == 0x80)
			len[0]--;
		b[0].buffer_length = len[0];
	}
	db_bind_str(&b[1], a->id, &len[1], &null[1]);
	if (mysql_stmt_bind_param(st, b) != 0 ||
	    mysql_stmt_execute(st) != 0) {
		e = db_stmt_fail(db, st, "mark submission failed", ei);
		db_notify_abort(db, &np);
		return e;
	}
	return db_notify_commit(db, a->id, &np, ei);
}

enum bpg_err
bpg_db_mark_failed(struct bpg_db *db, const char *submission_id,
    const char *reason, struct bpg_errinfo *ei)
{
	struct fail_args a = {submission_id, reason};

	return db_run_by_id(db, submission_id, op_fail, &a, ei);
}

/*
 * Read back
 */

struct cell {
	long long i;
	char dec[64];
	unsigned long len;
	my_bool null;
	my_bool err;
};

/* JSON value of column c of the fetched row; NULL and ei set on error. */
static json_t *
cell_json(struct bpg_db *db, MYSQL_STMT *st, unsigned int c, struct cell *cell,
    enum bpg_err *e, struct bpg_errinfo *ei)
{
	MYSQL_BIND b;
	unsigned long got = 0;
	json_t *v = NULL;
	char *buf;

	if (cell->null)
		return json_null();
	switch (cols[c].kind) {
	case COL_INT:
	case COL_TIME:
		v = json_integer((json_int_t)cell->i);
		break;
	case COL_DEC:
		cell->dec[sizeof(cell->dec) - 1] = '\0';
		v = json_real(strtod(cell->dec, NULL));
		break;
	case COL_STR:
		if ((buf = malloc(cell->len + 1)) == NULL)
			break;
		memset(&b, 0, sizeof(b));
		b.buffer_type = MYSQL_TYPE_STRING;
		b.buffer = buf;
		b.buffer_length = cell->len + 1;
		b.length = &got;
		if (mysql_stmt_fetch_column(st, &b, c, 0) != 0) {
			free(buf);
			*e = db_stmt_fail(db, st, "read submission", ei);
			return NULL;
		}
		v = json_stringn(buf, cell->len);
		free(buf);
		if (v == NULL) {
			*e = bpg_errf(ei, BPG_EDB,
			    "database: column %s is not valid UTF-8",
			    cols[c].name);
			return NULL;
		}
		break;
	}
	if (v == NULL)
		*e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	return v;
}

static enum bpg_err
op_get(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const char *id = in;
	json_t **row = out, *obj = NULL, *v;
	MYSQL_BIND param, res[NCOLS];
	struct cell cell[NCOLS];
	unsigned long idlen;
	my_bool idnull;
	MYSQL_STMT *st;
	enum bpg_err e;
	unsigned int c;
	int rc;

	if ((e = db_prepared(db, ST_GET, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&param, id, &idlen, &idnull);
	memset(res, 0, sizeof(res));
	memset(cell, 0, sizeof(cell));
	for (c = 0; c < NCOLS; c++) {
		res[c].is_null = &cell[c].null;
		res[c].length = &cell[c].len;
		res[c].error = &cell[c].err;
		switch (cols[c].kind) {
		case COL_INT:
		case COL_TIME:
			res[c].buffer_type = MYSQL_TYPE_LONGLONG;
			res[c].buffer = &cell[c].i;
			break;
		case COL_DEC:
			res[c].buffer_type = MYSQL_TYPE_STRING;
			res[c].buffer = cell[c].dec;
			res[c].buffer_length = sizeof(cell[c].dec);
			break;
		case COL_STR:
			/* Length only; the bytes come in cell_json(). */
			res[c].buffer_type = MYSQL_TYPE_STRING;
			break;
		}
	}
	if ((e = db_stmt_query(db, st, &param, res,
	    "read submission", ei)) != BPG_OK)
		goto out;
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA) {
		e = bpg_errf(
		    ei, BPG_ENOTFOUND, "database: no submission with this ID");
		goto out;
	}
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
		e = db_stmt_fail(db, st, "read submission", ei);
		goto out;
	}
	if ((obj = json_object()) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
		goto out;
	}
	for (c = 0; c < NCOLS; c++) {
		if ((v = cell_json(db, st, c, &cell[c], &e, ei)) == NULL)
			goto out;
		if (json_object_set_new(obj, cols[c].name, v) != 0) {
			e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
			goto out;
		}
	}
	*row = obj;
	obj = NULL;
out:
	json_decref(obj);
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_get_submission(struct bpg_db *db, const char *submission_id,
    json_t **row, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL || row == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or row");
	if ((e = db_check_id(submission_id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return bpg_errf(ei, BPG_ENOTFOUND,
		    "database: disabled (no connection string)");
	return db_with_retry(db, op_get, submission_id, row, ei);
}
