/*
 * Integration tests: bad input through the real stack (lighttpd, spawn-fcgi,
 * bpg-gateway, MariaDB, the Kubernetes API stand-in; tests/stack.sh).
 *
 * A named table of submissions that must fail: a wrong type for every
 * request field, negative and huge numbers, unknown type names, Unicode
 * and control characters in names and labels, 10,000 sparkConf entries,
 * deeply nested JSON and YAML, YAML aliases that expand exponentially, a
 * body over the size cap, malformed UTF-8.  For every row:
 *   1. the answer is the row's 4xx, a JSON error whose "code" is that
 *      status and whose "message" names the problem;
 *   2. nothing is written: the number of rows of bpg.application_submission
 *      and of SparkApplications in both simulated clusters is unchanged;
 *   3. the workers survive: the set of worker processes (the children of
 *      the supervisor in $BPG_STACK_DIR/gateway.pid) is the one recorded
 *      before the table, and after the table a valid submission succeeds.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "integ.h"

#define MAX_WORKERS 256

/* ---- the stack ------------------------------------------------------- */

/*
 * A submission as alice, over HTTP/1.1: a web server that refuses a large
 * body answers and resets an HTTP/2 stream (see struct integ_req).
 */
static struct integ_http
submit(const char *ctype, const char *body, size_t len)
{
	struct integ_req r = { .method = "POST", .url = "/spark",
		.userpw = INTEG_ALICE, .ctype = ctype, .body = body,
		.len = (long long)len, .http11 = true };

	return integ_request(&r);
}

/* The worker processes, sorted: children of the supervisor. */
static int
workers(pid_t *out, int max)
{
	return integ_workers(integ_supervisor(), out, max);
}

/* Recorded in the runner before the table (an unchecked fixture). */
static pid_t workers_before[MAX_WORKERS];
static int nworkers_before;

static void
record_workers(void)
{
	nworkers_before = workers(workers_before, MAX_WORKERS);
}

static void
assert_same_workers(const char *when)
{
	pid_t now[MAX_WORKERS];
	int n = workers(now, MAX_WORKERS);

	ck_assert_msg(nworkers_before > 0, "no workers found");
	ck_assert_msg(n == nworkers_before && memcmp(now, workers_before,
	    (size_t)n * sizeof(*now)) == 0, "%s: the workers changed (%d "
	    "then, %d now): one died", when, nworkers_before, n);
}

/* ---- generated bodies ------------------------------------------------- */

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		ck_assert_ptr_nonnull(b->s = realloc(b->s, b->cap));
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

#define BASE "\"sparkVersion\":\"3.5.0\",\"queue\":\"dev\"," \
	"\"mainApplicationFile\":\"local:///x.jar\",\"mainClass\":\"x.Main\""

static char *
gen_conf_10000(void)
{
	struct buf b = { NULL, 0, 0 };
	char kv[64];
	int i;

	puts_(&b, "{" BASE ",\"sparkConf\":{");
	for (i = 0; i < 10000; i++) {
		snprintf(kv, sizeof(kv), "%s\"spark.k%d\":\"v\"", i ? "," : "",
		    i);
		puts_(&b, kv);
	}
	puts_(&b, "}}");
	return b.s;
}

static char *
gen_args_10000(void)
{
	struct buf b = { NULL, 0, 0 };
	int i;

	puts_(&b, "{" BASE ",\"arguments\":[");
	for (i = 0; i < 10000; i++)
		puts_(&b, i ? ",\"a\"" : "\"a\"");
	puts_(&b, "]}");
	return b.s;
}

static char *
gen_json_deep_arrays(void)
{
	struct buf b = { NULL, 0, 0 };
	int i;

	for (i = 0; i < 100000; i++)
		put(&b, "[", 1);
	for (i = 0; i < 100000; i++)
		put(&b, "]", 1);
	return b.s;
}

static char *
gen_json_deep_objects(void)
{
	struct buf b = { NULL, 0, 0 };
	int i;

	puts_(&b, "{" BASE ",\"deps\":");
	for (i = 0; i < 40; i++)
		puts_(&b, "{\"jars\":");
	puts_(&b, "[]");
	for (i = 0; i < 40; i++)
		puts_(&b, "}");
	puts_(&b, "}");
	return b.s;
}

static char *
gen_yaml_deep_block(void)
{
	struct buf b = { NULL, 0, 0 };
	int i, j;

	puts_(&b, "sparkVersion: 3.5.0\nqueue: dev\ndeps:\n");
	for (i = 1; i <= 40; i++) {
		for (j = 0; j < i; j++)
			puts_(&b, "  ");
		puts_(&b, "jars:\n");
	}
	return b.s;
}

static char *
gen_yaml_deep_flow(void)
{
	struct buf b = { NULL, 0, 0 };
	int i;

	puts_(&b, "sparkVersion: 3.5.0\narguments: ");
	for (i = 0; i < 1000; i++)
		put(&b, "[", 1);
	for (i = 0; i < 1000; i++)
		put(&b, "]", 1);
	puts_(&b, "\n");
	return b.s;
}

/* "Billion laughs": 9 levels of 9 aliases, 9^9 nodes once expanded. */
static char *
gen_yaml_laughs(void)
{
	struct buf b = { NULL, 0, 0 };
	char line[128];
	int i, j;

	puts_(&b, "sparkVersion: 3.5.0\nqueue: dev\n"
	    "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (i = 1; i < 9; i++) {
		snprintf(line, sizeof(line), "l%d: &l%d [", i, i);
		puts_(&b, line);
		for (j = 0; j < 9; j++) {
			snprintf(line, sizeof(line), "%s*l%d", j ? ", " : "",
			    i - 1);
			puts_(&b, line);
		}
		puts_(&b, "]\n");
	}
	return b.s;
}

/* One 60 KB string named 30 times: 1.8 MB of text from a 61 KB body. */
static char *
gen_yaml_big_alias(void)
{
	struct buf b = { NULL, 0, 0 };
	char line[64];
	int i;

	puts_(&b, "sparkVersion: 3.5.0\nqueue: dev\n"
	    "mainApplicationFile: local:///x.jar\nmainClass: x.Main\n"
	    "applicationName: &big ");
	for (i = 0; i < 60000; i++)
		put(&b, "x", 1);
	puts_(&b, "\nsparkConf:\n");
	for (i = 0; i < 30; i++) {
		snprintf(line, sizeof(line), "  k%d: *big\n", i);
		puts_(&b, line);
	}
	return b.s;
}

/* A string field one byte over BPG_MAX_STRING (64 KiB). */
static char *
gen_long_string(void)
{
	struct buf b = { NULL, 0, 0 };
	int i;

	puts_(&b, "{" BASE ",\"applicationName\":\"");
	for (i = 0; i < 64 * 1024 + 1; i++)
		put(&b, "n", 1);
	puts_(&b, "\"}");
	return b.s;
}

/* A body over the web server's 1 MiB cap. */
static char *
gen_too_big_json(void)
{
	struct buf b = { NULL, 0, 0 };
	int i;

	puts_(&b, "{" BASE ",\"applicationName\":\"");
	for (i = 0; i < 2 * 1024 * 1024; i++)
		put(&b, "a", 1);
	puts_(&b, "\"}");
	return b.s;
}

static char *
gen_too_big_yaml(void)
{
	struct buf b = { NULL, 0, 0 };
	int i;

	puts_(&b, "sparkVersion: 3.5.0\narguments:\n");
	for (i = 0; i < 300000; i++)
		puts_(&b, "  - abc\n");
	return b.s;
}

/* ---- the table --------------------------------------------------------- */

#define JSON "application/json"
#define YAML "application/x-yaml"
#define WAE "jakarta.ws.rs.WebApplicationException: "
#define IJ WAE "Invalid JSON request: "
#define IY WAE "Invalid YAML request: "
#define BIND "MismatchedInputException: cannot bind "
#define RANGE "InputCoercionException: cannot bind "
#define LIMIT "StreamConstraintsException: "
#define SYNTAX "JsonParseException: "
#define CRD WAE "Invalid SparkApplication: "
/* A body: the base fields and x. */
#define B(x) "{" BASE "," x "}"
/* A driver or executor holding x. */
#define DRV(x) B("\"driver\":{" x "}")
#define EXE(x) B("\"executor\":{" x "}")

struct row {
	const char *name;
	const char *ctype;
	const char *body;		/* NULL: gen */
	char *(*gen)(void);
	long status;
	const char *text;		/* in "message" */
};

static const struct row rows[] = {
	/* A wrong type for every field of the request. */
	{ "submissionIdSuffix_object", JSON, B("\"submissionIdSuffix\":{}"),
	  NULL, 400, IJ BIND "submissionIdSuffix: expected a string, got an "
	  "object" },
	{ "applicationName_array", JSON, B("\"applicationName\":[\"a\"]"), NULL,
	  400, IJ BIND "applicationName: expected a string, got an array" },
	{ "type_object", JSON, B("\"type\":{\"Java\":1}"), NULL, 400,
	  IJ BIND "type: expected a string" },
	{ "mode_array", JSON, B("\"mode\":[]"), NULL, 400,
	  IJ BIND "mode: expected a string" },
	{ "image_object", JSON, B("\"image\":{}"), NULL, 400,
	  IJ BIND "image: expected a string" },
	{ "spotInstance_word", JSON, B("\"spotInstance\":\"yes\""), NULL, 400,
	  IJ BIND "spotInstance: expected a boolean, got \"yes\"" },
	{ "spotInstance_number", JSON, B("\"spotInstance\":1"), NULL, 400,
	  IJ BIND "spotInstance: expected a boolean, got 1" },
	{ "sparkVersion_object", JSON, "{\"sparkVersion\":{\"major\":3},"
	  "\"queue\":\"dev\"}", NULL, 400, IJ BIND "sparkVersion: expected a "
	  "string" },
	{ "mainClass_array", JSON, "{\"sparkVersion\":\"3.5.0\",\"mainClass\":"
	  "[\"x\"]}", NULL, 400, IJ BIND "mainClass: expected a string" },
	{ "mainApplicationFile_object", JSON, "{\"sparkVersion\":\"3.5.0\","
	  "\"mainApplicationFile\":{}}", NULL, 400, IJ BIND
	  "mainApplicationFile: expected a string" },
	{ "arguments_map", JSON, B("\"arguments\":{\"a\":\"b\"}"), NULL, 400,
	  IJ BIND "arguments: expected a list of strings, got an object" },
	{ "arguments_element_object", JSON, B("\"arguments\":[\"a\",{}]"),
	  NULL, 400, IJ BIND "arguments[1]: expected a string" },
	{ "sparkConf_array", JSON, B("\"sparkConf\":[\"a=b\"]"), NULL, 400,
	  IJ BIND "sparkConf: expected a map of strings, got an array" },
	{ "sparkConf_value_object", JSON, B("\"sparkConf\":{\"k\":{}}"), NULL,
	  400, IJ BIND "sparkConf.k: expected a string, got an object" },
	{ "sparkConf_value_array", JSON, B("\"sparkConf\":{\"k\":[\"v\"]}"),
	  NULL, 400, IJ BIND "sparkConf.k: expected a string" },
	{ "volumes_map", JSON, B("\"volumes\":{\"name\":\"v\"}"), NULL, 400,
	  IJ BIND "volumes: expected a list of Volume" },
	{ "volumes_element_string", JSON, B("\"volumes\":[\"v\"]"), NULL, 400,
	  IJ BIND "volumes[0]: expected an object (Volume)" },
	{ "volume_name_object", JSON, B("\"volumes\":[{\"name\":{}}]"), NULL,
	  400, IJ BIND "volumes[0].name: expected a string" },
	{ "volume_configMap_unknown_field", JSON,
	  B("\"volumes\":[{\"name\":\"v\",\"configMap\":{\"name\":\"c\","
	  "\"items\":[]}}]"), NULL, 400, IJ "UnrecognizedPropertyException: "
	  "Unrecognized field \"items\" (class ConfigMapVolumeSource)" },
	{ "driver_string", JSON, B("\"driver\":\"big\""), NULL, 400,
	  IJ BIND "driver: expected an object (DriverSpec), got \"big\"" },
	{ "executor_array", JSON, B("\"executor\":[]"), NULL, 400,
	  IJ BIND "executor: expected an object (ExecutorSpec), got an "
	  "array" },
	{ "driverOverheadFactor_word", JSON, B("\"driverOverheadFactor\":"
	  "\"abc\""), NULL, 400, IJ BIND "driverOverheadFactor: expected a "
	  "number" },
	{ "executorOverheadFactor_object", JSON,
	  B("\"executorOverheadFactor\":{}"), NULL, 400, IJ BIND
	  "executorOverheadFactor: expected a number" },
	{ "overheadFactor_array", JSON, B("\"overheadFactor\":[1]"), NULL, 400,
	  IJ BIND "overheadFactor: expected a number" },
	{ "deps_array", JSON, B("\"deps\":[\"x.jar\"]"), NULL, 400,
	  IJ BIND "deps: expected an object (Dependencies)" },
	{ "deps_jars_string", JSON, B("\"deps\":{\"jars\":\"x.jar\"}"), NULL,
	  400, IJ BIND "deps.jars: expected a list of strings" },
	{ "pythonVersion_object", JSON, B("\"pythonVersion\":{}"), NULL, 400,
	  IJ BIND "pythonVersion: expected a string" },
	{ "imagePullPolicy_array", JSON, B("\"imagePullPolicy\":[]"), NULL,
	  400, IJ BIND "imagePullPolicy: expected a string" },
	{ "restartPolicy_string", JSON, B("\"restartPolicy\":\"Always\""),
	  NULL, 400, IJ BIND "restartPolicy: expected an object "
	  "(RestartPolicy)" },
	{ "restartPolicy_retries_word", JSON, B("\"restartPolicy\":"
	  "{\"onFailureRetries\":\"x\"}"), NULL, 400, IJ BIND
	  "restartPolicy.onFailureRetries: expected an integer" },
	{ "clusterId_object", JSON, B("\"clusterId\":{}"), NULL, 400,
	  IJ BIND "clusterId: expected a string" },
	{ "queue_array", JSON, "{\"sparkVersion\":\"3.5.0\",\"queue\":[\"dev\"]}",
	  NULL, 400, IJ BIND "queue: expected a string" },
	{ "queueToken_object", JSON, B("\"queueToken\":{}"), NULL, 400,
	  IJ BIND "queueToken: expected a string" },
	{ "driver_cores_word", JSON, DRV("\"cores\":\"abc\""), NULL, 400,
	  IJ BIND "driver.cores: expected an integer, got \"abc\"" },
	{ "driver_cores_fraction", JSON, DRV("\"cores\":1.5"), NULL, 400,
	  IJ BIND "driver.cores: expected an integer, got 1.5" },
	{ "driver_cores_boolean", JSON, DRV("\"cores\":true"), NULL, 400,
	  IJ BIND "driver.cores: expected an integer, got true" },
	{ "driver_coreRequest_object", JSON, DRV("\"coreRequest\":{}"), NULL,
	  400, IJ BIND "driver.coreRequest: expected a string" },
	{ "driver_coreLimit_array", JSON, DRV("\"coreLimit\":[]"), NULL, 400,
	  IJ BIND "driver.coreLimit: expected a string" },
	{ "driver_memory_object", JSON, DRV("\"memory\":{\"g\":2}"), NULL, 400,
	  IJ BIND "driver.memory: expected a string" },
	{ "executor_memoryOverhead_array", JSON, EXE("\"memoryOverhead\":[]"),
	  NULL, 400, IJ BIND "executor.memoryOverhead: expected a string" },
	{ "executor_image_object", JSON, EXE("\"image\":{}"), NULL, 400,
	  IJ BIND "executor.image: expected a string" },
	{ "driver_env_map", JSON, DRV("\"env\":{\"A\":\"1\"}"), NULL, 400,
	  IJ BIND "driver.env: expected a list of EnvVar" },
	{ "driver_env_string_element", JSON, DRV("\"env\":[\"A=1\"]"), NULL,
	  400, IJ BIND "driver.env[0]: expected an object (EnvVar)" },
	{ "driver_env_name_object", JSON, DRV("\"env\":[{\"name\":{}}]"), NULL,
	  400, IJ BIND "driver.env[0].name: expected a string" },
	{ "driver_labels_array", JSON, DRV("\"labels\":[\"a\"]"), NULL, 400,
	  IJ BIND "driver.labels: expected a map of strings" },
	{ "executor_labels_value_object", JSON, EXE("\"labels\":{\"a\":{}}"),
	  NULL, 400, IJ BIND "executor.labels.a: expected a string" },
	{ "driver_annotations_string", JSON, DRV("\"annotations\":\"x\""),
	  NULL, 400, IJ BIND "driver.annotations: expected a map of strings" },
	{ "driver_terminationGracePeriodSeconds_word", JSON,
	  DRV("\"terminationGracePeriodSeconds\":\"soon\""), NULL, 400,
	  IJ BIND "driver.terminationGracePeriodSeconds: expected an "
	  "integer" },
	{ "driver_serviceAccount_object", JSON, DRV("\"serviceAccount\":{}"),
	  NULL, 400, IJ BIND "driver.serviceAccount: expected a string" },
	{ "driver_volumeMounts_map", JSON, DRV("\"volumeMounts\":{}"), NULL,
	  400, IJ BIND "driver.volumeMounts: expected a list of VolumeMount" },
	{ "executor_volumeMount_readOnly_word", JSON,
	  EXE("\"volumeMounts\":[{\"name\":\"v\",\"readOnly\":\"sure\"}]"),
	  NULL, 400, IJ BIND "executor.volumeMounts[0].readOnly: expected a "
	  "boolean" },
	{ "driver_securityContext_array", JSON, DRV("\"securityContext\":[]"),
	  NULL, 400, IJ BIND "driver.securityContext: expected an object "
	  "(SecurityContext)" },
	{ "driver_runAsUser_word", JSON,
	  DRV("\"securityContext\":{\"runAsUser\":\"root\"}"), NULL, 400,
	  IJ BIND "driver.securityContext.runAsUser: expected an integer" },
	{ "driver_privileged_word", JSON,
	  DRV("\"securityContext\":{\"privileged\":\"maybe\"}"), NULL, 400,
	  IJ BIND "driver.securityContext.privileged: expected a boolean" },
	{ "driver_affinity_string", JSON, DRV("\"affinity\":\"any\""), NULL,
	  400, IJ BIND "driver.affinity: expected an object (Affinity)" },
	{ "driver_nodeAffinity_array", JSON,
	  DRV("\"affinity\":{\"nodeAffinity\":[]}"), NULL, 400, IJ BIND
	  "driver.affinity.nodeAffinity: expected an object (NodeAffinity)" },
	{ "executor_affinity_weight_word", JSON,
	  EXE("\"affinity\":{\"nodeAffinity\":{\"preferredDuringScheduling"
	  "IgnoredDuringExecution\":[{\"weight\":\"heavy\"}]}}"), NULL, 400,
	  IJ BIND "executor.affinity.nodeAffinity.preferredDuringScheduling"
	  "IgnoredDuringExecution[0].weight: expected an integer" },
	{ "executor_dnsConfig_array", JSON, EXE("\"dnsConfig\":[]"), NULL, 400,
	  IJ BIND "executor.dnsConfig: expected an object (PodDNSConfig)" },
	{ "driver_dnsConfig_options_map", JSON,
	  DRV("\"dnsConfig\":{\"options\":{}}"), NULL, 400, IJ BIND
	  "driver.dnsConfig.options: expected a list" },
	{ "driver_javaOptions_object", JSON, DRV("\"javaOptions\":{}"), NULL,
	  400, IJ BIND "driver.javaOptions: expected a string" },
	{ "driver_podName_array", JSON, DRV("\"podName\":[]"), NULL, 400,
	  IJ BIND "driver.podName: expected a string" },
	{ "driver_kubernetesMaster_object", JSON,
	  DRV("\"kubernetesMaster\":{}"), NULL, 400, IJ BIND
	  "driver.kubernetesMaster: expected a string" },
	{ "executor_instances_word", JSON, EXE("\"instances\":\"many\""), NULL,
	  400, IJ BIND "executor.instances: expected an integer" },
	{ "executor_deleteOnTermination_word", JSON,
	  EXE("\"deleteOnTermination\":\"no\""), NULL, 400, IJ BIND
	  "executor.deleteOnTermination: expected a boolean" },
	{ "unknown_top_level_field", JSON, B("\"annotations\":{\"a\":\"b\"}"),
	  NULL, 400, IJ "UnrecognizedPropertyException: Unrecognized field "
	  "\"annotations\"" },

	/* Negative and huge numbers. */
	{ "driver_cores_negative", JSON, DRV("\"cores\":-1"), NULL, 400,
	  IJ RANGE "driver.cores: -1 is out of range (1 to 2147483647)" },
	{ "driver_cores_zero", JSON, DRV("\"cores\":0"), NULL, 400,
	  IJ RANGE "driver.cores: 0 is out of range" },
	{ "executor_cores_over_int32", JSON, EXE("\"cores\":3000000000"), NULL,
	  400, IJ RANGE "executor.cores: 3000000000 is out of range" },
	{ "executor_cores_1e400", JSON, EXE("\"cores\":1e400"), NULL, 400,
	  IJ BIND "executor.cores: expected an integer, got 1e400" },
	{ "executor_instances_zero", JSON, EXE("\"instances\":0"), NULL, 400,
	  IJ RANGE "executor.instances: 0 is out of range" },
	{ "executor_instances_negative", JSON, EXE("\"instances\":-5"), NULL,
	  400, IJ RANGE "executor.instances: -5 is out of range" },
	{ "executor_instances_over_limit", JSON, EXE("\"instances\":5001"),
	  NULL, 400, WAE "Executor instances in Spark config (5001) exceeds "
	  "limit (5000)" },
	{ "executor_instances_23_digits", JSON,
	  EXE("\"instances\":99999999999999999999999"), NULL, 400, IJ RANGE
	  "executor.instances: 99999999999999999999999 is out of range" },
	{ "terminationGracePeriodSeconds_negative", JSON,
	  DRV("\"terminationGracePeriodSeconds\":-1"), NULL, 400, IJ RANGE
	  "driver.terminationGracePeriodSeconds: -1 is out of range" },
	{ "runAsUser_negative", JSON,
	  EXE("\"securityContext\":{\"runAsUser\":-5}"), NULL, 400, IJ RANGE
	  "executor.securityContext.runAsUser: -5 is out of range" },
	{ "restart_retries_negative", JSON,
	  B("\"restartPolicy\":{\"onFailureRetries\":-1}"), NULL, 400,
	  IJ RANGE "restartPolicy.onFailureRetries: -1 is out of range" },
	{ "restart_interval_zero", JSON,
	  B("\"restartPolicy\":{\"onFailureRetryInterval\":0}"), NULL, 400,
	  IJ RANGE "restartPolicy.onFailureRetryInterval: 0 is out of range" },
	{ "overheadFactor_1e400", JSON, B("\"overheadFactor\":1e400"), NULL,
	  400, IJ RANGE "overheadFactor: 1e400 is out of range of a double" },
	{ "spark_executor_instances_huge", JSON,
	  B("\"sparkConf\":{\"spark.executor.instances\":\"99999999999\"}"),
	  NULL, 400, WAE "Invalid value (99999999999) for Spark config: "
	  "(spark.executor.instances)" },
	{ "memory_huge", JSON, DRV("\"memory\":\"99999999999g\""), NULL, 400,
	  WAE "Invalid value for driver.memory: \"99999999999g\" (the number "
	  "is too large)" },
	{ "memory_without_unit", JSON, EXE("\"memory\":\"2048\""), NULL, 400,
	  WAE "Invalid value for executor.memory: \"2048\"" },
	{ "maxRunningMillis_huge", JSON,
	  B("\"sparkConf\":{\"bpg.maxRunningMillis\":\"99999999999999999999\"}"),
	  NULL, 400, WAE "Invalid value for config bpg.maxRunningMillis: "
	  "99999999999999999999" },
	{ "maxRunningMillis_over_queue", JSON,
	  B("\"sparkConf\":{\"bpg.maxRunningMillis\":\"999999999999\"}"), NULL,
	  400, WAE "maxRunningMillis 999999999999 is too large than allowed "
	  "86400000 for queue dev" },
	{ "maxRunningMillis_negative_no_label", JSON,
	  B("\"sparkConf\":{\"bpg.maxRunningMillis\":\"-1\"}"), NULL, 400,
	  CRD "metadata.labels[\"maxRunningMillis\"]: Invalid value: \"-1\"" },
	{ "coreLimit_millicores", JSON, DRV("\"coreLimit\":\"1500m\""), NULL,
	  400, WAE "Invalid value for driver.coreLimit: \"1500m\"" },

	/* Unknown type names and other values Kubernetes refuses. */
	{ "type_java_lower_case", JSON, B("\"type\":\"java\""), NULL, 400,
	  CRD "spec.type: Unsupported value: \"java\": supported values: "
	  "\"Java\", \"Python\", \"Scala\", \"R\"" },
	{ "type_SCALA_upper_case", JSON, B("\"type\":\"SCALA\""), NULL, 400,
	  CRD "spec.type: Unsupported value: \"SCALA\"" },
	{ "type_unknown_with_image", JSON, B("\"type\":\"Kotlin\",\"image\":"
	  "\"my/image:1\""), NULL, 400, CRD "spec.type: Unsupported value: "
	  "\"Kotlin\"" },
	{ "type_unknown_without_image", JSON, B("\"type\":\"Kotlin\""), NULL,
	  400, WAE "Spark image not found for type: Kotlin, version: 3.5.0" },
	{ "pythonVersion_unknown", JSON, B("\"pythonVersion\":\"3.11\""), NULL,
	  400, CRD "spec.pythonVersion: Unsupported value: \"3.11\"" },
	{ "restartPolicy_type_unknown", JSON,
	  B("\"restartPolicy\":{\"type\":\"Sometimes\"}"), NULL, 400,
	  CRD "spec.restartPolicy.type: Unsupported value: \"Sometimes\"" },
	{ "missing_mainApplicationFile", JSON, "{\"sparkVersion\":\"3.5.0\","
	  "\"queue\":\"dev\",\"mainClass\":\"x.Main\"}", NULL, 400,
	  CRD "spec.mainApplicationFile: Required value" },
	{ "unknown_spark_version", JSON, "{\"sparkVersion\":\"9.9\"}", NULL,
	  400, WAE "Spark version not supported: 9.9" },
	{ "unknown_queue", JSON, "{\"sparkVersion\":\"3.5.0\",\"queue\":"
	  "\"nope\"}", NULL, 400, WAE "The queue nope does not exist." },
	{ "unknown_cluster", JSON, B("\"clusterId\":\"spark-cluster-z\""),
	  NULL, 400, WAE "Cluster with id spark-cluster-z having Spark version "
	  "3.5.0 not found" },
	{ "volume_without_name", JSON,
	  B("\"volumes\":[{\"hostPath\":{\"path\":\"/a\"}}]"), NULL, 400,
	  CRD "spec.volumes[0].name: Required value" },
	{ "env_without_name", JSON, EXE("\"env\":[{\"value\":\"x\"}]"), NULL,
	  400, CRD "spec.executor.env[0].name: Required value" },

	/* Unicode and control characters in names and labels. */
	{ "applicationName_control", JSON,
	  B("\"applicationName\":\"a\\u0001b\""), NULL, 400, IJ BIND
	  "applicationName: string contains the control character U+0001" },
	{ "applicationName_delete", JSON,
	  B("\"applicationName\":\"a\\u007fb\""), NULL, 400, IJ BIND
	  "applicationName: string contains the control character U+007F" },
	{ "sparkVersion_nul", JSON, "{\"sparkVersion\":\"3.5.0\\u0000\"}",
	  NULL, 400, IJ SYNTAX "string contains a NUL character" },
	{ "suffix_upper_case", JSON, B("\"submissionIdSuffix\":\"Nightly\""),
	  NULL, 400, WAE "submissionIdSuffix \"Nightly\" is invalid" },
	{ "suffix_unicode", JSON,
	  B("\"submissionIdSuffix\":\"na\\u00efve\""), NULL, 400,
	  WAE "submissionIdSuffix" },
	{ "suffix_underscore", JSON, B("\"submissionIdSuffix\":\"a_b\""),
	  NULL, 400, WAE "submissionIdSuffix \"a_b\" is invalid" },
	{ "label_value_with_space", JSON,
	  DRV("\"labels\":{\"team\":\"data eng\"}"), NULL, 400,
	  CRD "spec.driver.labels[\"team\"]: Invalid value: \"data eng\"" },
	{ "label_key_two_slashes", JSON, EXE("\"labels\":{\"a.io/b/c\":\"x\"}"),
	  NULL, 400, CRD "spec.executor.labels[\"a.io/b/c\"]: Invalid key" },
	{ "label_key_unicode", JSON, DRV("\"labels\":{\"t\\u00ebam\":\"x\"}"),
	  NULL, 400, CRD "spec.driver.labels[\"t\\xc3\\xabam\"]: Invalid "
	  "key" },
	{ "label_value_unicode", JSON, DRV("\"labels\":{\"v\":\"caf\\u00e9\"}"),
	  NULL, 400, CRD "spec.driver.labels[\"v\"]: Invalid value: "
	  "\"caf\\xc3\\xa9\"" },
	{ "label_value_emoji", JSON,
	  EXE("\"labels\":{\"v\":\"\\ud83d\\ude00\"}"), NULL, 400,
	  CRD "spec.executor.labels[\"v\"]: Invalid value" },
	{ "label_value_bell", JSON, DRV("\"labels\":{\"v\":\"a\\u0007\"}"),
	  NULL, 400, IJ BIND "driver.labels.v: string contains the control "
	  "character U+0007" },
	{ "label_key_newline", JSON, DRV("\"labels\":{\"a\\nb\":\"x\"}"), NULL,
	  400, IJ BIND "driver.labels: key contains the control character "
	  "U+000A" },
	{ "annotation_key_cyrillic", JSON,
	  DRV("\"annotations\":{\"\\u043a\\u043b\\u044e\\u0447\":\"x\"}"), NULL,
	  400, CRD "spec.driver.annotations[" },
	{ "sparkConf_key_control", JSON, B("\"sparkConf\":{\"a\\tb\":\"x\"}"),
	  NULL, 400, IJ BIND "sparkConf: key contains the control character "
	  "U+0009" },
	{ "podName_unicode", JSON, DRV("\"podName\":\"dr\\u00efver\""), NULL,
	  400, CRD "spec.driver.podName: Invalid value" },
	{ "queue_unicode", JSON, "{\"sparkVersion\":\"3.5.0\",\"queue\":"
	  "\"d\\u00e9v\"}", NULL, 400, WAE "The queue d\xc3\xa9v does not "
	  "exist." },
	{ "queueToken_control", JSON, B("\"queueToken\":\"a\\u001bb\""), NULL,
	  400, IJ BIND "queueToken: string contains the control character "
	  "U+001B" },
	{ "yaml_name_control", YAML, "sparkVersion: 3.5.0\napplicationName: "
	  "\"a\\x01b\"\n", NULL, 400, IY },

	/* Too many entries, too deep, too much. */
	{ "sparkConf_10000_entries", JSON, NULL, gen_conf_10000, 400,
	  IJ LIMIT "cannot bind sparkConf: more than 4096 entries" },
	{ "arguments_10000_entries", JSON, NULL, gen_args_10000, 400,
	  IJ LIMIT "cannot bind arguments: more than 4096 entries" },
	{ "json_100000_nested_arrays", JSON, NULL, gen_json_deep_arrays, 400,
	  IJ LIMIT "document nesting depth exceeds the maximum allowed (32)" },
	{ "json_40_nested_objects", JSON, NULL, gen_json_deep_objects, 400,
	  IJ LIMIT "document nesting depth exceeds the maximum allowed (32)" },
	{ "yaml_40_nested_mappings", YAML, NULL, gen_yaml_deep_block, 400,
	  IY LIMIT },
	{ "yaml_1000_nested_flow_lists", YAML, NULL, gen_yaml_deep_flow, 400,
	  IY LIMIT },
	{ "yaml_billion_laughs", YAML, NULL, gen_yaml_laughs, 400,
	  IY LIMIT "line " },
	{ "yaml_big_scalar_aliased_30_times", YAML, NULL, gen_yaml_big_alias,
	  400, IY LIMIT "cannot bind sparkConf.k" },
	{ "yaml_self_alias", YAML, "a: &a [*a]\n", NULL, 400,
	  IY "YAMLParseException: line 1: unknown alias 'a'" },
	{ "json_string_over_64KiB", JSON, NULL, gen_long_string, 400,
	  IJ LIMIT "cannot bind applicationName: string longer than 65536 "
	  "bytes" },
	{ "body_over_1MiB_json", JSON, NULL, gen_too_big_json, 413,
	  WAE "HTTP 413" },
	{ "body_over_1MiB_yaml", YAML, NULL, gen_too_big_yaml, 413,
	  WAE "HTTP 413" },

	/* Malformed UTF-8 and other broken documents. */
	{ "json_bytes_ff_fe", JSON, "{\"sparkVersion\":\"\xff\xfe\"}", NULL,
	  400, IJ SYNTAX "unable to decode byte 0xff" },
	{ "json_overlong_slash", JSON, "{\"sparkVersion\":\"\xc0\xaf\"}", NULL,
	  400, IJ SYNTAX "unable to decode byte 0xc0" },
	{ "json_utf8_surrogate", JSON, "{\"sparkVersion\":\"\xed\xa0\x80\"}",
	  NULL, 400, IJ SYNTAX "unable to decode byte 0xed" },
	{ "json_truncated_sequence", JSON, "{\"sparkVersion\":\"\xe2\x82\"}",
	  NULL, 400, IJ SYNTAX "unable to decode byte 0xe2" },
	{ "json_lone_surrogate_escape", JSON, "{\"sparkVersion\":\"\\ud800\"}",
	  NULL, 400, IJ SYNTAX "invalid Unicode '\\uD800'" },
	{ "json_byte_in_key", JSON, "{\"spark\xffVersion\":\"3.5.0\"}", NULL,
	  400, IJ SYNTAX "unable to decode byte 0xff" },
	{ "yaml_byte_ff", YAML, "sparkVersion: \"\xff\"\n", NULL, 400,
	  IY "YAMLParseException" },
	{ "yaml_overlong", YAML, "applicationName: \xc0\xaf\n", NULL, 400,
	  IY "YAMLParseException" },
	{ "empty_body", JSON, "", NULL, 400, IJ "MismatchedInputException: "
	  "No content to map due to end-of-input" },
	{ "null_body", JSON, "null", NULL, 400, IJ "MismatchedInputException: "
	  "request body is null or an empty document" },
	{ "yaml_empty_document", YAML, "---\n", NULL, 400,
	  IY "MismatchedInputException: request body is null" },
	{ "array_body", JSON, "[1]", NULL, 400, IJ BIND "the request: expected "
	  "an object (SubmitApplicationRequest), got an array" },
	{ "number_body", JSON, "42", NULL, 400, IJ BIND "the request: "
	  "expected an object (SubmitApplicationRequest), got 42" },
	{ "duplicate_keys", JSON, "{\"sparkVersion\":\"3.5.0\","
	  "\"sparkVersion\":\"3.4.0\"}", NULL, 400, IJ SYNTAX "duplicate "
	  "object key" },
	{ "trailing_garbage", JSON, "{\"sparkVersion\":\"3.5.0\"} x", NULL,
	  400, IJ SYNTAX },
	{ "truncated_json", JSON, "{\"sparkVersion\":\"3.5.0\",\"queue\":",
	  NULL, 400, IJ SYNTAX },
	{ "file_path_body", JSON, "~/Downloads/sparkpi.json", NULL, 400,
	  WAE "Invalid request body. It actually looks like a file path." },
};

START_TEST(test_bad_input)
{
	const struct row *r = &rows[_i];
	long before = integ_db_count(NULL);
	size_t crs_a = integ_cr_count("a"), crs_b = integ_cr_count("b");
	char *gen = NULL;
	const char *body = r->body, *text = r->text, *msg;
	struct integ_http a;
	json_t *code;

	if (body == NULL)
		body = gen = r->gen();
	a = submit(r->ctype, body, strlen(body));

	/* 1. A 4xx JSON error that names the problem. */
	ck_assert_msg(a.status == r->status, "row %s: want %ld, got %ld: %.300s",
	    r->name, r->status, a.status, a.body ? a.body : "");
	ck_assert_msg(a.status >= 400 && a.status < 500, "row %s", r->name);
	ck_assert_msg(json_is_object(a.json), "row %s: not JSON: %.300s",
	    r->name, a.body ? a.body : "");
	code = json_object_get(a.json, "code");
	ck_assert_msg(json_is_integer(code) && json_integer_value(code) ==
	    a.status, "row %s: code %.300s", r->name, a.body);
	msg = json_string_value(json_object_get(a.json, "message"));
	ck_assert_msg(msg != NULL && strstr(msg, text) != NULL,
	    "row %s: message %s lacks \"%s\"", r->name, msg ? msg : "(none)",
	    text);

	/* 2. Nothing written. */
	ck_assert_msg(integ_db_count(NULL) == before, "row %s: a row was "
	    "written", r->name);
	ck_assert_msg(integ_cr_count("a") == crs_a &&
	    integ_cr_count("b") == crs_b,
	    "row %s: a SparkApplication was created", r->name);

	/* 3. No worker died (the set is the one before the table). */
	assert_same_workers(r->name);
	integ_http_free(&a);
	free(gen);
}
END_TEST

/* After the table: the same workers, and a valid submission works. */
START_TEST(test_still_serving)
{
	long before = integ_db_count(NULL);
	struct integ_http a;
	char *body;
	size_t n;

	assert_same_workers("after the table");
	body = integ_sparkpi(&n);
	a = submit(JSON, body, n);
	ck_assert_msg(a.status == 200, "valid submission: %ld %s", a.status,
	    a.body);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(a.json,
	    "submissionId")));
	ck_assert_int_eq(integ_db_count(NULL), before + 1);
	assert_same_workers("after a valid submission");
	integ_http_free(&a);
	free(body);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("badinput");
	TCase *tc = tcase_create("table");

	tcase_set_timeout(tc, 120);
	/* In the runner, once, before the table. */
	tcase_add_unchecked_fixture(tc, record_workers, NULL);
	tcase_add_loop_test(tc, test_bad_input, 0,
	    (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_still_serving);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
