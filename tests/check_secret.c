/*
 * Tests for lib/bpg_secret.c and the k8s:secret: references of the config
 * (bpg-reference section 7.3): BPG's ConfigValueTest table; a named table
 * of how references split (Java's String.split rules) and which names are
 * refused; the in-cluster client against a small HTTP server forked here
 * (answers, 404, retries and their pause, the token and the pod's
 * namespace files, one request per Secret); and whole configs whose token,
 * password or CA come from a Secret.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "bpg_base64.h"
#include "bpg_config.h"
#include "bpg_secret.h"
#include "testutil.h"

#define TOKEN "sa-token-0123456789"
#define PASSWORD "db-pw-from-secret"

/* ---- ConfigValueTest (section 12: the table of section 7.3) ----------- */

static const struct {
	const char *name;
	const char *in; /* NULL: null */
	const char *out;
	enum bpg_config_ref kind;
} config_value_rows[] = {
    {"ConfigValueTest.null", NULL, NULL, BPG_CONFIG_REF_NONE},
    {"ConfigValueTest.empty", "", "", BPG_CONFIG_REF_NONE},
    {"ConfigValueTest.plain", "abc123", "abc123", BPG_CONFIG_REF_NONE},
    {"ConfigValueTest.plaintext", "plaintext:abc123", "abc123",
	BPG_CONFIG_REF_RESOLVED},
    {"ConfigValueTest.env_not_existing",
	"localhost:env:not_existing_env_variable_0b6f3f0e2c9d4c47",
	"localhost:env:not_existing_env_variable_0b6f3f0e2c9d4c47",
	BPG_CONFIG_REF_ENV_UNSET},
    {"ConfigValueTest.env_existing", "localhost:env:BPG_CHECK_SECRET_VAR",
	"value-of-the-variable", BPG_CONFIG_REF_RESOLVED},
    {"ConfigValueTest.k8s_invalid_value", "k8s:secret:invalid_value",
	"k8s:secret:invalid_value", BPG_CONFIG_REF_MALFORMED},
};

START_TEST(test_config_value)
{
	enum bpg_config_ref kind = BPG_CONFIG_REF__MAX;
	struct bpg_errinfo ei;
	char *out = NULL;

	ck_assert_int_eq(
	    setenv("BPG_CHECK_SECRET_VAR", "value-of-the-variable", 1), 0);
	ck_assert_msg(bpg_config_resolve_ref(
			  config_value_rows[_i].in, &out, &kind, &ei) == BPG_OK,
	    "row %s", config_value_rows[_i].name);
	if (config_value_rows[_i].out == NULL)
		ck_assert_msg(
		    out == NULL, "row %s", config_value_rows[_i].name);
	else
		ck_assert_msg(
		    out != NULL && strcmp(out, config_value_rows[_i].out) == 0,
		    "row %s: got %s", config_value_rows[_i].name,
		    out ? out : "(null)");
	ck_assert_msg(kind == config_value_rows[_i].kind, "row %s: kind %d",
	    config_value_rows[_i].name, kind);
	free(out);
}
END_TEST

/* ---- splitting a reference -------------------------------------------- */

static const struct {
	const char *name;
	const char *in;
	enum bpg_secret_result want;
	const char *ns, *secret, *key;
} parse_rows[] = {
    {"null", NULL, BPG_SECRET_NOT_REF, NULL, NULL, NULL},
    {"plain_text", "abc", BPG_SECRET_NOT_REF, NULL, NULL, NULL},
    {"prefix_case_matters", "K8S:secret:a:b:c", BPG_SECRET_NOT_REF, NULL, NULL,
	NULL},
    {"plaintext_prefix", "plaintext:k8s:secret:a:b:c", BPG_SECRET_NOT_REF, NULL,
	NULL, NULL},
    {"three_parts", "k8s:secret:spark:bpg-db:password", BPG_SECRET_REF, "spark",
	"bpg-db", "password"},
    {"empty_namespace_is_the_pods", "k8s:secret::bpg-db:password",
	BPG_SECRET_REF, "", "bpg-db", "password"},
    {"trailing_colon_dropped_as_java",
	"k8s:secret:ns:name:key:", BPG_SECRET_REF, "ns", "name", "key"},
    {"trailing_colons_dropped_as_java",
	"k8s:secret:ns:name:key:::", BPG_SECRET_REF, "ns", "name", "key"},
    {"dotted_name_and_key", "k8s:secret:ns:a.b.c:tls.crt", BPG_SECRET_REF, "ns",
	"a.b.c", "tls.crt"},
    /* A part of a subdomain may be longer than a label's 63. */
    {"name_part_over_63",
	"k8s:secret:ns:"
	"a234567890123456789012345678901234567890123456789012345678901234"
	".b:key",
	BPG_SECRET_REF, "ns",
	"a234567890123456789012345678901234567890123456789012345678901234.b",
	"key"},
    {"key_upper_and_underscore", "k8s:secret:ns:name:DB_Password",
	BPG_SECRET_REF, "ns", "name", "DB_Password"},
    {"prefix_only", "k8s:secret:", BPG_SECRET_MALFORMED, NULL, NULL, NULL},
    {"one_part", "k8s:secret:invalid_value", BPG_SECRET_MALFORMED, NULL, NULL,
	NULL},
    {"two_parts", "k8s:secret:ns:name", BPG_SECRET_MALFORMED, NULL, NULL, NULL},
    {"empty_key_is_two_parts", "k8s:secret:ns:name:", BPG_SECRET_MALFORMED,
	NULL, NULL, NULL},
    {"four_parts", "k8s:secret:a:b:c:d", BPG_SECRET_MALFORMED, NULL, NULL,
	NULL},
    {"leading_empty_parts_count", "k8s:secret:::b:c", BPG_SECRET_MALFORMED,
	NULL, NULL, NULL},
    {"only_colons", "k8s:secret::::", BPG_SECRET_MALFORMED, NULL, NULL, NULL},
    {"empty_name", "k8s:secret:ns::key", BPG_SECRET_BAD_NAME, NULL, NULL, NULL},
    {"upper_case_name", "k8s:secret:ns:BpgDb:key", BPG_SECRET_BAD_NAME, NULL,
	NULL, NULL},
    {"slash_in_name", "k8s:secret:ns:a/b:key", BPG_SECRET_BAD_NAME, NULL, NULL,
	NULL},
    {"query_in_name", "k8s:secret:ns:a?watch=1:key", BPG_SECRET_BAD_NAME, NULL,
	NULL, NULL},
    {"dot_namespace", "k8s:secret:a.b:name:key", BPG_SECRET_BAD_NAME, NULL,
	NULL, NULL},
    {"namespace_too_long",
	"k8s:secret:"
	"a234567890123456789012345678901234567890123456789012345678901234"
	":name:key",
	BPG_SECRET_BAD_NAME, NULL, NULL, NULL},
    {"key_with_slash", "k8s:secret:ns:name:a/b", BPG_SECRET_BAD_NAME, NULL,
	NULL, NULL},
    {"key_dot_dot", "k8s:secret:ns:name:..", BPG_SECRET_BAD_NAME, NULL, NULL,
	NULL},
    {"key_with_space", "k8s:secret:ns:name:a b", BPG_SECRET_BAD_NAME, NULL,
	NULL, NULL},
};

START_TEST(test_parse)
{
	struct bpg_secret_ref ref;
	enum bpg_secret_result r;

	r = bpg_secret_parse(parse_rows[_i].in, &ref);
	ck_assert_msg(
	    r == parse_rows[_i].want, "row %s: got %d", parse_rows[_i].name, r);
	if (r != BPG_SECRET_REF)
		return;
	ck_assert_msg(strcmp(ref.ns, parse_rows[_i].ns) == 0 &&
		strcmp(ref.name, parse_rows[_i].secret) == 0 &&
		strcmp(ref.key, parse_rows[_i].key) == 0,
	    "row %s: %s/%s/%s", parse_rows[_i].name, ref.ns, ref.name, ref.key);
}
END_TEST

START_TEST(test_defaults)
{
	struct bpg_secret_opts o;

	bpg_secret_opts_init(&o);
	ck_assert_str_eq(o.api_server, "https://kubernetes.default.svc");
	ck_assert_str_eq(
	    o.sa_dir, "/var/run/secrets/kubernetes.io/serviceaccount");
	ck_assert_int_eq(o.timeout_ms, 30000);
	ck_assert_int_eq(o.attempts, 3);
	ck_assert_int_eq(o.retry_ms, 1000);
}
END_TEST

static const struct {
	const char *name;
	const char *url;
} bad_url_rows[] = {
    {"no_scheme", "kubernetes.default.svc"},
    {"ftp", "ftp://h"},
    {"no_host", "https://"},
    {"path_only", "https:///api"},
    {"space", "https://h x"},
    {"query", "https://h/?a=b"},
    {"newline", "https://h\n"},
};

START_TEST(test_bad_url)
{
	struct bpg_secret_client *c = (struct bpg_secret_client *)&c;
	struct bpg_secret_opts o;
	struct bpg_errinfo ei = {""};

	bpg_secret_opts_init(&o);
	o.api_server = bad_url_rows[_i].url;
	ck_assert_msg(bpg_secret_client_new(&o, &c, &ei) == BPG_EINVAL,
	    "row %s", bad_url_rows[_i].name);
	ck_assert_ptr_null(c);
	ck_assert_msg(
	    ei.msg[0] != '\0', "row %s: no reason", bad_url_rows[_i].name);
}
END_TEST

/* ---- a small API server ----------------------------------------------- */

struct route {
	const char *path;
	int status;
	const char *body; /* "@data": the Secret with the test data */
	int delay_ms;
};

static pid_t srv_pid;
static int srv_port;
static char srv_dir[64]; /* the service account directory */

static char *
b64(const char *s, size_t n)
{
	char *out;

	ck_assert_int_eq(
	    bpg_base64_encode((const unsigned char *)s, n, &out, NULL), BPG_OK);
	return out;
}

/* The Secret spark/bpg-db of these tests. */
static char *
secret_json(void)
{
	char *pw = b64(PASSWORD, strlen(PASSWORD)), *tok = b64(TOKEN "x", 20);
	char *nul = b64("a\0b", 3), *doc;

	ck_assert_int_gt(asprintf(&doc,
			     "{\"kind\":\"Secret\",\"apiVersion\":"
			     "\"v1\",\"metadata\":{\"name\":\"bpg-db\"},"
			     "\"data\":{\"password\":"
			     "\"%s\",\"token\":\"%s\",\"nul\":\"%s\",\"bad\":"
			     "\"!!not base64\","
			     "\"num\":5,\"nothing\":null},\"type\":\"Opaque\"}",
			     pw, tok, nul),
	    0);
	free(pw);
	free(tok);
	free(nul);
	return doc;
}

static const struct route routes[] = {
    {"/api/v1/namespaces/spark/secrets/bpg-db", 200, "@data", 0},
    {"/api/v1/namespaces/podns/secrets/bpg-db", 200, "@data", 0},
    {"/api/v1/namespaces/spark/secrets/nodata", 200,
	"{\"kind\":\"Secret\",\"metadata\":{\"name\":\"nodata\"}}", 0},
    {"/api/v1/namespaces/spark/secrets/broken", 500,
	"{\"kind\":\"Status\",\"message\":\"etcdserver: request timed "
	"out\",\"code\":500}",
	0},
    {"/api/v1/namespaces/spark/secrets/forbidden", 403,
	"{\"kind\":\"Status\",\"message\":\"secrets \\\"forbidden\\\" is "
	"forbidden\",\"code\":403}",
	0},
    {"/api/v1/namespaces/spark/secrets/garbage", 200, "not json", 0},
    {"/api/v1/namespaces/spark/secrets/slow", 200, "@data", 1500},
    {NULL, 0, NULL, 0},
};

static void
serve_one(int fd, const char *data)
{
	char req[8192], path[1024], auth[512], *eol, *p, *resp;
	const struct route *r;
	const char *body = "{\"kind\":\"Status\",\"code\":404,\"reason\":"
			   "\"NotFound\"}";
	size_t len = 0;
	ssize_t n;
	int status = 404;

	while (len < sizeof(req) - 1) {
		n = read(fd, req + len, sizeof(req) - 1 - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	if (sscanf(req, "GET %1023s HTTP/1.1", path) != 1)
		return;
	auth[0] = '\0';
	for (p = req; (eol = strstr(p, "\r\n")) != NULL; p = eol + 2)
		if (strncasecmp(p, "Authorization: ", 15) == 0)
			snprintf(auth, sizeof(auth), "%.*s",
			    (int)(eol - p - 15), p + 15);
	if (strcmp(auth, "Bearer " TOKEN) != 0) {
		status = 401;
		body = "{\"kind\":\"Status\",\"code\":401,\"message\":"
		       "\"Unauthorized\"}";
	} else
		for (r = routes; r->path != NULL; r++)
			if (strcmp(r->path, path) == 0) {
				if (r->delay_ms > 0)
					usleep((useconds_t)r->delay_ms * 1000);
				status = r->status;
				body = strcmp(r->body, "@data") == 0 ? data
								     : r->body;
				break;
			}
	if (asprintf(&resp,
		"HTTP/1.1 %d X\r\nContent-Type: application/json"
		"\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		status, strlen(body), body) < 0)
		return;
	p = resp;
	len = strlen(resp);
	while (len > 0 && (n = write(fd, p, len)) > 0) {
		p += n;
		len -= (size_t)n;
	}
	free(resp);
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* Fork the server and make the service account directory. */
static void
srv_start(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	char *data;
	int lfd, fd;

	ck_assert_ptr_nonnull(strcpy(srv_dir, "/tmp/bpg-sa-XXXXXX"));
	ck_assert_ptr_nonnull(mkdtemp(srv_dir));
	/* Kubelet writes no newline; hand-made files often have one. */
	write_file(srv_dir, "token", TOKEN "\n");
	write_file(srv_dir, "namespace", "podns");
	ck_assert_int_ge(lfd = socket(AF_INET, SOCK_STREAM, 0), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	srv_port = ntohs(sa.sin_port);
	data = secret_json();
	srv_pid = fork();
	ck_assert_int_ge(srv_pid, 0);
	if (srv_pid == 0) {
		/* Check's handler would stop the whole test on SIGTERM. */
		signal(SIGTERM, SIG_DFL);
		for (;;) {
			if ((fd = accept(lfd, NULL, NULL)) == -1)
				continue;
			serve_one(fd, data);
			close(fd);
		}
	}
	free(data);
	close(lfd);
}

static void
rm_dir(const char *dir)
{
	static const char *const files[] = {
	    "token", "namespace", "ca.crt", NULL};
	char path[256];
	int i;

	for (i = 0; files[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* Only the server process (the port then refuses connections). */
static void
srv_kill(void)
{
	if (srv_pid > 0) {
		kill(srv_pid, SIGKILL);
		waitpid(srv_pid, NULL, 0);
		srv_pid = 0;
	}
}

static void
srv_stop(void)
{
	srv_kill();
	if (srv_dir[0] != '\0') {
		rm_dir(srv_dir);
		srv_dir[0] = '\0';
	}
}

static struct bpg_secret_client *
client(int attempts, long retry_ms, long timeout_ms)
{
	struct bpg_secret_client *c;
	struct bpg_secret_opts o;
	struct bpg_errinfo ei;
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", srv_port);
	bpg_secret_opts_init(&o);
	o.api_server = url;
	o.sa_dir = srv_dir;
	o.attempts = attempts;
	o.retry_ms = retry_ms;
	o.timeout_ms = timeout_ms;
	ck_assert_msg(
	    bpg_secret_client_new(&o, &c, &ei) == BPG_OK, "%s", ei.msg);
	return c;
}

/* ---- the client ------------------------------------------------------- */

static const struct {
	const char *name;
	const char *ref;
	enum bpg_secret_result want;
	const char *value; /* FOUND */
	const char *why; /* otherwise: part of the reason */
	unsigned requests; /* sent for this row, attempts 3 */
} resolve_rows[] = {
    {"found", "k8s:secret:spark:bpg-db:password", BPG_SECRET_FOUND, PASSWORD,
	NULL, 1},
    {"found_other_key", "k8s:secret:spark:bpg-db:token", BPG_SECRET_FOUND,
	TOKEN "x", NULL, 1},
    {"pod_namespace_file", "k8s:secret::bpg-db:password", BPG_SECRET_FOUND,
	PASSWORD, NULL, 1},
    {"no_such_secret_404_not_retried", "k8s:secret:spark:nope:password",
	BPG_SECRET_ABSENT, NULL, "Secret spark/nope does not exist", 1},
    {"no_such_key", "k8s:secret:spark:bpg-db:nokey", BPG_SECRET_ABSENT, NULL,
	"has no key \"nokey\"", 1},
    {"null_key", "k8s:secret:spark:bpg-db:nothing", BPG_SECRET_ABSENT, NULL,
	"has no key \"nothing\"", 1},
    {"no_data", "k8s:secret:spark:nodata:password", BPG_SECRET_ABSENT, NULL,
	"Secret spark/nodata has no data", 1},
    {"not_base64", "k8s:secret:spark:bpg-db:bad", BPG_SECRET_UNUSABLE, NULL,
	"is not base64", 1},
    {"not_a_string", "k8s:secret:spark:bpg-db:num", BPG_SECRET_UNUSABLE, NULL,
	"is not a string", 1},
    {"nul_byte", "k8s:secret:spark:bpg-db:nul", BPG_SECRET_UNUSABLE, NULL,
	"holds a NUL byte", 1},
    {"server_error_retried", "k8s:secret:spark:broken:password",
	BPG_SECRET_FAILED, NULL, "HTTP 500: etcdserver: request timed out", 3},
    {"forbidden_retried", "k8s:secret:spark:forbidden:password",
	BPG_SECRET_FAILED, NULL, "in 3 attempts; last: GET http://", 3},
    {"not_json_retried", "k8s:secret:spark:garbage:password", BPG_SECRET_FAILED,
	NULL, "the answer is not a JSON object", 3},
    {"malformed_no_request", "k8s:secret:spark:bpg-db", BPG_SECRET_MALFORMED,
	NULL, "exactly <namespace>:<name>:<key>", 0},
    {"bad_name_no_request", "k8s:secret:spark:Bpg_Db:password",
	BPG_SECRET_BAD_NAME, NULL, "a Secret name", 0},
    {"not_a_reference", "plaintext:x", BPG_SECRET_NOT_REF, NULL, NULL, 0},
};

START_TEST(test_resolve)
{
	struct bpg_secret_client *c;
	enum bpg_secret_result r;
	struct bpg_errinfo why = {""};
	char *out = (char *)&out;

	srv_start();
	c = client(3, 10, 5000);
	ck_assert_int_eq(
	    bpg_secret_resolve(c, resolve_rows[_i].ref, &out, &r, &why),
	    BPG_OK);
	ck_assert_msg(r == resolve_rows[_i].want, "row %s: result %d (%s)",
	    resolve_rows[_i].name, r, why.msg);
	if (r == BPG_SECRET_FOUND)
		ck_assert_msg(
		    out != NULL && strcmp(out, resolve_rows[_i].value) == 0,
		    "row %s: value", resolve_rows[_i].name);
	else {
		ck_assert_msg(
		    out == NULL, "row %s: a value", resolve_rows[_i].name);
		if (resolve_rows[_i].why != NULL)
			ck_assert_msg(
			    strstr(why.msg, resolve_rows[_i].why) != NULL,
			    "row %s: reason \"%s\"", resolve_rows[_i].name,
			    why.msg);
	}
	/* Reasons never carry the values. */
	ck_assert_ptr_null(strstr(why.msg, PASSWORD));
	ck_assert_ptr_null(strstr(why.msg, TOKEN));
	ck_assert_msg(bpg_secret_requests(c) == resolve_rows[_i].requests,
	    "row %s: %u requests", resolve_rows[_i].name,
	    bpg_secret_requests(c));
	free(out);
	bpg_secret_client_free(c);
	srv_stop();
}
END_TEST

/* Each Secret is read once per client, whatever came of it. */
START_TEST(test_one_request_per_secret)
{
	struct bpg_secret_client *c;
	enum bpg_secret_result r;
	char *out;

	srv_start();
	c = client(3, 10, 5000);
	ck_assert_int_eq(
	    bpg_secret_resolve(
		c, "k8s:secret:spark:bpg-db:password", &out, &r, NULL),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FOUND);
	free(out);
	ck_assert_int_eq(bpg_secret_resolve(c, "k8s:secret:spark:bpg-db:token",
			     &out, &r, NULL),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FOUND);
	ck_assert_str_eq(out, TOKEN "x");
	free(out);
	ck_assert_int_eq(bpg_secret_resolve(c, "k8s:secret:spark:bpg-db:nokey",
			     &out, &r, NULL),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_ABSENT);
	ck_assert_uint_eq(bpg_secret_requests(c), 1);
	/* A failed Secret is not tried again either. */
	ck_assert_int_eq(
	    bpg_secret_resolve(c, "k8s:secret:spark:broken:a", &out, &r, NULL),
	    BPG_OK);
	ck_assert_int_eq(
	    bpg_secret_resolve(c, "k8s:secret:spark:broken:b", &out, &r, NULL),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FAILED);
	ck_assert_uint_eq(bpg_secret_requests(c), 4);
	/* The pod's namespace is another namespace: another request. */
	ck_assert_int_eq(bpg_secret_resolve(
			     c, "k8s:secret::bpg-db:password", &out, &r, NULL),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FOUND);
	free(out);
	ck_assert_uint_eq(bpg_secret_requests(c), 5);
	bpg_secret_client_free(c);
	srv_stop();
}
END_TEST

static long
ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Three attempts, the pause between them; then the reference text. */
START_TEST(test_retry_pause)
{
	struct bpg_secret_client *c;
	enum bpg_secret_result r;
	struct timespec t0;
	char *out;

	srv_start();
	c = client(3, 300, 5000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(
	    bpg_secret_resolve(c, "k8s:secret:spark:broken:x", &out, &r, NULL),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FAILED);
	ck_assert_uint_eq(bpg_secret_requests(c), 3);
	ck_assert_int_ge(ms_since(&t0), 600);
	bpg_secret_client_free(c);
	srv_stop();
}
END_TEST

/* A request that takes longer than the timeout is a failed attempt. */
START_TEST(test_timeout)
{
	struct bpg_secret_client *c;
	enum bpg_secret_result r;
	struct bpg_errinfo why;
	struct timespec t0;
	char *out;

	srv_start();
	c = client(1, 0, 300);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(bpg_secret_resolve(c, "k8s:secret:spark:slow:password",
			     &out, &r, &why),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FAILED);
	ck_assert_ptr_nonnull(strstr(why.msg, "in 1 attempt;"));
	ck_assert_int_lt(ms_since(&t0), 1400);
	bpg_secret_client_free(c);
	srv_stop();
}
END_TEST

/* Nothing listens: every attempt fails at once. */
START_TEST(test_connection_refused)
{
	struct bpg_secret_client *c;
	enum bpg_secret_result r;
	struct bpg_errinfo why;
	char *out;

	srv_start();
	srv_kill();
	c = client(3, 0, 5000);
	ck_assert_int_eq(
	    bpg_secret_resolve(c, "k8s:secret:spark:bpg-db:x", &out, &r, &why),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FAILED);
	ck_assert_uint_eq(bpg_secret_requests(c), 3);
	bpg_secret_client_free(c);
	srv_stop();
}
END_TEST

/* The service account files. */
START_TEST(test_account_files)
{
	struct bpg_secret_client *c;
	enum bpg_secret_result r;
	struct bpg_errinfo why;
	char path[256], *out;

	srv_start();
	/* No token file: nothing is sent. */
	snprintf(path, sizeof(path), "%s/token", srv_dir);
	ck_assert_int_eq(unlink(path), 0);
	c = client(3, 0, 5000);
	ck_assert_int_eq(bpg_secret_resolve(c,
			     "k8s:secret:spark:bpg-db:"
			     "password",
			     &out, &r, &why),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FAILED);
	ck_assert_ptr_nonnull(strstr(why.msg,
	    "cannot read the service "
	    "account token"));
	ck_assert_uint_eq(bpg_secret_requests(c), 0);
	bpg_secret_client_free(c);
	/* A token with a space in it is no bearer token. */
	write_file(srv_dir, "token", "two words");
	c = client(3, 0, 5000);
	ck_assert_int_eq(bpg_secret_resolve(c,
			     "k8s:secret:spark:bpg-db:"
			     "password",
			     &out, &r, &why),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FAILED);
	ck_assert_ptr_null(strstr(why.msg, "two words"));
	bpg_secret_client_free(c);
	/* A wrong token: the server says 401, which is retried. */
	write_file(srv_dir, "token", "wrong-token");
	c = client(2, 0, 5000);
	ck_assert_int_eq(bpg_secret_resolve(c,
			     "k8s:secret:spark:bpg-db:"
			     "password",
			     &out, &r, &why),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FAILED);
	ck_assert_ptr_nonnull(strstr(why.msg, "HTTP 401"));
	ck_assert_uint_eq(bpg_secret_requests(c), 2);
	bpg_secret_client_free(c);
	/* No namespace file: only references with an empty <ns> fail. */
	write_file(srv_dir, "token", TOKEN);
	snprintf(path, sizeof(path), "%s/namespace", srv_dir);
	ck_assert_int_eq(unlink(path), 0);
	c = client(3, 0, 5000);
	ck_assert_int_eq(bpg_secret_resolve(
			     c, "k8s:secret::bpg-db:password", &out, &r, &why),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FAILED);
	ck_assert_ptr_nonnull(strstr(why.msg, "namespace"));
	ck_assert_int_eq(bpg_secret_resolve(c,
			     "k8s:secret:spark:bpg-db:"
			     "password",
			     &out, &r, &why),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FOUND);
	free(out);
	bpg_secret_client_free(c);
	/* A namespace file that holds no namespace name. */
	write_file(srv_dir, "namespace", "Pod NS");
	c = client(3, 0, 5000);
	ck_assert_int_eq(bpg_secret_resolve(
			     c, "k8s:secret::bpg-db:password", &out, &r, &why),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FAILED);
	bpg_secret_client_free(c);
	/* A ca.crt that is no CA: https fails, plain http ignores it. */
	write_file(srv_dir, "namespace", "podns");
	write_file(srv_dir, "ca.crt", "not a certificate");
	c = client(1, 0, 5000);
	ck_assert_int_eq(bpg_secret_resolve(
			     c, "k8s:secret::bpg-db:password", &out, &r, &why),
	    BPG_OK);
	ck_assert_int_eq(r, BPG_SECRET_FOUND);
	free(out);
	bpg_secret_client_free(c);
	srv_stop();
}
END_TEST

/* ---- whole configs ----------------------------------------------------- */

static char *
config_text(const char *token_ref, const char *ca_ref, const char *pw_ref)
{
	char *y;

	ck_assert_int_gt(
	    asprintf(&y,
		"inClusterApiServer: http://127.0.0.1:%d\n"
		"inClusterServiceAccountDir: %s\n"
		"sparkClusters:\n"
		"  - id: c1\n"
		"    weight: 1\n"
		"    masterUrl: https://k8s.example.com\n"
		"    sparkApplicationNamespace: spark\n"
		"    userTokenSOPS: %s\n"
		"    caCertDataSOPS: %s\n"
		"dbStorageSOPS:\n"
		"  connectionString: jdbc:mysql://127.0.0.1:3306/bpg\n"
		"  user: bpg\n"
		"  password: %s\n",
		srv_port, srv_dir, token_ref, ca_ref, pw_ref),
	    0);
	return y;
}

START_TEST(test_config_resolves)
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error err;
	char *y;
	size_t i;

	srv_start();
	y = config_text("k8s:secret:spark:bpg-db:token", "''",
	    "k8s:secret::bpg-db:password");
	ck_assert_msg(bpg_config_parse(y, strlen(y), &cfg, &err) == BPG_OK,
	    "%s: %s", err.path, err.msg);
	ck_assert_str_eq(cfg->clusters[0].token, TOKEN "x");
	ck_assert_str_eq(cfg->db.password, PASSWORD);
	ck_assert_str_eq(cfg->incluster_sa_dir, srv_dir);
	ck_assert_uint_eq(cfg->warnings.n, 0);
	for (i = 0; i < cfg->warnings.n; i++)
		ck_assert_ptr_null(strstr(cfg->warnings.v[i], PASSWORD));
	bpg_config_free(cfg);
	free(y);

	/* Missing key and Secret: the text itself, with warnings that name
	 * the key path and the Secret, never a value. */
	y = config_text("k8s:secret:spark:bpg-db:nokey", "''",
	    "k8s:secret:spark:nope:password");
	ck_assert_msg(bpg_config_parse(y, strlen(y), &cfg, &err) == BPG_OK,
	    "%s: %s", err.path, err.msg);
	ck_assert_str_eq(
	    cfg->clusters[0].token, "k8s:secret:spark:bpg-db:nokey");
	ck_assert_str_eq(cfg->db.password, "k8s:secret:spark:nope:password");
	ck_assert(tu_has_warning(cfg,
	    "sparkClusters[0].userTokenSOPS: Secret "
	    "spark/bpg-db has no key \"nokey\"; the reference text itself is "
	    "used (section 7.3)"));
	ck_assert(tu_has_warning(cfg,
	    "dbStorageSOPS.password: Secret "
	    "spark/nope does not exist"));
	for (i = 0; i < cfg->warnings.n; i++) {
		ck_assert_ptr_null(strstr(cfg->warnings.v[i], PASSWORD));
		ck_assert_ptr_null(strstr(cfg->warnings.v[i], TOKEN));
	}
	bpg_config_free(cfg);
	free(y);

	/* A CA that cannot be read stops the start. */
	y = config_text("plaintext:" TOKEN, "k8s:secret:spark:bpg-db:ca.crt",
	    "plaintext:x");
	ck_assert_int_eq(
	    bpg_config_parse(y, strlen(y), &cfg, &err), BPG_ECONFIG);
	ck_assert_str_eq(err.path, "sparkClusters[0].caCertDataSOPS");
	ck_assert_int_eq(err.line, 9);
	ck_assert_msg(
	    strstr(err.msg,
		"the k8s:secret: reference was not "
		"resolved: Secret spark/bpg-db has no key \"ca.crt\"") != NULL,
	    "%s", err.msg);
	free(y);
	srv_stop();
}
END_TEST

/* Defaults, and a bad inClusterApiServer reported with its line. */
START_TEST(test_config_keys)
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error err;
	static const char bad[] =
	    "sparkClusters: []\n"
	    "inClusterApiServer: kubernetes.default.svc\n";
	static const char none[] = "inClusterApiServer: ''\n"
				   "inClusterServiceAccountDir: ''\n";
	/* A reference in a config whose service account directory is not
	 * there (a machine outside Kubernetes): a warning, no request. */
	static const char away[] =
	    "inClusterServiceAccountDir: "
	    "/nonexistent/bpg-sa\n"
	    "dbStorageSOPS:\n  password: k8s:secret:db:bpg:password\n";

	ck_assert_int_eq(
	    bpg_config_parse(bad, strlen(bad), &cfg, &err), BPG_ECONFIG);
	ck_assert_str_eq(err.path, "inClusterApiServer");
	ck_assert_int_eq(err.line, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "http:// or https://"));

	ck_assert_int_eq(
	    bpg_config_parse(none, strlen(none), &cfg, &err), BPG_OK);
	ck_assert_ptr_null(cfg->incluster_api_server);
	ck_assert_ptr_null(cfg->incluster_sa_dir);
	bpg_config_free(cfg);

	ck_assert_int_eq(
	    bpg_config_parse(away, strlen(away), &cfg, &err), BPG_OK);
	ck_assert_str_eq(cfg->db.password, "k8s:secret:db:bpg:password");
	ck_assert(tu_has_warning(cfg,
	    "dbStorageSOPS.password: cannot read the "
	    "service account token /nonexistent/bpg-sa/token"));
	bpg_config_free(cfg);
}
END_TEST

static Suite *
secret_suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc;

	tc = tcase_create("references");
	tcase_add_loop_test(tc, test_config_value, 0,
	    TU_NROWS(config_value_rows));
	tcase_add_loop_test(tc, test_parse, 0, TU_NROWS(parse_rows));
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_bad_url, 0, TU_NROWS(bad_url_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_resolve, 0, TU_NROWS(resolve_rows));
	tcase_add_test(tc, test_one_request_per_secret);
	tcase_add_test(tc, test_retry_pause);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_connection_refused);
	tcase_add_test(tc, test_account_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_config_resolves);
	tcase_add_test(tc, test_config_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(secret_suite());
}
