/*
 * The monitor's statements for a page of applications (bpg_db_monbatch.h).
 *
 * Each statement has BPG_DB_MONBATCH_MAX slots and is prepared once; a
 * shorter batch fills the slots left with its last ID or row again, which
 * changes nothing: the IN list ignores repeats, and the upsert of a row
 * already upserted in the same statement writes the same values.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mysql.h>

#include "bpg_db_int.h"
#include "bpg_db_monbatch.h"

/* x repeated 255 (3 * 5 * 17) times: the slots after the first. */
#define REP3(x) x x x
#define REP5(x) x x x x x
#define REP17(x) x x x x x x x x x x x x x x x x x
#define REP255(x) REP3(REP5(REP17(x)))

_Static_assert(BPG_DB_MONBATCH_MAX == 256, "the statements have 256 slots");

static const char *const monbatch_sql[ST__MAX] = {
    [ST_MON_READ_MANY] =
	"SELECT submission_id, status, app_id, start_time IS NOT NULL, "
	"finished_time IS NOT NULL, "
	"COALESCE(status = 'LOST' AND error_message = '" BPG_DB_NEVER_SEEN
	"', 0) FROM @DB@.application_submission WHERE submission_id IN (?"
	REP255(",?") ")",
    /* ST_MON_STATE of bpg_db_monitor.c, a row per application. */
    [ST_MON_STATE_MANY] =
	"INSERT INTO @DB@.application_submission "
	"(submission_id, status, app_id) VALUES (?,?,?)"
	REP255(",(?,?,?)") " ON DUPLICATE KEY UPDATE "
	"status = IF(finished_time IS NULL, "
	"COALESCE(VALUES(status), status), status), "
	"app_id = COALESCE(VALUES(app_id), app_id)",
};

void
db_monbatch_sql(struct bpg_db *db)
{
	db_sql_table(db, monbatch_sql);
}

struct read_args {
	const char *const *ids;
	size_t n;
};

static void
fetched(char *dst, size_t dstsz, const char *buf, unsigned long len,
    my_bool null, bool *present)
{
	*present = !null;
	if (null) {
		dst[0] = '\0';
		return;
	}
	if (len >= dstsz)
		len = (unsigned long)dstsz - 1;
	memcpy(dst, buf, len);
	dst[len] = '\0';
}

/* The result buffers of one fetched row. */
struct read_buf {
	char id[BPG_DB_MAX_TEXT_FIELD];
	char status[BPG_DB_MAX_TEXT_FIELD];
	char app_id[BPG_DB_MAX_TEXT_FIELD];
	long long started, finished, never;
	unsigned long len[6];
	my_bool null[6], err[6];
};

static enum bpg_err
op_read_many(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct read_args *a = in;
	struct bpg_db_app *rows = out, row;
	MYSQL_BIND *param = NULL, res[6];
	unsigned long *plen = NULL;
	my_bool *pnull = NULL;
	struct read_buf *r = NULL;
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;
	int rc;

	memset(rows, 0, a->n * sizeof(*rows));
	if ((e = db_prepared(db, ST_MON_READ_MANY, &st, ei)) != BPG_OK)
		return e;
	param = calloc(BPG_DB_MONBATCH_MAX, sizeof(*param));
	plen = calloc(BPG_DB_MONBATCH_MAX, sizeof(*plen));
	pnull = calloc(BPG_DB_MONBATCH_MAX, sizeof(*pnull));
	r = calloc(1, sizeof(*r));
	if (param == NULL || plen == NULL || pnull == NULL || r == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
		goto out;
	}
	for (i = 0; i < BPG_DB_MONBATCH_MAX; i++)
		db_bind_str(&param[i], a->ids[i < a->n ? i : a->n - 1],
		    &plen[i], &pnull[i]);
	db_bind_out(&res[0], MYSQL_TYPE_STRING, r->id, sizeof(r->id),
	    &r->len[0], &r->null[0], &r->err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_STRING, r->status, sizeof(r->status),
	    &r->len[1], &r->null[1], &r->err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_STRING, r->app_id, sizeof(r->app_id),
	    &r->len[2], &r->null[2], &r->err[2]);
	db_bind_out(&res[3], MYSQL_TYPE_LONGLONG, &r->started, 0, &r->len[3],
	    &r->null[3], &r->err[3]);
	db_bind_out(&res[4], MYSQL_TYPE_LONGLONG, &r->finished, 0,
	    &r->len[4], &r->null[4], &r->err[4]);
	db_bind_out(&res[5], MYSQL_TYPE_LONGLONG, &r->never, 0, &r->len[5],
	    &r->null[5], &r->err[5]);
	if ((e = db_stmt_query(db, st, param, res,
	    "read application states", ei)) != BPG_OK)
		goto out_free;
	for (;;) {
		bool has_id;
		char id[BPG_DB_MAX_TEXT_FIELD];

		rc = mysql_stmt_fetch(st);
		if (rc == MYSQL_NO_DATA)
			break;
		if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
			e = db_stmt_fail(db, st, "read application states", ei);
			goto out_free;
		}
		memset(&row, 0, sizeof(row));
		row.found = true;
		fetched(id, sizeof(id), r->id, r->len[0], r->null[0], &has_id);
		fetched(row.status, sizeof(row.status), r->status, r->len[1],
		    r->null[1], &row.has_status);
		fetched(row.app_id, sizeof(row.app_id), r->app_id, r->len[2],
		    r->null[2], &row.has_app_id);
		row.started = !r->null[3] && r->started != 0;
		row.finished = !r->null[4] && r->finished != 0;
		row.never_seen = !r->null[5] && r->never != 0;
		/*
		 * The key's collation decides what "=" matched in the single
		 * read; IDs are DNS names here, so case is all it could fold.
		 */
		for (i = 0; has_id && i < a->n; i++)
			if (strcasecmp(a->ids[i], id) == 0)
				rows[i] = row;
	}
out_free:
	mysql_stmt_free_result(st);
out:
	free(r);
	free(pnull);
	free(plen);
	free(param);
	return e;
}

enum bpg_err
bpg_db_monitor_read_many(struct bpg_db *db, const char *const *ids,
    size_t n, struct bpg_db_app *rows, struct bpg_errinfo *ei)
{
	struct read_args a = {ids, n};
	enum bpg_err e;
	size_t i;

	if (db == NULL || ids == NULL || rows == NULL || n == 0 ||
	    n > BPG_DB_MONBATCH_MAX)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: no handle, or a batch of %zu IDs", n);
	memset(rows, 0, n * sizeof(*rows));
	for (i = 0; i < n; i++)
		if ((e = db_check_id(ids[i], ei)) != BPG_OK)
			return e;
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_read_many, &a, rows, ei);
}

struct state_many_args {
	const struct bpg_db_state_row *rows;
	size_t n;
};

static enum bpg_err
op_state_many(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct state_many_args *a = in;
	enum { SLOTS = 3 * BPG_DB_MONBATCH_MAX };
	MYSQL_BIND *b;
	unsigned long *len;
	my_bool *null;
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;

	(void)out;
	if ((e = db_prepared(db, ST_MON_STATE_MANY, &st, ei)) != BPG_OK)
		return e;
	b = calloc(SLOTS, sizeof(*b));
	len = calloc(SLOTS, sizeof(*len));
	null = calloc(SLOTS, sizeof(*null));
	if (b == NULL || len == NULL || null == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
		goto out;
	}
	for (i = 0; i < BPG_DB_MONBATCH_MAX; i++) {
		const struct bpg_db_state_row *r =
		    &a->rows[i < a->n ? i : a->n - 1];

		db_bind_str(&b[3 * i], r->id, &len[3 * i], &null[3 * i]);
		db_bind_str(&b[3 * i + 1], r->status, &len[3 * i + 1],
		    &null[3 * i + 1]);
		db_bind_str(&b[3 * i + 2], r->app_id, &len[3 * i + 2],
		    &null[3 * i + 2]);
	}
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		e = db_stmt_fail(db, st, "record application states", ei);
out:
	free(null);
	free(len);
	free(b);
	return e;
}

enum bpg_err
bpg_db_monitor_state_many(struct bpg_db *db,
    const struct bpg_db_state_row *rows, size_t n, struct bpg_errinfo *ei)
{
	struct state_many_args a = {rows, n};
	enum bpg_err e;
	size_t i;

	if (db == NULL || rows == NULL || n == 0 || n > BPG_DB_MONBATCH_MAX)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: no handle, or a batch of %zu rows", n);
	for (i = 0; i < n; i++) {
		if (rows[i].status == NULL)
			return bpg_errf(ei, BPG_EINVAL,
			    "database: no status for %s", rows[i].id);
		if ((e = db_check_id(rows[i].id, ei)) != BPG_OK ||
		    (e = db_check_varchar(rows[i].status, "status", ei)) !=
			BPG_OK ||
		    (e = db_check_varchar(rows[i].app_id, "app_id", ei)) !=
			BPG_OK)
			return e;
	}
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_state_many, &a, NULL, ei);
}
