/*
 * Who may see and change which submission.
 *
 * A submission belongs to the exact user it runs as: the proxy user of
 * bpg-reference section 2.7 (the submitter, or the dagUser the Airflow
 * account submitted for).  That name is kept verbatim in the CR's
 * spec.proxyUser (BPG and this gateway both write it; the operator's
 * schema keeps it) and in the row's `user` column.  The proxyUser label
 * is not used to decide: this gateway normalises it (quirk 10), which
 * maps several users to one label ("alice_" and "alice0").
 *
 * BPG checks nothing (section 8.2, quirk 19).  Here:
 *   change (DELETE)   the owner, adminUsers and the Airflow account;
 *   read (status, spec, driver, describe, logs)
 *                     readAccess "all": everyone (BPG's behaviour);
 *                     "owner" (the default): the owner, adminUsers,
 *                     viewerUsers and the Airflow account;
 *   list everything (/admin/submissions)
 *                     readAccess "all": everyone; "owner": adminUsers
 *                     and viewerUsers.
 * A submission with no recorded owner is for the privileged users only.
 */
#ifndef BPG_AUTHZ_H
#define BPG_AUTHZ_H

#include <stdbool.h>

#include <jansson.h>

#include "bpg_config.h"

/*
 * The exact owner of a SparkApplication, borrowed from cr: spec.proxyUser;
 * a CR without one (not written by BPG or this gateway) falls back to its
 * proxyUser label.  NULL when it has neither.
 */
const char *bpg_authz_cr_owner(const json_t *cr);

/*
 * May user (never NULL) change / read a submission owned by owner (NULL:
 * unknown, so only the privileged users)?  Exact, case-sensitive byte
 * comparison of the names.
 */
bool bpg_authz_may_change(const struct bpg_config *, const char *user,
    const char *owner);
bool bpg_authz_may_read(const struct bpg_config *, const char *user,
    const char *owner);

/* Is user one of adminUsers (exact name)? */
bool bpg_authz_is_admin(const struct bpg_config *, const char *user);

/* May user list every user's submissions (/admin/submissions)? */
bool bpg_authz_may_list_all(const struct bpg_config *, const char *user);

#endif
