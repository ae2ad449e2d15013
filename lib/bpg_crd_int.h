/*
 * What the SparkApplication builder's files (bpg_crd.c, bpg_crd_pod.c,
 * bpg_crd_json.c) share; not a public interface.
 */
#ifndef BPG_CRD_INT_H
#define BPG_CRD_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_crd.h"

#define PLACEHOLDER "{spark-application-resource-name}"
#define SAFE_TO_EVICT "cluster-autoscaler.kubernetes.io/safe-to-evict"
#define DEFAULT_NODE_LABEL_KEY "node_group_category"
#define ZONE_LABEL_KEY "topology.kubernetes.io/zone"
#define PICKED_ZONES "bpg.pickedZones"
#define MAX_RUNNING_KEY "bpg.maxRunningMillis"
/* How much of a bad value a message repeats. */
#define ECHO_MAX 64

#define PUT(x) do { if ((x) != 0) goto nomem; } while (0)

/*
 * JSON helpers (bpg_crd_json.c).  The put_* functions return 0, or -1
 * when out of memory.
 */

/*
 * Deep copy of in without JSON nulls (object members and array elements
 * that are null are left out).  *out is NULL when in is NULL or null.
 */
enum bpg_err crd_clean_copy(const json_t *in, json_t **out);
/* v holds a JSON null somewhere (or is nested too deep to tell): its
 * crd_clean_copy() would differ from it. */
bool crd_has_null(const json_t *v);
/* Set o[k] = v (stolen) unless v is NULL.  -1 on failure. */
int crd_put_new(json_t *o, const char *k, json_t *v);
/* Move *v (may be NULL: nothing to set) into o[k]; *v is NULL after. */
int crd_put_take(json_t *o, const char *k, json_t **v);
/* Set o[k] = v, a value just allocated: NULL means out of memory. */
int crd_put_alloc(json_t *o, const char *k, json_t *v);
/* {k: v} and [v], taking v (released on failure): NULL means out of
 * memory.  Cheaper than json_pack(), which parses its format each time. */
json_t *crd_obj1(const char *k, json_t *v);
json_t *crd_arr1(json_t *v);
/* Set o[k] = "v" unless v is NULL. */
int crd_put_str(json_t *o, const char *k, const char *v);
/* Set o[k] = copy of v (nulls removed) unless v is NULL or null. */
int crd_put_copy(json_t *o, const char *k, const json_t *v);
/* s with every PLACEHOLDER replaced by id; new string or NULL (ENOMEM). */
char *crd_replace_placeholder(const char *s, const char *id);
/* The same into buf of size bytes, NUL-terminated when it fits: the
 * length of the whole result (>= size: it did not fit), as snprintf(). */
size_t crd_replace_placeholder_in(const char *s, const char *id, char *buf,
    size_t size);
/* o[k] = v with the placeholder replaced. */
int crd_put_replaced(json_t *o, const char *k, const char *v, const char *id);
/* l holds s, ASCII case-insensitively. */
bool crd_strlist_has_icase(const struct bpg_strlist *l, const char *s);
/* The request's sparkConf value for key, if a string. */
const char *crd_req_conf(const struct bpg_submit_req *req, const char *key);

/*
 * getSparkConf's layers (section 2.14) as operations on a map: set(key,
 * value, id) sets key, keeping its place when it is there; id non-NULL
 * means the value's placeholders become id; del(key) removes key.  set
 * returns 0, or -1 when out of memory.  crd_conf_layers() returns the
 * same; crd_conf_any() says whether there is any layer (else no map).
 */
struct crd_conf_ops {
	int (*set)(void *arg, const char *key, const char *value,
	    const char *id);
	void (*del)(void *arg, const char *key);
};
bool crd_conf_any(const struct bpg_config *, const struct bpg_cluster *,
    const struct bpg_submit_req *);
int crd_conf_layers(const struct bpg_config *, const struct bpg_cluster *,
    const struct bpg_submit_req *, const char *id,
    const struct crd_conf_ops *, void *arg);

/* The node label key and values of the pod's queue for section 2.12
 * (*l NULL: none). */
void crd_node_labels(const struct bpg_queue *qc,
    const struct bpg_submit_req *, bool executor,
    const struct bpg_strlist **l, const char **key);

/* The env of one pod: the request's, merged with the cluster's, then the
 * request's again (section 2.19), or NULL if neither has one
 * (bpg_crd.c). */
enum bpg_err crd_merge_env(const json_t *cluster_env, const json_t *req_env,
    json_t **out) BPG_WUR;


/*
 * What a pod's part of the CR is computed from (bpg_crd_pod.c): the
 * values with rules and errors of their own, shared by the tree
 * (crd_build_pod) and the text (bpg_crd_text.c).
 */
struct crd_pod {
	bool executor;
	const struct bpg_pod_req *rp;	/* NULL: not in the request */
	int64_t cores;
	char limit[64];
	char memory[128];
	json_t *env;			/* merged (section 2.19), or NULL */
	bool env_borrowed;		/* env is the cluster's (share) */
	const char *service_account;	/* or NULL */
	const json_t *mounts;		/* borrowed, or NULL */
};

/* Sections 2.10 and 2.11 up to the values: the errors of a bad cores,
 * coreLimit or memory.  crd_pod_done() frees it, even after an error.
 * share: p->env may be a reference to the cluster's env when the merge
 * would copy it unchanged (for a reader only; a tree must own its env). */
enum bpg_err crd_pod_prep(const struct bpg_cluster *,
    const struct bpg_submit_req *, const struct bpg_queue *qc,
    bool executor, bool share, struct crd_pod *,
    struct bpg_errinfo *) BPG_WUR;
void crd_pod_done(struct crd_pod *);

/* p's pod as a tree (it takes p->env). */
enum bpg_err crd_pod_tree(struct crd_pod *p, const struct bpg_submit_req *,
    const struct bpg_queue *qc, json_t **out, struct bpg_errinfo *) BPG_WUR;

/* The driver (executor false) or executor of the spec, as a tree. */
enum bpg_err crd_build_pod(const struct bpg_cluster *,
    const struct bpg_submit_req *, const struct bpg_queue *qc,
    bool executor, json_t **out, struct bpg_errinfo *) BPG_WUR;

/*
 * Everything of bpg_crd_build() but the emitting, in its order of errors
 * (bpg_crd.c): ctx, the zone pick (which changes req), both pods, the
 * image, sparkUIOptions, volumes, maxRunningMillis.  crd_spec_done()
 * frees it, even after an error.
 */
struct crd_spec {
	const struct bpg_queue *qc;	/* the parent queue, or NULL */
	const char *type;
	const char *image;
	struct crd_pod pod[2];		/* driver, executor */
	json_t *ui;			/* sparkUIOptions, or NULL */
	json_t *vols;			/* volumes (cleaned), or NULL */
	int64_t max_ms;
};
enum bpg_err crd_spec_prep(const struct bpg_config *,
    const struct bpg_cluster *, struct bpg_submit_req *,
    const struct bpg_crd_ctx *, struct bpg_zones *, bool share,
    struct crd_spec *, struct bpg_errinfo *) BPG_WUR;
void crd_spec_done(struct crd_spec *);

/*
 * The checks of bpg_crd_check() (bpg_crd_check.c) for a CR that is
 * written without a tree (bpg_crd_text.c): the same rules and texts, on
 * values given one at a time.  k's path is where the writer is.
 */
struct crd_chk {
	struct bpg_errinfo *ei;
	char path[512];
	size_t plen;
};
void crd_chk_init(struct crd_chk *, struct bpg_errinfo *);
/* Append ".key" to the path; returns what crd_chk_pop() goes back to. */
size_t crd_chk_push(struct crd_chk *, const char *key);
void crd_chk_pop(struct crd_chk *, size_t);
/* "Required value" for the member key. */
enum bpg_err crd_chk_required(struct crd_chk *, const char *key) BPG_WUR;

/* What a member is, for crd_chk_member(). */
enum crd_member {
	CRD_M_STRLIST,		/* a list of strings (arguments) */
	CRD_M_VOLUMES,
	CRD_M_ENV,
	CRD_M_ANNOTATIONS,
	CRD_M_MOUNTS,
	CRD_M_SECCTX,
	CRD_M_AFFINITY,
	CRD_M_DEPS,
	CRD_M_RESTART,
	CRD_M_UI,
};
/* v (NULL: absent) as the member key of the object at k's path, as
 * bpg_crd_check() checks that member. */
enum bpg_err crd_chk_member(struct crd_chk *, const char *key,
    const json_t *v, enum crd_member) BPG_WUR;

/* An integer member in [min, max]. */
enum bpg_err crd_chk_int(struct crd_chk *, const char *key, int64_t n,
    int64_t min, int64_t max) BPG_WUR;
/* A string member that must be one of vals (NULL-terminated). */
enum bpg_err crd_chk_enum(struct crd_chk *, const char *key, const char *s,
    const char *const *vals) BPG_WUR;
extern const char *const crd_types[], *const crd_pythons[];
/* metadata.name, metadata.namespace, driver.podName. */
enum bpg_err crd_chk_name(struct crd_chk *, const char *s) BPG_WUR;
enum bpg_err crd_chk_namespace(struct crd_chk *, const char *s) BPG_WUR;
enum bpg_err crd_chk_podname(struct crd_chk *, const char *s) BPG_WUR;

/* One entry of a map of strings at k's path (labels: label rules;
 * annotations: key rules, adding its size to *total); s is NULL when
 * the value is not a string. */
enum bpg_err crd_chk_label(struct crd_chk *, const char *key,
    const char *s) BPG_WUR;
/* The same for a key known to be a valid label key (a constant). */
enum bpg_err crd_chk_label_value(struct crd_chk *, const char *key,
    const char *s) BPG_WUR;
enum bpg_err crd_chk_annotation(struct crd_chk *, const char *key,
    const char *s, size_t slen, size_t *total) BPG_WUR;
/* The annotations' size, after the last entry. */
enum bpg_err crd_chk_annotations_total(struct crd_chk *,
    size_t total) BPG_WUR;

#endif
