/*
 * POST /spark's idempotency keys (bpg_idem.h): the step before the
 * submission pipeline and the step after it.
 *
 * Keys are per authenticated user.  The Airflow account's dagUser is not
 * part of the scope but of the request: the same key sent with another
 * dagUser is another request (422), so one Airflow key never yields two
 * jobs.
 */
#ifndef BPG_API_IDEM_H
#define BPG_API_IDEM_H

#include <stdbool.h>

#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_idem.h"

struct route_ctx;

/* A request's hold on its key; zeroed by api_idem_begin(). */
struct api_idem {
	bool active;		/* this request owns the key's row */
	struct bpg_db_idem_ref ref;
	char owner[BPG_IDEM_OWNER_HEX + 1];
	char hash[BPG_IDEM_HASH_HEX + 1];
};

/*
 * Before the pipeline: the key of rc (its Idempotency-Key header and
 * field, the body's idempotencyKey, borrowed, NULL: none) checked, and
 * for a real submission the key's row claimed.  True: run the pipeline
 * (no key, a dry run, or this request owns the key: id->active); false:
 * rc->resp holds the answer (400 for a bad key, the stored answer, 409
 * while another request with the key is in flight, 422 for another
 * request under the same key, 503 when the database fails).
 */
bool api_idem_begin(struct route_ctx *rc, const char *field, bool dry_run,
    struct api_idem *id);

/*
 * The submission ID chosen, before anything is created: recorded in the
 * key's row (nothing without id->active).  BPG_EDB when it cannot be:
 * then nothing may be created.
 */
enum bpg_err api_idem_chosen(struct route_ctx *rc, struct api_idem *id,
    const char *submission_id, struct bpg_errinfo *ei) BPG_WUR;

/*
 * After the pipeline: rc->resp's answer stored for the key (2xx, 4xx),
 * kept as unknown (504), or the key released (other 5xx, 429: nothing
 * was created, a retry may run).  Nothing without id->active.
 */
void api_idem_end(struct route_ctx *rc, struct api_idem *id);

#endif
