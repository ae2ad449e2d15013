/*
 * Tests of lib/bpg_db_attempts.c against the MariaDB server of
 * tests/run-unit.sh (BPG_TEST_DB_PORT): the migration creates the table,
 * one writer of two wins attempt n, a lost answer's insert sent again is
 * fine, states move only from the one named, the kept CR is wiped when a
 * move ends, a replaced row becomes SUBMISSION_FAILED over LOST, and the
 * monitor's query of moves under way has its index on state.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <mysql.h>

#include "bpg_db.h"
#include "bpg_db_attempts.h"
#include "testutil.h"

#define TEST_USER "bpg"
#define TEST_PASSWORD "bpg-test-pw"

static char test_user[] = TEST_USER;
static char test_password[] = TEST_PASSWORD;

#define OLD "c01-0123456789abcdef0123456789abcdef"
#define NEW "c02-00000000000000000000000000000001"
#define OTHER "c02-00000000000000000000000000000002"

struct ctx {
	char schema[64];
	char url[160];
	struct bpg_dbconf conf;
	MYSQL *admin;
	struct bpg_db *db;
};

static struct ctx c;

static void
admin_exec(const char *fmt, ...)
{
	char sql[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (mysql_query(c.admin, sql) != 0)
		ck_abort_msg("%s: %s", sql, mysql_error(c.admin));
}

/* The first column of the first row, "" for none or NULL. */
static const char *
admin_str(const char *fmt, ...)
{
	static char out[4096];
	char sql[2048];
	MYSQL_RES *res;
	MYSQL_ROW row;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (mysql_query(c.admin, sql) != 0 ||
	    (res = mysql_store_result(c.admin)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(c.admin));
	out[0] = '\0';
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		snprintf(out, sizeof(out), "%s", row[0]);
	mysql_free_result(res);
	return out;
}

static void
setup(void)
{
	unsigned int port = tu_env_port("BPG_TEST_DB_PORT", "mariadb.sh");
	unsigned int proto = MYSQL_PROTOCOL_TCP;
	struct bpg_errinfo ei = { "" };

	memset(&c, 0, sizeof(c));
	snprintf(c.schema, sizeof(c.schema), "bpgt_att_%ld", (long)getpid());
	snprintf(c.url, sizeof(c.url), "jdbc:mysql://127.0.0.1:%u/bpg", port);
	c.conf.connection_string = c.url;
	c.conf.user = test_user;
	c.conf.password = test_password;
	c.conf.db_name = c.schema;
	ck_assert_ptr_nonnull(c.admin = mysql_init(NULL));
	mysql_options(c.admin, MYSQL_OPT_PROTOCOL, &proto);
	if (mysql_real_connect(c.admin, "127.0.0.1", TEST_USER, TEST_PASSWORD,
	    NULL, port, NULL, 0) == NULL)
		ck_abort_msg("cannot connect: %s", mysql_error(c.admin));
	admin_exec("DROP SCHEMA IF EXISTS `%s`", c.schema);
	ck_assert_msg(bpg_db_new(&c.conf, &c.db, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_msg(bpg_db_connect(c.db, &ei) == BPG_OK, "%s", ei.msg);
}

static void
teardown(void)
{
	bpg_db_free(c.db);
	admin_exec("DROP SCHEMA IF EXISTS `%s`", c.schema);
	mysql_close(c.admin);
}

static struct bpg_db_attempt
attempt(const char *job, int n, const char *id, const char *prev)
{
	struct bpg_db_attempt a;

	memset(&a, 0, sizeof(a));
	snprintf(a.job_id, sizeof(a.job_id), "%s", job);
	a.attempt = n;
	snprintf(a.submission_id, sizeof(a.submission_id), "%s", id);
	snprintf(a.previous_submission_id, sizeof(a.previous_submission_id),
	    "%s", prev);
	snprintf(a.previous_uid, sizeof(a.previous_uid), "uid-1");
	snprintf(a.cluster, sizeof(a.cluster), "c02");
	snprintf(a.cause, sizeof(a.cause), BPG_DB_ATTEMPT_MOVED);
	snprintf(a.state, sizeof(a.state), BPG_DB_ATTEMPT_PENDING);
	return a;
}

START_TEST(test_insert_once)
{
	struct bpg_db_attempt a = attempt(OLD, 2, NEW, OLD), b, got;
	struct bpg_errinfo ei = { "" };
	bool found = false;
	char *cr = NULL;

	ck_assert_msg(bpg_db_attempt_insert(c.db, &a, "{\"cr\":1}", &ei) ==
	    BPG_OK, "%s", ei.msg);
	/* The same row again (an answer lost, the insert resent): fine. */
	ck_assert_int_eq(bpg_db_attempt_insert(c.db, &a, "{\"cr\":1}", &ei),
	    BPG_OK);
	/* Another monitor's attempt 2, or another successor of OLD: no. */
	b = attempt(OLD, 2, OTHER, OLD);
	ck_assert_int_eq(bpg_db_attempt_insert(c.db, &b, NULL, &ei),
	    BPG_EEXIST);
	b = attempt(OLD, 3, OTHER, OLD);
	ck_assert_int_eq(bpg_db_attempt_insert(c.db, &b, NULL, &ei),
	    BPG_EEXIST);
	ck_assert_str_eq(admin_str("SELECT COUNT(*) FROM `%s`."
	    "submission_attempt", c.schema), "1");
	/* Read back by its ID and by its predecessor. */
	ck_assert_int_eq(bpg_db_attempt_by_id(c.db, NEW, &got, &found, &ei),
	    BPG_OK);
	ck_assert(found);
	ck_assert_str_eq(got.job_id, OLD);
	ck_assert_int_eq(got.attempt, 2);
	ck_assert_str_eq(got.previous_uid, "uid-1");
	ck_assert_str_eq(got.state, BPG_DB_ATTEMPT_PENDING);
	ck_assert_int_eq(bpg_db_attempt_next(c.db, OLD, &got, &found, &ei),
	    BPG_OK);
	ck_assert(found);
	ck_assert_str_eq(got.submission_id, NEW);
	ck_assert_int_eq(bpg_db_attempt_next(c.db, NEW, &got, &found, &ei),
	    BPG_OK);
	ck_assert(!found);
	ck_assert_int_eq(bpg_db_attempt_cr(c.db, NEW, &cr, &ei), BPG_OK);
	ck_assert_str_eq(cr, "{\"cr\":1}");
	free(cr);
	/* Attempt 1 is the job itself: never a row. */
	b = attempt(OLD, 1, OTHER, OLD);
	ck_assert_int_eq(bpg_db_attempt_insert(c.db, &b, NULL, &ei),
	    BPG_EINVAL);
}
END_TEST

START_TEST(test_states)
{
	struct bpg_db_attempt a = attempt(OLD, 2, NEW, OLD), open[4];
	struct bpg_errinfo ei = { "" };
	bool changed = true;
	char *cr = NULL;
	size_t n = 0;

	ck_assert_int_eq(bpg_db_attempt_insert(c.db, &a, "{}", &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_attempt_open(c.db, open, 4, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	/* Only from the state named. */
	ck_assert_int_eq(bpg_db_attempt_set_state(c.db, NEW,
	    BPG_DB_ATTEMPT_DELETING, BPG_DB_ATTEMPT_DELETED, NULL, &changed,
	    &ei), BPG_OK);
	ck_assert(!changed);
	ck_assert_int_eq(bpg_db_attempt_set_state(c.db, NEW,
	    BPG_DB_ATTEMPT_PENDING, BPG_DB_ATTEMPT_DELETING, NULL, &changed,
	    &ei), BPG_OK);
	ck_assert(changed);
	ck_assert_int_eq(bpg_db_attempt_set_state(c.db, NEW,
	    BPG_DB_ATTEMPT_DELETING, BPG_DB_ATTEMPT_DELETED, NULL, &changed,
	    &ei), BPG_OK);
	ck_assert(changed);
	/* Still under way: the CR is kept. */
	ck_assert_int_eq(bpg_db_attempt_cr(c.db, NEW, &cr, &ei), BPG_OK);
	ck_assert_str_eq(cr, "{}");
	free(cr);
	ck_assert_int_eq(bpg_db_attempt_set_state(c.db, NEW,
	    BPG_DB_ATTEMPT_DELETED, BPG_DB_ATTEMPT_DONE, "ok", &changed, &ei),
	    BPG_OK);
	ck_assert(changed);
	ck_assert_int_eq(bpg_db_attempt_cr(c.db, NEW, &cr, &ei), BPG_OK);
	ck_assert_ptr_null(cr);
	ck_assert_int_eq(bpg_db_attempt_open(c.db, open, 4, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(admin_str("SELECT message FROM `%s`."
	    "submission_attempt", c.schema), "ok");
}
END_TEST

START_TEST(test_job_and_index)
{
	struct bpg_db_attempt a = attempt(OLD, 2, NEW, OLD), rows[4];
	struct bpg_db_attempt b = attempt(OLD, 3, OTHER, NEW);
	struct bpg_errinfo ei = { "" };
	size_t n = 0;

	ck_assert_int_eq(bpg_db_attempt_insert(c.db, &b, NULL, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_attempt_insert(c.db, &a, NULL, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_attempt_job(c.db, OLD, rows, 4, &n, &ei),
	    BPG_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(rows[0].attempt, 2);
	ck_assert_int_eq(rows[1].attempt, 3);
	ck_assert_str_eq(rows[1].previous_submission_id, NEW);
	/* At most max rows. */
	ck_assert_int_eq(bpg_db_attempt_job(c.db, OLD, rows, 1, &n, &ei),
	    BPG_OK);
	ck_assert_uint_eq(n, 1);
	/* The monitor's query of moves under way has its index. */
	ck_assert_str_eq(admin_str("SELECT COUNT(*) FROM information_schema."
	    "STATISTICS WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = "
	    "'submission_attempt' AND INDEX_NAME = 'bpg_attempt_state'",
	    c.schema), "2");
}
END_TEST

START_TEST(test_mark_replaced)
{
	struct bpg_db_submission sub;
	struct bpg_errinfo ei = { "" };

	memset(&sub, 0, sizeof(sub));
	sub.submission_id = OLD;
	sub.user = "alice";
	ck_assert_int_eq(bpg_db_insert_submission(c.db, &sub, &ei), BPG_OK);
	/* The monitor saw the deleted CR first and recorded LOST. */
	ck_assert_int_eq(bpg_db_monitor_finish(c.db, OLD, "LOST",
	    1700000000000LL, NULL, NULL, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_attempt_mark_replaced(c.db, OLD,
	    "moved to " NEW, &ei), BPG_OK);
	ck_assert_str_eq(admin_str("SELECT status FROM `%s`."
	    "application_submission WHERE submission_id = '%s'", c.schema,
	    OLD), "SUBMISSION_FAILED");
	ck_assert_str_eq(admin_str("SELECT error_message FROM `%s`."
	    "application_submission WHERE submission_id = '%s'", c.schema,
	    OLD), "moved to " NEW);
	/* The finish time stays the first one recorded. */
	ck_assert_str_eq(admin_str("SELECT UNIX_TIMESTAMP(finished_time) "
	    "FROM `%s`.application_submission", c.schema), "1700000000");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("db_attempts");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_insert_once);
	tcase_add_test(tc, test_states);
	tcase_add_test(tc, test_job_and_index);
	tcase_add_test(tc, test_mark_replaced);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
