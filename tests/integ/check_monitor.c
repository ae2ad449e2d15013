/*
 * Integration tests of bpg-monitor against the running stack (started by
 * tests/integ.sh): each test starts its own build/bpg-monitor processes
 * with the stack's $BPG_STACK_DIR/config.yaml, submits through the
 * gateway ($BPG_URL, alice:alice-pw), steers the Kubernetes stand-in
 * through its control API ($BPG_KUBE_CONTROL: operator, faults, history)
 * and reads MariaDB directly.  Monitors log to
 * $BPG_STACK_DIR/monitor-<test>-<n>.log and are killed at the end of each
 * test (and with the test process, through PR_SET_PDEATHSIG).  Every wait
 * is bounded.
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

#include "bpg_db.h"
#include "bpg_monitor.h"
#include "integ.h"

#define PODS "/api/v1/namespaces/" INTEG_NS "/pods"
#define SECRETS "/api/v1/namespaces/" INTEG_NS "/secrets"

/* ---- the gateway and the stand-in ---------------------------------- */

/* Submit SparkPi (with extra sparkConf, or NULL); the new ID (freed by
 * the caller). */
static char *
submit(const char *conf_key, const char *conf_value)
{
	return integ_submit(INTEG_ALICE, conf_key != NULL ? "sparkConf" : NULL,
	    conf_key != NULL ? json_pack("{s:s}", conf_key, conf_value) : NULL);
}

/*
 * The CR's state ("" without one, NULL if there is no CR), through the
 * control API, which faults never touch.
 */
static char *
cr_state(const char *id)
{
	char url[1024], *s = NULL;
	const char *v;
	struct integ_req r = { .method = "GET", .url = url };
	struct integ_http h;

	snprintf(url, sizeof(url), "%s/clusters/%s/objects/sparkapplications/"
	    INTEG_NS "/%s", integ_env("BPG_KUBE_CONTROL"), integ_cluster(id),
	    id);
	h = integ_request(&r);
	if (h.status == 200) {
		v = json_string_value(json_object_get(json_object_get(
		    json_object_get(h.json, "status"), "applicationState"),
		    "state"));
		s = strdup(v != NULL ? v : "");
	} else
		ck_assert_msg(h.status == 404, "GET CR: %ld", h.status);
	integ_http_free(&h);
	return s;
}

/* Step the frozen operator of id's cluster until its CR is in want. */
static void
tick_until(const char *id, const char *want)
{
	char *s = NULL;
	int i;

	for (i = 0; i < 20; i++) {
		free(s);
		s = cr_state(id);
		if (s != NULL && strcmp(s, want) == 0)
			break;
		json_decref(integ_control(id, "POST", "/tick",
		    "{\"count\":1}"));
	}
	ck_assert_msg(s != NULL && strcmp(s, want) == 0, "%s: CR state %s, "
	    "not %s", id, s ? s : "(gone)", want);
	free(s);
}

static void
wait_cr_state(const char *id, const char *want, int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;
	char *s = NULL;

	do {
		free(s);
		s = cr_state(id);
		if (s != NULL && strcmp(s, want) == 0)
			break;
		integ_sleep_ms(100);
	} while (integ_now_ms() < until);
	ck_assert_msg(s != NULL && strcmp(s, want) == 0, "%s: CR state %s, "
	    "not %s after %d s", id, s ? s : "(gone)", want, seconds);
	free(s);
}

/* Back to the stand-in's defaults: no faults, operator running. */
static void
sim_defaults(void)
{
	integ_control_both("DELETE", "/faults", NULL);
	integ_control_both("POST", "/operator", "{\"frozen\":false,"
	    "\"outcome\":\"COMPLETED\"}");
}

/* ---- the database -------------------------------------------------- */

enum col {
	C_STATUS, C_APP_ID, C_START, C_FINISH, C_DRIVER_CORE, C_DRIVER_MB,
	C_EXECUTORS, C_EXEC_CORE, C_EXEC_MB, C_COST, C_APP_NAME, C_ERROR,
	C__MAX
};

struct row {
	bool found;
	char *v[C__MAX];	/* NULL for SQL NULL */
};

static void
row_free(struct row *r)
{
	int i;

	for (i = 0; i < C__MAX; i++)
		free(r->v[i]);
	memset(r, 0, sizeof(*r));
}

static struct row
db_row(const char *id)
{
	struct row out;

	out.found = integ_db_row(id, "status, app_id, start_time, "
	    "finished_time, driver_core, driver_memory_mb, number_executor, "
	    "executor_core, executor_memory_mb, cost, app_name, error_message",
	    out.v, C__MAX);
	return out;
}

/* Wait until the row's status is want; the row. */
static struct row
wait_status(const char *id, const char *want, int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;
	struct row r;

	for (;;) {
		r = db_row(id);
		if (r.found && r.v[C_STATUS] != NULL &&
		    strcmp(r.v[C_STATUS], want) == 0)
			return r;
		if (integ_now_ms() >= until)
			break;
		row_free(&r);
		integ_sleep_ms(100);
	}
	ck_abort_msg("%s: DB status %s, not %s after %d s", id,
	    r.found ? (r.v[C_STATUS] ? r.v[C_STATUS] : "NULL") : "(no row)",
	    want, seconds);
	return r;
}

static void
assert_col(const struct row *r, enum col c, const char *want)
{
	if (want == NULL) {
		ck_assert_msg(r->v[c] == NULL, "column %d: %s, not NULL", c,
		    r->v[c]);
		return;
	}
	ck_assert_msg(r->v[c] != NULL, "column %d is NULL", c);
	if (want[0] != '\0')
		ck_assert_msg(strcmp(r->v[c], want) == 0, "column %d: %s, not "
		    "%s", c, r->v[c], want);
}

/* ---- monitors ------------------------------------------------------ */

static json_int_t
active_watches(const char *cluster)
{
	return integ_kube_stat(cluster, "activeWatches");
}

/*
 * Monitor i has listed both clusters and is the only watcher of each:
 * the streams of monitors killed before linger in the stand-in until it
 * next writes to them (a bookmark at the latest), and a stream fault
 * must not be spent on one of those.
 */
static void
wait_watching(int i)
{
	long long until;

	ck_assert_msg(integ_mon_wait(i, "spark-cluster-a/" INTEG_NS ": listed",
	    120) && integ_mon_wait(i, "spark-cluster-b/" INTEG_NS ": listed", 120),
	    "monitor %d did not list both clusters: see %s", i, integ_mon_log(i));
	until = integ_now_ms() + 15000;
	while ((active_watches("a") != 1 || active_watches("b") != 1) &&
	    integ_now_ms() < until)
		integ_sleep_ms(100);
	ck_assert_msg(active_watches("a") == 1 && active_watches("b") == 1,
	    "watches: %lld and %lld, not one each",
	    (long long)active_watches("a"), (long long)active_watches("b"));
}

/*
 * No watch streams left from earlier tests: the stand-in only notices a
 * client is gone when it next writes (a bookmark), so it is told to send
 * them every second.
 */
static void
wait_no_watches(void)
{
	long long until = integ_now_ms() + 20000;

	while ((active_watches("a") != 0 || active_watches("b") != 0) &&
	    integ_now_ms() < until)
		integ_sleep_ms(100);
	ck_assert_msg(active_watches("a") == 0 && active_watches("b") == 0,
	    "watch streams linger");
}

static void
set_bookmarks(long ms)
{
	char url[512], body[64];
	struct integ_req r = { .method = "POST", .url = url,
		.ctype = INTEG_JSON, .body = body };
	struct integ_http h;

	snprintf(url, sizeof(url), "%s/config",
	    integ_env("BPG_KUBE_CONTROL"));
	snprintf(body, sizeof(body), "{\"bookmarkMs\":%ld}", ms);
	h = integ_request(&r);
	ck_assert_msg(h.status == 200, "config: %ld", h.status);
	integ_http_free(&h);
}

static void
setup(void)
{
	set_bookmarks(1000);
	sim_defaults();
	wait_no_watches();
}

static void
teardown(void)
{
	integ_mon_stop_all();
	sim_defaults();
	wait_no_watches();
	set_bookmarks(5000);
}

/* ---- tests --------------------------------------------------------- */

/* SUBMITTED -> RUNNING -> SUCCEEDING -> COMPLETED, one step at a time. */
START_TEST(test_lifecycle_completed)
{
	struct row r;
	char *id;
	int m;

	m = integ_mon_start("lifecycle", "-r", "30", (char *)NULL);
	wait_watching(m);
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	id = submit(NULL, NULL);

	tick_until(id, "SUBMITTED");
	r = wait_status(id, "SUBMITTED", 10);
	assert_col(&r, C_APP_ID, "");
	assert_col(&r, C_START, NULL);
	assert_col(&r, C_FINISH, NULL);
	row_free(&r);

	tick_until(id, "RUNNING");
	r = wait_status(id, "RUNNING", 10);
	/* The driver pod: "1" CPU, 2g + 384 MiB overhead = "2432Mi". */
	assert_col(&r, C_START, "");
	assert_col(&r, C_DRIVER_CORE, "1");
	assert_col(&r, C_DRIVER_MB, "2432");
	/* The spec: 1 executor of 1 core, Spark's "2g". */
	assert_col(&r, C_EXECUTORS, "1");
	assert_col(&r, C_EXEC_CORE, "1");
	assert_col(&r, C_EXEC_MB, "2048");
	assert_col(&r, C_APP_NAME, "SparkPiDemo");
	assert_col(&r, C_FINISH, NULL);
	row_free(&r);

	tick_until(id, "SUCCEEDING");
	r = wait_status(id, "SUCCEEDING", 10);
	row_free(&r);

	tick_until(id, "COMPLETED");
	r = wait_status(id, "COMPLETED", 10);
	assert_col(&r, C_APP_ID, "");
	assert_col(&r, C_START, "");
	assert_col(&r, C_FINISH, "");
	/* Prices are configured: a cost, however small. */
	assert_col(&r, C_COST, "");
	row_free(&r);
	ck_assert_int_ge(integ_mon_count(m, "SUBMITTED -> RUNNING"), 1);
	free(id);
}
END_TEST

START_TEST(test_failed)
{
	char body[256], *id;
	struct row r;
	int m;

	m = integ_mon_start("failed", (char *)NULL);
	wait_watching(m);
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	id = submit(NULL, NULL);
	snprintf(body, sizeof(body), "{\"apps\":{\"%s\":\"FAILED\"},"
	    "\"frozen\":false}", id);
	json_decref(integ_control(id, "POST", "/operator", body));
	integ_control_both("POST", "/operator", "{\"frozen\":false}");
	r = wait_status(id, "FAILED", 30);
	assert_col(&r, C_FINISH, "");
	assert_col(&r, C_START, "");
	assert_col(&r, C_APP_ID, "");
	row_free(&r);
	free(id);
}
END_TEST

/* Transitions that happened while no monitor ran (quirk 16). */
START_TEST(test_catch_up)
{
	struct row r;
	char *id;
	int m;

	id = submit(NULL, NULL);
	wait_cr_state(id, "COMPLETED", 30);
	r = db_row(id);
	ck_assert(r.found);
	assert_col(&r, C_STATUS, NULL);
	row_free(&r);

	m = integ_mon_start("catchup", (char *)NULL);
	r = wait_status(id, "COMPLETED", 120);
	assert_col(&r, C_APP_ID, "");
	assert_col(&r, C_START, "");
	assert_col(&r, C_FINISH, "");
	assert_col(&r, C_DRIVER_CORE, "1");
	assert_col(&r, C_DRIVER_MB, "2432");
	assert_col(&r, C_EXECUTORS, "1");
	assert_col(&r, C_COST, "");
	row_free(&r);
	ck_assert(integ_mon_alive(m));
	free(id);
}
END_TEST

/* Deleted while RUNNING: watched, and while no monitor ran. */
START_TEST(test_lost)
{
	char path[512], *id, *id2;
	struct integ_http h;
	struct row r;
	int m, st;

	integ_control_both("POST", "/operator", "{\"outcome\":\"RUNNING\"}");
	m = integ_mon_start("lost", (char *)NULL);
	wait_watching(m);
	id = submit(NULL, NULL);
	r = wait_status(id, "RUNNING", 30);
	row_free(&r);
	snprintf(path, sizeof(path), "/spark/%s", id);
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	integ_http_free(&h);
	r = wait_status(id, "LOST", 15);
	assert_col(&r, C_FINISH, "");
	assert_col(&r, C_START, "");
	row_free(&r);

	/* The same with the monitor stopped (cleanly) meanwhile. */
	id2 = submit(NULL, NULL);
	r = wait_status(id2, "RUNNING", 30);
	row_free(&r);
	st = integ_mon_stop(m, SIGTERM);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "SIGTERM: status %d", st);
	ck_assert_int_eq(integ_mon_count(m, "released lease 'bpg-monitor'"), 1);
	snprintf(path, sizeof(path), "/spark/%s", id2);
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	integ_http_free(&h);
	ck_assert_ptr_null(cr_state(id2));
	r = db_row(id2);
	assert_col(&r, C_STATUS, "RUNNING");
	row_free(&r);
	m = integ_mon_start("lost2", (char *)NULL);
	r = wait_status(id2, "LOST", 60);
	assert_col(&r, C_FINISH, "");
	row_free(&r);
	free(id);
	free(id2);
}
END_TEST

/*
 * Rows of the gateway's clusters with no SparkApplication: one that never
 * had a state, past BPG_MONITOR_ORPHAN_GRACE_S (a create whose outcome
 * was not known), is LOST and marked never seen; one the monitor had
 * seen RUNNING is LOST without the mark (it may have run); a young row
 * without a state is left alone (its create may still be on its way).
 */
START_TEST(test_never_seen)
{
	char orphan[128], seen[128], young[128], q[1024];
	struct row r;
	MYSQL *db;
	int m;

	/* Rows of a user of their own, whose IDs no other test makes. */
	snprintf(orphan, sizeof(orphan), "spark-cluster-a-feed%08x%020x",
	    (unsigned)getpid(), 1u);
	snprintf(seen, sizeof(seen), "spark-cluster-a-feed%08x%020x",
	    (unsigned)getpid(), 2u);
	snprintf(young, sizeof(young), "spark-cluster-a-feed%08x%020x",
	    (unsigned)getpid(), 3u);
	db = integ_db_open();
	snprintf(q, sizeof(q), "INSERT INTO bpg.application_submission "
	    "(submission_id, user, status, created_time) VALUES "
	    "('%s', 'never-seen', NULL, NOW() - INTERVAL %d SECOND), "
	    "('%s', 'never-seen', 'RUNNING', NOW() - INTERVAL %d SECOND), "
	    "('%s', 'never-seen', NULL, NOW())", orphan,
	    BPG_MONITOR_ORPHAN_GRACE_S + 60, seen,
	    BPG_MONITOR_ORPHAN_GRACE_S + 60, young);
	ck_assert_msg(mysql_query(db, q) == 0, "%s", mysql_error(db));
	mysql_close(db);

	m = integ_mon_start("never-seen", (char *)NULL);
	wait_watching(m);
	r = wait_status(orphan, "LOST", 60);
	assert_col(&r, C_ERROR, BPG_DB_NEVER_SEEN);
	row_free(&r);
	r = wait_status(seen, "LOST", 60);
	assert_col(&r, C_ERROR, NULL);
	row_free(&r);
	r = db_row(young);
	ck_assert(r.found);
	assert_col(&r, C_STATUS, NULL);
	assert_col(&r, C_FINISH, NULL);
	row_free(&r);
	db = integ_db_open();
	ck_assert_msg(mysql_query(db, "DELETE FROM bpg.application_submission "
	    "WHERE user = 'never-seen'") == 0, "%s", mysql_error(db));
	mysql_close(db);
}
END_TEST

/* maxRunningMillis 3000: the driver pod goes, the operator fails it
 * (RunningApplicationMonitorTest.exceedMaxRunningTime, end to end). */
START_TEST(test_kill_overlong)
{
	char path[512], *id, *keep;
	struct integ_http h;
	struct row r;
	int m;

	integ_control_both("POST", "/operator", "{\"outcome\":\"RUNNING\"}");
	m = integ_mon_start("kill", (char *)NULL);
	wait_watching(m);
	keep = submit(NULL, NULL);
	id = submit("bpg.maxRunningMillis", "3000");
	r = wait_status(id, "RUNNING", 30);
	row_free(&r);
	ck_assert_msg(integ_mon_wait(m, "killed (driver pod", 20),
	    "no kill in %s", integ_mon_log(m));
	snprintf(path, sizeof(path), PODS "/%s-driver", id);
	h = integ_kube(id, "GET", path, NULL);
	ck_assert_msg(h.status == 404 || (h.status == 200 &&
	    json_object_get(json_object_get(h.json, "metadata"),
	    "deletionTimestamp") != NULL), "driver pod: %ld", h.status);
	integ_http_free(&h);
	r = wait_status(id, "FAILED", 30);
	assert_col(&r, C_FINISH, "");
	row_free(&r);
	/* The 12-hour app runs on. */
	r = db_row(keep);
	assert_col(&r, C_STATUS, "RUNNING");
	row_free(&r);
	snprintf(path, sizeof(path), PODS "/%s-driver", keep);
	h = integ_kube(keep, "GET", path, NULL);
	ck_assert_int_eq(h.status, 200);
	integ_http_free(&h);
	snprintf(path, sizeof(path), "/spark/%s", keep);
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	integ_http_free(&h);
	free(keep);
	free(id);
}
END_TEST

/* Submit, let it run to COMPLETED and check the row. */
static void
expect_completed(const char *id, int seconds)
{
	struct row r = wait_status(id, "COMPLETED", seconds);

	assert_col(&r, C_START, "");
	assert_col(&r, C_FINISH, "");
	assert_col(&r, C_APP_ID, "");
	row_free(&r);
}

START_TEST(test_watch_cut)
{
	char *id;
	int m;

	m = integ_mon_start("cut", "-r", "0", (char *)NULL);
	wait_watching(m);
	integ_control_both("POST", "/faults", "{\"type\":\"watchcut\"}");
	id = submit(NULL, NULL);
	expect_completed(id, 60);
	ck_assert_msg(integ_mon_count(m, "watch failed") >= 1, "no cut seen: %s",
	    integ_mon_log(m));
	ck_assert(integ_mon_alive(m));
	free(id);
}
END_TEST

START_TEST(test_watch_garbage)
{
	char *id;
	int m;

	m = integ_mon_start("garbage", "-r", "0", (char *)NULL);
	wait_watching(m);
	integ_control_both("POST", "/faults", "{\"type\":\"watchgarbage\"}");
	id = submit(NULL, NULL);
	expect_completed(id, 60);
	ck_assert_msg(integ_mon_count(m, "bad line in the stream") >= 1,
	    "no garbage seen: %s", integ_mon_log(m));
	ck_assert(integ_mon_alive(m));
	free(id);
}
END_TEST

START_TEST(test_list_garbage)
{
	char *id;
	int m;

	m = integ_mon_start("listgarbage", "-r", "0", (char *)NULL);
	wait_watching(m);
	integ_control_both("POST", "/faults", "[{\"type\":\"garbage\","
	    "\"method\":\"GET\",\"path\":\"" INTEG_APPS "\",\"count\":2},"
	    "{\"type\":\"watchcut\"}]");
	id = submit(NULL, NULL);
	expect_completed(id, 60);
	ck_assert_msg(integ_mon_count(m, "list failed") >= 2, "no bad list seen: "
	    "%s", integ_mon_log(m));
	ck_assert(integ_mon_alive(m));
	free(id);
}
END_TEST

/* A resourceVersion the server no longer has: 410, then a re-list. */
START_TEST(test_expired)
{
	static const char secret[] = "{\"apiVersion\":\"v1\",\"kind\":"
	    "\"Secret\",\"metadata\":{\"generateName\":\"monitor-test-\"},"
	    "\"data\":{}}";
	struct integ_http h;
	char *id;
	int m, i;

	/*
	 * Watches of 2 s, so the monitor resumes from its last version often,
	 * and no bookmarks, which would keep that version fresh.
	 */
	set_bookmarks(600000);
	m = integ_mon_start("expired", "-r", "0", "-w", "2", (char *)NULL);
	wait_watching(m);
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	id = submit(NULL, NULL);
	for (i = 0; i < 5 && integ_mon_count(m, "watch expired") == 0; i++) {
		/* Move the version on, then forget the history. */
		h = integ_kube("a", "POST", SECRETS, secret);
		integ_http_free(&h);
		h = integ_kube("b", "POST", SECRETS, secret);
		integ_http_free(&h);
		integ_control_both("POST", "/history", "{\"compact\":true}");
		integ_mon_wait(m, "watch expired", 4);
	}
	ck_assert_msg(integ_mon_count(m, "watch expired") >= 1, "no 410 seen: %s",
	    integ_mon_log(m));
	integ_control_both("POST", "/operator", "{\"frozen\":false}");
	expect_completed(id, 60);
	ck_assert(integ_mon_alive(m));
	free(id);
}
END_TEST

/* A CR without status, created behind the gateway's back. */
START_TEST(test_foreign_without_status)
{
	char name[64], body[1024], path[512];
	struct integ_http h;
	struct row r;
	int m;

	snprintf(name, sizeof(name), "foreign-%ld-%ld", (long)getpid(),
	    (long)(integ_now_ms() % 100000));
	m = integ_mon_start("foreign", "-r", "0", (char *)NULL);
	wait_watching(m);
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	snprintf(body, sizeof(body), "{\"apiVersion\":\"sparkoperator.k8s.io"
	    "/v1beta2\",\"kind\":\"SparkApplication\",\"metadata\":{\"name\":"
	    "\"%s\",\"namespace\":\"" INTEG_NS "\"},\"spec\":{\"type\":"
	    "\"Scala\",\"mode\":\"cluster\",\"sparkVersion\":\"3.5.0\","
	    "\"mainApplicationFile\":\"local:///x.jar\",\"driver\":{\"cores\":"
	    "1,\"coreRequest\":\"500m\",\"memory\":\"512m\"},\"executor\":{"
	    "\"instances\":2,\"cores\":1,\"memory\":\"1g\"}}}", name);
	h = integ_kube("a", "POST", INTEG_APPS, body);
	ck_assert_msg(h.status == 201, "create: %ld %s", h.status, h.body);
	integ_http_free(&h);
	ck_assert(integ_mon_wait(m, name, 10));
	integ_sleep_ms(1000);
	/* No state yet: nothing to record. */
	r = db_row(name);
	ck_assert(!r.found);
	row_free(&r);
	ck_assert(integ_mon_alive(m));

	integ_control_both("POST", "/operator", "{\"frozen\":false}");
	r = wait_status(name, "COMPLETED", 30);
	assert_col(&r, C_APP_ID, "");
	assert_col(&r, C_START, "");
	/* coreRequest "500m" is 1 whole core; 512m + 384 MiB overhead. */
	assert_col(&r, C_DRIVER_CORE, "1");
	assert_col(&r, C_DRIVER_MB, "896");
	assert_col(&r, C_EXECUTORS, "2");
	assert_col(&r, C_EXEC_MB, "1024");
	row_free(&r);
	snprintf(path, sizeof(path), INTEG_APPS "/%s", name);
	h = integ_kube("a", "DELETE", path, NULL);
	integ_http_free(&h);
}
END_TEST

/* The API server away for a minute; the app finishes meanwhile. */
START_TEST(test_api_down)
{
	struct row r;
	char *id;
	int m, fails;

	m = integ_mon_start("down", "-r", "0", (char *)NULL);
	wait_watching(m);
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	id = submit(NULL, NULL);
	integ_control_both("POST", "/faults", "{\"type\":\"down\"}");
	integ_control_both("POST", "/operator", "{\"frozen\":false}");
	wait_cr_state(id, "COMPLETED", 30);
	integ_sleep_ms(60000);
	ck_assert(integ_mon_alive(m));
	fails = integ_mon_count(m, "list failed");
	/* Bounded exponential back-off: 0.5 s doubling to 30 s, per
	 * cluster, is about 8 tries each in a minute. */
	ck_assert_msg(fails >= 4 && fails <= 30, "%d failed lists", fails);
	/* Down longer than clusterCooldownMillis (30 s): said once each. */
	ck_assert_int_eq(integ_mon_count(m, "cluster spark-cluster-a unreachable "
	    "for "), 1);
	ck_assert_int_eq(integ_mon_count(m, "cluster spark-cluster-b unreachable "
	    "for "), 1);
	r = db_row(id);
	ck_assert(r.found);
	ck_assert(r.v[C_STATUS] == NULL ||
	    strcmp(r.v[C_STATUS], "COMPLETED") != 0);
	row_free(&r);
	integ_control_both("POST", "/faults", "{\"type\":\"up\"}");
	expect_completed(id, 45);
	ck_assert(integ_mon_wait(m, "cluster spark-cluster-a reachable again after ",
	    60));
	ck_assert(integ_mon_wait(m, "cluster spark-cluster-b reachable again after ",
	    60));
	ck_assert_int_eq(integ_mon_count(m, "reachable again after "), 2);
	free(id);
}
END_TEST

/* Two monitors: one leads; kill -9 it and the other takes over. */
START_TEST(test_leader_takeover)
{
	long long t0;
	char *id;
	int a, b, leader, standby;

	a = integ_mon_start("ha", "-r", "30", (char *)NULL);
	ck_assert(integ_mon_wait(a, "leader: holding lease", 15));
	b = integ_mon_start("ha", "-r", "30", (char *)NULL);
	ck_assert_msg(integ_mon_wait(b, "standby: lease 'bpg-monitor' is held", 15),
	    "second monitor not standby: %s", integ_mon_log(b));
	leader = a;
	standby = b;
	/* Only the leader watches (one stream per cluster). */
	wait_watching(leader);
	ck_assert_int_eq(integ_mon_count(standby, "leader:"), 0);

	id = submit(NULL, NULL);
	expect_completed(id, 60);
	free(id);

	t0 = integ_now_ms();
	integ_mon_stop(leader, SIGKILL);
	ck_assert_msg(integ_mon_wait(standby, "leader: holding lease", 10),
	    "no takeover within 10 s: %s", integ_mon_log(standby));
	ck_assert_msg(integ_now_ms() - t0 <= 10000, "takeover took %lld ms",
	    integ_now_ms() - t0);
	fprintf(stderr, "lease: takeover after kill -9 in %lld ms\n",
	    integ_now_ms() - t0);
	wait_watching(standby);

	id = submit(NULL, NULL);
	expect_completed(id, 60);
	free(id);
}
END_TEST


/* ---- the lease ----------------------------------------------------- */

/* The first column of the first row of sql as a number; -1 for none. */
static long long
db_num(const char *sql)
{
	MYSQL *db = integ_db_open();
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long v = -1;

	if (mysql_query(db, sql) != 0 ||
	    (res = mysql_store_result(db)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(db));
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		v = atoll(row[0]);
	mysql_free_result(res);
	mysql_close(db);
	return v;
}

static long long
lease_token(void)
{
	return db_num("SELECT token FROM bpg.bpg_lease "
	    "WHERE name = 'bpg-monitor'");
}

/*
 * At no moment did two monitors act: from the record of the lease's
 * terms (each fenced write counts in its token's term, stamped by the
 * database), no term wrote at or after the next one was taken.  Prints
 * the terms.
 */
static void
assert_one_leader_at_a_time(void)
{
	static const char terms[] =
	    "WITH t AS (SELECT token, holder, acquired_time, "
	    "first_write_time, last_write_time, writes FROM bpg.bpg_lease_term "
	    "WHERE name = 'bpg-monitor' UNION ALL SELECT token, holder, "
	    "acquired_time, first_write_time, last_write_time, writes "
	    "FROM bpg.bpg_lease WHERE name = 'bpg-monitor') ";
	char sql[1024];
	MYSQL *db;
	MYSQL_RES *res;
	MYSQL_ROW row;

	snprintf(sql, sizeof(sql), "%sSELECT COUNT(*) FROM t a JOIN t b "
	    "ON b.token = a.token + 1 WHERE a.last_write_time >= "
	    "b.acquired_time", terms);
	ck_assert_int_eq(db_num(sql), 0);
	/* Tokens are never reused. */
	snprintf(sql, sizeof(sql), "%sSELECT COUNT(*) - COUNT(DISTINCT token) "
	    "FROM t", terms);
	ck_assert_int_eq(db_num(sql), 0);
	db = integ_db_open();
	/* The latest terms: the table keeps every earlier test's too. */
	snprintf(sql, sizeof(sql), "%sSELECT token, holder, acquired_time, "
	    "first_write_time, last_write_time, writes FROM t WHERE token > "
	    "(SELECT MAX(token) FROM t) - 8 ORDER BY token", terms);
	ck_assert_msg(mysql_query(db, sql) == 0, "%s", mysql_error(db));
	ck_assert_ptr_nonnull(res = mysql_store_result(db));
	while ((row = mysql_fetch_row(res)) != NULL)
		fprintf(stderr, "lease term %s: %s taken %s, writes %s from "
		    "%s to %s\n", row[0], row[1], row[2] ? row[2] : "-",
		    row[5], row[3] ? row[3] : "-", row[4] ? row[4] : "-");
	mysql_free_result(res);
	mysql_close(db);
}

static bool
wait_log_n(int i, const char *text, int n, int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;

	do {
		if (integ_mon_count(i, text) >= n)
			return true;
		integ_sleep_ms(100);
	} while (integ_now_ms() < until);
	return false;
}

/*
 * The leader is stopped (SIGSTOP) past its lease: the standby takes over
 * with a higher token and records the apps; the old leader, continued,
 * must not act: by its own clock its lease ran out, so it writes nothing
 * (not even a write the database would refuse) and steps down.
 */
START_TEST(test_lease_stopped_leader)
{
	long long t0, took, tok;
	char *id;
	int a, b;

	a = integ_mon_start("pause", "-r", "30", (char *)NULL);
	ck_assert(integ_mon_wait(a, "leader: holding lease", 30));
	b = integ_mon_start("pause", "-r", "30", (char *)NULL);
	ck_assert(integ_mon_wait(b, "standby: lease 'bpg-monitor' is held", 30));
	wait_watching(a);
	id = submit(NULL, NULL);
	expect_completed(id, 60);
	free(id);
	tok = lease_token();

	t0 = integ_now_ms();
	kill(integ_mon_pid(a), SIGSTOP);
	ck_assert_msg(integ_mon_wait(b, "leader: holding lease", 60),
	    "no takeover from a stopped leader: %s", integ_mon_log(b));
	took = integ_now_ms() - t0;
	fprintf(stderr, "lease: takeover from a stopped leader in %lld ms\n",
	    took);
	ck_assert_int_gt(lease_token(), tok);
	ck_assert(integ_mon_wait(b, "spark-cluster-a/" INTEG_NS ": listed", 120) &&
	    integ_mon_wait(b, "spark-cluster-b/" INTEG_NS ": listed", 120));
	/* Events for a's streams wait in its socket buffers meanwhile. */
	id = submit(NULL, NULL);
	expect_completed(id, 60);
	free(id);

	kill(integ_mon_pid(a), SIGCONT);
	ck_assert_msg(integ_mon_wait(a, "standby: stopped acting", 30),
	    "continued leader did not step down: %s", integ_mon_log(a));
	/* It did not even try: its own clock told it the lease was gone. */
	ck_assert_int_eq(integ_mon_count(a, "statement refused"), 0);
	id = submit(NULL, NULL);
	expect_completed(id, 60);
	free(id);
	assert_one_leader_at_a_time();
}
END_TEST

/*
 * The only monitor is stopped (SIGSTOP) while an app runs its course, and
 * past its lease.  Continued, it finds the app's events waiting in its
 * sockets, but its own clock says its lease ran out: it writes none of
 * them (not even one the database would refuse), takes a new lease and
 * records the app then, under the new token.
 */
START_TEST(test_lease_stopped_alone)
{
	long long t0, tok;
	char *id;
	int a;

	a = integ_mon_start("alone", "-r", "30", (char *)NULL);
	ck_assert(integ_mon_wait(a, "leader: holding lease", 30));
	wait_watching(a);
	tok = lease_token();
	t0 = integ_now_ms();
	kill(integ_mon_pid(a), SIGSTOP);
	id = submit(NULL, NULL);
	wait_cr_state(id, "COMPLETED", 60);
	/* The stack's lease is 4 s: wait it out, and some. */
	while (integ_now_ms() - t0 < 6000)
		integ_sleep_ms(100);
	kill(integ_mon_pid(a), SIGCONT);
	expect_completed(id, 60);
	ck_assert_msg(integ_mon_wait(a, "standby: stopped acting", 30),
	    "continued leader did not step down: %s", integ_mon_log(a));
	ck_assert_int_eq(integ_mon_count(a, "statement refused"), 0);
	ck_assert_int_gt(lease_token(), tok);
	free(id);
	assert_one_leader_at_a_time();
}
END_TEST

static void
mariadb(const char *cmd)
{
	char sh[1024];

	if (strcmp(cmd, "start") == 0)
		snprintf(sh, sizeof(sh), "sh tests/mariadb.sh start %s/db %s",
		    integ_env("BPG_STACK_DIR"), integ_env("BPG_DB_PORT"));
	else
		snprintf(sh, sizeof(sh), "sh tests/mariadb.sh stop %s/db",
		    integ_env("BPG_STACK_DIR"));
	ck_assert_msg(system(sh) == 0, "%s failed", sh);
}

/*
 * The leader's database goes away: it cannot renew and steps down when
 * its lease runs out by its own clock; with the database back, a leader
 * (a new term) records apps again.
 */
START_TEST(test_lease_db_down)
{
	long long t0, tok;
	char *id;
	int a;

	a = integ_mon_start("dbdown", "-r", "30", (char *)NULL);
	ck_assert(integ_mon_wait(a, "leader: holding lease", 30));
	wait_watching(a);
	id = submit(NULL, NULL);
	expect_completed(id, 60);
	free(id);
	tok = lease_token();

	t0 = integ_now_ms();
	mariadb("stop");
	ck_assert_msg(integ_mon_wait(a, "standby: stopped acting", 60),
	    "leader without its database did not step down: %s", integ_mon_log(a));
	fprintf(stderr, "lease: stepped down %lld ms after the database "
	    "stopped\n", integ_now_ms() - t0);
	mariadb("start");
	ck_assert_msg(wait_log_n(a, "leader: holding lease", 2, 60),
	    "no leader after the database came back: %s", integ_mon_log(a));
	ck_assert_int_gt(lease_token(), tok);
	id = submit(NULL, NULL);
	expect_completed(id, 60);
	free(id);
	assert_one_leader_at_a_time();
}
END_TEST

static Suite *
monitor_suite(void)
{
	Suite *s = suite_create("monitor");
	TCase *tc = tcase_create("stack");

	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lifecycle_completed);
	tcase_add_test(tc, test_failed);
	tcase_add_test(tc, test_catch_up);
	tcase_add_test(tc, test_lost);
	tcase_add_test(tc, test_never_seen);
	tcase_add_test(tc, test_kill_overlong);
	tcase_add_test(tc, test_watch_cut);
	tcase_add_test(tc, test_watch_garbage);
	tcase_add_test(tc, test_list_garbage);
	tcase_add_test(tc, test_expired);
	tcase_add_test(tc, test_foreign_without_status);
	tcase_add_test(tc, test_api_down);
	tcase_add_test(tc, test_leader_takeover);
	tcase_add_test(tc, test_lease_stopped_leader);
	tcase_add_test(tc, test_lease_stopped_alone);
	tcase_add_test(tc, test_lease_db_down);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(monitor_suite(), 0);
}
