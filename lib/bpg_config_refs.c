/*
 * Secret references of config.yaml (bpg-reference section 7.3):
 * plaintext:, localhost:env: and k8s:secret: values, resolved at load.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_config_int.h"

/* ------------------------------------------------------------------ */
/* Secret references (7.3)                                             */

/*
 * bpg_config_resolve_ref() with the in-cluster client to use for
 * k8s:secret: references (bpg_secret.h).  Every outcome but ENOMEM gives
 * a string: the value, or the reference text itself (BPG's rule).
 */
static enum bpg_err
resolve_ref(const char *value, struct bpg_secret_client *sc, char **out,
    enum bpg_config_ref *kind, struct bpg_errinfo *ei)
{
	enum bpg_config_ref k = BPG_CONFIG_REF_NONE;
	enum bpg_secret_result sr;
	const char *res = value, *env;
	enum bpg_err e;

	*out = NULL;
	if (kind != NULL)
		*kind = k;
	if (value == NULL)
		return BPG_OK;
	if (strncmp(value, REF_PLAINTEXT, strlen(REF_PLAINTEXT)) == 0) {
		res = value + strlen(REF_PLAINTEXT);
		k = BPG_CONFIG_REF_RESOLVED;
	} else if (strncmp(value, REF_ENV, strlen(REF_ENV)) == 0) {
		if ((env = getenv(value + strlen(REF_ENV))) != NULL) {
			res = env;
			k = BPG_CONFIG_REF_RESOLVED;
		} else
			k = BPG_CONFIG_REF_ENV_UNSET;
	} else if (strncmp(value, REF_K8S, strlen(REF_K8S)) == 0) {
		/* Read once, here, from the cluster the gateway runs in
		 * (quirk 42: BPG reads it for every Kubernetes call). */
		if ((e = bpg_secret_resolve(sc, value, out, &sr, ei)) !=
		    BPG_OK)
			return e;
		if (sr == BPG_SECRET_FOUND) {
			if (kind != NULL)
				*kind = BPG_CONFIG_REF_RESOLVED;
			return BPG_OK;
		}
		k = sr == BPG_SECRET_MALFORMED ? BPG_CONFIG_REF_MALFORMED :
		    BPG_CONFIG_REF_K8S_UNRESOLVED;
	}
	if ((*out = strdup(res)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	if (kind != NULL)
		*kind = k;
	return BPG_OK;
}

/* The client of the config's in-cluster keys (or the defaults). */
enum bpg_err
cfg_secret_client(const struct bpg_config *cfg, struct bpg_secret_client **out,
    struct bpg_errinfo *ei)
{
	struct bpg_secret_opts o;

	bpg_secret_opts_init(&o);
	if (cfg != NULL && cfg->incluster_api_server != NULL)
		o.api_server = cfg->incluster_api_server;
	if (cfg != NULL && cfg->incluster_sa_dir != NULL)
		o.sa_dir = cfg->incluster_sa_dir;
	return bpg_secret_client_new(&o, out, ei);
}

enum bpg_err
bpg_config_resolve_ref(const char *value, char **out,
    enum bpg_config_ref *kind, struct bpg_errinfo *ei)
{
	struct bpg_secret_client *sc = NULL;
	enum bpg_err e;

	*out = NULL;
	if (kind != NULL)
		*kind = BPG_CONFIG_REF_NONE;
	if (value != NULL && strncmp(value, REF_K8S, strlen(REF_K8S)) == 0 &&
	    (e = cfg_secret_client(NULL, &sc, ei)) != BPG_OK)
		return e;
	e = resolve_ref(value, sc, out, kind, ei);
	bpg_secret_client_free(sc);
	return e;
}

/* Name of the variable in "localhost:env:<VAR>", made printable. */
void
cfg_env_name(char *buf, size_t size, const char *ref)
{
	cfg_sanitize(buf, size, ref + strlen(REF_ENV));
}

/*
 * Bind a secret-bearing string and resolve its reference.  *kind tells
 * what happened; the raw text is wiped.
 */
enum bpg_err
cfg_get_secret(struct ctx *c, const json_t *obj, const char *key, char **out,
    enum bpg_config_ref *kind)
{
	struct bpg_errinfo ei = { { 0 } };
	char *raw = NULL, name[80];
	enum bpg_err e;
	size_t mark;

	*kind = BPG_CONFIG_REF_NONE;
	c->ref_why[0] = '\0';
	if ((e = cfg_get_str(c, obj, key, &raw)) != BPG_OK || raw == NULL)
		return e;
	mark = cfg_path_key(c, key);
	if (c->secrets == NULL && strncmp(raw, REF_K8S, strlen(REF_K8S)) == 0)
		e = cfg_secret_client(c->cfg, &c->secrets, &ei);
	if (e == BPG_OK)
		e = resolve_ref(raw, c->secrets, out, kind, &ei);
	if (e == BPG_ENOMEM)
		e = cfg_nomem(c);
	else if (e != BPG_OK)
		e = cfg_fail(c, cfg_member(obj, key), obj, "%s", ei.msg);
	else if (*kind == BPG_CONFIG_REF_ENV_UNSET) {
		cfg_env_name(name, sizeof(name), raw);
		e = cfg_warn(c,
		    "environment variable %s is not set; the reference "
		    "text itself is used (section 7.3)", name);
	} else if (*kind == BPG_CONFIG_REF_MALFORMED)
		e = cfg_warn(c,
		    "k8s:secret: reference without <ns>:<name>:<key>; "
		    "the reference text itself is used (section 7.3)");
	else if (*kind == BPG_CONFIG_REF_K8S_UNRESOLVED) {
		/* ei names the Secret and key, never a value. */
		snprintf(c->ref_why, sizeof(c->ref_why), "%s", ei.msg);
		e = cfg_warn(c,
		    "%s; the reference text itself is used (section "
		    "7.3)", ei.msg);
	}
	cfg_path_pop(c, mark);
	bpg_secret_wipe_free(raw);
	return e;
}
