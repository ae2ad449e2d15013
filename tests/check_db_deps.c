/*
 * Tests of lib/bpg_db_deps.c against the MariaDB server of
 * tests/run-unit.sh (BPG_TEST_DB_PORT): the migration creates both
 * tables; a waiting submission is recorded in one transaction (its row
 * WAITING, its links, its request) or not at all; the monitor's list
 * pages by state; the state moves are conditional, so that of the
 * monitor releasing and a DELETE cancelling exactly one wins, whichever
 * comes first; and the monitor's query reads its index at 1,000,000
 * rows (EXPLAIN).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <mysql.h>

#include "bpg_db.h"
#include "bpg_db_deps.h"
#include "testdb.h"
#include "testutil.h"

#define A "c01-00000000000000000000000000000001"
#define B "c01-00000000000000000000000000000002"
#define W1 "c01-0000000000000000000000000000000a"
#define W2 "c01-0000000000000000000000000000000b"
#define REQ "{\"queueToken\":\"s3cret\",\"dependsOn\":[\"" A "\"]}"

static struct tu_db c;

static void
setup(void)
{
	tu_db_open(&c, "deps");
}

static void
teardown(void)
{
	tu_db_close(&c);
}

static enum bpg_err
record(const char *id, const char *const *deps, size_t n,
    struct bpg_errinfo *ei)
{
	struct bpg_db_submission row;
	struct bpg_db_waiting w;
	char req[] = REQ;

	memset(&row, 0, sizeof(row));
	row.submission_id = id;
	row.user = "alice";
	row.spark_version = "3.5.0";
	row.request_body = "{\"queueToken\":\"***\"}";
	row.queue = "poc";
	row.app_name = "chain";
	row.request_summary = "{}";
	memset(&w, 0, sizeof(w));
	snprintf(w.owner, sizeof(w.owner), "alice");
	snprintf(w.policy, sizeof(w.policy), "allSucceeded");
	w.format = 0;
	w.request = req;
	return bpg_db_deps_record(c.db, &row, &w, deps, n, ei);
}

START_TEST(test_record)
{
	const char *deps[] = { A, B };
	const char *twice[] = { A, A };
	char links[4][BPG_DB_DEPS_MAX_ID + 1];
	struct bpg_db_waiting w, rows[4];
	struct bpg_errinfo ei = { "" };
	bool found = false;
	size_t n = 9;

	ck_assert_msg(record(W1, deps, 2, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_str_eq(tu_db_str(&c, "SELECT status FROM `%s`."
	    "application_submission WHERE submission_id = '%s'", c.schema,
	    W1), "WAITING");
	ck_assert_str_eq(tu_db_str(&c, "SELECT finished_time IS NULL FROM `%s`."
	    "application_submission WHERE submission_id = '%s'", c.schema,
	    W1), "1");
	ck_assert_int_eq(record(W1, deps, 2, &ei), BPG_EEXIST);
	/* A failing part writes nothing of it. */
	ck_assert_int_ne(record(W2, twice, 2, &ei), BPG_OK);
	ck_assert_str_eq(tu_db_str(&c, "SELECT COUNT(*) FROM `%s`."
	    "application_submission WHERE submission_id = '%s'", c.schema,
	    W2), "0");
	ck_assert_str_eq(tu_db_str(&c, "SELECT COUNT(*) FROM `%s`.bpg_dependency "
	    "WHERE submission_id = '%s'", c.schema, W2), "0");
	/* Read back. */
	ck_assert_int_eq(bpg_db_deps_get(c.db, W1, &w, &found, &ei), BPG_OK);
	ck_assert(found);
	ck_assert_str_eq(w.owner, "alice");
	ck_assert_str_eq(w.policy, "allSucceeded");
	ck_assert_str_eq(w.state, BPG_DB_DEPS_WAITING);
	ck_assert_str_eq(w.request, REQ);
	bpg_db_waiting_reset(&w);
	ck_assert_int_eq(bpg_db_deps_get(c.db, W2, &w, &found, &ei), BPG_OK);
	ck_assert(!found);
	ck_assert_int_eq(bpg_db_deps_links(c.db, W1, links, 4, &n, &ei),
	    BPG_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(links[0], A);
	ck_assert_str_eq(links[1], B);
	/* The monitor's list, from a cursor. */
	ck_assert_int_eq(record(W2, deps, 1, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_deps_list(c.db, BPG_DB_DEPS_WAITING, "", rows,
	    1, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].submission_id, W1);
	ck_assert_ptr_null(rows[0].request);
	ck_assert_int_eq(bpg_db_deps_list(c.db, BPG_DB_DEPS_WAITING, W1, rows,
	    4, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].submission_id, W2);
	ck_assert_int_eq(bpg_db_deps_list(c.db, BPG_DB_DEPS_RELEASING, "",
	    rows, 4, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
}
END_TEST

/*
 * The monitor releasing and a DELETE cancelling the same submission:
 * whichever moves it from waiting first wins, and the other changes
 * nothing, in both orders.
 */
START_TEST(test_race)
{
	const char *deps[] = { A };
	struct bpg_errinfo ei = { "" };
	bool changed = false;

	ck_assert_int_eq(record(W1, deps, 1, &ei), BPG_OK);
	ck_assert_int_eq(record(W2, deps, 1, &ei), BPG_OK);
	/* W1: the release first. */
	ck_assert_int_eq(bpg_db_deps_move(c.db, W1, BPG_DB_DEPS_WAITING,
	    BPG_DB_DEPS_RELEASING, &changed, &ei), BPG_OK);
	ck_assert(changed);
	ck_assert_int_eq(bpg_db_deps_end(c.db, W1, BPG_DB_DEPS_CANCELLED,
	    "CANCELLED", NULL, &changed, &ei), BPG_OK);
	ck_assert(!changed);
	ck_assert_str_eq(tu_db_str(&c, "SELECT status FROM `%s`."
	    "application_submission WHERE submission_id = '%s'", c.schema,
	    W1), "WAITING");
	ck_assert_int_eq(bpg_db_deps_move(c.db, W1, BPG_DB_DEPS_RELEASING,
	    BPG_DB_DEPS_RELEASED, &changed, &ei), BPG_OK);
	ck_assert(changed);
	/* Released: the request (with its token) is gone. */
	ck_assert_str_eq(tu_db_str(&c, "SELECT request IS NULL FROM `%s`."
	    "bpg_waiting WHERE submission_id = '%s'", c.schema, W1), "1");
	/* W2: the cancel first. */
	ck_assert_int_eq(bpg_db_deps_end(c.db, W2, BPG_DB_DEPS_CANCELLED,
	    "CANCELLED", "Cancelled by alice", &changed, &ei), BPG_OK);
	ck_assert(changed);
	ck_assert_int_eq(bpg_db_deps_move(c.db, W2, BPG_DB_DEPS_WAITING,
	    BPG_DB_DEPS_RELEASING, &changed, &ei), BPG_OK);
	ck_assert(!changed);
	ck_assert_int_eq(bpg_db_deps_end(c.db, W2, BPG_DB_DEPS_FAILED,
	    "DEPENDENCY_FAILED", "x", &changed, &ei), BPG_OK);
	ck_assert(!changed);
	ck_assert_str_eq(tu_db_str(&c, "SELECT CONCAT(status, ' ', error_message, "
	    "' ', finished_time IS NOT NULL) FROM `%s`.application_submission "
	    "WHERE submission_id = '%s'", c.schema, W2),
	    "CANCELLED Cancelled by alice 1");
	ck_assert_str_eq(tu_db_str(&c, "SELECT CONCAT(state, ' ', request IS NULL) "
	    "FROM `%s`.bpg_waiting WHERE submission_id = '%s'", c.schema, W2),
	    "cancelled 1");
	/* Bad states are refused before any SQL. */
	ck_assert_int_eq(bpg_db_deps_move(c.db, W2, "nope",
	    BPG_DB_DEPS_RELEASING, &changed, &ei), BPG_EINVAL);
	ck_assert_int_eq(bpg_db_deps_end(c.db, W2, BPG_DB_DEPS_RELEASED,
	    "X", NULL, &changed, &ei), BPG_EINVAL);
}
END_TEST

/* The first from in buf[size] replaced by to. */
static void
subst(char *buf, size_t size, const char *from, const char *to)
{
	char rest[1024], *p;

	ck_assert_ptr_nonnull(p = strstr(buf, from));
	snprintf(rest, sizeof(rest), "%s", p + strlen(from));
	snprintf(p, size - (size_t)(p - buf), "%s%s", to, rest);
}

/* The key EXPLAIN names for the monitor's query, at 1,000,000 rows. */
START_TEST(test_list_index)
{
	const char *deps[] = { A };
	struct bpg_errinfo ei = { "" };
	const char *tmpl;
	char sql[1024];

	ck_assert_int_eq(record(W1, deps, 1, &ei), BPG_OK);
	/* Most rows are long done; a few wait. */
	tu_db_exec(&c, "INSERT INTO `%s`.bpg_waiting (submission_id, owner, "
	    "policy, state) SELECT CONCAT('c02-', LPAD(HEX(seq), 32, '0')), "
	    "'bob', 'allSucceeded', IF(seq %% 100000 = 0, 'waiting', "
	    "'released') FROM `%s`.seq_1_to_1000000", c.schema, c.schema);
	tu_db_exec(&c, "ANALYZE TABLE `%s`.bpg_waiting", c.schema);
	mysql_free_result(mysql_store_result(c.admin));
	/* The statement as the module runs it, with values in. */
	ck_assert_ptr_nonnull(tmpl = bpg_db_deps_list_sql(c.db));
	snprintf(sql, sizeof(sql), "%s", tmpl);
	subst(sql, sizeof(sql), "state = ?", "state = 'waiting'");
	subst(sql, sizeof(sql), "> ?", "> ''");
	subst(sql, sizeof(sql), "LIMIT ?", "LIMIT 64");
	ck_assert_str_eq(tu_db_explain_key(&c, "%s", sql),
	    "bpg_waiting_state");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("db_deps");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_record);
	tcase_add_test(tc, test_race);
	tcase_add_test(tc, test_list_index);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
