/*
 * The outbox's old rows deleted (bpg_db_notify_purge(), bpg_db_notify.h).
 *
 * A finished event's next_ms is when its last attempt was planned (its
 * delivery or giving up, plus at most the back-off), so the index
 * bpg_outbox_due (state, next_ms) finds the old ones of each finished
 * state, oldest first.  Their attempts go with them, found by the delivery
 * log's index on submission_id.  One batch is one operation: under the
 * monitor's fence, one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "bpg_db_int.h"
#include "bpg_db_notify.h"

static const char *const purge_sql[ST__MAX] = {
    [ST_NTF_PURGE_PICK] =
	"SELECT id, submission_id, event_id FROM @DB@.bpg_notify_outbox "
	"WHERE state = ? AND next_ms < ? ORDER BY next_ms LIMIT ?",
    [ST_NTF_PURGE_DELIVERIES] =
	"DELETE FROM @DB@.bpg_notify_delivery "
	"WHERE submission_id = ? AND event_id = ?",
    [ST_NTF_PURGE_EVENT] =
	"DELETE FROM @DB@.bpg_notify_outbox WHERE id = ?",
};

void
db_notify_purge_sql(struct bpg_db *db)
{
	db_sql_table(db, purge_sql);
}

struct old_event {
	long long id;
	char sub[256];	/* VARCHAR(255) */
	char event_id[BPG_DB_NOTIFY_MAX_EVENT_ID + 1];
};

struct purge {
	long long before_ms;
	size_t max;
	struct old_event *ev;	/* max of them */
	unsigned long long deleted;
};


/* Up to want old events of state into p->ev[*n..]. */
static enum bpg_err
pick(struct bpg_db *db, const char *state, struct purge *p, size_t *n,
    struct bpg_errinfo *ei)
{
	struct old_event row;
	MYSQL_BIND param[3], res[3];
	unsigned long plen, len[3];
	my_bool pnull, null[3], err[3];
	long long before = p->before_ms, lim = (long long)(p->max - *n);
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	if ((e = db_prepared(db, ST_NTF_PURGE_PICK, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&param[0], state, &plen, &pnull);
	db_bind_ll(&param[1], &before);
	db_bind_ll(&param[2], &lim);
	memset(&row, 0, sizeof(row));
	db_bind_out(&res[0], MYSQL_TYPE_LONGLONG, &row.id, 0, &len[0],
	    &null[0], &err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_STRING, row.sub, sizeof(row.sub),
	    &len[1], &null[1], &err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_STRING, row.event_id,
	    sizeof(row.event_id), &len[2], &null[2], &err[2]);
	if ((e = db_stmt_query(db, st, param, res, "read old notifications",
	    ei)) != BPG_OK)
		return e;
	while (*n < p->max && ((rc = mysql_stmt_fetch(st)) == 0 ||
	    rc == MYSQL_DATA_TRUNCATED)) {
		/* Both columns are NOT NULL and fit their buffers. */
		row.sub[len[1] < sizeof(row.sub) ? len[1] :
		    sizeof(row.sub) - 1] = '\0';
		row.event_id[len[2] < sizeof(row.event_id) ? len[2] :
		    sizeof(row.event_id) - 1] = '\0';
		p->ev[(*n)++] = row;
	}
	mysql_stmt_free_result(st);
	return BPG_OK;
}

static enum bpg_err
op_purge(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	static const char *const finished[] = { BPG_DB_NOTIFY_SENT,
	    BPG_DB_NOTIFY_FAILED };
	struct purge *p = out;
	MYSQL_BIND b[2];
	unsigned long len[2];
	my_bool null[2];
	MYSQL_STMT *del, *ev;
	size_t i, n = 0;
	enum bpg_err e;

	(void)in;
	p->deleted = 0;
	for (i = 0; i < sizeof(finished) / sizeof(finished[0]) && n < p->max;
	    i++)
		if ((e = pick(db, finished[i], p, &n, ei)) != BPG_OK)
			return e;
	if (n == 0)
		return BPG_OK;
	if ((e = db_prepared(db, ST_NTF_PURGE_DELIVERIES, &del, ei)) !=
	    BPG_OK ||
	    (e = db_prepared(db, ST_NTF_PURGE_EVENT, &ev, ei)) != BPG_OK)
		return e;
	for (i = 0; i < n; i++) {
		db_bind_str(&b[0], p->ev[i].sub, &len[0], &null[0]);
		db_bind_str(&b[1], p->ev[i].event_id, &len[1], &null[1]);
		if (mysql_stmt_bind_param(del, b) != 0 ||
		    mysql_stmt_execute(del) != 0)
			return db_stmt_fail(db, del, "delete old attempts", ei);
		db_bind_ll(&b[0], &p->ev[i].id);
		if (mysql_stmt_bind_param(ev, b) != 0 ||
		    mysql_stmt_execute(ev) != 0)
			return db_stmt_fail(db, ev, "delete an old "
			    "notification", ei);
		p->deleted += mysql_stmt_affected_rows(ev);
	}
	return BPG_OK;
}

enum bpg_err
bpg_db_notify_purge(struct bpg_db *db, long long before_ms, size_t max,
    unsigned long long *deleted, struct bpg_errinfo *ei)
{
	struct purge p = { before_ms, max, NULL, 0 };
	enum bpg_err e;

	*deleted = 0;
	if (db == NULL || max == 0)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or batch");
	if (!db->enabled)
		return BPG_OK;
	if ((p.ev = calloc(max, sizeof(*p.ev))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	e = db_with_retry(db, op_purge, NULL, &p, ei);
	if (e == BPG_OK)
		*deleted = p.deleted;
	free(p.ev);
	return e;
}
