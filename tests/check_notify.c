/*
 * Notifications' pure parts (bpg_notify.h): the field, the URL policy,
 * the SSRF ranges, the event and its Slack text, the signature (RFC 4231
 * test vectors) and the back-off.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <unistd.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_notify.h"
#include "bpg_notify_send.h"
#include "testutil.h"

/* ---- the field -------------------------------------------------------- */

static const struct {
	const char *name, *json, *err; /* err: NULL if accepted */
	size_t n;
} parse_rows[] = {
	{ "null", "null", NULL, 0 },
	{ "one", "{\"url\":\"https://h.example.com/x\"}", NULL, 1 },
	{ "list", "[{\"url\":\"https://a.example.com\"},"
	  "{\"url\":\"https://b.example.com\",\"format\":\"slack\","
	  "\"on\":[\"FAILED\"]}]", NULL, 2 },
	{ "four", "[{\"url\":\"https://a\"},{\"url\":\"https://a\"},"
	  "{\"url\":\"https://a\"},{\"url\":\"https://a\"}]", NULL, 4 },
	{ "five", "[{\"url\":\"https://a\"},{\"url\":\"https://a\"},"
	  "{\"url\":\"https://a\"},{\"url\":\"https://a\"},"
	  "{\"url\":\"https://a\"}]", "notify: at most 4", 0 },
	{ "string", "\"https://a\"", "notify: must be an object", 0 },
	{ "no_url", "{\"on\":[\"FAILED\"]}", "notify.url: missing", 0 },
	{ "url_number", "{\"url\":5}", "notify.url: must be", 0 },
	{ "url_empty", "{\"url\":\"\"}", "notify.url: must be", 0 },
	{ "url_space", "{\"url\":\"https://a/ b\"}", "notify.url: spaces", 0 },
	{ "bad_state", "{\"url\":\"https://a\",\"on\":[\"DONE\"]}",
	  "notify.on[0]: must be one of", 0 },
	{ "on_empty", "{\"url\":\"https://a\",\"on\":[]}", "notify.on:", 0 },
	{ "bad_format", "{\"url\":\"https://a\",\"format\":\"xml\"}",
	  "notify.format:", 0 },
	{ "unknown", "{\"url\":\"https://a\",\"secret\":\"s\"}",
	  "notify: unknown field", 0 },
	{ "second_bad", "[{\"url\":\"https://a\"},{\"url\":7}]",
	  "notify[1].url: must be", 0 },
};

START_TEST(test_parse)
{
	struct bpg_notify_spec s;
	struct bpg_errinfo ei;
	json_error_t je;
	json_t *v = json_loads(parse_rows[_i].json, JSON_DECODE_ANY, &je);
	enum bpg_err e;

	ck_assert_msg(v != NULL, "row %s: bad JSON", parse_rows[_i].name);
	e = bpg_notify_parse(v, "notify", &s, &ei);
	if (parse_rows[_i].err == NULL) {
		ck_assert_msg(e == BPG_OK, "row %s: %s", parse_rows[_i].name,
		    ei.msg);
		ck_assert_uint_eq(s.n, parse_rows[_i].n);
	} else {
		ck_assert_msg(e == BPG_EINVAL &&
		    strncmp(ei.msg, parse_rows[_i].err,
			strlen(parse_rows[_i].err)) == 0,
		    "row %s: got %d %s", parse_rows[_i].name, e,
		    e ? ei.msg : "");
	}
	json_decref(v);
}
END_TEST

/*
 * A parse writes the targets it reads and n, nothing else: a submission
 * without receivers (most) costs no clearing of the spec's 16 KiB.
 */
START_TEST(test_parse_writes_only_n)
{
	static struct bpg_notify_spec s;
	struct bpg_errinfo ei;
	json_t *v = json_pack("{s:s}", "url", "https://a.example.com/h");
	const unsigned char *p;
	size_t i;

	memset(&s, 0x5a, sizeof(s));
	ck_assert_int_eq(bpg_notify_parse(NULL, "notify", &s, &ei), BPG_OK);
	ck_assert_uint_eq(s.n, 0);
	ck_assert_int_eq(bpg_notify_parse(v, "notify", &s, &ei), BPG_OK);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_str_eq(s.t[0].url, "https://a.example.com/h");
	p = (const unsigned char *)&s.t[1];
	for (i = 0; i < sizeof(s.t) - sizeof(s.t[0]); i++)
		ck_assert_msg(p[i] == 0x5a, "t[1..] written at byte %zu", i);
	json_decref(v);
}
END_TEST

START_TEST(test_parse_defaults)
{
	struct bpg_notify_spec s;
	struct bpg_errinfo ei;
	json_t *v = json_pack("[{s:s}, {s:s, s:[s, s, s], s:s}]", "url",
	    "https://a.example.com/h", "url", "https://b.example.com",
	    "on", "RUNNING", "SUBMISSION_FAILED", "DEPENDENCY_FAILED",
	    "format", "slack");
	json_t *back;
	char *d;

	ck_assert_int_eq(bpg_notify_parse(v, "notify", &s, &ei), BPG_OK);
	ck_assert_uint_eq(s.t[0].on, BPG_NOTIFY_ON_ALL);
	ck_assert_int_eq(s.t[0].format, BPG_NOTIFY_FMT_JSON);
	ck_assert_uint_eq(s.t[1].on, 1u << BPG_NOTIFY_RUNNING |
	    1u << BPG_NOTIFY_SUBMISSION_FAILED |
	    1u << BPG_NOTIFY_DEPENDENCY_FAILED);
	ck_assert_int_eq(s.t[1].format, BPG_NOTIFY_FMT_SLACK);
	back = bpg_notify_spec_json(&s);
	d = json_dumps(back, JSON_COMPACT);
	ck_assert_str_eq(d, "[{\"url\":\"https://a.example.com/h\",\"on\":"
	    "[\"RUNNING\",\"COMPLETED\",\"FAILED\",\"LOST\","
	    "\"SUBMISSION_FAILED\",\"DEPENDENCY_FAILED\",\"CANCELLED\"],"
	    "\"format\":\"json\"},"
	    "{\"url\":\"https://b.example.com\",\"on\":[\"RUNNING\","
	    "\"SUBMISSION_FAILED\",\"DEPENDENCY_FAILED\"],\"format\":"
	    "\"slack\"}]");
	free(d);
	json_decref(back);
	json_decref(v);
}
END_TEST

/* ---- the URL's policy ------------------------------------------------- */

static const char *hosts[] = { "hooks.example.com", "*.corp.example", "127.0.0.1",
	"10.1.2.3", "::1", "169.254.169.254", "[::ffff:127.0.0.1]",
	"::ffff:127.0.0.1" };

static const struct {
	const char *name, *url;
	bool http, priv;
	const char *err; /* NULL: accepted */
	const char *host;
	int port;
} url_rows[] = {
	{ "https", "https://hooks.example.com/x", 0, 0, NULL,
	  "hooks.example.com", 443 },
	{ "upper_host", "https://HOOKS.example.com:8443/x", 0, 0, NULL,
	  "HOOKS.example.com", 8443 },
	{ "wildcard", "https://a.b.corp.example/x", 0, 0, NULL,
	  "a.b.corp.example", 443 },
	{ "wildcard_not_apex", "https://corp.example/x", 0, 0,
	  "notify.url: host corp.example is not in", NULL, 0 },
	{ "suffix_trick", "https://evilcorp.example/x", 0, 0,
	  "notify.url: host evilcorp.example is not in", NULL, 0 },
	{ "suffix_trick2", "https://hooks.example.com.evil.net/", 0, 0,
	  "notify.url: host hooks.example.com.evil.net is not in", NULL, 0 },
	{ "http_refused", "http://hooks.example.com/x", 0, 0,
	  "notify.url: must be https://", NULL, 0 },
	{ "http_allowed", "http://hooks.example.com/x", 1, 0, NULL,
	  "hooks.example.com", 80 },
	{ "ftp", "ftp://hooks.example.com/x", 1, 0,
	  "notify.url: must be https://", NULL, 0 },
	{ "userinfo", "https://u:p@hooks.example.com/x", 0, 0,
	  "notify.url: must not hold a user", NULL, 0 },
	{ "not_url", "https://", 0, 0, "notify.url: not a URL", NULL, 0 },
	{ "loopback_literal", "https://127.0.0.1:8443/", 0, 0,
	  "notify.url: 127.0.0.1 is a private", NULL, 0 },
	{ "loopback_allowed", "https://127.0.0.1:8443/", 0, 1, NULL,
	  "127.0.0.1", 8443 },
	{ "private_literal", "https://10.1.2.3/", 0, 0,
	  "notify.url: 10.1.2.3 is a private", NULL, 0 },
	{ "metadata", "https://169.254.169.254/", 0, 0,
	  "notify.url: 169.254.169.254 is a private", NULL, 0 },
	{ "v6_loopback", "https://[::1]/", 0, 0,
	  "notify.url: ::1 is a private", NULL, 0 },
	{ "v4_mapped", "https://[::ffff:127.0.0.1]/", 0, 0,
	  "notify.url: ::ffff:127.0.0.1 is a private", NULL, 0 },
};

START_TEST(test_check_url)
{
	struct bpg_notify_policy p = { url_rows[_i].http, url_rows[_i].priv,
		hosts, TU_NROWS(hosts) };
	struct bpg_errinfo ei;
	char host[256];
	int port;
	enum bpg_err e;

	e = bpg_notify_check_url(url_rows[_i].url, &p, "notify.url", host,
	    sizeof(host), &port, &ei);
	if (url_rows[_i].err == NULL) {
		ck_assert_msg(e == BPG_OK, "row %s: %s", url_rows[_i].name,
		    ei.msg);
		ck_assert_str_eq(host, url_rows[_i].host);
		ck_assert_int_eq(port, url_rows[_i].port);
	} else
		ck_assert_msg(e == BPG_EINVAL &&
		    strncmp(ei.msg, url_rows[_i].err,
			strlen(url_rows[_i].err)) == 0,
		    "row %s: got %d %s", url_rows[_i].name, e,
		    e ? ei.msg : "");
}
END_TEST

START_TEST(test_no_hosts)
{
	struct bpg_notify_policy p = { false, false, NULL, 0 };
	struct bpg_errinfo ei;
	char host[256];
	int port;

	ck_assert_int_eq(bpg_notify_check_url("https://hooks.example.com/",
	    &p, "notify.url", host, sizeof(host), &port, &ei), BPG_EINVAL);
}
END_TEST

/* ---- SSRF ranges ------------------------------------------------------ */

static const struct {
	const char *addr;
	bool priv;
} addr_rows[] = {
	{ "127.0.0.1", true },
	{ "127.255.1.2", true },
	{ "10.0.0.1", true },
	{ "172.16.0.1", true },
	{ "172.31.255.255", true },
	{ "172.32.0.1", false },
	{ "192.168.1.1", true },
	{ "169.254.169.254", true },
	{ "100.64.0.1", true },
	{ "0.0.0.0", true },
	{ "224.0.0.1", true },
	{ "255.255.255.255", true },
	{ "8.8.8.8", false },
	{ "93.184.216.34", false },
	{ "::1", true },
	{ "::", true },
	{ "fe80::1", true },
	{ "fc00::1", true },
	{ "fd12:3456::1", true },
	{ "ff02::1", true },
	{ "::ffff:127.0.0.1", true },
	{ "::ffff:10.0.0.1", true },
	{ "::ffff:8.8.8.8", false },
	{ "64:ff9b::a9fe:a9fe", true },
	{ "2002:7f00:1::", true },
	{ "2606:4700::1111", false },
};

START_TEST(test_addr_private)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr_rows[_i].addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		len = sizeof(*s4);
	} else {
		ck_assert(inet_pton(AF_INET6, addr_rows[_i].addr,
		    &s6->sin6_addr) == 1);
		s6->sin6_family = AF_INET6;
		len = sizeof(*s6);
	}
	ck_assert_msg(bpg_notify_addr_private((struct sockaddr *)&ss, len) ==
	    addr_rows[_i].priv, "row %s", addr_rows[_i].addr);
}
END_TEST

/* "localhost" resolves to loopback: refused unless private is allowed. */
START_TEST(test_resolve_check)
{
	const char *h[] = { "localhost" };
	struct bpg_notify_policy p = { false, false, h, 1 };
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_notify_resolve_check("localhost", 443, &p,
	    "notify.url", &ei), BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, "notify.url: host localhost resolves "
	    "to") == ei.msg, "%s", ei.msg);
	p.allow_private = true;
	ck_assert_int_eq(bpg_notify_resolve_check("localhost", 443, &p,
	    "notify.url", &ei), BPG_OK);
	ck_assert_int_eq(bpg_notify_resolve_check("no-such-host.invalid", 443,
	    &p, "notify.url", &ei), BPG_EINVAL);
}
END_TEST

/* ---- the event ---------------------------------------------------------- */

START_TEST(test_event)
{
	struct bpg_notify_event ev = { "e-1", "c1-abc", "FAILED", "RUNNING",
		"alice", "poc", "c1", "spark-1", "driver <died> & gone", 2,
		1700000000123LL, true, 1.5 };
	json_t *j = bpg_notify_event_json(&ev);
	char *b;

	ck_assert_ptr_nonnull(j);
	b = bpg_notify_body(j, BPG_NOTIFY_FMT_JSON);
	ck_assert_str_eq(b, "{\"eventId\":\"e-1\",\"submissionId\":\"c1-abc\","
	    "\"state\":\"FAILED\",\"previousState\":\"RUNNING\","
	    "\"user\":\"alice\",\"queue\":\"poc\",\"cluster\":\"c1\","
	    "\"appId\":\"spark-1\",\"attempt\":2,"
	    "\"time\":\"2023-11-14T22:13:20.123Z\","
	    "\"errorMessage\":\"driver <died> & gone\",\"cost\":1.5}");
	free(b);
	b = bpg_notify_body(j, BPG_NOTIFY_FMT_SLACK);
	ck_assert_str_eq(b, "{\"text\":\"Spark application c1-abc is FAILED "
	    "(was RUNNING)\\nuser: alice, queue: poc, cluster: c1, appId: "
	    "spark-1, cost: 1.50\\ntime: 2023-11-14T22:13:20.123Z\\n"
	    "error: driver &lt;died&gt; &amp; gone\"}");
	free(b);
	json_decref(j);
}
END_TEST

START_TEST(test_event_nulls)
{
	struct bpg_notify_event ev = { "e-2", "c1-abc", "RUNNING", NULL,
		NULL, NULL, NULL, NULL, NULL, 0, 0, false, 0 };
	json_t *j = bpg_notify_event_json(&ev);
	char *b = bpg_notify_body(j, BPG_NOTIFY_FMT_JSON);

	ck_assert_str_eq(b, "{\"eventId\":\"e-2\",\"submissionId\":\"c1-abc\","
	    "\"state\":\"RUNNING\",\"previousState\":null,\"user\":null,"
	    "\"queue\":null,\"cluster\":null,\"appId\":null,"
	    "\"attempt\":null,\"time\":\"1970-01-01T00:00:00.000Z\","
	    "\"errorMessage\":null,\"cost\":null}");
	free(b);
	json_decref(j);
}
END_TEST

/* ---- signature: RFC 4231 test cases 1 and 2 ------------------------------ */

START_TEST(test_sign)
{
	unsigned char k1[20];
	char sig[BPG_NOTIFY_SIG_LEN + 1];
	struct bpg_errinfo ei;

	memset(k1, 0x0b, sizeof(k1));
	ck_assert_int_eq(bpg_notify_sign(k1, sizeof(k1), "Hi There", 8, sig,
	    &ei), BPG_OK);
	ck_assert_str_eq(sig, "sha256=b0344c61d8db38535ca8afceaf0bf12b881dc200"
	    "c9833da726e9376c2e32cff7");
	ck_assert_int_eq(bpg_notify_sign("Jefe", 4,
	    "what do ya want for nothing?", 28, sig, &ei), BPG_OK);
	ck_assert_str_eq(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f08"
	    "9d2739839dec58b964ec3843");
	ck_assert_int_eq(bpg_notify_sign(NULL, 0, "x", 1, sig, &ei),
	    BPG_EINVAL);
}
END_TEST

START_TEST(test_backoff)
{
	ck_assert_int_eq(bpg_notify_backoff_ms(0), 1000);
	ck_assert_int_eq(bpg_notify_backoff_ms(1), 1000);
	ck_assert_int_eq(bpg_notify_backoff_ms(2), 2000);
	ck_assert_int_eq(bpg_notify_backoff_ms(3), 4000);
	ck_assert_int_eq(bpg_notify_backoff_ms(10), 512000);
	ck_assert_int_eq(bpg_notify_backoff_ms(11), 600000);
	ck_assert_int_eq(bpg_notify_backoff_ms(4000000000u), 600000);
	ck_assert(!bpg_notify_expired(0, 86399999));
	ck_assert(bpg_notify_expired(0, 86400000));
}
END_TEST

/* ---- delivery: the checks at send time ------------------------------------ */

/*
 * A name that passed the submission's check and now resolves to loopback
 * (DNS rebinding): curl's connect goes through the open-socket check and
 * is refused; with private addresses allowed the connect is made.
 */
START_TEST(test_send_pins_address)
{
	const char *h[] = { "localhost" };
	struct bpg_notify_send_conf conf = { { false, false, h, 1 }, "k3y",
		NULL };
	struct bpg_notify_send s;
	struct bpg_errinfo ei;
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char url[64], why[512];
	int fd;
	long status;
	bool ok;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(url, sizeof(url), "https://localhost:%d/h",
	    ntohs(sa.sin_port));
	ck_assert_int_eq(bpg_notify_send_init(&s, &conf, url, "e.1", "{}",
	    &ei), BPG_OK);
	curl_easy_setopt(s.h, CURLOPT_TIMEOUT_MS, 2000L);
	ok = bpg_notify_send_done(&s, curl_easy_perform(s.h), &status, why,
	    sizeof(why));
	ck_assert(!ok);
	ck_assert_int_eq(status, 0);
	ck_assert_msg(strstr(why, "refused to connect to a private") != NULL,
	    "%s", why);
	bpg_notify_send_reset(&s);
	/* Allowed: the connect is made (the TLS handshake then times out). */
	conf.policy.allow_private = true;
	ck_assert_int_eq(bpg_notify_send_init(&s, &conf, url, "e.1", "{}",
	    &ei), BPG_OK);
	curl_easy_setopt(s.h, CURLOPT_TIMEOUT_MS, 300L);
	ok = bpg_notify_send_done(&s, curl_easy_perform(s.h), &status, why,
	    sizeof(why));
	ck_assert(!ok);
	ck_assert_msg(strstr(why, "private") == NULL, "%s", why);
	bpg_notify_send_reset(&s);
	close(fd);
}
END_TEST

/* Refused at send time: a host no longer allowed, no secret. */
START_TEST(test_send_refused)
{
	const char *h[] = { "hooks.example.com" };
	struct bpg_notify_send_conf conf = { { false, false, h, 1 }, "k3y",
		NULL };
	struct bpg_notify_send s;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_notify_send_init(&s, &conf,
	    "https://other.example.com/", "e.1", "{}", &ei), BPG_EINVAL);
	bpg_notify_send_reset(&s);
	ck_assert_int_eq(bpg_notify_send_init(&s, &conf,
	    "http://hooks.example.com/", "e.1", "{}", &ei), BPG_EINVAL);
	bpg_notify_send_reset(&s);
	conf.secret = NULL;
	ck_assert_int_eq(bpg_notify_send_init(&s, &conf,
	    "https://hooks.example.com/", "e.1", "{}", &ei), BPG_EINVAL);
	bpg_notify_send_reset(&s);
	conf.secret = "k3y";
	ck_assert_int_eq(bpg_notify_send_init(&s, &conf,
	    "https://hooks.example.com/", "e.1\r\nX: y", "{}", &ei),
	    BPG_EINVAL);
	bpg_notify_send_reset(&s);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("pure");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_parse, 0, TU_NROWS(parse_rows));
	tcase_add_test(tc, test_parse_writes_only_n);
	tcase_add_test(tc, test_parse_defaults);
	tcase_add_loop_test(tc, test_check_url, 0, TU_NROWS(url_rows));
	tcase_add_test(tc, test_no_hosts);
	tcase_add_loop_test(tc, test_addr_private, 0, TU_NROWS(addr_rows));
	tcase_add_test(tc, test_resolve_check);
	tcase_add_test(tc, test_event);
	tcase_add_test(tc, test_event_nulls);
	tcase_add_test(tc, test_sign);
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_send_pins_address);
	tcase_add_test(tc, test_send_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(notify_suite());
}
