/*
 * libFuzzer target: the submit request parser (bpg_req_parse) and the
 * sanitised copy.  The first byte picks the format (odd: YAML, even:
 * JSON), the rest is the body.  The seeds in corpus/req are the files of
 * tests/data/req with that byte in front ('j' or 'y').
 *
 * Besides memory errors it checks what the module promises:
 * - an error carries a message that is valid UTF-8 without control bytes
 *   (the edge puts it in JSON and in the log), and leaves nothing behind;
 * - a parsed request has a sanitised copy, which is itself a valid JSON
 *   request that parses back to the same copy (so the stored request_body
 *   always reads back), when it fits in a body;
 * - bpg_json_dump() writes that copy byte for byte as json_dumps() does
 *   when it has no reals (whose text is shorter), and always as text that
 *   reads back to the same copy;
 * - bpg_req_sanitized_text() and bpg_req_summary_text() give the text of
 *   that copy and of bpg_db_request_summary() of it;
 * - the parser, which binds a JSON body as it reads it, gives what the
 *   tree binder alone gives (bpg_req_parse_ref()): the same fields, or
 *   the same error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpg_db.h"
#include "bpg_json.h"
#include "bpg_limits.h"
#include "bpg_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_msg(const char *msg)
{
	json_t *j;
	size_t i, n = strnlen(msg, sizeof(((struct bpg_errinfo *)0)->msg));

	if (n == 0 || n == sizeof(((struct bpg_errinfo *)0)->msg))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			abort();
	if ((j = json_string(msg)) == NULL)
		abort();
	json_decref(j);
}

static int
has_real(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_real(v))
		return 1;
	json_object_foreach(v, k, x)
		if (has_real(x))
			return 1;
	json_array_foreach(v, i, x)
		if (has_real(x))
			return 1;
	return 0;
}

static char *
dump(const struct bpg_submit_req *r)
{
	json_t *s = bpg_req_sanitized(r), *back;
	char *d, *w, *t, *sum, *tsum;
	size_t wlen;

	if (s == NULL)
		abort();
	d = json_dumps(s, JSON_COMPACT | JSON_PRESERVE_ORDER);
	w = bpg_json_dump(s, &wlen);
	if (d == NULL || w == NULL || wlen != strlen(w))
		abort();
	/* The texts a submission stores, written without the trees. */
	t = bpg_req_sanitized_text(r);
	sum = bpg_db_request_summary(s);
	tsum = bpg_req_summary_text(r);
	if (t == NULL || strcmp(t, w) != 0 || sum == NULL || tsum == NULL ||
	    strcmp(sum, tsum) != 0)
		abort();
	free(t);
	free(sum);
	free(tsum);
	if (!has_real(s) && strcmp(d, w) != 0)
		abort();
	back = json_loads(w, 0, NULL);
	if (back == NULL || !json_equal(back, s))
		abort();
	json_decref(back);
	json_decref(s);
	free(w);
	return d;
}

/* The parser (which binds a JSON body as it reads it) gives what the
 * tree binder alone gives: the same fields, or the same error. */
static void
same_as_ref(const char *body, size_t len, enum bpg_req_format fmt)
{
	struct bpg_submit_req a, b;
	struct bpg_errinfo ea = { "" }, eb = { "" };
	enum bpg_err xa, xb;

	xa = bpg_req_parse(body, len, fmt, &a, &ea);
	xb = bpg_req_parse_ref(body, len, fmt, &b, &eb);
	if (xa != xb || (xa == BPG_OK && !bpg_req_same(&a, &b)) ||
	    (xa != BPG_OK && strcmp(ea.msg, eb.msg) != 0))
		abort();
	bpg_req_reset(&a);
	bpg_req_reset(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum bpg_req_format fmt;
	struct bpg_submit_req r, again;
	struct bpg_errinfo ei;
	const char *body;
	char *d1, *d2;
	size_t len;

	if (size < 1)
		return 0;
	fmt = (data[0] & 1) ? BPG_REQ_YAML : BPG_REQ_JSON;
	body = (const char *)data + 1;
	len = size - 1;
	(void)bpg_req_looks_like_path(body, len);

	memset(&ei, 0, sizeof(ei));
	same_as_ref(body, len, fmt);
	if (bpg_req_parse(body, len, fmt, &r, &ei) != BPG_OK) {
		check_msg(ei.msg);
		if (r.queue != NULL || r.spark_conf != NULL ||
		    r.driver.present || r.executor.present)
			abort();
		bpg_req_reset(&r);
		return 0;
	}
	d1 = dump(&r);
	bpg_req_reset(&r);
	/* JSON escapes can make the copy longer than a body may be. */
	if (strlen(d1) > BPG_MAX_BODY) {
		free(d1);
		return 0;
	}

	/* The stored copy is a request in its own right, and a fixed point. */
	if (bpg_req_parse(d1, strlen(d1), BPG_REQ_JSON, &again, &ei) !=
	    BPG_OK)
		abort();
	d2 = dump(&again);
	if (strcmp(d1, d2) != 0)
		abort();
	free(d2);
	free(d1);
	bpg_req_reset(&again);
	return 0;
}
