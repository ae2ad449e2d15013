/*
 * The tables bpg_dependency and bpg_waiting (bpg_db_deps.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "bpg_db_deps.h"
#include "bpg_db_int.h"

#define W_COLS "submission_id, owner, policy, state, format"

static const char *const deps_sql[ST__MAX] = {
    [ST_DEP_ROW] =
	"INSERT INTO @DB@.application_submission (submission_id, `user`, "
	"spark_version, request_body, queue, app_name, bpg_request_summary, "
	"status) VALUES (?, ?, ?, ?, ?, ?, ?, 'WAITING')",
    [ST_DEP_LINK] =
	"INSERT INTO @DB@.bpg_dependency (submission_id, depends_on) "
	"VALUES (?, ?)",
    [ST_DEP_WAIT] =
	"INSERT INTO @DB@.bpg_waiting (submission_id, owner, policy, state, "
	"format, request) VALUES (?, ?, ?, 'waiting', ?, ?)",
    [ST_DEP_LIST] =
	"SELECT " W_COLS " FROM @DB@.bpg_waiting WHERE state = ? AND "
	"submission_id > ? ORDER BY submission_id LIMIT ?",
    [ST_DEP_GET] =
	"SELECT " W_COLS ", request FROM @DB@.bpg_waiting "
	"WHERE submission_id = ?",
    [ST_DEP_LINKS] =
	"SELECT depends_on FROM @DB@.bpg_dependency WHERE submission_id = ? "
	"ORDER BY depends_on",
    [ST_DEP_MOVE] =
	"UPDATE @DB@.bpg_waiting SET state = ?, "
	"request = IF(? = 'released', NULL, request), "
	"updated_time = CURRENT_TIMESTAMP "
	"WHERE submission_id = ? AND state = ?",
    [ST_DEP_END] =
	"UPDATE @DB@.bpg_waiting w JOIN @DB@.application_submission a "
	"ON a.submission_id = w.submission_id "
	"SET w.state = ?, w.request = NULL, "
	"w.updated_time = CURRENT_TIMESTAMP, a.status = ?, "
	"a.error_message = ?, "
	"a.finished_time = COALESCE(a.finished_time, CURRENT_TIMESTAMP) "
	"WHERE w.submission_id = ? AND w.state = 'waiting'",
};

void
db_deps_sql(struct bpg_db *db)
{
	db_sql_table(db, deps_sql);
}

const char *
bpg_db_deps_list_sql(const struct bpg_db *db)
{
	return db != NULL ? db->sql[ST_DEP_LIST] : NULL;
}

void
bpg_db_waiting_reset(struct bpg_db_waiting *w)
{
	if (w == NULL)
		return;
	free(w->request);
	w->request = NULL;
}

/* Parameters: strings (NULL: SQL NULL) or one number each. */
#define MAXP 8

struct params {
	const char *s[MAXP];
	long long i[MAXP];
	bool num[MAXP];
	size_t n;
	MYSQL_BIND b[MAXP];
	unsigned long len[MAXP];
	my_bool null[MAXP];
};

static void
ps_str(struct params *ps, const char *s)
{
	ps->s[ps->n] = s;
	ps->num[ps->n++] = false;
}

static void
ps_num(struct params *ps, long long v)
{
	ps->i[ps->n] = v;
	ps->num[ps->n++] = true;
}

static void
ps_bind(struct params *ps)
{
	size_t k;

	memset(ps->b, 0, sizeof(ps->b));
	for (k = 0; k < ps->n; k++) {
		if (!ps->num[k]) {
			db_bind_str(&ps->b[k], ps->s[k], &ps->len[k],
			    &ps->null[k]);
			continue;
		}
		ps->null[k] = 0;
		ps->b[k].buffer_type = MYSQL_TYPE_LONGLONG;
		ps->b[k].buffer = &ps->i[k];
		ps->b[k].is_null = &ps->null[k];
	}
}

/* Execute statement id with ps; *affected rows. */
static enum bpg_err
exec(struct bpg_db *db, enum stmt_id id, struct params *ps,
    unsigned long long *affected, struct bpg_errinfo *ei)
{
	MYSQL_STMT *st;
	enum bpg_err e;

	if ((e = db_prepared(db, id, &st, ei)) != BPG_OK)
		return e;
	ps_bind(ps);
	if (mysql_stmt_bind_param(st, ps->b) != 0 ||
	    mysql_stmt_execute(st) != 0) {
		if (mysql_stmt_errno(st) == ER_DUP_ENTRY) {
			e = db_stmt_fail(db, st, "write dependencies", ei);
			return e == BPG_EDB ? BPG_EEXIST : e;
		}
		return db_stmt_fail(db, st, "write dependencies", ei);
	}
	if (affected != NULL)
		*affected = mysql_stmt_affected_rows(st);
	return BPG_OK;
}

/* ---- record -------------------------------------------------------- */

struct rec {
	const struct bpg_db_submission *row;
	const struct bpg_db_waiting *w;
	const char *const *deps;
	size_t ndeps;
};

static enum bpg_err
op_record(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct rec *r = in;
	const struct bpg_db_submission *row = r->row;
	struct params ps;
	enum bpg_err e;
	size_t k;

	(void)out;
	if (mysql_real_query(db->my, "START TRANSACTION", 17) != 0)
		return bpg_errf(ei, BPG_EDB, "database: %s",
		    mysql_error(db->my));
	memset(&ps, 0, sizeof(ps));
	ps_str(&ps, row->submission_id);
	ps_str(&ps, row->user);
	ps_str(&ps, row->spark_version);
	ps_str(&ps, row->request_body);
	ps_str(&ps, row->queue);
	ps_str(&ps, row->app_name);
	ps_str(&ps, row->request_summary);
	if ((e = exec(db, ST_DEP_ROW, &ps, NULL, ei)) != BPG_OK)
		goto fail;
	for (k = 0; k < r->ndeps; k++) {
		memset(&ps, 0, sizeof(ps));
		ps_str(&ps, row->submission_id);
		ps_str(&ps, r->deps[k]);
		if ((e = exec(db, ST_DEP_LINK, &ps, NULL, ei)) != BPG_OK)
			goto fail;
	}
	memset(&ps, 0, sizeof(ps));
	ps_str(&ps, row->submission_id);
	ps_str(&ps, r->w->owner);
	ps_str(&ps, r->w->policy);
	ps_num(&ps, r->w->format);
	ps_str(&ps, r->w->request);
	if ((e = exec(db, ST_DEP_WAIT, &ps, NULL, ei)) != BPG_OK)
		goto fail;
	if (mysql_commit(db->my) != 0) {
		/*
		 * Sent: it may have committed.  Not run again (its rows
		 * would be taken, a false "exists"): the caller says what is
		 * known (bpg_db_insert_unsettled()).  A new session next.
		 */
		e = bpg_errf(ei, BPG_EDB, "database: commit: %s",
		    mysql_error(db->my));
		db->unsettled = true;
		db_close(db);
		return e;
	}
	return BPG_OK;
fail:
	/* A lost connection rolled it back already. */
	if (!db->lost)
		(void)mysql_rollback(db->my);
	return e;
}

enum bpg_err
bpg_db_deps_record(struct bpg_db *db, const struct bpg_db_submission *row,
    const struct bpg_db_waiting *w, const char *const *deps, size_t ndeps,
    struct bpg_errinfo *ei)
{
	const struct { const char *v, *col; } vc[] = {
		{ row->user, "user" },
		{ row->spark_version, "spark_version" },
		{ row->queue, "queue" },
		{ row->app_name, "app_name" },
		{ w->owner, "owner" },
	};
	struct rec r = { row, w, deps, ndeps };
	enum bpg_err e;
	size_t k;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(row->submission_id, ei)) != BPG_OK)
		return e;
	for (k = 0; k < ndeps; k++)
		if ((e = db_check_id(deps[k], ei)) != BPG_OK)
			return e;
	for (k = 0; k < sizeof(vc) / sizeof(vc[0]); k++)
		if ((e = db_check_varchar(vc[k].v, vc[k].col, ei)) != BPG_OK)
			return e;
	if ((row->request_body != NULL &&
	    strlen(row->request_body) > DB_MAX_TEXT) ||
	    (row->request_summary != NULL &&
	    strlen(row->request_summary) > DB_MAX_TEXT))
		return bpg_errf(ei, BPG_ETOOBIG, "database: the request does "
		    "not fit its column");
	if (w->request == NULL || w->policy[0] == '\0')
		return bpg_errf(ei, BPG_EINVAL, "database: no request");
	if (!db->enabled)
		return BPG_OK;
	/* Its own transaction: not inside a fence's (the gateway's). */
	if (db->fenced)
		return bpg_errf(ei, BPG_EINVAL, "database: recording a "
		    "waiting submission on a fenced handle");
	db->unsettled = false;
	return db_with_retry(db, op_record, &r, NULL, ei);
}

/* ---- reads --------------------------------------------------------- */

#define NW 6

struct wsel {
	enum stmt_id id;
	struct params ps;
	bool with_request;
	struct bpg_db_waiting *out;
	size_t max, n;
};

static enum bpg_err
op_wsel(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct wsel *q = out;
	struct bpg_db_waiting w;
	MYSQL_BIND res[NW], col;
	unsigned long len[NW];
	my_bool null[NW], err[NW];
	long long format = 0;
	char *str[4] = { w.submission_id, w.owner, w.policy, w.state };
	size_t sz[4] = { sizeof(w.submission_id), sizeof(w.owner),
	    sizeof(w.policy), sizeof(w.state) };
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t k;
	char *req;
	int rc;

	(void)in;
	for (k = 0; k < q->n; k++)
		bpg_db_waiting_reset(&q->out[k]);
	q->n = 0;
	if ((e = db_prepared(db, q->id, &st, ei)) != BPG_OK)
		return e;
	memset(res, 0, sizeof(res));
	memset(&w, 0, sizeof(w));
	for (k = 0; k < 4; k++)
		db_bind_out(&res[k], MYSQL_TYPE_STRING, str[k],
		    (unsigned long)sz[k], &len[k], &null[k], &err[k]);
	db_bind_out(&res[4], MYSQL_TYPE_LONGLONG, &format, 0, &len[4],
	    &null[4], &err[4]);
	/* The request: its length first, then the column alone. */
	res[5].buffer_type = MYSQL_TYPE_STRING;
	res[5].length = &len[5];
	res[5].is_null = &null[5];
	res[5].error = &err[5];
	ps_bind(&q->ps);
	if ((e = db_stmt_query(db, st, q->ps.b, res, "read waiting",
	    ei)) != BPG_OK)
		goto out;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		bool ok = q->n < q->max;

		for (k = 0; ok && k < 4; k++) {
			if (null[k] || len[k] >= sz[k])
				ok = false;
			else
				str[k][len[k]] = '\0';
		}
		if (!ok)
			continue;
		w.format = (int)format;
		w.request = NULL;
		if (q->with_request && !null[5]) {
			if ((req = malloc(len[5] + 1)) == NULL) {
				e = bpg_errf(ei, BPG_ENOMEM,
				    "database: out of memory");
				goto out;
			}
			memset(&col, 0, sizeof(col));
			col.buffer_type = MYSQL_TYPE_STRING;
			col.buffer = req;
			col.buffer_length = len[5] + 1;
			if (len[5] > 0 &&
			    mysql_stmt_fetch_column(st, &col, 5, 0) != 0) {
				free(req);
				e = db_stmt_fail(db, st, "read waiting", ei);
				goto out;
			}
			req[len[5]] = '\0';
			w.request = req;
		}
		q->out[q->n++] = w;
	}
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "read waiting", ei);
out:
	if (e != BPG_OK) {
		for (k = 0; k < q->n; k++)
			bpg_db_waiting_reset(&q->out[k]);
		q->n = 0;
	}
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_deps_list(struct bpg_db *db, const char *state, const char *after,
    struct bpg_db_waiting *out, size_t max, size_t *n,
    struct bpg_errinfo *ei)
{
	struct wsel q;
	enum bpg_err e;

	*n = 0;
	if (db == NULL || state == NULL || after == NULL || out == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: bad arguments");
	if (!db->enabled || max == 0)
		return BPG_OK;
	memset(&q, 0, sizeof(q));
	q.id = ST_DEP_LIST;
	ps_str(&q.ps, state);
	ps_str(&q.ps, after);
	ps_num(&q.ps, (long long)max);
	q.out = out;
	q.max = max;
	e = db_read_with_retry(db, op_wsel, NULL, &q, ei);
	*n = q.n;
	return e;
}

enum bpg_err
bpg_db_deps_get(struct bpg_db *db, const char *id, struct bpg_db_waiting *w,
    bool *found, struct bpg_errinfo *ei)
{
	struct wsel q;
	enum bpg_err e;

	*found = false;
	memset(w, 0, sizeof(*w));
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	memset(&q, 0, sizeof(q));
	q.id = ST_DEP_GET;
	ps_str(&q.ps, id);
	q.with_request = true;
	q.out = w;
	q.max = 1;
	e = db_read_with_retry(db, op_wsel, NULL, &q, ei);
	*found = q.n == 1;
	return e;
}

struct lsel {
	const char *id;
	char (*out)[BPG_DB_DEPS_MAX_ID + 1];
	size_t max, n;
};

static enum bpg_err
op_links(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct lsel *q = out;
	char buf[BPG_DB_DEPS_MAX_ID * 4 + 1];
	struct params ps;
	MYSQL_BIND res[1];
	unsigned long len;
	my_bool null, err;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	(void)in;
	q->n = 0;
	if ((e = db_prepared(db, ST_DEP_LINKS, &st, ei)) != BPG_OK)
		return e;
	memset(&ps, 0, sizeof(ps));
	ps_str(&ps, q->id);
	ps_bind(&ps);
	db_bind_out(&res[0], MYSQL_TYPE_STRING, buf, sizeof(buf), &len, &null,
	    &err);
	if ((e = db_stmt_query(db, st, ps.b, res, "read dependencies",
	    ei)) != BPG_OK)
		goto out;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		if (!null && len <= BPG_DB_DEPS_MAX_ID && q->n < q->max) {
			memcpy(q->out[q->n], buf, len);
			q->out[q->n++][len] = '\0';
		}
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "read dependencies", ei);
out:
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_deps_links(struct bpg_db *db, const char *id,
    char (*out)[BPG_DB_DEPS_MAX_ID + 1], size_t max, size_t *n,
    struct bpg_errinfo *ei)
{
	struct lsel q = { id, out, max, 0 };
	enum bpg_err e;

	*n = 0;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	e = db_read_with_retry(db, op_links, NULL, &q, ei);
	*n = q.n;
	return e;
}

/* ---- writes -------------------------------------------------------- */

struct wr {
	enum stmt_id id;
	struct params ps;
	bool changed;
};

static enum bpg_err
op_write(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct wr *w = out;
	unsigned long long n = 0;
	enum bpg_err e;

	(void)in;
	w->changed = false;
	if ((e = exec(db, w->id, &w->ps, &n, ei)) != BPG_OK)
		return e;
	w->changed = n > 0;
	return BPG_OK;
}

/* ST_DEP_END, with the events of the row's change (db_notify_begin()). */
static enum bpg_err
op_end(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const char *id = in;
	struct wr *w = out;
	struct db_notify_prev np;
	unsigned long long n = 0;
	enum bpg_err e;

	w->changed = false;
	if ((e = db_notify_begin(db, id, &np, ei)) != BPG_OK)
		return e;
	if ((e = exec(db, w->id, &w->ps, &n, ei)) != BPG_OK) {
		db_notify_abort(db, &np);
		return e;
	}
	if ((e = db_notify_commit(db, id, &np, ei)) != BPG_OK)
		return e;
	w->changed = n > 0;
	return BPG_OK;
}

static bool
known_state(const char *s)
{
	static const char *const states[] = { BPG_DB_DEPS_WAITING,
	    BPG_DB_DEPS_RELEASING, BPG_DB_DEPS_RELEASED, BPG_DB_DEPS_FAILED,
	    BPG_DB_DEPS_CANCELLED };
	size_t k;

	for (k = 0; s != NULL && k < sizeof(states) / sizeof(states[0]); k++)
		if (strcmp(s, states[k]) == 0)
			return true;
	return false;
}

enum bpg_err
bpg_db_deps_move(struct bpg_db *db, const char *id, const char *from,
    const char *to, bool *changed, struct bpg_errinfo *ei)
{
	struct wr w;
	enum bpg_err e;

	if (changed != NULL)
		*changed = false;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(id, ei)) != BPG_OK)
		return e;
	if (!known_state(from) || !known_state(to))
		return bpg_errf(ei, BPG_EINVAL, "database: bad state");
	if (!db->enabled)
		return BPG_OK;
	memset(&w, 0, sizeof(w));
	w.id = ST_DEP_MOVE;
	ps_str(&w.ps, to);
	ps_str(&w.ps, to);
	ps_str(&w.ps, id);
	ps_str(&w.ps, from);
	e = db_with_retry(db, op_write, NULL, &w, ei);
	if (changed != NULL)
		*changed = w.changed;
	return e;
}

enum bpg_err
bpg_db_deps_end(struct bpg_db *db, const char *id, const char *to,
    const char *status, const char *message, bool *changed,
    struct bpg_errinfo *ei)
{
	char msg[BPG_DB_MAX_ERROR_MESSAGE + 1];
	struct wr w;
	enum bpg_err e;
	size_t n;

	if (changed != NULL)
		*changed = false;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(id, ei)) != BPG_OK)
		return e;
	if ((strcmp(to, BPG_DB_DEPS_FAILED) != 0 &&
	    strcmp(to, BPG_DB_DEPS_CANCELLED) != 0) || status == NULL ||
	    (e = db_check_varchar(status, "status", ei)) != BPG_OK)
		return bpg_errf(ei, BPG_EINVAL, "database: bad end state");
	if (!db->enabled)
		return BPG_OK;
	if (message != NULL) {
		/* Cut at a character boundary. */
		n = strlen(message);
		if (n > BPG_DB_MAX_ERROR_MESSAGE)
			n = BPG_DB_MAX_ERROR_MESSAGE;
		while (n > 0 && n < strlen(message) &&
		    ((unsigned char)message[n] & 0xc0) == 0x80)
			n--;
		memcpy(msg, message, n);
		msg[n] = '\0';
	}
	memset(&w, 0, sizeof(w));
	w.id = ST_DEP_END;
	ps_str(&w.ps, to);
	ps_str(&w.ps, status);
	ps_str(&w.ps, message != NULL ? msg : NULL);
	ps_str(&w.ps, id);
	e = db_with_retry(db, op_end, id, &w, ei);
	if (changed != NULL)
		*changed = w.changed;
	return e;
}
