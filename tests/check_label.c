/*
 * Label values and API times: the cases of BPG's KubernetesHelperTest and
 * DateTimeUtilsTest (bpg-reference sections 2.21, 3.3).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_label.h"
#include "testutil.h"

/* ---- normalizeLabelValue (KubernetesHelperTest) --------------------- */

static const struct {
	const char *name;
	const char *in;
	const char *out;
} label_rows[] = {
	{ "null", NULL, NULL },
	{ "empty", "", "" },
	{ "space", " ", "0" },
	{ "two_spaces", "  ", "00" },
	{ "dashes", "--", "00" },
	{ "underscores", "__", "00" },
	{ "valid_unchanged", "0aAzZ_-.9", "0aAzZ_-.9" },
	{ "first_and_last", "_0aAzZ_-.9_", "00aAzZ_-.90" },
	{ "specials", "0aAzZ_-.!@ 9", "0aAzZ_-.0009" },
	{ "63_a",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "63_a_then_1",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "cut_then_last_fixed",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0" },
	/* UTF-8: one '0' per UTF-16 unit Java would see. */
	{ "utf8_two_byte", "caf\xc3\xa9", "caf0" },
	{ "utf8_three_byte", "a\xe2\x82\xac" "b", "a0b" },
	{ "utf8_four_byte_two_units", "a\xf0\x9f\x98\x80" "b", "a00b" },
	{ "utf8_invalid_byte", "a\xff" "b", "a0b" },
	{ "utf8_truncated_sequence", "a\xe2\x82", "a00" },
	{ "utf8_overlong", "a\xc0\xaf" "b", "a00b" },
	{ "utf8_surrogate_encoded", "a\xed\xa0\x80" "b", "a000b" },
	{ "utf8_at_limit",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "\xf0\x9f\x98\x80",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa0" },
	{ "dag_name", "My DAG!", "My0DAG0" },
	{ "email", "alice@example.com", "alice0example.com" },
};

START_TEST(test_normalize_label)
{
	char *out = bpg_label_normalize(label_rows[_i].in);

	if (label_rows[_i].out == NULL) {
		ck_assert_msg(out == NULL, "row %s", label_rows[_i].name);
		return;
	}
	ck_assert_msg(out != NULL && strcmp(out, label_rows[_i].out) == 0,
	    "row %s: got \"%s\"", label_rows[_i].name, out ? out : "NULL");
	ck_assert_msg(bpg_label_value_valid(out), "row %s: not valid",
	    label_rows[_i].name);
	free(out);
}
END_TEST

/* The proxyUser label: the name when valid, else normalised. */
static const struct {
	const char *name;
	const char *in;
	const char *out;
} user_rows[] = {
	{ "null", NULL, NULL },
	{ "valid_kept", "alice", "alice" },
	{ "valid_with_specials", "a.b-c_d", "a.b-c_d" },
	{ "email", "alice@example.com", "alice0example.com" },
	{ "leading_dash", "-bob", "0bob" },
	{ "utf8", "Jos\xc3\xa9", "Jos0" },
	{ "64_long",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
};

START_TEST(test_label_user)
{
	char *out = bpg_label_user(user_rows[_i].in);

	if (user_rows[_i].out == NULL) {
		ck_assert_msg(out == NULL, "row %s", user_rows[_i].name);
		return;
	}
	ck_assert_msg(out != NULL && strcmp(out, user_rows[_i].out) == 0,
	    "row %s: got \"%s\"", user_rows[_i].name, out ? out : "NULL");
	free(out);
}
END_TEST

START_TEST(test_normalize_label_random)
{
	char in[200], *out;
	unsigned seed = 1;
	int i, j, n;

	/* Any bytes give a valid label value of at most 63 bytes. */
	for (i = 0; i < 5000; i++) {
		n = (int)(rand_r(&seed) % (sizeof(in) - 1));
		for (j = 0; j < n; j++)
			in[j] = (char)(rand_r(&seed) % 255 + 1);
		in[n] = '\0';
		out = bpg_label_normalize(in);
		ck_assert_ptr_nonnull(out);
		ck_assert_uint_le(strlen(out), 63);
		ck_assert_msg(bpg_label_value_valid(out), "%s", out);
		free(out);
	}
}
END_TEST

static const struct {
	const char *name;
	const char *in;
	bool valid;
} valid_rows[] = {
	{ "null", NULL, false },
	{ "empty", "", true },
	{ "simple", "alice", true },
	{ "inner_specials", "a-b_c.d", true },
	{ "leading_dash", "-a", false },
	{ "trailing_dot", "a.", false },
	{ "at_sign", "a@b", false },
	{ "too_long",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  false },
};

START_TEST(test_label_valid)
{
	ck_assert_msg(bpg_label_value_valid(valid_rows[_i].in) ==
	    valid_rows[_i].valid, "row %s", valid_rows[_i].name);
}
END_TEST

/* ---- DateTimeUtilsTest (section 3.3) --------------------------------- */

static const struct {
	const char *name;
	const char *in;
	int64_t ms;
} time_rows[] = {
	{ "utc_Z", "2020-11-25T21:48:56Z", INT64_C(1606340936000) },
	{ "utc_z", "2020-11-25T21:48:56z", INT64_C(1606340936000) },
	{ "millis", "2020-11-25T21:48:56.123Z", INT64_C(1606340936123) },
	{ "date_only", "2020-11-25", -1 },
	{ "empty", "", -1 },
	{ "null", NULL, -1 },
	{ "micros_truncated", "2020-11-25T21:48:56.123456Z",
	  INT64_C(1606340936123) },
	{ "one_fraction_digit", "2020-11-25T21:48:56.5Z",
	  INT64_C(1606340936500) },
	{ "offset", "2020-11-25T22:48:56+01:00", INT64_C(1606340936000) },
	{ "negative_offset", "2020-11-25T20:48:56-01:00",
	  INT64_C(1606340936000) },
	{ "epoch", "1970-01-01T00:00:00Z", 0 },
	{ "leap_day", "2024-02-29T00:00:00Z", INT64_C(1709164800000) },
	{ "not_leap_day", "2023-02-29T00:00:00Z", -1 },
	{ "no_zone", "2020-11-25T21:48:56", -1 },
	{ "space_separator", "2020-11-25 21:48:56Z", -1 },
	{ "bad_month", "2020-13-25T21:48:56Z", -1 },
	{ "bad_hour", "2020-11-25T24:48:56Z", -1 },
	{ "empty_fraction", "2020-11-25T21:48:56.Z", -1 },
	{ "trailing_junk", "2020-11-25T21:48:56Zx", -1 },
	{ "before_epoch", "1969-12-31T23:59:59Z", -1 },
};

/* Every byte, first, inside and last: letters and digits anywhere, '-',
 * '_' and '.' inside only, nothing else. */
START_TEST(test_valid_every_byte)
{
	char s[4];
	int c;
	bool alnum, mid;

	for (c = 1; c < 256; c++) {
		alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
		mid = alnum || c == '-' || c == '_' || c == '.';
		ck_assert_msg(bpg_label_alnum((unsigned char)c) == alnum,
		    "byte %d", c);
		s[0] = (char)c;
		s[1] = '\0';
		ck_assert_msg(bpg_label_value_valid(s) == alnum, "byte %d", c);
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'B';
		s[3] = '\0';
		ck_assert_msg(bpg_label_value_valid(s) == mid, "byte %d", c);
		s[0] = (char)c;
		s[1] = '0';
		s[2] = '\0';
		ck_assert_msg(bpg_label_value_valid(s) == alnum, "byte %d", c);
		s[0] = 'z';
		s[1] = (char)c;
		ck_assert_msg(bpg_label_value_valid(s) == alnum, "byte %d", c);
	}
}
END_TEST

START_TEST(test_time_parse)
{
	ck_assert_msg(bpg_time_parse_ms(time_rows[_i].in) == time_rows[_i].ms,
	    "row %s: got %lld", time_rows[_i].name,
	    (long long)bpg_time_parse_ms(time_rows[_i].in));
}
END_TEST

static Suite *
label_suite(void)
{
	Suite *s = suite_create("label");
	TCase *tc = tcase_create("values");

	tcase_add_loop_test(tc, test_normalize_label, 0, TU_NROWS(label_rows));
	tcase_add_loop_test(tc, test_label_user, 0, TU_NROWS(user_rows));
	tcase_add_test(tc, test_normalize_label_random);
	tcase_add_loop_test(tc, test_label_valid, 0, TU_NROWS(valid_rows));
	tcase_add_loop_test(tc, test_time_parse, 0, TU_NROWS(time_rows));
	tcase_add_test(tc, test_valid_every_byte);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(label_suite());
}
