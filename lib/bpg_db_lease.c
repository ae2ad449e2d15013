/*
 * The leader lease and the fence of a handle's statements
 * (bpg_db_lease.h).
 *
 * Times are DATETIME(6) written only from NOW(6) on sessions whose
 * time_zone is '+00:00' (bpg_db_conn.c), so they compare without the
 * TIMESTAMP column's automatic updates getting in the way.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "bpg_db_int.h"
#include "bpg_db_lease.h"

static const char *const lease_sql[ST__MAX] = {
    [ST_LEASE_SEED] = "INSERT IGNORE INTO @DB@.bpg_lease (name, holder, "
		      "token, expires_time) "
		      "VALUES (?, '', 0, '1970-01-01 00:00:01')",
    [ST_LEASE_READ] = "SELECT holder, token, "
		      "TIMESTAMPDIFF(MICROSECOND, NOW(6), expires_time) "
		      "FROM @DB@.bpg_lease WHERE name = ? FOR UPDATE",
    [ST_LEASE_RENEW] = "UPDATE @DB@.bpg_lease "
		       "SET expires_time = NOW(6) + INTERVAL ? MICROSECOND "
		       "WHERE name = ? AND holder = ? AND token = ? "
		       "AND expires_time > NOW(6)",
    /* The term a take ends, for the record. */
    [ST_LEASE_ARCHIVE] = "INSERT IGNORE INTO @DB@.bpg_lease_term (name, "
			 "token, holder, acquired_time, first_write_time, "
			 "last_write_time, writes, ended_time) "
			 "SELECT name, token, holder, acquired_time, "
			 "first_write_time, last_write_time, writes, NOW(6) "
			 "FROM @DB@.bpg_lease WHERE name = ? AND token = ? "
			 "AND token > 0",
    [ST_LEASE_TAKE] = "UPDATE @DB@.bpg_lease SET holder = ?, "
		      "token = token + 1, "
		      "expires_time = NOW(6) + INTERVAL ? MICROSECOND, "
		      "acquired_time = NOW(6), first_write_time = NULL, "
		      "last_write_time = NULL, writes = 0 "
		      "WHERE name = ? AND token = ? "
		      "AND expires_time <= NOW(6)",
    [ST_LEASE_RELEASE] = "UPDATE @DB@.bpg_lease SET expires_time = NOW(6) "
			 "WHERE name = ? AND holder = ? AND token = ? "
			 "AND expires_time > NOW(6)",
    [ST_LEASE_GUARD] = "UPDATE @DB@.bpg_lease SET writes = writes + 1, "
		       "first_write_time = COALESCE(first_write_time, "
		       "NOW(6)), last_write_time = NOW(6) "
		       "WHERE name = ? AND holder = ? AND token = ? "
		       "AND expires_time > NOW(6)",
};

void
db_lease_sql(struct bpg_db *db)
{
	db_sql_table(db, lease_sql);
}


/* Run statement id without a result; *affected its row count. */
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

static enum bpg_err
check_names(const char *name, const char *holder, struct bpg_errinfo *ei)
{
	size_t n;

	if (name == NULL || (n = strlen(name)) == 0 ||
	    n > BPG_DB_LEASE_MAX_NAME)
		return bpg_errf(ei, BPG_EINVAL, "database: bad lease name");
	if (holder == NULL || (n = strlen(holder)) == 0 ||
	    n > BPG_DB_LEASE_MAX_HOLDER)
		return bpg_errf(ei, BPG_EINVAL, "database: bad lease holder");
	return BPG_OK;
}

/* The lease row, read FOR UPDATE; *found false if there is none. */
static enum bpg_err
read_row(struct bpg_db *db, const char *name, bool *found,
    struct bpg_db_lease *out, struct bpg_errinfo *ei)
{
	MYSQL_BIND b, res[3];
	unsigned long len, hlen = 0;
	my_bool null, rnull[3], err[3];
	long long us = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	*found = false;
	if ((e = db_prepared(db, ST_LEASE_READ, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&b, name, &len, &null);
	db_bind_out(&res[0], MYSQL_TYPE_STRING, out->holder,
	    sizeof(out->holder) - 1, &hlen, &rnull[0], &err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_LONGLONG, &out->token, 0, NULL,
	    &rnull[1], &err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_LONGLONG, &us, 0, NULL, &rnull[2],
	    &err[2]);
	if ((e = db_stmt_query(db, st, &b, res, "lease read", ei)) != BPG_OK)
		goto out;
	rc = mysql_stmt_fetch(st);
	if (rc == 0 || rc == MYSQL_DATA_TRUNCATED) {
		*found = true;
		out->holder[hlen < sizeof(out->holder) ? hlen :
		    sizeof(out->holder) - 1] = '\0';
		if (rnull[1])
			out->token = 0;
		out->remaining_ms = rnull[2] ? 0 : us / 1000;
		/* Less than a millisecond left is expired for the caller. */
		if (!rnull[2] && us > 0 && out->remaining_ms == 0)
			out->remaining_ms = 1;
	} else if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "lease read", ei);
out:
	mysql_stmt_free_result(st);
	return e;
}

static enum bpg_err
my_query(struct bpg_db *db, const char *sql, struct bpg_errinfo *ei)
{
	if (mysql_query(db->my, sql) != 0)
		return db_my_fail(db, sql, ei);
	return BPG_OK;
}

struct acquire_args {
	const char *name, *holder;
	long long token, duration_ms;
};

/* The transaction of one take or renewal, BEGIN to before COMMIT. */
static enum bpg_err
acquire_txn(struct bpg_db *db, const struct acquire_args *a,
    struct bpg_db_lease *out, bool *found, struct bpg_errinfo *ei)
{
	MYSQL_BIND b[4];
	unsigned long len[2];
	my_bool null[2];
	my_ulonglong n = 0;
	long long us = a->duration_ms * 1000, old;
	enum bpg_err e;

	if ((e = read_row(db, a->name, found, out, ei)) != BPG_OK ||
	    !*found)
		return e;
	if (a->token > 0 && out->token == a->token &&
	    strcmp(out->holder, a->holder) == 0 && out->remaining_ms > 0) {
		db_bind_ll(&b[0], &us);
		db_bind_str(&b[1], a->name, &len[0], &null[0]);
		db_bind_str(&b[2], a->holder, &len[1], &null[1]);
		db_bind_ll(&b[3], &old);
		old = a->token;
		if ((e = exec(db, ST_LEASE_RENEW, b, "lease renewal", &n,
		    ei)) != BPG_OK)
			return e;
		if (n == 1) {
			out->held = true;
			out->remaining_ms = a->duration_ms;
			return BPG_OK;
		}
		/*
		 * It expired while the read waited for the row (the read's
		 * NOW(6) is its start): a take, as for any expired lease.
		 */
		out->remaining_ms = 0;
	}
	if (out->remaining_ms > 0)
		return BPG_OK;
	old = out->token;
	db_bind_str(&b[0], a->name, &len[0], &null[0]);
	db_bind_ll(&b[1], &old);
	if ((e = exec(db, ST_LEASE_ARCHIVE, b, "lease term record", NULL,
	    ei)) != BPG_OK)
		return e;
	db_bind_str(&b[0], a->holder, &len[1], &null[1]);
	db_bind_ll(&b[1], &us);
	db_bind_str(&b[2], a->name, &len[0], &null[0]);
	db_bind_ll(&b[3], &old);
	if ((e = exec(db, ST_LEASE_TAKE, b, "lease take", &n, ei)) != BPG_OK)
		return e;
	if (n == 1) {
		out->held = true;
		out->token = old + 1;
		snprintf(out->holder, sizeof(out->holder), "%s", a->holder);
		out->remaining_ms = a->duration_ms;
	}
	return BPG_OK;
}

static enum bpg_err
op_acquire(struct bpg_db *db, const void *in, void *outp,
    struct bpg_errinfo *ei)
{
	const struct acquire_args *a = in;
	struct bpg_db_lease *out = outp;
	MYSQL_BIND b;
	unsigned long len;
	my_bool null;
	bool found = false;
	enum bpg_err e;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		memset(out, 0, sizeof(*out));
		if ((e = my_query(db, "START TRANSACTION", ei)) != BPG_OK)
			return e;
		if ((e = acquire_txn(db, a, out, &found, ei)) != BPG_OK) {
			(void)mysql_rollback(db->my);
			memset(out, 0, sizeof(*out));
			return e;
		}
		if (found || pass > 0) {
			if (mysql_commit(db->my) != 0) {
				memset(out, 0, sizeof(*out));
				return db_my_fail(db, "lease commit", ei);
			}
			return BPG_OK;
		}
		/* No row yet: make the expired one the take starts from. */
		(void)mysql_rollback(db->my);
		db_bind_str(&b, a->name, &len, &null);
		if ((e = exec(db, ST_LEASE_SEED, &b, "lease row", NULL, ei)) !=
		    BPG_OK)
			return e;
	}
	return BPG_OK;
}

enum bpg_err
bpg_db_lease_acquire(struct bpg_db *db, const char *name, const char *holder,
    long long token, long long duration_ms, struct bpg_db_lease *out,
    struct bpg_errinfo *ei)
{
	struct acquire_args a = { name, holder, token, duration_ms };
	enum bpg_err e;

	memset(out, 0, sizeof(*out));
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = check_names(name, holder, ei)) != BPG_OK)
		return e;
	if (duration_ms < 1 || duration_ms > BPG_DB_LEASE_MAX_MS || token < 0)
		return bpg_errf(ei, BPG_EINVAL, "database: bad lease "
		    "duration or token");
	if (!db->enabled) {
		out->held = true;
		out->token = 1;
		snprintf(out->holder, sizeof(out->holder), "%s", holder);
		out->remaining_ms = duration_ms;
		return BPG_OK;
	}
	return db_with_retry(db, op_acquire, &a, out, ei);
}

struct release_args {
	const char *name, *holder;
	long long token;
};

static enum bpg_err
op_release(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct release_args *a = in;
	MYSQL_BIND b[3];
	unsigned long len[2];
	my_bool null[2];
	long long token = a->token;

	(void)out;
	db_bind_str(&b[0], a->name, &len[0], &null[0]);
	db_bind_str(&b[1], a->holder, &len[1], &null[1]);
	db_bind_ll(&b[2], &token);
	return exec(db, ST_LEASE_RELEASE, b, "lease release", NULL, ei);
}

enum bpg_err
bpg_db_lease_release(struct bpg_db *db, const char *name, const char *holder,
    long long token, struct bpg_errinfo *ei)
{
	struct release_args a = { name, holder, token };
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = check_names(name, holder, ei)) != BPG_OK)
		return e;
	if (!db->enabled || token <= 0)
		return BPG_OK;
	return db_with_retry(db, op_release, &a, NULL, ei);
}

/*
 * Fencing
 */

enum bpg_err
bpg_db_set_fence(struct bpg_db *db, const char *name, const char *holder,
    long long token, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if (name == NULL) {
		db->fenced = false;
		return BPG_OK;
	}
	if ((e = check_names(name, holder, ei)) != BPG_OK)
		return e;
	if (token < 0)
		return bpg_errf(ei, BPG_EINVAL, "database: bad lease token");
	snprintf(db->fence_name, sizeof(db->fence_name), "%s", name);
	snprintf(db->fence_holder, sizeof(db->fence_holder), "%s", holder);
	db->fence_token = token;
	db->fenced = true;
	return BPG_OK;
}

bool
bpg_db_fence_refused(const struct bpg_db *db)
{
	return db != NULL && db->fence_refused;
}

enum bpg_err
db_fence_begin(struct bpg_db *db, struct bpg_errinfo *ei)
{
	MYSQL_BIND b[3];
	unsigned long len[2];
	my_bool null[2];
	my_ulonglong n = 0;
	long long token = db->fence_token;
	enum bpg_err e;

	if (token <= 0) {
		db->fence_refused = true;
		return bpg_errf(ei, BPG_EDB, "database: statement refused: "
		    "this process does not hold lease '%s'", db->fence_name);
	}
	if ((e = my_query(db, "START TRANSACTION", ei)) != BPG_OK)
		return e;
	db->in_fence = true;
	db_bind_str(&b[0], db->fence_name, &len[0], &null[0]);
	db_bind_str(&b[1], db->fence_holder, &len[1], &null[1]);
	db_bind_ll(&b[2], &token);
	if ((e = exec(db, ST_LEASE_GUARD, b, "lease fence", &n, ei)) !=
	    BPG_OK) {
		(void)mysql_rollback(db->my);
		db->in_fence = false;
		return e;
	}
	if (n != 1) {
		(void)mysql_rollback(db->my);
		db->in_fence = false;
		db->fence_refused = true;
		return bpg_errf(ei, BPG_EDB, "database: statement refused: "
		    "lease '%s' is no longer held under token %lld",
		    db->fence_name, token);
	}
	return BPG_OK;
}

enum bpg_err
db_fence_end(struct bpg_db *db, enum bpg_err e, struct bpg_errinfo *ei)
{
	db->in_fence = false;
	if (e != BPG_OK) {
		if (!db->lost)
			(void)mysql_rollback(db->my);
		return e;
	}
	if (mysql_commit(db->my) != 0) {
		e = db_my_fail(db, "commit", ei);
		/* Sent, and the connection died: it may have committed. */
		if (db->lost)
			db->unsettled = true;
		return e;
	}
	return BPG_OK;
}
