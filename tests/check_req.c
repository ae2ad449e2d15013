/*
 * Tests for lib/bpg_req.c: the SparkPi request of bpg-reference section
 * 2.24 and its stored request_body byte for byte, the sample bodies of
 * section 12 (requestBodyCheck_suspiciousFilePathLike), Jackson-style
 * coercions, the sanitised copy (CustomSerDeTest, LogDaoTest.
 * testQueueTokenMasked), the file-path pattern of section 2.1, and named
 * tables of bad bodies: a wrong type for every field, ranges, limits,
 * characters, and broken documents.
 *
 * Inputs are read from tests/data/req/ and the shared reference files from
 * ../shared/spec/ (or $BPG_SHARED_DIR/spec/), found as tests/testutil.h
 * says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "bpg_json.h"
#include "bpg_limits.h"
#include "bpg_req.h"
#include "bpg_req_int.h"
#include "testutil.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Section 2.24, "request_body". */
static const char sparkpi_stored[] =
    "{\"applicationName\":\"SparkPiDemo\",\"spotInstance\":false,"
    "\"sparkVersion\":\"3.5.0\",\"mainClass\":\"org.apache.spark.examples."
    "SparkPi\",\"mainApplicationFile\":\"local:///usr/lib/spark/examples/"
    "jars/spark-examples.jar\",\"driver\":{\"cores\":1,\"memory\":\"2g\","
    "\"labels\":{\"version\":\"3.5.0\"},\"serviceAccount\":\"emr-containers-"
    "sa-spark\"},\"executor\":{\"cores\":1,\"memory\":\"2g\",\"labels\":"
    "{\"version\":\"3.5.0\"},\"instances\":1},\"queue\":\"dev\"}";

/* The sanitised JSON as it goes to the database (section 2.20). */
static char *
stored(const struct bpg_submit_req *r)
{
	json_t *s = bpg_req_sanitized(r);
	char *d;

	ck_assert_ptr_nonnull(s);
	d = bpg_json_dump(s, NULL);	/* as bpg_api_submit.c writes it */
	ck_assert_ptr_nonnull(d);
	json_decref(s);
	return d;
}

/* bpg_req_parse() (which binds a JSON body as it reads it) and the tree
 * binder alone give the same: fields, or code and message. */
static void
same_as_ref(const char *body, size_t len, enum bpg_req_format fmt,
    enum bpg_err e, const struct bpg_submit_req *r,
    const struct bpg_errinfo *ei, const char *name)
{
	struct bpg_submit_req ref;
	struct bpg_errinfo rei;
	enum bpg_err re;

	memset(&rei, 0, sizeof(rei));
	re = bpg_req_parse_ref(body, len, fmt, &ref, &rei);
	ck_assert_msg(re == e, "%s: %d, the tree binder %d (%s)", name, e, re,
	    rei.msg);
	if (e == BPG_OK)
		ck_assert_msg(bpg_req_same(r, &ref), "%s: bound otherwise by "
		    "the tree binder", name);
	else
		ck_assert_msg(strcmp(ei->msg, rei.msg) == 0, "%s: \"%s\", the "
		    "tree binder \"%s\"", name, ei->msg, rei.msg);
	bpg_req_reset(&ref);
}

static void
parse_ok(const char *body, size_t len, enum bpg_req_format fmt,
    struct bpg_submit_req *r, const char *name)
{
	struct bpg_errinfo ei;
	enum bpg_err e;

	e = bpg_req_parse(body, len, fmt, r, &ei);
	ck_assert_msg(e == BPG_OK, "%s: %s (%d)", name, ei.msg, e);
	same_as_ref(body, len, fmt, e, r, &ei, name);
}

/* A message the edge can put in JSON and the log as it is. */
static void
assert_clean_msg(const char *msg, const char *name)
{
	json_t *j = json_string(msg);
	size_t i;

	ck_assert_msg(j != NULL, "%s: message is not UTF-8", name);
	json_decref(j);
	for (i = 0; msg[i] != '\0'; i++)
		ck_assert_msg((unsigned char)msg[i] >= 0x20 &&
		    msg[i] != 0x7f, "%s: control byte in message", name);
	ck_assert_msg(msg[0] != '\0', "%s: empty message", name);
}

static const char *
str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* ---- SparkPi (section 2.24) ---------------------------------------- */

static void
check_sparkpi(const struct bpg_submit_req *r)
{
	ck_assert_str_eq(r->application_name, "SparkPiDemo");
	ck_assert_str_eq(r->queue, "dev");
	ck_assert_str_eq(r->spark_version, "3.5.0");
	ck_assert_str_eq(r->main_application_file,
	    "local:///usr/lib/spark/examples/jars/spark-examples.jar");
	ck_assert_str_eq(r->main_class, "org.apache.spark.examples.SparkPi");
	ck_assert(r->driver.present);
	ck_assert(r->driver.has_cores);
	ck_assert_int_eq(r->driver.cores, 1);
	ck_assert_str_eq(r->driver.memory, "2g");
	ck_assert_str_eq(r->driver.service_account, "emr-containers-sa-spark");
	ck_assert_uint_eq(json_object_size(r->driver.labels), 1);
	ck_assert_str_eq(str_of(r->driver.labels, "version"), "3.5.0");
	ck_assert(r->executor.present);
	ck_assert(r->executor.has_instances);
	ck_assert_int_eq(r->executor.instances, 1);
	ck_assert(r->executor.has_cores);
	ck_assert_int_eq(r->executor.cores, 1);
	ck_assert_str_eq(r->executor.memory, "2g");
	ck_assert_uint_eq(json_object_size(r->executor.labels), 1);
	ck_assert_str_eq(str_of(r->executor.labels, "version"), "3.5.0");

	/* Everything else is absent. */
	ck_assert_ptr_null(r->submission_id_suffix);
	ck_assert_ptr_null(r->type);
	ck_assert_ptr_null(r->mode);
	ck_assert_ptr_null(r->image);
	ck_assert(!r->spot_instance);
	ck_assert_ptr_null(r->arguments);
	ck_assert_ptr_null(r->spark_conf);
	ck_assert_ptr_null(r->volumes);
	ck_assert_ptr_null(r->driver_overhead_factor);
	ck_assert_ptr_null(r->executor_overhead_factor);
	ck_assert_ptr_null(r->overhead_factor);
	ck_assert_ptr_null(r->deps);
	ck_assert_ptr_null(r->python_version);
	ck_assert_ptr_null(r->image_pull_policy);
	ck_assert_ptr_null(r->restart_policy);
	ck_assert_ptr_null(r->cluster_id);
	ck_assert_ptr_null(r->queue_token);
	ck_assert_ptr_null(r->driver.core_request);
	ck_assert_ptr_null(r->driver.core_limit);
	ck_assert_ptr_null(r->driver.memory_overhead);
	ck_assert_ptr_null(r->driver.image);
	ck_assert_ptr_null(r->driver.env);
	ck_assert_ptr_null(r->driver.annotations);
	ck_assert(!r->driver.has_termination_grace_period_seconds);
	ck_assert_ptr_null(r->driver.volume_mounts);
	ck_assert_ptr_null(r->driver.security_context);
	ck_assert_ptr_null(r->driver.affinity);
	ck_assert_ptr_null(r->driver.dns_config);
	ck_assert_ptr_null(r->driver.java_options);
	ck_assert_ptr_null(r->driver.pod_name);
	ck_assert_ptr_null(r->driver.kubernetes_master);
	ck_assert(!r->driver.has_instances);
	ck_assert(!r->driver.has_delete_on_termination);
	ck_assert_ptr_null(r->executor.service_account);
	ck_assert_ptr_null(r->executor.env);
	ck_assert(!r->executor.has_delete_on_termination);
}

START_TEST(test_sparkpi_json)
{
	struct bpg_submit_req r;
	size_t len;
	char *body = tu_slurp_shared("sparkpi-request.json", &len), *d;

	parse_ok(body, len, BPG_REQ_JSON, &r, "sparkpi.json");
	check_sparkpi(&r);
	ck_assert(!bpg_req_looks_like_path(body, len));
	d = stored(&r);
	ck_assert_str_eq(d, sparkpi_stored);
	free(d);
	bpg_req_reset(&r);
	free(body);
}
END_TEST

START_TEST(test_sparkpi_yaml)
{
	struct bpg_submit_req r;
	size_t len;
	char *body = tu_slurp_data("req", "sparkpi.yaml", &len), *d;

	parse_ok(body, len, BPG_REQ_YAML, &r, "sparkpi.yaml");
	check_sparkpi(&r);
	d = stored(&r);
	ck_assert_str_eq(d, sparkpi_stored);
	free(d);
	bpg_req_reset(&r);
	free(body);
}
END_TEST

/* The stored request of section 2.24 is in the spec text itself. */
START_TEST(test_sparkpi_stored_matches_spec)
{
	size_t len;
	char *spec = tu_slurp_shared("bpg-reference.md", &len);

	ck_assert_msg(strstr(spec, sparkpi_stored) != NULL,
	    "request_body of section 2.24 differs from the test's copy");
	free(spec);
}
END_TEST

/* ---- the section 12 sample (Scala, '3.0', sde, jars, tgt, 2) --------- */

static void
check_sample(const struct bpg_submit_req *r)
{
	json_t *jars, *env;

	ck_assert_str_eq(r->type, "Scala");
	ck_assert_str_eq(r->spark_version, "3.0");
	ck_assert_str_eq(r->queue, "sde");
	ck_assert_str_eq(r->main_class, "com.example.reports.Daily");
	ck_assert_str_eq(r->main_application_file,
	    "s3a://example-artifacts/releases/2023-05-01/report-2.1.jar");
	ck_assert_ptr_nonnull(r->deps);
	jars = json_object_get(r->deps, "jars");
	ck_assert_uint_eq(json_array_size(jars), 2);
	ck_assert_str_eq(json_string_value(json_array_get(jars, 1)),
	    "s3a://example-artifacts/releases/2023-05-01/json-codec-1.2.0.jar");
	ck_assert_uint_eq(json_object_size(r->deps), 1);
	ck_assert_int_eq(r->driver.cores, 1);
	ck_assert_str_eq(r->driver.memory, "1g");
	env = r->driver.env;
	ck_assert_uint_eq(json_array_size(env), 1);
	ck_assert_str_eq(str_of(json_array_get(env, 0), "name"), "tgt");
	ck_assert_str_eq(str_of(json_array_get(env, 0), "value"),
	    "ticket-cache-placeholder");
	ck_assert(r->executor.has_instances);
	ck_assert_int_eq(r->executor.instances, 2);
	ck_assert_int_eq(r->executor.cores, 1);
	ck_assert_str_eq(r->executor.memory, "1g");
}

START_TEST(test_sample_scala)
{
	static const char expect[] =
	    "{\"type\":\"Scala\",\"spotInstance\":false,\"sparkVersion\":"
	    "\"3.0\",\"mainClass\":\"com.example.reports.Daily\","
	    "\"mainApplicationFile\":\"s3a://example-artifacts/releases/"
	    "2023-05-01/report-2.1.jar\",\"driver\":{\"cores\":1,\"memory\":"
	    "\"1g\"},\"executor\":{\"cores\":1,\"memory\":\"1g\","
	    "\"instances\":2},\"deps\":{\"jars\":[\"s3a://example-artifacts/"
	    "releases/2023-05-01/common-utils-0.9.1.jar\",\"s3a://example-"
	    "artifacts/releases/2023-05-01/json-codec-1.2.0.jar\"]},\"queue\":"
	    "\"sde\"}";
	struct bpg_submit_req r;
	size_t ylen, jlen;
	char *y = tu_slurp_data("req", "sample-scala.yaml", &ylen);
	char *j = tu_slurp_data("req", "sample-scala.json", &jlen), *d;

	/* requestBodyCheck_suspiciousFilePathLike: not paths. */
	ck_assert(!bpg_req_looks_like_path(y, ylen));
	ck_assert(!bpg_req_looks_like_path(j, jlen));

	parse_ok(y, ylen, BPG_REQ_YAML, &r, "sample-scala.yaml");
	check_sample(&r);
	d = stored(&r);
	ck_assert_str_eq(d, expect);
	free(d);
	bpg_req_reset(&r);

	parse_ok(j, jlen, BPG_REQ_JSON, &r, "sample-scala.json");
	check_sample(&r);
	d = stored(&r);
	ck_assert_str_eq(d, expect);
	free(d);
	bpg_req_reset(&r);
	free(y);
	free(j);
}
END_TEST

/* ---- every field, nested shapes, dropped unknown nested fields ------ */

START_TEST(test_full)
{
	static const char *const files[] = { "full.json", "full.yaml" };
	struct bpg_submit_req r;
	size_t len, elen;
	char *body = tu_slurp_data("req", files[_i], &len), *d;
	char *expect = tu_slurp_data("req", "full.sanitized.json", &elen);
	json_t *env, *vf;

	while (elen > 0 && expect[elen - 1] == '\n')
		expect[--elen] = '\0';
	parse_ok(body, len, _i == 0 ? BPG_REQ_JSON : BPG_REQ_YAML, &r,
	    files[_i]);
	d = stored(&r);
	ck_assert_str_eq(d, expect);
	free(d);

	/* Env is kept in the struct (only the stored copy drops it). */
	env = r.driver.env;
	ck_assert_uint_eq(json_array_size(env), 3);
	ck_assert_str_eq(str_of(json_array_get(env, 0), "value"), "1");
	vf = json_object_get(json_array_get(env, 1), "valueFrom");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(vf,
	    "fieldRef"), "fieldPath")), "status.hostIP");
	ck_assert_uint_eq(json_object_size(json_object_get(vf, "fieldRef")),
	    1);
	/* secretKeyRef is not a source BPG knows: valueFrom is empty. */
	vf = json_object_get(json_array_get(env, 2), "valueFrom");
	ck_assert_uint_eq(json_object_size(vf), 0);
	ck_assert_uint_eq(json_array_size(r.executor.env), 1);

	/* Executor-only fields are dropped on the driver and vice versa. */
	ck_assert(!r.driver.has_instances);
	ck_assert(!r.driver.has_delete_on_termination);
	ck_assert_ptr_null(r.executor.pod_name);
	ck_assert(r.executor.has_delete_on_termination);
	ck_assert(!r.executor.delete_on_termination);
	ck_assert_int_eq(r.driver.termination_grace_period_seconds, 30);
	ck_assert_ptr_null(r.main_class);
	ck_assert_str_eq(r.queue_token,
	    "eyJhbGciOiJIUzI1NiJ9.e30.not-a-real-signature");
	ck_assert(json_is_real(r.overhead_factor));
	ck_assert(json_real_value(r.overhead_factor) == 2.0);
	ck_assert(json_real_value(r.executor_overhead_factor) == 0.5);
	bpg_req_reset(&r);
	free(body);
	free(expect);
}
END_TEST

/* ---- coercions (section 1.1) --------------------------------------- */

static const struct {
	const char *name;
	enum bpg_req_format fmt;
	const char *body;
	const char *stored;
} coerce[] = {
	{ "json-real-keeps-text", BPG_REQ_JSON, "{\"sparkVersion\":3.50}",
	  "{\"spotInstance\":false,\"sparkVersion\":\"3.50\"}" },
	{ "json-real-3.5", BPG_REQ_JSON, "{\"sparkVersion\":3.5}",
	  "{\"spotInstance\":false,\"sparkVersion\":\"3.5\"}" },
	{ "json-real-0.1", BPG_REQ_JSON, "{\"sparkVersion\":0.1}",
	  "{\"spotInstance\":false,\"sparkVersion\":\"0.1\"}" },
	{ "json-exponent", BPG_REQ_JSON, "{\"queue\":1E+3}",
	  "{\"spotInstance\":false,\"queue\":\"1E+3\"}" },
	{ "json-minus-zero", BPG_REQ_JSON, "{\"queue\":-0}",
	  "{\"spotInstance\":false,\"queue\":\"-0\"}" },
	{ "json-huge-int-as-text", BPG_REQ_JSON,
	  "{\"queue\":123456789012345678901234567890}",
	  "{\"spotInstance\":false,\"queue\":\"123456789012345678901234567890\"}" },
	{ "json-bool-as-text", BPG_REQ_JSON,
	  "{\"queue\":true,\"type\":false}",
	  "{\"type\":\"false\",\"spotInstance\":false,\"queue\":\"true\"}" },
	{ "json-number-in-list-and-map", BPG_REQ_JSON,
	  "{\"arguments\":[1,2.50,false],\"sparkConf\":{\"a\":1.0}}",
	  "{\"spotInstance\":false,\"arguments\":[\"1\",\"2.50\",\"false\"],"
	  "\"sparkConf\":{\"a\":\"1.0\"}}" },
	{ "json-int-from-string", BPG_REQ_JSON,
	  "{\"driver\":{\"cores\":\"2\"},\"executor\":{\"instances\":\"+3\","
	  "\"cores\":\"007\"}}",
	  "{\"spotInstance\":false,\"driver\":{\"cores\":2},\"executor\":"
	  "{\"cores\":7,\"instances\":3}}" },
	{ "json-empty-string-int-is-null", BPG_REQ_JSON,
	  "{\"driver\":{\"cores\":\"\",\"terminationGracePeriodSeconds\":\"\"}}",
	  "{\"spotInstance\":false,\"driver\":{}}" },
	{ "json-long-max", BPG_REQ_JSON,
	  "{\"driver\":{\"terminationGracePeriodSeconds\":9223372036854775807}}",
	  "{\"spotInstance\":false,\"driver\":{\"terminationGracePeriodSeconds\":"
	  "9223372036854775807}}" },
	{ "json-int-max", BPG_REQ_JSON,
	  "{\"executor\":{\"cores\":2147483647,\"instances\":\"2147483647\"}}",
	  "{\"spotInstance\":false,\"executor\":{\"cores\":2147483647,"
	  "\"instances\":2147483647}}" },
	{ "json-bool-from-string", BPG_REQ_JSON,
	  "{\"spotInstance\":\"true\",\"executor\":{\"deleteOnTermination\":"
	  "\"False\"}}",
	  "{\"spotInstance\":true,\"executor\":{\"deleteOnTermination\":false}}" },
	{ "json-spot-null-is-false", BPG_REQ_JSON, "{\"spotInstance\":null}",
	  "{\"spotInstance\":false}" },
	{ "json-double-from-string", BPG_REQ_JSON,
	  "{\"driverOverheadFactor\":\"1.5\",\"overheadFactor\":3}",
	  "{\"spotInstance\":false,\"driverOverheadFactor\":1.5,"
	  "\"overheadFactor\":3.0}" },
	/* Java's Double.toString(): 0.1, not 0.10000000000000001. */
	{ "json-factors-shortest", BPG_REQ_JSON,
	  "{\"driverOverheadFactor\":0.1,\"executorOverheadFactor\":\"0.4\","
	  "\"overheadFactor\":1e-1}",
	  "{\"spotInstance\":false,\"driverOverheadFactor\":0.1,"
	  "\"executorOverheadFactor\":0.4,\"overheadFactor\":0.1}" },
	{ "json-nulls-omitted", BPG_REQ_JSON,
	  "{\"queue\":null,\"driver\":null,\"arguments\":null,\"deps\":null,"
	  "\"sparkConf\":{\"k\":null}}",
	  "{\"spotInstance\":false,\"sparkConf\":{}}" },
	{ "json-bom", BPG_REQ_JSON, "\xef\xbb\xbf{\"queue\":\"dev\"}",
	  "{\"spotInstance\":false,\"queue\":\"dev\"}" },
	{ "json-escapes-kept", BPG_REQ_JSON,
	  "{\"arguments\":[\"a\\nb\\tc\\r\",\"\\u00e9\\ud83d\\ude80\"]}",
	  "{\"spotInstance\":false,\"arguments\":[\"a\\nb\\tc\\r\","
	  "\"\xc3\xa9\xf0\x9f\x9a\x80\"]}" },
	{ "json-unicode-keys", BPG_REQ_JSON,
	  "{\"sparkConf\":{\"sp\xc3\xa4rk.\xe2\x9c\x93\":\"\xe6\x97\xa5\"}}",
	  "{\"spotInstance\":false,\"sparkConf\":{\"sp\xc3\xa4rk.\xe2\x9c\x93\":"
	  "\"\xe6\x97\xa5\"}}" },
	{ "json-dns-empty-lists-omitted", BPG_REQ_JSON,
	  "{\"executor\":{\"dnsConfig\":{\"nameservers\":[],\"options\":[]}}}",
	  "{\"spotInstance\":false,\"executor\":{\"dnsConfig\":{}}}" },
	{ "json-weight-defaults-to-0", BPG_REQ_JSON,
	  "{\"driver\":{\"affinity\":{\"nodeAffinity\":{\"preferredDuring"
	  "SchedulingIgnoredDuringExecution\":[{}]}}}}",
	  "{\"spotInstance\":false,\"driver\":{\"affinity\":{\"nodeAffinity\":"
	  "{\"preferredDuringSchedulingIgnoredDuringExecution\":[{\"weight\":"
	  "0}]}}}}" },
	{ "json-driver-empty-object", BPG_REQ_JSON, "{\"driver\":{}}",
	  "{\"spotInstance\":false,\"driver\":{}}" },
	{ "json-mode-kept", BPG_REQ_JSON, "{\"mode\":\"client\"}",
	  "{\"mode\":\"client\",\"spotInstance\":false}" },
	{ "json-empty-object", BPG_REQ_JSON, "{}", "{\"spotInstance\":false}" },
	{ "yaml-3.10-stays-text", BPG_REQ_YAML, "sparkVersion: 3.10\n",
	  "{\"spotInstance\":false,\"sparkVersion\":\"3.10\"}" },
	{ "yaml-quoted-version", BPG_REQ_YAML, "sparkVersion: '3.0'\n",
	  "{\"spotInstance\":false,\"sparkVersion\":\"3.0\"}" },
	{ "yaml-int-text", BPG_REQ_YAML,
	  "driver: {cores: 2}\nexecutor:\n  instances: '5'\n",
	  "{\"spotInstance\":false,\"driver\":{\"cores\":2},\"executor\":"
	  "{\"instances\":5}}" },
	{ "yaml-booleans", BPG_REQ_YAML,
	  "spotInstance: True\nexecutor: {deleteOnTermination: FALSE}\n",
	  "{\"spotInstance\":true,\"executor\":{\"deleteOnTermination\":"
	  "false}}" },
	{ "yaml-yes-is-text", BPG_REQ_YAML, "queue: yes\n",
	  "{\"spotInstance\":false,\"queue\":\"yes\"}" },
	{ "yaml-null-forms", BPG_REQ_YAML,
	  "queue: ~\ntype: null\nimage:\nsparkConf: {a: ~, b: 1}\n",
	  "{\"spotInstance\":false,\"sparkConf\":{\"b\":\"1\"}}" },
	{ "yaml-aliases", BPG_REQ_YAML,
	  "driver: &p {cores: 2, memory: 3g}\nexecutor: *p\n",
	  "{\"spotInstance\":false,\"driver\":{\"cores\":2,\"memory\":\"3g\"},"
	  "\"executor\":{\"cores\":2,\"memory\":\"3g\"}}" },
	{ "yaml-double", BPG_REQ_YAML, "executorOverheadFactor: .25\n",
	  "{\"spotInstance\":false,\"executorOverheadFactor\":0.25}" },
	{ "yaml-factor-0.3", BPG_REQ_YAML, "driverOverheadFactor: 0.3\n",
	  "{\"spotInstance\":false,\"driverOverheadFactor\":0.3}" },
	{ "yaml-unicode", BPG_REQ_YAML,
	  "applicationName: \"caf\\u00e9 \xf0\x9f\x9a\x80\"\n",
	  "{\"applicationName\":\"caf\xc3\xa9 \xf0\x9f\x9a\x80\","
	  "\"spotInstance\":false}" },
	{ "yaml-first-document-only", BPG_REQ_YAML,
	  "queue: a\n---\nbogus: 1\n",
	  "{\"spotInstance\":false,\"queue\":\"a\"}" },
};

START_TEST(test_coerce)
{
	struct bpg_submit_req r;
	char *d;

	parse_ok(coerce[_i].body, strlen(coerce[_i].body), coerce[_i].fmt, &r,
	    coerce[_i].name);
	d = stored(&r);
	ck_assert_msg(strcmp(d, coerce[_i].stored) == 0, "row %s: got %s",
	    coerce[_i].name, d);
	free(d);
	bpg_req_reset(&r);
}
END_TEST

/*
 * Strings longer than the 17 significant digits of a double, and with
 * trailing zeros, keep their exact text in string fields.
 */
START_TEST(test_number_text_exact)
{
	static const char *const nums[] = { "3.50", "3.10", "1.000000000000000000001",
		"-12.5e-07", "0", "100", "1e2", "2.0" };
	struct bpg_submit_req r;
	char body[128];
	size_t i;

	for (i = 0; i < NELEM(nums); i++) {
		snprintf(body, sizeof(body), "{\"sparkVersion\": %s }", nums[i]);
		parse_ok(body, strlen(body), BPG_REQ_JSON, &r, nums[i]);
		ck_assert_str_eq(r.spark_version, nums[i]);
		bpg_req_reset(&r);
	}
}
END_TEST

/* ---- CustomSerDeTest and LogDaoTest.testQueueTokenMasked ------------ */

START_TEST(test_serde_masking)
{
	static const char body[] =
	    "{\"applicationName\":\"app1\",\"queue\":\"q1\",\"queueToken\":"
	    "\"token1\",\"driver\":{\"env\":[{\"name\":\"k1\",\"value\":\"v1\"}]},"
	    "\"executor\":{\"env\":[{\"name\":\"k2\",\"value\":\"v2\"}],"
	    "\"instances\":2}}";
	struct bpg_submit_req r;
	json_t *s;
	char *d;

	parse_ok(body, strlen(body), BPG_REQ_JSON, &r, "serde");
	d = stored(&r);
	ck_assert_ptr_nonnull(strstr(d, "applicationName"));
	ck_assert_ptr_null(strstr(d, "env"));
	ck_assert_ptr_nonnull(strstr(d, "\"queueToken\":\"***\""));
	ck_assert_ptr_null(strstr(d, "token1"));
	ck_assert_ptr_null(strstr(d, "v1"));
	free(d);
	/* The caller's request keeps the token and the env lists. */
	ck_assert_str_eq(r.queue_token, "token1");
	ck_assert_uint_eq(json_array_size(r.driver.env), 1);
	ck_assert_uint_eq(json_array_size(r.executor.env), 1);

	/* The copy is deep: changing it leaves the request alone. */
	s = bpg_req_sanitized(&r);
	ck_assert_ptr_nonnull(s);
	json_object_set_new(json_object_get(s, "executor"), "instances",
	    json_integer(7));
	ck_assert(r.executor.instances == 2);
	json_decref(s);
	bpg_req_reset(&r);

	/* An empty token is present, so it is masked too. */
	parse_ok("{\"queueToken\":\"\"}", 17, BPG_REQ_JSON, &r, "empty-token");
	d = stored(&r);
	ck_assert_str_eq(d, "{\"spotInstance\":false,\"queueToken\":\"***\"}");
	free(d);
	bpg_req_reset(&r);

	/* No token: no field. */
	parse_ok("{\"queueToken\":null}", 19, BPG_REQ_JSON, &r, "null-token");
	d = stored(&r);
	ck_assert_str_eq(d, "{\"spotInstance\":false}");
	free(d);
	bpg_req_reset(&r);
}
END_TEST

/*
 * idempotencyKey (ours, bpg_idem.h): bound as text in JSON and YAML,
 * checked later at the edge (bpg_idem_pick()), and not stored with the
 * request.
 */
START_TEST(test_idempotency_key)
{
	static const char json[] = "{\"idempotencyKey\":\"k-1\"}";
	static const char yaml[] = "idempotencyKey: 12345\n";
	struct bpg_submit_req r;
	char *d;

	parse_ok(json, sizeof(json) - 1, BPG_REQ_JSON, &r, "json");
	ck_assert_str_eq(r.idempotency_key, "k-1");
	d = stored(&r);
	ck_assert_str_eq(d, "{\"spotInstance\":false}");
	free(d);
	bpg_req_reset(&r);
	ck_assert_ptr_null(r.idempotency_key);
	/* A YAML number is its text, as for every string field. */
	parse_ok(yaml, sizeof(yaml) - 1, BPG_REQ_YAML, &r, "yaml");
	ck_assert_str_eq(r.idempotency_key, "12345");
	bpg_req_reset(&r);
}
END_TEST

/* ---- the file-path pattern (section 2.1) ---------------------------- */

static const struct {
	const char *body;
	bool path;
} paths[] = {
	{ "~/Downloads/cool_stuff.txt", true },
	{ "/Users/tim/Downloads", true },
	{ "/Users/tim/Downloads/", true },
	{ "/a", true },
	{ "C/x.y-z_1", true },
	{ "a/b/c.json", true },
	{ "./x.json", false },
	{ "@/tmp/x", false },
	{ "", false },
	{ "/", false },
	{ "~", false },
	{ "~/", false },
	{ "//a", false },
	{ "/a//", false },
	{ "/a//b", false },
	{ "ab/c", false },
	{ "/a b", false },
	{ "/a/b\n", false },
	{ "/tmp/caf\xc3\xa9", false },
	{ "{}", false },
	{ "{\"queue\":\"/a/b\"}", false },
};

START_TEST(test_path_pattern)
{
	ck_assert_msg(bpg_req_looks_like_path(paths[_i].body,
	    strlen(paths[_i].body)) == paths[_i].path, "row %d (%s)", _i,
	    paths[_i].body);
}
END_TEST

START_TEST(test_path_message)
{
	static const char msg[] = "Invalid request body. It actually looks "
	    "like a file path. If you're using curl, make sure you are passing "
	    "the file content (not the file path) as the request body.";
	struct bpg_submit_req r;
	struct bpg_errinfo ei;
	size_t len;
	char *body = tu_slurp_data("req", "bad-file-path.json", &len);

	ck_assert_int_eq(bpg_req_parse(body, len, BPG_REQ_JSON, &r, &ei),
	    BPG_EINVAL);
	ck_assert_str_eq(ei.msg, msg);
	bpg_req_reset(&r);
	/* Never for YAML: there it is a plain scalar, not an object. */
	ck_assert_int_eq(bpg_req_parse(body, len, BPG_REQ_YAML, &r, &ei),
	    BPG_EINVAL);
	ck_assert_msg(strncmp(ei.msg, "Invalid YAML request: ", 22) == 0,
	    "%s", ei.msg);
	bpg_req_reset(&r);
	free(body);
}
END_TEST

/* ---- bad bodies ----------------------------------------------------- */

/* Generated bodies, each malloc'd. */
static char *
gen_many_conf(size_t *len)
{
	size_t cap = 10000 * 32 + 16, n = 0, i;
	char *b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	n += (size_t)snprintf(b + n, cap - n, "{\"sparkConf\":{");
	for (i = 0; i < 10000; i++)
		n += (size_t)snprintf(b + n, cap - n, "%s\"k%zu\":\"v\"",
		    i ? "," : "", i);
	n += (size_t)snprintf(b + n, cap - n, "}}");
	*len = n;
	return b;
}

static char *
gen_many_args(size_t *len)
{
	size_t cap = (BPG_MAX_ENTRIES + 1) * 4 + 32, n = 0, i;
	char *b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	n += (size_t)snprintf(b + n, cap - n, "{\"arguments\":[");
	for (i = 0; i <= BPG_MAX_ENTRIES; i++)
		n += (size_t)snprintf(b + n, cap - n, "%s\"a\"", i ? "," : "");
	n += (size_t)snprintf(b + n, cap - n, "]}");
	*len = n;
	return b;
}

static char *
gen_2mb(size_t *len)
{
	size_t n = 2 * 1024 * 1024;
	char *b = malloc(n);

	ck_assert_ptr_nonnull(b);
	memset(b, ' ', n);
	memcpy(b, "{\"queue\":\"dev\"}", 15);
	*len = n;
	return b;
}

static char *
gen_long_string(size_t *len)
{
	char *b = malloc(BPG_MAX_STRING + 64);

	ck_assert_ptr_nonnull(b);
	memcpy(b, "{\"driver\":{\"javaOptions\":\"", 26);
	memset(b + 26, 'x', BPG_MAX_STRING + 1);
	memcpy(b + 26 + BPG_MAX_STRING + 1, "\"}}", 4);
	*len = strlen(b);
	return b;
}

static char *
gen_long_key(size_t *len)
{
	size_t n = BPG_MAX_STRING + 64;
	char *b = malloc(n);

	ck_assert_ptr_nonnull(b);
	memcpy(b, "{\"sparkConf\":{\"", 15);
	memset(b + 15, 'k', BPG_MAX_STRING + 1);
	memcpy(b + 15 + BPG_MAX_STRING + 1, "\":\"v\"}}", 8);
	*len = strlen(b);
	return b;
}

static char *
gen_deep_json(size_t *len)
{
	size_t depth = 100000, n = 0;
	char *b = malloc(depth * 2 + 1);

	ck_assert_ptr_nonnull(b);
	memset(b, '[', depth);
	memset(b + depth, ']', depth);
	n = depth * 2;
	b[n] = '\0';
	*len = n;
	return b;
}

/* 33 levels in total: one over BPG_MAX_DEPTH. */
static char *
gen_deep_yaml_flow(size_t *len)
{
	size_t n = 0, i;
	char *b = malloc(256);

	ck_assert_ptr_nonnull(b);
	n += (size_t)snprintf(b, 256, "driver: ");
	for (i = 0; i < BPG_MAX_DEPTH; i++)
		b[n++] = '[';
	for (i = 0; i < BPG_MAX_DEPTH; i++)
		b[n++] = ']';
	b[n++] = '\n';
	b[n] = '\0';
	*len = n;
	return b;
}

/* 33 levels: the request object and 32 lists. */
static char *
gen_deep_json_33(size_t *len)
{
	size_t n = 0, i;
	char *b = malloc(256);

	ck_assert_ptr_nonnull(b);
	n += (size_t)snprintf(b, 256, "{\"driver\":");
	for (i = 0; i < BPG_MAX_DEPTH; i++)
		b[n++] = '[';
	for (i = 0; i < BPG_MAX_DEPTH; i++)
		b[n++] = ']';
	b[n++] = '}';
	b[n] = '\0';
	*len = n;
	return b;
}

/*
 * One 60 KiB scalar named 32 times: 1.9 MiB of text from a 61 KiB body.
 * The 18th copy goes over BPG_MAX_BODY (the line is the anchor's: the
 * aliases share its node).
 */
static char *
gen_alias_text(size_t *len)
{
	size_t big = 60 * 1024, n, i;
	char *b = malloc(big + 512);

	ck_assert_ptr_nonnull(b);
	n = (size_t)snprintf(b, 256, "driver:\n  x: &s ");
	memset(b + n, 'x', big);
	n += big;
	n += (size_t)snprintf(b + n, 256, "\narguments: [*s");
	for (i = 1; i < 32; i++)
		n += (size_t)snprintf(b + n, 16, ", *s");
	n += (size_t)snprintf(b + n, 16, "]\n");
	*len = n;
	return b;
}

static const struct {
	const char *name;
	enum bpg_req_format fmt;
	const char *body;		/* or */
	size_t blen;			/* of body, 0 for strlen() */
	char *(*gen)(size_t *);		/* or */
	const char *file;		/* under tests/data/req/ */
	enum bpg_err code;
	const char *substr;
} bad[] = {
	/* Empty, null and non-object documents (quirk 28). */
	{ "empty-json", BPG_REQ_JSON, "", 0, NULL, NULL, BPG_EINVAL,
	  "Invalid JSON request: MismatchedInputException: No content to map "
	  "due to end-of-input" },
	{ "blank-json", BPG_REQ_JSON, " \r\n\t", 0, NULL, NULL, BPG_EINVAL,
	  "No content to map" },
	{ "empty-yaml", BPG_REQ_YAML, "", 0, NULL, NULL, BPG_EINVAL,
	  "Invalid YAML request: MismatchedInputException: No content" },
	{ "null-json", BPG_REQ_JSON, NULL, 0, NULL, "bad-null.json", BPG_EINVAL,
	  "Invalid JSON request: MismatchedInputException: request body is "
	  "null" },
	{ "null-yaml", BPG_REQ_YAML, "~\n", 0, NULL, NULL, BPG_EINVAL,
	  "Invalid YAML request: MismatchedInputException: request body is "
	  "null" },
	{ "comment-only-yaml", BPG_REQ_YAML, NULL, 0, NULL, "bad-empty.yaml",
	  BPG_EINVAL, "request body is null or an empty document" },
	{ "doc-marker-only-yaml", BPG_REQ_YAML, "---\n...\n", 0, NULL, NULL,
	  BPG_EINVAL, "request body is null" },
	{ "array-json", BPG_REQ_JSON, NULL, 0, NULL, "bad-array.json", BPG_EINVAL,
	  "cannot bind the request: expected an object "
	  "(SubmitApplicationRequest), got an array" },
	{ "array-yaml", BPG_REQ_YAML, "- queue: dev\n", 0, NULL, NULL, BPG_EINVAL,
	  "Invalid YAML request: MismatchedInputException: cannot bind the "
	  "request: expected an object" },
	{ "string-json", BPG_REQ_JSON, "\"dev\"", 0, NULL, NULL, BPG_EINVAL,
	  "expected an object (SubmitApplicationRequest), got \"dev\"" },
	{ "number-json", BPG_REQ_JSON, "3.50", 0, NULL, NULL, BPG_EINVAL,
	  "expected an object (SubmitApplicationRequest), got 3.50" },
	{ "bool-json", BPG_REQ_JSON, "true", 0, NULL, NULL, BPG_EINVAL,
	  "got true" },
	{ "scalar-yaml", BPG_REQ_YAML, "hello\n", 0, NULL, NULL, BPG_EINVAL,
	  "got \"hello\"" },

	/* Broken documents. */
	{ "malformed-json", BPG_REQ_JSON, NULL, 0, NULL, "bad-malformed.json",
	  BPG_EINVAL, "Invalid JSON request: JsonParseException: " },
	{ "truncated-json", BPG_REQ_JSON, "{\"queue\":", 0, NULL, NULL,
	  BPG_EINVAL, "JsonParseException: " },
	{ "trailing-comma-json", BPG_REQ_JSON, "{\"queue\":\"a\",}", 0, NULL, NULL,
	  BPG_EINVAL, "JsonParseException" },
	{ "trailing-garbage-json", BPG_REQ_JSON, "{} x", 0, NULL, NULL,
	  BPG_EINVAL, "JsonParseException" },
	{ "two-documents-json", BPG_REQ_JSON, "{}{}", 0, NULL, NULL, BPG_EINVAL,
	  "JsonParseException" },
	{ "number-key-json", BPG_REQ_JSON, "{1:2}", 0, NULL, NULL, BPG_EINVAL,
	  "JsonParseException" },
	{ "bad-number-json", BPG_REQ_JSON, "{\"queue\":01}", 0, NULL, NULL,
	  BPG_EINVAL, "JsonParseException" },
	{ "missing-comma-numbers-json", BPG_REQ_JSON, "{\"arguments\":[1 2]}", 0,
	  NULL, NULL, BPG_EINVAL, "']' expected near '2' at line 1" },
	{ "nan-json", BPG_REQ_JSON, "{\"overheadFactor\":NaN}", 0, NULL, NULL,
	  BPG_EINVAL, "JsonParseException" },
	{ "single-quotes-json", BPG_REQ_JSON, "{'queue':'dev'}", 0, NULL, NULL,
	  BPG_EINVAL, "JsonParseException" },
	{ "comment-json", BPG_REQ_JSON, "{/* c */}", 0, NULL, NULL, BPG_EINVAL,
	  "JsonParseException" },
	{ "yaml-body-as-json", BPG_REQ_JSON, "queue: dev\n", 0, NULL, NULL,
	  BPG_EINVAL, "Invalid JSON request: JsonParseException" },
	{ "malformed-yaml", BPG_REQ_YAML, NULL, 0, NULL, "bad-malformed.yaml",
	  BPG_EINVAL, "Invalid YAML request: YAMLParseException: line 4" },
	{ "tab-indent-yaml", BPG_REQ_YAML, "driver:\n\tcores: 1\n", 0, NULL, NULL,
	  BPG_EINVAL, "Invalid YAML request: YAMLParseException" },
	{ "bad-indent-yaml", BPG_REQ_YAML, "queue: a\n  b: c\n", 0, NULL, NULL,
	  BPG_EINVAL, "YAMLParseException" },
	{ "unknown-alias-yaml", BPG_REQ_YAML, "driver: *nope\n", 0, NULL, NULL,
	  BPG_EINVAL, "YAMLParseException" },
	{ "complex-key-yaml", BPG_REQ_YAML, "? [a]\n: b\n", 0, NULL, NULL,
	  BPG_EINVAL, "YAMLParseException" },

	/* Duplicate JSON keys (JSON_REJECT_DUPLICATES). */
	{ "duplicate-key-json", BPG_REQ_JSON, NULL, 0, NULL,
	  "bad-duplicate-key.json", BPG_EINVAL,
	  "JsonParseException: duplicate object key near '\"queue\"'" },
	{ "duplicate-nested-key-json", BPG_REQ_JSON,
	  "{\"driver\":{\"cores\":1,\"cores\":2}}", 0, NULL, NULL, BPG_EINVAL,
	  "duplicate object key" },
	{ "duplicate-ignored-key-json", BPG_REQ_JSON,
	  "{\"driver\":{\"x\":1,\"x\":2}}", 0, NULL, NULL, BPG_EINVAL,
	  "duplicate object key" },

	/* Unknown fields (quirk 29) and the strict configMap. */
	{ "unknown-top-field", BPG_REQ_JSON, "{\"x\":1}", 0, NULL, NULL,
	  BPG_EINVAL, "Invalid JSON request: UnrecognizedPropertyException: "
	  "Unrecognized field \"x\"" },
	{ "openapi-annotations", BPG_REQ_JSON, NULL, 0, NULL,
	  "bad-unknown-field.json", BPG_EINVAL,
	  "Unrecognized field \"annotations\"" },
	{ "case-sensitive-field", BPG_REQ_JSON, "{\"Queue\":\"dev\"}", 0, NULL,
	  NULL, BPG_EINVAL, "Unrecognized field \"Queue\"" },
	{ "unknown-top-field-yaml", BPG_REQ_YAML, "queue: dev\nbogus: 1\n", 0,
	  NULL, NULL, BPG_EINVAL, "Invalid YAML request: "
	  "UnrecognizedPropertyException: Unrecognized field \"bogus\"" },
	{ "unknown-after-bad-first", BPG_REQ_JSON,
	  "{\"driver\":{\"cores\":\"x\"},\"bogus\":1}", 0, NULL, NULL, BPG_EINVAL,
	  "cannot bind driver.cores" },
	{ "configmap-extra", BPG_REQ_JSON, NULL, 0, NULL,
	  "bad-configmap-extra.json", BPG_EINVAL,
	  "UnrecognizedPropertyException: Unrecognized field \"defaultMode\" "
	  "(class ConfigMapVolumeSource)" },
	{ "configmap-extra-yaml", BPG_REQ_YAML,
	  "volumes:\n- name: v\n  configMap: {name: c, optional: true}\n", 0, NULL,
	  NULL, BPG_EINVAL, "Unrecognized field \"optional\"" },

	/* Ranges. */
	{ "cores-2147483648", BPG_REQ_JSON,
	  "{\"driver\":{\"cores\":2147483648}}", 0, NULL, NULL, BPG_EINVAL,
	  "InputCoercionException: cannot bind driver.cores: 2147483648 is "
	  "out of range (1 to 2147483647)" },
	{ "cores-string-2147483648", BPG_REQ_JSON,
	  "{\"executor\":{\"cores\":\"2147483648\"}}", 0, NULL, NULL, BPG_EINVAL,
	  "cannot bind executor.cores: 2147483648 is out of range" },
	{ "cores-huge", BPG_REQ_JSON,
	  "{\"driver\":{\"cores\":99999999999999999999999}}", 0, NULL, NULL,
	  BPG_EINVAL, "cannot bind driver.cores: 99999999999999999999999 is out" },
	{ "cores-zero", BPG_REQ_JSON, "{\"driver\":{\"cores\":0}}", 0, NULL, NULL,
	  BPG_EINVAL, "cannot bind driver.cores: 0 is out of range" },
	{ "cores-negative", BPG_REQ_JSON, "{\"executor\":{\"cores\":-1}}", 0, NULL,
	  NULL, BPG_EINVAL, "cannot bind executor.cores: -1 is out of range" },
	{ "cores-range-yaml", BPG_REQ_YAML, NULL, 0, NULL, "bad-cores-range.yaml",
	  BPG_EINVAL, "Invalid YAML request: InputCoercionException: cannot "
	  "bind driver.cores: 2147483648 is out of range (1 to 2147483647) "
	  "(line 2)" },
	{ "instances-zero", BPG_REQ_JSON, "{\"executor\":{\"instances\":0}}", 0,
	  NULL, NULL, BPG_EINVAL, "cannot bind executor.instances: 0 is out" },
	{ "instances-int-min", BPG_REQ_JSON,
	  "{\"executor\":{\"instances\":-2147483648}}", 0, NULL, NULL, BPG_EINVAL,
	  "executor.instances: -2147483648 is out" },
	{ "grace-negative", BPG_REQ_JSON,
	  "{\"driver\":{\"terminationGracePeriodSeconds\":-1}}", 0, NULL, NULL,
	  BPG_EINVAL, "terminationGracePeriodSeconds: -1 is out of range" },
	{ "grace-over-long", BPG_REQ_JSON,
	  "{\"driver\":{\"terminationGracePeriodSeconds\":9223372036854775808}}", 0,
	  NULL, NULL, BPG_EINVAL, "9223372036854775808 is out of range" },
	{ "grace-under-long", BPG_REQ_JSON,
	  "{\"driver\":{\"terminationGracePeriodSeconds\":"
	  "-9223372036854775809}}", 0, NULL, NULL, BPG_EINVAL,
	  "is out of range" },
	{ "run-as-user-negative", BPG_REQ_JSON,
	  "{\"driver\":{\"securityContext\":{\"runAsUser\":-5}}}", 0, NULL, NULL,
	  BPG_EINVAL, "driver.securityContext.runAsUser: -5 is out of range" },
	{ "retries-negative", BPG_REQ_JSON,
	  "{\"restartPolicy\":{\"onFailureRetries\":-1}}", 0, NULL, NULL,
	  BPG_EINVAL, "restartPolicy.onFailureRetries: -1 is out of range" },
	{ "retry-interval-zero", BPG_REQ_JSON,
	  "{\"restartPolicy\":{\"onFailureRetryInterval\":0}}", 0, NULL, NULL,
	  BPG_EINVAL, "restartPolicy.onFailureRetryInterval: 0 is out" },
	{ "weight-over-int", BPG_REQ_JSON,
	  "{\"driver\":{\"affinity\":{\"nodeAffinity\":{\"preferredDuring"
	  "SchedulingIgnoredDuringExecution\":[{\"weight\":2147483648}]}}}}", 0,
	  NULL, NULL, BPG_EINVAL, "preferredDuringSchedulingIgnoredDuring"
	  "Execution[0].weight: 2147483648 is out of range" },
	{ "overhead-infinite", BPG_REQ_JSON, "{\"overheadFactor\":1e999}", 0, NULL,
	  NULL, BPG_EINVAL, "overheadFactor: 1e999 is out of range" },
	{ "overhead-hex-string", BPG_REQ_JSON, "{\"overheadFactor\":\"0x10\"}", 0,
	  NULL, NULL, BPG_EINVAL, "cannot bind overheadFactor: expected a "
	  "number" },
	{ "overhead-inf-string", BPG_REQ_JSON,
	  "{\"overheadFactor\":\"Infinity\"}", 0, NULL, NULL, BPG_EINVAL,
	  "expected a number" },
	{ "int-with-space", BPG_REQ_JSON, "{\"driver\":{\"cores\":\" 1\"}}", 0,
	  NULL, NULL, BPG_EINVAL, "expected an integer, got \" 1\"" },

	/* Limits. */
	{ "10000-sparkconf-entries", BPG_REQ_JSON, NULL, 0, gen_many_conf, NULL,
	  BPG_ETOOBIG, "StreamConstraintsException: cannot bind sparkConf: "
	  "more than 4096 entries" },
	{ "4097-arguments", BPG_REQ_JSON, NULL, 0, gen_many_args, NULL,
	  BPG_ETOOBIG, "cannot bind arguments: more than 4096 entries" },
	{ "2mb-body", BPG_REQ_JSON, NULL, 0, gen_2mb, NULL, BPG_ETOOBIG,
	  "Invalid JSON request: StreamConstraintsException: request body is "
	  "larger than 1048576 bytes" },
	{ "2mb-body-yaml", BPG_REQ_YAML, NULL, 0, gen_2mb, NULL, BPG_ETOOBIG,
	  "Invalid YAML request: StreamConstraintsException" },
	{ "long-string", BPG_REQ_JSON, NULL, 0, gen_long_string, NULL,
	  BPG_ETOOBIG, "cannot bind driver.javaOptions: string longer than 65536 "
	  "bytes" },
	{ "long-key", BPG_REQ_JSON, NULL, 0, gen_long_key, NULL, BPG_ETOOBIG,
	  "cannot bind sparkConf: key longer than 65536 bytes" },
	{ "deep-json", BPG_REQ_JSON, NULL, 0, NULL, "bad-deep.json", BPG_ETOOBIG,
	  "Invalid JSON request: StreamConstraintsException: document nesting "
	  "depth exceeds the maximum allowed (32)" },
	{ "deep-json-33", BPG_REQ_JSON, NULL, 0, gen_deep_json_33, NULL,
	  BPG_ETOOBIG, "nesting depth" },
	{ "very-deep-json", BPG_REQ_JSON, NULL, 0, gen_deep_json, NULL,
	  BPG_ETOOBIG, "nesting depth" },
	{ "deep-yaml", BPG_REQ_YAML, NULL, 0, NULL, "bad-deep.yaml", BPG_ETOOBIG,
	  "Invalid YAML request: StreamConstraintsException: line 33: nesting "
	  "deeper than 32 levels" },
	{ "deep-yaml-flow", BPG_REQ_YAML, NULL, 0, gen_deep_yaml_flow, NULL,
	  BPG_ETOOBIG, "nesting deeper than 32 levels" },
	{ "yaml-alias-text", BPG_REQ_YAML, NULL, 0, gen_alias_text, NULL,
	  BPG_ETOOBIG, "Invalid YAML request: StreamConstraintsException: "
	  "cannot bind arguments[17]: the request holds more than 1048576 "
	  "bytes of text (line 2)" },
	{ "yaml-alias-bomb", BPG_REQ_YAML, NULL, 0, NULL, "bad-alias-bomb.yaml",
	  BPG_ETOOBIG, "Invalid YAML request: StreamConstraintsException: "
	  "line 5: document expands to more than 100000 nodes" },

	/* Characters: NUL, controls, invalid UTF-8. */
	{ "nul-escape-json", BPG_REQ_JSON, NULL, 0, NULL, "bad-nul-escape.json",
	  BPG_EINVAL, "JsonParseException: string contains a NUL character" },
	{ "nul-escape-key-json", BPG_REQ_JSON,
	  "{\"sparkConf\":{\"a\\u0000\":\"b\"}}", 0, NULL, NULL, BPG_EINVAL,
	  "NUL character" },
	{ "nul-yaml", BPG_REQ_YAML, "queue: \"de\\0v\"\n", 0, NULL, NULL,
	  BPG_EINVAL, "cannot bind queue: string contains a NUL character" },
	{ "raw-control-json", BPG_REQ_JSON, "{\"queue\":\"a\x01\"}", 0, NULL, NULL,
	  BPG_EINVAL, "JsonParseException: control character 0x1" },
	{ "raw-newline-json", BPG_REQ_JSON, "{\"queue\":\"a\nb\"}", 0, NULL, NULL,
	  BPG_EINVAL, "JsonParseException" },
	{ "escaped-control-value", BPG_REQ_JSON,
	  "{\"arguments\":[\"ok\",\"a\\u0001\"]}", 0, NULL, NULL, BPG_EINVAL,
	  "cannot bind arguments[1]: string contains the control character "
	  "U+0001" },
	{ "escaped-escape-char", BPG_REQ_JSON,
	  "{\"applicationName\":\"\\u001b[31mred\"}", 0, NULL, NULL, BPG_EINVAL,
	  "applicationName: string contains the control character U+001B" },
	{ "escaped-del", BPG_REQ_JSON, "{\"queue\":\"a\\u007f\"}", 0, NULL, NULL,
	  BPG_EINVAL, "control character U+007F" },
	{ "tab-in-key", BPG_REQ_JSON, "{\"sparkConf\":{\"a\\tb\":\"c\"}}", 0, NULL,
	  NULL, BPG_EINVAL, "cannot bind sparkConf: key contains the control "
	  "character U+0009" },
	{ "newline-in-label-key", BPG_REQ_JSON,
	  "{\"driver\":{\"labels\":{\"a\\nb\":\"c\"}}}", 0, NULL, NULL, BPG_EINVAL,
	  "cannot bind driver.labels: key contains the control" },
	{ "control-yaml-escape", BPG_REQ_YAML, "queue: \"a\\x01\"\n", 0, NULL,
	  NULL, BPG_EINVAL, "control character U+0001 (line 1)" },
	{ "raw-control-yaml", BPG_REQ_YAML, "queue: a\x01\n", 0, NULL, NULL,
	  BPG_EINVAL, "Invalid YAML request: YAMLParseException" },
	{ "invalid-utf8-json", BPG_REQ_JSON, NULL, 0, NULL,
	  "bad-invalid-utf8.json", BPG_EINVAL,
	  "JsonParseException: unable to decode byte 0xe9" },
	{ "overlong-utf8-json", BPG_REQ_JSON, "{\"queue\":\"\xc0\xaf\"}", 0, NULL,
	  NULL, BPG_EINVAL, "JsonParseException" },
	{ "lone-surrogate-json", BPG_REQ_JSON, "{\"queue\":\"\\ud800\"}", 0, NULL,
	  NULL, BPG_EINVAL, "invalid Unicode" },
	{ "invalid-utf8-key-json", BPG_REQ_JSON, "{\"\xff\":1}", 0, NULL, NULL,
	  BPG_EINVAL, "JsonParseException" },
	{ "invalid-utf8-yaml", BPG_REQ_YAML, "queue: caf\xe9\n", 0, NULL, NULL,
	  BPG_EINVAL, "Invalid YAML request: YAMLParseException" },
	{ "utf16-json", BPG_REQ_JSON, "\xff\xfe{\0}\0", 6, NULL, NULL, BPG_EINVAL,
	  "JsonParseException" },

	/* The worked example of a bad driver.cores, whole. */
	{ "cores-abc-exact", BPG_REQ_JSON, NULL, 0, NULL, "bad-cores-type.json",
	  BPG_EINVAL, "Invalid JSON request: MismatchedInputException: cannot "
	  "bind driver.cores: expected an integer, got \"abc\"" },
	{ "null-list-element", BPG_REQ_JSON, "{\"arguments\":[\"a\",null]}", 0,
	  NULL, NULL, BPG_EINVAL, "cannot bind arguments[1]: expected a "
	  "string, got null" },
	{ "null-volume", BPG_REQ_JSON, "{\"volumes\":[null]}", 0, NULL, NULL,
	  BPG_EINVAL, "cannot bind volumes[0]: expected an object (Volume), "
	  "got null" },
	{ "single-value-as-list", BPG_REQ_JSON, "{\"arguments\":\"--x\"}", 0, NULL,
	  NULL, BPG_EINVAL, "cannot bind arguments: expected a list of "
	  "strings, got \"--x\"" },
	{ "long-value-quoted-short", BPG_REQ_JSON,
	  "{\"driver\":{\"cores\":\"0123456789012345678901234567890123456789"
	  "0123456789\"}}", 0, NULL, NULL, BPG_EINVAL,
	  "is out of range" },
	{ "yaml-list-for-map", BPG_REQ_YAML,
	  "sparkConf:\n  - a\n", 0, NULL, NULL, BPG_EINVAL,
	  "cannot bind sparkConf: expected a map of strings, got an array "
	  "(line 2)" },
};

static char *
bad_body(int i, size_t *len)
{
	char *b;

	if (bad[i].gen != NULL)
		return bad[i].gen(len);
	if (bad[i].file != NULL)
		return tu_slurp_data("req", bad[i].file, len);
	*len = bad[i].blen ? bad[i].blen : strlen(bad[i].body);
	b = malloc(*len + 1);
	ck_assert_ptr_nonnull(b);
	memcpy(b, bad[i].body, *len + 1);
	return b;
}

START_TEST(test_bad)
{
	struct bpg_submit_req r;
	struct bpg_errinfo ei;
	enum bpg_err e;
	size_t len;
	char *body = bad_body(_i, &len);

	memset(&ei, 0, sizeof(ei));
	e = bpg_req_parse(body, len, bad[_i].fmt, &r, &ei);
	ck_assert_msg(e == bad[_i].code, "row %s: code %d, want %d (%s)",
	    bad[_i].name, e, bad[_i].code, ei.msg);
	same_as_ref(body, len, bad[_i].fmt, e, &r, &ei, bad[_i].name);
	ck_assert_msg(strstr(ei.msg, bad[_i].substr) != NULL,
	    "row %s: message \"%s\" lacks \"%s\"", bad[_i].name, ei.msg,
	    bad[_i].substr);
	assert_clean_msg(ei.msg, bad[_i].name);
	/* Nothing is left behind on error. */
	ck_assert_ptr_null(r.queue);
	ck_assert_ptr_null(r.spark_conf);
	ck_assert(!r.driver.present);
	bpg_req_reset(&r);
	free(body);
}
END_TEST

/* ---- a wrong type for every field ----------------------------------- */

enum fk {
	FK_STR,
	FK_INT,
	FK_BOOL,
	FK_NUM,
	FK_STRLIST,
	FK_STRMAP,
	FK_OBJ,
	FK_OBJLIST,
	FK__MAX
};

/* Wrong values per kind (JSON text, also read as YAML flow). */
static const char *const wrong[FK__MAX][8] = {
	[FK_STR] = { "[]", "{}", "[\"a\"]", "{\"a\": \"b\"}" },
	[FK_INT] = { "\"abc\"", "1.5", "true", "[]", "{}", "\"1.0\"", "1e2",
		"\"0x10\"" },
	[FK_BOOL] = { "\"yes\"", "1", "[]", "{}", "\"on\"", "0" },
	[FK_NUM] = { "\"abc\"", "true", "[]", "{}", "\"1,5\"" },
	[FK_STRLIST] = { "{}", "\"x\"", "1", "[[]]", "[{}]", "[null]" },
	[FK_STRMAP] = { "[]", "\"x\"", "1", "{\"k\": []}", "{\"k\": {}}" },
	[FK_OBJ] = { "[]", "\"x\"", "1", "true" },
	[FK_OBJLIST] = { "{}", "\"x\"", "[1]", "[\"x\"]", "[null]", "[[]]" },
};

/*
 * Every field of section 1.1 and its nested types.  "a[]" means the
 * field a is a list and the path goes into its first element.
 */
static const struct {
	const char *path;
	enum fk kind;
} fields[] = {
	{ "submissionIdSuffix", FK_STR },
	{ "applicationName", FK_STR },
	{ "type", FK_STR },
	{ "mode", FK_STR },
	{ "image", FK_STR },
	{ "spotInstance", FK_BOOL },
	{ "sparkVersion", FK_STR },
	{ "mainClass", FK_STR },
	{ "mainApplicationFile", FK_STR },
	{ "arguments", FK_STRLIST },
	{ "sparkConf", FK_STRMAP },
	{ "volumes", FK_OBJLIST },
	{ "volumes[].name", FK_STR },
	{ "volumes[].hostPath", FK_OBJ },
	{ "volumes[].hostPath.path", FK_STR },
	{ "volumes[].hostPath.type", FK_STR },
	{ "volumes[].configMap", FK_OBJ },
	{ "volumes[].configMap.name", FK_STR },
	{ "driver", FK_OBJ },
	{ "executor", FK_OBJ },
	{ "driverOverheadFactor", FK_NUM },
	{ "executorOverheadFactor", FK_NUM },
	{ "overheadFactor", FK_NUM },
	{ "deps", FK_OBJ },
	{ "deps.jars", FK_STRLIST },
	{ "deps.files", FK_STRLIST },
	{ "deps.pyFiles", FK_STRLIST },
	{ "deps.packages", FK_STRLIST },
	{ "deps.excludePackages", FK_STRLIST },
	{ "deps.repositories", FK_STRLIST },
	{ "deps.archives", FK_STRLIST },
	{ "pythonVersion", FK_STR },
	{ "imagePullPolicy", FK_STR },
	{ "restartPolicy", FK_OBJ },
	{ "restartPolicy.type", FK_STR },
	{ "restartPolicy.onSubmissionFailureRetries", FK_INT },
	{ "restartPolicy.onFailureRetries", FK_INT },
	{ "restartPolicy.onSubmissionFailureRetryInterval", FK_INT },
	{ "restartPolicy.onFailureRetryInterval", FK_INT },
	{ "clusterId", FK_STR },
	{ "queue", FK_STR },
	{ "queueToken", FK_STR },
#define POD(p) \
	{ p ".cores", FK_INT }, \
	{ p ".coreRequest", FK_STR }, \
	{ p ".coreLimit", FK_STR }, \
	{ p ".memory", FK_STR }, \
	{ p ".memoryOverhead", FK_STR }, \
	{ p ".image", FK_STR }, \
	{ p ".env", FK_OBJLIST }, \
	{ p ".env[].name", FK_STR }, \
	{ p ".env[].value", FK_STR }, \
	{ p ".env[].valueFrom", FK_OBJ }, \
	{ p ".env[].valueFrom.fieldRef", FK_OBJ }, \
	{ p ".env[].valueFrom.fieldRef.fieldPath", FK_STR }, \
	{ p ".labels", FK_STRMAP }, \
	{ p ".annotations", FK_STRMAP }, \
	{ p ".terminationGracePeriodSeconds", FK_INT }, \
	{ p ".serviceAccount", FK_STR }, \
	{ p ".volumeMounts", FK_OBJLIST }, \
	{ p ".volumeMounts[].name", FK_STR }, \
	{ p ".volumeMounts[].readOnly", FK_BOOL }, \
	{ p ".volumeMounts[].mountPath", FK_STR }, \
	{ p ".volumeMounts[].subPath", FK_STR }, \
	{ p ".securityContext", FK_OBJ }, \
	{ p ".securityContext.privileged", FK_BOOL }, \
	{ p ".securityContext.runAsUser", FK_INT }, \
	{ p ".securityContext.allowPrivilegeEscalation", FK_BOOL }, \
	{ p ".affinity", FK_OBJ }, \
	{ p ".affinity.nodeAffinity", FK_OBJ }, \
	{ p ".affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuring" \
	    "Execution", FK_OBJLIST }, \
	{ p ".affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuring" \
	    "Execution[].weight", FK_INT }, \
	{ p ".affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuring" \
	    "Execution[].preference", FK_OBJ }, \
	{ p ".affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuring" \
	    "Execution[].preference.matchExpressions", FK_OBJLIST }, \
	{ p ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuring" \
	    "Execution", FK_OBJ }, \
	{ p ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuring" \
	    "Execution.nodeSelectorTerms", FK_OBJLIST }, \
	{ p ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuring" \
	    "Execution.nodeSelectorTerms[].matchExpressions", FK_OBJLIST }, \
	{ p ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuring" \
	    "Execution.nodeSelectorTerms[].matchExpressions[].key", FK_STR }, \
	{ p ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuring" \
	    "Execution.nodeSelectorTerms[].matchExpressions[].operator", \
	    FK_STR }, \
	{ p ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuring" \
	    "Execution.nodeSelectorTerms[].matchExpressions[].values", \
	    FK_STRLIST }, \
	{ p ".dnsConfig", FK_OBJ }, \
	{ p ".dnsConfig.nameservers", FK_STRLIST }, \
	{ p ".dnsConfig.searches", FK_STRLIST }, \
	{ p ".dnsConfig.options", FK_OBJLIST }, \
	{ p ".dnsConfig.options[].name", FK_STR }, \
	{ p ".dnsConfig.options[].value", FK_STR }, \
	{ p ".javaOptions", FK_STR }
	POD("driver"),
	POD("executor"),
#undef POD
	{ "driver.podName", FK_STR },
	{ "driver.kubernetesMaster", FK_STR },
	{ "executor.instances", FK_INT },
	{ "executor.deleteOnTermination", FK_BOOL },
};

/* {"a": [{"b": <value>}]} for "a[].b", and the path "a[0].b". */
static void
nest(const char *path, const char *value, char *body, size_t bsz,
    char *want, size_t wsz)
{
	char seg[128], rest[4096];
	const char *dot = strchr(path, '.');
	size_t n = dot ? (size_t)(dot - path) : strlen(path), wn;
	bool list = n > 2 && path[n - 2] == '[' && path[n - 1] == ']';

	ck_assert_uint_lt(n, sizeof(seg));
	memcpy(seg, path, n);
	seg[n] = '\0';
	if (list)
		seg[n - 2] = '\0';
	wn = strlen(want);
	snprintf(want + wn, wsz - wn, "%s%s%s", wn ? "." : "", seg,
	    list ? "[0]" : "");
	if (dot == NULL)
		snprintf(rest, sizeof(rest), "%s", value);
	else
		nest(dot + 1, value, rest, sizeof(rest), want, wsz);
	snprintf(body, bsz, list ? "{\"%s\": [%s]}" : "{\"%s\": %s}", seg,
	    rest);
}

START_TEST(test_wrong_type)
{
	const char *const *vals = wrong[fields[_i].kind];
	struct bpg_submit_req r;
	struct bpg_errinfo ei;
	char body[4096], want[512], sub[600];
	enum bpg_err e;
	int f, k;

	for (k = 0; k < 8 && vals[k] != NULL; k++) {
		want[0] = '\0';
		nest(fields[_i].path, vals[k], body, sizeof(body), want,
		    sizeof(want));
		snprintf(sub, sizeof(sub), "cannot bind %s", want);
		for (f = 0; f < 2; f++) {
			e = bpg_req_parse(body, strlen(body),
			    f ? BPG_REQ_YAML : BPG_REQ_JSON, &r, &ei);
			ck_assert_msg(e == BPG_EINVAL, "%s = %s (%s): %d %s",
			    fields[_i].path, vals[k], f ? "yaml" : "json", e,
			    ei.msg);
			ck_assert_msg(strstr(ei.msg, sub) != NULL &&
			    strncmp(ei.msg, f ? "Invalid YAML request: " :
			    "Invalid JSON request: ", 22) == 0,
			    "%s = %s (%s): \"%s\" lacks \"%s\"",
			    fields[_i].path, vals[k], f ? "yaml" : "json",
			    ei.msg, sub);
			assert_clean_msg(ei.msg, fields[_i].path);
			bpg_req_reset(&r);
		}
	}
}
END_TEST

/* The same bodies with a good value bind: the table's paths are real. */
START_TEST(test_field_paths_known)
{
	static const char *const good[FK__MAX] = {
		[FK_STR] = "\"s\"", [FK_INT] = "\"7\"", [FK_BOOL] = "true",
		[FK_NUM] = "1.5", [FK_STRLIST] = "[\"a\"]",
		[FK_STRMAP] = "{\"k\": \"v\"}", [FK_OBJ] = "{}",
		[FK_OBJLIST] = "[{}]",
	};
	struct bpg_submit_req r;
	char body[4096], want[512], *d;
	const char *leaf;

	want[0] = '\0';
	nest(fields[_i].path, good[fields[_i].kind], body, sizeof(body), want,
	    sizeof(want));
	parse_ok(body, strlen(body), BPG_REQ_JSON, &r, fields[_i].path);
	/* The field survives into the stored copy (env aside). */
	d = stored(&r);
	leaf = strrchr(fields[_i].path, '.');
	leaf = leaf ? leaf + 1 : fields[_i].path;
	if (strstr(fields[_i].path, ".env") == NULL) {
		char key[128];

		snprintf(key, sizeof(key), "\"%.*s\":",
		    (int)strcspn(leaf, "["), leaf);
		ck_assert_msg(strstr(d, key) != NULL, "%s: %s not in %s",
		    fields[_i].path, key, d);
	}
	free(d);
	bpg_req_reset(&r);
}
END_TEST

/*
 * A control character (or DEL, or a UTF-8 letter, which passes) at every
 * place in strings of 1..40 bytes: the text check looks at eight bytes at
 * a time and must see it wherever it falls.
 */
START_TEST(test_text_windows)
{
	static const struct {
		const char *esc;	/* as written in the JSON */
		const char *want;	/* NULL: bound */
	} odd[] = {
		{ "\\u0001", "control character U+0001" },
		{ "\\u001f", "control character U+001F" },
		{ "\\u007f", "control character U+007F" },
		{ "\\t", NULL },
		{ "\xc3\xa9", NULL },
	};
	char body[160], name[64];
	struct bpg_submit_req r;
	struct bpg_errinfo ei;
	size_t n, at, k;
	enum bpg_err e;
	int len;

	for (n = 1; n <= 40; n++)
		for (at = 0; at < n; at++)
			for (k = 0; k < sizeof(odd) / sizeof(odd[0]); k++) {
				len = snprintf(body, sizeof(body),
				    "{\"mainClass\":\"%.*s%s%.*s\"}",
				    (int)at, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnop",
				    odd[k].esc, (int)(n - at - 1),
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOP");
				snprintf(name, sizeof(name), "len %zu at %zu "
				    "odd %zu", n, at, k);
				e = bpg_req_parse(body, (size_t)len,
				    BPG_REQ_JSON, &r, &ei);
				same_as_ref(body, (size_t)len, BPG_REQ_JSON, e,
				    &r, &ei, name);
				if (odd[k].want == NULL)
					ck_assert_msg(e == BPG_OK, "%s: %s",
					    name, ei.msg);
				else
					ck_assert_msg(e == BPG_EINVAL &&
					    strstr(ei.msg, odd[k].want) != NULL,
					    "%s: %s", name, ei.msg);
				bpg_req_reset(&r);
			}
}
END_TEST

/* ---- limits that pass, reset, format -------------------------------- */

START_TEST(test_limits_at_max)
{
	struct bpg_submit_req r;
	size_t cap = BPG_MAX_BODY, n, i;
	char *b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	/* A string of BPG_MAX_STRING bytes. */
	memcpy(b, "{\"applicationName\":\"", 20);
	memset(b + 20, 'x', BPG_MAX_STRING);
	memcpy(b + 20 + BPG_MAX_STRING, "\"}", 3);
	parse_ok(b, strlen(b), BPG_REQ_JSON, &r, "max-string");
	ck_assert_uint_eq(strlen(r.application_name), BPG_MAX_STRING);
	bpg_req_reset(&r);

	/* BPG_MAX_ENTRIES entries. */
	n = (size_t)snprintf(b, cap, "{\"sparkConf\":{");
	for (i = 0; i < BPG_MAX_ENTRIES; i++)
		n += (size_t)snprintf(b + n, cap - n, "%s\"k%zu\":%zu",
		    i ? "," : "", i, i);
	snprintf(b + n, cap - n, "}}");
	parse_ok(b, strlen(b), BPG_REQ_JSON, &r, "max-entries");
	ck_assert_uint_eq(json_object_size(r.spark_conf), BPG_MAX_ENTRIES);
	ck_assert_str_eq(str_of(r.spark_conf, "k4095"), "4095");
	bpg_req_reset(&r);

	/* BPG_MAX_DEPTH levels: the request, driver, and 30 ignored lists. */
	n = (size_t)snprintf(b, cap, "{\"driver\":{\"x\":");
	for (i = 0; i < BPG_MAX_DEPTH - 2; i++)
		b[n++] = '[';
	for (i = 0; i < BPG_MAX_DEPTH - 2; i++)
		b[n++] = ']';
	snprintf(b + n, cap - n, "}}");
	parse_ok(b, strlen(b), BPG_REQ_JSON, &r, "max-depth-json");
	ck_assert(r.driver.present);
	bpg_req_reset(&r);
	n = (size_t)snprintf(b, cap, "driver:\n  x: ");
	for (i = 0; i < BPG_MAX_DEPTH - 2; i++)
		b[n++] = '[';
	for (i = 0; i < BPG_MAX_DEPTH - 2; i++)
		b[n++] = ']';
	snprintf(b + n, cap - n, "\n");
	parse_ok(b, strlen(b), BPG_REQ_YAML, &r, "max-depth-yaml");
	ck_assert(r.driver.present);
	bpg_req_reset(&r);

	/* A body of exactly BPG_MAX_BODY bytes is read. */
	memset(b, ' ', BPG_MAX_BODY);
	memcpy(b, "{\"queue\":\"dev\"}", 15);
	parse_ok(b, BPG_MAX_BODY, BPG_REQ_JSON, &r, "max-body");
	ck_assert_str_eq(r.queue, "dev");
	bpg_req_reset(&r);
	free(b);
}
END_TEST

START_TEST(test_reset)
{
	struct bpg_submit_req r;

	memset(&r, 0, sizeof(r));
	bpg_req_reset(&r);
	bpg_req_reset(&r);
	bpg_req_reset(NULL);
	parse_ok("{\"queue\":\"a\",\"driver\":{\"env\":[]}}", 33, BPG_REQ_JSON,
	    &r, "reset");
	bpg_req_reset(&r);
	ck_assert_ptr_null(r.queue);
	ck_assert_ptr_null(r.driver.env);
	ck_assert(!r.driver.present);
	bpg_req_reset(&r);
}
END_TEST

START_TEST(test_null_args)
{
	struct bpg_submit_req r;

	/* A NULL body is an empty one; a NULL errinfo is allowed. */
	ck_assert_int_eq(bpg_req_parse(NULL, 10, BPG_REQ_JSON, &r, NULL),
	    BPG_EINVAL);
	bpg_req_reset(&r);
	ck_assert_int_eq(bpg_req_parse("{\"x\":1}", 7, BPG_REQ_JSON, &r, NULL),
	    BPG_EINVAL);
	bpg_req_reset(&r);
	ck_assert(!bpg_req_looks_like_path(NULL, 3));
}
END_TEST

START_TEST(test_format_of)
{
	ck_assert_int_eq(bpg_req_format_of(NULL), BPG_REQ_JSON);
	ck_assert_int_eq(bpg_req_format_of(""), BPG_REQ_JSON);
	ck_assert_int_eq(bpg_req_format_of("application/json"), BPG_REQ_JSON);
	ck_assert_int_eq(bpg_req_format_of("text/plain"), BPG_REQ_JSON);
	ck_assert_int_eq(bpg_req_format_of("text/yaml"), BPG_REQ_YAML);
	ck_assert_int_eq(bpg_req_format_of("application/x-yaml"),
	    BPG_REQ_YAML);
	ck_assert_int_eq(bpg_req_format_of("Application/X-YAML; "
	    "charset=utf-8"), BPG_REQ_YAML);
}
END_TEST

/*
 * Error positions are in the client's body, not in the rewritten one
 * (which is 8 bytes longer per number).  jansson itself reports this one
 * just after "memory" (column 32 or 33, by how it counts the look-ahead).
 */
START_TEST(test_error_position)
{
	static const char body[] = "{\"arguments\": [1, 2, 3],\n"
	    "  \"driver\": {\"cores\": 1 \"memory\": \"2g\"}}";
	struct bpg_submit_req r;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_req_parse(body, strlen(body), BPG_REQ_JSON, &r,
	    &ei), BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, "near '\"memory\"' at line 2, column "
	    "32") != NULL || strstr(ei.msg, "near '\"memory\"' at line 2, "
	    "column 33") != NULL, "%s", ei.msg);
	bpg_req_reset(&r);
}
END_TEST

/*
 * Every jansson allocation failing in turn: the parser fails cleanly and
 * leaks nothing (see `make valgrind`); the sanitised copy is NULL.  The
 * answer is ENOMEM, or EINVAL where the reader under us cannot tell: both
 * jansson's lexer and bpg_yaml report a string they could not allocate as
 * bad input.
 */
static long alloc_budget = -1;
static bool alloc_failed;

static void *
failing_malloc(size_t n)
{
	if (alloc_budget == 0) {
		alloc_failed = true;
		return NULL;
	}
	if (alloc_budget > 0)
		alloc_budget--;
	return malloc(n);
}

START_TEST(test_alloc_failures)
{
	static const char *const files[] = { "full.json", "full.yaml" };
	enum bpg_req_format fmt = _i == 0 ? BPG_REQ_JSON : BPG_REQ_YAML;
	struct bpg_submit_req r;
	struct bpg_errinfo ei;
	size_t len;
	char *body = tu_slurp_data("req", files[_i], &len), *d;
	enum bpg_err e;
	json_t *s;
	long n;

	for (n = 0;; n++) {
		alloc_budget = n;
		alloc_failed = false;
		json_set_alloc_funcs(failing_malloc, free);
		e = bpg_req_parse(body, len, fmt, &r, &ei);
		json_set_alloc_funcs(malloc, free);
		if (!alloc_failed) {
			ck_assert_int_eq(e, BPG_OK);
			break;
		}
		ck_assert_msg(e == BPG_ENOMEM || e == BPG_EINVAL,
		    "%s, allocation %ld: %d %s", files[_i], n, e, ei.msg);
		ck_assert_ptr_null(r.queue);
		bpg_req_reset(&r);
	}
	for (n = 0;; n++) {
		alloc_budget = n;
		alloc_failed = false;
		json_set_alloc_funcs(failing_malloc, free);
		s = bpg_req_sanitized(&r);
		json_set_alloc_funcs(malloc, free);
		if (!alloc_failed) {
			ck_assert_ptr_nonnull(s);
			json_decref(s);
			break;
		}
		ck_assert_ptr_null(s);
	}
	d = stored(&r);
	ck_assert_ptr_nonnull(strstr(d, "\"queueToken\":\"***\""));
	free(d);
	bpg_req_reset(&r);
	free(body);
}
END_TEST

/* req_json_stream() on body: BPG_OK when it binds it itself. */
static enum bpg_err
stream(const char *body)
{
	struct bpg_submit_req r;
	struct bpg_errinfo ei = { "" };
	struct binder b = { BPG_REQ_JSON, NULL, &ei, NULL };
	size_t kept = 0;
	enum bpg_err e;

	b.text = &kept;
	memset(&r, 0, sizeof(r));
	e = req_json_stream(body, strlen(body), &b, &r);
	bpg_req_reset(&r);
	return e;
}

/* A value each kind of field takes. */
static const char *
value_of(enum skind k)
{
	switch (k) {
	case S_STR:
		return "\"x\"";
	case S_INT:
		return "1";
	case S_BOOL:
		return "true";
	case S_POD:
		return "{}";
	default:
		return "null";
	}
}

/*
 * The reader binds what it is sure of itself and leaves the rest to the
 * tree binder.  Every field of the request and of each pod is found by
 * its name (the index of bpg_req_stream.c); names that are not fields,
 * a field given twice and a field of the other pod are not.
 */
START_TEST(test_stream_takes)
{
	static const char *const not_taken[] = {
		"{\"nope\":1}",
		"{\"queu\":\"a\"}",
		"{\"queues\":\"a\"}",
		"{\"Queue\":\"a\"}",
		"{\"\":\"a\"}",
		"{\"qu\\u0000eue\":\"a\"}",
		"{\"queue\":\"a\",\"queue\":\"b\"}",
		"{\"driver\":{\"instances\":1}}",
		"{\"executor\":{\"podName\":\"p\"}}",
		"{\"driver\":{\"cores\":1,\"cores\":2}}",
	};
	char body[256];
	size_t i;

	ck_assert_int_eq(stream(sparkpi_stored), BPG_OK);
	for (i = 0; i < req_nfields; i++) {
		snprintf(body, sizeof(body), "{\"%s\":%s}", req_fields[i].name,
		    value_of(req_fields[i].kind));
		ck_assert_msg(stream(body) == BPG_OK, "not taken: %s", body);
	}
	for (i = 0; i < pod_nfields; i++) {
		snprintf(body, sizeof(body), "{\"%s\":{\"%s\":%s}}",
		    (pod_fields[i].who & POD_DRIVER) ? "driver" : "executor",
		    pod_fields[i].name, value_of(pod_fields[i].kind));
		ck_assert_msg(stream(body) == BPG_OK, "not taken: %s", body);
	}
	for (i = 0; i < sizeof(not_taken) / sizeof(not_taken[0]); i++)
		ck_assert_msg(stream(not_taken[i]) == BPG_EINVAL, "taken: %s",
		    not_taken[i]);
}
END_TEST

static Suite *
req_suite(void)
{
	Suite *s = suite_create("req");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sparkpi_json);
	tcase_add_test(tc, test_sparkpi_yaml);
	tcase_add_test(tc, test_sparkpi_stored_matches_spec);
	tcase_add_test(tc, test_sample_scala);
	tcase_add_test(tc, test_idempotency_key);
	tcase_add_loop_test(tc, test_full, 0, 2);
	tcase_add_loop_test(tc, test_coerce, 0, (int)NELEM(coerce));
	tcase_add_test(tc, test_number_text_exact);
	tcase_add_test(tc, test_serde_masking);
	tcase_add_loop_test(tc, test_path_pattern, 0, (int)NELEM(paths));
	tcase_add_test(tc, test_path_message);
	tcase_add_loop_test(tc, test_bad, 0, (int)NELEM(bad));
	tcase_add_loop_test(tc, test_wrong_type, 0, (int)NELEM(fields));
	tcase_add_loop_test(tc, test_field_paths_known, 0, (int)NELEM(fields));
	tcase_add_test(tc, test_text_windows);
	tcase_add_test(tc, test_limits_at_max);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_null_args);
	tcase_add_test(tc, test_format_of);
	tcase_add_test(tc, test_error_position);
	tcase_add_test(tc, test_stream_takes);
	tcase_add_loop_test(tc, test_alloc_failures, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(req_suite());
}
