/*
 * Who may see and change which submission (see bpg_authz.h).
 */
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "bpg_authz.h"
#include "bpg_internal.h"

const char *
bpg_authz_cr_owner(const json_t *cr)
{
	const char *s;

	s = json_string_value(json_object_get(json_object_get(cr, "spec"),
	    "proxyUser"));
	if (s != NULL)
		return s;
	/*
	 * Both BPG and this gateway write spec.proxyUser with the label;
	 * BPG's labels are the exact name (it never normalised them), so a
	 * CR with only the label still names its owner.
	 */
	return json_string_value(json_object_get(json_object_get(
	    json_object_get(cr, "metadata"), "labels"), "proxyUser"));
}

static bool
is_admin(const struct bpg_config *cfg, const char *user)
{
	return bpg_strlist_has(&cfg->admin_users, user, false);
}

/* The Airflow account submits and cleans up for its DAG users (2.7). */
bool
bpg_authz_is_admin(const struct bpg_config *cfg, const char *user)
{
	return user != NULL && is_admin(cfg, user);
}

static bool
is_airflow(const char *user)
{
	return strcmp(user, AIRFLOW_ACCOUNT) == 0;
}

static bool
is_owner(const char *user, const char *owner)
{
	return owner != NULL && strcmp(user, owner) == 0;
}

bool
bpg_authz_may_change(const struct bpg_config *cfg, const char *user,
    const char *owner)
{
	return is_admin(cfg, user) || is_airflow(user) || is_owner(user, owner);
}

bool
bpg_authz_may_read(const struct bpg_config *cfg, const char *user,
    const char *owner)
{
	return cfg->read_access == BPG_READ_ALL ||
	    bpg_strlist_has(&cfg->viewer_users, user, false) ||
	    bpg_authz_may_change(cfg, user, owner);
}

bool
bpg_authz_may_list_all(const struct bpg_config *cfg, const char *user)
{
	return cfg->read_access == BPG_READ_ALL || is_admin(cfg, user) ||
	    bpg_strlist_has(&cfg->viewer_users, user, false);
}
