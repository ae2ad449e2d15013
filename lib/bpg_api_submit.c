/* POST /spark: the submission pipeline (bpg-reference section 2). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <jansson.h>

#include "bpg_api_deps.h"
#include "bpg_api_idem.h"
#include "bpg_api_notify.h"
#include "bpg_notify_plan.h"
#include "bpg_api_submit.h"
#include "bpg_api_util.h"
#include "bpg_crd_text.h"
#include "bpg_db_notify.h"
#include "bpg_db_retry.h"
#include "bpg_dryrun.h"
#include "bpg_failover.h"
#include "bpg_json.h"
#include "bpg_limits.h"
#include "bpg_log.h"
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
create_cr(struct bpg_kube *k, const char *cr, size_t crlen, const char *name,
    int64_t end_ms, enum bpg_err *err, long *first_http,
    struct bpg_errinfo *ei)
{
	struct bpg_errinfo rei;
	enum create_outcome o;
	enum bpg_err e;
	int64_t deadline, left;
	long http, wait = BPG_CREATE_RESOLVE_WAIT_MS;
	int tries = 1;

	e = bpg_kube_try_create_text(k, cr, crlen, -1, &http, ei);
	*first_http = http;
	if ((o = create_answer(k, e, http)) != CREATE_UNKNOWN) {
		*err = e;
		return o;
	}
	*err = e;
	rei = *ei;
	bpg_log(LOG_WARNING, "submission %s: create outcome unknown, asking "
	    "the API server: %s", name, ei->msg);
	deadline = bpg_kube_now_ms() + BPG_CREATE_RESOLVE_MS;
	if (end_ms > 0 && end_ms < deadline)
		deadline = end_ms;
	for (;;) {
		if ((left = deadline - bpg_kube_now_ms()) <= 0)
			break;
		tries++;
		e = bpg_kube_try_create_text(k, cr, crlen, (long)left, &http,
		    &rei);
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
	bpg_log(LOG_ERR, "submission %s: create outcome still unknown after "
	    "%d tries: %s", name, tries, rei.msg);
	return CREATE_UNKNOWN;
exists:
	bpg_log(LOG_INFO, "submission %s: the SparkApplication exists (try "
	    "%d)", name, tries);
	*err = BPG_OK;
	return CREATE_EXISTS;
}

/* ---- one try on one cluster, and failover ---------------------------- */

#define MSGLEN sizeof(((struct bpg_errinfo *)0)->msg)

/* What one try of a submission on one cluster came to. */
enum attempt {
	ATTEMPT_OK,		/* the CR exists */
	ATTEMPT_FAILOVER,	/* the cluster failed, nothing was created */
	ATTEMPT_FAIL,		/* an answer for the client: e and ei */
	ATTEMPT_UNKNOWN		/* the CR may exist: e and ei, no failover */
};

/* A submission's state across its tries. */
struct submit {
	struct route_ctx *rc;
	struct bpg_submit_req *req;
	const char *queue;
	const char *proxy_user;
	struct bpg_failover fo;
	struct api_idem *idem;	/* the request's key, if any */
	const struct api_submit_hooks *hooks;
	char *stored;		/* the row's request body */
	char *summary;
	const struct bpg_notify_spec *notify;	/* its receivers */
	bool have_row;		/* the try wrote a row */
	const char *created_on;	/* the cluster's id, once created */
	/* retryPolicy: the job's row goes with the submission's. */
	char *job_request;	/* NULL: no retryPolicy */
	struct bpg_retry_policy policy;
};

static void
mark_failed(struct bpg_api *api, const char *id, const char *why)
{
	struct bpg_errinfo mei;

	if (bpg_db_mark_failed(api->db, id, why, &mei) != BPG_OK)
		bpg_log(LOG_ERR, "submission %s: cannot mark failed: %s", id,
		    mei.msg);
}

/*
 * The try of id failed over to another ID, nothing created: its job row
 * goes, so that no retry follows what the client never got.  Should that
 * fail, the job stays with a SUBMISSION_FAILED first attempt.
 * XXX: and may then be retried; the reply names only the new ID.
 */
static void
forget_job(struct submit *s, const char *id)
{
	struct bpg_errinfo ei;

	if (s->job_request != NULL &&
	    bpg_db_retry_forget(s->rc->api->db, id, &ei) != BPG_OK)
		bpg_log(LOG_ERR, "submission %s: cannot drop its retry job: %s",
		    id, ei.msg);
}

/* a then b appended to the string in dst[size], cut to fit. */
static void
append_cut(char *dst, size_t size, const char *a, const char *b)
{
	size_t len = strlen(dst), n;
	const char *parts[2] = { a, b };
	int i;

	for (i = 0; i < 2; i++) {
		n = strlen(parts[i]);
		if (n > size - 1 - len)
			n = size - 1 - len;
		memcpy(dst + len, parts[i], n);
		len += n;
	}
	dst[len] = '\0';
}

/*
 * The probe of a cluster before a create (bpg_failover_should_probe()):
 * a GET of the SparkApplication the create would make (404: the API
 * server answers), on a connection of its own, within
 * BPG_FAILOVER_PROBE_MS.  It changes nothing, so a probe that hangs or
 * fails puts nothing in doubt.  true if the cluster answered (any 2xx
 * or 4xx but 429: a refusal of ours, the create will tell).
 */
static bool
probe(struct bpg_kube *k, const struct bpg_cluster *c, const char *id,
    struct bpg_errinfo *ei)
{
	long http = 0, ms = BPG_FAILOVER_PROBE_MS;
	enum bpg_err e;

	if (c->timeout_millis < ms)
		ms = (long)c->timeout_millis;
	e = bpg_kube_try_get_app(k, id, ms, &http, ei);
	if (e == BPG_OK || (http >= 400 && http < 500 && http != 429))
		return true;
	bpg_log(LOG_WARNING, "cluster %s: probe failed: %s", c->id, ei->msg);
	return false;
}

/* The row of submission id (BPG writes it before the create). */
static enum bpg_err
insert_row(struct submit *s, const char *id, struct bpg_errinfo *ei)
{
	struct bpg_api *api = s->rc->api;
	struct bpg_db_submission row;
	enum bpg_err e;

	memset(&row, 0, sizeof(row));
	row.submission_id = id;
	row.user = s->proxy_user;
	row.spark_version = s->req->spark_version;
	row.request_body = s->stored;
	row.queue = s->req->queue;
	row.app_name = s->req->application_name;
	row.request_summary = s->summary;
	e = bpg_db_insert_submission(api->db, &row, ei);
	/*
	 * A job with retries: its row before the CR, as the submission's,
	 * owned as the row is (a DAG's user for the Airflow account): its
	 * retries are that user's too.
	 */
	if (e == BPG_OK && s->job_request != NULL &&
	    (e = bpg_db_retry_insert(api->db, id, s->proxy_user, s->job_request,
	    &s->policy, ei)) != BPG_OK) {
		bpg_log(LOG_ERR, "submission %s: retry job not recorded: %s", id,
		    ei->msg);
		mark_failed(api, id, "the retry policy could not be recorded");
		return bpg_errf(ei, BPG_EDB, "The submission could not be "
		    "recorded (database unavailable); nothing was submitted. "
		    "Please try again later.");
	}
	if (e == BPG_ETOOBIG)
		/* BPG's request_body column is a TEXT (64 KiB). */
		return bpg_errf(ei, BPG_EINVAL, "Request too large to record: "
		    "%s", ei->msg);
	if (e == BPG_OK)
		return BPG_OK;
	bpg_log(LOG_ERR, "submission %s not recorded: %s", id, ei->msg);
	/* Say only what is known: no CR exists either way. */
	if (bpg_db_insert_unsettled(api->db))
		return bpg_errf(ei, BPG_EDB, "The submission could not be "
		    "recorded for certain (the database connection was lost): "
		    "submission %s may have been recorded, but nothing was "
		    "created in Kubernetes. Please try again later.", id);
	return bpg_errf(ei, BPG_EDB, "The submission could not be recorded "
	    "(database unavailable); nothing was submitted. Please try again "
	    "later.");
}

/*
 * One try of the submission as id on cluster c (trial: c's breaker's
 * trial is ours).  Tells c's breaker how c did: a probe or create that
 * failed for a cluster-health reason (transport, timeout, 5xx, 429) is a
 * failure; an answer is a success.
 */
static enum attempt
attempt(struct submit *s, const struct bpg_cluster *c, const char *id,
    bool trial, enum bpg_err *e, struct bpg_errinfo *ei)
{
	struct bpg_api *api = s->rc->api;
	const struct bpg_config *cfg = api->cfg;
	struct bpg_breaker_conf bc = bpg_failover_conf(cfg);
	struct bpg_crd_ctx ctx;
	struct bpg_kube *kube;
	char *cr = NULL;
	size_t crlen = 0;
	enum attempt a = ATTEMPT_FAIL;
	long http = 0;

	s->have_row = false;
	ctx.submission_id = id;
	ctx.user = s->rc->user;
	ctx.proxy_user = s->proxy_user;
	ctx.queue = s->queue;
	/* What Kubernetes would refuse (bpg_crd_check()) is a 400 now,
	 * before anything is written (BPG writes the row, then gets a 422:
	 * a 500). */
	if ((*e = bpg_crd_text(cfg, c, s->req, &ctx, api->zones, &cr, &crlen,
	    ei)) != BPG_OK)
		goto out;
	if ((*e = api_kube_for(api, c, &kube, ei)) != BPG_OK)
		goto out;
	if (bpg_failover_should_probe(&s->fo, c, trial, bpg_kube_now_ms(),
	    BPG_FAILOVER_FRESH_MS)) {
		/*
		 * A probe that passes records nothing: the API server
		 * answers reads, but only the create tells whether it takes
		 * writes (a 429 on creates alone must still open the
		 * breaker), and a trial is decided by the create.
		 */
		if (!probe(kube, c, id, ei)) {
			*e = BPG_EUPSTREAM;
			bpg_breaker_failure(api->breaker, c->id, &bc,
			    bpg_kube_now_ms(), api_now_ms(), ei->msg);
			a = ATTEMPT_FAILOVER;
			goto out;
		}
	}
	/* Before any create of id, and again for every other ID tried:
	 * a key resolves from the ID its row holds. */
	if ((*e = api_idem_chosen(s->rc, s->idem, id, ei)) != BPG_OK)
		goto out;
	if (s->hooks != NULL && s->hooks->chosen != NULL &&
	    (*e = s->hooks->chosen(s->rc, s->hooks->arg, id, ei)) != BPG_OK)
		goto out;
	/*
	 * The row first: if the DB cannot record the submission, nothing is
	 * created (BPG creates the CR anyway and loses the record).
	 */
	if (api->db != NULL) {
		if ((*e = insert_row(s, id, ei)) != BPG_OK)
			goto out;
		s->have_row = true;
		/* Its receivers too, before anything can change its state. */
		if ((*e = bpg_db_notify_targets(api->db, id, c->id, s->notify,
		    ei)) != BPG_OK) {
			bpg_log(LOG_ERR, "submission %s: receivers not "
			    "recorded: %s", id, ei->msg);
			mark_failed(api, id, "its notifications could not be "
			    "recorded");
			*e = bpg_errf(ei, BPG_EDB, "The submission could not "
			    "be recorded (database unavailable); nothing was "
			    "submitted. Please try again later.");
			goto out;
		}
	}
	switch (create_cr(kube, cr, crlen, id, api->end_ms, e, &http, ei)) {
	case CREATE_EXISTS:
		bpg_breaker_success(api->breaker, c->id, bpg_kube_now_ms());
		bpg_breaker_count_submission(api->breaker, c->id,
		    bpg_kube_now_ms());
		a = ATTEMPT_OK;
		break;
	case CREATE_UNKNOWN:
		/*
		 * The CR may exist: never tried elsewhere (it could run
		 * twice).  The row stays unfinished, so the monitor takes the
		 * CR up if it is there and otherwise records the row LOST
		 * after BPG_MONITOR_ORPHAN_GRACE_S (longer than the API
		 * server's request timeout, which bounds a late create).
		 */
		bpg_breaker_failure(api->breaker, c->id, &bc,
		    bpg_kube_now_ms(), api_now_ms(), ei->msg);
		*e = bpg_errf(ei, BPG_ETIMEOUT, "The outcome of submission %s "
		    "is not known yet: Kubernetes did not tell whether its "
		    "SparkApplication was created. Do not submit it again; "
		    "GET /spark/%s/status tells whether it runs.", id, id);
		a = ATTEMPT_UNKNOWN;
		break;
	case CREATE_NONE:
		bpg_log(LOG_ERR, "submission %s: create failed: %s", id, ei->msg);
		/*
		 * Refused before anything was stored.  429 (priority and
		 * fairness) and a request that never reached the server are
		 * the cluster's state: try another.  Other 4xx are this
		 * request's: the answer.
		 */
		if (http == 429 || http == 0) {
			bpg_breaker_failure(api->breaker, c->id, &bc,
			    bpg_kube_now_ms(), api_now_ms(), ei->msg);
			a = ATTEMPT_FAILOVER;
			break;
		}
		bpg_breaker_success(api->breaker, c->id, bpg_kube_now_ms());
		if (s->have_row) {
			mark_failed(api, id, ei->msg);
			/* The client is told it failed: no retry of it. */
			forget_job(s, id);
		}
		break;
	}
out:
	free(cr);
	return a;
}

/*
 * The submission on the queue's eligible clusters, first first (the
 * choice bpg_route_cluster() made: kept when the request names a
 * clusterId); answers the client.  A cluster the submission failed on,
 * nothing created, is left for another (bpg_failover.h), and the row of
 * the failed try is marked SUBMISSION_FAILED naming the new ID.
 */
static void
submit_failover(struct submit *s, const struct bpg_cluster *first)
{
	struct route_ctx *rc = s->rc;
	struct bpg_api *api = rc->api;
	struct bpg_errinfo ei = { "" };
	const struct bpg_cluster *c;
	char id[BPG_MAX_SUBMISSION_ID + 1], prev[BPG_MAX_SUBMISSION_ID + 1];
	char why[MSGLEN], failures[MSGLEN] = "", last[MSGLEN] = "";
	char *answer;
	long long retry_s;
	bool trial;
	int tries = 0;
	int64_t lease = 0;
	size_t i;
	enum bpg_err e, last_e = BPG_EUPSTREAM;

	prev[0] = '\0';
	/* A trial holds its cluster for a probe and a create at most. */
	for (i = 0; i < api->cfg->nclusters; i++)
		if (api->cfg->clusters[i].timeout_millis > lease)
			lease = api->cfg->clusters[i].timeout_millis;
	lease += BPG_FAILOVER_PROBE_MS;
	if ((e = bpg_failover_init(&s->fo, api->cfg, api->breaker, s->req,
	    first, &ei)) != BPG_OK)
		goto fail;
	for (;;) {
		switch (bpg_failover_pick(&s->fo, s->req, s->queue, &api->rng,
		    bpg_kube_now_ms(), lease, &c, &trial)) {
		case BPG_FAILOVER_PICKED:
			break;
		case BPG_FAILOVER_ALL_OPEN:
			if (tries > 0)
				goto all_failed;
			/* No cluster called: come back at the nearest trial. */
			retry_s = (s->fo.retry_ms + 999) / 1000;
			snprintf(why, sizeof(why), "No cluster can take the "
			    "submission now: the circuit breaker of every "
			    "eligible cluster is open after repeated "
			    "failures. Please try again in %lld s.", retry_s);
			api_reply_error(rc->resp, 503, WAE, why);
			snprintf(rc->resp->headers, sizeof(rc->resp->headers),
			    "Retry-After: %lld\r\n", retry_s);
			goto out;
		default:
			goto all_failed;
		}
		if ((e = bpg_route_new_id(c, s->req->submission_id_suffix,
		    &api->rng, id, &ei)) != BPG_OK)
			goto fail;
		if (prev[0] != '\0') {
			char reason[MSGLEN + 96];
			struct bpg_errinfo fei;

			snprintf(reason, sizeof(reason), "%s; resubmitted as %s",
			    why, id);
			/* The submission goes on as id: no event for prev. */
			if (bpg_db_notify_forget(api->db, prev, &fei) !=
			    BPG_OK)
				bpg_log(LOG_ERR, "submission %s: receivers not "
				    "forgotten: %s", prev, fei.msg);
			mark_failed(api, prev, reason);
			forget_job(s, prev);
			prev[0] = '\0';
		}
		tries++;
		switch (attempt(s, c, id, trial, &e, &ei)) {
		case ATTEMPT_OK:
			s->created_on = c->id;
			bpg_log(LOG_INFO, "submitted %s user=%s queue=%s "
			    "cluster=%s%s", id, s->proxy_user, s->queue, c->id,
			    tries > 1 ? " (failover)" : "");
			if (s->hooks != NULL && s->hooks->made != NULL) {
				s->hooks->made(rc, s->hooks->arg, id);
				goto out;
			}
			/* The ID passed bpg_crd_check as the CR name: nothing
			 * to escape. */
			if (asprintf(&answer, "{\"submissionId\":\"%s\"}",
			    id) < 0)
				answer = NULL;
			api_reply_text(rc->resp, 200, "application/json",
			    answer);
			goto out;
		case ATTEMPT_FAILOVER:
			bpg_log(LOG_WARNING, "submission %s: cluster %s failed, "
			    "trying another: %s", id, c->id, ei.msg);
			why[0] = '\0';
			append_cut(why, sizeof(why), "Cluster ", c->id);
			append_cut(why, sizeof(why), " failed: ", ei.msg);
			if (s->have_row)
				memcpy(prev, id, sizeof(prev));
			append_cut(failures, sizeof(failures),
			    failures[0] != '\0' ? "; " : "", c->id);
			append_cut(failures, sizeof(failures), ": ", ei.msg);
			memcpy(last, ei.msg, sizeof(last));
			last_e = e;
			bpg_failover_exclude(&s->fo, c);
			ei.msg[0] = '\0';
			continue;
		default:
			goto fail;
		}
	}
all_failed:
	if (prev[0] != '\0') {
		mark_failed(api, prev, why);
		forget_job(s, prev);
	}
	/* The only eligible cluster: its answer as it was (BPG's). */
	if (tries == 1 && s->fo.neligible == 1)
		e = bpg_errf(&ei, last_e, "%s", last);
	else
		e = bpg_errf(&ei, BPG_EUPSTREAM, "The submission failed on "
		    "every eligible cluster, and nothing was created: %s",
		    failures);
fail:
	api_reply_err(rc->resp, e, &ei);
out:
	bpg_failover_reset(&s->fo);
}

void
api_submit_run(struct route_ctx *rc, struct bpg_submit_req *req,
    const char *proxy_user, bool dry_run, const struct api_submit_hooks *hooks)
{
	struct bpg_api *api = rc->api;
	const struct bpg_config *cfg = api->cfg;
	struct api_idem idem = { 0 };
	struct bpg_errinfo ei = { "" };
	const struct bpg_cluster *cluster;
	struct bpg_crd_ctx ctx;
	struct bpg_notify_spec notify;
	struct submit s;
	struct bpg_deps deps;
	char id[BPG_MAX_SUBMISSION_ID + 1];
	char *queue = NULL, *stored = NULL, *summary = NULL;
	char *job_request = NULL;
	json_t *cr = NULL;
	const char *created_on = NULL;
	enum bpg_err e;

	if ((e = bpg_deps_from_req(req->depends_on, req->dependency_policy,
	    &deps, &ei)) != BPG_OK)
		goto fail;
	/* Before anything is written: a key's answer, or this one runs. */
	if (!api_idem_begin(rc, req->idempotency_key, dry_run, &idem))
		goto out;
	if ((e = bpg_route_submission(cfg, req, rc->user, &api->rng, &queue,
	    &cluster, &ei)) != BPG_OK)
		goto fail;
	if ((e = bpg_notify_plan(cfg, api->db, req->notify, queue, &notify,
	    &ei)) != BPG_OK)
		goto fail;
	/* A dry run writes nothing: it takes no submission token. */
	if (!dry_run && !api_submit_admit(rc, queue))
		goto out;
	if (dry_run) {
		if ((e = bpg_route_new_id(cluster, req->submission_id_suffix,
		    &api->rng, id, &ei)) != BPG_OK)
			goto fail;
		ctx.submission_id = id;
		ctx.user = rc->user;
		ctx.proxy_user = proxy_user;
		ctx.queue = queue;
		/* Nothing is written: no row, no CR, no zone pick. */
		if ((e = bpg_dryrun_run(cfg, cluster, req, &ctx, api->zones,
		    &cr, &ei)) != BPG_OK)
			goto fail;
		created_on = cluster->id;
		api_reply_json(rc->resp, 200, cr);
		cr = NULL;
		goto out;
	}
	/* The sanitized copy's text and its summary, without the trees. */
	if (api->db != NULL &&
	    ((stored = bpg_req_sanitized_text(req)) == NULL ||
	    (summary = bpg_req_summary_text(req)) == NULL)) {
		e = bpg_errf(&ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}
	if (deps.n > 0) {
		/* Recorded WAITING; the monitor creates the CR later. */
		api_deps_submit(rc, &idem, req, &deps, queue, cluster,
		    proxy_user, stored, summary, &notify);
		if (rc->resp->status == 200)
			created_on = cluster->id;
		goto out;
	}
	memset(&s, 0, sizeof(s));
	/*
	 * The request as sent (token, env and all) stays in the DB only.
	 * Only POST /spark's own body carries a retryPolicy: rc->body is it.
	 */
	if (api->db != NULL && req->retry_policy != NULL &&
	    ((e = bpg_retry_parse(req->retry_policy, &s.policy, &ei)) !=
	    BPG_OK || (job_request = bpg_req_json_text(rc->body, rc->body_len,
	    bpg_req_format_of(rc->req->content_type))) == NULL)) {
		if (e == BPG_OK)
			e = bpg_errf(&ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}
	s.job_request = job_request;
	s.rc = rc;
	s.idem = &idem;
	s.hooks = hooks;
	s.req = req;
	s.queue = queue;
	s.proxy_user = proxy_user;
	s.stored = stored;
	s.summary = summary;
	s.notify = &notify;
	submit_failover(&s, cluster);
	created_on = s.created_on;
	goto out;
fail:
	api_reply_err(rc->resp, e, &ei);
out:
	api_metrics_submission(rc, queue, created_on, dry_run);
	api_idem_end(rc, &idem);
	free(job_request);
	free(summary);
	free(stored);
	json_decref(cr);
	free(queue);
}

void
api_h_submit(struct route_ctx *rc)
{
	struct bpg_submit_req req;
	struct bpg_errinfo ei = { "" };
	char *dag_user = NULL;
	const char *proxy_user;
	bool dry_run;
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
	/* As an Idempotency-Key: the gateway lacks what it needs. */
	if (!dry_run && req.retry_policy != NULL &&
	    (rc->api->db == NULL || !bpg_db_enabled(rc->api->db))) {
		api_reply_error(rc->resp, 501, WAE, "retryPolicy is not "
		    "supported: this gateway has no database");
		api_metrics_submission(rc, NULL, NULL, false);
		goto out;
	}
	/* Section 2.7: the Airflow account submits for dagUser. */
	proxy_user = rc->user;
	if (strcmp(rc->user, AIRFLOW_ACCOUNT) == 0) {
		dag_user = rc->query ? api_query_param(rc->query, "dagUser") : NULL;
		proxy_user = dag_user != NULL && dag_user[0] != '\0' ?
		    dag_user : "dagUser";
	}
	api_submit_run(rc, &req, proxy_user, dry_run, NULL);
	goto out;
fail:
	api_reply_err(rc->resp, e, &ei);
	api_metrics_submission(rc, NULL, NULL, false);
out:
	free(dag_user);
	bpg_req_reset(&req);
}
