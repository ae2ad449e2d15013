/*
 * reportbench: the reports (lib/bpg_db_report.c) at 1,000,000 rows.
 *
 *	reportbench -P PORT [-H HOST] [-D SCHEMA] [-r ROWS] [-n RUNS] [-k]
 *
 * Makes a scratch schema (default bpg_report_bench, dropped first and at
 * the end unless -k keeps it) through lib/bpg_db's own migration, so it has exactly the
 * gateway's tables and indexes; fills application_submission with ROWS
 * rows (default 1,000,000) by one INSERT ... SELECT over MariaDB's
 * sequence engine: a year of submissions (one each 31.5 s), 1,000 users,
 * 8 queues, two clusters, 90% COMPLETED, 8% FAILED, 1% LOST, 1% still
 * running, run times of 30 s to an hour, 1 to 10 executors, a cost.
 * The buffer pool is set to 512 MiB, as tests/bench/scale.sh sets it.
 * Then times bpg_db_report() itself, as GET /admin/report runs it, for
 * the 30 days ending at the newest row (about 82,000 rows), once per
 * groupBy and once for one user's GET /report, RUNS times each (default
 * 5, after one warm-up run); and, for scale, the longest span by queue
 * (366 days: every row; at most 3 runs).  One line per case:
 *
 *	report name=NAME median_ms=X max_ms=Y rows=N
 *
 * then the EXPLAIN of each statement on stderr.  tests/bench/scale.sh
 * runs it against the benchmark's MariaDB (make bench); by hand:
 *
 *	sh tests/mariadb.sh start /tmp/rb 13306
 *	build/tests/bench/reportbench -P 13306
 *	sh tests/mariadb.sh stop /tmp/rb
 *
 * Timings are printed, never asserted.  Benchmark tool only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#include "bpg_db.h"
#include "bpg_db_report.h"
#include "bpg_report.h"

#define PROG "reportbench"
/* The first row's creation time: 2025-01-01T00:00:00Z. */
#define T0 1735689600LL

static char user[] = "bpg", password[] = "bpg-test-pw";

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
die(const char *what, const char *why)
{
	fprintf(stderr, PROG ": %s: %s\n", what, why);
	exit(1);
}

static void
exec(MYSQL *my, const char *sql)
{
	if (mysql_query(my, sql) != 0)
		die(sql, mysql_error(my));
	mysql_free_result(mysql_store_result(my));
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Time RUNS reports of q; one line. */
static void
time_report(struct bpg_db *db, const char *name,
    const struct bpg_report_query *q, int runs)
{
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_errinfo ei = { "" };
	double t[64], t0;
	int i;

	for (i = -1; i < runs; i++) {
		t0 = now_ms();
		if (bpg_db_report(db, q, &r, &ei) != BPG_OK)
			die(name, ei.msg);
		if (i >= 0)
			t[i] = now_ms() - t0;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
	printf("report name=%s median_ms=%.1f max_ms=%.1f rows=%zu\n", name,
	    t[runs / 2], t[runs - 1], r.n);
	fflush(stdout);
	bpg_report_free(&r);
}

/* EXPLAIN of sql with its parameters filled in, on stderr. */
static void
explain(MYSQL *my, const char *title, const char *sql, const char *const *v)
{
	char q[8192];
	size_t n = 0;
	int quoted = 0;
	const char *p;
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL_FIELD *f;
	unsigned int i, nf;

	n = (size_t)snprintf(q, sizeof(q), "EXPLAIN ");
	for (p = sql; *p != '\0' && n + 64 < sizeof(q); p++) {
		if (*p == '\'')
			quoted = !quoted;
		if (*p == '?' && !quoted)
			n += (size_t)snprintf(q + n, sizeof(q) - n, "%s", *v++);
		else
			q[n++] = *p;
	}
	q[n] = '\0';
	if (mysql_query(my, q) != 0 || (res = mysql_store_result(my)) == NULL)
		die(q, mysql_error(my));
	fprintf(stderr, "== %s\n%s\n", title, q + 8);
	nf = mysql_num_fields(res);
	f = mysql_fetch_fields(res);
	while ((row = mysql_fetch_row(res)) != NULL) {
		for (i = 0; i < nf; i++)
			fprintf(stderr, "%s%s=%s", i ? " " : "  ", f[i].name,
			    row[i] != NULL ? row[i] : "NULL");
		fputc('\n', stderr);
	}
	mysql_free_result(res);
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *schema = "bpg_report_bench";
	unsigned int port = 0, proto = MYSQL_PROTOCOL_TCP;
	long rows = 1000000;
	int runs = 5, keep = 0, c, g;
	char url[256], sql[4096], from[32], to[32], name[64];
	char dbname[128];
	struct bpg_dbconf conf;
	struct bpg_errinfo ei = { "" };
	struct bpg_report_query q;
	struct bpg_db *db;
	MYSQL *my;
	double t0;
	long long last;

	while ((c = getopt(argc, argv, "P:H:D:r:n:k")) != -1)
		switch (c) {
		case 'P': port = (unsigned)atoi(optarg); break;
		case 'H': host = optarg; break;
		case 'D': schema = optarg; break;
		case 'r': rows = atol(optarg); break;
		case 'n': runs = atoi(optarg); break;
		case 'k': keep = 1; break;
		default:
			fprintf(stderr, "usage: " PROG " -P PORT [-H HOST] "
			    "[-D SCHEMA] [-r ROWS] [-n RUNS] [-k]\n");
			return 2;
		}
	if (port == 0 || rows < 1 || rows > 100000000 || runs < 1 || runs > 64)
		die("options", "-P is required; 1 <= RUNS <= 64");
	snprintf(dbname, sizeof(dbname), "%s", schema);

	if ((my = mysql_init(NULL)) == NULL)
		die("mysql_init", "out of memory");
	mysql_options(my, MYSQL_OPT_PROTOCOL, &proto);
	if (mysql_real_connect(my, host, user, password, NULL, port, NULL,
	    0) == NULL)
		die("connect", mysql_error(my));
	exec(my, "SET time_zone = '+00:00'");
	/* As tests/bench/scale.sh: table and indexes in memory, as on a
	 * production server. */
	exec(my, "SET GLOBAL innodb_buffer_pool_size = 512 * 1024 * 1024");
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS `%s`", schema);
	exec(my, sql);

	/* The gateway's own migration makes the tables and indexes. */
	memset(&conf, 0, sizeof(conf));
	snprintf(url, sizeof(url), "jdbc:mysql://%s:%u/bpg", host, port);
	conf.connection_string = url;
	conf.user = user;
	conf.password = password;
	conf.db_name = dbname;
	if (bpg_db_new(&conf, &db, &ei) != BPG_OK ||
	    bpg_db_connect(db, &ei) != BPG_OK)
		die("bpg_db", ei.msg);

	t0 = now_ms();
	exec(my, "SET SESSION unique_checks = 0");
	exec(my, "START TRANSACTION");
	snprintf(sql, sizeof(sql),
	    "INSERT INTO `%s`.application_submission (submission_id, `user`, "
	    "app_name, spark_version, queue, status, app_id, created_time, "
	    "start_time, finished_time, driver_core, driver_memory_mb, "
	    "number_executor, executor_core, executor_memory_mb, cost) "
	    "SELECT CONCAT(IF(seq %% 2, 'spark-cluster-a-', "
	    "'spark-cluster-b-'), LOWER(LPAD(HEX(seq), 32, '0'))), "
	    "CONCAT('user', LPAD(seq %% 1000, 4, '0')), "
	    "CONCAT('app', seq %% 100), '3.5.0', CONCAT('q', seq %% 8), "
	    "CASE WHEN seq %% 100 >= 99 THEN 'RUNNING' WHEN seq %% 100 = 98 "
	    "THEN 'LOST' WHEN seq %% 100 >= 90 THEN 'FAILED' "
	    "ELSE 'COMPLETED' END, "
	    "CONCAT('spark-', LPAD(HEX(seq), 32, '0')), "
	    "FROM_UNIXTIME(%lld + seq * 63 DIV 2), "
	    "FROM_UNIXTIME(%lld + seq * 63 DIV 2 + 20), "
	    "IF(seq %% 100 >= 99, NULL, FROM_UNIXTIME(%lld + seq * 63 DIV 2 + "
	    "50 + (seq * 7919) %% 3600)), "
	    "1, 2048, 1 + seq %% 10, 2, 4096, "
	    "IF(seq %% 100 >= 99, NULL, ROUND(((4096 * (1 + seq %% 10) + 2048) "
	    "* 0.000000000372 + (2 * (1 + seq %% 10) + 1) * 0.000003) * "
	    "(30 + (seq * 7919) %% 3600), 2)) "
	    "FROM `%s`.seq_1_to_%ld", schema, T0, T0, T0, schema, rows);
	exec(my, sql);
	exec(my, "COMMIT");
	snprintf(sql, sizeof(sql), "ANALYZE TABLE `%s`.application_submission",
	    schema);
	exec(my, sql);
	printf("load rows=%ld seconds=%.1f\n", rows, (now_ms() - t0) / 1e3);
	fflush(stdout);

	/* The 30 days up to the newest row. */
	last = T0 + rows * 63 / 2 + 1;
	snprintf(from, sizeof(from), "%lld", last - 30 * 86400);
	snprintf(to, sizeof(to), "%lld", last);
	for (g = 0; g < BPG_REPORT_GROUP__MAX; g++) {
		memset(&q, 0, sizeof(q));
		q.from_s = last - 30 * 86400;
		q.to_s = last;
		q.from_ms = q.from_s * 1000;
		q.to_ms = q.to_s * 1000;
		q.group = (enum bpg_report_group)g;
		snprintf(name, sizeof(name), "30d_%s",
		    bpg_report_group_name(q.group));
		time_report(db, name, &q, runs);
	}
	q.group = BPG_REPORT_QUEUE;
	q.user = "user0042";
	time_report(db, "30d_own_queue", &q, runs);
	q.user = NULL;
	q.from_s = last - 366 * 86400;
	q.from_ms = q.from_s * 1000;
	time_report(db, "366d_queue", &q, runs < 3 ? runs : 3);

	for (g = 0; g < BPG_REPORT_GROUP__MAX; g++) {
		const char *const all[] = { from, to };

		explain(my, bpg_report_group_name((enum bpg_report_group)g),
		    bpg_db_report_sql(db, (enum bpg_report_group)g, false),
		    all);
	}
	{
		const char *const one[] = { "'user0042'", "'user0042'", from,
		    to };

		explain(my, "own queue", bpg_db_report_sql(db,
		    BPG_REPORT_QUEUE, true), one);
	}
	bpg_db_free(db);
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS `%s`", schema);
	if (!keep)
		exec(my, sql);
	mysql_close(my);
	return 0;
}
