/*
 * Submissions the monitor makes by itself (bpg_monitor_submit.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpg_crd.h"
#include "bpg_db.h"
#include "bpg_db_notify.h"
#include "bpg_json.h"
#include "bpg_kube.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"
#include "bpg_monitor_submit.h"
#include "bpg_notify_plan.h"
#include "bpg_req.h"
#include "bpg_route.h"
#include "bpg_watch.h"
#include "bpg_zones.h"

/*
 * The row's request summary (taken) with the extra keys of ms: the list
 * endpoints show them (bpg_summary_of_row()).  NULL: out of memory.
 */
static char *
summary_with(char *summary, const struct bpg_msub *ms)
{
	json_t *o;
	char *out = NULL;
	size_t i;

	if (summary == NULL)
		return NULL;
	if ((o = json_loads(summary, 0, NULL)) == NULL)
		goto out;
	for (i = 0; i < BPG_MSUB_MAX_EXTRA && ms->summary[i].key != NULL; i++)
		if (json_object_set_new(o, ms->summary[i].key,
		    json_string(ms->summary[i].value)) != 0)
			goto out;
	out = bpg_json_dump(o, NULL);
out:
	json_decref(o);
	free(summary);
	return out;
}

static enum bpg_err
add_labels(json_t *cr, const struct bpg_msub *ms, struct bpg_errinfo *ei)
{
	json_t *labels;
	size_t i;

	labels = json_object_get(json_object_get(cr, "metadata"), "labels");
	if (labels == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "the CR has no labels");
	for (i = 0; i < BPG_MSUB_MAX_EXTRA && ms->labels[i].key != NULL; i++)
		if (json_object_set_new(labels, ms->labels[i].key,
		    json_string(ms->labels[i].value)) != 0)
			return bpg_errf(ei, BPG_ENOMEM, "cannot label the CR");
	return BPG_OK;
}

/* The CR of ms on cluster c with req (queue resolved), its row written
 * first. */
static enum bpg_err
row_and_cr(struct bpg_monitor *m, struct bpg_zones *zones,
    const struct bpg_msub *ms, struct bpg_submit_req *req, const char *queue,
    const struct bpg_cluster *c, json_t **cr, struct bpg_errinfo *ei)
{
	struct bpg_db_submission row;
	struct bpg_crd_ctx ctx;
	json_t *san = NULL;
	char *stored = NULL, *summary = NULL;
	enum bpg_err e;

	*cr = NULL;
	ctx.submission_id = ms->id;
	ctx.user = ms->owner;
	ctx.proxy_user = ms->owner;
	ctx.queue = queue;
	if ((e = bpg_crd_build(m->o.cfg, c, req, &ctx, zones, cr, ei)) !=
	    BPG_OK || (e = add_labels(*cr, ms, ei)) != BPG_OK ||
	    (e = bpg_crd_check(*cr, ei)) != BPG_OK)
		goto out;
	if ((san = bpg_req_sanitized(req)) == NULL ||
	    (stored = bpg_json_dump(san, NULL)) == NULL ||
	    (summary = summary_with(bpg_db_request_summary(san), ms)) ==
	    NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto out;
	}
	memset(&row, 0, sizeof(row));
	row.submission_id = ms->id;
	row.user = ms->owner;
	row.spark_version = req->spark_version;
	row.request_body = stored;
	row.queue = req->queue;
	row.app_name = req->application_name;
	row.request_summary = summary;
	if (!bpg_monitor_confirm(m)) {
		e = bpg_errf(ei, BPG_ECONFLICT, "no longer the leader");
		goto out;
	}
	e = bpg_db_insert_submission(m->db, &row, ei);
out:
	if (e != BPG_OK) {
		json_decref(*cr);
		*cr = NULL;
	}
	free(summary);
	free(stored);
	json_decref(san);
	return e;
}

static void
mark_failed(struct bpg_monitor *m, const char *id, const char *why)
{
	struct bpg_errinfo ei;

	if (bpg_monitor_confirm(m) &&
	    bpg_db_mark_failed(m->db, id, why, &ei) != BPG_OK)
		bpg_monitor_log(m, BPG_MONITOR_LOG_WARN, "cannot mark %s "
		    "failed: %s", id, ei.msg);
}

enum bpg_msub_outcome
bpg_monitor_submit(struct bpg_monitor *m, struct bpg_rng *rng,
    struct bpg_zones *zones, const struct bpg_msub *ms,
    struct bpg_errinfo *ei)
{
	struct bpg_submit_req req;
	struct bpg_notify_spec notify;
	const struct bpg_cluster *c = NULL, *routed;
	struct bpg_monitor_target *t;
	enum bpg_msub_outcome o = BPG_MSUB_REFUSED;
	char *queue = NULL;
	json_t *cr = NULL;
	long http = 0;
	enum bpg_err e;

	memset(&req, 0, sizeof(req));
	/* The cluster is the ID's: the choice made when it was recorded. */
	if (bpg_route_cluster_of_id(m->o.cfg, ms->id, &c, ei) != BPG_OK ||
	    bpg_req_parse(ms->request, strlen(ms->request), ms->format, &req,
	    ei) != BPG_OK ||
	    bpg_route_submission(m->o.cfg, &req, ms->owner, rng, &queue,
	    &routed, ei) != BPG_OK)
		goto out;
	if ((t = bpg_monitor_target_of(m, c)) == NULL) {
		bpg_errf(ei, BPG_ECONFIG, "cluster %s is not monitored",
		    c->id);
		goto out;
	}
	/* Its webhooks, as POST /spark would take them now. */
	if (bpg_notify_plan(m->o.cfg, m->db, req.notify, queue, &notify,
	    ei) != BPG_OK)
		goto out;
	if ((e = row_and_cr(m, zones, ms, &req, queue, c, &cr, ei)) !=
	    BPG_OK) {
		if (e != BPG_EINVAL && e != BPG_ETOOBIG)
			o = BPG_MSUB_AGAIN;
		goto out;
	}
	/* Kept before the CR exists, so that no state change is missed. */
	if (notify.n > 0 && bpg_db_notify_targets(m->db, ms->id, c->id,
	    &notify, ei) != BPG_OK) {
		o = BPG_MSUB_AGAIN;
		goto out;
	}
	o = BPG_MSUB_AGAIN;
	if (!bpg_monitor_confirm(m)) {
		bpg_errf(ei, BPG_ECONFLICT, "no longer the leader");
		goto out;
	}
	e = bpg_kube_try_create_app(t->kube, cr, -1, &http, ei);
	if (e == BPG_OK || e == BPG_EEXIST) {
		/* The name is the ID: only this submission makes it. */
		o = BPG_MSUB_DONE;
		goto out;
	}
	if (http >= 400 && http < 500 && http != 429)
		o = BPG_MSUB_REFUSED; /* refused before anything was stored */
out:
	/* A row written on an earlier turn must not stay SUBMITTED. */
	if (o == BPG_MSUB_REFUSED)
		mark_failed(m, ms->id, ei->msg);
	json_decref(cr);
	free(queue);
	bpg_req_reset(&req);
	return o;
}

enum bpg_err
bpg_msub_state_new(size_t size, void **state, struct bpg_errinfo *ei)
{
	struct bpg_msub_state *st;
	enum bpg_err e;

	if ((st = calloc(1, size)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	*state = st;
	if (bpg_zones_new(&st->zones) != BPG_OK)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	if ((e = bpg_rng_seed(&st->rng)) != BPG_OK)
		return bpg_errf(ei, e, "cannot seed the random generator");
	return BPG_OK;
}

enum bpg_err
bpg_msub_init(struct bpg_monitor *m, void **state, struct bpg_errinfo *ei)
{
	(void)m;
	return bpg_msub_state_new(sizeof(struct bpg_msub_state), state, ei);
}

void
bpg_msub_state_free(void *state)
{
	struct bpg_msub_state *st = state;

	if (st == NULL)
		return;
	bpg_zones_free(st->zones);
	free(st);
}

void
bpg_msub_lead(struct bpg_monitor *m, void *state, long long now)
{
	struct bpg_msub_state *st = state;

	(void)m;
	st->next_ms = now;
}

long long
bpg_msub_due(const struct bpg_monitor *m, const void *state)
{
	const struct bpg_msub_state *st = state;

	(void)m;
	return st->next_ms;
}

bool
bpg_msub_turn(struct bpg_monitor *m, struct bpg_msub_state *st,
    long long period_ms)
{
	long long mono = bpg_watch_now_ms();

	if (mono < st->next_ms || !bpg_db_enabled(m->db))
		return false;
	st->next_ms = mono + period_ms;
	return bpg_monitor_confirm(m);
}

int64_t
bpg_monitor_now_s(const struct bpg_monitor *m)
{
	int64_t ms = m->o.clock_ms != NULL ? m->o.clock_ms(m->o.clock_arg) :
	    bpg_monitor_wall_ms();

	return ms / 1000;
}
