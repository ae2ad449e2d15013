/*
 * The endpoints' part in retries (bpg_api_retry.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "bpg_api_retry.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_db_attempts.h"
#include "bpg_db_retry.h"
#include "bpg_kube.h"
#include "bpg_log.h"
#include "bpg_route.h"

/* The job of rc->segs[1]: *found false when there is none to speak of. */
struct job_ref {
	char job_id[BPG_DB_RETRY_MAX_ID + 1];
	int attempt;
	bool has_job, found;
};

static enum bpg_err
job_of(struct route_ctx *rc, struct job_ref *r, struct bpg_errinfo *ei)
{
	memset(r, 0, sizeof(*r));
	if (rc->api->db == NULL)
		return BPG_OK;
	return bpg_db_retry_job_of(rc->api->db, rc->segs[1], r->job_id,
	    &r->attempt, &r->has_job, &r->found, ei);
}

bool
api_retry_status(struct route_ctx *rc, json_t *body)
{
	struct bpg_db_attempt a;
	struct bpg_errinfo ei = { "" };
	struct job_ref r;
	bool found = false;

	if (job_of(rc, &r, &ei) != BPG_OK) {
		bpg_log(LOG_ERR, "job of %s: %s", rc->segs[1], ei.msg);
		return true;
	}
	if (!r.found)
		return true;
	if (json_object_set_new(body, "attempt", json_integer(r.attempt)) != 0)
		return false;
	if (json_object_get(body, "nextSubmissionId") != NULL)
		return true;
	if (bpg_db_attempt_next(rc->api->db, rc->segs[1], &a, &found, &ei) !=
	    BPG_OK) {
		bpg_log(LOG_ERR, "next attempt of %s: %s", rc->segs[1], ei.msg);
		return true;
	}
	/* A retry exists once its row and CR are being made. */
	if (!found || strcmp(a.cause, BPG_DB_ATTEMPT_RETRY) != 0 ||
	    strcmp(a.state, BPG_DB_ATTEMPT_ABANDONED) == 0)
		return true;
	return json_object_set_new(body, "nextSubmissionId",
	    json_string(a.submission_id)) == 0;
}

/* One attempt's entry: its row (NULL: none) and what the link says. */
static json_t *
entry(struct route_ctx *rc, const char *id, int n, const char *cluster,
    const json_t *row, const char *link_state)
{
	const struct bpg_cluster *c = NULL;
	struct bpg_errinfo ei;
	const char *state = api_jstr(row, "status");
	json_t *created = json_object_get(row, "created_time");
	json_t *ended = json_object_get(row, "finished_time");

	if (cluster == NULL && bpg_route_cluster_of_id(rc->api->cfg, id, &c,
	    &ei) == BPG_OK)
		cluster = c->id;
	if (state == NULL && link_state != NULL)
		state = strcmp(link_state, BPG_DB_ATTEMPT_ABANDONED) == 0 ?
		    "CANCELLED" : "PENDING";
	return json_pack("{s:s, s:i, s:s*, s:s*, s:O*, s:O*}", "submissionId",
	    id, "attempt", n, "cluster", cluster, "state", state,
	    "creationTime", json_is_integer(created) ? created : NULL,
	    "terminationTime", json_is_integer(ended) ? ended : NULL);
}

void
api_h_attempts(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	const struct bpg_cluster *cluster;
	struct bpg_kube *kube;
	struct bpg_db_attempt *a = NULL;
	struct bpg_db_retry_job j;
	struct bpg_errinfo ei = { "" };
	struct job_ref r;
	json_t *list = NULL, *row = NULL, *first = NULL, *v;
	const char *owner = NULL;
	bool got = false;
	size_t i, n = 0;
	enum bpg_err e;

	memset(&j, 0, sizeof(j));
	if (!api_resolve_id(rc, &cluster, &kube))
		return;
	if (api->db == NULL) {
		api_reply_error(rc->resp, 404, WAE, "HTTP 404 Not Found");
		return;
	}
	if ((a = calloc(BPG_DB_MAX_ATTEMPTS, sizeof(*a))) == NULL)
		goto nomem;
	if ((e = job_of(rc, &r, &ei)) != BPG_OK)
		goto fail;
	if (!r.found)
		snprintf(r.job_id, sizeof(r.job_id), "%s", rc->segs[1]);
	if ((e = bpg_db_attempt_job(api->db, r.job_id, a, BPG_DB_MAX_ATTEMPTS,
	    &n, &ei)) != BPG_OK)
		goto fail;
	e = bpg_db_get_submission(api->db, r.job_id, &first, &ei);
	if (e != BPG_OK && e != BPG_ENOTFOUND)
		goto fail;
	if (r.has_job && (e = bpg_db_retry_get(api->db, r.job_id, false, &j,
	    &got, &ei)) != BPG_OK)
		goto fail;
	owner = got ? j.owner : api_jstr(first, "user");
	if (first == NULL && !got) {
		api_reply_error(rc->resp, 404, WAE, "HTTP 404 Not Found");
		goto out;
	}
	/* Who may read it: as the other /spark/{id} endpoints (a 404). */
	if (!bpg_authz_may_read(api->cfg, rc->user, owner)) {
		bpg_log(LOG_INFO, "attempts of %s read by %s refused: not the "
		    "owner", rc->segs[1], rc->user);
		api_reply_error(rc->resp, 404, WAE, "HTTP 404 Not Found");
		goto out;
	}
	if ((list = json_array()) == NULL ||
	    (v = entry(rc, r.job_id, 1, NULL, first, NULL)) == NULL ||
	    json_array_append_new(list, v) != 0)
		goto nomem;
	for (i = 0; i < n; i++) {
		json_decref(row);
		row = NULL;
		e = bpg_db_get_submission(api->db, a[i].submission_id, &row,
		    &ei);
		if (e != BPG_OK && e != BPG_ENOTFOUND)
			goto fail;
		if ((v = entry(rc, a[i].submission_id, a[i].attempt,
		    a[i].cluster, row, a[i].state)) == NULL ||
		    json_array_append_new(list, v) != 0)
			goto nomem;
	}
	api_reply_json(rc->resp, 200, json_pack("{s:o}", "attempts", list));
	list = NULL;
	goto out;
nomem:
	api_reply_nomem(rc->resp);
	goto out;
fail:
	api_reply_err(rc->resp, e, &ei);
out:
	bpg_db_retry_job_reset(&j);
	json_decref(list);
	json_decref(row);
	json_decref(first);
	free(a);
}

/* Delete the CR of id on its cluster; a missing one is fine. */
static void
delete_cr(struct route_ctx *rc, const char *id)
{
	const struct bpg_cluster *c;
	struct bpg_kube *kube;
	struct bpg_errinfo ei = { "" };
	enum bpg_err e;

	if ((e = bpg_route_cluster_of_id(rc->api->cfg, id, &c, &ei)) !=
	    BPG_OK || (e = api_kube_for(rc->api, c, &kube, &ei)) != BPG_OK ||
	    ((e = bpg_kube_delete_app(kube, id, &ei)) != BPG_OK &&
	    e != BPG_ENOTFOUND)) {
		/* The monitor deletes a CR it made for a cancelled job. */
		bpg_log(LOG_WARNING, "delete of %s: cannot delete later "
		    "attempt %s: %s", rc->segs[1], id, ei.msg);
		return;
	}
	if (e == BPG_OK)
		bpg_log(LOG_INFO, "deleted %s (a later attempt of %s) user=%s",
		    id, rc->segs[1], rc->user);
}

bool
api_retry_cancel(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	struct bpg_db_attempt *a = NULL;
	struct bpg_db_retry_job j;
	struct bpg_errinfo ei = { "" };
	struct job_ref r;
	char text[BPG_MAX_USER + BPG_MAX_SUBMISSION_ID + 160];
	bool got = false, ok = false;
	size_t i, n = 0;
	enum bpg_err e;

	memset(&j, 0, sizeof(j));
	if ((e = job_of(rc, &r, &ei)) != BPG_OK)
		goto fail;
	if (!r.has_job)
		return true;
	if ((e = bpg_db_retry_get(api->db, r.job_id, false, &j, &got, &ei)) !=
	    BPG_OK)
		goto fail;
	if (!got)
		return true;
	if (!bpg_authz_may_change(api->cfg, rc->user, j.owner)) {
		if (!bpg_authz_may_read(api->cfg, rc->user, j.owner)) {
			api_reply_error(rc->resp, 404, WAE,
			    "HTTP 404 Not Found");
			goto out;
		}
		snprintf(text, sizeof(text), "User %s is not allowed to delete "
		    "submission %s: only the user who submitted it or an "
		    "admin may delete it", rc->user, rc->segs[1]);
		api_reply_error(rc->resp, 403, WAE, text);
		goto out;
	}
	/*
	 * First the cancel: from now on no attempt is made.  An attempt the
	 * monitor recorded before it is in the list read next, and its CR
	 * goes; should the monitor create that CR after this delete, it
	 * reads the job again and deletes the CR itself.
	 */
	if ((e = bpg_db_retry_cancel(api->db, r.job_id, NULL, &ei)) != BPG_OK)
		goto fail;
	bpg_log(LOG_INFO, "job %s cancelled by %s (delete of %s)", r.job_id,
	    rc->user, rc->segs[1]);
	if ((a = calloc(BPG_DB_MAX_ATTEMPTS, sizeof(*a))) == NULL) {
		api_reply_nomem(rc->resp);
		goto out;
	}
	if ((e = bpg_db_attempt_job(api->db, r.job_id, a, BPG_DB_MAX_ATTEMPTS,
	    &n, &ei)) != BPG_OK)
		goto fail;
	for (i = 0; i < n; i++)
		if (a[i].attempt > r.attempt)
			delete_cr(rc, a[i].submission_id);
	ok = true;
	goto out;
fail:
	bpg_log(LOG_ERR, "delete of %s: cannot cancel its retries: %s",
	    rc->segs[1], ei.msg);
	api_reply_error(rc->resp, 503, WAE, "The retries of this job could "
	    "not be cancelled (database unavailable); nothing was deleted. "
	    "Please try again later.");
out:
	bpg_db_retry_job_reset(&j);
	free(a);
	return ok;
}
