/*
 * bpg_jfast_load() and the request reader that uses it, against the
 * reader's old path (the number rewrite and jansson,
 * req_json_load_ref()): the same tree, members in the same order, or the
 * same error message, for every text.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_jfast.h"
#include "bpg_limits.h"
#include "bpg_req_int.h"
#include "testutil.h"

/* The tree as text that shows member order and every string byte. */
static char *
text_of(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/*
 * The text s[0..n) through the reader (req_json_load(): this reader,
 * then the old path for what it leaves) and the old path alone
 * (req_json_load_ref()): the same answer, tree or error message.  And
 * this reader alone gives the old path's tree or EINVAL; it leaves to the
 * old path all it refuses, and only text with a raw NUL byte (which
 * jansson skips) may be refused here yet read there.  *ref_ok is whether
 * the old path read it.
 */
static void
same(const char *name, const char *s, size_t n, bool *ref_ok)
{
	struct bpg_errinfo ei = { "" }, eir = { "" };
	json_t *fast = NULL, *ref = NULL, *both = NULL;
	enum bpg_err ef, er, eb;
	size_t bom = n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	char *a, *b;

	eb = req_json_load(s, n, &both, &ei);
	er = req_json_load_ref(s, n, &ref, &eir);
	ef = bpg_jfast_load(s + bom, n - bom, BPG_MAX_DEPTH, &fast);
	*ref_ok = er == BPG_OK;
	ck_assert_msg(eb == er, "%s: %d, the old path %d", name, eb, er);
	if (er != BPG_OK) {
		ck_assert_msg(strcmp(ei.msg, eir.msg) == 0, "%s: \"%s\", the "
		    "old path \"%s\"", name, ei.msg, eir.msg);
		ck_assert_msg(ef == BPG_EINVAL && fast == NULL,
		    "%s: refused (%s), but read fast (%d)", name, eir.msg, ef);
		return;
	}
	a = text_of(both);
	b = text_of(ref);
	ck_assert_msg(a != NULL && b != NULL && strcmp(a, b) == 0,
	    "%s: read %s, the old path %s", name, a, b);
	free(a);
	if (ef != BPG_OK) {
		ck_assert_msg(ef == BPG_EINVAL && memchr(s, '\0', n) != NULL,
		    "%s: read, but refused fast (%d)", name, ef);
	} else {
		a = text_of(fast);
		ck_assert_msg(a != NULL && strcmp(a, b) == 0,
		    "%s: fast %s, the old path %s", name, a, b);
		free(a);
	}
	free(b);
	json_decref(fast);
	json_decref(ref);
	json_decref(both);
}

static const struct {
	const char *name, *json;
	bool ok;		/* the reference reads it */
} rows[] = {
	{ "object", "{\"a\":\"b\",\"c\":[1,2.5,-3e+2,0,-0.0E-7],\"d\":{}}",
	  true },
	{ "order", "{\"z\":1,\"a\":2,\"m\":{\"y\":true,\"b\":false,\"c\":null}}",
	  true },
	{ "scalar_string", "\"x\"", true },
	{ "scalar_number", " 42 ", true },
	{ "scalar_true", "true", true },
	{ "scalar_null", "\r\n\tnull\t", true },
	{ "empty_things", "[[],{},\"\",[{}]]", true },
	{ "escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"a\\u0041\\u00e9\\u20AC\"]",
	  true },
	{ "escaped_key", "{\"k\\u00e9y\":{\"\\n\":[\"v\"]},\"k\":1}", true },
	{ "pair", "\"\\ud83d\\ude00 \\uD834\\uDD1E\"", true },
	{ "utf8", "{\"\xc3\xa9\":\"\xe2\x82\xac\xf0\x9f\x98\x80\"}", true },
	{ "big_number", "[123456789012345678901234567890,1e999]", true },
	{ "nul_escape", "{\"a\":\"x\\u0000\"}", false },
	{ "lone_high", "\"\\ud800\"", false },
	{ "lone_high_then", "\"\\ud800\\u0041\"", false },
	{ "lone_low", "\"\\udc00\"", false },
	{ "bad_escape", "\"\\x41\"", false },
	{ "short_u", "\"\\u00e\"", false },
	{ "control", "\"a\tb\"", false },
	{ "raw_nul", "\"a\0b\"", false },
	{ "bad_utf8", "\"\xc3\x28\"", false },
	{ "overlong", "\"\xc0\xaf\"", false },
	{ "surrogate_utf8", "\"\xed\xa0\x80\"", false },
	{ "past_max", "\"\xf4\x90\x80\x80\"", false },
	{ "cut_utf8", "\"\xe2\x82\"", false },
	{ "duplicate", "{\"a\":1,\"a\":2}", false },
	{ "duplicate_escaped", "{\"a\":1,\"\\u0061\":2}", false },
	{ "trailing", "{} x", false },
	{ "two_values", "1 2", false },
	{ "trailing_comma", "[1,]", false },
	{ "trailing_comma_obj", "{\"a\":1,}", false },
	{ "no_colon", "{\"a\" 1}", false },
	{ "number_key", "{1:2}", false },
	{ "leading_zero", "[01]", false },
	{ "bare_minus", "[-]", false },
	{ "dot_number", "[.5]", false },
	{ "plus_number", "[+1]", false },
	{ "number_dot", "[1.]", false },
	{ "number_e", "[1e]", false },
	{ "hex", "[0x1]", false },
	{ "truex", "truex", false },
	{ "nul", "nul", false },
	{ "unclosed", "{\"a\":[1,2}", false },
	{ "unclosed_string", "\"abc", false },
	{ "single_quotes", "{'a':1}", false },
	{ "comment", "{/* */}", false },
	{ "nan", "[NaN]", false },
	{ "bom_only", "\xef\xbb\xbf", false },
	{ "empty", "", false },
	{ "spaces", "  ", false },
};

START_TEST(test_rows)
{
	bool ok;

	same(rows[_i].name, rows[_i].json, strlen(rows[_i].json), &ok);
	ck_assert_msg(ok == rows[_i].ok, "%s: the reference %s it", rows[_i].name,
	    ok ? "reads" : "refuses");
}
END_TEST

/*
 * Raw NUL bytes, which strlen() would cut and jansson's reader skips
 * where it reads a byte at a time: the answer is the old path's.
 */
/*
 * Strings of 0..40 bytes with one byte that needs a look (or an escape,
 * a UTF-8 sequence, a bad byte) at every position: the reader skips
 * plain text sixteen bytes at a time and must see it wherever it falls.
 */
START_TEST(test_string_windows)
{
	static const char *const odd[] = {
		"\x01", "\x1f", "\\\"", "\\n", "\\u00e9", "\x7f", "\xc3\xa9",
		"\xf0\x9f\x98\x80", "\x80", "\xc3", "\"", "\\",
	};
	char doc[96], name[64];
	size_t n, at, k, m;
	bool ok;

	for (n = 0; n <= 40; n++)
		for (at = 0; at <= n; at++)
			for (k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
				m = strlen(odd[k]);
				doc[0] = '"';
				memset(doc + 1, 'a', n);
				memcpy(doc + 1 + at, odd[k], m);
				memset(doc + 1 + at + m, 'b', n - at);
				doc[1 + n + m] = '"';
				snprintf(name, sizeof(name), "len %zu at %zu "
				    "odd %zu", n, at, k);
				same(name, doc, n + m + 2, &ok);
			}
}
END_TEST

START_TEST(test_raw_nul)
{
	static const struct {
		const char *s;
		size_t n;
	} t[] = {
		{ "[\"a\", 1]\0 ", 10 },
		{ "null\0", 5 },
		{ "{\"a\":\"x\0y\"}", 12 },
		{ "\0{}", 3 },
	};
	size_t i;
	bool ok;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		same("raw_nul", t[i].s, t[i].n, &ok);
}
END_TEST

/* BPG_MAX_DEPTH containers are read, one more is not. */
START_TEST(test_depth)
{
	char s[4 * BPG_MAX_DEPTH + 8];
	size_t n, d;
	bool ok;

	for (d = BPG_MAX_DEPTH; d <= BPG_MAX_DEPTH + 1; d++) {
		memset(s, '[', d);
		n = d;
		s[n++] = '1';
		memset(s + n, ']', d);
		n += d;
		same(d == BPG_MAX_DEPTH ? "max_depth" : "past_depth", s, n,
		    &ok);
		ck_assert(ok == (d == BPG_MAX_DEPTH));
	}
}
END_TEST

/* Every request of tests/data/req (the parser's test files). */
static const char *const files[] = {
	"full.json", "retry.json", "sample-scala.json", "bad-array.json",
	"bad-configmap-extra.json", "bad-cores-type.json", "bad-deep.json",
	"bad-duplicate-key.json", "bad-file-path.json",
	"bad-invalid-utf8.json", "bad-malformed.json", "bad-nul-escape.json",
	"bad-null.json", "bad-retry-max.json", "bad-unknown-field.json",
	"full.sanitized.json",
};

START_TEST(test_files)
{
	size_t n;
	char *s = tu_slurp_data("req", files[_i], &n);
	bool ok;

	same(files[_i], s, n, &ok);
	free(s);
}
END_TEST

START_TEST(test_sparkpi)
{
	size_t n;
	char *s = tu_slurp_shared("sparkpi-request.json", &n);
	bool ok;

	ck_assert(s != NULL);
	same("sparkpi", s, n, &ok);
	ck_assert(ok);
	free(s);
}
END_TEST

static Suite *
jfast_suite(void)
{
	Suite *s = suite_create("jfast");
	TCase *tc = tcase_create("same");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_rows, 0, TU_NROWS(rows));
	tcase_add_test(tc, test_string_windows);
	tcase_add_test(tc, test_raw_nul);
	tcase_add_test(tc, test_depth);
	tcase_add_loop_test(tc, test_files, 0, TU_NROWS(files));
	tcase_add_test(tc, test_sparkpi);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(jfast_suite());
}
