/*
 * BPG's config.yaml (bpg-reference section 7), read once at start-up with
 * libyaml and bound to typed structs.  The parsed config is read-only data:
 * every worker shares the supervisor's copy after fork().
 *
 * Binding rules (section 7.1): unknown keys are ignored, duplicate keys
 * last-wins, scalars bound to strings keep the text BPG would give them
 * (integers in decimal, booleans "true"/"false", floats through a double as
 * Java's Double.toString() prints it).  A value of the wrong shape is an
 * error that names the key path and the line.
 */
#ifndef BPG_CONFIG_H
#define BPG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_db.h"
#include "bpg_err.h"
#include "bpg_s3.h"

/* A list of strings; v[i] are owned.  n == 0 with present == false means
 * the key was absent (BPG distinguishes absent from empty in places). */
struct bpg_strlist {
	char **v;
	size_t n;
	bool present;
};

/* An ordered string map (sparkConf, labels).  Keys with a YAML null value
 * are left out (bpg-reference quirk 39). */
struct bpg_kv {
	char *key;
	char *value;
};
struct bpg_kvmap {
	struct bpg_kv *v;
	size_t n;
	bool present;
};

/*
 * (Ours) One submission rate limit: rate submissions a second (above 0,
 * at most 1000000), bursts of up to burst (1 to 1000000).  present:
 * configured.  Enforced by bpg_submitlimit.h.
 */
struct bpg_submit_rate {
	bool present;
	double rate;		/* default 5 */
	int64_t burst;		/* default 20 */
};

/* (Ours) submitRateLimit: per user and per queue, per gateway instance. */
struct bpg_submit_limit {
	struct bpg_submit_rate per_user;
	struct bpg_submit_rate per_queue;
	bool exempt_admins;		/* adminUsers are not limited */
	struct bpg_strlist exempt_users;	/* nor are these */
};

struct bpg_queue {
	char *name;
	bool secure;
	struct bpg_strlist users;
	bool has_max_running_millis;
	int64_t max_running_millis;
	/* (ours) an app still SUBMITTED this long is moved to another
	 * cluster by the monitor (bpg_monitor_starve.c); absent: never */
	bool has_max_pending_millis;
	int64_t max_pending_millis;
	char *driver_node_label_key;	  /* NULL: "node_group_category" */
	struct bpg_strlist driver_node_label_values;
	char *executor_node_label_key;	  /* NULL: "node_group_category" */
	struct bpg_strlist executor_node_label_values;
	struct bpg_strlist executor_spot_node_label_values;
	double driver_cpu_ratio;	  /* default 1.0 */
	double executor_cpu_ratio;
	double driver_mem_ratio;
	double executor_mem_ratio;
	int64_t max_executor_instances; /* default 5000 */
	bool has_max_executor_instances;
	struct bpg_strlist allowed_zones;
	char *zone_picker_name;
	/* (ours) overrides submitRateLimit.perQueue for this queue */
	struct bpg_submit_rate submit_rate;
	/* (ours) receivers of every submission of the queue, as
	 * bpg_notify_spec_json() makes them (checked), or NULL */
	json_t *notify;
};

/*
 * The parts of a cluster's driver/executor block BPG uses, rebuilt from
 * the fields of BPG's models only (other keys are dropped, with a
 * warning):
 *   EnvVar      {name, value?, valueFrom?: {fieldRef: {fieldPath?}}}
 *   VolumeMount {name, readOnly?, mountPath, subPath?}
 * name and mountPath are always there; values are strings (readOnly a
 * boolean).
 */
struct bpg_cluster_pod {
	json_t *env;		/* array of EnvVar objects, or NULL */
	json_t *volume_mounts;	/* array of VolumeMount objects, or NULL */
};

struct bpg_cluster {
	/* DNS-1123 label of at most 20 with a letter first: it starts CR
	 * names */
	char *id;
	int64_t weight;			/* 0 to INT32_MAX */
	char *eks_cluster;
	/* http:// or https:// (scheme in lower case), without a trailing
	 * '/', query or fragment */
	char *master_url;
	/* resolved PEM text (NUL-terminated), or NULL when absent or empty */
	char *ca_cert;
	size_t ca_cert_len;
	char *user_name;
	/* resolved bearer token, without control bytes; secret.  NULL when
	 * absent; "" only on clusters of weight 0. */
	char *token;
	int64_t timeout_millis;		/* default 30000 */
	char *http_proxy;
	char *https_proxy;
	char *namespace;		/* DNS-1123 label */
	char *service_account;
	char *batch_scheduler;
	struct bpg_strlist spark_versions;
	struct bpg_strlist queues;
	bool has_ttl_seconds;
	int64_t ttl_seconds;
	char *spark_ui_url;
	struct bpg_kvmap spark_conf;
	/* {servicePort, ingressAnnotations, ingressTLS} already in CR form
	 * (ServicePort accepted as an alias), or NULL. */
	json_t *spark_ui_options;
	/* array of Volume objects {name, hostPath?: {path?, type?},
	 * configMap?: {name?}}, or NULL */
	json_t *volumes;
	struct bpg_cluster_pod driver;
	struct bpg_cluster_pod executor;
};

struct bpg_image {
	char *name;
	struct bpg_strlist types;
	char *version;
};

enum bpg_read_access {
	BPG_READ_OWNER = 0,	/* the submitter, adminUsers, viewerUsers */
	BPG_READ_ALL,		/* everyone, as in BPG */
	BPG_READ__MAX
};

struct bpg_config {
	/* default "/skatev2", no trailing '/' ("" when configured as "/") */
	char *context_path;
	struct bpg_kvmap default_spark_conf;
	struct bpg_kvmap fixed_spark_conf;
	struct bpg_cluster *clusters;
	size_t nclusters;
	struct bpg_image *images;
	size_t nimages;
	struct bpg_strlist allowed_users;
	struct bpg_strlist blocked_users;
	struct bpg_strlist admin_users;
	/*
	 * Our keys.  viewerUsers may read every submission (status, spec,
	 * driver, describe, logs, /admin/submissions) but change none.
	 * readAccess "owner" (default): reads are for the submitter,
	 * adminUsers and viewerUsers only; "all": any allowed user reads any
	 * submission, as in BPG (bpg-reference 8.2, quirk 19).
	 */
	struct bpg_strlist viewer_users;
	/* (ours) may read GET /metrics, besides adminUsers */
	struct bpg_strlist metrics_users;
	enum bpg_read_access read_access;
	struct bpg_queue *queues;
	size_t nqueues;
	bool has_queues;
	struct bpg_strlist queue_token_secrets;	/* secret */
	bool has_queue_token;
	struct bpg_dbconf db;			/* password is secret */
	bool has_memory_mb_second_cost;
	double memory_mb_second_cost;
	bool has_vcore_second_cost;
	double vcore_second_cost;
	int64_t status_cache_expire_millis;	/* default 990 */
	/*
	 * (Ours) requestDeadlineSeconds: how long one request may take, end
	 * to end; its Kubernetes calls are cut to fit, and a stopping
	 * gateway waits this long (plus BPG_STOP_GRACE_S) for the requests
	 * in flight.  Default 120, 1..BPG_MAX_REQUEST_DEADLINE_S.
	 */
	int64_t request_deadline_seconds;
	/* How long an idempotency key holds its answer (bpg_idem.h). */
	int64_t idempotency_ttl_seconds;
	char *s3_bucket;
	char *s3_folder;
	char *spark_log_s3_bucket;
	char *spark_history_dns;
	char *spark_history_url;
	/*
	 * S3 clients (our keys: BPG takes them from the AWS SDK's default
	 * chain and the s3.endpoint.url system property), resolved once at
	 * load.  s3 serves uploads to s3Bucket (POST /s3), s3_log reads the
	 * objects of sparkLogS3Bucket (GET /log).  Both share:
	 *   s3Endpoint         endpoint URL; absent: AWS (https://s3.<region>
	 *                      .amazonaws.com)
	 *   sparkLogS3Endpoint endpoint of the log bucket only; absent:
	 *                      s3Endpoint
	 *   s3Region           absent: $AWS_REGION, else us-west-2 (BPG's)
	 *   s3PathStyle        absent: true when an endpoint is given (as BPG
	 *                      does with s3.endpoint.url), false for AWS
	 *   s3AccessKeyId, s3SecretAccessKey
	 *                      secret references allowed (section 7.3); both
	 *                      or neither.  Absent: $AWS_ACCESS_KEY_ID,
	 *                      $AWS_SECRET_ACCESS_KEY and $AWS_SESSION_TOKEN;
	 *                      none of those: anonymous requests.
	 * Timeouts are BPG's 180 s.  Credentials are secret and wiped by
	 * bpg_config_free().
	 */
	struct bpg_s3conf s3;
	struct bpg_s3conf s3_log;
	/*
	 * Name of a request header a trusted front end sets to the user
	 * (BPG's User-Account); NULL: only REMOTE_USER is believed.  Our
	 * key: "trustedUserHeader".
	 */
	char *trusted_user_header;
	/*
	 * Long requests: followed pod logs and uploads (our keys;
	 * bpg_streams.h).  At most streamWorkerShare of the workers serve
	 * them at once, and streamsPerUser per user; a followed log ends
	 * after logFollowMaxSeconds; an upload whose client sends fewer than
	 * uploadLowSpeedLimit bytes a second over uploadLowSpeedSeconds is
	 * cut (0: no limit).
	 */
	double stream_worker_share;		/* default 0.5 */
	int64_t streams_per_user;		/* default 2 */
	int64_t log_follow_max_seconds;		/* default 3600 */
	int64_t upload_low_speed_limit;		/* default 1024 */
	int64_t upload_low_speed_seconds;	/* default 60 */
	struct bpg_submit_limit submit_limit;	/* (ours) submitRateLimit */
	/*
	 * (Ours) the clusters' circuit breakers (bpg_breaker.h):
	 * clusterFailureThreshold consecutive failures (default 3, 1..1000)
	 * open one for clusterCooldownMillis (default 30000, 1..86400000).
	 */
	int64_t cluster_failure_threshold;
	int64_t cluster_cooldown_millis;
	/*
	 * (Ours) notifications by webhook (bpg_notify.h): receivers' URLs
	 * must be https unless notificationAllowHttp, their host one of
	 * notificationAllowedHosts (exact or "*.domain"; none: no
	 * notifications), and resolve to no private, loopback or link-local
	 * address unless notificationAllowPrivateAddresses.  Bodies are
	 * signed with notificationSecretSOPS (secret); receivers'
	 * certificates are checked against the system CAs plus
	 * notificationCaCertDataSOPS (PEM, or NULL).
	 */
	bool notification_allow_http;
	bool notification_allow_private;
	struct bpg_strlist notification_allowed_hosts;
	char *notification_secret;
	char *notification_ca_cert;
	size_t notification_ca_cert_len;
	/* (Ours) days a finished notification and its attempts are kept. */
	int64_t notification_retention_days;
	/*
	 * (Ours) the monitor's leader lease (bpg_lease.h): held for
	 * monitorLeaseMillis (default 15000, 2000..600000), renewed every
	 * monitorLeaseRenewMillis (default 5000, 200..300000; at most half
	 * the lease less its safety margin, checked by the monitor).
	 */
	int64_t monitor_lease_millis;
	int64_t monitor_lease_renew_millis;
	/*
	 * Where k8s:secret:<ns>:<name>:<key> references (section 7.3) are
	 * read, once, at load (our keys):
	 *   inClusterApiServer          default https://kubernetes.default.svc
	 *   inClusterServiceAccountDir  default /var/run/secrets/kubernetes.io/
	 *                               serviceaccount (token, ca.crt, and
	 *                               namespace for an empty <ns>)
	 * NULL: the default.  Only read while loading; kept for show.
	 */
	char *incluster_api_server;
	char *incluster_sa_dir;
	/*
	 * (Ours) livy: Apache Livy's batches API (bpg_api_livy.h), off
	 * unless enabled; always at <applicationContextPath>/batches, and
	 * also at path (e.g. "/batches", no trailing '/'; NULL: not) for
	 * clients that cannot take a prefix; defaultSparkVersion for a batch
	 * whose conf names no spark.bpg.version (NULL: none).
	 */
	struct bpg_livy_conf {
		bool enabled;
		char *path;
		char *default_spark_version;
	} livy;
	/*
	 * Input that was accepted but is probably not what was meant, one
	 * "path: message" line each, for the caller to log at start-up
	 * (bpg-reference quirk 40: unquoted versions; unset localhost:env:
	 * variables; keys that BPG's models drop).  Never holds secrets.
	 * At most BPG_CONFIG_MAX_WARNINGS entries.
	 */
	struct bpg_strlist warnings;
	/*
	 * What another module derives from the rest once, at load
	 * (bpg_crd_text_prepare()), for its readers to use as they are;
	 * derived_free() frees it with the configuration.
	 */
	void *derived;
	void (*derived_free)(void *);
};

#define BPG_CONFIG_MAX_WARNINGS 64

/* Where a config error is. */
struct bpg_config_error {
	int line;		/* 0 if unknown */
	char path[128];		/* key path, e.g. "sparkClusters[1].weight" */
	char msg[256];
};

/*
 * Parse buf[0..len) (YAML) into *out.  Secret references (section 7.3:
 * "plaintext:", "localhost:env:", "k8s:secret:") are resolved here, once;
 * k8s:secret: references are read from the Kubernetes API server with the
 * in-cluster keys above (bpg_secret.h: this may block for up to three
 * attempts of 30 s per Secret), and one that cannot be read leaves the
 * reference text in place with a warning, as BPG does.  Checks what later
 * code relies on: cluster ids unique and usable in submission IDs (the
 * IDs they give pass bpg_name_app()), weights >= 0, dbName, known URL
 * schemes.  On error *out
 * is NULL and err (which may be NULL) says where; BPG_EINVAL for text that
 * is not YAML, BPG_ETOOBIG over BPG_MAX_CONFIG bytes or the YAML depth and
 * node limits, BPG_ECONFIG for a document that is not a valid config,
 * BPG_ENOMEM.  Messages never contain a secret's value.
 */
enum bpg_err bpg_config_parse(const char *buf, size_t len,
    struct bpg_config **out, struct bpg_config_error *err) BPG_WUR;

/*
 * Read and parse a file (at most BPG_MAX_CONFIG bytes): the errors of
 * bpg_config_parse(), plus BPG_EIO if it cannot be read and BPG_ETOOBIG if
 * it is larger.  The file's bytes are wiped from memory after parsing.
 */
enum bpg_err bpg_config_load(const char *path, struct bpg_config **out,
    struct bpg_config_error *err) BPG_WUR;

/* What bpg_config_resolve_ref() did with a value. */
enum bpg_config_ref {
	BPG_CONFIG_REF_NONE,	  /* not a reference: the value as is */
	BPG_CONFIG_REF_RESOLVED,  /* plaintext:, localhost:env: of a set
				   * variable, or a k8s:secret: read */
	BPG_CONFIG_REF_ENV_UNSET, /* localhost:env: of an unset variable: the
				   * original string, as BPG */
	BPG_CONFIG_REF_MALFORMED, /* k8s:secret: without exactly 3 parts: the
				   * original string, as BPG */
	BPG_CONFIG_REF_K8S_UNRESOLVED, /* k8s:secret: that could not be read
				   * (no such Secret or key, bad names, the
				   * API server failing): the original
				   * string, as BPG */
	BPG_CONFIG_REF__MAX
};

/*
 * Resolve one secret reference (section 7.3).  value NULL gives *out NULL;
 * otherwise *out is a new string the caller frees (and should wipe).  kind
 * may be NULL.  A "k8s:secret:<ns>:<name>:<key>" reference is read with
 * the default in-cluster settings (bpg_secret.h); when it is not resolved
 * ei says why.  BPG_ENOMEM.  ei never receives the value.
 */
enum bpg_err bpg_config_resolve_ref(const char *value, char **out,
    enum bpg_config_ref *kind, struct bpg_errinfo *ei) BPG_WUR;

/* Size of a buffer that holds any bpg_config_java_double() text. */
#define BPG_JAVA_DOUBLE_MAX 32

/*
 * d as Java's Double.toString() writes it (the shortest decimal that reads
 * back as d; "3.1", "3.0", "100.0", "0.001", "1.0E7", "1.0E-4",
 * "4.9E-324", "NaN", "-Infinity"), which is how BPG turns a YAML float
 * into a string (section 7.1).  Writes at most size bytes including the
 * NUL, like snprintf(), and returns the length of the whole text.
 */
size_t bpg_config_java_double(double d, char *buf, size_t size);

/* One key of config.yaml, as the binding tables describe it. */
struct bpg_config_keyinfo {
	const char *section;	/* "" for the top level, else the key of
				 * its mapping or list ("sparkClusters") */
	const char *name;	/* the key */
	const char *type;	/* "string", "integer", "list of strings" ... */
	const char *doc;	/* one line */
};

/*
 * Key i of every key bpg_config_parse() binds (each section's key comes
 * just before its own keys), in *out; false past the last.  Static
 * strings.  For documentation and its tests: every key is documented in
 * httpd-conf/deploy/config.example.yaml and README.md.
 */
bool bpg_config_key(size_t i, struct bpg_config_keyinfo *out);

/* NULL is a no-op.  Clears secrets before freeing them. */
void bpg_config_free(struct bpg_config *);

/* Lookups used by routing and CR building.  NULL if absent. */
const struct bpg_cluster *bpg_config_cluster(const struct bpg_config *,
    const char *id);
/* First queue whose name equals name exactly (case-sensitive). */
const struct bpg_queue *bpg_config_queue_exact(const struct bpg_config *,
    const char *name);
/* The same for the first n bytes of name (a parent queue of "a.b"). */
const struct bpg_queue *bpg_config_queue_exact_n(const struct bpg_config *,
    const char *name, size_t n);
/* First (or last, when last is true) queue matching case-insensitively. */
const struct bpg_queue *bpg_config_queue_icase(const struct bpg_config *,
    const char *name, bool last);
/* Value for key in map, or NULL. */
const char *bpg_kvmap_get(const struct bpg_kvmap *, const char *key);
/* True if list contains s (exact, or ASCII case-insensitive). */
bool bpg_strlist_has(const struct bpg_strlist *, const char *s, bool icase);

#endif
