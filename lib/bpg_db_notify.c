/*
 * Notifications' tables (bpg_db_notify.h) and the events written with a
 * state change (bpg_db_int.h: db_notify_begin(), db_notify_commit()).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#include <jansson.h>

#include "bpg_db_int.h"
#include "bpg_db_notify.h"

static const char *const notify_sql[ST__MAX] = {
    [ST_NTF_TARGET] =
	"INSERT IGNORE INTO @DB@.bpg_notify_target "
	"(submission_id, idx, url, format, on_states, cluster) "
	"VALUES (?, ?, ?, ?, ?, ?)",
    [ST_NTF_FORGET] =
	"DELETE FROM @DB@.bpg_notify_target WHERE submission_id = ?",
    [ST_NTF_TARGETS] =
	"SELECT idx, url, format, on_states, cluster "
	"FROM @DB@.bpg_notify_target WHERE submission_id = ? ORDER BY idx",
    [ST_NTF_LOCK] =
	"SELECT status, finished_time IS NOT NULL "
	"FROM @DB@.application_submission WHERE submission_id = ? FOR UPDATE",
    /* attempt: a move's (bpg_db_attempts.h), else the first. */
    [ST_NTF_ROW] =
	"SELECT status, `user`, queue, app_id, cost, error_message, "
	"COALESCE((SELECT t.attempt FROM @DB@.submission_attempt t "
	"WHERE t.submission_id = s.submission_id), 1) "
	"FROM @DB@.application_submission s WHERE s.submission_id = ?",
    [ST_NTF_COPY] =
	"INSERT IGNORE INTO @DB@.bpg_notify_target "
	"(submission_id, idx, url, format, on_states, cluster) "
	"SELECT ?, idx, url, format, on_states, ? "
	"FROM @DB@.bpg_notify_target WHERE submission_id = ?",
    [ST_NTF_EVENT] =
	"INSERT IGNORE INTO @DB@.bpg_notify_outbox "
	"(event_id, submission_id, url, body, attempts, first_ms, next_ms, "
	"state) VALUES (?, ?, ?, ?, 0, ?, ?, '" BPG_DB_NOTIFY_PENDING "')",
    [ST_NTF_DUE] =
	"SELECT id, event_id, submission_id, url, body, attempts, first_ms "
	"FROM @DB@.bpg_notify_outbox WHERE state = '" BPG_DB_NOTIFY_PENDING
	"' AND next_ms <= ? ORDER BY next_ms, id LIMIT ?",
    [ST_NTF_NEXT] =
	"SELECT MIN(next_ms) FROM @DB@.bpg_notify_outbox "
	"WHERE state = '" BPG_DB_NOTIFY_PENDING "'",
    [ST_NTF_UPDATE] =
	"UPDATE @DB@.bpg_notify_outbox SET state = ?, attempts = ?, "
	"next_ms = ?, last_status = ?, last_error = ? "
	"WHERE id = ? AND state = '" BPG_DB_NOTIFY_PENDING "'",
    [ST_NTF_DELIVERY] =
	"INSERT INTO @DB@.bpg_notify_delivery "
	"(event_id, submission_id, attempt, status_code, time_ms, error) "
	"VALUES (?, ?, ?, ?, ?, ?)",
    [ST_NTF_LIST_EVENTS] =
	"SELECT event_id, state, attempts, last_status, last_error "
	"FROM @DB@.bpg_notify_outbox WHERE submission_id = ? ORDER BY id "
	"LIMIT 1000",
    [ST_NTF_LIST_DELIVERIES] =
	"SELECT event_id, attempt, status_code, time_ms, error "
	"FROM @DB@.bpg_notify_delivery WHERE submission_id = ? ORDER BY id "
	"LIMIT 1000",
};

void
db_notify_sql(struct bpg_db *db)
{
	db_sql_table(db, notify_sql);
	db_notify_failed_sql(db);
	db_notify_purge_sql(db);
}


static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A string column fetched into buf: NUL-terminated, "" when NULL. */
static void
fetched(char *buf, size_t size, unsigned long len, my_bool null)
{
	if (null)
		len = 0;
	if (len >= size)
		len = size - 1;
	buf[len] = '\0';
}

/*
 * Receivers
 */

struct targets_args {
	const char *id, *cluster;
	const struct bpg_notify_spec *s;
};

static enum bpg_err
op_targets(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct targets_args *a = in;
	MYSQL_BIND b[6];
	unsigned long len[5];
	my_bool null[5];
	char on[128];
	MYSQL_STMT *st;
	enum bpg_err e;
	long long idx;
	size_t i, n;
	int k;

	(void)out;
	if ((e = db_prepared(db, ST_NTF_TARGET, &st, ei)) != BPG_OK)
		return e;
	for (i = 0; i < a->s->n; i++) {
		on[0] = '\0';
		for (k = 0, n = 0; k < BPG_NOTIFY__MAX; k++)
			if ((a->s->t[i].on & (1u << k)) != 0)
				n += (size_t)snprintf(on + n, sizeof(on) - n,
				    "%s%d", n > 0 ? "," : "", k);
		idx = (long long)i;
		db_bind_str(&b[0], a->id, &len[0], &null[0]);
		db_bind_ll(&b[1], &idx);
		db_bind_str(&b[2], a->s->t[i].url, &len[1], &null[1]);
		db_bind_str(&b[3], bpg_notify_format_name(a->s->t[i].format),
		    &len[2], &null[2]);
		db_bind_str(&b[4], on, &len[3], &null[3]);
		db_bind_str(&b[5], a->cluster, &len[4], &null[4]);
		if (mysql_stmt_bind_param(st, b) != 0 ||
		    mysql_stmt_execute(st) != 0)
			return db_stmt_fail(db, st, "record receivers", ei);
	}
	return BPG_OK;
}

enum bpg_err
bpg_db_notify_targets(struct bpg_db *db, const char *id, const char *cluster,
    const struct bpg_notify_spec *s, struct bpg_errinfo *ei)
{
	struct targets_args a = { id, cluster, s };
	enum bpg_err e;

	if (db == NULL || s == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(id, ei)) != BPG_OK ||
	    (e = db_check_varchar(cluster, "cluster", ei)) != BPG_OK)
		return e;
	if (!db->enabled || s->n == 0)
		return BPG_OK;
	return db_with_retry(db, op_targets, &a, NULL, ei);
}

static enum bpg_err
op_forget(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	MYSQL_BIND b;
	unsigned long len;
	my_bool null;
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = db_prepared(db, ST_NTF_FORGET, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&b, in, &len, &null);
	if (mysql_stmt_bind_param(st, &b) != 0 || mysql_stmt_execute(st) != 0)
		return db_stmt_fail(db, st, "forget receivers", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_notify_forget(struct bpg_db *db, const char *id,
    struct bpg_errinfo *ei)
{
	return db_run_by_id(db, id, op_forget, id, ei);
}

struct copy_args {
	const char *from, *to, *cluster;
};

static enum bpg_err
op_copy(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct copy_args *a = in;
	MYSQL_BIND b[3];
	unsigned long len[3];
	my_bool null[3];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = db_prepared(db, ST_NTF_COPY, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&b[0], a->to, &len[0], &null[0]);
	db_bind_str(&b[1], a->cluster, &len[1], &null[1]);
	db_bind_str(&b[2], a->from, &len[2], &null[2]);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return db_stmt_fail(db, st, "copy receivers", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_notify_copy_targets(struct bpg_db *db, const char *from,
    const char *to, const char *cluster, struct bpg_errinfo *ei)
{
	struct copy_args a = { from, to, cluster };
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(from, ei)) != BPG_OK ||
	    (e = db_check_id(to, ei)) != BPG_OK ||
	    (e = db_check_varchar(cluster, "cluster", ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_copy, &a, NULL, ei);
}

/*
 * Events, in the transaction of a state change
 */

static enum bpg_err
simple(struct bpg_db *db, const char *sql, struct bpg_errinfo *ei)
{
	if (mysql_query(db->my, sql) != 0) {
		db->last_errno = mysql_errno(db->my);
		db->lost = db->last_errno >= 2000 && db->last_errno < 3000;
		bpg_errf(ei, BPG_EDB, "database: %s: %s", sql,
		    mysql_error(db->my));
		db_scrub(ei);
		return BPG_EDB;
	}
	return BPG_OK;
}

/* The receivers of id into p->t (none: p->nt 0). */
static enum bpg_err
read_targets(struct bpg_db *db, const char *id, struct db_notify_prev *p,
    struct bpg_errinfo *ei)
{
	MYSQL_BIND param, res[5];
	char fmt[16], on[128];
	unsigned long plen, len[5];
	my_bool pnull, null[5], err[5];
	long long idx = 0;
	MYSQL_STMT *st;
	struct db_notify_target *t;
	enum bpg_err e;
	char *s, *end;
	int rc, f;
	long bit;

	p->nt = 0;
	if ((e = db_prepared(db, ST_NTF_TARGETS, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&param, id, &plen, &pnull);
	db_bind_out(&res[0], MYSQL_TYPE_LONGLONG, &idx, 0, &len[0], &null[0],
	    &err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_STRING, p->t[0].url,
	    sizeof(p->t[0].url), &len[1], &null[1], &err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_STRING, fmt, sizeof(fmt), &len[2],
	    &null[2], &err[2]);
	db_bind_out(&res[3], MYSQL_TYPE_STRING, on, sizeof(on), &len[3],
	    &null[3], &err[3]);
	db_bind_out(&res[4], MYSQL_TYPE_STRING, p->t[0].cluster,
	    sizeof(p->t[0].cluster), &len[4], &null[4], &err[4]);
	if ((e = db_stmt_query(db, st, &param, res, "read receivers", ei)) !=
	    BPG_OK)
		return e;
	while (p->nt < BPG_NOTIFY_MAX_ALL) {
		t = &p->t[p->nt];
		res[1].buffer = t->url;
		res[4].buffer = t->cluster;
		if (mysql_stmt_bind_result(st, res) != 0)
			break;
		rc = mysql_stmt_fetch(st);
		if (rc != 0 && rc != MYSQL_DATA_TRUNCATED)
			break;
		fetched(t->url, sizeof(t->url), len[1], null[1]);
		fetched(fmt, sizeof(fmt), len[2], null[2]);
		fetched(on, sizeof(on), len[3], null[3]);
		fetched(t->cluster, sizeof(t->cluster), len[4], null[4]);
		t->idx = (int)idx;
		t->format = (f = bpg_notify_format_of(fmt)) < 0 ?
		    BPG_NOTIFY_FMT_JSON : (enum bpg_notify_format)f;
		t->on = 0;
		for (s = on; *s != '\0'; s = *end == ',' ? end + 1 : end) {
			bit = strtol(s, &end, 10);
			if (end == s)
				break;
			if (bit >= 0 && bit < BPG_NOTIFY__MAX)
				t->on |= 1u << bit;
		}
		p->nt++;
	}
	mysql_stmt_free_result(st);
	return BPG_OK;
}

enum bpg_err
db_notify_begin(struct bpg_db *db, const char *id, struct db_notify_prev *p,
    struct bpg_errinfo *ei)
{
	MYSQL_BIND param, res[2];
	unsigned long plen, len[2];
	my_bool pnull, null[2], err[2];
	long long fin = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((e = read_targets(db, id, p, ei)) != BPG_OK || p->nt == 0)
		return e;
	if (!db->in_fence) {
		if ((e = simple(db, "START TRANSACTION", ei)) != BPG_OK)
			return e;
		p->own = true;
	}
	p->open = true;
	if ((e = db_prepared(db, ST_NTF_LOCK, &st, ei)) != BPG_OK)
		goto fail;
	db_bind_str(&param, id, &plen, &pnull);
	db_bind_out(&res[0], MYSQL_TYPE_STRING, p->status, sizeof(p->status),
	    &len[0], &null[0], &err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_LONGLONG, &fin, 0, &len[1], &null[1],
	    &err[1]);
	if ((e = db_stmt_query(db, st, &param, res, "lock the row", ei)) !=
	    BPG_OK)
		goto fail;
	rc = mysql_stmt_fetch(st);
	if (rc == 0 || rc == MYSQL_DATA_TRUNCATED) {
		p->found = true;
		p->has_status = !null[0];
		fetched(p->status, sizeof(p->status), len[0], null[0]);
		p->finished = fin != 0;
	}
	mysql_stmt_free_result(st);
	return BPG_OK;
fail:
	db_notify_abort(db, p);
	return e;
}

void
db_notify_abort(struct bpg_db *db, struct db_notify_prev *p)
{
	struct bpg_errinfo ei;

	/* The fence's transaction is rolled back by its end. */
	if (p->open && p->own && db->my != NULL)
		(void)simple(db, "ROLLBACK", &ei);
	p->open = false;
}

/* The row after the change: its status and the event's other fields. */
struct row_after {
	char status[64], user[256], queue[256], app_id[256];
	char error[1024];
	bool has_status, has_user, has_queue, has_app_id, has_error;
	bool has_cost;
	double cost;
	long long attempt;
};

static enum bpg_err
read_after(struct bpg_db *db, const char *id, struct row_after *r,
    struct bpg_errinfo *ei)
{
	MYSQL_BIND param, res[7];
	unsigned long plen, len[7];
	my_bool pnull, null[7], err[7];
	char *bufs[5] = { r->status, r->user, r->queue, r->app_id, NULL };
	size_t sizes[4] = { sizeof(r->status), sizeof(r->user),
		sizeof(r->queue), sizeof(r->app_id) };
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((e = db_prepared(db, ST_NTF_ROW, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&param, id, &plen, &pnull);
	for (i = 0; i < 4; i++)
		db_bind_out(&res[i], MYSQL_TYPE_STRING, bufs[i], sizes[i],
		    &len[i], &null[i], &err[i]);
	db_bind_out(&res[4], MYSQL_TYPE_DOUBLE, &r->cost, 0, &len[4],
	    &null[4], &err[4]);
	db_bind_out(&res[5], MYSQL_TYPE_STRING, r->error, sizeof(r->error),
	    &len[5], &null[5], &err[5]);
	db_bind_out(&res[6], MYSQL_TYPE_LONGLONG, &r->attempt, 0, &len[6],
	    &null[6], &err[6]);
	if ((e = db_stmt_query(db, st, &param, res, "read the row", ei)) !=
	    BPG_OK)
		return e;
	rc = mysql_stmt_fetch(st);
	if (rc == 0 || rc == MYSQL_DATA_TRUNCATED) {
		for (i = 0; i < 4; i++)
			fetched(bufs[i], sizes[i], len[i], null[i]);
		fetched(r->error, sizeof(r->error), len[5], null[5]);
		r->has_status = !null[0];
		r->has_user = !null[1];
		r->has_queue = !null[2];
		r->has_app_id = !null[3];
		r->has_cost = !null[4];
		r->has_error = !null[5];
	}
	mysql_stmt_free_result(st);
	return BPG_OK;
}

static enum bpg_err
put_event(struct bpg_db *db, const char *id,
    const struct db_notify_target *t, const struct db_notify_prev *p,
    const struct row_after *r, long long now, struct bpg_errinfo *ei)
{
	struct bpg_notify_event ev;
	char event_id[BPG_DB_NOTIFY_MAX_EVENT_ID + 1];
	MYSQL_BIND b[6];
	unsigned long len[4];
	my_bool null[4];
	long long first = now, next = now;
	MYSQL_STMT *st;
	json_t *j;
	char *body;
	enum bpg_err e;

	/* Stable: a replay of the same change writes nothing new. */
	snprintf(event_id, sizeof(event_id), "%s.%s.%d", id, r->status,
	    t->idx);
	memset(&ev, 0, sizeof(ev));
	ev.event_id = event_id;
	ev.submission_id = id;
	ev.state = r->status;
	ev.previous_state = p->has_status ? p->status : NULL;
	ev.user = r->has_user ? r->user : NULL;
	ev.queue = r->has_queue ? r->queue : NULL;
	ev.cluster = t->cluster[0] != '\0' ? t->cluster : NULL;
	ev.app_id = r->has_app_id ? r->app_id : NULL;
	ev.error_message = r->has_error ? r->error : NULL;
	ev.attempt = r->attempt;
	ev.time_ms = now;
	ev.has_cost = r->has_cost;
	ev.cost = r->cost;
	if ((j = bpg_notify_event_json(&ev)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	body = bpg_notify_body(j, t->format);
	json_decref(j);
	if (body == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	if ((e = db_prepared(db, ST_NTF_EVENT, &st, ei)) != BPG_OK)
		goto out;
	db_bind_str(&b[0], event_id, &len[0], &null[0]);
	db_bind_str(&b[1], id, &len[1], &null[1]);
	db_bind_str(&b[2], t->url, &len[2], &null[2]);
	db_bind_str(&b[3], body, &len[3], &null[3]);
	db_bind_ll(&b[4], &first);
	db_bind_ll(&b[5], &next);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		e = db_stmt_fail(db, st, "write a notification", ei);
out:
	free(body);
	return e;
}

enum bpg_err
db_notify_commit(struct bpg_db *db, const char *id, struct db_notify_prev *p,
    struct bpg_errinfo *ei)
{
	struct row_after r;
	enum bpg_err e;
	long long now = wall_ms();
	int bit;
	size_t i;

	if (!p->open)
		return BPG_OK;
	if ((e = read_after(db, id, &r, ei)) != BPG_OK)
		goto fail;
	/* A change of state (a finished row's never changes). */
	if (r.has_status && !p->finished &&
	    (!p->has_status || strcmp(p->status, r.status) != 0) &&
	    (bit = bpg_notify_state_bit(r.status)) >= 0)
		for (i = 0; i < p->nt; i++)
			if ((p->t[i].on & (1u << bit)) != 0 &&
			    (e = put_event(db, id, &p->t[i], p, &r, now,
				ei)) != BPG_OK)
				goto fail;
	if (p->own && (e = simple(db, "COMMIT", ei)) != BPG_OK)
		goto fail;
	p->open = false;
	return BPG_OK;
fail:
	db_notify_abort(db, p);
	return e;
}

/*
 * The sender's reads and writes
 */

struct due_args {
	long long now;
	size_t max;
};

struct due_out {
	struct bpg_db_notify_item *items;
	size_t n;
	long long next;
};

static enum bpg_err
op_due(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct due_args *a = in;
	struct due_out *o = out;
	struct bpg_db_notify_item it;
	MYSQL_BIND param[2], res[7];
	unsigned long len[7];
	my_bool null[7], err[7];
	long long now = a->now, lim = (long long)a->max, attempts = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	/* A retry on a new connection starts over. */
	bpg_db_notify_items_free(o->items, o->n);
	o->items = NULL;
	o->n = 0;
	if ((e = db_prepared(db, ST_NTF_DUE, &st, ei)) != BPG_OK)
		return e;
	db_bind_ll(&param[0], &now);
	db_bind_ll(&param[1], &lim);
	memset(&it, 0, sizeof(it));
	db_bind_out(&res[0], MYSQL_TYPE_LONGLONG, &it.row, 0, &len[0],
	    &null[0], &err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_STRING, it.event_id,
	    sizeof(it.event_id), &len[1], &null[1], &err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_STRING, it.submission_id,
	    sizeof(it.submission_id), &len[2], &null[2], &err[2]);
	db_bind_out(&res[3], MYSQL_TYPE_STRING, it.url, sizeof(it.url),
	    &len[3], &null[3], &err[3]);
	/* The body: its length first, then fetched whole. */
	db_bind_out(&res[4], MYSQL_TYPE_STRING, NULL, 0, &len[4], &null[4],
	    &err[4]);
	db_bind_out(&res[5], MYSQL_TYPE_LONGLONG, &attempts, 0, &len[5],
	    &null[5], &err[5]);
	db_bind_out(&res[6], MYSQL_TYPE_LONGLONG, &it.first_ms, 0, &len[6],
	    &null[6], &err[6]);
	if ((e = db_stmt_query(db, st, param, res, "read due notifications",
	    ei)) != BPG_OK)
		return e;
	if ((o->items = calloc(a->max, sizeof(*o->items))) == NULL) {
		mysql_stmt_free_result(st);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	while (o->n < a->max && ((rc = mysql_stmt_fetch(st)) == 0 ||
	    rc == MYSQL_DATA_TRUNCATED)) {
		fetched(it.event_id, sizeof(it.event_id), len[1], null[1]);
		fetched(it.submission_id, sizeof(it.submission_id), len[2],
		    null[2]);
		fetched(it.url, sizeof(it.url), len[3], null[3]);
		if ((it.body = malloc(len[4] + 1)) == NULL) {
			mysql_stmt_free_result(st);
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		}
		res[4].buffer = it.body;
		res[4].buffer_length = len[4];
		if (len[4] > 0 &&
		    mysql_stmt_fetch_column(st, &res[4], 4, 0) != 0) {
			free(it.body);
			mysql_stmt_free_result(st);
			return db_stmt_fail(db, st, "read a notification",
			    ei);
		}
		it.body[len[4]] = '\0';
		res[4].buffer = NULL;
		res[4].buffer_length = 0;
		it.attempts = attempts < 0 ? 0 : (unsigned)attempts;
		o->items[o->n++] = it;
		it.body = NULL;
	}
	mysql_stmt_free_result(st);
	o->next = LLONG_MAX;
	if ((e = db_prepared(db, ST_NTF_NEXT, &st, ei)) != BPG_OK)
		return e;
	db_bind_out(&res[0], MYSQL_TYPE_LONGLONG, &now, 0, &len[0], &null[0],
	    &err[0]);
	if (mysql_stmt_execute(st) != 0 || mysql_stmt_bind_result(st, res) ||
	    mysql_stmt_store_result(st) != 0)
		return db_stmt_fail(db, st, "next notification", ei);
	rc = mysql_stmt_fetch(st);
	if ((rc == 0 || rc == MYSQL_DATA_TRUNCATED) && !null[0])
		o->next = now;
	mysql_stmt_free_result(st);
	return BPG_OK;
}

void
bpg_db_notify_items_free(struct bpg_db_notify_item *items, size_t n)
{
	size_t i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++)
		free(items[i].body);
	free(items);
}

enum bpg_err
bpg_db_notify_due(struct bpg_db *db, long long now_ms, size_t max,
    struct bpg_db_notify_item **items, size_t *n, long long *next_ms,
    struct bpg_errinfo *ei)
{
	struct due_args a = { now_ms, max };
	struct due_out o = { NULL, 0, LLONG_MAX };
	enum bpg_err e;

	*items = NULL;
	*n = 0;
	*next_ms = LLONG_MAX;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if (!db->enabled || max == 0)
		return BPG_OK;
	e = db_with_retry(db, op_due, &a, &o, ei);
	if (e != BPG_OK) {
		bpg_db_notify_items_free(o.items, o.n);
		return e;
	}
	*items = o.items;
	*n = o.n;
	*next_ms = o.next;
	return BPG_OK;
}

struct result_args {
	const struct bpg_db_notify_item *it;
	const char *state, *error;
	long long attempts, next, status, at;
};

static enum bpg_err
op_result(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct result_args *a = in;
	struct result_args c = *a;
	long long row = a->it->row;
	MYSQL_BIND b[6];
	unsigned long len[4];
	my_bool null[4], snull;
	MYSQL_STMT *st;
	enum bpg_err e;
	struct db_notify_prev p = { .open = false };

	(void)out;
	/* Under the fence, in its transaction (db_notify_begin()). */
	if (!db->in_fence) {
		if ((e = simple(db, "START TRANSACTION", ei)) != BPG_OK)
			return e;
		p.own = true;
	}
	p.open = true;
	if ((e = db_prepared(db, ST_NTF_DELIVERY, &st, ei)) != BPG_OK)
		goto fail;
	db_bind_str(&b[0], a->it->event_id, &len[0], &null[0]);
	db_bind_str(&b[1], a->it->submission_id, &len[1], &null[1]);
	db_bind_ll(&b[2], &c.attempts);
	db_bind_ll(&b[3], &c.status);
	snull = a->status == 0;
	b[3].is_null = &snull;
	db_bind_ll(&b[4], &c.at);
	db_bind_str(&b[5], a->error, &len[2], &null[2]);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
		e = db_stmt_fail(db, st, "record a delivery", ei);
		goto fail;
	}
	if ((e = db_prepared(db, ST_NTF_UPDATE, &st, ei)) != BPG_OK)
		goto fail;
	db_bind_str(&b[0], a->state, &len[0], &null[0]);
	db_bind_ll(&b[1], &c.attempts);
	db_bind_ll(&b[2], &c.next);
	db_bind_ll(&b[3], &c.status);
	b[3].is_null = &snull;
	db_bind_str(&b[4], a->error, &len[3], &null[3]);
	db_bind_ll(&b[5], &row);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0) {
		e = db_stmt_fail(db, st, "record a notification's state", ei);
		goto fail;
	}
	if (p.own && (e = simple(db, "COMMIT", ei)) != BPG_OK)
		goto fail;
	return BPG_OK;
fail:
	db_notify_abort(db, &p);
	return e;
}

enum bpg_err
bpg_db_notify_result(struct bpg_db *db, const struct bpg_db_notify_item *it,
    const char *state, unsigned attempts, long long next_ms, long status,
    long long at_ms, const char *error, struct bpg_errinfo *ei)
{
	char cut[BPG_DB_NOTIFY_MAX_ERROR + 1];
	struct result_args a = { it, state, NULL, attempts, next_ms, status,
		at_ms };
	size_t n;

	if (db == NULL || it == NULL || state == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if (!db->enabled)
		return BPG_OK;
	if (error != NULL) {
		n = strlen(error);
		if (n > BPG_DB_NOTIFY_MAX_ERROR) {
			n = BPG_DB_NOTIFY_MAX_ERROR;
			while (n > 0 && ((unsigned char)error[n] & 0xc0) == 0x80)
				n--;
		}
		memcpy(cut, error, n);
		cut[n] = '\0';
		a.error = cut;
	}
	return db_with_retry(db, op_result, &a, NULL, ei);
}

/*
 * GET /spark/{id}/notifications
 */

struct list_row {
	char event_id[BPG_DB_NOTIFY_MAX_EVENT_ID + 1];
	char word[16];
	char error[BPG_DB_NOTIFY_MAX_ERROR + 1];
	long long a, b, c;
	unsigned long len[5];
	my_bool null[5], err[5];
};

static json_t *
event_row(void *ctx, enum bpg_err *e, struct bpg_errinfo *ei)
{
	struct list_row *r = ctx;
	json_t *v;

	fetched(r->event_id, sizeof(r->event_id), r->len[0], r->null[0]);
	fetched(r->word, sizeof(r->word), r->len[1], r->null[1]);
	fetched(r->error, sizeof(r->error), r->len[4], r->null[4]);
	v = json_pack("{s:s, s:s, s:I, s:o, s:o}", "eventId", r->event_id,
	    "state", r->word, "attempts", (json_int_t)r->a,
	    "lastStatusCode", r->null[3] ? json_null() : json_integer(r->b),
	    "lastError", r->null[4] ? json_null() : json_string(r->error));
	if (v == NULL) {
		*e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		return NULL;
	}
	return v;
}

static json_t *
delivery_row(void *ctx, enum bpg_err *e, struct bpg_errinfo *ei)
{
	struct list_row *r = ctx;
	char t[96];
	struct tm tm;
	time_t s = (time_t)(r->c / 1000);
	json_t *v;

	fetched(r->event_id, sizeof(r->event_id), r->len[0], r->null[0]);
	fetched(r->error, sizeof(r->error), r->len[4], r->null[4]);
	if (gmtime_r(&s, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(r->c < 0 ? 0 : r->c % 1000));
	v = json_pack("{s:s, s:I, s:o, s:s, s:o}", "eventId", r->event_id,
	    "attempt", (json_int_t)r->a,
	    "statusCode", r->null[2] ? json_null() : json_integer(r->b),
	    "time", t,
	    "error", r->null[4] ? json_null() : json_string(r->error));
	if (v == NULL) {
		*e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		return NULL;
	}
	return v;
}

static enum bpg_err
op_list(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const char *id = in;
	json_t **o = out, *events = NULL, *dels = NULL;
	struct list_row r;
	MYSQL_BIND param, res[5];
	unsigned long plen;
	my_bool pnull;
	MYSQL_STMT *st;
	enum bpg_err e;

	memset(&r, 0, sizeof(r));
	db_bind_str(&param, id, &plen, &pnull);
	if ((e = db_prepared(db, ST_NTF_LIST_EVENTS, &st, ei)) != BPG_OK)
		return e;
	db_bind_out(&res[0], MYSQL_TYPE_STRING, r.event_id,
	    sizeof(r.event_id), &r.len[0], &r.null[0], &r.err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_STRING, r.word, sizeof(r.word),
	    &r.len[1], &r.null[1], &r.err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_LONGLONG, &r.a, 0, &r.len[2],
	    &r.null[2], &r.err[2]);
	db_bind_out(&res[3], MYSQL_TYPE_LONGLONG, &r.b, 0, &r.len[3],
	    &r.null[3], &r.err[3]);
	db_bind_out(&res[4], MYSQL_TYPE_STRING, r.error, sizeof(r.error),
	    &r.len[4], &r.null[4], &r.err[4]);
	if ((e = db_stmt_query(db, st, &param, res, "list notifications",
	    ei)) != BPG_OK)
		return e;
	e = db_fetch_list(db, st, event_row, &r, "list notifications",
	    &events, ei);
	mysql_stmt_free_result(st);
	if (e != BPG_OK)
		return e;
	if ((e = db_prepared(db, ST_NTF_LIST_DELIVERIES, &st, ei)) != BPG_OK)
		goto out;
	db_bind_out(&res[0], MYSQL_TYPE_STRING, r.event_id,
	    sizeof(r.event_id), &r.len[0], &r.null[0], &r.err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_LONGLONG, &r.a, 0, &r.len[1],
	    &r.null[1], &r.err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_LONGLONG, &r.b, 0, &r.len[2],
	    &r.null[2], &r.err[2]);
	db_bind_out(&res[3], MYSQL_TYPE_LONGLONG, &r.c, 0, &r.len[3],
	    &r.null[3], &r.err[3]);
	db_bind_out(&res[4], MYSQL_TYPE_STRING, r.error, sizeof(r.error),
	    &r.len[4], &r.null[4], &r.err[4]);
	if ((e = db_stmt_query(db, st, &param, res, "list deliveries",
	    ei)) != BPG_OK)
		goto out;
	e = db_fetch_list(db, st, delivery_row, &r, "list deliveries", &dels,
	    ei);
	mysql_stmt_free_result(st);
	if (e != BPG_OK)
		goto out;
	if ((*o = json_pack("{s:o, s:o}", "notifications", events,
	    "deliveries", dels)) == NULL)
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return e;
out:
	json_decref(events);
	json_decref(dels);
	return e;
}

enum bpg_err
bpg_db_notify_list(struct bpg_db *db, const char *id, json_t **out,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	*out = NULL;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = db_check_id(id, ei)) != BPG_OK)
		return e;
	if (!db->enabled) {
		*out = json_pack("{s:[], s:[]}", "notifications",
		    "deliveries");
		return *out != NULL ? BPG_OK :
		    bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	return db_with_retry(db, op_list, id, out, ei);
}
