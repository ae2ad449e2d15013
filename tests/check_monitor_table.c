/*
 * Tests for lib/bpg_monitor_table.c: the monitor's table of the apps of
 * a namespace, shared by its tasks (lib/bpg_monitor_int.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_monitor_int.h"
#include "testutil.h"

/* Enough names to double the 64 buckets of a first growth five times. */
#define NAMES 5000

static void
name_of(char *buf, size_t size, int i)
{
	snprintf(buf, size, "app-%d", i);
}

START_TEST(test_table_empty)
{
	struct bpg_monitor_table t = { NULL, 0, 0 };
	struct bpg_monitor_entry *e;

	ck_assert_ptr_null(bpg_monitor_tab_get(&t, "a"));
	bpg_monitor_tab_clear(&t);
	ck_assert_ptr_nonnull(e = bpg_monitor_tab_add(&t, "a"));
	/* A new entry knows nothing yet. */
	ck_assert_str_eq(e->name, "a");
	ck_assert(!e->k.found);
	ck_assert(!e->tracked);
	ck_assert_int_eq(e->created_ms, -1);
	ck_assert_uint_eq(e->gen, 0);
	ck_assert_uint_eq(t.n, 1);
	ck_assert_ptr_eq(bpg_monitor_tab_get(&t, "a"), e);
	ck_assert_ptr_null(bpg_monitor_tab_get(&t, "b"));
	bpg_monitor_tab_clear(&t);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_ptr_null(bpg_monitor_tab_get(&t, "a"));
}
END_TEST

/*
 * Entries survive the table's growth with what the tasks stored in them;
 * removing some leaves the others; a cleared table is usable again.
 */
START_TEST(test_table_grow_del)
{
	struct bpg_monitor_table t = { NULL, 0, 0 };
	struct bpg_monitor_entry *e;
	char name[32];
	int i;

	for (i = 0; i < NAMES; i++) {
		name_of(name, sizeof(name), i);
		ck_assert_ptr_null(bpg_monitor_tab_get(&t, name));
		ck_assert_ptr_nonnull(e = bpg_monitor_tab_add(&t, name));
		e->gen = (unsigned long)i;
		e->max_ms = i * 1000LL;
		/* Twice as many entries as buckets at most: short chains. */
		ck_assert_uint_le(t.n, 2 * t.nb);
		ck_assert_uint_eq(t.nb & (t.nb - 1), 0);
	}
	ck_assert_uint_eq(t.n, NAMES);
	for (i = 0; i < NAMES; i++) {
		name_of(name, sizeof(name), i);
		ck_assert_ptr_nonnull(e = bpg_monitor_tab_get(&t, name));
		ck_assert_str_eq(e->name, name);
		ck_assert_uint_eq(e->gen, (unsigned long)i);
		ck_assert_int_eq(e->max_ms, i * 1000LL);
	}
	for (i = 0; i < NAMES; i += 2) {
		name_of(name, sizeof(name), i);
		bpg_monitor_tab_del(&t, bpg_monitor_tab_get(&t, name));
	}
	ck_assert_uint_eq(t.n, NAMES / 2);
	for (i = 0; i < NAMES; i++) {
		name_of(name, sizeof(name), i);
		e = bpg_monitor_tab_get(&t, name);
		if (i % 2 == 0)
			ck_assert_ptr_null(e);
		else {
			ck_assert_ptr_nonnull(e);
			ck_assert_uint_eq(e->gen, (unsigned long)i);
		}
	}
	bpg_monitor_tab_clear(&t);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_uint_eq(t.nb, 0);
	ck_assert_ptr_nonnull(bpg_monitor_tab_add(&t, "again"));
	ck_assert_ptr_nonnull(bpg_monitor_tab_get(&t, "again"));
	bpg_monitor_tab_clear(&t);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("monitor_table");
	TCase *tc = tcase_create("table");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_table_empty);
	tcase_add_test(tc, test_table_grow_del);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
