/*
 * Tests of lib/bpg_move.c, the pure parts of moving a starved app: when
 * an app counts as waiting and is due (on a given clock), the weighted
 * choice that leaves out the clusters the job ran on, the CR rebuilt for
 * another cluster (equal to the one a submission there builds), the
 * next step of a move from the state its row records, and the queue
 * setting maxPendingMillis.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_crd.h"
#include "bpg_db_attempts.h"
#include "bpg_json.h"
#include "bpg_move.h"
#include "bpg_req.h"
#include "bpg_route.h"
#include "testutil.h"

static const char *config_yaml =
    "sparkClusters:\n"
    "  - id: c01\n"
    "    weight: 100\n"
    "    masterUrl: https://127.0.0.1:1\n"
    "    userTokenSOPS: plaintext:0123456789abcdef\n"
    "    sparkApplicationNamespace: ns-one\n"
    "    sparkServiceAccount: sa-one\n"
    "    sparkVersions: ['3.5.0']\n"
    "    queues: [poc]\n"
    "    ttlSeconds: 100\n"
    "    sparkConf: {spark.cluster.one: 'yes'}\n"
    "    driver:\n"
    "      env:\n"
    "        - {name: CLUSTER, value: one}\n"
    "        - {name: ONLY_ONE, value: x}\n"
    "  - id: c02\n"
    "    weight: 300\n"
    "    masterUrl: https://127.0.0.1:2\n"
    "    userTokenSOPS: plaintext:0123456789abcdef\n"
    "    sparkApplicationNamespace: ns-two\n"
    "    sparkServiceAccount: sa-two\n"
    "    sparkVersions: ['3.5.0']\n"
    "    queues: [poc]\n"
    "    driver:\n"
    "      env:\n"
    "        - {name: CLUSTER, value: two}\n"
    "  - id: c03\n"
    "    weight: 0\n"
    "    masterUrl: https://127.0.0.1:3\n"
    "    userTokenSOPS: plaintext:0123456789abcdef\n"
    "    sparkApplicationNamespace: ns-three\n"
    "    sparkVersions: ['3.5.0']\n"
    "    queues: [poc]\n"
    "  - id: c04\n"
    "    weight: 100\n"
    "    masterUrl: https://127.0.0.1:4\n"
    "    userTokenSOPS: plaintext:0123456789abcdef\n"
    "    sparkApplicationNamespace: ns-four\n"
    "    sparkVersions: ['3.1.1']\n"
    "    queues: [poc]\n"
    "  - id: c05\n"
    "    weight: 100\n"
    "    masterUrl: https://127.0.0.1:5\n"
    "    userTokenSOPS: plaintext:0123456789abcdef\n"
    "    sparkApplicationNamespace: ns-five\n"
    "    sparkVersions: ['3.5.0']\n"
    "    queues: [dev]\n"
    "sparkImages:\n"
    "  - {name: 'apache/spark:3.5.0', types: [Java], version: '3.5.0'}\n"
    "queues:\n"
    "  - name: poc\n"
    "    maxPendingMillis: 60000\n"
    "  - name: dev\n";

/* ---- waiting and due -------------------------------------------------- */

static const struct due_row {
	const char *name;
	const char *state, *phase;
	int64_t created, max, now;
	bool waiting, due;
} due_rows[] = {
	{ "submitted, no pod, over", "SUBMITTED", NULL, 1000, 500, 1501,
	  true, true },
	{ "lower case", "submitted", NULL, 1000, 500, 1501, true, true },
	{ "pod pending, over", "SUBMITTED", "Pending", 1000, 500, 1501,
	  true, true },
	{ "exactly the limit", "SUBMITTED", NULL, 1000, 500, 1500, true,
	  false },
	{ "under", "SUBMITTED", NULL, 1000, 500, 1200, true, false },
	{ "pod running", "SUBMITTED", "Running", 1000, 500, 9000, false,
	  false },
	{ "pod phase unknown", "SUBMITTED", "", 1000, 500, 9000, false,
	  false },
	{ "running", "RUNNING", NULL, 1000, 500, 9000, false, false },
	{ "no state yet", NULL, NULL, 1000, 500, 9000, false, false },
	{ "failed", "SUBMISSION_FAILED", NULL, 1000, 500, 9000, false,
	  false },
	{ "creation unknown", "SUBMITTED", NULL, -1, 500, 9000, true, false },
	{ "clock before creation", "SUBMITTED", NULL, 9000, 500, 1000, true,
	  false },
	{ "no limit", "SUBMITTED", NULL, 1000, 0, 9000, true, false },
};

START_TEST(test_due)
{
	const struct due_row *r = &due_rows[_i];

	ck_assert_msg(bpg_move_waiting(r->state, r->phase) == r->waiting,
	    "%s: waiting", r->name);
	ck_assert_msg(bpg_move_due(r->state, r->phase, r->created, r->max,
	    r->now) == r->due, "%s: due", r->name);
}
END_TEST

/* ---- the choice ------------------------------------------------------- */

START_TEST(test_pick_excludes)
{
	struct bpg_config *cfg = tu_config(config_yaml, NULL);
	const char *ex1[] = { "c01" }, *ex2[] = { "c01", "c02" };
	const struct bpg_cluster *c;
	struct bpg_errinfo ei = { "" };
	struct bpg_rng rng;
	int i, n01 = 0, n02 = 0;

	bpg_rng_seed_with(&rng, 7);
	/* Without exclusions: c01 and c02 only (c03 has no weight, c04 no
	 * 3.5.0, c05 not the queue), both chosen. */
	for (i = 0; i < 400; i++) {
		ck_assert_int_eq(bpg_move_pick(cfg, "3.5.0", "poc.team", NULL, 0,
		    &rng, &c, &ei), BPG_OK);
		ck_assert(strcmp(c->id, "c01") == 0 || strcmp(c->id, "c02") == 0);
		n01 += strcmp(c->id, "c01") == 0;
		n02 += strcmp(c->id, "c02") == 0;
	}
	ck_assert_int_gt(n01, 0);
	ck_assert_int_gt(n02, 0);
	/* c01 excluded: always c02. */
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(bpg_move_pick(cfg, "3.5.0", "poc", ex1, 1, &rng,
		    &c, &ei), BPG_OK);
		ck_assert_str_eq(c->id, "c02");
	}
	/* Both out: none left, and it says so. */
	ck_assert_int_eq(bpg_move_pick(cfg, "3.5.0", "poc", ex2, 2, &rng, &c,
	    &ei), BPG_ENOTFOUND);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(strstr(ei.msg, "no other cluster"));
	/* Another version or queue: only its clusters. */
	ck_assert_int_eq(bpg_move_pick(cfg, "3.1.1", "poc", NULL, 0, &rng, &c,
	    &ei), BPG_OK);
	ck_assert_str_eq(c->id, "c04");
	ck_assert_int_eq(bpg_move_pick(cfg, "3.5.0", "dev", NULL, 0, &rng, &c,
	    &ei), BPG_OK);
	ck_assert_str_eq(c->id, "c05");
	ck_assert_int_eq(bpg_move_pick(cfg, "3.5.0", NULL, NULL, 0, &rng, &c,
	    &ei), BPG_ENOTFOUND);
	bpg_config_free(cfg);
}
END_TEST

/* ---- the CR for another cluster --------------------------------------- */

static const char *request_json =
    "{\"applicationName\": \"pi\", \"sparkVersion\": \"3.5.0\","
    " \"mainClass\": \"org.apache.spark.examples.SparkPi\","
    " \"mainApplicationFile\": \"local:///opt/spark/examples.jar\","
    " \"arguments\": [\"10\"], \"queue\": \"poc\","
    " \"submissionIdSuffix\": \"nightly\","
    " \"sparkConf\": {\"spark.user.key\": \"v\"},"
    " \"driver\": {\"cores\": 1, \"memory\": \"1g\", \"env\": ["
    "   {\"name\": \"SECRET_TOKEN\", \"value\": \"s3cret\"},"
    "   {\"name\": \"CLUSTER\", \"value\": \"mine\"}]},"
    " \"executor\": {\"instances\": 2, \"cores\": 1, \"memory\": \"1g\","
    "   \"env\": [{\"name\": \"E\", \"value\": \"e\"}]}}";

static json_t *
build(const struct bpg_config *cfg, const char *cluster, const char *id,
    char **stored)
{
	struct bpg_submit_req req;
	struct bpg_crd_ctx ctx = { id, "alice", "alice", "poc" };
	struct bpg_errinfo ei = { "" };
	const struct bpg_cluster *c = NULL;
	json_t *cr = NULL, *san;
	size_t i;

	for (i = 0; i < cfg->nclusters; i++)
		if (strcmp(cfg->clusters[i].id, cluster) == 0)
			c = &cfg->clusters[i];
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(bpg_req_parse(request_json, strlen(request_json),
	    BPG_REQ_JSON, &req, &ei), BPG_OK);
	ck_assert_msg(bpg_crd_build(cfg, c, &req, &ctx, NULL, &cr, &ei) ==
	    BPG_OK, "%s", ei.msg);
	if (stored != NULL) {
		/* What POST /spark keeps: no env lists. */
		ck_assert_ptr_nonnull(san = bpg_req_sanitized(&req));
		ck_assert_ptr_nonnull(*stored = bpg_json_dump(san, NULL));
		ck_assert_ptr_null(strstr(*stored, "s3cret"));
		json_decref(san);
	}
	bpg_req_reset(&req);
	return tu_jtrack(cr);
}

#define OLD_ID "c01-0123456789abcdef0123456789abcdef-nightly"
#define NEW_ID "c02-fedcba9876543210fedcba9876543210-nightly"

START_TEST(test_build_cr)
{
	struct bpg_config *cfg = tu_config(config_yaml, NULL);
	struct bpg_errinfo ei = { "" };
	char *stored = NULL, *got_s, *want_s;
	json_t *old, *want, *got = NULL;

	old = build(cfg, "c01", OLD_ID, &stored);
	/* The API server adds its own metadata. */
	json_object_set_new(json_object_get(old, "metadata"), "uid",
	    json_string("u-1"));
	want = build(cfg, "c02", NEW_ID, NULL);
	ck_assert_msg(bpg_move_build_cr(cfg, &cfg->clusters[0],
	    &cfg->clusters[1], stored, old, NEW_ID, NULL, &got, &ei) ==
	    BPG_OK, "%s", ei.msg);
	got_s = tu_track(bpg_json_dump(got, NULL));
	want_s = tu_track(bpg_json_dump(want, NULL));
	/* Exactly what a submission to c02 builds: name, namespace, service
	 * account, cluster env and sparkConf of c02; the request's env kept
	 * (its CLUSTER overrides c02's as it did c01's); nothing of c01. */
	ck_assert_msg(json_equal(got, want), "got %s\nwant %s", got_s,
	    want_s);
	ck_assert_ptr_nonnull(strstr(got_s, "s3cret"));
	ck_assert_ptr_null(strstr(got_s, "ONLY_ONE"));
	ck_assert_ptr_null(strstr(got_s, "ns-one"));
	ck_assert_ptr_null(strstr(got_s, "spark.cluster.one"));
	ck_assert_int_eq(bpg_crd_check(got, &ei), BPG_OK);
	json_decref(got);
	free(stored);
	bpg_config_free(cfg);
}
END_TEST

START_TEST(test_build_cr_refused)
{
	struct bpg_config *cfg = tu_config(config_yaml, NULL);
	struct bpg_errinfo ei = { "" };
	char *stored = NULL;
	json_t *old, *got = NULL;

	old = build(cfg, "c01", OLD_ID, &stored);
	ck_assert_int_eq(bpg_move_build_cr(cfg, &cfg->clusters[0],
	    &cfg->clusters[1], NULL, old, NEW_ID, NULL, &got, &ei), BPG_EINVAL);
	ck_assert_ptr_null(got);
	json_object_del(json_object_get(json_object_get(old, "metadata"),
	    "labels"), "queue");
	ck_assert_int_eq(bpg_move_build_cr(cfg, &cfg->clusters[0],
	    &cfg->clusters[1], stored, old, NEW_ID, NULL, &got, &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "queue"));
	ck_assert_ptr_null(got);
	/* A name Kubernetes would refuse. */
	old = build(cfg, "c01", OLD_ID, NULL);
	ck_assert_int_eq(bpg_move_build_cr(cfg, &cfg->clusters[0],
	    &cfg->clusters[1], stored, old, "C02-NOT-A-NAME", NULL, &got, &ei),
	    BPG_EINVAL);
	ck_assert_ptr_null(got);
	free(stored);
	bpg_config_free(cfg);
}
END_TEST

/* ---- resuming --------------------------------------------------------- */

static const struct next_row {
	const char *state;
	enum bpg_move_old old;
	enum bpg_move_act act;
} next_rows[] = {
	{ BPG_DB_ATTEMPT_PENDING, BPG_MOVE_OLD_WAITING, BPG_MOVE_DELETE },
	{ BPG_DB_ATTEMPT_PENDING, BPG_MOVE_OLD_STARTED, BPG_MOVE_ABANDON },
	{ BPG_DB_ATTEMPT_PENDING, BPG_MOVE_OLD_OTHER, BPG_MOVE_ABANDON },
	{ BPG_DB_ATTEMPT_PENDING, BPG_MOVE_OLD_GONE, BPG_MOVE_ABANDON },
	{ BPG_DB_ATTEMPT_PENDING, BPG_MOVE_OLD_UNKNOWN, BPG_MOVE_WAIT },
	{ BPG_DB_ATTEMPT_DELETING, BPG_MOVE_OLD_WAITING, BPG_MOVE_DELETE },
	{ BPG_DB_ATTEMPT_DELETING, BPG_MOVE_OLD_STARTED, BPG_MOVE_ABANDON },
	{ BPG_DB_ATTEMPT_DELETING, BPG_MOVE_OLD_OTHER, BPG_MOVE_CREATE },
	{ BPG_DB_ATTEMPT_DELETING, BPG_MOVE_OLD_GONE, BPG_MOVE_CREATE },
	{ BPG_DB_ATTEMPT_DELETING, BPG_MOVE_OLD_UNKNOWN, BPG_MOVE_WAIT },
	{ BPG_DB_ATTEMPT_DELETED, BPG_MOVE_OLD_GONE, BPG_MOVE_CREATE },
	{ BPG_DB_ATTEMPT_DELETED, BPG_MOVE_OLD_UNKNOWN, BPG_MOVE_CREATE },
	{ BPG_DB_ATTEMPT_DONE, BPG_MOVE_OLD_WAITING, BPG_MOVE_NOTHING },
	{ BPG_DB_ATTEMPT_DONE, BPG_MOVE_OLD_GONE, BPG_MOVE_NOTHING },
	{ BPG_DB_ATTEMPT_ABANDONED, BPG_MOVE_OLD_WAITING, BPG_MOVE_NOTHING },
	{ BPG_DB_ATTEMPT_FAILED, BPG_MOVE_OLD_GONE, BPG_MOVE_NOTHING },
	{ NULL, BPG_MOVE_OLD_WAITING, BPG_MOVE_NOTHING },
};

START_TEST(test_next)
{
	const struct next_row *r = &next_rows[_i];

	ck_assert_msg(bpg_move_next(r->state, r->old) == r->act,
	    "row %d (%s, %d): %d", _i, r->state ? r->state : "NULL", r->old,
	    bpg_move_next(r->state, r->old));
}
END_TEST

/* ---- the queue setting ------------------------------------------------ */

START_TEST(test_config_key)
{
	static const char *const bad[] = { "0", "-5", "1.5", "soon" };
	struct bpg_config *cfg = tu_config(config_yaml, NULL);
	struct bpg_config_error err;
	char yaml[256];
	size_t i;

	ck_assert(cfg->queues[0].has_max_pending_millis);
	ck_assert_int_eq(cfg->queues[0].max_pending_millis, 60000);
	ck_assert(!cfg->queues[1].has_max_pending_millis);
	bpg_config_free(cfg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(yaml, sizeof(yaml), "queues:\n  - name: q\n"
		    "    maxPendingMillis: %s\n", bad[i]);
		cfg = NULL;
		memset(&err, 0, sizeof(err));
		ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &cfg, &err) !=
		    BPG_OK, "%s accepted", bad[i]);
		ck_assert_msg(strstr(err.path, "maxPendingMillis") != NULL,
		    "%s: %s", bad[i], err.path);
		bpg_config_free(cfg);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("move");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_loop_test(tc, test_due, 0, TU_NROWS(due_rows));
	tcase_add_test(tc, test_pick_excludes);
	tcase_add_test(tc, test_build_cr);
	tcase_add_test(tc, test_build_cr_refused);
	tcase_add_loop_test(tc, test_next, 0, TU_NROWS(next_rows));
	tcase_add_test(tc, test_config_key);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
