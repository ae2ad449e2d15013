/*
 * Tests of lib/bpg_db_notify.c against the MariaDB server of
 * tests/run-unit.sh: an event is written with each committed change of a
 * submission's state, once (a replay writes none), only for the states
 * its receivers asked for, and never for a row without receivers; the due
 * query, a failed attempt's back-off and a success; the list of
 * GET /spark/{id}/notifications; the due query reads its index.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <mysql.h>

#include "bpg_db.h"
#include "bpg_db_notify.h"
#include "testdb.h"
#include "testutil.h"

#define SUB1 "c01-00000000000000000000000000000001"
#define SUB2 "c01-00000000000000000000000000000002"

static struct tu_db c;

static void
setup(void)
{
	tu_db_open(&c, "ntf");
}

static void
teardown(void)
{
	tu_db_close(&c);
}



static void
row(const char *id)
{
	struct bpg_db_submission s;
	struct bpg_errinfo ei = { "" };

	memset(&s, 0, sizeof(s));
	s.submission_id = id;
	s.user = "alice";
	s.queue = "poc";
	s.request_body = "{}";
	ck_assert_msg(bpg_db_insert_submission(c.db, &s, &ei) == BPG_OK, "%s",
	    ei.msg);
}

static void
targets(const char *id, const char *json)
{
	struct bpg_notify_spec s;
	struct bpg_errinfo ei = { "" };
	json_t *v = json_loads(json, 0, NULL);

	ck_assert_int_eq(bpg_notify_parse(v, "notify", &s, &ei), BPG_OK);
	ck_assert_msg(bpg_db_notify_targets(c.db, id, "c01", &s, &ei) ==
	    BPG_OK, "%s", ei.msg);
	json_decref(v);
}

static int
count(const char *where)
{
	return atoi(tu_db_str(&c, "SELECT COUNT(*) FROM `%s`.bpg_notify_outbox "
	    "WHERE %s", c.schema, where));
}

START_TEST(test_events)
{
	struct bpg_errinfo ei = { "" };
	double cost = 0.001;

	row(SUB1);
	row(SUB2);
	targets(SUB1, "[{\"url\":\"https://a.example.com/h\"},"
	    "{\"url\":\"https://b.example.com/h\",\"format\":\"slack\","
	    "\"on\":[\"FAILED\",\"COMPLETED\"]}]");
	/* SUBMITTED: no receiver asked for it. */
	ck_assert_int_eq(bpg_db_monitor_state(c.db, SUB1, "SUBMITTED", NULL,
	    &ei), BPG_OK);
	ck_assert_int_eq(count("1"), 0);
	/* RUNNING: the first receiver only; a replay writes nothing. */
	ck_assert_int_eq(bpg_db_monitor_state(c.db, SUB1, "RUNNING",
	    "spark-1", &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_state(c.db, SUB1, "RUNNING",
	    "spark-1", &ei), BPG_OK);
	ck_assert_int_eq(count("1"), 1);
	ck_assert_str_eq(tu_db_str(&c, "SELECT body FROM `%s`.bpg_notify_outbox",
	    c.schema), tu_db_str(&c, "SELECT CONCAT('{\"eventId\":\"" SUB1
	    ".RUNNING.0\",\"submissionId\":\"" SUB1 "\",\"state\":\"RUNNING\","
	    "\"previousState\":\"SUBMITTED\",\"user\":\"alice\",\"queue\":"
	    "\"poc\",\"cluster\":\"c01\",\"appId\":\"spark-1\",\"attempt\":"
	    "1,\"time\":\"', JSON_UNQUOTE(JSON_EXTRACT(body, '$.time')), "
	    "'\",\"errorMessage\":null,\"cost\":null}') FROM `%s`."
	    "bpg_notify_outbox", c.schema));
	/* COMPLETED: both, the second in Slack's shape; once. */
	ck_assert_int_eq(bpg_db_monitor_finish(c.db, SUB1, "COMPLETED",
	    1700000000000LL, &cost, &cost, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_finish(c.db, SUB1, "COMPLETED",
	    1700000000000LL, &cost, &cost, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_state(c.db, SUB1, "FAILED", NULL,
	    &ei), BPG_OK);
	ck_assert_int_eq(count("1"), 3);
	ck_assert_int_eq(count("event_id = '" SUB1 ".COMPLETED.1' AND "
	    "body LIKE '{\"text\":\"Spark application " SUB1
	    " is COMPLETED (was RUNNING)%'"), 1);
	/* No receivers: no event, no transaction. */
	ck_assert_int_eq(bpg_db_monitor_state(c.db, SUB2, "RUNNING", NULL,
	    &ei), BPG_OK);
	ck_assert_int_eq(count("submission_id = '" SUB2 "'"), 0);
}
END_TEST

START_TEST(test_submission_failed)
{
	struct bpg_errinfo ei = { "" };

	row(SUB1);
	targets(SUB1, "{\"url\":\"https://a.example.com/h\","
	    "\"on\":[\"SUBMISSION_FAILED\"]}");
	ck_assert_int_eq(bpg_db_mark_failed(c.db, SUB1, "quota <exceeded>",
	    &ei), BPG_OK);
	ck_assert_int_eq(count("event_id = '" SUB1
	    ".SUBMISSION_FAILED.0' AND body LIKE "
	    "'%\"errorMessage\":\"quota <exceeded>\"%'"), 1);
	/* A try that failed over: its receivers forgotten, no event. */
	row(SUB2);
	targets(SUB2, "{\"url\":\"https://a.example.com/h\"}");
	ck_assert_int_eq(bpg_db_notify_forget(c.db, SUB2, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_mark_failed(c.db, SUB2, "cluster down", &ei),
	    BPG_OK);
	ck_assert_int_eq(count("submission_id = '" SUB2 "'"), 0);
}
END_TEST

/* A move's new attempt is told of as the first: receivers copied. */
START_TEST(test_moved)
{
	struct bpg_errinfo ei = { "" };

	row(SUB1);
	row(SUB2);
	targets(SUB1, "{\"url\":\"https://a.example.com/h\"}");
	ck_assert_int_eq(bpg_db_notify_copy_targets(c.db, SUB1, SUB2, "c02",
	    &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_notify_copy_targets(c.db, SUB1, SUB2, "c02",
	    &ei), BPG_OK);
	tu_db_exec(&c, "INSERT INTO `%s`.submission_attempt (job_id, attempt, "
	    "submission_id, previous_submission_id, cluster, cause, state) "
	    "VALUES ('" SUB1 "', 2, '" SUB2 "', '" SUB1 "', 'c02', 'moved', "
	    "'done')", c.schema);
	ck_assert_int_eq(bpg_db_monitor_state(c.db, SUB2, "RUNNING", NULL,
	    &ei), BPG_OK);
	ck_assert_int_eq(count("event_id = '" SUB2 ".RUNNING.0' AND body "
	    "LIKE '%\"cluster\":\"c02\",\"appId\":null,\"attempt\":2,%'"),
	    1);
}
END_TEST

START_TEST(test_deliver)
{
	struct bpg_db_notify_item *items;
	struct bpg_errinfo ei = { "" };
	long long next, now;
	json_t *l;
	size_t n;
	char *d;

	row(SUB1);
	targets(SUB1, "{\"url\":\"https://a.example.com/h\"}");
	ck_assert_int_eq(bpg_db_monitor_state(c.db, SUB1, "RUNNING", NULL,
	    &ei), BPG_OK);
	now = atoll(tu_db_str(&c, "SELECT next_ms FROM `%s`.bpg_notify_outbox",
	    c.schema));
	ck_assert_int_eq(bpg_db_notify_due(c.db, now - 1, 10, &items, &n,
	    &next, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(next, now);
	bpg_db_notify_items_free(items, n);
	ck_assert_int_eq(bpg_db_notify_due(c.db, now, 10, &items, &n, &next,
	    &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(items[0].event_id, SUB1 ".RUNNING.0");
	ck_assert_str_eq(items[0].url, "https://a.example.com/h");
	ck_assert_ptr_nonnull(strstr(items[0].body, "\"state\":\"RUNNING\""));
	ck_assert_uint_eq(items[0].attempts, 0);
	/* A 500: pending, due again later. */
	ck_assert_int_eq(bpg_db_notify_result(c.db, &items[0],
	    BPG_DB_NOTIFY_PENDING, 1, now + 1000, 500, now, "HTTP 500", &ei),
	    BPG_OK);
	bpg_db_notify_items_free(items, n);
	ck_assert_int_eq(bpg_db_notify_due(c.db, now + 999, 10, &items, &n,
	    &next, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(next, now + 1000);
	bpg_db_notify_items_free(items, n);
	ck_assert_int_eq(bpg_db_notify_due(c.db, now + 1000, 10, &items, &n,
	    &next, &ei), BPG_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(items[0].attempts, 1);
	/* Then a 204: sent, due never. */
	ck_assert_int_eq(bpg_db_notify_result(c.db, &items[0],
	    BPG_DB_NOTIFY_SENT, 2, now + 1000, 204, 1700000000123LL, NULL,
	    &ei), BPG_OK);
	bpg_db_notify_items_free(items, n);
	ck_assert_int_eq(bpg_db_notify_due(c.db, LLONG_MAX / 2, 10, &items,
	    &n, &next, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(next, LLONG_MAX);
	bpg_db_notify_items_free(items, n);
	ck_assert_int_eq(bpg_db_notify_list(c.db, SUB1, &l, &ei), BPG_OK);
	d = json_dumps(json_object_get(l, "notifications"), JSON_COMPACT);
	ck_assert_str_eq(d, "[{\"eventId\":\"" SUB1 ".RUNNING.0\",\"state\":"
	    "\"sent\",\"attempts\":2,\"lastStatusCode\":204,\"lastError\":"
	    "null}]");
	free(d);
	d = json_dumps(json_array_get(json_object_get(l, "deliveries"), 1),
	    JSON_COMPACT);
	ck_assert_str_eq(d, "{\"eventId\":\"" SUB1 ".RUNNING.0\",\"attempt\":"
	    "2,\"statusCode\":204,\"time\":\"2023-11-14T22:13:20.123Z\","
	    "\"error\":null}");
	free(d);
	ck_assert_uint_eq(json_array_size(json_object_get(l, "deliveries")),
	    2);
	json_decref(l);
}
END_TEST

/* The sender's due query reads bpg_outbox_due, not the whole outbox. */
START_TEST(test_due_index)
{
	MYSQL_RES *res;
	MYSQL_FIELD *f;
	MYSQL_ROW r;
	unsigned i, nf;
	bool found = false;

	tu_db_exec(&c, "USE `%s`", c.schema);
	for (i = 0; i < 200; i++)
		tu_db_exec(&c, "INSERT INTO bpg_notify_outbox (event_id, "
		    "submission_id, url, body, first_ms, next_ms, state) "
		    "VALUES ('e%u', 's%u', 'https://a', '{}', 0, %u, '%s')",
		    i, i, i, i % 10 == 0 ? "pending" : "sent");
	tu_db_exec(&c, "ANALYZE TABLE bpg_notify_outbox");
	ck_assert_int_eq(mysql_query(c.admin, "EXPLAIN SELECT id, event_id, "
	    "submission_id, url, body, attempts, first_ms FROM "
	    "bpg_notify_outbox WHERE state = 'pending' AND next_ms <= 100 "
	    "ORDER BY next_ms, id LIMIT 50"), 0);
	res = mysql_store_result(c.admin);
	ck_assert_ptr_nonnull(res);
	nf = mysql_num_fields(res);
	while ((r = mysql_fetch_row(res)) != NULL)
		for (i = 0; i < nf; i++) {
			f = mysql_fetch_field_direct(res, i);
			if (strcmp(f->name, "key") == 0 && r[i] != NULL &&
			    strcmp(r[i], "bpg_outbox_due") == 0)
				found = true;
		}
	mysql_free_result(res);
	ck_assert_msg(found, "the due query does not read bpg_outbox_due");
}
END_TEST

/*
 * The admins' list of events given up on: only failed ones, newest first,
 * the receiver's host and never its URL's path (a webhook URL's path is
 * often its secret), the state the event told, the last attempt's time;
 * its query reads the outbox through bpg_outbox_due.
 */
START_TEST(test_failed_list)
{
	struct bpg_errinfo ei = { "" };
	json_t *out = NULL, *list, *o;
	char *text;

	tu_db_exec(&c, "USE `%s`", c.schema);
	tu_db_exec(&c, "INSERT INTO bpg_notify_outbox (event_id, "
	    "submission_id, url, body, attempts, first_ms, next_ms, state, "
	    "last_status, last_error) VALUES "
	    "('s1.FAILED.0', 's1', 'https://hooks.example.com/services/"
	    "T000/B000/SECRETTOKEN', '{}', 12, 0, 500, 'failed', 500, "
	    "'HTTP 500'), "
	    "('s2.COMPLETED.1', 's2', 'https://h2.example.com:8443/x?k=v', "
	    "'{}', 3, 0, 900, 'failed', NULL, 'connection refused'), "
	    "('s3.RUNNING.0', 's3', 'https://h3.example.com/', '{}', 1, 0, "
	    "700, 'pending', NULL, NULL), "
	    "('s4.LOST.0', 's4', 'https://h4.example.com/', '{}', 1, 0, 800, "
	    "'sent', 200, NULL)");
	tu_db_exec(&c, "INSERT INTO bpg_notify_delivery (event_id, "
	    "submission_id, attempt, status_code, time_ms, error) VALUES "
	    "('s1.FAILED.0', 's1', 11, 500, 1000, 'HTTP 500'), "
	    "('s1.FAILED.0', 's1', 12, 500, 2000, 'HTTP 500')");
	ck_assert_msg(bpg_db_notify_failed(c.db, &out, &ei) == BPG_OK, "%s",
	    ei.msg);
	ck_assert_ptr_nonnull(list = json_object_get(out, "notifications"));
	ck_assert_uint_eq(json_array_size(list), 2);
	o = json_array_get(list, 0); /* next_ms 900: the newest */
	ck_assert_str_eq(json_string_value(json_object_get(o,
	    "submissionId")), "s2");
	ck_assert_str_eq(json_string_value(json_object_get(o, "host")),
	    "h2.example.com:8443");
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")),
	    "COMPLETED");
	ck_assert(json_is_null(json_object_get(o, "lastStatusCode")));
	ck_assert(json_is_null(json_object_get(o, "time")));
	o = json_array_get(list, 1);
	ck_assert_str_eq(json_string_value(json_object_get(o, "eventId")),
	    "s1.FAILED.0");
	ck_assert_str_eq(json_string_value(json_object_get(o, "host")),
	    "hooks.example.com");
	ck_assert_str_eq(json_string_value(json_object_get(o, "state")),
	    "FAILED");
	ck_assert_int_eq(json_integer_value(json_object_get(o, "attempts")),
	    12);
	ck_assert_int_eq(json_integer_value(json_object_get(o,
	    "lastStatusCode")), 500);
	ck_assert_int_eq(json_integer_value(json_object_get(o, "time")),
	    2000);
	text = json_dumps(out, 0);
	ck_assert_ptr_null(strstr(text, "SECRETTOKEN"));
	ck_assert_ptr_null(strstr(text, "services"));
	free(text);
	json_decref(out);
	tu_db_exec(&c, "ANALYZE TABLE bpg_notify_outbox");
	ck_assert_str_eq(tu_db_explain_key(&c, "SELECT o.event_id, "
	    "o.submission_id, o.url FROM bpg_notify_outbox o WHERE o.state = "
	    "'failed' ORDER BY o.next_ms DESC LIMIT 100"), "bpg_outbox_due");
}
END_TEST

/*
 * notificationRetentionDays: finished events planned last before the
 * cut go, oldest first, a batch at a time, with their attempts; pending
 * ones and newer ones stay, whatever their age.
 */
START_TEST(test_purge)
{
	struct bpg_errinfo ei = { "" };
	unsigned long long n = 9;

	tu_db_exec(&c, "USE `%s`", c.schema);
	tu_db_exec(&c, "INSERT INTO bpg_notify_outbox (event_id, "
	    "submission_id, url, body, attempts, first_ms, next_ms, state) "
	    "VALUES "
	    "('o1.COMPLETED.0', 'o1', 'https://h/', '{}', 1, 0, 100, 'sent'), "
	    "('o2.FAILED.0', 'o2', 'https://h/', '{}', 9, 0, 300, 'failed'), "
	    "('o3.LOST.0', 'o3', 'https://h/', '{}', 1, 0, 200, 'sent'), "
	    "('p1.RUNNING.0', 'p1', 'https://h/', '{}', 3, 0, 50, 'pending'), "
	    "('n1.RUNNING.0', 'n1', 'https://h/', '{}', 1, 0, 5000, 'sent')");
	tu_db_exec(&c, "INSERT INTO bpg_notify_delivery (event_id, "
	    "submission_id, attempt, status_code, time_ms) VALUES "
	    "('o1.COMPLETED.0', 'o1', 1, 204, 90), "
	    "('o2.FAILED.0', 'o2', 8, 500, 280), "
	    "('o2.FAILED.0', 'o2', 9, 500, 290), "
	    "('o3.LOST.0', 'o3', 1, 204, 190), "
	    "('p1.RUNNING.0', 'p1', 3, 500, 40), "
	    "('n1.RUNNING.0', 'n1', 1, 204, 4990)");
	/* Sent ones first, oldest first: o1 and o3. */
	ck_assert_msg(bpg_db_notify_purge(c.db, 1000, 2, &n, &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(tu_db_str(&c, "SELECT GROUP_CONCAT(submission_id "
	    "ORDER BY submission_id) FROM bpg_notify_outbox"), "n1,o2,p1");
	ck_assert_msg(bpg_db_notify_purge(c.db, 1000, 2, &n, &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(bpg_db_notify_purge(c.db, 1000, 2, &n, &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(tu_db_str(&c, "SELECT GROUP_CONCAT(submission_id "
	    "ORDER BY submission_id) FROM bpg_notify_outbox"), "n1,p1");
	ck_assert_str_eq(tu_db_str(&c, "SELECT GROUP_CONCAT(submission_id "
	    "ORDER BY submission_id) FROM bpg_notify_delivery"), "n1,p1");
	ck_assert_int_eq(bpg_db_notify_purge(c.db, 1000, 0, &n, &ei),
	    BPG_EINVAL);
	tu_db_exec(&c, "ANALYZE TABLE bpg_notify_outbox");
	ck_assert_str_eq(tu_db_explain_key(&c, "SELECT id, submission_id, "
	    "event_id FROM bpg_notify_outbox WHERE state = 'sent' AND "
	    "next_ms < 1000 ORDER BY next_ms LIMIT 200"), "bpg_outbox_due");
	ck_assert_str_eq(tu_db_explain_key(&c, "DELETE FROM "
	    "bpg_notify_delivery WHERE submission_id = 'o1' AND event_id = "
	    "'o1.COMPLETED.0'"), "bpg_delivery_submission");
}
END_TEST

static Suite *
db_notify_suite(void)
{
	Suite *s = suite_create("db_notify");
	TCase *tc = tcase_create("server");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_events);
	tcase_add_test(tc, test_submission_failed);
	tcase_add_test(tc, test_moved);
	tcase_add_test(tc, test_deliver);
	tcase_add_test(tc, test_due_index);
	tcase_add_test(tc, test_failed_list);
	tcase_add_test(tc, test_purge);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(db_notify_suite());
}
