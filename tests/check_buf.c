/* Tests for lib/bpg_buf.c: the growable byte buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_buf.h"
#include "testutil.h"

START_TEST(test_append)
{
	struct bpg_buf b = { NULL, 0, 0 };
	char *s;

	ck_assert_int_eq(bpg_buf_append(&b, "ab", 2, 0), BPG_OK);
	ck_assert_int_eq(bpg_buf_append(&b, "", 0, 0), BPG_OK);
	ck_assert_int_eq(bpg_buf_append(&b, "cde", 3, 0), BPG_OK);
	ck_assert_uint_eq(b.len, 5);
	ck_assert_str_eq(b.p, "abcde");
	s = bpg_buf_take(&b);
	ck_assert_str_eq(s, "abcde");
	ck_assert_ptr_null(b.p);
	ck_assert_uint_eq(b.len, 0);
	free(s);
	/* Empty: take gives an allocated "". */
	s = bpg_buf_take(&b);
	ck_assert_str_eq(s, "");
	free(s);
	bpg_buf_free(&b);
	bpg_buf_free(NULL);
}
END_TEST

/* A bound refuses the append whole and keeps what was there. */
START_TEST(test_max)
{
	struct bpg_buf b = { NULL, 0, 0 };

	ck_assert_int_eq(bpg_buf_append(&b, "abcd", 4, 6), BPG_OK);
	ck_assert_int_eq(bpg_buf_append(&b, "xyz", 3, 6), BPG_ENOMEM);
	ck_assert_str_eq(b.p, "abcd");
	ck_assert_int_eq(bpg_buf_append(&b, "xy", 2, 6), BPG_OK);
	ck_assert_str_eq(b.p, "abcdxy");
	ck_assert_int_eq(bpg_buf_append(&b, "", 0, 6), BPG_OK);
	ck_assert_int_eq(bpg_buf_append(&b, "z", SIZE_MAX, 0), BPG_ENOMEM);
	bpg_buf_free(&b);
}
END_TEST

/*
 * Growth is geometric: a million one-byte appends reallocate about
 * log2(1e6) times, not a million (counted through the capacity changes,
 * not timed).
 */
START_TEST(test_geometric)
{
	struct bpg_buf b = { NULL, 0, 0 };
	size_t i, grows = 0, cap = 0;

	for (i = 0; i < 1000000; i++) {
		ck_assert_int_eq(bpg_buf_append(&b, "x", 1, 0), BPG_OK);
		if (b.cap != cap) {
			grows++;
			cap = b.cap;
		}
	}
	ck_assert_uint_eq(b.len, 1000000);
	ck_assert_uint_le(grows, 20);
	ck_assert_int_eq(b.p[999999], 'x');
	ck_assert_int_eq(b.p[1000000], '\0');
	bpg_buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("buf");
	TCase *tc = tcase_create("buf");

	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_max);
	tcase_add_test(tc, test_geometric);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
