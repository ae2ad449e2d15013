/*
 * Reading config.yaml's values out of the jansson tree (bpg-reference
 * section 7.1): the binding state's key path and errors, scalars as the
 * text Java would print, bounded numbers, and the typed getters the
 * binder and the structured sections share.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_config_int.h"

/* Copy s into dst[0..size) with control bytes, quotes and backslashes
 * replaced, so that config text can go into a log line. */
void
cfg_sanitize(char *dst, size_t size, const char *s)
{
	size_t i, n = 0;

	if (size == 0)
		return;
	for (i = 0; s[i] != '\0' && n + 1 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		dst[n++] = ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\' ?
		    '?' : (char)ch;
	}
	dst[n] = '\0';
}

/* Append to the key path; returns the old length for cfg_path_pop(). */
static size_t __attribute__((format(printf, 2, 3)))
path_push(struct ctx *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;
	int n;

	if (c->plen + 1 >= sizeof(c->path))
		return old;
	va_start(ap, fmt);
	n = vsnprintf(c->path + c->plen, sizeof(c->path) - c->plen, fmt, ap);
	va_end(ap);
	if (n < 0)
		c->path[c->plen] = '\0';
	else if ((size_t)n >= sizeof(c->path) - c->plen)
		c->plen = sizeof(c->path) - 1;
	else
		c->plen += (size_t)n;
	return old;
}

size_t
cfg_path_key(struct ctx *c, const char *key)
{
	return path_push(c, c->plen == 0 ? "%s" : ".%s", key);
}

size_t
cfg_path_index(struct ctx *c, size_t i)
{
	return path_push(c, "[%zu]", i);
}

/* Keys of free-form maps can hold dots: sparkConf["spark.app.name"]. */
size_t
cfg_path_mapkey(struct ctx *c, const char *key)
{
	char buf[80];

	cfg_sanitize(buf, sizeof(buf), key);
	return path_push(c, "[\"%s%s\"]", buf,
	    strlen(key) >= sizeof(buf) - 1 ? "..." : "");
}

void
cfg_path_pop(struct ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* Line of node, else of its parent (true, false and null have none). */
static int
line_of(const struct ctx *c, const json_t *node, const json_t *parent)
{
	int line = bpg_yaml_line(c->lines, node);

	return line != 0 ? line : bpg_yaml_line(c->lines, parent);
}

static void
set_path(struct bpg_config_error *err, const char *path)
{
	size_t n = strlen(path);

	if (n < sizeof(err->path)) {
		memcpy(err->path, path, n + 1);
		return;
	}
	memcpy(err->path, path, sizeof(err->path) - 4);
	memcpy(err->path + sizeof(err->path) - 4, "...", 4);
}

/* A config error at the current path.  The message must not carry
 * secrets: callers never pass values of secret keys. */
enum bpg_err __attribute__((format(printf, 4, 5)))
cfg_fail(struct ctx *c, const json_t *node, const json_t *parent,
    const char *fmt, ...)
{
	va_list ap;

	if (c->err == NULL)
		return BPG_ECONFIG;
	c->err->line = line_of(c, node, parent);
	set_path(c->err, c->path);
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return BPG_ECONFIG;
}

enum bpg_err
cfg_nomem(struct ctx *c)
{
	if (c->err != NULL) {
		c->err->line = 0;
		set_path(c->err, c->path);
		snprintf(c->err->msg, sizeof(c->err->msg), "out of memory");
	}
	return BPG_ENOMEM;
}

/* Add "path: message" to cfg->warnings (bounded). */
enum bpg_err __attribute__((format(printf, 2, 3)))
cfg_warn(struct ctx *c, const char *fmt, ...)
{
	struct bpg_strlist *w = &c->cfg->warnings;
	char msg[512], *line, **nv;
	va_list ap;

	if (w->n >= BPG_CONFIG_MAX_WARNINGS)
		return BPG_OK;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->n + 1 == BPG_CONFIG_MAX_WARNINGS)
		line = strdup("further warnings left out");
	else if (asprintf(&line, "%s: %s", c->plen ? c->path : "(top)",
	    msg) < 0)
		line = NULL;
	if (line == NULL)
		return cfg_nomem(c);
	if ((nv = reallocarray(w->v, w->n + 1, sizeof(*nv))) == NULL) {
		free(line);
		return cfg_nomem(c);
	}
	w->v = nv;
	w->v[w->n++] = line;
	w->present = true;
	return BPG_OK;
}

const char *
cfg_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
	default:
		return "null";
	}
}

/* The value of key, or NULL when the key is absent or null (7.1). */
json_t *
cfg_member(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return v == NULL || json_is_null(v) ? NULL : v;
}

static bool
is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

bool
cfg_is_alnum(char ch)
{
	return is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

bool
cfg_has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Scalars                                                             */

/* The text BPG gives a scalar bound to a String field (7.1). */
static enum bpg_err
scalar_text(struct ctx *c, const json_t *v, const json_t *parent,
    char **out)
{
	char buf[BPG_JAVA_DOUBLE_MAX];
	const char *s;
	size_t n;

	switch (json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		if (strlen(s) != n)
			return cfg_fail(c, v, parent, "contains a NUL byte");
		if ((*out = strndup(s, n)) == NULL)
			return cfg_nomem(c);
		return BPG_OK;
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		bpg_config_java_double(json_real_value(v), buf, sizeof(buf));
		break;
	case JSON_TRUE:
		snprintf(buf, sizeof(buf), "true");
		break;
	case JSON_FALSE:
		snprintf(buf, sizeof(buf), "false");
		break;
	default:
		return cfg_fail(c, v, parent, "expected a string, found %s",
		    cfg_type_name(v));
	}
	if ((*out = strdup(buf)) == NULL)
		return cfg_nomem(c);
	return BPG_OK;
}

/* [-+]?[0-9]+ into *out, false on syntax or overflow. */
static bool
parse_int_text(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (*s != '-' && *s != '+' && !(*s >= '0' && *s <= '9'))
		return false;
	if ((*s == '-' || *s == '+') && !(s[1] >= '0' && s[1] <= '9'))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

/* [-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)? into *out. */
static bool
parse_num_text(const char *s, double *out)
{
	const char *p = s;
	size_t digits = 0;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	for (; *p >= '0' && *p <= '9'; p++)
		digits++;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			digits++;
	if (digits == 0)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p != '\0')
		return false;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && isfinite(*out);
}

/* An integer field: YAML integers, integral floats and numeric strings
 * (Jackson coerces all three), within [min, max]. */
enum bpg_err
cfg_int_value(struct ctx *c, const json_t *v, const json_t *parent, int64_t min,
    int64_t max, int64_t *out)
{
	int64_t x;
	double d;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		x = json_integer_value(v);
		break;
	case JSON_REAL:
		d = json_real_value(v);
		if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 ||
		    d >= 9223372036854775808.0)
			return cfg_fail(c, v, parent, "expected an integer");
		x = (int64_t)d;
		break;
	case JSON_STRING:
		if (strlen(json_string_value(v)) != json_string_length(v) ||
		    !parse_int_text(json_string_value(v), &x))
			return cfg_fail(c, v, parent,
			    "expected an integer, found a string that is not "
			    "one");
		break;
	default:
		return cfg_fail(c, v, parent, "expected an integer, found %s",
		    cfg_type_name(v));
	}
	if (x < min)
		return cfg_fail(c, v, parent, "must be at least %" PRId64, min);
	if (x > max)
		return cfg_fail(c, v, parent, "must be at most %" PRId64, max);
	*out = x;
	return BPG_OK;
}

/* A number field: YAML numbers or numeric strings, finite. */
static enum bpg_err
num_value(struct ctx *c, const json_t *v, const json_t *parent, double *out)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		*out = (double)json_integer_value(v);
		return BPG_OK;
	case JSON_REAL:
		*out = json_real_value(v);
		if (!isfinite(*out))
			return cfg_fail(c, v, parent,
			    "must be a finite number");
		return BPG_OK;
	case JSON_STRING:
		if (strlen(json_string_value(v)) != json_string_length(v) ||
		    !parse_num_text(json_string_value(v), out))
			return cfg_fail(c, v, parent,
			    "expected a number, found a string that is not "
			    "one");
		return BPG_OK;
	default:
		return cfg_fail(c, v, parent, "expected a number, found %s",
		    cfg_type_name(v));
	}
}

/* A boolean field: YAML booleans, or the strings Jackson coerces. */
static enum bpg_err
bool_value(struct ctx *c, const json_t *v, const json_t *parent, bool *out)
{
	const char *s;

	if (json_is_boolean(v)) {
		*out = json_is_true(v);
		return BPG_OK;
	}
	if (json_is_string(v)) {
		s = json_string_value(v);
		if (!strcmp(s, "true") || !strcmp(s, "True") ||
		    !strcmp(s, "TRUE")) {
			*out = true;
			return BPG_OK;
		}
		if (!strcmp(s, "false") || !strcmp(s, "False") ||
		    !strcmp(s, "FALSE")) {
			*out = false;
			return BPG_OK;
		}
	}
	return cfg_fail(c, v, parent, "expected true or false, found %s",
	    cfg_type_name(v));
}

/* ------------------------------------------------------------------ */
/* Keys of an object                                                   */

enum bpg_err
cfg_get_str(struct ctx *c, const json_t *obj, const char *key, char **out)
{
	json_t *v = cfg_member(obj, key);
	enum bpg_err e;
	size_t mark;

	if (v == NULL)
		return BPG_OK;
	mark = cfg_path_key(c, key);
	e = scalar_text(c, v, obj, out);
	cfg_path_pop(c, mark);
	return e;
}

/* A required string: absent, null or empty is an error. */
enum bpg_err
cfg_get_req_str(struct ctx *c, const json_t *obj, const char *key, char **out)
{
	enum bpg_err e;
	size_t mark;

	if ((e = cfg_get_str(c, obj, key, out)) != BPG_OK)
		return e;
	if (*out != NULL && **out != '\0')
		return BPG_OK;
	mark = cfg_path_key(c, key);
	e = cfg_fail(c, cfg_member(obj, key), obj, "is required");
	cfg_path_pop(c, mark);
	return e;
}

enum bpg_err
cfg_get_int(struct ctx *c, const json_t *obj, const char *key, int64_t min,
    int64_t max, int64_t *out, bool *has)
{
	json_t *v = cfg_member(obj, key);
	enum bpg_err e;
	size_t mark;

	if (v == NULL)
		return BPG_OK;
	mark = cfg_path_key(c, key);
	e = cfg_int_value(c, v, obj, min, max, out);
	cfg_path_pop(c, mark);
	if (e == BPG_OK && has != NULL)
		*has = true;
	return e;
}

/* A number that must be finite and at least min (or above it, when
 * strict). */
enum bpg_err
cfg_get_num(struct ctx *c, const json_t *obj, const char *key, double min,
    bool strict, double *out, bool *has)
{
	json_t *v = cfg_member(obj, key);
	enum bpg_err e;
	double d = 0;
	size_t mark;

	if (v == NULL)
		return BPG_OK;
	mark = cfg_path_key(c, key);
	e = num_value(c, v, obj, &d);
	if (e == BPG_OK && (strict ? d <= min : d < min))
		e = cfg_fail(c, v, obj, "must be %s %g", strict ? "above" :
		    "at least", min);
	cfg_path_pop(c, mark);
	if (e == BPG_OK) {
		*out = d;
		if (has != NULL)
			*has = true;
	}
	return e;
}

enum bpg_err
cfg_get_bool(struct ctx *c, const json_t *obj, const char *key, bool *out)
{
	json_t *v = cfg_member(obj, key);
	enum bpg_err e;
	size_t mark;

	if (v == NULL)
		return BPG_OK;
	mark = cfg_path_key(c, key);
	e = bool_value(c, v, obj, out);
	cfg_path_pop(c, mark);
	return e;
}

/*
 * A list of strings.  Null entries are skipped (BPG keeps them, and they
 * never match anything) unless SL_NONEMPTY makes them errors.
 */
enum bpg_err
cfg_get_strlist(struct ctx *c, const json_t *obj, const char *key,
    struct bpg_strlist *out, unsigned flags)
{
	json_t *v = cfg_member(obj, key), *ent;
	enum bpg_err e = BPG_OK;
	size_t mark, mark2, i, n;
	char *s;

	if (v == NULL)
		return BPG_OK;
	mark = cfg_path_key(c, key);
	if (!json_is_array(v)) {
		e = cfg_fail(c, v, obj, "expected a list, found %s",
		    cfg_type_name(v));
		goto out;
	}
	n = json_array_size(v);
	if ((out->v = calloc(n ? n : 1, sizeof(*out->v))) == NULL) {
		e = cfg_nomem(c);
		goto out;
	}
	out->present = true;
	json_array_foreach(v, i, ent) {
		mark2 = cfg_path_index(c, i);
		if (json_is_null(ent)) {
			if (flags & SL_NONEMPTY)
				e = cfg_fail(c, ent, v, "must not be empty");
		} else if ((e = scalar_text(c, ent, v, &s)) == BPG_OK) {
			out->v[out->n++] = s;
			if ((flags & SL_NONEMPTY) && *s == '\0')
				e = cfg_fail(c, ent, v, "must not be empty");
			else if ((flags & SL_VERSION) && json_is_real(ent))
				e = cfg_warn(c,
				    "unquoted number read as \"%s\" "
				    "(section 7.1); quote versions", s);
		}
		cfg_path_pop(c, mark2);
		if (e != BPG_OK)
			break;
	}
out:
	cfg_path_pop(c, mark);
	return e;
}

/* An ordered string map; null values are left out (quirk 39). */
enum bpg_err
cfg_get_kvmap(struct ctx *c, const json_t *obj, const char *key,
    struct bpg_kvmap *out)
{
	json_t *v = cfg_member(obj, key), *val;
	enum bpg_err e = BPG_OK;
	size_t mark, mark2;
	const char *k;
	char *s;

	if (v == NULL)
		return BPG_OK;
	mark = cfg_path_key(c, key);
	if (!json_is_object(v)) {
		e = cfg_fail(c, v, obj, "expected a mapping, found %s",
		    cfg_type_name(v));
		goto out;
	}
	out->v = calloc(json_object_size(v) ? json_object_size(v) : 1,
	    sizeof(*out->v));
	if (out->v == NULL) {
		e = cfg_nomem(c);
		goto out;
	}
	out->present = true;
	json_object_foreach(v, k, val) {
		if (json_is_null(val))
			continue;
		mark2 = cfg_path_mapkey(c, k);
		e = scalar_text(c, val, v, &s);
		cfg_path_pop(c, mark2);
		if (e != BPG_OK)
			break;
		out->v[out->n].value = s;
		if ((out->v[out->n].key = strdup(k)) == NULL) {
			free(s);
			e = cfg_nomem(c);
			break;
		}
		out->n++;
	}
out:
	cfg_path_pop(c, mark);
	return e;
}

/* The value at key if it has type want, or NULL; another type is an
 * error saying what was expected. */
static enum bpg_err
get_typed(struct ctx *c, const json_t *obj, const char *key, json_type want,
    const char *what, json_t **out)
{
	json_t *v = cfg_member(obj, key);
	enum bpg_err e;
	size_t mark;

	*out = NULL;
	if (v == NULL)
		return BPG_OK;
	if (json_typeof(v) == want) {
		*out = v;
		return BPG_OK;
	}
	mark = cfg_path_key(c, key);
	e = cfg_fail(c, v, obj, "expected %s, found %s", what,
	    cfg_type_name(v));
	cfg_path_pop(c, mark);
	return e;
}

/* The object at key, or NULL; anything but a mapping is an error. */
enum bpg_err
cfg_get_obj(struct ctx *c, const json_t *obj, const char *key, json_t **out)
{
	return get_typed(c, obj, key, JSON_OBJECT, "a mapping", out);
}

/* The list at key, or NULL; anything but a list is an error. */
enum bpg_err
cfg_get_list(struct ctx *c, const json_t *obj, const char *key, json_t **out)
{
	return get_typed(c, obj, key, JSON_ARRAY, "a list", out);
}

/* Entry i of a list of mappings (path already at the entry). */
enum bpg_err
cfg_need_obj(struct ctx *c, const json_t *v, const json_t *list)
{
	if (json_is_object(v))
		return BPG_OK;
	return cfg_fail(c, v, list, "expected a mapping, found %s",
	    cfg_type_name(v));
}

/* Warn about keys of obj that BPG's model drops silently. */
enum bpg_err
cfg_warn_unknown(struct ctx *c, const json_t *obj, const char *const *known)
{
	const char *k, *const *kp;
	json_t *val;
	enum bpg_err e = BPG_OK;
	char buf[80];

	json_object_foreach((json_t *)(uintptr_t)obj, k, val) {
		for (kp = known; *kp != NULL; kp++)
			if (strcmp(k, *kp) == 0)
				break;
		if (*kp != NULL || json_is_null(val))
			continue;
		cfg_sanitize(buf, sizeof(buf), k);
		if ((e = cfg_warn(c,
		    "key \"%s\" is not part of BPG's model and "
		    "is dropped", buf)) != BPG_OK)
			break;
	}
	return e;
}
