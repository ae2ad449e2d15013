/*
 * Tests for lib/bpg_s3.c: key checks, URI encoding and configuration as
 * named tables, then the client against a real S3 stand-in (s3rver,
 * started by tests/s3rver.sh) whose port is in BPG_TEST_S3_PORT.  Without
 * that variable the server tests fail: a skipped S3 test would hide a
 * broken module.
 *
 *	sh tests/s3rver.sh start /tmp/s3t 14569
 *	BPG_TEST_S3_PORT=14569 build/tests/check_s3
 *
 * s3rver checks every Signature Version 4 against its account S3RVER /
 * S3RVER, so a wrong secret is refused as S3 would refuse it.  Each test
 * writes under its own prefix t/<pid>-<time>/ of bucket bpg-test.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <check.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bpg_s3.h"
#include "testutil.h"

#define BUCKET "bpg-test"
#define MISSING_BUCKET "bpg-no-such-bucket"
#define ACCESS_KEY "S3RVER"
#define SECRET_KEY "S3RVER"
#define WRONG_SECRET "wrong-secret-Zq8mW3"
#define MIB (1024LL * 1024)
#define LARGE_SIZE (50 * MIB)
/* Peak resident set of a test process streaming LARGE_SIZE bytes. */
#define RSS_LIMIT_KIB (32 * 1024)
#define TEST_CASE_TIMEOUT 600

/*
 * Key parts
 */

static const struct {
	const char *name;
	const char *in; /* NULL: len bytes of 'a' */
	size_t len;
	const char *why; /* a substring of the message */
} part_bad[] = {
    {"dot-dot", "..", 0, "\"..\" path segment"},
    {"dot-dot-inside", "a/../b", 0, "\"..\" path segment"},
    {"dot-dot-first", "../etc/passwd", 0, "\"..\" path segment"},
    {"dot-dot-last", "jars/..", 0, "\"..\" path segment"},
    {"dot", "./a", 0, "\".\" path segment"},
    {"dot-inside", "a/./b", 0, "\".\" path segment"},
    {"leading-slash", "/jars/a.jar", 0, "must not start with '/'"},
    {"only-slash", "/", 0, "must not start with '/'"},
    {"trailing-slash", "jars/", 0, "must not end with '/'"},
    {"empty-segment", "a//b", 0, "empty path segment"},
    {"empty", "", 0, "is empty"},
    {"control-0x01",
	"a\x01"
	"b",
	0, "control character (at byte 1)"},
    {"control-newline", "a.jar\n", 0, "control character"},
    {"control-cr", "a\rb", 0, "control character"},
    {"control-tab", "a\tb", 0, "control character"},
    {"control-escape", "\x1b[31m", 0, "control character (at byte 0)"},
    {"control-del", "a\x7f", 0, "control character"},
    {"control-c1-nel", "a\xc2\x85", 0, "control character"},
    {"backslash", "a\\b", 0, "backslash (at byte 1)"},
    {"backslash-dot-dot", "..\\a", 0, "backslash"},
    {"1025-bytes", NULL, 1025, "longer than 1024 bytes"},
    {"2000-bytes", NULL, 2000, "longer than 1024 bytes"},
    {"utf8-lone-continuation", "a\x80", 0, "not valid UTF-8 (at byte 1)"},
    {"utf8-truncated-2", "a\xc3", 0, "not valid UTF-8"},
    {"utf8-truncated-4", "\xf0\x9f\x98", 0, "not valid UTF-8"},
    {"utf8-overlong-slash", "\xc0\xaf", 0, "not valid UTF-8"},
    {"utf8-overlong-dot", "\xe0\x80\xae\xe0\x80\xae", 0, "not valid UTF-8"},
    {"utf8-surrogate", "\xed\xa0\x80", 0, "not valid UTF-8"},
    {"utf8-past-10ffff", "\xf4\x90\x80\x80", 0, "not valid UTF-8"},
    {"utf8-byte-ff", "\xff", 0, "not valid UTF-8"},
    {"utf8-latin1", "caf\xe9", 0, "not valid UTF-8 (at byte 3)"},
};

static char *
row_input(const char *in, size_t len)
{
	char *s;

	if (in != NULL)
		return strdup(in);
	s = malloc(len + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, 'a', len);
	s[len] = '\0';
	return s;
}

START_TEST(test_part_bad)
{
	struct bpg_errinfo ei = {""};
	char *in = row_input(part_bad[_i].in, part_bad[_i].len);
	size_t k;

	ck_assert_msg(bpg_s3_check_key_part(in, "folder", &ei) == BPG_EINVAL,
	    "row %s: accepted", part_bad[_i].name);
	ck_assert_msg(strncmp(ei.msg, "folder ", 7) == 0,
	    "row %s: message does not name the field: %s", part_bad[_i].name,
	    ei.msg);
	ck_assert_msg(strstr(ei.msg, part_bad[_i].why) != NULL,
	    "row %s: message \"%s\" lacks \"%s\"", part_bad[_i].name, ei.msg,
	    part_bad[_i].why);
	/* Messages reach logs and JSON: printable ASCII only. */
	for (k = 0; ei.msg[k] != '\0'; k++)
		ck_assert_msg(ei.msg[k] >= 0x20 && ei.msg[k] < 0x7f,
		    "row %s: byte 0x%02x in the message", part_bad[_i].name,
		    (unsigned char)ei.msg[k]);
	free(in);
}
END_TEST

static const struct {
	const char *name;
	const char *in;
	size_t len;
} part_good[] = {
    {"jar-in-folder", "jars/app-1.0.jar", 0},
    {"plain-name", "MinimalSparkApp.py", 0},
    {"deep-folder", "team/2025/01/x", 0},
    {"dots-in-name", "app..1.0.jar", 0},
    {"three-dots", "...", 0},
    {"hidden-file", ".hidden", 0},
    {"spaces-and-symbols", "my app (1) +x=y&z@~!$'*,;.jar", 0},
    {"unicode-latin", "r\xc3\xa9sum\xc3\xa9.py", 0},
    {"unicode-cyrillic-folder",
	"\xd0\xbf\xd0\xb0\xd0\xbf\xd0\xba\xd0\xb0/\xd1\x84.py", 0},
    {"unicode-cjk", "\xe6\x97\xa5\xe6\x9c\xac.jar", 0},
    {"unicode-emoji", "\xf0\x9f\x98\x80.txt", 0},
    {"unicode-max", "\xf4\x8f\xbf\xbf", 0},
    {"1024-bytes", NULL, 1024},
    {"1-byte", "a", 0},
};

START_TEST(test_part_good)
{
	struct bpg_errinfo ei = {""};
	char *in = row_input(part_good[_i].in, part_good[_i].len);

	ck_assert_msg(bpg_s3_check_key_part(in, "name", &ei) == BPG_OK,
	    "row %s: %s", part_good[_i].name, ei.msg);
	free(in);
}
END_TEST

START_TEST(test_part_misc)
{
	struct bpg_errinfo ei = {""};

	ck_assert_int_eq(bpg_s3_check_key_part(NULL, "name", &ei), BPG_EINVAL);
	ck_assert_str_eq(ei.msg, "name is empty");
	ck_assert_int_eq(bpg_s3_check_key_part("..", NULL, &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "key part"));
	ck_assert_int_eq(bpg_s3_check_key_part("a", "name", NULL), BPG_OK);
	ck_assert_int_eq(bpg_s3_check_key_part("..", "name", NULL), BPG_EINVAL);
}
END_TEST

/*
 * URI encoding (SigV4 "Create a canonical request")
 */

static const struct {
	const char *name;
	const char *in;
	size_t len; /* 0: strlen */
	bool keep_slash;
	const char *out;
} uri_rows[] = {
    {"empty", "", 0, true, ""},
    {"unreserved", "AZaz09-._~", 0, false, "AZaz09-._~"},
    {"slash-kept", "jars/a.jar", 0, true, "jars/a.jar"},
    {"slash-encoded", "jars/a.jar", 0, false, "jars%2Fa.jar"},
    {"space", "a b", 0, true, "a%20b"},
    {"plus", "a+b", 0, true, "a%2Bb"},
    {"sub-delims", "!$&'()*+,;=", 0, true, "%21%24%26%27%28%29%2A%2B%2C%3B%3D"},
    {"gen-delims", ":?#[]@", 0, true, "%3A%3F%23%5B%5D%40"},
    {"percent", "100%", 0, true, "100%25"},
    {"utf8-upper-hex", "\xc3\xa9", 0, true, "%C3%A9"},
    {"nul-byte", "a\0b", 3, true, "a%00b"},
    {"byte-ff", "\xff", 0, true, "%FF"},
    {"backslash", "a\\b", 0, true, "a%5Cb"},
    {"upload-id", "VXBsb2FkIElE-.x_y", 0, false, "VXBsb2FkIElE-.x_y"},
};

START_TEST(test_uri_encode)
{
	char out[128];
	size_t n, len = uri_rows[_i].len;

	if (len == 0)
		len = strlen(uri_rows[_i].in);
	ck_assert_msg(
	    bpg_s3_uri_encode(uri_rows[_i].in, len, uri_rows[_i].keep_slash,
		out, sizeof(out), &n) == BPG_OK,
	    "row %s", uri_rows[_i].name);
	ck_assert_msg(strcmp(out, uri_rows[_i].out) == 0,
	    "row %s: \"%s\", not \"%s\"", uri_rows[_i].name, out,
	    uri_rows[_i].out);
	ck_assert_msg(
	    n == strlen(out), "row %s: length %zu", uri_rows[_i].name, n);
}
END_TEST

START_TEST(test_uri_encode_bounds)
{
	char out[8];
	size_t n = 99;

	/* "a b" needs 5 bytes and a NUL. */
	ck_assert_int_eq(bpg_s3_uri_encode("a b", 3, true, out, 6, &n), BPG_OK);
	ck_assert_str_eq(out, "a%20b");
	ck_assert_int_eq(
	    bpg_s3_uri_encode("a b", 3, true, out, 5, &n), BPG_ETOOBIG);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(
	    bpg_s3_uri_encode("abc", 3, true, out, 3, &n), BPG_ETOOBIG);
	ck_assert_int_eq(
	    bpg_s3_uri_encode("abc", 3, true, out, 0, &n), BPG_ETOOBIG);
	ck_assert_int_eq(bpg_s3_uri_encode(NULL, 0, true, out, 1, &n), BPG_OK);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(
	    bpg_s3_uri_encode(NULL, 1, true, out, 8, &n), BPG_EINVAL);
}
END_TEST

/*
 * Configuration
 */

static char cf_local[] = "http://127.0.0.1:9";
static char cf_secret[] = "sEcReT-never-printed";
static char cf_key[] = "AKIDEXAMPLE";
static char cf_region[] = "us-west-2";

static const struct {
	const char *name;
	const char *endpoint;
	const char *region;
	const char *key;
	const char *secret;
	const char *token;
	long timeout_ms;
	const char *why;
} conf_bad[] = {
    {"endpoint-ftp", "ftp://127.0.0.1", NULL, NULL, NULL, NULL, 0,
	"http:// or https://"},
    {"endpoint-no-scheme", "127.0.0.1:9000", NULL, NULL, NULL, NULL, 0,
	"http:// or https://"},
    {"endpoint-no-host", "http://", NULL, NULL, NULL, NULL, 0, "host"},
    {"endpoint-port-only", "http://:9000", NULL, NULL, NULL, NULL, 0,
	"no host"},
    {"endpoint-userinfo", "http://u:p@127.0.0.1", NULL, NULL, NULL, NULL, 0,
	"not allowed"},
    {"endpoint-query", "http://127.0.0.1/?x=1", NULL, NULL, NULL, NULL, 0,
	"not allowed"},
    {"endpoint-space", "http://127.0.0.1 /", NULL, NULL, NULL, NULL, 0,
	"not allowed"},
    {"endpoint-newline", "http://127.0.0.1\r\nX: y", NULL, NULL, NULL, NULL, 0,
	"not allowed"},
    {"region-upper", NULL, "US-EAST-1", NULL, NULL, NULL, 0, "region"},
    {"region-colon", NULL, "us:east", NULL, NULL, NULL, 0, "region"},
    {"key-without-secret", NULL, NULL, "AKIDEXAMPLE", NULL, NULL, 0, "both"},
    {"secret-without-key", NULL, NULL, NULL, "sEcReT-never-printed", NULL, 0,
	"both"},
    {"key-with-slash", NULL, NULL, "AKID/X", "sEcReT-never-printed", NULL, 0,
	"access key ID"},
    {"secret-with-newline", NULL, NULL, "AKIDEXAMPLE", "sEcReT-never-printed\n",
	NULL, 0, "secret access key"},
    {"token-with-crlf", NULL, NULL, "AKIDEXAMPLE", "sEcReT-never-printed",
	"tok\r\nX-Injected: 1", 0, "session token"},
    {"token-without-keys", NULL, NULL, NULL, NULL, "tok", 0,
	"without credentials"},
    {"negative-timeout", NULL, NULL, NULL, NULL, NULL, -1, "timeout"},
};

START_TEST(test_conf_bad)
{
	struct bpg_s3conf c = {0};
	struct bpg_errinfo ei = {""};
	struct bpg_s3 *s = (struct bpg_s3 *)(uintptr_t)1;
	char *endpoint = NULL, *region = NULL, *key = NULL, *secret = NULL,
	     *token = NULL;

	/* The struct holds char *, as the config module owns its strings. */
	if (conf_bad[_i].endpoint != NULL)
		endpoint = strdup(conf_bad[_i].endpoint);
	if (conf_bad[_i].region != NULL)
		region = strdup(conf_bad[_i].region);
	if (conf_bad[_i].key != NULL)
		key = strdup(conf_bad[_i].key);
	if (conf_bad[_i].secret != NULL)
		secret = strdup(conf_bad[_i].secret);
	if (conf_bad[_i].token != NULL)
		token = strdup(conf_bad[_i].token);
	c.endpoint = endpoint;
	c.region = region;
	c.access_key_id = key;
	c.secret_access_key = secret;
	c.session_token = token;
	c.timeout_ms = conf_bad[_i].timeout_ms;
	ck_assert_msg(bpg_s3_new(&c, &s, &ei) == BPG_ECONFIG,
	    "row %s: accepted", conf_bad[_i].name);
	ck_assert_msg(s == NULL, "row %s: handle left", conf_bad[_i].name);
	ck_assert_msg(strstr(ei.msg, conf_bad[_i].why) != NULL,
	    "row %s: message \"%s\" lacks \"%s\"", conf_bad[_i].name, ei.msg,
	    conf_bad[_i].why);
	ck_assert_msg(strstr(ei.msg, "sEcReT") == NULL,
	    "row %s: message repeats the secret", conf_bad[_i].name);
	ck_assert_msg(strstr(ei.msg, "Injected") == NULL,
	    "row %s: message repeats the token", conf_bad[_i].name);
	free(endpoint);
	free(region);
	free(key);
	free(secret);
	free(token);
}
END_TEST

START_TEST(test_conf_good)
{
	struct bpg_s3conf c = {0};
	struct bpg_errinfo ei = {""};
	struct bpg_s3 *s;
	struct bpg_s3_stats st;

	/* Defaults: AWS endpoint, us-east-1, anonymous. */
	ck_assert_msg(bpg_s3_new(&c, &s, &ei) == BPG_OK, "%s", ei.msg);
	bpg_s3_get_stats(s, &st);
	ck_assert_int_eq(st.requests, 0);
	bpg_s3_free(s);

	c.endpoint = cf_local;
	c.access_key_id = cf_key;
	c.secret_access_key = cf_secret;
	c.path_style = true;
	ck_assert_msg(bpg_s3_new(&c, &s, &ei) == BPG_OK, "%s", ei.msg);
	bpg_s3_free(s);
	bpg_s3_free(NULL);
}
END_TEST

/* Arguments are checked before anything is sent. */
static const struct {
	const char *name;
	const char *bucket;
	const char *key;
	long long len;
	enum bpg_err err;
} args_bad[] = {
    {"bucket-null", NULL, "k", 1, BPG_EINVAL},
    {"bucket-short", "ab", "k", 1, BPG_EINVAL},
    {"bucket-upper", "Bpg-Test", "k", 1, BPG_EINVAL},
    {"bucket-slash", "bpg/test", "k", 1, BPG_EINVAL},
    {"bucket-dash-first", "-bpg", "k", 1, BPG_EINVAL},
    {"bucket-64",
	"a123456789012345678901234567890123456789012345678901"
	"234567890123",
	"k", 1, BPG_EINVAL},
    {"key-empty", "bpg-test", "", 1, BPG_EINVAL},
    {"key-control", "bpg-test", "a\nb", 1, BPG_EINVAL},
    {"key-bad-utf8", "bpg-test", "a\xff", 1, BPG_EINVAL},
    {"length-negative", "bpg-test", "k", -1, BPG_EINVAL},
    {"length-over-limit", "bpg-test", "k", BPG_S3_MAX_OBJECT + 1, BPG_ETOOBIG},
};

static long
read_never(void *ctx, char *buf, size_t n)
{
	ck_abort_msg("read called");
	return -1;
}

static int
write_never(void *ctx, const char *buf, size_t n)
{
	ck_abort_msg("write called with %zu bytes", n);
	return -1;
}

START_TEST(test_args_bad)
{
	struct bpg_s3conf c = {0};
	struct bpg_errinfo ei = {""};
	struct bpg_s3 *s;
	struct bpg_s3_stats st;
	enum bpg_err e;

	c.endpoint = cf_local;
	c.path_style = true;
	ck_assert_int_eq(bpg_s3_new(&c, &s, &ei), BPG_OK);
	e = bpg_s3_put(s, args_bad[_i].bucket, args_bad[_i].key,
	    args_bad[_i].len, read_never, NULL, &ei);
	ck_assert_msg(e == args_bad[_i].err, "row %s: put gave %s (%s)",
	    args_bad[_i].name, bpg_strerror(e), ei.msg);
	if (args_bad[_i].len >= 0 && args_bad[_i].len <= 1) {
		e = bpg_s3_get(s, args_bad[_i].bucket, args_bad[_i].key,
		    write_never, NULL, &ei);
		ck_assert_msg(e == args_bad[_i].err, "row %s: get gave %s (%s)",
		    args_bad[_i].name, bpg_strerror(e), ei.msg);
	}
	bpg_s3_get_stats(s, &st);
	ck_assert_msg(st.requests == 0, "row %s: %ld requests sent",
	    args_bad[_i].name, st.requests);
	bpg_s3_free(s);
}
END_TEST

/*
 * Against s3rver
 */

static unsigned int
test_port(void)
{
	return tu_env_port("BPG_TEST_S3_PORT", "s3rver.sh");
}

/* A client of 127.0.0.1:port, signing with access key and secret. */
static struct bpg_s3 *
client_at(unsigned int port, const char *access, const char *secret,
    const char *token, long timeout_ms)
{
	struct bpg_s3conf c = {0};
	struct bpg_errinfo ei = {""};
	struct bpg_s3 *s;
	char endpoint[64], *a = NULL, *sk = NULL, *tok = NULL;

	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u", port);
	if (access != NULL)
		ck_assert_ptr_nonnull(a = strdup(access));
	if (secret != NULL)
		ck_assert_ptr_nonnull(sk = strdup(secret));
	if (token != NULL)
		ck_assert_ptr_nonnull(tok = strdup(token));
	c.endpoint = endpoint;
	c.access_key_id = a;
	c.secret_access_key = sk;
	c.session_token = tok;
	c.path_style = true;
	c.timeout_ms = timeout_ms;
	if (bpg_s3_new(&c, &s, &ei) != BPG_OK)
		ck_abort_msg("bpg_s3_new: %s", ei.msg);
	free(a);
	free(sk);
	free(tok);
	return s;
}

static struct bpg_s3 *
client(void)
{
	return client_at(test_port(), ACCESS_KEY, SECRET_KEY, NULL, 0);
}

/* A key under this test's own prefix. */
static void
test_key(char *buf, size_t len, const char *name)
{
	snprintf(
	    buf, len, "t/%ld-%ld/%s", (long)getpid(), (long)time(NULL), name);
}

static struct bpg_s3_stats
stats(const struct bpg_s3 *s)
{
	struct bpg_s3_stats st;

	bpg_s3_get_stats(s, &st);
	return st;
}

/* A body in memory, handed out at most chunk bytes a call. */
struct mem_src {
	const char *p;
	size_t len, off, chunk;
	int fail_at_end; /* return -1 instead of 0 at the end */
};

static long
mem_read(void *arg, char *buf, size_t n)
{
	struct mem_src *m = arg;

	if (m->off == m->len)
		return m->fail_at_end ? -1 : 0;
	if (n > m->len - m->off)
		n = m->len - m->off;
	if (m->chunk > 0 && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (long)n;
}

/* What GetObject wrote. */
struct mem_sink {
	char *p;
	size_t len, cap;
	long calls;
};

static int
mem_write(void *arg, const char *buf, size_t n)
{
	struct mem_sink *m = arg;

	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		ck_assert_ptr_nonnull(m->p = realloc(m->p, m->cap));
	}
	memcpy(m->p + m->len, buf, n);
	m->len += n;
	m->calls++;
	return 0;
}

/*
 * A pseudo-random stream (xorshift64*), produced and checked piecewise so
 * that neither side holds a large body.
 */
struct prng {
	uint64_t x, word;
	int left;
};

static void
prng_init(struct prng *g, uint64_t seed)
{
	g->x = seed | 1;
	g->left = 0;
}

static void
prng_fill(struct prng *g, unsigned char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (g->left == 0) {
			g->x ^= g->x >> 12;
			g->x ^= g->x << 25;
			g->x ^= g->x >> 27;
			g->word = g->x * 0x2545F4914F6CDD1DULL;
			g->left = 8;
		}
		buf[i] = (unsigned char)g->word;
		g->word >>= 8;
		g->left--;
	}
}

struct prng_src {
	struct prng g;
	long long len, off; /* bytes to produce, produced */
	size_t chunk;
	long calls;
};

static long
prng_read(void *arg, char *buf, size_t n)
{
	struct prng_src *p = arg;

	p->calls++;
	if (p->off == p->len)
		return 0;
	if ((long long)n > p->len - p->off)
		n = (size_t)(p->len - p->off);
	if (n > p->chunk)
		n = p->chunk;
	prng_fill(&p->g, (unsigned char *)buf, n);
	p->off += (long long)n;
	return (long)n;
}

struct prng_sink {
	struct prng g;
	long long got, bad_at; /* bad_at: first differing byte, or -1 */
};

static int
prng_write(void *arg, const char *buf, size_t n)
{
	struct prng_sink *p = arg;
	unsigned char want[65536];
	size_t off, k, i;

	for (off = 0; off < n; off += k) {
		k = n - off < sizeof(want) ? n - off : sizeof(want);
		prng_fill(&p->g, want, k);
		if (p->bad_at < 0 && memcmp(want, buf + off, k) != 0) {
			for (i = 0; want[i] == (unsigned char)buf[off + i]; i++)
				;
			p->bad_at = p->got + (long long)(off + i);
		}
	}
	p->got += (long long)n;
	return 0;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
put_mem(struct bpg_s3 *s, const char *key, const void *p, size_t len)
{
	struct mem_src src = {p, len, 0, 0, 0};
	struct bpg_errinfo ei = {""};

	if (bpg_s3_put(s, BUCKET, key, (long long)len, mem_read, &src, &ei) !=
	    BPG_OK)
		ck_abort_msg("put %s: %s", key, ei.msg);
}

/* GetObject must find nothing. */
static void
assert_absent(struct bpg_s3 *s, const char *key)
{
	struct bpg_errinfo ei = {""};
	enum bpg_err e;

	e = bpg_s3_get(s, BUCKET, key, write_never, NULL, &ei);
	ck_assert_msg(
	    e == BPG_ENOTFOUND, "%s: %s (%s)", key, bpg_strerror(e), ei.msg);
}

/* Upload len pseudo-random bytes, read them back and compare. */
static void
roundtrip_prng(struct bpg_s3 *s, const char *key, long long len,
    long want_requests, double *put_secs)
{
	struct prng_src src = {.len = len, .chunk = 65536};
	struct prng_sink sink = {.bad_at = -1};
	struct bpg_errinfo ei = {""};
	struct bpg_s3_stats before = stats(s);
	double t0;

	prng_init(&src.g, (uint64_t)len * 7919);
	prng_init(&sink.g, (uint64_t)len * 7919);
	t0 = now();
	if (bpg_s3_put(s, BUCKET, key, len, prng_read, &src, &ei) != BPG_OK)
		ck_abort_msg("put %lld bytes: %s", len, ei.msg);
	if (put_secs != NULL)
		*put_secs = now() - t0;
	ck_assert_int_eq(src.off, len);
	ck_assert_int_eq(stats(s).requests - before.requests, want_requests);
	if (bpg_s3_get(s, BUCKET, key, prng_write, &sink, &ei) != BPG_OK)
		ck_abort_msg("get %lld bytes: %s", len, ei.msg);
	ck_assert_int_eq(sink.got, len);
	ck_assert_msg(sink.bad_at < 0, "byte %lld differs", sink.bad_at);
}

/*
 * Metadata and conditions against s3rver: the uploader's metadata is
 * stored by PutObject and by CreateMultipartUpload and read back by
 * HeadObject, with the ETag a later If-Match names.  s3rver ignores
 * If-None-Match and If-Match on writes (only GetObject honours them), so
 * a conditional write there always goes through: bpg_s3_head() is what
 * protects an object on such a store.
 */
START_TEST(test_meta_head)
{
	struct bpg_s3 *s = client();
	struct bpg_s3_put_opts o = {"bpg-uploader", "alice", true, NULL};
	struct prng_src big = {
	    .len = BPG_S3_SINGLE_PUT_MAX + 1, .chunk = 65536};
	struct mem_src src = {"hello", 5, 0, 0, 0};
	struct bpg_errinfo ei = {""};
	struct bpg_s3_head h;
	char key[256], etag[BPG_S3_MAX_ETAG + 1];

	test_key(key, sizeof(key), "meta/a.py");
	ck_assert_int_eq(
	    bpg_s3_head(s, BUCKET, key, "bpg-uploader", &h, &ei),
	    BPG_ENOTFOUND);
	ck_assert_msg(bpg_s3_put_with(s, BUCKET, key, 5, mem_read, &src, &o,
			  &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_msg(bpg_s3_head(s, BUCKET, key, "bpg-uploader", &h, &ei) ==
		BPG_OK,
	    "%s", ei.msg);
	ck_assert(h.has_meta);
	ck_assert_str_eq(h.meta, "alice");
	ck_assert(h.etag[0] == '"');
	snprintf(etag, sizeof(etag), "%s", h.etag);
	/* Another name: not there. */
	ck_assert_int_eq(
	    bpg_s3_head(s, BUCKET, key, "other", &h, &ei), BPG_OK);
	ck_assert(!h.has_meta);
	/* If-Match with its ETag: replaced, metadata rewritten. */
	o.if_none_match = false;
	o.if_match = etag;
	o.meta_value = "alice2";
	src.off = 0;
	ck_assert_msg(bpg_s3_put_with(s, BUCKET, key, 5, mem_read, &src, &o,
			  &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_int_eq(
	    bpg_s3_head(s, BUCKET, key, "bpg-uploader", &h, &ei), BPG_OK);
	ck_assert_str_eq(h.meta, "alice2");

	/* Multipart: the metadata goes with CreateMultipartUpload. */
	test_key(key, sizeof(key), "meta/big.bin");
	prng_init(&big.g, 11);
	o.if_match = NULL;
	o.if_none_match = true;
	o.meta_value = "bob";
	ck_assert_msg(bpg_s3_put_with(s, BUCKET, key, big.len, prng_read, &big,
			  &o, &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_int_eq(
	    bpg_s3_head(s, BUCKET, key, "bpg-uploader", &h, &ei), BPG_OK);
	ck_assert(h.has_meta);
	ck_assert_str_eq(h.meta, "bob");
	bpg_s3_free(s);
}
END_TEST

/* Options that are refused before anything is sent. */
static const struct {
	const char *name;
	struct bpg_s3_put_opts o;
} opts_bad[] = {
    {"name-without-value", {"bpg-uploader", NULL, false, NULL}},
    {"value-without-name", {NULL, "x", false, NULL}},
    {"upper-case-name", {"Uploader", "x", false, NULL}},
    {"empty-name", {"", "x", false, NULL}},
    {"newline-in-value", {"u", "a\r\nx-amz-acl: public-read", false, NULL}},
    {"non-ascii-value", {"u", "j\xc3\xb6rg", false, NULL}},
    {"both-conditions", {NULL, NULL, true, "\"e\""}},
    {"empty-etag", {NULL, NULL, false, ""}},
    {"etag-with-newline", {NULL, NULL, false, "\"e\"\r\nX: y"}},
};

START_TEST(test_opts_bad)
{
	struct bpg_s3conf c = {0};
	struct mem_src src = {"x", 1, 0, 0, 0};
	struct bpg_errinfo ei = {""};
	struct bpg_s3 *s;

	c.endpoint = (char *)(uintptr_t) "http://127.0.0.1:1";
	ck_assert_int_eq(bpg_s3_new(&c, &s, &ei), BPG_OK);
	ck_assert_msg(bpg_s3_put_with(s, BUCKET, "k", 1, mem_read, &src,
			  &opts_bad[_i].o, &ei) == BPG_EINVAL,
	    "row %s", opts_bad[_i].name);
	ck_assert_int_eq(stats(s).requests, 0);
	bpg_s3_free(s);
}
END_TEST


START_TEST(test_small_roundtrip)
{
	struct bpg_s3 *s = client();
	struct mem_sink out = {0};
	struct bpg_errinfo ei = {""};
	unsigned char bin[256];
	char key[256];
	int i;

	for (i = 0; i < 256; i++)
		bin[i] = (unsigned char)(255 - i);
	test_key(key, sizeof(key), "small/hello.txt");
	put_mem(s, key, "hello, world\n", 13);
	ck_assert_int_eq(stats(s).requests, 1);
	ck_assert_int_eq(
	    bpg_s3_get(s, BUCKET, key, mem_write, &out, &ei), BPG_OK);
	ck_assert_uint_eq(out.len, 13);
	ck_assert_mem_eq(out.p, "hello, world\n", 13);

	/* Binary, with NUL bytes; overwrite in place. */
	put_mem(s, key, bin, sizeof(bin));
	out.len = 0;
	ck_assert_int_eq(
	    bpg_s3_get(s, BUCKET, key, mem_write, &out, &ei), BPG_OK);
	ck_assert_uint_eq(out.len, sizeof(bin));
	ck_assert_mem_eq(out.p, bin, sizeof(bin));
	free(out.p);
	bpg_s3_free(s);
}
END_TEST

/*
 * Keys that need SigV4 URI encoding: s3rver recomputes the signature from
 * the decoded key, so a wrong canonical URI is refused.  ("a//b" is a
 * valid S3 key too, but s3rver's router does not match it.)
 */
static const struct {
	const char *name;
	const char *key;
} odd_keys[] = {
    {"space", "sp ace/a b.jar"},
    {"plus-and-equals", "a+b=c&d.py"},
    {"sub-delims", "x!$'()*,;.txt"},
    {"percent", "100%/x%41.txt"},
    {"tilde-colon-at", "~user/a:b@c.txt"},
    {"unicode",
	"r\xc3\xa9sum\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/"
	"\xf0\x9f\x98\x80.txt"},
};

START_TEST(test_odd_keys)
{
	struct bpg_s3 *s = client();
	struct mem_sink out = {0};
	struct bpg_errinfo ei = {""};
	char key[512];
	enum bpg_err e;

	test_key(key, sizeof(key), odd_keys[_i].key);
	{
		struct mem_src src = {key, strlen(key), 0, 0, 0};

		e = bpg_s3_put(
		    s, BUCKET, key, (long long)src.len, mem_read, &src, &ei);
		ck_assert_msg(
		    e == BPG_OK, "row %s: put: %s", odd_keys[_i].name, ei.msg);
	}
	e = bpg_s3_get(s, BUCKET, key, mem_write, &out, &ei);
	ck_assert_msg(
	    e == BPG_OK, "row %s: get: %s", odd_keys[_i].name, ei.msg);
	ck_assert_msg(
	    out.len == strlen(key) && memcmp(out.p, key, out.len) == 0,
	    "row %s: wrong content", odd_keys[_i].name);
	free(out.p);
	bpg_s3_free(s);
}
END_TEST

START_TEST(test_empty_object)
{
	struct bpg_s3 *s = client();
	struct mem_sink out = {0};
	struct bpg_errinfo ei = {""};
	char key[256];

	test_key(key, sizeof(key), "empty");
	put_mem(s, key, "", 0);
	ck_assert_int_eq(
	    bpg_s3_get(s, BUCKET, key, mem_write, &out, &ei), BPG_OK);
	ck_assert_uint_eq(out.len, 0);
	free(out.p);
	bpg_s3_free(s);
}
END_TEST

/* Single PUT up to the threshold, multipart above it. */
START_TEST(test_threshold)
{
	struct bpg_s3 *s = client();
	char key[256];

	test_key(key, sizeof(key), "at-threshold");
	roundtrip_prng(s, key, BPG_S3_SINGLE_PUT_MAX, 1, NULL);
	/* Create, two parts (the second of 1 byte), complete. */
	test_key(key, sizeof(key), "over-threshold");
	roundtrip_prng(s, key, BPG_S3_SINGLE_PUT_MAX + 1, 4, NULL);
	/* Exactly two full parts. */
	test_key(key, sizeof(key), "two-parts");
	roundtrip_prng(s, key, 2 * BPG_S3_PART_SIZE, 4, NULL);
	bpg_s3_free(s);
}
END_TEST

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

/* Valgrind preloads its own libraries; its RSS is not ours. */
static bool
rss_is_ours(void)
{
	const char *lp = getenv("LD_PRELOAD");

#ifdef UNDER_ASAN
	return false;
#endif
	return lp == NULL || strstr(lp, "vgpreload") == NULL;
}

START_TEST(test_large_multipart)
{
	struct bpg_s3 *s = client();
	struct rusage ru;
	double secs;
	char key[256];
	long parts =
	    (long)((LARGE_SIZE + BPG_S3_PART_SIZE - 1) / BPG_S3_PART_SIZE);

	test_key(key, sizeof(key), "large.bin");
	roundtrip_prng(s, key, LARGE_SIZE, parts + 2, &secs);
	getrusage(RUSAGE_SELF, &ru);
	printf("check_s3: %lld MiB multipart upload (%ld parts) in %.2f s "
	       "(%.1f MiB/s); peak RSS of the test process %ld KiB\n",
	    LARGE_SIZE / MIB, parts, secs, (double)LARGE_SIZE / MIB / secs,
	    ru.ru_maxrss);
	fflush(stdout);
	if (rss_is_ours())
		ck_assert_msg(ru.ru_maxrss < RSS_LIMIT_KIB,
		    "peak RSS %ld KiB for a streamed upload", ru.ru_maxrss);
	bpg_s3_free(s);
}
END_TEST

/* A body that ends early is never stored, and costs no request. */
START_TEST(test_short_single)
{
	struct bpg_s3 *s = client();
	struct bpg_errinfo ei = {""};
	struct mem_src src = {"0123456789", 10, 0, 3, 0};
	char key[256];

	test_key(key, sizeof(key), "short-single");
	ck_assert_int_eq(
	    bpg_s3_put(s, BUCKET, key, 1000, mem_read, &src, &ei), BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg,
			  "shorter than its content length "
			  "(10 of 1000 bytes)") != NULL,
	    "%s", ei.msg);
	ck_assert_int_eq(stats(s).requests, 0);
	assert_absent(s, key);
	bpg_s3_free(s);
}
END_TEST

/*
 * Short in a later part: the multipart upload is aborted.  s3rver does
 * not implement ListMultipartUploads or AbortMultipartUpload (it answers
 * 501 and 405), so the test checks that the abort was sent and that no
 * object appeared.
 */
START_TEST(test_short_multipart)
{
	struct bpg_s3 *s = client();
	struct bpg_errinfo ei = {""};
	struct prng_src src = {.len = 12 * MIB, .chunk = 65536};
	struct bpg_s3_stats st;
	char key[256];

	prng_init(&src.g, 1);
	test_key(key, sizeof(key), "short-multipart");
	ck_assert_int_eq(
	    bpg_s3_put(s, BUCKET, key, 20 * MIB, prng_read, &src, &ei),
	    BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg,
			  "shorter than its content length "
			  "(12582912 of 20971520 bytes)") != NULL,
	    "%s", ei.msg);
	st = stats(s);
	/* Create, part 1, abort: part 2 was never sent. */
	ck_assert_int_eq(st.aborts, 1);
	ck_assert_int_eq(st.requests, 3);
	printf("check_s3: AbortMultipartUpload %s by s3rver\n",
	    st.aborts_failed ? "refused (not implemented)" : "accepted");
	assert_absent(s, key);
	bpg_s3_free(s);
}
END_TEST

/* Short within the first part: nothing is sent at all. */
START_TEST(test_short_first_part)
{
	struct bpg_s3 *s = client();
	struct bpg_errinfo ei = {""};
	struct prng_src src = {.len = 3 * MIB, .chunk = 65536};
	char key[256];

	prng_init(&src.g, 2);
	test_key(key, sizeof(key), "short-first-part");
	ck_assert_int_eq(
	    bpg_s3_put(s, BUCKET, key, 20 * MIB, prng_read, &src, &ei),
	    BPG_EINVAL);
	ck_assert_int_eq(stats(s).requests, 0);
	ck_assert_int_eq(stats(s).aborts, 0);
	assert_absent(s, key);
	bpg_s3_free(s);
}
END_TEST

/* More bytes than announced is as wrong as fewer (spec section 6). */
START_TEST(test_long_body)
{
	struct bpg_s3 *s = client();
	struct bpg_errinfo ei = {""};
	struct mem_src src = {"0123456789", 10, 0, 0, 0};
	struct prng_src big = {.len = 9 * MIB + 1, .chunk = 65536};
	char key[256];

	test_key(key, sizeof(key), "long-single");
	ck_assert_int_eq(
	    bpg_s3_put(s, BUCKET, key, 9, mem_read, &src, &ei), BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, "longer than its content length") != NULL,
	    "%s", ei.msg);
	ck_assert_int_eq(stats(s).requests, 0);
	assert_absent(s, key);

	prng_init(&big.g, 3);
	test_key(key, sizeof(key), "long-multipart");
	ck_assert_int_eq(
	    bpg_s3_put(s, BUCKET, key, 9 * MIB, prng_read, &big, &ei),
	    BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, "longer than its content length") != NULL,
	    "%s", ei.msg);
	/* Create, part 1, abort (the check comes before the last part). */
	ck_assert_int_eq(stats(s).aborts, 1);
	assert_absent(s, key);
	bpg_s3_free(s);
}
END_TEST

START_TEST(test_read_error)
{
	struct bpg_s3 *s = client();
	struct bpg_errinfo ei = {""};
	struct mem_src src = {"0123456789", 10, 0, 0, 1};
	char key[256];

	test_key(key, sizeof(key), "read-error");
	ck_assert_int_eq(
	    bpg_s3_put(s, BUCKET, key, 100, mem_read, &src, &ei), BPG_EIO);
	ck_assert_int_eq(stats(s).requests, 0);
	assert_absent(s, key);
	bpg_s3_free(s);
}
END_TEST

START_TEST(test_missing_object)
{
	struct bpg_s3 *s = client();
	struct bpg_errinfo ei = {""};
	char key[256];

	test_key(key, sizeof(key), "no-such-key");
	ck_assert_int_eq(
	    bpg_s3_get(s, BUCKET, key, write_never, NULL, &ei), BPG_ENOTFOUND);
	ck_assert_msg(
	    strstr(ei.msg, "HTTP 404 NoSuchKey") != NULL, "%s", ei.msg);
	ck_assert_msg(
	    strstr(ei.msg, "s3://" BUCKET "/t/") != NULL, "%s", ei.msg);
	bpg_s3_free(s);
}
END_TEST

START_TEST(test_missing_bucket)
{
	struct bpg_s3 *s = client();
	struct bpg_errinfo ei = {""};
	struct mem_src src = {"0123456789", 10, 0, 0, 0};
	struct prng_src big = {.len = 9 * MIB, .chunk = 65536};

	ck_assert_int_eq(
	    bpg_s3_get(s, MISSING_BUCKET, "a.txt", write_never, NULL, &ei),
	    BPG_ENOTFOUND);
	ck_assert_msg(strstr(ei.msg, "NoSuchBucket") != NULL, "%s", ei.msg);

	ck_assert_int_eq(
	    bpg_s3_put(s, MISSING_BUCKET, "a.txt", 10, mem_read, &src, &ei),
	    BPG_ENOTFOUND);
	ck_assert_msg(strstr(ei.msg,
			  "S3 PutObject s3://" MISSING_BUCKET
			  "/a.txt: HTTP 404 NoSuchBucket") != NULL,
	    "%s", ei.msg);

	/* Multipart: CreateMultipartUpload fails, so there is no abort. */
	prng_init(&big.g, 4);
	ck_assert_int_eq(bpg_s3_put(s, MISSING_BUCKET, "b.bin", big.len,
			     prng_read, &big, &ei),
	    BPG_ENOTFOUND);
	ck_assert_msg(
	    strstr(ei.msg, "CreateMultipartUpload") != NULL, "%s", ei.msg);
	ck_assert_int_eq(stats(s).aborts, 0);
	bpg_s3_free(s);
}
END_TEST

/* s3rver verifies SigV4: a wrong secret is refused, and never echoed. */
START_TEST(test_wrong_secret)
{
	struct bpg_s3 *good = client();
	struct bpg_s3 *s =
	    client_at(test_port(), ACCESS_KEY, WRONG_SECRET, NULL, 0);
	struct bpg_errinfo ei = {""};
	struct mem_src src = {"0123456789", 10, 0, 0, 0};
	struct prng_src big = {.len = 9 * MIB, .chunk = 65536};
	char key[256];

	test_key(key, sizeof(key), "wrong-secret");
	ck_assert_int_eq(
	    bpg_s3_put(s, BUCKET, key, 10, mem_read, &src, &ei), BPG_EUPSTREAM);
	ck_assert_msg(strstr(ei.msg, "HTTP 403 SignatureDoesNotMatch") != NULL,
	    "%s", ei.msg);
	ck_assert_msg(strstr(ei.msg, WRONG_SECRET) == NULL, "%s", ei.msg);
	assert_absent(good, key);

	/* An object that exists is not read either. */
	put_mem(good, key, "x", 1);
	ck_assert_int_eq(
	    bpg_s3_get(s, BUCKET, key, write_never, NULL, &ei), BPG_EUPSTREAM);
	ck_assert_msg(
	    strstr(ei.msg, "SignatureDoesNotMatch") != NULL, "%s", ei.msg);
	ck_assert_msg(strstr(ei.msg, WRONG_SECRET) == NULL, "%s", ei.msg);

	prng_init(&big.g, 5);
	ck_assert_int_eq(
	    bpg_s3_put(s, BUCKET, key, big.len, prng_read, &big, &ei),
	    BPG_EUPSTREAM);
	ck_assert_msg(
	    strstr(ei.msg, "CreateMultipartUpload") != NULL, "%s", ei.msg);
	ck_assert_msg(strstr(ei.msg, WRONG_SECRET) == NULL, "%s", ei.msg);
	bpg_s3_free(s);
	bpg_s3_free(good);
}
END_TEST

START_TEST(test_unknown_access_key)
{
	struct bpg_s3 *s =
	    client_at(test_port(), "NOSUCHKEYID", SECRET_KEY, NULL, 0);
	struct bpg_errinfo ei = {""};

	ck_assert_int_eq(bpg_s3_get(s, BUCKET, "a.txt", write_never, NULL, &ei),
	    BPG_EUPSTREAM);
	ck_assert_msg(strstr(ei.msg, "HTTP 403 InvalidAccessKeyId") != NULL,
	    "%s", ei.msg);
	bpg_s3_free(s);
}
END_TEST

/* The token header is signed along with the request. */
START_TEST(test_session_token)
{
	struct bpg_s3 *s = client_at(test_port(), ACCESS_KEY, SECRET_KEY,
	    "FwoGZXIvYXdzEJr//////////wEaDH+token/example==", 0);
	struct mem_sink out = {0};
	struct bpg_errinfo ei = {""};
	char key[256];

	test_key(key, sizeof(key), "token.txt");
	put_mem(s, key, "tok", 3);
	ck_assert_int_eq(
	    bpg_s3_get(s, BUCKET, key, mem_write, &out, &ei), BPG_OK);
	ck_assert_uint_eq(out.len, 3);
	free(out.p);
	bpg_s3_free(s);
}
END_TEST

/* One connection serves many requests, failed ones included. */
START_TEST(test_keepalive)
{
	struct bpg_s3 *s = client();
	struct mem_sink out = {0};
	struct bpg_errinfo ei = {""};
	char key[256];
	int i;

	test_key(key, sizeof(key), "keepalive");
	for (i = 0; i < 5; i++) {
		put_mem(s, key, "abc", 3);
		out.len = 0;
		ck_assert_int_eq(
		    bpg_s3_get(s, BUCKET, key, mem_write, &out, &ei), BPG_OK);
		ck_assert_int_eq(
		    bpg_s3_get(s, BUCKET, "t/none", write_never, NULL, &ei),
		    BPG_ENOTFOUND);
	}
	ck_assert_int_eq(stats(s).requests, 15);
	ck_assert_int_eq(stats(s).connects, 1);
	free(out.p);
	bpg_s3_free(s);
}
END_TEST

/* A sink that gives up stops the transfer. */
static int
write_fail(void *ctx, const char *buf, size_t n)
{
	(*(int *)ctx)++;
	return -1;
}

START_TEST(test_sink_abort)
{
	struct bpg_s3 *s = client();
	struct bpg_errinfo ei = {""};
	char key[256];
	int calls = 0;

	test_key(key, sizeof(key), "sink-abort");
	put_mem(s, key, "some bytes", 10);
	ck_assert_int_eq(
	    bpg_s3_get(s, BUCKET, key, write_fail, &calls, &ei), BPG_EIO);
	ck_assert_int_eq(calls, 1);
	ck_assert_msg(strstr(ei.msg, "output closed") != NULL, "%s", ei.msg);
	bpg_s3_free(s);
}
END_TEST

START_TEST(test_server_down)
{
	struct bpg_s3 *s =
	    client_at(tu_closed_port(), ACCESS_KEY, SECRET_KEY, NULL, 0);
	struct bpg_errinfo ei = {""};
	struct mem_src src = {"0123456789", 10, 0, 0, 0};
	double t0 = now();

	ck_assert_int_eq(
	    bpg_s3_put(s, BUCKET, "a.txt", 10, mem_read, &src, &ei),
	    BPG_EUPSTREAM);
	ck_assert_msg(
	    strstr(ei.msg, "S3 PutObject s3://" BUCKET "/a.txt: ") != NULL,
	    "%s", ei.msg);
	ck_assert_int_eq(bpg_s3_get(s, BUCKET, "a.txt", write_never, NULL, &ei),
	    BPG_EUPSTREAM);
	ck_assert_msg(now() - t0 < 2.0, "took %.1f s", now() - t0);
	bpg_s3_free(s);
}
END_TEST

/* A server that accepts connections and never answers. */
START_TEST(test_timeout)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	struct bpg_errinfo ei = {""};
	struct bpg_s3 *s;
	double t0, dt;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	/* The kernel completes the handshake; no one reads the request. */
	s = client_at(ntohs(sa.sin_port), ACCESS_KEY, SECRET_KEY, NULL, 1000);
	t0 = now();
	ck_assert_int_eq(bpg_s3_get(s, BUCKET, "a.txt", write_never, NULL, &ei),
	    BPG_ETIMEOUT);
	dt = now() - t0;
	ck_assert_msg(dt >= 0.9 && dt < 5.0, "took %.1f s", dt);
	ck_assert_msg(
	    strstr(ei.msg, "S3 GetObject s3://" BUCKET "/a.txt: ") != NULL,
	    "%s", ei.msg);
	bpg_s3_free(s);
	close(fd);
}
END_TEST

/*
 * Request shape and the failure paths s3rver cannot produce (it has no
 * AbortMultipartUpload and never fails a part), against a scripted peer:
 * a child process that answers each request on 127.0.0.1 with the next
 * canned response and writes what it received to a file.
 */

struct canned {
	int status; /* 0: body is the whole raw response */
	const char *headers; /* extra header lines, each ending in \r\n */
	const char *body;
};

#define WIRE_MAX_BODY 65536

/* Bytes of a connection, read through a buffer. */
struct conn {
	int fd;
	char buf[65536];
	size_t len;
};

static ssize_t
conn_fill(struct conn *c)
{
	ssize_t r = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);

	if (r > 0)
		c->len += (size_t)r;
	return r;
}

/*
 * The next request head into head[], from the open connection or from a
 * new one (curl opens another for another host name).
 */
static void
next_head(int lfd, struct conn *c, char *head, size_t headlen)
{
	struct pollfd pfd[2];
	char *end;
	size_t n;

	for (;;) {
		if (c->fd >= 0 &&
		    (end = memmem(c->buf, c->len, "\r\n\r\n", 4)) != NULL)
			break;
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = c->fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, c->fd >= 0 ? 2 : 1, -1) < 0)
			_exit(2);
		if (c->fd >= 0 && pfd[1].revents != 0 &&
		    (c->len == sizeof(c->buf) || conn_fill(c) <= 0)) {
			close(c->fd);
			c->fd = -1;
			c->len = 0;
		}
		if (pfd[0].revents & POLLIN) {
			if (c->fd >= 0)
				close(c->fd);
			c->len = 0;
			if ((c->fd = accept(lfd, NULL, NULL)) < 0)
				_exit(2);
		}
	}
	n = (size_t)(end - c->buf) + 4;
	if (n >= headlen)
		_exit(3);
	memcpy(head, c->buf, n);
	head[n] = '\0';
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Value of a header in a request head, or NULL. */
static const char *
head_value(const char *head, const char *name)
{
	size_t nl = strlen(name);
	const char *p;

	for (p = strstr(head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n"))
		if (strncasecmp(p + 2, name, nl) == 0 && p[2 + nl] == ':')
			return p + 2 + nl + 1 + strspn(p + 3 + nl, " ");
	return NULL;
}

static void
serve(int lfd, FILE *rec, const struct canned *script, int n)
{
	static struct conn c;
	static char head[16384];
	const char *v;
	long long left;
	bool keep_body;
	int i;

	c.fd = -1;
	for (i = 0; i < n; i++) {
		next_head(lfd, &c, head, sizeof(head));
		fprintf(rec, "=== REQUEST\n%s", head);
		v = head_value(head, "Expect");
		if (v != NULL && strncasecmp(v, "100-continue", 12) == 0 &&
		    write(c.fd, "HTTP/1.1 100 Continue\r\n\r\n", 25) != 25)
			_exit(4);
		v = head_value(head, "Content-Length");
		left = v != NULL ? atoll(v) : 0;
		/* Small bodies are recorded (XML), parts are not. */
		keep_body = left <= WIRE_MAX_BODY;
		while (left > 0) {
			size_t k;

			if (c.len == 0 && conn_fill(&c) <= 0)
				_exit(5);
			k = c.len < (size_t)left ? c.len : (size_t)left;
			if (keep_body)
				fwrite(c.buf, 1, k, rec);
			memmove(c.buf, c.buf + k, c.len - k);
			c.len -= k;
			left -= (long long)k;
		}
		fflush(rec);
		if (script[i].status == 0) {
			/* A raw response, then the connection closes. */
			dprintf(c.fd, "%s", script[i].body);
			break;
		}
		dprintf(c.fd,
		    "HTTP/1.1 %d X\r\n%sContent-Length: %zu\r\n\r\n%s",
		    script[i].status,
		    script[i].headers != NULL ? script[i].headers : "",
		    script[i].body != NULL ? strlen(script[i].body) : 0,
		    script[i].body != NULL ? script[i].body : "");
	}
	if (c.fd >= 0)
		close(c.fd);
}

struct wire {
	pid_t pid;
	unsigned int port;
	char path[64];
};

/* Start the peer; it exits after the last response. */
static void
wire_start(struct wire *w, const struct canned *script, int n)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	FILE *rec;
	int lfd = socket(AF_INET, SOCK_STREAM, 0), tfd;

	ck_assert_int_ge(lfd, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	w->port = ntohs(sa.sin_port);
	snprintf(w->path, sizeof(w->path), "/tmp/check_s3_wire.XXXXXX");
	ck_assert_int_ge(tfd = mkstemp(w->path), 0);
	close(tfd);
	fflush(NULL);
	ck_assert_int_ge(w->pid = fork(), 0);
	if (w->pid == 0) {
		alarm(60);
		if ((rec = fopen(w->path, "w")) == NULL)
			_exit(1);
		serve(lfd, rec, script, n);
		fclose(rec);
		_exit(0);
	}
	close(lfd);
}

/* Wait for the peer; the requests it saw, a string the caller frees. */
static char *
wire_finish(struct wire *w)
{
	FILE *f;
	char *s;
	long n;
	int st;

	ck_assert_int_eq(waitpid(w->pid, &st, 0), w->pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "scripted peer failed (status %d)", st);
	ck_assert_ptr_nonnull(f = fopen(w->path, "r"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(s = malloc((size_t)n + 1));
	ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	unlink(w->path);
	return s;
}

/* The i-th recorded request (0-based), cut off at the next one. */
static char *
wire_request(const char *rec, int i)
{
	const char *p = rec, *end;
	char *s;

	for (; i >= 0; i--) {
		p = strstr(p, "=== REQUEST\n");
		ck_assert_msg(p != NULL, "request missing");
		p += 12;
	}
	end = strstr(p, "=== REQUEST\n");
	if (end == NULL)
		end = p + strlen(p);
	ck_assert_ptr_nonnull(s = strndup(p, (size_t)(end - p)));
	return s;
}

static int
wire_count(const char *rec)
{
	const char *p;
	int n = 0;

	for (p = rec; (p = strstr(p, "=== REQUEST\n")) != NULL; p += 12)
		n++;
	return n;
}

#define ASSERT_HAS(hay, needle)                                                \
	ck_assert_msg(strstr((hay), (needle)) != NULL, "\"%s\" not in:\n%s",   \
	    (needle), (hay))

static char wire_token[] = "tok-123/abc=";

/* Virtual-hosted style, a base path, the token header, region. */
START_TEST(test_wire_vhost)
{
	static const char nokey[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
	    "NoSuchKey</Code><Message>The specified key does not exist."
	    "</Message></Error>";
	const struct canned script[] = {
	    {404, "Content-Type: application/xml\r\n", nokey},
	    {404, "Content-Type: application/xml\r\n", nokey},
	};
	struct bpg_s3conf c = {0};
	struct bpg_errinfo ei = {""};
	struct wire w;
	struct bpg_s3 *s;
	char endpoint[64], host[64], *rec, *r0, *r1;

	wire_start(&w, script, 2);
	/* *.localhost is loopback (RFC 6761 section 6.3); curl knows. */
	snprintf(
	    endpoint, sizeof(endpoint), "http://localhost:%u/base/", w.port);
	c.endpoint = endpoint;
	c.region = cf_region;
	c.access_key_id = cf_key;
	c.secret_access_key = cf_secret;
	c.session_token = wire_token;
	ck_assert_int_eq(bpg_s3_new(&c, &s, &ei), BPG_OK);
	ck_assert_int_eq(
	    bpg_s3_get(s, "bpg-test", "dir/a b.txt", write_never, NULL, &ei),
	    BPG_ENOTFOUND);
	ck_assert_str_eq(ei.msg,
	    "S3 GetObject s3://bpg-test/dir/a b.txt: "
	    "HTTP 404 NoSuchKey: The specified key does "
	    "not exist.");
	/* A bucket with a '.' goes path-style. */
	ck_assert_int_eq(
	    bpg_s3_get(s, "my.bucket", "x", write_never, NULL, &ei),
	    BPG_ENOTFOUND);
	bpg_s3_free(s);

	rec = wire_finish(&w);
	r0 = wire_request(rec, 0);
	r1 = wire_request(rec, 1);
	ASSERT_HAS(r0, "GET /base/dir/a%20b.txt HTTP/1.1\r\n");
	snprintf(host, sizeof(host), "Host: bpg-test.localhost:%u\r\n", w.port);
	ASSERT_HAS(r0, host);
	ASSERT_HAS(r0, "Credential=AKIDEXAMPLE/");
	ASSERT_HAS(r0, "/us-west-2/s3/aws4_request");
	ASSERT_HAS(r0,
	    "SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
	    "x-amz-security-token");
	ASSERT_HAS(r0, "x-amz-security-token: tok-123/abc=\r\n");
	ASSERT_HAS(r0,
	    "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855\r\n");
	ck_assert_msg(strstr(rec, "sEcReT") == NULL, "secret sent:\n%s", rec);
	ASSERT_HAS(r1, "GET /base/my.bucket/x HTTP/1.1\r\n");
	snprintf(host, sizeof(host), "Host: localhost:%u\r\n", w.port);
	ASSERT_HAS(r1, host);
	free(r0);
	free(r1);
	free(rec);
}
END_TEST

static const char init_ok[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<InitiateMultipartUploadResult><Bucket>bpg-test</Bucket>"
    "<Key>k.bin</Key><UploadId>VXBsb2Fk+ID/x=</UploadId>"
    "</InitiateMultipartUploadResult>";
#define ENC_ID "VXBsb2Fk%2BID%2Fx%3D"

/* Upload BPG_S3_SINGLE_PUT_MAX + 1 bytes (two parts) to the peer. */
static enum bpg_err
wire_put(struct wire *w, const struct canned *script, int n,
    struct bpg_s3_stats *st, struct bpg_errinfo *ei)
{
	struct prng_src src = {
	    .len = BPG_S3_SINGLE_PUT_MAX + 1, .chunk = 65536};
	struct bpg_s3 *s;
	enum bpg_err e;

	prng_init(&src.g, 6);
	wire_start(w, script, n);
	s = client_at(w->port, ACCESS_KEY, SECRET_KEY, NULL, 10000);
	e = bpg_s3_put(s, BUCKET, "k.bin", src.len, prng_read, &src, ei);
	*st = stats(s);
	bpg_s3_free(s);
	return e;
}

/*
 * CompleteMultipartUpload may answer 200 with an <Error> body (S3 API:
 * CompleteMultipartUpload); the upload is then aborted.
 */
START_TEST(test_wire_complete_error)
{
	const struct canned script[] = {
	    {200, NULL, init_ok},
	    {200, "ETag: \"etag-1\"\r\n", NULL},
	    {200, "ETag: \"etag-2\"\r\n", NULL},
	    {200, NULL,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>"
		"InternalError</Code><Message>We encountered an internal "
		"error. Please try again.</Message></Error>"},
	    {204, NULL, NULL},
	};
	struct bpg_errinfo ei = {""};
	struct bpg_s3_stats st;
	struct wire w;
	char *rec, *r;

	ck_assert_int_eq(wire_put(&w, script, 5, &st, &ei), BPG_EUPSTREAM);
	ck_assert_str_eq(ei.msg,
	    "S3 CompleteMultipartUpload s3://bpg-test/"
	    "k.bin: HTTP 200 InternalError: We "
	    "encountered an internal error. Please try "
	    "again.");
	ck_assert_int_eq(st.aborts, 1);
	ck_assert_int_eq(st.aborts_failed, 0);
	rec = wire_finish(&w);
	ck_assert_int_eq(wire_count(rec), 5);
	r = wire_request(rec, 0);
	ASSERT_HAS(r, "POST /bpg-test/k.bin?uploads= HTTP/1.1\r\n");
	ASSERT_HAS(r, "Content-Type: application/octet-stream\r\n");
	free(r);
	r = wire_request(rec, 1);
	ASSERT_HAS(r,
	    "PUT /bpg-test/k.bin?partNumber=1&uploadId=" ENC_ID
	    " HTTP/1.1\r\n");
	ASSERT_HAS(r, "Content-Length: 8388608\r\n");
	ASSERT_HAS(r, "x-amz-content-sha256: UNSIGNED-PAYLOAD\r\n");
	free(r);
	r = wire_request(rec, 2);
	ASSERT_HAS(r,
	    "PUT /bpg-test/k.bin?partNumber=2&uploadId=" ENC_ID
	    " HTTP/1.1\r\n");
	ASSERT_HAS(r, "Content-Length: 1\r\n");
	free(r);
	r = wire_request(rec, 3);
	ASSERT_HAS(r, "POST /bpg-test/k.bin?uploadId=" ENC_ID " HTTP/1.1\r\n");
	ASSERT_HAS(r, "Content-Type: application/xml\r\n");
	ASSERT_HAS(r,
	    "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com"
	    "/doc/2006-03-01/\"><Part><PartNumber>1</PartNumber>"
	    "<ETag>\"etag-1\"</ETag></Part><Part><PartNumber>2"
	    "</PartNumber><ETag>\"etag-2\"</ETag></Part>"
	    "</CompleteMultipartUpload>");
	free(r);
	r = wire_request(rec, 4);
	ASSERT_HAS(
	    r, "DELETE /bpg-test/k.bin?uploadId=" ENC_ID " HTTP/1.1\r\n");
	free(r);
	free(rec);
}
END_TEST

/* Failure paths of a multipart upload, each a scripted conversation. */
static const struct {
	const char *name;
	struct canned script[5];
	int n;
	enum bpg_err err;
	const char *why;
	long aborts, aborts_failed;
} wire_fail[] = {
    {"part-without-etag",
	{{200, NULL, init_ok}, {200, "ETag: \"etag-1\"\r\n", NULL},
	    {200, NULL, NULL}, {204, NULL, NULL}},
	4, BPG_EUPSTREAM, "no usable ETag in the answer for part 2", 1, 0},
    {"part-etag-with-markup",
	{{200, NULL, init_ok}, {200, "ETag: \"a<b\"\r\n", NULL},
	    {204, NULL, NULL}},
	3, BPG_EUPSTREAM, "no usable ETag in the answer for part 1", 1, 0},
    {"part-slow-down-abort-refused",
	{{200, NULL, init_ok},
	    {503, NULL,
		"<Error><Code>SlowDown</Code><Message>Please reduce your "
		"request rate.</Message></Error>"},
	    {404, NULL,
		"<Error><Code>NoSuchUpload</Code><Message>The specified "
		"upload does not exist.</Message></Error>"}},
	3, BPG_EUPSTREAM,
	"S3 UploadPart s3://bpg-test/k.bin: HTTP 503 SlowDown: Please "
	"reduce your request rate.",
	1, 1},
    {"init-without-upload-id",
	{{200, NULL, "<InitiateMultipartUploadResult/>"}}, 1, BPG_EUPSTREAM,
	"no UploadId in the answer", 0, 0},
    {"init-upload-id-with-space", {{200, NULL, "<UploadId>a b</UploadId>"}}, 1,
	BPG_EUPSTREAM, "no UploadId in the answer", 0, 0},
    {"init-html-error",
	{{502, "Content-Type: text/html\r\n",
	    "<html><body>Bad Gateway</body></html>"}},
	1, BPG_EUPSTREAM,
	"S3 CreateMultipartUpload s3://bpg-test/k.bin: HTTP 502", 0, 0},
    {"init-permanent-redirect",
	{{301, NULL,
	    "<Error><Code>PermanentRedirect</Code><Message>The bucket you "
	    "are attempting to access must be addressed using the "
	    "specified endpoint.</Message></Error>"}},
	1, BPG_EUPSTREAM, "HTTP 301 PermanentRedirect: The bucket", 0, 0},
    {"init-entity-escapes",
	{{400, NULL,
	    "<Error><Code>InvalidArgument</Code><Message>a &lt;b&gt; &amp; "
	    "&quot;c&quot; &apos;d&apos; &#10;</Message></Error>"}},
	1, BPG_EUPSTREAM, "HTTP 400 InvalidArgument: a <b> & \"c\" 'd' &#10;",
	0, 0},
    {"complete-request-timeout",
	{{200, NULL, init_ok}, {200, "ETag: \"e1\"\r\n", NULL},
	    {200, "ETag: \"e2\"\r\n", NULL},
	    {400, NULL,
		"<Error><Code>RequestTimeout</Code><Message>Your socket "
		"connection to the server was not read from or written to "
		"within the timeout period.</Message></Error>"},
	    {204, NULL, NULL}},
	5, BPG_ETIMEOUT, "HTTP 400 RequestTimeout", 1, 0},
};

START_TEST(test_wire_fail)
{
	struct bpg_errinfo ei = {""};
	struct bpg_s3_stats st;
	struct wire w;
	enum bpg_err e;
	char *rec;

	e = wire_put(&w, wire_fail[_i].script, wire_fail[_i].n, &st, &ei);
	rec = wire_finish(&w);
	ck_assert_msg(e == wire_fail[_i].err, "row %s: %s (%s)",
	    wire_fail[_i].name, bpg_strerror(e), ei.msg);
	ck_assert_msg(strstr(ei.msg, wire_fail[_i].why) != NULL,
	    "row %s: message \"%s\" lacks \"%s\"", wire_fail[_i].name, ei.msg,
	    wire_fail[_i].why);
	ck_assert_msg(st.aborts == wire_fail[_i].aborts &&
		st.aborts_failed == wire_fail[_i].aborts_failed,
	    "row %s: %ld aborts, %ld failed", wire_fail[_i].name, st.aborts,
	    st.aborts_failed);
	ck_assert_msg(wire_count(rec) == wire_fail[_i].n, "row %s: %d requests",
	    wire_fail[_i].name, wire_count(rec));
	if (wire_fail[_i].aborts > 0)
		ck_assert_msg(
		    strstr(rec, "DELETE /bpg-test/k.bin?uploadId=") != NULL,
		    "row %s: no abort", wire_fail[_i].name);
	free(rec);
}
END_TEST

/*
 * Conditional writes on the wire: the metadata and the condition headers,
 * a condition that fails (412 PreconditionFailed: BPG_EEXIST), and a store
 * that answers 501 to conditions, which is then written to without them.
 */
START_TEST(test_wire_conditional)
{
	const struct canned script[] = {
	    {412, NULL,
		"<Error><Code>PreconditionFailed</Code><Message>At least one "
		"of the pre-conditions you specified did not hold</Message>"
		"</Error>"},
	    {501, NULL,
		"<Error><Code>NotImplemented</Code><Message>A header you "
		"provided implies functionality that is not implemented"
		"</Message></Error>"},
	    {200, "ETag: \"e1\"\r\n", NULL},
	    {200, "ETag: \"e2\"\r\n", NULL},
	    {200,
		"ETag: \"e2\"\r\nx-amz-meta-bpg-uploader: "
		"john.doe%40corp.com\r\n",
		NULL},
	    {404, NULL, NULL},
	};
	struct bpg_s3_put_opts o = {"bpg-uploader", "alice", true, NULL};
	struct mem_src src = {"abc", 3, 0, 0, 0};
	struct bpg_errinfo ei = {""};
	struct bpg_s3_head h;
	struct wire w;
	struct bpg_s3 *s;
	char *rec, *r;

	wire_start(&w, script, 6);
	s = client_at(w.port, ACCESS_KEY, SECRET_KEY, NULL, 10000);
	ck_assert_int_eq(bpg_s3_put_with(s, BUCKET, "k", 3, mem_read, &src,
			     &o, &ei),
	    BPG_EEXIST);
	ASSERT_HAS(ei.msg, "HTTP 412 PreconditionFailed");
	/* 501: once more without the condition, and so from then on. */
	src.off = 0;
	ck_assert_msg(bpg_s3_put_with(s, BUCKET, "k", 3, mem_read, &src, &o,
			  &ei) == BPG_OK,
	    "%s", ei.msg);
	src.off = 0;
	o.if_none_match = false;
	o.if_match = "\"e1\"";
	ck_assert_msg(bpg_s3_put_with(s, BUCKET, "k", 3, mem_read, &src, &o,
			  &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_int_eq(
	    bpg_s3_head(s, BUCKET, "k", "bpg-uploader", &h, &ei), BPG_OK);
	ck_assert(h.has_meta);
	ck_assert_str_eq(h.meta, "john.doe%40corp.com");
	ck_assert_str_eq(h.etag, "\"e2\"");
	ck_assert_int_eq(
	    bpg_s3_head(s, BUCKET, "k", "bpg-uploader", &h, &ei),
	    BPG_ENOTFOUND);
	ck_assert(!h.has_meta);
	bpg_s3_free(s);

	rec = wire_finish(&w);
	r = wire_request(rec, 0);
	ASSERT_HAS(r, "PUT /bpg-test/k HTTP/1.1\r\n");
	ASSERT_HAS(r, "If-None-Match: *\r\n");
	ASSERT_HAS(r, "x-amz-meta-bpg-uploader: alice\r\n");
	free(r);
	r = wire_request(rec, 1);
	ASSERT_HAS(r, "If-None-Match: *\r\n");
	free(r);
	r = wire_request(rec, 2);
	ck_assert_msg(strstr(r, "If-None-Match") == NULL, "%s", r);
	ASSERT_HAS(r, "x-amz-meta-bpg-uploader: alice\r\n");
	free(r);
	r = wire_request(rec, 3);
	ck_assert_msg(strstr(r, "If-Match") == NULL, "%s", r);
	free(r);
	r = wire_request(rec, 4);
	ASSERT_HAS(r, "HEAD /bpg-test/k HTTP/1.1\r\n");
	free(r);
	free(rec);
}
END_TEST

/*
 * A multipart upload: the metadata on CreateMultipartUpload, the
 * condition on CompleteMultipartUpload; a 409 ConditionalRequestConflict
 * there is BPG_EEXIST and the upload is aborted.
 */
START_TEST(test_wire_conditional_multipart)
{
	const struct canned script[] = {
	    {200, NULL, init_ok},
	    {200, "ETag: \"etag-1\"\r\n", NULL},
	    {200, "ETag: \"etag-2\"\r\n", NULL},
	    {409, NULL,
		"<Error><Code>ConditionalRequestConflict</Code><Message>A "
		"conflicting conditional operation is currently in progress "
		"against this resource.</Message></Error>"},
	    {204, NULL, NULL},
	};
	struct bpg_s3_put_opts o = {"bpg-uploader", "bob", false, "\"old\""};
	struct prng_src src = {
	    .len = BPG_S3_SINGLE_PUT_MAX + 1, .chunk = 65536};
	struct bpg_errinfo ei = {""};
	struct wire w;
	struct bpg_s3 *s;
	char *rec, *r;

	prng_init(&src.g, 6);
	wire_start(&w, script, 5);
	s = client_at(w.port, ACCESS_KEY, SECRET_KEY, NULL, 10000);
	ck_assert_int_eq(bpg_s3_put_with(s, BUCKET, "k.bin", src.len,
			     prng_read, &src, &o, &ei),
	    BPG_EEXIST);
	ck_assert_int_eq(stats(s).aborts, 1);
	bpg_s3_free(s);
	rec = wire_finish(&w);
	r = wire_request(rec, 0);
	ASSERT_HAS(r, "POST /bpg-test/k.bin?uploads= HTTP/1.1\r\n");
	ASSERT_HAS(r, "x-amz-meta-bpg-uploader: bob\r\n");
	ck_assert_msg(strstr(r, "If-Match") == NULL, "%s", r);
	free(r);
	r = wire_request(rec, 1);
	ck_assert_msg(strstr(r, "x-amz-meta") == NULL &&
		strstr(r, "If-Match") == NULL,
	    "%s", r);
	free(r);
	r = wire_request(rec, 3);
	ASSERT_HAS(r, "POST /bpg-test/k.bin?uploadId=" ENC_ID " HTTP/1.1\r\n");
	ASSERT_HAS(r, "If-Match: \"old\"\r\n");
	ck_assert_msg(strstr(r, "x-amz-meta") == NULL, "%s", r);
	free(r);
	free(rec);
}
END_TEST


/* A GetObject cut short by the server. */
START_TEST(test_wire_truncated_get)
{
	const struct canned script[] = {
	    {0, NULL,
		"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
		"only ten b"},
	};
	struct bpg_errinfo ei = {""};
	struct mem_sink out = {0};
	struct wire w;
	struct bpg_s3 *s;
	char *rec;

	wire_start(&w, script, 1);
	s = client_at(w.port, ACCESS_KEY, SECRET_KEY, NULL, 10000);
	ck_assert_int_eq(
	    bpg_s3_get(s, BUCKET, "k", mem_write, &out, &ei), BPG_EUPSTREAM);
	ASSERT_HAS(ei.msg, "S3 GetObject s3://bpg-test/k: ");
	bpg_s3_free(s);
	rec = wire_finish(&w);
	free(rec);
	free(out.p);
}
END_TEST

static Suite *
s3_suite(void)
{
	Suite *s = suite_create("s3");
	TCase *tc;

	tc = tcase_create("keys");
	tcase_add_loop_test(tc, test_part_bad, 0,
	    (int)(sizeof(part_bad) / sizeof(part_bad[0])));
	tcase_add_loop_test(tc, test_part_good, 0,
	    (int)(sizeof(part_good) / sizeof(part_good[0])));
	tcase_add_test(tc, test_part_misc);
	tcase_add_loop_test(tc, test_uri_encode, 0,
	    (int)(sizeof(uri_rows) / sizeof(uri_rows[0])));
	tcase_add_test(tc, test_uri_encode_bounds);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_loop_test(tc, test_conf_bad, 0,
	    (int)(sizeof(conf_bad) / sizeof(conf_bad[0])));
	tcase_add_test(tc, test_conf_good);
	tcase_add_loop_test(tc, test_args_bad, 0,
	    (int)(sizeof(args_bad) / sizeof(args_bad[0])));
	tcase_add_loop_test(tc, test_opts_bad, 0,
	    (int)(sizeof(opts_bad) / sizeof(opts_bad[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("server");
	tcase_set_timeout(tc, TEST_CASE_TIMEOUT);
	tcase_add_test(tc, test_small_roundtrip);
	tcase_add_loop_test(tc, test_odd_keys, 0,
	    (int)(sizeof(odd_keys) / sizeof(odd_keys[0])));
	tcase_add_test(tc, test_empty_object);
	tcase_add_test(tc, test_threshold);
	tcase_add_test(tc, test_large_multipart);
	tcase_add_test(tc, test_short_single);
	tcase_add_test(tc, test_short_multipart);
	tcase_add_test(tc, test_short_first_part);
	tcase_add_test(tc, test_long_body);
	tcase_add_test(tc, test_read_error);
	tcase_add_test(tc, test_missing_object);
	tcase_add_test(tc, test_missing_bucket);
	tcase_add_test(tc, test_wrong_secret);
	tcase_add_test(tc, test_unknown_access_key);
	tcase_add_test(tc, test_session_token);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_sink_abort);
	tcase_add_test(tc, test_server_down);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_meta_head);
	suite_add_tcase(s, tc);

	tc = tcase_create("wire");
	tcase_set_timeout(tc, TEST_CASE_TIMEOUT);
	tcase_add_test(tc, test_wire_vhost);
	tcase_add_test(tc, test_wire_complete_error);
	tcase_add_loop_test(tc, test_wire_fail, 0,
	    (int)(sizeof(wire_fail) / sizeof(wire_fail[0])));
	tcase_add_test(tc, test_wire_conditional);
	tcase_add_test(tc, test_wire_conditional_multipart);
	tcase_add_test(tc, test_wire_truncated_get);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(s3_suite());
}
