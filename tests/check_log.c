/* Unit tests for lib/bpg_log.c: is standard error the journal, and the
 * lines bpg_log() writes to it and to the syslog socket. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <check.h>

#include "bpg_log.h"
#include "testutil.h"

/* Standard error onto a new temporary file; its "DEVICE:INODE". */
static void
stderr_to_file(char *id, size_t idlen)
{
	char path[] = "/tmp/bpg-check-log-XXXXXX";
	struct stat st;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	ck_assert_int_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(id, idlen, "%llu:%llu", (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
}

START_TEST(test_journal_stream)
{
	char id[64], other[80];

	stderr_to_file(id, sizeof(id));
	unsetenv("JOURNAL_STREAM");
	ck_assert(!bpg_log_stderr_is_journal());
	setenv("JOURNAL_STREAM", id, 1);
	ck_assert(bpg_log_stderr_is_journal());
	/* Another file: a child of the service that redirected stderr. */
	snprintf(other, sizeof(other), "%s1", id);
	setenv("JOURNAL_STREAM", other, 1);
	ck_assert(!bpg_log_stderr_is_journal());
	snprintf(other, sizeof(other), "%s:7", id);
	setenv("JOURNAL_STREAM", other, 1);
	ck_assert(!bpg_log_stderr_is_journal());
	setenv("JOURNAL_STREAM", "", 1);
	ck_assert(!bpg_log_stderr_is_journal());
	setenv("JOURNAL_STREAM", "journal", 1);
	ck_assert(!bpg_log_stderr_is_journal());
	/* No standard error at all. */
	setenv("JOURNAL_STREAM", id, 1);
	close(STDERR_FILENO);
	ck_assert(!bpg_log_stderr_is_journal());
}
END_TEST

START_TEST(test_log_open_perror)
{
	char id[64], buf[256], want[128];
	ssize_t n;

	/* Not the journal: the line reaches standard error too, as glibc's
	 * LOG_PERROR writes it. */
	stderr_to_file(id, sizeof(id));
	unsetenv("JOURNAL_STREAM");
	bpg_log_open("check-log", "/nonexistent/log");
	bpg_log(LOG_INFO, "line %s", "one");
	errno = ENOENT;
	bpg_log(LOG_ERR, "oops: %m");
	bpg_log_close();
	n = pread(STDERR_FILENO, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "check-log[%ld]: line one\n"
	    "check-log[%ld]: oops: No such file or directory\n",
	    (long)getpid(), (long)getpid());
	ck_assert_str_eq(buf, want);
	/* The journal: syslog only. */
	stderr_to_file(id, sizeof(id));
	setenv("JOURNAL_STREAM", id, 1);
	bpg_log_open("check-log", "/nonexistent/log");
	bpg_log(LOG_INFO, "line two");
	bpg_log_close();
	ck_assert_int_eq(pread(STDERR_FILENO, buf, sizeof(buf) - 1, 0), 0);
}
END_TEST

/*
 * Lines of %s and %% only are put together without vsnprintf(): each is
 * held to what vsnprintf() makes of it, and so are the formats left to it,
 * and a line longer than the stack's buffer.
 */
START_TEST(test_log_formats)
{
	static char big[6000], buf[16384], want[16384];
	char id[64], one[7000];
	long pid = (long)getpid();
	size_t w = 0;
	ssize_t n;

	memset(big, 'x', sizeof(big) - 1);
	stderr_to_file(id, sizeof(id));
	unsetenv("JOURNAL_STREAM");
	bpg_log_open("check-log", "/nonexistent/log");
#define LINE(...) do {							\
		bpg_log(LOG_INFO, __VA_ARGS__);				\
		snprintf(one, sizeof(one), __VA_ARGS__);		\
		w += (size_t)snprintf(want + w, sizeof(want) - w,	\
		    "check-log[%ld]: %s\n", pid, one);			\
	} while (0)
	LINE("submitted %s user=%s queue=%s cluster=%s", "id-1", "alice",
	    "dev", "c01");
	LINE("%s", "");
	LINE("no directive");
	LINE("100%% of %s%%", "them");
	LINE("%%%s%%%%%s", "x", "y");
	LINE("%s then %d and %5s|%-3s|", "text", 42, "ab", "c");
	LINE("%zu %s", (size_t)7, "left to vsnprintf");
	LINE("%s", big);
	LINE("a%sb", big + 10);
#undef LINE
	bpg_log_close();
	n = pread(STDERR_FILENO, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, want);
}
END_TEST

/* A datagram socket bound at path, as a syslog daemon's /dev/log. */
static int
daemon_socket(const char *path)
{
	struct sockaddr_un a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* The datagram: "<PRI>Mmm dd hh:mm:ss ident[pid]: msg", RFC 3164 as
 * glibc sends it; LOG_DAEMON. */
static void
assert_datagram(int fd, int prio, const char *msg)
{
	char buf[8192], tail[8192];
	ssize_t n;
	int pri = LOG_MAKEPRI(LOG_DAEMON, prio);
	size_t plen;

	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	snprintf(tail, sizeof(tail), "<%d>", pri);
	plen = strlen(tail);
	ck_assert_msg(strncmp(buf, tail, plen) == 0, "got %s", buf);
	/* "Dec  6 21:40:57 ": 16 bytes of stamp */
	ck_assert_msg((size_t)n > plen + 16 && buf[plen + 3] == ' ' &&
	    buf[plen + 6] == ' ' && buf[plen + 9] == ':' &&
	    buf[plen + 12] == ':' && buf[plen + 15] == ' ', "got %s", buf);
	snprintf(tail, sizeof(tail), "check-log[%ld]: %s", (long)getpid(),
	    msg);
	ck_assert_str_eq(buf + plen + 16, tail);
}

START_TEST(test_log_socket)
{
	char dir[] = "/tmp/bpg-check-log-XXXXXX", path[128], id[64];
	char big[6000];
	int fd;

	stderr_to_file(id, sizeof(id));
	setenv("JOURNAL_STREAM", id, 1);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	fd = daemon_socket(path);
	bpg_log_open("check-log", path);
	bpg_log(LOG_WARNING, "to the daemon");
	assert_datagram(fd, LOG_WARNING, "to the daemon");
	/* Longer than the line buffer on the stack. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	bpg_log(LOG_INFO, "%s", big);
	assert_datagram(fd, LOG_INFO, big);
	/* The daemon restarts: the next line goes to the new socket. */
	close(fd);
	fd = daemon_socket(path);
	bpg_log(LOG_NOTICE, "after a restart");
	assert_datagram(fd, LOG_NOTICE, "after a restart");
	/* No daemon: the line is dropped; one that comes back is found
	 * again (looked for at most once a second). */
	close(fd);
	unlink(path);
	bpg_log(LOG_INFO, "nobody");
	fd = daemon_socket(path);
	sleep(2);
	bpg_log(LOG_INFO, "found again");
	assert_datagram(fd, LOG_INFO, "found again");
	bpg_log_close();
	close(fd);
	unlink(path);
	rmdir(dir);
}
END_TEST

/* Not opened: syslog() itself (nothing of the opened state). */
START_TEST(test_log_closed)
{
	char id[64];

	stderr_to_file(id, sizeof(id));
	unsetenv("JOURNAL_STREAM");
	bpg_log(LOG_INFO, "through syslog()");
	closelog();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, test_journal_stream);
	tcase_add_test(tc, test_log_open_perror);
	tcase_add_test(tc, test_log_formats);
	tcase_add_test(tc, test_log_socket);
	tcase_add_test(tc, test_log_closed);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
