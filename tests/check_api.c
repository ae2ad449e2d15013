/*
 * Tests of lib/bpg_api.c without a network: routing, authentication, the
 * error envelope, and answers when the Kubernetes API cannot be reached
 * (the cluster points at a closed loopback port).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <curl/curl.h>

#include "bpg_api.h"
#include "bpg_config.h"
#include "bpg_limits.h"

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
    "queues:\n"
    "  - name: poc\n"
    "  - name: dev\n";

static struct bpg_config *cfg;
static struct bpg_api *api;

static void
setup_with(const char *extra)
{
	struct bpg_config_error cerr;
	struct bpg_errinfo ei;
	char *yaml;

	ck_assert_int_ne(asprintf(&yaml, "%s%s", config_yaml, extra), -1);
	ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &cfg, &cerr) ==
	    BPG_OK, "config: line %d %s %s", cerr.line, cerr.path, cerr.msg);
	free(yaml);
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

/* An in-memory request and answer, behind struct bpg_http_io. */
struct memio {
	const char *in;
	size_t inlen, inpos;
	int heads;
	int status;
	char ctype[64];
	char headers[256];
	long long clen;
	char *out;
	size_t outlen;
};

static long
mem_read(void *ctx, char *buf, size_t n)
{
	struct memio *m = ctx;

	if (n > m->inlen - m->inpos)
		n = m->inlen - m->inpos;
	memcpy(buf, m->in + m->inpos, n);
	m->inpos += n;
	return (long)n;
}

static int
mem_head(void *ctx, int status, const char *ctype, const char *headers,
    long long len)
{
	struct memio *m = ctx;

	m->heads++;
	m->status = status;
	snprintf(m->ctype, sizeof(m->ctype), "%s", ctype ? ctype : "");
	snprintf(m->headers, sizeof(m->headers), "%s", headers ? headers : "");
	m->clen = len;
	return 0;
}

static int
mem_write(void *ctx, const char *buf, size_t n)
{
	struct memio *m = ctx;
	char *nb = realloc(m->out, m->outlen + n + 1);

	ck_assert_ptr_nonnull(nb);
	m->out = nb;
	memcpy(m->out + m->outlen, buf, n);
	m->outlen += n;
	m->out[m->outlen] = '\0';
	return 0;
}

static struct memio
call_full(const char *method, const char *uri, const char *user,
    const char *header_user, const char *body, long long clen)
{
	struct bpg_http_req req;
	struct bpg_http_io io = { mem_read, mem_head, mem_write, NULL };
	struct memio m;

	memset(&m, 0, sizeof(m));
	m.in = body ? body : "";
	m.inlen = strlen(m.in);
	io.ctx = &m;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.uri = uri;
	req.remote_user = user;
	req.user_header = header_user;
	req.content_type = "application/json";
	req.content_length = clen;
	req.io = &io;
	bpg_api_handle(api, &req);
	ck_assert_int_eq(m.heads, 1);
	if (m.out == NULL)
		m.out = strdup("");
	return m;
}

static struct memio
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
	{ "kubernetes unreachable", "POST", "/skatev2/spark", "alice",
	  "{\"sparkVersion\":\"3.5.0\",\"mainClass\":\"x.Y\","
	  "\"mainApplicationFile\":\"local:///x.jar\"}", 502,
	  "io.fabric8.kubernetes.client.KubernetesClientException: Failure "
	  "executing: POST at: https://127.0.0.1:1/apis/sparkoperator.k8s.io/"
	  "v1beta2/namespaces/spark-applications/sparkapplications", "" },
	{ "status, kubernetes unreachable", "GET",
	  "/skatev2/spark/c01-0123456789abcdef0123456789abcdef/status",
	  "alice", NULL, 502, "Failed to get status: ", "" },
};

START_TEST(test_routes)
{
	const struct route_case *c = &cases[_i];
	struct memio r = call(c->method, c->uri, c->user, c->body);

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
	struct memio r;

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
	struct memio r;
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

int
main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("routes");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_routes, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_trusted_header);
	tcase_add_test(tc, test_too_large);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
