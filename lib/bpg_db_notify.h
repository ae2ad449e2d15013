/*
 * Notifications' tables (bpg_db_notify.c): a submission's receivers, the
 * outbox of events and the log of delivery attempts.
 *
 *   bpg_notify_target    (submission_id, idx) -> url, format, states, and
 *                        the cluster; written by the gateway with the
 *                        submission's row, before its CR exists.  Only
 *                        the receivers are kept, not the request.
 *   bpg_notify_outbox    one row per (event, receiver): event_id unique
 *                        and stable across retries, the body to post,
 *                        attempts, next try, state pending/sent/failed,
 *                        the last status code and error.
 *   bpg_notify_delivery  one row per attempt: status code (0: none),
 *                        time, error; GET /spark/{id}/notifications.
 *
 * Events are written by the statements that record a state change
 * (bpg_db_monitor_state(), bpg_db_monitor_finish(), bpg_db_mark_failed())
 * in the same transaction as the change: none is written for a change
 * that is not committed, and none is lost once it is.  Times are epoch
 * milliseconds.  Errors as in bpg_db.h; a disabled handle finds nothing
 * and writes nothing.
 */
#ifndef BPG_DB_NOTIFY_H
#define BPG_DB_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_notify.h"

#define BPG_DB_NOTIFY_PENDING "pending"
#define BPG_DB_NOTIFY_SENT "sent"
#define BPG_DB_NOTIFY_FAILED "failed"
#define BPG_DB_NOTIFY_MAX_ERROR 255	/* bytes of last_error, error */
#define BPG_DB_NOTIFY_MAX_EVENT_ID 300
#define BPG_DB_NOTIFY_MAX_LIST 1000	/* attempts GET .../notifications shows */

/* Record the receivers of submission id (on cluster). */
enum bpg_err bpg_db_notify_targets(struct bpg_db *db, const char *id,
    const char *cluster, const struct bpg_notify_spec *s,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * The receivers of submission from become to's too (on cluster): a new
 * attempt of the job (a move, bpg_monitor_starve.c) is told of as the
 * first was.  Repeating it changes nothing.
 */
enum bpg_err bpg_db_notify_copy_targets(struct bpg_db *db, const char *from,
    const char *to, const char *cluster, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Submission id has no receivers any more: a try of a submission that
 * failed over to another cluster (the submission goes on under another
 * ID, which has them) is told of to nobody.
 */
enum bpg_err bpg_db_notify_forget(struct bpg_db *db, const char *id,
    struct bpg_errinfo *ei) BPG_WUR;

/* An outbox row to deliver. */
struct bpg_db_notify_item {
	long long row;			/* the outbox row's key */
	char event_id[BPG_DB_NOTIFY_MAX_EVENT_ID + 1];
	char submission_id[256];
	char url[BPG_NOTIFY_MAX_URL + 1];
	char *body;			/* owned */
	unsigned attempts;		/* made so far */
	long long first_ms;		/* when the event was written */
};

/*
 * Up to max pending rows due at now_ms, oldest due first, into a new
 * array *items (*n of them; free with bpg_db_notify_items_free()), and in
 * *next_ms the next due time of a pending row after those (LLONG_MAX:
 * none).
 */
enum bpg_err bpg_db_notify_due(struct bpg_db *db, long long now_ms,
    size_t max, struct bpg_db_notify_item **items, size_t *n,
    long long *next_ms, struct bpg_errinfo *ei) BPG_WUR;
void bpg_db_notify_items_free(struct bpg_db_notify_item *items, size_t n);

/*
 * The result of one attempt at it: a delivery row, and the outbox row
 * moved to state (BPG_DB_NOTIFY_*) with attempts and next_ms, in one
 * transaction.  status 0: no HTTP answer; error NULL: none (cut to
 * BPG_DB_NOTIFY_MAX_ERROR bytes).
 */
enum bpg_err bpg_db_notify_result(struct bpg_db *db,
    const struct bpg_db_notify_item *it, const char *state, unsigned attempts,
    long long next_ms, long status, long long at_ms, const char *error,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * GET /spark/{id}/notifications: {"notifications": [{eventId, url,
 * state, attempts, lastStatusCode, lastError}], "deliveries": [{eventId,
 * attempt, statusCode, time, error}]} in *out (new).
 */
enum bpg_err bpg_db_notify_list(struct bpg_db *db, const char *id,
    json_t **out, struct bpg_errinfo *ei) BPG_WUR;

/*
 * GET /admin/notifications?state=failed: the newest events given up on
 * (at most BPG_DB_NOTIFY_MAX_FAILED), newest first, in *out (new):
 * {"notifications": [{submissionId, eventId, state (the submission's, as
 * the event told it), host (the receiver's; never its whole URL, which
 * may hold a token), attempts, lastStatusCode, lastError, time (of the
 * last attempt, epoch ms)}]}.
 */
#define BPG_DB_NOTIFY_MAX_FAILED 100
enum bpg_err bpg_db_notify_failed(struct bpg_db *db, json_t **out,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * notificationRetentionDays: up to max events that are finished (sent or
 * failed) and planned last before before_ms (epoch ms) are deleted, oldest
 * first, with the record of their attempts; *deleted says how many.  Run
 * in batches until one comes back short.  Pending events are never
 * touched.
 */
enum bpg_err bpg_db_notify_purge(struct bpg_db *db, long long before_ms,
    size_t max, unsigned long long *deleted, struct bpg_errinfo *ei) BPG_WUR;

#endif
