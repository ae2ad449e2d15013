/*
 * Reports from application_submission (bpg_db_report.h).
 *
 * Keys are compared as bytes (CAST ... AS BINARY): the column's collation
 * would fold "Alice" into "alice" and the rows of two users into one, and
 * both statements must order their keys the same way, as the second is
 * merged into the rows of the first (bpg_report_find()).  Times are
 * bound as epoch seconds; the session's time_zone is UTC
 * (bpg_db_conn.c), so FROM_UNIXTIME() and DATE_FORMAT() are in UTC.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include "bpg_db_int.h"
#include "bpg_db_report.h"

/* The key of each groupBy, as bytes. */
#define K_QUEUE "CAST(COALESCE(queue, '') AS BINARY)"
#define K_USER "CAST(COALESCE(`user`, '') AS BINARY)"
/*
 * The cluster of an ID "<cluster id>-<32 lower-case hex>[-<suffix>]":
 * what precedes the first place where such a tail starts, as
 * bpg_route_cluster_of_id() reads it (cluster IDs hold dashes too); ""
 * for a row of a name not of that form (one the monitor found, S2).
 * Compared as bytes, so that [0-9a-f] is not read without case.
 */
#define K_CLUSTER "COALESCE(REGEXP_SUBSTR(CAST(submission_id AS BINARY), " \
	"'^.*?(?=-[0-9a-f]{32}(-[a-z0-9-]*)?$)'), '')"
#define K_DAY "CAST(DATE_FORMAT(created_time, '%Y-%m-%d') AS BINARY)"

#define RANGE "created_time >= FROM_UNIXTIME(?) " \
	"AND created_time < FROM_UNIXTIME(?)"
/* The first test reads the index; the second makes it exact. */
#define W_ALL "WHERE " RANGE
#define W_USER "WHERE `user` = ? AND CAST(`user` AS BINARY) = " \
	"CAST(? AS BINARY) AND " RANGE

#define RUN DB_RUN_S_SQL("finished_time")

/* Per (key, status): jobs, jobs with a run time, usage and cost. */
#define AGG(k, w) \
	"SELECT " k " AS k, UPPER(COALESCE(status, '')) AS s, COUNT(*), " \
	"COUNT(" RUN "), COALESCE(SUM(" DB_CORES_SQL " * " RUN "), 0), " \
	"COALESCE(SUM(" DB_MB_SQL " * " RUN "), 0), SUM(cost) " \
	"FROM @DB@.application_submission " w " GROUP BY k, s ORDER BY k, s"
/* Every run time in milliseconds, by key, ascending. */
#define DUR(k, w) \
	"SELECT " k " AS k, " RUN " * 1000 AS d " \
	"FROM @DB@.application_submission " w \
	" AND start_time IS NOT NULL AND finished_time IS NOT NULL " \
	"ORDER BY k, d"

#define ST_AGG(g, u) (ST_REP_AGG + 2 * (g) + (u))
#define ST_DUR(g, u) (ST_REP_DUR + 2 * (g) + (u))

static const char *const report_sql[ST__MAX] = {
    [ST_AGG(BPG_REPORT_QUEUE, 0)] = AGG(K_QUEUE, W_ALL),
    [ST_AGG(BPG_REPORT_QUEUE, 1)] = AGG(K_QUEUE, W_USER),
    [ST_AGG(BPG_REPORT_USER, 0)] = AGG(K_USER, W_ALL),
    [ST_AGG(BPG_REPORT_USER, 1)] = AGG(K_USER, W_USER),
    [ST_AGG(BPG_REPORT_CLUSTER, 0)] = AGG(K_CLUSTER, W_ALL),
    [ST_AGG(BPG_REPORT_CLUSTER, 1)] = AGG(K_CLUSTER, W_USER),
    [ST_AGG(BPG_REPORT_DAY, 0)] = AGG(K_DAY, W_ALL),
    [ST_AGG(BPG_REPORT_DAY, 1)] = AGG(K_DAY, W_USER),
    [ST_DUR(BPG_REPORT_QUEUE, 0)] = DUR(K_QUEUE, W_ALL),
    [ST_DUR(BPG_REPORT_QUEUE, 1)] = DUR(K_QUEUE, W_USER),
    [ST_DUR(BPG_REPORT_USER, 0)] = DUR(K_USER, W_ALL),
    [ST_DUR(BPG_REPORT_USER, 1)] = DUR(K_USER, W_USER),
    [ST_DUR(BPG_REPORT_CLUSTER, 0)] = DUR(K_CLUSTER, W_ALL),
    [ST_DUR(BPG_REPORT_CLUSTER, 1)] = DUR(K_CLUSTER, W_USER),
    [ST_DUR(BPG_REPORT_DAY, 0)] = DUR(K_DAY, W_ALL),
    [ST_DUR(BPG_REPORT_DAY, 1)] = DUR(K_DAY, W_USER),
};

void
db_report_sql(struct bpg_db *db)
{
	db_sql_table(db, report_sql);
}

const char *
bpg_db_report_sql(const struct bpg_db *db, enum bpg_report_group group,
    bool user, bool durations)
{
	if (db == NULL || group >= BPG_REPORT_GROUP__MAX)
		return NULL;
	return db->sql[durations ? ST_DUR(group, user) : ST_AGG(group, user)];
}

/* The parameters of both statements. */
struct params {
	MYSQL_BIND b[4];
	long long from, to;
	unsigned long len[2];
	my_bool null[2];
	MYSQL_BIND *first;
};

static void
bind_params(struct params *p, const struct bpg_report_query *q)
{
	size_t i = 0;

	memset(p->b, 0, sizeof(p->b));
	p->from = q->from_s;
	p->to = q->to_s;
	if (q->user != NULL) {
		db_bind_str(&p->b[0], q->user, &p->len[0], &p->null[0]);
		db_bind_str(&p->b[1], q->user, &p->len[1], &p->null[1]);
		i = 2;
	}
	p->b[i].buffer_type = MYSQL_TYPE_LONGLONG;
	p->b[i].buffer = &p->from;
	p->b[i + 1].buffer_type = MYSQL_TYPE_LONGLONG;
	p->b[i + 1].buffer = &p->to;
}

/* The key column of both statements. */
struct key_col {
	char buf[BPG_REPORT_MAX_KEY + 1];
	unsigned long len;
	my_bool null, err;
};

/* The first statement: the rows, their counts and sums. */
static enum bpg_err
read_agg(struct bpg_db *db, MYSQL_STMT *st, struct params *p,
    struct bpg_report *r, struct bpg_errinfo *ei)
{
	struct key_col k;
	char status[64];
	unsigned long slen;
	my_bool snull, serr, null[5], err[5];
	long long jobs, runs, vcore, mb;
	double cost;
	MYSQL_BIND res[7];
	struct bpg_report_row *row = NULL;
	enum bpg_report_state s;
	enum bpg_err e;
	int rc;

	db_bind_out(&res[0], MYSQL_TYPE_STRING, k.buf, sizeof(k.buf) - 1,
	    &k.len, &k.null, &k.err);
	db_bind_out(&res[1], MYSQL_TYPE_STRING, status, sizeof(status) - 1,
	    &slen, &snull, &serr);
	db_bind_out(&res[2], MYSQL_TYPE_LONGLONG, &jobs, 0, NULL, &null[0],
	    &err[0]);
	db_bind_out(&res[3], MYSQL_TYPE_LONGLONG, &runs, 0, NULL, &null[1],
	    &err[1]);
	db_bind_out(&res[4], MYSQL_TYPE_LONGLONG, &vcore, 0, NULL, &null[2],
	    &err[2]);
	db_bind_out(&res[5], MYSQL_TYPE_LONGLONG, &mb, 0, NULL, &null[3],
	    &err[3]);
	db_bind_out(&res[6], MYSQL_TYPE_DOUBLE, &cost, 0, NULL, &null[4],
	    &err[4]);
	if ((e = db_stmt_query(db, st, p->b, res, "report", ei)) != BPG_OK)
		return e;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if (k.null || k.len >= sizeof(k.buf) || err[0] || err[2] ||
		    err[3]) {
			e = bpg_errf(ei, BPG_EDB, "database: a report row does "
			    "not fit (key of %lu bytes)", k.len);
			goto out;
		}
		k.buf[k.len] = '\0';
		/* A status longer than any state is none of them. */
		if (snull || slen >= sizeof(status))
			status[0] = '\0';
		else
			status[slen] = '\0';
		if (row == NULL || row->key_len != k.len ||
		    memcmp(row->key, k.buf, k.len) != 0) {
			if ((e = bpg_report_add(r, k.buf, k.len, &row, ei)) !=
			    BPG_OK)
				goto out;
		}
		s = bpg_report_state_of(status);
		row->states[s] += jobs;
		row->jobs += jobs;
		row->runs += runs;
		row->vcore_s += vcore;
		row->mb_s += mb;
		if (!null[4]) {
			row->has_cost = true;
			row->cost += cost;
		}
	}
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "report", ei);
out:
	mysql_stmt_free_result(st);
	return e;
}

/* The second statement, streamed: p50 and p95 of each row's run times. */
static enum bpg_err
read_dur(struct bpg_db *db, MYSQL_STMT *st, struct params *p,
    struct bpg_report *r, struct bpg_errinfo *ei)
{
	struct key_col k;
	long long d;
	my_bool dnull, derr;
	MYSQL_BIND res[2];
	struct bpg_report_row *row = NULL;
	struct bpg_report_pick pk;
	enum bpg_err e = BPG_OK;
	int rc;

	db_bind_out(&res[0], MYSQL_TYPE_STRING, k.buf, sizeof(k.buf) - 1,
	    &k.len, &k.null, &k.err);
	db_bind_out(&res[1], MYSQL_TYPE_LONGLONG, &d, 0, NULL, &dnull, &derr);
	/* No mysql_stmt_store_result(): rows are read as they come. */
	if (mysql_stmt_bind_param(st, p->b) != 0 ||
	    mysql_stmt_execute(st) != 0 || mysql_stmt_bind_result(st, res) != 0)
		return db_stmt_fail(db, st, "report run times", ei);
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if (k.null || dnull || k.len >= sizeof(k.buf))
			continue;
		if (row == NULL || row->key_len != k.len ||
		    memcmp(row->key, k.buf, k.len) != 0) {
			if (row != NULL) {
				row->p50_ms = pk.p50;
				row->p95_ms = pk.p95;
			}
			/* The snapshot makes every key one of the first's. */
			if ((row = bpg_report_find(r, k.buf, k.len)) == NULL)
				continue;
			bpg_report_pick_init(&pk, (uint64_t)row->runs);
		}
		bpg_report_pick(&pk, d);
	}
	if (row != NULL) {
		row->p50_ms = pk.p50;
		row->p95_ms = pk.p95;
	}
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "report run times", ei);
	mysql_stmt_free_result(st);
	return e;
}

static enum bpg_err
op_report(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct bpg_report_query *q = in;
	struct bpg_report *r = out;
	unsigned int u = q->user != NULL;
	struct params p;
	MYSQL_STMT *agg, *dur;
	enum bpg_err e;

	bpg_report_free(r);
	bind_params(&p, q);
	if ((e = db_prepared(db, ST_AGG(q->group, u), &agg, ei)) != BPG_OK ||
	    (e = db_prepared(db, ST_DUR(q->group, u), &dur, ei)) != BPG_OK)
		return e;
	if ((e = db_exec_text(db, "START TRANSACTION WITH CONSISTENT SNAPSHOT, "
	    "READ ONLY", "report", ei)) != BPG_OK)
		return e;
	if ((e = read_agg(db, agg, &p, r, ei)) == BPG_OK)
		e = read_dur(db, dur, &p, r, ei);
	/* Read only: ending it either way changes nothing. */
	if (e == BPG_OK)
		e = db_exec_text(db, "COMMIT", "report", ei);
	else if (!db->lost) {
		/* Keep what the first failure says for db_with_retry(). */
		unsigned int code = db->last_errno;
		struct bpg_errinfo ignored;

		if (db_exec_text(db, "ROLLBACK", "report", &ignored) != BPG_OK)
			db->lost = true; /* let the next call reconnect */
		else
			db->lost = false;
		db->last_errno = code;
	}
	return e;
}

enum bpg_err
bpg_db_report(struct bpg_db *db, const struct bpg_report_query *q,
    struct bpg_report *out, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL || q == NULL || out == NULL ||
	    q->group >= BPG_REPORT_GROUP__MAX)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or query");
	bpg_report_free(out);
	if (q->user != NULL &&
	    (e = db_check_varchar(q->user, "user", ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_report, q, out, ei);
}
