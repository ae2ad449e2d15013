/*
 * Moving a starved application to another cluster: the pure parts
 * (bpg_move.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "bpg_db_attempts.h"
#include "bpg_move.h"
#include "bpg_req.h"

bool
bpg_move_waiting(const char *state, const char *pod_phase)
{
	if (state == NULL || strcasecmp(state, "SUBMITTED") != 0)
		return false;
	return pod_phase == NULL || strcmp(pod_phase, "Pending") == 0;
}

bool
bpg_move_due(const char *state, const char *pod_phase, int64_t created_ms,
    int64_t max_pending_ms, int64_t now_ms)
{
	if (!bpg_move_waiting(state, pod_phase) || created_ms < 0 ||
	    max_pending_ms <= 0 || now_ms < created_ms)
		return false;
	return now_ms - created_ms > max_pending_ms;
}

/* Whether c may take the job: routable, the version and parent queue. */
static bool
eligible(const struct bpg_cluster *c, const char *version,
    const char *parent, const char *const *exclude, size_t nexclude)
{
	size_t i;

	if (c->id == NULL || c->weight <= 0 ||
	    !bpg_route_cluster_has_version(c, version) ||
	    !bpg_route_cluster_has_queue(c, parent))
		return false;
	for (i = 0; i < nexclude; i++)
		if (exclude[i] != NULL && strcmp(exclude[i], c->id) == 0)
			return false;
	return true;
}

enum bpg_err
bpg_move_pick(const struct bpg_config *cfg, const char *spark_version,
    const char *queue, const char *const *exclude, size_t nexclude,
    struct bpg_rng *rng, const struct bpg_cluster **out,
    struct bpg_errinfo *ei)
{
	char *parent;
	uint64_t sum = 0, r;
	size_t i;
	enum bpg_err e = BPG_OK;

	*out = NULL;
	if (queue == NULL)
		queue = "";
	/* Section 2.5 step 4: the parent queue, before the first '.'. */
	if ((parent = strndup(queue, strcspn(queue, "."))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	for (i = 0; i < cfg->nclusters; i++) {
		const struct bpg_cluster *c = &cfg->clusters[i];

		if (!eligible(c, spark_version, parent, exclude, nexclude))
			continue;
		if (sum > UINT64_MAX - (uint64_t)c->weight) {
			e = bpg_errf(ei, BPG_ECONFIG, "The sum of the "
			    "sparkClusters weights is too large");
			goto out;
		}
		sum += (uint64_t)c->weight;
	}
	if (sum == 0) {
		e = bpg_errf(ei, BPG_ENOTFOUND, "no other cluster with queue "
		    "%s and Spark version %s", queue,
		    spark_version != NULL ? spark_version : "null");
		goto out;
	}
	r = bpg_rng_below(rng, sum);
	for (i = 0; i < cfg->nclusters; i++) {
		const struct bpg_cluster *c = &cfg->clusters[i];

		if (!eligible(c, spark_version, parent, exclude, nexclude))
			continue;
		if (r < (uint64_t)c->weight) {
			*out = c;
			goto out;
		}
		r -= (uint64_t)c->weight;
	}
	e = bpg_errf(ei, BPG_ECONFIG, "cluster choice failed");
out:
	free(parent);
	return e;
}

/* Whether entry is one of the array list, exactly. */
static bool
has_equal(const json_t *list, const json_t *entry)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (json_equal(v, entry))
			return true;
	return false;
}

/*
 * The request's own entries of the live env list: those the from
 * cluster did not add.  An entry of the request equal to one of the
 * cluster's cannot be told apart from it and is left to the new
 * cluster's configuration.  NULL and BPG_OK when there are none.
 */
static enum bpg_err
request_env(const json_t *live, const json_t *cluster_env, json_t **out)
{
	const json_t *v;
	json_t *env;
	size_t i;

	*out = NULL;
	if (!json_is_array(live) || json_array_size(live) == 0)
		return BPG_OK;
	if ((env = json_array()) == NULL)
		return BPG_ENOMEM;
	json_array_foreach(live, i, v) {
		if (has_equal(cluster_env, v))
			continue;
		if (json_array_append_new(env, json_deep_copy(v)) != 0) {
			json_decref(env);
			return BPG_ENOMEM;
		}
	}
	if (json_array_size(env) == 0) {
		json_decref(env);
		return BPG_OK;
	}
	*out = env;
	return BPG_OK;
}

enum bpg_err
bpg_move_build_cr(const struct bpg_config *cfg,
    const struct bpg_cluster *from, const struct bpg_cluster *to,
    const char *request_body, const json_t *old_cr, const char *new_id,
    struct bpg_zones *zones, json_t **cr, struct bpg_errinfo *ei)
{
	struct bpg_submit_req req;
	struct bpg_crd_ctx ctx;
	const json_t *spec = json_object_get(old_cr, "spec");
	const char *queue;
	json_t *env;
	enum bpg_err e;

	*cr = NULL;
	memset(&req, 0, sizeof(req));
	if (request_body == NULL)
		return bpg_errf(ei, BPG_EINVAL, "the submission's row keeps no "
		    "request");
	queue = json_string_value(json_object_get(json_object_get(
	    json_object_get(old_cr, "metadata"), "labels"), "queue"));
	if (queue == NULL || strncmp(queue, "root.", 5) != 0 ||
	    queue[5] == '\0')
		return bpg_errf(ei, BPG_EINVAL, "the SparkApplication has no "
		    "queue label");
	queue += 5;
	if ((e = bpg_req_parse(request_body, strlen(request_body),
	    BPG_REQ_JSON, &req, ei)) != BPG_OK)
		goto out;
	/* The stored request's env lists are gone: take the live ones. */
	if ((e = request_env(json_object_get(json_object_get(spec, "driver"),
	    "env"), from->driver.env, &env)) != BPG_OK)
		goto nomem;
	if (env != NULL) {
		json_decref(req.driver.env);
		req.driver.env = env;
		req.driver.present = true;
	}
	if ((e = request_env(json_object_get(json_object_get(spec,
	    "executor"), "env"), from->executor.env, &env)) != BPG_OK)
		goto nomem;
	if (env != NULL) {
		json_decref(req.executor.env);
		req.executor.env = env;
		req.executor.present = true;
	}
	/* Routing chose to; a pinned clusterId would name from. */
	free(req.cluster_id);
	req.cluster_id = NULL;
	ctx.submission_id = new_id;
	ctx.user = json_string_value(json_object_get(spec, "originalUser"));
	ctx.proxy_user = json_string_value(json_object_get(spec, "proxyUser"));
	ctx.queue = queue;
	if ((e = bpg_crd_build(cfg, to, &req, &ctx, zones, cr, ei)) != BPG_OK)
		goto out;
	if ((e = bpg_crd_check(*cr, ei)) != BPG_OK) {
		json_decref(*cr);
		*cr = NULL;
	}
	goto out;
nomem:
	e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
out:
	bpg_req_reset(&req);
	return e;
}

enum bpg_move_act
bpg_move_next(const char *state, enum bpg_move_old old)
{
	if (state == NULL)
		return BPG_MOVE_NOTHING;
	if (strcmp(state, BPG_DB_ATTEMPT_PENDING) == 0) {
		if (old == BPG_MOVE_OLD_WAITING)
			return BPG_MOVE_DELETE;
		if (old == BPG_MOVE_OLD_UNKNOWN)
			return BPG_MOVE_WAIT;
		return BPG_MOVE_ABANDON;
	}
	if (strcmp(state, BPG_DB_ATTEMPT_DELETING) == 0) {
		switch (old) {
		case BPG_MOVE_OLD_WAITING:
			return BPG_MOVE_DELETE;
		case BPG_MOVE_OLD_GONE:
		case BPG_MOVE_OLD_OTHER:
			return BPG_MOVE_CREATE;
		case BPG_MOVE_OLD_STARTED:
			return BPG_MOVE_ABANDON;
		default:
			return BPG_MOVE_WAIT;
		}
	}
	if (strcmp(state, BPG_DB_ATTEMPT_DELETED) == 0)
		return BPG_MOVE_CREATE;
	return BPG_MOVE_NOTHING;
}
