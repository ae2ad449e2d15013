/*
 * Tests for lib/bpg_cli_out.c (human times, sizes, bars, tables, the
 * status and list renderings) and for the pure helpers of
 * lib/bpg_cli_cmd.c and lib/bpg_cli_http.c (--queue on a YAML spec, URL
 * escaping and redaction).  No network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "bpg_cli_cmd.h"
#include "bpg_cli_http.h"
#include "bpg_cli_out.h"
#include "testutil.h"

#define NOW 1700000000000LL

START_TEST(test_ago)
{
	static const struct {
		long long delta_ms;
		const char *want;
	} rows[] = {
		{ 0, "just now" }, { 4999, "just now" }, { 5000, "5 s ago" },
		{ 59999, "59 s ago" }, { 60000, "1 min ago" },
		{ 180000, "3 min ago" }, { 3599999, "59 min ago" },
		{ 3600000, "1 h ago" }, { 86399999, "23 h ago" },
		{ 86400000, "1 day ago" }, { 3 * 86400000LL, "3 days ago" },
		{ -180000, "in 3 min" }, { -1000, "just now" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bpg_cli_ago(out, sizeof(out), NOW - rows[i].delta_ms, NOW);
		ck_assert_msg(strcmp(out, rows[i].want) == 0, "row %zu: %s",
		    i, out);
	}
}
END_TEST

START_TEST(test_duration_bytes)
{
	static const struct {
		long long ms;
		const char *want;
	} d[] = {
		{ 0, "0 s" }, { -5, "0 s" }, { 850, "850 ms" }, { 1000, "1 s" },
		{ 42999, "42 s" }, { 185000, "3 min 05 s" },
		{ 7620000, "2 h 07 min" }, { 273600000, "3 d 04 h" },
	};
	static const struct {
		unsigned long long n;
		const char *want;
	} b[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 1536, "1.5 KiB" },
		{ 50ULL << 20, "50.0 MiB" }, { 5ULL << 30, "5.0 GiB" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		bpg_cli_duration(out, sizeof(out), d[i].ms);
		ck_assert_msg(strcmp(out, d[i].want) == 0, "duration row %zu: "
		    "%s", i, out);
	}
	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		bpg_cli_bytes(out, sizeof(out), b[i].n);
		ck_assert_msg(strcmp(out, b[i].want) == 0, "bytes row %zu: %s",
		    i, out);
	}
}
END_TEST

START_TEST(test_bar)
{
	char out[256];

	bpg_cli_bar(out, sizeof(out), "upload", 0, 100, 10, NULL);
	ck_assert_str_eq(out, "upload [..........]   0%");
	bpg_cli_bar(out, sizeof(out), "upload", 45, 100, 10, "45 B / 100 B");
	ck_assert_str_eq(out, "upload [####......]  45%  45 B / 100 B");
	bpg_cli_bar(out, sizeof(out), "upload", 100, 100, 10, NULL);
	ck_assert_str_eq(out, "upload [##########] 100%");
	/* Past the total, and no total at all. */
	bpg_cli_bar(out, sizeof(out), "x", 150, 100, 4, NULL);
	ck_assert_str_eq(out, "x [####] 100%");
	bpg_cli_bar(out, sizeof(out), "x", 5, 0, 4, NULL);
	ck_assert_str_eq(out, "x [....]   0%");
	/* 64-bit sizes do not overflow. */
	bpg_cli_bar(out, sizeof(out), "x", 1ULL << 62, 1ULL << 63, 4, NULL);
	ck_assert_str_eq(out, "x [##..]  50%");

	ck_assert_int_eq(bpg_cli_state_step(NULL), 0);
	ck_assert_int_eq(bpg_cli_state_step("UNKNOWN"), 0);
	ck_assert_int_eq(bpg_cli_state_step("SUBMITTED"), 1);
	ck_assert_int_eq(bpg_cli_state_step("RUNNING"), 2);
	ck_assert_int_eq(bpg_cli_state_step("FAILING"), 3);
	ck_assert_int_eq(bpg_cli_state_step("COMPLETED"), 4);
	ck_assert_int_eq(bpg_cli_state_step("FAILED"), 4);
}
END_TEST

static char *
print_table(const struct bpg_cli_table *t)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	bpg_cli_table_print(t, f);
	fclose(f);
	return text;
}

START_TEST(test_table)
{
	static const char *const h[] = { "ID", "STATE", "NAME" };
	static const char *const r1[] = { "a-1", "RUNNING", "pi" };
	static const char *const r2[] = { "b-22222", NULL, "\033[2Jwipe\n" };
	static const char *const r3[] = { "é", "X", "" };
	struct bpg_cli_table *t = bpg_cli_table_new(3, h);
	char *text;

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(bpg_cli_table_add(t, r1), BPG_OK);
	ck_assert_int_eq(bpg_cli_table_add(t, r2), BPG_OK);
	ck_assert_int_eq(bpg_cli_table_add(t, r3), BPG_OK);
	ck_assert_uint_eq(bpg_cli_table_rows(t), 3);
	text = print_table(t);
	/* Aligned, escape sequences defused, UTF-8 counted as one column,
	 * no trailing blanks. */
	ck_assert_str_eq(text,
	    "ID       STATE    NAME\n"
	    "a-1      RUNNING  pi\n"
	    "b-22222           ?[2Jwipe?\n"
	    "é        X\n");
	free(text);
	bpg_cli_table_free(t);
	bpg_cli_table_free(NULL);
}
END_TEST

START_TEST(test_table_growth)
{
	static const char *const h[] = { "N" };
	struct bpg_cli_table *t = bpg_cli_table_new(1, h);
	const char *cell[1];
	char buf[16];
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		cell[0] = buf;
		ck_assert_int_eq(bpg_cli_table_add(t, cell), BPG_OK);
	}
	ck_assert_uint_eq(bpg_cli_table_rows(t), 1000);
	bpg_cli_table_free(t);
}
END_TEST

START_TEST(test_status)
{
	json_t *st = json_pack("{s:I,s:s,s:i,s:I,s:I,s:s,s:s}",
	    "creationTime", (json_int_t)(NOW - 180000), "sparkApplicationId",
	    "spark-123", "executionAttempts", 1, "terminationTime",
	    (json_int_t)(NOW - 60000), "duration", (json_int_t)120000,
	    "applicationState", "FAILED", "applicationErrorMessage",
	    "driver \033]0;x\007 died");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	bpg_cli_print_status(f, "spark-cluster-a-1", st, NOW);
	fclose(f);
	ck_assert_str_eq(text,
	    "Submission:        spark-cluster-a-1\n"
	    "State:             FAILED\n"
	    "Application ID:    spark-123\n"
	    "Created:           3 min ago\n"
	    "Terminated:        1 min ago\n"
	    "Duration:          2 min 00 s\n"
	    "Attempts:          1\n"
	    "Error:             driver ?]0;x? died\n");
	free(text);
	json_decref(st);
}
END_TEST

START_TEST(test_summaries)
{
	json_t *list = json_pack("[{s:s,s:s,s:s,s:s,s:I,s:I,s:s},{s:s}]",
	    "submissionId", "spark-cluster-a-1", "applicationState", "RUNNING",
	    "user", "alice", "queue", "root.dev", "creationTime",
	    (json_int_t)(NOW - 7200000), "duration", (json_int_t)7200000,
	    "applicationName", "pi", "submissionId", "spark-cluster-b-2");
	struct bpg_cli_table *t = bpg_cli_summary_table();
	json_t *one;
	char *text;

	ck_assert_int_eq(bpg_cli_summary_add(t, list, NOW), BPG_OK);
	one = json_integer(1);
	ck_assert_int_eq(bpg_cli_summary_add(t, one, NOW), BPG_EINVAL);
	json_decref(one);
	text = print_table(t);
	ck_assert_str_eq(text,
	    "SUBMISSION ID      STATE    USER   QUEUE     CREATED  DURATION"
	    "    NAME\n"
	    "spark-cluster-a-1  RUNNING  alice  root.dev  2 h ago  2 h 00 "
	    "min  pi\n"
	    "spark-cluster-b-2\n");
	free(text);
	bpg_cli_table_free(t);
	json_decref(list);
}
END_TEST

START_TEST(test_yaml_queue)
{
	static const struct {
		const char *in, *q, *want;
	} rows[] = {
		/* replaced at column 0 only (not a nested "queue:") */
		{ "applicationName: a\nqueue: dev\nsparkConf:\n  queue: x\n",
		  "prod", "applicationName: a\nqueue: \"prod\"\nsparkConf:\n"
		  "  queue: x\n" },
		/* appended, with the newline the file lacked */
		{ "applicationName: a", "dev",
		  "applicationName: a\nqueue: \"dev\"\n" },
		{ "", "dev", "queue: \"dev\"\n" },
		/* quoted: YAML's double-quoted escapes */
		{ "queue: a\n", "we\"ird\\", "queue: \"we\\\"ird\\\\\"\n" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		s = bpg_cli_yaml_queue(rows[i].in, strlen(rows[i].in),
		    rows[i].q);
		ck_assert_msg(s != NULL && strcmp(s, rows[i].want) == 0,
		    "row %zu: %s", i, s != NULL ? s : "(null)");
		free(s);
	}
	ck_assert_ptr_null(bpg_cli_yaml_queue("queue: a\n", 9, "a\nb: c"));
}
END_TEST

START_TEST(test_escape_redact)
{
	char *e, out[128];

	e = bpg_cli_http_escape("spark-cluster-a_1.x~");
	ck_assert_str_eq(e, "spark-cluster-a_1.x~");
	free(e);
	e = bpg_cli_http_escape("a/b c?&=%");
	ck_assert_str_eq(e, "a%2Fb%20c%3F%26%3D%25");
	free(e);

	bpg_cli_redact_url(out, sizeof(out), "https://u:hunter2@h:1/skatev2");
	ck_assert_str_eq(out, "https://***@h:1/skatev2");
	bpg_cli_redact_url(out, sizeof(out), "https://u:p@w@h/x@y");
	ck_assert_str_eq(out, "https://***@h/x@y");
	bpg_cli_redact_url(out, sizeof(out), "https://h/skatev2?a=b@c");
	ck_assert_str_eq(out, "https://h/skatev2?a=b@c");
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("cli_out");
	TCase *tc = tcase_create("cli_out");

	tcase_add_test(tc, test_ago);
	tcase_add_test(tc, test_duration_bytes);
	tcase_add_test(tc, test_bar);
	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_table_growth);
	tcase_add_test(tc, test_status);
	tcase_add_test(tc, test_summaries);
	tcase_add_test(tc, test_yaml_queue);
	tcase_add_test(tc, test_escape_redact);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
