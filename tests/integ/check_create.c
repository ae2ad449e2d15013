/*
 * Integration tests: a submission whose create has an unknown outcome.
 * Faults of the Kubernetes stand-in (tests/kubesim/main.c) make the API
 * server store a SparkApplication yet answer late, answer an error, or
 * store it only after answering; whatever happens, the gateway's answer,
 * the submission's row and the CR must agree:
 *   200: the CR exists and the row is not finished;
 *   504 "not known yet": the row is not finished (the monitor settles it),
 *   and the answer names the submission;
 *   a refusal (4xx): no CR, and the row is SUBMISSION_FAILED.
 * Late commits are waited for (the stand-in's pendingCommits), so a CR
 * that appears after the answer is seen.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "integ.h"

static const char *const clusters[] = { "a", "b" };

static void
faults(const char *json)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		json_decref(integ_control(clusters[i], "POST", "/faults",
		    "{\"reset\":true}"));
		if (json != NULL)
			json_decref(integ_control(clusters[i], "POST",
			    "/faults", json));
	}
}

static void
setup(void)
{
	size_t i;

	faults(NULL);
	/* Applications that never end: no finish is recorded by anyone. */
	for (i = 0; i < 2; i++)
		json_decref(integ_control(clusters[i], "POST", "/operator",
		    "{\"outcome\":\"RUNNING\"}"));
}

static void
teardown(void)
{
	size_t i;

	faults(NULL);
	for (i = 0; i < 2; i++)
		json_decref(integ_control(clusters[i], "POST", "/operator",
		    "{\"outcome\":\"COMPLETED\"}"));
}

/* Until no late commit is pending on either cluster (at most 90 s). */
static void
settle(void)
{
	int i;

	for (i = 0; i < 900; i++) {
		if (integ_kube_stat("a", "pendingCommits") == 0 &&
		    integ_kube_stat("b", "pendingCommits") == 0)
			return;
		usleep(100000);
	}
	ck_abort_msg("late commits still pending after 90 s");
}

static bool
cr_exists(const char *id)
{
	char path[512];
	struct integ_http h;
	long status;

	snprintf(path, sizeof(path), INTEG_APPS "/%s", id);
	h = integ_kube(id, "GET", path, NULL);
	status = h.status;
	integ_http_free(&h);
	ck_assert_msg(status == 200 || status == 404, "GET CR %s: %ld", id,
	    status);
	return status == 200;
}

/*
 * No DELETE was logged as a failed cleanup of id: the gateway deletes
 * nothing whose create it could not settle, and a DELETE answered 404
 * found nothing to clean.
 */
static void
no_cleanup_logged(const char *id)
{
	char path[1024], needle[128], *log;

	snprintf(path, sizeof(path), "%s/gateway.log",
	    integ_env("BPG_STACK_DIR"));
	snprintf(needle, sizeof(needle), "cleanup of %s", id);
	log = integ_slurp(path, NULL);
	ck_assert_msg(strstr(log, needle) == NULL, "%s: a failed cleanup "
	    "logged", id);
	free(log);
}

/* The submission ID an answer names: its submissionId, or in its text. */
static char *
answer_id(const struct integ_http *h)
{
	const char *s = integ_jstr(h->json, "submissionId"), *p;

	if (s != NULL)
		return strdup(s);
	p = strstr(h->body, "spark-cluster-");
	ck_assert_msg(p != NULL && strlen(p) >= 48, "no submission ID in %s",
	    h->body);
	return strndup(p, 48);
}

/*
 * The invariant for an answer that is 200 or 504 (not known yet), as want
 * says.  Returns the submission ID.
 */
static char *
agree(const struct integ_http *h, long want)
{
	char *id, *v[2];
	bool found, cr;

	ck_assert_msg(h->status == want, "want %ld, got %ld: %s", want,
	    h->status, h->body);
	id = answer_id(h);
	settle();
	cr = cr_exists(id);
	found = integ_db_row(id, "status, finished_time", v, 2);
	ck_assert_msg(found, "%s: no row", id);
	if (want == 200) {
		ck_assert_msg(cr, "%s: answered 200, no CR", id);
		ck_assert_msg(v[0] == NULL || strcmp(v[0],
		    "SUBMISSION_FAILED") != 0, "%s: CR and a failed row", id);
		ck_assert_msg(v[1] == NULL, "%s: finished at %s", id, v[1]);
	} else {
		ck_assert_msg(strstr(h->body, "not known yet") != NULL,
		    "504 without saying so: %s", h->body);
		ck_assert_msg(v[0] == NULL || strcmp(v[0],
		    "SUBMISSION_FAILED") != 0, "%s: failed while unknown", id);
		ck_assert_msg(v[1] == NULL, "%s: finished at %s", id, v[1]);
	}
	free(v[0]);
	free(v[1]);
	no_cleanup_logged(id);
	return id;
}

static struct integ_http
submit(void)
{
	char *body = integ_sparkpi(NULL);
	struct integ_http h;

	h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
	free(body);
	return h;
}

/* ---- tests -------------------------------------------------------- */

/*
 * Stored, but answered after the gateway's timeout (5 s in the stack);
 * the retry is throttled.  The CR exists: 200.
 */
START_TEST(test_late_answer_then_429)
{
	struct integ_http h;

	faults("[{\"type\":\"lateanswer\",\"ms\":7000,\"method\":\"POST\"},"
	    "{\"type\":\"throttle\",\"method\":\"POST\"}]");
	h = submit();
	faults(NULL);
	free(agree(&h, 200));
	integ_http_free(&h);
}
END_TEST

/*
 * Both creates are answered 504 and stored 1.5 s later; the creates after
 * them are throttled for a while, and reads see 404 until the first late
 * commit.  A 404 is no proof: 200.
 */
START_TEST(test_both_commit_late)
{
	struct integ_http h;

	faults("[{\"type\":\"latecommit\",\"ms\":1500,\"method\":\"POST\","
	    "\"count\":2},{\"type\":\"throttle\",\"method\":\"POST\","
	    "\"count\":3}]");
	h = submit();
	faults(NULL);
	free(agree(&h, 200));
	integ_http_free(&h);
}
END_TEST

/*
 * The first create is stored late, the second fails: a cleanup DELETE
 * would reach the server first, find nothing and leave the CR to appear
 * after the answer.  The gateway asks instead: 200.
 */
START_TEST(test_delete_would_lose_the_race)
{
	struct integ_http h;

	faults("[{\"type\":\"latecommit\",\"ms\":1500,\"method\":\"POST\"},"
	    "{\"type\":\"error\",\"code\":503,\"method\":\"POST\"}]");
	h = submit();
	faults(NULL);
	free(agree(&h, 200));
	integ_http_free(&h);
}
END_TEST

/*
 * The API server stores the object, answers 500 and closes the
 * connection as the client reuses it, again and again: more often than
 * libcurl resends a request on a dead reused connection per easy handle
 * (5 in libcurl 7.88), on each of the 4 workers' handles of both
 * clusters.  Every submission exists: 200 each time.
 */
START_TEST(test_store_500_close_many)
{
	struct integ_http h;
	int i;

	for (i = 0; i < 48; i++) {
		faults("{\"type\":\"error\",\"code\":500,\"method\":\"POST\","
		    "\"commit\":true,\"close\":true}");
		h = submit();
		free(agree(&h, 200));
		integ_http_free(&h);
	}
	faults(NULL);
}
END_TEST

/*
 * Every create answers an error that may follow a store: the outcome
 * stays unknown for the whole bound.  504 naming the submission, no CR,
 * and the row left for the monitor.
 */
START_TEST(test_unknown_at_the_bound)
{
	static const char *const f[] = {
		"{\"type\":\"error\",\"code\":500,\"method\":\"POST\","
		    "\"count\":-1}",
		"{\"type\":\"drop\",\"method\":\"POST\",\"count\":-1}",
	};
	struct integ_http h;
	char *id;

	faults(f[_i]);
	h = submit();
	faults(NULL);
	id = agree(&h, 504);
	ck_assert_msg(!cr_exists(id), "%s: a CR from nowhere", id);
	free(id);
	integ_http_free(&h);
}
END_TEST

/*
 * A refusal is definite: no CR, the row failed.  A 429 is the cluster's
 * state, so the submission moves to the other cluster, which refuses
 * too: a 502 naming both, both rows failed, the first naming the second.
 */
START_TEST(test_refused)
{
	size_t crs = integ_cr_count("a") + integ_cr_count("b");
	long failed = integ_db_count("status='SUBMISSION_FAILED' AND "
	    "finished_time IS NOT NULL");
	long moved = integ_db_count("status='SUBMISSION_FAILED' AND "
	    "error_message LIKE '%resubmitted as spark-cluster-%'");
	struct integ_http h;

	faults("{\"type\":\"throttle\",\"method\":\"POST\"}");
	h = submit();
	faults(NULL);
	ck_assert_msg(h.status == 502, "want 502, got %ld: %s", h.status,
	    h.body);
	integ_assert_error(&h, 502, "failed on every eligible cluster");
	ck_assert_ptr_nonnull(strstr(h.body, "spark-cluster-a: "));
	ck_assert_ptr_nonnull(strstr(h.body, "spark-cluster-b: "));
	integ_http_free(&h);
	ck_assert_int_eq(integ_cr_count("a") + integ_cr_count("b"), crs);
	ck_assert_int_eq(integ_db_count("status='SUBMISSION_FAILED' AND "
	    "finished_time IS NOT NULL"), failed + 2);
	ck_assert_int_eq(integ_db_count("status='SUBMISSION_FAILED' AND "
	    "error_message LIKE '%resubmitted as spark-cluster-%'"),
	    moved + 1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("create");
	TCase *tc = tcase_create("unknown outcomes");

	/* Generous: the bound is 15 s a submission, runs may be slow. */
	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_late_answer_then_429);
	tcase_add_test(tc, test_both_commit_late);
	tcase_add_test(tc, test_delete_would_lose_the_race);
	tcase_add_test(tc, test_store_500_close_many);
	tcase_add_loop_test(tc, test_unknown_at_the_bound, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
