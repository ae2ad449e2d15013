/* A worker of bpg-gateway (app/gateway-worker.c). */
#ifndef GATEWAY_WORKER_H
#define GATEWAY_WORKER_H

#include "bpg_breaker.h"
#include "bpg_config.h"
#include "bpg_metrics.h"
#include "bpg_ratelimit.h"
#include "bpg_streams.h"

/* The anonymous shared mappings of all workers (bpg-gateway's main()). */
struct gw_shared {
	struct bpg_ratelimit *rl;
	struct bpg_breaker *breakers;
	struct bpg_metrics *metrics;
	struct bpg_streams *streams;
	int stream_workers; /* the count their share is of */
};

/* Serve requests on fd 0 until SIGTERM; the exit status. */
int gw_worker(const struct bpg_config *cfg, const struct gw_shared *sh);

#endif
