/* Tests for lib/bpg_name.c: Kubernetes' name rules. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_name.h"
#include "testutil.h"

static const struct {
	const char *s;
	bool label, subdomain, app;
} rows[] = {
	{ "a", true, true, true },
	{ "spark-cluster-a", true, true, true },
	{ "a--b", true, true, true },
	{ "1c01", true, true, false },		/* DNS-1035: a letter first */
	{ "0-east", true, true, false },
	{ "", false, false, false },
	{ "-a", false, false, false },
	{ "a-", false, false, false },
	{ "Abc", false, false, false },
	{ "a_b", false, false, false },
	{ "a.b", false, true, false },
	{ "a..b", false, false, false },
	{ ".a", false, false, false },
	{ "a.", false, false, false },
	{ "a.-b", false, false, false },
	{ "web.spark-apps.svc", false, true, false },
};

START_TEST(test_rows)
{
	const char *s = rows[_i].s;

	ck_assert_msg(bpg_name_label(s, strlen(s), 63) == rows[_i].label,
	    "label \"%s\"", s);
	ck_assert_msg(bpg_name_subdomain(s, strlen(s), 253) ==
	    rows[_i].subdomain, "subdomain \"%s\"", s);
	ck_assert_msg(bpg_name_app(s) == rows[_i].app, "app \"%s\"", s);
}
END_TEST

/* Every byte, first, inside and last: a-z and 0-9 anywhere, '-' inside
 * only, nothing else. */
START_TEST(test_every_byte)
{
	char s[4];
	int c;
	bool alnum, mid;

	for (c = 1; c < 256; c++) {
		alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		mid = alnum || c == '-';
		s[0] = (char)c;
		s[1] = '\0';
		ck_assert_msg(bpg_name_label(s, 1, 63) == alnum, "byte %d", c);
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'b';
		s[3] = '\0';
		ck_assert_msg(bpg_name_label(s, 3, 63) == mid, "byte %d", c);
		s[0] = (char)c;
		s[1] = 'a';
		ck_assert_msg(bpg_name_label(s, 2, 63) == alnum, "byte %d", c);
		s[0] = 'a';
		s[1] = (char)c;
		ck_assert_msg(bpg_name_label(s, 2, 63) == alnum, "byte %d", c);
	}
}
END_TEST

START_TEST(test_lengths)
{
	char s[300];

	memset(s, 'a', sizeof(s));
	ck_assert(bpg_name_label(s, 63, 63));
	ck_assert(!bpg_name_label(s, 64, 63));
	s[63] = '\0';
	ck_assert(bpg_name_app(s));
	s[63] = 'a';
	s[64] = '\0';
	ck_assert(!bpg_name_app(s));
	s[64] = 'a';
	/* A subdomain's parts may be longer than 63; the whole is capped. */
	ck_assert(bpg_name_subdomain(s, 100, 253));
	ck_assert(bpg_name_subdomain(s, 253, 253));
	ck_assert(!bpg_name_subdomain(s, 254, 253));
	/* Only n bytes are read. */
	ck_assert(bpg_name_label("ab-", 2, 63));
	ck_assert(!bpg_name_label("ab-", 3, 63));
	ck_assert(!bpg_name_app(NULL));
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("name");
	TCase *tc = tcase_create("rules");

	tcase_add_loop_test(tc, test_rows, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_every_byte);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
