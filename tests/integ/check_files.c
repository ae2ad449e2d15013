/*
 * Integration tests of POST /s3/{name} and GET /log through the running
 * stack (tests/stack.sh: lighttpd over HTTPS, spawn-fcgi + bpg-gateway,
 * MariaDB, the Kubernetes API stand-in, s3rver), driven with libcurl.
 *
 * Uploads are read back from s3rver with the gateway's own S3 client,
 * signed with s3rver's account (S3RVER / S3RVER).  The S3 log fallback is
 * set up the way the log shipper would: objects in the bucket and rows in
 * bpg.logindex.  app_id is written into the submission's row with SQL, as
 * the application monitor does.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <mysql.h>

#include "bpg_s3.h"
#include "integ.h"

#define BUCKET "bpg-test"
#define OCTETS "application/octet-stream"
#define NOT_FOUND "Cannot find matched log files. Please try again in 5 " \
	"minutes if this is a new job which was just started within 5 minutes."
/* The upload of the memory test. */
#define BIG_SIZE (50LL * 1000 * 1000)
/* A worker may grow by one S3 part and some change, never by the body. */
#define MAX_RSS_GROWTH_KB (24L * 1024)

/* An in-memory object for bpg_s3_put(). */
struct src {
	const char *mem;
	size_t memlen, off;
};

/*
 * A request to the gateway as alice; path is after the prefix.  A body
 * goes over HTTP/1.1: some are refused before they are read (see struct
 * integ_req).
 */
static struct integ_http
api(const char *method, const char *path, const char *body)
{
	struct integ_req r = { .method = method, .url = path,
		.userpw = INTEG_ALICE, .ctype = body != NULL ? OCTETS : NULL,
		.body = body, .http11 = body != NULL, .timeout = 120 };

	return integ_request(&r);
}

static struct bpg_s3 *
s3_open(void)
{
	struct bpg_s3conf sc;
	struct bpg_errinfo ei = { "" };
	struct bpg_s3 *s3;
	char ep[128];

	memset(&sc, 0, sizeof(sc));
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%s",
	    integ_env("BPG_S3_PORT"));
	sc.endpoint = ep;
	sc.region = (char *)(uintptr_t)"us-west-2";
	sc.access_key_id = (char *)(uintptr_t)"S3RVER";
	sc.secret_access_key = (char *)(uintptr_t)"S3RVER";
	sc.path_style = true;
	ck_assert_msg(bpg_s3_new(&sc, &s3, &ei) == BPG_OK, "%s", ei.msg);
	return s3;
}

static long
mem_reader(void *ctx, char *buf, size_t n)
{
	struct src *s = ctx;
	size_t k = n < s->memlen - s->off ? n : s->memlen - s->off;

	memcpy(buf, s->mem + s->off, k);
	s->off += k;
	return (long)k;
}

static void
s3_put(struct bpg_s3 *s3, const char *key, const char *data)
{
	struct src s = { data, strlen(data), 0 };
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_s3_put(s3, BUCKET, key, (long long)strlen(data),
	    mem_reader, &s, &ei) == BPG_OK, "put %s: %s", key, ei.msg);
}

static void
db_query(MYSQL *m, const char *q)
{
	ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
	mysql_close(m);
}

/* What the application monitor's S2 does. */
static void
db_set_app_id(const char *id, const char *app_id)
{
	MYSQL *m = integ_db_open();
	char ei[512], ea[512], q[1200];

	mysql_real_escape_string(m, ei, id, strlen(id));
	mysql_real_escape_string(m, ea, app_id, strlen(app_id));
	snprintf(q, sizeof(q), "UPDATE bpg.application_submission SET "
	    "app_id = '%s' WHERE submission_id = '%s'", ea, ei);
	db_query(m, q);
}

/* What the log shipper does for each object. */
static void
db_add_log_key(const char *key, int hour, const char *container)
{
	MYSQL *m = integ_db_open();
	char ek[1024], ec[512], q[2000];

	mysql_real_escape_string(m, ek, key, strlen(key));
	mysql_real_escape_string(m, ec, container, strlen(container));
	snprintf(q, sizeof(q), "INSERT INTO bpg.logindex (logs3key, date, "
	    "`hour`, containerId) VALUES ('%s', '2025-01-01', %d, '%s')", ek,
	    hour, ec);
	db_query(m, q);
}

/* Random lower-case hex, for names of this run. */
static void
hex(char *buf, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	FILE *f = fopen("/dev/urandom", "rb");
	unsigned char b;
	size_t i;

	ck_assert_ptr_nonnull(f);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(fread(&b, 1, 1, f), 1);
		buf[i] = digits[b & 15];
	}
	buf[n] = '\0';
	fclose(f);
}

/* ---- the gateway's workers --------------------------------------- */

#define MAX_WORKERS 64

struct rss {
	int pid[MAX_WORKERS];
	long hwm_kb[MAX_WORKERS];
	int n;
};

static long
status_field(int pid, const char *field)
{
	char path[64], line[256];
	size_t fl = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			v = strtol(line + fl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* VmHWM (peak resident set) of every worker of the supervisor. */
static struct rss
workers_rss(void)
{
	pid_t super = integ_supervisor(), pids[MAX_WORKERS];
	struct rss r;
	int i;

	memset(&r, 0, sizeof(r));
	r.n = integ_workers(super, pids, MAX_WORKERS);
	for (i = 0; i < r.n; i++) {
		r.pid[i] = pids[i];
		r.hwm_kb[i] = status_field(pids[i], "VmHWM");
	}
	ck_assert_msg(r.n > 0, "no workers under pid %d", (int)super);
	return r;
}

/* ---- uploads ------------------------------------------------------ */

/* The bytes of the big upload: xorshift64, regenerated to compare. */
struct gen {
	uint64_t s;
	unsigned char buf[8];
	int left;
};

static unsigned char
gen_next(struct gen *g)
{
	if (g->left == 0) {
		g->s ^= g->s << 13;
		g->s ^= g->s >> 7;
		g->s ^= g->s << 17;
		memcpy(g->buf, &g->s, 8);
		g->left = 8;
	}
	return g->buf[8 - g->left--];
}

struct cmp {
	struct gen g;
	long long n;
	long long bad;		/* first differing offset, -1 if none */
};

static int
on_compare(void *ctx, const char *buf, size_t n)
{
	struct cmp *c = ctx;
	size_t i;

	for (i = 0; i < n; i++, c->n++)
		if ((unsigned char)buf[i] != gen_next(&c->g) && c->bad < 0)
			c->bad = c->n;
	return 0;
}

START_TEST(test_upload_50mb)
{
	char path[1024], url[1024], key[256], folder[64], want[512];
	unsigned char block[65536];
	struct gen g = { 0x9e3779b97f4a7c15ULL, { 0 }, 0 };
	struct cmp c = { { 0x9e3779b97f4a7c15ULL, { 0 }, 0 }, 0, -1 };
	struct bpg_errinfo ei = { "" };
	struct timespec t0, t1;
	struct rss before, after;
	struct bpg_s3 *s3;
	struct integ_http h;
	long long left, i;
	long growth = 0, grew_pid = 0;
	double secs;
	size_t k;
	FILE *f;
	int a, b;
	struct integ_req r = { .method = "POST", .url = url,
		.userpw = INTEG_ALICE, .ctype = OCTETS, .len = BIG_SIZE,
		.timeout = 120 };

	/* The file, streamed from disk as curl --data-binary @file would. */
	snprintf(path, sizeof(path), "%s/files-upload-%d.bin",
	    integ_env("BPG_STACK_DIR"), (int)getpid());
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	for (left = BIG_SIZE; left > 0; left -= (long long)k) {
		k = left < (long long)sizeof(block) ? (size_t)left :
		    sizeof(block);
		for (i = 0; i < (long long)k; i++)
			block[i] = gen_next(&g);
		ck_assert_int_eq(fwrite(block, 1, k, f), k);
	}
	ck_assert_int_eq(fclose(f), 0);

	hex(folder, 12);
	before = workers_rss();
	ck_assert_ptr_nonnull(r.file = fopen(path, "rb"));
	snprintf(url, sizeof(url), "/s3/big.bin?folder=it-%s/", folder);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	h = integ_request(&r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fclose(r.file);
	unlink(path);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(h.status == 200, "upload: %ld %s", h.status, h.body);
	snprintf(key, sizeof(key), "uploaded/it-%s/big.bin", folder);
	snprintf(want, sizeof(want), "{\"url\":\"s3a://" BUCKET "/%s\"}", key);
	ck_assert_str_eq(h.body, want);
	integ_http_free(&h);

	/* No worker held the body: VmHWM grew by at most about a part. */
	after = workers_rss();
	for (a = 0; a < before.n; a++)
		for (b = 0; b < after.n; b++)
			if (before.pid[a] == after.pid[b] &&
			    after.hwm_kb[b] - before.hwm_kb[a] > growth) {
				growth = after.hwm_kb[b] - before.hwm_kb[a];
				grew_pid = before.pid[a];
			}
	for (a = 0; a < before.n; a++)
		for (b = 0; b < after.n; b++)
			if (before.pid[a] == after.pid[b])
				printf("upload 50 MB: worker %d VmHWM %ld kB -> "
				    "%ld kB\n", before.pid[a], before.hwm_kb[a],
				    after.hwm_kb[b]);
	printf("upload 50 MB: %.2f s (%.1f MB/s); largest worker growth %ld "
	    "kB (pid %ld)\n", secs, BIG_SIZE / 1e6 / secs, growth, grew_pid);
	fflush(stdout);
	ck_assert_msg(growth < MAX_RSS_GROWTH_KB, "a worker grew by %ld kB",
	    growth);

	/* Byte for byte from s3rver. */
	s3 = s3_open();
	ck_assert_msg(bpg_s3_get(s3, BUCKET, key, on_compare, &c, &ei) ==
	    BPG_OK, "get: %s", ei.msg);
	bpg_s3_free(s3);
	ck_assert_msg(c.n == BIG_SIZE, "read back %lld bytes", c.n);
	ck_assert_msg(c.bad < 0, "byte %lld differs", c.bad);
}
END_TEST

#define S3RVER_OBJECT "._S3rver_object"

/* Objects under the bucket's directory in s3rver's data. */
static long
count_files(const char *dir)
{
	char path[4096];
	struct dirent *d;
	struct stat st;
	long n = 0;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (lstat(path, &st) != 0)
			continue;
		/* s3rver keeps each object as three files; count objects. */
		if (S_ISDIR(st.st_mode))
			n += count_files(path);
		else if (strlen(d->d_name) > sizeof(S3RVER_OBJECT) - 1 &&
		    strcmp(d->d_name + strlen(d->d_name) -
		    (sizeof(S3RVER_OBJECT) - 1), S3RVER_OBJECT) == 0)
			n++;
	}
	closedir(dp);
	return n;
}

static long
stored_files(void)
{
	char dir[1024];

	snprintf(dir, sizeof(dir), "%s/s3/data", integ_env("BPG_STACK_DIR"));
	return count_files(dir);
}

static char long_name[1200];

static const struct bad_case {
	const char *name, *path;	/* path after "/s3/" */
	const char *text;		/* in the message; NULL: any 400 */
} bad_cases[] = {
	{ "backslash in name", "a%5Cb?folder=t", "name contains a backslash" },
	{ "invalid UTF-8 name", "a%FF?folder=t", NULL },
	{ "dotdot name", "..?folder=t", NULL },
	{ "encoded dotdot name", "%2E%2E?folder=t", NULL },
	{ "control in name", "a%01?folder=t", NULL },
	{ "dotdot folder", "n?folder=..%2Fup", "folder must not contain a "
	  "\"..\" path segment" },
	{ "dotdot inside folder", "n?folder=a%2F..%2F..%2Fb", "folder must not "
	  "contain a \"..\" path segment" },
	{ "dot folder", "n?folder=a%2F.%2Fb", "folder must not contain a \".\" "
	  "path segment" },
	{ "empty segment in folder", "n?folder=a%2F%2Fb", "folder contains an "
	  "empty path segment" },
	{ "control in folder", "n?folder=a%0Ab", NULL },
	{ "name over 1024 bytes", NULL, "name is longer than 1024 bytes" },
	{ "bad content-length", "n?folder=t&content-length=12ab",
	  "Please provide valid value for content-length in query parameter" },
	{ "body shorter than content-length",
	  "n?folder=t&content-length=5000", "Failed to upload to s3: " },
};

START_TEST(test_upload_refused)
{
	const struct bad_case *c = &bad_cases[_i];
	char path[2048], body[1001];
	long files = stored_files();
	const char *msg;
	struct integ_http h;

	if (c->path == NULL) {
		memset(long_name, 'x', 1100);
		long_name[1100] = '\0';
		snprintf(path, sizeof(path), "/s3/%s?folder=t", long_name);
	} else
		snprintf(path, sizeof(path), "/s3/%s", c->path);
	memset(body, 'b', 1000);
	body[1000] = '\0';
	h = api("POST", path, body);
	ck_assert_msg(h.status == 400, "%s: %ld %s", c->name, h.status,
	    h.body);
	msg = json_string_value(json_object_get(h.json, "message"));
	ck_assert_msg(msg != NULL && json_integer_value(json_object_get(h.json,
	    "code")) == 400, "%s: not BPG's envelope: %s", c->name, h.body);
	if (c->text != NULL)
		ck_assert_msg(strstr(msg, c->text) != NULL, "%s: %s", c->name,
		    msg);
	integ_http_free(&h);
	ck_assert_msg(stored_files() == files, "%s: something was written",
	    c->name);
}
END_TEST

/* An upload of body as userpw. */
static struct integ_http
upload_as(const char *userpw, const char *path, const char *body)
{
	struct integ_req r = { .method = "POST", .url = path,
		.userpw = userpw, .ctype = OCTETS, .body = body,
		.http11 = true, .timeout = 120 };

	return integ_request(&r);
}

/* The object's bytes (NUL-terminated; the caller frees them). */
static int
str_sink(void *ctx, const char *buf, size_t n)
{
	char **p = ctx, *nb;
	size_t len = *p != NULL ? strlen(*p) : 0;

	if ((nb = realloc(*p, len + n + 1)) == NULL)
		return -1;
	memcpy(nb + len, buf, n);
	nb[len + n] = '\0';
	*p = nb;
	return 0;
}

static char *
s3_text(struct bpg_s3 *s3, const char *key)
{
	struct bpg_errinfo ei = { "" };
	char *p = NULL;

	ck_assert_msg(bpg_s3_get(s3, BUCKET, key, str_sink, &p, &ei) ==
	    BPG_OK, "%s: %s", key, ei.msg);
	return p != NULL ? p : strdup("");
}

/*
 * Through the stack: an upload records its uploader, another user cannot
 * replace it (409, even one of the same proxyUser label), the uploader
 * can.
 */
START_TEST(test_upload_replace)
{
	char run[13], path[256], key[256];
	struct bpg_s3 *s3 = s3_open();
	struct bpg_s3_head head;
	struct bpg_errinfo ei = { "" };
	struct integ_http h;
	char *text;

	hex(run, 12);
	snprintf(path, sizeof(path), "/s3/job.py?folder=shared-%s", run);
	snprintf(key, sizeof(key), "uploaded/shared-%s/job.py", run);
	h = upload_as("alice_:alice_-pw", path, "print('alice')\n");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	ck_assert_int_eq(bpg_s3_head(s3, BUCKET, key, "bpg-uploader", &head,
	    &ei), BPG_OK);
	ck_assert_str_eq(head.meta, "alice_");

	h = upload_as("alice0:alice0-pw", path, "print('mallory')\n");
	integ_assert_error(&h, 409, "Failed to upload to s3: ");
	integ_assert_error(&h, 409, "was uploaded by another user");
	integ_http_free(&h);
	h = upload_as("bob:bob-pw", path, "print('bob')\n");
	integ_assert_error(&h, 409, "was uploaded by another user");
	integ_http_free(&h);
	text = s3_text(s3, key);
	ck_assert_str_eq(text, "print('alice')\n");
	free(text);

	h = upload_as("alice_:alice_-pw", path, "print('alice, v2')\n");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	text = s3_text(s3, key);
	ck_assert_str_eq(text, "print('alice, v2')\n");
	free(text);
	bpg_s3_free(s3);
}
END_TEST


/*
 * No length at all.  lighttpd refuses such a POST itself with 411 (in
 * BPG's envelope), as it does a streamed body of unknown length; a front
 * end that passes the request on without CONTENT_LENGTH gets the
 * gateway's 400 (tests/check_files.c).  Either way nothing is stored.
 */
START_TEST(test_upload_no_length)
{
	char abc[] = "abc";
	long files = stored_files();
	struct integ_req r = { .method = "POST",
		.url = "/s3/nolen.bin?folder=t", .userpw = INTEG_ALICE,
		.http11 = true, .timeout = 120 };
	struct integ_http h;

	/* A POST with neither Content-Length nor Transfer-Encoding. */
	h = integ_request(&r);
	ck_assert_msg(h.status == 400 || h.status == 411, "%ld %s", h.status,
	    h.body);
	ck_assert_msg(json_integer_value(json_object_get(h.json, "code")) ==
	    h.status, "not BPG's envelope: %s", h.body);
	if (h.status == 400)
		ck_assert_ptr_nonnull(strstr(h.body, "Please provide "
		    "content-length in http request header or query "
		    "parameter"));
	integ_http_free(&h);
	ck_assert_int_eq(stored_files(), files);
	/*
	 * Chunked over HTTP/1.1 with the length in the query: lighttpd
	 * passes it on with CONTENT_LENGTH when the whole body is in before
	 * it starts the request, else it answers 411.  Stored only if 200.
	 */
	r.url = "/s3/chunked.bin?folder=t&content-length=3";
	r.ctype = OCTETS;
	ck_assert_ptr_nonnull(r.file = fmemopen(abc, 3, "r"));
	r.len = -1;
	h = integ_request(&r);
	fclose(r.file);
	ck_assert_msg(h.status == 200 || h.status == 411, "%ld %s", h.status,
	    h.body);
	if (h.status == 200)
		ck_assert_str_eq(h.body, "{\"url\":\"s3a://" BUCKET
		    "/uploaded/t/chunked.bin\"}");
	ck_assert_int_eq(stored_files(), files + (h.status == 200));
	integ_http_free(&h);
}
END_TEST

/* ---- logs --------------------------------------------------------- */

/* Submit SparkPi and wait (bounded) until it is COMPLETED. */
static char *
submit_and_finish(void)
{
	char *id = integ_submit(INTEG_ALICE, NULL, NULL);
	json_t *st = integ_wait_state(id, "COMPLETED", 60);
	const char *state = integ_jstr(st, "applicationState");

	ck_assert_msg(state != NULL && strcmp(state, "COMPLETED") == 0,
	    "%s did not complete within 60 s", id);
	json_decref(st);
	return id;
}

START_TEST(test_log_driver)
{
	char *id = submit_and_finish(), path[512];
	struct integ_http h;

	snprintf(path, sizeof(path), "/log?subId=%s", id);
	h = api("GET", path, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(h.ctype, OCTETS);
	ck_assert_msg(strstr(h.body, "Pi is roughly 3.1") != NULL, "%s",
	    h.body);
	ck_assert(h.len > 0 && h.body[h.len - 1] == '\n');
	integ_http_free(&h);

	/* execId "driver" is the driver too. */
	snprintf(path, sizeof(path), "/log?subId=%s&execId=driver", id);
	h = api("GET", path, NULL);
	ck_assert_ptr_nonnull(strstr(h.body, "Pi is roughly"));
	integ_http_free(&h);
	free(id);
}
END_TEST

START_TEST(test_log_by_app_id)
{
	char *id = submit_and_finish(), path[512], app[128];
	const char *app_id;
	struct integ_http h;

	/* The monitor's S2: the row learns the CR's sparkApplicationId. */
	snprintf(path, sizeof(path), "/spark/%s/status", id);
	h = api("GET", path, NULL);
	app_id = json_string_value(json_object_get(h.json,
	    "sparkApplicationId"));
	ck_assert_msg(app_id != NULL && strlen(app_id) >= 32, "%s", h.body);
	snprintf(app, sizeof(app), "%s", app_id);
	integ_http_free(&h);
	db_set_app_id(id, app);

	snprintf(path, sizeof(path), "/log?appId=%s", app);
	h = api("GET", path, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_msg(strstr(h.body, "Pi is roughly") != NULL, "%s", h.body);
	integ_http_free(&h);

	/* An appId no row and no history server knows. */
	h = api("GET", "/log?appId=spark-00000000000000000000000000000000",
	    NULL);
	ck_assert_int_eq(h.status, 400);
	ck_assert_str_eq(json_string_value(json_object_get(h.json,
	    "message")), "jakarta.ws.rs.WebApplicationException: Could not "
	    "find submissionId from the appId "
	    "spark-00000000000000000000000000000000.");
	integ_http_free(&h);
	free(id);
}
END_TEST

/* fluent-bit records, their JSON encoded twice (section 5). */
#define REC(t) "{\"log\":\"{\\\"log\\\":\\\"" t "\\\\n\\\",\\\"stream" \
	"\\\":\\\"stdout\\\",\\\"time\\\":\\\"2025-01-01T00:00:00Z\\\"}\"}"

START_TEST(test_log_s3_fallback)
{
	char *id = submit_and_finish(), path[512], key[512], run[13];
	char drv[128], ex1[128];
	const char *want;
	struct bpg_s3 *s3 = s3_open();
	struct integ_http h;
	int i;

	hex(run, 12);
	snprintf(drv, sizeof(drv), "%s-driver", id);
	snprintf(ex1, sizeof(ex1), "%s-exec-1", id);
	/* The log shipper's work: objects and their index rows.  The
	 * second key names no object, which is skipped. */
	snprintf(key, sizeof(key), "logs/%s/%s-driver/0001.log", run, id);
	s3_put(s3, key, REC("first line") "\n" REC("Pi is roughly 3.14") "\r\n"
	    "not a record\n");
	db_add_log_key(key, 0, drv);
	snprintf(key, sizeof(key), "logs/%s/%s-driver/0002.log", run, id);
	db_add_log_key(key, 1, drv);
	snprintf(key, sizeof(key), "logs/%s/%s-driver/0003.log", run, id);
	s3_put(s3, key, REC("last line"));
	db_add_log_key(key, 2, drv);
	snprintf(key, sizeof(key), "logs/%s/%s-exec-1/0001.log", run, id);
	s3_put(s3, key, REC("executor one") "\n");
	db_add_log_key(key, 0, ex1);
	bpg_s3_free(s3);

	/* While the pod is there, s3only asks for the objects. */
	want = "first line\nPi is roughly 3.14\nnot a record\n\nlast line\n\n";
	snprintf(path, sizeof(path), "/log?subId=%s&s3only=true", id);
	h = api("GET", path, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(h.body, want);
	integ_http_free(&h);

	/* Delete the application; its driver pod goes with it. */
	snprintf(path, sizeof(path), "/spark/%s", id);
	h = api("DELETE", path, NULL);
	ck_assert_int_eq(h.status, 200);
	integ_http_free(&h);
	snprintf(path, sizeof(path), "/api/v1/namespaces/" INTEG_NS
	    "/pods/%s-driver", id);
	for (i = 0; i < 200; i++) {
		h = integ_kube(id, "GET", path, NULL);
		if (h.status == 404) {
			integ_http_free(&h);
			break;
		}
		integ_http_free(&h);
		usleep(100000);
	}
	ck_assert_msg(i < 200, "the driver pod of %s is still there", id);

	snprintf(path, sizeof(path), "/log?subId=%s", id);
	h = api("GET", path, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(h.ctype, OCTETS);
	ck_assert_str_eq(h.body, want);
	integ_http_free(&h);

	snprintf(path, sizeof(path), "/log?subId=%s&execId=1", id);
	h = api("GET", path, NULL);
	ck_assert_str_eq(h.body, "executor one\n\n");
	integ_http_free(&h);

	/* An executor without objects: the fixed text, no newline. */
	snprintf(path, sizeof(path), "/log?subId=%s&execId=2", id);
	h = api("GET", path, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h.body, NOT_FOUND);
	integ_http_free(&h);
	free(id);
}
END_TEST

START_TEST(test_log_nothing)
{
	char path[256], run[33];
	struct integ_http h;

	hex(run, 32);
	snprintf(path, sizeof(path), "/log?subId=spark-cluster-a-%s", run);
	h = api("GET", path, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h.ctype, OCTETS);
	ck_assert_str_eq(h.body, NOT_FOUND);
	integ_http_free(&h);

	h = api("GET", "/log?subId=&appId=", NULL);
	ck_assert_int_eq(h.status, 400);
	ck_assert_str_eq(h.body, "{\"code\":400,\"message\":\"jakarta.ws.rs."
	    "WebApplicationException: Error: Please provide either a "
	    "submissionId or an appId.\"}");
	integ_http_free(&h);
	h = api("GET", "/log?subId=short", NULL);
	ck_assert_int_eq(h.status, 400);
	ck_assert_str_eq(h.body, "{\"code\":400,\"message\":\"jakarta.ws.rs."
	    "WebApplicationException: Invalid submissionId short or appId  : "
	    "Should be at least 32 characters.\"}");
	integ_http_free(&h);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("files");
	TCase *up = tcase_create("upload"), *lg = tcase_create("log");

	tcase_set_timeout(up, 300);
	tcase_add_test(up, test_upload_50mb);
	tcase_add_loop_test(up, test_upload_refused, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(up, test_upload_no_length);
	tcase_add_test(up, test_upload_replace);
	suite_add_tcase(s, up);
	tcase_set_timeout(lg, 180);
	tcase_add_test(lg, test_log_driver);
	tcase_add_test(lg, test_log_by_app_id);
	tcase_add_test(lg, test_log_s3_fallback);
	tcase_add_test(lg, test_log_nothing);
	suite_add_tcase(s, lg);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
