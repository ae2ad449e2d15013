/*
 * Tests for lib/bpg_monitor*.c and lib/bpg_watch.c: quantities, the
 * SparkApplication and pod readers, the decision table, the watch-event
 * line parser, the streaming client against canned HTTP answers, and the
 * monitor's statements and leader lock (lib/bpg_db_monitor.c,
 * lib/bpg_db_lock.c) against the MariaDB server of tests/run-unit.sh (BPG_TEST_DB_PORT; without it the
 * server tests fail rather than hide a broken module).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <mysql.h>

#include "bpg_db.h"
#include "bpg_db_deps.h"
#include "bpg_db_lease.h"
#include "bpg_db_monbatch.h"
#include "bpg_db_schedules.h"
#include "bpg_monitor.h"
#include "bpg_watch.h"
#include "testutil.h"

/* ---- quantities ---------------------------------------------------- */

enum qkind { CPU, MEM, SPARK };

static const struct {
	enum qkind kind;
	const char *in;
	enum bpg_err err;
	int64_t out;
} quantities[] = {
	/* CPU: Kubernetes quantities, whole cores rounded up. */
	{ CPU, "500m", BPG_OK, 1 },
	{ CPU, "1", BPG_OK, 1 },
	{ CPU, "1.5", BPG_OK, 2 },
	{ CPU, "2", BPG_OK, 2 },
	{ CPU, "100m", BPG_OK, 1 },
	{ CPU, "1000m", BPG_OK, 1 },
	{ CPU, "3000m", BPG_OK, 3 },
	{ CPU, "3001m", BPG_OK, 4 },
	{ CPU, "0", BPG_OK, 0 },
	{ CPU, "0.1", BPG_OK, 1 },
	{ CPU, ".5", BPG_OK, 1 },
	{ CPU, "+2", BPG_OK, 2 },
	{ CPU, "2k", BPG_OK, 2000 },
	{ CPU, "1e3", BPG_OK, 1000 },
	{ CPU, "1E3", BPG_OK, 1000 },
	{ CPU, "10e-1", BPG_OK, 1 },
	{ CPU, "250000u", BPG_OK, 1 },
	{ CPU, "1000000000n", BPG_OK, 1 },
	{ CPU, "512m", BPG_OK, 1 },
	{ CPU, "1.000000000000000000000", BPG_OK, 1 },
	{ CPU, "32767", BPG_OK, 32767 },
	{ CPU, "32768", BPG_ETOOBIG, 0 },
	{ CPU, "1E", BPG_ETOOBIG, 0 },
	{ CPU, "100000000000000000000", BPG_ETOOBIG, 0 },
	{ CPU, "", BPG_EINVAL, 0 },
	{ CPU, "-1", BPG_EINVAL, 0 },
	{ CPU, "1.2.3", BPG_EINVAL, 0 },
	{ CPU, "abc", BPG_EINVAL, 0 },
	{ CPU, "1 ", BPG_EINVAL, 0 },
	{ CPU, " 1", BPG_EINVAL, 0 },
	{ CPU, "1kb", BPG_EINVAL, 0 },
	{ CPU, "1e", BPG_EINVAL, 0 },
	{ CPU, "1e+", BPG_EINVAL, 0 },
	{ CPU, "1Ex", BPG_EINVAL, 0 },
	{ CPU, "1e99999", BPG_EINVAL, 0 },
	{ CPU, "1e-40", BPG_EINVAL, 0 },
	{ CPU, ".", BPG_EINVAL, 0 },
	{ CPU, "m", BPG_EINVAL, 0 },
	{ CPU, "2g", BPG_EINVAL, 0 },
	{ CPU, "1Ki2", BPG_EINVAL, 0 },
	{ CPU, "1234567890123456789", BPG_EINVAL, 0 },
	/* Memory: Kubernetes quantities in bytes, MiB rounded up. */
	{ MEM, "2Gi", BPG_OK, 2048 },
	{ MEM, "2048Mi", BPG_OK, 2048 },
	{ MEM, "2432Mi", BPG_OK, 2432 },
	{ MEM, "1.5Gi", BPG_OK, 1536 },
	{ MEM, "1G", BPG_OK, 954 },
	{ MEM, "1e9", BPG_OK, 954 },
	{ MEM, "1048576", BPG_OK, 1 },
	{ MEM, "1048577", BPG_OK, 2 },
	{ MEM, "1Ki", BPG_OK, 1 },
	{ MEM, "512m", BPG_OK, 1 },	/* 0.512 bytes */
	{ MEM, "0", BPG_OK, 0 },
	{ MEM, "2047Gi", BPG_OK, 2096128 },
	{ MEM, "1Ei", BPG_ETOOBIG, 0 },
	{ MEM, "1Pi", BPG_OK, 1073741824 },
	{ MEM, "1E-3", BPG_OK, 1 },
	{ MEM, "2g", BPG_EINVAL, 0 },
	{ MEM, "2GB", BPG_EINVAL, 0 },
	{ MEM, "Gi", BPG_EINVAL, 0 },
	/* Spark sizes: 1024-based, no unit is MiB. */
	{ SPARK, "2g", BPG_OK, 2048 },
	{ SPARK, "512m", BPG_OK, 512 },
	{ SPARK, "1024", BPG_OK, 1024 },
	{ SPARK, "1.5g", BPG_OK, 1536 },
	{ SPARK, "2G", BPG_OK, 2048 },
	{ SPARK, "2gb", BPG_OK, 2048 },
	{ SPARK, "2GB", BPG_OK, 2048 },
	{ SPARK, "1t", BPG_OK, 1048576 },
	{ SPARK, "1024k", BPG_OK, 1 },
	{ SPARK, "1k", BPG_OK, 1 },
	{ SPARK, "100b", BPG_OK, 1 },
	{ SPARK, " 2g ", BPG_OK, 2048 },
	{ SPARK, "0", BPG_OK, 0 },
	{ SPARK, "2048p", BPG_ETOOBIG, 0 },
	{ SPARK, "2Gi", BPG_EINVAL, 0 },
	{ SPARK, "2x", BPG_EINVAL, 0 },
	{ SPARK, "", BPG_EINVAL, 0 },
	{ SPARK, "   ", BPG_EINVAL, 0 },
	{ SPARK, "g", BPG_EINVAL, 0 },
	{ SPARK, "-1g", BPG_EINVAL, 0 },
	{ SPARK, "2 g", BPG_EINVAL, 0 },
	{ SPARK, "1e3m", BPG_EINVAL, 0 },
};

START_TEST(test_quantity)
{
	static const char *const kinds[] = { "cpu", "memory", "spark" };
	struct bpg_errinfo ei = { "" };
	int64_t out = -2;
	enum bpg_err e;

	switch (quantities[_i].kind) {
	case CPU:
		e = bpg_monitor_cpu_cores(quantities[_i].in, &out, &ei);
		break;
	case MEM:
		e = bpg_monitor_mem_mb(quantities[_i].in, &out, &ei);
		break;
	default:
		e = bpg_monitor_spark_mb(quantities[_i].in, &out, &ei);
		break;
	}
	ck_assert_msg(e == quantities[_i].err, "row %d (%s \"%s\"): %s, "
	    "want %s (%s)", _i, kinds[quantities[_i].kind], quantities[_i].in,
	    bpg_strerror(e), bpg_strerror(quantities[_i].err), ei.msg);
	if (e == BPG_OK)
		ck_assert_msg(out == quantities[_i].out, "row %d (%s): %lld, "
		    "want %lld", _i, quantities[_i].in, (long long)out,
		    (long long)quantities[_i].out);
	else
		/* A message, which does not quote the input. */
		ck_assert_msg(ei.msg[0] != '\0' &&
		    (strlen(quantities[_i].in) < 3 ||
		    strstr(ei.msg, quantities[_i].in) == NULL),
		    "row %d: message \"%s\"", _i, ei.msg);
}
END_TEST

/* The exact value, not a rounded double. */
START_TEST(test_quantity_exact)
{
	struct bpg_quantity q;
	struct bpg_errinfo ei;
	int64_t v;

	ck_assert_int_eq(bpg_monitor_quantity_parse("1.25Ki", 6, &q, &ei),
	    BPG_OK);
	ck_assert_uint_eq(q.mant, 125);
	ck_assert_int_eq(q.exp10, -2);
	ck_assert_int_eq(q.exp2, 10);
	ck_assert_int_eq(bpg_monitor_quantity_ceil(&q, 0, 100000, &v, &ei),
	    BPG_OK);
	ck_assert_int_eq(v, 1280);
	/* The length is the caller's: "2Gi" read as "2G". */
	ck_assert_int_eq(bpg_monitor_quantity_parse("2Gi", 2, &q, &ei),
	    BPG_OK);
	ck_assert_int_eq(q.exp10, 9);
	ck_assert_int_eq(bpg_monitor_quantity_parse("1\0", 2, &q, &ei),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_monitor_spark_size_parse("3m", 2, &q, &ei),
	    BPG_OK);
	ck_assert_int_eq(bpg_monitor_quantity_ceil(&q, 20, 10, &v, &ei),
	    BPG_OK);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(bpg_monitor_quantity_ceil(&q, 20, 2, &v, &ei),
	    BPG_ETOOBIG);
}
END_TEST

/* ---- SparkApplications and pods ------------------------------------ */

static const char full_app[] =
    "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\","
    "\"kind\":\"SparkApplication\",\"metadata\":{"
    "\"name\":\"c01-0123456789abcdef0123456789abcdef\","
    "\"namespace\":\"spark-applications\",\"uid\":\"u-1\","
    "\"creationTimestamp\":\"2020-11-25T21:48:56Z\","
    "\"labels\":{\"maxRunningMillis\":\"3000\",\"queue\":\"root.dev\"}},"
    "\"spec\":{\"sparkConf\":{\"spark.app.name\":\"SparkPi\"},"
    "\"driver\":{\"cores\":1,\"coreRequest\":\"500m\",\"memory\":\"2g\","
    "\"labels\":{\"dag_name\":\"dag1\",\"task_name\":\"task1\"}},"
    "\"executor\":{\"instances\":3,\"cores\":2,\"memory\":\"4g\"}},"
    "\"status\":{\"applicationState\":{\"state\":\"RUNNING\"},"
    "\"sparkApplicationId\":\"spark-abc\","
    "\"terminationTime\":\"2020-11-25T21:50:00.500Z\","
    "\"driverInfo\":{\"podName\":\"custom-driver-pod\"}}}";

START_TEST(test_app_full)
{
	struct bpg_monitor_app app;
	struct bpg_errinfo ei = { "" };
	json_t *o = json_loads(full_app, 0, NULL);

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(bpg_monitor_app_parse(o, &app, &ei), BPG_OK);
	ck_assert_str_eq(app.name, "c01-0123456789abcdef0123456789abcdef");
	ck_assert_str_eq(app.ns, "spark-applications");
	ck_assert_str_eq(app.uid, "u-1");
	ck_assert_int_eq(app.created_ms, 1606340936000LL);
	ck_assert(app.has_state);
	ck_assert_str_eq(app.state, "RUNNING");
	ck_assert(app.has_app_id);
	ck_assert_str_eq(app.app_id, "spark-abc");
	ck_assert_int_eq(app.terminated_ms, 1606341000500LL);
	ck_assert(app.has_driver_pod);
	ck_assert_str_eq(app.driver_pod, "custom-driver-pod");
	ck_assert_int_eq(app.max_running_ms, 3000);
	ck_assert_str_eq(app.queue, "root.dev");
	ck_assert_str_eq(app.dag_name, "dag1");
	ck_assert_str_eq(app.task_name, "task1");
	ck_assert_str_eq(app.app_name, "SparkPi");
	ck_assert_int_eq(app.driver_cores, 1);	/* coreRequest, rounded up */
	ck_assert_int_eq(app.driver_memory_mb, 2048);
	ck_assert_int_eq(app.executor_instances, 3);
	ck_assert_int_eq(app.executor_cores, 2);
	ck_assert_int_eq(app.executor_memory_mb, 4096);
	ck_assert_str_eq(app.bad, "");
	json_decref(o);
}
END_TEST

/* A CR as created, before the operator has written any status. */
START_TEST(test_app_minimal)
{
	struct bpg_monitor_app app;
	struct bpg_errinfo ei = { "" };
	json_t *o = json_pack("{s:{s:s}}", "metadata", "name", "a-b.c");

	ck_assert_int_eq(bpg_monitor_app_parse(o, &app, &ei), BPG_OK);
	ck_assert(!app.has_state && !app.has_app_id && !app.has_driver_pod);
	ck_assert_int_eq(app.created_ms, -1);
	ck_assert_int_eq(app.terminated_ms, -1);
	ck_assert_int_eq(app.executor_instances, -1);
	ck_assert_int_eq(app.max_running_ms,
	    BPG_MONITOR_DEFAULT_MAX_RUNNING_MS);
	ck_assert_str_eq(app.bad, "");
	json_decref(o);
	/* An empty state is no state; null fields are absent. */
	o = json_loads("{\"metadata\":{\"name\":\"x\",\"namespace\":null},"
	    "\"status\":{\"applicationState\":{\"state\":\"\"},"
	    "\"terminationTime\":null}}", 0, NULL);
	ck_assert_int_eq(bpg_monitor_app_parse(o, &app, &ei), BPG_OK);
	ck_assert(!app.has_state);
	ck_assert_str_eq(app.bad, "");
	json_decref(o);
}
END_TEST

/* Objects that cannot be identified. */
static const char *const bad_apps[] = {
	"[]",
	"{}",
	"{\"metadata\":[]}",
	"{\"metadata\":{}}",
	"{\"metadata\":{\"name\":42}}",
	"{\"metadata\":{\"name\":\"\"}}",
	"{\"metadata\":{\"name\":\"Upper\"}}",
	"{\"metadata\":{\"name\":\"-dash\"}}",
	"{\"metadata\":{\"name\":\"under_score\"}}",
	"{\"metadata\":{\"name\":\"a\\u0000b\"}}",
	"{\"metadata\":{\"name\":\"a b\"}}",
};

START_TEST(test_app_bad)
{
	struct bpg_monitor_app app;
	struct bpg_errinfo ei = { "" };
	json_t *o = json_loads(bad_apps[_i], JSON_ALLOW_NUL, NULL);

	ck_assert_msg(o != NULL, "row %d: not JSON", _i);
	ck_assert_msg(bpg_monitor_app_parse(o, &app, &ei) == BPG_EINVAL,
	    "row %d (%s) accepted", _i, bad_apps[_i]);
	json_decref(o);
}
END_TEST

START_TEST(test_app_long_name)
{
	struct bpg_monitor_app app;
	struct bpg_errinfo ei;
	char name[300];
	json_t *o;

	memset(name, 'a', 253);
	name[253] = '\0';
	o = json_pack("{s:{s:s}}", "metadata", "name", name);
	ck_assert_int_eq(bpg_monitor_app_parse(o, &app, &ei), BPG_OK);
	json_decref(o);
	name[253] = 'a';
	name[254] = '\0';
	o = json_pack("{s:{s:s}}", "metadata", "name", name);
	ck_assert_int_eq(bpg_monitor_app_parse(o, &app, &ei), BPG_EINVAL);
	json_decref(o);
}
END_TEST

/* Fields of the wrong type or shape: absent, and named. */
static const struct {
	const char *json;	/* the object after "metadata" */
	const char *field;
} bad_fields[] = {
	{ "\"status\":[]", "status" },
	{ "\"status\":{\"applicationState\":{\"state\":42}}",
	  "status.applicationState.state" },
	{ "\"status\":{\"applicationState\":{\"state\":\"RUN NING\"}}",
	  "status.applicationState.state" },
	{ "\"status\":{\"applicationState\":\"RUNNING\"}",
	  "status.applicationState" },
	{ "\"status\":{\"sparkApplicationId\":\"a b\"}",
	  "status.sparkApplicationId" },
	{ "\"status\":{\"sparkApplicationId\":{}}",
	  "status.sparkApplicationId" },
	{ "\"status\":{\"terminationTime\":\"yesterday\"}",
	  "status.terminationTime" },
	{ "\"status\":{\"terminationTime\":\"2020-11-25\"}",
	  "status.terminationTime" },
	{ "\"status\":{\"driverInfo\":{\"podName\":\"Bad_Pod\"}}",
	  "status.driverInfo.podName" },
	{ "\"spec\":{\"executor\":{\"instances\":99999}}",
	  "spec.executor.instances" },
	{ "\"spec\":{\"executor\":{\"instances\":\"2\"}}",
	  "spec.executor.instances" },
	{ "\"spec\":{\"executor\":{\"cores\":0}}", "spec.executor.cores" },
	{ "\"spec\":{\"executor\":{\"memory\":\"2Gi\"}}",
	  "spec.executor.memory" },
	{ "\"spec\":{\"driver\":{\"coreRequest\":\"lots\",\"cores\":1}}",
	  "spec.driver.coreRequest" },
	{ "\"spec\":{\"driver\":{\"labels\":{\"dag_name\":\"a\\nb\"}}}",
	  "spec.driver.labels.dag_name" },
	{ "\"spec\":{\"sparkConf\":{\"spark.app.name\":7}}",
	  "spec.sparkConf.spark.app.name" },
	{ "\"metadata\":{\"name\":\"x\",\"labels\":{\"queue\":\"root.a b\"}}",
	  "metadata.labels.queue" },
	{ "\"metadata\":{\"name\":\"x\",\"labels\":{\"queue\":7}}",
	  "metadata.labels.queue" },
	{ "\"spec\":[]", "spec" },
};

START_TEST(test_app_bad_fields)
{
	struct bpg_monitor_app app;
	struct bpg_errinfo ei = { "" };
	char text[1024];
	json_t *o;

	snprintf(text, sizeof(text), "{\"metadata\":{\"name\":\"x\"},%s}",
	    bad_fields[_i].json);
	o = json_loads(text, 0, NULL);
	ck_assert_msg(o != NULL, "row %d: not JSON", _i);
	ck_assert_int_eq(bpg_monitor_app_parse(o, &app, &ei), BPG_OK);
	ck_assert_msg(strstr(app.bad, bad_fields[_i].field) != NULL,
	    "row %d: bad \"%s\" lacks %s", _i, app.bad, bad_fields[_i].field);
	ck_assert(!app.has_state && !app.has_app_id && !app.has_driver_pod);
	ck_assert_int_eq(app.terminated_ms, -1);
	json_decref(o);
}
END_TEST

/*
 * RunningApplicationMonitorTest.getMaxRunningMillis: label 123456789
 * gives 123456789 (first row); no labels gives 43200000
 * (test_app_minimal).
 */
static const struct {
	const char *label;
	int64_t want;
} max_running[] = {
	{ "123456789", 123456789 },
	{ "60000", 60000 },
	{ "3000", 3000 },
	{ "abc", BPG_MONITOR_DEFAULT_MAX_RUNNING_MS },
	{ "-5", BPG_MONITOR_DEFAULT_MAX_RUNNING_MS },
	{ "0", BPG_MONITOR_DEFAULT_MAX_RUNNING_MS },
	{ "", BPG_MONITOR_DEFAULT_MAX_RUNNING_MS },
	{ "1234567890123456789", BPG_MONITOR_DEFAULT_MAX_RUNNING_MS },
};

START_TEST(test_app_max_running)
{
	struct bpg_monitor_app app;
	struct bpg_errinfo ei;
	json_t *o = json_pack("{s:{s:s, s:{s:s}}}", "metadata", "name", "x",
	    "labels", "maxRunningMillis", max_running[_i].label);

	ck_assert_int_eq(bpg_monitor_app_parse(o, &app, &ei), BPG_OK);
	ck_assert_msg(app.max_running_ms == max_running[_i].want, "row %d: "
	    "%lld", _i, (long long)app.max_running_ms);
	json_decref(o);
}
END_TEST

START_TEST(test_pod)
{
	struct bpg_monitor_pod pod;
	struct bpg_errinfo ei;
	json_t *o;

	o = json_loads("{\"spec\":{\"containers\":[{\"name\":\"sidecar\","
	    "\"resources\":{\"requests\":{\"cpu\":\"4\",\"memory\":\"8Gi\"}}},"
	    "{\"name\":\"spark-kubernetes-driver\",\"resources\":{\"requests\":"
	    "{\"cpu\":\"500m\",\"memory\":\"2432Mi\"}}}]},\"status\":{"
	    "\"startTime\":\"2020-11-25T21:48:56Z\"}}", 0, NULL);
	ck_assert_int_eq(bpg_monitor_pod_parse(o, &pod, &ei), BPG_OK);
	ck_assert_int_eq(pod.start_ms, 1606340936000LL);
	ck_assert_int_eq(pod.cores, 1);
	ck_assert_int_eq(pod.memory_mb, 2432);
	ck_assert_str_eq(pod.bad, "");
	json_decref(o);

	/* No driver container by name: the first one, as BPG. */
	o = json_loads("{\"spec\":{\"containers\":[{\"resources\":{"
	    "\"requests\":{\"cpu\":\"2\",\"memory\":\"2Gi\"}}}]}}", 0, NULL);
	ck_assert_int_eq(bpg_monitor_pod_parse(o, &pod, &ei), BPG_OK);
	ck_assert_int_eq(pod.start_ms, -1);
	ck_assert_int_eq(pod.cores, 2);
	ck_assert_int_eq(pod.memory_mb, 2048);
	json_decref(o);

	o = json_loads("{\"spec\":{\"containers\":{}},\"status\":{"
	    "\"startTime\":5}}", 0, NULL);
	ck_assert_int_eq(bpg_monitor_pod_parse(o, &pod, &ei), BPG_OK);
	ck_assert_int_eq(pod.start_ms, -1);
	ck_assert_int_eq(pod.cores, -1);
	ck_assert_ptr_nonnull(strstr(pod.bad, "spec.containers"));
	ck_assert_ptr_nonnull(strstr(pod.bad, "status.startTime"));
	json_decref(o);

	o = json_loads("{\"spec\":{\"containers\":[{\"resources\":{"
	    "\"requests\":{\"cpu\":\"-1\",\"memory\":\"2g\"}}}]}}", 0, NULL);
	ck_assert_int_eq(bpg_monitor_pod_parse(o, &pod, &ei), BPG_OK);
	ck_assert_int_eq(pod.cores, -1);
	ck_assert_int_eq(pod.memory_mb, -1);
	ck_assert_ptr_nonnull(strstr(pod.bad, "resources.requests.cpu"));
	ck_assert_ptr_nonnull(strstr(pod.bad, "resources.requests.memory"));
	json_decref(o);

	o = json_string("pod");
	ck_assert_int_eq(bpg_monitor_pod_parse(o, &pod, &ei), BPG_EINVAL);
	json_decref(o);
}
END_TEST

/* ---- decisions ----------------------------------------------------- */

static const struct {
	const char *state;
	bool terminal;
} terminals[] = {
	{ "COMPLETED", true }, { "completed", true }, { "FAILED", true },
	{ "SUBMISSION_FAILED", true }, { "FAILED_SUBMISSION", true },
	{ "Failed_Submission", true }, { "LOST", true },
	{ "RUNNING", false }, { "SUBMITTED", false }, { "SUCCEEDING", false },
	{ "FAILING", false }, { "PENDING_RERUN", false },
	{ "INVALIDATING", false }, { "UNKNOWN", false }, { "", false },
	{ NULL, false },
};

START_TEST(test_terminal)
{
	ck_assert_msg(bpg_monitor_terminal(terminals[_i].state) ==
	    terminals[_i].terminal, "row %d (%s)", _i,
	    terminals[_i].state ? terminals[_i].state : "NULL");
}
END_TEST

#define ST BPG_MONITOR_DO_STATE
#define SR BPG_MONITOR_DO_START
#define FI BPG_MONITOR_DO_FINISH
#define LO BPG_MONITOR_DO_LOST
#define CO BPG_MONITOR_DO_COST
#define TR BPG_MONITOR_DO_TRACK
#define FG BPG_MONITOR_DO_FORGET

/* Known row: found, status (NULL none), app id, started, finished,
 * checked. */
struct krow {
	bool found;
	const char *status;
	const char *app_id;
	bool started, finished, checked;
};

static const struct {
	const char *name;
	struct krow k;
	const char *state;	/* NULL: none */
	const char *app_id;
	enum bpg_monitor_event ev;
	unsigned int want;
} decisions[] = {
	{ "new CR, no state", { false, NULL, NULL, false, false, false },
	  NULL, NULL, BPG_MONITOR_EV_ADDED, FG },
	{ "gateway row, SUBMITTED", { true, NULL, NULL, false, false, false },
	  "SUBMITTED", "spark-1", BPG_MONITOR_EV_MODIFIED, ST | FG },
	{ "foreign CR, SUBMITTED", { false, NULL, NULL, false, false, false },
	  "SUBMITTED", NULL, BPG_MONITOR_EV_ADDED, ST | FG },
	{ "same state again", { true, "SUBMITTED", "spark-1", false, false,
	  false }, "SUBMITTED", "spark-1", BPG_MONITOR_EV_MODIFIED, FG },
	{ "same state, resync", { true, "SUBMITTED", "spark-1", false, false,
	  false }, "SUBMITTED", "spark-1", BPG_MONITOR_EV_LIST, FG },
	{ "new app id", { true, "SUBMITTED", NULL, false, false, false },
	  "SUBMITTED", "spark-1", BPG_MONITOR_EV_MODIFIED, ST | FG },
	{ "RUNNING", { true, "SUBMITTED", "spark-1", false, false, false },
	  "RUNNING", "spark-1", BPG_MONITOR_EV_MODIFIED, ST | SR | TR },
	{ "RUNNING again", { true, "RUNNING", "spark-1", true, false, false },
	  "RUNNING", "spark-1", BPG_MONITOR_EV_MODIFIED, TR },
	{ "RUNNING, pod without start", { true, "RUNNING", "spark-1", false,
	  false, true }, "RUNNING", "spark-1", BPG_MONITOR_EV_LIST, TR },
	{ "lower-case running", { true, "RUNNING", "spark-1", true, false,
	  false }, "running", "spark-1", BPG_MONITOR_EV_MODIFIED, ST | TR },
	{ "SUCCEEDING", { true, "RUNNING", "spark-1", true, false, false },
	  "SUCCEEDING", "spark-1", BPG_MONITOR_EV_MODIFIED, ST | FG },
	{ "COMPLETED", { true, "SUCCEEDING", "spark-1", true, false, false },
	  "COMPLETED", "spark-1", BPG_MONITOR_EV_MODIFIED, ST | FI | FG },
	{ "COMPLETED again", { true, "COMPLETED", "spark-1", true, true,
	  false }, "COMPLETED", "spark-1", BPG_MONITOR_EV_LIST, FG },
	{ "RUNNING after COMPLETED", { true, "COMPLETED", "spark-1", true,
	  true, false }, "RUNNING", "spark-1", BPG_MONITOR_EV_MODIFIED, TR },
	{ "FAILED", { true, "RUNNING", "spark-1", true, false, false },
	  "FAILED", "spark-1", BPG_MONITOR_EV_MODIFIED, ST | FI | FG },
	{ "SUBMISSION_FAILED (quirk 14)", { true, NULL, NULL, false, false,
	  false }, "SUBMISSION_FAILED", NULL, BPG_MONITOR_EV_MODIFIED,
	  ST | FI | FG },
	{ "FAILED_SUBMISSION", { true, NULL, NULL, false, false, false },
	  "FAILED_SUBMISSION", NULL, BPG_MONITOR_EV_MODIFIED, ST | FI | FG },
	{ "completed while away (quirk 16)", { true, NULL, NULL, false, false,
	  false }, "COMPLETED", "spark-1", BPG_MONITOR_EV_LIST,
	  ST | SR | FI | FG },
	{ "failed before running", { true, "SUBMITTED", "spark-1", false,
	  false, true }, "FAILED", "spark-1", BPG_MONITOR_EV_MODIFIED,
	  ST | FI | FG },
	{ "start after finish", { true, "COMPLETED", "spark-1", false, true,
	  false }, "COMPLETED", "spark-1", BPG_MONITOR_EV_LIST, SR | CO | FG },
	{ "app id for a finished row", { true, "SUBMISSION_FAILED", NULL,
	  false, true, true }, "SUBMISSION_FAILED", "spark-9",
	  BPG_MONITOR_EV_LIST, ST | FG },
	{ "deleted while RUNNING", { true, "RUNNING", "spark-1", true, false,
	  false }, "RUNNING", "spark-1", BPG_MONITOR_EV_DELETED, LO | FG },
	{ "deleted, COMPLETED unseen", { true, "RUNNING", "spark-1", true,
	  false, false }, "COMPLETED", "spark-1", BPG_MONITOR_EV_DELETED,
	  ST | FI | FG },
	{ "deleted without state", { true, NULL, NULL, false, false, false },
	  NULL, NULL, BPG_MONITOR_EV_DELETED, LO | FG },
	{ "deleted, unknown row", { false, NULL, NULL, false, false, false },
	  NULL, NULL, BPG_MONITOR_EV_DELETED, LO | FG },
	{ "deleted after finish", { true, "COMPLETED", "spark-1", true, true,
	  false }, "COMPLETED", "spark-1", BPG_MONITOR_EV_DELETED, FG },
	{ "UNKNOWN state", { true, "RUNNING", "spark-1", true, false, false },
	  "UNKNOWN", "spark-1", BPG_MONITOR_EV_MODIFIED, ST | FG },
};

static void
fill(const struct krow *r, struct bpg_monitor_known *k)
{
	memset(k, 0, sizeof(*k));
	k->found = r->found;
	if (r->status != NULL) {
		k->has_status = true;
		snprintf(k->status, sizeof(k->status), "%s", r->status);
	}
	if (r->app_id != NULL) {
		k->has_app_id = true;
		snprintf(k->app_id, sizeof(k->app_id), "%s", r->app_id);
	}
	k->started = r->started;
	k->finished = r->finished;
	k->start_checked = r->checked;
}

static void
app_with(struct bpg_monitor_app *app, const char *state, const char *app_id)
{
	memset(app, 0, sizeof(*app));
	snprintf(app->name, sizeof(app->name), "x");
	if (state != NULL) {
		app->has_state = true;
		snprintf(app->state, sizeof(app->state), "%s", state);
	}
	if (app_id != NULL) {
		app->has_app_id = true;
		snprintf(app->app_id, sizeof(app->app_id), "%s", app_id);
	}
}

START_TEST(test_decide)
{
	struct bpg_monitor_known k;
	struct bpg_monitor_app app;
	unsigned int got;

	fill(&decisions[_i].k, &k);
	app_with(&app, decisions[_i].state, decisions[_i].app_id);
	got = bpg_monitor_decide(&k, &app, decisions[_i].ev);
	ck_assert_msg(got == decisions[_i].want, "row %d (%s): 0x%02x, want "
	    "0x%02x", _i, decisions[_i].name, got, decisions[_i].want);
}
END_TEST

/* The state machine: a life, then a replay, which does nothing. */
START_TEST(test_known_apply)
{
	static const char *const life[] = { "SUBMITTED", "RUNNING",
		"SUCCEEDING", "COMPLETED" };
	struct bpg_monitor_known k;
	struct bpg_monitor_app app;
	unsigned int a;
	size_t i;

	memset(&k, 0, sizeof(k));
	k.found = true;		/* the gateway's row */
	for (i = 0; i < 4; i++) {
		app_with(&app, life[i], "spark-1");
		a = bpg_monitor_decide(&k, &app, BPG_MONITOR_EV_MODIFIED);
		ck_assert_msg((a & ST) != 0, "%s: no state write", life[i]);
		bpg_monitor_known_apply(&k, &app, a);
		ck_assert_str_eq(k.status, life[i]);
	}
	ck_assert(k.started && k.finished && k.has_app_id);
	for (i = 0; i < 4; i++) {
		app_with(&app, life[i], "spark-1");
		a = bpg_monitor_decide(&k, &app, BPG_MONITOR_EV_LIST);
		ck_assert_msg((a & (ST | SR | FI | LO | CO)) == 0, "replay of "
		    "%s: 0x%02x", life[i], a);
	}
	/* Deleted unseen: LOST, final. */
	memset(&k, 0, sizeof(k));
	app_with(&app, "RUNNING", NULL);
	a = bpg_monitor_decide(&k, &app, BPG_MONITOR_EV_DELETED);
	bpg_monitor_known_apply(&k, &app, a);
	ck_assert(k.finished);
	ck_assert_str_eq(k.status, "LOST");
	/* A failed write changes nothing. */
	memset(&k, 0, sizeof(k));
	app_with(&app, "COMPLETED", NULL);
	bpg_monitor_known_apply(&k, &app, 0);
	ck_assert(!k.found && !k.finished && !k.has_status);
}
END_TEST

/* ---- watch event lines --------------------------------------------- */

static const struct {
	const char *line;
	enum bpg_err err;
	enum bpg_watch_type type;
	const char *rv;
	long code;
} lines[] = {
	{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":"
	  "\"12\"}}}", BPG_OK, BPG_WATCH_ADDED, "12", 0 },
	{ "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{"
	  "\"resourceVersion\":\"13\",\"name\":\"a\"}}}\r", BPG_OK,
	  BPG_WATCH_MODIFIED, "13", 0 },
	{ "{\"object\":{\"metadata\":{\"resourceVersion\":\"x:14\"}},"
	  "\"type\":\"DELETED\"}", BPG_OK, BPG_WATCH_DELETED, "x:14", 0 },
	{ "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"SparkApplication\","
	  "\"metadata\":{\"resourceVersion\":\"15\"}}}", BPG_OK,
	  BPG_WATCH_BOOKMARK, "15", 0 },
	{ "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
	  "\"reason\":\"Expired\",\"message\":\"too old\"}}", BPG_OK,
	  BPG_WATCH_ERROR, "", 410 },
	{ "{\"type\":\"ERROR\",\"object\":{}}", BPG_OK, BPG_WATCH_ERROR, "",
	  0 },
	{ "", BPG_EINVAL, 0, NULL, 0 },
	{ "this is not JSON {", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":",
	  BPG_EINVAL, 0, NULL, 0 },
	{ "[]", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"ADDED\"}", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"ADDED\",\"object\":[]}", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"UPSERT\",\"object\":{}}", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":7,\"object\":{}}", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"ADDED\",\"object\":{}}", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":"
	  "12}}}", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":"
	  "\"1 2\"}}}", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":"
	  "\"\"}}}", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":"
	  "\"12345678901234567890123456789012345678901234567890123456789012345"
	  "\"}}}", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"ADDED\",\"type\":\"DELETED\",\"object\":{\"metadata\":"
	  "{\"resourceVersion\":\"1\"}}}", BPG_EINVAL, 0, NULL, 0 },
	{ "{\"type\":\"ERROR\",\"object\":{\"code\":\"410\"}}", BPG_EINVAL, 0,
	  NULL, 0 },
	{ "{\"type\":\"ERROR\",\"object\":{\"code\":-1}}", BPG_EINVAL, 0, NULL,
	  0 },
};

START_TEST(test_line)
{
	struct bpg_watch_event ev;
	struct bpg_errinfo ei = { "" };
	const char *l = lines[_i].line;
	enum bpg_err e;

	e = bpg_watch_parse_line(l, strlen(l), &ev, &ei);
	ck_assert_msg(e == lines[_i].err, "row %d: %s (%s)", _i,
	    bpg_strerror(e), ei.msg);
	if (e != BPG_OK) {
		ck_assert_ptr_null(ev.object);
		ck_assert(ei.msg[0] != '\0');
		return;
	}
	ck_assert_int_eq(ev.type, lines[_i].type);
	ck_assert_str_eq(ev.rv, lines[_i].rv);
	ck_assert_int_eq(ev.code, lines[_i].code);
	ck_assert(json_is_object(ev.object));
	bpg_watch_event_clear(&ev);
	ck_assert_ptr_null(ev.object);
}
END_TEST

START_TEST(test_line_limits)
{
	struct bpg_watch_event ev;
	struct bpg_errinfo ei;
	char *deep;
	size_t i, n = 0;

	/* Too deep for the depth cap, shallow enough for jansson. */
	deep = malloc(1024);
	ck_assert_ptr_nonnull(deep);
	n += (size_t)sprintf(deep, "{\"type\":\"ADDED\",\"object\":");
	for (i = 0; i < 100; i++)
		deep[n++] = '[';
	for (i = 0; i < 100; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	ck_assert_int_eq(bpg_watch_parse_line(deep, n, &ev, &ei), BPG_ETOOBIG);
	free(deep);
	/* Brackets inside strings do not count. */
	deep = malloc(1024);
	n = (size_t)sprintf(deep, "{\"type\":\"ADDED\",\"object\":{"
	    "\"metadata\":{\"resourceVersion\":\"1\",\"x\":\"");
	for (i = 0; i < 200; i++)
		deep[n++] = '[';
	n += (size_t)sprintf(deep + n, "\"}}}");
	ck_assert_int_eq(bpg_watch_parse_line(deep, n, &ev, &ei), BPG_OK);
	bpg_watch_event_clear(&ev);
	free(deep);
	ck_assert_int_eq(bpg_watch_parse_line(NULL, 0, &ev, &ei), BPG_EINVAL);
	ck_assert_str_eq(bpg_watch_type_name(BPG_WATCH_BOOKMARK), "BOOKMARK");
	ck_assert_str_eq(bpg_watch_type_name(BPG_WATCH__MAX), "?");
}
END_TEST

/* ---- the streaming client, against canned answers ------------------ */

/*
 * A one-shot HTTP server in a child process: it accepts one connection,
 * reads the request head and writes the parts of answer with a pause
 * between them (so lines arrive split across reads), then closes.
 */
static pid_t
serve(const char *const *parts, unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	int s, c, one = 1;
	pid_t pid;

	s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(s, 1), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	alarm(20);
	if ((c = accept(s, NULL, NULL)) < 0)
		_exit(1);
	while (got < sizeof(buf) - 1 && (n = read(c, buf + got,
	    sizeof(buf) - 1 - got)) > 0) {
		got += (size_t)n;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	for (; *parts != NULL; parts++) {
		if (write(c, *parts, strlen(*parts)) < 0)
			_exit(1);
		usleep(50000);
	}
	close(c);
	_exit(0);
}

struct seen {
	int events;
	char names[512];
	int ends;
	enum bpg_watch_end how;
	char detail[512];
};

static void
seen_event(void *arg, const struct bpg_watch_event *ev)
{
	struct seen *s = arg;
	const char *name = json_string_value(json_object_get(json_object_get(
	    ev->object, "metadata"), "name"));
	size_t n = strlen(s->names);

	s->events++;
	snprintf(s->names + n, sizeof(s->names) - n, "%s%s:%s", n ? " " : "",
	    bpg_watch_type_name(ev->type), name ? name : "?");
}

static void
seen_end(void *arg, enum bpg_watch_end how, const char *detail)
{
	struct seen *s = arg;

	s->ends++;
	s->how = how;
	snprintf(s->detail, sizeof(s->detail), "%s", detail);
}

#define HEAD200 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
	"Connection: close\r\n\r\n"
#define HEAD200C "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
	"Transfer-Encoding: chunked\r\n\r\n"
#define EV(t, name, rv) "{\"type\":\"" t "\",\"object\":{\"metadata\":{" \
	"\"name\":\"" name "\",\"resourceVersion\":\"" rv "\"}}}\n"

static const char *const s_clean[] = { HEAD200, EV("ADDED", "a", "11"),
	"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",",
	"\"resourceVersion\":\"12\"}}}\n{\"type\":\"BOOKMARK\",\"object\":{"
	"\"metadata\":{\"resourceVersion\":\"20\"}}}\n",
	EV("DELETED", "a", "21"), NULL };
static const char *const s_cut[] = { HEAD200, EV("ADDED", "a", "11"),
	"{\"type\":\"MODIFIED\",\"object\":{\"meta", NULL };
static const char *const s_chunk_cut[] = { HEAD200C,
	"4b\r\n" EV("ADDED", "a", "11") "\r\n", "40\r\n{\"type\":", NULL };
static const char *const s_garbage[] = { HEAD200, EV("ADDED", "a", "11"),
	"this is not JSON {\n", EV("ADDED", "b", "12"), NULL };
static const char *const s_expired_event[] = { HEAD200,
	EV("ADDED", "a", "11"), "{\"type\":\"ERROR\",\"object\":{\"kind\":"
	"\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n", NULL };
static const char *const s_410[] = { "HTTP/1.1 410 Gone\r\nContent-Type: "
	"application/json\r\nConnection: close\r\n\r\n{\"kind\":\"Status\","
	"\"code\":410,\"reason\":\"Expired\",\"message\":\"too old\"}", NULL };
static const char *const s_500[] = { "HTTP/1.1 500 Oops\r\nConnection: "
	"close\r\nContent-Length: 5\r\n\r\nhello", NULL };
static const char *const s_error_event[] = { HEAD200,
	"{\"type\":\"ERROR\",\"object\":{\"code\":500,\"reason\":"
	"\"InternalError\"}}\n", NULL };

static const struct {
	const char *name;
	const char *const *parts;
	const char *events;
	enum bpg_watch_end how;
	const char *detail;
	const char *rv;
} streams[] = {
	{ "clean", s_clean, "ADDED:a MODIFIED:a DELETED:a",
	  BPG_WATCH_END_CLOSED, "closed", "21" },
	{ "cut mid-event", s_cut, "ADDED:a", BPG_WATCH_END_ERROR,
	  "cut in the middle", "11" },
	{ "chunked, cut", s_chunk_cut, "ADDED:a", BPG_WATCH_END_ERROR,
	  "stream broken", "11" },
	{ "garbage line", s_garbage, "ADDED:a", BPG_WATCH_END_ERROR,
	  "bad line", "11" },
	{ "410 event", s_expired_event, "ADDED:a", BPG_WATCH_END_EXPIRED,
	  "410", "11" },
	{ "410 answer", s_410, "", BPG_WATCH_END_EXPIRED, "too old", "5" },
	{ "500 answer", s_500, "", BPG_WATCH_END_ERROR, "HTTP 500", "5" },
	{ "ERROR event", s_error_event, "", BPG_WATCH_END_ERROR,
	  "InternalError", "5" },
};

START_TEST(test_stream)
{
	struct bpg_cluster c;
	struct bpg_watchset *set = NULL;
	struct bpg_watch *w = NULL;
	struct bpg_errinfo ei = { "" };
	struct seen s;
	char url[64];
	unsigned port;
	pid_t pid;
	int i, status;

	memset(&s, 0, sizeof(s));
	pid = serve(streams[_i].parts, &port);
	memset(&c, 0, sizeof(c));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	c.id = (char *)(uintptr_t)"test";
	c.master_url = url;
	c.token = (char *)(uintptr_t)"secret-token-value";
	c.timeout_millis = 5000;
	ck_assert_int_eq(bpg_watchset_new(&set, &ei), BPG_OK);
	ck_assert_int_eq(bpg_watch_new(set, &c, "/apis/x/v1/namespaces/ns/"
	    "things", seen_event, seen_end, &s, &w, &ei), BPG_OK);
	ck_assert(!bpg_watch_active(w));
	ck_assert_int_eq(bpg_watch_start(w, "bad rv", 10, &ei), BPG_EINVAL);
	ck_assert_int_eq(bpg_watch_start(w, "5", 0, &ei), BPG_EINVAL);
	ck_assert_int_eq(bpg_watch_start(w, "5", 10, &ei), BPG_OK);
	ck_assert(bpg_watch_active(w));
	for (i = 0; i < 200 && s.ends == 0; i++)
		ck_assert_int_eq(bpg_watchset_run(set, 100, &ei), BPG_OK);
	ck_assert_msg(s.ends == 1, "%s: no end", streams[_i].name);
	ck_assert_msg(strcmp(s.names, streams[_i].events) == 0, "%s: events "
	    "\"%s\"", streams[_i].name, s.names);
	ck_assert_msg(s.how == streams[_i].how, "%s: end %d (%s)",
	    streams[_i].name, s.how, s.detail);
	ck_assert_msg(strstr(s.detail, streams[_i].detail) != NULL, "%s: "
	    "detail \"%s\"", streams[_i].name, s.detail);
	ck_assert_str_eq(bpg_watch_rv(w), streams[_i].rv);
	ck_assert(!bpg_watch_active(w));
	bpg_watchset_free(set);
	waitpid(pid, &status, 0);
}
END_TEST

/* Stopping from the event callback: nothing more is delivered. */
static void
stop_on_event(void *arg, const struct bpg_watch_event *ev)
{
	struct bpg_watch **w = arg;

	(void)ev;
	bpg_watch_stop(*w);
}

static void
never_end(void *arg, enum bpg_watch_end how, const char *detail)
{
	(void)arg;
	(void)how;
	(void)detail;
	ck_abort_msg("end called after stop");
}

START_TEST(test_stream_stop)
{
	struct bpg_cluster c;
	struct bpg_watchset *set = NULL;
	struct bpg_watch *w = NULL;
	struct bpg_errinfo ei;
	char url[64];
	unsigned port;
	pid_t pid;
	int i;

	pid = serve(s_clean, &port);
	memset(&c, 0, sizeof(c));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", port);
	c.id = (char *)(uintptr_t)"test";
	c.master_url = url;
	c.timeout_millis = 5000;
	ck_assert_int_eq(bpg_watchset_new(&set, &ei), BPG_OK);
	ck_assert_int_eq(bpg_watch_new(set, &c, "/x", stop_on_event,
	    never_end, &w, &w, &ei), BPG_OK);
	ck_assert_int_eq(bpg_watch_start(w, "1", 10, &ei), BPG_OK);
	for (i = 0; i < 30 && bpg_watch_active(w); i++)
		ck_assert_int_eq(bpg_watchset_run(set, 100, &ei), BPG_OK);
	ck_assert(!bpg_watch_active(w));
	ck_assert_str_eq(bpg_watch_rv(w), "11");
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(bpg_watchset_run(set, 50, &ei), BPG_OK);
	bpg_watchset_free(set);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

/* ---- statements and the lock, against MariaDB ---------------------- */

static unsigned int
db_port(void)
{
	return tu_env_port("BPG_TEST_DB_PORT", "mariadb.sh");
}

struct ctx {
	char url[256], schema[64];
	struct bpg_dbconf conf;
	MYSQL *admin;
};

static char test_user[] = "bpg";
static char test_password[] = "bpg-test-pw";

static void
admin_exec(struct ctx *c, const char *sql)
{
	ck_assert_msg(mysql_query(c->admin, sql) == 0, "%s: %s", sql,
	    mysql_error(c->admin));
}

static void
ctx_open(struct ctx *c, const char *tag)
{
	char sql[256];

	memset(c, 0, sizeof(*c));
	snprintf(c->schema, sizeof(c->schema), "bpgm_%s_%ld", tag,
	    (long)getpid());
	snprintf(c->url, sizeof(c->url), "jdbc:mysql://127.0.0.1:%u/?"
	    "connectTimeout=5000&socketTimeout=10000", db_port());
	c->conf.connection_string = c->url;
	c->conf.user = test_user;
	c->conf.password = test_password;
	c->conf.db_name = c->schema;
	c->admin = mysql_init(NULL);
	ck_assert_msg(mysql_real_connect(c->admin, "127.0.0.1", test_user,
	    test_password, NULL, db_port(), NULL, 0) != NULL, "admin: %s",
	    mysql_error(c->admin));
	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS `%s`", c->schema);
	admin_exec(c, sql);
}

static void
ctx_close(struct ctx *c)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS `%s`", c->schema);
	admin_exec(c, sql);
	mysql_close(c->admin);
}

static struct bpg_db *
ctx_db(struct ctx *c)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db *db = NULL;

	ck_assert_msg(bpg_db_new(&c->conf, &db, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert_msg(bpg_db_connect(db, &ei) == BPG_OK, "%s", ei.msg);
	return db;
}

static json_t *
row_of(struct bpg_db *db, const char *id)
{
	struct bpg_errinfo ei = { "" };
	json_t *row = NULL;

	ck_assert_msg(bpg_db_get_submission(db, id, &row, &ei) == BPG_OK,
	    "%s: %s", id, ei.msg);
	return row;
}

static const char *
col_s(const json_t *row, const char *col)
{
	return json_string_value(json_object_get(row, col));
}

static json_int_t
col_i(const json_t *row, const char *col)
{
	const json_t *v = json_object_get(row, col);

	ck_assert_msg(json_is_integer(v), "%s is not an integer", col);
	return json_integer_value(v);
}

#define T0 1700000000000LL	/* 2023-11-14T22:13:20Z */

START_TEST(test_db_lifecycle)
{
	struct bpg_db_submission sub = { "c1-aaa", "alice", "3.5.0", "{}",
		"dev", "SparkPi" , NULL};
	struct bpg_db_app_start st = { T0, 1, 2432, 2, 1, 2048, "dag",
		"task", NULL };
	struct bpg_db_app_start other = { T0 + 5000, 9, 9, 9, 9, 9, "x",
		"y", "z" };
	const double mb = 0.001, core = 0.5;
	struct bpg_errinfo ei = { "" };
	struct bpg_db_app a;
	struct ctx c;
	struct bpg_db *db;
	json_t *row;

	ctx_open(&c, "life");
	db = ctx_db(&c);
	ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_read(db, "c1-aaa", &a, &ei), BPG_OK);
	ck_assert(a.found && !a.has_status && !a.has_app_id && !a.started &&
	    !a.finished);
	ck_assert_int_eq(bpg_db_monitor_read(db, "c1-none", &a, &ei), BPG_OK);
	ck_assert(!a.found);

	/* S3 + S2. */
	ck_assert_int_eq(bpg_db_monitor_state(db, "c1-aaa", "SUBMITTED",
	    "spark-1", &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_read(db, "c1-aaa", &a, &ei), BPG_OK);
	ck_assert(a.has_status && a.has_app_id);
	ck_assert_str_eq(a.status, "SUBMITTED");
	ck_assert_str_eq(a.app_id, "spark-1");
	/* NULL keeps. */
	ck_assert_int_eq(bpg_db_monitor_state(db, "c1-aaa", "RUNNING", NULL,
	    &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_read(db, "c1-aaa", &a, &ei), BPG_OK);
	ck_assert_str_eq(a.status, "RUNNING");
	ck_assert_str_eq(a.app_id, "spark-1");

	/* S5 + S8, once. */
	ck_assert_int_eq(bpg_db_monitor_start(db, "c1-aaa", &st, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_start(db, "c1-aaa", &other, &ei),
	    BPG_OK);
	row = row_of(db, "c1-aaa");
	ck_assert_int_eq(col_i(row, "start_time"), T0);
	ck_assert_int_eq(col_i(row, "driver_core"), 1);
	ck_assert_int_eq(col_i(row, "driver_memory_mb"), 2432);
	ck_assert_int_eq(col_i(row, "number_executor"), 2);
	ck_assert_int_eq(col_i(row, "executor_core"), 1);
	ck_assert_int_eq(col_i(row, "executor_memory_mb"), 2048);
	ck_assert_str_eq(col_s(row, "dag_name"), "dag");
	ck_assert_str_eq(col_s(row, "task_name"), "task");
	/* NULL app_name keeps the gateway's. */
	ck_assert_str_eq(col_s(row, "app_name"), "SparkPi");
	ck_assert_str_eq(col_s(row, "user"), "alice");
	json_decref(row);

	/* S4: ((2048 * 2 + 2432) * 0.001 + (1 * 2 + 1) * 0.5) * 100 s. */
	ck_assert_int_eq(bpg_db_monitor_finish(db, "c1-aaa", "COMPLETED",
	    T0 + 100000, &mb, &core, &ei), BPG_OK);
	row = row_of(db, "c1-aaa");
	ck_assert_str_eq(col_s(row, "status"), "COMPLETED");
	ck_assert_int_eq(col_i(row, "finished_time"), T0 + 100000);
	ck_assert_double_eq_tol(json_real_value(json_object_get(row, "cost")),
	    802.80, 0.001);
	json_decref(row);

	/* Finished is final: a later state, finish or start changes
	 * nothing (S3's guard, BPG's test). */
	ck_assert_int_eq(bpg_db_monitor_state(db, "c1-aaa", "RUNNING",
	    "spark-2", &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_finish(db, "c1-aaa", "FAILED",
	    T0 + 200000, &mb, &core, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_cost(db, "c1-aaa", &mb, &core, &ei),
	    BPG_OK);
	row = row_of(db, "c1-aaa");
	ck_assert_str_eq(col_s(row, "status"), "COMPLETED");
	ck_assert_int_eq(col_i(row, "finished_time"), T0 + 100000);
	ck_assert_str_eq(col_s(row, "app_id"), "spark-2");
	ck_assert_double_eq_tol(json_real_value(json_object_get(row, "cost")),
	    802.80, 0.001);
	json_decref(row);
	ck_assert_int_eq(bpg_db_monitor_read(db, "c1-aaa", &a, &ei), BPG_OK);
	ck_assert(a.started && a.finished);

	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

START_TEST(test_db_foreign_and_prices)
{
	const double mb = 0.001, core = 0.5;
	struct bpg_db_app_start st = { T0, 2, 1024, 1, 1, 1024, NULL, NULL,
		"app" };
	struct bpg_errinfo ei = { "" };
	struct ctx c;
	struct bpg_db *db;
	json_t *row;

	ctx_open(&c, "foreign");
	db = ctx_db(&c);
	/* A CR the gateway did not submit gets a row. */
	ck_assert_int_eq(bpg_db_monitor_state(db, "other-app", "RUNNING",
	    NULL, &ei), BPG_OK);
	row = row_of(db, "other-app");
	ck_assert_str_eq(col_s(row, "status"), "RUNNING");
	ck_assert(json_is_null(json_object_get(row, "user")));
	ck_assert(json_is_integer(json_object_get(row, "created_time")));
	json_decref(row);
	ck_assert_int_eq(bpg_db_monitor_start(db, "other-app", &st, &ei),
	    BPG_OK);

	/* No prices configured: NULL cost, status and time still written
	 * (quirk 13). */
	ck_assert_int_eq(bpg_db_monitor_finish(db, "other-app", "FAILED",
	    T0 + 10000, NULL, NULL, &ei), BPG_OK);
	row = row_of(db, "other-app");
	ck_assert_str_eq(col_s(row, "status"), "FAILED");
	ck_assert_int_eq(col_i(row, "finished_time"), T0 + 10000);
	ck_assert(json_is_null(json_object_get(row, "cost")));
	ck_assert_str_eq(col_s(row, "app_name"), "app");
	json_decref(row);

	/* A finish before any row: created, LOST. */
	ck_assert_int_eq(bpg_db_monitor_finish(db, "gone-app", "LOST",
	    T0 + 1000, &mb, &core, &ei), BPG_OK);
	row = row_of(db, "gone-app");
	ck_assert_str_eq(col_s(row, "status"), "LOST");
	ck_assert(json_is_null(json_object_get(row, "cost")));
	json_decref(row);

	/* A start that arrives after the finish, then the cost. */
	ck_assert_int_eq(bpg_db_monitor_start(db, "gone-app", &st, &ei),
	    BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_cost(db, "gone-app", &mb, &core, &ei),
	    BPG_OK);
	row = row_of(db, "gone-app");
	/* ((1024 + 1024) * 0.001 + (1 + 2) * 0.5) * 1 s */
	ck_assert_double_eq_tol(json_real_value(json_object_get(row, "cost")),
	    3.55, 0.001);
	json_decref(row);

	/* Bad values never reach the server. */
	ck_assert_int_eq(bpg_db_monitor_finish(db, "x", "LOST", 0, NULL, NULL,
	    &ei), BPG_EINVAL);
	ck_assert_int_eq(bpg_db_monitor_finish(db, "x", "LOST",
	    4102444800000LL, NULL, NULL, &ei), BPG_EINVAL);
	st.driver_core = 40000;
	ck_assert_int_eq(bpg_db_monitor_start(db, "x", &st, &ei),
	    BPG_ETOOBIG);
	ck_assert_int_eq(bpg_db_monitor_state(db, "", "RUNNING", NULL, &ei),
	    BPG_EINVAL);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

START_TEST(test_db_unfinished)
{
	static const char *const ids[] = { "c_1-aaa", "c_1-bbb", "cx1-ccc",
		"c_1-ddd", "c_10-eee" };
	struct bpg_db_submission sub;
	struct bpg_errinfo ei = { "" };
	struct ctx c;
	struct bpg_db *db;
	json_t *rows;
	size_t i;

	ctx_open(&c, "open");
	db = ctx_db(&c);
	memset(&sub, 0, sizeof(sub));
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		sub.submission_id = ids[i];
		ck_assert_int_eq(bpg_db_insert_submission(db, &sub, &ei),
		    BPG_OK);
	}
	ck_assert_int_eq(bpg_db_monitor_state(db, "c_1-bbb", "RUNNING", NULL,
	    &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_finish(db, "c_1-ddd", "COMPLETED",
	    T0, NULL, NULL, &ei), BPG_OK);
	/* '_' is matched literally: not "cx1-", not "c_10-". */
	ck_assert_int_eq(bpg_db_monitor_unfinished(db, "c_1-", &rows, &ei),
	    BPG_OK);
	ck_assert_uint_eq(json_array_size(rows), 2);
	ck_assert_str_eq(col_s(json_array_get(rows, 0), "id"), "c_1-aaa");
	ck_assert(json_is_null(json_object_get(json_array_get(rows, 0),
	    "status")));
	ck_assert(col_i(json_array_get(rows, 0), "age") >= 0);
	ck_assert_str_eq(col_s(json_array_get(rows, 1), "id"), "c_1-bbb");
	ck_assert_str_eq(col_s(json_array_get(rows, 1), "status"), "RUNNING");
	json_decref(rows);
	ck_assert_int_eq(bpg_db_monitor_unfinished(db, "100%!", &rows, &ei),
	    BPG_OK);
	ck_assert_uint_eq(json_array_size(rows), 0);
	json_decref(rows);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

/*
 * The watch side of serve_lists(): once the file <list_path>.event
 * appears, its text goes out as one chunk (one or more event lines), and
 * the stream is then held open until the test ends.
 */
static void
watch_events(int c, const char *list_path)
{
	char path[512], chunk[64], *ev;
	size_t len;
	int i;

	snprintf(path, sizeof(path), "%s.event", list_path);
	for (i = 0; i < 1200; i++) {
		if ((ev = tu_slurp(path, &len)) != NULL) {
			snprintf(chunk, sizeof(chunk), "%zx\r\n", len);
			if (write(c, chunk, strlen(chunk)) < 0 ||
			    write(c, ev, len) < 0 || write(c, "\r\n", 2) < 0)
				_exit(1);
			break;
		}
		usleep(50000);
	}
	while (read(c, path, sizeof(path)) > 0)
		;
}

/* The request line of the request in buf, appended to list_path.log. */
static void
log_request(const char *list_path, const char *buf)
{
	char path[512], line[1024];
	size_t n = strcspn(buf, "\r\n");
	int fd;

	snprintf(path, sizeof(path), "%s.log", list_path);
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	memcpy(line, buf, n);
	line[n++] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600)) < 0)
		_exit(1);
	if (write(fd, line, n) != (ssize_t)n)
		_exit(1);
	close(fd);
}

/*
 * A Kubernetes API stand-in for the leader tests, in a child process: a
 * list request gets the SparkApplicationList in the file at list_path
 * (read per request, so the test changes it between lists); a watch gets
 * a 200, then the events of watch_events().  Every request line is
 * appended to list_path.log before the answer.
 */
static pid_t
serve_lists(const char *list_path, unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char buf[4096], head[256], *body;
	size_t got, len;
	ssize_t n;
	int s, c, one = 1;
	pid_t pid;

	s = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(s, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(s, 8), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	signal(SIGCHLD, SIG_IGN);
	alarm(120);
	while ((c = accept(s, NULL, NULL)) >= 0) {
		if (fork() != 0) {
			close(c);
			continue;
		}
		got = 0;
		while (got < sizeof(buf) - 1 && (n = read(c, buf + got,
		    sizeof(buf) - 1 - got)) > 0) {
			got += (size_t)n;
			buf[got] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		log_request(list_path, buf);
		if (strstr(buf, "watch=") != NULL) {
			if (write(c, HEAD200C, strlen(HEAD200C)) < 0)
				_exit(1);
			watch_events(c, list_path);
			_exit(0);
		}
		if ((body = tu_slurp(list_path, &len)) == NULL)
			_exit(1);
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", len);
		if (write(c, head, strlen(head)) < 0 ||
		    write(c, body, len) < 0)
			_exit(1);
		close(c);
		_exit(0);
	}
	_exit(0);
}

static void
write_list(const char *path, const char *name, const char *rv)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "{\"kind\":\"SparkApplicationList\",\"metadata\":{"
	    "\"resourceVersion\":\"%s\"},\"items\":[{\"metadata\":{"
	    "\"name\":\"%s\",\"namespace\":\"ns\",\"uid\":\"u-%s\","
	    "\"creationTimestamp\":\"2020-11-25T21:48:56Z\"},"
	    "\"status\":{\"applicationState\":{\"state\":\"RUNNING\"}}}]}",
	    rv, name, name);
	ck_assert_int_eq(fclose(f), 0);
}

static bool
has_row(struct bpg_db *db, const char *id)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_app a;

	ck_assert_msg(bpg_db_monitor_read(db, id, &a, &ei) == BPG_OK, "%s",
	    ei.msg);
	return a.found;
}

/* Another holder takes the lease with the next token, as a standby
 * would once the leader's lease ran out unseen. */
static void
steal_lease(struct ctx *c)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "UPDATE `%s`.bpg_lease SET holder = "
	    "'intruder', token = token + 1, expires_time = NOW(6) + INTERVAL "
	    "60 SECOND WHERE name = 'bpg-monitor'", c->schema);
	admin_exec(c, sql);
}

/*
 * A leader whose lease was taken while it listed does not write what
 * that list brought: its statements are fenced by its token, the
 * database refuses them, and it steps down at the first refusal.  Its
 * lease session has a short wait_timeout (twice timeoutMillis plus the
 * margin), so the server ends the session of a leader that vanished in
 * seconds, not hours.
 */
START_TEST(test_monitor_lost_lock)
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;
	struct bpg_errinfo ei = { "" };
	struct bpg_db *check;
	struct ctx c;
	char yaml[1024], list[256];
	unsigned long idle = 0;
	unsigned port;
	pid_t pid;
	int i, status;

	ctx_open(&c, "lead");
	snprintf(list, sizeof(list), "/tmp/bpgm-list-%ld.json",
	    (long)getpid());
	write_list(list, "lead-a", "10");
	pid = serve_lists(list, &port);
	snprintf(yaml, sizeof(yaml),
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 1, masterUrl: 'http://127.0.0.1:%u',\n"
	    "     sparkApplicationNamespace: ns, timeoutMillis: 5000,\n"
	    "     userTokenSOPS: 'plaintext:token-0123456789'}\n"
	    "dbStorageSOPS: {connectionString: '%s', user: bpg,\n"
	    "  password: bpg-test-pw, dbName: %s}\n", port, c.url, c.schema);
	ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &cfg, &cerr) ==
	    BPG_OK, "%s: %s", cerr.path, cerr.msg);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	ck_assert_msg(bpg_monitor_new(&o, &m, &ei) == BPG_OK, "%s", ei.msg);
	check = ctx_db(&c);
	for (i = 0; i < 100 && !has_row(check, "lead-a"); i++)
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert(bpg_monitor_leader(m));
	ck_assert(has_row(check, "lead-a"));
	ck_assert_int_eq(bpg_db_session_idle_timeout(bpg_monitor_lock_db(m),
	    &idle, &ei), BPG_OK);
	ck_assert_uint_eq(idle, 2 * 5 + BPG_MONITOR_LOCK_IDLE_MARGIN_S);

	/* The lease goes to another; the next list brings lead-b. */
	steal_lease(&c);
	write_list(list, "lead-b", "20");
	bpg_monitor_resync(m);
	ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s", ei.msg);
	ck_assert(!bpg_monitor_leader(m));
	ck_assert_msg(!has_row(check, "lead-b"), "a leader without its lease "
	    "wrote the list");

	bpg_monitor_free(m);
	bpg_db_free(check);
	bpg_config_free(cfg);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	unlink(list);
	ctx_close(&c);
}
END_TEST

/*
 * A renewal held up by a lock on the lease row (an admin session holds
 * the row) until the lease expired and more than 1.6 s after it was sent:
 * the renewal cannot renew what has expired and takes the lease anew
 * with the next token, but by the leader's own monotonic clock, counted
 * from before it sent that request, the lease it got is already past its
 * deadline, so bpg_monitor_confirm() says false and it steps down at
 * once; it leads again with a later token.
 */
static long long admin_num(struct ctx *c, const char *sql);

START_TEST(test_monitor_late_renewal)
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;
	struct bpg_errinfo ei = { "" };
	struct bpg_db *check;
	struct ctx c;
	char yaml[1024], list[256], sql[256], x;
	unsigned port;
	pid_t pid, blocker;
	int i, status, ready[2];
	long long token;

	ctx_open(&c, "late");
	snprintf(list, sizeof(list), "/tmp/bpgm-list-%ld.json",
	    (long)getpid());
	write_list(list, "late-a", "10");
	pid = serve_lists(list, &port);
	snprintf(yaml, sizeof(yaml),
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 1, masterUrl: 'http://127.0.0.1:%u',\n"
	    "     sparkApplicationNamespace: ns, timeoutMillis: 5000,\n"
	    "     userTokenSOPS: 'plaintext:token-0123456789'}\n"
	    "dbStorageSOPS: {connectionString: '%s', user: bpg,\n"
	    "  password: bpg-test-pw, dbName: %s}\n"
	    "monitorLeaseMillis: 2000\n"
	    "monitorLeaseRenewMillis: 500\n", port, c.url, c.schema);
	ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &cfg, &cerr) ==
	    BPG_OK, "%s: %s", cerr.path, cerr.msg);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	ck_assert_msg(bpg_monitor_new(&o, &m, &ei) == BPG_OK, "%s", ei.msg);
	check = ctx_db(&c);
	for (i = 0; i < 100 && !has_row(check, "late-a"); i++)
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert(bpg_monitor_leader(m));
	snprintf(sql, sizeof(sql), "SELECT token FROM `%s`.bpg_lease",
	    c.schema);
	token = admin_num(&c, sql);

	/*
	 * The blocker locks the lease row, waits until a renewal waits on
	 * it (its locking read is seen executing), then holds it until the
	 * lease has expired by the database's clock and 1.7 s have passed:
	 * past the deadline of what the renewal brings (its send plus 1.6 s)
	 * however slow this machine.
	 */
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_ge(blocker = fork(), 0);
	if (blocker == 0) {
		MYSQL *b = mysql_init(NULL);
		MYSQL_RES *res;
		MYSQL_ROW row;
		char q[256];
		int waiting = 0, n;
		long long left;

		close(ready[0]);
		if (mysql_real_connect(b, "127.0.0.1", test_user,
		    test_password, NULL, db_port(), NULL, 0) == NULL)
			_exit(2);
		snprintf(q, sizeof(q), "SELECT token FROM `%s`.bpg_lease "
		    "FOR UPDATE", c.schema);
		if (mysql_query(b, "START TRANSACTION") != 0 ||
		    mysql_query(b, q) != 0 ||
		    (res = mysql_store_result(b)) == NULL)
			_exit(3);
		mysql_free_result(res);
		if (write(ready[1], "x", 1) != 1)
			_exit(4);
		for (n = 0; n < 600 && !waiting; n++) {
			/* The renewal's locking read, under way. */
			if (mysql_query(b, "SELECT COUNT(*) FROM "
			    "information_schema.PROCESSLIST WHERE COMMAND = "
			    "'Execute' AND INFO LIKE '%bpg_lease WHERE name%"
			    "FOR UPDATE'") != 0 ||
			    (res = mysql_store_result(b)) == NULL)
				_exit(5);
			row = mysql_fetch_row(res);
			waiting = row != NULL && row[0] != NULL &&
			    atoi(row[0]) > 0;

			mysql_free_result(res);
			if (!waiting)
				usleep(50000);
		}
		/* Let it through once the lease expired, 1.7 s on. */
		usleep(1700000);
		snprintf(q, sizeof(q), "SELECT TIMESTAMPDIFF(MICROSECOND, "
		    "NOW(6), expires_time) FROM `%s`.bpg_lease", c.schema);
		for (n = 0; n < 1000; n++) {
			if (mysql_query(b, q) != 0 ||
			    (res = mysql_store_result(b)) == NULL)
				_exit(7);
			row = mysql_fetch_row(res);
			left = row != NULL && row[0] != NULL ? atoll(row[0]) : 0;
			mysql_free_result(res);
			if (left < 0)
				break;
			usleep(10000);
		}
		mysql_query(b, "COMMIT");
		mysql_close(b);
		_exit(!waiting ? 6 : left >= 0 ? 8 : 0);
	}
	close(ready[1]);
	ck_assert_int_eq(read(ready[0], &x, 1), 1);
	close(ready[0]);
	/* The next renewal blocks behind the blocker, then comes back. */
	for (i = 0; i < 100 && waitpid(blocker, &status, WNOHANG) == 0; i++)
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert_int_lt(i, 100);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "blocker: %d", status);
	/* Taken anew by the late request, and given up at once. */
	ck_assert_int_eq(admin_num(&c, sql), token + 1);
	ck_assert_msg(!bpg_monitor_leader(m), "a leader past its deadline "
	    "went on");
	for (i = 0; i < 100 && !bpg_monitor_leader(m); i++)
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert(bpg_monitor_leader(m));
	ck_assert_int_gt(admin_num(&c, sql), token + 1);

	bpg_monitor_free(m);
	bpg_db_free(check);
	bpg_config_free(cfg);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	unlink(list);
	ctx_close(&c);
}
END_TEST

/* The injected clock of the schedules, epoch ms. */
static int64_t sched_clock_ms;

static int64_t
sched_clock(void *arg)
{
	(void)arg;
	return sched_clock_ms;
}

/* The first column of the first row as a number; -1 for none or NULL. */
static long long
admin_num(struct ctx *c, const char *sql)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	long long v = -1;

	if (mysql_query(c->admin, sql) != 0 ||
	    (res = mysql_store_result(c->admin)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(c->admin));
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		v = atoll(row[0]);
	mysql_free_result(res);
	return v;
}

/*
 * The page statements alone: a read of IDs with and without rows (the
 * same ID twice is fine), an upsert refused whole when one row is bad,
 * then applied whole, with S3's guard on a finished row.
 */
START_TEST(test_db_many)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_app rows[4];
	struct bpg_db_state_row st[3];
	struct bpg_db *db;
	struct ctx c;
	char sql[512], longid[300];
	const char *ids[4] = { "m-a", "m-none", "m-fin", "m-a" };
	json_t *row;

	ctx_open(&c, "many");
	db = ctx_db(&c);
	snprintf(sql, sizeof(sql), "INSERT INTO `%s`.application_submission "
	    "(submission_id, status, app_id, finished_time) VALUES "
	    "('m-a', 'SUBMITTED', 'spark-a', NULL), "
	    "('m-fin', 'COMPLETED', NULL, NOW())", c.schema);
	admin_exec(&c, sql);
	ck_assert_msg(bpg_db_monitor_read_many(db, ids, 4, rows, &ei) ==
	    BPG_OK, "%s", ei.msg);
	ck_assert(rows[0].found && rows[0].has_status && !rows[0].finished);
	ck_assert_str_eq(rows[0].status, "SUBMITTED");
	ck_assert_str_eq(rows[0].app_id, "spark-a");
	ck_assert(!rows[1].found);
	ck_assert(rows[2].found && rows[2].finished && !rows[2].has_app_id);
	ck_assert(rows[3].found);
	ck_assert_int_eq(bpg_db_monitor_read_many(db, ids, 0, rows, &ei),
	    BPG_EINVAL);
	ck_assert_int_eq(bpg_db_monitor_read_many(db, ids,
	    BPG_DB_MONBATCH_MAX + 1, rows, &ei), BPG_EINVAL);

	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	st[0] = (struct bpg_db_state_row){ "m-new", "RUNNING", NULL };
	st[1] = (struct bpg_db_state_row){ "m-fin", "RUNNING", longid };
	ck_assert_int_eq(bpg_db_monitor_state_many(db, st, 2, &ei),
	    BPG_ETOOBIG);
	ck_assert(!has_row(db, "m-new"));

	st[1] = (struct bpg_db_state_row){ "m-fin", "RUNNING", "spark-fin" };
	st[2] = (struct bpg_db_state_row){ "m-a", "PENDING_RERUN", NULL };
	ck_assert_msg(bpg_db_monitor_state_many(db, st, 3, &ei) == BPG_OK,
	    "%s", ei.msg);
	row = row_of(db, "m-new");
	ck_assert_str_eq(col_s(row, "status"), "RUNNING");
	json_decref(row);
	row = row_of(db, "m-fin");
	ck_assert_str_eq(col_s(row, "status"), "COMPLETED");
	ck_assert_str_eq(col_s(row, "app_id"), "spark-fin");
	json_decref(row);
	row = row_of(db, "m-a");
	ck_assert_str_eq(col_s(row, "status"), "PENDING_RERUN");
	ck_assert_str_eq(col_s(row, "app_id"), "spark-a");
	json_decref(row);
	bpg_db_free(db);
	ctx_close(&c);
}
END_TEST

/*
 * A list of more than one page (BPG_DB_MONBATCH_MAX) against rows of
 * every kind: new applications get rows, a changed one its new state and
 * app ID, an unchanged one stays, a finished row keeps its status (S3's
 * guard) and gains its app ID, a row without a SparkApplication is
 * recorded LOST, an application without a state gets no row.  The pages
 * are read and written a statement each, not a statement or two per
 * application: the server counts the statements executed.
 */
#define PAGE_NEW 300
#define PAGE_ID(i) "c1-%032x", (i)

static void
page_item(FILE *f, bool first, const char *name, const char *state,
    const char *app_id)
{
	fprintf(f, "%s{\"metadata\":{\"name\":\"%s\",\"namespace\":\"ns\","
	    "\"uid\":\"u-%s\",\"creationTimestamp\":\"2020-11-25T21:48:56Z\"}",
	    first ? "" : ",", name, name);
	if (state != NULL)
		fprintf(f, ",\"status\":{\"applicationState\":{\"state\":"
		    "\"%s\"}%s%s%s}", state, app_id != NULL ?
		    ",\"sparkApplicationId\":\"" : "",
		    app_id != NULL ? app_id : "", app_id != NULL ? "\"" : "");
	fputs("}", f);
}

static long long
stmt_executed(struct ctx *c)
{
	return admin_num(c, "SELECT VARIABLE_VALUE FROM "
	    "information_schema.GLOBAL_STATUS "
	    "WHERE VARIABLE_NAME = 'COM_STMT_EXECUTE'");
}

START_TEST(test_monitor_page)
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;
	struct bpg_errinfo ei = { "" };
	struct bpg_db *check;
	struct ctx c;
	char yaml[1024], list[256], sql[1024], id[64];
	char changed[64], same[64], fin[64], gone[64], nostate[64];
	json_t *row;
	long long before, executed;
	unsigned port;
	pid_t pid;
	FILE *f;
	int i, status;

	snprintf(changed, sizeof(changed), PAGE_ID(0x10000));
	snprintf(same, sizeof(same), PAGE_ID(0x10001));
	snprintf(fin, sizeof(fin), PAGE_ID(0x10002));
	snprintf(gone, sizeof(gone), PAGE_ID(0x10003));
	snprintf(nostate, sizeof(nostate), PAGE_ID(0x10004));
	ctx_open(&c, "page");
	check = ctx_db(&c);
	snprintf(sql, sizeof(sql), "INSERT INTO `%s`.application_submission "
	    "(submission_id, status, app_id, created_time, finished_time) "
	    "VALUES ('%s', 'SUBMITTED', NULL, NOW(), NULL), "
	    "('%s', 'SUBMITTED', 'spark-same', NOW(), NULL), "
	    "('%s', 'COMPLETED', NULL, NOW(), NOW()), "
	    "('%s', 'SUBMITTED', NULL, NOW() - INTERVAL 1 DAY, NULL)",
	    c.schema, changed, same, fin, gone);
	admin_exec(&c, sql);

	snprintf(list, sizeof(list), "/tmp/bpgm-page-%ld.json",
	    (long)getpid());
	ck_assert_ptr_nonnull(f = fopen(list, "w"));
	fputs("{\"kind\":\"SparkApplicationList\",\"metadata\":{"
	    "\"resourceVersion\":\"10\"},\"items\":[", f);
	for (i = 0; i < PAGE_NEW; i++) {
		snprintf(id, sizeof(id), PAGE_ID(i));
		page_item(f, i == 0, id, "SUBMITTED", NULL);
	}
	page_item(f, false, changed, "PENDING_RERUN", "spark-changed");
	page_item(f, false, same, "SUBMITTED", NULL);
	page_item(f, false, fin, "SUBMITTED", "spark-fin");
	page_item(f, false, nostate, NULL, NULL);
	fputs("]}", f);
	ck_assert_int_eq(fclose(f), 0);
	pid = serve_lists(list, &port);
	snprintf(yaml, sizeof(yaml),
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 1, masterUrl: 'http://127.0.0.1:%u',\n"
	    "     sparkApplicationNamespace: ns, timeoutMillis: 5000,\n"
	    "     userTokenSOPS: 'plaintext:token-0123456789'}\n"
	    "dbStorageSOPS: {connectionString: '%s', user: bpg,\n"
	    "  password: bpg-test-pw, dbName: %s}\n", port, c.url, c.schema);
	ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &cfg, &cerr) ==
	    BPG_OK, "%s: %s", cerr.path, cerr.msg);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	ck_assert_msg(bpg_monitor_new(&o, &m, &ei) == BPG_OK, "%s", ei.msg);
	before = stmt_executed(&c);
	for (i = 0; i < 100; i++) {
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
		row = row_of(check, gone);
		if (col_s(row, "status") != NULL &&
		    strcmp(col_s(row, "status"), "LOST") == 0) {
			json_decref(row);
			break;
		}
		json_decref(row);
	}
	executed = stmt_executed(&c) - before;
	ck_assert(bpg_monitor_leader(m));

	for (i = 0; i < PAGE_NEW; i++) {
		snprintf(id, sizeof(id), PAGE_ID(i));
		row = row_of(check, id);
		ck_assert_msg(row != NULL, "%s: no row", id);
		ck_assert_str_eq(col_s(row, "status"), "SUBMITTED");
		json_decref(row);
	}
	row = row_of(check, changed);
	ck_assert_str_eq(col_s(row, "status"), "PENDING_RERUN");
	ck_assert_str_eq(col_s(row, "app_id"), "spark-changed");
	json_decref(row);
	row = row_of(check, same);
	ck_assert_str_eq(col_s(row, "status"), "SUBMITTED");
	ck_assert_str_eq(col_s(row, "app_id"), "spark-same");
	json_decref(row);
	row = row_of(check, fin);
	ck_assert_str_eq(col_s(row, "status"), "COMPLETED");
	ck_assert_str_eq(col_s(row, "app_id"), "spark-fin");
	json_decref(row);
	row = row_of(check, gone);
	ck_assert_str_eq(col_s(row, "status"), "LOST");
	json_decref(row);
	ck_assert(!has_row(check, nostate));
	/*
	 * Two pages: a read and an upsert each; the rest is the lock, the
	 * sweep and the other tasks' turns, whatever the list's length.
	 */
	ck_assert_msg(executed < PAGE_NEW / 2,
	    "%lld statements for %d applications",
	    executed, PAGE_NEW + 4);

	bpg_monitor_free(m);
	bpg_db_free(check);
	bpg_config_free(cfg);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	unlink(list);
	ctx_close(&c);
}
END_TEST

/*
 * The schedule task runs on the monitor's injected clock
 * (bpg_monitor_opts.clock_ms): nothing fires before the stored next fire
 * time; after a jump past two fire times only the latest is recorded and
 * the next fire time moves past the clock; the same time is never
 * recorded twice.
 */
START_TEST(test_monitor_sched_clock)
{
	const int64_t t0 = 1800000000;
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;
	struct bpg_errinfo ei = { "" };
	struct bpg_db_schedule sc;
	struct bpg_db *check;
	struct ctx c;
	char yaml[1024], list[256], sql[256];
	unsigned port;
	pid_t pid;
	int i, status;

	ctx_open(&c, "sched");
	snprintf(list, sizeof(list), "/tmp/bpgm-list-%ld.json",
	    (long)getpid());
	write_list(list, "sched-a", "10");
	pid = serve_lists(list, &port);
	snprintf(yaml, sizeof(yaml),
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 1, masterUrl: 'http://127.0.0.1:%u',\n"
	    "     sparkApplicationNamespace: ns, timeoutMillis: 5000,\n"
	    "     sparkVersions: ['3.5.0'],\n"
	    "     userTokenSOPS: 'plaintext:token-0123456789'}\n"
	    "dbStorageSOPS: {connectionString: '%s', user: bpg,\n"
	    "  password: bpg-test-pw, dbName: %s}\n", port, c.url, c.schema);
	ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &cfg, &cerr) ==
	    BPG_OK, "%s: %s", cerr.path, cerr.msg);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.clock_ms = sched_clock;
	sched_clock_ms = (t0 - 1) * 1000;
	ck_assert_msg(bpg_monitor_new(&o, &m, &ei) == BPG_OK, "%s", ei.msg);
	check = ctx_db(&c);
	for (i = 0; i < 100 && !has_row(check, "sched-a"); i++)
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert(bpg_monitor_leader(m));

	memset(&sc, 0, sizeof(sc));
	snprintf(sc.id, sizeof(sc.id), "s-clock");
	snprintf(sc.owner, sizeof(sc.owner), "alice");
	snprintf(sc.name, sizeof(sc.name), "n");
	snprintf(sc.cron, sizeof(sc.cron), "@every 10s");
	snprintf(sc.timezone, sizeof(sc.timezone), "UTC");
	snprintf(sc.policy, sizeof(sc.policy), "Allow");
	sc.deadline_s = -1;
	sc.anchor = t0 - 10;
	sc.next_fire = t0;
	sc.last_fire = -1;
	sc.request = (char *)(uintptr_t)"{\"sparkVersion\":\"3.5.0\","
	    "\"mainApplicationFile\":\"local:///x.jar\"}";
	ck_assert_msg(bpg_db_schedule_insert(check, &sc, &ei) == BPG_OK, "%s",
	    ei.msg);
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM `%s`."
	    "bpg_schedule_fire", c.schema);

	/* Before t0 by the injected clock: nothing, whatever the wall. */
	for (i = 0; i < 3; i++)
		ck_assert_msg(bpg_monitor_step(m, 1100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert_int_eq(admin_num(&c, sql), 0);

	/* Past t0 and t0 + 10: only t0 + 10 is made. */
	sched_clock_ms = (t0 + 15) * 1000;
	for (i = 0; i < 50 && admin_num(&c, sql) == 0; i++)
		ck_assert_msg(bpg_monitor_step(m, 200, &ei) == BPG_OK, "%s",
		    ei.msg);
	for (i = 0; i < 3; i++)
		ck_assert_msg(bpg_monitor_step(m, 1100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert_int_eq(admin_num(&c, sql), 1);
	snprintf(sql, sizeof(sql), "SELECT fire_time FROM `%s`."
	    "bpg_schedule_fire", c.schema);
	ck_assert_int_eq(admin_num(&c, sql), t0 + 10);
	snprintf(sql, sizeof(sql), "SELECT next_fire_time FROM `%s`."
	    "bpg_schedule", c.schema);
	ck_assert_int_eq(admin_num(&c, sql), t0 + 20);

	bpg_monitor_free(m);
	bpg_db_free(check);
	bpg_config_free(cfg);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	unlink(list);
	ctx_close(&c);
}
END_TEST

/* A column of one row of application_submission, "" for none or NULL. */
static const char *
row_col(struct ctx *c, const char *col, const char *id)
{
	static char out[512];
	char sql[512];
	MYSQL_RES *res;
	MYSQL_ROW row;

	snprintf(sql, sizeof(sql), "SELECT %s FROM `%s`."
	    "application_submission WHERE submission_id = '%s'", col,
	    c->schema, id);
	if (mysql_query(c->admin, sql) != 0 ||
	    (res = mysql_store_result(c->admin)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(c->admin));
	out[0] = '\0';
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		snprintf(out, sizeof(out), "%s", row[0]);
	mysql_free_result(res);
	return out;
}

/*
 * A submission WAITING for its dependencies has no CR by design: the
 * LOST sweep after each list leaves its row alone.  When its dependency
 * ends FAILED, the dependencies task ends it DEPENDENCY_FAILED naming
 * the dependency, with no CR.
 */
START_TEST(test_monitor_deps_waiting)
{
	static const char dep[] = "c1-00000000000000000000000000000d01";
	static const char wid[] = "c1-00000000000000000000000000000d02";
	static char req[] = "{\"sparkVersion\":\"3.5.0\","
	    "\"mainApplicationFile\":\"local:///x.jar\","
	    "\"dependsOn\":[\"c1-00000000000000000000000000000d01\"]}";
	const char *deps[] = { dep };
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;
	struct bpg_errinfo ei = { "" };
	struct bpg_db_submission row;
	struct bpg_db_waiting w;
	struct bpg_db *check;
	struct ctx c;
	char yaml[1024], list[256];
	unsigned port;
	pid_t pid;
	int i, status;

	ctx_open(&c, "deps");
	snprintf(list, sizeof(list), "/tmp/bpgm-list-%ld.json",
	    (long)getpid());
	write_list(list, "deps-a", "10");
	pid = serve_lists(list, &port);
	snprintf(yaml, sizeof(yaml),
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 1, masterUrl: 'http://127.0.0.1:%u',\n"
	    "     sparkApplicationNamespace: ns, timeoutMillis: 5000,\n"
	    "     sparkVersions: ['3.5.0'],\n"
	    "     userTokenSOPS: 'plaintext:token-0123456789'}\n"
	    "dbStorageSOPS: {connectionString: '%s', user: bpg,\n"
	    "  password: bpg-test-pw, dbName: %s}\n", port, c.url, c.schema);
	ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &cfg, &cerr) ==
	    BPG_OK, "%s: %s", cerr.path, cerr.msg);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	ck_assert_msg(bpg_monitor_new(&o, &m, &ei) == BPG_OK, "%s", ei.msg);
	check = ctx_db(&c);
	for (i = 0; i < 100 && !has_row(check, "deps-a"); i++)
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert(bpg_monitor_leader(m));

	/* The dependency (just submitted, no state) and the waiting one. */
	memset(&row, 0, sizeof(row));
	row.submission_id = dep;
	row.user = "alice";
	ck_assert_msg(bpg_db_insert_submission(check, &row, &ei) == BPG_OK,
	    "%s", ei.msg);
	row.submission_id = wid;
	memset(&w, 0, sizeof(w));
	snprintf(w.owner, sizeof(w.owner), "alice");
	snprintf(w.policy, sizeof(w.policy), "allSucceeded");
	w.request = req;
	ck_assert_msg(bpg_db_deps_record(check, &row, &w, deps, 1, &ei) ==
	    BPG_OK, "%s", ei.msg);

	/* Lists and sweeps: still WAITING, never LOST. */
	for (i = 0; i < 3; i++) {
		bpg_monitor_resync(m);
		ck_assert_msg(bpg_monitor_step(m, 1100, &ei) == BPG_OK, "%s",
		    ei.msg);
	}
	ck_assert_str_eq(row_col(&c, "status", wid), "WAITING");
	ck_assert_str_eq(row_col(&c, "finished_time", wid), "");

	/* The dependency fails. */
	ck_assert_int_eq(bpg_db_monitor_finish(check, dep, "FAILED",
	    1800000000000LL, NULL, NULL, &ei), BPG_OK);
	for (i = 0; i < 50 && strcmp(row_col(&c, "status", wid),
	    "WAITING") == 0; i++)
		ck_assert_msg(bpg_monitor_step(m, 200, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert_str_eq(row_col(&c, "status", wid), "DEPENDENCY_FAILED");
	ck_assert_str_eq(row_col(&c, "error_message", wid),
	    "Dependency c1-00000000000000000000000000000d01 ended FAILED");
	ck_assert_str_ne(row_col(&c, "finished_time", wid), "");

	bpg_monitor_free(m);
	bpg_db_free(check);
	bpg_config_free(cfg);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	unlink(list);
	ctx_close(&c);
}
END_TEST

/*
 * Watch events after the lease was lost are not written either: the
 * callback's statement is refused by the fence and the leader then steps
 * down.
 */
START_TEST(test_monitor_lost_lock_events)
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;
	struct bpg_errinfo ei = { "" };
	struct bpg_db *check;
	struct ctx c;
	char yaml[1024], list[256], evpath[300], tmp[310];
	unsigned port;
	pid_t pid;
	int i, status;
	FILE *f;

	ctx_open(&c, "leadev");
	snprintf(list, sizeof(list), "/tmp/bpgm-list-%ld.json",
	    (long)getpid());
	snprintf(evpath, sizeof(evpath), "%s.event", list);
	unlink(evpath);
	write_list(list, "lead-a", "10");
	pid = serve_lists(list, &port);
	snprintf(yaml, sizeof(yaml),
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 1, masterUrl: 'http://127.0.0.1:%u',\n"
	    "     sparkApplicationNamespace: ns, timeoutMillis: 5000,\n"
	    "     userTokenSOPS: 'plaintext:token-0123456789'}\n"
	    "dbStorageSOPS: {connectionString: '%s', user: bpg,\n"
	    "  password: bpg-test-pw, dbName: %s}\n", port, c.url, c.schema);
	ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &cfg, &cerr) ==
	    BPG_OK, "%s: %s", cerr.path, cerr.msg);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	ck_assert_msg(bpg_monitor_new(&o, &m, &ei) == BPG_OK, "%s", ei.msg);
	check = ctx_db(&c);
	for (i = 0; i < 100 && !has_row(check, "lead-a"); i++)
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert(bpg_monitor_leader(m));

	/* The lease goes to another; then an event arrives. */
	steal_lease(&c);
	/* Renamed into place: the server never sees half of it. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", evpath);
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	fprintf(f, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{"
	    "\"name\":\"lead-c\",\"namespace\":\"ns\",\"uid\":\"u-c\","
	    "\"resourceVersion\":\"11\","
	    "\"creationTimestamp\":\"2020-11-25T21:48:56Z\"},"
	    "\"status\":{\"applicationState\":{\"state\":\"RUNNING\"}}}}\n");
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(rename(tmp, evpath), 0);
	for (i = 0; i < 100 && bpg_monitor_leader(m); i++)
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
	ck_assert(!bpg_monitor_leader(m));
	ck_assert_msg(!has_row(check, "lead-c"), "a leader without its lease "
	    "wrote a watch event");

	bpg_monitor_free(m);
	bpg_db_free(check);
	bpg_config_free(cfg);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	unlink(evpath);
	unlink(list);
	ctx_close(&c);
}
END_TEST

/* Without a database: no rows, and the lease is always ours. */
START_TEST(test_db_disabled)
{
	struct bpg_dbconf conf = { NULL, NULL, NULL, NULL, NULL, 0 };
	struct bpg_errinfo ei = { "" };
	struct bpg_db_app a;
	struct bpg_db *db = NULL;
	struct bpg_db_lease l;
	json_t *rows = NULL;

	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_state(db, "x", "RUNNING", NULL, &ei),
	    BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_read(db, "x", &a, &ei), BPG_OK);
	ck_assert(!a.found);
	ck_assert_int_eq(bpg_db_monitor_unfinished(db, "x-", &rows, &ei),
	    BPG_OK);
	ck_assert_uint_eq(json_array_size(rows), 0);
	json_decref(rows);
	ck_assert_int_eq(bpg_db_lease_acquire(db, "n", "me", 0, 1000, &l,
	    &ei), BPG_OK);
	ck_assert(l.held);
	ck_assert_int_eq(l.token, 1);
	ck_assert_int_eq(bpg_db_set_fence(db, "n", "me", 0, &ei), BPG_OK);
	ck_assert_int_eq(bpg_db_monitor_state(db, "x", "RUNNING", NULL, &ei),
	    BPG_OK);
	bpg_db_free(db);
}
END_TEST

/*
 * The starve task looks at an app still SUBMITTED (a GET of its CR) only
 * when its queue label names a queue with maxPendingMillis: the queue is
 * in the CR the list or the watch brought, so the thousands of apps of
 * other queues a catch-up lists cost no request each.  The app of queue
 * slow is looked at (the answer, a list, is no app: nothing moves); once
 * the step that looked at it has returned, that check has passed over
 * every app, and none of queue dev, or without a queue, was asked for.
 */
#define STARVE_N 20

START_TEST(test_monitor_starve_looks)
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;
	struct bpg_errinfo ei = { "" };
	struct ctx c;
	char yaml[1024], list[256], logp[300], id[64];
	char *log = NULL;
	size_t len;
	unsigned port;
	pid_t pid;
	FILE *f;
	int i, status;

	ctx_open(&c, "starve");
	snprintf(list, sizeof(list), "/tmp/bpgm-starve-%ld.json",
	    (long)getpid());
	snprintf(logp, sizeof(logp), "%s.log", list);
	unlink(logp);
	ck_assert_ptr_nonnull(f = fopen(list, "w"));
	fputs("{\"kind\":\"SparkApplicationList\",\"metadata\":{"
	    "\"resourceVersion\":\"10\"},\"items\":[", f);
	for (i = 0; i <= STARVE_N; i++)
		fprintf(f, "%s{\"metadata\":{\"name\":\"sv-%02d\","
		    "\"namespace\":\"ns\",\"uid\":\"u-%d\","
		    "\"creationTimestamp\":\"2020-11-25T21:48:56Z\""
		    "%s%s%s},\"status\":{\"applicationState\":{\"state\":"
		    "\"SUBMITTED\"}}}", i ? "," : "", i, i,
		    i % 2 == 0 ? ",\"labels\":{\"queue\":\"root." : "",
		    i % 2 == 0 ? (i == STARVE_N ? "slow" : "dev") : "",
		    i % 2 == 0 ? ".alice\"}" : "");
	fputs("]}", f);
	ck_assert_int_eq(fclose(f), 0);
	pid = serve_lists(list, &port);
	snprintf(yaml, sizeof(yaml),
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 1, masterUrl: 'http://127.0.0.1:%u',\n"
	    "     sparkApplicationNamespace: ns, timeoutMillis: 5000,\n"
	    "     userTokenSOPS: 'plaintext:token-0123456789'}\n"
	    "queues:\n"
	    "  - {name: dev}\n"
	    "  - {name: slow, maxPendingMillis: 1000}\n"
	    "dbStorageSOPS: {connectionString: '%s', user: bpg,\n"
	    "  password: bpg-test-pw, dbName: %s}\n", port, c.url, c.schema);
	ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &cfg, &cerr) ==
	    BPG_OK, "%s: %s", cerr.path, cerr.msg);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	ck_assert_msg(bpg_monitor_new(&o, &m, &ei) == BPG_OK, "%s", ei.msg);
	snprintf(id, sizeof(id), "/sv-%02d ", STARVE_N);
	for (i = 0; i < 1200; i++) {
		ck_assert_msg(bpg_monitor_step(m, 100, &ei) == BPG_OK, "%s",
		    ei.msg);
		free(log);
		if ((log = tu_slurp(logp, &len)) != NULL &&
		    strstr(log, id) != NULL)
			break;
	}
	ck_assert_msg(log != NULL && strstr(log, id) != NULL,
	    "the app of queue slow was never looked at");
	for (i = 0; i < STARVE_N; i++) {
		snprintf(id, sizeof(id), "/sv-%02d ", i);
		ck_assert_msg(strstr(log, id) == NULL, "sv-%02d (%s) was "
		    "looked at:\n%s", i, i % 2 ? "no queue" : "queue dev", log);
	}

	free(log);
	bpg_monitor_free(m);
	bpg_config_free(cfg);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	unlink(list);
	unlink(logp);
	ctx_close(&c);
}
END_TEST

/* ---- the daemon's set-up ------------------------------------------- */

START_TEST(test_monitor_new)
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_monitor_opts o;
	struct bpg_monitor *m = NULL;
	struct bpg_errinfo ei = { "" };
	static const char yaml[] =
	    "sparkClusters:\n"
	    "  - {id: c1, weight: 0, masterUrl: 'https://k:6443',\n"
	    "     sparkApplicationNamespace: ns, userTokenSOPS: "
	    "'plaintext:token-0123456789'}\n";

	ck_assert_msg(bpg_config_parse(yaml, strlen(yaml), &cfg, &cerr) ==
	    BPG_OK, "%s: %s", cerr.path, cerr.msg);
	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	ck_assert_int_eq(bpg_monitor_new(&o, &m, &ei), BPG_ECONFIG);
	ck_assert_ptr_null(m);
	ck_assert_ptr_nonnull(strstr(ei.msg, "weight"));
	o.cfg = NULL;
	ck_assert_int_eq(bpg_monitor_new(&o, &m, &ei), BPG_EINVAL);
	bpg_monitor_free(NULL);
	bpg_config_free(cfg);
}
END_TEST

static Suite *
monitor_suite(void)
{
	Suite *s = suite_create("monitor");
	TCase *tc;

	tc = tcase_create("quantities");
	tcase_add_loop_test(tc, test_quantity, 0, TU_NROWS(quantities));
	tcase_add_test(tc, test_quantity_exact);
	suite_add_tcase(s, tc);

	tc = tcase_create("objects");
	tcase_add_test(tc, test_app_full);
	tcase_add_test(tc, test_app_minimal);
	tcase_add_loop_test(tc, test_app_bad, 0, TU_NROWS(bad_apps));
	tcase_add_test(tc, test_app_long_name);
	tcase_add_loop_test(tc, test_app_bad_fields, 0, TU_NROWS(bad_fields));
	tcase_add_loop_test(tc, test_app_max_running, 0, TU_NROWS(max_running));
	tcase_add_test(tc, test_pod);
	suite_add_tcase(s, tc);

	tc = tcase_create("decisions");
	tcase_add_loop_test(tc, test_terminal, 0, TU_NROWS(terminals));
	tcase_add_loop_test(tc, test_decide, 0, TU_NROWS(decisions));
	tcase_add_test(tc, test_known_apply);
	suite_add_tcase(s, tc);

	tc = tcase_create("watch");
	tcase_add_loop_test(tc, test_line, 0, TU_NROWS(lines));
	tcase_add_test(tc, test_line_limits);
	tcase_add_loop_test(tc, test_stream, 0, TU_NROWS(streams));
	tcase_add_test(tc, test_stream_stop);
	suite_add_tcase(s, tc);

	tc = tcase_create("database");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_db_lifecycle);
	tcase_add_test(tc, test_db_foreign_and_prices);
	tcase_add_test(tc, test_db_unfinished);
	tcase_add_test(tc, test_monitor_lost_lock);
	tcase_add_test(tc, test_monitor_lost_lock_events);
	tcase_add_test(tc, test_monitor_late_renewal);
	tcase_add_test(tc, test_monitor_sched_clock);
	tcase_add_test(tc, test_monitor_deps_waiting);
	tcase_add_test(tc, test_db_disabled);
	tcase_add_test(tc, test_monitor_new);
	tcase_add_test(tc, test_monitor_page);
	tcase_add_test(tc, test_monitor_starve_looks);
	tcase_add_test(tc, test_db_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = tu_run(monitor_suite());
	mysql_library_end();
	curl_global_cleanup();
	return rc;
}
