/* The sanitised copy of a submit request (bpg_req.c). */
#include "bpg_json.h"
#include "bpg_req_int.h"

/* ---- sanitised copy (section 2.20) --------------------------------- */

/*
 * Set key to v (a new reference, consumed) unless an earlier step failed.
 * Keys are literals and strings the request's parser read (checked
 * UTF-8): jansson's checks of them again are skipped (_nocheck), and the
 * writer checks every string on the way out.
 */
static void
put(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (!*ok) {
		json_decref(v);
		return;
	}
	if (json_object_set_new_nocheck(o, key, v) != 0)
		*ok = false;
}

static void
put_str(json_t *o, const char *key, const char *s, bool *ok)
{
	if (s != NULL)
		put(o, key, json_string_nocheck(s), ok);
}

static void
put_copy(json_t *o, const char *key, json_t *v, bool *ok)
{
	if (v != NULL)
		put(o, key, json_deep_copy(v), ok);
}

/* Section 1.1 pod fields in SparkPodSpec order; env is left out. */
static json_t *
pod_sanitized(const struct bpg_pod_req *p)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	if (p->has_cores)
		put(o, "cores", json_integer(p->cores), &ok);
	put_str(o, "coreRequest", p->core_request, &ok);
	put_str(o, "coreLimit", p->core_limit, &ok);
	put_str(o, "memory", p->memory, &ok);
	put_str(o, "memoryOverhead", p->memory_overhead, &ok);
	put_str(o, "image", p->image, &ok);
	put_copy(o, "labels", p->labels, &ok);
	put_copy(o, "annotations", p->annotations, &ok);
	if (p->has_termination_grace_period_seconds)
		put(o, "terminationGracePeriodSeconds",
		    json_integer(p->termination_grace_period_seconds), &ok);
	put_str(o, "serviceAccount", p->service_account, &ok);
	put_copy(o, "volumeMounts", p->volume_mounts, &ok);
	put_copy(o, "securityContext", p->security_context, &ok);
	put_copy(o, "affinity", p->affinity, &ok);
	put_copy(o, "dnsConfig", p->dns_config, &ok);
	put_str(o, "javaOptions", p->java_options, &ok);
	/* DriverSpec, then ExecutorSpec, after the SparkPodSpec fields. */
	put_str(o, "podName", p->pod_name, &ok);
	put_str(o, "kubernetesMaster", p->kubernetes_master, &ok);
	if (p->has_instances)
		put(o, "instances", json_integer(p->instances), &ok);
	if (p->has_delete_on_termination)
		put(o, "deleteOnTermination",
		    json_boolean(p->delete_on_termination), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * The order is SubmitApplicationRequest's field order, which Jackson
 * follows; the request_body of section 2.24 shows it (applicationName,
 * spotInstance, sparkVersion, mainClass, mainApplicationFile, driver,
 * executor, queue), and section 1.1's table lists the rest in the same
 * order.
 */
json_t *
bpg_req_sanitized(const struct bpg_submit_req *r)
{
	json_t *o = json_object();
	bool ok = o != NULL;

	put_str(o, "submissionIdSuffix", r->submission_id_suffix, &ok);
	put_str(o, "applicationName", r->application_name, &ok);
	put_str(o, "type", r->type, &ok);
	put_str(o, "mode", r->mode, &ok);
	put_str(o, "image", r->image, &ok);
	/* A Java boolean: always written. */
	put(o, "spotInstance", json_boolean(r->spot_instance), &ok);
	put_str(o, "sparkVersion", r->spark_version, &ok);
	put_str(o, "mainClass", r->main_class, &ok);
	put_str(o, "mainApplicationFile", r->main_application_file, &ok);
	put_copy(o, "arguments", r->arguments, &ok);
	put_copy(o, "sparkConf", r->spark_conf, &ok);
	put_copy(o, "volumes", r->volumes, &ok);
	if (r->driver.present)
		put(o, "driver", pod_sanitized(&r->driver), &ok);
	if (r->executor.present)
		put(o, "executor", pod_sanitized(&r->executor), &ok);
	put_copy(o, "driverOverheadFactor", r->driver_overhead_factor, &ok);
	put_copy(o, "executorOverheadFactor", r->executor_overhead_factor,
	    &ok);
	put_copy(o, "overheadFactor", r->overhead_factor, &ok);
	put_copy(o, "deps", r->deps, &ok);
	put_str(o, "pythonVersion", r->python_version, &ok);
	put_str(o, "imagePullPolicy", r->image_pull_policy, &ok);
	put_copy(o, "restartPolicy", r->restart_policy, &ok);
	put_str(o, "clusterId", r->cluster_id, &ok);
	put_str(o, "queue", r->queue, &ok);
	/* LogDaoTest.testQueueTokenMasked: masked whenever present. */
	if (r->queue_token != NULL)
		put(o, "queueToken", json_string("***"), &ok);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- the same copy as text, without the tree ------------------------ */

/* An object being written: its members' separators. */
struct san_obj {
	struct bpg_jw *w;
	bool first;
};

/*
 * ,"key": with its comma left out before an object's first member.  Keys
 * here are literal ASCII names (nothing to escape), given with their
 * quotes, colon and comma by the macros below.
 */
static void
san_key_lit(struct san_obj *o, const char *lit, size_t n)
{
	bpg_jw_raw(o->w, lit + o->first, n - o->first);
	o->first = false;
}
#define KEY_LIT(k) ",\"" k "\":", sizeof(",\"" k "\":") - 1
#define san_key(o, k) san_key_lit(o, KEY_LIT(k))
#define san_str(o, k, s) san_str_lit(o, KEY_LIT(k), s)
#define san_copy(o, k, v) san_copy_lit(o, KEY_LIT(k), v)
#define san_int(o, k, v) san_int_lit(o, KEY_LIT(k), v)

static void
san_str_lit(struct san_obj *o, const char *lit, size_t n, const char *s)
{
	if (s != NULL) {
		san_key_lit(o, lit, n);
		bpg_jw_str(o->w, s);
	}
}

static void
san_copy_lit(struct san_obj *o, const char *lit, size_t n, const json_t *v)
{
	if (v != NULL) {
		san_key_lit(o, lit, n);
		bpg_jw_value(o->w, v);
	}
}

static void
san_int_lit(struct san_obj *o, const char *lit, size_t n, long long v)
{
	san_key_lit(o, lit, n);
	bpg_jw_int(o->w, v);
}

/* pod_sanitized(), member for member. */
static void
pod_text(struct bpg_jw *w, const struct bpg_pod_req *p)
{
	struct san_obj o = { w, true };

	bpg_jw_raw(w, "{", 1);
	if (p->has_cores)
		san_int(&o, "cores", p->cores);
	san_str(&o, "coreRequest", p->core_request);
	san_str(&o, "coreLimit", p->core_limit);
	san_str(&o, "memory", p->memory);
	san_str(&o, "memoryOverhead", p->memory_overhead);
	san_str(&o, "image", p->image);
	san_copy(&o, "labels", p->labels);
	san_copy(&o, "annotations", p->annotations);
	if (p->has_termination_grace_period_seconds)
		san_int(&o, "terminationGracePeriodSeconds",
		    p->termination_grace_period_seconds);
	san_str(&o, "serviceAccount", p->service_account);
	san_copy(&o, "volumeMounts", p->volume_mounts);
	san_copy(&o, "securityContext", p->security_context);
	san_copy(&o, "affinity", p->affinity);
	san_copy(&o, "dnsConfig", p->dns_config);
	san_str(&o, "javaOptions", p->java_options);
	san_str(&o, "podName", p->pod_name);
	san_str(&o, "kubernetesMaster", p->kubernetes_master);
	if (p->has_instances)
		san_int(&o, "instances", p->instances);
	if (p->has_delete_on_termination) {
		san_key(&o, "deleteOnTermination");
		bpg_jw_raw(w, p->delete_on_termination ? "true" : "false",
		    p->delete_on_termination ? 4 : 5);
	}
	bpg_jw_raw(w, "}", 1);
}

/*
 * bpg_req_sanitized()'s members in its order, written as they come: the
 * submission stores this text and nothing else of the copy, so building
 * the tree only to write it was a tenth of a submission's own work.
 */
char *
bpg_req_sanitized_text(const struct bpg_submit_req *r)
{
	struct bpg_jw w;
	struct san_obj o = { &w, true };
	json_t *tree;
	char *s;

	bpg_jw_init(&w);
	bpg_jw_raw(&w, "{", 1);
	san_str(&o, "submissionIdSuffix", r->submission_id_suffix);
	san_str(&o, "applicationName", r->application_name);
	san_str(&o, "type", r->type);
	san_str(&o, "mode", r->mode);
	san_str(&o, "image", r->image);
	san_key(&o, "spotInstance");
	bpg_jw_raw(&w, r->spot_instance ? "true" : "false",
	    r->spot_instance ? 4 : 5);
	san_str(&o, "sparkVersion", r->spark_version);
	san_str(&o, "mainClass", r->main_class);
	san_str(&o, "mainApplicationFile", r->main_application_file);
	san_copy(&o, "arguments", r->arguments);
	san_copy(&o, "sparkConf", r->spark_conf);
	san_copy(&o, "volumes", r->volumes);
	if (r->driver.present) {
		san_key(&o, "driver");
		pod_text(&w, &r->driver);
	}
	if (r->executor.present) {
		san_key(&o, "executor");
		pod_text(&w, &r->executor);
	}
	san_copy(&o, "driverOverheadFactor", r->driver_overhead_factor);
	san_copy(&o, "executorOverheadFactor", r->executor_overhead_factor);
	san_copy(&o, "overheadFactor", r->overhead_factor);
	san_copy(&o, "deps", r->deps);
	san_str(&o, "pythonVersion", r->python_version);
	san_str(&o, "imagePullPolicy", r->image_pull_policy);
	san_copy(&o, "restartPolicy", r->restart_policy);
	san_str(&o, "clusterId", r->cluster_id);
	san_str(&o, "queue", r->queue);
	if (r->queue_token != NULL)
		san_str(&o, "queueToken", "***");
	bpg_jw_raw(&w, "}", 1);
	if ((s = bpg_jw_finish(&w, NULL)) != NULL)
		return s;
	/* What the writer leaves to json_dumps() (bpg_json_dump()). */
	if ((tree = bpg_req_sanitized(r)) == NULL)
		return NULL;
	s = bpg_json_dump(tree, NULL);
	json_decref(tree);
	return s;
}

/*
 * The parts of a pod that the summary takes: "cores", "memory" and
 * "labels": {"dag_name"} of the driver; "instances", "cores" and
 * "memory" of the executor.  false when it has none of them.
 */
static bool
pod_summary(struct bpg_jw *w, const struct bpg_pod_req *p, bool driver)
{
	struct san_obj o = { w, true };
	const json_t *dag;

	if (!p->present)
		return false;
	dag = driver ? json_object_get(p->labels, "dag_name") : NULL;
	if (!p->has_cores && p->memory == NULL && dag == NULL &&
	    (driver || !p->has_instances))
		return false;
	bpg_jw_raw(w, "{", 1);
	if (!driver && p->has_instances)
		san_int(&o, "instances", p->instances);
	if (p->has_cores)
		san_int(&o, "cores", p->cores);
	san_str(&o, "memory", p->memory);
	if (dag != NULL) {
		san_key(&o, "labels");
		bpg_jw_raw(w, "{\"dag_name\":", 12);
		bpg_jw_value(w, dag);
		bpg_jw_raw(w, "}", 1);
	}
	bpg_jw_raw(w, "}", 1);
	return true;
}

/*
 * bpg_db_request_summary(bpg_req_sanitized(r)) without either tree: the
 * parts of hist_rq (bpg_db_history.c) in its order.  check_sanitized
 * holds the two to the same text.
 */
char *
bpg_req_summary_text(const struct bpg_submit_req *r)
{
	struct bpg_jw w;
	struct san_obj o = { &w, true };
	size_t mark;

	bpg_jw_init(&w);
	bpg_jw_raw(&w, "{", 1);
	/* A pod's key goes when the pod has no part of the summary. */
	mark = w.len;
	san_key(&o, "driver");
	if (!pod_summary(&w, &r->driver, true)) {
		w.len = mark;
		o.first = true;
	}
	mark = w.len;
	san_key(&o, "executor");
	if (!pod_summary(&w, &r->executor, false)) {
		w.len = mark;
		o.first = mark == 1;
	}
	san_copy(&o, "arguments", r->arguments);
	bpg_jw_raw(&w, "}", 1);
	return bpg_jw_finish(&w, NULL);
}
