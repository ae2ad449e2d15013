/* POST /spark: the submission pipeline (bpg-reference section 2). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "bpg_api_idem.h"
#include "bpg_api_submit.h"
#include "bpg_api_util.h"
#include "bpg_dryrun.h"
#include "bpg_json.h"
#include "bpg_limits.h"
#include "bpg_req.h"

/* ---- POST /spark (section 2) -------------------------------------- */

/* What a create did, as far as the API server's answers tell. */
enum create_outcome {
	CREATE_EXISTS,		/* the CR is there: ours */
	CREATE_NONE,		/* refused: nothing was stored */
	CREATE_UNKNOWN		/* not settled within the bound */
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * An answer of a create, by what it says of the object:
 *   2xx, and 409 AlreadyExists: the CR is there.  The name is the fresh
 *     submission ID, so only a create of ours can hold it.
 *   any other 4xx: refused before anything was stored; authentication,
 *     authorization, priority and fairness (429), admission and
 *     validation all run before the storage write (kube-apiserver's
 *     handler chain).  So is a request that never reached the server
 *     (bpg_kube_unsent()): refused here, or it could not connect.
 *   5xx, a timeout or no answer: unknown.  The write may have been made
 *     (a 500 after the object was stored) or may still be made: the
 *     timeout filter answers 504 while the request goes on, and an etcd
 *     write answered "request timed out" may still commit.
 */
static enum create_outcome
create_answer(const struct bpg_kube *k, enum bpg_err e, long http)
{
	if (e == BPG_OK || e == BPG_EEXIST)
		return CREATE_EXISTS;
	if (http >= 400 && http < 500)
		return CREATE_NONE;
	if (http == 0 && bpg_kube_unsent(k))
		return CREATE_NONE;
	return CREATE_UNKNOWN;
}

/*
 * Create the CR; *err and ei get the reason when it is not there.
 *
 * An unknown outcome is settled by asking the API server, never guessed,
 * for at most BPG_CREATE_RESOLVE_MS and never past the request's deadline
 * end_ms (0: none).  Each round creates again (the
 * create is itself a probe: 201 or 409 both mean the CR is there), then
 * reads the object by name (200: there).  Each request goes on a new
 * connection of its own (bpg_kube_request_fresh()), so that it reaches
 * the server whatever libcurl's per-handle count of resent requests
 * says.  A 404 does not settle it: a create of ours sent earlier may
 * still be stored until the API server's request timeout ends it
 * (kube-apiserver --request-timeout, 60 s by default), which is longer
 * than the bound; so within the bound only "there" is definite, and an
 * answer that never comes leaves CREATE_UNKNOWN.  Nothing is deleted: a
 * DELETE may reach the server before an earlier create is stored, find
 * nothing, and leave that CR behind.
 */
static enum create_outcome
create_cr(struct bpg_kube *k, const json_t *cr, const char *name,
    int64_t end_ms, enum bpg_err *err, struct bpg_errinfo *ei)
{
	struct bpg_errinfo rei;
	enum create_outcome o;
	enum bpg_err e;
	int64_t deadline, left;
	long http, wait = BPG_CREATE_RESOLVE_WAIT_MS;
	int tries = 1;

	e = bpg_kube_try_create_app(k, cr, -1, &http, ei);
	if ((o = create_answer(k, e, http)) != CREATE_UNKNOWN) {
		*err = e;
		return o;
	}
	*err = e;
	rei = *ei;
	syslog(LOG_WARNING, "submission %s: create outcome unknown, asking "
	    "the API server: %s", name, ei->msg);
	deadline = bpg_kube_now_ms() + BPG_CREATE_RESOLVE_MS;
	if (end_ms > 0 && end_ms < deadline)
		deadline = end_ms;
	for (;;) {
		if ((left = deadline - bpg_kube_now_ms()) <= 0)
			break;
		tries++;
		e = bpg_kube_try_create_app(k, cr, (long)left, &http, &rei);
		if (create_answer(k, e, http) == CREATE_EXISTS)
			goto exists;
		if ((left = deadline - bpg_kube_now_ms()) <= 0)
			break;
		e = bpg_kube_try_get_app(k, name, (long)left, &http, &rei);
		if (e == BPG_OK)
			goto exists;
		if ((left = deadline - bpg_kube_now_ms()) <= wait)
			break;
		sleep_ms(wait);
		if ((wait *= 2) > BPG_CREATE_RESOLVE_WAIT_MAX_MS)
			wait = BPG_CREATE_RESOLVE_WAIT_MAX_MS;
	}
	syslog(LOG_ERR, "submission %s: create outcome still unknown after "
	    "%d tries: %s", name, tries, rei.msg);
	return CREATE_UNKNOWN;
exists:
	syslog(LOG_INFO, "submission %s: the SparkApplication exists (try "
	    "%d)", name, tries);
	*err = BPG_OK;
	return CREATE_EXISTS;
}

void
api_h_submit(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	const struct bpg_config *cfg = api->cfg;
	struct bpg_submit_req req;
	struct api_idem idem = { 0 };
	struct bpg_errinfo ei = { "" };
	const struct bpg_cluster *cluster;
	struct bpg_crd_ctx ctx;
	struct bpg_kube *kube;
	char id[BPG_MAX_SUBMISSION_ID + 1];
	char *queue = NULL, *dag_user = NULL, *stored = NULL, *summary = NULL;
	char *answer;
	json_t *cr = NULL, *sanitized = NULL;
	const char *proxy_user;
	bool have_row = false, dry_run;
	enum bpg_err e;

	/* Before the body: a bad value must never become a submission.
	 * req is reset on every path out, this one too. */
	memset(&req, 0, sizeof(req));
	if ((e = bpg_dryrun_param(rc->query, &dry_run, &ei)) != BPG_OK)
		goto fail;
	e = bpg_req_parse(rc->body, rc->body_len,
	    bpg_req_format_of(rc->req->content_type), &req, &ei);
	if (e != BPG_OK)
		goto fail;
	/* Before anything is written: a key's answer, or this one runs. */
	if (!api_idem_begin(rc, req.idempotency_key, dry_run, &idem))
		goto out;
	if ((e = bpg_route_queue(cfg, &req, rc->user, &api->rng, &queue,
	    &ei)) != BPG_OK)
		goto fail;
	if ((e = bpg_route_validate(cfg, &req, queue, &ei)) != BPG_OK)
		goto fail;
	/* A dry run writes nothing: it takes no submission token. */
	if (!dry_run && !api_submit_admit(rc, queue))
		goto out;
	if ((e = bpg_route_cluster(cfg, &req, queue, &api->rng, &cluster,
	    &ei)) != BPG_OK)
		goto fail;
	if ((e = bpg_route_new_id(cluster, req.submission_id_suffix,
	    &api->rng, id, &ei)) != BPG_OK)
		goto fail;

	/* Section 2.7: the Airflow account submits for dagUser. */
	proxy_user = rc->user;
	if (strcmp(rc->user, AIRFLOW_ACCOUNT) == 0) {
		dag_user = rc->query ? api_query_param(rc->query, "dagUser") : NULL;
		proxy_user = dag_user != NULL && dag_user[0] != '\0' ?
		    dag_user : "dagUser";
	}
	ctx.submission_id = id;
	ctx.user = rc->user;
	ctx.proxy_user = proxy_user;
	ctx.queue = queue;
	if (dry_run) {
		/* Nothing is written: no row, no CR, no zone pick. */
		if ((e = bpg_dryrun_run(cfg, cluster, &req, &ctx, api->zones,
		    &cr, &ei)) != BPG_OK)
			goto fail;
		api_reply_json(rc->resp, 200, cr);
		cr = NULL;
		goto out;
	}
	if ((e = bpg_crd_build(cfg, cluster, &req, &ctx, api->zones, &cr,
	    &ei)) != BPG_OK)
		goto fail;
	/* What Kubernetes would refuse is a 400 now, before anything is
	 * written (BPG writes the row, then gets a 422: a 500). */
	if ((e = bpg_crd_check(cr, &ei)) != BPG_OK)
		goto fail;
	if ((e = api_kube_for(api, cluster, &kube, &ei)) != BPG_OK)
		goto fail;
	/* Before any create of id, and again for every other ID tried:
	 * a key resolves from the ID its row holds. */
	if ((e = api_idem_chosen(rc, &idem, id, &ei)) != BPG_OK)
		goto fail;

	/*
	 * The row first: if the DB cannot record the submission, nothing is
	 * created (BPG creates the CR anyway and loses the record).
	 */
	if (api->db != NULL) {
		struct bpg_db_submission row;

		if ((sanitized = bpg_req_sanitized(&req)) == NULL ||
		    (stored = bpg_json_dump(sanitized, NULL)) == NULL ||
		    (summary = bpg_db_request_summary(sanitized)) == NULL) {
			e = bpg_errf(&ei, BPG_ENOMEM, "out of memory");
			goto fail;
		}
		memset(&row, 0, sizeof(row));
		row.submission_id = id;
		row.user = proxy_user;
		row.spark_version = req.spark_version;
		row.request_body = stored;
		row.queue = req.queue;
		row.app_name = req.application_name;
		row.request_summary = summary;
		e = bpg_db_insert_submission(api->db, &row, &ei);
		if (e == BPG_ETOOBIG) {
			/* BPG's request_body column is a TEXT (64 KiB). */
			e = bpg_errf(&ei, BPG_EINVAL, "Request too large to "
			    "record: %s", ei.msg);
			goto fail;
		}
		if (e != BPG_OK) {
			syslog(LOG_ERR, "submission %s not recorded: %s", id,
			    ei.msg);
			/* Say only what is known: no CR exists either way. */
			if (bpg_db_insert_unsettled(api->db))
				e = bpg_errf(&ei, BPG_EDB, "The submission could "
				    "not be recorded for certain (the database "
				    "connection was lost): submission %s may "
				    "have been recorded, but nothing was created "
				    "in Kubernetes. Please try again later.", id);
			else
				e = bpg_errf(&ei, BPG_EDB, "The submission could "
				    "not be recorded (database unavailable); "
				    "nothing was submitted. Please try again "
				    "later.");
			goto fail;
		}
		have_row = true;
	}

	switch (create_cr(kube, cr, id, api->end_ms, &e, &ei)) {
	case CREATE_EXISTS:
		break;
	case CREATE_UNKNOWN:
		/*
		 * The CR may exist: the row stays unfinished, so the monitor
		 * takes the CR up if it is there and otherwise records the
		 * row LOST after BPG_MONITOR_ORPHAN_GRACE_S (longer than the
		 * API server's request timeout, which bounds a late create).
		 */
		e = bpg_errf(&ei, BPG_ETIMEOUT, "The outcome of submission %s "
		    "is not known yet: Kubernetes did not tell whether its "
		    "SparkApplication was created. Do not submit it again; "
		    "GET /spark/%s/status tells whether it runs.", id, id);
		goto fail;
	case CREATE_NONE:
		syslog(LOG_ERR, "submission %s: create failed: %s", id, ei.msg);
		if (have_row) {
			struct bpg_errinfo mei;

			if (bpg_db_mark_failed(api->db, id, ei.msg, &mei) !=
			    BPG_OK)
				syslog(LOG_ERR, "submission %s: cannot mark "
				    "failed: %s", id, mei.msg);
		}
		goto fail;
	}
	syslog(LOG_INFO, "submitted %s user=%s queue=%s cluster=%s", id,
	    proxy_user, queue, cluster->id);
	/* The ID passed bpg_crd_check as the CR name: nothing to escape. */
	if (asprintf(&answer, "{\"submissionId\":\"%s\"}", id) < 0)
		answer = NULL;
	api_reply_text(rc->resp, 200, "application/json", answer);
	goto out;
fail:
	api_reply_err(rc->resp, e, &ei);
out:
	api_idem_end(rc, &idem);
	free(summary);
	free(stored);
	json_decref(sanitized);
	json_decref(cr);
	free(dag_user);
	free(queue);
	bpg_req_reset(&req);
}

