/*
 * Tests for lib/bpg_lease.c: the leader lease's decisions on an injected
 * monotonic clock (every time is passed in).
 */
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "bpg_lease.h"
#include "testutil.h"

/* The defaults: 15 s, renewed every 5 s, a margin of 3 s. */
static void
lease_default(struct bpg_lease *l, long long now)
{
	bpg_lease_init(l, BPG_LEASE_DEFAULT_MS, BPG_LEASE_DEFAULT_RENEW_MS, now);
}

START_TEST(test_init)
{
	struct bpg_lease l;

	lease_default(&l, 1000);
	ck_assert(!l.held);
	ck_assert(!bpg_lease_valid(&l, 1000));
	ck_assert(bpg_lease_due(&l, 1000));
	ck_assert_int_eq(l.margin_ms, 3000);
}
END_TEST

/*
 * The deadline counts from before the request was sent, less the margin,
 * however late the answer came.
 */
START_TEST(test_granted_deadline)
{
	struct bpg_lease l;

	lease_default(&l, 0);
	/* Sent at 1000, answered at 4000. */
	bpg_lease_granted(&l, 1000, 7);
	ck_assert(l.held);
	ck_assert_int_eq(l.token, 7);
	ck_assert(bpg_lease_valid(&l, 4000));
	ck_assert(bpg_lease_valid(&l, 1000 + 15000 - 3000 - 1));
	ck_assert(!bpg_lease_valid(&l, 1000 + 15000 - 3000));
	ck_assert(!bpg_lease_valid(&l, 1000 + 15000));
	/* Renewal due renew_ms after the send. */
	ck_assert(!bpg_lease_due(&l, 1000 + 5000 - 1));
	ck_assert(bpg_lease_due(&l, 1000 + 5000));
}
END_TEST

/* Renewed in time: the deadline moves on; not renewed: it stands. */
START_TEST(test_renewals)
{
	struct bpg_lease l;
	long long t;

	lease_default(&l, 0);
	bpg_lease_granted(&l, 0, 1);
	for (t = 5000; t <= 60000; t += 5000) {
		ck_assert(bpg_lease_due(&l, t));
		ck_assert(bpg_lease_valid(&l, t));
		bpg_lease_granted(&l, t, 1);
	}
	ck_assert_int_eq(l.deadline_ms, 60000 + 12000);
	/* The database stops answering at 65000: retries, then stops. */
	for (t = 65000; t < 72000; t += 100)
		if (bpg_lease_due(&l, t)) {
			ck_assert(bpg_lease_valid(&l, t));
			bpg_lease_failed(&l, t);
			ck_assert_msg(l.next_ms > t, "no progress at %lld", t);
		}
	ck_assert(l.held);
	ck_assert(!bpg_lease_valid(&l, 72000));
	ck_assert(!bpg_lease_valid(&l, 1000000));
}
END_TEST

/* A failed renewal still tries once more before the deadline. */
START_TEST(test_failed_retry_before_deadline)
{
	struct bpg_lease l;

	bpg_lease_init(&l, 2000, 500, 0);
	bpg_lease_granted(&l, 0, 3);
	ck_assert_int_eq(l.deadline_ms, 2000 - 400);
	bpg_lease_failed(&l, 1500);
	ck_assert_int_gt(l.next_ms, 1500);
	ck_assert_int_lt(l.next_ms, l.deadline_ms);
	/* A standby's failure waits for the renewal interval. */
	bpg_lease_init(&l, 2000, 500, 0);
	bpg_lease_failed(&l, 100);
	ck_assert(!l.held);
	ck_assert_int_eq(l.next_ms, 600);
}
END_TEST

/* Refused: not valid from that instant, whatever the old deadline. */
START_TEST(test_refused)
{
	struct bpg_lease l;

	lease_default(&l, 0);
	bpg_lease_granted(&l, 0, 4);
	ck_assert(bpg_lease_valid(&l, 100));
	bpg_lease_refused(&l, 100);
	ck_assert(!l.held);
	ck_assert(!bpg_lease_valid(&l, 100));
	ck_assert(!bpg_lease_due(&l, 100 + 5000 - 1));
	ck_assert(bpg_lease_due(&l, 100 + 5000));
	bpg_lease_granted(&l, 5100, 9);
	ck_assert(bpg_lease_valid(&l, 5100));
	bpg_lease_drop(&l, 6000);
	ck_assert(!bpg_lease_valid(&l, 6000));
	ck_assert(bpg_lease_due(&l, 6000));
}
END_TEST

static const struct check_row {
	long long duration, renew;
	enum bpg_err want;
} checks[] = {
	{ 15000, 5000, BPG_OK },
	{ 2000, 800, BPG_OK }, /* acts 1600 ms: renew at most 800 */
	{ 2000, 801, BPG_EINVAL },
	{ 1999, 500, BPG_EINVAL },
	{ 600000, 240000, BPG_OK },
	{ 600001, 5000, BPG_EINVAL },
	{ 15000, 199, BPG_EINVAL },
	{ 15000, 6001, BPG_EINVAL },
	{ 15000, 15000, BPG_EINVAL },
};

START_TEST(test_check)
{
	const struct check_row *r = &checks[_i];
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_lease_check(r->duration, r->renew, &ei) == r->want,
	    "row %d (%lld, %lld): %s", _i, r->duration, r->renew, ei.msg);
	if (r->want != BPG_OK)
		ck_assert(ei.msg[0] != '\0');
}
END_TEST

static Suite *
lease_suite(void)
{
	Suite *s = suite_create("lease");
	TCase *tc = tcase_create("decisions");

	tcase_add_test(tc, test_init);
	tcase_add_test(tc, test_granted_deadline);
	tcase_add_test(tc, test_renewals);
	tcase_add_test(tc, test_failed_retry_before_deadline);
	tcase_add_test(tc, test_refused);
	tcase_add_loop_test(tc, test_check, 0, TU_NROWS(checks));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(lease_suite());
}
