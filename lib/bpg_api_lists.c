/*
 * The list endpoints (bpg-reference sections 1.7, 1.10 and 1.14):
 * GET /spark/mySubmissions and GET /admin/submissions.
 *
 * Both list the SparkApplications of every configured cluster, in config
 * order, and turn each into a SubmissionSummary.  Both are rate limited as
 * in BPG: one token bucket per endpoint, 20 per second, shared by all
 * users (quirk 36) and, here, by all worker processes (bpg_ratelimit.h).
 *
 * Unlike BPG, a submission whose CR is gone (TTL, delete) still shows:
 * after the CRs, the newest database rows of the same selection (the
 * user's, or the application name's, or all; at most
 * BPG_MAX_LIST_HISTORY) whose submission has no CR in the listing are
 * added, summarised from the row (bpg_summary_of_row()).  Rows of IDs no
 * configured cluster owns are left out, as their other endpoints would
 * refuse them.  If the database cannot be read the lists still answer,
 * with the CRs only (the failure is logged).
 *
 * mySubmissions lists the submissions the caller owns exactly
 * (bpg_authz.h): the label selector only narrows what Kubernetes sends,
 * as the label may be normalised and shared by several users ("alice_"
 * and "alice0"); each CR's spec.proxyUser, and each row's user, must be
 * the caller's name byte for byte.  /admin/submissions is for adminUsers
 * and viewerUsers, or for everyone with readAccess "all" (BPG lets every
 * user list everything, quirk 19); others get a 403.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "bpg_api_lists.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_limits.h"
#include "bpg_log.h"
#include "bpg_summary.h"

/* BPG's texts (Appendix A). */
#define MY_LIMIT_TEXT "Too many requests for mySubmissions endpoint " \
	"(limit: 20 requests per second)"
#define ALL_LIMIT_TEXT "Too many requests for submissions endpoint " \
	"(limit: 20 requests per second)"
#define ALL_FORBIDDEN_TEXT "only adminUsers and viewerUsers may list " \
	"every user's submissions"

/*
 * The rows of history not already listed from Kubernetes: seen holds the
 * names of the CRs listed; with user, only the rows of exactly that user
 * (the database's collation may compare names without case or trailing
 * spaces).  For each, emit(arg, summary) (summary is borrowed); emit
 * returns false to stop.  Errors reading the database are
 * logged and end the history.
 */
static void
add_history(struct route_ctx *rc, const char *user, const char *app_name,
    const json_t *seen, bool (*emit)(void *, json_t *), void *arg)
{
	struct bpg_api *api = rc->api;
	const struct bpg_cluster *cl;
	struct bpg_errinfo ei = { "" };
	json_t *rows = NULL, *row, *sum;
	const char *id;
	size_t i;
	bool go = true;

	if (api->db == NULL)
		return;
	if (bpg_db_history(api->db, user, app_name, BPG_MAX_LIST_HISTORY,
	    &rows, &ei) != BPG_OK) {
		bpg_log(LOG_ERR, "list: history not available: %s", ei.msg);
		return;
	}
	json_array_foreach(rows, i, row) {
		id = api_jstr(row, "submission_id");
		if (!go || id == NULL || json_object_get(seen, id) != NULL ||
		    (user != NULL && (api_jstr(row, "user") == NULL ||
		    strcmp(api_jstr(row, "user"), user) != 0)) ||
		    bpg_route_cluster_of_id(api->cfg, id, &cl, NULL) != BPG_OK)
			continue;
		if ((sum = bpg_summary_of_row(api->cfg, row,
		    api_now_ms())) == NULL) {
			bpg_log(LOG_ERR, "list: out of memory");
			break;
		}
		go = emit(arg, sum);
		json_decref(sum);
	}
	json_decref(rows);
}

/* ---- GET /spark/mySubmissions (section 1.7) ------------------------ */

static bool
append_summary(void *arg, json_t *sum)
{
	return json_array_append(arg, sum) == 0;
}

/* One cluster's list for mySubmissions. */
struct my_list {
	const struct bpg_config *cfg;
	const char *user;	/* whose CRs are listed, exactly */
	const struct bpg_cluster *cluster;
	json_t *subs;		/* every cluster's summaries */
	json_t *names;		/* this cluster's CR names */
	size_t base;		/* subs' size before this cluster */
};

static enum bpg_err
my_item(void *arg, const json_t *item, struct bpg_errinfo *ei)
{
	struct my_list *l = arg;
	const char *name, *owner;
	json_t *sum;

	/* Another user's CR under the same label. */
	owner = bpg_authz_cr_owner(item);
	if (owner == NULL || strcmp(owner, l->user) != 0)
		return BPG_OK;
	if ((sum = bpg_summary_of_cr(l->cfg, l->cluster, item,
	    api_now_ms())) == NULL || json_array_append_new(l->subs, sum) != 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	name = api_jstr(json_object_get(item, "metadata"), "name");
	if (name != NULL &&
	    json_object_set_new(l->names, name, json_true()) != 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

/* The cluster's list starts again: its summaries so far go. */
static void
my_restart(void *arg)
{
	struct my_list *l = arg;

	while (json_array_size(l->subs) > l->base)
		json_array_remove(l->subs, json_array_size(l->subs) - 1);
	json_object_clear(l->names);
}

void
api_h_my_submissions(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	const struct bpg_config *cfg = api->cfg;
	struct bpg_errinfo ei = { "" };
	struct bpg_kube *kube;
	struct my_list l = { cfg, rc->user, NULL, NULL, NULL, 0 };
	json_t *seen = NULL;
	char *label = NULL, *selector = NULL;
	enum bpg_err e;
	size_t c;

	if (!bpg_ratelimit_try(api->rl, BPG_RATELIMIT_MY_SUBMISSIONS,
	    bpg_ratelimit_now())) {
		api_reply_error(rc->resp, 429, WAE, MY_LIMIT_TEXT);
		return;
	}
	/* The proxyUser label value the user's CRs carry. */
	if ((label = bpg_label_user(rc->user)) == NULL ||
	    asprintf(&selector, "proxyUser=%s", label) < 0) {
		selector = NULL;
		goto nomem;
	}
	if ((l.subs = json_array()) == NULL ||
	    (l.names = json_object()) == NULL || (seen = json_object()) == NULL)
		goto nomem;
	/* Every cluster, weight or not (section 1.7); any failure fails. */
	for (c = 0; c < cfg->nclusters; c++) {
		l.cluster = &cfg->clusters[c];
		l.base = json_array_size(l.subs);
		json_object_clear(l.names);
		if ((e = api_kube_for(api, &cfg->clusters[c], &kube, &ei)) !=
		    BPG_OK || (e = bpg_kube_list_apps(kube, selector, my_item,
		    my_restart, &l, NULL, 0, &ei)) != BPG_OK) {
			api_reply_err(rc->resp, e, &ei);
			goto out;
		}
		if (json_object_update(seen, l.names) != 0)
			goto nomem;
	}
	add_history(rc, rc->user, NULL, seen, append_summary, l.subs);
	api_reply_json(rc->resp, 200, json_pack("{s:O}", "submissions",
	    l.subs));
	goto out;
nomem:
	api_reply_nomem(rc->resp);
out:
	json_decref(l.names);
	json_decref(seen);
	json_decref(l.subs);
	free(selector);
	free(label);
}

/* ---- GET /admin/submissions (section 1.10) ------------------------- */

/* Whether the raw query has a parameter key (decoded or not). */
static bool
has_param(const char *query, const char *key)
{
	size_t n = strlen(key);
	const char *p;

	for (p = query; p != NULL; p = strchr(p, '&')) {
		if (*p == '&')
			p++;
		if (strncmp(p, key, n) == 0 && p[n] == '=')
			return true;
	}
	return false;
}

/* NDJSON output: the head goes out with the first line. */
struct ndjson {
	struct route_ctx *rc;
	bool started;
	bool gone;		/* the client went away */
};

static bool
ndjson_start(struct ndjson *o)
{
	if (!o->started) {
		o->started = true;
		if (api_stream_head(o->rc, 200, "application/json", "") != 0)
			o->gone = true;
	}
	return !o->gone;
}

/* One compact object and "\n". */
static bool
ndjson_line(void *arg, json_t *sum)
{
	struct ndjson *o = arg;
	char *s;
	size_t n;

	if (!ndjson_start(o))
		return false;
	if ((s = json_dumps(sum, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		return false;
	n = strlen(s);
	s[n] = '\n';		/* over the NUL: written by length */
	if (api_stream_write(o->rc, s, n + 1) != 0)
		o->gone = true;
	free(s);
	return !o->gone;
}

/* One cluster's list for admin/submissions. */
struct admin_list {
	const struct bpg_config *cfg;
	const struct bpg_cluster *cluster;
	struct ndjson *out;
	json_t *seen;		/* names of the CRs sent */
	bool again;		/* the list started again */
};

static enum bpg_err
admin_item(void *arg, const json_t *item, struct bpg_errinfo *ei)
{
	struct admin_list *l = arg;
	const char *name;
	json_t *sum;

	name = api_jstr(json_object_get(item, "metadata"), "name");
	/* Lines sent cannot be taken back: a second pass skips them. */
	if (l->again && name != NULL && json_object_get(l->seen, name) != NULL)
		return BPG_OK;
	if ((sum = bpg_summary_of_cr(l->cfg, l->cluster, item,
	    api_now_ms())) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	(void)ndjson_line(l->out, sum);
	json_decref(sum);
	if (l->out->gone)
		return bpg_errf(ei, BPG_EIO, "the client went away");
	if (name != NULL &&
	    json_object_set_new(l->seen, name, json_true()) != 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

static void
admin_restart(void *arg)
{
	((struct admin_list *)arg)->again = true;
}

void
api_h_admin_submissions(struct route_ctx *rc)
{
	struct bpg_api *api = rc->api;
	const struct bpg_config *cfg = api->cfg;
	struct bpg_errinfo ei = { "" };
	struct ndjson out = { rc, false, false };
	struct admin_list l = { cfg, NULL, &out, NULL, false };
	struct bpg_kube *kube;
	char *name = NULL, *norm = NULL, *selector = NULL;
	enum bpg_err e;
	size_t c;

	/* First: those refused do not use up the others' rate. */
	if (!bpg_authz_may_list_all(cfg, rc->user)) {
		bpg_log(LOG_INFO, "admin/submissions by %s refused", rc->user);
		api_reply_error(rc->resp, 403, WAE, ALL_FORBIDDEN_TEXT);
		return;
	}
	if (!bpg_ratelimit_try(api->rl, BPG_RATELIMIT_SUBMISSIONS,
	    bpg_ratelimit_now())) {
		api_reply_error(rc->resp, 429, WAE, ALL_LIMIT_TEXT);
		return;
	}
	if (rc->query != NULL) {
		name = api_query_param(rc->query, "name");
		/* A name that cannot be decoded must not list everything. */
		if (name == NULL && has_param(rc->query, "name")) {
			api_reply_error(rc->resp, 400, WAE,
			    "Malformed query parameter name");
			return;
		}
	}
	if (name != NULL && name[0] == '\0') {
		free(name);
		name = NULL;
	}
	if (name != NULL && ((norm = bpg_label_normalize(name)) == NULL ||
	    asprintf(&selector, "applicationName=%s", norm) < 0)) {
		selector = NULL;
		goto nomem;
	}
	if ((l.seen = json_object()) == NULL)
		goto nomem;
	for (c = 0; c < cfg->nclusters && !out.gone; c++) {
		l.cluster = &cfg->clusters[c];
		l.again = false;
		if ((e = api_kube_for(api, &cfg->clusters[c], &kube, &ei)) !=
		    BPG_OK || (e = bpg_kube_list_apps(kube, selector,
		    admin_item, admin_restart, &l, NULL, 0, &ei)) != BPG_OK) {
			if (out.gone)
				goto done;
			/* Before the first byte an error can still be told. */
			if (!out.started) {
				api_reply_err(rc->resp, e, &ei);
				goto done;
			}
			bpg_log(LOG_ERR, "admin/submissions: %s: stream ended: "
			    "%s", cfg->clusters[c].id, ei.msg);
			goto done;
		}
	}
	add_history(rc, NULL, name, l.seen, ndjson_line, &out);
	/* Nothing at all: an empty 200. */
	(void)ndjson_start(&out);
	goto done;
nomem:
	if (!out.started)
		api_reply_nomem(rc->resp);
	else
		bpg_log(LOG_ERR, "admin/submissions: out of memory");
done:
	json_decref(l.seen);
	free(selector);
	free(norm);
	free(name);
}
