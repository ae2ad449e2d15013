/*
 * Request records and responses for libmicrohttpd.  Responses carry the
 * headers kube-apiserver sends with every reply (Audit-Id, Cache-Control,
 * the priority-and-fairness ids) so that clients see familiar framing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

struct argbuf {
	char	*s;
	size_t	 len, cap;
	int	 err;
};

static void
ab_put(struct argbuf *b, const char *p)
{
	size_t n = strlen(p);
	char *ns;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((ns = realloc(b->s, b->cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->s = ns;
	}
	memcpy(b->s + b->len, p, n + 1);
	b->len += n;
}

static enum MHD_Result
arg_iter(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct argbuf *b = cls;

	(void)kind;
	ab_put(b, b->len > 0 && strchr(b->s, '?') != NULL ? "&" : "?");
	ab_put(b, key);
	if (value != NULL) {
		ab_put(b, "=");
		ab_put(b, value);
	}
	return MHD_YES;
}

struct ks_req *
ks_req_new(struct MHD_Connection *c, const char *url, const char *method,
    size_t max)
{
	struct ks_req *r;
	struct argbuf b = { NULL, 0, 0, 0 };
	size_t i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	snprintf(r->method, sizeof(r->method), "%s", method);
	r->max = max;
	r->fault = -1;
	r->start = ks_now_ms();
	ab_put(&b, url);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, arg_iter, &b);
	if (b.err) {
		free(b.s);
		b.s = NULL;
	}
	/* Never log raw control bytes. */
	for (i = 0; b.s != NULL && b.s[i] != '\0'; i++)
		if (!isprint((unsigned char)b.s[i]))
			b.s[i] = '?';
	r->target = b.s;
	return r;
}

void
ks_req_free(struct ks_req *r)
{
	if (r == NULL)
		return;
	free(r->target);
	free(r->body);
	json_decref(r->warnings);
	free(r);
}

void
ks_req_append(struct ks_req *r, const char *data, size_t n)
{
	char *nb;
	size_t ncap;

	if (r->too_big)
		return;
	if (r->len + n > r->max) {
		r->too_big = 1;
		return;
	}
	if (r->len + n + 1 > r->cap) {
		ncap = r->cap ? r->cap : 4096;
		while (ncap < r->len + n + 1)
			ncap *= 2;
		if ((nb = realloc(r->body, ncap)) == NULL) {
			r->too_big = 1;
			return;
		}
		r->body = nb;
		r->cap = ncap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
}

static void
add_headers(struct MHD_Response *resp, struct ks_req *r, const char *ctype)
{
	char audit[40], buf[64];
	json_t *w;
	size_t i;

	ks_uuid(audit);
	MHD_add_response_header(resp, "Audit-Id", audit);
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	if (ctype != NULL)
		MHD_add_response_header(resp, "Content-Type", ctype);
	if (r->cl != NULL) {
		MHD_add_response_header(resp, "X-Kubernetes-Pf-Flowschema-Uid",
		    "7a5c3c1e-2f5a-4c1b-9b2e-6c1f0d9b1a01");
		MHD_add_response_header(resp,
		    "X-Kubernetes-Pf-Prioritylevel-Uid",
		    "0b6c2d1e-8f3a-4e5b-a1c2-d3e4f5a6b702");
	}
	if (r->retry_after > 0) {
		snprintf(buf, sizeof(buf), "%d", r->retry_after);
		MHD_add_response_header(resp, "Retry-After", buf);
	}
	json_array_foreach(r->warnings, i, w)
		MHD_add_response_header(resp, "Warning", json_string_value(w));
}

static void
count_code(struct ks_req *r, unsigned code)
{
	char k[16];
	json_t *v;

	r->code = code;
	if (r->cl == NULL)
		return;
	snprintf(k, sizeof(k), "%u", code);
	pthread_mutex_lock(&r->cl->ks->mu);
	v = json_object_get(r->cl->st.codes, k);
	json_object_set_new(r->cl->st.codes, k, json_integer(v ?
	    json_integer_value(v) + 1 : 1));
	pthread_mutex_unlock(&r->cl->ks->mu);
}

enum MHD_Result
ks_respond(struct MHD_Connection *c, struct ks_req *r, unsigned code,
    const char *ctype, char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	/* A fault answers in place of what was served ("commit"). */
	if (r->hold) {
		free(body);
		return MHD_YES;
	}
	resp = MHD_create_response_from_buffer(body ? len : 0, body,
	    body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(body);
		return MHD_NO;
	}
	add_headers(resp, r, ctype);
	count_code(r, code);
	ret = MHD_queue_response(c, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result
ks_respond_json(struct MHD_Connection *c, struct ks_req *r, unsigned code,
    json_t *j)
{
	char *s, *t;
	size_t n;

	if (j == NULL)
		return ks_respond(c, r, 500, "text/plain",
		    strdup("out of memory\n"), 14);
	s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(j);
	if (s == NULL)
		return ks_respond(c, r, 500, "text/plain",
		    strdup("out of memory\n"), 14);
	n = strlen(s);
	if ((t = realloc(s, n + 2)) == NULL) {
		free(s);
		return MHD_NO;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	return ks_respond(c, r, code, "application/json", t, n + 1);
}

enum MHD_Result
ks_respond_status(struct MHD_Connection *c, struct ks_req *r, unsigned code,
    const char *reason, const char *message, json_t *details)
{
	return ks_respond_json(c, r, code, ks_status((int)code, reason,
	    message, details));
}

enum MHD_Result
ks_respond_stream(struct MHD_Connection *c, struct ks_req *r,
    const char *ctype, MHD_ContentReaderCallback cb, void *cls,
    MHD_ContentReaderFreeCallback fcb)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024,
	    cb, cls, fcb);
	if (resp == NULL) {
		fcb(cls);
		return MHD_NO;
	}
	add_headers(resp, r, ctype);
	count_code(r, 200);
	ret = MHD_queue_response(c, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

const char *
ks_arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

int
ks_arg_true(struct MHD_Connection *c, const char *name)
{
	const char *v = ks_arg(c, name);

	return v != NULL && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

void
ks_req_log(const char *who, const struct ks_req *r)
{
	if (r->code == 0)
		fprintf(stderr, "kubesim: %s %s %s -> dropped (%lld ms)\n",
		    who, r->method, r->target ? r->target : "?",
		    ks_now_ms() - r->start);
	else
		fprintf(stderr, "kubesim: %s %s %s -> %u (%lld ms)\n", who,
		    r->method, r->target ? r->target : "?", r->code,
		    ks_now_ms() - r->start);
}
