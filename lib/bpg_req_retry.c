/*
 * The request's retryPolicy (bpg_retry.h): bound from the body's tree
 * with the binder's scalar coercions into plain JSON, then checked by
 * bpg_retry_parse(), whose message names the field.  A null value is an
 * absent one.
 */
#include "bpg_req_int.h"
#include "bpg_retry.h"

/* n's value under key in the plain object o. */
static enum bpg_err
bind_one(const struct binder *b, const char *key, json_t *n, const char *path,
    json_t *o)
{
	json_t *j = NULL;
	enum bpg_err e;
	int64_t iv = 0;
	bool has = false, bv = false;

	if (strcmp(key, "maxAttempts") == 0 ||
	    strcmp(key, "backoffSeconds") == 0) {
		if ((e = req_bind_int(b, n, path, INT32_MIN, INT32_MAX, &has,
		    &iv)) != BPG_OK)
			return e;
		if (has)
			j = json_integer(iv);
	} else if (strcmp(key, "backoffMultiplier") == 0) {
		if ((e = req_bind_double(b, n, path, &j)) != BPG_OK)
			return e;
		has = j != NULL;
	} else if (strcmp(key, "onStates") == 0) {
		if ((e = req_bind_strlist(b, n, path, &j)) != BPG_OK)
			return e;
		has = j != NULL;
	} else if (strcmp(key, "anyCluster") == 0) {
		if ((e = req_bind_bool(b, n, path, &has, &bv)) != BPG_OK)
			return e;
		if (has)
			j = json_boolean(bv);
	} else
		return req_bind_fail(b, BPG_EINVAL, n, T_UNKNOWN,
		    "Unrecognized field \"%.*s\" (class RetryPolicy), not "
		    "marked as ignorable", KEY_LEN, key);
	if (!has)
		return BPG_OK;
	if (j == NULL || json_object_set_new(o, key, j) != 0)
		return BPG_ENOMEM;
	return BPG_OK;
}

enum bpg_err
req_bind_retry(const struct binder *b, json_t *n, const char *path,
    json_t **out)
{
	struct bpg_retry_policy p;
	struct bpg_errinfo rei = { "" };
	char child[PATH_LEN];
	const char *key;
	json_t *o, *v;
	enum bpg_err e;

	*out = NULL;
	if (json_is_null(n))
		return BPG_OK;
	if (!json_is_object(n))
		return req_type_fail(b, n, n, path, "an object (RetryPolicy)");
	if ((e = req_check_entries(b, n, path, json_object_size(n))) != BPG_OK)
		return e;
	if ((o = json_object()) == NULL)
		return BPG_ENOMEM;
	json_object_foreach(n, key, v) {
		req_child_key(child, path, key);
		if ((e = bind_one(b, key, v, child, o)) != BPG_OK)
			goto fail;
	}
	if (bpg_retry_parse(o, &p, &rei) != BPG_OK) {
		e = req_bind_fail(b, BPG_EINVAL, n, T_MISMATCH, "%s", rei.msg);
		goto fail;
	}
	*out = o;
	return BPG_OK;
fail:
	json_decref(o);
	return e;
}

char *
bpg_req_json_text(const char *body, size_t len, enum bpg_req_format fmt)
{
	struct bpg_yaml_lines *lines = NULL;
	struct bpg_errinfo ei = { "" };
	json_t *root = NULL;
	char *out = NULL;

	if (fmt == BPG_REQ_JSON)
		return body != NULL ? strndup(body, len) : strdup("{}");
	if (req_yaml_load(body != NULL ? body : "", len, &root, &lines,
	    &ei) == BPG_OK)
		out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	bpg_yaml_lines_free(lines);
	return out;
}
