/*
 * The structured sections of config.yaml (bpg-reference section 7.2):
 * sparkUIOptions, volumes, driver and executor, caCertDataSOPS, built as
 * the JSON the CR takes, and the KT_FN rows that bind and release them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_config_int.h"

/* ------------------------------------------------------------------ */
/* JSON built for the CR (sections 2.15, 2.16, 2.19)                   */

static enum bpg_err
jset_new(struct ctx *c, json_t *o, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(o, key, v) != 0)
		return cfg_nomem(c);
	return BPG_OK;
}

/* Copy the string at key (if any) into o under the same key. */
static enum bpg_err
copy_str(struct ctx *c, const json_t *from, const char *key, json_t *o)
{
	enum bpg_err e;
	char *s = NULL;

	if ((e = cfg_get_str(c, from, key, &s)) != BPG_OK || s == NULL)
		return e;
	e = jset_new(c, o, key, json_string(s));
	free(s);
	return e;
}

/* As copy_str(), but the key is required and non-empty. */
static enum bpg_err
copy_req_str(struct ctx *c, const json_t *from, const char *key, json_t *o)
{
	enum bpg_err e;
	char *s = NULL;

	if ((e = cfg_get_req_str(c, from, key, &s)) != BPG_OK) {
		free(s);
		return e;
	}
	e = jset_new(c, o, key, json_string(s));
	free(s);
	return e;
}

/* A string list as a JSON array. */
static enum bpg_err
strlist_json(struct ctx *c, const struct bpg_strlist *l, json_t **out)
{
	size_t i;

	if ((*out = json_array()) == NULL)
		return cfg_nomem(c);
	for (i = 0; i < l->n; i++)
		if (json_array_append_new(*out, json_string(l->v[i])) != 0)
			return cfg_nomem(c);
	return BPG_OK;
}

/* sparkUIOptions in the CR's form (section 2.15; quirk 22: "ServicePort"
 * is taken as an alias of servicePort). */
static enum bpg_err
bind_ui_options(struct ctx *c, const json_t *cl, json_t **out)
{
	const char *const known[] = { "servicePort", "ServicePort",
		"ingressAnnotations", "ingressTLS", NULL };
	json_t *v, *pv, *tls, *ent, *o, *jt, *arr;
	struct bpg_kvmap ann = { 0 };
	struct bpg_strlist hosts;
	const char *pkey = "servicePort";
	enum bpg_err e;
	size_t mark, mark2, i;
	int64_t port;

	if ((e = cfg_get_obj(c, cl, "sparkUIOptions", &v)) != BPG_OK ||
	    v == NULL)
		return e;
	mark = cfg_path_key(c, "sparkUIOptions");
	if ((*out = o = json_object()) == NULL) {
		e = cfg_nomem(c);
		goto out;
	}
	if ((e = cfg_warn_unknown(c, v, known)) != BPG_OK)
		goto out;
	if ((pv = cfg_member(v, pkey)) == NULL)
		pv = cfg_member(v, pkey = "ServicePort");
	if (pv != NULL) {
		mark2 = cfg_path_key(c, pkey);
		e = cfg_int_value(c, pv, v, 1, 65535, &port);
		cfg_path_pop(c, mark2);
		if (e != BPG_OK ||
		    (e = jset_new(c, o, "servicePort", json_integer(port))) !=
		    BPG_OK)
			goto out;
	}
	if ((e = cfg_get_kvmap(c, v, "ingressAnnotations", &ann)) != BPG_OK)
		goto out;
	if (ann.present) {
		json_t *jm = json_object();

		if ((e = jset_new(c, o, "ingressAnnotations", jm)) != BPG_OK)
			goto out;
		for (i = 0; i < ann.n; i++)
			if ((e = jset_new(c, jm, ann.v[i].key,
			    json_string(ann.v[i].value))) != BPG_OK)
				goto out;
	}
	if ((e = cfg_get_list(c, v, "ingressTLS", &tls)) != BPG_OK ||
	    tls == NULL)
		goto out;
	mark2 = cfg_path_key(c, "ingressTLS");
	if ((e = jset_new(c, o, "ingressTLS", arr = json_array())) != BPG_OK)
		goto out;
	json_array_foreach(tls, i, ent) {
		size_t mark3 = cfg_path_index(c, i);

		if ((e = cfg_need_obj(c, ent, tls)) != BPG_OK)
			goto out;
		if ((jt = json_object()) == NULL ||
		    json_array_append_new(arr, jt) != 0) {
			e = cfg_nomem(c);
			goto out;
		}
		/* BPG fails every submission on an entry without hosts
		 * (section 2.15); refuse it here instead. */
		memset(&hosts, 0, sizeof(hosts));
		e = cfg_get_strlist(c, ent, "hosts", &hosts, SL_NONEMPTY);
		if (e == BPG_OK && !hosts.present) {
			size_t m4 = cfg_path_key(c, "hosts");

			e = cfg_fail(c, ent, tls, "is required");
			cfg_path_pop(c, m4);
		}
		if (e == BPG_OK) {
			json_t *ja = NULL;

			e = strlist_json(c, &hosts, &ja);
			if (e == BPG_OK)
				e = jset_new(c, jt, "hosts", ja);
			else
				json_decref(ja);
		}
		cfg_strlist_free(&hosts, false);
		if (e != BPG_OK || (e = copy_str(c, ent, "secretName", jt)) !=
		    BPG_OK)
			goto out;
		cfg_path_pop(c, mark3);
	}
	cfg_path_pop(c, mark2);
out:
	cfg_kvmap_free(&ann);
	cfg_path_pop(c, mark);
	return e;
}

/* volumes: Volume is name, hostPath {path, type}, configMap {name}. */
static enum bpg_err
bind_volumes(struct ctx *c, const json_t *cl, json_t **out)
{
	const char *const known[] = { "name", "hostPath", "configMap", NULL };
	json_t *list, *ent, *o, *sub, *jo, *val;
	enum bpg_err e;
	size_t mark, mark2, mark3, i;
	const char *k;

	if ((e = cfg_get_list(c, cl, "volumes", &list)) != BPG_OK ||
	    list == NULL)
		return e;
	mark = cfg_path_key(c, "volumes");
	if ((*out = json_array()) == NULL) {
		e = cfg_nomem(c);
		goto out;
	}
	json_array_foreach(list, i, ent) {
		mark2 = cfg_path_index(c, i);
		if ((e = cfg_need_obj(c, ent, list)) != BPG_OK)
			goto out;
		if ((o = json_object()) == NULL ||
		    json_array_append_new(*out, o) != 0) {
			e = cfg_nomem(c);
			goto out;
		}
		if ((e = copy_req_str(c, ent, "name", o)) != BPG_OK ||
		    (e = cfg_warn_unknown(c, ent, known)) != BPG_OK)
			goto out;
		if ((e = cfg_get_obj(c, ent, "hostPath", &sub)) != BPG_OK)
			goto out;
		if (sub != NULL) {
			mark3 = cfg_path_key(c, "hostPath");
			if ((e = jset_new(c, o, "hostPath",
			    jo = json_object())) != BPG_OK ||
			    (e = copy_str(c, sub, "path", jo)) != BPG_OK ||
			    (e = copy_str(c, sub, "type", jo)) != BPG_OK)
				goto out;
			cfg_path_pop(c, mark3);
		}
		if ((e = cfg_get_obj(c, ent, "configMap", &sub)) != BPG_OK)
			goto out;
		if (sub != NULL) {
			mark3 = cfg_path_key(c, "configMap");
			/* BPG's ConfigMap model refuses unknown keys: the one
			 * place where they abort start-up (7.1). */
			json_object_foreach(sub, k, val) {
				if (strcmp(k, "name") != 0) {
					cfg_path_mapkey(c, k);
					e = cfg_fail(c, val, sub,
					    "unknown key: "
					    "configMap takes only \"name\"");
					goto out;
				}
			}
			if ((e = jset_new(c, o, "configMap",
			    jo = json_object())) != BPG_OK ||
			    (e = copy_str(c, sub, "name", jo)) != BPG_OK)
				goto out;
			cfg_path_pop(c, mark3);
		}
		cfg_path_pop(c, mark2);
	}
out:
	cfg_path_pop(c, mark);
	return e;
}

/* env: EnvVar is name, value, valueFrom.fieldRef.fieldPath. */
static enum bpg_err
bind_env(struct ctx *c, const json_t *pod, json_t **out)
{
	const char *const known[] = { "name", "value", "valueFrom", NULL };
	const char *const known_from[] = { "fieldRef", NULL };
	json_t *list, *ent, *o, *from, *ref, *jf, *jr;
	enum bpg_err e;
	size_t mark, mark2, mark3, i;

	if ((e = cfg_get_list(c, pod, "env", &list)) != BPG_OK || list == NULL)
		return e;
	mark = cfg_path_key(c, "env");
	if ((*out = json_array()) == NULL) {
		e = cfg_nomem(c);
		goto out;
	}
	json_array_foreach(list, i, ent) {
		mark2 = cfg_path_index(c, i);
		if ((e = cfg_need_obj(c, ent, list)) != BPG_OK)
			goto out;
		if ((o = json_object()) == NULL ||
		    json_array_append_new(*out, o) != 0) {
			e = cfg_nomem(c);
			goto out;
		}
		if ((e = copy_req_str(c, ent, "name", o)) != BPG_OK ||
		    (e = copy_str(c, ent, "value", o)) != BPG_OK ||
		    (e = cfg_warn_unknown(c, ent, known)) != BPG_OK ||
		    (e = cfg_get_obj(c, ent, "valueFrom", &from)) != BPG_OK)
			goto out;
		if (from != NULL) {
			mark3 = cfg_path_key(c, "valueFrom");
			if ((e = cfg_warn_unknown(c, from, known_from)) !=
			    BPG_OK ||
			    (e = cfg_get_obj(c, from, "fieldRef", &ref)) !=
			    BPG_OK)
				goto out;
			/* Only fieldRef survives BPG's model; a valueFrom
			 * without it would be an empty, invalid source. */
			if (ref != NULL) {
				size_t m4 = cfg_path_key(c, "fieldRef");

				if ((e = jset_new(c, o, "valueFrom",
				    jf = json_object())) != BPG_OK ||
				    (e = jset_new(c, jf, "fieldRef",
				    jr = json_object())) != BPG_OK ||
				    (e = copy_str(c, ref, "fieldPath", jr)) !=
				    BPG_OK)
					goto out;
				cfg_path_pop(c, m4);
			}
			cfg_path_pop(c, mark3);
		}
		cfg_path_pop(c, mark2);
	}
out:
	cfg_path_pop(c, mark);
	return e;
}

/* volumeMounts: VolumeMount is name, readOnly, mountPath, subPath. */
static enum bpg_err
bind_mounts(struct ctx *c, const json_t *pod, json_t **out)
{
	const char *const known[] = { "name", "readOnly", "mountPath",
		"subPath", NULL };
	json_t *list, *ent, *o;
	enum bpg_err e;
	size_t mark, mark2, i;
	bool ro, has_ro;

	if ((e = cfg_get_list(c, pod, "volumeMounts", &list)) != BPG_OK ||
	    list == NULL)
		return e;
	mark = cfg_path_key(c, "volumeMounts");
	if ((*out = json_array()) == NULL) {
		e = cfg_nomem(c);
		goto out;
	}
	json_array_foreach(list, i, ent) {
		mark2 = cfg_path_index(c, i);
		if ((e = cfg_need_obj(c, ent, list)) != BPG_OK)
			goto out;
		if ((o = json_object()) == NULL ||
		    json_array_append_new(*out, o) != 0) {
			e = cfg_nomem(c);
			goto out;
		}
		if ((e = copy_req_str(c, ent, "name", o)) != BPG_OK ||
		    (e = cfg_warn_unknown(c, ent, known)) != BPG_OK)
			goto out;
		has_ro = cfg_member(ent, "readOnly") != NULL;
		ro = false;
		if ((e = cfg_get_bool(c, ent, "readOnly", &ro)) != BPG_OK ||
		    (has_ro && (e = jset_new(c, o, "readOnly",
		    json_boolean(ro))) != BPG_OK) ||
		    (e = copy_req_str(c, ent, "mountPath", o)) != BPG_OK ||
		    (e = copy_str(c, ent, "subPath", o)) != BPG_OK)
			goto out;
		cfg_path_pop(c, mark2);
	}
out:
	cfg_path_pop(c, mark);
	return e;
}

/* driver / executor: only env and volumeMounts are used (7.2). */
static enum bpg_err
bind_pod(struct ctx *c, const json_t *cl, const char *key,
    struct bpg_cluster_pod *pod)
{
	enum bpg_err e;
	json_t *v;
	size_t mark;

	if ((e = cfg_get_obj(c, cl, key, &v)) != BPG_OK || v == NULL)
		return e;
	mark = cfg_path_key(c, key);
	if ((e = bind_env(c, v, &pod->env)) == BPG_OK)
		e = bind_mounts(c, v, &pod->volume_mounts);
	cfg_path_pop(c, mark);
	return e;
}
/*
 * caCertDataSOPS: after resolution, base64 of a PEM bundle (kubeconfig's
 * certificate-authority-data), or PEM text itself (section 3.1), into
 * *pem and *pem_len (unchanged when absent or empty).  Checked here so
 * that a bad CA stops start-up instead of every request (quirk 18).  The
 * clusters' key, and dbStorageSOPS's for the database's TLS.
 */
static enum bpg_err
bind_ca(struct ctx *c, const json_t *obj, const char *key, char **pem,
    size_t *pem_len)
{
	enum bpg_config_ref kind;
	unsigned char *der = NULL;
	char *val = NULL, name[80];
	enum bpg_err e;
	size_t n = 0, mark;

	if ((e = cfg_get_secret(c, obj, key, &val, &kind)) != BPG_OK ||
	    val == NULL)
		goto out;
	if (*val == '\0')
		goto out;	/* empty: no CA configured */
	mark = cfg_path_key(c, key);
	e = bpg_base64_decode(val, strlen(val), &der, &n);
	if (e == BPG_ENOMEM) {
		e = cfg_nomem(c);
	} else if (e == BPG_OK && memmem(der, n, "-----BEGIN ", 11) != NULL) {
		*pem = (char *)der;
		*pem_len = n;
		der = NULL;
	} else if (strncmp(val + strspn(val, " \t\r\n"), "-----BEGIN ",
	    11) == 0) {
		*pem = val;
		*pem_len = strlen(val);
		val = NULL;
		e = BPG_OK;
	} else if (kind == BPG_CONFIG_REF_ENV_UNSET) {
		cfg_env_name(name, sizeof(name), val);
		e = cfg_fail(c, cfg_member(obj, key), obj,
		    "environment variable %s is not set", name);
	} else if (kind == BPG_CONFIG_REF_K8S_UNRESOLVED)
		e = cfg_fail(c, cfg_member(obj, key), obj,
		    "the k8s:secret: reference "
		    "was not resolved: %s", c->ref_why);
	else
		e = cfg_fail(c, cfg_member(obj, key), obj,
		    "is neither base64 of a PEM "
		    "certificate bundle nor PEM text");
	cfg_path_pop(c, mark);
out:
	if (der != NULL) {
		explicit_bzero(der, n);
		free(der);
	}
	bpg_secret_wipe_free(val);
	return e;
}

/* ------------------------------------------------------------------ */
/* Structured keys and checks across keys                              */

enum bpg_err
cfg_fn_ui_options(struct ctx *c, const json_t *o, const struct key *k,
    char *base)
{
	return bind_ui_options(c, o, (json_t **)(void *)(base + k->off));
}

enum bpg_err
cfg_fn_volumes(struct ctx *c, const json_t *o, const struct key *k, char *base)
{
	return bind_volumes(c, o, (json_t **)(void *)(base + k->off));
}

enum bpg_err
cfg_fn_pod(struct ctx *c, const json_t *o, const struct key *k, char *base)
{
	return bind_pod(c, o, k->name,
	    (struct bpg_cluster_pod *)(void *)(base + k->off));
}

/* caCertDataSOPS: the PEM at off, its length at aux. */
enum bpg_err
cfg_fn_ca(struct ctx *c, const json_t *o, const struct key *k, char *base)
{
	return bind_ca(c, o, k->name, (char **)(void *)(base + k->off),
	    (size_t *)(void *)(base + k->aux));
}

void
cfg_rel_json(const struct key *k, char *base)
{
	json_t **v = (json_t **)(void *)(base + k->off);

	json_decref(*v);
	*v = NULL;
}

void
cfg_rel_pod(const struct key *k, char *base)
{
	struct bpg_cluster_pod *pod = (void *)(base + k->off);

	json_decref(pod->env);
	json_decref(pod->volume_mounts);
	memset(pod, 0, sizeof(*pod));
}

void
cfg_rel_ca(const struct key *k, char *base)
{
	char **pem = (char **)(void *)(base + k->off);
	size_t *len = (size_t *)(void *)(base + k->aux);

	if (*pem != NULL) {
		explicit_bzero(*pem, *len);
		free(*pem);
	}
	*pem = NULL;
	*len = 0;
}
