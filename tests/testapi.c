/*
 * An in-process request and its answer in memory: see testapi.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "testapi.h"
#include "testutil.h"

static long
mem_read(void *ctx, char *buf, size_t n)
{
	struct tu_answer *m = ctx;

	if (n > m->inlen - m->inpos)
		n = m->inlen - m->inpos;
	memcpy(buf, m->in + m->inpos, n);
	m->inpos += n;
	return (long)n;
}

static int
mem_head(void *ctx, int status, const char *ctype, const char *headers,
    long long len)
{
	struct tu_answer *m = ctx;

	m->heads++;
	m->status = status;
	snprintf(m->ctype, sizeof(m->ctype), "%s", ctype ? ctype : "");
	snprintf(m->headers, sizeof(m->headers), "%s", headers ? headers : "");
	m->clen = len;
	return 0;
}

static int
mem_write(void *ctx, const char *buf, size_t n)
{
	struct tu_answer *m = ctx;

	tu_append(&m->out, &m->outlen, &m->outcap, buf, n);
	return 0;
}

struct tu_answer
tu_api_call(struct bpg_api *api, const struct tu_request *r)
{
	struct bpg_http_io io = { mem_read, mem_head, mem_write, NULL, NULL };
	struct bpg_http_req req;
	struct tu_answer m;

	memset(&m, 0, sizeof(m));
	m.in = r->body != NULL ? r->body : "";
	m.inlen = strlen(m.in);
	io.ctx = &m;
	memset(&req, 0, sizeof(req));
	req.method = r->method;
	req.uri = r->uri;
	req.remote_user = r->user;
	req.user_header = r->header_user;
	req.content_type = r->ctype != NULL ? r->ctype : "application/json";
	req.content_length = r->clen >= 0 ? r->clen : (long long)m.inlen;
	req.io = &io;
	bpg_api_handle(api, &req);
	ck_assert_int_eq(m.heads, 1);
	if (m.out == NULL)
		ck_assert_ptr_nonnull(m.out = strdup(""));
	return m;
}
