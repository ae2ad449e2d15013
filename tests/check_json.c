/*
 * Tests for lib/bpg_json.c: the writer gives json_dumps(JSON_COMPACT)'s
 * bytes for a table of documents (named rows), for the SparkPi
 * SparkApplication, for many generated ones, refuses the UTF-8 jansson
 * refuses, hands deep nesting to jansson, and writes reals in their
 * shortest text that reads back (a table of doubles).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "bpg_json.h"
#include "testutil.h"

static void
assert_same(const json_t *doc, const char *row)
{
	char *want = json_dumps(doc, JSON_COMPACT), *got;
	size_t len = 99;

	got = bpg_json_dump(doc, &len);
	ck_assert_msg(want != NULL && got != NULL, "row %s: NULL", row);
	ck_assert_msg(strcmp(want, got) == 0, "row %s:\n%s\n%s", row, want,
	    got);
	ck_assert_msg(len == strlen(got), "row %s: length", row);
	free(want);
	free(got);
}

static const struct {
	const char *name;
	const char *json;
} docs[] = {
	{ "empty-object", "{}" },
	{ "empty-array", "[]" },
	{ "health", "{\"status\":\"OK\"}" },
	{ "error", "{\"code\":404,\"message\":\"jakarta.ws.rs.NotFoundException:"
	    " HTTP 404 Not Found\"}" },
	{ "status", "{\"creationTime\":1763757727000,\"sparkApplicationId\":"
	    "\"spark-cf32\",\"executionAttempts\":1,\"duration\":0,"
	    "\"applicationState\":\"SUBMITTED\"}" },
	{ "literals", "[true,false,null,[],{},[[]],{\"a\":{}}]" },
	{ "integers", "[0,-1,1,9223372036854775807,-9223372036854775808,"
	    "1000000,-42]" },
	{ "escapes", "[\"q\\\"b\\\\s\\/n\\nr\\rt\\tb\\bf\\f\"]" },
	{ "controls", "[\"\\u0000\\u0001\\u001f\\u007f x\"]" },
	{ "key-escapes", "{\"a\\\"b\":1,\"\\n\":2,\"\":3}" },
	{ "order-kept", "{\"z\":1,\"a\":2,\"m\":{\"y\":1,\"b\":2}}" },
	{ "nested", "{\"a\":[{\"b\":[1,{\"c\":\"d\"}]}],\"e\":null}" },
	{ "utf8", "{\"name\":\"gr\\u00fc\\u00dfe \\u2603 \\ud83d\\ude00\"}" },
	{ "utf8-key", "{\"\\u00e9t\\u00e9\":1}" },
};

START_TEST(test_docs)
{
	json_error_t err;
	json_t *doc = json_loads(docs[_i].json, JSON_ALLOW_NUL, &err);

	ck_assert_msg(doc != NULL, "row %s: %s", docs[_i].name, err.text);
	assert_same(doc, docs[_i].name);
	json_decref(doc);
}
END_TEST

/* Not UTF-8: json_dumps() gives NULL, and so does the writer. */
static const struct {
	const char *name;
	const char *bytes;
} bad_utf8[] = {
	{ "lone-continuation", "a\x80" },
	{ "overlong-nul", "\xc0\x80" },
	{ "overlong-3", "\xe0\x80\xaf" },
	{ "surrogate", "\xed\xa0\x80" },
	{ "past-10ffff", "\xf4\x90\x80\x80" },
	{ "cut", "\xe2\x82" },
	{ "bad-continuation", "\xe2\x28\xa1" },
};

START_TEST(test_bad_utf8)
{
	const char *b = bad_utf8[_i].bytes;
	json_t *doc = json_array();

	json_array_append_new(doc, json_stringn_nocheck(b, strlen(b)));
	ck_assert_msg(json_dumps(doc, JSON_COMPACT) == NULL, "row %s: jansson",
	    bad_utf8[_i].name);
	ck_assert_msg(bpg_json_dump(doc, NULL) == NULL, "row %s",
	    bad_utf8[_i].name);
	json_decref(doc);
}
END_TEST

/* Reals: the shortest text that strtod() reads back, as Java writes. */
static const struct {
	double d;
	const char *want;
} reals[] = {
	{ 0.1, "0.1" },
	{ 0.4, "0.4" },
	{ 1.5, "1.5" },
	{ 1.0, "1.0" },
	{ -2.0, "-2.0" },
	{ 0.0, "0.0" },
	{ -0.0, "-0.0" },
	{ 0.1 + 0.2, "0.30000000000000004" },
	{ 1.0 / 3.0, "0.3333333333333333" },
	{ 2.0 / 3.0, "0.6666666666666666" },
	{ 1e300, "1e300" },
	{ 1.5e-7, "1.5e-7" },
	{ 123456789012345680.0, "1.2345678901234568e17" },
	{ 1e15, "1e15" },
	{ 4.35, "4.35" },
	{ 5e-324, "4.94065645841247e-324" },
	{ 1.7976931348623157e308, "1.7976931348623157e308" },
};

START_TEST(test_real_text)
{
	char buf[BPG_JSON_REAL_MAX];
	size_t n;

	n = bpg_json_real_text(reals[_i].d, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, reals[_i].want) == 0, "row %d: %s, not %s",
	    _i, buf, reals[_i].want);
	ck_assert_uint_eq(n, strlen(buf));
	ck_assert_msg(strtod(buf, NULL) == reals[_i].d, "row %d", _i);
}
END_TEST

/* In documents, where json_dumps() writes 0.10000000000000001. */
START_TEST(test_real_doc)
{
	json_t *doc = json_loads("{\"cost\":1.5,\"x\":[0.1,1e300,-0.0],"
	    "\"driverOverheadFactor\":0.1,\"u\":\"gr\\u00fc\"}", 0, NULL);
	char *got;

	ck_assert_ptr_nonnull(doc);
	got = bpg_json_dump(doc, NULL);
	ck_assert_str_eq(got, "{\"cost\":1.5,\"x\":[0.1,1e300,-0.0],"
	    "\"driverOverheadFactor\":0.1,\"u\":\"gr\xc3\xbc\"}");
	free(got);
	json_decref(doc);
}
END_TEST

START_TEST(test_deep)
{
	json_t *doc = json_array(), *a = doc;
	int i;

	/* Past the writer's own depth limit: jansson writes it. */
	for (i = 0; i < 200; i++) {
		json_t *b = json_array();

		json_array_append_new(a, b);
		a = b;
	}
	assert_same(doc, "deep");
	json_decref(doc);
}
END_TEST

START_TEST(test_not_container)
{
	json_t *s = json_string("x");

	ck_assert_ptr_null(bpg_json_dump(NULL, NULL));
	ck_assert_ptr_null(bpg_json_dump(s, NULL));
	json_decref(s);
}
END_TEST

START_TEST(test_sparkapplication)
{
	char *path = tu_shared_path("sparkpi-request.json");
	json_error_t err;
	json_t *doc;

	/* The request body of the SparkPi demo: a realistic document. */
	ck_assert_msg(path != NULL, "sparkpi-request.json not found");
	doc = json_load_file(path, 0, &err);
	free(path);
	ck_assert_msg(doc != NULL, "sparkpi-request.json: %s", err.text);
	assert_same(doc, "sparkpi");
	json_decref(doc);
}
END_TEST

/* A small deterministic generator (a linear congruential one). */
static unsigned int seed = 12345;

static unsigned int
rnd(void)
{
	seed = seed * 1103515245u + 12345u;
	return seed >> 8;
}

static json_t *
gen(int depth)
{
	char s[16];
	size_t n, i, j;
	json_t *v;

	switch (rnd() % (depth > 4 ? 5 : 7)) {
	case 0:
		return json_integer((json_int_t)((long long)rnd() * rnd() *
		    (rnd() % 2 ? -1 : 1)));
	case 1:
		return rnd() % 2 ? json_true() : json_false();
	case 2:
		return json_null();
	case 3:
	case 4:
		n = rnd() % sizeof(s);
		for (i = 0; i < n; i++)
			s[i] = (char)(rnd() % 128);
		return json_stringn(s, n);
	case 5:
		v = json_object();
		n = rnd() % 6;
		for (i = 0; i < n; i++) {
			size_t kl = rnd() % 6;

			for (j = 0; j < kl; j++)
				s[j] = (char)(rnd() % 128);
			json_object_setn_new(v, s, kl, gen(depth + 1));
		}
		return v;
	default:
		v = json_array();
		n = rnd() % 6;
		for (i = 0; i < n; i++)
			json_array_append_new(v, gen(depth + 1));
		return v;
	}
}

/*
 * Strings of 0..40 bytes with one byte (or UTF-8 sequence) that needs a
 * look at every position: the writer reads plain text sixteen, then
 * eight bytes at a time, and must see it wherever it falls in those.
 */
START_TEST(test_string_windows)
{
	static const char *const odd[] = {
		"\x01", "\x1f", "\"", "\\", "\x7f", " ", "/", "\xc3\xa9",
		"\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x1f\"\\",
	};
	static const char *const bad[] = { "\x80", "\xc3", "\xed\xa0\x80" };
	char s[64], row[64];
	size_t n, at, k, m;
	json_t *doc;

	for (n = 0; n <= 40; n++)
		for (at = 0; at <= n; at++) {
			for (k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
				m = strlen(odd[k]);
				memset(s, 'a', n);
				memcpy(s + at, odd[k], m);
				memset(s + at + m, 'b', n - at);
				doc = json_array();
				json_array_append_new(doc,
				    json_stringn(s, n + m));
				snprintf(row, sizeof(row), "len %zu at %zu "
				    "odd %zu", n, at, k);
				assert_same(doc, row);
				json_decref(doc);
			}
			for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
				m = strlen(bad[k]);
				memset(s, 'a', n);
				memcpy(s + at, bad[k], m);
				memset(s + at + m, 'b', n - at);
				doc = json_array();
				json_array_append_new(doc,
				    json_stringn_nocheck(s, n + m));
				ck_assert_msg(bpg_json_dump(doc, NULL) == NULL,
				    "len %zu at %zu bad %zu", n, at, k);
				json_decref(doc);
			}
		}
}
END_TEST

START_TEST(test_generated)
{
	char row[32];
	json_t *doc;
	int k;

	for (k = 0; k < 20000; k++) {
		doc = json_pack("{s:o, s:o}", "a", gen(0), "b", gen(0));
		snprintf(row, sizeof(row), "generated-%d", k);
		assert_same(doc, row);
		json_decref(doc);
	}
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("dump");

	tcase_add_loop_test(tc, test_docs, 0, sizeof(docs) / sizeof(docs[0]));
	tcase_add_loop_test(tc, test_bad_utf8, 0,
	    sizeof(bad_utf8) / sizeof(bad_utf8[0]));
	tcase_add_loop_test(tc, test_real_text, 0,
	    sizeof(reals) / sizeof(reals[0]));
	tcase_add_test(tc, test_real_doc);
	tcase_add_test(tc, test_deep);
	tcase_add_test(tc, test_not_container);
	tcase_add_test(tc, test_sparkapplication);
	tcase_add_test(tc, test_string_windows);
	tcase_add_test(tc, test_generated);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(json_suite());
}
