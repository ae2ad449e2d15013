/*
 * Reports from application_submission (bpg_db_report.h).
 *
 * One statement per report, grouped by (key, state, run time in whole
 * seconds) and ordered by key and run time: the server reads each row
 * once and hands over one line per group, a few thousand where the jobs
 * are a hundred thousand.  Within a group the run time is one value, so
 * the usage is that time the sum of the group's cores (or MB); the
 * nearest-rank percentiles walk the group's run times in order
 * (bpg_report_hist).
 *
 * Keys are compared as bytes (CONVERT ... USING binary, which MariaDB
 * evaluates at the cost of the bare column where CAST ... AS BINARY
 * doubles the statement's time): the column's collation would fold
 * "Alice" into "alice" and two users' rows into one.  The state is the
 * status's place among the final states (FIELD(), which compares as the
 * collation does, so without case, as the monitor does): a small number
 * keeps the server's grouping table small, where the status column
 * would make each of its rows a kilobyte wider.  Times are bound as
 * epoch seconds; the session's time_zone is UTC (bpg_db_conn.c), so
 * FROM_UNIXTIME() and DATE_FORMAT() are in UTC.
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
#define K_QUEUE "CONVERT(COALESCE(queue, '') USING binary)"
#define K_USER "CONVERT(COALESCE(`user`, '') USING binary)"
/*
 * The cluster of an ID "<cluster id>-<32 lower-case hex>[-<suffix>]":
 * what precedes the first place where such a tail starts, as
 * bpg_route_cluster_of_id() reads it (cluster IDs hold dashes too); ""
 * for a row of a name not of that form (one the monitor found, S2).
 * Matched as bytes, so that [0-9a-f] is not read without case.
 */
#define K_CLUSTER "COALESCE(REGEXP_SUBSTR(CONVERT(submission_id USING " \
	"binary), '^.*?(?=-[0-9a-f]{32}(-[a-z0-9-]*)?$)'), '')"
#define K_DAY "CONVERT(DATE_FORMAT(created_time, '%Y-%m-%d') USING binary)"

#define RANGE "created_time >= FROM_UNIXTIME(?) " \
	"AND created_time < FROM_UNIXTIME(?)"
/* The first test reads the index; the second makes it exact. */
#define W_ALL "WHERE " RANGE
#define W_USER "WHERE `user` = ? AND CONVERT(`user` USING binary) = " \
	"CONVERT(? USING binary) AND " RANGE

#define REPORT(k, w) \
	"SELECT " k " AS k, FIELD(status, " BPG_REPORT_FINAL_STATES_SQL \
	") AS s, " \
	DB_RUN_S_SQL("finished_time") " AS d, COUNT(*), " \
	"SUM(" DB_CORES_SQL "), SUM(" DB_MB_SQL "), SUM(cost) " \
	"FROM @DB@.application_submission " w " " \
	"GROUP BY k, s, d ORDER BY k, d"

#define ST_REP(g, u) (ST_REP_AGG + 2 * (g) + (u))

static const char *const report_sql[ST__MAX] = {
    [ST_REP(BPG_REPORT_QUEUE, 0)] = REPORT(K_QUEUE, W_ALL),
    [ST_REP(BPG_REPORT_QUEUE, 1)] = REPORT(K_QUEUE, W_USER),
    [ST_REP(BPG_REPORT_USER, 0)] = REPORT(K_USER, W_ALL),
    [ST_REP(BPG_REPORT_USER, 1)] = REPORT(K_USER, W_USER),
    [ST_REP(BPG_REPORT_CLUSTER, 0)] = REPORT(K_CLUSTER, W_ALL),
    [ST_REP(BPG_REPORT_CLUSTER, 1)] = REPORT(K_CLUSTER, W_USER),
    [ST_REP(BPG_REPORT_DAY, 0)] = REPORT(K_DAY, W_ALL),
    [ST_REP(BPG_REPORT_DAY, 1)] = REPORT(K_DAY, W_USER),
};

void
db_report_sql(struct bpg_db *db)
{
	db_sql_table(db, report_sql);
}

const char *
bpg_db_report_sql(const struct bpg_db *db, enum bpg_report_group group,
    bool user)
{
	if (db == NULL || group >= BPG_REPORT_GROUP__MAX)
		return NULL;
	return db->sql[ST_REP(group, user)];
}

/* The statement's parameters. */
struct params {
	MYSQL_BIND b[4];
	long long from, to;
	unsigned long len[2];
	my_bool null[2];
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

/* Where a line of the statement lands. */
struct line {
	char key[BPG_REPORT_MAX_KEY + 1];
	unsigned long klen;
	long long s, d, n, cores, mb;
	double cost;
	my_bool null[7], err[7];
	MYSQL_BIND res[7];
};

static void
bind_line(struct line *l)
{
	/* The library leaves the error flag of a NULL value alone. */
	memset(l, 0, sizeof(*l));
	db_bind_out(&l->res[0], MYSQL_TYPE_STRING, l->key, sizeof(l->key) - 1,
	    &l->klen, &l->null[0], &l->err[0]);
	db_bind_out(&l->res[1], MYSQL_TYPE_LONGLONG, &l->s, 0, NULL,
	    &l->null[1], &l->err[1]);
	db_bind_out(&l->res[2], MYSQL_TYPE_LONGLONG, &l->d, 0, NULL,
	    &l->null[2], &l->err[2]);
	db_bind_out(&l->res[3], MYSQL_TYPE_LONGLONG, &l->n, 0, NULL,
	    &l->null[3], &l->err[3]);
	db_bind_out(&l->res[4], MYSQL_TYPE_LONGLONG, &l->cores, 0, NULL,
	    &l->null[4], &l->err[4]);
	db_bind_out(&l->res[5], MYSQL_TYPE_LONGLONG, &l->mb, 0, NULL,
	    &l->null[5], &l->err[5]);
	db_bind_out(&l->res[6], MYSQL_TYPE_DOUBLE, &l->cost, 0, NULL,
	    &l->null[6], &l->err[6]);
}

/* A line into its row of r (row: the current one, or NULL). */
static enum bpg_err
add_line(struct bpg_report *r, struct bpg_report_row **row,
    struct bpg_report_hist *h, struct line *l, struct bpg_errinfo *ei)
{
	struct bpg_report_row *w = *row;
	enum bpg_err e;

	if (l->null[0] || l->klen >= sizeof(l->key) || l->err[2] ||
	    l->err[3] || l->err[4] || l->err[5])
		return bpg_errf(ei, BPG_EDB, "database: a report line does "
		    "not fit (key of %lu bytes)", l->klen);
	l->key[l->klen] = '\0';
	if (w == NULL || w->key_len != l->klen ||
	    memcmp(w->key, l->key, l->klen) != 0) {
		if (w != NULL)
			bpg_report_hist_done(h, w);
		if ((e = bpg_report_add(r, l->key, l->klen, row, ei)) !=
		    BPG_OK)
			return e;
		w = *row;
	}
	w->states[bpg_report_state_at(l->null[1] ? 0 : l->s)] += l->n;
	w->jobs += l->n;
	if (!l->null[2]) {
		w->runs += l->n;
		if (!l->null[4])
			w->vcore_s += l->d * l->cores;
		if (!l->null[5])
			w->mb_s += l->d * l->mb;
		if (bpg_report_hist_add(h, l->d * 1000, (uint64_t)l->n) !=
		    BPG_OK)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	if (!l->null[6]) {
		w->has_cost = true;
		w->cost += l->cost;
	}
	return BPG_OK;
}

static enum bpg_err
op_report(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct bpg_report_query *q = in;
	struct bpg_report *r = out;
	struct bpg_report_row *row = NULL;
	struct bpg_report_hist h = { NULL, 0, 0 };
	struct params p;
	struct line l;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	bpg_report_free(r);
	bind_params(&p, q);
	bind_line(&l);
	if ((e = db_prepared(db, ST_REP(q->group, q->user != NULL), &st,
	    ei)) != BPG_OK)
		return e;
	/* No mysql_stmt_store_result(): lines are read as they come. */
	if (mysql_stmt_bind_param(st, p.b) != 0 ||
	    mysql_stmt_execute(st) != 0 || mysql_stmt_bind_result(st, l.res) !=
	    0)
		return db_stmt_fail(db, st, "report", ei);
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED)
		if ((e = add_line(r, &row, &h, &l, ei)) != BPG_OK)
			goto out;
	if (rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "report", ei);
	else if (row != NULL)
		bpg_report_hist_done(&h, row);
out:
	mysql_stmt_free_result(st);
	bpg_report_hist_free(&h);
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
