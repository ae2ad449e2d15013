/*
 * Tests of lib/bpg_livy.c: Livy batch bodies into SubmitApplicationRequests
 * (every field, every refusal naming its field), Livy memory sizes, the
 * state mapping over every state the gateway reports, and log windows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_json.h"
#include "bpg_livy.h"
#include "bpg_req.h"
#include "testutil.h"

static json_t *
translate_ok(const char *body, const char *def, char **proxy)
{
	struct bpg_errinfo ei = { "" };
	json_t *req = NULL;
	char *p = NULL;
	enum bpg_err e;

	e = bpg_livy_translate(body, strlen(body), def, &req, &p, &ei);
	ck_assert_msg(e == BPG_OK, "%s: %s", body, ei.msg);
	if (proxy != NULL)
		*proxy = p;
	else
		free(p);
	return req;
}

START_TEST(test_translate_all_fields)
{
	const char *body = "{\"file\":\"s3a://b/job.jar\","
	    "\"proxyUser\":\"alice\",\"className\":\"org.Example\","
	    "\"args\":[\"a\",\"b\"],\"jars\":[\"j1.jar\"],"
	    "\"pyFiles\":[\"p.py\"],\"files\":[\"f.txt\"],"
	    "\"archives\":[\"a.zip\"],\"driverMemory\":\"4g\","
	    "\"driverCores\":2,\"executorMemory\":\"512M\","
	    "\"executorCores\":3,\"numExecutors\":4,\"name\":\"nightly\","
	    "\"queue\":\"poc\",\"conf\":{\"spark.x\":\"1\",\"spark.n\":5,"
	    "\"spark.b\":true,\"spark.bpg.version\":\"3.5\"}}";
	const char *want = "{\"mainApplicationFile\":\"s3a://b/job.jar\","
	    "\"mainClass\":\"org.Example\",\"arguments\":[\"a\",\"b\"],"
	    "\"deps\":{\"jars\":[\"j1.jar\"],\"pyFiles\":[\"p.py\"],"
	    "\"files\":[\"f.txt\"],\"archives\":[\"a.zip\"]},"
	    "\"driver\":{\"memory\":\"4g\",\"cores\":2},"
	    "\"executor\":{\"memory\":\"512m\",\"cores\":3,\"instances\":4},"
	    "\"applicationName\":\"nightly\",\"queue\":\"poc\","
	    "\"sparkConf\":{\"spark.x\":\"1\",\"spark.n\":\"5\","
	    "\"spark.b\":\"true\"},\"type\":\"Java\",\"sparkVersion\":\"3.5\"}";
	struct bpg_submit_req r;
	struct bpg_errinfo ei = { "" };
	json_t *req, *exp;
	char *proxy = NULL, *text;

	req = translate_ok(body, "3.1", &proxy);
	ck_assert_str_eq(proxy, "alice");
	exp = json_loads(want, 0, NULL);
	ck_assert_ptr_nonnull(exp);
	text = json_dumps(req, JSON_COMPACT);
	ck_assert_msg(json_equal(req, exp), "got %s", text);
	/* What it makes is a request POST /spark accepts. */
	ck_assert_int_eq(bpg_req_parse(text, strlen(text), BPG_REQ_JSON, &r,
	    &ei), BPG_OK);
	ck_assert_str_eq(r.main_application_file, "s3a://b/job.jar");
	ck_assert_str_eq(r.spark_version, "3.5");
	ck_assert_int_eq(r.executor.instances, 4);
	ck_assert_str_eq(r.driver.memory, "4g");
	bpg_req_reset(&r);
	free(text);
	free(proxy);
	json_decref(exp);
	json_decref(req);
}
END_TEST

START_TEST(test_translate_defaults)
{
	json_t *req;
	char *proxy = (char *)1;

	/* A .py file is Python; the version is the configured default. */
	req = translate_ok("{\"file\":\"local:///opt/app/main.py?x=1\"}", "3.2",
	    &proxy);
	ck_assert_ptr_null(proxy);
	ck_assert_str_eq(json_string_value(json_object_get(req, "type")),
	    "Python");
	ck_assert_str_eq(json_string_value(json_object_get(req,
	    "sparkVersion")), "3.2");
	ck_assert_ptr_null(json_object_get(req, "sparkConf"));
	json_decref(req);
	/* No version anywhere: none named (the pipeline's 400 then). */
	req = translate_ok("{\"file\":\"x.R\",\"conf\":{},\"args\":null}", NULL,
	    NULL);
	ck_assert_str_eq(json_string_value(json_object_get(req, "type")), "R");
	ck_assert_ptr_null(json_object_get(req, "sparkVersion"));
	ck_assert_ptr_null(json_object_get(req, "arguments"));
	json_decref(req);
	/* The conf's version wins over the default. */
	req = translate_ok("{\"file\":\"a.jar\",\"conf\":{\"spark.bpg.version\":"
	    "\"3.4\"}}", "3.2", NULL);
	ck_assert_str_eq(json_string_value(json_object_get(req,
	    "sparkVersion")), "3.4");
	ck_assert_str_eq(json_string_value(json_object_get(req, "type")),
	    "Java");
	json_decref(req);
}
END_TEST

static const struct bad_case {
	const char *body;
	const char *needle;	/* in the message */
} bad_cases[] = {
	{ "", "empty" },
	{ "{", "not JSON" },
	{ "[]", "the body" },
	{ "null", "not JSON" },
	{ "\"x\"", "not JSON" },
	{ "{}", "\"file\" is required" },
	{ "{\"file\":\"\"}", "\"file\" is required" },
	{ "{\"file\":null}", "\"file\" is required" },
	{ "{\"file\":1}", "\"file\" must be a string" },
	{ "{\"file\":\"a\",\"file\":\"b\"}", "duplicate" },
	{ "{\"file\":\"a\",\"jarz\":[]}", "unknown field \"jarz\"" },
	{ "{\"file\":\"a\",\"driverMemory\":4}", "\"driverMemory\" must be" },
	{ "{\"file\":\"a\",\"driverMemory\":\"4x\"}", "\"driverMemory\" is" },
	{ "{\"file\":\"a\",\"executorMemory\":\"1.5g\"}", "executorMemory" },
	{ "{\"file\":\"a\",\"driverCores\":\"2\"}", "\"driverCores\" must be an "
	    "integer" },
	{ "{\"file\":\"a\",\"driverCores\":2.5}", "\"driverCores\" must be" },
	{ "{\"file\":\"a\",\"executorCores\":0}", "\"executorCores\" must be "
	    "between" },
	{ "{\"file\":\"a\",\"numExecutors\":-1}", "\"numExecutors\"" },
	{ "{\"file\":\"a\",\"numExecutors\":3000000000}", "\"numExecutors\"" },
	{ "{\"file\":\"a\",\"args\":\"x\"}", "\"args\" must be an array" },
	{ "{\"file\":\"a\",\"args\":[1]}", "\"args\"[0] must be a string" },
	{ "{\"file\":\"a\",\"jars\":{}}", "\"jars\"" },
	{ "{\"file\":\"a\",\"pyFiles\":[null]}", "\"pyFiles\"[0]" },
	{ "{\"file\":\"a\",\"files\":true}", "\"files\"" },
	{ "{\"file\":\"a\",\"archives\":[[]]}", "\"archives\"[0]" },
	{ "{\"file\":\"a\",\"name\":[]}", "\"name\" must be a string" },
	{ "{\"file\":\"a\",\"queue\":3}", "\"queue\" must be a string" },
	{ "{\"file\":\"a\",\"proxyUser\":{}}", "\"proxyUser\" must be" },
	{ "{\"file\":\"a\",\"className\":false}", "\"className\"" },
	{ "{\"file\":\"a\",\"conf\":[]}", "\"conf\" must be an object" },
	{ "{\"file\":\"a\",\"conf\":{\"k\":[]}}", "\"conf\".\"k\" must be" },
	{ "{\"file\":\"a\",\"conf\":{\"k\":1.5}}", "\"conf\".\"k\"" },
	{ "{\"file\":\"a\",\"conf\":{\"spark.bpg.version\":3}}",
	    "spark.bpg.version" },
	{ "{\"file\":\"a\",\"\\u0001\\u00ff\":1}", "unknown field" },
};

START_TEST(test_translate_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct bpg_errinfo ei = { "" };
	json_t *req = (json_t *)1;
	char *proxy = (char *)1;
	size_t k;

	ck_assert_msg(bpg_livy_translate(c->body, strlen(c->body), "3.1", &req,
	    &proxy, &ei) == BPG_EINVAL, "row %d (%s) accepted", _i, c->body);
	ck_assert_ptr_null(req);
	ck_assert_ptr_null(proxy);
	ck_assert_msg(strstr(ei.msg, c->needle) != NULL, "row %d: \"%s\" not "
	    "in \"%s\"", _i, c->needle, ei.msg);
	for (k = 0; ei.msg[k] != '\0'; k++)
		ck_assert_msg((unsigned char)ei.msg[k] >= 0x20 &&
		    (unsigned char)ei.msg[k] < 0x7f, "row %d: byte %zu", _i, k);
}
END_TEST

START_TEST(test_translate_too_big)
{
	struct bpg_errinfo ei = { "" };
	json_t *req;
	char *proxy;

	ck_assert_int_eq(bpg_livy_translate("{}", BPG_LIVY_LOG_MAX_SIZE *
	    (size_t)4096, NULL, &req, &proxy, &ei), BPG_ETOOBIG);
}
END_TEST

static const struct mem_case {
	const char *in;
	const char *out;	/* NULL: refused */
} mem_cases[] = {
	{ "4g", "4g" }, { "4G", "4g" }, { "4gb", "4g" }, { "4GB", "4g" },
	{ "512m", "512m" }, { "512Mb", "512m" }, { "1024", "1024m" },
	{ "2048k", "2048k" }, { "1t", "1t" }, { "1p", "1p" },
	{ "007g", "7g" },
	{ "", NULL }, { "g", NULL }, { "0", NULL }, { "0g", NULL },
	{ "1.5g", NULL }, { "-1g", NULL }, { "4x", NULL }, { "4gbb", NULL },
	{ "4 g", NULL }, { " 4g", NULL }, { "4b", NULL }, { "2Gi", NULL },
	{ "1234567890g", NULL },
};

START_TEST(test_memory)
{
	const struct mem_case *c = &mem_cases[_i];
	char out[32];
	bool ok = bpg_livy_memory(c->in, out, sizeof(out));

	if (c->out == NULL)
		ck_assert_msg(!ok, "row %d: \"%s\" accepted as %s", _i, c->in,
		    out);
	else {
		ck_assert_msg(ok, "row %d: \"%s\" refused", _i, c->in);
		ck_assert_str_eq(out, c->out);
	}
}
END_TEST

/*
 * Every state the gateway reports (the operator's, BPG's
 * FAILED_SUBMISSION, the monitor's LOST, the status answer's UNKNOWN, a
 * row not yet seen: NULL or "", a submission's dependencies' WAITING,
 * DEPENDENCY_FAILED and CANCELLED), with its Livy state.
 */
static const struct state_case {
	const char *ours;
	const char *livy;
	bool terminal;
} state_cases[] = {
	{ NULL, "starting", false },
	{ "", "starting", false },
	{ "SUBMITTED", "starting", false },
	{ "PENDING_RERUN", "starting", false },
	{ "INVALIDATING", "starting", false },
	{ "RUNNING", "running", false },
	{ "running", "running", false },
	{ "UNKNOWN", "running", false },
	{ "SUCCEEDING", "shutting_down", false },
	{ "FAILING", "shutting_down", false },
	{ "COMPLETED", "success", true },
	{ "FAILED", "dead", true },
	{ "failed", "dead", true },
	{ "LOST", "dead", true },
	{ "SUBMISSION_FAILED", "error", true },
	{ "FAILED_SUBMISSION", "error", true },
	{ "WAITING", "starting", false },
	{ "DEPENDENCY_FAILED", "dead", true },
	{ "CANCELLED", "killed", true },
	{ "SOMETHING_NEW", "starting", false },
};

START_TEST(test_states)
{
	const struct state_case *c = &state_cases[_i];
	const char *livy = bpg_livy_state(c->ours);

	ck_assert_msg(strcmp(livy, c->livy) == 0, "row %d: %s -> %s", _i,
	    c->ours ? c->ours : "(null)", livy);
	ck_assert_int_eq(bpg_livy_app_terminal(c->ours), c->terminal);
	/* A terminal state never reads as one a client polls on, and a
	 * state still moving never as an end. */
	ck_assert_int_eq(bpg_livy_state_terminal(livy), c->terminal);
	/* FAILED and every failure never read as success. */
	if (c->ours != NULL && (strcasestr(c->ours, "FAIL") != NULL ||
	    strcmp(c->ours, "LOST") == 0))
		ck_assert_str_ne(livy, "success");
}
END_TEST

/* A deleted batch is killed unless its application had ended by itself. */
START_TEST(test_deleted_states)
{
	const struct state_case *c = &state_cases[_i];
	const char *livy = bpg_livy_batch_state(c->ours, true);

	ck_assert_str_eq(bpg_livy_batch_state(c->ours, false), c->livy);
	if (c->terminal && (c->ours == NULL || strcmp(c->ours, "LOST") != 0))
		ck_assert_msg(strcmp(livy, c->livy) == 0, "row %d: %s", _i,
		    livy);
	else
		ck_assert_msg(strcmp(livy, "killed") == 0, "row %d: %s", _i,
		    livy);
	ck_assert(bpg_livy_state_terminal(livy));
}
END_TEST

START_TEST(test_livy_terminal)
{
	ck_assert(bpg_livy_state_terminal("success"));
	ck_assert(bpg_livy_state_terminal("dead"));
	ck_assert(bpg_livy_state_terminal("killed"));
	ck_assert(bpg_livy_state_terminal("error"));
	ck_assert(!bpg_livy_state_terminal("running"));
	ck_assert(!bpg_livy_state_terminal("starting"));
	ck_assert(!bpg_livy_state_terminal("shutting_down"));
	ck_assert(!bpg_livy_state_terminal(NULL));
}
END_TEST

/* The window of log text text (fed in pieces of step bytes), as JSON. */
static char *
window(const char *text, size_t step, int64_t from, int64_t size,
    int64_t *first, int64_t *total)
{
	struct bpg_livy_log l;
	size_t n = strlen(text), k;
	json_t *a;
	char *s;

	bpg_livy_log_init(&l, from, size);
	for (k = 0; k < n; k += step)
		ck_assert_int_eq(bpg_livy_log_feed(&l, text + k, n - k < step ?
		    n - k : step), 0);
	ck_assert_int_eq(bpg_livy_log_end(&l), 0);
	a = bpg_livy_log_lines(&l, first);
	ck_assert_ptr_nonnull(a);
	*total = l.total;
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	bpg_livy_log_free(&l);
	return s;
}

START_TEST(test_log_window)
{
	const char *text = "l0\nl1\r\nl2\n\nl4\nl5";
	static const struct {
		int64_t from, size, first;
		const char *want;
	} w[] = {
		{ -1, 100, 0, "[\"l0\",\"l1\",\"l2\",\"\",\"l4\",\"l5\"]" },
		{ -1, 2, 4, "[\"l4\",\"l5\"]" },
		{ -1, 4, 2, "[\"l2\",\"\",\"l4\",\"l5\"]" },
		{ 0, 2, 0, "[\"l0\",\"l1\"]" },
		{ 2, 3, 2, "[\"l2\",\"\",\"l4\"]" },
		{ 5, 10, 5, "[\"l5\"]" },
		{ 9, 10, 9, "[]" },
		{ 0, 0, 0, "[]" },
	};
	size_t i, step;
	int64_t first, total;
	char *s;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		for (step = 1; step <= 20; step += 19) {
			s = window(text, step, w[i].from, w[i].size, &first,
			    &total);
			ck_assert_msg(strcmp(s, w[i].want) == 0, "window %zu "
			    "step %zu: %s", i, step, s);
			ck_assert_int_eq(first, w[i].first);
			ck_assert_int_eq(total, 6);
			free(s);
		}
}
END_TEST

START_TEST(test_log_long_lines)
{
	size_t n = BPG_LIVY_LOG_MAX_LINE * 3;
	char *text = malloc(n + 4), *s;
	int64_t first, total;
	json_t *a;

	ck_assert_ptr_nonnull(text);
	memset(text, 'x', n);
	memcpy(text + n, "\ny\xff", 4);
	s = window(text, 1000, -1, 10, &first, &total);
	ck_assert_int_eq(total, 2);
	a = json_loads(s, 0, NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(json_string_length(json_array_get(a, 0)),
	    BPG_LIVY_LOG_MAX_LINE);
	ck_assert_str_eq(json_string_value(json_array_get(a, 1)), "y?");
	json_decref(a);
	free(s);
	free(text);
}
END_TEST

/* Many lines through a small tail window: only the window is held. */
START_TEST(test_log_tail_many)
{
	struct bpg_livy_log l;
	char line[32];
	int64_t first, i;
	json_t *a;

	bpg_livy_log_init(&l, -1, 3);
	for (i = 0; i < 100000; i++) {
		snprintf(line, sizeof(line), "line %lld\n", (long long)i);
		ck_assert_int_eq(bpg_livy_log_feed(&l, line, strlen(line)), 0);
	}
	ck_assert_int_eq(bpg_livy_log_end(&l), 0);
	ck_assert_uint_eq(l.nring, 3);
	a = bpg_livy_log_lines(&l, &first);
	ck_assert_int_eq(first, 99997);
	ck_assert_str_eq(json_string_value(json_array_get(a, 0)),
	    "line 99997");
	ck_assert_str_eq(json_string_value(json_array_get(a, 2)),
	    "line 99999");
	json_decref(a);
	bpg_livy_log_free(&l);
}
END_TEST

static Suite *
livy_suite(void)
{
	Suite *s = suite_create("livy");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_translate_all_fields);
	tcase_add_test(tc, test_translate_defaults);
	tcase_add_loop_test(tc, test_translate_bad, 0, TU_NROWS(bad_cases));
	tcase_add_test(tc, test_translate_too_big);
	tcase_add_loop_test(tc, test_memory, 0, TU_NROWS(mem_cases));
	tcase_add_loop_test(tc, test_states, 0, TU_NROWS(state_cases));
	tcase_add_loop_test(tc, test_deleted_states, 0, TU_NROWS(state_cases));
	tcase_add_test(tc, test_livy_terminal);
	tcase_add_test(tc, test_log_window);
	tcase_add_test(tc, test_log_long_lines);
	tcase_add_test(tc, test_log_tail_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(livy_suite());
}
