/*
 * One request to an in-process gateway (bpg_api_handle()) with the body in
 * memory and the answer caught in memory: the unit tests of the API's
 * handlers.
 */
#ifndef TESTAPI_H
#define TESTAPI_H

#include <stddef.h>

#include "bpg_api.h"

struct tu_answer {
	int heads; /* times the head was written: 1 for a sound answer */
	int status;
	char ctype[64];
	char headers[256];
	long long clen; /* the length the head announced, -1: none */
	char *out; /* the body, NUL-terminated ("" for none); free() it */
	size_t outlen, outcap;
	/* the request's body, read by the handler */
	const char *in;
	size_t inlen, inpos;
};

struct tu_request {
	const char *method, *uri;
	const char *user; /* REMOTE_USER, NULL: none */
	const char *header_user; /* the user header, NULL: none */
	const char *body; /* NULL: none */
	long long clen; /* Content-Length; -1: the body's length */
	const char *ctype; /* NULL: application/json */
};

/* Run r against api; the test fails unless the head was written once. */
struct tu_answer tu_api_call(struct bpg_api *api, const struct tu_request *r);

#endif
