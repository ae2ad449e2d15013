/*
 * The application monitor (bpg-reference section 10): keeps the
 * application_submission table a true record of every SparkApplication
 * and kills applications that run longer than their maxRunningMillis.
 *
 * For each distinct (masterUrl, sparkApplicationNamespace) of the clusters
 * with weight > 0 (the later config entry wins, as in BPG) it lists the
 * namespace's SparkApplications and then watches them from the list's
 * resourceVersion (bpg_watch.h).  Every list, every resync (by default
 * every 3 minutes) and every ADDED, MODIFIED or DELETED event is compared
 * with the row in the database and turned into the statements of
 * bpg_db.h, so a transition missed while the monitor was down, a stream
 * that broke or a 410 is caught at the next list (quirk 16).  Apps that
 * vanished while nobody watched, and rows of the namespace's clusters left
 * unfinished without a CR, are recorded as LOST.
 *
 * Fixes of BPG's quirks: status on every state change; SUBMISSION_FAILED
 * and FAILED_SUBMISSION terminal (14); finish recorded with NULL costs
 * when no prices are configured (13); driver start, cores and memory taken
 * from the pod the CR names and parsed as quantities (16); one watch per
 * namespace (17); RUNNING apps are forgotten on any other state and the
 * state is checked again right before a kill (15).
 *
 * One monitor is active at a time: the leader holds the lease
 * 'bpg-monitor' (bpg_db_lease.h), a row in the database that it renews
 * every monitorLeaseRenewMillis; others wait as standbys and try to take
 * it as often.  A leader that cannot renew it in time stops acting at
 * once, by its own monotonic clock, and the database refuses its
 * statements once the lease is gone (the fencing token).
 *
 * Everything runs in the caller's thread, in bpg_monitor_step(); no
 * hidden global state, no exit().
 */
#ifndef BPG_MONITOR_H
#define BPG_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_config.h"
#include "bpg_err.h"

/* Defaults (seconds, milliseconds). */
#define BPG_MONITOR_RESYNC_S 180 /* full re-list, as BPG's informer */
#define BPG_MONITOR_WATCH_TIMEOUT_S 300 /* watch timeoutSeconds */
/*
 * A leader confirms its lease (bpg_monitor_confirm()) before each batch
 * of writes: after each list and every BPG_MONITOR_CONFIRM_EVERY listed
 * applications.
 */
#define BPG_MONITOR_CONFIRM_EVERY 256
/*
 * The lease session's wait_timeout is twice the longest cluster
 * timeoutMillis (at most BPG_MONITOR_LOCK_IDLE_NO_TIMEOUT_S, also used for
 * a timeout of 0) plus BPG_MONITOR_LOCK_IDLE_MARGIN_S (90 s with the
 * default timeout of 30 s): the server then ends the session of a
 * monitor that vanished within that, instead of 8 hours.
 */
#define BPG_MONITOR_LOCK_IDLE_NO_TIMEOUT_S 300
#define BPG_MONITOR_LOCK_IDLE_MARGIN_S 30
#define BPG_MONITOR_BACKOFF_MIN_MS 500
#define BPG_MONITOR_BACKOFF_MAX_MS 30000
/* A stream that lived this long resets the back-off. */
#define BPG_MONITOR_HEALTHY_MS 30000
/* How often RUNNING apps are checked against their maxRunningMillis. */
#define BPG_MONITOR_KILL_CHECK_MS 1000
/*
 * Expired idempotency keys: swept this often, in batches of this many
 * rows, at most this many batches a turn.
 */
#define BPG_MONITOR_IDEM_SWEEP_MS 60000
#define BPG_MONITOR_IDEM_BATCH 1000
#define BPG_MONITOR_IDEM_BATCHES 10
/* The purge of old notifications (bpg_monitor_purge.c): hourly, from
 * taking the lead on; batches of this many events, at most so many a turn. */
#define BPG_MONITOR_PURGE_MS 3600000
#define BPG_MONITOR_PURGE_BATCH 200
#define BPG_MONITOR_PURGE_BATCHES 50
/* Wait after a failed kill before trying again. */
#define BPG_MONITOR_KILL_RETRY_MS 30000
/*
 * How often apps still SUBMITTED are checked against their queue's
 * maxPendingMillis, and the wait after a check that could not be made.
 */
#define BPG_MONITOR_STARVE_CHECK_MS 1000
#define BPG_MONITOR_STARVE_RETRY_MS 10000
/* maxRunningMillis when the label is missing or bad (12 h, BPG). */
#define BPG_MONITOR_DEFAULT_MAX_RUNNING_MS 43200000LL
/*
 * A row without a status and without a CR is only called LOST once it is
 * this old: the gateway writes the row just before it creates the CR.
 */
#define BPG_MONITOR_ORPHAN_GRACE_S 300
/* The leader lease's name (bpg_db_lease.h). */
#define BPG_MONITOR_LEASE_NAME "bpg-monitor"
/* The state recorded for a CR deleted before a terminal state was seen. */
#define BPG_MONITOR_LOST "LOST"

/* Field sizes of struct bpg_monitor_app, without the NUL. */
#define BPG_MONITOR_MAX_NAME 253 /* DNS-1123 subdomain */
#define BPG_MONITOR_MAX_NS 63 /* DNS-1123 label */
#define BPG_MONITOR_MAX_UID 63
#define BPG_MONITOR_MAX_LABEL 63 /* a label's value */
#define BPG_MONITOR_MAX_STATE 64
#define BPG_MONITOR_MAX_TEXT 1020 /* 255 characters of UTF-8 */

/*
 * Quantities
 *
 * A Kubernetes quantity (resource.Quantity: "500m", "1", "1.5", "2Gi",
 * "2432Mi", "1e3", "2k") or a Spark size ("2g", "512m", "1024") as the
 * exact value mant * 10^exp10 * 2^exp2.  Negative values are refused (no
 * request is negative).
 */
struct bpg_quantity {
	uint64_t mant;
	int exp10;
	int exp2;
};

/*
 * Kubernetes quantity s[0..len), at most 64 bytes: [+]digits[.digits]
 * then one of n u m k M G T P E (decimal SI), Ki Mi Gi Ti Pi Ei (binary)
 * or e/E and a signed exponent; at most 18 significant digits.
 * BPG_EINVAL (ei says why, never quoting s).
 */
enum bpg_err bpg_monitor_quantity_parse(const char *s, size_t len,
    struct bpg_quantity *q, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Spark size (spark.driver.memory, spec.executor.memory), s[0..len):
 * digits[.digits] and an optional unit b, k, kb, m, mb, g, gb, t, tb, p,
 * pb in any case, 1024-based; no unit means MiB, as for Spark's memory
 * settings.  Blanks around are ignored.  BPG_EINVAL.
 */
enum bpg_err bpg_monitor_spark_size_parse(const char *s, size_t len,
    struct bpg_quantity *q, struct bpg_errinfo *ei) BPG_WUR;

/*
 * ceil(q / 2^unit_exp2), exactly, into *out.  BPG_ETOOBIG if it is over
 * max.
 */
enum bpg_err bpg_monitor_quantity_ceil(const struct bpg_quantity *q,
    unsigned int unit_exp2, int64_t max, int64_t *out,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * What goes into the SMALLINT and INT columns.  Cores are rounded up to
 * whole cores ("500m" is 1, "1.5" is 2): the columns are integers, a
 * fraction of a core still occupies a core for billing, and rounding down
 * would make small drivers free.  Memory is rounded up to whole MiB.
 *   bpg_monitor_cpu_cores:  Kubernetes CPU quantity, at most 32767
 *   bpg_monitor_mem_mb:     Kubernetes memory quantity (bytes: "2Gi" is
 *                           2048, "512m" is 0.512 bytes, so 1)
 *   bpg_monitor_spark_mb:   Spark size ("2g" 2048, "512m" 512)
 * Memory at most 2147483647 MiB.  s is NUL-terminated, not NULL.
 * BPG_EINVAL, BPG_ETOOBIG.
 */
enum bpg_err bpg_monitor_cpu_cores(
    const char *s, int64_t *out, struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err bpg_monitor_mem_mb(
    const char *s, int64_t *out, struct bpg_errinfo *ei) BPG_WUR;
enum bpg_err bpg_monitor_spark_mb(
    const char *s, int64_t *out, struct bpg_errinfo *ei) BPG_WUR;

/*
 * SparkApplications and driver pods, as read from the API server.  Every
 * field is checked; a field of the wrong type or shape is treated as
 * absent and named in bad (for the log).  Numbers are -1 when absent.
 */
struct bpg_monitor_app {
	char name[BPG_MONITOR_MAX_NAME + 1]; /* metadata.name */
	char ns[BPG_MONITOR_MAX_NS + 1]; /* "" if absent */
	char uid[BPG_MONITOR_MAX_UID + 1]; /* "" if absent */
	int64_t created_ms; /* creationTimestamp */
	/* status.applicationState.state; "" (none yet) counts as absent. */
	bool has_state;
	char state[BPG_MONITOR_MAX_STATE + 1];
	bool has_app_id; /* status.sparkApplicationId */
	char app_id[BPG_MONITOR_MAX_TEXT + 1];
	int64_t terminated_ms; /* status.terminationTime */
	bool has_driver_pod; /* status.driverInfo.podName */
	char driver_pod[BPG_MONITOR_MAX_NAME + 1];
	int64_t max_running_ms; /* label maxRunningMillis, or the default */
	/* Label queue ("root.<queue>.<user>" from the gateway), "" if none. */
	char queue[BPG_MONITOR_MAX_LABEL + 1];
	bool has_dag_name, has_task_name, has_app_name;
	char dag_name[BPG_MONITOR_MAX_TEXT + 1]; /* driver label */
	char task_name[BPG_MONITOR_MAX_TEXT + 1]; /* driver label */
	char app_name[BPG_MONITOR_MAX_TEXT + 1]; /* spark.app.name */
	/* From spec; cores rounded up as bpg_monitor_cpu_cores(). */
	int64_t driver_cores, driver_memory_mb;
	int64_t executor_instances, executor_cores, executor_memory_mb;
	char bad[256]; /* "status.sparkApplicationId, ..." or "" */
};

/*
 * Parse a SparkApplication into *app.  BPG_EINVAL when it cannot be
 * identified (obj not an object, metadata.name missing or not a DNS-1123
 * subdomain, a namespace that is not a DNS-1123 label).
 */
enum bpg_err bpg_monitor_app_parse(const json_t *obj,
    struct bpg_monitor_app *app, struct bpg_errinfo *ei) BPG_WUR;

struct bpg_monitor_pod {
	int64_t start_ms; /* status.startTime, -1 if not started */
	int64_t cores; /* requests.cpu of the driver container */
	int64_t memory_mb; /* requests.memory of the driver container */
	char bad[128];
};

/*
 * Parse a driver pod: its container "spark-kubernetes-driver", else the
 * first one.  BPG_EINVAL if obj is not an object.
 */
enum bpg_err bpg_monitor_pod_parse(const json_t *obj,
    struct bpg_monitor_pod *pod, struct bpg_errinfo *ei) BPG_WUR;

/* COMPLETED, FAILED, SUBMISSION_FAILED, FAILED_SUBMISSION or LOST, in any
 * case (quirk 14).  NULL is not terminal. */
bool bpg_monitor_terminal(const char *state);

/*
 * The decision: what one observation of an app means for its row.
 */
enum bpg_monitor_event {
	BPG_MONITOR_EV_LIST, /* in a list (start-up, resync, re-list) */
	BPG_MONITOR_EV_ADDED,
	BPG_MONITOR_EV_MODIFIED,
	BPG_MONITOR_EV_DELETED,
	BPG_MONITOR_EV__MAX
};

/* What the monitor knows of the row (from the database and this run). */
struct bpg_monitor_known {
	bool found;
	bool has_status;
	char status[BPG_MONITOR_MAX_STATE + 1];
	bool has_app_id;
	char app_id[BPG_MONITOR_MAX_TEXT + 1];
	bool started; /* start_time set */
	bool finished; /* finished_time set */
	bool start_checked; /* the pod was looked at and has no start */
};

/* Actions, in the order they are carried out. */
#define BPG_MONITOR_DO_STATE 0x01u /* status and app_id (S3, S2) */
#define BPG_MONITOR_DO_START 0x02u /* driver pod, then S5 */
#define BPG_MONITOR_DO_FINISH 0x04u /* S4 (and cost), the app's state */
#define BPG_MONITOR_DO_LOST 0x08u /* S4 (and cost) with LOST, now */
#define BPG_MONITOR_DO_COST 0x10u /* S4's cost again, after a late S5 */
#define BPG_MONITOR_DO_TRACK 0x20u /* RUNNING: mind maxRunningMillis */
#define BPG_MONITOR_DO_FORGET 0x40u /* no longer RUNNING */

/*
 * The actions for app seen through ev, given what is known of its row:
 *   STATE   app has a state and the row is missing, or its status differs
 *           and the row is not finished, or app_id is new;
 *   START   the row has no start_time yet, the app has run (RUNNING,
 *           SUCCEEDING, FAILING, COMPLETED, FAILED) and its pod was not
 *           found to have no start;
 *   FINISH  the state is terminal and the row is not finished;
 *   LOST    ev is DELETED, the state is not terminal and the row is not
 *           finished;
 *   COST    with START on a finished row (FINISH and LOST include the
 *           cost);
 *   TRACK   state RUNNING (any case) and not DELETED; FORGET otherwise.
 * Pure: no I/O.
 */
unsigned int bpg_monitor_decide(const struct bpg_monitor_known *known,
    const struct bpg_monitor_app *app, enum bpg_monitor_event ev);

/* The known state after the actions done succeeded. */
void bpg_monitor_known_apply(struct bpg_monitor_known *known,
    const struct bpg_monitor_app *app, unsigned int done);

/*
 * The daemon
 */

enum bpg_monitor_level {
	BPG_MONITOR_LOG_ERR,
	BPG_MONITOR_LOG_WARN,
	BPG_MONITOR_LOG_INFO,
	BPG_MONITOR_LOG_DEBUG,
};

/* msg is one printable line without a newline, valid for the call. */
typedef void bpg_monitor_log_fn(
    void *arg, enum bpg_monitor_level, const char *msg);

struct bpg_metrics;

struct bpg_monitor_opts {
	const struct bpg_config *cfg; /* borrowed; outlives the monitor */
	long resync_s; /* 0: BPG_MONITOR_RESYNC_S; < 0: never */
	long watch_timeout_s; /* 0: BPG_MONITOR_WATCH_TIMEOUT_S */
	bpg_monitor_log_fn *log; /* NULL: silent */
	void *log_arg;
	bool verbose; /* pass LOG_DEBUG messages too */
	/* The clock of schedules (epoch ms; NULL: the wall clock), so that
	 * tests can move time. */
	int64_t (*clock_ms)(void *arg);
	void *clock_arg;
	/* Where the monitor counts (bpg_metrics.h; borrowed, outlives the
	 * monitor); NULL: nowhere. */
	struct bpg_metrics *metrics;
};

struct bpg_monitor;

/*
 * A monitor for opts->cfg: database handles, a Kubernetes client and a
 * watch per namespace.  No I/O yet.  BPG_ECONFIG if no cluster has a
 * weight above 0, BPG_ENOMEM, or the errors of bpg_db_new() and
 * bpg_kube_new().
 */
enum bpg_err bpg_monitor_new(const struct bpg_monitor_opts *opts,
    struct bpg_monitor **out, struct bpg_errinfo *ei) BPG_WUR;

/*
 * One turn of the loop, waiting at most max_wait_ms: as a standby, try
 * the lease when due; as the leader, renew the lease when due, list, watch, write
 * the database, kill over-long apps.  Failures are logged and retried
 * with back-off; the errors are BPG_EUPSTREAM when curl itself fails and
 * BPG_ECONFIG when the lease's first database connection fails in a way
 * that will not mend (TLS: a certificate that does not verify, a server
 * without TLS where it is required).
 */
enum bpg_err bpg_monitor_step(
    struct bpg_monitor *, int max_wait_ms, struct bpg_errinfo *ei) BPG_WUR;

/* Re-list every namespace at the next step (SIGHUP). */
void bpg_monitor_resync(struct bpg_monitor *);

/*
 * Episodes so far of a cluster that could not be listed or watched for
 * clusterCooldownMillis (each logged once, "cluster <id> unreachable for
 * N ms: <reason>", and once "reachable again after N ms"); *now_down
 * (if not NULL) gets how many namespaces are unreachable now.
 */
unsigned long bpg_monitor_unreachable(const struct bpg_monitor *,
    size_t *now_down);

/* Whether this monitor is the active one. */
bool bpg_monitor_leader(const struct bpg_monitor *);

/*
 * The handle that takes and renews the leader lease, borrowed (for
 * diagnostics and tests: run nothing on it but reads of the session).
 */
struct bpg_db *bpg_monitor_lock_db(const struct bpg_monitor *);

/* Stop streams, release the lease, free.  NULL is a no-op. */
void bpg_monitor_free(struct bpg_monitor *);

#endif
