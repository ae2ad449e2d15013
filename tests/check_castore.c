/*
 * Tests for lib/bpg_castore.c: Kubernetes handles that share one parsed
 * store per CA verify exactly as handles that let libcurl load their CA:
 * each cluster against its own CA, a wrong CA or host name refused; one
 * store per distinct CA however many handles; and an open handle's heap
 * (tests/bench/clusters.sh measures the gateway's).
 *
 * The API servers are two loopback TLS servers (OpenSSL, a process per
 * connection, keep-alive) with the certificates of tests/data/castore:
 * server1.pem for IP 127.0.0.1 signed by ca1.pem, server2.pem the same by
 * ca2.pem.  Every GET is answered with one SparkApplication.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>
#include <openssl/ssl.h>

#include "bpg_castore.h"
#include "bpg_kube.h"
#include "testutil.h"

#define APP "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\"," \
	"\"kind\":\"SparkApplication\",\"metadata\":{\"name\":\"app\"}}"

/* The handles of test_one_store_per_ca. */
#define NSAME 20

struct server {
	pid_t pid;
	unsigned int port;
};

static struct server srv[2];
static char *ca[2];
static size_t ca_len[2];

/* One connection: answer each request until the client closes. */
static void
serve_conn(SSL_CTX *ctx, int fd)
{
	char buf[8192], out[512];
	size_t have = 0;
	SSL *ssl;
	char *end;
	int n;

	alarm(120);
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_accept(ssl) != 1)
		_exit(0);
	for (;;) {
		n = SSL_read(ssl, buf + have, (int)(sizeof(buf) - 1 - have));
		if (n <= 0)
			_exit(0);
		have += (size_t)n;
		buf[have] = '\0';
		while ((end = strstr(buf, "\r\n\r\n")) != NULL) {
			n = snprintf(out, sizeof(out), "HTTP/1.1 200 OK\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: %zu\r\n\r\n%s", strlen(APP), APP);
			if (SSL_write(ssl, out, n) != n)
				_exit(0);
			have -= (size_t)(end + 4 - buf);
			memmove(buf, end + 4, have + 1);
		}
		if (have == sizeof(buf) - 1)
			_exit(0);
	}
}

static void
serve(struct server *s, const char *cert, const char *key)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	SSL_CTX *ctx;
	int lfd, fd;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 64), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	s->port = ntohs(sin.sin_port);
	ck_assert_int_ge(s->pid = fork(), 0);
	if (s->pid > 0) {
		close(lfd);
		return;
	}
	/* Not Check's handlers, which end the whole process group. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGCHLD, SIG_IGN);
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		_exit(1);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) < 0)
			continue;
		if (fork() == 0) {
			close(lfd);
			serve_conn(ctx, fd);
		}
		close(fd);
	}
}

static void
setup(void)
{
	char *cert, *key;
	int i;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	for (i = 0; i < 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "ca%d.pem", i + 1);
		ca[i] = tu_slurp_data("castore", name, &ca_len[i]);
		snprintf(name, sizeof(name), "server%d.pem", i + 1);
		cert = tu_data_path("castore", name);
		snprintf(name, sizeof(name), "server%d.key", i + 1);
		key = tu_data_path("castore", name);
		serve(&srv[i], cert, key);
		free(cert);
		free(key);
	}
}

static void
teardown(void)
{
	int i;

	for (i = 0; i < 2; i++) {
		/* Not SIGTERM: a server not yet past its signal() calls
		 * would run Check's handler. */
		kill(srv[i].pid, SIGKILL);
		waitpid(srv[i].pid, NULL, 0);
		free(ca[i]);
	}
	tu_arena_free();
	curl_global_cleanup();
}

/* A cluster at host:port trusting pem (a copy; NULL: none given). */
static struct bpg_cluster *
cluster(const char *host, unsigned int port, const char *pem, size_t len)
{
	struct bpg_cluster *c = tu_track(calloc(1, sizeof(*c)));
	char url[128];

	snprintf(url, sizeof(url), "https://%s:%u", host, port);
	c->id = tu_track(strdup("c"));
	c->master_url = tu_track(strdup(url));
	c->namespace = tu_track(strdup("ns"));
	c->token = tu_track(strdup("t"));
	c->timeout_millis = 10000;
	if (pem != NULL) {
		c->ca_cert = tu_track(malloc(len + 1));
		memcpy(c->ca_cert, pem, len + 1);
		c->ca_cert_len = len;
	}
	return c;
}

/*
 * Server, CA given, host name, and whether the request must go through:
 * a server's own CA only, and its name (the certificate is for IP
 * 127.0.0.1 only).
 */
static const struct {
	int server;
	int ca;		/* -1: none, libcurl's default bundle */
	const char *host;
	bool ok;
} verify_rows[] = {
	{ 0, 0, "127.0.0.1", true },
	{ 1, 1, "127.0.0.1", true },
	{ 0, 1, "127.0.0.1", false },
	{ 1, 0, "127.0.0.1", false },
	{ 0, 0, "localhost", false },
	{ 0, -1, "127.0.0.1", false },
};

/* One request by a handle of row r's cluster; cas NULL: libcurl's own
 * loading.  The handle is freed. */
static enum bpg_err
get_app(struct bpg_castore *cas, int r, struct bpg_errinfo *ei)
{
	struct bpg_cluster *c;
	struct bpg_kube *k;
	json_t *out = NULL;
	enum bpg_err e;
	int i = verify_rows[r].ca;

	c = cluster(verify_rows[r].host, srv[verify_rows[r].server].port,
	    i >= 0 ? ca[i] : NULL, i >= 0 ? ca_len[i] : 0);
	ck_assert_int_eq(bpg_kube_new_shared(c, cas, &k, ei), BPG_OK);
	e = bpg_kube_get_app(k, "app", &out, ei);
	ck_assert(e != BPG_OK || json_is_object(out));
	ck_assert(e == BPG_OK || bpg_kube_unsent(k));
	json_decref(out);
	bpg_kube_free(k);
	return e;
}

/* Each row with a store shared by all rows, and as libcurl does it: the
 * same outcome. */
START_TEST(test_verify)
{
	struct bpg_castore *cas;
	struct bpg_errinfo ei = { "" };
	enum bpg_err own, shared;
	int r;

	ck_assert_int_eq(bpg_castore_new(&cas), BPG_OK);
	/* Every row before and after the others' stores exist. */
	for (r = 0; r < TU_NROWS(verify_rows); r++) {
		shared = get_app(cas, r, &ei);
		ck_assert_msg((shared == BPG_OK) == verify_rows[r].ok,
		    "row %d shared: %s", r, ei.msg);
		own = get_app(NULL, r, &ei);
		ck_assert_msg((own == BPG_OK) == verify_rows[r].ok,
		    "row %d own: %s", r, ei.msg);
	}
	for (r = TU_NROWS(verify_rows) - 1; r >= 0; r--)
		ck_assert_msg((get_app(cas, r, &ei) == BPG_OK) ==
		    verify_rows[r].ok, "row %d again: %s", r, ei.msg);
	/* ca1, ca2 and the default bundle, each parsed once. */
	ck_assert_uint_le(bpg_castore_count(cas), 3);
	ck_assert_uint_ge(bpg_castore_count(cas), 2);
	bpg_castore_free(cas);
}
END_TEST

/*
 * NSAME clusters with copies of one CA, each with its connection open: one
 * store, and each handle's heap after its request bounded: libcurl's and
 * OpenSSL's connection state, TLS session included.  Against this server
 * that was 97 kB with a parsed CA and a response buffer kept by each
 * handle, and is 72 kB; the bound lies between.
 */
START_TEST(test_one_store_per_ca)
{
	struct bpg_castore *cas;
	struct bpg_errinfo ei = { "" };
	struct bpg_kube *k[NSAME];
	struct mallinfo2 m0, m1;
	json_t *out;
	size_t i, per;

	ck_assert_int_eq(bpg_castore_new(&cas), BPG_OK);
	/* The first connection's one-time costs (OpenSSL's tables). */
	ck_assert_int_eq(get_app(cas, 0, &ei), BPG_OK);
	m0 = mallinfo2();
	for (i = 0; i < NSAME; i++) {
		ck_assert_int_eq(bpg_kube_new_shared(cluster("127.0.0.1",
		    srv[0].port, ca[0], ca_len[0]), cas, &k[i], &ei), BPG_OK);
		ck_assert_msg(bpg_kube_get_app(k[i], "app", &out, &ei) ==
		    BPG_OK, "%s", ei.msg);
		json_decref(out);
		ck_assert_uint_eq(bpg_kube_held_body(k[i]), 0);
		ck_assert_int_eq(bpg_kube_connects(k[i]), 1);
	}
	m1 = mallinfo2();
	ck_assert_uint_eq(bpg_castore_count(cas), 1);
	/* A second request reuses each connection. */
	for (i = 0; i < NSAME; i++) {
		ck_assert_int_eq(bpg_kube_get_app(k[i], "app", &out, &ei),
		    BPG_OK);
		json_decref(out);
		ck_assert_int_eq(bpg_kube_connects(k[i]), 1);
	}
	per = m1.uordblks > m0.uordblks ? (m1.uordblks - m0.uordblks) /
	    NSAME : 0;
	ck_assert_msg(per < 84 * 1024, "%zu bytes a handle", per);
	for (i = 0; i < NSAME; i++)
		bpg_kube_free(k[i]);
	bpg_castore_free(cas);
}
END_TEST

/* No TLS to the API server, or a TLS proxy on the way: nothing parsed
 * here (libcurl's own loading for the proxy's connection). */
START_TEST(test_not_shared)
{
	struct bpg_castore *cas;
	struct bpg_cluster *c;
	struct bpg_errinfo ei = { "" };
	struct bpg_kube *k;

	ck_assert_int_eq(bpg_castore_new(&cas), BPG_OK);
	c = cluster("127.0.0.1", srv[0].port, ca[0], ca_len[0]);
	c->master_url = tu_track(strdup("http://127.0.0.1:1"));
	ck_assert_int_eq(bpg_kube_new_shared(c, cas, &k, &ei), BPG_OK);
	bpg_kube_free(k);
	c = cluster("127.0.0.1", srv[0].port, ca[0], ca_len[0]);
	c->https_proxy = tu_track(strdup("https://127.0.0.1:1"));
	ck_assert_int_eq(bpg_kube_new_shared(c, cas, &k, &ei), BPG_OK);
	bpg_kube_free(k);
	ck_assert_uint_eq(bpg_castore_count(cas), 0);
	bpg_castore_free(cas);
	bpg_castore_free(NULL);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("castore");
	TCase *tc = tcase_create("castore");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_verify);
	tcase_add_test(tc, test_one_store_per_ca);
	tcase_add_test(tc, test_not_shared);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
