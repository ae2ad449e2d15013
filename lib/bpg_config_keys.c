/*
 * Every key of config.yaml (bpg-reference section 7.2) as a row of a
 * descriptor table, bound by cfg_bind_keys(); bpg_config_key() lists them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bpg_config_int.h"
#include "bpg_idem.h"
#include "bpg_lease.h"
#include "bpg_notify.h"

/* ------------------------------------------------------------------ */
/* The tables                                                          */

#define CL struct bpg_cluster
static const struct key cluster_keys[] = {
	R_STR("id", CL, id, KF_REQUIRED, "starts the submission IDs: at "
	    "most 20 of [a-z0-9-], a letter first; unique"),
	R_STEP(cfg_step_cluster_id, 0),
	R_INT("weight", CL, weight, 0, 0, INT32_MAX, 0, "routing weight; 0: "
	    "never picked at random"),
	R_STR("eksCluster", CL, eks_cluster, 0, "informational"),
	R_STR("masterUrl", CL, master_url, KF_REQUIRED, "the API server, "
	    "http:// or https://"),
	R_STEP(cfg_step_master_url, 0),
	R_STR("userName", CL, user_name, 0, "informational"),
	R_INT("timeoutMillis", CL, timeout_millis, 0, 1, INT64_MAX,
	    DEFAULT_TIMEOUT_MILLIS, "connect and request timeout of "
	    "Kubernetes calls"),
	R_STR("httpProxy", CL, http_proxy, 0, "proxy of http:// API calls"),
	R_STR("httpsProxy", CL, https_proxy, 0, "proxy of https:// API "
	    "calls"),
	R_STR("sparkApplicationNamespace", CL, namespace, KF_REQUIRED,
	    "namespace of the SparkApplications (DNS-1123 label)"),
	R_STEP(cfg_step_namespace, 0),
	R_STR("sparkServiceAccount", CL, service_account, 0, "default "
	    "driver serviceAccount"),
	R_STR("batchScheduler", CL, batch_scheduler, 0, "\"yunikorn\" adds "
	    "YuniKorn's options"),
	R_LIST("sparkVersions", CL, spark_versions, SL_VERSION, "Spark "
	    "versions the cluster runs"),
	R_LIST("queues", CL, queues, 0, "parent queues the cluster serves"),
	R_INT("ttlSeconds", CL, ttl_seconds, HAS(CL, has_ttl_seconds), 0,
	    INT64_MAX, 0, "spec.timeToLiveSeconds of the applications"),
	R_STR("sparkUIUrl", CL, spark_ui_url, 0, "base of Spark UI links"),
	R_MAP("sparkConf", CL, spark_conf, "the cluster's sparkConf layer"),
	R_FN("sparkUIOptions", cfg_fn_ui_options, cfg_rel_json,
	    FIELD(CL, spark_ui_options,
	    json_t *), "servicePort, ingressAnnotations, ingressTLS"),
	R_FN("volumes", cfg_fn_volumes, cfg_rel_json,
	    FIELD(CL, volumes, json_t *),
	    "volumes "
	    "added when the request has none"),
	R_FN("driver", cfg_fn_pod, cfg_rel_pod,
	    FIELD(CL, driver, struct bpg_cluster_pod),
	    "env and volumeMounts of drivers"),
	R_FN("executor", cfg_fn_pod, cfg_rel_pod,
	    FIELD(CL, executor, struct bpg_cluster_pod),
	    "env and volumeMounts of executors"),
	{ .name = "caCertDataSOPS", .type = KT_FN, .fn = cfg_fn_ca,
	  .release = cfg_rel_ca,
	  .off = FIELD(CL, ca_cert, char *),
	  .aux = FIELD(CL, ca_cert_len, size_t),
	  .doc = "the API server's CA: base64 of PEM, or PEM (secret)" },
	R_SECRET("userTokenSOPS", CL, token, 0, "bearer token of the API "
	    "server (secret)"),
	R_STEP(cfg_step_token, 0),
	R_STEP(cfg_step_cluster_unique, 0),
};
#undef CL

#define IM struct bpg_image
static const struct key image_keys[] = {
	R_STR("name", IM, name, KF_REQUIRED, "the image"),
	R_LIST("types", IM, types, 0, "application types it serves"),
	R_STR("version", IM, version, KF_VERSION, "the Spark version it "
	    "serves"),
};
#undef IM

#define SR struct bpg_submit_rate
static const struct key submit_rate_keys[] = {
	R_NUM("rate", SR, rate, 0, KF_ABOVE | KF_MAX, 0, 1000000, 5.0,
	    "submissions a second"),
	R_INT("burst", SR, burst, 0, 1, 1000000, 20, "most submissions at "
	    "once"),
};
#undef SR

#define SL struct bpg_submit_limit
static const struct key submit_limit_keys[] = {
	{ .name = "perUser", .type = KT_OBJ, .sub = submit_rate_keys,
	  .nsub = NITEMS(submit_rate_keys),
	  .off = FIELD(SL, per_user, struct bpg_submit_rate),
	  .has = HAS(SL, per_user.present),
	  .doc = "limit of each user" },
	{ .name = "perQueue", .type = KT_OBJ, .sub = submit_rate_keys,
	  .nsub = NITEMS(submit_rate_keys),
	  .off = FIELD(SL, per_queue, struct bpg_submit_rate),
	  .has = HAS(SL, per_queue.present),
	  .doc = "limit of each queue" },
	R_BOOL("exemptAdmins", SL, exempt_admins, "adminUsers are not "
	    "limited"),
	R_LIST("exemptUsers", SL, exempt_users, 0, "users not limited"),
};
#undef SL

#define Q struct bpg_queue
static const struct key queue_keys[] = {
	R_STR("name", Q, name, KF_REQUIRED, "the queue"),
	R_BOOL("secure", Q, secure, "needs a queueToken"),
	R_LIST("users", Q, users, 0, "users sent here when their request "
	    "names no queue"),
	R_INT("maxRunningMillis", Q, max_running_millis,
	    HAS(Q, has_max_running_millis), 0, INT64_MAX, 0, "upper bound of "
	    "bpg.maxRunningMillis"),
	R_INT("maxPendingMillis", Q, max_pending_millis,
	    HAS(Q, has_max_pending_millis), 1, INT64_MAX, 0, "an app still "
	    "SUBMITTED this long moves to another cluster"),
	R_STR("driverNodeLabelKey", Q, driver_node_label_key, 0, "node "
	    "label of driver affinity"),
	R_LIST("driverNodeLabelValues", Q, driver_node_label_values, 0,
	    "its values"),
	R_STR("executorNodeLabelKey", Q, executor_node_label_key, 0, "node "
	    "label of executor affinity"),
	R_LIST("executorNodeLabelValues", Q, executor_node_label_values, 0,
	    "its values"),
	R_LIST("executorSpotNodeLabelValues", Q,
	    executor_spot_node_label_values, 0, "its values for "
	    "spotInstance"),
	R_NUM("driverCPUBufferRatio", Q, driver_cpu_ratio, 0, KF_ABOVE, 0, 0,
	    1.0, "multiplier of driver cores"),
	R_NUM("executorCPUBufferRatio", Q, executor_cpu_ratio, 0, KF_ABOVE,
	    0, 0, 1.0, "multiplier of executor cores"),
	R_NUM("driverMemBufferRatio", Q, driver_mem_ratio, 0, KF_ABOVE, 0, 0,
	    1.0, "multiplier of driver memory"),
	R_NUM("executorMemBufferRatio", Q, executor_mem_ratio, 0, KF_ABOVE,
	    0, 0, 1.0, "multiplier of executor memory"),
	R_INT("maxExecutorInstances", Q, max_executor_instances,
	    HAS(Q, has_max_executor_instances), 0, INT32_MAX,
	    DEFAULT_MAX_EXECUTORS, "most executors a submission may ask for"),
	/* BPG fails the request ("Invalid allowedZones: Some zone is
	 * empty", section 2.9); refuse the config instead. */
	R_LIST("allowedZones", Q, allowed_zones, SL_NONEMPTY, "zones "
	    "applications are pinned to, round robin"),
	R_STR("zonePickerName", Q, zone_picker_name, 0, "only round_robin"),
	{ .name = "submitRateLimit", .type = KT_OBJ, .sub = submit_rate_keys,
	  .nsub = NITEMS(submit_rate_keys),
	  .off = FIELD(Q, submit_rate, struct bpg_submit_rate),
	  .has = HAS(Q, submit_rate.present),
	  .doc = "the queue's own submitRateLimit.perQueue" },
	R_FN("notify", cfg_fn_notify, cfg_rel_json, FIELD(Q, notify, json_t *),
	    "webhooks told of every submission of the queue (url, on, "
	    "format)"),
};
#undef Q

#define DB struct bpg_dbconf
static const struct key db_keys[] = {
	R_STR("connectionString", DB, connection_string, 0, "JDBC URL; "
	    "absent: no database"),
	R_STR("user", DB, user, 0, "database user"),
	R_SECRET("password", DB, password, 0, "its password (secret)"),
	R_STR("dbName", DB, db_name, 0, "schema of the tables (bpg)"),
	{ .name = "caCertDataSOPS", .type = KT_FN, .fn = cfg_fn_ca,
	  .release = cfg_rel_ca,
	  .off = FIELD(DB, ca_cert, char *),
	  .aux = FIELD(DB, ca_cert_len, size_t),
	  .doc = "CA of the database server's certificate (secret)" },
};
#undef DB

/* livy.path: a plain URL path, '/' first, without the trailing '/'. */
static enum bpg_err
cfg_step_livy_path(struct ctx *c, const json_t *root, const struct key *k,
    char *base)
{
	struct bpg_livy_conf *lc = (struct bpg_livy_conf *)(void *)base;
	enum bpg_err e = BPG_OK;
	size_t n, mark;
	const char *p;

	(void)k;
	if (lc->path == NULL)
		return BPG_OK;
	mark = cfg_path_key(c, "path");
	if (lc->path[0] != '/' || lc->path[1] == '\0')
		e = cfg_fail(c, cfg_member(root, "path"), root, "must start "
		    "with '/' and name a path below the root");
	for (p = lc->path; e == BPG_OK && *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' ||
		    *p == '#' || *p == '%')
			e = cfg_fail(c, cfg_member(root, "path"), root, "must be "
			    "a plain URL path (no spaces, '?', '#' or '%%')");
	cfg_path_pop(c, mark);
	n = strlen(lc->path);
	while (e == BPG_OK && n > 1 && lc->path[n - 1] == '/')
		lc->path[--n] = '\0';
	return e;
}

#define LV struct bpg_livy_conf
static const struct key livy_keys[] = {
	R_BOOL("enabled", LV, enabled, "serve Livy's batches API at "
	    "<applicationContextPath>/batches"),
	R_STR("path", LV, path, KF_EMPTY_NULL, "also serve it at this root "
	    "path, e.g. /batches"),
	R_STEP(cfg_step_livy_path, 0),
	R_STR("defaultSparkVersion", LV, default_spark_version, KF_EMPTY_NULL,
	    "Spark version of a batch whose conf has no spark.bpg.version"),
};
#undef LV

#define C struct bpg_config
/* Used verbatim: no reference resolution (7.2). */
static const struct key queue_token_keys[] = {
	R_LIST("secrets", C, queue_token_secrets, KF_SECRET, "HS256 secrets "
	    "of queue tokens"),
};

static const char *const read_access_names[BPG_READ__MAX + 1] = {
	[BPG_READ_OWNER] = "owner",
	[BPG_READ_ALL] = "all",
};
_Static_assert(sizeof(enum bpg_read_access) == sizeof(int),
    "KT_ENUM stores an int");

const struct key cfg_root_keys[] = {
	/* First: the secret references below may need them. */
	R_STR("inClusterApiServer", C, incluster_api_server, KF_EMPTY_NULL,
	    "API server k8s:secret: references are read from"),
	R_STR("inClusterServiceAccountDir", C, incluster_sa_dir,
	    KF_EMPTY_NULL, "token, ca.crt and namespace for them"),
	R_STEP(cfg_step_incluster, 0),
	R_STR("applicationContextPath", C, context_path, 0, "URL prefix of "
	    "the API (/skatev2)"),
	R_STEP(cfg_step_context_path, 0),
	R_MAP("defaultSparkConf", C, default_spark_conf, "lowest sparkConf "
	    "layer"),
	R_MAP("fixedSparkConf", C, fixed_spark_conf, "highest sparkConf "
	    "layer"),
	{ .name = "sparkClusters", .type = KT_LIST, .sub = cluster_keys,
	  .nsub = NITEMS(cluster_keys), .size = sizeof(struct bpg_cluster),
	  .off = FIELD(C, clusters, struct bpg_cluster *),
	  .aux = FIELD(C, nclusters, size_t),
	  .doc = "the Kubernetes clusters" },
	{ .name = "sparkImages", .type = KT_LIST, .sub = image_keys,
	  .nsub = NITEMS(image_keys), .size = sizeof(struct bpg_image),
	  .off = FIELD(C, images, struct bpg_image *),
	  .aux = FIELD(C, nimages, size_t),
	  .doc = "images by application type and Spark version" },
	R_LIST("allowedUsers", C, allowed_users, 0, "who may use the API "
	    "(\"*\": everyone)"),
	R_LIST("blockedUsers", C, blocked_users, 0, "who may not, even so"),
	R_LIST("adminUsers", C, admin_users, 0, "may read and delete any "
	    "submission"),
	R_LIST("viewerUsers", C, viewer_users, 0, "may read any submission"),
	R_LIST("metricsUsers", C, metrics_users, 0, "may read /metrics"),
	{ .name = "readAccess", .type = KT_ENUM, .names = read_access_names,
	  .off = offsetof(C, read_access), .idef = BPG_READ_OWNER,
	  .doc = "who reads a submission: owner or all" },
	{ .name = "queues", .type = KT_LIST, .sub = queue_keys,
	  .nsub = NITEMS(queue_keys), .size = sizeof(struct bpg_queue),
	  .off = FIELD(C, queues, struct bpg_queue *),
	  .aux = FIELD(C, nqueues, size_t), .has = HAS(C, has_queues),
	  .doc = "queue policies" },
	{ .name = "queueTokenSOPS", .type = KT_OBJ, .sub = queue_token_keys,
	  .nsub = NITEMS(queue_token_keys), .off = 0,
	  .has = HAS(C, has_queue_token),
	  .doc = "secrets of secure-queue tokens" },
	{ .name = "dbStorageSOPS", .type = KT_OBJ, .sub = db_keys,
	  .nsub = NITEMS(db_keys), .off = FIELD(C, db, struct bpg_dbconf),
	  .doc = "the database" },
	R_STEP(cfg_step_db, 0),
	R_NUM("memoryMbSecondCost", C, memory_mb_second_cost,
	    HAS(C, has_memory_mb_second_cost), 0, 0, 0, 0, "cost per "
	    "MB-second"),
	R_NUM("vCoreSecondCost", C, vcore_second_cost,
	    HAS(C, has_vcore_second_cost), 0, 0, 0, 0, "cost per "
	    "vCore-second"),
	R_INT("statusCacheExpireMillis", C, status_cache_expire_millis, 0, 0,
	    INT64_MAX, DEFAULT_STATUS_CACHE_MILLIS, "status cache lifetime"),
	R_INT("requestDeadlineSeconds", C, request_deadline_seconds, 0, 1,
	    BPG_MAX_REQUEST_DEADLINE_S, DEFAULT_REQUEST_DEADLINE_SECONDS,
	    "how long one request may take"),
	R_INT("idempotencyTtlSeconds", C, idempotency_ttl_seconds, 0,
	    BPG_IDEM_MIN_TTL_S, BPG_IDEM_MAX_TTL_S, BPG_IDEM_DEFAULT_TTL_S,
	    "how long an Idempotency-Key holds its answer"),
	R_STR("s3Bucket", C, s3_bucket, 0, "bucket of uploads"),
	R_STR("s3Folder", C, s3_folder, 0, "key prefix of uploads"),
	R_STR("sparkLogS3Bucket", C, spark_log_s3_bucket, 0, "bucket of the "
	    "log objects"),
	R_STR("sparkHistoryDns", C, spark_history_dns, 0, "host of History "
	    "Server links"),
	R_STR("sparkHistoryUrl", C, spark_history_url, 0, "History Server "
	    "REST API"),
	R_STR("s3Endpoint", C, s3.endpoint, KF_EMPTY_NULL, "S3 endpoint "
	    "(AWS)"),
	R_STR("sparkLogS3Endpoint", C, s3_log.endpoint, KF_EMPTY_NULL,
	    "endpoint of the log bucket (s3Endpoint)"),
	R_STR("s3Region", C, s3.region, KF_EMPTY_NULL, "S3 region "
	    "($AWS_REGION, us-west-2)"),
	R_BOOL("s3PathStyle", C, s3.path_style, "path-style S3 URLs (true "
	    "with an endpoint)"),
	R_SECRET("s3AccessKeyId", C, s3.access_key_id, KF_EMPTY_NULL,
	    "S3 access key ($AWS_ACCESS_KEY_ID)"),
	R_SECRET("s3SecretAccessKey", C, s3.secret_access_key, KF_EMPTY_NULL,
	    "S3 secret key ($AWS_SECRET_ACCESS_KEY)"),
	R_STEP(cfg_step_s3, 0),
	/* Empty (a blank template value): not configured. */
	R_STR("trustedUserHeader", C, trusted_user_header, KF_EMPTY_NULL,
	    "request header a trusted front end sets to the user"),
	R_NUM("streamWorkerShare", C, stream_worker_share, 0,
	    KF_ABOVE | KF_MAX, 0, 1, BPG_STREAM_WORKER_SHARE, "share of the "
	    "workers serving streams"),
	R_INT("streamsPerUser", C, streams_per_user, 0, 1, BPG_MAX_WORKERS,
	    BPG_STREAMS_PER_USER, "streams of one user"),
	R_INT("logFollowMaxSeconds", C, log_follow_max_seconds, 0, 1,
	    BPG_LOG_FOLLOW_LIMIT_S, BPG_LOG_FOLLOW_MAX_S, "longest followed "
	    "log"),
	R_INT("uploadLowSpeedLimit", C, upload_low_speed_limit, 0, 0,
	    1000000000, BPG_UPLOAD_LOW_SPEED_LIMIT, "slowest upload, bytes a "
	    "second (0: no limit)"),
	R_INT("uploadLowSpeedSeconds", C, upload_low_speed_seconds, 0, 1,
	    86400, BPG_UPLOAD_LOW_SPEED_S, "over this many seconds"),
	{ .name = "submitRateLimit", .type = KT_OBJ,
	  .sub = submit_limit_keys, .nsub = NITEMS(submit_limit_keys),
	  .off = FIELD(C, submit_limit, struct bpg_submit_limit),
	  .doc = "submissions per user and per queue, per gateway" },
	R_INT("clusterFailureThreshold", C, cluster_failure_threshold, 0, 1,
	    1000, DEFAULT_CLUSTER_FAILURE_THRESHOLD, "consecutive failures "
	    "that open a cluster's circuit breaker"),
	R_INT("clusterCooldownMillis", C, cluster_cooldown_millis, 0, 1,
	    86400000, DEFAULT_CLUSTER_COOLDOWN_MILLIS, "how long an open "
	    "breaker skips its cluster before one trial"),
	{ .name = "livy", .type = KT_OBJ, .sub = livy_keys,
	  .nsub = NITEMS(livy_keys), .off = FIELD(C, livy, struct bpg_livy_conf),
	  .doc = "Apache Livy's batches API" },
	R_BOOL("notificationAllowHttp", C, notification_allow_http, "webhooks "
	    "may be http://"),
	R_LIST("notificationAllowedHosts", C, notification_allowed_hosts, 0,
	    "hosts webhooks may post to (exact or *.domain)"),
	R_BOOL("notificationAllowPrivateAddresses", C,
	    notification_allow_private, "webhooks may reach private, "
	    "loopback and link-local addresses"),
	R_SECRET("notificationSecretSOPS", C, notification_secret,
	    KF_EMPTY_NULL, "HMAC-SHA256 key of X-BPG-Signature (secret)"),
	{ .name = "notificationCaCertDataSOPS", .type = KT_FN, .fn = cfg_fn_ca,
	  .release = cfg_rel_ca,
	  .off = FIELD(C, notification_ca_cert, char *),
	  .aux = FIELD(C, notification_ca_cert_len, size_t),
	  .doc = "CAs of webhook receivers besides the system's: base64 of "
	  "PEM, or PEM (secret)" },
	R_INT("notificationRetentionDays", C, notification_retention_days, 0,
	    1, BPG_NOTIFY_MAX_RETENTION_DAYS, BPG_NOTIFY_RETENTION_DAYS,
	    "days a sent or failed notification is kept"),
	R_STEP(cfg_step_notify, KF_LATE),
	R_INT("monitorLeaseMillis", C, monitor_lease_millis, 0,
	    BPG_LEASE_MIN_MS, BPG_LEASE_MAX_MS, BPG_LEASE_DEFAULT_MS,
	    "how long the monitor's leader lease lasts unrenewed"),
	R_INT("monitorLeaseRenewMillis", C, monitor_lease_renew_millis, 0,
	    BPG_LEASE_MIN_RENEW_MS, BPG_LEASE_MAX_MS / 2,
	    BPG_LEASE_DEFAULT_RENEW_MS, "how often the leading monitor renews "
	    "its lease"),
	R_STEP(cfg_step_trusted_header, KF_LATE),
};
#undef C
const size_t cfg_root_nkeys = NITEMS(cfg_root_keys);

enum bpg_err
cfg_bind_root(struct ctx *c, const json_t *root)
{
	if (json_is_null(root))
		return cfg_fail(c, NULL, NULL, "the configuration is empty");
	if (!json_is_object(root))
		return cfg_fail(c, root, NULL, "the configuration must be a "
		    "mapping, found %s", cfg_type_name(root));
	return cfg_bind_keys(c, root, cfg_root_keys, NITEMS(cfg_root_keys),
	    (char *)c->cfg);
}

/* Row i of the tables, flattened (sections first, then their keys). */
static bool
key_at(const struct key *t, size_t n, const char *section, size_t *i,
    struct bpg_config_keyinfo *out)
{
	static const char *const types[] = {
		[KT_STR] = "string", [KT_SECRET] = "secret",
		[KT_INT] = "integer", [KT_NUM] = "number",
		[KT_BOOL] = "boolean", [KT_ENUM] = "enum",
		[KT_STRLIST] = "list of strings", [KT_KVMAP] = "string map",
		[KT_OBJ] = "mapping", [KT_LIST] = "list of mappings",
		[KT_FN] = "structured", [KT_STEP] = "",
	};
	size_t j;

	for (j = 0; j < n; j++) {
		if (t[j].name == NULL)
			continue;
		if ((*i)-- == 0) {
			out->section = section;
			out->name = t[j].name;
			out->type = types[t[j].type];
			out->doc = t[j].doc;
			return true;
		}
		if ((t[j].type == KT_LIST || t[j].type == KT_OBJ) &&
		    key_at(t[j].sub, t[j].nsub, t[j].name, i, out))
			return true;
	}
	return false;
}

bool
bpg_config_key(size_t i, struct bpg_config_keyinfo *out)
{
	return key_at(cfg_root_keys, NITEMS(cfg_root_keys), "", &i, out);
}
