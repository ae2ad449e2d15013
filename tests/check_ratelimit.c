/*
 * Tests of lib/bpg_ratelimit.c: BPG's 20 per second with a burst of 20
 * on a fake clock, independent buckets, and one budget shared by
 * processes forked after the buckets were made.
 */
#include <sys/wait.h>

#include <math.h>
#include <stdio.h>
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

/* Tokens taken from the cell of (kind, key) at time t, trying n times. */
static int
take_key(struct bpg_ratelimit *rl, enum bpg_ratelimit_kind kind,
    const char *key, const struct bpg_ratelimit_rate *r, int64_t t, int n)
{
	int got = 0;

	while (n-- > 0)
		got += bpg_ratelimit_try_key(rl, kind, key, r, t, NULL);
	return got;
}

/* 5 a second with a burst of 20, per key; Retry-After's exact wait. */
START_TEST(test_key_burst_then_rate)
{
	struct bpg_ratelimit *rl = make(20, 20);
	struct bpg_ratelimit_rate r = { 5, 20 };
	int64_t t = 1000 * SEC, wait = -1;

	ck_assert_int_eq(take_key(rl, BPG_RATELIMIT_USER, "alice", &r, t, 30),
	    20);
	ck_assert(!bpg_ratelimit_try_key(rl, BPG_RATELIMIT_USER, "alice", &r,
	    t + 50 * MS, &wait));
	ck_assert_int_eq(wait, 150 * MS);
	ck_assert(bpg_ratelimit_try_key(rl, BPG_RATELIMIT_USER, "alice", &r,
	    t + 200 * MS, &wait));
	/* Other keys, and a queue named as the user, have their own. */
	ck_assert_int_eq(take_key(rl, BPG_RATELIMIT_USER, "bob", &r, t, 30),
	    20);
	ck_assert_int_eq(take_key(rl, BPG_RATELIMIT_QUEUE, "alice", &r, t, 30),
	    20);
	/* The list buckets are untouched. */
	ck_assert_int_eq(take(rl, BPG_RATELIMIT_SUBMISSIONS, t, 30), 20);
	/* The rate is the caller's: a slower one waits longer. */
	r.rate = 0.5;
	r.burst = 1;
	ck_assert(!bpg_ratelimit_try_key(rl, BPG_RATELIMIT_USER, "bob", &r,
	    t, &wait));
	ck_assert_int_eq(wait, 4 * SEC);
	bpg_ratelimit_free(rl);
}
END_TEST

/* A refund gives back exactly one token. */
START_TEST(test_key_refund)
{
	struct bpg_ratelimit *rl = make(20, 20);
	struct bpg_ratelimit_rate r = { 1, 3 };

	ck_assert_int_eq(take_key(rl, BPG_RATELIMIT_QUEUE, "dev", &r, SEC, 9),
	    3);
	bpg_ratelimit_refund_key(rl, BPG_RATELIMIT_QUEUE, "dev", &r);
	ck_assert_int_eq(take_key(rl, BPG_RATELIMIT_QUEUE, "dev", &r, SEC, 9),
	    1);
	/* No cell: nothing happens to other keys. */
	bpg_ratelimit_refund_key(rl, BPG_RATELIMIT_QUEUE, "none", &r);
	ck_assert_int_eq(take_key(rl, BPG_RATELIMIT_QUEUE, "dev", &r, SEC, 9),
	    0);
	bpg_ratelimit_free(rl);
}
END_TEST

/*
 * More busy keys than cells: the keys without one share the overflow
 * cell (a fresh key is refused at once when it is spent), and get cells
 * of their own again once the others' buckets are full.
 */
START_TEST(test_key_table_full)
{
	struct bpg_ratelimit *rl = make(20, 20);
	struct bpg_ratelimit_rate busy = { 1, 2 }, r = { 1, 5 };
	int64_t t = 100 * SEC;
	char key[32];
	int i, x;

	/* Four keys a cell: every probe sequence is taken. */
	for (i = 0; i < 4 * BPG_RATELIMIT_CELLS; i++) {
		snprintf(key, sizeof(key), "user-%d", i);
		bpg_ratelimit_try_key(rl, BPG_RATELIMIT_USER, key, &busy, t,
		    NULL);
	}
	x = take_key(rl, BPG_RATELIMIT_USER, "x", &r, t, 10);
	ck_assert_int_le(x, 5);
	ck_assert_int_eq(take_key(rl, BPG_RATELIMIT_USER, "y", &r, t, 10), 0);
	/* Queues have an overflow cell of their own. */
	ck_assert_int_ge(take_key(rl, BPG_RATELIMIT_QUEUE, "q", &r, t, 10), 1);
	/* Past the busy keys' 1 s, their cells are idle: y gets one. */
	ck_assert_int_eq(take_key(rl, BPG_RATELIMIT_USER, "y", &r, t + 3 * SEC,
	    10), 5);
	bpg_ratelimit_free(rl);
}
END_TEST

/* Eight processes race for the cells of new keys: one budget a key. */
START_TEST(test_key_shared_between_processes)
{
	struct bpg_ratelimit *rl = make(20, 20);
	struct bpg_ratelimit_rate r = { 10, 20 };
	pid_t pids[8];
	int i, status, total = 0;

	for (i = 0; i < 8; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(take_key(rl, BPG_RATELIMIT_USER, "carol", &r,
			    5 * SEC, 1000));
	}
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status));
		total += WEXITSTATUS(status);
	}
	/* Two processes making carol's cell at once may give one more. */
	ck_assert_int_ge(total, 20);
	ck_assert_int_le(total, 21);
	ck_assert(!bpg_ratelimit_try_key(rl, BPG_RATELIMIT_USER, "carol", &r,
	    5 * SEC, NULL));
	bpg_ratelimit_free(rl);
}
END_TEST

START_TEST(test_key_bad_arguments)
{
	struct bpg_ratelimit *rl = make(20, 20);
	static const struct bpg_ratelimit_rate bad[] = {
		{ 0, 1 }, { -1, 1 }, { 2000000, 1 }, { 1, 0 }, { 1, 2000000 },
	};
	struct bpg_ratelimit_rate r = { 1, 1 }, nan_rate = { NAN, 1 };
	int64_t wait = -1;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!bpg_ratelimit_try_key(rl, BPG_RATELIMIT_USER,
		    "u", &bad[i], SEC, &wait) && wait == 0, "row %zu", i);
	ck_assert(!bpg_ratelimit_try_key(rl, BPG_RATELIMIT_USER, "u",
	    &nan_rate, SEC, NULL));
	ck_assert(!bpg_ratelimit_try_key(rl, BPG_RATELIMIT_USER, "u", NULL,
	    SEC, NULL));
	ck_assert(!bpg_ratelimit_try_key(rl, BPG_RATELIMIT_USER, NULL, &r,
	    SEC, NULL));
	ck_assert(!bpg_ratelimit_try_key(rl, BPG_RATELIMIT_KIND__MAX, "u", &r,
	    SEC, NULL));
	/* A very slow rate does not overflow: a token every 1000 s. */
	r.rate = 1e-9;
	r.burst = 1000000;
	ck_assert(bpg_ratelimit_try_key(rl, BPG_RATELIMIT_USER, "u", &r, SEC,
	    NULL));
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
	tcase_add_test(tc, test_key_burst_then_rate);
	tcase_add_test(tc, test_key_refund);
	tcase_add_test(tc, test_key_table_full);
	tcase_add_test(tc, test_key_shared_between_processes);
	tcase_add_test(tc, test_key_bad_arguments);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
