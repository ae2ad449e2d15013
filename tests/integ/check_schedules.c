/*
 * Integration tests: the schedules' endpoints on the real stack.
 *   - POST /schedules answers a scheduleId that is a valid label value;
 *     GET /schedules/{id} shows the schedule with its next fire time and
 *     its request with env values masked (the queue token never shown);
 *     GET /schedules lists the caller's own, everyone's for an admin.
 *   - Only the owner or an admin reads or changes one: another user
 *     gets the 404 of a missing schedule, and nothing changes.
 *   - PUT replaces, suspend clears the next fire time, resume sets it
 *     again, trigger moves it to now, DELETE removes it.
 *   - Bad input is a 400 naming the field (each cron field, the time
 *     zone, "@every 1s", the request as POST /spark checks it: queue,
 *     Spark version), and nothing is written.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <mysql.h>

#include "integ.h"

#define BOB "bob:bob-pw"
#define CAROL "carol:carol-pw"
#define ENV_SECRET "env-hunter2-value"

#define REQ                                                                   \
	"{\"sparkVersion\":\"3.5.0\",\"queue\":\"dev\","                      \
	"\"mainApplicationFile\":\"local:///x.jar\",\"mainClass\":\"x.Main\"," \
	"\"driver\":{\"cores\":1,\"memory\":\"512m\",\"env\":[{\"name\":"     \
	"\"K\",\"value\":\"" ENV_SECRET "\"}]},"                              \
	"\"executor\":{\"instances\":1,\"cores\":1,\"memory\":\"512m\"}}"

/* Rows of bpg.bpg_schedule. */
static long
sched_rows(void)
{
	MYSQL *m = integ_db_open();
	MYSQL_RES *res;
	MYSQL_ROW row;
	long n = -1;

	if (mysql_query(m, "SELECT COUNT(*) FROM bpg.bpg_schedule") == 0 &&
	    (res = mysql_store_result(m)) != NULL) {
		if ((row = mysql_fetch_row(res)) != NULL)
			n = atol(row[0]);
		mysql_free_result(res);
	}
	mysql_close(m);
	ck_assert_int_ge(n, 0);
	return n;
}

static char *
create(const char *userpw, const char *cron, const char *extra)
{
	struct integ_http h;
	char body[2048];
	const char *id;
	char *out;
	size_t i;

	snprintf(body, sizeof(body), "{\"name\":\"nightly\",\"cron\":\"%s\","
	    "\"request\":" REQ "%s}", cron, extra);
	h = integ_api("POST", "/schedules", userpw, INTEG_JSON, body);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_ptr_nonnull(id = integ_jstr(h.json, "scheduleId"));
	/* A label value: at most 63 of [a-z0-9-], alphanumeric ends. */
	ck_assert_uint_le(strlen(id), 63);
	for (i = 0; id[i] != '\0'; i++)
		ck_assert(strchr("abcdefghijklmnopqrstuvwxyz0123456789-",
		    id[i]) != NULL);
	ck_assert(id[0] != '-' && id[strlen(id) - 1] != '-');
	ck_assert_ptr_nonnull(out = strdup(id));
	integ_http_free(&h);
	return out;
}

static struct integ_http
sched_call(const char *method, const char *id, const char *tail,
    const char *userpw, const char *body)
{
	char path[256];

	snprintf(path, sizeof(path), "/schedules/%s%s", id, tail);
	/* A POST without a body still says its length (else 411). */
	if (body == NULL && strcmp(method, "POST") == 0)
		body = "";
	return integ_api(method, path, userpw, body ? INTEG_JSON : NULL,
	    body);
}

START_TEST(test_crud)
{
	struct integ_http h;
	char *id = create(INTEG_ALICE, "0 2 * * *", ",\"timezone\":"
	    "\"Europe/Paris\",\"concurrencyPolicy\":\"Forbid\","
	    "\"startingDeadlineSeconds\":300");
	char body[2048];
	json_t *list;

	h = sched_call("GET", id, "", INTEG_ALICE, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(integ_jstr(h.json, "scheduleId"), id);
	ck_assert_str_eq(integ_jstr(h.json, "owner"), "alice");
	ck_assert_str_eq(integ_jstr(h.json, "timezone"), "Europe/Paris");
	ck_assert_str_eq(integ_jstr(h.json, "concurrencyPolicy"), "Forbid");
	ck_assert_int_eq(integ_jint(h.json, "startingDeadlineSeconds"), 300);
	ck_assert_ptr_nonnull(integ_jstr(h.json, "nextFireTime"));
	ck_assert(json_is_null(json_object_get(h.json, "lastFireTime")));
	ck_assert_uint_eq(json_array_size(json_object_get(h.json,
	    "submissions")), 0);
	/* The env value is kept for the fire, never shown. */
	ck_assert_ptr_null(strstr(h.body, ENV_SECRET));
	ck_assert_ptr_nonnull(strstr(h.body, "\"***\""));
	integ_http_free(&h);

	/* Another user: not found, and cannot change it. */
	h = sched_call("GET", id, "", BOB, NULL);
	integ_assert_error(&h, 404, "Schedule not found");
	integ_http_free(&h);
	h = sched_call("DELETE", id, "", BOB, NULL);
	integ_assert_error(&h, 404, "Schedule not found");
	integ_http_free(&h);
	h = sched_call("POST", id, "/suspend", BOB, NULL);
	integ_assert_error(&h, 404, "Schedule not found");
	integ_http_free(&h);
	h = integ_api("GET", "/schedules", BOB, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_ptr_null(strstr(h.body, id));
	integ_http_free(&h);
	/* The owner and the admin list it. */
	h = integ_api("GET", "/schedules", INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_ptr_nonnull(list = json_object_get(h.json, "schedules"));
	ck_assert_ptr_nonnull(strstr(h.body, id));
	ck_assert_ptr_null(strstr(h.body, ENV_SECRET));
	integ_http_free(&h);
	h = integ_api("GET", "/schedules", CAROL, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(h.body, id));
	integ_http_free(&h);

	/* Replace. */
	snprintf(body, sizeof(body), "{\"name\":\"hourly\",\"cron\":"
	    "\"@hourly\",\"request\":" REQ "}");
	h = sched_call("PUT", id, "", INTEG_ALICE, body);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(integ_jstr(h.json, "cron"), "@hourly");
	ck_assert_str_eq(integ_jstr(h.json, "timezone"), "UTC");
	ck_assert_str_eq(integ_jstr(h.json, "concurrencyPolicy"), "Allow");
	ck_assert_str_eq(integ_jstr(h.json, "owner"), "alice");
	integ_http_free(&h);
	/* Suspend, resume. */
	h = sched_call("POST", id, "/suspend", INTEG_ALICE, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert(json_is_true(json_object_get(h.json, "suspend")));
	ck_assert(json_is_null(json_object_get(h.json, "nextFireTime")));
	integ_http_free(&h);
	h = sched_call("POST", id, "/trigger", INTEG_ALICE, NULL);
	integ_assert_error(&h, 409, "suspended");
	integ_http_free(&h);
	h = sched_call("POST", id, "/resume", CAROL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert(json_is_false(json_object_get(h.json, "suspend")));
	ck_assert_ptr_nonnull(integ_jstr(h.json, "nextFireTime"));
	integ_http_free(&h);
	/* Delete: gone. */
	h = sched_call("DELETE", id, "", INTEG_ALICE, NULL);
	ck_assert_int_eq(h.status, 200);
	integ_http_free(&h);
	h = sched_call("GET", id, "", INTEG_ALICE, NULL);
	integ_assert_error(&h, 404, "Schedule not found");
	integ_http_free(&h);
	free(id);
}
END_TEST

/* Bodies refused, and the text the 400 must hold. */
static const struct bad {
	const char *body;
	const char *text;
} bad[] = {
	{ "{\"name\":\"x\",\"cron\":\"60 * * * *\",\"request\":" REQ "}",
	    "minute" },
	{ "{\"name\":\"x\",\"cron\":\"* 24 * * *\",\"request\":" REQ "}",
	    "hour" },
	{ "{\"name\":\"x\",\"cron\":\"* * 32 * *\",\"request\":" REQ "}",
	    "day-of-month" },
	{ "{\"name\":\"x\",\"cron\":\"* * * 13 *\",\"request\":" REQ "}",
	    "month" },
	{ "{\"name\":\"x\",\"cron\":\"* * * * 8\",\"request\":" REQ "}",
	    "day-of-week" },
	{ "{\"name\":\"x\",\"cron\":\"* * * *\",\"request\":" REQ "}",
	    "cron" },
	{ "{\"name\":\"x\",\"cron\":\"@every 1s\",\"request\":" REQ "}",
	    "cron" },
	{ "{\"name\":\"x\",\"cron\":\"@hourly\",\"timezone\":\"Mars/Olympus\","
	    "\"request\":" REQ "}", "timezone" },
	{ "{\"name\":\"x\",\"cron\":\"@hourly\",\"concurrencyPolicy\":"
	    "\"Sometimes\",\"request\":" REQ "}", "concurrencyPolicy" },
	{ "{\"name\":\"x\",\"cron\":\"@hourly\",\"startingDeadlineSeconds\":"
	    "-1,\"request\":" REQ "}", "startingDeadlineSeconds" },
	{ "{\"cron\":\"@hourly\",\"request\":" REQ "}", "name" },
	{ "{\"name\":\"x\",\"cron\":\"@hourly\"}", "request" },
	{ "{\"name\":\"x\",\"cron\":\"@hourly\",\"color\":1,\"request\":" REQ
	    "}", "color" },
	{ "{\"name\":\"x\",\"cron\":\"@hourly\",\"request\":{\"sparkVersion\":"
	    "\"3.5.0\",\"queue\":\"nosuchqueue\",\"mainApplicationFile\":"
	    "\"local:///x.jar\"}}", "request: " },
	{ "{\"name\":\"x\",\"cron\":\"@hourly\",\"request\":{\"sparkVersion\":"
	    "\"9.9.9\",\"queue\":\"dev\",\"mainApplicationFile\":"
	    "\"local:///x.jar\"}}", "request: " },
	{ "{\"name\":\"x\"", "Invalid JSON" },
};

START_TEST(test_bad_input)
{
	struct integ_http h;
	long before = sched_rows();
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h = integ_api("POST", "/schedules", INTEG_ALICE, INTEG_JSON,
		    bad[i].body);
		ck_assert_msg(h.status == 400, "row %zu: %ld %s", i, h.status,
		    h.body);
		ck_assert_msg(strstr(h.body, bad[i].text) != NULL,
		    "row %zu: no '%s' in %s", i, bad[i].text, h.body);
		integ_http_free(&h);
	}
	ck_assert_int_eq(sched_rows(), before);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("integ_schedules");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_crud);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
