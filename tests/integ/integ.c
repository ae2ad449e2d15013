/*
 * Helpers shared by the integration programs: see integ.h.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <mysql.h>

#include "bpg_buf.h"
#include "integ.h"

/* Set by integ_run() before the tests fork; read-only after. */
static unsigned integ_flags;

int
integ_run(Suite *s, unsigned flags)
{
	SRunner *sr;
	int failed;

	integ_flags = flags;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? 0 : 1;
}

const char *
integ_env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && v[0] != '\0',
	    "%s is not set: run through tests/integ.sh", name);
	return v;
}

char *
integ_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

void
integ_spit(const char *path, const char *text)
{
	char tmp[4096];
	size_t n = strlen(text);
	FILE *f;

	ck_assert_int_lt(snprintf(tmp, sizeof(tmp), "%s.tmp", path),
	    sizeof(tmp));
	f = fopen(tmp, "wb");
	ck_assert_msg(f != NULL, "cannot write %s", tmp);
	ck_assert_int_eq(fwrite(text, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

/* ---- JSON --------------------------------------------------------- */

/* The value at a dotted path of objects, or NULL. */
static const json_t *
jget(const json_t *o, const char *path)
{
	char buf[256], *tok, *save;
	const json_t *cur = o;

	ck_assert_int_lt(snprintf(buf, sizeof(buf), "%s", path), sizeof(buf));
	for (tok = strtok_r(buf, ".", &save); tok != NULL;
	    tok = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, tok);
	return cur;
}

const char *
integ_jstr(const json_t *o, const char *path)
{
	return json_string_value(jget(o, path));
}

json_int_t
integ_jint(const json_t *o, const char *path)
{
	const json_t *v = jget(o, path);

	ck_assert_msg(json_is_integer(v), "%s is not an integer", path);
	return json_integer_value(v);
}

/* ---- HTTP --------------------------------------------------------- */

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct integ_http *h = arg;
	struct bpg_buf b = { h->body, h->len, h->cap };

	if (bpg_buf_append(&b, p, sz * n, 0) != BPG_OK)
		return 0;
	h->body = b.p;
	h->len = b.len;
	h->cap = b.cap;
	return sz * n;
}

static size_t
on_read(char *buf, size_t sz, size_t n, void *arg)
{
	return fread(buf, 1, sz * n, arg);
}

void
integ_http_free(struct integ_http *h)
{
	free(h->body);
	json_decref(h->json);
	memset(h, 0, sizeof(*h));
}

/*
 * An easy handle (c, or a new one when c is NULL) set up to send r into
 * *h; *hdrs gets the header list the handle uses until it is reset.
 */
static CURL *
easy_for(CURL *c, const struct integ_req *r, struct integ_http *h,
    struct curl_slist **hdrs, char *url, size_t urllen)
{
	char line[256];
	size_t i;

	memset(h, 0, sizeof(*h));
	*hdrs = NULL;
	if (r->url[0] == '/')
		snprintf(url, urllen, "%s%s", integ_env("BPG_URL"), r->url);
	else
		snprintf(url, urllen, "%s", r->url);
	if (c == NULL)
		c = curl_easy_init();
	else
		curl_easy_reset(c);
	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, r->timeout > 0 ? r->timeout : 60L);
	/*
	 * A kept connection idle for longer than the web server's keep-alive
	 * idle time (lighttpd: server.max-keep-alive-idle, 5 s) may be closed
	 * by the server as the next request goes out on it; over HTTP/2 that
	 * ends the request with a framing error instead of a retry.  A test
	 * that waits (a monitor, a slow sanitized stack) must not meet that
	 * race: such a connection is not reused.
	 */
	curl_easy_setopt(c, CURLOPT_MAXAGE_CONN, 2L);
	/* "/spark/../status" must reach the server as written. */
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	/* The stack's test CA signs the web server and the clusters. */
	curl_easy_setopt(c, CURLOPT_CAINFO,
	    r->ca != NULL ? r->ca : integ_env("BPG_CA"));
	if (r->http11)
		curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
		    (long)CURL_HTTP_VERSION_1_1);
	if (r->userpw != NULL)
		curl_easy_setopt(c, CURLOPT_USERPWD, r->userpw);
	if (r->bearer != NULL) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s",
		    r->bearer);
		*hdrs = curl_slist_append(*hdrs, line);
	}
	if (r->ctype != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s", r->ctype);
		*hdrs = curl_slist_append(*hdrs, line);
	}
	*hdrs = curl_slist_append(*hdrs, "Expect:");
	for (i = 0; r->headers != NULL && r->headers[i] != NULL; i++)
		*hdrs = curl_slist_append(*hdrs, r->headers[i]);
	if (r->body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)(r->len > 0 ? (size_t)r->len :
		    strlen(r->body)));
	} else if (r->file != NULL) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, r->file);
		if (r->len >= 0)
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)r->len);
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
	return c;
}

/* After c's transfer ended with rc: the status, type and JSON into *h. */
static void
easy_done(CURL *c, CURLcode rc, const struct integ_req *r, const char *url,
    struct integ_http *h, struct curl_slist *hdrs)
{
	struct curl_header *ra;
	char *ct = NULL;

	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", r->method, url,
	    curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		snprintf(h->ctype, sizeof(h->ctype), "%s", ct);
	if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &ra) ==
	    CURLHE_OK)
		snprintf(h->retry_after, sizeof(h->retry_after), "%s",
		    ra->value);
	/* The handle keeps the list until the next reset: not before. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (h->body == NULL) {
		h->body = strdup("");
		ck_assert_ptr_nonnull(h->body);
	}
	h->json = json_loads(h->body, 0, NULL);
}

struct integ_http
integ_request(const struct integ_req *r)
{
	static CURL *kept;
	struct curl_slist *hdrs;
	struct integ_http h;
	char url[4096];
	CURL *c;
	bool keep = (integ_flags & INTEG_KEEPALIVE) && !r->fresh;

	if (keep && kept == NULL)
		kept = curl_easy_init();
	c = easy_for(keep ? kept : NULL, r, &h, &hdrs, url, sizeof(url));
	easy_done(c, curl_easy_perform(c), r, url, &h, hdrs);
	if (c != kept)
		curl_easy_cleanup(c);
	return h;
}

void
integ_parallel(const struct integ_req *r, int n, struct integ_http *out)
{
	struct curl_slist **hdrs;
	CURL **c;
	CURLM *m;
	CURLMsg *msg;
	char (*url)[4096];
	int i, running, left;

	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(m = curl_multi_init());
	ck_assert_ptr_nonnull(c = calloc((size_t)n, sizeof(*c)));
	ck_assert_ptr_nonnull(hdrs = calloc((size_t)n, sizeof(*hdrs)));
	ck_assert_ptr_nonnull(url = calloc((size_t)n, sizeof(*url)));
	for (i = 0; i < n; i++) {
		c[i] = easy_for(NULL, r, &out[i], &hdrs[i], url[i],
		    sizeof(url[i]));
		/* One connection each: the requests reach the server at once,
		 * not one after another on a shared connection. */
		curl_easy_setopt(c[i], CURLOPT_HTTP_VERSION,
		    (long)CURL_HTTP_VERSION_1_1);
		curl_multi_add_handle(m, c[i]);
	}
	do {
		ck_assert_int_eq(curl_multi_perform(m, &running), CURLM_OK);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			for (i = 0; i < n && c[i] != msg->easy_handle; i++)
				;
			ck_assert_int_lt(i, n);
			easy_done(c[i], msg->data.result, r, url[i], &out[i],
			    hdrs[i]);
		}
		if (running > 0)
			ck_assert_int_eq(curl_multi_poll(m, NULL, 0, 1000,
			    NULL), CURLM_OK);
	} while (running > 0);
	for (i = 0; i < n; i++) {
		curl_multi_remove_handle(m, c[i]);
		curl_easy_cleanup(c[i]);
	}
	curl_multi_cleanup(m);
	free(url);
	free(hdrs);
	free(c);
}

struct integ_http
integ_api(const char *method, const char *path, const char *userpw,
    const char *ctype, const char *body)
{
	struct integ_req r = { .method = method, .url = path,
		.userpw = userpw, .ctype = ctype, .body = body };

	ck_assert_msg(path[0] == '/', "not a path: %s", path);
	return integ_request(&r);
}

const char *
integ_cluster(const char *cluster)
{
	if (strncmp(cluster, "spark-cluster-", 14) == 0)
		cluster += 14;
	return cluster[0] == 'a' ? "spark-cluster-a" : "spark-cluster-b";
}

struct integ_http
integ_kube(const char *cluster, const char *method, const char *path,
    const char *body)
{
	char url[4096];
	struct integ_req r = { .method = method, .url = url,
		.ca = integ_env("BPG_KUBE_CA"),
		.bearer = integ_env("BPG_KUBE_TOKEN"),
		.ctype = body != NULL ? INTEG_JSON : NULL, .body = body };

	snprintf(url, sizeof(url), "%s%s", integ_env(strcmp(integ_cluster(
	    cluster), "spark-cluster-a") == 0 ? "BPG_KUBE_A" : "BPG_KUBE_B"),
	    path);
	return integ_request(&r);
}

json_t *
integ_control(const char *cluster, const char *method, const char *path,
    const char *body)
{
	char url[4096];
	struct integ_req r = { .method = method, .url = url,
		.ctype = body != NULL ? INTEG_JSON : NULL, .body = body };
	struct integ_http h;
	json_t *j;

	if (cluster != NULL)
		snprintf(url, sizeof(url), "%s/clusters/%s%s",
		    integ_env("BPG_KUBE_CONTROL"), integ_cluster(cluster), path);
	else
		snprintf(url, sizeof(url), "%s%s",
		    integ_env("BPG_KUBE_CONTROL"), path);
	h = integ_request(&r);
	ck_assert_msg(h.status / 100 == 2, "control %s %s: %ld %s", method,
	    url, h.status, h.body);
	j = json_incref(h.json);
	integ_http_free(&h);
	return j;
}

json_int_t
integ_kube_stat(const char *cluster, const char *path)
{
	json_t *st = integ_control(cluster, "GET", "/stats", NULL);
	json_int_t n = json_integer_value(jget(st, path));

	json_decref(st);
	return n;
}

size_t
integ_cr_count(const char *cluster)
{
	struct integ_http h = integ_kube(cluster, "GET", INTEG_APPS, NULL);
	size_t n;

	ck_assert_msg(h.status == 200, "list %s: %ld %s",
	    integ_cluster(cluster), h.status, h.body);
	n = json_array_size(json_object_get(h.json, "items"));
	integ_http_free(&h);
	return n;
}

void
integ_assert_error(const struct integ_http *h, long status, const char *text)
{
	const char *msg;

	ck_assert_msg(h->status == status, "want %ld, got %ld: %s", status,
	    h->status, h->body);
	ck_assert_msg(json_is_object(h->json), "not JSON: %s", h->body);
	msg = integ_jstr(h->json, "message");
	ck_assert_msg(msg != NULL && strstr(msg, text) != NULL,
	    "message %s lacks \"%s\"", msg ? msg : "(none)", text);
	ck_assert_int_eq(json_integer_value(json_object_get(h->json, "code")),
	    status);
}

/* ---- submissions -------------------------------------------------- */

char *
integ_sparkpi(size_t *len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/spec/sparkpi-request.json",
	    integ_env("BPG_SHARED_DIR"));
	return integ_slurp(path, len);
}

char *
integ_submit(const char *userpw, const char *key, json_t *value)
{
	char *text = integ_sparkpi(NULL), *body = text, *id;
	struct integ_http h;
	json_t *req = NULL;

	if (key != NULL) {
		req = json_loads(text, 0, NULL);
		ck_assert_ptr_nonnull(req);
		ck_assert_int_eq(json_object_set_new(req, key, value), 0);
		body = json_dumps(req, JSON_COMPACT);
		ck_assert_ptr_nonnull(body);
	}
	h = integ_api("POST", "/spark", userpw, INTEG_JSON, body);
	ck_assert_msg(h.status == 200, "submit: %ld %s", h.status, h.body);
	ck_assert_msg(integ_jstr(h.json, "submissionId") != NULL, "submit: %s",
	    h.body);
	id = strdup(integ_jstr(h.json, "submissionId"));
	ck_assert_ptr_nonnull(id);
	integ_http_free(&h);
	if (body != text)
		free(body);
	json_decref(req);
	free(text);
	return id;
}

json_t *
integ_wait_state(const char *id, const char *want, int seconds)
{
	char path[512];
	struct integ_http h;
	json_t *last = NULL;
	const char *state;
	int i;

	snprintf(path, sizeof(path), "/spark/%s/status", id);
	for (i = 0; i < seconds * 10; i++) {
		h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
		ck_assert_msg(h.status == 200, "status: %ld %s", h.status,
		    h.body);
		json_decref(last);
		last = json_incref(h.json);
		integ_http_free(&h);
		state = integ_jstr(last, "applicationState");
		if (state != NULL && strcmp(state, want) == 0)
			return last;
		usleep(100000);
	}
	return last;
}

/* ---- the database ------------------------------------------------- */

/* The account tests/mariadb.sh creates (TEST_USER, TEST_PASSWORD). */
MYSQL *
integ_db_open(void)
{
	MYSQL *m = mysql_init(NULL);

	ck_assert_ptr_nonnull(m);
	ck_assert_msg(mysql_real_connect(m, "127.0.0.1", "bpg", "bpg-test-pw",
	    "bpg", (unsigned)atoi(integ_env("BPG_DB_PORT")), NULL, 0) != NULL,
	    "db: %s", mysql_error(m));
	return m;
}

long
integ_db_count(const char *where)
{
	MYSQL *m = integ_db_open();
	char q[1024];
	MYSQL_RES *res;
	MYSQL_ROW r;
	long n;

	ck_assert_int_lt(snprintf(q, sizeof(q), "SELECT COUNT(*) FROM "
	    "bpg.application_submission%s%s", where ? " WHERE " : "",
	    where ? where : ""), sizeof(q));
	ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
	res = mysql_store_result(m);
	ck_assert_ptr_nonnull(res);
	r = mysql_fetch_row(res);
	ck_assert_ptr_nonnull(r);
	n = atol(r[0]);
	mysql_free_result(res);
	mysql_close(m);
	return n;
}

bool
integ_db_row(const char *id, const char *cols, char **out, int n)
{
	MYSQL *m = integ_db_open();
	char q[1024], esc[512];
	MYSQL_RES *res;
	MYSQL_ROW r;
	bool found;
	int i;

	ck_assert_uint_lt(strlen(id), sizeof(esc) / 2);
	mysql_real_escape_string(m, esc, id, strlen(id));
	ck_assert_int_lt(snprintf(q, sizeof(q), "SELECT %s FROM "
	    "bpg.application_submission WHERE submission_id='%s'", cols, esc),
	    sizeof(q));
	ck_assert_msg(mysql_query(m, q) == 0, "%s: %s", q, mysql_error(m));
	res = mysql_store_result(m);
	ck_assert_ptr_nonnull(res);
	ck_assert_uint_eq(mysql_num_fields(res), n > 0 ? (unsigned)n : 1);
	r = mysql_fetch_row(res);
	found = r != NULL;
	for (i = 0; i < n; i++)
		out[i] = found && r[i] != NULL ? strdup(r[i]) : NULL;
	mysql_free_result(res);
	mysql_close(m);
	return found;
}

static void
db_vquery(MYSQL *m, MYSQL_RES **res, const char *fmt, va_list ap)
{
	char sql[8192];
	int n = vsnprintf(sql, sizeof(sql), fmt, ap);

	ck_assert_msg(n >= 0 && (size_t)n < sizeof(sql), "statement too long");
	ck_assert_msg(mysql_query(m, sql) == 0, "%s: %s", sql,
	    mysql_error(m));
	if (res != NULL) {
		*res = mysql_store_result(m);
		ck_assert_msg(*res != NULL, "%s: no result: %s", sql,
		    mysql_error(m));
	}
}

void
integ_db_exec(const char *fmt, ...)
{
	MYSQL *m = integ_db_open();
	va_list ap;

	va_start(ap, fmt);
	db_vquery(m, NULL, fmt, ap);
	va_end(ap);
	mysql_close(m);
}

static char *
db_vstr(const char *fmt, va_list ap)
{
	MYSQL *m = integ_db_open();
	MYSQL_RES *res;
	MYSQL_ROW row;
	char *out = NULL;

	db_vquery(m, &res, fmt, ap);
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL) {
		out = strdup(row[0]);
		ck_assert_ptr_nonnull(out);
	}
	mysql_free_result(res);
	mysql_close(m);
	return out;
}

char *
integ_db_str(const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = db_vstr(fmt, ap);
	va_end(ap);
	return out;
}

long
integ_db_long(const char *fmt, ...)
{
	va_list ap;
	char *s;
	long v;

	va_start(ap, fmt);
	s = db_vstr(fmt, ap);
	va_end(ap);
	v = s != NULL ? strtol(s, NULL, 10) : -1;
	free(s);
	return v;
}

/* ---- time ---------------------------------------------------------- */

long long
integ_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
integ_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void
integ_control_both(const char *method, const char *path, const char *body)
{
	json_decref(integ_control("a", method, path, body));
	json_decref(integ_control("b", method, path, body));
}

/* ---- monitors ------------------------------------------------------- */

/* The monitors of this test process (each Check test forks its own). */
static pid_t mon_pid[INTEG_MAX_MON];
static char mon_log[INTEG_MAX_MON][512];
static int nmon;

int
integ_mon_start(const char *tag, ...)
{
	const char *argv[16], *a;
	const char *build = getenv("BUILD");
	char bin[512], conf[512];
	va_list ap;
	pid_t pid;
	int i = nmon, n = 0, fd;

	ck_assert_int_lt(nmon, INTEG_MAX_MON);
	snprintf(bin, sizeof(bin), "%s/bpg-monitor",
	    build != NULL && build[0] != '\0' ? build : "build");
	snprintf(conf, sizeof(conf), "%s/config.yaml",
	    integ_env("BPG_STACK_DIR"));
	snprintf(mon_log[i], sizeof(mon_log[i]), "%s/monitor-%s-%d.log",
	    integ_env("BPG_STACK_DIR"), tag, i);
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = conf;
	argv[n++] = "-v";
	va_start(ap, tag);
	while ((a = va_arg(ap, const char *)) != NULL) {
		ck_assert_int_lt(n, 15);
		argv[n++] = a;
	}
	va_end(ap);
	argv[n] = NULL;
	/* Emptied here, before anyone reads it. */
	fd = open(mon_log[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", mon_log[i], strerror(errno));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Dies with the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, 2);
		dup2(fd, 1);
		execv(bin, (char *const *)(void *)argv);
		_exit(127);
	}
	close(fd);
	mon_pid[i] = pid;
	nmon++;
	return i;
}

int
integ_mon_stop(int i, int sig)
{
	long long until = integ_now_ms() + 60000;
	int status = -1;
	pid_t r;

	if (i < 0 || i >= nmon || mon_pid[i] <= 0)
		return -1;
	kill(mon_pid[i], sig);
	while ((r = waitpid(mon_pid[i], &status, WNOHANG)) == 0 &&
	    integ_now_ms() < until)
		integ_sleep_ms(50);
	if (r == 0) {
		kill(mon_pid[i], SIGKILL);
		waitpid(mon_pid[i], &status, 0);
	}
	mon_pid[i] = 0;
	return status;
}

void
integ_mon_stop_all(void)
{
	int i;

	for (i = 0; i < nmon; i++)
		if (mon_pid[i] > 0)
			integ_mon_stop(i, SIGKILL);
	nmon = 0;
}

bool
integ_mon_alive(int i)
{
	return i >= 0 && i < nmon && mon_pid[i] > 0 &&
	    waitpid(mon_pid[i], NULL, WNOHANG) == 0;
}

pid_t
integ_mon_pid(int i)
{
	return i >= 0 && i < nmon ? mon_pid[i] : 0;
}

const char *
integ_mon_log(int i)
{
	return i >= 0 && i < nmon ? mon_log[i] : "";
}

int
integ_mon_count(int i, const char *text)
{
	FILE *f;
	char line[4096];
	int n = 0;

	if (i < 0 || i >= nmon || (f = fopen(mon_log[i], "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, text) != NULL)
			n++;
	fclose(f);
	return n;
}

bool
integ_mon_wait(int i, const char *text, int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;

	do {
		if (integ_mon_count(i, text) > 0)
			return true;
		integ_sleep_ms(100);
	} while (integ_now_ms() < until);
	return false;
}

/* ---- the gateway's processes -------------------------------------- */

pid_t
integ_supervisor(void)
{
	char path[4096];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/gateway.pid",
	    integ_env("BPG_STACK_DIR"));
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
	fclose(f);
	ck_assert_int_gt(pid, 0);
	return (pid_t)pid;
}

static int
pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

int
integ_workers(pid_t super, pid_t *out, int max)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char path[300], buf[512], *p;
	FILE *f;
	int n = 0, ppid;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		/* proc(5): "pid (comm) state ppid ...", comm may hold ")". */
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == super)
			out[n++] = atoi(de->d_name);
		fclose(f);
	}
	closedir(d);
	qsort(out, (size_t)n, sizeof(*out), pid_cmp);
	return n;
}

void
integ_reload(const char *cfgpath, const char *text)
{
	pid_t super = integ_supervisor(), before[64], after[64];
	int nb, na, i, j, tries, fresh = 0;

	nb = integ_workers(super, before, 64);
	ck_assert_int_gt(nb, 0);
	integ_spit(cfgpath, text);
	ck_assert_int_eq(kill(super, SIGHUP), 0);
	/* Polls the process table, for at most 60 s. */
	for (tries = 0; tries < 600; tries++) {
		integ_sleep_ms(100);
		na = integ_workers(super, after, 64);
		fresh = 0;
		for (i = 0; i < na; i++) {
			for (j = 0; j < nb; j++)
				if (after[i] == before[j])
					break;
			fresh += j == nb;
		}
		if (na == nb && fresh == nb)
			break;
	}
	ck_assert_msg(fresh == nb, "only %d of %d workers replaced", fresh,
	    nb);
}
