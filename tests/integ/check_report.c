/*
 * Integration tests: the reports on the real stack.
 *   - Submissions made here (alice twice, bob once with the stand-in's
 *     operator failing it) are driven to their final states by a
 *     build/bpg-monitor started here (integ_mon_start(): log in
 *     $BPG_STACK_DIR/monitor-report-0.log);
 *     then GET /admin/report counts them by user, state and cluster (the
 *     clusters' weights beside their shares), as JSON and as CSV.
 *   - GET /report shows a user only their own rows.
 *   - A non-admin's GET /admin/report is a 403; bad parameters are 400s
 *     naming the parameter.
 * The report covers [the test's start, now + 1 min): the integration
 * programs run one after another, so no other rows fall in it.
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

#define BOB "bob:bob-pw"
#define CAROL "carol:carol-pw"

static void
setup(void)
{
	integ_control_both("POST", "/operator",
	    "{\"frozen\":false,\"outcome\":\"COMPLETED\"}");
}

static void
teardown(void)
{
	integ_mon_stop_all();
	integ_control_both("POST", "/operator",
	    "{\"frozen\":false,\"outcome\":\"COMPLETED\"}");
}

/* Wait (at most seconds) until id's row has status want. */
static void
wait_row(const char *id, const char *want, int seconds)
{
	char *v[1] = { NULL };
	int i;

	for (i = 0; i < seconds * 10; i++) {
		free(v[0]);
		v[0] = NULL;
		if (integ_db_row(id, "status", v, 1) && v[0] != NULL &&
		    strcmp(v[0], want) == 0)
			break;
		integ_sleep_ms(100);
	}
	ck_assert_msg(v[0] != NULL && strcmp(v[0], want) == 0, "%s: status "
	    "%s, not %s after %d s", id, v[0] ? v[0] : "NULL", want, seconds);
	free(v[0]);
}

/* RFC 3339 UTC of t. */
static void
rfc3339(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The row of key in a report's JSON, or NULL. */
static json_t *
row_of(const json_t *doc, const char *key)
{
	json_t *rows = json_object_get(doc, "rows"), *r;
	size_t i;

	json_array_foreach(rows, i, r)
		if (strcmp(integ_jstr(r, "key"), key) == 0)
			return r;
	return NULL;
}

static struct integ_http
get(const char *userpw, const char *path, const char *from, const char *to,
    const char *rest)
{
	char url[512];

	snprintf(url, sizeof(url), "%s?from=%s&to=%s%s", path, from, to, rest);
	return integ_api("GET", url, userpw, NULL, NULL);
}

START_TEST(test_report)
{
	char from[32], to[32], *a1, *a2, *b1;
	struct integ_http h;
	json_t *r;
	double share = 0;
	json_int_t jobs = 0;
	size_t i;

	rfc3339(time(NULL) - 1, from, sizeof(from));
	integ_mon_start("report", (char *)NULL);
	a1 = integ_submit(INTEG_ALICE, NULL, NULL);
	a2 = integ_submit(INTEG_ALICE, NULL, NULL);
	wait_row(a1, "COMPLETED", 120);
	wait_row(a2, "COMPLETED", 120);
	integ_control_both("POST", "/operator", "{\"outcome\":\"FAILED\"}");
	b1 = integ_submit(BOB, NULL, NULL);
	wait_row(b1, "FAILED", 120);
	rfc3339(time(NULL) + 60, to, sizeof(to));

	h = get(CAROL, "/admin/report", from, to, "&groupBy=user");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(integ_jstr(h.json, "groupBy"), "user");
	ck_assert_str_eq(integ_jstr(h.json, "from"), from);
	ck_assert_uint_eq(json_array_size(json_object_get(h.json, "rows")), 2);
	ck_assert_ptr_nonnull(r = row_of(h.json, "alice"));
	ck_assert_int_eq(integ_jint(r, "jobs"), 2);
	ck_assert_int_eq(integ_jint(r, "states.COMPLETED"), 2);
	ck_assert_int_eq(integ_jint(r, "states.FAILED"), 0);
	/* Both drivers ran: a run time, and the stack's prices a cost. */
	ck_assert(integ_jint(r, "durationP50Ms") >= 0);
	ck_assert(integ_jint(r, "durationP95Ms") >=
	    integ_jint(r, "durationP50Ms"));
	ck_assert(json_is_number(json_object_get(r, "cost")));
	ck_assert_ptr_nonnull(r = row_of(h.json, "bob"));
	ck_assert_int_eq(integ_jint(r, "jobs"), 1);
	ck_assert_int_eq(integ_jint(r, "states.FAILED"), 1);
	integ_http_free(&h);

	/* Two clusters of weight 50: each half of the weight. */
	h = get(CAROL, "/admin/report", from, to, "&groupBy=cluster");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	json_array_foreach(json_object_get(h.json, "rows"), i, r) {
		ck_assert_int_eq(integ_jint(r, "weight"), 50);
		ck_assert(json_real_value(json_object_get(r, "weightShare")) ==
		    0.5);
		jobs += integ_jint(r, "jobs");
		share += json_real_value(json_object_get(r, "share"));
	}
	ck_assert_int_eq(jobs, 3);
	ck_assert(share > 0.999 && share < 1.001);
	integ_http_free(&h);

	h = get(CAROL, "/admin/report", from, to, "&groupBy=user&format=csv");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(h.ctype, "text/csv; charset=utf-8");
	ck_assert_msg(strncmp(h.body, "key,jobs,COMPLETED,FAILED,"
	    "SUBMISSION_FAILED,FAILED_SUBMISSION,LOST,UNFINISHED,"
	    "durationP50Ms,durationP95Ms,vcoreSeconds,mbSeconds,cost\r\n",
	    strlen("key,jobs,COMPLETED")) == 0, "%s", h.body);
	ck_assert_msg(strstr(h.body, "\r\nalice,2,2,0,0,0,0,0,") != NULL, "%s",
	    h.body);
	ck_assert_msg(strstr(h.body, "\r\nbob,1,0,1,0,0,0,0,") != NULL, "%s",
	    h.body);
	integ_http_free(&h);

	/* A user's own report: bob's rows, not alice's. */
	h = get(BOB, "/report", from, to, "&groupBy=user");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_uint_eq(json_array_size(json_object_get(h.json, "rows")), 1);
	ck_assert_ptr_nonnull(row_of(h.json, "bob"));
	integ_http_free(&h);
	h = get(INTEG_ALICE, "/report", from, to, "&groupBy=queue");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_ptr_nonnull(r = row_of(h.json, "dev"));
	ck_assert_int_eq(integ_jint(r, "jobs"), 2);
	integ_http_free(&h);
	free(a1);
	free(a2);
	free(b1);
}
END_TEST

static const struct {
	const char *userpw, *path;
	long status;
	const char *text;
} refused[] = {
	{ INTEG_ALICE, "/admin/report", 403, "only adminUsers" },
	{ INTEG_ALICE, "/admin/report?groupBy=planet", 403, "only adminUsers" },
	{ CAROL, "/admin/report?groupBy=planet", 400, "groupBy must be" },
	{ CAROL, "/admin/report?format=xlsx", 400, "format must be" },
	{ BOB, "/report?from=2026-02-30", 400, "from must be" },
	{ BOB, "/report?from=2026-11-02&to=2026-11-01", 400,
	    "to must be after from" },
	{ BOB, "/report?from=2020-01-01&to=2022-01-01", 400,
	    "at most 366 days" },
	{ BOB, "/report?to=%ZZ", 400, "to is not a valid" },
};

START_TEST(test_refused)
{
	struct integ_http h;

	h = integ_api("GET", refused[_i].path, refused[_i].userpw, NULL, NULL);
	integ_assert_error(&h, refused[_i].status, refused[_i].text);
	integ_http_free(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("stack");

	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_report);
	tcase_add_loop_test(tc, test_refused, 0,
	    (int)(sizeof(refused) / sizeof(refused[0])));
	suite_add_tcase(s, tc);
	return integ_run(s, 0);
}
