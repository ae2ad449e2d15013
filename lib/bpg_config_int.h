/*
 * What the files of lib/bpg_config*.c share, private to them: the binding
 * state, the descriptor rows of config.yaml's keys, and the helpers each
 * file offers the others (prefix cfg_).  bpg_config.h is the public API.
 */
#ifndef BPG_CONFIG_INT_H
#define BPG_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
#define DEFAULT_CLUSTER_FAILURE_THRESHOLD 3
#define DEFAULT_CLUSTER_COOLDOWN_MILLIS 30000
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

/* ------------------------------------------------------------------ */
/* Keys as data                                                        */

/*
 * Every key of config.yaml is a row of a table: its name, how it is read,
 * where it goes (an offset in the struct bound), its default and bounds,
 * and a line for people.  cfg_bind_keys() binds a mapping by its table, in
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

/* bpg_config_value.c */
void cfg_sanitize(char *dst, size_t size, const char *s);
size_t cfg_path_key(struct ctx *c, const char *key);
size_t cfg_path_index(struct ctx *c, size_t i);
size_t cfg_path_mapkey(struct ctx *c, const char *key);
void cfg_path_pop(struct ctx *c, size_t old);
enum bpg_err __attribute__((format(printf, 4, 5))) cfg_fail(struct ctx *c,
    const json_t *node, const json_t *parent, const char *fmt, ...);
enum bpg_err cfg_nomem(struct ctx *c);
enum bpg_err __attribute__((format(printf, 2, 3))) cfg_warn(struct ctx *c,
    const char *fmt, ...);
const char *cfg_type_name(const json_t *v);
json_t *cfg_member(const json_t *obj, const char *key);
bool cfg_is_alnum(char ch);
bool cfg_has_ctl(const char *s);
enum bpg_err cfg_int_value(struct ctx *c, const json_t *v, const json_t *parent,
    int64_t min, int64_t max, int64_t *out);
enum bpg_err cfg_get_str(struct ctx *c, const json_t *obj, const char *key,
    char **out);
enum bpg_err cfg_get_req_str(struct ctx *c, const json_t *obj, const char *key,
    char **out);
enum bpg_err cfg_get_int(struct ctx *c, const json_t *obj, const char *key,
    int64_t min, int64_t max, int64_t *out, bool *has);
enum bpg_err cfg_get_num(struct ctx *c, const json_t *obj, const char *key,
    double min, bool strict, double *out, bool *has);
enum bpg_err cfg_get_bool(struct ctx *c, const json_t *obj, const char *key,
    bool *out);
enum bpg_err cfg_get_strlist(struct ctx *c, const json_t *obj, const char *key,
    struct bpg_strlist *out, unsigned flags);
enum bpg_err cfg_get_kvmap(struct ctx *c, const json_t *obj, const char *key,
    struct bpg_kvmap *out);
enum bpg_err cfg_get_obj(struct ctx *c, const json_t *obj, const char *key,
    json_t **out);
enum bpg_err cfg_get_list(struct ctx *c, const json_t *obj, const char *key,
    json_t **out);
enum bpg_err cfg_need_obj(struct ctx *c, const json_t *v, const json_t *list);
enum bpg_err cfg_warn_unknown(struct ctx *c, const json_t *obj,
    const char *const *known);

/* bpg_config_refs.c */
enum bpg_err cfg_secret_client(const struct bpg_config *cfg,
    struct bpg_secret_client **out, struct bpg_errinfo *ei);
void cfg_env_name(char *buf, size_t size, const char *ref);
enum bpg_err cfg_get_secret(struct ctx *c, const json_t *obj, const char *key,
    char **out, enum bpg_config_ref *kind);

/* bpg_config_sections.c */
key_fn cfg_fn_ui_options;
key_fn cfg_fn_volumes;
key_fn cfg_fn_pod;
key_fn cfg_fn_ca;
/* bpg_config_notify.c: queues[].notify */
key_fn cfg_fn_notify;
key_fn cfg_step_notify;
void cfg_rel_json(const struct key *k, char *base);
void cfg_rel_pod(const struct key *k, char *base);
void cfg_rel_ca(const struct key *k, char *base);

/* bpg_config_steps.c */
key_fn cfg_step_cluster_id;
key_fn cfg_step_master_url;
key_fn cfg_step_namespace;
key_fn cfg_step_token;
key_fn cfg_step_cluster_unique;
key_fn cfg_step_db;
key_fn cfg_step_s3;
key_fn cfg_step_context_path;
key_fn cfg_step_incluster;
key_fn cfg_step_trusted_header;

/* bpg_config_bind.c */
enum bpg_err cfg_bind_keys(struct ctx *c, const json_t *obj,
    const struct key *t, size_t n, char *base);
void cfg_scrub_keys(const json_t *obj, const struct key *t, size_t n);
void cfg_strlist_free(struct bpg_strlist *l, bool secret);
void cfg_kvmap_free(struct bpg_kvmap *m);
void cfg_free_keys(const struct key *t, size_t n, char *base);

/* bpg_config_keys.c */
extern const struct key cfg_root_keys[];
extern const size_t cfg_root_nkeys;
enum bpg_err cfg_bind_root(struct ctx *c, const json_t *root);

#endif /* BPG_CONFIG_INT_H */
