/* GET /admin/report and GET /report (ours), for bpg_api.c's route table. */
#ifndef BPG_API_REPORT_H
#define BPG_API_REPORT_H

struct route_ctx;

/* Every user's submissions (adminUsers only, 403 for others). */
void api_h_admin_report(struct route_ctx *);
/* The caller's own submissions. */
void api_h_report(struct route_ctx *);

#endif
