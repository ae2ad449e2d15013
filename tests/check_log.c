/* Unit tests for lib/bpg_log.c: is standard error the journal? */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
	char id[64], buf[256];
	ssize_t n;

	/* Not the journal: the line reaches standard error too. */
	stderr_to_file(id, sizeof(id));
	unsetenv("JOURNAL_STREAM");
	bpg_log_open("check-log");
	syslog(LOG_INFO, "line one");
	closelog();
	n = pread(STDERR_FILENO, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_ptr_nonnull(strstr(buf, "line one"));
	/* The journal: syslog only. */
	stderr_to_file(id, sizeof(id));
	setenv("JOURNAL_STREAM", id, 1);
	bpg_log_open("check-log");
	syslog(LOG_INFO, "line two");
	closelog();
	ck_assert_int_eq(pread(STDERR_FILENO, buf, sizeof(buf) - 1, 0), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");

	tcase_add_test(tc, test_journal_stream);
	tcase_add_test(tc, test_log_open_perror);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
