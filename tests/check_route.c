/*
 * Tests for lib/bpg_route.c: bpg-reference section 12's SparkClusterHelper,
 * GatewayConfig, normalizeQueue, generateSubmissionId and
 * getClusterIdFromSubmissionId cases (one table row per Java case), the
 * weighting test of section 2.5, section 2.4's validation, section 8.3's
 * queue token gate, and the deliberate fixes (quirks 1, 2, 3, 33).
 *
 * Configs and requests are built by hand here, so that each row shows the
 * exact input; tests/check_crd.c goes through the real parsers.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "bpg_jwt.h"
#include "bpg_route.h"
#include "testutil.h"

#define HEX "4f1d2b7e9a0c4d3e8b6a5f4e3d2c1b0a"

/* ---- test arena (testutil.h): freed after each test ------------------- */

/* Short names for the rows below. */
#define S(s) tu_str(s)
#define L(csv) tu_strlist(csv)

/* A cluster: id, weight, versions and queues as lists (NULL: absent). */
struct ccl {
	const char *id;
	int64_t weight;
	const char *versions;
	const char *queues;
};

/* A queue config. */
struct cq {
	const char *name;
	const char *users;
	bool secure;
	int64_t max_executors;	/* 0: not set */
};

static void
mkcfg(struct bpg_config *cfg, const struct ccl *cls, size_t ncl,
    const struct cq *qs, size_t nq, bool has_queues)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	if (ncl > 0)
		cfg->clusters = tu_track(calloc(ncl, sizeof(*cfg->clusters)));
	for (i = 0; i < ncl && cls[i].id != NULL; i++) {
		struct bpg_cluster *c = &cfg->clusters[i];

		c->id = S(cls[i].id);
		c->weight = cls[i].weight;
		c->spark_versions = L(cls[i].versions);
		c->queues = L(cls[i].queues);
		c->namespace = S("ns");
	}
	cfg->nclusters = i;
	cfg->has_queues = has_queues;
	if (nq > 0)
		cfg->queues = tu_track(calloc(nq, sizeof(*cfg->queues)));
	for (i = 0; i < nq && qs[i].name != NULL; i++) {
		struct bpg_queue *q = &cfg->queues[i];

		q->name = S(qs[i].name);
		q->users = L(qs[i].users);
		q->secure = qs[i].secure;
		q->has_max_executor_instances = qs[i].max_executors != 0;
		q->max_executor_instances = qs[i].max_executors ?
		    qs[i].max_executors : 5000;
		q->driver_cpu_ratio = q->executor_cpu_ratio = 1.0;
		q->driver_mem_ratio = q->executor_mem_ratio = 1.0;
	}
	cfg->nqueues = i;
}

static void
mkreq(struct bpg_submit_req *r, const char *version, const char *queue,
    const char *cluster_id)
{
	memset(r, 0, sizeof(*r));
	r->spark_version = S(version);
	r->queue = S(queue);
	r->cluster_id = S(cluster_id);
}

/* ---- rng -------------------------------------------------------------- */

START_TEST(test_rng_seeded_is_deterministic)
{
	struct bpg_rng a, b;
	int i;

	bpg_rng_seed_with(&a, 42);
	bpg_rng_seed_with(&b, 42);
	for (i = 0; i < 100; i++)
		ck_assert_uint_eq(bpg_rng_next(&a), bpg_rng_next(&b));
	bpg_rng_seed_with(&a, 0);
	ck_assert(a.s[0] != 0 || a.s[1] != 0);
}
END_TEST

START_TEST(test_rng_kernel_seed)
{
	struct bpg_rng a, b;

	ck_assert_int_eq(bpg_rng_seed(&a), BPG_OK);
	ck_assert_int_eq(bpg_rng_seed(&b), BPG_OK);
	ck_assert(a.s[0] != b.s[0] || a.s[1] != b.s[1]);
}
END_TEST

START_TEST(test_rng_below)
{
	struct bpg_rng r;
	size_t count[3] = { 0, 0, 0 };
	uint64_t x;
	int i;

	bpg_rng_seed_with(&r, 7);
	ck_assert_uint_eq(bpg_rng_below(&r, 1), 0);
	for (i = 0; i < 30000; i++) {
		x = bpg_rng_below(&r, 3);
		ck_assert_uint_lt(x, 3);
		count[x]++;
	}
	for (i = 0; i < 3; i++)
		ck_assert_msg(count[i] > 9000 && count[i] < 11000,
		    "bucket %d: %zu", i, count[i]);
	/* The largest bound still returns values below it. */
	for (i = 0; i < 100; i++)
		ck_assert_uint_lt(bpg_rng_below(&r, UINT64_MAX), UINT64_MAX);
}
END_TEST

/* ---- normalizeQueue (section 2.2) ------------------------------------ */

static const struct {
	const char *name;
	const char *in;
	const char *out;	/* NULL: no queue */
} norm_rows[] = {
	{ "normalizeQueue_plain", "queue1", "queue1" },
	{ "normalizeQueue_parent", "parent.queue1", "parent.queue1" },
	{ "normalizeQueue_double_dot", "parent..queue1", "parent.queue1" },
	{ "normalizeQueue_trailing", "parent..queue1...", "parent.queue1" },
	{ "normalizeQueue_leading", "...parent..queue1..", "parent.queue1" },
	{ "only_dots", "...", NULL },
	{ "one_dot", ".", NULL },
	{ "empty", "", NULL },
	{ "null", NULL, NULL },
	{ "three_levels", "a..b...c", "a.b.c" },
};

START_TEST(test_normalize_queue)
{
	bool oom = true;
	char *q = bpg_route_normalize_queue(norm_rows[_i].in, &oom);

	ck_assert_msg(!oom, "row %s", norm_rows[_i].name);
	if (norm_rows[_i].out == NULL)
		ck_assert_msg(q == NULL, "row %s: got %s", norm_rows[_i].name,
		    q);
	else
		ck_assert_msg(q != NULL && strcmp(q, norm_rows[_i].out) == 0,
		    "row %s: got %s", norm_rows[_i].name, q ? q : "NULL");
	free(q);
}
END_TEST

/* ---- GatewayConfigTest (section 12) ---------------------------------- */

static const struct {
	const char *name;
	const char *list;	/* NULL: absent */
	const char *value;
	bool match;
} gw_rows[] = {
	{ "matchSparkVersion_none_null", NULL, NULL, false },
	{ "matchSparkVersion_none_empty", NULL, "", false },
	{ "matchSparkVersion_none_2.4", NULL, "2.4", false },
	{ "matchSparkVersion_emptylist_null", "", NULL, false },
	{ "matchSparkVersion_emptylist_empty", "", "", false },
	{ "matchSparkVersion_emptylist_2.4", "", "2.4", false },
	{ "matchSparkVersion_one_2.4", "2.4", "2.4", true },
	{ "matchSparkVersion_one_null", "2.4", NULL, false },
	{ "matchSparkVersion_one_empty", "2.4", "", false },
	{ "matchSparkVersion_one_3.0", "2.4", "3.0", false },
	{ "matchSparkVersion_two_2.4", "2.4,3.0", "2.4", true },
	{ "matchSparkVersion_two_3.0", "2.4,3.0", "3.0", true },
	{ "matchSparkVersion_two_null", "2.4,3.0", NULL, false },
	{ "matchSparkVersion_two_empty", "2.4,3.0", "", false },
	{ "matchSparkVersion_two_3.1", "2.4,3.0", "3.1", false },
	{ "matchSparkVersion_case", "3.0-RC1", "3.0-rc1", true },
};

static const struct {
	const char *name;
	const char *list;
	const char *value;
	bool match;
} gwq_rows[] = {
	{ "matchQueue_none_null", NULL, NULL, false },
	{ "matchQueue_none_empty", NULL, "", false },
	{ "matchQueue_none_q1", NULL, "q1", false },
	{ "matchQueue_emptylist_q1", "", "q1", false },
	{ "matchQueue_one_q1", "q1", "q1", true },
	{ "matchQueue_one_null", "q1", NULL, false },
	{ "matchQueue_one_empty", "q1", "", false },
	{ "matchQueue_one_q2", "q1", "q2", false },
	{ "matchQueue_two_q1", "q1,q2", "q1", true },
	{ "matchQueue_two_q2", "q1,q2", "q2", true },
	{ "matchQueue_two_null", "q1,q2", NULL, false },
	{ "matchQueue_two_empty", "q1,q2", "", false },
	{ "matchQueue_two_q3", "q1,q2", "q3", false },
	{ "matchQueue_case", "q1,q2", "Q2", true },
};

START_TEST(test_match_version)
{
	struct bpg_cluster c;

	memset(&c, 0, sizeof(c));
	c.spark_versions = L(gw_rows[_i].list);
	ck_assert_msg(bpg_route_cluster_has_version(&c, gw_rows[_i].value) ==
	    gw_rows[_i].match, "row %s", gw_rows[_i].name);
}
END_TEST

START_TEST(test_match_queue)
{
	struct bpg_cluster c;

	memset(&c, 0, sizeof(c));
	c.queues = L(gwq_rows[_i].list);
	ck_assert_msg(bpg_route_cluster_has_queue(&c, gwq_rows[_i].value) ==
	    gwq_rows[_i].match, "row %s", gwq_rows[_i].name);
}
END_TEST

/* ---- SparkClusterHelperTest (section 12) ----------------------------- */

#define MAXC 4
#define MAXQ 3
/* No queue configs. */
#define NOQ { { NULL, NULL, false, 0 } }

static const struct {
	const char *name;
	struct ccl clusters[MAXC];
	struct cq queues[MAXQ];
	bool has_queues;
	const char *user;
	const char *version;
	const char *queue;
	const char *cluster_id;
	const char *want;	/* cluster id(s) "c01|c02", or NULL */
	const char *error;	/* expected text when want is NULL */
} sch_rows[] = {
	{ "clusterHasDefaultQueue_requestHasNoQueue",
	  { { "c01", 1, "2.4,3.0", NULL }, { "c02", 1, "3.0,3.1", "poc" } },
	  NOQ, false, "user1", "3.0", NULL, NULL, "c02", NULL },
	{ "clusterHasNoDefaultQueue_requestHasNoQueue",
	  { { "c01", 1, "2.4,3.0", NULL }, { "c02", 1, "3.0,3.1", NULL } },
	  NOQ, false, "user1", "3.0", NULL, NULL, NULL,
	  "Cluster with queue poc having Spark version 3.0 not found" },
	{ "clusterIdInSubmission",
	  { { "c01", 1, "2.4,3.0", NULL }, { "c02", 1, "3.0,3.1", NULL } },
	  NOQ, false, "user1", "3.0", NULL, "c02", "c02", NULL },
	{ "clusterIdInSubmission_weight0",
	  { { "c01", 1, "2.4,3.0", NULL }, { "c02", 0, "3.0,3.1", NULL } },
	  NOQ, false, "user1", "3.0", NULL, "c02", "c02", NULL },
	{ "clusterIdInSubmission_wrong_version",
	  { { "c01", 1, "2.4,3.0", NULL }, { "c02", 1, "3.0,3.1", NULL } },
	  NOQ, false, "user1", "2.4", NULL, "c02", NULL,
	  "Cluster with id c02 having Spark version 2.4 not found" },
	{ "explicitQueueInSubmission_q2",
	  { { "c01", 1, "2.4,3.0", "q1,q2" }, { "c02", 1, "3.1", "poc" } },
	  NOQ, false, "user1", "3.0", "q2", NULL, "c01", NULL },
	{ "explicitQueueInSubmission_default",
	  { { "c01", 1, "2.4,3.0", "q1,q2" }, { "c02", 1, "3.1", "poc" } },
	  NOQ, false, "user1", "3.1", NULL, NULL, "c02", NULL },
	{ "explicitQueueInSubmission_child_queue",
	  { { "c01", 1, "2.4,3.0", "q1,q2" }, { "c02", 1, "3.1", "poc" } },
	  NOQ, false, "user1", "3.0", "q2.team1", NULL, "c01",
	  NULL },
	{ "queueByMatchingUser_user1_3.0",
	  { { "c01", 1, "2.4,3.0", "q1,q2,poc" }, { "c02", 1, "3.1",
	  "q1,q2,poc" } }, { { "q2", "user1,user2", false, 0 } }, true,
	  "user1", "3.0", NULL, NULL, "c01", NULL },
	{ "queueByMatchingUser_user2_3.0",
	  { { "c01", 1, "2.4,3.0", "q1,q2,poc" }, { "c02", 1, "3.1",
	  "q1,q2,poc" } }, { { "q2", "user1,user2", false, 0 } }, true,
	  "user2", "3.0", NULL, NULL, "c01", NULL },
	{ "queueByMatchingUser_user99_3.0",
	  { { "c01", 1, "2.4,3.0", "q1,q2,poc" }, { "c02", 1, "3.1",
	  "q1,q2,poc" } }, { { "q2", "user1,user2", false, 0 } }, true,
	  "user99", "3.0", NULL, NULL, "c01", NULL },
	{ "queueByMatchingUser_user1_3.1",
	  { { "c01", 1, "2.4,3.0", "q1,q2,poc" }, { "c02", 1, "3.1",
	  "q1,q2,poc" } }, { { "q2", "user1,user2", false, 0 } }, true,
	  "user1", "3.1", NULL, NULL, "c02", NULL },
	{ "queueByMatchingUser_user2_3.1",
	  { { "c01", 1, "2.4,3.0", "q1,q2,poc" }, { "c02", 1, "3.1",
	  "q1,q2,poc" } }, { { "q2", "user1,user2", false, 0 } }, true,
	  "user2", "3.1", NULL, NULL, "c02", NULL },
	{ "queueByMatchingUser_user99_3.1",
	  { { "c01", 1, "2.4,3.0", "q1,q2,poc" }, { "c02", 1, "3.1",
	  "q1,q2,poc" } }, { { "q2", "user1,user2", false, 0 } }, true,
	  "user99", "3.1", NULL, NULL, "c02", NULL },
	{ "unsupportedSparkVersion",
	  { { "c01", 1, "2.4,3.0", "q1,q2,poc" }, { "c02", 1, "3.1",
	  "q1,q2,poc" } }, NOQ, false, "user1", "3.2", NULL, NULL,
	  NULL, "Spark version not supported: 3.2" },
	{ "unsupportedSparkVersion_null",
	  { { "c01", 1, "2.4,3.0", "q1,q2,poc" } }, NOQ, false,
	  "user1", NULL, NULL, NULL, NULL,
	  "Spark version not supported: null" },
	{ "noQueueSupportedWithRequestedSparkVersion",
	  { { "c01", 1, "2.4,3.0", "q1,q2" }, { "c02", 1, "3.1", NULL } },
	  NOQ, false, "user1", "3.1", "q2", NULL, NULL,
	  "Cluster with queue q2 having Spark version 3.1 not found" },
	{ "userMappedToNotSupportedQueue",
	  { { "c01", 1, "2.4,3.0", "q1,q2" }, { "c02", 1, "3.1", NULL } },
	  { { "q2", "user1", false, 0 } }, true, "user1", "3.1", NULL, NULL,
	  NULL, "Cluster with queue q2 having Spark version 3.1 not found" },
	{ "multipleQueuesSupported",
	  { { "c01", 1, "2.4,3.0", "q1,q2" }, { "c02", 1, "3.0", "q1,q2" } },
	  { { "q2", "user1", false, 0 } }, true, "user1", "3.0", NULL, NULL,
	  "c01|c02", NULL },
	{ "weight0_never_chosen",
	  { { "c01", 0, "3.0", "poc" }, { "c02", 1, "3.0", "poc" } },
	  NOQ, false, "user1", "3.0", NULL, NULL, "c02", NULL },
	{ "only_weight0_is_unsupported",
	  { { "c01", 0, "3.0", "poc" } }, NOQ, false, "user1", "3.0",
	  NULL, NULL, NULL, "Spark version not supported: 3.0" },
};

START_TEST(test_spark_cluster_helper)
{
	struct bpg_config cfg;
	struct bpg_submit_req req;
	struct bpg_errinfo ei = { "" };
	const struct bpg_cluster *c = NULL;
	struct bpg_rng rng;
	char *queue = NULL;
	enum bpg_err e;
	int draw;

	mkcfg(&cfg, sch_rows[_i].clusters, MAXC, sch_rows[_i].queues, MAXQ,
	    sch_rows[_i].has_queues);
	mkreq(&req, sch_rows[_i].version, sch_rows[_i].queue,
	    sch_rows[_i].cluster_id);
	bpg_rng_seed_with(&rng, 1);
	/* Several draws: a random choice must stay within the allowed. */
	for (draw = 0; draw < 20; draw++) {
		ck_assert_msg(bpg_route_queue(&cfg, &req, sch_rows[_i].user,
		    &rng, &queue, &ei) == BPG_OK, "row %s: %s",
		    sch_rows[_i].name, ei.msg);
		e = bpg_route_cluster(&cfg, &req, queue, &rng, &c, &ei);
		free(queue);
		queue = NULL;
		if (sch_rows[_i].want == NULL) {
			ck_assert_msg(e == BPG_EINVAL, "row %s: %d",
			    sch_rows[_i].name, e);
			ck_assert_msg(c == NULL, "row %s", sch_rows[_i].name);
			ck_assert_msg(strcmp(ei.msg, sch_rows[_i].error) == 0,
			    "row %s: got \"%s\"", sch_rows[_i].name, ei.msg);
		} else {
			ck_assert_msg(e == BPG_OK && c != NULL,
			    "row %s: %s", sch_rows[_i].name, ei.msg);
			ck_assert_msg(strstr(sch_rows[_i].want, c->id) != NULL,
			    "row %s: got %s", sch_rows[_i].name, c->id);
		}
	}
}
END_TEST

/*
 * Section 2.5: weights 10/10/80 plus a weight-0 cluster and a cluster
 * of another version, 10000 draws.
 */
static void
weighting(struct bpg_rng *rng)
{
	static const struct ccl cls[] = {
		{ "c01", 10, "3.0", "poc" },
		{ "c02", 10, "3.0", "poc" },
		{ "c03", 80, "3.0", "poc" },
		{ "c04", 0, "3.0", "poc" },
		{ "c05", 50, "2.4", "poc" },
	};
	struct bpg_config cfg;
	struct bpg_submit_req req;
	struct bpg_errinfo ei;
	const struct bpg_cluster *c;
	size_t count[5] = { 0 }, i;

	mkcfg(&cfg, cls, 5, NULL, 0, false);
	mkreq(&req, "3.0", NULL, NULL);
	for (i = 0; i < 10000; i++) {
		ck_assert_int_eq(bpg_route_cluster(&cfg, &req, "poc", rng, &c,
		    &ei), BPG_OK);
		count[c - cfg.clusters]++;
	}
	ck_assert_msg(count[0] >= 500 && count[0] <= 1500, "c01 %zu",
	    count[0]);
	ck_assert_msg(count[1] >= 500 && count[1] <= 1500, "c02 %zu",
	    count[1]);
	ck_assert_msg(count[2] >= 7500 && count[2] <= 8500, "c03 %zu",
	    count[2]);
	ck_assert_uint_eq(count[3], 0);
	ck_assert_uint_eq(count[4], 0);
}

START_TEST(test_weighting_seeded)
{
	struct bpg_rng rng;

	bpg_rng_seed_with(&rng, 12345);
	weighting(&rng);
}
END_TEST

START_TEST(test_weighting_kernel_seed)
{
	struct bpg_rng rng;

	ck_assert_int_eq(bpg_rng_seed(&rng), BPG_OK);
	weighting(&rng);
}
END_TEST

START_TEST(test_weights_large)
{
	/* Weights are int64: sums beyond 32 bits still route. */
	static const struct ccl cls[] = {
		{ "c01", INT64_C(4000000000), "3.0", "poc" },
		{ "c02", INT64_C(4000000000), "3.0", "poc" },
	};
	struct bpg_config cfg;
	struct bpg_submit_req req;
	struct bpg_errinfo ei;
	const struct bpg_cluster *c;
	struct bpg_rng rng;
	size_t count[2] = { 0 }, i;

	mkcfg(&cfg, cls, 2, NULL, 0, false);
	mkreq(&req, "3.0", NULL, NULL);
	bpg_rng_seed_with(&rng, 3);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(bpg_route_cluster(&cfg, &req, "poc", &rng, &c,
		    &ei), BPG_OK);
		count[c - cfg.clusters]++;
	}
	ck_assert(count[0] > 350 && count[1] > 350);
}
END_TEST

/* ---- queue resolution (section 2.2, quirk 2) ------------------------- */

START_TEST(test_queue_resolution)
{
	static const struct cq qs[] = {
		{ "q1", "alice,Bob", false, 0 },
		{ "q2", "bob", false, 0 },
		{ "q3", "carol", false, 0 },
	};
	struct bpg_config cfg;
	struct bpg_submit_req req;
	struct bpg_errinfo ei;
	struct bpg_rng rng;
	char *q;
	int i, seen1 = 0, seen2 = 0;

	mkcfg(&cfg, NULL, 0, qs, 3, true);
	bpg_rng_seed_with(&rng, 99);

	/* The request's queue, normalised. */
	mkreq(&req, "3.0", "..dev..team1.", NULL);
	ck_assert_int_eq(bpg_route_queue(&cfg, &req, "alice", &rng, &q, &ei),
	    BPG_OK);
	ck_assert_str_eq(q, "dev.team1");
	free(q);
	/* Nothing but dots: the default queue. */
	mkreq(&req, "3.0", "...", NULL);
	ck_assert_int_eq(bpg_route_queue(&cfg, &req, "alice", &rng, &q, &ei),
	    BPG_OK);
	ck_assert_str_eq(q, "poc");
	free(q);
	/* A user listed once, any case. */
	mkreq(&req, "3.0", NULL, NULL);
	ck_assert_int_eq(bpg_route_queue(&cfg, &req, "ALICE", &rng, &q, &ei),
	    BPG_OK);
	ck_assert_str_eq(q, "q1");
	free(q);
	/* Unknown user: poc. */
	ck_assert_int_eq(bpg_route_queue(&cfg, &req, "dave", &rng, &q, &ei),
	    BPG_OK);
	ck_assert_str_eq(q, "poc");
	free(q);
	/* An empty request queue counts as none. */
	mkreq(&req, "3.0", "", NULL);
	ck_assert_int_eq(bpg_route_queue(&cfg, &req, "carol", &rng, &q, &ei),
	    BPG_OK);
	ck_assert_str_eq(q, "q3");
	free(q);
	/* A user in two queues gets either, at random. */
	mkreq(&req, "3.0", NULL, NULL);
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(bpg_route_queue(&cfg, &req, "bob", &rng, &q,
		    &ei), BPG_OK);
		if (strcmp(q, "q1") == 0)
			seen1++;
		else if (strcmp(q, "q2") == 0)
			seen2++;
		else
			ck_abort_msg("unexpected queue %s", q);
		free(q);
	}
	ck_assert(seen1 > 50 && seen2 > 50);
	/* No queues section: users are not looked up. */
	cfg.has_queues = false;
	ck_assert_int_eq(bpg_route_queue(&cfg, &req, "alice", &rng, &q, &ei),
	    BPG_OK);
	ck_assert_str_eq(q, "poc");
	free(q);
}
END_TEST

/* ---- validation (section 2.4, quirk 3) ------------------------------- */

static const struct {
	const char *name;
	const char *queue;
	bool has_instances;
	int64_t instances;
	const char *conf;	/* request sparkConf JSON, or NULL */
	const char *error;	/* NULL: valid */
} val_rows[] = {
	{ "ok_default_limit", "poc", true, 5000, NULL, NULL },
	{ "ok_no_executor", "poc", false, 0, NULL, NULL },
	{ "queue_not_configured", "dev", false, 0, NULL,
	  "The queue dev does not exist. Please check the queue name and "
	  "try again." },
	{ "queue_case_insensitive", "POC", true, 10, NULL, NULL },
	{ "instances_over_default", "poc", true, 5001, NULL,
	  "Executor instances in Spark config (5001) exceeds limit (5000)" },
	{ "instances_over_last_entry_limit", "small", true, 11, NULL,
	  "Executor instances in Spark config (11) exceeds limit (10)" },
	{ "instances_at_limit", "small", true, 10, NULL, NULL },
	{ "conf_instances_bad", "poc", false, 0,
	  "{\"spark.executor.instances\":\"abc\"}",
	  "Invalid value (abc) for Spark config: (spark.executor.instances)" },
	{ "conf_instances_too_big_for_int", "poc", false, 0,
	  "{\"spark.executor.instances\":\"2147483648\"}",
	  "Invalid value (2147483648) for Spark config: "
	  "(spark.executor.instances)" },
	{ "conf_instances_empty", "poc", false, 0,
	  "{\"spark.executor.instances\":\"\"}",
	  "Invalid value () for Spark config: (spark.executor.instances)" },
	{ "conf_instances_over", "small", false, 0,
	  "{\"spark.executor.instances\":\"11\"}",
	  "Executor instances in Spark config (11) exceeds limit (10)" },
	{ "conf_instances_negative_passes", "small", false, 0,
	  "{\"spark.executor.instances\":\"-5\"}", NULL },
	{ "conf_instances_plus_sign", "small", false, 0,
	  "{\"spark.executor.instances\":\"+5\"}", NULL },
	{ "instances_checked_before_conf", "small", true, 11,
	  "{\"spark.executor.instances\":\"abc\"}",
	  "Executor instances in Spark config (11) exceeds limit (10)" },
};

START_TEST(test_validate)
{
	static const struct cq qs[] = {
		{ "poc", NULL, false, 0 },
		{ "small", NULL, false, 100 },
		{ "SMALL", NULL, false, 10 },	/* the last match wins */
	};
	struct bpg_config cfg;
	struct bpg_submit_req req;
	struct bpg_errinfo ei = { "" };
	enum bpg_err e;

	mkcfg(&cfg, NULL, 0, qs, 3, true);
	mkreq(&req, "3.0", NULL, NULL);
	req.executor.present = true;
	req.executor.has_instances = val_rows[_i].has_instances;
	req.executor.instances = val_rows[_i].instances;
	req.spark_conf = tu_json(val_rows[_i].conf);
	e = bpg_route_validate(&cfg, &req, val_rows[_i].queue, &ei);
	if (val_rows[_i].error == NULL) {
		ck_assert_msg(e == BPG_OK, "row %s: %s", val_rows[_i].name,
		    ei.msg);
	} else {
		ck_assert_msg(e == BPG_EINVAL, "row %s: %d", val_rows[_i].name,
		    e);
		ck_assert_msg(strcmp(ei.msg, val_rows[_i].error) == 0,
		    "row %s: got \"%s\"", val_rows[_i].name, ei.msg);
	}
}
END_TEST

START_TEST(test_validate_no_queues_section)
{
	struct bpg_config cfg;
	struct bpg_submit_req req;
	struct bpg_errinfo ei;

	/* BPG: NullPointerException (500); quirk 3: the same 400. */
	mkcfg(&cfg, NULL, 0, NULL, 0, false);
	mkreq(&req, "3.0", NULL, NULL);
	ck_assert_int_eq(bpg_route_validate(&cfg, &req, "poc", &ei),
	    BPG_EINVAL);
	ck_assert_str_eq(ei.msg, "The queue poc does not exist. Please check "
	    "the queue name and try again.");
}
END_TEST

/* ---- queue tokens through routing (sections 2.3, 8.3) ---------------- */

static const struct {
	const char *name;
	bool has_queues;
	bool secure;
	const char *token;	/* "VALID": a good token for queue1 */
	bool has_secrets_key;
	const char *secrets;
	enum bpg_err want;
	const char *error;
} tok_rows[] = {
	{ "validateQueueToken_no_queues_null", false, false, NULL, false,
	  NULL, BPG_OK, NULL },
	{ "validateQueueToken_no_queues_empty", false, false, "", false, NULL,
	  BPG_OK, NULL },
	{ "validateQueueToken_empty_queues_null", true, false, NULL, false,
	  NULL, BPG_OK, NULL },
	{ "validateQueueToken_not_secure_null", true, false, NULL, false,
	  NULL, BPG_OK, NULL },
	{ "validateQueueToken_not_secure_empty", true, false, "", false, NULL,
	  BPG_OK, NULL },
	{ "validateQueueToken_not_secure_garbage_ignored", true, false,
	  "garbage", false, NULL, BPG_OK, NULL },
	{ "validateQueueToken_secure_null", true, true, NULL, true, "secret1",
	  BPG_EINVAL, "Please specify queueToken for queue queue1" },
	{ "validateQueueToken_secure_empty", true, true, "", true, "secret1",
	  BPG_EINVAL, "Please specify queueToken for queue queue1" },
	{ "secure_no_queueTokenSOPS", true, true, "VALID", false, NULL,
	  BPG_ECONFIG, "Server hit configuration error: no queue token "
	  "configure" },
	{ "secure_no_secrets", true, true, "VALID", true, "", BPG_ECONFIG,
	  "Server not configured with secrets to verify queue token" },
	{ "secure_valid", true, true, "VALID", true, "secret1", BPG_OK, NULL },
	{ "secure_valid_rotated", true, true, "VALID", true,
	  "invalidSecret,secret1", BPG_OK, NULL },
	{ "secure_wrong_secret", true, true, "VALID", true, "invalidSecret",
	  BPG_EINVAL, "Queue token is not valid: The Token's Signature "
	  "resulted invalid when verified using the Algorithm: HmacSHA256. "
	  "Please provide a valid queue token, or contact service support." },
};

START_TEST(test_token_gate)
{
	struct cq qs[2] = { { "other", NULL, false, 0 },
	    { "queue1", NULL, false, 0 } };
	const char *queues[] = { "queue1" };
	struct bpg_config cfg;
	struct bpg_errinfo ei = { "" };
	char *tok = NULL;
	const char *t = tok_rows[_i].token;
	enum bpg_err e;

	qs[1].secure = tok_rows[_i].secure;
	mkcfg(&cfg, NULL, 0, qs, tok_rows[_i].has_queues ? 2 : 0,
	    tok_rows[_i].has_queues);
	cfg.has_queue_token = tok_rows[_i].has_secrets_key;
	cfg.queue_token_secrets = L(tok_rows[_i].secrets);
	if (t != NULL && strcmp(t, "VALID") == 0) {
		ck_assert_int_eq(bpg_jwt_make("secret1", "admin", "queueToken",
		    queues, 1, 0, &tok), BPG_OK);
		t = tu_track(tok);
	}
	e = bpg_route_check_token(&cfg, t, "queue1", time(NULL), &ei);
	ck_assert_msg(e == tok_rows[_i].want, "row %s: %d %s",
	    tok_rows[_i].name, e, ei.msg);
	if (tok_rows[_i].error != NULL)
		ck_assert_msg(strcmp(ei.msg, tok_rows[_i].error) == 0,
		    "row %s: got \"%s\"", tok_rows[_i].name, ei.msg);
}
END_TEST

START_TEST(test_token_gate_case)
{
	static const struct cq qs[] = { { "Queue1", NULL, true, 0 } };
	const char *queues[] = { "queue1" };
	struct bpg_config cfg;
	struct bpg_errinfo ei = { "" };
	char *tok;

	/* The secure-queue lookup ignores case; the token's list does not. */
	mkcfg(&cfg, NULL, 0, qs, 1, true);
	cfg.has_queue_token = true;
	cfg.queue_token_secrets = L("secret1");
	ck_assert_int_eq(bpg_route_check_token(&cfg, NULL, "QUEUE1",
	    time(NULL), &ei), BPG_EINVAL);
	ck_assert_str_eq(ei.msg, "Please specify queueToken for queue QUEUE1");
	ck_assert_int_eq(bpg_jwt_make("secret1", "admin", "queueToken",
	    queues, 1, 0, &tok), BPG_OK);
	tu_track(tok);
	ck_assert_int_eq(bpg_route_check_token(&cfg, tok, "queue1",
	    time(NULL), &ei), BPG_OK);
	ck_assert_int_eq(bpg_route_check_token(&cfg, tok, "QUEUE1",
	    time(NULL), &ei), BPG_EINVAL);
	ck_assert_str_eq(ei.msg, "Queue token does not allow queue QUEUE1. "
	    "Please provide a valid queue token, or contact service support.");
}
END_TEST

START_TEST(test_queue_runs_token_check)
{
	static const struct cq qs[] = { { "sec", NULL, true, 0 } };
	struct bpg_config cfg;
	struct bpg_submit_req req;
	struct bpg_errinfo ei;
	struct bpg_rng rng;
	char *q = NULL;

	mkcfg(&cfg, NULL, 0, qs, 1, true);
	cfg.has_queue_token = true;
	cfg.queue_token_secrets = L("s1");
	bpg_rng_seed_with(&rng, 1);
	mkreq(&req, "3.0", "sec", NULL);
	ck_assert_int_eq(bpg_route_queue(&cfg, &req, "u", &rng, &q, &ei),
	    BPG_EINVAL);
	ck_assert_ptr_null(q);
	ck_assert_str_eq(ei.msg, "Please specify queueToken for queue sec");
}
END_TEST

/* ---- submission IDs (section 2.6, quirk 33) -------------------------- */

static bool
is_v4_hex(const char *h)
{
	size_t i;

	for (i = 0; i < 32; i++)
		if (!((h[i] >= '0' && h[i] <= '9') ||
		    (h[i] >= 'a' && h[i] <= 'f')))
			return false;
	return h[12] == '4' && strchr("89ab", h[16]) != NULL;
}

START_TEST(test_generate_submission_id)
{
	static const struct {
		const char *name, *id;
	} rows[] = {
		{ "generateSubmissionId_c01", "c01" },
		{ "generateSubmissionId_abc", "abc" },
		{ "generateSubmissionId_d01", "d01" },
		{ "dashed_id", "spark-cluster-a" },
	};
	struct bpg_cluster c;
	struct bpg_errinfo ei;
	struct bpg_rng rng;
	char id[BPG_MAX_SUBMISSION_ID + 1], prev[sizeof(id)] = "";
	size_t i, n;

	bpg_rng_seed_with(&rng, 5);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&c, 0, sizeof(c));
		c.id = S(rows[i].id);
		ck_assert_int_eq(bpg_route_new_id(&c, NULL, &rng, id, &ei),
		    BPG_OK);
		n = strlen(rows[i].id);
		ck_assert_msg(strncmp(id, rows[i].id, n) == 0 && id[n] == '-',
		    "row %s: %s", rows[i].name, id);
		ck_assert_msg(strlen(id) == n + 33, "row %s", rows[i].name);
		ck_assert_msg(is_v4_hex(id + n + 1), "row %s: %s",
		    rows[i].name, id);
		ck_assert_str_ne(id, prev);
		strcpy(prev, id);
	}
	memset(&c, 0, sizeof(c));
	c.id = S("d01");
	ck_assert_int_eq(bpg_route_new_id(&c, "", &rng, id, &ei), BPG_OK);
	ck_assert_uint_eq(strlen(id), 36);
}
END_TEST

static const struct {
	const char *name;
	const char *cluster;
	const char *suffix;
	const char *error;	/* NULL: accepted */
} suffix_rows[] = {
	{ "suffix_simple", "c01", "abc", NULL },
	{ "suffix_dashes_digits", "c01", "run-2024-01", NULL },
	{ "suffix_single_char", "c01", "a", NULL },
	{ "suffix_longest_allowed", "c01", "abcdefghijklmnopqrs", NULL },
	{ "suffix_too_long", "c01", "abcdefghijklmnopqrst",
	  "submissionIdSuffix abcdefghijklmnopqrst is too long: the "
	  "submission ID would have 57 characters, at most 56 are allowed "
	  "(the suffix may have at most 19)" },
	{ "suffix_upper", "c01", "ABC",
	  "submissionIdSuffix \"ABC\" is invalid: it must consist of "
	  "lower-case letters, digits and '-', and start and end with a "
	  "letter or digit" },
	{ "suffix_underscore", "c01", "a_b",
	  "submissionIdSuffix \"a_b\" is invalid: it must consist of "
	  "lower-case letters, digits and '-', and start and end with a "
	  "letter or digit" },
	{ "suffix_leading_dash", "c01", "-a",
	  "submissionIdSuffix \"-a\" is invalid: it must consist of "
	  "lower-case letters, digits and '-', and start and end with a "
	  "letter or digit" },
	{ "suffix_trailing_dash", "c01", "a-",
	  "submissionIdSuffix \"a-\" is invalid: it must consist of "
	  "lower-case letters, digits and '-', and start and end with a "
	  "letter or digit" },
	{ "suffix_dot", "c01", "a.b",
	  "submissionIdSuffix \"a.b\" is invalid: it must consist of "
	  "lower-case letters, digits and '-', and start and end with a "
	  "letter or digit" },
	{ "suffix_control_escaped", "c01", "a\nb",
	  "submissionIdSuffix \"a\\x0ab\" is invalid: it must consist of "
	  "lower-case letters, digits and '-', and start and end with a "
	  "letter or digit" },
	{ "suffix_long_cluster_id", "spark-cluster-ab", "abcdefghi",
	  "submissionIdSuffix abcdefghi is too long: the submission ID would "
	  "have 59 characters, at most 56 are allowed (the suffix may have "
	  "at most 6)" },
};

START_TEST(test_submission_id_suffix)
{
	struct bpg_cluster c;
	struct bpg_errinfo ei = { "" };
	struct bpg_rng rng;
	char id[BPG_MAX_SUBMISSION_ID + 1];
	enum bpg_err e;
	size_t n;

	memset(&c, 0, sizeof(c));
	c.id = S(suffix_rows[_i].cluster);
	bpg_rng_seed_with(&rng, 5);
	e = bpg_route_new_id(&c, suffix_rows[_i].suffix, &rng, id, &ei);
	if (suffix_rows[_i].error == NULL) {
		ck_assert_msg(e == BPG_OK, "row %s: %s", suffix_rows[_i].name,
		    ei.msg);
		n = strlen(c.id) + 33;
		ck_assert_msg(id[n] == '-' && strcmp(id + n + 1,
		    suffix_rows[_i].suffix) == 0, "row %s: %s",
		    suffix_rows[_i].name, id);
		ck_assert_uint_le(strlen(id), BPG_MAX_SUBMISSION_ID);
	} else {
		ck_assert_msg(e == BPG_EINVAL, "row %s: %d",
		    suffix_rows[_i].name, e);
		ck_assert_msg(strcmp(ei.msg, suffix_rows[_i].error) == 0,
		    "row %s: got \"%s\"", suffix_rows[_i].name, ei.msg);
	}
}
END_TEST

/* ---- cluster of an ID (quirk 1) -------------------------------------- */

static const struct {
	const char *name;
	const char *id;
	const char *want;	/* cluster id, or NULL */
	const char *error;
} coi_rows[] = {
	/* getClusterIdFromSubmissionId, with real 32-hex IDs: BPG took any
	 * text after the first '-' ("c01-abc"); we need the hex part. */
	{ "getClusterIdFromSubmissionId_c01", "c01-" HEX, "c01", NULL },
	{ "getClusterIdFromSubmissionId_c01_suffix", "c01-" HEX "-abc", "c01",
	  NULL },
	{ "getClusterIdFromSubmissionId_c01_suffix_dashes",
	  "c01-" HEX "-123-abc", "c01", NULL },
	{ "getClusterIdFromSubmissionId_ddd", "ddd-" HEX, "ddd", NULL },
	{ "getClusterIdFromSubmissionId_null", NULL, NULL,
	  "submissionId null is invalid" },
	{ "getClusterIdFromSubmissionId_empty", "", NULL,
	  "submissionId  is invalid" },
	{ "getClusterIdFromSubmissionId_invalid_string", "invalid_string",
	  NULL, "submissionId invalid_string is invalid" },
	/* BPG's own test IDs without the hex part are malformed here. */
	{ "bpg_short_id_c01-abc", "c01-abc", NULL,
	  "submissionId c01-abc is invalid" },
	{ "bpg_short_id_c01-123-abc", "c01-123-abc", NULL,
	  "submissionId c01-123-abc is invalid" },
	{ "leading_dash", "-" HEX, NULL, "submissionId -" HEX " is invalid" },
	{ "mySubmissions", "mySubmissions", NULL,
	  "submissionId mySubmissions is invalid" },
	{ "upper_case_hex", "c01-" "4F1D2B7E9A0C4D3E8B6A5F4E3D2C1B0A", NULL,
	  "submissionId c01-4F1D2B7E9A0C4D3E8B6A5F4E3D2C1B0A is invalid" },
	{ "hex_too_short", "c01-" "4f1d2b7e9a0c4d3e8b6a5f4e3d2c1b0", NULL,
	  "submissionId c01-4f1d2b7e9a0c4d3e8b6a5f4e3d2c1b0 is invalid" },
	{ "bad_suffix", "c01-" HEX "-ABC", NULL,
	  "submissionId c01-" HEX "-ABC is invalid" },
	{ "hex_then_junk", "c01-" HEX "x", NULL,
	  "submissionId c01-" HEX "x is invalid" },
	{ "unknown_cluster", "zzz-" HEX, NULL,
	  "Cluster zzz (in submissionId: zzz-" HEX ") not exists" },
	{ "unknown_dashed_cluster", "spark-cluster-b-" HEX, NULL,
	  "Cluster spark-cluster-b (in submissionId: spark-cluster-b-" HEX
	  ") not exists" },
	/* Quirk 1: ids with dashes, and ids that prefix each other. */
	{ "dashed_a", "spark-cluster-a-" HEX, "spark-cluster-a", NULL },
	{ "dashed_ab", "spark-cluster-ab-" HEX, "spark-cluster-ab", NULL },
	{ "dashed_prefix_spark", "spark-" HEX, "spark", NULL },
	{ "dashed_prefix_spark_suffix", "spark-" HEX "-cluster-a", "spark",
	  NULL },
	{ "dashed_a_suffix", "spark-cluster-a-" HEX "-x1", "spark-cluster-a",
	  NULL },
	{ "weight0_still_resolves", "w0-" HEX, "w0", NULL },
	/* Never echoed: control bytes and huge IDs. */
	{ "control_bytes", "c01-\x1b[31m" HEX, NULL,
	  "submissionId is invalid (it starts with \"c01-\\x1b[31m"
	  "4f1d2b7e9a0c4d3...\")" },
	{ "non_ascii", "c01-\xc3\xa9", NULL,
	  "submissionId is invalid (it starts with \"c01-\\xc3\\xa9\")" },
};

START_TEST(test_cluster_of_id)
{
	static const struct ccl cls[] = {
		{ "c01", 1, "3.0", "poc" },
		{ "ddd", 1, "3.0", "poc" },
		{ "spark", 1, "3.0", "poc" },
		{ "spark-cluster-a", 1, "3.0", "poc" },
	};
	static const struct ccl cls2[] = {
		{ "spark-cluster-ab", 1, "3.0", "poc" },
		{ "w0", 0, "3.0", "poc" },
	};
	struct bpg_config cfg;
	struct bpg_cluster all[6];
	struct bpg_errinfo ei = { "" };
	const struct bpg_cluster *c = (const void *)&ei;
	enum bpg_err e;

	mkcfg(&cfg, cls, 4, NULL, 0, false);
	memcpy(all, cfg.clusters, 4 * sizeof(all[0]));
	mkcfg(&cfg, cls2, 2, NULL, 0, false);
	memcpy(all + 4, cfg.clusters, 2 * sizeof(all[0]));
	cfg.clusters = all;
	cfg.nclusters = 6;
	e = bpg_route_cluster_of_id(&cfg, coi_rows[_i].id, &c, &ei);
	if (coi_rows[_i].want != NULL) {
		ck_assert_msg(e == BPG_OK && c != NULL, "row %s: %s",
		    coi_rows[_i].name, ei.msg);
		ck_assert_msg(strcmp(c->id, coi_rows[_i].want) == 0,
		    "row %s: got %s", coi_rows[_i].name, c->id);
	} else {
		ck_assert_msg(e == BPG_EINVAL && c == NULL, "row %s: %d",
		    coi_rows[_i].name, e);
		ck_assert_msg(strcmp(ei.msg, coi_rows[_i].error) == 0,
		    "row %s: got \"%s\"", coi_rows[_i].name, ei.msg);
	}
}
END_TEST

START_TEST(test_cluster_of_id_huge)
{
	struct bpg_config cfg;
	struct bpg_errinfo ei;
	const struct bpg_cluster *c;
	char id[400];
	static const struct ccl cls[] = { { "c01", 1, "3.0", "poc" } };

	mkcfg(&cfg, cls, 1, NULL, 0, false);
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	ck_assert_int_eq(bpg_route_cluster_of_id(&cfg, id, &c, &ei),
	    BPG_EINVAL);
	ck_assert_str_eq(ei.msg, "submissionId is invalid (it starts with "
	    "\"aaaaaaaaaaaaaaaaaaaaaaaa...\")");
	ck_assert_uint_lt(strlen(ei.msg), 80);
	/* 300 printable bytes are still echoed. */
	id[300] = '\0';
	ck_assert_int_eq(bpg_route_cluster_of_id(&cfg, id, &c, &ei),
	    BPG_EINVAL);
	ck_assert(strncmp(ei.msg, "submissionId aaaa", 17) == 0);
}
END_TEST

START_TEST(test_new_id_round_trip)
{
	static const struct ccl cls[] = {
		{ "spark", 1, "3.0", "poc" },
		{ "spark-cluster-a", 1, "3.0", "poc" },
		{ "spark-cluster-ab", 1, "3.0", "poc" },
	};
	struct bpg_config cfg;
	struct bpg_errinfo ei;
	const struct bpg_cluster *c;
	struct bpg_rng rng;
	char id[BPG_MAX_SUBMISSION_ID + 1];
	size_t i;
	int k;

	mkcfg(&cfg, cls, 3, NULL, 0, false);
	bpg_rng_seed_with(&rng, 11);
	for (k = 0; k < 50; k++)
		for (i = 0; i < 3; i++) {
			ck_assert_int_eq(bpg_route_new_id(&cfg.clusters[i],
			    k % 2 ? "x" : NULL, &rng, id, &ei), BPG_OK);
			ck_assert_int_eq(bpg_route_cluster_of_id(&cfg, id, &c,
			    &ei), BPG_OK);
			ck_assert_ptr_eq(c, &cfg.clusters[i]);
		}
}
END_TEST

static Suite *
route_suite(void)
{
	Suite *s = suite_create("route");
	TCase *tc;

	tc = tcase_create("rng");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_test(tc, test_rng_seeded_is_deterministic);
	tcase_add_test(tc, test_rng_kernel_seed);
	tcase_add_test(tc, test_rng_below);
	suite_add_tcase(s, tc);

	tc = tcase_create("queue");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_loop_test(tc, test_normalize_queue, 0, TU_NROWS(norm_rows));
	tcase_add_test(tc, test_queue_resolution);
	tcase_add_loop_test(tc, test_token_gate, 0, TU_NROWS(tok_rows));
	tcase_add_test(tc, test_token_gate_case);
	tcase_add_test(tc, test_queue_runs_token_check);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_loop_test(tc, test_validate, 0, TU_NROWS(val_rows));
	tcase_add_test(tc, test_validate_no_queues_section);
	suite_add_tcase(s, tc);

	tc = tcase_create("cluster");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_loop_test(tc, test_match_version, 0, TU_NROWS(gw_rows));
	tcase_add_loop_test(tc, test_match_queue, 0, TU_NROWS(gwq_rows));
	tcase_add_loop_test(tc, test_spark_cluster_helper, 0,
	    TU_NROWS(sch_rows));
	tcase_add_test(tc, test_weighting_seeded);
	tcase_add_test(tc, test_weighting_kernel_seed);
	tcase_add_test(tc, test_weights_large);
	suite_add_tcase(s, tc);

	tc = tcase_create("submission_id");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_test(tc, test_generate_submission_id);
	tcase_add_loop_test(tc, test_submission_id_suffix, 0,
	    TU_NROWS(suffix_rows));
	tcase_add_loop_test(tc, test_cluster_of_id, 0, TU_NROWS(coi_rows));
	tcase_add_test(tc, test_cluster_of_id_huge);
	tcase_add_test(tc, test_new_id_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(route_suite());
}
