/*
 * The simulated spark-operator (kubeflow/spark-operator v2), kubelet and
 * garbage collector of a cluster.  Every tick moves each application one
 * step through the operator's state machine
 *
 *   "" -> SUBMITTED -> RUNNING -> SUCCEEDING -> COMPLETED
 *                              -> FAILING -> FAILED
 *   "" -> SUBMISSION_FAILED
 *
 * writing status the way the operator does (applicationState, driverInfo,
 * sparkApplicationId, submissionAttempts, executionAttempts,
 * lastSubmissionAttemptTime, terminationTime, executorState) through the
 * status subresource, so metadata.generation does not change.  The driver
 * pod "<app>-driver" follows Pending -> Running -> Succeeded/Failed and
 * writes a SparkPi log; events are recorded for the application (by
 * "spark-operator") and for the pod (by the scheduler and the kubelet).
 * All functions expect ks->mu held.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubesim.h"

#define ST_NEW			""
#define ST_SUBMITTED		"SUBMITTED"
#define ST_RUNNING		"RUNNING"
#define ST_SUCCEEDING		"SUCCEEDING"
#define ST_FAILING		"FAILING"
#define ST_COMPLETED		"COMPLETED"
#define ST_FAILED		"FAILED"
#define ST_SUBMISSION_FAILED	"SUBMISSION_FAILED"

#define MAX_EXECUTORS		16

/* Defaults: every application completes, a step per tick. */
void
ks_sim_opcfg_reset(struct ks_opcfg *op)
{
	json_decref(op->apps);
	memset(op, 0, sizeof(*op));
	strcpy(op->outcome, "COMPLETED");
	op->apps = json_object();
	op->submit_ticks = 1;
	op->pending_ticks = 1;
	op->run_ticks = 2;
}

int
ks_event(struct ks_cluster *cl, const json_t *obj, const char *type,
    const char *reason, const char *component, const char *fmt, ...)
{
	char now[32], name[512], uid[40], *msg = NULL;
	const char *ns = ks_meta_str(obj, "namespace");
	const char *oname = ks_meta_str(obj, "name");
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	const char *apiv = json_string_value(json_object_get(obj,
	    "apiVersion"));
	const char *ouid = ks_meta_str(obj, "uid");
	const char *orv = ks_meta_str(obj, "resourceVersion");
	long long wall = ks_wall_ms();
	json_t *ev, *io, *src;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	ks_rfc3339(now, sizeof(now), wall);
	ks_uuid(uid);
	/* Like the event recorder: "<object>.<hex of a nanosecond clock>". */
	snprintf(name, sizeof(name), "%s.%016llx", oname ? oname : "unknown",
	    (unsigned long long)(wall * 1000000LL + (long long)(++cl->serial
	    % 1000000)));
	io = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kind",
	    kind ? kind : "", "namespace", ns ? ns : "", "name",
	    oname ? oname : "", "uid", ouid ? ouid : "", "apiVersion",
	    apiv ? apiv : "", "resourceVersion", orv ? orv : "");
	if (io != NULL && kind != NULL && strcmp(kind, "Pod") == 0 &&
	    strcmp(component, "kubelet") == 0)
		json_object_set_new(io, "fieldPath",
		    json_string("spec.containers{" KS_DRIVER_CONTAINER "}"));
	src = json_pack("{s:s}", "component", component);
	if (src != NULL && strcmp(component, "kubelet") == 0)
		json_object_set_new(src, "host", json_string(KS_NODE_NAME));
	ev = json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:o, s:s, s:s,"
	    " s:o, s:s, s:s, s:i, s:s, s:n, s:s, s:s}",
	    "kind", "Event", "apiVersion", "v1",
	    "metadata", "name", name, "namespace", ns ? ns : "", "uid", uid,
	    "creationTimestamp", now,
	    "involvedObject", io,
	    "reason", reason, "message", msg,
	    "source", src,
	    "firstTimestamp", now, "lastTimestamp", now, "count", 1,
	    "type", type, "eventTime",
	    "reportingComponent", component, "reportingInstance", "");
	free(msg);
	if (ev == NULL)
		return -1;
	return ks_add(cl, KS_EVENT, ev);
}

/* ---- driver logs --------------------------------------------------------- */

static void log_line(struct ks_cluster *, const char *, const char *,
    const char *, ...) __attribute__((format(printf, 4, 5)));

/* Lines are stored as "<RFC 3339 nano timestamp> <text>". */
static void
log_line(struct ks_cluster *cl, const char *ns, const char *pod,
    const char *fmt, ...)
{
	char ts[48], spark[32], *text = NULL, *line = NULL, *key;
	long long wall = ks_wall_ms();
	time_t t = (time_t)(wall / 1000);
	struct tm tm;
	json_t *arr;
	va_list ap;
	int n;

	if ((key = ks_key(ns, pod)) == NULL)
		return;
	if ((arr = json_object_get(cl->logs, key)) == NULL) {
		arr = json_array();
		if (arr == NULL || json_object_set_new(cl->logs, key, arr)) {
			free(key);
			return;
		}
	}
	free(key);
	if (json_array_size(arr) >= KS_MAX_LOG_LINES)
		return;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	ks_rfc3339nano(ts, sizeof(ts), wall);
	gmtime_r(&t, &tm);
	/* log4j's "yy/MM/dd HH:mm:ss": the year without its century. */
	strftime(spark, sizeof(spark), "%Y/%m/%d %H:%M:%S", &tm);
	/* "@" stands for the log4j time stamp of Spark's own lines. */
	if (text[0] == '@')
		n = asprintf(&line, "%s %s%s", ts, spark + 2, text + 1);
	else
		n = asprintf(&line, "%s %s", ts, text);
	free(text);
	if (n < 0)
		return;
	json_array_append_new(arr, json_string(line));
	free(line);
	pthread_cond_broadcast(&cl->ks->cv);
}

/* ---- helpers ------------------------------------------------------------- */

static const char *
app_state(const json_t *app)
{
	const char *s = json_string_value(json_object_get(json_object_get(
	    json_object_get(app, "status"), "applicationState"), "state"));

	return s != NULL ? s : ST_NEW;
}

static json_t *
spec_get(const json_t *app, const char *a, const char *b)
{
	json_t *v = json_object_get(json_object_get(app, "spec"), a);

	return b != NULL ? json_object_get(v, b) : v;
}

static const char *
spec_str(const json_t *app, const char *a, const char *b, const char *def)
{
	const char *s = json_string_value(spec_get(app, a, b));

	return s != NULL ? s : def;
}

/* Spark memory ("512m", "2g", "1024") in MiB; -1 if unreadable. */
static long long
spark_mib(const char *s)
{
	char *end;
	double v;

	if (s == NULL)
		return -1;
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		return (long long)(v / 1024);
	case '\0':
	case 'm':
	case 'M':
		return (long long)v;
	case 'g':
	case 'G':
		return (long long)(v * 1024);
	case 't':
	case 'T':
		return (long long)(v * 1024 * 1024);
	default:
		return -1;
	}
}

static json_t *
driver_resources(const json_t *app)
{
	const json_t *cores = spec_get(app, "driver", "cores");
	const char *req = spec_str(app, "driver", "coreRequest", NULL);
	const char *lim = spec_str(app, "driver", "coreLimit", NULL);
	const char *type = spec_str(app, "type", NULL, "Scala");
	long long mem = spark_mib(spec_str(app, "driver", "memory", "1g"));
	long long over = spark_mib(spec_str(app, "driver", "memoryOverhead",
	    NULL));
	double factor = (!strcmp(type, "Python") || !strcmp(type, "R")) ?
	    0.4 : 0.1;
	char cpu[32], memq[32];
	json_t *r;

	if (mem < 0)
		mem = 1024;
	/* Spark on Kubernetes: overhead max(factor * memory, 384 MiB). */
	if (over < 0)
		over = (long long)fmax(factor * (double)mem, 384.0);
	if (req != NULL)
		snprintf(cpu, sizeof(cpu), "%s", req);
	else
		snprintf(cpu, sizeof(cpu), "%lld", json_is_integer(cores) ?
		    (long long)json_integer_value(cores) : 1LL);
	snprintf(memq, sizeof(memq), "%lldMi", mem + over);
	r = json_pack("{s:{s:s, s:s}, s:{s:s}}", "requests", "cpu", cpu,
	    "memory", memq, "limits", "memory", memq);
	if (r != NULL && lim != NULL)
		json_object_set_new(json_object_get(r, "limits"), "cpu",
		    json_string(lim));
	return r;
}

static json_t *
driver_pod(struct ks_cluster *cl, const json_t *app, const char *appid,
    const char *subid)
{
	const char *ns = ks_meta_str(app, "namespace");
	const char *name = ks_meta_str(app, "name");
	const char *image = spec_str(app, "driver", "image",
	    spec_str(app, "image", NULL, "spark:3.5.0"));
	const char *sa = spec_str(app, "driver", "serviceAccount", "default");
	const char *ver = spec_str(app, "sparkVersion", NULL, "");
	char pod[512], uid[40], now[32];
	json_t *labels, *args, *p, *a, *extra;
	const char *k;
	size_t i;

	snprintf(pod, sizeof(pod), "%s-driver", name);
	ks_uuid(uid);
	ks_rfc3339(now, sizeof(now), ks_wall_ms());
	labels = json_object();
	if ((extra = spec_get(app, "driver", "labels")) != NULL)
		json_object_update(labels, extra);
	json_object_set_new(labels, "spark-app-name", json_string(name));
	json_object_set_new(labels, "spark-app-selector", json_string(appid));
	json_object_set_new(labels, "spark-role", json_string("driver"));
	json_object_set_new(labels, "spark-version", json_string(ver));
	json_object_set_new(labels, "sparkoperator.k8s.io/app-name",
	    json_string(name));
	json_object_set_new(labels,
	    "sparkoperator.k8s.io/launched-by-spark-operator",
	    json_string("true"));
	json_object_set_new(labels, "sparkoperator.k8s.io/submission-id",
	    json_string(subid));
	args = json_pack("[s, s, s]", "driver", "--properties-file",
	    "/opt/spark/conf/spark.properties");
	if ((k = spec_str(app, "mainClass", NULL, NULL)) != NULL) {
		json_array_append_new(args, json_string("--class"));
		json_array_append_new(args, json_string(k));
	}
	json_array_append_new(args, json_string(spec_str(app,
	    "mainApplicationFile", NULL, "")));
	json_array_foreach(spec_get(app, "arguments", NULL), i, a)
		if (json_is_string(a))
			json_array_append(args, a);
	p = json_pack("{s:s, s:s,"
	    " s:{s:s, s:s, s:s, s:s, s:o, s:[{s:s, s:s, s:s, s:s, s:b, s:b}]},"
	    " s:{s:[{s:s, s:s, s:s, s:o, s:[{s:i, s:s, s:s}, {s:i, s:s, s:s},"
	    " {s:i, s:s, s:s}], s:o}], s:s, s:s, s:s, s:s, s:s, s:i},"
	    " s:{s:s, s:s, s:[{s:s, s:s, s:n, s:s}]}}",
	    "kind", "Pod", "apiVersion", "v1",
	    "metadata", "name", pod, "namespace", ns, "uid", uid,
	    "creationTimestamp", now, "labels", labels,
	    "ownerReferences", "apiVersion", ks_res[KS_APP].apiversion,
	    "kind", ks_res[KS_APP].kind, "name", name, "uid",
	    ks_meta_str(app, "uid") ? ks_meta_str(app, "uid") : "",
	    "controller", 1, "blockOwnerDeletion", 1,
	    "spec", "containers", "name", KS_DRIVER_CONTAINER, "image", image,
	    "imagePullPolicy", "IfNotPresent", "args", args, "ports",
	    "containerPort", 7078, "name", "driver-rpc-port", "protocol", "TCP",
	    "containerPort", 7079, "name", "blockmanager", "protocol", "TCP",
	    "containerPort", 4040, "name", "spark-ui", "protocol", "TCP",
	    "resources", driver_resources(app),
	    "restartPolicy", "Never", "serviceAccountName", sa,
	    "serviceAccount", sa, "nodeName", KS_NODE_NAME,
	    "schedulerName", "default-scheduler",
	    "terminationGracePeriodSeconds", 30,
	    "status", "phase", "Pending", "qosClass", "Burstable",
	    "conditions", "type", "PodScheduled", "status", "True",
	    "lastProbeTime", "lastTransitionTime", now);
	(void)cl;
	return p;
}

/* Set status of a copy of pod and store it. */
static void
pod_phase(struct ks_cluster *cl, const json_t *pod, const char *phase,
    int exit_code)
{
	char now[32], cid[80], hex[65];
	const char *started;
	json_t *np, *st, *cs, *state;
	int running = strcmp(phase, "Running") == 0;
	int ended = !running && strcmp(phase, "Pending") != 0;

	if ((np = json_deep_copy(pod)) == NULL)
		return;
	ks_rfc3339(now, sizeof(now), ks_wall_ms());
	ks_hex(&cl->rng, hex, 64);
	snprintf(cid, sizeof(cid), "containerd://%s", hex);
	st = json_object_get(np, "status");
	json_object_set_new(st, "phase", json_string(phase));
	started = json_string_value(json_object_get(st, "startTime"));
	if (started == NULL) {
		json_object_set_new(st, "startTime", json_string(now));
		json_object_set_new(st, "hostIP", json_string("10.0.0.1"));
		json_object_set_new(st, "podIP", json_string("10.244.0.7"));
		started = now;
	}
	if (running)
		state = json_pack("{s:{s:s}}", "running", "startedAt", now);
	else
		state = json_pack("{s:{s:i, s:s, s:s, s:s, s:s}}",
		    "terminated", "exitCode", exit_code, "reason",
		    exit_code == 0 ? "Completed" : "Error", "startedAt",
		    started, "finishedAt", now, "containerID", cid);
	cs = json_pack("[{s:s, s:o, s:b, s:i, s:s, s:s, s:s, s:b}]",
	    "name", KS_DRIVER_CONTAINER, "state", state, "ready", running,
	    "restartCount", 0, "image", json_string_value(json_object_get(
	    json_array_get(json_object_get(json_object_get(np, "spec"),
	    "containers"), 0), "image")) ? json_string_value(json_object_get(
	    json_array_get(json_object_get(json_object_get(np, "spec"),
	    "containers"), 0), "image")) : "", "imageID", "", "containerID",
	    cid, "started", running);
	json_object_set_new(st, "containerStatuses", cs);
	json_object_set_new(st, "conditions", json_pack("[{s:s, s:s, s:s},"
	    " {s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]",
	    "type", "Initialized", "status", "True", "lastTransitionTime",
	    now, "type", "Ready", "status", running ? "True" : "False",
	    "lastTransitionTime", now, "type", "ContainersReady", "status",
	    running ? "True" : "False", "lastTransitionTime", now,
	    "type", "PodScheduled", "status", "True", "lastTransitionTime",
	    now));
	if (ended) {
		json_t *c = json_array_get(json_object_get(st, "conditions"),
		    1);

		json_object_set_new(c, "reason", json_string("PodCompleted"));
	}
	(void)ks_replace(cl, KS_POD, np);
}

/* Write status fields (stolen) into a copy of app and store it. */
static void
app_status(struct ks_cluster *cl, const json_t *app, json_t *fields)
{
	json_t *na, *st;

	if (fields == NULL || (na = json_deep_copy(app)) == NULL) {
		json_decref(fields);
		return;
	}
	if ((st = json_object_get(na, "status")) == NULL) {
		st = json_object();
		json_object_set_new(na, "status", st);
	}
	json_object_update(st, fields);
	json_decref(fields);
	(void)ks_replace(cl, KS_APP, na);
}

static json_t *
app_state_obj(const char *state, const char *err)
{
	if (err != NULL)
		return json_pack("{s:s, s:s}", "state", state, "errorMessage",
		    err);
	return json_pack("{s:s}", "state", state);
}

static json_t *
executor_state(const json_t *app, const char *state)
{
	const json_t *inst = spec_get(app, "executor", "instances");
	json_int_t n = json_is_integer(inst) ? json_integer_value(inst) : 1;
	json_t *m = json_object();
	char name[512];
	json_int_t i;

	if (n > MAX_EXECUTORS)
		n = MAX_EXECUTORS;
	for (i = 1; i <= n && m != NULL; i++) {
		snprintf(name, sizeof(name), "%s-exec-%lld",
		    ks_meta_str(app, "name"), (long long)i);
		json_object_set_new(m, name, json_string(state));
	}
	return m;
}

static const char *
outcome_for(const struct ks_cluster *cl, const json_t *app)
{
	const char *o = json_string_value(json_object_get(cl->op.apps,
	    ks_meta_str(app, "name")));

	return o != NULL ? o : cl->op.outcome;
}

static json_t *
opstate_for(struct ks_cluster *cl, const json_t *app)
{
	const char *uid = ks_meta_str(app, "uid");
	json_t *st;
	char *key;

	if ((key = ks_key(ks_meta_str(app, "namespace"),
	    ks_meta_str(app, "name"))) == NULL)
		return NULL;
	st = json_object_get(cl->opstate, key);
	if (st == NULL || !json_equal(json_object_get(st, "uid"),
	    json_object_get(json_object_get(app, "metadata"), "uid"))) {
		st = json_pack("{s:s, s:i, s:I}", "uid", uid ? uid : "",
		    "ticks", 0, "termMs", (json_int_t)0);
		if (st == NULL || json_object_set_new(cl->opstate, key, st)) {
			free(key);
			return NULL;
		}
	}
	free(key);
	return st;
}

void
ks_sim_app_created(struct ks_cluster *cl, json_t *app)
{
	(void)opstate_for(cl, app);
}

static void
set_ticks(json_t *st, int n)
{
	json_object_set_new(st, "ticks", json_integer(n));
}

static void
start_log(struct ks_cluster *cl, const json_t *app, const char *ns,
    const char *pod)
{
	const char *name = ks_meta_str(app, "name");
	const char *ver = spec_str(app, "sparkVersion", NULL, "3.5.0");

	log_line(cl, ns, pod, "++ id -u");
	log_line(cl, ns, pod, "+ myuid=185");
	log_line(cl, ns, pod, "+ exec /usr/bin/tini -s -- "
	    "/opt/spark/bin/spark-submit --deploy-mode client "
	    "--properties-file /opt/spark/conf/spark.properties");
	log_line(cl, ns, pod, "@ INFO SparkContext: Running Spark version %s",
	    ver);
	log_line(cl, ns, pod, "@ INFO SparkContext: Submitted application: "
	    "Spark Pi");
	log_line(cl, ns, pod, "@ INFO Utils: Successfully started service "
	    "'SparkUI' on port 4040.");
	log_line(cl, ns, pod, "@ INFO SparkUI: Bound SparkUI to 0.0.0.0, and "
	    "started at http://%s-ui-svc.%s.svc:4040", name, ns);
	log_line(cl, ns, pod, "@ INFO SparkContext: Starting job: reduce at "
	    "SparkPi.scala:38");
}

static void
finish_log(struct ks_cluster *cl, const char *ns, const char *pod, int ok)
{
	if (ok) {
		log_line(cl, ns, pod, "@ INFO DAGScheduler: Job 0 finished: "
		    "reduce at SparkPi.scala:38, took %.6f s",
		    1 + ks_rand01(&cl->rng));
		log_line(cl, ns, pod, "Pi is roughly %.16f",
		    3.14 + ks_rand01(&cl->rng) * 0.003);
		log_line(cl, ns, pod, "@ INFO SparkContext: Successfully "
		    "stopped SparkContext");
		log_line(cl, ns, pod, "@ INFO ShutdownHookManager: Shutdown "
		    "hook called");
		return;
	}
	log_line(cl, ns, pod, "@ ERROR SparkContext: Error running job");
	log_line(cl, ns, pod, "Exception in thread \"main\" "
	    "java.lang.RuntimeException: simulated failure");
	log_line(cl, ns, pod, "\tat org.apache.spark.examples.SparkPi$.main"
	    "(SparkPi.scala:40)");
	log_line(cl, ns, pod, "@ INFO ShutdownHookManager: Shutdown hook "
	    "called");
}

static void
ts_now(char *buf, size_t len)
{
	ks_rfc3339(buf, len, ks_wall_ms());
}

static void
step_new(struct ks_cluster *cl, const json_t *app, json_t *st, int ticks,
    const char *outcome)
{
	const char *ns = ks_meta_str(app, "namespace");
	const char *name = ks_meta_str(app, "name");
	char now[32], hex[33], appid[40], subid[40], pod[512], svc[512];
	char msg[1024];
	json_t *p;

	if (ticks < cl->op.submit_ticks)
		return;
	set_ticks(st, 0);
	ts_now(now, sizeof(now));
	if (strcmp(outcome, ST_SUBMISSION_FAILED) == 0) {
		snprintf(msg, sizeof(msg), "%s", cl->op.error_message[0] ?
		    cl->op.error_message : "failed to run spark-submit: "
		    "exit status 1");
		json_object_set_new(st, "termMs", json_integer(ks_now_ms()));
		app_status(cl, app, json_pack("{s:o, s:i, s:s, s:s, s:{}}",
		    "applicationState", app_state_obj(ST_SUBMISSION_FAILED,
		    msg), "submissionAttempts", 1,
		    "lastSubmissionAttemptTime", now, "terminationTime", now,
		    "driverInfo"));
		(void)ks_event(cl, app, "Warning",
		    "SparkApplicationSubmissionFailed", "spark-operator",
		    "failed to submit SparkApplication %s: %s", name, msg);
		return;
	}
	ks_hex(&cl->rng, hex, 32);
	snprintf(appid, sizeof(appid), "spark-%s", hex);
	ks_uuid(subid);
	snprintf(pod, sizeof(pod), "%s-driver", name);
	snprintf(svc, sizeof(svc), "%s-ui-svc", name);
	if ((p = driver_pod(cl, app, appid, subid)) != NULL &&
	    ks_get(cl, KS_POD, ns, pod) == NULL) {
		if (ks_add(cl, KS_POD, p) == 0) {
			p = ks_get(cl, KS_POD, ns, pod);
			(void)ks_event(cl, p, "Normal", "Scheduled",
			    "default-scheduler", "Successfully assigned %s/%s "
			    "to %s", ns, pod, KS_NODE_NAME);
		}
	} else
		json_decref(p);
	app_status(cl, app, json_pack("{s:o, s:s, s:s, s:i, s:s,"
	    " s:{s:s, s:s, s:i, s:s}}",
	    "applicationState", app_state_obj(ST_SUBMITTED, NULL),
	    "sparkApplicationId", appid, "submissionID", subid,
	    "submissionAttempts", 1, "lastSubmissionAttemptTime", now,
	    "driverInfo", "podName", pod, "webUIServiceName", svc,
	    "webUIPort", 4040, "webUIAddress", "10.96.0.10:4040"));
	(void)ks_event(cl, app, "Normal", "SparkApplicationSubmitted",
	    "spark-operator", "SparkApplication %s was submitted "
	    "successfully", name);
}

/* The driver pod vanished: what the operator reports. */
static void
driver_lost(struct ks_cluster *cl, const json_t *app, json_t *st)
{
	char now[32];

	ts_now(now, sizeof(now));
	set_ticks(st, 0);
	app_status(cl, app, json_pack("{s:o, s:s}", "applicationState",
	    app_state_obj(ST_FAILING, "driver pod not found"),
	    "terminationTime", now));
	(void)ks_event(cl, app, "Warning", "SparkDriverFailed",
	    "spark-operator", "Driver %s-driver failed: driver pod not found",
	    ks_meta_str(app, "name"));
}

static void
step_submitted(struct ks_cluster *cl, const json_t *app, json_t *st,
    int ticks, const char *outcome, const json_t *pod)
{
	const char *ns = ks_meta_str(app, "namespace");
	char pname[512];
	json_t *ex, *p;
	const char *k;
	json_t *v;

	if (pod == NULL) {
		driver_lost(cl, app, st);
		return;
	}
	if (strcmp(outcome, "PENDING") == 0 || ticks < cl->op.pending_ticks)
		return;
	set_ticks(st, 0);
	/* pod may be freed once replaced: keep its name. */
	snprintf(pname, sizeof(pname), "%s", ks_meta_str(pod, "name"));
	pod_phase(cl, pod, "Running", 0);
	p = ks_get(cl, KS_POD, ns, pname);
	if (p != NULL) {
		(void)ks_event(cl, p, "Normal", "Pulled", "kubelet",
		    "Container image \"%s\" already present on machine",
		    json_string_value(json_object_get(json_array_get(
		    json_object_get(json_object_get(p, "spec"), "containers"),
		    0), "image")));
		(void)ks_event(cl, p, "Normal", "Created", "kubelet",
		    "Created container " KS_DRIVER_CONTAINER);
		(void)ks_event(cl, p, "Normal", "Started", "kubelet",
		    "Started container " KS_DRIVER_CONTAINER);
	}
	start_log(cl, app, ns, pname);
	ex = executor_state(app, "RUNNING");
	app_status(cl, app, json_pack("{s:o, s:i, s:O}", "applicationState",
	    app_state_obj(ST_RUNNING, NULL), "executionAttempts", 1,
	    "executorState", ex));
	(void)ks_event(cl, app, "Normal", "SparkDriverRunning",
	    "spark-operator", "Driver %s is running", pname);
	json_object_foreach(ex, k, v)
		(void)ks_event(cl, app, "Normal", "SparkExecutorRunning",
		    "spark-operator", "Executor %s is running", k);
	json_decref(ex);
}

static void
step_running(struct ks_cluster *cl, const json_t *app, json_t *st,
    int ticks, const char *outcome, const json_t *pod)
{
	const char *ns = ks_meta_str(app, "namespace");
	char now[32], err[512], pname[512];
	int fail;

	if (pod == NULL) {
		driver_lost(cl, app, st);
		return;
	}
	snprintf(pname, sizeof(pname), "%s", ks_meta_str(pod, "name"));
	log_line(cl, ns, pname, "@ INFO TaskSetManager: Finished task %d.0 "
	    "in stage 0.0 (TID %d) in %d ms on 10.244.0.8 (executor 1) "
	    "(%d/%d)", ticks - 1, ticks - 1, 100 + ticks * 7, ticks,
	    cl->op.run_ticks > ticks ? cl->op.run_ticks : ticks);
	if (strcmp(outcome, "RUNNING") == 0 || ticks < cl->op.run_ticks)
		return;
	set_ticks(st, 0);
	ts_now(now, sizeof(now));
	fail = strcmp(outcome, ST_FAILED) == 0;
	finish_log(cl, ns, pname, !fail);
	pod_phase(cl, pod, fail ? "Failed" : "Succeeded", fail ? 1 : 0);
	if (fail) {
		snprintf(err, sizeof(err), "%s", cl->op.error_message[0] ?
		    cl->op.error_message : "driver container failed with "
		    "ExitCode: 1, Reason: Error");
		app_status(cl, app, json_pack("{s:o, s:o, s:s}",
		    "applicationState", app_state_obj(ST_FAILING, err),
		    "executorState", executor_state(app, "FAILED"),
		    "terminationTime", now));
		(void)ks_event(cl, app, "Warning", "SparkDriverFailed",
		    "spark-operator", "Driver %s failed: %s", pname, err);
		return;
	}
	app_status(cl, app, json_pack("{s:o, s:o, s:s}", "applicationState",
	    app_state_obj(ST_SUCCEEDING, NULL), "executorState",
	    executor_state(app, "COMPLETED"), "terminationTime", now));
	(void)ks_event(cl, app, "Normal", "SparkDriverCompleted",
	    "spark-operator", "Driver %s completed", pname);
}

static void
step_ending(struct ks_cluster *cl, const json_t *app, json_t *st,
    int failed)
{
	const char *err = json_string_value(json_object_get(json_object_get(
	    json_object_get(app, "status"), "applicationState"),
	    "errorMessage"));
	const char *name = ks_meta_str(app, "name");

	set_ticks(st, 0);
	json_object_set_new(st, "termMs", json_integer(ks_now_ms()));
	if (failed) {
		app_status(cl, app, json_pack("{s:o}", "applicationState",
		    app_state_obj(ST_FAILED, err ? err : "")));
		(void)ks_event(cl, app, "Warning", "SparkApplicationFailed",
		    "spark-operator", "SparkApplication %s failed: %s", name,
		    err ? err : "");
		return;
	}
	app_status(cl, app, json_pack("{s:o}", "applicationState",
	    app_state_obj(ST_COMPLETED, NULL)));
	(void)ks_event(cl, app, "Normal", "SparkApplicationCompleted",
	    "spark-operator", "SparkApplication %s completed", name);
}

/* spec.timeToLiveSeconds after termination: the operator deletes. */
static void
step_terminal(struct ks_cluster *cl, const json_t *app, json_t *st)
{
	const json_t *ttl = spec_get(app, "timeToLiveSeconds", NULL);
	json_int_t term = json_integer_value(json_object_get(st, "termMs"));
	char *key;

	if (!json_is_integer(ttl))
		return;
	if (term == 0) {
		json_object_set_new(st, "termMs", json_integer(ks_now_ms()));
		return;
	}
	if ((double)(ks_now_ms() - term) < (double)json_integer_value(ttl) *
	    1000.0 * cl->ks->ttl_scale)
		return;
	key = ks_key(ks_meta_str(app, "namespace"), ks_meta_str(app, "name"));
	(void)ks_remove(cl, KS_APP, ks_meta_str(app, "namespace"),
	    ks_meta_str(app, "name"), NULL);
	if (key != NULL)
		json_object_del(cl->opstate, key);
	free(key);
}

static void
step_app(struct ks_cluster *cl, const json_t *app)
{
	const char *state = app_state(app);
	const char *ns = ks_meta_str(app, "namespace");
	const json_t *pod;
	json_t *st;
	char pname[512];
	int ticks;

	if ((st = opstate_for(cl, app)) == NULL)
		return;
	ticks = (int)json_integer_value(json_object_get(st, "ticks")) + 1;
	set_ticks(st, ticks);
	snprintf(pname, sizeof(pname), "%s-driver", ks_meta_str(app, "name"));
	pod = ks_get(cl, KS_POD, ns, pname);
	if (strcmp(state, ST_NEW) == 0)
		step_new(cl, app, st, ticks, outcome_for(cl, app));
	else if (strcmp(state, ST_SUBMITTED) == 0)
		step_submitted(cl, app, st, ticks, outcome_for(cl, app), pod);
	else if (strcmp(state, ST_RUNNING) == 0)
		step_running(cl, app, st, ticks, outcome_for(cl, app), pod);
	else if (strcmp(state, ST_SUCCEEDING) == 0)
		step_ending(cl, app, st, 0);
	else if (strcmp(state, ST_FAILING) == 0)
		step_ending(cl, app, st, 1);
	else if (strcmp(state, ST_COMPLETED) == 0 ||
	    strcmp(state, ST_FAILED) == 0 ||
	    strcmp(state, ST_SUBMISSION_FAILED) == 0)
		step_terminal(cl, app, st);
}

/* The kubelet ends terminating pods; the garbage collector removes pods
 * whose owner is gone (background propagation). */
static void
pods_tick(struct ks_cluster *cl)
{
	json_t *pods, *p, *a, *uids, *ref;
	const char *uid, *key;
	size_t i, j;
	int owned;

	/* Once a tick for every cluster: no work for a cluster of many
	 * applications and no pods (a frozen operator's). */
	if (json_object_size(cl->objs[KS_POD]) == 0 ||
	    (pods = ks_list(cl, KS_POD, NULL)) == NULL)
		return;
	if ((uids = json_object()) != NULL)
		json_object_foreach(cl->objs[KS_APP], key, a)
			if ((uid = ks_meta_str(a, "uid")) != NULL)
				json_object_set_new(uids, uid, json_true());
	json_array_foreach(pods, i, p) {
		const char *ns = ks_meta_str(p, "namespace");
		const char *name = ks_meta_str(p, "name");

		if (ks_meta_str(p, "deletionTimestamp") != NULL) {
			(void)ks_remove(cl, KS_POD, ns, name, NULL);
			continue;
		}
		owned = 0;
		json_array_foreach(json_object_get(json_object_get(p,
		    "metadata"), "ownerReferences"), j, ref) {
			uid = json_string_value(json_object_get(ref, "uid"));
			if (uid == NULL)
				continue;
			owned = owned ? owned : 1;
			if (json_object_get(uids, uid) != NULL)
				owned = 2;
		}
		if (owned == 1)
			(void)ks_remove(cl, KS_POD, ns, name, NULL);
	}
	json_decref(uids);
	json_decref(pods);
}

void
ks_sim_tick(struct ks_cluster *cl, int force)
{
	json_t *apps, *a;
	size_t i;

	pods_tick(cl);
	if (cl->op.frozen && !force)
		return;
	if ((apps = ks_list(cl, KS_APP, NULL)) == NULL)
		return;
	json_array_foreach(apps, i, a)
		step_app(cl, a);
	json_decref(apps);
}

long long
ks_sim_commits(struct ks_cluster *cl)
{
	long long now = ks_now_ms(), due, next = 0;
	json_t *p, *obj;
	size_t i = 0;

	while (i < json_array_size(cl->pending)) {
		p = json_array_get(cl->pending, i);
		due = json_integer_value(json_object_get(p, "due"));
		if (due > now) {
			if (next == 0 || due < next)
				next = due;
			i++;
			continue;
		}
		obj = json_object_get(p, "obj");
		if (ks_get(cl, KS_APP, ks_meta_str(obj, "namespace"),
		    ks_meta_str(obj, "name")) == NULL &&
		    ks_add(cl, KS_APP, json_incref(obj)) == 0)
			ks_sim_app_created(cl, ks_get(cl, KS_APP,
			    ks_meta_str(obj, "namespace"),
			    ks_meta_str(obj, "name")));
		json_array_remove(cl->pending, i);
	}
	return next;
}

void *
ks_ticker(void *arg)
{
	struct kubesim *ks = arg;
	long long next, due, d;
	size_t i;

	pthread_mutex_lock(&ks->mu);
	next = ks_now_ms() + ks->tick_ms;
	while (!ks->stopping) {
		/* Late commits are due on their own time, not on ticks. */
		due = next;
		for (i = 0; i < ks->nclusters; i++) {
			d = ks_sim_commits(&ks->clusters[i]);
			if (d > 0 && d < due)
				due = d;
		}
		if (ks_now_ms() < next) {
			if (due > ks_now_ms())
				ks_wait(ks, due - ks_now_ms());
			continue;
		}
		for (i = 0; i < ks->nclusters; i++)
			ks_sim_tick(&ks->clusters[i], 0);
		next = ks_now_ms() + ks->tick_ms;
	}
	pthread_mutex_unlock(&ks->mu);
	return NULL;
}
