/*
 * A compact JSON writer (RFC 8259 §2-7) that gives the same bytes as
 * jansson's json_dumps(doc, JSON_COMPACT).  jansson calls an output
 * callback per token and snprintf() per integer: that was most of the
 * gateway's own CPU in a status answer and a fifth of a submission's (the
 * SparkApplication's text), see tests/bench/.  Non-ASCII text is checked
 * as jansson checks it.  Reals are the one difference: jansson writes 17
 * significant digits (0.1 as 0.10000000000000001), this writer the
 * shortest text that reads back as the same double, as Java does.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_json.h"
#include "bpg_num.h"

/* Deeper documents go to json_dumps(): the recursion here is bounded. */
#define JW_MAX_DEPTH 64
/* Larger documents than this are not written here either. */
#define JW_MAX_LEN (64 * 1024 * 1024)


/* The buffer grown for n more bytes; false (and w->ok false) if it
 * cannot be. */
static bool
jw_grow(struct bpg_jw *w, size_t n)
{
	char *nb;
	size_t ncap;

	ncap = w->cap != 0 ? w->cap * 2 : 256;
	while (n >= ncap - w->len)
		ncap *= 2;
	if (ncap > JW_MAX_LEN || (nb = realloc(w->buf, ncap)) == NULL) {
		w->ok = false;
		return false;
	}
	w->buf = nb;
	w->cap = ncap;
	return true;
}

/* Room for n more bytes; false (and w->ok false) when there is none.
 * There mostly is: the check is inline, the growing not. */
static inline bool
jw_reserve(struct bpg_jw *w, size_t n)
{
	if (!w->ok)
		return false;
	if (n < w->cap - w->len)
		return true;
	return jw_grow(w, n);
}

static inline void
jw_put(struct bpg_jw *w, const char *s, size_t n)
{
	if (!jw_reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static inline void
jw_char(struct bpg_jw *w, char c)
{
	if (w->cap - w->len > 1 || jw_reserve(w, 1))
		w->buf[w->len++] = c;
}

/*
 * Whether any of the 8 bytes of x needs a look of its own: a control
 * byte, '"', '\\' or a non-ASCII byte (the "has a zero byte" test of
 * Hacker's Delight 6-1, exact as a yes or no).
 */
static inline bool
jw_any_special8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return ((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
	    ((b - ones) & ~b)) & highs) != 0;
}

/*
 * Whether all of u[0..n) is plain string text, known at once.  Under 8
 * bytes: one word padded with spaces (plain); under 16: two words, the
 * second ending at the last byte; else 16-byte blocks, the last one
 * ending at the last byte.  Without SSE2 (bpg_json_plain16() then sees
 * nothing) a string of 16 or more says no, and the caller's byte loop
 * decides: slower, never wrong.
 */
static inline bool
jw_all_plain(const unsigned char *u, size_t n)
{
	uint64_t x = 0x2020202020202020ULL, y;
	size_t i;

	if (n < 8) {
		memcpy(&x, u, n);
		return !jw_any_special8(x);
	}
	if (n < 16) {
		memcpy(&x, u, 8);
		memcpy(&y, u + n - 8, 8);
		return !jw_any_special8(x) && !jw_any_special8(y);
	}
	if ((i = bpg_json_plain16(u, n)) < n - n % 16)
		return false;
	return i == n || bpg_json_plain16(u + n - 16, 16) == 16;
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

size_t
bpg_utf8_len(const unsigned char *u, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		len = 2;
		cp = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		len = 3;
		cp = u[0] & 0x0f;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		len = 4;
		cp = u[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (u[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

bool
bpg_json_number_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
	    c == 'e' || c == 'E';
}

bool
bpg_json_is_number(const char *s, size_t len)
{
	size_t i = 0, d;

	if (i < len && s[i] == '-')
		i++;
	if (i == len)
		return false;
	if (s[i] == '0')
		i++;
	else if (s[i] >= '1' && s[i] <= '9')
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	else
		return false;
	if (i < len && s[i] == '.') {
		for (i++, d = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (d == 0)
			return false;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			d++;
		if (d == 0)
			return false;
	}
	return i == len;
}

/*
 * RFC 8259 §7, with jansson's choice of escapes ("\u001F", not
 * "\u001f").  Room is made first, so the bytes are written without a
 * check each: for the string as it is, and at the first byte to escape,
 * for the worst case of the rest (6 bytes a byte).
 */
static void
jw_string(struct bpg_jw *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)s;
	bool grown = false;
	unsigned char c;
	size_t i, len;
	char *o;

	if (n > JW_MAX_LEN / 6 || !jw_reserve(w, n + 2)) {
		w->ok = false;
		return;
	}
	o = w->buf + w->len;
	*o++ = '"';
	/* Most strings are plain text throughout: looked at whole, then
	 * copied at once.  Else the loop below finds what to escape. */
	if (jw_all_plain(u, n)) {
		memcpy(o, u, n);
		o[n] = '"';
		w->len += n + 2;
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t x;

		/* Sixteen plain bytes at a time, then eight: most text is. */
		if (n - i >= 16 && (len = bpg_json_plain16(u + i, n - i)) > 0) {
			memcpy(o, u + i, len);
			o += len;
			i += len;
		}
		while (n - i >= 8) {
			memcpy(&x, u + i, 8);
			if (jw_any_special8(x))
				break;
			memcpy(o, u + i, 8);
			o += 8;
			i += 8;
		}
		if (i == n)
			break;
		/* Fewer than 8 left: the last 8 bytes of the string, some
		 * read again, say whether these are all plain. */
		if (n - i < 8 && n >= 8) {
			memcpy(&x, u + n - 8, 8);
			if (!jw_any_special8(x)) {
				memcpy(o, u + i, n - i);
				o += n - i;
				break;
			}
		}
		c = u[i];
		if (jw_special[c] == 0) {
			*o++ = (char)c;
			continue;
		}
		if (c >= 0x80) {
			/* Valid UTF-8 goes out as it is, as from jansson. */
			if ((len = bpg_utf8_len(u + i, n - i)) == 0) {
				w->ok = false; /* json_dumps() fails it too */
				return;
			}
			memcpy(o, u + i, len);
			o += len;
			i += len - 1;
			continue;
		}
		if (!grown) {
			w->len = (size_t)(o - w->buf);
			if (!jw_reserve(w, (n - i) * 6 + 1))
				return;
			o = w->buf + w->len;
			grown = true;
		}
		*o++ = '\\';
		switch (c) {
		case '"':
			*o++ = '"';
			break;
		case '\\':
			*o++ = '\\';
			break;
		case '\b':
			*o++ = 'b';
			break;
		case '\f':
			*o++ = 'f';
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\r':
			*o++ = 'r';
			break;
		case '\t':
			*o++ = 't';
			break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
			break;
		}
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
}

static void
jw_integer(struct bpg_jw *w, json_int_t v)
{
	char num[BPG_FMT_LL_MAX];

	jw_put(w, num, bpg_fmt_ll(num, (long long)v));
}

static void
jw_value(struct bpg_jw *w, const json_t *v, int depth)
{
	/* jansson's iterator takes a non-const object; nothing is changed. */
	json_t *obj = (json_t *)(uintptr_t)v;
	void *it;
	size_t i, len;
	char num[BPG_JSON_REAL_MAX];
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
		jw_char(w, '{');
		for (it = json_object_iter(obj); it != NULL;
		     it = json_object_iter_next(obj, it)) {
			if (!first)
				jw_char(w, ',');
			first = false;
			jw_string(w, json_object_iter_key(it),
			    json_object_iter_key_len(it));
			jw_char(w, ':');
			jw_value(w, json_object_iter_value(it), depth + 1);
		}
		jw_char(w, '}');
		break;
	case JSON_ARRAY:
		jw_char(w, '[');
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0)
				jw_char(w, ',');
			jw_value(w, json_array_get(v, i), depth + 1);
		}
		jw_char(w, ']');
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
	case JSON_REAL:
		len = bpg_json_real_text(json_real_value(v), num, sizeof(num));
		jw_put(w, num, len);
		break;
	default:
		w->ok = false;
		break;
	}
}

size_t
bpg_json_real_text(double d, char *buf, size_t size)
{
	char tmp[BPG_JSON_REAL_MAX], *e, *p;
	size_t n;
	int prec;

	/* 17 significant digits always read back (IEEE 754 binary64). */
	for (prec = 15; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(tmp, sizeof(tmp), "%.17g", d);
	/* jansson's touches: "1.0" not "1", "1e5" not "1e+05". */
	if ((e = strchr(tmp, 'e')) != NULL) {
		p = e + 1;
		if (*p == '+')
			memmove(p, p + 1, strlen(p));
		else if (*p == '-')
			p++;
		while (p[0] == '0' && p[1] != '\0')
			memmove(p, p + 1, strlen(p));
	} else if (strchr(tmp, '.') == NULL && isfinite(d))
		strcat(tmp, ".0");
	n = strlen(tmp);
	if (n >= size)
		n = size - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return n;
}

char *
bpg_json_dump(const json_t *doc, size_t *len)
{
	struct bpg_jw w;
	char *s;

	if (len != NULL)
		*len = 0;
	if (!json_is_object(doc) && !json_is_array(doc))
		return NULL;
	/* A SparkApplication fits: no growing (a realloc copies). */
	if ((w.buf = malloc(4096)) == NULL)
		return NULL;
	w.len = 0;
	w.cap = 4096;
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

/* ---- the streaming writer (bpg_json.h) ------------------------------- */

void
bpg_jw_init(struct bpg_jw *w)
{
	w->buf = NULL;
	w->len = w->cap = 0;
	w->ok = true;
}

void
bpg_jw_raw(struct bpg_jw *w, const char *s, size_t n)
{
	jw_put(w, s, n);
}

void
bpg_jw_str(struct bpg_jw *w, const char *s)
{
	if (w->ok)
		jw_string(w, s, strlen(s));
}

void
bpg_jw_strn(struct bpg_jw *w, const char *s, size_t n)
{
	if (w->ok)
		jw_string(w, s, n);
}

void
bpg_jw_reserve(struct bpg_jw *w, size_t n)
{
	(void)jw_reserve(w, n);
}

void
bpg_jw_int(struct bpg_jw *w, long long v)
{
	if (w->ok)
		jw_integer(w, (json_int_t)v);
}

void
bpg_jw_value(struct bpg_jw *w, const json_t *v)
{
	jw_value(w, v, 0);
}

char *
bpg_jw_finish(struct bpg_jw *w, size_t *len)
{
	char *s;

	if (len != NULL)
		*len = 0;
	jw_put(w, "", 1); /* room for the NUL */
	if (!w->ok) {
		free(w->buf);
		bpg_jw_init(w);
		return NULL;
	}
	s = w->buf;
	s[w->len - 1] = '\0';
	if (len != NULL)
		*len = w->len - 1;
	bpg_jw_init(w);
	return s;
}
