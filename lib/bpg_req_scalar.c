/* The submit request binder's messages and scalar fields (bpg_req.c). */
#include "bpg_json.h"
#include "bpg_req_int.h"

/* ---- messages ------------------------------------------------------ */

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
		if ((k = bpg_utf8_len(s + i, n - i)) == 0) {
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
enum bpg_err
req_fail(struct bpg_errinfo *ei, enum bpg_err e, enum bpg_req_format fmt,
    const char *tag, const char *text)
{
	bpg_errf(ei, e, "%s%s: %s", prefix_of(fmt), tag, text);
	if (ei != NULL)
		msg_clean(ei->msg);
	return e;
}

/* A binding error at node `where` (its YAML line is added when known). */
enum bpg_err
req_bind_fail(const struct binder *b, enum bpg_err e, const json_t *where,
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

enum bpg_err
req_type_fail(const struct binder *b, const json_t *n, const json_t *where,
    const char *path, const char *expected)
{
	char got[SHOW_LEN + 16];

	describe(b, n, got, sizeof(got));
	return req_bind_fail(b, BPG_EINVAL, where, T_MISMATCH,
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
/* What check_text() refuses in s[0..len), or 0; the byte in *bad. */
enum { TXT_OK, TXT_LONG, TXT_BUDGET, TXT_NUL, TXT_CTRL };
static int
text_problem(const struct binder *b, const char *s, size_t len, bool key,
    unsigned char *bad)
{
	unsigned char c;
	size_t i;

	if (len > BPG_MAX_STRING)
		return TXT_LONG;
	/*
	 * A JSON body never holds more text than its own size, but YAML
	 * aliases can name one large scalar many times, and bpg_yaml counts
	 * that as one node per use: cap what the copies may add up to.
	 */
	*b->text += len;
	if (*b->text > BPG_MAX_BODY)
		return TXT_BUDGET;
	/* Eight bytes at a time while none is below 0x20, 0x7f or above
	 * (this also stops at UTF-8, which the byte loop lets through). */
	for (i = 0; len - i >= 8; i += 8) {
		const uint64_t ones = 0x0101010101010101ULL;
		uint64_t x, d;

		memcpy(&x, s + i, 8);
		d = x ^ (ones * 0x7f);
		if (((x | (x - ones * 0x20) | (d - ones)) &
		    (ones * 0x80)) != 0)
			break;
	}
	for (; i < len; i++) {
		c = (unsigned char)s[i];
		*bad = c;
		if (c == '\0')
			return TXT_NUL;
		if (c == 0x7f || (c < 0x20 && (key ||
		    (c != '\t' && c != '\n' && c != '\r'))))
			return TXT_CTRL;
	}
	return TXT_OK;
}

static enum bpg_err
check_text(const struct binder *b, const json_t *where, const char *path,
    const char *s, size_t len, bool key)
{
	const char *what = key ? "key" : "string";
	unsigned char c = 0;

	switch (text_problem(b, s, len, key, &c)) {
	case TXT_LONG:
		return req_bind_fail(b, BPG_ETOOBIG, where, T_LIMIT,
		    "cannot bind %s: %s longer than %d bytes", path, what,
		    BPG_MAX_STRING);
	case TXT_BUDGET:
		return req_bind_fail(b, BPG_ETOOBIG, where, T_LIMIT,
		    "cannot bind %s: the request holds more than %d bytes of "
		    "text", path, BPG_MAX_BODY);
	case TXT_NUL:
		return req_bind_fail(b, BPG_EINVAL, where, T_MISMATCH,
		    "cannot bind %s: %s contains a NUL character",
		    path, what);
	case TXT_CTRL:
		return req_bind_fail(b, BPG_EINVAL, where, T_MISMATCH,
		    "cannot bind %s: %s contains the control "
		    "character U+%04X", path, what, c);
	default:
		return BPG_OK;
	}
}

bool
req_text_ok(const struct binder *b, const char *s, size_t len)
{
	unsigned char c;

	return text_problem(b, s, len, false, &c) == TXT_OK;
}

/*
 * A string field: *out is a new string, or NULL when the node is null.
 * Numbers and booleans give their text (section 1.1).
 */
enum bpg_err
req_bind_text(const struct binder *b, json_t *n, const char *path,
    struct scalar *sc, bool *present)
{
	enum bpg_err e;

	*present = false;
	if (json_is_null(n))
		return BPG_OK;
	if (!scalar_of(b, n, sc))
		return req_type_fail(b, n, n, path, "a string");
	if ((e = check_text(b, n, path, sc->s, sc->len, false)) != BPG_OK)
		return e;
	*present = true;
	return BPG_OK;
}

/*
 * [+-]?[0-9]+ into *v.  0 on success, 1 if the text is not an integer, 2 if
 * it is out of the int64 range.
 */
int
req_parse_i64(const char *s, size_t len, int64_t *v)
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
enum bpg_err
req_bind_int(const struct binder *b, json_t *n, const char *path, int64_t min,
    int64_t max, bool *has, int64_t *out)
{
	struct scalar sc;
	int64_t v = 0;
	int r;

	*has = false;
	if (json_is_null(n))
		return BPG_OK;
	if (json_is_boolean(n) || !scalar_of(b, n, &sc))
		return req_type_fail(b, n, n, path, "an integer");
	if (!sc.number && sc.len == 0)
		return BPG_OK;
	if ((r = req_parse_i64(sc.s, sc.len, &v)) == 1)
		return req_type_fail(b, n, n, path, "an integer");
	if (r == 2 || v < min || v > max)
		return req_bind_fail(b, BPG_EINVAL, n, T_RANGE,
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
enum bpg_err
req_bind_bool(const struct binder *b, json_t *n, const char *path, bool *has,
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
		return req_type_fail(b, n, n, path, "a boolean");
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
	return req_type_fail(b, n, n, path, "a boolean");
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
enum bpg_err
req_bind_double(const struct binder *b, json_t *n, const char *path,
    json_t **out)
{
	struct scalar sc;
	char *tmp;
	double d;

	*out = NULL;
	if (json_is_null(n))
		return BPG_OK;
	if (json_is_boolean(n) || !scalar_of(b, n, &sc))
		return req_type_fail(b, n, n, path, "a number");
	if (!sc.number && sc.len == 0)
		return BPG_OK;
	if (!is_decimal(sc.s, sc.len))
		return req_type_fail(b, n, n, path, "a number");
	if ((tmp = strndup(sc.s, sc.len)) == NULL)
		return BPG_ENOMEM;
	/* The gateway never calls setlocale(): the radix is '.'. */
	d = strtod(tmp, NULL);
	free(tmp);
	if (!isfinite(d))
		return req_bind_fail(b, BPG_EINVAL, n, T_RANGE,
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
void
req_child_key(char *dst, const char *parent, const char *key)
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

void
req_child_index(char *dst, const char *parent, size_t i)
{
	path_done(dst, snprintf(dst, PATH_LEN, "%s[%zu]", parent, i));
}

enum bpg_err
req_check_entries(const struct binder *b, const json_t *n, const char *path,
    size_t count)
{
	if (count > BPG_MAX_ENTRIES)
		return req_bind_fail(b, BPG_ETOOBIG, n, T_LIMIT,
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
enum bpg_err
req_bind_strlist(const struct binder *b, json_t *n, const char *path,
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
		return req_type_fail(b, n, n, path, "a list of strings");
	if ((e = req_check_entries(b, n, path, json_array_size(n))) != BPG_OK)
		return e;
	if ((arr = json_array()) == NULL)
		return BPG_ENOMEM;
	json_array_foreach(n, i, el) {
		req_child_index(p, path, i);
		if (json_is_null(el)) {
			e = req_type_fail(b, el, n, p, "a string");
			goto fail;
		}
		if ((e = req_bind_text(b, el, p, &sc, &present)) != BPG_OK)
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

/* Every key and value of n a string free of NUL (not a number's text,
 * which scalar_of() finds behind one): bound, n is the map as it would be
 * copied. */
static bool
strmap_plain(json_t *n)
{
	json_t *v;
	void *it;

	for (it = json_object_iter(n); it != NULL;
	    it = json_object_iter_next(n, it)) {
		v = json_object_iter_value(it);
		if (!json_is_string(v) || json_object_iter_key_len(it) !=
		    strlen(json_object_iter_key(it)) ||
		    json_string_length(v) != strlen(json_string_value(v)))
			return false;
	}
	return true;
}

/*
 * A map of strings (sparkConf, labels, annotations).  *out is a new
 * reference, or NULL for null.  Values are coerced like string fields; a
 * null value drops the key, the fix of quirk 39 applied to requests.  A
 * map of plain strings is kept as it is: the request's tree is the
 * binder's alone and dropped once bound (parse() in bpg_req.c).
 */
enum bpg_err
req_bind_strmap(const struct binder *b, json_t *n, const char *path,
    json_t **out)
{
	char p[PATH_LEN];
	struct scalar sc;
	const char *key;
	json_t *obj = NULL, *val;
	enum bpg_err e;
	bool present, keep;

	*out = NULL;
	if (json_is_null(n))
		return BPG_OK;
	if (!json_is_object(n))
		return req_type_fail(b, n, n, path, "a map of strings");
	if ((e = req_check_entries(b, n, path, json_object_size(n))) != BPG_OK)
		return e;
	keep = strmap_plain(n);
	if (!keep && (obj = json_object()) == NULL)
		return BPG_ENOMEM;
	json_object_foreach(n, key, val) {
		if ((e = check_text(b, n, path, key, strlen(key), true)) !=
		    BPG_OK)
			goto fail;
		req_child_key(p, path, key);
		if ((e = req_bind_text(b, val, p, &sc, &present)) != BPG_OK)
			goto fail;
		if (!present || keep)
			continue;
		if (json_object_set_new(obj, key, json_stringn(sc.s, sc.len))) {
			e = BPG_ENOMEM;
			goto fail;
		}
	}
	*out = keep ? json_incref(n) : obj;
	return BPG_OK;
fail:
	json_decref(obj);
	return e;
}
