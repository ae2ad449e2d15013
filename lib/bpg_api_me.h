/* GET /me (ours), for bpg_api.c's route table. */
#ifndef BPG_API_ME_H
#define BPG_API_ME_H

struct route_ctx;

/* Who the caller is to the gateway: {"user","admin","viewer"}. */
void api_h_me(struct route_ctx *);

#endif
