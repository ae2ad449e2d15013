/*
 * The parts of the CRs that depend on the configuration alone
 * (bpg_crd_prep.h): a cluster's env, checked as bpg_crd_check() would and
 * written as bpg_json_dump() would, and a queue's node label expressions,
 * each written once into cfg->derived.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_crd_prep.h"
#include "bpg_crd_text.h"

/* cfg->derived: NULL s where a part is written each time. */
struct derived {
	size_t nclusters, nqueues;
	struct frag *env;	/* [2 * nclusters]: driver, executor */
	struct frag *expr;	/* [3 * nqueues]: driver, executor, spot */
};

static void
derived_free(void *arg)
{
	struct derived *d = arg;
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < 2 * d->nclusters; i++)
		free(d->env[i].s);
	for (i = 0; i < 3 * d->nqueues; i++)
		free(d->expr[i].s);
	free(d->env);
	free(d->expr);
	free(d);
}

static const struct derived *
derived(const struct bpg_config *cfg)
{
	const struct derived *d = cfg->derived;

	return cfg->derived_free == derived_free && d != NULL &&
	    d->nclusters == cfg->nclusters && d->nqueues == cfg->nqueues ?
	    d : NULL;
}

/* The index of e in the array a of n, or n. */
static size_t
index_of(const void *e, const void *a, size_t size, size_t n)
{
	uintptr_t pe = (uintptr_t)e, pa = (uintptr_t)a;

	if (e == NULL || pe < pa || (pe - pa) % size != 0 ||
	    (pe - pa) / size >= n)
		return n;
	return (pe - pa) / size;
}

const struct frag *
crd_prep_env(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    const struct crd_pod *p)
{
	const struct derived *d = derived(cfg);
	size_t i;

	if (d == NULL || !p->env_borrowed || (i = index_of(cl, cfg->clusters,
	    sizeof(*cl), d->nclusters)) == d->nclusters)
		return NULL;
	return d->env[2 * i + p->executor].s != NULL ?
	    &d->env[2 * i + p->executor] : NULL;
}

const struct frag *
crd_prep_expr(const struct bpg_config *cfg, const struct bpg_queue *qc,
    const struct bpg_submit_req *req, bool executor)
{
	const struct derived *d = derived(cfg);
	size_t i, k = !executor ? 0 : req->spot_instance ? 2 : 1;

	if (d == NULL || (i = index_of(qc, cfg->queues, sizeof(*qc),
	    d->nqueues)) == d->nqueues)
		return NULL;
	return d->expr[3 * i + k].s != NULL ? &d->expr[3 * i + k] : NULL;
}

void
crd_write_label_expr(struct tw *t, const char *key, const struct bpg_strlist *l)
{
	size_t i;

	tw_open(t, '{');
	STR(t, "key", key);
	LSTR(t, "operator", "In");
	KEY(t, "values");
	tw_open(t, '[');
	for (i = 0; i < l->n; i++)
		if (l->v[i] != NULL) {
			tw_next(t);
			bpg_jw_str(&t->w, l->v[i]);
		}
	tw_close(t, ']');
	tw_close(t, '}');
}

/* What the writer wrote, as a fragment; false: out of memory. */
static bool
frag_take(struct tw *t, struct frag *f)
{
	f->s = bpg_jw_finish(&t->w, &f->n);
	return f->s != NULL;
}

bool
bpg_crd_text_prepare(struct bpg_config *cfg)
{
	struct bpg_submit_req req;
	struct bpg_errinfo ei;
	struct crd_chk k;
	struct derived *d;
	const struct bpg_cluster_pod *cp;
	const struct bpg_strlist *l;
	const char *key;
	struct tw t;
	size_t i, j;

	if ((d = calloc(1, sizeof(*d))) == NULL ||
	    (cfg->nclusters > 0 && (d->env = calloc(2 * cfg->nclusters,
	    sizeof(*d->env))) == NULL) ||
	    (cfg->nqueues > 0 && (d->expr = calloc(3 * cfg->nqueues,
	    sizeof(*d->expr))) == NULL))
		goto nomem;
	d->nclusters = cfg->nclusters;
	d->nqueues = cfg->nqueues;
	/* An env as crd_pod_prep() shares it, that passes the CRD's check:
	 * a failing one is written and refused each time, as before. */
	for (i = 0; i < 2 * cfg->nclusters; i++) {
		cp = i % 2 == 0 ? &cfg->clusters[i / 2].driver :
		    &cfg->clusters[i / 2].executor;
		crd_chk_init(&k, &ei);
		if (!json_is_array(cp->env) || crd_has_null(cp->env) ||
		    crd_chk_member(&k, "env", cp->env, CRD_M_ENV) != BPG_OK)
			continue;
		bpg_jw_init(&t.w);
		bpg_jw_value(&t.w, cp->env);
		if (!frag_take(&t, &d->env[i]))
			goto nomem;
	}
	memset(&req, 0, sizeof(req));
	for (i = 0; i < cfg->nqueues; i++)
		for (j = 0; j < 3; j++) {
			req.spot_instance = j == 2;
			crd_node_labels(&cfg->queues[i], &req, j > 0, &l, &key);
			if (l == NULL || l->n == 0)
				continue;
			bpg_jw_init(&t.w);
			t.depth = 0;
			crd_write_label_expr(&t, key, l);
			if (!frag_take(&t, &d->expr[3 * i + j]))
				goto nomem;
		}
	if (cfg->derived_free != NULL)
		cfg->derived_free(cfg->derived);
	cfg->derived = d;
	cfg->derived_free = derived_free;
	return true;
nomem:
	derived_free(d);
	return false;
}

