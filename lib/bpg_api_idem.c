/* POST /spark's idempotency keys (bpg_api_idem.h, bpg_idem.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "bpg_api_idem.h"
#include "bpg_db_attempts.h"
#include "bpg_api_util.h"
#include "bpg_kube.h"
#include "bpg_log.h"

static void
idem_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* resp->content_type must be a static string: the stored one mapped. */
static const char *
static_ctype(const char *s)
{
	static const char *const known[] = {
		"application/json", "application/yaml", "text/plain",
		"text/plain; charset=utf-8",
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(s, known[i]) == 0)
			return known[i];
	return "application/json";
}

static void
reply_stored(struct route_ctx *rc, const struct bpg_db_idem_row *row)
{
	char *body;

	if ((body = malloc(row->answer_len + 1)) == NULL) {
		api_reply_nomem(rc->resp);
		return;
	}
	memcpy(body, row->answer, row->answer_len);
	body[row->answer_len] = '\0';
	api_reply_text_n(rc->resp, row->http_status,
	    static_ctype(row->content_type), body, row->answer_len);
}

static void
reply_in_progress(struct route_ctx *rc, const char *key)
{
	char text[320];

	snprintf(text, sizeof(text), "A request with Idempotency-Key \"%s\" "
	    "is still in progress; send it again later to get its answer",
	    key);
	api_reply_error(rc->resp, 409, WAE, text);
}

/* The 200 of a submission that exists, as api_h_submit() answers it. */
static char *
created_answer(const char *submission_id)
{
	char *s;

	if (asprintf(&s, "{\"submissionId\":\"%s\"}", submission_id) < 0)
		return NULL;
	return s;
}

enum resolved {
	R_ANSWERED,	/* rc->resp holds the answer */
	R_OWN,		/* the key is ours now */
	R_AGAIN,	/* look again */
};

/*
 * A key whose owner is gone or answered 504: what its submission row says
 * (the monitor settles it), never a guess.
 */
static enum resolved
resolve(struct route_ctx *rc, struct api_idem *id,
    const struct bpg_db_idem_row *row, bool stale, struct bpg_errinfo *ei)
{
	struct bpg_api *api = rc->api;
	struct bpg_db_app app;
	struct bpg_db_attempt next;
	struct bpg_idem_sub sub;
	char *answer;
	bool won = false;
	enum bpg_err e;

	memset(&app, 0, sizeof(app));
	memset(&sub, 0, sizeof(sub));
	if (row->has_submission) {
		if ((e = bpg_db_monitor_read(api->db, row->submission_id, &app,
		    ei)) != BPG_OK) {
			api_reply_err(rc->resp, e, ei);
			return R_ANSWERED;
		}
		sub.found = app.found;
		sub.has_status = app.has_status;
		sub.status = app.status;
		sub.has_app_id = app.has_app_id;
		sub.started = app.started;
		sub.never_seen = app.never_seen;
		/* A move made it an earlier attempt: the job goes on. */
		if (app.found && (e = bpg_db_attempt_next(api->db,
		    row->submission_id, &next, &sub.has_next, ei)) != BPG_OK) {
			api_reply_err(rc->resp, e, ei);
			return R_ANSWERED;
		}
	}
	switch (bpg_idem_settle(&sub, stale)) {
	case BPG_IDEM_CREATED:
		if ((answer = created_answer(row->submission_id)) == NULL) {
			api_reply_nomem(rc->resp);
			return R_ANSWERED;
		}
		if (bpg_db_idem_finish(api->db, &id->ref, row->owner,
		    BPG_IDEM_DONE, 200, "application/json", answer,
		    strlen(answer), ei) != BPG_OK)
			bpg_log(LOG_WARNING, "idempotency key of %s: cannot "
			    "store the answer of %s: %s", id->ref.user,
			    row->submission_id, ei->msg);
		bpg_log(LOG_INFO, "idempotency key of %s: submission %s was "
		    "created", id->ref.user, row->submission_id);
		api_reply_text(rc->resp, 200, "application/json", answer);
		return R_ANSWERED;
	case BPG_IDEM_NOT_CREATED:
		if ((e = bpg_db_idem_takeover(api->db, &id->ref, row->owner,
		    id->owner, id->hash, &won, ei)) != BPG_OK) {
			api_reply_err(rc->resp, e, ei);
			return R_ANSWERED;
		}
		if (won)
			bpg_log(LOG_INFO, "idempotency key of %s: runs again, "
			    "nothing was created before (%s)", id->ref.user,
			    row->has_submission ? row->submission_id : "no ID");
		return won ? R_OWN : R_AGAIN;
	case BPG_IDEM_UNSETTLED:
	default:
		return R_AGAIN;
	}
}

bool
api_idem_begin(struct route_ctx *rc, const char *field, bool dry_run,
    struct api_idem *id)
{
	struct bpg_api *api = rc->api;
	struct bpg_errinfo ei = { "" };
	struct bpg_db_idem_row row;
	struct bpg_idem_req hr;
	struct bpg_idem_seen seen;
	unsigned char rnd[16];
	const char *key;
	char *dag_user = NULL;
	uint64_t r;
	int64_t stale_s, end, now;
	long wait = BPG_IDEM_POLL_MS;
	bool won = false, ok = false;
	enum bpg_err e;

	memset(id, 0, sizeof(id[0]));
	memset(&row, 0, sizeof(row));
	/* Checked before anything is written, dry runs too. */
	if ((e = bpg_idem_pick(rc->req->idempotency_key, field, &key,
	    &ei)) != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		return false;
	}
	/* A dry run writes nothing: no key either. */
	if (key == NULL || dry_run)
		return true;
	if (api->db == NULL || !bpg_db_enabled(api->db)) {
		api_reply_error(rc->resp, 501, WAE, "Idempotency-Key is not "
		    "supported: this gateway has no database");
		return false;
	}
	id->ref.user = rc->user;
	id->ref.key = key;
	memset(&hr, 0, sizeof(hr));
	hr.method = "POST";
	hr.path = "/spark";
	hr.content_type = rc->req->content_type;
	if (strcmp(rc->user, AIRFLOW_ACCOUNT) == 0 && rc->query != NULL)
		hr.dag_user = dag_user = api_query_param(rc->query, "dagUser");
	hr.body = rc->body;
	hr.body_len = rc->body_len;
	e = bpg_idem_hash(&hr, id->hash, &ei);
	free(dag_user);
	if (e != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		return false;
	}
	r = bpg_rng_next(&api->rng);
	memcpy(rnd, &r, 8);
	r = bpg_rng_next(&api->rng);
	memcpy(rnd + 8, &r, 8);
	bpg_idem_owner(rnd, id->owner);

	stale_s = api->cfg->request_deadline_seconds + BPG_IDEM_STALE_MARGIN_S;
	end = bpg_kube_now_ms() + BPG_IDEM_WAIT_MS;
	if (api->end_ms > 0 && api->end_ms - 1000 < end)
		end = api->end_ms - 1000;
	for (;;) {
		if ((e = bpg_db_idem_claim(api->db, &id->ref, id->owner,
		    id->hash, api->cfg->idempotency_ttl_seconds, &won,
		    &ei)) != BPG_OK)
			goto fail;
		if (won)
			break;
		if ((e = bpg_db_idem_read(api->db, &id->ref, &row, &ei)) !=
		    BPG_OK)
			goto fail;
		if (!row.found)
			goto next;	/* released or expired just now */
		/* Our own INSERT, answered after a lost connection. */
		if (strcmp(row.owner, id->owner) == 0)
			break;
		seen.state = row.state;
		seen.same_hash = strcmp(row.hash, id->hash) == 0;
		seen.has_submission = row.has_submission;
		seen.age_s = row.age_s;
		switch (bpg_idem_judge(&seen, stale_s)) {
		case BPG_IDEM_MISMATCH: {
			char text[320];

			snprintf(text, sizeof(text), "Idempotency-Key \"%s\" "
			    "was already used for another request; use a "
			    "new key for a new request", key);
			api_reply_error(rc->resp, 422, WAE, text);
			goto out;
		}
		case BPG_IDEM_REPLAY:
			if (!row.has_answer) {
				e = bpg_errf(&ei, BPG_EDB, "The stored answer "
				    "of Idempotency-Key \"%s\" cannot be "
				    "read", key);
				goto fail;
			}
			reply_stored(rc, &row);
			goto out;
		case BPG_IDEM_RESOLVE:
		case BPG_IDEM_TAKEOVER:
			switch (resolve(rc, id, &row, row.state ==
			    BPG_IDEM_UNKNOWN || row.age_s >= stale_s, &ei)) {
			case R_ANSWERED:
				goto out;
			case R_OWN:
				goto own;
			case R_AGAIN:
				break;
			}
			break;
		case BPG_IDEM_WAIT:
		default:
			break;
		}
next:
		now = bpg_kube_now_ms();
		if (now + wait > end) {
			reply_in_progress(rc, key);
			goto out;
		}
		idem_sleep_ms(wait);
		if ((wait *= 2) > BPG_IDEM_POLL_MAX_MS)
			wait = BPG_IDEM_POLL_MAX_MS;
	}
own:
	id->active = true;
	ok = true;
	goto out;
fail:
	bpg_log(LOG_ERR, "idempotency key of %s: %s", rc->user, ei.msg);
	api_reply_err(rc->resp, e, &ei);
out:
	bpg_db_idem_row_reset(&row);
	return ok;
}

enum bpg_err
api_idem_chosen(struct route_ctx *rc, struct api_idem *id,
    const char *submission_id, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	if (!id->active)
		return BPG_OK;
	e = bpg_db_idem_set_submission(rc->api->db, &id->ref, id->owner,
	    submission_id, ei);
	if (e != BPG_OK)
		return bpg_errf(ei, BPG_EDB, "The submission could not be "
		    "recorded for its Idempotency-Key (database unavailable); "
		    "nothing was submitted. Please try again later.");
	return BPG_OK;
}

void
api_idem_end(struct route_ctx *rc, struct api_idem *id)
{
	const struct bpg_http_resp *r = rc->resp;
	struct bpg_errinfo ei = { "" };
	enum bpg_err e;
	int s = r->status;

	if (!id->active)
		return;
	id->active = false;
	if (r->streamed || s == 0 || s == 429 || (s >= 500 && s != 504)) {
		/* Nothing was created: a retry may run afresh. */
		e = bpg_db_idem_release(rc->api->db, &id->ref, id->owner, &ei);
	} else {
		e = bpg_db_idem_finish(rc->api->db, &id->ref, id->owner,
		    s == 504 ? BPG_IDEM_UNKNOWN : BPG_IDEM_DONE, s,
		    r->content_type != NULL ? r->content_type :
		    "application/json", r->body, r->body_len, &ei);
		if (e == BPG_ETOOBIG && s != 504)
			e = bpg_db_idem_release(rc->api->db, &id->ref,
			    id->owner, &ei);
	}
	/* Left pending, the key is resolved once it is stale. */
	if (e != BPG_OK)
		bpg_log(LOG_ERR, "idempotency key of %s: answer %d not "
		    "recorded: %s", rc->user, s, ei.msg);
}
