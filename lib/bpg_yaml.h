/*
 * YAML documents (libyaml) read into jansson trees, so that JSON and YAML
 * bodies, and the config file, are bound to typed structs by one piece of
 * code.  The reader caps nesting depth and the number of nodes a document
 * expands to (aliases counted at every use), so "billion laughs" documents
 * fail fast instead of exhausting memory.
 */
#ifndef BPG_YAML_H
#define BPG_YAML_H

#include <stddef.h>

#include <jansson.h>

#include "bpg_err.h"

enum bpg_yaml_mode {
	/*
	 * Plain scalars are resolved the way Jackson's YAML reader does:
	 * null (~, null, empty), booleans (true/false in lower, Title or
	 * UPPER case only), decimal integers, floats.  Quoted scalars are
	 * strings.  Used for the config file.
	 */
	BPG_YAML_TYPED,
	/*
	 * Plain scalars keep their raw text as JSON strings, except null.
	 * Used for request bodies, where "sparkVersion: 3.10" must stay
	 * "3.10"; the binder converts text to numbers and booleans.
	 */
	BPG_YAML_TEXT,
};

/* Source lines of the nodes of a loaded document (for error messages). */
struct bpg_yaml_lines;

/*
 * Parse the first document of buf[0..len) into *root (a new reference the
 * caller owns).  If lines is not NULL, *lines receives a line table the
 * caller frees with bpg_yaml_lines_free().  An empty document gives a JSON
 * null.  On error nothing is returned and ei says where and why:
 * BPG_EINVAL for bad YAML, BPG_ETOOBIG over the depth or node limits,
 * BPG_ENOMEM.
 */
enum bpg_err bpg_yaml_load(const char *buf, size_t len,
    enum bpg_yaml_mode mode, json_t **root, struct bpg_yaml_lines **lines,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * 1-based line where node starts, or 0 if unknown (json_null(), json_true()
 * and json_false() are shared singletons and have no line).  lines may be
 * NULL.
 */
int bpg_yaml_line(const struct bpg_yaml_lines *lines, const json_t *node);

/* NULL is a no-op. */
void bpg_yaml_lines_free(struct bpg_yaml_lines *lines);

/*
 * Write doc as YAML text: block style, two-space indent, no "---" or
 * "..." markers, no line folding, UTF-8 kept as is.  Strings that would
 * read back as null, a boolean or a number are single-quoted; other
 * quoting is libyaml's minimum.  Object members keep their order.  On
 * success *out is a new NUL-terminated string the caller frees and *len
 * (if len is not NULL) its length; it ends with a newline.  BPG_EINVAL
 * for a NULL doc, BPG_ETOOBIG for nesting over 64 levels, BPG_ENOMEM,
 * BPG_EIO if libyaml refuses an event (a string that is not UTF-8).
 */
enum bpg_err bpg_yaml_dump(const json_t *doc, char **out, size_t *len) BPG_WUR;

#endif
