/* The benchmark references' pre-forked FastCGI responder: see prefork.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prefork.h"

static volatile sig_atomic_t stopping;

static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

static int
work(int (*init)(void), void (*serve)(FCGX_Request *))
{
	FCGX_Request r;

	if (init != NULL && init() != 0)
		return 1;
	if (FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (!stopping && FCGX_Accept_r(&r) >= 0) {
		serve(&r);
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 1);
	return 0;
}

long
prefork_workers(const char *prog, const char *arg)
{
	char *end;
	long n;

	n = strtol(arg, &end, 10);
	if (*end != '\0' || n < 1 || n > PREFORK_MAX_WORKERS) {
		fprintf(stderr, "%s: -w takes 1 to %d\n", prog,
		    PREFORK_MAX_WORKERS);
		return -1;
	}
	return n;
}

int
prefork_run(const char *prog, long n, int (*init)(void),
    void (*serve)(FCGX_Request *))
{
	struct sigaction sa;
	pid_t pids[PREFORK_MAX_WORKERS];
	int i, status;

	if (n < 1 || n > PREFORK_MAX_WORKERS)
		return 2;
	if (FCGX_IsCGI()) {
		fprintf(stderr, "%s: fd 0 is not a FastCGI socket; start "
		    "it with spawn-fcgi\n", prog);
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
			_exit(work(init, serve));
		if (pids[i] < 0) {
			fprintf(stderr, "%s: fork: %s\n", prog,
			    strerror(errno));
			n = i;
			stopping = 1;
			break;
		}
	}
	while (!stopping)
		if (wait(&status) < 0 && errno == ECHILD)
			break;
	for (i = 0; i < n; i++)
		kill(pids[i], SIGTERM);
	while (wait(&status) > 0 || errno == EINTR)
		;
	return 0;
}
