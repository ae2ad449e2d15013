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

#include "bpg_crd_int.h"
#include "bpg_limits.h"
#include "bpg_name.h"
#include "bpg_num.h"

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

bool
crd_conf_any(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    const struct bpg_submit_req *req)
{
	return cfg->default_spark_conf.present || cl->spark_conf.present ||
	    json_is_object(req->spark_conf) || cfg->fixed_spark_conf.present ||
	    (req->application_name != NULL && req->application_name[0]);
}

int
crd_conf_layers(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    const struct bpg_submit_req *req, const char *id,
    const struct crd_conf_ops *ops, void *arg)
{
	const struct bpg_kvmap *m;
	const char *ranger, *k;
	json_t *v;
	bool gate;
	size_t i;

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
		if (ops->set(arg, k, m->v[i].value, id) != 0)
			return -1;
	}
	/* Layer 2: the cluster's, placeholder replaced. */
	m = &cl->spark_conf;
	for (i = 0; i < m->n; i++)
		if (m->v[i].key != NULL && m->v[i].value != NULL &&
		    ops->set(arg, m->v[i].key, m->v[i].value, id) != 0)
			return -1;
	/* Layer 3: the request's, verbatim. */
	if (json_is_object(req->spark_conf)) {
		json_object_foreach(req->spark_conf, k, v) {
			if (json_is_string(v)) {
				if (ops->set(arg, k, json_string_value(v),
				    NULL) != 0)
					return -1;
			} else if (json_is_null(v))
				ops->del(arg, k);
		}
	}
	/* Layer 4: fixed, over everything. */
	m = &cfg->fixed_spark_conf;
	for (i = 0; i < m->n; i++)
		if (m->v[i].key != NULL && m->v[i].value != NULL &&
		    ops->set(arg, m->v[i].key, m->v[i].value, NULL) != 0)
			return -1;
	if (req->application_name != NULL && req->application_name[0] &&
	    ops->set(arg, "spark.app.name", req->application_name, NULL) != 0)
		return -1;
	return 0;
}

static int
tree_set(void *arg, const char *k, const char *v, const char *id)
{
	return id != NULL ? crd_put_replaced(arg, k, v, id) :
	    crd_put_str(arg, k, v);
}

static void
tree_del(void *arg, const char *k)
{
	json_object_del(arg, k);
}

enum bpg_err
bpg_crd_spark_conf(const struct bpg_config *cfg,
    const struct bpg_cluster *cl, const struct bpg_submit_req *req,
    const char *submission_id, json_t **out)
{
	static const struct crd_conf_ops ops = { tree_set, tree_del };
	json_t *conf;

	*out = NULL;
	if (!crd_conf_any(cfg, cl, req))
		return BPG_OK;
	if ((conf = json_object()) == NULL)
		return BPG_ENOMEM;
	if (crd_conf_layers(cfg, cl, req, submission_id != NULL ?
	    submission_id : PLACEHOLDER, &ops, conf) != 0) {
		json_decref(conf);
		return BPG_ENOMEM;
	}
	*out = conf;
	return BPG_OK;
}

/* ---- volumes and env (sections 2.16, 2.19) -------------------------- */

enum bpg_err
bpg_crd_volumes(const struct bpg_cluster *cl,
    const struct bpg_submit_req *req, json_t **out)
{
	*out = NULL;
	if (json_array_size(req->volumes) > 0)
		return crd_clean_copy(req->volumes, out);
	if (json_array_size(cl->volumes) > 0)
		return crd_clean_copy(cl->volumes, out);
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
		if ((e = crd_clean_copy(s, &c)) != BPG_OK)
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
enum bpg_err
crd_merge_env(const json_t *cluster_env, const json_t *req_env, json_t **out)
{
	const json_t *src[2];
	json_t *env = NULL;
	enum bpg_err e;
	int i;

	*out = NULL;
	if (json_is_array(req_env) &&
	    (e = crd_clean_copy(req_env, &env)) != BPG_OK)
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
	if (crd_put_str(e, "key", key) != 0 ||
	    crd_put_str(e, "operator", "In") != 0) {
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

void
crd_node_labels(const struct bpg_queue *qc, const struct bpg_submit_req *req,
    bool executor, const struct bpg_strlist **l, const char **key)
{
	*l = NULL;
	*key = NULL;
	if (qc == NULL)
		return;
	if (!executor) {
		*l = &qc->driver_node_label_values;
		*key = qc->driver_node_label_key;
	} else {
		/* Spot requests never fall back to the normal values. */
		*l = req->spot_instance ?
		    &qc->executor_spot_node_label_values :
		    &qc->executor_node_label_values;
		*key = qc->executor_node_label_key;
	}
	if (*key == NULL || (*key)[0] == '\0')
		*key = DEFAULT_NODE_LABEL_KEY;
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
	crd_node_labels(qc, req, executor, &l, &key);
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
	zones = crd_req_conf(req, PICKED_ZONES);
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
	na = crd_obj1("requiredDuringSchedulingIgnoredDuringExecution",
	    crd_obj1("nodeSelectorTerms", crd_arr1(crd_obj1("matchExpressions", exprs))));
	if (na == NULL)
		return BPG_ENOMEM;	/* obj1 took exprs */
	*out = na;
	return BPG_OK;
nomem:
	json_decref(vals);
	json_decref(exprs);
	return BPG_ENOMEM;
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
		if (crd_strlist_has_icase(&im->types, type) &&
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
	PUT(crd_put_copy(o, "servicePort", json_object_get(in, "servicePort")));
	ann = json_object_get(in, "ingressAnnotations");
	if (json_is_object(ann)) {
		if ((a = json_object()) == NULL)
			goto nomem;
		json_object_foreach((json_t *)(uintptr_t)ann, k, v) {
			if (json_is_string(v))
				PUT(crd_put_replaced(a, k, json_string_value(v),
				    id));
			else
				PUT(crd_put_copy(a, k, v));
		}
		PUT(crd_put_take(o, "ingressAnnotations", &a));
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
			PUT(crd_put_copy(te, "hosts", hosts));
			PUT(crd_put_copy(te, "secretName",
			    json_object_get(ent, "secretName")));
		}
		PUT(crd_put_take(o, "ingressTLS", &arr));
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
	const char *v = crd_req_conf(req, MAX_RUNNING_KEY);
	int64_t want, qmax;

	/* Without a request value the default applies even when the queue
	 * allows less (quirk 12). */
	*out = BPG_DEFAULT_MAX_RUNNING_MILLIS;
	if (v == NULL || v[0] == '\0')
		return BPG_OK;
	if (!bpg_parse_long(v, &want))
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
	if (crd_put_str(req->spark_conf, PICKED_ZONES, zone) != 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

void
crd_spec_done(struct crd_spec *sp)
{
	crd_pod_done(&sp->pod[0]);
	crd_pod_done(&sp->pod[1]);
	json_decref(sp->ui);
	json_decref(sp->vols);
	sp->ui = sp->vols = NULL;
}

enum bpg_err
crd_spec_prep(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx,
    struct bpg_zones *zones, bool share, struct crd_spec *sp,
    struct bpg_errinfo *ei)
{
	enum bpg_err e;

	memset(sp, 0, sizeof(*sp));
	if (ctx->submission_id == NULL || ctx->queue == NULL)
		return bpg_errf(ei, BPG_EINVAL, "no submission ID or queue");
	if ((ctx->user != NULL && !bpg_utf8_valid(ctx->user)) ||
	    (ctx->proxy_user != NULL && !bpg_utf8_valid(ctx->proxy_user)))
		return bpg_errf(ei, BPG_EINVAL, "The user name is not valid "
		    "UTF-8");
	/* Buffers, node labels, zones and limits use the parent queue,
	 * matched exactly (section 2.2's table). */
	sp->qc = bpg_config_queue_exact_n(cfg, ctx->queue,
	    strcspn(ctx->queue, "."));

	/* Section 2.8. */
	if (req->type != NULL && req->type[0] != '\0')
		sp->type = req->type;
	else if (req->main_class != NULL && req->main_class[0] != '\0')
		sp->type = "Java";
	else
		sp->type = "Python";
	/* Sections 2.9 to 2.13, in BPG's order (it decides which error a
	 * bad request sees first, section 2.25). */
	if ((e = apply_zones(sp->qc, req, zones, ei)) != BPG_OK ||
	    (e = crd_pod_prep(cl, req, sp->qc, false, share, &sp->pod[0],
	    ei)) != BPG_OK ||
	    (e = crd_pod_prep(cl, req, sp->qc, true, share, &sp->pod[1],
	    ei)) != BPG_OK ||
	    (e = pick_image(cfg, req, sp->type, &sp->image, ei)) != BPG_OK ||
	    (e = ui_options(cl, ctx->submission_id, &sp->ui, ei)) != BPG_OK)
		return e;
	if (bpg_crd_volumes(cl, req, &sp->vols) != BPG_OK)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return max_running(req, sp->qc, ctx->queue, &sp->max_ms, ei);
}

enum bpg_err
bpg_crd_build(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx,
    struct bpg_zones *zones, json_t **cr, struct bpg_errinfo *ei)
{
	struct crd_spec sp;
	const char *type, *image;
	json_t *driver = NULL, *executor = NULL, *conf = NULL, *ui = NULL;
	json_t *vols = NULL, *spec = NULL, *meta = NULL, *labels = NULL;
	json_t *root = NULL;
	char *norm = NULL, mrm[32];
	int64_t max_ms;
	enum bpg_err e;

	*cr = NULL;
	if ((e = crd_spec_prep(cfg, cl, req, ctx, zones, false, &sp, ei)) !=
	    BPG_OK)
		goto fail;
	type = sp.type;
	image = sp.image;
	max_ms = sp.max_ms;
	ui = sp.ui;
	vols = sp.vols;
	sp.ui = sp.vols = NULL;
	if ((e = crd_pod_tree(&sp.pod[0], req, sp.qc, &driver, ei)) !=
	    BPG_OK ||
	    (e = crd_pod_tree(&sp.pod[1], req, sp.qc, &executor, ei)) !=
	    BPG_OK)
		goto fail;
	if (bpg_crd_spark_conf(cfg, cl, req, ctx->submission_id, &conf) !=
	    BPG_OK)
		goto nomem;

	/* Section 2.23's order. */
	if ((spec = json_object()) == NULL)
		goto nomem;
	PUT(crd_put_str(spec, "type", type));
	PUT(crd_put_str(spec, "sparkVersion", req->spark_version));
	PUT(crd_put_str(spec, "mode", "cluster"));
	PUT(crd_put_str(spec, "originalUser", ctx->user));
	PUT(crd_put_str(spec, "proxyUser", ctx->proxy_user));
	PUT(crd_put_str(spec, "image", image));
	PUT(crd_put_str(spec, "imagePullPolicy", req->image_pull_policy));
	PUT(crd_put_str(spec, "mainClass", req->main_class));
	PUT(crd_put_str(spec, "mainApplicationFile", req->main_application_file));
	PUT(crd_put_copy(spec, "arguments", req->arguments));
	if (json_object_size(conf) > 0)
		PUT(crd_put_take(spec, "sparkConf", &conf));
	/* Section 2.17. */
	if (cl->batch_scheduler != NULL &&
	    strcmp(cl->batch_scheduler, "yunikorn") == 0) {
		PUT(crd_put_str(spec, "batchScheduler", "yunikorn"));
		PUT(crd_put_alloc(spec, "batchSchedulerOptions",
		    json_pack("{s:s+,s:b,s:i}", "queue", "root.", ctx->queue,
		    "gang", 0, "reservationTimeoutInSeconds", 180)));
	}
	PUT(crd_put_take(spec, "volumes", &vols));
	PUT(crd_put_take(spec, "driver", &driver));
	PUT(crd_put_take(spec, "executor", &executor));
	PUT(crd_put_copy(spec, "deps", req->deps));
	PUT(crd_put_copy(spec, "restartPolicy", req->restart_policy));
	PUT(crd_put_str(spec, "pythonVersion", req->python_version));
	if (cl->has_ttl_seconds)
		PUT(crd_put_alloc(spec, "timeToLiveSeconds",
		    json_integer(cl->ttl_seconds)));
	PUT(crd_put_take(spec, "sparkUIOptions", &ui));

	/* Section 2.21. */
	if ((labels = json_object()) == NULL)
		goto nomem;
	if (ctx->proxy_user != NULL) {
		/* Quirk 10: a user name that is no label value would make
		 * Kubernetes refuse the CR. */
		if ((norm = bpg_label_user(ctx->proxy_user)) == NULL)
			goto nomem;
		PUT(crd_put_str(labels, "proxyUser", norm));
		free(norm);
		norm = NULL;
	}
	if (req->application_name != NULL) {
		if ((norm = bpg_label_normalize(req->application_name)) ==
		    NULL)
			goto nomem;
		PUT(crd_put_str(labels, "applicationName", norm));
		free(norm);
		norm = NULL;
	}
	PUT(crd_put_alloc(labels, "queue", json_sprintf("root.%s", ctx->queue)));
	snprintf(mrm, sizeof(mrm), "%lld", (long long)max_ms);
	PUT(crd_put_str(labels, "maxRunningMillis", mrm));

	if ((meta = json_object()) == NULL)
		goto nomem;
	PUT(crd_put_str(meta, "name", ctx->submission_id));
	PUT(crd_put_str(meta, "namespace", cl->namespace));
	PUT(crd_put_take(meta, "labels", &labels));

	if ((root = json_object()) == NULL)
		goto nomem;
	PUT(crd_put_str(root, "apiVersion", BPG_CRD_GROUP "/" BPG_CRD_VERSION));
	PUT(crd_put_str(root, "kind", BPG_CRD_KIND));
	PUT(crd_put_take(root, "metadata", &meta));
	PUT(crd_put_take(root, "spec", &spec));
	*cr = root;
	crd_spec_done(&sp);
	return BPG_OK;
nomem:
	e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
fail:
	crd_spec_done(&sp);
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
