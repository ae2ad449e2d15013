/*
 * Tests of lib/bpg_db_livy.c against the MariaDB server of
 * tests/run-unit.sh (BPG_TEST_DB_PORT): the migration creates
 * bpg_livy_batch; a batch gets an integer with its submission ID, is read
 * back with its submission's row, is moved to a failover's next ID, and a
 * retried insert finds its own row; a delete is recorded; a batch whose submission has no row
 * (a crash between the writes) reads as such and is not listed; lists
 * page per owner; IDs from several processes at once are all distinct.
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
#include "bpg_db_livy.h"
#include "testdb.h"
#include "testutil.h"

/* Processes and batches each in the concurrency test. */
#define NPROC 6
#define NEACH 20

static struct tu_db c;

static void
setup(void)
{
	tu_db_open(&c, "livy");
}

static void
teardown(void)
{
	tu_db_close(&c);
}

/* A submission ID of cluster c01 with n in its digits. */
static const char *
sub(int n)
{
	static char buf[8][64];
	static int k;
	char *b = buf[k++ % 8];

	snprintf(b, 64, "c01-%032d", n);
	return b;
}

static void
row(const char *sid, const char *user, const char *name)
{
	struct bpg_db_submission r;
	struct bpg_errinfo ei = { "" };

	memset(&r, 0, sizeof(r));
	r.submission_id = sid;
	r.user = user;
	r.spark_version = "3.5.0";
	r.request_body = "{}";
	r.app_name = name;
	ck_assert_msg(bpg_db_insert_submission(c.db, &r, &ei) == BPG_OK, "%s",
	    ei.msg);
}

START_TEST(test_insert_get_bind)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_livy_batch b;
	int64_t id1, id2, again;
	bool found;

	ck_assert_msg(bpg_db_livy_insert(c.db, "alice", sub(1), &id1, &ei) ==
	    BPG_OK, "%s", ei.msg);
	ck_assert_int_gt(id1, 0);
	ck_assert_int_eq(bpg_db_livy_insert(c.db, "alice", sub(2), &id2, &ei),
	    BPG_OK);
	ck_assert_int_gt(id2, id1);
	/* A retried insert (its first answer lost) finds its own row. */
	ck_assert_int_eq(bpg_db_livy_insert(c.db, "alice", sub(2), &again,
	    &ei), BPG_OK);
	ck_assert_int_eq(again, id2);
	/* Never another user's batch. */
	ck_assert_int_eq(bpg_db_livy_insert(c.db, "bob", sub(2), &again, &ei),
	    BPG_EDB);
	ck_assert_int_eq(again, 0);

	/* No submission row yet: the batch is there, its submission not. */
	ck_assert_int_eq(bpg_db_livy_get(c.db, id1, &b, &found, &ei), BPG_OK);
	ck_assert(found);
	ck_assert_int_eq(b.id, id1);
	ck_assert_str_eq(b.submission_id, sub(1));
	ck_assert_str_eq(b.owner, "alice");
	ck_assert(!b.has_row);
	ck_assert_str_eq(b.status, "");
	row(sub(1), "alice", "nightly");
	tu_db_exec(&c, "UPDATE `%s`.application_submission SET status = 'FAILED', "
	    "app_id = 'spark-1' WHERE submission_id = '%s'", c.schema, sub(1));
	ck_assert_int_eq(bpg_db_livy_get(c.db, id1, &b, &found, &ei), BPG_OK);
	ck_assert(b.has_row);
	ck_assert_str_eq(b.status, "FAILED");
	ck_assert_str_eq(b.app_id, "spark-1");
	ck_assert_str_eq(b.app_name, "nightly");

	ck_assert(!b.deleted);
	ck_assert_int_eq(bpg_db_livy_deleted(c.db, id1, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_livy_deleted(c.db, id1, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_livy_get(c.db, id1, &b, &found, &ei), BPG_OK);
	ck_assert(b.deleted);

	/* A failover moves the batch to the next ID. */
	ck_assert_int_eq(bpg_db_livy_bind(c.db, id2, sub(3), &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_livy_get(c.db, id2, &b, &found, &ei), BPG_OK);
	ck_assert_str_eq(b.submission_id, sub(3));
	/* One batch per submission ID. */
	ck_assert_int_eq(bpg_db_livy_bind(c.db, id2, sub(1), &ei), BPG_EDB);

	ck_assert_int_eq(bpg_db_livy_get(c.db, id2 + 1000, &b, &found, &ei),
	    BPG_OK);
	ck_assert(!found);
	ck_assert_int_eq(bpg_db_livy_get(c.db, 0, &b, &found, &ei), BPG_OK);
	ck_assert(!found);
	ck_assert_int_eq(bpg_db_livy_insert(c.db, "", sub(9), &again, &ei),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_db_livy_insert(c.db, "alice", "", &again, &ei),
	    BPG_EINVAL);
}
END_TEST

START_TEST(test_list)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_livy_batch rows[10];
	int64_t ids[6], total;
	size_t n;
	int i;

	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(bpg_db_livy_insert(c.db, i < 5 ? "alice" :
		    "bob", sub(10 + i), &ids[i], &ei), BPG_OK);
		/* Batch 3's submission never got its row (a crash). */
		if (i != 3)
			row(sub(10 + i), i < 5 ? "alice" : "bob", NULL);
	}
	ck_assert_int_eq(bpg_db_livy_list(c.db, "alice", 0, 10, rows, &n,
	    &total, &ei), BPG_OK);
	ck_assert_int_eq(total, 4);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(rows[0].id, ids[0]);
	ck_assert_int_eq(rows[2].id, ids[2]);
	ck_assert_int_eq(rows[3].id, ids[4]);
	ck_assert_str_eq(rows[3].submission_id, sub(14));
	/* Paged. */
	ck_assert_int_eq(bpg_db_livy_list(c.db, "alice", 1, 2, rows, &n,
	    &total, &ei), BPG_OK);
	ck_assert_int_eq(total, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(rows[0].id, ids[1]);
	ck_assert_int_eq(rows[1].id, ids[2]);
	ck_assert_int_eq(bpg_db_livy_list(c.db, "alice", 9, 2, rows, &n,
	    &total, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(bpg_db_livy_list(c.db, "alice", 0, 0, rows, &n,
	    &total, &ei), BPG_OK);
	ck_assert_int_eq(total, 4);
	ck_assert_int_eq(bpg_db_livy_list(c.db, "bob", 0, 10, rows, &n,
	    &total, &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(rows[0].id, ids[5]);
	ck_assert_int_eq(bpg_db_livy_list(c.db, "carol", 0, 10, rows, &n,
	    &total, &ei), BPG_OK);
	ck_assert_int_eq(total, 0);
}
END_TEST

/* NPROC processes, each with its own connection (as gateways sharing
 * the database have), insert NEACH batches each at once. */
START_TEST(test_concurrent_unique)
{
	int fds[2], p, i, k, status;
	int64_t all[NPROC * NEACH];
	pid_t pids[NPROC];
	size_t got = 0;
	ssize_t r;

	ck_assert_int_eq(pipe(fds), 0);
	for (p = 0; p < NPROC; p++) {
		ck_assert_int_ge(pids[p] = fork(), 0);
		if (pids[p] == 0) {
			struct bpg_errinfo ei = { "" };
			struct bpg_db *db;
			int64_t id;

			close(fds[0]);
			if (bpg_db_new(&c.conf, &db, &ei) != BPG_OK)
				_exit(2);
			for (i = 0; i < NEACH; i++) {
				if (bpg_db_livy_insert(db, "alice",
				    sub(1000 + p * NEACH + i), &id, &ei) !=
				    BPG_OK || write(fds[1], &id, sizeof(id)) !=
				    (ssize_t)sizeof(id))
					_exit(3);
			}
			bpg_db_free(db);
			_exit(0);
		}
	}
	close(fds[1]);
	while ((r = read(fds[0], (char *)all + got, sizeof(all) - got)) > 0)
		got += (size_t)r;
	close(fds[0]);
	for (p = 0; p < NPROC; p++) {
		ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "writer %d: status %d", p, status);
	}
	ck_assert_uint_eq(got, sizeof(all));
	for (i = 0; i < NPROC * NEACH; i++) {
		ck_assert_int_gt(all[i], 0);
		for (k = 0; k < i; k++)
			ck_assert_msg(all[k] != all[i], "batch ID %lld twice",
			    (long long)all[i]);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("db_livy");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_insert_get_bind);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_concurrent_unique);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
