/*
 * Tests for lib/bpg_db_retry.c against the MariaDB of tests/run-unit.sh
 * (BPG_TEST_DB_PORT): the migration creates bpg_retry_job; a job is
 * written with its policy and request and read back; an ID tells its job
 * and attempt number; an ended last attempt is found, planned once and
 * due only from its time; of two writers of one attempt exactly one wins
 * (also as two processes at once), a repeat of the winner's call is
 * answered as done, and the winner's pending row is what a resumed
 * leader reads; a cancel stops every later attempt, and racing a cancel
 * an attempt is either made before (and visible after the cancel) or not
 * at all; the monitor's queries read their index (EXPLAIN).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <mysql.h>

#include "bpg_db.h"
#include "bpg_db_attempts.h"
#include "bpg_db_retry.h"
#include "testdb.h"
#include "testutil.h"

#define JOB "c01-00000000000000000000000000000001"
#define A2 "c01-00000000000000000000000000000002"
#define A2B "c02-00000000000000000000000000000002"
#define REQ "{\"sparkVersion\":\"3.5.0\",\"queueToken\":\"secret\"}"

static struct tu_db c;

/* Another handle on the schema, as another process would have. */
static struct bpg_db *
new_db(void)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db *db;

	ck_assert_msg(bpg_db_new(&c.conf, &db, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_msg(bpg_db_connect(db, &ei) == BPG_OK, "%s", ei.msg);
	return db;
}

static void
setup(void)
{
	tu_db_open(&c, "rty");
}

static void
teardown(void)
{
	tu_db_close(&c);
}

static struct bpg_retry_policy
policy(int max)
{
	struct bpg_retry_policy p = { max, 30, 2.0, BPG_RETRY_ON_DEFAULT,
	    true };

	return p;
}

static void
add_job(const char *id)
{
	struct bpg_retry_policy p = policy(3);
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_db_retry_insert(c.db, id, "alice", REQ, &p, &ei) ==
	    BPG_OK, "%s", ei.msg);
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
	snprintf(a.cluster, sizeof(a.cluster), "%.3s", id);
	return a;
}

START_TEST(test_job)
{
	struct bpg_retry_policy p = { 5, 7, 1.5, BPG_RETRY_ON_LOST, true };
	struct bpg_db_retry_job j;
	struct bpg_errinfo ei = { "" };
	char job[BPG_DB_RETRY_MAX_ID + 1];
	bool found = false, has = false;
	int n = 0;

	ck_assert_msg(bpg_db_retry_insert(c.db, JOB, "alice", REQ, &p, &ei) ==
	    BPG_OK, "%s", ei.msg);
	/* Sent again after a lost answer: the same job. */
	ck_assert_int_eq(bpg_db_retry_insert(c.db, JOB, "alice", REQ, &p,
	    &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_retry_insert(c.db, JOB, "bob", REQ, &p, &ei),
	    BPG_EEXIST);
	ck_assert_int_eq(bpg_db_retry_get(c.db, JOB, true, &j, &found, &ei),
	    BPG_OK);
	ck_assert(found);
	ck_assert_str_eq(j.owner, "alice");
	ck_assert_str_eq(j.request, REQ);
	ck_assert_int_eq(j.policy.max_attempts, 5);
	ck_assert_int_eq(j.policy.backoff_s, 7);
	ck_assert(j.policy.multiplier == 1.5);
	ck_assert_uint_eq(j.policy.on_states, BPG_RETRY_ON_LOST);
	ck_assert(j.policy.any_cluster);
	ck_assert_int_eq(j.last_attempt, 1);
	ck_assert_str_eq(j.last_id, JOB);
	ck_assert_int_eq(j.retry_at, -1);
	ck_assert(j.active && !j.cancelled);
	bpg_db_retry_job_reset(&j);
	ck_assert_int_eq(bpg_db_retry_get(c.db, A2, false, &j, &found, &ei),
	    BPG_OK);
	ck_assert(!found);
	/* The handle is attempt 1 of its job. */
	ck_assert_int_eq(bpg_db_retry_job_of(c.db, JOB, job, &n, &has, &found,
	    &ei), BPG_OK);
	ck_assert(found && has);
	ck_assert_str_eq(job, JOB);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(bpg_db_retry_job_of(c.db, A2, job, &n, &has, &found,
	    &ei), BPG_OK);
	ck_assert(!found && !has);
	/* Removed while it has only its first attempt. */
	ck_assert_int_eq(bpg_db_retry_forget(c.db, JOB, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_retry_get(c.db, JOB, false, &j, &found, &ei),
	    BPG_OK);
	ck_assert(!found);
}
END_TEST

START_TEST(test_ended_plan_due)
{
	struct bpg_db_retry_ended e[BPG_DB_RETRY_BATCH];
	char due[4][BPG_DB_RETRY_MAX_ID + 1];
	struct bpg_errinfo ei = { "" };
	bool changed = false;
	size_t n = 9;

	add_job(JOB);
	/* No row yet, then a running one: not ended. */
	ck_assert_int_eq(bpg_db_retry_ended(c.db, e, 64, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	tu_db_exec(&c, "INSERT INTO `%s`.application_submission (submission_id, "
	    "status) VALUES ('%s', 'RUNNING')", c.schema, JOB);
	ck_assert_int_eq(bpg_db_retry_ended(c.db, e, 64, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	tu_db_exec(&c, "UPDATE `%s`.application_submission SET status = 'FAILED', "
	    "finished_time = NOW() WHERE submission_id = '%s'", c.schema, JOB);
	ck_assert_int_eq(bpg_db_retry_ended(c.db, e, 64, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(e[0].job_id, JOB);
	ck_assert_int_eq(e[0].last_attempt, 1);
	ck_assert_str_eq(e[0].status, "FAILED");
	/* Planned once: a second writer changes nothing. */
	ck_assert_int_eq(bpg_db_retry_plan(c.db, JOB, 1, 1000, &changed, &ei),
	    BPG_OK);
	ck_assert(changed);
	ck_assert_int_eq(bpg_db_retry_plan(c.db, JOB, 1, 2000, &changed, &ei),
	    BPG_OK);
	ck_assert(!changed);
	ck_assert_int_eq(bpg_db_retry_ended(c.db, e, 64, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(bpg_db_retry_due(c.db, 999, due, 4, &n, &ei),
	    BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(bpg_db_retry_due(c.db, 1000, due, 4, &n, &ei),
	    BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(due[0], JOB);
	/* A job ended (no retry wanted) is never read again. */
	add_job(A2);
	tu_db_exec(&c, "INSERT INTO `%s`.application_submission (submission_id, "
	    "status, finished_time) VALUES ('%s', 'COMPLETED', NOW())",
	    c.schema, A2);
	ck_assert_int_eq(bpg_db_retry_plan(c.db, A2, 1, -1, &changed, &ei),
	    BPG_OK);
	ck_assert(changed);
	ck_assert_int_eq(bpg_db_retry_ended(c.db, e, 64, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(bpg_db_retry_due(c.db, INT32_MAX, due, 4, &n, &ei),
	    BPG_OK);
	ck_assert_uint_eq(n, 1);
}
END_TEST

/* Two writers of attempt 2: one wins; the winner's call repeated is
 * done; its row is pending for a resumed leader. */
START_TEST(test_begin_once)
{
	struct bpg_db_attempt a = attempt(JOB, 2, A2, JOB);
	struct bpg_db_attempt b = attempt(JOB, 2, A2B, JOB);
	struct bpg_db_attempt open[8];
	struct bpg_db_retry_job j;
	struct bpg_errinfo ei = { "" };
	bool found = false;
	size_t n = 0;

	add_job(JOB);
	ck_assert_int_eq(bpg_db_retry_plan(c.db, JOB, 1, 5, NULL, &ei), BPG_OK);
	ck_assert_msg(bpg_db_retry_begin(c.db, &a, &ei) == BPG_OK, "%s",
	    ei.msg);
	ck_assert_int_eq(bpg_db_retry_begin(c.db, &b, &ei), BPG_EEXIST);
	ck_assert_int_eq(bpg_db_retry_begin(c.db, &a, &ei), BPG_OK);
	ck_assert_str_eq(tu_db_str(&c, "SELECT COUNT(*) FROM `%s`."
	    "submission_attempt", c.schema), "1");
	ck_assert_int_eq(bpg_db_retry_get(c.db, JOB, false, &j, &found, &ei),
	    BPG_OK);
	ck_assert_int_eq(j.last_attempt, 2);
	ck_assert_str_eq(j.last_id, A2);
	ck_assert_int_eq(j.retry_at, -1);
	ck_assert_int_eq(bpg_db_attempt_open(c.db, open, 8, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(open[0].submission_id, A2);
	ck_assert_str_eq(open[0].cause, BPG_DB_ATTEMPT_RETRY);
	ck_assert_str_eq(open[0].state, BPG_DB_ATTEMPT_PENDING);
	ck_assert_int_eq(open[0].attempt, 2);
	/* An ID of attempt 2 names its job. */
	{
		char job[BPG_DB_RETRY_MAX_ID + 1];
		bool has = false;
		int k = 0;

		ck_assert_int_eq(bpg_db_retry_job_of(c.db, A2, job, &k, &has,
		    &found, &ei), BPG_OK);
		ck_assert(found && has);
		ck_assert_str_eq(job, JOB);
		ck_assert_int_eq(k, 2);
	}
	/* No such job. */
	a = attempt("c01-00000000000000000000000000000009", 2, A2B, JOB);
	ck_assert_int_eq(bpg_db_retry_begin(c.db, &a, &ei), BPG_ENOTFOUND);
}
END_TEST

/* The same as two processes at once, many rounds. */
START_TEST(test_begin_race)
{
	struct bpg_errinfo ei = { "" };
	char job[64], id[2][64];
	struct bpg_db_attempt a;
	int round, k, st, wins;
	pid_t pid[2];

	for (round = 0; round < 20; round++) {
		snprintf(job, sizeof(job), "c01-%032x", round + 100);
		add_job(job);
		for (k = 0; k < 2; k++) {
			snprintf(id[k], sizeof(id[k]), "c0%d-%032x", k + 1,
			    round + 1000);
			a = attempt(job, 2, id[k], job);
			if ((pid[k] = fork()) == 0) {
				struct bpg_db *db = new_db();

				_exit(bpg_db_retry_begin(db, &a, &ei));
			}
			ck_assert_int_ge(pid[k], 0);
		}
		wins = 0;
		for (k = 0; k < 2; k++) {
			ck_assert_int_eq(waitpid(pid[k], &st, 0), pid[k]);
			ck_assert(WIFEXITED(st));
			ck_assert_msg(WEXITSTATUS(st) == BPG_OK ||
			    WEXITSTATUS(st) == BPG_EEXIST, "round %d: %d",
			    round, WEXITSTATUS(st));
			wins += WEXITSTATUS(st) == BPG_OK;
		}
		ck_assert_int_eq(wins, 1);
		ck_assert_str_eq(tu_db_str(&c, "SELECT COUNT(*) FROM `%s`."
		    "submission_attempt WHERE job_id = '%s'", c.schema, job),
		    "1");
		ck_assert_str_eq(tu_db_str(&c, "SELECT j.last_id = a.submission_id "
		    "FROM `%s`.bpg_retry_job j JOIN `%s`.submission_attempt a "
		    "ON a.job_id = j.job_id WHERE j.job_id = '%s'", c.schema,
		    c.schema, job), "1");
	}
}
END_TEST

/* A cancel stops every later attempt; racing one, an attempt is made
 * before it (and its row is there for DELETE to find) or not at all. */
START_TEST(test_cancel_race)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_retry_job j;
	struct bpg_db_attempt a;
	char job[64], id[64], go;
	bool found = false;
	int round, st, made = 0, fd[2];
	pid_t pid;

	add_job(JOB);
	ck_assert_int_eq(bpg_db_retry_cancel(c.db, JOB, &found, &ei), BPG_OK);
	ck_assert(found);
	a = attempt(JOB, 2, A2, JOB);
	ck_assert_int_eq(bpg_db_retry_begin(c.db, &a, &ei), BPG_ECONFLICT);
	ck_assert_str_eq(tu_db_str(&c, "SELECT COUNT(*) FROM `%s`."
	    "submission_attempt", c.schema), "0");
	ck_assert_int_eq(bpg_db_retry_get(c.db, JOB, false, &j, &found, &ei),
	    BPG_OK);
	ck_assert(j.cancelled && !j.active);
	ck_assert_int_eq(bpg_db_retry_cancel(c.db, A2, &found, &ei), BPG_OK);
	ck_assert(!found);
	for (round = 0; round < 30; round++) {
		snprintf(job, sizeof(job), "c01-%032x", round + 100);
		snprintf(id, sizeof(id), "c02-%032x", round + 100);
		add_job(job);
		a = attempt(job, 2, id, job);
		ck_assert_int_eq(pipe(fd), 0);
		if ((pid = fork()) == 0) {
			struct bpg_db *db = new_db();

			/* Connected: both go at once. */
			if (write(fd[1], "x", 1) != 1)
				_exit(100);
			_exit(bpg_db_retry_begin(db, &a, &ei));
		}
		ck_assert_int_ge(pid, 0);
		ck_assert_int_eq(read(fd[0], &go, 1), 1);
		close(fd[0]);
		close(fd[1]);
		ck_assert_int_eq(bpg_db_retry_cancel(c.db, job, &found, &ei),
		    BPG_OK);
		/* What DELETE reads after its cancel. */
		bool row = strcmp(tu_db_str(&c, "SELECT COUNT(*) FROM `%s`."
		    "submission_attempt WHERE job_id = '%s'", c.schema, job),
		    "1") == 0;
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st));
		if (WEXITSTATUS(st) == BPG_OK) {
			/* Made before the cancel: DELETE saw it. */
			ck_assert_msg(row, "round %d: attempt made after the "
			    "cancel", round);
			made++;
		} else {
			ck_assert_int_eq(WEXITSTATUS(st), BPG_ECONFLICT);
			ck_assert_str_eq(tu_db_str(&c, "SELECT COUNT(*) FROM `%s`."
			    "submission_attempt WHERE job_id = '%s'", c.schema,
			    job), "0");
		}
		a = attempt(job, 3, "c01-ffffffffffffffffffffffffffffffff",
		    id);
		ck_assert_int_ne(bpg_db_retry_begin(c.db, &a, &ei), BPG_OK);
	}
	printf("cancel race: %d of 30 attempts made before the cancel\n",
	    made);
}
END_TEST

/*
 * The interleaving that the locking read is for, made deterministic: a
 * cancel is under way (its UPDATE done, not yet committed) when an
 * attempt begins; the attempt waits for it and then sees the job
 * cancelled.  (A plain read would see the job as it was, insert the
 * attempt, and commit it after the cancel: an attempt nobody deletes.)
 */
START_TEST(test_cancel_under_way)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_attempt a;
	int st, i;
	pid_t pid;

	add_job(JOB);
	tu_db_exec(&c, "START TRANSACTION");
	tu_db_exec(&c, "UPDATE `%s`.bpg_retry_job SET cancelled = 1, "
	    "active = 0 WHERE job_id = '%s'", c.schema, JOB);
	a = attempt(JOB, 2, A2, JOB);
	if ((pid = fork()) == 0) {
		struct bpg_db *db = new_db();

		_exit(bpg_db_retry_begin(db, &a, &ei));
	}
	ck_assert_int_ge(pid, 0);
	/* Until the attempt's transaction runs a statement on the job row,
	 * where it waits for the cancel's lock. */
	for (i = 0; i < 6000 && tu_db_long(&c, "SELECT COUNT(*) FROM "
	    "information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND "
	    "INFO LIKE '%%.bpg_retry_job %%'") < 1; i++)
		usleep(10000);
	ck_assert_msg(i < 6000, "the attempt never reached the job row");
	tu_db_exec(&c, "COMMIT");
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), BPG_ECONFLICT);
	ck_assert_str_eq(tu_db_str(&c, "SELECT COUNT(*) FROM `%s`."
	    "submission_attempt", c.schema), "0");
}
END_TEST

/* The key EXPLAIN names for both of the monitor's queries, with most
 * jobs ended (as they are at scale). */
static const char *
plan_key(const char *sql)
{
	static char key[128];
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL_FIELD *f;
	unsigned int i, nf;

	if (mysql_query(c.admin, sql) != 0 ||
	    (res = mysql_store_result(c.admin)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(c.admin));
	nf = mysql_num_fields(res);
	f = mysql_fetch_fields(res);
	key[0] = '\0';
	ck_assert_ptr_nonnull(row = mysql_fetch_row(res));
	for (i = 0; i < nf; i++)
		if (strcmp(f[i].name, "key") == 0 && row[i] != NULL)
			snprintf(key, sizeof(key), "%s", row[i]);
	mysql_free_result(res);
	return key;
}

START_TEST(test_index)
{
	char sql[1024];

	tu_db_exec(&c, "INSERT INTO `%s`.bpg_retry_job (job_id, owner, request, "
	    "max_attempts, backoff_s, backoff_multiplier, on_states, "
	    "any_cluster, last_id, active, retry_at) SELECT "
	    "CONCAT('c01-', LPAD(HEX(seq), 32, '0')), 'alice', '{}', 3, 30, "
	    "2, 7, 0, CONCAT('c01-', LPAD(HEX(seq), 32, '0')), "
	    "seq %% 100 = 0, IF(seq %% 200 = 0, seq, NULL) "
	    "FROM `%s`.seq_1_to_20000", c.schema, c.schema);
	tu_db_exec(&c, "INSERT INTO `%s`.application_submission (submission_id, "
	    "status, finished_time) SELECT CONCAT('c01-', LPAD(HEX(seq), 32, "
	    "'0')), 'COMPLETED', IF(seq %% 50 = 0, NULL, NOW()) "
	    "FROM `%s`.seq_1_to_20000", c.schema, c.schema);
	tu_db_exec(&c, "ANALYZE TABLE `%s`.application_submission", c.schema);
	mysql_free_result(mysql_store_result(c.admin));
	mysql_free_result(mysql_store_result(c.admin));
	tu_db_exec(&c, "ANALYZE TABLE `%s`.bpg_retry_job", c.schema);
	mysql_free_result(mysql_store_result(c.admin));
	snprintf(sql, sizeof(sql), "EXPLAIN SELECT job_id FROM "
	    "`%s`.bpg_retry_job WHERE active = 1 AND retry_at <= 5000 "
	    "ORDER BY retry_at LIMIT 64", c.schema);
	ck_assert_str_eq(plan_key(sql), "bpg_retry_active");
	snprintf(sql, sizeof(sql), "EXPLAIN SELECT j.job_id, j.last_attempt, "
	    "s.status FROM `%s`.bpg_retry_job j JOIN "
	    "`%s`.application_submission s ON s.submission_id = j.last_id "
	    "WHERE j.active = 1 AND j.retry_at IS NULL "
	    "AND s.finished_time IS NOT NULL LIMIT 64", c.schema, c.schema);
	ck_assert_str_eq(plan_key(sql), "bpg_retry_active");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("db_retry");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_job);
	tcase_add_test(tc, test_ended_plan_due);
	tcase_add_test(tc, test_begin_once);
	tcase_add_test(tc, test_begin_race);
	tcase_add_test(tc, test_cancel_race);
	tcase_add_test(tc, test_cancel_under_way);
	tcase_add_test(tc, test_index);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
