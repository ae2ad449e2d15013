/*
 * Tests for lib/bpg_db_url.c: the JDBC URL of
 * dbStorageSOPS.connectionString, as tables and as the fuzzer's seeds.
 * No server needed.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_db.h"
#include "testutil.h"

/*
 * JDBC URL
 */

static const struct {
	const char *in;
	const char *host;
	unsigned int port;
	const char *database;
	long connect_ms;
	long socket_ms;
} url_good[] = {
    /* BPG's documented example. */
    {"jdbc:mysql://host:3306/bpg?useUnicode=yes&characterEncoding=UTF-8"
     "&useLegacyDatetimeCode=false&connectTimeout=10000"
     "&socketTimeout=30000",
	"host", 3306, "bpg", 10000, 30000},
    {"jdbc:mysql://db.example.com/bpg", "db.example.com", 3306, "bpg", -1, -1},
    {"jdbc:mariadb://10.0.0.1:13306", "10.0.0.1", 13306, "", -1, -1},
    {"jdbc:mysql://[::1]:3307/x", "::1", 3307, "x", -1, -1},
    {"jdbc:mysql://[fe80::1:2]/", "fe80::1:2", 3306, "", -1, -1},
    {"jdbc:mysql://[::ffff:10.1.2.3]", "::ffff:10.1.2.3", 3306, "", -1, -1},
    {"JDBC:MySQL://H_1-a", "H_1-a", 3306, "", -1, -1},
    {"jdbc:mysql:///bpg", "localhost", 3306, "bpg", -1, -1},
    {"jdbc:mysql://:3310", "localhost", 3310, "", -1, -1},
    {"jdbc:mysql://h:1/db", "h", 1, "db", -1, -1},
    {"jdbc:mysql://h:65535/my-db_1$", "h", 65535, "my-db_1$", -1, -1},
    {"jdbc:mysql://h:00080/db", "h", 80, "db", -1, -1},
    {"jdbc:mysql://h?connectTimeout=0", "h", 3306, "", 0, -1},
    {"jdbc:mysql://h/db?", "h", 3306, "db", -1, -1},
    {"jdbc:mysql://h/db?a=1&&b&", "h", 3306, "db", -1, -1},
    {"jdbc:mysql://h/db?connectTimeout=1&connectTimeout=2", "h", 3306, "db", 2,
	-1},
    {"jdbc:mysql://h/db?socketTimeout=2147483647", "h", 3306, "db", -1,
	2147483647},
    {"jdbc:mysql://h/db?user=x&password=y&sslMode=DISABLED", "h", 3306, "db",
	-1, -1},
    /* Keys are case-sensitive, as in Connector/J; unknown ones ignored. */
    {"jdbc:mysql://h/db?connecttimeout=abc", "h", 3306, "db", -1, -1},
    {"jdbc:mysql://h/db?x=a=b&y=%20", "h", 3306, "db", -1, -1},
};

START_TEST(test_url_good)
{
	const char *in = url_good[_i].in;
	struct bpg_db_url u;
	struct bpg_errinfo ei = {""};
	enum bpg_err e;

	e = bpg_db_parse_url(in, strlen(in), &u, &ei);
	ck_assert_msg(e == BPG_OK, "row %d (%s): %s", _i, in, ei.msg);
	ck_assert_msg(u.nhosts == 1, "row %d (%s): %zu hosts", _i, in,
	    u.nhosts);
	ck_assert_msg(strcmp(u.hosts[0].host, url_good[_i].host) == 0,
	    "row %d (%s): host %s", _i, in, u.hosts[0].host);
	ck_assert_msg(u.hosts[0].port == url_good[_i].port,
	    "row %d (%s): port %u", _i, in, u.hosts[0].port);
	ck_assert_msg(strcmp(u.database, url_good[_i].database) == 0,
	    "row %d (%s): database %s", _i, in, u.database);
	ck_assert_msg(u.connect_timeout_ms == url_good[_i].connect_ms,
	    "row %d (%s): connectTimeout %ld", _i, in, u.connect_timeout_ms);
	ck_assert_msg(u.socket_timeout_ms == url_good[_i].socket_ms,
	    "row %d (%s): socketTimeout %ld", _i, in, u.socket_timeout_ms);
}
END_TEST

static const struct {
	const char *in;
	const char *why; /* a substring of the message */
} url_bad[] = {
    {"", "empty"},
    {"mysql://h/db", "must start with"},
    {"jdbc:postgresql://h/db", "must start with"},
    {"jdbc:mysql:/h/db", "only plain"},
    {"jdbc:mysql:loadbalance://h1,h2/db", "only plain"},
    {"jdbc:mysql:replication://h1,h2/db", "only plain"},
    {"jdbc:mysql+srv://h/db", "only plain"},
    {"jdbc:mysql://h:/db", "port"},
    {"jdbc:mysql://h:0/db", "port"},
    {"jdbc:mysql://h:65536/db", "port"},
    {"jdbc:mysql://h:99999999999999999999999/db", "port"},
    {"jdbc:mysql://h:+1/db", "port"},
    {"jdbc:mysql://h:12a/db", "port"},
    {"jdbc:mysql://alice:s3cr3tpw@h/db", "credentials"},
    {"jdbc:mysql://alice@h/db", "credentials"},
    {"jdbc:mysql://h1,,h2/db", "empty host"},
    {"jdbc:mysql://h1,/db", "empty host"},
    {"jdbc:mysql://,h2/db", "empty host"},
    {"jdbc:mysql://h1,h2:0/db", "port"},
    {"jdbc:mysql://h1,h!/db", "invalid character in host"},
    {"jdbc:mysql://h1,::1/db", "brackets"},
    {"jdbc:mysql://h1,h2,h3,h4,h5,h6,h7,h8,h9/db", "more than 8 hosts"},
    {"jdbc:mysql://::1/db", "brackets"},
    {"jdbc:mysql://[::1/db", "unterminated"},
    {"jdbc:mysql://[]/db", "IPv6"},
    {"jdbc:mysql://[zz::1]/db", "IPv6"},
    {"jdbc:mysql://[1.2.3.4]/db", "IPv6"},
    {"jdbc:mysql://[::1]x/db", "after the IPv6"},
    {"jdbc:mysql://[::1]:/db", "port"},
    {"jdbc:mysql://h!/db", "invalid character in host"},
    {"jdbc:mysql://h%41/db", "invalid character in host"},
    {"jdbc:mysql://h/d.b", "database name"},
    {"jdbc:mysql://h/a/b", "database name"},
    {"jdbc:mysql://h/db%20x", "database name"},
    {"jdbc:mysql://h/"
     "x1234567890123456789012345678901234567890123456789012345678901234",
	"longer than 64"},
    {"jdbc:mysql://h/db#frag", "fragments"},
    {"jdbc:mysql://h#frag", "fragments"},
    {"jdbc:mysql://h/db?a=1#f", "fragments"},
    {"jdbc:mysql://h/db?=1", "without a name"},
    {"jdbc:mysql://h/db?a=1&=2", "without a name"},
    {"jdbc:mysql://h/db?connectTimeout=", "connectTimeout"},
    {"jdbc:mysql://h/db?connectTimeout", "connectTimeout"},
    {"jdbc:mysql://h/db?connectTimeout=-1", "connectTimeout"},
    {"jdbc:mysql://h/db?connectTimeout=10s", "connectTimeout"},
    {"jdbc:mysql://h/db?socketTimeout=2147483648", "socketTimeout"},
    {"jdbc:mysql://h/db?socketTimeout=1.5", "socketTimeout"},
    {"jdbc:mysql://h /db", "printable"},
    {" jdbc:mysql://h/db", "printable"},
    {"jdbc:mysql://h/db\n", "printable"},
    {"jdbc:mysql://h/db?x=caf\xc3\xa9", "printable"},
    {"jdbc:mysql://h/db?x=\x7f", "printable"},
    /* TLS settings are honoured or refused, never ignored. */
    {"jdbc:mysql://h/db?sslMode=VERIFY", "sslMode must be"},
    {"jdbc:mysql://h/db?sslMode=", "sslMode must be"},
    {"jdbc:mysql://h/db?sslMode", "sslMode must be"},
    {"jdbc:mysql://h/db?sslMode=REQUIRED_", "sslMode must be"},
    {"jdbc:mysql://h/db?useSSL=1", "useSSL must be"},
    {"jdbc:mysql://h/db?useSsl=on", "useSsl must be"},
    {"jdbc:mysql://h/db?requireSSL=", "requireSSL must be"},
    {"jdbc:mysql://h/db?verifyServerCertificate",
	"verifyServerCertificate must be"},
};

/* Several hosts: Connector/J's failover list, in order. */
START_TEST(test_url_hosts)
{
	static const char in[] =
	    "jdbc:mysql://n1.example:3306,[::1]:3307,n3,:3309/bpg?"
	    "connectTimeout=2000";
	struct bpg_db_url u;
	struct bpg_errinfo ei = {""};
	char buf[128];
	size_t i;

	ck_assert_msg(bpg_db_parse_url(in, strlen(in), &u, &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_uint_eq(u.nhosts, 4);
	ck_assert_str_eq(u.hosts[0].host, "n1.example");
	ck_assert_uint_eq(u.hosts[0].port, 3306);
	ck_assert_str_eq(u.hosts[1].host, "::1");
	ck_assert_uint_eq(u.hosts[1].port, 3307);
	ck_assert_str_eq(u.hosts[2].host, "n3");
	ck_assert_uint_eq(u.hosts[2].port, 3306);
	ck_assert_str_eq(u.hosts[3].host, "localhost");
	ck_assert_uint_eq(u.hosts[3].port, 3309);
	ck_assert_str_eq(u.database, "bpg");
	ck_assert_int_eq(u.connect_timeout_ms, 2000);

	/* Eight fit; the error names the ninth's place. */
	snprintf(buf, sizeof(buf), "jdbc:mysql://");
	for (i = 1; i <= 8; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
		    "%sh%zu:%zu", i > 1 ? "," : "", i, 3300 + i);
	ck_assert_msg(bpg_db_parse_url(buf, strlen(buf), &u, &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_uint_eq(u.nhosts, 8);
	ck_assert_str_eq(u.hosts[7].host, "h8");
	ck_assert_uint_eq(u.hosts[7].port, 3308);
}
END_TEST

START_TEST(test_url_bad)
{
	const char *in = url_bad[_i].in;
	struct bpg_db_url u;
	struct bpg_errinfo ei = {""};
	enum bpg_err e;

	e = bpg_db_parse_url(in, strlen(in), &u, &ei);
	ck_assert_msg(e == BPG_EINVAL, "row %d (%s): accepted", _i, in);
	ck_assert_msg(strstr(ei.msg, url_bad[_i].why) != NULL,
	    "row %d (%s): message \"%s\" lacks \"%s\"", _i, in, ei.msg,
	    url_bad[_i].why);
	ck_assert_msg(strstr(ei.msg, "s3cr3tpw") == NULL,
	    "row %d: message repeats a password: %s", _i, ei.msg);
}
END_TEST

/* sslMode and Connector/J 5.1's booleans, as Connector/J 8 maps them. */
static const struct {
	const char *params;
	enum bpg_db_ssl mode;
} url_tls[] = {
    {"", BPG_DB_SSL_NONE},
    {"?useUnicode=yes", BPG_DB_SSL_NONE},
    {"?sslMode=DISABLED", BPG_DB_SSL_DISABLED},
    {"?sslMode=preferred", BPG_DB_SSL_PREFERRED},
    {"?sslMode=REQUIRED", BPG_DB_SSL_REQUIRED},
    {"?sslMode=Verify_Ca", BPG_DB_SSL_VERIFY_CA},
    {"?sslMode=VERIFY_IDENTITY", BPG_DB_SSL_VERIFY_IDENTITY},
    {"?sslMode=disable", BPG_DB_SSL_DISABLED},
    {"?sslMode=trust", BPG_DB_SSL_REQUIRED},
    {"?sslMode=verify-ca", BPG_DB_SSL_VERIFY_CA},
    {"?sslMode=verify-full", BPG_DB_SSL_VERIFY_IDENTITY},
    {"?useSSL=false", BPG_DB_SSL_DISABLED},
    {"?useSSL=true", BPG_DB_SSL_PREFERRED},
    {"?useSsl=yes", BPG_DB_SSL_PREFERRED},
    {"?useSSL=true&requireSSL=true", BPG_DB_SSL_REQUIRED},
    {"?useSSL=true&requireSSL=true&verifyServerCertificate=true",
	BPG_DB_SSL_VERIFY_CA},
    {"?useSSL=true&verifyServerCertificate=true", BPG_DB_SSL_VERIFY_CA},
    {"?useSSL=true&requireSSL=true&verifyServerCertificate=false",
	BPG_DB_SSL_REQUIRED},
    {"?requireSSL=true", BPG_DB_SSL_REQUIRED},
    {"?useSSL=false&requireSSL=true&verifyServerCertificate=true",
	BPG_DB_SSL_DISABLED},
    {"?requireSSL=false&verifyServerCertificate=false", BPG_DB_SSL_NONE},
    /* sslMode wins over the booleans, wherever it stands. */
    {"?useSSL=false&sslMode=VERIFY_IDENTITY", BPG_DB_SSL_VERIFY_IDENTITY},
    {"?sslMode=REQUIRED&useSSL=false", BPG_DB_SSL_REQUIRED},
    {"?sslMode=DISABLED&sslMode=VERIFY_CA", BPG_DB_SSL_VERIFY_CA},
};

START_TEST(test_url_tls)
{
	struct bpg_db_url u;
	struct bpg_errinfo ei = {""};
	char in[256];

	snprintf(in, sizeof(in), "jdbc:mysql://h:3306/db%s",
	    url_tls[_i].params);
	ck_assert_msg(bpg_db_parse_url(in, strlen(in), &u, &ei) == BPG_OK,
	    "row %d (%s): %s", _i, in, ei.msg);
	ck_assert_msg(u.ssl_mode == url_tls[_i].mode, "row %d (%s): mode %d",
	    _i, in, (int)u.ssl_mode);
}
END_TEST

START_TEST(test_url_lengths)
{
	struct bpg_db_url u;
	struct bpg_errinfo ei = {""};
	char buf[600];
	static const char nul[] = "jdbc:mysql://h\0/db";

	/* The length is the caller's: a NUL inside is a bad byte. */
	ck_assert_int_eq(
	    bpg_db_parse_url(nul, sizeof(nul) - 1, &u, &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "at byte 14"));
	/* ...and bytes past it are not read. */
	ck_assert_int_eq(
	    bpg_db_parse_url("jdbc:mysql://h:3306/dbXXX", 22, &u, &ei), BPG_OK);
	ck_assert_str_eq(u.database, "db");
	ck_assert_int_eq(bpg_db_parse_url(NULL, 0, &u, &ei), BPG_EINVAL);

	/* Host: 255 bytes fit, 256 do not. */
	snprintf(buf, sizeof(buf), "jdbc:mysql://%0255d/db", 0);
	memset(buf + 13, 'a', 255);
	ck_assert_msg(bpg_db_parse_url(buf, strlen(buf), &u, &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_uint_eq(strlen(u.hosts[0].host), 255);
	snprintf(buf, sizeof(buf), "jdbc:mysql://%0256d/db", 0);
	memset(buf + 13, 'a', 256);
	ck_assert_int_eq(
	    bpg_db_parse_url(buf, strlen(buf), &u, &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "too long"));

	/* Database: 64 bytes fit. */
	snprintf(buf, sizeof(buf), "jdbc:mysql://h/%064d", 7);
	ck_assert_msg(bpg_db_parse_url(buf, strlen(buf), &u, &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_uint_eq(strlen(u.database), 64);
}
END_TEST

/*
 * The fuzzer's seed files: "bad-*" must fail, the others parse.  Paths
 * are relative to the repository root, where make runs the tests.
 */
START_TEST(test_url_corpus)
{
	static const char dir[] = "tests/fuzz/corpus/jdbc";
	struct bpg_errinfo ei = {""};
	struct bpg_db_url u;
	struct dirent *de;
	char path[512], buf[4096];
	size_t n;
	FILE *f;
	DIR *d;
	int seen = 0;
	enum bpg_err e;

	if ((d = opendir(dir)) == NULL)
		ck_abort_msg(
		    "%s: cannot open (run from the repository root)", dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		ck_assert_msg(f != NULL, "%s: cannot open", path);
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		e = bpg_db_parse_url(buf, n, &u, &ei);
		if (strncmp(de->d_name, "bad-", 4) == 0)
			ck_assert_msg(e == BPG_EINVAL, "%s: accepted", path);
		else
			ck_assert_msg(e == BPG_OK, "%s: %s", path, ei.msg);
		seen++;
	}
	closedir(d);
	ck_assert_int_gt(seen, 0);
}
END_TEST

static Suite *
db_url_suite(void)
{
	Suite *s = suite_create("db_url");
	TCase *tc;

	tc = tcase_create("url");
	tcase_add_loop_test(tc, test_url_tls, 0, TU_NROWS(url_tls));
	tcase_add_loop_test(tc, test_url_good, 0,
	    (int)(sizeof(url_good) / sizeof(url_good[0])));
	tcase_add_loop_test(
	    tc, test_url_bad, 0, (int)(sizeof(url_bad) / sizeof(url_bad[0])));
	tcase_add_test(tc, test_url_hosts);
	tcase_add_test(tc, test_url_lengths);
	tcase_add_test(tc, test_url_corpus);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(db_url_suite());
}
