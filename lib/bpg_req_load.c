/* Submit request bodies into a jansson tree: JSON and YAML (bpg_req.c). */
#include "bpg_jfast.h"
#include "bpg_json.h"
#include "bpg_req_int.h"

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
			for (j = i; j < n && bpg_json_number_char((unsigned char)s[j]); j++)
				;
			if (!key && bpg_json_is_number(s + i, j - i)) {
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

/*
 * Body to tree, numbers marked (see the top of the file).  fast: a
 * well-formed body is read in one pass by bpg_jfast_load(), which gives
 * the same tree; the scan and jansson read the rest and say what is
 * wrong.
 */
static enum bpg_err
json_parse(const char *body, size_t len, bool fast, json_t **root,
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
	if (fast) {
		switch (bpg_jfast_load(body, len, BPG_MAX_DEPTH, root)) {
		case BPG_OK:
			return BPG_OK;
		case BPG_ENOMEM:
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		default:
			break;
		}
	}
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
json_load(const char *body, size_t len, bool fast, json_t **root,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	e = json_parse(body, len, fast, root, ei);
	/* Section 2.1: any JSON failure, on the whole body as received. */
	if (e == BPG_EINVAL && bpg_req_looks_like_path(body, len))
		return bpg_errf(ei, e, "%s", PATH_MSG);
	return e;
}

enum bpg_err
req_json_load(const char *body, size_t len, json_t **root,
    struct bpg_errinfo *ei)
{
	return json_load(body, len, true, root, ei);
}

enum bpg_err
req_json_load_ref(const char *body, size_t len, json_t **root,
    struct bpg_errinfo *ei)
{
	return json_load(body, len, false, root, ei);
}

enum bpg_err
req_yaml_load(const char *body, size_t len, json_t **root,
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
