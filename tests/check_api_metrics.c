/*
 * Tests of lib/bpg_api_metrics.c without a network: GET /metrics for
 * adminUsers and metricsUsers only, and the counts requests leave there
 * (by route pattern and status class, submissions by queue, cluster and
 * outcome, Kubernetes calls' latency and failures), in the supervisor's
 * shared table once it is set.  The cluster points at a closed loopback
 * port, so Kubernetes calls fail to connect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <curl/curl.h>

#include "bpg_api.h"
#include "bpg_config.h"
#include "bpg_metrics.h"
#include "testapi.h"
#include "testutil.h"

static const char *config_yaml =
    "sparkClusters:\n"
    "  - id: c01\n"
    "    weight: 100\n"
    "    masterUrl: https://127.0.0.1:1\n"
    "    userTokenSOPS: plaintext:0123456789abcdef\n"
    "    sparkApplicationNamespace: spark-applications\n"
    "    sparkVersions: ['3.5.0']\n"
    "    queues: [poc]\n"
    "    timeoutMillis: 2000\n"
    "sparkImages:\n"
    "  - {name: 'apache/spark:3.5.0', types: [Java], version: '3.5.0'}\n"
    "allowedUsers: ['*']\n"
    "adminUsers: [root]\n"
    "statusCacheExpireMillis: 600000\n"
    "queues:\n"
    "  - name: poc\n";

static struct bpg_config *cfg;
static struct bpg_api *api;

static void
setup_with(const char *extra)
{
	struct bpg_errinfo ei;

	cfg = tu_config(config_yaml, extra);
	ck_assert_int_eq(bpg_api_new(cfg, &api, &ei), BPG_OK);
}

static void
setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup_with("");
}

static void
teardown(void)
{
	bpg_api_free(api);
	bpg_config_free(cfg);
	api = NULL;
	cfg = NULL;
	curl_global_cleanup();
}

/* The answer's body is kept in the test's arena. */
static struct tu_answer
call(const char *method, const char *uri, const char *user, const char *body)
{
	struct tu_request r = { method, uri, user, NULL, body, -1, NULL };
	struct tu_answer m = tu_api_call(api, &r);

	tu_track(m.out);
	return m;
}

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

static const char *
scrape(void)
{
	struct tu_answer r = call("GET", "/skatev2/metrics", "root", NULL);

	ck_assert_msg(r.status == 200, "%d %s", r.status, r.out);
	return r.out;
}

/* adminUsers and metricsUsers read the metrics; others get a 403. */
START_TEST(test_access)
{
	struct tu_answer r;

	r = call("GET", "/skatev2/metrics", "bob", NULL);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.ctype, "application/json");
	ck_assert_str_eq(r.out, "{\"code\":403,\"message\":\"jakarta.ws.rs."
	    "WebApplicationException: only adminUsers and metricsUsers may "
	    "read the metrics\"}");
	r = call("GET", "/skatev2/metrics", NULL, NULL);
	ck_assert_int_eq(r.status, 401);
	r = call("GET", "/skatev2/metrics", "prom", NULL);
	ck_assert_int_eq(r.status, 403);
	r = call("POST", "/skatev2/metrics", "root", NULL);
	ck_assert_int_eq(r.status, 405);

	r = call("GET", "/skatev2/metrics", "root", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.ctype, BPG_METRICS_CONTENT_TYPE);
	ck_line(r.out, "# TYPE bpg_http_requests_total counter");

	teardown();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup_with("metricsUsers: [prom]\n");
	r = call("GET", "/skatev2/metrics", "prom", NULL);
	ck_assert_int_eq(r.status, 200);
	r = call("GET", "/skatev2/metrics", "root", NULL);
	ck_assert_int_eq(r.status, 200);
	r = call("GET", "/skatev2/metrics", "bob", NULL);
	ck_assert_int_eq(r.status, 403);
}
END_TEST

/*
 * Requests by the route table's pattern (never the raw path: no IDs) and
 * status class; paths no route serves as "unmatched".
 */
START_TEST(test_requests_by_route)
{
	const char *t;
	int i;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(call("GET", "/skatev2/spark/c01-0123456789abcdef0123456789abc123/status",
		    "bob", NULL).status, 502);
	ck_assert_int_eq(call("GET", "/skatev2/spark/c01-0123456789abcdef0123456789abc123/spec", NULL,
	    NULL).status, 401);
	ck_assert_int_eq(call("GET", "/skatev2/no/such/path/x1", "bob",
	    NULL).status, 404);
	ck_assert_int_eq(call("BREW", "/skatev2/admin/version", "bob",
	    NULL).status, 405);
	t = scrape();
	ck_line(t, "bpg_http_requests_total{route=\"/spark/{id}/status\","
	    "method=\"GET\",code=\"5xx\"} 3");
	ck_line(t, "bpg_http_requests_total{route=\"/spark/{id}/spec\","
	    "method=\"GET\",code=\"4xx\"} 1");
	ck_line(t, "bpg_http_requests_total{route=\"unmatched\","
	    "method=\"GET\",code=\"4xx\"} 1");
	ck_line(t, "bpg_http_requests_total{route=\"unmatched\","
	    "method=\"other\",code=\"4xx\"} 1");
	ck_assert_ptr_null(strstr(t, "abc123"));
	ck_assert_ptr_null(strstr(t, "x1"));
	/* The first status was looked up (once: one Kubernetes call), its
	 * answer kept for statusCacheExpireMillis and given twice. */
	ck_line(t, "bpg_status_cache_misses_total 1");
	ck_line(t, "bpg_status_cache_hits_total 2");
	ck_line(t, "bpg_kube_request_duration_seconds_count{cluster=\"c01\"} "
	    "1");
	/* Its own scrape is counted after it answered. */
	t = scrape();
	ck_line(t, "bpg_http_requests_total{route=\"/metrics\","
	    "method=\"GET\",code=\"2xx\"} 1");
}
END_TEST

/*
 * Submissions by queue (the config's name), cluster and outcome; the
 * Kubernetes calls they made, by cluster and reason.  No user name.
 */
START_TEST(test_submissions)
{
	static const char body[] = "{\"sparkVersion\":\"3.5.0\","
	    "\"mainClass\":\"x.Y\",\"mainApplicationFile\":"
	    "\"local:///x.jar\",\"queue\":\"poc\"}";
	const char *t;

	ck_assert_int_eq(call("POST", "/skatev2/spark", "bob", body).status,
	    502);
	ck_assert_int_eq(call("POST", "/skatev2/spark", "bob", "{").status,
	    400);
	ck_assert_int_eq(call("POST", "/skatev2/spark?dryRun=true", "bob",
	    body).status, 200);
	t = scrape();
	ck_line(t, "bpg_submissions_total{queue=\"poc\",cluster=\"\","
	    "outcome=\"failed\"} 1");
	ck_line(t, "bpg_submissions_total{queue=\"\",cluster=\"\","
	    "outcome=\"rejected\"} 1");
	ck_line(t, "bpg_submissions_total{queue=\"poc\",cluster=\"c01\","
	    "outcome=\"dry_run\"} 1");
	ck_assert_msg(strstr(t, "bpg_kube_errors_total{cluster=\"c01\","
	    "reason=\"connect\"} ") != NULL, "%s", t);
	ck_assert_msg(strstr(t, "bpg_kube_request_duration_seconds_count{"
	    "cluster=\"c01\"} ") != NULL, "%s", t);
	ck_assert_ptr_null(strstr(t, "bob"));
}
END_TEST

/* Once the supervisor's table is set, counts go there, for every worker. */
START_TEST(test_shared)
{
	struct bpg_metrics *m;
	struct bpg_api *api2;
	struct bpg_errinfo ei;
	struct bpg_buf b = { NULL, 0, 0 };
	char *t;

	ck_assert_int_eq(bpg_metrics_new_shared(&m, &ei), BPG_OK);
	ck_assert_int_eq(bpg_api_new(cfg, &api2, &ei), BPG_OK);
	bpg_api_set_metrics(api, m);
	bpg_api_set_metrics(api2, m);
	ck_assert_int_eq(call("GET", "/skatev2/admin/version", "bob",
	    NULL).status, 200);
	{
		struct bpg_api *keep = api;

		api = api2;
		ck_assert_int_eq(call("GET", "/skatev2/admin/version",
		    "bob", NULL).status, 200);
		/* Either worker shows both. */
		ck_line(scrape(), "bpg_http_requests_total{route="
		    "\"/admin/version\",method=\"GET\",code=\"2xx\"} 2");
		api = keep;
	}
	ck_assert_int_eq(bpg_metrics_render(m, BPG_METRICS_GATEWAY, &b),
	    BPG_OK);
	t = tu_track(bpg_buf_take(&b));
	ck_line(t, "bpg_http_requests_total{route=\"/admin/version\","
	    "method=\"GET\",code=\"2xx\"} 2");
	/* Back to its own: the shared counts are not there. */
	bpg_api_set_metrics(api, NULL);
	ck_assert_ptr_null(strstr(scrape(), "/admin/version"));
	bpg_api_free(api2);
	bpg_metrics_free(m);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("api_metrics");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_access);
	tcase_add_test(tc, test_requests_by_route);
	tcase_add_test(tc, test_submissions);
	tcase_add_test(tc, test_shared);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
