/*
 * Dependencies between submissions (bpg_deps.h).
 */
#include <stdio.h>
#include <string.h>

#include "bpg_deps.h"

static const char *const policy_names[BPG_DEPS_POLICY__MAX] = {
	[BPG_DEPS_ALL_SUCCEEDED] = "allSucceeded",
	[BPG_DEPS_ALL_FINISHED] = "allFinished",
};

const char *
bpg_deps_policy_name(enum bpg_deps_policy p)
{
	if ((unsigned)p >= BPG_DEPS_POLICY__MAX)
		return NULL;
	return policy_names[p];
}

bool
bpg_deps_policy_of(const char *s, enum bpg_deps_policy *out)
{
	size_t i;

	for (i = 0; s != NULL && i < BPG_DEPS_POLICY__MAX; i++)
		if (strcmp(s, policy_names[i]) == 0) {
			*out = (enum bpg_deps_policy)i;
			return true;
		}
	return false;
}

static bool
lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
lower_hex(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}

/* s[0..n) is "-" followed by 32 lower-case hex digits. */
static bool
hex_tail(const char *s, size_t n)
{
	size_t i;

	if (n != 33 || s[0] != '-')
		return false;
	for (i = 1; i < n; i++)
		if (!lower_hex(s[i]))
			return false;
	return true;
}

bool
bpg_deps_id_ok(const char *id)
{
	size_t n, i, start;

	if (id == NULL || (n = strlen(id)) == 0 || n > BPG_MAX_SUBMISSION_ID)
		return false;
	for (i = 0; i < n; i++)
		if (!lower_alnum(id[i]) && id[i] != '-')
			return false;
	if (!lower_alnum(id[0]) || !lower_alnum(id[n - 1]))
		return false;
	/*
	 * Some "-<32 hex>" that ends the ID or is followed by
	 * "-<DNS label>", with a non-empty cluster id before it.  Cluster
	 * ids and suffixes may hold dashes (quirk 1): try every start.
	 */
	for (start = 1; start + 33 <= n; start++) {
		if (!hex_tail(id + start, 33))
			continue;
		if (start + 33 == n)
			return true;
		if (id[start + 33] == '-' && start + 34 < n &&
		    lower_alnum(id[start + 34]) && n - start - 34 <= 63)
			return true;
	}
	return false;
}

enum bpg_err
bpg_deps_from_req(const json_t *depends_on, const char *policy,
    struct bpg_deps *out, struct bpg_errinfo *ei)
{
	const char *id;
	size_t i, j, n;

	memset(out, 0, sizeof(*out));
	if (policy != NULL && !bpg_deps_policy_of(policy, &out->policy))
		return bpg_errf(ei, BPG_EINVAL, "dependencyPolicy: must be "
		    "\"allSucceeded\" or \"allFinished\"");
	if (depends_on == NULL || json_is_null(depends_on))
		return BPG_OK;
	if (!json_is_array(depends_on))
		return bpg_errf(ei, BPG_EINVAL, "dependsOn: must be a list of "
		    "submission IDs");
	if ((n = json_array_size(depends_on)) > BPG_DEPS_MAX) {
		bpg_errf(ei, BPG_EINVAL, "dependsOn: at most %d submission "
		    "IDs, not %zu", BPG_DEPS_MAX, n);
		goto bad;
	}
	for (i = 0; i < n; i++) {
		id = json_string_value(json_array_get(depends_on, i));
		if (!bpg_deps_id_ok(id)) {
			/* Never echoed: it may be anything. */
			bpg_errf(ei, BPG_EINVAL, "dependsOn[%zu]: not a "
			    "submission ID", i);
			goto bad;
		}
		for (j = 0; j < out->n; j++)
			if (strcmp(out->ids[j], id) == 0) {
				bpg_errf(ei, BPG_EINVAL, "dependsOn[%zu]: %s is "
				    "listed twice", i, id);
				goto bad;
			}
		memcpy(out->ids[out->n++], id, strlen(id) + 1);
	}
	return BPG_OK;
bad:
	memset(out, 0, sizeof(*out));
	return BPG_EINVAL;
}

enum bpg_deps_dep
bpg_deps_dep_of(bool found, const char *status, bool finished, bool retry)
{
	if (!found)
		return BPG_DEPS_DEP_ENDED;
	if (!finished || retry)
		return BPG_DEPS_DEP_OPEN;
	if (status != NULL && strcmp(status, "COMPLETED") == 0)
		return BPG_DEPS_DEP_COMPLETED;
	return BPG_DEPS_DEP_ENDED;
}

enum bpg_deps_decision
bpg_deps_decide(enum bpg_deps_policy p, const enum bpg_deps_dep *dep,
    size_t n, size_t *failed)
{
	bool open = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (dep[i] == BPG_DEPS_DEP_OPEN)
			open = true;
		else if (dep[i] == BPG_DEPS_DEP_ENDED &&
		    p == BPG_DEPS_ALL_SUCCEEDED) {
			if (failed != NULL)
				*failed = i;
			return BPG_DEPS_FAIL;
		}
	}
	return open ? BPG_DEPS_WAIT : BPG_DEPS_RELEASE;
}
