/* The zone pickers: the cases of BPG's ZoneManagerTest (section 2.9). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_config.h"
#include "bpg_zones.h"
#include "testutil.h"

#define L(csv) tu_strlist(csv)

/* A queue with the config's defaults; the test sets its zones. */
static void
queue_defaults(struct bpg_queue *q, const char *name)
{
	memset(q, 0, sizeof(*q));
	q->name = tu_str(name);
}

START_TEST(test_zone_manager)
{
	struct bpg_zones *z;
	struct bpg_queue q1, q2, none, empty, bad;
	struct bpg_errinfo ei;
	const char *zone = "x";

	ck_assert_int_eq(bpg_zones_new(&z), BPG_OK);
	queue_defaults(&none, "none");
	ck_assert_ptr_null(bpg_zones_pick(z, &none));
	ck_assert_ptr_null(bpg_zones_pick(z, NULL));
	queue_defaults(&empty, "empty");
	empty.allowed_zones = L("");
	ck_assert_ptr_null(bpg_zones_pick(z, &empty));
	queue_defaults(&bad, "bad");
	bad.allowed_zones = L("ZoneA,x");
	bad.allowed_zones.v[1][0] = '\0';
	ck_assert_int_eq(bpg_zones_next(z, &bad, &zone, &ei), BPG_ECONFIG);
	ck_assert_ptr_null(zone);
	ck_assert_str_eq(ei.msg, "Invalid allowedZones: Some zone is empty");
	bad.allowed_zones.v[1] = NULL;
	ck_assert_int_eq(bpg_zones_next(z, &bad, &zone, &ei), BPG_ECONFIG);
	bad.allowed_zones.v[1] = bad.allowed_zones.v[0];

	queue_defaults(&q1, "q1");
	q1.allowed_zones = L("ZoneA");
	ck_assert_str_eq(bpg_zones_pick(z, &q1), "ZoneA");
	ck_assert_str_eq(bpg_zones_pick(z, &q1), "ZoneA");
	q1.allowed_zones = L("ZoneA,ZoneB");
	queue_defaults(&q1, "q1b");
	q1.allowed_zones = L("ZoneA,ZoneB");
	ck_assert_str_eq(bpg_zones_pick(z, &q1), "ZoneA");
	ck_assert_str_eq(bpg_zones_pick(z, &q1), "ZoneB");
	ck_assert_str_eq(bpg_zones_pick(z, &q1), "ZoneA");
	bpg_zones_free(z);

	/* Independent counters per queue. */
	ck_assert_int_eq(bpg_zones_new(&z), BPG_OK);
	queue_defaults(&q1, "q1");
	q1.allowed_zones = L("A,B");
	queue_defaults(&q2, "q2");
	q2.allowed_zones = L("C,D");
	ck_assert_str_eq(bpg_zones_pick(z, &q1), "A");
	ck_assert_str_eq(bpg_zones_pick(z, &q2), "C");
	ck_assert_str_eq(bpg_zones_pick(z, &q2), "D");
	ck_assert_str_eq(bpg_zones_pick(z, &q1), "B");
	bpg_zones_free(z);
	bpg_zones_free(NULL);
}
END_TEST

START_TEST(test_zone_manager_many_queues)
{
	struct bpg_zones *z;
	struct bpg_queue q;
	char name[16];
	int i;

	/* The counter table grows. */
	ck_assert_int_eq(bpg_zones_new(&z), BPG_OK);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "q%d", i);
		queue_defaults(&q, name);
		q.allowed_zones = L("A,B");
		ck_assert_str_eq(bpg_zones_pick(z, &q), "A");
	}
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "q%d", i);
		queue_defaults(&q, name);
		q.allowed_zones = L("A,B");
		ck_assert_str_eq(bpg_zones_pick(z, &q), "B");
	}
	bpg_zones_free(z);
}
END_TEST

static Suite *
zones_suite(void)
{
	Suite *s = suite_create("zones");
	TCase *tc = tcase_create("zones");

	tcase_add_checked_fixture(tc, NULL, tu_arena_free);

	tcase_add_test(tc, test_zone_manager);
	tcase_add_test(tc, test_zone_manager_many_queues);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(zones_suite());
}
