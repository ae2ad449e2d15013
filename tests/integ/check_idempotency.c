/*
 * Integration tests: idempotent submission (Idempotency-Key) on the real
 * stack, several gateway workers behind the web server.
 *   - The same key sent 20 times at once: one SparkApplication, one
 *     submission row, one key row, and 20 identical answers.
 *   - The same key with another body: 422 naming the key, nothing made.
 *   - alice and bob with the same key: two jobs.
 *   - Once the key's row has expired, the key makes a new job; the
 *     leading monitor deletes expired rows.
 *   - A worker killed while the winner's create is in flight: the key
 *     sent again yields that one job (as the monitor records it), never
 *     a second.
 *   - Bad keys (empty, 129 characters, control characters, header and
 *     field differing): 400 naming the problem, nothing written.
 *   - No key: unchanged, and no key row.
 *   - A refusal (429) releases the key; a 504 keeps it until the
 *     submission is settled, and never creates a second job meanwhile.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "bpg_db.h"
#include "integ.h"

#define BOB "bob:bob-pw"
#define NCONC 20

/* A key no other test or run uses. */
static void
new_key(char *buf, size_t len, const char *tag)
{
	static unsigned seq;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, len, "%s-%ld-%ld-%u", tag, (long)getpid(),
	    (long)ts.tv_nsec, seq++);
}

static struct integ_req
post(const char *userpw, const char *const *headers, const char *body)
{
	struct integ_req r;

	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.url = "/spark";
	r.userpw = userpw;
	r.ctype = INTEG_JSON;
	r.body = body;
	r.headers = headers;
	return r;
}

static struct integ_http
submit_key(const char *userpw, const char *key, const char *body)
{
	char line[300];
	const char *hdrs[] = { line, NULL };
	struct integ_req r;

	snprintf(line, sizeof(line), "Idempotency-Key: %s", key);
	r = post(userpw, hdrs, body);
	return integ_request(&r);
}

/* The SparkPi request with applicationName set to name. */
static char *
body_named(const char *name)
{
	json_t *req;
	char *text, *s;
	size_t len;

	text = integ_sparkpi(&len);
	ck_assert_ptr_nonnull(req = json_loadb(text, len, 0, NULL));
	free(text);
	json_object_set_new(req, "applicationName", json_string(name));
	s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* The rows of the key table, all or of one key. */
static long
key_rows(const char *key)
{
	if (key == NULL)
		return integ_db_long("SELECT COUNT(*) FROM "
		    "bpg.bpg_idempotency_key");
	return integ_db_long("SELECT COUNT(*) FROM bpg.bpg_idempotency_key "
	    "WHERE idem_key = '%s'", key);
}

/* What a rejected or replayed request must leave as it is. */
struct world {
	long rows, keys;
	size_t crs;
};

static struct world
world_now(void)
{
	struct world w;

	w.rows = integ_db_count(NULL);
	w.keys = key_rows(NULL);
	w.crs = integ_cr_count("a") + integ_cr_count("b");
	return w;
}

static void
world_grew(const struct world *before, long n)
{
	struct world w = world_now();

	ck_assert_int_eq(w.rows, before->rows + n);
	ck_assert_int_eq((long)w.crs, (long)before->crs + n);
}

static const char *
id_of(const struct integ_http *h)
{
	const char *id;

	ck_assert_msg(h->status == 200, "%ld %s", h->status, h->body);
	ck_assert_ptr_nonnull(id = integ_jstr(h->json, "submissionId"));
	return id;
}

START_TEST(test_concurrent)
{
	char key[96], line[160];
	const char *hdrs[] = { line, NULL };
	struct integ_http h[NCONC];
	struct integ_req r;
	struct world before = world_now();
	char *body = body_named("idem-concurrent");
	int i;

	new_key(key, sizeof(key), "conc");
	snprintf(line, sizeof(line), "Idempotency-Key: %s", key);
	r = post(INTEG_ALICE, hdrs, body);
	integ_parallel(&r, NCONC, h);
	for (i = 0; i < NCONC; i++) {
		id_of(&h[i]);
		ck_assert_str_eq(h[i].ctype, h[0].ctype);
		ck_assert_uint_eq(h[i].len, h[0].len);
		ck_assert_msg(memcmp(h[i].body, h[0].body, h[0].len) == 0,
		    "answer %d: %s, answer 0: %s", i, h[i].body, h[0].body);
	}
	/* One job, one submission row, one key row. */
	world_grew(&before, 1);
	ck_assert_int_eq(key_rows(key), 1);
	ck_assert_int_eq(integ_db_count(NULL), before.rows + 1);
	{
		char where[256];

		snprintf(where, sizeof(where), "submission_id = '%s'",
		    id_of(&h[0]));
		ck_assert_int_eq(integ_db_count(where), 1);
	}
	for (i = 0; i < NCONC; i++)
		integ_http_free(&h[i]);
	free(body);
}
END_TEST

START_TEST(test_other_body)
{
	char key[96], *b1 = body_named("idem-first"),
	    *b2 = body_named("idem-second");
	struct integ_http h1, h2, h3;
	struct world before;

	new_key(key, sizeof(key), "body");
	h1 = submit_key(INTEG_ALICE, key, b1);
	id_of(&h1);
	before = world_now();
	h2 = submit_key(INTEG_ALICE, key, b2);
	integ_assert_error(&h2, 422, key);
	ck_assert_msg(strstr(h2.body, "already used for another request") !=
	    NULL, "%s", h2.body);
	world_grew(&before, 0);
	/* The first request still gets its answer. */
	h3 = submit_key(INTEG_ALICE, key, b1);
	ck_assert_str_eq(h3.body, h1.body);
	world_grew(&before, 0);
	integ_http_free(&h1);
	integ_http_free(&h2);
	integ_http_free(&h3);
	free(b1);
	free(b2);
}
END_TEST

START_TEST(test_two_users)
{
	char key[96], *body = body_named("idem-users");
	struct integ_http a, b, a2, b2;
	struct world before = world_now();

	new_key(key, sizeof(key), "users");
	a = submit_key(INTEG_ALICE, key, body);
	b = submit_key(BOB, key, body);
	ck_assert_str_ne(id_of(&a), id_of(&b));
	world_grew(&before, 2);
	ck_assert_int_eq(key_rows(key), 2);
	a2 = submit_key(INTEG_ALICE, key, body);
	b2 = submit_key(BOB, key, body);
	ck_assert_str_eq(a2.body, a.body);
	ck_assert_str_eq(b2.body, b.body);
	world_grew(&before, 2);
	integ_http_free(&a);
	integ_http_free(&b);
	integ_http_free(&a2);
	integ_http_free(&b2);
	free(body);
}
END_TEST

START_TEST(test_expiry)
{
	char key[96], *body = body_named("idem-expiry");
	struct integ_http h1, h2, h3;
	struct world before = world_now();

	new_key(key, sizeof(key), "exp");
	h1 = submit_key(INTEG_ALICE, key, body);
	id_of(&h1);
	h2 = submit_key(INTEG_ALICE, key, body);
	ck_assert_str_eq(h2.body, h1.body);
	world_grew(&before, 1);
	/* Past its expiry the row is absent, swept or not. */
	integ_db_exec("UPDATE bpg.bpg_idempotency_key SET "
	    "expires_time = NOW() - INTERVAL 1 SECOND WHERE idem_key = '%s'",
	    key);
	h3 = submit_key(INTEG_ALICE, key, body);
	ck_assert_str_ne(id_of(&h3), id_of(&h1));
	world_grew(&before, 2);
	ck_assert_int_eq(key_rows(key), 1);
	integ_http_free(&h1);
	integ_http_free(&h2);
	integ_http_free(&h3);
	free(body);
}
END_TEST

/* The key in the body's idempotencyKey field works as the header does. */
START_TEST(test_field)
{
	char key[96], *body, *with;
	json_t *req;
	struct integ_http h1, h2, h3;
	struct integ_req r;
	struct world before = world_now();

	new_key(key, sizeof(key), "field");
	body = body_named("idem-field");
	ck_assert_ptr_nonnull(req = json_loads(body, 0, NULL));
	json_object_set_new(req, "idempotencyKey", json_string(key));
	with = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	r = post(INTEG_ALICE, NULL, with);
	h1 = integ_request(&r);
	id_of(&h1);
	h2 = integ_request(&r);
	ck_assert_str_eq(h2.body, h1.body);
	/* Header and field agreeing: the same request. */
	h3 = submit_key(INTEG_ALICE, key, with);
	ck_assert_str_eq(h3.body, h1.body);
	world_grew(&before, 1);
	integ_http_free(&h1);
	integ_http_free(&h2);
	integ_http_free(&h3);
	free(with);
	free(body);
}
END_TEST

/* Bad keys: a 400 naming the problem, before anything is written. */
static const struct {
	const char *header;	/* a whole header line, or NULL */
	const char *field;	/* JSON text of idempotencyKey, or NULL */
	const char *why;
} bad[] = {
	{ "Idempotency-Key;", NULL, "Idempotency-Key header: it is empty" },
	{ NULL, "\"\"", "idempotencyKey field: it is empty" },
	{ "Idempotency-Key: "
	  "12345678901234567890123456789012345678901234567890"
	  "12345678901234567890123456789012345678901234567890"
	  "123456789012345678901234567890", NULL,
	  "130 characters long, longer than 128" },
	{ "Idempotency-Key: "
	  "12345678901234567890123456789012345678901234567890"
	  "12345678901234567890123456789012345678901234567890"
	  "12345678901234567890123456789", NULL,
	  "129 characters long, longer than 128" },
	{ "Idempotency-Key: tab\there", NULL,
	  "a control character at position 4" },
	/* The request binder refuses it first, with the same effect. */
	{ NULL, "\"ctl\\u0001x\"", "cannot bind idempotencyKey: string "
	  "contains the control character U+0001" },
	{ NULL, "\"new\\nline\"", "a control character at position 4" },
	{ "Idempotency-Key: one", "\"two\"", "differ" },
};

START_TEST(test_bad_key)
{
	const char *hdrs[] = { bad[_i].header, NULL };
	struct world before = world_now();
	struct integ_http h;
	struct integ_req r;
	char *body = body_named("idem-bad"), *with = NULL;
	size_t n;

	if (bad[_i].field != NULL) {
		n = strlen(body);
		ck_assert_int_ge(asprintf(&with, "%.*s,\"idempotencyKey\":%s}",
		    (int)(n - 1), body, bad[_i].field), 0);
	}
	r = post(INTEG_ALICE, bad[_i].header != NULL ? hdrs : NULL,
	    with != NULL ? with : body);
	h = integ_request(&r);
	if (_i == 0 && strcmp(integ_env("BPG_WEB"), "lighttpd") == 0) {
		/*
		 * lighttpd passes no empty header to FastCGI (its
		 * http_cgi_headers() skips blank values): the gateway sees
		 * a request without a key, which is what it then is.
		 */
		id_of(&h);
		world_grew(&before, 1);
		ck_assert_int_eq(key_rows(NULL), before.keys);
		integ_http_free(&h);
		free(body);
		return;
	}
	integ_assert_error(&h, 400, bad[_i].why);
	world_grew(&before, 0);
	ck_assert_int_eq(key_rows(NULL), before.keys);
	/* A dry run checks the key just the same. */
	r.url = "/spark?dryRun=true";
	integ_http_free(&h);
	h = integ_request(&r);
	integ_assert_error(&h, 400, bad[_i].why);
	integ_http_free(&h);
	free(with);
	free(body);
}
END_TEST

START_TEST(test_no_key)
{
	char *body = body_named("idem-none");
	struct world before = world_now();
	struct integ_http h1, h2;
	struct integ_req r = post(INTEG_ALICE, NULL, body);

	h1 = integ_request(&r);
	h2 = integ_request(&r);
	/* Two submissions, as ever, and no key row. */
	ck_assert_str_ne(id_of(&h1), id_of(&h2));
	world_grew(&before, 2);
	ck_assert_int_eq(key_rows(NULL), before.keys);
	integ_http_free(&h1);
	integ_http_free(&h2);
	free(body);
}
END_TEST

/* A dry run with a valid key stores nothing. */
START_TEST(test_dry_run_key)
{
	char key[96], *body = body_named("idem-dry");
	struct world before = world_now();
	char line[160];
	const char *hdrs[] = { line, NULL };
	struct integ_http h;
	struct integ_req r;

	new_key(key, sizeof(key), "dry");
	snprintf(line, sizeof(line), "Idempotency-Key: %s", key);
	r = post(INTEG_ALICE, hdrs, body);
	r.url = "/spark?dryRun=true";
	h = integ_request(&r);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	world_grew(&before, 0);
	ck_assert_int_eq(key_rows(key), 0);
	integ_http_free(&h);
	free(body);
}
END_TEST

/* ---- a worker killed while its create is in flight ------------------ */

/* The submission ID the key's row holds, or "" (into id). */
static void
key_submission(const char *key, char *id, size_t len)
{
	MYSQL *m = integ_db_open();
	MYSQL_RES *res;
	MYSQL_ROW r;
	char q[512];

	snprintf(q, sizeof(q), "SELECT submission_id FROM "
	    "bpg.bpg_idempotency_key WHERE idem_key = '%s'", key);
	ck_assert_msg(mysql_query(m, q) == 0, "%s", mysql_error(m));
	ck_assert_ptr_nonnull(res = mysql_store_result(m));
	id[0] = '\0';
	if ((r = mysql_fetch_row(res)) != NULL && r[0] != NULL)
		snprintf(id, len, "%s", r[0]);
	mysql_free_result(res);
	mysql_close(m);
}

/* f (JSON) on both simulated clusters; NULL removes every fault. */
static void
faults(const char *f)
{
	json_decref(integ_control("a", f ? "POST" : "DELETE", "/faults", f));
	json_decref(integ_control("b", f ? "POST" : "DELETE", "/faults", f));
}

/*
 * A refusal after which nothing exists releases the key: both clusters'
 * API servers answer the create 429, so the submission fails over and
 * ends 502 with nothing created; the retry runs afresh and makes the job.
 */
START_TEST(test_released_after_refusal)
{
	char key[96], *body = body_named("idem-refused");
	struct world before = world_now();
	struct integ_http h1, h2, h3;

	new_key(key, sizeof(key), "refused");
	faults("{\"type\":\"throttle\",\"method\":\"POST\"}");
	h1 = submit_key(INTEG_ALICE, key, body);
	faults(NULL);
	ck_assert_msg(h1.status == 502, "%ld %s", h1.status, h1.body);
	ck_assert_int_eq(key_rows(key), 0);
	ck_assert_int_eq((long)(integ_cr_count("a") + integ_cr_count("b")),
	    (long)before.crs);
	h2 = submit_key(INTEG_ALICE, key, body);
	h3 = submit_key(INTEG_ALICE, key, body);
	ck_assert_str_eq(h3.body, h2.body);
	ck_assert_int_eq((long)(integ_cr_count("a") + integ_cr_count("b")),
	    (long)before.crs + 1);
	integ_http_free(&h1);
	integ_http_free(&h2);
	integ_http_free(&h3);
	free(body);
}
END_TEST

/*
 * A 504 (outcome unknown) keeps the key: until the monitor settles the
 * submission a retry is told it is in progress and nothing is created.
 * Once settled LOST, it is the answer if a SparkApplication was ever seen
 * (it may have run); if none ever appeared (never_seen), the key runs
 * afresh.
 */
static void
unknown_outcome(const char *tag, bool never_seen)
{
	char key[96], id[256], *body = body_named("idem-unknown");
	struct integ_http h1, h2, h3;
	size_t crs;

	new_key(key, sizeof(key), tag);
	faults("{\"type\":\"error\",\"code\":500,\"method\":\"POST\","
	    "\"count\":-1}");
	h1 = submit_key(INTEG_ALICE, key, body);
	faults(NULL);
	ck_assert_msg(h1.status == 504, "%ld %s", h1.status, h1.body);
	key_submission(key, id, sizeof(id));
	ck_assert_msg(id[0] != '\0', "no submission ID kept");
	crs = integ_cr_count("a") + integ_cr_count("b");
	/* No monitor has settled it: in progress, nothing created. */
	h2 = submit_key(INTEG_ALICE, key, body);
	integ_assert_error(&h2, 409, "still in progress");
	ck_assert_int_eq((long)(integ_cr_count("a") + integ_cr_count("b")),
	    (long)crs);
	/* What the monitor records of a row whose CR is gone; with the mark
	 * of one that never appeared after BPG_MONITOR_ORPHAN_GRACE_S
	 * (check_monitor test_never_seen). */
	integ_db_exec("UPDATE bpg.application_submission SET "
	    "status = 'LOST', finished_time = NOW()%s WHERE submission_id = "
	    "'%s'", never_seen ? ", error_message = '" BPG_DB_NEVER_SEEN "'" :
	    "", id);
	h3 = submit_key(INTEG_ALICE, key, body);
	ck_assert_msg(h3.status == 200, "%ld %s", h3.status, h3.body);
	if (never_seen) {
		ck_assert_str_ne(id_of(&h3), id);
		ck_assert_int_eq((long)(integ_cr_count("a") +
		    integ_cr_count("b")), (long)crs + 1);
	} else {
		ck_assert_str_eq(id_of(&h3), id);
		ck_assert_int_eq((long)(integ_cr_count("a") +
		    integ_cr_count("b")), (long)crs);
	}
	integ_http_free(&h1);
	integ_http_free(&h2);
	integ_http_free(&h3);
	free(body);
}

START_TEST(test_unknown_outcome)
{
	unknown_outcome("unknown-seen", false);
	unknown_outcome("unknown-never", true);
}
END_TEST

/* The leading monitor deletes expired keys, and only those. */
START_TEST(test_monitor_sweep)
{
	char key[96], live[96], *body = body_named("idem-sweep");
	struct integ_http h1, h2;
	long long until;
	int mon;

	new_key(key, sizeof(key), "sweep");
	new_key(live, sizeof(live), "kept");
	h1 = submit_key(INTEG_ALICE, key, body);
	h2 = submit_key(INTEG_ALICE, live, body);
	id_of(&h1);
	id_of(&h2);
	integ_db_exec("UPDATE bpg.bpg_idempotency_key SET "
	    "expires_time = NOW() - INTERVAL 1 SECOND WHERE idem_key = '%s'",
	    key);
	mon = integ_mon_start("sweep", (char *)NULL);
	until = integ_now_ms() + 120000;
	while (key_rows(key) != 0) {
		ck_assert_msg(integ_now_ms() < until, "expired key not swept");
		integ_sleep_ms(100);
	}
	integ_mon_stop(mon, SIGKILL);
	ck_assert_int_eq(key_rows(live), 1);
	integ_http_free(&h1);
	integ_http_free(&h2);
	free(body);
}
END_TEST

START_TEST(test_worker_killed)
{
	static const char *const fault =
	    "{\"type\":\"lateanswer\",\"ms\":20000,\"method\":\"POST\","
	    "\"path\":\"/apis/sparkoperator.k8s.io/\",\"count\":1}";
	char key[96], id[256], where[300];
	char file[512], hdr[160], data[520], url[512];
	char *body = body_named("idem-killed");
	pid_t super = integ_supervisor(), before[64], after[64], child;
	int mon;
	struct world w0 = world_now();
	struct integ_http h, h2;
	long long until;
	int nb, na, i, status;

	new_key(key, sizeof(key), "killed");
	/* Either cluster may be chosen: both answer the create late. */
	json_decref(integ_control("a", "POST", "/faults", fault));
	json_decref(integ_control("b", "POST", "/faults", fault));
	nb = integ_workers(super, before, 64);
	ck_assert_int_gt(nb, 1);
	/* The request whose worker dies: curl, so that no Check assertion
	 * runs in a second process. */
	snprintf(file, sizeof(file), "%s/idem-killed.json",
	    integ_env("BPG_STACK_DIR"));
	integ_spit(file, body);
	snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", key);
	snprintf(data, sizeof(data), "@%s", file);
	snprintf(url, sizeof(url), "%s/spark", integ_env("BPG_URL"));
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		execlp("curl", "curl", "-s", "-o", "/dev/null", "--max-time",
		    "120", "--cacert", integ_env("BPG_CA"), "-u", INTEG_ALICE,
		    "-H", "Content-Type: application/json", "-H", hdr,
		    "--data-binary", data, url, (char *)NULL);
		_exit(127);
	}
	/* The ID is recorded and the CR stored; the answer is late. */
	until = integ_now_ms() + 60000;
	for (;;) {
		key_submission(key, id, sizeof(id));
		if (id[0] != '\0' && world_now().crs == w0.crs + 1)
			break;
		ck_assert_msg(integ_now_ms() < until, "no create in flight");
		integ_sleep_ms(50);
	}
	/* Whichever worker holds it dies. */
	for (i = 0; i < nb; i++)
		kill(before[i], SIGKILL);
	waitpid(child, &status, 0);
	until = integ_now_ms() + 60000;
	for (;;) {
		na = integ_workers(super, after, 64);
		if (na == nb && after[0] != before[0])
			break;
		ck_assert_msg(integ_now_ms() < until, "workers not back");
		integ_sleep_ms(100);
	}
	json_decref(integ_control("a", "DELETE", "/faults", NULL));
	json_decref(integ_control("b", "DELETE", "/faults", NULL));
	/* The row is still pending: older than a request may run, it has
	 * lost its owner (instead of waiting requestDeadlineSeconds). */
	integ_db_exec("UPDATE bpg.bpg_idempotency_key SET "
	    "claimed_time = NOW() - INTERVAL 1 HOUR WHERE idem_key = '%s' "
	    "AND state = 'pending'", key);
	/* The monitor records the CR it finds; the key then answers it. */
	mon = integ_mon_start("idem", (char *)NULL);
	until = integ_now_ms() + 120000;
	for (;;) {
		h = submit_key(INTEG_ALICE, key, body);
		if (h.status == 200)
			break;
		integ_assert_error(&h, 409, "still in progress");
		integ_http_free(&h);
		ck_assert_msg(integ_now_ms() < until, "never resolved");
	}
	integ_mon_stop(mon, SIGKILL);
	ck_assert_str_eq(id_of(&h), id);
	/* One job, never two; and the answer is kept. */
	world_grew(&w0, 1);
	snprintf(where, sizeof(where), "submission_id = '%s'", id);
	ck_assert_int_eq(integ_db_count(where), 1);
	h2 = submit_key(INTEG_ALICE, key, body);
	ck_assert_str_eq(h2.body, h.body);
	world_grew(&w0, 1);
	integ_http_free(&h);
	integ_http_free(&h2);
	free(body);
}
END_TEST

static Suite *
idem_suite(void)
{
	Suite *s = suite_create("idempotency");
	TCase *tc = tcase_create("idempotency");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_concurrent);
	tcase_add_test(tc, test_other_body);
	tcase_add_test(tc, test_two_users);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_field);
	tcase_add_loop_test(tc, test_bad_key, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_no_key);
	tcase_add_test(tc, test_dry_run_key);
	tcase_add_test(tc, test_released_after_refusal);
	tcase_add_test(tc, test_unknown_outcome);
	tcase_add_test(tc, test_monitor_sweep);
	tcase_add_test(tc, test_worker_killed);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(idem_suite(), 0);
}
