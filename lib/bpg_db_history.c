/*
 * The history of the list endpoints.
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
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include <jansson.h>

#include "bpg_db_int.h"
#include "bpg_json.h"

/*
 * History (bpg_db_history()): the columns a SubmissionSummary needs and,
 * from the stored request, only the parts it reads (hist_rq[]), so that a
 * long list does not carry every request_body.  A row our S1 wrote has
 * those parts in bpg_request_summary, read as it is.  For any other row
 * the server extracts each part from request_body, parsing it once per
 * part: the IF leaves rows with a summary out of that.  JSON_VALID keeps
 * a row whose request_body is not JSON (MySQL's JSON_EXTRACT fails the
 * statement on one) readable.  Column order is enum hist_col.
 *
 * sql_hist() builds, with one IF per part (tests/bench/scale.sh times
 * these statements with literal values: keep it in step):
 *
 *	SELECT submission_id, `user`, app_name, dag_name, queue, status,
 *	    app_id, spark_version, FLOOR(UNIX_TIMESTAMP(created_time) * 1000),
 *	    FLOOR(UNIX_TIMESTAMP(finished_time) * 1000), error_message,
 *	    bpg_request_summary,
 *	    IF(bpg_request_summary IS NULL AND JSON_VALID(request_body),
 *	    JSON_EXTRACT(request_body, '$.driver.cores'), NULL), ...
 *	FROM application_submission [WHERE `user` = ? | WHERE app_name = ?]
 *	ORDER BY created_time DESC LIMIT ?
 */
#define HIST_SELECT                                                            \
	"SELECT submission_id, `user`, app_name, dag_name, queue, status, "    \
	"app_id, spark_version, FLOOR(UNIX_TIMESTAMP(created_time) * 1000), "  \
	"FLOOR(UNIX_TIMESTAMP(finished_time) * 1000), error_message, "         \
	"bpg_request_summary"
#define HIST_RQ_SQL                                                            \
	", IF(bpg_request_summary IS NULL AND JSON_VALID(request_body), "      \
	"JSON_EXTRACT(request_body, '$.%s'), NULL)"
#define HIST_FROM                                                              \
	" FROM @DB@.application_submission %sORDER BY created_time DESC "      \
	"LIMIT ?"

/*
 * The parts of a request that a history row shows, as paths below "$."
 * of object members whose names need no quoting in a MySQL JSON path.
 * The one list for both the server-side extraction and the summary.
 */
static const char *const hist_rq[] = {
    "driver.cores",
    "driver.memory",
    "driver.labels.dag_name",
    "executor.instances",
    "executor.cores",
    "executor.memory",
    "arguments",
};
#define HIST_NRQ (sizeof(hist_rq) / sizeof(hist_rq[0]))

/* The result columns of the history statements. */
enum hist_col {
	HC_ID,
	HC_USER,
	HC_APP_NAME,
	HC_DAG_NAME,
	HC_QUEUE,
	HC_STATUS,
	HC_APP_ID,
	HC_SPARK_VERSION,
	HC_CREATED,
	HC_FINISHED,
	HC_ERROR,
	HC_SUMMARY,
	HC_RQ /* the first of HIST_NRQ parts, in hist_rq[] order */
};
#define HIST_NCOLS (HC_RQ + HIST_NRQ)

/* Row keys of the plain columns (as bpg_db_get_submission() names them). */
static const char *const hist_key[HC_SUMMARY] = {
    "submission_id",
    "user",
    "app_name",
    "dag_name",
    "queue",
    "status",
    "app_id",
    "spark_version",
    "created_time",
    "finished_time",
    "error_message",
};

/* A history statement with where ("" or "WHERE ... "); NULL if no memory. */
static char *
sql_hist(const char *name, const char *where)
{
	char buf[2048];
	size_t off = sizeof(HIST_SELECT) - 1, i;
	int n;

	memcpy(buf, HIST_SELECT, sizeof(HIST_SELECT));
	for (i = 0; i < HIST_NRQ; i++) {
		n = snprintf(
		    buf + off, sizeof(buf) - off, HIST_RQ_SQL, hist_rq[i]);
		if (n < 0 || (size_t)n >= sizeof(buf) - off)
			return NULL;
		off += (size_t)n;
	}
	n = snprintf(buf + off, sizeof(buf) - off, HIST_FROM, where);
	if (n < 0 || (size_t)n >= sizeof(buf) - off)
		return NULL;
	return db_sql_expand(buf, name);
}

void
db_history_sql(struct bpg_db *db)
{
	db->sql[ST_HIST_USER] = sql_hist(db->name, "WHERE `user` = ? ");
	db->sql[ST_HIST_NAME] = sql_hist(db->name, "WHERE app_name = ? ");
	db->sql[ST_HIST_ALL] = sql_hist(db->name, "");
}

/* The value at path ("a.b.c", as in hist_rq[]) in doc, or NULL. */
static json_t *
rq_get(const json_t *doc, const char *path)
{
	const char *dot;
	json_t *v;

	for (;;) {
		dot = strchr(path, '.');
		v = json_object_getn(doc, path,
		    dot != NULL ? (size_t)(dot - path) : strlen(path));
		if (v == NULL || dot == NULL)
			return v;
		doc = v;
		path = dot + 1;
	}
}

/*
 * Set path in req to v, making the objects on the way; v is stolen, even
 * on failure.  false if memory ran out.  path is one of hist_rq's
 * literals: no UTF-8 check of its parts (_nocheck).
 */
static bool
rq_put(json_t *req, const char *path, json_t *v)
{
	const char *dot;
	json_t *sub;
	size_t n;

	while ((dot = strchr(path, '.')) != NULL) {
		n = (size_t)(dot - path);
		if ((sub = json_object_getn(req, path, n)) == NULL) {
			if ((sub = json_object()) == NULL ||
			    json_object_setn_new_nocheck(req, path, n, sub) !=
			    0) {
				json_decref(v);
				return false;
			}
		}
		req = sub;
		path = dot + 1;
	}
	return json_object_set_new_nocheck(req, path, v) == 0;
}

char *
bpg_db_request_summary(const json_t *request)
{
	json_t *sum, *v;
	char *s = NULL;
	size_t i;

	if ((sum = json_object()) == NULL)
		return NULL;
	for (i = 0; i < HIST_NRQ; i++) {
		/* Shared with request, whose counts are back when sum goes. */
		if ((v = rq_get(request, hist_rq[i])) != NULL &&
		    !rq_put(sum, hist_rq[i], json_incref(v)))
			goto out;
	}
	s = bpg_json_dump(sum, NULL);
out:
	json_decref(sum);
	return s;
}

struct hist_args {
	enum stmt_id id;
	const char *filter; /* NULL for ST_HIST_ALL */
	long long limit;
};

/*
 * Bytes of a column that come with the row: every VARCHAR(255) and a
 * typical summary fit.  A longer value is fetched on its own.
 */
#define HIST_SLOT 1024

/* Where the columns of a fetched row land. */
struct hist_buf {
	char *slots; /* HIST_NCOLS slots of HIST_SLOT bytes */
	char *big; /* a longer value; NULL until one comes */
	size_t cap; /* bytes at big */
};

/*
 * Column c of the fetched row, len bytes: its slot, or, if the value did
 * not fit there, all of it fetched into hb->big (grown as needed, reused
 * for the next long value).  NULL with *e set on error.
 */
static const char *
hist_text(struct bpg_db *db, MYSQL_STMT *st, unsigned int c, unsigned long len,
    struct hist_buf *hb, enum bpg_err *e, struct bpg_errinfo *ei)
{
	MYSQL_BIND b;
	unsigned long got = 0;
	char *p;

	if (len <= HIST_SLOT)
		return hb->slots + (size_t)c * HIST_SLOT;
	if (hb->cap < (size_t)len + 1) {
		if ((p = realloc(hb->big, (size_t)len + 1)) == NULL) {
			*e =
			    bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
			return NULL;
		}
		hb->big = p;
		hb->cap = (size_t)len + 1;
	}
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_STRING;
	b.buffer = hb->big;
	b.buffer_length = len + 1;
	b.length = &got;
	if (mysql_stmt_fetch_column(st, &b, c, 0) != 0) {
		*e = db_stmt_fail(db, st, "read history", ei);
		return NULL;
	}
	return hb->big;
}

/*
 * A row's request from its summary; {} if that is not a JSON object
 * (bpg_db_request_summary() always writes one).  NULL if out of memory.
 */
static json_t *
hist_summary(const char *text, size_t len)
{
	json_t *req = json_loadb(text, len, 0, NULL);

	if (req != NULL && json_is_object(req))
		return req;
	json_decref(req);
	return json_object();
}

/*
 * Put string column c (not NULL, len bytes) of the fetched row into row,
 * or, for a part of the request, into req.
 */
static enum bpg_err
hist_put(struct bpg_db *db, MYSQL_STMT *st, unsigned int c, unsigned long len,
    struct hist_buf *hb, json_t *row, json_t *req, struct bpg_errinfo *ei)
{
	const char *text;
	enum bpg_err e = BPG_OK;
	json_t *v;

	if ((text = hist_text(db, st, c, len, hb, &e, ei)) == NULL)
		return e;
	if (c >= HC_RQ) {
		/* A value that is not JSON (it always is) is left out. */
		v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
		if (v == NULL || rq_put(req, hist_rq[c - HC_RQ], v))
			return BPG_OK;
	} else {
		/* Not UTF-8 (a column BPG wrote in another charset). */
		if ((v = json_stringn(text, len)) == NULL)
			v = json_null();
		if (json_object_set_new(row, hist_key[c], v) == 0)
			return BPG_OK;
	}
	return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
}

/* Where a row of a history statement lands. */
struct hist_row {
	struct bpg_db *db;
	MYSQL_STMT *st;
	struct hist_buf hb;
	unsigned long len[HIST_NCOLS];
	my_bool null[HIST_NCOLS], err[HIST_NCOLS];
	long long created, finished;
};

static json_t *
hist_row_json(void *ctx, enum bpg_err *e, struct bpg_errinfo *ei)
{
	struct hist_row *r = ctx;
	json_t *row, *req, *v;
	const char *text;
	unsigned int c;
	long long t;

	if ((row = json_object()) == NULL)
		goto nomem;
	if (r->null[HC_SUMMARY])
		req = json_object();
	else {
		text = hist_text(r->db, r->st, HC_SUMMARY, r->len[HC_SUMMARY],
		    &r->hb, e, ei);
		if (text == NULL)
			goto fail;
		req = hist_summary(text, r->len[HC_SUMMARY]);
	}
	if (json_object_set_new(row, "request", req) != 0)
		goto nomem;
	for (c = 0; c < HIST_NCOLS; c++) {
		/* The parts are all NULL in a row with a summary. */
		if (c == HC_SUMMARY || (c >= HC_RQ && r->null[c]))
			continue;
		if (c == HC_CREATED || c == HC_FINISHED) {
			t = c == HC_CREATED ? r->created : r->finished;
			v = r->null[c] ? json_null() : json_integer(t);
		} else if (r->null[c])
			v = json_null();
		else {
			*e = hist_put(
			    r->db, r->st, c, r->len[c], &r->hb, row, req, ei);
			if (*e != BPG_OK)
				goto fail;
			continue;
		}
		if (json_object_set_new(row, hist_key[c], v) != 0)
			goto nomem;
	}
	return row;
nomem:
	*e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
fail:
	json_decref(row);
	return NULL;
}

static enum bpg_err
op_history(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct hist_args *a = in;
	MYSQL_BIND param[2], res[HIST_NCOLS];
	unsigned long plen;
	my_bool pnull, lnull = 0;
	long long limit = a->limit;
	struct hist_row r;
	enum bpg_err e;
	unsigned int c;
	int np = 0;

	if ((e = db_prepared(db, a->id, &r.st, ei)) != BPG_OK)
		return e;
	r.db = db;
	r.hb.big = NULL;
	r.hb.cap = 0;
	r.created = 0;
	r.finished = 0;
	if ((r.hb.slots = malloc(HIST_NCOLS * HIST_SLOT)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	if (a->filter != NULL)
		db_bind_str(&param[np++], a->filter, &plen, &pnull);
	memset(&param[np], 0, sizeof(param[np]));
	param[np].buffer_type = MYSQL_TYPE_LONGLONG;
	param[np].buffer = &limit;
	param[np].is_null = &lnull;
	memset(res, 0, sizeof(res));
	for (c = 0; c < HIST_NCOLS; c++) {
		res[c].length = &r.len[c];
		res[c].is_null = &r.null[c];
		res[c].error = &r.err[c];
		res[c].buffer_type = MYSQL_TYPE_STRING;
		res[c].buffer = r.hb.slots + (size_t)c * HIST_SLOT;
		res[c].buffer_length = HIST_SLOT;
	}
	res[HC_CREATED].buffer_type = MYSQL_TYPE_LONGLONG;
	res[HC_CREATED].buffer = &r.created;
	res[HC_FINISHED].buffer_type = MYSQL_TYPE_LONGLONG;
	res[HC_FINISHED].buffer = &r.finished;
	if ((e = db_stmt_query(db, r.st, param, res,
	    "read history", ei)) == BPG_OK)
		e = db_fetch_list(
		    db, r.st, hist_row_json, &r, "read history", out, ei);
	mysql_stmt_free_result(r.st);
	free(r.hb.big);
	free(r.hb.slots);
	return e;
}

enum bpg_err
bpg_db_history(struct bpg_db *db, const char *user, const char *app_name,
    size_t limit, json_t **rows, struct bpg_errinfo *ei)
{
	struct hist_args a;

	if (db == NULL || rows == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or rows");
	*rows = NULL;
	if (user != NULL && app_name != NULL)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: history by user or by name, not both");
	if (limit == 0 || limit > BPG_DB_MAX_HISTORY)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: history limit must be 1 to %d",
		    BPG_DB_MAX_HISTORY);
	if (!db->enabled)
		return db_empty_list(rows, ei);
	a.id = user != NULL ? ST_HIST_USER :
	    app_name != NULL ? ST_HIST_NAME : ST_HIST_ALL;
	a.filter = user != NULL ? user : app_name;
	a.limit = (long long)limit;
	return db_with_retry(db, op_history, &a, rows, ei);
}
