/*
 * TLS on the database link: the JDBC URL's TLS settings and
 * dbStorageSOPS.caCertDataSOPS, checked by the config (bpg-gateway -t),
 * and used against a MariaDB that serves TLS with a certificate of
 * tests/pki.sh and refuses cleartext (require_secure_transport=ON).
 * tests/run-unit.sh starts that server when this program is among its
 * tests and passes:
 *
 *	BPG_TEST_DBTLS_PORT	the TLS server's port (127.0.0.1)
 *	BPG_TEST_DBTLS_PKI	its PKI directory (ca.pem, ca.b64)
 *	BPG_TEST_DBTLS_OTHER_PKI another CA's directory (the wrong CA)
 *	BPG_TEST_DB_PORT	the usual server, which offers no TLS
 *
 * By hand:
 *	sh tests/pki.sh /tmp/p; sh tests/pki.sh /tmp/q
 *	BPG_DB_TLS_DIR=/tmp/p sh tests/mariadb.sh start /tmp/tlsdb 13307
 *	BPG_TEST_DBTLS_PORT=13307 BPG_TEST_DBTLS_PKI=/tmp/p \
 *	    BPG_TEST_DBTLS_OTHER_PKI=/tmp/q build/tests/check_dbtls
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <fcntl.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <mysql.h>

#include "bpg_api.h"
#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_monitor.h"
#include "testutil.h"

#define TEST_PASSWORD "bpg-test-pw"
#define TEST_CASE_TIMEOUT 300

static char test_user[] = "bpg";
static char test_password[] = TEST_PASSWORD;

static unsigned int
tls_port(void)
{
	return tu_env_port("BPG_TEST_DBTLS_PORT", "mariadb.sh");
}

/* A file of a PKI directory named by env (tests/pki.sh), tracked. */
static char *
pki_file(const char *env, const char *name, size_t *len)
{
	const char *dir = getenv(env);
	char path[1024];
	char *s;

	ck_assert_msg(dir != NULL && dir[0] != '\0', "%s is not set "
	    "(run through tests/run-unit.sh)", env);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	s = tu_slurp(path, len);
	ck_assert_msg(s != NULL, "%s: cannot read", path);
	return tu_track(s);
}

/* The base64 of a CA on one line, without its newline. */
static char *
ca_b64(const char *env)
{
	size_t len;
	char *s = pki_file(env, "ca.b64", &len);

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	return s;
}

/*
 * Drop this test process's schema on the TLS server (over TLS), or with
 * plain on the usual one.
 */
static void
drop_schema_on(bool plain)
{
	const char *dir = getenv("BPG_TEST_DBTLS_PKI");
	char ca[1024], sql[128];
	my_bool on = 1;
	MYSQL *my;

	ck_assert_ptr_nonnull(dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS `bpgtls_%ld`",
	    (long)getpid());
	ck_assert_ptr_nonnull(my = mysql_init(NULL));
	if (!plain) {
		mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &on);
		mysql_options(my, MYSQL_OPT_SSL_CA, ca);
	}
	ck_assert_msg(mysql_real_connect(my, "127.0.0.1", test_user,
	    test_password, NULL, plain ? tu_env_port("BPG_TEST_DB_PORT",
	    "mariadb.sh") : tls_port(), NULL, 0) != NULL, "admin: %s",
	    mysql_error(my));
	ck_assert_msg(mysql_query(my, sql) == 0, "%s: %s", sql,
	    mysql_error(my));
	mysql_close(my);
}

static void
drop_schema(void)
{
	drop_schema_on(false);
}

/* ---- the config: what -t refuses ----------------------------------- */

static const struct {
	const char *params; /* the URL's query */
	int ca; /* 0: no caCertDataSOPS, 1: the CA's base64, 2: not a CA */
	const char *why; /* NULL: accepted; else part of the message */
} conf_rows[] = {
    {"?sslMode=VERIFY_IDENTITY", 1, NULL},
    {"?sslMode=VERIFY_IDENTITY", 0, NULL},
    {"?sslMode=VERIFY_CA", 1, NULL},
    {"?useSSL=true&requireSSL=true&verifyServerCertificate=true", 1, NULL},
    {"?sslMode=REQUIRED", 0, NULL},
    {"?sslMode=PREFERRED", 0, NULL},
    {"?sslMode=DISABLED", 0, NULL},
    {"", 0, NULL},
    {"?sslMode=VERIFY_CA", 0, "VERIFY_CA needs dbStorageSOPS.caCertDataSOPS"},
    {"?useSSL=true&verifyServerCertificate=true", 0,
	"VERIFY_CA needs dbStorageSOPS.caCertDataSOPS"},
    {"", 1, "asks for no TLS"},
    {"?sslMode=DISABLED", 1, "asks for no TLS"},
    {"?useSSL=false", 1, "asks for no TLS"},
    {"?sslMode=ALWAYS", 0, "sslMode must be"},
    {"?useSSL=maybe", 0, "useSSL must be"},
    {"?sslMode=VERIFY_IDENTITY", 2, "neither base64"},
};

START_TEST(test_config)
{
	struct bpg_config_error err;
	struct bpg_config *cfg = NULL;
	char yaml[4096];
	const char *ca;
	enum bpg_err e;

	ca = conf_rows[_i].ca == 1 ? ca_b64("BPG_TEST_DBTLS_PKI")
	    : conf_rows[_i].ca == 2 ? "bm90IGEgY2VydGlmaWNhdGU="
	    : NULL;
	snprintf(yaml, sizeof(yaml),
	    "dbStorageSOPS:\n"
	    "  connectionString: 'jdbc:mysql://db.example:3306/bpg%s'\n"
	    "  user: bpg\n"
	    "  password: " TEST_PASSWORD "\n"
	    "%s%s%s",
	    conf_rows[_i].params, ca != NULL ? "  caCertDataSOPS: '" : "",
	    ca != NULL ? ca : "", ca != NULL ? "'\n" : "");
	memset(&err, 0, sizeof(err));
	e = bpg_config_parse(yaml, strlen(yaml), &cfg, &err);
	if (conf_rows[_i].why == NULL) {
		ck_assert_msg(e == BPG_OK, "row %d: %s", _i, err.msg);
		ck_assert(conf_rows[_i].ca != 1 || (cfg->db.ca_cert != NULL &&
		    strncmp(cfg->db.ca_cert, "-----BEGIN ", 11) == 0));
		bpg_config_free(cfg);
		return;
	}
	ck_assert_msg(e == BPG_ECONFIG, "row %d: accepted", _i);
	ck_assert_msg(strstr(err.msg, conf_rows[_i].why) != NULL,
	    "row %d: \"%s\" lacks \"%s\"", _i, err.msg, conf_rows[_i].why);
	ck_assert_msg(strstr(err.msg, TEST_PASSWORD) == NULL &&
	    (ca == NULL || strstr(err.msg, ca) == NULL),
	    "row %d: the message repeats a secret or the CA: %s", _i, err.msg);
}
END_TEST

/* ---- connections ---------------------------------------------------- */

struct ctx {
	char url[256], schema[64];
	struct bpg_dbconf conf;
};

/* ca: NULL none, else the PKI directory variable of the CA to trust. */
static void
ctx_init(struct ctx *c, const char *params, const char *ca_env)
{
	size_t len = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->schema, sizeof(c->schema), "bpgtls_%ld", (long)getpid());
	snprintf(c->url, sizeof(c->url),
	    "jdbc:mysql://127.0.0.1:%u/%s%sconnectTimeout=5000"
	    "&socketTimeout=10000", tls_port(), params,
	    params[0] != '\0' ? "&" : "?");
	c->conf.connection_string = c->url;
	c->conf.user = test_user;
	c->conf.password = test_password;
	c->conf.db_name = c->schema;
	if (ca_env != NULL) {
		c->conf.ca_cert = pki_file(ca_env, "ca.pem", &len);
		c->conf.ca_cert_len = len;
	}
}

static const struct {
	const char *params;
	const char *ca_env;
} tls_ok[] = {
    {"?sslMode=VERIFY_IDENTITY", "BPG_TEST_DBTLS_PKI"},
    {"?sslMode=VERIFY_CA", "BPG_TEST_DBTLS_PKI"},
    {"?useSSL=true&requireSSL=true&verifyServerCertificate=true",
	"BPG_TEST_DBTLS_PKI"},
    {"?sslMode=verify-full", "BPG_TEST_DBTLS_PKI"},
    {"?sslMode=REQUIRED", NULL},
    {"?useSSL=true&requireSSL=true", NULL},
    {"?sslMode=PREFERRED", NULL},
};

/* Each mode connects over TLS, by the client's and the server's word. */
START_TEST(test_tls_ok)
{
	struct bpg_db_submission sub = {"tls-1", "alice", "3.5.0", "{}",
	    NULL, "SparkPi", NULL};
	struct bpg_errinfo ei = {""};
	struct bpg_db *db = NULL;
	struct ctx c;
	char cipher[128];
	json_t *row = NULL;

	ctx_init(&c, tls_ok[_i].params, tls_ok[_i].ca_env);
	ck_assert_msg(bpg_db_new(&c.conf, &db, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_msg(bpg_db_connect(db, &ei) == BPG_OK, "row %d (%s): %s",
	    _i, c.url, ei.msg);
	ck_assert_ptr_nonnull(bpg_db_tls_cipher(db));
	ck_assert_int_eq(bpg_db_session_tls_cipher(db, cipher,
	    sizeof(cipher), &ei), BPG_OK);
	ck_assert_msg(cipher[0] != '\0', "row %d: Ssl_cipher is empty", _i);
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_get_submission(db, "tls-1", &row, &ei),
	    BPG_OK);
	ck_assert_str_eq(json_string_value(json_object_get(row, "user")),
	    "alice");
	json_decref(row);
	bpg_db_free(db);
	drop_schema();
}
END_TEST

static const struct {
	const char *params;
	const char *ca_env;
	enum bpg_err err;
	const char *why;
} tls_bad[] = {
    /* Cleartext: the server refuses it. */
    {"", NULL, BPG_EDB, "cannot connect"},
    {"?sslMode=DISABLED", NULL, BPG_EDB, "cannot connect"},
    {"?useSSL=false", NULL, BPG_EDB, "cannot connect"},
    /* Another CA: fails, and says against what it checked. */
    {"?sslMode=VERIFY_CA", "BPG_TEST_DBTLS_OTHER_PKI", BPG_ECONFIG,
	"sslMode VERIFY_CA: the server's certificate is checked against "
	"dbStorageSOPS.caCertDataSOPS"},
    {"?sslMode=VERIFY_IDENTITY", "BPG_TEST_DBTLS_OTHER_PKI", BPG_ECONFIG,
	"checked against dbStorageSOPS.caCertDataSOPS"},
    {"?useSSL=true&requireSSL=true&verifyServerCertificate=true",
	"BPG_TEST_DBTLS_OTHER_PKI", BPG_ECONFIG, "caCertDataSOPS"},
    /* A CA with REQUIRED is used too, never ignored. */
    {"?sslMode=REQUIRED", "BPG_TEST_DBTLS_OTHER_PKI", BPG_ECONFIG,
	"caCertDataSOPS"},
    /* Without a CA, VERIFY_IDENTITY trusts the system's store only. */
    {"?sslMode=VERIFY_IDENTITY", NULL, BPG_ECONFIG, "system's CA store"},
};

START_TEST(test_tls_bad)
{
	struct bpg_errinfo ei = {""};
	struct bpg_db *db = NULL;
	struct ctx c;
	enum bpg_err e;

	ctx_init(&c, tls_bad[_i].params, tls_bad[_i].ca_env);
	ck_assert_msg(bpg_db_new(&c.conf, &db, &ei) == BPG_OK, "%s", ei.msg);
	e = bpg_db_connect(db, &ei);
	ck_assert_msg(e == tls_bad[_i].err, "row %d (%s): %d: %s", _i, c.url,
	    (int)e, ei.msg);
	ck_assert_msg(strstr(ei.msg, tls_bad[_i].why) != NULL,
	    "row %d: \"%s\" lacks \"%s\"", _i, ei.msg, tls_bad[_i].why);
	ck_assert_msg(strstr(ei.msg, TEST_PASSWORD) == NULL &&
	    strstr(ei.msg, "BEGIN") == NULL,
	    "row %d: the message repeats the password or the CA: %s", _i,
	    ei.msg);
	ck_assert_ptr_null(bpg_db_tls_cipher(db));
	bpg_db_free(db);
}
END_TEST

/*
 * Against a server that offers no TLS: Connector/C's SSL_ENFORCE alone
 * would go on in cleartext; REQUIRED and above must not.
 */
static const struct {
	const char *params;
	const char *ca_env;
	enum bpg_err err;
} plain[] = {
    {"?sslMode=REQUIRED", NULL, BPG_ECONFIG},
    {"?useSSL=true&requireSSL=true", NULL, BPG_ECONFIG},
    {"?sslMode=VERIFY_CA", "BPG_TEST_DBTLS_PKI", BPG_ECONFIG},
    {"?sslMode=VERIFY_IDENTITY", "BPG_TEST_DBTLS_PKI", BPG_ECONFIG},
    {"?sslMode=PREFERRED", NULL, BPG_OK},
    {"?sslMode=DISABLED", NULL, BPG_OK},
};

START_TEST(test_plain_server)
{
	struct bpg_errinfo ei = {""};
	struct bpg_db *db = NULL;
	struct ctx c;
	char url[256];
	enum bpg_err e;

	ctx_init(&c, plain[_i].params, plain[_i].ca_env);
	snprintf(url, sizeof(url), "jdbc:mysql://127.0.0.1:%u/%s",
	    tu_env_port("BPG_TEST_DB_PORT", "mariadb.sh"), plain[_i].params);
	c.conf.connection_string = url;
	ck_assert_msg(bpg_db_new(&c.conf, &db, &ei) == BPG_OK, "%s", ei.msg);
	e = bpg_db_connect(db, &ei);
	ck_assert_msg(e == plain[_i].err, "row %d (%s): %d: %s", _i, url,
	    (int)e, ei.msg);
	if (e == BPG_OK) {
		ck_assert_ptr_null(bpg_db_tls_cipher(db));
		drop_schema_on(true);
	} else
		ck_assert_msg(strstr(ei.msg, "offers no TLS") != NULL ||
		    strstr(ei.msg, "over TLS") != NULL, "row %d: %s", _i,
		    ei.msg);
	bpg_db_free(db);
}
END_TEST

/* ---- the gateway and the monitor ------------------------------------ */

/* A config whose database is the TLS server, checked with ca_env's CA. */
static void
tls_yaml(char *yaml, size_t size, const char *ca_env)
{
	snprintf(yaml, size,
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 1, masterUrl: 'http://127.0.0.1:%u',\n"
	    "     sparkApplicationNamespace: ns, timeoutMillis: 5000,\n"
	    "     userTokenSOPS: 'plaintext:token-0123456789'}\n"
	    "dbStorageSOPS:\n"
	    "  connectionString: 'jdbc:mysql://127.0.0.1:%u/?"
	    "sslMode=VERIFY_IDENTITY&connectTimeout=5000'\n"
	    "  user: bpg\n"
	    "  password: " TEST_PASSWORD "\n"
	    "  dbName: bpgtls_%ld\n"
	    "  caCertDataSOPS: '%s'\n",
	    tu_closed_port(), tls_port(), (long)getpid(), ca_b64(ca_env));
}

static struct bpg_config *
tls_config(const char *ca_env)
{
	char yaml[4096];

	tls_yaml(yaml, sizeof(yaml), ca_env);
	return tu_config(yaml, NULL);
}

/* The gateway's DB layer, as a worker warms it: over TLS. */
START_TEST(test_gateway)
{
	struct bpg_config *cfg = tls_config("BPG_TEST_DBTLS_PKI");
	struct bpg_errinfo ei = {""};
	struct bpg_api *api = NULL;

	ck_assert_msg(bpg_api_new(cfg, &api, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_msg(bpg_api_warm(api, &ei) == BPG_OK, "%s", ei.msg);
	bpg_api_free(api);
	bpg_config_free(cfg);

	/* With the wrong CA, warming fails with a configuration error. */
	cfg = tls_config("BPG_TEST_DBTLS_OTHER_PKI");
	ck_assert_msg(bpg_api_new(cfg, &api, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_int_eq(bpg_api_warm(api, &ei), BPG_ECONFIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "caCertDataSOPS"));
	bpg_api_free(api);
	bpg_config_free(cfg);
	drop_schema();
}
END_TEST

/*
 * bpg-gateway itself, on a FastCGI socket, with the wrong CA: it stops at
 * start-up, saying why, instead of failing every request.  The binary is
 * the one built beside this test (<build>/bpg-gateway).
 */
START_TEST(test_gateway_start)
{
	char exe[1024], gw[1100], cfgpath[256], errpath[256], yaml[4096];
	char *err, *p;
	struct sockaddr_un sun;
	size_t len;
	ssize_t n;
	int s, fd, status = 0, i;
	pid_t pid;
	FILE *f;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	ck_assert_ptr_nonnull(p = strstr(exe, "/tests/check_dbtls"));
	*p = '\0';
	snprintf(gw, sizeof(gw), "%s/bpg-gateway", exe);
	ck_assert_msg(access(gw, X_OK) == 0, "%s: not built", gw);

	snprintf(cfgpath, sizeof(cfgpath), "/tmp/bpgtls-%ld.yaml",
	    (long)getpid());
	snprintf(errpath, sizeof(errpath), "/tmp/bpgtls-%ld.err",
	    (long)getpid());
	tls_yaml(yaml, sizeof(yaml), "BPG_TEST_DBTLS_OTHER_PKI");
	ck_assert_ptr_nonnull(f = fopen(cfgpath, "w"));
	fputs(yaml, f);
	ck_assert_int_eq(fclose(f), 0);

	/* fd 0 a listening socket, as spawn-fcgi leaves it. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/bpgtls-%ld.sock",
	    (long)getpid());
	unlink(sun.sun_path);
	ck_assert_int_ge(s = socket(AF_UNIX, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(s, 8), 0);
	if ((pid = fork()) == 0) {
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(s, 0) < 0 || dup2(fd, 2) < 0)
			_exit(99);
		execl(gw, gw, "-c", cfgpath, "-w", "1", (char *)NULL);
		_exit(98);
	}
	ck_assert_int_gt(pid, 0);
	/* Bounded: a gateway that did not stop is killed, and fails. */
	for (i = 0; i < 600 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(100000);
	if (i == 600) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ck_abort_msg("bpg-gateway kept running with the wrong CA");
	}
	close(s);
	unlink(sun.sun_path);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "status %d", status);
	err = tu_track(tu_slurp(errpath, &len));
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, "over TLS") != NULL &&
	    strstr(err, "caCertDataSOPS") != NULL &&
	    strstr(err, TEST_PASSWORD) == NULL &&
	    strstr(err, "BEGIN") == NULL, "stderr: %s", err);
	unlink(errpath);
	unlink(cfgpath);
}
END_TEST

/*
 * The monitor takes the leader lock over TLS (the server refuses anything
 * else), on a session with a short wait_timeout: twice the cluster's
 * timeoutMillis (5 s) plus BPG_MONITOR_LOCK_IDLE_MARGIN_S.
 */
START_TEST(test_monitor)
{
	struct bpg_config *cfg = tls_config("BPG_TEST_DBTLS_PKI");
	struct bpg_errinfo ei = {""};
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;
	unsigned long idle = 0;
	char cipher[128];
	int i;

	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	ck_assert_msg(bpg_monitor_new(&o, &m, &ei) == BPG_OK, "%s", ei.msg);
	for (i = 0; i < 50 && !bpg_monitor_leader(m); i++)
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert(bpg_monitor_leader(m));
	ck_assert_int_eq(bpg_db_session_tls_cipher(bpg_monitor_lock_db(m),
	    cipher, sizeof(cipher), &ei), BPG_OK);
	ck_assert(cipher[0] != '\0');
	ck_assert_int_eq(bpg_db_session_idle_timeout(bpg_monitor_lock_db(m),
	    &idle, &ei), BPG_OK);
	ck_assert_uint_eq(idle, 2 * 5 + BPG_MONITOR_LOCK_IDLE_MARGIN_S);
	bpg_monitor_free(m);
	bpg_config_free(cfg);
	drop_schema();
}
END_TEST

/* With the wrong CA the monitor stops at its first step, saying why. */
START_TEST(test_monitor_wrong_ca)
{
	struct bpg_config *cfg = tls_config("BPG_TEST_DBTLS_OTHER_PKI");
	struct bpg_errinfo ei = {""};
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;

	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	ck_assert_msg(bpg_monitor_new(&o, &m, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_int_eq(bpg_monitor_step(m, 100, &ei), BPG_ECONFIG);
	ck_assert_msg(strstr(ei.msg, "over TLS") != NULL &&
	    strstr(ei.msg, "caCertDataSOPS") != NULL, "%s", ei.msg);
	ck_assert(!bpg_monitor_leader(m));
	bpg_monitor_free(m);
	bpg_config_free(cfg);
}
END_TEST

static Suite *
dbtls_suite(void)
{
	Suite *s = suite_create("dbtls");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_loop_test(tc, test_config, 0, TU_NROWS(conf_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("server");
	tcase_set_timeout(tc, TEST_CASE_TIMEOUT);
	tcase_add_loop_test(tc, test_tls_ok, 0, TU_NROWS(tls_ok));
	tcase_add_loop_test(tc, test_tls_bad, 0, TU_NROWS(tls_bad));
	tcase_add_loop_test(tc, test_plain_server, 0, TU_NROWS(plain));
	tcase_add_test(tc, test_gateway);
	tcase_add_test(tc, test_gateway_start);
	tcase_add_test(tc, test_monitor);
	tcase_add_test(tc, test_monitor_wrong_ca);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = tu_run(dbtls_suite());
	mysql_library_end();
	curl_global_cleanup();
	return rc;
}
