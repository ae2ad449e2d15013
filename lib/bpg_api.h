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

#include <stddef.h>

#include "bpg_config.h"
#include "bpg_err.h"

/* One request, validated by the caller only for size (body <= max). */
struct bpg_http_req {
	const char *method;	  /* "GET", ... */
	const char *uri;	  /* raw request URI: path and query */
	const char *content_type; /* NULL if absent */
	const char *remote_user;  /* set by the web server after basic auth */
	const char *user_header;  /* the configured trusted header, or NULL */
	const char *body;
	size_t body_len;
};

struct bpg_http_resp {
	int status;
	const char *content_type;	/* static string */
	char headers[256];		/* extra "Name: value\r\n" lines */
	char *body;			/* owned, malloc'd */
	size_t body_len;
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

/* Handle one request; resp is filled (free its body with
 * bpg_http_resp_reset()).  Never fails: errors become JSON answers. */
void bpg_api_handle(struct bpg_api *, const struct bpg_http_req *,
    struct bpg_http_resp *);
void bpg_http_resp_reset(struct bpg_http_resp *);

/*
 * Answer for a request body over BPG_MAX_BODY, which the FastCGI program
 * refuses before reading it.
 */
void bpg_api_too_large(struct bpg_http_resp *);

#endif
