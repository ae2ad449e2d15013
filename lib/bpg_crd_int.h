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
/* o[k] = v with the placeholder replaced. */
int crd_put_replaced(json_t *o, const char *k, const char *v, const char *id);
/* l holds s, ASCII case-insensitively. */
bool crd_strlist_has_icase(const struct bpg_strlist *l, const char *s);
/* The request's sparkConf value for key, if a string. */
const char *crd_req_conf(const struct bpg_submit_req *req, const char *key);

/* The env of one pod: the request's, merged with the cluster's, then the
 * request's again (section 2.19), or NULL if neither has one
 * (bpg_crd.c). */
enum bpg_err crd_merge_env(const json_t *cluster_env, const json_t *req_env,
    json_t **out) BPG_WUR;


/* The driver (executor false) or executor of the spec (bpg_crd_pod.c). */
enum bpg_err crd_build_pod(const struct bpg_cluster *,
    const struct bpg_submit_req *, const struct bpg_queue *qc,
    bool executor, json_t **out, struct bpg_errinfo *) BPG_WUR;

#endif
