/*
 * The submit request (bpg-reference sections 1.1, 2.1, 2.20).
 *
 * JSON and YAML bodies are first read into a jansson tree -- JSON by
 * jansson, YAML by bpg_yaml in text mode -- and then bound by one piece of
 * code, field by field, with the scalar coercions of BPG's Jackson binding
 * (section 1.1): a string field takes the literal text of a number or a
 * boolean, an integer field takes a numeric string, a boolean field takes
 * "true" or "false".
 *
 * JSON numbers.  A string field must get a number's source text: JSON 3.50
 * becomes "3.50" (Jackson's getText()), but jansson would give the double
 * 3.5, and prints 0.1 back as 0.10000000000000001.  So before jansson sees
 * the body a small scanner rewrites each number token that stands in a
 * value position into a string whose first byte is NUL: 3.50 becomes
 * "\u00003.50".  No client string can start with NUL, because the same
 * scanner refuses every \u0000 escape (strings must not contain NUL), so
 * the binder knows such a string is a number token and has its exact text.
 * Tokens that are not valid JSON numbers, and numbers in key positions, are
 * left alone for jansson to reject.  The scanner also enforces the depth
 * cap before jansson builds anything (jansson's own cap is 2048).
 *
 * Error texts.  BPG answers "Invalid JSON request: <Jackson exception
 * class>: <Jackson message>" (section 2.1; "Invalid YAML request: ..." for
 * YAML).  The prefixes and the "Unrecognized field" text (quirk 29) are
 * BPG's; the class-like tags are chosen to read like Jackson's, and the
 * texts after them are ours, since Jackson's messages cannot be reproduced.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_limits.h"
#include "bpg_req.h"
#include "bpg_yaml.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Field paths in messages ("volumes[0].configMap.name"). */
#define PATH_LEN 256
/* Bytes of a client value quoted in a message. */
#define SHOW_LEN 40
/* Bytes of one key in a path: BPG's longest field name fits. */
#define KEY_LEN 64

/* Class-like tags (see the comment at the top). */
#define T_JSON_SYNTAX "JsonParseException"
#define T_YAML_SYNTAX "YAMLParseException"
#define T_MISMATCH "MismatchedInputException"
#define T_RANGE "InputCoercionException"
#define T_LIMIT "StreamConstraintsException"
#define T_UNKNOWN "UnrecognizedPropertyException"

/* Section 2.1, Appendix A. */
#define PATH_MSG "Invalid request body. It actually looks like a file " \
	"path. If you're using curl, make sure you are passing the file " \
	"content (not the file path) as the request body."

/* ---- messages ------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 (RFC 3629). */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
		return 0;
	if (len == 4 && (cp < 0x10000 || cp > 0x10ffff))
		return 0;
	return len;
}

/*
 * Messages quote client bytes (keys, values, jansson's "near" text) and may
 * be cut by the buffer size in the middle of a character; the edge puts
 * them in a JSON string and the log.  Replace control bytes and anything
 * that is not valid UTF-8 with '?'.
 */
static void
msg_clean(char *msg)
{
	unsigned char *s = (unsigned char *)msg;
	size_t n = strlen(msg), i = 0, k;

	while (i < n) {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			s[i++] = '?';
			continue;
		}
		if ((k = utf8_len(s + i, n - i)) == 0) {
			s[i++] = '?';
			continue;
		}
		i += k;
	}
}

static const char *
prefix_of(enum bpg_req_format fmt)
{
	return fmt == BPG_REQ_YAML ? "Invalid YAML request: " :
	    "Invalid JSON request: ";
}

/* "<prefix><tag>: <text>", cleaned. */
static enum bpg_err
req_fail(struct bpg_errinfo *ei, enum bpg_err e, enum bpg_req_format fmt,
    const char *tag, const char *text)
{
	bpg_errf(ei, e, "%s%s: %s", prefix_of(fmt), tag, text);
	if (ei != NULL)
		msg_clean(ei->msg);
	return e;
}

struct binder {
	enum bpg_req_format fmt;
	const struct bpg_yaml_lines *lines;	/* YAML only */
	struct bpg_errinfo *ei;
	size_t *text;		/* bytes of strings kept so far */
};

/* A binding error at node `where` (its YAML line is added when known). */
static enum bpg_err
bind_fail(const struct binder *b, enum bpg_err e, const json_t *where,
    const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum bpg_err
bind_fail(const struct binder *b, enum bpg_err e, const json_t *where,
    const char *tag, const char *fmt, ...)
{
	char text[sizeof(b->ei->msg)];
	size_t n;
	va_list ap;
	int line;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	line = b->fmt == BPG_REQ_YAML ? bpg_yaml_line(b->lines, where) : 0;
	n = strlen(text);
	if (line > 0 && n < sizeof(text))
		snprintf(text + n, sizeof(text) - n, " (line %d)", line);
	return req_fail(b->ei, e, b->fmt, tag, text);
}

/* ---- scalars ------------------------------------------------------- */

/* A scalar as Jackson's String coercion sees it. */
struct scalar {
	const char *s;
	size_t len;
	bool number;	/* a JSON number token (s is its source text) */
	char buf[32];
};

static bool
is_number_token(const struct binder *b, const json_t *n)
{
	return b->fmt == BPG_REQ_JSON && json_is_string(n) &&
	    json_string_length(n) > 0 && json_string_value(n)[0] == '\0';
}

/* False for objects, arrays and null. */
static bool
scalar_of(const struct binder *b, const json_t *n, struct scalar *sc)
{
	sc->number = false;
	switch (json_typeof(n)) {
	case JSON_STRING:
		sc->s = json_string_value(n);
		sc->len = json_string_length(n);
		if (is_number_token(b, n)) {
			sc->s++;
			sc->len--;
			sc->number = true;
		}
		return true;
	case JSON_TRUE:
		sc->s = "true";
		sc->len = 4;
		return true;
	case JSON_FALSE:
		sc->s = "false";
		sc->len = 5;
		return true;
	/*
	 * The scanner turns every JSON number into a string, and YAML text
	 * mode gives only strings: these two are for robustness.
	 */
	case JSON_INTEGER:
		snprintf(sc->buf, sizeof(sc->buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(n));
		sc->s = sc->buf;
		sc->len = strlen(sc->buf);
		sc->number = true;
		return true;
	case JSON_REAL:
		snprintf(sc->buf, sizeof(sc->buf), "%.17g",
		    json_real_value(n));
		sc->s = sc->buf;
		sc->len = strlen(sc->buf);
		sc->number = true;
		return true;
	default:
		return false;
	}
}

/* What a node is, for "expected X, got Y". */
static void
describe(const struct binder *b, const json_t *n, char *buf, size_t sz)
{
	struct scalar sc;
	int show;

	if (json_is_object(n)) {
		snprintf(buf, sz, "an object");
		return;
	}
	if (json_is_array(n)) {
		snprintf(buf, sz, "an array");
		return;
	}
	if (json_is_null(n)) {
		snprintf(buf, sz, "null");
		return;
	}
	if (!scalar_of(b, n, &sc)) {
		snprintf(buf, sz, "a value of another type");
		return;
	}
	show = sc.len > SHOW_LEN ? SHOW_LEN : (int)sc.len;
	if (sc.number || json_is_boolean(n))
		snprintf(buf, sz, "%.*s%s", show, sc.s,
		    sc.len > SHOW_LEN ? "..." : "");
	else
		snprintf(buf, sz, "\"%.*s%s\"", show, sc.s,
		    sc.len > SHOW_LEN ? "..." : "");
}

static enum bpg_err
type_fail(const struct binder *b, const json_t *n, const json_t *where,
    const char *path, const char *expected)
{
	char got[SHOW_LEN + 16];

	describe(b, n, got, sizeof(got));
	return bind_fail(b, BPG_EINVAL, where, T_MISMATCH,
	    "cannot bind %s: expected %s, got %s", path, expected, got);
}

/*
 * Limits and character rules for every string kept (values and map keys):
 * at most BPG_MAX_STRING bytes; no NUL (the rest of the gateway uses C
 * strings); no control characters, except that values may hold TAB, LF and
 * CR (multi-line javaOptions, arguments).  Map keys (sparkConf keys, label
 * and annotation names) may hold none.  jansson and bpg_yaml already
 * guarantee valid UTF-8.
 */
static enum bpg_err
check_text(const struct binder *b, const json_t *where, const char *path,
    const char *s, size_t len, bool key)
{
	const char *what = key ? "key" : "string";
	unsigned char c;
	size_t i;

	if (len > BPG_MAX_STRING)
		return bind_fail(b, BPG_ETOOBIG, where, T_LIMIT,
		    "cannot bind %s: %s longer than %d bytes", path, what,
		    BPG_MAX_STRING);
	/*
	 * A JSON body never holds more text than its own size, but YAML
	 * aliases can name one large scalar many times, and bpg_yaml counts
	 * that as one node per use: cap what the copies may add up to.
	 */
	*b->text += len;
	if (*b->text > BPG_MAX_BODY)
		return bind_fail(b, BPG_ETOOBIG, where, T_LIMIT,
		    "cannot bind %s: the request holds more than %d bytes of "
		    "text", path, BPG_MAX_BODY);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\0')
			return bind_fail(b, BPG_EINVAL, where, T_MISMATCH,
			    "cannot bind %s: %s contains a NUL character",
			    path, what);
		if (c == 0x7f || (c < 0x20 && (key ||
		    (c != '\t' && c != '\n' && c != '\r'))))
			return bind_fail(b, BPG_EINVAL, where, T_MISMATCH,
			    "cannot bind %s: %s contains the control "
			    "character U+%04X", path, what, c);
	}
	return BPG_OK;
}

/*
 * A string field: *out is a new string, or NULL when the node is null.
 * Numbers and booleans give their text (section 1.1).
 */
static enum bpg_err
bind_text(const struct binder *b, json_t *n, const char *path,
    struct scalar *sc, bool *present)
{
	enum bpg_err e;

	*present = false;
	if (json_is_null(n))
		return BPG_OK;
	if (!scalar_of(b, n, sc))
		return type_fail(b, n, n, path, "a string");
	if ((e = check_text(b, n, path, sc->s, sc->len, false)) != BPG_OK)
		return e;
	*present = true;
	return BPG_OK;
}

/*
 * [+-]?[0-9]+ into *v.  0 on success, 1 if the text is not an integer, 2 if
 * it is out of the int64 range.
 */
static int
parse_i64(const char *s, size_t len, int64_t *v)
{
	uint64_t acc = 0, lim;
	bool neg = false;
	size_t i = 0;

	if (len > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i++;
	}
	if (i == len)
		return 1;
	for (; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (i = (s[0] == '-' || s[0] == '+'); i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (acc > (lim - d) / 10)
			return 2;
		acc = acc * 10 + d;
	}
	if (neg)
		*v = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
		    -(int64_t)acc;
	else
		*v = (int64_t)acc;
	return 0;
}

/*
 * An integer field (Java int or long, section 1.1).  A JSON integer or a
 * numeric string; no booleans and no fractions (Jackson would truncate
 * 1.5 to 1: a 400 is clearer).  An empty string is null, as for Jackson's
 * wrapper types.  min and max are Java's range or, where it is narrower,
 * the CRD's (cores and instances at least 1, sparkapplications-crd.yaml),
 * so that the API server's 422 becomes a clear 400 here.
 */
static enum bpg_err
bind_int(const struct binder *b, json_t *n, const char *path, int64_t min,
    int64_t max, bool *has, int64_t *out)
{
	struct scalar sc;
	int64_t v = 0;
	int r;

	*has = false;
	if (json_is_null(n))
		return BPG_OK;
	if (json_is_boolean(n) || !scalar_of(b, n, &sc))
		return type_fail(b, n, n, path, "an integer");
	if (!sc.number && sc.len == 0)
		return BPG_OK;
	if ((r = parse_i64(sc.s, sc.len, &v)) == 1)
		return type_fail(b, n, n, path, "an integer");
	if (r == 2 || v < min || v > max)
		return bind_fail(b, BPG_EINVAL, n, T_RANGE,
		    "cannot bind %s: %.*s is out of range (%" PRId64 " to %"
		    PRId64 ")", path, sc.len > SHOW_LEN ? SHOW_LEN :
		    (int)sc.len, sc.s, min, max);
	*has = true;
	*out = v;
	return BPG_OK;
}

/*
 * A boolean field: true/false, or the strings Jackson accepts for them
 * (true, True, TRUE and the same for false); an empty string is null.
 * Numbers are refused (Jackson would take 0 and 1).  YAML 1.1's yes, no,
 * on and off stay text in bpg_yaml's text mode, so they are refused here
 * and kept as written in string fields, where SnakeYAML would have made
 * "queue: on" the string "true"; the same goes for YAML 1.1 integer forms
 * such as 0x10 or 1_000 in integer fields.
 */
static enum bpg_err
bind_bool(const struct binder *b, json_t *n, const char *path, bool *has,
    bool *out)
{
	const char *s;
	size_t len;

	*has = false;
	if (json_is_null(n))
		return BPG_OK;
	if (json_is_boolean(n)) {
		*has = true;
		*out = json_is_true(n);
		return BPG_OK;
	}
	if (!json_is_string(n) || is_number_token(b, n))
		return type_fail(b, n, n, path, "a boolean");
	s = json_string_value(n);
	len = json_string_length(n);
	if (len == 0)
		return BPG_OK;
	if ((len == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) ||
	    !memcmp(s, "TRUE", 4))) ||
	    (len == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) ||
	    !memcmp(s, "FALSE", 5)))) {
		*has = true;
		*out = s[0] == 't' || s[0] == 'T';
		return BPG_OK;
	}
	return type_fail(b, n, n, path, "a boolean");
}

/* [+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)? */
static bool
is_decimal(const char *s, size_t len)
{
	size_t i = 0, digits = 0;

	if (i < len && (s[i] == '-' || s[i] == '+'))
		i++;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		if (i == len || s[i] < '0' || s[i] > '9')
			return false;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == len;
}

/*
 * A Double field (the overhead factors): a number or a decimal string,
 * finite.  *out is a new json_real, or NULL for null or "".
 *
 * XXX: these are only stored (section 1.1), and jansson prints a double
 * with 17 significant digits, so 0.1 is stored as 0.10000000000000001
 * where Java writes 0.1; values exact in binary (0.25, 1.5, 2.0) match.
 */
static enum bpg_err
bind_double(const struct binder *b, json_t *n, const char *path,
    json_t **out)
{
	struct scalar sc;
	char *tmp;
	double d;

	*out = NULL;
	if (json_is_null(n))
		return BPG_OK;
	if (json_is_boolean(n) || !scalar_of(b, n, &sc))
		return type_fail(b, n, n, path, "a number");
	if (!sc.number && sc.len == 0)
		return BPG_OK;
	if (!is_decimal(sc.s, sc.len))
		return type_fail(b, n, n, path, "a number");
	if ((tmp = strndup(sc.s, sc.len)) == NULL)
		return BPG_ENOMEM;
	/* The gateway never calls setlocale(): the radix is '.'. */
	d = strtod(tmp, NULL);
	free(tmp);
	if (!isfinite(d))
		return bind_fail(b, BPG_EINVAL, n, T_RANGE,
		    "cannot bind %s: %.*s is out of range of a double", path,
		    sc.len > SHOW_LEN ? SHOW_LEN : (int)sc.len, sc.s);
	if ((*out = json_real(d)) == NULL)
		return BPG_ENOMEM;
	return BPG_OK;
}

/*
 * Paths are for messages only: a path too long for the buffer ends in
 * "...", which is all a reader needs.
 */
static void
path_done(char *dst, int r)
{
	if (r < 0)
		dst[0] = '\0';
	else if (r >= PATH_LEN)
		memcpy(dst + PATH_LEN - 4, "...", 4);
}

/* parent.key, or key at the top; built for every field bound, so the
 * common case is copied rather than printed. */
static void
child_key(char *dst, const char *parent, const char *key)
{
	size_t plen = strlen(parent), klen = strnlen(key, KEY_LEN), n = 0;

	if (plen + 1 + klen >= PATH_LEN) {
		path_done(dst, snprintf(dst, PATH_LEN, "%s%s%.*s", parent,
		    plen > 0 ? "." : "", KEY_LEN, key));
		return;
	}
	if (plen > 0) {
		memcpy(dst, parent, plen);
		dst[plen] = '.';
		n = plen + 1;
	}
	memcpy(dst + n, key, klen);
	dst[n + klen] = '\0';
}

static void
child_index(char *dst, const char *parent, size_t i)
{
	path_done(dst, snprintf(dst, PATH_LEN, "%s[%zu]", parent, i));
}

static enum bpg_err
check_entries(const struct binder *b, const json_t *n, const char *path,
    size_t count)
{
	if (count > BPG_MAX_ENTRIES)
		return bind_fail(b, BPG_ETOOBIG, n, T_LIMIT,
		    "cannot bind %s: more than %d entries", path,
		    BPG_MAX_ENTRIES);
	return BPG_OK;
}

/*
 * A list of strings.  *out is a new array, or NULL for null.  A single
 * value is not taken as a one-element list (Jackson's default), and null
 * elements are refused: a list with holes has no meaning for arguments or
 * jars.
 */
static enum bpg_err
bind_strlist(const struct binder *b, json_t *n, const char *path,
    json_t **out)
{
	char p[PATH_LEN];
	struct scalar sc;
	json_t *arr, *el;
	enum bpg_err e;
	bool present;
	size_t i;

	*out = NULL;
	if (json_is_null(n))
		return BPG_OK;
	if (!json_is_array(n))
		return type_fail(b, n, n, path, "a list of strings");
	if ((e = check_entries(b, n, path, json_array_size(n))) != BPG_OK)
		return e;
	if ((arr = json_array()) == NULL)
		return BPG_ENOMEM;
	json_array_foreach(n, i, el) {
		child_index(p, path, i);
		if (json_is_null(el)) {
			e = type_fail(b, el, n, p, "a string");
			goto fail;
		}
		if ((e = bind_text(b, el, p, &sc, &present)) != BPG_OK)
			goto fail;
		if (json_array_append_new(arr, json_stringn(sc.s, sc.len))) {
			e = BPG_ENOMEM;
			goto fail;
		}
	}
	*out = arr;
	return BPG_OK;
fail:
	json_decref(arr);
	return e;
}

/*
 * A map of strings (sparkConf, labels, annotations).  *out is a new
 * object, or NULL for null.  Values are coerced like string fields; a null
 * value drops the key, the fix of quirk 39 applied to requests.
 */
static enum bpg_err
bind_strmap(const struct binder *b, json_t *n, const char *path,
    json_t **out)
{
	char p[PATH_LEN];
	struct scalar sc;
	const char *key;
	json_t *obj, *val;
	enum bpg_err e;
	bool present;

	*out = NULL;
	if (json_is_null(n))
		return BPG_OK;
	if (!json_is_object(n))
		return type_fail(b, n, n, path, "a map of strings");
	if ((e = check_entries(b, n, path, json_object_size(n))) != BPG_OK)
		return e;
	if ((obj = json_object()) == NULL)
		return BPG_ENOMEM;
	json_object_foreach(n, key, val) {
		if ((e = check_text(b, n, path, key, strlen(key), true)) !=
		    BPG_OK)
			goto fail;
		child_key(p, path, key);
		if ((e = bind_text(b, val, p, &sc, &present)) != BPG_OK)
			goto fail;
		if (!present)
			continue;
		if (json_object_set_new(obj, key, json_stringn(sc.s, sc.len))) {
			e = BPG_ENOMEM;
			goto fail;
		}
	}
	*out = obj;
	return BPG_OK;
fail:
	json_decref(obj);
	return e;
}

/* ---- nested Kubernetes objects, rebuilt from known fields ---------- */

enum jkind {
	J_STR,
	J_BOOL,
	J_INT,
	J_STRLIST,
	J_OBJ,
	J_OBJLIST,
};

#define JF_ALWAYS 0x1	/* Java primitive: written as 0 when absent */
#define JF_NONEMPTY 0x2	/* omitted when empty (fabric8 NON_EMPTY lists) */

struct jshape;

struct jfield {
	const char *name;
	enum jkind kind;
	int64_t min, max;		/* J_INT */
	const struct jshape *sub;	/* J_OBJ, J_OBJLIST */
	unsigned flags;
};

/*
 * A nested object type.  Fields are listed in the order of BPG's model
 * class, which is the order Jackson writes them in (section 2.23).
 */
struct jshape {
	const char *cls;		/* BPG's class name, for messages */
	const struct jfield *f;
	size_t nf;
	bool strict;			/* unknown fields are errors */
};

#define I32 INT32_MIN, INT32_MAX
#define SHAPE(cls, f, strict) { cls, f, NELEM(f), strict }

static const struct jfield f_hostpath[] = {
	{ "path", J_STR, 0, 0, NULL, 0 },
	{ "type", J_STR, 0, 0, NULL, 0 },
};
static const struct jshape s_hostpath =
    SHAPE("HostPathVolumeSource", f_hostpath, false);

/* BPG's ConfigMapVolumeSource alone does not ignore unknown fields. */
static const struct jfield f_configmap[] = {
	{ "name", J_STR, 0, 0, NULL, 0 },
};
static const struct jshape s_configmap =
    SHAPE("ConfigMapVolumeSource", f_configmap, true);

static const struct jfield f_volume[] = {
	{ "name", J_STR, 0, 0, NULL, 0 },
	{ "hostPath", J_OBJ, 0, 0, &s_hostpath, 0 },
	{ "configMap", J_OBJ, 0, 0, &s_configmap, 0 },
};
static const struct jshape s_volume = SHAPE("Volume", f_volume, false);

static const struct jfield f_fieldref[] = {
	{ "fieldPath", J_STR, 0, 0, NULL, 0 },
};
static const struct jshape s_fieldref =
    SHAPE("ObjectFieldSelector", f_fieldref, false);

/* Only fieldRef: secretKeyRef and the other sources are dropped. */
static const struct jfield f_envsrc[] = {
	{ "fieldRef", J_OBJ, 0, 0, &s_fieldref, 0 },
};
static const struct jshape s_envsrc =
    SHAPE("EnvVarSource", f_envsrc, false);

static const struct jfield f_env[] = {
	{ "name", J_STR, 0, 0, NULL, 0 },
	{ "value", J_STR, 0, 0, NULL, 0 },
	{ "valueFrom", J_OBJ, 0, 0, &s_envsrc, 0 },
};
static const struct jshape s_env = SHAPE("EnvVar", f_env, false);

static const struct jfield f_mount[] = {
	{ "name", J_STR, 0, 0, NULL, 0 },
	{ "readOnly", J_BOOL, 0, 0, NULL, 0 },
	{ "mountPath", J_STR, 0, 0, NULL, 0 },
	{ "subPath", J_STR, 0, 0, NULL, 0 },
};
static const struct jshape s_mount = SHAPE("VolumeMount", f_mount, false);

/* runAsUser: a Java long; Kubernetes refuses negative user IDs. */
static const struct jfield f_secctx[] = {
	{ "privileged", J_BOOL, 0, 0, NULL, 0 },
	{ "runAsUser", J_INT, 0, INT64_MAX, NULL, 0 },
	{ "allowPrivilegeEscalation", J_BOOL, 0, 0, NULL, 0 },
};
static const struct jshape s_secctx =
    SHAPE("SecurityContext", f_secctx, false);

static const struct jfield f_nsreq[] = {
	{ "key", J_STR, 0, 0, NULL, 0 },
	{ "operator", J_STR, 0, 0, NULL, 0 },
	{ "values", J_STRLIST, 0, 0, NULL, 0 },
};
static const struct jshape s_nsreq =
    SHAPE("NodeSelectorRequirement", f_nsreq, false);

static const struct jfield f_nsterm[] = {
	{ "matchExpressions", J_OBJLIST, 0, 0, &s_nsreq, 0 },
};
static const struct jshape s_nsterm =
    SHAPE("NodeSelectorTerm", f_nsterm, false);

/* weight is a Java int, so Jackson always writes it. */
static const struct jfield f_prefterm[] = {
	{ "weight", J_INT, I32, NULL, JF_ALWAYS },
	{ "preference", J_OBJ, 0, 0, &s_nsterm, 0 },
};
static const struct jshape s_prefterm =
    SHAPE("PreferredSchedulingTerm", f_prefterm, false);

static const struct jfield f_reqterm[] = {
	{ "nodeSelectorTerms", J_OBJLIST, 0, 0, &s_nsterm, 0 },
};
static const struct jshape s_reqterm =
    SHAPE("RequiredDuringSchedulingIgnoredDuringExecutionTerm", f_reqterm,
    false);

static const struct jfield f_nodeaff[] = {
	{ "preferredDuringSchedulingIgnoredDuringExecution", J_OBJLIST, 0, 0,
	  &s_prefterm, 0 },
	{ "requiredDuringSchedulingIgnoredDuringExecution", J_OBJ, 0, 0,
	  &s_reqterm, 0 },
};
static const struct jshape s_nodeaff =
    SHAPE("NodeAffinity", f_nodeaff, false);

static const struct jfield f_affinity[] = {
	{ "nodeAffinity", J_OBJ, 0, 0, &s_nodeaff, 0 },
};
static const struct jshape s_affinity =
    SHAPE("Affinity", f_affinity, false);

static const struct jfield f_dnsopt[] = {
	{ "name", J_STR, 0, 0, NULL, 0 },
	{ "value", J_STR, 0, 0, NULL, 0 },
};
static const struct jshape s_dnsopt =
    SHAPE("PodDNSConfigOption", f_dnsopt, false);

/* fabric8's PodDNSConfig: property order and NON_EMPTY lists. */
static const struct jfield f_dns[] = {
	{ "nameservers", J_STRLIST, 0, 0, NULL, JF_NONEMPTY },
	{ "options", J_OBJLIST, 0, 0, &s_dnsopt, JF_NONEMPTY },
	{ "searches", J_STRLIST, 0, 0, NULL, JF_NONEMPTY },
};
static const struct jshape s_dns = SHAPE("PodDNSConfig", f_dns, false);

static const struct jfield f_deps[] = {
	{ "jars", J_STRLIST, 0, 0, NULL, 0 },
	{ "files", J_STRLIST, 0, 0, NULL, 0 },
	{ "pyFiles", J_STRLIST, 0, 0, NULL, 0 },
	{ "packages", J_STRLIST, 0, 0, NULL, 0 },
	{ "excludePackages", J_STRLIST, 0, 0, NULL, 0 },
	{ "repositories", J_STRLIST, 0, 0, NULL, 0 },
	{ "archives", J_STRLIST, 0, 0, NULL, 0 },
};
static const struct jshape s_deps = SHAPE("Dependencies", f_deps, false);

/* Java int/long; the minimums are the CRD's. */
static const struct jfield f_restart[] = {
	{ "type", J_STR, 0, 0, NULL, 0 },
	{ "onSubmissionFailureRetries", J_INT, 0, INT32_MAX, NULL, 0 },
	{ "onFailureRetries", J_INT, 0, INT32_MAX, NULL, 0 },
	{ "onSubmissionFailureRetryInterval", J_INT, 1, INT64_MAX, NULL, 0 },
	{ "onFailureRetryInterval", J_INT, 1, INT64_MAX, NULL, 0 },
};
static const struct jshape s_restart =
    SHAPE("RestartPolicy", f_restart, false);

static enum bpg_err bind_shape(const struct binder *, json_t *,
    const char *, const struct jshape *, json_t **);

/* A list of objects of one shape; *out NULL for null. */
static enum bpg_err
bind_objlist(const struct binder *b, json_t *n, const char *path,
    const struct jshape *sh, json_t **out)
{
	char p[PATH_LEN], what[96];
	json_t *arr, *el, *o;
	enum bpg_err e;
	size_t i;

	*out = NULL;
	if (json_is_null(n))
		return BPG_OK;
	snprintf(what, sizeof(what), "a list of %s", sh->cls);
	if (!json_is_array(n))
		return type_fail(b, n, n, path, what);
	if ((e = check_entries(b, n, path, json_array_size(n))) != BPG_OK)
		return e;
	if ((arr = json_array()) == NULL)
		return BPG_ENOMEM;
	json_array_foreach(n, i, el) {
		child_index(p, path, i);
		if (json_is_null(el)) {
			snprintf(what, sizeof(what), "an object (%s)", sh->cls);
			e = type_fail(b, el, n, p, what);
			goto fail;
		}
		if ((e = bind_shape(b, el, p, sh, &o)) != BPG_OK)
			goto fail;
		if (json_array_append_new(arr, o) != 0) {
			e = BPG_ENOMEM;
			goto fail;
		}
	}
	*out = arr;
	return BPG_OK;
fail:
	json_decref(arr);
	return e;
}

/* One field of a shape into obj (nothing for null or absent). */
static enum bpg_err
bind_jfield(const struct binder *b, const struct jfield *f, json_t *v,
    const char *path, json_t *obj)
{
	struct scalar sc;
	json_t *out = NULL;
	enum bpg_err e;
	bool has, bv;
	int64_t iv = 0;

	switch (f->kind) {
	case J_STR:
		if ((e = bind_text(b, v, path, &sc, &has)) != BPG_OK)
			return e;
		if (has && (out = json_stringn(sc.s, sc.len)) == NULL)
			return BPG_ENOMEM;
		break;
	case J_BOOL:
		if ((e = bind_bool(b, v, path, &has, &bv)) != BPG_OK)
			return e;
		if (has)
			out = json_boolean(bv);
		break;
	case J_INT:
		if ((e = bind_int(b, v, path, f->min, f->max, &has, &iv)) !=
		    BPG_OK)
			return e;
		if ((has || (f->flags & JF_ALWAYS)) &&
		    (out = json_integer(iv)) == NULL)
			return BPG_ENOMEM;
		break;
	case J_STRLIST:
		if ((e = bind_strlist(b, v, path, &out)) != BPG_OK)
			return e;
		break;
	case J_OBJ:
		if (json_is_null(v))
			break;
		if ((e = bind_shape(b, v, path, f->sub, &out)) != BPG_OK)
			return e;
		break;
	case J_OBJLIST:
		if ((e = bind_objlist(b, v, path, f->sub, &out)) != BPG_OK)
			return e;
		break;
	}
	if (out == NULL)
		return BPG_OK;
	if ((f->flags & JF_NONEMPTY) && json_is_array(out) &&
	    json_array_size(out) == 0) {
		json_decref(out);
		return BPG_OK;
	}
	return json_object_set_new(obj, f->name, out) == 0 ? BPG_OK :
	    BPG_ENOMEM;
}

/*
 * Rebuild the object n as a fresh object holding only the known fields
 * of sh, type-checked, in model order.  Unknown fields are dropped (BPG's
 * classes ignore them), except in strict shapes.
 */
static enum bpg_err
bind_shape(const struct binder *b, json_t *n, const char *path,
    const struct jshape *sh, json_t **out)
{
	char p[PATH_LEN], what[96];
	const char *key;
	json_t *obj, *v;
	enum bpg_err e;
	size_t i;

	*out = NULL;
	if (!json_is_object(n)) {
		snprintf(what, sizeof(what), "an object (%s)", sh->cls);
		return type_fail(b, n, n, path, what);
	}
	if ((e = check_entries(b, n, path, json_object_size(n))) != BPG_OK)
		return e;
	if (sh->strict) {
		json_object_foreach(n, key, v) {
			for (i = 0; i < sh->nf; i++)
				if (strcmp(key, sh->f[i].name) == 0)
					break;
			if (i == sh->nf)
				return bind_fail(b, BPG_EINVAL, n, T_UNKNOWN,
				    "Unrecognized field \"%.*s\" (class %s), "
				    "not marked as ignorable, at %s", KEY_LEN,
				    key, sh->cls, path);
		}
	}
	if ((obj = json_object()) == NULL)
		return BPG_ENOMEM;
	for (i = 0; i < sh->nf; i++) {
		v = json_object_get(n, sh->f[i].name);
		if (v == NULL)
			v = json_null();
		child_key(p, path, sh->f[i].name);
		if ((e = bind_jfield(b, &sh->f[i], v, p, obj)) != BPG_OK) {
			json_decref(obj);
			return e;
		}
	}
	*out = obj;
	return BPG_OK;
}

/* ---- the request and its pod specs --------------------------------- */

enum skind {
	S_STR,		/* char * */
	S_BOOL,		/* bool, with an optional has_ flag */
	S_INT,		/* int64_t with a has_ flag */
	S_NUM,		/* json_t * real */
	S_STRLIST,	/* json_t * array */
	S_STRMAP,	/* json_t * object */
	S_OBJ,		/* json_t * of a shape */
	S_OBJLIST,	/* json_t * array of a shape */
	S_POD,		/* struct bpg_pod_req */
};

#define NO_HAS SIZE_MAX
#define POD_DRIVER 0x1
#define POD_EXECUTOR 0x2
#define POD_BOTH (POD_DRIVER | POD_EXECUTOR)

struct sfield {
	const char *name;
	enum skind kind;
	size_t off;
	size_t has_off;
	int64_t min, max;
	const struct jshape *shape;
	unsigned who;		/* pod fields: which pods have it */
};

#define R(m) offsetof(struct bpg_submit_req, m)
#define P(m) offsetof(struct bpg_pod_req, m)
#define RSTR(n, m) { n, S_STR, R(m), NO_HAS, 0, 0, NULL, 0 }
#define PSTR(n, m, w) { n, S_STR, P(m), NO_HAS, 0, 0, NULL, w }

/* SubmitApplicationRequest (section 1.1). */
static const struct sfield req_fields[] = {
	RSTR("submissionIdSuffix", submission_id_suffix),
	RSTR("applicationName", application_name),
	RSTR("type", type),
	RSTR("mode", mode),
	RSTR("image", image),
	{ "spotInstance", S_BOOL, R(spot_instance), NO_HAS, 0, 0, NULL, 0 },
	RSTR("sparkVersion", spark_version),
	RSTR("mainClass", main_class),
	RSTR("mainApplicationFile", main_application_file),
	{ "arguments", S_STRLIST, R(arguments), NO_HAS, 0, 0, NULL, 0 },
	{ "sparkConf", S_STRMAP, R(spark_conf), NO_HAS, 0, 0, NULL, 0 },
	{ "volumes", S_OBJLIST, R(volumes), NO_HAS, 0, 0, &s_volume, 0 },
	{ "driver", S_POD, R(driver), NO_HAS, 0, 0, NULL, POD_DRIVER },
	{ "executor", S_POD, R(executor), NO_HAS, 0, 0, NULL, POD_EXECUTOR },
	{ "driverOverheadFactor", S_NUM, R(driver_overhead_factor), NO_HAS,
	  0, 0, NULL, 0 },
	{ "executorOverheadFactor", S_NUM, R(executor_overhead_factor),
	  NO_HAS, 0, 0, NULL, 0 },
	{ "overheadFactor", S_NUM, R(overhead_factor), NO_HAS, 0, 0, NULL,
	  0 },
	{ "deps", S_OBJ, R(deps), NO_HAS, 0, 0, &s_deps, 0 },
	RSTR("pythonVersion", python_version),
	RSTR("imagePullPolicy", image_pull_policy),
	{ "restartPolicy", S_OBJ, R(restart_policy), NO_HAS, 0, 0,
	  &s_restart, 0 },
	RSTR("clusterId", cluster_id),
	RSTR("queue", queue),
	RSTR("queueToken", queue_token),
};

/*
 * DriverSpec / ExecutorSpec (section 1.1).  Fields of the other pod kind
 * are unknown there and dropped, as BPG drops them.
 */
static const struct sfield pod_fields[] = {
	{ "cores", S_INT, P(cores), P(has_cores), 1, INT32_MAX, NULL,
	  POD_BOTH },
	PSTR("coreRequest", core_request, POD_BOTH),
	PSTR("coreLimit", core_limit, POD_BOTH),
	PSTR("memory", memory, POD_BOTH),
	PSTR("memoryOverhead", memory_overhead, POD_BOTH),
	PSTR("image", image, POD_BOTH),
	{ "env", S_OBJLIST, P(env), NO_HAS, 0, 0, &s_env, POD_BOTH },
	{ "labels", S_STRMAP, P(labels), NO_HAS, 0, 0, NULL, POD_BOTH },
	{ "annotations", S_STRMAP, P(annotations), NO_HAS, 0, 0, NULL,
	  POD_BOTH },
	{ "terminationGracePeriodSeconds", S_INT,
	  P(termination_grace_period_seconds),
	  P(has_termination_grace_period_seconds), 0, INT64_MAX, NULL,
	  POD_BOTH },
	PSTR("serviceAccount", service_account, POD_BOTH),
	{ "volumeMounts", S_OBJLIST, P(volume_mounts), NO_HAS, 0, 0,
	  &s_mount, POD_BOTH },
	{ "securityContext", S_OBJ, P(security_context), NO_HAS, 0, 0,
	  &s_secctx, POD_BOTH },
	{ "affinity", S_OBJ, P(affinity), NO_HAS, 0, 0, &s_affinity,
	  POD_BOTH },
	{ "dnsConfig", S_OBJ, P(dns_config), NO_HAS, 0, 0, &s_dns, POD_BOTH },
	PSTR("javaOptions", java_options, POD_BOTH),
	PSTR("podName", pod_name, POD_DRIVER),
	PSTR("kubernetesMaster", kubernetes_master, POD_DRIVER),
	{ "instances", S_INT, P(instances), P(has_instances), 1, INT32_MAX,
	  NULL, POD_EXECUTOR },
	{ "deleteOnTermination", S_BOOL, P(delete_on_termination),
	  P(has_delete_on_termination), 0, 0, NULL, POD_EXECUTOR },
};

static void
pod_reset(struct bpg_pod_req *p)
{
	free(p->core_request);
	free(p->core_limit);
	free(p->memory);
	free(p->memory_overhead);
	free(p->image);
	json_decref(p->env);
	json_decref(p->labels);
	json_decref(p->annotations);
	free(p->service_account);
	json_decref(p->volume_mounts);
	json_decref(p->security_context);
	json_decref(p->affinity);
	json_decref(p->dns_config);
	free(p->java_options);
	free(p->pod_name);
	free(p->kubernetes_master);
	memset(p, 0, sizeof(*p));
}

static enum bpg_err bind_fields(const struct binder *, json_t *,
    const char *, const struct sfield *, size_t, unsigned, bool, void *);

/* One field of the request or of a pod into its slot at base + f->off. */
static enum bpg_err
bind_sfield(const struct binder *b, const struct sfield *f, json_t *v,
    const char *path, void *base)
{
	char *slot = (char *)base + f->off;
	struct bpg_pod_req *pod;
	struct scalar sc;
	json_t *j = NULL;
	enum bpg_err e = BPG_OK;
	bool has, bv = false;
	int64_t iv = 0;

	switch (f->kind) {
	case S_STR:
		free(*(char **)slot);
		*(char **)slot = NULL;
		if ((e = bind_text(b, v, path, &sc, &has)) != BPG_OK)
			return e;
		if (has && (*(char **)slot = strndup(sc.s, sc.len)) == NULL)
			return BPG_ENOMEM;
		return BPG_OK;
	case S_BOOL:
		if ((e = bind_bool(b, v, path, &has, &bv)) != BPG_OK)
			return e;
		/* spotInstance is a Java boolean: null is false. */
		*(bool *)slot = has && bv;
		if (f->has_off != NO_HAS)
			*(bool *)((char *)base + f->has_off) = has;
		return BPG_OK;
	case S_INT:
		if ((e = bind_int(b, v, path, f->min, f->max, &has, &iv)) !=
		    BPG_OK)
			return e;
		*(int64_t *)slot = iv;
		*(bool *)((char *)base + f->has_off) = has;
		return BPG_OK;
	case S_NUM:
		e = bind_double(b, v, path, &j);
		break;
	case S_STRLIST:
		e = bind_strlist(b, v, path, &j);
		break;
	case S_STRMAP:
		e = bind_strmap(b, v, path, &j);
		break;
	case S_OBJ:
		e = json_is_null(v) ? BPG_OK :
		    bind_shape(b, v, path, f->shape, &j);
		break;
	case S_OBJLIST:
		e = bind_objlist(b, v, path, f->shape, &j);
		break;
	case S_POD:
		pod = (struct bpg_pod_req *)(void *)slot;
		pod_reset(pod);
		if (json_is_null(v))
			return BPG_OK;
		if (!json_is_object(v))
			return type_fail(b, v, v, path, f->who == POD_DRIVER ?
			    "an object (DriverSpec)" :
			    "an object (ExecutorSpec)");
		pod->present = true;
		return bind_fields(b, v, path, pod_fields, NELEM(pod_fields),
		    f->who, false, pod);
	}
	if (e != BPG_OK)
		return e;
	json_decref(*(json_t **)slot);
	*(json_t **)slot = j;
	return BPG_OK;
}

/*
 * Bind the object n into base, in document order (so the first bad field
 * is the one reported, as with Jackson).  strict: unknown fields are
 * errors (the top level, quirk 29); otherwise they are dropped.
 */
static enum bpg_err
bind_fields(const struct binder *b, json_t *n, const char *path,
    const struct sfield *fields, size_t nfields, unsigned who, bool strict,
    void *base)
{
	char p[PATH_LEN];
	const char *key;
	enum bpg_err e;
	json_t *v;
	size_t i;

	if ((e = check_entries(b, n, path[0] ? path : "request",
	    json_object_size(n))) != BPG_OK)
		return e;
	json_object_foreach(n, key, v) {
		for (i = 0; i < nfields; i++)
			if (strcmp(key, fields[i].name) == 0 &&
			    (who == 0 || (fields[i].who & who) != 0))
				break;
		if (i == nfields) {
			if (!strict)
				continue;
			return bind_fail(b, BPG_EINVAL, v, T_UNKNOWN,
			    "Unrecognized field \"%.*s\" (class "
			    "SubmitApplicationRequest), not marked as "
			    "ignorable", KEY_LEN, key);
		}
		child_key(p, path, key);
		if ((e = bind_sfield(b, &fields[i], v, p, base)) != BPG_OK)
			return e;
	}
	return BPG_OK;
}

/* ---- JSON number scanner ------------------------------------------- */

/* The prefix that marks a number token: '"' and the escape \u0000. */
static const char num_mark[] = "\"\\u0000";
#define NUM_MARK_LEN (sizeof(num_mark) - 1)

enum scan_err {
	SCAN_OK,
	SCAN_NUL,	/* a \u0000 escape */
	SCAN_DEPTH,	/* nesting over BPG_MAX_DEPTH */
};

/*
 * One pass of the rewrite.  With out == NULL it only counts, and, when
 * map is set, finds the input offset of output offset target (to place
 * jansson's error positions in the client's body).
 */
struct scan {
	const char *in;
	size_t n;
	char *out;
	size_t olen;
	bool map;
	size_t target;
	size_t orig;		/* result of the mapping */
	bool found;
	enum scan_err err;
	size_t err_at;		/* input offset of err */
};

/* Output bytes standing for input bytes at..at+len (1:1 when copied). */
static void
scan_emit(struct scan *sc, const char *s, size_t len, size_t at, bool copy)
{
	if (sc->out != NULL)
		memcpy(sc->out + sc->olen, s, len);
	else if (sc->map && !sc->found && sc->target < sc->olen + len) {
		sc->found = true;
		sc->orig = copy ? at + (sc->target - sc->olen) : at;
	}
	sc->olen += len;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? (RFC 8259 section 6) */
static bool
is_json_number(const char *s, size_t len)
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

static bool
is_number_char(char c)
{
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ||
	    c == 'e' || c == 'E';
}

static void
scan_run(struct scan *sc)
{
	const char *s = sc->in;
	size_t n = sc->n, i = 0, j, run = 0;
	char stack[BPG_MAX_DEPTH];
	size_t depth = 0;
	bool key = false;	/* an object key may come next */

	/* Bytes s[run..i) are copied as they are, in one piece. */
	while (i < n) {
		char c = s[i];

		if (c == '"') {
			for (j = i + 1; j < n && s[j] != '"'; j++) {
				if (s[j] != '\\')
					continue;
				if (j + 5 < n && s[j + 1] == 'u' &&
				    memcmp(s + j + 2, "0000", 4) == 0) {
					sc->err = SCAN_NUL;
					sc->err_at = j;
					return;
				}
				j++;
			}
			i = j < n ? j + 1 : n;
			key = false;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9')) {
			for (j = i; j < n && is_number_char(s[j]); j++)
				;
			if (!key && is_json_number(s + i, j - i)) {
				scan_emit(sc, s + run, i - run, run, true);
				scan_emit(sc, num_mark, NUM_MARK_LEN, i, false);
				scan_emit(sc, s + i, j - i, i, true);
				scan_emit(sc, "\"", 1, j, false);
				run = j;
			}
			i = j;
			continue;
		}
		switch (c) {
		case '{':
		case '[':
			if (depth == BPG_MAX_DEPTH) {
				sc->err = SCAN_DEPTH;
				sc->err_at = i;
				return;
			}
			stack[depth++] = c;
			key = c == '{';
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			key = false;
			break;
		case ',':
			key = depth > 0 && stack[depth - 1] == '{';
			break;
		case ':':
			key = false;
			break;
		default:
			break;
		}
		i++;
	}
	scan_emit(sc, s + run, i - run, run, true);
}

/* 1-based line and column (in characters) of offset off of s. */
static void
line_col(const char *s, size_t n, size_t off, size_t *line, size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off && i < n; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80)
			(*col)++;
	}
}

/* Remove the number marks from jansson's "near '...'" text. */
static void
strip_marks(char *t)
{
	char *m, *q;

	while ((m = strstr(t, num_mark)) != NULL) {
		memmove(m, m + NUM_MARK_LEN, strlen(m + NUM_MARK_LEN) + 1);
		if ((q = strchr(m, '"')) != NULL)
			memmove(q, q + 1, strlen(q + 1) + 1);
	}
}

static bool
all_space(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r')
			return false;
	return true;
}

static enum bpg_err
json_syntax_fail(const char *body, size_t len, struct bpg_errinfo *ei,
    const char *what, size_t off)
{
	char text[sizeof(ei->msg)];
	size_t line, col;

	line_col(body, len, off, &line, &col);
	snprintf(text, sizeof(text), "%s at line %zu, column %zu", what, line,
	    col);
	return req_fail(ei, BPG_EINVAL, BPG_REQ_JSON, T_JSON_SYNTAX, text);
}

/* Body to tree, numbers marked (see the top of the file). */
static enum bpg_err
json_parse(const char *body, size_t len, json_t **root,
    struct bpg_errinfo *ei)
{
	struct scan sc;
	json_error_t jerr;
	char text[sizeof(jerr.text) + 64];
	size_t off;

	*root = NULL;
	/* Jackson skips a byte order mark. */
	if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0) {
		body += 3;
		len -= 3;
	}
	if (all_space(body, len))
		return req_fail(ei, BPG_EINVAL, BPG_REQ_JSON, T_MISMATCH,
		    "No content to map due to end-of-input");
	memset(&sc, 0, sizeof(sc));
	sc.in = body;
	sc.n = len;
	scan_run(&sc);
	if (sc.err == SCAN_NUL)
		return json_syntax_fail(body, len, ei,
		    "string contains a NUL character (\\u0000)", sc.err_at);
	if (sc.err == SCAN_DEPTH) {
		size_t line, col;

		line_col(body, len, sc.err_at, &line, &col);
		snprintf(text, sizeof(text), "document nesting depth exceeds "
		    "the maximum allowed (%d) at line %zu, column %zu",
		    BPG_MAX_DEPTH, line, col);
		return req_fail(ei, BPG_ETOOBIG, BPG_REQ_JSON, T_LIMIT, text);
	}
	if ((sc.out = malloc(sc.olen + 1)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	sc.olen = 0;
	scan_run(&sc);
	*root = json_loadb(sc.out, sc.olen, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	free(sc.out);
	if (*root != NULL)
		return BPG_OK;
	/*
	 * jansson sets no text (nor the code byte) when it cannot even start
	 * its lexer: test the text first.
	 */
	if (jerr.text[0] == '\0' ||
	    json_error_code(&jerr) == json_error_out_of_memory)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	/* Map jansson's position back to the client's body. */
	memset(&sc, 0, sizeof(sc));
	sc.in = body;
	sc.n = len;
	sc.map = true;
	sc.target = (size_t)jerr.position;
	scan_run(&sc);
	off = sc.found ? sc.orig : len;
	snprintf(text, sizeof(text), "%s", jerr.text);
	strip_marks(text);
	return json_syntax_fail(body, len, ei, text, off);
}

/*
 * The JSON reader.  Two deliberate differences from BPG's Jackson
 * defaults: a duplicate key is refused (Jackson lets the last one win),
 * and so is anything after the document (Jackson stops reading after the
 * first value, so "{...} junk" passes there).  Both are client mistakes
 * worth a 400, and CONVENTIONS.md asks for JSON_REJECT_DUPLICATES.
 */
static enum bpg_err
json_load(const char *body, size_t len, json_t **root,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	e = json_parse(body, len, root, ei);
	/* Section 2.1: any JSON failure, on the whole body as received. */
	if (e == BPG_EINVAL && bpg_req_looks_like_path(body, len))
		return bpg_errf(ei, e, "%s", PATH_MSG);
	return e;
}

static enum bpg_err
yaml_load(const char *body, size_t len, json_t **root,
    struct bpg_yaml_lines **lines, struct bpg_errinfo *ei)
{
	struct bpg_errinfo yei = { "" };
	enum bpg_err e;

	if (all_space(body, len))
		return req_fail(ei, BPG_EINVAL, BPG_REQ_YAML, T_MISMATCH,
		    "No content to map due to end-of-input");
	e = bpg_yaml_load(body, len, BPG_YAML_TEXT, root, lines, &yei);
	switch (e) {
	case BPG_OK:
		return BPG_OK;
	case BPG_ENOMEM:
		return bpg_errf(ei, e, "out of memory");
	case BPG_ETOOBIG:
		/* Depth and alias expansion. */
		return req_fail(ei, e, BPG_REQ_YAML, T_LIMIT, yei.msg);
	default:
		return req_fail(ei, BPG_EINVAL, BPG_REQ_YAML, T_YAML_SYNTAX,
		    yei.msg);
	}
}

/* ---- public -------------------------------------------------------- */

enum bpg_req_format
bpg_req_format_of(const char *content_type)
{
	if (content_type != NULL && strcasestr(content_type, "yaml") != NULL)
		return BPG_REQ_YAML;
	return BPG_REQ_JSON;
}

/*
 * ([a-zA-Z~])?(/[a-zA-Z0-9_.-]+)+/? over the whole body (section 2.1).
 * The only backtracking the pattern needs is for the optional first
 * character, and a '/' can never be one, so one left-to-right pass is
 * exact.
 */
bool
bpg_req_looks_like_path(const char *body, size_t len)
{
	size_t i = 0, seg, groups = 0;
	unsigned char c;

	if (body == NULL || len == 0)
		return false;
	c = (unsigned char)body[0];
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '~')
		i++;
	while (i < len) {
		if (body[i] != '/')
			return false;
		i++;
		for (seg = 0; i < len; i++, seg++) {
			c = (unsigned char)body[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
			    c == '-'))
				break;
		}
		if (seg == 0)
			/* "/" with nothing after it: only the final one. */
			return i == len && groups > 0;
		groups++;
	}
	return groups > 0;
}

enum bpg_err
bpg_req_parse(const char *body, size_t len, enum bpg_req_format fmt,
    struct bpg_submit_req *out, struct bpg_errinfo *ei)
{
	struct bpg_yaml_lines *lines = NULL;
	struct binder b;
	json_t *root = NULL;
	size_t kept = 0;
	enum bpg_err e;

	memset(out, 0, sizeof(*out));
	if (ei != NULL)
		ei->msg[0] = '\0';
	if (fmt != BPG_REQ_YAML)
		fmt = BPG_REQ_JSON;
	if (body == NULL)
		len = 0;
	if (len > BPG_MAX_BODY) {
		char text[96];

		snprintf(text, sizeof(text), "request body is larger than %d "
		    "bytes", BPG_MAX_BODY);
		return req_fail(ei, BPG_ETOOBIG, fmt, T_LIMIT, text);
	}
	if (fmt == BPG_REQ_JSON)
		e = json_load(body != NULL ? body : "", len, &root, ei);
	else
		e = yaml_load(body != NULL ? body : "", len, &root, &lines,
		    ei);
	if (e != BPG_OK)
		return e;

	b.fmt = fmt;
	b.lines = lines;
	b.ei = ei;
	b.text = &kept;
	if (json_is_null(root))
		/* BPG answers 500 (NullPointerException); quirk 28. */
		e = req_fail(ei, BPG_EINVAL, fmt, T_MISMATCH,
		    "request body is null or an empty document");
	else if (!json_is_object(root))
		e = type_fail(&b, root, root, "the request",
		    "an object (SubmitApplicationRequest)");
	else
		e = bind_fields(&b, root, "", req_fields, NELEM(req_fields),
		    0, true, out);
	json_decref(root);
	bpg_yaml_lines_free(lines);
	if (e == BPG_ENOMEM)
		bpg_errf(ei, e, "out of memory");
	if (e != BPG_OK)
		bpg_req_reset(out);
	return e;
}

void
bpg_req_reset(struct bpg_submit_req *r)
{
	if (r == NULL)
		return;
	free(r->submission_id_suffix);
	free(r->application_name);
	free(r->type);
	free(r->mode);
	free(r->image);
	free(r->spark_version);
	free(r->main_class);
	free(r->main_application_file);
	json_decref(r->arguments);
	json_decref(r->spark_conf);
	json_decref(r->volumes);
	pod_reset(&r->driver);
	pod_reset(&r->executor);
	json_decref(r->driver_overhead_factor);
	json_decref(r->executor_overhead_factor);
	json_decref(r->overhead_factor);
	json_decref(r->deps);
	free(r->python_version);
	free(r->image_pull_policy);
	json_decref(r->restart_policy);
	free(r->cluster_id);
	free(r->queue);
	free(r->queue_token);
	memset(r, 0, sizeof(*r));
}

/* ---- sanitised copy (section 2.20) --------------------------------- */

/* Set key to v (a new reference, consumed) unless an earlier step failed. */
static void
put(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (!*ok) {
		json_decref(v);
		return;
	}
	if (json_object_set_new(o, key, v) != 0)
		*ok = false;
}

static void
put_str(json_t *o, const char *key, const char *s, bool *ok)
{
	if (s != NULL)
		put(o, key, json_string(s), ok);
}

static void
put_copy(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (v != NULL)
		put(o, key, json_deep_copy(v), ok);
}

/* Section 1.1 pod fields in SparkPodSpec order; env is left out. */
static json_t *
pod_sanitized(const struct bpg_pod_req *p)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (p->has_cores)
		put(o, "cores", json_integer(p->cores), &ok);
	put_str(o, "coreRequest", p->core_request, &ok);
	put_str(o, "coreLimit", p->core_limit, &ok);
	put_str(o, "memory", p->memory, &ok);
	put_str(o, "memoryOverhead", p->memory_overhead, &ok);
	put_str(o, "image", p->image, &ok);
	put_copy(o, "labels", p->labels, &ok);
	put_copy(o, "annotations", p->annotations, &ok);
	if (p->has_termination_grace_period_seconds)
		put(o, "terminationGracePeriodSeconds",
		    json_integer(p->termination_grace_period_seconds), &ok);
	put_str(o, "serviceAccount", p->service_account, &ok);
	put_copy(o, "volumeMounts", p->volume_mounts, &ok);
	put_copy(o, "securityContext", p->security_context, &ok);
	put_copy(o, "affinity", p->affinity, &ok);
	put_copy(o, "dnsConfig", p->dns_config, &ok);
	put_str(o, "javaOptions", p->java_options, &ok);
	/* DriverSpec, then ExecutorSpec, after the SparkPodSpec fields. */
	put_str(o, "podName", p->pod_name, &ok);
	put_str(o, "kubernetesMaster", p->kubernetes_master, &ok);
	if (p->has_instances)
		put(o, "instances", json_integer(p->instances), &ok);
	if (p->has_delete_on_termination)
		put(o, "deleteOnTermination",
		    json_boolean(p->delete_on_termination), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The order is SubmitApplicationRequest's field order, which Jackson
 * follows; the request_body of section 2.24 shows it (applicationName,
 * spotInstance, sparkVersion, mainClass, mainApplicationFile, driver,
 * executor, queue), and section 1.1's table lists the rest in the same
 * order.
 */
json_t *
bpg_req_sanitized(const struct bpg_submit_req *r)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	put_str(o, "submissionIdSuffix", r->submission_id_suffix, &ok);
	put_str(o, "applicationName", r->application_name, &ok);
	put_str(o, "type", r->type, &ok);
	put_str(o, "mode", r->mode, &ok);
	put_str(o, "image", r->image, &ok);
	/* A Java boolean: always written. */
	put(o, "spotInstance", json_boolean(r->spot_instance), &ok);
	put_str(o, "sparkVersion", r->spark_version, &ok);
	put_str(o, "mainClass", r->main_class, &ok);
	put_str(o, "mainApplicationFile", r->main_application_file, &ok);
	put_copy(o, "arguments", r->arguments, &ok);
	put_copy(o, "sparkConf", r->spark_conf, &ok);
	put_copy(o, "volumes", r->volumes, &ok);
	if (r->driver.present)
		put(o, "driver", pod_sanitized(&r->driver), &ok);
	if (r->executor.present)
		put(o, "executor", pod_sanitized(&r->executor), &ok);
	put_copy(o, "driverOverheadFactor", r->driver_overhead_factor, &ok);
	put_copy(o, "executorOverheadFactor", r->executor_overhead_factor,
	    &ok);
	put_copy(o, "overheadFactor", r->overhead_factor, &ok);
	put_copy(o, "deps", r->deps, &ok);
	put_str(o, "pythonVersion", r->python_version, &ok);
	put_str(o, "imagePullPolicy", r->image_pull_policy, &ok);
	put_copy(o, "restartPolicy", r->restart_policy, &ok);
	put_str(o, "clusterId", r->cluster_id, &ok);
	put_str(o, "queue", r->queue, &ok);
	/* LogDaoTest.testQueueTokenMasked: masked whenever present. */
	if (r->queue_token != NULL)
		put(o, "queueToken", json_string("***"), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}
