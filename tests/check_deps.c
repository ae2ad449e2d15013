/*
 * Tests of lib/bpg_deps.c: dependsOn and dependencyPolicy checked (every
 * bad case named by its row, the message naming the field), the request
 * parser accepting both fields in JSON and YAML, a dependency's state
 * from its last attempt, and the decision table.
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "bpg_deps.h"
#include "bpg_req.h"
#include "testutil.h"

#define H32 "0123456789abcdef0123456789abcdef"
#define ID1 "c1-" H32
#define ID2 "c-2-" H32 "-nightly"

static const struct id_row {
	const char *id;
	bool ok;
} id_rows[] = {
	{ ID1, true },
	{ ID2, true },
	{ "my-cluster-" H32, true },
	{ "", false },
	{ "c1", false },
	{ H32, false },				/* no cluster */
	{ "-" H32, false },
	{ "c1-0123456789ABCDEF0123456789abcdef", false }, /* upper case */
	{ "c1-0123456789abcdef0123456789abcde", false },  /* 31 hex */
	{ "c1-" H32 "-", false },			/* empty suffix */
	{ "c1-" H32 "-Bad", false },
	{ "c1-" H32 "_x", false },
	{ "c1_x-" H32, false },
	{ "../" H32, false },
	{ "c1-" H32 "-0123456789abcdef01234", false },	/* 57 */
	{ "c1-" H32 "-0123456789abcdef0123", true },	/* 56 */
	{ "c1-" H32 "\n", false },
};

START_TEST(test_id)
{
	const struct id_row *r = &id_rows[_i];

	ck_assert_msg(bpg_deps_id_ok(r->id) == r->ok, "row %d (%s)", _i,
	    r->id);
}
END_TEST

static const struct bad_row {
	const char *deps; /* JSON, NULL: none */
	const char *policy;
	const char *msg; /* the start of the message */
} bad_rows[] = {
	{ "[\"" ID1 "\", \"nope\"]", NULL, "dependsOn[1]: not a submission" },
	{ "[\"" ID1 "\", \"" ID1 "\"]", NULL, "dependsOn[1]: " ID1 " is "
	  "listed twice" },
	{ "[\"\"]", NULL, "dependsOn[0]: not a submission" },
	{ "[1]", NULL, "dependsOn[0]: not a submission" },
	{ "[null]", NULL, "dependsOn[0]: not a submission" },
	{ "{}", NULL, "dependsOn: must be a list" },
	{ "\"" ID1 "\"", NULL, "dependsOn: must be a list" },
	{ NULL, "allsucceeded", "dependencyPolicy: must be" },
	{ NULL, "", "dependencyPolicy: must be" },
	{ "[\"" ID1 "\"]", "any", "dependencyPolicy: must be" },
	{ "TOO_MANY", NULL, "dependsOn: at most 32 submission IDs, not 33" },
};

/* 33 distinct well-formed IDs. */
static json_t *
too_many(void)
{
	json_t *a = json_array();
	char id[64];
	int i;

	for (i = 0; i < BPG_DEPS_MAX + 1; i++) {
		snprintf(id, sizeof(id), "c1-%032x", i);
		json_array_append_new(a, json_string(id));
	}
	return a;
}

START_TEST(test_bad)
{
	const struct bad_row *r = &bad_rows[_i];
	struct bpg_deps d;
	struct bpg_errinfo ei = { "" };
	json_t *v = NULL;

	if (r->deps != NULL && strcmp(r->deps, "TOO_MANY") == 0)
		v = too_many();
	else if (r->deps != NULL)
		v = json_loads(r->deps, JSON_DECODE_ANY, NULL);
	ck_assert_msg(r->deps == NULL || v != NULL, "row %d: bad JSON", _i);
	ck_assert_msg(bpg_deps_from_req(v, r->policy, &d, &ei) == BPG_EINVAL,
	    "row %d accepted", _i);
	ck_assert_msg(strncmp(ei.msg, r->msg, strlen(r->msg)) == 0,
	    "row %d: \"%s\"", _i, ei.msg);
	ck_assert_uint_eq(d.n, 0);
	json_decref(v);
}
END_TEST

START_TEST(test_good)
{
	struct bpg_deps d;
	struct bpg_errinfo ei = { "" };
	json_t *v = json_pack("[ss]", ID1, ID2), *all;
	size_t i;

	ck_assert_int_eq(bpg_deps_from_req(v, NULL, &d, &ei), BPG_OK);
	ck_assert_uint_eq(d.n, 2);
	ck_assert_str_eq(d.ids[0], ID1);
	ck_assert_str_eq(d.ids[1], ID2);
	ck_assert_int_eq(d.policy, BPG_DEPS_ALL_SUCCEEDED);
	ck_assert_int_eq(bpg_deps_from_req(v, "allFinished", &d, &ei), BPG_OK);
	ck_assert_int_eq(d.policy, BPG_DEPS_ALL_FINISHED);
	ck_assert_int_eq(bpg_deps_from_req(NULL, NULL, &d, &ei), BPG_OK);
	ck_assert_uint_eq(d.n, 0);
	/* Exactly the most allowed. */
	all = too_many();
	json_array_remove(all, 0);
	ck_assert_int_eq(bpg_deps_from_req(all, "allSucceeded", &d, &ei),
	    BPG_OK);
	ck_assert_uint_eq(d.n, BPG_DEPS_MAX);
	for (i = 0; i < BPG_DEPS_POLICY__MAX; i++)
		ck_assert(bpg_deps_policy_of(bpg_deps_policy_name(
		    (enum bpg_deps_policy)i), &d.policy) &&
		    d.policy == (enum bpg_deps_policy)i);
	ck_assert_ptr_null(bpg_deps_policy_name(BPG_DEPS_POLICY__MAX));
	json_decref(all);
	json_decref(v);
}
END_TEST

/* The request parser takes both fields, in JSON and in YAML. */
START_TEST(test_req)
{
	static const char json[] = "{\"mainApplicationFile\":\"s3://b/a.py\","
	    "\"dependsOn\":[\"" ID1 "\"],\"dependencyPolicy\":\"allFinished\"}";
	static const char yaml[] = "mainApplicationFile: s3://b/a.py\n"
	    "dependsOn:\n  - " ID1 "\n  - " ID2 "\n"
	    "dependencyPolicy: allSucceeded\n";
	struct bpg_submit_req req;
	struct bpg_errinfo ei = { "" };
	struct bpg_deps d;

	ck_assert_msg(bpg_req_parse(json, strlen(json), BPG_REQ_JSON, &req,
	    &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_int_eq(bpg_deps_from_req(req.depends_on,
	    req.dependency_policy, &d, &ei), BPG_OK);
	ck_assert_uint_eq(d.n, 1);
	ck_assert_int_eq(d.policy, BPG_DEPS_ALL_FINISHED);
	bpg_req_reset(&req);
	ck_assert_msg(bpg_req_parse(yaml, strlen(yaml), BPG_REQ_YAML, &req,
	    &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_int_eq(bpg_deps_from_req(req.depends_on,
	    req.dependency_policy, &d, &ei), BPG_OK);
	ck_assert_uint_eq(d.n, 2);
	ck_assert_str_eq(d.ids[1], ID2);
	bpg_req_reset(&req);
	/* Not a list of strings: the parser's own 400. */
	ck_assert_int_eq(bpg_req_parse("{\"dependsOn\":{}}", 16, BPG_REQ_JSON,
	    &req, &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "dependsOn"));
	bpg_req_reset(&req);
}
END_TEST

static const struct state_row {
	bool found;
	const char *status;
	bool finished, retry;
	enum bpg_deps_dep want;
} state_rows[] = {
	{ true, "COMPLETED", true, false, BPG_DEPS_DEP_COMPLETED },
	{ true, "FAILED", true, false, BPG_DEPS_DEP_ENDED },
	{ true, "FAILED", true, true, BPG_DEPS_DEP_OPEN }, /* retried */
	{ true, "SUBMISSION_FAILED", true, false, BPG_DEPS_DEP_ENDED },
	{ true, "LOST", true, false, BPG_DEPS_DEP_ENDED },
	{ true, "CANCELLED", true, false, BPG_DEPS_DEP_ENDED },
	{ true, "DEPENDENCY_FAILED", true, false, BPG_DEPS_DEP_ENDED },
	{ true, "RUNNING", false, false, BPG_DEPS_DEP_OPEN },
	{ true, "WAITING", false, false, BPG_DEPS_DEP_OPEN },
	{ true, NULL, false, false, BPG_DEPS_DEP_OPEN },
	/* COMPLETED but not yet finished in the row: wait for the row. */
	{ true, "COMPLETED", false, false, BPG_DEPS_DEP_OPEN },
	{ false, NULL, false, false, BPG_DEPS_DEP_ENDED },
};

START_TEST(test_state)
{
	const struct state_row *r = &state_rows[_i];

	ck_assert_msg(bpg_deps_dep_of(r->found, r->status, r->finished,
	    r->retry) == r->want, "row %d", _i);
}
END_TEST

#define O BPG_DEPS_DEP_OPEN
#define C BPG_DEPS_DEP_COMPLETED
#define E BPG_DEPS_DEP_ENDED

static const struct decide_row {
	enum bpg_deps_policy p;
	size_t n;
	enum bpg_deps_dep dep[3];
	enum bpg_deps_decision want;
	size_t failed;
} decide_rows[] = {
	{ BPG_DEPS_ALL_SUCCEEDED, 0, { O }, BPG_DEPS_RELEASE, 0 },
	{ BPG_DEPS_ALL_SUCCEEDED, 1, { O }, BPG_DEPS_WAIT, 0 },
	{ BPG_DEPS_ALL_SUCCEEDED, 1, { C }, BPG_DEPS_RELEASE, 0 },
	{ BPG_DEPS_ALL_SUCCEEDED, 1, { E }, BPG_DEPS_FAIL, 0 },
	{ BPG_DEPS_ALL_SUCCEEDED, 3, { C, O, C }, BPG_DEPS_WAIT, 0 },
	{ BPG_DEPS_ALL_SUCCEEDED, 3, { C, C, C }, BPG_DEPS_RELEASE, 0 },
	/* Fails at once, open ones or not; names the first ended. */
	{ BPG_DEPS_ALL_SUCCEEDED, 3, { O, E, E }, BPG_DEPS_FAIL, 1 },
	{ BPG_DEPS_ALL_SUCCEEDED, 3, { C, C, E }, BPG_DEPS_FAIL, 2 },
	{ BPG_DEPS_ALL_FINISHED, 0, { O }, BPG_DEPS_RELEASE, 0 },
	{ BPG_DEPS_ALL_FINISHED, 1, { O }, BPG_DEPS_WAIT, 0 },
	{ BPG_DEPS_ALL_FINISHED, 1, { E }, BPG_DEPS_RELEASE, 0 },
	{ BPG_DEPS_ALL_FINISHED, 3, { E, O, C }, BPG_DEPS_WAIT, 0 },
	{ BPG_DEPS_ALL_FINISHED, 3, { E, C, E }, BPG_DEPS_RELEASE, 0 },
};

START_TEST(test_decide)
{
	const struct decide_row *r = &decide_rows[_i];
	size_t failed = 99;

	ck_assert_msg(bpg_deps_decide(r->p, r->dep, r->n, &failed) == r->want,
	    "row %d", _i);
	if (r->want == BPG_DEPS_FAIL)
		ck_assert_msg(failed == r->failed, "row %d: failed %zu", _i,
		    failed);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("deps");
	TCase *tc = tcase_create("deps");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_id, 0,
	    (int)(sizeof(id_rows) / sizeof(id_rows[0])));
	tcase_add_loop_test(tc, test_bad, 0,
	    (int)(sizeof(bad_rows) / sizeof(bad_rows[0])));
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_req);
	tcase_add_loop_test(tc, test_state, 0,
	    (int)(sizeof(state_rows) / sizeof(state_rows[0])));
	tcase_add_loop_test(tc, test_decide, 0,
	    (int)(sizeof(decide_rows) / sizeof(decide_rows[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
