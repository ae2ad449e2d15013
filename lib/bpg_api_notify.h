/*
 * Notifications at the API's edge: the receivers of a submission (the
 * request's `notify` and its queue's `queues[].notify`), checked before
 * anything is written, and GET /spark/{id}/notifications.
 */
#ifndef BPG_API_NOTIFY_H
#define BPG_API_NOTIFY_H

#include <jansson.h>

#include "bpg_config.h"
#include "bpg_err.h"
#include "bpg_notify.h"

struct route_ctx;
struct bpg_db;

/* GET /spark/{id}/notifications. */
void api_h_notifications(struct route_ctx *);

/* GET /admin/notifications?state=failed: the events given up on. */
void api_h_admin_notifications(struct route_ctx *);

#endif
