/*
 * Where the gateway's log lines go: syslog, and standard error as well
 * unless standard error is the systemd journal, which already gets the
 * syslog lines (every line would be there twice).
 *
 * bpg_log() writes the lines glibc's bpg_log() writes with
 * openlog(ident, LOG_PID | LOG_PERROR, LOG_DAEMON), at a fraction of the
 * cost: the message is formatted once, the time stamp once a second, the
 * pid once per process; standard error gets one write(2); the syslog
 * socket stays connected, and when there is none (no /dev/log) it is
 * looked for again once a second, not on every line.  That was a
 * socket(), a failed connect() and seven other system calls per line.
 */
#ifndef BPG_LOG_H
#define BPG_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

/* Whether fd 2 is the journal stream systemd names in $JOURNAL_STREAM
 * ("DEVICE:INODE", systemd.exec(5)). */
bool bpg_log_stderr_is_journal(void);

/* Log as ident (with the pid) to the syslog socket at path (NULL:
 * /dev/log), LOG_DAEMON, and to standard error unless it is the
 * journal.  Before it, bpg_log() is bpg_log(). */
void bpg_log_open(const char *ident, const char *path);
/* Close the socket; bpg_log() is bpg_log() again. */
void bpg_log_close(void);

/* One line: bpg_log(prio, fmt, ...) as opened above. */
void bpg_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bpg_vlog(int prio, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
