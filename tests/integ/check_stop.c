/*
 * Stopping and failing without losing a submission: the gateway's
 * supervisor under SIGTERM while a create is under way, and under fork()
 * failures (tests/integ/forkfail.c, preloaded).
 *
 * Each test stops the stack's gateway and starts one of its own on the
 * stack's socket (spawn-fcgi, as tests/stack.sh does, in a session of its
 * own so that Check's clean-up of the test's process group spares it);
 * the fixture puts the stack's config and a plain gateway back after the
 * tests.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "integ.h"

#define WORKERS 4

static char *orig_config;	/* the stack's config.yaml, restored */

static char *
stack_path(const char *name)
{
	char *p;

	ck_assert_int_ne(asprintf(&p, "%s/%s", integ_env("BPG_STACK_DIR"),
	    name), -1);
	return p;
}

/* build/<x> beside this program (build/tests/integ/check_stop). */
static char *
build_path(const char *name)
{
	char self[PATH_MAX], *p;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	ck_assert_int_ne(asprintf(&p, "%s/../../%s", dirname(self), name), -1);
	return p;
}

/* Whether pid is gone (or a zombie nobody reaped yet); reaps our own. */
static bool
gone(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	bool dead = true;

	(void)waitpid(pid, NULL, WNOHANG);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return true;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL)
		dead = p[1] == ' ' && p[2] == 'Z';
	fclose(f);
	return dead;
}

/* SIGTERM to the supervisor (if sig), then wait up to max_s for it to
 * end; the ms it took. */
static int64_t
gw_wait_gone(pid_t super, bool sig, int max_s)
{
	int64_t t0 = integ_now_ms();

	if (sig)
		(void)kill(super, SIGTERM);
	while (!gone(super)) {
		ck_assert_msg(integ_now_ms() - t0 < max_s * 1000LL,
		    "gateway %d still there after %d s", (int)super, max_s);
		usleep(50000);
	}
	return integ_now_ms() - t0;
}

/*
 * Starts spawn-fcgi and the gateway on the stack's socket with WORKERS
 * workers, fork() failing as the file forkfail names says (NULL: the
 * real fork()); records its pid in gateway.pid, as tests/stack.sh does.
 */
static pid_t
gw_start(const char *forkfail)
{
	char *sock = stack_path("gateway.sock");
	char *cfg = stack_path("config.yaml");
	char *pidfile = stack_path("gateway.pid");
	char *log = stack_path("gateway.log");
	char *gw = build_path("bpg-gateway");
	char *shim = build_path("tests/forkfail.so");
	char workers[16], pidtext[32];
	struct group *www;
	int64_t t0;
	pid_t pid;
	int fd;

	unlink(sock);
	snprintf(workers, sizeof(workers), "%d", WORKERS);
	if ((pid = fork()) == 0) {
		setsid();
		if (forkfail != NULL) {
			const char *asan = getenv("ASAN_OPTIONS");
			char *opts;

			setenv("LD_PRELOAD", shim, 1);
			setenv("BPG_FORKFAIL_FILE", forkfail, 1);
			/* Under ASan (make integ-asan) the shim comes before
			 * its runtime; it intercepts nothing ASan does. */
			if (asprintf(&opts, "%s%sverify_asan_link_order=0",
			    asan ? asan : "", asan && asan[0] ? ":" : "") != -1)
				setenv("ASAN_OPTIONS", opts, 1);
		}
		if ((fd = open("/dev/null", O_RDWR)) >= 0)
			dup2(fd, 1);
		if ((fd = open(log, O_WRONLY | O_APPEND | O_CREAT, 0644)) >= 0)
			dup2(fd, 2);
		execlp("spawn-fcgi", "spawn-fcgi", "-s", sock, "-M", "0660",
		    "-n", "--", gw, "-c", cfg, "-w", workers, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_gt(pid, 0);
	snprintf(pidtext, sizeof(pidtext), "%d\n", (int)pid);
	integ_spit(pidfile, pidtext);
	t0 = integ_now_ms();
	while (access(sock, F_OK) != 0) {
		ck_assert_msg(integ_now_ms() - t0 < 20000, "no socket %s", sock);
		usleep(50000);
	}
	/* The web server runs as www-data when the stack runs as root. */
	if (getuid() == 0 && (www = getgrnam("www-data")) != NULL) {
		ck_assert_int_eq(chown(sock, (uid_t)-1, www->gr_gid), 0);
		ck_assert_int_eq(chmod(sock, 0660), 0);
	}
	free(sock);
	free(cfg);
	free(pidfile);
	free(log);
	free(gw);
	free(shim);
	return pid;
}

/* Waits up to max_s for super to have n workers; how many it has. */
static int
workers_become(pid_t super, int n, int max_s)
{
	pid_t w[64];
	int64_t t0 = integ_now_ms();
	int have;

	while ((have = integ_workers(super, w, 64)) != n &&
	    integ_now_ms() - t0 < max_s * 1000LL)
		usleep(100000);
	return have;
}

static long
health(void)
{
	struct integ_http h = integ_api("GET", "/healthcheck/status",
	    INTEG_ALICE, NULL, NULL);
	long code = h.status;

	integ_http_free(&h);
	return code;
}

/* Unchecked fixture: runs in the runner, so a failed test does not leave
 * the stack with a changed config or a shimmed gateway. */
static void
save_config(void)
{
	char *cfg = stack_path("config.yaml");

	orig_config = integ_slurp(cfg, NULL);
	free(cfg);
}

static void
restore(void)
{
	char *cfg = stack_path("config.yaml");

	integ_spit(cfg, orig_config);
	free(cfg);
	(void)gw_wait_gone(integ_supervisor(), true, 300);
	(void)gw_start(NULL);
	free(orig_config);
	orig_config = NULL;
}

/* ---- stop during a create ----------------------------------------- */

/* The next create waits 15 s in the API server. */
#define LATENCY "{\"type\":\"latency\",\"ms\":15000,\"method\":\"POST\"," \
	"\"count\":1}"

/* cfg (taken) with every cluster's timeoutMillis set to ms. */
static char *
with_timeouts(char *cfg, const char *ms)
{
	static const char key[] = "timeoutMillis: ";
	char *p = cfg, *n, *eol;
	size_t off;

	while ((p = strstr(p, key)) != NULL) {
		eol = p + strcspn(p, "\n");
		*p = '\0';
		ck_assert_int_ne(asprintf(&n, "%s%s%s%s", cfg, key, ms, eol),
		    -1);
		off = (size_t)(p - cfg) + sizeof(key) - 1 + strlen(ms);
		free(cfg);
		cfg = n;
		p = cfg + off;
	}
	return cfg;
}

struct buf {
	char *p;
	size_t len, cap;
};

static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = sz * n;

	if (b->len + len + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 1024;
		char *np;

		while (ncap < b->len + len + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return 0;
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return len;
}

/*
 * SIGTERM while the Kubernetes API takes 15 s to answer a create (a
 * latency fault; BPG's fabric8 client would wait that long too).  The
 * worker must finish the submission and the supervisor wait for it: the
 * client gets 200 with the ID, the CR and the row exist.  Before, the
 * supervisor killed the worker after 10 s: the web server answered 502
 * while the CR was created anyway, and a retry made a second one.
 */
START_TEST(test_stop_during_create)
{
	char *cfgpath = stack_path("config.yaml"), *cfg, *p, *body, *url;
	char *row[2];
	struct buf resp = { NULL, 0, 0 };
	const char *id;
	json_t *doc;
	CURLM *multi;
	CURL *c;
	CURLMsg *m;
	pid_t super;
	int running, left, done = 0;
	int64_t t0;
	long code = 0;
	bool signalled = false;

	/* Clusters that wait 30 s for an answer, a 60 s deadline. */
	cfg = with_timeouts(integ_slurp(cfgpath, NULL), "30000");
	ck_assert_int_ne(asprintf(&p, "%s\nrequestDeadlineSeconds: 60\n", cfg),
	    -1);
	free(cfg);
	cfg = p;
	integ_spit(cfgpath, cfg);
	(void)gw_wait_gone(integ_supervisor(), true, 300);
	super = gw_start(NULL);
	ck_assert_int_eq(workers_become(super, WORKERS, 30), WORKERS);

	json_decref(integ_control("a", "POST", "/faults", "{\"reset\":true}"));
	json_decref(integ_control("b", "POST", "/faults", "{\"reset\":true}"));
	json_decref(integ_control("a", "DELETE", "/stats", NULL));
	json_decref(integ_control("b", "DELETE", "/stats", NULL));
	json_decref(integ_control("a", "POST", "/faults", LATENCY));
	json_decref(integ_control("b", "POST", "/faults", LATENCY));

	body = integ_sparkpi(NULL);
	ck_assert_int_ne(asprintf(&url, "%s/spark", integ_env("BPG_URL")), -1);
	multi = curl_multi_init();
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERPWD, INTEG_ALICE);
	curl_easy_setopt(c, CURLOPT_CAINFO, integ_env("BPG_CA"));
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 280L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	{
		struct curl_slist *h = curl_slist_append(NULL,
		    "Content-Type: application/json");

		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_multi_add_handle(multi, c);
		t0 = integ_now_ms();
		while (!done) {
			curl_multi_perform(multi, &running);
			while ((m = curl_multi_info_read(multi, &left)) != NULL)
				if (m->msg == CURLMSG_DONE) {
					ck_assert_msg(m->data.result ==
					    CURLE_OK, "submit: %s",
					    curl_easy_strerror(
					    m->data.result));
					done = 1;
				}
			/* The create has reached the API server and waits:
			 * stop the gateway now. */
			if (!signalled && !done && (integ_kube_stat("a",
			    "faultsInjected.latency") > 0 || integ_kube_stat(
			    "b", "faultsInjected.latency") > 0)) {
				ck_assert_int_eq(kill(super, SIGTERM), 0);
				signalled = true;
			}
			ck_assert_msg(signalled || integ_now_ms() - t0 < 60000,
			    "the create never reached the API server");
			if (!done)
				curl_multi_poll(multi, NULL, 0, 100, NULL);
		}
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		curl_multi_remove_handle(multi, c);
		curl_easy_cleanup(c);
		curl_multi_cleanup(multi);
		curl_slist_free_all(h);
	}
	ck_assert_msg(signalled, "answered before the stop: %ld %s", code,
	    resp.p ? resp.p : "");
	/* The client's answer matches the CR and the row. */
	ck_assert_msg(code == 200, "stop during a create: %ld %s", code,
	    resp.p ? resp.p : "");
	doc = json_loads(resp.p, 0, NULL);
	id = json_string_value(json_object_get(doc, "submissionId"));
	ck_assert_msg(id != NULL, "no submissionId: %s", resp.p);
	{
		struct integ_http h;

		ck_assert_int_ne(asprintf(&p, INTEG_APPS "/%s", id), -1);
		h = integ_kube(id, "GET", p, NULL);
		ck_assert_msg(h.status == 200, "CR %s: %ld", id, h.status);
		integ_http_free(&h);
		free(p);
	}
	ck_assert(integ_db_row(id, "status, error_message", row, 2));
	ck_assert_msg(row[0] == NULL ||
	    strcmp(row[0], "SUBMISSION_FAILED") != 0,
	    "row of %s: %s %s", id, row[0], row[1] ? row[1] : "");
	free(row[0]);
	free(row[1]);
	/* And the gateway is gone, by itself, well before it kills. */
	(void)gw_wait_gone(super, false, 60 + 10 + 30);

	json_decref(integ_control("a", "POST", "/faults", "{\"reset\":true}"));
	json_decref(integ_control("b", "POST", "/faults", "{\"reset\":true}"));
	json_decref(doc);
	free(resp.p);
	free(url);
	free(body);
	free(cfg);
	free(cfgpath);
}
END_TEST

/* ---- fork() failing ------------------------------------------------ */

/*
 * fork() fails for the first three workers: the supervisor must not keep
 * -1 as their pid (kill(-1, ...) would signal every process of the user)
 * and must fill the slots once fork() works again.  Then a worker dies
 * while fork() fails twice more: its slot is filled too.  Before, the
 * failed slots stayed empty for good: one worker of four.
 */
START_TEST(test_fork_failure)
{
	char *ff = stack_path("forkfail.count"), *left;
	pid_t super, w[64], victim;
	int64_t t0;
	int n, i;

	integ_spit(ff, "3\n");
	(void)gw_wait_gone(integ_supervisor(), true, 300);
	super = gw_start(ff);
	n = workers_become(super, WORKERS, 120);
	left = integ_slurp(ff, NULL);
	ck_assert_msg(atol(left) == 0, "fork() failures left: %s", left);
	free(left);
	ck_assert_msg(n == WORKERS, "%d workers of %d after fork() failed",
	    n, WORKERS);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(health(), 200);

	/* A worker dies while fork() fails. */
	integ_spit(ff, "2\n");
	ck_assert_int_eq(integ_workers(super, w, 64), WORKERS);
	victim = w[0];
	ck_assert_int_eq(kill(victim, SIGKILL), 0);
	/* Until it is reaped, it is still one of the supervisor's. */
	t0 = integ_now_ms();
	do {
		usleep(100000);
		n = integ_workers(super, w, 64);
		for (i = 0; i < n && w[i] != victim; i++)
			;
	} while ((n != WORKERS || i < n) && integ_now_ms() - t0 < 120000);
	ck_assert_msg(n == WORKERS && i == n, "%d workers of %d after a "
	    "death%s", n, WORKERS, i < n ? ", the dead one among them" : "");
	left = integ_slurp(ff, NULL);
	ck_assert_msg(atol(left) == 0, "fork() failures left: %s", left);
	free(left);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(health(), 200);
	/* It still stops. */
	(void)gw_wait_gone(super, true, 60);
	super = gw_start(NULL);
	ck_assert_int_eq(workers_become(super, WORKERS, 30), WORKERS);
	unlink(ff);
	free(ff);
}
END_TEST

static long
health_as(const char *userpw)
{
	struct integ_http h = integ_api("GET", "/healthcheck/status", userpw,
	    NULL, NULL);
	long code = h.status;

	integ_http_free(&h);
	return code;
}

/*
 * A reload while fork() fails: each slot keeps its old worker until a new
 * one can be forked, so requests keep being served, and then every
 * worker is replaced, on the new config.  Before, each old worker was told
 * to stop whether its replacement started or not: no worker was left.
 */
START_TEST(test_reload_fork_failure)
{
	char *ff = stack_path("forkfail.count"), *cfgpath = stack_path(
	    "config.yaml"), *cfg, *left;
	pid_t super, before[64], w[64];
	int64_t t0;
	int n, i, j, kept;

	integ_spit(ff, "0\n");
	(void)gw_wait_gone(integ_supervisor(), true, 300);
	super = gw_start(ff);
	ck_assert_int_eq(workers_become(super, WORKERS, 30), WORKERS);
	ck_assert_int_eq(integ_workers(super, before, 64), WORKERS);
	ck_assert_int_eq(health_as("bob:bob-pw"), 200);

	/* The new config blocks bob. */
	cfg = integ_slurp(cfgpath, NULL);
	ck_assert_int_ne(asprintf(&left, "%s\nblockedUsers: [mallory, bob]\n",
	    cfg), -1);
	integ_spit(cfgpath, left);
	free(left);
	/* As many failures as workers: none could be replaced at once. */
	integ_spit(ff, "4\n");
	ck_assert_int_eq(kill(super, SIGHUP), 0);
	/* The reload's first fork() has failed: the old workers serve. */
	t0 = integ_now_ms();
	do {
		usleep(20000);
		left = integ_slurp(ff, NULL);
		n = atoi(left);
		free(left);
	} while (n == 4 && integ_now_ms() - t0 < 30000);
	ck_assert_msg(n < 4, "the reload never tried to fork");
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(health_as(INTEG_ALICE), 200);

	/* Once fork() works, every one is replaced. */
	t0 = integ_now_ms();
	do {
		usleep(100000);
		n = integ_workers(super, w, 64);
		for (i = kept = 0; i < n; i++)
			for (j = 0; j < WORKERS; j++)
				kept += w[i] == before[j];
	} while ((n != WORKERS || kept > 0) && integ_now_ms() - t0 < 120000);
	ck_assert_msg(n == WORKERS && kept == 0, "%d workers, %d of them "
	    "old", n, kept);
	ck_assert_int_eq(health_as("bob:bob-pw"), 403);
	ck_assert_int_eq(health_as(INTEG_ALICE), 200);

	integ_spit(cfgpath, cfg);
	(void)gw_wait_gone(super, true, 60);
	super = gw_start(NULL);
	ck_assert_int_eq(workers_become(super, WORKERS, 30), WORKERS);
	unlink(ff);
	free(cfg);
	free(cfgpath);
	free(ff);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("stop");
	TCase *tc = tcase_create("supervisor");

	tcase_add_unchecked_fixture(tc, save_config, restore);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_stop_during_create);
	tcase_add_test(tc, test_fork_failure);
	tcase_add_test(tc, test_reload_fork_failure);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
