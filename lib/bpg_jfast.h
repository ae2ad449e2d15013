/*
 * A one-pass reader of well-formed JSON text (RFC 8259) into a jansson
 * tree, for the submit path.
 *
 * The request reader (bpg_req_load.c) keeps every number's text: it
 * rewrites each number N of the body as the string "\u0000N" and has
 * jansson read the result (json_loadb() with JSON_REJECT_DUPLICATES,
 * JSON_DECODE_ANY and JSON_ALLOW_NUL).  That is two scans of the body
 * and jansson's lexer, which reads a byte at a time through callbacks:
 * most of the instructions of reading a request.  This reader gives the
 * same tree in one pass, for the documents that are well formed, and
 * says nothing of the others: the request reader then takes its own
 * path, which tells the client why, in jansson's words.
 */
#ifndef BPG_JFAST_H
#define BPG_JFAST_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "bpg_err.h"

/*
 * The document s[0..n) as the tree the request reader's rewrite and
 * jansson give: objects (members in their order), arrays, strings,
 * true, false, null, and each number as a string of a NUL byte followed
 * by the number's text.  Whitespace is RFC 8259's four bytes; nothing but
 * whitespace may follow the value.
 *
 * BPG_OK: *root is a new reference.  BPG_EINVAL (ei is not filled: the
 * caller's other reader says why): the text is not one well-formed
 * value, or it has what the request reader refuses: a \u0000 escape,
 * a duplicate key in an object, containers nested deeper than
 * max_depth, text that is not UTF-8 or an escape of a lone surrogate.
 * A raw NUL byte is refused too: jansson's reader skips them, and the
 * caller's other reader, which is jansson, decides what the text says.
 * BPG_ENOMEM.  *root is NULL unless BPG_OK.
 */
enum bpg_err bpg_jfast_load(const char *s, size_t n, size_t max_depth,
    json_t **root) BPG_WUR;

/*
 * The same reader a piece at a time, for a caller that takes the
 * document apart as it reads it (lib/bpg_req_stream.c) and builds trees
 * only where it wants them.  Each call skips whitespace first; a false
 * return means the text is not what was asked for (or ENOMEM: e says).
 * Strings are checked as above; what they give is valid until the next
 * string or number is read.
 */
struct bpg_jcur {
	const unsigned char *s;
	size_t n, i;
	size_t max_depth;
	char *tmp;		/* a string with escapes, or a number */
	size_t tmpcap;
	enum bpg_err e;		/* why the read stopped */
};

enum bpg_jscalar {
	BPG_JS_STRING,
	BPG_JS_NUMBER,		/* the token's text */
	BPG_JS_TRUE,
	BPG_JS_FALSE,
	BPG_JS_NULL,
};

void bpg_jcur_init(struct bpg_jcur *, const char *s, size_t n,
    size_t max_depth);
void bpg_jcur_free(struct bpg_jcur *);
/* The next byte, or -1 at the end. */
int bpg_jcur_peek(struct bpg_jcur *);
/* The next byte is c: consumed. */
bool bpg_jcur_take(struct bpg_jcur *, char c);
bool bpg_jcur_string(struct bpg_jcur *, const char **s, size_t *len);
/* A string, number, true, false or null (not an object or array). */
bool bpg_jcur_scalar(struct bpg_jcur *, enum bpg_jscalar *kind,
    const char **s, size_t *len);
/* Any value, as bpg_jfast_load() gives it, depth containers in. */
bool bpg_jcur_value(struct bpg_jcur *, size_t depth, json_t **out);
/* Nothing but whitespace is left. */
bool bpg_jcur_end(struct bpg_jcur *);

#endif
