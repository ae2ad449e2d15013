/*
 * Tests of lib/bpg_api_livy.c and its routes without a network or a
 * database: the API is off unless livy.enabled; it is served under the
 * prefix and at livy.path (only there: "/batchesX" is not it); every
 * error under /batches, the route table's own (401, 405, 413) too, is
 * Livy's {"msg"} without BPG's class prefix; without a database the
 * batches answer 503; livy.path is checked when the config loads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>

#include "bpg_api.h"
#include "bpg_config.h"
#include "bpg_limits.h"
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
    "allowedUsers: ['*']\n"
    "queues:\n"
    "  - name: poc\n";

static struct bpg_config *cfg;
static struct bpg_api *api;

static void
start(const char *extra)
{
	struct bpg_errinfo ei;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	cfg = tu_config(config_yaml, extra);
	ck_assert_int_eq(bpg_api_new(cfg, &api, &ei), BPG_OK);
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

/* The answer's status; *doc its JSON (the caller's). */
static int
call(const char *method, const char *uri, const char *user, const char *body,
    json_t **doc)
{
	struct tu_request r = { method, uri, user, NULL, body, -1, NULL };
	struct tu_answer m = tu_api_call(api, &r);

	*doc = json_loadb(m.out, m.outlen, 0, NULL);
	free(m.out);
	return m.status;
}

/* status, and a body of {"msg"} only, holding text, no class prefix. */
static void
assert_msg(const char *method, const char *uri, const char *user,
    const char *body, int status, const char *text)
{
	json_t *doc = NULL;
	const char *m;
	int got = call(method, uri, user, body, &doc);

	ck_assert_msg(got == status, "%s %s: %d, want %d", method, uri, got,
	    status);
	ck_assert_msg(json_is_object(doc) && json_object_size(doc) == 1,
	    "%s %s: not {\"msg\"}", method, uri);
	m = json_string_value(json_object_get(doc, "msg"));
	ck_assert_ptr_nonnull(m);
	ck_assert_msg(strstr(m, text) != NULL, "%s %s: \"%s\" lacks \"%s\"",
	    method, uri, m, text);
	ck_assert_msg(strstr(m, "Exception") == NULL, "%s %s: %s", method, uri,
	    m);
	json_decref(doc);
}

/* BPG's envelope: not under /batches. */
static void
assert_bpg(const char *method, const char *uri, int status)
{
	json_t *doc = NULL;

	ck_assert_int_eq(call(method, uri, "alice", NULL, &doc), status);
	ck_assert_ptr_nonnull(json_object_get(doc, "code"));
	json_decref(doc);
}

START_TEST(test_off)
{
	start("");
	assert_msg("GET", "/skatev2/batches", "alice", NULL, 404, "Not Found");
	assert_msg("POST", "/skatev2/batches", "alice", "{\"file\":\"a.jar\"}",
	    404, "Not Found");
	assert_msg("GET", "/skatev2/batches/1/state", "alice", NULL, 404,
	    "Not Found");
	/* No root mount. */
	assert_bpg("GET", "/batches", 404);
}
END_TEST

START_TEST(test_mounts)
{
	static const char *const uris[] = {
		"/skatev2/batches", "/skatev2/batches?from=0&size=2",
		"/batches", "/batches?size=1", "/batches/", "/batches/?x=1",
		"/batches/7", "/batches/7/state", "/batches/7/log?from=0",
		"/skatev2/batches/7/log",
	};
	size_t i;

	start("livy: {enabled: true, path: /batches/}\n");
	ck_assert_str_eq(cfg->livy.path, "/batches");
	/* Without a database every batch answer is a 503 {"msg"}. */
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++)
		assert_msg("GET", uris[i], "alice", NULL, 503, "database");
	assert_msg("POST", "/batches", "alice", "{\"file\":\"a.jar\"}", 503,
	    "database");
	assert_msg("DELETE", "/batches/7", "alice", NULL, 503, "database");
	/* Only that path: the rest of the root is not the gateway's. */
	assert_bpg("GET", "/batchesX", 404);
	assert_bpg("GET", "/batch", 404);
	assert_bpg("GET", "/skatev2/spark/x/y/z", 404);
	assert_msg("GET", "/batches/7/nope", "alice", NULL, 404, "");
}
END_TEST

START_TEST(test_route_errors)
{
	char *big;

	start("livy: {enabled: true, path: /livy/v1/batches}\n");
	/* No user. */
	assert_msg("GET", "/livy/v1/batches/1", NULL, NULL, 401,
	    "Unauthorized");
	assert_msg("GET", "/skatev2/batches", NULL, NULL, 401, "Unauthorized");
	/* Wrong method. */
	assert_msg("PUT", "/livy/v1/batches/1", "alice", NULL, 405,
	    "Method Not Allowed");
	assert_msg("POST", "/skatev2/batches/1/state", "alice", NULL, 405,
	    "Method Not Allowed");
	/* Too large. */
	big = malloc(BPG_MAX_BODY + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, ' ', BPG_MAX_BODY + 1);
	big[BPG_MAX_BODY + 1] = '\0';
	assert_msg("POST", "/livy/v1/batches", "alice", big, 413,
	    "Request body larger than");
	free(big);
	/* The rest of the API keeps BPG's envelope. */
	assert_bpg("PUT", "/skatev2/spark/x", 405);
}
END_TEST

static const struct bad_path {
	const char *yaml;
	const char *msg;
} bad_paths[] = {
	{ "livy: {enabled: true, path: batches}\n", "must start with '/'" },
	{ "livy: {path: /}\n", "must start with '/'" },
	{ "livy: {path: '/a b'}\n", "plain URL path" },
	{ "livy: {path: '/a?b'}\n", "plain URL path" },
	{ "livy: {path: '/a%20'}\n", "plain URL path" },
	{ "livy: {enabled: maybe}\n", "enabled" },
};

START_TEST(test_config_path)
{
	struct bpg_config_error err;
	struct bpg_config *c = NULL;
	char *yaml;

	ck_assert_int_ge(asprintf(&yaml, "%s%s", config_yaml,
	    bad_paths[_i].yaml), 0);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(bpg_config_parse(yaml, strlen(yaml), &c, &err),
	    BPG_ECONFIG);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err.msg, bad_paths[_i].msg) != NULL ||
	    strstr(err.path, bad_paths[_i].msg) != NULL, "row %d: %s: %s", _i,
	    err.path, err.msg);
	free(yaml);
}
END_TEST

static Suite *
api_livy_suite(void)
{
	Suite *s = suite_create("api_livy");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_off);
	tcase_add_test(tc, test_mounts);
	tcase_add_test(tc, test_route_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("config");
	tcase_add_loop_test(tc, test_config_path, 0, TU_NROWS(bad_paths));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(api_livy_suite());
}
