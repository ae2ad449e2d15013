/*
 * Prometheus metrics (text exposition format 0.0.4) kept in one
 * anonymous shared mapping, so that every worker of a gateway (or the
 * monitor's loop and its HTTP thread) counts into, and renders, one view.
 * As with the rate limiter (bpg_ratelimit.h) the mapping is made before
 * fork() and updated with lock-free C11 atomics only: a worker that dies
 * mid-update holds no lock and loses at most its own increment.
 *
 * Every metric is one row of BPG_METRICS_LIST below: adding a counter is
 * one line there (plus its line in README.md's Metrics section) and a
 * call of bpg_metrics_inc() where it happens.  Label values must come
 * from bounded sets: the config (queue and cluster names), route names,
 * fixed words.  Never submission IDs or user names.
 *
 * A series (a metric and its label values) takes one cell of a table of
 * BPG_METRICS_CELLS; past that, updates of new series are dropped and
 * counted in bpg_metrics_dropped_total.
 */
#ifndef BPG_METRICS_H
#define BPG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "bpg_buf.h"
#include "bpg_err.h"

/* Histogram buckets (upper bounds in seconds). */
enum bpg_metrics_buckets {
	BPG_METRICS_NOBUCKETS,
	BPG_METRICS_LATENCY,	/* 5 ms to 60 s: calls to a server */
	BPG_METRICS_DELAY,	/* 10 ms to 5 min: events to their effect */
	BPG_METRICS_FINE_DELAY,	/* 1 ms to 5 min: a watch event to its row */
	BPG_METRICS_BUCKETS__MAX
};

/*
 * The metrics: X(ID, name, type, labels, buckets, help).  labels are the
 * label names, comma-separated ("" for none).  Names follow Prometheus'
 * conventions: bpg_ prefix, _total on counters, base units (_seconds).
 */
#define BPG_METRICS_LIST(X)						\
	/* The gateway. */						\
	X(HTTP_REQUESTS, "bpg_http_requests_total", COUNTER,		\
	    "route,method,code", NOBUCKETS,				\
	    "HTTP requests answered, by route (the route table's pattern) and status class") \
	X(SUBMISSIONS, "bpg_submissions_total", COUNTER,		\
	    "queue,cluster,outcome", NOBUCKETS,				\
	    "POST /spark submissions by queue, cluster and outcome")	\
	X(KUBE_DURATION, "bpg_kube_request_duration_seconds", HISTOGRAM, \
	    "cluster", LATENCY,						\
	    "Kubernetes API calls' latency, by cluster")		\
	X(KUBE_ERRORS, "bpg_kube_errors_total", COUNTER,		\
	    "cluster,reason", NOBUCKETS,				\
	    "Kubernetes API calls that failed, by cluster and reason")	\
	X(DB_ERRORS, "bpg_db_errors_total", COUNTER, "", NOBUCKETS,	\
	    "Database statements that failed")				\
	X(DB_RETRIES, "bpg_db_retries_total", COUNTER, "reason",	\
	    NOBUCKETS, "Database operations run again, by reason")	\
	X(STATUS_CACHE_HITS, "bpg_status_cache_hits_total", COUNTER, "", \
	    NOBUCKETS, "GET /spark/{id}/status answered from the cache") \
	X(STATUS_CACHE_MISSES, "bpg_status_cache_misses_total", COUNTER, \
	    "", NOBUCKETS, "GET /spark/{id}/status not in the cache")	\
	X(WORKER_RESTARTS, "bpg_worker_restarts_total", COUNTER, "",	\
	    NOBUCKETS, "Gateway workers that died and were replaced")	\
	X(BUILD_INFO, "bpg_build_info", GAUGE, "program,version,revision", \
	    NOBUCKETS, "Always 1: the program's version and revision")	\
	/* The monitor. */						\
	X(MON_APPS, "bpg_monitor_applications", GAUGE, "cluster,state", \
	    NOBUCKETS,							\
	    "Applications the leading monitor sees, by cluster and state") \
	X(MON_WATCH_RESTARTS, "bpg_monitor_watch_restarts_total", COUNTER, \
	    "cluster", NOBUCKETS, "Watches resumed after they ended")	\
	X(MON_RELISTS, "bpg_monitor_relists_total", COUNTER, "cluster", \
	    NOBUCKETS, "Full lists of a cluster's applications")	\
	X(MON_EVENT_DB, "bpg_monitor_event_to_db_seconds", HISTOGRAM, "", \
	    FINE_DELAY, "From handling a watch event to its row written")	\
	X(MON_LEADER, "bpg_monitor_leader", GAUGE, "", NOBUCKETS,	\
	    "1 while this monitor holds the leader lease, else 0")	\
	X(MON_SCHEDULES, "bpg_monitor_schedule_fires_total", COUNTER,	\
	    "outcome", NOBUCKETS, "Schedule fires submitted or failed")	\
	X(MON_RETRIES, "bpg_monitor_retries_total", COUNTER, "outcome", \
	    NOBUCKETS, "Automatic resubmissions sent or failed")	\
	X(MON_NOTIFICATIONS, "bpg_monitor_notifications_total", COUNTER, \
	    "outcome", NOBUCKETS, "Notification deliveries sent or failed") \
	/* Both. */							\
	X(DROPPED, "bpg_metrics_dropped_total", COUNTER, "", NOBUCKETS, \
	    "Metric updates dropped: the series table was full")

#define BPG_METRICS_ENUM_(id, name, type, labels, buckets, help) \
	BPG_METRIC_##id,
enum bpg_metric {
	BPG_METRICS_LIST(BPG_METRICS_ENUM_)
	BPG_METRIC__MAX
};
#undef BPG_METRICS_ENUM_

enum bpg_metric_type {
	BPG_METRIC_COUNTER,
	BPG_METRIC_GAUGE,
	BPG_METRIC_HISTOGRAM
};

/* Series (metric and label values) the table holds; label text a cell
 * holds, escaped; labels of a metric at most. */
#define BPG_METRICS_CELLS 2048
#define BPG_METRICS_LABEL_TEXT 256
#define BPG_METRICS_MAX_LABELS 4
#define BPG_METRICS_MAX_BUCKETS 17

struct bpg_metrics;

/*
 * An empty table in a MAP_SHARED | MAP_ANONYMOUS mapping: processes forked
 * afterwards share it.  BPG_ENOMEM if the mapping fails.  Free with
 * bpg_metrics_free().
 */
enum bpg_err bpg_metrics_new_shared(struct bpg_metrics **out,
    struct bpg_errinfo *ei) BPG_WUR;

/* Unmap (in this process only).  NULL is a no-op. */
void bpg_metrics_free(struct bpg_metrics *);

/*
 * Updates.  m NULL: no-op (code that may run without metrics).  lv are
 * the metric's label values in the order of its row (NULL when it has
 * none; a NULL value is ""), borrowed.  A bad metric, a series whose
 * label text does not fit BPG_METRICS_LABEL_TEXT, or one more series than
 * the table holds is not counted (bpg_metrics_dropped_total is).  Never
 * blocks.
 *   add      a counter by n, or a gauge by n (may be negative)
 *   set      a gauge to v
 *   observe  a histogram: one value of v seconds (below 0: 0)
 */
void bpg_metrics_add(struct bpg_metrics *, enum bpg_metric,
    const char *const *lv, int64_t n);
void bpg_metrics_set(struct bpg_metrics *, enum bpg_metric,
    const char *const *lv, int64_t v);
void bpg_metrics_observe(struct bpg_metrics *, enum bpg_metric,
    const char *const *lv, double v);

/* bpg_metrics_add(m, id, lv, 1). */
#define bpg_metrics_inc(m, id, lv) bpg_metrics_add((m), (id), (lv), 1)
/* Label values as a compound literal: BPG_LV("a", "b"). */
#define BPG_LV(...) ((const char *const[]){__VA_ARGS__})

/*
 * Append every metric of the programs mask selects (BPG_METRICS_GATEWAY,
 * BPG_METRICS_MONITOR: the rows of the list above, by section) to out in
 * the text format 0.0.4: # HELP and # TYPE lines, then its series, a
 * histogram's _bucket (cumulative, le="+Inf" last), _sum and _count.
 * Metrics without labels show 0 before any update.  BPG_ENOMEM.
 */
#define BPG_METRICS_GATEWAY 0x1u
#define BPG_METRICS_MONITOR 0x2u
enum bpg_err bpg_metrics_render(const struct bpg_metrics *, unsigned int mask,
    struct bpg_buf *out) BPG_WUR;

/* The metric's row (name, type): NULL for a bad id. */
const char *bpg_metrics_name(enum bpg_metric);

/* The Content-Type of bpg_metrics_render()'s text. */
#define BPG_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
