/*
 * Tests of lib/bpg_failover.c: the weighted choice among the eligible
 * clusters without those a submission failed on and those whose breaker
 * is open, the 503 case (all open, with the nearest trial), a forced
 * clusterId that never fails over, and when a create is probed first.
 * Configs are built by hand, as in check_route.c; the breakers run on a
 * fake clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_breaker.h"
#include "bpg_failover.h"
#include "testutil.h"

#define S(s) tu_str(s)
#define L(csv) tu_strlist(csv)

static struct bpg_config cfg;
static struct bpg_breaker *br;

/* a and b serve dev at weight 50, c (weight 0) only by clusterId, d
 * serves poc only. */
static void
setup(void)
{
	static const struct {
		const char *id;
		int64_t weight;
		const char *queues;
	} cl[] = {
		{ "a", 50, "dev" }, { "b", 50, "dev" }, { "c", 0, "dev" },
		{ "d", 50, "poc" },
	};
	struct bpg_errinfo ei;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	cfg.clusters = tu_track(calloc(4, sizeof(*cfg.clusters)));
	for (i = 0; i < 4; i++) {
		cfg.clusters[i].id = S(cl[i].id);
		cfg.clusters[i].weight = cl[i].weight;
		cfg.clusters[i].spark_versions = L("3.5.0");
		cfg.clusters[i].queues = L(cl[i].queues);
		cfg.clusters[i].namespace = S("ns");
	}
	cfg.nclusters = 4;
	cfg.cluster_failure_threshold = 3;
	cfg.cluster_cooldown_millis = 1000;
	ck_assert_int_eq(bpg_breaker_new_shared(&br, &ei), BPG_OK);
}

static void
teardown(void)
{
	bpg_breaker_free(br);
	br = NULL;
	tu_arena_free();
}

static void
mkreq(struct bpg_submit_req *r, const char *cluster_id)
{
	memset(r, 0, sizeof(*r));
	r->spark_version = S("3.5.0");
	r->queue = S("dev.team");
	r->cluster_id = cluster_id != NULL ? S(cluster_id) : NULL;
}

static void
open_breaker(const char *id, int64_t now)
{
	struct bpg_breaker_conf bc = bpg_failover_conf(&cfg);
	int i;

	for (i = 0; i < 3; i++)
		bpg_breaker_failure(br, id, &bc, now, now, "down");
}

/* Picks from a fresh choice, n times: how many went to each of a..d. */
static void
count_picks(const struct bpg_submit_req *req, const char *exclude,
    int64_t now, int n, int counts[4])
{
	struct bpg_failover f;
	struct bpg_errinfo ei;
	struct bpg_rng rng;
	const struct bpg_cluster *c;
	bool trial;
	int i;

	bpg_rng_seed_with(&rng, 7);
	memset(counts, 0, 4 * sizeof(counts[0]));
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(bpg_failover_init(&f, &cfg, br, req,
		    &cfg.clusters[0], &ei), BPG_OK);
		if (exclude != NULL)
			bpg_failover_exclude(&f, &cfg.clusters[exclude[0] -
			    'a']);
		ck_assert_int_eq(bpg_failover_pick(&f, req, "dev.team", &rng,
		    now, 100, &c, &trial), BPG_FAILOVER_PICKED);
		ck_assert(!trial);
		counts[c - cfg.clusters]++;
		bpg_failover_reset(&f);
	}
}

START_TEST(test_weighted_among_eligible)
{
	struct bpg_submit_req req;
	int n[4];

	mkreq(&req, NULL);
	count_picks(&req, NULL, 1000, 1000, n);
	/* Weight 0 and another parent queue: never. */
	ck_assert_int_eq(n[2], 0);
	ck_assert_int_eq(n[3], 0);
	ck_assert_int_gt(n[0], 400);
	ck_assert_int_gt(n[1], 400);
	/* a failed this submission: b only. */
	count_picks(&req, "a", 1000, 200, n);
	ck_assert_int_eq(n[1], 200);
}
END_TEST

START_TEST(test_open_skipped_then_all_open)
{
	struct bpg_submit_req req;
	struct bpg_failover f;
	struct bpg_errinfo ei;
	struct bpg_rng rng;
	const struct bpg_cluster *c;
	bool trial;
	int n[4];

	mkreq(&req, NULL);
	open_breaker("a", 1000);
	count_picks(&req, NULL, 1100, 200, n);
	ck_assert_int_eq(n[1], 200);
	open_breaker("b", 1300);
	bpg_rng_seed_with(&rng, 1);
	ck_assert_int_eq(bpg_failover_init(&f, &cfg, br, &req,
	    &cfg.clusters[0], &ei), BPG_OK);
	ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev.team", &rng, 1500,
	    100, &c, &trial), BPG_FAILOVER_ALL_OPEN);
	/* The nearest trial: a's, at 2000. */
	ck_assert_int_eq(f.retry_ms, 500);
	ck_assert_uint_eq(f.neligible, 2);
	/* At 2000 a is half-open: its trial is this pick's. */
	ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev.team", &rng, 2000,
	    100, &c, &trial), BPG_FAILOVER_PICKED);
	ck_assert_str_eq(c->id, "a");
	ck_assert(trial);
	ck_assert(bpg_failover_should_probe(&f, c, trial, 2000, 10000));
	/* Another submission meanwhile: a's trial is taken, b still open. */
	bpg_failover_reset(&f);
	ck_assert_int_eq(bpg_failover_init(&f, &cfg, br, &req,
	    &cfg.clusters[0], &ei), BPG_OK);
	ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev.team", &rng, 2050,
	    100, &c, &trial), BPG_FAILOVER_ALL_OPEN);
	ck_assert_int_eq(f.retry_ms, 50);
	bpg_failover_reset(&f);
}
END_TEST

START_TEST(test_none_left)
{
	struct bpg_submit_req req;
	struct bpg_failover f;
	struct bpg_errinfo ei;
	struct bpg_rng rng;
	const struct bpg_cluster *c;
	bool trial;

	mkreq(&req, NULL);
	bpg_rng_seed_with(&rng, 1);
	ck_assert_int_eq(bpg_failover_init(&f, &cfg, br, &req,
	    &cfg.clusters[0], &ei), BPG_OK);
	bpg_failover_exclude(&f, &cfg.clusters[0]);
	bpg_failover_exclude(&f, &cfg.clusters[1]);
	ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev", &rng, 1, 100, &c,
	    &trial), BPG_FAILOVER_NONE_LEFT);
	ck_assert_ptr_null(c);
	bpg_failover_reset(&f);
	bpg_failover_reset(&f);
}
END_TEST

/*
 * More clusters than the choice holds in itself (BPG_FAILOVER_FEW): its
 * arrays are allocated, and a submission failing on one after another
 * is offered each of them once, then none.
 */
START_TEST(test_many_clusters)
{
	enum { N = BPG_FAILOVER_FEW + 4 };
	struct bpg_config many;
	struct bpg_submit_req req;
	struct bpg_failover f;
	struct bpg_errinfo ei;
	struct bpg_rng rng;
	const struct bpg_cluster *c;
	char id[16];
	int seen[N] = { 0 };
	bool trial;
	size_t i;

	memset(&many, 0, sizeof(many));
	many.clusters = tu_track(calloc(N, sizeof(*many.clusters)));
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof(id), "m%zu", i);
		many.clusters[i].id = S(id);
		many.clusters[i].weight = 10;
		many.clusters[i].spark_versions = L("3.5.0");
		many.clusters[i].queues = L("dev");
		many.clusters[i].namespace = S("ns");
	}
	many.nclusters = N;
	many.cluster_failure_threshold = 3;
	many.cluster_cooldown_millis = 1000;
	mkreq(&req, NULL);
	bpg_rng_seed_with(&rng, 3);
	ck_assert_int_eq(bpg_failover_init(&f, &many, br, &req,
	    &many.clusters[0], &ei), BPG_OK);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev", &rng, 1,
		    100, &c, &trial), BPG_FAILOVER_PICKED);
		ck_assert_int_eq(seen[c - many.clusters]++, 0);
		bpg_failover_exclude(&f, c);
	}
	ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev", &rng, 1, 100, &c,
	    &trial), BPG_FAILOVER_NONE_LEFT);
	bpg_failover_reset(&f);
	bpg_failover_reset(&f);
}
END_TEST

START_TEST(test_forced_never_fails_over)
{
	struct bpg_submit_req req;
	struct bpg_failover f;
	struct bpg_errinfo ei;
	struct bpg_rng rng;
	const struct bpg_cluster *c;
	bool trial;

	/* c has weight 0: only a clusterId reaches it. */
	mkreq(&req, "c");
	bpg_rng_seed_with(&rng, 1);
	ck_assert_int_eq(bpg_failover_init(&f, &cfg, br, &req,
	    &cfg.clusters[2], &ei), BPG_OK);
	ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev", &rng, 1, 100, &c,
	    &trial), BPG_FAILOVER_PICKED);
	ck_assert_str_eq(c->id, "c");
	ck_assert_uint_eq(f.neligible, 1);
	/* Alone: no probe, the create goes at once. */
	ck_assert(!bpg_failover_should_probe(&f, c, false, 1, 10000));
	bpg_failover_exclude(&f, c);
	ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev", &rng, 1, 100, &c,
	    &trial), BPG_FAILOVER_NONE_LEFT);
	bpg_failover_reset(&f);
	/* Its breaker open: 503, not another cluster. */
	open_breaker("c", 10);
	ck_assert_int_eq(bpg_failover_init(&f, &cfg, br, &req,
	    &cfg.clusters[2], &ei), BPG_OK);
	ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev", &rng, 20, 100, &c,
	    &trial), BPG_FAILOVER_ALL_OPEN);
	ck_assert_int_eq(f.retry_ms, 990);
	bpg_failover_reset(&f);
}
END_TEST

START_TEST(test_should_probe)
{
	struct bpg_submit_req req;
	struct bpg_failover f;
	struct bpg_errinfo ei;
	struct bpg_rng rng;
	const struct bpg_cluster *c;
	struct bpg_breaker_conf bc = bpg_failover_conf(&cfg);
	bool trial;

	mkreq(&req, NULL);
	bpg_rng_seed_with(&rng, 3);
	ck_assert_int_eq(bpg_failover_init(&f, &cfg, br, &req,
	    &cfg.clusters[0], &ei), BPG_OK);
	ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev", &rng, 100000, 100,
	    &c, &trial), BPG_FAILOVER_PICKED);
	/* Never a success: probe. */
	ck_assert(bpg_failover_should_probe(&f, c, false, 100000, 10000));
	bpg_breaker_success(br, c->id, 100000);
	ck_assert(!bpg_failover_should_probe(&f, c, false, 105000, 10000));
	/* Stale. */
	ck_assert(bpg_failover_should_probe(&f, c, false, 110001, 10000));
	/* A failure since the success. */
	bpg_breaker_failure(br, c->id, &bc, 106000, 106000, "x");
	ck_assert(bpg_failover_should_probe(&f, c, false, 106001, 10000));
	bpg_failover_reset(&f);
	/* No breakers at all: every cluster closed, no probe. */
	ck_assert_int_eq(bpg_failover_init(&f, &cfg, NULL, &req,
	    &cfg.clusters[0], &ei), BPG_OK);
	ck_assert_int_eq(bpg_failover_pick(&f, &req, "dev", &rng, 1, 100, &c,
	    &trial), BPG_FAILOVER_PICKED);
	ck_assert(!bpg_failover_should_probe(&f, c, false, 1, 10000));
	bpg_failover_reset(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("failover");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_weighted_among_eligible);
	tcase_add_test(tc, test_open_skipped_then_all_open);
	tcase_add_test(tc, test_none_left);
	tcase_add_test(tc, test_many_clusters);
	tcase_add_test(tc, test_forced_never_fails_over);
	tcase_add_test(tc, test_should_probe);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
