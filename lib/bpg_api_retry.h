/*
 * The endpoints' part in retries (bpg_retry.h, bpg_db_retry.h): GET
 * /spark/{id}/attempts, what status adds, and what DELETE cancels.
 */
#ifndef BPG_API_RETRY_H
#define BPG_API_RETRY_H

#include <stdbool.h>

#include <jansson.h>

struct route_ctx;

/*
 * GET /spark/{id}/attempts: every attempt of the job of the ID (its
 * handle or any attempt) in order, for the owner, an admin or a viewer:
 * {"attempts": [{"submissionId", "attempt", "cluster", "state",
 * "creationTime", "terminationTime"}]}.  A submission without retries is
 * the one attempt of its own job.
 */
void api_h_attempts(struct route_ctx *);

/*
 * Status of rc->segs[1]: "attempt": n for an attempt of a job with
 * several possible (a retry policy, or a move), and "nextSubmissionId"
 * once the next attempt was made.  What cannot be read is logged and
 * left out.  false: out of memory.
 */
bool api_retry_status(struct route_ctx *, json_t *body);

/*
 * DELETE of rc->segs[1], before its own CR is deleted: when it is an
 * attempt of a job with a retry policy, the job is cancelled (no attempt
 * follows) and the CRs of later attempts (one the monitor was making at
 * that moment too) are deleted.  false when resp was filled (not allowed,
 * or the cancel could not be recorded: nothing was deleted).
 */
bool api_retry_cancel(struct route_ctx *);

#endif
