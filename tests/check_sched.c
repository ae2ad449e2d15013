/*
 * Tests of lib/bpg_sched.c: a schedule's turn at an injected time.
 * Nothing due before next_fire; exactly the due time when on time; after
 * a downtime only the latest due time is made and the others are
 * counted missed; a deadline skips a latest time older than it; the new
 * next fire time is the first after now.
 */
#include <stdint.h>
#include <string.h>

#include <check.h>

#include "bpg_sched.h"
#include "testutil.h"

#define T0 1700000000 /* 2023-11-14T22:13:20Z */

static struct bpg_cron
cron(const char *expr)
{
	struct bpg_cron c;
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_cron_parse_n(&c, expr, strlen(expr), &ei) == BPG_OK,
	    "%s", ei.msg);
	return c;
}

static const struct row {
	const char *expr;
	int64_t next_fire, deadline, now;
	int64_t fire, next;
	size_t missed;
} rows[] = {
	/* Not due yet. */
	{ "@every 10s", T0 + 10, -1, T0 + 9, -1, T0 + 10, 0 },
	/* On time, and a little late. */
	{ "@every 10s", T0 + 10, -1, T0 + 10, T0 + 10, T0 + 20, 0 },
	{ "@every 10s", T0 + 10, 300, T0 + 15, T0 + 10, T0 + 20, 0 },
	/* Down for 35 s: one run, at the latest due time; 3 missed. */
	{ "@every 10s", T0 + 10, -1, T0 + 45, T0 + 40, T0 + 50, 3 },
	/* The latest due time is older than the deadline: none made. */
	{ "@every 10s", T0 + 10, 3, T0 + 45, -1, T0 + 50, 4 },
	/* Within the deadline. */
	{ "@every 10s", T0 + 10, 5, T0 + 45, T0 + 40, T0 + 50, 3 },
	/* Cron fields: 02:00 daily, down for three days. */
	{ "0 2 * * *", 1700013600, -1, 1700013600 + 3 * 86400 + 60,
	    1700013600 + 3 * 86400, 1700013600 + 4 * 86400, 3 },
	/* Down for two years, every minute: the latest minute; the count
	 * stops at the cap (missed_more). */
	{ "* * * * *", 1700000040, 120, 1700000040 + 2 * 31536000 + 30,
	    1700000040 + 2 * 31536000, 1700000040 + 2 * 31536000 + 60,
	    BPG_SCHED_MAX_COUNT - 1 },
};

START_TEST(test_plan)
{
	const struct row *r = &rows[_i];
	struct bpg_cron c = cron(r->expr);
	struct bpg_sched_plan p;
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_sched_plan(&c, T0, r->next_fire, r->deadline,
	    r->now, &p, &ei) == BPG_OK, "row %d: %s", _i, ei.msg);
	ck_assert_msg(p.fire == r->fire, "row %d: fire %lld, want %lld", _i,
	    (long long)p.fire, (long long)r->fire);
	ck_assert_msg(p.next == r->next, "row %d: next %lld, want %lld", _i,
	    (long long)p.next, (long long)r->next);
	ck_assert_msg(p.missed == r->missed, "row %d: missed %zu, want %zu",
	    _i, p.missed, r->missed);
	ck_assert(p.missed_more == (r->missed == BPG_SCHED_MAX_COUNT - 1));
	if (r->missed > 0)
		ck_assert_int_eq(p.first_missed, r->next_fire);
	else
		ck_assert_int_eq(p.first_missed, -1);
}
END_TEST

/* A suspended schedule (no next fire time) has nothing due. */
START_TEST(test_none)
{
	struct bpg_cron c = cron("@hourly");
	struct bpg_sched_plan p;
	struct bpg_errinfo ei = { "" };

	ck_assert_int_eq(bpg_sched_plan(&c, T0, -1, -1, T0 + 86400, &p, &ei),
	    BPG_OK);
	ck_assert_int_eq(p.fire, -1);
	ck_assert_int_eq(p.next, -1);
	ck_assert_int_eq(bpg_sched_plan(&c, T0, T0, -1, -5, &p, &ei),
	    BPG_EINVAL);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("plan");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_plan, 0,
	    (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_none);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
