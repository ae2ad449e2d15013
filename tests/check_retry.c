/*
 * Tests for lib/bpg_retry.c (the retry policy, back-off and decision) and
 * for the request field retryPolicy (lib/bpg_req_retry.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "bpg_req.h"
#include "bpg_retry.h"
#include "testutil.h"

static struct bpg_retry_policy
good_policy(const char *text)
{
	struct bpg_retry_policy p;
	struct bpg_errinfo ei = { "" };
	json_t *v = json_loads(text, 0, NULL);

	ck_assert_msg(v != NULL, "bad test JSON %s", text);
	ck_assert_msg(bpg_retry_parse(v, &p, &ei) == BPG_OK, "%s: %s", text,
	    ei.msg);
	json_decref(v);
	return p;
}

START_TEST(test_defaults)
{
	struct bpg_retry_policy p = good_policy("{}");

	ck_assert_int_eq(p.max_attempts, 3);
	ck_assert_int_eq(p.backoff_s, 30);
	ck_assert(p.multiplier == 2.0);
	ck_assert_uint_eq(p.on_states, BPG_RETRY_ON_DEFAULT);
	ck_assert(!p.any_cluster);
	p = good_policy("{\"maxAttempts\": 10, \"backoffSeconds\": 86400, "
	    "\"backoffMultiplier\": 1, \"onStates\": [\"LOST\"], "
	    "\"anyCluster\": true}");
	ck_assert_int_eq(p.max_attempts, 10);
	ck_assert_int_eq(p.backoff_s, 86400);
	ck_assert(p.multiplier == 1.0);
	ck_assert_uint_eq(p.on_states, BPG_RETRY_ON_LOST);
	ck_assert(p.any_cluster);
	p = good_policy("{\"maxAttempts\": 1, \"backoffSeconds\": 0, "
	    "\"backoffMultiplier\": 100.0}");
	ck_assert_int_eq(p.max_attempts, 1);
	ck_assert_int_eq(p.backoff_s, 0);
}
END_TEST

/* Every bad field, and the field its message names. */
static const struct {
	const char *json;
	const char *msg;
} bad_rows[] = {
	{ "[]", "retryPolicy must be an object" },
	{ "{\"maxAttempts\": 0}", "retryPolicy.maxAttempts must be 1..10" },
	{ "{\"maxAttempts\": 11}", "retryPolicy.maxAttempts must be 1..10" },
	{ "{\"maxAttempts\": -1}", "retryPolicy.maxAttempts must be 1..10" },
	{ "{\"maxAttempts\": 2.5}", "retryPolicy.maxAttempts must be 1..10" },
	{ "{\"maxAttempts\": \"3\"}", "retryPolicy.maxAttempts must be" },
	{ "{\"backoffSeconds\": -1}", "retryPolicy.backoffSeconds must be "
	  "0..86400" },
	{ "{\"backoffSeconds\": 86401}", "retryPolicy.backoffSeconds must" },
	{ "{\"backoffMultiplier\": 0.5}", "retryPolicy.backoffMultiplier "
	  "must be 1..100" },
	{ "{\"backoffMultiplier\": 100.5}", "retryPolicy.backoffMultiplier" },
	{ "{\"backoffMultiplier\": true}", "retryPolicy.backoffMultiplier" },
	{ "{\"onStates\": []}", "retryPolicy.onStates must be a non-empty" },
	{ "{\"onStates\": \"FAILED\"}", "retryPolicy.onStates must be" },
	{ "{\"onStates\": [\"COMPLETED\"]}", "retryPolicy.onStates may hold "
	  "only" },
	{ "{\"onStates\": [\"failed\"]}", "retryPolicy.onStates may hold" },
	{ "{\"onStates\": [1]}", "retryPolicy.onStates may hold" },
	{ "{\"anyCluster\": 1}", "retryPolicy.anyCluster must be true or "
	  "false" },
	{ "{\"tries\": 3}", "retryPolicy: unknown field \"tries\"" },
};

START_TEST(test_bad)
{
	struct bpg_retry_policy p;
	struct bpg_errinfo ei = { "" };
	json_t *v = json_loads(bad_rows[_i].json, JSON_DECODE_ANY, NULL);

	ck_assert_msg(v != NULL, "row %d: bad test JSON", _i);
	ck_assert_msg(bpg_retry_parse(v, &p, &ei) == BPG_EINVAL, "row %d "
	    "accepted", _i);
	ck_assert_msg(strstr(ei.msg, bad_rows[_i].msg) != NULL, "row %d: %s",
	    _i, ei.msg);
	json_decref(v);
}
END_TEST

START_TEST(test_json_round_trip)
{
	struct bpg_retry_policy p = good_policy("{\"maxAttempts\": 4, "
	    "\"backoffSeconds\": 7, \"backoffMultiplier\": 1.5, "
	    "\"onStates\": [\"FAILED\", \"LOST\"], \"anyCluster\": true}");
	struct bpg_retry_policy q;
	json_t *v = bpg_retry_json(&p);

	ck_assert_ptr_nonnull(v);
	ck_assert(bpg_retry_parse(v, &q, NULL) == BPG_OK);
	ck_assert_int_eq(q.max_attempts, 4);
	ck_assert_int_eq(q.backoff_s, 7);
	ck_assert(q.multiplier == 1.5);
	ck_assert_uint_eq(q.on_states, BPG_RETRY_ON_FAILED | BPG_RETRY_ON_LOST);
	ck_assert(q.any_cluster);
	json_decref(v);
}
END_TEST

START_TEST(test_backoff)
{
	struct bpg_retry_policy p = good_policy("{\"backoffSeconds\": 30, "
	    "\"backoffMultiplier\": 2}");

	ck_assert_int_eq(bpg_retry_backoff_s(&p, 1), 30);
	ck_assert_int_eq(bpg_retry_backoff_s(&p, 2), 60);
	ck_assert_int_eq(bpg_retry_backoff_s(&p, 3), 120);
	/* Capped, never overflowing, however large n is. */
	ck_assert_int_eq(bpg_retry_backoff_s(&p, 20), BPG_RETRY_MAX_BACKOFF_S);
	ck_assert_int_eq(bpg_retry_backoff_s(&p, INT32_MAX),
	    BPG_RETRY_MAX_BACKOFF_S);
	p = good_policy("{\"backoffSeconds\": 86400, "
	    "\"backoffMultiplier\": 100}");
	ck_assert_int_eq(bpg_retry_backoff_s(&p, 10), BPG_RETRY_MAX_BACKOFF_S);
	p = good_policy("{\"backoffSeconds\": 0, \"backoffMultiplier\": 100}");
	ck_assert_int_eq(bpg_retry_backoff_s(&p, 9), 0);
	p = good_policy("{\"backoffSeconds\": 10, \"backoffMultiplier\": 1.5}");
	ck_assert_int_eq(bpg_retry_backoff_s(&p, 3), 22);
}
END_TEST

START_TEST(test_decision)
{
	struct bpg_retry_policy p = good_policy("{\"maxAttempts\": 3}");

	ck_assert(bpg_retry_due(&p, "FAILED", 1));
	ck_assert(bpg_retry_due(&p, "SUBMISSION_FAILED", 2));
	ck_assert(bpg_retry_due(&p, "LOST", 1));
	/* The third attempt is the last. */
	ck_assert(!bpg_retry_due(&p, "FAILED", 3));
	ck_assert(!bpg_retry_due(&p, "FAILED", 4));
	ck_assert(!bpg_retry_due(&p, "COMPLETED", 1));
	ck_assert(!bpg_retry_due(&p, "KILLED", 1));
	ck_assert(!bpg_retry_due(&p, NULL, 1));
	p = good_policy("{\"onStates\": [\"LOST\"]}");
	ck_assert(!bpg_retry_due(&p, "FAILED", 1));
	ck_assert(bpg_retry_due(&p, "LOST", 1));
	p = good_policy("{\"maxAttempts\": 1}");
	ck_assert(!bpg_retry_due(&p, "FAILED", 1));
}
END_TEST

/* The request field: JSON and YAML bind alike; a bad value is a 400
 * naming the field; a request without it has none. */
START_TEST(test_request)
{
	static const char json[] = "{\"sparkVersion\": \"3.5\", "
	    "\"retryPolicy\": {\"maxAttempts\": 2, \"backoffSeconds\": 1, "
	    "\"backoffMultiplier\": 1.5, \"anyCluster\": true}}";
	static const char yaml[] = "sparkVersion: \"3.5\"\nretryPolicy:\n"
	    "  maxAttempts: 2\n  backoffSeconds: 1\n  backoffMultiplier: 1.5\n"
	    "  anyCluster: true\n";
	struct bpg_submit_req r;
	struct bpg_retry_policy p;
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_req_parse(json, strlen(json), BPG_REQ_JSON, &r,
	    &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_ptr_nonnull(r.retry_policy);
	ck_assert(bpg_retry_parse(r.retry_policy, &p, NULL) == BPG_OK);
	ck_assert_int_eq(p.max_attempts, 2);
	ck_assert(p.multiplier == 1.5);
	ck_assert(p.any_cluster);
	bpg_req_reset(&r);
	ck_assert_msg(bpg_req_parse(yaml, strlen(yaml), BPG_REQ_YAML, &r,
	    &ei) == BPG_OK, "%s", ei.msg);
	ck_assert(bpg_retry_parse(r.retry_policy, &p, NULL) == BPG_OK);
	ck_assert_int_eq(p.max_attempts, 2);
	ck_assert_int_eq(p.backoff_s, 1);
	ck_assert(p.any_cluster);
	bpg_req_reset(&r);
	ck_assert(bpg_req_parse("{\"sparkVersion\": \"3.5\"}", 23,
	    BPG_REQ_JSON, &r, &ei) == BPG_OK);
	ck_assert_ptr_null(r.retry_policy);
	bpg_req_reset(&r);
	ck_assert(bpg_req_parse("{\"retryPolicy\": null}", 21, BPG_REQ_JSON,
	    &r, &ei) == BPG_OK);
	ck_assert_ptr_null(r.retry_policy);
	bpg_req_reset(&r);
}
END_TEST

static const struct {
	const char *body;
	const char *msg;
} bad_req_rows[] = {
	{ "{\"retryPolicy\": {\"maxAttempts\": 0}}",
	  "retryPolicy.maxAttempts must be 1..10" },
	{ "{\"retryPolicy\": {\"maxAttempts\": 11}}",
	  "retryPolicy.maxAttempts must be 1..10" },
	{ "{\"retryPolicy\": {\"maxAttempts\": 99999999999}}",
	  "retryPolicy.maxAttempts" },
	{ "{\"retryPolicy\": {\"backoffSeconds\": 90000}}",
	  "retryPolicy.backoffSeconds must be 0..86400" },
	{ "{\"retryPolicy\": {\"backoffMultiplier\": 0}}",
	  "retryPolicy.backoffMultiplier must be 1..100" },
	{ "{\"retryPolicy\": {\"onStates\": [\"KILLED\"]}}",
	  "retryPolicy.onStates may hold only" },
	{ "{\"retryPolicy\": {\"anyCluster\": \"maybe\"}}",
	  "retryPolicy.anyCluster" },
	{ "{\"retryPolicy\": {\"x\": 1}}", "Unrecognized field \"x\" "
	  "(class RetryPolicy)" },
	{ "{\"retryPolicy\": 3}", "retryPolicy" },
};

START_TEST(test_request_bad)
{
	struct bpg_submit_req r;
	struct bpg_errinfo ei = { "" };
	const char *b = bad_req_rows[_i].body;

	ck_assert_msg(bpg_req_parse(b, strlen(b), BPG_REQ_JSON, &r, &ei) ==
	    BPG_EINVAL, "row %d accepted", _i);
	ck_assert_msg(strstr(ei.msg, bad_req_rows[_i].msg) != NULL,
	    "row %d: %s", _i, ei.msg);
	bpg_req_reset(&r);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("retry");
	TCase *tc = tcase_create("policy");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_bad, 0, TU_NROWS(bad_rows));
	tcase_add_test(tc, test_json_round_trip);
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_decision);
	tcase_add_test(tc, test_request);
	tcase_add_loop_test(tc, test_request_bad, 0, TU_NROWS(bad_req_rows));
	suite_add_tcase(su, tc);
	return tu_run(su);
}
