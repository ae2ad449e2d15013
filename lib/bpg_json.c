/*
 * A compact JSON writer (RFC 8259 §2-7) that gives the same bytes as
 * jansson's json_dumps(doc, JSON_COMPACT).  jansson calls an output
 * callback per token and snprintf() per integer: that was most of the
 * gateway's own CPU in a status answer and a fifth of a submission's (the
 * SparkApplication's text), see tests/bench/.  Anything whose formatting
 * is jansson's own business (reals, "%.17g" and its ".0"; the UTF-8 checks
 * of non-ASCII text) is left to json_dumps(), so output never differs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_json.h"

/* Deeper documents go to json_dumps(): the recursion here is bounded. */
#define JW_MAX_DEPTH 64
/* Larger documents than this are not written here either. */
#define JW_MAX_LEN (64 * 1024 * 1024)

struct jw {
	char *buf;
	size_t len, cap;
	bool ok; /* false: out of memory, or json_dumps() must do it */
};

static void
jw_put(struct jw *w, const char *s, size_t n)
{
	char *nb;
	size_t ncap;

	if (!w->ok)
		return;
	if (n >= w->cap - w->len) {
		ncap = w->cap * 2;
		while (n >= ncap - w->len)
			ncap *= 2;
		if (ncap > JW_MAX_LEN || (nb = realloc(w->buf, ncap)) == NULL) {
			w->ok = false;
			return;
		}
		w->buf = nb;
		w->cap = ncap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* Bytes a string cannot carry as they are: 1 escaped, 2 for jansson. */
static const unsigned char jw_special[256] = {
	/* C0 controls */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
	/* non-ASCII: UTF-8, which jansson checks */
	[0x80] = 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

/* RFC 8259 §7, with jansson's choice of escapes ("\u001F", not "\u001f"). */
static void
jw_string(struct jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)s;
	char esc[7] = "\\u00";
	size_t i = 0, run;
	unsigned char c;

	jw_put(w, "\"", 1);
	for (;;) {
		run = i;
		while (i < n && jw_special[u[i]] == 0)
			i++;
		jw_put(w, s + run, i - run);
		if (i == n)
			break;
		c = u[i++];
		switch (c) {
		case '"':
			jw_put(w, "\\\"", 2);
			break;
		case '\\':
			jw_put(w, "\\\\", 2);
			break;
		case '\b':
			jw_put(w, "\\b", 2);
			break;
		case '\f':
			jw_put(w, "\\f", 2);
			break;
		case '\n':
			jw_put(w, "\\n", 2);
			break;
		case '\r':
			jw_put(w, "\\r", 2);
			break;
		case '\t':
			jw_put(w, "\\t", 2);
			break;
		default:
			if (c >= 0x80) {
				w->ok = false; /* UTF-8: jansson checks it */
				return;
			}
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			jw_put(w, esc, 6);
			break;
		}
	}
	jw_put(w, "\"", 1);
}

static void
jw_integer(struct jw *w, json_int_t v)
{
	char num[24];
	size_t i = sizeof(num);
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		num[--i] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		num[--i] = '-';
	jw_put(w, num + i, sizeof(num) - i);
}

static void
jw_value(struct jw *w, const json_t *v, int depth)
{
	/* jansson's iterator takes a non-const object; nothing is changed. */
	json_t *obj = (json_t *)(uintptr_t)v;
	void *it;
	size_t i;
	bool first = true;

	if (!w->ok)
		return;
	if (depth > JW_MAX_DEPTH) {
		w->ok = false;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		/* Insertion order, as json_dumps() without JSON_SORT_KEYS. */
		jw_put(w, "{", 1);
		for (it = json_object_iter(obj); it != NULL;
		     it = json_object_iter_next(obj, it)) {
			if (!first)
				jw_put(w, ",", 1);
			first = false;
			jw_string(w, json_object_iter_key(it),
			    json_object_iter_key_len(it));
			jw_put(w, ":", 1);
			jw_value(w, json_object_iter_value(it), depth + 1);
		}
		jw_put(w, "}", 1);
		break;
	case JSON_ARRAY:
		jw_put(w, "[", 1);
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				jw_put(w, ",", 1);
			jw_value(w, json_array_get(v, i), depth + 1);
		}
		jw_put(w, "]", 1);
		break;
	case JSON_STRING:
		jw_string(w, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jw_integer(w, json_integer_value(v));
		break;
	case JSON_TRUE:
		jw_put(w, "true", 4);
		break;
	case JSON_FALSE:
		jw_put(w, "false", 5);
		break;
	case JSON_NULL:
		jw_put(w, "null", 4);
		break;
	default:
		w->ok = false; /* reals */
		break;
	}
}

char *
bpg_json_dump(const json_t *doc, size_t *len)
{
	struct jw w;
	char *s;

	if (len != NULL)
		*len = 0;
	if (!json_is_object(doc) && !json_is_array(doc))
		return NULL;
	if ((w.buf = malloc(256)) == NULL)
		return NULL;
	w.len = 0;
	w.cap = 256;
	w.ok = true;
	jw_value(&w, doc, 0);
	jw_put(&w, "", 1); /* room for the NUL */
	if (w.ok) {
		w.buf[w.len - 1] = '\0';
		if (len != NULL)
			*len = w.len - 1;
		return w.buf;
	}
	free(w.buf);
	if ((s = json_dumps(doc, JSON_COMPACT)) != NULL && len != NULL)
		*len = strlen(s);
	return s;
}
