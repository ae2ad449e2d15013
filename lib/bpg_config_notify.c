/*
 * queues[].notify: the receivers told of every submission of a queue,
 * checked as the request field `notify` is (bpg_notify.h), so that a bad
 * default stops start-up instead of failing every submission of the
 * queue.  The shape is checked where the key is bound; the URLs against
 * notificationAllowHttp and notificationAllowedHosts once every key is
 * bound (those keys may come after queues).  Addresses are checked at each
 * submission and each delivery, since DNS answers change.
 */
#include <stdio.h>
#include <string.h>

#include "bpg_config_int.h"
#include "bpg_notify.h"

enum bpg_err
cfg_fn_notify(struct ctx *c, const json_t *o, const struct key *k, char *base)
{
	json_t **out = (json_t **)(void *)(base + k->off);
	const json_t *v = cfg_member(o, k->name);
	struct bpg_notify_spec s;
	struct bpg_errinfo ei;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return BPG_OK;
	if (bpg_notify_parse(v, k->name, &s, &ei) != BPG_OK)
		return cfg_fail(c, v, o, "%s", ei.msg);
	if ((*out = bpg_notify_spec_json(&s)) == NULL)
		return cfg_nomem(c);
	return BPG_OK;
}

enum bpg_err
cfg_step_notify(struct ctx *c, const json_t *root, const struct key *k,
    char *base)
{
	const struct bpg_config *cfg = (const struct bpg_config *)(void *)base;
	struct bpg_notify_policy p = { cfg->notification_allow_http, true,
		(const char *const *)cfg->notification_allowed_hosts.v,
		cfg->notification_allowed_hosts.n };
	char host[BPG_NOTIFY_MAX_HOST + 1];
	struct bpg_errinfo ei;
	const json_t *t;
	size_t i, j;
	int port;

	(void)k;
	(void)root;
	for (i = 0; i < cfg->nqueues; i++)
		json_array_foreach(cfg->queues[i].notify, j, t)
			if (bpg_notify_check_url(json_string_value(
				json_object_get(t, "url")), &p, "url", host,
				sizeof(host), &port, &ei) != BPG_OK)
				return cfg_fail(c, NULL, NULL,
				    "queues[%zu].notify[%zu].%s", i, j,
				    ei.msg);
	return BPG_OK;
}
