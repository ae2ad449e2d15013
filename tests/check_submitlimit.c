/*
 * Tests of lib/bpg_submitlimit.c: submitRateLimit as configured (per
 * user, per queue, a queue's own limit, exemptions), on a fake clock, and
 * of its keys in lib/bpg_config_keys.c.
 */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "bpg_config.h"
#include "bpg_ratelimit.h"
#include "bpg_submitlimit.h"
#include "testutil.h"

#define MS 1000000LL
#define SEC 1000000000LL

static const char limits[] =
    "adminUsers: [carol]\n"
    "queues:\n"
    "  - name: poc\n"
    "  - name: dev\n"
    "  - name: big\n"
    "    submitRateLimit: {rate: 100, burst: 50}\n"
    "submitRateLimit:\n"
    "  perUser: {rate: 1, burst: 3}\n"
    "  perQueue: {rate: 2, burst: 5}\n"
    "  exemptAdmins: true\n"
    "  exemptUsers: [airflow_system_account]\n";

static struct bpg_ratelimit *
make(void)
{
	struct bpg_ratelimit *rl = NULL;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_ratelimit_new_shared(20, 20, &rl, &ei), BPG_OK);
	return rl;
}

/* Submissions of user to queue allowed at t, out of n. */
static int
submit(struct bpg_ratelimit *rl, const struct bpg_config *cfg,
    const char *user, const char *queue, int64_t t, int n)
{
	struct bpg_errinfo ei;
	int64_t retry;
	int got = 0;

	while (n-- > 0) {
		enum bpg_err e = bpg_submitlimit_take(rl, cfg, user, queue, t,
		    &retry, &ei);

		ck_assert(e == BPG_OK || e == BPG_ERATE);
		if (e == BPG_OK)
			ck_assert_int_eq(retry, 0);
		else
			ck_assert_int_ge(retry, 1);
		got += e == BPG_OK;
	}
	return got;
}

START_TEST(test_config_keys)
{
	struct bpg_config *cfg = tu_config(limits, NULL);
	const struct bpg_submit_limit *sl = &cfg->submit_limit;

	ck_assert(sl->per_user.present);
	ck_assert(sl->per_user.rate == 1.0);
	ck_assert_int_eq(sl->per_user.burst, 3);
	ck_assert(sl->per_queue.present);
	ck_assert(sl->per_queue.rate == 2.0);
	ck_assert_int_eq(sl->per_queue.burst, 5);
	ck_assert(sl->exempt_admins);
	ck_assert_uint_eq(sl->exempt_users.n, 1);
	ck_assert(!cfg->queues[0].submit_rate.present);
	ck_assert(cfg->queues[2].submit_rate.present);
	ck_assert(cfg->queues[2].submit_rate.rate == 100.0);
	bpg_config_free(cfg);

	/* Absent: no limit; present without values: the defaults. */
	cfg = tu_config("{}", NULL);
	ck_assert(!cfg->submit_limit.per_user.present);
	ck_assert(!cfg->submit_limit.per_queue.present);
	ck_assert(!cfg->submit_limit.exempt_admins);
	bpg_config_free(cfg);
	cfg = tu_config("submitRateLimit: {perUser: {}}\n", NULL);
	ck_assert(cfg->submit_limit.per_user.present);
	ck_assert(cfg->submit_limit.per_user.rate == 5.0);
	ck_assert_int_eq(cfg->submit_limit.per_user.burst, 20);
	ck_assert(!cfg->submit_limit.per_queue.present);
	bpg_config_free(cfg);
}
END_TEST

/* Values out of range stop the config, naming the key. */
static const struct {
	const char *yaml;
	const char *path;
} bad[] = {
	{ "submitRateLimit: {perUser: {rate: 0}}\n",
	  "submitRateLimit.perUser.rate" },
	{ "submitRateLimit: {perUser: {rate: -1}}\n",
	  "submitRateLimit.perUser.rate" },
	{ "submitRateLimit: {perQueue: {rate: 2000000}}\n",
	  "submitRateLimit.perQueue.rate" },
	{ "submitRateLimit: {perQueue: {burst: 0}}\n",
	  "submitRateLimit.perQueue.burst" },
	{ "submitRateLimit: {perUser: {rate: fast}}\n",
	  "submitRateLimit.perUser.rate" },
	{ "submitRateLimit: {perUser: 5}\n", "submitRateLimit.perUser" },
	{ "queues: [{name: q, submitRateLimit: {burst: 1.5}}]\n",
	  "queues[0].submitRateLimit.burst" },
};

START_TEST(test_config_bad)
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error err;

	ck_assert_msg(bpg_config_parse(bad[_i].yaml, strlen(bad[_i].yaml),
	    &cfg, &err) == BPG_ECONFIG, "row %d parsed", _i);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strcmp(err.path, bad[_i].path) == 0, "row %d: path %s "
	    "(%s)", _i, err.path, err.msg);
}
END_TEST

/* The user's burst, then its rate; other users have their own. */
START_TEST(test_per_user)
{
	struct bpg_config *cfg = tu_config(limits, NULL);
	struct bpg_ratelimit *rl = make();
	struct bpg_errinfo ei;
	int64_t t = 10 * SEC, retry;

	ck_assert_int_eq(submit(rl, cfg, "alice", "big", t, 10), 3);
	ck_assert_int_eq(bpg_submitlimit_take(rl, cfg, "alice", "big",
	    t + 100 * MS, &retry, &ei), BPG_ERATE);
	/* 0.9 s to the next token: Retry-After rounds up. */
	ck_assert_int_eq(retry, 1);
	ck_assert_ptr_nonnull(strstr(ei.msg, "user alice"));
	ck_assert_int_eq(submit(rl, cfg, "bob", "big", t, 10), 3);
	ck_assert_int_eq(submit(rl, cfg, "alice", "big", t + SEC, 10), 1);
	bpg_config_free(cfg);
	bpg_ratelimit_free(rl);
}
END_TEST

/*
 * The queue's burst is shared by its users and its child queues; a
 * submission the queue refuses does not use the user's budget.
 */
START_TEST(test_per_queue)
{
	struct bpg_config *cfg = tu_config(limits, NULL);
	struct bpg_ratelimit *rl = make();
	struct bpg_errinfo ei;
	int64_t t = 10 * SEC, retry;

	ck_assert_int_eq(submit(rl, cfg, "u1", "dev", t, 3), 3);
	ck_assert_int_eq(submit(rl, cfg, "u2", "dev.team1", t, 3), 2);
	ck_assert_int_eq(bpg_submitlimit_take(rl, cfg, "u3", "dev.team2", t,
	    &retry, &ei), BPG_ERATE);
	ck_assert_int_eq(retry, 1);
	ck_assert_ptr_nonnull(strstr(ei.msg, "queue dev "));
	/* u3 still has its three for another queue. */
	ck_assert_int_eq(submit(rl, cfg, "u3", "poc", t, 10), 3);
	/* A slower queue: poc's 2 a second after its burst of 5. */
	ck_assert_int_eq(submit(rl, cfg, "u4", "poc", t, 10), 2);
	ck_assert_int_eq(submit(rl, cfg, "u5", "poc", t + SEC, 10), 2);
	bpg_config_free(cfg);
	bpg_ratelimit_free(rl);
}
END_TEST

START_TEST(test_exempt)
{
	struct bpg_config *cfg = tu_config(limits, NULL);
	struct bpg_ratelimit *rl = make();

	ck_assert_int_eq(submit(rl, cfg, "carol", "dev", SEC, 50), 50);
	ck_assert_int_eq(submit(rl, cfg, "airflow_system_account", "dev", SEC,
	    50), 50);
	/* They do not use the queue's budget either. */
	ck_assert_int_eq(submit(rl, cfg, "alice", "dev", SEC, 50), 3);
	bpg_config_free(cfg);

	/* Without exemptAdmins an admin is a user like any other. */
	cfg = tu_config("adminUsers: [carol]\n"
	    "submitRateLimit: {perUser: {rate: 1, burst: 2}}\n", NULL);
	ck_assert_int_eq(submit(rl, cfg, "carol", "x", 100 * SEC, 50), 2);
	bpg_config_free(cfg);
	bpg_ratelimit_free(rl);
}
END_TEST

/* No submitRateLimit: nothing is limited. */
START_TEST(test_no_limit)
{
	struct bpg_config *cfg = tu_config("{}", NULL);
	struct bpg_ratelimit *rl = make();

	ck_assert_int_eq(submit(rl, cfg, "alice", "dev", SEC, 1000), 1000);
	ck_assert_int_eq(submit(rl, cfg, "alice", NULL, SEC, 10), 10);
	bpg_config_free(cfg);
	bpg_ratelimit_free(rl);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("submitlimit");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_config_keys);
	tcase_add_loop_test(tc, test_config_bad, 0, TU_NROWS(bad));
	tcase_add_test(tc, test_per_user);
	tcase_add_test(tc, test_per_queue);
	tcase_add_test(tc, test_exempt);
	tcase_add_test(tc, test_no_limit);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
