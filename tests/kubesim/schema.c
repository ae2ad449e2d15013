/*
 * OpenAPI v3 schema of a CRD, applied the way kube-apiserver's apiextensions
 * code applies it (see schema.h for the pipeline and supported keywords).
 *
 * Error texts follow k8s.io/apimachinery/pkg/util/validation/field (the
 * "Required value", "Invalid value: V: detail" bodies) and
 * k8s.io/kube-openapi/pkg/validation (the "X in body should ..." details).
 * Kubernetes reports properties in Go map order, which is random; here they
 * come in a stable order so that tests can compare whole messages.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpg_limits.h"
#include "bpg_yaml.h"
#include "schema.h"

/* Nesting of schema nodes and of validated values. */
#define SCHEMA_MAX_NEST 128

enum stype {
	ST_ANY = 0,
	ST_OBJECT,
	ST_ARRAY,
	ST_STRING,
	ST_INTEGER,
	ST_NUMBER,
	ST_BOOLEAN,
};

enum sfmt {
	SF_NONE = 0,
	SF_INT32,
	SF_INT64,
	SF_DATETIME,
	SF_BYTE,
};

#define SN_NULLABLE	0x0001
#define SN_INTORSTR	0x0002
#define SN_PRESERVE	0x0004
#define SN_EMBEDDED	0x0008
#define SN_ADDLFALSE	0x0010
#define SN_HASMIN	0x0020
#define SN_HASMAX	0x0040
#define SN_EXCLMIN	0x0080
#define SN_EXCLMAX	0x0100
#define SN_RE		0x0200
#define SN_UNIQUE	0x0400
#define SN_HASMULT	0x0800

struct snode;

struct sprop {
	const char	*name;
	struct snode	*node;
};

struct snode {
	enum stype	 type;
	enum sfmt	 format;
	unsigned	 flags;
	double		 min, max, mult;
	long long	 minlen, maxlen;	/* -1 when absent */
	long long	 minitems, maxitems;
	long long	 minprops, maxprops;
	const char	*pattern;
	regex_t		 re;
	const json_t	*enums;		/* borrowed from the document */
	const json_t	*def;
	const json_t	*required;
	struct sprop	*props;		/* sorted by name */
	size_t		 nprops;
	struct snode	*items;
	struct snode	*addl;
	struct snode   **anyof, **allof, **oneof;
	size_t		 nanyof, nallof, noneof;
	struct snode	*not;
};

struct schema {
	json_t		*doc;		/* owned; nodes borrow from it */
	struct snode	*root;
	const char	*group, *version, *kind, *plural;
	size_t		 skipped;
};

/* A growing string; err is set once an allocation failed. */
struct sbuf {
	char	*s;
	size_t	 len, cap;
	int	 err;
};

static void
sb_putn(struct sbuf *b, const char *p, size_t n)
{
	char *ns;
	size_t ncap;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 64;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((ns = realloc(b->s, ncap)) == NULL) {
			b->err = 1;
			return;
		}
		b->s = ns;
		b->cap = ncap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void
sb_putc(struct sbuf *b, char c)
{
	sb_putn(b, &c, 1);
}

static void sb_printf(struct sbuf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256], *big;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_putn(b, small, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL) {
		b->err = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_putn(b, big, (size_t)n);
	free(big);
}

/* Length of the valid UTF-8 sequence at s (of n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned c = s[0];
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

/* Go's strconv.Quote: printable UTF-8 as is, the rest escaped. */
static void
sb_quote(struct sbuf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	sb_putc(b, '"');
	while (i < n) {
		unsigned c = p[i];

		switch (c) {
		case '"':
			sb_puts(b, "\\\"");
			break;
		case '\\':
			sb_puts(b, "\\\\");
			break;
		case '\a':
			sb_puts(b, "\\a");
			break;
		case '\b':
			sb_puts(b, "\\b");
			break;
		case '\f':
			sb_puts(b, "\\f");
			break;
		case '\n':
			sb_puts(b, "\\n");
			break;
		case '\r':
			sb_puts(b, "\\r");
			break;
		case '\t':
			sb_puts(b, "\\t");
			break;
		case '\v':
			sb_puts(b, "\\v");
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				sb_printf(b, "\\x%02x", c);
				break;
			}
			if (c < 0x80) {
				sb_putc(b, (char)c);
				break;
			}
			if ((k = utf8_seq(p + i, n - i)) == 0) {
				sb_printf(b, "\\x%02x", c);
				break;
			}
			sb_putn(b, s + i, k);
			i += k;
			continue;
		}
		i++;
	}
	sb_putc(b, '"');
}

/*
 * A float64 as Go's %v prints it: the shortest representation that reads
 * back exactly, in %e form only below 1e-4 or from 1e21 on.
 */
static void
sb_float(struct sbuf *b, double d)
{
	char buf[64], digits[32], *e;
	int prec, exp, nd, i;
	size_t k;

	if (isnan(d)) {
		sb_puts(b, "NaN");
		return;
	}
	if (isinf(d)) {
		sb_puts(b, d < 0 ? "-Inf" : "+Inf");
		return;
	}
	if (d == 0) {
		sb_puts(b, signbit(d) ? "-0" : "0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	/* buf: [-]D[.DDD]e[+-]XX */
	nd = 0;
	for (k = 0; buf[k] != 'e' && buf[k] != '\0'; k++)
		if (isdigit((unsigned char)buf[k]) &&
		    nd < (int)sizeof(digits) - 1)
			digits[nd++] = buf[k];
	digits[nd] = '\0';
	while (nd > 1 && digits[nd - 1] == '0')
		digits[--nd] = '\0';
	e = strchr(buf, 'e');
	exp = e != NULL ? atoi(e + 1) : 0;
	if (d < 0)
		sb_putc(b, '-');
	if (exp < -4 || exp >= 21) {
		sb_putc(b, digits[0]);
		if (nd > 1) {
			sb_putc(b, '.');
			sb_puts(b, digits + 1);
		}
		sb_printf(b, "e%c%02d", exp < 0 ? '-' : '+', abs(exp));
		return;
	}
	if (exp < 0) {
		sb_puts(b, "0.");
		for (i = -1; i > exp; i--)
			sb_putc(b, '0');
		sb_puts(b, digits);
		return;
	}
	for (i = 0; i <= exp; i++)
		sb_putc(b, i < nd ? digits[i] : '0');
	if (nd > exp + 1) {
		sb_putc(b, '.');
		sb_puts(b, digits + exp + 1);
	}
}

/*
 * A bad value the way field.Error.ErrorBody() renders it: numbers and
 * booleans plainly, strings quoted, null and composites as JSON.
 */
static void
sb_value(struct sbuf *b, const json_t *v)
{
	char *js;

	switch (json_typeof(v)) {
	case JSON_STRING:
		sb_quote(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		sb_printf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		sb_float(b, json_real_value(v));
		break;
	case JSON_TRUE:
		sb_puts(b, "true");
		break;
	case JSON_FALSE:
		sb_puts(b, "false");
		break;
	default:
		js = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENCODE_ANY);
		if (js == NULL) {
			b->err = 1;
			return;
		}
		sb_puts(b, js);
		free(js);
		break;
	}
}

enum bpg_err
schema_cause_add(json_t *causes, const char *reason, const char *field,
    const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	json_t *c;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return BPG_ENOMEM;
	c = json_pack("{s:s, s:s, s:s}", "reason", reason, "message", msg,
	    "field", field);
	free(msg);
	if (c == NULL || json_array_append_new(causes, c) != 0)
		return BPG_ENOMEM;
	return BPG_OK;
}

char *
schema_quote(const char *s)
{
	struct sbuf b = { 0 };

	sb_quote(&b, s, strlen(s));
	if (b.err) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* ---- patterns ------------------------------------------------------------ */

/* Characters with a meaning in POSIX ERE outside brackets. */
static int
ere_special(int c)
{
	return c != '\0' && strchr(".[]()*+?{}|^$\\", c) != NULL;
}

/* {n}, {n,}, {n,m} at s?  Returns its length or 0. */
static size_t
repeat_len(const char *s)
{
	size_t i = 1;

	if (s[0] != '{' || !isdigit((unsigned char)s[1]))
		return 0;
	while (isdigit((unsigned char)s[i]))
		i++;
	if (s[i] == ',') {
		i++;
		while (isdigit((unsigned char)s[i]))
			i++;
	}
	return s[i] == '}' ? i + 1 : 0;
}

static int
escape_char(int c)
{
	switch (c) {
	case 't':
		return '\t';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 'f':
		return '\f';
	case 'v':
		return '\v';
	case 'a':
		return '\a';
	default:
		return -1;
	}
}

/*
 * Translate one RE2 bracket expression starting at *pp ('[') into b, in
 * the order POSIX wants (']' first, '-' last).  Returns -1 when it cannot.
 */
static int
re_bracket(const char **pp, struct sbuf *b)
{
	const char *p = *pp + 1;
	struct sbuf body = { 0 };
	int neg = 0, close = 0, dash = 0, caret = 0, first = 1, c, lo;

	if (*p == '^') {
		neg = 1;
		p++;
	}
	for (;; first = 0) {
		if (*p == '\0')
			goto fail;
		if (*p == ']' && !first)
			break;
		if (*p == '[' && p[1] == ':') {
			const char *end = strstr(p + 2, ":]");

			if (end == NULL)
				goto fail;
			sb_putn(&body, p, (size_t)(end + 2 - p));
			p = end + 2;
			continue;
		}
		if (*p == '\\') {
			p++;
			switch (*p) {
			case 'd':
				sb_puts(&body, "0-9");
				p++;
				continue;
			case 'w':
				sb_puts(&body, "0-9A-Za-z_");
				p++;
				continue;
			case 's':
				sb_puts(&body, " \t\n\f\r");
				p++;
				continue;
			case '\0':
				goto fail;
			default:
				if (isalnum((unsigned char)*p) &&
				    escape_char(*p) < 0)
					goto fail;
				c = escape_char(*p) >= 0 ? escape_char(*p) :
				    (unsigned char)*p;
				p++;
				break;
			}
		} else
			c = (unsigned char)*p++;
		/* A range c-x? */
		if (*p == '-' && p[1] != ']' && p[1] != '\0') {
			lo = c;
			p++;
			if (*p == '\\') {
				p++;
				if (*p == '\0' || (isalnum((unsigned char)*p) &&
				    escape_char(*p) < 0))
					goto fail;
				c = escape_char(*p) >= 0 ? escape_char(*p) :
				    (unsigned char)*p;
			} else
				c = (unsigned char)*p;
			p++;
			if (lo == ']' || c == ']' || lo == '-' || c == '-' ||
			    lo == '^' || lo > c)
				goto fail;
			sb_printf(&body, "%c-%c", lo, c);
			continue;
		}
		if (c == ']')
			close = 1;
		else if (c == '-')
			dash = 1;
		else if (c == '^')
			caret = 1;
		else
			sb_putc(&body, (char)c);
	}
	*pp = p + 1;
	sb_putc(b, '[');
	if (neg)
		sb_putc(b, '^');
	if (close)
		sb_putc(b, ']');
	if (body.len > 0)
		sb_putn(b, body.s, body.len);
	else if (!close && caret && !dash) {
		/* "[^]" alone cannot be written; "[\^]" means a caret. */
		sb_puts(b, "^]");
		free(body.s);
		return neg ? -1 : 0;
	}
	if (caret)
		sb_putc(b, '^');
	if (dash)
		sb_putc(b, '-');
	sb_putc(b, ']');
	free(body.s);
	return body.err ? -1 : 0;
fail:
	free(body.s);
	return -1;
}

/* RE2 syntax to POSIX ERE; NULL if the pattern uses what ERE lacks. */
static char *
re_translate(const char *re)
{
	struct sbuf b = { 0 };
	const char *p = re;
	size_t n;
	int quant = 0, c;

	while (*p != '\0') {
		if (quant && *p == '?') {
			/* Lazy quantifiers match the same strings. */
			p++;
			quant = 0;
			continue;
		}
		quant = 0;
		switch (*p) {
		case '\\':
			p++;
			switch (*p) {
			case 'd':
				sb_puts(&b, "[0-9]");
				break;
			case 'D':
				sb_puts(&b, "[^0-9]");
				break;
			case 'w':
				sb_puts(&b, "[0-9A-Za-z_]");
				break;
			case 'W':
				sb_puts(&b, "[^0-9A-Za-z_]");
				break;
			case 's':
				sb_puts(&b, "[ \t\n\f\r]");
				break;
			case 'S':
				sb_puts(&b, "[^ \t\n\f\r]");
				break;
			case '\0':
				goto fail;
			default:
				if ((c = escape_char(*p)) >= 0) {
					sb_putc(&b, (char)c);
					break;
				}
				if (isalnum((unsigned char)*p))
					goto fail;
				if (ere_special(*p))
					sb_putc(&b, '\\');
				sb_putc(&b, *p);
				break;
			}
			p++;
			break;
		case '[':
			if (re_bracket(&p, &b) != 0)
				goto fail;
			break;
		case '(':
			if (p[1] == '?') {
				if (p[2] != ':')
					goto fail;
				p += 3;
			} else
				p++;
			sb_putc(&b, '(');
			break;
		case '{':
			if ((n = repeat_len(p)) == 0) {
				sb_puts(&b, "\\{");
				p++;
				break;
			}
			sb_putn(&b, p, n);
			p += n;
			quant = 1;
			break;
		case '*':
		case '+':
		case '?':
			sb_putc(&b, *p++);
			quant = 1;
			break;
		default:
			sb_putc(&b, *p++);
			break;
		}
	}
	if (b.err || b.s == NULL) {
		if (!b.err && b.s == NULL)
			return strdup("");
		goto fail;
	}
	return b.s;
fail:
	free(b.s);
	return NULL;
}

/* ---- compiling ----------------------------------------------------------- */

static void
node_free(struct snode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nprops; i++)
		node_free(n->props[i].node);
	free(n->props);
	node_free(n->items);
	node_free(n->addl);
	for (i = 0; i < n->nanyof; i++)
		node_free(n->anyof[i]);
	for (i = 0; i < n->nallof; i++)
		node_free(n->allof[i]);
	for (i = 0; i < n->noneof; i++)
		node_free(n->oneof[i]);
	free(n->anyof);
	free(n->allof);
	free(n->oneof);
	node_free(n->not);
	if (n->flags & SN_RE)
		regfree(&n->re);
	free(n);
}

static int
prop_cmp(const void *a, const void *b)
{
	const struct sprop *x = a, *y = b;

	return strcmp(x->name, y->name);
}

struct cctx {
	struct schema	*s;
	char		*err;
	size_t		 errlen;
};

static struct snode *node_compile(struct cctx *, const json_t *, int,
    const char *);

static void cerr(struct cctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
cerr(struct cctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err == NULL || c->errlen == 0 || c->err[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
}

static long long
get_count(const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	if (json_is_integer(v) && json_integer_value(v) >= 0)
		return (long long)json_integer_value(v);
	return -1;
}

static int
compile_list(struct cctx *c, const json_t *arr, int depth, const char *where,
    struct snode ***out, size_t *nout)
{
	size_t i;

	if (!json_is_array(arr)) {
		cerr(c, "%s: not a list", where);
		return -1;
	}
	*nout = json_array_size(arr);
	if (*nout == 0)
		return 0;
	if ((*out = calloc(*nout, sizeof(**out))) == NULL) {
		cerr(c, "out of memory");
		return -1;
	}
	for (i = 0; i < *nout; i++)
		if (((*out)[i] = node_compile(c, json_array_get(arr, i),
		    depth + 1, where)) == NULL)
			return -1;
	return 0;
}

static struct snode *
node_compile(struct cctx *c, const json_t *j, int depth, const char *where)
{
	struct snode *n;
	const json_t *v;
	const char *t, *key;
	json_t *pv;
	char *ere;
	size_t i;

	if (depth > SCHEMA_MAX_NEST) {
		cerr(c, "%s: schema nested too deeply", where);
		return NULL;
	}
	if (!json_is_object(j)) {
		cerr(c, "%s: schema is not an object", where);
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		cerr(c, "out of memory");
		return NULL;
	}
	n->minlen = n->maxlen = n->minitems = n->maxitems = -1;
	n->minprops = n->maxprops = -1;

	if ((v = json_object_get(j, "type")) != NULL) {
		t = json_string_value(v);
		if (t == NULL)
			goto bad;
		if (strcmp(t, "object") == 0)
			n->type = ST_OBJECT;
		else if (strcmp(t, "array") == 0)
			n->type = ST_ARRAY;
		else if (strcmp(t, "string") == 0)
			n->type = ST_STRING;
		else if (strcmp(t, "integer") == 0)
			n->type = ST_INTEGER;
		else if (strcmp(t, "number") == 0)
			n->type = ST_NUMBER;
		else if (strcmp(t, "boolean") == 0)
			n->type = ST_BOOLEAN;
		else if (*t != '\0') {
			cerr(c, "%s: unsupported type \"%s\"", where, t);
			goto fail;
		}
	}
	if (json_is_true(json_object_get(j, "nullable")))
		n->flags |= SN_NULLABLE;
	if (json_is_true(json_object_get(j, "x-kubernetes-int-or-string")))
		n->flags |= SN_INTORSTR;
	if (json_is_true(json_object_get(j,
	    "x-kubernetes-preserve-unknown-fields")))
		n->flags |= SN_PRESERVE;
	if (json_is_true(json_object_get(j, "x-kubernetes-embedded-resource")))
		n->flags |= SN_EMBEDDED;
	if (json_is_true(json_object_get(j, "uniqueItems")))
		n->flags |= SN_UNIQUE;

	if ((v = json_object_get(j, "format")) != NULL &&
	    (t = json_string_value(v)) != NULL) {
		if (strcmp(t, "int32") == 0)
			n->format = SF_INT32;
		else if (strcmp(t, "int64") == 0)
			n->format = SF_INT64;
		else if (strcmp(t, "date-time") == 0 ||
		    strcmp(t, "datetime") == 0)
			n->format = SF_DATETIME;
		else if (strcmp(t, "byte") == 0)
			n->format = SF_BYTE;
	}
	if (json_is_number(v = json_object_get(j, "minimum"))) {
		n->min = json_number_value(v);
		n->flags |= SN_HASMIN;
	}
	if (json_is_number(v = json_object_get(j, "maximum"))) {
		n->max = json_number_value(v);
		n->flags |= SN_HASMAX;
	}
	if (json_is_number(v = json_object_get(j, "multipleOf")) &&
	    json_number_value(v) > 0) {
		n->mult = json_number_value(v);
		n->flags |= SN_HASMULT;
	}
	if (json_is_true(json_object_get(j, "exclusiveMinimum")))
		n->flags |= SN_EXCLMIN;
	if (json_is_true(json_object_get(j, "exclusiveMaximum")))
		n->flags |= SN_EXCLMAX;
	n->minlen = get_count(j, "minLength");
	n->maxlen = get_count(j, "maxLength");
	n->minitems = get_count(j, "minItems");
	n->maxitems = get_count(j, "maxItems");
	n->minprops = get_count(j, "minProperties");
	n->maxprops = get_count(j, "maxProperties");

	if ((v = json_object_get(j, "pattern")) != NULL) {
		if ((n->pattern = json_string_value(v)) == NULL)
			goto bad;
		ere = re_translate(n->pattern);
		if (ere != NULL && regcomp(&n->re, ere,
		    REG_EXTENDED | REG_NOSUB) == 0)
			n->flags |= SN_RE;
		else
			c->s->skipped++;
		free(ere);
	}
	if ((v = json_object_get(j, "enum")) != NULL) {
		if (!json_is_array(v))
			goto bad;
		n->enums = v;
	}
	n->def = json_object_get(j, "default");
	if ((v = json_object_get(j, "required")) != NULL) {
		if (!json_is_array(v))
			goto bad;
		for (i = 0; i < json_array_size(v); i++)
			if (!json_is_string(json_array_get(v, i)))
				goto bad;
		n->required = v;
	}
	if ((v = json_object_get(j, "properties")) != NULL) {
		if (!json_is_object(v))
			goto bad;
		n->nprops = json_object_size(v);
		if (n->nprops > 0 && (n->props = calloc(n->nprops,
		    sizeof(*n->props))) == NULL) {
			cerr(c, "out of memory");
			goto fail;
		}
		i = 0;
		json_object_foreach((json_t *)(uintptr_t)v, key, pv) {
			n->props[i].name = key;
			if ((n->props[i].node = node_compile(c, pv, depth + 1,
			    key)) == NULL)
				goto fail;
			i++;
		}
		qsort(n->props, n->nprops, sizeof(*n->props), prop_cmp);
	}
	if ((v = json_object_get(j, "items")) != NULL && json_is_object(v))
		if ((n->items = node_compile(c, v, depth + 1, where)) == NULL)
			goto fail;
	if ((v = json_object_get(j, "additionalProperties")) != NULL) {
		if (json_is_false(v))
			n->flags |= SN_ADDLFALSE;
		else if (json_is_object(v)) {
			if ((n->addl = node_compile(c, v, depth + 1,
			    where)) == NULL)
				goto fail;
		}
	}
	if ((v = json_object_get(j, "anyOf")) != NULL &&
	    compile_list(c, v, depth, where, &n->anyof, &n->nanyof) != 0)
		goto fail;
	if ((v = json_object_get(j, "allOf")) != NULL &&
	    compile_list(c, v, depth, where, &n->allof, &n->nallof) != 0)
		goto fail;
	if ((v = json_object_get(j, "oneOf")) != NULL &&
	    compile_list(c, v, depth, where, &n->oneof, &n->noneof) != 0)
		goto fail;
	if ((v = json_object_get(j, "not")) != NULL &&
	    (n->not = node_compile(c, v, depth + 1, where)) == NULL)
		goto fail;
	return n;
bad:
	cerr(c, "%s: malformed schema", where);
fail:
	node_free(n);
	return NULL;
}

static struct schema *
schema_new_from(json_t *doc, const json_t *openapi, char *err, size_t errlen)
{
	struct schema *s;
	struct cctx c;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "out of memory");
		json_decref(doc);
		return NULL;
	}
	s->doc = doc;
	s->group = s->version = s->kind = s->plural = "";
	c.s = s;
	c.err = err;
	c.errlen = errlen;
	if ((s->root = node_compile(&c, openapi, 0, "openAPIV3Schema")) ==
	    NULL) {
		schema_free(s);
		return NULL;
	}
	return s;
}

struct schema *
schema_compile(json_t *openapi, char *err, size_t errlen)
{
	json_incref(openapi);
	return schema_new_from(openapi, openapi, err, errlen);
}

static char *
read_file(const char *path, size_t *lenp, char *err, size_t errlen)
{
	FILE *f;
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, n;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 131072;
			if (cap > BPG_MAX_CONFIG + 65536 + 1 ||
			    (nb = realloc(buf, cap)) == NULL) {
				snprintf(err, errlen, "%s: too large", path);
				goto fail;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 65536, f);
		len += n;
		if (n < 65536)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	*lenp = len;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

struct schema *
schema_load(const char *crd_path, char *err, size_t errlen)
{
	struct bpg_errinfo ei = { { 0 } };
	struct schema *s;
	json_error_t je;
	json_t *doc = NULL;
	const json_t *spec, *ver, *openapi, *names;
	char dummy[1], *buf;
	size_t len, i;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if ((buf = read_file(crd_path, &len, err, errlen)) == NULL)
		return NULL;
	for (i = 0; i < len && isspace((unsigned char)buf[i]); i++)
		continue;
	if (i < len && buf[i] == '{') {
		if ((doc = json_loadb(buf, len, 0, &je)) == NULL)
			snprintf(err, errlen, "%s:%d: %s", crd_path, je.line,
			    je.text);
	} else if (bpg_yaml_load(buf, len, BPG_YAML_TYPED, &doc, NULL,
	    &ei) != BPG_OK) {
		doc = NULL;
		snprintf(err, errlen, "%s: %s", crd_path, ei.msg);
	}
	free(buf);
	if (doc == NULL)
		return NULL;
	spec = json_object_get(doc, "spec");
	ver = json_array_get(json_object_get(spec, "versions"), 0);
	openapi = json_object_get(json_object_get(ver, "schema"),
	    "openAPIV3Schema");
	if (openapi == NULL) {
		snprintf(err, errlen, "%s: no spec.versions[0].schema."
		    "openAPIV3Schema", crd_path);
		json_decref(doc);
		return NULL;
	}
	if ((s = schema_new_from(doc, openapi, err, errlen)) == NULL)
		return NULL;
	names = json_object_get(spec, "names");
#define STRFIELD(obj, k) (json_string_value(json_object_get((obj), (k))) ? \
	json_string_value(json_object_get((obj), (k))) : "")
	s->group = STRFIELD(spec, "group");
	s->version = STRFIELD(ver, "name");
	s->kind = STRFIELD(names, "kind");
	s->plural = STRFIELD(names, "plural");
#undef STRFIELD
	return s;
}

void
schema_free(struct schema *s)
{
	if (s == NULL)
		return;
	node_free(s->root);
	json_decref(s->doc);
	free(s);
}

const char *
schema_group(const struct schema *s)
{
	return s->group;
}

const char *
schema_version(const struct schema *s)
{
	return s->version;
}

const char *
schema_kind(const struct schema *s)
{
	return s->kind;
}

const char *
schema_plural(const struct schema *s)
{
	return s->plural;
}

size_t
schema_skipped_patterns(const struct schema *s)
{
	return s->skipped;
}

/* ---- field paths --------------------------------------------------------- */

struct path {
	struct sbuf	b;
};

static size_t
path_key(struct path *p, const char *key)
{
	size_t old = p->b.len;

	if (old > 0)
		sb_putc(&p->b, '.');
	sb_puts(&p->b, key);
	return old;
}

static size_t
path_index(struct path *p, size_t i)
{
	size_t old = p->b.len;

	sb_printf(&p->b, "[%zu]", i);
	return old;
}

static void
path_pop(struct path *p, size_t old)
{
	p->b.len = old;
	if (p->b.s != NULL)
		p->b.s[old] = '\0';
}

static const char *
path_str(const struct path *p)
{
	return p->b.s != NULL ? p->b.s : "";
}

static const struct snode *
prop_find(const struct snode *n, const char *name)
{
	size_t lo = 0, hi = n->nprops, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(name, n->props[mid].name);
		if (c == 0)
			return n->props[mid].node;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- pruning, nulls, defaults -------------------------------------------- */

struct pctx {
	struct path	 p;
	json_t		*unknown;	/* may be NULL */
	int		 err;
};

static void prune_value(struct pctx *, const struct snode *, json_t *,
    int, int);

static void
prune_record(struct pctx *c, const char *key)
{
	size_t old;

	if (c->unknown == NULL)
		return;
	old = path_key(&c->p, key);
	if (c->p.b.err || json_array_append_new(c->unknown,
	    json_string(path_str(&c->p))) != 0)
		c->err = 1;
	path_pop(&c->p, old);
}

/*
 * Known fields of an object whose unknown fields are kept
 * (x-kubernetes-preserve-unknown-fields) are still pruned below.
 */
static void
prune_skip(struct pctx *c, const struct snode *n, json_t *v, int depth)
{
	const struct snode *sub;
	const char *key;
	json_t *val;
	size_t i, old;

	if (n == NULL || depth > SCHEMA_MAX_NEST)
		return;
	if (json_is_object(v)) {
		json_object_foreach(v, key, val) {
			if ((n->flags & SN_EMBEDDED) && (!strcmp(key,
			    "apiVersion") || !strcmp(key, "kind") ||
			    !strcmp(key, "metadata")))
				continue;
			sub = prop_find(n, key);
			if (sub == NULL)
				sub = n->addl;
			if (sub == NULL)
				continue;
			old = path_key(&c->p, key);
			prune_value(c, sub, val, 0, depth + 1);
			path_pop(&c->p, old);
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			old = path_index(&c->p, i);
			prune_skip(c, n->items, json_array_get(v, i),
			    depth + 1);
			path_pop(&c->p, old);
		}
	}
}

static void
prune_value(struct pctx *c, const struct snode *n, json_t *v, int root,
    int depth)
{
	const struct snode *sub;
	const char *key;
	json_t *val, *tmp;
	size_t i, old;
	int embedded;

	if (depth > SCHEMA_MAX_NEST)
		return;
	if (n != NULL && (n->flags & SN_PRESERVE)) {
		prune_skip(c, n, v, depth);
		return;
	}
	if (json_is_object(v)) {
		embedded = root || (n != NULL && (n->flags & SN_EMBEDDED));
		json_object_foreach_safe(v, tmp, key, val) {
			if (embedded && ((!strcmp(key, "apiVersion") ||
			    !strcmp(key, "kind")) && json_is_string(val)))
				continue;
			if (embedded && !strcmp(key, "metadata") &&
			    json_is_object(val))
				continue;
			sub = n != NULL ? prop_find(n, key) : NULL;
			if (sub == NULL && n != NULL && n->addl != NULL)
				sub = n->addl;
			if (sub != NULL || (n != NULL &&
			    (n->flags & SN_ADDLFALSE))) {
				old = path_key(&c->p, key);
				prune_value(c, sub, val, 0, depth + 1);
				path_pop(&c->p, old);
				continue;
			}
			prune_record(c, key);
			json_object_del(v, key);
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			old = path_index(&c->p, i);
			prune_value(c, n != NULL ? n->items : NULL,
			    json_array_get(v, i), 0, depth + 1);
			path_pop(&c->p, old);
		}
	}
}

/* A null that a non-nullable field without a default may not hold. */
static int
drop_null(const struct snode *n, const json_t *v)
{
	return json_is_null(v) && n != NULL && n->def == NULL &&
	    !(n->flags & SN_NULLABLE);
}

static int
default_null(const struct snode *n, const json_t *v)
{
	return json_is_null(v) && n != NULL && n->def != NULL &&
	    !(n->flags & SN_NULLABLE);
}

static void
prune_nulls(const struct snode *n, json_t *v, int depth)
{
	const struct snode *sub;
	const char *key;
	json_t *val, *tmp;
	size_t i;

	if (n == NULL || depth > SCHEMA_MAX_NEST)
		return;
	if (json_is_object(v)) {
		json_object_foreach_safe(v, tmp, key, val) {
			if ((sub = prop_find(n, key)) == NULL)
				sub = n->addl;
			if (sub == NULL)
				continue;
			if (drop_null(sub, val))
				json_object_del(v, key);
			else
				prune_nulls(sub, val, depth + 1);
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			prune_nulls(n->items, json_array_get(v, i), depth + 1);
	}
}

static int
apply_defaults(const struct snode *n, json_t *v, int depth)
{
	const struct snode *sub;
	const char *key;
	json_t *val, *cp;
	size_t i;

	if (n == NULL || depth > SCHEMA_MAX_NEST)
		return 0;
	if (json_is_object(v)) {
		for (i = 0; i < n->nprops; i++) {
			sub = n->props[i].node;
			if (sub->def == NULL)
				continue;
			val = json_object_get(v, n->props[i].name);
			if (val != NULL && !default_null(sub, val))
				continue;
			if ((cp = json_deep_copy(sub->def)) == NULL ||
			    json_object_set_new(v, n->props[i].name, cp) != 0)
				return -1;
		}
		json_object_foreach(v, key, val) {
			if ((sub = prop_find(n, key)) == NULL) {
				if ((sub = n->addl) == NULL)
					continue;
				if (default_null(sub, val)) {
					if ((cp = json_deep_copy(sub->def)) ==
					    NULL || json_object_set_new(v, key,
					    cp) != 0)
						return -1;
					val = json_object_get(v, key);
				}
			}
			if (apply_defaults(sub, val, depth + 1) != 0)
				return -1;
		}
	} else if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			val = json_array_get(v, i);
			if (default_null(n->items, val)) {
				if ((cp = json_deep_copy(n->items->def)) ==
				    NULL || json_array_set_new(v, i, cp) != 0)
					return -1;
				val = json_array_get(v, i);
			}
			if (apply_defaults(n->items, val, depth + 1) != 0)
				return -1;
		}
	}
	return 0;
}

enum bpg_err
schema_prune(const struct schema *s, json_t *obj, json_t **unknown)
{
	struct pctx c;

	memset(&c, 0, sizeof(c));
	if (unknown != NULL) {
		*unknown = NULL;
		if ((c.unknown = json_array()) == NULL)
			return BPG_ENOMEM;
	}
	prune_value(&c, s->root, obj, 1, 0);
	free(c.p.b.s);
	if (c.err) {
		json_decref(c.unknown);
		return BPG_ENOMEM;
	}
	prune_nulls(s->root, obj, 0);
	if (apply_defaults(s->root, obj, 0) != 0) {
		json_decref(c.unknown);
		return BPG_ENOMEM;
	}
	if (unknown != NULL)
		*unknown = c.unknown;
	return BPG_OK;
}

/* ---- validation ---------------------------------------------------------- */

struct vctx {
	struct path	 p;
	json_t		*causes;
	int		 err;
};

static void validate_value(struct vctx *, const struct snode *, json_t *,
    int);

static void vcause(struct vctx *, const char *, const char *,
    const json_t *, const char *, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Append a cause: reason, the ErrorType's text ("Invalid value"), the bad
 * value (NULL for none) and a printf detail (NULL for none).
 */
static void
vcause(struct vctx *c, const char *reason, const char *what,
    const json_t *bad, const char *fmt, ...)
{
	struct sbuf b = { 0 };
	va_list ap;
	char *detail = NULL;
	json_t *cause;

	if (c->err)
		return;
	sb_puts(&b, what);
	if (bad != NULL) {
		sb_puts(&b, ": ");
		sb_value(&b, bad);
	}
	if (fmt != NULL) {
		va_start(ap, fmt);
		if (vasprintf(&detail, fmt, ap) < 0)
			detail = NULL, b.err = 1;
		va_end(ap);
		if (detail != NULL && *detail != '\0') {
			sb_puts(&b, ": ");
			sb_puts(&b, detail);
		}
		free(detail);
	}
	if (b.err || c->p.b.err) {
		c->err = 1;
		free(b.s);
		return;
	}
	cause = json_pack("{s:s, s:s, s:s}", "reason", reason, "message",
	    b.s, "field", path_str(&c->p));
	free(b.s);
	if (cause == NULL || json_array_append_new(c->causes, cause) != 0)
		c->err = 1;
}

/* An "Invalid value: \"\": ..." cause on the field "<nil>". */
static void
vcause_nil(struct vctx *c, const char *what)
{
	struct sbuf b = { 0 };
	json_t *cause;

	sb_puts(&b, "Invalid value: \"\": ");
	sb_quote(&b, path_str(&c->p), strlen(path_str(&c->p)));
	sb_printf(&b, " %s", what);
	if (b.err) {
		c->err = 1;
		return;
	}
	cause = json_pack("{s:s, s:s, s:s}", "reason", "FieldValueInvalid",
	    "message", b.s, "field", "<nil>");
	free(b.s);
	if (cause == NULL || json_array_append_new(c->causes, cause) != 0)
		c->err = 1;
}

static const char *
type_name(enum stype t)
{
	switch (t) {
	case ST_OBJECT:
		return "object";
	case ST_ARRAY:
		return "array";
	case ST_STRING:
		return "string";
	case ST_INTEGER:
		return "integer";
	case ST_NUMBER:
		return "number";
	case ST_BOOLEAN:
		return "boolean";
	default:
		return "";
	}
}

static const char *
value_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	default:
		return "null";
	}
}

static int
is_integral(const json_t *v)
{
	double d;

	if (json_is_integer(v))
		return 1;
	if (!json_is_real(v))
		return 0;
	d = json_real_value(v);
	return isfinite(d) && d == floor(d) && fabs(d) < 9007199254740992.0;
}

static int
type_ok(enum stype t, const json_t *v)
{
	switch (t) {
	case ST_ANY:
		return 1;
	case ST_OBJECT:
		return json_is_object(v);
	case ST_ARRAY:
		return json_is_array(v);
	case ST_STRING:
		return json_is_string(v);
	case ST_INTEGER:
		return is_integral(v);
	case ST_NUMBER:
		return json_is_number(v);
	case ST_BOOLEAN:
		return json_is_boolean(v);
	}
	return 0;
}

/* Equality with numbers compared by value (1 == 1.0), as reflect does
 * after JSON decoding into float64/int64 of the same value. */
static int
value_equal(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal(a, b);
}

static void
type_error(struct vctx *c, const char *want, json_t *v)
{
	json_t *tn = json_string(value_type(v));

	if (tn == NULL) {
		c->err = 1;
		return;
	}
	vcause(c, "FieldValueTypeInvalid", "Invalid value", tn,
	    "%s in body must be of type %s: \"%s\"", path_str(&c->p), want,
	    value_type(v));
	json_decref(tn);
}

static void
check_enum(struct vctx *c, const struct snode *n, json_t *v)
{
	struct sbuf b = { 0 };
	const json_t *e;
	char *js;
	size_t i;

	for (i = 0; i < json_array_size(n->enums); i++)
		if (value_equal(json_array_get(n->enums, i), v))
			return;
	if (json_array_size(n->enums) == 0)
		return;
	sb_puts(&b, "supported values: ");
	for (i = 0; i < json_array_size(n->enums); i++) {
		e = json_array_get(n->enums, i);
		if (i > 0)
			sb_puts(&b, ", ");
		if (json_is_string(e)) {
			sb_quote(&b, json_string_value(e),
			    json_string_length(e));
			continue;
		}
		if ((js = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS |
		    JSON_ENCODE_ANY)) == NULL) {
			b.err = 1;
			break;
		}
		sb_quote(&b, js, strlen(js));
		free(js);
	}
	if (b.err) {
		c->err = 1;
		free(b.s);
		return;
	}
	vcause(c, "FieldValueNotSupported", "Unsupported value", v, "%s", b.s);
	free(b.s);
}

static size_t
utf8_count(const char *s, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			count++;
	return count;
}

/* RFC 3339 date-time, as strfmt.ParseDateTime accepts it. */
static int
is_datetime(const char *s)
{
	int i;

	for (i = 0; i < 19; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return 0;
		} else if (i == 10) {
			if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
				return 0;
		} else if (i == 13 || i == 16) {
			if (s[i] != ':')
				return 0;
		} else if (!isdigit((unsigned char)s[i]))
			return 0;
	}
	s += 19;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		return s[1] == '\0';
	if (*s == '+' || *s == '-')
		return isdigit((unsigned char)s[1]) &&
		    isdigit((unsigned char)s[2]) && s[3] == ':' &&
		    isdigit((unsigned char)s[4]) &&
		    isdigit((unsigned char)s[5]) && s[6] == '\0';
	return *s == '\0';
}

static int
is_base64(const char *s)
{
	size_t n = 0, pad = 0;

	for (; *s != '\0'; s++) {
		if (isalnum((unsigned char)*s) || *s == '+' || *s == '/') {
			if (pad)
				return 0;
			n++;
		} else if (*s == '=') {
			pad++;
			n++;
		} else
			return 0;
	}
	return n % 4 == 0 && pad <= 2;
}

static void
check_string(struct vctx *c, const struct snode *n, json_t *v)
{
	const char *s = json_string_value(v);
	size_t len = utf8_count(s, json_string_length(v));
	char *q;

	if (n->maxlen >= 0 && len > (size_t)n->maxlen)
		vcause(c, "FieldValueTooLong", "Too long", NULL,
		    "may not be more than %lld %s", n->maxlen,
		    n->maxlen == 1 ? "byte" : "bytes");
	if (n->minlen >= 0 && len < (size_t)n->minlen)
		vcause(c, "FieldValueInvalid", "Invalid value", v,
		    "%s in body should be at least %lld chars long",
		    path_str(&c->p), n->minlen);
	if ((n->flags & SN_RE) && regexec(&n->re, s, 0, NULL, 0) != 0)
		vcause(c, "FieldValueInvalid", "Invalid value", v,
		    "%s in body should match '%s'", path_str(&c->p),
		    n->pattern);
	if ((n->format == SF_DATETIME && !is_datetime(s)) ||
	    (n->format == SF_BYTE && !is_base64(s))) {
		if ((q = schema_quote(s)) == NULL) {
			c->err = 1;
			return;
		}
		vcause(c, "FieldValueTypeInvalid", "Invalid value", v,
		    "%s in body must be of type %s: %s", path_str(&c->p),
		    n->format == SF_DATETIME ? "date-time" : "byte", q);
		free(q);
	}
}

/* A limit as Go's %v prints a float64; a new string or NULL. */
static char *
float_str(double d)
{
	struct sbuf b = { 0 };

	sb_float(&b, d);
	if (b.err) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

static void
check_number(struct vctx *c, const struct snode *n, json_t *v)
{
	double d = json_number_value(v), q;
	char *lim;

	if (n->flags & SN_HASMULT) {
		q = d / n->mult;
		if (q != floor(q)) {
			if ((lim = float_str(n->mult)) == NULL) {
				c->err = 1;
				return;
			}
			vcause(c, "FieldValueInvalid", "Invalid value", v,
			    "%s in body should be a multiple of %s",
			    path_str(&c->p), lim);
			free(lim);
		}
	}
	if ((n->flags & SN_HASMAX) &&
	    ((n->flags & SN_EXCLMAX) ? d >= n->max : d > n->max)) {
		if ((lim = float_str(n->max)) == NULL) {
			c->err = 1;
			return;
		}
		vcause(c, "FieldValueInvalid", "Invalid value", v,
		    "%s in body should be less than %s%s", path_str(&c->p),
		    (n->flags & SN_EXCLMAX) ? "" : "or equal to ", lim);
		free(lim);
	}
	if ((n->flags & SN_HASMIN) &&
	    ((n->flags & SN_EXCLMIN) ? d <= n->min : d < n->min)) {
		if ((lim = float_str(n->min)) == NULL) {
			c->err = 1;
			return;
		}
		vcause(c, "FieldValueInvalid", "Invalid value", v,
		    "%s in body should be greater than %s%s", path_str(&c->p),
		    (n->flags & SN_EXCLMIN) ? "" : "or equal to ", lim);
		free(lim);
	}
	/*
	 * XXX: kube-apiserver does not range-check integer formats; an
	 * out-of-range value only fails later, when the operator decodes it
	 * into its Go int32.  Reported here, in the texts of maximum and
	 * minimum, so that tests catch it at submission.
	 */
	if (n->format != SF_INT32 || !json_is_integer(v))
		return;
	if (json_integer_value(v) > INT32_MAX)
		vcause(c, "FieldValueInvalid", "Invalid value", v,
		    "%s in body should be less than or equal to %ld",
		    path_str(&c->p), (long)INT32_MAX);
	else if (json_integer_value(v) < INT32_MIN)
		vcause(c, "FieldValueInvalid", "Invalid value", v,
		    "%s in body should be greater than or equal to %ld",
		    path_str(&c->p), (long)INT32_MIN);
}

static void
validate_combinators(struct vctx *c, const struct snode *n, json_t *v,
    int depth)
{
	json_t *saved = c->causes, *best = NULL, *tmp;
	size_t i, ok = 0;

	if (n->nanyof > 0) {
		for (i = 0; i < n->nanyof && !c->err; i++) {
			if ((c->causes = json_array()) == NULL) {
				c->err = 1;
				break;
			}
			validate_value(c, n->anyof[i], v, depth + 1);
			tmp = c->causes;
			if (json_array_size(tmp) == 0) {
				json_decref(tmp);
				json_decref(best);
				best = NULL;
				ok = 1;
				break;
			}
			if (best == NULL ||
			    json_array_size(tmp) < json_array_size(best)) {
				json_decref(best);
				best = tmp;
			} else
				json_decref(tmp);
		}
		c->causes = saved;
		if (!ok)
			vcause_nil(c, "must validate at least one schema "
			    "(anyOf)");
		if (best != NULL && !c->err &&
		    json_array_extend(c->causes, best) != 0)
			c->err = 1;
		json_decref(best);
		best = NULL;
	}
	if (n->nallof > 0) {
		if ((tmp = json_array()) == NULL) {
			c->err = 1;
			return;
		}
		c->causes = tmp;
		for (i = 0; i < n->nallof && !c->err; i++)
			validate_value(c, n->allof[i], v, depth + 1);
		c->causes = saved;
		if (json_array_size(tmp) > 0) {
			vcause_nil(c, "must validate all the schemas "
			    "(allOf)");
			if (!c->err && json_array_extend(c->causes, tmp) != 0)
				c->err = 1;
		}
		json_decref(tmp);
	}
	if (n->noneof > 0) {
		ok = 0;
		for (i = 0; i < n->noneof && !c->err; i++) {
			if ((c->causes = json_array()) == NULL) {
				c->err = 1;
				break;
			}
			validate_value(c, n->oneof[i], v, depth + 1);
			tmp = c->causes;
			if (json_array_size(tmp) == 0)
				ok++;
			else if (best == NULL ||
			    json_array_size(tmp) < json_array_size(best)) {
				json_decref(best);
				best = tmp;
				tmp = NULL;
			}
			json_decref(tmp);
		}
		c->causes = saved;
		if (ok != 1) {
			vcause_nil(c, "must validate one and only one schema "
			    "(oneOf)");
			if (ok == 0 && best != NULL && !c->err &&
			    json_array_extend(c->causes, best) != 0)
				c->err = 1;
		}
		json_decref(best);
		best = NULL;
	}
	if (n->not != NULL) {
		if ((tmp = json_array()) == NULL) {
			c->err = 1;
			return;
		}
		c->causes = tmp;
		validate_value(c, n->not, v, depth + 1);
		c->causes = saved;
		if (json_array_size(tmp) == 0)
			vcause_nil(c, "must not validate the schema (not)");
		json_decref(tmp);
	}
}

static void
check_array(struct vctx *c, const struct snode *n, json_t *v, int depth)
{
	size_t i, j, len = json_array_size(v), old;
	json_t *cnt;

	if (n->minitems >= 0 && len < (size_t)n->minitems)
		vcause(c, "FieldValueInvalid", "Invalid value", v,
		    "%s in body should have at least %lld items",
		    path_str(&c->p), n->minitems);
	if (n->maxitems >= 0 && len > (size_t)n->maxitems) {
		if ((cnt = json_integer((json_int_t)len)) == NULL) {
			c->err = 1;
			return;
		}
		vcause(c, "FieldValueTooMany", "Too many", cnt,
		    "must have at most %lld %s", n->maxitems,
		    n->maxitems == 1 ? "item" : "items");
		json_decref(cnt);
	}
	if (n->flags & SN_UNIQUE) {
		for (i = 0; i < len; i++)
			for (j = i + 1; j < len; j++)
				if (json_equal(json_array_get(v, i),
				    json_array_get(v, j)))
					goto dup;
	}
	goto items;
dup:
	vcause(c, "FieldValueDuplicate", "Duplicate value", v, NULL);
items:
	if (n->items == NULL)
		return;
	for (i = 0; i < len && !c->err; i++) {
		old = path_index(&c->p, i);
		validate_value(c, n->items, json_array_get(v, i), depth + 1);
		path_pop(&c->p, old);
	}
}

static int
key_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

static void
check_object(struct vctx *c, const struct snode *n, json_t *v, int depth)
{
	const char *key, **keys = NULL;
	json_t *val, *cnt, *kj;
	size_t i, nkeys, old;

	for (i = 0; i < json_array_size(n->required); i++) {
		key = json_string_value(json_array_get(n->required, i));
		if (json_object_get(v, key) != NULL)
			continue;
		old = path_key(&c->p, key);
		vcause(c, "FieldValueRequired", "Required value", NULL, NULL);
		path_pop(&c->p, old);
	}
	nkeys = json_object_size(v);
	if (n->minprops >= 0 && nkeys < (size_t)n->minprops)
		vcause(c, "FieldValueInvalid", "Invalid value", v,
		    "%s in body should have at least %lld properties",
		    path_str(&c->p), n->minprops);
	if (n->maxprops >= 0 && nkeys > (size_t)n->maxprops) {
		if ((cnt = json_integer((json_int_t)nkeys)) == NULL) {
			c->err = 1;
			return;
		}
		vcause(c, "FieldValueTooMany", "Too many", cnt,
		    "must have at most %lld %s", n->maxprops,
		    n->maxprops == 1 ? "item" : "items");
		json_decref(cnt);
	}
	if (nkeys == 0)
		return;
	if ((keys = calloc(nkeys, sizeof(*keys))) == NULL) {
		c->err = 1;
		return;
	}
	i = 0;
	json_object_foreach(v, key, val)
		keys[i++] = key;
	qsort(keys, nkeys, sizeof(*keys), key_cmp);
	if (n->flags & SN_ADDLFALSE) {
		for (i = 0; i < nkeys; i++) {
			if (prop_find(n, keys[i]) != NULL)
				continue;
			if ((kj = json_string(keys[i])) == NULL) {
				c->err = 1;
				break;
			}
			vcause(c, "FieldValueInvalid", "Invalid value", kj,
			    "%s%s%s in body is a forbidden property",
			    path_str(&c->p), c->p.b.len ? "." : "", keys[i]);
			json_decref(kj);
		}
	}
	/* Declared properties first (by name), then map entries. */
	for (i = 0; i < nkeys && !c->err; i++) {
		const struct snode *sub = prop_find(n, keys[i]);

		if (sub == NULL)
			continue;
		old = path_key(&c->p, keys[i]);
		validate_value(c, sub, json_object_get(v, keys[i]), depth + 1);
		path_pop(&c->p, old);
	}
	for (i = 0; i < nkeys && !c->err && n->addl != NULL; i++) {
		if (prop_find(n, keys[i]) != NULL)
			continue;
		old = path_key(&c->p, keys[i]);
		validate_value(c, n->addl, json_object_get(v, keys[i]),
		    depth + 1);
		path_pop(&c->p, old);
	}
	free(keys);
}

/*
 * The order of kube-openapi's SchemaValidator: type, combinators, string,
 * format, number, array, enum, object.  Each applies by the kind of the
 * value found, so a type error does not hide an enum error.
 */
static void
validate_value(struct vctx *c, const struct snode *n, json_t *v,
    int depth)
{
	if (c->err || n == NULL)
		return;
	if (depth > SCHEMA_MAX_NEST) {
		vcause(c, "FieldValueInvalid", "Invalid value", NULL,
		    "nested too deeply");
		return;
	}
	if (json_is_null(v)) {
		if (n->flags & SN_NULLABLE)
			return;
		if (n->flags & SN_INTORSTR)
			type_error(c, "integer,string", v);
		else if (n->type != ST_ANY)
			type_error(c, type_name(n->type), v);
		if (n->enums != NULL)
			check_enum(c, n, v);
		return;
	}
	if (n->flags & SN_INTORSTR) {
		if (!is_integral(v) && !json_is_string(v))
			type_error(c, "integer,string", v);
	} else if (!type_ok(n->type, v))
		type_error(c, type_name(n->type), v);
	validate_combinators(c, n, v, depth);
	if (json_is_string(v))
		check_string(c, n, v);
	if (json_is_number(v))
		check_number(c, n, v);
	if (json_is_array(v))
		check_array(c, n, v, depth);
	if (n->enums != NULL)
		check_enum(c, n, v);
	if (json_is_object(v))
		check_object(c, n, v, depth);
}

enum bpg_err
schema_validate(const struct schema *s, json_t *obj, int prune,
    json_t **causes)
{
	struct vctx c;
	enum bpg_err e;

	*causes = NULL;
	if (prune && (e = schema_prune(s, obj, NULL)) != BPG_OK)
		return e;
	memset(&c, 0, sizeof(c));
	if ((c.causes = json_array()) == NULL)
		return BPG_ENOMEM;
	validate_value(&c, s->root, obj, 0);
	free(c.p.b.s);
	if (c.err) {
		json_decref(c.causes);
		return BPG_ENOMEM;
	}
	if (json_array_size(c.causes) == 0) {
		json_decref(c.causes);
		return BPG_OK;
	}
	*causes = c.causes;
	return BPG_EINVAL;
}

char *
schema_invalid_message(const char *kind, const char *group, const char *name,
    const json_t *causes)
{
	struct sbuf b = { 0 }, one = { 0 };
	const json_t *cause;
	json_t *seen;
	const char *field, *msg;
	size_t i, nseen = 0;

	if ((seen = json_object()) == NULL)
		return NULL;
	sb_puts(&b, kind);
	if (group != NULL && *group != '\0') {
		sb_putc(&b, '.');
		sb_puts(&b, group);
	}
	sb_putc(&b, ' ');
	sb_quote(&b, name, strlen(name));
	sb_puts(&b, " is invalid");
	/* utilerrors.Aggregate: duplicates dropped, brackets if several. */
	json_array_foreach(causes, i, cause) {
		field = json_string_value(json_object_get(cause, "field"));
		msg = json_string_value(json_object_get(cause, "message"));
		one.len = 0;
		if (field != NULL && *field != '\0') {
			sb_puts(&one, field);
			sb_puts(&one, ": ");
		}
		sb_puts(&one, msg != NULL ? msg : "");
		if (one.err)
			break;
		if (json_object_get(seen, one.s) != NULL)
			continue;
		if (json_object_set_new(seen, one.s, json_true()) != 0) {
			b.err = 1;
			break;
		}
		sb_puts(&b, nseen == 0 ? ": " : ", ");
		sb_puts(&b, one.s);
		nseen++;
	}
	if (nseen > 1 && !b.err && !one.err) {
		/* Re-insert the opening bracket after "is invalid: ". */
		const char *colon = strstr(b.s, " is invalid: ");
		size_t at = (size_t)(colon - b.s) + strlen(" is invalid: ");
		struct sbuf r = { 0 };

		sb_putn(&r, b.s, at);
		sb_putc(&r, '[');
		sb_puts(&r, b.s + at);
		sb_putc(&r, ']');
		free(b.s);
		b = r;
	}
	json_decref(seen);
	free(one.s);
	if (b.err || one.err) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
