/* Dry run of a submission (bpg_dryrun.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "bpg_dryrun.h"
#include "bpg_limits.h"

/* Longest part of a bad value echoed in an error. */
#define ECHO_MAX 32

/* v[0..n) as printable ASCII, other bytes as '?', cut at ECHO_MAX. */
static void
echo_value(char *buf, size_t size, const char *v, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && o + 4 < size; i++) {
		if (i == ECHO_MAX) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		buf[o++] = v[i] >= 0x20 && v[i] < 0x7f && v[i] != '"' ?
		    v[i] : '?';
	}
	buf[o] = '\0';
}

enum bpg_err
bpg_dryrun_param(const char *query, bool *on, struct bpg_errinfo *ei)
{
	const size_t nlen = strlen(BPG_DRYRUN_PARAM);
	const char *p = query, *end, *v, *amp;
	char echo[ECHO_MAX * 2];
	size_t vlen;
	bool seen = false;

	*on = false;
	for (; p != NULL && *p != '\0'; p = amp != NULL ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		end = amp != NULL ? amp : p + strlen(p);
		if ((size_t)(end - p) < nlen ||
		    strncmp(p, BPG_DRYRUN_PARAM, nlen) != 0 ||
		    (p + nlen != end && p[nlen] != '='))
			continue;
		if (seen) {
			*on = false;
			return bpg_errf(ei, BPG_EINVAL, "Invalid query "
			    "parameter " BPG_DRYRUN_PARAM ": given more than "
			    "once");
		}
		seen = true;
		if (p + nlen == end)
			continue;
		v = p + nlen + 1;
		vlen = (size_t)(end - v);
		if (vlen == 4 && strncasecmp(v, "true", 4) == 0)
			*on = true;
		else if (vlen == 5 && strncasecmp(v, "false", 5) == 0)
			*on = false;
		else {
			echo_value(echo, sizeof(echo), v, vlen);
			*on = false;
			return bpg_errf(ei, BPG_EINVAL, "Invalid value for "
			    "query parameter " BPG_DRYRUN_PARAM ": \"%s\" "
			    "(expected true or false)", echo);
		}
	}
	return BPG_OK;
}

/* ---- masking -------------------------------------------------------- */

static bool
secret_key(const char *k)
{
	static const char *const words[] = { "secret", "password", "token" };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(k, words[i]) != NULL)
			return true;
	return false;
}

static int
mask_env(json_t *pod)
{
	json_t *ent;
	size_t i;

	json_array_foreach(json_object_get(pod, "env"), i, ent) {
		if (json_object_get(ent, "value") != NULL &&
		    json_object_set_new(ent, "value",
		    json_string(BPG_DRYRUN_MASK)) != 0)
			return -1;
	}
	return 0;
}

static int
mask_conf(json_t *conf)
{
	const char *k;
	json_t *v;

	json_object_foreach(conf, k, v) {
		if (secret_key(k) && json_object_set_new(conf, k,
		    json_string(BPG_DRYRUN_MASK)) != 0)
			return -1;
	}
	return 0;
}

json_t *
bpg_dryrun_mask(const json_t *cr)
{
	json_t *c, *spec;

	if ((c = json_deep_copy(cr)) == NULL)
		return NULL;
	spec = json_object_get(c, "spec");
	if (mask_env(json_object_get(spec, "driver")) != 0 ||
	    mask_env(json_object_get(spec, "executor")) != 0 ||
	    mask_conf(json_object_get(spec, "sparkConf")) != 0 ||
	    mask_conf(json_object_get(spec, "hadoopConf")) != 0) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* ---- warnings ------------------------------------------------------- */

static const struct bpg_queue *
parent_queue(const struct bpg_config *cfg, const char *queue)
{
	size_t i, n = strcspn(queue, ".");

	for (i = 0; i < cfg->nqueues; i++)
		if (cfg->queues[i].name != NULL &&
		    strlen(cfg->queues[i].name) == n &&
		    strncmp(cfg->queues[i].name, queue, n) == 0)
			return &cfg->queues[i];
	return NULL;
}

static int
warn(json_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
warn(json_t *w, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	n = json_array_append_new(w, json_string(s));
	free(s);
	return n;
}

static const char *
str_or(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

/* The warnings of one pod: defaults taken, buffer ratios applied. */
static int
pod_warnings(json_t *w, const struct bpg_pod_req *rp, const json_t *pod,
    const char *name, const char *queue, double cpu_ratio, double mem_ratio)
{
	long long cores = json_integer_value(json_object_get(pod, "cores"));
	const char *mem = str_or(pod, "memory", "");

	if ((!rp->present || !rp->has_cores) &&
	    warn(w, "%s.cores not given: defaulted to 1", name) != 0)
		return -1;
	if ((!rp->present || rp->memory == NULL) &&
	    warn(w, "%s.memory not given: defaulted to 1g", name) != 0)
		return -1;
	if (cpu_ratio != 1.0 && warn(w, "queue %s's %s CPU buffer ratio %g "
	    "applied: cores %lld, coreLimit %s", queue, name, cpu_ratio, cores,
	    str_or(pod, "coreLimit", "none")) != 0)
		return -1;
	if (mem_ratio != 1.0 && warn(w, "queue %s's %s memory buffer ratio %g "
	    "applied: memory %s", queue, name, mem_ratio, mem) != 0)
		return -1;
	return 0;
}

enum bpg_err
bpg_dryrun_warnings(const struct bpg_config *cfg,
    const struct bpg_submit_req *req, const char *queue, const json_t *cr,
    json_t **out)
{
	const struct bpg_queue *qc = parent_queue(cfg, queue);
	const json_t *spec = json_object_get(cr, "spec");
	const json_t *exec = json_object_get(spec, "executor");
	const char *zone = json_string_value(json_object_get(req->spark_conf,
	    "bpg.pickedZones"));
	char pq[BPG_MAX_K8S_NAME + 1];
	json_t *w;

	*out = NULL;
	snprintf(pq, sizeof(pq), "%.*s", (int)strcspn(queue, "."), queue);
	if ((w = json_array()) == NULL)
		return BPG_ENOMEM;
	if (pod_warnings(w, &req->driver, json_object_get(spec, "driver"),
	    "driver", pq, qc ? qc->driver_cpu_ratio : 1.0,
	    qc ? qc->driver_mem_ratio : 1.0) != 0 ||
	    pod_warnings(w, &req->executor, exec, "executor", pq,
	    qc ? qc->executor_cpu_ratio : 1.0,
	    qc ? qc->executor_mem_ratio : 1.0) != 0)
		goto nomem;
	if ((!req->executor.present || !req->executor.has_instances) &&
	    json_object_get(req->spark_conf, "spark.executor.instances") ==
	    NULL && warn(w, "executor.instances not given: defaulted to %lld",
	    json_integer_value(json_object_get(exec, "instances"))) != 0)
		goto nomem;
	if ((req->image == NULL || req->image[0] == '\0') &&
	    warn(w, "image not given: %s chosen for %s %s",
	    str_or(spec, "image", "none"), str_or(spec, "type", ""),
	    str_or(spec, "sparkVersion", "")) != 0)
		goto nomem;
	if (qc != NULL && qc->allowed_zones.n > 0 && zone != NULL &&
	    warn(w, "zone %s chosen from queue %s's allowedZones", zone,
	    pq) != 0)
		goto nomem;
	*out = w;
	return BPG_OK;
nomem:
	json_decref(w);
	return BPG_ENOMEM;
}

/* ---- the whole dry run --------------------------------------------- */

enum bpg_err
bpg_dryrun_run(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx,
    const struct bpg_zones *zones, json_t **out, struct bpg_errinfo *ei)
{
	struct bpg_zones *z = NULL;
	json_t *cr = NULL, *shown = NULL, *warnings = NULL;
	enum bpg_err e;

	*out = NULL;
	if (zones != NULL && (e = bpg_zones_dup(zones, &z)) != BPG_OK)
		goto nomem;
	if ((e = bpg_crd_build(cfg, cl, req, ctx, z, &cr, ei)) != BPG_OK ||
	    (e = bpg_crd_check(cr, ei)) != BPG_OK)
		goto out;
	if ((shown = bpg_dryrun_mask(cr)) == NULL ||
	    bpg_dryrun_warnings(cfg, req, ctx->queue, cr, &warnings) !=
	    BPG_OK)
		goto nomem;
	*out = json_pack("{s:s, s:s, s:s, s:o, s:o}", "cluster", cl->id,
	    "queue", ctx->queue, "submissionId", ctx->submission_id,
	    "sparkApplication", shown, "warnings", warnings);
	shown = warnings = NULL;
	if (*out == NULL)
		goto nomem;
	e = BPG_OK;
	goto out;
nomem:
	e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
out:
	json_decref(warnings);
	json_decref(shown);
	json_decref(cr);
	bpg_zones_free(z);
	return e;
}
