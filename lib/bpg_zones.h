/*
 * Round-robin zone pickers, one counter per queue (bpg-reference section
 * 2.9): the zone a queue's next submission is pinned to.
 */
#ifndef BPG_ZONES_H
#define BPG_ZONES_H

#include "bpg_config.h"
#include "bpg_err.h"

struct bpg_zones;
enum bpg_err bpg_zones_new(struct bpg_zones **) BPG_WUR;
void bpg_zones_free(struct bpg_zones *);
/* A copy of z with the same counters, for a pick that must not advance z
 * (a dry run).  BPG_ENOMEM. */
enum bpg_err bpg_zones_dup(const struct bpg_zones *z,
    struct bpg_zones **out) BPG_WUR;
/* The next zone of q's allowedZones, or NULL if it has none. */
const char *bpg_zones_pick(struct bpg_zones *, const struct bpg_queue *q);
/*
 * Like bpg_zones_pick(), with errors: *zone is NULL when q is NULL or has
 * no allowedZones (BPG_OK); BPG_ECONFIG "Invalid allowedZones: Some zone
 * is empty" when an entry is NULL or "" (BPG's RuntimeException, a 500);
 * BPG_ENOMEM.  Counters are keyed by q->name and start at 0.  *zone
 * points into q.  (bpg_zones_pick() returns NULL for those errors.)
 */
enum bpg_err bpg_zones_next(struct bpg_zones *, const struct bpg_queue *q,
    const char **zone, struct bpg_errinfo *) BPG_WUR;

#endif
