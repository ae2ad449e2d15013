/*
 * The SparkApplication custom resource (sparkoperator.k8s.io/v1beta2) for a
 * submission, as BPG builds it (bpg-reference sections 2.8-2.23), plus the
 * small value rules it depends on.
 */
#ifndef BPG_CRD_H
#define BPG_CRD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_label.h"
#include "bpg_req.h"
#include "bpg_zones.h"

#define BPG_CRD_GROUP "sparkoperator.k8s.io"
#define BPG_CRD_VERSION "v1beta2"
#define BPG_CRD_PLURAL "sparkapplications"
#define BPG_CRD_KIND "SparkApplication"
#define BPG_DEFAULT_MAX_RUNNING_MILLIS 43200000LL

struct bpg_crd_ctx {
	const char *submission_id;
	const char *user;	/* authenticated user: spec.originalUser */
	const char *proxy_user;	/* section 2.7 */
	const char *queue;	/* full queue, e.g. "dev.team1" */
};

/*
 * Build the CR.  req->spark_conf may be changed (bpg.pickedZones, section
 * 2.9), as BPG changes the request, so the stored request shows it too.
 * Errors are BPG_EINVAL with BPG's texts (image not found, maxRunningMillis)
 * or with a clear text where BPG gave a 500 (unparseable memory or
 * coreLimit: quirk 8), or BPG_ENOMEM.
 *
 * Checks run in section 2.25's order: zones, driver, executor, image,
 * sparkUIOptions, maxRunningMillis.  BPG_ECONFIG (500) for what BPG
 * failed with a Java exception because of its config: an empty
 * allowedZones entry ("Invalid allowedZones: Some zone is empty") and an
 * ingressTLS entry without hosts.  A user name that is not UTF-8 is
 * BPG_EINVAL.  zones may be NULL: no zone is picked and a request's
 * bpg.pickedZones is removed.  ctx->submission_id and ctx->queue must
 * not be NULL; ctx->user and ctx->proxy_user may be (the fields are then
 * left out).  On success *cr is a new reference holding no JSON null.
 */
enum bpg_err bpg_crd_build(const struct bpg_config *,
    const struct bpg_cluster *, struct bpg_submit_req *req,
    const struct bpg_crd_ctx *, struct bpg_zones *, json_t **cr,
    struct bpg_errinfo *) BPG_WUR;

/*
 * Refuse a CR that Kubernetes would refuse, before anything is written
 * (BPG sends it and turns the API server's 422 into a 500; section
 * 2.23.1).  It checks what the rules below enforce on the fields
 * bpg_crd_build() writes:
 *   - the CRD's openAPIV3Schema (sparkapplications-crd.yaml, v1beta2):
 *     required spec fields (type, sparkVersion, mainApplicationFile,
 *     driver, executor), enums (type, mode, pythonVersion,
 *     restartPolicy.type), minimums and int32/int64 ranges (cores,
 *     instances, retries and their intervals, servicePort, weights), the
 *     required fields of volumes, volume mounts, env, fieldRef and node
 *     affinity terms, and value types;
 *   - the API server's ObjectMeta rules for metadata.labels and
 *     metadata.annotations (qualified-name keys, label values), and the
 *     same rules for the driver and executor pod labels and annotations,
 *     which the operator copies onto the pods;
 *   - the operator's validating webhook: metadata.name a DNS-1035 label
 *     of at most 63 characters;
 *   - the pod name rule (a DNS-1123 subdomain) for driver.podName.
 * The first problem found is BPG_EINVAL with ei->msg
 * "Invalid SparkApplication: <field path>: <reason>" (values quoted with
 * non-printable bytes escaped, cut at 64 bytes).  cr is not changed.
 */
enum bpg_err bpg_crd_check(const json_t *cr, struct bpg_errinfo *) BPG_WUR;

/*
 * The pieces of bpg_crd_build(), public for their unit tests (section 12).
 * Each returns a new reference in *out (NULL where the text says "none")
 * and BPG_OK, or BPG_ENOMEM.  Values are copied without JSON nulls.
 */

/*
 * getSparkConf (section 2.14): default layer (Ranger gate, placeholder),
 * cluster layer (placeholder), request layer, fixed layer, spark.app.name.
 * *out is NULL when every layer is absent, else an object (maybe empty).
 * A null value in the request layer removes the key (the CR never holds
 * null).
 */
enum bpg_err bpg_crd_spark_conf(const struct bpg_config *,
    const struct bpg_cluster *, const struct bpg_submit_req *,
    const char *submission_id, json_t **out) BPG_WUR;

/*
 * getVolumes (section 2.16): the request's volumes when non-empty, else
 * the cluster's when non-empty, else NULL.  Not duplicated (quirk 6).
 */
enum bpg_err bpg_crd_volumes(const struct bpg_cluster *,
    const struct bpg_submit_req *, json_t **out) BPG_WUR;

/*
 * copyEnv (section 2.19) into the array dest: a source entry whose name
 * is in dest as dest was on entry replaces the last such entry; others are
 * appended (twice if named twice: BPG's behaviour).  Entries are copied.
 */
enum bpg_err bpg_crd_copy_env(json_t *dest, const json_t *src) BPG_WUR;

/*
 * populateEnv (section 2.19) on a spec object: for the driver then the
 * executor, the cluster's env then the request's env are merged into
 * spec.<pod>.env, creating the pod object and the list when needed.
 */
enum bpg_err bpg_crd_populate_env(json_t *spec, const struct bpg_cluster *,
    const struct bpg_submit_req *) BPG_WUR;

/*
 * SparkPodNodeAffinityHelper (section 2.12): the nodeAffinity for the
 * driver or the executors from the parent queue's config qc (NULL: none)
 * and req's bpg.pickedZones.  Never NULL on BPG_OK; may be {}.
 */
enum bpg_err bpg_crd_node_affinity(const struct bpg_queue *qc,
    const struct bpg_submit_req *, bool executor, json_t **out) BPG_WUR;

#endif
