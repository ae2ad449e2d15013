/* POST /spark (bpg-reference section 2), for bpg_api.c's route table. */
#ifndef BPG_API_SUBMIT_H
#define BPG_API_SUBMIT_H

struct route_ctx;

/* rc->body holds the request (the route has the BODY flag). */
void api_h_submit(struct route_ctx *);

#endif
