/* GET /admin/clusters (ours), for bpg_api.c's route table. */
#ifndef BPG_API_CLUSTERS_H
#define BPG_API_CLUSTERS_H

struct route_ctx;

/* The clusters' health as this gateway instance sees it (adminUsers). */
void api_h_clusters(struct route_ctx *);

#endif
