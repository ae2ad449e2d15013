/*
 * The SparkApplication custom resource (sparkoperator.k8s.io/v1beta2) for a
 * submission, as BPG builds it (bpg-reference sections 2.8-2.23), plus the
 * small value rules it depends on.
 */
#ifndef BPG_CRD_H
#define BPG_CRD_H

#include <stdint.h>

#include <jansson.h>

#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_req.h"

#define BPG_CRD_GROUP "sparkoperator.k8s.io"
#define BPG_CRD_VERSION "v1beta2"
#define BPG_CRD_PLURAL "sparkapplications"
#define BPG_CRD_KIND "SparkApplication"
#define BPG_DEFAULT_MAX_RUNNING_MILLIS 43200000LL

/* Round-robin zone pickers, one counter per queue (section 2.9). */
struct bpg_zones;
enum bpg_err bpg_zones_new(struct bpg_zones **) BPG_WUR;
void bpg_zones_free(struct bpg_zones *);
/* The next zone of q's allowedZones, or NULL if it has none. */
const char *bpg_zones_pick(struct bpg_zones *, const struct bpg_queue *q);

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
 */
enum bpg_err bpg_crd_build(const struct bpg_config *,
    const struct bpg_cluster *, struct bpg_submit_req *req,
    const struct bpg_crd_ctx *, struct bpg_zones *, json_t **cr,
    struct bpg_errinfo *) BPG_WUR;

/*
 * normalizeLabelValue (section 2.21): a valid label value of at most 63
 * characters.  New string; NULL for NULL input or ENOMEM.
 */
char *bpg_label_normalize(const char *s);

/* RFC 3339 / ISO-8601 instant to epoch ms (section 3.3); -1 if not one. */
int64_t bpg_time_parse_ms(const char *s);

#endif
