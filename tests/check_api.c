/*
 * Tests of lib/bpg_api.c without a network: routing, authentication, the
 * error envelope, and answers when the Kubernetes API cannot be reached
 * (the cluster points at a closed loopback port).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <curl/curl.h>

#include "bpg_api.h"
#include "bpg_api_util.h"
#include "bpg_config.h"
#include "bpg_internal.h"
#include "bpg_limits.h"
#include "bpg_ratelimit.h"
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
    "    queues: [poc, dev]\n"
    "    timeoutMillis: 2000\n"
    "  - id: spark-cluster-a\n"
    "    weight: 0\n"
    "    masterUrl: https://127.0.0.1:1\n"
    "    sparkApplicationNamespace: spark-applications\n"
    "sparkImages:\n"
    "  - {name: 'apache/spark:3.5.0', types: [Java], version: '3.5.0'}\n"
    "allowedUsers: [alice, bob, mallory]\n"
    "blockedUsers: [mallory]\n"
    "viewerUsers: [alice]\n"
    "queues:\n"
    "  - name: poc\n"
    "  - name: dev\n";

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

static struct tu_answer
call_full(const char *method, const char *uri, const char *user,
    const char *header_user, const char *body, long long clen)
{
	struct tu_request r = { method, uri, user, header_user, body, clen,
		NULL };

	return tu_api_call(api, &r);
}

static struct tu_answer
call(const char *method, const char *uri, const char *user, const char *body)
{
	return call_full(method, uri, user, NULL, body,
	    body ? (long long)strlen(body) : 0);
}

static const struct route_case {
	const char *name, *method, *uri, *user, *body;
	int status;
	const char *body_has;
	const char *header_has;
} cases[] = {
	{ "unknown path", "GET", "/skatev2/nope", "alice", NULL, 404,
	  "{\"code\":404,\"message\":\"jakarta.ws.rs.NotFoundException: HTTP "
	  "404 Not Found\"}", "" },
	{ "other prefix", "GET", "/apiv2/healthcheck/status", "alice", NULL,
	  404, "NotFoundException", "" },
	{ "prefix only", "GET", "/skatev2", "alice", NULL, 404,
	  "NotFoundException", "" },
	{ "empty id", "GET", "/skatev2/spark//status", "alice", NULL, 404,
	  "NotFoundException", "" },
	{ "trailing slash", "GET", "/skatev2/healthcheck/status/", "alice",
	  NULL, 404, "NotFoundException", "" },
	{ "segment a prefix of the route's", "GET",
	  "/skatev2/healthcheck/stat", "alice", NULL, 404,
	  "NotFoundException", "" },
	{ "segment longer than the route's", "GET",
	  "/skatev2/healthcheck/statuses", "alice", NULL, 404,
	  "NotFoundException", "" },
	{ "a literal segment and an id both match", "POST",
	  "/skatev2/spark/mySubmissions", "alice", NULL, 405,
	  "NotAllowedException", "Allow: DELETE,GET" },
	{ "prefix lookalike", "GET", "/skatev2x/healthcheck/status", "alice",
	  NULL, 404, "NotFoundException", "" },
	{ "wrong method", "GET", "/skatev2/spark/c01-abc", "alice", NULL, 405,
	  "{\"code\":405,\"message\":\"jakarta.ws.rs.NotAllowedException: "
	  "HTTP 405 Method Not Allowed\"}", "Allow: DELETE" },
	{ "405 before auth", "PUT", "/skatev2/spark", NULL, NULL, 405,
	  "NotAllowedException", "Allow: POST" },
	{ "no user", "GET", "/skatev2/healthcheck/status", NULL, NULL, 401,
	  "{\"code\":\"401\",\"message\":\"HTTP 401 Unauthorized.\"}",
	  "WWW-Authenticate: Basic realm=\"bpg\"" },
	{ "empty user", "GET", "/skatev2/healthcheck/status", "", NULL, 401,
	  "HTTP 401 Unauthorized.", "WWW-Authenticate" },
	{ "control character in user", "GET", "/skatev2/healthcheck/status",
	  "al\x01ice", NULL, 401, "HTTP 401 Unauthorized.", "" },
	{ "blocked user", "GET", "/skatev2/healthcheck/status", "mallory",
	  NULL, 403, "\"code\":403", "" },
	{ "user not allowed", "GET", "/skatev2/healthcheck/status", "eve",
	  NULL, 403, "User eve is not allowed", "" },
	{ "healthcheck", "GET", "/skatev2/healthcheck/status", "alice", NULL,
	  200, "{\"status\":\"OK\"}", "" },
	{ "query ignored", "GET", "/skatev2/healthcheck/status?x=1", "alice",
	  NULL, 200, "{\"status\":\"OK\"}", "" },
	{ "admin report for admins only", "GET",
	  "/skatev2/admin/report?groupBy=nope", "alice", NULL, 403,
	  "only adminUsers may see every user's report", "" },
	{ "report groupBy", "GET", "/skatev2/report?groupBy=queues", "bob",
	  NULL, 400, "groupBy must be one of queue, user, cluster, day", "" },
	{ "report from", "GET", "/skatev2/report?from=2026-02-30", "bob",
	  NULL, 400, "from must be an RFC 3339 date", "" },
	{ "report span", "GET", "/skatev2/report?from=2025-01-01&to=2026-12-31",
	  "bob", NULL, 400, "at most 366 days apart", "" },
	{ "report order", "GET", "/skatev2/report?from=2026-11-02&to=2026-11-01",
	  "bob", NULL, 400, "to must be after from", "" },
	{ "report escape", "GET", "/skatev2/report?to=%zz", "bob", NULL, 400,
	  "to is not a valid percent-encoded value", "" },
	{ "report format", "GET", "/skatev2/report?format=xml", "bob", NULL,
	  400, "format must be json or csv", "" },
	{ "report without a database", "GET", "/skatev2/report", "bob", NULL,
	  409, "Reports need the database", "" },
	{ "bad escape", "GET", "/skatev2/spark/%zz/status", "alice", NULL,
	  400, "Malformed request URI", "" },
	{ "encoded NUL", "GET", "/skatev2/spark/c01%00x/status", "alice",
	  NULL, 400, "Malformed request URI", "" },
	{ "id without dash", "GET", "/skatev2/spark/nodash/status", "alice",
	  NULL, 400, "jakarta.ws.rs.WebApplicationException: submissionId "
	  "nodash is invalid", "" },
	{ "mySubmissions is not an id on DELETE", "DELETE",
	  "/skatev2/spark/mySubmissions", "alice", NULL, 400,
	  "submissionId mySubmissions is invalid", "" },
	{ "unknown cluster", "DELETE",
	  "/skatev2/spark/zz-0123456789abcdef0123456789abcdef", "alice", NULL,
	  400, "Cluster zz (in submissionId: "
	  "zz-0123456789abcdef0123456789abcdef) not exists", "" },
	{ "encoded slash stays in the id", "DELETE",
	  "/skatev2/spark/..%2F..%2Fetc", "alice", NULL, 400,
	  "is invalid", "" },
	{ "malformed JSON", "POST", "/skatev2/spark", "alice", "{", 400,
	  "jakarta.ws.rs.WebApplicationException: Invalid JSON request: ",
	  "" },
	{ "null body", "POST", "/skatev2/spark", "alice", "null", 400,
	  "Invalid JSON request", "" },
	{ "unknown version", "POST", "/skatev2/spark", "alice",
	  "{\"sparkVersion\":\"2.4\"}", 400,
	  "Spark version not supported: 2.4", "" },
	{ "dash cluster by id, weight 0", "POST", "/skatev2/spark", "alice",
	  "{\"sparkVersion\":\"3.1\",\"clusterId\":\"spark-cluster-a\"}", 400,
	  "Cluster with id spark-cluster-a having Spark version 3.1 not found",
	  "" },
	/* ExceptionUtilsTest: the text is "<class>: <message>". */
	{ "kubernetes unreachable", "POST", "/skatev2/spark", "alice",
	  "{\"sparkVersion\":\"3.5.0\",\"mainClass\":\"x.Y\","
	  "\"mainApplicationFile\":\"local:///x.jar\"}", 502,
	  "io.fabric8.kubernetes.client.KubernetesClientException: Failure "
	  "executing: POST at: https://127.0.0.1:1/apis/sparkoperator.k8s.io/"
	  "v1beta2/namespaces/spark-applications/sparkapplications", "" },
	/* Idempotency keys need the database, which this api lacks. */
	{ "idempotency key without a database", "POST", "/skatev2/spark",
	  "alice", "{\"sparkVersion\":\"3.5.0\",\"idempotencyKey\":\"k-1\"}",
	  501, "Idempotency-Key is not supported: this gateway has no "
	  "database", "" },
	/* So do retries; a bad policy is a 400 all the same. */
	{ "retryPolicy without a database", "POST", "/skatev2/spark",
	  "alice", "{\"sparkVersion\":\"3.5.0\",\"retryPolicy\":{}}",
	  501, "retryPolicy is not supported: this gateway has no database",
	  "" },
	{ "retryPolicy, maxAttempts 0", "POST", "/skatev2/spark", "alice",
	  "{\"retryPolicy\":{\"maxAttempts\":0}}", 400,
	  "retryPolicy.maxAttempts must be 1..10", "" },
	{ "empty idempotency key", "POST", "/skatev2/spark", "alice",
	  "{\"idempotencyKey\":\"\"}", 400,
	  "Invalid idempotencyKey field: it is empty", "" },
	{ "status, kubernetes unreachable", "GET",
	  "/skatev2/spark/c01-0123456789abcdef0123456789abcdef/status",
	  "alice", NULL, 502, "Failed to get status: ", "" },
};

START_TEST(test_routes)
{
	const struct route_case *c = &cases[_i];
	struct tu_answer r = call(c->method, c->uri, c->user, c->body);

	ck_assert_msg(r.status == c->status, "%s: status %d: %s", c->name,
	    r.status, r.out);
	ck_assert_msg(strstr(r.out, c->body_has) != NULL, "%s: body %s",
	    c->name, r.out);
	ck_assert_msg(strstr(r.headers, c->header_has) != NULL,
	    "%s: headers %s", c->name, r.headers);
	ck_assert_str_eq(r.ctype, "application/json");
	ck_assert_int_eq(r.clen, (long long)r.outlen);
	/* The token never shows in an answer. */
	ck_assert_ptr_null(strstr(r.out, "0123456789abcdef\""));
	free(r.out);
}
END_TEST

START_TEST(test_trusted_header)
{
	struct tu_answer r;

	/* Not configured: the header is ignored. */
	r = call_full("GET", "/skatev2/healthcheck/status", NULL, "alice", NULL,
	    0);
	ck_assert_int_eq(r.status, 401);
	free(r.out);
	teardown();
	setup_with("trustedUserHeader: User-Account\n");
	r = call_full("GET", "/skatev2/healthcheck/status", NULL, "alice", NULL,
	    0);
	ck_assert_int_eq(r.status, 200);
	free(r.out);
	/* REMOTE_USER wins over the header. */
	r = call_full("GET", "/skatev2/healthcheck/status", "mallory", "alice",
	    NULL, 0);
	ck_assert_int_eq(r.status, 403);
	free(r.out);
}
END_TEST

/* Over the limit by Content-Length: refused without reading the body. */
START_TEST(test_too_large)
{
	struct tu_answer r;
	char *big = malloc(BPG_MAX_BODY + 2);

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', BPG_MAX_BODY + 1);
	big[BPG_MAX_BODY + 1] = '\0';
	r = call_full("POST", "/skatev2/spark", "alice", NULL, big,
	    BPG_MAX_BODY + 1);
	ck_assert_int_eq(r.status, 413);
	ck_assert_ptr_nonnull(strstr(r.out, "\"code\":413"));
	free(r.out);
	/* Unknown length: read up to the limit, then refused. */
	r = call_full("POST", "/skatev2/spark", "alice", NULL, big, -1);
	ck_assert_int_eq(r.status, 413);
	free(r.out);
	free(big);
}
END_TEST

/*
 * No more than Content-Length is read (RFC 3875 section 4.2), even into
 * a buffer a bigger body before has left larger: what comes after it is
 * not part of the body.
 */
START_TEST(test_body_by_length)
{
	static const char body[] = "{\"queue\":1}{";
	struct tu_answer r;
	char *big = malloc(4096);

	ck_assert_ptr_nonnull(big);
	memset(big, ' ', 4095);
	big[0] = '{';
	big[4095] = '\0';
	r = call("POST", "/skatev2/spark", "alice", big);
	free(r.out);
	free(big);
	r = call_full("POST", "/skatev2/spark", "alice", NULL, body,
	    (long long)strlen(body) - 1);
	ck_assert_int_eq(r.status, 400);
	ck_assert_msg(strstr(r.out, "Invalid JSON request") == NULL, "%s", r.out);
	free(r.out);
	/* The byte left out is what makes it malformed. */
	r = call("POST", "/skatev2/spark", "alice", body);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.out, "Invalid JSON request"));
	free(r.out);
}
END_TEST

/*
 * Every endpoint that takes an ID refuses bad ones with a 400 before it
 * talks to Kubernetes (quirk 4 fixed for status).
 */
static const struct {
	const char *method, *tail;	/* path: /skatev2/spark/<id><tail> */
} id_endpoints[] = {
	{ "GET", "/status" },
	{ "GET", "/spec" },
	{ "GET", "/driver" },
	{ "GET", "/describe" },
	{ "DELETE", "" },
};

#define LONG_ID "c01-0123456789abcdef0123456789abcdef-" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct {
	const char *name, *id, *text;
} bad_ids[] = {
	{ "dot dot", "..", "submissionId .. is invalid" },
	{ "encoded dot dot slash", "..%2F..%2Fetc", "is invalid" },
	{ "encoded NUL", "c01-0123456789abcdef0123456789abcdef%00",
	  "Malformed request URI" },
	{ "300 characters", LONG_ID, "submissionId is invalid" },
	{ "unknown cluster", "zz-0123456789abcdef0123456789abcdef",
	  "Cluster zz (in submissionId: zz-0123456789abcdef0123456789abcdef) "
	  "not exists" },
	{ "no dash", "c01", "submissionId c01 is invalid" },
	{ "short hex", "c01-0123", "is invalid" },
	{ "upper-case hex", "c01-0123456789ABCDEF0123456789ABCDEF",
	  "is invalid" },
	{ "control byte", "c01-%01", "is invalid" },
};

#define N_BAD_IDS (sizeof(bad_ids) / sizeof(bad_ids[0]))

START_TEST(test_bad_ids)
{
	size_t e = (size_t)_i / N_BAD_IDS, b = (size_t)_i % N_BAD_IDS;
	char uri[512];
	struct tu_answer r;

	snprintf(uri, sizeof(uri), "/skatev2/spark/%s%s", bad_ids[b].id,
	    id_endpoints[e].tail);
	r = call(id_endpoints[e].method, uri, "alice", NULL);
	ck_assert_msg(r.status == 400, "%s %s (%s): %d %s",
	    id_endpoints[e].method, id_endpoints[e].tail, bad_ids[b].name,
	    r.status, r.out);
	ck_assert_msg(strstr(r.out, bad_ids[b].text) != NULL, "%s: %s",
	    bad_ids[b].name, r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "\"code\":400"));
	/* A long or odd ID is never echoed back whole. */
	ck_assert_ptr_null(strstr(r.out, LONG_ID));
	free(r.out);
}
END_TEST

/* Section 1.11: Jackson's pretty printing, no user needed. */
START_TEST(test_version)
{
	struct tu_answer r = call("GET", "/skatev2/admin/version", NULL, NULL);
	json_t *j;
	const char *key;
	json_t *v;
	int i = 0;
	static const char *const order[] = { "version", "gitCommit",
		"buildTime" };

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.ctype, "application/json");
	ck_assert_msg(strncmp(r.out, "{\n  \"version\" : \"", 17) == 0, "%s",
	    r.out);
	ck_assert_ptr_nonnull(strstr(r.out, ",\n  \"gitCommit\" : \""));
	ck_assert_ptr_nonnull(strstr(r.out, ",\n  \"buildTime\" : "));
	ck_assert_msg(r.outlen > 2 && strcmp(r.out + r.outlen - 2, "}\n") == 0,
	    "%s", r.out);
	j = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	json_object_foreach(j, key, v) {
		ck_assert_str_eq(key, order[i]);
		i++;
	}
	ck_assert_int_eq(i, 3);
	ck_assert_str_eq(json_string_value(json_object_get(j, "version")),
	    BPG_VERSION);
	json_decref(j);
	free(r.out);
	/* Only GET. */
	r = call("POST", "/skatev2/admin/version", NULL, "");
	ck_assert_int_eq(r.status, 405);
	free(r.out);
}
END_TEST

START_TEST(test_openapi)
{
	static const char doc[] = "openapi: 3.0.3\ninfo:\n  title: BPG\n"
	    "  version: '1.0'\npaths:\n  /spark:\n    post:\n      responses:\n"
	    "        '200': {description: OK}\n";
	struct bpg_errinfo ei;
	struct tu_answer r;
	json_t *j;

	/* Not given: like an unknown path. */
	r = call("GET", "/skatev2/openapi.json", NULL, NULL);
	ck_assert_int_eq(r.status, 404);
	free(r.out);
	ck_assert_int_eq(bpg_api_set_openapi(api, "- a list\n", 9, &ei),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_api_set_openapi(api, doc, strlen(doc), &ei),
	    BPG_OK);
	r = call("GET", "/skatev2/openapi.yaml", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.ctype, "application/yaml");
	ck_assert_str_eq(r.out, doc);
	free(r.out);
	r = call("GET", "/skatev2/openapi.json", NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.ctype, "application/json");
	j = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j,
	    "info"), "version")), "1.0");
	ck_assert_ptr_nonnull(json_object_get(json_object_get(json_object_get(
	    json_object_get(json_object_get(j, "paths"), "/spark"), "post"),
	    "responses"), "200"));
	json_decref(j);
	free(r.out);
}
END_TEST

/* 429 texts of Appendix A, one bucket per endpoint. */
static int
count_429(const char *uri, int n, const char *text)
{
	struct tu_answer r;
	int got = 0, i;

	for (i = 0; i < n; i++) {
		r = call("GET", uri, "alice", NULL);
		if (r.status == 429) {
			got++;
			ck_assert_msg(strstr(r.out, text) != NULL, "%s", r.out);
			ck_assert_ptr_nonnull(strstr(r.out, "\"code\":429"));
		} else
			/* Kubernetes is unreachable: past the limiter. */
			ck_assert_msg(r.status == 502, "%d %s", r.status, r.out);
		free(r.out);
	}
	return got;
}

/*
 * POST /spark past submitRateLimit: a 429 in BPG's envelope with
 * Retry-After, before anything is done; other users are not affected.
 * A token every 1000 s: nothing comes back during the test.
 */
START_TEST(test_submit_rate_limit)
{
	static const char body[] = "{\"sparkVersion\":\"3.5.0\","
	    "\"mainClass\":\"x.Y\",\"mainApplicationFile\":"
	    "\"local:///x.jar\"}";
	static const char head[] = "{\"code\":429,\"message\":"
	    "\"jakarta.ws.rs.WebApplicationException: Too many submissions "
	    "by user alice (at most 0.001 a second, 2 at once); try again in ";
	struct tu_answer r;
	struct timespec t0, t1;
	char want[64], *end;
	long n, elapsed_s;
	int i;

	teardown();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup_with("submitRateLimit:\n"
	    "  perUser: {rate: 0.001, burst: 2}\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 2; i++) {
		/* Admitted: then Kubernetes is unreachable. */
		r = call("POST", "/skatev2/spark", "alice", body);
		ck_assert_msg(r.status == 502, "%d %s", r.status, r.out);
		free(r.out);
	}
	r = call("POST", "/skatev2/spark", "alice", body);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(r.status == 429, "%d %s", r.status, r.out);
	ck_assert_str_eq(r.ctype, "application/json");
	/*
	 * The next token comes 1000 s after the first was taken, less what
	 * has refilled since: 1000 s when the three calls took under one
	 * second, a second less for each second more (a slow machine under
	 * the sanitizers took longer), never more.
	 */
	ck_assert_msg(strncmp(r.out, head, sizeof(head) - 1) == 0, "%s",
	    r.out);
	n = strtol(r.out + sizeof(head) - 1, &end, 10);
	ck_assert_str_eq(end, " s\"}");
	elapsed_s = (long)(t1.tv_sec - t0.tv_sec) + 1;
	ck_assert_msg(n <= 1000 && n >= 1000 - elapsed_s, "try again in %ld s "
	    "after %ld s", n, elapsed_s);
	snprintf(want, sizeof(want), "Retry-After: %ld\r\n", n);
	ck_assert_str_eq(r.headers, want);
	free(r.out);
	r = call("POST", "/skatev2/spark", "bob", body);
	ck_assert_msg(r.status == 502, "%d %s", r.status, r.out);
	free(r.out);
}
END_TEST

START_TEST(test_list_rate_limits)
{
	struct bpg_ratelimit *shared;
	struct bpg_api *api2;
	struct bpg_errinfo ei;
	struct tu_answer r;
	int64_t t0 = bpg_ratelimit_now();
	int limited;

	/* The first 20 always pass; more within a second are refused. */
	ck_assert_int_eq(count_429("/skatev2/spark/mySubmissions", 20,
	    "Too many requests for mySubmissions endpoint (limit: 20 "
	    "requests per second)"), 0);
	limited = count_429("/skatev2/spark/mySubmissions", 40,
	    "Too many requests for mySubmissions endpoint");
	/* At most one token per 50 ms came back meanwhile. */
	ck_assert_int_ge(limited, 40 - 1 - (int)((bpg_ratelimit_now() - t0) /
	    50000000));
	/* The other endpoint has its own bucket. */
	ck_assert_int_eq(count_429("/skatev2/admin/submissions", 1,
	    "Too many requests for submissions endpoint (limit: 20 requests "
	    "per second)"), 0);

	/* Two workers on shared buckets draw from one budget. */
	ck_assert_int_eq(bpg_ratelimit_new_shared(20, 20, &shared, &ei),
	    BPG_OK);
	ck_assert_int_eq(bpg_api_new(cfg, &api2, &ei), BPG_OK);
	bpg_api_set_ratelimit(api, shared);
	bpg_api_set_ratelimit(api2, shared);
	while (bpg_ratelimit_try(shared, BPG_RATELIMIT_SUBMISSIONS,
	    bpg_ratelimit_now()))
		;
	r = call("GET", "/skatev2/admin/submissions", "alice", NULL);
	ck_assert_int_eq(r.status, 429);
	ck_assert_ptr_nonnull(strstr(r.out, "Too many requests for "
	    "submissions endpoint (limit: 20 requests per second)"));
	free(r.out);
	bpg_api_set_ratelimit(api, NULL);
	bpg_api_free(api2);
	bpg_ratelimit_free(shared);
}
END_TEST

/* Kubernetes unreachable: every read is a JSON 502, nothing streamed. */
static const struct {
	const char *method, *uri;
} k8s_down[] = {
	{ "GET", "/skatev2/spark/c01-0123456789abcdef0123456789abcdef/spec" },
	{ "GET", "/skatev2/spark/c01-0123456789abcdef0123456789abcdef/driver" },
	{ "GET",
	  "/skatev2/spark/c01-0123456789abcdef0123456789abcdef/describe" },
	{ "DELETE", "/skatev2/spark/c01-0123456789abcdef0123456789abcdef" },
	{ "GET", "/skatev2/admin/submissions?name=x" },
	{ "GET", "/skatev2/admin/submissions?a=1&name=" },
};

START_TEST(test_bad_name)
{
	struct tu_answer r = call("GET", "/skatev2/admin/submissions?x=1&name=%zz",
	    "alice", NULL);

	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.out, "Malformed query parameter name"));
	free(r.out);
}
END_TEST

START_TEST(test_kube_down)
{
	struct tu_answer r = call(k8s_down[_i].method, k8s_down[_i].uri, "alice",
	    NULL);

	ck_assert_msg(r.status == 502, "%s: %d %s", k8s_down[_i].uri,
	    r.status, r.out);
	ck_assert_str_eq(r.ctype, "application/json");
	ck_assert_ptr_nonnull(strstr(r.out, "io.fabric8.kubernetes.client."
	    "KubernetesClientException: Failure executing: "));
	free(r.out);
}
END_TEST

/*
 * /admin/submissions: for adminUsers and viewerUsers (alice is a viewer
 * here); anyone else gets a 403 before the rate limit.  readAccess all
 * opens it to everyone, as in BPG.
 */
START_TEST(test_admin_list_access)
{
	struct tu_answer r;
	int i;

	for (i = 0; i < 30; i++) {
		r = call("GET", "/skatev2/admin/submissions", "bob", NULL);
		ck_assert_int_eq(r.status, 403);
		ck_assert_str_eq(r.ctype, "application/json");
		ck_assert_str_eq(r.out, "{\"code\":403,\"message\":\"jakarta."
		    "ws.rs.WebApplicationException: only adminUsers and "
		    "viewerUsers may list every user's submissions\"}");
		free(r.out);
	}
	/* bob's 403s used none of the bucket: alice is past the limiter. */
	r = call("GET", "/skatev2/admin/submissions", "alice", NULL);
	ck_assert_msg(r.status == 502, "%d %s", r.status, r.out);
	free(r.out);

	bpg_api_free(api);
	bpg_config_free(cfg);
	setup_with("readAccess: all\n");
	r = call("GET", "/skatev2/admin/submissions", "bob", NULL);
	ck_assert_msg(r.status == 502, "%d %s", r.status, r.out);
	free(r.out);
}
END_TEST

/*
 * A worker keeps a cluster's handle only while it is used: made on first
 * use, closed by the sweep between requests once idle for
 * BPG_API_KUBE_IDLE_MS, made again on the next use.
 */
START_TEST(test_kube_idle_close)
{
	struct bpg_errinfo ei;
	struct bpg_kube *k0, *k1;
	long long t0;

	ck_assert_ptr_null(api->kube[0]);
	ck_assert_ptr_null(api->kube[1]);
	ck_assert_int_eq(api_kube_for(api, &cfg->clusters[0], &k0, &ei),
	    BPG_OK);
	t0 = api->kube_used_ms[0];
	ck_assert_ptr_eq(api->kube[0], k0);
	ck_assert_ptr_null(api->kube[1]);
	api_kube_sweep(api, t0 + BPG_API_KUBE_IDLE_MS - 1);
	ck_assert_ptr_eq(api->kube[0], k0);
	ck_assert_int_eq(api_kube_for(api, &cfg->clusters[1], &k1, &ei),
	    BPG_OK);
	api->kube_used_ms[1] = t0 + BPG_API_KUBE_IDLE_MS;
	api_kube_sweep(api, t0 + BPG_API_KUBE_IDLE_MS);
	ck_assert_ptr_null(api->kube[0]);
	ck_assert_ptr_eq(api->kube[1], k1);
	api_kube_sweep(api, t0 + 2 * BPG_API_KUBE_IDLE_MS);
	ck_assert_ptr_null(api->kube[1]);
	ck_assert_int_eq(api_kube_for(api, &cfg->clusters[0], &k0, &ei),
	    BPG_OK);
	ck_assert_ptr_nonnull(api->kube[0]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("routes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_routes, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_trusted_header);
	tcase_add_test(tc, test_too_large);
	tcase_add_test(tc, test_body_by_length);
	tcase_add_loop_test(tc, test_bad_ids, 0, (int)(N_BAD_IDS *
	    (sizeof(id_endpoints) / sizeof(id_endpoints[0]))));
	tcase_add_test(tc, test_version);
	tcase_add_test(tc, test_openapi);
	tcase_add_test(tc, test_list_rate_limits);
	tcase_add_test(tc, test_submit_rate_limit);
	tcase_add_test(tc, test_bad_name);
	tcase_add_test(tc, test_admin_list_access);
	tcase_add_test(tc, test_kube_idle_close);
	tcase_add_loop_test(tc, test_kube_down, 0,
	    sizeof(k8s_down) / sizeof(k8s_down[0]));
	suite_add_tcase(s, tc);
	return tu_run(s);
}
