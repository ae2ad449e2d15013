/* Tests of lib/bpg_yaml.c: scalar resolution, limits, line table. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_limits.h"
#include "bpg_yaml.h"
#include "testutil.h"

static char *
load_dump(const char *src, enum bpg_yaml_mode mode)
{
	struct bpg_errinfo ei;
	json_t *root;
	char *s;

	ck_assert_msg(bpg_yaml_load(src, strlen(src), mode, &root, NULL,
	    &ei) == BPG_OK, "%s: %s", src, ei.msg);
	s = json_dumps(root, JSON_ENCODE_ANY | JSON_COMPACT |
	    JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
}

static const struct good {
	const char *name, *yaml, *typed, *text;
} goods[] = {
	{ "ints", "a: 30000\nb: -1\nc: +7", "{\"a\":30000,\"b\":-1,\"c\":7}",
	  "{\"a\":\"30000\",\"b\":\"-1\",\"c\":\"+7\"}" },
	{ "floats", "v: 3.10\nw: 1e3", "{\"v\":3.1000000000000001,\"w\":1000.0}",
	  "{\"v\":\"3.10\",\"w\":\"1e3\"}" },
	{ "bools only true/false", "a: true\nb: False\nc: yes\nd: on",
	  "{\"a\":true,\"b\":false,\"c\":\"yes\",\"d\":\"on\"}",
	  "{\"a\":\"true\",\"b\":\"False\",\"c\":\"yes\",\"d\":\"on\"}" },
	{ "nulls", "a: ~\nb:\nc: null\nd: 'null'",
	  "{\"a\":null,\"b\":null,\"c\":null,\"d\":\"null\"}",
	  "{\"a\":null,\"b\":null,\"c\":null,\"d\":\"null\"}" },
	{ "quoted stays text", "v: \"3.10\"\nn: '42'",
	  "{\"v\":\"3.10\",\"n\":\"42\"}", "{\"v\":\"3.10\",\"n\":\"42\"}" },
	{ "duplicate keys last wins", "a: 1\nb: 2\na: 3",
	  "{\"a\":3,\"b\":2}", "{\"a\":\"3\",\"b\":\"2\"}" },
	{ "numeric keys are text", "1: x", "{\"1\":\"x\"}", "{\"1\":\"x\"}" },
	{ "anchors and aliases", "a: &x [1, 2]\nb: *x",
	  "{\"a\":[1,2],\"b\":[1,2]}", "{\"a\":[\"1\",\"2\"],\"b\":[\"1\",\"2\"]}" },
	{ "empty document", "", "null", "null" },
	{ "first document only", "a: 1\n---\nb: 2", "{\"a\":1}",
	  "{\"a\":\"1\"}" },
	{ "huge int is a double", "a: 99999999999999999999",
	  "{\"a\":1e20}", "{\"a\":\"99999999999999999999\"}" },
};

START_TEST(test_good)
{
	const struct good *g = &goods[_i];
	char *t = load_dump(g->yaml, BPG_YAML_TYPED);
	char *x = load_dump(g->yaml, BPG_YAML_TEXT);

	ck_assert_msg(strcmp(t, g->typed) == 0, "%s typed: %s", g->name, t);
	ck_assert_msg(strcmp(x, g->text) == 0, "%s text: %s", g->name, x);
	free(t);
	free(x);
}
END_TEST

static const struct bad {
	const char *name, *yaml;
	enum bpg_err err;
	const char *text;
} bads[] = {
	{ "unclosed flow", "a: [1, 2\n", BPG_EINVAL, "line" },
	{ "bad indentation", "a:\n  b: 1\n c: 2\n", BPG_EINVAL, "line" },
	{ "unknown alias", "a: *nope\n", BPG_EINVAL, "unknown alias" },
	{ "complex key", "? [a]\n: 1\n", BPG_EINVAL, "scalar mapping keys" },
	{ "tab indentation", "a:\n\tb: 1\n", BPG_EINVAL, "line" },
	{ "invalid utf-8", "a: \"\xff\"\n", BPG_EINVAL, "" },
};

START_TEST(test_bad)
{
	const struct bad *b = &bads[_i];
	struct bpg_errinfo ei = { "" };
	json_t *root = (json_t *)1;
	enum bpg_err e;

	e = bpg_yaml_load(b->yaml, strlen(b->yaml), BPG_YAML_TYPED, &root,
	    NULL, &ei);
	ck_assert_msg(e == b->err, "%s: got %d", b->name, e);
	ck_assert_ptr_null(root);
	ck_assert_msg(strstr(ei.msg, b->text) != NULL, "%s: message %s",
	    b->name, ei.msg);
}
END_TEST

/* Each level multiplies by 10: 10^9 nodes if aliases were expanded. */
START_TEST(test_alias_bomb)
{
	const char *bomb =
	    "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
	    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
	    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
	    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
	    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";
	struct bpg_errinfo ei;
	json_t *root;

	ck_assert_int_eq(bpg_yaml_load(bomb, strlen(bomb), BPG_YAML_TEXT,
	    &root, NULL, &ei), BPG_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "more than"));
}
END_TEST

START_TEST(test_depth)
{
	char buf[4 * (BPG_MAX_DEPTH + 2) + 1];
	struct bpg_errinfo ei;
	json_t *root;
	size_t i, n = 0;

	for (i = 0; i < BPG_MAX_DEPTH + 1; i++)
		buf[n++] = '[';
	for (i = 0; i < BPG_MAX_DEPTH + 1; i++)
		buf[n++] = ']';
	ck_assert_int_eq(bpg_yaml_load(buf, n, BPG_YAML_TYPED, &root, NULL,
	    &ei), BPG_ETOOBIG);
	/* One level less is fine. */
	ck_assert_int_eq(bpg_yaml_load(buf + 1, n - 2, BPG_YAML_TYPED, &root,
	    NULL, &ei), BPG_OK);
	json_decref(root);
}
END_TEST

START_TEST(test_lines)
{
	const char *src = "a:\n  b: [1, 2]\n  c: text\nd: true\n";
	struct bpg_yaml_lines *lines;
	struct bpg_errinfo ei;
	json_t *root, *a;

	ck_assert_int_eq(bpg_yaml_load(src, strlen(src), BPG_YAML_TYPED, &root,
	    &lines, &ei), BPG_OK);
	a = json_object_get(root, "a");
	ck_assert_int_eq(bpg_yaml_line(lines, root), 1);
	ck_assert_int_eq(bpg_yaml_line(lines, a), 2);
	ck_assert_int_eq(bpg_yaml_line(lines, json_object_get(a, "b")), 2);
	ck_assert_int_eq(bpg_yaml_line(lines, json_object_get(a, "c")), 3);
	/* Shared singletons have no line. */
	ck_assert_int_eq(bpg_yaml_line(lines, json_object_get(root, "d")), 0);
	ck_assert_int_eq(bpg_yaml_line(NULL, root), 0);
	bpg_yaml_lines_free(lines);
	json_decref(root);
}
END_TEST

/* ---- writing ------------------------------------------------------ */

static const struct dump_case {
	const char *name, *json, *yaml;
} dumps[] = {
	{ "block mapping, order kept",
	  "{\"type\":\"Java\",\"sparkVersion\":\"3.5.0\",\"mode\":\"cluster\"}",
	  "type: Java\nsparkVersion: 3.5.0\nmode: cluster\n" },
	{ "nested and sequences",
	  "{\"driver\":{\"cores\":1,\"labels\":{\"version\":\"3.5.0\"}},"
	  "\"arguments\":[\"10\",\"x\"],\"deps\":{\"jars\":[]}}",
	  "driver:\n  cores: 1\n  labels:\n    version: 3.5.0\n"
	  "arguments:\n- '10'\n- x\ndeps:\n  jars: []\n" },
	{ "strings that read as other types are quoted",
	  "{\"a\":\"true\",\"b\":\"8125\",\"c\":\"null\",\"d\":\"\","
	  "\"e\":\"1.5\",\"f\":\"yes\",\"g\":\"Off\",\"h\":\"0x1f\","
	  "\"i\":\"~\",\"j\":\".inf\"}",
	  "a: 'true'\nb: '8125'\nc: 'null'\nd: ''\ne: '1.5'\nf: 'yes'\n"
	  "g: 'Off'\nh: '0x1f'\ni: '~'\nj: '.inf'\n" },
	{ "typed values stay plain",
	  "{\"n\":42,\"r\":1.5,\"t\":true,\"f\":false,\"z\":null,\"e\":{}}",
	  "n: 42\nr: 1.5\nt: true\nf: false\nz: null\ne: {}\n" },
	{ "special characters are quoted by libyaml",
	  "{\"k\":\"a: b\",\"h\":\"#x\",\"s\":\" lead\",\"u\":\"caf\u00e9\"}",
	  "k: 'a: b'\nh: '#x'\ns: ' lead'\nu: caf\u00e9\n" },
	{ "long values are not folded",
	  "{\"v\":\"aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee "
	  "ffffffffff gggggggggg hhhhhhhhhh iiiiiiiiii\"}",
	  "v: aaaaaaaaaa bbbbbbbbbb cccccccccc dddddddddd eeeeeeeeee "
	  "ffffffffff gggggggggg hhhhhhhhhh iiiiiiiiii\n" },
	{ "keys that read as numbers",
	  "{\"200\":{\"description\":\"OK\"}}",
	  "'200':\n  description: OK\n" },
};

START_TEST(test_dump)
{
	const struct dump_case *c = &dumps[_i];
	json_t *doc = json_loads(c->json, 0, NULL), *back;
	struct bpg_errinfo ei;
	char *out = NULL;
	size_t len = 0;

	ck_assert_msg(doc != NULL, "%s: bad fixture", c->name);
	ck_assert_int_eq(bpg_yaml_dump(doc, &out, &len), BPG_OK);
	ck_assert_uint_eq(len, strlen(out));
	ck_assert_msg(strcmp(out, c->yaml) == 0, "%s:\n%s\nwant\n%s", c->name,
	    out, c->yaml);
	/* It reads back as the same document. */
	ck_assert_msg(bpg_yaml_load(out, len, BPG_YAML_TYPED, &back, NULL,
	    &ei) == BPG_OK, "%s: %s", c->name, ei.msg);
	ck_assert_msg(json_equal(back, doc), "%s: round trip", c->name);
	json_decref(back);
	json_decref(doc);
	free(out);
}
END_TEST

START_TEST(test_dump_limits)
{
	json_t *deep = json_array(), *cur = deep, *next;
	char *out = (char *)1;
	int i;

	ck_assert_int_eq(bpg_yaml_dump(NULL, &out, NULL), BPG_EINVAL);
	ck_assert_ptr_null(out);
	for (i = 0; i < 100; i++) {
		next = json_array();
		json_array_append_new(cur, next);
		cur = next;
	}
	ck_assert_int_eq(bpg_yaml_dump(deep, &out, NULL), BPG_ETOOBIG);
	ck_assert_ptr_null(out);
	json_decref(deep);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("yaml");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_good, 0, sizeof(goods) / sizeof(goods[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bads) / sizeof(bads[0]));
	tcase_add_test(tc, test_alias_bomb);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_lines);
	tcase_add_loop_test(tc, test_dump, 0, sizeof(dumps) / sizeof(dumps[0]));
	tcase_add_test(tc, test_dump_limits);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
