/* POST /spark: the submission pipeline (bpg-reference section 2). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "bpg_internal.h"
#include "bpg_json.h"
#include "bpg_limits.h"
#include "bpg_req.h"

/* ---- POST /spark (section 2) -------------------------------------- */

/*
 * Create the CR.  The name is the fresh submission ID, so a create retried
 * after a lost answer that gets 409 AlreadyExists found our own object.
 * A failure whose outcome is unknown (transport error, 5xx, timeout) is
 * retried once; if it still fails the object is deleted, so that an error
 * answer never leaves an orphan CR behind.
 */
static enum bpg_err
create_cr(struct bpg_kube *k, const json_t *cr, const char *name,
    struct bpg_errinfo *ei)
{
	struct bpg_errinfo dei;
	enum bpg_err e;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		e = bpg_kube_create_app(k, cr, NULL, ei);
		if (e == BPG_OK || e == BPG_EEXIST)
			return BPG_OK;
		if (e != BPG_EUPSTREAM && e != BPG_ETIMEOUT)
			return e;
	}
	if (bpg_kube_delete_app(k, name, &dei) != BPG_OK)
		syslog(LOG_WARNING, "cleanup of %s after a failed create: %s",
		    name, dei.msg);
	return e;
}

void
api_h_submit(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	const struct bpg_config *cfg = api->cfg;
	struct bpg_submit_req req;
	struct bpg_errinfo ei = { "" };
	const struct bpg_cluster *cluster;
	struct bpg_crd_ctx ctx;
	struct bpg_kube *kube;
	char id[BPG_MAX_SUBMISSION_ID + 1];
	char *queue = NULL, *dag_user = NULL, *stored = NULL, *summary = NULL;
	char *answer;
	json_t *cr = NULL, *sanitized = NULL;
	const char *proxy_user;
	bool have_row = false;
	enum bpg_err e;

	e = bpg_req_parse(rc->body, rc->body_len,
	    bpg_req_format_of(rc->req->content_type), &req, &ei);
	if (e != BPG_OK)
		goto fail;
	if ((e = bpg_route_queue(cfg, &req, rc->user, &api->rng, &queue,
	    &ei)) != BPG_OK)
		goto fail;
	if ((e = bpg_route_validate(cfg, &req, queue, &ei)) != BPG_OK)
		goto fail;
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
	if ((e = bpg_crd_build(cfg, cluster, &req, &ctx, api->zones, &cr,
	    &ei)) != BPG_OK)
		goto fail;
	/* What Kubernetes would refuse is a 400 now, before anything is
	 * written (BPG writes the row, then gets a 422: a 500). */
	if ((e = bpg_crd_check(cr, &ei)) != BPG_OK)
		goto fail;
	if ((e = api_kube_for(api, cluster, &kube, &ei)) != BPG_OK)
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
			e = bpg_errf(&ei, BPG_EDB, "The submission could not be "
			    "recorded (database unavailable); nothing was "
			    "submitted. Please try again later.");
			goto fail;
		}
		have_row = true;
	}

	if ((e = create_cr(kube, cr, id, &ei)) != BPG_OK) {
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
	free(summary);
	free(stored);
	json_decref(sanitized);
	json_decref(cr);
	free(dag_user);
	free(queue);
	bpg_req_reset(&req);
}

