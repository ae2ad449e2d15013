/*
 * Integration tests: the real stack (lighttpd + spawn-fcgi + bpg-gateway +
 * MariaDB + the Kubernetes API stand-in), started by tests/stack.sh, driven
 * over HTTP with libcurl.  The stack's addresses come from the variables
 * tests/stack.sh writes (BPG_URL, BPG_KUBE_A, ...).
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "integ.h"
#include "schema.h"

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

/* One row of application_submission as strings (NULL for SQL NULL). */
struct row {
	char *user, *queue, *spark_version, *request_body, *status, *error;
	bool found;
};

static struct row
db_row(const char *id)
{
	char *v[6];
	struct row out;

	out.found = integ_db_row(id, "`user`, queue, spark_version, "
	    "request_body, status, error_message", v, 6);
	out.user = v[0];
	out.queue = v[1];
	out.spark_version = v[2];
	out.request_body = v[3];
	out.status = v[4];
	out.error = v[5];
	return out;
}

static void
row_free(struct row *r)
{
	free(r->user);
	free(r->queue);
	free(r->spark_version);
	free(r->request_body);
	free(r->status);
	free(r->error);
}

/* ---- tests -------------------------------------------------------- */

START_TEST(test_healthcheck)
{
	struct integ_http h = integ_api("GET", "/healthcheck/status",
	    INTEG_ALICE, NULL, NULL);

	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h.body, "{\"status\":\"OK\"}");
	integ_http_free(&h);
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
	    integ_env("BPG_SHARED_DIR"));
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

START_TEST(test_sparkpi_end_to_end)
{
	char *id = integ_submit(INTEG_ALICE, NULL, NULL), path[512];
	const char *cl = NULL, *dconf;
	struct integ_http h;
	struct row r;
	json_t *spec, *driver, *executor, *stored, *st;

	ck_assert_msg(id_shape(id, &cl), "bad id %s", id);

	/* The CR, as the API server stored it (section 2.24). */
	snprintf(path, sizeof(path), INTEG_APPS "/%s", id);
	h = integ_kube(cl, "GET", path, NULL);
	ck_assert_msg(h.status == 200, "CR: %ld %s", h.status, h.body);
	assert_schema_valid(h.json);
	ck_assert_str_eq(integ_jstr(h.json, "metadata.name"), id);
	ck_assert_str_eq(integ_jstr(h.json, "metadata.namespace"), INTEG_NS);
	ck_assert_str_eq(integ_jstr(h.json, "metadata.labels.proxyUser"),
	    "alice");
	ck_assert_str_eq(integ_jstr(h.json, "metadata.labels.applicationName"),
	    "SparkPiDemo");
	ck_assert_str_eq(integ_jstr(h.json, "metadata.labels.queue"),
	    "root.dev");
	ck_assert_str_eq(integ_jstr(h.json, "metadata.labels.maxRunningMillis"),
	    "43200000");
	spec = json_object_get(h.json, "spec");
	ck_assert_str_eq(integ_jstr(spec, "type"), "Java");
	ck_assert_str_eq(integ_jstr(spec, "mode"), "cluster");
	ck_assert_str_eq(integ_jstr(spec, "sparkVersion"), "3.5.0");
	ck_assert_str_eq(integ_jstr(spec, "image"), "apache/spark:3.5.0");
	ck_assert_str_eq(integ_jstr(spec, "proxyUser"), "alice");
	ck_assert_str_eq(integ_jstr(spec, "mainClass"),
	    "org.apache.spark.examples.SparkPi");
	ck_assert_str_eq(integ_jstr(spec, "mainApplicationFile"),
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
	ck_assert_str_eq(integ_jstr(spec, "batchSchedulerOptions.queue"),
	    "root.dev");
	ck_assert_int_eq(integ_jint(spec, "timeToLiveSeconds"), 86400);
	driver = json_object_get(spec, "driver");
	ck_assert_int_eq(integ_jint(driver, "cores"), 1);
	ck_assert_str_eq(integ_jstr(driver, "coreLimit"), "1000.0m");
	ck_assert_str_eq(integ_jstr(driver, "memory"), "2g");
	ck_assert_str_eq(integ_jstr(driver, "serviceAccount"),
	    "emr-containers-sa-spark");
	ck_assert_str_eq(integ_jstr(driver, "labels.version"), "3.5.0");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    driver, "annotations"), "cluster-autoscaler.kubernetes.io/"
	    "safe-to-evict")), "false");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(driver, "env"), 0), "name")),
	    "STATSD_SERVER_PORT");
	executor = json_object_get(spec, "executor");
	ck_assert_int_eq(integ_jint(executor, "instances"), 1);
	ck_assert_int_eq(integ_jint(executor, "cores"), 1);
	ck_assert_str_eq(integ_jstr(executor, "memory"), "2g");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(json_object_get(executor, "dnsConfig"), "options"),
	    0), "name")), "ndots");
	dconf = json_string_value(json_array_get(json_object_get(
	    json_array_get(json_object_get(json_array_get(json_object_get(
	    json_object_get(json_object_get(json_object_get(driver, "affinity"),
	    "nodeAffinity"), "requiredDuringSchedulingIgnoredDuringExecution"),
	    "nodeSelectorTerms"), 0), "matchExpressions"), 0), "values"), 0));
	ck_assert_str_eq(dconf, "spark_driver");
	integ_http_free(&h);

	/* The DB row (section 2.20). */
	r = db_row(id);
	ck_assert_msg(r.found, "no DB row for %s", id);
	ck_assert_str_eq(r.user, "alice");
	ck_assert_str_eq(r.queue, "dev");
	ck_assert_str_eq(r.spark_version, "3.5.0");
	stored = json_loads(r.request_body, 0, NULL);
	ck_assert_ptr_nonnull(stored);
	ck_assert_str_eq(integ_jstr(stored, "applicationName"), "SparkPiDemo");
	ck_assert_str_eq(integ_jstr(stored, "mainClass"),
	    "org.apache.spark.examples.SparkPi");
	ck_assert(json_is_false(json_object_get(stored, "spotInstance")));
	json_decref(stored);

	/* The simulated operator runs it to completion. */
	st = integ_wait_state(id, "COMPLETED", 60);
	ck_assert_str_eq(integ_jstr(st, "applicationState"), "COMPLETED");
	json_decref(st);
	/* Other workers may still hold an earlier answer in their status
	 * caches; past the TTL every worker reads the CR again. */
	usleep(1100000);
	snprintf(path, sizeof(path), "/spark/%s/status", id);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_ptr_nonnull(integ_jstr(h.json, "sparkApplicationId"));
	ck_assert(integ_jint(h.json, "creationTime") > 0);
	ck_assert(integ_jint(h.json, "terminationTime") >=
	    integ_jint(h.json, "creationTime"));
	ck_assert(integ_jint(h.json, "duration") >= 0);
	integ_http_free(&h);

	/* Delete removes the CR; status then answers from the DB row. */
	snprintf(path, sizeof(path), "/spark/%s", id);
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(integ_jstr(h.json, "submissionId"), id);
	integ_http_free(&h);
	snprintf(path, sizeof(path), INTEG_APPS "/%s", id);
	h = integ_kube(cl, "GET", path, NULL);
	ck_assert_int_eq(h.status, 404);
	integ_http_free(&h);
	snprintf(path, sizeof(path), "/spark/%s/status", id);
	usleep(1100000);	/* past any status cache entry */
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "status: %ld %s", h.status, h.body);
	/* From the row: no executionAttempts, which only a CR has. */
	ck_assert_ptr_null(json_object_get(h.json, "executionAttempts"));
	ck_assert(integ_jint(h.json, "creationTime") > 0);
	integ_http_free(&h);
	row_free(&r);
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
		id = integ_submit(INTEG_ALICE, NULL, NULL);
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
	long before = integ_db_count(NULL);
	size_t crs = integ_cr_count("a") + integ_cr_count("b");
	struct integ_http h = integ_api("POST", "/spark", INTEG_ALICE, c->ctype,
	    c->body);

	ck_assert_msg(h.status == c->status, "%s: want %ld got %ld: %s",
	    c->name, c->status, h.status, h.body);
	ck_assert_msg(h.json != NULL && strstr(json_string_value(
	    json_object_get(h.json, "message")), c->text) != NULL,
	    "%s: message %s", c->name, h.body);
	/* Nothing written anywhere. */
	ck_assert_int_eq(integ_db_count(NULL), before);
	ck_assert_int_eq(integ_cr_count("a") + integ_cr_count("b"), crs);
	integ_http_free(&h);
}
END_TEST

/* A submission as userpw over HTTP/1.1: the web server refuses some
 * before reading the body (see struct integ_req). */
static struct integ_http
refused_submit(const char *userpw, const char *body)
{
	struct integ_req r = { .method = "POST", .url = "/spark",
		.userpw = userpw, .ctype = INTEG_JSON, .body = body,
		.http11 = true };

	return integ_request(&r);
}

START_TEST(test_auth)
{
	char *body = integ_sparkpi(NULL);
	struct integ_http h;

	/* No credentials: the web server refuses before the gateway. */
	h = refused_submit(NULL, body);
	ck_assert_int_eq(h.status, 401);
	integ_http_free(&h);
	/* Wrong password: refused by the web server too. */
	h = refused_submit("alice:wrong", body);
	ck_assert_int_eq(h.status, 401);
	integ_http_free(&h);
	/* A blocked user (blockedUsers) is authenticated but refused. */
	h = refused_submit("mallory:mallory-pw", body);
	ck_assert_int_eq(h.status, 403);
	ck_assert_int_eq(integ_jint(h.json, "code"), 403);
	integ_http_free(&h);
	free(body);
}
END_TEST

START_TEST(test_routing_errors)
{
	struct integ_http h;

	h = integ_api("GET", "/nope", INTEG_ALICE, NULL, NULL);
	integ_assert_error(&h, 404, "HTTP 404 Not Found");
	integ_http_free(&h);
	h = integ_api("GET", "/spark/spark-cluster-a-"
	    "0123456789abcdef0123456789abcdef", INTEG_ALICE, NULL, NULL);
	integ_assert_error(&h, 405, "HTTP 405 Method Not Allowed");
	integ_http_free(&h);
	h = integ_api("GET", "/spark/nodash/status", INTEG_ALICE, NULL, NULL);
	integ_assert_error(&h, 400, "submissionId nodash is invalid");
	integ_http_free(&h);
	h = integ_api("GET", "/spark/zz-0123456789abcdef0123456789abcdef/"
	    "status", INTEG_ALICE, NULL, NULL);
	integ_assert_error(&h, 400, "Cluster zz (in submissionId: "
	    "zz-0123456789abcdef0123456789abcdef) not exists");
	integ_http_free(&h);
	h = integ_api("DELETE", "/spark/..%2F..%2Fetc", INTEG_ALICE, NULL,
	    NULL);
	ck_assert_int_eq(h.status, 400);
	integ_http_free(&h);
}
END_TEST

/*
 * Faults of the API server that leave a create's outcome unknown (500s,
 * connections closed unanswered), 4 in a row: the gateway asks until the
 * API server tells, and the submission goes through.  One CR, a 200 that
 * names it, and no row marked failed (tests/integ/check_create.c has the
 * faults that last).
 */
START_TEST(test_kube_failure_settled)
{
	static const char *faults[] = {
		"{\"method\":\"POST\",\"fail_next\":4,\"fail_status\":500}",
		"{\"method\":\"POST\",\"drop_next\":4}",
	};
	char *body = integ_sparkpi(NULL);
	const char *id, *cluster;
	size_t crs;
	long failed;
	struct integ_http h;

	crs = integ_cr_count("a") + integ_cr_count("b");
	failed = integ_db_count("status='SUBMISSION_FAILED'");
	json_decref(integ_control("a", "POST", "/faults", faults[_i]));
	json_decref(integ_control("b", "POST", "/faults", faults[_i]));
	h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
	json_decref(integ_control("a", "POST", "/faults", "{\"reset\":true}"));
	json_decref(integ_control("b", "POST", "/faults", "{\"reset\":true}"));
	ck_assert_msg(h.status == 200, "got %ld %s", h.status, h.body);
	id = integ_jstr(h.json, "submissionId");
	ck_assert_msg(id != NULL && id_shape(id, &cluster), "%s", h.body);
	ck_assert_int_eq(integ_cr_count("a") + integ_cr_count("b"), crs + 1);
	ck_assert_int_eq(integ_db_count("status='SUBMISSION_FAILED'"),
	    failed);
	integ_http_free(&h);
	free(body);
}
END_TEST

static void
db_ctl(const char *cmd)
{
	char line[1024];

	if (strcmp(cmd, "stop") == 0)
		snprintf(line, sizeof(line), "sh tests/mariadb.sh stop %s/db",
		    integ_env("BPG_STACK_DIR"));
	else
		snprintf(line, sizeof(line), "sh tests/mariadb.sh start %s/db "
		    "%s", integ_env("BPG_STACK_DIR"), integ_env("BPG_DB_PORT"));
	ck_assert_msg(system(line) == 0, "%s failed", line);
}

START_TEST(test_db_down)
{
	char *body = integ_sparkpi(NULL), *id;
	size_t crs = integ_cr_count("a") + integ_cr_count("b");
	struct integ_http h;
	struct row r;
	int i;

	db_ctl("stop");
	/* Every worker finds the DB gone, whichever gets the request. */
	for (i = 0; i < 6; i++) {
		h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
		if (h.status != 503)
			db_ctl("start");
		integ_assert_error(&h, 503, "could not be recorded");
		integ_http_free(&h);
	}
	ck_assert_int_eq(integ_cr_count("a") + integ_cr_count("b"), crs);
	db_ctl("start");
	for (i = 0; i < 6; i++) {
		id = integ_submit(INTEG_ALICE, NULL, NULL);
		r = db_row(id);
		ck_assert(r.found);
		row_free(&r);
		free(id);
	}
	free(body);
}
END_TEST

struct bg_submit {
	pthread_t t;
	char *body;
	struct integ_http h;
};

static void *
bg_submit_run(void *arg)
{
	struct bg_submit *b = arg;

	b->h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, b->body);
	return NULL;
}

/* The connection running the gateway's INSERT, once it waits (<= 30 s). */
static unsigned long
waiting_insert(MYSQL *m)
{
	MYSQL_RES *res;
	MYSQL_ROW r;
	unsigned long id = 0;
	int i;

	for (i = 0; i < 300 && id == 0; i++) {
		ck_assert_msg(mysql_query(m, "SELECT ID FROM "
		    "information_schema.PROCESSLIST WHERE COMMAND='Execute' "
		    "AND INFO LIKE 'INSERT INTO%application_submission%' AND "
		    "ID <> CONNECTION_ID()") == 0, "%s", mysql_error(m));
		res = mysql_store_result(m);
		ck_assert_ptr_nonnull(res);
		if ((r = mysql_fetch_row(res)) != NULL)
			id = strtoul(r[0], NULL, 10);
		mysql_free_result(res);
		if (id == 0)
			usleep(100000);
	}
	ck_assert_msg(id != 0, "no INSERT waiting after 30 s");
	return id;
}

/*
 * The INSERT is sent and its connection dies before the answer, twice
 * (the gateway's retry too): the row may exist, so the 503 must not say
 * that nothing was submitted; it says what is known.  The INSERTs wait on
 * a gap lock this test holds, and are killed while they wait.
 */
START_TEST(test_db_lost_answer)
{
	struct bg_submit b = { .body = integ_sparkpi(NULL) };
	size_t crs = integ_cr_count("a") + integ_cr_count("b");
	MYSQL *m = integ_db_open();
	char q[64];
	int i;

	ck_assert_msg(mysql_query(m, "START TRANSACTION") == 0, "%s",
	    mysql_error(m));
	/* Next-key locks up to the supremum: every new ID waits. */
	ck_assert_msg(mysql_query(m, "SELECT COUNT(*) FROM "
	    "bpg.application_submission WHERE submission_id >= 'spark-' "
	    "FOR UPDATE") == 0, "%s", mysql_error(m));
	mysql_free_result(mysql_store_result(m));
	ck_assert_int_eq(pthread_create(&b.t, NULL, bg_submit_run, &b), 0);
	for (i = 0; i < 2; i++) {
		snprintf(q, sizeof(q), "KILL %lu", waiting_insert(m));
		ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q,
		    mysql_error(m));
	}
	ck_assert_int_eq(pthread_join(b.t, NULL), 0);
	ck_assert_msg(mysql_query(m, "ROLLBACK") == 0, "%s", mysql_error(m));
	mysql_close(m);
	integ_assert_error(&b.h, 503, "could not be recorded for certain");
	ck_assert_msg(strstr(b.h.body, "nothing was submitted") == NULL,
	    "%s", b.h.body);
	ck_assert_msg(strstr(b.h.body, "nothing was created in Kubernetes") !=
	    NULL, "%s", b.h.body);
	integ_http_free(&b.h);
	ck_assert_int_eq(integ_cr_count("a") + integ_cr_count("b"), crs);
	free(b.body);
}
END_TEST

START_TEST(test_worker_respawn)
{
	pid_t super = integ_supervisor(), before[64], after[64];
	int nb, na, i, j;
	bool replaced = false;
	char *id;

	nb = integ_workers(super, before, 64);
	ck_assert_msg(nb > 0, "no workers under %d", (int)super);
	ck_assert_int_eq(kill(before[0], SIGKILL), 0);
	for (i = 0; i < 50 && !replaced; i++) {
		usleep(100000);
		na = integ_workers(super, after, 64);
		replaced = na == nb;
		for (j = 0; j < na; j++)
			if (after[j] == before[0])
				replaced = false;
	}
	ck_assert_msg(replaced, "worker %d not replaced", (int)before[0]);
	for (i = 0; i < 10; i++) {
		id = integ_submit(INTEG_ALICE, NULL, NULL);
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
	tcase_add_loop_test(tc, test_kube_failure_settled, 0, 2);
	tcase_add_test(tc, test_db_down);
	tcase_add_test(tc, test_db_lost_answer);
	tcase_add_test(tc, test_worker_respawn);
	tcase_add_test(tc, test_weighted_split);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
