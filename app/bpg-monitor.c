/*
 * bpg-monitor: the application monitor daemon (lib/bpg_monitor.h).
 *
 *	bpg-monitor -c config.yaml [-v] [-r SECONDS] [-w SECONDS]
 *	    [-m ADDRESS:PORT]
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
 *	-m ADDRESS:PORT  serve GET /metrics (Prometheus' text format) there,
 *	            leader or not, e.g. 127.0.0.1:9465 (an IPv4 address:
 *	            keep it on loopback or a private network)
 *	-v          debug messages too
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <mysql.h>

#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_metrics.h"
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
	    "[-r SECONDS] [-w SECONDS] [-m ADDRESS:PORT]\n");
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

/* "a.b.c.d:port" into sa; -1 if it is not one. */
static int
listen_addr(const char *s, struct sockaddr_in *sa)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || port < 1 ||
	    port > 65535)
		return -1;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/*
 * GET /metrics: the table rendered on MHD's thread while the loop counts
 * into it (atomics only, bpg_metrics.h).
 */
static enum MHD_Result
on_http(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	const struct bpg_metrics *metrics = cls;
	struct bpg_buf b = { NULL, 0, 0 };
	struct MHD_Response *r;
	unsigned int status = MHD_HTTP_OK;
	const char *ctype = BPG_METRICS_CONTENT_TYPE;
	enum MHD_Result ret;
	size_t len;
	char *text;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		text = strdup("not found\n");
		ctype = "text/plain";
	} else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		text = strdup("method not allowed\n");
		ctype = "text/plain";
	} else if (bpg_metrics_render(metrics, BPG_METRICS_MONITOR, &b) !=
	    BPG_OK) {
		bpg_buf_free(&b);
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		text = strdup("out of memory\n");
		ctype = "text/plain";
	} else
		text = bpg_buf_take(&b);
	if (text == NULL)
		return MHD_NO;
	len = strlen(text);
	if ((r = MHD_create_response_from_buffer(len, text,
	    MHD_RESPMEM_MUST_FREE)) == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", ctype);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

int
main(int argc, char *argv[])
{
	struct bpg_monitor_opts opts;
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_monitor *m = NULL;
	struct bpg_metrics *metrics = NULL;
	struct MHD_Daemon *httpd = NULL;
	struct sockaddr_in maddr;
	struct bpg_errinfo ei;
	struct sigaction sa;
	const char *path = NULL, *mspec = NULL;
	long resync = -2, wt = 0;
	size_t i;
	int ch, rc = 1;

	memset(&opts, 0, sizeof(opts));
	while ((ch = getopt(argc, argv, "c:m:r:vw:")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'm':
			if (listen_addr(optarg, &maddr) != 0) {
				fprintf(stderr, "bpg-monitor: -m %s: not an "
				    "IPv4 ADDRESS:PORT\n", optarg);
				usage();
				return 2;
			}
			mspec = optarg;
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

	if (bpg_metrics_new_shared(&metrics, &ei) != BPG_OK) {
		fprintf(stderr, "bpg-monitor: %s\n", ei.msg);
		goto out;
	}
	bpg_metrics_set(metrics, BPG_METRIC_BUILD_INFO,
	    BPG_LV("monitor", BPG_VERSION, BPG_GIT_REV), 1);
	bpg_metrics_set(metrics, BPG_METRIC_MON_LEADER, NULL, 0);
	/* Before the loop and leader or not: a standby is worth watching. */
	if (mspec != NULL && (httpd = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_http, metrics,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&maddr,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)16,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
	    MHD_OPTION_END)) == NULL) {
		fprintf(stderr, "bpg-monitor: -m %s: cannot listen there\n",
		    mspec);
		goto out;
	}
	opts.metrics = metrics;
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
	/* The HTTP thread reads metrics: stopped first. */
	if (httpd != NULL)
		MHD_stop_daemon(httpd);
	bpg_metrics_free(metrics);
	bpg_config_free(cfg);
	mysql_library_end();
	curl_global_cleanup();
	return rc;
}
