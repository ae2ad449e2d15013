/*
 * Tests of lib/bpg_db_schedules.c against the MariaDB server of
 * tests/run-unit.sh (BPG_TEST_DB_PORT): the migration creates both
 * tables; a schedule is written, read back with its request, listed per
 * owner, replaced, suspended and deleted; the due query and the advance
 * of next_fire_time let one of two writers win; a fire time is inserted
 * once (the loser reads the winner's row and its submission ID); and
 * the monitor's due query reads its index (EXPLAIN); at 1,000,000
 * schedules and fires, no statement the monitor runs on its turns scans
 * a table (EXPLAIN of the statements' own SQL).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <mysql.h>

#include "bpg_db.h"
#include "bpg_db_schedules.h"
#include "testdb.h"
#include "testutil.h"

#define SID "s-0123456789abcdef"
#define SUB1 "c01-00000000000000000000000000000001"
#define SUB2 "c01-00000000000000000000000000000002"

static struct tu_db c;

static void
setup(void)
{
	tu_db_open(&c, "sch");
}

static void
teardown(void)
{
	tu_db_close(&c);
}


static struct bpg_db_schedule
sched(const char *id, const char *owner, int64_t next)
{
	struct bpg_db_schedule s;

	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "%s", id);
	snprintf(s.owner, sizeof(s.owner), "%s", owner);
	snprintf(s.name, sizeof(s.name), "nightly");
	snprintf(s.cron, sizeof(s.cron), "@every 10s");
	snprintf(s.timezone, sizeof(s.timezone), "UTC");
	snprintf(s.policy, sizeof(s.policy), "Forbid");
	s.deadline_s = 300;
	s.anchor = 1700000000;
	s.next_fire = next;
	s.last_fire = -1;
	s.request = (char *)(uintptr_t)"{\"sparkVersion\":\"3.5.0\"}";
	return s;
}

START_TEST(test_crud)
{
	struct bpg_db_schedule s = sched(SID, "alice", 1700000010), got,
	    rows[4];
	struct bpg_errinfo ei = { "" };
	bool found = false;
	size_t n = 9;

	ck_assert_msg(bpg_db_schedule_insert(c.db, &s, &ei) == BPG_OK, "%s",
	    ei.msg);
	ck_assert_int_eq(bpg_db_schedule_insert(c.db, &s, &ei), BPG_EEXIST);
	s = sched("s-other", "bob", -1);
	ck_assert_int_eq(bpg_db_schedule_insert(c.db, &s, &ei), BPG_OK);
	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(bpg_db_schedule_get(c.db, SID, &got, &found, &ei),
	    BPG_OK);
	ck_assert(found);
	ck_assert_str_eq(got.owner, "alice");
	ck_assert_str_eq(got.cron, "@every 10s");
	ck_assert_str_eq(got.policy, "Forbid");
	ck_assert_int_eq(got.deadline_s, 300);
	ck_assert_int_eq(got.next_fire, 1700000010);
	ck_assert_int_eq(got.last_fire, -1);
	ck_assert_str_eq(got.request, "{\"sparkVersion\":\"3.5.0\"}");
	bpg_db_schedule_reset(&got);
	ck_assert_int_eq(bpg_db_schedule_get(c.db, "s-none", &got, &found,
	    &ei), BPG_OK);
	ck_assert(!found);
	/* Per owner, and everyone's. */
	ck_assert_int_eq(bpg_db_schedule_list(c.db, "alice", rows, 4, &n,
	    &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].id, SID);
	ck_assert_ptr_null(rows[0].request);
	ck_assert_int_eq(bpg_db_schedule_list(c.db, NULL, rows, 4, &n, &ei),
	    BPG_OK);
	ck_assert_uint_eq(n, 2);
	/* Replace keeps the owner. */
	s = sched(SID, "mallory", 1700000100);
	snprintf(s.cron, sizeof(s.cron), "0 2 * * *");
	s.deadline_s = -1;
	ck_assert_int_eq(bpg_db_schedule_replace(c.db, &s, &found, &ei),
	    BPG_OK);
	ck_assert(found);
	ck_assert_int_eq(bpg_db_schedule_get(c.db, SID, &got, &found, &ei),
	    BPG_OK);
	ck_assert_str_eq(got.owner, "alice");
	ck_assert_str_eq(got.cron, "0 2 * * *");
	ck_assert_int_eq(got.deadline_s, -1);
	bpg_db_schedule_reset(&got);
	s = sched("s-none", "alice", 1);
	ck_assert_int_eq(bpg_db_schedule_replace(c.db, &s, &found, &ei),
	    BPG_OK);
	ck_assert(!found);
	/* Suspended: not due; resumed: due again. */
	ck_assert_int_eq(bpg_db_schedule_set_suspend(c.db, SID, true, -1,
	    1700000000, &found, &ei), BPG_OK);
	ck_assert(found);
	ck_assert_int_eq(bpg_db_schedule_due(c.db, 1800000000, rows, 4, &n,
	    &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(bpg_db_schedule_set_suspend(c.db, SID, false,
	    1700000100, 1700000000, &found, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_schedule_due(c.db, 1700000099, rows, 4, &n,
	    &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	/* Trigger: due now. */
	ck_assert_int_eq(bpg_db_schedule_trigger(c.db, SID, 1700000050,
	    &found, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_schedule_due(c.db, 1700000050, rows, 4, &n,
	    &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(rows[0].next_fire, 1700000050);
	ck_assert_ptr_nonnull(rows[0].request);
	bpg_db_schedule_reset(&rows[0]);
	ck_assert_int_eq(bpg_db_schedule_delete(c.db, SID, &found, &ei),
	    BPG_OK);
	ck_assert(found);
	ck_assert_int_eq(bpg_db_schedule_delete(c.db, SID, &found, &ei),
	    BPG_OK);
	ck_assert(!found);
}
END_TEST

START_TEST(test_fire_once)
{
	struct bpg_db_schedule s = sched(SID, "alice", 1700000010), rows[2];
	struct bpg_db_fire f, g, recent[4];
	struct bpg_db_submission sub;
	struct bpg_errinfo ei = { "" };
	char of[BPG_DB_SCHED_MAX_ID + 1];
	bool changed = false;
	size_t n = 0;

	ck_assert_int_eq(bpg_db_schedule_insert(c.db, &s, &ei), BPG_OK);
	/* Two monitors read the same due row ... */
	ck_assert_int_eq(bpg_db_schedule_due(c.db, 1700000010, rows, 2, &n,
	    &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	bpg_db_schedule_reset(&rows[0]);
	/* ... the first records the fire with its ID, the second loses and
	 * reads the winner's ID. */
	memset(&f, 0, sizeof(f));
	snprintf(f.schedule_id, sizeof(f.schedule_id), SID);
	f.fire_time = 1700000010;
	snprintf(f.submission_id, sizeof(f.submission_id), SUB1);
	snprintf(f.state, sizeof(f.state), BPG_DB_FIRE_PENDING);
	ck_assert_msg(bpg_db_fire_insert(c.db, &f, NULL, &ei) == BPG_OK, "%s",
	    ei.msg);
	g = f;
	snprintf(g.submission_id, sizeof(g.submission_id), SUB2);
	ck_assert_int_eq(bpg_db_fire_insert(c.db, &g, NULL, &ei), BPG_EEXIST);
	ck_assert_str_eq(g.submission_id, SUB1);
	ck_assert_str_eq(g.state, BPG_DB_FIRE_PENDING);
	/* A resumed leader finds it pending. */
	ck_assert_int_eq(bpg_db_fire_pending(c.db, recent, 4, &n, &ei),
	    BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(recent[0].submission_id, SUB1);
	ck_assert_int_eq(bpg_db_fire_set_state(c.db, SID, 1700000010,
	    BPG_DB_FIRE_PENDING, BPG_DB_FIRE_DONE, NULL, &changed, &ei),
	    BPG_OK);
	ck_assert(changed);
	ck_assert_int_eq(bpg_db_fire_set_state(c.db, SID, 1700000010,
	    BPG_DB_FIRE_PENDING, BPG_DB_FIRE_DONE, NULL, &changed, &ei),
	    BPG_OK);
	ck_assert(!changed);
	ck_assert_int_eq(bpg_db_fire_pending(c.db, recent, 4, &n, &ei),
	    BPG_OK);
	ck_assert_uint_eq(n, 0);
	/* One advance of next_fire_time wins. */
	ck_assert_int_eq(bpg_db_schedule_advance(c.db, SID, 1700000010,
	    1700000020, 1700000010, &changed, &ei), BPG_OK);
	ck_assert(changed);
	ck_assert_int_eq(bpg_db_schedule_advance(c.db, SID, 1700000010,
	    1700000020, 1700000010, &changed, &ei), BPG_OK);
	ck_assert(!changed);
	ck_assert_str_eq(tu_db_str(&c, "SELECT CONCAT(next_fire_time, ' ', "
	    "last_fire_time) FROM `%s`.bpg_schedule", c.schema),
	    "1700000020 1700000010");
	/* A skip records no submission and leaves last_fire alone. */
	memset(&f, 0, sizeof(f));
	snprintf(f.schedule_id, sizeof(f.schedule_id), SID);
	f.fire_time = 1700000020;
	snprintf(f.state, sizeof(f.state), BPG_DB_FIRE_SKIPPED);
	ck_assert_int_eq(bpg_db_fire_insert(c.db, &f, "Forbid", &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_schedule_advance(c.db, SID, 1700000020,
	    1700000030, -1, &changed, &ei), BPG_OK);
	ck_assert_str_eq(tu_db_str(&c, "SELECT last_fire_time FROM `%s`."
	    "bpg_schedule", c.schema), "1700000010");
	/* The recent fires with their submissions' states. */
	memset(&sub, 0, sizeof(sub));
	sub.submission_id = SUB1;
	sub.user = "alice";
	ck_assert_int_eq(bpg_db_insert_submission(c.db, &sub, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_fire_recent(c.db, SID, recent, 4, &n, &ei),
	    BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(recent[0].submission_id, SUB1);
	ck_assert(!recent[0].finished);
	ck_assert_int_eq(bpg_db_monitor_finish(c.db, SUB1, "COMPLETED",
	    1700000015000LL, NULL, NULL, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_fire_recent(c.db, SID, recent, 4, &n, &ei),
	    BPG_OK);
	ck_assert(recent[0].finished);
	ck_assert_str_eq(recent[0].status, "COMPLETED");
	ck_assert_int_eq(bpg_db_fire_schedule_of(c.db, SUB1, of, &ei), BPG_OK);
	ck_assert_str_eq(of, SID);
	ck_assert_int_eq(bpg_db_fire_schedule_of(c.db, SUB2, of, &ei), BPG_OK);
	ck_assert_str_eq(of, "");
}
END_TEST

/* The key EXPLAIN names for the monitor's due query. */
START_TEST(test_due_index)
{
	struct bpg_db_schedule s;
	struct bpg_errinfo ei = { "" };
	char id[32], sql[512];
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL_FIELD *f;
	unsigned int i, nf;
	const char *key = NULL;
	int k;

	for (k = 0; k < 200; k++) {
		snprintf(id, sizeof(id), "s-%d", k);
		s = sched(id, k % 2 ? "alice" : "bob", 1700000000 + k * 60);
		s.suspend = k % 3 == 0;
		ck_assert_int_eq(bpg_db_schedule_insert(c.db, &s, &ei),
		    BPG_OK);
	}
	tu_db_exec(&c, "ANALYZE TABLE `%s`.bpg_schedule", c.schema);
	mysql_free_result(mysql_store_result(c.admin));
	snprintf(sql, sizeof(sql), "EXPLAIN SELECT schedule_id FROM "
	    "`%s`.bpg_schedule WHERE suspend = 0 AND next_fire_time <= "
	    "1700000600 ORDER BY next_fire_time LIMIT 100", c.schema);
	if (mysql_query(c.admin, sql) != 0 ||
	    (res = mysql_store_result(c.admin)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(c.admin));
	nf = mysql_num_fields(res);
	f = mysql_fetch_fields(res);
	ck_assert_ptr_nonnull(row = mysql_fetch_row(res));
	for (i = 0; i < nf; i++)
		if (strcmp(f[i].name, "key") == 0)
			key = row[i];
	ck_assert_ptr_nonnull(key);
	ck_assert_str_eq(key, "bpg_schedule_due");
	mysql_free_result(res);
}
END_TEST

/*
 * Every row of EXPLAIN of sql, its "?" filled in from vals in order:
 * none may scan its table ("ALL") or read no index; the first row's key
 * is want.
 */
static void
assert_plan(enum bpg_db_sched_stmt which, const char *const *vals,
    const char *want)
{
	const char *sql = bpg_db_schedules_sql(c.db, which), *s;
	char q[4096], *p, *end = q + sizeof(q) - 1;
	const char *type, *key, *table;
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL_FIELD *f;
	unsigned int i, nf, nrow = 0;

	ck_assert_ptr_nonnull(sql);
	p = q + snprintf(q, sizeof(q), "EXPLAIN ");
	for (s = sql; *s != '\0'; s++) {
		ck_assert_msg(p < end - 64, "statement %d too long", which);
		if (*s != '?') {
			*p++ = *s;
			continue;
		}
		ck_assert_msg(*vals != NULL, "statement %d: too few values",
		    which);
		p += snprintf(p, (size_t)(end - p), "%s", *vals++);
	}
	*p = '\0';
	ck_assert_msg(*vals == NULL, "statement %d: too many values", which);
	if (mysql_query(c.admin, q) != 0 ||
	    (res = mysql_store_result(c.admin)) == NULL)
		ck_abort_msg("%s: %s", q, mysql_error(c.admin));
	nf = mysql_num_fields(res);
	f = mysql_fetch_fields(res);
	while ((row = mysql_fetch_row(res)) != NULL) {
		type = key = table = NULL;
		for (i = 0; i < nf; i++) {
			if (strcmp(f[i].name, "type") == 0)
				type = row[i];
			else if (strcmp(f[i].name, "key") == 0)
				key = row[i];
			else if (strcmp(f[i].name, "table") == 0)
				table = row[i];
		}
		ck_assert_msg(type != NULL && strcmp(type, "ALL") != 0 &&
		    key != NULL, "%s: table %s read by %s, key %s", q,
		    table ? table : "?", type ? type : "?", key ? key : "none");
		if (nrow++ == 0)
			ck_assert_msg(strcmp(key, want) == 0, "%s: key %s, not "
			    "%s", q, key, want);
	}
	ck_assert_msg(nrow > 0, "%s: no plan", q);
	mysql_free_result(res);
}

/*
 * At 1,000,000 schedules and as many fires, each statement the monitor
 * runs on its turns reads an index: the due query its own, the pending
 * fires theirs, the rest a key, and the fires' join to the submissions
 * the submissions' key.
 */
START_TEST(test_plans_at_scale)
{
	static const char *const due[] = { "1700000600", "32", NULL };
	static const char *const get[] = { "'s-500'", NULL };
	static const char *const advance[] = { "1700000510", "1700000500",
		"1700000500", "'s-500'", "1700000500", NULL };
	static const char *const pending[] = { "32", NULL };
	static const char *const fire_get[] = { "'s-5'", "1700000005", NULL };
	static const char *const fire_state[] = { "'done'", "NULL", "'s-5'",
		"1700000005", "'pending'", NULL };
	static const char *const recent[] = { "'s-5'", "20", NULL };
	static const char *const of[] = {
		"'c01-00000000000000000000000000000005'", NULL };
	static const char *const tables[] = { "bpg_schedule",
		"bpg_schedule_fire", "application_submission" };
	size_t i;

	/*
	 * Spread as in use: next fire times over 11 days, a third
	 * suspended; fires of 100,000 schedules, one in 100,000 pending;
	 * one fire in 100 with its submission's row.
	 */
	tu_db_exec(&c, "INSERT INTO `%s`.bpg_schedule (schedule_id, owner, "
	    "name, cron, timezone, concurrency_policy, suspend, "
	    "starting_deadline_s, anchor_time, next_fire_time, request) "
	    "SELECT CONCAT('s-', seq), CONCAT('u', seq %% 1000), 'n', "
	    "'@every 10s', 'UTC', 'Allow', seq %% 3 = 0, 300, 1700000000, "
	    "1700000000 + seq, '{}' FROM `%s`.seq_1_to_1000000", c.schema,
	    c.schema);
	tu_db_exec(&c, "INSERT INTO `%s`.bpg_schedule_fire (schedule_id, "
	    "fire_time, submission_id, state) SELECT CONCAT('s-', seq %% "
	    "100000), 1700000000 + seq, CONCAT('c01-', LPAD(HEX(seq), 32, "
	    "'0')), IF(seq %% 100000 = 0, 'pending', 'done') "
	    "FROM `%s`.seq_1_to_1000000", c.schema, c.schema);
	tu_db_exec(&c, "INSERT INTO `%s`.application_submission "
	    "(submission_id, `user`, status) SELECT CONCAT('c01-', "
	    "LPAD(HEX(seq), 32, '0')), 'alice', 'COMPLETED' "
	    "FROM `%s`.seq_1_to_1000000 WHERE seq %% 100 = 5", c.schema,
	    c.schema);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		tu_db_exec(&c, "ANALYZE TABLE `%s`.%s", c.schema, tables[i]);
	}
	ck_assert_str_eq(tu_db_str(&c, "SELECT COUNT(*) FROM "
	    "`%s`.bpg_schedule", c.schema), "1000000");
	assert_plan(BPG_DB_SCHED_DUE, due, "bpg_schedule_due");
	assert_plan(BPG_DB_SCHED_GET, get, "PRIMARY");
	assert_plan(BPG_DB_SCHED_ADVANCE, advance, "PRIMARY");
	assert_plan(BPG_DB_SCHED_FIRE_PENDING, pending, "bpg_fire_state");
	assert_plan(BPG_DB_SCHED_FIRE_GET, fire_get, "PRIMARY");
	assert_plan(BPG_DB_SCHED_FIRE_STATE, fire_state, "PRIMARY");
	assert_plan(BPG_DB_SCHED_FIRE_RECENT, recent, "PRIMARY");
	assert_plan(BPG_DB_SCHED_FIRE_OF, of, "bpg_fire_submission");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("db_schedules");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_crud);
	tcase_add_test(tc, test_fire_once);
	tcase_add_test(tc, test_due_index);
	suite_add_tcase(s, tc);
	/* Loading 3 million rows on a busy machine: a generous bound. */
	tc = tcase_create("scale");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 1800);
	tcase_add_test(tc, test_plans_at_scale);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(suite());
}
