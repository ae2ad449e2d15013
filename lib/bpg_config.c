/*
 * config.yaml (bpg-reference section 7) bound to struct bpg_config.
 *
 * The file is read into a jansson tree by bpg_yaml_load() in typed mode
 * (the way Jackson's YAML reader types plain scalars), then every key of
 * section 7.2 is bound by hand.  Binding follows BPG's rules (section 7.1):
 * unknown keys are ignored at every level, duplicate keys are resolved by
 * the reader (last wins), string fields take integers, booleans and floats
 * as the text Java would print, and a YAML null is an absent key.  What
 * BPG would only discover per request (section 13, quirk 18) is checked
 * here, once, and reported with the key path and the line.
 *
 * Every value is copied out of the tree; the tree is wiped of secrets and
 * freed before bpg_config_parse() returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpg_base64.h"
#include "bpg_config.h"
#include "bpg_limits.h"
#include "bpg_name.h"
#include "bpg_secret.h"
#include "bpg_yaml.h"

#define DEFAULT_CONTEXT_PATH "/skatev2"
#define DEFAULT_TIMEOUT_MILLIS 30000
#define DEFAULT_STATUS_CACHE_MILLIS 990
#define DEFAULT_REQUEST_DEADLINE_SECONDS 120
#define DEFAULT_MAX_EXECUTORS 5000

#define REF_PLAINTEXT "plaintext:"
#define REF_ENV "localhost:env:"
#define REF_K8S BPG_SECRET_PREFIX

/* Binding state: where we are in the document, and where errors go. */
struct ctx {
	const struct bpg_yaml_lines *lines;
	struct bpg_config_error *err;
	struct bpg_config *cfg;
	char path[512];
	size_t plen;
	/* k8s:secret: references: the in-cluster client, made on first use
	 * and freed when parsing ends; why the last one was not resolved. */
	struct bpg_secret_client *secrets;
	char ref_why[sizeof(((struct bpg_errinfo *)0)->msg)];
};

/* Flags for string lists. */
#define SL_NONEMPTY 0x1 /* null or empty entries are errors */
#define SL_VERSION 0x2	/* warn about unquoted numbers (quirk 40) */

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* Copy s into dst[0..size) with control bytes, quotes and backslashes
 * replaced, so that config text can go into a log line. */
static void
sanitize(char *dst, size_t size, const char *s)
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

/* Append to the key path; returns the old length for path_pop(). */
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

static size_t
path_key(struct ctx *c, const char *key)
{
	return path_push(c, c->plen == 0 ? "%s" : ".%s", key);
}

static size_t
path_index(struct ctx *c, size_t i)
{
	return path_push(c, "[%zu]", i);
}

/* Keys of free-form maps can hold dots: sparkConf["spark.app.name"]. */
static size_t
path_mapkey(struct ctx *c, const char *key)
{
	char buf[80];

	sanitize(buf, sizeof(buf), key);
	return path_push(c, "[\"%s%s\"]", buf,
	    strlen(key) >= sizeof(buf) - 1 ? "..." : "");
}

static void
path_pop(struct ctx *c, size_t old)
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
static enum bpg_err __attribute__((format(printf, 4, 5)))
fail(struct ctx *c, const json_t *node, const json_t *parent,
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

static enum bpg_err
nomem(struct ctx *c)
{
	if (c->err != NULL) {
		c->err->line = 0;
		set_path(c->err, c->path);
		snprintf(c->err->msg, sizeof(c->err->msg), "out of memory");
	}
	return BPG_ENOMEM;
}

/* Add "path: message" to cfg->warnings (bounded). */
static enum bpg_err __attribute__((format(printf, 2, 3)))
warn(struct ctx *c, const char *fmt, ...)
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
		return nomem(c);
	if ((nv = reallocarray(w->v, w->n + 1, sizeof(*nv))) == NULL) {
		free(line);
		return nomem(c);
	}
	w->v = nv;
	w->v[w->n++] = line;
	w->present = true;
	return BPG_OK;
}

static const char *
type_name(const json_t *v)
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
static json_t *
member(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return v == NULL || json_is_null(v) ? NULL : v;
}

static bool
is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool
is_alnum(char ch)
{
	return is_lower_alnum(ch) || (ch >= 'A' && ch <= 'Z');
}

static bool
has_ctl(const char *s)
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
			return fail(c, v, parent, "contains a NUL byte");
		if ((*out = strndup(s, n)) == NULL)
			return nomem(c);
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
		return fail(c, v, parent, "expected a string, found %s",
		    type_name(v));
	}
	if ((*out = strdup(buf)) == NULL)
		return nomem(c);
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
static enum bpg_err
int_value(struct ctx *c, const json_t *v, const json_t *parent, int64_t min,
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
			return fail(c, v, parent, "expected an integer");
		x = (int64_t)d;
		break;
	case JSON_STRING:
		if (strlen(json_string_value(v)) != json_string_length(v) ||
		    !parse_int_text(json_string_value(v), &x))
			return fail(c, v, parent,
			    "expected an integer, found a string that is not "
			    "one");
		break;
	default:
		return fail(c, v, parent, "expected an integer, found %s",
		    type_name(v));
	}
	if (x < min)
		return fail(c, v, parent, "must be at least %" PRId64, min);
	if (x > max)
		return fail(c, v, parent, "must be at most %" PRId64, max);
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
			return fail(c, v, parent, "must be a finite number");
		return BPG_OK;
	case JSON_STRING:
		if (strlen(json_string_value(v)) != json_string_length(v) ||
		    !parse_num_text(json_string_value(v), out))
			return fail(c, v, parent,
			    "expected a number, found a string that is not "
			    "one");
		return BPG_OK;
	default:
		return fail(c, v, parent, "expected a number, found %s",
		    type_name(v));
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
	return fail(c, v, parent, "expected true or false, found %s",
	    type_name(v));
}

/* ------------------------------------------------------------------ */
/* Keys of an object                                                   */

static enum bpg_err
get_str(struct ctx *c, const json_t *obj, const char *key, char **out)
{
	json_t *v = member(obj, key);
	enum bpg_err e;
	size_t mark;

	if (v == NULL)
		return BPG_OK;
	mark = path_key(c, key);
	e = scalar_text(c, v, obj, out);
	path_pop(c, mark);
	return e;
}

/* A required string: absent, null or empty is an error. */
static enum bpg_err
get_req_str(struct ctx *c, const json_t *obj, const char *key, char **out)
{
	enum bpg_err e;
	size_t mark;

	if ((e = get_str(c, obj, key, out)) != BPG_OK)
		return e;
	if (*out != NULL && **out != '\0')
		return BPG_OK;
	mark = path_key(c, key);
	e = fail(c, member(obj, key), obj, "is required");
	path_pop(c, mark);
	return e;
}

static enum bpg_err
get_int(struct ctx *c, const json_t *obj, const char *key, int64_t min,
    int64_t max, int64_t *out, bool *has)
{
	json_t *v = member(obj, key);
	enum bpg_err e;
	size_t mark;

	if (v == NULL)
		return BPG_OK;
	mark = path_key(c, key);
	e = int_value(c, v, obj, min, max, out);
	path_pop(c, mark);
	if (e == BPG_OK && has != NULL)
		*has = true;
	return e;
}

/* A number that must be finite and at least min (or above it, when
 * strict). */
static enum bpg_err
get_num(struct ctx *c, const json_t *obj, const char *key, double min,
    bool strict, double *out, bool *has)
{
	json_t *v = member(obj, key);
	enum bpg_err e;
	double d = 0;
	size_t mark;

	if (v == NULL)
		return BPG_OK;
	mark = path_key(c, key);
	e = num_value(c, v, obj, &d);
	if (e == BPG_OK && (strict ? d <= min : d < min))
		e = fail(c, v, obj, "must be %s %g", strict ? "above" :
		    "at least", min);
	path_pop(c, mark);
	if (e == BPG_OK) {
		*out = d;
		if (has != NULL)
			*has = true;
	}
	return e;
}

static enum bpg_err
get_bool(struct ctx *c, const json_t *obj, const char *key, bool *out)
{
	json_t *v = member(obj, key);
	enum bpg_err e;
	size_t mark;

	if (v == NULL)
		return BPG_OK;
	mark = path_key(c, key);
	e = bool_value(c, v, obj, out);
	path_pop(c, mark);
	return e;
}

/*
 * A list of strings.  Null entries are skipped (BPG keeps them, and they
 * never match anything) unless SL_NONEMPTY makes them errors.
 */
static enum bpg_err
get_strlist(struct ctx *c, const json_t *obj, const char *key,
    struct bpg_strlist *out, unsigned flags)
{
	json_t *v = member(obj, key), *ent;
	enum bpg_err e = BPG_OK;
	size_t mark, mark2, i, n;
	char *s;

	if (v == NULL)
		return BPG_OK;
	mark = path_key(c, key);
	if (!json_is_array(v)) {
		e = fail(c, v, obj, "expected a list, found %s", type_name(v));
		goto out;
	}
	n = json_array_size(v);
	if ((out->v = calloc(n ? n : 1, sizeof(*out->v))) == NULL) {
		e = nomem(c);
		goto out;
	}
	out->present = true;
	json_array_foreach(v, i, ent) {
		mark2 = path_index(c, i);
		if (json_is_null(ent)) {
			if (flags & SL_NONEMPTY)
				e = fail(c, ent, v, "must not be empty");
		} else if ((e = scalar_text(c, ent, v, &s)) == BPG_OK) {
			out->v[out->n++] = s;
			if ((flags & SL_NONEMPTY) && *s == '\0')
				e = fail(c, ent, v, "must not be empty");
			else if ((flags & SL_VERSION) && json_is_real(ent))
				e = warn(c, "unquoted number read as \"%s\" "
				    "(section 7.1); quote versions", s);
		}
		path_pop(c, mark2);
		if (e != BPG_OK)
			break;
	}
out:
	path_pop(c, mark);
	return e;
}

/* An ordered string map; null values are left out (quirk 39). */
static enum bpg_err
get_kvmap(struct ctx *c, const json_t *obj, const char *key,
    struct bpg_kvmap *out)
{
	json_t *v = member(obj, key), *val;
	enum bpg_err e = BPG_OK;
	size_t mark, mark2;
	const char *k;
	char *s;

	if (v == NULL)
		return BPG_OK;
	mark = path_key(c, key);
	if (!json_is_object(v)) {
		e = fail(c, v, obj, "expected a mapping, found %s",
		    type_name(v));
		goto out;
	}
	out->v = calloc(json_object_size(v) ? json_object_size(v) : 1,
	    sizeof(*out->v));
	if (out->v == NULL) {
		e = nomem(c);
		goto out;
	}
	out->present = true;
	json_object_foreach(v, k, val) {
		if (json_is_null(val))
			continue;
		mark2 = path_mapkey(c, k);
		e = scalar_text(c, val, v, &s);
		path_pop(c, mark2);
		if (e != BPG_OK)
			break;
		out->v[out->n].value = s;
		if ((out->v[out->n].key = strdup(k)) == NULL) {
			free(s);
			e = nomem(c);
			break;
		}
		out->n++;
	}
out:
	path_pop(c, mark);
	return e;
}

/* The value at key if it has type want, or NULL; another type is an
 * error saying what was expected. */
static enum bpg_err
get_typed(struct ctx *c, const json_t *obj, const char *key, json_type want,
    const char *what, json_t **out)
{
	json_t *v = member(obj, key);
	enum bpg_err e;
	size_t mark;

	*out = NULL;
	if (v == NULL)
		return BPG_OK;
	if (json_typeof(v) == want) {
		*out = v;
		return BPG_OK;
	}
	mark = path_key(c, key);
	e = fail(c, v, obj, "expected %s, found %s", what, type_name(v));
	path_pop(c, mark);
	return e;
}

/* The object at key, or NULL; anything but a mapping is an error. */
static enum bpg_err
get_obj(struct ctx *c, const json_t *obj, const char *key, json_t **out)
{
	return get_typed(c, obj, key, JSON_OBJECT, "a mapping", out);
}

/* The list at key, or NULL; anything but a list is an error. */
static enum bpg_err
get_list(struct ctx *c, const json_t *obj, const char *key, json_t **out)
{
	return get_typed(c, obj, key, JSON_ARRAY, "a list", out);
}

/* Entry i of a list of mappings (path already at the entry). */
static enum bpg_err
need_obj(struct ctx *c, const json_t *v, const json_t *list)
{
	if (json_is_object(v))
		return BPG_OK;
	return fail(c, v, list, "expected a mapping, found %s", type_name(v));
}

/* Warn about keys of obj that BPG's model drops silently. */
static enum bpg_err
warn_unknown(struct ctx *c, const json_t *obj, const char *const *known)
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
		sanitize(buf, sizeof(buf), k);
		if ((e = warn(c, "key \"%s\" is not part of BPG's model and "
		    "is dropped", buf)) != BPG_OK)
			break;
	}
	return e;
}

/* ------------------------------------------------------------------ */
/* JSON built for the CR (sections 2.15, 2.16, 2.19)                   */

static enum bpg_err
jset_new(struct ctx *c, json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		return nomem(c);
	return BPG_OK;
}

/* Copy the string at key (if any) into o under the same key. */
static enum bpg_err
copy_str(struct ctx *c, const json_t *from, const char *key, json_t *o)
{
	enum bpg_err e;
	char *s = NULL;

	if ((e = get_str(c, from, key, &s)) != BPG_OK || s == NULL)
		return e;
	e = jset_new(c, o, key, json_string(s));
	free(s);
	return e;
}

/* As copy_str(), but the key is required and non-empty. */
static enum bpg_err
copy_req_str(struct ctx *c, const json_t *from, const char *key, json_t *o)
{
	enum bpg_err e;
	char *s = NULL;

	if ((e = get_req_str(c, from, key, &s)) != BPG_OK) {
		free(s);
		return e;
	}
	e = jset_new(c, o, key, json_string(s));
	free(s);
	return e;
}

/* A string list as a JSON array. */
static enum bpg_err
strlist_json(struct ctx *c, const struct bpg_strlist *l, json_t **out)
{
	size_t i;

	if ((*out = json_array()) == NULL)
		return nomem(c);
	for (i = 0; i < l->n; i++)
		if (json_array_append_new(*out, json_string(l->v[i])) != 0)
			return nomem(c);
	return BPG_OK;
}

static void strlist_free(struct bpg_strlist *, bool);
static void kvmap_free(struct bpg_kvmap *);

/* sparkUIOptions in the CR's form (section 2.15; quirk 22: "ServicePort"
 * is taken as an alias of servicePort). */
static enum bpg_err
bind_ui_options(struct ctx *c, const json_t *cl, json_t **out)
{
	const char *const known[] = { "servicePort", "ServicePort",
		"ingressAnnotations", "ingressTLS", NULL };
	json_t *v, *pv, *tls, *ent, *o, *jt, *arr;
	struct bpg_kvmap ann = { 0 };
	struct bpg_strlist hosts;
	const char *pkey = "servicePort";
	enum bpg_err e;
	size_t mark, mark2, i;
	int64_t port;

	if ((e = get_obj(c, cl, "sparkUIOptions", &v)) != BPG_OK || v == NULL)
		return e;
	mark = path_key(c, "sparkUIOptions");
	if ((*out = o = json_object()) == NULL) {
		e = nomem(c);
		goto out;
	}
	if ((e = warn_unknown(c, v, known)) != BPG_OK)
		goto out;
	if ((pv = member(v, pkey)) == NULL)
		pv = member(v, pkey = "ServicePort");
	if (pv != NULL) {
		mark2 = path_key(c, pkey);
		e = int_value(c, pv, v, 1, 65535, &port);
		path_pop(c, mark2);
		if (e != BPG_OK ||
		    (e = jset_new(c, o, "servicePort", json_integer(port))) !=
		    BPG_OK)
			goto out;
	}
	if ((e = get_kvmap(c, v, "ingressAnnotations", &ann)) != BPG_OK)
		goto out;
	if (ann.present) {
		json_t *jm = json_object();

		if ((e = jset_new(c, o, "ingressAnnotations", jm)) != BPG_OK)
			goto out;
		for (i = 0; i < ann.n; i++)
			if ((e = jset_new(c, jm, ann.v[i].key,
			    json_string(ann.v[i].value))) != BPG_OK)
				goto out;
	}
	if ((e = get_list(c, v, "ingressTLS", &tls)) != BPG_OK || tls == NULL)
		goto out;
	mark2 = path_key(c, "ingressTLS");
	if ((e = jset_new(c, o, "ingressTLS", arr = json_array())) != BPG_OK)
		goto out;
	json_array_foreach(tls, i, ent) {
		size_t mark3 = path_index(c, i);

		if ((e = need_obj(c, ent, tls)) != BPG_OK)
			goto out;
		if ((jt = json_object()) == NULL ||
		    json_array_append_new(arr, jt) != 0) {
			e = nomem(c);
			goto out;
		}
		/* BPG fails every submission on an entry without hosts
		 * (section 2.15); refuse it here instead. */
		memset(&hosts, 0, sizeof(hosts));
		e = get_strlist(c, ent, "hosts", &hosts, SL_NONEMPTY);
		if (e == BPG_OK && !hosts.present) {
			size_t m4 = path_key(c, "hosts");

			e = fail(c, ent, tls, "is required");
			path_pop(c, m4);
		}
		if (e == BPG_OK) {
			json_t *ja = NULL;

			e = strlist_json(c, &hosts, &ja);
			if (e == BPG_OK)
				e = jset_new(c, jt, "hosts", ja);
			else
				json_decref(ja);
		}
		strlist_free(&hosts, false);
		if (e != BPG_OK || (e = copy_str(c, ent, "secretName", jt)) !=
		    BPG_OK)
			goto out;
		path_pop(c, mark3);
	}
	path_pop(c, mark2);
out:
	kvmap_free(&ann);
	path_pop(c, mark);
	return e;
}

/* volumes: Volume is name, hostPath {path, type}, configMap {name}. */
static enum bpg_err
bind_volumes(struct ctx *c, const json_t *cl, json_t **out)
{
	const char *const known[] = { "name", "hostPath", "configMap", NULL };
	json_t *list, *ent, *o, *sub, *jo, *val;
	enum bpg_err e;
	size_t mark, mark2, mark3, i;
	const char *k;

	if ((e = get_list(c, cl, "volumes", &list)) != BPG_OK || list == NULL)
		return e;
	mark = path_key(c, "volumes");
	if ((*out = json_array()) == NULL) {
		e = nomem(c);
		goto out;
	}
	json_array_foreach(list, i, ent) {
		mark2 = path_index(c, i);
		if ((e = need_obj(c, ent, list)) != BPG_OK)
			goto out;
		if ((o = json_object()) == NULL ||
		    json_array_append_new(*out, o) != 0) {
			e = nomem(c);
			goto out;
		}
		if ((e = copy_req_str(c, ent, "name", o)) != BPG_OK ||
		    (e = warn_unknown(c, ent, known)) != BPG_OK)
			goto out;
		if ((e = get_obj(c, ent, "hostPath", &sub)) != BPG_OK)
			goto out;
		if (sub != NULL) {
			mark3 = path_key(c, "hostPath");
			if ((e = jset_new(c, o, "hostPath",
			    jo = json_object())) != BPG_OK ||
			    (e = copy_str(c, sub, "path", jo)) != BPG_OK ||
			    (e = copy_str(c, sub, "type", jo)) != BPG_OK)
				goto out;
			path_pop(c, mark3);
		}
		if ((e = get_obj(c, ent, "configMap", &sub)) != BPG_OK)
			goto out;
		if (sub != NULL) {
			mark3 = path_key(c, "configMap");
			/* BPG's ConfigMap model refuses unknown keys: the one
			 * place where they abort start-up (7.1). */
			json_object_foreach(sub, k, val) {
				if (strcmp(k, "name") != 0) {
					path_mapkey(c, k);
					e = fail(c, val, sub, "unknown key: "
					    "configMap takes only \"name\"");
					goto out;
				}
			}
			if ((e = jset_new(c, o, "configMap",
			    jo = json_object())) != BPG_OK ||
			    (e = copy_str(c, sub, "name", jo)) != BPG_OK)
				goto out;
			path_pop(c, mark3);
		}
		path_pop(c, mark2);
	}
out:
	path_pop(c, mark);
	return e;
}

/* env: EnvVar is name, value, valueFrom.fieldRef.fieldPath. */
static enum bpg_err
bind_env(struct ctx *c, const json_t *pod, json_t **out)
{
	const char *const known[] = { "name", "value", "valueFrom", NULL };
	const char *const known_from[] = { "fieldRef", NULL };
	json_t *list, *ent, *o, *from, *ref, *jf, *jr;
	enum bpg_err e;
	size_t mark, mark2, mark3, i;

	if ((e = get_list(c, pod, "env", &list)) != BPG_OK || list == NULL)
		return e;
	mark = path_key(c, "env");
	if ((*out = json_array()) == NULL) {
		e = nomem(c);
		goto out;
	}
	json_array_foreach(list, i, ent) {
		mark2 = path_index(c, i);
		if ((e = need_obj(c, ent, list)) != BPG_OK)
			goto out;
		if ((o = json_object()) == NULL ||
		    json_array_append_new(*out, o) != 0) {
			e = nomem(c);
			goto out;
		}
		if ((e = copy_req_str(c, ent, "name", o)) != BPG_OK ||
		    (e = copy_str(c, ent, "value", o)) != BPG_OK ||
		    (e = warn_unknown(c, ent, known)) != BPG_OK ||
		    (e = get_obj(c, ent, "valueFrom", &from)) != BPG_OK)
			goto out;
		if (from != NULL) {
			mark3 = path_key(c, "valueFrom");
			if ((e = warn_unknown(c, from, known_from)) !=
			    BPG_OK ||
			    (e = get_obj(c, from, "fieldRef", &ref)) != BPG_OK)
				goto out;
			/* Only fieldRef survives BPG's model; a valueFrom
			 * without it would be an empty, invalid source. */
			if (ref != NULL) {
				size_t m4 = path_key(c, "fieldRef");

				if ((e = jset_new(c, o, "valueFrom",
				    jf = json_object())) != BPG_OK ||
				    (e = jset_new(c, jf, "fieldRef",
				    jr = json_object())) != BPG_OK ||
				    (e = copy_str(c, ref, "fieldPath", jr)) !=
				    BPG_OK)
					goto out;
				path_pop(c, m4);
			}
			path_pop(c, mark3);
		}
		path_pop(c, mark2);
	}
out:
	path_pop(c, mark);
	return e;
}

/* volumeMounts: VolumeMount is name, readOnly, mountPath, subPath. */
static enum bpg_err
bind_mounts(struct ctx *c, const json_t *pod, json_t **out)
{
	const char *const known[] = { "name", "readOnly", "mountPath",
		"subPath", NULL };
	json_t *list, *ent, *o;
	enum bpg_err e;
	size_t mark, mark2, i;
	bool ro, has_ro;

	if ((e = get_list(c, pod, "volumeMounts", &list)) != BPG_OK ||
	    list == NULL)
		return e;
	mark = path_key(c, "volumeMounts");
	if ((*out = json_array()) == NULL) {
		e = nomem(c);
		goto out;
	}
	json_array_foreach(list, i, ent) {
		mark2 = path_index(c, i);
		if ((e = need_obj(c, ent, list)) != BPG_OK)
			goto out;
		if ((o = json_object()) == NULL ||
		    json_array_append_new(*out, o) != 0) {
			e = nomem(c);
			goto out;
		}
		if ((e = copy_req_str(c, ent, "name", o)) != BPG_OK ||
		    (e = warn_unknown(c, ent, known)) != BPG_OK)
			goto out;
		has_ro = member(ent, "readOnly") != NULL;
		ro = false;
		if ((e = get_bool(c, ent, "readOnly", &ro)) != BPG_OK ||
		    (has_ro && (e = jset_new(c, o, "readOnly",
		    json_boolean(ro))) != BPG_OK) ||
		    (e = copy_req_str(c, ent, "mountPath", o)) != BPG_OK ||
		    (e = copy_str(c, ent, "subPath", o)) != BPG_OK)
			goto out;
		path_pop(c, mark2);
	}
out:
	path_pop(c, mark);
	return e;
}

/* driver / executor: only env and volumeMounts are used (7.2). */
static enum bpg_err
bind_pod(struct ctx *c, const json_t *cl, const char *key,
    struct bpg_cluster_pod *pod)
{
	enum bpg_err e;
	json_t *v;
	size_t mark;

	if ((e = get_obj(c, cl, key, &v)) != BPG_OK || v == NULL)
		return e;
	mark = path_key(c, key);
	if ((e = bind_env(c, v, &pod->env)) == BPG_OK)
		e = bind_mounts(c, v, &pod->volume_mounts);
	path_pop(c, mark);
	return e;
}

/* ------------------------------------------------------------------ */
/* Secret references (7.3)                                             */

/*
 * bpg_config_resolve_ref() with the in-cluster client to use for
 * k8s:secret: references (bpg_secret.h).  Every outcome but ENOMEM gives
 * a string: the value, or the reference text itself (BPG's rule).
 */
static enum bpg_err
resolve_ref(const char *value, struct bpg_secret_client *sc, char **out,
    enum bpg_config_ref *kind, struct bpg_errinfo *ei)
{
	enum bpg_config_ref k = BPG_CONFIG_REF_NONE;
	enum bpg_secret_result sr;
	const char *res = value, *env;
	enum bpg_err e;

	*out = NULL;
	if (kind != NULL)
		*kind = k;
	if (value == NULL)
		return BPG_OK;
	if (strncmp(value, REF_PLAINTEXT, strlen(REF_PLAINTEXT)) == 0) {
		res = value + strlen(REF_PLAINTEXT);
		k = BPG_CONFIG_REF_RESOLVED;
	} else if (strncmp(value, REF_ENV, strlen(REF_ENV)) == 0) {
		if ((env = getenv(value + strlen(REF_ENV))) != NULL) {
			res = env;
			k = BPG_CONFIG_REF_RESOLVED;
		} else
			k = BPG_CONFIG_REF_ENV_UNSET;
	} else if (strncmp(value, REF_K8S, strlen(REF_K8S)) == 0) {
		/* Read once, here, from the cluster the gateway runs in
		 * (quirk 42: BPG reads it for every Kubernetes call). */
		if ((e = bpg_secret_resolve(sc, value, out, &sr, ei)) !=
		    BPG_OK)
			return e;
		if (sr == BPG_SECRET_FOUND) {
			if (kind != NULL)
				*kind = BPG_CONFIG_REF_RESOLVED;
			return BPG_OK;
		}
		k = sr == BPG_SECRET_MALFORMED ? BPG_CONFIG_REF_MALFORMED :
		    BPG_CONFIG_REF_K8S_UNRESOLVED;
	}
	if ((*out = strdup(res)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	if (kind != NULL)
		*kind = k;
	return BPG_OK;
}

/* The client of the config's in-cluster keys (or the defaults). */
static enum bpg_err
secret_client(const struct bpg_config *cfg, struct bpg_secret_client **out,
    struct bpg_errinfo *ei)
{
	struct bpg_secret_opts o;

	bpg_secret_opts_init(&o);
	if (cfg != NULL && cfg->incluster_api_server != NULL)
		o.api_server = cfg->incluster_api_server;
	if (cfg != NULL && cfg->incluster_sa_dir != NULL)
		o.sa_dir = cfg->incluster_sa_dir;
	return bpg_secret_client_new(&o, out, ei);
}

enum bpg_err
bpg_config_resolve_ref(const char *value, char **out,
    enum bpg_config_ref *kind, struct bpg_errinfo *ei)
{
	struct bpg_secret_client *sc = NULL;
	enum bpg_err e;

	*out = NULL;
	if (kind != NULL)
		*kind = BPG_CONFIG_REF_NONE;
	if (value != NULL && strncmp(value, REF_K8S, strlen(REF_K8S)) == 0 &&
	    (e = secret_client(NULL, &sc, ei)) != BPG_OK)
		return e;
	e = resolve_ref(value, sc, out, kind, ei);
	bpg_secret_client_free(sc);
	return e;
}

/* Name of the variable in "localhost:env:<VAR>", made printable. */
static void
env_name(char *buf, size_t size, const char *ref)
{
	sanitize(buf, size, ref + strlen(REF_ENV));
}

/*
 * Bind a secret-bearing string and resolve its reference.  *kind tells
 * what happened; the raw text is wiped.
 */
static enum bpg_err
get_secret(struct ctx *c, const json_t *obj, const char *key, char **out,
    enum bpg_config_ref *kind)
{
	struct bpg_errinfo ei = { { 0 } };
	char *raw = NULL, name[80];
	enum bpg_err e;
	size_t mark;

	*kind = BPG_CONFIG_REF_NONE;
	c->ref_why[0] = '\0';
	if ((e = get_str(c, obj, key, &raw)) != BPG_OK || raw == NULL)
		return e;
	mark = path_key(c, key);
	if (c->secrets == NULL && strncmp(raw, REF_K8S, strlen(REF_K8S)) == 0)
		e = secret_client(c->cfg, &c->secrets, &ei);
	if (e == BPG_OK)
		e = resolve_ref(raw, c->secrets, out, kind, &ei);
	if (e == BPG_ENOMEM)
		e = nomem(c);
	else if (e != BPG_OK)
		e = fail(c, member(obj, key), obj, "%s", ei.msg);
	else if (*kind == BPG_CONFIG_REF_ENV_UNSET) {
		env_name(name, sizeof(name), raw);
		e = warn(c, "environment variable %s is not set; the reference "
		    "text itself is used (section 7.3)", name);
	} else if (*kind == BPG_CONFIG_REF_MALFORMED)
		e = warn(c, "k8s:secret: reference without <ns>:<name>:<key>; "
		    "the reference text itself is used (section 7.3)");
	else if (*kind == BPG_CONFIG_REF_K8S_UNRESOLVED) {
		/* ei names the Secret and key, never a value. */
		snprintf(c->ref_why, sizeof(c->ref_why), "%s", ei.msg);
		e = warn(c, "%s; the reference text itself is used (section "
		    "7.3)", ei.msg);
	}
	path_pop(c, mark);
	wipe_free(raw);
	return e;
}

/*
 * caCertDataSOPS: after resolution, base64 of a PEM bundle (kubeconfig's
 * certificate-authority-data), or PEM text itself (section 3.1), into
 * *pem and *pem_len (unchanged when absent or empty).  Checked here so
 * that a bad CA stops start-up instead of every request (quirk 18).  The
 * clusters' key, and dbStorageSOPS's for the database's TLS.
 */
static enum bpg_err
bind_ca(struct ctx *c, const json_t *obj, char **pem, size_t *pem_len)
{
	const char *key = "caCertDataSOPS";
	enum bpg_config_ref kind;
	unsigned char *der = NULL;
	char *val = NULL, name[80];
	enum bpg_err e;
	size_t n = 0, mark;

	if ((e = get_secret(c, obj, key, &val, &kind)) != BPG_OK || val == NULL)
		goto out;
	if (*val == '\0')
		goto out;	/* empty: no CA configured */
	mark = path_key(c, key);
	e = bpg_base64_decode(val, strlen(val), &der, &n);
	if (e == BPG_ENOMEM) {
		e = nomem(c);
	} else if (e == BPG_OK && memmem(der, n, "-----BEGIN ", 11) != NULL) {
		*pem = (char *)der;
		*pem_len = n;
		der = NULL;
	} else if (strncmp(val + strspn(val, " \t\r\n"), "-----BEGIN ",
	    11) == 0) {
		*pem = val;
		*pem_len = strlen(val);
		val = NULL;
		e = BPG_OK;
	} else if (kind == BPG_CONFIG_REF_ENV_UNSET) {
		env_name(name, sizeof(name), val);
		e = fail(c, member(obj, key), obj,
		    "environment variable %s is not set", name);
	} else if (kind == BPG_CONFIG_REF_K8S_UNRESOLVED)
		e = fail(c, member(obj, key), obj, "the k8s:secret: reference "
		    "was not resolved: %s", c->ref_why);
	else
		e = fail(c, member(obj, key), obj, "is neither base64 of a PEM "
		    "certificate bundle nor PEM text");
	path_pop(c, mark);
out:
	if (der != NULL) {
		explicit_bzero(der, n);
		free(der);
	}
	wipe_free(val);
	return e;
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */

/* DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most max. */
/*
 * Cluster ids start submission IDs, which are Kubernetes object names:
 * a DNS-1123 label of at most BPG_MAX_CLUSTER_ID.  '-' is allowed: IDs
 * are resolved by the longest configured prefix, the compatible fix of
 * quirk 1.
 */
static bool
valid_cluster_id(const char *s)
{
	return bpg_name_label(s, strlen(s), BPG_MAX_CLUSTER_ID);
}

/*
 * The submission IDs of cluster id s pass the name rule bpg_crd_check()
 * applies to metadata.name (the ID is the CR name, section 2.6), so that
 * a cluster whose submissions would all be refused with a 400 fails at
 * load instead.  IDs are "<id>-<32 hex>" and, with a submissionIdSuffix,
 * "-<DNS label>" up to BPG_MAX_SUBMISSION_ID in all (bpg_route_new_id(),
 * quirk 33).  The shortest and the longest are tried, with digits for the
 * generated and suffix characters: the rule looks only at the characters
 * and the length.  For an s that passed valid_cluster_id() only its first
 * character can fail it: DNS-1035 wants a letter where DNS-1123 also
 * takes a digit.
 */
static bool
cluster_id_names_ok(const char *s)
{
	char id[BPG_MAX_SUBMISSION_ID + 1];
	size_t n = strlen(s);

	if (n + 1 + BPG_ID_HEX_LEN > BPG_MAX_SUBMISSION_ID)
		return false;
	memcpy(id, s, n);
	id[n] = '-';
	memset(id + n + 1, '0', BPG_ID_HEX_LEN);
	id[n + 1 + BPG_ID_HEX_LEN] = '\0';
	if (!bpg_name_app(id))
		return false;
	/* "-" and a suffix of at least one character. */
	if (n + 3 + BPG_ID_HEX_LEN > BPG_MAX_SUBMISSION_ID)
		return true;
	id[n + 1 + BPG_ID_HEX_LEN] = '-';
	memset(id + n + 2 + BPG_ID_HEX_LEN, '0',
	    BPG_MAX_SUBMISSION_ID - n - 2 - BPG_ID_HEX_LEN);
	id[BPG_MAX_SUBMISSION_ID] = '\0';
	return bpg_name_app(id);
}

/* RFC 9110 token characters, for a header name. */
static bool
valid_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!is_alnum(*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return false;
	return true;
}

/* masterUrl: http:// or https:// and a host; the scheme is stored in
 * lower case and trailing '/' removed, since paths are appended. */
static enum bpg_err
check_master_url(struct ctx *c, const json_t *cl, char *url)
{
	const json_t *node = member(cl, "masterUrl");
	size_t mark = path_key(c, "masterUrl"), n, skip;
	enum bpg_err e = BPG_OK;
	const char *p;

	if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else {
		e = fail(c, node, cl, "must start with http:// or https://");
		goto out;
	}
	for (n = 0; n < skip; n++)
		if (url[n] >= 'A' && url[n] <= 'Z')
			url[n] = (char)(url[n] - 'A' + 'a');
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' ||
		    *p == '#') {
			e = fail(c, node, cl, "must be a URL without spaces, "
			    "control characters, query or fragment");
			goto out;
		}
	n = strlen(url);
	while (n > skip && url[n - 1] == '/')
		url[--n] = '\0';
	if (n == skip || url[skip] == '/')
		e = fail(c, node, cl, "has no host");
out:
	path_pop(c, mark);
	return e;
}

/* ------------------------------------------------------------------ */
/* Keys as data                                                        */

/*
 * Every key of config.yaml is a row of a table: its name, how it is read,
 * where it goes (an offset in the struct bound), its default and bounds,
 * and a line for people.  bind_keys() binds a mapping by its table, in
 * the table's order (which decides which error of a broken file is
 * reported), the way lighttpd binds config_plugin_value_t tables.  Rows
 * without a name are steps: checks of what the rows above them bound.
 * Only what is truly structured (sparkUIOptions, volumes, driver and
 * executor, CA bundles) and the checks across keys are code of their own.
 */
enum key_type {
	KT_STR,		/* char *: the scalar's text (7.1) */
	KT_SECRET,	/* char *: a secret reference, resolved (7.3) */
	KT_INT,		/* int64_t in [imin, imax] */
	KT_NUM,		/* double, finite, >= dmin (> dmin with KF_ABOVE) */
	KT_BOOL,	/* bool */
	KT_ENUM,	/* an enum: the index of the text in names[] */
	KT_STRLIST,	/* struct bpg_strlist (flags SL_*) */
	KT_KVMAP,	/* struct bpg_kvmap */
	KT_OBJ,		/* a mapping: sub[] binds it to base + off */
	KT_LIST,	/* a list of mappings: sub[] binds each to an array */
	KT_FN,		/* a structured key: fn() binds it */
	KT_STEP,	/* no key: fn() checks the rows above */
};

/* Flags of a row (SL_NONEMPTY and SL_VERSION are those of KT_STRLIST). */
#define KF_REQUIRED 0x04   /* KT_STR: absent, null or "" is an error */
#define KF_EMPTY_NULL 0x08 /* KT_STR, KT_SECRET: "" is as absent */
#define KF_VERSION 0x10	   /* KT_STR: warn about unquoted numbers */
#define KF_ABOVE 0x20	   /* KT_NUM: strictly above dmin */
#define KF_MAX 0x40	   /* KT_NUM: at most dmax (checked late) */
#define KF_SECRET 0x80	   /* KT_STRLIST: the entries are secret */
#define KF_LATE 0x100	   /* KT_STEP: runs once every row is bound */

struct key;
typedef enum bpg_err key_fn(struct ctx *, const json_t *obj,
    const struct key *, char *base);

struct key {
	const char *name;	/* NULL: a KT_STEP */
	enum key_type type;
	unsigned flags;
	size_t off;		/* of the value in the struct bound */
	size_t has;		/* 1 + offset of a bool set when present */
	int64_t imin, imax, idef;	/* KT_INT; idef also KT_ENUM */
	double dmin, dmax, ddef;	/* KT_NUM */
	const char *const *names;	/* KT_ENUM, NULL-terminated */
	const struct key *sub;		/* KT_OBJ, KT_LIST */
	size_t nsub;
	size_t size;		/* KT_LIST: of an entry */
	size_t aux;		/* KT_LIST: offset of the count; the CA's
				 * KT_FN: offset of its length */
	key_fn *fn;		/* KT_FN, KT_STEP */
	/* KT_FN: frees what fn() bound (and clears it) */
	void (*release)(const struct key *, char *base);
	const char *doc;	/* one line, for people */
};

#define NITEMS(a) (sizeof(a) / sizeof((a)[0]))
/* offsetof(st, f), and a compile error unless f is a T. */
#define FIELD(st, f, T) \
	(offsetof(st, f) + 0 * sizeof(&((st *)0)->f == (T *)0))
#define HAS(st, f) (1 + FIELD(st, f, bool))

#define R_STR(n, st, f, fl, d) { .name = (n), .type = KT_STR, \
	.flags = (fl), .off = FIELD(st, f, char *), .doc = (d) }
#define R_SECRET(n, st, f, fl, d) { .name = (n), .type = KT_SECRET, \
	.flags = (fl), .off = FIELD(st, f, char *), .doc = (d) }
#define R_INT(n, st, f, h, lo, hi, def, d) { .name = (n), .type = KT_INT, \
	.off = FIELD(st, f, int64_t), .has = (h), .imin = (lo), \
	.imax = (hi), .idef = (def), .doc = (d) }
#define R_NUM(n, st, f, h, fl, lo, hi, def, d) { .name = (n), \
	.type = KT_NUM, .flags = (fl), .off = FIELD(st, f, double), \
	.has = (h), .dmin = (lo), .dmax = (hi), .ddef = (def), .doc = (d) }
#define R_BOOL(n, st, f, d) { .name = (n), .type = KT_BOOL, \
	.off = FIELD(st, f, bool), .doc = (d) }
#define R_LIST(n, st, f, fl, d) { .name = (n), .type = KT_STRLIST, \
	.flags = (fl), .off = FIELD(st, f, struct bpg_strlist), .doc = (d) }
#define R_MAP(n, st, f, d) { .name = (n), .type = KT_KVMAP, \
	.off = FIELD(st, f, struct bpg_kvmap), .doc = (d) }
#define R_FN(n, fun, rel, o, d) { .name = (n), .type = KT_FN, \
	.fn = (fun), .release = (rel), .off = (o), .doc = (d) }
#define R_STEP(fun, fl) { .type = KT_STEP, .fn = (fun), .flags = (fl) }

static enum bpg_err bind_keys(struct ctx *, const json_t *,
    const struct key *, size_t, char *);

/* An empty string is an absent value. */
static void
drop_empty(char **s, bool secret)
{
	if (*s != NULL && (*s)[0] == '\0') {
		if (secret)
			wipe_free(*s);
		else
			free(*s);
		*s = NULL;
	}
}

/* A KT_ENUM: the text of one of k->names. */
static enum bpg_err
get_enum(struct ctx *c, const json_t *obj, const struct key *k, int *out)
{
	char *s = NULL, msg[128];
	enum bpg_err e;
	size_t mark, i, n = 0;

	if ((e = get_str(c, obj, k->name, &s)) != BPG_OK || s == NULL)
		return e;
	for (i = 0; k->names[i] != NULL; i++)
		if (strcmp(s, k->names[i]) == 0)
			break;
	free(s);
	if (k->names[i] != NULL) {
		*out = (int)i;
		return BPG_OK;
	}
	/* "must be a, b or c" */
	msg[0] = '\0';
	for (i = 0; k->names[i] != NULL && n < sizeof(msg); i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s",
		    i == 0 ? "" : k->names[i + 1] == NULL ? " or " : ", ",
		    k->names[i]);
	mark = path_key(c, k->name);
	e = fail(c, member(obj, k->name), obj, "must be %s", msg);
	path_pop(c, mark);
	return e;
}

/* A KT_OBJ: the mapping at k->name, bound by k->sub. */
static enum bpg_err
bind_obj(struct ctx *c, const json_t *obj, const struct key *k, char *base)
{
	enum bpg_err e;
	size_t mark;
	json_t *o;

	if ((e = get_obj(c, obj, k->name, &o)) != BPG_OK || o == NULL)
		return e;
	if (k->has != 0)
		*(bool *)(void *)(base + k->has - 1) = true;
	mark = path_key(c, k->name);
	e = bind_keys(c, o, k->sub, k->nsub, base + k->off);
	path_pop(c, mark);
	return e;
}

/* A KT_LIST: an array of k->size entries, each bound by k->sub. */
static enum bpg_err
bind_list(struct ctx *c, const json_t *obj, const struct key *k, char *base)
{
	json_t *list, *ent;
	enum bpg_err e;
	size_t mark, mark2, i, n;
	char *v;

	if ((e = get_list(c, obj, k->name, &list)) != BPG_OK || list == NULL)
		return e;
	if (k->has != 0)
		*(bool *)(void *)(base + k->has - 1) = true;
	if ((n = json_array_size(list)) == 0)
		return BPG_OK;
	if ((v = calloc(n, k->size)) == NULL)
		return nomem(c);
	/* Set before the entries are bound: steps look at earlier ones. */
	memcpy(base + k->off, &v, sizeof(v));
	memcpy(base + k->aux, &n, sizeof(n));
	mark = path_key(c, k->name);
	json_array_foreach(list, i, ent) {
		mark2 = path_index(c, i);
		if ((e = need_obj(c, ent, list)) == BPG_OK)
			e = bind_keys(c, ent, k->sub, k->nsub, v + i * k->size);
		path_pop(c, mark2);
		if (e != BPG_OK)
			break;
	}
	path_pop(c, mark);
	return e;
}

static enum bpg_err
bind_key(struct ctx *c, const json_t *obj, const struct key *k, char *base)
{
	bool *has = k->has != 0 ? (bool *)(void *)(base + k->has - 1) : NULL;
	void *p = base + k->off;
	enum bpg_config_ref kind;
	enum bpg_err e = BPG_OK;
	json_t *v;
	size_t mark;
	int en;

	switch (k->type) {
	case KT_STR:
		e = (k->flags & KF_REQUIRED) ? get_req_str(c, obj, k->name, p) :
		    get_str(c, obj, k->name, p);
		if (e == BPG_OK && (k->flags & KF_VERSION) &&
		    (v = member(obj, k->name)) != NULL && json_is_real(v)) {
			mark = path_key(c, k->name);
			e = warn(c, "unquoted number read as \"%s\" (section "
			    "7.1); quote versions", *(char **)p);
			path_pop(c, mark);
		}
		break;
	case KT_SECRET:
		e = get_secret(c, obj, k->name, p, &kind);
		break;
	case KT_INT:
		e = get_int(c, obj, k->name, k->imin, k->imax, p, has);
		break;
	case KT_NUM:
		e = get_num(c, obj, k->name, k->dmin, k->flags & KF_ABOVE, p,
		    has);
		break;
	case KT_BOOL:
		e = get_bool(c, obj, k->name, p);
		break;
	case KT_ENUM:
		memcpy(&en, p, sizeof(en));
		if ((e = get_enum(c, obj, k, &en)) == BPG_OK)
			memcpy(p, &en, sizeof(en));
		break;
	case KT_STRLIST:
		e = get_strlist(c, obj, k->name, p,
		    k->flags & (SL_NONEMPTY | SL_VERSION));
		break;
	case KT_KVMAP:
		e = get_kvmap(c, obj, k->name, p);
		break;
	case KT_OBJ:
		e = bind_obj(c, obj, k, base);
		break;
	case KT_LIST:
		e = bind_list(c, obj, k, base);
		break;
	case KT_FN:
	case KT_STEP:
		if (!(k->flags & KF_LATE))
			e = k->fn(c, obj, k, base);
		break;
	}
	if (e == BPG_OK && (k->flags & KF_EMPTY_NULL))
		drop_empty(p, k->type == KT_SECRET);
	return e;
}

/* The checks that wait for every row: upper bounds of numbers, late
 * steps. */
static enum bpg_err
bind_late(struct ctx *c, const json_t *obj, const struct key *k, char *base)
{
	enum bpg_err e;
	size_t mark;
	double d;

	if (k->type == KT_STEP && (k->flags & KF_LATE))
		return k->fn(c, obj, k, base);
	if (k->type != KT_NUM || !(k->flags & KF_MAX) ||
	    member(obj, k->name) == NULL)
		return BPG_OK;
	memcpy(&d, base + k->off, sizeof(d));
	if (d <= k->dmax)
		return BPG_OK;
	mark = path_key(c, k->name);
	e = fail(c, member(obj, k->name), obj, "must be at most %g", k->dmax);
	path_pop(c, mark);
	return e;
}

/* Bind the mapping obj to the struct at base by the rows t[0..n). */
static enum bpg_err
bind_keys(struct ctx *c, const json_t *obj, const struct key *t, size_t n,
    char *base)
{
	enum bpg_err e = BPG_OK;
	size_t i;
	int en;

	for (i = 0; i < n; i++)
		if (t[i].type == KT_INT)
			memcpy(base + t[i].off, &t[i].idef, sizeof(int64_t));
		else if (t[i].type == KT_NUM)
			memcpy(base + t[i].off, &t[i].ddef, sizeof(double));
		else if (t[i].type == KT_ENUM) {
			en = (int)t[i].idef;
			memcpy(base + t[i].off, &en, sizeof(en));
		}
	for (i = 0; e == BPG_OK && i < n; i++)
		e = bind_key(c, obj, &t[i], base);
	for (i = 0; e == BPG_OK && i < n; i++)
		e = bind_late(c, obj, &t[i], base);
	return e;
}

/* ------------------------------------------------------------------ */
/* Structured keys and checks across keys                              */

static enum bpg_err
fn_ui_options(struct ctx *c, const json_t *o, const struct key *k,
    char *base)
{
	return bind_ui_options(c, o, (json_t **)(void *)(base + k->off));
}

static enum bpg_err
fn_volumes(struct ctx *c, const json_t *o, const struct key *k, char *base)
{
	return bind_volumes(c, o, (json_t **)(void *)(base + k->off));
}

static enum bpg_err
fn_pod(struct ctx *c, const json_t *o, const struct key *k, char *base)
{
	return bind_pod(c, o, k->name,
	    (struct bpg_cluster_pod *)(void *)(base + k->off));
}

/* caCertDataSOPS: the PEM at off, its length at aux. */
static enum bpg_err
fn_ca(struct ctx *c, const json_t *o, const struct key *k, char *base)
{
	return bind_ca(c, o, (char **)(void *)(base + k->off),
	    (size_t *)(void *)(base + k->aux));
}

static void
rel_json(const struct key *k, char *base)
{
	json_t **v = (json_t **)(void *)(base + k->off);

	json_decref(*v);
	*v = NULL;
}

static void
rel_pod(const struct key *k, char *base)
{
	struct bpg_cluster_pod *pod = (void *)(base + k->off);

	json_decref(pod->env);
	json_decref(pod->volume_mounts);
	memset(pod, 0, sizeof(*pod));
}

static void
rel_ca(const struct key *k, char *base)
{
	char **pem = (char **)(void *)(base + k->off);
	size_t *len = (size_t *)(void *)(base + k->aux);

	if (*pem != NULL) {
		explicit_bzero(*pem, *len);
		free(*pem);
	}
	*pem = NULL;
	*len = 0;
}

/* A failure at key of o. */
static enum bpg_err __attribute__((format(printf, 4, 5)))
fail_at(struct ctx *c, const json_t *o, const char *key, const char *fmt,
    ...)
{
	char msg[sizeof(((struct bpg_config_error *)0)->msg)];
	enum bpg_err e;
	va_list ap;
	size_t mark;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mark = path_key(c, key);
	e = fail(c, member(o, key), o, "%s", msg);
	path_pop(c, mark);
	return e;
}

static enum bpg_err
step_cluster_id(struct ctx *c, const json_t *o, const struct key *k,
    char *base)
{
	const struct bpg_cluster *cl = (const void *)base;

	(void)k;
	if (!valid_cluster_id(cl->id))
		return fail_at(c, o, "id", "must be 1 to %d characters of "
		    "[a-z0-9-], not starting or ending with '-' (it starts "
		    "Kubernetes object names)", BPG_MAX_CLUSTER_ID);
	if (!cluster_id_names_ok(cl->id))
		return fail_at(c, o, "id", "must start with a lower-case "
		    "letter: its submission IDs \"%s-<32 hex>\" are "
		    "SparkApplication names, which must be DNS-1035 labels "
		    "([a-z] first, then [a-z0-9-])", cl->id);
	return BPG_OK;
}

static enum bpg_err
step_master_url(struct ctx *c, const json_t *o, const struct key *k,
    char *base)
{
	(void)k;
	return check_master_url(c, o, ((struct bpg_cluster *)(void *)base)->
	    master_url);
}

static enum bpg_err
step_namespace(struct ctx *c, const json_t *o, const struct key *k,
    char *base)
{
	const struct bpg_cluster *cl = (const void *)base;

	(void)k;
	if (!bpg_name_label(cl->namespace, strlen(cl->namespace),
	    BPG_MAX_K8S_NAME))
		return fail_at(c, o, "sparkApplicationNamespace", "must be a "
		    "DNS-1123 label (at most %d characters of [a-z0-9-], "
		    "alphanumeric at both ends)", BPG_MAX_K8S_NAME);
	if (cl->http_proxy != NULL && has_ctl(cl->http_proxy))
		return fail_at(c, o, "httpProxy", "contains control characters");
	if (cl->https_proxy != NULL && has_ctl(cl->https_proxy))
		return fail_at(c, o, "httpsProxy",
		    "contains control characters");
	return BPG_OK;
}

/* The token goes into an HTTP header (section 3.1): no control bytes.
 * Quirk 18: an unusable token on a routable cluster is a start-up error,
 * not a 500 per request. */
static enum bpg_err
step_token(struct ctx *c, const json_t *o, const struct key *k, char *base)
{
	const struct bpg_cluster *cl = (const void *)base;

	(void)k;
	if (cl->token == NULL)
		return BPG_OK;
	if (has_ctl(cl->token))
		return fail_at(c, o, "userTokenSOPS", "contains control "
		    "characters (a trailing newline?)");
	if (cl->token[0] == '\0' && cl->weight > 0)
		return fail_at(c, o, "userTokenSOPS", "must not be empty on a "
		    "cluster with weight > 0");
	return BPG_OK;
}

/* Cluster ids are unique: the entries before this one are bound. */
static enum bpg_err
step_cluster_unique(struct ctx *c, const json_t *o, const struct key *k,
    char *base)
{
	const struct bpg_cluster *cl = (const void *)base;
	const struct bpg_cluster *all = c->cfg->clusters;
	size_t j;

	(void)k;
	for (j = 0; all + j < cl; j++)
		if (strcmp(all[j].id, cl->id) == 0)
			return fail_at(c, o, "id", "duplicate cluster id (also "
			    "sparkClusters[%zu])", j);
	return BPG_OK;
}

/* dbStorageSOPS (sections 7.2, 9.1): dbName, then what the connection
 * needs, so that -t refuses what it could not honour. */
static enum bpg_err
step_db(struct ctx *c, const json_t *root, const struct key *k, char *base)
{
	struct bpg_dbconf *db = &((struct bpg_config *)(void *)base)->db;
	const json_t *o = member(root, "dbStorageSOPS");
	struct bpg_errinfo ei;
	enum bpg_err e = BPG_OK;
	const char *p;
	char buf[80];
	size_t mark;

	(void)k;
	/* An explicit empty name is replaced by the default first. */
	if (db->db_name == NULL || db->db_name[0] == '\0') {
		free(db->db_name);
		if ((db->db_name = strdup(BPG_DB_DEFAULT_NAME)) == NULL)
			return nomem(c);
	}
	for (p = db->db_name; *p != '\0'; p++)
		if (!is_alnum(*p) && *p != '$' && *p != '_')
			break;
	mark = path_key(c, "dbStorageSOPS");
	path_key(c, "dbName");
	if (*p != '\0') {
		sanitize(buf, sizeof(buf), db->db_name);
		e = fail(c, member(o, "dbName"), o,
		    "DB name should include only [^0-9a-zA-Z$_]: %s", buf);
	} else if (strlen(db->db_name) > BPG_DB_MAX_NAME)
		e = fail(c, member(o, "dbName"), o,
		    "DB name is longer than %d characters", BPG_DB_MAX_NAME);
	path_pop(c, mark);
	if (e != BPG_OK)
		return e;
	/* The message names the key. */
	if (bpg_db_check_conf(db, &ei) != BPG_OK)
		e = fail(c, member(o, "connectionString"), o, "%s", ei.msg);
	return e;
}

/*
 * S3 settings (our keys, documented in bpg_config.h).  BPG gets them from
 * the AWS SDK's default chain and fixes the region to us-west-2; the
 * environment is read here, once, and never per request.
 */
#define S3_DEFAULT_REGION "us-west-2"

/* A copy of s (NULL stays NULL); false when out of memory. */
static bool
dup_opt(const char *s, char **out)
{
	*out = NULL;
	return s == NULL || (*out = strdup(s)) != NULL;
}

/* getenv(name) copied, NULL when unset or empty; false when out of
 * memory. */
static bool
dup_env(const char *name, char **out)
{
	const char *v = getenv(name);

	return dup_opt(v != NULL && v[0] != '\0' ? v : NULL, out);
}

/* Try the settings the way a worker will (no network I/O). */
static enum bpg_err
check_s3(struct ctx *c, const json_t *root, const char *bucket_key,
    const struct bpg_s3conf *conf)
{
	struct bpg_errinfo ei = { { 0 } };
	struct bpg_s3 *s3;
	enum bpg_err e;

	if ((e = bpg_s3_new(conf, &s3, &ei)) == BPG_OK) {
		bpg_s3_free(s3);
		return BPG_OK;
	}
	if (e == BPG_ENOMEM)
		return nomem(c);
	return fail_at(c, root, bucket_key, "S3 settings: %s", ei.msg);
}

/*
 * The rows bound s3Endpoint, s3Region, s3PathStyle and the keys into
 * cfg->s3, sparkLogS3Endpoint into cfg->s3_log.endpoint; here the
 * environment fills the gaps and the log bucket gets the rest.
 */
static enum bpg_err
step_s3(struct ctx *c, const json_t *root, const struct key *k, char *base)
{
	struct bpg_config *cfg = (struct bpg_config *)(void *)base;
	struct bpg_s3conf *up = &cfg->s3, *lg = &cfg->s3_log;
	bool path_style = up->path_style, has_path_style;
	char *log_ep = lg->endpoint;
	const char *missing;
	enum bpg_err e;
	size_t mark;

	(void)k;
	has_path_style = member(root, "s3PathStyle") != NULL;
	lg->endpoint = NULL;
	if (up->region == NULL && !dup_env("AWS_REGION", &up->region))
		goto nomem;
	if (up->region == NULL &&
	    (up->region = strdup(S3_DEFAULT_REGION)) == NULL)
		goto nomem;
	if ((up->access_key_id == NULL) != (up->secret_access_key == NULL)) {
		missing = up->access_key_id == NULL ? "s3AccessKeyId" :
		    "s3SecretAccessKey";
		mark = path_key(c, missing);
		e = fail(c, NULL, root, "is required when %s is set",
		    up->access_key_id == NULL ? "s3SecretAccessKey" :
		    "s3AccessKeyId");
		path_pop(c, mark);
		goto out;
	}
	if (up->access_key_id == NULL) {
		/* The AWS SDK's environment credentials. */
		if (!dup_env("AWS_ACCESS_KEY_ID", &up->access_key_id) ||
		    !dup_env("AWS_SECRET_ACCESS_KEY", &up->secret_access_key) ||
		    !dup_env("AWS_SESSION_TOKEN", &up->session_token))
			goto nomem;
		if ((up->access_key_id == NULL) !=
		    (up->secret_access_key == NULL)) {
			wipe_free(up->access_key_id);
			wipe_free(up->secret_access_key);
			up->access_key_id = up->secret_access_key = NULL;
			if ((e = warn(c, "only one of AWS_ACCESS_KEY_ID and "
			    "AWS_SECRET_ACCESS_KEY is set; S3 requests are "
			    "sent without credentials")) != BPG_OK)
				goto out;
		}
		if (up->access_key_id == NULL) {
			wipe_free(up->session_token);
			up->session_token = NULL;
		}
	}
	up->path_style = has_path_style ? path_style : up->endpoint != NULL;

	/* The log bucket: same settings, its own endpoint if given. */
	if (!dup_opt(log_ep != NULL ? log_ep : up->endpoint, &lg->endpoint) ||
	    !dup_opt(up->region, &lg->region) ||
	    !dup_opt(up->access_key_id, &lg->access_key_id) ||
	    !dup_opt(up->secret_access_key, &lg->secret_access_key) ||
	    !dup_opt(up->session_token, &lg->session_token))
		goto nomem;
	lg->path_style = has_path_style ? path_style : lg->endpoint != NULL;

	if (cfg->s3_bucket != NULL && cfg->s3_bucket[0] != '\0' &&
	    strncasecmp(cfg->s3_bucket, "gs://", 5) != 0 &&
	    (e = check_s3(c, root, "s3Bucket", up)) != BPG_OK)
		goto out;
	if (cfg->spark_log_s3_bucket != NULL &&
	    cfg->spark_log_s3_bucket[0] != '\0')
		e = check_s3(c, root, "sparkLogS3Bucket", lg);
	goto out;
nomem:
	e = nomem(c);
out:
	free(log_ep);
	return e;
}

/* applicationContextPath: default /skatev2, a plain path, no trailing
 * '/'. */
static enum bpg_err
step_context_path(struct ctx *c, const json_t *root, const struct key *k,
    char *base)
{
	const char *key = "applicationContextPath";
	struct bpg_config *cfg = (struct bpg_config *)(void *)base;
	enum bpg_err e = BPG_OK;
	const char *p;
	size_t n, mark;

	(void)k;
	if (cfg->context_path == NULL || cfg->context_path[0] == '\0') {
		free(cfg->context_path);
		cfg->context_path = strdup(DEFAULT_CONTEXT_PATH);
		return cfg->context_path == NULL ? nomem(c) : BPG_OK;
	}
	mark = path_key(c, key);
	if (cfg->context_path[0] != '/')
		e = fail(c, member(root, key), root, "must start with '/'");
	for (p = cfg->context_path; e == BPG_OK && *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' ||
		    *p == '#' || *p == '%')
			e = fail(c, member(root, key), root, "must be a plain "
			    "URL path (no spaces, '?', '#' or '%%')");
	path_pop(c, mark);
	if (e != BPG_OK)
		return e;
	n = strlen(cfg->context_path);
	while (n > 0 && cfg->context_path[n - 1] == '/')
		cfg->context_path[--n] = '\0';
	return BPG_OK;
}

/*
 * inClusterApiServer and inClusterServiceAccountDir (our keys): where the
 * k8s:secret: references of section 7.3 are read.  The URL is checked
 * here so that a typo is reported with its line even when no reference
 * uses it.
 */
static enum bpg_err
step_incluster(struct ctx *c, const json_t *root, const struct key *k,
    char *base)
{
	struct bpg_secret_client *sc = NULL;
	struct bpg_errinfo ei = { { 0 } };
	enum bpg_err e;

	(void)k;
	if ((e = secret_client((struct bpg_config *)(void *)base, &sc,
	    &ei)) == BPG_ENOMEM)
		return nomem(c);
	bpg_secret_client_free(sc);
	if (e != BPG_OK)
		e = fail_at(c, root, "inClusterApiServer", "%s", ei.msg);
	return e;
}

static enum bpg_err
step_trusted_header(struct ctx *c, const json_t *root, const struct key *k,
    char *base)
{
	const char *h = ((struct bpg_config *)(void *)base)->
	    trusted_user_header;

	(void)k;
	if (h != NULL && !valid_token(h))
		return fail_at(c, root, "trustedUserHeader",
		    "must be an HTTP header name");
	return BPG_OK;
}

/* ------------------------------------------------------------------ */
/* The tables                                                          */

#define CL struct bpg_cluster
static const struct key cluster_keys[] = {
	R_STR("id", CL, id, KF_REQUIRED, "starts the submission IDs: at "
	    "most 20 of [a-z0-9-], a letter first; unique"),
	R_STEP(step_cluster_id, 0),
	R_INT("weight", CL, weight, 0, 0, INT32_MAX, 0, "routing weight; 0: "
	    "never picked at random"),
	R_STR("eksCluster", CL, eks_cluster, 0, "informational"),
	R_STR("masterUrl", CL, master_url, KF_REQUIRED, "the API server, "
	    "http:// or https://"),
	R_STEP(step_master_url, 0),
	R_STR("userName", CL, user_name, 0, "informational"),
	R_INT("timeoutMillis", CL, timeout_millis, 0, 1, INT64_MAX,
	    DEFAULT_TIMEOUT_MILLIS, "connect and request timeout of "
	    "Kubernetes calls"),
	R_STR("httpProxy", CL, http_proxy, 0, "proxy of http:// API calls"),
	R_STR("httpsProxy", CL, https_proxy, 0, "proxy of https:// API "
	    "calls"),
	R_STR("sparkApplicationNamespace", CL, namespace, KF_REQUIRED,
	    "namespace of the SparkApplications (DNS-1123 label)"),
	R_STEP(step_namespace, 0),
	R_STR("sparkServiceAccount", CL, service_account, 0, "default "
	    "driver serviceAccount"),
	R_STR("batchScheduler", CL, batch_scheduler, 0, "\"yunikorn\" adds "
	    "YuniKorn's options"),
	R_LIST("sparkVersions", CL, spark_versions, SL_VERSION, "Spark "
	    "versions the cluster runs"),
	R_LIST("queues", CL, queues, 0, "parent queues the cluster serves"),
	R_INT("ttlSeconds", CL, ttl_seconds, HAS(CL, has_ttl_seconds), 0,
	    INT64_MAX, 0, "spec.timeToLiveSeconds of the applications"),
	R_STR("sparkUIUrl", CL, spark_ui_url, 0, "base of Spark UI links"),
	R_MAP("sparkConf", CL, spark_conf, "the cluster's sparkConf layer"),
	R_FN("sparkUIOptions", fn_ui_options, rel_json,
	    FIELD(CL, spark_ui_options,
	    json_t *), "servicePort, ingressAnnotations, ingressTLS"),
	R_FN("volumes", fn_volumes, rel_json, FIELD(CL, volumes, json_t *),
	    "volumes "
	    "added when the request has none"),
	R_FN("driver", fn_pod, rel_pod,
	    FIELD(CL, driver, struct bpg_cluster_pod),
	    "env and volumeMounts of drivers"),
	R_FN("executor", fn_pod, rel_pod,
	    FIELD(CL, executor, struct bpg_cluster_pod),
	    "env and volumeMounts of executors"),
	{ .name = "caCertDataSOPS", .type = KT_FN, .fn = fn_ca,
	  .release = rel_ca,
	  .off = FIELD(CL, ca_cert, char *),
	  .aux = FIELD(CL, ca_cert_len, size_t),
	  .doc = "the API server's CA: base64 of PEM, or PEM (secret)" },
	R_SECRET("userTokenSOPS", CL, token, 0, "bearer token of the API "
	    "server (secret)"),
	R_STEP(step_token, 0),
	R_STEP(step_cluster_unique, 0),
};
#undef CL

#define IM struct bpg_image
static const struct key image_keys[] = {
	R_STR("name", IM, name, KF_REQUIRED, "the image"),
	R_LIST("types", IM, types, 0, "application types it serves"),
	R_STR("version", IM, version, KF_VERSION, "the Spark version it "
	    "serves"),
};
#undef IM

#define SR struct bpg_submit_rate
static const struct key submit_rate_keys[] = {
	R_NUM("rate", SR, rate, 0, KF_ABOVE | KF_MAX, 0, 1000000, 5.0,
	    "submissions a second"),
	R_INT("burst", SR, burst, 0, 1, 1000000, 20, "most submissions at "
	    "once"),
};
#undef SR

#define SL struct bpg_submit_limit
static const struct key submit_limit_keys[] = {
	{ .name = "perUser", .type = KT_OBJ, .sub = submit_rate_keys,
	  .nsub = NITEMS(submit_rate_keys),
	  .off = FIELD(SL, per_user, struct bpg_submit_rate),
	  .has = HAS(SL, per_user.present),
	  .doc = "limit of each user" },
	{ .name = "perQueue", .type = KT_OBJ, .sub = submit_rate_keys,
	  .nsub = NITEMS(submit_rate_keys),
	  .off = FIELD(SL, per_queue, struct bpg_submit_rate),
	  .has = HAS(SL, per_queue.present),
	  .doc = "limit of each queue" },
	R_BOOL("exemptAdmins", SL, exempt_admins, "adminUsers are not "
	    "limited"),
	R_LIST("exemptUsers", SL, exempt_users, 0, "users not limited"),
};
#undef SL

#define Q struct bpg_queue
static const struct key queue_keys[] = {
	R_STR("name", Q, name, KF_REQUIRED, "the queue"),
	R_BOOL("secure", Q, secure, "needs a queueToken"),
	R_LIST("users", Q, users, 0, "users sent here when their request "
	    "names no queue"),
	R_INT("maxRunningMillis", Q, max_running_millis,
	    HAS(Q, has_max_running_millis), 0, INT64_MAX, 0, "upper bound of "
	    "bpg.maxRunningMillis"),
	R_STR("driverNodeLabelKey", Q, driver_node_label_key, 0, "node "
	    "label of driver affinity"),
	R_LIST("driverNodeLabelValues", Q, driver_node_label_values, 0,
	    "its values"),
	R_STR("executorNodeLabelKey", Q, executor_node_label_key, 0, "node "
	    "label of executor affinity"),
	R_LIST("executorNodeLabelValues", Q, executor_node_label_values, 0,
	    "its values"),
	R_LIST("executorSpotNodeLabelValues", Q,
	    executor_spot_node_label_values, 0, "its values for "
	    "spotInstance"),
	R_NUM("driverCPUBufferRatio", Q, driver_cpu_ratio, 0, KF_ABOVE, 0, 0,
	    1.0, "multiplier of driver cores"),
	R_NUM("executorCPUBufferRatio", Q, executor_cpu_ratio, 0, KF_ABOVE,
	    0, 0, 1.0, "multiplier of executor cores"),
	R_NUM("driverMemBufferRatio", Q, driver_mem_ratio, 0, KF_ABOVE, 0, 0,
	    1.0, "multiplier of driver memory"),
	R_NUM("executorMemBufferRatio", Q, executor_mem_ratio, 0, KF_ABOVE,
	    0, 0, 1.0, "multiplier of executor memory"),
	R_INT("maxExecutorInstances", Q, max_executor_instances,
	    HAS(Q, has_max_executor_instances), 0, INT32_MAX,
	    DEFAULT_MAX_EXECUTORS, "most executors a submission may ask for"),
	/* BPG fails the request ("Invalid allowedZones: Some zone is
	 * empty", section 2.9); refuse the config instead. */
	R_LIST("allowedZones", Q, allowed_zones, SL_NONEMPTY, "zones "
	    "applications are pinned to, round robin"),
	R_STR("zonePickerName", Q, zone_picker_name, 0, "only round_robin"),
	{ .name = "submitRateLimit", .type = KT_OBJ, .sub = submit_rate_keys,
	  .nsub = NITEMS(submit_rate_keys),
	  .off = FIELD(Q, submit_rate, struct bpg_submit_rate),
	  .has = HAS(Q, submit_rate.present),
	  .doc = "the queue's own submitRateLimit.perQueue" },
};
#undef Q

#define DB struct bpg_dbconf
static const struct key db_keys[] = {
	R_STR("connectionString", DB, connection_string, 0, "JDBC URL; "
	    "absent: no database"),
	R_STR("user", DB, user, 0, "database user"),
	R_SECRET("password", DB, password, 0, "its password (secret)"),
	R_STR("dbName", DB, db_name, 0, "schema of the tables (bpg)"),
	{ .name = "caCertDataSOPS", .type = KT_FN, .fn = fn_ca,
	  .release = rel_ca,
	  .off = FIELD(DB, ca_cert, char *),
	  .aux = FIELD(DB, ca_cert_len, size_t),
	  .doc = "CA of the database server's certificate (secret)" },
};
#undef DB

#define C struct bpg_config
/* Used verbatim: no reference resolution (7.2). */
static const struct key queue_token_keys[] = {
	R_LIST("secrets", C, queue_token_secrets, KF_SECRET, "HS256 secrets "
	    "of queue tokens"),
};

static const char *const read_access_names[BPG_READ__MAX + 1] = {
	[BPG_READ_OWNER] = "owner",
	[BPG_READ_ALL] = "all",
};
_Static_assert(sizeof(enum bpg_read_access) == sizeof(int),
    "KT_ENUM stores an int");

static const struct key root_keys[] = {
	/* First: the secret references below may need them. */
	R_STR("inClusterApiServer", C, incluster_api_server, KF_EMPTY_NULL,
	    "API server k8s:secret: references are read from"),
	R_STR("inClusterServiceAccountDir", C, incluster_sa_dir,
	    KF_EMPTY_NULL, "token, ca.crt and namespace for them"),
	R_STEP(step_incluster, 0),
	R_STR("applicationContextPath", C, context_path, 0, "URL prefix of "
	    "the API (/skatev2)"),
	R_STEP(step_context_path, 0),
	R_MAP("defaultSparkConf", C, default_spark_conf, "lowest sparkConf "
	    "layer"),
	R_MAP("fixedSparkConf", C, fixed_spark_conf, "highest sparkConf "
	    "layer"),
	{ .name = "sparkClusters", .type = KT_LIST, .sub = cluster_keys,
	  .nsub = NITEMS(cluster_keys), .size = sizeof(struct bpg_cluster),
	  .off = FIELD(C, clusters, struct bpg_cluster *),
	  .aux = FIELD(C, nclusters, size_t),
	  .doc = "the Kubernetes clusters" },
	{ .name = "sparkImages", .type = KT_LIST, .sub = image_keys,
	  .nsub = NITEMS(image_keys), .size = sizeof(struct bpg_image),
	  .off = FIELD(C, images, struct bpg_image *),
	  .aux = FIELD(C, nimages, size_t),
	  .doc = "images by application type and Spark version" },
	R_LIST("allowedUsers", C, allowed_users, 0, "who may use the API "
	    "(\"*\": everyone)"),
	R_LIST("blockedUsers", C, blocked_users, 0, "who may not, even so"),
	R_LIST("adminUsers", C, admin_users, 0, "may read and delete any "
	    "submission"),
	R_LIST("viewerUsers", C, viewer_users, 0, "may read any submission"),
	{ .name = "readAccess", .type = KT_ENUM, .names = read_access_names,
	  .off = offsetof(C, read_access), .idef = BPG_READ_OWNER,
	  .doc = "who reads a submission: owner or all" },
	{ .name = "queues", .type = KT_LIST, .sub = queue_keys,
	  .nsub = NITEMS(queue_keys), .size = sizeof(struct bpg_queue),
	  .off = FIELD(C, queues, struct bpg_queue *),
	  .aux = FIELD(C, nqueues, size_t), .has = HAS(C, has_queues),
	  .doc = "queue policies" },
	{ .name = "queueTokenSOPS", .type = KT_OBJ, .sub = queue_token_keys,
	  .nsub = NITEMS(queue_token_keys), .off = 0,
	  .has = HAS(C, has_queue_token),
	  .doc = "secrets of secure-queue tokens" },
	{ .name = "dbStorageSOPS", .type = KT_OBJ, .sub = db_keys,
	  .nsub = NITEMS(db_keys), .off = FIELD(C, db, struct bpg_dbconf),
	  .doc = "the database" },
	R_STEP(step_db, 0),
	R_NUM("memoryMbSecondCost", C, memory_mb_second_cost,
	    HAS(C, has_memory_mb_second_cost), 0, 0, 0, 0, "cost per "
	    "MB-second"),
	R_NUM("vCoreSecondCost", C, vcore_second_cost,
	    HAS(C, has_vcore_second_cost), 0, 0, 0, 0, "cost per "
	    "vCore-second"),
	R_INT("statusCacheExpireMillis", C, status_cache_expire_millis, 0, 0,
	    INT64_MAX, DEFAULT_STATUS_CACHE_MILLIS, "status cache lifetime"),
	R_INT("requestDeadlineSeconds", C, request_deadline_seconds, 0, 1,
	    BPG_MAX_REQUEST_DEADLINE_S, DEFAULT_REQUEST_DEADLINE_SECONDS,
	    "how long one request may take"),
	R_STR("s3Bucket", C, s3_bucket, 0, "bucket of uploads"),
	R_STR("s3Folder", C, s3_folder, 0, "key prefix of uploads"),
	R_STR("sparkLogS3Bucket", C, spark_log_s3_bucket, 0, "bucket of the "
	    "log objects"),
	R_STR("sparkHistoryDns", C, spark_history_dns, 0, "host of History "
	    "Server links"),
	R_STR("sparkHistoryUrl", C, spark_history_url, 0, "History Server "
	    "REST API"),
	R_STR("s3Endpoint", C, s3.endpoint, KF_EMPTY_NULL, "S3 endpoint "
	    "(AWS)"),
	R_STR("sparkLogS3Endpoint", C, s3_log.endpoint, KF_EMPTY_NULL,
	    "endpoint of the log bucket (s3Endpoint)"),
	R_STR("s3Region", C, s3.region, KF_EMPTY_NULL, "S3 region "
	    "($AWS_REGION, us-west-2)"),
	R_BOOL("s3PathStyle", C, s3.path_style, "path-style S3 URLs (true "
	    "with an endpoint)"),
	R_SECRET("s3AccessKeyId", C, s3.access_key_id, KF_EMPTY_NULL,
	    "S3 access key ($AWS_ACCESS_KEY_ID)"),
	R_SECRET("s3SecretAccessKey", C, s3.secret_access_key, KF_EMPTY_NULL,
	    "S3 secret key ($AWS_SECRET_ACCESS_KEY)"),
	R_STEP(step_s3, 0),
	/* Empty (a blank template value): not configured. */
	R_STR("trustedUserHeader", C, trusted_user_header, KF_EMPTY_NULL,
	    "request header a trusted front end sets to the user"),
	R_NUM("streamWorkerShare", C, stream_worker_share, 0,
	    KF_ABOVE | KF_MAX, 0, 1, BPG_STREAM_WORKER_SHARE, "share of the "
	    "workers serving streams"),
	R_INT("streamsPerUser", C, streams_per_user, 0, 1, BPG_MAX_WORKERS,
	    BPG_STREAMS_PER_USER, "streams of one user"),
	R_INT("logFollowMaxSeconds", C, log_follow_max_seconds, 0, 1,
	    BPG_LOG_FOLLOW_LIMIT_S, BPG_LOG_FOLLOW_MAX_S, "longest followed "
	    "log"),
	R_INT("uploadLowSpeedLimit", C, upload_low_speed_limit, 0, 0,
	    1000000000, BPG_UPLOAD_LOW_SPEED_LIMIT, "slowest upload, bytes a "
	    "second (0: no limit)"),
	R_INT("uploadLowSpeedSeconds", C, upload_low_speed_seconds, 0, 1,
	    86400, BPG_UPLOAD_LOW_SPEED_S, "over this many seconds"),
	{ .name = "submitRateLimit", .type = KT_OBJ,
	  .sub = submit_limit_keys, .nsub = NITEMS(submit_limit_keys),
	  .off = FIELD(C, submit_limit, struct bpg_submit_limit),
	  .doc = "submissions per user and per queue, per gateway" },
	R_STEP(step_trusted_header, KF_LATE),
};
#undef C

static enum bpg_err
bind_root(struct ctx *c, const json_t *root)
{
	if (json_is_null(root))
		return fail(c, NULL, NULL, "the configuration is empty");
	if (!json_is_object(root))
		return fail(c, root, NULL, "the configuration must be a "
		    "mapping, found %s", type_name(root));
	return bind_keys(c, root, root_keys, NITEMS(root_keys),
	    (char *)c->cfg);
}

/* Row i of the tables, flattened (sections first, then their keys). */
static bool
key_at(const struct key *t, size_t n, const char *section, size_t *i,
    struct bpg_config_keyinfo *out)
{
	static const char *const types[] = {
		[KT_STR] = "string", [KT_SECRET] = "secret",
		[KT_INT] = "integer", [KT_NUM] = "number",
		[KT_BOOL] = "boolean", [KT_ENUM] = "enum",
		[KT_STRLIST] = "list of strings", [KT_KVMAP] = "string map",
		[KT_OBJ] = "mapping", [KT_LIST] = "list of mappings",
		[KT_FN] = "structured", [KT_STEP] = "",
	};
	size_t j;

	for (j = 0; j < n; j++) {
		if (t[j].name == NULL)
			continue;
		if ((*i)-- == 0) {
			out->section = section;
			out->name = t[j].name;
			out->type = types[t[j].type];
			out->doc = t[j].doc;
			return true;
		}
		if ((t[j].type == KT_LIST || t[j].type == KT_OBJ) &&
		    key_at(t[j].sub, t[j].nsub, t[j].name, i, out))
			return true;
	}
	return false;
}

bool
bpg_config_key(size_t i, struct bpg_config_keyinfo *out)
{
	return key_at(root_keys, NITEMS(root_keys), "", &i, out);
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */

/* Overwrite a string node of the tree in place before it is freed. */
static void
scrub_node(json_t *v)
{
	if (json_is_string(v))
		explicit_bzero((char *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
}

/* Wipe the secret values of the rows t[0..n) out of the parsed mapping
 * obj (jansson frees strings without clearing them). */
static void
scrub_keys(const json_t *obj, const struct key *t, size_t n)
{
	json_t *v, *ent;
	size_t i, j;

	if (!json_is_object(obj))
		return;
	for (i = 0; i < n; i++) {
		if (t[i].name == NULL)
			continue;
		v = json_object_get(obj, t[i].name);
		if (t[i].type == KT_SECRET)
			scrub_node(v);
		else if (t[i].type == KT_STRLIST && (t[i].flags & KF_SECRET) &&
		    json_is_array(v))
			json_array_foreach(v, j, ent)
				scrub_node(ent);
		else if (t[i].type == KT_OBJ)
			scrub_keys(v, t[i].sub, t[i].nsub);
		else if (t[i].type == KT_LIST && json_is_array(v))
			json_array_foreach(v, j, ent)
				scrub_keys(ent, t[i].sub, t[i].nsub);
	}
}

enum bpg_err
bpg_config_parse(const char *buf, size_t len, struct bpg_config **out,
    struct bpg_config_error *err)
{
	struct bpg_yaml_lines *lines = NULL;
	struct bpg_errinfo ei = { { 0 } };
	struct bpg_config *cfg;
	json_t *root = NULL;
	struct ctx c;
	enum bpg_err e;
	int line;

	*out = NULL;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (len > BPG_MAX_CONFIG) {
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "the configuration "
			    "is larger than %d bytes", BPG_MAX_CONFIG);
		return BPG_ETOOBIG;
	}
	if (buf == NULL && len > 0)
		return BPG_EINVAL;
	e = bpg_yaml_load(buf ? buf : "", len, BPG_YAML_TYPED, &root, &lines,
	    &ei);
	if (e != BPG_OK) {
		if (err != NULL) {
			if (sscanf(ei.msg, "line %d", &line) == 1)
				err->line = line;
			memcpy(err->msg, ei.msg, sizeof(err->msg) - 1);
			err->msg[sizeof(err->msg) - 1] = '\0';
		}
		return e;
	}
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		e = BPG_ENOMEM;
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.lines = lines;
	c.err = err;
	c.cfg = cfg;
	e = bind_root(&c, root);
	/* Secrets are read at load only: the client goes now. */
	bpg_secret_client_free(c.secrets);
	if (e != BPG_OK) {
		bpg_config_free(cfg);
		goto out;
	}
	*out = cfg;
out:
	scrub_keys(root, root_keys, NITEMS(root_keys));
	json_decref(root);
	bpg_yaml_lines_free(lines);
	return e;
}

/* Read fd to the end into *buf (wiped when replaced); at most
 * BPG_MAX_CONFIG bytes. */
static enum bpg_err
read_all(int fd, size_t hint, char **bufp, size_t *lenp)
{
	size_t cap = hint < 4096 ? 4096 : hint + 1, len = 0;
	char *buf, *nbuf;
	ssize_t r;

	if (cap > BPG_MAX_CONFIG + 1)
		cap = BPG_MAX_CONFIG + 1;
	if ((buf = malloc(cap)) == NULL)
		return BPG_ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > BPG_MAX_CONFIG) {
				explicit_bzero(buf, len);
				free(buf);
				return BPG_ETOOBIG;
			}
			cap = cap > BPG_MAX_CONFIG / 2 ? BPG_MAX_CONFIG + 1 :
			    cap * 2;
			/* Not realloc(): the old block would keep a copy. */
			if ((nbuf = malloc(cap)) == NULL) {
				explicit_bzero(buf, len);
				free(buf);
				return BPG_ENOMEM;
			}
			memcpy(nbuf, buf, len);
			explicit_bzero(buf, len);
			free(buf);
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			explicit_bzero(buf, len);
			free(buf);
			return BPG_EIO;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*bufp = buf;
	*lenp = len;
	return BPG_OK;
}

enum bpg_err
bpg_config_load(const char *path, struct bpg_config **out,
    struct bpg_config_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	enum bpg_err e;
	int fd, saved;

	*out = NULL;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "%s: %s", path,
			    strerror(saved));
		return BPG_EIO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		e = BPG_EIO;
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "%s: not a "
			    "readable regular file", path);
	} else if (st.st_size > BPG_MAX_CONFIG) {
		e = BPG_ETOOBIG;
	} else
		e = read_all(fd, (size_t)st.st_size, &buf, &len);
	saved = errno;
	close(fd);
	if (e == BPG_ETOOBIG && err != NULL)
		snprintf(err->msg, sizeof(err->msg), "%s: larger than %d bytes",
		    path, BPG_MAX_CONFIG);
	else if (e == BPG_EIO && err != NULL && err->msg[0] == '\0')
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path,
		    strerror(saved));
	else if (e == BPG_ENOMEM && err != NULL)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	if (e != BPG_OK)
		return e;
	e = bpg_config_parse(buf, len, out, err);
	explicit_bzero(buf, len);
	free(buf);
	return e;
}

/* ------------------------------------------------------------------ */
/* Freeing and lookups                                                 */

static void
strlist_free(struct bpg_strlist *l, bool secret)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (secret)
			wipe_free(l->v[i]);
		else
			free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void
kvmap_free(struct bpg_kvmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].key);
		free(m->v[i].value);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* The credentials are secret. */
static void
s3conf_free(struct bpg_s3conf *s)
{
	free(s->endpoint);
	free(s->region);
	wipe_free(s->access_key_id);
	wipe_free(s->secret_access_key);
	wipe_free(s->session_token);
	memset(s, 0, sizeof(*s));
}

/* Free what the rows t[0..n) bound in the struct at base, clearing it. */
static void
free_keys(const struct key *t, size_t n, char *base)
{
	char *v, **sp;
	size_t i, j, cnt;

	for (i = 0; i < n; i++) {
		sp = (char **)(void *)(base + t[i].off);
		switch (t[i].type) {
		case KT_STR:
			free(*sp);
			*sp = NULL;
			break;
		case KT_SECRET:
			wipe_free(*sp);
			*sp = NULL;
			break;
		case KT_STRLIST:
			strlist_free((void *)sp, t[i].flags & KF_SECRET);
			break;
		case KT_KVMAP:
			kvmap_free((void *)sp);
			break;
		case KT_OBJ:
			free_keys(t[i].sub, t[i].nsub, base + t[i].off);
			break;
		case KT_LIST:
			memcpy(&v, sp, sizeof(v));
			memcpy(&cnt, base + t[i].aux, sizeof(cnt));
			for (j = 0; j < cnt; j++)
				free_keys(t[i].sub, t[i].nsub, v + j * t[i].size);
			free(v);
			v = NULL;
			cnt = 0;
			memcpy(sp, &v, sizeof(v));
			memcpy(base + t[i].aux, &cnt, sizeof(cnt));
			break;
		case KT_FN:
			if (t[i].release != NULL)
				t[i].release(&t[i], base);
			break;
		case KT_INT:
		case KT_NUM:
		case KT_BOOL:
		case KT_ENUM:
		case KT_STEP:
			break;
		}
	}
}

void
bpg_config_free(struct bpg_config *cfg)
{
	if (cfg == NULL)
		return;
	free_keys(root_keys, NITEMS(root_keys), (char *)cfg);
	/* What no row binds: the environment's credentials, the log
	 * bucket's settings, the warnings. */
	s3conf_free(&cfg->s3);
	s3conf_free(&cfg->s3_log);
	strlist_free(&cfg->warnings, false);
	free(cfg);
}

const struct bpg_cluster *
bpg_config_cluster(const struct bpg_config *cfg, const char *id)
{
	size_t i;

	if (cfg == NULL || id == NULL)
		return NULL;
	for (i = 0; i < cfg->nclusters; i++)
		if (strcmp(cfg->clusters[i].id, id) == 0)
			return &cfg->clusters[i];
	return NULL;
}

const struct bpg_queue *
bpg_config_queue_exact(const struct bpg_config *cfg, const char *name)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->nqueues; i++)
		if (strcmp(cfg->queues[i].name, name) == 0)
			return &cfg->queues[i];
	return NULL;
}

/* ASCII-only, whatever the locale: names are compared as BPG compares
 * them, not as the C library's locale would. */
static bool
ascii_caseeq(const char *a, const char *b)
{
	unsigned char x, y;

	for (;; a++, b++) {
		x = (unsigned char)*a;
		y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
		if (x == '\0')
			return true;
	}
}

const struct bpg_queue *
bpg_config_queue_icase(const struct bpg_config *cfg, const char *name,
    bool last)
{
	const struct bpg_queue *found = NULL;
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->nqueues; i++)
		if (ascii_caseeq(cfg->queues[i].name, name)) {
			found = &cfg->queues[i];
			if (!last)
				break;
		}
	return found;
}

const char *
bpg_kvmap_get(const struct bpg_kvmap *m, const char *key)
{
	size_t i;

	if (m == NULL || key == NULL)
		return NULL;
	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].key, key) == 0)
			return m->v[i].value;
	return NULL;
}

bool
bpg_strlist_has(const struct bpg_strlist *l, const char *s, bool icase)
{
	size_t i;

	if (l == NULL || s == NULL)
		return false;
	for (i = 0; i < l->n; i++)
		if (icase ? ascii_caseeq(l->v[i], s) : strcmp(l->v[i], s) == 0)
			return true;
	return false;
}
