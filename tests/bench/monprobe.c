/*
 * monprobe: the monitor's event-to-row latency seen from outside, the
 * end-to-end probe of the monitor's benchmark (tests/bench/monitor.sh).
 *
 *	monprobe -P PORT [-H HOST] -k CAFILE [-d SECONDS] [-i INTERVAL_MS]
 *	    [-w WARMUP_MS] URL...
 *
 * Each URL is a SparkApplication of the Kubernetes API stand-in
 * (.../sparkapplications/NAME) whose row (submission_id NAME) the
 * monitor already holds; the bearer token is $BPG_KUBE_TOKEN.  One
 * thread a URL, after WARMUP_MS (default 500) and staggered by
 * INTERVAL_MS / count, for SECONDS (default 10): every INTERVAL_MS
 * (default 150; later if the last change was seen later), a change of
 * state (SUBMITTED, PENDING_RERUN, UNKNOWN in turn, never the row's
 * current one) as tests/bench/monwatch.lua makes it (a merge patch of
 * the status subresource); the time its answer came; then the row read
 * on one kept connection (SELECT status ... WHERE submission_id = ?),
 * 1 ms apart, until it shows the new state, or 10 s have passed (the
 * change is counted lost).  latency = row seen - answer.
 *
 * Prints one line:
 *
 *	probe patches=N changes=C seen=S lost=L p50_ms=X p99_ms=Y
 *	    max_ms=Z mean_ms=M errors=E
 *
 * patches: requests sent (the stand-in counts them among its PATCHes);
 * changes: those answered 200; errors: the others and failed reads.
 * Exit 1 on a bad argument or a URL whose row cannot be read at the
 * start.  Benchmark tool only; never installed.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <mysql.h>

#define PROG "monprobe"
#define PROBES_MAX 64
#define LOST_S 10.0
#define STATE_MAX 64

static const char *const states[] = { "SUBMITTED", "PENDING_RERUN",
	"UNKNOWN" };
#define NSTATES (sizeof(states) / sizeof(states[0]))

struct opts {
	const char *host;
	unsigned int port;
	const char *cafile;
	const char *token;
	double seconds;
	double interval_s;
	double warmup_s;
	size_t count;
};

struct probe {
	const struct opts *o;
	const char *url;
	char name[128];
	double start;		/* monotonic: first change */
	double end;		/* no change made after */
	double *lat;		/* seconds, one a change seen */
	size_t nlat, caplat;
	unsigned long patches, changes, lost, errors;
	char fail[256];		/* set: the thread could not run */
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* The row's status into buf ("" when NULL); false if the read failed or
 * there is no row. */
static bool
read_status(MYSQL_STMT *st, const char *name, char *buf, size_t cap)
{
	MYSQL_BIND in, out;
	unsigned long nlen = strlen(name), olen = 0;
	my_bool isnull = 0;
	bool ok;

	memset(&in, 0, sizeof(in));
	in.buffer_type = MYSQL_TYPE_STRING;
	in.buffer = (void *)(uintptr_t)name;
	in.buffer_length = nlen;
	in.length = &nlen;
	memset(&out, 0, sizeof(out));
	out.buffer_type = MYSQL_TYPE_STRING;
	out.buffer = buf;
	out.buffer_length = cap - 1;
	out.length = &olen;
	out.is_null = &isnull;
	if (mysql_stmt_bind_param(st, &in) != 0 || mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, &out) != 0)
		return false;
	ok = mysql_stmt_fetch(st) == 0;
	mysql_stmt_free_result(st);
	if (!ok)
		return false;
	if (isnull)
		olen = 0;
	buf[olen < cap ? olen : cap - 1] = '\0';
	return true;
}

static bool
keep(struct probe *p, double v)
{
	double *n;

	if (p->nlat == p->caplat) {
		p->caplat = p->caplat ? p->caplat * 2 : 256;
		if ((n = realloc(p->lat, p->caplat * sizeof(*n))) == NULL)
			return false;
		p->lat = n;
	}
	p->lat[p->nlat++] = v;
	return true;
}

static void *
run(void *arg)
{
	struct probe *p = arg;
	const struct opts *o = p->o;
	static const char q[] = "SELECT status FROM bpg.application_submission "
	    "WHERE submission_id = ?";
	MYSQL *db = NULL;
	MYSQL_STMT *st = NULL;
	CURL *c = NULL;
	struct curl_slist *h = NULL;
	char url[1024], auth[4096], cur[STATE_MAX], body[256];
	unsigned int k = 0;
	double due;
	long code;

	mysql_thread_init();
	if ((db = mysql_init(NULL)) == NULL ||
	    mysql_real_connect(db, o->host, "bpg", "bpg-test-pw", "bpg",
	    o->port, NULL, 0) == NULL) {
		snprintf(p->fail, sizeof(p->fail), "MariaDB: %s",
		    db ? mysql_error(db) : "out of memory");
		goto out;
	}
	if ((st = mysql_stmt_init(db)) == NULL ||
	    mysql_stmt_prepare(st, q, sizeof(q) - 1) != 0) {
		snprintf(p->fail, sizeof(p->fail), "prepare: %s",
		    mysql_error(db));
		goto out;
	}
	if (!read_status(st, p->name, cur, sizeof(cur))) {
		snprintf(p->fail, sizeof(p->fail), "no row %s", p->name);
		goto out;
	}
	snprintf(url, sizeof(url), "%s/status", p->url);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", o->token);
	if ((c = curl_easy_init()) == NULL ||
	    (h = curl_slist_append(h, auth)) == NULL ||
	    (h = curl_slist_append(h,
	    "Content-Type: application/merge-patch+json")) == NULL) {
		snprintf(p->fail, sizeof(p->fail), "curl: out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CAINFO, o->cafile);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);

	due = p->start;
	while (due < p->end) {
		double answered, t;
		bool seen = false;

		sleep_until(due);
		while (strcmp(states[k % NSTATES], cur) == 0)
			k++;
		snprintf(body, sizeof(body), "{\"status\":{\"applicationState\":"
		    "{\"state\":\"%s\"},\"driverInfo\":{}}}",
		    states[k % NSTATES]);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		p->patches++;
		code = 0;
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) !=
		    CURLE_OK || code != 200) {
			p->errors++;
			due += o->interval_s;
			continue;
		}
		answered = now_s();
		p->changes++;
		for (;;) {
			if (!read_status(st, p->name, cur, sizeof(cur)))
				p->errors++;
			else if (strcmp(cur, states[k % NSTATES]) == 0) {
				seen = true;
				break;
			}
			if (now_s() - answered > LOST_S)
				break;
			sleep_until(now_s() + 0.001);
		}
		t = now_s();
		if (!seen)
			p->lost++;
		else if (!keep(p, t - answered)) {
			snprintf(p->fail, sizeof(p->fail), "out of memory");
			goto out;
		}
		due += o->interval_s;
		if (due < t)
			due = t;
	}
out:
	curl_slist_free_all(h);
	if (c != NULL)
		curl_easy_cleanup(c);
	if (st != NULL)
		mysql_stmt_close(st);
	if (db != NULL)
		mysql_close(db);
	mysql_thread_end();
	return NULL;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank. */
static double
rank(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n + 0.999999);

	if (i < 1)
		i = 1;
	return v[(i > n ? n : i) - 1];
}

static void
usage(void)
{
	fprintf(stderr, "usage: " PROG " -P PORT [-H HOST] -k CAFILE "
	    "[-d SECONDS] [-i INTERVAL_MS] [-w WARMUP_MS] URL...\n");
	exit(1);
}

static double
num(const char *s, double lo, double hi)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v >= lo && v <= hi))
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	struct opts o = { "127.0.0.1", 0, NULL, NULL, 10, 0.15, 0.5, 0 };
	static struct probe pr[PROBES_MAX];
	pthread_t th[PROBES_MAX];
	double *all, t0, sum = 0;
	size_t i, n = 0;
	unsigned long patches = 0, changes = 0, lost = 0, errors = 0;
	int ch, rc = 0;

	while ((ch = getopt(argc, argv, "P:H:k:d:i:w:")) != -1)
		switch (ch) {
		case 'P':
			o.port = (unsigned int)num(optarg, 1, 65535);
			break;
		case 'H':
			o.host = optarg;
			break;
		case 'k':
			o.cafile = optarg;
			break;
		case 'd':
			o.seconds = num(optarg, 0.1, 86400);
			break;
		case 'i':
			o.interval_s = num(optarg, 1, 60000) / 1000;
			break;
		case 'w':
			o.warmup_s = num(optarg, 0, 60000) / 1000;
			break;
		default:
			usage();
		}
	o.token = getenv("BPG_KUBE_TOKEN");
	o.count = (size_t)(argc - optind);
	if (o.port == 0 || o.cafile == NULL || o.token == NULL ||
	    o.count < 1 || o.count > PROBES_MAX)
		usage();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    mysql_library_init(0, NULL, NULL) != 0) {
		fprintf(stderr, PROG ": library init failed\n");
		return 1;
	}
	t0 = now_s() + o.warmup_s;
	for (i = 0; i < o.count; i++) {
		const char *u = argv[optind + (int)i], *s = strrchr(u, '/');

		if (s == NULL || s[1] == '\0' ||
		    strlen(s + 1) >= sizeof(pr[i].name))
			usage();
		pr[i].o = &o;
		pr[i].url = u;
		snprintf(pr[i].name, sizeof(pr[i].name), "%s", s + 1);
		pr[i].start = t0 + o.interval_s * (double)i / (double)o.count;
		pr[i].end = t0 + o.seconds;
		if (pthread_create(&th[i], NULL, run, &pr[i]) != 0) {
			fprintf(stderr, PROG ": cannot start a thread\n");
			return 1;
		}
	}
	for (i = 0; i < o.count; i++) {
		pthread_join(th[i], NULL);
		if (pr[i].fail[0] != '\0') {
			fprintf(stderr, PROG ": %s: %s\n", pr[i].url,
			    pr[i].fail);
			rc = 1;
		}
		n += pr[i].nlat;
		patches += pr[i].patches;
		changes += pr[i].changes;
		lost += pr[i].lost;
		errors += pr[i].errors;
	}
	if ((all = calloc(n ? n : 1, sizeof(*all))) == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	for (n = 0, i = 0; i < o.count; i++) {
		if (pr[i].nlat > 0)
			memcpy(all + n, pr[i].lat, pr[i].nlat * sizeof(*all));
		n += pr[i].nlat;
		free(pr[i].lat);
	}
	qsort(all, n, sizeof(*all), cmp_d);
	for (i = 0; i < n; i++)
		sum += all[i];
	if (n > 0)
		printf("probe patches=%lu changes=%lu seen=%zu lost=%lu "
		    "p50_ms=%.3f p99_ms=%.3f max_ms=%.3f mean_ms=%.3f "
		    "errors=%lu\n", patches, changes, n, lost,
		    rank(all, n, 0.5) * 1000, rank(all, n, 0.99) * 1000,
		    all[n - 1] * 1000, sum / (double)n * 1000, errors);
	else
		printf("probe patches=%lu changes=%lu seen=0 lost=%lu "
		    "p50_ms=- p99_ms=- max_ms=- mean_ms=- errors=%lu\n",
		    patches, changes, lost, errors);
	free(all);
	mysql_library_end();
	curl_global_cleanup();
	return rc;
}
