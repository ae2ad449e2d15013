/*
 * Tests of lib/bpg_api_log.c and lib/bpg_api_upload.c: GET /log and POST
 * /s3/{name}.
 *
 * Tables for the rules of their own (content length, object keys, the
 * fluent-bit line transform, the query checks, pod choice), then the
 * handlers through bpg_api_handle() with an in-memory request: validation
 * answers, the fixed "not found" text, the Spark History Server lookup
 * against a one-shot HTTP server in a child process (the Host header of
 * quirk 21), and, when BPG_TEST_S3_PORT names a running s3rver
 * (tests/run-unit.sh), an upload of more than one S3 part read from the
 * request stream.  Also the S3 keys of the configuration.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "bpg_api.h"
#include "bpg_api_log.h"
#include "bpg_api_upload.h"
#include "bpg_config.h"
#include "bpg_s3.h"
#include "bpg_streams.h"
#include "testutil.h"

#define SUB "c01-0123456789abcdef0123456789abcdef"
#define NOT_FOUND "Cannot find matched log files. Please try again in 5 " \
	"minutes if this is a new job which was just started within 5 minutes."

/* ---- content length ------------------------------------------------ */

static const struct len_case {
	const char *name, *query, *header;
	enum bpg_err e;
	long long want;
	const char *msg;
} len_cases[] = {
	{ "header", NULL, "1234", BPG_OK, 1234, NULL },
	{ "zero header", NULL, "0", BPG_OK, 0, NULL },
	{ "query wins", "77", "1234", BPG_OK, 77, NULL },
	{ "query without header", "52428800", NULL, BPG_OK, 52428800, NULL },
	{ "plus sign", "+5", NULL, BPG_OK, 5, NULL },
	{ "largest long", "9223372036854775807", NULL, BPG_OK,
	  9223372036854775807LL, NULL },
	{ "empty query is absent", "", "9", BPG_OK, 9, NULL },
	{ "neither", NULL, NULL, BPG_EINVAL, 0,
	  "Please provide content-length in http request header or query "
	  "parameter" },
	{ "empty both", "", "", BPG_EINVAL, 0,
	  "Please provide content-length in http request header or query "
	  "parameter" },
	{ "bad header", NULL, "12x", BPG_EINVAL, 0,
	  "Please provide valid value for content-length in http request "
	  "header" },
	{ "negative header", NULL, "-1", BPG_EINVAL, 0,
	  "Please provide valid value for content-length in http request "
	  "header" },
	{ "bad query", "abc", "10", BPG_EINVAL, 0,
	  "Please provide valid value for content-length in query "
	  "parameter" },
	{ "negative query", "-3", NULL, BPG_EINVAL, 0,
	  "Please provide valid value for content-length in query "
	  "parameter" },
	{ "overflow", "9223372036854775808", NULL, BPG_EINVAL, 0,
	  "Please provide valid value for content-length in query "
	  "parameter" },
	{ "sign only", "+", NULL, BPG_EINVAL, 0,
	  "Please provide valid value for content-length in query "
	  "parameter" },
	{ "space", " 5", NULL, BPG_EINVAL, 0,
	  "Please provide valid value for content-length in query "
	  "parameter" },
};

START_TEST(test_length)
{
	const struct len_case *c = &len_cases[_i];
	struct bpg_errinfo ei = { "" };
	long long v = -42;
	enum bpg_err e;

	e = api_upload_length(c->query, c->header, &v, &ei);
	ck_assert_msg(e == c->e, "%s: %d", c->name, e);
	if (e == BPG_OK)
		ck_assert_msg(v == c->want, "%s: %lld", c->name, v);
	else
		ck_assert_msg(strcmp(ei.msg, c->msg) == 0, "%s: %s", c->name,
		    ei.msg);
}
END_TEST

/* ---- object keys --------------------------------------------------- */

#define UUID "3b8c1a52-5e7f-4c4e-9d1a-0c0ffee00001"
/* 2025-01-01T23:30:00Z */
#define NOW ((time_t)1735774200)

static const struct key_case {
	const char *name, *s3_folder, *folder, *file;
	const char *want;	/* NULL: BPG_EINVAL */
	const char *msg;	/* start of the message on error */
} key_cases[] = {
	{ "folder", "uploaded", "foo/", "MinimalSparkApp.py",
	  "uploaded/foo/MinimalSparkApp.py", NULL },
	{ "slashes stripped", "uploaded", "//a/b//", "x.jar",
	  "uploaded/a/b/x.jar", NULL },
	{ "no folder: date and uuid", "uploaded", NULL, "app.py",
	  "uploaded/20250101/" UUID "/app.py", NULL },
	{ "folder of slashes is none", "uploaded", "///", "app.py",
	  "uploaded/20250101/" UUID "/app.py", NULL },
	{ "empty folder is none", "uploaded", "", "app.py",
	  "uploaded/20250101/" UUID "/app.py", NULL },
	{ "no s3Folder", NULL, "f", "a", "f/a", NULL },
	{ "empty s3Folder", "", "f", "a", "f/a", NULL },
	{ "s3Folder slashes", "/up/", "f", "a", "up/f/a", NULL },
	{ "nested s3Folder", "a/b", "c", "d", "a/b/c/d", NULL },
	{ "name with slash", "u", "f", "d/e.txt", "u/f/d/e.txt", NULL },
	{ "utf-8", "u", "f\xc3\xa9", "n\xc3\xa9", "u/f\xc3\xa9/n\xc3\xa9",
	  NULL },
	{ "dotdot name", "u", "f", "..", NULL, "name" },
	{ "dot name", "u", "f", ".", NULL, "name" },
	{ "dotdot in name", "u", "f", "a/../b", NULL, "name" },
	{ "leading slash name", "u", "f", "/etc", NULL, "name" },
	{ "trailing slash name", "u", "f", "a/", NULL, "name" },
	{ "empty name", "u", "f", "", NULL, "name" },
	{ "control in name", "u", "f", "a\x01", NULL, "name" },
	{ "newline in name", "u", "f", "a\nb", NULL, "name" },
	{ "DEL in name", "u", "f", "a\x7f", NULL, "name" },
	{ "bad utf-8 name", "u", "f", "a\xff", NULL, "name" },
	{ "backslash name", "u", "f", "a\\b", NULL, "name" },
	{ "dotdot folder", "u", "../x", "a", NULL, "folder" },
	{ "dotdot folder inside", "u", "x/../../y", "a", NULL, "folder" },
	{ "dot folder", "u", "./x", "a", NULL, "folder" },
	{ "empty segment folder", "u", "x//y", "a", NULL, "folder" },
	{ "control in folder", "u", "x\ty", "a", NULL, "folder" },
	{ "C1 control in folder", "u", "x\xc2\x85y", "a", NULL, "folder" },
};

START_TEST(test_key)
{
	const struct key_case *c = &key_cases[_i];
	struct bpg_errinfo ei = { "" };
	char key[BPG_S3_MAX_KEY + 1];
	enum bpg_err e;

	e = api_upload_key(c->s3_folder, c->folder, c->file, NOW, UUID, key,
	    sizeof(key), &ei);
	if (c->want != NULL) {
		ck_assert_msg(e == BPG_OK, "%s: %s", c->name, ei.msg);
		ck_assert_msg(strcmp(key, c->want) == 0, "%s: %s", c->name,
		    key);
	} else {
		ck_assert_msg(e == BPG_EINVAL, "%s: %d", c->name, e);
		ck_assert_msg(strncmp(ei.msg, c->msg, strlen(c->msg)) == 0,
		    "%s: %s", c->name, ei.msg);
		ck_assert_str_eq(key, "");
	}
}
END_TEST

/* Over 1,024 bytes: the name, the folder, or the key they make. */
START_TEST(test_key_long)
{
	struct bpg_errinfo ei = { "" };
	char key[BPG_S3_MAX_KEY + 1], big[BPG_S3_MAX_KEY + 2];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(api_upload_key("u", "f", big, NOW, UUID, key,
	    sizeof(key), &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "name"));
	ck_assert_int_eq(api_upload_key("u", big, "n", NOW, UUID, key,
	    sizeof(key), &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "folder"));
	/* Each part fits, the key does not. */
	big[1000] = '\0';
	ck_assert_int_eq(api_upload_key("u", big, big, NOW, UUID, key,
	    sizeof(key), &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "longer than 1024"));
	/* Exactly 1024 bytes is fine: "u/" + 1016 + "/" + 5. */
	big[1016] = '\0';
	big[1000] = 'a';
	ck_assert_int_eq(api_upload_key("u", big, "abcde", NOW, UUID, key,
	    sizeof(key), &ei), BPG_OK);
	ck_assert_uint_eq(strlen(key), 1024);
}
END_TEST

/* ---- fluent-bit line transform (section 5) ------------------------- */

/*
 * The lines are written as they are stored: fluent-bit records whose JSON
 * was encoded twice, so the markers hold literal backslashes.
 */
static const struct xform_case {
	const char *name, *line, *want;
} xform_cases[] = {
	{ "fluent-bit record",
	  "{\"log\":\"{\\\"log\\\":\\\"Pi is roughly 3.14\\\\n\\\","
	  "\\\"stream\\\":\\\"stdout\\\"}\"}",
	  "Pi is roughly 3.14" },
	{ "markers only", "log\\\":\\\"\\\\n\\\",\\\"stream", "" },
	{ "prefix and suffix kept out",
	  "AAAlog\\\":\\\"text\\\\n\\\",\\\"streamBBB", "text" },
	{ "no start marker",
	  "plain text\\\\n\\\",\\\"stream", "plain text\\\\n\\\",\\\"stream" },
	{ "no end marker", "x log\\\":\\\"text", "x log\\\":\\\"text" },
	{ "end before start",
	  "\\\\n\\\",\\\"stream log\\\":\\\"x",
	  "\\\\n\\\",\\\"stream log\\\":\\\"x" },
	{ "plain line", "hello world", "hello world" },
	{ "empty line", "", "" },
	{ "last start marker wins",
	  "log\\\":\\\"a log\\\":\\\"b\\\\n\\\",\\\"stream", "b" },
	{ "last end marker wins",
	  "log\\\":\\\"a\\\\n\\\",\\\"stream b\\\\n\\\",\\\"stream c",
	  "a\\\\n\\\",\\\"stream b" },
	{ "start after the last end is passed over",
	  "log\\\":\\\"a\\\\n\\\",\\\"stream log\\\":\\\"z",
	  "a" },
	{ "escaped quotes inside stay",
	  "log\\\":\\\"say \\\\\\\"hi\\\\\\\"\\\\n\\\",\\\"stream",
	  "say \\\\\\\"hi\\\\\\\"" },
	{ "overlapping markers",
	  "log\\\":\\\\n\\\",\\\"stream", "log\\\":\\\\n\\\",\\\"stream" },
	{ "unescaped json is left alone",
	  "{\"log\":\"x\\n\",\"stream\":\"stdout\"}",
	  "{\"log\":\"x\\n\",\"stream\":\"stdout\"}" },
	{ "utf-8 text",
	  "log\\\":\\\"caf\xc3\xa9\\\\n\\\",\\\"stream", "caf\xc3\xa9" },
};

START_TEST(test_transform)
{
	const struct xform_case *c = &xform_cases[_i];
	size_t off = 99, len = 99;

	api_log_transform(c->line, strlen(c->line), &off, &len);
	ck_assert_msg(len == strlen(c->want) &&
	    memcmp(c->line + off, c->want, len) == 0, "%s: got \"%.*s\"",
	    c->name, (int)len, c->line + off);
}
END_TEST

/* ---- line splitting ------------------------------------------------- */

struct sink {
	char *p;
	size_t len;
	int fail_after;		/* -1: never */
	size_t cap;
};

static int
sink_emit(void *ctx, const char *buf, size_t n)
{
	struct sink *s = ctx;

	if (s->fail_after == 0)
		return -1;
	if (s->fail_after > 0)
		s->fail_after--;
	tu_append(&s->p, &s->len, &s->cap, buf, n);
	return 0;
}

/* Feed in in pieces of step bytes (0: at once); the output. */
static char *
split(const char *in, size_t inlen, size_t step)
{
	struct sink s = { NULL, 0, -1, 0 };
	struct api_log_lines l;
	size_t i, n;

	memset(&l, 0, sizeof(l));
	l.emit = sink_emit;
	l.ctx = &s;
	for (i = 0; i < inlen; i += n) {
		n = step == 0 || inlen - i < step ? inlen - i : step;
		ck_assert_int_eq(api_log_lines_feed(&l, in + i, n), 0);
	}
	ck_assert_int_eq(api_log_lines_end(&l), 0);
	api_log_lines_free(&l);
	if (s.p == NULL)
		s.p = strdup("");
	return s.p;
}

#define REC(t) "{\"log\":\"{\\\"log\\\":\\\"" t "\\\\n\\\",\\\"stream\\\"}\"}"

static const struct split_case {
	const char *name, *in, *want;
} split_cases[] = {
	{ "records", REC("one") "\n" REC("two") "\n", "one\ntwo\n" },
	{ "no final newline", REC("one") "\nplain", "one\nplain\n" },
	{ "crlf", "a\r\nb\r\n", "a\nb\n" },
	{ "lone cr", "a\rb\r", "a\nb\n" },
	{ "cr then empty line", "a\r\n\r\nb", "a\n\nb\n" },
	{ "cr cr", "a\r\rb", "a\n\nb\n" },
	{ "empty lines", "\n\n", "\n\n" },
	{ "empty object", "", "" },
	{ "mixed", "x\n" REC("y") "\r\nz", "x\ny\nz\n" },
};

START_TEST(test_split)
{
	const struct split_case *c = &split_cases[_i];
	size_t step, inlen = strlen(c->in);
	char *out;

	/* Every chunking gives the same lines. */
	for (step = 0; step <= inlen + 1; step++) {
		out = split(c->in, inlen, step);
		ck_assert_msg(strcmp(out, c->want) == 0, "%s (step %zu): %s",
		    c->name, step, out);
		free(out);
	}
}
END_TEST

/* Lines past API_LOG_MAX_LINE go through as they are; the next is
 * transformed again. */
START_TEST(test_split_overlong)
{
	size_t n = API_LOG_MAX_LINE + 100, tail = strlen("\n" REC("k") "\n");
	char *in = malloc(n + tail + 1), *out;

	ck_assert_ptr_nonnull(in);
	memset(in, 'x', n);
	memcpy(in, "log\\\":\\\"", 8);
	memcpy(in + n, "\n" REC("k") "\n", tail + 1);
	out = split(in, n + tail, 65536);
	ck_assert_uint_eq(strlen(out), n + 3);
	ck_assert_int_eq(memcmp(out, in, n), 0);
	ck_assert_str_eq(out + n, "\nk\n");
	free(out);
	free(in);
}
END_TEST

/* emit's -1 stops the feed (EndAwareInputStreamTest: the upstream is
 * let go when the client's side ends). */
START_TEST(test_split_stop)
{
	struct sink s = { NULL, 0, 1, 0 };
	struct api_log_lines l;

	memset(&l, 0, sizeof(l));
	l.emit = sink_emit;
	l.ctx = &s;
	ck_assert_int_eq(api_log_lines_feed(&l, "a\nb\nc\n", 6), -1);
	api_log_lines_free(&l);
	free(s.p);
}
END_TEST

/* ---- query validation (section 5 steps 1, 2) ------------------------ */

#define ID32 "0123456789abcdef0123456789abcdef"

static const struct query_case {
	const char *name, *sub, *app, *msg;	/* msg NULL: valid */
} query_cases[] = {
	{ "neither", "", "",
	  "Error: Please provide either a submissionId or an appId." },
	{ "short subId", "abc", "",
	  "Invalid submissionId abc or appId  : Should be at least 32 "
	  "characters." },
	{ "short appId", "", "spark-1",
	  "Invalid submissionId  or appId spark-1 : Should be at least 32 "
	  "characters." },
	{ "long subId, short appId", SUB, "x",
	  "Invalid submissionId " SUB " or appId x : Should be at least 32 "
	  "characters." },
	{ "31 characters", "", "0123456789abcdef0123456789abcde",
	  "Invalid submissionId  or appId 0123456789abcdef0123456789abcde : "
	  "Should be at least 32 characters." },
	{ "control bytes are not echoed", "a\x01" "b", "",
	  "Invalid submissionId a?b or appId  : Should be at least 32 "
	  "characters." },
	{ "32 characters", ID32, "", NULL },
	{ "appId only", "", "spark-" ID32, NULL },
	{ "both", SUB, "spark-" ID32, NULL },
};

START_TEST(test_query)
{
	const struct query_case *c = &query_cases[_i];
	struct bpg_errinfo ei = { "" };
	enum bpg_err e = api_log_check_query(c->sub, c->app, &ei);

	if (c->msg == NULL)
		ck_assert_msg(e == BPG_OK, "%s: %s", c->name, ei.msg);
	else {
		ck_assert_msg(e == BPG_EINVAL, "%s: %d", c->name, e);
		ck_assert_msg(strcmp(ei.msg, c->msg) == 0, "%s: %s", c->name,
		    ei.msg);
	}
}
END_TEST

/* ---- pod choice and the history document ---------------------------- */

static const char *cr_json =
    "{\"metadata\":{\"name\":\"" SUB "\"},\"status\":{"
    "\"driverInfo\":{\"podName\":\"" SUB "-driver\"},"
    "\"executorState\":{\"" SUB "-exec-1\":\"RUNNING\","
    "\"old-exec-1\":\"FAILED\",\"" SUB "-exec-11\":\"RUNNING\","
    "\"" SUB "-exec-2\":\"RUNNING\"}}}";

static const struct pod_case {
	const char *name, *exec, *want;
} pod_cases[] = {
	{ "driver", "", SUB "-driver" },
	{ "driver by name", "driver", SUB "-driver" },
	{ "ends with driver", "the-driver", SUB "-driver" },
	{ "executor 2", "2", SUB "-exec-2" },
	{ "last match wins", "1", "old-exec-1" },
	{ "executor 11", "11", SUB "-exec-11" },
	{ "no such executor", "3", NULL },
	{ "Driver is not driver", "Driver", NULL },
};

START_TEST(test_pod_of)
{
	const struct pod_case *c = &pod_cases[_i];
	json_t *cr = json_loads(cr_json, 0, NULL);
	const char *got;

	ck_assert_ptr_nonnull(cr);
	got = api_log_pod_of(cr, c->exec);
	if (c->want == NULL)
		ck_assert_msg(got == NULL, "%s: %s", c->name, got);
	else
		ck_assert_msg(got != NULL && strcmp(got, c->want) == 0,
		    "%s: %s", c->name, got ? got : "(null)");
	json_decref(cr);
}
END_TEST

START_TEST(test_pod_of_no_status)
{
	json_t *cr = json_pack("{s:{s:{s:s}}}", "status", "driverInfo2",
	    "podName", "x");

	ck_assert_ptr_null(api_log_pod_of(cr, ""));
	json_decref(cr);
	cr = json_pack("{s:{}}", "metadata");
	ck_assert_ptr_null(api_log_pod_of(cr, ""));
	ck_assert_ptr_null(api_log_pod_of(cr, "1"));
	json_decref(cr);
	ck_assert(api_log_is_driver(""));
	ck_assert(api_log_is_driver("driver"));
	ck_assert(!api_log_is_driver("drive"));
	ck_assert(!api_log_is_driver("1"));
}
END_TEST

START_TEST(test_history_doc)
{
	json_t *env = json_loads("{\"sparkProperties\":[[\"a\",\"b\"],"
	    "[\"spark.kubernetes.executor.label.SPARKOPERATOR.k8s.io/"
	    "app-name\",\"" SUB "\"],[\"x\"]]}", 0, NULL);

	ck_assert_ptr_nonnull(env);
	ck_assert_str_eq(api_log_history_app_name(env), SUB);
	json_decref(env);
	env = json_loads("{\"sparkProperties\":[[\"a\",\"b\"]]}", 0, NULL);
	ck_assert_ptr_null(api_log_history_app_name(env));
	json_decref(env);
	ck_assert_ptr_null(api_log_history_app_name(NULL));
}
END_TEST

/* ---- handlers ------------------------------------------------------- */

static const char *base_yaml =
    "sparkClusters:\n"
    "  - id: c01\n"
    "    weight: 100\n"
    "    masterUrl: https://127.0.0.1:1\n"
    "    userTokenSOPS: plaintext:0123456789abcdef\n"
    "    sparkApplicationNamespace: spark-applications\n"
    "    sparkVersions: ['3.5.0']\n"
    "    timeoutMillis: 2000\n"
    "allowedUsers: [alice, alice_, alice0, john.doe@corp.com, "
    "john.doe0corp.com]\n";

static struct bpg_config *cfg;
static struct bpg_api *api;

static void
setup_with(const char *extra)
{
	struct bpg_errinfo ei;

	cfg = tu_config(base_yaml, extra);
	ck_assert_int_eq(bpg_api_new(cfg, &api, &ei), BPG_OK);
}

static void
setup(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_REGION");
	setup_with("s3Bucket: bpg-test\ns3Folder: uploaded\n");
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

/* An in-memory request body (a pattern of any length) and answer. */
struct memio {
	long long inlen, inpos;
	int heads;
	int status;
	char ctype[64];
	char *out;
	size_t outlen, outcap;
	int flushes;
	char headers[256];
	long fail_with;		/* read's answer after fail_at bytes; 0: none */
	long long fail_at;
};

static char
pattern_byte(long long i)
{
	return (char)((i * 7 + i / 8191) & 0xff);
}

static long
mem_read(void *ctx, char *buf, size_t n)
{
	struct memio *m = ctx;
	size_t i;

	if (m->fail_with != 0 && m->inpos >= m->fail_at)
		return m->fail_with;
	if (m->fail_with != 0 && (long long)n > m->fail_at - m->inpos)
		n = (size_t)(m->fail_at - m->inpos);
	if ((long long)n > m->inlen - m->inpos)
		n = (size_t)(m->inlen - m->inpos);
	for (i = 0; i < n; i++)
		buf[i] = pattern_byte(m->inpos + (long long)i);
	m->inpos += (long long)n;
	return (long)n;
}

static int
mem_head(void *ctx, int status, const char *ctype, const char *headers,
    long long len)
{
	struct memio *m = ctx;

	(void)len;
	snprintf(m->headers, sizeof(m->headers), "%s", headers ? headers : "");
	m->heads++;
	m->status = status;
	snprintf(m->ctype, sizeof(m->ctype), "%s", ctype ? ctype : "");
	return 0;
}

static int
mem_write(void *ctx, const char *buf, size_t n)
{
	struct memio *m = ctx;

	if (n == 0) {
		m->flushes++;
		return 0;
	}
	tu_append(&m->out, &m->outlen, &m->outcap, buf, n);
	return 0;
}

/* A request whose body read answers fail_with after fail_at bytes. */
static struct memio
call_full(const char *user, const char *method, const char *uri,
    long long bodylen, long long clen, long fail_with, long long fail_at)
{
	struct bpg_http_io io = { mem_read, mem_head, mem_write, NULL, NULL };
	struct bpg_http_req req;
	struct memio m;

	memset(&m, 0, sizeof(m));
	m.inlen = bodylen;
	m.fail_with = fail_with;
	m.fail_at = fail_at;
	io.ctx = &m;
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.uri = uri;
	req.remote_user = user;
	req.content_type = "application/octet-stream";
	req.content_length = clen;
	req.io = &io;
	bpg_api_handle(api, &req);
	ck_assert_int_eq(m.heads, 1);
	if (m.out == NULL)
		m.out = strdup("");
	return m;
}

static struct memio
call(const char *method, const char *uri, long long bodylen,
    long long clen)
{
	return call_full("alice", method, uri, bodylen, clen, 0, 0);
}

static struct memio
call_as(const char *user, const char *method, const char *uri,
    long long bodylen, long long clen)
{
	return call_full(user, method, uri, bodylen, clen, 0, 0);
}

static struct memio
call_failing(const char *method, const char *uri, long long bodylen,
    long long clen, long fail_with, long long fail_at)
{
	return call_full("alice", method, uri, bodylen, clen, fail_with,
	    fail_at);
}

#define E400(t) "{\"code\":400,\"message\":\"jakarta.ws.rs." \
	"WebApplicationException: " t "\"}"

static const struct handler_case {
	const char *name, *method, *uri;
	long long bodylen, clen;
	int status;
	const char *body;	/* exact answer */
} handler_cases[] = {
	{ "log: no ids", "GET", "/skatev2/log", 0, 0, 400,
	  E400("Error: Please provide either a submissionId or an appId.") },
	{ "log: empty ids", "GET", "/skatev2/log?subId=&appId=", 0, 0, 400,
	  E400("Error: Please provide either a submissionId or an appId.") },
	{ "log: short subId", "GET", "/skatev2/log?subId=c01-abc", 0, 0, 400,
	  E400("Invalid submissionId c01-abc or appId  : Should be at least "
	  "32 characters.") },
	{ "log: short appId", "GET", "/skatev2/log?appId=spark-1", 0, 0, 400,
	  E400("Invalid submissionId  or appId spark-1 : Should be at least "
	  "32 characters.") },
	{ "log: appId unknown", "GET",
	  "/skatev2/log?appId=spark-" ID32, 0, 0, 400,
	  E400("Could not find submissionId from the appId spark-" ID32
	  ".") },
	{ "log: nothing found", "GET", "/skatev2/log?subId=" SUB, 0, 0, 200,
	  NOT_FOUND },
	{ "log: executor, nothing found", "GET",
	  "/skatev2/log?subId=" SUB "&execId=3", 0, 0, 200, NOT_FOUND },
	{ "log: s3only", "GET", "/skatev2/log?subId=" SUB "&s3only=true", 0,
	  0, 200, NOT_FOUND },
	{ "log: unknown cluster", "GET",
	  "/skatev2/log?subId=zz-0123456789abcdef0123456789abcdef", 0, 0, 200,
	  NOT_FOUND },
	{ "log: POST", "POST", "/skatev2/log?subId=" SUB, 0, 0, 405,
	  "{\"code\":405,\"message\":\"jakarta.ws.rs.NotAllowedException: "
	  "HTTP 405 Method Not Allowed\"}" },
	{ "upload: no length", "POST", "/skatev2/s3/app.py", 10, -1, 400,
	  E400("Please provide content-length in http request header or "
	  "query parameter") },
	{ "upload: bad query length", "POST",
	  "/skatev2/s3/app.py?content-length=ten", 10, 10, 400,
	  E400("Please provide valid value for content-length in query "
	  "parameter") },
	{ "upload: dotdot name", "POST", "/skatev2/s3/..", 10, 10, 400,
	  E400("name must not contain a \\\"..\\\" path segment") },
	{ "upload: encoded dotdot name", "POST", "/skatev2/s3/%2E%2E", 10, 10,
	  400, E400("name must not contain a \\\"..\\\" path segment") },
	{ "upload: slash name", "POST", "/skatev2/s3/%2Fetc", 10, 10, 400,
	  E400("name must not start with '/'") },
	{ "upload: control name", "POST", "/skatev2/s3/a%01b", 10, 10, 400,
	  E400("name contains a control character (at byte 1)") },
	{ "upload: dotdot folder", "POST",
	  "/skatev2/s3/a?folder=x%2F..%2F..%2Fy", 10, 10, 400,
	  E400("folder must not contain a \\\"..\\\" path segment") },
	{ "upload: GET", "GET", "/skatev2/s3/a", 0, 0, 405,
	  "{\"code\":405,\"message\":\"jakarta.ws.rs.NotAllowedException: "
	  "HTTP 405 Method Not Allowed\"}" },
	{ "upload: no name", "POST", "/skatev2/s3/", 10, 10, 404,
	  "{\"code\":404,\"message\":\"jakarta.ws.rs.NotFoundException: "
	  "HTTP 404 Not Found\"}" },
};

START_TEST(test_handlers)
{
	const struct handler_case *c = &handler_cases[_i];
	struct memio m = call(c->method, c->uri, c->bodylen, c->clen);

	ck_assert_msg(m.status == c->status, "%s: %d %s", c->name, m.status,
	    m.out);
	ck_assert_msg(strcmp(m.out, c->body) == 0, "%s: %s", c->name, m.out);
	ck_assert_str_eq(m.ctype, c->status == 200 ?
	    "application/octet-stream" : "application/json");
	/* A refused upload reads none of the body. */
	ck_assert_msg(m.inpos == 0, "%s: read %lld bytes", c->name, m.inpos);
	free(m.out);
}
END_TEST

START_TEST(test_upload_unconfigured)
{
	struct memio m;

	teardown();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup_with("");
	m = call("POST", "/skatev2/s3/a", 4, 4);
	ck_assert_int_eq(m.status, 500);
	ck_assert_ptr_nonnull(strstr(m.out, "Failed to upload to s3: "));
	ck_assert_int_eq(m.inpos, 0);
	free(m.out);
	teardown();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup_with("s3Bucket: gs://bucket\n");
	m = call("POST", "/skatev2/s3/a", 4, 4);
	ck_assert_int_eq(m.status, 501);
	ck_assert_ptr_nonnull(strstr(m.out, "Failed to upload to GCS: "));
	free(m.out);
}
END_TEST

/*
 * A one-shot HTTP server in a child: answers GET .../environment with an
 * environment document naming SUB, and exits 0 if the request carried
 * "Host: history.example.com" and the escaped application ID, 1 if not.
 */
static pid_t
history_server(int *port)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char req[8192];
	const char *doc = "{\"sparkProperties\":[[\"spark.app.name\",\"pi\"],"
	    "[\"spark.kubernetes.executor.label.sparkoperator.k8s.io/"
	    "app-name\",\"" SUB "\"]]}";
	const char *want = "GET /base/api/v1/applications/spark-%2F" ID32
	    "/environment HTTP/1.1\r\n";
	char resp[1024];
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	int fd, c, ok;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	if ((pid = fork()) != 0) {
		ck_assert_int_gt(pid, 0);
		close(fd);
		return pid;
	}
	alarm(20);
	req[0] = '\0';
	if ((c = accept(fd, NULL, NULL)) < 0)
		_exit(2);
	while (got < sizeof(req) - 1 && strstr(req, "\r\n\r\n") == NULL) {
		if ((n = read(c, req + got, sizeof(req) - 1 - got)) <= 0)
			_exit(3);
		got += (size_t)n;
		req[got] = '\0';
	}
	ok = strstr(req, "\r\nHost: history.example.com\r\n") != NULL &&
	    strncmp(req, want, strlen(want)) == 0;
	snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\nConnection: close"
	    "\r\n\r\n%s", strlen(doc), doc);
	(void)!write(c, resp, strlen(resp));
	close(c);
	_exit(ok ? 0 : 1);
}

START_TEST(test_history_lookup)
{
	char extra[256], uri[256];
	struct memio m;
	int port, status;
	pid_t pid;

	pid = history_server(&port);
	teardown();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(extra, sizeof(extra), "sparkHistoryUrl: http://127.0.0.1:%d/"
	    "base/\nsparkHistoryDns: history.example.com\n", port);
	setup_with(extra);
	/* Found through the history server: no 400, then nothing found. */
	snprintf(uri, sizeof(uri), "/skatev2/log?appId=spark-%%2F%s", ID32);
	m = call("GET", uri, 0, 0);
	ck_assert_msg(m.status == 200, "%d %s", m.status, m.out);
	ck_assert_str_eq(m.out, NOT_FOUND);
	free(m.out);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "history request without the Host header or path (status %d)",
	    status);
}
END_TEST

/* History server down: the appId is not found. */
START_TEST(test_history_down)
{
	struct memio m;

	teardown();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup_with("sparkHistoryUrl: http://127.0.0.1:1\n");
	m = call("GET", "/skatev2/log?appId=spark-" ID32, 0, 0);
	ck_assert_int_eq(m.status, 400);
	ck_assert_ptr_nonnull(strstr(m.out, "Could not find submissionId"));
	free(m.out);
}
END_TEST

/*
 * Against s3rver: a body of three S3 parts plus a bit, read through the
 * request stream, comes back byte for byte; a short body stores nothing.
 */
START_TEST(test_upload_s3rver)
{
	const char *port = getenv("BPG_TEST_S3_PORT");
	struct bpg_s3conf sc;
	struct bpg_errinfo ei = { "" };
	struct bpg_s3 *s3;
	struct sink got = { NULL, 0, -1, 0 };
	struct bpg_s3_head head;
	char extra[512], uri[256], folder[64], key[128];
	long long n = 3 * BPG_S3_PART_SIZE + 12345, i;
	struct memio m;
	json_t *doc;

	if (port == NULL || port[0] == '\0')
		return;	/* no s3rver: tests/run-unit.sh starts one */
	teardown();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(extra, sizeof(extra), "s3Bucket: bpg-test\ns3Folder: unit\n"
	    "s3Endpoint: http://127.0.0.1:%s\ns3AccessKeyId: plaintext:S3RVER\n"
	    "s3SecretAccessKey: plaintext:S3RVER\n", port);
	setup_with(extra);
	snprintf(folder, sizeof(folder), "files-%d-%ld", (int)getpid(),
	    (long)time(NULL));
	snprintf(uri, sizeof(uri), "/skatev2/s3/big.bin?folder=%s/", folder);
	m = call("POST", uri, n, n);
	ck_assert_msg(m.status == 200, "%d %s", m.status, m.out);
	ck_assert_int_eq(m.inpos, n);
	doc = json_loads(m.out, 0, NULL);
	snprintf(key, sizeof(key), "unit/%s/big.bin", folder);
	snprintf(extra, sizeof(extra), "s3a://bpg-test/%s", key);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "url")),
	    extra);
	json_decref(doc);
	free(m.out);

	memset(&sc, 0, sizeof(sc));
	snprintf(extra, sizeof(extra), "http://127.0.0.1:%s", port);
	sc.endpoint = extra;
	sc.access_key_id = sc.secret_access_key = (char *)(uintptr_t)"S3RVER";
	sc.path_style = true;
	ck_assert_int_eq(bpg_s3_new(&sc, &s3, &ei), BPG_OK);
	ck_assert_msg(bpg_s3_get(s3, "bpg-test", key, sink_emit, &got, &ei) ==
	    BPG_OK, "%s", ei.msg);
	ck_assert_int_eq((long long)got.len, n);
	for (i = 0; i < n; i++)
		if (got.p[i] != pattern_byte(i))
			ck_abort_msg("byte %lld differs", i);
	free(got.p);
	/* The multipart upload recorded its uploader. */
	ck_assert_msg(bpg_s3_head(s3, "bpg-test", key, "bpg-uploader", &head,
	    &ei) == BPG_OK, "%s", ei.msg);
	ck_assert(head.has_meta);
	ck_assert_str_eq(head.meta, "alice");

	/* Declared longer than sent: 400, nothing stored. */
	snprintf(uri, sizeof(uri), "/skatev2/s3/short.bin?folder=%s&"
	    "content-length=100", folder);
	m = call("POST", uri, 60, 60);
	ck_assert_msg(m.status == 400, "%d %s", m.status, m.out);
	ck_assert_ptr_nonnull(strstr(m.out, "Failed to upload to s3: "));
	free(m.out);
	snprintf(key, sizeof(key), "unit/%s/short.bin", folder);
	memset(&got, 0, sizeof(got));
	got.fail_after = -1;
	ck_assert_int_eq(bpg_s3_get(s3, "bpg-test", key, sink_emit, &got,
	    &ei), BPG_ENOTFOUND);
	free(got.p);
	bpg_s3_free(s3);
}
END_TEST

/* The object's bytes, from s3rver. */
static struct sink
s3_read(struct bpg_s3 *s3, const char *key)
{
	struct sink got = { NULL, 0, -1, 0 };
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_s3_get(s3, "bpg-test", key, sink_emit, &got, &ei) ==
	    BPG_OK, "%s: %s", key, ei.msg);
	return got;
}

#define E409(t) "{\"code\":409,\"message\":\"jakarta.ws.rs." \
	"WebApplicationException: Failed to upload to s3: " t "\"}"

/*
 * An upload records its uploader (x-amz-meta-bpg-uploader) and may replace
 * only the same user's object: another user's, or one of no recorded
 * uploader, is a 409 before any of the body is read, and stays as it was.
 * Names that differ in one byte ("john.doe@corp.com", "john.doe0corp.com")
 * are different uploaders.
 */
START_TEST(test_upload_owner)
{
	const char *port = getenv("BPG_TEST_S3_PORT");
	struct bpg_s3conf sc;
	struct bpg_errinfo ei = { "" };
	struct bpg_s3 *s3;
	struct bpg_s3_head head;
	struct sink got;
	char extra[512], uri[256], folder[64], key[128], want[700];
	struct memio m;

	if (port == NULL || port[0] == '\0')
		return;	/* no s3rver: tests/run-unit.sh starts one */
	teardown();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(extra, sizeof(extra), "s3Bucket: bpg-test\ns3Folder: unit\n"
	    "s3Endpoint: http://127.0.0.1:%s\ns3AccessKeyId: plaintext:S3RVER\n"
	    "s3SecretAccessKey: plaintext:S3RVER\n", port);
	setup_with(extra);
	memset(&sc, 0, sizeof(sc));
	snprintf(extra, sizeof(extra), "http://127.0.0.1:%s", port);
	sc.endpoint = extra;
	sc.access_key_id = sc.secret_access_key = (char *)(uintptr_t)"S3RVER";
	sc.path_style = true;
	ck_assert_int_eq(bpg_s3_new(&sc, &s3, &ei), BPG_OK);
	snprintf(folder, sizeof(folder), "owner-%d-%ld", (int)getpid(),
	    (long)time(NULL));
	snprintf(uri, sizeof(uri), "/skatev2/s3/app.py?folder=%s", folder);
	snprintf(key, sizeof(key), "unit/%s/app.py", folder);

	/* alice's new object. */
	m = call_as("alice_", "POST", uri, 100, 100);
	ck_assert_msg(m.status == 200, "%d %s", m.status, m.out);
	free(m.out);
	ck_assert_int_eq(bpg_s3_head(s3, "bpg-test", key, "bpg-uploader",
	    &head, &ei), BPG_OK);
	ck_assert(head.has_meta);
	ck_assert_str_eq(head.meta, "alice_");
	ck_assert(head.etag[0] != '\0');

	/* Someone else, even of the same label: 409, body unread. */
	m = call_as("alice0", "POST", uri, 50, 50);
	snprintf(want, sizeof(want), E409("%s exists and was uploaded by "
	    "another user; choose another name or folder"), key);
	ck_assert_msg(m.status == 409, "%d %s", m.status, m.out);
	ck_assert_str_eq(m.out, want);
	ck_assert_int_eq(m.inpos, 0);
	free(m.out);
	got = s3_read(s3, key);
	ck_assert_uint_eq(got.len, 100);
	free(got.p);

	/* alice replaces her own. */
	m = call_as("alice_", "POST", uri, 70, 70);
	ck_assert_msg(m.status == 200, "%d %s", m.status, m.out);
	free(m.out);
	got = s3_read(s3, key);
	ck_assert_uint_eq(got.len, 70);
	free(got.p);

	/* A name not every header can carry is recorded URI-encoded. */
	snprintf(uri, sizeof(uri), "/skatev2/s3/jd.py?folder=%s", folder);
	snprintf(key, sizeof(key), "unit/%s/jd.py", folder);
	m = call_as("john.doe@corp.com", "POST", uri, 10, 10);
	ck_assert_msg(m.status == 200, "%d %s", m.status, m.out);
	free(m.out);
	ck_assert_int_eq(bpg_s3_head(s3, "bpg-test", key, "bpg-uploader",
	    &head, &ei), BPG_OK);
	ck_assert_str_eq(head.meta, "john.doe%40corp.com");
	m = call_as("john.doe0corp.com", "POST", uri, 10, 10);
	ck_assert_msg(m.status == 409, "%d %s", m.status, m.out);
	free(m.out);
	m = call_as("john.doe@corp.com", "POST", uri, 12, 12);
	ck_assert_msg(m.status == 200, "%d %s", m.status, m.out);
	free(m.out);

	/* An object of no recorded uploader (BPG's, say) is nobody's. */
	snprintf(uri, sizeof(uri), "/skatev2/s3/old.py?folder=%s", folder);
	snprintf(key, sizeof(key), "unit/%s/old.py", folder);
	{
		struct bpg_errinfo pei = { "" };
		struct memio src;

		memset(&src, 0, sizeof(src));
		src.inlen = 5;
		ck_assert_int_eq(bpg_s3_put(s3, "bpg-test", key, 5, mem_read,
		    &src, &pei), BPG_OK);
	}
	m = call_as("alice_", "POST", uri, 10, 10);
	snprintf(want, sizeof(want), E409("%s exists and was uploaded by an "
	    "unknown user; choose another name or folder"), key);
	ck_assert_msg(m.status == 409, "%d %s", m.status, m.out);
	ck_assert_str_eq(m.out, want);
	free(m.out);
	got = s3_read(s3, key);
	ck_assert_uint_eq(got.len, 5);
	free(got.p);
	bpg_s3_free(s3);
}
END_TEST

/*
 * Uploads take a stream slot, before any S3 request: refused with 429 and
 * Retry-After when the gateway's or the user's are all taken, and the
 * slot is given back after.  The body is read (and cut) only after the
 * uploader check, so s3rver answers that HeadObject: the key is new.
 */
START_TEST(test_upload_stream_limit)
{
	const char *port = getenv("BPG_TEST_S3_PORT");
	struct bpg_streams *st = NULL;
	struct bpg_errinfo ei = { "" };
	char extra[512];
	struct memio m;

	ck_assert_msg(port != NULL && port[0] != '\0',
	    "no s3rver: tests/run-unit.sh starts one");
	teardown();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(extra, sizeof(extra), "s3Bucket: bpg-test\n"
	    "s3Folder: limit-%d-%ld\ns3Endpoint: http://127.0.0.1:%s\n"
	    "s3AccessKeyId: plaintext:S3RVER\n"
	    "s3SecretAccessKey: plaintext:S3RVER\n", (int)getpid(),
	    (long)time(NULL), port);
	setup_with(extra);
	ck_assert_int_eq(bpg_streams_new_shared(8, &st, &ei), BPG_OK);
	bpg_api_set_streams(api, st, 2);
	/* Another worker (pid 1) streams for alice: her second is fine. */
	ck_assert(bpg_streams_take(st, 1, "alice", 2, 2));
	m = call_failing("POST", "/skatev2/s3/a.py", 100, 100,
	    BPG_HTTP_READ_SLOW, 10);
	ck_assert_msg(m.status == 408, "%d %s", m.status, m.out);
	ck_assert_ptr_nonnull(strstr(m.out, "\"code\":408"));
	ck_assert_ptr_nonnull(strstr(m.out, "slower than 1024 bytes a "
	    "second over 60 s"));
	free(m.out);
	/* Given back: still one in use. */
	ck_assert_uint_eq(bpg_streams_count(st, NULL), 1);
	/* The gateway's two are taken: 429, the body never read. */
	ck_assert(bpg_streams_take(st, 2, "bob", 2, 2));
	m = call("POST", "/skatev2/s3/a.py", 100, 100);
	ck_assert_msg(m.status == 429, "%d %s", m.status, m.out);
	ck_assert_int_eq(m.inpos, 0);
	ck_assert_ptr_nonnull(strstr(m.out, "Too many followed logs and "
	    "uploads at once (at most 2 in all and 2 per user)"));
	ck_assert_str_eq(m.headers, "Retry-After: 30\r\n");
	free(m.out);
	/* alice's per-user limit, with room in the gateway. */
	bpg_streams_release(st, 2);
	ck_assert(bpg_streams_take(st, 3, "alice", 8, 8));
	bpg_api_set_streams(api, st, 8);
	m = call("POST", "/skatev2/s3/a.py", 100, 100);
	ck_assert_msg(m.status == 429, "%d %s", m.status, m.out);
	free(m.out);
	/* A stop while waiting for the body: 503, try again. */
	bpg_streams_release(st, 3);
	m = call_failing("POST", "/skatev2/s3/a.py", 100, 100,
	    BPG_HTTP_READ_STOP, 0);
	ck_assert_msg(m.status == 503, "%d %s", m.status, m.out);
	ck_assert_str_eq(m.headers, "Retry-After: 1\r\n");
	free(m.out);
	ck_assert_uint_eq(bpg_streams_count(st, NULL), 1);
	bpg_api_set_streams(api, NULL, 0);
	bpg_streams_free(st);
}
END_TEST

/* ---- configuration keys --------------------------------------------- */

static struct bpg_config *
parse(const char *extra, struct bpg_config_error *cerr)
{
	struct bpg_config *c = NULL;
	char *yaml;

	ck_assert_int_ne(asprintf(&yaml, "%s%s", base_yaml, extra), -1);
	if (bpg_config_parse(yaml, strlen(yaml), &c, cerr) != BPG_OK)
		c = NULL;
	free(yaml);
	return c;
}

static int
str_is(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

START_TEST(test_config)
{
	struct bpg_config_error cerr;
	struct bpg_config *c;

	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_REGION");

	/* Nothing given: AWS, BPG's region, no credentials. */
	c = parse("", &cerr);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->s3.endpoint);
	ck_assert_str_eq(c->s3.region, "us-west-2");
	ck_assert_ptr_null(c->s3.access_key_id);
	ck_assert(!c->s3.path_style);
	ck_assert_str_eq(c->s3_log.region, "us-west-2");
	bpg_config_free(c);

	/* Keys with secret references; the log bucket inherits. */
	setenv("BPG_TEST_S3_SECRET", "s3cret/value", 1);
	c = parse("s3Endpoint: http://127.0.0.1:9000\ns3Region: eu-west-1\n"
	    "s3AccessKeyId: plaintext:AKID\n"
	    "s3SecretAccessKey: localhost:env:BPG_TEST_S3_SECRET\n"
	    "s3Bucket: up\nsparkLogS3Bucket: logs\n", &cerr);
	ck_assert_msg(c != NULL, "%s: %s", cerr.path, cerr.msg);
	ck_assert_str_eq(c->s3.endpoint, "http://127.0.0.1:9000");
	ck_assert_str_eq(c->s3.region, "eu-west-1");
	ck_assert_str_eq(c->s3.access_key_id, "AKID");
	ck_assert_str_eq(c->s3.secret_access_key, "s3cret/value");
	ck_assert_ptr_null(c->s3.session_token);
	ck_assert(c->s3.path_style);
	ck_assert_str_eq(c->s3_log.endpoint, "http://127.0.0.1:9000");
	ck_assert_str_eq(c->s3_log.secret_access_key, "s3cret/value");
	ck_assert(c->s3_log.path_style);
	bpg_config_free(c);
	unsetenv("BPG_TEST_S3_SECRET");

	/* The environment, read at load; a log endpoint of its own. */
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
	setenv("AWS_SESSION_TOKEN", "ENVTOKEN", 1);
	setenv("AWS_REGION", "ap-south-1", 1);
	c = parse("sparkLogS3Endpoint: https://logs.example.com\n"
	    "s3PathStyle: false\n", &cerr);
	ck_assert_msg(c != NULL, "%s: %s", cerr.path, cerr.msg);
	setenv("AWS_ACCESS_KEY_ID", "CHANGED", 1);
	ck_assert_str_eq(c->s3.access_key_id, "ENVKEY");
	ck_assert_str_eq(c->s3.secret_access_key, "ENVSECRET");
	ck_assert_str_eq(c->s3.session_token, "ENVTOKEN");
	ck_assert_str_eq(c->s3.region, "ap-south-1");
	ck_assert_ptr_null(c->s3.endpoint);
	ck_assert_str_eq(c->s3_log.endpoint, "https://logs.example.com");
	ck_assert(!c->s3_log.path_style);
	ck_assert(str_is(c->s3_log.session_token, "ENVTOKEN"));
	bpg_config_free(c);

	/* Half a pair in the environment: anonymous, with a warning. */
	unsetenv("AWS_SECRET_ACCESS_KEY");
	c = parse("", &cerr);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->s3.access_key_id);
	ck_assert_ptr_null(c->s3.session_token);
	ck_assert_uint_ge(c->warnings.n, 1);
	ck_assert_ptr_null(strstr(c->warnings.v[c->warnings.n - 1],
	    "CHANGED"));
	bpg_config_free(c);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_REGION");

	/* Errors name the key, never the secret. */
	c = parse("s3AccessKeyId: plaintext:AKID\n", &cerr);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(cerr.path, "s3SecretAccessKey");
	c = parse("s3Bucket: b\ns3Endpoint: ftp://x\n", &cerr);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(cerr.path, "s3Bucket");
	ck_assert_ptr_nonnull(strstr(cerr.msg, "endpoint"));
	c = parse("sparkLogS3Bucket: b\ns3Region: \"EU WEST\"\n", &cerr);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(cerr.path, "sparkLogS3Bucket");
	c = parse("s3Bucket: b\ns3AccessKeyId: \"a,b\"\n"
	    "s3SecretAccessKey: plaintext:topsecret\n", &cerr);
	ck_assert_ptr_null(c);
	ck_assert_ptr_null(strstr(cerr.msg, "topsecret"));
	c = parse("s3PathStyle: maybe\n", &cerr);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(cerr.path, "s3PathStyle");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("files");
	TCase *tc = tcase_create("rules"), *th = tcase_create("handlers");

	tcase_add_loop_test(tc, test_length, 0,
	    sizeof(len_cases) / sizeof(len_cases[0]));
	tcase_add_loop_test(tc, test_key, 0,
	    sizeof(key_cases) / sizeof(key_cases[0]));
	tcase_add_test(tc, test_key_long);
	tcase_add_loop_test(tc, test_transform, 0,
	    sizeof(xform_cases) / sizeof(xform_cases[0]));
	tcase_add_loop_test(tc, test_split, 0,
	    sizeof(split_cases) / sizeof(split_cases[0]));
	tcase_add_test(tc, test_split_overlong);
	tcase_add_test(tc, test_split_stop);
	tcase_add_loop_test(tc, test_query, 0,
	    sizeof(query_cases) / sizeof(query_cases[0]));
	tcase_add_loop_test(tc, test_pod_of, 0,
	    sizeof(pod_cases) / sizeof(pod_cases[0]));
	tcase_add_test(tc, test_pod_of_no_status);
	tcase_add_test(tc, test_history_doc);
	tcase_add_test(tc, test_config);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(th, setup, teardown);
	tcase_set_timeout(th, 60);
	tcase_add_loop_test(th, test_handlers, 0,
	    sizeof(handler_cases) / sizeof(handler_cases[0]));
	tcase_add_test(th, test_upload_unconfigured);
	tcase_add_test(th, test_history_lookup);
	tcase_add_test(th, test_history_down);
	tcase_add_test(th, test_upload_s3rver);
	tcase_add_test(th, test_upload_owner);
	tcase_add_test(th, test_upload_stream_limit);
	suite_add_tcase(s, th);

	return tu_run(s);
}
