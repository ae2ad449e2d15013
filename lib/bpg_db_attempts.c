/*
 * The table submission_attempt (bpg_db_attempts.h): the link between the
 * attempts of a job.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "bpg_db_attempts.h"
#include "bpg_db_int.h"

#define ATT_COLS                                                              \
	"job_id, attempt, submission_id, previous_submission_id, "            \
	"previous_uid, cluster, cause, state"

static const char *const attempts_sql[ST__MAX] = {
    [ST_ATT_INSERT] =
	"INSERT INTO @DB@.submission_attempt (" ATT_COLS ", cr) "
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_ATT_CR] =
	"SELECT cr FROM @DB@.submission_attempt WHERE submission_id = ?",
    [ST_ATT_BY_ID] =
	"SELECT " ATT_COLS " FROM @DB@.submission_attempt "
	"WHERE submission_id = ?",
    [ST_ATT_NEXT] =
	"SELECT " ATT_COLS " FROM @DB@.submission_attempt "
	"WHERE previous_submission_id = ?",
    [ST_ATT_JOB] =
	"SELECT " ATT_COLS " FROM @DB@.submission_attempt "
	"WHERE job_id = ? ORDER BY attempt LIMIT 64",
    [ST_ATT_OPEN] =
	"SELECT " ATT_COLS " FROM @DB@.submission_attempt "
	"WHERE state IN ('pending', 'deleting', 'deleted') "
	"ORDER BY created_time LIMIT 1000",
    [ST_ATT_STATE] =
	"UPDATE @DB@.submission_attempt "
	"SET cr = IF(? IN ('done', 'abandoned', 'failed'), NULL, cr), "
	"state = ?, message = COALESCE(?, message), "
	"updated_time = CURRENT_TIMESTAMP "
	"WHERE submission_id = ? AND state = ?",
    [ST_ATT_REPLACED] =
	"UPDATE @DB@.application_submission "
	"SET status = 'SUBMISSION_FAILED', error_message = ?, "
	"finished_time = COALESCE(finished_time, CURRENT_TIMESTAMP) "
	"WHERE submission_id = ?",
};

/* MEDIUMTEXT holds 16 MiB; no CR comes near (BPG_MAX_KUBE_BODY). */
#define DB_MAX_MEDIUMTEXT 16777215

void
db_attempts_sql(struct bpg_db *db)
{
	db_sql_table(db, attempts_sql);
}

/* Where a row lands. */
struct att_row {
	struct bpg_db_attempt a;
	long long attempt;
	unsigned long len[8];
	my_bool null[8], err[8];
};

static void
bind_row(MYSQL_BIND res[8], struct att_row *r)
{
	struct bpg_db_attempt *a = &r->a;

	memset(res, 0, 8 * sizeof(*res));
	memset(r, 0, sizeof(*r));
	db_bind_out(&res[0], MYSQL_TYPE_STRING, a->job_id,
	    sizeof(a->job_id), &r->len[0], &r->null[0], &r->err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_LONGLONG, &r->attempt, 0, &r->len[1],
	    &r->null[1], &r->err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_STRING, a->submission_id,
	    sizeof(a->submission_id), &r->len[2], &r->null[2], &r->err[2]);
	db_bind_out(&res[3], MYSQL_TYPE_STRING, a->previous_submission_id,
	    sizeof(a->previous_submission_id), &r->len[3], &r->null[3],
	    &r->err[3]);
	db_bind_out(&res[4], MYSQL_TYPE_STRING, a->previous_uid,
	    sizeof(a->previous_uid), &r->len[4], &r->null[4], &r->err[4]);
	db_bind_out(&res[5], MYSQL_TYPE_STRING, a->cluster,
	    sizeof(a->cluster), &r->len[5], &r->null[5], &r->err[5]);
	db_bind_out(&res[6], MYSQL_TYPE_STRING, a->cause, sizeof(a->cause),
	    &r->len[6], &r->null[6], &r->err[6]);
	db_bind_out(&res[7], MYSQL_TYPE_STRING, a->state, sizeof(a->state),
	    &r->len[7], &r->null[7], &r->err[7]);
}

/*
 * The fetched row into out: every string NUL-terminated; a value cut
 * short (longer than the columns allow) leaves the row out.
 */
static bool
take_row(struct att_row *r, struct bpg_db_attempt *out)
{
	char *s[8] = {r->a.job_id, NULL, r->a.submission_id,
	    r->a.previous_submission_id, r->a.previous_uid, r->a.cluster,
	    r->a.cause, r->a.state};
	size_t sz[8] = {sizeof(r->a.job_id), 0, sizeof(r->a.submission_id),
	    sizeof(r->a.previous_submission_id), sizeof(r->a.previous_uid),
	    sizeof(r->a.cluster), sizeof(r->a.cause), sizeof(r->a.state)};
	size_t i;

	for (i = 0; i < 8; i++) {
		if (s[i] == NULL)
			continue;
		if (r->null[i]) {
			s[i][0] = '\0';
			continue;
		}
		if (r->len[i] >= sz[i])
			return false;
		s[i][r->len[i]] = '\0';
	}
	if (r->null[1] || r->attempt < 0 || r->attempt > INT32_MAX)
		return false;
	r->a.attempt = (int)r->attempt;
	*out = r->a;
	return true;
}

/* A select: its statement, its one parameter (NULL: none), the rows. */
struct sel {
	enum stmt_id id;
	const char *param;
	struct bpg_db_attempt *out;
	size_t max, n;
};

static enum bpg_err
op_select(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct sel *s = out;
	struct att_row r;
	MYSQL_BIND param, res[8];
	unsigned long plen;
	my_bool pnull;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	(void)in;
	s->n = 0;
	if ((e = db_prepared(db, s->id, &st, ei)) != BPG_OK)
		return e;
	bind_row(res, &r);
	db_bind_str(&param, s->param, &plen, &pnull);
	if ((e = db_stmt_query(db, st, &param, res,
	    "read attempts", ei)) != BPG_OK)
		goto out;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		if (s->n < s->max && take_row(&r, &s->out[s->n]))
			s->n++;
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "read attempts", ei);
out:
	mysql_stmt_free_result(st);
	return e;
}

static enum bpg_err
select_rows(struct bpg_db *db, enum stmt_id id, const char *param,
    struct bpg_db_attempt *out, size_t max, size_t *n, struct bpg_errinfo *ei)
{
	struct sel s = {id, param, out, max, 0};
	enum bpg_err e;

	*n = 0;
	if (db == NULL || (max > 0 && out == NULL))
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or rows");
	if (param != NULL && (e = db_check_id(param, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	if ((e = db_with_retry(db, op_select, NULL, &s, ei)) == BPG_OK)
		*n = s.n;
	return e;
}

enum bpg_err
bpg_db_attempt_by_id(struct bpg_db *db, const char *id,
    struct bpg_db_attempt *a, bool *found, struct bpg_errinfo *ei)
{
	size_t n = 0;
	enum bpg_err e;

	e = select_rows(db, ST_ATT_BY_ID, id, a, 1, &n, ei);
	*found = e == BPG_OK && n == 1;
	return e;
}

enum bpg_err
bpg_db_attempt_next(struct bpg_db *db, const char *id,
    struct bpg_db_attempt *a, bool *found, struct bpg_errinfo *ei)
{
	size_t n = 0;
	enum bpg_err e;

	e = select_rows(db, ST_ATT_NEXT, id, a, 1, &n, ei);
	*found = e == BPG_OK && n == 1;
	return e;
}

enum bpg_err
bpg_db_attempt_job(struct bpg_db *db, const char *job_id,
    struct bpg_db_attempt *out, size_t max, size_t *n, struct bpg_errinfo *ei)
{
	return select_rows(db, ST_ATT_JOB, job_id, out, max, n, ei);
}

enum bpg_err
bpg_db_attempt_open(struct bpg_db *db, struct bpg_db_attempt *out,
    size_t max, size_t *n, struct bpg_errinfo *ei)
{
	return select_rows(db, ST_ATT_OPEN, NULL, out, max, n, ei);
}

/*
 * Insert
 */

struct ins {
	const struct bpg_db_attempt *a;
	const char *cr;
};

static enum bpg_err
op_insert(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct bpg_db_attempt *a = ((const struct ins *)in)->a;
	const char *v[9] = {a->job_id, NULL, a->submission_id,
	    a->previous_submission_id, a->previous_uid, a->cluster, a->cause,
	    a->state, ((const struct ins *)in)->cr};
	MYSQL_BIND b[9];
	unsigned long len[9];
	my_bool null[9];
	long long attempt = a->attempt;
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;

	*(bool *)out = false;
	if ((e = db_prepared(db, ST_ATT_INSERT, &st, ei)) != BPG_OK)
		return e;
	memset(b, 0, sizeof(b));
	for (i = 0; i < 9; i++)
		if (i != 1)
			db_bind_str(&b[i], v[i], &len[i], &null[i]);
	b[1].buffer_type = MYSQL_TYPE_LONGLONG;
	b[1].buffer = &attempt;
	if (mysql_stmt_bind_param(st, b) != 0)
		return db_stmt_fail(db, st, "insert attempt", ei);
	if (mysql_stmt_execute(st) != 0) {
		if (mysql_stmt_errno(st) == ER_DUP_ENTRY) {
			*(bool *)out = true;
			return BPG_OK;
		}
		return db_stmt_fail(db, st, "insert attempt", ei);
	}
	return BPG_OK;
}

static bool
same_attempt(const struct bpg_db_attempt *a, const struct bpg_db_attempt *b)
{
	return strcmp(a->job_id, b->job_id) == 0 && a->attempt == b->attempt &&
	    strcmp(a->submission_id, b->submission_id) == 0 &&
	    strcmp(a->previous_submission_id, b->previous_submission_id) == 0;
}

enum bpg_err
bpg_db_attempt_insert(struct bpg_db *db, const struct bpg_db_attempt *a,
    const char *cr, struct bpg_errinfo *ei)
{
	struct ins in = {a, cr};
	struct bpg_db_attempt got;
	bool dup = false, found = false;
	enum bpg_err e;

	if (db == NULL || a == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or row");
	if ((e = db_check_id(a->job_id, ei)) != BPG_OK ||
	    (e = db_check_id(a->submission_id, ei)) != BPG_OK ||
	    (e = db_check_id(a->previous_submission_id, ei)) != BPG_OK)
		return e;
	if (cr != NULL && strlen(cr) > DB_MAX_MEDIUMTEXT)
		return bpg_errf(ei, BPG_ETOOBIG, "database: CR longer than %d "
		    "bytes", DB_MAX_MEDIUMTEXT);
	if (a->attempt < 2 || a->attempt > BPG_DB_MAX_ATTEMPTS)
		return bpg_errf(ei, BPG_EINVAL, "database: attempt %d out of "
		    "range", a->attempt);
	if (!db->enabled)
		return BPG_OK;
	if ((e = db_with_retry(db, op_insert, &in, &dup, ei)) != BPG_OK || !dup)
		return e;
	/* Ours, sent again after its answer was lost, or another's. */
	if ((e = bpg_db_attempt_by_id(db, a->submission_id, &got, &found,
	    ei)) != BPG_OK)
		return e;
	if (found && same_attempt(a, &got))
		return BPG_OK;
	return bpg_errf(ei, BPG_EEXIST, "database: attempt %d of %s exists "
	    "already", a->attempt, a->job_id);
}

/*
 * Updates
 */

struct upd {
	enum stmt_id id;
	const char *v[5];
	size_t nv;
	bool changed;
};

static enum bpg_err
op_update(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct upd *u = out;
	MYSQL_BIND b[5];
	unsigned long len[5];
	my_bool null[5];
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;

	(void)in;
	if ((e = db_prepared(db, u->id, &st, ei)) != BPG_OK)
		return e;
	for (i = 0; i < u->nv; i++)
		db_bind_str(&b[i], u->v[i], &len[i], &null[i]);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return db_stmt_fail(db, st, "update attempt", ei);
	u->changed = mysql_stmt_affected_rows(st) > 0;
	return BPG_OK;
}

/* s cut to at most BPG_DB_MAX_ERROR_MESSAGE bytes, at a character. */
static void
cut_message(char *dst, size_t dstsz, const char *s)
{
	size_t n = strlen(s);

	if (n >= dstsz)
		n = dstsz - 1;
	while (n > 0 && n < strlen(s) && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

enum bpg_err
bpg_db_attempt_set_state(struct bpg_db *db, const char *submission_id,
    const char *from, const char *to, const char *message, bool *changed,
    struct bpg_errinfo *ei)
{
	char msg[BPG_DB_MAX_ERROR_MESSAGE + 1];
	struct upd u = {ST_ATT_STATE, {to, to, NULL, submission_id, from}, 5,
	    false};
	enum bpg_err e;

	if (changed != NULL)
		*changed = false;
	if (db == NULL || from == NULL || to == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or state");
	if ((e = db_check_id(submission_id, ei)) != BPG_OK)
		return e;
	if (strlen(to) > BPG_DB_ATTEMPT_MAX_WORD)
		return bpg_errf(ei, BPG_ETOOBIG, "database: state too long");
	if (message != NULL) {
		cut_message(msg, sizeof(msg), message);
		u.v[2] = msg;
	}
	if (!db->enabled)
		return BPG_OK;
	if ((e = db_with_retry(db, op_update, NULL, &u, ei)) == BPG_OK &&
	    changed != NULL)
		*changed = u.changed;
	return e;
}

enum bpg_err
bpg_db_attempt_mark_replaced(struct bpg_db *db, const char *old_id,
    const char *reason, struct bpg_errinfo *ei)
{
	char msg[BPG_DB_MAX_ERROR_MESSAGE + 1];
	struct upd u = {ST_ATT_REPLACED, {msg, old_id}, 2, false};
	enum bpg_err e;

	if (db == NULL || reason == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or "
		    "reason");
	if ((e = db_check_id(old_id, ei)) != BPG_OK)
		return e;
	cut_message(msg, sizeof(msg), reason);
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_update, NULL, &u, ei);
}

/*
 * The CR kept with a move under way
 */

struct cr_out {
	char *cr;
};

static enum bpg_err
op_cr(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	struct cr_out *o = out;
	MYSQL_BIND param, res;
	unsigned long plen, len = 0;
	my_bool pnull, null = 0, err = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	o->cr = NULL;
	if ((e = db_prepared(db, ST_ATT_CR, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&param, in, &plen, &pnull);
	/* A zero-length buffer: the length first, then the value. */
	db_bind_out(&res, MYSQL_TYPE_STRING, NULL, 0, &len, &null, &err);
	if ((e = db_stmt_query(db, st, &param, &res, "read attempt CR",
	    ei)) != BPG_OK)
		goto out;
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA || (rc != 1 && null))
		goto out;
	if (rc == 1) {
		e = db_stmt_fail(db, st, "read attempt CR", ei);
		goto out;
	}
	if ((o->cr = malloc(len + 1)) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
		goto out;
	}
	res.buffer = o->cr;
	res.buffer_length = len;
	if (len > 0 && mysql_stmt_fetch_column(st, &res, 0, 0) != 0) {
		free(o->cr);
		o->cr = NULL;
		e = db_stmt_fail(db, st, "read attempt CR", ei);
		goto out;
	}
	o->cr[len] = '\0';
out:
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_attempt_cr(struct bpg_db *db, const char *submission_id, char **cr,
    struct bpg_errinfo *ei)
{
	struct cr_out o = {NULL};
	enum bpg_err e;

	*cr = NULL;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(submission_id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	if ((e = db_with_retry(db, op_cr, submission_id, &o, ei)) == BPG_OK)
		*cr = o.cr;
	return e;
}
