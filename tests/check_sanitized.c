/*
 * The submission's stored texts written without trees
 * (bpg_req_sanitized_text(), bpg_req_summary_text()) against the trees
 * they stand for: bpg_json_dump(bpg_req_sanitized(r)) and
 * bpg_db_request_summary() of that copy, byte for byte, for the requests
 * of tests/data/req, the SparkPi request and a table of rows that leave
 * out or null each part of the summary.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_db.h"
#include "bpg_json.h"
#include "bpg_req.h"
#include "testutil.h"

static void
same(const char *name, const char *body, size_t len, enum bpg_req_format f)
{
	struct bpg_submit_req r;
	struct bpg_errinfo ei = { "" };
	json_t *san;
	char *want, *got, *want_sum, *got_sum;

	memset(&r, 0, sizeof(r));
	ck_assert_msg(bpg_req_parse(body, len, f, &r, &ei) == BPG_OK,
	    "%s: %s", name, ei.msg);
	san = bpg_req_sanitized(&r);
	ck_assert(san != NULL);
	want = bpg_json_dump(san, NULL);
	want_sum = bpg_db_request_summary(san);
	got = bpg_req_sanitized_text(&r);
	got_sum = bpg_req_summary_text(&r);
	ck_assert_msg(want != NULL && got != NULL && strcmp(want, got) == 0,
	    "%s: copy\n%s\n%s", name, want, got);
	ck_assert_msg(want_sum != NULL && got_sum != NULL &&
	    strcmp(want_sum, got_sum) == 0, "%s: summary\n%s\n%s", name,
	    want_sum, got_sum);
	free(want);
	free(got);
	free(want_sum);
	free(got_sum);
	json_decref(san);
	bpg_req_reset(&r);
}

static const char *const files[] = {
	"full.json", "full.yaml", "retry.json", "retry.yaml",
	"sample-scala.json", "sample-scala.yaml", "sparkpi.yaml",
	"full.sanitized.json",
};

START_TEST(test_files)
{
	size_t n;
	char *s = tu_slurp_data("req", files[_i], &n);

	same(files[_i], s, n, strstr(files[_i], ".yaml") != NULL ?
	    BPG_REQ_YAML : BPG_REQ_JSON);
	free(s);
}
END_TEST

START_TEST(test_sparkpi)
{
	size_t n;
	char *s = tu_slurp_shared("sparkpi-request.json", &n);

	ck_assert(s != NULL);
	same("sparkpi", s, n, BPG_REQ_JSON);
	free(s);
}
END_TEST

#define APP "\"applicationName\":\"a\",\"mainApplicationFile\":\"s3a://b/c\""

static const struct {
	const char *name, *json;
} rows[] = {
	{ "bare", "{" APP "}" },
	{ "spot_token", "{" APP ",\"spotInstance\":true,\"queueToken\":\"t\","
	  "\"queue\":\"dev\"}" },
	{ "driver_empty", "{" APP ",\"driver\":{}}" },
	{ "driver_image_only", "{" APP ",\"driver\":{\"image\":\"i\"}}" },
	{ "driver_memory_only", "{" APP ",\"driver\":{\"memory\":\"1g\"}}" },
	{ "driver_dag", "{" APP ",\"driver\":{\"labels\":{\"x\":\"y\","
	  "\"dag_name\":\"d\"}}}" },
	{ "driver_no_dag", "{" APP ",\"driver\":{\"labels\":{\"x\":\"y\"}}}" },
	{ "driver_labels_null", "{" APP ",\"driver\":{\"labels\":null,"
	  "\"cores\":2}}" },
	{ "executor_instances", "{" APP ",\"executor\":{\"instances\":3}}" },
	{ "executor_empty_driver_cores", "{" APP ",\"driver\":{\"cores\":1},"
	  "\"executor\":{\"image\":\"i\"}}" },
	{ "executor_empty_between", "{" APP ",\"driver\":{\"cores\":1},"
	  "\"executor\":{\"image\":\"i\"},\"arguments\":[\"x\"]}" },
	{ "executor_all", "{" APP ",\"executor\":{\"instances\":3,\"cores\":2,"
	  "\"memory\":\"4g\",\"deleteOnTermination\":false}}" },
	{ "arguments", "{" APP ",\"arguments\":[\"x\",\"\\u00e9\\n\"]}" },
	{ "arguments_empty", "{" APP ",\"arguments\":[]}" },
	{ "arguments_only", "{\"arguments\":[\"1\"]," APP "}" },
	{ "conf", "{" APP ",\"sparkConf\":{\"k\":\"v\",\"e\":\"\\\"q\\\"\"}}" },
};

START_TEST(test_rows)
{
	same(rows[_i].name, rows[_i].json, strlen(rows[_i].json),
	    BPG_REQ_JSON);
}
END_TEST

static Suite *
sanitized_suite(void)
{
	Suite *s = suite_create("sanitized");
	TCase *tc = tcase_create("text");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_files, 0, TU_NROWS(files));
	tcase_add_test(tc, test_sparkpi);
	tcase_add_loop_test(tc, test_rows, 0, TU_NROWS(rows));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(sanitized_suite());
}
