/*
 * Tests of lib/bpg_breaker.c on a fake clock: the threshold of
 * consecutive failures, the cooldown, exactly one trial when half-open,
 * a trial lease that expires when its holder never reports, per-cluster
 * cells, the per-minute submission count, and one state shared by
 * processes forked after the mapping was made (a child that dies holding
 * the trial does not wedge it).
 */
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "bpg_breaker.h"
#include "testutil.h"

static const struct bpg_breaker_conf conf = { 3, 30000 };

static struct bpg_breaker *
make(void)
{
	struct bpg_breaker *b = NULL;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_breaker_new_shared(&b, &ei), BPG_OK);
	ck_assert_ptr_nonnull(b);
	return b;
}

/* The state; bpg_breaker_peek() agrees with the view on all it gives. */
static enum bpg_breaker_state
state(struct bpg_breaker *b, const char *id, int64_t now)
{
	struct bpg_breaker_view v, p;

	bpg_breaker_view(b, id, &conf, now, &v);
	memset(&p, 0x5a, sizeof(p));
	bpg_breaker_peek(b, id, &conf, now, &p);
	ck_assert_int_eq(p.state, v.state);
	ck_assert_int_eq(p.trial_in_ms, v.trial_in_ms);
	ck_assert_int_eq(p.last_ok, v.last_ok);
	ck_assert_int_eq(p.last_success_ms, v.last_success_ms);
	ck_assert_int_eq(p.consecutive_failures, v.consecutive_failures);
	ck_assert_int_eq(p.open_since_wall_ms, v.open_since_wall_ms);
	ck_assert_str_eq(p.last_error, "");
	ck_assert_int_eq(p.submissions_last_minute, 0);
	return v.state;
}

static void
failed(struct bpg_breaker *b, const char *id, int64_t now)
{
	bpg_breaker_failure(b, id, &conf, now, 1700000000000 + now, "boom");
}

START_TEST(test_threshold_opens)
{
	struct bpg_breaker *b = make();
	struct bpg_breaker_view v;
	int64_t retry = -1;

	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, 1000, 500, &retry),
	    BPG_BREAKER_ALLOW);
	ck_assert_int_eq(retry, 0);
	failed(b, "a", 1000);
	failed(b, "a", 1100);
	ck_assert_int_eq(state(b, "a", 1100), BPG_BREAKER_CLOSED);
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, 1150, 500, NULL),
	    BPG_BREAKER_ALLOW);
	failed(b, "a", 1200);
	bpg_breaker_view(b, "a", &conf, 1200, &v);
	ck_assert_int_eq(v.state, BPG_BREAKER_OPEN);
	ck_assert_int_eq(v.consecutive_failures, 3);
	ck_assert_str_eq(v.last_error, "boom");
	ck_assert_int_eq(v.last_error_wall_ms, 1700000001200);
	ck_assert_int_eq(v.open_since_wall_ms, 1700000001200);
	ck_assert_int_eq(v.trial_in_ms, 30000);
	ck_assert(!v.last_ok);
	/* Open: denied, told when the trial may go. */
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, 11200, 500,
	    &retry), BPG_BREAKER_DENY);
	ck_assert_int_eq(retry, 20000);
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, 31199, 500,
	    &retry), BPG_BREAKER_DENY);
	ck_assert_int_eq(retry, 1);
	/* A late failure of a request let through before does not prolong
	 * the cooldown. */
	failed(b, "a", 20000);
	ck_assert_int_eq(state(b, "a", 31200), BPG_BREAKER_HALF_OPEN);
	bpg_breaker_free(b);
}
END_TEST

START_TEST(test_success_resets_count)
{
	struct bpg_breaker *b = make();
	struct bpg_breaker_view v;

	failed(b, "a", 1);
	failed(b, "a", 2);
	bpg_breaker_success(b, "a", 3);
	failed(b, "a", 4);
	failed(b, "a", 5);
	bpg_breaker_view(b, "a", &conf, 5, &v);
	ck_assert_int_eq(v.state, BPG_BREAKER_CLOSED);
	ck_assert_int_eq(v.consecutive_failures, 2);
	ck_assert(!v.last_ok);
	ck_assert_int_eq(v.last_success_ms, 3);
	bpg_breaker_success(b, "a", 6);
	bpg_breaker_view(b, "a", &conf, 6, &v);
	ck_assert(v.last_ok);
	ck_assert_int_eq(v.consecutive_failures, 0);
	/* The last error is kept for show. */
	ck_assert_str_eq(v.last_error, "boom");
	bpg_breaker_free(b);
}
END_TEST

START_TEST(test_one_trial)
{
	struct bpg_breaker *b = make();
	struct bpg_breaker_view v;
	int64_t retry, t = 30000 + 100;

	failed(b, "a", 0);
	failed(b, "a", 50);
	failed(b, "a", 100);
	ck_assert_int_eq(state(b, "a", t - 1), BPG_BREAKER_OPEN);
	ck_assert_int_eq(state(b, "a", t), BPG_BREAKER_HALF_OPEN);
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, t, 2000, &retry),
	    BPG_BREAKER_TRIAL);
	ck_assert_int_eq(retry, 0);
	/* Exactly one: the others wait for the trial's lease. */
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, t + 10, 2000,
	    &retry), BPG_BREAKER_DENY);
	ck_assert_int_eq(retry, 1990);
	bpg_breaker_view(b, "a", &conf, t + 10, &v);
	ck_assert_int_eq(v.state, BPG_BREAKER_HALF_OPEN);
	ck_assert_int_eq(v.trial_in_ms, 1990);
	/* The trial fails: open again, a whole new cooldown. */
	failed(b, "a", t + 500);
	ck_assert_int_eq(state(b, "a", t + 500), BPG_BREAKER_OPEN);
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, t + 600, 2000,
	    &retry), BPG_BREAKER_DENY);
	ck_assert_int_eq(retry, 29900);
	bpg_breaker_view(b, "a", &conf, t + 600, &v);
	/* Open since the first time it opened. */
	ck_assert_int_eq(v.open_since_wall_ms, 1700000000100);
	/* Next trial succeeds: closed. */
	t += 500 + 30000;
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, t, 2000, NULL),
	    BPG_BREAKER_TRIAL);
	bpg_breaker_success(b, "a", t + 20);
	bpg_breaker_view(b, "a", &conf, t + 20, &v);
	ck_assert_int_eq(v.state, BPG_BREAKER_CLOSED);
	ck_assert_int_eq(v.consecutive_failures, 0);
	ck_assert_int_eq(v.open_since_wall_ms, 0);
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, t + 30, 2000,
	    NULL), BPG_BREAKER_ALLOW);
	bpg_breaker_free(b);
}
END_TEST

START_TEST(test_trial_lease_expires)
{
	struct bpg_breaker *b = make();
	int64_t t = 40000;

	failed(b, "a", 0);
	failed(b, "a", 0);
	failed(b, "a", 0);
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, t, 2000, NULL),
	    BPG_BREAKER_TRIAL);
	/* Its holder never reports (it died). */
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, t + 1999, 2000,
	    NULL), BPG_BREAKER_DENY);
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, t + 2000, 2000,
	    NULL), BPG_BREAKER_TRIAL);
	ck_assert_int_eq(bpg_breaker_acquire(b, "a", &conf, t + 2001, 2000,
	    NULL), BPG_BREAKER_DENY);
	bpg_breaker_free(b);
}
END_TEST

START_TEST(test_clusters_apart)
{
	struct bpg_breaker *b = make();
	struct bpg_breaker_view v;

	failed(b, "spark-a", 0);
	failed(b, "spark-a", 0);
	failed(b, "spark-a", 0);
	ck_assert_int_eq(state(b, "spark-a", 1), BPG_BREAKER_OPEN);
	ck_assert_int_eq(state(b, "spark-a-2", 1), BPG_BREAKER_CLOSED);
	ck_assert_int_eq(bpg_breaker_acquire(b, "spark-b", &conf, 1, 10, NULL),
	    BPG_BREAKER_ALLOW);
	/* Never seen: closed, nothing. */
	bpg_breaker_view(b, "never", &conf, 1, &v);
	ck_assert_int_eq(v.state, BPG_BREAKER_CLOSED);
	ck_assert_int_eq(v.consecutive_failures, 0);
	ck_assert_str_eq(v.last_error, "");
	ck_assert(!v.last_ok);
	/* No breaker, or no id: always allowed. */
	ck_assert_int_eq(bpg_breaker_acquire(NULL, "spark-a", &conf, 1, 10,
	    NULL), BPG_BREAKER_ALLOW);
	ck_assert_int_eq(bpg_breaker_acquire(b, NULL, &conf, 1, 10, NULL),
	    BPG_BREAKER_ALLOW);
	bpg_breaker_free(NULL);
	bpg_breaker_free(b);
}
END_TEST

START_TEST(test_error_text_cut)
{
	struct bpg_breaker *b = make();
	struct bpg_breaker_view v;
	char longer[BPG_BREAKER_ERRLEN * 2];

	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	bpg_breaker_failure(b, "a", &conf, 0, 0, longer);
	bpg_breaker_view(b, "a", &conf, 0, &v);
	ck_assert_uint_eq(strlen(v.last_error), BPG_BREAKER_ERRLEN - 1);
	bpg_breaker_failure(b, "a", &conf, 0, 0, NULL);
	bpg_breaker_view(b, "a", &conf, 0, &v);
	ck_assert_str_eq(v.last_error, "");
	ck_assert_str_eq(bpg_breaker_state_name(BPG_BREAKER_CLOSED), "closed");
	ck_assert_str_eq(bpg_breaker_state_name(BPG_BREAKER_OPEN), "open");
	ck_assert_str_eq(bpg_breaker_state_name(BPG_BREAKER_HALF_OPEN),
	    "half-open");
	bpg_breaker_free(b);
}
END_TEST

START_TEST(test_submissions_last_minute)
{
	struct bpg_breaker *b = make();
	struct bpg_breaker_view v;
	int64_t t0 = 1000000;
	int i;

	for (i = 0; i < 3; i++)
		bpg_breaker_count_submission(b, "a", t0);
	bpg_breaker_count_submission(b, "a", t0 + 30000);
	bpg_breaker_count_submission(b, "a", t0 + 30500);
	bpg_breaker_count_submission(b, "b", t0);
	bpg_breaker_view(b, "a", &conf, t0 + 59999, &v);
	ck_assert_int_eq(v.submissions_last_minute, 5);
	/* The second of t0 is more than a minute ago. */
	bpg_breaker_view(b, "a", &conf, t0 + 60000, &v);
	ck_assert_int_eq(v.submissions_last_minute, 2);
	/* Its slot is reused for the new second, not added to. */
	bpg_breaker_count_submission(b, "a", t0 + 60000);
	bpg_breaker_view(b, "a", &conf, t0 + 60000, &v);
	ck_assert_int_eq(v.submissions_last_minute, 3);
	bpg_breaker_view(b, "a", &conf, t0 + 200000, &v);
	ck_assert_int_eq(v.submissions_last_minute, 0);
	bpg_breaker_view(b, "b", &conf, t0, &v);
	ck_assert_int_eq(v.submissions_last_minute, 1);
	bpg_breaker_free(b);
}
END_TEST

#define NPROC 8

START_TEST(test_shared_between_processes)
{
	struct bpg_breaker *b = make();
	struct bpg_breaker_view v;
	pid_t pids[NPROC], pid;
	int i, st, trials = 0;

	/* Every child fails once and counts a submission. */
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0) {
			failed(b, "shared", 100);
			bpg_breaker_count_submission(b, "shared", 100);
			_exit(0);
		}
	}
	for (i = 0; i < NPROC; i++) {
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	bpg_breaker_view(b, "shared", &conf, 200, &v);
	ck_assert_int_eq(v.state, BPG_BREAKER_OPEN);
	ck_assert_int_eq(v.consecutive_failures, NPROC);
	ck_assert_int_eq(v.submissions_last_minute, NPROC);

	/* A child takes the trial and is killed before it reports. */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (bpg_breaker_acquire(b, "shared", &conf, 30100, 5000,
		    NULL) != BPG_BREAKER_TRIAL)
			_exit(1);
		raise(SIGKILL);
		_exit(2);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_int_eq(bpg_breaker_acquire(b, "shared", &conf, 30200, 5000,
	    NULL), BPG_BREAKER_DENY);

	/* After its lease, exactly one of several racing children gets
	 * the trial. */
	for (i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ck_assert_int_ge(pids[i], 0);
		if (pids[i] == 0)
			_exit(bpg_breaker_acquire(b, "shared", &conf, 35100,
			    5000, NULL) == BPG_BREAKER_TRIAL ? 7 : 0);
	}
	for (i = 0; i < NPROC; i++) {
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st));
		trials += WEXITSTATUS(st) == 7;
	}
	ck_assert_int_eq(trials, 1);
	bpg_breaker_free(b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("breaker");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_threshold_opens);
	tcase_add_test(tc, test_success_resets_count);
	tcase_add_test(tc, test_one_trial);
	tcase_add_test(tc, test_trial_lease_expires);
	tcase_add_test(tc, test_clusters_apart);
	tcase_add_test(tc, test_error_text_cut);
	tcase_add_test(tc, test_submissions_last_minute);
	tcase_add_test(tc, test_shared_between_processes);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
