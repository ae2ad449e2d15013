/*
 * Tests of lib/bpg_metrics.c: the text format 0.0.4 (HELP and TYPE lines,
 * escaped label values, cumulative histogram buckets with le="+Inf",
 * _sum and _count), one view for processes forked after the table was
 * made, a full table dropping new series (and counting them), and the
 * whole output linted by Prometheus' own promtool.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "bpg_metrics.h"
#include "testutil.h"

static struct bpg_metrics *
make(void)
{
	struct bpg_metrics *m = NULL;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_metrics_new_shared(&m, &ei), BPG_OK);
	ck_assert_ptr_nonnull(m);
	return m;
}

static char *
render(const struct bpg_metrics *m, unsigned int mask)
{
	struct bpg_buf b = { NULL, 0, 0 };

	ck_assert_int_eq(bpg_metrics_render(m, mask, &b), BPG_OK);
	return tu_track(bpg_buf_take(&b));
}

/* Whether text has line as a whole line. */
static bool
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' ||
		    p[n] == '\0'))
			return true;
		p++;
	}
	return false;
}

#define ck_line(text, line) \
	ck_assert_msg(has_line((text), (line)), "no line \"%s\" in:\n%s", \
	    (line), (text))

START_TEST(test_counter_and_labels)
{
	struct bpg_metrics *m = make();
	char *t;

	bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS,
	    BPG_LV("poc", "c01", "accepted"));
	bpg_metrics_add(m, BPG_METRIC_SUBMISSIONS,
	    BPG_LV("poc", "c01", "accepted"), 4);
	bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS,
	    BPG_LV("poc", "c02", "rejected"));
	/* The text format's three escapes. */
	bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS,
	    BPG_LV("a\"b\\c\nd", "c01", "failed"));
	/* Short ones, read at once: one escape each. */
	bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS, BPG_LV("q\"", "c\\", "o\n"));
	/* Longer values, read eight bytes at a time: each escape in the
	 * first block of eight, then none at all. */
	bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS,
	    BPG_LV("root.qu\"eue.long", "cluster\nnumber-0001",
	    "accept\\ed-long-outcome"));
	bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS,
	    BPG_LV("root.qu\"eue.long", "cluster\nnumber-0001",
	    "accept\\ed-long-outcome"));
	bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS,
	    BPG_LV("root.queue.x.long", "cluster-number-0001",
	    "accepted-long-outcome"));
	bpg_metrics_inc(m, BPG_METRIC_DB_ERRORS, NULL);
	t = render(m, BPG_METRICS_GATEWAY);
	ck_line(t, "# HELP bpg_submissions_total POST /spark submissions by "
	    "queue, cluster and outcome");
	ck_line(t, "# TYPE bpg_submissions_total counter");
	ck_line(t, "bpg_submissions_total{queue=\"poc\",cluster=\"c01\","
	    "outcome=\"accepted\"} 5");
	ck_line(t, "bpg_submissions_total{queue=\"poc\",cluster=\"c02\","
	    "outcome=\"rejected\"} 1");
	ck_line(t, "bpg_submissions_total{queue=\"a\\\"b\\\\c\\nd\","
	    "cluster=\"c01\",outcome=\"failed\"} 1");
	ck_line(t, "bpg_submissions_total{queue=\"q\\\"\",cluster=\"c\\\\\","
	    "outcome=\"o\\n\"} 1");
	ck_line(t, "bpg_submissions_total{queue=\"root.qu\\\"eue.long\","
	    "cluster=\"cluster\\nnumber-0001\","
	    "outcome=\"accept\\\\ed-long-outcome\"} 2");
	ck_line(t, "bpg_submissions_total{queue=\"root.queue.x.long\","
	    "cluster=\"cluster-number-0001\","
	    "outcome=\"accepted-long-outcome\"} 1");
	ck_line(t, "bpg_db_errors_total 1");
	/* Unlabelled metrics are there before any update. */
	ck_line(t, "bpg_worker_restarts_total 0");
	ck_line(t, "# TYPE bpg_http_requests_total counter");
	/* The monitor's metrics are not the gateway's. */
	ck_assert_ptr_null(strstr(t, "bpg_monitor_leader"));
	t = render(m, BPG_METRICS_MONITOR);
	ck_line(t, "bpg_monitor_leader 0");
	ck_assert_ptr_null(strstr(t, "bpg_submissions_total"));
	bpg_metrics_free(m);
}
END_TEST

START_TEST(test_gauge)
{
	struct bpg_metrics *m = make();
	char *t;

	bpg_metrics_set(m, BPG_METRIC_MON_APPS, BPG_LV("c01", "RUNNING"), 7);
	bpg_metrics_add(m, BPG_METRIC_MON_APPS, BPG_LV("c01", "RUNNING"), -2);
	bpg_metrics_set(m, BPG_METRIC_MON_LEADER, NULL, 1);
	t = render(m, BPG_METRICS_MONITOR);
	ck_line(t, "# TYPE bpg_monitor_applications gauge");
	ck_line(t, "bpg_monitor_applications{cluster=\"c01\","
	    "state=\"RUNNING\"} 5");
	ck_line(t, "bpg_monitor_leader 1");
	bpg_metrics_set(m, BPG_METRIC_MON_LEADER, NULL, 0);
	t = render(m, BPG_METRICS_MONITOR);
	ck_line(t, "bpg_monitor_leader 0");
	/* set is for gauges only: a counter never goes down. */
	bpg_metrics_set(m, BPG_METRIC_DB_ERRORS, NULL, 9);
	t = render(m, BPG_METRICS_GATEWAY);
	ck_line(t, "bpg_db_errors_total 0");
	ck_line(t, "bpg_metrics_dropped_total 1");
	bpg_metrics_free(m);
}
END_TEST

START_TEST(test_histogram)
{
	struct bpg_metrics *m = make();
	char *t;

	/* 4 ms, 10 ms (on a bound: le is <=), 2 s, 100 s. */
	bpg_metrics_observe(m, BPG_METRIC_KUBE_DURATION, BPG_LV("c01"),
	    0.004);
	bpg_metrics_observe(m, BPG_METRIC_KUBE_DURATION, BPG_LV("c01"), 0.01);
	bpg_metrics_observe(m, BPG_METRIC_KUBE_DURATION, BPG_LV("c01"), 2);
	bpg_metrics_observe(m, BPG_METRIC_KUBE_DURATION, BPG_LV("c01"), 100);
	t = render(m, BPG_METRICS_GATEWAY);
	ck_line(t, "# TYPE bpg_kube_request_duration_seconds histogram");
	ck_line(t, "bpg_kube_request_duration_seconds_bucket{cluster=\"c01\","
	    "le=\"0.005\"} 1");
	ck_line(t, "bpg_kube_request_duration_seconds_bucket{cluster=\"c01\","
	    "le=\"0.01\"} 2");
	ck_line(t, "bpg_kube_request_duration_seconds_bucket{cluster=\"c01\","
	    "le=\"1\"} 2");
	ck_line(t, "bpg_kube_request_duration_seconds_bucket{cluster=\"c01\","
	    "le=\"2.5\"} 3");
	ck_line(t, "bpg_kube_request_duration_seconds_bucket{cluster=\"c01\","
	    "le=\"60\"} 3");
	ck_line(t, "bpg_kube_request_duration_seconds_bucket{cluster=\"c01\","
	    "le=\"+Inf\"} 4");
	ck_line(t, "bpg_kube_request_duration_seconds_sum{cluster=\"c01\"} "
	    "102.014000000");
	ck_line(t, "bpg_kube_request_duration_seconds_count{cluster=\"c01\"} "
	    "4");
	/* A histogram without labels, before any observation. */
	t = render(m, BPG_METRICS_MONITOR);
	ck_line(t, "bpg_monitor_event_to_db_seconds_bucket{le=\"+Inf\"} 0");
	ck_line(t, "bpg_monitor_event_to_db_seconds_sum 0.000000000");
	ck_line(t, "bpg_monitor_event_to_db_seconds_count 0");
	/* Negative and NaN are 0; add on a histogram is refused. */
	bpg_metrics_observe(m, BPG_METRIC_MON_EVENT_DB, NULL, -3);
	bpg_metrics_observe(m, BPG_METRIC_MON_EVENT_DB, NULL, 0.0 / 0.0);
	bpg_metrics_add(m, BPG_METRIC_MON_EVENT_DB, NULL, 5);
	t = render(m, BPG_METRICS_MONITOR);
	ck_line(t, "bpg_monitor_event_to_db_seconds_bucket{le=\"0.01\"} 2");
	ck_line(t, "bpg_monitor_event_to_db_seconds_count 2");
	ck_line(t, "bpg_metrics_dropped_total 1");
	/* Its buckets start at 1 ms: a monitor that keeps up is told apart
	 * from one a few milliseconds behind. */
	bpg_metrics_observe(m, BPG_METRIC_MON_EVENT_DB, NULL, 0.0008);
	bpg_metrics_observe(m, BPG_METRIC_MON_EVENT_DB, NULL, 0.002);
	bpg_metrics_observe(m, BPG_METRIC_MON_EVENT_DB, NULL, 0.004);
	bpg_metrics_observe(m, BPG_METRIC_MON_EVENT_DB, NULL, 0.007);
	bpg_metrics_observe(m, BPG_METRIC_MON_EVENT_DB, NULL, 0.02);
	t = render(m, BPG_METRICS_MONITOR);
	ck_line(t, "bpg_monitor_event_to_db_seconds_bucket{le=\"0.001\"} 3");
	ck_line(t, "bpg_monitor_event_to_db_seconds_bucket{le=\"0.0025\"} 4");
	ck_line(t, "bpg_monitor_event_to_db_seconds_bucket{le=\"0.005\"} 5");
	ck_line(t, "bpg_monitor_event_to_db_seconds_bucket{le=\"0.01\"} 6");
	ck_line(t, "bpg_monitor_event_to_db_seconds_bucket{le=\"0.025\"} 7");
	ck_line(t, "bpg_monitor_event_to_db_seconds_bucket{le=\"300\"} 7");
	ck_line(t, "bpg_monitor_event_to_db_seconds_count 7");
	bpg_metrics_free(m);
}
END_TEST

/* Children forked after the table was made all count into it. */
START_TEST(test_shared_between_processes)
{
	struct bpg_metrics *m = make();
	pid_t pids[4];
	int i, j, st;
	char *t;

	for (i = 0; i < 4; i++) {
		ck_assert_int_ge(pids[i] = fork(), 0);
		if (pids[i] == 0) {
			for (j = 0; j < 5000; j++) {
				bpg_metrics_inc(m, BPG_METRIC_HTTP_REQUESTS,
				    BPG_LV("/spark/{id}/status", "GET",
				    j % 2 ? "2xx" : "4xx"));
				bpg_metrics_observe(m,
				    BPG_METRIC_KUBE_DURATION, BPG_LV("c01"),
				    0.5);
			}
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(waitpid(pids[i], &st, 0), pids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	t = render(m, BPG_METRICS_GATEWAY);
	ck_line(t, "bpg_http_requests_total{route=\"/spark/{id}/status\","
	    "method=\"GET\",code=\"2xx\"} 10000");
	ck_line(t, "bpg_http_requests_total{route=\"/spark/{id}/status\","
	    "method=\"GET\",code=\"4xx\"} 10000");
	ck_line(t, "bpg_kube_request_duration_seconds_count{cluster=\"c01\"} "
	    "20000");
	ck_line(t, "bpg_kube_request_duration_seconds_sum{cluster=\"c01\"} "
	    "10000.000000000");
	/* One series each: no cell was claimed twice. */
	ck_assert_ptr_null(strstr(strstr(t, "code=\"2xx\"} 10000") + 1,
	    "code=\"2xx\""));
	bpg_metrics_free(m);
}
END_TEST

START_TEST(test_table_full)
{
	struct bpg_metrics *m = make();
	char q[32], line[128];
	int i;
	char *t;

	for (i = 0; i < BPG_METRICS_CELLS + 10; i++) {
		snprintf(q, sizeof(q), "q%d", i);
		bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS,
		    BPG_LV(q, "c", "accepted"));
	}
	/* Old series keep counting. */
	bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS,
	    BPG_LV("q0", "c", "accepted"));
	t = render(m, BPG_METRICS_GATEWAY);
	ck_line(t, "bpg_submissions_total{queue=\"q0\",cluster=\"c\","
	    "outcome=\"accepted\"} 2");
	snprintf(line, sizeof(line), "bpg_metrics_dropped_total %d", 10);
	ck_line(t, line);
	bpg_metrics_free(m);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct bpg_metrics *m = make();
	char big[BPG_METRICS_LABEL_TEXT + 1];
	char *t;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* No metrics: nothing happens. */
	bpg_metrics_inc(NULL, BPG_METRIC_DB_ERRORS, NULL);
	bpg_metrics_free(NULL);
	bpg_metrics_inc(m, BPG_METRIC__MAX, NULL);
	bpg_metrics_inc(m, (enum bpg_metric)-1, NULL);
	/* Labels missing, or too long to keep. */
	bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS, NULL);
	bpg_metrics_inc(m, BPG_METRIC_KUBE_ERRORS, BPG_LV("c", big));
	/* A NULL value is "". */
	bpg_metrics_inc(m, BPG_METRIC_KUBE_ERRORS, BPG_LV("c", NULL));
	t = render(m, BPG_METRICS_GATEWAY);
	ck_line(t, "bpg_metrics_dropped_total 4");
	ck_line(t, "bpg_kube_errors_total{cluster=\"c\",reason=\"\"} 1");
	ck_assert_ptr_null(bpg_metrics_name(BPG_METRIC__MAX));
	ck_assert_str_eq(bpg_metrics_name(BPG_METRIC_DB_ERRORS),
	    "bpg_db_errors_total");
	bpg_metrics_free(m);
}
END_TEST

/* Prometheus' linter: every metric of both programs, with series. */
START_TEST(test_promtool)
{
	struct bpg_metrics *m = make();
	const char *progs[] = { "gateway", "monitor" };
	char path[64], cmd[256];
	unsigned int mask;
	FILE *f;
	char *t;
	int i;

	bpg_metrics_inc(m, BPG_METRIC_HTTP_REQUESTS,
	    BPG_LV("/spark", "POST", "2xx"));
	bpg_metrics_inc(m, BPG_METRIC_SUBMISSIONS,
	    BPG_LV("q \"x\"", "c01", "accepted"));
	bpg_metrics_observe(m, BPG_METRIC_KUBE_DURATION, BPG_LV("c01"), 0.1);
	bpg_metrics_inc(m, BPG_METRIC_KUBE_ERRORS,
	    BPG_LV("c01", "timeout"));
	bpg_metrics_set(m, BPG_METRIC_BUILD_INFO,
	    BPG_LV("gateway", "1.0", "abc"), 1);
	bpg_metrics_set(m, BPG_METRIC_MON_APPS, BPG_LV("c01", "RUNNING"), 3);
	bpg_metrics_inc(m, BPG_METRIC_MON_WATCH_RESTARTS, BPG_LV("c01"));
	bpg_metrics_inc(m, BPG_METRIC_MON_RELISTS, BPG_LV("c01"));
	bpg_metrics_observe(m, BPG_METRIC_MON_EVENT_DB, NULL, 0.02);
	bpg_metrics_inc(m, BPG_METRIC_MON_SCHEDULES, BPG_LV("sent"));
	bpg_metrics_inc(m, BPG_METRIC_MON_RETRIES, BPG_LV("failed"));
	bpg_metrics_inc(m, BPG_METRIC_MON_NOTIFICATIONS, BPG_LV("sent"));
	for (i = 0; i < 2; i++) {
		mask = i == 0 ? BPG_METRICS_GATEWAY : BPG_METRICS_MONITOR;
		t = render(m, mask);
		snprintf(path, sizeof(path), "/tmp/check_metrics.%ld.%s",
		    (long)getpid(), progs[i]);
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		ck_assert_int_eq(fputs(t, f) >= 0, 1);
		ck_assert_int_eq(fclose(f), 0);
		/* promtool prints its findings and exits 1 on any. */
		snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 1>&2",
		    path);
		ck_assert_msg(system(cmd) == 0, "promtool check metrics "
		    "failed on the %s's output:\n%s", progs[i], t);
		unlink(path);
	}
	bpg_metrics_free(m);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_counter_and_labels);
	tcase_add_test(tc, test_gauge);
	tcase_add_test(tc, test_histogram);
	tcase_add_test(tc, test_shared_between_processes);
	tcase_add_test(tc, test_table_full);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_promtool);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
