/*
 * The SparkApplication custom resource (bpg-reference sections 2.8-2.23).
 *
 * The object is built in the key order of section 2.23 (jansson keeps
 * insertion order), so a CR serialises as BPG's does.  Nothing in it is
 * ever a JSON null: absent values are left out, as BPG's NON_NULL
 * serialisation does.
 *
 * Where this differs from BPG on purpose (section 13):
 *   quirk 6   request volumes are not duplicated;
 *   quirk 8   a driver/executor memory that cannot be parsed, or a
 *             coreLimit that is not a whole number, is BPG_EINVAL (400)
 *             with a clear text instead of a Java exception (500);
 *   quirk 10  the proxyUser label is normalised with normalizeLabelValue
 *             when the user name is not a valid label value (spec.proxyUser
 *             keeps the name as it is);
 *   quirk 39  null sparkConf values never reach the CR.
 * Kept as BPG does it: coreLimit "<n>.0m" with the CPU ratio applied twice
 * (quirk 7), memory truncated to an integer ("2.5g" is "2g"; an unknown
 * unit such as "1.5x" passes as "1x", as in BPG), the executor's
 * safe-to-evict annotation skipped when the request sets annotations
 * (quirk 9), copyEnv's order and double append (quirk 27), no default
 * executor serviceAccount (quirk 43), the Ranger key left in sparkConf
 * (quirk 26), and no zone pinning when the request has no sparkConf
 * (quirk 5: the round-robin counter still moves, as in BPG; applying the
 * zone there would change pod placement for existing clients).
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_crd.h"
#include "bpg_limits.h"
#include "bpg_name.h"

#define PLACEHOLDER "{spark-application-resource-name}"
#define SAFE_TO_EVICT "cluster-autoscaler.kubernetes.io/safe-to-evict"
#define DEFAULT_NODE_LABEL_KEY "node_group_category"
#define ZONE_LABEL_KEY "topology.kubernetes.io/zone"
#define PICKED_ZONES "bpg.pickedZones"
#define MAX_RUNNING_KEY "bpg.maxRunningMillis"
/* How much of a bad value a message repeats. */
#define ECHO_MAX 64

/* ---- JSON helpers ---------------------------------------------------- */

/*
 * Deep copy of in without JSON nulls (object members and array elements
 * that are null are left out).  *out is NULL when in is NULL or null.
 */
static enum bpg_err
clean_copy(const json_t *in, json_t **out)
{
	const char *k;
	json_t *v, *c, *res;
	size_t i;
	enum bpg_err e;

	*out = NULL;
	if (in == NULL || json_is_null(in))
		return BPG_OK;
	if (json_is_object(in)) {
		if ((res = json_object()) == NULL)
			return BPG_ENOMEM;
		/* json_object_foreach wants a non-const object. */
		json_object_foreach((json_t *)(uintptr_t)in, k, v) {
			if ((e = clean_copy(v, &c)) != BPG_OK) {
				json_decref(res);
				return e;
			}
			if (c != NULL && json_object_set_new(res, k, c) != 0) {
				json_decref(res);
				return BPG_ENOMEM;
			}
		}
	} else if (json_is_array(in)) {
		if ((res = json_array()) == NULL)
			return BPG_ENOMEM;
		json_array_foreach(in, i, v) {
			if ((e = clean_copy(v, &c)) != BPG_OK) {
				json_decref(res);
				return e;
			}
			if (c != NULL && json_array_append_new(res, c) != 0) {
				json_decref(res);
				return BPG_ENOMEM;
			}
		}
	} else if ((res = json_deep_copy(in)) == NULL)
		return BPG_ENOMEM;
	*out = res;
	return BPG_OK;
}

/* Set o[k] = v (stolen) unless v is NULL.  -1 on failure. */
static int
put_new(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return 0;
	return json_object_set_new(o, k, v);
}

/* Move *v (may be NULL: nothing to set) into o[k]; *v is NULL after. */
static int
put_take(json_t *o, const char *k, json_t **v)
{
	json_t *x = *v;

	*v = NULL;
	return put_new(o, k, x);
}

/* Set o[k] = v, a value just allocated: NULL means out of memory. */
static int
put_alloc(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(o, k, v);
}

/* {k: v} and [v], taking v (released on failure): NULL means out of
 * memory.  Cheaper than json_pack(), which parses its format each time. */
static json_t *
obj1(const char *k, json_t *v)
{
	json_t *o;

	if (v == NULL)
		return NULL;
	if ((o = json_object()) == NULL || json_object_set_new(o, k, v) != 0) {
		if (o == NULL)
			json_decref(v);
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
arr1(json_t *v)
{
	json_t *a;

	if (v == NULL)
		return NULL;
	if ((a = json_array()) == NULL || json_array_append_new(a, v) != 0) {
		if (a == NULL)
			json_decref(v);
		json_decref(a);
		return NULL;
	}
	return a;
}

/* Set o[k] = "v" unless v is NULL. */
static int
put_str(json_t *o, const char *k, const char *v)
{
	json_t *s;

	if (v == NULL)
		return 0;
	if ((s = json_string(v)) == NULL)
		return -1;
	return json_object_set_new(o, k, s);
}

/* Set o[k] = copy of v (nulls removed) unless v is NULL or null. */
static int
put_copy(json_t *o, const char *k, const json_t *v)
{
	json_t *c;

	if (clean_copy(v, &c) != BPG_OK)
		return -1;
	return put_new(o, k, c);
}

/* s with every PLACEHOLDER replaced by id; new string or NULL (ENOMEM). */
static char *
replace_placeholder(const char *s, const char *id)
{
	const size_t plen = sizeof(PLACEHOLDER) - 1;
	size_t idlen = strlen(id), n = 0, len;
	const char *p, *q;
	char *out, *o;

	for (p = s; (q = strstr(p, PLACEHOLDER)) != NULL; p = q + plen)
		n++;
	len = strlen(s) - n * plen + n * idlen;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (p = s, o = out; (q = strstr(p, PLACEHOLDER)) != NULL;
	    p = q + plen) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, id, idlen);
		o += idlen;
	}
	strcpy(o, p);
	return out;
}

/* o[k] = v with the placeholder replaced. */
static int
put_replaced(json_t *o, const char *k, const char *v, const char *id)
{
	char *r;
	int rc;

	if ((r = replace_placeholder(v, id)) == NULL)
		return -1;
	rc = put_str(o, k, r);
	free(r);
	return rc;
}

static bool
strlist_has_icase(const struct bpg_strlist *l, const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < l->n; i++)
		if (l->v[i] != NULL && strcasecmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* The request's sparkConf value for key, if a string. */
static const char *
req_conf(const struct bpg_submit_req *req, const char *key)
{
	return json_string_value(json_object_get(req->spark_conf, key));
}

/* ---- sparkConf (section 2.14) ---------------------------------------- */

/* Value of key in m (the last entry wins, as in a YAML map), or NULL. */
static const char *
kv_get(const struct bpg_kvmap *m, const char *key)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].key != NULL && strcmp(m->v[i].key, key) == 0)
			v = m->v[i].value;
	return v;
}

enum bpg_err
bpg_crd_spark_conf(const struct bpg_config *cfg,
    const struct bpg_cluster *cl, const struct bpg_submit_req *req,
    const char *submission_id, json_t **out)
{
	const struct bpg_kvmap *m;
	const char *ranger, *k, *id;
	json_t *conf, *v;
	bool gate, app;
	size_t i;

	*out = NULL;
	id = submission_id != NULL ? submission_id : PLACEHOLDER;
	app = req->application_name != NULL && req->application_name[0];
	if (!cfg->default_spark_conf.present && !cl->spark_conf.present &&
	    !json_is_object(req->spark_conf) &&
	    !cfg->fixed_spark_conf.present && !app)
		return BPG_OK;
	if ((conf = json_object()) == NULL)
		return BPG_ENOMEM;

	/*
	 * Layer 1: the defaults.  A custom image may not carry the Ranger
	 * plugin, so its keys are left out unless RangerOnCustomImage is
	 * "On"; that switch itself stays in (quirk 26).
	 */
	m = &cfg->default_spark_conf;
	ranger = kv_get(m, "RangerOnCustomImage");
	gate = req->image != NULL &&
	    (ranger == NULL || strcasecmp(ranger, "On") != 0);
	for (i = 0; i < m->n; i++) {
		k = m->v[i].key;
		if (k == NULL || m->v[i].value == NULL)
			continue;	/* quirk 39 */
		if (gate && (strcmp(k, "spark.sql.extensions") == 0 ||
		    strcmp(k, "spark.ranger.plugin.spark.env") == 0))
			continue;
		if (put_replaced(conf, k, m->v[i].value, id) != 0)
			goto nomem;
	}
	/* Layer 2: the cluster's, placeholder replaced. */
	m = &cl->spark_conf;
	for (i = 0; i < m->n; i++)
		if (m->v[i].key != NULL && m->v[i].value != NULL &&
		    put_replaced(conf, m->v[i].key, m->v[i].value, id) != 0)
			goto nomem;
	/* Layer 3: the request's, verbatim. */
	if (json_is_object(req->spark_conf)) {
		json_object_foreach(req->spark_conf, k, v) {
			if (json_is_string(v)) {
				if (put_str(conf, k, json_string_value(v)) != 0)
					goto nomem;
			} else if (json_is_null(v))
				json_object_del(conf, k);
		}
	}
	/* Layer 4: fixed, over everything. */
	m = &cfg->fixed_spark_conf;
	for (i = 0; i < m->n; i++)
		if (m->v[i].key != NULL && m->v[i].value != NULL &&
		    put_str(conf, m->v[i].key, m->v[i].value) != 0)
			goto nomem;
	if (app && put_str(conf, "spark.app.name", req->application_name) != 0)
		goto nomem;
	*out = conf;
	return BPG_OK;
nomem:
	json_decref(conf);
	return BPG_ENOMEM;
}

/* ---- volumes and env (sections 2.16, 2.19) -------------------------- */

enum bpg_err
bpg_crd_volumes(const struct bpg_cluster *cl,
    const struct bpg_submit_req *req, json_t **out)
{
	*out = NULL;
	if (json_array_size(req->volumes) > 0)
		return clean_copy(req->volumes, out);
	if (json_array_size(cl->volumes) > 0)
		return clean_copy(cl->volumes, out);
	return BPG_OK;
}

static const char *
env_name(const json_t *e)
{
	return json_string_value(json_object_get(e, "name"));
}

enum bpg_err
bpg_crd_copy_env(json_t *dest, const json_t *src)
{
	json_t *index, *c;
	const json_t *s, *hit;
	const char *name;
	size_t i, n;
	json_int_t noname = -1, at;
	enum bpg_err e = BPG_ENOMEM;

	if (!json_is_array(dest))
		return BPG_EINVAL;
	if (!json_is_array(src))
		return BPG_OK;
	/*
	 * Name -> index of dest as it is now, the last index winning (a
	 * HashMap filled in order).  Appended entries are not added, so a
	 * new name given twice is appended twice, as in BPG.
	 */
	if ((index = json_object()) == NULL)
		return BPG_ENOMEM;
	n = json_array_size(dest);
	for (i = 0; i < n; i++) {
		name = env_name(json_array_get(dest, i));
		if (name == NULL)
			noname = (json_int_t)i;
		else if (json_object_set_new_nocheck(index, name,
		    json_integer((json_int_t)i)) != 0)
			goto out;
	}
	json_array_foreach(src, i, s) {
		if (json_is_null(s))
			continue;
		if ((e = clean_copy(s, &c)) != BPG_OK)
			goto out;
		e = BPG_ENOMEM;
		name = env_name(s);
		hit = name != NULL ? json_object_get(index, name) : NULL;
		at = name != NULL ? (hit ? json_integer_value(hit) : -1) :
		    noname;
		if (at >= 0) {
			if (json_array_set_new(dest, (size_t)at, c) != 0)
				goto out;
		} else if (json_array_append_new(dest, c) != 0)
			goto out;
	}
	e = BPG_OK;
out:
	json_decref(index);
	return e;
}

/* The env of one pod: the request's, merged with the cluster's, then the
 * request's again (section 2.19), or NULL if neither has one. */
static enum bpg_err
merge_env(const json_t *cluster_env, const json_t *req_env, json_t **out)
{
	const json_t *src[2];
	json_t *env = NULL;
	enum bpg_err e;
	int i;

	*out = NULL;
	if (json_is_array(req_env) &&
	    (e = clean_copy(req_env, &env)) != BPG_OK)
		return e;
	src[0] = cluster_env;
	src[1] = req_env;
	for (i = 0; i < 2; i++) {
		if (!json_is_array(src[i]))
			continue;
		if (env == NULL && (env = json_array()) == NULL)
			return BPG_ENOMEM;
		if ((e = bpg_crd_copy_env(env, src[i])) != BPG_OK) {
			json_decref(env);
			return e;
		}
	}
	*out = env;
	return BPG_OK;
}

enum bpg_err
bpg_crd_populate_env(json_t *spec, const struct bpg_cluster *cl,
    const struct bpg_submit_req *req)
{
	static const char *const podname[2] = { "driver", "executor" };
	const struct bpg_cluster_pod *cp;
	const struct bpg_pod_req *rp;
	const json_t *src[2];
	json_t *pod, *env;
	enum bpg_err e;
	int p, i;

	for (p = 0; p < 2; p++) {
		cp = p == 0 ? &cl->driver : &cl->executor;
		rp = p == 0 ? &req->driver : &req->executor;
		src[0] = cp->env;
		src[1] = rp->present ? rp->env : NULL;
		for (i = 0; i < 2; i++) {
			if (!json_is_array(src[i]))
				continue;
			if ((pod = json_object_get(spec, podname[p])) == NULL) {
				if ((pod = json_object()) == NULL ||
				    json_object_set_new(spec, podname[p],
				    pod) != 0)
					return BPG_ENOMEM;
			}
			if ((env = json_object_get(pod, "env")) == NULL) {
				if ((env = json_array()) == NULL ||
				    json_object_set_new(pod, "env", env) != 0)
					return BPG_ENOMEM;
			}
			if ((e = bpg_crd_copy_env(env, src[i])) != BPG_OK)
				return e;
		}
	}
	return BPG_OK;
}

/* ---- node affinity (section 2.12) ----------------------------------- */

/* {key, operator: In, values}, taking values; NULL on ENOMEM. */
static json_t *
match_expr(const char *key, json_t *values)
{
	json_t *e;

	if (values == NULL)
		return NULL;
	if ((e = json_object()) == NULL) {
		json_decref(values);
		return NULL;
	}
	if (put_str(e, "key", key) != 0 ||
	    put_str(e, "operator", "In") != 0) {
		json_decref(values);
		json_decref(e);
		return NULL;
	}
	if (json_object_set_new(e, "values", values) != 0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

enum bpg_err
bpg_crd_node_affinity(const struct bpg_queue *qc,
    const struct bpg_submit_req *req, bool executor, json_t **out)
{
	const struct bpg_strlist *l = NULL;
	const char *key = NULL, *zones, *p, *comma;
	json_t *exprs = NULL, *vals = NULL, *na = NULL, *t;
	size_t i, len;

	*out = NULL;
	if ((exprs = json_array()) == NULL)
		goto nomem;
	if (qc != NULL) {
		if (!executor) {
			l = &qc->driver_node_label_values;
			key = qc->driver_node_label_key;
		} else {
			/* Spot requests never fall back to the normal
			 * values. */
			l = req->spot_instance ?
			    &qc->executor_spot_node_label_values :
			    &qc->executor_node_label_values;
			key = qc->executor_node_label_key;
		}
		if (key == NULL || key[0] == '\0')
			key = DEFAULT_NODE_LABEL_KEY;
	}
	if (l != NULL && l->n > 0) {
		if ((vals = json_array()) == NULL)
			goto nomem;
		for (i = 0; i < l->n; i++)
			if (l->v[i] != NULL && json_array_append_new(vals,
			    json_string(l->v[i])) != 0)
				goto nomem;
		t = match_expr(key, vals);
		vals = NULL;
		if (t == NULL || json_array_append_new(exprs, t) != 0)
			goto nomem;
	}
	/* The zones of section 2.9, the same for the driver and executors;
	 * empty pieces of the list are skipped. */
	zones = req_conf(req, PICKED_ZONES);
	if (zones != NULL && zones[0] != '\0') {
		if ((vals = json_array()) == NULL)
			goto nomem;
		for (p = zones; ; p = comma + 1) {
			comma = strchr(p, ',');
			len = comma ? (size_t)(comma - p) : strlen(p);
			if (len > 0 && json_array_append_new(vals,
			    json_stringn(p, len)) != 0)
				goto nomem;
			if (comma == NULL)
				break;
		}
		if (json_array_size(vals) > 0) {
			t = match_expr(ZONE_LABEL_KEY, vals);
			vals = NULL;
			if (t == NULL || json_array_append_new(exprs, t) != 0)
				goto nomem;
		}
		json_decref(vals);
		vals = NULL;
	}
	if (json_array_size(exprs) == 0) {
		json_decref(exprs);
		if ((*out = json_object()) == NULL)
			return BPG_ENOMEM;
		return BPG_OK;
	}
	na = obj1("requiredDuringSchedulingIgnoredDuringExecution",
	    obj1("nodeSelectorTerms", arr1(obj1("matchExpressions", exprs))));
	if (na == NULL)
		return BPG_ENOMEM;	/* obj1 took exprs */
	*out = na;
	return BPG_OK;
nomem:
	json_decref(vals);
	json_decref(exprs);
	return BPG_ENOMEM;
}

/* ---- driver and executor (sections 2.10, 2.11) ---------------------- */

/* Java's Math.round(double): the nearest integer, ties upwards. */
static int64_t
java_round(double x)
{
	double r;

	if (isnan(x))
		return 0;
	if (x >= 9.2e18)
		return INT64_MAX;
	if (x <= -9.2e18)
		return INT64_MIN;
	r = floor(x);
	if (x - r >= 0.5)
		r += 1;
	return (int64_t)r;
}

/* Java's Integer.parseInt: optional sign, decimal digits, 32 bits. */
static bool
parse_int32(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;
	bool neg = false;

	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	if (s[i] == '\0')
		return false;
	for (; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
		if (v > (int64_t)INT32_MAX + 1)
			return false;
	}
	v = neg ? -v : v;
	if (v > INT32_MAX || v < INT32_MIN)
		return false;
	*out = v;
	return true;
}

/* Java's Long.parseLong. */
static bool
parse_int64(const char *s, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	bool neg = false;

	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	if (s[i] == '\0')
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return true;
}

/*
 * Section 2.10 step 9: "<digits and dots><unit>", the number truncated to
 * an integer and scaled by ratio (rounded up).  BPG throws a Java
 * exception (500) for no unit or no number; quirk 8 makes it a 400.
 */
static enum bpg_err
scale_memory(const char *pod, const char *mem, double ratio, char *buf,
    size_t bufsz, struct bpg_errinfo *ei)
{
	char num[32], esc[ECHO_MAX * 4 + 8];
	size_t i, ndots = 0, k;
	double v, scaled;

	i = strspn(mem, "0123456789.");
	for (k = 0; k < i; k++)
		ndots += mem[k] == '.';
	if (i == 0 || mem[i] == '\0' || ndots > 1 || i == ndots) {
		bpg_echo(esc, sizeof(esc), mem, ECHO_MAX);
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for %s.memory: "
		    "\"%s\" (expected a number followed by a unit, e.g. \"2g\" "
		    "or \"512m\")", pod, esc);
	}
	v = 0;
	if (i < sizeof(num)) {
		memcpy(num, mem, i);
		num[i] = '\0';
		v = strtod(num, NULL);
	}
	if (i >= sizeof(num) || v >= 2147483648.0) {
		bpg_echo(esc, sizeof(esc), mem, ECHO_MAX);
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for %s.memory: "
		    "\"%s\" (the number is too large)", pod, esc);
	}
	scaled = ceil((double)(int64_t)v * ratio);
	if (!(scaled < 2147483648.0) || scaled < 0) {
		bpg_echo(esc, sizeof(esc), mem, ECHO_MAX);
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for %s.memory: "
		    "\"%s\" (the number is too large)", pod, esc);
	}
	if ((size_t)snprintf(buf, bufsz, "%lld%s", (long long)scaled,
	    mem + i) >= bufsz) {
		bpg_echo(esc, sizeof(esc), mem, ECHO_MAX);
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for %s.memory: "
		    "\"%s\" (the unit is too long)", pod, esc);
	}
	return BPG_OK;
}

/* labels with dag_name and task_name normalised (section 2.10 step 3). */
static enum bpg_err
pod_labels(const json_t *in, json_t **out)
{
	static const char *const keys[] = { "dag_name", "task_name" };
	const char *v;
	char *norm;
	enum bpg_err e;
	size_t i;
	int rc;

	if ((e = clean_copy(in, out)) != BPG_OK || *out == NULL)
		return e;
	for (i = 0; i < 2; i++) {
		v = json_string_value(json_object_get(*out, keys[i]));
		if (v == NULL)
			continue;
		if ((norm = bpg_label_normalize(v)) == NULL) {
			json_decref(*out);
			*out = NULL;
			return BPG_ENOMEM;
		}
		rc = put_str(*out, keys[i], norm);
		free(norm);
		if (rc != 0) {
			json_decref(*out);
			*out = NULL;
			return BPG_ENOMEM;
		}
	}
	return BPG_OK;
}

#define PUT(x) do { if ((x) != 0) goto nomem; } while (0)

static enum bpg_err
build_pod(const struct bpg_cluster *cl, const struct bpg_submit_req *req,
    const struct bpg_queue *qc, bool executor, json_t **out,
    struct bpg_errinfo *ei)
{
	const struct bpg_pod_req *rp = executor ? &req->executor :
	    &req->driver;
	const struct bpg_cluster_pod *cp = executor ? &cl->executor :
	    &cl->driver;
	const char *pod = executor ? "executor" : "driver";
	const bool pres = rp->present;
	const char *climit = pres ? rp->core_limit : NULL;
	const char *mem = pres && rp->memory != NULL ? rp->memory : "1g";
	const char *sa;
	const json_t *mounts;
	double cpu_ratio = 1.0, mem_ratio = 1.0;
	int64_t cores = 1, lim;
	char limit[64], memory[128], esc[ECHO_MAX * 4 + 8];
	json_t *o = NULL, *env = NULL, *t = NULL, *na, *dns;
	enum bpg_err e;

	*out = NULL;
	if (pres && rp->has_cores)
		cores = rp->cores;
	/* Step 5: the parent queue's buffer ratios. */
	if (qc != NULL) {
		cpu_ratio = executor ? qc->executor_cpu_ratio :
		    qc->driver_cpu_ratio;
		mem_ratio = executor ? qc->executor_mem_ratio :
		    qc->driver_mem_ratio;
	}
	/* Step 7. */
	cores = java_round((double)cores * cpu_ratio);
	if (cores < INT32_MIN || cores > INT32_MAX)
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for %s.cores: "
		    "out of range", pod);
	/* Step 8: the ratio is applied a second time here (quirk 7). */
	if (climit == NULL || climit[0] == '\0') {
		snprintf(limit, sizeof(limit), "%.1fm",
		    ceil((double)(cores * 1000) * cpu_ratio));
	} else {
		if (!parse_int32(climit, &lim)) {
			bpg_echo(esc, sizeof(esc), climit, ECHO_MAX);
			return bpg_errf(ei, BPG_EINVAL, "Invalid value for "
			    "%s.coreLimit: \"%s\" (expected a whole number of "
			    "cores, e.g. \"2\")", pod, esc);
		}
		snprintf(limit, sizeof(limit), "%lld",
		    (long long)java_round((double)lim * cpu_ratio));
	}
	/* Step 9. */
	if ((e = scale_memory(pod, mem, mem_ratio, memory, sizeof(memory),
	    ei)) != BPG_OK)
		return e;

	if ((o = json_object()) == NULL)
		goto nomem;
	PUT(put_alloc(o, "cores", json_integer(cores)));
	PUT(pres ? put_str(o, "coreRequest", rp->core_request) : 0);
	PUT(put_str(o, "coreLimit", limit));
	PUT(put_str(o, "memory", memory));
	if (pres) {
		PUT(put_str(o, "memoryOverhead", rp->memory_overhead));
		PUT(put_str(o, "image", rp->image));
	}
	/* Section 2.19. */
	if (merge_env(cp->env, pres ? rp->env : NULL, &env) != BPG_OK)
		goto nomem;
	PUT(put_take(o, "env", &env));
	if (pres) {
		if (pod_labels(rp->labels, &t) != BPG_OK)
			goto nomem;
		PUT(put_take(o, "labels", &t));
	}
	/* Step 10 (driver: always) and 2.11 step 8 (executor: only when
	 * the request has no annotations, quirk 9). */
	if (!executor || !pres || rp->annotations == NULL) {
		if (clean_copy(pres && !executor ? rp->annotations : NULL,
		    &t) != BPG_OK)
			goto nomem;
		if (t == NULL && (t = json_object()) == NULL)
			goto nomem;
		PUT(put_str(t, SAFE_TO_EVICT, "false"));
		PUT(put_take(o, "annotations", &t));
	} else
		PUT(put_copy(o, "annotations", rp->annotations));
	if (pres && rp->has_termination_grace_period_seconds)
		PUT(put_alloc(o, "terminationGracePeriodSeconds",
		    json_integer(rp->termination_grace_period_seconds)));
	/* Step 6: only the driver gets the cluster's account (quirk 43). */
	sa = pres ? rp->service_account : NULL;
	if (!executor && (sa == NULL || sa[0] == '\0'))
		sa = cl->service_account;
	PUT(put_str(o, "serviceAccount", sa));
	/*
	 * Step 4.  XXX: the config struct does not say whether the cluster
	 * had a driver/executor block, only what it held; a block with
	 * neither env nor volumeMounts counts as absent (BPG would drop the
	 * request's mounts for such an empty block).
	 */
	mounts = pres ? rp->volume_mounts : NULL;
	if (!(pres && json_array_size(req->volumes) > 0) &&
	    (cp->env != NULL || cp->volume_mounts != NULL) &&
	    json_array_size(cl->volumes) > 0)
		mounts = cp->volume_mounts;
	PUT(put_copy(o, "volumeMounts", mounts));
	if (pres)
		PUT(put_copy(o, "securityContext", rp->security_context));
	/* Step 11. */
	if (pres && rp->affinity != NULL && !json_is_null(rp->affinity)) {
		PUT(put_copy(o, "affinity", rp->affinity));
	} else {
		if (bpg_crd_node_affinity(qc, req, executor, &na) != BPG_OK)
			goto nomem;
		PUT(put_alloc(o, "affinity", obj1("nodeAffinity", na)));
	}
	/* 2.11 step 10: always, overriding the request. */
	if (executor) {
		if ((t = json_object()) == NULL ||
		    put_str(t, "name", "ndots") != 0 ||
		    put_str(t, "value", "1") != 0)
			goto nomem;
		dns = obj1("options", arr1(t));
		t = NULL;	/* taken by arr1 */
		PUT(put_alloc(o, "dnsConfig", dns));
	}
	if (pres)
		PUT(put_str(o, "javaOptions", rp->java_options));
	if (!executor && pres) {
		PUT(put_str(o, "podName", rp->pod_name));
		PUT(put_str(o, "kubernetesMaster", rp->kubernetes_master));
	}
	if (executor) {
		PUT(put_alloc(o, "instances", json_integer(pres &&
		    rp->has_instances ? rp->instances : 1)));
		if (pres && rp->has_delete_on_termination)
			PUT(put_alloc(o, "deleteOnTermination",
			    json_boolean(rp->delete_on_termination)));
	}
	*out = o;
	return BPG_OK;
nomem:
	json_decref(t);
	json_decref(env);
	json_decref(o);
	return bpg_errf(ei, BPG_ENOMEM, "out of memory");
}

/* ---- the rest of the spec ------------------------------------------- */

/* Section 2.13: raised after the pods are built, as in BPG. */
static enum bpg_err
pick_image(const struct bpg_config *cfg, const struct bpg_submit_req *req,
    const char *type, const char **image, struct bpg_errinfo *ei)
{
	const struct bpg_image *im;
	size_t i;

	*image = NULL;
	if (req->image != NULL && req->image[0] != '\0') {
		*image = req->image;
		return BPG_OK;
	}
	for (i = 0; i < cfg->nimages; i++) {
		im = &cfg->images[i];
		if (strlist_has_icase(&im->types, type) &&
		    im->version != NULL && req->spark_version != NULL &&
		    strcasecmp(im->version, req->spark_version) == 0) {
			*image = im->name;
			return BPG_OK;
		}
	}
	return bpg_errf(ei, BPG_EINVAL, "Spark image not found for type: %s, "
	    "version: %s", type, req->spark_version ? req->spark_version :
	    "null");
}

/* Section 2.15; *out NULL when the cluster has no options. */
static enum bpg_err
ui_options(const struct bpg_cluster *cl, const char *id, json_t **out,
    struct bpg_errinfo *ei)
{
	const json_t *in = cl->spark_ui_options, *ann, *tls, *ent, *hosts;
	json_t *o = NULL, *a = NULL, *arr = NULL, *te;
	const char *k;
	json_t *v;
	size_t i;

	*out = NULL;
	if (!json_is_object(in))
		return BPG_OK;
	if ((o = json_object()) == NULL)
		goto nomem;
	PUT(put_copy(o, "servicePort", json_object_get(in, "servicePort")));
	ann = json_object_get(in, "ingressAnnotations");
	if (json_is_object(ann)) {
		if ((a = json_object()) == NULL)
			goto nomem;
		json_object_foreach((json_t *)(uintptr_t)ann, k, v) {
			if (json_is_string(v))
				PUT(put_replaced(a, k, json_string_value(v),
				    id));
			else
				PUT(put_copy(a, k, v));
		}
		PUT(put_take(o, "ingressAnnotations", &a));
	}
	tls = json_object_get(in, "ingressTLS");
	if (json_is_array(tls)) {
		if ((arr = json_array()) == NULL)
			goto nomem;
		json_array_foreach(tls, i, ent) {
			hosts = json_object_get(ent, "hosts");
			if (hosts == NULL || json_is_null(hosts)) {
				json_decref(arr);
				json_decref(o);
				/* BPG fails with a NullPointerException. */
				return bpg_errf(ei, BPG_ECONFIG,
				    "sparkUIOptions of cluster %s: "
				    "ingressTLS[%zu] has no hosts",
				    cl->id ? cl->id : "null", i);
			}
			if ((te = json_object()) == NULL ||
			    json_array_append_new(arr, te) != 0)
				goto nomem;
			PUT(put_copy(te, "hosts", hosts));
			PUT(put_copy(te, "secretName",
			    json_object_get(ent, "secretName")));
		}
		PUT(put_take(o, "ingressTLS", &arr));
	}
	*out = o;
	return BPG_OK;
nomem:
	json_decref(arr);
	json_decref(a);
	json_decref(o);
	return bpg_errf(ei, BPG_ENOMEM, "out of memory");
}

/* Section 2.21: maxRunningMillis, checked against the parent queue. */
static enum bpg_err
max_running(const struct bpg_submit_req *req, const struct bpg_queue *qc,
    const char *queue, int64_t *out, struct bpg_errinfo *ei)
{
	const char *v = req_conf(req, MAX_RUNNING_KEY);
	int64_t want, qmax;

	/* Without a request value the default applies even when the queue
	 * allows less (quirk 12). */
	*out = BPG_DEFAULT_MAX_RUNNING_MILLIS;
	if (v == NULL || v[0] == '\0')
		return BPG_OK;
	if (!parse_int64(v, &want))
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for config "
		    MAX_RUNNING_KEY ": %s", v);
	qmax = qc != NULL && qc->has_max_running_millis ?
	    qc->max_running_millis : BPG_DEFAULT_MAX_RUNNING_MILLIS;
	if (qmax < want)
		return bpg_errf(ei, BPG_EINVAL, "maxRunningMillis %lld is too "
		    "large than allowed %lld for queue %s", (long long)want,
		    (long long)qmax, queue);
	*out = want;
	return BPG_OK;
}

/* Section 2.9 step 4: the request's sparkConf shows the pick. */
static enum bpg_err
apply_zones(const struct bpg_queue *qc, struct bpg_submit_req *req,
    struct bpg_zones *zones, struct bpg_errinfo *ei)
{
	const char *zone = NULL;
	enum bpg_err e;

	if (zones != NULL &&
	    (e = bpg_zones_next(zones, qc, &zone, ei)) != BPG_OK)
		return e;
	/* Quirk 5, kept: no sparkConf, no pinning (the pick is lost). */
	if (!json_is_object(req->spark_conf))
		return BPG_OK;
	if (zone == NULL) {
		json_object_del(req->spark_conf, PICKED_ZONES);
		return BPG_OK;
	}
	if (put_str(req->spark_conf, PICKED_ZONES, zone) != 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

enum bpg_err
bpg_crd_build(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx,
    struct bpg_zones *zones, json_t **cr, struct bpg_errinfo *ei)
{
	const struct bpg_queue *qc;
	const char *type, *image;
	json_t *driver = NULL, *executor = NULL, *conf = NULL, *ui = NULL;
	json_t *vols = NULL, *spec = NULL, *meta = NULL, *labels = NULL;
	json_t *root = NULL;
	char *norm = NULL, mrm[32];
	int64_t max_ms;
	enum bpg_err e;

	*cr = NULL;
	if (ctx->submission_id == NULL || ctx->queue == NULL)
		return bpg_errf(ei, BPG_EINVAL, "no submission ID or queue");
	if ((ctx->user != NULL && !bpg_utf8_valid(ctx->user)) ||
	    (ctx->proxy_user != NULL && !bpg_utf8_valid(ctx->proxy_user)))
		return bpg_errf(ei, BPG_EINVAL, "The user name is not valid "
		    "UTF-8");
	/* Buffers, node labels, zones and limits use the parent queue,
	 * matched exactly (section 2.2's table). */
	qc = bpg_config_queue_exact_n(cfg, ctx->queue, strcspn(ctx->queue, "."));

	/* Section 2.8. */
	if (req->type != NULL && req->type[0] != '\0')
		type = req->type;
	else if (req->main_class != NULL && req->main_class[0] != '\0')
		type = "Java";
	else
		type = "Python";
	/* Sections 2.9 to 2.13, in BPG's order (it decides which error a
	 * bad request sees first, section 2.25). */
	if ((e = apply_zones(qc, req, zones, ei)) != BPG_OK ||
	    (e = build_pod(cl, req, qc, false, &driver, ei)) != BPG_OK ||
	    (e = build_pod(cl, req, qc, true, &executor, ei)) != BPG_OK ||
	    (e = pick_image(cfg, req, type, &image, ei)) != BPG_OK)
		goto fail;
	if (bpg_crd_spark_conf(cfg, cl, req, ctx->submission_id, &conf) !=
	    BPG_OK)
		goto nomem;
	if ((e = ui_options(cl, ctx->submission_id, &ui, ei)) != BPG_OK)
		goto fail;
	if (bpg_crd_volumes(cl, req, &vols) != BPG_OK)
		goto nomem;
	if ((e = max_running(req, qc, ctx->queue, &max_ms, ei)) != BPG_OK)
		goto fail;

	/* Section 2.23's order. */
	if ((spec = json_object()) == NULL)
		goto nomem;
	PUT(put_str(spec, "type", type));
	PUT(put_str(spec, "sparkVersion", req->spark_version));
	PUT(put_str(spec, "mode", "cluster"));
	PUT(put_str(spec, "originalUser", ctx->user));
	PUT(put_str(spec, "proxyUser", ctx->proxy_user));
	PUT(put_str(spec, "image", image));
	PUT(put_str(spec, "imagePullPolicy", req->image_pull_policy));
	PUT(put_str(spec, "mainClass", req->main_class));
	PUT(put_str(spec, "mainApplicationFile", req->main_application_file));
	PUT(put_copy(spec, "arguments", req->arguments));
	if (json_object_size(conf) > 0)
		PUT(put_take(spec, "sparkConf", &conf));
	/* Section 2.17. */
	if (cl->batch_scheduler != NULL &&
	    strcmp(cl->batch_scheduler, "yunikorn") == 0) {
		PUT(put_str(spec, "batchScheduler", "yunikorn"));
		PUT(put_alloc(spec, "batchSchedulerOptions",
		    json_pack("{s:s+,s:b,s:i}", "queue", "root.", ctx->queue,
		    "gang", 0, "reservationTimeoutInSeconds", 180)));
	}
	PUT(put_take(spec, "volumes", &vols));
	PUT(put_take(spec, "driver", &driver));
	PUT(put_take(spec, "executor", &executor));
	PUT(put_copy(spec, "deps", req->deps));
	PUT(put_copy(spec, "restartPolicy", req->restart_policy));
	PUT(put_str(spec, "pythonVersion", req->python_version));
	if (cl->has_ttl_seconds)
		PUT(put_alloc(spec, "timeToLiveSeconds",
		    json_integer(cl->ttl_seconds)));
	PUT(put_take(spec, "sparkUIOptions", &ui));

	/* Section 2.21. */
	if ((labels = json_object()) == NULL)
		goto nomem;
	if (ctx->proxy_user != NULL) {
		/* Quirk 10: a user name that is no label value would make
		 * Kubernetes refuse the CR. */
		if ((norm = bpg_label_user(ctx->proxy_user)) == NULL)
			goto nomem;
		PUT(put_str(labels, "proxyUser", norm));
		free(norm);
		norm = NULL;
	}
	if (req->application_name != NULL) {
		if ((norm = bpg_label_normalize(req->application_name)) ==
		    NULL)
			goto nomem;
		PUT(put_str(labels, "applicationName", norm));
		free(norm);
		norm = NULL;
	}
	PUT(put_alloc(labels, "queue", json_sprintf("root.%s", ctx->queue)));
	snprintf(mrm, sizeof(mrm), "%lld", (long long)max_ms);
	PUT(put_str(labels, "maxRunningMillis", mrm));

	if ((meta = json_object()) == NULL)
		goto nomem;
	PUT(put_str(meta, "name", ctx->submission_id));
	PUT(put_str(meta, "namespace", cl->namespace));
	PUT(put_take(meta, "labels", &labels));

	if ((root = json_object()) == NULL)
		goto nomem;
	PUT(put_str(root, "apiVersion", BPG_CRD_GROUP "/" BPG_CRD_VERSION));
	PUT(put_str(root, "kind", BPG_CRD_KIND));
	PUT(put_take(root, "metadata", &meta));
	PUT(put_take(root, "spec", &spec));
	*cr = root;
	return BPG_OK;
nomem:
	e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
fail:
	free(norm);
	json_decref(root);
	json_decref(meta);
	json_decref(labels);
	json_decref(spec);
	json_decref(vols);
	json_decref(ui);
	json_decref(conf);
	json_decref(executor);
	json_decref(driver);
	return e;
}
