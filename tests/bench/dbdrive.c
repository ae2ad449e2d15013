/*
 * dbdrive: MariaDB driven directly with the row a submission writes, the
 * database reference of the submit benchmark.
 *
 *	dbdrive -P PORT [-H HOST] [-u USER] [-p PASSWORD] [-D DB]
 *	    [-c CONCURRENCY] [-d SECONDS] [-w WARMUP] [-b BODYFILE]
 *	    [-s SUMMARYFILE] [-x PREFIX]
 *	dbdrive -P PORT ... -Q QUERYFILE [-n RUNS]
 *
 * CONCURRENCY threads (default 4), each with its own connection made the
 * way a gateway worker makes it (TCP, utf8mb4, UTC session), prepare the
 * gateway's insert (the upsert of lib/bpg_db_submissions.c, autocommit)
 * once and run it with fresh submission IDs for WARMUP seconds (not
 * counted), then for SECONDS.  The row is the one a SparkPi submission stores: request_body
 * is BODYFILE's content (the stored, sanitized request), and
 * bpg_request_summary SUMMARYFILE's (the parts the history lists read).
 * Prints one line:
 *
 *	requests=N seconds=S rps=R p50_ms=X p99_ms=Y errors=E
 *
 * With -Q, times queries instead: QUERYFILE has one "NAME<TAB>SQL" a line;
 * each SQL is run twice to warm up, then RUNS times (default 20) on one
 * connection, its rows fetched as the gateway fetches them (stored on the
 * client).  One line per query:
 *
 *	query name=NAME median_ms=X max_ms=Y rows=N
 *
 * Benchmark tool only; never installed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchdb.h"

#define MAX_THREADS 256

static struct benchdb dbc = { "127.0.0.1", "bpg", "bpg-test-pw", "bpg", 0 };
static const char *prefix = "dbd";
static double warmup_s = 1, run_s = 5;
static char body[BENCHDB_MAX_TEXT + 1] = "{}";
static char summary[BENCHDB_MAX_TEXT + 1] = "{}";

/* Start and end of the measured window, monotonic seconds. */
static double t_start, t_end;
static pthread_barrier_t ready, go;

struct worker {
	pthread_t tid;
	int index;
	uint32_t *lat_us; /* per measured request */
	size_t n, cap;
	long errors;
	bool failed;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool
record(struct worker *w, uint32_t us)
{
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 4096;
		uint32_t *nl = realloc(w->lat_us, ncap * sizeof(*nl));

		if (nl == NULL)
			return false;
		w->lat_us = nl;
		w->cap = ncap;
	}
	w->lat_us[w->n++] = us;
	return true;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	char id[128];
	MYSQL_STMT *st = NULL;
	MYSQL *my;
	unsigned long seq = 0;
	double t0, t1;

	if ((my = benchdb_connect(&dbc, "dbdrive")) == NULL ||
	    (st = benchdb_prepare_insert(my, &dbc, "dbdrive")) == NULL)
		w->failed = true;
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&go);
	if (w->failed)
		goto out;
	for (;;) {
		snprintf(id, sizeof(id), "%s-%d-%lu", prefix, w->index, seq++);
		t0 = now_s();
		if (t0 >= t_end)
			break;
		if (benchdb_insert(st, id, body, summary) != 0) {
			if (w->errors++ == 0)
				fprintf(stderr, "dbdrive: insert: %s\n",
				    mysql_stmt_error(st));
			continue;
		}
		t1 = now_s();
		if (t0 >= t_start && t1 <= t_end &&
		    !record(w, (uint32_t)((t1 - t0) * 1e6))) {
			w->failed = true;
			break;
		}
	}
out:
	if (st != NULL)
		mysql_stmt_close(st);
	if (my != NULL)
		mysql_close(my);
	mysql_thread_end();
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Run sql once, fetching every row; the row count, or -1. */
static long
query_once(MYSQL *my, const char *sql)
{
	MYSQL_RES *res;
	long rows = 0;

	if (mysql_real_query(my, sql, (unsigned long)strlen(sql)) != 0)
		return -1;
	if ((res = mysql_store_result(my)) != NULL) {
		while (mysql_fetch_row(res) != NULL)
			rows++;
		mysql_free_result(res);
	} else if (mysql_field_count(my) != 0)
		return -1;
	return rows;
}

static int
run_queries(const char *path, int runs)
{
	char line[16384], *sql, *nl;
	uint32_t lat[1000];
	MYSQL *my;
	FILE *f;
	long rows = 0;
	double t0;
	int i, rc = 0;

	if (runs < 1 || runs > 1000)
		runs = 20;
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "dbdrive: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if ((my = benchdb_connect(&dbc, "dbdrive")) == NULL) {
		fclose(f);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '\0' || line[0] == '#' ||
		    (sql = strchr(line, '\t')) == NULL)
			continue;
		*sql++ = '\0';
		for (i = -2; i < runs; i++) {
			t0 = now_s();
			if ((rows = query_once(my, sql)) < 0)
				break;
			if (i >= 0)
				lat[i] = (uint32_t)((now_s() - t0) * 1e6);
		}
		if (rows < 0) {
			fprintf(stderr, "dbdrive: %s: %s\n", line,
			    mysql_error(my));
			rc = 1;
			continue;
		}
		qsort(lat, (size_t)runs, sizeof(lat[0]), cmp_u32);
		printf("query name=%s median_ms=%.3f max_ms=%.3f rows=%ld\n",
		    line, lat[runs / 2] / 1000.0, lat[runs - 1] / 1000.0, rows);
	}
	fclose(f);
	mysql_close(my);
	return rc;
}

int
main(int argc, char *argv[])
{
	static struct worker w[MAX_THREADS];
	uint32_t *all;
	size_t total = 0, k;
	long conc = 4, errors = 0;
	const char *queries = NULL;
	int ch, i, runs = 20;
	char *end;

	while ((ch = getopt(argc, argv, "H:P:u:p:D:c:d:w:b:s:x:Q:n:")) != -1) {
		switch (ch) {
		case 'H': dbc.host = optarg; break;
		case 'P': dbc.port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'u': dbc.user = optarg; break;
		case 'p': dbc.password = optarg; break;
		case 'D': dbc.db = optarg; break;
		case 'c':
			conc = strtol(optarg, &end, 10);
			if (*end != '\0' || conc < 1 || conc > MAX_THREADS) {
				fprintf(stderr, "dbdrive: -c takes 1 to %d\n",
				    MAX_THREADS);
				return 2;
			}
			break;
		case 'd': run_s = strtod(optarg, NULL); break;
		case 'w': warmup_s = strtod(optarg, NULL); break;
		case 'b': benchdb_read_text("dbdrive", optarg, body); break;
		case 's': benchdb_read_text("dbdrive", optarg, summary); break;
		case 'x': prefix = optarg; break;
		case 'Q': queries = optarg; break;
		case 'n': runs = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: dbdrive -P PORT [-H HOST] "
			    "[-u USER] [-p PASSWORD] [-D DB] [-c N] [-d S] "
			    "[-w S] [-b BODYFILE] [-x PREFIX] [-Q FILE [-n N]]"
			    "\n");
			return 2;
		}
	}
	if (dbc.port == 0 || run_s <= 0 || warmup_s < 0) {
		fprintf(stderr, "dbdrive: -P PORT and a positive -d needed\n");
		return 2;
	}
	if (mysql_library_init(0, NULL, NULL) != 0)
		return 1;
	if (queries != NULL)
		return run_queries(queries, runs);
	pthread_barrier_init(&ready, NULL, (unsigned int)conc + 1);
	pthread_barrier_init(&go, NULL, (unsigned int)conc + 1);
	for (i = 0; i < conc; i++) {
		w[i].index = i;
		if (pthread_create(&w[i].tid, NULL, run, &w[i]) != 0) {
			fprintf(stderr, "dbdrive: cannot start threads\n");
			return 1;
		}
	}
	/* The window starts once every thread is connected and prepared. */
	pthread_barrier_wait(&ready);
	t_start = now_s() + warmup_s;
	t_end = t_start + run_s;
	pthread_barrier_wait(&go);
	for (i = 0; i < conc; i++) {
		pthread_join(w[i].tid, NULL);
		if (w[i].failed)
			return 1;
		total += w[i].n;
		errors += w[i].errors;
	}
	if (total == 0 || (all = malloc(total * sizeof(*all))) == NULL) {
		fprintf(stderr, "dbdrive: no request completed\n");
		return 1;
	}
	for (i = 0, k = 0; i < conc; i++) {
		memcpy(all + k, w[i].lat_us, w[i].n * sizeof(*all));
		k += w[i].n;
		free(w[i].lat_us);
	}
	qsort(all, total, sizeof(*all), cmp_u32);
	printf("requests=%zu seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f "
	    "errors=%ld\n", total, run_s, (double)total / run_s,
	    all[total / 2] / 1000.0, all[(total * 99) / 100] / 1000.0, errors);
	free(all);
	mysql_library_end();
	return 0;
}
