/*
 * The SparkApplication of a submission as the text that is sent, written
 * straight from the typed request: the bytes of
 * bpg_json_dump(bpg_crd_build()) after bpg_crd_check(), without building,
 * walking and freeing the tree (most of a submission's own CPU, make
 * bench).  bpg_crd_build() stays the reference: tests/check_crd.c builds
 * every CR both ways, and tests/fuzz/fuzz_crd_text.c compares them on
 * arbitrary requests.
 */
#ifndef BPG_CRD_TEXT_H
#define BPG_CRD_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "bpg_crd.h"

/*
 * On success *text (the caller frees it) and *len hold what
 * bpg_json_dump() gives for the CR bpg_crd_build() builds with the same
 * arguments, and that CR passes bpg_crd_check().  Otherwise the error and
 * ei->msg are those of bpg_crd_build(), or else of bpg_crd_check() on its
 * CR, and *text is NULL.  req and zones change as in bpg_crd_build().
 */
enum bpg_err bpg_crd_text(const struct bpg_config *,
    const struct bpg_cluster *, struct bpg_submit_req *req,
    const struct bpg_crd_ctx *, struct bpg_zones *, char **text,
    size_t *len, struct bpg_errinfo *) BPG_WUR;

/*
 * The reference: bpg_crd_build(), bpg_crd_check() on its CR, and
 * bpg_json_dump() of it, with bpg_crd_text()'s contract.  bpg_crd_text()
 * itself takes it for the shapes it does not stream; tests compare the
 * two.
 */
enum bpg_err bpg_crd_text_ref(const struct bpg_config *,
    const struct bpg_cluster *, struct bpg_submit_req *req,
    const struct bpg_crd_ctx *, struct bpg_zones *, char **text,
    size_t *len, struct bpg_errinfo *) BPG_WUR;

/*
 * The parts of the CRs that depend on the configuration alone, written
 * once into cfg->derived: a cluster's env (when the request has none) and
 * a queue's node label expressions.  bpg_crd_text() then copies them, to
 * the same bytes; without them it writes them each time.  false: out of
 * memory (nothing is derived).  Call it where the configuration is
 * allocated (bpg_config_load_apart()).
 */
bool bpg_crd_text_prepare(struct bpg_config *);

#endif
