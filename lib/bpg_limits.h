/*
 * Named limits, in one place (cf. OpenBSD httpd SERVER_MAXREQUESTBODY).
 */
#ifndef BPG_LIMITS_H
#define BPG_LIMITS_H

/* Largest request body the gateway reads. */
#define BPG_MAX_BODY (1024 * 1024)
/* Nesting depth of a JSON or YAML document. */
#define BPG_MAX_DEPTH 32
/* Nodes a YAML document may expand to, aliases included. */
#define BPG_MAX_YAML_NODES 100000
/* Largest config file. */
#define BPG_MAX_CONFIG (16 * 1024 * 1024)
/* Entries in one map or list of a request (sparkConf, labels, ...). */
#define BPG_MAX_ENTRIES 4096
/* Length of one string field of a request. */
#define BPG_MAX_STRING (64 * 1024)
/* Kubernetes object names (DNS-1123 label) and label values. */
#define BPG_MAX_K8S_NAME 63
#define BPG_MAX_LABEL_VALUE 63
/* Submission IDs: "<id>-driver" and "<id>-ui-svc" must fit in 63. */
#define BPG_MAX_SUBMISSION_ID 56
/* Cluster IDs. */
#define BPG_MAX_CLUSTER_ID 20
/* Length of the 32 lower-case hex digits of a submission ID. */
#define BPG_ID_HEX_LEN 32
/* User names (REMOTE_USER). */
#define BPG_MAX_USER 255
/*
 * Schedules (bpg_cron.h): a cron expression, a time zone name, and the
 * shortest and longest "@every" period in seconds.
 */
#define BPG_CRON_MAX_LEN 256
#define BPG_CRON_TZ_MAX 64
#define BPG_CRON_EVERY_MIN_S 10
#define BPG_CRON_EVERY_MAX_S (8760 * 3600)
/* Default worker count per CPU and the cap. */
#define BPG_WORKERS_PER_CPU 2
#define BPG_MAX_WORKERS 256
/* Kubernetes response bodies the gateway buffers. */
#define BPG_MAX_KUBE_BODY (32 * 1024 * 1024)
/* Entries of a worker's status cache (bpg-reference quirk 30). */
#define BPG_STATUS_CACHE_MAX 4096
/*
 * Longest a submission spends settling a create whose outcome is unknown
 * (lib/bpg_api_submit.c), from the first unknown answer; the waits
 * between its tries grow from the first to the last value.
 */
#define BPG_CREATE_RESOLVE_MS 15000
#define BPG_CREATE_RESOLVE_WAIT_MS 100
#define BPG_CREATE_RESOLVE_WAIT_MAX_MS 1000
/*
 * Failover (lib/bpg_failover.h): a cluster with no success within
 * BPG_FAILOVER_FRESH_MS, or whose last call failed, is first probed with
 * a GET bound by BPG_FAILOVER_PROBE_MS (at most its timeoutMillis).
 */
#define BPG_FAILOVER_FRESH_MS 10000
#define BPG_FAILOVER_PROBE_MS 2000
/* Database rows of gone CRs a list endpoint adds, newest first. */
#define BPG_MAX_LIST_HISTORY 1000
/*
 * requestDeadlineSeconds' largest value: below the FastCGI timeouts of
 * httpd-conf/ (300 s), which must exceed the deadline plus the grace.
 */
#define BPG_MAX_REQUEST_DEADLINE_S 280
/*
 * A stopping gateway waits requestDeadlineSeconds plus this for its
 * workers: what a request may still do past its deadline (record a
 * failed create in the database) and the exit itself.
 */
#define BPG_STOP_GRACE_S 10
/*
 * Of a request's deadline, what a Kubernetes call on the kept connection
 * leaves for the calls on connections of their own that settle a create
 * whose outcome is unknown (at most the cluster's timeoutMillis).
 */
#define BPG_KUBE_SETTLE_RESERVE_MS 10000

/*
 * Long requests (followed pod logs, uploads; bpg_streams.h): defaults of
 * their keys (bpg_config.h), the longest follow a key may allow (BPG's
 * default maxRunningMillis, after which the application is gone anyway),
 * the Retry-After of a refusal, and how often a waiting stream checks
 * whether its client is still there and whether the worker must stop.
 */
#define BPG_STREAM_WORKER_SHARE 0.5
#define BPG_STREAMS_PER_USER 2
#define BPG_LOG_FOLLOW_MAX_S 3600
#define BPG_LOG_FOLLOW_LIMIT_S (12 * 3600)
#define BPG_UPLOAD_LOW_SPEED_LIMIT 1024
#define BPG_UPLOAD_LOW_SPEED_S 60
#define BPG_STREAM_RETRY_AFTER_S 30
#define BPG_STREAM_CHECK_MS 1000
/*
 * A worker gives the heap pages it has freed back to the kernel
 * (malloc_trim()) at most this often, after a request: what one request
 * frees and the next does not reuse would otherwise stay resident.
 */
#define BPG_WORKER_TRIM_MS 10000

#endif
