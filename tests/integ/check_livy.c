/*
 * Integration tests of the Livy batches API through the real stack
 * (tests/stack.sh, whose config enables livy with path /batches), in the
 * order Airflow's LivyOperator uses it: POST /batches, GET
 * /batches/{id}/state until terminal, GET /batches/{id}/log, DELETE; a
 * FAILED application reads dead, a running one deleted killed; integer IDs stay unique under concurrent
 * creates on several workers; proxyUser for others only for the Airflow
 * account and admins; bad bodies are 400 {"msg"}.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "integ.h"

#define AIRFLOW "airflow_system_account:airflow-pw"
#define CAROL "carol:carol-pw"
/* Concurrent creates: more than the stack's 4 workers. */
#define NCONC 8

static const char sparkpi[] = "\"file\":\"local:///opt/spark/examples/jars/"
    "spark-examples_2.12-3.5.0.jar\",\"className\":"
    "\"org.apache.spark.examples.SparkPi\",\"args\":[\"10\"],"
    "\"driverMemory\":\"1g\",\"executorMemory\":\"1G\",\"numExecutors\":1,"
    "\"queue\":\"poc\"";

/* Under the prefix ($BPG_URL) or at the root mount (/batches). */
static char *
url(bool root, const char *path)
{
	char *u;

	if (root)
		ck_assert_int_ge(asprintf(&u, "https://127.0.0.1:%s%s",
		    integ_env("BPG_HTTPS_PORT"), path), 0);
	else
		ck_assert_int_ge(asprintf(&u, "%s%s", integ_env("BPG_URL"),
		    path), 0);
	return u;
}

static struct integ_http
call(const char *method, bool root, const char *path, const char *userpw,
    const char *body)
{
	struct integ_req r;
	struct integ_http h;
	char *u = url(root, path);

	memset(&r, 0, sizeof(r));
	r.method = method;
	r.url = u;
	r.userpw = userpw;
	r.ctype = body != NULL ? INTEG_JSON : NULL;
	r.body = body;
	r.len = body != NULL ? (long long)strlen(body) : 0;
	h = integ_request(&r);
	free(u);
	return h;
}

/* A Livy error: status, {"msg": text...} and nothing else. */
static void
assert_msg(const struct integ_http *h, long status, const char *text)
{
	const char *m;

	ck_assert_msg(h->status == status, "want %ld, got %ld %s", status,
	    h->status, h->body);
	ck_assert_msg(json_is_object(h->json) && json_object_size(h->json) ==
	    1, "not {\"msg\"}: %s", h->body);
	ck_assert_ptr_nonnull(m = integ_jstr(h->json, "msg"));
	ck_assert_msg(strstr(m, text) != NULL, "\"%s\" not in \"%s\"", text,
	    m);
	ck_assert_msg(strstr(m, "jakarta.") == NULL, "class prefix: %s", m);
}

/* POST /batches as userpw with the body's fields; the 201's Batch. */
static json_t *
create(const char *userpw, const char *fields, const char *query)
{
	char *body, path[128];
	struct integ_http h;
	json_t *b;

	ck_assert_int_ge(asprintf(&body, "{%s}", fields), 0);
	snprintf(path, sizeof(path), "/batches%s", query ? query : "");
	h = call("POST", false, path, userpw, body);
	ck_assert_msg(h.status == 201, "%ld %s", h.status, h.body);
	ck_assert(json_is_integer(json_object_get(h.json, "id")));
	ck_assert_int_gt(integ_jint(h.json, "id"), 0);
	ck_assert_str_eq(integ_jstr(h.json, "state"), "starting");
	ck_assert_msg(strncmp(integ_jstr(h.json, "appInfo.submissionId"),
	    "spark-cluster-", 14) == 0, "%s", h.body);
	ck_assert(json_is_array(json_object_get(h.json, "log")));
	/* Every field of Livy's Batch, null until known. */
	ck_assert(json_is_null(json_object_get(h.json, "appId")));
	ck_assert(json_is_null(json_object_get(json_object_get(h.json,
	    "appInfo"), "sparkUiUrl")));
	ck_assert_ptr_nonnull(json_object_get(h.json, "name"));
	b = json_incref(h.json);
	integ_http_free(&h);
	free(body);
	return b;
}

/* Poll GET /batches/{id}/state (as Airflow's sensor does) until a
 * terminal Livy state; the state. */
static char *
wait_terminal(json_int_t id, const char *userpw, bool root)
{
	static const char *const ends[] = { "success", "dead", "killed",
	    "error" };
	struct integ_http h;
	char path[96], *state = NULL;
	int i, k;

	snprintf(path, sizeof(path), "/batches/%lld/state", (long long)id);
	for (i = 0; i < 1200 && state == NULL; i++) {
		h = call("GET", root, path, userpw, NULL);
		ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
		ck_assert_int_eq(integ_jint(h.json, "id"), id);
		for (k = 0; k < 4; k++)
			if (strcmp(integ_jstr(h.json, "state"), ends[k]) == 0)
				state = strdup(ends[k]);
		integ_http_free(&h);
		if (state == NULL)
			usleep(100000);
	}
	ck_assert_msg(state != NULL, "batch %lld never ended", (long long)id);
	return state;
}

/* The simulated operator ends the batch's application with outcome. */
static void
outcome(const json_t *batch, const char *what)
{
	const char *sid = integ_jstr(batch, "appInfo.submissionId");
	char ctl[256];

	snprintf(ctl, sizeof(ctl), "{\"apps\":{\"%s\":\"%s\"}}", sid, what);
	json_decref(integ_control(sid, "POST", "/operator", ctl));
}

START_TEST(test_airflow_order)
{
	struct integ_http h;
	json_t *b;
	json_int_t id;
	char path[96], *fields, *state;
	int i;

	/* The Airflow account submits for alice (its proxyUser). */
	ck_assert_int_ge(asprintf(&fields, "%s,\"name\":\"livy-it\","
	    "\"proxyUser\":\"alice\"", sparkpi), 0);
	b = create(AIRFLOW, fields, NULL);
	id = integ_jint(b, "id");
	ck_assert_str_eq(integ_jstr(b, "proxyUser"), "alice");
	outcome(b, "COMPLETED");
	state = wait_terminal(id, AIRFLOW, false);
	ck_assert_str_eq(state, "success");
	free(state);

	/*
	 * The Batch object, at the root mount too; alice may read it.  Its
	 * state is the status answer's, which each worker caches for
	 * statusCacheExpireMillis: another worker may still give a state
	 * from before for that long (running, or shutting_down while the
	 * operator said SUCCEEDING), never a terminal one but success.
	 */
	snprintf(path, sizeof(path), "/batches/%lld", (long long)id);
	for (i = 0;; i++) {
		h = call("GET", true, path, INTEG_ALICE, NULL);
		ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
		if (strcmp(integ_jstr(h.json, "state"), "success") == 0)
			break;
		ck_assert_msg(strcmp(integ_jstr(h.json, "state"), "running") ==
		    0 || strcmp(integ_jstr(h.json, "state"), "shutting_down") ==
		    0, "a completed batch reads %s", integ_jstr(h.json,
		    "state"));
		ck_assert_msg(i < 600, "never success: %s", h.body);
		integ_http_free(&h);
		usleep(100000);
	}
	ck_assert_int_eq(integ_jint(h.json, "id"), id);
	ck_assert_str_eq(integ_jstr(h.json, "owner"), "alice");
	ck_assert_str_eq(integ_jstr(h.json, "appInfo.submissionId"),
	    integ_jstr(b, "appInfo.submissionId"));
	ck_assert_ptr_nonnull(integ_jstr(h.json, "appInfo.driverLogUrl"));
	integ_http_free(&h);
	/* bob may not: the answer of a batch that does not exist, for
	 * the batch, its state, its log and a DELETE alike. */
	{
		static const char *const tails[] = { "", "/state",
		    "/log?from=0&size=5" };
		char p2[128], text[64];
		size_t k;

		snprintf(text, sizeof(text), "Session '%lld' not found.",
		    (long long)id);
		for (k = 0; k < 3; k++) {
			snprintf(p2, sizeof(p2), "%s%s", path, tails[k]);
			h = call("GET", false, p2, "bob:bob-pw", NULL);
			assert_msg(&h, 404, text);
			integ_http_free(&h);
		}
		h = call("DELETE", false, path, "bob:bob-pw", NULL);
		assert_msg(&h, 404, text);
		integ_http_free(&h);
	}

	/* The log, as LivyHook.get_batch_logs pages it. */
	snprintf(path, sizeof(path), "/batches/%lld/log?from=0&size=100",
	    (long long)id);
	h = call("GET", false, path, AIRFLOW, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_int_eq(integ_jint(h.json, "id"), id);
	ck_assert_int_eq(integ_jint(h.json, "from"), 0);
	ck_assert_int_ge(integ_jint(h.json, "total"), 1);
	ck_assert(json_is_array(json_object_get(h.json, "log")));
	ck_assert_int_ge((long)json_array_size(json_object_get(h.json, "log")),
	    1);
	integ_http_free(&h);

	/* DELETE, as the operator's on_kill does. */
	snprintf(path, sizeof(path), "/batches/%lld", (long long)id);
	h = call("DELETE", false, path, AIRFLOW, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(integ_jstr(h.json, "msg"), "deleted");
	integ_http_free(&h);

	/* alice's list has it: the last page, newest last. */
	h = call("GET", false, "/batches?size=0", INTEG_ALICE, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_int_ge(integ_jint(h.json, "total"), 1);
	snprintf(path, sizeof(path), "/batches?from=%lld&size=10",
	    (long long)integ_jint(h.json, "total") - 10 > 0 ?
	    (long long)integ_jint(h.json, "total") - 10 : 0);
	integ_http_free(&h);
	h = call("GET", false, path, INTEG_ALICE, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	{
		json_t *s, *v;
		size_t j;
		bool seen = false;

		s = json_object_get(h.json, "sessions");
		json_array_foreach(s, j, v) {
			seen = seen || integ_jint(v, "id") == id;
			ck_assert_str_eq(integ_jstr(v, "owner"), "alice");
		}
		ck_assert_msg(seen, "batch %lld not listed: %s", (long long)id,
		    h.body);
	}
	integ_http_free(&h);
	json_decref(b);
	free(fields);
}
END_TEST

START_TEST(test_failed_is_dead)
{
	json_t *b = create(INTEG_ALICE, sparkpi, NULL);
	char *state;

	outcome(b, "FAILED");
	state = wait_terminal(integ_jint(b, "id"), INTEG_ALICE, true);
	ck_assert_str_eq(state, "dead");
	free(state);
	json_decref(b);
}
END_TEST

/* DELETE of a batch still running (LivyOperator's on_kill): killed. */
START_TEST(test_killed)
{
	json_t *b = create(INTEG_ALICE, sparkpi, NULL);
	json_int_t id = integ_jint(b, "id");
	struct integ_http h;
	char path[96], *state;

	outcome(b, "RUNNING");
	json_decref(integ_wait_state(integ_jstr(b, "appInfo.submissionId"),
	    "RUNNING", 60));
	snprintf(path, sizeof(path), "/batches/%lld", (long long)id);
	h = call("DELETE", true, path, INTEG_ALICE, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	state = wait_terminal(id, INTEG_ALICE, false);
	ck_assert_str_eq(state, "killed");
	free(state);
	h = call("GET", false, path, INTEG_ALICE, NULL);
	ck_assert_str_eq(integ_jstr(h.json, "state"), "killed");
	integ_http_free(&h);
	json_decref(b);
}
END_TEST

/* POST /batches is POST /spark's pipeline: an Idempotency-Key sent again
 * answers the same batch, and one application is made. */
START_TEST(test_idempotent)
{
	char key[96], line[160], *body, *u = url(false, "/batches");
	const char *hdrs[] = { line, NULL };
	struct integ_http h1, h2;
	struct integ_req r;
	size_t before = integ_cr_count("a") + integ_cr_count("b");

	snprintf(key, sizeof(key), "livy-%ld-%ld", (long)getpid(),
	    (long)time(NULL));
	snprintf(line, sizeof(line), "Idempotency-Key: %s", key);
	ck_assert_int_ge(asprintf(&body, "{%s}", sparkpi), 0);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = u;
	r.userpw = INTEG_ALICE;
	r.ctype = INTEG_JSON;
	r.body = body;
	r.len = (long long)strlen(body);
	r.headers = hdrs;
	h1 = integ_request(&r);
	h2 = integ_request(&r);
	ck_assert_msg(h1.status == 201, "%ld %s", h1.status, h1.body);
	ck_assert_msg(h2.status == 201, "%ld %s", h2.status, h2.body);
	ck_assert_int_eq(integ_jint(h2.json, "id"), integ_jint(h1.json, "id"));
	ck_assert_str_eq(integ_jstr(h2.json, "appInfo.submissionId"),
	    integ_jstr(h1.json, "appInfo.submissionId"));
	ck_assert_uint_eq(integ_cr_count("a") + integ_cr_count("b"),
	    before + 1);
	integ_http_free(&h1);
	integ_http_free(&h2);
	free(body);
	free(u);
}
END_TEST

START_TEST(test_concurrent_ids)
{
	struct integ_http h[NCONC];
	struct integ_req r;
	json_int_t ids[NCONC];
	char *body, *u = url(false, "/batches");
	int i, k;

	ck_assert_int_ge(asprintf(&body, "{%s}", sparkpi), 0);
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = u;
	r.userpw = INTEG_ALICE;
	r.ctype = INTEG_JSON;
	r.body = body;
	r.len = (long long)strlen(body);
	integ_parallel(&r, NCONC, h);
	for (i = 0; i < NCONC; i++) {
		ck_assert_msg(h[i].status == 201, "%ld %s", h[i].status,
		    h[i].body);
		ids[i] = integ_jint(h[i].json, "id");
		for (k = 0; k < i; k++)
			ck_assert_msg(ids[k] != ids[i], "batch ID %lld twice",
			    (long long)ids[i]);
	}
	for (i = 0; i < NCONC; i++)
		integ_http_free(&h[i]);
	free(body);
	free(u);
}
END_TEST

START_TEST(test_proxy_user)
{
	struct integ_http h;
	char *body;
	json_t *b;

	ck_assert_int_ge(asprintf(&body, "{%s,\"proxyUser\":\"bob\"}",
	    sparkpi), 0);
	h = call("POST", false, "/batches", INTEG_ALICE, body);
	assert_msg(&h, 403, "not allowed to impersonate");
	integ_http_free(&h);
	h = call("POST", true, "/batches?doAs=bob", INTEG_ALICE, body);
	assert_msg(&h, 403, "impersonate");
	integ_http_free(&h);
	h = call("GET", false, "/batches?doAs=bob", INTEG_ALICE, NULL);
	assert_msg(&h, 403, "impersonate");
	integ_http_free(&h);
	/* Not a user name: refused whoever asks. */
	{
		char *ctl;

		ck_assert_int_ge(asprintf(&ctl, "{%s,\"proxyUser\":"
		    "\"bo\\u0001b\"}", sparkpi), 0);
		h = call("POST", false, "/batches", AIRFLOW, ctl);
		assert_msg(&h, 400, "Invalid proxyUser");
		integ_http_free(&h);
		free(ctl);
	}
	/* Naming oneself is no impersonation; an admin may name anyone. */
	b = create(INTEG_ALICE, sparkpi, "?doAs=alice");
	ck_assert_str_eq(integ_jstr(b, "owner"), "alice");
	json_decref(b);
	b = create(CAROL, sparkpi, "?doAs=bob");
	ck_assert_str_eq(integ_jstr(b, "owner"), "bob");
	json_decref(b);
	free(body);
}
END_TEST

static const struct bad {
	const char *body;
	const char *text;
} bads[] = {
	{ "{\"className\":\"X\"}", "\"file\" is required" },
	{ "{\"file\":\"a.jar\",\"numExecutors\":\"2\"}", "\"numExecutors\"" },
	{ "{\"file\":\"a.jar\",\"args\":\"x\"}", "\"args\"" },
	{ "{\"file\":\"a.jar\",\"conf\":[]}", "\"conf\"" },
	{ "{\"file\":\"a.jar\",\"driverMemory\":\"lots\"}", "driverMemory" },
	{ "{\"file\":\"a.jar\",\"sparkVersion\":\"3.5.0\"}", "unknown field" },
	{ "not json", "not JSON" },
};

START_TEST(test_bad_bodies)
{
	struct integ_http h;
	long before = integ_db_count(NULL);

	h = call("POST", _i % 2 == 0, "/batches", INTEG_ALICE,
	    bads[_i].body);
	assert_msg(&h, 400, bads[_i].text);
	integ_http_free(&h);
	ck_assert_int_eq(integ_db_count(NULL), before);
}
END_TEST

START_TEST(test_bad_ids)
{
	struct integ_http h;

	h = call("GET", false, "/batches/abc", INTEG_ALICE, NULL);
	assert_msg(&h, 400, "batch id");
	integ_http_free(&h);
	h = call("GET", true, "/batches/999999999999/state", INTEG_ALICE,
	    NULL);
	assert_msg(&h, 404, "not found");
	integ_http_free(&h);
	h = call("GET", false, "/batches?from=-1", INTEG_ALICE, NULL);
	assert_msg(&h, 400, "Invalid from");
	integ_http_free(&h);
	h = call("GET", true, "/batches?size=x", INTEG_ALICE, NULL);
	assert_msg(&h, 400, "Invalid size");
	integ_http_free(&h);
	/* The route table's own errors take Livy's shape too. */
	h = call("PUT", false, "/batches/1", INTEG_ALICE, NULL);
	ck_assert_int_eq(h.status, 405);
	ck_assert_ptr_nonnull(integ_jstr(h.json, "msg"));
	integ_http_free(&h);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("livy");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_airflow_order);
	tcase_add_test(tc, test_failed_is_dead);
	tcase_add_test(tc, test_killed);
	tcase_add_test(tc, test_idempotent);
	tcase_add_test(tc, test_concurrent_ids);
	tcase_add_test(tc, test_proxy_user);
	tcase_add_loop_test(tc, test_bad_bodies, 0, (int)(sizeof(bads) / sizeof(bads[0])));
	tcase_add_test(tc, test_bad_ids);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
