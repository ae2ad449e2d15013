/*
 * The idempotency keys of submissions (bpg_idem.h): table
 * bpg_idempotency_key, one row per (user, key), whose primary key decides
 * which of the requests sending a key runs, across the workers of a
 * gateway and across gateways.  Times are the database server's (NOW()),
 * so that every gateway agrees on ages and expiry.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "bpg_db_int.h"
#include "bpg_idem.h"

#define T "@DB@.bpg_idempotency_key"
#define KEYCOND "`user` = ? AND idem_key = ?"

static const char *const idem_sql[ST__MAX] = {
    /* An expired row is absent: its key may be claimed again. */
    [ST_IDEM_PURGE] = "DELETE FROM " T " WHERE " KEYCOND
		      " AND expires_time <= NOW()",
    [ST_IDEM_CLAIM] = "INSERT INTO " T " (`user`, idem_key, owner, "
		      "request_hash, state, created_time, claimed_time, "
		      "expires_time) VALUES (?, ?, ?, ?, 'pending', NOW(), "
		      "NOW(), NOW() + INTERVAL ? SECOND)",
    [ST_IDEM_READ] = "SELECT owner, request_hash, state, submission_id, "
		     "http_status, content_type, answer, "
		     "TIMESTAMPDIFF(SECOND, claimed_time, NOW()) FROM " T
		     " WHERE " KEYCOND " AND expires_time > NOW()",
    [ST_IDEM_SUBMISSION] = "UPDATE " T " SET submission_id = ? WHERE "
			   KEYCOND " AND owner = ?",
    [ST_IDEM_FINISH] = "UPDATE " T " SET state = ?, http_status = ?, "
		       "content_type = ?, answer = ? WHERE " KEYCOND
		       " AND owner = ? AND state <> 'done'",
    [ST_IDEM_RELEASE] = "DELETE FROM " T " WHERE " KEYCOND " AND owner = ?",
    [ST_IDEM_TAKEOVER] = "UPDATE " T " SET owner = ?, request_hash = ?, "
			 "state = 'pending', submission_id = NULL, "
			 "http_status = NULL, content_type = NULL, "
			 "answer = NULL, claimed_time = NOW() WHERE " KEYCOND
			 " AND owner = ? AND state <> 'done'",
    /* By bpg_idem_expires, oldest first, a batch at a time. */
    [ST_IDEM_SWEEP] = "DELETE FROM " T " WHERE expires_time <= NOW() "
		      "ORDER BY expires_time LIMIT ?",
};

void
db_idem_sql(struct bpg_db *db)
{
	db_sql_table(db, idem_sql);
}

/* The SQL of a statement, for EXPLAIN in the tests. */
const char *
bpg_db_idem_sql(const struct bpg_db *db, enum bpg_db_idem_stmt which)
{
	static const enum stmt_id ids[] = {
		[BPG_DB_IDEM_READ] = ST_IDEM_READ,
		[BPG_DB_IDEM_SWEEP] = ST_IDEM_SWEEP,
	};

	if (db == NULL || (unsigned)which >= sizeof(ids) / sizeof(ids[0]))
		return NULL;
	return db->sql[ids[which]];
}

static enum bpg_err
check_ref(const struct bpg_db_idem_ref *r, struct bpg_errinfo *ei)
{
	if (r == NULL || r->user == NULL || r->key == NULL ||
	    r->user[0] == '\0' || strlen(r->user) > DB_MAX_VARCHAR ||
	    r->key[0] == '\0' || strlen(r->key) > BPG_IDEM_MAX_KEY)
		return bpg_errf(ei, BPG_EINVAL, "database: bad idempotency "
		    "key or user");
	return BPG_OK;
}

static enum bpg_err
check_db(struct bpg_db *db, struct bpg_errinfo *ei)
{
	if (db == NULL || !db->enabled)
		return bpg_errf(ei, BPG_EDB, "database: idempotency keys need "
		    "the database");
	return BPG_OK;
}

/* Run a statement without a result; *affected gets its row count. */
static enum bpg_err
exec(struct bpg_db *db, enum stmt_id id, MYSQL_BIND *b, const char *what,
    my_ulonglong *affected, struct bpg_errinfo *ei)
{
	MYSQL_STMT *st;
	enum bpg_err e;

	if ((e = db_prepared(db, id, &st, ei)) != BPG_OK)
		return e;
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return db_stmt_fail(db, st, what, ei);
	if (affected != NULL)
		*affected = mysql_stmt_affected_rows(st);
	return BPG_OK;
}


/* ---- claim ---------------------------------------------------------- */

struct claim_args {
	const struct bpg_db_idem_ref *r;
	const char *owner, *hash;
	long long ttl_s;
};

static enum bpg_err
op_claim(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct claim_args *a = in;
	MYSQL_BIND b[5];
	unsigned long len[5];
	my_bool null[5];
	MYSQL_STMT *st;
	long long ttl = a->ttl_s;
	enum bpg_err e;

	db_bind_str(&b[0], a->r->user, &len[0], &null[0]);
	db_bind_str(&b[1], a->r->key, &len[1], &null[1]);
	if ((e = exec(db, ST_IDEM_PURGE, b, "drop expired idempotency key",
	    NULL, ei)) != BPG_OK)
		return e;
	db_bind_str(&b[2], a->owner, &len[2], &null[2]);
	db_bind_str(&b[3], a->hash, &len[3], &null[3]);
	db_bind_ll(&b[4], &ttl);
	if ((e = db_prepared(db, ST_IDEM_CLAIM, &st, ei)) != BPG_OK)
		return e;
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
		if (mysql_stmt_errno(st) == ER_DUP_ENTRY) {
			*(bool *)out = false;
			return BPG_OK;
		}
		return db_stmt_fail(db, st, "claim idempotency key", ei);
	}
	*(bool *)out = true;
	return BPG_OK;
}

enum bpg_err
bpg_db_idem_claim(struct bpg_db *db, const struct bpg_db_idem_ref *r,
    const char *owner, const char *hash, int64_t ttl_s, bool *won,
    struct bpg_errinfo *ei)
{
	struct claim_args a = {r, owner, hash, ttl_s};
	enum bpg_err e;

	*won = false;
	if ((e = check_db(db, ei)) != BPG_OK ||
	    (e = check_ref(r, ei)) != BPG_OK)
		return e;
	return db_with_retry(db, op_claim, &a, won, ei);
}

/* ---- read ----------------------------------------------------------- */

static void
take(char *dst, size_t size, const char *src, unsigned long len, my_bool null)
{
	if (null || len >= size)
		len = 0;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static enum bpg_err
op_read(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct bpg_db_idem_ref *r = in;
	struct bpg_db_idem_row *row = out;
	char owner[BPG_IDEM_OWNER_HEX + 1], hash[BPG_IDEM_HASH_HEX + 1];
	char state[16], ctype[256];
	char sub[BPG_DB_MAX_TEXT_FIELD];
	MYSQL_BIND p[2], res[8];
	unsigned long plen[2], len[8] = {0};
	my_bool pnull[2], null[8] = {0}, err[8] = {0};
	long long status = 0, age = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	if ((e = db_prepared(db, ST_IDEM_READ, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&p[0], r->user, &plen[0], &pnull[0]);
	db_bind_str(&p[1], r->key, &plen[1], &pnull[1]);
	db_bind_out(&res[0], MYSQL_TYPE_STRING, owner, sizeof(owner), &len[0],
	    &null[0], &err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_STRING, hash, sizeof(hash), &len[1],
	    &null[1], &err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_STRING, state, sizeof(state), &len[2],
	    &null[2], &err[2]);
	db_bind_out(&res[3], MYSQL_TYPE_STRING, sub, sizeof(sub), &len[3],
	    &null[3], &err[3]);
	db_bind_out(&res[4], MYSQL_TYPE_LONGLONG, &status, 0, &len[4],
	    &null[4], &err[4]);
	db_bind_out(&res[5], MYSQL_TYPE_STRING, ctype, sizeof(ctype), &len[5],
	    &null[5], &err[5]);
	db_bind_out(&res[6], MYSQL_TYPE_BLOB, row->answer,
	    BPG_IDEM_MAX_ANSWER, &len[6], &null[6], &err[6]);
	db_bind_out(&res[7], MYSQL_TYPE_LONGLONG, &age, 0, &len[7], &null[7],
	    &err[7]);
	if ((e = db_stmt_query(db, st, p, res, "read idempotency key", ei)) !=
	    BPG_OK)
		goto out;
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA) {
		row->found = false;
		goto out;
	}
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
		e = db_stmt_fail(db, st, "read idempotency key", ei);
		goto out;
	}
	row->found = true;
	take(row->owner, sizeof(row->owner), owner, len[0], null[0]);
	take(row->hash, sizeof(row->hash), hash, len[1], null[1]);
	take(state, sizeof(state), state, len[2], null[2]);
	if (!bpg_idem_state_of(state, &row->state)) {
		e = bpg_errf(ei, BPG_EDB, "database: idempotency key in an "
		    "unknown state");
		goto out;
	}
	row->has_submission = !null[3] && len[3] > 0 && len[3] < sizeof(sub);
	take(row->submission_id, sizeof(row->submission_id), sub, len[3],
	    null[3]);
	row->http_status = null[4] ? 0 : (int)status;
	take(row->content_type, sizeof(row->content_type), ctype, len[5],
	    null[5]);
	row->has_answer = !null[6] && len[6] <= BPG_IDEM_MAX_ANSWER;
	row->answer_len = row->has_answer ? len[6] : 0;
	row->age_s = null[7] ? 0 : age;
out:
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_idem_read(struct bpg_db *db, const struct bpg_db_idem_ref *r,
    struct bpg_db_idem_row *row, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	row->found = false;
	if ((e = check_db(db, ei)) != BPG_OK ||
	    (e = check_ref(r, ei)) != BPG_OK)
		return e;
	if (row->answer == NULL &&
	    (row->answer = malloc(BPG_IDEM_MAX_ANSWER + 1)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	return db_with_retry(db, op_read, r, row, ei);
}

void
bpg_db_idem_row_reset(struct bpg_db_idem_row *row)
{
	free(row->answer);
	memset(row, 0, sizeof(*row));
}

/* ---- updates -------------------------------------------------------- */

struct upd_args {
	const struct bpg_db_idem_ref *r;
	const char *owner;
	const char *submission_id;	/* ST_IDEM_SUBMISSION */
	const char *state;		/* ST_IDEM_FINISH */
	long long status;
	const char *ctype;
	const char *answer;
	size_t answer_len;
	const char *new_owner, *hash;	/* ST_IDEM_TAKEOVER */
	enum stmt_id id;
	const char *what;
};

static enum bpg_err
op_update(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct upd_args *a = in;
	MYSQL_BIND b[8];
	unsigned long len[8];
	my_bool null[8];
	long long status = a->status;
	my_ulonglong n = 0;
	enum bpg_err e;
	size_t i = 0;

	switch (a->id) {
	case ST_IDEM_SUBMISSION:
		db_bind_str(&b[i], a->submission_id, &len[i], &null[i]);
		i++;
		break;
	case ST_IDEM_FINISH:
		db_bind_str(&b[i], a->state, &len[i], &null[i]);
		i++;
		db_bind_ll(&b[i++], &status);
		db_bind_str(&b[i], a->ctype, &len[i], &null[i]);
		i++;
		memset(&b[i], 0, sizeof(b[i]));
		len[i] = (unsigned long)a->answer_len;
		null[i] = a->answer == NULL;
		b[i].buffer_type = MYSQL_TYPE_BLOB;
		b[i].buffer = (void *)(uintptr_t)a->answer;
		b[i].buffer_length = len[i];
		b[i].length = &len[i];
		b[i].is_null = &null[i];
		i++;
		break;
	case ST_IDEM_TAKEOVER:
		db_bind_str(&b[i], a->new_owner, &len[i], &null[i]);
		i++;
		db_bind_str(&b[i], a->hash, &len[i], &null[i]);
		i++;
		break;
	default:
		break;
	}
	db_bind_str(&b[i], a->r->user, &len[i], &null[i]);
	i++;
	db_bind_str(&b[i], a->r->key, &len[i], &null[i]);
	i++;
	db_bind_str(&b[i], a->owner, &len[i], &null[i]);
	if ((e = exec(db, a->id, b, a->what, &n, ei)) != BPG_OK)
		return e;
	if (out != NULL)
		*(bool *)out = n > 0;
	return BPG_OK;
}

static enum bpg_err
run_update(struct bpg_db *db, struct upd_args *a, bool *changed,
    struct bpg_errinfo *ei)
{
	bool dummy = false;
	enum bpg_err e;

	if ((e = check_db(db, ei)) != BPG_OK ||
	    (e = check_ref(a->r, ei)) != BPG_OK)
		return e;
	if (a->owner == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no owner");
	return db_with_retry(db, op_update, a, changed ? changed : &dummy, ei);
}

enum bpg_err
bpg_db_idem_set_submission(struct bpg_db *db, const struct bpg_db_idem_ref *r,
    const char *owner, const char *submission_id, struct bpg_errinfo *ei)
{
	struct upd_args a = {.r = r, .owner = owner, .id = ST_IDEM_SUBMISSION,
	    .submission_id = submission_id,
	    .what = "record the submission of an idempotency key"};
	bool changed = false;
	enum bpg_err e;

	if ((e = db_check_id(submission_id, ei)) != BPG_OK)
		return e;
	if ((e = run_update(db, &a, &changed, ei)) != BPG_OK)
		return e;
	/* Same ID twice (a retried UPDATE) changes nothing, yet is ours. */
	return BPG_OK;
}

enum bpg_err
bpg_db_idem_finish(struct bpg_db *db, const struct bpg_db_idem_ref *r,
    const char *owner, enum bpg_idem_state state, int status,
    const char *ctype, const char *answer, size_t answer_len,
    struct bpg_errinfo *ei)
{
	struct upd_args a = {.r = r, .owner = owner, .id = ST_IDEM_FINISH,
	    .state = bpg_idem_state_name(state), .status = status,
	    .ctype = ctype, .answer = answer, .answer_len = answer_len,
	    .what = "store the answer of an idempotency key"};

	if (answer_len > BPG_IDEM_MAX_ANSWER ||
	    (ctype != NULL && strlen(ctype) > DB_MAX_VARCHAR))
		return bpg_errf(ei, BPG_ETOOBIG, "database: answer too large "
		    "to store for an idempotency key");
	return run_update(db, &a, NULL, ei);
}

enum bpg_err
bpg_db_idem_release(struct bpg_db *db, const struct bpg_db_idem_ref *r,
    const char *owner, struct bpg_errinfo *ei)
{
	struct upd_args a = {.r = r, .owner = owner, .id = ST_IDEM_RELEASE,
	    .what = "release an idempotency key"};

	return run_update(db, &a, NULL, ei);
}

enum bpg_err
bpg_db_idem_takeover(struct bpg_db *db, const struct bpg_db_idem_ref *r,
    const char *old_owner, const char *new_owner, const char *hash,
    bool *won, struct bpg_errinfo *ei)
{
	struct upd_args a = {.r = r, .owner = old_owner, .id = ST_IDEM_TAKEOVER,
	    .new_owner = new_owner, .hash = hash,
	    .what = "take over an idempotency key"};

	*won = false;
	return run_update(db, &a, won, ei);
}

/* ---- sweep ---------------------------------------------------------- */

static enum bpg_err
op_sweep(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	long long limit = *(const long long *)in;
	MYSQL_BIND b;
	my_ulonglong n = 0;
	enum bpg_err e;

	db_bind_ll(&b, &limit);
	if ((e = exec(db, ST_IDEM_SWEEP, &b, "sweep idempotency keys", &n,
	    ei)) != BPG_OK)
		return e;
	*(unsigned long long *)out = (unsigned long long)n;
	return BPG_OK;
}

enum bpg_err
bpg_db_idem_sweep(struct bpg_db *db, unsigned int batch,
    unsigned long long *deleted, struct bpg_errinfo *ei)
{
	long long limit = batch;

	*deleted = 0;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_sweep, &limit, deleted, ei);
}
