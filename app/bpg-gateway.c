/*
 * bpg-gateway: the pre-forked FastCGI program.
 *
 *	spawn-fcgi -s SOCKET -n -- bpg-gateway -c CONFIG [-w WORKERS]
 *
 * spawn-fcgi hands the listening socket over as fd 0 (FastCGI 1.0 §2.2).
 * The supervisor parses and checks the config once, forks the workers,
 * replaces any worker that dies and stops them all on SIGTERM.  It reads
 * nothing from the network.  Each worker accepts requests on the shared
 * socket and keeps its own Kubernetes and database connections, opened
 * after fork() and reused across requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <fcgiapp.h>
#include <mysql.h>

#include "bpg_api.h"
#include "bpg_config.h"
#include "bpg_config_apart.h"
#include "bpg_db.h"
#include "bpg_limits.h"
#include "bpg_log.h"
#include "bpg_metrics.h"
#include "bpg_pids.h"
#include "bpg_breaker.h"
#include "bpg_ratelimit.h"
#include "bpg_streams.h"
#include "gateway-worker.h"

static volatile sig_atomic_t stopping;
static volatile sig_atomic_t child_died;

/*
 * What all workers share, made by main() before the first fork() and
 * kept across reloads (gateway-worker.h): the list endpoints' rate
 * limits, followed logs and uploads (and the worker count their
 * gateway-wide limit is a share of), the clusters' circuit breakers (keyed
 * by cluster id, they outlive a config), GET /metrics' counters.
 */
static struct gw_shared shared;

/*
 * glibc keeps at most 7 freed chunks of each size per thread for quick
 * reuse (its tcache).  A request frees hundreds of small JSON nodes at
 * once; past the seventh they go back through the arena's bins, which is
 * 9% of a submission's instructions and 18% of a healthcheck's
 * (tests/bench/callgrind.sh).  64 a size keeps most of that for 0.3 MB
 * more per worker (1000 saved 3% more for 4 MB more).  The count is read
 * only at program start, so the gateway starts itself once more with it,
 * unless the operator set GLIBC_TUNABLES.  exec keeps the pid and fd 0,
 * spawn-fcgi's socket.  If that fails, the gateway runs as it is.
 */
#define MALLOC_TUNABLES "glibc.malloc.tcache_count=64"

static void
tune_malloc(char *argv[])
{
	char self[4096];
	ssize_t n;

	if (getenv("GLIBC_TUNABLES") != NULL)
		return;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || (size_t)n >= sizeof(self) - 1)
		return;
	self[n] = '\0';
	if (setenv("GLIBC_TUNABLES", MALLOC_TUNABLES, 1) != 0)
		return;
	execv(self, argv);
	fprintf(stderr, "bpg-gateway: cannot restart with %s: %s\n",
	    MALLOC_TUNABLES, strerror(errno));
}

/*
 * Before fork(): the heap pages freed go back to the kernel (those of the
 * configuration's reading among them, bpg_config_apart.h), so that the
 * supervisor does not hold them and no worker inherits them.
 */
static void
give_back_heap(void)
{
	(void)malloc_trim(0);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bpg-gateway -c config.yaml [-w workers] [-t]\n"
	    "  -c FILE   BPG config.yaml\n"
	    "  -w N      worker processes (default %d per CPU)\n"
	    "  -t        check the config and exit\n", BPG_WORKERS_PER_CPU);
	exit(2);
}

/* ---- supervisor --------------------------------------------------- */

static volatile sig_atomic_t reloading;
static volatile sig_atomic_t ticked;

static void
on_super_signal(int sig)
{
	if (sig == SIGCHLD)
		child_died = 1;
	else if (sig == SIGHUP)
		reloading = 1;
	else if (sig == SIGALRM)
		ticked = 1;
	else
		stopping = 1;
}

/*
 * The worker slots.  pids[i] 0: empty (its worker died, or fork()
 * failed), filled again by refill().  stale[i]: the worker serves a
 * configuration a reload replaced, because no new one could be forked
 * then; refill() replaces it.
 */
struct slots {
	pid_t *pids;
	bool *stale;
	time_t *born;
	int n;
	/* fork() failing: no new try before next_fork; the pause doubles
	 * with each failure up to FORK_BACKOFF_MAX, 0 after a success. */
	time_t next_fork;
	int backoff;
	/* Workers being replaced: they finish what they serve, then exit. */
	struct bpg_pids draining;
};

#define FORK_BACKOFF_MAX 30

static time_t
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static pid_t
spawn(const struct bpg_config *cfg)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sigaction sa;
		int rc;

		/* A worker never outlives its supervisor. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGCHLD, &sa, NULL);
		rc = gw_worker(cfg, &shared);
		mysql_library_end();
		curl_global_cleanup();
		_exit(rc);
	}
	return pid;
}

/* spawn() for slot i; a failure leaves the slot as it is and backs off. */
static bool
spawn_slot(struct slots *s, int i, const struct bpg_config *cfg)
{
	pid_t pid = spawn(cfg);

	if (pid < 0) {
		s->backoff = s->backoff == 0 ? 1 :
		    s->backoff * 2 > FORK_BACKOFF_MAX ? FORK_BACKOFF_MAX :
		    s->backoff * 2;
		s->next_fork = mono_s() + s->backoff;
		bpg_log(LOG_ERR, "fork: %m; worker slot %d tried again in "
		    "%d s", i, s->backoff);
		return false;
	}
	s->backoff = 0;
	s->pids[i] = pid;
	s->stale[i] = false;
	s->born[i] = mono_s();
	return true;
}

static void
drain(struct slots *s, pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	/* Told again each second (arm_tick()): a worker idle in accept()
	 * may have taken the signal just before blocking in it. */
	if (bpg_pids_add(&s->draining, pid) != BPG_OK)
		bpg_log(LOG_ERR, "worker %d: out of memory; it is told to "
		    "stop once only", (int)pid);
}

/* Fill the empty slots and replace the stale ones, while fork() works. */
static void
refill(struct slots *s, const struct bpg_config *cfg)
{
	int i;
	pid_t old;

	for (i = 0; i < s->n; i++) {
		if (s->pids[i] > 0 && !s->stale[i])
			continue;
		if (mono_s() < s->next_fork)
			return;
		old = s->stale[i] ? s->pids[i] : 0;
		if (!spawn_slot(s, i, cfg))
			return;
		drain(s, old);
	}
}

/* SIGALRM in a second while workers drain, when the next fork is due
 * while slots wait for one. */
static void
arm_tick(const struct slots *s)
{
	time_t wait = 0, now;
	int i;

	if (s->draining.n > 0)
		wait = 1;
	for (i = 0; i < s->n; i++)
		if (s->pids[i] <= 0 || s->stale[i]) {
			now = mono_s();
			if (wait == 0 || s->next_fork - now < wait)
				wait = s->next_fork > now ?
				    s->next_fork - now : 1;
			break;
		}
	alarm((unsigned int)wait);
}

/*
 * SIGHUP: read and check the config again; if it is good, start a new
 * worker for each slot and let the old one finish and exit, one by one, so
 * the socket always has workers and no request in flight is cut.  A bad
 * config is logged and the running one kept.  A slot whose new worker
 * cannot be forked keeps its old one until refill() can.
 */
static void
reload(const char *path, struct bpg_config **cfg, struct slots *s)
{
	struct bpg_config *ncfg = NULL;
	struct bpg_config_error cerr;
	size_t w;
	int i;

	memset(&cerr, 0, sizeof(cerr));
	if (bpg_config_load_apart(path, &ncfg, &cerr) != BPG_OK) {
		bpg_log(LOG_ERR, "reload: %s: line %d: %s%s%s; keeping the "
		    "running configuration", path, cerr.line, cerr.path,
		    cerr.path[0] ? ": " : "", cerr.msg);
		return;
	}
	for (w = 0; w < ncfg->warnings.n; w++)
		bpg_log(LOG_WARNING, "%s: %s", path, ncfg->warnings.v[w]);
	bpg_log(LOG_INFO, "reload: %s: replacing %d workers", path, s->n);
	give_back_heap();
	for (i = 0; i < s->n; i++) {
		pid_t old = s->pids[i];

		if (old > 0)
			s->stale[i] = true;
		if (mono_s() < s->next_fork || !spawn_slot(s, i, ncfg))
			continue;
		drain(s, old);
	}
	/* The workers have their own copies now. */
	bpg_config_free(*cfg);
	*cfg = ncfg;
}

static void
retell_draining(struct slots *s)
{
	size_t i = 0;

	while (i < s->draining.n)
		if (kill(s->draining.v[i], SIGTERM) != 0)
			(void)bpg_pids_remove(&s->draining, s->draining.v[i]);
		else
			i++;
}

/* Reaped: pid's slot is emptied (and its index returned) or it was a
 * draining worker (-1).  A worker that died mid-stream held a stream
 * slot: it is freed. */
static int
reaped(struct slots *s, pid_t pid)
{
	int i;

	if (bpg_streams_reap(shared.streams, pid) > 0)
		bpg_log(LOG_INFO, "freed the stream slot of worker %d",
		    (int)pid);
	(void)bpg_pids_remove(&s->draining, pid);
	for (i = 0; i < s->n; i++)
		if (s->pids[i] == pid) {
			s->pids[i] = 0;
			s->stale[i] = false;
			return i;
		}
	return -1;
}

/*
 * Stop: SIGTERM to all, workers still draining after a reload included.
 * Each finishes the request it serves, which its deadline ends within
 * requestDeadlineSeconds (a followed log excepted); what is left after
 * that plus BPG_STOP_GRACE_S gets SIGKILL.
 */
static void
stop_all(struct slots *s, const struct bpg_config *cfg)
{
	struct timespec now;
	time_t deadline, told;
	int i, status;
	size_t live;
	pid_t pid;

	for (i = 0; i < s->n; i++)
		if (s->pids[i] > 0)
			kill(s->pids[i], SIGTERM);
	retell_draining(s);
	told = mono_s();
	deadline = told + (time_t)cfg->request_deadline_seconds +
	    BPG_STOP_GRACE_S;
	do {
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			(void)reaped(s, pid);
		live = s->draining.n;
		for (i = 0; i < s->n; i++)
			live += s->pids[i] > 0;
		if (live == 0)
			break;
		usleep(20000);
		clock_gettime(CLOCK_MONOTONIC, &now);
		/* Again each second, for a worker that was about to block in
		 * accept() when the first one came. */
		if (now.tv_sec > told) {
			told = now.tv_sec;
			for (i = 0; i < s->n; i++)
				if (s->pids[i] > 0)
					kill(s->pids[i], SIGTERM);
			retell_draining(s);
		}
	} while (now.tv_sec < deadline);
	if (live > 0)
		bpg_log(LOG_WARNING, "%zu workers still busy after %lld s: "
		    "killed", live, (long long)cfg->request_deadline_seconds +
		    BPG_STOP_GRACE_S);
	while (s->draining.n > 0) {
		pid = s->draining.v[0];
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		(void)bpg_pids_remove(&s->draining, pid);
	}
	for (i = 0; i < s->n; i++)
		if (s->pids[i] > 0) {
			kill(s->pids[i], SIGKILL);
			waitpid(s->pids[i], &status, 0);
			s->pids[i] = 0;
		}
}

static int
supervise(const char *path, struct bpg_config **cfgp, int nworkers)
{
	struct sigaction sa;
	struct slots s;
	sigset_t mask, old;
	int i, up, status;
	pid_t pid;

	memset(&s, 0, sizeof(s));
	s.n = nworkers;
	if ((s.pids = calloc((size_t)nworkers, sizeof(*s.pids))) == NULL ||
	    (s.stale = calloc((size_t)nworkers, sizeof(*s.stale))) == NULL ||
	    (s.born = calloc((size_t)nworkers, sizeof(*s.born))) == NULL) {
		free(s.stale);
		free(s.pids);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_super_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGALRM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	refill(&s, *cfgp);
	for (i = 0, up = 0; i < nworkers; i++)
		up += s.pids[i] > 0;
	bpg_log(LOG_INFO, "started %d workers of %d", up, nworkers);
	arm_tick(&s);
	while (!stopping) {
		sigsuspend(&old);
		child_died = 0;
		if (reloading && !stopping) {
			reloading = 0;
			reload(path, cfgp, &s);
		}
		if (ticked) {
			ticked = 0;
			retell_draining(&s);
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if ((i = reaped(&s, pid)) < 0)
				continue;
			bpg_metrics_inc(shared.metrics, BPG_METRIC_WORKER_RESTARTS,
			    NULL);
			if (WIFSIGNALED(status))
				bpg_log(LOG_WARNING, "worker %d killed by signal "
				    "%d", (int)pid, WTERMSIG(status));
			else
				bpg_log(LOG_WARNING, "worker %d exited with %d",
				    (int)pid, WEXITSTATUS(status));
			/* A worker dying at once again and again: slow down. */
			if (mono_s() - s.born[i] < 1 &&
			    s.next_fork < mono_s() + 1)
				s.next_fork = mono_s() + 1;
		}
		if (!stopping)
			refill(&s, *cfgp);
		arm_tick(&s);
	}
	alarm(0);
	stop_all(&s, *cfgp);
	bpg_log(LOG_INFO, "stopped");
	bpg_pids_free(&s.draining);
	free(s.pids);
	free(s.stale);
	free(s.born);
	return 0;
}

/*
 * A database link whose TLS cannot work (a certificate that does not
 * verify against dbStorageSOPS.caCertDataSOPS, a server without TLS where
 * sslMode requires it) would only fail every request: stop at start-up
 * instead.  The connection is tried in a child, as a worker would, since
 * the supervisor talks to no server; an unreachable database is left to
 * the workers, which retry.  0 to go on, 1 to stop.
 */
static int
probe_db(const struct bpg_config *cfg)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db *db = NULL;
	int status;
	pid_t pid;

	if (cfg->db.connection_string == NULL ||
	    cfg->db.connection_string[0] == '\0')
		return 0;
	if ((pid = fork()) < 0)
		return 0;	/* the workers will tell */
	if (pid == 0) {
		if (bpg_db_new(&cfg->db, &db, &ei) == BPG_OK &&
		    bpg_db_connect(db, &ei) != BPG_ECONFIG) {
			bpg_db_free(db);
			_exit(0);
		}
		fprintf(stderr, "bpg-gateway: %s\n", ei.msg);
		bpg_log(LOG_ERR, "%s", ei.msg);
		bpg_db_free(db);
		_exit(3);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 3 ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_ratelimit *rl = NULL;
	struct bpg_errinfo ei = { "" };
	const char *path = NULL;
	bool check_only = false;
	long nworkers = 0;
	int ch, rc;
	char *end;

	while ((ch = getopt(argc, argv, "c:w:th")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'w':
			nworkers = strtol(optarg, &end, 10);
			if (*end != '\0' || nworkers < 1 ||
			    nworkers > BPG_MAX_WORKERS) {
				fprintf(stderr, "bpg-gateway: -w takes 1 to %d\n",
				    BPG_MAX_WORKERS);
				return 2;
			}
			break;
		case 't':
			check_only = true;
			break;
		default:
			usage();
		}
	}
	if (path == NULL || optind != argc)
		usage();
	if (!check_only)
		tune_malloc(argv);
	bpg_log_open("bpg-gateway", NULL);

	memset(&cerr, 0, sizeof(cerr));
	if (bpg_config_load_apart(path, &cfg, &cerr) != BPG_OK) {
		if (cerr.line > 0)
			fprintf(stderr, "bpg-gateway: %s: line %d: %s%s%s\n",
			    path, cerr.line, cerr.path, cerr.path[0] ? ": " : "",
			    cerr.msg);
		else
			fprintf(stderr, "bpg-gateway: %s: %s%s%s\n", path,
			    cerr.path, cerr.path[0] ? ": " : "", cerr.msg);
		return 1;
	}
	for (size_t i = 0; i < cfg->warnings.n; i++)
		bpg_log(LOG_WARNING, "%s: %s", path, cfg->warnings.v[i]);
	if (check_only) {
		printf("%s: OK\n", path);
		bpg_config_free(cfg);
		return 0;
	}
	if (FCGX_IsCGI()) {
		fprintf(stderr, "bpg-gateway: fd 0 is not a FastCGI listening "
		    "socket; start it with spawn-fcgi\n");
		bpg_config_free(cfg);
		return 1;
	}
	if (nworkers == 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		nworkers = (ncpu > 0 ? ncpu : 1) * BPG_WORKERS_PER_CPU;
		if (nworkers > BPG_MAX_WORKERS)
			nworkers = BPG_MAX_WORKERS;
	}
	/* Global library state, set up once before fork(). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    mysql_library_init(0, NULL, NULL) != 0 || FCGX_Init() != 0) {
		fprintf(stderr, "bpg-gateway: library initialisation failed\n");
		bpg_config_free(cfg);
		return 1;
	}
	if (probe_db(cfg) != 0) {
		bpg_config_free(cfg);
		mysql_library_end();
		curl_global_cleanup();
		return 1;
	}
	/* BPG's limits hold for the whole server: one set for all workers. */
	if (bpg_ratelimit_new_shared(BPG_RATELIMIT_RATE, BPG_RATELIMIT_BURST,
	    &rl, &ei) != BPG_OK) {
		fprintf(stderr, "bpg-gateway: %s\n", ei.msg);
		bpg_config_free(cfg);
		return 1;
	}
	/*
	 * Stream slots for every process that may serve at once: the
	 * workers and those of up to two reloads still finishing.
	 */
	if (bpg_streams_new_shared(3 * BPG_MAX_WORKERS, &shared.streams, &ei) !=
	    BPG_OK) {
		fprintf(stderr, "bpg-gateway: %s\n", ei.msg);
		bpg_ratelimit_free(rl);
		bpg_config_free(cfg);
		return 1;
	}
	if (bpg_breaker_new_shared(&shared.breakers, &ei) != BPG_OK) {
		fprintf(stderr, "bpg-gateway: %s\n", ei.msg);
		bpg_streams_free(shared.streams);
		bpg_ratelimit_free(rl);
		bpg_config_free(cfg);
		return 1;
	}
	if (bpg_metrics_new_shared(&shared.metrics, &ei) != BPG_OK) {
		fprintf(stderr, "bpg-gateway: %s\n", ei.msg);
		bpg_breaker_free(shared.breakers);
		bpg_streams_free(shared.streams);
		bpg_ratelimit_free(rl);
		bpg_config_free(cfg);
		return 1;
	}
	bpg_metrics_set(shared.metrics, BPG_METRIC_BUILD_INFO,
	    BPG_LV("gateway", BPG_VERSION, BPG_GIT_REV), 1);
	shared.stream_workers = (int)nworkers;
	shared.rl = rl;
	give_back_heap();
	rc = supervise(path, &cfg, (int)nworkers);
	bpg_metrics_free(shared.metrics);
	bpg_breaker_free(shared.breakers);
	bpg_streams_free(shared.streams);
	bpg_ratelimit_free(rl);
	bpg_config_free(cfg);
	mysql_library_end();
	curl_global_cleanup();
	return rc;
}
