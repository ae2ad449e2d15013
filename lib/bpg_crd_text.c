/*
 * The SparkApplication written as text (bpg_crd_text.h).
 *
 * The values come from crd_spec_prep() and the sparkConf layers, which
 * bpg_crd_build() uses too; only the emitting differs.  A pass of
 * bpg_crd_check()'s rules, in its order and with its texts, runs on those
 * values before anything is written.  Nested objects the request brings
 * (env, volumes, mounts, deps, ...) are written as they are when they
 * hold no null, else from the same null-free copy the tree would hold.
 * The parts of the configuration alone (a cluster's env, a queue's node
 * labels) are copied as bpg_crd_text_prepare() wrote them, when it did.
 * A request of a shape this file does not stream (a sparkConf of more
 * than CONF_MAX keys, labels or annotations that are not maps) is built
 * as the tree and dumped.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_crd_int.h"
#include "bpg_crd_prep.h"
#include "bpg_crd_text.h"
#include "bpg_json.h"
#include "bpg_limits.h"
#include "bpg_num.h"

/* More sparkConf keys than this go through the tree (its hash table);
 * below, a linear search is cheaper. */
#define CONF_MAX 64
/* Longer queue names go through the tree (no label value is so long). */
#define QUEUE_MAX 256
/* A SparkPi CR is about 2 kB. */
#define TEXT_RESERVE 4096

struct conf_ent {
	const char *key, *value;
	const char *id;		/* non-NULL: replace placeholders */
	bool dead;
};

struct conf {
	struct conf_ent v[CONF_MAX];
	size_t n;
};

static struct conf_ent *
conf_find(struct conf *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!c->v[i].dead && strcmp(c->v[i].key, key) == 0)
			return &c->v[i];
	return NULL;
}

static int
conf_set(void *arg, const char *key, const char *value, const char *id)
{
	struct conf *c = arg;
	struct conf_ent *e = conf_find(c, key);

	if (e == NULL) {
		if (c->n == CONF_MAX)
			return -1;	/* counted before: cannot happen */
		e = &c->v[c->n++];
		e->key = key;
		e->dead = false;
	}
	e->value = value;
	e->id = id;
	return 0;
}

static void
conf_del(void *arg, const char *key)
{
	struct conf_ent *e = conf_find(arg, key);

	if (e != NULL)
		e->dead = true;
}

static size_t
conf_live(const struct conf *c)
{
	size_t i, n = 0;

	for (i = 0; i < c->n; i++)
		n += !c->v[i].dead;
	return n;
}

/*
 * An upper bound of the keys the layers can set: each layer's, the app
 * name, and bpg.pickedZones, which the zone pick adds to the request's
 * sparkConf after this count (crd_spec_prep()).
 */
static size_t
conf_bound(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    const struct bpg_submit_req *req)
{
	return cfg->default_spark_conf.n + cl->spark_conf.n +
	    json_object_size(req->spark_conf) + cfg->fixed_spark_conf.n + 2;
}

/* ---- values as the tree holds them ----------------------------------- */

/*
 * What crd_put_copy() would put in the tree for v: NULL for none, v
 * itself when it holds no null, else a null-free copy kept in *own.
 */
static enum bpg_err
clean(const json_t *v, json_t **own, const json_t **out)
{
	*own = NULL;
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return BPG_OK;
	if (!crd_has_null(v)) {
		*out = v;
		return BPG_OK;
	}
	if (crd_clean_copy(v, own) != BPG_OK)
		return BPG_ENOMEM;
	*out = *own;
	return BPG_OK;
}

/* The request's nested values a CR holds, null-free, for the check and
 * the writer alike. */
struct nested {
	const json_t *args, *deps, *restart;
	struct {
		const json_t *mounts, *secctx, *affinity, *annotations;
		/* bpg_crd_text_prepare()'s, or NULL: the cluster's env
		 * (when the pod's env is it), the queue's node labels */
		const struct frag *env, *expr;
	} pod[2];
	json_t *own[11];
	size_t nown;
};

static void
nested_done(struct nested *n)
{
	while (n->nown > 0)
		json_decref(n->own[--n->nown]);
}

static enum bpg_err
nested_one(struct nested *n, const json_t *v, const json_t **out)
{
	json_t *own;

	if (clean(v, &own, out) != BPG_OK)
		return BPG_ENOMEM;
	if (own != NULL)
		n->own[n->nown++] = own;
	return BPG_OK;
}

static enum bpg_err
nested_prep(struct nested *n, const struct bpg_submit_req *req,
    const struct crd_spec *sp)
{
	const struct bpg_pod_req *rp;
	int p;

	memset(n, 0, sizeof(*n));
	if (nested_one(n, req->arguments, &n->args) != BPG_OK ||
	    nested_one(n, req->deps, &n->deps) != BPG_OK ||
	    nested_one(n, req->restart_policy, &n->restart) != BPG_OK)
		return BPG_ENOMEM;
	for (p = 0; p < 2; p++) {
		rp = sp->pod[p].rp;
		if (nested_one(n, sp->pod[p].mounts, &n->pod[p].mounts) !=
		    BPG_OK)
			return BPG_ENOMEM;
		if (rp == NULL)
			continue;
		if (nested_one(n, rp->security_context, &n->pod[p].secctx) !=
		    BPG_OK ||
		    nested_one(n, rp->affinity, &n->pod[p].affinity) !=
		    BPG_OK)
			return BPG_ENOMEM;
		/* The executor's own annotations replace the default. */
		if (p == 1 && rp->annotations != NULL &&
		    nested_one(n, rp->annotations, &n->pod[p].annotations) !=
		    BPG_OK)
			return BPG_ENOMEM;
	}
	return BPG_OK;
}

/* The size safe-to-evict "false" adds to a pod's annotations. */
#define EVICT_SIZE (sizeof(SAFE_TO_EVICT) - 1 + sizeof("false") - 1)

/* A pod label's value as the CR holds it: dag_name and task_name
 * normalised (section 2.10 step 3).  *norm is what to free. */
static const char *
label_value(const char *key, const json_t *v, char **norm)
{
	const char *s = json_string_value(v);

	*norm = NULL;
	if (s != NULL && (strcmp(key, "dag_name") == 0 ||
	    strcmp(key, "task_name") == 0)) {
		if ((*norm = bpg_label_normalize(s)) == NULL)
			return NULL;
		return *norm;
	}
	return s;
}

/* The driver's annotations: the request's with safe-to-evict "false"
 * (in its place if the request has it, else last). */
static bool
driver_evict_given(const json_t *ann)
{
	const json_t *v = json_object_get(ann, SAFE_TO_EVICT);

	return v != NULL && !json_is_null(v);
}

/* ---- the checks, in bpg_crd_check()'s order -------------------------- */

struct meta_labels {
	char *user, *app;	/* normalised, or NULL */
	char queue[QUEUE_MAX + 6];	/* "root." */
	char max_ms[BPG_FMT_LL_MAX];
};

static enum bpg_err
check_pod(struct crd_chk *k, const struct crd_pod *p,
    const struct nested *n, int pi)
{
	const struct bpg_pod_req *rp = p->rp;
	const char *key, *s;
	char *norm;
	json_t *v;
	size_t m, total = 0;
	enum bpg_err e;

	if ((e = crd_chk_int(k, "cores", p->cores, 1, INT32_MAX)) != BPG_OK)
		return e;
	/* A prepared env passed at load. */
	if (n->pod[pi].env == NULL &&
	    (e = crd_chk_member(k, "env", p->env, CRD_M_ENV)) != BPG_OK)
		return e;
	if (rp != NULL && json_is_object(rp->labels)) {
		m = crd_chk_push(k, "labels");
		json_object_foreach(rp->labels, key, v) {
			if (json_is_null(v))
				continue;
			if ((s = label_value(key, v, &norm)) == NULL &&
			    json_is_string(v))
				e = BPG_ENOMEM;
			else
				e = crd_chk_label(k, key, s);
			free(norm);
			if (e != BPG_OK)
				break;
		}
		crd_chk_pop(k, m);
		if (e == BPG_ENOMEM)
			return bpg_errf(k->ei, e, "out of memory");
		if (e != BPG_OK)
			return e;
	}
	if (p->executor && rp != NULL && rp->annotations != NULL) {
		if ((e = crd_chk_member(k, "annotations",
		    n->pod[pi].annotations, CRD_M_ANNOTATIONS)) != BPG_OK)
			return e;
	} else {
		m = crd_chk_push(k, "annotations");
		if (!p->executor && rp != NULL && json_is_object(rp->annotations))
			json_object_foreach(rp->annotations, key, v) {
				if (json_is_null(v))
					continue;
				/* Ours, a valid key: only its size counts. */
				if (strcmp(key, SAFE_TO_EVICT) == 0)
					total += EVICT_SIZE;
				else
					e = crd_chk_annotation(k, key,
					    json_string_value(v),
					    json_string_length(v), &total);
				if (e != BPG_OK)
					break;
			}
		if (p->executor || rp == NULL ||
		    !driver_evict_given(rp->annotations))
			total += EVICT_SIZE;
		if (e == BPG_OK)
			e = crd_chk_annotations_total(k, total);
		crd_chk_pop(k, m);
		if (e != BPG_OK)
			return e;
	}
	if ((e = crd_chk_member(k, "volumeMounts", n->pod[pi].mounts,
	    CRD_M_MOUNTS)) != BPG_OK ||
	    (e = crd_chk_member(k, "securityContext", n->pod[pi].secctx,
	    CRD_M_SECCTX)) != BPG_OK ||
	    (e = crd_chk_member(k, "affinity", n->pod[pi].affinity,
	    CRD_M_AFFINITY)) != BPG_OK)
		return e;
	if (!p->executor && rp != NULL && rp->pod_name != NULL &&
	    (e = crd_chk_podname(k, rp->pod_name)) != BPG_OK)
		return e;
	if (p->executor)
		return crd_chk_int(k, "instances", rp != NULL &&
		    rp->has_instances ? rp->instances : 1, 1, INT32_MAX);
	return BPG_OK;
}

static enum bpg_err
check(const struct bpg_cluster *cl, const struct bpg_submit_req *req,
    const struct bpg_crd_ctx *ctx, const struct crd_spec *sp,
    const struct nested *n, const struct meta_labels *ml,
    struct bpg_errinfo *ei)
{
	struct crd_chk k;
	size_t m, m2;
	enum bpg_err e;
	int p;

	crd_chk_init(&k, ei);
	m = crd_chk_push(&k, "metadata");
	if ((e = crd_chk_name(&k, ctx->submission_id)) != BPG_OK ||
	    (cl->namespace != NULL &&
	    (e = crd_chk_namespace(&k, cl->namespace)) != BPG_OK))
		return e;
	m2 = crd_chk_push(&k, "labels");
	if ((ml->user != NULL && (e = crd_chk_label_value(&k, "proxyUser",
	    ml->user)) != BPG_OK) ||
	    (ml->app != NULL && (e = crd_chk_label_value(&k,
	    "applicationName", ml->app)) != BPG_OK) ||
	    (e = crd_chk_label_value(&k, "queue", ml->queue)) != BPG_OK ||
	    (e = crd_chk_label_value(&k, "maxRunningMillis", ml->max_ms)) !=
	    BPG_OK)
		return e;
	crd_chk_pop(&k, m2);
	crd_chk_pop(&k, m);

	m = crd_chk_push(&k, "spec");
	if (req->spark_version == NULL)
		return crd_chk_required(&k, "sparkVersion");
	if (req->main_application_file == NULL)
		return crd_chk_required(&k, "mainApplicationFile");
	if ((e = crd_chk_enum(&k, "type", sp->type, crd_types)) != BPG_OK ||
	    (e = crd_chk_member(&k, "arguments", n->args, CRD_M_STRLIST)) !=
	    BPG_OK ||
	    (e = crd_chk_member(&k, "volumes", sp->vols, CRD_M_VOLUMES)) !=
	    BPG_OK)
		return e;
	for (p = 0; p < 2; p++) {
		m2 = crd_chk_push(&k, p == 0 ? "driver" : "executor");
		if ((e = check_pod(&k, &sp->pod[p], n, p)) != BPG_OK)
			return e;
		crd_chk_pop(&k, m2);
	}
	if ((e = crd_chk_member(&k, "deps", n->deps, CRD_M_DEPS)) != BPG_OK ||
	    (e = crd_chk_member(&k, "restartPolicy", n->restart,
	    CRD_M_RESTART)) != BPG_OK ||
	    (req->python_version != NULL &&
	    (e = crd_chk_enum(&k, "pythonVersion", req->python_version,
	    crd_pythons)) != BPG_OK))
		return e;
	return crd_chk_member(&k, "sparkUIOptions", sp->ui, CRD_M_UI);
}

/* ---- the writer ------------------------------------------------------ */

/* A sparkConf value: placeholders replaced when id is set; on the stack
 * when it fits (a pod name prefix does). */
static int
write_conf_value(struct tw *t, const struct conf_ent *e)
{
	char buf[256], *r;
	size_t n;

	if (e->id == NULL) {
		bpg_jw_str(&t->w, e->value);
		return 0;
	}
	if ((n = crd_replace_placeholder_in(e->value, e->id, buf,
	    sizeof(buf))) < sizeof(buf)) {
		bpg_jw_strn(&t->w, buf, n);
		return 0;
	}
	if ((r = crd_replace_placeholder(e->value, e->id)) == NULL)
		return -1;
	bpg_jw_strn(&t->w, r, n);
	free(r);
	return 0;
}

/* Section 2.12, as bpg_crd_node_affinity() builds it. */
static void
write_node_affinity(struct tw *t, const struct bpg_queue *qc,
    const struct bpg_submit_req *req, bool executor, const struct frag *pre)
{
	const struct bpg_strlist *l;
	const char *key, *zones, *p, *comma;
	bool label, zone = false;
	size_t len;

	crd_node_labels(qc, req, executor, &l, &key);
	label = l != NULL && l->n > 0;
	zones = crd_req_conf(req, PICKED_ZONES);
	if (zones != NULL)
		for (p = zones; *p != '\0' && !zone; p++)
			zone = *p != ',';
	tw_open(t, '{');
	if (!label && !zone) {
		tw_close(t, '}');
		return;
	}
	KEY(t, "requiredDuringSchedulingIgnoredDuringExecution");
	tw_open(t, '{');
	KEY(t, "nodeSelectorTerms");
	tw_open(t, '[');
	tw_next(t);
	tw_open(t, '{');
	KEY(t, "matchExpressions");
	tw_open(t, '[');
	if (label) {
		tw_next(t);
		if (pre != NULL)
			tw_put(t, pre->s, pre->n);
		else
			crd_write_label_expr(t, key, l);
	}
	if (zone) {
		tw_next(t);
		tw_open(t, '{');
		STR(t, "key", ZONE_LABEL_KEY);
		LSTR(t, "operator", "In");
		KEY(t, "values");
		tw_open(t, '[');
		for (p = zones; ; p = comma + 1) {
			comma = strchr(p, ',');
			len = comma ? (size_t)(comma - p) : strlen(p);
			if (len > 0) {
				tw_next(t);
				bpg_jw_strn(&t->w, p, len);
			}
			if (comma == NULL)
				break;
		}
		tw_close(t, ']');
		tw_close(t, '}');
	}
	tw_close(t, ']');
	tw_close(t, '}');
	tw_close(t, ']');
	tw_close(t, '}');
	tw_close(t, '}');
}

static int
write_pod(struct tw *t, const struct crd_pod *p, const struct nested *n,
    int pi, const struct bpg_submit_req *req, const struct bpg_queue *qc)
{
	const struct bpg_pod_req *rp = p->rp;
	const char *key, *s;
	char *norm;
	json_t *v;
	bool evict = false;

	tw_open(t, '{');
	INT(t, "cores", p->cores);
	if (rp != NULL)
		STR(t, "coreRequest", rp->core_request);
	STR(t, "coreLimit", p->limit);
	STR(t, "memory", p->memory);
	if (rp != NULL) {
		STR(t, "memoryOverhead", rp->memory_overhead);
		STR(t, "image", rp->image);
	}
	if (n->pod[pi].env != NULL) {
		KEY(t, "env");
		tw_put(t, n->pod[pi].env->s, n->pod[pi].env->n);
	} else
		VAL(t, "env", p->env);
	if (rp != NULL && json_is_object(rp->labels)) {
		KEY(t, "labels");
		tw_open(t, '{');
		json_object_foreach(rp->labels, key, v) {
			if (json_is_null(v))
				continue;
			tw_key(t, key);
			if ((s = label_value(key, v, &norm)) != NULL)
				bpg_jw_str(&t->w, s);
			else if (json_is_string(v))
				return -1;
			else
				bpg_jw_value(&t->w, v);
			free(norm);
		}
		tw_close(t, '}');
	}
	if (p->executor && rp != NULL && rp->annotations != NULL) {
		/* quirk 9: the request's as they are (none if null) */
		VAL(t, "annotations", n->pod[pi].annotations);
	} else {
		KEY(t, "annotations");
		tw_open(t, '{');
		if (!p->executor && rp != NULL && json_is_object(rp->annotations))
			json_object_foreach(rp->annotations, key, v) {
				if (json_is_null(v))
					continue;
				tw_key(t, key);
				if (strcmp(key, SAFE_TO_EVICT) == 0) {
					tw_put(t, LIT("\"false\""));
					evict = true;
				} else
					bpg_jw_value(&t->w, v);
			}
		if (!evict) {
			tw_next(t);
			tw_put(t, LIT("\"" SAFE_TO_EVICT "\":\"false\""));
		}
		tw_close(t, '}');
	}
	if (rp != NULL && rp->has_termination_grace_period_seconds)
		INT(t, "terminationGracePeriodSeconds",
		    rp->termination_grace_period_seconds);
	STR(t, "serviceAccount", p->service_account);
	VAL(t, "volumeMounts", n->pod[pi].mounts);
	VAL(t, "securityContext", n->pod[pi].secctx);
	KEY(t, "affinity");
	if (n->pod[pi].affinity != NULL)
		bpg_jw_value(&t->w, n->pod[pi].affinity);
	else {
		tw_open(t, '{');
		KEY(t, "nodeAffinity");
		write_node_affinity(t, qc, req, p->executor,
		    n->pod[pi].expr);
		tw_close(t, '}');
	}
	if (p->executor)
		tw_put(t, LIT(",\"dnsConfig\":{\"options\":"
		    "[{\"name\":\"ndots\",\"value\":\"1\"}]}"));
	if (rp != NULL)
		STR(t, "javaOptions", rp->java_options);
	if (!p->executor && rp != NULL) {
		STR(t, "podName", rp->pod_name);
		STR(t, "kubernetesMaster", rp->kubernetes_master);
	}
	if (p->executor) {
		INT(t, "instances", rp != NULL && rp->has_instances ?
		    rp->instances : 1);
		if (rp != NULL && rp->has_delete_on_termination) {
			KEY(t, "deleteOnTermination");
			if (rp->delete_on_termination)
				tw_put(t, LIT("true"));
			else
				tw_put(t, LIT("false"));
		}
	}
	tw_close(t, '}');
	return 0;
}

static int
write_cr(struct tw *t, const struct bpg_cluster *cl,
    const struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx,
    const struct crd_spec *sp, const struct nested *n,
    const struct meta_labels *ml, const struct conf *conf, bool any_conf)
{
	size_t i;
	int p;

	tw_put(t, LIT("{\"apiVersion\":\"" BPG_CRD_GROUP "/"
	    BPG_CRD_VERSION "\",\"kind\":\"" BPG_CRD_KIND "\","
	    "\"metadata\":"));
	t->depth = 0;
	tw_open(t, '{');
	STR(t, "name", ctx->submission_id);
	STR(t, "namespace", cl->namespace);
	KEY(t, "labels");
	tw_open(t, '{');
	STR(t, "proxyUser", ml->user);
	STR(t, "applicationName", ml->app);
	STR(t, "queue", ml->queue);
	STR(t, "maxRunningMillis", ml->max_ms);
	tw_close(t, '}');
	tw_close(t, '}');

	tw_put(t, LIT(",\"spec\":"));
	tw_open(t, '{');
	STR(t, "type", sp->type);
	STR(t, "sparkVersion", req->spark_version);
	LSTR(t, "mode", "cluster");
	STR(t, "originalUser", ctx->user);
	STR(t, "proxyUser", ctx->proxy_user);
	STR(t, "image", sp->image);
	STR(t, "imagePullPolicy", req->image_pull_policy);
	STR(t, "mainClass", req->main_class);
	STR(t, "mainApplicationFile", req->main_application_file);
	VAL(t, "arguments", n->args);
	if (any_conf && conf_live(conf) > 0) {
		KEY(t, "sparkConf");
		tw_open(t, '{');
		for (i = 0; i < conf->n; i++) {
			if (conf->v[i].dead)
				continue;
			tw_key(t, conf->v[i].key);
			if (write_conf_value(t, &conf->v[i]) != 0)
				return -1;
		}
		tw_close(t, '}');
	}
	/* Section 2.17. */
	if (cl->batch_scheduler != NULL &&
	    strcmp(cl->batch_scheduler, "yunikorn") == 0) {
		LSTR(t, "batchScheduler", "yunikorn");
		KEY(t, "batchSchedulerOptions");
		tw_open(t, '{');
		STR(t, "queue", ml->queue);
		tw_put(t, LIT(",\"gang\":false,"
		    "\"reservationTimeoutInSeconds\":180"));
		tw_close(t, '}');
	}
	VAL(t, "volumes", sp->vols);
	for (p = 0; p < 2; p++) {
		if (p == 0)
			KEY(t, "driver");
		else
			KEY(t, "executor");
		if (write_pod(t, &sp->pod[p], n, p, req, sp->qc) != 0)
			return -1;
	}
	VAL(t, "deps", n->deps);
	VAL(t, "restartPolicy", n->restart);
	STR(t, "pythonVersion", req->python_version);
	if (cl->has_ttl_seconds)
		INT(t, "timeToLiveSeconds", cl->ttl_seconds);
	VAL(t, "sparkUIOptions", sp->ui);
	tw_close(t, '}');
	tw_put(t, "}", 1);
	return 0;
}

/* ---- the reference, for the shapes not streamed ----------------------- */

enum bpg_err
bpg_crd_text_ref(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx,
    struct bpg_zones *zones, char **text, size_t *len,
    struct bpg_errinfo *ei)
{
	json_t *cr = NULL;
	enum bpg_err e;

	*text = NULL;
	if ((e = bpg_crd_build(cfg, cl, req, ctx, zones, &cr, ei)) == BPG_OK &&
	    (e = bpg_crd_check(cr, ei)) == BPG_OK &&
	    (*text = bpg_json_dump(cr, len)) == NULL)
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
	json_decref(cr);
	return e;
}

/* Shapes the writer takes: maps that are maps, a sparkConf that fits. */
static bool
streamable(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    const struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx)
{
	const struct bpg_pod_req *rp;
	int p;

	if (conf_bound(cfg, cl, req) > CONF_MAX ||
	    (ctx->queue != NULL && strlen(ctx->queue) > QUEUE_MAX))
		return false;
	for (p = 0; p < 2; p++) {
		rp = p == 0 ? &req->driver : &req->executor;
		if (!rp->present)
			continue;
		if (rp->labels != NULL && !json_is_null(rp->labels) &&
		    !json_is_object(rp->labels))
			return false;
		if (rp->annotations != NULL && !json_is_null(rp->annotations) &&
		    !json_is_object(rp->annotations))
			return false;
	}
	return true;
}

enum bpg_err
bpg_crd_text(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx,
    struct bpg_zones *zones, char **text, size_t *len,
    struct bpg_errinfo *ei)
{
	static const struct crd_conf_ops ops = { conf_set, conf_del };
	struct crd_spec sp;
	struct nested n;
	struct meta_labels ml;
	struct conf conf;
	struct tw t;
	bool any_conf;
	enum bpg_err e;
	int p;

	*text = NULL;
	*len = 0;
	if (!streamable(cfg, cl, req, ctx))
		return bpg_crd_text_ref(cfg, cl, req, ctx, zones, text, len,
		    ei);
	memset(&ml, 0, sizeof(ml));
	memset(&n, 0, sizeof(n));
	conf.n = 0;
	if ((e = crd_spec_prep(cfg, cl, req, ctx, zones, true, &sp, ei)) != BPG_OK)
		goto out;
	any_conf = crd_conf_any(cfg, cl, req);
	if ((any_conf && crd_conf_layers(cfg, cl, req, ctx->submission_id,
	    &ops, &conf) != 0) || nested_prep(&n, req, &sp) != BPG_OK ||
	    /* Section 2.21's labels. */
	    (ctx->proxy_user != NULL &&
	    (ml.user = bpg_label_user(ctx->proxy_user)) == NULL) ||
	    (req->application_name != NULL &&
	    (ml.app = bpg_label_normalize(req->application_name)) == NULL)) {
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto out;
	}
	for (p = 0; p < 2; p++) {
		n.pod[p].env = crd_prep_env(cfg, cl, &sp.pod[p]);
		n.pod[p].expr = crd_prep_expr(cfg, sp.qc, req, p == 1);
	}
	memcpy(ml.queue, "root.", 5);
	memcpy(ml.queue + 5, ctx->queue, strlen(ctx->queue) + 1);
	bpg_fmt_ll(ml.max_ms, (long long)sp.max_ms);

	if ((e = check(cl, req, ctx, &sp, &n, &ml, ei)) != BPG_OK)
		goto out;
	bpg_jw_init(&t.w);
	bpg_jw_reserve(&t.w, TEXT_RESERVE);
	if (write_cr(&t, cl, req, ctx, &sp, &n, &ml, &conf, any_conf) != 0 ||
	    (*text = bpg_jw_finish(&t.w, len)) == NULL) {
		free(bpg_jw_finish(&t.w, NULL));
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto out;
	}
	e = BPG_OK;
out:
	free(ml.user);
	free(ml.app);
	nested_done(&n);
	crd_spec_done(&sp);
	return e;
}
