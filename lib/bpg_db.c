/*
 * The submission table in MySQL/MariaDB (spec section 9), through
 * libmariadb's prepared-statement API.
 *
 * Schema.  The start-up migration creates what BPG creates (spec 9.1:
 * schema, application_submission, logindex, with `hour` back-quoted, quirk
 * 23) and then adds, without touching BPG's columns:
 *
 *	error_message TEXT NULL			why the CR create failed
 *	bpg_request_summary TEXT NULL		the request's parts the
 *						history lists
 *	INDEX bpg_app_id (app_id)		S6, /log?appId=
 *	INDEX bpg_user_created (`user`, created_time)	per-user history
 *	INDEX bpg_created (created_time)	admin history
 *	INDEX bpg_app_name (app_name, created_time)	history by name
 *	INDEX bpg_unfinished (finished_time, submission_id, status,
 *	    created_time)			the monitor's unfinished rows
 *
 * The last one covers ST_MON_OPEN: without it that query reads every row
 * of the cluster's prefix (250 ms at 1,000,000 rows, make bench SCALE=1),
 * with it only the unfinished ones, from the index alone (2 ms).
 *
 * bpg_request_summary holds, as compact JSON, the few parts of
 * request_body that a history row shows (hist_rq[]); our S1 writes it.
 * Reading it instead of running JSON_EXTRACT over request_body once per
 * part takes a 1,000-row history at 1,000,000 rows from 12-21 ms to 3-6
 * ms, about what reading those rows costs at all (tests/bench/scale.sh).
 * Rows that BPG wrote, that the monitor created (S2, S4) or that predate
 * the column have NULL there and are still read from request_body.  Added
 * at the end of the table and nullable, it is an instant ADD COLUMN on
 * MariaDB 10.3+ and MySQL 8.0.12+.  XXX: were BPG's S1 to rewrite the
 * request_body of a row we wrote, the row would keep our old summary;
 * submission IDs are random, so that does not happen.
 *
 * BPG ignores columns and indexes it does not know, so both gateways can
 * share the tables: BPG's INSERTs name their columns, so in the rows it
 * writes our two nullable columns simply stay NULL.  MySQL 5.7/8 have no
 * ADD COLUMN IF NOT EXISTS or CREATE INDEX IF NOT EXISTS, so each step
 * first asks information_schema whether its object exists and only then
 * runs its DDL.  That also lets a user without DDL privileges start
 * against an already migrated schema (one migrated by this version: a
 * new step needs the DDL privilege once).  Workers migrate concurrently
 * at start-up; a step that loses the race fails with "duplicate
 * column/key name", which counts as success.
 *
 * Connections.  Always TCP (as JDBC), character set utf8mb4, time_zone
 * '+00:00' (MYSQL_INIT_COMMAND, so it holds on every new connection),
 * LOAD DATA LOCAL disabled, no automatic reconnect inside libmariadb: it
 * would silently drop our prepared statements.  Instead a statement that
 * fails with a "connection lost" error closes everything and is run once
 * more on a fresh connection.  All statements are idempotent (upsert,
 * guarded update, select), so running one twice after a lost reply does
 * no harm.
 *
 * TLS.  The URL's sslMode (or Connector/J 5.1's useSSL, requireSSL and
 * verifyServerCertificate) maps to libmariadb's options in tls_options();
 * the CA is dbStorageSOPS.caCertDataSOPS, staged in a memfd.  A TLS
 * failure at connect time (a certificate that does not verify, a server
 * that offers no TLS where it is required) is BPG_ECONFIG, not BPG_EDB:
 * retrying will not mend it, and the daemons stop on it at start-up.
 */
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "bpg_db.h"
#include "bpg_json.h"

/* MySQL 8.0.24+: the server closed an idle connection (wait_timeout). */
#ifndef ER_CLIENT_INTERACTION_TIMEOUT
#define ER_CLIENT_INTERACTION_TIMEOUT 4031
#endif

/* Largest JDBC timeout: a Java int of milliseconds. */
#define URL_MAX_TIMEOUT_MS 2147483647L
/* VARCHAR(255) holds 255 characters; TEXT 65535 bytes. */
#define DB_MAX_VARCHAR 255
#define DB_MAX_TEXT 65535

/*
 * JDBC URL
 */

static enum bpg_err
url_fail(struct bpg_errinfo *ei, size_t off, const char *why)
{
	return bpg_errf(ei, BPG_EINVAL, "JDBC URL: %s (at byte %zu)", why, off);
}

static int
is_host_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_';
}

static int
is_name_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '$' || c == '_';
}

/* Case-insensitive prefix test on a length-carrying string. */
static int
has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* Decimal digits s[0..n) into *v, at most max; no sign, no blanks. */
static int
parse_decimal(const char *s, size_t n, unsigned long max, unsigned long *v)
{
	unsigned long acc = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (acc > (max - (unsigned long)(s[i] - '0')) / 10)
			return 0;
		acc = acc * 10 + (unsigned long)(s[i] - '0');
	}
	*v = acc;
	return 1;
}

/* Host part s[0..n) at offset off, with any port, into url. */
static enum bpg_err
parse_authority(const char *s, size_t n, size_t off, struct bpg_db_url *url,
    struct bpg_errinfo *ei)
{
	struct in6_addr a6;
	char tmp[INET6_ADDRSTRLEN];
	const char *colon;
	size_t hlen, i;
	unsigned long port;

	if (memchr(s, '@', n) != NULL)
		return url_fail(ei, off,
		    "credentials in the URL are not supported; use "
		    "dbStorageSOPS.user and dbStorageSOPS.password");
	if (memchr(s, ',', n) != NULL)
		return url_fail(ei, off, "several hosts are not supported");

	if (n > 0 && s[0] == '[') {
		const char *end = memchr(s, ']', n);

		if (end == NULL)
			return url_fail(ei, off, "unterminated '[' in host");
		hlen = (size_t)(end - s) - 1;
		if (hlen == 0 || hlen >= sizeof(tmp))
			return url_fail(ei, off, "invalid IPv6 address");
		memcpy(tmp, s + 1, hlen);
		tmp[hlen] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return url_fail(ei, off + 1, "invalid IPv6 address");
		memcpy(url->host, tmp, hlen + 1);
		i = hlen + 2;
		if (i < n && s[i] != ':')
			return url_fail(ei, off + i,
			    "expected ':' or '/' after the IPv6 address");
		colon = i < n ? s + i : NULL;
	} else {
		colon = memchr(s, ':', n);
		hlen = colon != NULL ? (size_t)(colon - s) : n;
		if (colon != NULL &&
		    memchr(colon + 1, ':', n - hlen - 1) != NULL)
			return url_fail(
			    ei, off, "an IPv6 address must be in brackets");
		if (hlen > BPG_DB_MAX_HOST)
			return url_fail(ei, off, "host name too long");
		for (i = 0; i < hlen; i++)
			if (!is_host_char((unsigned char)s[i]))
				return url_fail(
				    ei, off + i, "invalid character in host");
		if (hlen == 0)
			/* As Connector/J: no host means localhost. */
			memcpy(url->host, "localhost", sizeof("localhost"));
		else {
			memcpy(url->host, s, hlen);
			url->host[hlen] = '\0';
		}
	}

	url->port = BPG_DB_DEFAULT_PORT;
	if (colon != NULL) {
		size_t poff = (size_t)(colon - s) + 1;

		if (!parse_decimal(colon + 1, n - poff, 65535, &port) ||
		    port == 0)
			return url_fail(ei, off + poff,
			    "port must be a number from 1 to 65535");
		url->port = (unsigned int)port;
	}
	return BPG_OK;
}

/*
 * The URL's TLS parameters: sslMode, or Connector/J 5.1's three booleans
 * (-1 when absent), resolved by tls_resolve() once all are read.
 */
struct tls_params {
	enum bpg_db_ssl mode; /* BPG_DB_SSL_NONE: no sslMode */
	int use, require, verify;
};

/* sslMode values, Connector/J's and MariaDB Connector/J's. */
static const struct {
	const char *name;
	enum bpg_db_ssl mode;
} ssl_modes[] = {
    {"DISABLED", BPG_DB_SSL_DISABLED},
    {"PREFERRED", BPG_DB_SSL_PREFERRED},
    {"REQUIRED", BPG_DB_SSL_REQUIRED},
    {"VERIFY_CA", BPG_DB_SSL_VERIFY_CA},
    {"VERIFY_IDENTITY", BPG_DB_SSL_VERIFY_IDENTITY},
    {"disable", BPG_DB_SSL_DISABLED},
    {"trust", BPG_DB_SSL_REQUIRED},
    {"verify-ca", BPG_DB_SSL_VERIFY_CA},
    {"verify-full", BPG_DB_SSL_VERIFY_IDENTITY},
};

/* Whether v[0..n) is exactly word, ignoring case. */
static int
word_is(const char *v, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(v, word, n) == 0;
}

/* A TLS parameter key[0..klen) = v[0..n): 1 if it is one, 0 if not. */
static int
parse_tls_param(const char *key, size_t klen, const char *v, size_t n,
    bool has_value, struct tls_params *tls, size_t off,
    struct bpg_errinfo *ei, enum bpg_err *e)
{
	static const char *const flags[] = {
	    "useSSL", "useSsl", "requireSSL", "verifyServerCertificate"};
	char msg[160];
	size_t i;
	int *f;

	*e = BPG_OK;
	if (klen == strlen("sslMode") && memcmp(key, "sslMode", klen) == 0) {
		for (i = 0; has_value && i < sizeof(ssl_modes) /
		    sizeof(ssl_modes[0]); i++)
			if (word_is(v, n, ssl_modes[i].name)) {
				tls->mode = ssl_modes[i].mode;
				return 1;
			}
		*e = url_fail(ei, off,
		    "sslMode must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA "
		    "or VERIFY_IDENTITY");
		return 1;
	}
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (klen == strlen(flags[i]) &&
		    memcmp(key, flags[i], klen) == 0)
			break;
	if (i == sizeof(flags) / sizeof(flags[0]))
		return 0;
	f = i < 2 ? &tls->use : i == 2 ? &tls->require : &tls->verify;
	if (has_value && (word_is(v, n, "true") || word_is(v, n, "yes")))
		*f = 1;
	else if (has_value && (word_is(v, n, "false") || word_is(v, n, "no")))
		*f = 0;
	else {
		snprintf(msg, sizeof(msg), "%s must be true or false",
		    flags[i]);
		*e = url_fail(ei, off, msg);
	}
	return 1;
}

/* Connector/J's rules: sslMode wins; else the 5.1 booleans. */
static enum bpg_db_ssl
tls_resolve(const struct tls_params *tls)
{
	if (tls->mode != BPG_DB_SSL_NONE)
		return tls->mode;
	if (tls->use == 0)
		return BPG_DB_SSL_DISABLED;
	if (tls->verify == 1)
		return BPG_DB_SSL_VERIFY_CA;
	if (tls->require == 1)
		return BPG_DB_SSL_REQUIRED;
	if (tls->use == 1)
		return BPG_DB_SSL_PREFERRED;
	return BPG_DB_SSL_NONE;
}

/* One key[=value] parameter s[0..n) at offset off. */
static enum bpg_err
parse_param(const char *s, size_t n, size_t off, struct bpg_db_url *url,
    struct tls_params *tls, struct bpg_errinfo *ei)
{
	const struct {
		const char *key;
		long *field;
	} known[] = {
	    {"connectTimeout", &url->connect_timeout_ms},
	    {"socketTimeout", &url->socket_timeout_ms},
	};
	const char *eq;
	size_t klen, i;
	unsigned long v;
	char msg[128];
	enum bpg_err e;

	if (n == 0)
		return BPG_OK; /* "a=1&&b=2", a trailing '&' */
	eq = memchr(s, '=', n);
	klen = eq != NULL ? (size_t)(eq - s) : n;
	if (klen == 0)
		return url_fail(ei, off, "parameter without a name");
	if (parse_tls_param(s, klen, eq != NULL ? eq + 1 : s + n,
	    eq != NULL ? n - klen - 1 : 0, eq != NULL, tls, off, ei, &e))
		return e;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (klen != strlen(known[i].key) ||
		    memcmp(s, known[i].key, klen) != 0)
			continue;
		if (eq == NULL ||
		    !parse_decimal(
			eq + 1, n - klen - 1, URL_MAX_TIMEOUT_MS, &v)) {
			snprintf(msg, sizeof(msg),
			    "%s must be a number of milliseconds from 0 to "
			    "%ld",
			    known[i].key, URL_MAX_TIMEOUT_MS);
			return url_fail(ei, off, msg);
		}
		*known[i].field = (long)v;
		return BPG_OK;
	}
	return BPG_OK; /* Connector/J options we do not map are ignored. */
}

enum bpg_err
bpg_db_parse_url(
    const char *s, size_t len, struct bpg_db_url *url, struct bpg_errinfo *ei)
{
	static const char *const schemes[] = {
	    "jdbc:mysql://", "jdbc:mariadb://"};
	struct tls_params tls = {BPG_DB_SSL_NONE, -1, -1, -1};
	const char *p, *end, *seg;
	size_t i, n, off;
	enum bpg_err e;

	if (s == NULL || url == NULL)
		return bpg_errf(ei, BPG_EINVAL, "JDBC URL: missing");
	memset(url, 0, sizeof(*url));
	url->connect_timeout_ms = -1;
	url->socket_timeout_ms = -1;
	if (len == 0)
		return url_fail(ei, 0, "empty");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return url_fail(ei, i,
			    "only printable ASCII without blanks is allowed");
	}

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (has_prefix(s, len, schemes[i]))
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		if (has_prefix(s, len, "jdbc:mysql") ||
		    has_prefix(s, len, "jdbc:mariadb"))
			return url_fail(ei, 0,
			    "only plain jdbc:mysql:// and jdbc:mariadb:// "
			    "URLs are supported (no failover, load "
			    "balancing, replication or DNS SRV)");
		return url_fail(
		    ei, 0, "must start with jdbc:mysql:// or jdbc:mariadb://");
	}
	p = s + strlen(schemes[i]);
	end = s + len;

	/* Authority: up to the first '/', '?' or '#'. */
	for (seg = p; p < end && *p != '/' && *p != '?' && *p != '#'; p++)
		;
	e = parse_authority(seg, (size_t)(p - seg), (size_t)(seg - s), url, ei);
	if (e != BPG_OK)
		return e;

	if (p < end && *p == '/') {
		for (seg = ++p; p < end && *p != '?' && *p != '#'; p++) {
			off = (size_t)(p - s);
			if (!is_name_char((unsigned char)*p) && *p != '-')
				return url_fail(ei, off,
				    "invalid character in database name");
		}
		n = (size_t)(p - seg);
		if (n > BPG_DB_MAX_NAME)
			return url_fail(ei, (size_t)(seg - s),
			    "database name longer than 64 characters");
		memcpy(url->database, seg, n);
		url->database[n] = '\0';
	}

	if (p < end && *p == '?') {
		for (seg = ++p;; p++) {
			if (p < end && *p == '#')
				break;
			if (p < end && *p != '&')
				continue;
			e = parse_param(seg, (size_t)(p - seg),
			    (size_t)(seg - s), url, &tls, ei);
			if (e != BPG_OK)
				return e;
			if (p == end)
				break;
			seg = p + 1;
		}
	}
	if (p < end)
		return url_fail(
		    ei, (size_t)(p - s), "fragments ('#') are not supported");
	url->ssl_mode = tls_resolve(&tls);
	return BPG_OK;
}

/*
 * dbName
 */

/* Printable copy of s for a message: other bytes as \xNN, cut with "...". */
static void
escape_for_msg(char *dst, size_t dstsz, const char *s)
{
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (o + 8 >= dstsz) {
			memcpy(dst + o, "...", 4);
			return;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, dstsz - o, "\\x%02x", c);
	}
	dst[o] = '\0';
}

enum bpg_err
bpg_db_check_name(const char *name, struct bpg_errinfo *ei)
{
	char shown[96];
	size_t i;

	if (name == NULL || name[0] == '\0')
		return bpg_errf(
		    ei, BPG_ECONFIG, "DB name should not be null or empty");
	for (i = 0; name[i] != '\0'; i++) {
		if (!is_name_char((unsigned char)name[i])) {
			escape_for_msg(shown, sizeof(shown), name);
			return bpg_errf(ei, BPG_ECONFIG,
			    "DB name should include only [0-9a-zA-Z$_]: "
			    "\"%s\"",
			    shown);
		}
	}
	if (i > BPG_DB_MAX_NAME)
		return bpg_errf(ei, BPG_ECONFIG,
		    "DB name is longer than %d characters", BPG_DB_MAX_NAME);
	return BPG_OK;
}

/*
 * Statements
 */

enum stmt_id {
	ST_INSERT,
	ST_FAIL,
	ST_GET,
	/* The monitor's statements and the leader lock (mon_sql[]). */
	ST_MON_READ,
	ST_MON_STATE,
	ST_MON_START,
	ST_MON_FINISH,
	ST_MON_COST,
	ST_MON_OPEN,
	ST_LOCK_TRY,
	ST_LOCK_HELD,
	ST_LOCK_RELEASE,
	/* GET /log's reads (S6, S7), also in mon_sql[]. */
	ST_LOG_SUBMISSION,
	ST_LOG_KEYS,
	/*
	 * History of the list endpoints (bpg_db_history()), built by
	 * sql_hist(); these stay last.
	 */
	ST_HIST_USER,
	ST_HIST_NAME,
	ST_HIST_ALL,
	ST__MAX
};

/* "@DB@" in the SQL below stands for the back-quoted dbName. */
static const char sql_insert[] =
    "INSERT INTO @DB@.application_submission (submission_id, `user`, "
    "spark_version, request_body, queue, app_name, bpg_request_summary) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON DUPLICATE KEY UPDATE `user` = ?, spark_version = ?, "
    "request_body = ?, queue = ?, app_name = ?, bpg_request_summary = ?";

static const char sql_fail[] =
    "UPDATE @DB@.application_submission "
    "SET status = 'SUBMISSION_FAILED', error_message = ?, "
    "finished_time = CURRENT_TIMESTAMP "
    "WHERE submission_id = ? AND finished_time IS NULL";

enum col_kind {
	COL_STR,
	COL_INT,
	COL_TIME, /* read as epoch milliseconds */
	COL_DEC, /* DECIMAL, read as text, given as a JSON real */
};

/*
 * Every column of application_submission, in table order, but
 * bpg_request_summary: a copy of part of request_body, for the history
 * only.
 */
static const struct col {
	const char *name;
	enum col_kind kind;
} cols[] = {
    {"submission_id", COL_STR},
    {"user", COL_STR},
    {"app_name", COL_STR},
    {"dag_name", COL_STR},
    {"task_name", COL_STR},
    {"spark_version", COL_STR},
    {"queue", COL_STR},
    {"status", COL_STR},
    {"app_id", COL_STR},
    {"request_body", COL_STR},
    {"created_time", COL_TIME},
    {"finished_time", COL_TIME},
    {"start_time", COL_TIME},
    {"driver_core", COL_INT},
    {"driver_memory_mb", COL_INT},
    {"number_executor", COL_INT},
    {"executor_core", COL_INT},
    {"executor_memory_mb", COL_INT},
    {"cost", COL_DEC},
    {"error_message", COL_STR},
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

/*
 * Migration steps, in order.  Each names the object whose presence in
 * information_schema makes the step unnecessary.
 */
enum step_kind {
	STEP_SCHEMA,
	STEP_TABLE,
	STEP_COLUMN, /* of application_submission */
	STEP_INDEX, /* of application_submission */
};

static const char *const step_query[] = {
    [STEP_SCHEMA] = "SELECT COUNT(*) FROM information_schema.SCHEMATA "
		    "WHERE SCHEMA_NAME = ?",
    [STEP_TABLE] = "SELECT COUNT(*) FROM information_schema.TABLES "
		   "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
    [STEP_COLUMN] = "SELECT COUNT(*) FROM information_schema.COLUMNS "
		    "WHERE TABLE_SCHEMA = ? "
		    "AND TABLE_NAME = 'application_submission' "
		    "AND COLUMN_NAME = ?",
    [STEP_INDEX] = "SELECT COUNT(*) FROM information_schema.STATISTICS "
		   "WHERE TABLE_SCHEMA = ? "
		   "AND TABLE_NAME = 'application_submission' "
		   "AND INDEX_NAME = ?",
};

static const char *const step_label[] = {
    [STEP_SCHEMA] = "create schema",
    [STEP_TABLE] = "create table",
    [STEP_COLUMN] = "add column",
    [STEP_INDEX] = "create index",
};

static const struct step {
	enum step_kind kind;
	const char *name;
	unsigned int race_errno; /* another worker did it first */
	const char *sql;
} steps[] = {
    /* utf8mb4 only applies if we create the schema. */
    {STEP_SCHEMA, NULL, 0,
	"CREATE SCHEMA IF NOT EXISTS @DB@ CHARACTER SET utf8mb4"},
    /* BPG's DDL, verbatim (spec 9.1). */
    {STEP_TABLE, "application_submission", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.application_submission (\n"
	"    submission_id VARCHAR(255) NOT NULL PRIMARY KEY,\n"
	"    `user` VARCHAR(255) NULL,\n"
	"    app_name VARCHAR(255) NULL,\n"
	"    dag_name VARCHAR(255) NULL,\n"
	"    task_name VARCHAR(255) NULL,\n"
	"    spark_version VARCHAR(255) NULL,\n"
	"    queue VARCHAR(255) NULL,\n"
	"    status VARCHAR(255) NULL,\n"
	"    app_id VARCHAR(255) NULL,\n"
	"    request_body TEXT NULL,\n"
	"    created_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n"
	"    finished_time TIMESTAMP NULL,\n"
	"    start_time TIMESTAMP NULL,\n"
	"    driver_core SMALLINT,\n"
	"    driver_memory_mb INT,\n"
	"    number_executor SMALLINT,\n"
	"    executor_core SMALLINT,\n"
	"    executor_memory_mb INT,\n"
	"    cost DECIMAL(10,2)\n"
	")"},
    /* BPG's DDL with `hour` back-quoted (quirk 23). */
    {STEP_TABLE, "logindex", 0,
	"CREATE TABLE IF NOT EXISTS @DB@.logindex (\n"
	"    logs3key VARCHAR(500) NOT NULL PRIMARY KEY,\n"
	"    date date NOT NULL,\n"
	"    `hour` SMALLINT NOT NULL,\n"
	"    containerId VARCHAR(60) NOT NULL\n"
	")"},
    {STEP_COLUMN, "error_message", ER_DUP_FIELDNAME,
	"ALTER TABLE @DB@.application_submission "
	"ADD COLUMN error_message TEXT NULL"},
    {STEP_COLUMN, "bpg_request_summary", ER_DUP_FIELDNAME,
	"ALTER TABLE @DB@.application_submission "
	"ADD COLUMN bpg_request_summary TEXT NULL"},
    {STEP_INDEX, "bpg_app_id", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_app_id ON @DB@.application_submission "
	"(app_id)"},
    {STEP_INDEX, "bpg_user_created", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_user_created ON @DB@.application_submission "
	"(`user`, created_time)"},
    {STEP_INDEX, "bpg_created", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_created ON @DB@.application_submission "
	"(created_time)"},
    {STEP_INDEX, "bpg_app_name", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_app_name ON @DB@.application_submission "
	"(app_name, created_time)"},
    {STEP_INDEX, "bpg_unfinished", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_unfinished ON @DB@.application_submission "
	"(finished_time, submission_id, status, created_time)"},
};

struct bpg_db {
	bool enabled;
	struct bpg_db_url url;
	char name[BPG_DB_MAX_NAME + 1]; /* dbName, checked */
	char *user; /* NULL: none */
	char *password; /* NULL: none; wiped on free */
	char *sql[ST__MAX]; /* with dbName filled in */
	MYSQL *my; /* NULL: not connected */
	MYSQL_STMT *stmt[ST__MAX]; /* prepared on first use */
	pid_t pid; /* process that opened my */
	bool migrated;
	bool lost; /* the last failure was a lost connection */
	bool unsettled; /* an INSERT was sent and its answer lost */
	unsigned int last_errno; /* of the last failed statement */
	int ca_fd; /* memfd with caCertDataSOPS; -1: none */
	char ca_path[40]; /* "/proc/self/fd/N" or "" */
	unsigned int idle_timeout_s; /* 0: the server's wait_timeout */
};

/* A copy of tmpl with every "@DB@" replaced by `name`; NULL if no memory. */
static char *
sql_expand(const char *tmpl, const char *name)
{
	static const char tok[] = "@DB@";
	const char *p, *q;
	size_t n = 0, nlen = strlen(name) + 2, tlen = sizeof(tok) - 1;
	char *out, *o;

	for (p = tmpl; (q = strstr(p, tok)) != NULL; p = q + tlen)
		n++;
	out = malloc(strlen(tmpl) + n * nlen + 1);
	if (out == NULL)
		return NULL;
	o = out;
	for (p = tmpl; (q = strstr(p, tok)) != NULL; p = q + tlen) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		*o++ = '`';
		memcpy(o, name, nlen - 2);
		o += nlen - 2;
		*o++ = '`';
	}
	memcpy(o, p, strlen(p) + 1);
	return out;
}

/* The SELECT for ST_GET, built from cols[]. */
static char *
sql_get(const char *name)
{
	char buf[2048];
	size_t off, i;
	int n;

	off = (size_t)snprintf(buf, sizeof(buf), "SELECT ");
	for (i = 0; i < NCOLS; i++) {
		n = snprintf(buf + off, sizeof(buf) - off,
		    cols[i].kind == COL_TIME
			? "%sFLOOR(UNIX_TIMESTAMP(`%s`) * 1000)"
			: "%s`%s`",
		    i > 0 ? ", " : "", cols[i].name);
		if (n < 0 || (size_t)n >= sizeof(buf) - off)
			return NULL;
		off += (size_t)n;
	}
	n = snprintf(buf + off, sizeof(buf) - off,
	    " FROM @DB@.application_submission WHERE submission_id = ?");
	if (n < 0 || (size_t)n >= sizeof(buf) - off)
		return NULL;
	return sql_expand(buf, name);
}

/*
 * Errors
 */

/* Errors after which the connection is unusable and worth one retry. */
static bool
is_lost(unsigned int code)
{
	switch (code) {
	case CR_CONNECTION_ERROR:
	case CR_CONN_HOST_ERROR:
	case CR_SERVER_GONE_ERROR:
	case CR_SERVER_LOST:
	case CR_SERVER_LOST_EXTENDED:
	case ER_CONNECTION_KILLED:
	case ER_SERVER_SHUTDOWN:
	case ER_CLIENT_INTERACTION_TIMEOUT:
		/* The table changed under a prepared statement. */
	case ER_NEED_REPREPARE:
		return true;
	default:
		return false;
	}
}

/* Server messages may quote data: keep control bytes out of ours. */
static void
scrub(struct bpg_errinfo *ei)
{
	char *p;

	if (ei == NULL)
		return;
	for (p = ei->msg; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

static enum bpg_err
stmt_fail(
    struct bpg_db *db, MYSQL_STMT *st, const char *what, struct bpg_errinfo *ei)
{
	unsigned int code = mysql_stmt_errno(st);

	db->lost = is_lost(code);
	db->last_errno = code;
	bpg_errf(ei, BPG_EDB, "database: %s: %s (error %u)", what,
	    mysql_stmt_error(st), code);
	scrub(ei);
	return BPG_EDB;
}

/* A result column read into buf (size bytes; 0 for a number). */
static void
bind_out(MYSQL_BIND *b, enum enum_field_types type, void *buf,
    unsigned long size, unsigned long *len, my_bool *null, my_bool *err)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = type;
	b->buffer = buf;
	b->buffer_length = size;
	b->length = len;
	b->is_null = null;
	b->error = err;
}

/*
 * Bind param and res, execute and store the whole result on the client:
 * BPG_OK, or stmt_fail()'s answer for what.
 */
static enum bpg_err
stmt_query(struct bpg_db *db, MYSQL_STMT *st, MYSQL_BIND *param,
    MYSQL_BIND *res, const char *what, struct bpg_errinfo *ei)
{
	if (mysql_stmt_bind_param(st, param) != 0 ||
	    mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, res) != 0 ||
	    mysql_stmt_store_result(st) != 0)
		return stmt_fail(db, st, what, ei);
	return BPG_OK;
}

/*
 * Connection
 */

static void
db_close(struct bpg_db *db)
{
	size_t i;

	for (i = 0; i < ST__MAX; i++) {
		if (db->stmt[i] != NULL)
			mysql_stmt_close(db->stmt[i]);
		db->stmt[i] = NULL;
	}
	if (db->my != NULL)
		mysql_close(db->my);
	db->my = NULL;
}

/*
 * Close a connection this process inherited (misuse: handles must not
 * cross fork()).  COM_STMT_CLOSE and COM_QUIT on the shared socket would
 * end the other process's session, so our descriptor is first pointed at
 * /dev/null; the socket itself stays open in the other process.
 */
static void
db_detach(struct bpg_db *db)
{
	int fd = (int)mysql_get_socket(db->my), nul;

	if (fd < 0) {
		db_close(db);
		return;
	}
	if ((nul = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		/* XXX: without /dev/null the handle is abandoned (leaked). */
		db->my = NULL;
		memset(db->stmt, 0, sizeof(db->stmt));
		return;
	}
	if (dup2(nul, fd) < 0) {
		close(nul);
		db->my = NULL; /* XXX: as above */
		memset(db->stmt, 0, sizeof(db->stmt));
		return;
	}
	close(nul);
	db_close(db);
}

/* JDBC milliseconds to whole seconds, rounded up; dflt if not given. */
static unsigned int
timeout_s(long ms, unsigned int dflt)
{
	if (ms < 0)
		return dflt;
	return (unsigned int)((ms + 999) / 1000);
}

/* sslMode names for messages. */
static const char *const ssl_mode_name[] = {
    [BPG_DB_SSL_NONE] = "(none)",
    [BPG_DB_SSL_DISABLED] = "DISABLED",
    [BPG_DB_SSL_PREFERRED] = "PREFERRED",
    [BPG_DB_SSL_REQUIRED] = "REQUIRED",
    [BPG_DB_SSL_VERIFY_CA] = "VERIFY_CA",
    [BPG_DB_SSL_VERIFY_IDENTITY] = "VERIFY_IDENTITY",
};

/*
 * sslMode on libmariadb (Connector/C 3.3): MYSQL_OPT_SSL_ENFORCE asks for
 * TLS but, without certificate verification, quietly goes on in cleartext
 * with a server that offers none (even with a CA file), so db_open()
 * checks the cipher of REQUIRED and VERIFY_* connections itself.  A CA file makes the library
 * check the chain (VERIFY_CA); MYSQL_OPT_SSL_VERIFY_SERVER_CERT adds the
 * host name (VERIFY_IDENTITY) and, without a CA file, uses the system's
 * store.  Verification is set explicitly either way, since Connector/C
 * 3.4 turns it on by default.
 */
static int
tls_options(const struct bpg_db *db, MYSQL *my)
{
	enum bpg_db_ssl mode = db->url.ssl_mode;
	my_bool on = 1, verify = mode == BPG_DB_SSL_VERIFY_IDENTITY;
	int bad = 0;

	if (mode == BPG_DB_SSL_NONE || mode == BPG_DB_SSL_DISABLED)
		return 0;
	bad |= mysql_options(my, MYSQL_OPT_SSL_ENFORCE, &on);
	bad |= mysql_options(my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	if (db->ca_path[0] != '\0')
		bad |= mysql_options(my, MYSQL_OPT_SSL_CA, db->ca_path);
	return bad;
}

/* A handle with our options set, or NULL (out of memory). */
static MYSQL *
db_handle(const struct bpg_db *db)
{
	unsigned int proto = MYSQL_PROTOCOL_TCP, no = 0, t;
	char init[96];
	MYSQL *my;
	int bad = 0;

	if ((my = mysql_init(NULL)) == NULL)
		return NULL;
	/* One SET: Connector/C keeps a single init command per handle. */
	if (db->idle_timeout_s > 0)
		snprintf(init, sizeof(init), "SET time_zone = '+00:00', "
		    "SESSION wait_timeout = %u", db->idle_timeout_s);
	else
		snprintf(init, sizeof(init), "SET time_zone = '+00:00'");
	bad |= mysql_options(my, MYSQL_OPT_PROTOCOL, &proto);
	bad |= mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	bad |= mysql_options(my, MYSQL_INIT_COMMAND, init);
	bad |= mysql_options(my, MYSQL_OPT_LOCAL_INFILE, &no);
	t = timeout_s(
	    db->url.connect_timeout_ms, BPG_DB_DEFAULT_CONNECT_TIMEOUT);
	if (t > 0)
		bad |= mysql_options(my, MYSQL_OPT_CONNECT_TIMEOUT, &t);
	t = timeout_s(db->url.socket_timeout_ms, BPG_DB_DEFAULT_SOCKET_TIMEOUT);
	if (t > 0) {
		bad |= mysql_options(my, MYSQL_OPT_READ_TIMEOUT, &t);
		bad |= mysql_options(my, MYSQL_OPT_WRITE_TIMEOUT, &t);
	}
	bad |= tls_options(db, my);
	if (bad) {
		mysql_close(my);
		return NULL;
	}
	return my;
}

/* What a failed TLS connection was checked against, for its message. */
static const char *
tls_what(const struct bpg_db *db)
{
	bool ca = db->ca_path[0] != '\0';

	if (db->url.ssl_mode == BPG_DB_SSL_VERIFY_IDENTITY)
		return ca ? "the server's certificate and host name are checked "
			    "against dbStorageSOPS.caCertDataSOPS"
			  : "the server's certificate and host name are checked "
			    "against the system's CA store";
	return ca ? "the server's certificate is checked against "
		    "dbStorageSOPS.caCertDataSOPS"
		  : "the server's certificate is not checked";
}

static enum bpg_err
db_open(struct bpg_db *db, struct bpg_errinfo *ei)
{
	const char *dbname =
	    db->url.database[0] != '\0' ? db->url.database : NULL;
	bool v6 = strchr(db->url.host, ':') != NULL;
	MYSQL *my;
	unsigned int code;
	enum bpg_err e;

	for (;;) {
		if ((my = db_handle(db)) == NULL)
			return bpg_errf(
			    ei, BPG_ENOMEM, "database: out of memory");
		if (mysql_real_connect(my, db->url.host, db->user, db->password,
			dbname, db->url.port, NULL, 0) != NULL)
			break;
		code = mysql_errno(my);
		/*
		 * The URL's database is only the session default: every
		 * statement names dbName.  If it does not exist yet (a new
		 * server, before the migration creates it), go without.
		 */
		if (code == ER_BAD_DB_ERROR && dbname != NULL) {
			mysql_close(my);
			dbname = NULL;
			continue;
		}
		/*
		 * A failed handshake or certificate check will not mend by
		 * itself: a configuration error, so start-up stops on it.
		 */
		e = code == CR_SSL_CONNECTION_ERROR ? BPG_ECONFIG : BPG_EDB;
		if (e == BPG_ECONFIG)
			bpg_errf(ei, e, "database: cannot connect to %s%s%s:%u "
			    "over TLS: %s (error %u); sslMode %s: %s",
			    v6 ? "[" : "", db->url.host, v6 ? "]" : "",
			    db->url.port, mysql_error(my), code,
			    ssl_mode_name[db->url.ssl_mode], tls_what(db));
		else
			bpg_errf(ei, e, "database: cannot connect to %s%s%s:%u: "
			    "%s (error %u)",
			    v6 ? "[" : "", db->url.host, v6 ? "]" : "",
			    db->url.port, mysql_error(my), code);
		scrub(ei);
		mysql_close(my);
		return e;
	}
	/* See tls_options(): ENFORCE alone may have fallen back. */
	if (db->url.ssl_mode >= BPG_DB_SSL_REQUIRED &&
	    mysql_get_ssl_cipher(my) == NULL) {
		bpg_errf(ei, BPG_ECONFIG,
		    "database: %s%s%s:%u offers no TLS, but sslMode %s "
		    "requires it",
		    v6 ? "[" : "", db->url.host, v6 ? "]" : "", db->url.port,
		    ssl_mode_name[db->url.ssl_mode]);
		mysql_close(my);
		return BPG_ECONFIG;
	}
	db->my = my;
	db->pid = getpid();
	return BPG_OK;
}

/* Run the DDL of step s once, as a one-off prepared statement. */
static enum bpg_err
exec_once(struct bpg_db *db, const struct step *s, struct bpg_errinfo *ei)
{
	char what[128];
	MYSQL_STMT *st = NULL;
	char *sql;
	enum bpg_err e = BPG_OK;

	if ((sql = sql_expand(s->sql, db->name)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	if ((st = mysql_stmt_init(db->my)) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
		goto out;
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0 ||
	    mysql_stmt_execute(st) != 0) {
		if (s->race_errno == 0 ||
		    mysql_stmt_errno(st) != s->race_errno) {
			snprintf(what, sizeof(what), "migration (%s %s)",
			    step_label[s->kind],
			    s->name != NULL ? s->name : db->name);
			e = stmt_fail(db, st, what, ei);
		}
	}
out:
	if (st != NULL)
		mysql_stmt_close(st);
	free(sql);
	return e;
}

/* Whether the object of step s exists, from information_schema. */
static enum bpg_err
step_done(
    struct bpg_db *db, const struct step *s, bool *done, struct bpg_errinfo *ei)
{
	const char *q = step_query[s->kind];
	MYSQL_STMT *st;
	MYSQL_BIND in[2], out;
	unsigned long len[2];
	long long count = 0;
	enum bpg_err e = BPG_OK;
	int rc;

	if ((st = mysql_stmt_init(db->my)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	memset(in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	len[0] = strlen(db->name);
	in[0].buffer_type = MYSQL_TYPE_STRING;
	in[0].buffer = db->name;
	in[0].buffer_length = len[0];
	in[0].length = &len[0];
	if (s->name != NULL) {
		len[1] = strlen(s->name);
		in[1].buffer_type = MYSQL_TYPE_STRING;
		in[1].buffer = (void *)(uintptr_t)s->name;
		in[1].buffer_length = len[1];
		in[1].length = &len[1];
	}
	out.buffer_type = MYSQL_TYPE_LONGLONG;
	out.buffer = &count;
	if (mysql_stmt_prepare(st, q, strlen(q)) != 0 ||
	    mysql_stmt_bind_param(st, in) != 0 || mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, &out) != 0 ||
	    mysql_stmt_store_result(st) != 0) {
		e = stmt_fail(db, st, "migration check", ei);
		goto out;
	}
	rc = mysql_stmt_fetch(st);
	if (rc == 1) {
		e = stmt_fail(db, st, "migration check", ei);
		goto out;
	}
	*done = rc == 0 && count > 0;
out:
	mysql_stmt_close(st);
	return e;
}

static enum bpg_err
migrate(struct bpg_db *db, struct bpg_errinfo *ei)
{
	size_t i;
	bool done;
	enum bpg_err e;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		done = false;
		if ((e = step_done(db, &steps[i], &done, ei)) != BPG_OK)
			return e;
		if (done)
			continue;
		e = exec_once(db, &steps[i], ei);
		if (e != BPG_OK)
			return e;
	}
	return BPG_OK;
}

enum bpg_err
bpg_db_connect(struct bpg_db *db, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if (!db->enabled)
		return BPG_OK;
	/*
	 * A connection shared with a parent process would interleave two
	 * conversations on one socket.  Not even closed here: COM_QUIT would
	 * end the parent's session too.
	 */
	if (db->my != NULL && db->pid != getpid())
		return bpg_errf(ei, BPG_EINVAL,
		    "database: handle opened by process %ld used in %ld",
		    (long)db->pid, (long)getpid());
	if (db->my == NULL && (e = db_open(db, ei)) != BPG_OK)
		return e;
	if (!db->migrated) {
		db->lost = false;
		if ((e = migrate(db, ei)) != BPG_OK) {
			if (db->lost)
				db_close(db);
			return e;
		}
		db->migrated = true;
	}
	return BPG_OK;
}

/* The cached statement id, prepared on first use on this connection. */
static enum bpg_err
prepared(struct bpg_db *db, enum stmt_id id, MYSQL_STMT **out,
    struct bpg_errinfo *ei)
{
	MYSQL_STMT *st;
	enum bpg_err e;

	if (db->stmt[id] == NULL) {
		if ((st = mysql_stmt_init(db->my)) == NULL)
			return bpg_errf(
			    ei, BPG_ENOMEM, "database: out of memory");
		if (mysql_stmt_prepare(st, db->sql[id], strlen(db->sql[id])) !=
		    0) {
			e = stmt_fail(db, st, "prepare", ei);
			mysql_stmt_close(st);
			return e;
		}
		db->stmt[id] = st;
	}
	*out = db->stmt[id];
	return BPG_OK;
}

/*
 * Run op on a connected handle; if it fails because the connection was
 * lost, reconnect and run it once more.  If our table has gone (a restored
 * or replaced server), migrate again and retry once.
 */
typedef enum bpg_err (*db_op)(
    struct bpg_db *, const void *, void *, struct bpg_errinfo *);

static enum bpg_err
with_retry(struct bpg_db *db, db_op op, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;
	int attempt;

	for (attempt = 0;; attempt++) {
		if ((e = bpg_db_connect(db, ei)) != BPG_OK)
			return e;
		db->lost = false;
		db->last_errno = 0;
		e = op(db, in, out, ei);
		if (e == BPG_OK)
			return e;
		if (db->last_errno == ER_NO_SUCH_TABLE && attempt == 0)
			db->migrated = false;
		else if (!db->lost)
			return e;
		db_close(db);
		if (attempt > 0)
			return e;
	}
}

static void
bind_str(MYSQL_BIND *b, const char *s, unsigned long *len, my_bool *null)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_STRING;
	*null = s == NULL;
	*len = s != NULL ? strlen(s) : 0;
	/* libmariadb only reads input buffers; the cast drops const. */
	b->buffer = (void *)(uintptr_t)s;
	b->buffer_length = *len;
	b->length = len;
	b->is_null = null;
}

static enum bpg_err
check_id(const char *id, struct bpg_errinfo *ei)
{
	size_t n;

	if (id == NULL || (n = strlen(id)) == 0)
		return bpg_errf(
		    ei, BPG_EINVAL, "database: empty submission ID");
	if (n > DB_MAX_VARCHAR)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: submission ID longer than %d bytes",
		    DB_MAX_VARCHAR);
	return BPG_OK;
}

/* Characters (UTF-8 lead bytes) in s, counting no further than max + 1. */
static size_t
utf8_chars(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0' && n <= max; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Refuse values the columns cannot hold, whatever the server's sql_mode:
 * without strict mode MySQL would store them cut short.
 */
static enum bpg_err
check_sizes(const struct bpg_db_submission *sub, struct bpg_errinfo *ei)
{
	const struct {
		const char *col;
		const char *v;
	} vc[] = {
	    {"user", sub->user},
	    {"spark_version", sub->spark_version},
	    {"queue", sub->queue},
	    {"app_name", sub->app_name},
	};
	size_t i;

	for (i = 0; i < sizeof(vc) / sizeof(vc[0]); i++)
		if (vc[i].v != NULL &&
		    utf8_chars(vc[i].v, DB_MAX_VARCHAR) > DB_MAX_VARCHAR)
			return bpg_errf(ei, BPG_ETOOBIG,
			    "database: %s longer than %d characters", vc[i].col,
			    DB_MAX_VARCHAR);
	if (sub->request_body != NULL &&
	    strlen(sub->request_body) > DB_MAX_TEXT)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "database: request_body longer than %d bytes", DB_MAX_TEXT);
	if (sub->request_summary != NULL &&
	    strlen(sub->request_summary) > DB_MAX_TEXT)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "database: bpg_request_summary longer than %d bytes",
		    DB_MAX_TEXT);
	return BPG_OK;
}

/*
 * Insert (S1)
 */

static enum bpg_err
op_insert(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct bpg_db_submission *sub = in;
	const char *v[] = {sub->submission_id, sub->user, sub->spark_version,
	    sub->request_body, sub->queue, sub->app_name, sub->request_summary};
	enum { NV = sizeof(v) / sizeof(v[0]) };
	MYSQL_BIND b[2 * NV - 1];
	unsigned long len[NV];
	my_bool null[NV];
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;

	(void)out;
	if ((e = prepared(db, ST_INSERT, &st, ei)) != BPG_OK)
		return e;
	for (i = 0; i < NV; i++)
		bind_str(&b[i], v[i], &len[i], &null[i]);
	/* The update list repeats every column but the key. */
	for (i = 1; i < NV; i++)
		b[NV - 1 + i] = b[i];
	if (mysql_stmt_bind_param(st, b) != 0)
		return stmt_fail(db, st, "insert submission", ei);
	if (mysql_stmt_execute(st) != 0) {
		e = stmt_fail(db, st, "insert submission", ei);
		/* Sent, and the connection died: it may have committed. */
		if (db->lost && db->last_errno != ER_NEED_REPREPARE)
			db->unsettled = true;
		return e;
	}
	return BPG_OK;
}

enum bpg_err
bpg_db_insert_submission(struct bpg_db *db, const struct bpg_db_submission *sub,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL || sub == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or row");
	if ((e = check_id(sub->submission_id, ei)) != BPG_OK ||
	    (e = check_sizes(sub, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	db->unsettled = false;
	if ((e = with_retry(db, op_insert, sub, NULL, ei)) == BPG_OK)
		db->unsettled = false;
	return e;
}

bool
bpg_db_insert_unsettled(const struct bpg_db *db)
{
	return db != NULL && db->unsettled;
}

/*
 * Mark failed
 */

struct fail_args {
	const char *id;
	const char *reason;
};

static enum bpg_err
op_fail(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct fail_args *a = in;
	MYSQL_BIND b[2];
	unsigned long len[2];
	my_bool null[2];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = prepared(db, ST_FAIL, &st, ei)) != BPG_OK)
		return e;
	bind_str(&b[0], a->reason, &len[0], &null[0]);
	if (a->reason != NULL && len[0] > BPG_DB_MAX_ERROR_MESSAGE) {
		/* Cut before a UTF-8 continuation byte, never inside. */
		len[0] = BPG_DB_MAX_ERROR_MESSAGE;
		while (len[0] > 0 &&
		    ((unsigned char)a->reason[len[0]] & 0xc0) == 0x80)
			len[0]--;
		b[0].buffer_length = len[0];
	}
	bind_str(&b[1], a->id, &len[1], &null[1]);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return stmt_fail(db, st, "mark submission failed", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_mark_failed(struct bpg_db *db, const char *submission_id,
    const char *reason, struct bpg_errinfo *ei)
{
	struct fail_args a = {submission_id, reason};
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = check_id(submission_id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return with_retry(db, op_fail, &a, NULL, ei);
}

/*
 * Read back
 */

struct cell {
	long long i;
	char dec[64];
	unsigned long len;
	my_bool null;
	my_bool err;
};

/* JSON value of column c of the fetched row; NULL and ei set on error. */
static json_t *
cell_json(struct bpg_db *db, MYSQL_STMT *st, unsigned int c, struct cell *cell,
    enum bpg_err *e, struct bpg_errinfo *ei)
{
	MYSQL_BIND b;
	unsigned long got = 0;
	json_t *v = NULL;
	char *buf;

	if (cell->null)
		return json_null();
	switch (cols[c].kind) {
	case COL_INT:
	case COL_TIME:
		v = json_integer((json_int_t)cell->i);
		break;
	case COL_DEC:
		cell->dec[sizeof(cell->dec) - 1] = '\0';
		v = json_real(strtod(cell->dec, NULL));
		break;
	case COL_STR:
		if ((buf = malloc(cell->len + 1)) == NULL)
			break;
		memset(&b, 0, sizeof(b));
		b.buffer_type = MYSQL_TYPE_STRING;
		b.buffer = buf;
		b.buffer_length = cell->len + 1;
		b.length = &got;
		if (mysql_stmt_fetch_column(st, &b, c, 0) != 0) {
			free(buf);
			*e = stmt_fail(db, st, "read submission", ei);
			return NULL;
		}
		v = json_stringn(buf, cell->len);
		free(buf);
		if (v == NULL) {
			*e = bpg_errf(ei, BPG_EDB,
			    "database: column %s is not valid UTF-8",
			    cols[c].name);
			return NULL;
		}
		break;
	}
	if (v == NULL)
		*e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	return v;
}

static enum bpg_err
op_get(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const char *id = in;
	json_t **row = out, *obj = NULL, *v;
	MYSQL_BIND param, res[NCOLS];
	struct cell cell[NCOLS];
	unsigned long idlen;
	my_bool idnull;
	MYSQL_STMT *st;
	enum bpg_err e;
	unsigned int c;
	int rc;

	if ((e = prepared(db, ST_GET, &st, ei)) != BPG_OK)
		return e;
	bind_str(&param, id, &idlen, &idnull);
	memset(res, 0, sizeof(res));
	memset(cell, 0, sizeof(cell));
	for (c = 0; c < NCOLS; c++) {
		res[c].is_null = &cell[c].null;
		res[c].length = &cell[c].len;
		res[c].error = &cell[c].err;
		switch (cols[c].kind) {
		case COL_INT:
		case COL_TIME:
			res[c].buffer_type = MYSQL_TYPE_LONGLONG;
			res[c].buffer = &cell[c].i;
			break;
		case COL_DEC:
			res[c].buffer_type = MYSQL_TYPE_STRING;
			res[c].buffer = cell[c].dec;
			res[c].buffer_length = sizeof(cell[c].dec);
			break;
		case COL_STR:
			/* Length only; the bytes come in cell_json(). */
			res[c].buffer_type = MYSQL_TYPE_STRING;
			break;
		}
	}
	if ((e = stmt_query(db, st, &param, res,
	    "read submission", ei)) != BPG_OK)
		goto out;
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA) {
		e = bpg_errf(
		    ei, BPG_ENOTFOUND, "database: no submission with this ID");
		goto out;
	}
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
		e = stmt_fail(db, st, "read submission", ei);
		goto out;
	}
	if ((obj = json_object()) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
		goto out;
	}
	for (c = 0; c < NCOLS; c++) {
		if ((v = cell_json(db, st, c, &cell[c], &e, ei)) == NULL)
			goto out;
		if (json_object_set_new(obj, cols[c].name, v) != 0) {
			e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
			goto out;
		}
	}
	*row = obj;
	obj = NULL;
out:
	json_decref(obj);
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_get_submission(struct bpg_db *db, const char *submission_id,
    json_t **row, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL || row == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or row");
	if ((e = check_id(submission_id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return bpg_errf(ei, BPG_ENOTFOUND,
		    "database: disabled (no connection string)");
	return with_retry(db, op_get, submission_id, row, ei);
}

/*
 * History (bpg_db_history()): the columns a SubmissionSummary needs and,
 * from the stored request, only the parts it reads (hist_rq[]), so that a
 * long list does not carry every request_body.  A row our S1 wrote has
 * those parts in bpg_request_summary, read as it is.  For any other row
 * the server extracts each part from request_body, parsing it once per
 * part: the IF leaves rows with a summary out of that.  JSON_VALID keeps
 * a row whose request_body is not JSON (MySQL's JSON_EXTRACT fails the
 * statement on one) readable.  Column order is enum hist_col.
 *
 * sql_hist() builds, with one IF per part (tests/bench/scale.sh times
 * these statements with literal values: keep it in step):
 *
 *	SELECT submission_id, `user`, app_name, dag_name, queue, status,
 *	    app_id, spark_version, FLOOR(UNIX_TIMESTAMP(created_time) * 1000),
 *	    FLOOR(UNIX_TIMESTAMP(finished_time) * 1000), error_message,
 *	    bpg_request_summary,
 *	    IF(bpg_request_summary IS NULL AND JSON_VALID(request_body),
 *	    JSON_EXTRACT(request_body, '$.driver.cores'), NULL), ...
 *	FROM application_submission [WHERE `user` = ? | WHERE app_name = ?]
 *	ORDER BY created_time DESC LIMIT ?
 */
#define HIST_SELECT                                                            \
	"SELECT submission_id, `user`, app_name, dag_name, queue, status, "    \
	"app_id, spark_version, FLOOR(UNIX_TIMESTAMP(created_time) * 1000), "  \
	"FLOOR(UNIX_TIMESTAMP(finished_time) * 1000), error_message, "         \
	"bpg_request_summary"
#define HIST_RQ_SQL                                                            \
	", IF(bpg_request_summary IS NULL AND JSON_VALID(request_body), "      \
	"JSON_EXTRACT(request_body, '$.%s'), NULL)"
#define HIST_FROM                                                              \
	" FROM @DB@.application_submission %sORDER BY created_time DESC "      \
	"LIMIT ?"

/*
 * The parts of a request that a history row shows, as paths below "$."
 * of object members whose names need no quoting in a MySQL JSON path.
 * The one list for both the server-side extraction and the summary.
 */
static const char *const hist_rq[] = {
    "driver.cores",
    "driver.memory",
    "driver.labels.dag_name",
    "executor.instances",
    "executor.cores",
    "executor.memory",
    "arguments",
};
#define HIST_NRQ (sizeof(hist_rq) / sizeof(hist_rq[0]))

/* The result columns of the history statements. */
enum hist_col {
	HC_ID,
	HC_USER,
	HC_APP_NAME,
	HC_DAG_NAME,
	HC_QUEUE,
	HC_STATUS,
	HC_APP_ID,
	HC_SPARK_VERSION,
	HC_CREATED,
	HC_FINISHED,
	HC_ERROR,
	HC_SUMMARY,
	HC_RQ /* the first of HIST_NRQ parts, in hist_rq[] order */
};
#define HIST_NCOLS (HC_RQ + HIST_NRQ)

/* Row keys of the plain columns (as bpg_db_get_submission() names them). */
static const char *const hist_key[HC_SUMMARY] = {
    "submission_id",
    "user",
    "app_name",
    "dag_name",
    "queue",
    "status",
    "app_id",
    "spark_version",
    "created_time",
    "finished_time",
    "error_message",
};

/* A history statement with where ("" or "WHERE ... "); NULL if no memory. */
static char *
sql_hist(const char *name, const char *where)
{
	char buf[2048];
	size_t off = sizeof(HIST_SELECT) - 1, i;
	int n;

	memcpy(buf, HIST_SELECT, sizeof(HIST_SELECT));
	for (i = 0; i < HIST_NRQ; i++) {
		n = snprintf(
		    buf + off, sizeof(buf) - off, HIST_RQ_SQL, hist_rq[i]);
		if (n < 0 || (size_t)n >= sizeof(buf) - off)
			return NULL;
		off += (size_t)n;
	}
	n = snprintf(buf + off, sizeof(buf) - off, HIST_FROM, where);
	if (n < 0 || (size_t)n >= sizeof(buf) - off)
		return NULL;
	return sql_expand(buf, name);
}

/* The value at path ("a.b.c", as in hist_rq[]) in doc, or NULL. */
static json_t *
rq_get(const json_t *doc, const char *path)
{
	const char *dot;
	json_t *v;

	for (;;) {
		dot = strchr(path, '.');
		v = json_object_getn(doc, path,
		    dot != NULL ? (size_t)(dot - path) : strlen(path));
		if (v == NULL || dot == NULL)
			return v;
		doc = v;
		path = dot + 1;
	}
}

/*
 * Set path in req to v, making the objects on the way; v is stolen, even
 * on failure.  false if memory ran out.
 */
static bool
rq_put(json_t *req, const char *path, json_t *v)
{
	const char *dot;
	json_t *sub;
	size_t n;

	while ((dot = strchr(path, '.')) != NULL) {
		n = (size_t)(dot - path);
		if ((sub = json_object_getn(req, path, n)) == NULL) {
			if ((sub = json_object()) == NULL ||
			    json_object_setn_new(req, path, n, sub) != 0) {
				json_decref(v);
				return false;
			}
		}
		req = sub;
		path = dot + 1;
	}
	return json_object_set_new(req, path, v) == 0;
}

char *
bpg_db_request_summary(const json_t *request)
{
	json_t *sum, *v;
	char *s = NULL;
	size_t i;

	if ((sum = json_object()) == NULL)
		return NULL;
	for (i = 0; i < HIST_NRQ; i++) {
		/* Shared with request, whose counts are back when sum goes. */
		if ((v = rq_get(request, hist_rq[i])) != NULL &&
		    !rq_put(sum, hist_rq[i], json_incref(v)))
			goto out;
	}
	s = bpg_json_dump(sum, NULL);
out:
	json_decref(sum);
	return s;
}

struct hist_args {
	enum stmt_id id;
	const char *filter; /* NULL for ST_HIST_ALL */
	long long limit;
};

/*
 * Bytes of a column that come with the row: every VARCHAR(255) and a
 * typical summary fit.  A longer value is fetched on its own.
 */
#define HIST_SLOT 1024

/* Where the columns of a fetched row land. */
struct hist_buf {
	char *slots; /* HIST_NCOLS slots of HIST_SLOT bytes */
	char *big; /* a longer value; NULL until one comes */
	size_t cap; /* bytes at big */
};

/*
 * Column c of the fetched row, len bytes: its slot, or, if the value did
 * not fit there, all of it fetched into hb->big (grown as needed, reused
 * for the next long value).  NULL with *e set on error.
 */
static const char *
hist_text(struct bpg_db *db, MYSQL_STMT *st, unsigned int c, unsigned long len,
    struct hist_buf *hb, enum bpg_err *e, struct bpg_errinfo *ei)
{
	MYSQL_BIND b;
	unsigned long got = 0;
	char *p;

	if (len <= HIST_SLOT)
		return hb->slots + (size_t)c * HIST_SLOT;
	if (hb->cap < (size_t)len + 1) {
		if ((p = realloc(hb->big, (size_t)len + 1)) == NULL) {
			*e =
			    bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
			return NULL;
		}
		hb->big = p;
		hb->cap = (size_t)len + 1;
	}
	memset(&b, 0, sizeof(b));
	b.buffer_type = MYSQL_TYPE_STRING;
	b.buffer = hb->big;
	b.buffer_length = len + 1;
	b.length = &got;
	if (mysql_stmt_fetch_column(st, &b, c, 0) != 0) {
		*e = stmt_fail(db, st, "read history", ei);
		return NULL;
	}
	return hb->big;
}

/*
 * A row's request from its summary; {} if that is not a JSON object
 * (bpg_db_request_summary() always writes one).  NULL if out of memory.
 */
static json_t *
hist_summary(const char *text, size_t len)
{
	json_t *req = json_loadb(text, len, 0, NULL);

	if (req != NULL && json_is_object(req))
		return req;
	json_decref(req);
	return json_object();
}

/*
 * Put string column c (not NULL, len bytes) of the fetched row into row,
 * or, for a part of the request, into req.
 */
static enum bpg_err
hist_put(struct bpg_db *db, MYSQL_STMT *st, unsigned int c, unsigned long len,
    struct hist_buf *hb, json_t *row, json_t *req, struct bpg_errinfo *ei)
{
	const char *text;
	enum bpg_err e = BPG_OK;
	json_t *v;

	if ((text = hist_text(db, st, c, len, hb, &e, ei)) == NULL)
		return e;
	if (c >= HC_RQ) {
		/* A value that is not JSON (it always is) is left out. */
		v = json_loadb(text, len, JSON_DECODE_ANY, NULL);
		if (v == NULL || rq_put(req, hist_rq[c - HC_RQ], v))
			return BPG_OK;
	} else {
		/* Not UTF-8 (a column BPG wrote in another charset). */
		if ((v = json_stringn(text, len)) == NULL)
			v = json_null();
		if (json_object_set_new(row, hist_key[c], v) == 0)
			return BPG_OK;
	}
	return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
}

static enum bpg_err
op_history(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct hist_args *a = in;
	json_t **rows = out, *list = NULL, *row = NULL, *req, *v;
	MYSQL_BIND param[2], res[HIST_NCOLS];
	unsigned long plen, len[HIST_NCOLS];
	my_bool pnull, lnull = 0, null[HIST_NCOLS], err[HIST_NCOLS];
	long long created = 0, finished = 0, limit = a->limit, t;
	struct hist_buf hb = {NULL, NULL, 0};
	MYSQL_STMT *st;
	enum bpg_err e = BPG_OK;
	unsigned int c;
	const char *text;
	int rc, np = 0;

	if ((e = prepared(db, a->id, &st, ei)) != BPG_OK)
		return e;
	if ((hb.slots = malloc(HIST_NCOLS * HIST_SLOT)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	if (a->filter != NULL)
		bind_str(&param[np++], a->filter, &plen, &pnull);
	memset(&param[np], 0, sizeof(param[np]));
	param[np].buffer_type = MYSQL_TYPE_LONGLONG;
	param[np].buffer = &limit;
	param[np].is_null = &lnull;
	memset(res, 0, sizeof(res));
	for (c = 0; c < HIST_NCOLS; c++) {
		res[c].length = &len[c];
		res[c].is_null = &null[c];
		res[c].error = &err[c];
		res[c].buffer_type = MYSQL_TYPE_STRING;
		res[c].buffer = hb.slots + (size_t)c * HIST_SLOT;
		res[c].buffer_length = HIST_SLOT;
	}
	res[HC_CREATED].buffer_type = MYSQL_TYPE_LONGLONG;
	res[HC_CREATED].buffer = &created;
	res[HC_FINISHED].buffer_type = MYSQL_TYPE_LONGLONG;
	res[HC_FINISHED].buffer = &finished;
	if ((e = stmt_query(db, st, param, res,
	    "read history", ei)) != BPG_OK)
		goto out;
	if ((list = json_array()) == NULL)
		goto nomem;
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		if ((row = json_object()) == NULL)
			goto nomem;
		if (null[HC_SUMMARY])
			req = json_object();
		else {
			text = hist_text(
			    db, st, HC_SUMMARY, len[HC_SUMMARY], &hb, &e, ei);
			if (text == NULL)
				goto out;
			req = hist_summary(text, len[HC_SUMMARY]);
		}
		if (json_object_set_new(row, "request", req) != 0)
			goto nomem;
		for (c = 0; c < HIST_NCOLS; c++) {
			/* The parts are all NULL in a row with a summary. */
			if (c == HC_SUMMARY || (c >= HC_RQ && null[c]))
				continue;
			if (c == HC_CREATED || c == HC_FINISHED) {
				t = c == HC_CREATED ? created : finished;
				v = null[c] ? json_null() : json_integer(t);
			} else if (null[c])
				v = json_null();
			else {
				e = hist_put(
				    db, st, c, len[c], &hb, row, req, ei);
				if (e != BPG_OK)
					goto out;
				continue;
			}
			if (json_object_set_new(row, hist_key[c], v) != 0)
				goto nomem;
		}
		if (json_array_append_new(list, row) != 0) {
			row = NULL;
			goto nomem;
		}
		row = NULL;
	}
	if (rc != MYSQL_NO_DATA) {
		e = stmt_fail(db, st, "read history", ei);
		goto out;
	}
	*rows = list;
	list = NULL;
	goto out;
nomem:
	e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
out:
	json_decref(row);
	json_decref(list);
	mysql_stmt_free_result(st);
	free(hb.big);
	free(hb.slots);
	return e;
}

enum bpg_err
bpg_db_history(struct bpg_db *db, const char *user, const char *app_name,
    size_t limit, json_t **rows, struct bpg_errinfo *ei)
{
	struct hist_args a;

	if (db == NULL || rows == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or rows");
	*rows = NULL;
	if (user != NULL && app_name != NULL)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: history by user or by name, not both");
	if (limit == 0 || limit > BPG_DB_MAX_HISTORY)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: history limit must be 1 to %d",
		    BPG_DB_MAX_HISTORY);
	if (!db->enabled) {
		if ((*rows = json_array()) == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		return BPG_OK;
	}
	a.id = user != NULL ? ST_HIST_USER :
	    app_name != NULL ? ST_HIST_NAME : ST_HIST_ALL;
	a.filter = user != NULL ? user : app_name;
	a.limit = (long long)limit;
	return with_retry(db, op_history, &a, rows, ei);
}

/*
 * The monitor (spec 9.2 S2 to S5, with bpg-reference quirks 13, 14 and 16
 * fixed) and the leader lock
 *
 * Every statement is safe to repeat: the status and finish upserts leave
 * a finished row's status and finished_time alone (S3's guard, applied to
 * S4 as well), S5 only fills a row whose start_time is empty, and the cost
 * is recomputed from the row.  So a resync may replay anything.
 */

static const char *const mon_sql[ST__MAX] = {
    [ST_MON_READ] =
	"SELECT status, app_id, start_time IS NOT NULL, "
	"finished_time IS NOT NULL "
	"FROM @DB@.application_submission WHERE submission_id = ?",
    /* S3 (the guard) and S2, creating rows BPG did not submit. */
    [ST_MON_STATE] =
	"INSERT INTO @DB@.application_submission "
	"(submission_id, status, app_id) VALUES (?, ?, ?) "
	"ON DUPLICATE KEY UPDATE "
	"status = IF(finished_time IS NULL, COALESCE(?, status), status), "
	"app_id = COALESCE(?, app_id)",
    /* S5 plus BPG's S8 (executor core and memory), which BPG never ran. */
    [ST_MON_START] =
	"UPDATE @DB@.application_submission SET start_time = ?, "
	"driver_core = ?, driver_memory_mb = ?, number_executor = ?, "
	"executor_core = ?, executor_memory_mb = ?, "
	"dag_name = COALESCE(?, dag_name), "
	"task_name = COALESCE(?, task_name), "
	"app_name = COALESCE(?, app_name) "
	"WHERE submission_id = ? AND start_time IS NULL",
    /*
     * S4 in one statement, so that no reader sees a finished row without
     * its cost.  Every assignment tests the old finished_time and the cost
     * uses the bound finish time, so the order in which the server applies
     * the assignments does not matter.
     */
    [ST_MON_FINISH] =
	"INSERT INTO @DB@.application_submission "
	"(submission_id, status, finished_time) VALUES (?, ?, ?) "
	"ON DUPLICATE KEY UPDATE "
	"status = IF(finished_time IS NULL, ?, status), "
	"cost = IF(finished_time IS NULL, LEAST(99999999.99, "
	"((executor_memory_mb * number_executor + driver_memory_mb) * ? + "
	"(executor_core * number_executor + driver_core) * ?) * "
	"GREATEST(0, TIMESTAMPDIFF(SECOND, start_time, ?))), cost), "
	"finished_time = IF(finished_time IS NULL, ?, finished_time)",
    /*
     * S4's cost formula.  NULL prices (not configured) give NULL (quirk
     * 13); a start after the finish (clock skew) costs nothing; the value
     * is capped to what DECIMAL(10,2) holds rather than failing.
     */
    [ST_MON_COST] =
	"UPDATE @DB@.application_submission SET cost = LEAST(99999999.99, "
	"((executor_memory_mb * number_executor + driver_memory_mb) * ? + "
	"(executor_core * number_executor + driver_core) * ?) * "
	"GREATEST(0, TIMESTAMPDIFF(SECOND, start_time, finished_time))) "
	"WHERE submission_id = ? AND finished_time IS NOT NULL",
    [ST_MON_OPEN] =
	"SELECT submission_id, status, "
	"TIMESTAMPDIFF(SECOND, created_time, NOW()) "
	"FROM @DB@.application_submission "
	"WHERE finished_time IS NULL AND submission_id LIKE ? ESCAPE '!' "
	"ORDER BY submission_id LIMIT 100000",
    /* Left to right: IS_USED_LOCK names whoever holds it afterwards. */
    [ST_LOCK_TRY] = "SELECT GET_LOCK(?, 0), IS_USED_LOCK(?)",
    [ST_LOCK_HELD] = "SELECT IS_USED_LOCK(?) = CONNECTION_ID()",
    [ST_LOCK_RELEASE] = "SELECT RELEASE_LOCK(?)",
    /* S6; LIMIT 2 tells one row from several. */
    [ST_LOG_SUBMISSION] =
	"SELECT submission_id FROM @DB@.application_submission "
	"WHERE app_id = ? LIMIT 2",
    /* S7, bounded (BPG_DB_MAX_LOG_KEYS). */
    [ST_LOG_KEYS] =
	"SELECT logs3key FROM @DB@.logindex WHERE containerId = ? "
	"ORDER BY logs3key LIMIT 100000",
    /* ST_HIST_* come from sql_hist(), in bpg_db_new(). */
};

/* TIMESTAMP's range, in epoch milliseconds. */
#define DB_MIN_TIMESTAMP_MS 1000LL
#define DB_MAX_TIMESTAMP_MS 2147483647000LL

static void
bind_ll(MYSQL_BIND *b, long long *v, my_bool *null, bool is_null)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_LONGLONG;
	b->buffer = v;
	*null = is_null;
	b->is_null = null;
}

static void
bind_double(MYSQL_BIND *b, double *v, my_bool *null, bool is_null)
{
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_DOUBLE;
	b->buffer = v;
	*null = is_null;
	b->is_null = null;
}

/* Epoch ms as a UTC TIMESTAMP (the session's time_zone is +00:00). */
static void
bind_time(MYSQL_BIND *b, MYSQL_TIME *t, long long ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	memset(t, 0, sizeof(*t));
	gmtime_r(&secs, &tm);
	t->year = (unsigned int)tm.tm_year + 1900;
	t->month = (unsigned int)tm.tm_mon + 1;
	t->day = (unsigned int)tm.tm_mday;
	t->hour = (unsigned int)tm.tm_hour;
	t->minute = (unsigned int)tm.tm_min;
	t->second = (unsigned int)tm.tm_sec;
	t->time_type = MYSQL_TIMESTAMP_DATETIME;
	memset(b, 0, sizeof(*b));
	b->buffer_type = MYSQL_TYPE_TIMESTAMP;
	b->buffer = t;
}

static enum bpg_err
check_time(long long ms, const char *what, struct bpg_errinfo *ei)
{
	if (ms < DB_MIN_TIMESTAMP_MS || ms > DB_MAX_TIMESTAMP_MS)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: %s outside the TIMESTAMP range", what);
	return BPG_OK;
}

static enum bpg_err
check_varchar(const char *v, const char *what, struct bpg_errinfo *ei)
{
	if (v != NULL && utf8_chars(v, DB_MAX_VARCHAR) > DB_MAX_VARCHAR)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "database: %s longer than %d characters", what,
		    DB_MAX_VARCHAR);
	return BPG_OK;
}

/* Copy a fetched string column into dst (NUL-terminated, cut to fit). */
static void
fetched_str(char *dst, size_t dstsz, const char *buf, unsigned long len,
    my_bool null, bool *present)
{
	*present = !null;
	if (null) {
		dst[0] = '\0';
		return;
	}
	if (len >= dstsz)
		len = (unsigned long)dstsz - 1;
	memcpy(dst, buf, len);
	dst[len] = '\0';
}

static enum bpg_err
op_mon_read(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const char *id = in;
	struct bpg_db_app *row = out;
	MYSQL_BIND param, res[4];
	char status[BPG_DB_MAX_TEXT_FIELD], app_id[BPG_DB_MAX_TEXT_FIELD];
	unsigned long idlen, len[4];
	my_bool idnull, null[4], err[4];
	long long started = 0, finished = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	if ((e = prepared(db, ST_MON_READ, &st, ei)) != BPG_OK)
		return e;
	bind_str(&param, id, &idlen, &idnull);
	bind_out(&res[0], MYSQL_TYPE_STRING, status, sizeof(status), &len[0],
	    &null[0], &err[0]);
	bind_out(&res[1], MYSQL_TYPE_STRING, app_id, sizeof(app_id), &len[1],
	    &null[1], &err[1]);
	bind_out(&res[2], MYSQL_TYPE_LONGLONG, &started, 0, &len[2], &null[2],
	    &err[2]);
	bind_out(&res[3], MYSQL_TYPE_LONGLONG, &finished, 0, &len[3],
	    &null[3], &err[3]);
	if ((e = stmt_query(db, st, &param, res,
	    "read application state", ei)) != BPG_OK)
		goto out;
	memset(row, 0, sizeof(*row));
	rc = mysql_stmt_fetch(st);
	if (rc == MYSQL_NO_DATA)
		goto out;
	if (rc != 0 && rc != MYSQL_DATA_TRUNCATED) {
		e = stmt_fail(db, st, "read application state", ei);
		goto out;
	}
	row->found = true;
	fetched_str(row->status, sizeof(row->status), status, len[0],
	    null[0], &row->has_status);
	fetched_str(row->app_id, sizeof(row->app_id), app_id, len[1],
	    null[1], &row->has_app_id);
	row->started = !null[2] && started != 0;
	row->finished = !null[3] && finished != 0;
out:
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_monitor_read(struct bpg_db *db, const char *submission_id,
    struct bpg_db_app *row, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (db == NULL || row == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or row");
	memset(row, 0, sizeof(*row));
	if ((e = check_id(submission_id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return with_retry(db, op_mon_read, submission_id, row, ei);
}

struct state_args {
	const char *id, *status, *app_id;
};

static enum bpg_err
op_mon_state(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct state_args *a = in;
	MYSQL_BIND b[5];
	unsigned long len[3];
	my_bool null[3];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = prepared(db, ST_MON_STATE, &st, ei)) != BPG_OK)
		return e;
	bind_str(&b[0], a->id, &len[0], &null[0]);
	bind_str(&b[1], a->status, &len[1], &null[1]);
	bind_str(&b[2], a->app_id, &len[2], &null[2]);
	b[3] = b[1];
	b[4] = b[2];
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return stmt_fail(db, st, "record application state", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_monitor_state(struct bpg_db *db, const char *submission_id,
    const char *status, const char *app_id, struct bpg_errinfo *ei)
{
	struct state_args a = {submission_id, status, app_id};
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = check_id(submission_id, ei)) != BPG_OK ||
	    (e = check_varchar(status, "status", ei)) != BPG_OK ||
	    (e = check_varchar(app_id, "app_id", ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return with_retry(db, op_mon_state, &a, NULL, ei);
}

struct start_args {
	const char *id;
	const struct bpg_db_app_start *s;
};

static enum bpg_err
op_mon_start(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct start_args *a = in;
	const struct bpg_db_app_start *s = a->s;
	const int64_t nums[5] = {s->driver_core, s->driver_memory_mb,
	    s->number_executor, s->executor_core, s->executor_memory_mb};
	const char *strs[4] = {s->dag_name, s->task_name, s->app_name, a->id};
	MYSQL_BIND b[10];
	MYSQL_TIME t;
	long long v[5];
	unsigned long len[4];
	my_bool null[9];
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;

	(void)out;
	if ((e = prepared(db, ST_MON_START, &st, ei)) != BPG_OK)
		return e;
	bind_time(&b[0], &t, s->start_ms);
	for (i = 0; i < 5; i++) {
		v[i] = nums[i];
		bind_ll(&b[1 + i], &v[i], &null[i], nums[i] < 0);
	}
	for (i = 0; i < 4; i++)
		bind_str(&b[6 + i], strs[i], &len[i], &null[5 + i]);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return stmt_fail(db, st, "record application start", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_monitor_start(struct bpg_db *db, const char *submission_id,
    const struct bpg_db_app_start *s, struct bpg_errinfo *ei)
{
	struct start_args a = {submission_id, s};
	enum bpg_err e;

	if (db == NULL || s == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or values");
	if ((e = check_id(submission_id, ei)) != BPG_OK ||
	    (e = check_time(s->start_ms, "start_time", ei)) != BPG_OK ||
	    (e = check_varchar(s->dag_name, "dag_name", ei)) != BPG_OK ||
	    (e = check_varchar(s->task_name, "task_name", ei)) != BPG_OK ||
	    (e = check_varchar(s->app_name, "app_name", ei)) != BPG_OK)
		return e;
	if (s->driver_core > BPG_DB_MAX_SMALLINT ||
	    s->number_executor > BPG_DB_MAX_SMALLINT ||
	    s->executor_core > BPG_DB_MAX_SMALLINT ||
	    s->driver_memory_mb > BPG_DB_MAX_INT ||
	    s->executor_memory_mb > BPG_DB_MAX_INT)
		return bpg_errf(ei, BPG_ETOOBIG,
		    "database: a core or memory value does not fit its column");
	if (!db->enabled)
		return BPG_OK;
	return with_retry(db, op_mon_start, &a, NULL, ei);
}

struct finish_args {
	const char *id, *status;
	long long ms;
	const double *mb, *core;
};

static enum bpg_err
op_mon_finish(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct finish_args *a = in;
	MYSQL_BIND b[9];
	MYSQL_TIME t;
	double mb = a->mb != NULL ? *a->mb : 0, core = a->core != NULL ?
	    *a->core : 0;
	unsigned long len[2];
	my_bool null[4];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = prepared(db, ST_MON_FINISH, &st, ei)) != BPG_OK)
		return e;
	bind_str(&b[0], a->id, &len[0], &null[0]);
	bind_str(&b[1], a->status, &len[1], &null[1]);
	bind_time(&b[2], &t, a->ms);
	b[3] = b[1];
	bind_double(&b[4], &mb, &null[2], a->mb == NULL);
	bind_double(&b[5], &core, &null[3], a->core == NULL);
	b[6] = b[2];
	b[7] = b[2];
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return stmt_fail(db, st, "record application finish", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_monitor_finish(struct bpg_db *db, const char *submission_id,
    const char *status, int64_t finished_ms,
    const double *memory_mb_second_cost, const double *vcore_second_cost,
    struct bpg_errinfo *ei)
{
	struct finish_args a = {submission_id, status, finished_ms,
	    memory_mb_second_cost, vcore_second_cost};
	enum bpg_err e;

	if (db == NULL || status == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or status");
	if ((e = check_id(submission_id, ei)) != BPG_OK ||
	    (e = check_varchar(status, "status", ei)) != BPG_OK ||
	    (e = check_time(finished_ms, "finished_time", ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return with_retry(db, op_mon_finish, &a, NULL, ei);
}

struct cost_args {
	const char *id;
	const double *mb, *core;
};

static enum bpg_err
op_mon_cost(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct cost_args *a = in;
	MYSQL_BIND b[3];
	double mb = a->mb != NULL ? *a->mb : 0, core = a->core != NULL ?
	    *a->core : 0;
	unsigned long len;
	my_bool null[3];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)out;
	if ((e = prepared(db, ST_MON_COST, &st, ei)) != BPG_OK)
		return e;
	bind_double(&b[0], &mb, &null[0], a->mb == NULL);
	bind_double(&b[1], &core, &null[1], a->core == NULL);
	bind_str(&b[2], a->id, &len, &null[2]);
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return stmt_fail(db, st, "record application cost", ei);
	return BPG_OK;
}

enum bpg_err
bpg_db_monitor_cost(struct bpg_db *db, const char *submission_id,
    const double *memory_mb_second_cost, const double *vcore_second_cost,
    struct bpg_errinfo *ei)
{
	struct cost_args a = {submission_id, memory_mb_second_cost,
	    vcore_second_cost};
	enum bpg_err e;

	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = check_id(submission_id, ei)) != BPG_OK)
		return e;
	if (!db->enabled)
		return BPG_OK;
	return with_retry(db, op_mon_cost, &a, NULL, ei);
}

struct open_args {
	const char *pattern;
};

static enum bpg_err
op_mon_open(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	const struct open_args *a = in;
	json_t **rows = out, *list = NULL, *o;
	MYSQL_BIND param, res[3];
	char id[BPG_DB_MAX_TEXT_FIELD], status[BPG_DB_MAX_TEXT_FIELD];
	unsigned long plen, len[3];
	my_bool pnull, null[3], err[3];
	long long age = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	if ((e = prepared(db, ST_MON_OPEN, &st, ei)) != BPG_OK)
		return e;
	bind_str(&param, a->pattern, &plen, &pnull);
	bind_out(&res[0], MYSQL_TYPE_STRING, id, sizeof(id), &len[0], &null[0],
	    &err[0]);
	bind_out(&res[1], MYSQL_TYPE_STRING, status, sizeof(status), &len[1],
	    &null[1], &err[1]);
	bind_out(&res[2], MYSQL_TYPE_LONGLONG, &age, 0, &len[2], &null[2],
	    &err[2]);
	if ((e = stmt_query(db, st, &param, res,
	    "read unfinished applications", ei)) != BPG_OK)
		goto out;
	if ((list = json_array()) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
		goto out;
	}
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		/* A cut ID would name another row: skip it. */
		if (null[0] || len[0] >= sizeof(id))
			continue;
		id[len[0]] = '\0';
		if (!null[1] && len[1] < sizeof(status))
			status[len[1]] = '\0';
		o = json_pack("{s:s, s:s?, s:o?}", "id", id, "status",
		    null[1] || len[1] >= sizeof(status) ? NULL : status, "age",
		    null[2] ? NULL : json_integer((json_int_t)age));
		if (o == NULL || json_array_append_new(list, o) != 0) {
			e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
			goto out;
		}
	}
	if (rc != MYSQL_NO_DATA) {
		e = stmt_fail(db, st, "read unfinished applications", ei);
		goto out;
	}
	*rows = list;
	list = NULL;
out:
	json_decref(list);
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_monitor_unfinished(struct bpg_db *db, const char *id_prefix,
    json_t **rows, struct bpg_errinfo *ei)
{
	struct open_args a;
	char pattern[2 * DB_MAX_VARCHAR + 2];
	size_t i, o = 0;
	enum bpg_err e;

	if (db == NULL || rows == NULL || id_prefix == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or prefix");
	*rows = NULL;
	if (strlen(id_prefix) > DB_MAX_VARCHAR)
		return bpg_errf(ei, BPG_EINVAL, "database: prefix too long");
	/* LIKE with '!' as the escape: the prefix matches only itself. */
	for (i = 0; id_prefix[i] != '\0'; i++) {
		if (id_prefix[i] == '!' || id_prefix[i] == '%' ||
		    id_prefix[i] == '_')
			pattern[o++] = '!';
		pattern[o++] = id_prefix[i];
	}
	pattern[o++] = '%';
	pattern[o] = '\0';
	a.pattern = pattern;
	if (!db->enabled) {
		if ((*rows = json_array()) == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		return BPG_OK;
	}
	e = with_retry(db, op_mon_open, &a, rows, ei);
	return e;
}

/*
 * GET /log (S6, S7)
 */

/* logindex.logs3key is a VARCHAR(500): up to 4 bytes a character. */
#define DB_MAX_LOG_KEY (500 * 4)

struct app_sub_args {
	char *out;
	size_t outlen;
};

static enum bpg_err
op_log_submission(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct app_sub_args *a = out;
	char id[BPG_DB_MAX_TEXT_FIELD];
	MYSQL_BIND param, res;
	unsigned long plen, len = 0;
	my_bool pnull, null = 0, err = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc, rows = 0;

	if ((e = prepared(db, ST_LOG_SUBMISSION, &st, ei)) != BPG_OK)
		return e;
	bind_str(&param, in, &plen, &pnull);
	bind_out(&res, MYSQL_TYPE_STRING, id, sizeof(id), &len, &null, &err);
	if ((e = stmt_query(db, st, &param, &res,
	    "find submission of application", ei)) != BPG_OK)
		goto out;
	a->out[0] = '\0';
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		/* Only exactly one row names the submission (S6). */
		if (++rows > 1) {
			a->out[0] = '\0';
			break;
		}
		if (!null && len < sizeof(id) && len < a->outlen) {
			memcpy(a->out, id, len);
			a->out[len] = '\0';
		}
	}
	if (rows <= 1 && rc != MYSQL_NO_DATA)
		e = stmt_fail(db, st, "find submission of application", ei);
out:
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_app_submission(struct bpg_db *db, const char *app_id, char *out,
    size_t outlen, struct bpg_errinfo *ei)
{
	struct app_sub_args a = {out, outlen};

	if (db == NULL || out == NULL || outlen == 0)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or buffer");
	out[0] = '\0';
	if (app_id == NULL || app_id[0] == '\0' ||
	    strlen(app_id) > BPG_DB_MAX_TEXT_FIELD)
		return bpg_errf(ei, BPG_EINVAL, "database: bad application ID");
	if (!db->enabled)
		return BPG_OK;
	return with_retry(db, op_log_submission, app_id, &a, ei);
}

static enum bpg_err
op_log_keys(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	json_t **keys = out, *list = NULL, *v;
	char key[DB_MAX_LOG_KEY + 1];
	MYSQL_BIND param, res;
	unsigned long plen, len = 0;
	my_bool pnull, null = 0, err = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc;

	if ((e = prepared(db, ST_LOG_KEYS, &st, ei)) != BPG_OK)
		return e;
	bind_str(&param, in, &plen, &pnull);
	bind_out(&res, MYSQL_TYPE_STRING, key, sizeof(key), &len, &null, &err);
	if ((e = stmt_query(db, st, &param, &res,
	    "read log index", ei)) != BPG_OK)
		goto out;
	if ((list = json_array()) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
		goto out;
	}
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		/* A cut key would name another object: skip it. */
		if (null || len >= sizeof(key))
			continue;
		key[len] = '\0';
		if ((v = json_stringn(key, len)) == NULL ||
		    json_array_append_new(list, v) != 0) {
			e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
			goto out;
		}
	}
	if (rc != MYSQL_NO_DATA) {
		e = stmt_fail(db, st, "read log index", ei);
		goto out;
	}
	*keys = list;
	list = NULL;
out:
	json_decref(list);
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_log_keys(struct bpg_db *db, const char *container_id, json_t **keys,
    struct bpg_errinfo *ei)
{
	if (db == NULL || keys == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or list");
	*keys = NULL;
	if (container_id == NULL || container_id[0] == '\0' ||
	    strlen(container_id) > BPG_DB_MAX_TEXT_FIELD)
		return bpg_errf(ei, BPG_EINVAL, "database: bad container ID");
	if (!db->enabled) {
		if ((*keys = json_array()) == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		return BPG_OK;
	}
	return with_retry(db, op_log_keys, container_id, keys, ei);
}

/*
 * The leader lock.  No retry on a new connection here: a lock lives and
 * dies with its session, so a lost connection means a lost lock, which the
 * caller must learn.
 */

/* Run lock statement id with name bound n times; up to two results. */
static enum bpg_err
lock_query(struct bpg_db *db, enum stmt_id id, const char *name, int n,
    long long out[2], bool isnull[2], struct bpg_errinfo *ei)
{
	MYSQL_BIND b[2], res[2];
	unsigned long len;
	my_bool null, rnull[2];
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc, i;

	db->lost = false;
	if ((e = prepared(db, id, &st, ei)) != BPG_OK)
		goto fail;
	bind_str(&b[0], name, &len, &null);
	b[1] = b[0];
	memset(res, 0, sizeof(res));
	for (i = 0; i < 2; i++) {
		out[i] = 0;
		rnull[i] = 1;
		res[i].buffer_type = MYSQL_TYPE_LONGLONG;
		res[i].buffer = &out[i];
		res[i].is_null = &rnull[i];
	}
	if ((e = stmt_query(db, st, b, res, "leader lock", ei)) != BPG_OK) {
		mysql_stmt_free_result(st);
		goto fail;
	}
	rc = mysql_stmt_fetch(st);
	mysql_stmt_free_result(st);
	if (rc != 0) {
		e = bpg_errf(ei, BPG_EDB, "database: leader lock: no result");
		goto fail;
	}
	for (i = 0; i < 2; i++)
		isnull[i] = rnull[i] || i >= n;
	return BPG_OK;
fail:
	if (db->lost)
		db_close(db);
	return e;
}

static enum bpg_err
check_lock_name(const char *name, struct bpg_errinfo *ei)
{
	/* MySQL 5.7+ limits user-level lock names to 64 characters. */
	if (name == NULL || name[0] == '\0' || strlen(name) > 64)
		return bpg_errf(ei, BPG_EINVAL, "database: bad lock name");
	return BPG_OK;
}

enum bpg_err
bpg_db_lock_try(struct bpg_db *db, const char *name, bool *held,
    unsigned long *holder, struct bpg_errinfo *ei)
{
	long long v[2];
	bool isnull[2];
	enum bpg_err e;

	*held = false;
	if (holder != NULL)
		*holder = 0;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = check_lock_name(name, ei)) != BPG_OK)
		return e;
	if (!db->enabled) {
		*held = true;
		return BPG_OK;
	}
	if ((e = bpg_db_connect(db, ei)) != BPG_OK)
		return e;
	if ((e = lock_query(db, ST_LOCK_TRY, name, 2, v, isnull, ei)) !=
	    BPG_OK)
		return e;
	*held = !isnull[0] && v[0] == 1;
	if (holder != NULL && !isnull[1] && v[1] > 0)
		*holder = (unsigned long)v[1];
	return BPG_OK;
}

enum bpg_err
bpg_db_lock_held(struct bpg_db *db, const char *name, bool *held,
    struct bpg_errinfo *ei)
{
	long long v[2];
	bool isnull[2];
	enum bpg_err e;

	*held = false;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if ((e = check_lock_name(name, ei)) != BPG_OK)
		return e;
	if (!db->enabled) {
		*held = true;
		return BPG_OK;
	}
	/* Never reconnect: a new session would not hold the lock. */
	if (db->my == NULL || db->pid != getpid())
		return bpg_errf(ei, BPG_EDB,
		    "database: leader lock: not connected");
	if ((e = lock_query(db, ST_LOCK_HELD, name, 1, v, isnull, ei)) !=
	    BPG_OK)
		return e;
	*held = !isnull[0] && v[0] == 1;
	return BPG_OK;
}

void
bpg_db_lock_release(struct bpg_db *db, const char *name)
{
	long long v[2];
	bool isnull[2];

	if (db == NULL || !db->enabled || db->my == NULL ||
	    db->pid != getpid() || check_lock_name(name, NULL) != BPG_OK)
		return;
	(void)lock_query(db, ST_LOCK_RELEASE, name, 1, v, isnull, NULL);
}

/*
 * Handle
 */

static char *
dup_nonempty(const char *s, bool *oom)
{
	char *d;

	if (s == NULL || s[0] == '\0')
		return NULL;
	if ((d = strdup(s)) == NULL)
		*oom = true;
	return d;
}

/* The TLS settings of url and conf can be honoured (bpg_db_check_conf()). */
static enum bpg_err
tls_check(const struct bpg_db_url *url, const struct bpg_dbconf *conf,
    struct bpg_errinfo *ei)
{
	bool ca = conf->ca_cert != NULL && conf->ca_cert_len > 0;
	const char *lib = NULL;

	if (url->ssl_mode == BPG_DB_SSL_NONE ||
	    url->ssl_mode == BPG_DB_SSL_DISABLED) {
		if (ca)
			return bpg_errf(ei, BPG_ECONFIG,
			    "dbStorageSOPS.caCertDataSOPS is set, but the "
			    "connection string asks for no TLS (add "
			    "sslMode=VERIFY_IDENTITY or VERIFY_CA)");
		return BPG_OK;
	}
	if (mariadb_get_infov(NULL, MARIADB_TLS_LIBRARY, &lib) != 0 ||
	    lib == NULL || strcasecmp(lib, "off") == 0)
		return bpg_errf(ei, BPG_ECONFIG,
		    "dbStorageSOPS.connectionString: sslMode %s, but the "
		    "MariaDB client library was built without TLS",
		    ssl_mode_name[url->ssl_mode]);
	if (url->ssl_mode == BPG_DB_SSL_VERIFY_CA && !ca)
		return bpg_errf(ei, BPG_ECONFIG,
		    "dbStorageSOPS.connectionString: sslMode VERIFY_CA "
		    "needs dbStorageSOPS.caCertDataSOPS, the CA to check the "
		    "server against (VERIFY_IDENTITY without it uses the "
		    "system's CA store)");
	return BPG_OK;
}

enum bpg_err
bpg_db_check_conf(const struct bpg_dbconf *conf, struct bpg_errinfo *ei)
{
	struct bpg_db_url url;
	struct bpg_errinfo sub;
	const char *name;
	enum bpg_err e;

	if (conf == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no configuration");
	name = conf->db_name != NULL && conf->db_name[0] != '\0'
	    ? conf->db_name
	    : BPG_DB_DEFAULT_NAME;
	if ((e = bpg_db_check_name(name, &sub)) != BPG_OK)
		return bpg_errf(ei, e, "dbStorageSOPS.dbName: %s", sub.msg);
	if (conf->connection_string == NULL ||
	    conf->connection_string[0] == '\0')
		return BPG_OK;
	if (bpg_db_parse_url(conf->connection_string,
	    strlen(conf->connection_string), &url, &sub) != BPG_OK)
		return bpg_errf(ei, BPG_ECONFIG,
		    "dbStorageSOPS.connectionString: %s", sub.msg);
	return tls_check(&url, conf, ei);
}

/*
 * caCertDataSOPS for libmariadb, which reads a CA only from a file: an
 * anonymous memory file (memfd) named by /proc/self/fd/N, so nothing is
 * left on disk and a crash leaves nothing behind.  A CA is no secret, but
 * neither is it logged.
 */
static enum bpg_err
stage_ca(struct bpg_db *db, const char *pem, size_t len,
    struct bpg_errinfo *ei)
{
	size_t off = 0;
	ssize_t n;
	int fd, chk;

	if ((fd = memfd_create("bpg-db-ca", MFD_CLOEXEC)) < 0)
		return bpg_errf(ei, BPG_ECONFIG,
		    "dbStorageSOPS.caCertDataSOPS: cannot make a memory file "
		    "for the CA: %s", strerror(errno));
	while (off < len) {
		n = write(fd, pem + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return bpg_errf(ei, BPG_ECONFIG,
			    "dbStorageSOPS.caCertDataSOPS: cannot write the "
			    "CA to a memory file");
		}
		off += (size_t)n;
	}
	snprintf(db->ca_path, sizeof(db->ca_path), "/proc/self/fd/%d", fd);
	/* The TLS library opens the path: /proc must be there. */
	if ((chk = open(db->ca_path, O_RDONLY | O_CLOEXEC)) < 0) {
		close(fd);
		db->ca_path[0] = '\0';
		return bpg_errf(ei, BPG_ECONFIG,
		    "dbStorageSOPS.caCertDataSOPS: the CA's memory file "
		    "cannot be opened by name (is /proc mounted?)");
	}
	close(chk);
	db->ca_fd = fd;
	return BPG_OK;
}

enum bpg_err
bpg_db_new(
    const struct bpg_dbconf *conf, struct bpg_db **out, struct bpg_errinfo *ei)
{
	struct bpg_db *db;
	const char *name;
	enum bpg_err e;
	bool oom = false;
	struct bpg_errinfo sub;
	size_t i;

	if (conf == NULL || out == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no configuration");
	name = conf->db_name != NULL && conf->db_name[0] != '\0'
	    ? conf->db_name
	    : BPG_DB_DEFAULT_NAME;
	if ((e = bpg_db_check_name(name, &sub)) != BPG_OK)
		return bpg_errf(ei, e, "dbStorageSOPS.dbName: %s", sub.msg);
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	db->ca_fd = -1;
	memcpy(db->name, name, strlen(name) + 1);

	if (conf->connection_string != NULL &&
	    conf->connection_string[0] != '\0') {
		e = bpg_db_parse_url(conf->connection_string,
		    strlen(conf->connection_string), &db->url, &sub);
		if (e != BPG_OK) {
			bpg_db_free(db);
			return bpg_errf(ei, BPG_ECONFIG,
			    "dbStorageSOPS.connectionString: %s", sub.msg);
		}
		if ((e = tls_check(&db->url, conf, ei)) != BPG_OK ||
		    (db->url.ssl_mode > BPG_DB_SSL_DISABLED &&
		    conf->ca_cert != NULL && conf->ca_cert_len > 0 &&
		    (e = stage_ca(db, conf->ca_cert, conf->ca_cert_len, ei)) !=
		    BPG_OK)) {
			bpg_db_free(db);
			return e;
		}
		db->enabled = true;
	}
	db->user = dup_nonempty(conf->user, &oom);
	db->password = dup_nonempty(conf->password, &oom);
	db->sql[ST_INSERT] = sql_expand(sql_insert, db->name);
	db->sql[ST_FAIL] = sql_expand(sql_fail, db->name);
	db->sql[ST_GET] = sql_get(db->name);
	for (i = ST_MON_READ; i < ST_HIST_USER; i++)
		db->sql[i] = sql_expand(mon_sql[i], db->name);
	db->sql[ST_HIST_USER] = sql_hist(db->name, "WHERE `user` = ? ");
	db->sql[ST_HIST_NAME] = sql_hist(db->name, "WHERE app_name = ? ");
	db->sql[ST_HIST_ALL] = sql_hist(db->name, "");
	for (i = 0; i < ST__MAX; i++)
		if (db->sql[i] == NULL)
			oom = true;
	if (oom) {
		bpg_db_free(db);
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	}
	*out = db;
	return BPG_OK;
}

bool
bpg_db_enabled(const struct bpg_db *db)
{
	return db != NULL && db->enabled;
}

unsigned long
bpg_db_connection_id(const struct bpg_db *db)
{
	if (db == NULL || db->my == NULL)
		return 0;
	/* mysql_thread_id() takes a non-const handle but only reads it. */
	return mysql_thread_id((MYSQL *)(uintptr_t)db->my);
}

const char *
bpg_db_tls_cipher(const struct bpg_db *db)
{
	if (db == NULL || db->my == NULL)
		return NULL;
	/* Takes a non-const handle but only reads it. */
	return mysql_get_ssl_cipher((MYSQL *)(uintptr_t)db->my);
}

enum bpg_err
bpg_db_set_idle_timeout(
    struct bpg_db *db, unsigned int seconds, struct bpg_errinfo *ei)
{
	if (db == NULL || seconds > BPG_DB_MAX_IDLE_TIMEOUT)
		return bpg_errf(ei, BPG_EINVAL,
		    "database: idle timeout must be 0 to %u seconds",
		    BPG_DB_MAX_IDLE_TIMEOUT);
	db->idle_timeout_s = seconds;
	return BPG_OK;
}

/*
 * Column col of the first row of the constant query q, run on this
 * handle's own session (connecting if needed), into out[0..outlen): ""
 * for no row or NULL.  For diagnostics and tests.
 */
static enum bpg_err
session_value(struct bpg_db *db, const char *q, unsigned int col, char *out,
    size_t outlen, struct bpg_errinfo *ei)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	enum bpg_err e;

	if (db == NULL || out == NULL || outlen == 0 || !db->enabled)
		return bpg_errf(ei, BPG_EINVAL, "database: no connection");
	out[0] = '\0';
	if ((e = bpg_db_connect(db, ei)) != BPG_OK)
		return e;
	if (mysql_real_query(db->my, q, strlen(q)) != 0 ||
	    (res = mysql_store_result(db->my)) == NULL) {
		bpg_errf(ei, BPG_EDB, "database: %s: %s (error %u)", q,
		    mysql_error(db->my), mysql_errno(db->my));
		scrub(ei);
		return BPG_EDB;
	}
	row = mysql_fetch_row(res);
	if (row != NULL && col < mysql_num_fields(res) && row[col] != NULL)
		snprintf(out, outlen, "%s", row[col]);
	mysql_free_result(res);
	return BPG_OK;
}

enum bpg_err
bpg_db_session_idle_timeout(
    struct bpg_db *db, unsigned long *seconds, struct bpg_errinfo *ei)
{
	char v[32];
	enum bpg_err e;

	if (seconds == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no result");
	*seconds = 0;
	e = session_value(db, "SELECT @@session.wait_timeout", 0, v,
	    sizeof(v), ei);
	if (e == BPG_OK)
		*seconds = strtoul(v, NULL, 10);
	return e;
}

enum bpg_err
bpg_db_session_tls_cipher(
    struct bpg_db *db, char *cipher, size_t len, struct bpg_errinfo *ei)
{
	return session_value(db, "SHOW SESSION STATUS LIKE 'Ssl_cipher'", 1,
	    cipher, len, ei);
}

void
bpg_db_free(struct bpg_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	if (db->my != NULL && db->pid != getpid())
		db_detach(db);
	else
		db_close(db);
	/* An inherited descriptor is this process's copy: close it too. */
	if (db->ca_fd >= 0)
		close(db->ca_fd);
	if (db->password != NULL) {
		explicit_bzero(db->password, strlen(db->password));
		free(db->password);
	}
	free(db->user);
	for (i = 0; i < ST__MAX; i++)
		free(db->sql[i]);
	free(db);
}
