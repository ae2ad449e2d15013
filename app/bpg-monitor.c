/*
 * bpg-monitor: the application monitor daemon (lib/bpg_monitor.h).
 *
 *	bpg-monitor -c config.yaml [-v] [-r SECONDS] [-w SECONDS]
 *
 * Reads BPG's config.yaml, then loops until SIGTERM or SIGINT: standby
 * until it holds the lease 'bpg-monitor' in the database, then leader
 * (lists and watches every monitored namespace, writes the submission
 * table, kills over-long applications).  SIGHUP re-lists everything at once.  Logs go
 * to stderr, one line each, with a UTC time stamp.
 *
 *	-c FILE     the config (required)
 *	-r SECONDS  full resync period (default 180; 0 never)
 *	-w SECONDS  watch timeoutSeconds (default 300)
 *	-v          debug messages too
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <mysql.h>

#include "bpg_config.h"
#include "bpg_monitor.h"

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t hup_signal;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_signal = 1;
	else
		stop_signal = sig;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bpg-monitor -c config.yaml [-v] "
	    "[-r SECONDS] [-w SECONDS]\n");
}

static void
log_line(void *arg, enum bpg_monitor_level lvl, const char *msg)
{
	static const char *const names[] = {
	    "error", "warning", "info", "debug"};
	char ts[32];
	struct timespec now;
	struct tm tm;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ bpg-monitor[%ld]: %s: %s\n", ts,
	    now.tv_nsec / 1000000, (long)getpid(),
	    (unsigned)lvl < 4 ? names[lvl] : "?", msg);
}

/* A number of seconds, 0 to 86400. */
static int
seconds(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct bpg_monitor_opts opts;
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_monitor *m = NULL;
	struct bpg_errinfo ei;
	struct sigaction sa;
	const char *path = NULL;
	long resync = -2, wt = 0;
	size_t i;
	int ch, rc = 1;

	memset(&opts, 0, sizeof(opts));
	while ((ch = getopt(argc, argv, "c:r:vw:")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'r':
			if (seconds(optarg, &resync) != 0) {
				usage();
				return 2;
			}
			break;
		case 'v':
			opts.verbose = true;
			break;
		case 'w':
			if (seconds(optarg, &wt) != 0 || wt < 1 || wt > 3600) {
				usage();
				return 2;
			}
			break;
		default:
			usage();
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage();
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (bpg_config_load(path, &cfg, &cerr) != BPG_OK) {
		fprintf(stderr, "bpg-monitor: %s:%d: %s: %s\n", path, cerr.line,
		    cerr.path, cerr.msg);
		return 1;
	}
	for (i = 0; i < cfg->warnings.n; i++)
		fprintf(stderr, "bpg-monitor: %s: warning: %s\n", path,
		    cfg->warnings.v[i]);
	if (cfg->db.connection_string == NULL ||
	    cfg->db.connection_string[0] == '\0')
		fprintf(stderr,
		    "bpg-monitor: %s: no dbStorageSOPS: nothing is "
		    "recorded and there is no leader election; run one "
		    "monitor only\n",
		    path);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    mysql_library_init(0, NULL, NULL) != 0) {
		fprintf(stderr, "bpg-monitor: cannot initialise libraries\n");
		goto out;
	}

	opts.cfg = cfg;
	/* -r 0 means never; without -r, the default. */
	opts.resync_s = resync == -2 ? 0 : resync == 0 ? -1 : resync;
	opts.watch_timeout_s = wt;
	opts.log = log_line;
	if (bpg_monitor_new(&opts, &m, &ei) != BPG_OK) {
		fprintf(stderr, "bpg-monitor: %s\n", ei.msg);
		goto out;
	}
	log_line(NULL, BPG_MONITOR_LOG_INFO,
	    "starting (version " BPG_VERSION ", " BPG_GIT_REV ")");
	while (!stop_signal) {
		if (hup_signal) {
			hup_signal = 0;
			log_line(NULL, BPG_MONITOR_LOG_INFO,
			    "SIGHUP: "
			    "re-listing");
			bpg_monitor_resync(m);
		}
		/* Short steps: signals are noticed within 500 ms. */
		if (bpg_monitor_step(m, 500, &ei) != BPG_OK) {
			log_line(NULL, BPG_MONITOR_LOG_ERR, ei.msg);
			goto out;
		}
	}
	log_line(NULL, BPG_MONITOR_LOG_INFO,
	    stop_signal == SIGINT ? "SIGINT: stopping" : "SIGTERM: stopping");
	rc = 0;
out:
	bpg_monitor_free(m);
	bpg_config_free(cfg);
	mysql_library_end();
	curl_global_cleanup();
	return rc;
}
