/*
 * Tests for lib/bpg_kube.c that need no API server: the cleaning of
 * server text (bpg_kube_clean_copy(), shared with bpg_watch.c) and the
 * handle's set-up (bpg_kube_new(), which builds on bpg_kube_setup_easy()).
 * Requests themselves are tested against the stand-in (tests/integ).
 */
#include <stdint.h>
#include <string.h>

#include <check.h>
#include <curl/curl.h>

#include "bpg_kube.h"
#include "testutil.h"

static const struct {
	const char *name;
	const char *in;
	size_t len;
	const char *out;
} clean_rows[] = {
	{ "plain", "not found", 64, "not found" },
	{ "empty", "", 64, "" },
	{ "controls", "a\nb\rc\td\x1b[31m", 64, "a?b?c?d?[31m" },
	{ "del", "x\x7fy", 64, "x?y" },
	{ "utf8", "caf\xc3\xa9", 64, "caf??" },
	{ "cut", "abcdef", 4, "abc" },
	{ "one_byte", "abc", 1, "" },
};

START_TEST(test_clean_copy)
{
	char out[64];

	memset(out, 'Z', sizeof(out));
	bpg_kube_clean_copy(out, clean_rows[_i].len, clean_rows[_i].in);
	ck_assert_msg(strcmp(out, clean_rows[_i].out) == 0, "row %s: \"%s\"",
	    clean_rows[_i].name, out);
}
END_TEST

/* A handle is made (token, headers, TLS options) and freed whole. */
START_TEST(test_new_free)
{
	struct bpg_cluster c;
	struct bpg_kube *k = NULL;
	struct bpg_errinfo ei;

	memset(&c, 0, sizeof(c));
	c.id = (char *)(uintptr_t)"a";
	c.master_url = (char *)(uintptr_t)"https://127.0.0.1:1";
	c.namespace = (char *)(uintptr_t)"ns";
	c.token = (char *)(uintptr_t)"secret-token";
	c.timeout_millis = 1000;
	ck_assert_int_eq(bpg_kube_new(&c, &k, &ei), BPG_OK);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(bpg_kube_connects(k), 0);
	bpg_kube_free(k);
	bpg_kube_free(NULL);
}
END_TEST

static Suite *
kube_suite(void)
{
	Suite *s = suite_create("kube");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_clean_copy, 0, TU_NROWS(clean_rows));
	tcase_add_test(tc, test_new_free);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(kube_suite());
}
