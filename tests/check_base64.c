/*
 * Tests for lib/bpg_base64.c: RFC 4648 section 10 vectors, white space and
 * padding rules, rejected inputs (a named table) and round trips.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_base64.h"
#include "testutil.h"

/* RFC 4648 section 10. */
static const struct {
	const char *plain;
	const char *b64;
} rfc_vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

START_TEST(test_rfc_decode)
{
	unsigned char *out;
	size_t n;

	ck_assert_int_eq(bpg_base64_decode(rfc_vectors[_i].b64,
	    strlen(rfc_vectors[_i].b64), &out, &n), BPG_OK);
	ck_assert_uint_eq(n, strlen(rfc_vectors[_i].plain));
	ck_assert_mem_eq(out, rfc_vectors[_i].plain, n);
	ck_assert_int_eq(out[n], '\0');
	free(out);
}
END_TEST

START_TEST(test_rfc_encode)
{
	char *out;
	size_t n;

	ck_assert_int_eq(bpg_base64_encode(
	    (const unsigned char *)rfc_vectors[_i].plain,
	    strlen(rfc_vectors[_i].plain), &out, &n), BPG_OK);
	ck_assert_str_eq(out, rfc_vectors[_i].b64);
	ck_assert_uint_eq(n, strlen(out));
	free(out);
}
END_TEST

/* Accepted spellings of the same data. */
static const struct {
	const char *name;
	const char *b64;
	const char *plain;
} good[] = {
	{ "unpadded-1", "Zg", "f" },
	{ "unpadded-2", "Zm8", "fo" },
	{ "newlines", "Zm9v\nYmFy\n", "foobar" },
	{ "crlf-and-tabs", "\tZm9v\r\nYmE=\r\n", "fooba" },
	{ "spaces-inside-padding", "Zg= =", "f" },
	{ "space-after-padding", "Zm8= \n", "fo" },
	{ "only-white-space", " \n\t", "" },
	{ "trailing-bits-ignored", "Zh==", "f" },
	{ "all-alphabet", "+/+/", "\xfb\xff\xbf" },
	{ "pem-header",
	  "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
	  "-----BEGIN CERTIFICATE-----\n" },
};

START_TEST(test_good)
{
	unsigned char *out;
	size_t n;

	ck_assert_msg(bpg_base64_decode(good[_i].b64, strlen(good[_i].b64),
	    &out, &n) == BPG_OK, "row %s", good[_i].name);
	ck_assert_msg(n == strlen(good[_i].plain) &&
	    memcmp(out, good[_i].plain, n) == 0, "row %s", good[_i].name);
	free(out);
}
END_TEST

static const struct {
	const char *name;
	const char *b64;
} bad[] = {
	{ "one-char-group", "Z" },
	{ "five-chars", "Zm9vY" },
	{ "one-char-padded", "Z===" },
	{ "padding-only", "====" },
	{ "pad-after-full-group", "Zm9v=" },
	{ "too-much-padding", "Zg===" },
	{ "short-padding", "Zg=" },
	{ "data-after-padding", "Zg==Zg==" },
	{ "pad-then-char", "Zm8=A" },
	{ "url-safe-minus", "Zm-v" },
	{ "url-safe-underscore", "Zm_v" },
	{ "dot", "Zm9.v" },
	{ "nul-byte", "Zm\0v" },
	{ "high-byte", "Zm\xc3\xa9v" },
	{ "colon", "plaintext:abc" },
	{ "pem-text", "-----BEGIN CERTIFICATE-----" },
};

START_TEST(test_bad)
{
	unsigned char dummy = 0, *out = &dummy;
	size_t n = 99, len;

	/* "nul-byte" has a NUL inside: give its full length. */
	len = strcmp(bad[_i].name, "nul-byte") == 0 ? 5 : strlen(bad[_i].b64);
	ck_assert_msg(bpg_base64_decode(bad[_i].b64, len, &out, &n) ==
	    BPG_EINVAL, "row %s", bad[_i].name);
	ck_assert_msg(out == NULL && n == 0, "row %s", bad[_i].name);
}
END_TEST

START_TEST(test_null_empty)
{
	unsigned char *out;
	size_t n;

	ck_assert_int_eq(bpg_base64_decode(NULL, 0, &out, &n), BPG_OK);
	ck_assert_uint_eq(n, 0);
	free(out);
	ck_assert_int_eq(bpg_base64_decode(NULL, 4, &out, &n), BPG_EINVAL);
}
END_TEST

/* Every length 0..300 of pseudo-random bytes survives a round trip, with
 * and without padding and with line breaks every 76 characters. */
START_TEST(test_roundtrip)
{
	unsigned char data[300], *dec;
	char *enc, *folded;
	size_t len, n, elen, i, j;
	unsigned int seed = 12345;

	for (i = 0; i < sizeof(data); i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (unsigned char)(seed >> 16);
	}
	for (len = 0; len <= sizeof(data); len++) {
		ck_assert_int_eq(bpg_base64_encode(data, len, &enc, &elen),
		    BPG_OK);
		ck_assert_uint_eq(elen % 4, 0);
		ck_assert_int_eq(bpg_base64_decode(enc, elen, &dec, &n),
		    BPG_OK);
		ck_assert_uint_eq(n, len);
		ck_assert(len == 0 || memcmp(dec, data, len) == 0);
		free(dec);

		/* Unpadded. */
		j = elen;
		while (j > 0 && enc[j - 1] == '=')
			j--;
		ck_assert_int_eq(bpg_base64_decode(enc, j, &dec, &n), BPG_OK);
		ck_assert_uint_eq(n, len);
		ck_assert(len == 0 || memcmp(dec, data, len) == 0);
		free(dec);

		/* Folded like PEM. */
		folded = malloc(elen + elen / 76 + 2);
		ck_assert_ptr_nonnull(folded);
		for (i = 0, j = 0; i < elen; i++) {
			folded[j++] = enc[i];
			if (i % 76 == 75)
				folded[j++] = '\n';
		}
		ck_assert_int_eq(bpg_base64_decode(folded, j, &dec, &n),
		    BPG_OK);
		ck_assert_uint_eq(n, len);
		ck_assert(len == 0 || memcmp(dec, data, len) == 0);
		free(dec);
		free(folded);
		free(enc);
	}
}
END_TEST

static Suite *
base64_suite(void)
{
	Suite *s = suite_create("base64");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_rfc_decode, 0,
	    (int)(sizeof(rfc_vectors) / sizeof(rfc_vectors[0])));
	tcase_add_loop_test(tc, test_rfc_encode, 0,
	    (int)(sizeof(rfc_vectors) / sizeof(rfc_vectors[0])));
	tcase_add_loop_test(tc, test_good, 0,
	    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_loop_test(tc, test_bad, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_null_empty);
	tcase_add_test(tc, test_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(base64_suite());
}
