/*
 * hello: the smallest pre-forked FastCGI responder, the reference the
 * benchmarks hold bpg-gateway against.
 *
 *	spawn-fcgi -s SOCKET -n -- hello [-w WORKERS]
 *
 * Like bpg-gateway it takes spawn-fcgi's listening socket as fd 0
 * (FastCGI 1.0 §2.2), forks WORKERS processes (default 4) that accept on
 * it, and stops them on SIGTERM.  Every request, whatever its method or
 * URI, gets the same head bpg-gateway sends with GET /healthcheck/status
 * and the same 15-byte body, so the difference between the two is the
 * gateway's own work: routing, authentication, JSON, back ends.  A request
 * body is not read (libfcgi drops what is left at FCGX_Finish_r()).
 *
 * Benchmark tool only; never installed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAX_WORKERS 256

static const char answer[] = "Status: 200 OK\r\n"
			     "Content-Type: application/json\r\n"
			     "Content-Length: 15\r\n"
			     "Cache-Control: no-store\r\n"
			     "\r\n"
			     "{\"status\":\"OK\"}";

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static int
serve(void)
{
	FCGX_Request r;

	if (FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (!stopping && FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(answer, (int)sizeof(answer) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 1);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	pid_t pids[MAX_WORKERS];
	long n = 4;
	int ch, i, status;
	char *end;

	while ((ch = getopt(argc, argv, "w:")) != -1) {
		switch (ch) {
		case 'w':
			n = strtol(optarg, &end, 10);
			if (*end != '\0' || n < 1 || n > MAX_WORKERS) {
				fprintf(stderr, "hello: -w takes 1 to %d\n",
				    MAX_WORKERS);
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: hello [-w workers]\n");
			return 2;
		}
	}
	if (FCGX_IsCGI()) {
		fprintf(stderr, "hello: fd 0 is not a FastCGI socket; start "
		    "it with spawn-fcgi\n");
		return 1;
	}
	if (FCGX_Init() != 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: accept() returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < n; i++) {
		if ((pids[i] = fork()) == 0)
			_exit(serve());
		if (pids[i] < 0) {
			perror("hello: fork");
			n = i;
			stopping = 1;
			break;
		}
	}
	/* The supervisor only waits; a dead worker is not replaced. */
	while (!stopping)
		if (wait(&status) < 0 && errno == ECHILD)
			break;
	for (i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	while (wait(&status) > 0 || errno == EINTR)
		;
	return 0;
}
