/*
 * Where the gateway's log lines go: syslog, and standard error as well
 * unless standard error is the systemd journal, which already gets the
 * syslog lines (every line would be there twice).
 */
#ifndef BPG_LOG_H
#define BPG_LOG_H

#include <stdbool.h>

/* Whether fd 2 is the journal stream systemd names in $JOURNAL_STREAM
 * ("DEVICE:INODE", systemd.exec(5)). */
bool bpg_log_stderr_is_journal(void);

/* openlog(ident, LOG_PID, LOG_DAEMON), with LOG_PERROR unless standard
 * error is the journal. */
void bpg_log_open(const char *ident);

#endif
