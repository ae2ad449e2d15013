/*
 * Health-aware cluster choice of a submission (bpg_failover.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_failover.h"
#include "bpg_limits.h"

struct bpg_breaker_conf
bpg_failover_conf(const struct bpg_config *cfg)
{
	struct bpg_breaker_conf c;

	c.threshold = cfg->cluster_failure_threshold;
	c.cooldown_ms = cfg->cluster_cooldown_millis;
	return c;
}

enum bpg_err
bpg_failover_init(struct bpg_failover *f, const struct bpg_config *cfg,
    struct bpg_breaker *br, const struct bpg_submit_req *req,
    const struct bpg_cluster *first, struct bpg_errinfo *ei)
{
	memset(f, 0, sizeof(*f));
	f->cfg = cfg;
	f->br = br;
	f->conf = bpg_failover_conf(cfg);
	if (req->cluster_id != NULL && req->cluster_id[0] != '\0')
		f->forced = first;
	if (cfg->nclusters < BPG_FAILOVER_FEW) {
		f->excluded = f->excluded_few;
		f->cand = f->cand_few;
	} else if ((f->excluded = calloc(cfg->nclusters + 1,
	    sizeof(*f->excluded))) == NULL ||
	    (f->cand = calloc(cfg->nclusters + 1, sizeof(*f->cand))) == NULL) {
		bpg_failover_reset(f);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	return BPG_OK;
}

void
bpg_failover_reset(struct bpg_failover *f)
{
	if (f->excluded != f->excluded_few)
		free(f->excluded);
	if (f->cand != f->cand_few)
		free(f->cand);
	memset(f, 0, sizeof(*f));
}

/* Section 2.5 steps 2 and 4: the clusters a random choice may take. */
static bool
eligible(const struct bpg_failover *f, const struct bpg_cluster *c,
    const struct bpg_submit_req *req, const char *queue, size_t plen)
{
	if (f->forced != NULL)
		return c == f->forced;
	return c->weight > 0 &&
	    bpg_route_cluster_has_version(c, req->spark_version) &&
	    bpg_route_cluster_has_queue_n(c, queue, plen);
}

/* Open, or half-open with another's trial running: not now. */
static bool
denied(const struct bpg_breaker_view *v)
{
	return v->state == BPG_BREAKER_OPEN ||
	    (v->state == BPG_BREAKER_HALF_OPEN && v->trial_in_ms > 0);
}

enum bpg_failover_pick
bpg_failover_pick(struct bpg_failover *f, const struct bpg_submit_req *req,
    const char *queue, struct bpg_rng *rng, int64_t now_ms, int64_t lease_ms,
    const struct bpg_cluster **out, bool *trial)
{
	const struct bpg_config *cfg = f->cfg;
	const struct bpg_cluster *c;
	struct bpg_breaker_view v;
	uint64_t sum, r, w;
	size_t i, n, plen;
	bool any_denied;

	*out = NULL;
	*trial = false;
	/* The parent queue is the text before the first '.' (step 4). */
	if (queue == NULL)
		queue = "";
	plen = strcspn(queue, ".");
	/*
	 * Each round takes the candidates as their breakers are now, picks
	 * one, and asks its breaker; a trial another worker took meanwhile
	 * makes it denied in the next round, so the rounds end.
	 */
	for (;;) {
		sum = 0;
		n = 0;
		any_denied = false;
		f->retry_ms = 0;
		f->neligible = 0;
		for (i = 0; i < cfg->nclusters; i++) {
			c = &cfg->clusters[i];
			if (!eligible(f, c, req, queue, plen))
				continue;
			f->neligible++;
			if (f->excluded[i])
				continue;
			bpg_breaker_peek(f->br, c->id, &f->conf, now_ms, &v);
			if (denied(&v)) {
				if (!any_denied || v.trial_in_ms < f->retry_ms)
					f->retry_ms = v.trial_in_ms;
				any_denied = true;
				continue;
			}
			/* A forced cluster's weight may be 0 (step 1). */
			w = f->forced != NULL ? 1 : (uint64_t)c->weight;
			f->cand[n++] = i;
			sum += w;
		}
		f->ncand = n;
		if (n == 0)
			return any_denied ? BPG_FAILOVER_ALL_OPEN :
			    BPG_FAILOVER_NONE_LEFT;
		/* Step 5 among them: P(i) = weight_i / sum. */
		r = bpg_rng_below(rng, sum);
		for (i = 0; i + 1 < n; i++) {
			c = &cfg->clusters[f->cand[i]];
			w = f->forced != NULL ? 1 : (uint64_t)c->weight;
			if (r < w)
				break;
			r -= w;
		}
		c = &cfg->clusters[f->cand[i]];
		switch (bpg_breaker_acquire(f->br, c->id, &f->conf, now_ms,
		    lease_ms, NULL)) {
		case BPG_BREAKER_TRIAL:
			*trial = true;
			/* FALLTHROUGH */
		case BPG_BREAKER_ALLOW:
			*out = c;
			return BPG_FAILOVER_PICKED;
		default:
			break;
		}
	}
}

void
bpg_failover_exclude(struct bpg_failover *f, const struct bpg_cluster *c)
{
	size_t i;

	for (i = 0; i < f->cfg->nclusters; i++)
		if (&f->cfg->clusters[i] == c)
			f->excluded[i] = true;
}

bool
bpg_failover_should_probe(const struct bpg_failover *f,
    const struct bpg_cluster *c, bool trial, int64_t now_ms,
    int64_t fresh_ms)
{
	struct bpg_breaker_view v;

	if (trial)
		return true;
	if (f->br == NULL || f->ncand < 2)
		return false;
	bpg_breaker_peek(f->br, c->id, &f->conf, now_ms, &v);
	return !v.last_ok || now_ms - v.last_success_ms > fresh_ms;
}
