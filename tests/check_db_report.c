/*
 * Tests of lib/bpg_db_report.c against the MariaDB server of
 * tests/run-unit.sh (BPG_TEST_DB_PORT): rows written by hand are
 * counted, summed and ranked per queue, user, cluster and day; only the
 * interval's rows count, a user's report holds exactly that user's rows;
 * and the statements read their indexes (EXPLAIN).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <mysql.h>

#include "bpg_db.h"
#include "bpg_db_report.h"
#include "testdb.h"
#include "testutil.h"

static struct tu_db c;

static void
setup(void)
{
	tu_db_open(&c, "rep");
	tu_db_exec(&c, "SET time_zone = '+00:00'");
}

static void
teardown(void)
{
	tu_db_close(&c);
}

/*
 * A row created at `created`, run for run_s seconds from created + 60
 * (run_s < 0: never started, never finished), 1 driver core + 2 executors
 * of 2 cores (5 cores), 1024 MB + 2 x 2048 MB (5120 MB), cost as given
 * (NULL: none).
 */
static void
row(const char *id, const char *user, const char *queue, const char *status,
    const char *created, int run_s, const char *cost)
{
	if (run_s < 0) {
		tu_db_exec(&c, "INSERT INTO `%s`.application_submission "
		    "(submission_id, `user`, queue, status, created_time) "
		    "VALUES ('%s', '%s', '%s', '%s', '%s')", c.schema, id, user,
		    queue, status, created);
		return;
	}
	tu_db_exec(&c, "INSERT INTO `%s`.application_submission "
	    "(submission_id, `user`, queue, status, created_time, start_time, "
	    "finished_time, driver_core, driver_memory_mb, number_executor, "
	    "executor_core, executor_memory_mb, cost) VALUES ('%s', '%s', "
	    "'%s', '%s', '%s', TIMESTAMPADD(SECOND, 60, '%s'), "
	    "TIMESTAMPADD(SECOND, %d, '%s'), 1, 1024, 2, 2, 2048, %s)",
	    c.schema, id, user, queue, status, created, created, 60 + run_s,
	    created, cost);
}

static void
fill(void)
{
	/* November 2026; created times in UTC. */
	row("c01-00000000000000000000000000000001",
	    "alice", "poc", "COMPLETED", "2026-11-01 10:00:00", 10,
	    "1.25");
	row("c01-00000000000000000000000000000002",
	    "alice", "poc", "COMPLETED", "2026-11-01 11:00:00", 20,
	    "2.50");
	row("c02-00000000000000000000000000000003",
	    "Alice", "poc", "FAILED", "2026-11-02 10:00:00", 30,
	    "NULL");
	row("c02-00000000000000000000000000000004",
	    "bob", "poc", "completed", "2026-11-02 23:59:59", 40,
	    "0.25");
	row("c01-00000000000000000000000000000005",
	    "bob", "vip", "LOST", "2026-11-03 00:00:00", -1, NULL);
	row("c01-00000000000000000000000000000006",
	    "bob", "vip", "RUNNING", "2026-11-03 01:00:00", -1, NULL);
	row("c01-00000000000000000000000000000007",
	    "bob", "vip", "SUBMISSION_FAILED", "2026-11-03 02:00:00",
	    -1, NULL);
	/* Outside [2026-11-01, 2026-11-04): never counted. */
	row("c01-00000000000000000000000000000008",
	    "alice", "poc", "COMPLETED", "2026-10-31 23:59:59", 50,
	    "9.00");
	row("c01-00000000000000000000000000000009",
	    "alice", "poc", "COMPLETED", "2026-11-04 00:00:00", 50,
	    "9.00");
}

static void
report(const char *group, const char *user, struct bpg_report *r,
    struct bpg_report_query *q)
{
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_report_parse("2026-11-01", "2026-11-03", group,
	    NULL, 0, q, &ei) == BPG_OK, "%s", ei.msg);
	q->user = user;
	ck_assert_msg(bpg_db_report(c.db, q, r, &ei) == BPG_OK, "%s", ei.msg);
}

START_TEST(test_by_queue)
{
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_report_query q;
	struct bpg_report_row *poc, *vip;

	fill();
	report("queue", NULL, &r, &q);
	ck_assert_uint_eq(r.n, 2);
	poc = &r.rows[0];
	vip = &r.rows[1];
	ck_assert_str_eq(poc->key, "poc");
	ck_assert_int_eq(poc->jobs, 4);
	/* Status is compared without case, as the monitor does. */
	ck_assert_int_eq(poc->states[BPG_REPORT_COMPLETED], 3);
	ck_assert_int_eq(poc->states[BPG_REPORT_FAILED], 1);
	ck_assert_int_eq(poc->runs, 4);
	/* Run times 10, 20, 30, 40 s: nearest rank 2 and 4. */
	ck_assert_int_eq(poc->p50_ms, 20000);
	ck_assert_int_eq(poc->p95_ms, 40000);
	ck_assert_int_eq(poc->vcore_s, 5 * 100);
	ck_assert_int_eq(poc->mb_s, 5120 * 100);
	ck_assert(poc->has_cost);
	ck_assert(poc->cost > 3.999 && poc->cost < 4.001);
	ck_assert_str_eq(vip->key, "vip");
	ck_assert_int_eq(vip->jobs, 3);
	ck_assert_int_eq(vip->states[BPG_REPORT_LOST], 1);
	ck_assert_int_eq(vip->states[BPG_REPORT_UNFINISHED], 1);
	ck_assert_int_eq(vip->states[BPG_REPORT_SUBMISSION_FAILED], 1);
	ck_assert_int_eq(vip->runs, 0);
	ck_assert_int_eq(vip->p50_ms, -1);
	ck_assert_int_eq(vip->vcore_s, 0);
	ck_assert(!vip->has_cost);
	bpg_report_free(&r);
}
END_TEST

/* Users apart byte for byte: "Alice" is not "alice". */
START_TEST(test_by_user)
{
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_report_query q;

	fill();
	report("user", NULL, &r, &q);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_str_eq(r.rows[0].key, "Alice");
	ck_assert_int_eq(r.rows[0].jobs, 1);
	ck_assert_int_eq(r.rows[0].p50_ms, 30000);
	ck_assert_str_eq(r.rows[1].key, "alice");
	ck_assert_int_eq(r.rows[1].jobs, 2);
	ck_assert_int_eq(r.rows[1].p50_ms, 10000);
	ck_assert_int_eq(r.rows[1].p95_ms, 20000);
	ck_assert_str_eq(r.rows[2].key, "bob");
	ck_assert_int_eq(r.rows[2].jobs, 4);
	bpg_report_free(&r);
}
END_TEST

/* GET /report: only the caller's rows, exactly. */
START_TEST(test_own_rows)
{
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_report_query q;

	fill();
	report("queue", "alice", &r, &q);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_str_eq(r.rows[0].key, "poc");
	ck_assert_int_eq(r.rows[0].jobs, 2);
	ck_assert_int_eq(r.rows[0].states[BPG_REPORT_COMPLETED], 2);
	ck_assert(r.rows[0].cost > 3.749 && r.rows[0].cost < 3.751);
	report("cluster", "alice ", &r, &q);
	ck_assert_uint_eq(r.n, 0);
	report("day", "nobody", &r, &q);
	ck_assert_uint_eq(r.n, 0);
	bpg_report_free(&r);
}
END_TEST

START_TEST(test_by_cluster_and_day)
{
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_report_query q;

	fill();
	/* A cluster ID with dashes, an ID with a suffix, a name of no
	 * cluster (a CR the monitor found), an upper-case "tail". */
	row("spark-a-0123456789abcdef0123456789abcdef", "x", "x", "LOST",
	    "2026-11-01 00:00:00", -1, NULL);
	row("spark-a-0123456789abcdef0123456789abcdef-retry-1", "x", "x",
	    "LOST", "2026-11-01 00:00:00", -1, NULL);
	row("my-own-app", "x", "x", "LOST", "2026-11-01 00:00:00", -1, NULL);
	row("c01-0123456789ABCDEF0123456789ABCDEF", "x", "x", "LOST",
	    "2026-11-01 00:00:00", -1, NULL);
	report("cluster", NULL, &r, &q);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_str_eq(r.rows[0].key, "");
	ck_assert_int_eq(r.rows[0].jobs, 2);
	ck_assert_str_eq(r.rows[1].key, "c01");
	ck_assert_int_eq(r.rows[1].jobs, 5);
	ck_assert_str_eq(r.rows[2].key, "c02");
	ck_assert_int_eq(r.rows[2].jobs, 2);
	ck_assert_int_eq(r.rows[2].p50_ms, 30000);
	ck_assert_str_eq(r.rows[3].key, "spark-a");
	ck_assert_int_eq(r.rows[3].jobs, 2);
	report("day", NULL, &r, &q);
	ck_assert_uint_eq(r.n, 3);
	ck_assert_str_eq(r.rows[0].key, "2026-11-01");
	ck_assert_int_eq(r.rows[0].jobs, 6);
	/* 23:59:59 UTC is still the 2nd. */
	ck_assert_str_eq(r.rows[1].key, "2026-11-02");
	ck_assert_int_eq(r.rows[1].jobs, 2);
	ck_assert_str_eq(r.rows[2].key, "2026-11-03");
	ck_assert_int_eq(r.rows[2].jobs, 3);
	bpg_report_free(&r);
}
END_TEST

/* Many rows in one group: the ranks come from the run times' histogram. */
START_TEST(test_many_runs)
{
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_report_query q;

	/* Inserted in descending order of run time: the SQL sorts. */
	tu_db_exec(&c, "INSERT INTO `%s`.application_submission (submission_id, "
	    "queue, status, created_time, start_time, finished_time) "
	    "SELECT CONCAT('c01-m', seq), 'q', 'COMPLETED', '2026-11-02', "
	    "'2026-11-02', TIMESTAMPADD(SECOND, 1001 - seq, '2026-11-02') "
	    "FROM `%s`.seq_1_to_1000", c.schema, c.schema);
	report("queue", NULL, &r, &q);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_int_eq(r.rows[0].runs, 1000);
	/* Run times 1..1000 s: ranks 500 and 950. */
	ck_assert_int_eq(r.rows[0].p50_ms, 500000);
	ck_assert_int_eq(r.rows[0].p95_ms, 950000);
	/* No cores recorded: no usage. */
	ck_assert_int_eq(r.rows[0].vcore_s, 0);
	bpg_report_free(&r);
}
END_TEST

/* sql with each '?' outside a string literal replaced by the next of
 * vals. */
static void
fill_params(const char *sql, const char *const *vals, char *out, size_t size)
{
	size_t n = 0;
	const char *p;

	bool quoted = false;

	for (p = sql; *p != '\0' && n + 64 < size; p++) {
		if (*p == '\'')
			quoted = !quoted;
		if (*p == '?' && !quoted)
			n += (size_t)snprintf(out + n, size - n, "%s", *vals++);
		else
			out[n++] = *p;
	}
	out[n] = '\0';
}

/* EXPLAIN's key and Extra of the first table of sql. */
static void
explain(const char *sql, char *key, char *extra, size_t size)
{
	char q[8192];
	MYSQL_RES *res;
	MYSQL_ROW rw;
	MYSQL_FIELD *f;
	unsigned int i, nf;

	snprintf(q, sizeof(q), "EXPLAIN %s", sql);
	if (mysql_query(c.admin, q) != 0 ||
	    (res = mysql_store_result(c.admin)) == NULL)
		ck_abort_msg("%s: %s", q, mysql_error(c.admin));
	key[0] = extra[0] = '\0';
	nf = mysql_num_fields(res);
	f = mysql_fetch_fields(res);
	if ((rw = mysql_fetch_row(res)) != NULL)
		for (i = 0; i < nf; i++) {
			if (strcmp(f[i].name, "key") == 0 && rw[i] != NULL)
				snprintf(key, size, "%s", rw[i]);
			if (strcmp(f[i].name, "Extra") == 0 && rw[i] != NULL)
				snprintf(extra, size, "%s", rw[i]);
		}
	mysql_free_result(res);
	fprintf(stderr, "%s\n  key %s; %s\n", sql, key, extra);
}

/*
 * A whole-table report reads bpg_report alone (a range of created_time,
 * "Using index": no row is read), groupBy user excepted; a user's
 * report reads bpg_user_created.
 */
START_TEST(test_index)
{
	static const char *const all[] = { "1793491200", "1793750400" };
	static const char *const one[] = { "'bob'", "'bob'", "1793491200",
	    "1793750400" };
	char sql[8192], key[256], extra[256];
	int g;

	/* 2,000 rows over a year (MariaDB's Sequence engine). */
	tu_db_exec(&c, "INSERT INTO `%s`.application_submission (submission_id, "
	    "`user`, queue, status, created_time, start_time, finished_time, "
	    "driver_core, driver_memory_mb, number_executor, executor_core, "
	    "executor_memory_mb, cost) SELECT CONCAT('c01-', seq), "
	    "IF(seq %% 7, 'bob', 'carol'), 'q', 'COMPLETED', "
	    "TIMESTAMPADD(HOUR, seq * 4, '2026-01-01'), "
	    "TIMESTAMPADD(HOUR, seq * 4, '2026-01-01'), "
	    "TIMESTAMPADD(SECOND, seq * 14400 + 5, '2026-01-01'), "
	    "1, 1024, 2, 2, 2048, 1.00 FROM `%s`.seq_1_to_2000", c.schema,
	    c.schema);
	tu_db_exec(&c, "ANALYZE TABLE `%s`.application_submission", c.schema);
	for (g = 0; g < BPG_REPORT_GROUP__MAX; g++) {
		fill_params(bpg_db_report_sql(c.db, (enum bpg_report_group)g,
		    false), all, sql, sizeof(sql));
		explain(sql, key, extra, sizeof(key));
		if (g != BPG_REPORT_USER) {
			ck_assert_str_eq(key, "bpg_report");
			ck_assert_msg(strstr(extra, "Using index") != NULL,
			    "%s: %s", sql, extra);
		}
		fill_params(bpg_db_report_sql(c.db, (enum bpg_report_group)g,
		    true), one, sql, sizeof(sql));
		explain(sql, key, extra, sizeof(key));
		ck_assert_str_eq(key, "bpg_user_created");
	}
}
END_TEST

START_TEST(test_disabled)
{
	char empty[] = "";
	struct bpg_dbconf conf = { empty, NULL, NULL, NULL, NULL, 0 };
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_report_query q;
	struct bpg_errinfo ei = { "" };
	struct bpg_db *db = NULL;

	ck_assert(bpg_report_parse(NULL, NULL, NULL, NULL, 1796558400000LL, &q,
	    &ei) == BPG_OK);
	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_report(db, &q, &r, &ei), BPG_OK);
	ck_assert_uint_eq(r.n, 0);
	bpg_db_free(db);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("db_report");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_by_queue);
	tcase_add_test(tc, test_by_user);
	tcase_add_test(tc, test_own_rows);
	tcase_add_test(tc, test_by_cluster_and_day);
	tcase_add_test(tc, test_many_runs);
	tcase_add_test(tc, test_index);
	suite_add_tcase(su, tc);
	tc = tcase_create("disabled");
	tcase_add_test(tc, test_disabled);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
