/*
 * The leader lease on a 3-node Galera cluster on the loopback
 * (tests/ha/galera.sh test, which passes the nodes' SQL ports in
 * BPG_TEST_GALERA_PORTS="p1,p2,p3").  GET_LOCK is local to a node, so it
 * cannot elect one monitor among nodes; the lease can: takes racing on
 * different nodes leave one holder, a deposed holder's fenced writes on
 * its node are refused, and two monitors connected to different nodes,
 * their leader stopped and continued again and again, never both act
 * (checked from the lease's terms, stamped by the database).  Timings
 * are printed, never asserted.  And a URL listing the nodes fails over
 * to the next when its node leaves the primary component.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <mysql.h>

#include "bpg_config.h"
#include "bpg_db.h"
#include "bpg_db_lease.h"
#include "bpg_monitor.h"
#include "testutil.h"

#define NODES 3

static char test_user[] = "bpg";
static char test_password[] = "bpg-test-pw";

static unsigned int port[NODES];
static char schema[64];
static char url[NODES][160];

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void
read_ports(void)
{
	const char *s = getenv("BPG_TEST_GALERA_PORTS");
	int i;

	if (s == NULL || sscanf(s, "%u,%u,%u", &port[0], &port[1],
	    &port[2]) != 3) {
		fprintf(stderr, "check_galera: BPG_TEST_GALERA_PORTS is not "
		    "set: run it through sh tests/ha/galera.sh test DIR BASE\n");
		exit(2);
	}
	for (i = 0; i < NODES; i++)
		snprintf(url[i], sizeof(url[i]), "jdbc:mysql://127.0.0.1:%u/"
		    "?connectTimeout=5000&socketTimeout=20000", port[i]);
}

/* A root-like session on node i; read-your-writes across nodes. */
static MYSQL *
raw(int i)
{
	MYSQL *my = mysql_init(NULL);

	ck_assert_msg(mysql_real_connect(my, "127.0.0.1", test_user,
	    test_password, NULL, port[i], NULL, 0) != NULL, "node %d: %s",
	    i + 1, mysql_error(my));
	ck_assert_msg(mysql_query(my, "SET SESSION wsrep_sync_wait = 1") == 0,
	    "%s", mysql_error(my));
	return my;
}

static void
raw_exec(MYSQL *my, const char *sql)
{
	ck_assert_msg(mysql_query(my, sql) == 0, "%s: %s", sql,
	    mysql_error(my));
}

static long long
raw_num(MYSQL *my, const char *sql)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long v = -1;

	if (mysql_query(my, sql) != 0 ||
	    (res = mysql_store_result(my)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(my));
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		v = atoll(row[0]);
	mysql_free_result(res);
	return v;
}

static void
schema_fresh(const char *tag)
{
	char sql[160];
	MYSQL *my = raw(0);

	snprintf(schema, sizeof(schema), "bpgg_%s_%ld", tag, (long)getpid());
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS `%s`", schema);
	raw_exec(my, sql);
	mysql_close(my);
}

static void
schema_drop(void)
{
	char sql[160];
	MYSQL *my = raw(0);

	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS `%s`", schema);
	raw_exec(my, sql);
	mysql_close(my);
}

/* A handle on node i, connected (and the schema migrated). */
static struct bpg_db *
node_db(int i)
{
	struct bpg_dbconf conf;
	struct bpg_errinfo ei = { "" };
	struct bpg_db *db = NULL;

	memset(&conf, 0, sizeof(conf));
	conf.connection_string = url[i];
	conf.user = test_user;
	conf.password = test_password;
	conf.db_name = schema;
	ck_assert_msg(bpg_db_new(&conf, &db, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_msg(bpg_db_connect(db, &ei) == BPG_OK, "node %d: %s", i + 1,
	    ei.msg);
	return db;
}

/*
 * At no moment did two holders act: no term of lease name wrote at or
 * after the next one was taken; tokens are never reused.  Prints the
 * terms; returns how many there were.
 */
static long long
assert_terms(MYSQL *my, const char *name)
{
	char terms[768], sql[1536];
	MYSQL_RES *res;
	MYSQL_ROW row;

	snprintf(terms, sizeof(terms), "WITH t AS (SELECT token, holder, "
	    "acquired_time, first_write_time, last_write_time, writes FROM "
	    "`%s`.bpg_lease_term WHERE name = '%s' UNION ALL SELECT token, "
	    "holder, acquired_time, first_write_time, last_write_time, writes "
	    "FROM `%s`.bpg_lease WHERE name = '%s' AND token > 0) ", schema,
	    name, schema, name);
	snprintf(sql, sizeof(sql), "%sSELECT COUNT(*) FROM t a JOIN t b ON "
	    "b.token = a.token + 1 WHERE a.last_write_time >= b.acquired_time",
	    terms);
	ck_assert_int_eq(raw_num(my, sql), 0);
	snprintf(sql, sizeof(sql), "%sSELECT COUNT(*) - COUNT(DISTINCT token) "
	    "FROM t", terms);
	ck_assert_int_eq(raw_num(my, sql), 0);
	snprintf(sql, sizeof(sql), "%sSELECT token, holder, acquired_time, "
	    "writes, first_write_time, last_write_time FROM t ORDER BY token",
	    terms);
	raw_exec(my, sql);
	ck_assert_ptr_nonnull(res = mysql_store_result(my));
	while ((row = mysql_fetch_row(res)) != NULL)
		fprintf(stderr, "  term %s: %s taken %s, %s writes (%s to "
		    "%s)\n", row[0], row[1], row[2] ? row[2] : "-", row[3],
		    row[4] ? row[4] : "-", row[5] ? row[5] : "-");
	mysql_free_result(res);
	snprintf(sql, sizeof(sql), "%sSELECT COUNT(*) FROM t", terms);
	return raw_num(my, sql);
}

/*
 * Why GET_LOCK had to go: node 2 grants a user lock node 1 holds.
 */
START_TEST(test_get_lock_is_local)
{
	MYSQL *a = raw(0), *b = raw(1);

	ck_assert_int_eq(raw_num(a, "SELECT GET_LOCK('bpg-galera-test', 0)"),
	    1);
	ck_assert_int_eq(raw_num(b, "SELECT GET_LOCK('bpg-galera-test', 0)"),
	    1);
	mysql_close(b);
	mysql_close(a);
}
END_TEST

/*
 * Takes racing on all three nodes at once, ten times: exactly one wins
 * each time; the others see it held or lose certification (1213).
 */
START_TEST(test_race_across_nodes)
{
	enum { N = 6, ROUNDS = 10 };
	struct bpg_db *db;
	pid_t pid[N];
	char name[32], x;
	int r, i, st, wins, lost, go[2];

	schema_fresh("race");
	db = node_db(0);
	bpg_db_free(db);
	for (r = 0; r < ROUNDS; r++) {
		snprintf(name, sizeof(name), "race-%d", r);
		ck_assert_int_eq(pipe(go), 0);
		for (i = 0; i < N; i++) {
			ck_assert_int_ge(pid[i] = fork(), 0);
			if (pid[i] == 0) {
				struct bpg_errinfo ei = { "" };
				struct bpg_db_lease l;
				char holder[16];

				close(go[1]);
				db = node_db(i % NODES);
				snprintf(holder, sizeof(holder), "H%d", i);
				if (read(go[0], &x, 1) < 0)
					_exit(3);
				if (bpg_db_lease_acquire(db, name, holder, 0,
				    60000, &l, &ei) != BPG_OK)
					_exit(2);
				_exit(l.held ? 1 : 0);
			}
		}
		close(go[0]);
		close(go[1]);
		wins = lost = 0;
		for (i = 0; i < N; i++) {
			ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
			ck_assert(WIFEXITED(st));
			ck_assert_int_ne(WEXITSTATUS(st), 3);
			if (WEXITSTATUS(st) == 1)
				wins++;
			else if (WEXITSTATUS(st) == 2)
				lost++;
		}
		fprintf(stderr, "race %d: %d winner, %d failed certification "
		    "or lost the row's seed\n", r, wins, lost);
		ck_assert_int_eq(wins, 1);
	}
	schema_drop();
}
END_TEST

static struct bpg_db_lease
lease_try(struct bpg_db *db, const char *holder, long long token,
    long long ms)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_lease l;

	memset(&l, 0, sizeof(l));
	/* On Galera a take may lose certification: that is a refusal. */
	if (bpg_db_lease_acquire(db, "ldr", holder, token, ms, &l, &ei) !=
	    BPG_OK)
		fprintf(stderr, "lease %s: %s\n", holder, ei.msg);
	return l;
}

/*
 * A holds the lease through node 1 and writes there; it lapses; B takes
 * it through node 2 with a higher token; A's fenced write on node 1 is
 * refused, B's on node 2 passes and node 3 sees it.
 */
START_TEST(test_fence_across_nodes)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_lease l;
	struct bpg_db *a, *b, *fa, *fb;
	MYSQL *c;
	char sql[256];
	int i;

	schema_fresh("fence");
	a = node_db(0);
	fa = node_db(0);
	b = node_db(1);
	fb = node_db(1);
	c = raw(2);
	l = lease_try(a, "A", 0, 60000);
	ck_assert(l.held);
	ck_assert_int_eq(bpg_db_set_fence(fa, "ldr", "A", l.token, &ei),
	    BPG_OK);
	ck_assert_msg(bpg_db_monitor_state(fa, "g-1", "RUNNING", NULL, &ei) ==
	    BPG_OK, "%s", ei.msg);
	/* A's last renewal is for 1 ms: then it lapses. */
	l = lease_try(a, "A", 1, 1);
	ck_assert(l.held);
	for (i = 0; i < 200; i++) {
		l = lease_try(b, "B", 0, 60000);
		if (l.held)
			break;
		sleep_ms(50);
	}
	ck_assert(l.held);
	ck_assert_int_eq(l.token, 2);
	ck_assert_int_eq(bpg_db_monitor_state(fa, "g-2", "RUNNING", NULL,
	    &ei), BPG_EDB);
	ck_assert(bpg_db_fence_refused(fa));
	ck_assert_int_eq(bpg_db_set_fence(fb, "ldr", "B", 2, &ei), BPG_OK);
	ck_assert_msg(bpg_db_monitor_state(fb, "g-3", "RUNNING", NULL, &ei) ==
	    BPG_OK, "%s", ei.msg);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM `%s`."
	    "application_submission WHERE submission_id IN ('g-1', 'g-3')",
	    schema);
	ck_assert_int_eq(raw_num(c, sql), 2);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM `%s`."
	    "application_submission WHERE submission_id = 'g-2'", schema);
	ck_assert_int_eq(raw_num(c, sql), 0);
	ck_assert_int_eq(assert_terms(c, "ldr"), 2);
	mysql_close(c);
	bpg_db_free(fb);
	bpg_db_free(b);
	bpg_db_free(fa);
	bpg_db_free(a);
	schema_drop();
}
END_TEST

static void
mon_log(void *arg, enum bpg_monitor_level lvl, const char *msg)
{
	(void)lvl;
	fprintf(stderr, "  monitor %s [%ld]: %s\n", (const char *)arg,
	    (long)getpid(), msg);
}

/* A child running a monitor through node i until killed. */
static pid_t
monitor_child(int i, const char *tag)
{
	struct bpg_config *cfg;
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;
	struct bpg_errinfo ei = { "" };
	char yaml[1024];
	pid_t pid;

	ck_assert_int_ge(pid = fork(), 0);
	if (pid != 0)
		return pid;
	/* No API server: its lists fail and are retried; the lease and the
	 * schedule task's fenced reads go on all the same. */
	snprintf(yaml, sizeof(yaml),
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 1, masterUrl: 'http://127.0.0.1:%u',\n"
	    "     sparkApplicationNamespace: ns, timeoutMillis: 2000,\n"
	    "     userTokenSOPS: 'plaintext:token-0123456789'}\n"
	    "dbStorageSOPS: {connectionString: '%s', user: bpg,\n"
	    "  password: bpg-test-pw, dbName: %s}\n"
	    "monitorLeaseMillis: 4000\n"
	    "monitorLeaseRenewMillis: 1000\n", tu_closed_port(), url[i],
	    schema);
	cfg = tu_config(yaml, NULL);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.log = mon_log;
	o.log_arg = (void *)(uintptr_t)tag;
	if (bpg_monitor_new(&o, &m, &ei) != BPG_OK) {
		fprintf(stderr, "monitor %s: %s\n", tag, ei.msg);
		_exit(2);
	}
	for (;;)
		if (bpg_monitor_step(m, 200, &ei) != BPG_OK)
			fprintf(stderr, "monitor %s: %s\n", tag, ei.msg);
}

/* The pid in the lease's holder ("host/pid/random"), 0 if none. */
static pid_t
holder_pid(MYSQL *my)
{
	char sql[256];
	MYSQL_RES *res;
	MYSQL_ROW row;
	const char *p;
	pid_t pid = 0;

	snprintf(sql, sizeof(sql), "SELECT holder FROM `%s`.bpg_lease WHERE "
	    "name = 'bpg-monitor' AND expires_time > NOW(6)", schema);
	raw_exec(my, sql);
	ck_assert_ptr_nonnull(res = mysql_store_result(my));
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL &&
	    (p = strchr(row[0], '/')) != NULL)
		pid = (pid_t)atol(p + 1);
	mysql_free_result(res);
	return pid;
}

/*
 * Two monitors, connected to nodes 1 and 2, with a lease of 4 s renewed
 * every second.  Five times, the leader is stopped (SIGSTOP) past its
 * lease: the other takes over through its own node; the stopped one is
 * continued and must not act.  From the terms: at no moment did both
 * act.
 */
START_TEST(test_two_monitors)
{
	pid_t mon[2], leader, other;
	long long t0;
	MYSQL *c;
	int k, st, i;

	schema_fresh("mon");
	bpg_db_free(node_db(0));
	mon[0] = monitor_child(0, "n1");
	mon[1] = monitor_child(1, "n2");
	c = raw(2);
	t0 = now_ms();
	while ((leader = holder_pid(c)) == 0 && now_ms() - t0 < 60000)
		sleep_ms(100);
	ck_assert_msg(leader == mon[0] || leader == mon[1], "no leader");
	fprintf(stderr, "first leader after %lld ms\n", now_ms() - t0);
	for (k = 0; k < 5; k++) {
		other = leader == mon[0] ? mon[1] : mon[0];
		ck_assert_int_eq(kill(leader, SIGSTOP), 0);
		t0 = now_ms();
		while (holder_pid(c) != other && now_ms() - t0 < 60000)
			sleep_ms(50);
		ck_assert_msg(holder_pid(c) == other, "no takeover");
		fprintf(stderr, "takeover %d: %lld ms after SIGSTOP\n", k,
		    now_ms() - t0);
		/* The new leader works a while, then the old one wakes. */
		sleep_ms(1500);
		ck_assert_int_eq(kill(leader, SIGCONT), 0);
		sleep_ms(2000);
		/* Normally still the other; a renewal missed on a loaded
		 * machine may have moved it on, which the terms allow. */
		t0 = now_ms();
		while ((leader = holder_pid(c)) == 0 && now_ms() - t0 < 60000)
			sleep_ms(100);
		ck_assert(leader == mon[0] || leader == mon[1]);
	}
	for (i = 0; i < 2; i++) {
		kill(mon[i], SIGKILL);
		ck_assert_int_eq(waitpid(mon[i], &st, 0), mon[i]);
	}
	ck_assert_int_ge(assert_terms(c, "bpg-monitor"), 6);
	mysql_close(c);
	schema_drop();
}
END_TEST

/* Node i's value of a wsrep status variable, or "" if unreadable. */
static void
node_status(int i, const char *var, char *out, size_t size)
{
	MYSQL *my = mysql_init(NULL);
	MYSQL_RES *res;
	MYSQL_ROW row;
	char sql[128];

	out[0] = '\0';
	if (mysql_real_connect(my, "127.0.0.1", test_user, test_password,
	    NULL, port[i], NULL, 0) == NULL) {
		mysql_close(my);
		return;
	}
	snprintf(sql, sizeof(sql), "SHOW STATUS LIKE '%s'", var);
	if (mysql_query(my, sql) == 0 &&
	    (res = mysql_store_result(my)) != NULL) {
		if ((row = mysql_fetch_row(res)) != NULL && row[1] != NULL)
			snprintf(out, size, "%s", row[1]);
		mysql_free_result(res);
	}
	mysql_close(my);
}

static void
wait_status(int i, const char *var, const char *want)
{
	char v[64];
	long long t0 = now_ms();

	do {
		node_status(i, var, v, sizeof(v));
		if (strcmp(v, want) == 0)
			return;
		sleep_ms(200);
	} while (now_ms() - t0 < 120000);
	ck_abort_msg("node %d: %s is %s, not %s", i + 1, var, v, want);
}

static void
isolate(int i, int on)
{
	MYSQL *my = mysql_init(NULL);
	char sql[96];

	ck_assert_msg(mysql_real_connect(my, "127.0.0.1", test_user,
	    test_password, NULL, port[i], NULL, 0) != NULL, "node %d: %s",
	    i + 1, mysql_error(my));
	snprintf(sql, sizeof(sql), "SET GLOBAL wsrep_provider_options="
	    "'gmcast.isolate=%d'", on);
	raw_exec(my, sql);
	mysql_close(my);
	if (on)
		wait_status(i, "wsrep_cluster_status", "non-Primary");
	else {
		wait_status(i, "wsrep_cluster_status", "Primary");
		wait_status(i, "wsrep_local_state_comment", "Synced");
	}
}

/*
 * A URL that lists the nodes: when the node a handle is on leaves the
 * primary component (it refuses statements with 1047), the statement runs
 * again on the next node of the URL, and is written once.
 */
START_TEST(test_failover_not_ready)
{
	struct bpg_dbconf conf;
	struct bpg_errinfo ei = { "" };
	struct bpg_db *db = NULL;
	struct bpg_db_submission a = {
	    "fo-1", "u", "3.5", "{}", NULL, NULL, NULL};
	struct bpg_db_submission b = {
	    "fo-2", "u", "3.5", "{}", NULL, NULL, NULL};
	char all[256], sql[256];
	MYSQL *c;
	enum bpg_err e;

	schema_fresh("fo");
	snprintf(all, sizeof(all), "jdbc:mysql://127.0.0.1:%u,127.0.0.1:%u,"
	    "127.0.0.1:%u/?connectTimeout=5000&socketTimeout=20000", port[0],
	    port[1], port[2]);
	memset(&conf, 0, sizeof(conf));
	conf.connection_string = all;
	conf.user = test_user;
	conf.password = test_password;
	conf.db_name = schema;
	ck_assert_msg(bpg_db_new(&conf, &db, &ei) == BPG_OK, "%s", ei.msg);
	/* On node 1, the first of the URL. */
	ck_assert_msg(bpg_db_insert_submission(db, &a, &ei) == BPG_OK, "%s",
	    ei.msg);
	isolate(0, 1);
	e = bpg_db_insert_submission(db, &b, &ei);
	isolate(0, 0);
	ck_assert_msg(e == BPG_OK, "with node 1 isolated: %s", ei.msg);
	c = raw(1);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM `%s`."
	    "application_submission WHERE submission_id IN ('fo-1', 'fo-2')",
	    schema);
	ck_assert_int_eq(raw_num(c, sql), 2);
	mysql_close(c);
	bpg_db_free(db);
	schema_drop();
}
END_TEST

static Suite *
galera_suite(void)
{
	Suite *s = suite_create("galera");
	TCase *tc = tcase_create("lease");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_get_lock_is_local);
	tcase_add_test(tc, test_race_across_nodes);
	tcase_add_test(tc, test_fence_across_nodes);
	tcase_add_test(tc, test_two_monitors);
	tcase_add_test(tc, test_failover_not_ready);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	read_ports();
	return tu_run(galera_suite());
}
