/*
 * Livy batch IDs (bpg_db_livy.h): table bpg_livy_batch, read with the
 * submission's row joined for the list's states.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "bpg_db_int.h"
#include "bpg_db_livy.h"

#define T "@DB@.bpg_livy_batch"
#define COLS                                                                  \
	"l.batch_id, l.submission_id, l.owner, a.status, a.app_id, "         \
	"a.app_name, a.submission_id IS NOT NULL, l.deleted_time IS NOT NULL"
#define JOIN                                                                  \
	" FROM " T " l LEFT JOIN @DB@.application_submission a "            \
	"ON a.submission_id = l.submission_id "

static const char *const livy_sql[ST__MAX] = {
    [ST_LIVY_INSERT] = "INSERT INTO " T " (owner, submission_id) "
		       "VALUES (?, ?)",
    [ST_LIVY_BY_SUB] = "SELECT batch_id FROM " T " WHERE submission_id = ? "
		       "AND owner = ?",
    [ST_LIVY_BIND] = "UPDATE " T " SET submission_id = ? WHERE batch_id = ?",
    [ST_LIVY_DELETED] = "UPDATE " T " SET deleted_time = "
			"COALESCE(deleted_time, CURRENT_TIMESTAMP) WHERE batch_id = ?",
    [ST_LIVY_GET] = "SELECT " COLS JOIN "WHERE l.batch_id = ?",
    [ST_LIVY_LIST] = "SELECT " COLS JOIN
		     "WHERE l.owner = ? AND a.submission_id IS NOT NULL "
		     "ORDER BY l.batch_id LIMIT ?, ?",
    /* Batches whose submission has no row (a crash between the two
     * writes) are left out of lists. */
    [ST_LIVY_COUNT] = "SELECT COUNT(*)" JOIN
		      "WHERE l.owner = ? AND a.submission_id IS NOT NULL",
};

void
db_livy_sql(struct bpg_db *db)
{
	db_sql_table(db, livy_sql);
}

static enum bpg_err
check_db(struct bpg_db *db, struct bpg_errinfo *ei)
{
	if (db == NULL || !db->enabled)
		return bpg_errf(ei, BPG_EDB, "database: Livy batches need the "
		    "database");
	return BPG_OK;
}

static enum bpg_err
check_str(const char *s, const char *what, struct bpg_errinfo *ei)
{
	if (s == NULL || s[0] == '\0' || strlen(s) > BPG_DB_LIVY_MAX_FIELD)
		return bpg_errf(ei, BPG_EINVAL, "database: bad %s", what);
	return BPG_OK;
}


/* ---- writes --------------------------------------------------------- */

struct insert {
	const char *owner, *sid;
	int64_t id;
};

/* The batch ID of an INSERT whose answer was lost and which ran. */
static enum bpg_err
id_of_sub(struct bpg_db *db, struct insert *a, struct bpg_errinfo *ei)
{
	MYSQL_BIND b[2], res[1];
	unsigned long len[2], rlen;
	my_bool null[2], rnull, rerr;
	long long v = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	if ((e = db_prepared(db, ST_LIVY_BY_SUB, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&b[0], a->sid, &len[0], &null[0]);
	db_bind_str(&b[1], a->owner, &len[1], &null[1]);
	db_bind_out(&res[0], MYSQL_TYPE_LONGLONG, &v, 0, &rlen, &rnull, &rerr);
	if ((e = db_stmt_query(db, st, b, res, "read Livy batch ID", ei)) !=
	    BPG_OK)
		return e;
	rc = mysql_stmt_fetch(st);
	mysql_stmt_free_result(st);
	if (rc != 0 || v <= 0)
		return bpg_errf(ei, BPG_EDB, "database: submission %s has a "
		    "Livy batch of another user", a->sid);
	a->id = v;
	return BPG_OK;
}

static enum bpg_err
op_insert(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct insert *a = out;
	MYSQL_BIND b[2];
	unsigned long len[2];
	my_bool null[2];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)in;
	if ((e = db_prepared(db, ST_LIVY_INSERT, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&b[0], a->owner, &len[0], &null[0]);
	db_bind_str(&b[1], a->sid, &len[1], &null[1]);
	if (mysql_stmt_bind_param(st, b) != 0)
		return db_stmt_fail(db, st, "insert Livy batch", ei);
	if (mysql_stmt_execute(st) != 0) {
		/* A retry of an INSERT that ran: its row tells the ID. */
		if (mysql_stmt_errno(st) == ER_DUP_ENTRY)
			return id_of_sub(db, a, ei);
		return db_stmt_fail(db, st, "insert Livy batch", ei);
	}
	a->id = (int64_t)mysql_stmt_insert_id(st);
	if (a->id <= 0)
		return bpg_errf(ei, BPG_EDB, "database: no batch ID assigned");
	return BPG_OK;
}

enum bpg_err
bpg_db_livy_insert(struct bpg_db *db, const char *owner,
    const char *submission_id, int64_t *id, struct bpg_errinfo *ei)
{
	struct insert a = { owner, submission_id, 0 };
	enum bpg_err e;

	*id = 0;
	if ((e = check_db(db, ei)) != BPG_OK ||
	    (e = check_str(owner, "owner", ei)) != BPG_OK ||
	    (e = check_str(submission_id, "submission ID", ei)) != BPG_OK)
		return e;
	if ((e = db_with_retry(db, op_insert, NULL, &a, ei)) != BPG_OK)
		return e;
	*id = a.id;
	return BPG_OK;
}

struct bind {
	const char *sid;
	long long id;
	bool changed;
};

static enum bpg_err
op_bind(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	struct bind *a = out;
	MYSQL_BIND b[2];
	unsigned long len;
	my_bool null;
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)in;
	if ((e = db_prepared(db, ST_LIVY_BIND, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&b[0], a->sid, &len, &null);
	db_bind_ll(&b[1], &a->id);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return db_stmt_fail(db, st, "bind Livy batch ID", ei);
	/* 0 rows: the same ID again (a retry), or no such batch. */
	a->changed = mysql_stmt_affected_rows(st) > 0;
	return BPG_OK;
}

enum bpg_err
bpg_db_livy_bind(struct bpg_db *db, int64_t id, const char *submission_id,
    struct bpg_errinfo *ei)
{
	struct bind a = { submission_id, id, false };
	enum bpg_err e;

	if ((e = check_db(db, ei)) != BPG_OK ||
	    (e = check_str(submission_id, "submission ID", ei)) != BPG_OK)
		return e;
	if (id <= 0)
		return bpg_errf(ei, BPG_EINVAL, "database: bad batch ID");
	return db_with_retry(db, op_bind, NULL, &a, ei);
}

static enum bpg_err
op_deleted(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	long long *id = out;
	MYSQL_BIND b[1];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)in;
	if ((e = db_prepared(db, ST_LIVY_DELETED, &st, ei)) != BPG_OK)
		return e;
	db_bind_ll(&b[0], id);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return db_stmt_fail(db, st, "mark Livy batch deleted", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_livy_deleted(struct bpg_db *db, int64_t id, struct bpg_errinfo *ei)
{
	long long v = id;
	enum bpg_err e;

	if ((e = check_db(db, ei)) != BPG_OK)
		return e;
	if (id <= 0)
		return bpg_errf(ei, BPG_EINVAL, "database: bad batch ID");
	return db_with_retry(db, op_deleted, NULL, &v, ei);
}

/* ---- reads ---------------------------------------------------------- */

#define NCOL 8

struct row {
	struct bpg_db_livy_batch b;
	long long id, has_row, deleted;
	unsigned long len[NCOL];
	my_bool null[NCOL], err[NCOL];
};

static void
row_bind(MYSQL_BIND res[NCOL], struct row *r)
{
	struct bpg_db_livy_batch *b = &r->b;
	char *str[5] = { b->submission_id, b->owner, b->status, b->app_id,
	    b->app_name };
	size_t sz[5] = { sizeof(b->submission_id), sizeof(b->owner),
	    sizeof(b->status), sizeof(b->app_id), sizeof(b->app_name) };
	size_t i;

	memset(res, 0, NCOL * sizeof(*res));
	memset(r, 0, sizeof(*r));
	db_bind_out(&res[0], MYSQL_TYPE_LONGLONG, &r->id, 0, &r->len[0],
	    &r->null[0], &r->err[0]);
	for (i = 0; i < 5; i++)
		db_bind_out(&res[1 + i], MYSQL_TYPE_STRING, str[i],
		    (unsigned long)sz[i], &r->len[1 + i], &r->null[1 + i],
		    &r->err[1 + i]);
	db_bind_out(&res[6], MYSQL_TYPE_LONGLONG, &r->has_row, 0, &r->len[6],
	    &r->null[6], &r->err[6]);
	db_bind_out(&res[7], MYSQL_TYPE_LONGLONG, &r->deleted, 0, &r->len[7],
	    &r->null[7], &r->err[7]);
}

/* The fetched row into out; a value cut short reads as empty. */
static void
row_take(struct row *r, struct bpg_db_livy_batch *out)
{
	struct bpg_db_livy_batch *b = &r->b;
	char *str[5] = { b->submission_id, b->owner, b->status, b->app_id,
	    b->app_name };
	size_t sz[5] = { sizeof(b->submission_id), sizeof(b->owner),
	    sizeof(b->status), sizeof(b->app_id), sizeof(b->app_name) };
	size_t i;

	for (i = 0; i < 5; i++)
		str[i][r->null[1 + i] || r->len[1 + i] >= sz[i] ? 0 :
		    r->len[1 + i]] = '\0';
	b->id = r->id;
	b->has_row = r->has_row != 0;
	b->deleted = r->deleted != 0;
	*out = *b;
}

struct sel {
	enum stmt_id id;
	MYSQL_BIND *param;
	struct bpg_db_livy_batch *out;
	size_t max, n;
};

static enum bpg_err
op_select(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct sel *q = out;
	MYSQL_BIND res[NCOL];
	struct row r;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	(void)in;
	q->n = 0;
	if ((e = db_prepared(db, q->id, &st, ei)) != BPG_OK)
		return e;
	row_bind(res, &r);
	if ((e = db_stmt_query(db, st, q->param, res, "read Livy batches",
	    ei)) != BPG_OK)
		return e;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		if (q->n < q->max)
			row_take(&r, &q->out[q->n++]);
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "read Livy batches", ei);
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_livy_get(struct bpg_db *db, int64_t id, struct bpg_db_livy_batch *out,
    bool *found, struct bpg_errinfo *ei)
{
	MYSQL_BIND b[1];
	long long v = id;
	struct sel q = { ST_LIVY_GET, b, out, 1, 0 };
	enum bpg_err e;

	*found = false;
	memset(out, 0, sizeof(*out));
	if ((e = check_db(db, ei)) != BPG_OK)
		return e;
	if (id <= 0)
		return BPG_OK;
	db_bind_ll(&b[0], &v);
	if ((e = db_with_retry(db, op_select, NULL, &q, ei)) != BPG_OK)
		return e;
	*found = q.n == 1;
	return BPG_OK;
}

struct count {
	MYSQL_BIND *param;
	long long n;
};

static enum bpg_err
op_count(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct count *c = out;
	MYSQL_BIND res[1];
	unsigned long len;
	my_bool null, err;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	(void)in;
	c->n = 0;
	if ((e = db_prepared(db, ST_LIVY_COUNT, &st, ei)) != BPG_OK)
		return e;
	db_bind_out(&res[0], MYSQL_TYPE_LONGLONG, &c->n, 0, &len, &null, &err);
	if ((e = db_stmt_query(db, st, c->param, res, "count Livy batches",
	    ei)) != BPG_OK)
		return e;
	rc = mysql_stmt_fetch(st);
	if (rc != 0 && rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "count Livy batches", ei);
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_livy_list(struct bpg_db *db, const char *owner, int64_t from,
    size_t max, struct bpg_db_livy_batch *out, size_t *n, int64_t *total,
    struct bpg_errinfo *ei)
{
	MYSQL_BIND b[3];
	unsigned long len;
	my_bool null;
	long long off = from < 0 ? 0 : from, lim = (long long)max;
	struct sel q = { ST_LIVY_LIST, b, out, max, 0 };
	struct count c = { b, 0 };
	enum bpg_err e;

	*n = 0;
	*total = 0;
	if ((e = check_db(db, ei)) != BPG_OK ||
	    (e = check_str(owner, "owner", ei)) != BPG_OK)
		return e;
	db_bind_str(&b[0], owner, &len, &null);
	if ((e = db_with_retry(db, op_count, NULL, &c, ei)) != BPG_OK)
		return e;
	*total = c.n;
	if (max == 0)
		return BPG_OK;
	db_bind_ll(&b[1], &off);
	db_bind_ll(&b[2], &lim);
	if ((e = db_with_retry(db, op_select, NULL, &q, ei)) != BPG_OK)
		return e;
	*n = q.n;
	return BPG_OK;
}
