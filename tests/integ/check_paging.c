/*
 * Lists of thousands of SparkApplications against the running stack
 * (tests/integ.sh): 5,000 CRs of about 8 KB each, 40 MB as one list, more
 * than a Kubernetes answer the gateway buffers (BPG_MAX_KUBE_BODY).  They
 * are created straight in the stand-in's cluster A (with its operator
 * frozen), not through the gateway, and the list endpoints and the
 * monitor must read them page by page (limit and continue), also when a
 * continue token expires (the stand-in's "expire" fault: 410 Expired,
 * then the list starts again).  Cluster A is reset at the end.  The CRs
 * are made once, for all the tests, which leave them as they are.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "integ.h"

#define NAPPS 5000
#define PAD 7600 /* bytes of sparkConf padding: a CR of about 8 KB */
#define APP_NAME "paging-load"

/* Cluster A holds NAPPS SparkApplications of ours (spark-cluster-a-...). */
static void
create_apps(void)
{
	char *pad, *body, name[64];
	struct integ_http h;
	long long t0 = integ_now_ms();
	int i;

	json_decref(integ_control("a", "POST", "/reset", NULL));
	json_decref(integ_control("a", "POST", "/operator", "{\"frozen\":true}"));
	/* The stand-in's watch history need not keep 5,000 creations. */
	json_decref(integ_control("a", "POST", "/history", "{\"size\":100}"));
	ck_assert((pad = malloc(PAD + 1)) != NULL);
	memset(pad, 'x', PAD);
	pad[PAD] = '\0';
	ck_assert((body = malloc(PAD + 2048)) != NULL);
	for (i = 0; i < NAPPS; i++) {
		snprintf(name, sizeof(name), "spark-cluster-a-%032x", i);
		snprintf(body, PAD + 2048,
		    "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\","
		    "\"kind\":\"SparkApplication\",\"metadata\":{\"name\":"
		    "\"%s\",\"namespace\":\"" INTEG_NS "\",\"labels\":{"
		    "\"proxyUser\":\"alice\",\"applicationName\":\"" APP_NAME
		    "\"}},\"spec\":{\"type\":\"Scala\",\"mode\":\"cluster\","
		    "\"sparkVersion\":\"3.5.0\",\"image\":\"apache/spark:3.5.0"
		    "\",\"mainApplicationFile\":\"local:///opt/spark/examples/"
		    "jars/spark-examples.jar\",\"mainClass\":\"org.apache."
		    "spark.examples.SparkPi\",\"sparkConf\":{\"spark.paging."
		    "pad\":\"%s\"},\"driver\":{\"cores\":1,\"memory\":\"1g\"},"
		    "\"executor\":{\"instances\":1,\"cores\":1,\"memory\":"
		    "\"1g\"}}}", name, pad);
		h = integ_kube("a", "POST", INTEG_APPS, body);
		ck_assert_msg(h.status == 201, "create %d: %ld %s", i, h.status,
		    h.body);
		integ_http_free(&h);
	}
	free(body);
	free(pad);
	fprintf(stderr, "paging: %d CRs created in %lld ms\n", NAPPS,
	    integ_now_ms() - t0);
}

static void
setup(void)
{
	create_apps();
}

static void
teardown(void)
{
	json_decref(integ_control("a", "DELETE", "/faults", NULL));
	json_decref(integ_control("a", "POST", "/reset", NULL));
}

/* Lines of an NDJSON body whose applicationName... is ours, all distinct. */
static int
count_ours(const struct integ_http *h, json_t *names)
{
	const char *p = h->body, *nl;
	json_t *j;
	const char *id;
	int n = 0;

	for (; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		j = json_loadb(p, (size_t)(nl - p), 0, NULL);
		ck_assert_msg(j != NULL, "a line that is not JSON");
		id = integ_jstr(j, "submissionId");
		if (id != NULL && strncmp(id, "spark-cluster-a-", 16) == 0 &&
		    strstr(id, "-driver") == NULL) {
			ck_assert_msg(json_object_get(names, id) == NULL,
			    "%s twice", id);
			json_object_set_new(names, id, json_true());
			n++;
		}
		json_decref(j);
		if (*nl == '\0')
			break;
	}
	return n;
}

/*
 * The gateway's lists, each on a connection of its own (integ_req.fresh):
 * under the sanitizers they take longer than lighttpd keeps a quiet
 * HTTP/2 connection.  The stand-in's 5,000 creates keep theirs.
 */
static struct integ_http
gateway_get(const char *path, const char *userpw)
{
	struct integ_req r = { .method = "GET", .url = path,
		.userpw = userpw, .fresh = true };

	return integ_request(&r);
}

/* GET /admin/submissions?name=...: all of them, once each. */
static void
check_admin(void)
{
	struct integ_http h;
	json_t *names = json_object();
	long long t0 = integ_now_ms();

	/* carol is an admin: others may not list everyone's. */
	h = gateway_get("/admin/submissions?name=" APP_NAME,
	    "carol:carol-pw");
	ck_assert_msg(h.status == 200, "admin/submissions: %ld %.300s",
	    h.status, h.body);
	ck_assert_int_eq(count_ours(&h, names), NAPPS);
	fprintf(stderr, "paging: admin/submissions, %zu bytes in %lld ms\n",
	    h.len, integ_now_ms() - t0);
	integ_http_free(&h);
	json_decref(names);
}

/* GET /spark/mySubmissions as alice: all of them, once each. */
static void
check_mine(void)
{
	struct integ_http h;
	json_t *names = json_object(), *s;
	const char *id;
	size_t i;
	int n = 0;

	h = gateway_get("/spark/mySubmissions", INTEG_ALICE);
	ck_assert_msg(h.status == 200, "mySubmissions: %ld %.300s", h.status,
	    h.body);
	ck_assert(h.json != NULL);
	json_array_foreach(json_object_get(h.json, "submissions"), i, s) {
		id = integ_jstr(s, "submissionId");
		/* Ours: "%032x" of a number under 2^32.  No random ID of a
		 * submission starts with 24 zeros. */
		if (id == NULL || strncmp(id, "spark-cluster-a-"
		    "000000000000000000000000", 40) != 0)
			continue;
		ck_assert_msg(json_object_get(names, id) == NULL, "%s twice",
		    id);
		json_object_set_new(names, id, json_true());
		n++;
	}
	ck_assert_int_eq(n, NAPPS);
	integ_http_free(&h);
	json_decref(names);
}

/* 5,000 CRs, 40 MB as one answer: both list endpoints answer. */
START_TEST(test_list_endpoints)
{
	check_admin();
	check_mine();
}
END_TEST

/* A continue token expires in the middle: the list starts again. */
START_TEST(test_list_endpoints_expired)
{
	struct integ_http h;

	json_decref(integ_control("a", "POST", "/faults",
	    "{\"type\":\"expire\",\"count\":1}"));
	check_admin();
	json_decref(integ_control("a", "POST", "/faults",
	    "{\"type\":\"expire\",\"count\":1}"));
	check_mine();
	/* Not forever: a token that always expires fails the list. */
	json_decref(integ_control("a", "POST", "/faults",
	    "{\"type\":\"expire\",\"count\":-1}"));
	h = gateway_get("/spark/mySubmissions", INTEG_ALICE);
	integ_assert_error(&h, 502, "continue parameter is too old");
	integ_http_free(&h);
	json_decref(integ_control("a", "DELETE", "/faults", NULL));
}
END_TEST

/* ---- the monitor -------------------------------------------------- */

/* The test's monitor (integ_mon_start()). */
static int mon = -1;

static void
monitor_start(const char *tag)
{
	mon = integ_mon_start(tag, (char *)NULL);
}

static void
monitor_stop(void)
{
	integ_mon_stop_all();
	mon = -1;
}

/* The first line of the monitor's log holding text, or "" (static). */
static const char *
log_line(const char *text)
{
	static char line[4096];
	FILE *f = fopen(integ_mon_log(mon), "r");
	bool found = false;

	line[0] = '\0';
	if (f == NULL)
		return line;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, text) != NULL;
	fclose(f);
	if (!found)
		line[0] = '\0';
	return line;
}

/* Waits (at most seconds) for the monitor to list cluster A. */
static void
wait_listed(int seconds)
{
	static const char what[] = "spark-cluster-a/" INTEG_NS ": listed ";
	long long until = integ_now_ms() + seconds * 1000LL;
	const char *l;

	while ((l = log_line(what))[0] == '\0' && integ_now_ms() < until)
		integ_sleep_ms(100);
	ck_assert_msg(l[0] != '\0', "no complete list of cluster A: see %s",
	    integ_mon_log(mon));
	ck_assert_msg(strstr(l, what) != NULL &&
	    atoi(strstr(l, what) + sizeof(what) - 1) == NAPPS,
	    "not %d applications: %s", NAPPS, l);
}

/* The monitor lists all 5,000 and goes on to watch. */
START_TEST(test_monitor)
{
	long long t0 = integ_now_ms();

	json_decref(integ_control("a", "DELETE", "/faults", NULL));
	monitor_start("all");
	wait_listed(300);
	fprintf(stderr, "paging: the monitor listed %d in %lld ms\n", NAPPS,
	    integ_now_ms() - t0);
	ck_assert_str_eq(log_line("list failed"), "");
	monitor_stop();
}
END_TEST

/* Its token expires in the middle: it lists again from the start. */
START_TEST(test_monitor_expired)
{
	json_decref(integ_control("a", "POST", "/faults",
	    "{\"type\":\"expire\",\"count\":1}"));
	monitor_start("expired");
	wait_listed(300);
	ck_assert_msg(log_line("the list expired after")[0] != '\0',
	    "no restart: see %s", integ_mon_log(mon));
	ck_assert_str_eq(log_line("list failed"), "");
	monitor_stop();
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("paging");
	TCase *tc = tcase_create("lists");

	/* Once for all of them: the creation is most of the time. */
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, test_list_endpoints);
	tcase_add_test(tc, test_list_endpoints_expired);
	tcase_add_test(tc, test_monitor);
	tcase_add_test(tc, test_monitor_expired);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), INTEG_KEEPALIVE);
}
