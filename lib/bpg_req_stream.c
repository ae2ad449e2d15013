/*
 * A JSON submit request bound as it is read (bpg_req_int.h): the top
 * level and the driver and executor objects are taken apart by the
 * cursor of bpg_jfast.h, their scalar fields bound straight from the
 * tokens, and only the nested values the struct keeps as trees (labels,
 * env, sparkConf, volumes, ...) are built, by the same reader, and bound
 * by the same code as the tree binder's (req_bind_sfield()).  Building
 * and freeing a tree of the whole body was most of reading a request.
 *
 * It takes only what it is sure of: a well-formed body whose fields are
 * all known and given once, with values the binder takes.  For anything
 * else it gives up and the tree binder reads the body again, and says
 * what is wrong in its own words; tests/fuzz/fuzz_req.c and
 * tests/check_req.c hold the two to the same results.
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "bpg_jfast.h"
#include "bpg_limits.h"
#include "bpg_req_int.h"

/* Any refusal: the tree binder decides. */
#define DOUBT BPG_EINVAL

/* The scalar the cursor is at, as the tree binder's struct scalar. */
struct tok {
	enum bpg_jscalar kind;
	const char *s;
	size_t len;
};

/*
 * The fields of a table by their name's length and first byte, made once
 * per process: a member's name is compared with one or two fields, not
 * with each field before it.  Chains run in the table's order.
 */
#define IX_HASH 64
#define IX_END 0xff
/* The fields object() can tell apart: its bits of fields seen. */
#define IX_FIELDS 64
_Static_assert(IX_FIELDS <= 64, "object() keeps the fields seen in 64 bits");

struct field_index {
	const struct sfield *fields;
	size_t nfields;
	unsigned char head[IX_HASH], next[IX_FIELDS], len[IX_FIELDS];
};

static struct field_index ix_req, ix_pod;
static pthread_once_t ix_once = PTHREAD_ONCE_INIT;

static size_t
ix_hash(const char *name, size_t len)
{
	return (len * 7 + (unsigned char)name[0]) % IX_HASH;
}

static void
ix_build(struct field_index *x, const struct sfield *fields, size_t n)
{
	size_t i, h, len;

	x->fields = fields;
	x->nfields = n;
	memset(x->head, IX_END, sizeof(x->head));
	for (i = n; i-- > 0;) {
		len = strlen(fields[i].name);
		/* Fields past IX_FIELDS (none) or of long names go
		 * unindexed: the member then counts as unknown, which the
		 * tree binder decides. */
		if (i >= IX_FIELDS || len == 0 || len > UCHAR_MAX)
			continue;
		h = ix_hash(fields[i].name, len);
		x->len[i] = (unsigned char)len;
		x->next[i] = x->head[h];
		x->head[h] = (unsigned char)i;
	}
}

static void
ix_init(void)
{
	ix_build(&ix_req, req_fields, req_nfields);
	ix_build(&ix_pod, pod_fields, pod_nfields);
}

/* The index of the field named key (of who, when not 0), or nfields. */
static size_t
ix_find(const struct field_index *x, const char *key, size_t klen,
    unsigned who)
{
	const struct sfield *f;
	size_t i;

	if (klen == 0)
		return x->nfields;
	for (i = x->head[ix_hash(key, klen)]; i != IX_END; i = x->next[i]) {
		f = &x->fields[i];
		if (x->len[i] == klen && memcmp(f->name, key, klen) == 0 &&
		    (who == 0 || (f->who & who) != 0))
			return i;
	}
	return x->nfields;
}

/* A string field (req_bind_text()): a string, a number's text, true or
 * false; null leaves it out. */
static enum bpg_err
tok_text(const struct binder *b, const struct tok *t, char **slot)
{
	const char *s = t->s;
	size_t len = t->len;

	switch (t->kind) {
	case BPG_JS_NULL:
		return BPG_OK;
	case BPG_JS_TRUE:
		s = "true";
		len = 4;
		break;
	case BPG_JS_FALSE:
		s = "false";
		len = 5;
		break;
	default:
		break;
	}
	if (!req_text_ok(b, s, len))
		return DOUBT;
	if ((*slot = strndup(s, len)) == NULL)
		return BPG_ENOMEM;
	return BPG_OK;
}

/* An integer field (req_bind_int()): a number or a numeric string in
 * range; null and "" leave it out. */
static enum bpg_err
tok_int(const struct sfield *f, const struct tok *t, void *base)
{
	int64_t v;

	if (t->kind == BPG_JS_NULL ||
	    (t->kind == BPG_JS_STRING && t->len == 0))
		return BPG_OK;
	if ((t->kind != BPG_JS_NUMBER && t->kind != BPG_JS_STRING) ||
	    req_parse_i64(t->s, t->len, &v) != 0 || v < f->min || v > f->max)
		return DOUBT;
	*(int64_t *)(void *)((char *)base + f->off) = v;
	*(bool *)((char *)base + f->has_off) = true;
	return BPG_OK;
}

/* A boolean field (req_bind_bool()): true, false, or the strings
 * Jackson takes for them; null and "" leave it out (false). */
static enum bpg_err
tok_bool(const struct sfield *f, const struct tok *t, void *base)
{
	bool has = true, v;

	switch (t->kind) {
	case BPG_JS_NULL:
		has = v = false;
		break;
	case BPG_JS_TRUE:
	case BPG_JS_FALSE:
		v = t->kind == BPG_JS_TRUE;
		break;
	case BPG_JS_STRING:
		if (t->len == 0) {
			has = v = false;
			break;
		}
		if ((t->len == 4 && (!memcmp(t->s, "true", 4) ||
		    !memcmp(t->s, "True", 4) || !memcmp(t->s, "TRUE", 4))) ||
		    (t->len == 5 && (!memcmp(t->s, "false", 5) ||
		    !memcmp(t->s, "False", 5) || !memcmp(t->s, "FALSE", 5)))) {
			v = t->s[0] == 't' || t->s[0] == 'T';
			break;
		}
		return DOUBT;
	default:
		return DOUBT;
	}
	*(bool *)((char *)base + f->off) = v;
	if (f->has_off != NO_HAS)
		*(bool *)((char *)base + f->has_off) = has;
	return BPG_OK;
}

static enum bpg_err object(struct bpg_jcur *, const struct binder *,
    const char *path, const struct field_index *, unsigned who,
    size_t depth, void *base);

/* The value of field f at the cursor into base. */
static enum bpg_err
field(struct bpg_jcur *c, const struct binder *b, const struct sfield *f,
    const char *path, size_t depth, void *base)
{
	struct bpg_pod_req *pod;
	struct tok t;
	json_t *v;
	enum bpg_err e;

	switch (f->kind) {
	case S_STR:
	case S_INT:
	case S_BOOL:
		if (!bpg_jcur_scalar(c, &t.kind, &t.s, &t.len))
			return c->e == BPG_ENOMEM ? BPG_ENOMEM : DOUBT;
		if (f->kind == S_STR)
			return tok_text(b, &t,
			    (char **)(void *)((char *)base + f->off));
		return f->kind == S_INT ? tok_int(f, &t, base) :
		    tok_bool(f, &t, base);
	case S_POD:
		pod = (struct bpg_pod_req *)(void *)((char *)base + f->off);
		if (bpg_jcur_peek(c) == 'n') {
			if (!bpg_jcur_scalar(c, &t.kind, &t.s, &t.len))
				return DOUBT;
			return BPG_OK;
		}
		if (bpg_jcur_peek(c) != '{' || depth >= c->max_depth)
			return DOUBT;
		pod->present = true;
		return object(c, b, path, &ix_pod, f->who,
		    depth + 1, pod);
	default:
		/* Kept as trees: read as one, bound by the tree binder. */
		if (!bpg_jcur_value(c, depth, &v))
			return c->e == BPG_ENOMEM ? BPG_ENOMEM : DOUBT;
		e = req_bind_sfield(b, f, v, path, base);
		json_decref(v);
		return e;
	}
}

/* The object at the cursor, its members all fields of fields[] (of who,
 * when not 0), each once. */
static enum bpg_err
object(struct bpg_jcur *c, const struct binder *b, const char *path,
    const struct field_index *x, unsigned who, size_t depth, void *base)
{
	const struct sfield *fields = x->fields;
	size_t nfields = x->nfields;
	char p[PATH_LEN];
	const char *key;
	uint64_t seen = 0;
	size_t klen, i;
	enum bpg_err e;

	if (!bpg_jcur_take(c, '{'))
		return DOUBT;
	if (bpg_jcur_take(c, '}'))
		return BPG_OK;
	for (;;) {
		if (!bpg_jcur_string(c, &key, &klen))
			return c->e == BPG_ENOMEM ? BPG_ENOMEM : DOUBT;
		i = ix_find(x, key, klen, who);
		/* Unknown (an error at the top, dropped in a pod: either
		 * way the tree binder's) or given twice (refused). */
		if (i == nfields || (seen & (1ULL << i)) != 0)
			return DOUBT;
		seen |= 1ULL << i;
		/* Only the nested binders write the path into a message;
		 * a scalar this file refuses goes to the tree binder. */
		p[0] = '\0';
		if (fields[i].kind != S_STR && fields[i].kind != S_INT &&
		    fields[i].kind != S_BOOL)
			req_child_key(p, path, fields[i].name);
		if (!bpg_jcur_take(c, ':'))
			return DOUBT;
		if ((e = field(c, b, &fields[i], p, depth, base)) != BPG_OK)
			return e;
		if (bpg_jcur_take(c, ','))
			continue;
		if (bpg_jcur_take(c, '}'))
			return BPG_OK;
		return DOUBT;
	}
}

enum bpg_err
req_json_stream(const char *body, size_t len, const struct binder *b,
    struct bpg_submit_req *out)
{
	struct bpg_jcur c;
	enum bpg_err e;

	(void)pthread_once(&ix_once, ix_init);
	bpg_jcur_init(&c, body, len, BPG_MAX_DEPTH);
	if (bpg_jcur_peek(&c) != '{')
		e = DOUBT;
	else if ((e = object(&c, b, "", &ix_req, 0, 1,
	    out)) == BPG_OK && !bpg_jcur_end(&c))
		e = DOUBT;
	bpg_jcur_free(&c);
	return e;
}
