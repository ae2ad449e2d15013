/*
 * Integration tests: the real stack (lighttpd + spawn-fcgi + bpg-gateway +
 * MariaDB + the Kubernetes API stand-in), started by tests/stack.sh, driven
 * over HTTP with libcurl.  The stack's addresses come from the variables
 * tests/stack.sh writes (BPG_URL, BPG_KUBE_A, ...).
 */
#include <dirent.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <mysql.h>

#include "schema.h"

#define NS "spark-applications"
#define APPS "/apis/sparkoperator.k8s.io/v1beta2/namespaces/" NS \
	"/sparkapplications"

struct http {
	long status;
	char *body;
	size_t len;
	json_t *json;
};

/*
 * Refused uploads: the web server answers 401 before reading the body and
 * resets the HTTP/2 stream (RFC 9113 §8.1 allows RST_STREAM NO_ERROR after
 * a complete response); libcurl 7.88 reports that as an error instead of
 * returning the response, so those requests use HTTP/1.1.
 */
static bool force_http11;

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && v[0] != '\0',
	    "%s is not set: run through tests/integ.sh", name);
	return v;
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct http *h = arg;
	char *nb = realloc(h->body, h->len + sz * n + 1);

	if (nb == NULL)
		return 0;
	h->body = nb;
	memcpy(h->body + h->len, p, sz * n);
	h->len += sz * n;
	h->body[h->len] = '\0';
	return sz * n;
}

static void
http_free(struct http *h)
{
	free(h->body);
	json_decref(h->json);
	memset(h, 0, sizeof(*h));
}

/*
 * One request.  url is absolute; userpw "user:pw" or NULL; bearer token
 * (for the Kubernetes API) or NULL; ctype/body may be NULL.
 */
static struct http
request(const char *method, const char *url, const char *userpw,
    const char *bearer, const char *ctype, const char *body)
{
	struct http h;
	struct curl_slist *hdrs = NULL;
	char line[256];
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(&h, 0, sizeof(h));
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (force_http11)
		curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
		    (long)CURL_HTTP_VERSION_1_1);
	/* The stack's test CA signs both the web server and the clusters. */
	curl_easy_setopt(c, CURLOPT_CAINFO, getenv("BPG_CA") != NULL ?
	    getenv("BPG_CA") : env("BPG_KUBE_CA"));
	if (userpw != NULL)
		curl_easy_setopt(c, CURLOPT_USERPWD, userpw);
	if (bearer != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", bearer);
		hdrs = curl_slist_append(hdrs, line);
	}
	if (ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, line);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, url,
	    curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h.status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (h.body != NULL)
		h.json = json_loads(h.body, 0, NULL);
	return h;
}

/* A request to the gateway through lighttpd; path is after the prefix. */
static struct http
api(const char *method, const char *path, const char *userpw,
    const char *ctype, const char *body)
{
	char url[1024];

	snprintf(url, sizeof(url), "%s%s", env("BPG_URL"), path);
	return request(method, url, userpw, NULL, ctype, body);
}

/* A request to a simulated cluster's API ("a" or "b"). */
static struct http
kube(const char *cluster, const char *method, const char *path,
    const char *body)
{
	char url[1024];

	snprintf(url, sizeof(url), "%s%s",
	    env(cluster[0] == 'a' ? "BPG_KUBE_A" : "BPG_KUBE_B"), path);
	return request(method, url, NULL, env("BPG_KUBE_TOKEN"),
	    body ? "application/json" : NULL, body);
}

/* The stand-in's control API (faults, operator). */
static void
control(const char *method, const char *path, const char *body)
{
	char url[1024];
	struct http h;

	snprintf(url, sizeof(url), "%s%s", env("BPG_KUBE_CONTROL"), path);
	h = request(method, url, NULL, NULL, body ? "application/json" : NULL,
	    body);
	ck_assert_msg(h.status / 100 == 2, "control %s %s: %ld %s", method,
	    path, h.status, h.body ? h.body : "");
	http_free(&h);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char *
sparkpi_body(void)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/spec/sparkpi-request.json",
	    env("BPG_SHARED_DIR"));
	return slurp(path);
}

/* Submit SparkPi as alice; returns the new ID (caller frees). */
static char *
submit_sparkpi(void)
{
	char *body = sparkpi_body(), *id;
	struct http h = api("POST", "/spark", "alice:alice-pw",
	    "application/json", body);

	ck_assert_msg(h.status == 200, "submit: %ld %s", h.status, h.body);
	id = strdup(json_string_value(json_object_get(h.json,
	    "submissionId")));
	http_free(&h);
	free(body);
	return id;
}

static bool
id_shape(const char *id, const char **cluster)
{
	const char *hex;
	size_t i;

	if (strncmp(id, "spark-cluster-a-", 16) == 0)
		*cluster = "a";
	else if (strncmp(id, "spark-cluster-b-", 16) == 0)
		*cluster = "b";
	else
		return false;
	hex = id + 16;
	for (i = 0; i < 32; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			return false;
	return hex[32] == '\0';
}

static MYSQL *
db_open(void)
{
	MYSQL *m = mysql_init(NULL);

	ck_assert_ptr_nonnull(m);
	ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "bpg", "bpg-test-pw",
	    "bpg", (unsigned)atoi(env("BPG_DB_PORT")), NULL, 0) != NULL,
	    "db: %s", mysql_error(m));
	return m;
}

/* One row of application_submission as strings (NULL for SQL NULL). */
struct row {
	char *user, *queue, *spark_version, *request_body, *status, *error;
	bool found;
};

static struct row
db_row(const char *id)
{
	MYSQL *m = db_open();
	char q[512], esc[256];
	MYSQL_RES *res;
	MYSQL_ROW r;
	struct row out;

	memset(&out, 0, sizeof(out));
	mysql_real_escape_string(m, esc, id, strlen(id));
	snprintf(q, sizeof(q), "SELECT `user`, queue, spark_version, "
	    "request_body, status, error_message FROM "
	    "bpg.application_submission WHERE submission_id='%s'", esc);
	ck_assert_msg(mysql_query(m, q) == 0, "%s", mysql_error(m));
	res = mysql_store_result(m);
	if ((r = mysql_fetch_row(res)) != NULL) {
		out.found = true;
		out.user = r[0] ? strdup(r[0]) : NULL;
		out.queue = r[1] ? strdup(r[1]) : NULL;
		out.spark_version = r[2] ? strdup(r[2]) : NULL;
		out.request_body = r[3] ? strdup(r[3]) : NULL;
		out.status = r[4] ? strdup(r[4]) : NULL;
		out.error = r[5] ? strdup(r[5]) : NULL;
	}
	mysql_free_result(res);
	mysql_close(m);
	return out;
}

static long
db_count(const char *where)
{
	MYSQL *m = db_open();
	char q[512];
	MYSQL_RES *res;
	MYSQL_ROW r;
	long n;

	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM "
	    "bpg.application_submission%s%s", where ? " WHERE " : "",
	    where ? where : "");
	ck_assert_msg(mysql_query(m, q) == 0, "%s", mysql_error(m));
	res = mysql_store_result(m);
	r = mysql_fetch_row(res);
	n = atol(r[0]);
	mysql_free_result(res);
	mysql_close(m);
	return n;
}

/* Number of SparkApplications in a cluster. */
static size_t
cr_count(const char *cluster)
{
	struct http h = kube(cluster, "GET", APPS, NULL);
	size_t n;

	ck_assert_int_eq(h.status, 200);
	n = json_array_size(json_object_get(h.json, "items"));
	http_free(&h);
	return n;
}

static void
assert_message(const struct http *h, long status, const char *text)
{
	const char *msg;

	ck_assert_msg(h->status == status, "want %ld, got %ld: %s", status,
	    h->status, h->body ? h->body : "");
	ck_assert_msg(json_is_object(h->json), "not JSON: %s", h->body);
	msg = json_string_value(json_object_get(h->json, "message"));
	ck_assert_msg(msg != NULL && strstr(msg, text) != NULL,
	    "message %s lacks \"%s\"", msg ? msg : "(none)", text);
	ck_assert_int_eq(json_integer_value(json_object_get(h->json, "code")),
	    status);
}

static const char *
jpath(const json_t *o, const char *path)
{
	char buf[256], *tok, *save;
	const json_t *cur = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL;
	    tok = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, tok);
	return json_string_value(cur);
}

static json_int_t
jint(const json_t *o, const char *path)
{
	char buf[256], *tok, *save;
	const json_t *cur = o;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL;
	    tok = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, tok);
	ck_assert_msg(json_is_integer(cur), "%s is not an integer", path);
	return json_integer_value(cur);
}

/* ---- tests -------------------------------------------------------- */

START_TEST(test_healthcheck)
{
	struct http h = api("GET", "/healthcheck/status", "alice:alice-pw",
	    NULL, NULL);

	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h.body, "{\"status\":\"OK\"}");
	http_free(&h);
}
END_TEST

static const char *
conf(const json_t *spec, const char *key)
{
	return json_string_value(json_object_get(json_object_get(spec,
	    "sparkConf"), key));
}

static struct schema *the_schema;

static void
load_schema(void)
{
	char path[1024], err[256];

	snprintf(path, sizeof(path), "%s/spec/sparkapplications-crd.yaml",
	    env("BPG_SHARED_DIR"));
	the_schema = schema_load(path, err, sizeof(err));
	ck_assert_msg(the_schema != NULL, "schema: %s", err);
}

/* The CR validates against the CRD's openAPIV3Schema. */
static void
assert_schema_valid(json_t *cr)
{
	json_t *copy = json_deep_copy(cr), *causes = NULL;
	char *s;

	if (the_schema == NULL)
		load_schema();
	if (schema_validate(the_schema, copy, 0, &causes) != 0) {
		s = json_dumps(causes, JSON_COMPACT);
		ck_abort_msg("CR does not match the CRD schema: %s", s);
	}
	json_decref(causes);
	json_decref(copy);
}

/* Poll the status endpoint until state or the deadline (seconds). */
static char *
wait_state(const char *id, const char *want, int seconds)
{
	char path[256], *last = NULL;
	struct http h;
	int i;

	snprintf(path, sizeof(path), "/spark/%s/status", id);
	for (i = 0; i < seconds * 10; i++) {
		h = api("GET", path, "alice:alice-pw", NULL, NULL);
		ck_assert_msg(h.status == 200, "status: %ld %s", h.status,
		    h.body);
		free(last);
		last = strdup(jpath(h.json, "applicationState"));
		http_free(&h);
		if (strcmp(last, want) == 0)
			break;
		usleep(100000);
	}
	return last;
}

START_TEST(test_sparkpi_end_to_end)
{
	char *id = submit_sparkpi(), path[512], *state;
	const char *cl = NULL, *dconf;
	struct http h;
	struct row r;
	json_t *spec, *driver, *executor, *stored;

	ck_assert_msg(id_shape(id, &cl), "bad id %s", id);

	/* The CR, as the API server stored it (section 2.24). */
	snprintf(path, sizeof(path), APPS "/%s", id);
	h = kube(cl, "GET", path, NULL);
	ck_assert_msg(h.status == 200, "CR: %ld %s", h.status, h.body);
	assert_schema_valid(h.json);
	ck_assert_str_eq(jpath(h.json, "metadata.name"), id);
	ck_assert_str_eq(jpath(h.json, "metadata.namespace"), NS);
	ck_assert_str_eq(jpath(h.json, "metadata.labels.proxyUser"), "alice");
	ck_assert_str_eq(jpath(h.json, "metadata.labels.applicationName"),
	    "SparkPiDemo");
	ck_assert_str_eq(jpath(h.json, "metadata.labels.queue"), "root.dev");
	ck_assert_str_eq(jpath(h.json, "metadata.labels.maxRunningMillis"),
	    "43200000");
	spec = json_object_get(h.json, "spec");
	ck_assert_str_eq(jpath(spec, "type"), "Java");
	ck_assert_str_eq(jpath(spec, "mode"), "cluster");
	ck_assert_str_eq(jpath(spec, "sparkVersion"), "3.5.0");
	ck_assert_str_eq(jpath(spec, "image"), "apache/spark:3.5.0");
	ck_assert_str_eq(jpath(spec, "proxyUser"), "alice");
	ck_assert_str_eq(jpath(spec, "mainClass"),
	    "org.apache.spark.examples.SparkPi");
	ck_assert_str_eq(jpath(spec, "mainApplicationFile"),
	    "local:///usr/lib/spark/examples/jars/spark-examples.jar");
	/* sparkConf merge (2.14): defaults, cluster, fixed, app name. */
	ck_assert_str_eq(conf(spec,
	    "spark.kubernetes.submission.connectionTimeout"), "30000");
	ck_assert_str_eq(conf(spec, "spark.kubernetes.executor.podNamePrefix"),
	    id);
	ck_assert_str_eq(conf(spec, "spark.authenticate"), "true");
	ck_assert_str_eq(conf(spec, "spark.app.name"), "SparkPiDemo");
	/* The operator's schema prunes originalUser (2.23.1). */
	ck_assert_ptr_null(json_object_get(spec, "originalUser"));
	ck_assert_str_eq(jpath(spec, "batchSchedulerOptions.queue"),
	    "root.dev");
	ck_assert_int_eq(jint(spec, "timeToLiveSeconds"), 86400);
	driver = json_object_get(spec, "driver");
	ck_assert_int_eq(jint(driver, "cores"), 1);
	ck_assert_str_eq(jpath(driver, "coreLimit"), "1000.0m");
	ck_assert_str_eq(jpath(driver, "memory"), "2g");
	ck_assert_str_eq(jpath(driver, "serviceAccount"),
	    "emr-containers-sa-spark");
	ck_assert_str_eq(jpath(driver, "labels.version"), "3.5.0");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    driver, "annotations"), "cluster-autoscaler.kubernetes.io/"
	    "safe-to-evict")), "false");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(driver, "env"), 0), "name")),
	    "STATSD_SERVER_PORT");
	executor = json_object_get(spec, "executor");
	ck_assert_int_eq(jint(executor, "instances"), 1);
	ck_assert_int_eq(jint(executor, "cores"), 1);
	ck_assert_str_eq(jpath(executor, "memory"), "2g");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(executor, "dnsConfig"), "options"),
	    0), "name")), "ndots");
	dconf = json_string_value(json_array_get(json_object_get(
	    json_array_get(json_object_get(json_array_get(json_object_get(
	    json_object_get(json_object_get(json_object_get(driver, "affinity"),
	    "nodeAffinity"), "requiredDuringSchedulingIgnoredDuringExecution"),
	    "nodeSelectorTerms"), 0), "matchExpressions"), 0), "values"), 0));
	ck_assert_str_eq(dconf, "spark_driver");
	http_free(&h);

	/* The DB row (section 2.20). */
	r = db_row(id);
	ck_assert_msg(r.found, "no DB row for %s", id);
	ck_assert_str_eq(r.user, "alice");
	ck_assert_str_eq(r.queue, "dev");
	ck_assert_str_eq(r.spark_version, "3.5.0");
	stored = json_loads(r.request_body, 0, NULL);
	ck_assert_ptr_nonnull(stored);
	ck_assert_str_eq(jpath(stored, "applicationName"), "SparkPiDemo");
	ck_assert_str_eq(jpath(stored, "mainClass"),
	    "org.apache.spark.examples.SparkPi");
	ck_assert(json_is_false(json_object_get(stored, "spotInstance")));
	json_decref(stored);

	/* The simulated operator runs it to completion. */
	state = wait_state(id, "COMPLETED", 60);
	ck_assert_str_eq(state, "COMPLETED");
	free(state);
	/* Other workers may still hold an earlier answer in their status
	 * caches; past the TTL every worker reads the CR again. */
	usleep(1100000);
	snprintf(path, sizeof(path), "/spark/%s/status", id);
	h = api("GET", path, "alice:alice-pw", NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_ptr_nonnull(jpath(h.json, "sparkApplicationId"));
	ck_assert(jint(h.json, "creationTime") > 0);
	ck_assert(jint(h.json, "terminationTime") >=
	    jint(h.json, "creationTime"));
	ck_assert(jint(h.json, "duration") >= 0);
	http_free(&h);

	/* Delete removes the CR; status then answers from the DB row. */
	snprintf(path, sizeof(path), "/spark/%s", id);
	h = api("DELETE", path, "alice:alice-pw", NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(jpath(h.json, "submissionId"), id);
	http_free(&h);
	snprintf(path, sizeof(path), APPS "/%s", id);
	h = kube(cl, "GET", path, NULL);
	ck_assert_int_eq(h.status, 404);
	http_free(&h);
	snprintf(path, sizeof(path), "/spark/%s/status", id);
	usleep(1100000);	/* past any status cache entry */
	h = api("GET", path, "alice:alice-pw", NULL, NULL);
	ck_assert_msg(h.status == 200, "status: %ld %s", h.status, h.body);
	/* From the row: no executionAttempts, which only a CR has. */
	ck_assert_ptr_null(json_object_get(h.json, "executionAttempts"));
	ck_assert(jint(h.json, "creationTime") > 0);
	http_free(&h);
	free(r.user); free(r.queue); free(r.spark_version);
	free(r.request_body); free(r.status); free(r.error);
	free(id);
}
END_TEST

START_TEST(test_weighted_split)
{
	int a = 0, b = 0, i;
	const char *cl;
	char *id;

	/* Binomial(1000, 0.5): sd 15.8, so [400, 600] is over 6 sd. */
	for (i = 0; i < 1000; i++) {
		id = submit_sparkpi();
		ck_assert_msg(id_shape(id, &cl), "bad id %s", id);
		if (cl[0] == 'a')
			a++;
		else
			b++;
		free(id);
	}
	ck_assert_msg(a >= 400 && a <= 600, "split %d/%d", a, b);
	ck_assert_int_eq(a + b, 1000);
}
END_TEST

static const struct bad_case {
	const char *name;
	const char *ctype;
	const char *body;
	long status;
	const char *text;
} bad_cases[] = {
	{ "malformed JSON", "application/json", "{\"queue\": ", 400,
	  "jakarta.ws.rs.WebApplicationException: Invalid JSON request: " },
	{ "malformed YAML", "application/x-yaml", "queue: [dev\n", 400,
	  "jakarta.ws.rs.WebApplicationException: Invalid YAML request: " },
	{ "empty body", "application/json", "", 400,
	  "jakarta.ws.rs.WebApplicationException: Invalid JSON request: " },
	{ "file path", "application/json", "~/Downloads/cool_stuff.txt", 400,
	  "It actually looks like a file path." },
	{ "unknown spark version", "application/json",
	  "{\"sparkVersion\":\"3.9\",\"queue\":\"dev\",\"mainApplicationFile\":"
	  "\"local:///x.jar\"}", 400,
	  "jakarta.ws.rs.WebApplicationException: Spark version not "
	  "supported: 3.9" },
	{ "unknown field", "application/json",
	  "{\"sparkVersion\":\"3.5.0\",\"bogus\":1}", 400,
	  "Unrecognized field \"bogus\"" },
	{ "unknown queue", "application/json",
	  "{\"sparkVersion\":\"3.5.0\",\"queue\":\"nope\"}", 400,
	  "The queue nope does not exist. Please check the queue name and "
	  "try again." },
	{ "executor limit", "application/json",
	  "{\"sparkVersion\":\"3.5.0\",\"queue\":\"dev\",\"executor\":"
	  "{\"instances\":5001}}", 400,
	  "Executor instances in Spark config (5001) exceeds limit (5000)" },
};

START_TEST(test_bad_requests)
{
	const struct bad_case *c = &bad_cases[_i];
	long before = db_count(NULL);
	size_t crs = cr_count("a") + cr_count("b");
	struct http h = api("POST", "/spark", "alice:alice-pw", c->ctype,
	    c->body);

	ck_assert_msg(h.status == c->status, "%s: want %ld got %ld: %s",
	    c->name, c->status, h.status, h.body);
	ck_assert_msg(h.json != NULL && strstr(json_string_value(
	    json_object_get(h.json, "message")), c->text) != NULL,
	    "%s: message %s", c->name, h.body);
	/* Nothing written anywhere. */
	ck_assert_int_eq(db_count(NULL), before);
	ck_assert_int_eq(cr_count("a") + cr_count("b"), crs);
	http_free(&h);
}
END_TEST

START_TEST(test_auth)
{
	char *body = sparkpi_body();
	struct http h;

	force_http11 = true;
	/* No credentials: the web server refuses before the gateway. */
	h = api("POST", "/spark", NULL, "application/json", body);
	ck_assert_int_eq(h.status, 401);
	http_free(&h);
	/* Wrong password: refused by the web server too. */
	h = api("POST", "/spark", "alice:wrong", "application/json", body);
	ck_assert_int_eq(h.status, 401);
	http_free(&h);
	/* A blocked user (blockedUsers) is authenticated but refused. */
	h = api("POST", "/spark", "mallory:mallory-pw", "application/json",
	    body);
	ck_assert_int_eq(h.status, 403);
	ck_assert_int_eq(jint(h.json, "code"), 403);
	http_free(&h);
	free(body);
}
END_TEST

START_TEST(test_routing_errors)
{
	struct http h;

	h = api("GET", "/nope", "alice:alice-pw", NULL, NULL);
	assert_message(&h, 404, "HTTP 404 Not Found");
	http_free(&h);
	h = api("GET", "/spark/spark-cluster-a-0123456789abcdef0123456789abcdef",
	    "alice:alice-pw", NULL, NULL);
	assert_message(&h, 405, "HTTP 405 Method Not Allowed");
	http_free(&h);
	h = api("GET", "/spark/nodash/status", "alice:alice-pw", NULL, NULL);
	assert_message(&h, 400, "submissionId nodash is invalid");
	http_free(&h);
	h = api("GET", "/spark/zz-0123456789abcdef0123456789abcdef/status",
	    "alice:alice-pw", NULL, NULL);
	assert_message(&h, 400, "Cluster zz (in submissionId: "
	    "zz-0123456789abcdef0123456789abcdef) not exists");
	http_free(&h);
	h = api("DELETE", "/spark/..%2F..%2Fetc", "alice:alice-pw", NULL, NULL);
	ck_assert_int_eq(h.status, 400);
	http_free(&h);
}
END_TEST

/* Faults of the API server: a 5xx answer, no CR, and the row failed. */
START_TEST(test_kube_failure_leaves_nothing)
{
	static const char *faults[] = {
		"{\"method\":\"POST\",\"fail_next\":4,\"fail_status\":500}",
		"{\"method\":\"POST\",\"drop_next\":4}",
	};
	char *body = sparkpi_body();
	size_t crs;
	long failed;
	struct http h;

	crs = cr_count("a") + cr_count("b");
	failed = db_count("status='SUBMISSION_FAILED'");
	control("POST", "/clusters/spark-cluster-a/faults", faults[_i]);
	control("POST", "/clusters/spark-cluster-b/faults", faults[_i]);
	h = api("POST", "/spark", "alice:alice-pw", "application/json", body);
	control("POST", "/clusters/spark-cluster-a/faults", "{\"reset\":true}");
	control("POST", "/clusters/spark-cluster-b/faults", "{\"reset\":true}");
	ck_assert_msg(h.status >= 500 && h.status < 600, "got %ld %s",
	    h.status, h.body);
	ck_assert_msg(json_is_integer(json_object_get(h.json, "code")),
	    "not a JSON error: %s", h.body);
	http_free(&h);
	ck_assert_int_eq(cr_count("a") + cr_count("b"), crs);
	ck_assert_int_eq(db_count("status='SUBMISSION_FAILED'"), failed + 1);
	free(body);
}
END_TEST

static void
db_ctl(const char *cmd)
{
	char line[1024];

	if (strcmp(cmd, "stop") == 0)
		snprintf(line, sizeof(line), "sh tests/mariadb.sh stop %s/db",
		    env("BPG_STACK_DIR"));
	else
		snprintf(line, sizeof(line), "sh tests/mariadb.sh start %s/db %s",
		    env("BPG_STACK_DIR"), env("BPG_DB_PORT"));
	ck_assert_msg(system(line) == 0, "%s failed", line);
}

START_TEST(test_db_down)
{
	char *body = sparkpi_body(), *id;
	size_t crs = cr_count("a") + cr_count("b");
	struct http h;
	int i;

	db_ctl("stop");
	/* Every worker finds the DB gone, whichever gets the request. */
	for (i = 0; i < 6; i++) {
		h = api("POST", "/spark", "alice:alice-pw", "application/json",
		    body);
		if (h.status != 503)
			db_ctl("start");
		assert_message(&h, 503, "could not be recorded");
		http_free(&h);
	}
	ck_assert_int_eq(cr_count("a") + cr_count("b"), crs);
	db_ctl("start");
	for (i = 0; i < 6; i++) {
		id = submit_sparkpi();
		ck_assert(db_row(id).found);
		free(id);
	}
	free(body);
}
END_TEST

/* Worker processes: children of the supervisor. */
static int
workers(pid_t super, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char path[300], buf[512], *p;
	FILE *f;
	int n = 0, ppid;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == super)
			out[n++] = atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	return n;
}

START_TEST(test_worker_respawn)
{
	char path[1024], *pidtxt, *id;
	pid_t super, before[64], after[64];
	int nb, na, i, j;
	bool replaced = false;

	snprintf(path, sizeof(path), "%s/gateway.pid", env("BPG_STACK_DIR"));
	pidtxt = slurp(path);
	super = atoi(pidtxt);
	free(pidtxt);
	nb = workers(super, before, 64);
	ck_assert_msg(nb > 0, "no workers under %d", (int)super);
	ck_assert_int_eq(kill(before[0], SIGKILL), 0);
	for (i = 0; i < 50 && !replaced; i++) {
		usleep(100000);
		na = workers(super, after, 64);
		replaced = na == nb;
		for (j = 0; j < na; j++)
			if (after[j] == before[0])
				replaced = false;
	}
	ck_assert_msg(replaced, "worker %d not replaced", (int)before[0]);
	for (i = 0; i < 10; i++) {
		id = submit_sparkpi();
		free(id);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("integration");
	TCase *tc = tcase_create("stack");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_healthcheck);
	tcase_add_test(tc, test_sparkpi_end_to_end);
	tcase_add_loop_test(tc, test_bad_requests, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_routing_errors);
	tcase_add_loop_test(tc, test_kube_failure_leaves_nothing, 0, 2);
	tcase_add_test(tc, test_db_down);
	tcase_add_test(tc, test_worker_respawn);
	tcase_add_test(tc, test_weighted_split);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
