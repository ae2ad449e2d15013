/*
 * Tests for lib/bpg_monitor_retry.c, the monitor's retry task, against
 * the MariaDB of tests/run-unit.sh (BPG_TEST_DB_PORT) and a Kubernetes API
 * stand-in in a child process that answers every list with no apps and
 * every create and delete with 200, counting them.  Time is the
 * monitor's injected clock (bpg_monitor_opts.clock_ms): nothing is made
 * before the back-off has passed, exactly one attempt after it, none
 * after maxAttempts, none for a cancelled job; an attempt a killed leader
 * left pending is made with its own ID, and none when its row finished
 * meanwhile; a schedule's fire of a request
 * with a retryPolicy is a job; a job cancelled while its attempt's CR
 * was being created has that CR deleted by the monitor.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "bpg_buf.h"
#include "bpg_db.h"
#include "bpg_db_attempts.h"
#include "bpg_db_retry.h"
#include "bpg_db_schedules.h"
#include "bpg_metrics.h"
#include "bpg_monitor.h"
#include "testdb.h"
#include "testutil.h"

#define JOB1 "c1-00000000000000000000000000000001"
#define JOB2 "c1-00000000000000000000000000000002"
#define JOB3 "c1-00000000000000000000000000000003"
#define PEND "c1-0000000000000000000000000000000f"
#define REQ "{\"sparkVersion\":\"3.5.0\"," \
	"\"mainApplicationFile\":\"local:///x.jar\"}"

struct ctx {
	struct tu_db d; /* the schema; d.db a handle of the test's own */
	char creates[128];
	struct bpg_config *cfg;
	struct bpg_monitor *m;
	struct bpg_metrics *metrics; /* the monitor's counters */
	pid_t api;
};

static struct ctx c;
static int64_t clock_ms;

static int64_t
test_clock(void *arg)
{
	(void)arg;
	return clock_ms;
}

#define EMPTY_LIST "{\"kind\":\"SparkApplicationList\",\"metadata\":{" \
	"\"resourceVersion\":\"1\"},\"items\":[]}"

/* The rest of a request whose head is buf[0..got): up to its
 * Content-Length, NUL-terminated. */
static void
read_body(int fd, char *buf, size_t size, size_t got)
{
	const char *cl = strcasestr(buf, "\r\ncontent-length:");
	const char *end = strstr(buf, "\r\n\r\n");
	size_t want;
	ssize_t n;

	if (cl == NULL || end == NULL)
		return;
	want = (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10);
	while (got < want && got < size - 1 &&
	    (n = read(fd, buf + got, size - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
}

/*
 * With c.creates + ".cancel" there, a create first cancels the job its
 * CR names (label bpg/job-id): a DELETE of the job landing between the
 * monitor's last look at the job and its create.
 */
static void
cancel_on_create(const char *req)
{
	static const char key[] = "\"bpg/job-id\":\"";
	struct bpg_errinfo ei = { "" };
	struct bpg_db *db;
	char path[160], job[64];
	const char *p;
	size_t n;

	snprintf(path, sizeof(path), "%s.cancel", c.creates);
	if (access(path, F_OK) != 0 || (p = strstr(req, key)) == NULL)
		return;
	p += sizeof(key) - 1;
	if ((n = strcspn(p, "\"")) >= sizeof(job))
		return;
	memcpy(job, p, n);
	job[n] = '\0';
	if (bpg_db_new(&c.d.conf, &db, &ei) != BPG_OK)
		_exit(1);
	if (bpg_db_retry_cancel(db, job, NULL, &ei) != BPG_OK)
		_exit(1);
	bpg_db_free(db);
}

/*
 * The API stand-in: a watch gets a 200 and nothing more; anything else a
 * 200 with an empty list (a create's answer is read for its status only);
 * each POST appends a line to c.creates.
 */
static pid_t
serve(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char buf[65536], head[256];
	size_t got;
	ssize_t n;
	int s, fd, one = 1;
	FILE *f;
	pid_t pid;

	s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(s, 16), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	signal(SIGCHLD, SIG_IGN);
	alarm(300);
	while ((fd = accept(s, NULL, NULL)) >= 0) {
		if (fork() != 0) {
			close(fd);
			continue;
		}
		got = 0;
		while (got < sizeof(buf) - 1 && (n = read(fd, buf + got,
		    sizeof(buf) - 1 - got)) > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		if (strstr(buf, "watch=") != NULL) {
			snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
			    "Content-Type: application/json\r\n"
			    "Transfer-Encoding: chunked\r\n\r\n");
			if (write(fd, head, strlen(head)) < 0)
				_exit(1);
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			_exit(0);
		}
		if (strncmp(buf, "POST ", 5) == 0) {
			read_body(fd, buf, sizeof(buf), got);
			cancel_on_create(buf);
			if ((f = fopen(c.creates, "a")) != NULL) {
				fputs("create\n", f);
				fclose(f);
			}
		}
		if (strncmp(buf, "DELETE ", 7) == 0 &&
		    (f = fopen(c.creates, "a")) != NULL) {
			fputs("delete\n", f);
			fclose(f);
		}
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", strlen(EMPTY_LIST));
		if (write(fd, head, strlen(head)) < 0 ||
		    write(fd, EMPTY_LIST, strlen(EMPTY_LIST)) < 0)
			_exit(1);
		close(fd);
		_exit(0);
	}
	_exit(0);
}

/* Requests the stand-in logged whose line starts with what. */
static int
logged(const char *what)
{
	FILE *f = fopen(c.creates, "r");
	char line[64];
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strncmp(line, what, strlen(what)) == 0;
	fclose(f);
	return n;
}

static int
creates(void)
{
	return logged("create");
}

/* The monitor's log, on stderr: what a failing test shows. */
static void
log_stderr(void *arg, enum bpg_monitor_level level, const char *msg)
{
	(void)arg;
	(void)level;
	fprintf(stderr, "monitor: %s\n", msg);
}

static void
setup(void)
{
	struct bpg_config_error cerr;
	struct bpg_monitor_opts o;
	struct bpg_errinfo ei = { "" };
	char yaml[2048];
	unsigned port;
	int i;

	memset(&c, 0, sizeof(c));
	tu_db_open(&c.d, "mrty");
	snprintf(c.creates, sizeof(c.creates), "/tmp/bpgm-rty-%ld.creates",
	    (long)getpid());
	unlink(c.creates);
	c.api = serve(&port);
	snprintf(yaml, sizeof(yaml),
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 1, masterUrl: 'http://127.0.0.1:%u',\n"
	    "     sparkApplicationNamespace: ns, timeoutMillis: 5000,\n"
	    "     sparkVersions: ['3.5.0'], queues: [poc],\n"
	    "     userTokenSOPS: 'plaintext:token-0123456789'}\n"
	    "sparkImages:\n"
	    "  - {name: 'apache/spark:3.5.0', types: [Java, Python], version: "
	    "'3.5.0'}\n"
	    "queues:\n  - name: poc\n"
	    "dbStorageSOPS: {connectionString: '%s', user: bpg,\n"
	    "  password: bpg-test-pw, dbName: %s}\n", port, c.d.url,
	    c.d.schema);
	ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &c.cfg, &cerr) ==
	    BPG_OK, "%s: %s", cerr.path, cerr.msg);
	memset(&o, 0, sizeof(o));
	o.cfg = c.cfg;
	o.clock_ms = test_clock;
	o.log = log_stderr;
	ck_assert_msg(bpg_metrics_new_shared(&c.metrics, &ei) == BPG_OK, "%s",
	    ei.msg);
	o.metrics = c.metrics;
	clock_ms = 1800000000LL * 1000;
	ck_assert_msg(bpg_monitor_new(&o, &c.m, &ei) == BPG_OK, "%s", ei.msg);
	for (i = 0; i < 100 && !bpg_monitor_leader(c.m); i++)
		ck_assert_msg(bpg_monitor_step(c.m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert(bpg_monitor_leader(c.m));
}

static void
teardown(void)
{
	int status;

	bpg_monitor_free(c.m);
	bpg_metrics_free(c.metrics);
	bpg_config_free(c.cfg);
	kill(c.api, SIGKILL);
	waitpid(c.api, &status, 0);
	unlink(c.creates);
	tu_db_close(&c.d);
}

/* Turns of the task (one a second of the monotonic clock). */
static void
turns(int n)
{
	struct bpg_errinfo ei = { "" };
	int i;

	for (i = 0; i < n; i++)
		ck_assert_msg(bpg_monitor_step(c.m, 1100, &ei) == BPG_OK, "%s",
		    ei.msg);
}

/*
 * Turns until cond holds, at most 60 (a guard against a hang only): a
 * step may end early, so a number of steps is no measure of time.
 */
#define TURNS_UNTIL(cond)                                                     \
	do {                                                                  \
		int k_;                                                       \
		for (k_ = 0; k_ < 60 && !(cond); k_++)                        \
			turns(1);                                             \
		ck_assert_msg((cond), "not after 60 turns: %s", #cond);       \
	} while (0)

static long long
job_long(const char *col, const char *job)
{
	char q[256];

	snprintf(q, sizeof(q), "SELECT %s FROM `%s`.bpg_retry_job WHERE "
	    "job_id = '%s'", col, c.d.schema, job);
	return tu_db_long(&c.d, "%s", q);
}

static long long
attempt_done(const char *id)
{
	return tu_db_long(&c.d, "SELECT COUNT(*) FROM `%s`.submission_attempt "
	    "WHERE submission_id = '%s' AND state = 'done'", c.d.schema, id);
}

/* A job whose first attempt ended in status at the current clock. */
static void
failed_job(const char *id, int max, int backoff, const char *status)
{
	struct bpg_retry_policy p = { max, backoff, 2.0, BPG_RETRY_ON_DEFAULT,
	    false };
	struct bpg_errinfo ei = { "" };
	ck_assert_msg(bpg_db_retry_insert(c.d.db, id, "alice", REQ, &p, &ei) ==
	    BPG_OK, "%s", ei.msg);
	tu_db_exec(&c.d, "INSERT INTO `%s`.application_submission "
	    "(submission_id, `user`, status, finished_time) VALUES ('%s', "
	    "'alice', '%s', NOW())", c.d.schema, id, status);
}

static long long
attempts_of(const char *job)
{
	return tu_db_long(&c.d, "SELECT COUNT(*) FROM `%s`.submission_attempt "
	    "WHERE job_id = '%s'", c.d.schema, job);
}

/* Whether the monitor's metrics hold the sample line (name, value). */
static bool
has_sample(const char *line)
{
	struct bpg_buf b = { NULL, 0, 0 };
	bool found;

	ck_assert_int_eq(bpg_metrics_render(c.metrics, BPG_METRICS_MONITOR,
	    &b), BPG_OK);
	found = b.p != NULL && strstr(b.p, line) != NULL;
	bpg_buf_free(&b);
	return found;
}

START_TEST(test_backoff_once_max)
{
	char id[64];
	struct bpg_db_retry_job j;
	struct bpg_errinfo ei = { "" };
	bool found = false;

	failed_job(JOB1, 2, 100, "FAILED");
	/* The end is seen now; the retry is due 100 s later. */
	TURNS_UNTIL(job_long("retry_at", JOB1) == 1800000000LL + 100);
	ck_assert_int_eq(attempts_of(JOB1), 0);
	clock_ms += 99 * 1000;
	turns(3);
	ck_assert_int_eq(attempts_of(JOB1), 0);
	ck_assert_int_eq(creates(), 0);
	clock_ms += 1000;
	TURNS_UNTIL(job_long("last_attempt", JOB1) == 2 &&
	    attempt_done(tu_db_str(&c.d, "SELECT last_id FROM `%s`."
	    "bpg_retry_job WHERE job_id = '%s'", c.d.schema, JOB1)) == 1);
	turns(2);
	ck_assert_int_eq(attempts_of(JOB1), 1);
	ck_assert_int_eq(creates(), 1);
	ck_assert(has_sample("\nbpg_monitor_retries_total{outcome=\"sent\"} "
	    "1\n"));
	snprintf(id, sizeof(id), "%s", tu_db_str(&c.d, "SELECT submission_id "
	    "FROM `%s`.submission_attempt WHERE job_id = '%s' AND attempt = 2 "
	    "AND cause = 'retry' AND state = 'done'", c.d.schema, JOB1));
	ck_assert_str_ne(id, "");
	/* Made as the owner, with its own row. */
	ck_assert_int_eq(tu_db_long(&c.d, "SELECT COUNT(*) FROM `%s`."
	    "application_submission WHERE submission_id = '%s' AND "
	    "`user` = 'alice'", c.d.schema, id), 1);
	ck_assert_int_eq(bpg_db_retry_get(c.d.db, JOB1, false, &j, &found, &ei),
	    BPG_OK);
	ck_assert_int_eq(j.last_attempt, 2);
	ck_assert_str_eq(j.last_id, id);
	/* Attempt 2 fails too: maxAttempts 2, so the job ends. */
	tu_db_exec(&c.d, "UPDATE `%s`.application_submission SET "
	    "status = 'FAILED', finished_time = NOW() WHERE submission_id = "
	    "'%s'", c.d.schema, id);
	clock_ms += 86400 * 1000LL;
	TURNS_UNTIL(job_long("active", JOB1) == 0);
	turns(2);
	ck_assert_int_eq(attempts_of(JOB1), 1);
	ck_assert_int_eq(creates(), 1);
	ck_assert_int_eq(bpg_db_retry_get(c.d.db, JOB1, false, &j, &found, &ei),
	    BPG_OK);
	ck_assert(!j.active && !j.cancelled);
}
END_TEST

START_TEST(test_no_retry)
{
	struct bpg_errinfo ei = { "" };
	bool found = false;

	/* A success, and a cancelled job: nothing. */
	failed_job(JOB1, 3, 0, "COMPLETED");
	failed_job(JOB2, 3, 5, "FAILED");
	TURNS_UNTIL(job_long("active", JOB1) == 0 &&
	    job_long("retry_at", JOB2) > 0);
	ck_assert_int_eq(bpg_db_retry_cancel(c.d.db, JOB2, &found, &ei), BPG_OK);
	ck_assert(found);
	clock_ms += 3600 * 1000LL;
	turns(4);
	ck_assert_int_eq(attempts_of(JOB1), 0);
	ck_assert_int_eq(attempts_of(JOB2), 0);
	ck_assert_int_eq(creates(), 0);
	ck_assert_int_eq(tu_db_long(&c.d, "SELECT active FROM `%s`.bpg_retry_job "
	    "WHERE job_id = '%s'", c.d.schema, JOB1), 0);
}
END_TEST

/* A leader killed after recording attempt 2: the next makes that one. */
START_TEST(test_resume_pending)
{
	struct bpg_db_attempt a;
	struct bpg_errinfo ei = { "" };

	failed_job(JOB3, 3, 0, "LOST");
	memset(&a, 0, sizeof(a));
	snprintf(a.job_id, sizeof(a.job_id), JOB3);
	a.attempt = 2;
	snprintf(a.submission_id, sizeof(a.submission_id), PEND);
	snprintf(a.previous_submission_id, sizeof(a.previous_submission_id),
	    JOB3);
	snprintf(a.cluster, sizeof(a.cluster), "c1");
	ck_assert_msg(bpg_db_retry_begin(c.d.db, &a, &ei) == BPG_OK, "%s",
	    ei.msg);
	TURNS_UNTIL(attempt_done(PEND) == 1);
	ck_assert_int_eq(attempts_of(JOB3), 1);
	ck_assert_int_eq(creates(), 1);
	ck_assert_int_eq(tu_db_long(&c.d, "SELECT COUNT(*) FROM `%s`."
	    "submission_attempt WHERE submission_id = '%s' AND state = "
	    "'done'", c.d.schema, PEND), 1);
	ck_assert_int_eq(tu_db_long(&c.d, "SELECT COUNT(*) FROM `%s`."
	    "application_submission WHERE submission_id = '%s'", c.d.schema, PEND), 1);
}
END_TEST

/*
 * A pending attempt whose row finished meanwhile (here: recorded LOST,
 * never seen) is done without its CR: creating it would run a submission
 * recorded as finished.
 */
START_TEST(test_resume_finished_row)
{
	struct bpg_db_attempt a;
	struct bpg_errinfo ei = { "" };

	failed_job(JOB3, 2, 0, "LOST");
	memset(&a, 0, sizeof(a));
	snprintf(a.job_id, sizeof(a.job_id), JOB3);
	a.attempt = 2;
	snprintf(a.submission_id, sizeof(a.submission_id), PEND);
	snprintf(a.previous_submission_id, sizeof(a.previous_submission_id),
	    JOB3);
	snprintf(a.cluster, sizeof(a.cluster), "c1");
	ck_assert_msg(bpg_db_retry_begin(c.d.db, &a, &ei) == BPG_OK, "%s",
	    ei.msg);
	tu_db_exec(&c.d, "INSERT INTO `%s`.application_submission "
	    "(submission_id, `user`, status, finished_time) VALUES ('%s', "
	    "'alice', 'LOST', NOW())", c.d.schema, PEND);
	TURNS_UNTIL(attempt_done(PEND) == 1 && job_long("active", JOB3) == 0);
	ck_assert_int_eq(creates(), 0);
	ck_assert_int_eq(tu_db_long(&c.d, "SELECT COUNT(*) FROM `%s`."
	    "submission_attempt WHERE submission_id = '%s' AND state = "
	    "'done'", c.d.schema, PEND), 1);
	/* Its end is the job's: maxAttempts 2, so the job ends. */
	ck_assert_int_eq(tu_db_long(&c.d, "SELECT active FROM `%s`."
	    "bpg_retry_job WHERE job_id = '%s'", c.d.schema, JOB3), 0);
}
END_TEST

/*
 * DELETE's race, the monitor's half: the job is cancelled after the
 * monitor last read it and before its create lands (so DELETE's own
 * delete of the attempt found nothing).  The monitor reads the job again
 * after the create and deletes the CR.
 */
START_TEST(test_cancel_during_create)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s.cancel", c.creates);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	failed_job(JOB2, 3, 0, "FAILED");
	TURNS_UNTIL(logged("delete") == 1);
	unlink(path);
	ck_assert_int_eq(creates(), 1);
	ck_assert_int_eq(logged("delete"), 1);
	ck_assert_int_eq(tu_db_long(&c.d, "SELECT cancelled FROM `%s`."
	    "bpg_retry_job WHERE job_id = '%s'", c.d.schema, JOB2), 1);
	turns(2);
	ck_assert_int_eq(attempts_of(JOB2), 1);
	ck_assert_int_eq(creates(), 1);
}
END_TEST

/* A schedule whose request carries a retryPolicy: its fire is a job. */
START_TEST(test_schedule_fire_is_job)
{
	const int64_t t0 = clock_ms / 1000 + 60;
	struct bpg_db_schedule sc;
	struct bpg_db_retry_job j;
	struct bpg_errinfo ei = { "" };
	char id[64];
	bool found = false;
	int i;

	memset(&sc, 0, sizeof(sc));
	snprintf(sc.id, sizeof(sc.id), "s-retry");
	snprintf(sc.owner, sizeof(sc.owner), "alice");
	snprintf(sc.name, sizeof(sc.name), "n");
	snprintf(sc.cron, sizeof(sc.cron), "@every 10s");
	snprintf(sc.timezone, sizeof(sc.timezone), "UTC");
	snprintf(sc.policy, sizeof(sc.policy), "Allow");
	sc.deadline_s = -1;
	sc.anchor = t0 - 10;
	sc.next_fire = t0;
	sc.last_fire = -1;
	sc.request = (char *)(uintptr_t)"{\"sparkVersion\":\"3.5.0\","
	    "\"mainApplicationFile\":\"local:///x.jar\",\"retryPolicy\":{"
	    "\"maxAttempts\":4,\"anyCluster\":true}}";
	ck_assert_msg(bpg_db_schedule_insert(c.d.db, &sc, &ei) == BPG_OK,
	    "%s", ei.msg);
	clock_ms = (t0 + 1) * 1000;
	for (i = 0; i < 20 && tu_db_long(&c.d, "SELECT COUNT(*) FROM `%s`."
	    "bpg_schedule_fire WHERE state = 'done'", c.d.schema) < 1; i++)
		turns(1);
	snprintf(id, sizeof(id), "%s", tu_db_str(&c.d, "SELECT submission_id "
	    "FROM `%s`.bpg_schedule_fire WHERE state = 'done'", c.d.schema));
	ck_assert_str_ne(id, "");
	ck_assert_int_eq(bpg_db_retry_get(c.d.db, id, false, &j, &found, &ei),
	    BPG_OK);
	ck_assert(found);
	ck_assert_str_eq(j.owner, "alice");
	ck_assert_int_eq(j.policy.max_attempts, 4);
	ck_assert(j.policy.any_cluster);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("monitor_retry");
	TCase *tc = tcase_create("task");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_backoff_once_max);
	tcase_add_test(tc, test_no_retry);
	tcase_add_test(tc, test_resume_pending);
	tcase_add_test(tc, test_schedule_fire_is_job);
	tcase_add_test(tc, test_cancel_during_create);
	tcase_add_test(tc, test_resume_finished_row);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
