/*
 * The one statement helper of the db modules: SQL text with dbName filled
 * in, statements prepared once per connection, binding, errors, the
 * retry on a new connection, and the checks of values bound to columns.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include <jansson.h>

#include "bpg_db_int.h"
#include "bpg_db_rerun.h"
#include "bpg_metrics.h"


/*
 * SQL
 */

/* A copy of tmpl with every "@DB@" replaced by `name`; NULL if no memory. */
char *
db_sql_expand(const char *tmpl, const char *name)
{
	static const char tok[] = "@DB@";
	const char *p, *q;
	size_t n = 0, nlen = strlen(name) + 2, tlen = sizeof(tok) - 1;
	char *out, *o;

	for (p = tmpl; (q = strstr(p, tok)) != NULL; p = q + tlen)
		n++;
	out = malloc(strlen(tmpl) + n * nlen + 1);
	if (out == NULL)
		return NULL;
	o = out;
	for (p = tmpl; (q = strstr(p, tok)) != NULL; p = q + tlen) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		*o++ = '`';
		memcpy(o, name, nlen - 2);
		o += nlen - 2;
		*o++ = '`';
	}
	memcpy(o, p, strlen(p) + 1);
	return out;
}

void
db_sql_table(struct bpg_db *db, const char *const tmpl[ST__MAX])
{
	size_t i;

	for (i = 0; i < ST__MAX; i++)
		if (tmpl[i] != NULL)
			db->sql[i] = db_sql_expand(tmpl[i], db->name);
}

/*
 * Errors
 */

void
db_scrub(struct bpg_errinfo *ei)
{
	char *p;

	if (ei == NULL)
		return;
	for (p = ei->msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

enum bpg_err
db_stmt_fail(
    struct bpg_db *db, MYSQL_STMT *st, const char *what, struct bpg_errinfo *ei)
{
	unsigned int code = mysql_stmt_errno(st);

	db->lost = db_rerun_class(code) == DB_RERUN_LOST;
	db->last_errno = code;
	bpg_errf(ei, BPG_EDB, "database: %s: %s (error %u)", what,
	    mysql_stmt_error(st), code);
	db_scrub(ei);
	return BPG_EDB;
}

enum bpg_err
db_my_fail(struct bpg_db *db, const char *what, struct bpg_errinfo *ei)
{
	unsigned int code = mysql_errno(db->my);

	db->lost = db_rerun_class(code) == DB_RERUN_LOST;
	db->last_errno = code;
	bpg_errf(ei, BPG_EDB, "database: %s: %s (error %u)", what,
	    mysql_error(db->my), code);
	db_scrub(ei);
	return BPG_EDB;
}

void
db_bind_out(MYSQL_BIND *b, enum enum_field_types type, void *buf,
    unsigned long size, unsigned long *len, my_bool *null, my_bool *err)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = type;
	b->buffer = buf;
	b->buffer_length = size;
	b->length = len;
	b->is_null = null;
	b->error = err;
}

enum bpg_err
db_stmt_query(struct bpg_db *db, MYSQL_STMT *st, MYSQL_BIND *param,
    MYSQL_BIND *res, const char *what, struct bpg_errinfo *ei)
{
	if (mysql_stmt_bind_param(st, param) != 0 ||
	    mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, res) != 0 ||
	    mysql_stmt_store_result(st) != 0)
		return db_stmt_fail(db, st, what, ei);
	return BPG_OK;
}

/*
 * Statements
 */

enum bpg_err
db_prepared(struct bpg_db *db, enum stmt_id id, MYSQL_STMT **out,
    struct bpg_errinfo *ei)
{
	MYSQL_STMT *st;
	enum bpg_err e;

	if (db->stmt[id] == NULL) {
		if ((st = mysql_stmt_init(db->my)) == NULL)
			return bpg_errf(
			    ei, BPG_ENOMEM, "database: out of memory");
		if (mysql_stmt_prepare(st, db->sql[id], strlen(db->sql[id])) !=
		    0) {
			e = db_stmt_fail(db, st, "prepare", ei);
			mysql_stmt_close(st);
			return e;
		}
		db->stmt[id] = st;
	}
	*out = db->stmt[id];
	return BPG_OK;
}

void
bpg_db_set_metrics(struct bpg_db *db, struct bpg_metrics *m)
{
	if (db != NULL)
		db->metrics = m;
}

/* A failure of the server or the link (not of an answer's contents). */
static enum bpg_err
counted(struct bpg_db *db, enum bpg_err e)
{
	if (e == BPG_EDB || e == BPG_ECONFIG || e == BPG_ETIMEOUT)
		bpg_metrics_inc(db->metrics, BPG_METRIC_DB_ERRORS, NULL);
	return e;
}

static void
pause_ms(unsigned int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

/*
 * Runs op (under the fence when fence) until it succeeds or its failure
 * is not worth another run (bpg_db_rerun.c): a lost connection once more
 * on a new one, a rolled back transaction (deadlock, Galera certification
 * failure) again on the same connection, the fence first, a statement
 * refused by an unready Galera node again on a new connection, each a
 * bounded number of times.  A table that is gone is created again once.
 */
static enum bpg_err
run_with_retry(struct bpg_db *db, db_op op, const void *in, void *out,
    bool fence, struct bpg_errinfo *ei)
{
	unsigned int runs[DB_RERUN__MAX] = {0};
	bool remigrated = false;
	enum db_rerun c;
	enum bpg_err e;

	for (;;) {
		if ((e = bpg_db_connect(db, ei)) != BPG_OK)
			return counted(db, e);
		db->lost = false;
		db->last_errno = 0;
		db->fence_refused = false;
		if (!fence)
			e = op(db, in, out, ei);
		else if ((e = db_fence_begin(db, ei)) == BPG_OK)
			e = db_fence_end(db, op(db, in, out, ei), ei);
		if (e == BPG_OK)
			return e;
		if (db->last_errno == ER_NO_SUCH_TABLE && !remigrated) {
			remigrated = true;
			db->migrated = false;
			db_close(db);
			continue;
		}
		c = db_rerun_class(db->last_errno);
		if (c != DB_RERUN_ROLLBACK && c != DB_RERUN_NONE)
			db_close(db);
		/* A node out of the cluster answers, but not for long. */
		if (c == DB_RERUN_NOT_READY)
			db_next_host(db);
		if (c == DB_RERUN_NONE || ++runs[c] >= db_rerun_tries(c))
			return counted(db, e);
		bpg_metrics_inc(db->metrics, BPG_METRIC_DB_RETRIES,
		    BPG_LV(db_rerun_name(c)));
		pause_ms(db_rerun_pause_ms(c, runs[c]));
	}
}

enum bpg_err
db_with_retry(struct bpg_db *db, db_op op, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	return run_with_retry(db, op, in, out, db->fenced, ei);
}

enum bpg_err
db_read_with_retry(struct bpg_db *db, db_op op, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	return run_with_retry(db, op, in, out, false, ei);
}

void
db_bind_ll(MYSQL_BIND *b, long long *v)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
}

void
db_bind_str(
    MYSQL_BIND *b, const char *s, unsigned long *len, my_bool *null)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	*null = s == NULL;
	*len = s != NULL ? strlen(s) : 0;
	/* libmariadb only reads input buffers; the cast drops const. */
	b->buffer = (void *)(uintptr_t)s;
	b->buffer_length = *len;
	b->length = len;
	b->is_null = null;
}

enum bpg_err
db_fetch_list(struct bpg_db *db, MYSQL_STMT *st, db_row_fn row, void *ctx,
    const char *what, json_t **list, struct bpg_errinfo *ei)
{
	json_t *l, *v;
	enum bpg_err e = BPG_OK;
	int rc;

	if ((l = json_array()) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if ((v = row(ctx, &e, ei)) == NULL) {
			if (e != BPG_OK)
				goto fail;
			continue;
		}
		if (json_array_append_new(l, v) != 0) {
			e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
			goto fail;
		}
	}
	if (rc != MYSQL_NO_DATA) {
		e = db_stmt_fail(db, st, what, ei);
		goto fail;
	}
	*list = l;
	return BPG_OK;
fail:
	json_decref(l);
	return e;
}

enum bpg_err
db_run_by_id(struct bpg_db *db, const char *id, db_op op, const void *in,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op, in, NULL, ei);
}

enum bpg_err
db_check_id(const char *id, struct bpg_errinfo *ei)
{
	size_t n;

	if (id == NULL || (n = strlen(id)) == 0)
		return bpg_errf(
		    ei, BPG_EINVAL, "database: empty submission ID");
	if (n > DB_MAX_VARCHAR)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: submission ID longer than %d bytes",
		    DB_MAX_VARCHAR);
	return BPG_OK;
}

/*
 * Checks of values bound to columns
 */

/* Characters (UTF-8 lead bytes) in s, counting no further than max + 1. */
static size_t
utf8_chars(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0' && n <= max; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

enum bpg_err
db_check_varchar(
    const char *v, const char *what, struct bpg_errinfo *ei)
{
	if (v != NULL && utf8_chars(v, DB_MAX_VARCHAR) > DB_MAX_VARCHAR)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "database: %s longer than %d characters", what,
		    DB_MAX_VARCHAR);
	return BPG_OK;
}

enum bpg_err
db_empty_list(json_t **rows, struct bpg_errinfo *ei)
{
	if ((*rows = json_array()) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}
