/*
 * forkfail.so: makes fork() fail on demand, for the gateway's tests.
 *
 *	LD_PRELOAD=build/tests/forkfail.so BPG_FORKFAIL_FILE=PATH ...
 *
 * PATH holds a count (decimal).  While it is above 0, each fork() writes
 * it back one lower and fails with EAGAIN, as when RLIMIT_NPROC or
 * memory runs out; otherwise (no file, 0, unreadable) fork() is the real
 * one.  One process forks at a time here (the gateway's supervisor), so
 * the read and the rewrite need no lock.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

pid_t fork(void);

static int
take_failure(void)
{
	const char *path = getenv("BPG_FORKFAIL_FILE");
	FILE *f;
	long n = 0;
	int saved = errno;

	if (path == NULL || (f = fopen(path, "r+")) == NULL) {
		errno = saved;
		return 0;
	}
	if (fscanf(f, "%ld", &n) != 1 || n <= 0) {
		fclose(f);
		errno = saved;
		return 0;
	}
	rewind(f);
	/* Padded to the old width: the new count never leaves a tail. */
	fprintf(f, "%-20ld\n", n - 1);
	fclose(f);
	return 1;
}

pid_t
fork(void)
{
	pid_t (*real)(void);

	if (take_failure()) {
		errno = EAGAIN;
		return -1;
	}
	*(void **)&real = dlsym(RTLD_NEXT, "fork");
	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return real();
}
