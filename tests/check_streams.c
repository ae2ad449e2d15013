/*
 * Tests of lib/bpg_streams.c: the gateway-wide and per-user limits on
 * stream slots, slots shared by processes forked after the table was
 * made, freed by their holder or by the reaper of a dead one, and the
 * low-speed rule.
 */
#include <sys/wait.h>

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>

#include "bpg_streams.h"
#include "testutil.h"

static struct bpg_streams *
make(unsigned int n)
{
	struct bpg_streams *st = NULL;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_streams_new_shared(n, &st, &ei), BPG_OK);
	return st;
}

START_TEST(test_total_and_per_user)
{
	struct bpg_streams *st = make(16);

	/* Per user 2, in all 3. */
	ck_assert(bpg_streams_take(st, 101, "alice", 3, 2));
	ck_assert(bpg_streams_take(st, 102, "alice", 3, 2));
	ck_assert(!bpg_streams_take(st, 103, "alice", 3, 2));
	ck_assert_uint_eq(bpg_streams_count(st, "alice"), 2);
	ck_assert(bpg_streams_take(st, 104, "bob", 3, 2));
	ck_assert(!bpg_streams_take(st, 105, "carol", 3, 2));
	ck_assert_uint_eq(bpg_streams_count(st, NULL), 3);
	/* A refusal leaves nothing behind. */
	ck_assert_uint_eq(bpg_streams_count(st, "carol"), 0);
	/* Released: room again, for anyone. */
	bpg_streams_release(st, 101);
	ck_assert_uint_eq(bpg_streams_count(st, "alice"), 1);
	ck_assert(bpg_streams_take(st, 105, "carol", 3, 2));
	ck_assert(!bpg_streams_take(st, 106, "alice", 3, 2));
	/* Releasing what one does not hold changes nothing. */
	bpg_streams_release(st, 999);
	ck_assert_uint_eq(bpg_streams_count(st, NULL), 3);
	bpg_streams_free(st);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct bpg_streams *st = NULL;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_streams_new_shared(0, &st, &ei), BPG_EINVAL);
	ck_assert_ptr_null(st);
	ck_assert_int_eq(bpg_streams_new_shared(70000, &st, &ei), BPG_EINVAL);
	st = make(2);
	ck_assert(!bpg_streams_take(st, 0, "alice", 2, 2));
	ck_assert(!bpg_streams_take(st, -1, "alice", 2, 2));
	ck_assert(!bpg_streams_take(st, 7, NULL, 2, 2));
	ck_assert(!bpg_streams_take(st, 7, "alice", 0, 2));
	ck_assert(!bpg_streams_take(st, 7, "alice", 2, 0));
	/* Every slot in use: refused, whatever the limits say. */
	ck_assert(bpg_streams_take(st, 7, "a", 100, 100));
	ck_assert(bpg_streams_take(st, 8, "b", 100, 100));
	ck_assert(!bpg_streams_take(st, 9, "c", 100, 100));
	bpg_streams_free(st);
	bpg_streams_free(NULL);
}
END_TEST

/* A worker that dies holding a slot: its reaper frees it. */
START_TEST(test_reap_dead_holder)
{
	struct bpg_streams *st = make(8);
	pid_t pid;
	int status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(bpg_streams_take(st, getpid(), "alice", 1, 1) ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The parent sees the child's slot, which blocks everyone. */
	ck_assert_uint_eq(bpg_streams_count(st, "alice"), 1);
	ck_assert(!bpg_streams_take(st, getpid(), "bob", 1, 1));
	ck_assert_uint_eq(bpg_streams_reap(st, pid), 1);
	ck_assert_uint_eq(bpg_streams_reap(st, pid), 0);
	ck_assert(bpg_streams_take(st, getpid(), "bob", 1, 1));
	bpg_streams_free(st);
}
END_TEST

/* Sixteen processes race for 3 places: never more than 3 admitted. */
START_TEST(test_race_never_over_admits)
{
	struct bpg_streams *st = make(64);
	int pipefd[2], i, status, got = 0;
	pid_t pids[16];
	char go = 0;

	ck_assert_int_eq(pipe(pipefd), 0);
	for (i = 0; i < 16; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			close(pipefd[1]);
			/* All start together, when the pipe closes. */
			if (read(pipefd[0], &go, 1) < 0)
				_exit(2);
			_exit(bpg_streams_take(st, getpid(), i % 2 ? "a" : "b",
			    3, 16) ? 1 : 0);
		}
	}
	close(pipefd[0]);
	close(pipefd[1]);
	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(waitpid(pids[i], &status, 0), pids[i]);
		ck_assert(WIFEXITED(status));
		got += WEXITSTATUS(status);
	}
	ck_assert_int_le(got, 3);
	ck_assert_uint_eq(bpg_streams_count(st, NULL), (unsigned int)got);
	bpg_streams_free(st);
}
END_TEST

START_TEST(test_total_for)
{
	static const struct {
		unsigned int workers;
		double share;
		unsigned int want;
	} rows[] = {
		{ 4, 0.5, 2 }, { 5, 0.5, 2 }, { 8, 0.25, 2 }, { 4, 1.0, 3 },
		{ 1, 0.5, 1 }, { 1, 1.0, 1 }, { 2, 0.1, 1 }, { 10, 0.99, 9 },
		{ 0, 0.5, 1 }, { 4, 7.0, 3 }, { 4, -1.0, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		ck_assert_msg(bpg_streams_total_for(rows[i].workers,
		    rows[i].share) == rows[i].want, "row %zu", i);
}
END_TEST

START_TEST(test_lowspeed)
{
	struct bpg_lowspeed ls;

	/* 100 bytes a second over 10 s: 1000 bytes a window. */
	bpg_lowspeed_start(&ls, 100, 10000, 5000, 0);
	ck_assert(!bpg_lowspeed_slow(&ls, 5000, 0));
	ck_assert(!bpg_lowspeed_slow(&ls, 14999, 10));	/* not a window yet */
	ck_assert(!bpg_lowspeed_slow(&ls, 15000, 1000)); /* enough: next */
	ck_assert(!bpg_lowspeed_slow(&ls, 20000, 1000));
	ck_assert(!bpg_lowspeed_slow(&ls, 24999, 1000));
	ck_assert(bpg_lowspeed_slow(&ls, 25000, 1999));	/* 999 < 1000 */
	/* A stall of the whole window after a fast start. */
	bpg_lowspeed_start(&ls, 1, 3000, 0, 0);
	ck_assert(!bpg_lowspeed_slow(&ls, 3000, 1 << 20));
	ck_assert(bpg_lowspeed_slow(&ls, 6000, 1 << 20));
	/* limit 0: never. */
	bpg_lowspeed_start(&ls, 0, 1000, 0, 0);
	ck_assert(!bpg_lowspeed_slow(&ls, 1000000, 0));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("streams");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_total_and_per_user);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_reap_dead_holder);
	tcase_add_test(tc, test_race_never_over_admits);
	tcase_add_test(tc, test_total_for);
	tcase_add_test(tc, test_lowspeed);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
