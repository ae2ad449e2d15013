#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bpg_log.h"

/* A missing syslog socket is looked for again after this long. */
#define RETRY_S 1
/* A message longer than this is formatted on the heap. */
#define LINE_MAX_STACK 4096

static struct {
	bool open;
	bool to_stderr;
	char ident[64];
	struct sockaddr_un addr;
	int fd;			/* the syslog socket, or -1 */
	time_t retry;		/* no socket: when to look again (monotonic) */
	pid_t pid;
	time_t stamp_s;		/* the second of head */
	pid_t head_pid;		/* the pid in head */
	char head[128];		/* "Mmm dd hh:mm:ss ident[pid]: " */
	size_t hlen;
	size_t tail;		/* where ident starts in head */
	pthread_mutex_t lock;
} lg = { .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

bool
bpg_log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (js == NULL || sscanf(js, "%llu:%llu%n", &dev, &ino, &end) != 2 ||
	    js[end] != '\0' || fstat(STDERR_FILENO, &st) != 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

static void
after_fork(void)
{
	lg.pid = getpid();
}

void
bpg_log_open(const char *ident, const char *path)
{
	static bool registered;

	pthread_mutex_lock(&lg.lock);
	if (!registered && pthread_atfork(NULL, NULL, after_fork) == 0)
		registered = true;
	snprintf(lg.ident, sizeof(lg.ident), "%s", ident);
	lg.to_stderr = !bpg_log_stderr_is_journal();
	memset(&lg.addr, 0, sizeof(lg.addr));
	lg.addr.sun_family = AF_UNIX;
	snprintf(lg.addr.sun_path, sizeof(lg.addr.sun_path), "%s",
	    path != NULL ? path : "/dev/log");
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
	lg.retry = 0;
	lg.pid = getpid();
	lg.stamp_s = -1;
	lg.open = true;
	pthread_mutex_unlock(&lg.lock);
}

void
bpg_log_close(void)
{
	pthread_mutex_lock(&lg.lock);
	if (lg.fd >= 0)
		close(lg.fd);
	lg.fd = -1;
	lg.open = false;
	pthread_mutex_unlock(&lg.lock);
}

/* The syslog socket, connected, or -1 (looked for at most once in
 * RETRY_S). */
static int
sock(void)
{
	struct timespec ts;
	time_t now;
	int fd;

	if (lg.fd >= 0)
		return lg.fd;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = ts.tv_sec;
	if (now < lg.retry)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0 &&
	    connect(fd, (struct sockaddr *)&lg.addr, sizeof(lg.addr)) == 0)
		return lg.fd = fd;
	if (fd >= 0)
		close(fd);
	lg.retry = now + RETRY_S;
	return -1;
}

/* The line to the socket: once more on a new connection if the old one
 * went away (a restarted syslog daemon), as glibc does. */
static void
to_syslog(const char *line, size_t len)
{
	int tries;

	for (tries = 0; tries < 2; tries++) {
		if (sock() < 0)
			return;
		if (send(lg.fd, line, len, MSG_NOSIGNAL) >= 0)
			return;
		if (errno != ECONNREFUSED && errno != ENOTCONN &&
		    errno != EPIPE && errno != ECONNRESET)
			return;
		close(lg.fd);
		lg.fd = -1;
		lg.retry = 0;
	}
}

/*
 * lg.head: "Mmm dd hh:mm:ss ident[pid]: " for now (syslog's RFC 3164
 * stamp, local time), rebuilt once a second or after a fork; lg.tail is
 * where "ident" starts (standard error's line).
 */
static void
head(time_t now)
{
	struct tm tm;
	size_t n = 0;
	int k;

	if (now == lg.stamp_s && lg.pid == lg.head_pid)
		return;
	localtime_r(&now, &tm);
	n = strftime(lg.head, sizeof(lg.head), "%b %e %T ", &tm);
	lg.tail = n;
	k = snprintf(lg.head + n, sizeof(lg.head) - n, "%s[%ld]: ", lg.ident,
	    (long)lg.pid);
	lg.hlen = k > 0 && (size_t)k < sizeof(lg.head) - n ? n + (size_t)k :
	    n;
	lg.stamp_s = now;
	lg.head_pid = lg.pid;
}

/* k bytes of s at out + *n, as many as room leaves beside the final NUL;
 * *n counts them all, as vsnprintf()'s answer does. */
static void
put_cut(char *out, size_t room, size_t *n, const char *s, size_t k)
{
	if (*n + 1 < room)
		memcpy(out + *n, s, *n + k < room ? k : room - 1 - *n);
	*n += k;
}

/*
 * fmt into out[0..room) when it has no directive but %s and %%, as most
 * lines have: vsnprintf()'s work for them is most of a line's.  The
 * length as vsnprintf() counts it, or -1 for a format it must do.
 */
static int
fmt_plain(char *out, size_t room, const char *fmt, va_list ap)
{
	const char *p, *pct, *s;
	size_t n = 0, k;

	for (pct = strchr(fmt, '%'); pct != NULL; pct = strchr(pct + 2, '%'))
		if (pct[1] != 's' && pct[1] != '%')
			return -1;
	for (p = fmt;; p = pct + 2) {
		pct = strchr(p, '%');
		k = pct != NULL ? (size_t)(pct - p) : strlen(p);
		put_cut(out, room, &n, p, k);
		if (pct == NULL)
			break;
		s = pct[1] == '%' ? "%" : va_arg(ap, const char *);
		if (s == NULL)
			s = "(null)";
		put_cut(out, room, &n, s, strlen(s));
		if (n > INT_MAX)
			return -1;
	}
	if (room > 0)
		out[n < room ? n : room - 1] = '\0';
	return (int)n;
}

void
bpg_vlog(int prio, const char *fmt, va_list ap)
{
	char line[LINE_MAX_STACK], *big = NULL, *buf = line;
	size_t len, at, room;
	unsigned pri;
	time_t now;
	va_list cp;
	int n, saved = errno;

	if (!lg.open) {
		vsyslog(prio, fmt, ap);
		return;
	}
	now = time(NULL);
	pthread_mutex_lock(&lg.lock);
	head(now);
	/* "<PRI>" then the head: the facility's and prio's number. */
	pri = (unsigned)LOG_MAKEPRI(LOG_DAEMON, LOG_PRI(prio));
	at = 0;
	line[at++] = '<';
	if (pri >= 100)
		line[at++] = (char)('0' + pri / 100);
	if (pri >= 10)
		line[at++] = (char)('0' + pri / 10 % 10);
	line[at++] = (char)('0' + pri % 10);
	line[at++] = '>';
	memcpy(line + at, lg.head, lg.hlen);
	at += lg.hlen;
	/* The message after it, leaving room for standard error's newline. */
	room = sizeof(line) - at - 1;
	va_copy(cp, ap);
	n = fmt_plain(line + at, room, fmt, cp);
	va_end(cp);
	if (n < 0) {
		va_copy(cp, ap);
		errno = saved;	/* for %m */
		n = vsnprintf(line + at, room, fmt, cp);
		va_end(cp);
	}
	if (n < 0)
		goto out;
	if ((size_t)n >= room) {
		if ((big = malloc(at + (size_t)n + 2)) == NULL)
			goto out;
		memcpy(big, line, at);
		errno = saved;
		(void)vsnprintf(big + at, (size_t)n + 1, fmt, ap);
		buf = big;
	}
	len = at + (size_t)n;
	to_syslog(buf, len);
	if (lg.to_stderr) {
		/* From "ident": glibc's LOG_PERROR line. */
		at -= lg.hlen - lg.tail;
		buf[len] = '\n';
		(void)!write(STDERR_FILENO, buf + at, len + 1 - at);
	}
out:
	pthread_mutex_unlock(&lg.lock);
	free(big);
	errno = saved;
}

void
bpg_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bpg_vlog(prio, fmt, ap);
	va_end(ap);
}
