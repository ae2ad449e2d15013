/*
 * The tables bpg_schedule and bpg_schedule_fire (bpg_db_schedules.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>
#include <mysqld_error.h>

#include "bpg_db_int.h"
#include "bpg_db_schedules.h"

#define SCH_COLS                                                              \
	"schedule_id, owner, name, cron, timezone, concurrency_policy, "      \
	"suspend, starting_deadline_s, anchor_time, next_fire_time, "         \
	"last_fire_time, UNIX_TIMESTAMP(created_time), "                      \
	"UNIX_TIMESTAMP(COALESCE(updated_time, created_time)), request"
#define FIRE_COLS                                                             \
	"f.schedule_id, f.fire_time, f.submission_id, f.state, a.status, "    \
	"a.finished_time IS NOT NULL"
#define FIRE_JOIN                                                             \
	" FROM @DB@.bpg_schedule_fire f LEFT JOIN "                           \
	"@DB@.application_submission a ON a.submission_id = f.submission_id "

static const char *const schedules_sql[ST__MAX] = {
    [ST_SCH_INSERT] =
	"INSERT INTO @DB@.bpg_schedule (schedule_id, owner, name, cron, "
	"timezone, concurrency_policy, suspend, starting_deadline_s, "
	"anchor_time, next_fire_time, last_fire_time, request) "
	"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_SCH_GET] =
	"SELECT " SCH_COLS " FROM @DB@.bpg_schedule WHERE schedule_id = ?",
    [ST_SCH_LIST_OWNER] =
	"SELECT " SCH_COLS " FROM @DB@.bpg_schedule WHERE owner = ? "
	"ORDER BY created_time, schedule_id LIMIT 1000",
    [ST_SCH_LIST_ALL] =
	"SELECT " SCH_COLS " FROM @DB@.bpg_schedule "
	"ORDER BY created_time, schedule_id LIMIT 1000",
    [ST_SCH_REPLACE] =
	"UPDATE @DB@.bpg_schedule SET name = ?, cron = ?, timezone = ?, "
	"concurrency_policy = ?, suspend = ?, starting_deadline_s = ?, "
	"anchor_time = ?, next_fire_time = ?, request = ?, "
	"updated_time = CURRENT_TIMESTAMP WHERE schedule_id = ?",
    [ST_SCH_SUSPEND] =
	"UPDATE @DB@.bpg_schedule SET suspend = ?, next_fire_time = ?, "
	"anchor_time = ?, updated_time = CURRENT_TIMESTAMP "
	"WHERE schedule_id = ?",
    [ST_SCH_TRIGGER] =
	"UPDATE @DB@.bpg_schedule SET next_fire_time = "
	"LEAST(COALESCE(next_fire_time, ?), ?), "
	"updated_time = CURRENT_TIMESTAMP WHERE schedule_id = ?",
    [ST_SCH_DELETE] =
	"DELETE FROM @DB@.bpg_schedule WHERE schedule_id = ?",
    [ST_SCH_FIRES_DELETE] =
	"DELETE FROM @DB@.bpg_schedule_fire WHERE schedule_id = ?",
    [ST_SCH_DUE] =
	"SELECT " SCH_COLS " FROM @DB@.bpg_schedule "
	"WHERE suspend = 0 AND next_fire_time <= ? "
	"ORDER BY next_fire_time LIMIT ?",
    [ST_SCH_ADVANCE] =
	"UPDATE @DB@.bpg_schedule SET next_fire_time = ?, "
	"last_fire_time = IF(? < 0, last_fire_time, "
	"GREATEST(COALESCE(last_fire_time, 0), ?)) "
	"WHERE schedule_id = ? AND next_fire_time = ?",
    [ST_FIRE_INSERT] =
	"INSERT INTO @DB@.bpg_schedule_fire (schedule_id, fire_time, "
	"submission_id, state, message) VALUES (?, ?, ?, ?, ?)",
    [ST_FIRE_GET] =
	"SELECT " FIRE_COLS FIRE_JOIN
	"WHERE f.schedule_id = ? AND f.fire_time = ?",
    [ST_FIRE_STATE] =
	"UPDATE @DB@.bpg_schedule_fire SET state = ?, "
	"message = COALESCE(?, message), updated_time = CURRENT_TIMESTAMP "
	"WHERE schedule_id = ? AND fire_time = ? AND state = ?",
    [ST_FIRE_PENDING] =
	"SELECT " FIRE_COLS FIRE_JOIN "WHERE f.state = 'pending' "
	"ORDER BY f.created_time LIMIT ?",
    [ST_FIRE_RECENT] =
	"SELECT " FIRE_COLS FIRE_JOIN
	"WHERE f.schedule_id = ? AND f.submission_id IS NOT NULL "
	"ORDER BY f.fire_time DESC LIMIT ?",
    [ST_FIRE_OF] =
	"SELECT " FIRE_COLS FIRE_JOIN "WHERE f.submission_id = ?",
};

void
db_schedules_sql(struct bpg_db *db)
{
	db_sql_table(db, schedules_sql);
}

const char *
bpg_db_schedules_sql(const struct bpg_db *db, enum bpg_db_sched_stmt which)
{
	static const enum stmt_id ids[BPG_DB_SCHED__MAX] = {
		[BPG_DB_SCHED_DUE] = ST_SCH_DUE,
		[BPG_DB_SCHED_GET] = ST_SCH_GET,
		[BPG_DB_SCHED_ADVANCE] = ST_SCH_ADVANCE,
		[BPG_DB_SCHED_FIRE_PENDING] = ST_FIRE_PENDING,
		[BPG_DB_SCHED_FIRE_GET] = ST_FIRE_GET,
		[BPG_DB_SCHED_FIRE_STATE] = ST_FIRE_STATE,
		[BPG_DB_SCHED_FIRE_RECENT] = ST_FIRE_RECENT,
		[BPG_DB_SCHED_FIRE_OF] = ST_FIRE_OF,
	};

	if (db == NULL || (unsigned)which >= BPG_DB_SCHED__MAX)
		return NULL;
	return db->sql[ids[which]];
}

void
bpg_db_schedule_reset(struct bpg_db_schedule *s)
{
	if (s == NULL)
		return;
	free(s->request);
	s->request = NULL;
}

/*
 * Parameters: a string (NULL: SQL NULL) or a number (NULL for a
 * negative one when null_neg).
 */
struct prm {
	const char *s;
	long long i;
	bool num, null_neg;
};

#define MAXP 12
#define PS(v) {(v), 0, false, false}
#define PI(v) {NULL, (long long)(v), true, false}
#define PT(v) {NULL, (long long)(v), true, true} /* a time, -1: NULL */

struct params {
	struct prm p[MAXP];
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
		if (!ps->p[i].num) {
			db_bind_str(&ps->b[i], ps->p[i].s, &ps->len[i],
			    &ps->null[i]);
			continue;
		}
		ps->null[i] = ps->p[i].null_neg && ps->p[i].i < 0;
		ps->b[i].buffer_type = MYSQL_TYPE_LONGLONG;
		ps->b[i].buffer = &ps->p[i].i;
		ps->b[i].is_null = &ps->null[i];
	}
}

/* A write: affected rows, and whether the key was taken. */
struct wr {
	enum stmt_id id;
	struct params ps;
	bool changed, dup;
};

static enum bpg_err
op_write(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct wr *w = out;
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)in;
	w->changed = w->dup = false;
	if ((e = db_prepared(db, w->id, &st, ei)) != BPG_OK)
		return e;
	bind_params(&w->ps);
	if (mysql_stmt_bind_param(st, w->ps.b) != 0)
		return db_stmt_fail(db, st, "write schedule", ei);
	if (mysql_stmt_execute(st) != 0) {
		if (mysql_stmt_errno(st) == ER_DUP_ENTRY) {
			w->dup = true;
			return BPG_OK;
		}
		return db_stmt_fail(db, st, "write schedule", ei);
	}
	w->changed = mysql_stmt_affected_rows(st) > 0;
	return BPG_OK;
}

static enum bpg_err
run_write(struct bpg_db *db, struct wr *w, struct bpg_errinfo *ei)
{
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	w->changed = w->dup = false;
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_write, NULL, w, ei);
}

/* A schedule ID fit for its column. */
static enum bpg_err
check_sid(const char *id, struct bpg_errinfo *ei)
{
	if (id == NULL || id[0] == '\0' || strlen(id) > BPG_DB_SCHED_MAX_ID)
		return bpg_errf(ei, BPG_EINVAL, "database: bad schedule ID");
	return BPG_OK;
}

/*
 * Reading schedules
 */

#define NSCH 14

struct sch_row {
	struct bpg_db_schedule s;
	long long suspend, deadline, anchor, next, last, created, updated;
	unsigned long len[NSCH];
	my_bool null[NSCH], err[NSCH];
};

struct sch_sel {
	enum stmt_id id;
	struct params ps;
	bool with_request;
	struct bpg_db_schedule *out;
	size_t max, n;
};

static void
sch_bind(MYSQL_BIND res[NSCH], struct sch_row *r)
{
	struct bpg_db_schedule *s = &r->s;
	char *str[6] = {s->id, s->owner, s->name, s->cron, s->timezone,
	    s->policy};
	size_t sz[6] = {sizeof(s->id), sizeof(s->owner), sizeof(s->name),
	    sizeof(s->cron), sizeof(s->timezone), sizeof(s->policy)};
	long long *num[7] = {&r->suspend, &r->deadline, &r->anchor, &r->next,
	    &r->last, &r->created, &r->updated};
	size_t i;

	memset(res, 0, NSCH * sizeof(*res));
	memset(r, 0, sizeof(*r));
	for (i = 0; i < 6; i++)
		db_bind_out(&res[i], MYSQL_TYPE_STRING, str[i],
		    (unsigned long)sz[i], &r->len[i], &r->null[i], &r->err[i]);
	for (i = 0; i < 7; i++)
		db_bind_out(&res[6 + i], MYSQL_TYPE_LONGLONG, num[i], 0,
		    &r->len[6 + i], &r->null[6 + i], &r->err[6 + i]);
	/* The request: its length first, then fetched column alone. */
	res[13].buffer_type = MYSQL_TYPE_STRING;
	res[13].buffer = NULL;
	res[13].buffer_length = 0;
	res[13].length = &r->len[13];
	res[13].is_null = &r->null[13];
	res[13].error = &r->err[13];
}

/* The fetched row into out; false leaves it out (a value cut short). */
static bool
sch_take(struct sch_row *r, struct bpg_db_schedule *out)
{
	struct bpg_db_schedule *s = &r->s;
	char *str[6] = {s->id, s->owner, s->name, s->cron, s->timezone,
	    s->policy};
	size_t sz[6] = {sizeof(s->id), sizeof(s->owner), sizeof(s->name),
	    sizeof(s->cron), sizeof(s->timezone), sizeof(s->policy)};
	size_t i;

	for (i = 0; i < 6; i++) {
		if (r->null[i] || r->len[i] >= sz[i])
			return false;
		str[i][r->len[i]] = '\0';
	}
	s->suspend = r->suspend != 0;
	s->deadline_s = r->null[7] ? -1 : r->deadline;
	s->anchor = r->anchor;
	s->next_fire = r->null[9] ? -1 : r->next;
	s->last_fire = r->null[10] ? -1 : r->last;
	s->created = r->created;
	s->updated = r->updated;
	s->request = NULL;
	*out = *s;
	return true;
}

static enum bpg_err
op_sch_select(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct sch_sel *q = out;
	struct sch_row r;
	MYSQL_BIND res[NSCH], col;
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;
	char *req;
	int rc;

	(void)in;
	for (i = 0; i < q->n; i++)
		bpg_db_schedule_reset(&q->out[i]);
	q->n = 0;
	if ((e = db_prepared(db, q->id, &st, ei)) != BPG_OK)
		return e;
	sch_bind(res, &r);
	bind_params(&q->ps);
	if ((e = db_stmt_query(db, st, q->ps.b, res, "read schedules",
	    ei)) != BPG_OK)
		goto out;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if (q->n >= q->max || !sch_take(&r, &q->out[q->n]))
			continue;
		if (q->with_request && !r.null[13]) {
			if ((req = malloc(r.len[13] + 1)) == NULL) {
				e = bpg_errf(ei, BPG_ENOMEM,
				    "database: out of memory");
				goto out;
			}
			memset(&col, 0, sizeof(col));
			col.buffer_type = MYSQL_TYPE_STRING;
			col.buffer = req;
			col.buffer_length = r.len[13] + 1;
			if (r.len[13] > 0 &&
			    mysql_stmt_fetch_column(st, &col, 13, 0) != 0) {
				free(req);
				e = db_stmt_fail(db, st, "read schedule", ei);
				goto out;
			}
			req[r.len[13]] = '\0';
			q->out[q->n].request = req;
		}
		q->n++;
	}
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "read schedules", ei);
out:
	if (e != BPG_OK) {
		for (i = 0; i < q->n; i++)
			bpg_db_schedule_reset(&q->out[i]);
		q->n = 0;
	}
	mysql_stmt_free_result(st);
	return e;
}

static enum bpg_err
sch_select(struct bpg_db *db, struct sch_sel *q, size_t *n,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	*n = 0;
	if (db == NULL || (q->max > 0 && q->out == NULL))
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or rows");
	if (!db->enabled)
		return BPG_OK;
	if ((e = db_with_retry(db, op_sch_select, NULL, q, ei)) == BPG_OK)
		*n = q->n;
	return e;
}

enum bpg_err
bpg_db_schedule_get(struct bpg_db *db, const char *id,
    struct bpg_db_schedule *s, bool *found, struct bpg_errinfo *ei)
{
	struct sch_sel q = {ST_SCH_GET, {{PS(id)}, 1, {{0}}, {0}, {0}}, true,
	    s, 1, 0};
	size_t n = 0;
	enum bpg_err e;

	*found = false;
	if ((e = check_sid(id, ei)) != BPG_OK)
		return e;
	e = sch_select(db, &q, &n, ei);
	*found = e == BPG_OK && n == 1;
	return e;
}

enum bpg_err
bpg_db_schedule_list(struct bpg_db *db, const char *owner,
    struct bpg_db_schedule *out, size_t max, size_t *n,
    struct bpg_errinfo *ei)
{
	struct sch_sel q = {owner != NULL ? ST_SCH_LIST_OWNER :
	    ST_SCH_LIST_ALL, {{PS(owner)}, owner != NULL ? 1 : 0, {{0}}, {0},
	    {0}}, false, out, max, 0};

	return sch_select(db, &q, n, ei);
}

enum bpg_err
bpg_db_schedule_due(struct bpg_db *db, int64_t now,
    struct bpg_db_schedule *out, size_t max, size_t *n,
    struct bpg_errinfo *ei)
{
	struct sch_sel q = {ST_SCH_DUE, {{PI(now), PI(max)}, 2, {{0}}, {0},
	    {0}}, true, out, max, 0};

	return sch_select(db, &q, n, ei);
}

/*
 * Writing schedules
 */

static enum bpg_err
check_fields(const struct bpg_db_schedule *s, struct bpg_errinfo *ei)
{
	if (s->request == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no request");
	if (strlen(s->request) > DB_MAX_TEXT * 256 - 1)
		return bpg_errf(ei, BPG_ETOOBIG, "database: request too long");
	return check_sid(s->id, ei);
}

enum bpg_err
bpg_db_schedule_insert(struct bpg_db *db, const struct bpg_db_schedule *s,
    struct bpg_errinfo *ei)
{
	struct wr w = {ST_SCH_INSERT, {{PS(s->id), PS(s->owner), PS(s->name),
	    PS(s->cron), PS(s->timezone), PS(s->policy), PI(s->suspend),
	    PT(s->deadline_s), PI(s->anchor), PT(s->next_fire),
	    PT(s->last_fire), PS(s->request)}, 12, {{0}}, {0}, {0}}, false,
	    false};
	enum bpg_err e;

	if ((e = check_fields(s, ei)) != BPG_OK ||
	    (e = run_write(db, &w, ei)) != BPG_OK)
		return e;
	if (w.dup)
		return bpg_errf(ei, BPG_EEXIST, "schedule %s exists", s->id);
	return BPG_OK;
}

enum bpg_err
bpg_db_schedule_replace(struct bpg_db *db, const struct bpg_db_schedule *s,
    bool *found, struct bpg_errinfo *ei)
{
	struct wr w = {ST_SCH_REPLACE, {{PS(s->name), PS(s->cron),
	    PS(s->timezone), PS(s->policy), PI(s->suspend), PT(s->deadline_s),
	    PI(s->anchor), PT(s->next_fire), PS(s->request), PS(s->id)}, 10,
	    {{0}}, {0}, {0}}, false, false};
	struct bpg_db_schedule cur;
	enum bpg_err e;

	*found = false;
	if ((e = check_fields(s, ei)) != BPG_OK ||
	    (e = run_write(db, &w, ei)) != BPG_OK)
		return e;
	if (w.changed) {
		*found = true;
		return BPG_OK;
	}
	/* Same values in the same second change no row: still found. */
	memset(&cur, 0, sizeof(cur));
	e = bpg_db_schedule_get(db, s->id, &cur, found, ei);
	bpg_db_schedule_reset(&cur);
	return e;
}

static enum bpg_err
write_found(struct bpg_db *db, struct wr *w, const char *id, bool *found,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	*found = false;
	if ((e = check_sid(id, ei)) != BPG_OK ||
	    (e = run_write(db, w, ei)) != BPG_OK)
		return e;
	*found = w->changed;
	return BPG_OK;
}

enum bpg_err
bpg_db_schedule_set_suspend(struct bpg_db *db, const char *id, bool suspend,
    int64_t next_fire, int64_t anchor, bool *found, struct bpg_errinfo *ei)
{
	struct wr w = {ST_SCH_SUSPEND, {{PI(suspend), PT(next_fire),
	    PI(anchor), PS(id)}, 4, {{0}}, {0}, {0}}, false, false};

	return write_found(db, &w, id, found, ei);
}

enum bpg_err
bpg_db_schedule_trigger(struct bpg_db *db, const char *id, int64_t now,
    bool *found, struct bpg_errinfo *ei)
{
	struct wr w = {ST_SCH_TRIGGER, {{PI(now), PI(now), PS(id)}, 3, {{0}},
	    {0}, {0}}, false, false};

	return write_found(db, &w, id, found, ei);
}

enum bpg_err
bpg_db_schedule_delete(struct bpg_db *db, const char *id, bool *found,
    struct bpg_errinfo *ei)
{
	struct wr w = {ST_SCH_DELETE, {{PS(id)}, 1, {{0}}, {0}, {0}}, false,
	    false};
	struct wr f = {ST_SCH_FIRES_DELETE, {{PS(id)}, 1, {{0}}, {0}, {0}},
	    false, false};
	enum bpg_err e;

	if ((e = write_found(db, &w, id, found, ei)) != BPG_OK)
		return e;
	return run_write(db, &f, ei);
}

enum bpg_err
bpg_db_schedule_advance(struct bpg_db *db, const char *id, int64_t old_next,
    int64_t new_next, int64_t fired, bool *changed, struct bpg_errinfo *ei)
{
	struct wr w = {ST_SCH_ADVANCE, {{PT(new_next), PI(fired), PI(fired),
	    PS(id), PI(old_next)}, 5, {{0}}, {0}, {0}}, false, false};

	return write_found(db, &w, id, changed, ei);
}

/*
 * Fires
 */

#define NFIRE 6

struct fire_row {
	struct bpg_db_fire f;
	long long t, finished;
	unsigned long len[NFIRE];
	my_bool null[NFIRE], err[NFIRE];
};

struct fire_sel {
	enum stmt_id id;
	struct params ps;
	struct bpg_db_fire *out;
	size_t max, n;
};

static enum bpg_err
op_fire_select(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct fire_sel *q = out;
	struct fire_row r;
	struct bpg_db_fire *f = &r.f;
	MYSQL_BIND res[NFIRE];
	MYSQL_STMT *st;
	enum bpg_err e;
	char *str[4];
	size_t sz[4], i;
	int rc;

	(void)in;
	q->n = 0;
	if ((e = db_prepared(db, q->id, &st, ei)) != BPG_OK)
		return e;
	memset(res, 0, sizeof(res));
	memset(&r, 0, sizeof(r));
	str[0] = f->schedule_id, sz[0] = sizeof(f->schedule_id);
	str[1] = f->submission_id, sz[1] = sizeof(f->submission_id);
	str[2] = f->state, sz[2] = sizeof(f->state);
	str[3] = f->status, sz[3] = sizeof(f->status);
	db_bind_out(&res[0], MYSQL_TYPE_STRING, str[0], (unsigned long)sz[0],
	    &r.len[0], &r.null[0], &r.err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_LONGLONG, &r.t, 0, &r.len[1],
	    &r.null[1], &r.err[1]);
	for (i = 1; i < 4; i++)
		db_bind_out(&res[i + 1], MYSQL_TYPE_STRING, str[i],
		    (unsigned long)sz[i], &r.len[i + 1], &r.null[i + 1],
		    &r.err[i + 1]);
	db_bind_out(&res[5], MYSQL_TYPE_LONGLONG, &r.finished, 0, &r.len[5],
	    &r.null[5], &r.err[5]);
	bind_params(&q->ps);
	if ((e = db_stmt_query(db, st, q->ps.b, res, "read fires",
	    ei)) != BPG_OK)
		goto out;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		bool ok = q->n < q->max;

		for (i = 0; ok && i < 4; i++) {
			size_t k = i == 0 ? 0 : i + 1;

			if (r.null[k])
				str[i][0] = '\0';
			else if (r.len[k] >= sz[i])
				ok = false;
			else
				str[i][r.len[k]] = '\0';
		}
		if (!ok)
			continue;
		f->fire_time = r.t;
		f->finished = !r.null[5] && r.finished != 0;
		q->out[q->n++] = *f;
	}
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "read fires", ei);
out:
	mysql_stmt_free_result(st);
	return e;
}

static enum bpg_err
fire_select(struct bpg_db *db, struct fire_sel *q, size_t *n,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	*n = 0;
	if (db == NULL || (q->max > 0 && q->out == NULL))
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or rows");
	if (!db->enabled)
		return BPG_OK;
	if ((e = db_with_retry(db, op_fire_select, NULL, q, ei)) == BPG_OK)
		*n = q->n;
	return e;
}

enum bpg_err
bpg_db_fire_insert(struct bpg_db *db, struct bpg_db_fire *f,
    const char *message, struct bpg_errinfo *ei)
{
	char msg[BPG_DB_MAX_ERROR_MESSAGE + 1];
	struct wr w = {ST_FIRE_INSERT, {{PS(f->schedule_id), PI(f->fire_time),
	    PS(f->submission_id[0] != '\0' ? f->submission_id : NULL),
	    PS(f->state), PS(NULL)}, 5, {{0}}, {0}, {0}}, false, false};
	struct fire_sel q = {ST_FIRE_GET, {{PS(f->schedule_id),
	    PI(f->fire_time)}, 2, {{0}}, {0}, {0}}, f, 1, 0};
	size_t n = 0;
	enum bpg_err e;

	if ((e = check_sid(f->schedule_id, ei)) != BPG_OK)
		return e;
	if (message != NULL) {
		snprintf(msg, sizeof(msg), "%s", message);
		w.ps.p[4].s = msg;
	}
	if ((e = run_write(db, &w, ei)) != BPG_OK || !w.dup)
		return e;
	/* The fire is another's, or ours sent again: *f becomes the row. */
	if ((e = fire_select(db, &q, &n, ei)) != BPG_OK)
		return e;
	return bpg_errf(ei, BPG_EEXIST, "fire %lld of schedule %s exists",
	    (long long)f->fire_time, f->schedule_id);
}

enum bpg_err
bpg_db_fire_set_state(struct bpg_db *db, const char *id, int64_t t,
    const char *from, const char *to, const char *message, bool *changed,
    struct bpg_errinfo *ei)
{
	char msg[BPG_DB_MAX_ERROR_MESSAGE + 1];
	struct wr w = {ST_FIRE_STATE, {{PS(to), PS(NULL), PS(id), PI(t),
	    PS(from)}, 5, {{0}}, {0}, {0}}, false, false};
	bool dummy;

	if (message != NULL) {
		snprintf(msg, sizeof(msg), "%s", message);
		w.ps.p[1].s = msg;
	}
	return write_found(db, &w, id, changed != NULL ? changed : &dummy,
	    ei);
}

enum bpg_err
bpg_db_fire_pending(struct bpg_db *db, struct bpg_db_fire *out, size_t max,
    size_t *n, struct bpg_errinfo *ei)
{
	struct fire_sel q = {ST_FIRE_PENDING, {{PI(max)}, 1, {{0}}, {0},
	    {0}}, out, max, 0};

	return fire_select(db, &q, n, ei);
}

enum bpg_err
bpg_db_fire_recent(struct bpg_db *db, const char *id,
    struct bpg_db_fire *out, size_t max, size_t *n, struct bpg_errinfo *ei)
{
	struct fire_sel q = {ST_FIRE_RECENT, {{PS(id), PI(max)}, 2, {{0}},
	    {0}, {0}}, out, max, 0};
	enum bpg_err e;

	*n = 0;
	if ((e = check_sid(id, ei)) != BPG_OK)
		return e;
	return fire_select(db, &q, n, ei);
}

enum bpg_err
bpg_db_fire_schedule_of(struct bpg_db *db, const char *submission_id,
    char id[BPG_DB_SCHED_MAX_ID + 1], struct bpg_errinfo *ei)
{
	struct bpg_db_fire f;
	struct fire_sel q = {ST_FIRE_OF, {{PS(submission_id)}, 1, {{0}}, {0},
	    {0}}, &f, 1, 0};
	size_t n = 0;
	enum bpg_err e;

	id[0] = '\0';
	if ((e = db_check_id(submission_id, ei)) != BPG_OK ||
	    (e = fire_select(db, &q, &n, ei)) != BPG_OK)
		return e;
	if (n == 1)
		memcpy(id, f.schedule_id, BPG_DB_SCHED_MAX_ID + 1);
	return BPG_OK;
}
