/*
 * Tests of lib/bpg_db_lease.c against the MariaDB server of
 * tests/run-unit.sh (BPG_TEST_DB_PORT): one of two holders takes the
 * lease, renewals keep the token, an expired lease goes to the other with
 * a higher token, a stale token's fenced statements are refused, the
 * ended term is on record, and of many holders racing for a fresh lease
 * exactly one wins.  (On a Galera cluster: tests/galera/check_galera.c.)
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <mysql.h>

#include "bpg_db.h"
#include "bpg_db_lease.h"
#include "testutil.h"

static char test_user[] = "bpg";
static char test_password[] = "bpg-test-pw";

struct ctx {
	char url[256], schema[64];
	struct bpg_dbconf conf;
	MYSQL *admin;
};

static unsigned int
db_port(void)
{
	return tu_env_port("BPG_TEST_DB_PORT", "mariadb.sh");
}

static void
admin_exec(struct ctx *c, const char *sql)
{
	ck_assert_msg(mysql_query(c->admin, sql) == 0, "%s: %s", sql,
	    mysql_error(c->admin));
}

/* The first column of the first row as a number; -1 for none or NULL. */
static long long
admin_num(struct ctx *c, const char *sql)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long v = -1;

	if (mysql_query(c->admin, sql) != 0 ||
	    (res = mysql_store_result(c->admin)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(c->admin));
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		v = atoll(row[0]);
	mysql_free_result(res);
	return v;
}

static void
ctx_open(struct ctx *c, const char *tag)
{
	char sql[256];

	memset(c, 0, sizeof(*c));
	snprintf(c->schema, sizeof(c->schema), "bpgl_%s_%ld", tag,
	    (long)getpid());
	snprintf(c->url, sizeof(c->url), "jdbc:mysql://127.0.0.1:%u/?"
	    "connectTimeout=5000&socketTimeout=10000", db_port());
	c->conf.connection_string = c->url;
	c->conf.user = test_user;
	c->conf.password = test_password;
	c->conf.db_name = c->schema;
	c->admin = mysql_init(NULL);
	ck_assert_msg(mysql_real_connect(c->admin, "127.0.0.1", test_user,
	    test_password, NULL, db_port(), NULL, 0) != NULL, "admin: %s",
	    mysql_error(c->admin));
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS `%s`", c->schema);
	admin_exec(c, sql);
}

static void
ctx_close(struct ctx *c)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS `%s`", c->schema);
	admin_exec(c, sql);
	mysql_close(c->admin);
}

/* A new handle, connected (the schema migrated). */
static struct bpg_db *
ctx_db(struct ctx *c)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db *db = NULL;

	ck_assert_msg(bpg_db_new(&c->conf, &db, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_msg(bpg_db_connect(db, &ei) == BPG_OK, "%s", ei.msg);
	return db;
}

static bool
has_row(struct bpg_db *db, const char *id)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_app a;

	ck_assert_msg(bpg_db_monitor_read(db, id, &a, &ei) == BPG_OK, "%s",
	    ei.msg);
	return a.found;
}

static struct bpg_db_lease
lease_try(struct bpg_db *db, const char *name, const char *holder,
    long long token, long long ms)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_lease l;

	ck_assert_msg(bpg_db_lease_acquire(db, name, holder, token, ms, &l,
	    &ei) == BPG_OK, "%s", ei.msg);
	return l;
}

/*
 * The lease: one of two holders takes it; the other sees who holds it;
 * renewals keep the token; once it expired by the database's clock the
 * other takes it with a higher token and the first one's renewal is
 * refused; a handle fenced by a stale token has its statements refused,
 * and the term that ended is on record with its writes.
 */
START_TEST(test_db_lease)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_lease l;
	struct ctx c;
	struct bpg_db *a, *b, *fa, *fb;
	char sql[512];
	int i;

	ctx_open(&c, "lease");
	a = ctx_db(&c);
	b = ctx_db(&c);
	fa = ctx_db(&c);
	fb = ctx_db(&c);
	l = lease_try(a, "ldr", "A", 0, 60000);
	ck_assert(l.held);
	ck_assert_int_eq(l.token, 1);
	l = lease_try(b, "ldr", "B", 0, 60000);
	ck_assert(!l.held);
	ck_assert_str_eq(l.holder, "A");
	ck_assert_int_eq(l.token, 1);
	ck_assert_int_gt(l.remaining_ms, 0);
	/* A renewal keeps the token; a wrong token is no renewal. */
	l = lease_try(a, "ldr", "A", 1, 60000);
	ck_assert(l.held);
	ck_assert_int_eq(l.token, 1);
	l = lease_try(a, "ldr", "A", 5, 60000);
	ck_assert(!l.held);

	/* A's fenced handle writes under token 1. */
	ck_assert_int_eq(bpg_db_set_fence(fa, "ldr", "A", 1, &ei), BPG_OK);
	ck_assert_msg(bpg_db_monitor_state(fa, "fence-1", "RUNNING", NULL,
	    &ei) == BPG_OK, "%s", ei.msg);
	ck_assert(!bpg_db_fence_refused(fa));
	ck_assert(has_row(b, "fence-1"));

	/*
	 * A's last renewal is for 1 ms (as if A then stopped renewing); B
	 * takes it once it expired by the database's clock, with token 2.
	 */
	l = lease_try(a, "ldr", "A", 1, 1);
	ck_assert(l.held);
	for (i = 0; i < 100; i++) {
		l = lease_try(b, "ldr", "B", 0, 60000);
		if (l.held)
			break;
		usleep(50000);
	}
	ck_assert(l.held);
	ck_assert_int_eq(l.token, 2);
	l = lease_try(a, "ldr", "A", 1, 60000);
	ck_assert(!l.held);
	ck_assert_str_eq(l.holder, "B");
	ck_assert_int_eq(l.token, 2);

	/* A's late write is refused by the database itself. */
	ck_assert_int_eq(bpg_db_monitor_state(fa, "fence-2", "RUNNING", NULL,
	    &ei), BPG_EDB);
	ck_assert(bpg_db_fence_refused(fa));
	ck_assert_ptr_nonnull(strstr(ei.msg, "token 1"));
	ck_assert(!has_row(b, "fence-2"));
	ck_assert_int_eq(bpg_db_set_fence(fb, "ldr", "B", 2, &ei), BPG_OK);
	ck_assert_msg(bpg_db_monitor_state(fb, "fence-3", "RUNNING", NULL,
	    &ei) == BPG_OK, "%s", ei.msg);
	ck_assert(has_row(b, "fence-3"));
	/* Token 0: a standby's handle runs nothing. */
	ck_assert_int_eq(bpg_db_set_fence(fa, "ldr", "A", 0, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_state(fa, "fence-4", "RUNNING", NULL,
	    &ei), BPG_EDB);
	ck_assert(bpg_db_fence_refused(fa));
	ck_assert(!has_row(b, "fence-4"));

	/* Term 1 is on record: A, one write, before term 2 began. */
	snprintf(sql, sizeof(sql), "SELECT writes FROM `%s`.bpg_lease_term "
	    "WHERE name = 'ldr' AND token = 1 AND holder = 'A'", c.schema);
	ck_assert_int_eq(admin_num(&c, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM `%s`.bpg_lease_term "
	    "t JOIN `%s`.bpg_lease l ON l.name = t.name WHERE t.token = 1 AND "
	    "l.token = 2 AND t.last_write_time < l.acquired_time", c.schema,
	    c.schema);
	ck_assert_int_eq(admin_num(&c, sql), 1);

	/* B lets it go: A takes it at once, with token 3. */
	ck_assert_int_eq(bpg_db_lease_release(b, "ldr", "B", 2, &ei), BPG_OK);
	l = lease_try(a, "ldr", "A", 0, 60000);
	ck_assert(l.held);
	ck_assert_int_eq(l.token, 3);

	ck_assert_int_eq(bpg_db_lease_acquire(a, "", "A", 0, 600, &l, &ei),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_db_lease_acquire(a, "ldr", "", 0, 600, &l, &ei),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_db_lease_acquire(a, "ldr", "A", 0, 0, &l, &ei),
	    BPG_EINVAL);
	bpg_db_free(fb);
	bpg_db_free(fa);
	bpg_db_free(a);
	bpg_db_free(b);
	ctx_close(&c);
}
END_TEST

/*
 * Many holders race for a fresh lease at once, each on its own
 * connection: exactly one wins.
 */
START_TEST(test_db_lease_race)
{
	enum { N = 6 };
	struct ctx c;
	struct bpg_db *db;
	char holder[16];
	pid_t pid[N];
	int i, st, wins = 0, go[2];
	char x;

	ctx_open(&c, "race");
	/* Migrate once first, so the race is about the lease alone. */
	db = ctx_db(&c);
	bpg_db_free(db);
	ck_assert_int_eq(pipe(go), 0);
	for (i = 0; i < N; i++) {
		ck_assert_int_ge(pid[i] = fork(), 0);
		if (pid[i] == 0) {
			struct bpg_errinfo ei = { "" };
			struct bpg_db_lease l;

			close(go[1]);
			db = ctx_db(&c);
			snprintf(holder, sizeof(holder), "H%d", i);
			/* All start when the pipe closes. */
			if (read(go[0], &x, 1) < 0)
				_exit(2);
			if (bpg_db_lease_acquire(db, "race", holder, 0, 60000,
			    &l, &ei) != BPG_OK)
				_exit(2);
			_exit(l.held ? 1 : 0);
		}
	}
	close(go[0]);
	close(go[1]);
	for (i = 0; i < N; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFEXITED(st));
		ck_assert_int_ne(WEXITSTATUS(st), 2);
		wins += WEXITSTATUS(st);
	}
	ck_assert_int_eq(wins, 1);
	ctx_close(&c);
}
END_TEST

/* Without a database the lease is always held, and nothing is fenced. */
START_TEST(test_disabled)
{
	struct bpg_dbconf conf = { NULL, NULL, NULL, NULL, NULL, 0 };
	struct bpg_errinfo ei = { "" };
	struct bpg_db *db = NULL;
	struct bpg_db_lease l;

	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_lease_acquire(db, "n", "me", 0, 1000, &l,
	    &ei), BPG_OK);
	ck_assert(l.held);
	ck_assert_int_eq(l.token, 1);
	ck_assert_int_eq(bpg_db_set_fence(db, "n", "me", 0, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_state(db, "x", "RUNNING", NULL, &ei),
	    BPG_OK);
	ck_assert_int_eq(bpg_db_lease_release(db, "n", "me", 1, &ei), BPG_OK);
	bpg_db_free(db);
}
END_TEST

static Suite *
db_lease_suite(void)
{
	Suite *s = suite_create("db_lease");
	TCase *tc = tcase_create("server");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_db_lease);
	tcase_add_test(tc, test_db_lease_race);
	tcase_add_test(tc, test_disabled);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(db_lease_suite());
}
