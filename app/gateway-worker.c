/*
 * A worker of bpg-gateway (app/bpg-gateway.c forks them): accepts
 * requests on the FastCGI socket (fd 0) one at a time, turns each into a
 * struct bpg_http_req for the API (lib/bpg_api.h) and its answer into
 * FastCGI records, until SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "bpg_api.h"
#include "bpg_config.h"
#include "bpg_limits.h"
#include "bpg_log.h"
#include "bpg_streams.h"
#include "gateway-worker.h"

/* The OpenAPI document, compiled in from httpd-conf/openapi.yaml. */
extern const unsigned char bpg_openapi_yaml[];
extern const size_t bpg_openapi_yaml_len;

/* SIGTERM or SIGINT came: finish the request under way, then exit. */
static volatile sig_atomic_t stopping;

static void
on_worker_term(int sig)
{
	(void)sig;
	/*
	 * Only the flag: FCGX_ShutdownPending() would also make libfcgi fail
	 * every later read, cutting a request accepted just before.
	 */
	stopping = 1;
}

/* "User-Account" -> "HTTP_USER_ACCOUNT" (CGI/1.1 §4.1.18). */
static void
header_param(char *dst, size_t len, const char *name)
{
	size_t i, j;

	j = (size_t)snprintf(dst, len, "HTTP_");
	for (i = 0; name[i] != '\0' && j + 1 < len; i++, j++)
		dst[j] = name[i] == '-' ? '_' :
		    (char)((name[i] >= 'a' && name[i] <= 'z') ? name[i] - 32 :
		    name[i]);
	dst[j] = '\0';
}

static const char *
reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Status";
	}
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SIGTERM or SIGINT came while blocked: a reload or a stop wants us. */
static bool
stop_pending(void)
{
	sigset_t p;

	return stopping || (sigpending(&p) == 0 &&
	    (sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGINT) == 1));
}

/*
 * The request body being read.  A client that sends a few bytes and then
 * nothing would keep the worker in read() for good, and libfcgi gives no
 * way to wait with a timeout.  So while a read waits, SIGALRM (every
 * second, SA_RESTART: the read goes on) is let through, and on_tick()
 * applies the low-speed limit (uploadLowSpeedLimit/Seconds) to the time
 * spent waiting for the client and checks for a stop.  To end the wait it
 * shuts the socket down for reading: read() returns 0, libfcgi marks the
 * input closed, and the answer can still be written.  The fields are
 * written only while SIGALRM is blocked.
 */
static struct {
	volatile sig_atomic_t cut;	/* 0, BPG_HTTP_READ_SLOW or _STOP */
	int fd;
	long long got;			/* body bytes read */
	int64_t waited_ms;		/* spent waiting for them */
	int64_t since_ms;		/* start of the wait under way */
	struct bpg_lowspeed ls;		/* over waited_ms */
} rd;

static void
on_tick(int sig)
{
	int saved = errno;

	(void)sig;
	if (rd.cut == 0) {
		if (stop_pending())
			rd.cut = (sig_atomic_t)BPG_HTTP_READ_STOP;
		else if (bpg_lowspeed_slow(&rd.ls, rd.waited_ms + mono_ms() -
		    rd.since_ms, rd.got))
			rd.cut = (sig_atomic_t)BPG_HTTP_READ_SLOW;
		if (rd.cut != 0)
			shutdown(rd.fd, SHUT_RD);
	}
	errno = saved;
}

static void
read_start(const struct bpg_config *cfg, int fd)
{
	memset(&rd, 0, sizeof(rd));
	rd.fd = fd;
	bpg_lowspeed_start(&rd.ls, cfg->upload_low_speed_limit,
	    cfg->upload_low_speed_seconds * 1000, 0, 0);
}

/* FastCGI streams behind struct bpg_http_io. */
static long
io_read(void *ctx, char *buf, size_t n)
{
	FCGX_Request *r = ctx;
	FCGX_Stream *in = r->in;
	sigset_t alrm;
	long avail;
	int got;

	if (rd.cut != 0)
		return rd.cut;
	if (n > 1 << 30)
		n = 1 << 30;
	/* Bytes libfcgi holds already: no wait. */
	avail = (long)(in->stop - in->rdNext);
	if (avail > 0) {
		got = FCGX_GetStr(buf, (int)((size_t)avail < n ?
		    (size_t)avail : n), in);
		if (got > 0)
			rd.got += got;
		return got < 0 ? -1 : got;
	}
	/*
	 * FCGX_GetStr() waits for all n bytes; one byte returns as soon as a
	 * record comes, and the rest of the record is then held (above).
	 */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	rd.since_ms = mono_ms();
	sigprocmask(SIG_UNBLOCK, &alrm, NULL);
	got = FCGX_GetStr(buf, 1, in);
	sigprocmask(SIG_BLOCK, &alrm, NULL);
	rd.waited_ms += mono_ms() - rd.since_ms;
	if (rd.cut != 0)
		return rd.cut;
	if (got < 0)
		return -1;
	rd.got += got;
	if (bpg_lowspeed_slow(&rd.ls, rd.waited_ms, rd.got)) {
		rd.cut = (sig_atomic_t)BPG_HTTP_READ_SLOW;
		return rd.cut;
	}
	return got;
}

/*
 * A followed log asks this about once a second: the web server closed
 * the connection (its client went away), or a reload or stop wants the
 * worker.
 */
static bool
io_cancelled(void *ctx)
{
	FCGX_Request *r = ctx;
	struct pollfd p;

	if (stop_pending())
		return true;
	p.fd = r->ipcFd;
	p.events = POLLRDHUP;
	p.revents = 0;
	return poll(&p, 1, 0) > 0 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* Append s to buf (of size cap, used *n); false if it does not fit. */
static bool
head_put(char *buf, size_t cap, size_t *n, const char *s)
{
	size_t len = strlen(s);

	if (len >= cap - *n)
		return false;
	memcpy(buf + *n, s, len);
	*n += len;
	return true;
}

static int
io_head(void *ctx, int status, const char *ctype, const char *headers,
    long long len)
{
	FCGX_Request *r = ctx;
	char head[1024], num[24];
	size_t n = 0;
	bool ok = status >= 100 && status <= 999;

	/*
	 * Assembled by hand: two snprintf() calls or one FCGX_FPrintF() cost
	 * a tenth of a health check (tests/bench/callgrind.sh).
	 */
	ok = ok && head_put(head, sizeof(head), &n, "Status: ");
	num[0] = (char)('0' + status / 100);
	num[1] = (char)('0' + status / 10 % 10);
	num[2] = (char)('0' + status % 10);
	num[3] = ' ';
	num[4] = '\0';
	ok = ok && head_put(head, sizeof(head), &n, num) &&
	    head_put(head, sizeof(head), &n, reason_phrase(status)) &&
	    head_put(head, sizeof(head), &n, "\r\nContent-Type: ") &&
	    head_put(head, sizeof(head), &n, ctype ? ctype :
	    "application/json") &&
	    head_put(head, sizeof(head), &n, "\r\n");
	if (ok && len >= 0) {
		size_t i = sizeof(num) - 1;
		unsigned long long v = (unsigned long long)len;

		num[i] = '\0';
		do
			num[--i] = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		ok = head_put(head, sizeof(head), &n, "Content-Length: ") &&
		    head_put(head, sizeof(head), &n, num + i) &&
		    head_put(head, sizeof(head), &n, "\r\n");
	}
	ok = ok && head_put(head, sizeof(head), &n,
	    "Cache-Control: no-store\r\n") &&
	    head_put(head, sizeof(head), &n, headers ? headers : "") &&
	    head_put(head, sizeof(head), &n, "\r\n");
	if (ok)
		return FCGX_PutStr(head, (int)n, r->out) == (int)n ? 0 : -1;
	/* Longer than head (or an odd status): the general way. */
	if (len >= 0)
		snprintf(num, sizeof(num), "%lld", len);
	return FCGX_FPrintF(r->out, "Status: %d %s\r\nContent-Type: %s\r\n"
	    "%s%s%sCache-Control: no-store\r\n%s\r\n", status,
	    reason_phrase(status), ctype ? ctype : "application/json",
	    len >= 0 ? "Content-Length: " : "", len >= 0 ? num : "",
	    len >= 0 ? "\r\n" : "", headers ? headers : "") < 0 ? -1 : 0;
}

static int
io_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request *r = ctx;

	if (n == 0)	/* flush (struct bpg_http_io) */
		return FCGX_FFlush(r->out) == 0 ? 0 : -1;
	while (n > 0) {
		int chunk = n > 1 << 30 ? 1 << 30 : (int)n;

		if (FCGX_PutStr(buf, chunk, r->out) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

/* The value of entry if it is "name=value", else NULL. */
static const char *
param_value(const char *entry, const char *name, size_t len)
{
	return strncmp(entry, name, len) == 0 && entry[len] == '=' ?
	    entry + len + 1 : NULL;
}

#define TAKE(field, entry, name)					\
	((field) == NULL &&						\
	    ((field) = param_value((entry), (name), sizeof(name) - 1)) != NULL)

/*
 * The CGI/1.1 parameters the API reads (RFC 3875 §4.1), found in one pass
 * over the forty or so the web server sends: FCGX_GetParam() scans them
 * all once per name.  The first occurrence of a name counts, as with
 * FCGX_GetParam().  hdr is the trusted user header's parameter name or
 * "".  Returns CONTENT_LENGTH's value or NULL.
 */
static const char *
read_params(char **envp, const char *hdr, struct bpg_http_req *req)
{
	const char *cl = NULL, *e;
	size_t hlen = strlen(hdr);

	for (; *envp != NULL; envp++) {
		e = *envp;
		switch (e[0]) {
		case 'R':
			if (TAKE(req->method, e, "REQUEST_METHOD") ||
			    TAKE(req->uri, e, "REQUEST_URI"))
				continue;
			(void)TAKE(req->remote_user, e, "REMOTE_USER");
			break;
		case 'C':
			if (TAKE(req->content_type, e, "CONTENT_TYPE"))
				continue;
			(void)TAKE(cl, e, "CONTENT_LENGTH");
			break;
		case 'H':
			if (TAKE(req->idempotency_key, e,
			    "HTTP_IDEMPOTENCY_KEY"))
				continue;
			if (hlen > 0 && req->user_header == NULL)
				req->user_header = param_value(e, hdr, hlen);
			break;
		}
	}
	return cl;
}

int
gw_worker(const struct bpg_config *cfg, const struct gw_shared *sh)
{
	struct sigaction sa;
	struct itimerval tick;
	struct bpg_api *api;
	struct bpg_errinfo ei = { "" };
	struct bpg_http_req hreq;
	struct bpg_http_io io;
	FCGX_Request r;
	int64_t trimmed = mono_ms(), now;
	char hdr[128] = "";
	const char *cl;
	char *end;
	sigset_t term;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_worker_term;	/* no SA_RESTART: accept() returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/* Let through only while a body read waits (io_read). */
	sigemptyset(&term);
	sigaddset(&term, SIGALRM);
	sigprocmask(SIG_BLOCK, &term, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	memset(&tick, 0, sizeof(tick));
	tick.it_interval.tv_sec = tick.it_value.tv_sec =
	    BPG_STREAM_CHECK_MS / 1000;
	setitimer(ITIMER_REAL, &tick, NULL);

	if (bpg_api_new(cfg, &api, &ei) != BPG_OK) {
		bpg_log(LOG_ERR, "worker start: %s", ei.msg);
		return 1;
	}
	bpg_api_set_ratelimit(api, sh->rl);
	bpg_api_set_breaker(api, sh->breakers);
	bpg_api_set_metrics(api, sh->metrics);
	bpg_api_set_streams(api, sh->streams, bpg_streams_total_for(
	    (unsigned int)sh->stream_workers, cfg->stream_worker_share));
	/* Parsed once per worker; without it /openapi.* are 404s. */
	if (bpg_api_set_openapi(api, (const char *)bpg_openapi_yaml,
	    bpg_openapi_yaml_len, &ei) != BPG_OK)
		bpg_log(LOG_WARNING, "OpenAPI document not served: %s", ei.msg);
	if (bpg_api_warm(api, &ei) != BPG_OK)
		bpg_log(LOG_WARNING, "database not reachable yet: %s", ei.msg);
	if (cfg->trusted_user_header != NULL)
		header_param(hdr, sizeof(hdr), cfg->trusted_user_header);
	if (FCGX_InitRequest(&r, 0, 0) != 0) {
		bpg_api_free(api);
		return 1;
	}
	io.read = io_read;
	io.head = io_head;
	io.write = io_write;
	io.cancelled = io_cancelled;
	io.ctx = &r;
	/*
	 * SIGTERM (stop, or a reload replacing this worker) is taken only
	 * while waiting in accept(), which it interrupts: a connection once
	 * accepted is always answered, and the worker exits after that.  So
	 * the worker accepts itself and hands the connection to libfcgi,
	 * which reads the request from r.ipcFd without accepting again.
	 */
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigaddset(&term, SIGINT);
	sigprocmask(SIG_BLOCK, &term, NULL);
	for (;;) {
		if (r.ipcFd < 0) {
			int fd;

			sigprocmask(SIG_UNBLOCK, &term, NULL);
			fd = stopping ? -1 : accept4(0, NULL, NULL,
			    SOCK_CLOEXEC);
			sigprocmask(SIG_BLOCK, &term, NULL);
			if (stopping && fd < 0)
				break;
			if (fd < 0) {
				if (errno == EINTR || errno == ECONNABORTED ||
				    errno == EAGAIN)
					continue;
				bpg_log(LOG_ERR, "accept: %m");
				break;
			} else
				r.ipcFd = fd;
		}
		/* FCGX_Accept_r() first finishes the previous request and
		 * closes the connection unless it is kept: keep ours. */
		r.keepConnection = 1;
		if (FCGX_Accept_r(&r) < 0)
			break;
		memset(&hreq, 0, sizeof(hreq));
		hreq.io = &io;
		cl = read_params(r.envp, hdr, &hreq);
		if (hreq.method == NULL)
			hreq.method = "GET";
		if (hreq.uri == NULL)
			hreq.uri = "/";
		hreq.content_length = -1;
		if (cl != NULL && cl[0] != '\0') {
			hreq.content_length = strtoll(cl, &end, 10);
			if (*end != '\0' || hreq.content_length < 0)
				hreq.content_length = -1;
		}
		read_start(cfg, r.ipcFd);
		bpg_api_handle(api, &hreq);
		FCGX_Finish_r(&r);
		if ((now = mono_ms()) - trimmed >= BPG_WORKER_TRIM_MS) {
			(void)malloc_trim(0);
			trimmed = now;
		}
	}
	FCGX_Free(&r, 1);
	bpg_api_free(api);
	return 0;
}
