/* The submit request's nested Kubernetes objects (bpg_req.c). */
#include "bpg_req_int.h"

/* ---- nested Kubernetes objects, rebuilt from known fields ---------- */

#define I32 INT32_MIN, INT32_MAX
#define SHAPE(cls, f, strict) { cls, f, NELEM(f), strict }

static const struct jfield f_hostpath[] = {
	{ "path", J_STR, 0, 0, NULL, 0 },
	{ "type", J_STR, 0, 0, NULL, 0 },
};
static const struct jshape s_hostpath =
    SHAPE("HostPathVolumeSource", f_hostpath, false);

/* BPG's ConfigMapVolumeSource alone does not ignore unknown fields. */
static const struct jfield f_configmap[] = {
	{ "name", J_STR, 0, 0, NULL, 0 },
};
static const struct jshape s_configmap =
    SHAPE("ConfigMapVolumeSource", f_configmap, true);

static const struct jfield f_volume[] = {
	{ "name", J_STR, 0, 0, NULL, 0 },
	{ "hostPath", J_OBJ, 0, 0, &s_hostpath, 0 },
	{ "configMap", J_OBJ, 0, 0, &s_configmap, 0 },
};
const struct jshape s_volume = SHAPE("Volume", f_volume, false);

static const struct jfield f_fieldref[] = {
	{ "fieldPath", J_STR, 0, 0, NULL, 0 },
};
static const struct jshape s_fieldref =
    SHAPE("ObjectFieldSelector", f_fieldref, false);

/* Only fieldRef: secretKeyRef and the other sources are dropped. */
static const struct jfield f_envsrc[] = {
	{ "fieldRef", J_OBJ, 0, 0, &s_fieldref, 0 },
};
static const struct jshape s_envsrc =
    SHAPE("EnvVarSource", f_envsrc, false);

static const struct jfield f_env[] = {
	{ "name", J_STR, 0, 0, NULL, 0 },
	{ "value", J_STR, 0, 0, NULL, 0 },
	{ "valueFrom", J_OBJ, 0, 0, &s_envsrc, 0 },
};
const struct jshape s_env = SHAPE("EnvVar", f_env, false);

static const struct jfield f_mount[] = {
	{ "name", J_STR, 0, 0, NULL, 0 },
	{ "readOnly", J_BOOL, 0, 0, NULL, 0 },
	{ "mountPath", J_STR, 0, 0, NULL, 0 },
	{ "subPath", J_STR, 0, 0, NULL, 0 },
};
const struct jshape s_mount = SHAPE("VolumeMount", f_mount, false);

/* runAsUser: a Java long; Kubernetes refuses negative user IDs. */
static const struct jfield f_secctx[] = {
	{ "privileged", J_BOOL, 0, 0, NULL, 0 },
	{ "runAsUser", J_INT, 0, INT64_MAX, NULL, 0 },
	{ "allowPrivilegeEscalation", J_BOOL, 0, 0, NULL, 0 },
};
const struct jshape s_secctx =
    SHAPE("SecurityContext", f_secctx, false);

static const struct jfield f_nsreq[] = {
	{ "key", J_STR, 0, 0, NULL, 0 },
	{ "operator", J_STR, 0, 0, NULL, 0 },
	{ "values", J_STRLIST, 0, 0, NULL, 0 },
};
static const struct jshape s_nsreq =
    SHAPE("NodeSelectorRequirement", f_nsreq, false);

static const struct jfield f_nsterm[] = {
	{ "matchExpressions", J_OBJLIST, 0, 0, &s_nsreq, 0 },
};
static const struct jshape s_nsterm =
    SHAPE("NodeSelectorTerm", f_nsterm, false);

/* weight is a Java int, so Jackson always writes it. */
static const struct jfield f_prefterm[] = {
	{ "weight", J_INT, I32, NULL, JF_ALWAYS },
	{ "preference", J_OBJ, 0, 0, &s_nsterm, 0 },
};
static const struct jshape s_prefterm =
    SHAPE("PreferredSchedulingTerm", f_prefterm, false);

static const struct jfield f_reqterm[] = {
	{ "nodeSelectorTerms", J_OBJLIST, 0, 0, &s_nsterm, 0 },
};
static const struct jshape s_reqterm =
    SHAPE("RequiredDuringSchedulingIgnoredDuringExecutionTerm", f_reqterm,
    false);

static const struct jfield f_nodeaff[] = {
	{ "preferredDuringSchedulingIgnoredDuringExecution", J_OBJLIST, 0, 0,
	  &s_prefterm, 0 },
	{ "requiredDuringSchedulingIgnoredDuringExecution", J_OBJ, 0, 0,
	  &s_reqterm, 0 },
};
static const struct jshape s_nodeaff =
    SHAPE("NodeAffinity", f_nodeaff, false);

static const struct jfield f_affinity[] = {
	{ "nodeAffinity", J_OBJ, 0, 0, &s_nodeaff, 0 },
};
const struct jshape s_affinity =
    SHAPE("Affinity", f_affinity, false);

static const struct jfield f_dnsopt[] = {
	{ "name", J_STR, 0, 0, NULL, 0 },
	{ "value", J_STR, 0, 0, NULL, 0 },
};
static const struct jshape s_dnsopt =
    SHAPE("PodDNSConfigOption", f_dnsopt, false);

/* fabric8's PodDNSConfig: property order and NON_EMPTY lists. */
static const struct jfield f_dns[] = {
	{ "nameservers", J_STRLIST, 0, 0, NULL, JF_NONEMPTY },
	{ "options", J_OBJLIST, 0, 0, &s_dnsopt, JF_NONEMPTY },
	{ "searches", J_STRLIST, 0, 0, NULL, JF_NONEMPTY },
};
const struct jshape s_dns = SHAPE("PodDNSConfig", f_dns, false);

static const struct jfield f_deps[] = {
	{ "jars", J_STRLIST, 0, 0, NULL, 0 },
	{ "files", J_STRLIST, 0, 0, NULL, 0 },
	{ "pyFiles", J_STRLIST, 0, 0, NULL, 0 },
	{ "packages", J_STRLIST, 0, 0, NULL, 0 },
	{ "excludePackages", J_STRLIST, 0, 0, NULL, 0 },
	{ "repositories", J_STRLIST, 0, 0, NULL, 0 },
	{ "archives", J_STRLIST, 0, 0, NULL, 0 },
};
const struct jshape s_deps = SHAPE("Dependencies", f_deps, false);

/* Java int/long; the minimums are the CRD's. */
static const struct jfield f_restart[] = {
	{ "type", J_STR, 0, 0, NULL, 0 },
	{ "onSubmissionFailureRetries", J_INT, 0, INT32_MAX, NULL, 0 },
	{ "onFailureRetries", J_INT, 0, INT32_MAX, NULL, 0 },
	{ "onSubmissionFailureRetryInterval", J_INT, 1, INT64_MAX, NULL, 0 },
	{ "onFailureRetryInterval", J_INT, 1, INT64_MAX, NULL, 0 },
};
const struct jshape s_restart =
    SHAPE("RestartPolicy", f_restart, false);


/* A list of objects of one shape; *out NULL for null. */
enum bpg_err
req_bind_objlist(const struct binder *b, json_t *n, const char *path,
    const struct jshape *sh, json_t **out)
{
	char p[PATH_LEN], what[96];
	json_t *arr, *el, *o;
	enum bpg_err e;
	size_t i;

	*out = NULL;
	if (json_is_null(n))
		return BPG_OK;
	snprintf(what, sizeof(what), "a list of %s", sh->cls);
	if (!json_is_array(n))
		return req_type_fail(b, n, n, path, what);
	if ((e = req_check_entries(b, n, path, json_array_size(n))) != BPG_OK)
		return e;
	if ((arr = json_array()) == NULL)
		return BPG_ENOMEM;
	json_array_foreach(n, i, el) {
		req_child_index(p, path, i);
		if (json_is_null(el)) {
			snprintf(what, sizeof(what), "an object (%s)", sh->cls);
			e = req_type_fail(b, el, n, p, what);
			goto fail;
		}
		if ((e = req_bind_shape(b, el, p, sh, &o)) != BPG_OK)
			goto fail;
		if (json_array_append_new(arr, o) != 0) {
			e = BPG_ENOMEM;
			goto fail;
		}
	}
	*out = arr;
	return BPG_OK;
fail:
	json_decref(arr);
	return e;
}

/* One field of a shape into obj (nothing for null or absent). */
static enum bpg_err
bind_jfield(const struct binder *b, const struct jfield *f, json_t *v,
    const char *path, json_t *obj)
{
	struct scalar sc;
	json_t *out = NULL;
	enum bpg_err e;
	bool has, bv;
	int64_t iv = 0;

	switch (f->kind) {
	case J_STR:
		if ((e = req_bind_text(b, v, path, &sc, &has)) != BPG_OK)
			return e;
		if (has && (out = json_stringn(sc.s, sc.len)) == NULL)
			return BPG_ENOMEM;
		break;
	case J_BOOL:
		if ((e = req_bind_bool(b, v, path, &has, &bv)) != BPG_OK)
			return e;
		if (has)
			out = json_boolean(bv);
		break;
	case J_INT:
		if ((e = req_bind_int(b, v, path, f->min, f->max, &has, &iv)) !=
		    BPG_OK)
			return e;
		if ((has || (f->flags & JF_ALWAYS)) &&
		    (out = json_integer(iv)) == NULL)
			return BPG_ENOMEM;
		break;
	case J_STRLIST:
		if ((e = req_bind_strlist(b, v, path, &out)) != BPG_OK)
			return e;
		break;
	case J_OBJ:
		if (json_is_null(v))
			break;
		if ((e = req_bind_shape(b, v, path, f->sub, &out)) != BPG_OK)
			return e;
		break;
	case J_OBJLIST:
		if ((e = req_bind_objlist(b, v, path, f->sub, &out)) != BPG_OK)
			return e;
		break;
	}
	if (out == NULL)
		return BPG_OK;
	if ((f->flags & JF_NONEMPTY) && json_is_array(out) &&
	    json_array_size(out) == 0) {
		json_decref(out);
		return BPG_OK;
	}
	return json_object_set_new(obj, f->name, out) == 0 ? BPG_OK :
	    BPG_ENOMEM;
}

/*
 * Rebuild the object n as a fresh object holding only the known fields
 * of sh, type-checked, in model order.  Unknown fields are dropped (BPG's
 * classes ignore them), except in strict shapes.
 */
enum bpg_err
req_bind_shape(const struct binder *b, json_t *n, const char *path,
    const struct jshape *sh, json_t **out)
{
	char p[PATH_LEN], what[96];
	const char *key;
	json_t *obj, *v;
	enum bpg_err e;
	size_t i;

	*out = NULL;
	if (!json_is_object(n)) {
		snprintf(what, sizeof(what), "an object (%s)", sh->cls);
		return req_type_fail(b, n, n, path, what);
	}
	if ((e = req_check_entries(b, n, path, json_object_size(n))) != BPG_OK)
		return e;
	if (sh->strict) {
		json_object_foreach(n, key, v) {
			for (i = 0; i < sh->nf; i++)
				if (strcmp(key, sh->f[i].name) == 0)
					break;
			if (i == sh->nf)
				return req_bind_fail(b, BPG_EINVAL, n,
				    T_UNKNOWN,
				    "Unrecognized field \"%.*s\" (class %s), "
				    "not marked as ignorable, at %s", KEY_LEN,
				    key, sh->cls, path);
		}
	}
	if ((obj = json_object()) == NULL)
		return BPG_ENOMEM;
	for (i = 0; i < sh->nf; i++) {
		v = json_object_get(n, sh->f[i].name);
		if (v == NULL)
			v = json_null();
		req_child_key(p, path, sh->f[i].name);
		if ((e = bind_jfield(b, &sh->f[i], v, p, obj)) != BPG_OK) {
			json_decref(obj);
			return e;
		}
	}
	*out = obj;
	return BPG_OK;
}
