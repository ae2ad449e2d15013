/*
 * Integration tests: retries (request field retryPolicy) on the real
 * stack, with build/bpg-monitor processes (logs in
 * $BPG_STACK_DIR/monitor-retry-*.log) and the stand-in's operator
 * driving apps to FAILED, RUNNING or COMPLETED by name.
 *   - A job that fails once succeeds on its retry: attempt 2 is a
 *     submission of its own (ID, row, CR labelled bpg/attempt and
 *     bpg/job-id) on the same cluster; status shows "attempt" and the
 *     handle's "nextSubmissionId"; GET /spark/{id}/attempts lists both, for
 *     the handle and for the attempt, and only for the owner; no third
 *     attempt follows a success.  Two monitors run: the retry is made
 *     once.
 *   - DELETE of the handle while its retry runs deletes the retry's CR.
 *   - anyCluster: with the first attempt's cluster down, the retry goes
 *     to the other cluster.
 *   - DELETE of the handle cancels a pending retry (large back-off): made
 *     due at once in the database, it is never made, while a job not
 *     cancelled and made due alike is retried.
 *   - POST /spark failing over to the other cluster keeps the job of the
 *     ID answered only; a create Kubernetes refuses (the client's 4xx)
 *     leaves no job.
 *   - maxAttempts 0 and 11: a 400 naming the field, nothing written.
 */
#include <sys/types.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <mysql.h>

#include "integ.h"

#define BOB "bob:bob-pw"
#define ENV_SECRET "env-hunter2-value"

#define REQ(policy)                                                           \
	"{\"sparkVersion\":\"3.5.0\",\"queue\":\"dev\","                      \
	"\"mainApplicationFile\":\"local:///x.jar\",\"mainClass\":\"x.Main\"," \
	"\"driver\":{\"cores\":1,\"memory\":\"512m\",\"env\":[{\"name\":"     \
	"\"K\",\"value\":\"" ENV_SECRET "\"}]},"                              \
	"\"executor\":{\"instances\":1,\"cores\":1,\"memory\":\"512m\"},"     \
	"\"retryPolicy\":" policy "}"

static void
mon_setup(void)
{
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

/* Waits until the query's number is at least want; false at the timeout. */
static bool
wait_long(long want, int seconds, const char *q)
{
	long long until = integ_now_ms() + seconds * 1000LL;

	do {
		if (integ_db_long("%s", q) >= want)
			return true;
		integ_sleep_ms(200);
	} while (integ_now_ms() < until);
	return false;
}

/* Submits body as alice with the operator frozen, fails its app on its
 * cluster by name, and lets the operator go on. */
static char *
submit_failing(const char *body)
{
	struct integ_http h;
	char ops[256];
	char *id;

	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_ptr_nonnull(id = strdup(integ_jstr(h.json, "submissionId")));
	integ_http_free(&h);
	snprintf(ops, sizeof(ops), "{\"apps\":{\"%s\":\"FAILED\"}}", id);
	json_decref(integ_control(id, "POST", "/operator", ops));
	integ_control_both("POST", "/operator", "{\"frozen\":false}");
	return id;
}

/* The next attempt's ID in the handle's status, waiting for it. */
static char *
wait_next(const char *id, int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;
	struct integ_http h;
	char path[256], *next = NULL;
	const char *v;

	snprintf(path, sizeof(path), "/spark/%s/status", id);
	do {
		h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
		ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
		if ((v = integ_jstr(h.json, "nextSubmissionId")) != NULL)
			ck_assert_ptr_nonnull(next = strdup(v));
		integ_http_free(&h);
		if (next != NULL)
			return next;
		integ_sleep_ms(200);
	} while (integ_now_ms() < until);
	ck_abort_msg("no next attempt of %s within %d s", id, seconds);
	return NULL;
}

static long
attempts_of(const char *job)
{
	return integ_db_long("SELECT COUNT(*) FROM bpg.submission_attempt WHERE "
	    "job_id = '%s'", job);
}

START_TEST(test_fail_then_succeed)
{
	struct integ_http h;
	char path[256], *id, *next;
	json_t *st, *cr, *l;

	/* Two monitors: one of them makes the retry, once. */
	integ_mon_start("retry-once", (char *)NULL);
	integ_mon_start("retry-once", (char *)NULL);
	id = submit_failing(REQ("{\"maxAttempts\":3,\"backoffSeconds\":1}"));
	st = integ_wait_state(id, "FAILED", 60);
	ck_assert_str_eq(integ_jstr(st, "applicationState"), "FAILED");
	json_decref(st);
	next = wait_next(id, 60);
	ck_assert_str_ne(next, id);
	st = integ_wait_state(next, "COMPLETED", 60);
	ck_assert_str_eq(integ_jstr(st, "applicationState"), "COMPLETED");
	ck_assert_int_eq(integ_jint(st, "attempt"), 2);
	json_decref(st);
	/* The same cluster (no anyCluster); a CR of its own, labelled. */
	ck_assert_str_eq(integ_cluster(next), integ_cluster(id));
	snprintf(path, sizeof(path), INTEG_APPS "/%s", next);
	h = integ_kube(next, "GET", path, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	cr = h.json;
	ck_assert_str_eq(integ_jstr(cr, "metadata.labels.bpg/attempt"), "2");
	ck_assert_str_eq(integ_jstr(cr, "metadata.labels.bpg/job-id"), id);
	/* The request as sent: the env value reaches the CR. */
	ck_assert_ptr_nonnull(strstr(h.body, ENV_SECRET));
	integ_http_free(&h);
	/* Attempts, from the handle and from the attempt. */
	snprintf(path, sizeof(path), "/spark/%s/attempts", next);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	l = json_object_get(h.json, "attempts");
	ck_assert_uint_eq(json_array_size(l), 2);
	ck_assert_str_eq(integ_jstr(json_array_get(l, 0), "submissionId"), id);
	ck_assert_int_eq(integ_jint(json_array_get(l, 0), "attempt"), 1);
	ck_assert_str_eq(integ_jstr(json_array_get(l, 0), "state"), "FAILED");
	ck_assert_str_eq(integ_jstr(json_array_get(l, 0), "cluster"),
	    integ_cluster(id));
	ck_assert(json_is_integer(json_object_get(json_array_get(l, 0),
	    "terminationTime")));
	ck_assert_str_eq(integ_jstr(json_array_get(l, 1), "submissionId"),
	    next);
	ck_assert_int_eq(integ_jint(json_array_get(l, 1), "attempt"), 2);
	ck_assert(json_is_integer(json_object_get(json_array_get(l, 1),
	    "creationTime")));
	/* The request stays in the database: never in an answer. */
	ck_assert_ptr_null(strstr(h.body, ENV_SECRET));
	integ_http_free(&h);
	snprintf(path, sizeof(path), "/spark/%s/attempts", id);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_uint_eq(json_array_size(json_object_get(h.json,
	    "attempts")), 2);
	integ_http_free(&h);
	h = integ_api("GET", path, BOB, NULL, NULL);
	integ_assert_error(&h, 404, "Not Found");
	integ_http_free(&h);
	/* A success ends the job: the monitor marks it so. */
	ck_assert(wait_long(1, 60, "SELECT COUNT(*) FROM bpg.bpg_retry_job "
	    "WHERE active = 0 AND cancelled = 0 AND last_attempt = 2"));
	ck_assert_int_eq(attempts_of(id), 1);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM "
	    "bpg.application_submission WHERE submission_id = '%s'", next), 1);
	free(next);
	free(id);
}
END_TEST

/*
 * The Airflow account submits for a DAG's user (?dagUser=): the retry is
 * that user's too, as the first attempt is (row, CR, who may read it).
 */
START_TEST(test_dag_user_retry)
{
	struct integ_http h;
	char path[256], ops[256], *id, *next;
	json_t *st;

	integ_mon_start("retry-dag", (char *)NULL);
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	h = integ_api("POST", "/spark?dagUser=alice",
	    "airflow_system_account:airflow-pw", INTEG_JSON,
	    REQ("{\"maxAttempts\":2,\"backoffSeconds\":0}"));
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_ptr_nonnull(id = strdup(integ_jstr(h.json, "submissionId")));
	integ_http_free(&h);
	snprintf(ops, sizeof(ops), "{\"apps\":{\"%s\":\"FAILED\"}}", id);
	json_decref(integ_control(id, "POST", "/operator", ops));
	integ_control_both("POST", "/operator", "{\"frozen\":false}");
	next = wait_next(id, 90);
	st = integ_wait_state(next, "COMPLETED", 60);
	ck_assert_str_eq(integ_jstr(st, "applicationState"), "COMPLETED");
	json_decref(st);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM "
	    "bpg.application_submission WHERE submission_id = '%s' AND "
	    "`user` = 'alice'", next), 1);
	snprintf(path, sizeof(path), INTEG_APPS "/%s", next);
	h = integ_kube(next, "GET", path, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(integ_jstr(h.json, "metadata.labels.proxyUser"),
	    "alice");
	integ_http_free(&h);
	free(next);
	free(id);
}
END_TEST

/* DELETE of the handle while its retry runs: the retry's CR goes too. */
START_TEST(test_delete_running)
{
	struct integ_http h;
	char path[256], *id, *next;
	json_t *st;

	integ_mon_start("retry-delete", (char *)NULL);
	integ_control_both("POST", "/operator", "{\"outcome\":\"RUNNING\"}");
	id = submit_failing(REQ("{\"maxAttempts\":3,\"backoffSeconds\":0}"));
	next = wait_next(id, 60);
	st = integ_wait_state(next, "RUNNING", 60);
	ck_assert_str_eq(integ_jstr(st, "applicationState"), "RUNNING");
	json_decref(st);
	snprintf(path, sizeof(path), "/spark/%s", id);
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	snprintf(path, sizeof(path), INTEG_APPS "/%s", next);
	h = integ_kube(next, "GET", path, NULL);
	ck_assert_msg(h.status == 404, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	ck_assert_int_eq(integ_db_long("SELECT cancelled FROM "
	    "bpg.bpg_retry_job WHERE job_id = '%s'", id), 1);
	ck_assert_int_eq(attempts_of(id), 1);
	free(next);
	free(id);
}
END_TEST

START_TEST(test_other_cluster)
{
	char *id, *next = NULL;
	char fault[64], where[512];
	json_t *st;

	integ_mon_start("retry-move", (char *)NULL);
	id = submit_failing(REQ("{\"maxAttempts\":2,\"backoffSeconds\":1,"
	    "\"anyCluster\":true}"));
	/* The monitor recorded the failure; then the cluster goes down. */
	snprintf(where, sizeof(where), "SELECT COUNT(*) FROM "
	    "bpg.application_submission WHERE submission_id = '%s' AND "
	    "status = 'FAILED'", id);
	ck_assert_msg(wait_long(1, 60, where), "%s not recorded FAILED", id);
	snprintf(fault, sizeof(fault), "{\"type\":\"down\"}");
	json_decref(integ_control(id, "POST", "/faults", fault));
	snprintf(where, sizeof(where), "SELECT COUNT(*) FROM "
	    "bpg.submission_attempt WHERE job_id = '%s' AND state = 'done'",
	    id);
	ck_assert_msg(wait_long(1, 60, where), "no retry of %s", id);
	{
		MYSQL *m = integ_db_open();
		MYSQL_RES *res;
		MYSQL_ROW row;
		char q[512];

		snprintf(q, sizeof(q), "SELECT submission_id, cluster FROM "
		    "bpg.submission_attempt WHERE job_id = '%s'", id);
		ck_assert_int_eq(mysql_query(m, q), 0);
		ck_assert_ptr_nonnull(res = mysql_store_result(m));
		ck_assert_ptr_nonnull(row = mysql_fetch_row(res));
		ck_assert_ptr_nonnull(next = strdup(row[0]));
		ck_assert_str_ne(row[1], integ_cluster(id));
		mysql_free_result(res);
		mysql_close(m);
	}
	ck_assert_str_ne(integ_cluster(next), integ_cluster(id));
	st = integ_wait_state(next, "COMPLETED", 60);
	ck_assert_str_eq(integ_jstr(st, "applicationState"), "COMPLETED");
	json_decref(st);
	free(next);
	free(id);
}
END_TEST

START_TEST(test_cancel)
{
	struct integ_http h;
	char path[256], q[512], *id, *other;

	integ_mon_start("retry-cancel", (char *)NULL);
	id = submit_failing(REQ("{\"maxAttempts\":3,"
	    "\"backoffSeconds\":86400}"));
	other = submit_failing(REQ("{\"maxAttempts\":3,"
	    "\"backoffSeconds\":86400}"));
	/* Both failed and have their retry planned a day away. */
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM bpg.bpg_retry_job WHERE "
	    "job_id IN ('%s', '%s') AND retry_at IS NOT NULL", id, other);
	ck_assert_msg(wait_long(2, 60, q), "retries not planned");
	snprintf(path, sizeof(path), "/spark/%s", id);
	h = integ_api("DELETE", path, BOB, NULL, NULL);
	ck_assert_int_ne(h.status, 200);
	integ_http_free(&h);
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	ck_assert_int_eq(integ_db_long("SELECT cancelled FROM bpg.bpg_retry_job "
	    "WHERE job_id = '%s'", id), 1);
	/* Both made due now: only the job not cancelled is retried. */
	integ_db_exec("UPDATE bpg.bpg_retry_job SET retry_at = 1 WHERE job_id IN "
	    "('%s', '%s')", id, other);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM bpg.submission_attempt "
	    "WHERE job_id = '%s' AND state = 'done'", other);
	ck_assert_msg(wait_long(1, 60, q), "no retry of %s", other);
	ck_assert_int_eq(attempts_of(id), 0);
	free(other);
	free(id);
}
END_TEST

/*
 * POST /spark failing over: the job is the ID answered; the try the
 * client never got (its row SUBMISSION_FAILED, "resubmitted as" the
 * answer) has no job row, so nothing retries it.
 */
START_TEST(test_failover_forgets)
{
	struct integ_http h;
	const char *id;
	int i, moved = 0;

	json_decref(integ_control("a", "POST", "/faults", "{\"type\":"
	    "\"throttle\",\"method\":\"POST\",\"count\":-1}"));
	for (i = 0; i < 20 && moved == 0; i++) {
		h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON,
		    REQ("{\"maxAttempts\":2}"));
		ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
		ck_assert_ptr_nonnull(id = integ_jstr(h.json, "submissionId"));
		ck_assert_str_eq(integ_cluster(id), "spark-cluster-b");
		ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM "
		    "bpg.bpg_retry_job WHERE job_id = '%s'", id), 1);
		moved = (int)integ_db_long("SELECT COUNT(*) FROM "
		    "bpg.application_submission WHERE error_message LIKE "
		    "'%%resubmitted as %s'", id);
		ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM "
		    "bpg.bpg_retry_job j JOIN bpg.application_submission s ON "
		    "s.submission_id = j.job_id WHERE s.error_message LIKE "
		    "'%%resubmitted as %s'", id), 0);
		integ_http_free(&h);
	}
	ck_assert_msg(moved == 1, "no submission failed over in %d", i);
}
END_TEST

/*
 * A create Kubernetes refuses (422, a 400 here) is the client's answer:
 * the job of that ID is dropped, so the monitor never retries what the
 * client was told failed.
 */
START_TEST(test_refused_not_retried)
{
	struct integ_http h;
	long jobs = integ_db_long("SELECT COUNT(*) FROM bpg.bpg_retry_job");

	integ_control_both("POST", "/faults", "{\"type\":\"error\","
	    "\"code\":422,\"method\":\"POST\",\"count\":1}");
	h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON,
	    REQ("{\"maxAttempts\":3,\"backoffSeconds\":0}"));
	integ_assert_error(&h, 400, "Received status: 422");
	integ_http_free(&h);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM "
	    "bpg.bpg_retry_job"), jobs);
}
END_TEST

/* ---- bad input ---------------------------------------------------- */

START_TEST(test_bad_attempts)
{
	static const char *const bodies[] = {
		REQ("{\"maxAttempts\":0}"),
		REQ("{\"maxAttempts\":11}"),
	};
	struct integ_http h;
	long rows = integ_db_count(NULL);
	long jobs = integ_db_long("SELECT COUNT(*) FROM bpg.bpg_retry_job");
	size_t crs = integ_cr_count("a") + integ_cr_count("b");
	size_t i;

	for (i = 0; i < 2; i++) {
		h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON,
		    bodies[i]);
		integ_assert_error(&h, 400, "retryPolicy.maxAttempts must be "
		    "1..10");
		integ_http_free(&h);
	}
	ck_assert_int_eq(integ_db_count(NULL), rows);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM bpg.bpg_retry_job"),
	    jobs);
	ck_assert_uint_eq(integ_cr_count("a") + integ_cr_count("b"), crs);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("integ_retry");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_bad_attempts);
	suite_add_tcase(s, tc);
	tc = tcase_create("monitor");
	tcase_add_checked_fixture(tc, mon_setup, mon_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_fail_then_succeed);
	tcase_add_test(tc, test_dag_user_retry);
	tcase_add_test(tc, test_other_cluster);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_delete_running);
	tcase_add_test(tc, test_failover_forgets);
	tcase_add_test(tc, test_refused_not_retried);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
