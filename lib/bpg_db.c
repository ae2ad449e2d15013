/*
 * The submission table in MySQL/MariaDB (spec section 9), through
 * libmariadb's prepared-statement API.
 *
 * Schema.  The start-up migration creates what BPG creates (spec 9.1:
 * schema, application_submission, logindex, with `hour` back-quoted, quirk
 * 23) and then adds, without touching BPG's columns:
 *
 *	error_message TEXT NULL			why the CR create failed
 *	INDEX bpg_app_id (app_id)		S6, /log?appId=
 *	INDEX bpg_user_created (`user`, created_time)	per-user history
 *	INDEX bpg_created (created_time)	admin history
 *
 * BPG ignores columns and indexes it does not know, so both gateways can
 * share the tables.  MySQL 5.7/8 have no ADD COLUMN IF NOT EXISTS or
 * CREATE INDEX IF NOT EXISTS, so each step first asks information_schema
 * whether its object exists and only then runs its DDL.  That also lets a
 * user without DDL privileges start against an already migrated schema.
 * Workers migrate concurrently at start-up; a step that loses the race
 * fails with "duplicate column/key name", which counts as success.
 *
 * Connections.  Always TCP (as JDBC), character set utf8mb4, time_zone
 * '+00:00' (MYSQL_INIT_COMMAND, so it holds on every new connection),
 * LOAD DATA LOCAL disabled, no automatic reconnect inside libmariadb: it
 * would silently drop our prepared statements.  Instead a statement that
 * fails with a "connection lost" error closes everything and is run once
 * more on a fresh connection.  All statements are idempotent (upsert,
 * guarded update, select), so running one twice after a lost reply does
 * no harm.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "bpg_db.h"

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

/* One key[=value] parameter s[0..n) at offset off. */
static enum bpg_err
parse_param(const char *s, size_t n, size_t off, struct bpg_db_url *url,
    struct bpg_errinfo *ei)
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

	if (n == 0)
		return BPG_OK; /* "a=1&&b=2", a trailing '&' */
	eq = memchr(s, '=', n);
	klen = eq != NULL ? (size_t)(eq - s) : n;
	if (klen == 0)
		return url_fail(ei, off, "parameter without a name");
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
			e = parse_param(
			    seg, (size_t)(p - seg), (size_t)(seg - s), url, ei);
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

enum stmt_id { ST_INSERT, ST_FAIL, ST_GET, ST__MAX };

/* "@DB@" in the SQL below stands for the back-quoted dbName. */
static const char sql_insert[] =
    "INSERT INTO @DB@.application_submission (submission_id, `user`, "
    "spark_version, request_body, queue, app_name) "
    "VALUES (?, ?, ?, ?, ?, ?) "
    "ON DUPLICATE KEY UPDATE `user` = ?, spark_version = ?, "
    "request_body = ?, queue = ?, app_name = ?";

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

/* Every column of application_submission, in table order. */
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
    {STEP_INDEX, "bpg_app_id", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_app_id ON @DB@.application_submission "
	"(app_id)"},
    {STEP_INDEX, "bpg_user_created", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_user_created ON @DB@.application_submission "
	"(`user`, created_time)"},
    {STEP_INDEX, "bpg_created", ER_DUP_KEYNAME,
	"CREATE INDEX bpg_created ON @DB@.application_submission "
	"(created_time)"},
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
	unsigned int last_errno; /* of the last failed statement */
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

/* A handle with our options set, or NULL (out of memory). */
static MYSQL *
db_handle(const struct bpg_db *db)
{
	unsigned int proto = MYSQL_PROTOCOL_TCP, no = 0, t;
	MYSQL *my;
	int bad = 0;

	if ((my = mysql_init(NULL)) == NULL)
		return NULL;
	bad |= mysql_options(my, MYSQL_OPT_PROTOCOL, &proto);
	bad |= mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	bad |=
	    mysql_options(my, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
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
	if (bad) {
		mysql_close(my);
		return NULL;
	}
	return my;
}

static enum bpg_err
db_open(struct bpg_db *db, struct bpg_errinfo *ei)
{
	const char *dbname =
	    db->url.database[0] != '\0' ? db->url.database : NULL;
	bool v6 = strchr(db->url.host, ':') != NULL;
	MYSQL *my;
	unsigned int code;

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
		bpg_errf(ei, BPG_EDB,
		    "database: cannot connect to %s%s%s:%u: %s (error %u)",
		    v6 ? "[" : "", db->url.host, v6 ? "]" : "", db->url.port,
		    mysql_error(my), code);
		scrub(ei);
		mysql_close(my);
		return BPG_EDB;
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
	return BPG_OK;
}

/*
 * Insert (S1)
 */

static enum bpg_err
op_insert(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	const struct bpg_db_submission *sub = in;
	const char *v[6] = {sub->submission_id, sub->user, sub->spark_version,
	    sub->request_body, sub->queue, sub->app_name};
	MYSQL_BIND b[11];
	unsigned long len[6];
	my_bool null[6];
	MYSQL_STMT *st;
	enum bpg_err e;
	size_t i;

	(void)out;
	if ((e = prepared(db, ST_INSERT, &st, ei)) != BPG_OK)
		return e;
	for (i = 0; i < 6; i++)
		bind_str(&b[i], v[i], &len[i], &null[i]);
	/* The update list repeats every column but the key. */
	for (i = 1; i < 6; i++)
		b[5 + i] = b[i];
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return stmt_fail(db, st, "insert submission", ei);
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
	return with_retry(db, op_insert, sub, NULL, ei);
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
	if (mysql_stmt_bind_param(st, &param) != 0 ||
	    mysql_stmt_execute(st) != 0 ||
	    mysql_stmt_bind_result(st, res) != 0 ||
	    mysql_stmt_store_result(st) != 0) {
		e = stmt_fail(db, st, "read submission", ei);
		goto out;
	}
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

enum bpg_err
bpg_db_new(
    const struct bpg_dbconf *conf, struct bpg_db **out, struct bpg_errinfo *ei)
{
	struct bpg_db *db;
	const char *name;
	enum bpg_err e;
	bool oom = false;
	struct bpg_errinfo sub;

	if (conf == NULL || out == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no configuration");
	name = conf->db_name != NULL && conf->db_name[0] != '\0'
	    ? conf->db_name
	    : BPG_DB_DEFAULT_NAME;
	if ((e = bpg_db_check_name(name, &sub)) != BPG_OK)
		return bpg_errf(ei, e, "dbStorageSOPS.dbName: %s", sub.msg);
	if ((db = calloc(1, sizeof(*db))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
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
		db->enabled = true;
	}
	db->user = dup_nonempty(conf->user, &oom);
	db->password = dup_nonempty(conf->password, &oom);
	db->sql[ST_INSERT] = sql_expand(sql_insert, db->name);
	db->sql[ST_FAIL] = sql_expand(sql_fail, db->name);
	db->sql[ST_GET] = sql_get(db->name);
	if (oom || db->sql[ST_INSERT] == NULL || db->sql[ST_FAIL] == NULL ||
	    db->sql[ST_GET] == NULL) {
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
	if (db->password != NULL) {
		explicit_bzero(db->password, strlen(db->password));
		free(db->password);
	}
	free(db->user);
	for (i = 0; i < ST__MAX; i++)
		free(db->sql[i]);
	free(db);
}
