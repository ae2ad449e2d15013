/*
 * Integration tests: dependencies between submissions on the real stack.
 *   - Bad input is a 400 naming the field, and nothing is written:
 *     dependsOn on an unknown ID, on another user's submission (the same
 *     answer: which IDs exist is not told), a malformed ID, 33 IDs, one
 *     ID twice, a bad dependencyPolicy.
 * With a build/bpg-monitor process (log in
 * $BPG_STACK_DIR/monitor-deps-*.log):
 *   - A -> B -> C (C sent as YAML): B and C are WAITING with no CR, and
 *     listed so, then each runs only after the one it depends on
 *     COMPLETED (the row times tell), all COMPLETED.
 *   - A FAILS: B (allSucceeded) becomes DEPENDENCY_FAILED naming A and
 *     never gets a CR; C (allFinished) runs and COMPLETES.
 *   - DELETE of a WAITING submission: CANCELLED, and no CR ever, even
 *     after its dependency COMPLETED and the monitor released another
 *     submission waiting for the same dependency.
 *   - A -> B -> C where B (retryPolicy) fails once and succeeds on
 *     retry: C waits through B's failure and runs after B's retry.
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "integ.h"

#define BOB "bob:bob-pw"
#define H32 "0123456789abcdef0123456789abcdef"

/* POST /spark of SparkPi as userpw with dependsOn deps (stolen; NULL:
 * none) and policy (NULL: none), as JSON, or as YAML when yaml (JSON is
 * YAML too). */
static struct integ_http
post_x(const char *userpw, json_t *deps, const char *policy, bool yaml,
    const char *extra_key, json_t *extra)
{
	char *text = integ_sparkpi(NULL), *body;
	json_t *req = json_loads(text, 0, NULL);
	struct integ_http h;

	ck_assert_ptr_nonnull(req);
	if (extra_key != NULL)
		ck_assert_int_eq(json_object_set_new(req, extra_key, extra), 0);
	if (deps != NULL)
		ck_assert_int_eq(json_object_set_new(req, "dependsOn", deps),
		    0);
	if (policy != NULL)
		ck_assert_int_eq(json_object_set_new(req, "dependencyPolicy",
		    json_string(policy)), 0);
	ck_assert_ptr_nonnull(body = json_dumps(req, JSON_COMPACT));
	h = integ_api("POST", "/spark", userpw, yaml ? "application/x-yaml" :
	    INTEG_JSON, body);
	free(body);
	free(text);
	json_decref(req);
	return h;
}

static struct integ_http
post_as(const char *userpw, json_t *deps, const char *policy, bool yaml)
{
	return post_x(userpw, deps, policy, yaml, NULL, NULL);
}

static struct integ_http
post(const char *userpw, json_t *deps, const char *policy)
{
	return post_as(userpw, deps, policy, false);
}

/* As post_as() for alice; the answer must be a 200 with an ID, which is
 * returned. */
static char *
submit_as(json_t *deps, const char *policy, bool yaml)
{
	struct integ_http h = post_as(INTEG_ALICE, deps, policy, yaml);
	const char *id;
	char *out;

	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_ptr_nonnull(id = integ_jstr(h.json, "submissionId"));
	ck_assert_ptr_nonnull(out = strdup(id));
	integ_http_free(&h);
	return out;
}

static char *
submit(json_t *deps, const char *policy)
{
	return submit_as(deps, policy, false);
}

/* Whether id's SparkApplication exists in its cluster. */
static bool
has_cr(const char *id)
{
	char path[512];
	struct integ_http h;
	long st;

	snprintf(path, sizeof(path), INTEG_APPS "/%s", id);
	h = integ_kube(id, "GET", path, NULL);
	st = h.status;
	integ_http_free(&h);
	ck_assert_msg(st == 200 || st == 404, "GET %s: %ld", id, st);
	return st == 200;
}

/* id's state must become want within seconds; the answer is returned. */
static json_t *
expect_state(const char *id, const char *want, int seconds)
{
	json_t *st = integ_wait_state(id, want, seconds);

	ck_assert_msg(st != NULL && integ_jstr(st, "applicationState") !=
	    NULL && strcmp(integ_jstr(st, "applicationState"), want) == 0,
	    "%s: %s, want %s", id, st != NULL ?
	    integ_jstr(st, "applicationState") : "no answer", want);
	return st;
}

/* id's applicationState in GET /spark/mySubmissions as alice, or NULL. */
static char *
listed_state(const char *id)
{
	struct integ_http h;
	json_t *subs, *e;
	const char *st;
	char *out = NULL;
	size_t i;

	h = integ_api("GET", "/spark/mySubmissions", INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	subs = json_object_get(h.json, "submissions");
	json_array_foreach(subs, i, e)
		if (integ_jstr(e, "submissionId") != NULL &&
		    strcmp(integ_jstr(e, "submissionId"), id) == 0 &&
		    (st = integ_jstr(e, "applicationState")) != NULL)
			out = strdup(st);
	integ_http_free(&h);
	return out;
}

/* ---- bad input ---------------------------------------------------- */

START_TEST(test_bad_input)
{
	struct integ_http h;
	char *theirs, id[80];
	json_t *many;
	long rows, links;
	int i;

	theirs = integ_submit(BOB, NULL, NULL);
	rows = integ_db_count(NULL);
	links = integ_db_long("SELECT COUNT(*) FROM bpg.bpg_waiting");
	/* Unknown and foreign: the same answer. */
	h = post(INTEG_ALICE, json_pack("[s]", "spark-cluster-a-" H32), NULL);
	integ_assert_error(&h, 400, "dependsOn[0]: no submission "
	    "spark-cluster-a-" H32 " that you may read");
	integ_http_free(&h);
	h = post(INTEG_ALICE, json_pack("[s]", theirs), NULL);
	integ_assert_error(&h, 400, "dependsOn[0]: no submission");
	ck_assert_ptr_nonnull(strstr(h.body, theirs));
	integ_http_free(&h);
	/* Bob may depend on his own. */
	h = post(BOB, json_pack("[s]", theirs), "allFinished");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	rows++;
	links++;
	h = post(INTEG_ALICE, json_pack("[ss]", theirs, "not/an id"), NULL);
	integ_assert_error(&h, 400, "dependsOn[1]: not a submission ID");
	integ_http_free(&h);
	h = post(INTEG_ALICE, json_pack("[ss]", theirs, theirs), NULL);
	integ_assert_error(&h, 400, "dependsOn[1]: ");
	ck_assert_ptr_nonnull(strstr(h.body, "listed twice"));
	integ_http_free(&h);
	many = json_array();
	for (i = 0; i < 33; i++) {
		snprintf(id, sizeof(id), "spark-cluster-a-%032x", i);
		json_array_append_new(many, json_string(id));
	}
	h = post(INTEG_ALICE, many, NULL);
	integ_assert_error(&h, 400, "dependsOn: at most 32");
	integ_http_free(&h);
	h = post(INTEG_ALICE, json_pack("[s]", theirs), "any");
	integ_assert_error(&h, 400, "dependencyPolicy: must be");
	integ_http_free(&h);
	h = post(INTEG_ALICE, json_string(theirs), NULL);
	ck_assert_int_eq(h.status, 400);
	ck_assert_ptr_nonnull(strstr(h.body, "dependsOn"));
	integ_http_free(&h);
	/* Nothing written by the refused ones. */
	ck_assert_int_eq(integ_db_count(NULL), rows);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM bpg.bpg_waiting"),
	    links);
	free(theirs);
}
END_TEST

/* ---- with a monitor ----------------------------------------------- */

static void
mon_setup(void)
{
	integ_control_both("DELETE", "/faults", NULL);
	integ_control_both("POST", "/operator", "{\"frozen\":false,"
	    "\"outcome\":\"COMPLETED\",\"apps\":{}}");
}

static void
mon_teardown(void)
{
	integ_mon_stop_all();
	mon_setup();
}

/* Whether id's row has the time column col set, and its epoch seconds. */
static long
row_time(const char *id, const char *col)
{
	return integ_db_long("SELECT UNIX_TIMESTAMP(%s) FROM "
	    "bpg.application_submission WHERE submission_id = '%s'", col, id);
}

START_TEST(test_chain)
{
	char *a, *b, *c, *listed;
	json_t *st;

	(void)integ_mon_start("deps-chain", (char *)NULL);
	/* A cannot end before B and C are recorded. */
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	a = submit(NULL, NULL);
	b = submit(json_pack("[s]", a), NULL);
	/* Kept as sent: the monitor parses it as YAML when it releases it. */
	c = submit_as(json_pack("[s]", b), "allSucceeded", true);
	json_decref(expect_state(b, "WAITING", 30));
	json_decref(expect_state(c, "WAITING", 30));
	ck_assert(!has_cr(b));
	ck_assert(!has_cr(c));
	/* The lists show it too (from its row: it has no CR). */
	ck_assert_ptr_nonnull(listed = listed_state(b));
	ck_assert_str_eq(listed, "WAITING");
	free(listed);
	integ_control_both("POST", "/operator", "{\"frozen\":false}");
	json_decref(expect_state(a, "COMPLETED", 120));
	json_decref(expect_state(b, "COMPLETED", 120));
	st = expect_state(c, "COMPLETED", 120);
	json_decref(st);
	/* Each ran after the one before it finished. */
	ck_assert_int_le(row_time(a, "finished_time"),
	    row_time(b, "start_time"));
	ck_assert_int_le(row_time(b, "finished_time"),
	    row_time(c, "start_time"));
	ck_assert_int_gt(row_time(c, "start_time"), 0);
	/* The request kept for the release (its token) is gone. */
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM bpg.bpg_waiting WHERE "
	    "submission_id IN ('%s', '%s') AND request IS NULL AND state = "
	    "'released'", b, c), 2);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(test_failed_dependency)
{
	char *a, *b, *c, body[256];
	const char *msg;
	json_t *st;

	(void)integ_mon_start("deps-failed", (char *)NULL);
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	a = submit(NULL, NULL);
	snprintf(body, sizeof(body), "{\"apps\":{\"%s\":\"FAILED\"}}", a);
	integ_control_both("POST", "/operator", body);
	b = submit(json_pack("[s]", a), NULL);
	c = submit(json_pack("[s]", a), "allFinished");
	integ_control_both("POST", "/operator", "{\"frozen\":false}");
	json_decref(expect_state(a, "FAILED", 120));
	st = expect_state(b, "DEPENDENCY_FAILED", 60);
	ck_assert_ptr_nonnull(msg = integ_jstr(st, "applicationErrorMessage"));
	ck_assert_msg(strstr(msg, a) != NULL && strstr(msg, "FAILED") != NULL,
	    "%s", msg);
	json_decref(st);
	json_decref(expect_state(c, "COMPLETED", 120));
	ck_assert(!has_cr(b));
	ck_assert_int_gt(row_time(b, "finished_time"), 0);
	free(a);
	free(b);
	free(c);
}
END_TEST

START_TEST(test_cancel)
{
	char *a, *b, *d, *listed, path[256];
	struct integ_http h;
	json_t *st;

	(void)integ_mon_start("deps-cancel", (char *)NULL);
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	a = submit(NULL, NULL);
	b = submit(json_pack("[s]", a), NULL);
	d = submit(json_pack("[s]", a), NULL);
	json_decref(expect_state(b, "WAITING", 30));
	/* Only the owner (or an admin) may cancel it. */
	snprintf(path, sizeof(path), "/spark/%s", b);
	h = integ_api("DELETE", path, BOB, NULL, NULL);
	ck_assert_int_eq(h.status, 404);
	integ_http_free(&h);
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(integ_jstr(h.json, "submissionId"), b);
	integ_http_free(&h);
	st = expect_state(b, "CANCELLED", 30);
	ck_assert_ptr_nonnull(integ_jstr(st, "applicationErrorMessage"));
	json_decref(st);
	integ_control_both("POST", "/operator", "{\"frozen\":false}");
	json_decref(expect_state(a, "COMPLETED", 120));
	/* d released: the monitor has seen A complete. */
	json_decref(expect_state(d, "COMPLETED", 120));
	json_decref(expect_state(b, "CANCELLED", 5));
	ck_assert(!has_cr(b));
	ck_assert_ptr_nonnull(listed = listed_state(b));
	ck_assert_str_eq(listed, "CANCELLED");
	free(listed);
	/* A second DELETE: nothing there, as for any missing object. */
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	integ_http_free(&h);
	json_decref(expect_state(b, "CANCELLED", 5));
	free(a);
	free(b);
	free(d);
}
END_TEST

/* The next attempt's ID in the handle's status, waiting for it. */
static char *
wait_next(const char *id, int seconds)
{
	struct integ_http h;
	char path[256], *next = NULL;
	const char *v;
	int i;

	snprintf(path, sizeof(path), "/spark/%s/status", id);
	for (i = 0; i < seconds * 5 && next == NULL; i++) {
		h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
		ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
		if ((v = integ_jstr(h.json, "nextSubmissionId")) != NULL)
			ck_assert_ptr_nonnull(next = strdup(v));
		integ_http_free(&h);
		if (next == NULL)
			integ_sleep_ms(200);
	}
	ck_assert_msg(next != NULL, "no next attempt of %s", id);
	return next;
}

/*
 * A -> B -> C where B (retryPolicy, itself waiting for A) fails once and
 * succeeds on retry: C waits through B's failure (not final: B will be
 * retried) and runs after B's second attempt COMPLETED.  The back-off
 * (3 s, several turns of the monitor) leaves B failed with no next
 * attempt for a while: only B's policy tells that it is not final.
 */
START_TEST(test_chain_retry)
{
	struct integ_http h;
	char *a, *b, *b2, *c, body[256];

	(void)integ_mon_start("deps-retry", (char *)NULL);
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	a = submit(NULL, NULL);
	h = post_x(INTEG_ALICE, json_pack("[s]", a), NULL, false,
	    "retryPolicy", json_pack("{s:i, s:i}", "maxAttempts", 2,
	    "backoffSeconds", 3));
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_ptr_nonnull(b = strdup(integ_jstr(h.json, "submissionId")));
	integ_http_free(&h);
	c = submit(json_pack("[s]", b), NULL);
	/* B's first attempt fails; its retry (a new ID) completes. */
	snprintf(body, sizeof(body), "{\"apps\":{\"%s\":\"FAILED\"}}", b);
	integ_control_both("POST", "/operator", body);
	integ_control_both("POST", "/operator", "{\"frozen\":false}");
	json_decref(expect_state(a, "COMPLETED", 120));
	json_decref(expect_state(b, "FAILED", 120));
	b2 = wait_next(b, 120);
	json_decref(expect_state(b2, "COMPLETED", 120));
	json_decref(expect_state(c, "COMPLETED", 120));
	ck_assert_int_ge(row_time(c, "start_time"),
	    row_time(b2, "finished_time"));
	ck_assert_int_le(row_time(a, "finished_time"),
	    row_time(b, "start_time"));
	free(a);
	free(b);
	free(b2);
	free(c);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("integ_deps");
	TCase *tc = tcase_create("api");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	tc = tcase_create("monitor");
	tcase_add_checked_fixture(tc, mon_setup, mon_teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_chain);
	tcase_add_test(tc, test_failed_dependency);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_chain_retry);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
