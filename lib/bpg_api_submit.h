/* POST /spark (bpg-reference section 2), for bpg_api.c's route table,
 * and its pipeline, for the other ways in (bpg_api_livy.c). */
#ifndef BPG_API_SUBMIT_H
#define BPG_API_SUBMIT_H

#include <stdbool.h>

#include "bpg_err.h"
#include "bpg_req.h"

struct route_ctx;

/* rc->body holds the request (the route has the BODY flag). */
void api_h_submit(struct route_ctx *);

/* What a way in adds to the pipeline; a NULL member adds nothing. */
struct api_submit_hooks {
	/*
	 * The submission ID a try has chosen, before its row is written
	 * and its CR created (again for each ID a failover tries).  An
	 * error stops the submission with that answer; nothing is created.
	 */
	enum bpg_err (*chosen)(struct route_ctx *, void *arg, const char *id,
	    struct bpg_errinfo *ei);
	/* The answer of a submission that was made (instead of
	 * {"submissionId":id}): fill rc->resp. */
	void (*made)(struct route_ctx *, void *arg, const char *id);
	void *arg;
};

/*
 * The pipeline of POST /spark for the parsed req (borrowed), run as
 * proxy_user (borrowed): idempotency key, routing, the submission rate
 * limit, the row first, the CR, failover.  Answers in rc->resp in every
 * case: the errors are POST /spark's, in BPG's envelope.  hooks may be
 * NULL.
 */
void api_submit_run(struct route_ctx *rc, struct bpg_submit_req *req,
    const char *proxy_user, bool dry_run, const struct api_submit_hooks *hooks);

#endif
