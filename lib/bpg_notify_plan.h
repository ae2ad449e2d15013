/*
 * Which receivers a submission has: its request's notify field checked
 * against the config's policy, and its queue's defaults.  POST /spark,
 * the schedules' endpoints and the monitor's own submissions all ask it.
 */
#ifndef BPG_NOTIFY_PLAN_H
#define BPG_NOTIFY_PLAN_H

#include <jansson.h>

#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_notify.h"

struct bpg_db;

/*
 * The receivers of a submission to queue (the full queue) into *out: the
 * request's field (NULL: none) first, then the queue's defaults (its own,
 * else its parent's).  BPG_EINVAL (a 400) with ei->msg naming the field
 * ("notify.url: ...") when the field is malformed, a URL is refused by
 * the policy (scheme, host, an address in a private range, also after
 * resolving its host), or notifications cannot be sent here (no
 * database, no notificationSecretSOPS).  A queue default that no longer
 * resolves to an allowed address is dropped, with a log line.
 */
enum bpg_err bpg_notify_plan(const struct bpg_config *cfg,
    const struct bpg_db *db, const json_t *field, const char *queue,
    struct bpg_notify_spec *out, struct bpg_errinfo *ei) BPG_WUR;

#endif
