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
 * With build/bpg-monitor processes (integ_mon_start(): logs in
 * $BPG_STACK_DIR/monitor-<test>-<n>.log), the stand-in holding creates
 * when a test needs a monitor stopped inside one (its "hold" fault):
 *   - "@every 10s" fires 3 times, with two monitors racing: the first
 *     fire's leader is deposed (stopped past its lease) with its create in
 *     flight, the standby finishes the same fire with the same ID; each
 *     fire time once, one submission and one CR (label bpg/schedule-id)
 *     each, shown by GET /schedules/{id}.
 *   - Forbid: while the first run is unfinished (operator frozen), the
 *     next fire times are skipped and recorded, no second submission.
 *   - Replace: the unfinished run's SparkApplication is deleted before
 *     the next fire creates its own.
 *   - The leader SIGKILLed after a fire, a second monitor takes over:
 *     the fire times made stay consecutive, none made twice.
 *   - The leader SIGKILLed between recording a fire and creating its CR:
 *     the next leader finishes it with the same ID; then the DB restarts
 *     mid-fire: that fire is finished too, and the only fire times not
 *     made are inside the outage.
 *   - A pending fire whose submission row finished already (LOST) is
 *     done without a SparkApplication.
 * Each prints its timings on stderr (takeover, fire lateness).
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <mysql.h>

#include "bpg_monitor.h"
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

/* ---- with monitors ------------------------------------------------ */

/*
 * No schedule of an earlier test (one that failed before deleting its
 * own) fires into this one: the leader makes every due schedule in one
 * loop, and a held create of another would hold up this test's fires.
 */
static void
forget_schedules(void)
{
	integ_db_exec("DELETE FROM bpg.bpg_schedule");
	integ_db_exec("DELETE FROM bpg.bpg_schedule_fire");
}

static void
mon_setup(void)
{
	forget_schedules();
	integ_control_both("DELETE", "/faults", NULL);
	integ_control_both("POST", "/operator", "{\"frozen\":false,"
	    "\"outcome\":\"COMPLETED\"}");
}

static void
mon_teardown(void)
{
	integ_mon_stop_all();
	mon_setup();
}

/* A number from the stack's database (IDs are ours: hex, no quoting). */
static long db_long(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static long
db_long(const char *fmt, ...)
{
	MYSQL *m = integ_db_open();
	MYSQL_RES *res;
	MYSQL_ROW row;
	char q[1024];
	va_list ap;
	long n = -1;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (mysql_query(m, q) == 0 && (res = mysql_store_result(m)) != NULL) {
		if ((row = mysql_fetch_row(res)) != NULL)
			n = row[0] != NULL ? atol(row[0]) : 0;
		mysql_free_result(res);
	}
	mysql_close(m);
	ck_assert_msg(n >= 0, "%s: no answer", q);
	return n;
}

static long
fires(const char *id, const char *state)
{
	return db_long("SELECT COUNT(*) FROM bpg.bpg_schedule_fire WHERE "
	    "schedule_id = '%s' AND state = '%s'", id, state);
}

/* Waits until id has want fires in state; false at the timeout. */
static bool
wait_fires(const char *id, const char *state, long want, int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;

	do {
		if (fires(id, state) >= want)
			return true;
		integ_sleep_ms(200);
	} while (integ_now_ms() < until);
	return false;
}

/* SparkApplications labelled with schedule id, on both clusters. */
static long
labelled_crs(const char *id)
{
	static const char *const cl[] = { "a", "b" };
	json_t *objs, *a;
	const char *v;
	long n = 0;
	size_t i, k;

	for (k = 0; k < 2; k++) {
		objs = integ_control(cl[k], "GET", "/objects", NULL);
		json_array_foreach(json_object_get(objs, "sparkapplications"),
		    i, a) {
			v = integ_jstr(a, "metadata.labels.bpg/schedule-id");
			if (v != NULL && strcmp(v, id) == 0)
				n++;
		}
		json_decref(objs);
	}
	return n;
}

/* Every fire made is one submission and one CR; the times made are
 * consecutive slots of 10 s. */
static void
assert_once_each(const char *id)
{
	long done = fires(id, "done");
	long span = db_long("SELECT (MAX(fire_time) - MIN(fire_time)) / 10 + "
	    "1 FROM bpg.bpg_schedule_fire WHERE schedule_id = '%s' AND "
	    "state = 'done'", id);

	ck_assert_int_eq(db_long("SELECT COUNT(DISTINCT submission_id) FROM "
	    "bpg.bpg_schedule_fire WHERE schedule_id = '%s' AND state = "
	    "'done'", id), done);
	ck_assert_int_eq(db_long("SELECT COUNT(*) FROM "
	    "bpg.application_submission a JOIN bpg.bpg_schedule_fire f ON "
	    "f.submission_id = a.submission_id WHERE f.schedule_id = '%s'",
	    id), done + fires(id, "pending"));
	ck_assert_int_eq(labelled_crs(id), done);
	ck_assert_msg(span == done, "fire times made are not consecutive: "
	    "%ld made over %ld slots", done, span);
}

static void
delete_sched(const char *id)
{
	struct integ_http h = sched_call("DELETE", id, "", INTEG_ALICE, NULL);

	ck_assert_int_eq(h.status, 200);
	integ_http_free(&h);
}

/* A string from the stack's database into out ("" for no row or NULL). */
static void db_str(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
db_str(char *out, size_t len, const char *fmt, ...)
{
	MYSQL *m = integ_db_open();
	MYSQL_RES *res;
	MYSQL_ROW row;
	char q[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	out[0] = '\0';
	if (mysql_query(m, q) != 0 || (res = mysql_store_result(m)) == NULL)
		ck_abort_msg("%s: %s", q, mysql_error(m));
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		snprintf(out, len, "%s", row[0]);
	mysql_free_result(res);
	mysql_close(m);
}

/* SparkApplications named name, on both clusters. */
static long
crs_named(const char *name)
{
	static const char *const cl[] = { "a", "b" };
	json_t *objs, *a;
	const char *v;
	long n = 0;
	size_t i, k;

	for (k = 0; k < 2; k++) {
		objs = integ_control(cl[k], "GET", "/objects", NULL);
		json_array_foreach(json_object_get(objs, "sparkapplications"),
		    i, a) {
			v = integ_jstr(a, "metadata.name");
			if (v != NULL && strcmp(v, name) == 0)
				n++;
		}
		json_decref(objs);
	}
	return n;
}

/*
 * Creates of SparkApplications wait in the stand-in, unanswered, until
 * released (as with a stalled API server); then they are carried out,
 * whether or not their client is still there.
 */
static void
hold_creates(void)
{
	integ_control_both("POST", "/faults", "{\"type\":\"hold\",\"method\":"
	    "\"POST\",\"path\":\"" INTEG_APPS "\"}");
}

static void
release_creates(void)
{
	integ_control_both("POST", "/faults", "{\"type\":\"release\"}");
}

/* Creates held now, on both clusters. */
static long
held(void)
{
	return (long)(integ_kube_stat("a", "held") +
	    integ_kube_stat("b", "held"));
}

/*
 * Waits (60 s at most) until schedule id has a pending fire whose
 * submission row is written and whose create is held: its fire time and
 * submission ID into *t and sub.
 */
static void
wait_held_fire(const char *id, long *t, char *sub, size_t len)
{
	long long until = integ_now_ms() + 60000;

	while ((fires(id, "pending") < 1 || held() < 1) && integ_now_ms() < until)
		integ_sleep_ms(100);
	ck_assert_msg(fires(id, "pending") == 1 && held() >= 1, "no held "
	    "fire: %ld pending, %ld held", fires(id, "pending"), held());
	*t = db_long("SELECT fire_time FROM bpg.bpg_schedule_fire WHERE "
	    "schedule_id = '%s' AND state = 'pending'", id);
	db_str(sub, len, "SELECT submission_id FROM bpg.bpg_schedule_fire "
	    "WHERE schedule_id = '%s' AND fire_time = %ld", id, *t);
	ck_assert_msg(sub[0] != '\0', "fire %ld has no submission ID", *t);
	ck_assert_int_eq(db_long("SELECT COUNT(*) FROM "
	    "bpg.application_submission WHERE submission_id = '%s'", sub), 1);
	ck_assert_int_eq(crs_named(sub), 0);
}

/*
 * Fire t of id is done (60 s at most) with submission sub, which has one
 * row and one SparkApplication (named sub).
 */
static void
assert_fire_done_as(const char *id, long t, const char *sub)
{
	long long until = integ_now_ms() + 60000;
	char now_sub[256];

	while (db_long("SELECT COUNT(*) FROM bpg.bpg_schedule_fire WHERE "
	    "schedule_id = '%s' AND fire_time = %ld AND state = 'done'", id,
	    t) < 1 && integ_now_ms() < until)
		integ_sleep_ms(100);
	db_str(now_sub, sizeof(now_sub), "SELECT CONCAT(state, ' ', "
	    "submission_id) FROM bpg.bpg_schedule_fire WHERE schedule_id = "
	    "'%s' AND fire_time = %ld", id, t);
	ck_assert_msg(strncmp(now_sub, "done ", 5) == 0 &&
	    strcmp(now_sub + 5, sub) == 0, "fire %ld: '%s', not done as %s",
	    t, now_sub, sub);
	ck_assert_int_eq(db_long("SELECT COUNT(*) FROM "
	    "bpg.application_submission WHERE submission_id = '%s'", sub), 1);
	ck_assert_int_eq(crs_named(sub), 1);
	ck_assert_int_eq(db_long("SELECT COUNT(*) FROM bpg.bpg_schedule_fire "
	    "WHERE schedule_id = '%s' AND fire_time = %ld", id, t), 1);
}

/* The latest lateness of id's fires (s): when the row was written after
 * its fire time. */
static long
lateness(const char *id)
{
	return db_long("SELECT MAX(UNIX_TIMESTAMP(created_time) - fire_time) "
	    "FROM bpg.bpg_schedule_fire WHERE schedule_id = '%s' AND state = "
	    "'done'", id);
}

static void
db_ctl(const char *cmd)
{
	char line[1024];

	if (strcmp(cmd, "stop") == 0)
		snprintf(line, sizeof(line), "sh tests/mariadb.sh stop %s/db",
		    integ_env("BPG_STACK_DIR"));
	else
		snprintf(line, sizeof(line), "sh tests/mariadb.sh start %s/db "
		    "%s", integ_env("BPG_STACK_DIR"), integ_env("BPG_DB_PORT"));
	ck_assert_msg(system(line) == 0, "%s failed", line);
}

/*
 * The leader m0, alone, is deposed while its create of fire t (ID sub)
 * is held: stopped (SIGSTOP) past its lease, the standby m1 takes the
 * lease and reaches the same fire; then m0 goes on (SIGCONT), finds its
 * lease gone, and the creates are released.  Returns how long the
 * standby took (ms).
 */
static long long
depose(int m0, int m1)
{
	long long t0;
	long h0;

	h0 = held();
	ck_assert_int_eq(kill(integ_mon_pid(m0), SIGSTOP), 0);
	t0 = integ_now_ms();
	while ((held() <= h0 || integ_mon_count(m1, "leader: holding") < 1) &&
	    integ_now_ms() < t0 + 60000)
		integ_sleep_ms(100);
	t0 = integ_now_ms() - t0;
	ck_assert_msg(held() > h0 && integ_mon_count(m1, "leader: holding") > 0,
	    "the standby did not take the fire over");
	ck_assert_int_eq(kill(integ_mon_pid(m0), SIGCONT), 0);
	release_creates();
	return t0;
}

START_TEST(test_fires_racing)
{
	struct integ_http h, st;
	const char *sub;
	char *id, path[256], first[256];
	long t;
	long long took;
	json_t *e;
	size_t k;
	bool found;
	int m0, m1;

	/* The first fire is raced: its leader deposed mid-create. */
	hold_creates();
	m0 = integ_mon_start("race", (char *)NULL);
	id = create(INTEG_ALICE, "@every 10s", ",\"startingDeadlineSeconds\":"
	    "300");
	wait_held_fire(id, &t, first, sizeof(first));
	m1 = integ_mon_start("race", (char *)NULL);
	took = depose(m0, m1);
	assert_fire_done_as(id, t, first);
	ck_assert_msg(wait_fires(id, "done", 3, 90), "3 fires: %ld done",
	    fires(id, "done"));
	assert_once_each(id);
	/* The deposed leader stepped down. */
	ck_assert_msg(integ_mon_wait(m0, "standby: stopped acting as leader",
	    60), "the deposed leader did not step down: %s",
	    integ_mon_log(m0));
	fprintf(stderr, "deposed leader: the standby at the same fire after "
	    "%lld ms; latest fire lateness %ld s\n", took, lateness(id));
	h = sched_call("GET", id, "", INTEG_ALICE, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_uint_ge(json_array_size(json_object_get(h.json,
	    "submissions")), 3);
	ck_assert_ptr_nonnull(integ_jstr(h.json, "lastFireTime"));
	/* The status of a submission it made names it. */
	ck_assert_ptr_nonnull(sub = integ_jstr(json_array_get(
	    json_object_get(h.json, "submissions"), 0), "submissionId"));
	snprintf(path, sizeof(path), "/spark/%s/status", sub);
	st = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(st.status, 200);
	ck_assert_str_eq(integ_jstr(st.json, "scheduleId"), id);
	integ_http_free(&st);
	/* And the list of the owner's submissions. */
	st = integ_api("GET", "/spark/mySubmissions", INTEG_ALICE, NULL,
	    NULL);
	ck_assert_int_eq(st.status, 200);
	found = false;
	json_array_foreach(json_object_get(st.json, "submissions"), k, e) {
		if (integ_jstr(e, "submissionId") != NULL &&
		    strcmp(integ_jstr(e, "submissionId"), sub) == 0) {
			ck_assert_str_eq(integ_jstr(e, "scheduleId"), id);
			found = true;
		}
	}
	ck_assert_msg(found, "%s not in mySubmissions", sub);
	integ_http_free(&st);
	integ_http_free(&h);
	delete_sched(id);
	free(id);
}
END_TEST

START_TEST(test_forbid)
{
	char *id;

	/* Runs never finish. */
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	integ_mon_start("forbid", (char *)NULL);
	id = create(INTEG_ALICE, "@every 10s", ",\"concurrencyPolicy\":"
	    "\"Forbid\"");
	ck_assert(wait_fires(id, "done", 1, 60));
	ck_assert_msg(wait_fires(id, "skipped", 1, 60), "no fire skipped");
	ck_assert_int_eq(fires(id, "done"), 1);
	ck_assert_int_eq(labelled_crs(id), 1);
	delete_sched(id);
	free(id);
}
END_TEST

START_TEST(test_replace)
{
	long long until;
	char *id;

	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	integ_mon_start("replace", (char *)NULL);
	id = create(INTEG_ALICE, "@every 10s", ",\"concurrencyPolicy\":"
	    "\"Replace\"");
	ck_assert(wait_fires(id, "done", 2, 60));
	/* The first run's SparkApplication was deleted for the second. */
	until = integ_now_ms() + 20000;
	while (labelled_crs(id) > 1 && integ_now_ms() < until)
		integ_sleep_ms(200);
	ck_assert_int_eq(labelled_crs(id), 1);
	ck_assert_int_ge(fires(id, "done"), 2);
	ck_assert_int_eq(fires(id, "skipped"), 0);
	delete_sched(id);
	free(id);
}
END_TEST

START_TEST(test_leader_killed)
{
	int m0, m1;
	long before;
	char *id;

	m0 = integ_mon_start("killed", (char *)NULL);
	id = create(INTEG_ALICE, "@every 10s", ",\"startingDeadlineSeconds\":"
	    "300");
	ck_assert(wait_fires(id, "done", 1, 60));
	integ_mon_stop(m0, SIGKILL);
	before = fires(id, "done");
	m1 = integ_mon_start("killed", (char *)NULL);
	ck_assert_msg(wait_fires(id, "done", before + 2, 90),
	    "no fires after the takeover: %ld done", fires(id, "done"));
	assert_once_each(id);
	integ_mon_stop(m1, SIGKILL);
	delete_sched(id);
	free(id);
}
END_TEST






/*
 * The leader SIGKILLed between recording a fire (its row and submission
 * ID written) and creating its SparkApplication, its create held in the
 * API server: the next leader finishes that fire with the same ID, the
 * dead leader's create landing too.  Then the DB restarts while the next
 * fire is in flight (its create carried out while the DB is down): that
 * fire too is done with its ID.  One row and one CR each; the fires go
 * on, each once, and the only fire times not made are those the outage
 * covered (CronJob semantics: the latest of them is made, none twice).
 */
START_TEST(test_leader_killed_mid_create_db_restart)
{
	char sub[256];
	long t, h0, slot, first, last, made, gaps = 0;
	long long t0, took, back, settled;
	time_t down, up;
	int m0, m1;
	char *id;

	hold_creates();
	m0 = integ_mon_start("midfire", (char *)NULL);
	id = create(INTEG_ALICE, "@every 10s", ",\"startingDeadlineSeconds\":"
	    "300");
	wait_held_fire(id, &t, sub, sizeof(sub));
	h0 = held();
	t0 = integ_now_ms();
	integ_mon_stop(m0, SIGKILL);
	m1 = integ_mon_start("midfire", (char *)NULL);
	/* The next leader is at the same fire (its own create held). */
	while (held() <= h0 && integ_now_ms() < t0 + 60000)
		integ_sleep_ms(100);
	took = integ_now_ms() - t0;
	ck_assert_msg(held() > h0, "no takeover within 60 s");
	ck_assert_int_eq(db_long("SELECT COUNT(*) FROM bpg.bpg_schedule_fire "
	    "WHERE schedule_id = '%s'", id), 1);
	release_creates();
	assert_fire_done_as(id, t, sub);

	/* The next fire: the DB goes while its create is held. */
	hold_creates();
	wait_held_fire(id, &t, sub, sizeof(sub));
	down = time(NULL);
	t0 = integ_now_ms();
	db_ctl("stop");
	release_creates();
	while (crs_named(sub) < 1 && integ_now_ms() < t0 + 30000)
		integ_sleep_ms(100);
	ck_assert_int_eq(crs_named(sub), 1);
	db_ctl("start");
	up = time(NULL);
	back = integ_now_ms();
	assert_fire_done_as(id, t, sub);
	settled = integ_now_ms() - back;
	ck_assert_msg(wait_fires(id, "done", fires(id, "done") + 1, 60),
	    "no fire after the restart: %ld done", fires(id, "done"));

	made = fires(id, "done");
	ck_assert_int_eq(db_long("SELECT COUNT(DISTINCT submission_id) FROM "
	    "bpg.bpg_schedule_fire WHERE schedule_id = '%s' AND state = "
	    "'done'", id), made);
	ck_assert_int_eq(db_long("SELECT COUNT(*) FROM "
	    "bpg.application_submission a JOIN bpg.bpg_schedule_fire f ON "
	    "f.submission_id = a.submission_id WHERE f.schedule_id = '%s'",
	    id), made + fires(id, "pending"));
	ck_assert_int_eq(labelled_crs(id), made);
	ck_assert_int_eq(fires(id, "skipped") + fires(id, "failed"), 0);
	/* Each fire time not made lies inside the outage. */
	first = db_long("SELECT MIN(fire_time) FROM bpg.bpg_schedule_fire "
	    "WHERE schedule_id = '%s'", id);
	last = db_long("SELECT MAX(fire_time) FROM bpg.bpg_schedule_fire "
	    "WHERE schedule_id = '%s'", id);
	for (slot = first; slot <= last; slot += 10) {
		if (db_long("SELECT COUNT(*) FROM bpg.bpg_schedule_fire WHERE "
		    "schedule_id = '%s' AND fire_time = %ld", id, slot) == 1)
			continue;
		gaps++;
		ck_assert_msg(slot >= (long)down && slot < (long)up, "fire "
		    "time %ld lost outside the outage %ld..%ld", slot,
		    (long)down, (long)up);
	}
	fprintf(stderr, "leader killed mid-create: the next leader at the "
	    "fire after %lld ms; DB restart mid-fire: outage %ld s, the fire "
	    "in flight done %lld ms after the DB was back, %ld fire time(s) "
	    "in the outage not made; latest fire lateness %ld s\n", took,
	    (long)(up - down), settled, gaps, lateness(id));
	integ_mon_stop(m1, SIGKILL);
	delete_sched(id);
	free(id);
}
END_TEST

/* A query on the stack's database that returns no rows. */
static void
db_exec(const char *q)
{
	MYSQL *m = integ_db_open();

	ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
	mysql_close(m);
}

/*
 * A pending fire whose submission row is finished already (the LOST
 * sweep found no SparkApplication for it in 5 minutes of failing
 * creates, or its run ended while the fire could not be marked) is over:
 * the leader marks it done and creates no SparkApplication for it.
 */
START_TEST(test_pending_fire_of_finished_row)
{
	char q[512], sub[64], state[64];
	long long until;
	char *id;

	/* An ID of cluster a that no run of this test used before. */
	snprintf(sub, sizeof(sub), "spark-cluster-a-%08x%024lx",
	    (unsigned)getpid(), (unsigned long)time(NULL));
	id = create(INTEG_ALICE, "0 2 * * *", "");
	snprintf(q, sizeof(q), "INSERT INTO bpg.application_submission "
	    "(submission_id, `user`, status, finished_time) VALUES ('%s', "
	    "'alice', 'LOST', CURRENT_TIMESTAMP)", sub);
	db_exec(q);
	snprintf(q, sizeof(q), "INSERT INTO bpg.bpg_schedule_fire "
	    "(schedule_id, fire_time, submission_id, state) VALUES ('%s', "
	    "1700000000, '%s', 'pending')", id, sub);
	db_exec(q);
	integ_mon_start("finished", (char *)NULL);
	until = integ_now_ms() + 60000;
	while (fires(id, "pending") > 0 && integ_now_ms() < until)
		integ_sleep_ms(100);
	ck_assert_int_eq(fires(id, "pending"), 0);
	ck_assert_int_eq(fires(id, "done"), 1);
	ck_assert_int_eq(crs_named(sub), 0);
	db_str(state, sizeof(state), "SELECT status FROM "
	    "bpg.application_submission WHERE submission_id = '%s'", sub);
	ck_assert_str_eq(state, "LOST");
	delete_sched(id);
	free(id);
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
	tc = tcase_create("monitor");
	tcase_add_checked_fixture(tc, mon_setup, mon_teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_fires_racing);
	tcase_add_test(tc, test_forbid);
	tcase_add_test(tc, test_replace);
	tcase_add_test(tc, test_leader_killed);
	tcase_add_test(tc, test_leader_killed_mid_create_db_restart);
	suite_add_tcase(s, tc);
	tc = tcase_create("finished");
	tcase_add_checked_fixture(tc, mon_setup, mon_teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_pending_fire_of_finished_row);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
