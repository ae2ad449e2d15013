/*
 * Tests of lib/bpg_summary.c: Spark's memory rule, the status fields of
 * section 4.2 and 4.3, SubmissionSummary of section 1.14 (defaults,
 * totals, sparkUIUrl rules with quirk 25), and the answers made from a
 * database row once the CR is gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_config.h"
#include "bpg_summary.h"
#include "testutil.h"

/* ---- memory --------------------------------------------------------- */

static const struct mem_case {
	const char *in;
	bool ok;
	int64_t gib;
} mem_cases[] = {
	{ "2g", true, 2 },
	{ "2G", true, 2 },
	{ " 2gb ", true, 2 },
	{ "2048m", true, 2 },
	{ "2432m", true, 2 },
	{ "512m", true, 0 },
	{ "1023MB", true, 0 },
	{ "1024mb", true, 1 },
	{ "1t", true, 1024 },
	{ "3TB", true, 3072 },
	{ "1p", true, 1048576 },
	{ "1073741824b", true, 1 },
	{ "1073741823", true, 1073741823 },	/* no suffix: GiB */
	{ "4", true, 4 },
	{ "0", true, 0 },
	{ "1048576k", true, 1 },
	{ "1048575kb", true, 0 },
	{ "9223372036854775807b", true, 8589934591 },
	{ "9223372036854775807", true, 9223372036854775807 },
	{ "8796093022207p", true, 9223372036853727232 },
	/* Refused: 0 (BPG logs them). */
	{ "8796093022208p", false, 0 },		/* over a long in GiB */
	{ "9223372036854775808", false, 0 },	/* over a long */
	{ "1.5g", false, 0 },
	{ "2Gi", false, 0 },
	{ "2 g", false, 0 },
	{ "-1g", false, 0 },
	{ "g", false, 0 },
	{ "", false, 0 },
	{ "  ", false, 0 },
	{ "2x", false, 0 },
	{ "2gbb", false, 0 },
	{ NULL, false, 0 },
};

START_TEST(test_memory)
{
	const struct mem_case *c = &mem_cases[_i];
	int64_t gib = -1;
	bool ok = bpg_summary_memory_gib(c->in, &gib);

	ck_assert_msg(ok == c->ok, "\"%s\": ok %d", c->in ? c->in : "(null)",
	    ok);
	ck_assert_msg(gib == c->gib, "\"%s\": %lld GiB, want %lld",
	    c->in ? c->in : "(null)", (long long)gib, (long long)c->gib);
}
END_TEST

/* ---- fixtures ------------------------------------------------------- */

static const char *config_yaml =
    "sparkClusters:\n"
    "  - id: c01\n"
    "    weight: 1\n"
    "    masterUrl: https://127.0.0.1:1\n"
    "    userTokenSOPS: plaintext:0123456789abcdef\n"
    "    sparkApplicationNamespace: spark-apps\n"
    "    sparkVersions: ['3.5.0']\n"
    "    sparkUIUrl: https://ui.example.com\n"
    "  - id: c02\n"
    "    weight: 1\n"
    "    masterUrl: https://127.0.0.1:1\n"
    "    userTokenSOPS: plaintext:0123456789abcdef\n"
    "    sparkApplicationNamespace: spark-apps\n"
    "    sparkVersions: ['3.5.0']\n";

static json_t *
parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);

	ck_assert_msg(j != NULL, "fixture: %s: %s", err.text, text);
	return j;
}

static char *
dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	ck_assert_ptr_nonnull(s);
	return s;
}

static void
ck_json(const json_t *got, const char *want)
{
	char *s = dump(got);

	ck_assert_msg(strcmp(s, want) == 0, "\n got %s\nwant %s", s, want);
	free(s);
}

/* 2020-11-25T21:48:56Z and a minute later. */
#define T0 1606340936000LL
#define T1 1606340996000LL

#define CR_RUNNING \
	"{\"metadata\":{\"name\":\"c01-0123456789abcdef0123456789abcdef\"," \
	"\"creationTimestamp\":\"2020-11-25T21:48:56Z\",\"labels\":{" \
	"\"proxyUser\":\"alice\",\"queue\":\"root.dev\"," \
	"\"maxRunningMillis\":\"43200000\"}},\"spec\":{\"sparkVersion\":" \
	"\"3.5.0\",\"arguments\":[\"10\"],\"sparkConf\":{\"spark.app.name\":" \
	"\"Pi\"},\"driver\":{\"cores\":2,\"memory\":\"2432m\",\"labels\":{" \
	"\"dag_name\":\"dag1\"}},\"executor\":{\"instances\":3,\"cores\":4," \
	"\"memory\":\"4g\"}},\"status\":{\"sparkApplicationId\":\"spark-1\"," \
	"\"applicationState\":{\"state\":\"RUNNING\"}}}"

/* ---- status (4.2, 4.3) ---------------------------------------------- */

START_TEST(test_status_running)
{
	struct bpg_config *cfg = tu_config(config_yaml, NULL);
	json_t *cr = parse(CR_RUNNING), *st;
	int64_t base;

	st = bpg_summary_status(&cfg->clusters[0], cr, true, T0 + 5000);
	ck_json(st, "{\"creationTime\":1606340936000,\"sparkApplicationId\":"
	    "\"spark-1\",\"executionAttempts\":1,\"duration\":5000,"
	    "\"applicationState\":\"RUNNING\",\"sparkUIUrl\":"
	    "\"https://ui.example.com/spark-apps/"
	    "c01-0123456789abcdef0123456789abcdef\"}");
	/* Re-timed later, as the cache does on output. */
	bpg_summary_set_duration(st, T0 + 9000);
	ck_assert_int_eq(json_integer_value(json_object_get(st, "duration")),
	    9000);
	/* Split for prerendered answers: runs from creationTime. */
	ck_assert(bpg_summary_duration_base(st, &base));
	ck_assert_int_eq(base, T0);
	json_object_set_new(st, "terminationTime", json_integer(T0 + 7000));
	ck_assert(!bpg_summary_duration_base(st, &base));
	ck_assert_int_eq(base, 7000);
	json_object_del(st, "terminationTime");
	json_object_set_new(st, "applicationState", json_string("FAILED"));
	ck_assert(!bpg_summary_duration_base(st, &base));
	ck_assert_int_eq(base, 0);
	json_decref(st);
	/* No sparkUIUrl on a cluster without one. */
	st = bpg_summary_status(&cfg->clusters[1], cr, true, T0);
	ck_assert_ptr_null(json_object_get(st, "sparkUIUrl"));
	json_decref(st);
	json_decref(cr);
	bpg_config_free(cfg);
}
END_TEST

static const struct status_case {
	const char *name, *cr, *want;
} status_cases[] = {
	{ "no status yet",
	  "{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":"
	  "\"2020-11-25T21:48:56Z\"}}",
	  "{\"creationTime\":1606340936000,\"duration\":0,"
	  "\"applicationState\":\"UNKNOWN\"}" },
	{ "finished, explicit attempts",
	  "{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":"
	  "\"2020-11-25T21:48:56Z\"},\"status\":{\"executionAttempts\":2,"
	  "\"terminationTime\":\"2020-11-25T21:49:56Z\",\"applicationState\":"
	  "{\"state\":\"FAILED\",\"errorMessage\":\"boom\"}}}",
	  "{\"creationTime\":1606340936000,\"executionAttempts\":2,"
	  "\"terminationTime\":1606340996000,\"duration\":60000,"
	  "\"applicationState\":\"FAILED\",\"applicationErrorMessage\":"
	  "\"boom\"}" },
	{ "empty state passes through",
	  "{\"metadata\":{\"name\":\"x\"},\"status\":{\"applicationState\":"
	  "{\"state\":\"\"}}}",
	  "{\"executionAttempts\":1,\"duration\":0,\"applicationState\":\"\"}" },
	{ "custom max running time",
	  "{\"metadata\":{\"name\":\"x\",\"labels\":{\"maxRunningMillis\":"
	  "\"86400000\"}},\"status\":{\"applicationState\":{\"state\":"
	  "\"COMPLETED\"}}}",
	  "{\"executionAttempts\":1,\"duration\":0,\"applicationState\":"
	  "\"COMPLETED\",\"applicationErrorMessage\":\"(warning: application "
	  "is configured with custom max running time: 86400000 millis, but "
	  "might be still killed in certain situations like maintenance)\"}" },
	{ "killed for running too long",
	  "{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":"
	  "\"2020-11-25T21:48:56Z\",\"labels\":{\"maxRunningMillis\":"
	  "\"100000\"}},\"status\":{\"terminationTime\":"
	  "\"2020-11-25T21:49:56Z\",\"applicationState\":{\"state\":\"FAILED\","
	  "\"errorMessage\":\"driver killed\"}}}",
	  "{\"creationTime\":1606340936000,\"executionAttempts\":1,"
	  "\"terminationTime\":1606340996000,\"duration\":60000,"
	  "\"applicationState\":\"FAILED\",\"applicationErrorMessage\":"
	  "\"driver killed (application might be killed because of running "
	  "too long)\"}" },
	{ "COMPLETED has no duration without a termination",
	  "{\"metadata\":{\"name\":\"x\",\"creationTimestamp\":"
	  "\"2020-11-25T21:48:56Z\"},\"status\":{\"applicationState\":"
	  "{\"state\":\"COMPLETED\"}}}",
	  "{\"creationTime\":1606340936000,\"executionAttempts\":1,"
	  "\"duration\":0,\"applicationState\":\"COMPLETED\"}" },
};

START_TEST(test_status_table)
{
	const struct status_case *c = &status_cases[_i];
	struct bpg_config *cfg = tu_config(config_yaml, NULL);
	json_t *cr = parse(c->cr), *st;
	char *s;

	st = bpg_summary_status(&cfg->clusters[0], cr, true, T1 + 1);
	s = dump(st);
	ck_assert_msg(strcmp(s, c->want) == 0, "%s:\n got %s\nwant %s",
	    c->name, s, c->want);
	free(s);
	json_decref(st);
	json_decref(cr);
	bpg_config_free(cfg);
}
END_TEST

/* ---- SubmissionSummary (1.14) --------------------------------------- */

START_TEST(test_summary_running)
{
	struct bpg_config *cfg = tu_config(config_yaml,
	    "sparkHistoryDns: shs.example.com\n");
	json_t *cr = parse(CR_RUNNING), *sum;

	sum = bpg_summary_of_cr(cfg, &cfg->clusters[0], cr, T0 + 1000);
	/* No maxRunningMillis remark; memory truncated to GiB (2432m: 2). */
	ck_json(sum, "{\"creationTime\":1606340936000,\"sparkApplicationId\":"
	    "\"spark-1\",\"executionAttempts\":1,\"duration\":1000,"
	    "\"applicationState\":\"RUNNING\",\"submissionId\":"
	    "\"c01-0123456789abcdef0123456789abcdef\",\"user\":\"alice\","
	    "\"queue\":\"root.dev\",\"dagName\":\"dag1\",\"driverCores\":2,"
	    "\"driverMemoryGB\":2,\"executorInstances\":3,\"executorCores\":4,"
	    "\"totalCores\":14,\"executorMemoryGB\":4,\"totalMemoryGB\":14,"
	    "\"sparkVersion\":\"3.5.0\",\"applicationName\":\"Pi\","
	    "\"sparkUIUrl\":\"https://ui.example.com/spark-apps/"
	    "c01-0123456789abcdef0123456789abcdef\",\"applicationArguments\":"
	    "[\"10\"]}");
	json_decref(sum);
	json_decref(cr);
	bpg_config_free(cfg);
}
END_TEST

START_TEST(test_summary_no_labels)
{
	struct bpg_config *cfg = tu_config(config_yaml, NULL);
	json_t *cr = parse("{\"metadata\":{\"name\":\"n\"},\"spec\":{"
	    "\"driver\":{\"cores\":8,\"memory\":\"8g\"},\"executor\":{"
	    "\"instances\":9}}}"), *sum;

	/* Without labels BPG keeps every default (section 1.14). */
	sum = bpg_summary_of_cr(cfg, &cfg->clusters[1], cr, T0);
	ck_json(sum, "{\"duration\":0,\"applicationState\":\"UNKNOWN\","
	    "\"submissionId\":\"n\",\"queue\":\"\",\"dagName\":\"\","
	    "\"driverCores\":1,\"driverMemoryGB\":0,\"executorInstances\":1,"
	    "\"executorCores\":1,\"totalCores\":2,\"executorMemoryGB\":0,"
	    "\"totalMemoryGB\":0}");
	json_decref(sum);
	json_decref(cr);
	/* Labels but no driver or executor: defaults, not a failure. */
	cr = parse("{\"metadata\":{\"name\":\"n\",\"labels\":{}},\"spec\":{}}");
	sum = bpg_summary_of_cr(cfg, &cfg->clusters[1], cr, T0);
	ck_json(sum, "{\"duration\":0,\"applicationState\":\"UNKNOWN\","
	    "\"submissionId\":\"n\",\"queue\":\"\",\"dagName\":\"\","
	    "\"driverCores\":1,\"driverMemoryGB\":0,\"executorInstances\":1,"
	    "\"executorCores\":1,\"totalCores\":2,\"executorMemoryGB\":0,"
	    "\"totalMemoryGB\":0}");
	json_decref(sum);
	json_decref(cr);
	bpg_config_free(cfg);
}
END_TEST

static const struct ui_case {
	const char *name;
	int cluster;		/* 0 has a sparkUIUrl, 1 not */
	const char *history_dns;
	const char *state, *app_id;
	const char *want;	/* NULL: no sparkUIUrl */
} ui_cases[] = {
	{ "running, UI", 0, NULL, "RUNNING", "a1",
	  "https://ui.example.com/spark-apps/ID" },
	{ "running in lower case", 0, NULL, "running", "a1",
	  "https://ui.example.com/spark-apps/ID" },
	{ "running, no UI", 1, "shs", "RUNNING", "a1", NULL },
	{ "completed", 0, "shs.example.com", "COMPLETED", "a1",
	  "https://shs.example.com/history/a1" },
	{ "failed, lower case", 1, "shs", "failed", "a2",
	  "https://shs/history/a2" },
	{ "completed, nothing known (quirk 25)", 1, NULL, "COMPLETED", NULL,
	  "https://null/history/null" },
	{ "submitted", 0, "shs", "SUBMITTED", "a1", NULL },
	{ "submission failed", 0, "shs", "SUBMISSION_FAILED", NULL, NULL },
	{ "no state", 0, "shs", NULL, NULL, NULL },
};

START_TEST(test_summary_ui_url)
{
	const struct ui_case *c = &ui_cases[_i];
	struct bpg_config *cfg;
	json_t *cr, *sum;
	char extra[128] = "", want[256];
	const char *got;

	if (c->history_dns != NULL)
		snprintf(extra, sizeof(extra), "sparkHistoryDns: %s\n",
		    c->history_dns);
	cfg = tu_config(config_yaml, extra);
	cr = json_pack("{s:{s:s, s:{}}, s:{}, s:{s:{s:s?}, s:s?}}",
	    "metadata", "name", "ID", "labels", "spec", "status",
	    "applicationState", "state", c->state, "sparkApplicationId",
	    c->app_id);
	ck_assert_ptr_nonnull(cr);
	sum = bpg_summary_of_cr(cfg, &cfg->clusters[c->cluster], cr, T0);
	ck_assert_ptr_nonnull(sum);
	got = json_string_value(json_object_get(sum, "sparkUIUrl"));
	if (c->want == NULL)
		ck_assert_msg(got == NULL, "%s: %s", c->name, got);
	else {
		snprintf(want, sizeof(want), "%s", c->want);
		ck_assert_msg(got != NULL && strcmp(got, want) == 0,
		    "%s: %s", c->name, got ? got : "(none)");
	}
	json_decref(sum);
	json_decref(cr);
	bpg_config_free(cfg);
}
END_TEST

/* ---- answers from the database row ---------------------------------- */

START_TEST(test_status_row)
{
	json_t *row = parse("{\"submission_id\":\"c01-x\",\"status\":"
	    "\"COMPLETED\",\"app_id\":\"spark-9\",\"created_time\":"
	    "1606340936000,\"finished_time\":1606340996000,\"error_message\":"
	    "null,\"request_body\":\"{}\"}"), *st;

	st = bpg_summary_status_row(row, T1 + 5);
	ck_json(st, "{\"creationTime\":1606340936000,\"sparkApplicationId\":"
	    "\"spark-9\",\"terminationTime\":1606340996000,\"duration\":60000,"
	    "\"applicationState\":\"COMPLETED\"}");
	json_decref(st);
	json_decref(row);
	/* A row the monitor never saw: UNKNOWN, no duration. */
	row = parse("{\"submission_id\":\"c01-x\",\"status\":null,"
	    "\"created_time\":1606340936000,\"finished_time\":null}");
	st = bpg_summary_status_row(row, T1);
	ck_json(st, "{\"creationTime\":1606340936000,\"duration\":0,"
	    "\"applicationState\":\"UNKNOWN\"}");
	json_decref(st);
	json_decref(row);
	/* A failed create keeps its reason. */
	row = parse("{\"status\":\"SUBMISSION_FAILED\",\"created_time\":"
	    "1606340936000,\"finished_time\":1606340937000,\"error_message\":"
	    "\"quota\"}");
	st = bpg_summary_status_row(row, T1);
	ck_json(st, "{\"creationTime\":1606340936000,\"terminationTime\":"
	    "1606340937000,\"duration\":1000,\"applicationState\":"
	    "\"SUBMISSION_FAILED\",\"applicationErrorMessage\":\"quota\"}");
	json_decref(st);
	json_decref(row);
}
END_TEST

START_TEST(test_summary_row)
{
	struct bpg_config *cfg = tu_config(config_yaml,
	    "sparkHistoryDns: shs\n");
	json_t *row, *sum;

	row = parse("{\"submission_id\":\"c02-0123456789abcdef0123456789abcdef\","
	    "\"user\":\"alice\",\"app_name\":\"Pi\",\"dag_name\":null,"
	    "\"queue\":\"..dev..\",\"status\":\"COMPLETED\",\"app_id\":\"s-1\","
	    "\"spark_version\":\"3.5.0\",\"created_time\":1606340936000,"
	    "\"finished_time\":1606340996000,\"error_message\":null,"
	    "\"request\":{\"driver\":{\"cores\":2,\"memory\":\"2.5g\","
	    "\"labels\":{\"dag_name\":\"my dag\"}},\"executor\":{\"instances\":"
	    "2,\"memory\":\"3072m\"},\"arguments\":[\"a\",\"b\"]}}");
	sum = bpg_summary_of_row(cfg, row, T1 + 1);
	/* 2.5g counts as the CR's 2g; the queue as the CR's label. */
	ck_json(sum, "{\"creationTime\":1606340936000,\"sparkApplicationId\":"
	    "\"s-1\",\"terminationTime\":1606340996000,\"duration\":60000,"
	    "\"applicationState\":\"COMPLETED\",\"submissionId\":"
	    "\"c02-0123456789abcdef0123456789abcdef\",\"user\":\"alice\","
	    "\"queue\":\"root.dev\",\"dagName\":\"my0dag\",\"driverCores\":2,"
	    "\"driverMemoryGB\":2,\"executorInstances\":2,\"executorCores\":1,"
	    "\"totalCores\":4,\"executorMemoryGB\":3,\"totalMemoryGB\":8,"
	    "\"sparkVersion\":\"3.5.0\",\"applicationName\":\"Pi\","
	    "\"sparkUIUrl\":\"https://shs/history/s-1\","
	    "\"applicationArguments\":[\"a\",\"b\"]}");
	json_decref(sum);
	json_decref(row);
	/* Nothing stored but the ID: the request's defaults (1 core, 1g). */
	row = parse("{\"submission_id\":\"c02-x\",\"user\":null,\"queue\":null,"
	    "\"status\":\"RUNNING\",\"created_time\":null,\"request\":{}}");
	sum = bpg_summary_of_row(cfg, row, T1);
	ck_json(sum, "{\"duration\":0,\"applicationState\":\"RUNNING\","
	    "\"submissionId\":\"c02-x\",\"queue\":\"\",\"dagName\":\"\","
	    "\"driverCores\":1,\"driverMemoryGB\":1,\"executorInstances\":1,"
	    "\"executorCores\":1,\"totalCores\":2,\"executorMemoryGB\":1,"
	    "\"totalMemoryGB\":2}");
	json_decref(sum);
	json_decref(row);
	bpg_config_free(cfg);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("summary");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_memory, 0,
	    sizeof(mem_cases) / sizeof(mem_cases[0]));
	tcase_add_test(tc, test_status_running);
	tcase_add_loop_test(tc, test_status_table, 0,
	    sizeof(status_cases) / sizeof(status_cases[0]));
	tcase_add_test(tc, test_summary_running);
	tcase_add_test(tc, test_summary_no_labels);
	tcase_add_loop_test(tc, test_summary_ui_url, 0,
	    sizeof(ui_cases) / sizeof(ui_cases[0]));
	tcase_add_test(tc, test_status_row);
	tcase_add_test(tc, test_summary_row);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
