/*
 * A one-pass reader of well-formed JSON text into a jansson tree
 * (bpg_jfast.h).  RFC 8259; jansson's choices where the RFC leaves one:
 * UTF-8 as jansson checks it (no overlong forms, no surrogates, nothing
 * past U+10FFFF), surrogate pairs in \u escapes joined and lone ones
 * refused.  Any doubt is an EINVAL: the caller then reads the text the
 * slow way, which decides.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_jfast.h"
#include "bpg_json.h"

static bool
jf_fail(struct bpg_jcur *p, enum bpg_err e)
{
	p->e = e;
	return false;
}

static void
jf_ws(struct bpg_jcur *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\n' ||
	    p->s[p->i] == '\r' || p->s[p->i] == '\t'))
		p->i++;
}

/* Room for n bytes at p->tmp, grown geometrically. */
static bool
jf_room(struct bpg_jcur *p, size_t n)
{
	size_t cap = p->tmpcap != 0 ? p->tmpcap : 256;
	char *t;

	if (n <= p->tmpcap)
		return true;
	while (cap < n)
		cap *= 2;
	if ((t = realloc(p->tmp, cap)) == NULL)
		return jf_fail(p, BPG_ENOMEM);
	p->tmp = t;
	p->tmpcap = cap;
	return true;
}

/* The 4 hex digits at s[0..4), or -1. */
static long
jf_hex4(const unsigned char *s)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (s[i] >= '0' && s[i] <= '9')
			v |= s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			v |= s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			v |= s[i] - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* The code point cp as UTF-8 at o; returns the bytes written. */
static size_t
jf_put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * The string whose opening quote is at p->i: *out and *len are its
 * bytes, in the body when it has no escape, else in p->tmp (valid until
 * the next string or number).  p->i ends past the closing quote.
 */
static bool
jf_string(struct bpg_jcur *p, const char **out, size_t *len)
{
	const unsigned char *s = p->s;
	size_t i = p->i + 1, start = i, k;
	uint32_t cp;
	long lo, hi;
	char *o;

	/* The common case: no escape, the bytes as they are. */
	i += bpg_json_plain16(s + i, p->n - i);
	for (; i < p->n && s[i] != '"' && s[i] != '\\'; i++) {
		if (s[i] < 0x20)
			return jf_fail(p, BPG_EINVAL);
		if (s[i] >= 0x80) {
			if ((k = bpg_utf8_len(s + i, p->n - i)) == 0)
				return jf_fail(p, BPG_EINVAL);
			i += k - 1;
		}
	}
	if (i >= p->n)
		return jf_fail(p, BPG_EINVAL);
	if (s[i] == '"') {
		*out = (const char *)s + start;
		*len = i - start;
		p->i = i + 1;
		return true;
	}
	/* An escape: decoded text is never longer than the rest. */
	if (!jf_room(p, p->n - start))
		return false;
	memcpy(p->tmp, s + start, i - start);
	o = p->tmp + (i - start);
	while (i < p->n && s[i] != '"') {
		if (s[i] < 0x20)
			return jf_fail(p, BPG_EINVAL);
		if (s[i] >= 0x80) {
			if ((k = bpg_utf8_len(s + i, p->n - i)) == 0)
				return jf_fail(p, BPG_EINVAL);
			memcpy(o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		if (s[i] != '\\') {
			*o++ = (char)s[i++];
			continue;
		}
		if (++i >= p->n)
			return jf_fail(p, BPG_EINVAL);
		switch (s[i++]) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			/* \u0000 and lone surrogates: the slow path's. */
			if (p->n - i < 4 || (hi = jf_hex4(s + i)) <= 0 ||
			    (hi >= 0xdc00 && hi <= 0xdfff))
				return jf_fail(p, BPG_EINVAL);
			i += 4;
			cp = (uint32_t)hi;
			if (hi >= 0xd800 && hi <= 0xdbff) {
				if (p->n - i < 6 || s[i] != '\\' ||
				    s[i + 1] != 'u' ||
				    (lo = jf_hex4(s + i + 2)) < 0xdc00 ||
				    lo > 0xdfff)
					return jf_fail(p, BPG_EINVAL);
				i += 6;
				cp = 0x10000 + (((uint32_t)hi - 0xd800) << 10) +
				    ((uint32_t)lo - 0xdc00);
			}
			o += jf_put_utf8(o, cp);
			break;
		default:
			return jf_fail(p, BPG_EINVAL);
		}
	}
	if (i >= p->n)
		return jf_fail(p, BPG_EINVAL);
	*out = p->tmp;
	*len = (size_t)(o - p->tmp);
	p->i = i + 1;
	return true;
}

static bool jf_value(struct bpg_jcur *, size_t, json_t **);

static bool
jf_object(struct bpg_jcur *p, size_t depth, json_t **out)
{
	json_t *o, *v;
	const char *k;
	char *key;	/* a key decoded in p->tmp, which the value reuses */
	size_t klen;

	if ((o = json_object()) == NULL)
		return jf_fail(p, BPG_ENOMEM);
	p->i++;
	jf_ws(p);
	if (p->i < p->n && p->s[p->i] == '}') {
		p->i++;
		*out = o;
		return true;
	}
	for (;;) {
		if (p->i >= p->n || p->s[p->i] != '"') {
			p->e = BPG_EINVAL;
			goto fail;
		}
		if (!jf_string(p, &k, &klen))
			goto fail;
		if (json_object_getn(o, k, klen) != NULL) {
			p->e = BPG_EINVAL;	/* JSON_REJECT_DUPLICATES */
			goto fail;
		}
		key = NULL;
		if (k == p->tmp) {
			if ((key = malloc(klen + 1)) == NULL) {
				p->e = BPG_ENOMEM;
				goto fail;
			}
			memcpy(key, k, klen);
			k = key;
		}
		jf_ws(p);
		if (p->i >= p->n || p->s[p->i] != ':') {
			free(key);
			p->e = BPG_EINVAL;
			goto fail;
		}
		p->i++;
		if (!jf_value(p, depth, &v)) {
			free(key);
			goto fail;
		}
		if (json_object_setn_new_nocheck(o, k, klen, v) != 0) {
			free(key);
			p->e = BPG_ENOMEM;
			goto fail;
		}
		free(key);
		jf_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			jf_ws(p);
			continue;
		}
		if (p->i < p->n && p->s[p->i] == '}') {
			p->i++;
			*out = o;
			return true;
		}
		p->e = BPG_EINVAL;
		goto fail;
	}
fail:
	json_decref(o);
	return false;
}

static bool
jf_array(struct bpg_jcur *p, size_t depth, json_t **out)
{
	json_t *a, *v;

	if ((a = json_array()) == NULL)
		return jf_fail(p, BPG_ENOMEM);
	p->i++;
	jf_ws(p);
	if (p->i < p->n && p->s[p->i] == ']') {
		p->i++;
		*out = a;
		return true;
	}
	for (;;) {
		if (!jf_value(p, depth, &v))
			goto fail;
		if (json_array_append_new(a, v) != 0) {
			p->e = BPG_ENOMEM;
			goto fail;
		}
		jf_ws(p);
		if (p->i < p->n && p->s[p->i] == ',') {
			p->i++;
			continue;
		}
		if (p->i < p->n && p->s[p->i] == ']') {
			p->i++;
			*out = a;
			return true;
		}
		p->e = BPG_EINVAL;
		goto fail;
	}
fail:
	json_decref(a);
	return false;
}

/* The value at p->i (whitespace before it skipped), depth containers in. */
static bool
jf_value(struct bpg_jcur *p, size_t depth, json_t **out)
{
	const char *t;
	size_t len, j;
	json_t *v;

	*out = NULL;
	jf_ws(p);
	if (p->i >= p->n)
		return jf_fail(p, BPG_EINVAL);
	switch (p->s[p->i]) {
	case '{':
	case '[':
		if (depth >= p->max_depth)
			return jf_fail(p, BPG_EINVAL);
		return p->s[p->i] == '{' ? jf_object(p, depth + 1, out) :
		    jf_array(p, depth + 1, out);
	case '"':
		if (!jf_string(p, &t, &len))
			return false;
		v = json_stringn_nocheck(t, len);
		break;
	case 't':
		if (p->n - p->i < 4 || memcmp(p->s + p->i, "true", 4) != 0)
			return jf_fail(p, BPG_EINVAL);
		p->i += 4;
		v = json_true();
		break;
	case 'f':
		if (p->n - p->i < 5 || memcmp(p->s + p->i, "false", 5) != 0)
			return jf_fail(p, BPG_EINVAL);
		p->i += 5;
		v = json_false();
		break;
	case 'n':
		if (p->n - p->i < 4 || memcmp(p->s + p->i, "null", 4) != 0)
			return jf_fail(p, BPG_EINVAL);
		p->i += 4;
		v = json_null();
		break;
	default:
		/* A number: its text after a NUL byte (the number mark). */
		for (j = p->i; j < p->n && bpg_json_number_char(p->s[j]); j++)
			;
		len = j - p->i;
		if (!bpg_json_is_number((const char *)p->s + p->i, len))
			return jf_fail(p, BPG_EINVAL);
		if (!jf_room(p, len + 1))
			return false;
		p->tmp[0] = '\0';
		memcpy(p->tmp + 1, p->s + p->i, len);
		p->i = j;
		v = json_stringn_nocheck(p->tmp, len + 1);
		break;
	}
	if (v == NULL)
		return jf_fail(p, BPG_ENOMEM);
	*out = v;
	return true;
}

enum bpg_err
bpg_jfast_load(const char *s, size_t n, size_t max_depth, json_t **root)
{
	struct bpg_jcur p;
	json_t *v;

	*root = NULL;
	memset(&p, 0, sizeof(p));
	p.s = (const unsigned char *)s;
	p.n = n;
	p.max_depth = max_depth;
	p.e = BPG_EINVAL;
	if (!jf_value(&p, 0, &v)) {
		free(p.tmp);
		return p.e;
	}
	free(p.tmp);
	jf_ws(&p);
	if (p.i != p.n) {
		json_decref(v);
		return BPG_EINVAL;
	}
	*root = v;
	return BPG_OK;
}

/* ---- the cursor (bpg_jfast.h) --------------------------------------- */

void
bpg_jcur_init(struct bpg_jcur *p, const char *s, size_t n, size_t max_depth)
{
	memset(p, 0, sizeof(*p));
	p->s = (const unsigned char *)s;
	p->n = n;
	p->max_depth = max_depth;
	p->e = BPG_EINVAL;
}

void
bpg_jcur_free(struct bpg_jcur *p)
{
	free(p->tmp);
	p->tmp = NULL;
	p->tmpcap = 0;
}

int
bpg_jcur_peek(struct bpg_jcur *p)
{
	jf_ws(p);
	return p->i < p->n ? p->s[p->i] : -1;
}

bool
bpg_jcur_take(struct bpg_jcur *p, char c)
{
	if (bpg_jcur_peek(p) != (unsigned char)c)
		return false;
	p->i++;
	return true;
}

bool
bpg_jcur_string(struct bpg_jcur *p, const char **s, size_t *len)
{
	if (bpg_jcur_peek(p) != '"')
		return jf_fail(p, BPG_EINVAL);
	return jf_string(p, s, len);
}

bool
bpg_jcur_scalar(struct bpg_jcur *p, enum bpg_jscalar *kind, const char **s,
    size_t *len)
{
	size_t j;

	*s = NULL;
	*len = 0;
	switch (bpg_jcur_peek(p)) {
	case '"':
		*kind = BPG_JS_STRING;
		return jf_string(p, s, len);
	case 't':
	case 'f':
	case 'n':
		j = p->s[p->i] == 'f' ? 5 : 4;
		*kind = p->s[p->i] == 't' ? BPG_JS_TRUE : p->s[p->i] == 'f' ?
		    BPG_JS_FALSE : BPG_JS_NULL;
		if (p->n - p->i < j || memcmp(p->s + p->i,
		    *kind == BPG_JS_TRUE ? "true" : *kind == BPG_JS_FALSE ?
		    "false" : "null", j) != 0)
			return jf_fail(p, BPG_EINVAL);
		p->i += j;
		return true;
	case '{':
	case '[':
	case -1:
		return jf_fail(p, BPG_EINVAL);
	default:
		for (j = p->i; j < p->n && bpg_json_number_char(p->s[j]); j++)
			;
		if (!bpg_json_is_number((const char *)p->s + p->i, j - p->i))
			return jf_fail(p, BPG_EINVAL);
		*kind = BPG_JS_NUMBER;
		*s = (const char *)p->s + p->i;
		*len = j - p->i;
		p->i = j;
		return true;
	}
}

bool
bpg_jcur_value(struct bpg_jcur *p, size_t depth, json_t **out)
{
	return jf_value(p, depth, out);
}

bool
bpg_jcur_end(struct bpg_jcur *p)
{
	return bpg_jcur_peek(p) == -1;
}
