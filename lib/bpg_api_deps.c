/*
 * POST /spark and DELETE for submissions with dependencies
 * (bpg_api_deps.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "bpg_api_deps.h"
#include "bpg_api_idem.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_crd.h"
#include "bpg_db.h"
#include "bpg_db_deps.h"
#include "bpg_db_notify.h"
#include "bpg_db_retry.h"
#include "bpg_log.h"
#include "bpg_req.h"
#include "bpg_retry.h"
#include "bpg_route.h"

/*
 * Each dependency exists and the caller may read it.  An unknown ID and
 * another user's get the same answer: which IDs exist is not told.
 */
static enum bpg_err
check_deps(struct route_ctx *rc, const struct bpg_deps *d,
    struct bpg_errinfo *ei)
{
	struct bpg_api *api = rc->api;
	json_t *row;
	size_t i;
	bool ok;
	enum bpg_err e;

	for (i = 0; i < d->n; i++) {
		row = NULL;
		e = bpg_db_get_submission(api->db, d->ids[i], &row, ei);
		if (e == BPG_ENOTFOUND)
			return bpg_errf(ei, BPG_EINVAL, "dependsOn[%zu]: no "
			    "submission %s that you may read", i, d->ids[i]);
		if (e != BPG_OK)
			return bpg_errf(ei, BPG_EDB, "The dependencies cannot "
			    "be checked now (database unavailable); nothing "
			    "was submitted. Please try again later.");
		ok = bpg_authz_may_read(api->cfg, rc->user,
		    api_jstr(row, "user"));
		json_decref(row);
		if (!ok) {
			bpg_log(LOG_INFO, "dependsOn %s by %s refused: not the "
			    "owner", d->ids[i], rc->user);
			return bpg_errf(ei, BPG_EINVAL, "dependsOn[%zu]: no "
			    "submission %s that you may read", i, d->ids[i]);
		}
	}
	return BPG_OK;
}

/* The CR id would get, built and checked: what Kubernetes would refuse is
 * a 400 now, not when the dependencies are met. */
static enum bpg_err
check_cr(struct route_ctx *rc, struct bpg_submit_req *req, const char *id,
    const char *queue, const struct bpg_cluster *cluster, const char *owner,
    struct bpg_errinfo *ei)
{
	struct bpg_crd_ctx ctx;
	json_t *cr = NULL;
	enum bpg_err e;

	ctx.submission_id = id;
	ctx.user = owner;
	ctx.proxy_user = owner;
	ctx.queue = queue;
	/* No zone picked: the monitor picks when it creates the CR. */
	if ((e = bpg_crd_build(rc->api->cfg, cluster, req, &ctx, NULL, &cr,
	    ei)) == BPG_OK)
		e = bpg_crd_check(cr, ei);
	json_decref(cr);
	return e;
}

/* The retry job of id (NULL: none) goes: its submission was not
 * recorded. */
static void
forget_job(struct bpg_api *api, const char *id)
{
	struct bpg_errinfo ei;

	if (id != NULL && bpg_db_retry_forget(api->db, id, &ei) != BPG_OK)
		bpg_log(LOG_ERR, "submission %s: cannot drop its retry job: %s",
		    id, ei.msg);
}

/* Receivers recorded for a submission that was not (best effort). */
static void
forget_receivers(struct bpg_api *api, const struct bpg_notify_spec *notify,
    const char *id)
{
	struct bpg_errinfo ei = { "" };

	if (notify != NULL && notify->n > 0 &&
	    bpg_db_notify_forget(api->db, id, &ei) != BPG_OK)
		bpg_log(LOG_WARNING, "submission %s: its receivers stay "
		    "recorded: %s", id, ei.msg);
}

void
api_deps_submit(struct route_ctx *rc, struct api_idem *idem,
    struct bpg_submit_req *req, const struct bpg_deps *d, const char *queue,
    const struct bpg_cluster *cluster, const char *owner, const char *stored,
    const char *summary, const struct bpg_notify_spec *notify)
{
	struct bpg_api *api = rc->api;
	struct bpg_errinfo ei = { "" };
	struct bpg_db_submission row;
	struct bpg_db_waiting w;
	struct bpg_retry_policy policy;
	const char *ids[BPG_DEPS_MAX];
	char id[BPG_MAX_SUBMISSION_ID + 1];
	char *request = NULL, *job_request = NULL, *answer;
	size_t i;
	enum bpg_err e;

	memset(&w, 0, sizeof(w));
	if (api->db == NULL) {
		e = bpg_errf(&ei, BPG_EINVAL, "dependsOn: dependencies need "
		    "the database, and none is configured");
		goto fail;
	}
	/* The request is kept as sent, to be submitted later. */
	if (rc->body == NULL || memchr(rc->body, '\0', rc->body_len) != NULL) {
		e = bpg_errf(&ei, BPG_EINVAL, "Invalid request body: a NUL "
		    "byte");
		goto fail;
	}
	if ((e = check_deps(rc, d, &ei)) != BPG_OK ||
	    (e = bpg_route_new_id(cluster, req->submission_id_suffix,
	    &api->rng, id, &ei)) != BPG_OK ||
	    (e = check_cr(rc, req, id, queue, cluster, owner, &ei)) != BPG_OK ||
	    (e = api_idem_chosen(rc, idem, id, &ei)) != BPG_OK)
		goto fail;
	if ((request = strndup(rc->body, rc->body_len)) == NULL) {
		e = bpg_errf(&ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}
	/*
	 * retryPolicy: the job's row first (as POST /spark writes it before
	 * the CR); its first attempt is this submission once released.  A
	 * job whose submission is not recorded is dropped again.
	 */
	if (req->retry_policy != NULL) {
		if ((e = bpg_retry_parse(req->retry_policy, &policy, &ei)) !=
		    BPG_OK)
			goto fail;
		if ((job_request = bpg_req_json_text(rc->body, rc->body_len,
		    bpg_req_format_of(rc->req->content_type))) == NULL) {
			e = bpg_errf(&ei, BPG_ENOMEM, "out of memory");
			goto fail;
		}
		if (bpg_db_retry_insert(api->db, id, rc->user, job_request,
		    &policy, &ei) != BPG_OK) {
			bpg_log(LOG_ERR, "submission %s: retry job not recorded: "
			    "%s", id, ei.msg);
			e = bpg_errf(&ei, BPG_EDB, "The submission could not be "
			    "recorded (database unavailable); nothing was "
			    "submitted. Please try again later.");
			goto fail;
		}
	}
	/*
	 * Its receivers before the row, so that they hear of a dependency
	 * failing or a cancel (the monitor records them again on release,
	 * which changes nothing).
	 */
	if (notify != NULL && notify->n > 0 &&
	    bpg_db_notify_targets(api->db, id, cluster->id, notify, &ei) !=
	    BPG_OK) {
		bpg_log(LOG_ERR, "submission %s: receivers not recorded: %s",
		    id, ei.msg);
		forget_job(api, job_request != NULL ? id : NULL);
		forget_receivers(api, notify, id);	/* any written */
		e = bpg_errf(&ei, BPG_EDB, "The submission could not be "
		    "recorded (database unavailable); nothing was "
		    "submitted. Please try again later.");
		goto fail;
	}
	memset(&row, 0, sizeof(row));
	row.submission_id = id;
	row.user = owner;
	row.spark_version = req->spark_version;
	row.request_body = stored;
	row.queue = req->queue;
	row.app_name = req->application_name;
	row.request_summary = summary;
	snprintf(w.owner, sizeof(w.owner), "%s", owner);
	snprintf(w.policy, sizeof(w.policy), "%s",
	    bpg_deps_policy_name(d->policy));
	w.format = (int)bpg_req_format_of(rc->req->content_type);
	w.request = request;
	for (i = 0; i < d->n; i++)
		ids[i] = d->ids[i];
	if ((e = bpg_db_deps_record(api->db, &row, &w, ids, d->n, &ei)) !=
	    BPG_OK) {
		bpg_log(LOG_ERR, "submission %s not recorded: %s", id, ei.msg);
		/* A commit not known to be made keeps the job: if the
		 * submission was recorded, its retries go with it. */
		if (!bpg_db_insert_unsettled(api->db)) {
			forget_job(api, job_request != NULL ? id : NULL);
			forget_receivers(api, notify, id);
		}
		if (e == BPG_EINVAL || e == BPG_ETOOBIG)
			e = bpg_errf(&ei, BPG_EINVAL, "Request too large to "
			    "record: %s", ei.msg);
		else if (bpg_db_insert_unsettled(api->db))
			e = bpg_errf(&ei, BPG_EDB, "The submission could not be "
			    "recorded for certain (the database connection was "
			    "lost): submission %s may have been recorded, and "
			    "then runs once its dependencies are met. Do not "
			    "submit it again; GET /spark/%s/status tells.", id,
			    id);
		else
			e = bpg_errf(&ei, BPG_EDB, "The submission could not be "
			    "recorded (database unavailable); nothing was "
			    "submitted. Please try again later.");
		goto fail;
	}
	bpg_log(LOG_INFO, "submitted %s user=%s queue=%s cluster=%s waiting "
	    "for %zu dependencies (%s)", id, owner, queue, cluster->id, d->n,
	    bpg_deps_policy_name(d->policy));
	/* The ID passed bpg_crd_check as the CR name: nothing to escape. */
	if (asprintf(&answer, "{\"submissionId\":\"%s\"}", id) < 0)
		answer = NULL;
	api_reply_text(rc->resp, 200, "application/json", answer);
	goto out;
fail:
	api_reply_err(rc->resp, e, &ei);
out:
	free(job_request);
	free(request);
}

bool
api_deps_delete(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	struct bpg_errinfo ei = { "" };
	struct bpg_db_waiting w;
	char text[BPG_MAX_USER + BPG_MAX_SUBMISSION_ID + 160];
	bool found = false, changed = false;
	enum bpg_err e;

	if (api->db == NULL)
		return false;
	if ((e = bpg_db_deps_get(api->db, rc->segs[1], &w, &found, &ei)) !=
	    BPG_OK) {
		bpg_log(LOG_ERR, "delete of %s: %s", rc->segs[1], ei.msg);
		api_reply_error(rc->resp, 503, WAE, "The submission's record "
		    "cannot be read now (database unavailable). Please try "
		    "again later.");
		return true;
	}
	bpg_db_waiting_reset(&w);
	if (!found || (strcmp(w.state, BPG_DB_DEPS_WAITING) != 0 &&
	    strcmp(w.state, BPG_DB_DEPS_RELEASING) != 0))
		return false;
	if (!bpg_authz_may_change(api->cfg, rc->user, w.owner)) {
		if (!bpg_authz_may_read(api->cfg, rc->user, w.owner))
			api_reply_error(rc->resp, 404, WAE,
			    "HTTP 404 Not Found");
		else {
			snprintf(text, sizeof(text), "User %s is not allowed "
			    "to delete submission %s: only the user who "
			    "submitted it or an admin may delete it", rc->user,
			    rc->segs[1]);
			api_reply_error(rc->resp, 403, WAE, text);
		}
		return true;
	}
	snprintf(text, sizeof(text), "Cancelled by %s before its dependencies "
	    "were met", rc->user);
	if (strcmp(w.state, BPG_DB_DEPS_WAITING) == 0 &&
	    (e = bpg_db_deps_end(api->db, rc->segs[1], BPG_DB_DEPS_CANCELLED,
	    BPG_DEPS_CANCELLED, text, &changed, &ei)) != BPG_OK) {
		bpg_log(LOG_ERR, "cancel of %s: %s", rc->segs[1], ei.msg);
		api_reply_err(rc->resp, BPG_EDB, &ei);
		return true;
	}
	if (!changed) {
		/* The monitor released it first: its CR is being made. */
		snprintf(text, sizeof(text), "Submission %s was just released "
		    "(its dependencies were met) and its SparkApplication is "
		    "being created: please DELETE it again.", rc->segs[1]);
		api_reply_error(rc->resp, 409, WAE, text);
		return true;
	}
	bpg_log(LOG_INFO, "cancelled %s (waiting) user=%s", rc->segs[1],
	    rc->user);
	api_reply_json(rc->resp, 200, json_pack("{s:s}", "submissionId",
	    rc->segs[1]));
	return true;
}
