/*
 * The parts of a SparkApplication that depend on the configuration alone,
 * written once at load (bpg_crd_text_prepare(), bpg_crd_text.h) for
 * bpg_crd_text() to copy.  Not a public interface.
 */
#ifndef BPG_CRD_PREP_H
#define BPG_CRD_PREP_H

#include <stdbool.h>
#include <stddef.h>

#include "bpg_config.h"
#include "bpg_crd_int.h"
#include "bpg_crd_tw.h"
#include "bpg_req.h"

/* Text bpg_crd_text() puts as it is. */
struct frag {
	char *s;
	size_t n;
};

/* The cluster's env, written, for pod p when its env is the cluster's;
 * or NULL (write it). */
const struct frag *crd_prep_env(const struct bpg_config *,
    const struct bpg_cluster *, const struct crd_pod *p);
/* The queue's node label expression for the pod, written; or NULL. */
const struct frag *crd_prep_expr(const struct bpg_config *,
    const struct bpg_queue *, const struct bpg_submit_req *, bool executor);
/* {"key":key,"operator":"In","values":[l...]} */
void crd_write_label_expr(struct tw *, const char *key,
    const struct bpg_strlist *l);

#endif
