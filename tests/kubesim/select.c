/*
 * Label and field selectors with the grammar and error texts of
 * k8s.io/apimachinery/pkg/labels (selector.go) and pkg/fields.
 *
 *   selector    = requirement { "," requirement }
 *   requirement = [ "!" ] key
 *               | key ( "=" | "==" | "!=" ) [ value ]
 *               | key ( "in" | "notin" ) "(" [ value { "," value } ] ")"
 *               | key ( ">" | "<" ) integer
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

#define LSEL_MAX_REQS	64
#define LSEL_MAX_VALUES	64

enum lop {
	LOP_EXISTS,
	LOP_NOTEXISTS,
	LOP_EQ,
	LOP_NE,
	LOP_IN,
	LOP_NOTIN,
	LOP_GT,
	LOP_LT,
};

struct lreq {
	char		*key;
	enum lop	 op;
	char		*values[LSEL_MAX_VALUES];
	size_t		 nvalues;
};

struct ks_lsel {
	struct lreq	 reqs[LSEL_MAX_REQS];
	size_t		 nreqs;
};

enum tok {
	T_ERROR,
	T_EOS,
	T_IDENT,
	T_NOT,		/* ! */
	T_EQ,		/* = */
	T_DEQ,		/* == */
	T_NE,		/* != */
	T_GT,
	T_LT,
	T_IN,
	T_NOTIN,
	T_OPEN,
	T_CLOSE,
	T_COMMA,
};

struct lexer {
	const char	*s;
	size_t		 pos;
	char		 lit[512];
};

static int
special(int c)
{
	return c == '!' || c == '=' || c == '>' || c == '<' || c == '(' ||
	    c == ')' || c == ',';
}

static enum tok
lex(struct lexer *l)
{
	const char *s = l->s;
	size_t start, n;

	while (s[l->pos] != '\0' && isspace((unsigned char)s[l->pos]))
		l->pos++;
	start = l->pos;
	if (s[start] == '\0') {
		l->lit[0] = '\0';
		return T_EOS;
	}
	if (special((unsigned char)s[start])) {
		n = 1;
		if ((s[start] == '!' || s[start] == '=') && s[start + 1] == '=')
			n = 2;
		l->pos += n;
		memcpy(l->lit, s + start, n);
		l->lit[n] = '\0';
		switch (s[start]) {
		case '!':
			return n == 2 ? T_NE : T_NOT;
		case '=':
			return n == 2 ? T_DEQ : T_EQ;
		case '>':
			return T_GT;
		case '<':
			return T_LT;
		case '(':
			return T_OPEN;
		case ')':
			return T_CLOSE;
		default:
			return T_COMMA;
		}
	}
	while (s[l->pos] != '\0' && !isspace((unsigned char)s[l->pos]) &&
	    !special((unsigned char)s[l->pos]))
		l->pos++;
	n = l->pos - start;
	if (n >= sizeof(l->lit))
		return T_ERROR;
	memcpy(l->lit, s + start, n);
	l->lit[n] = '\0';
	if (strcmp(l->lit, "in") == 0)
		return T_IN;
	if (strcmp(l->lit, "notin") == 0)
		return T_NOTIN;
	return T_IDENT;
}

static enum tok
peek(struct lexer *l, char *lit, size_t litlen)
{
	struct lexer save = *l;
	enum tok t = lex(l);

	if (lit != NULL)
		snprintf(lit, litlen, "%s", l->lit);
	*l = save;
	return t;
}

void
ks_lsel_free(struct ks_lsel *sel)
{
	size_t i, j;

	if (sel == NULL)
		return;
	for (i = 0; i < sel->nreqs; i++) {
		free(sel->reqs[i].key);
		for (j = 0; j < sel->reqs[i].nvalues; j++)
			free(sel->reqs[i].values[j]);
	}
	free(sel);
}

static int
add_value(struct lreq *r, const char *v, char *err, size_t errlen)
{
	if (r->nvalues >= LSEL_MAX_VALUES) {
		snprintf(err, errlen, "too many values in a selector");
		return -1;
	}
	if ((r->values[r->nvalues] = strdup(v)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->nvalues++;
	return 0;
}

/* Validation messages joined with "; ", as validateLabelKey does. */
static int
check_key(const char *key, char *err, size_t errlen)
{
	json_t *c, *cause;
	char *q = NULL;
	size_t i, off, plen;
	int rc = -1;

	if ((c = json_array()) == NULL ||
	    ks_check_qualified(c, "<nil>", key) != BPG_OK ||
	    (q = schema_quote(key)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (json_array_size(c) == 0) {
		rc = 0;
		goto out;
	}
	/* Each message reads "Invalid value: <q>: <detail>". */
	plen = strlen("Invalid value: ") + strlen(q) + 2;
	off = (size_t)snprintf(err, errlen, "unable to parse requirement: "
	    "<nil>: Invalid value: %s: ", q);
	json_array_foreach(c, i, cause) {
		const char *m = json_string_value(json_object_get(cause,
		    "message"));

		if (m == NULL || off >= errlen)
			break;
		off += (size_t)snprintf(err + off, errlen - off, "%s%s",
		    i > 0 ? "; " : "", strlen(m) > plen ? m + plen : m);
	}
out:
	free(q);
	json_decref(c);
	return rc;
}

static int
check_values(const struct lreq *r, char *err, size_t errlen)
{
	char *q, *end;
	size_t i;

	switch (r->op) {
	case LOP_IN:
	case LOP_NOTIN:
		if (r->nvalues == 0) {
			snprintf(err, errlen, "unable to parse requirement: "
			    "values: Invalid value: []: for 'in', 'notin' "
			    "operators, values set can't be empty");
			return -1;
		}
		break;
	case LOP_GT:
	case LOP_LT:
		errno = 0;
		if (r->nvalues != 1 || (strtoll(r->values[0], &end, 10),
		    *end != '\0' || *r->values[0] == '\0' || errno != 0)) {
			snprintf(err, errlen, "unable to parse requirement: "
			    "values[0]: Invalid value: \"%s\": for 'Gt', 'Lt' "
			    "operators, the value must be an integer",
			    r->nvalues ? r->values[0] : "");
			return -1;
		}
		return 0;
	default:
		break;
	}
	for (i = 0; i < r->nvalues; i++) {
		if (ks_label_value_ok(r->values[i]))
			continue;
		if ((q = schema_quote(r->values[i])) == NULL)
			return -1;
		snprintf(err, errlen, "unable to parse requirement: "
		    "values[%zu][%s]: Invalid value: %s: %s", i, r->key, q,
		    strlen(r->values[i]) > 63 ?
		    "must be no more than 63 characters" :
		    "a valid label must be an empty string or consist of "
		    "alphanumeric characters, '-', '_' or '.', and must start "
		    "and end with an alphanumeric character (e.g. 'MyValue',  "
		    "or 'my_value',  or '12345', regex used for validation is "
		    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
		free(q);
		return -1;
	}
	return 0;
}

static int
parse_requirement(struct lexer *l, struct lreq *r, char *err, size_t errlen)
{
	enum tok t;
	char lit[512];

	r->op = LOP_EXISTS;
	t = lex(l);
	if (t == T_NOT) {
		r->op = LOP_NOTEXISTS;
		t = lex(l);
	}
	if (t != T_IDENT) {
		snprintf(err, errlen, "unable to parse requirement: found "
		    "'%s', expected: identifier", l->lit);
		return -1;
	}
	if ((r->key = strdup(l->lit)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (check_key(r->key, err, errlen) != 0)
		return -1;
	t = peek(l, NULL, 0);
	if (t == T_EOS || t == T_COMMA)
		return 0;
	if (r->op == LOP_NOTEXISTS) {
		snprintf(err, errlen, "unable to parse requirement: found "
		    "'%s', expected: ',' or 'end of string'", l->lit);
		return -1;
	}
	t = lex(l);
	switch (t) {
	case T_EQ:
	case T_DEQ:
		r->op = LOP_EQ;
		break;
	case T_NE:
		r->op = LOP_NE;
		break;
	case T_GT:
		r->op = LOP_GT;
		break;
	case T_LT:
		r->op = LOP_LT;
		break;
	case T_IN:
		r->op = LOP_IN;
		break;
	case T_NOTIN:
		r->op = LOP_NOTIN;
		break;
	default:
		snprintf(err, errlen, "unable to parse requirement: found "
		    "'%s', expected: in, notin, =, ==, !=, gt, lt", l->lit);
		return -1;
	}
	if (r->op == LOP_IN || r->op == LOP_NOTIN) {
		if (lex(l) != T_OPEN) {
			snprintf(err, errlen, "unable to parse requirement: "
			    "found '%s', expected: '('", l->lit);
			return -1;
		}
		for (;;) {
			t = peek(l, lit, sizeof(lit));
			if (t == T_CLOSE) {
				lex(l);
				break;
			}
			if (t == T_IDENT) {
				lex(l);
				if (add_value(r, lit, err, errlen) != 0)
					return -1;
				t = lex(l);
			} else if (t == T_COMMA) {
				/* An empty value: "in (a,,b)". */
				if (add_value(r, "", err, errlen) != 0)
					return -1;
				t = lex(l);
			} else {
				lex(l);
				snprintf(err, errlen, "unable to parse "
				    "requirement: found '%s', expected: ',', "
				    "')' or identifier", l->lit);
				return -1;
			}
			if (t == T_CLOSE)
				break;
			if (t != T_COMMA) {
				snprintf(err, errlen, "unable to parse "
				    "requirement: found '%s', expected: ',' or "
				    "')'", l->lit);
				return -1;
			}
		}
	} else {
		t = peek(l, lit, sizeof(lit));
		if (t == T_EOS || t == T_COMMA) {
			if (add_value(r, "", err, errlen) != 0)
				return -1;
		} else if (t == T_IDENT || t == T_IN || t == T_NOTIN) {
			lex(l);
			if (add_value(r, lit, err, errlen) != 0)
				return -1;
		} else {
			lex(l);
			snprintf(err, errlen, "unable to parse requirement: "
			    "found '%s', expected: identifier", l->lit);
			return -1;
		}
	}
	return check_values(r, err, errlen);
}

int
ks_lsel_parse(const char *s, struct ks_lsel **out, char *err, size_t errlen)
{
	struct lexer l;
	struct ks_lsel *sel;
	enum tok t;

	*out = NULL;
	if ((sel = calloc(1, sizeof(*sel))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(&l, 0, sizeof(l));
	l.s = s != NULL ? s : "";
	for (;;) {
		t = peek(&l, NULL, 0);
		if (t == T_EOS)
			break;
		if (t != T_IDENT && t != T_NOT) {
			lex(&l);
			snprintf(err, errlen, "found '%s', expected: !, "
			    "identifier, or 'end of string'", l.lit);
			goto fail;
		}
		if (sel->nreqs >= LSEL_MAX_REQS) {
			snprintf(err, errlen, "too many requirements");
			goto fail;
		}
		if (parse_requirement(&l, &sel->reqs[sel->nreqs++], err,
		    errlen) != 0)
			goto fail;
		t = lex(&l);
		if (t == T_EOS)
			break;
		if (t != T_COMMA) {
			snprintf(err, errlen, "found '%s', expected: ',' or "
			    "'end of string'", l.lit);
			goto fail;
		}
		t = peek(&l, NULL, 0);
		if (t != T_IDENT && t != T_NOT) {
			lex(&l);
			snprintf(err, errlen, "found '%s', expected: "
			    "identifier after ','", l.lit);
			goto fail;
		}
	}
	*out = sel;
	return 0;
fail:
	ks_lsel_free(sel);
	return -1;
}

static int
in_values(const struct lreq *r, const char *v)
{
	size_t i;

	for (i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i], v) == 0)
			return 1;
	return 0;
}

int
ks_lsel_match(const struct ks_lsel *sel, const json_t *labels)
{
	const struct lreq *r;
	const char *v;
	char *end;
	long long a, b;
	size_t i;

	if (sel == NULL)
		return 1;
	for (i = 0; i < sel->nreqs; i++) {
		r = &sel->reqs[i];
		v = json_string_value(json_object_get(labels, r->key));
		switch (r->op) {
		case LOP_EXISTS:
			if (v == NULL)
				return 0;
			break;
		case LOP_NOTEXISTS:
			if (v != NULL)
				return 0;
			break;
		case LOP_EQ:
		case LOP_IN:
			if (v == NULL || !in_values(r, v))
				return 0;
			break;
		case LOP_NE:
		case LOP_NOTIN:
			if (v != NULL && in_values(r, v))
				return 0;
			break;
		case LOP_GT:
		case LOP_LT:
			if (v == NULL)
				return 0;
			errno = 0;
			a = strtoll(v, &end, 10);
			if (*v == '\0' || *end != '\0' || errno != 0)
				return 0;
			b = strtoll(r->values[0], NULL, 10);
			if (r->op == LOP_GT ? !(a > b) : !(a < b))
				return 0;
			break;
		}
	}
	return 1;
}

/* ---- field selectors ----------------------------------------------------- */

#define FSEL_MAX_TERMS 16

struct fterm {
	char	*field;
	char	*value;
	int	 neg;
};

struct ks_fsel {
	struct fterm	 terms[FSEL_MAX_TERMS];
	size_t		 nterms;
};

void
ks_fsel_free(struct ks_fsel *sel)
{
	size_t i;

	if (sel == NULL)
		return;
	for (i = 0; i < sel->nterms; i++) {
		free(sel->terms[i].field);
		free(sel->terms[i].value);
	}
	free(sel);
}

/* Fields each resource can be selected by (its field label conversion). */
static const char *const app_fields[] = { "metadata.name",
    "metadata.namespace", NULL };
static const char *const pod_fields[] = { "metadata.name",
    "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
    "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork",
    "status.phase", "status.podIP", "status.nominatedNodeName", NULL };
static const char *const event_fields[] = { "metadata.name",
    "metadata.namespace", "involvedObject.kind", "involvedObject.namespace",
    "involvedObject.name", "involvedObject.uid",
    "involvedObject.apiVersion", "involvedObject.resourceVersion",
    "involvedObject.fieldPath", "reason", "reportingComponent", "source",
    "type", NULL };
static const char *const secret_fields[] = { "metadata.name",
    "metadata.namespace", "type", NULL };

static const char *const *
fields_of(enum ks_res res)
{
	switch (res) {
	case KS_APP:
		return app_fields;
	case KS_POD:
		return pod_fields;
	case KS_EVENT:
		return event_fields;
	default:
		return secret_fields;
	}
}

/* Unescape \, \= \\ (fields.UnescapeValue). */
static char *
unescape(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t i, j = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		out[j++] = s[i];
	}
	out[j] = '\0';
	return out;
}

int
ks_fsel_parse(const char *s, enum ks_res res, struct ks_fsel **out,
    char *err, size_t errlen)
{
	struct ks_fsel *sel;
	const char *const *known;
	const char *p, *end, *op;
	struct fterm *t;
	size_t oplen, i;

	*out = NULL;
	if ((sel = calloc(1, sizeof(*sel))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	p = s != NULL ? s : "";
	while (*p != '\0') {
		for (end = p; *end != '\0' && *end != ','; end++)
			if (*end == '\\' && end[1] != '\0')
				end++;
		op = NULL;
		oplen = 0;
		for (i = 0; p + i < end; i++) {
			if (p[i] == '\\') {
				i++;
				continue;
			}
			if (p[i] == '!' && p[i + 1] == '=') {
				op = p + i, oplen = 2;
				break;
			}
			if (p[i] == '=') {
				op = p + i;
				oplen = p[i + 1] == '=' ? 2 : 1;
				break;
			}
		}
		if (op == NULL) {
			snprintf(err, errlen, "invalid selector: '%s'; can't "
			    "understand '%.*s'", s, (int)(end - p), p);
			goto fail;
		}
		if (sel->nterms >= FSEL_MAX_TERMS) {
			snprintf(err, errlen, "too many field selector terms");
			goto fail;
		}
		t = &sel->terms[sel->nterms++];
		t->neg = op[0] == '!';
		t->field = unescape(p, (size_t)(op - p));
		t->value = unescape(op + oplen, (size_t)(end - op - oplen));
		if (t->field == NULL || t->value == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (known = fields_of(res); *known != NULL; known++)
			if (strcmp(*known, t->field) == 0)
				break;
		if (*known == NULL) {
			if (res == KS_APP)
				snprintf(err, errlen, "\"%s\" is not a known "
				    "field selector: only \"metadata.name\", "
				    "\"metadata.namespace\"", t->field);
			else
				snprintf(err, errlen, "field label not "
				    "supported: %s", t->field);
			goto fail;
		}
		p = *end == ',' ? end + 1 : end;
	}
	*out = sel;
	return 0;
fail:
	ks_fsel_free(sel);
	return -1;
}

/* The value of a dotted field of obj as a string ("" when absent). */
static const char *
field_value(const json_t *obj, const char *field, char *buf, size_t len)
{
	const json_t *v = obj;
	const char *p = field, *dot;
	char part[128];

	if (strcmp(field, "source") == 0)
		field = p = "source.component";
	while (p != NULL && v != NULL) {
		dot = strchr(p, '.');
		snprintf(part, sizeof(part), "%.*s", dot ? (int)(dot - p) :
		    (int)strlen(p), p);
		v = json_object_get(v, part);
		p = dot ? dot + 1 : NULL;
	}
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (strcmp(field, "spec.hostNetwork") == 0)
		return "false";
	return "";
}

int
ks_fsel_match(const struct ks_fsel *sel, const json_t *obj)
{
	char buf[32];
	size_t i;
	int eq;

	if (sel == NULL)
		return 1;
	for (i = 0; i < sel->nterms; i++) {
		eq = strcmp(field_value(obj, sel->terms[i].field, buf,
		    sizeof(buf)), sel->terms[i].value) == 0;
		if (eq == sel->terms[i].neg)
			return 0;
	}
	return 1;
}
