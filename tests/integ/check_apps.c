/*
 * Integration tests of the per-submission and list endpoints through the
 * real stack (web server, spawn-fcgi, bpg-gateway, MariaDB, the Kubernetes
 * API stand-in), started by tests/stack.sh: status and its cache, spec,
 * driver, describe, delete and who may do it, mySubmissions,
 * admin/submissions, the list rate limits, version, the OpenAPI document,
 * bad IDs, and the history that outlives a CR.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "bpg_yaml.h"

#include "integ.h"

/* The stack's gateway workers (tests/integ.sh: stack.sh start ... 4). */
#define WORKERS 4
/* statusCacheExpireMillis: the stack's config leaves BPG's default. */
#define CACHE_MS 990

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- submissions ---------------------------------------------------- */

struct sub {
	char id[128];
	char cluster[2];	/* "a" or "b" */
};

/*
 * Submit SparkPi as userpw, named app_name (NULL: SparkPiDemo).  With
 * outcome (e.g. "RUNNING") the simulated operator is told what to do with
 * it before it gets anywhere.
 */
static struct sub
submit(const char *userpw, const char *app_name, const char *outcome)
{
	char ctl[256], *id;
	struct sub s;

	id = integ_submit(userpw, app_name != NULL ? "applicationName" : NULL,
	    app_name != NULL ? json_string(app_name) : NULL);
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "%s", id);
	free(id);
	ck_assert_msg(strncmp(s.id, "spark-cluster-", 14) == 0, "%s", s.id);
	s.cluster[0] = s.id[14];
	if (outcome != NULL) {
		snprintf(ctl, sizeof(ctl), "{\"apps\":{\"%s\":\"%s\"}}", s.id,
		    outcome);
		json_decref(integ_control(s.cluster, "POST", "/operator", ctl));
	}
	return s;
}

/* A name no earlier run used. */
static void
unique_name(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "apps-it-%s-%ld-%ld", tag, (long)getpid(),
	    (long)time(NULL));
}

/* Poll status until state (or fail after seconds); the last answer. */
static json_t *
wait_state(const struct sub *s, const char *want, int seconds)
{
	json_t *last = integ_wait_state(s->id, want, seconds);
	const char *state = integ_jstr(last, "applicationState");

	ck_assert_msg(state != NULL && strcmp(state, want) == 0,
	    "%s never reached %s (last %s)", s->id, want, state);
	return last;
}

/* Remove the CR behind the gateway's back, as its TTL would. */
static void
kube_delete(const struct sub *s)
{
	char path[512];
	struct integ_http h;

	snprintf(path, sizeof(path), INTEG_APPS "/%s", s->id);
	h = integ_kube(s->cluster, "DELETE", path, NULL);
	ck_assert_msg(h.status == 200 || h.status == 202, "delete CR: %ld %s",
	    h.status, h.body);
	integ_http_free(&h);
	h = integ_kube(s->cluster, "GET", path, NULL);
	ck_assert_int_eq(h.status, 404);
	integ_http_free(&h);
}

static bool
cr_exists(const struct sub *s)
{
	char path[512];
	struct integ_http h;
	bool found;

	snprintf(path, sizeof(path), INTEG_APPS "/%s", s->id);
	h = integ_kube(s->cluster, "GET", path, NULL);
	found = h.status == 200;
	integ_http_free(&h);
	return found;
}

/* Let the list endpoints' buckets fill up again (20 per second). */
static void
rest_rate_limits(void)
{
	usleep(1100000);
}

/* The entries of mySubmissions (new reference). */
static json_t *
my_submissions(const char *userpw)
{
	struct integ_http h = integ_api("GET", "/spark/mySubmissions", userpw,
	    NULL, NULL);
	json_t *subs;

	ck_assert_msg(h.status == 200, "mySubmissions: %ld %s", h.status,
	    h.body);
	ck_assert_str_eq(h.ctype, "application/json");
	subs = json_incref(json_object_get(h.json, "submissions"));
	ck_assert_msg(json_is_array(subs), "%s", h.body);
	integ_http_free(&h);
	return subs;
}

/* How often id appears among the summaries; *found gets the last. */
static int
count_id(const json_t *list, const char *id, const json_t **found)
{
	const json_t *e;
	size_t i;
	int n = 0;

	json_array_foreach(list, i, e)
		if (integ_jstr(e, "submissionId") != NULL &&
		    strcmp(integ_jstr(e, "submissionId"), id) == 0) {
			n++;
			if (found != NULL)
				*found = e;
		}
	return n;
}

/* admin/submissions?name=...: the NDJSON lines as an array. */
static json_t *
admin_submissions(const char *name)
{
	char path[512], *line, *save = NULL;
	struct integ_http h;
	json_t *arr = json_array(), *o;

	if (name != NULL)
		snprintf(path, sizeof(path), "/admin/submissions?name=%s",
		    name);
	else
		snprintf(path, sizeof(path), "/admin/submissions");
	/* carol is an admin: others may not list everything. */
	h = integ_api("GET", path, "carol:carol-pw", NULL, NULL);
	ck_assert_msg(h.status == 200, "admin/submissions: %ld %s", h.status,
	    h.body);
	ck_assert_str_eq(h.ctype, "application/json");
	/* Every line is one compact object followed by "\n". */
	ck_assert(h.len == 0 || h.body[h.len - 1] == '\n');
	for (line = strtok_r(h.body, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		o = json_loads(line, 0, NULL);
		ck_assert_msg(json_is_object(o), "not an object: %s", line);
		ck_assert_msg(strchr(line, ' ') == NULL ||
		    strstr(line, "\": ") == NULL, "not compact: %s", line);
		json_array_append_new(arr, o);
	}
	integ_http_free(&h);
	return arr;
}

/* ---- tests ---------------------------------------------------------- */

START_TEST(test_version)
{
	struct integ_http h = integ_api("GET", "/admin/version", NULL, NULL,
	    NULL);
	const char *key;
	json_t *v;
	int i = 0;
	static const char *const order[] = { "version", "gitCommit",
		"buildTime" };

	/* No credentials needed (section 1.11, quirk 20). */
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(h.ctype, "application/json");
	ck_assert_msg(strncmp(h.body, "{\n  \"version\" : \"", 17) == 0, "%s",
	    h.body);
	ck_assert_ptr_nonnull(strstr(h.body, ",\n  \"gitCommit\" : "));
	ck_assert_ptr_nonnull(strstr(h.body, ",\n  \"buildTime\" : "));
	ck_assert(h.len >= 2 && strcmp(h.body + h.len - 2, "}\n") == 0);
	json_object_foreach(h.json, key, v) {
		ck_assert_str_eq(key, order[i]);
		ck_assert(json_is_string(v) || json_is_null(v));
		i++;
	}
	ck_assert_int_eq(i, 3);
	ck_assert_str_eq(integ_jstr(h.json, "version"), BPG_VERSION);
	integ_http_free(&h);
}
END_TEST

START_TEST(test_openapi)
{
	struct bpg_errinfo ei;
	json_t *doc = NULL;
	struct integ_http h;
	size_t len;
	char *yaml = integ_slurp("httpd-conf/openapi.yaml", &len);

	/* Both forms, without credentials, from the repository's document. */
	h = integ_api("GET", "/openapi.yaml", NULL, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_uint_eq(h.len, len);
	ck_assert(memcmp(h.body, yaml, len) == 0);
	integ_http_free(&h);
	h = integ_api("GET", "/openapi.json", NULL, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld", h.status);
	ck_assert_str_eq(h.ctype, "application/json");
	ck_assert_msg(json_is_object(h.json), "not JSON");
	ck_assert_int_eq(bpg_yaml_load(yaml, len, BPG_YAML_TYPED, &doc, NULL,
	    &ei), BPG_OK);
	ck_assert(json_equal(doc, h.json));
	ck_assert_ptr_nonnull(integ_jstr(h.json, "openapi"));
	ck_assert(json_is_object(json_object_get(h.json, "paths")));
	json_decref(doc);
	integ_http_free(&h);
	free(yaml);
}
END_TEST

/* Every endpoint taking an ID answers 400 to a bad one. */
static const char *const bad_id_paths[] = {
	"/spark/%s/status", "/spark/%s/spec", "/spark/%s/driver",
	"/spark/%s/describe", "/spark/%s",
};
static const char *const bad_ids[] = {
	"..", "..%2F..%2Fetc", "spark-cluster-a-%00", "spark-cluster-a-%01",
	"zz-0123456789abcdef0123456789abcdef", "nodash",
	"spark-cluster-a-0123456789abcdef0123456789abcdef-"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
};
#define N_BAD_IDS (sizeof(bad_ids) / sizeof(bad_ids[0]))

START_TEST(test_bad_ids)
{
	const char *id = bad_ids[_i % N_BAD_IDS];
	const char *fmt = bad_id_paths[_i / N_BAD_IDS];
	const char *method = strcmp(fmt, "/spark/%s") == 0 ? "DELETE" : "GET";
	char path[1024];
	struct integ_http h;
	const char *p;

	/* fmt is one of the literals above, with one %s. */
	p = strstr(fmt, "%s");
	snprintf(path, sizeof(path), "%.*s%s%s", (int)(p - fmt), fmt, id,
	    p + 2);
	h = integ_api(method, path, INTEG_ALICE, NULL, NULL);
	/*
	 * The web server or the gateway: a 400 in BPG's envelope.  Apache's
	 * core refuses a path holding %00 itself, with a 404, before any
	 * configuration or the gateway sees it (the gateway says 400).
	 */
	if (strstr(id, "%00") != NULL && getenv("BPG_WEB") != NULL &&
	    strcmp(getenv("BPG_WEB"), "apache") == 0 && h.status == 404) {
		ck_assert_msg(json_is_object(h.json), "%s", h.body);
		integ_http_free(&h);
		return;
	}
	ck_assert_msg(h.status == 400, "%s %s: %ld %s", method, path,
	    h.status, h.body);
	ck_assert_msg(json_is_object(h.json) &&
	    integ_jint(h.json, "code") == 400, "%s: %s", path, h.body);
	integ_http_free(&h);
}
END_TEST

START_TEST(test_status_cache)
{
	struct sub s = submit(INTEG_ALICE, NULL, "RUNNING");
	char path[256], *first, *again;
	json_t *st, *a, *b;
	struct integ_http h;
	json_int_t gets, d1, d2;
	double t0, elapsed;
	int i, settled;

	st = wait_state(&s, "RUNNING", 60);
	json_decref(st);
	snprintf(path, sizeof(path), "/spark/%s/status", s.id);
	/*
	 * Each worker has its own cache, and an entry lives its TTL from
	 * when it was written, which on a loaded machine can be well after
	 * its Kubernetes read: wait until every worker answers RUNNING.
	 */
	usleep((CACHE_MS + 150) * 1000);
	for (i = 0, settled = 0; settled < 4 * WORKERS && i < 200; i++) {
		h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
		ck_assert_int_eq(h.status, 200);
		settled = strcmp(json_string_value(json_object_get(h.json,
		    "applicationState")), "RUNNING") == 0 ? settled + 1 : 0;
		integ_http_free(&h);
		if (settled == 0)
			usleep(100000);
	}
	ck_assert_msg(settled >= 4 * WORKERS, "status never settled");

	/* Reads within the TTL: at most one Kubernetes GET per worker. */
	gets = integ_kube_stat(s.cluster, "methods.GET");
	t0 = now_s();
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	a = json_deep_copy(h.json);
	json_object_del(a, "duration");
	first = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	integ_http_free(&h);
	for (i = 0; i < 11; i++) {
		h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
		ck_assert_int_eq(h.status, 200);
		b = json_deep_copy(h.json);
		json_object_del(b, "duration");
		again = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
		/* The same answer, but for duration. */
		ck_assert_str_eq(again, first);
		free(again);
		json_decref(b);
		integ_http_free(&h);
	}
	elapsed = now_s() - t0;
	gets = integ_kube_stat(s.cluster, "methods.GET") - gets;
	ck_assert_msg(gets <= WORKERS * (1 + (json_int_t)(elapsed * 1000 /
	    CACHE_MS)), "%lld Kubernetes GETs for 12 reads in %.3f s",
	    (long long)gets, elapsed);
	if (elapsed * 1000 < CACHE_MS)
		ck_assert_msg(gets < 12, "no read was answered from the cache");
	free(first);
	json_decref(a);

	/* A cached RUNNING answer still advances its duration. */
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	d1 = integ_jint(h.json, "duration");
	integ_http_free(&h);
	usleep(300000);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	d2 = integ_jint(h.json, "duration");
	integ_http_free(&h);
	ck_assert_msg(d2 >= d1 + 250, "duration %lld then %lld",
	    (long long)d1, (long long)d2);

	/* Once the CR is gone a cached answer lives out its TTL, no more. */
	kube_delete(&s);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	integ_http_free(&h);
	usleep((CACHE_MS + 150) * 1000);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	/* Now from the database row: executionAttempts is a CR's only. */
	ck_assert_msg(json_object_get(h.json, "executionAttempts") == NULL,
	    "still the CR's answer: %s", h.body);
	ck_assert(integ_jint(h.json, "creationTime") > 0);
	integ_http_free(&h);
}
END_TEST

/* Kubernetes throttling (429) is a 200 UNKNOWN, cached like others. */
START_TEST(test_status_throttled)
{
	struct sub s = submit(INTEG_ALICE, NULL, "RUNNING");
	char path[256], body[2048];
	long status;
	json_t *st, *j;
	struct integ_http h;

	st = wait_state(&s, "RUNNING", 60);
	json_decref(st);
	j = integ_control(s.cluster, "POST", "/faults",
	    "{\"type\":\"throttle\",\"method\":\"GET\",\"path\":\"/apis/\","
	    "\"count\":-1,\"retryAfter\":1}");
	json_decref(j);
	usleep((CACHE_MS + 150) * 1000);
	snprintf(path, sizeof(path), "/spark/%s/status", s.id);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	status = h.status;
	snprintf(body, sizeof(body), "%s", h.body);
	integ_http_free(&h);
	j = integ_control(s.cluster, "DELETE", "/faults", NULL);
	json_decref(j);
	ck_assert_msg(status == 200, "%ld %s", status, body);
	ck_assert_msg(strncmp(body, "{\"duration\":0,\"applicationState\":"
	    "\"UNKNOWN\",\"applicationErrorMessage\":\"io.fabric8.kubernetes."
	    "client.KubernetesClientException: Failure executing: GET at: ",
	    153) == 0, "%s", body);
	ck_assert_ptr_nonnull(strstr(body, "429"));
	/* Past its TTL the real state is back. */
	usleep((CACHE_MS + 150) * 1000);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(integ_jstr(h.json, "applicationState"), "RUNNING");
	integ_http_free(&h);
}
END_TEST

START_TEST(test_spec)
{
	struct sub s = submit(INTEG_ALICE, NULL, NULL);
	char path[512];
	struct integ_http h, cr;
	json_t *want, *drv;

	snprintf(path, sizeof(path), "/spark/%s/spec", s.id);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	drv = json_object_get(h.json, "driver");
	ck_assert(json_is_object(drv));
	/* The cluster's driver env (STATSD_SERVER_PORT) is not shown. */
	ck_assert_ptr_null(json_object_get(drv, "env"));
	ck_assert_ptr_null(json_object_get(json_object_get(h.json,
	    "executor"), "env"));
	ck_assert_ptr_null(strstr(h.body, "STATSD_SERVER_PORT"));
	ck_assert_str_eq(integ_jstr(h.json, "mainClass"),
	    "org.apache.spark.examples.SparkPi");
	/* Otherwise the stored spec, passed through. */
	snprintf(path, sizeof(path), INTEG_APPS "/%s", s.id);
	cr = integ_kube(s.cluster, "GET", path, NULL);
	want = json_deep_copy(json_object_get(cr.json, "spec"));
	ck_assert_ptr_nonnull(json_object_get(json_object_get(want, "driver"),
	    "env"));
	json_object_del(json_object_get(want, "driver"), "env");
	json_object_del(json_object_get(want, "executor"), "env");
	ck_assert(json_equal(want, h.json));
	json_decref(want);
	integ_http_free(&cr);
	integ_http_free(&h);
}
END_TEST

START_TEST(test_driver)
{
	struct sub s = submit(INTEG_ALICE, NULL, "RUNNING");
	char path[512], pod[256];
	struct integ_http h;
	json_t *st;

	snprintf(path, sizeof(path), "/spark/%s/driver", s.id);
	st = wait_state(&s, "RUNNING", 60);
	json_decref(st);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	snprintf(pod, sizeof(pod), "%s-driver", s.id);
	ck_assert_str_eq(integ_jstr(h.json, "podName"), pod);
	ck_assert(integ_jint(h.json, "startTime") > 1600000000000LL);
	ck_assert_uint_eq(json_object_size(h.json), 2);
	integ_http_free(&h);
	/* No CR: 404. */
	kube_delete(&s);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	integ_assert_error(&h, 404, "jakarta.ws.rs.WebApplicationException: "
	    "HTTP 404 Not Found");
	integ_http_free(&h);
}
END_TEST

START_TEST(test_driver_not_yet)
{
	char path[512], body[256];
	struct integ_http h;
	json_t *j;
	struct sub s;

	/* A frozen operator: no status, so no driver yet. */
	j = integ_control("a", "POST", "/operator", "{\"frozen\":true}");
	json_decref(j);
	j = integ_control("b", "POST", "/operator", "{\"frozen\":true}");
	json_decref(j);
	s = submit(INTEG_ALICE, NULL, NULL);
	snprintf(path, sizeof(path), "/spark/%s/driver", s.id);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	snprintf(body, sizeof(body), "%s", h.body);
	j = integ_control("a", "POST", "/operator", "{\"frozen\":false}");
	json_decref(j);
	j = integ_control("b", "POST", "/operator", "{\"frozen\":false}");
	json_decref(j);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, body);
	ck_assert_str_eq(body, "{}");
	integ_http_free(&h);
}
END_TEST

START_TEST(test_describe)
{
	struct sub s = submit(INTEG_ALICE, NULL, "RUNNING");
	char path[512];
	const char *app_ev, *drv_ev;
	struct integ_http h;
	json_t *st;

	st = wait_state(&s, "RUNNING", 60);
	json_decref(st);
	snprintf(path, sizeof(path), "/spark/%s/describe", s.id);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(h.ctype, "application/octet-stream");
	ck_assert_msg(strncmp(h.body, "--- Spark Spec ---\n", 19) == 0, "%s",
	    h.body);
	/* The spec as YAML, env removed. */
	ck_assert_ptr_nonnull(strstr(h.body,
	    "\nmainClass: org.apache.spark.examples.SparkPi\n"));
	ck_assert_ptr_nonnull(strstr(h.body, "\ndriver:\n  cores: 1\n"));
	ck_assert_ptr_null(strstr(h.body, "STATSD_SERVER_PORT"));
	ck_assert_ptr_null(strstr(h.body, "\n---\n"));
	/* The YAML ends with a newline, then an empty line. */
	app_ev = strstr(h.body, "\n\n--- Spark Application Events ---\n");
	drv_ev = strstr(h.body, "--- Spark Driver Events ---\n");
	ck_assert_ptr_nonnull(app_ev);
	ck_assert_ptr_nonnull(drv_ev);
	ck_assert(app_ev < drv_ev);
	/* "<lastTimestamp> <reason> <message>" lines. */
	ck_assert_ptr_nonnull(strstr(app_ev, " SparkApplicationSubmitted "));
	ck_assert_ptr_nonnull(strstr(drv_ev, " Scheduled "));
	ck_assert_msg(drv_ev[strlen("--- Spark Driver Events ---\n")] == '2',
	    "a timestamp first: %s", drv_ev);
	ck_assert(h.body[h.len - 1] == '\n');
	integ_http_free(&h);
	/* Failures before the first byte are JSON. */
	kube_delete(&s);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	integ_assert_error(&h, 404, "HTTP 404 Not Found");
	ck_assert_str_eq(h.ctype, "application/json");
	integ_http_free(&h);
}
END_TEST

START_TEST(test_delete_ownership)
{
	struct sub s = submit(INTEG_ALICE, NULL, NULL), s2, s3;
	char path[512], msg[512];
	struct integ_http h;

	snprintf(path, sizeof(path), "/spark/%s", s.id);
	/* bob cannot delete alice's job, nor learn that it exists. */
	h = integ_api("DELETE", path, "bob:bob-pw", NULL, NULL);
	integ_assert_error(&h, 404, "jakarta.ws.rs.WebApplicationException: "
	    "HTTP 404 Not Found");
	integ_http_free(&h);
	/* victor (viewerUsers) may read it, but not delete it. */
	h = integ_api("DELETE", path, "victor:victor-pw", NULL, NULL);
	snprintf(msg, sizeof(msg), "User victor is not allowed to delete "
	    "submission %s", s.id);
	integ_assert_error(&h, 403, msg);
	integ_http_free(&h);
	ck_assert(cr_exists(&s));
	/* alice can. */
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(integ_jstr(h.json, "submissionId"), s.id);
	integ_http_free(&h);
	ck_assert(!cr_exists(&s));
	/* Gone: 200 for anyone (quirk 38). */
	h = integ_api("DELETE", path, "bob:bob-pw", NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	integ_http_free(&h);
	/* An admin (adminUsers) can delete anyone's. */
	s2 = submit(INTEG_ALICE, NULL, NULL);
	snprintf(path, sizeof(path), "/spark/%s", s2.id);
	h = integ_api("DELETE", path, "carol:carol-pw", NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	ck_assert(!cr_exists(&s2));
	/* So can the Airflow account, which submits for DAG users. */
	s3 = submit("bob:bob-pw", NULL, NULL);
	snprintf(path, sizeof(path), "/spark/%s", s3.id);
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 404);
	integ_http_free(&h);
	ck_assert(cr_exists(&s3));
	h = integ_api("DELETE", path, "airflow_system_account:airflow-pw",
	    NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	ck_assert(!cr_exists(&s3));
}
END_TEST

START_TEST(test_my_submissions)
{
	struct sub a1 = submit(INTEG_ALICE, NULL, NULL);
	struct sub a2 = submit(INTEG_ALICE, NULL, NULL);
	struct sub b1 = submit("bob:bob-pw", NULL, NULL);
	const json_t *e, *found = NULL;
	json_t *mine, *bobs;
	size_t i;

	rest_rate_limits();
	mine = my_submissions(INTEG_ALICE);
	ck_assert_int_eq(count_id(mine, a1.id, &found), 1);
	ck_assert_int_eq(count_id(mine, a2.id, NULL), 1);
	ck_assert_int_eq(count_id(mine, b1.id, NULL), 0);
	json_array_foreach(mine, i, e)
		ck_assert_msg(integ_jstr(e, "user") != NULL &&
		    strcmp(integ_jstr(e, "user"), "alice") == 0, "%s is %s's",
		    integ_jstr(e, "submissionId"), integ_jstr(e, "user"));
	/* Section 1.14 from the CR. */
	ck_assert_str_eq(integ_jstr(found, "queue"), "root.dev");
	ck_assert_str_eq(integ_jstr(found, "dagName"), "");
	ck_assert_int_eq(integ_jint(found, "driverCores"), 1);
	ck_assert_int_eq(integ_jint(found, "driverMemoryGB"), 2);
	ck_assert_int_eq(integ_jint(found, "executorInstances"), 1);
	ck_assert_int_eq(integ_jint(found, "executorCores"), 1);
	ck_assert_int_eq(integ_jint(found, "totalCores"), 2);
	ck_assert_int_eq(integ_jint(found, "executorMemoryGB"), 2);
	ck_assert_int_eq(integ_jint(found, "totalMemoryGB"), 4);
	ck_assert_str_eq(integ_jstr(found, "sparkVersion"), "3.5.0");
	ck_assert_str_eq(integ_jstr(found, "applicationName"), "SparkPiDemo");
	ck_assert_ptr_nonnull(json_object_get(found, "duration"));
	ck_assert_ptr_nonnull(integ_jstr(found, "applicationState"));
	bobs = my_submissions("bob:bob-pw");
	ck_assert_int_eq(count_id(bobs, b1.id, NULL), 1);
	ck_assert_int_eq(count_id(bobs, a1.id, NULL), 0);
	json_decref(bobs);
	json_decref(mine);
}
END_TEST

START_TEST(test_admin_submissions)
{
	char name[128];
	struct sub s;
	json_t *lines, *all;
	const json_t *e = NULL;

	unique_name(name, sizeof(name), "admin");
	s = submit(INTEG_ALICE, name, NULL);
	rest_rate_limits();
	/* An admin may list everything; by name: just this one. */
	lines = admin_submissions(name);
	ck_assert_uint_eq(json_array_size(lines), 1);
	ck_assert_int_eq(count_id(lines, s.id, &e), 1);
	ck_assert_str_eq(integ_jstr(e, "applicationName"), name);
	ck_assert_str_eq(integ_jstr(e, "user"), "alice");
	json_decref(lines);
	all = admin_submissions(NULL);
	ck_assert_int_eq(count_id(all, s.id, NULL), 1);
	json_decref(all);
	/* A name nobody used: an empty 200. */
	lines = admin_submissions("no-such-application-anywhere");
	ck_assert_uint_eq(json_array_size(lines), 0);
	json_decref(lines);
}
END_TEST

/*
 * Names one proxyUser label stands for ("alice_" and "alice0" are both
 * the label "alice0"; "john.doe@corp.com" and "john.doe0corp.com" are
 * both "john.doe0corp.com") own only their own submissions: the other
 * can neither read (404, as for a missing one; the log's "no log" text)
 * nor delete nor list them.  victor (viewerUsers) reads them; bob may
 * not list everything, victor may.
 */
static const struct {
	const char *owner, *other;
} label_pairs[] = {
	{ "alice_:alice_-pw", "alice0:alice0-pw" },
	{ "alice0:alice0-pw", "alice_:alice_-pw" },
	{ "john.doe@corp.com:john.doe@corp.com-pw",
	  "john.doe0corp.com:john.doe0corp.com-pw" },
	{ "john.doe0corp.com:john.doe0corp.com-pw",
	  "john.doe@corp.com:john.doe@corp.com-pw" },
};

#define LOG_NONE "Cannot find matched log files. Please try again in 5 " \
	"minutes if this is a new job which was just started within 5 minutes."

START_TEST(test_exact_owner)
{
	const char *owner = label_pairs[_i].owner;
	const char *other = label_pairs[_i].other;
	static const char *const reads[] = { "status", "spec", "driver",
	    "describe" };
	struct sub s = submit(owner, NULL, NULL);
	char path[512];
	struct integ_http h;
	json_t *list;
	size_t r;
	int i;

	/* Finished, so that its driver has a complete log. */
	snprintf(path, sizeof(path), "/spark/%s/status", s.id);
	for (i = 0; i < 600; i++) {
		h = integ_api("GET", path, owner, NULL, NULL);
		ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
		if (integ_jstr(h.json, "applicationState") != NULL &&
		    strcmp(integ_jstr(h.json, "applicationState"),
		    "COMPLETED") == 0)
			break;
		integ_http_free(&h);
		usleep(100000);
	}
	ck_assert_msg(i < 600, "%s never completed", s.id);
	integ_http_free(&h);
	for (r = 0; r < sizeof(reads) / sizeof(reads[0]); r++) {
		snprintf(path, sizeof(path), "/spark/%s/%s", s.id, reads[r]);
		/* The owner first: a cached status must not leak. */
		h = integ_api("GET", path, owner, NULL, NULL);
		ck_assert_msg(h.status == 200, "%s by owner: %ld %s", reads[r],
		    h.status, h.body);
		integ_http_free(&h);
		h = integ_api("GET", path, other, NULL, NULL);
		integ_assert_error(&h, 404, "jakarta.ws.rs."
		    "WebApplicationException: HTTP 404 Not Found");
		integ_http_free(&h);
		h = integ_api("GET", path, "victor:victor-pw", NULL, NULL);
		ck_assert_msg(h.status == 200, "%s by viewer: %ld %s",
		    reads[r], h.status, h.body);
		integ_http_free(&h);
	}
	/* The driver's log: the "no log" answer of a missing one. */
	snprintf(path, sizeof(path), "/log?subId=%s", s.id);
	h = integ_api("GET", path, other, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h.body, LOG_NONE);
	integ_http_free(&h);
	h = integ_api("GET", path, owner, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_msg(strstr(h.body, "Pi is roughly") != NULL, "%s", h.body);
	integ_http_free(&h);

	rest_rate_limits();
	list = my_submissions(other);
	ck_assert_int_eq(count_id(list, s.id, NULL), 0);
	json_decref(list);
	list = my_submissions(owner);
	ck_assert_int_eq(count_id(list, s.id, NULL), 1);
	json_decref(list);

	/* The others may not delete it; nothing says it exists. */
	snprintf(path, sizeof(path), "/spark/%s", s.id);
	h = integ_api("DELETE", path, other, NULL, NULL);
	integ_assert_error(&h, 404, "HTTP 404 Not Found");
	integ_http_free(&h);
	ck_assert(cr_exists(&s));

	/* Once the CR is gone, the row's user decides. */
	kube_delete(&s);
	usleep((CACHE_MS + 150) * 1000);
	snprintf(path, sizeof(path), "/spark/%s/status", s.id);
	h = integ_api("GET", path, other, NULL, NULL);
	integ_assert_error(&h, 404, "HTTP 404 Not Found");
	integ_http_free(&h);
	h = integ_api("GET", path, owner, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	snprintf(path, sizeof(path), "/spark/%s/spec", s.id);
	h = integ_api("GET", path, other, NULL, NULL);
	integ_assert_error(&h, 404, "HTTP 404 Not Found");
	integ_http_free(&h);
	rest_rate_limits();
	list = my_submissions(other);
	ck_assert_int_eq(count_id(list, s.id, NULL), 0);
	json_decref(list);
	list = my_submissions(owner);
	ck_assert_int_eq(count_id(list, s.id, NULL), 1);
	json_decref(list);
}
END_TEST

START_TEST(test_admin_list_access)
{
	struct integ_http h;

	rest_rate_limits();
	h = integ_api("GET", "/admin/submissions", "bob:bob-pw", NULL, NULL);
	integ_assert_error(&h, 403, "jakarta.ws.rs.WebApplicationException: "
	    "only adminUsers and viewerUsers may list every user's "
	    "submissions");
	integ_http_free(&h);
	h = integ_api("GET", "/admin/submissions?name=no-such-app-anywhere",
	    "victor:victor-pw", NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
}
END_TEST

/*
 * >20 list requests at once: 429 with BPG's text, for all workers.  The
 * requests go in rounds of BURST_ROUND sent together, until one is
 * refused: a bucket refilled 20 a second refuses only requests that come
 * faster than that, and rounds sent at once get there (one after
 * another, a slow or busy one never did).  Rounds go on for up to
 * BURST_S seconds, not a number of rounds: a loaded machine under the
 * sanitizers once answered 10 rounds (300 requests) slower than 20 a
 * second, and the bucket rightly refused none.
 */
#define BURST_ROUND 30
#define BURST_S 60

static void
burst(const char *path, const char *userpw, const char *text)
{
	struct integ_req r = { .method = "GET", .url = path,
		.userpw = userpw };
	struct integ_http h[BURST_ROUND];
	int ok = 0, limited = 0, i;
	double t0, elapsed;

	rest_rate_limits();
	t0 = now_s();
	while (limited == 0 && now_s() - t0 < BURST_S) {
		integ_parallel(&r, BURST_ROUND, h);
		for (i = 0; i < BURST_ROUND; i++) {
			if (h[i].status == 429) {
				limited++;
				integ_assert_error(&h[i], 429, text);
			} else {
				ck_assert_msg(h[i].status == 200, "%ld %s",
				    h[i].status, h[i].body);
				ok++;
			}
			integ_http_free(&h[i]);
		}
	}
	elapsed = now_s() - t0;
	ck_assert_msg(limited > 0, "no 429 after %d requests", ok);
	/*
	 * The bucket holds 20 and refills 20 per second, whichever worker
	 * answers: per-worker buckets would let 4 x 20 through.
	 */
	ck_assert_msg(ok >= 20, "only %d before the 429", ok);
	ck_assert_msg(ok <= 21 + (int)(elapsed * 20), "%d requests passed in "
	    "%.3f s", ok, elapsed);
	rest_rate_limits();
	h[0] = integ_api("GET", path, userpw, NULL, NULL);
	ck_assert_int_eq(h[0].status, 200);
	integ_http_free(&h[0]);
}

START_TEST(test_rate_limits)
{
	burst("/spark/mySubmissions", "bob:bob-pw",
	    "jakarta.ws.rs.WebApplicationException: "
	    "Too many requests for mySubmissions endpoint (limit: 20 requests "
	    "per second)");
	burst("/admin/submissions?name=no-such-application-anywhere",
	    "carol:carol-pw", "jakarta.ws.rs.WebApplicationException: Too "
	    "many requests for submissions endpoint (limit: 20 requests per "
	    "second)");
}
END_TEST

START_TEST(test_history_after_cr_gone)
{
	char name[128], path[512];
	struct sub s;
	struct integ_http h;
	json_t *mine, *lines;
	const json_t *e = NULL;

	unique_name(name, sizeof(name), "hist");
	s = submit(INTEG_ALICE, name, NULL);
	kube_delete(&s);
	usleep((CACHE_MS + 150) * 1000);

	/* Status from the row. */
	snprintf(path, sizeof(path), "/spark/%s/status", s.id);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert(integ_jint(h.json, "creationTime") > 1600000000000LL);
	ck_assert_ptr_nonnull(integ_jstr(h.json, "applicationState"));
	ck_assert_ptr_nonnull(json_object_get(h.json, "duration"));
	ck_assert_ptr_null(json_object_get(h.json, "executionAttempts"));
	integ_http_free(&h);

	/* Spec: the request as it was stored (sanitised). */
	snprintf(path, sizeof(path), "/spark/%s/spec", s.id);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(integ_jstr(h.json, "applicationName"), name);
	ck_assert_str_eq(integ_jstr(h.json, "mainClass"),
	    "org.apache.spark.examples.SparkPi");
	ck_assert_str_eq(integ_jstr(h.json, "queue"), "dev");
	ck_assert(json_is_false(json_object_get(h.json, "spotInstance")));
	integ_http_free(&h);

	/* The lists still show it, once. */
	rest_rate_limits();
	mine = my_submissions(INTEG_ALICE);
	ck_assert_int_eq(count_id(mine, s.id, &e), 1);
	ck_assert_str_eq(integ_jstr(e, "user"), "alice");
	ck_assert_str_eq(integ_jstr(e, "queue"), "root.dev");
	ck_assert_str_eq(integ_jstr(e, "applicationName"), name);
	ck_assert_int_eq(integ_jint(e, "driverMemoryGB"), 2);
	ck_assert_int_eq(integ_jint(e, "totalMemoryGB"), 4);
	json_decref(mine);
	lines = admin_submissions(name);
	ck_assert_uint_eq(json_array_size(lines), 1);
	ck_assert_int_eq(count_id(lines, s.id, NULL), 1);
	json_decref(lines);

	/* Neither CR nor row: still 404. */
	h = integ_api("GET", "/spark/spark-cluster-a-00000000000000000000"
	    "00000000dead/status", INTEG_ALICE, NULL, NULL);
	integ_assert_error(&h, 404, "jakarta.ws.rs.WebApplicationException: "
	    "HTTP 404 Not Found");
	integ_http_free(&h);
	h = integ_api("GET", "/spark/spark-cluster-b-00000000000000000000"
	    "00000000dead/spec", INTEG_ALICE, NULL, NULL);
	integ_assert_error(&h, 404, "HTTP 404 Not Found");
	integ_http_free(&h);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("apps");
	TCase *tc = tcase_create("stack");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_openapi);
	tcase_add_loop_test(tc, test_bad_ids, 0, (int)(N_BAD_IDS *
	    (sizeof(bad_id_paths) / sizeof(bad_id_paths[0]))));
	tcase_add_test(tc, test_status_cache);
	tcase_add_test(tc, test_status_throttled);
	tcase_add_test(tc, test_spec);
	tcase_add_test(tc, test_driver);
	tcase_add_test(tc, test_driver_not_yet);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_delete_ownership);
	tcase_add_test(tc, test_my_submissions);
	tcase_add_test(tc, test_admin_submissions);
	tcase_add_loop_test(tc, test_exact_owner, 0,
	    (int)(sizeof(label_pairs) / sizeof(label_pairs[0])));
	tcase_add_test(tc, test_admin_list_access);
	tcase_add_test(tc, test_rate_limits);
	tcase_add_test(tc, test_history_after_cr_gone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	/* Kept-alive connections: the cache test makes many quick reads. */
	return integ_run(suite(), INTEG_KEEPALIVE);
}
