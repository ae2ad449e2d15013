/*
 * The pre-forked FastCGI responder the benchmark's reference programs
 * share (hello.c, floor.c): like bpg-gateway, it takes spawn-fcgi's
 * listening socket as fd 0 (FastCGI 1.0 §2.2), forks the workers that
 * accept on it, and stops them on SIGTERM.
 *
 * Benchmark tools only; never installed.
 */
#ifndef PREFORK_H
#define PREFORK_H

#include <fcgiapp.h>

#define PREFORK_MAX_WORKERS 256

/*
 * Run workers processes until SIGTERM or SIGINT.  Each worker calls init()
 * once (if not NULL; non-zero ends that worker), then serve() for every
 * request it accepts; serve() writes the whole answer.  A dead worker is
 * not replaced.  Returns the exit status for main().
 */
int prefork_run(const char *prog, long workers, int (*init)(void),
    void (*serve)(FCGX_Request *));

/* Parse -w's argument: 1 to PREFORK_MAX_WORKERS, or -1 with a message. */
long prefork_workers(const char *prog, const char *arg);

#endif
