/* Tests for lib/bpg_num.c: whole numbers as Java's parseInt/parseLong. */
#include <stdint.h>

#include <check.h>

#include "bpg_num.h"
#include "testutil.h"

START_TEST(test_long)
{
	int64_t v = 7;

	ck_assert(bpg_parse_long("0", &v) && v == 0);
	ck_assert(bpg_parse_long("+42", &v) && v == 42);
	ck_assert(bpg_parse_long("-42", &v) && v == -42);
	ck_assert(bpg_parse_long("007", &v) && v == 7);
	ck_assert(bpg_parse_long("9223372036854775807", &v) &&
	    v == INT64_MAX);
	ck_assert(bpg_parse_long("-9223372036854775808", &v) &&
	    v == INT64_MIN);
	v = 5;
	ck_assert(!bpg_parse_long("9223372036854775808", &v));
	ck_assert(!bpg_parse_long("-9223372036854775809", &v));
	ck_assert(!bpg_parse_long("99999999999999999999999", &v));
	ck_assert(!bpg_parse_long("", &v));
	ck_assert(!bpg_parse_long("-", &v));
	ck_assert(!bpg_parse_long("+", &v));
	ck_assert(!bpg_parse_long(" 1", &v));
	ck_assert(!bpg_parse_long("1 ", &v));
	ck_assert(!bpg_parse_long("1.0", &v));
	ck_assert(!bpg_parse_long("0x10", &v));
	ck_assert(!bpg_parse_long("--1", &v));
	ck_assert(!bpg_parse_long(NULL, &v));
	ck_assert_int_eq(v, 5); /* untouched on failure */
}
END_TEST

START_TEST(test_int)
{
	int64_t v = 3;

	ck_assert(bpg_parse_int("2147483647", &v) && v == INT32_MAX);
	ck_assert(bpg_parse_int("-2147483648", &v) && v == INT32_MIN);
	ck_assert(bpg_parse_int("+12", &v) && v == 12);
	v = 3;
	ck_assert(!bpg_parse_int("2147483648", &v));
	ck_assert(!bpg_parse_int("-2147483649", &v));
	ck_assert(!bpg_parse_int("9223372036854775807", &v));
	ck_assert(!bpg_parse_int("1e3", &v));
	ck_assert(!bpg_parse_int("", &v));
	ck_assert_int_eq(v, 3);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("num");
	TCase *tc = tcase_create("num");

	tcase_add_test(tc, test_long);
	tcase_add_test(tc, test_int);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
