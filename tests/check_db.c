/*
 * Tests for lib/bpg_db_*.c but the JDBC URL (check_db_url.c): the dbName
 * table, then the real thing against a MariaDB server started by
 * tests/mariadb.sh, whose port is in BPG_TEST_DB_PORT.  Without that
 * variable the server tests fail: a skipped database test would hide a
 * broken module.
 *
 *	sh tests/mariadb.sh start /tmp/bpgdb 13306
 *	BPG_TEST_DB_PORT=13306 build/tests/check_db
 *
 * Every server test works in its own schema, bpgt_<tag>_<pid>, dropped
 * at the end.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#include "bpg_db.h"
#include "bpg_metrics.h"
#include "testutil.h"

#define TEST_USER "bpg"
#define TEST_PASSWORD "bpg-test-pw"
#define TEST_CASE_TIMEOUT 120

/* struct bpg_dbconf holds char *, as the config module owns its strings. */
static char test_user[] = TEST_USER;
static char test_password[] = TEST_PASSWORD;

/*
 * dbName
 */

/* LogDaoTest.verifyDBName: "dummy" is OK; "" and "dummy." fail. */
static const struct {
	const char *name;
	int ok;
} names[] = {
    {"dummy", 1},
    {"bpg", 1},
    {"$_09AZaz", 1},
    {"123", 1},
    {"x123456789012345678901234567890123456789012345678901234567890123", 1},
    {"dummy.", 0},
    {"", 0},
    {"a b", 0},
    {"a-b", 0},
    {"a`b", 0},
    {"db;DROP TABLE x", 0},
    {"caf\xc3\xa9", 0},
    {"tab\t", 0},
    {"x1234567890123456789012345678901234567890123456789012345678901234", 0},
};

START_TEST(test_db_name)
{
	struct bpg_errinfo ei = {""};
	enum bpg_err e;

	e = bpg_db_check_name(names[_i].name, &ei);
	if (names[_i].ok)
		ck_assert_msg(e == BPG_OK, "row %d (%s): rejected: %s", _i,
		    names[_i].name, ei.msg);
	else {
		ck_assert_msg(e == BPG_ECONFIG, "row %d (%s): accepted", _i,
		    names[_i].name);
		ck_assert_msg(strchr(ei.msg, '\t') == NULL &&
			strstr(ei.msg, "\xc3") == NULL,
		    "row %d: raw bytes in the message", _i);
	}
}
END_TEST

START_TEST(test_new_errors)
{
	char dotted[] = "dummy.", empty[] = "", hunter[] = "hunter2";
	char url_cred[] = "jdbc:mysql://u:hunter2@h/db";
	char url_to[] = "jdbc:mysql://h/db?connectTimeout=x";
	char url_ok[] = "jdbc:mysql://h.invalid/db";
	struct bpg_dbconf conf = {NULL, NULL, NULL, NULL, NULL, 0};
	struct bpg_errinfo ei = {""};
	struct bpg_db *db = NULL;

	ck_assert_int_eq(bpg_db_new(NULL, &db, &ei), BPG_EINVAL);
	ck_assert_int_eq(bpg_db_new(&conf, NULL, &ei), BPG_EINVAL);

	conf.db_name = dotted;
	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_ECONFIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "dbName"));
	ck_assert_ptr_nonnull(strstr(ei.msg, "dummy."));
	ck_assert_ptr_null(db);

	conf.db_name = NULL;
	conf.connection_string = url_cred;
	conf.password = hunter;
	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_ECONFIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "connectionString"));
	ck_assert_ptr_null(strstr(ei.msg, "hunter2"));
	ck_assert_ptr_null(db);

	conf.connection_string = url_to;
	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_ECONFIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "connectTimeout"));
	ck_assert_ptr_null(db);

	/* Empty dbName means the default; no network I/O in new. */
	conf.db_name = empty;
	conf.connection_string = url_ok;
	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_OK);
	ck_assert(bpg_db_enabled(db));
	ck_assert_uint_eq(bpg_db_connection_id(db), 0);
	bpg_db_free(db);
	bpg_db_free(NULL);
}
END_TEST

START_TEST(test_disabled)
{
	char empty[] = "";
	struct bpg_dbconf conf = {empty, NULL, NULL, NULL, NULL, 0};
	struct bpg_db_submission sub = {
	    "c01-x", "u", "3.5", "{}", NULL, NULL, NULL};
	struct bpg_errinfo ei = {""};
	struct bpg_db *db = NULL;
	json_t *row = NULL;

	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_OK);
	ck_assert(!bpg_db_enabled(db));
	ck_assert_int_eq(bpg_db_connect(db, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_mark_failed(db, "c01-x", "r", &ei), BPG_OK);
	ck_assert_int_eq(
	    bpg_db_get_submission(db, "c01-x", &row, &ei), BPG_ENOTFOUND);
	ck_assert_ptr_null(row);
	ck_assert_uint_eq(bpg_db_connection_id(db), 0);
	/* Argument checks still apply. */
	sub.submission_id = "";
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_EINVAL);
	bpg_db_free(db);
}
END_TEST

/*
 * bpg_db_request_summary(): the parts a history row shows, in the shape
 * and order bpg_db_history() gives them, whatever the request's order.
 */
static const struct {
	const char *in; /* request JSON; NULL: a NULL request */
	const char *want;
} summaries[] = {
    {"{\"arguments\":[\"1\",{\"a\":null}],\"applicationName\":\"pi\","
     "\"executor\":{\"memory\":\"4g\",\"cores\":2,\"instances\":3,"
     "\"env\":{\"A\":\"b\"}},\"driver\":{\"labels\":{\"x\":\"y\","
     "\"dag_name\":\"d\"},\"memory\":\"2g\",\"cores\":1,\"env\":[]}}",
	"{\"driver\":{\"cores\":1,\"memory\":\"2g\",\"labels\":{\"dag_name\":"
	"\"d\"}},\"executor\":{\"instances\":3,\"cores\":2,\"memory\":\"4g\"},"
	"\"arguments\":[\"1\",{\"a\":null}]}"},
    {"{\"executor\":{\"instances\":0}}", "{\"executor\":{\"instances\":0}}"},
    {"{}", "{}"},
    {"{\"driver\":{},\"executor\":{\"env\":{}}}", "{}"},
    {"{\"driver\":{\"labels\":{\"team\":\"x\"}}}", "{}"},
    /* JSON null is a present value, as JSON_EXTRACT gives it. */
    {"{\"driver\":{\"cores\":null,\"memory\":1.5}}",
	"{\"driver\":{\"cores\":null,\"memory\":1.5}}"},
    {"{\"driver\":[1],\"executor\":\"x\",\"arguments\":\"a b\"}",
	"{\"arguments\":\"a b\"}"},
    {"{\"driver\":{\"labels\":{\"dag_name\":\"\\u00e9\"}}}",
	"{\"driver\":{\"labels\":{\"dag_name\":\"\xc3\xa9\"}}}"},
    {"[1]", "{}"},
    {NULL, "{}"},
};

START_TEST(test_request_summary)
{
	json_t *req = NULL, *v;
	char *before = NULL, *after, *got;

	if (summaries[_i].in != NULL) {
		req = json_loads(summaries[_i].in, JSON_DECODE_ANY, NULL);
		ck_assert_msg(req != NULL, "row %d: bad test input", _i);
		before = json_dumps(req, JSON_COMPACT | JSON_ENCODE_ANY);
		ck_assert_ptr_nonnull(before);
	}
	got = bpg_db_request_summary(req);
	ck_assert_msg(got != NULL, "row %d: NULL", _i);
	ck_assert_msg(strcmp(got, summaries[_i].want) == 0,
	    "row %d: %s, want %s", _i, got, summaries[_i].want);
	/* The request is left as it was. */
	if (req != NULL) {
		after = json_dumps(req, JSON_COMPACT | JSON_ENCODE_ANY);
		ck_assert_str_eq(after, before);
		/* Parts were shared with the summary, not kept. */
		v = json_object_get(req, "arguments");
		ck_assert(v == NULL || v->refcount == 1);
		v = json_object_get(json_object_get(req, "driver"), "memory");
		ck_assert(v == NULL || v->refcount == 1);
		free(after);
	}
	free(got);
	free(before);
	json_decref(req);
}
END_TEST

/*
 * Against a server
 */

struct ctx {
	unsigned int port;
	char schema[64];
	char url[128];
	struct bpg_dbconf conf;
	MYSQL *admin; /* a second connection, for checks and KILL */
};

static unsigned int
test_port(void)
{
	return tu_env_port("BPG_TEST_DB_PORT", "mariadb.sh");
}

static MYSQL *
admin_connect(unsigned int port)
{
	MYSQL *my = mysql_init(NULL);
	unsigned int proto = MYSQL_PROTOCOL_TCP;

	ck_assert_ptr_nonnull(my);
	mysql_options(my, MYSQL_OPT_PROTOCOL, &proto);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (mysql_real_connect(my, "127.0.0.1", TEST_USER, TEST_PASSWORD, NULL,
		port, NULL, 0) == NULL)
		ck_abort_msg("cannot connect to the test server on "
			     "127.0.0.1:%u: %s (is it started?)",
		    port, mysql_error(my));
	return my;
}

static void admin_exec(struct ctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
admin_exec(struct ctx *c, const char *fmt, ...)
{
	char sql[16384];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && (size_t)n < sizeof(sql), "SQL too long");
	if (mysql_query(c->admin, sql) != 0)
		ck_abort_msg("%s: %s", sql, mysql_error(c->admin));
}

static long long admin_scalar(struct ctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* First column of the first row as a number; -1 if there is no row. */
static long long
admin_scalar(struct ctx *c, const char *fmt, ...)
{
	char sql[16384];
	va_list ap;
	int n;
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long v = -1;

	va_start(ap, fmt);
	n = vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && (size_t)n < sizeof(sql), "SQL too long");
	if (mysql_query(c->admin, sql) != 0 ||
	    (res = mysql_store_result(c->admin)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(c->admin));
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		v = strtoll(row[0], NULL, 10);
	mysql_free_result(res);
	return v;
}

static void
ctx_open(struct ctx *c, const char *tag)
{
	memset(c, 0, sizeof(*c));
	c->port = test_port();
	snprintf(
	    c->schema, sizeof(c->schema), "bpgt_%s_%ld", tag, (long)getpid());
	snprintf(c->url, sizeof(c->url),
	    "jdbc:mysql://127.0.0.1:%u/bpg?connectTimeout=5000"
	    "&socketTimeout=30000",
	    c->port);
	c->conf.connection_string = c->url;
	c->conf.user = test_user;
	c->conf.password = test_password;
	c->conf.db_name = c->schema;
	c->admin = admin_connect(c->port);
	admin_exec(c, "DROP SCHEMA IF EXISTS `%s`", c->schema);
}

static void
ctx_close(struct ctx *c)
{
	admin_exec(c, "DROP SCHEMA IF EXISTS `%s`", c->schema);
	mysql_close(c->admin);
	c->admin = NULL;
}

static struct bpg_db *
ctx_db(struct ctx *c)
{
	struct bpg_errinfo ei = {""};
	struct bpg_db *db = NULL;

	ck_assert_msg(bpg_db_new(&c->conf, &db, &ei) == BPG_OK, "%s", ei.msg);
	return db;
}

static void
ctx_connect(struct bpg_db *db)
{
	struct bpg_errinfo ei = {""};
	enum bpg_err e = bpg_db_connect(db, &ei);

	ck_assert_msg(e == BPG_OK, "connect: %s: %s", bpg_strerror(e), ei.msg);
}

static json_t *
get_row(struct bpg_db *db, const char *id)
{
	struct bpg_errinfo ei = {""};
	json_t *row = NULL;
	enum bpg_err e = bpg_db_get_submission(db, id, &row, &ei);

	ck_assert_msg(
	    e == BPG_OK, "get %s: %s: %s", id, bpg_strerror(e), ei.msg);
	ck_assert(json_is_object(row));
	return row;
}

static void
insert(struct bpg_db *db, const struct bpg_db_submission *sub)
{
	struct bpg_errinfo ei = {""};
	enum bpg_err e = bpg_db_insert_submission(db, sub, &ei);

	ck_assert_msg(e == BPG_OK, "insert %s: %s: %s", sub->submission_id,
	    bpg_strerror(e), ei.msg);
}

/* row[key] is the string want, or JSON null if want is NULL. */
static void
ck_col_str(const json_t *row, const char *key, const char *want)
{
	const json_t *v = json_object_get(row, key);

	ck_assert_msg(v != NULL, "column %s missing", key);
	if (want == NULL)
		ck_assert_msg(json_is_null(v), "column %s not null", key);
	else {
		ck_assert_msg(json_is_string(v), "column %s not a string", key);
		ck_assert_msg(strcmp(json_string_value(v), want) == 0,
		    "column %s: \"%s\", want \"%s\"", key, json_string_value(v),
		    want);
	}
}

static void
ck_col_null(const json_t *row, const char *key)
{
	const json_t *v = json_object_get(row, key);

	ck_assert_msg(v != NULL && json_is_null(v), "column %s not null", key);
}

/* row[key] is a time within five minutes of now; returns it. */
static long long
ck_col_now(const json_t *row, const char *key)
{
	const json_t *v = json_object_get(row, key);
	long long now = (long long)time(NULL) * 1000, t;

	ck_assert_msg(json_is_integer(v), "column %s not an integer", key);
	t = json_integer_value(v);
	ck_assert_msg(t > now - 300000 && t < now + 300000,
	    "column %s: %lld ms, now %lld ms", key, t, now);
	return t;
}

static long long
column_count(struct ctx *c, const char *table)
{
	return admin_scalar(c,
	    "SELECT COUNT(*) FROM information_schema.COLUMNS "
	    "WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = '%s'",
	    c->schema, table);
}

/* 1 if application_submission has a nullable TEXT column named col. */
static long long
nullable_text(struct ctx *c, const char *col)
{
	return admin_scalar(c,
	    "SELECT COUNT(*) FROM information_schema.COLUMNS "
	    "WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = "
	    "'application_submission' AND COLUMN_NAME = '%s' AND "
	    "IS_NULLABLE = 'YES' AND DATA_TYPE = 'text'",
	    c->schema, col);
}

static long long
index_count(struct ctx *c)
{
	return admin_scalar(c,
	    "SELECT COUNT(DISTINCT INDEX_NAME) "
	    "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '%s' "
	    "AND TABLE_NAME = 'application_submission'",
	    c->schema);
}

/* Also DBConnectionTest: a connection opens (and migrates) and closes. */
START_TEST(test_migrate_fresh)
{
	static const char *const idx[] = {
	    "PRIMARY", "bpg_app_id", "bpg_user_created", "bpg_created",
	    "bpg_app_name", "bpg_unfinished", "bpg_report"};
	struct ctx c;
	struct bpg_db *db, *db2;
	unsigned long id;
	size_t i;

	ctx_open(&c, "mig");
	db = ctx_db(&c);
	ctx_connect(db);
	id = bpg_db_connection_id(db);
	ck_assert_uint_ne(id, 0);

	ck_assert_int_eq(admin_scalar(&c,
			     "SELECT COUNT(*) FROM information_schema.TABLES "
			     "WHERE TABLE_SCHEMA = '%s'",
			     c.schema),
	    15);
	/* BPG's two tables and ours: idempotency keys (check_idem), the
	 * schedules and their fires (check_db_schedules), the
	 * links between attempts, Livy batch IDs (check_db_livy),
	 * notifications' receivers, outbox and deliveries (check_db_notify),
	 * the monitor's lease and its terms (check_db_lease), the jobs
	 * with retries (check_db_retry), and the dependencies' links and
	 * waiting submissions (check_db_deps). */
	ck_assert_int_eq(admin_scalar(&c,
			     "SELECT COUNT(*) FROM information_schema.STATISTICS "
			     "WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = "
			     "'bpg_idempotency_key' AND INDEX_NAME = "
			     "'bpg_idem_expires'",
			     c.schema),
	    1);
	ck_assert_int_eq(column_count(&c, "submission_attempt"), 12);
	ck_assert_int_eq(column_count(&c, "bpg_lease"), 8);
	ck_assert_int_eq(column_count(&c, "bpg_lease_term"), 8);
	/* BPG's 19 columns plus error_message and bpg_request_summary. */
	ck_assert_int_eq(column_count(&c, "application_submission"), 21);
	ck_assert_int_eq(nullable_text(&c, "error_message"), 1);
	ck_assert_int_eq(nullable_text(&c, "bpg_request_summary"), 1);
	ck_assert_int_eq(column_count(&c, "logindex"), 4);
	ck_assert_int_eq(admin_scalar(&c,
			     "SELECT COUNT(*) FROM information_schema.COLUMNS "
			     "WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = "
			     "'logindex' AND COLUMN_NAME = 'hour'",
			     c.schema),
	    1);
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
		ck_assert_msg(admin_scalar(&c,
				  "SELECT COUNT(*) FROM "
				  "information_schema.STATISTICS WHERE "
				  "TABLE_SCHEMA = '%s' AND INDEX_NAME = '%s'",
				  c.schema, idx[i]) > 0,
		    "index %s missing", idx[i]);
	ck_assert_int_eq(index_count(&c), 7);
	/* (`user`, created_time), in that order. */
	ck_assert_int_eq(admin_scalar(&c,
			     "SELECT SEQ_IN_INDEX FROM "
			     "information_schema.STATISTICS WHERE "
			     "TABLE_SCHEMA = '%s' AND INDEX_NAME = "
			     "'bpg_user_created' AND COLUMN_NAME = "
			     "'created_time'",
			     c.schema),
	    2);

	/* Once per handle: a second call does nothing. */
	ctx_connect(db);
	ck_assert_uint_eq(bpg_db_connection_id(db), id);

	/* A new handle (a new worker) migrates again, changing nothing. */
	db2 = ctx_db(&c);
	ctx_connect(db2);
	ck_assert_uint_ne(bpg_db_connection_id(db2), id);
	ck_assert_int_eq(column_count(&c, "application_submission"), 21);
	ck_assert_int_eq(index_count(&c), 7);
	bpg_db_free(db2);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

/* BPG's own start-up DDL (spec 9.1), logindex as MySQL accepts it. */
static void
create_bpg_tables(struct ctx *c)
{
	admin_exec(c, "CREATE SCHEMA IF NOT EXISTS %s", c->schema);
	admin_exec(c,
	    "CREATE TABLE IF NOT EXISTS %s.application_submission (\n"
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
	    ")",
	    c->schema);
	admin_exec(c,
	    "CREATE TABLE IF NOT EXISTS %s.logindex (\n"
	    "    logs3key VARCHAR(500) NOT NULL PRIMARY KEY,\n"
	    "    date date NOT NULL,\n"
	    "    `hour` SMALLINT NOT NULL,\n"
	    "    containerId VARCHAR(60) NOT NULL\n"
	    ")",
	    c->schema);
}

START_TEST(test_migrate_existing)
{
	struct ctx c;
	struct bpg_db *db, *db2;
	json_t *row;

	ctx_open(&c, "old");
	create_bpg_tables(&c);
	admin_exec(&c,
	    "INSERT INTO %s.application_submission (submission_id, `user`, "
	    "app_name, spark_version, queue, status, app_id, request_body, "
	    "start_time, driver_core, driver_memory_mb, number_executor, "
	    "cost) VALUES ('c01-old', 'alice', 'spark_app', '3.1', 'poc', "
	    "'RUNNING', 'spark-123', '{\"x\":1}', '2000-01-01 01:01:01', 4, "
	    "4096, 10, 1.50)",
	    c.schema);
	admin_exec(&c,
	    "INSERT INTO %s.logindex VALUES ('logkey_0', '2024-01-02', 3, "
	    "'c01-old-driver')",
	    c.schema);

	ck_assert_int_eq(column_count(&c, "application_submission"), 19);
	ck_assert_int_eq(nullable_text(&c, "bpg_request_summary"), 0);
	db = ctx_db(&c);
	ctx_connect(db);
	ck_assert_int_eq(column_count(&c, "application_submission"), 21);
	ck_assert_int_eq(nullable_text(&c, "error_message"), 1);
	ck_assert_int_eq(nullable_text(&c, "bpg_request_summary"), 1);
	ck_assert_int_eq(index_count(&c), 7);
	ck_assert_int_eq(
	    admin_scalar(&c, "SELECT COUNT(*) FROM %s.logindex", c.schema), 1);
	/* The old row has no summary, and a second migration changes nothing. */
	ck_assert_int_eq(admin_scalar(&c,
			     "SELECT COUNT(*) FROM %s.application_submission "
			     "WHERE submission_id = 'c01-old' AND "
			     "bpg_request_summary IS NULL",
			     c.schema),
	    1);
	db2 = ctx_db(&c);
	ctx_connect(db2);
	bpg_db_free(db2);
	ck_assert_int_eq(column_count(&c, "application_submission"), 21);
	ck_assert_int_eq(index_count(&c), 7);

	row = get_row(db, "c01-old");
	ck_assert_uint_eq(json_object_size(row), 20);
	ck_col_str(row, "user", "alice");
	ck_col_str(row, "app_name", "spark_app");
	ck_col_str(row, "status", "RUNNING");
	ck_col_str(row, "app_id", "spark-123");
	ck_col_str(row, "request_body", "{\"x\":1}");
	ck_col_null(row, "error_message");
	ck_col_null(row, "finished_time");
	ck_col_null(row, "executor_core");
	/* 2000-01-01T01:01:01Z */
	ck_assert_int_eq(json_integer_value(json_object_get(row, "start_time")),
	    946688461000LL);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(row, "driver_memory_mb")), 4096);
	ck_assert(json_is_real(json_object_get(row, "cost")));
	ck_assert_double_eq_tol(
	    json_real_value(json_object_get(row, "cost")), 1.5, 1e-9);
	json_decref(row);

	/* BPG's statements still work on the migrated table (S1, S2, S3). */
	admin_exec(&c,
	    "INSERT INTO %s.application_submission(submission_id, `user`, "
	    "spark_version, request_body, queue) VALUES ('c01-new', 'bob', "
	    "'3.5', '{}', NULL) ON DUPLICATE KEY UPDATE `user`='bob', "
	    "spark_version='3.5', request_body='{}', queue=NULL",
	    c.schema);
	admin_exec(&c,
	    "INSERT INTO %s.application_submission(submission_id, app_id) "
	    "VALUES ('c01-new', 'spark-9') ON DUPLICATE KEY UPDATE "
	    "app_id='spark-9'",
	    c.schema);
	admin_exec(&c,
	    "UPDATE %s.application_submission SET status='SUBMITTED' WHERE "
	    "submission_id='c01-new' AND finished_time IS NULL",
	    c.schema);
	row = get_row(db, "c01-new");
	ck_col_str(row, "user", "bob");
	ck_col_str(row, "app_id", "spark-9");
	ck_col_str(row, "status", "SUBMITTED");
	ck_col_null(row, "queue");
	json_decref(row);

	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

START_TEST(test_migrate_concurrent)
{
	enum { NWORKERS = 6 };
	struct ctx c;
	pid_t pid[NWORKERS];
	int i, status;

	ctx_open(&c, "race");
	for (i = 0; i < NWORKERS; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			struct bpg_errinfo ei = {""};
			struct bpg_db *db = NULL;
			enum bpg_err e;

			if (bpg_db_new(&c.conf, &db, &ei) != BPG_OK)
				_exit(2);
			e = bpg_db_connect(db, &ei);
			if (e != BPG_OK)
				fprintf(stderr, "worker %d: %s\n", i, ei.msg);
			bpg_db_free(db);
			_exit(e == BPG_OK ? 0 : 1);
		}
	}
	for (i = 0; i < NWORKERS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &status, 0), pid[i]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "worker %d failed to migrate", i);
	}
	ck_assert_int_eq(column_count(&c, "application_submission"), 21);
	ck_assert_int_eq(index_count(&c), 7);
	ctx_close(&c);
}
END_TEST

START_TEST(test_insert_read)
{
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {"c01-0123456789abcdef0123456789abcdef",
	    "alice", "3.5",
	    "{\"applicationName\":\"pi\",\"x\":\"\xc3\xa9\xf0\x9f\x98\x80\"}",
	    "poc", "pi", NULL};
	struct bpg_errinfo ei = {""};
	char longid[300];
	json_t *row;

	ctx_open(&c, "ins");
	db = ctx_db(&c);
	insert(db, &sub);
	row = get_row(db, sub.submission_id);
	ck_assert_uint_eq(json_object_size(row), 20);
	ck_col_str(row, "submission_id", sub.submission_id);
	ck_col_str(row, "user", "alice");
	ck_col_str(row, "spark_version", "3.5");
	ck_col_str(row, "request_body", sub.request_body);
	ck_col_str(row, "queue", "poc");
	ck_col_str(row, "app_name", "pi");
	ck_col_null(row, "status");
	ck_col_null(row, "app_id");
	ck_col_null(row, "dag_name");
	ck_col_null(row, "finished_time");
	ck_col_null(row, "start_time");
	ck_col_null(row, "driver_core");
	ck_col_null(row, "cost");
	ck_col_null(row, "error_message");
	ck_col_now(row, "created_time");
	json_decref(row);

	/* NULL fields are stored as NULL; "" stays "". */
	sub.submission_id = "c01-nulls";
	sub.queue = NULL;
	sub.app_name = NULL;
	sub.request_body = "";
	insert(db, &sub);
	row = get_row(db, "c01-nulls");
	ck_col_null(row, "queue");
	ck_col_null(row, "app_name");
	ck_col_str(row, "request_body", "");
	json_decref(row);

	/* Absent row; bad IDs. */
	row = NULL;
	ck_assert_int_eq(
	    bpg_db_get_submission(db, "c01-none", &row, &ei), BPG_ENOTFOUND);
	ck_assert_ptr_null(row);
	ck_assert_int_eq(bpg_db_get_submission(db, "", &row, &ei), BPG_EINVAL);
	ck_assert_int_eq(
	    bpg_db_get_submission(db, NULL, &row, &ei), BPG_EINVAL);
	memset(longid, 'a', 256);
	longid[256] = '\0';
	sub.submission_id = longid;
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_EINVAL);
	longid[255] = '\0';
	insert(db, &sub);
	json_decref(get_row(db, longid));
	ck_assert_int_eq(bpg_db_insert_submission(db, NULL, &ei), BPG_EINVAL);

	/* A server-side error is BPG_EDB, and the handle stays usable. */
	sub.submission_id = "c01-bad-utf8";
	sub.user = "\xff\xfe";
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_EDB);
	ck_assert_ptr_nonnull(strstr(ei.msg, "insert submission"));
	sub.user = "ok";
	insert(db, &sub);

	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

/* The index the plan of a history query reads (EXPLAIN's key), or "". */
static void
plan_key(struct ctx *c, const char *where, int limit, char *key, size_t len)
{
	char sql[1024];
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL_FIELD *f;
	unsigned int i, n;

	/* bpg_request_summary as the history reads it: a probe of columns
	 * that some index covers (bpg_report) would not tell its plan. */
	snprintf(sql, sizeof(sql), "EXPLAIN SELECT submission_id, status, "
	    "bpg_request_summary "
	    "FROM `%s`.application_submission %s ORDER BY created_time DESC "
	    "LIMIT %d", c->schema, where, limit);
	if (mysql_query(c->admin, sql) != 0 ||
	    (res = mysql_store_result(c->admin)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(c->admin));
	key[0] = '\0';
	n = mysql_num_fields(res);
	f = mysql_fetch_fields(res);
	if ((row = mysql_fetch_row(res)) != NULL)
		for (i = 0; i < n; i++)
			if (strcmp(f[i].name, "key") == 0 && row[i] != NULL)
				snprintf(key, len, "%s", row[i]);
	mysql_free_result(res);
}

START_TEST(test_history)
{
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub;
	struct bpg_errinfo ei = {""};
	char id[64], key[128];
	json_t *rows = NULL, *r0, *req;
	int i;

	ctx_open(&c, "hist");
	db = ctx_db(&c);
	memset(&sub, 0, sizeof(sub));
	sub.spark_version = "3.5.0";
	/* Enough rows that the indexes are worth reading. */
	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "c01-%032d", i);
		sub.submission_id = id;
		sub.user = i % 3 == 0 ? "alice" : "bob";
		sub.app_name = i % 2 == 0 ? "Pi" : "Other";
		sub.queue = "dev";
		sub.request_body = i == 3 ? "not json" :
		    "{\"applicationName\":\"Pi\",\"driver\":{\"cores\":2,"
		    "\"memory\":\"2g\",\"labels\":{\"dag_name\":\"d1\"}},"
		    "\"executor\":{\"instances\":3},\"arguments\":[\"1\",\"2\"]}";
		insert(db, &sub);
	}
	/* Distinct creation times: row i is i seconds old. */
	admin_exec(&c, "UPDATE `%s`.application_submission SET created_time "
	    "= FROM_UNIXTIME(1700000000 - CAST(SUBSTRING(submission_id, 5) "
	    "AS UNSIGNED))", c.schema);
	admin_exec(&c, "UPDATE `%s`.application_submission SET status = "
	    "'COMPLETED', app_id = 'spark-0', finished_time = "
	    "FROM_UNIXTIME(1700000100) WHERE submission_id = 'c01-%032d'",
	    c.schema, 0);
	/* ANALYZE answers with a result set, which must be read. */
	snprintf(key, sizeof(key), "ANALYZE TABLE `%s`.application_submission",
	    c.schema);
	ck_assert_int_eq(mysql_query(c.admin, key), 0);
	mysql_free_result(mysql_store_result(c.admin));

	/* One user's, newest first, limited. */
	ck_assert_msg(bpg_db_history(db, "alice", NULL, 5, &rows, &ei) ==
	    BPG_OK, "%s", ei.msg);
	ck_assert_uint_eq(json_array_size(rows), 5);
	r0 = json_array_get(rows, 0);
	snprintf(id, sizeof(id), "c01-%032d", 0);
	ck_col_str(r0, "submission_id", id);
	ck_col_str(r0, "user", "alice");
	ck_col_str(r0, "status", "COMPLETED");
	ck_col_str(r0, "app_id", "spark-0");
	ck_col_str(r0, "queue", "dev");
	ck_col_str(r0, "app_name", "Pi");
	ck_col_str(r0, "spark_version", "3.5.0");
	ck_col_null(r0, "dag_name");
	ck_col_null(r0, "error_message");
	ck_assert_int_eq(json_integer_value(json_object_get(r0,
	    "created_time")), 1700000000000LL);
	ck_assert_int_eq(json_integer_value(json_object_get(r0,
	    "finished_time")), 1700000100000LL);
	req = json_object_get(r0, "request");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    req, "driver"), "cores")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    req, "driver"), "memory")), "2g");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(req, "driver"), "labels"), "dag_name")), "d1");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(
	    req, "executor"), "instances")), 3);
	ck_assert_ptr_null(json_object_get(json_object_get(req, "executor"),
	    "memory"));
	ck_assert_uint_eq(json_array_size(json_object_get(req, "arguments")),
	    2);
	/* A request_body that is not JSON leaves the row readable. */
	r0 = json_array_get(rows, 1);
	snprintf(id, sizeof(id), "c01-%032d", 3);
	ck_col_str(r0, "submission_id", id);
	ck_assert_uint_eq(json_object_size(json_object_get(r0, "request")), 0);
	ck_col_null(r0, "finished_time");
	json_decref(rows);

	/* By name, and everyone's. */
	ck_assert_int_eq(bpg_db_history(db, NULL, "Other", 1000, &rows, &ei),
	    BPG_OK);
	ck_assert_uint_eq(json_array_size(rows), 150);
	json_decref(rows);
	ck_assert_int_eq(bpg_db_history(db, NULL, NULL, 1000, &rows, &ei),
	    BPG_OK);
	ck_assert_uint_eq(json_array_size(rows), 300);
	json_decref(rows);
	ck_assert_int_eq(bpg_db_history(db, "nobody", NULL, 10, &rows, &ei),
	    BPG_OK);
	ck_assert_uint_eq(json_array_size(rows), 0);
	json_decref(rows);

	/*
	 * The plans read the indexes the migration made, once the table is
	 * big enough for an index to beat a scan (MariaDB's seq engine).
	 */
	admin_exec(&c, "INSERT INTO `%s`.application_submission "
	    "(submission_id, `user`, app_name, created_time) SELECT "
	    "CONCAT('c02-', seq), CONCAT('u', seq %% 50), CONCAT('n', seq %% 50), "
	    "FROM_UNIXTIME(1600000000 + seq) FROM `%s`.seq_1_to_20000",
	    c.schema, c.schema);
	snprintf(key, sizeof(key), "ANALYZE TABLE `%s`.application_submission",
	    c.schema);
	ck_assert_int_eq(mysql_query(c.admin, key), 0);
	mysql_free_result(mysql_store_result(c.admin));
	plan_key(&c, "WHERE `user` = 'alice'", 1000, key, sizeof(key));
	ck_assert_str_eq(key, "bpg_user_created");
	plan_key(&c, "WHERE app_name = 'Rare'", 1000, key, sizeof(key));
	ck_assert_str_eq(key, "bpg_app_name");
	plan_key(&c, "", 10, key, sizeof(key));
	ck_assert_str_eq(key, "bpg_created");

	/* Bad calls. */
	ck_assert_int_eq(bpg_db_history(db, "a", "b", 10, &rows, &ei),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_db_history(db, NULL, NULL, 0, &rows, &ei),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_db_history(db, NULL, NULL,
	    BPG_DB_MAX_HISTORY + 1, &rows, &ei), BPG_EINVAL);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

/* A string of n copies of unit. */
static char *
repeat(const char *unit, size_t n)
{
	size_t ul = strlen(unit), i;
	char *s = malloc(ul * n + 1);

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	return s;
}

/* The row of rows whose submission_id is id; fails the test if none. */
static json_t *
hist_find(json_t *rows, const char *id)
{
	const char *s;
	json_t *r;
	size_t i;

	json_array_foreach (rows, i, r) {
		s = json_string_value(json_object_get(r, "submission_id"));
		if (s != NULL && strcmp(s, id) == 0)
			return r;
	}
	ck_abort_msg("no history row %s", id);
	return NULL;
}

/* row["request"] as compact JSON, for comparing byte by byte. */
static void
ck_request(json_t *row, const char *want)
{
	char *got = json_dumps(json_object_get(row, "request"), JSON_COMPACT);

	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(got, want) == 0, "%s: request %s, want %s",
	    json_string_value(json_object_get(row, "submission_id")), got, want);
	free(got);
}

/*
 * Rows the gateway writes carry a summary and list as a row without one
 * (one BPG wrote) lists from its request_body: the same object, key for
 * key.  A summary is used as it is, an unreadable one gives {}, and a
 * request_body that is not JSON still lists.
 */
START_TEST(test_history_summary)
{
	/* Parts in another order than the summary's, and more. */
	static const char body_fmt[] =
	    "{\"applicationName\":\"Pi\",\"arguments\":[\"%s\",\"2\"],"
	    "\"executor\":{\"memory\":\"4g\",\"instances\":3,\"cores\":1},"
	    "\"driver\":{\"cores\":2,\"memory\":\"2g\",\"labels\":"
	    "{\"dag_name\":\"d1\",\"team\":\"t\"}},\"sparkVersion\":\"3.5\"}";
	static const char want_fmt[] =
	    "{\"driver\":{\"cores\":2,\"memory\":\"2g\",\"labels\":"
	    "{\"dag_name\":\"d1\"}},\"executor\":{\"instances\":3,\"cores\":1,"
	    "\"memory\":\"4g\"},\"arguments\":[\"%s\",\"2\"]}";
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub;
	struct bpg_errinfo ei = {""};
	char *arg = repeat("a", 3000), *reason = repeat("r", 2000);
	char body[4096], want[4096], *sum, *g, *b;
	json_t *req, *rows = NULL, *gw, *bpg;
	int i;

	ctx_open(&c, "hsum");
	db = ctx_db(&c);
	ctx_connect(db);
	memset(&sub, 0, sizeof(sub));
	sub.user = "alice";
	sub.spark_version = "3.5";
	sub.queue = "dev";
	/* A short first argument, then one longer than a fetch slot. */
	for (i = 0; i < 2; i++) {
		snprintf(body, sizeof(body), body_fmt, i == 0 ? "1" : arg);
		snprintf(want, sizeof(want), want_fmt, i == 0 ? "1" : arg);
		req = json_loads(body, 0, NULL);
		ck_assert_ptr_nonnull(req);
		sum = bpg_db_request_summary(req);
		json_decref(req);
		ck_assert_str_eq(sum, want);

		/* As api_h_submit() writes it. */
		sub.submission_id = i == 0 ? "c01-gw" : "c01-gw-long";
		sub.request_body = body;
		sub.request_summary = sum;
		insert(db, &sub);
		free(sum);
		ck_assert_int_eq(admin_scalar(&c,
				     "SELECT COUNT(*) FROM "
				     "%s.application_submission WHERE "
				     "submission_id = '%s' AND "
				     "bpg_request_summary = '%s'",
				     c.schema, sub.submission_id, want),
		    1);
		/* As BPG's S1 writes it (spec 9.2), no summary. */
		admin_exec(&c,
		    "INSERT INTO %s.application_submission(submission_id, "
		    "`user`, spark_version, request_body, queue) VALUES "
		    "('%s', 'alice', '3.5', '%s', 'dev') ON DUPLICATE KEY "
		    "UPDATE `user`='alice', spark_version='3.5', "
		    "request_body='%s', queue='dev'",
		    c.schema, i == 0 ? "c01-bpg" : "c01-bpg-long", body, body);
	}
	ck_assert_int_eq(admin_scalar(&c,
			     "SELECT COUNT(*) FROM %s.application_submission "
			     "WHERE bpg_request_summary IS NULL",
			     c.schema),
	    2);
	/* Long error messages come whole too. */
	ck_assert_int_eq(bpg_db_mark_failed(db, "c01-gw-long", reason, &ei),
	    BPG_OK);
	ck_assert_int_eq(bpg_db_mark_failed(db, "c01-bpg-long", reason, &ei),
	    BPG_OK);

	/* A request_body that is not JSON, from BPG and from us. */
	admin_exec(&c,
	    "INSERT INTO %s.application_submission(submission_id, `user`, "
	    "spark_version, request_body, queue) VALUES ('c01-text', "
	    "'alice', '3.5', 'not json', NULL)",
	    c.schema);
	sub.submission_id = "c01-text-nosum";
	sub.request_body = "{\"driver\":";
	sub.request_summary = NULL;
	insert(db, &sub);
	/* Without a summary our rows are read from request_body. */
	sub.submission_id = "c01-nosum";
	sub.request_body = "{\"driver\":{\"cores\":5},\"arguments\":[]}";
	insert(db, &sub);
	/* The summary is what is read, even where request_body says else. */
	sub.submission_id = "c01-own";
	sub.request_body = "{\"driver\":{\"cores\":2}}";
	sub.request_summary = "{\"driver\":{\"cores\":9}}";
	insert(db, &sub);
	/* Unreadable summaries give no parts; the list still works. */
	sub.submission_id = "c01-badsum";
	sub.request_summary = "{\"driver\":";
	insert(db, &sub);
	sub.submission_id = "c01-arraysum";
	sub.request_summary = "[1]";
	insert(db, &sub);
	/* Distinct creation times: the gateway's and BPG's pairs are alike. */
	admin_exec(&c,
	    "UPDATE %s.application_submission SET created_time = "
	    "FROM_UNIXTIME(1700000000 + LENGTH(submission_id))",
	    c.schema);

	ck_assert_msg(bpg_db_history(db, "alice", NULL, 100, &rows, &ei) ==
		BPG_OK,
	    "%s", ei.msg);
	ck_assert_uint_eq(json_array_size(rows), 10);
	for (i = 0; i < 2; i++) {
		snprintf(want, sizeof(want), want_fmt, i == 0 ? "1" : arg);
		gw = hist_find(rows, i == 0 ? "c01-gw" : "c01-gw-long");
		bpg = hist_find(rows, i == 0 ? "c01-bpg" : "c01-bpg-long");
		ck_request(gw, want);
		ck_request(bpg, want);
		ck_col_str(gw, "user", "alice");
		ck_col_str(gw, "queue", "dev");
		ck_col_str(gw, "spark_version", "3.5");
		ck_col_null(gw, "app_name");
		ck_col_str(gw, "error_message", i == 0 ? NULL : reason);
		ck_col_str(gw, "status", i == 0 ? NULL : "SUBMISSION_FAILED");
		/* Whole rows alike, but for the ID. */
		json_object_del(gw, "submission_id");
		json_object_del(bpg, "submission_id");
		json_object_set_new(gw, "created_time", json_integer(0));
		json_object_set_new(bpg, "created_time", json_integer(0));
		json_object_set_new(gw, "finished_time", json_null());
		json_object_set_new(bpg, "finished_time", json_null());
		g = json_dumps(gw, JSON_COMPACT);
		b = json_dumps(bpg, JSON_COMPACT);
		ck_assert_str_eq(g, b);
		free(g);
		free(b);
	}
	ck_request(hist_find(rows, "c01-text"), "{}");
	ck_request(hist_find(rows, "c01-text-nosum"), "{}");
	ck_request(hist_find(rows, "c01-nosum"),
	    "{\"driver\":{\"cores\":5},\"arguments\":[]}");
	ck_request(hist_find(rows, "c01-own"), "{\"driver\":{\"cores\":9}}");
	ck_request(hist_find(rows, "c01-badsum"), "{}");
	ck_request(hist_find(rows, "c01-arraysum"), "{}");
	ck_col_null(hist_find(rows, "c01-text"), "queue");
	json_decref(rows);

	free(arg);
	free(reason);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

START_TEST(test_insert_sizes)
{
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {
	    "c01-size", "u", "3.5", "{}", NULL, NULL, NULL};
	struct bpg_errinfo ei = {""};
	char *s255 = repeat("\xc3\xa9", 255), *a256 = repeat("a", 256);
	char *body = repeat("b", 65535), *big = repeat("b", 65536);
	json_t *row;

	ctx_open(&c, "size");
	db = ctx_db(&c);
	/* Column limits are in characters for VARCHAR, bytes for TEXT. */
	sub.user = s255;
	sub.app_name = s255;
	sub.request_body = body;
	insert(db, &sub);
	row = get_row(db, "c01-size");
	ck_col_str(row, "user", s255);
	ck_col_str(row, "app_name", s255);
	ck_assert_uint_eq(
	    strlen(json_string_value(json_object_get(row, "request_body"))),
	    65535);
	json_decref(row);

	sub.user = a256;
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "user"));
	sub.user = "u";
	sub.queue = a256;
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "queue"));
	sub.queue = NULL;
	sub.request_body = big;
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "request_body"));
	/* The summary is a TEXT too. */
	sub.request_body = "{}";
	sub.request_summary = body;
	insert(db, &sub);
	ck_assert_int_eq(admin_scalar(&c,
			     "SELECT LENGTH(bpg_request_summary) FROM "
			     "%s.application_submission WHERE "
			     "submission_id = 'c01-size'",
			     c.schema),
	    65535);
	sub.request_summary = big;
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(ei.msg, "bpg_request_summary"));

	free(s255);
	free(a256);
	free(body);
	free(big);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

START_TEST(test_tables_dropped)
{
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {
	    "c01-d1", "u", "3.5", "{}", NULL, NULL, NULL};
	json_t *row;

	ctx_open(&c, "drop");
	db = ctx_db(&c);
	insert(db, &sub);
	/* The schema is replaced under a connected, migrated handle. */
	admin_exec(&c, "DROP SCHEMA `%s`", c.schema);
	sub.submission_id = "c01-d2";
	insert(db, &sub);
	ck_assert_int_eq(column_count(&c, "application_submission"), 21);
	row = get_row(db, "c01-d2");
	json_decref(row);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

/*
 * A user without DDL rights: the migration fails clearly on an empty
 * server, and is not needed once the schema exists (a DBA migrated it).
 */
START_TEST(test_limited_user)
{
	static char pw[] = "lim-pw-7";
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {
	    "c01-lim", "u", "3.5", "{}", NULL, NULL, NULL};
	struct bpg_errinfo ei = {""};
	char user[64];
	json_t *row;

	ctx_open(&c, "lim");
	snprintf(user, sizeof(user), "bpgt_lim_%ld", (long)getpid());
	admin_exec(&c, "DROP USER IF EXISTS '%s'@'%%'", user);
	admin_exec(&c, "CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, pw);
	c.conf.user = user;
	c.conf.password = pw;
	/* No default database: the user may use none. */
	snprintf(c.url, sizeof(c.url), "jdbc:mysql://127.0.0.1:%u", c.port);

	db = ctx_db(&c);
	ck_assert_int_eq(bpg_db_connect(db, &ei), BPG_EDB);
	ck_assert_msg(
	    strstr(ei.msg, "migration (create schema") != NULL, "%s", ei.msg);
	ck_assert_msg(strstr(ei.msg, pw) == NULL, "%s", ei.msg);
	bpg_db_free(db);

	/* Migrated by a privileged user, then only DML is granted. */
	c.conf.user = test_user;
	c.conf.password = test_password;
	db = ctx_db(&c);
	ctx_connect(db);
	bpg_db_free(db);
	admin_exec(&c, "GRANT SELECT, INSERT, UPDATE ON `%s`.* TO '%s'@'%%'",
	    c.schema, user);
	c.conf.user = user;
	c.conf.password = pw;
	db = ctx_db(&c);
	ctx_connect(db);
	insert(db, &sub);
	ck_assert_int_eq(bpg_db_mark_failed(db, "c01-lim", "no", &ei), BPG_OK);
	row = get_row(db, "c01-lim");
	ck_col_str(row, "error_message", "no");
	json_decref(row);
	bpg_db_free(db);

	admin_exec(&c, "DROP USER '%s'@'%%'", user);
	ctx_close(&c);
}
END_TEST

/*
 * A URL of several hosts: the first that takes the connection is used
 * (port 1: nothing listens); if none does, the error says so.
 */
START_TEST(test_failover_hosts)
{
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {
	    "c01-fo", "u", "3.5", "{}", NULL, NULL, NULL};
	struct bpg_errinfo ei = {""};
	json_t *row;

	ctx_open(&c, "fo");
	snprintf(c.url, sizeof(c.url), "jdbc:mysql://127.0.0.1:1,"
	    "127.0.0.1:%u/bpg?connectTimeout=5000", c.port);
	db = ctx_db(&c);
	ctx_connect(db);
	insert(db, &sub);
	row = get_row(db, "c01-fo");
	ck_col_str(row, "submission_id", "c01-fo");
	json_decref(row);
	bpg_db_free(db);

	snprintf(c.url, sizeof(c.url), "jdbc:mysql://127.0.0.1:1,"
	    "127.0.0.1:2/bpg?connectTimeout=5000");
	db = ctx_db(&c);
	ck_assert_int_eq(bpg_db_connect(db, &ei), BPG_EDB);
	ck_assert_msg(strstr(ei.msg, "127.0.0.1:") != NULL &&
	    strstr(ei.msg, "nor to the URL's other hosts") != NULL, "%s",
	    ei.msg);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

/* Handles must not cross fork(); misuse is refused, not corrupting. */
START_TEST(test_fork_misuse)
{
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {
	    "c01-f1", "u", "3.5", "{}", NULL, NULL, NULL};
	unsigned long id;
	int status;
	pid_t pid;

	ctx_open(&c, "fork");
	db = ctx_db(&c);
	insert(db, &sub);
	id = bpg_db_connection_id(db);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct bpg_errinfo ei = {""};
		int bad = bpg_db_connect(db, &ei) != BPG_EINVAL ||
		    bpg_db_insert_submission(db, &sub, &ei) != BPG_EINVAL;

		bpg_db_free(db); /* must not end the parent's session */
		_exit(bad);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "child could use the parent's connection");
	sub.submission_id = "c01-f2";
	insert(db, &sub);
	/* Same session: it was neither closed nor re-established. */
	ck_assert_uint_eq(bpg_db_connection_id(db), id);
	ck_assert_int_eq(
	    admin_scalar(&c,
		"SELECT COUNT(*) FROM information_schema.PROCESSLIST "
		"WHERE ID = %lu",
		id),
	    1);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

START_TEST(test_insert_duplicate)
{
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {
	    "c01-dup", "alice", "3.1", "{\"a\":1}", "q1", "one", NULL};
	long long created;
	json_t *row;

	ctx_open(&c, "dup");
	db = ctx_db(&c);
	insert(db, &sub);
	row = get_row(db, "c01-dup");
	created = ck_col_now(row, "created_time");
	json_decref(row);

	sub.user = "bob";
	sub.spark_version = "3.5";
	sub.request_body = "{\"a\":2}";
	sub.queue = NULL;
	sub.app_name = "two";
	insert(db, &sub);
	row = get_row(db, "c01-dup");
	ck_col_str(row, "user", "bob");
	ck_col_str(row, "spark_version", "3.5");
	ck_col_str(row, "request_body", "{\"a\":2}");
	ck_col_null(row, "queue");
	ck_col_str(row, "app_name", "two");
	ck_assert_int_eq(
	    json_integer_value(json_object_get(row, "created_time")), created);
	json_decref(row);
	ck_assert_int_eq(
	    admin_scalar(
		&c, "SELECT COUNT(*) FROM %s.application_submission", c.schema),
	    1);

	/* The monitor's S2 may create the row first; S1 keeps its app_id. */
	admin_exec(&c,
	    "INSERT INTO %s.application_submission(submission_id, app_id) "
	    "VALUES ('c01-s2first', 'spark-1') ON DUPLICATE KEY UPDATE "
	    "app_id='spark-1'",
	    c.schema);
	sub.submission_id = "c01-s2first";
	insert(db, &sub);
	row = get_row(db, "c01-s2first");
	ck_col_str(row, "app_id", "spark-1");
	ck_col_str(row, "user", "bob");
	json_decref(row);

	/* The summary goes with the request, NULL included. */
	sub.request_summary = "{\"driver\":{\"cores\":1}}";
	insert(db, &sub);
	ck_assert_int_eq(admin_scalar(&c,
			     "SELECT COUNT(*) FROM %s.application_submission "
			     "WHERE submission_id = 'c01-s2first' AND "
			     "bpg_request_summary = '{\"driver\":{\"cores\":1}}'",
			     c.schema),
	    1);
	sub.request_summary = NULL;
	insert(db, &sub);
	ck_assert_int_eq(admin_scalar(&c,
			     "SELECT COUNT(*) FROM %s.application_submission "
			     "WHERE submission_id = 'c01-s2first' AND "
			     "bpg_request_summary IS NULL",
			     c.schema),
	    1);

	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

START_TEST(test_mark_failed)
{
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {
	    "c01-fail", "alice", "3.5", "{}", NULL, NULL, NULL};
	struct bpg_errinfo ei = {""};
	const char *reason = "admission webhook \"x\" denied the request: "
			     "\xe2\x80\x9cno\xe2\x80\x9d";
	char *longreason;
	long long fin;
	json_t *row;
	size_t i, n;

	ctx_open(&c, "fail");
	db = ctx_db(&c);
	insert(db, &sub);
	ck_assert_msg(bpg_db_mark_failed(db, "c01-fail", reason, &ei) == BPG_OK,
	    "%s", ei.msg);
	row = get_row(db, "c01-fail");
	ck_col_str(row, "status", "SUBMISSION_FAILED");
	ck_col_str(row, "error_message", reason);
	fin = ck_col_now(row, "finished_time");
	ck_col_str(row, "user", "alice");
	json_decref(row);

	/* A finished row is never changed again. */
	sleep(1);
	ck_assert_int_eq(
	    bpg_db_mark_failed(db, "c01-fail", "second", &ei), BPG_OK);
	row = get_row(db, "c01-fail");
	ck_col_str(row, "error_message", reason);
	ck_assert_int_eq(
	    json_integer_value(json_object_get(row, "finished_time")), fin);
	json_decref(row);

	/* A missing row is not created. */
	ck_assert_int_eq(bpg_db_mark_failed(db, "c01-none", "r", &ei), BPG_OK);
	ck_assert_int_eq(
	    bpg_db_get_submission(db, "c01-none", &row, &ei), BPG_ENOTFOUND);

	/* NULL reason. */
	sub.submission_id = "c01-noreason";
	insert(db, &sub);
	ck_assert_int_eq(
	    bpg_db_mark_failed(db, "c01-noreason", NULL, &ei), BPG_OK);
	row = get_row(db, "c01-noreason");
	ck_col_str(row, "status", "SUBMISSION_FAILED");
	ck_col_null(row, "error_message");
	json_decref(row);

	/* A long reason is cut on a character boundary. */
	n = BPG_DB_MAX_ERROR_MESSAGE + 1001;
	longreason = malloc(n + 1);
	ck_assert_ptr_nonnull(longreason);
	longreason[0] = 'x';
	for (i = 1; i + 1 < n; i += 2)
		memcpy(longreason + i, "\xc3\xa9", 2);
	longreason[i] = '\0';
	sub.submission_id = "c01-long";
	insert(db, &sub);
	ck_assert_int_eq(
	    bpg_db_mark_failed(db, "c01-long", longreason, &ei), BPG_OK);
	row = get_row(db, "c01-long"); /* not valid UTF-8 would fail here */
	n = strlen(json_string_value(json_object_get(row, "error_message")));
	ck_assert_uint_le(n, BPG_DB_MAX_ERROR_MESSAGE);
	ck_assert_uint_ge(n, BPG_DB_MAX_ERROR_MESSAGE - 1);
	ck_assert(
	    strncmp(json_string_value(json_object_get(row, "error_message")),
		longreason, n) == 0);
	json_decref(row);
	free(longreason);

	ck_assert_int_eq(bpg_db_mark_failed(db, "", "r", &ei), BPG_EINVAL);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

START_TEST(test_wrong_password)
{
	static char pw[] = "wrong-pw-Zq81";
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {
	    "c01-pw", "u", "3.5", "{}", NULL, NULL, NULL};
	struct bpg_errinfo ei = {""};

	ctx_open(&c, "pw");
	c.conf.password = pw;
	db = ctx_db(&c);
	ck_assert_int_eq(bpg_db_connect(db, &ei), BPG_EDB);
	ck_assert_msg(strstr(ei.msg, "Access denied") != NULL, "%s", ei.msg);
	ck_assert_msg(
	    strstr(ei.msg, pw) == NULL, "password leaked: %s", ei.msg);
	ck_assert_uint_eq(bpg_db_connection_id(db), 0);
	memset(&ei, 0, sizeof(ei));
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_EDB);
	ck_assert_msg(
	    strstr(ei.msg, pw) == NULL, "password leaked: %s", ei.msg);
	bpg_db_free(db);

	/* No password at all. */
	c.conf.password = NULL;
	db = ctx_db(&c);
	ck_assert_int_eq(bpg_db_connect(db, &ei), BPG_EDB);
	ck_assert_msg(strstr(ei.msg, TEST_PASSWORD) == NULL, "%s", ei.msg);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

/* KILL a connection from the admin one and wait until it is gone. */
static void
kill_connection(struct ctx *c, unsigned long id)
{
	int i;

	ck_assert_uint_ne(id, 0);
	admin_exec(c, "KILL %lu", id);
	for (i = 0; i < 100; i++) {
		if (admin_scalar(c,
			"SELECT COUNT(*) FROM information_schema.PROCESSLIST "
			"WHERE ID = %lu",
			id) == 0)
			return;
		usleep(20000);
	}
	ck_abort_msg("connection %lu still alive after KILL", id);
}

START_TEST(test_reconnect_after_kill)
{
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {
	    "c01-k1", "alice", "3.5", "{}", NULL, NULL, NULL};
	struct bpg_errinfo ei = {""};
	unsigned long id1, id2, id3;
	json_t *row;

	ctx_open(&c, "kill");
	db = ctx_db(&c);
	insert(db, &sub);
	id1 = bpg_db_connection_id(db);

	/* Insert on a killed connection. */
	kill_connection(&c, id1);
	sub.submission_id = "c01-k2";
	insert(db, &sub);
	id2 = bpg_db_connection_id(db);
	ck_assert_uint_ne(id2, 0);
	ck_assert_uint_ne(id2, id1);

	/* Read on a killed connection: statements are prepared anew. */
	kill_connection(&c, id2);
	row = get_row(db, "c01-k1");
	ck_col_str(row, "user", "alice");
	json_decref(row);
	id3 = bpg_db_connection_id(db);
	ck_assert_uint_ne(id3, id2);

	/* Update on a killed connection. */
	kill_connection(&c, id3);
	ck_assert_msg(bpg_db_mark_failed(db, "c01-k2", "gone", &ei) == BPG_OK,
	    "%s", ei.msg);
	row = get_row(db, "c01-k2");
	ck_col_str(row, "status", "SUBMISSION_FAILED");
	json_decref(row);
	ck_assert_int_eq(
	    admin_scalar(
		&c, "SELECT COUNT(*) FROM %s.application_submission", c.schema),
	    2);

	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(test_unreachable)
{
	struct bpg_dbconf conf = {NULL, test_user, test_password, NULL, NULL, 0};
	struct bpg_db_submission sub = {
	    "c01-x", "u", "3.5", "{}", NULL, NULL, NULL};
	struct bpg_errinfo ei = {""};
	struct bpg_db *db = NULL;
	char url[128], want[64];
	unsigned int port;
	double t0;
	json_t *row = NULL;

	(void)test_port(); /* the harness must provide a server anyway */
	port = tu_closed_port();
	snprintf(url, sizeof(url),
	    "jdbc:mysql://127.0.0.1:%u/bpg?connectTimeout=2000", port);
	conf.connection_string = url;
	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_OK);

	t0 = now_s();
	ck_assert_int_eq(bpg_db_connect(db, &ei), BPG_EDB);
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_EDB);
	ck_assert_int_eq(bpg_db_mark_failed(db, "c01-x", "r", &ei), BPG_EDB);
	ck_assert_int_eq(
	    bpg_db_get_submission(db, "c01-x", &row, &ei), BPG_EDB);
	ck_assert_msg(now_s() - t0 < 3.0, "took %.1f s", now_s() - t0);
	ck_assert_ptr_null(row);
	snprintf(want, sizeof(want), "127.0.0.1:%u", port);
	ck_assert_msg(strstr(ei.msg, want) != NULL, "%s", ei.msg);
	ck_assert_msg(strstr(ei.msg, TEST_PASSWORD) == NULL, "%s", ei.msg);
	bpg_db_free(db);

	/*
	 * A host that never answers: the connect timeout (1 s) bounds the
	 * wait.  TEST-NET-1 (RFC 5737) is not routed; without a route the
	 * failure is immediate, which is fine too.
	 */
	snprintf(url, sizeof(url),
	    "jdbc:mysql://192.0.2.1:3306/bpg?connectTimeout=1000");
	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_OK);
	t0 = now_s();
	ck_assert_int_eq(bpg_db_connect(db, &ei), BPG_EDB);
	ck_assert_msg(now_s() - t0 < 5.0, "took %.1f s", now_s() - t0);
	bpg_db_free(db);
}
END_TEST

/*
 * bpg_db_errors_total counts each operation that failed, once, after its
 * retry on a new connection; nothing without metrics set.
 */
START_TEST(test_errors_counted)
{
	struct bpg_dbconf conf = {NULL, test_user, test_password, NULL, NULL, 0};
	struct bpg_db_submission sub = {
	    "c01-x", "u", "3.5", "{}", NULL, NULL, NULL};
	struct bpg_errinfo ei = {""};
	struct bpg_buf b = {NULL, 0, 0};
	struct bpg_metrics *m = NULL;
	struct bpg_db *db = NULL;
	json_t *row = NULL;
	char url[128], *t;

	(void)test_port(); /* the harness must provide a server anyway */
	snprintf(url, sizeof(url),
	    "jdbc:mysql://127.0.0.1:%u/bpg?connectTimeout=2000",
	    tu_closed_port());
	conf.connection_string = url;
	ck_assert_int_eq(bpg_metrics_new_shared(&m, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_EDB);
	bpg_db_set_metrics(db, m);
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_EDB);
	ck_assert_int_eq(
	    bpg_db_get_submission(db, "c01-x", &row, &ei), BPG_EDB);
	ck_assert_int_eq(bpg_metrics_render(m, BPG_METRICS_GATEWAY, &b),
	    BPG_OK);
	t = tu_track(bpg_buf_take(&b));
	ck_assert_msg(strstr(t, "\nbpg_db_errors_total 2\n") != NULL, "%s", t);
	bpg_db_free(db);
	bpg_metrics_free(m);
}
END_TEST

START_TEST(test_url_database_missing)
{
	struct ctx c;
	struct bpg_db *db;
	struct bpg_db_submission sub = {
	    "c01-u", "u", "3.5", "{}", NULL, NULL, NULL};

	ctx_open(&c, "nodb");
	/* The URL's database is only a default; dbName holds the tables. */
	snprintf(c.url, sizeof(c.url), "jdbc:mariadb://127.0.0.1:%u/%s", c.port,
	    c.schema);
	db = ctx_db(&c);
	ctx_connect(db);
	insert(db, &sub);
	json_decref(get_row(db, "c01-u"));
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc;

	tc = tcase_create("config");
	tcase_add_loop_test(
	    tc, test_db_name, 0, (int)(sizeof(names) / sizeof(names[0])));
	tcase_add_test(tc, test_new_errors);
	tcase_add_test(tc, test_disabled);
	tcase_add_loop_test(tc, test_request_summary, 0,
	    (int)(sizeof(summaries) / sizeof(summaries[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("server");
	tcase_set_timeout(tc, TEST_CASE_TIMEOUT);
	tcase_add_test(tc, test_migrate_fresh);
	tcase_add_test(tc, test_migrate_existing);
	tcase_add_test(tc, test_migrate_concurrent);
	tcase_add_test(tc, test_insert_read);
	tcase_add_test(tc, test_history);
	tcase_add_test(tc, test_history_summary);
	tcase_add_test(tc, test_insert_sizes);
	tcase_add_test(tc, test_tables_dropped);
	tcase_add_test(tc, test_insert_duplicate);
	tcase_add_test(tc, test_limited_user);
	tcase_add_test(tc, test_failover_hosts);
	tcase_add_test(tc, test_fork_misuse);
	tcase_add_test(tc, test_mark_failed);
	tcase_add_test(tc, test_wrong_password);
	tcase_add_test(tc, test_reconnect_after_kill);
	tcase_add_test(tc, test_unreachable);
	tcase_add_test(tc, test_errors_counted);
	tcase_add_test(tc, test_url_database_missing);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc = tu_run(db_suite());

	mysql_library_end();
	return rc;
}
