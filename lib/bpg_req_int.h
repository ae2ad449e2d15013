/*
 * Private declarations shared by the submit request parser's files
 * (bpg_req*.c): the binder, its scalar helpers, the nested object shapes
 * and the body loaders.  Not for any other module: they use bpg_req.h.
 */
#ifndef BPG_REQ_INT_H
#define BPG_REQ_INT_H

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

/* Class-like tags (see the comment at the top of bpg_req.c). */
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

struct binder {
	enum bpg_req_format fmt;
	const struct bpg_yaml_lines *lines;	/* YAML only */
	struct bpg_errinfo *ei;
	size_t *text;		/* bytes of strings kept so far */
};

/* A scalar as Jackson's String coercion sees it. */
struct scalar {
	const char *s;
	size_t len;
	bool number;	/* a JSON number token (s is its source text) */
	char buf[32];
};

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

/* bpg_req_scalar.c */
enum bpg_err req_fail(struct bpg_errinfo *ei, enum bpg_err e,
    enum bpg_req_format fmt, const char *tag, const char *text);
enum bpg_err req_bind_fail(const struct binder *b, enum bpg_err e,
    const json_t *where, const char *tag, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
enum bpg_err req_type_fail(const struct binder *b, const json_t *n,
    const json_t *where, const char *path, const char *expected);
enum bpg_err req_check_entries(const struct binder *b, const json_t *n,
    const char *path, size_t count);
void req_child_index(char *dst, const char *parent, size_t i);
void req_child_key(char *dst, const char *parent, const char *key);
enum bpg_err req_bind_text(const struct binder *b, json_t *n, const char *path,
    struct scalar *sc, bool *present);
enum bpg_err req_bind_bool(const struct binder *b, json_t *n, const char *path,
    bool *has, bool *out);
enum bpg_err req_bind_int(const struct binder *b, json_t *n, const char *path,
    int64_t min, int64_t max, bool *has, int64_t *out);
enum bpg_err req_bind_double(const struct binder *b, json_t *n,
    const char *path, json_t **out);
enum bpg_err req_bind_strlist(const struct binder *b, json_t *n,
    const char *path, json_t **out);
enum bpg_err req_bind_strmap(const struct binder *b, json_t *n,
    const char *path, json_t **out);

/* bpg_req_shape.c */
enum bpg_err req_bind_shape(const struct binder *b, json_t *n, const char *path,
    const struct jshape *sh, json_t **out);
enum bpg_err req_bind_objlist(const struct binder *b, json_t *n,
    const char *path, const struct jshape *sh, json_t **out);

/* bpg_req_retry.c: retryPolicy as plain JSON, checked (bpg_retry.h). */
enum bpg_err req_bind_retry(const struct binder *b, json_t *n,
    const char *path, json_t **out);

/* bpg_req_load.c */
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
	S_RETRY,	/* json_t * retryPolicy (bpg_req_retry.c) */
	S_RAW,		/* json_t * as sent, checked by its own module */
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

/* The request's fields and a pod's (bpg_req.c). */
extern const struct sfield req_fields[], pod_fields[];
extern const size_t req_nfields, pod_nfields;
/* One field f of the request or a pod, v as its value, into base. */
enum bpg_err req_bind_sfield(const struct binder *, const struct sfield *f,
    json_t *v, const char *path, void *base);
void req_pod_reset(struct bpg_pod_req *);
/* [+-]?[0-9]+ into *v: 0, 1 if not an integer, 2 if out of range. */
int req_parse_i64(const char *s, size_t len, int64_t *v);
/* s[0..len) passes a string field's checks (and is counted). */
bool req_text_ok(const struct binder *, const char *s, size_t len);

/*
 * A JSON request bound as it is read (bpg_req_stream.c): BPG_OK with out
 * bound exactly as the tree binder binds it, BPG_ENOMEM, or anything
 * else for a body it leaves to the tree binder (not well formed, an
 * unknown or repeated field, a value the binder refuses: the tree binder
 * then says which).  out is the caller's to reset in every case.
 */
enum bpg_err req_json_stream(const char *body, size_t len,
    const struct binder *, struct bpg_submit_req *out);

enum bpg_err req_json_load(const char *body, size_t len, json_t **root,
    struct bpg_errinfo *ei);
/* The same without bpg_jfast_load(): the reference tests hold it to. */
enum bpg_err req_json_load_ref(const char *body, size_t len, json_t **root,
    struct bpg_errinfo *ei);
enum bpg_err req_yaml_load(const char *body, size_t len, json_t **root,
    struct bpg_yaml_lines **lines, struct bpg_errinfo *ei);

/* Shapes the request fields name (bpg_req_shape.c). */
extern const struct jshape s_volume, s_env, s_mount, s_secctx,
    s_affinity, s_dns, s_deps, s_restart;

#endif /* BPG_REQ_INT_H */
