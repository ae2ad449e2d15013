/*
 * webhook: an HTTPS receiver of the monitor's notifications, for tests.
 *
 * usage: webhook --cert PEM --key PEM --secret-file PATH
 *            [--port N] [--ports-file PATH] [--pidfile PATH]
 *
 * It listens on 127.0.0.1:N (0: any port; the port is written to
 * --ports-file as {"port":N} once it listens, then "webhook ready" is
 * printed on stdout) with the certificate given (tests/pki.sh's), and
 * records every POST to any path but /_control: its path, X-BPG-Event-Id,
 * whether X-BPG-Signature is "sha256=" and the hex HMAC-SHA256 of the
 * body keyed with the secret (the first line of --secret-file, checked
 * with OpenSSL as a receiver would), the body, and what it answered.
 *
 * How it answers is set through the control paths (same port, JSON):
 *   GET  /_control/deliveries   [{"path","eventId","signatureOk","body",
 *                                 "answer"}] in arrival order; answer is
 *                                 the status sent, or "hang" / "drop";
 *                                 a hang's "open" is true until it ends
 *   POST /_control/mode         {"mode": "ok" | "500" | "hang" | "drop"}
 *          ok    204 (the default)
 *          500   500
 *          hang  no answer until the mode changes (or 120 s pass)
 *          drop  the connection is closed without an answer
 *   POST /_control/reset        forget the deliveries, mode ok
 * SIGTERM or SIGINT ends it.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "bpg_notify.h"

#define MAX_BODY (1024 * 1024)
#define HANG_S 120

enum mode { MODE_OK, MODE_500, MODE_HANG, MODE_DROP };

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static enum mode mode = MODE_OK;
static unsigned long generation;	/* bumped by every mode change */
static json_t *deliveries;
static char secret[512];
static volatile sig_atomic_t stop;

struct req {
	char *buf;
	size_t len, cap;
	bool too_big;
};

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
reply(struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response *r;
	int ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The record made (a new reference), or NULL. */
static json_t *
record(const char *url, const char *event_id, bool sig_ok,
    const struct req *q, json_t *answer)
{
	json_t *o;

	o = json_pack("{s:s, s:s?, s:b, s:s%, s:o}", "path", url,
	    "eventId", event_id, "signatureOk", sig_ok, "body",
	    q->buf != NULL ? q->buf : "", q->len, "answer", answer);
	pthread_mutex_lock(&mu);
	if (o != NULL && json_array_append(deliveries, o) != 0) {
		json_decref(o);
		o = NULL;
	}
	pthread_mutex_unlock(&mu);
	return o;
}

static int
control(struct MHD_Connection *c, const char *url, const char *method,
    const struct req *q)
{
	json_t *v, *m;
	char *text;
	const char *s;
	int ret;

	if (strcmp(method, "GET") == 0 &&
	    strcmp(url, "/_control/deliveries") == 0) {
		pthread_mutex_lock(&mu);
		text = json_dumps(deliveries, JSON_COMPACT);
		pthread_mutex_unlock(&mu);
		ret = reply(c, 200, text != NULL ? text : "[]");
		free(text);
		return ret;
	}
	if (strcmp(method, "POST") == 0 &&
	    strcmp(url, "/_control/reset") == 0) {
		pthread_mutex_lock(&mu);
		json_array_clear(deliveries);
		mode = MODE_OK;
		generation++;
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&mu);
		return reply(c, 200, "{}");
	}
	if (strcmp(method, "POST") == 0 &&
	    strcmp(url, "/_control/mode") == 0) {
		v = json_loadb(q->buf != NULL ? q->buf : "", q->len, 0, NULL);
		m = json_object_get(v, "mode");
		s = json_string_value(m);
		if (s == NULL || (strcmp(s, "ok") != 0 &&
		    strcmp(s, "500") != 0 && strcmp(s, "hang") != 0 &&
		    strcmp(s, "drop") != 0)) {
			json_decref(v);
			return reply(c, 400, "{\"error\":\"mode\"}");
		}
		pthread_mutex_lock(&mu);
		mode = strcmp(s, "ok") == 0 ? MODE_OK :
		    strcmp(s, "500") == 0 ? MODE_500 :
		    strcmp(s, "hang") == 0 ? MODE_HANG : MODE_DROP;
		generation++;
		pthread_cond_broadcast(&changed);
		pthread_mutex_unlock(&mu);
		json_decref(v);
		return reply(c, 200, "{}");
	}
	return reply(c, 404, "{\"error\":\"not found\"}");
}

/* Whether the client closed its end of c (a FIN, a reset). */
static bool
client_gone(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	struct pollfd p;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return true;
	p.fd = ci->connect_fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	return poll(&p, 1, 0) > 0 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

static int
deliver(struct MHD_Connection *c, const char *url, const struct req *q)
{
	const char *event_id, *sig;
	char want[BPG_NOTIFY_SIG_LEN + 1];
	struct bpg_errinfo ei;
	struct timespec until, tick;
	unsigned long gen;
	enum mode md;
	json_t *rec;
	bool ok;

	event_id = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-BPG-Event-Id");
	sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "X-BPG-Signature");
	ok = sig != NULL && bpg_notify_sign(secret, strlen(secret),
	    q->buf != NULL ? q->buf : "", q->len, want, &ei) == BPG_OK &&
	    strcmp(sig, want) == 0;
	pthread_mutex_lock(&mu);
	md = mode;
	gen = generation;
	pthread_mutex_unlock(&mu);
	switch (md) {
	case MODE_OK:
		json_decref(record(url, event_id, ok, q, json_integer(204)));
		return reply(c, 204, "");
	case MODE_500:
		json_decref(record(url, event_id, ok, q, json_integer(500)));
		return reply(c, 500, "{\"error\":\"told to fail\"}");
	case MODE_DROP:
		json_decref(record(url, event_id, ok, q, json_string("drop")));
		return MHD_NO;
	case MODE_HANG:
		break;
	}
	rec = record(url, event_id, ok, q, json_string("hang"));
	pthread_mutex_lock(&mu);
	if (rec != NULL)
		json_object_set_new(rec, "open", json_true());
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += HANG_S;
	/* Until the mode changes, the client closes its end, or HANG_S. */
	while (generation == gen && !stop && !client_gone(c)) {
		clock_gettime(CLOCK_REALTIME, &tick);
		if (tick.tv_sec >= until.tv_sec)
			break;
		tick.tv_nsec += 10000000L;	/* 10 ms: a close is seen soon */
		if (tick.tv_nsec >= 1000000000L) {
			tick.tv_sec++;
			tick.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&changed, &mu, &tick);
	}
	if (rec != NULL)
		json_object_set_new(rec, "open", json_false());
	json_decref(rec);
	pthread_mutex_unlock(&mu);
	/* The client gave up long ago: close. */
	return MHD_NO;
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct req *q = *con_cls;
	size_t cap;
	char *nb;

	(void)cls;
	(void)version;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (q->len + *upload_size > MAX_BODY)
			q->too_big = true;
		else {
			if (q->len + *upload_size + 1 > q->cap) {
				cap = q->cap ? q->cap : 4096;
				while (cap < q->len + *upload_size + 1)
					cap *= 2;
				if ((nb = realloc(q->buf, cap)) == NULL)
					return MHD_NO;
				q->buf = nb;
				q->cap = cap;
			}
			memcpy(q->buf + q->len, upload, *upload_size);
			q->len += *upload_size;
			q->buf[q->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (q->too_big)
		return (enum MHD_Result)reply(c, 413, "{}");
	if (strncmp(url, "/_control/", 10) == 0)
		return (enum MHD_Result)control(c, url, method, q);
	if (strcmp(method, "POST") != 0)
		return (enum MHD_Result)reply(c, 405, "{}");
	return (enum MHD_Result)deliver(c, url, q);
}

static void
on_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *q = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (q != NULL) {
		free(q->buf);
		free(q);
	}
	*con_cls = NULL;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (len + 4097 > cap) {
			cap = cap ? cap * 2 : 8192;
			if ((buf = realloc(buf, cap)) == NULL)
				break;
		}
		if ((n = fread(buf + len, 1, 4096, f)) == 0)
			break;
		len += n;
	}
	fclose(f);
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

static void
usage(void)
{
	fprintf(stderr, "usage: webhook --cert PEM --key PEM --secret-file "
	    "PATH [--port N] [--ports-file PATH] [--pidfile PATH]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *cert_path = NULL, *key_path = NULL, *secret_path = NULL;
	const char *ports_file = NULL, *pidfile = NULL;
	const union MHD_DaemonInfo *di;
	struct sockaddr_in sin;
	struct MHD_Daemon *d;
	char *cert, *key, *s;
	unsigned port = 0;
	FILE *f;
	int i;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--cert") == 0)
			cert_path = argv[++i];
		else if (strcmp(argv[i], "--key") == 0)
			key_path = argv[++i];
		else if (strcmp(argv[i], "--secret-file") == 0)
			secret_path = argv[++i];
		else if (strcmp(argv[i], "--port") == 0)
			port = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--ports-file") == 0)
			ports_file = argv[++i];
		else if (strcmp(argv[i], "--pidfile") == 0)
			pidfile = argv[++i];
		else
			usage();
	}
	if (cert_path == NULL || key_path == NULL || secret_path == NULL ||
	    port > 65535)
		usage();
	if ((cert = slurp(cert_path)) == NULL || (key = slurp(key_path)) ==
	    NULL || (s = slurp(secret_path)) == NULL) {
		fprintf(stderr, "webhook: cannot read the certificate, key or "
		    "secret\n");
		return 1;
	}
	s[strcspn(s, "\r\n")] = '\0';
	snprintf(secret, sizeof(secret), "%s", s);
	free(s);
	if ((deliveries = json_array()) == NULL)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG,
	    (uint16_t)port, NULL, NULL, on_access, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_HTTPS_MEM_KEY, key,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(HANG_S + 10),
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "webhook: cannot listen on 127.0.0.1:%u\n",
		    port);
		return 1;
	}
	if ((di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)) != NULL)
		port = di->port;
	if (ports_file != NULL) {
		if ((f = fopen(ports_file, "w")) == NULL)
			return 1;
		fprintf(f, "{\"port\":%u}\n", port);
		fclose(f);
	}
	if (pidfile != NULL && (f = fopen(pidfile, "w")) != NULL) {
		fprintf(f, "%ld\n", (long)getpid());
		fclose(f);
	}
	printf("webhook ready\n");
	fflush(stdout);
	while (!stop)
		pause();
	pthread_mutex_lock(&mu);
	pthread_cond_broadcast(&changed);
	pthread_mutex_unlock(&mu);
	MHD_stop_daemon(d);
	if (pidfile != NULL)
		unlink(pidfile);
	json_decref(deliveries);
	free(cert);
	free(key);
	return 0;
}
