/*
 * The list endpoints (bpg-reference sections 1.7, 1.10 and 1.14), for
 * bpg_api.c's route table: GET /spark/mySubmissions, GET
 * /admin/submissions.
 */
#ifndef BPG_API_LISTS_H
#define BPG_API_LISTS_H

struct route_ctx;

void api_h_my_submissions(struct route_ctx *);
void api_h_admin_submissions(struct route_ctx *);

#endif
