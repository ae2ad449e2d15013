/* Tests for lib/bpg_pids.c: the supervisor's set of draining workers. */
#include <check.h>

#include "bpg_limits.h"
#include "bpg_pids.h"
#include "testutil.h"

/* Far more than the 2 * BPG_MAX_WORKERS slots the set replaced held: a
 * reload after reload while old workers still serve long requests. */
#define MANY (8 * BPG_MAX_WORKERS + 3)

START_TEST(test_many)
{
	struct bpg_pids s = { 0 };
	pid_t p;

	for (p = 1; p <= MANY; p++)
		ck_assert_int_eq(bpg_pids_add(&s, p), BPG_OK);
	ck_assert_uint_eq(s.n, MANY);
	for (p = 1; p <= MANY; p++)
		ck_assert_msg(bpg_pids_has(&s, p), "pid %d lost", (int)p);
	/* Every one can be removed, once. */
	for (p = 1; p <= MANY; p += 2)
		ck_assert(bpg_pids_remove(&s, p));
	for (p = 1; p <= MANY; p++)
		ck_assert(bpg_pids_has(&s, p) == (p % 2 == 0));
	ck_assert(!bpg_pids_remove(&s, 1));
	ck_assert_uint_eq(s.n, MANY / 2);
	bpg_pids_free(&s);
	ck_assert_uint_eq(s.n, 0);
	ck_assert(!bpg_pids_has(&s, 2));
	bpg_pids_free(NULL);
}
END_TEST

START_TEST(test_edges)
{
	struct bpg_pids s = { 0 };

	/* fork()'s -1 and kill()'s 0 (the process group) are no workers. */
	ck_assert_int_eq(bpg_pids_add(&s, -1), BPG_EINVAL);
	ck_assert_int_eq(bpg_pids_add(&s, 0), BPG_EINVAL);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(bpg_pids_add(&s, 42), BPG_OK);
	ck_assert_int_eq(bpg_pids_add(&s, 42), BPG_OK);
	ck_assert_uint_eq(s.n, 1);
	ck_assert(!bpg_pids_remove(&s, 7));
	ck_assert(bpg_pids_remove(&s, 42));
	ck_assert_uint_eq(s.n, 0);
	bpg_pids_free(&s);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("pids");
	TCase *tc = tcase_create("set");

	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_edges);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
