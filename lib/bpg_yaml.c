/*
 * YAML to jansson, with depth and expansion limits.
 *
 * The event parser is used rather than yaml_parser_load() so that nothing
 * is materialised twice and aliases can be counted as they are met: an alias
 * adds the size of the node it names to the document's node count, which is
 * what a consumer walking the tree would pay.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "bpg_json.h"
#include "bpg_limits.h"
#include "bpg_yaml.h"

struct bpg_yaml_line {
	const json_t *node;
	int line;
};

struct bpg_yaml_lines {
	struct bpg_yaml_line *v;
	size_t n, cap;
};

struct anchor {
	char *name;
	json_t *node;	/* a reference of its own */
	size_t size;	/* nodes in the subtree */
};

struct frame {
	json_t *node;	/* container being filled (borrowed from parent) */
	char *key;	/* pending mapping key, or NULL */
	char *anchor;	/* anchor of this container, or NULL */
	size_t start;	/* node count when the container started */
};

struct loader {
	enum bpg_yaml_mode mode;
	struct frame stack[BPG_MAX_DEPTH + 1];
	size_t depth;
	struct anchor *anchors;
	size_t nanchors;
	size_t nodes;
	struct bpg_yaml_lines *lines;
	json_t *root;
	struct bpg_errinfo *ei;
};

static bool
is_null_text(const char *s, size_t n)
{
	return n == 0 || (n == 1 && s[0] == '~') ||
	    (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) ||
	    !memcmp(s, "NULL", 4)));
}

static int
bool_text(const char *s, size_t n)
{
	if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) ||
	    !memcmp(s, "TRUE", 4)))
		return 1;
	if (n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) ||
	    !memcmp(s, "FALSE", 5)))
		return 0;
	return -1;
}

/* [-+]?[0-9]+ */
static bool
is_int_text(const char *s, size_t n)
{
	size_t i = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		i++;
	if (i == n)
		return false;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* [-+]?([0-9]*\.[0-9]*|[0-9]+)([eE][-+]?[0-9]+)?, with a digit somewhere */
static bool
is_float_text(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (digits == 0)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		if (i == n)
			return false;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			;
	}
	return i == n;
}

static json_t *
scalar_node(const struct loader *ld, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	int b;

	if (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0)
		return json_stringn(s, n);
	if (!plain)
		return json_stringn(s, n);
	if (is_null_text(s, n) ||
	    (tag != NULL && strcmp(tag, YAML_NULL_TAG) == 0))
		return json_null();
	if (ld->mode == BPG_YAML_TEXT)
		return json_stringn(s, n);
	if ((b = bool_text(s, n)) >= 0)
		return json_boolean(b);
	if (is_int_text(s, n)) {
		char buf[32];
		char *end;
		long long v;

		if (n < sizeof(buf)) {
			memcpy(buf, s, n);
			buf[n] = '\0';
			errno = 0;
			v = strtoll(buf, &end, 10);
			if (errno == 0 && *end == '\0')
				return json_integer(v);
		}
		/* Out of int64 range: keep it as a double, as Jackson
		 * would keep a BigInteger's magnitude. */
	}
	if (is_float_text(s, n)) {
		char *tmp = strndup(s, n);
		double d;

		if (tmp == NULL)
			return NULL;
		d = strtod(tmp, NULL);
		free(tmp);
		return json_real(d);
	}
	return json_stringn(s, n);
}

static enum bpg_err
note_line(struct loader *ld, const json_t *node, int line)
{
	struct bpg_yaml_lines *l = ld->lines;

	if (l == NULL || node == json_null() || node == json_true() ||
	    node == json_false())
		return BPG_OK;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		struct bpg_yaml_line *nv = reallocarray(l->v, ncap,
		    sizeof(*nv));

		if (nv == NULL)
			return BPG_ENOMEM;
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n].node = node;
	l->v[l->n].line = line;
	l->n++;
	return BPG_OK;
}

static enum bpg_err
add_anchor(struct loader *ld, const char *name, json_t *node, size_t size)
{
	struct anchor *na;

	/* A redefined anchor shadows the earlier one (YAML 1.2 §3.2.2.2). */
	na = reallocarray(ld->anchors, ld->nanchors + 1, sizeof(*na));
	if (na == NULL)
		return BPG_ENOMEM;
	ld->anchors = na;
	if ((na[ld->nanchors].name = strdup(name)) == NULL)
		return BPG_ENOMEM;
	na[ld->nanchors].node = json_incref(node);
	na[ld->nanchors].size = size;
	ld->nanchors++;
	return BPG_OK;
}

static const struct anchor *
find_anchor(const struct loader *ld, const char *name)
{
	size_t i;

	for (i = ld->nanchors; i-- > 0;)
		if (strcmp(ld->anchors[i].name, name) == 0)
			return &ld->anchors[i];
	return NULL;
}

/*
 * Attach a finished node (a new reference, consumed) to the current
 * container, or make it the root.
 */
static enum bpg_err
attach(struct loader *ld, json_t *node, const yaml_mark_t *mark)
{
	struct frame *f;

	if (ld->depth == 0) {
		ld->root = node;
		return BPG_OK;
	}
	f = &ld->stack[ld->depth - 1];
	if (json_is_array(f->node)) {
		if (json_array_append_new(f->node, node) != 0)
			return BPG_ENOMEM;
		return BPG_OK;
	}
	if (f->key == NULL) {
		/* This node is a key: only scalars can be keys. */
		if (!json_is_string(node) && !json_is_null(node)) {
			json_decref(node);
			return bpg_errf(ld->ei, BPG_EINVAL,
			    "line %zu: only scalar mapping keys are supported",
			    mark->line + 1);
		}
		f->key = strdup(json_is_string(node) ? json_string_value(node) :
		    "");
		json_decref(node);
		return f->key == NULL ? BPG_ENOMEM : BPG_OK;
	}
	/* Duplicate keys: the last one wins, as BPG's config binding. */
	if (json_object_set_new(f->node, f->key, node) != 0) {
		free(f->key);
		f->key = NULL;
		return BPG_ENOMEM;
	}
	free(f->key);
	f->key = NULL;
	return BPG_OK;
}

/* Mapping keys are read as text whatever the mode. */
static bool
expecting_key(const struct loader *ld)
{
	const struct frame *f;

	if (ld->depth == 0)
		return false;
	f = &ld->stack[ld->depth - 1];
	return json_is_object(f->node) && f->key == NULL;
}

static enum bpg_err
count_nodes(struct loader *ld, size_t n, const yaml_mark_t *mark)
{
	ld->nodes += n;
	if (ld->nodes > BPG_MAX_YAML_NODES)
		return bpg_errf(ld->ei, BPG_ETOOBIG,
		    "line %zu: document expands to more than %d nodes",
		    mark->line + 1, BPG_MAX_YAML_NODES);
	return BPG_OK;
}

static enum bpg_err
on_event(struct loader *ld, const yaml_event_t *ev)
{
	const yaml_mark_t *mark = &ev->start_mark;
	const struct anchor *a;
	struct frame *f;
	json_t *node;
	enum bpg_err e;
	bool key;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if ((e = count_nodes(ld, 1, mark)) != BPG_OK)
			return e;
		key = expecting_key(ld);
		if (key)
			node = json_stringn((const char *)ev->data.scalar.value,
			    ev->data.scalar.length);
		else
			node = scalar_node(ld, ev);
		if (node == NULL)
			return bpg_errf(ld->ei, BPG_EINVAL,
			    "line %zu: scalar is not valid UTF-8",
			    mark->line + 1);
		/* Keys are freed once used: their addresses get reused. */
		if (!key &&
		    (e = note_line(ld, node, (int)mark->line + 1)) != BPG_OK)
			goto fail;
		if (ev->data.scalar.anchor != NULL &&
		    (e = add_anchor(ld, (const char *)ev->data.scalar.anchor,
		    node, 1)) != BPG_OK)
			goto fail;
		return attach(ld, node, mark);
	case YAML_ALIAS_EVENT:
		a = find_anchor(ld, (const char *)ev->data.alias.anchor);
		if (a == NULL)
			return bpg_errf(ld->ei, BPG_EINVAL,
			    "line %zu: unknown alias '%s'", mark->line + 1,
			    (const char *)ev->data.alias.anchor);
		if ((e = count_nodes(ld, a->size, mark)) != BPG_OK)
			return e;
		if (expecting_key(ld) && !json_is_string(a->node))
			return bpg_errf(ld->ei, BPG_EINVAL,
			    "line %zu: only scalar mapping keys are supported",
			    mark->line + 1);
		/* Shared, not copied: the node count above bounds any walk. */
		return attach(ld, json_incref(a->node), mark);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (expecting_key(ld))
			return bpg_errf(ld->ei, BPG_EINVAL,
			    "line %zu: only scalar mapping keys are supported",
			    mark->line + 1);
		if (ld->depth >= BPG_MAX_DEPTH)
			return bpg_errf(ld->ei, BPG_ETOOBIG,
			    "line %zu: nesting deeper than %d levels",
			    mark->line + 1, BPG_MAX_DEPTH);
		if ((e = count_nodes(ld, 1, mark)) != BPG_OK)
			return e;
		node = ev->type == YAML_SEQUENCE_START_EVENT ? json_array() :
		    json_object();
		if (node == NULL)
			return BPG_ENOMEM;
		if ((e = note_line(ld, node, (int)mark->line + 1)) != BPG_OK)
			goto fail;
		f = &ld->stack[ld->depth];
		memset(f, 0, sizeof(*f));
		f->start = ld->nodes;
		{
			const yaml_char_t *an =
			    ev->type == YAML_SEQUENCE_START_EVENT ?
			    ev->data.sequence_start.anchor :
			    ev->data.mapping_start.anchor;

			if (an != NULL &&
			    (f->anchor = strdup((const char *)an)) == NULL) {
				e = BPG_ENOMEM;
				goto fail;
			}
		}
		/* Attach first, keep a borrowed pointer on the stack. */
		f->node = node;
		if ((e = attach(ld, json_incref(node), mark)) != BPG_OK) {
			free(f->anchor);
			goto fail;
		}
		json_decref(node);
		ld->depth++;
		return BPG_OK;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		f = &ld->stack[--ld->depth];
		e = BPG_OK;
		if (f->anchor != NULL)
			e = add_anchor(ld, f->anchor, f->node,
			    ld->nodes - f->start + 1);
		free(f->anchor);
		free(f->key);
		f->anchor = f->key = NULL;
		return e;
	default:
		return BPG_OK;
	}
fail:
	json_decref(node);
	return e;
}

enum bpg_err
bpg_yaml_load(const char *buf, size_t len, enum bpg_yaml_mode mode,
    json_t **root, struct bpg_yaml_lines **lines, struct bpg_errinfo *ei)
{
	struct loader ld;
	yaml_parser_t parser;
	yaml_event_t ev;
	enum bpg_err e = BPG_OK;
	bool done = false, indoc = false;
	size_t i;

	*root = NULL;
	if (lines != NULL)
		*lines = NULL;
	memset(&ld, 0, sizeof(ld));
	ld.mode = mode;
	ld.ei = ei;
	if (lines != NULL && (ld.lines = calloc(1, sizeof(*ld.lines))) == NULL)
		return BPG_ENOMEM;
	if (!yaml_parser_initialize(&parser)) {
		bpg_yaml_lines_free(ld.lines);
		return BPG_ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			e = bpg_errf(ei, BPG_EINVAL, "line %zu column %zu: %s%s%s",
			    parser.problem_mark.line + 1,
			    parser.problem_mark.column + 1,
			    parser.problem ? parser.problem : "syntax error",
			    parser.context ? " " : "",
			    parser.context ? parser.context : "");
			break;
		}
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			indoc = true;
			break;
		case YAML_DOCUMENT_END_EVENT:
			/* Only the first document counts. */
			done = true;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			if (indoc)
				e = on_event(&ld, &ev);
			break;
		}
		yaml_event_delete(&ev);
		if (e != BPG_OK)
			break;
	}
	yaml_parser_delete(&parser);
	for (i = 0; i < ld.depth; i++) {
		free(ld.stack[i].key);
		free(ld.stack[i].anchor);
	}
	for (i = 0; i < ld.nanchors; i++) {
		free(ld.anchors[i].name);
		json_decref(ld.anchors[i].node);
	}
	free(ld.anchors);
	if (e != BPG_OK) {
		if (e == BPG_ENOMEM)
			bpg_errf(ei, e, "out of memory");
		json_decref(ld.root);
		bpg_yaml_lines_free(ld.lines);
		return e;
	}
	*root = ld.root != NULL ? ld.root : json_null();
	if (lines != NULL)
		*lines = ld.lines;
	return BPG_OK;
}

int
bpg_yaml_line(const struct bpg_yaml_lines *lines, const json_t *node)
{
	size_t i;

	if (lines == NULL || node == NULL)
		return 0;
	for (i = 0; i < lines->n; i++)
		if (lines->v[i].node == node)
			return lines->v[i].line;
	return 0;
}

void
bpg_yaml_lines_free(struct bpg_yaml_lines *lines)
{
	if (lines == NULL)
		return;
	free(lines->v);
	free(lines);
}

/* ---- writing ------------------------------------------------------ */

/* Deepest JSON the writer follows (Kubernetes objects are far shallower). */
#define DUMP_MAX_DEPTH 64

struct dump_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

static int
dump_write(void *arg, unsigned char *buf, size_t n)
{
	struct dump_buf *b = arg;
	size_t ncap;
	char *np;

	if (b->len + n + 1 > b->cap) {
		ncap = b->cap ? b->cap : 4096;
		while (ncap < b->len + n + 1)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->oom = true;
			return 0;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, buf, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 1;
}

/*
 * Whether a string written as a plain scalar would read back as something
 * else: null, a boolean or a number, in YAML 1.2's core schema (what
 * bpg_yaml_load() resolves) or YAML 1.1 (yes/no/on/off, .inf, 0x..., which
 * older readers resolve).  Such strings are written quoted.
 */
static bool
plain_is_ambiguous(const char *s, size_t n)
{
	static const char *const words[] = {
		"yes", "no", "on", "off", ".inf", "-.inf", "+.inf",
		".nan",
	};
	char low[8];
	size_t i;

	if (is_null_text(s, n) || bool_text(s, n) >= 0 || is_int_text(s, n) ||
	    is_float_text(s, n))
		return true;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' ||
	    s[1] == 'b'))
		return true;
	if (n < sizeof(low)) {
		for (i = 0; i < n; i++)
			low[i] = (s[i] >= 'A' && s[i] <= 'Z') ?
			    (char)(s[i] + 32) : s[i];
		low[n] = '\0';
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strcmp(low, words[i]) == 0)
				return true;
	}
	return false;
}

static int
emit_scalar(yaml_emitter_t *em, const char *s, size_t n, bool is_string)
{
	yaml_event_t ev;
	bool quote = is_string && plain_is_ambiguous(s, n);

	/* libyaml only reads the value; the cast drops const. */
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL,
	    (yaml_char_t *)(uintptr_t)s, (int)n, !quote, 1,
	    quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE))
		return 0;
	return yaml_emitter_emit(em, &ev);
}

static enum bpg_err
emit_node(yaml_emitter_t *em, const json_t *v, int depth)
{
	yaml_event_t ev;
	const char *key;
	const json_t *item;
	char num[64];
	size_t i;
	int ok;
	enum bpg_err e;

	if (depth > DUMP_MAX_DEPTH)
		return BPG_ETOOBIG;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE) || !yaml_emitter_emit(em, &ev))
			return BPG_EIO;
		json_object_foreach((json_t *)(uintptr_t)v, key, item) {
			if (!emit_scalar(em, key, strlen(key), true))
				return BPG_EIO;
			if ((e = emit_node(em, item, depth + 1)) != BPG_OK)
				return e;
		}
		if (!yaml_mapping_end_event_initialize(&ev) ||
		    !yaml_emitter_emit(em, &ev))
			return BPG_EIO;
		return BPG_OK;
	case JSON_ARRAY:
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_SEQUENCE_STYLE) || !yaml_emitter_emit(em, &ev))
			return BPG_EIO;
		json_array_foreach(v, i, item)
			if ((e = emit_node(em, item, depth + 1)) != BPG_OK)
				return e;
		if (!yaml_sequence_end_event_initialize(&ev) ||
		    !yaml_emitter_emit(em, &ev))
			return BPG_EIO;
		return BPG_OK;
	case JSON_STRING:
		ok = emit_scalar(em, json_string_value(v),
		    json_string_length(v), true);
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		ok = emit_scalar(em, num, strlen(num), false);
		break;
	case JSON_REAL:
		/* The shortest text that reads back, as the JSON has it. */
		ok = emit_scalar(em, num, bpg_json_real_text(json_real_value(v),
		    num, sizeof(num)), false);
		break;
	case JSON_TRUE:
		ok = emit_scalar(em, "true", 4, false);
		break;
	case JSON_FALSE:
		ok = emit_scalar(em, "false", 5, false);
		break;
	default:
		ok = emit_scalar(em, "null", 4, false);
		break;
	}
	return ok ? BPG_OK : BPG_EIO;
}

enum bpg_err
bpg_yaml_dump(const json_t *doc, char **out, size_t *len)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	struct dump_buf b = { NULL, 0, 0, false };
	enum bpg_err e = BPG_EIO;

	*out = NULL;
	if (len != NULL)
		*len = 0;
	if (doc == NULL)
		return BPG_EINVAL;
	if (!yaml_emitter_initialize(&em))
		return BPG_ENOMEM;
	yaml_emitter_set_output(&em, dump_write, &b);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_indent(&em, 2);
	/* No folding of long values. */
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_break(&em, YAML_LN_BREAK);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&em, &ev))
		goto out;
	/* Implicit start and end: no "---" and no "...". */
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&em, &ev))
		goto out;
	if ((e = emit_node(&em, doc, 0)) != BPG_OK)
		goto out;
	e = BPG_EIO;
	if (!yaml_document_end_event_initialize(&ev, 1) ||
	    !yaml_emitter_emit(&em, &ev) ||
	    !yaml_stream_end_event_initialize(&ev) ||
	    !yaml_emitter_emit(&em, &ev) || !yaml_emitter_flush(&em))
		goto out;
	e = BPG_OK;
out:
	yaml_emitter_delete(&em);
	if (e == BPG_OK && b.oom)
		e = BPG_ENOMEM;
	if (e == BPG_OK && b.p == NULL &&
	    (b.p = strdup("")) == NULL)
		e = BPG_ENOMEM;
	if (e != BPG_OK) {
		free(b.p);
		return e;
	}
	*out = b.p;
	if (len != NULL)
		*len = b.len;
	return BPG_OK;
}
