/*
 * monupsert: the monitor's writes driven directly, through lib/bpg_db as
 * bpg-monitor makes them, the reference of the monitor's benchmark
 * (tests/bench/monitor.sh).
 *
 *	monupsert -P PORT [-H HOST] [-D DB] [-x PREFIX] [-n ROWS]
 *	    [-d SECONDS] [-F]
 *
 * One connection, as the monitor's leader has, fenced by a lease of its
 * own (bpg_db_set_fence(), the monitor's fence under another name; -F:
 * not fenced), at full speed:
 *
 *   page   the list's path: ROWS (default 100000) new rows PREFIX%07d
 *          (default prefix "mu-") by pages of BPG_DB_MONBATCH_MAX, each
 *          page read by bpg_db_monitor_read_many() and written
 *          SUBMITTED by bpg_db_monitor_state_many(), as
 *          lib/bpg_monitor_reconcile.c does for a page of new
 *          applications.
 *   event  the watch's path: for SECONDS (default 5), one
 *          bpg_db_monitor_state() at a time on those rows in turn, the
 *          state alternating PENDING_RERUN / SUBMITTED on each pass
 *          (every write a change), as a watch event's write.
 *
 * Prints two lines:
 *
 *	page rows=N seconds=S rows_per_s=R
 *	event rows=N seconds=S rows_per_s=R p50_ms=X p99_ms=Y mean_ms=M
 *	    errors=E
 *
 * The rows are left for the caller to delete (submission_id LIKE
 * 'PREFIX%').  Benchmark tool only; never installed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpg_db.h"
#include "bpg_db_lease.h"
#include "bpg_db_monbatch.h"

#define PROG "monupsert"
#define LEASE "monupsert-bench"
#define ID_MAX 64

static char user[] = "bpg", password[] = "bpg-test-pw", bpg[] = "bpg";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const char *why)
{
	fprintf(stderr, PROG ": %s: %s\n", what, why);
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: " PROG " -P PORT [-H HOST] [-D DB] "
	    "[-x PREFIX] [-n ROWS] [-d SECONDS] [-F]\n");
	exit(2);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of the n sorted samples (microseconds), in ms. */
static double
quantile_ms(const uint32_t *v, size_t n, double q)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(q * (double)n);
	if (i >= n)
		i = n - 1;
	return v[i] / 1e3;
}

int
main(int argc, char **argv)
{
	const char *host = "127.0.0.1", *prefix = "mu-";
	char *dbname = bpg;
	long rows = 100000, port = 0, i, j, n, nerr = 0;
	double secs = 5, t0, t1, t, sum = 0;
	bool fence = true;
	struct bpg_dbconf conf;
	struct bpg_db_lease lease;
	struct bpg_errinfo ei;
	struct bpg_db *db;
	struct bpg_db_app *got;
	struct bpg_db_state_row *st;
	const char **ids;
	char (*names)[ID_MAX], url[256], holder[64];
	uint32_t *lat = NULL;
	size_t nlat = 0, cap = 0;
	int c;

	while ((c = getopt(argc, argv, "P:H:D:x:n:d:F")) != -1) {
		switch (c) {
		case 'P': port = strtol(optarg, NULL, 10); break;
		case 'H': host = optarg; break;
		case 'D': dbname = optarg; break;
		case 'x': prefix = optarg; break;
		case 'n': rows = strtol(optarg, NULL, 10); break;
		case 'd': secs = strtod(optarg, NULL); break;
		case 'F': fence = false; break;
		default: usage();
		}
	}
	if (port <= 0 || port > 65535 || rows < 1 || rows > 10000000 ||
	    !(secs > 0) || strlen(prefix) > 32)
		usage();

	memset(&conf, 0, sizeof(conf));
	snprintf(url, sizeof(url), "jdbc:mysql://%s:%ld/bpg", host, port);
	conf.connection_string = url;
	conf.user = user;
	conf.password = password;
	conf.db_name = dbname;
	if (bpg_db_new(&conf, &db, &ei) != BPG_OK ||
	    bpg_db_connect(db, &ei) != BPG_OK)
		die("bpg_db", ei.msg);
	snprintf(holder, sizeof(holder), PROG "-%ld", (long)getpid());
	if (fence) {
		if (bpg_db_lease_acquire(db, LEASE, holder, 0, 600000, &lease,
		    &ei) != BPG_OK)
			die("lease", ei.msg);
		if (!lease.held)
			die("lease", "held by another " PROG);
		if (bpg_db_set_fence(db, LEASE, holder, lease.token, &ei) !=
		    BPG_OK)
			die("fence", ei.msg);
	}

	names = calloc((size_t)rows, sizeof(*names));
	ids = calloc(BPG_DB_MONBATCH_MAX, sizeof(*ids));
	got = calloc(BPG_DB_MONBATCH_MAX, sizeof(*got));
	st = calloc(BPG_DB_MONBATCH_MAX, sizeof(*st));
	if (names == NULL || ids == NULL || got == NULL || st == NULL)
		die("memory", "out of memory");
	for (i = 0; i < rows; i++)
		snprintf(names[i], ID_MAX, "%s%07ld", prefix, i);

	/* page: read the page's rows, then write all its states. */
	t0 = now_s();
	for (i = 0; i < rows; i += n) {
		n = rows - i < BPG_DB_MONBATCH_MAX ? rows - i :
		    BPG_DB_MONBATCH_MAX;
		for (j = 0; j < n; j++) {
			ids[j] = names[i + j];
			st[j].id = names[i + j];
			st[j].status = "SUBMITTED";
			st[j].app_id = NULL;
		}
		if (bpg_db_monitor_read_many(db, ids, (size_t)n, got, &ei) !=
		    BPG_OK)
			die("read a page", ei.msg);
		if (bpg_db_monitor_state_many(db, st, (size_t)n, &ei) != BPG_OK)
			die("write a page", ei.msg);
	}
	t1 = now_s();
	printf("page rows=%ld seconds=%.3f rows_per_s=%.0f\n", rows, t1 - t0,
	    (double)rows / (t1 - t0));
	fflush(stdout);

	/* event: one row at a time, each a change. */
	t0 = now_s();
	for (i = 0;; i++) {
		const char *s = (i / rows) % 2 == 0 ? "PENDING_RERUN" :
		    "SUBMITTED";

		t = now_s();
		if (t - t0 >= secs)
			break;
		if (bpg_db_monitor_state(db, names[i % rows], s, NULL, &ei) !=
		    BPG_OK) {
			nerr++;
			continue;
		}
		if (nlat == cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			uint32_t *nl = realloc(lat, ncap * sizeof(*nl));

			if (nl == NULL)
				die("memory", "out of memory");
			lat = nl;
			cap = ncap;
		}
		lat[nlat++] = (uint32_t)((now_s() - t) * 1e6);
	}
	t1 = now_s();
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	for (i = 0; i < (long)nlat; i++)
		sum += lat[i];
	printf("event rows=%zu seconds=%.3f rows_per_s=%.0f p50_ms=%.3f "
	    "p99_ms=%.3f mean_ms=%.3f errors=%ld\n", nlat, t1 - t0,
	    (double)nlat / (t1 - t0), quantile_ms(lat, nlat, 0.5),
	    quantile_ms(lat, nlat, 0.99),
	    nlat ? sum / 1e3 / (double)nlat : 0.0, nerr);

	if (fence) {
		if (bpg_db_set_fence(db, NULL, NULL, 0, &ei) != BPG_OK ||
		    bpg_db_lease_release(db, LEASE, holder, lease.token, &ei) !=
		    BPG_OK)
			fprintf(stderr, PROG ": releasing the lease: %s\n",
			    ei.msg);
	}
	free(lat);
	free(st);
	free(got);
	free(ids);
	free(names);
	bpg_db_free(db);
	return nerr == 0 ? 0 : 1;
}
