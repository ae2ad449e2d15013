/*
 * Idempotency keys: checks, request hashes and verdicts (lib/bpg_idem.c),
 * and the key table against the unit MariaDB (lib/bpg_db_idem.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <mysql.h>

#include "bpg_db.h"
#include "bpg_idem.h"
#include "testdb.h"
#include "testutil.h"

#define TEST_CASE_TIMEOUT 600

/* ---- keys ----------------------------------------------------------- */

static const struct {
	const char *key;
	size_t len;	/* 0: strlen(key) */
	const char *why; /* in the message; NULL: valid */
} keys[] = {
	{ "a", 0, NULL },
	{ "4f0c2f1e-0d7e-4b5e-9b1f-1d2c3b4a5e6f", 0, NULL },
	{ "with space and !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", 0, NULL },
	{ "", 0, "it is empty" },
	{ "ab\tcd", 0, "a control character at position 3" },
	{ "\x01", 0, "a control character at position 1" },
	{ "abc\x7f", 0, "a control character at position 4" },
	{ "line\nbreak", 0, "a control character at position 5" },
	{ "caf\xc3\xa9", 0, "a non-ASCII byte at position 4" },
	{ "nul\0after", 9, "a control character at position 4" },
};

START_TEST(test_check_key)
{
	struct bpg_errinfo ei = { "" };
	size_t len = keys[_i].len ? keys[_i].len : strlen(keys[_i].key);
	enum bpg_err e;

	e = bpg_idem_check_key(keys[_i].key, len, "Idempotency-Key header",
	    &ei);
	if (keys[_i].why == NULL) {
		ck_assert_msg(e == BPG_OK, "row %d: %s", _i, ei.msg);
		return;
	}
	ck_assert_msg(e == BPG_EINVAL, "row %d: accepted", _i);
	ck_assert_msg(strstr(ei.msg, keys[_i].why) != NULL &&
	    strstr(ei.msg, "Idempotency-Key header") != NULL,
	    "row %d: %s", _i, ei.msg);
}
END_TEST

START_TEST(test_key_length)
{
	struct bpg_errinfo ei = { "" };
	char k[BPG_IDEM_MAX_KEY + 2];

	memset(k, 'k', sizeof(k));
	ck_assert_int_eq(bpg_idem_check_key(k, BPG_IDEM_MAX_KEY, "key", &ei),
	    BPG_OK);
	ck_assert_int_eq(bpg_idem_check_key(k, BPG_IDEM_MAX_KEY + 1, "key",
	    &ei), BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, "129 characters long, longer than 128")
	    != NULL, "%s", ei.msg);
}
END_TEST

START_TEST(test_pick)
{
	struct bpg_errinfo ei = { "" };
	const char *key = "x";

	ck_assert_int_eq(bpg_idem_pick(NULL, NULL, &key, &ei), BPG_OK);
	ck_assert_ptr_null(key);
	ck_assert_int_eq(bpg_idem_pick("h", NULL, &key, &ei), BPG_OK);
	ck_assert_str_eq(key, "h");
	ck_assert_int_eq(bpg_idem_pick(NULL, "f", &key, &ei), BPG_OK);
	ck_assert_str_eq(key, "f");
	ck_assert_int_eq(bpg_idem_pick("same", "same", &key, &ei), BPG_OK);
	ck_assert_str_eq(key, "same");
	/* Case counts: keys are compared byte for byte. */
	ck_assert_int_eq(bpg_idem_pick("Same", "same", &key, &ei),
	    BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, "differ") != NULL, "%s", ei.msg);
	ck_assert_ptr_null(key);
	ck_assert_int_eq(bpg_idem_pick("", NULL, &key, &ei), BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, "Idempotency-Key header: it is empty")
	    != NULL, "%s", ei.msg);
	ck_assert_int_eq(bpg_idem_pick(NULL, "a\x01", &key, &ei), BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, "idempotencyKey field") != NULL, "%s",
	    ei.msg);
}
END_TEST

/* ---- hashes --------------------------------------------------------- */

static void
hash_of(const struct bpg_idem_req *r, char out[BPG_IDEM_HASH_HEX + 1])
{
	struct bpg_errinfo ei = { "" };

	ck_assert_int_eq(bpg_idem_hash(r, out, &ei), BPG_OK);
	ck_assert_uint_eq(strlen(out), BPG_IDEM_HASH_HEX);
}

START_TEST(test_hash)
{
	struct bpg_idem_req base = { "POST", "/spark", "application/json",
	    NULL, "{}", 2 }, r;
	char h0[BPG_IDEM_HASH_HEX + 1], h[BPG_IDEM_HASH_HEX + 1];

	/* SHA-256 of "bpg-idem-1\n+4:POST+6:/spark+16:application/json-+2:{}"
	 * (Python's hashlib). */
	hash_of(&base, h0);
	ck_assert_str_eq(h0, "ad99a31ee5d0df29038075fd947b0679"
	    "699b285893819def1995c347523c052c");
	hash_of(&base, h);
	ck_assert_str_eq(h, h0);
	/* Each part counts. */
	r = base;
	r.body = "{ }";
	r.body_len = 3;
	hash_of(&r, h);
	ck_assert_str_ne(h, h0);
	r = base;
	r.content_type = "application/yaml";
	hash_of(&r, h);
	ck_assert_str_ne(h, h0);
	r = base;
	r.dag_user = "dag-owner";
	hash_of(&r, h);
	ck_assert_str_ne(h, h0);
	/* Absent and empty differ; fields cannot slide into each other. */
	r = base;
	r.dag_user = "";
	hash_of(&r, h);
	ck_assert_str_ne(h, h0);
	r = base;
	r.path = "/spar";
	r.content_type = "kapplication/json";
	hash_of(&r, h);
	ck_assert_str_ne(h, h0);
}
END_TEST

/* ---- verdicts ------------------------------------------------------- */

static const struct {
	struct bpg_idem_seen s;
	enum bpg_idem_verdict want;
} verdicts[] = {
	{ { BPG_IDEM_DONE, true, true, 5 }, BPG_IDEM_REPLAY },
	{ { BPG_IDEM_DONE, false, true, 5 }, BPG_IDEM_MISMATCH },
	{ { BPG_IDEM_PENDING, false, false, 0 }, BPG_IDEM_MISMATCH },
	{ { BPG_IDEM_PENDING, true, false, 0 }, BPG_IDEM_WAIT },
	{ { BPG_IDEM_PENDING, true, true, 149 }, BPG_IDEM_WAIT },
	{ { BPG_IDEM_PENDING, true, true, 150 }, BPG_IDEM_RESOLVE },
	{ { BPG_IDEM_PENDING, true, false, 150 }, BPG_IDEM_TAKEOVER },
	{ { BPG_IDEM_UNKNOWN, true, true, 0 }, BPG_IDEM_RESOLVE },
	{ { BPG_IDEM_UNKNOWN, false, true, 0 }, BPG_IDEM_MISMATCH },
};

START_TEST(test_judge)
{
	ck_assert_msg(bpg_idem_judge(&verdicts[_i].s, 150) ==
	    verdicts[_i].want, "row %d", _i);
}
END_TEST

static const struct {
	struct bpg_idem_sub s;
	bool stale;
	enum bpg_idem_outcome want;
} outcomes[] = {
	{ { false, false, NULL, false, false, false, false }, true,
	  BPG_IDEM_NOT_CREATED },
	{ { false, false, NULL, false, false, false, false }, false,
	  BPG_IDEM_UNSETTLED },
	{ { true, false, NULL, false, false, false, false },
	  true, BPG_IDEM_UNSETTLED },
	{ { true, true, "SUBMISSION_FAILED", false, false, false, false }, true,
	  BPG_IDEM_NOT_CREATED },
	/* LOST: only a row no SparkApplication ever appeared for may run
	 * again; one that was seen, even without an app ID or a start (a
	 * driver may have started unseen), is the answer. */
	{ { true, true, "LOST", false, false, true, false }, true,
	  BPG_IDEM_NOT_CREATED },
	{ { true, true, "LOST", false, false, false, false },
	  true, BPG_IDEM_CREATED },
	{ { true, true, "LOST", true, false, false, false },
	  true, BPG_IDEM_CREATED },
	{ { true, true, "LOST", false, true, false, false },
	  true, BPG_IDEM_CREATED },
	{ { true, true, "SUBMITTED", false, false, false, false }, true,
	  BPG_IDEM_CREATED },
	{ { true, true, "RUNNING", true, true, false, false }, false,
	  BPG_IDEM_CREATED },
	{ { true, true, "COMPLETED", true, true, false, false }, true,
	  BPG_IDEM_CREATED },
	/* A move or retry carries the job on: the first ID is the answer,
	 * even marked SUBMISSION_FAILED ("moved to ...") or LOST. */
	{ { true, true, "SUBMISSION_FAILED", false, false, false, true }, true,
	  BPG_IDEM_CREATED },
	{ { true, true, "LOST", false, false, true, true }, true,
	  BPG_IDEM_CREATED },
};

START_TEST(test_settle)
{
	ck_assert_msg(bpg_idem_settle(&outcomes[_i].s, outcomes[_i].stale) ==
	    outcomes[_i].want, "row %d", _i);
}
END_TEST

START_TEST(test_states)
{
	enum bpg_idem_state s;
	unsigned i;

	for (i = 0; i < BPG_IDEM__MAX; i++) {
		ck_assert(bpg_idem_state_of(bpg_idem_state_name(i), &s));
		ck_assert_uint_eq(s, i);
	}
	ck_assert(!bpg_idem_state_of("Done", &s));
	ck_assert(!bpg_idem_state_of(NULL, &s));
}
END_TEST

/* ---- against a server ----------------------------------------------- */

#define OWNER_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define OWNER_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define OWNER_C "cccccccccccccccccccccccccccccccc"
#define HASH_1 "11111111111111111111111111111111" \
    "11111111111111111111111111111111"
#define HASH_2 "22222222222222222222222222222222" \
    "22222222222222222222222222222222"

static bool
claim(struct tu_db *c, const char *user, const char *key, const char *owner,
    const char *hash)
{
	struct bpg_db_idem_ref r = { user, key };
	struct bpg_errinfo ei = { "" };
	bool won = true;

	ck_assert_msg(bpg_db_idem_claim(c->db, &r, owner, hash, 3600, &won,
	    &ei) == BPG_OK, "claim: %s", ei.msg);
	return won;
}

static void
read_row(struct tu_db *c, const char *user, const char *key,
    struct bpg_db_idem_row *row)
{
	struct bpg_db_idem_ref r = { user, key };
	struct bpg_errinfo ei = { "" };

	ck_assert_msg(bpg_db_idem_read(c->db, &r, row, &ei) == BPG_OK,
	    "read: %s", ei.msg);
}

/* Winner and loser, the submission ID, the answer byte for byte. */
START_TEST(test_db_winner_loser)
{
	static const char answer[] = "{\"submissionId\":\"x\"}\0tail";
	struct bpg_db_idem_ref r = { "alice", "key-1" };
	struct bpg_db_idem_row row;
	struct bpg_errinfo ei = { "" };
	struct tu_db c;

	tu_db_open(&c, "win");
	memset(&row, 0, sizeof(row));
	ck_assert(claim(&c, "alice", "key-1", OWNER_A, HASH_1));
	ck_assert(!claim(&c, "alice", "key-1", OWNER_B, HASH_1));
	ck_assert(!claim(&c, "alice", "key-1", OWNER_B, HASH_2));
	read_row(&c, "alice", "key-1", &row);
	ck_assert(row.found);
	ck_assert_str_eq(row.owner, OWNER_A);
	ck_assert_str_eq(row.hash, HASH_1);
	ck_assert_int_eq(row.state, BPG_IDEM_PENDING);
	ck_assert(!row.has_submission);
	ck_assert_int_le(row.age_s, 5);
	/* Only the owner writes. */
	ck_assert_int_eq(bpg_db_idem_set_submission(c.db, &r, OWNER_B,
	    "spark-cluster-a-0123", &ei), BPG_OK);
	read_row(&c, "alice", "key-1", &row);
	ck_assert(!row.has_submission);
	ck_assert_int_eq(bpg_db_idem_set_submission(c.db, &r, OWNER_A,
	    "spark-cluster-a-0123", &ei), BPG_OK);
	read_row(&c, "alice", "key-1", &row);
	ck_assert(row.has_submission);
	ck_assert_str_eq(row.submission_id, "spark-cluster-a-0123");
	ck_assert_int_eq(bpg_db_idem_finish(c.db, &r, OWNER_A, BPG_IDEM_DONE,
	    200, "application/json", answer, sizeof(answer) - 1, &ei), BPG_OK);
	read_row(&c, "alice", "key-1", &row);
	ck_assert_int_eq(row.state, BPG_IDEM_DONE);
	ck_assert_int_eq(row.http_status, 200);
	ck_assert_str_eq(row.content_type, "application/json");
	ck_assert(row.has_answer);
	ck_assert_uint_eq(row.answer_len, sizeof(answer) - 1);
	ck_assert(memcmp(row.answer, answer, sizeof(answer) - 1) == 0);
	/* A done row is never taken over nor finished again. */
	ck_assert_int_eq(bpg_db_idem_finish(c.db, &r, OWNER_A, BPG_IDEM_DONE,
	    400, "application/json", "{}", 2, &ei), BPG_OK);
	read_row(&c, "alice", "key-1", &row);
	ck_assert_int_eq(row.http_status, 200);
	ck_assert_int_eq(tu_db_long(&c, "SELECT COUNT(*) FROM `%s`."
	    "bpg_idempotency_key", c.schema), 1);
	/* Too large an answer is refused, not cut. */
	{
		char *big = calloc(1, BPG_IDEM_MAX_ANSWER + 1);

		ck_assert_ptr_nonnull(big);
		ck_assert_int_eq(bpg_db_idem_finish(c.db, &r, OWNER_A,
		    BPG_IDEM_DONE, 200, "application/json", big,
		    BPG_IDEM_MAX_ANSWER + 1, &ei), BPG_ETOOBIG);
		free(big);
	}
	bpg_db_idem_row_reset(&row);
	tu_db_close(&c);
}
END_TEST

/* Keys are per user and case-sensitive; users too. */
START_TEST(test_db_scope)
{
	struct tu_db c;

	tu_db_open(&c, "scope");
	ck_assert(claim(&c, "alice", "k", OWNER_A, HASH_1));
	ck_assert(claim(&c, "bob", "k", OWNER_B, HASH_1));
	ck_assert(claim(&c, "alice", "K", OWNER_C, HASH_1));
	ck_assert(claim(&c, "Alice", "k", OWNER_C, HASH_1));
	ck_assert(!claim(&c, "alice", "k", OWNER_C, HASH_1));
	ck_assert_int_eq(tu_db_long(&c, "SELECT COUNT(*) FROM `%s`."
	    "bpg_idempotency_key", c.schema), 4);
	tu_db_close(&c);
}
END_TEST

/* An expired row is absent at once, sweep or not; the sweep deletes. */
START_TEST(test_db_expiry)
{
	struct bpg_db_idem_row row;
	struct bpg_errinfo ei = { "" };
	unsigned long long n = 99;
	struct tu_db c;
	int i;

	tu_db_open(&c, "exp");
	memset(&row, 0, sizeof(row));
	ck_assert(claim(&c, "alice", "old", OWNER_A, HASH_1));
	ck_assert(claim(&c, "alice", "live", OWNER_A, HASH_1));
	tu_db_exec(&c, "UPDATE `%s`.bpg_idempotency_key SET expires_time = "
	    "NOW() - INTERVAL 1 SECOND WHERE idem_key = 'old'", c.schema);
	read_row(&c, "alice", "old", &row);
	ck_assert(!row.found);
	/* Claimed again, by someone else, with another request. */
	ck_assert(claim(&c, "alice", "old", OWNER_B, HASH_2));
	read_row(&c, "alice", "old", &row);
	ck_assert(row.found);
	ck_assert_str_eq(row.owner, OWNER_B);
	ck_assert_str_eq(row.hash, HASH_2);
	/* The sweep: batches, only expired rows. */
	for (i = 0; i < 25; i++) {
		char k[32];

		snprintf(k, sizeof(k), "gone-%d", i);
		ck_assert(claim(&c, "bob", k, OWNER_A, HASH_1));
	}
	tu_db_exec(&c, "UPDATE `%s`.bpg_idempotency_key SET expires_time = "
	    "NOW() - INTERVAL 1 DAY WHERE `user` = 'bob'", c.schema);
	ck_assert_int_eq(bpg_db_idem_sweep(c.db, 10, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(bpg_db_idem_sweep(c.db, 10, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(bpg_db_idem_sweep(c.db, 10, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(bpg_db_idem_sweep(c.db, 10, &n, &ei), BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(tu_db_long(&c, "SELECT COUNT(*) FROM `%s`."
	    "bpg_idempotency_key", c.schema), 2);
	bpg_db_idem_row_reset(&row);
	tu_db_close(&c);
}
END_TEST

/* A key whose owner is gone passes to one of the requests taking it. */
START_TEST(test_db_takeover)
{
	struct bpg_db_idem_ref r = { "alice", "k" };
	struct bpg_db_idem_row row;
	struct bpg_errinfo ei = { "" };
	bool won = false;
	struct tu_db c;

	tu_db_open(&c, "take");
	memset(&row, 0, sizeof(row));
	ck_assert(claim(&c, "alice", "k", OWNER_A, HASH_1));
	ck_assert_int_eq(bpg_db_idem_set_submission(c.db, &r, OWNER_A,
	    "spark-cluster-a-1", &ei), BPG_OK);
	tu_db_exec(&c, "UPDATE `%s`.bpg_idempotency_key SET claimed_time = "
	    "NOW() - INTERVAL 1 HOUR", c.schema);
	read_row(&c, "alice", "k", &row);
	ck_assert_int_ge(row.age_s, 3599);
	/* B and C both saw owner A: one wins. */
	ck_assert_int_eq(bpg_db_idem_takeover(c.db, &r, OWNER_A, OWNER_B,
	    HASH_1, &won, &ei), BPG_OK);
	ck_assert(won);
	ck_assert_int_eq(bpg_db_idem_takeover(c.db, &r, OWNER_A, OWNER_C,
	    HASH_1, &won, &ei), BPG_OK);
	ck_assert(!won);
	read_row(&c, "alice", "k", &row);
	ck_assert_str_eq(row.owner, OWNER_B);
	ck_assert_int_eq(row.state, BPG_IDEM_PENDING);
	ck_assert(!row.has_submission);
	ck_assert_int_le(row.age_s, 5);
	/* The 504 state keeps the ID; release deletes the owner's row. */
	ck_assert_int_eq(bpg_db_idem_set_submission(c.db, &r, OWNER_B,
	    "spark-cluster-b-2", &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_idem_finish(c.db, &r, OWNER_B,
	    BPG_IDEM_UNKNOWN, 504, "application/json", "{}", 2, &ei), BPG_OK);
	read_row(&c, "alice", "k", &row);
	ck_assert_int_eq(row.state, BPG_IDEM_UNKNOWN);
	ck_assert_str_eq(row.submission_id, "spark-cluster-b-2");
	ck_assert_int_eq(bpg_db_idem_release(c.db, &r, OWNER_A, &ei), BPG_OK);
	read_row(&c, "alice", "k", &row);
	ck_assert(row.found);
	ck_assert_int_eq(bpg_db_idem_release(c.db, &r, OWNER_B, &ei), BPG_OK);
	read_row(&c, "alice", "k", &row);
	ck_assert(!row.found);
	bpg_db_idem_row_reset(&row);
	tu_db_close(&c);
}
END_TEST

/* The index EXPLAIN names for sql, its "?" filled in from vals, or "". */
static void
plan_key(struct tu_db *c, const char *sql, const char *const *vals, char *key,
    size_t len)
{
	char q[2048], *p;
	const char *s;
	MYSQL_RES *res;
	MYSQL_ROW row;
	MYSQL_FIELD *f;
	unsigned int i, n;

	p = q + snprintf(q, sizeof(q), "EXPLAIN ");
	for (s = sql; *s != '\0' && p < q + sizeof(q) - 8; s++) {
		if (*s == '?') {
			ck_assert_ptr_nonnull(*vals);
			p += snprintf(p, (size_t)(q + sizeof(q) - p), "%s",
			    *vals++);
			continue;
		}
		*p++ = *s;
	}
	*p = '\0';
	if (mysql_query(c->admin, q) != 0 ||
	    (res = mysql_store_result(c->admin)) == NULL)
		ck_abort_msg("%s: %s", q, mysql_error(c->admin));
	key[0] = '\0';
	n = mysql_num_fields(res);
	f = mysql_fetch_fields(res);
	if ((row = mysql_fetch_row(res)) != NULL)
		for (i = 0; i < n; i++)
			if (strcmp(f[i].name, "key") == 0 && row[i] != NULL)
				snprintf(key, len, "%s", row[i]);
	mysql_free_result(res);
}

START_TEST(test_db_explain)
{
	static const char *const read_vals[] = { "'alice'", "'k-1'", NULL };
	static const char *const sweep_vals[] = { "1000", NULL };
	char key[128];
	struct tu_db c;
	int i;

	tu_db_open(&c, "expl");
	/* Enough rows that a scan would not be chosen. */
	for (i = 0; i < 300; i++) {
		char k[16];

		snprintf(k, sizeof(k), "k-%d", i);
		ck_assert(claim(&c, i % 2 ? "alice" : "bob", k, OWNER_A,
		    HASH_1));
	}
	tu_db_exec(&c, "ANALYZE TABLE `%s`.bpg_idempotency_key", c.schema);
	{
		MYSQL_RES *res = mysql_store_result(c.admin);

		mysql_free_result(res);
	}
	plan_key(&c, bpg_db_idem_sql(c.db, BPG_DB_IDEM_READ), read_vals, key,
	    sizeof(key));
	ck_assert_str_eq(key, "PRIMARY");
	plan_key(&c, bpg_db_idem_sql(c.db, BPG_DB_IDEM_SWEEP), sweep_vals,
	    key, sizeof(key));
	ck_assert_str_eq(key, "bpg_idem_expires");
	tu_db_close(&c);
}
END_TEST

static Suite *
idem_suite(void)
{
	Suite *s = suite_create("idem");
	TCase *tc;

	tc = tcase_create("logic");
	tcase_add_loop_test(tc, test_check_key, 0,
	    (int)(sizeof(keys) / sizeof(keys[0])));
	tcase_add_test(tc, test_key_length);
	tcase_add_test(tc, test_pick);
	tcase_add_test(tc, test_hash);
	tcase_add_loop_test(tc, test_judge, 0,
	    (int)(sizeof(verdicts) / sizeof(verdicts[0])));
	tcase_add_loop_test(tc, test_settle, 0,
	    (int)(sizeof(outcomes) / sizeof(outcomes[0])));
	tcase_add_test(tc, test_states);
	suite_add_tcase(s, tc);

	tc = tcase_create("server");
	tcase_set_timeout(tc, TEST_CASE_TIMEOUT);
	tcase_add_test(tc, test_db_winner_loser);
	tcase_add_test(tc, test_db_scope);
	tcase_add_test(tc, test_db_expiry);
	tcase_add_test(tc, test_db_takeover);
	tcase_add_test(tc, test_db_explain);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(idem_suite());
}
