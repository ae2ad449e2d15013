/*
 * The REST API (bpg-reference sections 0-1): route table, authentication,
 * handlers and BPG's JSON error envelope.  The FastCGI program turns each
 * request into a struct bpg_http_req and writes the struct bpg_http_resp
 * back; nothing here knows about FastCGI, so handlers are unit-testable.
 *
 * HTTP statuses are chosen here, from enum bpg_err, and nowhere else.
 */
#ifndef BPG_API_H
#define BPG_API_H

#include <stdbool.h>
#include <stddef.h>

#include "bpg_config.h"
#include "bpg_err.h"

/*
 * The byte streams of one request, supplied by the FastCGI program (or a
 * test).  The body is read only by the handler that wants it, so uploads
 * can stream and oversized bodies are refused without being read.
 */
struct bpg_http_io {
	/*
	 * Read up to n body bytes: the count, 0 at the end, -1 on error,
	 * BPG_HTTP_READ_SLOW when the client sent too slowly for the
	 * transport's low-speed limit, BPG_HTTP_READ_STOP when the process
	 * is asked to stop (a reload or a shutdown) while waiting.
	 */
	long (*read)(void *ctx, char *buf, size_t n);
	/* Send the status and headers ("Name: value\r\n" lines), once. */
	int (*head)(void *ctx, int status, const char *content_type,
	    const char *headers, long long content_length);
	/*
	 * Send body bytes after head(); -1 when the client is gone.  n == 0
	 * pushes out what the transport has buffered (a followed log).
	 */
	int (*write)(void *ctx, const char *buf, size_t n);
	void *ctx;
	/*
	 * Optional (NULL: never): true when a long answer should end now,
	 * because the client went away or the process is asked to stop.
	 * Cheap and non-blocking; polled about once a second while a
	 * followed log waits for lines.
	 */
	bool (*cancelled)(void *ctx);
};

#define BPG_HTTP_READ_SLOW (-2L)
#define BPG_HTTP_READ_STOP (-3L)

struct bpg_http_req {
	const char *method;	  /* "GET", ... */
	const char *uri;	  /* raw request URI: path and query */
	const char *content_type; /* NULL if absent */
	long long content_length; /* -1 if unknown */
	const char *remote_user;  /* set by the web server after basic auth */
	const char *user_header;  /* the configured trusted header, or NULL */
	const char *idempotency_key; /* Idempotency-Key header, or NULL */
	const struct bpg_http_io *io;
};

/* A buffered answer (most endpoints). */
struct bpg_http_resp {
	int status;
	const char *content_type;	/* static string */
	char headers[256];		/* extra "Name: value\r\n" lines */
	char *body;			/* owned, malloc'd */
	size_t body_len;
	bool streamed;			/* the handler wrote through io */
};

/* Per worker-process state: Kubernetes handles, DB handle, rng, caches. */
struct bpg_api;

/*
 * cfg is borrowed and must outlive the api.  Opens no connection yet:
 * connections are made on first use and kept (call after fork()).
 */
enum bpg_err bpg_api_new(const struct bpg_config *cfg, struct bpg_api **,
    struct bpg_errinfo *) BPG_WUR;
void bpg_api_free(struct bpg_api *);

struct bpg_ratelimit;

/*
 * Draw the list endpoints' rate limits (sections 1.7, 1.10) from rl, the
 * buckets the supervisor shared between all workers before fork()
 * (bpg_ratelimit_new_shared()), instead of the api's own.  rl is borrowed
 * and must outlive the api; NULL goes back to the api's own buckets.
 */
void bpg_api_set_ratelimit(struct bpg_api *, struct bpg_ratelimit *rl);

struct bpg_breaker;

/*
 * Use the clusters' circuit breakers shared between all workers
 * (bpg_breaker_new_shared(), made before fork()) instead of the api's
 * own.  br is borrowed; NULL goes back to the api's own.
 */
void bpg_api_set_breaker(struct bpg_api *, struct bpg_breaker *br);

struct bpg_metrics;

/*
 * Count into m, the metrics the supervisor shared between all workers
 * before fork() (bpg_metrics_new_shared()), instead of the api's own,
 * which GET /metrics then shows.  m is borrowed and must outlive the api;
 * NULL goes back to the api's own.
 */
void bpg_api_set_metrics(struct bpg_api *, struct bpg_metrics *m);

struct bpg_streams;

/*
 * Admit followed logs and uploads through st, the slots the supervisor
 * shared between all workers before fork() (bpg_streams.h): at most total
 * at once in the gateway and the config's streamsPerUser per user, 429
 * past either.  st is borrowed and must outlive the api; NULL (the
 * default) admits every one.
 */
void bpg_api_set_streams(struct bpg_api *, struct bpg_streams *st,
    unsigned int total);

/*
 * The OpenAPI document served at /openapi.yaml as is and at /openapi.json
 * converted (section 0.1): yaml[0..len) is copied and parsed once, here.
 * Until this is called both paths answer 404.  BPG_EINVAL (with where) if
 * it is not a YAML mapping, BPG_ETOOBIG, BPG_ENOMEM.
 */
enum bpg_err bpg_api_set_openapi(struct bpg_api *, const char *yaml,
    size_t len, struct bpg_errinfo *) BPG_WUR;

/*
 * Open the connections a worker will need (the database, with its
 * start-up migration), so the first request does not pay for them.  A
 * failure is only reported: the next request tries again.
 */
enum bpg_err bpg_api_warm(struct bpg_api *, struct bpg_errinfo *) BPG_WUR;

/*
 * Handle one request: read what the route needs through req->io and write
 * the whole answer through it.  Never fails: errors become JSON answers.
 */
void bpg_api_handle(struct bpg_api *, const struct bpg_http_req *);

#endif
