/*
 * Graceful reload: SIGHUP to the gateway's supervisor while clients keep
 * sending requests.  A broken new config keeps the old one serving; a good
 * one replaces every worker; no request fails either way.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "integ.h"

#define CLIENTS 8

struct load {
	CURLM *multi;
	CURL *easy[CLIENTS];
	char url[CLIENTS][512];
	long done, failed;
	char lastfail[256];
};

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* Alternate healthchecks and SparkPi-free status reads of a bad ID (400
 * from the gateway itself): both need a worker, neither writes. */
static void
load_add(struct load *l, int i)
{
	CURL *c = curl_easy_init();

	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, l->url[i]);
	curl_easy_setopt(c, CURLOPT_USERPWD, "alice:alice-pw");
	curl_easy_setopt(c, CURLOPT_CAINFO, integ_env("BPG_CA"));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	/*
	 * HTTP/1.1: this is about the gateway's workers.  Behind Apache one
	 * HTTP/2 stream reset by mod_http2 (curl error 16, no status) was
	 * seen once in ~8,700 requests; it was not traced to the gateway.
	 */
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)l->url[i]);
	l->easy[i] = c;
	curl_multi_add_handle(l->multi, c);
}

static void
load_init(struct load *l)
{
	int i;

	memset(l, 0, sizeof(*l));
	l->multi = curl_multi_init();
	for (i = 0; i < CLIENTS; i++) {
		snprintf(l->url[i], sizeof(l->url[i]), "%s%s",
		    integ_env("BPG_URL"), i % 2 ? "/healthcheck/status" :
		    "/spark/nodash/status");
		load_add(l, i);
	}
}

/* Drive the load for ms milliseconds, counting answers and failures. */
static void
load_run(struct load *l, long ms)
{
	struct timespec t0, t;
	CURLMsg *m;
	int running, left, i;
	long code;
	char *url;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		curl_multi_perform(l->multi, &running);
		while ((m = curl_multi_info_read(l->multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE,
			    &code);
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    &url);
			l->done++;
			/* Healthcheck: 200; a bad ID: 400 from the gateway. */
			if (m->data.result != CURLE_OK ||
			    (strstr(url, "healthcheck") ? code != 200 :
			    code != 400)) {
				l->failed++;
				snprintf(l->lastfail, sizeof(l->lastfail),
				    "%s: curl %d http %ld", url,
				    (int)m->data.result, code);
			}
			for (i = 0; i < CLIENTS; i++)
				if (l->easy[i] == m->easy_handle)
					break;
			curl_multi_remove_handle(l->multi, m->easy_handle);
			curl_easy_cleanup(m->easy_handle);
			load_add(l, i);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			break;
		curl_multi_poll(l->multi, NULL, 0, 20, NULL);
	}
}

static void
load_free(struct load *l)
{
	int i;

	for (i = 0; i < CLIENTS; i++) {
		curl_multi_remove_handle(l->multi, l->easy[i]);
		curl_easy_cleanup(l->easy[i]);
	}
	curl_multi_cleanup(l->multi);
}

static long
http_status(const char *path, const char *userpw)
{
	struct integ_req r = { .method = "GET", .url = path,
		.userpw = userpw };
	struct integ_http h = integ_request(&r);
	long code = h.status;

	integ_http_free(&h);
	return code;
}

START_TEST(test_reload_under_load)
{
	char cfgpath[1024], logpath[1024], *orig, *changed, *log;
	pid_t super = integ_supervisor(), before[64], mid[64], after[64];
	int nb, nm, na, i, j, replaced = 0;
	struct load l;
	size_t loglen0, loglen;

	snprintf(cfgpath, sizeof(cfgpath), "%s/config.yaml",
	    integ_env("BPG_STACK_DIR"));
	snprintf(logpath, sizeof(logpath), "%s/gateway.log",
	    integ_env("BPG_STACK_DIR"));
	orig = integ_slurp(cfgpath, NULL);
	free(integ_slurp(logpath, &loglen0));
	nb = integ_workers(super, before, 64);
	ck_assert_int_gt(nb, 0);
	ck_assert_int_eq(http_status("/healthcheck/status", "bob:bob-pw"), 200);

	load_init(&l);
	load_run(&l, 1000);

	/* A broken config: logged, the old one keeps serving. */
	integ_spit(cfgpath, "sparkClusters: [ {id: x, weight: -1} ]\n");
	ck_assert_int_eq(kill(super, SIGHUP), 0);
	load_run(&l, 1500);
	nm = integ_workers(super, mid, 64);
	ck_assert_int_eq(nm, nb);
	for (i = 0; i < nb; i++)
		ck_assert_int_eq(mid[i], before[i]);
	log = integ_slurp(logpath, &loglen);
	ck_assert_msg(loglen > loglen0 && strstr(log + loglen0,
	    "reload") != NULL, "no reload message in the log");
	free(log);

	/* A good config that blocks bob: every worker is replaced. */
	ck_assert_int_ne(asprintf(&changed, "%s\nblockedUsers: [mallory, bob]\n",
	    orig), -1);
	integ_spit(cfgpath, changed);
	ck_assert_int_eq(kill(super, SIGHUP), 0);
	load_run(&l, 3000);
	na = integ_workers(super, after, 64);
	ck_assert_int_eq(na, nb);
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (after[i] == before[j])
				break;
		replaced += j == nb;
	}
	ck_assert_int_eq(replaced, nb);
	ck_assert_int_eq(http_status("/healthcheck/status", "bob:bob-pw"), 403);

	/* Back to the original. */
	integ_spit(cfgpath, orig);
	ck_assert_int_eq(kill(super, SIGHUP), 0);
	load_run(&l, 2000);
	ck_assert_int_eq(http_status("/healthcheck/status", "bob:bob-pw"), 200);

	ck_assert_msg(l.done > 100, "only %ld requests", l.done);
	ck_assert_msg(l.failed == 0, "%ld of %ld requests failed (last: %s)",
	    l.failed, l.done, l.lastfail);
	load_free(&l);
	free(changed);
	free(orig);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("reload");
	TCase *tc = tcase_create("sighup");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_reload_under_load);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
