/* The sanitised copy of a submit request (bpg_req.c). */
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
