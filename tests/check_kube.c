/*
 * Tests for lib/bpg_kube.c that need no API server: the cleaning of
 * server text (bpg_kube_clean_copy(), shared with bpg_watch.c), the
 * handle's set-up (bpg_kube_new(), which builds on bpg_kube_setup_easy()),
 * and the request deadline, against a loopback socket that listens and
 * never answers (the kernel completes the connection, so a request waits
 * for its timeout).  Requests themselves are tested against the stand-in
 * (tests/integ).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "bpg_kube.h"
#include "bpg_limits.h"
#include "testutil.h"

static int lfd = -1;
static unsigned int port;

/* A listener nobody accepts on; its backlog takes the connections. */
static void
setup(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
}

static void
teardown(void)
{
	close(lfd);
	tu_arena_free();
	curl_global_cleanup();
}

/* A handle on the silent port with timeoutMillis ms. */
static struct bpg_kube *
kube_with(struct bpg_config **cfg, long ms)
{
	char yaml[512];
	struct bpg_kube *k;
	struct bpg_errinfo ei;

	snprintf(yaml, sizeof(yaml),
	    "sparkClusters:\n"
	    "  - id: c01\n"
	    "    masterUrl: http://127.0.0.1:%u\n"
	    "    sparkApplicationNamespace: ns\n"
	    "    timeoutMillis: %ld\n", port, ms);
	*cfg = tu_config(yaml, NULL);
	ck_assert_int_eq(bpg_kube_new(&(*cfg)->clusters[0], &k, &ei), BPG_OK);
	return k;
}

/* One request's duration in ms, and its error. */
static int64_t
timed(struct bpg_kube *k, const char *method, enum bpg_err *e,
    struct bpg_errinfo *ei)
{
	int64_t t0 = bpg_kube_now_ms();

	*e = bpg_kube_request(k, method, "/x", NULL, NULL, NULL, ei);
	return bpg_kube_now_ms() - t0;
}

/*
 * timeoutMillis 60 s, deadline in 12 s: a GET leaves the settling reserve
 * and waits about 2 s; a request on a connection of its own may use all
 * 12 s, too long to wait for here, so it gets a deadline of its own.  The
 * bounds are wide: only the 60 s of timeoutMillis, which the deadline
 * must cut, are excluded.
 */
START_TEST(test_deadline_cuts)
{
	struct bpg_config *cfg;
	struct bpg_kube *k = kube_with(&cfg, 60000);
	struct bpg_errinfo ei;
	enum bpg_err e;
	int64_t ms, t0;

	bpg_kube_set_deadline(k, bpg_kube_now_ms() +
	    BPG_KUBE_SETTLE_RESERVE_MS + 2000);
	ms = timed(k, "GET", &e, &ei);
	ck_assert_int_eq(e, BPG_ETIMEOUT);
	ck_assert_msg(ms >= 1500 && ms < 30000, "GET took %lld ms",
	    (long long)ms);

	/* A request that settles a create may use what the others leave. */
	bpg_kube_set_deadline(k, bpg_kube_now_ms() + 2000);
	t0 = bpg_kube_now_ms();
	e = bpg_kube_request_fresh(k, "GET", "/x", NULL, NULL, NULL, 60000,
	    &ei);
	ms = bpg_kube_now_ms() - t0;
	ck_assert_int_eq(e, BPG_ETIMEOUT);
	ck_assert_msg(ms >= 1500 && ms < 30000, "fresh GET took %lld ms",
	    (long long)ms);
	bpg_kube_free(k);
	bpg_config_free(cfg);
}
END_TEST

/* Past the deadline (or within the reserve): nothing is sent. */
START_TEST(test_deadline_passed)
{
	struct bpg_config *cfg;
	struct bpg_kube *k = kube_with(&cfg, 60000);
	struct bpg_errinfo ei;
	enum bpg_err e;

	bpg_kube_set_deadline(k, bpg_kube_now_ms() - 1);
	(void)timed(k, "POST", &e, &ei);
	ck_assert_int_eq(e, BPG_ETIMEOUT);
	ck_assert_msg(strstr(ei.msg, "deadline") != NULL, "%s", ei.msg);
	(void)timed(k, "DELETE", &e, &ei);
	ck_assert_int_eq(e, BPG_ETIMEOUT);
	ck_assert_int_eq(bpg_kube_request_fresh(k, "GET", "/x", NULL, NULL,
	    NULL, 1000, &ei), BPG_ETIMEOUT);
	/* Within the reserve: a create is not sent. */
	bpg_kube_set_deadline(k, bpg_kube_now_ms() +
	    BPG_KUBE_SETTLE_RESERVE_MS / 2);
	(void)timed(k, "POST", &e, &ei);
	ck_assert_int_eq(e, BPG_ETIMEOUT);
	ck_assert_msg(strstr(ei.msg, "deadline") != NULL, "%s", ei.msg);
	ck_assert_int_eq(bpg_kube_connects(k), 0);
	bpg_kube_free(k);
	bpg_config_free(cfg);
}
END_TEST

/* No deadline (0): timeoutMillis alone, as before. */
START_TEST(test_no_deadline)
{
	struct bpg_config *cfg;
	struct bpg_kube *k = kube_with(&cfg, 1500);
	struct bpg_errinfo ei;
	enum bpg_err e;
	int64_t ms;

	bpg_kube_set_deadline(k, 0);
	ms = timed(k, "POST", &e, &ei);
	ck_assert_int_eq(e, BPG_ETIMEOUT);
	ck_assert_msg(ms >= 1000, "POST took %lld ms", (long long)ms);
	bpg_kube_free(k);
	bpg_config_free(cfg);
}
END_TEST

static const struct {
	const char *name;
	const char *in;
	size_t len;
	const char *out;
} clean_rows[] = {
	{ "plain", "not found", 64, "not found" },
	{ "empty", "", 64, "" },
	{ "controls", "a\nb\rc\td\x1b[31m", 64, "a?b?c?d?[31m" },
	{ "del", "x\x7fy", 64, "x?y" },
	{ "utf8", "caf\xc3\xa9", 64, "caf??" },
	{ "cut", "abcdef", 4, "abc" },
	{ "one_byte", "abc", 1, "" },
};

START_TEST(test_clean_copy)
{
	char out[64];

	memset(out, 'Z', sizeof(out));
	bpg_kube_clean_copy(out, clean_rows[_i].len, clean_rows[_i].in);
	ck_assert_msg(strcmp(out, clean_rows[_i].out) == 0, "row %s: \"%s\"",
	    clean_rows[_i].name, out);
}
END_TEST

/* A handle is made (token, headers, TLS options) and freed whole. */
START_TEST(test_new_free)
{
	struct bpg_cluster c;
	struct bpg_kube *k = NULL;
	struct bpg_errinfo ei;

	memset(&c, 0, sizeof(c));
	c.id = (char *)(uintptr_t)"a";
	c.master_url = (char *)(uintptr_t)"https://127.0.0.1:1";
	c.namespace = (char *)(uintptr_t)"ns";
	c.token = (char *)(uintptr_t)"secret-token";
	c.timeout_millis = 1000;
	ck_assert_int_eq(bpg_kube_new(&c, &k, &ei), BPG_OK);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(bpg_kube_connects(k), 0);
	bpg_kube_free(k);
	bpg_kube_free(NULL);
}
END_TEST

/* A URL or a path longer than the handle holds is refused before any
 * connection, whole: nothing cut short is sent. */
START_TEST(test_too_long)
{
	static char url[2100], ns[600];
	struct bpg_cluster c;
	struct bpg_kube *k = NULL;
	struct bpg_errinfo ei = { "" };
	json_t *out = NULL;

	memset(url, 'a', sizeof(url) - 1);
	memcpy(url, "https://", 8);
	memset(ns, 'n', sizeof(ns) - 1);
	memset(&c, 0, sizeof(c));
	c.id = (char *)(uintptr_t)"a";
	c.master_url = url;
	c.namespace = (char *)(uintptr_t)"ns";
	c.timeout_millis = 1000;
	ck_assert_int_eq(bpg_kube_new(&c, &k, &ei), BPG_OK);
	ck_assert_int_eq(bpg_kube_get_app(k, "x", &out, &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "request path too long"));
	ck_assert_ptr_null(out);
	bpg_kube_free(k);
	c.master_url = (char *)(uintptr_t)"https://127.0.0.1:1";
	c.namespace = ns;
	ck_assert_int_eq(bpg_kube_new(&c, &k, &ei), BPG_OK);
	ck_assert_int_eq(bpg_kube_get_app(k, "x", &out, &ei), BPG_EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(bpg_kube_connects(k), 0);
	bpg_kube_free(k);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("kube");
	TCase *tc = tcase_create("deadline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_deadline_cuts);
	tcase_add_test(tc, test_deadline_passed);
	tcase_add_test(tc, test_no_deadline);
	suite_add_tcase(su, tc);
	tc = tcase_create("core");
	tcase_add_loop_test(tc, test_clean_copy, 0, TU_NROWS(clean_rows));
	tcase_add_test(tc, test_new_free);
	tcase_add_test(tc, test_too_long);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
