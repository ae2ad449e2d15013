/*
 * Integration tests of the monitor's starvation moves (queue setting
 * maxPendingMillis, lib/bpg_monitor_starve.c) on the running stack: the
 * stack's queue "starve" has maxPendingMillis 3000; the stand-in's
 * operator with outcome PENDING holds a cluster's apps in SUBMITTED (a
 * driver pod that never leaves Pending).  Each test starts its own
 * build/bpg-monitor processes (logs in $BPG_STACK_DIR/monitor-<test>-<n>.log,
 * killed at the end), submits through the gateway as alice, and reads
 * MariaDB and the stand-in directly.  Every wait is bounded; no timing is
 * asserted.
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

#include "integ.h"


/* The other stand-in cluster of id's. */
static const char *
other_of(const char *id)
{
	return strcmp(integ_cluster(id), "spark-cluster-a") == 0 ? "b" : "a";
}

/* Submit SparkPi to queue starve; the new ID. */
static char *
submit_starve(void)
{
	return integ_submit(INTEG_ALICE, "queue", json_string("starve"));
}

/* The CR id on cluster (as for integ_cluster()), or NULL; a 200 or 404. */
static json_t *
cr_get(const char *cluster, const char *id)
{
	char url[1024];
	struct integ_req r = { .method = "GET", .url = url };
	struct integ_http h;
	json_t *out = NULL;

	snprintf(url, sizeof(url), "%s/clusters/%s/objects/sparkapplications/"
	    INTEG_NS "/%s", integ_env("BPG_KUBE_CONTROL"),
	    integ_cluster(cluster), id);
	h = integ_request(&r);
	ck_assert_msg(h.status == 200 || h.status == 404, "GET CR: %ld",
	    h.status);
	if (h.status == 200)
		out = json_incref(h.json);
	integ_http_free(&h);
	return out;
}

static char *
cr_state(const char *cluster, const char *id)
{
	json_t *cr = cr_get(cluster, id);
	const char *v = integ_jstr(cr, "status.applicationState.state");
	char *s = cr != NULL ? strdup(v != NULL ? v : "") : NULL;

	json_decref(cr);
	return s;
}

static void
wait_cr_state(const char *cluster, const char *id, const char *want,
    int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;
	char *s = NULL;

	do {
		free(s);
		if ((s = cr_state(cluster, id)) != NULL && strcmp(s, want) == 0)
			break;
		integ_sleep_ms(100);
	} while (integ_now_ms() < until);
	ck_assert_msg(s != NULL && strcmp(s, want) == 0, "%s: CR state %s, "
	    "not %s after %d s", id, s ? s : "(gone)", want, seconds);
	free(s);
}

/* ---- the database -------------------------------------------------- */

/* Wait until the move of old reaches state want; its new ID. */
static char *
wait_move(const char *old, const char *want, int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;
	char *state = NULL;

	do {
		free(state);
		state = integ_db_str("SELECT state FROM bpg.submission_attempt "
		    "WHERE previous_submission_id = '%s'", old);
		if (state != NULL && strcmp(state, want) == 0)
			break;
		integ_sleep_ms(100);
	} while (integ_now_ms() < until);
	ck_assert_msg(state != NULL && strcmp(state, want) == 0, "%s: move "
	    "%s, not %s after %d s", old, state ? state : "(none)", want,
	    seconds);
	free(state);
	return integ_db_str("SELECT submission_id FROM bpg.submission_attempt "
	    "WHERE previous_submission_id = '%s'", old);
}

/* ---- monitors ------------------------------------------------------ */

/* Moves of id that monitor i started. */
static int
moves_logged(int i, const char *id)
{
	char text[512];

	snprintf(text, sizeof(text), "%s: pending too long: moving to", id);
	return integ_mon_count(i, text);
}

/* Monitor i leads and has listed both clusters. */
static void
wait_leading(int i)
{
	ck_assert_msg(integ_mon_wait(i, "spark-cluster-a/" INTEG_NS ": listed",
	    120) && integ_mon_wait(i, "spark-cluster-b/" INTEG_NS ": listed", 120),
	    "monitor %d did not list both clusters: see %s", i, integ_mon_log(i));
}

static void
sim_defaults(void)
{
	integ_control_both("DELETE", "/faults", NULL);
	integ_control_both("POST", "/operator", "{\"frozen\":false,"
	    "\"outcome\":\"COMPLETED\"}");
}

static void
setup(void)
{
	sim_defaults();
	integ_control_both("DELETE", "/stats", NULL);
}

/* SparkApplications of queue starve on cluster still waiting. */
static int
waiting_apps(const char *cluster)
{
	json_t *objs = integ_control(cluster, "GET", "/objects", NULL), *a;
	const char *st;
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(objs, "sparkapplications"), i, a) {
		st = integ_jstr(a, "status.applicationState.state");
		if (integ_jstr(a, "metadata.labels.queue") != NULL &&
		    strcmp(integ_jstr(a, "metadata.labels.queue"),
		    "root.starve") == 0 && (st == NULL || st[0] == '\0' ||
		    strcmp(st, "SUBMITTED") == 0))
			n++;
	}
	json_decref(objs);
	return n;
}

static void
teardown(void)
{
	long long until = integ_now_ms() + 60000;

	integ_mon_stop_all();
	sim_defaults();
	/* No app left waiting for the next test's monitor to move. */
	while ((waiting_apps("a") > 0 || waiting_apps("b") > 0) &&
	    integ_now_ms() < until) {
		integ_control_both("POST", "/tick", "{\"count\":1}");
		integ_sleep_ms(100);
	}
	ck_assert_msg(waiting_apps("a") == 0 && waiting_apps("b") == 0,
	    "apps of queue starve still waiting");
}

/*
 * Everything a finished move leaves: the old CR gone, one new CR on the
 * other cluster named by the new ID, the rows linked, the old row's
 * status naming the new ID, the status endpoint's nextSubmissionId.
 */
static void
assert_moved(const char *old, const char *new_id)
{
	char path[512], *s;
	json_t *cr;
	struct integ_http h;

	ck_assert_ptr_null(cr_get(old, old));
	ck_assert_str_eq(integ_cluster(new_id), integ_cluster(other_of(old)));
	ck_assert_ptr_nonnull(cr = cr_get(new_id, new_id));
	ck_assert_str_eq(integ_jstr(cr, "metadata.labels.queue"),
	    "root.starve");
	json_decref(cr);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM bpg.submission_attempt "
	    "WHERE job_id = '%s'", old), 1);
	ck_assert_int_eq(integ_db_long("SELECT attempt FROM bpg.submission_attempt "
	    "WHERE job_id = '%s'", old), 2);
	s = integ_db_str("SELECT cluster FROM bpg.submission_attempt WHERE "
	    "submission_id = '%s'", new_id);
	ck_assert_str_eq(s, integ_cluster(new_id));
	free(s);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM bpg.application_"
	    "submission WHERE submission_id = '%s'", new_id), 1);
	s = integ_db_str("SELECT status FROM bpg.application_submission WHERE "
	    "submission_id = '%s'", old);
	ck_assert_str_eq(s, "SUBMISSION_FAILED");
	free(s);
	s = integ_db_str("SELECT error_message FROM bpg.application_submission "
	    "WHERE submission_id = '%s'", old);
	ck_assert_msg(s != NULL && strstr(s, new_id) != NULL &&
	    strstr(s, "pending for more than 3000 ms on ") != NULL,
	    "old row's message: %s", s);
	free(s);
	snprintf(path, sizeof(path), "/spark/%s/status", old);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "status: %ld %s", h.status, h.body);
	ck_assert_str_eq(integ_jstr(h.json, "applicationState"),
	    "SUBMISSION_FAILED");
	ck_assert_msg(integ_jstr(h.json, "nextSubmissionId") != NULL &&
	    strcmp(integ_jstr(h.json, "nextSubmissionId"), new_id) == 0,
	    "status: %s", h.body);
	integ_http_free(&h);
}

/* ---- tests --------------------------------------------------------- */

/*
 * Held in SUBMITTED on its cluster, the app moves to the other one once;
 * there it runs and stays.
 */
START_TEST(test_moved_once)
{
	char *old, *new_id;
	int m;

	integ_control_both("POST", "/operator", "{\"outcome\":\"PENDING\"}");
	m = integ_mon_start("once", (char *)NULL);
	wait_leading(m);
	old = submit_starve();
	json_decref(integ_control(other_of(old), "POST", "/operator",
	    "{\"outcome\":\"RUNNING\"}"));
	new_id = wait_move(old, "done", 120);
	wait_cr_state(new_id, new_id, "RUNNING", 60);
	assert_moved(old, new_id);
	ck_assert_int_eq(moves_logged(m, old), 1);
	free(new_id);
	free(old);
}
END_TEST

/*
 * Held in SUBMITTED everywhere: moved once, then no cluster is left (it
 * ran on both), so the new attempt stays and says so.
 */
START_TEST(test_no_cluster_left)
{
	char *old, *new_id, text[512];
	int m;

	integ_control_both("POST", "/operator", "{\"outcome\":\"PENDING\"}");
	m = integ_mon_start("left", (char *)NULL);
	wait_leading(m);
	old = submit_starve();
	new_id = wait_move(old, "done", 120);
	snprintf(text, sizeof(text), "%s: pending too long, but not moved: "
	    "no other cluster", new_id);
	ck_assert_msg(integ_mon_wait(m, text, 120), "no \"%s\" in %s", text,
	    integ_mon_log(m));
	assert_moved(old, new_id);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM bpg.submission_attempt "
	    "WHERE previous_submission_id = '%s'", new_id), 0);
	wait_cr_state(new_id, new_id, "SUBMITTED", 10);
	free(new_id);
	free(old);
}
END_TEST

/*
 * An app whose driver started is left alone: it was created before an
 * app that is moved, so it was past maxPendingMillis first.
 */
START_TEST(test_started_not_moved)
{
	char *running, *old, *new_id, body[256];
	int m;

	integ_control_both("POST", "/operator", "{\"outcome\":\"RUNNING\"}");
	m = integ_mon_start("started", (char *)NULL);
	wait_leading(m);
	running = submit_starve();
	wait_cr_state(running, running, "RUNNING", 60);
	snprintf(body, sizeof(body), "{\"apps\":{\"%s\":\"RUNNING\"}}",
	    running);
	json_decref(integ_control(running, "POST", "/operator", body));
	integ_control_both("POST", "/operator", "{\"outcome\":\"PENDING\"}");
	old = submit_starve();
	new_id = wait_move(old, "done", 120);
	assert_moved(old, new_id);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM bpg.submission_attempt "
	    "WHERE job_id = '%s'", running), 0);
	wait_cr_state(running, running, "RUNNING", 10);
	free(new_id);
	free(old);
	free(running);
}
END_TEST

/* Two monitors at once, and the leader killed after the move: one move,
 * one new CR. */
START_TEST(test_two_monitors)
{
	char *old, *new_id;
	int m0, m1, leader, other;

	integ_control_both("POST", "/operator", "{\"outcome\":\"PENDING\"}");
	m0 = integ_mon_start("two", (char *)NULL);
	m1 = integ_mon_start("two", (char *)NULL);
	ck_assert_msg(integ_mon_wait(m0, "leader:", 60) ||
	    integ_mon_wait(m1, "leader:", 60), "no leader");
	old = submit_starve();
	json_decref(integ_control(other_of(old), "POST", "/operator",
	    "{\"outcome\":\"RUNNING\"}"));
	new_id = wait_move(old, "done", 120);
	/* The leader goes; the other takes over and finds nothing to do. */
	leader = integ_mon_count(m0, "leader:") > 0 ? m0 : m1;
	other = leader == m0 ? m1 : m0;
	integ_mon_stop(leader, SIGKILL);
	ck_assert_msg(integ_mon_wait(other, "leader:", 120), "no takeover: %s",
	    integ_mon_log(other));
	wait_leading(other);
	wait_cr_state(new_id, new_id, "RUNNING", 60);
	assert_moved(old, new_id);
	ck_assert_int_eq(moves_logged(m0, old) + moves_logged(m1, old), 1);
	free(new_id);
	free(old);
}
END_TEST

/*
 * The leader is SIGKILLed while its create of the new CR hangs (the
 * stand-in delays it); the next leader finishes the move from the row:
 * exactly one new CR, the old one gone.
 */
START_TEST(test_killed_mid_move)
{
	char *old, *new_id, *state = NULL;
	long long until;
	int m0, m1;

	integ_control_both("POST", "/operator", "{\"outcome\":\"PENDING\"}");
	m0 = integ_mon_start("killed", (char *)NULL);
	wait_leading(m0);
	old = submit_starve();
	json_decref(integ_control(other_of(old), "POST", "/operator",
	    "{\"outcome\":\"RUNNING\"}"));
	json_decref(integ_control(other_of(old), "POST", "/faults",
	    "{\"type\":\"latency\",\"ms\":4000,\"method\":\"POST\","
	    "\"count\":1}"));
	/* The old CR is deleted, the create under way: kill. */
	until = integ_now_ms() + 120000;
	do {
		free(state);
		state = integ_db_str("SELECT state FROM bpg.submission_attempt "
		    "WHERE previous_submission_id = '%s'", old);
		if (state != NULL && strcmp(state, "deleted") == 0)
			break;
		integ_sleep_ms(20);
	} while (integ_now_ms() < until);
	ck_assert_msg(state != NULL && strcmp(state, "deleted") == 0,
	    "move: %s", state ? state : "(none)");
	free(state);
	integ_mon_stop(m0, SIGKILL);
	ck_assert_ptr_null(cr_get(old, old));
	m1 = integ_mon_start("killed", (char *)NULL);
	new_id = wait_move(old, "done", 120);
	wait_cr_state(new_id, new_id, "RUNNING", 60);
	assert_moved(old, new_id);
	ck_assert_int_eq(integ_kube_stat(other_of(old),
	    "faultsInjected.latency"), 1);
	ck_assert_int_eq(moves_logged(m0, old), 1);
	ck_assert_int_eq(moves_logged(m1, old), 0);
	free(new_id);
	free(old);
}
END_TEST

/*
 * The delete's precondition fails once (409, as when the operator wrote
 * the app's status meanwhile): the monitor looks again, finds it still
 * waiting, and moves it.
 */
START_TEST(test_conflict_looks_again)
{
	char *old, *new_id;
	int m;

	integ_control_both("POST", "/operator", "{\"outcome\":\"PENDING\"}");
	m = integ_mon_start("conflict", (char *)NULL);
	wait_leading(m);
	old = submit_starve();
	json_decref(integ_control(other_of(old), "POST", "/operator",
	    "{\"outcome\":\"RUNNING\"}"));
	json_decref(integ_control(old, "POST", "/faults",
	    "{\"type\":\"error\",\"code\":409,\"method\":\"DELETE\","
	    "\"count\":1,\"message\":\"Precondition failed\"}"));
	new_id = wait_move(old, "done", 120);
	assert_moved(old, new_id);
	ck_assert_int_eq(integ_mon_count(m, "refused (the application changed)"),
	    1);
	ck_assert_int_eq(integ_kube_stat(old, "faultsInjected.error"), 1);
	free(new_id);
	free(old);
}
END_TEST

/*
 * The driver starts while the delete is on its way (the stand-in holds
 * the DELETE while the operator moves the app to RUNNING): the
 * precondition fails, the app is left running, and the move is recorded
 * as abandoned: no new row, no new CR.
 */
START_TEST(test_started_during_delete)
{
	char *old, *new_id = NULL, *state = NULL, *s, body[256], path[512];
	struct integ_http h;
	long long until;
	int m;

	integ_control_both("POST", "/operator", "{\"outcome\":\"PENDING\"}");
	json_decref(integ_control("a", "POST", "/faults",
	    "{\"type\":\"latency\",\"ms\":3000,\"method\":\"DELETE\"}"));
	json_decref(integ_control("b", "POST", "/faults",
	    "{\"type\":\"latency\",\"ms\":3000,\"method\":\"DELETE\"}"));
	m = integ_mon_start("during", (char *)NULL);
	wait_leading(m);
	old = submit_starve();
	until = integ_now_ms() + 120000;
	do {
		free(state);
		state = integ_db_str("SELECT state FROM bpg.submission_attempt "
		    "WHERE previous_submission_id = '%s'", old);
		if (state != NULL && strcmp(state, "deleting") == 0)
			break;
		integ_sleep_ms(20);
	} while (integ_now_ms() < until);
	ck_assert_msg(state != NULL && strcmp(state, "deleting") == 0,
	    "move: %s", state ? state : "(none)");
	free(state);
	/* While the DELETE waits: the driver starts. */
	snprintf(body, sizeof(body), "{\"apps\":{\"%s\":\"RUNNING\"}}", old);
	json_decref(integ_control(old, "POST", "/operator", body));
	json_decref(integ_control(old, "POST", "/tick", "{\"count\":2}"));
	wait_cr_state(old, old, "RUNNING", 10);
	state = NULL;
	new_id = wait_move(old, "abandoned", 120);
	ck_assert_int_ge(integ_mon_count(m, "refused (the application changed)"),
	    1);
	ck_assert_int_eq(integ_mon_count(m, "not moved: the application started "
	    "first"), 1);
	/* The old app runs on; nothing was made on the other cluster. */
	wait_cr_state(old, old, "RUNNING", 10);
	ck_assert_ptr_null(cr_get(new_id, new_id));
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM bpg.application_"
	    "submission WHERE submission_id = '%s'", new_id), 0);
	s = integ_db_str("SELECT message FROM bpg.submission_attempt WHERE "
	    "submission_id = '%s'", new_id);
	ck_assert_str_eq(s, "not moved: the application started first");
	free(s);
	s = integ_db_str("SELECT status FROM bpg.application_submission WHERE "
	    "submission_id = '%s'", old);
	ck_assert_msg(s != NULL && strcmp(s, "SUBMISSION_FAILED") != 0,
	    "old row: %s", s ? s : "NULL");
	free(s);
	snprintf(path, sizeof(path), "/spark/%s/status", old);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "status: %ld %s", h.status, h.body);
	ck_assert_ptr_null(integ_jstr(h.json, "nextSubmissionId"));
	integ_http_free(&h);
	free(new_id);
	free(old);
}
END_TEST

static Suite *
starve_suite(void)
{
	Suite *s = suite_create("starve");
	TCase *tc = tcase_create("stack");

	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_moved_once);
	tcase_add_test(tc, test_no_cluster_left);
	tcase_add_test(tc, test_started_not_moved);
	tcase_add_test(tc, test_two_monitors);
	tcase_add_test(tc, test_killed_mid_move);
	tcase_add_test(tc, test_conflict_looks_again);
	tcase_add_test(tc, test_started_during_delete);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(starve_suite(), 0);
}
