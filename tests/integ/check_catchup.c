/*
 * The monitor's catch-up against the running stack (tests/integ.sh):
 * NAPPS SparkApplications in each of the stand-in's two clusters, made
 * while no monitor ran, over a table that is partly stale, are all
 * recorded by one monitor started afterwards; it reads and writes them a
 * page at a time (bpg_db_monbatch.h).  The time it took is printed, never
 * asserted.  The clusters are reset at the end.  BPG_CATCHUP_APPS (1 to
 * 100000) sets the number per cluster, for measuring: the default keeps
 * the test short.
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "integ.h"

#define NAPPS_DEFAULT 1000

static int napps = NAPPS_DEFAULT;
#define NAPPS napps
#define STALE 100 /* of cluster a's, with a row saying QUEUED */
#define SAME 50 /* of cluster a's after those, a row already right */
#define GONE "spark-cluster-a-000000000000000000000000000ca7c4"

static void
app_name(char *dst, size_t size, const char *cluster, int i)
{
	snprintf(dst, size, "catchup-%s-%05d", cluster, i);
}

/* NAPPS SparkApplications in cluster c, all SUBMITTED. */
static void
create_apps(const char *c)
{
	char name[64], body[1024];
	const char *st;
	struct integ_http h;
	json_t *j;
	int i = 0, t;

	json_decref(integ_control(c, "POST", "/reset", NULL));
	json_decref(integ_control(c, "POST", "/history", "{\"size\":100}"));
	json_decref(integ_control(c, "POST", "/operator",
	    "{\"frozen\":true,\"outcome\":\"PENDING\"}"));
	for (i = 0; i < NAPPS; i++) {
		app_name(name, sizeof(name), c, i);
		snprintf(body, sizeof(body),
		    "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\","
		    "\"kind\":\"SparkApplication\",\"metadata\":{\"name\":"
		    "\"%s\",\"namespace\":\"" INTEG_NS "\"},\"spec\":{"
		    "\"type\":\"Scala\",\"mode\":\"cluster\",\"sparkVersion\":"
		    "\"3.5.0\",\"image\":\"apache/spark:3.5.0\","
		    "\"mainApplicationFile\":\"local:///x.jar\","
		    "\"driver\":{\"cores\":1,\"memory\":\"1g\"},\"executor\":{"
		    "\"instances\":1,\"cores\":1,\"memory\":\"1g\"}}}", name);
		h = integ_kube(c, "POST", INTEG_APPS, body);
		ck_assert_msg(h.status == 201, "create %s: %ld %s", name,
		    h.status, h.body);
		integ_http_free(&h);
	}
	/* One operator step at a time until the last one is SUBMITTED. */
	for (t = 0; t < 10; t++) {
		json_decref(integ_control(c, "POST", "/tick", "{\"count\":1}"));
		snprintf(body, sizeof(body),
		    "/objects/sparkapplications/" INTEG_NS "/%s", name);
		j = integ_control(c, "GET", body, NULL);
		st = j != NULL ? integ_jstr(j,
		    "status.applicationState.state") : NULL;
		if (st != NULL && strcmp(st, "SUBMITTED") == 0) {
			json_decref(j);
			return;
		}
		json_decref(j);
	}
	ck_abort_msg("%s: not SUBMITTED after 10 steps", name);
}

/* User and system CPU of pid so far, in ms; -1 if unknown. */
static long
cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After the command's ")": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

static void
teardown(void)
{
	integ_mon_stop_all();
	integ_control_both("POST", "/reset", NULL);
	integ_control_both("POST", "/operator", "{\"frozen\":false,"
	    "\"outcome\":\"COMPLETED\"}");
	integ_db_exec("DELETE FROM bpg.application_submission WHERE "
	    "submission_id LIKE 'catchup-%%' OR submission_id = '" GONE "'");
}

START_TEST(test_catch_up_many)
{
	char name[64];
	long long t0;
	long n = 0;
	int i, m;

	if (getenv("BPG_CATCHUP_APPS") != NULL) {
		napps = atoi(getenv("BPG_CATCHUP_APPS"));
		ck_assert_msg(napps >= STALE + SAME && napps <= 100000,
		    "BPG_CATCHUP_APPS: %d to 100000", STALE + SAME);
	}
	create_apps("a");
	create_apps("b");
	integ_db_exec("DELETE FROM bpg.application_submission WHERE "
	    "submission_id LIKE 'catchup-%%' OR submission_id = '" GONE "'");
	for (i = 0; i < STALE + SAME; i++) {
		app_name(name, sizeof(name), "a", i);
		integ_db_exec("INSERT INTO bpg.application_submission "
		    "(submission_id, status) VALUES ('%s', '%s')", name,
		    i < STALE ? "QUEUED" : "SUBMITTED");
	}
	/* A row of the gateway's whose SparkApplication is gone. */
	integ_db_exec("INSERT INTO bpg.application_submission "
	    "(submission_id, status, created_time) VALUES ('" GONE "', "
	    "'RUNNING', NOW() - INTERVAL 1 DAY)");

	t0 = integ_now_ms();
	m = integ_mon_start("catchup", (char *)NULL);
	while (integ_now_ms() - t0 < 300000 + 20LL * NAPPS) {
		n = integ_db_count("submission_id LIKE 'catchup-%' AND "
		    "status = 'SUBMITTED'");
		if (n == 2 * NAPPS)
			break;
		integ_sleep_ms(100);
	}
	ck_assert_msg(n == 2 * NAPPS, "%ld of %d rows SUBMITTED", n,
	    2 * NAPPS);
	fprintf(stderr, "catchup: %d applications over 2 clusters recorded "
	    "in %lld ms, the monitor's CPU %ld ms\n", 2 * NAPPS,
	    integ_now_ms() - t0, cpu_ms(integ_mon_pid(m)));
	ck_assert_int_eq(integ_db_count("submission_id LIKE 'catchup-%'"),
	    2 * NAPPS);
	for (i = 0; i < 600 && integ_db_count("submission_id = '" GONE
	    "' AND status = 'LOST'") != 1; i++)
		integ_sleep_ms(100);
	ck_assert_int_eq(integ_db_count("submission_id = '" GONE
	    "' AND status = 'LOST'"), 1);
	ck_assert(integ_mon_alive(m));
}
END_TEST

static Suite *
catchup_suite(void)
{
	Suite *s = suite_create("catchup");
	TCase *tc = tcase_create("stack");

	tcase_set_timeout(tc, 7200);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_catch_up_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(catchup_suite(), 0);
}
