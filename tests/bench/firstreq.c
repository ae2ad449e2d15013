/*
 * firstreq: start a FastCGI program under spawn-fcgi and measure the time
 * until the first successful request through the web server.
 *
 *	firstreq -s SOCKET -U URL [-W WARMURL] [-a USER:PASSWORD]
 *	    [-k CAFILE] [-p PIDFILE] [-l LOGFILE] [-t TIMEOUT_MS]
 *	    -- spawn-fcgi ARGS...
 *
 * The clock starts just before the command is started (it must create
 * SOCKET: spawn-fcgi -s SOCKET -n -- PROGRAM).  A stale SOCKET is removed
 * first.  Until the socket listens, only /proc/net/unix is read: a web
 * server that finds no back end would take it out of service for a while
 * (lighttpd's disable-time), which would measure the web server instead.
 * Then URL is asked in a tight loop (1 ms apart, one kept-alive HTTPS
 * connection) until it answers 200.  WARMURL, a page of the same web
 * server that does not reach the back end (its "/"), is asked once before
 * the clock starts, so that the TLS handshake is not counted.  Prints the milliseconds from start
 * to that answer.  The started process (spawn-fcgi execs the program, so
 * its pid is the program's) keeps running; PIDFILE gets its pid and
 * LOGFILE its stdout and stderr (default /dev/null).  Exit 1 on timeout.
 *
 * Benchmark tool only; never installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

/* Linux's __SO_ACCEPTCON in /proc/net/unix "Flags": a listening socket. */
#define UNIX_LISTENING 0x10000UL

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
pause_us(long us)
{
	struct timespec ts = { 0, us * 1000 };

	nanosleep(&ts, NULL);
}

/* Is there a listening UNIX socket bound to path? */
static bool
listening(const char *path)
{
	char line[4352], name[4097];
	unsigned long flags;
	bool found = false;
	FILE *f;

	if ((f = fopen("/proc/net/unix", "r")) == NULL)
		return access(path, F_OK) == 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		name[0] = '\0';
		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %4096s", &flags,
		    name) == 2 && strcmp(name, path) == 0 &&
		    (flags & UNIX_LISTENING))
			found = true;
	}
	fclose(f);
	return found;
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static void
usage(void)
{
	fprintf(stderr, "usage: firstreq -s SOCKET -U URL [-W WARMURL] "
	    "[-a USER:PW] [-k CAFILE] [-p PIDFILE] [-l LOGFILE] [-t MS] "
	    "-- CMD...\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char *sock = NULL, *url = NULL, *warm = NULL, *auth = NULL,
		   *ca = NULL, *pidfile = NULL, *logfile = "/dev/null";
	double timeout = 10000, t0, t;
	long code = 0;
	CURL *c;
	FILE *pf;
	pid_t pid;
	int ch, fd;

	while ((ch = getopt(argc, argv, "s:U:W:a:k:p:l:t:")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'U': url = optarg; break;
		case 'W': warm = optarg; break;
		case 'a': auth = optarg; break;
		case 'k': ca = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'l': logfile = optarg; break;
		case 't': timeout = strtod(optarg, NULL); break;
		default: usage();
		}
	}
	if (sock == NULL || url == NULL || optind >= argc)
		usage();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (c = curl_easy_init()) == NULL)
		return 1;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (auth != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, auth);
	}
	if (ca != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	/* Connect to the web server (TLS handshake) before the clock runs. */
	if (warm != NULL) {
		curl_easy_setopt(c, CURLOPT_URL, warm);
		(void)curl_easy_perform(c);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);

	if (unlink(sock) != 0 && errno != ENOENT) {
		fprintf(stderr, "firstreq: %s: %s\n", sock, strerror(errno));
		return 1;
	}
	t0 = now_ms();
	if ((pid = fork()) < 0) {
		perror("firstreq: fork");
		return 1;
	}
	if (pid == 0) {
		if ((fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644)) >=
		    0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		execvp(argv[optind], argv + optind);
		_exit(127);
	}
	if (pidfile != NULL && (pf = fopen(pidfile, "w")) != NULL) {
		fprintf(pf, "%d\n", (int)pid);
		fclose(pf);
	}
	while (!listening(sock)) {
		if (now_ms() - t0 > timeout)
			goto late;
		pause_us(100);
	}
	for (;;) {
		if (curl_easy_perform(c) == CURLE_OK &&
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) ==
		    CURLE_OK && code == 200)
			break;
		if (now_ms() - t0 > timeout)
			goto late;
		pause_us(1000);
	}
	t = now_ms() - t0;
	printf("%.1f\n", t);
	curl_easy_cleanup(c);
	curl_global_cleanup();
	return 0;
late:
	fprintf(stderr, "firstreq: no 200 from %s within %.0f ms (last "
	    "status %ld)\n", url, timeout, code);
	return 1;
}
