/*
 * Tests of lib/bpg_ratelimit.c: BPG's 20 per second with a burst of 20
 * on a fake clock, independent buckets, and one budget shared by
 * processes forked after the buckets were made.
 */
#include <sys/wait.h>

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>

#include "bpg_ratelimit.h"
#include "testutil.h"

#define MS 1000000LL
#define SEC 1000000000LL

static struct bpg_ratelimit *
make(unsigned int rate, unsigned int burst)
{
	struct bpg_ratelimit *rl = NULL;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_ratelimit_new_shared(rate, burst, &rl, &ei),
	    BPG_OK);
	return rl;
}

/* Tokens taken from bucket b at time t, trying n times. */
static int
take(struct bpg_ratelimit *rl, enum bpg_ratelimit_bucket b, int64_t t, int n)
{
	int got = 0;

	while (n-- > 0)
		got += bpg_ratelimit_try(rl, b, t);
	return got;
}

START_TEST(test_burst_then_rate)
{
	struct bpg_ratelimit *rl = make(BPG_RATELIMIT_RATE,
	    BPG_RATELIMIT_BURST);
	int64_t t = 1000 * SEC;

	/* A full bucket: 20 at once, not 21. */
	ck_assert_int_eq(take(rl, BPG_RATELIMIT_MY_SUBMISSIONS, t, 25), 20);
	/* One token comes back every 50 ms. */
	ck_assert_int_eq(take(rl, BPG_RATELIMIT_MY_SUBMISSIONS, t + 49 * MS,
	    5), 0);
	ck_assert_int_eq(take(rl, BPG_RATELIMIT_MY_SUBMISSIONS, t + 50 * MS,
	    5), 1);
	ck_assert_int_eq(take(rl, BPG_RATELIMIT_MY_SUBMISSIONS, t + 200 * MS,
	    5), 3);
	/* After a second of rest it is full again, never fuller. */
	ck_assert_int_eq(take(rl, BPG_RATELIMIT_MY_SUBMISSIONS, t + 10 * SEC,
	    100), 20);
	bpg_ratelimit_free(rl);
}
END_TEST

START_TEST(test_steady_rate)
{
	struct bpg_ratelimit *rl = make(20, 20);
	int64_t t = 0;
	int got = 0, i;

	/* 100 tries per second for 10 s: the burst, then 20 per second. */
	for (i = 0; i < 1000; i++, t += 10 * MS)
		got += bpg_ratelimit_try(rl, BPG_RATELIMIT_SUBMISSIONS, t);
	ck_assert_int_ge(got, 20 + 199);
	ck_assert_int_le(got, 20 + 200);
	bpg_ratelimit_free(rl);
}
END_TEST

START_TEST(test_buckets_are_separate)
{
	struct bpg_ratelimit *rl = make(20, 20);

	ck_assert_int_eq(take(rl, BPG_RATELIMIT_MY_SUBMISSIONS, 0, 30), 20);
	ck_assert_int_eq(take(rl, BPG_RATELIMIT_SUBMISSIONS, 0, 30), 20);
	ck_assert(!bpg_ratelimit_try(rl, BPG_RATELIMIT__MAX, 0));
	ck_assert(!bpg_ratelimit_try(rl, (enum bpg_ratelimit_bucket)-1, 0));
	bpg_ratelimit_free(rl);
}
END_TEST

/* Eight processes race for one bucket: 20 tokens in all. */
START_TEST(test_shared_between_processes)
{
	struct bpg_ratelimit *rl = make(20, 20);
	pid_t pids[8];
	int i, status, total = 0;

	for (i = 0; i < 8; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(take(rl, BPG_RATELIMIT_MY_SUBMISSIONS, 5 * SEC,
			    1000));
	}
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status));
		total += WEXITSTATUS(status);
	}
	ck_assert_int_eq(total, 20);
	/* The parent sees what the children took. */
	ck_assert(!bpg_ratelimit_try(rl, BPG_RATELIMIT_MY_SUBMISSIONS, 5 * SEC));
	bpg_ratelimit_free(rl);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct bpg_ratelimit *rl = NULL;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_ratelimit_new_shared(0, 20, &rl, &ei),
	    BPG_EINVAL);
	ck_assert_ptr_null(rl);
	ck_assert_int_eq(bpg_ratelimit_new_shared(20, 0, &rl, &ei),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_ratelimit_new_shared(2000000, 1, &rl, &ei),
	    BPG_EINVAL);
	bpg_ratelimit_free(NULL);
	ck_assert_int_gt(bpg_ratelimit_now(), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_burst_then_rate);
	tcase_add_test(tc, test_steady_rate);
	tcase_add_test(tc, test_buckets_are_separate);
	tcase_add_test(tc, test_shared_between_processes);
	tcase_add_test(tc, test_bad_arguments);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
