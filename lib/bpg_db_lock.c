/*
 * The leader lock.  No retry on a new connection here: a lock lives and
 * dies with its session, so a lost connection means a lost lock, which the
 * caller must learn.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>

#include "bpg_db_int.h"

static const char *const lock_sql[ST__MAX] = {
    /* Left to right: IS_USED_LOCK names whoever holds it afterwards. */
    [ST_LOCK_TRY] = "SELECT GET_LOCK(?, 0), IS_USED_LOCK(?)",
    [ST_LOCK_HELD] = "SELECT IS_USED_LOCK(?) = CONNECTION_ID()",
    [ST_LOCK_RELEASE] = "SELECT RELEASE_LOCK(?)",
};

void
db_lock_sql(struct bpg_db *db)
{
	db_sql_table(db, lock_sql);
}

/* Run lock statement id with name bound n times; up to two results. */
static enum bpg_err
lock_query(struct bpg_db *db, enum stmt_id id, const char *name, int n,
    long long out[2], bool isnull[2], struct bpg_errinfo *ei)
{
	MYSQL_BIND b[2], res[2];
	unsigned long len;
	my_bool null, rnull[2];
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc, i;

	db->lost = false;
	if ((e = db_prepared(db, id, &st, ei)) != BPG_OK)
		goto fail;
	db_bind_str(&b[0], name, &len, &null);
	b[1] = b[0];
	memset(res, 0, sizeof(res));
	for (i = 0; i < 2; i++) {
		out[i] = 0;
		rnull[i] = 1;
		res[i].buffer_type = MYSQL_TYPE_LONGLONG;
		res[i].buffer = &out[i];
		res[i].is_null = &rnull[i];
	}
	if ((e = db_stmt_query(db, st, b, res, "leader lock", ei)) != BPG_OK) {
		mysql_stmt_free_result(st);
		goto fail;
	}
	rc = mysql_stmt_fetch(st);
	mysql_stmt_free_result(st);
	if (rc != 0) {
		e = bpg_errf(ei, BPG_EDB, "database: leader lock: no result");
		goto fail;
	}
	for (i = 0; i < 2; i++)
		isnull[i] = rnull[i] || i >= n;
	return BPG_OK;
fail:
	if (db->lost)
		db_close(db);
	return e;
}

static enum bpg_err
check_lock_name(const char *name, struct bpg_errinfo *ei)
{
	/* MySQL 5.7+ limits user-level lock names to 64 characters. */
	if (name == NULL || name[0] == '\0' || strlen(name) > 64)
		return bpg_errf(ei, BPG_EINVAL, "database: bad lock name");
	return BPG_OK;
}

/*
 * What both lock calls check first.  *ask false when there is nothing to
 * ask the server: without a database this process is always the leader.
 */
static enum bpg_err
lock_args(struct bpg_db *db, const char *name, bool *held, bool *ask,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	*ask = false;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = check_lock_name(name, ei)) != BPG_OK)
		return e;
	*held = !db->enabled;
	*ask = db->enabled;
	return BPG_OK;
}

enum bpg_err
bpg_db_lock_try(struct bpg_db *db, const char *name, bool *held,
    unsigned long *holder, struct bpg_errinfo *ei)
{
	long long v[2];
	bool isnull[2], ask;
	enum bpg_err e;

	*held = false;
	if (holder != NULL)
		*holder = 0;
	if ((e = lock_args(db, name, held, &ask, ei)) != BPG_OK || !ask)
		return e;
	if ((e = bpg_db_connect(db, ei)) != BPG_OK)
		return e;
	if ((e = lock_query(db, ST_LOCK_TRY, name, 2, v, isnull, ei)) !=
	    BPG_OK)
		return e;
	*held = !isnull[0] && v[0] == 1;
	if (holder != NULL && !isnull[1] && v[1] > 0)
		*holder = (unsigned long)v[1];
	return BPG_OK;
}

enum bpg_err
bpg_db_lock_held(struct bpg_db *db, const char *name, bool *held,
    struct bpg_errinfo *ei)
{
	long long v[2];
	bool isnull[2], ask;
	enum bpg_err e;

	*held = false;
	if ((e = lock_args(db, name, held, &ask, ei)) != BPG_OK || !ask)
		return e;
	/* Never reconnect: a new session would not hold the lock. */
	if (db->my == NULL || db->pid != getpid())
		return bpg_errf(ei, BPG_EDB,
		    "database: leader lock: not connected");
	if ((e = lock_query(db, ST_LOCK_HELD, name, 1, v, isnull, ei)) !=
	    BPG_OK)
		return e;
	*held = !isnull[0] && v[0] == 1;
	return BPG_OK;
}

void
bpg_db_lock_release(struct bpg_db *db, const char *name)
{
	long long v[2];
	bool isnull[2];

	if (db == NULL || !db->enabled || db->my == NULL ||
	    db->pid != getpid() || check_lock_name(name, NULL) != BPG_OK)
		return;
	(void)lock_query(db, ST_LOCK_RELEASE, name, 1, v, isnull, NULL);
}
