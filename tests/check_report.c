/*
 * Tests for lib/bpg_report.c: parameters, nearest-rank percentiles, the
 * rows, JSON and CSV.  The time is passed in; nothing reads the clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_buf.h"
#include "bpg_report.h"
#include "testutil.h"

/* 2026-12-06T12:00:00Z */
#define NOW_MS 1796558400000LL
#define DAY_MS 86400000LL

/* ---- parameters ------------------------------------------------------- */

static const struct {
	const char *from, *to, *group, *format;
	int64_t from_ms, to_ms, from_s, to_s;
	enum bpg_report_group g;
	enum bpg_report_format f;
} good[] = {
	/* Defaults: the 30 days before now, by queue, as JSON. */
	{ NULL, NULL, NULL, NULL, NOW_MS - 30 * DAY_MS, NOW_MS,
	    (NOW_MS - 30 * DAY_MS) / 1000, NOW_MS / 1000, BPG_REPORT_QUEUE,
	    BPG_REPORT_JSON },
	/* Dates: `to` is the end of its day, so this is all of November. */
	{ "2026-11-01", "2026-11-30", "day", "csv", 1793491200000LL,
	    1796083200000LL, 1793491200LL, 1796083200LL, BPG_REPORT_DAY,
	    BPG_REPORT_CSV },
	{ "2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", "user", "json",
	    1793491200000LL, 1793577600000LL, 1793491200LL, 1793577600LL,
	    BPG_REPORT_USER, BPG_REPORT_JSON },
	/* Offsets are converted to UTC; '+' sent unencoded arrives as ' '. */
	{ "2026-11-01T01:00:00+01:00", "2026-11-01T10:00:00 02:00",
	    "cluster", NULL, 1793491200000LL, 1793520000000LL, 1793491200LL,
	    1793520000LL, BPG_REPORT_CLUSTER, BPG_REPORT_JSON },
	{ "2026-10-31T19:00:00-05:00", "2026-11-01t00:00:01z", "queue", NULL,
	    1793491200000LL, 1793491201000LL, 1793491200LL, 1793491201LL,
	    BPG_REPORT_QUEUE, BPG_REPORT_JSON },
	/* Milliseconds: the table's whole seconds inside [from, to). */
	{ "2026-11-01T00:00:00.001Z", "2026-11-01T00:00:02.5Z", NULL, NULL,
	    1793491200001LL, 1793491202500LL, 1793491201LL, 1793491203LL,
	    BPG_REPORT_QUEUE, BPG_REPORT_JSON },
	/* Only `to`: from is 30 days before it. */
	{ NULL, "2026-11-30T00:00:00Z", NULL, NULL, 1793404800000LL,
	    1795996800000LL, 1793404800LL, 1795996800LL, BPG_REPORT_QUEUE,
	    BPG_REPORT_JSON },
	/* The longest span, a leap year. */
	{ "2028-01-01", "2028-12-31", NULL, NULL, 1830297600000LL,
	    1830297600000LL + 366 * DAY_MS, 1830297600LL,
	    1830297600LL + 366 * 86400, BPG_REPORT_QUEUE, BPG_REPORT_JSON },
};

START_TEST(test_good)
{
	struct bpg_report_query q;
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_report_parse(good[_i].from, good[_i].to,
	    good[_i].group, good[_i].format, NOW_MS, &q, &ei) == BPG_OK,
	    "row %d: %s", _i, ei.msg);
	if (good[_i].from_s != 0 || good[_i].to_s != 0) {
		ck_assert_msg(q.from_ms == good[_i].from_ms, "row %d: from "
		    "%lld", _i, (long long)q.from_ms);
		ck_assert_msg(q.to_ms == good[_i].to_ms, "row %d: to %lld", _i,
		    (long long)q.to_ms);
		ck_assert_msg(q.from_s == good[_i].from_s, "row %d", _i);
		ck_assert_msg(q.to_s == good[_i].to_s, "row %d", _i);
	} else
		ck_assert_int_eq(q.to_ms - q.from_ms, 30 * DAY_MS);
	ck_assert_int_eq(q.group, good[_i].g);
	ck_assert_int_eq(q.format, good[_i].f);
	ck_assert_ptr_null(q.user);
}
END_TEST

static const struct {
	const char *from, *to, *group, *format, *why;
} bad[] = {
	{ "2026-13-01", NULL, NULL, NULL, "from must be" },
	{ "2026-02-29", "2026-03-01", NULL, NULL, "from must be" },
	{ "yesterday", NULL, NULL, NULL, "from must be" },
	{ "", NULL, NULL, NULL, "from must be" },
	{ "2026-11-01T00:00:00", "2026-11-02", NULL, NULL, "from must be" },
	{ "2026-11-01 00:00:00Z", "2026-11-02", NULL, NULL, "from must be" },
	{ "2026-11-01T24:00:00Z", "2026-11-02", NULL, NULL, "from must be" },
	{ "1796558400", NULL, NULL, NULL, "from must be" },
	{ NULL, "2026-11-31", NULL, NULL, "to must be an" },
	{ NULL, "2026-11-01T00:00:00+1:00", NULL, NULL, "to must be an" },
	{ "2026-11-02", "2026-11-01", NULL, NULL, "to must be after" },
	/* Equal bounds: nothing is inside [from, to). */
	{ "2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z", NULL, NULL,
	    "to must be after" },
	{ "2026-01-01", "2027-01-02T00:00:01Z", NULL, NULL,
	    "at most 366 days" },
	{ "2025-01-01", "2026-12-31", NULL, NULL, "at most 366 days" },
	{ "1970-01-01", "1970-01-02", NULL, NULL, "must lie between" },
	{ "2038-01-19", "2038-01-20", NULL, NULL, "must lie between" },
	{ NULL, NULL, "queues", NULL, "groupBy must be" },
	{ NULL, NULL, "Queue", NULL, "groupBy must be" },
	{ NULL, NULL, "", NULL, "groupBy must be" },
	{ NULL, NULL, NULL, "xml", "format must be" },
	{ NULL, NULL, NULL, "CSV", "format must be" },
};

START_TEST(test_bad)
{
	struct bpg_report_query q;
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_report_parse(bad[_i].from, bad[_i].to, bad[_i].group,
	    bad[_i].format, NOW_MS, &q, &ei) == BPG_EINVAL, "row %d passed",
	    _i);
	ck_assert_msg(strstr(ei.msg, bad[_i].why) != NULL, "row %d: %s", _i,
	    ei.msg);
}
END_TEST

START_TEST(test_states)
{
	ck_assert_int_eq(bpg_report_state_of("COMPLETED"), BPG_REPORT_COMPLETED);
	ck_assert_int_eq(bpg_report_state_of("failed"), BPG_REPORT_FAILED);
	ck_assert_int_eq(bpg_report_state_of("FAILED_SUBMISSION"),
	    BPG_REPORT_FAILED_SUBMISSION);
	ck_assert_int_eq(bpg_report_state_of("LOST"), BPG_REPORT_LOST);
	ck_assert_int_eq(bpg_report_state_of("RUNNING"), BPG_REPORT_UNFINISHED);
	ck_assert_int_eq(bpg_report_state_of(""), BPG_REPORT_UNFINISHED);
	ck_assert_int_eq(bpg_report_state_of(NULL), BPG_REPORT_UNFINISHED);
	ck_assert_str_eq(bpg_report_state_name(BPG_REPORT_UNFINISHED),
	    "UNFINISHED");
	/* FIELD()'s places: 0 none, then the list's order. */
	ck_assert_int_eq(bpg_report_state_at(0), BPG_REPORT_UNFINISHED);
	ck_assert_int_eq(bpg_report_state_at(1), BPG_REPORT_COMPLETED);
	ck_assert_int_eq(bpg_report_state_at(5), BPG_REPORT_LOST);
	ck_assert_int_eq(bpg_report_state_at(6), BPG_REPORT_UNFINISHED);
	ck_assert_int_eq(bpg_report_state_at(-1), BPG_REPORT_UNFINISHED);
	ck_assert_str_eq(BPG_REPORT_FINAL_STATES_SQL, "'COMPLETED', 'FAILED', "
	    "'SUBMISSION_FAILED', 'FAILED_SUBMISSION', 'LOST'");
}
END_TEST

/* ---- percentiles ------------------------------------------------------ */

static const struct {
	unsigned int p;
	uint64_t n, rank;
} ranks[] = {
	{ 50, 0, 0 }, { 50, 1, 1 }, { 95, 1, 1 }, { 50, 2, 1 }, { 95, 2, 2 },
	{ 50, 3, 2 }, { 50, 4, 2 }, { 50, 5, 3 }, { 95, 19, 19 },
	{ 95, 20, 19 }, { 95, 21, 20 }, { 50, 100, 50 }, { 95, 100, 95 },
	{ 95, 101, 96 }, { 100, 7, 7 }, { 1, 7, 1 },
	/* No overflow in p * n. */
	{ 95, UINT64_MAX, UINT64_MAX / 100 * 95 + 15 },
};

START_TEST(test_rank)
{
	ck_assert_msg(bpg_report_rank(ranks[_i].p, ranks[_i].n) ==
	    ranks[_i].rank, "row %d: %llu", _i,
	    (unsigned long long)bpg_report_rank(ranks[_i].p, ranks[_i].n));
}
END_TEST

/* Nearest rank on sorted data, ties and all (NIST's worked example). */
START_TEST(test_pick)
{
	static const int64_t v[] = { 15, 20, 35, 40, 50 };
	struct bpg_report_pick pk;
	size_t i;

	bpg_report_pick_init(&pk, 5);
	for (i = 0; i < 5; i++)
		bpg_report_pick(&pk, v[i], 1);
	ck_assert_int_eq(pk.p50, 35);
	ck_assert_int_eq(pk.p95, 50);
	bpg_report_pick_init(&pk, 0);
	ck_assert_int_eq(pk.p50, -1);
	bpg_report_pick_init(&pk, 1000);
	for (i = 1; i <= 1000; i++)
		bpg_report_pick(&pk, (int64_t)i * 10, 1);
	ck_assert_int_eq(pk.p50, 5000);
	ck_assert_int_eq(pk.p95, 9500);
	/* Counts: 7 x3, 9 x1: ranks 2 and 4. */
	bpg_report_pick_init(&pk, 4);
	bpg_report_pick(&pk, 7, 3);
	bpg_report_pick(&pk, 9, 1);
	ck_assert_int_eq(pk.p50, 7);
	ck_assert_int_eq(pk.p95, 9);
	/* One value holding every rank. */
	bpg_report_pick_init(&pk, 1000000);
	bpg_report_pick(&pk, 42, 1000000);
	ck_assert_int_eq(pk.p50, 42);
	ck_assert_int_eq(pk.p95, 42);
	/* Rank 950 of 1000 is the first of the second bin exactly. */
	bpg_report_pick_init(&pk, 1000);
	bpg_report_pick(&pk, 1, 949);
	bpg_report_pick(&pk, 2, 51);
	ck_assert_int_eq(pk.p50, 1);
	ck_assert_int_eq(pk.p95, 2);
}
END_TEST

/* The histogram merges equal neighbours, grows, and empties per group. */
START_TEST(test_hist)
{
	struct bpg_report_hist h = { NULL, 0, 0 };
	struct bpg_report_row row;
	int64_t i;

	memset(&row, 0, sizeof(row));
	for (i = 1; i <= 1000; i++) {
		ck_assert(bpg_report_hist_add(&h, i * 1000, 1) == BPG_OK);
		/* The same value again (another state): one bin. */
		ck_assert(bpg_report_hist_add(&h, i * 1000, 1) == BPG_OK);
	}
	ck_assert_uint_eq(h.n, 1000);
	ck_assert_uint_le(h.cap, 2000);
	bpg_report_hist_done(&h, &row);
	ck_assert_int_eq(row.p50_ms, 500000);
	ck_assert_int_eq(row.p95_ms, 950000);
	ck_assert_uint_eq(h.n, 0);
	bpg_report_hist_done(&h, &row);
	ck_assert_int_eq(row.p50_ms, -1);
	ck_assert(bpg_report_hist_add(&h, 5, 3) == BPG_OK);
	bpg_report_hist_done(&h, &row);
	ck_assert_int_eq(row.p95_ms, 5);
	bpg_report_hist_free(&h);
	bpg_report_hist_free(&h);
	bpg_report_hist_free(NULL);
}
END_TEST

/* ---- rows ------------------------------------------------------------- */

static struct bpg_report_row *
add(struct bpg_report *r, const char *key)
{
	struct bpg_report_row *row;
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_report_add(r, key, strlen(key), &row, &ei) == BPG_OK,
	    "%s", ei.msg);
	return row;
}

START_TEST(test_rows)
{
	struct bpg_report r = { NULL, 0, 0 };
	char key[16];
	int i;

	/* Many rows: the array grows geometrically, keys stay findable. */
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%05d", i);
		add(&r, key)->jobs = i;
	}
	ck_assert_uint_eq(r.n, 5000);
	ck_assert_uint_le(r.cap, 2 * 5000);
	ck_assert_int_eq(bpg_report_find(&r, "k04321", 6)->jobs, 4321);
	ck_assert_int_eq(bpg_report_find(&r, "k00000", 6)->jobs, 0);
	ck_assert_ptr_null(bpg_report_find(&r, "k0432", 5));
	ck_assert_ptr_null(bpg_report_find(&r, "k043210", 7));
	ck_assert_int_eq(r.rows[7].p50_ms, -1);
	bpg_report_free(&r);
	bpg_report_free(&r);
	ck_assert_uint_eq(r.n, 0);
	bpg_report_free(NULL);
}
END_TEST

/* ---- CSV -------------------------------------------------------------- */

static const struct {
	const char *in, *out;
} fields[] = {
	{ "plain", "plain" },
	{ "", "" },
	{ "a,b", "\"a,b\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "\"", "\"\"\"\"" },
	{ "two\r\nlines", "\"two\r\nlines\"" },
	{ "line\n", "\"line\n\"" },
	{ "=1+1", "=1+1" },
	{ "ünï cödé", "ünï cödé" },
};

START_TEST(test_csv_field)
{
	struct bpg_buf b = { NULL, 0, 0 };
	char *s;

	ck_assert(bpg_report_csv_field(&b, fields[_i].in,
	    strlen(fields[_i].in)) == BPG_OK);
	s = tu_track(bpg_buf_take(&b));
	ck_assert_str_eq(s, fields[_i].out);
}
END_TEST

static void
sample(struct bpg_report *r)
{
	struct bpg_report_row *row;

	row = add(r, "a,\"b\"");
	row->jobs = 3;
	row->states[BPG_REPORT_COMPLETED] = 2;
	row->states[BPG_REPORT_UNFINISHED] = 1;
	row->runs = 2;
	row->p50_ms = 60000;
	row->p95_ms = 120000;
	row->vcore_s = 540;
	row->mb_s = 1105920;
	row->has_cost = true;
	row->cost = 0.1 + 0.2;
	row = add(r, "spark-a");
	row->jobs = 1;
	row->states[BPG_REPORT_LOST] = 1;
}

START_TEST(test_csv)
{
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_report_query q;
	struct bpg_errinfo ei = { "" };
	size_t len;
	char *s;

	ck_assert(bpg_report_parse("2026-11-01", "2026-11-30", "queue", "csv",
	    NOW_MS, &q, &ei) == BPG_OK);
	sample(&r);
	s = tu_track(bpg_report_csv(&r, &q, NULL, &len));
	ck_assert_uint_eq(len, strlen(s));
	ck_assert_str_eq(s,
	    "key,jobs,COMPLETED,FAILED,SUBMISSION_FAILED,FAILED_SUBMISSION,"
	    "LOST,UNFINISHED,durationP50Ms,durationP95Ms,vcoreSeconds,"
	    "mbSeconds,cost\r\n"
	    "\"a,\"\"b\"\"\",3,2,0,0,0,0,1,60000,120000,540,1105920,0.3\r\n"
	    "spark-a,1,0,0,0,0,1,0,,,0,0,\r\n");
	bpg_report_free(&r);
}
END_TEST

/* groupBy cluster: each cluster's weight beside its share of jobs. */
START_TEST(test_cluster_share)
{
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_report_query q;
	struct bpg_errinfo ei = { "" };
	struct bpg_config *cfg;
	json_t *j, *rows;
	size_t len;
	char *s;

	cfg = tu_config("sparkClusters:\n"
	    "  - id: spark-a\n    weight: 3\n"
	    "    masterUrl: https://127.0.0.1:1\n"
	    "    sparkApplicationNamespace: ns\n"
	    "  - id: spark-b\n    weight: 1\n"
	    "    masterUrl: https://127.0.0.1:2\n"
	    "    sparkApplicationNamespace: ns\n", NULL);
	ck_assert(bpg_report_parse("2026-11-01", "2026-11-30", "cluster",
	    NULL, NOW_MS, &q, &ei) == BPG_OK);
	add(&r, "gone")->jobs = 1;
	add(&r, "spark-a")->jobs = 1;
	add(&r, "spark-b")->jobs = 2;
	j = tu_jtrack(bpg_report_json(&r, &q, cfg));
	ck_assert_str_eq(json_string_value(json_object_get(j, "from")),
	    "2026-11-01T00:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(j, "to")),
	    "2026-12-01T00:00:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(j, "groupBy")),
	    "cluster");
	rows = json_object_get(j, "rows");
	ck_assert_uint_eq(json_array_size(rows), 3);
	ck_assert(json_is_null(json_object_get(json_array_get(rows, 0),
	    "weight")));
	ck_assert_int_eq(json_integer_value(json_object_get(
	    json_array_get(rows, 1), "weight")), 3);
	ck_assert(json_real_value(json_object_get(json_array_get(rows, 1),
	    "weightShare")) == 0.75);
	ck_assert(json_real_value(json_object_get(json_array_get(rows, 2),
	    "share")) == 0.5);
	ck_assert(json_real_value(json_object_get(json_array_get(rows, 1),
	    "share")) == 0.25);
	ck_assert(json_is_null(json_object_get(json_array_get(rows, 1),
	    "durationP50Ms")));
	ck_assert(json_is_null(json_object_get(json_array_get(rows, 1),
	    "cost")));
	s = tu_track(bpg_report_csv(&r, &q, cfg, &len));
	ck_assert_msg(strstr(s, ",weight,weightShare,share\r\n") != NULL,
	    "%s", s);
	ck_assert_msg(strstr(s, "\r\nspark-a,1,0,0,0,0,0,0,,,0,0,,3,0.75,0.25"
	    "\r\n") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "\r\ngone,1,0,0,0,0,0,0,,,0,0,,,,0.25\r\n") !=
	    NULL, "%s", s);
	bpg_report_free(&r);
	bpg_config_free(cfg);
}
END_TEST

START_TEST(test_json)
{
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_report_query q;
	struct bpg_errinfo ei = { "" };
	json_t *j, *row, *st;

	ck_assert(bpg_report_parse("2026-11-01T00:00:00.5Z",
	    "2026-11-02T00:00:00Z", "queue", NULL, NOW_MS, &q, &ei) == BPG_OK);
	sample(&r);
	j = tu_jtrack(bpg_report_json(&r, &q, NULL));
	ck_assert_str_eq(json_string_value(json_object_get(j, "from")),
	    "2026-11-01T00:00:00.500Z");
	row = json_array_get(json_object_get(j, "rows"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(row, "key")),
	    "a,\"b\"");
	ck_assert_int_eq(json_integer_value(json_object_get(row, "jobs")), 3);
	st = json_object_get(row, "states");
	ck_assert_uint_eq(json_object_size(st), BPG_REPORT_STATE__MAX);
	ck_assert_int_eq(json_integer_value(json_object_get(st, "COMPLETED")),
	    2);
	ck_assert_int_eq(json_integer_value(json_object_get(st, "UNFINISHED")),
	    1);
	ck_assert_int_eq(json_integer_value(json_object_get(row,
	    "durationP95Ms")), 120000);
	ck_assert_int_eq(json_integer_value(json_object_get(row,
	    "vcoreSeconds")), 540);
	/* To the cent, as the cost column holds it. */
	ck_assert(json_real_value(json_object_get(row, "cost")) == 0.3);
	ck_assert_ptr_null(json_object_get(row, "share"));
	bpg_report_free(&r);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_good, 0, TU_NROWS(good));
	tcase_add_loop_test(tc, test_bad, 0, TU_NROWS(bad));
	tcase_add_test(tc, test_states);
	tcase_add_loop_test(tc, test_rank, 0, TU_NROWS(ranks));
	tcase_add_test(tc, test_pick);
	tcase_add_test(tc, test_hist);
	tcase_add_test(tc, test_rows);
	tcase_add_loop_test(tc, test_csv_field, 0, TU_NROWS(fields));
	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_cluster_share);
	tcase_add_test(tc, test_json);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
