/*
 * Submission rate limits (submitRateLimit) on the running stack: the
 * config gets a per-user limit through a reload (SIGHUP), a burst of
 * concurrent submissions from one user gets 429s with Retry-After and
 * BPG's envelope, nothing is recorded or created for them, other users
 * are not affected, and after Retry-After the user is accepted again.
 * The original config is put back at the end.
 *
 * What is asserted holds at any speed: the burst goes out in rounds of
 * concurrent requests until one is refused, and at most burst + rate x
 * elapsed (+ 1) are accepted, whichever workers answer.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "integ.h"

#define RATE 2
#define BURST 5
#define ROUND 10
#define ROUNDS 10

static const char limit_yaml[] =
    "\nsubmitRateLimit:\n"
    "  perUser: {rate: 2, burst: 5}\n"
    "  exemptAdmins: true\n";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* SparkPi named name, as JSON text (free()). */
static char *
sparkpi_named(const char *name)
{
	char *text = integ_sparkpi(NULL), *out;
	json_t *o = json_loads(text, 0, NULL);

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_object_set_new(o, "applicationName",
	    json_string(name)), 0);
	ck_assert_ptr_nonnull(out = json_dumps(o, JSON_COMPACT));
	json_decref(o);
	free(text);
	return out;
}

static long
rows_named(const char *name)
{
	char where[256];

	snprintf(where, sizeof(where), "app_name = '%s'", name);
	return integ_db_count(where);
}

static size_t
crs(void)
{
	return integ_cr_count("a") + integ_cr_count("b");
}

/* The stack's config, read before the test and put back after it even
 * when the test fails (unchecked fixtures run in this process). */
static char cfgpath[1024];
static char *orig;

static void
save_config(void)
{
	snprintf(cfgpath, sizeof(cfgpath), "%s/config.yaml",
	    integ_env("BPG_STACK_DIR"));
	orig = integ_slurp(cfgpath, NULL);
}

static void
restore_config(void)
{
	char *now = integ_slurp(cfgpath, NULL);

	if (strcmp(now, orig) != 0)
		integ_reload(cfgpath, orig);
	free(now);
	free(orig);
	orig = NULL;
}

START_TEST(test_submit_burst)
{
	char name[128], *limited_cfg, *body;
	struct integ_req r = { .method = "POST", .url = "/spark",
		.userpw = INTEG_ALICE, .ctype = INTEG_JSON };
	struct integ_http h[ROUND], one;
	char retry[32] = "";
	int ok = 0, limited = 0, round, i, wait;
	size_t crs0;
	double t0, elapsed;

	snprintf(name, sizeof(name), "submitlimit-it-%ld-%ld", (long)getpid(),
	    (long)time(NULL));
	ck_assert_int_ne(asprintf(&limited_cfg, "%s%s", orig, limit_yaml), -1);
	integ_reload(cfgpath, limited_cfg);
	body = sparkpi_named(name);
	r.body = body;
	crs0 = crs();
	/*
	 * The cells outlive reloads: a run just before this one may have
	 * spent alice's burst.  After burst / rate seconds without her
	 * submissions it is whole again.
	 */
	sleep((BURST + RATE - 1) / RATE + 1);

	t0 = now_s();
	for (round = 0; round < ROUNDS && limited == 0; round++) {
		integ_parallel(&r, ROUND, h);
		for (i = 0; i < ROUND; i++) {
			if (h[i].status == 429) {
				limited++;
				integ_assert_error(&h[i], 429,
				    "jakarta.ws.rs.WebApplicationException: "
				    "Too many submissions by user alice (at "
				    "most 2 a second, 5 at once); try again in "
				    "1 s");
				/* A token every 0.5 s: at most 1 s away. */
				ck_assert_str_eq(h[i].retry_after, "1");
				snprintf(retry, sizeof(retry), "%s",
				    h[i].retry_after);
			} else {
				ck_assert_msg(h[i].status == 200, "%ld %s",
				    h[i].status, h[i].body);
				ck_assert_ptr_nonnull(integ_jstr(h[i].json,
				    "submissionId"));
				ok++;
			}
			integ_http_free(&h[i]);
		}
	}
	elapsed = now_s() - t0;
	fprintf(stderr, "submitlimit: %d accepted, %d refused in %d rounds of "
	    "%d, %.3f s\n", ok, limited, round, ROUND, elapsed);
	ck_assert_msg(limited > 0, "no 429 after %d submissions", ok);
	/* The user's cell is shared by all workers; per-worker cells would
	 * let 4 x 5 through.  (+ 1: two workers may make the cell at once,
	 * bpg_ratelimit.h.) */
	ck_assert_msg(ok >= BURST, "only %d before the 429", ok);
	ck_assert_msg(ok <= BURST + 1 + (int)(elapsed * RATE), "%d "
	    "submissions passed in %.3f s", ok, elapsed);
	/* Refused submissions leave nothing behind. */
	ck_assert_int_eq(rows_named(name), ok);
	ck_assert_uint_eq(crs(), crs0 + (size_t)ok);

	/* Other users are not affected; the admin is exempt. */
	one = integ_api("POST", "/spark", "bob:bob-pw", INTEG_JSON, body);
	ck_assert_msg(one.status == 200, "bob: %ld %s", one.status, one.body);
	integ_http_free(&one);
	for (i = 0; i < 2 * BURST; i++) {
		one = integ_api("POST", "/spark", "carol:carol-pw", INTEG_JSON,
		    body);
		ck_assert_msg(one.status == 200, "carol: %ld %s", one.status,
		    one.body);
		integ_http_free(&one);
	}

	/* After Retry-After, alice is accepted again. */
	wait = atoi(retry);
	ck_assert_int_ge(wait, 1);
	sleep((unsigned)wait);
	one = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
	ck_assert_msg(one.status == 200, "after %d s: %ld %s", wait,
	    one.status, one.body);
	integ_http_free(&one);
	ck_assert_int_eq(rows_named(name), ok + 1 + 1 + 2 * BURST);

	free(body);
	free(limited_cfg);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("submitlimit");
	TCase *tc = tcase_create("burst");

	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, save_config, restore_config);
	tcase_add_test(tc, test_submit_burst);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
