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
#include <curl/curl.h>
#include <jansson.h>
#include <mysql.h>

#include "bpg_s3.h"

#define USERPW "alice:alice-pw"
#define BUCKET "bpg-test"
#define NS "spark-applications"
#define OCTETS "application/octet-stream"
#define NOT_FOUND "Cannot find matched log files. Please try again in 5 " \
	"minutes if this is a new job which was just started within 5 minutes."
/* The upload of the memory test. */
#define BIG_SIZE (50LL * 1000 * 1000)
/* A worker may grow by one S3 part and some change, never by the body. */
#define MAX_RSS_GROWTH_KB (24L * 1024)

struct http {
	long status;
	char *body;
	size_t len;
	char ctype[128];
	json_t *json;
};

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && v[0] != '\0',
	    "%s is not set: run through tests/integ.sh", name);
	return v;
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct http *h = arg;
	char *nb = realloc(h->body, h->len + sz * n + 1);

	if (nb == NULL)
		return 0;
	h->body = nb;
	memcpy(h->body + h->len, p, sz * n);
	h->len += sz * n;
	h->body[h->len] = '\0';
	return sz * n;
}

static void
http_free(struct http *h)
{
	free(h->body);
	json_decref(h->json);
	memset(h, 0, sizeof(*h));
}

/* The body of a request: bytes in memory, or a file streamed. */
struct src {
	const char *mem;
	size_t memlen, off;
	FILE *f;
};

static size_t
on_read(char *buf, size_t sz, size_t n, void *arg)
{
	struct src *s = arg;
	size_t want = sz * n;

	if (s->f != NULL)
		return fread(buf, 1, want, s->f);
	if (want > s->memlen - s->off)
		want = s->memlen - s->off;
	memcpy(buf, s->mem + s->off, want);
	s->off += want;
	return want;
}

/*
 * One request.  url absolute; bearer for the Kubernetes API or NULL;
 * body (s may be NULL) of type ctype with length len, -1 for none sent
 * (no Content-Length; chunked on HTTP/1.1).  http11 forces HTTP/1.1.
 */
static struct http
request(const char *method, const char *url, const char *userpw,
    const char *bearer, const char *ctype, struct src *s, long long len,
    bool http11)
{
	struct curl_slist *hdrs = NULL;
	struct http h;
	char line[256];
	const char *ct = NULL;
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(&h, 0, sizeof(h));
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_CAINFO, env("BPG_CA"));
	/* Keep dot segments as written: the server must see them. */
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	if (http11)
		curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
		    (long)CURL_HTTP_VERSION_1_1);
	if (userpw != NULL)
		curl_easy_setopt(c, CURLOPT_USERPWD, userpw);
	if (bearer != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", bearer);
		hdrs = curl_slist_append(hdrs, line);
	}
	hdrs = curl_slist_append(hdrs, "Expect:");
	if (s != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, line);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, s);
		if (len >= 0)
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)len);
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, url,
	    curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h.status);
	{
		char *rtype = NULL;

		curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &rtype);
		ct = rtype;
		snprintf(h.ctype, sizeof(h.ctype), "%s", ct ? ct : "");
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	if (h.body == NULL)
		h.body = strdup("");
	h.json = json_loads(h.body, 0, NULL);
	return h;
}

/* A request to the gateway; path is after the prefix. */
static struct http
api(const char *method, const char *path, const char *body)
{
	struct src s = { body, body ? strlen(body) : 0, 0, NULL };
	char url[4096];

	snprintf(url, sizeof(url), "%s%s", env("BPG_URL"), path);
	return request(method, url, USERPW, NULL, OCTETS, body ? &s : NULL,
	    body ? (long long)strlen(body) : -1, body != NULL);
}

/* A request to the Kubernetes API of the cluster of id. */
static struct http
kube(const char *id, const char *method, const char *path)
{
	char url[1024];

	snprintf(url, sizeof(url), "%s%s", env(strncmp(id, "spark-cluster-a-",
	    16) == 0 ? "BPG_KUBE_A" : "BPG_KUBE_B"), path);
	return request(method, url, NULL, env("BPG_KUBE_TOKEN"), NULL, NULL,
	    -1, false);
}

static struct bpg_s3 *
s3_open(void)
{
	struct bpg_s3conf sc;
	struct bpg_errinfo ei = { "" };
	struct bpg_s3 *s3;
	char ep[128];

	memset(&sc, 0, sizeof(sc));
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%s", env("BPG_S3_PORT"));
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
	struct src s = { data, strlen(data), 0, NULL };
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_s3_put(s3, BUCKET, key, (long long)strlen(data),
	    mem_reader, &s, &ei) == BPG_OK, "put %s: %s", key, ei.msg);
}

static MYSQL *
db_open(void)
{
	MYSQL *m = mysql_init(NULL);

	ck_assert_ptr_nonnull(m);
	ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "bpg", "bpg-test-pw",
	    "bpg", (unsigned)atoi(env("BPG_DB_PORT")), NULL, 0) != NULL,
	    "db: %s", mysql_error(m));
	return m;
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
	MYSQL *m = db_open();
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
	MYSQL *m = db_open();
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
	char path[1024];
	struct rss r;
	struct dirent *d;
	DIR *dir;
	FILE *f;
	int super = 0, pid;

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "%s/gateway.pid", env("BPG_STACK_DIR"));
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	ck_assert_int_eq(fscanf(f, "%d", &super), 1);
	fclose(f);
	ck_assert_ptr_nonnull(dir = opendir("/proc"));
	while ((d = readdir(dir)) != NULL && r.n < MAX_WORKERS) {
		if ((pid = atoi(d->d_name)) <= 0 ||
		    status_field(pid, "PPid") != super)
			continue;
		r.pid[r.n] = pid;
		r.hwm_kb[r.n++] = status_field(pid, "VmHWM");
	}
	closedir(dir);
	ck_assert_msg(r.n > 0, "no workers under pid %d", super);
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
	struct http h;
	struct src s;
	long long left, i;
	long growth = 0, grew_pid = 0;
	double secs;
	size_t k;
	FILE *f;
	int a, b;

	/* The file, streamed from disk as curl --data-binary @file would. */
	snprintf(path, sizeof(path), "%s/files-upload-%d.bin",
	    env("BPG_STACK_DIR"), (int)getpid());
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
	ck_assert_ptr_nonnull(s.f = fopen(path, "rb"));
	s.mem = NULL;
	snprintf(url, sizeof(url), "%s/s3/big.bin?folder=it-%s/",
	    env("BPG_URL"), folder);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	h = request("POST", url, USERPW, NULL, OCTETS, &s, BIG_SIZE, false);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fclose(s.f);
	unlink(path);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(h.status == 200, "upload: %ld %s", h.status, h.body);
	snprintf(key, sizeof(key), "uploaded/it-%s/big.bin", folder);
	snprintf(want, sizeof(want), "{\"url\":\"s3a://" BUCKET "/%s\"}", key);
	ck_assert_str_eq(h.body, want);
	http_free(&h);

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

	snprintf(dir, sizeof(dir), "%s/s3/data", env("BPG_STACK_DIR"));
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
	struct http h;

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
	http_free(&h);
	ck_assert_msg(stored_files() == files, "%s: something was written",
	    c->name);
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
	struct src s = { "abc", 3, 0, NULL };
	long files = stored_files();
	char url[1024];
	struct http h;

	/* A POST with neither Content-Length nor Transfer-Encoding. */
	snprintf(url, sizeof(url), "%s/s3/nolen.bin?folder=t", env("BPG_URL"));
	h = request("POST", url, USERPW, NULL, NULL, NULL, -1, true);
	ck_assert_msg(h.status == 400 || h.status == 411, "%ld %s", h.status,
	    h.body);
	ck_assert_msg(json_integer_value(json_object_get(h.json, "code")) ==
	    h.status, "not BPG's envelope: %s", h.body);
	if (h.status == 400)
		ck_assert_ptr_nonnull(strstr(h.body, "Please provide "
		    "content-length in http request header or query "
		    "parameter"));
	http_free(&h);
	ck_assert_int_eq(stored_files(), files);
	/*
	 * Chunked over HTTP/1.1 with the length in the query: lighttpd
	 * passes it on with CONTENT_LENGTH when the whole body is in before
	 * it starts the request, else it answers 411.  Stored only if 200.
	 */
	s.off = 0;
	snprintf(url, sizeof(url), "%s/s3/chunked.bin?folder=t&"
	    "content-length=3", env("BPG_URL"));
	h = request("POST", url, USERPW, NULL, OCTETS, &s, -1, true);
	ck_assert_msg(h.status == 200 || h.status == 411, "%ld %s", h.status,
	    h.body);
	if (h.status == 200)
		ck_assert_str_eq(h.body, "{\"url\":\"s3a://" BUCKET
		    "/uploaded/t/chunked.bin\"}");
	ck_assert_int_eq(stored_files(), files + (h.status == 200));
	http_free(&h);
}
END_TEST

/* ---- logs --------------------------------------------------------- */

/* Submit SparkPi and wait (bounded) until it is COMPLETED. */
static char *
submit_and_finish(void)
{
	char path[1024], *body, *id;
	const char *state = NULL;
	struct http h;
	FILE *f;
	long n;
	int i;

	snprintf(path, sizeof(path), "%s/spec/sparkpi-request.json",
	    env("BPG_SHARED_DIR"));
	ck_assert_ptr_nonnull(f = fopen(path, "rb"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(body = calloc(1, (size_t)n + 1));
	ck_assert_int_eq(fread(body, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	{
		struct src s = { body, (size_t)n, 0, NULL };
		char url[1024];

		snprintf(url, sizeof(url), "%s/spark", env("BPG_URL"));
		h = request("POST", url, USERPW, NULL, "application/json", &s,
		    n, true);
	}
	free(body);
	ck_assert_msg(h.status == 200, "submit: %ld %s", h.status, h.body);
	id = strdup(json_string_value(json_object_get(h.json,
	    "submissionId")));
	http_free(&h);
	snprintf(path, sizeof(path), "/spark/%s/status", id);
	for (i = 0; i < 600; i++) {
		h = api("GET", path, NULL);
		state = json_string_value(json_object_get(h.json,
		    "applicationState"));
		if (h.status == 200 && state != NULL &&
		    strcmp(state, "COMPLETED") == 0) {
			http_free(&h);
			return id;
		}
		http_free(&h);
		usleep(100000);
	}
	ck_abort_msg("%s did not complete within 60 s", id);
	return NULL;
}

START_TEST(test_log_driver)
{
	char *id = submit_and_finish(), path[512];
	struct http h;

	snprintf(path, sizeof(path), "/log?subId=%s", id);
	h = api("GET", path, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(h.ctype, OCTETS);
	ck_assert_msg(strstr(h.body, "Pi is roughly 3.1") != NULL, "%s",
	    h.body);
	ck_assert(h.len > 0 && h.body[h.len - 1] == '\n');
	http_free(&h);

	/* execId "driver" is the driver too. */
	snprintf(path, sizeof(path), "/log?subId=%s&execId=driver", id);
	h = api("GET", path, NULL);
	ck_assert_ptr_nonnull(strstr(h.body, "Pi is roughly"));
	http_free(&h);
	free(id);
}
END_TEST

START_TEST(test_log_by_app_id)
{
	char *id = submit_and_finish(), path[512], app[128];
	const char *app_id;
	struct http h;

	/* The monitor's S2: the row learns the CR's sparkApplicationId. */
	snprintf(path, sizeof(path), "/spark/%s/status", id);
	h = api("GET", path, NULL);
	app_id = json_string_value(json_object_get(h.json,
	    "sparkApplicationId"));
	ck_assert_msg(app_id != NULL && strlen(app_id) >= 32, "%s", h.body);
	snprintf(app, sizeof(app), "%s", app_id);
	http_free(&h);
	db_set_app_id(id, app);

	snprintf(path, sizeof(path), "/log?appId=%s", app);
	h = api("GET", path, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_msg(strstr(h.body, "Pi is roughly") != NULL, "%s", h.body);
	http_free(&h);

	/* An appId no row and no history server knows. */
	h = api("GET", "/log?appId=spark-00000000000000000000000000000000",
	    NULL);
	ck_assert_int_eq(h.status, 400);
	ck_assert_str_eq(json_string_value(json_object_get(h.json,
	    "message")), "jakarta.ws.rs.WebApplicationException: Could not "
	    "find submissionId from the appId "
	    "spark-00000000000000000000000000000000.");
	http_free(&h);
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
	struct http h;
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
	http_free(&h);

	/* Delete the application; its driver pod goes with it. */
	snprintf(path, sizeof(path), "/spark/%s", id);
	h = api("DELETE", path, NULL);
	ck_assert_int_eq(h.status, 200);
	http_free(&h);
	snprintf(path, sizeof(path), "/api/v1/namespaces/" NS "/pods/%s-driver",
	    id);
	for (i = 0; i < 200; i++) {
		h = kube(id, "GET", path);
		if (h.status == 404) {
			http_free(&h);
			break;
		}
		http_free(&h);
		usleep(100000);
	}
	ck_assert_msg(i < 200, "the driver pod of %s is still there", id);

	snprintf(path, sizeof(path), "/log?subId=%s", id);
	h = api("GET", path, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_str_eq(h.ctype, OCTETS);
	ck_assert_str_eq(h.body, want);
	http_free(&h);

	snprintf(path, sizeof(path), "/log?subId=%s&execId=1", id);
	h = api("GET", path, NULL);
	ck_assert_str_eq(h.body, "executor one\n\n");
	http_free(&h);

	/* An executor without objects: the fixed text, no newline. */
	snprintf(path, sizeof(path), "/log?subId=%s&execId=2", id);
	h = api("GET", path, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h.body, NOT_FOUND);
	http_free(&h);
	free(id);
}
END_TEST

START_TEST(test_log_nothing)
{
	char path[256], run[33];
	struct http h;

	hex(run, 32);
	snprintf(path, sizeof(path), "/log?subId=spark-cluster-a-%s", run);
	h = api("GET", path, NULL);
	ck_assert_int_eq(h.status, 200);
	ck_assert_str_eq(h.ctype, OCTETS);
	ck_assert_str_eq(h.body, NOT_FOUND);
	http_free(&h);

	h = api("GET", "/log?subId=&appId=", NULL);
	ck_assert_int_eq(h.status, 400);
	ck_assert_str_eq(h.body, "{\"code\":400,\"message\":\"jakarta.ws.rs."
	    "WebApplicationException: Error: Please provide either a "
	    "submissionId or an appId.\"}");
	http_free(&h);
	h = api("GET", "/log?subId=short", NULL);
	ck_assert_int_eq(h.status, 400);
	ck_assert_str_eq(h.body, "{\"code\":400,\"message\":\"jakarta.ws.rs."
	    "WebApplicationException: Invalid submissionId short or appId  : "
	    "Should be at least 32 characters.\"}");
	http_free(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("files");
	TCase *up = tcase_create("upload"), *lg = tcase_create("log");
	SRunner *sr;
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(up, 300);
	tcase_add_test(up, test_upload_50mb);
	tcase_add_loop_test(up, test_upload_refused, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(up, test_upload_no_length);
	suite_add_tcase(s, up);
	tcase_set_timeout(lg, 180);
	tcase_add_test(lg, test_log_driver);
	tcase_add_test(lg, test_log_by_app_id);
	tcase_add_test(lg, test_log_s3_fallback);
	tcase_add_test(lg, test_log_nothing);
	suite_add_tcase(s, lg);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}
