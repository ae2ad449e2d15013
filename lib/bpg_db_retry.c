/*
 * The table bpg_retry_job (bpg_db_retry.h): jobs with a retry policy.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "bpg_db_int.h"
#include "bpg_db_retry.h"

#define JOB_COLS                                                              \
	"owner, max_attempts, backoff_s, backoff_multiplier, on_states, "     \
	"any_cluster, last_attempt, last_id, retry_at, active, cancelled, "   \
	"request"
#define NJOB 12

static const char *const retry_sql[ST__MAX] = {
    [ST_RTY_INSERT] =
	"INSERT INTO @DB@.bpg_retry_job (job_id, owner, request, "
	"max_attempts, backoff_s, backoff_multiplier, on_states, any_cluster, "
	"last_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_RTY_FORGET] =
	"DELETE FROM @DB@.bpg_retry_job WHERE job_id = ? AND last_attempt = 1",
    [ST_RTY_GET] =
	"SELECT " JOB_COLS " FROM @DB@.bpg_retry_job WHERE job_id = ?",
    [ST_RTY_LOCK] =
	"SELECT " JOB_COLS " FROM @DB@.bpg_retry_job WHERE job_id = ? "
	"FOR UPDATE",
    [ST_RTY_ENDED] =
	"SELECT j.job_id, j.last_attempt, s.status "
	"FROM @DB@.bpg_retry_job j JOIN @DB@.application_submission s "
	"ON s.submission_id = j.last_id "
	"WHERE j.active = 1 AND j.retry_at IS NULL "
	"AND s.finished_time IS NOT NULL LIMIT 64",
    [ST_RTY_PLAN] =
	"UPDATE @DB@.bpg_retry_job SET retry_at = ?, active = ?, "
	"updated_time = CURRENT_TIMESTAMP "
	"WHERE job_id = ? AND last_attempt = ? AND active = 1 "
	"AND retry_at IS NULL",
    [ST_RTY_DUE] =
	"SELECT job_id FROM @DB@.bpg_retry_job "
	"WHERE active = 1 AND retry_at <= ? ORDER BY retry_at LIMIT 64",
    [ST_RTY_ATT_INSERT] =
	"INSERT INTO @DB@.submission_attempt (job_id, attempt, submission_id, "
	"previous_submission_id, cluster, cause, state) "
	"VALUES (?, ?, ?, ?, ?, 'retry', 'pending')",
    [ST_RTY_ADVANCE] =
	"UPDATE @DB@.bpg_retry_job SET last_attempt = ?, last_id = ?, "
	"retry_at = NULL, updated_time = CURRENT_TIMESTAMP WHERE job_id = ?",
    [ST_RTY_CLOSE] =
	"UPDATE @DB@.bpg_retry_job SET active = 0, retry_at = NULL, "
	"updated_time = CURRENT_TIMESTAMP "
	"WHERE job_id = ? AND last_attempt = ?",
    [ST_RTY_CANCEL] =
	"UPDATE @DB@.bpg_retry_job SET cancelled = 1, active = 0, "
	"retry_at = NULL, updated_time = CURRENT_TIMESTAMP WHERE job_id = ?",
};

/* MEDIUMTEXT holds 16 MiB. */
#define DB_MAX_MEDIUMTEXT 16777215

void
db_retry_sql(struct bpg_db *db)
{
	db_sql_table(db, retry_sql);
}

void
bpg_db_retry_job_reset(struct bpg_db_retry_job *j)
{
	if (j == NULL)
		return;
	free(j->request);
	j->request = NULL;
}

/*
 * Parameters: strings (NULL binds NULL), 64-bit integers, doubles.
 */
enum pkind { P_STR, P_INT, P_DBL };

struct param {
	enum pkind k;
	const char *s;
	long long i;
	double d;
};

#define PS(v) { P_STR, (v), 0, 0 }
#define PI(v) { P_INT, NULL, (long long)(v), 0 }
#define PD(v) { P_DBL, NULL, 0, (v) }
#define MAXP 9

struct params {
	struct param p[MAXP];
	size_t n;
	MYSQL_BIND b[MAXP];
	unsigned long len[MAXP];
	my_bool null[MAXP];
};

static void
bind_params(struct params *ps)
{
	size_t i;

	memset(ps->b, 0, sizeof(ps->b));
	for (i = 0; i < ps->n; i++) {
		switch (ps->p[i].k) {
		case P_STR:
			db_bind_str(&ps->b[i], ps->p[i].s, &ps->len[i],
			    &ps->null[i]);
			break;
		case P_INT:
			ps->b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			ps->b[i].buffer = &ps->p[i].i;
			break;
		case P_DBL:
			ps->b[i].buffer_type = MYSQL_TYPE_DOUBLE;
			ps->b[i].buffer = &ps->p[i].d;
			break;
		}
	}
}

/* Run statement id with ps; *affected the rows changed, *dup a duplicate
 * key (NULL: an error). */
static enum bpg_err
exec_stmt(struct bpg_db *db, enum stmt_id id, struct params *ps,
    unsigned long long *affected, bool *dup, struct bpg_errinfo *ei)
{
	MYSQL_STMT *st;
	enum bpg_err e;

	if (dup != NULL)
		*dup = false;
	if ((e = db_prepared(db, id, &st, ei)) != BPG_OK)
		return e;
	bind_params(ps);
	if (mysql_stmt_bind_param(st, ps->b) != 0)
		return db_stmt_fail(db, st, "retry jobs", ei);
	if (mysql_stmt_execute(st) != 0) {
		if (dup != NULL && mysql_stmt_errno(st) == ER_DUP_ENTRY) {
			*dup = true;
			return BPG_OK;
		}
		return db_stmt_fail(db, st, "retry jobs", ei);
	}
	if (affected != NULL)
		*affected = mysql_stmt_affected_rows(st);
	return BPG_OK;
}

struct write {
	enum stmt_id id;
	struct params ps;
	unsigned long long affected;
	bool dup;
	bool want_dup;
};

static enum bpg_err
op_write(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	struct write *w = out;

	(void)in;
	return exec_stmt(db, w->id, &w->ps, &w->affected,
	    w->want_dup ? &w->dup : NULL, ei);
}

static enum bpg_err
run_write(struct bpg_db *db, struct write *w, struct bpg_errinfo *ei)
{
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_write, NULL, w, ei);
}

/*
 * Reading a job
 */

struct job_row {
	struct bpg_db_retry_job j;
	long long max_attempts, backoff_s, on_states, any_cluster, last_attempt;
	long long retry_at, active, cancelled;
	double mult;
	unsigned long len[NJOB];
	my_bool null[NJOB], err[NJOB];
};

static void
job_bind(MYSQL_BIND res[NJOB], struct job_row *r)
{
	memset(res, 0, NJOB * sizeof(*res));
	memset(r, 0, sizeof(*r));
	db_bind_out(&res[0], MYSQL_TYPE_STRING, r->j.owner, sizeof(r->j.owner),
	    &r->len[0], &r->null[0], &r->err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_LONGLONG, &r->max_attempts, 0,
	    &r->len[1], &r->null[1], &r->err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_LONGLONG, &r->backoff_s, 0,
	    &r->len[2], &r->null[2], &r->err[2]);
	db_bind_out(&res[3], MYSQL_TYPE_DOUBLE, &r->mult, 0, &r->len[3],
	    &r->null[3], &r->err[3]);
	db_bind_out(&res[4], MYSQL_TYPE_LONGLONG, &r->on_states, 0,
	    &r->len[4], &r->null[4], &r->err[4]);
	db_bind_out(&res[5], MYSQL_TYPE_LONGLONG, &r->any_cluster, 0,
	    &r->len[5], &r->null[5], &r->err[5]);
	db_bind_out(&res[6], MYSQL_TYPE_LONGLONG, &r->last_attempt, 0,
	    &r->len[6], &r->null[6], &r->err[6]);
	db_bind_out(&res[7], MYSQL_TYPE_STRING, r->j.last_id,
	    sizeof(r->j.last_id), &r->len[7], &r->null[7], &r->err[7]);
	db_bind_out(&res[8], MYSQL_TYPE_LONGLONG, &r->retry_at, 0,
	    &r->len[8], &r->null[8], &r->err[8]);
	db_bind_out(&res[9], MYSQL_TYPE_LONGLONG, &r->active, 0, &r->len[9],
	    &r->null[9], &r->err[9]);
	db_bind_out(&res[10], MYSQL_TYPE_LONGLONG, &r->cancelled, 0,
	    &r->len[10], &r->null[10], &r->err[10]);
	/* The request: its length only, then fetched alone. */
	db_bind_out(&res[11], MYSQL_TYPE_STRING, NULL, 0, &r->len[11],
	    &r->null[11], &r->err[11]);
}

static bool
job_take(struct job_row *r, struct bpg_db_retry_job *out)
{
	if (r->null[0] || r->len[0] >= sizeof(r->j.owner) || r->null[7] ||
	    r->len[7] >= sizeof(r->j.last_id))
		return false;
	r->j.owner[r->len[0]] = '\0';
	r->j.last_id[r->len[7]] = '\0';
	r->j.policy.max_attempts = (int)r->max_attempts;
	r->j.policy.backoff_s = r->backoff_s;
	r->j.policy.multiplier = r->mult;
	r->j.policy.on_states = (unsigned)r->on_states;
	r->j.policy.any_cluster = r->any_cluster != 0;
	r->j.last_attempt = (int)r->last_attempt;
	r->j.retry_at = r->null[8] ? -1 : r->retry_at;
	r->j.active = r->active != 0;
	r->j.cancelled = r->cancelled != 0;
	r->j.request = NULL;
	*out = r->j;
	return true;
}

struct get {
	enum stmt_id id; /* ST_RTY_GET or ST_RTY_LOCK */
	const char *job_id;
	bool with_request;
	struct bpg_db_retry_job *j;
	bool found;
};

/* One job row on db's connection (also inside a transaction). */
static enum bpg_err
read_job(struct bpg_db *db, struct get *g, struct bpg_errinfo *ei)
{
	struct job_row r;
	MYSQL_BIND res[NJOB], param, col;
	unsigned long plen;
	my_bool pnull;
	MYSQL_STMT *st;
	enum bpg_err e;
	char *req;
	int rc;

	g->found = false;
	if ((e = db_prepared(db, g->id, &st, ei)) != BPG_OK)
		return e;
	job_bind(res, &r);
	db_bind_str(&param, g->job_id, &plen, &pnull);
	if ((e = db_stmt_query(db, st, &param, res, "read retry job", ei)) !=
	    BPG_OK)
		goto out;
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA)
		goto out;
	if ((rc != 0 && rc != MYSQL_DATA_TRUNCATED) || !job_take(&r, g->j)) {
		e = rc == 0 || rc == MYSQL_DATA_TRUNCATED ?
		    bpg_errf(ei, BPG_EDB, "database: retry job %s unreadable",
		    g->job_id) : db_stmt_fail(db, st, "read retry job", ei);
		goto out;
	}
	snprintf(g->j->job_id, sizeof(g->j->job_id), "%s", g->job_id);
	g->found = true;
	if (!g->with_request || r.null[11])
		goto out;
	if ((req = malloc(r.len[11] + 1)) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
		goto out;
	}
	memset(&col, 0, sizeof(col));
	col.buffer_type = MYSQL_TYPE_STRING;
	col.buffer = req;
	col.buffer_length = r.len[11] + 1;
	if (r.len[11] > 0 && mysql_stmt_fetch_column(st, &col, 11, 0) != 0) {
		free(req);
		e = db_stmt_fail(db, st, "read retry job", ei);
		goto out;
	}
	req[r.len[11]] = '\0';
	g->j->request = req;
out:
	mysql_stmt_free_result(st);
	return e;
}

static enum bpg_err
op_get(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	(void)in;
	return read_job(db, out, ei);
}

enum bpg_err
bpg_db_retry_get(struct bpg_db *db, const char *job_id, bool with_request,
    struct bpg_db_retry_job *j, bool *found, struct bpg_errinfo *ei)
{
	struct get g = {ST_RTY_GET, job_id, with_request, j, false};
	enum bpg_err e;

	*found = false;
	memset(j, 0, sizeof(*j));
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(job_id, ei)) != BPG_OK || !db->enabled)
		return e;
	if ((e = db_with_retry(db, op_get, NULL, &g, ei)) == BPG_OK)
		*found = g.found;
	else
		bpg_db_retry_job_reset(j);
	return e;
}

enum bpg_err
bpg_db_retry_job_of(struct bpg_db *db, const char *id, char *job_id,
    int *attempt, bool *has_job, bool *found, struct bpg_errinfo *ei)
{
	struct bpg_db_retry_job j;
	struct bpg_db_attempt a;
	bool got = false;
	enum bpg_err e;

	*found = *has_job = false;
	*attempt = 0;
	job_id[0] = '\0';
	if ((e = bpg_db_retry_get(db, id, false, &j, &got, ei)) != BPG_OK)
		return e;
	if (got) {
		snprintf(job_id, BPG_DB_RETRY_MAX_ID + 1, "%s", id);
		*attempt = 1;
		*found = *has_job = true;
		return BPG_OK;
	}
	if ((e = bpg_db_attempt_by_id(db, id, &a, &got, ei)) != BPG_OK ||
	    !got)
		return e;
	snprintf(job_id, BPG_DB_RETRY_MAX_ID + 1, "%s", a.job_id);
	*attempt = a.attempt;
	*found = true;
	if ((e = bpg_db_retry_get(db, a.job_id, false, &j, &got, ei)) !=
	    BPG_OK)
		return e;
	*has_job = got;
	return BPG_OK;
}

/*
 * Writes
 */

enum bpg_err
bpg_db_retry_insert(struct bpg_db *db, const char *job_id, const char *owner,
    const char *request, const struct bpg_retry_policy *p,
    struct bpg_errinfo *ei)
{
	struct write w = {ST_RTY_INSERT, {{PS(job_id), PS(owner), PS(request),
	    PI(p->max_attempts), PI(p->backoff_s), PD(p->multiplier),
	    PI(p->on_states), PI(p->any_cluster), PS(job_id)}, 9, {{0}}, {0},
	    {0}}, 0, false, true};
	struct bpg_db_retry_job j;
	bool found = false;
	enum bpg_err e;

	if ((e = db_check_id(job_id, ei)) != BPG_OK ||
	    (e = db_check_varchar(owner, "owner", ei)) != BPG_OK)
		return e;
	if (owner == NULL || request == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no owner or request");
	if (strlen(request) > DB_MAX_MEDIUMTEXT)
		return bpg_errf(ei, BPG_ETOOBIG, "database: request too long");
	if ((e = run_write(db, &w, ei)) != BPG_OK || !w.dup)
		return e;
	/* IDs are random: a duplicate is this insert, sent again. */
	if ((e = bpg_db_retry_get(db, job_id, false, &j, &found, ei)) !=
	    BPG_OK)
		return e;
	if (found && strcmp(j.owner, owner) == 0)
		return BPG_OK;
	return bpg_errf(ei, BPG_EEXIST, "database: job %s exists already",
	    job_id);
}

enum bpg_err
bpg_db_retry_forget(struct bpg_db *db, const char *job_id,
    struct bpg_errinfo *ei)
{
	struct write w = {ST_RTY_FORGET, {{PS(job_id)}, 1, {{0}}, {0}, {0}},
	    0, false, false};
	enum bpg_err e;

	if ((e = db_check_id(job_id, ei)) != BPG_OK)
		return e;
	return run_write(db, &w, ei);
}

enum bpg_err
bpg_db_retry_plan(struct bpg_db *db, const char *job_id, int last_attempt,
    int64_t retry_at, bool *changed, struct bpg_errinfo *ei)
{
	struct write w = {ST_RTY_PLAN, {{retry_at >= 0 ? (struct param)PI(
	    retry_at) : (struct param)PS(NULL), PI(retry_at >= 0 ? 1 : 0),
	    PS(job_id), PI(last_attempt)}, 4, {{0}}, {0}, {0}}, 0, false,
	    false};
	enum bpg_err e;

	if (changed != NULL)
		*changed = false;
	if ((e = db_check_id(job_id, ei)) != BPG_OK ||
	    (e = run_write(db, &w, ei)) != BPG_OK)
		return e;
	if (changed != NULL)
		*changed = w.affected > 0;
	return BPG_OK;
}

enum bpg_err
bpg_db_retry_close(struct bpg_db *db, const char *job_id, int last_attempt,
    struct bpg_errinfo *ei)
{
	struct write w = {ST_RTY_CLOSE, {{PS(job_id), PI(last_attempt)}, 2,
	    {{0}}, {0}, {0}}, 0, false, false};
	enum bpg_err e;

	if ((e = db_check_id(job_id, ei)) != BPG_OK)
		return e;
	return run_write(db, &w, ei);
}

enum bpg_err
bpg_db_retry_cancel(struct bpg_db *db, const char *job_id, bool *found,
    struct bpg_errinfo *ei)
{
	struct write w = {ST_RTY_CANCEL, {{PS(job_id)}, 1, {{0}}, {0}, {0}},
	    0, false, false};
	struct bpg_db_retry_job j;
	bool got = false;
	enum bpg_err e;

	if (found != NULL)
		*found = false;
	if ((e = db_check_id(job_id, ei)) != BPG_OK ||
	    (e = run_write(db, &w, ei)) != BPG_OK)
		return e;
	if (found == NULL)
		return BPG_OK;
	/* A second cancel changes nothing: ask whether it exists. */
	if ((e = bpg_db_retry_get(db, job_id, false, &j, &got, ei)) == BPG_OK)
		*found = got;
	return e;
}

/*
 * The monitor's queries
 */

struct ended_sel {
	struct bpg_db_retry_ended *out;
	size_t max, n;
};

static enum bpg_err
op_ended(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct ended_sel *s = out;
	struct bpg_db_retry_ended r;
	MYSQL_BIND res[3];
	unsigned long len[3];
	my_bool null[3], err[3];
	long long attempt = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	(void)in;
	s->n = 0;
	if ((e = db_prepared(db, ST_RTY_ENDED, &st, ei)) != BPG_OK)
		return e;
	memset(&r, 0, sizeof(r));
	db_bind_out(&res[0], MYSQL_TYPE_STRING, r.job_id, sizeof(r.job_id),
	    &len[0], &null[0], &err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_LONGLONG, &attempt, 0, &len[1],
	    &null[1], &err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_STRING, r.status, sizeof(r.status),
	    &len[2], &null[2], &err[2]);
	if ((e = db_stmt_query(db, st, NULL, res, "read ended jobs", ei)) !=
	    BPG_OK)
		goto out;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if (s->n >= s->max || null[0] || len[0] >= sizeof(r.job_id))
			continue;
		r.job_id[len[0]] = '\0';
		if (null[2] || len[2] >= sizeof(r.status))
			r.status[0] = '\0';
		else
			r.status[len[2]] = '\0';
		r.last_attempt = (int)attempt;
		s->out[s->n++] = r;
	}
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "read ended jobs", ei);
out:
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_retry_ended(struct bpg_db *db, struct bpg_db_retry_ended *out,
    size_t max, size_t *n, struct bpg_errinfo *ei)
{
	struct ended_sel s = {out, max, 0};
	enum bpg_err e;

	*n = 0;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if (!db->enabled)
		return BPG_OK;
	if ((e = db_with_retry(db, op_ended, NULL, &s, ei)) == BPG_OK)
		*n = s.n;
	return e;
}

struct due_sel {
	long long now;
	char (*out)[BPG_DB_RETRY_MAX_ID + 1];
	size_t max, n;
};

static enum bpg_err
op_due(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	struct due_sel *s = out;
	char id[BPG_DB_RETRY_MAX_ID + 1];
	MYSQL_BIND param, res;
	unsigned long len;
	my_bool null, err;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	(void)in;
	s->n = 0;
	if ((e = db_prepared(db, ST_RTY_DUE, &st, ei)) != BPG_OK)
		return e;
	memset(&param, 0, sizeof(param));
	param.buffer_type = MYSQL_TYPE_LONGLONG;
	param.buffer = &s->now;
	db_bind_out(&res, MYSQL_TYPE_STRING, id, sizeof(id), &len, &null,
	    &err);
	if ((e = db_stmt_query(db, st, &param, &res, "read due jobs", ei)) !=
	    BPG_OK)
		goto out;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if (s->n >= s->max || null || len >= sizeof(id))
			continue;
		id[len] = '\0';
		memcpy(s->out[s->n++], id, len + 1);
	}
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "read due jobs", ei);
out:
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_retry_due(struct bpg_db *db, int64_t now,
    char (*out)[BPG_DB_RETRY_MAX_ID + 1], size_t max, size_t *n,
    struct bpg_errinfo *ei)
{
	struct due_sel s = {now, out, max, 0};
	enum bpg_err e;

	*n = 0;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if (!db->enabled)
		return BPG_OK;
	if ((e = db_with_retry(db, op_due, NULL, &s, ei)) == BPG_OK)
		*n = s.n;
	return e;
}

/*
 * The transaction of a new attempt
 */

/* A failed transaction call: the connection is treated as lost, so the
 * op runs again on a new one (the server rolls back what was open). */
static enum bpg_err
tx_fail(struct bpg_db *db, const char *what, struct bpg_errinfo *ei)
{
	db->lost = true;
	db->last_errno = mysql_errno(db->my);
	bpg_errf(ei, BPG_EDB, "database: %s: %s (error %u)", what,
	    mysql_error(db->my), db->last_errno);
	db_scrub(ei);
	return BPG_EDB;
}

static enum bpg_err
op_begin(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct bpg_db_attempt *a = in;
	struct bpg_db_retry_job j;
	struct get g = {ST_RTY_LOCK, a->job_id, false, &j, false};
	struct params ins = {{PS(a->job_id), PI(a->attempt),
	    PS(a->submission_id), PS(a->previous_submission_id),
	    PS(a->cluster)}, 5, {{0}}, {0}, {0}};
	struct params adv = {{PI(a->attempt), PS(a->submission_id),
	    PS(a->job_id)}, 3, {{0}}, {0}, {0}};
	enum bpg_err e, *res = out;
	bool dup = false;

	*res = BPG_OK;
	if (mysql_autocommit(db->my, 0) != 0)
		return tx_fail(db, "begin", ei);
	if ((e = read_job(db, &g, ei)) != BPG_OK)
		goto rollback;
	if (!g.found) {
		*res = BPG_ENOTFOUND;
		goto rollback;
	}
	if (j.last_attempt == a->attempt &&
	    strcmp(j.last_id, a->submission_id) == 0)
		goto commit; /* ours, its answer lost */
	if (!j.active || j.cancelled) {
		*res = BPG_ECONFLICT;
		goto rollback;
	}
	if (j.last_attempt != a->attempt - 1 ||
	    strcmp(j.last_id, a->previous_submission_id) != 0) {
		*res = BPG_EEXIST;
		goto rollback;
	}
	if ((e = exec_stmt(db, ST_RTY_ATT_INSERT, &ins, NULL, &dup, ei)) !=
	    BPG_OK)
		goto rollback;
	if (dup) {
		*res = BPG_EEXIST;
		goto rollback;
	}
	if ((e = exec_stmt(db, ST_RTY_ADVANCE, &adv, NULL, NULL, ei)) !=
	    BPG_OK)
		goto rollback;
commit:
	if (mysql_commit(db->my) != 0)
		return tx_fail(db, "commit", ei);
	if (mysql_autocommit(db->my, 1) != 0)
		return tx_fail(db, "autocommit", ei);
	return BPG_OK;
rollback:
	if (mysql_rollback(db->my) != 0 || mysql_autocommit(db->my, 1) != 0) {
		if (e == BPG_OK)
			return tx_fail(db, "rollback", ei);
		db->lost = true;
	}
	return e;
}

enum bpg_err
bpg_db_retry_begin(struct bpg_db *db, const struct bpg_db_attempt *a,
    struct bpg_errinfo *ei)
{
	enum bpg_err e, res = BPG_OK;

	if (db == NULL || a == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or row");
	if ((e = db_check_id(a->job_id, ei)) != BPG_OK ||
	    (e = db_check_id(a->submission_id, ei)) != BPG_OK ||
	    (e = db_check_id(a->previous_submission_id, ei)) != BPG_OK)
		return e;
	if (a->attempt < 2 || a->attempt > BPG_DB_MAX_ATTEMPTS)
		return bpg_errf(ei, BPG_EINVAL, "database: attempt %d out of "
		    "range", a->attempt);
	if (!db->enabled)
		return BPG_OK;
	if ((e = db_with_retry(db, op_begin, a, &res, ei)) != BPG_OK)
		return e;
	switch (res) {
	case BPG_OK:
		return BPG_OK;
	case BPG_ENOTFOUND:
		return bpg_errf(ei, res, "database: no job %s", a->job_id);
	case BPG_ECONFLICT:
		return bpg_errf(ei, res, "job %s is cancelled or ended",
		    a->job_id);
	default:
		return bpg_errf(ei, res, "database: attempt %d of %s made "
		    "already", a->attempt, a->job_id);
	}
}
