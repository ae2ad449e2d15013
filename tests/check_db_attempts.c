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
#include "testdb.h"
#include "testutil.h"

#define OLD "c01-0123456789abcdef0123456789abcdef"
#define NEW "c02-00000000000000000000000000000001"
#define OTHER "c02-00000000000000000000000000000002"

static struct tu_db c;

static void
setup(void)
{
	tu_db_open(&c, "att");
}

static void
teardown(void)
{
	tu_db_close(&c);
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
	ck_assert_str_eq(tu_db_str(&c, "SELECT COUNT(*) FROM `%s`."
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
	ck_assert_str_eq(tu_db_str(&c, "SELECT message FROM `%s`."
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
	ck_assert_str_eq(tu_db_str(&c, "SELECT COUNT(*) FROM information_schema."
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
	ck_assert_str_eq(tu_db_str(&c, "SELECT status FROM `%s`."
	    "application_submission WHERE submission_id = '%s'", c.schema,
	    OLD), "SUBMISSION_FAILED");
	ck_assert_str_eq(tu_db_str(&c, "SELECT error_message FROM `%s`."
	    "application_submission WHERE submission_id = '%s'", c.schema,
	    OLD), "moved to " NEW);
	/* The finish time stays the first one recorded. */
	ck_assert_str_eq(tu_db_str(&c, "SELECT UNIX_TIMESTAMP(finished_time) "
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
