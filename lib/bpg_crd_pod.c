/*
 * The driver and executor of a SparkApplication (bpg-reference sections
 * 2.10, 2.11): cores, memory and its overhead, labels, annotations,
 * volumes and the rest of each pod's spec.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_crd_int.h"
#include "bpg_limits.h"
#include "bpg_num.h"

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

/* snprintf(buf, n, "%lld%s", v, unit) without printf: the length it
 * would have. */
static size_t
fmt_unit(char *buf, size_t n, long long v, const char *unit)
{
	char num[BPG_FMT_LL_MAX];
	size_t d = bpg_fmt_ll(num, v), u = strlen(unit);

	if (d + u < n) {
		memcpy(buf, num, d);
		memcpy(buf + d, unit, u + 1);
	} else if (n > 0)
		snprintf(buf, n, "%s%s", num, unit);
	return d + u;
}

/* snprintf(buf, n, "%.1fm", v) for the core limit, without printf when
 * v is a whole number (it always is: a ceil()). */
static void
fmt_millis(char *buf, size_t n, double v)
{
	size_t d;

	if (v == floor(v) && fabs(v) < 1e15 && !(v == 0 && signbit(v)) &&
	    n >= BPG_FMT_LL_MAX + 3) {
		d = bpg_fmt_ll(buf, (long long)v);
		memcpy(buf + d, ".0m", 4);
		return;
	}
	snprintf(buf, n, "%.1fm", v);
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
	if (ndots == 0 && i < 10) {
		/* Digits only, as mostly ("2g"): no strtod(). */
		for (k = 0; k < i; k++)
			v = v * 10 + (mem[k] - '0');
	} else if (i < sizeof(num)) {
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
	if (fmt_unit(buf, bufsz, (long long)scaled, mem + i) >= bufsz) {
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

	if ((e = crd_clean_copy(in, out)) != BPG_OK || *out == NULL)
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
		rc = crd_put_str(*out, keys[i], norm);
		free(norm);
		if (rc != 0) {
			json_decref(*out);
			*out = NULL;
			return BPG_ENOMEM;
		}
	}
	return BPG_OK;
}

void
crd_pod_done(struct crd_pod *p)
{
	/* A borrowed env is not even increfed: that would write to the
	 * config's pages, which the workers share with the supervisor. */
	if (!p->env_borrowed)
		json_decref(p->env);
	p->env = NULL;
}

enum bpg_err
crd_pod_prep(const struct bpg_cluster *cl, const struct bpg_submit_req *req,
    const struct bpg_queue *qc, bool executor, bool share, struct crd_pod *p,
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
	double cpu_ratio = 1.0, mem_ratio = 1.0;
	int64_t cores = 1, lim;
	char esc[ECHO_MAX * 4 + 8];
	enum bpg_err e;

	memset(p, 0, sizeof(*p));
	p->executor = executor;
	p->rp = pres ? rp : NULL;
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
	p->cores = cores;
	/* Step 8: the ratio is applied a second time here (quirk 7). */
	if (climit == NULL || climit[0] == '\0') {
		fmt_millis(p->limit, sizeof(p->limit),
		    ceil((double)(cores * 1000) * cpu_ratio));
	} else {
		if (!bpg_parse_int(climit, &lim)) {
			bpg_echo(esc, sizeof(esc), climit, ECHO_MAX);
			return bpg_errf(ei, BPG_EINVAL, "Invalid value for "
			    "%s.coreLimit: \"%s\" (expected a whole number of "
			    "cores, e.g. \"2\")", pod, esc);
		}
		bpg_fmt_ll(p->limit, (long long)java_round((double)lim *
		    cpu_ratio));
	}
	/* Step 9. */
	if ((e = scale_memory(pod, mem, mem_ratio, p->memory,
	    sizeof(p->memory), ei)) != BPG_OK)
		return e;
	/* Section 2.19.  Without the request's env the merge is the
	 * cluster's env without its nulls: it as it is, when it has none. */
	if (share && !(pres && json_is_array(rp->env)) &&
	    json_is_array(cp->env) && !crd_has_null(cp->env)) {
		p->env = cp->env;
		p->env_borrowed = true;
	} else if (crd_merge_env(cp->env, pres ? rp->env : NULL, &p->env) !=
	    BPG_OK)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	/* Step 6: only the driver gets the cluster's account (quirk 43). */
	sa = pres ? rp->service_account : NULL;
	if (!executor && (sa == NULL || sa[0] == '\0'))
		sa = cl->service_account;
	p->service_account = sa;
	/*
	 * Step 4.  XXX: the config struct does not say whether the cluster
	 * had a driver/executor block, only what it held; a block with
	 * neither env nor volumeMounts counts as absent (BPG would drop the
	 * request's mounts for such an empty block).
	 */
	p->mounts = pres ? rp->volume_mounts : NULL;
	if (!(pres && json_array_size(req->volumes) > 0) &&
	    (cp->env != NULL || cp->volume_mounts != NULL) &&
	    json_array_size(cl->volumes) > 0)
		p->mounts = cp->volume_mounts;
	return BPG_OK;
}

enum bpg_err
crd_build_pod(const struct bpg_cluster *cl, const struct bpg_submit_req *req,
    const struct bpg_queue *qc, bool executor, json_t **out,
    struct bpg_errinfo *ei)
{
	struct crd_pod p;
	enum bpg_err e;

	*out = NULL;
	if ((e = crd_pod_prep(cl, req, qc, executor, false, &p, ei)) ==
	    BPG_OK)
		e = crd_pod_tree(&p, req, qc, out, ei);
	crd_pod_done(&p);
	return e;
}

enum bpg_err
crd_pod_tree(struct crd_pod *p, const struct bpg_submit_req *req,
    const struct bpg_queue *qc, json_t **out, struct bpg_errinfo *ei)
{
	const struct bpg_pod_req *rp = p->rp;
	const bool pres = rp != NULL, executor = p->executor;
	json_t *o = NULL, *t = NULL, *na, *dns;

	*out = NULL;
	if ((o = json_object()) == NULL)
		goto nomem;
	PUT(crd_put_alloc(o, "cores", json_integer(p->cores)));
	PUT(pres ? crd_put_str(o, "coreRequest", rp->core_request) : 0);
	PUT(crd_put_str(o, "coreLimit", p->limit));
	PUT(crd_put_str(o, "memory", p->memory));
	if (pres) {
		PUT(crd_put_str(o, "memoryOverhead", rp->memory_overhead));
		PUT(crd_put_str(o, "image", rp->image));
	}
	PUT(crd_put_take(o, "env", &p->env));
	if (pres) {
		if (pod_labels(rp->labels, &t) != BPG_OK)
			goto nomem;
		PUT(crd_put_take(o, "labels", &t));
	}
	/* Step 10 (driver: always) and 2.11 step 8 (executor: only when
	 * the request has no annotations, quirk 9). */
	if (!executor || !pres || rp->annotations == NULL) {
		if (crd_clean_copy(pres && !executor ? rp->annotations : NULL,
		    &t) != BPG_OK)
			goto nomem;
		if (t == NULL && (t = json_object()) == NULL)
			goto nomem;
		PUT(crd_put_str(t, SAFE_TO_EVICT, "false"));
		PUT(crd_put_take(o, "annotations", &t));
	} else
		PUT(crd_put_copy(o, "annotations", rp->annotations));
	if (pres && rp->has_termination_grace_period_seconds)
		PUT(crd_put_alloc(o, "terminationGracePeriodSeconds",
		    json_integer(rp->termination_grace_period_seconds)));
	PUT(crd_put_str(o, "serviceAccount", p->service_account));
	PUT(crd_put_copy(o, "volumeMounts", p->mounts));
	if (pres)
		PUT(crd_put_copy(o, "securityContext", rp->security_context));
	/* Step 11. */
	if (pres && rp->affinity != NULL && !json_is_null(rp->affinity)) {
		PUT(crd_put_copy(o, "affinity", rp->affinity));
	} else {
		if (bpg_crd_node_affinity(qc, req, executor, &na) != BPG_OK)
			goto nomem;
		PUT(crd_put_alloc(o, "affinity", crd_obj1("nodeAffinity", na)));
	}
	/* 2.11 step 10: always, overriding the request. */
	if (executor) {
		if ((t = json_object()) == NULL ||
		    crd_put_str(t, "name", "ndots") != 0 ||
		    crd_put_str(t, "value", "1") != 0)
			goto nomem;
		dns = crd_obj1("options", crd_arr1(t));
		t = NULL;	/* taken by arr1 */
		PUT(crd_put_alloc(o, "dnsConfig", dns));
	}
	if (pres)
		PUT(crd_put_str(o, "javaOptions", rp->java_options));
	if (!executor && pres) {
		PUT(crd_put_str(o, "podName", rp->pod_name));
		PUT(crd_put_str(o, "kubernetesMaster", rp->kubernetes_master));
	}
	if (executor) {
		PUT(crd_put_alloc(o, "instances", json_integer(pres &&
		    rp->has_instances ? rp->instances : 1)));
		if (pres && rp->has_delete_on_termination)
			PUT(crd_put_alloc(o, "deleteOnTermination",
			    json_boolean(rp->delete_on_termination)));
	}
	*out = o;
	return BPG_OK;
nomem:
	json_decref(t);
	json_decref(o);
	return bpg_errf(ei, BPG_ENOMEM, "out of memory");
}
