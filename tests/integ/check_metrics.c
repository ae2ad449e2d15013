/*
 * Metrics end to end, against the running stack (tests/integ.sh): a real
 * Prometheus server (Debian's prometheus) scrapes the gateway's GET
 * /metrics through the web server (HTTPS, basic auth as carol, an admin)
 * and a bpg-monitor started here with -m, every second; PromQL queries
 * through its HTTP API must show the counts this test caused.  Each
 * query is polled until the scrape that carries them happened (bounded:
 * no fixed sleep races it).  promtool lints both outputs.
 *
 * Ports: the stack's base ($BPG_HTTPS_PORT) + 20 for the monitor's
 * metrics, + 21 for Prometheus.  Both processes die with the test
 * (PR_SET_PDEATHSIG) and log to $BPG_STACK_DIR.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>

#include "integ.h"

#define CAROL "carol:carol-pw"
#define NSUBMIT 3
#define NSTATUS 5
#define WAIT_S 180

static int
port(int offset)
{
	return atoi(integ_env("BPG_HTTPS_PORT")) + offset;
}

/* Start argv[0] with its output to log; it dies with this process. */
static pid_t
start(const char **argv, const char *log)
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	pid_t pid;

	ck_assert_msg(fd >= 0, "%s: %s", log, strerror(errno));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], (char *const *)(void *)argv);
		_exit(127);
	}
	close(fd);
	return pid;
}

static void
stop(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	char **body = arg;
	size_t old = *body != NULL ? strlen(*body) : 0;
	char *nb = realloc(*body, old + sz * n + 1);

	if (nb == NULL)
		return 0;
	memcpy(nb + old, p, sz * n);
	nb[old + sz * n] = '\0';
	*body = nb;
	return sz * n;
}

/*
 * GET url (plain HTTP: the monitor, Prometheus), which may not listen
 * yet: the body of a 200, else NULL.
 */
static char *
get(const char *url)
{
	CURL *c = curl_easy_init();
	char *body = NULL;
	long status = 0;

	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	if (curl_easy_perform(c) != CURLE_OK ||
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
	    status != 200) {
		free(body);
		body = NULL;
	}
	curl_easy_cleanup(c);
	return body;
}

/* The gateway's /metrics through the web server, as carol. */
static char *
gateway_metrics(void)
{
	struct integ_http h = integ_api("GET", "/metrics", CAROL, NULL, NULL);
	char *text;

	ck_assert_msg(h.status == 200, "GET /metrics: %ld %s", h.status,
	    h.body);
	text = strdup(h.body);
	ck_assert_ptr_nonnull(text);
	integ_http_free(&h);
	return text;
}

static char *
monitor_metrics(void)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port(20));
	return get(url);
}

/*
 * The sum of the samples of text whose line starts with prefix and holds
 * every one of the NULL-terminated needles: what sum(...) of PromQL
 * gives, read from the exposition itself.
 */
static double
sum_of(const char *text, const char *prefix, const char *const *needles)
{
	const char *line = text, *nl, *sp;
	char buf[1024];
	double sum = 0;
	size_t n, i;

	for (; *line != '\0'; line = *nl ? nl + 1 : nl) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			nl = line + strlen(line);
		n = (size_t)(nl - line);
		if (n >= sizeof(buf) || strncmp(line, prefix,
		    strlen(prefix)) != 0)
			continue;
		memcpy(buf, line, n);
		buf[n] = '\0';
		for (i = 0; needles[i] != NULL; i++)
			if (strstr(buf, needles[i]) == NULL)
				break;
		if (needles[i] != NULL || (sp = strrchr(buf, ' ')) == NULL)
			continue;
		sum += strtod(sp + 1, NULL);
	}
	return sum;
}

/* promtool check metrics accepts text. */
static void
lint(const char *what, const char *text)
{
	char path[512], cmd[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/metrics-%s.txt",
	    integ_env("BPG_STACK_DIR"), what);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < '%s' >&2", path);
	ck_assert_msg(system(cmd) == 0, "promtool check metrics: the %s's "
	    "output (%s) has problems", what, path);
}

/*
 * The value of PromQL query (one sample: use sum() and the like), through
 * Prometheus' HTTP API; false while it has none.
 */
static bool
promql(const char *query, double *out)
{
	char url[2048], *q, *body;
	json_t *doc, *res, *v;
	bool ok = false;

	q = curl_easy_escape(NULL, query, 0);
	ck_assert_ptr_nonnull(q);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/query?query=%s",
	    port(21), q);
	curl_free(q);
	if ((body = get(url)) == NULL)
		return false;
	doc = json_loads(body, 0, NULL);
	res = json_object_get(json_object_get(doc, "data"), "result");
	v = json_array_get(json_object_get(json_array_get(res, 0), "value"), 1);
	if (json_array_size(res) == 1 && json_is_string(v)) {
		*out = strtod(json_string_value(v), NULL);
		ok = true;
	}
	json_decref(doc);
	free(body);
	return ok;
}

/* Until query's value is want (at least want if at_least); bounded. */
static void
expect(const char *query, double want, bool at_least)
{
	long long until = integ_now_ms() + WAIT_S * 1000LL;
	double v = NAN;
	bool have = false;

	while (integ_now_ms() < until) {
		if ((have = promql(query, &v)) &&
		    (at_least ? v >= want : v == want))
			return;
		integ_sleep_ms(250);
	}
	ck_abort_msg("PromQL %s: %s%g after %d s, not %s%g", query,
	    have ? "" : "no sample, last ", v, WAIT_S, at_least ? ">= " : "",
	    want);
}

START_TEST(test_prometheus_scrapes)
{
	static const char *const accepted[] = { "outcome=\"accepted\"",
		NULL };
	static const char *const status_2xx[] = {
		"route=\"/spark/{id}/status\"", "code=\"2xx\"", NULL };
	static const char *const metrics_4xx[] = { "route=\"/metrics\"",
		"code=\"4xx\"", NULL };
	static const char *const none[] = { NULL };
	const char *dir = integ_env("BPG_STACK_DIR");
	char conf[512], data[512], mon_addr[64], prom_addr[64], plog[512];
	char mlog[512], flag_conf[600], flag_data[600], flag_web[100];
	char query[512], sched[256], *ids[NSUBMIT], *text, *mtext;
	const char *url = integ_env("BPG_URL"), *ctx_path;
	double b_sub, b_status, b_403, b_restart;
	pid_t workers[64];
	struct integ_http h;
	pid_t mon, prom;
	long long until;
	json_t *st;
	FILE *f;
	int i;

	/* The monitor, serving its metrics whether it leads or not. */
	snprintf(conf, sizeof(conf), "%s/config.yaml", dir);
	snprintf(mon_addr, sizeof(mon_addr), "127.0.0.1:%d", port(20));
	snprintf(mlog, sizeof(mlog), "%s/monitor-metrics.log", dir);
	{
		const char *build = getenv("BUILD");
		char bin[512];
		/* Watches of 1 s: the server ends them, the monitor
		 * resumes them (bpg_monitor_watch_restarts_total). */
		const char *argv[] = { bin, "-c", conf, "-m", mon_addr, "-w",
			"1", NULL };

		snprintf(bin, sizeof(bin), "%s/bpg-monitor",
		    build != NULL && build[0] != '\0' ? build : "build");
		mon = start(argv, mlog);
	}
	/* Up and leading (the other tests' monitors are gone). */
	until = integ_now_ms() + WAIT_S * 1000LL;
	for (;;) {
		mtext = monitor_metrics();
		if (mtext != NULL && strstr(mtext, "\nbpg_monitor_leader 1\n"))
			break;
		ck_assert_msg(integ_now_ms() < until, "the monitor did not lead "
		    "within %d s (%s)", WAIT_S, mlog);
		free(mtext);
		integ_sleep_ms(200);
	}
	free(mtext);

	/* Prometheus, scraping both every second. */
	ctx_path = strchr(strstr(url, "://") + 3, '/');
	ck_assert_ptr_nonnull(ctx_path);
	snprintf(conf, sizeof(conf), "%s/prometheus.yml", dir);
	snprintf(data, sizeof(data), "%s/prometheus-data", dir);
	ck_assert_ptr_nonnull(f = fopen(conf, "w"));
	fprintf(f,
	    "global:\n"
	    "  scrape_interval: 1s\n"
	    "  scrape_timeout: 1s\n"
	    "scrape_configs:\n"
	    "  - job_name: gateway\n"
	    "    scheme: https\n"
	    "    metrics_path: %s/metrics\n"
	    "    tls_config: {ca_file: '%s'}\n"
	    "    basic_auth: {username: carol, password: carol-pw}\n"
	    "    static_configs: [{targets: ['127.0.0.1:%d']}]\n"
	    "  - job_name: monitor\n"
	    "    static_configs: [{targets: ['127.0.0.1:%d']}]\n",
	    ctx_path, integ_env("BPG_CA"), port(0), port(20));
	ck_assert_int_eq(fclose(f), 0);
	snprintf(flag_conf, sizeof(flag_conf), "--config.file=%s", conf);
	snprintf(flag_data, sizeof(flag_data), "--storage.tsdb.path=%s", data);
	snprintf(prom_addr, sizeof(prom_addr), "127.0.0.1:%d", port(21));
	snprintf(flag_web, sizeof(flag_web), "--web.listen-address=%s",
	    prom_addr);
	snprintf(plog, sizeof(plog), "%s/prometheus.log", dir);
	{
		char rm[600];
		const char *argv[] = { "prometheus", flag_conf, flag_data,
			flag_web, NULL };

		snprintf(rm, sizeof(rm), "rm -rf '%s'", data);
		ck_assert_int_eq(system(rm), 0);
		prom = start(argv, plog);
	}

	/* What this test adds to: the counts so far. */
	text = gateway_metrics();
	b_sub = sum_of(text, "bpg_submissions_total{", accepted);
	b_403 = sum_of(text, "bpg_http_requests_total{", metrics_4xx);
	free(text);
	for (i = 0; i < NSUBMIT; i++)
		ids[i] = integ_submit(INTEG_ALICE, NULL, NULL);
	for (i = 0; i < NSUBMIT; i++) {
		st = integ_wait_state(ids[i], "COMPLETED", WAIT_S);
		ck_assert_str_eq(integ_jstr(st, "applicationState"),
		    "COMPLETED");
		json_decref(st);
	}
	text = gateway_metrics();
	b_status = sum_of(text, "bpg_http_requests_total{", status_2xx);
	free(text);
	for (i = 0; i < NSTATUS; i++) {
		char path[512];

		snprintf(path, sizeof(path), "/spark/%s/status", ids[i %
		    NSUBMIT]);
		h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
		ck_assert_int_eq(h.status, 200);
		integ_http_free(&h);
	}
	/* Not an admin nor in metricsUsers: 403; no user: the web
	 * server's 401, which never reaches the gateway. */
	h = integ_api("GET", "/metrics", INTEG_ALICE, NULL, NULL);
	integ_assert_error(&h, 403, "only adminUsers and metricsUsers");
	integ_http_free(&h);
	h = integ_api("GET", "/metrics", NULL, NULL, NULL);
	ck_assert_int_eq(h.status, 401);
	integ_http_free(&h);
	/* A schedule fired now: the monitor sends it. */
	h = integ_api("POST", "/schedules", INTEG_ALICE, INTEG_JSON,
	    "{\"name\":\"metrics\",\"cron\":\"@hourly\",\"request\":"
	    "{\"sparkVersion\":\"3.5.0\",\"queue\":\"dev\","
	    "\"mainApplicationFile\":\"local:///x.jar\",\"mainClass\":"
	    "\"x.Main\"}}");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	snprintf(sched, sizeof(sched), "/schedules/%s",
	    integ_jstr(h.json, "scheduleId"));
	integ_http_free(&h);
	snprintf(query, sizeof(query), "%s/trigger", sched);
	h = integ_api("POST", query, INTEG_ALICE, INTEG_JSON, "");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	/* A worker killed: the supervisor replaces it, and counts it. */
	text = gateway_metrics();
	b_restart = sum_of(text, "bpg_worker_restarts_total ", none);
	free(text);
	ck_assert_int_gt(integ_workers(integ_supervisor(), workers, 64), 0);
	ck_assert_int_eq(kill(workers[0], SIGKILL), 0);

	/* Both targets scraped, and the counts there. */
	expect("up{job=\"gateway\"}", 1, false);
	expect("up{job=\"monitor\"}", 1, false);
	snprintf(query, sizeof(query),
	    "sum(bpg_submissions_total{job=\"gateway\",outcome=\"accepted\"})");
	expect(query, b_sub + NSUBMIT, false);
	snprintf(query, sizeof(query), "sum(bpg_http_requests_total{job="
	    "\"gateway\",route=\"/spark/{id}/status\",code=\"2xx\"})");
	expect(query, b_status + NSTATUS, false);
	snprintf(query, sizeof(query), "sum(bpg_http_requests_total{job="
	    "\"gateway\",route=\"/metrics\",code=\"4xx\"})");
	expect(query, b_403 + 1, false);
	expect("bpg_build_info{job=\"gateway\",program=\"gateway\"}", 1,
	    false);
	expect("bpg_worker_restarts_total{job=\"gateway\"}", b_restart + 1,
	    false);
	expect("sum(bpg_kube_request_duration_seconds_count{job="
	    "\"gateway\"})", NSUBMIT, true);
	/* The monitor: leading, it listed, wrote our apps' events, sees
	 * them COMPLETED. */
	expect("bpg_monitor_leader{job=\"monitor\"}", 1, false);
	expect("sum(bpg_monitor_relists_total{job=\"monitor\"})", 2, true);
	expect("sum(bpg_monitor_event_to_db_seconds_count{job="
	    "\"monitor\"})", NSUBMIT, true);
	expect("sum(bpg_monitor_applications{job=\"monitor\",state="
	    "\"COMPLETED\"})", NSUBMIT, true);
	expect("bpg_build_info{job=\"monitor\",program=\"monitor\"}", 1,
	    false);
	expect("sum(bpg_monitor_watch_restarts_total{job=\"monitor\"})", 2,
	    true);
	expect("bpg_monitor_schedule_fires_total{job=\"monitor\",outcome="
	    "\"sent\"}", 1, true);
	h = integ_api("DELETE", sched, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	integ_http_free(&h);

	/* Lint both, and no submission ID or user name as a label. */
	text = gateway_metrics();
	mtext = monitor_metrics();
	ck_assert_ptr_nonnull(mtext);
	lint("gateway", text);
	lint("monitor", mtext);
	for (i = 0; i < NSUBMIT; i++) {
		ck_assert_ptr_null(strstr(text, ids[i]));
		ck_assert_ptr_null(strstr(mtext, ids[i]));
		free(ids[i]);
	}
	ck_assert_ptr_null(strstr(text, "alice"));
	free(text);
	free(mtext);
	stop(prom);
	stop(mon);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("integ_metrics");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 1200);
	tcase_add_test(tc, test_prometheus_scrapes);
	suite_add_tcase(s, tc);
	return integ_run(s, 0);
}
