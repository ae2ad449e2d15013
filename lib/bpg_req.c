/*
 * The submit request (bpg-reference sections 1.1, 2.1, 2.20).
 *
 * JSON and YAML bodies are first read into a jansson tree -- JSON by
 * jansson, YAML by bpg_yaml in text mode -- and then bound by one piece of
 * code, field by field, with the scalar coercions of BPG's Jackson binding
 * (section 1.1): a string field takes the literal text of a number or a
 * boolean, an integer field takes a numeric string, a boolean field takes
 * "true" or "false".
 *
 * JSON numbers.  A string field must get a number's source text: JSON 3.50
 * becomes "3.50" (Jackson's getText()), but jansson would give the double
 * 3.5, and prints 0.1 back as 0.10000000000000001.  So before jansson sees
 * the body a small scanner rewrites each number token that stands in a
 * value position into a string whose first byte is NUL: 3.50 becomes
 * "\u00003.50".  No client string can start with NUL, because the same
 * scanner refuses every \u0000 escape (strings must not contain NUL), so
 * the binder knows such a string is a number token and has its exact text.
 * Tokens that are not valid JSON numbers, and numbers in key positions, are
 * left alone for jansson to reject.  The scanner also enforces the depth
 * cap before jansson builds anything (jansson's own cap is 2048).
 *
 * Error texts.  BPG answers "Invalid JSON request: <Jackson exception
 * class>: <Jackson message>" (section 2.1; "Invalid YAML request: ..." for
 * YAML).  The prefixes and the "Unrecognized field" text (quirk 29) are
 * BPG's; the class-like tags are chosen to read like Jackson's, and the
 * texts after them are ours, since Jackson's messages cannot be reproduced.
 */
#include "bpg_req_int.h"

/* ---- the request and its pod specs --------------------------------- */

#define R(m) offsetof(struct bpg_submit_req, m)
#define P(m) offsetof(struct bpg_pod_req, m)
#define RSTR(n, m) { n, S_STR, R(m), NO_HAS, 0, 0, NULL, 0 }
#define PSTR(n, m, w) { n, S_STR, P(m), NO_HAS, 0, 0, NULL, w }

/* SubmitApplicationRequest (section 1.1). */
const struct sfield req_fields[] = {
	RSTR("submissionIdSuffix", submission_id_suffix),
	RSTR("applicationName", application_name),
	RSTR("type", type),
	RSTR("mode", mode),
	RSTR("image", image),
	{ "spotInstance", S_BOOL, R(spot_instance), NO_HAS, 0, 0, NULL, 0 },
	RSTR("sparkVersion", spark_version),
	RSTR("mainClass", main_class),
	RSTR("mainApplicationFile", main_application_file),
	{ "arguments", S_STRLIST, R(arguments), NO_HAS, 0, 0, NULL, 0 },
	{ "sparkConf", S_STRMAP, R(spark_conf), NO_HAS, 0, 0, NULL, 0 },
	{ "volumes", S_OBJLIST, R(volumes), NO_HAS, 0, 0, &s_volume, 0 },
	{ "driver", S_POD, R(driver), NO_HAS, 0, 0, NULL, POD_DRIVER },
	{ "executor", S_POD, R(executor), NO_HAS, 0, 0, NULL, POD_EXECUTOR },
	{ "driverOverheadFactor", S_NUM, R(driver_overhead_factor), NO_HAS,
	  0, 0, NULL, 0 },
	{ "executorOverheadFactor", S_NUM, R(executor_overhead_factor),
	  NO_HAS, 0, 0, NULL, 0 },
	{ "overheadFactor", S_NUM, R(overhead_factor), NO_HAS, 0, 0, NULL,
	  0 },
	{ "deps", S_OBJ, R(deps), NO_HAS, 0, 0, &s_deps, 0 },
	RSTR("pythonVersion", python_version),
	RSTR("imagePullPolicy", image_pull_policy),
	{ "restartPolicy", S_OBJ, R(restart_policy), NO_HAS, 0, 0,
	  &s_restart, 0 },
	RSTR("clusterId", cluster_id),
	RSTR("queue", queue),
	RSTR("queueToken", queue_token),
	/* Ours: the Idempotency-Key header's value in the body. */
	RSTR("idempotencyKey", idempotency_key),
	/* Ours: dependencies (bpg_deps.h); not in request_body. */
	{ "dependsOn", S_STRLIST, R(depends_on), NO_HAS, 0, 0, NULL, 0 },
	RSTR("dependencyPolicy", dependency_policy),
	/* Ours: retries of the job (bpg_retry.h). */
	{ "retryPolicy", S_RETRY, R(retry_policy), NO_HAS, 0, 0, NULL, 0 },
	/* Ours: webhooks (bpg_notify.h). */
	{ "notify", S_RAW, R(notify), NO_HAS, 0, 0, NULL, 0 },
};

/*
 * DriverSpec / ExecutorSpec (section 1.1).  Fields of the other pod kind
 * are unknown there and dropped, as BPG drops them.
 */
const struct sfield pod_fields[] = {
	{ "cores", S_INT, P(cores), P(has_cores), 1, INT32_MAX, NULL,
	  POD_BOTH },
	PSTR("coreRequest", core_request, POD_BOTH),
	PSTR("coreLimit", core_limit, POD_BOTH),
	PSTR("memory", memory, POD_BOTH),
	PSTR("memoryOverhead", memory_overhead, POD_BOTH),
	PSTR("image", image, POD_BOTH),
	{ "env", S_OBJLIST, P(env), NO_HAS, 0, 0, &s_env, POD_BOTH },
	{ "labels", S_STRMAP, P(labels), NO_HAS, 0, 0, NULL, POD_BOTH },
	{ "annotations", S_STRMAP, P(annotations), NO_HAS, 0, 0, NULL,
	  POD_BOTH },
	{ "terminationGracePeriodSeconds", S_INT,
	  P(termination_grace_period_seconds),
	  P(has_termination_grace_period_seconds), 0, INT64_MAX, NULL,
	  POD_BOTH },
	PSTR("serviceAccount", service_account, POD_BOTH),
	{ "volumeMounts", S_OBJLIST, P(volume_mounts), NO_HAS, 0, 0,
	  &s_mount, POD_BOTH },
	{ "securityContext", S_OBJ, P(security_context), NO_HAS, 0, 0,
	  &s_secctx, POD_BOTH },
	{ "affinity", S_OBJ, P(affinity), NO_HAS, 0, 0, &s_affinity,
	  POD_BOTH },
	{ "dnsConfig", S_OBJ, P(dns_config), NO_HAS, 0, 0, &s_dns, POD_BOTH },
	PSTR("javaOptions", java_options, POD_BOTH),
	PSTR("podName", pod_name, POD_DRIVER),
	PSTR("kubernetesMaster", kubernetes_master, POD_DRIVER),
	{ "instances", S_INT, P(instances), P(has_instances), 1, INT32_MAX,
	  NULL, POD_EXECUTOR },
	{ "deleteOnTermination", S_BOOL, P(delete_on_termination),
	  P(has_delete_on_termination), 0, 0, NULL, POD_EXECUTOR },
};

const size_t req_nfields = NELEM(req_fields);
const size_t pod_nfields = NELEM(pod_fields);

void
req_pod_reset(struct bpg_pod_req *p)
{
	free(p->core_request);
	free(p->core_limit);
	free(p->memory);
	free(p->memory_overhead);
	free(p->image);
	json_decref(p->env);
	json_decref(p->labels);
	json_decref(p->annotations);
	free(p->service_account);
	json_decref(p->volume_mounts);
	json_decref(p->security_context);
	json_decref(p->affinity);
	json_decref(p->dns_config);
	free(p->java_options);
	free(p->pod_name);
	free(p->kubernetes_master);
	memset(p, 0, sizeof(*p));
}

static enum bpg_err bind_fields(const struct binder *, json_t *,
    const char *, const struct sfield *, size_t, unsigned, bool, void *);

/* One field of the request or of a pod into its slot at base + f->off. */
enum bpg_err
req_bind_sfield(const struct binder *b, const struct sfield *f, json_t *v,
    const char *path, void *base)
{
	char *slot = (char *)base + f->off;
	struct bpg_pod_req *pod;
	struct scalar sc;
	json_t *j = NULL;
	enum bpg_err e = BPG_OK;
	bool has, bv = false;
	int64_t iv = 0;

	switch (f->kind) {
	case S_STR:
		free(*(char **)slot);
		*(char **)slot = NULL;
		if ((e = req_bind_text(b, v, path, &sc, &has)) != BPG_OK)
			return e;
		if (has && (*(char **)slot = strndup(sc.s, sc.len)) == NULL)
			return BPG_ENOMEM;
		return BPG_OK;
	case S_BOOL:
		if ((e = req_bind_bool(b, v, path, &has, &bv)) != BPG_OK)
			return e;
		/* spotInstance is a Java boolean: null is false. */
		*(bool *)slot = has && bv;
		if (f->has_off != NO_HAS)
			*(bool *)((char *)base + f->has_off) = has;
		return BPG_OK;
	case S_INT:
		if ((e = req_bind_int(b, v, path, f->min, f->max, &has, &iv)) !=
		    BPG_OK)
			return e;
		*(int64_t *)slot = iv;
		*(bool *)((char *)base + f->has_off) = has;
		return BPG_OK;
	case S_NUM:
		e = req_bind_double(b, v, path, &j);
		break;
	case S_STRLIST:
		e = req_bind_strlist(b, v, path, &j);
		break;
	case S_STRMAP:
		e = req_bind_strmap(b, v, path, &j);
		break;
	case S_OBJ:
		e = json_is_null(v) ? BPG_OK :
		    req_bind_shape(b, v, path, f->shape, &j);
		break;
	case S_OBJLIST:
		e = req_bind_objlist(b, v, path, f->shape, &j);
		break;
	case S_RETRY:
		e = req_bind_retry(b, v, path, &j);
		break;
	case S_RAW:
		if (!json_is_null(v) && (j = json_deep_copy(v)) == NULL)
			return BPG_ENOMEM;
		break;
	case S_POD:
		pod = (struct bpg_pod_req *)(void *)slot;
		req_pod_reset(pod);
		if (json_is_null(v))
			return BPG_OK;
		if (!json_is_object(v))
			return req_type_fail(b, v, v, path,
			    f->who == POD_DRIVER ? "an object (DriverSpec)" :
			    "an object (ExecutorSpec)");
		pod->present = true;
		return bind_fields(b, v, path, pod_fields, pod_nfields,
		    f->who, false, pod);
	}
	if (e != BPG_OK)
		return e;
	json_decref(*(json_t **)slot);
	*(json_t **)slot = j;
	return BPG_OK;
}

/*
 * Bind the object n into base, in document order (so the first bad field
 * is the one reported, as with Jackson).  strict: unknown fields are
 * errors (the top level, quirk 29); otherwise they are dropped.
 */
static enum bpg_err
bind_fields(const struct binder *b, json_t *n, const char *path,
    const struct sfield *fields, size_t nfields, unsigned who, bool strict,
    void *base)
{
	char p[PATH_LEN];
	const char *key;
	enum bpg_err e;
	json_t *v;
	size_t i;

	if ((e = req_check_entries(b, n, path[0] ? path : "request",
	    json_object_size(n))) != BPG_OK)
		return e;
	json_object_foreach(n, key, v) {
		for (i = 0; i < nfields; i++)
			if (strcmp(key, fields[i].name) == 0 &&
			    (who == 0 || (fields[i].who & who) != 0))
				break;
		if (i == nfields) {
			if (!strict)
				continue;
			return req_bind_fail(b, BPG_EINVAL, v, T_UNKNOWN,
			    "Unrecognized field \"%.*s\" (class "
			    "SubmitApplicationRequest), not marked as "
			    "ignorable", KEY_LEN, key);
		}
		req_child_key(p, path, key);
		if ((e = req_bind_sfield(b, &fields[i], v, p, base)) != BPG_OK)
			return e;
	}
	return BPG_OK;
}

/* ---- public -------------------------------------------------------- */

enum bpg_req_format
bpg_req_format_of(const char *content_type)
{
	if (content_type != NULL && strcasestr(content_type, "yaml") != NULL)
		return BPG_REQ_YAML;
	return BPG_REQ_JSON;
}

/*
 * ([a-zA-Z~])?(/[a-zA-Z0-9_.-]+)+/? over the whole body (section 2.1).
 * The only backtracking the pattern needs is for the optional first
 * character, and a '/' can never be one, so one left-to-right pass is
 * exact.
 */
bool
bpg_req_looks_like_path(const char *body, size_t len)
{
	size_t i = 0, seg, groups = 0;
	unsigned char c;

	if (body == NULL || len == 0)
		return false;
	c = (unsigned char)body[0];
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '~')
		i++;
	while (i < len) {
		if (body[i] != '/')
			return false;
		i++;
		for (seg = 0; i < len; i++, seg++) {
			c = (unsigned char)body[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
			    c == '-'))
				break;
		}
		if (seg == 0)
			/* "/" with nothing after it: only the final one. */
			return i == len && groups > 0;
		groups++;
	}
	return groups > 0;
}

static enum bpg_err parse(const char *body, size_t len,
    enum bpg_req_format fmt, struct bpg_submit_req *out,
    struct bpg_errinfo *ei, bool stream);

enum bpg_err
bpg_req_parse(const char *body, size_t len, enum bpg_req_format fmt,
    struct bpg_submit_req *out, struct bpg_errinfo *ei)
{
	return parse(body, len, fmt, out, ei, true);
}

enum bpg_err
bpg_req_parse_ref(const char *body, size_t len, enum bpg_req_format fmt,
    struct bpg_submit_req *out, struct bpg_errinfo *ei)
{
	return parse(body, len, fmt, out, ei, false);
}

static enum bpg_err
parse(const char *body, size_t len, enum bpg_req_format fmt,
    struct bpg_submit_req *out, struct bpg_errinfo *ei, bool stream)
{
	struct bpg_yaml_lines *lines = NULL;
	struct binder b;
	json_t *root = NULL;
	size_t kept = 0;
	enum bpg_err e;

	memset(out, 0, sizeof(*out));
	if (ei != NULL)
		ei->msg[0] = '\0';
	if (fmt != BPG_REQ_YAML)
		fmt = BPG_REQ_JSON;
	if (body == NULL)
		len = 0;
	if (len > BPG_MAX_BODY) {
		char text[96];

		snprintf(text, sizeof(text), "request body is larger than %d "
		    "bytes", BPG_MAX_BODY);
		return req_fail(ei, BPG_ETOOBIG, fmt, T_LIMIT, text);
	}
	b.fmt = fmt;
	b.lines = NULL;
	b.ei = ei;
	b.text = &kept;
	if (fmt == BPG_REQ_JSON && stream && body != NULL) {
		/* A well-formed request of known fields binds as it is read;
		 * anything else, the tree below, which says what is wrong. */
		if ((e = req_json_stream(body, len, &b, out)) == BPG_OK)
			return BPG_OK;
		bpg_req_reset(out);
		if (e == BPG_ENOMEM)
			return bpg_errf(ei, e, "out of memory");
		kept = 0;
		if (ei != NULL)
			ei->msg[0] = '\0';
	}
	if (fmt == BPG_REQ_JSON)
		e = req_json_load(body != NULL ? body : "", len, &root, ei);
	else
		e = req_yaml_load(body != NULL ? body : "", len, &root, &lines,
		    ei);
	if (e != BPG_OK)
		return e;

	b.lines = lines;
	if (json_is_null(root))
		/* BPG answers 500 (NullPointerException); quirk 28. */
		e = req_fail(ei, BPG_EINVAL, fmt, T_MISMATCH,
		    "request body is null or an empty document");
	else if (!json_is_object(root))
		e = req_type_fail(&b, root, root, "the request",
		    "an object (SubmitApplicationRequest)");
	else
		e = bind_fields(&b, root, "", req_fields, req_nfields,
		    0, true, out);
	json_decref(root);
	bpg_yaml_lines_free(lines);
	if (e == BPG_ENOMEM)
		bpg_errf(ei, e, "out of memory");
	if (e != BPG_OK)
		bpg_req_reset(out);
	return e;
}

void
bpg_req_reset(struct bpg_submit_req *r)
{
	if (r == NULL)
		return;
	free(r->submission_id_suffix);
	free(r->application_name);
	free(r->type);
	free(r->mode);
	free(r->image);
	free(r->spark_version);
	free(r->main_class);
	free(r->main_application_file);
	json_decref(r->arguments);
	json_decref(r->spark_conf);
	json_decref(r->volumes);
	req_pod_reset(&r->driver);
	req_pod_reset(&r->executor);
	json_decref(r->driver_overhead_factor);
	json_decref(r->executor_overhead_factor);
	json_decref(r->overhead_factor);
	json_decref(r->deps);
	free(r->python_version);
	free(r->image_pull_policy);
	json_decref(r->restart_policy);
	free(r->cluster_id);
	free(r->queue);
	free(r->queue_token);
	free(r->idempotency_key);
	json_decref(r->depends_on);
	free(r->dependency_policy);
	json_decref(r->retry_policy);
	json_decref(r->notify);
	memset(r, 0, sizeof(*r));
}


/* ---- equality (bpg_req.h) ------------------------------------------ */

static bool
str_same(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The same text, members in the same order (which the CR keeps). */
static bool
json_same(const json_t *a, const json_t *b)
{
	char *ta, *tb;
	bool same;

	if (a == b)
		return true;
	if (a == NULL || b == NULL)
		return false;
	ta = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	tb = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
	same = ta != NULL && tb != NULL && strcmp(ta, tb) == 0;
	free(ta);
	free(tb);
	return same;
}

static bool
pod_same(const struct bpg_pod_req *a, const struct bpg_pod_req *b)
{
	return a->present == b->present && a->has_cores == b->has_cores &&
	    a->cores == b->cores && str_same(a->core_request, b->core_request) &&
	    str_same(a->core_limit, b->core_limit) &&
	    str_same(a->memory, b->memory) &&
	    str_same(a->memory_overhead, b->memory_overhead) &&
	    str_same(a->image, b->image) && json_same(a->env, b->env) &&
	    json_same(a->labels, b->labels) &&
	    json_same(a->annotations, b->annotations) &&
	    a->has_termination_grace_period_seconds ==
	    b->has_termination_grace_period_seconds &&
	    a->termination_grace_period_seconds ==
	    b->termination_grace_period_seconds &&
	    str_same(a->service_account, b->service_account) &&
	    json_same(a->volume_mounts, b->volume_mounts) &&
	    json_same(a->security_context, b->security_context) &&
	    json_same(a->affinity, b->affinity) &&
	    json_same(a->dns_config, b->dns_config) &&
	    str_same(a->java_options, b->java_options) &&
	    str_same(a->pod_name, b->pod_name) &&
	    str_same(a->kubernetes_master, b->kubernetes_master) &&
	    a->has_instances == b->has_instances &&
	    a->instances == b->instances &&
	    a->has_delete_on_termination == b->has_delete_on_termination &&
	    a->delete_on_termination == b->delete_on_termination;
}

bool
bpg_req_same(const struct bpg_submit_req *a, const struct bpg_submit_req *b)
{
	return str_same(a->submission_id_suffix, b->submission_id_suffix) &&
	    str_same(a->application_name, b->application_name) &&
	    str_same(a->type, b->type) && str_same(a->mode, b->mode) &&
	    str_same(a->image, b->image) &&
	    a->spot_instance == b->spot_instance &&
	    str_same(a->spark_version, b->spark_version) &&
	    str_same(a->main_class, b->main_class) &&
	    str_same(a->main_application_file, b->main_application_file) &&
	    json_same(a->arguments, b->arguments) &&
	    json_same(a->spark_conf, b->spark_conf) &&
	    json_same(a->volumes, b->volumes) &&
	    pod_same(&a->driver, &b->driver) &&
	    pod_same(&a->executor, &b->executor) &&
	    json_same(a->driver_overhead_factor, b->driver_overhead_factor) &&
	    json_same(a->executor_overhead_factor,
	    b->executor_overhead_factor) &&
	    json_same(a->overhead_factor, b->overhead_factor) &&
	    json_same(a->deps, b->deps) &&
	    str_same(a->python_version, b->python_version) &&
	    str_same(a->image_pull_policy, b->image_pull_policy) &&
	    json_same(a->restart_policy, b->restart_policy) &&
	    str_same(a->cluster_id, b->cluster_id) &&
	    str_same(a->queue, b->queue) &&
	    str_same(a->queue_token, b->queue_token) &&
	    str_same(a->idempotency_key, b->idempotency_key) &&
	    json_same(a->depends_on, b->depends_on) &&
	    str_same(a->dependency_policy, b->dependency_policy) &&
	    json_same(a->retry_policy, b->retry_policy) &&
	    json_same(a->notify, b->notify);
}
