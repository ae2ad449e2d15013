/*
 * Tests for lib/bpg_config.c: the worked example of bpg-reference 2.24,
 * a config in the shape of BPG's config.example.yaml, defaults, secret
 * references (7.3), Java's Double.toString(), lookups, and a table of bad
 * configs, each asserting the error code, key path and line.
 *
 * Config inputs live in tests/data/config/ (also the fuzzer's seeds).
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libgen.h>

#include <check.h>

#include "bpg_config.h"
#include "testutil.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */

/* tests/data/config/<name>, or $BPG_TEST_CONFIG_DIR/<name> when that is
 * set; new, the caller's to free(). */
static char *
data_path(const char *name)
{
	const char *dir = getenv("BPG_TEST_CONFIG_DIR");
	char *path;

	if (dir == NULL)
		return tu_data_path("config", name);
	ck_assert_int_ge(asprintf(&path, "%s/%s", dir, name), 0);
	return path;
}

static struct bpg_config *
load_ok(const char *name)
{
	struct bpg_config_error err;
	struct bpg_config *cfg;
	char *path = data_path(name);
	enum bpg_err e;

	e = bpg_config_load(path, &cfg, &err);
	ck_assert_msg(e == BPG_OK, "%s: %s at %s line %d", path, err.msg,
	    err.path, err.line);
	free(path);
	return cfg;
}

static void
assert_list(const struct bpg_strlist *l, size_t n, ...)
{
	va_list ap;
	size_t i;

	ck_assert(l->present);
	ck_assert_uint_eq(l->n, n);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		ck_assert_str_eq(l->v[i], va_arg(ap, const char *));
	va_end(ap);
}

/* Map entries in order: key, value, key, value... */
static void
assert_map(const struct bpg_kvmap *m, size_t n, ...)
{
	va_list ap;
	size_t i;

	ck_assert(m->present);
	ck_assert_uint_eq(m->n, n);
	va_start(ap, n);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(m->v[i].key, va_arg(ap, const char *));
		ck_assert_str_eq(m->v[i].value, va_arg(ap, const char *));
	}
	va_end(ap);
}

static void
assert_json(const json_t *v, const char *expect)
{
	json_error_t jerr;
	json_t *want = json_loads(expect, 0, &jerr);
	char *got;

	ck_assert_msg(want != NULL, "bad expectation: %s", jerr.text);
	got = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_msg(json_equal(v, want), "got %s, want %s", got, expect);
	/* Same order too: the CR keeps the config's order. */
	free(got);
	json_decref(want);
}

#define PEM "-----BEGIN CERTIFICATE-----\n" \
	"MIIBszCCAVmgAwIBAgIUTESTONLYTESTONLYTESTONLY\n" \
	"-----END CERTIFICATE-----\n"
/* base64 of PEM, in two pieces. */
#define PEM_B64_1 "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJzekNDQVZt"
#define PEM_B64_2 "Z0F3SUJBZ0lVVEVTVE9OTFlURVNUT05MWVRFU1RPTkxZCi0tLS0t" \
	"RU5EIENFUlRJRklDQVRFLS0tLS0K"

/* ------------------------------------------------------------------ */
/* The worked example (section 2.24)                                   */

START_TEST(test_sparkpi)
{
	const struct bpg_cluster *cl;
	const struct bpg_queue *q;
	struct bpg_config *cfg;

	ck_assert_int_eq(setenv("BPG_C01_TOKEN", "token-c01-0123456789", 1),
	    0);
	cfg = load_ok("sparkpi.yaml");

	ck_assert_str_eq(cfg->context_path, "/skatev2");
	assert_map(&cfg->default_spark_conf, 4,
	    "spark.kubernetes.submission.connectionTimeout", "30000",
	    "spark.kubernetes.submission.requestTimeout", "30000",
	    "spark.kubernetes.driver.connectionTimeout", "30000",
	    "spark.kubernetes.driver.requestTimeout", "30000");
	assert_map(&cfg->fixed_spark_conf, 1, "spark.authenticate", "true");

	ck_assert_uint_eq(cfg->nclusters, 1);
	cl = &cfg->clusters[0];
	ck_assert_str_eq(cl->id, "c01");
	ck_assert_int_eq(cl->weight, 100);
	ck_assert_str_eq(cl->eks_cluster, "eks-dev-1");
	ck_assert_str_eq(cl->master_url, "https://k8s-api.example.com");
	ck_assert_uint_eq(cl->ca_cert_len, strlen(PEM));
	ck_assert_mem_eq(cl->ca_cert, PEM, strlen(PEM));
	ck_assert_str_eq(cl->user_name, "spark-operator-api-user");
	ck_assert_str_eq(cl->token, "token-c01-0123456789");
	ck_assert_int_eq(cl->timeout_millis, 180000);
	ck_assert_ptr_null(cl->http_proxy);
	ck_assert_ptr_null(cl->https_proxy);
	ck_assert_str_eq(cl->namespace, "spark-applications");
	ck_assert_str_eq(cl->service_account, "spark");
	ck_assert_str_eq(cl->batch_scheduler, "yunikorn");
	assert_list(&cl->spark_versions, 1, "3.5.0");
	assert_list(&cl->queues, 2, "poc", "dev");
	ck_assert(cl->has_ttl_seconds);
	ck_assert_int_eq(cl->ttl_seconds, 86400);
	ck_assert_str_eq(cl->spark_ui_url, "https://sparkui.example.com");
	assert_map(&cl->spark_conf, 2,
	    "spark.kubernetes.executor.podNamePrefix",
	    "{spark-application-resource-name}",
	    "spark.eventLog.enabled", "true");
	assert_json(cl->spark_ui_options,
	    "{\"servicePort\":4040,\"ingressAnnotations\":{"
	    "\"kubernetes.io/ingress.class\":\"nginx\","
	    "\"nginx.ingress.kubernetes.io/proxy-redirect-to\":"
	    "\"/spark-applications/{spark-application-resource-name}/\"},"
	    "\"ingressTLS\":[{\"hosts\":[\"sparkui.example.com\"],"
	    "\"secretName\":\"sparkui-tls\"}]}");
	ck_assert_ptr_null(cl->volumes);
	assert_json(cl->driver.env,
	    "[{\"name\":\"STATSD_SERVER_IP\",\"valueFrom\":{\"fieldRef\":"
	    "{\"fieldPath\":\"status.hostIP\"}}},"
	    "{\"name\":\"STATSD_SERVER_PORT\",\"value\":\"8125\"}]");
	ck_assert_ptr_null(cl->driver.volume_mounts);
	assert_json(cl->executor.env,
	    "[{\"name\":\"STATSD_SERVER_PORT\",\"value\":\"8125\"}]");
	ck_assert_ptr_null(cl->executor.volume_mounts);

	ck_assert_uint_eq(cfg->nimages, 2);
	ck_assert_str_eq(cfg->images[0].name, "apache/spark:3.5.0");
	assert_list(&cfg->images[0].types, 2, "Java", "Scala");
	ck_assert_str_eq(cfg->images[0].version, "3.5.0");
	ck_assert_str_eq(cfg->images[1].name, "apache/spark-py:3.5.0");
	assert_list(&cfg->images[1].types, 1, "Python");
	ck_assert_str_eq(cfg->images[1].version, "3.5.0");

	assert_list(&cfg->allowed_users, 1, "*");
	ck_assert(!cfg->blocked_users.present);
	ck_assert(!cfg->admin_users.present);
	ck_assert(!cfg->viewer_users.present);
	ck_assert_int_eq(cfg->read_access, BPG_READ_OWNER);

	ck_assert(cfg->has_queues);
	ck_assert_uint_eq(cfg->nqueues, 2);
	q = &cfg->queues[0];
	ck_assert_str_eq(q->name, "poc");
	ck_assert(!q->secure);
	ck_assert(!q->users.present);
	ck_assert(!q->has_max_running_millis);
	ck_assert_ptr_null(q->driver_node_label_key);
	ck_assert(!q->driver_node_label_values.present);
	ck_assert(q->driver_cpu_ratio == 1.0 && q->executor_cpu_ratio == 1.0);
	ck_assert(q->driver_mem_ratio == 1.0 && q->executor_mem_ratio == 1.0);
	ck_assert_int_eq(q->max_executor_instances, 5000);
	ck_assert(!q->has_max_executor_instances);
	ck_assert(!q->allowed_zones.present);
	ck_assert_ptr_null(q->zone_picker_name);
	q = &cfg->queues[1];
	ck_assert_str_eq(q->name, "dev");
	ck_assert(q->has_max_running_millis);
	ck_assert_int_eq(q->max_running_millis, 86400000);
	ck_assert_str_eq(q->driver_node_label_key, "node_group_category");
	assert_list(&q->driver_node_label_values, 1, "spark_driver");
	ck_assert_str_eq(q->executor_node_label_key, "node_group_category");
	assert_list(&q->executor_node_label_values, 1, "spark_executor");
	ck_assert(!q->executor_spot_node_label_values.present);

	ck_assert(!cfg->has_queue_token);
	ck_assert(!cfg->queue_token_secrets.present);
	ck_assert_ptr_null(cfg->db.connection_string);
	ck_assert_ptr_null(cfg->db.user);
	ck_assert_ptr_null(cfg->db.password);
	ck_assert_str_eq(cfg->db.db_name, "bpg");
	ck_assert(cfg->has_memory_mb_second_cost);
	ck_assert(cfg->memory_mb_second_cost == 0.000000000372);
	ck_assert(cfg->has_vcore_second_cost);
	ck_assert(cfg->vcore_second_cost == 0.000003);
	ck_assert_int_eq(cfg->status_cache_expire_millis, 990);
	ck_assert_ptr_null(cfg->s3_bucket);
	ck_assert_ptr_null(cfg->s3_folder);
	ck_assert_ptr_null(cfg->spark_log_s3_bucket);
	ck_assert_ptr_null(cfg->spark_history_dns);
	ck_assert_ptr_null(cfg->spark_history_url);
	ck_assert_ptr_null(cfg->trusted_user_header);
	ck_assert_uint_eq(cfg->warnings.n, 0);
	bpg_config_free(cfg);
}
END_TEST

/* Without the variable, BPG keeps the reference text as the token (7.3);
 * that is accepted with a warning that names the variable only. */
START_TEST(test_sparkpi_env_unset)
{
	struct bpg_config *cfg;

	unsetenv("BPG_C01_TOKEN");
	cfg = load_ok("sparkpi.yaml");
	ck_assert_str_eq(cfg->clusters[0].token, "localhost:env:BPG_C01_TOKEN");
	ck_assert_uint_eq(cfg->warnings.n, 1);
	ck_assert_str_eq(cfg->warnings.v[0], "sparkClusters[0].userTokenSOPS: "
	    "environment variable BPG_C01_TOKEN is not set; the reference text "
	    "itself is used (section 7.3)");
	bpg_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* BPG's config.example.yaml shape                                     */

START_TEST(test_example_shape)
{
	const struct bpg_cluster *cl;
	const struct bpg_queue *q;
	struct bpg_config *cfg = load_ok("example-shape.yaml");

	/* Unquoted numbers, booleans and floats become Java's text; the
	 * null value is left out (quirk 39); order is kept. */
	assert_map(&cfg->default_spark_conf, 5,
	    "spark.kubernetes.submission.connectionTimeout", "30000",
	    "spark.sql.debug.maxToStringFields", "75",
	    "spark.speculation", "false",
	    "spark.memory.fraction", "0.6",
	    "spark.kubernetes.driver.requestTimeout", "30000");
	ck_assert(!cfg->fixed_spark_conf.present);

	ck_assert_uint_eq(cfg->nclusters, 2);
	cl = &cfg->clusters[0];
	ck_assert_str_eq(cl->id, "cluster-id-1");
	ck_assert_int_eq(cl->weight, 100);
	/* Scheme lower-cased, trailing '/' removed. */
	ck_assert_str_eq(cl->master_url, "https://one.k8s.example.net");
	/* Raw PEM (not base64) is accepted as is. */
	ck_assert_uint_eq(cl->ca_cert_len, strlen(PEM));
	ck_assert_str_eq(cl->ca_cert, PEM);
	ck_assert_str_eq(cl->token, "token-for-cluster-one");
	ck_assert_str_eq(cl->namespace, "spark-apps");
	/* 3.10 is a float: "3.1" (quirk 40), with a warning. */
	assert_list(&cl->spark_versions, 2, "3.2", "3.1");
	ck_assert(tu_has_warning(cfg, "sparkClusters[0].sparkVersions[0]: "
	    "unquoted number read as \"3.2\""));
	ck_assert(tu_has_warning(cfg, "sparkClusters[0].sparkVersions[1]: "
	    "unquoted number read as \"3.1\""));
	assert_list(&cl->queues, 2, "poc", "vip");
	ck_assert_int_eq(cl->ttl_seconds, 86400);
	ck_assert_int_eq(cl->timeout_millis, 180000);
	assert_map(&cl->spark_conf, 7,
	    "spark.kubernetes.executor.podNamePrefix",
	    "{spark-application-resource-name}",
	    "spark.eventLog.enabled", "true",
	    "spark.kubernetes.allocation.batch.size", "2000",
	    "spark.kubernetes.allocation.batch.delay", "1s",
	    "spark.dynamicAllocation.enabled", "true",
	    "spark.executor.memoryOverheadFactor", "0.1",
	    "spark.network.timeout", "1.0E7");
	/* ServicePort is taken as servicePort (quirk 22). */
	assert_json(cl->spark_ui_options,
	    "{\"servicePort\":4040,\"ingressAnnotations\":{"
	    "\"kubernetes.io/ingress.class\":\"nginx\","
	    "\"nginx.ingress.kubernetes.io/proxy-redirect-to\":"
	    "\"/spark-apps/{spark-application-resource-name}/\","
	    "\"nginx.ingress.kubernetes.io/configuration-snippet\":"
	    "\"sub_filter_once off;\\n\"},"
	    "\"ingressTLS\":[{\"hosts\":[\"ui.one.example.net\"],"
	    "\"secretName\":\"ui-one-tls\"}]}");
	assert_json(cl->volumes,
	    "[{\"name\":\"spark-local\",\"hostPath\":{\"path\":\"/mnt/spark\","
	    "\"type\":\"DirectoryOrCreate\"}},"
	    "{\"name\":\"conf\",\"configMap\":{\"name\":\"spark-conf\"}}]");
	/* The unquoted 8125 becomes "8125"; driver.cores is ignored. */
	assert_json(cl->driver.env,
	    "[{\"name\":\"STATSD_SERVER_IP\",\"valueFrom\":{\"fieldRef\":"
	    "{\"fieldPath\":\"status.hostIP\"}}},"
	    "{\"name\":\"STATSD_SERVER_PORT\",\"value\":\"8125\"}]");
	assert_json(cl->driver.volume_mounts,
	    "[{\"name\":\"spark-local\",\"mountPath\":\"/tmp/spark\"},"
	    "{\"name\":\"conf\",\"readOnly\":true,\"mountPath\":"
	    "\"/etc/spark/conf\",\"subPath\":\"spark-defaults.conf\"}]");
	assert_json(cl->executor.env,
	    "[{\"name\":\"AWS_STS_REGIONAL_ENDPOINTS\",\"value\":"
	    "\"regional\"}]");
	assert_json(cl->executor.volume_mounts,
	    "[{\"name\":\"spark-local\",\"mountPath\":\"/tmp/spark\"}]");

	/* Weight 0 with an empty token is allowed: never routed to. */
	cl = &cfg->clusters[1];
	ck_assert_str_eq(cl->id, "cluster-id-2");
	ck_assert_int_eq(cl->weight, 0);
	ck_assert_str_eq(cl->master_url, "http://two.k8s.example.net:6443");
	ck_assert_str_eq(cl->token, "");
	ck_assert_ptr_null(cl->ca_cert);
	ck_assert_int_eq(cl->timeout_millis, 30000);
	ck_assert(!cl->has_ttl_seconds);
	ck_assert_ptr_null(cl->spark_ui_options);
	ck_assert(!cl->spark_conf.present);

	ck_assert_uint_eq(cfg->nimages, 3);
	ck_assert_str_eq(cfg->images[2].version, "3.1");
	ck_assert(tu_has_warning(cfg, "sparkImages[2].version: unquoted number "
	    "read as \"3.1\""));
	ck_assert(!tu_has_warning(cfg, "sparkImages[0]"));

	/* Duplicate keys: the last s3Folder wins. */
	ck_assert_str_eq(cfg->s3_bucket, "artifacts-bucket");
	ck_assert_str_eq(cfg->s3_folder, "uploaded");
	ck_assert_str_eq(cfg->spark_log_s3_bucket, "logs-bucket");
	ck_assert_str_eq(cfg->spark_history_dns, "history.example.net");
	ck_assert_str_eq(cfg->spark_history_url, "https://history.example.net");
	ck_assert_int_eq(cfg->status_cache_expire_millis, 1500);
	ck_assert_int_eq(cfg->request_deadline_seconds, 45);
	assert_list(&cfg->allowed_users, 1, "*");
	assert_list(&cfg->blocked_users, 1, "blocked_user_1");
	assert_list(&cfg->admin_users, 1, "admin1");

	ck_assert_uint_eq(cfg->nqueues, 2);
	q = &cfg->queues[0];
	assert_list(&q->executor_spot_node_label_values, 1, "spark_spot");
	ck_assert(q->driver_cpu_ratio == 1.5);
	ck_assert(q->executor_cpu_ratio == 1.0);
	ck_assert(q->driver_mem_ratio == 1.0);
	ck_assert(q->executor_mem_ratio == 2.0);
	ck_assert(q->has_max_executor_instances);
	ck_assert_int_eq(q->max_executor_instances, 100);
	assert_list(&q->allowed_zones, 2, "us-west-2a", "us-west-2b");
	ck_assert_str_eq(q->zone_picker_name, "round_robin");
	q = &cfg->queues[1];
	ck_assert(q->secure);
	assert_list(&q->users, 2, "alice", "Bob");
	ck_assert_int_eq(q->max_running_millis, 3600000);

	ck_assert(cfg->has_queue_token);
	assert_list(&cfg->queue_token_secrets, 2, "secret$$$1",
	    "second-secret");
	ck_assert_str_eq(cfg->db.connection_string,
	    "jdbc:mysql://db.example.net:3306/bpg?useUnicode=yes&"
	    "characterEncoding=UTF-8&connectTimeout=10000&socketTimeout=30000");
	ck_assert_str_eq(cfg->db.user, "bpg_user");
	ck_assert_str_eq(cfg->db.password, "db-password");
	ck_assert_str_eq(cfg->db.db_name, "bpg_prod");
	/* Only the version warnings: nothing else was dropped. */
	ck_assert_uint_eq(cfg->warnings.n, 3);
	bpg_config_free(cfg);
}
END_TEST

/* Anchors and aliases: shared nodes are bound once per use. */
START_TEST(test_alias)
{
	struct bpg_config *cfg = load_ok("alias.yaml");

	ck_assert_uint_eq(cfg->nclusters, 2);
	ck_assert_str_eq(cfg->clusters[0].token, "shared-token");
	ck_assert_str_eq(cfg->clusters[1].token, "shared-token");
	assert_map(&cfg->clusters[1].spark_conf, 2, "spark.eventLog.enabled",
	    "true", "spark.ui.port", "4041");
	assert_json(cfg->clusters[0].driver.env,
	    "[{\"name\":\"A\",\"value\":\"1\"}]");
	assert_json(cfg->clusters[1].executor.env,
	    "[{\"name\":\"A\",\"value\":\"1\"}]");
	bpg_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Defaults                                                            */

START_TEST(test_defaults)
{
	struct bpg_config *cfg = tu_config("{}", NULL);

	ck_assert_str_eq(cfg->context_path, "/skatev2");
	ck_assert(!cfg->default_spark_conf.present);
	ck_assert_uint_eq(cfg->nclusters, 0);
	ck_assert_ptr_null(cfg->clusters);
	ck_assert_uint_eq(cfg->nimages, 0);
	ck_assert(!cfg->allowed_users.present);
	ck_assert(!cfg->has_queues);
	ck_assert_uint_eq(cfg->nqueues, 0);
	ck_assert(!cfg->has_queue_token);
	ck_assert_str_eq(cfg->db.db_name, "bpg");
	ck_assert(!cfg->has_memory_mb_second_cost);
	ck_assert(!cfg->has_vcore_second_cost);
	ck_assert_int_eq(cfg->status_cache_expire_millis, 990);
	ck_assert_int_eq(cfg->request_deadline_seconds, 120);
	ck_assert_int_eq(cfg->idempotency_ttl_seconds, 86400);
	ck_assert_ptr_null(cfg->trusted_user_header);
	ck_assert(cfg->stream_worker_share == 0.5);
	ck_assert_int_eq(cfg->streams_per_user, 2);
	ck_assert_int_eq(cfg->log_follow_max_seconds, 3600);
	ck_assert_int_eq(cfg->upload_low_speed_limit, 1024);
	ck_assert_int_eq(cfg->upload_low_speed_seconds, 60);
	ck_assert_int_eq(cfg->cluster_failure_threshold, 3);
	ck_assert_int_eq(cfg->cluster_cooldown_millis, 30000);
	ck_assert(!cfg->warnings.present);
	bpg_config_free(cfg);

	/* The circuit breakers' keys, set. */
	cfg = tu_config("clusterFailureThreshold: 1\n"
	    "clusterCooldownMillis: 86400000\n", NULL);
	ck_assert_int_eq(cfg->cluster_failure_threshold, 1);
	ck_assert_int_eq(cfg->cluster_cooldown_millis, 86400000);
	bpg_config_free(cfg);

	/* The long-request keys, set. */
	cfg = tu_config("streamWorkerShare: 0.25\nstreamsPerUser: 1\n"
	    "logFollowMaxSeconds: 600\nuploadLowSpeedLimit: 0\n"
	    "uploadLowSpeedSeconds: 5\n", NULL);
	ck_assert(cfg->stream_worker_share == 0.25);
	ck_assert_int_eq(cfg->streams_per_user, 1);
	ck_assert_int_eq(cfg->log_follow_max_seconds, 600);
	ck_assert_int_eq(cfg->upload_low_speed_limit, 0);
	ck_assert_int_eq(cfg->upload_low_speed_seconds, 5);
	bpg_config_free(cfg);

	cfg = load_ok("minimal.yaml");
	ck_assert_int_eq(cfg->clusters[0].timeout_millis, 30000);
	ck_assert_int_eq(cfg->clusters[0].weight, 1);
	ck_assert_ptr_null(cfg->clusters[0].ca_cert);
	ck_assert(!cfg->clusters[0].has_ttl_seconds);
	ck_assert_ptr_null(cfg->clusters[0].driver.env);
	ck_assert(cfg->has_queues);
	ck_assert_int_eq(cfg->queues[0].max_executor_instances, 5000);
	ck_assert(cfg->queues[0].executor_mem_ratio == 1.0);
	bpg_config_free(cfg);

	/* Explicit nulls and empties take the defaults. */
	cfg = tu_config("applicationContextPath: ''\n"
	    "dbStorageSOPS: {dbName: '', connectionString: ~}\n"
	    "queues: []\nsparkClusters: []\nsparkImages:\n"
	    "statusCacheExpireMillis: null\ntrustedUserHeader: ''\n", NULL);
	ck_assert_str_eq(cfg->context_path, "/skatev2");
	ck_assert_str_eq(cfg->db.db_name, "bpg");
	ck_assert_ptr_null(cfg->db.connection_string);
	ck_assert(cfg->has_queues);
	ck_assert_uint_eq(cfg->nqueues, 0);
	ck_assert_uint_eq(cfg->nclusters, 0);
	ck_assert_int_eq(cfg->status_cache_expire_millis, 990);
	ck_assert_ptr_null(cfg->trusted_user_header);
	bpg_config_free(cfg);
}
END_TEST

static const struct {
	const char *in;
	const char *out;
} ctx_paths[] = {
	{ "/skatev2", "/skatev2" },
	{ "/apiv2/", "/apiv2" },
	{ "/a/b//", "/a/b" },
	{ "/", "" },
	{ "''", "/skatev2" },
	{ "~", "/skatev2" },
};

START_TEST(test_context_path)
{
	struct bpg_config *cfg;
	char *yaml;

	ck_assert_int_ge(asprintf(&yaml, "applicationContextPath: %s\n",
	    ctx_paths[_i].in), 0);
	cfg = tu_config(yaml, NULL);
	ck_assert_str_eq(cfg->context_path, ctx_paths[_i].out);
	bpg_config_free(cfg);
	free(yaml);
}
END_TEST

/* Values of other YAML types where a string, number or boolean belongs. */
START_TEST(test_coercion)
{
	struct bpg_config *cfg = tu_config(
	    "sparkClusters:\n"
	    "  - id: true\n"
	    "    weight: '7'\n"
	    "    masterUrl: http://h\n"
	    "    sparkApplicationNamespace: 42\n"
	    "    timeoutMillis: 1.5e3\n"
	    "    ttlSeconds: '+60'\n"
	    "    userTokenSOPS: 12345678901\n"
	    "    sparkVersions: [3, 3.0, true, 1.0E-4, '3.10', ~]\n"
	    "    sparkUIOptions: {servicePort: '4040', ServicePort: 1}\n"
	    "queues:\n"
	    "  - name: 1.5\n"
	    "    secure: 'TRUE'\n"
	    "    driverCPUBufferRatio: 2\n"
	    "    executorCPUBufferRatio: '0.5'\n"
	    "    executorMemBufferRatio: 1e1\n"
	    "  - name: q2\n"
	    "    secure: False\n"
	    "memoryMbSecondCost: '1e-9'\n"
	    "vCoreSecondCost: 0\n"
	    "trustedUserHeader: X-Remote-User\n"
	    "s3Bucket: false\n", NULL);
	const struct bpg_cluster *cl = &cfg->clusters[0];

	ck_assert_str_eq(cl->id, "true");
	ck_assert_int_eq(cl->weight, 7);
	ck_assert_str_eq(cl->namespace, "42");
	ck_assert_int_eq(cl->timeout_millis, 1500);
	ck_assert_int_eq(cl->ttl_seconds, 60);
	ck_assert_str_eq(cl->token, "12345678901");
	/* The null entry is skipped. */
	assert_list(&cl->spark_versions, 5, "3", "3.0", "true", "1.0E-4",
	    "3.10");
	/* servicePort wins over the alias. */
	assert_json(cl->spark_ui_options, "{\"servicePort\":4040}");
	ck_assert_str_eq(cfg->queues[0].name, "1.5");
	ck_assert(cfg->queues[0].secure);
	ck_assert(cfg->queues[0].driver_cpu_ratio == 2.0);
	ck_assert(cfg->queues[0].executor_cpu_ratio == 0.5);
	ck_assert(cfg->queues[0].executor_mem_ratio == 10.0);
	ck_assert(!cfg->queues[1].secure);
	ck_assert(cfg->memory_mb_second_cost == 1e-9);
	ck_assert(cfg->has_vcore_second_cost && cfg->vcore_second_cost == 0);
	ck_assert_str_eq(cfg->trusted_user_header, "X-Remote-User");
	ck_assert_str_eq(cfg->s3_bucket, "false");
	bpg_config_free(cfg);
}
END_TEST

/* Unknown keys are ignored everywhere; those BPG's pod models drop are
 * reported as warnings. */
START_TEST(test_unknown_keys)
{
	struct bpg_config *cfg = tu_config(
	    "batchFileLimit: 2016\n"
	    "sops: {a: [1, 2]}\n"
	    "gatewayDns: g\n"
	    "eksCluster: e\n"
	    "sparkClusters:\n"
	    "  - id: c1\n"
	    "    masterUrl: https://h\n"
	    "    sparkApplicationNamespace: ns\n"
	    "    extra: {deep: [1]}\n"
	    "    sparkUIOptions: {other: 1}\n"
	    "    volumes:\n"
	    "      - name: scratch\n"
	    "        emptyDir: {}\n"
	    "    driver:\n"
	    "      cores: 4\n"
	    "      env:\n"
	    "        - name: PW\n"
	    "          valueFrom: {secretKeyRef: {name: s, key: k}}\n"
	    "queues:\n"
	    "  - {name: q, colour: blue}\n"
	    "sparkImages:\n"
	    "  - {name: i, size: 3}\n", NULL);
	const struct bpg_cluster *cl = &cfg->clusters[0];

	assert_json(cl->volumes, "[{\"name\":\"scratch\"}]");
	assert_json(cl->driver.env, "[{\"name\":\"PW\"}]");
	assert_json(cl->spark_ui_options, "{}");
	ck_assert(tu_has_warning(cfg, "sparkClusters[0].volumes[0]: key "
	    "\"emptyDir\" is not part of BPG's model and is dropped"));
	ck_assert(tu_has_warning(cfg,
	    "sparkClusters[0].driver.env[0].valueFrom: key \"secretKeyRef\""));
	ck_assert(tu_has_warning(cfg, "sparkClusters[0].sparkUIOptions: key "
	    "\"other\""));
	ck_assert_uint_eq(cfg->warnings.n, 3);
	bpg_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Secret references (section 7.3)                                     */

static const struct {
	const char *in;
	const char *out;
	enum bpg_config_ref kind;
} refs[] = {
	{ "", "", BPG_CONFIG_REF_NONE },
	{ "abc123", "abc123", BPG_CONFIG_REF_NONE },
	{ "plaintext:abc123", "abc123", BPG_CONFIG_REF_RESOLVED },
	{ "plaintext:", "", BPG_CONFIG_REF_RESOLVED },
	{ "plaintext:a:b", "a:b", BPG_CONFIG_REF_RESOLVED },
	{ "Plaintext:abc", "Plaintext:abc", BPG_CONFIG_REF_NONE },
	{ "localhost:env:not_existing_env_variable_3f0c9d6e4b1a",
	  "localhost:env:not_existing_env_variable_3f0c9d6e4b1a",
	  BPG_CONFIG_REF_ENV_UNSET },
	{ "localhost:env:BPG_TEST_REF_VAR", "value-of-the-var",
	  BPG_CONFIG_REF_RESOLVED },
	{ "localhost:env:BPG_TEST_REF_EMPTY", "", BPG_CONFIG_REF_RESOLVED },
	{ "k8s:secret:invalid_value", "k8s:secret:invalid_value",
	  BPG_CONFIG_REF_MALFORMED },
	{ "k8s:secret:ns:name:", "k8s:secret:ns:name:",
	  BPG_CONFIG_REF_MALFORMED },
	{ "k8s:secret:a:b:c:d", "k8s:secret:a:b:c:d",
	  BPG_CONFIG_REF_MALFORMED },
	{ "k8s:secret:", "k8s:secret:", BPG_CONFIG_REF_MALFORMED },
};

START_TEST(test_refs)
{
	enum bpg_config_ref kind = BPG_CONFIG_REF__MAX;
	struct bpg_errinfo ei;
	char *out = NULL;

	ck_assert_int_eq(setenv("BPG_TEST_REF_VAR", "value-of-the-var", 1), 0);
	ck_assert_int_eq(setenv("BPG_TEST_REF_EMPTY", "", 1), 0);
	ck_assert_msg(bpg_config_resolve_ref(refs[_i].in, &out, &kind, &ei) ==
	    BPG_OK, "row %d (%s)", _i, refs[_i].in);
	ck_assert_msg(strcmp(out, refs[_i].out) == 0 && kind == refs[_i].kind,
	    "row %d (%s): got \"%s\" kind %d", _i, refs[_i].in, out, kind);
	free(out);
}
END_TEST

START_TEST(test_refs_null_and_k8s)
{
	static char dummy[] = "x";
	enum bpg_config_ref kind;
	struct bpg_errinfo ei;
	char *out = dummy;

	ck_assert_int_eq(bpg_config_resolve_ref(NULL, &out, &kind, &ei),
	    BPG_OK);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(kind, BPG_CONFIG_REF_NONE);
	/* A well-formed reference that cannot be read (outside a pod there
	 * is no service account): the text itself, as BPG (the in-cluster
	 * client is tested in check_secret.c). */
	ck_assert_int_eq(bpg_config_resolve_ref("k8s:secret:ns:name:key", &out,
	    &kind, &ei), BPG_OK);
	ck_assert_str_eq(out, "k8s:secret:ns:name:key");
	ck_assert_int_eq(kind, BPG_CONFIG_REF_K8S_UNRESOLVED);
	free(out);
	/* An empty namespace means "the pod's own": still 3 parts. */
	ck_assert_int_eq(bpg_config_resolve_ref("k8s:secret::name:key", &out,
	    &kind, &ei), BPG_OK);
	ck_assert_int_eq(kind, BPG_CONFIG_REF_K8S_UNRESOLVED);
	free(out);
}
END_TEST

/* References inside a config: token, CA and password resolve; queue
 * token secrets are verbatim. */
START_TEST(test_refs_in_config)
{
	struct bpg_config *cfg;

	ck_assert_int_eq(setenv("BPG_TEST_CA", PEM_B64_1 PEM_B64_2, 1), 0);
	ck_assert_int_eq(setenv("BPG_TEST_PW", "pw-from-env", 1), 0);
	cfg = tu_config("sparkClusters:\n"
	    "  - id: c1\n"
	    "    weight: 1\n"
	    "    masterUrl: https://h\n"
	    "    sparkApplicationNamespace: ns\n"
	    "    caCertDataSOPS: localhost:env:BPG_TEST_CA\n"
	    "    userTokenSOPS: abc123\n"
	    "  - id: c2\n"
	    "    masterUrl: https://h\n"
	    "    sparkApplicationNamespace: ns\n"
	    /* White space inside the base64 is tolerated. */
	    "    caCertDataSOPS: 'plaintext:" PEM_B64_1 "\n  " PEM_B64_2 "'\n"
	    "    userTokenSOPS: k8s:secret:only-two:parts\n"
	    "queueTokenSOPS: {secrets: ['plaintext:x', 'localhost:env:HOME']}\n"
	    "dbStorageSOPS: {password: 'localhost:env:BPG_TEST_PW'}\n", NULL);
	ck_assert_str_eq(cfg->clusters[0].ca_cert, PEM);
	ck_assert_str_eq(cfg->clusters[0].token, "abc123");
	ck_assert_str_eq(cfg->clusters[1].ca_cert, PEM);
	ck_assert_str_eq(cfg->clusters[1].token, "k8s:secret:only-two:parts");
	ck_assert(tu_has_warning(cfg, "sparkClusters[1].userTokenSOPS: "
	    "k8s:secret: reference without <ns>:<name>:<key>"));
	assert_list(&cfg->queue_token_secrets, 2, "plaintext:x",
	    "localhost:env:HOME");
	ck_assert_str_eq(cfg->db.password, "pw-from-env");
	bpg_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Java's Double.toString()                                            */

static const struct {
	double d;
	const char *s;
} doubles[] = {
	{ 3.10, "3.1" },
	{ 3.0, "3.0" },
	{ 0.10, "0.1" },
	{ 1.0e7, "1.0E7" },
	{ 1.0e-4, "1.0E-4" },
	{ 0.001, "0.001" },
	{ 9999999.0, "9999999.0" },
	{ 1234567.125, "1234567.125" },
	{ 12345678.9, "1.23456789E7" },
	{ 100.0, "100.0" },
	{ 30000.0, "30000.0" },
	{ -2.5, "-2.5" },
	{ 0.0, "0.0" },
	{ -0.0, "-0.0" },
	{ 0.1 + 0.2, "0.30000000000000004" },
	{ 0.000000000372, "3.72E-10" },
	{ 0.000003, "3.0E-6" },
	{ 0.00098, "9.8E-4" },
	{ 1.0e23, "1.0E23" },
	{ 2.0e23, "2.0E23" },
	{ 1.0e22, "1.0E22" },
	{ 4.9e-324, "4.9E-324" },
	{ DBL_MAX, "1.7976931348623157E308" },
	{ DBL_MIN, "2.2250738585072014E-308" },
	{ 9007199254740992.0, "9.007199254740992E15" },
	{ 9223372036854775808.0, "9.223372036854776E18" },
	{ 1.0e20, "1.0E20" },
	{ 123456789012345680.0, "1.2345678901234568E17" },
	{ 0.5, "0.5" },
	{ 1.0 / 3.0, "0.3333333333333333" },
	{ 2.0 / 3.0, "0.6666666666666666" },
	{ 100.0 / 3.0, "33.333333333333336" },
	{ 5.0e-324 * 3, "1.5E-323" },
};

START_TEST(test_java_double)
{
	char buf[BPG_JAVA_DOUBLE_MAX];
	size_t n;

	n = bpg_config_java_double(doubles[_i].d, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, doubles[_i].s) == 0, "row %d: got %s, "
	    "want %s", _i, buf, doubles[_i].s);
	ck_assert_uint_eq(n, strlen(doubles[_i].s));
}
END_TEST

START_TEST(test_java_double_special)
{
	char buf[BPG_JAVA_DOUBLE_MAX], small[4];

	bpg_config_java_double(NAN, buf, sizeof(buf));
	ck_assert_str_eq(buf, "NaN");
	bpg_config_java_double(INFINITY, buf, sizeof(buf));
	ck_assert_str_eq(buf, "Infinity");
	bpg_config_java_double(-INFINITY, buf, sizeof(buf));
	ck_assert_str_eq(buf, "-Infinity");
	/* Truncates like snprintf and returns the full length. */
	ck_assert_uint_eq(bpg_config_java_double(3.25, small, sizeof(small)),
	    4);
	ck_assert_str_eq(small, "3.2");
	ck_assert_uint_eq(bpg_config_java_double(3.25, NULL, 0), 4);
}
END_TEST

/*
 * Properties over many doubles: the text reads back as the same double,
 * it has the Java layout, and no decimal with fewer significant digits
 * (at least 2) reads back as the same double.
 */
START_TEST(test_java_double_props)
{
	char buf[BPG_JAVA_DOUBLE_MAX], tmp[40], mant[32];
	unsigned long long bits = 0x9e3779b97f4a7c15ULL;
	size_t i, j, sig;
	const char *p;
	double d, ad;
	int p2;

	for (i = 0; i < 200000; i++) {
		bits ^= bits << 13;
		bits ^= bits >> 7;
		bits ^= bits << 17;
		memcpy(&d, &bits, sizeof(d));
		if (!isfinite(d))
			continue;
		bpg_config_java_double(d, buf, sizeof(buf));
		ck_assert_msg(strtod(buf, NULL) == d, "%a -> %s", d, buf);
		ad = fabs(d);
		if (ad >= 1e-3 && ad < 1e7)
			ck_assert_msg(strchr(buf, 'E') == NULL, "%s", buf);
		else if (ad != 0)
			ck_assert_msg(strchr(buf, 'E') != NULL, "%s", buf);
		/* Significant digits of the mantissa. */
		p = buf[0] == '-' ? buf + 1 : buf;
		for (j = 0, sig = 0; *p != '\0' && *p != 'E'; p++)
			if (*p != '.')
				mant[j++] = *p;
		mant[j] = '\0';
		p = mant;
		while (*p == '0')
			p++;
		sig = strlen(p);
		while (sig > 1 && p[sig - 1] == '0')
			sig--;
		if (sig <= 2 || ad == 0)
			continue;
		/* The nearest decimal with one digit less must not do. */
		p2 = (int)sig - 2;
		snprintf(tmp, sizeof(tmp), "%.*e", p2, ad);
		ck_assert_msg(strtod(tmp, NULL) != ad, "%a: %s is shorter than "
		    "%s", d, tmp, buf);
	}
}
END_TEST

/* Cluster ids that start valid CR names, dashes included (quirk 1). */
static const char *const good_ids[] = {
	"c01", "a", "spark-cluster-a", "cluster-id-1", "a--b", "z9",
	"abcdefghij0123456789",
};

START_TEST(test_good_ids)
{
	struct bpg_config *cfg;
	char *yaml;

	ck_assert_int_ge(asprintf(&yaml, "sparkClusters:\n  - id: %s\n"
	    "    masterUrl: https://h\n    sparkApplicationNamespace: ns\n",
	    good_ids[_i]), 0);
	cfg = tu_config(yaml, NULL);
	ck_assert_str_eq(cfg->clusters[0].id, good_ids[_i]);
	bpg_config_free(cfg);
	free(yaml);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bad configs                                                         */

#define CL "sparkClusters:\n  - id: c1\n    masterUrl: https://h\n" \
	"    sparkApplicationNamespace: ns\n"

static const struct bad {
	const char *name;
	const char *yaml;
	enum bpg_err err;
	const char *path;
	int line;
	const char *msg;	/* substring of the message */
} bad[] = {
	{ "not-yaml", "a: [1, 2\nb: c\n", BPG_EINVAL, "", 2, "line 2" },
	{ "tab-indent", "a:\n\t- b\n", BPG_EINVAL, "", 2, "" },
	{ "control-bytes", "a: \x01\x02\n", BPG_EINVAL, "", 1, "" },
	{ "unknown-alias", "a: *nope\n", BPG_EINVAL, "", 1, "unknown alias" },
	{ "empty", "", BPG_ECONFIG, "", 0, "empty" },
	{ "comment-only", "# nothing\n", BPG_ECONFIG, "", 0, "empty" },
	{ "scalar-root", "just some text\n", BPG_ECONFIG, "", 1,
	  "must be a mapping, found a string" },
	{ "list-root", "- a\n- b\n", BPG_ECONFIG, "", 1,
	  "must be a mapping, found a list" },
	{ "clusters-map", "sparkClusters:\n  id: c1\n", BPG_ECONFIG,
	  "sparkClusters", 2, "expected a list, found a mapping" },
	{ "cluster-scalar", "sparkClusters:\n  - c1\n", BPG_ECONFIG,
	  "sparkClusters[0]", 2, "expected a mapping, found a string" },
	{ "cluster-null", "sparkClusters:\n  -\n", BPG_ECONFIG,
	  "sparkClusters[0]", 2, "expected a mapping, found null" },
	{ "missing-id", "sparkClusters:\n  - masterUrl: https://h\n",
	  BPG_ECONFIG, "sparkClusters[0].id", 2, "is required" },
	{ "empty-id", "sparkClusters:\n  - id: ''\n", BPG_ECONFIG,
	  "sparkClusters[0].id", 2, "is required" },
	{ "id-map", "sparkClusters:\n  - id: {a: b}\n", BPG_ECONFIG,
	  "sparkClusters[0].id", 2, "expected a string, found a mapping" },
	{ "id-list", "sparkClusters:\n  - masterUrl: x\n    id:\n      - a\n",
	  BPG_ECONFIG, "sparkClusters[0].id", 4,
	  "expected a string, found a list" },
	{ "id-float", "sparkClusters:\n  - weight: 1\n    id: 1.5\n",
	  BPG_ECONFIG, "sparkClusters[0].id", 3, "[a-z0-9-]" },
	{ "id-bool", "sparkClusters:\n  - weight: 1\n    id: false\n"
	  "    masterUrl: 'http://h'\n    sparkApplicationNamespace: 'yes'\n"
	  "    sparkUIUrl: [no]\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkUIUrl", 6, "expected a string, found a list" },
	{ "id-upper", "sparkClusters:\n  - id: C01\n", BPG_ECONFIG,
	  "sparkClusters[0].id", 2, "1 to 20 characters" },
	{ "id-underscore", "sparkClusters:\n  - id: c_1\n", BPG_ECONFIG,
	  "sparkClusters[0].id", 2, "[a-z0-9-]" },
	{ "id-leading-dash", "sparkClusters:\n  - id: -c1\n", BPG_ECONFIG,
	  "sparkClusters[0].id", 2, "not starting or ending with '-'" },
	{ "id-trailing-dash", "sparkClusters:\n  - id: c1-\n", BPG_ECONFIG,
	  "sparkClusters[0].id", 2, "[a-z0-9-]" },
	{ "id-too-long", "sparkClusters:\n  - id: abcdefghij0123456789x\n",
	  BPG_ECONFIG, "sparkClusters[0].id", 2, "1 to 20" },
	{ "id-nul", "sparkClusters:\n  - id: \"c\\0x\"\n", BPG_ECONFIG,
	  "sparkClusters[0].id", 2, "NUL byte" },
	/* Submission IDs are CR names, DNS-1035 labels (bpg_crd_check()). */
	{ "id-digit-first", CL "  - id: 1c\n    masterUrl: https://h\n",
	  BPG_ECONFIG, "sparkClusters[1].id", 5, "must start with a "
	  "lower-case letter: its submission IDs \"1c-<32 hex>\" are "
	  "SparkApplication names" },
	{ "id-number", "sparkClusters:\n  - weight: 1\n    id: 123\n",
	  BPG_ECONFIG, "sparkClusters[0].id", 3, "DNS-1035" },
	{ "id-digit-dash", "sparkClusters:\n  - id: 0-east\n", BPG_ECONFIG,
	  "sparkClusters[0].id", 2, "\"0-east-<32 hex>\"" },
	{ "id-upper-first", "sparkClusters:\n  - id: Cluster\n", BPG_ECONFIG,
	  "sparkClusters[0].id", 2, "[a-z0-9-]" },
	/* ConfigUtilTest.merge joins cluster lists by id (first wins) in
	 * code BPG never calls; here one list, and a repeated id is an
	 * error. */
	{ "duplicate-id", CL "  - id: c2\n    masterUrl: https://h\n"
	  "    sparkApplicationNamespace: ns\n  - id: c1\n"
	  "    masterUrl: https://h\n    sparkApplicationNamespace: ns\n",
	  BPG_ECONFIG, "sparkClusters[2].id", 8, "duplicate cluster id (also "
	  "sparkClusters[0])" },
	{ "negative-weight", CL "    weight: -1\n", BPG_ECONFIG,
	  "sparkClusters[0].weight", 5, "must be at least 0" },
	{ "weight-word", CL "    weight: heavy\n", BPG_ECONFIG,
	  "sparkClusters[0].weight", 5, "expected an integer" },
	{ "weight-fraction", CL "    weight: 1.5\n", BPG_ECONFIG,
	  "sparkClusters[0].weight", 5, "expected an integer" },
	{ "weight-list", CL "    weight: [1]\n", BPG_ECONFIG,
	  "sparkClusters[0].weight", 5, "expected an integer, found a list" },
	{ "weight-bool", CL "    weight: true\n", BPG_ECONFIG,
	  "sparkClusters[0].weight", 2, "found a boolean" },
	{ "weight-int32", CL "    weight: 2147483648\n", BPG_ECONFIG,
	  "sparkClusters[0].weight", 5, "must be at most 2147483647" },
	{ "weight-huge", CL "    weight: 99999999999999999999\n",
	  BPG_ECONFIG, "sparkClusters[0].weight", 5, "expected an integer" },
	{ "timeout-zero", CL "    timeoutMillis: 0\n", BPG_ECONFIG,
	  "sparkClusters[0].timeoutMillis", 5, "must be at least 1" },
	{ "ttl-negative", CL "    ttlSeconds: '-5'\n", BPG_ECONFIG,
	  "sparkClusters[0].ttlSeconds", 5, "must be at least 0" },
	{ "missing-url", "sparkClusters:\n  - id: c1\n", BPG_ECONFIG,
	  "sparkClusters[0].masterUrl", 2, "is required" },
	{ "url-scheme", "sparkClusters:\n  - id: c1\n    masterUrl: "
	  "ftp://h\n", BPG_ECONFIG, "sparkClusters[0].masterUrl", 3,
	  "http:// or https://" },
	{ "url-bare-host", "sparkClusters:\n  - id: c1\n    masterUrl: "
	  "k8s.example.com\n", BPG_ECONFIG, "sparkClusters[0].masterUrl", 3,
	  "http:// or https://" },
	{ "url-no-host", "sparkClusters:\n  - id: c1\n    masterUrl: "
	  "https:///\n", BPG_ECONFIG, "sparkClusters[0].masterUrl", 3,
	  "has no host" },
	{ "url-space", "sparkClusters:\n  - id: c1\n    masterUrl: "
	  "'https://h x'\n", BPG_ECONFIG, "sparkClusters[0].masterUrl", 3,
	  "without spaces" },
	{ "url-query", "sparkClusters:\n  - id: c1\n    masterUrl: "
	  "https://h/?a=b\n", BPG_ECONFIG, "sparkClusters[0].masterUrl", 3,
	  "query" },
	{ "url-number", "sparkClusters:\n  - id: c1\n    masterUrl: 8\n",
	  BPG_ECONFIG, "sparkClusters[0].masterUrl", 3, "http://" },
	{ "missing-namespace", "sparkClusters:\n  - id: c1\n    masterUrl: "
	  "https://h\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkApplicationNamespace", 2, "is required" },
	{ "bad-namespace", "sparkClusters:\n  - id: c1\n    masterUrl: "
	  "https://h\n    sparkApplicationNamespace: Spark_Apps\n",
	  BPG_ECONFIG, "sparkClusters[0].sparkApplicationNamespace", 4,
	  "DNS-1123" },
	{ "proxy-newline", CL "    httpsProxy: \"http://p\\n\"\n",
	  BPG_ECONFIG, "sparkClusters[0].httpsProxy", 5, "control" },
	{ "versions-scalar", CL "    sparkVersions: 3.5.0\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkVersions", 5,
	  "expected a list, found a string" },
	{ "versions-nested", CL "    sparkVersions: ['3.5', [a]]\n",
	  BPG_ECONFIG, "sparkClusters[0].sparkVersions[1]", 5,
	  "expected a string, found a list" },
	{ "queues-map", CL "    queues: {poc: 1}\n", BPG_ECONFIG,
	  "sparkClusters[0].queues", 5, "expected a list" },
	{ "conf-list", CL "    sparkConf: [a, b]\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkConf", 5, "expected a mapping, found a list" },
	{ "conf-value-map", CL "    sparkConf:\n      spark.a: 1\n"
	  "      spark.b: {c: d}\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkConf[\"spark.b\"]", 7,
	  "expected a string, found a mapping" },
	{ "default-conf-scalar", "defaultSparkConf: x\n", BPG_ECONFIG,
	  "defaultSparkConf", 1, "expected a mapping, found a string" },
	{ "fixed-conf-value-list", "fixedSparkConf:\n  a: [1]\n",
	  BPG_ECONFIG, "fixedSparkConf[\"a\"]", 2, "found a list" },
	{ "empty-token", CL "    weight: 1\n    userTokenSOPS: ''\n",
	  BPG_ECONFIG, "sparkClusters[0].userTokenSOPS", 6,
	  "must not be empty on a cluster with weight > 0" },
	{ "empty-token-plaintext", CL "    weight: 1\n    userTokenSOPS: "
	  "'plaintext:'\n", BPG_ECONFIG, "sparkClusters[0].userTokenSOPS", 6,
	  "must not be empty" },
	{ "token-newline", CL "    userTokenSOPS: \"s3cr3t-tok\\n\"\n",
	  BPG_ECONFIG, "sparkClusters[0].userTokenSOPS", 5,
	  "control characters" },
	{ "token-map", CL "    userTokenSOPS: {a: b}\n", BPG_ECONFIG,
	  "sparkClusters[0].userTokenSOPS", 5, "expected a string" },
	{ "incluster-api-server-scheme", "inClusterApiServer: "
	  "kubernetes.default.svc\n", BPG_ECONFIG, "inClusterApiServer", 1,
	  "http:// or https://" },
	{ "ca-k8s-secret", CL "    caCertDataSOPS: "
	  "k8s:secret::s3cr3t-name:ca\n"
	  "inClusterServiceAccountDir: /nonexistent/bpg-sa\n", BPG_ECONFIG,
	  "sparkClusters[0].caCertDataSOPS", 5, "the k8s:secret: reference "
	  "was not resolved: cannot read the service account token" },
	{ "ca-garbage", CL "    caCertDataSOPS: 'plaintext:s3cr3t stuff'\n",
	  BPG_ECONFIG, "sparkClusters[0].caCertDataSOPS", 5,
	  "neither base64 of a PEM certificate bundle nor PEM text" },
	{ "ca-base64-not-pem", CL "    caCertDataSOPS: czNjcjN0\n",
	  BPG_ECONFIG, "sparkClusters[0].caCertDataSOPS", 5,
	  "neither base64" },
	{ "ca-env-unset", CL "    caCertDataSOPS: "
	  "localhost:env:BPG_NO_SUCH_VAR_81d2\n", BPG_ECONFIG,
	  "sparkClusters[0].caCertDataSOPS", 5,
	  "environment variable BPG_NO_SUCH_VAR_81d2 is not set" },
	{ "ui-options-list", CL "    sparkUIOptions: [4040]\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkUIOptions", 5, "expected a mapping" },
	{ "service-port-word", CL "    sparkUIOptions: {servicePort: http}\n",
	  BPG_ECONFIG, "sparkClusters[0].sparkUIOptions.servicePort", 5,
	  "expected an integer" },
	{ "service-port-range", CL "    sparkUIOptions:\n      ServicePort: "
	  "70000\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkUIOptions.ServicePort", 6,
	  "must be at most 65535" },
	{ "annotations-list", CL "    sparkUIOptions:\n      "
	  "ingressAnnotations: [a]\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkUIOptions.ingressAnnotations", 6,
	  "expected a mapping" },
	{ "tls-map", CL "    sparkUIOptions:\n      ingressTLS: {hosts: [a]}\n",
	  BPG_ECONFIG, "sparkClusters[0].sparkUIOptions.ingressTLS", 6,
	  "expected a list" },
	{ "tls-no-hosts", CL "    sparkUIOptions:\n      ingressTLS:\n"
	  "        - secretName: s\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkUIOptions.ingressTLS[0].hosts", 7,
	  "is required" },
	{ "tls-hosts-scalar", CL "    sparkUIOptions:\n      ingressTLS:\n"
	  "        - hosts: a.example.com\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkUIOptions.ingressTLS[0].hosts", 7,
	  "expected a list" },
	{ "tls-empty-host", CL "    sparkUIOptions:\n      ingressTLS:\n"
	  "        - hosts: ['']\n", BPG_ECONFIG,
	  "sparkClusters[0].sparkUIOptions.ingressTLS[0].hosts[0]", 7,
	  "must not be empty" },
	{ "volumes-map", CL "    volumes: {name: v}\n", BPG_ECONFIG,
	  "sparkClusters[0].volumes", 5, "expected a list" },
	{ "volume-scalar", CL "    volumes: [v]\n", BPG_ECONFIG,
	  "sparkClusters[0].volumes[0]", 5, "expected a mapping" },
	{ "volume-no-name", CL "    volumes:\n      - hostPath: {path: /x}\n",
	  BPG_ECONFIG, "sparkClusters[0].volumes[0].name", 6, "is required" },
	{ "configmap-extra-key", CL "    volumes:\n      - name: v\n"
	  "        configMap:\n          name: cm\n          optional: true\n",
	  BPG_ECONFIG, "sparkClusters[0].volumes[0].configMap[\"optional\"]",
	  8, "configMap takes only \"name\"" },
	{ "configmap-scalar", CL "    volumes:\n      - name: v\n"
	  "        configMap: cm\n", BPG_ECONFIG,
	  "sparkClusters[0].volumes[0].configMap", 7, "expected a mapping" },
	{ "hostpath-path-list", CL "    volumes:\n      - name: v\n"
	  "        hostPath: {path: [a]}\n", BPG_ECONFIG,
	  "sparkClusters[0].volumes[0].hostPath.path", 7,
	  "expected a string" },
	{ "driver-list", CL "    driver: [env]\n", BPG_ECONFIG,
	  "sparkClusters[0].driver", 5, "expected a mapping" },
	{ "env-map", CL "    executor:\n      env: {A: b}\n", BPG_ECONFIG,
	  "sparkClusters[0].executor.env", 6, "expected a list" },
	{ "env-no-name", CL "    driver:\n      env:\n        - value: x\n",
	  BPG_ECONFIG, "sparkClusters[0].driver.env[0].name", 7,
	  "is required" },
	{ "env-value-list", CL "    driver:\n      env:\n        - name: A\n"
	  "          value: [1]\n", BPG_ECONFIG,
	  "sparkClusters[0].driver.env[0].value", 8, "expected a string" },
	{ "env-fieldref-scalar", CL "    driver:\n      env:\n"
	  "        - name: A\n          valueFrom: {fieldRef: x}\n",
	  BPG_ECONFIG, "sparkClusters[0].driver.env[0].valueFrom.fieldRef", 8,
	  "expected a mapping" },
	{ "mount-readonly-word", CL "    driver:\n      volumeMounts:\n"
	  "        - {name: v, mountPath: /m, readOnly: maybe}\n", BPG_ECONFIG,
	  "sparkClusters[0].driver.volumeMounts[0].readOnly", 7,
	  "expected true or false" },
	{ "mount-no-path", CL "    executor:\n      volumeMounts:\n"
	  "        - {name: v}\n", BPG_ECONFIG,
	  "sparkClusters[0].executor.volumeMounts[0].mountPath", 7,
	  "is required" },
	{ "images-map", "sparkImages: {name: x}\n", BPG_ECONFIG, "sparkImages",
	  1, "expected a list" },
	{ "image-no-name", "sparkImages:\n  - types: [Java]\n", BPG_ECONFIG,
	  "sparkImages[0].name", 2, "is required" },
	{ "image-types-scalar", "sparkImages:\n  - name: i\n    types: Java\n",
	  BPG_ECONFIG, "sparkImages[0].types", 3, "expected a list" },
	{ "allowed-users-scalar", "allowedUsers: '*'\n", BPG_ECONFIG,
	  "allowedUsers", 1, "expected a list, found a string" },
	{ "blocked-users-map", "blockedUsers: {a: 1}\n", BPG_ECONFIG,
	  "blockedUsers", 1, "expected a list" },
	{ "queues-map", "queues: {name: poc}\n", BPG_ECONFIG, "queues", 1,
	  "expected a list" },
	{ "queue-no-name", "queues:\n  - name: poc\n  - secure: true\n",
	  BPG_ECONFIG, "queues[1].name", 3, "is required" },
	{ "queue-secure-yes", "queues:\n  - name: q\n    secure: yes\n",
	  BPG_ECONFIG, "queues[0].secure", 3, "expected true or false, found "
	  "a string" },
	{ "queue-secure-number", "queues:\n  - name: q\n    secure: 1\n",
	  BPG_ECONFIG, "queues[0].secure", 3, "expected true or false" },
	{ "queue-users-scalar", "queues:\n  - name: q\n    users: bob\n",
	  BPG_ECONFIG, "queues[0].users", 3, "expected a list" },
	{ "ratio-zero", "queues:\n  - name: q\n    driverCPUBufferRatio: 0\n",
	  BPG_ECONFIG, "queues[0].driverCPUBufferRatio", 3, "must be above 0" },
	{ "ratio-negative", "queues:\n  - name: q\n"
	  "    executorMemBufferRatio: '-1.5'\n", BPG_ECONFIG,
	  "queues[0].executorMemBufferRatio", 3, "must be above 0" },
	{ "ratio-word", "queues:\n  - name: q\n    driverMemBufferRatio: "
	  "double\n", BPG_ECONFIG, "queues[0].driverMemBufferRatio", 3,
	  "expected a number, found a string" },
	{ "ratio-nan-text", "queues:\n  - name: q\n    executorCPUBufferRatio:"
	  " NaN\n", BPG_ECONFIG, "queues[0].executorCPUBufferRatio", 3,
	  "expected a number" },
	{ "ratio-map", "queues:\n  - name: q\n    driverCPUBufferRatio: {}\n",
	  BPG_ECONFIG, "queues[0].driverCPUBufferRatio", 3,
	  "expected a number, found a mapping" },
	{ "max-executors-negative", "queues:\n  - name: q\n"
	  "    maxExecutorInstances: -1\n", BPG_ECONFIG,
	  "queues[0].maxExecutorInstances", 3, "must be at least 0" },
	{ "max-running-word", "queues:\n  - name: q\n"
	  "    maxRunningMillis: forever\n", BPG_ECONFIG,
	  "queues[0].maxRunningMillis", 3, "expected an integer" },
	{ "zone-empty", "queues:\n  - name: q\n    allowedZones:\n"
	  "      - us-west-2a\n      - ''\n", BPG_ECONFIG,
	  "queues[0].allowedZones[1]", 5, "must not be empty" },
	{ "zone-null", "queues:\n  - name: q\n    allowedZones: [a, ~]\n",
	  BPG_ECONFIG, "queues[0].allowedZones[1]", 3, "must not be empty" },
	{ "zones-scalar", "queues:\n  - name: q\n    allowedZones: a\n",
	  BPG_ECONFIG, "queues[0].allowedZones", 3, "expected a list" },
	{ "token-sops-list", "queueTokenSOPS: [a]\n", BPG_ECONFIG,
	  "queueTokenSOPS", 1, "expected a mapping" },
	{ "token-secrets-scalar", "queueTokenSOPS:\n  secrets: s3cr3t\n",
	  BPG_ECONFIG, "queueTokenSOPS.secrets", 2, "expected a list" },
	{ "db-list", "dbStorageSOPS: [a]\n", BPG_ECONFIG, "dbStorageSOPS", 1,
	  "expected a mapping" },
	{ "db-bad-name", "dbStorageSOPS:\n  dbName: bpg-prod\n", BPG_ECONFIG,
	  "dbStorageSOPS.dbName", 2,
	  "DB name should include only [^0-9a-zA-Z$_]: bpg-prod" },
	{ "db-name-space", "dbStorageSOPS:\n  dbName: 'a b'\n", BPG_ECONFIG,
	  "dbStorageSOPS.dbName", 2, "[^0-9a-zA-Z$_]: a b" },
	{ "db-name-control", "dbStorageSOPS:\n  dbName: \"a\\tb\"\n",
	  BPG_ECONFIG, "dbStorageSOPS.dbName", 2, "[^0-9a-zA-Z$_]: a?b" },
	{ "db-name-long", "dbStorageSOPS:\n  dbName: "
	  "a2345678901234567890123456789012345678901234567890123456789012345\n",
	  BPG_ECONFIG, "dbStorageSOPS.dbName", 2, "longer than 64" },
	{ "incluster-sa-dir-list", "inClusterServiceAccountDir: [a]\n",
	  BPG_ECONFIG, "inClusterServiceAccountDir", 1, "expected a string" },
	{ "db-password-map", "dbStorageSOPS:\n  password: {s3cr3t: 1}\n",
	  BPG_ECONFIG, "dbStorageSOPS.password", 2, "expected a string" },
	{ "context-relative", "applicationContextPath: skatev2\n",
	  BPG_ECONFIG, "applicationContextPath", 1, "must start with '/'" },
	{ "context-query", "applicationContextPath: /a?b\n", BPG_ECONFIG,
	  "applicationContextPath", 1, "plain URL path" },
	{ "context-list", "applicationContextPath: [/a]\n", BPG_ECONFIG,
	  "applicationContextPath", 1, "expected a string" },
	{ "cost-negative", "memoryMbSecondCost: -0.1\n", BPG_ECONFIG,
	  "memoryMbSecondCost", 1, "must be at least 0" },
	{ "cost-word", "vCoreSecondCost: cheap\n", BPG_ECONFIG,
	  "vCoreSecondCost", 1, "expected a number" },
	{ "cost-inf", "vCoreSecondCost: '1e999'\n", BPG_ECONFIG,
	  "vCoreSecondCost", 1, "expected a number" },
	{ "status-cache-negative", "statusCacheExpireMillis: -1\n",
	  BPG_ECONFIG, "statusCacheExpireMillis", 1, "must be at least 0" },
	{ "read-access-unknown", "readAccess: everyone\n", BPG_ECONFIG,
	  "readAccess", 1, "must be owner or all" },
	{ "read-access-case", "readAccess: ALL\n", BPG_ECONFIG,
	  "readAccess", 1, "must be owner or all" },
	{ "viewer-users-map", "viewerUsers: {a: b}\n", BPG_ECONFIG,
	  "viewerUsers", 1, "expected a list" },
	{ "deadline-zero", "requestDeadlineSeconds: 0\n", BPG_ECONFIG,
	  "requestDeadlineSeconds", 1, "must be at least 1" },
	{ "deadline-past-web-timeout", "requestDeadlineSeconds: 281\n",
	  BPG_ECONFIG, "requestDeadlineSeconds", 1, "must be at most 280" },
	{ "deadline-word", "requestDeadlineSeconds: soon\n", BPG_ECONFIG,
	  "requestDeadlineSeconds", 1, "expected an integer" },
	{ "idem-ttl-short", "idempotencyTtlSeconds: 59\n", BPG_ECONFIG,
	  "idempotencyTtlSeconds", 1, "must be at least 60" },
	{ "idem-ttl-long", "idempotencyTtlSeconds: 2592001\n", BPG_ECONFIG,
	  "idempotencyTtlSeconds", 1, "must be at most 2592000" },
	{ "retention-zero", "notificationRetentionDays: 0\n", BPG_ECONFIG,
	  "notificationRetentionDays", 1, "must be at least 1" },
	{ "retention-long", "notificationRetentionDays: 3651\n", BPG_ECONFIG,
	  "notificationRetentionDays", 1, "must be at most 3650" },
	{ "retention-word", "notificationRetentionDays: month\n",
	  BPG_ECONFIG, "notificationRetentionDays", 1, "expected an integer" },
	{ "stream-share-zero", "streamWorkerShare: 0\n", BPG_ECONFIG,
	  "streamWorkerShare", 1, "must be above 0" },
	{ "stream-share-over", "streamWorkerShare: 1.5\n", BPG_ECONFIG,
	  "streamWorkerShare", 1, "must be at most 1" },
	{ "streams-per-user-zero", "streamsPerUser: 0\n", BPG_ECONFIG,
	  "streamsPerUser", 1, "" },
	{ "log-follow-forever", "logFollowMaxSeconds: 43201\n", BPG_ECONFIG,
	  "logFollowMaxSeconds", 1, "" },
	{ "breaker-threshold-zero", "clusterFailureThreshold: 0\n",
	  BPG_ECONFIG, "clusterFailureThreshold", 1, "" },
	{ "breaker-threshold-over", "clusterFailureThreshold: 1001\n",
	  BPG_ECONFIG, "clusterFailureThreshold", 1, "" },
	{ "breaker-cooldown-zero", "clusterCooldownMillis: 0\n", BPG_ECONFIG,
	  "clusterCooldownMillis", 1, "" },
	{ "breaker-cooldown-over", "clusterCooldownMillis: 86400001\n",
	  BPG_ECONFIG, "clusterCooldownMillis", 1, "" },
	{ "low-speed-negative", "uploadLowSpeedLimit: -1\n", BPG_ECONFIG,
	  "uploadLowSpeedLimit", 1, "" },
	{ "low-speed-time-zero", "uploadLowSpeedSeconds: 0\n", BPG_ECONFIG,
	  "uploadLowSpeedSeconds", 1, "" },
	{ "trusted-header-space", "trustedUserHeader: User Account\n",
	  BPG_ECONFIG, "trustedUserHeader", 1, "HTTP header name" },
	{ "trusted-header-colon", "trustedUserHeader: 'X-User:'\n",
	  BPG_ECONFIG, "trustedUserHeader", 1, "HTTP header name" },
	{ "queue-notify-state", "queues:\n- name: q\n  notify: {url: "
	  "'https://h.example.com', on: [DONE]}\n", BPG_ECONFIG,
	  "queues[0]", 3, "notify.on[0]: must be one of" },
	{ "queue-notify-host", "notificationAllowedHosts: [a.example.com]\n"
	  "queues:\n- name: q\n  notify: [{url: 'https://h.example.com'}]\n",
	  BPG_ECONFIG, "", 0, "queues[0].notify[0].url: host h.example.com "
	  "is not in notificationAllowedHosts" },
	{ "queue-notify-http", "notificationAllowedHosts: [h.example.com]\n"
	  "queues:\n- name: q\n  notify: [{url: 'http://h.example.com'}]\n",
	  BPG_ECONFIG, "", 0, "queues[0].notify[0].url: must be https://" },
	{ "notify-hosts-type", "notificationAllowedHosts: 5\n", BPG_ECONFIG,
	  "notificationAllowedHosts", 1, "" },
	{ "deeply-nested",
	  "a: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]"
	  "]]]]]]]]]]]]]]]]]\n", BPG_ETOOBIG, "", 1, "nesting deeper" },
	{ "alias-bomb",
	  "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	  "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
	  BPG_ETOOBIG, "", 5, "more than" },
	{ "bad-utf8", "a: \"\\xff\"\nb: \xff\n", BPG_EINVAL, "", 1, "" },
};

/* Secrets that appear in bad[] and must never be echoed. */
static const char *const secrets[] = { "s3cr3t", NULL };

START_TEST(test_bad)
{
	const struct bad *b = &bad[_i];
	struct bpg_config_error err;
	struct bpg_config *cfg = (struct bpg_config *)&err;
	enum bpg_err e;
	size_t i;

	memset(&err, 0x55, sizeof(err));
	e = bpg_config_parse(b->yaml, strlen(b->yaml), &cfg, &err);
	ck_assert_msg(e == b->err, "row %s: got %s (%s at %s line %d)",
	    b->name, bpg_strerror(e), err.msg, err.path, err.line);
	ck_assert_msg(cfg == NULL, "row %s: config returned", b->name);
	ck_assert_msg(strcmp(err.path, b->path) == 0, "row %s: path \"%s\", "
	    "want \"%s\" (%s)", b->name, err.path, b->path, err.msg);
	ck_assert_msg(err.line == b->line, "row %s: line %d, want %d (%s)",
	    b->name, err.line, b->line, err.msg);
	ck_assert_msg(strstr(err.msg, b->msg) != NULL, "row %s: message "
	    "\"%s\" lacks \"%s\"", b->name, err.msg, b->msg);
	for (i = 0; secrets[i] != NULL; i++)
		ck_assert_msg(strstr(err.msg, secrets[i]) == NULL &&
		    strstr(err.path, secrets[i]) == NULL,
		    "row %s: message shows a secret: %s", b->name, err.msg);
}
END_TEST

START_TEST(test_bad_file)
{
	struct bpg_config_error err;
	struct bpg_config *cfg;
	char *path = data_path("bad-configmap.yaml");

	ck_assert_int_eq(bpg_config_load(path, &cfg, &err), BPG_ECONFIG);
	ck_assert_ptr_null(cfg);
	ck_assert_str_eq(err.path,
	    "sparkClusters[0].volumes[0].configMap[\"items\"]");
	ck_assert_int_eq(err.line, 10);
	free(path);

	ck_assert_int_eq(bpg_config_load("/nonexistent/config.yaml", &cfg,
	    &err), BPG_EIO);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/config.yaml"));
	ck_assert_int_eq(bpg_config_load("/", &cfg, &err), BPG_EIO);
	ck_assert_int_eq(bpg_config_load("/dev/null", &cfg, &err), BPG_EIO);
}
END_TEST

START_TEST(test_too_big)
{
	struct bpg_config_error err;
	struct bpg_config *cfg;
	static const char tiny[] = "a: 1\n";

	/* The length is checked before the bytes are looked at. */
	ck_assert_int_eq(bpg_config_parse(tiny, (size_t)16 * 1024 * 1024 + 1,
	    &cfg, &err), BPG_ETOOBIG);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(bpg_config_parse(NULL, 0, &cfg, NULL), BPG_ECONFIG);
	ck_assert_ptr_null(cfg);
}
END_TEST

/* Long key paths are cut, not overrun. */
START_TEST(test_long_path)
{
	struct bpg_config_error err;
	struct bpg_config *cfg;
	char yaml[1024], key[300];

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	snprintf(yaml, sizeof(yaml), "sparkClusters:\n  - id: c1\n"
	    "    masterUrl: https://h\n    sparkApplicationNamespace: ns\n"
	    "    sparkUIOptions: {ingressAnnotations: {%s: [1]}}\n", key);
	ck_assert_int_eq(bpg_config_parse(yaml, strlen(yaml), &cfg, &err),
	    BPG_ECONFIG);
	ck_assert_uint_eq(strlen(err.path), sizeof(err.path) - 1);
	ck_assert_ptr_nonnull(strstr(err.path, "..."));
	ck_assert_int_eq(err.line, 5);
}
END_TEST

/* Warnings are bounded. */
START_TEST(test_many_warnings)
{
	struct bpg_config *cfg;
	char *yaml = NULL, *p;
	size_t len = 0, i;
	FILE *f = open_memstream(&yaml, &len);

	ck_assert_ptr_nonnull(f);
	fputs("sparkImages:\n", f);
	for (i = 0; i < 200; i++)
		fprintf(f, "  - {name: i%zu, version: 3.%zu}\n", i, i % 9 + 1);
	fclose(f);
	cfg = tu_config(yaml, NULL);
	ck_assert_uint_eq(cfg->nimages, 200);
	ck_assert_uint_eq(cfg->warnings.n, BPG_CONFIG_MAX_WARNINGS);
	ck_assert_str_eq(cfg->warnings.v[BPG_CONFIG_MAX_WARNINGS - 1],
	    "further warnings left out");
	p = cfg->warnings.v[0];
	ck_assert_str_eq(p, "sparkImages[0].version: unquoted number read as "
	    "\"3.1\" (section 7.1); quote versions");
	bpg_config_free(cfg);
	free(yaml);
}
END_TEST

/*
 * Out of memory in jansson at every allocation in turn: the parse fails
 * cleanly (ENOMEM, or EINVAL where the YAML reader cannot tell a failed
 * string from a bad one) or succeeds; the valgrind run checks for leaks.
 */
static long alloc_budget;

static void *
budget_malloc(size_t n)
{
	if (alloc_budget == 0)
		return NULL;
	alloc_budget--;
	return malloc(n);
}

START_TEST(test_jansson_enomem)
{
	struct bpg_config_error err;
	struct bpg_config *cfg;
	char *path = data_path("example-shape.yaml"), *buf;
	size_t len = 0;
	enum bpg_err e;
	long n;

	buf = tu_slurp(path, &len);
	ck_assert_msg(buf != NULL, "cannot read %s", path);
	for (n = 0;; n++) {
		alloc_budget = n;
		json_set_alloc_funcs(budget_malloc, free);
		e = bpg_config_parse(buf, len, &cfg, &err);
		json_set_alloc_funcs(malloc, free);
		ck_assert_msg(e == BPG_OK || e == BPG_ENOMEM || e == BPG_EINVAL,
		    "budget %ld: %s (%s)", n, bpg_strerror(e), err.msg);
		if (e == BPG_OK) {
			ck_assert_uint_eq(cfg->nclusters, 2);
			bpg_config_free(cfg);
			break;
		}
		ck_assert_ptr_null(cfg);
	}
	ck_assert_int_gt(n, 100);
	free(buf);
	free(path);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Lookups                                                             */

START_TEST(test_lookups)
{
	struct bpg_config *cfg = tu_config(
	    "sparkClusters:\n"
	    "  - {id: c01, masterUrl: 'https://a', "
	    "sparkApplicationNamespace: ns}\n"
	    "  - {id: c01-east, masterUrl: 'https://b', "
	    "sparkApplicationNamespace: ns}\n"
	    "queues:\n"
	    "  - {name: Dev, maxExecutorInstances: 1}\n"
	    "  - {name: dev, maxExecutorInstances: 2}\n"
	    "  - {name: DEV, maxExecutorInstances: 3}\n"
	    "  - {name: poc}\n"
	    "defaultSparkConf: {a: '1', b: ~, c: '3'}\n"
	    "allowedUsers: [Alice, bob]\n", NULL);
	const struct bpg_queue *q;

	ck_assert_str_eq(bpg_config_cluster(cfg, "c01")->master_url,
	    "https://a");
	ck_assert_str_eq(bpg_config_cluster(cfg, "c01-east")->master_url,
	    "https://b");
	ck_assert_ptr_null(bpg_config_cluster(cfg, "C01"));
	ck_assert_ptr_null(bpg_config_cluster(cfg, "c0"));
	ck_assert_ptr_null(bpg_config_cluster(cfg, NULL));
	ck_assert_ptr_null(bpg_config_cluster(NULL, "c01"));

	q = bpg_config_queue_exact(cfg, "dev");
	ck_assert_int_eq(q->max_executor_instances, 2);
	ck_assert_ptr_null(bpg_config_queue_exact(cfg, "dEv"));
	ck_assert_int_eq(bpg_config_queue_icase(cfg, "dEv", false)->
	    max_executor_instances, 1);
	ck_assert_int_eq(bpg_config_queue_icase(cfg, "dEv", true)->
	    max_executor_instances, 3);
	ck_assert_str_eq(bpg_config_queue_icase(cfg, "POC", true)->name,
	    "poc");
	ck_assert_ptr_null(bpg_config_queue_icase(cfg, "de", false));
	ck_assert_ptr_null(bpg_config_queue_icase(cfg, NULL, false));
	ck_assert_ptr_null(bpg_config_queue_exact(NULL, "dev"));

	ck_assert_str_eq(bpg_kvmap_get(&cfg->default_spark_conf, "a"), "1");
	ck_assert_ptr_null(bpg_kvmap_get(&cfg->default_spark_conf, "b"));
	ck_assert_str_eq(bpg_kvmap_get(&cfg->default_spark_conf, "c"), "3");
	ck_assert_ptr_null(bpg_kvmap_get(&cfg->fixed_spark_conf, "a"));
	ck_assert_ptr_null(bpg_kvmap_get(NULL, "a"));

	ck_assert(bpg_strlist_has(&cfg->allowed_users, "Alice", false));
	ck_assert(!bpg_strlist_has(&cfg->allowed_users, "alice", false));
	ck_assert(bpg_strlist_has(&cfg->allowed_users, "alice", true));
	ck_assert(bpg_strlist_has(&cfg->allowed_users, "BOB", true));
	ck_assert(!bpg_strlist_has(&cfg->allowed_users, "bo", true));
	ck_assert(!bpg_strlist_has(&cfg->blocked_users, "bob", true));
	ck_assert(!bpg_strlist_has(NULL, "bob", true));
	ck_assert(!bpg_strlist_has(&cfg->allowed_users, NULL, true));
	bpg_config_free(cfg);
	bpg_config_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Every key is documented                                             */

/*
 * A file of the repository, new, the caller's to free(): under
 * $BPG_SOURCE_DIR when set, else from the repository root (where make
 * runs), else beside the program (<BUILD>/tests/check_config -> ../..).
 */
static char *
source_path(const char *rel)
{
	const char *dir = getenv("BPG_SOURCE_DIR");
	char exe[4096], *p;
	ssize_t n;

	if (dir != NULL) {
		ck_assert_int_gt(asprintf(&p, "%s/%s", dir, rel), 0);
		return p;
	}
	if (access(rel, R_OK) == 0)
		return strdup(rel);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ck_assert_msg(n > 0, "%s: the program's directory is not known", rel);
	exe[n] = '\0';
	ck_assert_int_gt(asprintf(&p, "%s/../../%s", dirname(exe), rel), 0);
	return p;
}

static char *
slurp_source(const char *rel)
{
	char *path = source_path(rel), *buf;
	size_t len;

	buf = tu_slurp(path, &len);
	ck_assert_msg(buf != NULL, "cannot read %s (run from the repository "
	    "root or set BPG_SOURCE_DIR)", path);
	free(path);
	return buf;
}

/* README.md's config key table: from "| Key | Meaning |" to the first
 * line that is not a table row (cut in place). */
static const char *
readme_key_table(char *readme)
{
	char *t = strstr(readme, "\n| Key | Meaning |\n"), *end;

	ck_assert_msg(t != NULL, "README.md has no \"| Key | Meaning |\" "
	    "table");
	for (end = t + 1; *end == '|'; end = strchr(end, '\n') + 1)
		ck_assert_ptr_nonnull(strchr(end, '\n'));
	*end = '\0';
	return t;
}

/* `name`, `name[]`, `name.key` or `section.name` in the table. */
static bool
in_table(const char *table, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	for (p = strstr(table, name); p != NULL; p = strstr(p + 1, name))
		if ((p[-1] == '`' || p[-1] == '.') &&
		    (p[n] == '`' || p[n] == '[' || p[n] == '.'))
			return true;
	return false;
}

/* A line "name:", "- name:" or "#name:" (indented or not). */
static bool
in_yaml(const char *yaml, const char *name)
{
	size_t n = strlen(name);
	const char *p = yaml;

	for (; *p != '\0'; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		p += strspn(p, " ");
		if (p[0] == '-' && p[1] == ' ')
			p += 2;
		if (*p == '#')
			p += 1 + strspn(p + 1, " ");
		if (strncmp(p, name, n) == 0 && p[n] == ':')
			return true;
	}
	return false;
}

/* Each key of the binding tables has its line in the example config and
 * in README.md's table, so that a new key comes with its documentation. */
/* queues[].notify and the policy keys are bound; secrets are resolved. */
START_TEST(test_notify_keys)
{
	static const char yaml[] =
	    "notificationAllowedHosts: [h.example.com, '*.chat.example']\n"
	    "notificationAllowPrivateAddresses: true\n"
	    "notificationSecretSOPS: plaintext:k3y\n"
	    "queues:\n- name: q\n  notify:\n"
	    "  - {url: 'https://a.chat.example/x', format: slack}\n"
	    "  - {url: 'https://h.example.com/y', on: [FAILED]}\n";
	struct bpg_config_error err;
	struct bpg_config *cfg;
	char *d;

	ck_assert_int_eq(bpg_config_parse(yaml, strlen(yaml), &cfg, &err),
	    BPG_OK);
	ck_assert(!cfg->notification_allow_http);
	ck_assert(cfg->notification_allow_private);
	ck_assert_uint_eq(cfg->notification_allowed_hosts.n, 2);
	ck_assert_str_eq(cfg->notification_secret, "k3y");
	d = json_dumps(cfg->queues[0].notify, JSON_COMPACT);
	ck_assert_str_eq(d, "[{\"url\":\"https://a.chat.example/x\",\"on\":"
	    "[\"RUNNING\",\"COMPLETED\",\"FAILED\",\"LOST\","
	    "\"SUBMISSION_FAILED\",\"DEPENDENCY_FAILED\",\"CANCELLED\"],"
	    "\"format\":\"slack\"},"
	    "{\"url\":\"https://h.example.com/y\",\"on\":[\"FAILED\"],"
	    "\"format\":\"json\"}]");
	free(d);
	bpg_config_free(cfg);
}
END_TEST

START_TEST(test_keys_documented)
{
	char *readme = slurp_source("README.md");
	char *yaml = slurp_source("httpd-conf/deploy/config.example.yaml");
	const char *table = readme_key_table(readme);
	struct bpg_config_keyinfo k;
	char missing[4096] = "";
	size_t i, n = 0, len = 0;

	for (i = 0; bpg_config_key(i, &k); i++) {
		ck_assert_ptr_nonnull(k.doc);
		ck_assert_ptr_nonnull(k.type);
		ck_assert_int_gt(strlen(k.doc), 0);
		if (in_yaml(yaml, k.name) && in_table(table, k.name))
			continue;
		n++;
		len += (size_t)snprintf(missing + len, len < sizeof(missing) ?
		    sizeof(missing) - len : 0, " %s%s%s (not in%s%s)",
		    k.section, *k.section ? "." : "", k.name,
		    in_yaml(yaml, k.name) ? "" : " config.example.yaml",
		    in_table(table, k.name) ? "" : " README.md");
		ck_assert_uint_lt(len, sizeof(missing));
	}
	ck_assert_uint_gt(i, 50);
	ck_assert_msg(n == 0, "keys not documented:%s", missing);
	free(readme);
	free(yaml);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sparkpi);
	tcase_add_test(tc, test_sparkpi_env_unset);
	tcase_add_test(tc, test_example_shape);
	tcase_add_test(tc, test_alias);
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_context_path, 0,
	    (int)(sizeof(ctx_paths) / sizeof(ctx_paths[0])));
	tcase_add_test(tc, test_coercion);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_loop_test(tc, test_refs, 0,
	    (int)(sizeof(refs) / sizeof(refs[0])));
	tcase_add_test(tc, test_refs_null_and_k8s);
	tcase_add_test(tc, test_refs_in_config);
	tcase_add_loop_test(tc, test_java_double, 0,
	    (int)(sizeof(doubles) / sizeof(doubles[0])));
	tcase_add_test(tc, test_java_double_special);
	tcase_add_test(tc, test_java_double_props);
	tcase_add_loop_test(tc, test_good_ids, 0,
	    (int)(sizeof(good_ids) / sizeof(good_ids[0])));
	tcase_add_loop_test(tc, test_bad, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_bad_file);
	tcase_add_test(tc, test_too_big);
	tcase_add_test(tc, test_long_path);
	tcase_add_test(tc, test_many_warnings);
	tcase_add_test(tc, test_jansson_enomem);
	tcase_add_test(tc, test_lookups);
	tcase_add_test(tc, test_keys_documented);
	tcase_add_test(tc, test_notify_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(config_suite());
}
