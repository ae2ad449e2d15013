/*
 * Tests for lib/bpg_db_rerun.c, the retry policy of the statement helper,
 * and for db_with_retry() (lib/bpg_db_stmt.c) following it: a table of
 * error numbers, then operations that fail as a Galera node would (1213
 * after a certification failure, 1047 from a node not ready), run against
 * the MariaDB server of tests/run-unit.sh (BPG_TEST_DB_PORT).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "bpg_db.h"
#include "bpg_db_int.h"
#include "bpg_db_rerun.h"
#include "bpg_metrics.h"
#include "testutil.h"

#define TEST_CASE_TIMEOUT 120

static char test_user[] = "bpg";
static char test_password[] = "bpg-test-pw";

/*
 * Classification
 */

static const struct {
	unsigned int code;
	enum db_rerun want;
} classes[] = {
    /* Galera: certification failure, brute-force abort; InnoDB deadlock. */
    {ER_LOCK_DEADLOCK, DB_RERUN_ROLLBACK},
    {1213, DB_RERUN_ROLLBACK},
    /* Galera: "WSREP has not yet prepared node for application use". */
    {ER_UNKNOWN_COM_ERROR, DB_RERUN_NOT_READY},
    {1047, DB_RERUN_NOT_READY},
    /* Galera: a commit not replicated, out of the primary component. */
    {ER_ERROR_DURING_COMMIT, DB_RERUN_NOT_READY},
    {1180, DB_RERUN_NOT_READY},
    {CR_SERVER_GONE_ERROR, DB_RERUN_LOST},
    {CR_SERVER_LOST, DB_RERUN_LOST},
    {CR_CONNECTION_ERROR, DB_RERUN_LOST},
    {ER_CONNECTION_KILLED, DB_RERUN_LOST},
    {ER_SERVER_SHUTDOWN, DB_RERUN_LOST},
    {ER_NEED_REPREPARE, DB_RERUN_LOST},
    {4031, DB_RERUN_LOST},
    /* Answers: the same again if rerun. */
    {0, DB_RERUN_NONE},
    {ER_DUP_ENTRY, DB_RERUN_NONE},
    {ER_NO_SUCH_TABLE, DB_RERUN_NONE},
    {ER_PARSE_ERROR, DB_RERUN_NONE},
    {ER_DATA_TOO_LONG, DB_RERUN_NONE},
    {ER_ACCESS_DENIED_ERROR, DB_RERUN_NONE},
    {ER_LOCK_WAIT_TIMEOUT, DB_RERUN_NONE},
};

START_TEST(test_class)
{
	ck_assert_msg(db_rerun_class(classes[_i].code) == classes[_i].want,
	    "error %u: class %d, want %d", classes[_i].code,
	    (int)db_rerun_class(classes[_i].code), (int)classes[_i].want);
}
END_TEST

START_TEST(test_bounds)
{
	unsigned int r, total = 0;

	ck_assert_uint_eq(db_rerun_tries(DB_RERUN_NONE), 1);
	ck_assert_uint_eq(db_rerun_tries(DB_RERUN_LOST), 2);
	ck_assert_uint_ge(db_rerun_tries(DB_RERUN_ROLLBACK), 3);
	ck_assert_uint_le(db_rerun_tries(DB_RERUN_ROLLBACK), 10);
	ck_assert_uint_ge(db_rerun_tries(DB_RERUN_NOT_READY), 2);
	ck_assert_uint_le(db_rerun_tries(DB_RERUN_NOT_READY), 10);
	/* Pauses grow, and an unready node costs a request at most 3 s. */
	for (r = 1; r < db_rerun_tries(DB_RERUN_ROLLBACK); r++)
		ck_assert_uint_lt(db_rerun_pause_ms(DB_RERUN_ROLLBACK, r),
		    db_rerun_pause_ms(DB_RERUN_ROLLBACK, r + 1));
	for (r = 1; r < db_rerun_tries(DB_RERUN_NOT_READY); r++) {
		ck_assert_uint_lt(db_rerun_pause_ms(DB_RERUN_NOT_READY, r),
		    db_rerun_pause_ms(DB_RERUN_NOT_READY, r + 1));
		total += db_rerun_pause_ms(DB_RERUN_NOT_READY, r);
	}
	ck_assert_uint_gt(total, 0);
	ck_assert_uint_le(total, 3000);
	ck_assert_uint_eq(db_rerun_pause_ms(DB_RERUN_NONE, 1), 0);
	ck_assert_uint_le(db_rerun_pause_ms(DB_RERUN_ROLLBACK, 100), 1024);
}
END_TEST

/*
 * db_with_retry() against a server
 */

struct fake {
	unsigned int code;	/* error each failing run reports */
	unsigned int fail;	/* runs that fail before one succeeds */
	unsigned int runs;
	unsigned long conn[16];	/* connection id of each run */
};

static enum bpg_err
op_fake(struct bpg_db *db, const void *in, void *out, struct bpg_errinfo *ei)
{
	struct fake *f = out;

	(void)in;
	if (f->runs < 16)
		f->conn[f->runs] = bpg_db_connection_id(db);
	if (f->runs++ < f->fail) {
		db->last_errno = f->code;
		db->lost = db_rerun_class(f->code) == DB_RERUN_LOST;
		return bpg_errf(ei, BPG_EDB, "database: fake error %u",
		    f->code);
	}
	return BPG_OK;
}

static struct bpg_db *
open_db(void)
{
	static char url[128];
	static char schema[64];
	struct bpg_dbconf conf;
	struct bpg_errinfo ei = {""};
	struct bpg_db *db = NULL;

	memset(&conf, 0, sizeof(conf));
	snprintf(url, sizeof(url),
	    "jdbc:mysql://127.0.0.1:%u/bpg?connectTimeout=5000",
	    tu_env_port("BPG_TEST_DB_PORT", "mariadb.sh"));
	snprintf(schema, sizeof(schema), "bpgt_rerun_%ld", (long)getpid());
	conf.connection_string = url;
	conf.user = test_user;
	conf.password = test_password;
	conf.db_name = schema;
	ck_assert_msg(bpg_db_new(&conf, &db, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_msg(bpg_db_connect(db, &ei) == BPG_OK, "%s", ei.msg);
	return db;
}

static enum bpg_err
run(struct bpg_db *db, struct fake *f)
{
	struct bpg_errinfo ei = {""};

	return db_with_retry(db, op_fake, NULL, f, &ei);
}

/*
 * A certification failure rolled back: run again on the same connection,
 * counted in bpg_db_retries_total.
 */
START_TEST(test_rollback_retried)
{
	struct bpg_db *db = open_db();
	struct fake f = {ER_LOCK_DEADLOCK, 3, 0, {0}};
	struct fake g = {1047, 1, 0, {0}};
	struct bpg_errinfo ei = {""};
	struct bpg_buf b = {NULL, 0, 0};
	struct bpg_metrics *m = NULL;
	unsigned int i;
	char *t;

	ck_assert_int_eq(bpg_metrics_new_shared(&m, &ei), BPG_OK);
	bpg_db_set_metrics(db, m);
	ck_assert_int_eq(run(db, &f), BPG_OK);
	ck_assert_uint_eq(f.runs, 4);
	for (i = 1; i < f.runs; i++)
		ck_assert_uint_eq(f.conn[i], f.conn[0]);
	ck_assert_int_eq(run(db, &g), BPG_OK);
	ck_assert_int_eq(bpg_metrics_render(m, BPG_METRICS_GATEWAY, &b),
	    BPG_OK);
	t = tu_track(bpg_buf_take(&b));
	ck_assert_msg(strstr(t, "\nbpg_db_retries_total{reason=\"rollback\"} 3\n")
	    != NULL, "%s", t);
	ck_assert_msg(strstr(t, "\nbpg_db_retries_total{reason=\"not_ready\"} 1\n")
	    != NULL, "%s", t);
	ck_assert_msg(strstr(t, "\nbpg_db_errors_total 0\n") != NULL ||
	    strstr(t, "bpg_db_errors_total ") == NULL, "%s", t);
	bpg_db_free(db);
	bpg_metrics_free(m);
}
END_TEST

/* ...a bounded number of times, then the error (503 at the edge). */
START_TEST(test_rollback_bounded)
{
	struct bpg_db *db = open_db();
	struct fake f = {ER_LOCK_DEADLOCK, 1000, 0, {0}};

	ck_assert_int_eq(run(db, &f), BPG_EDB);
	ck_assert_uint_eq(f.runs, db_rerun_tries(DB_RERUN_ROLLBACK));
	bpg_db_free(db);
}
END_TEST

/* A node not ready: again on a new connection, bounded. */
START_TEST(test_not_ready_retried)
{
	struct bpg_db *db = open_db();
	struct fake f = {1047, 2, 0, {0}};

	ck_assert_int_eq(run(db, &f), BPG_OK);
	ck_assert_uint_eq(f.runs, 3);
	ck_assert_uint_ne(f.conn[1], f.conn[0]);
	ck_assert_uint_ne(f.conn[2], f.conn[1]);
	f.fail = 1000;
	f.runs = 0;
	ck_assert_int_eq(run(db, &f), BPG_EDB);
	ck_assert_uint_eq(f.runs, db_rerun_tries(DB_RERUN_NOT_READY));
	bpg_db_free(db);
}
END_TEST

/* Answers and lost connections keep their old treatment. */
START_TEST(test_others)
{
	struct bpg_db *db = open_db();
	struct fake dup = {ER_DUP_ENTRY, 1000, 0, {0}};
	struct fake lost = {CR_SERVER_LOST, 1, 0, {0}};
	struct fake lost2 = {CR_SERVER_LOST, 1000, 0, {0}};

	ck_assert_int_eq(run(db, &dup), BPG_EDB);
	ck_assert_uint_eq(dup.runs, 1);
	ck_assert_int_eq(run(db, &lost), BPG_OK);
	ck_assert_uint_eq(lost.runs, 2);
	ck_assert_uint_ne(lost.conn[1], lost.conn[0]);
	ck_assert_int_eq(run(db, &lost2), BPG_EDB);
	ck_assert_uint_eq(lost2.runs, 2);
	bpg_db_free(db);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("db_rerun");
	TCase *tc = tcase_create("class");

	tcase_add_loop_test(
	    tc, test_class, 0, (int)(sizeof(classes) / sizeof(classes[0])));
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	tc = tcase_create("server");
	tcase_set_timeout(tc, TEST_CASE_TIMEOUT);
	tcase_add_test(tc, test_rollback_retried);
	tcase_add_test(tc, test_rollback_bounded);
	tcase_add_test(tc, test_not_ready_retried);
	tcase_add_test(tc, test_others);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
