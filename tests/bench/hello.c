/*
 * hello: the smallest pre-forked FastCGI responder, the reference the
 * benchmarks hold bpg-gateway against.
 *
 *	spawn-fcgi -s SOCKET -n -- hello [-w WORKERS]
 *
 * WORKERS processes (default 4) accept on spawn-fcgi's socket
 * (prefork.c).  Every request, whatever its method or URI, gets the same
 * head bpg-gateway sends with GET /healthcheck/status and the same 15-byte
 * body, so the difference between the two is the gateway's own work:
 * routing, authentication, JSON, back ends.  A request body is not read
 * (libfcgi drops what is left at FCGX_Finish_r()).
 *
 * Benchmark tool only; never installed.
 */
#include <stdio.h>
#include <unistd.h>

#include "prefork.h"

static const char answer[] = "Status: 200 OK\r\n"
			     "Content-Type: application/json\r\n"
			     "Content-Length: 15\r\n"
			     "Cache-Control: no-store\r\n"
			     "\r\n"
			     "{\"status\":\"OK\"}";

static void
serve(FCGX_Request *r)
{
	FCGX_PutStr(answer, (int)sizeof(answer) - 1, r->out);
}

int
main(int argc, char *argv[])
{
	long n = 4;
	int ch;

	while ((ch = getopt(argc, argv, "w:")) != -1) {
		switch (ch) {
		case 'w':
			if ((n = prefork_workers("hello", optarg)) < 0)
				return 2;
			break;
		default:
			fprintf(stderr, "usage: hello [-w workers]\n");
			return 2;
		}
	}
	return prefork_run("hello", n, NULL, serve);
}
