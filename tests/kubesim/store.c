/*
 * Object store of one simulated cluster, the etcd of the stand-in.
 *
 * Every write takes the next value of the cluster's counter as the
 * object's metadata.resourceVersion (etcd's revision: one counter for all
 * kinds) and is appended to a bounded history that watches are served
 * from, like kube-apiserver's watch cache.  Stored objects are never
 * changed in place: writers store a new object, so that history entries
 * can share them.  All functions expect ks->mu held.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubesim.h"

static uint64_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
stats_reset(struct ks_stats *st)
{
	long active = st->active_connections, watches = st->active_watches;

	json_decref(st->methods);
	json_decref(st->codes);
	memset(st, 0, sizeof(*st));
	st->active_connections = active;
	st->active_watches = watches;
	st->methods = json_object();
	st->codes = json_object();
}

void
ks_cluster_init(struct kubesim *ks, struct ks_cluster *cl)
{
	int r;

	cl->ks = ks;
	for (r = 0; r < KS_RES__MAX; r++)
		cl->objs[r] = json_object();
	cl->logs = json_object();
	cl->opstate = json_object();
	cl->pending = json_array();
	cl->rv = KS_FIRST_RV;
	cl->compacted = KS_FIRST_RV;
	cl->hcap = ks->hist_default;
	cl->hist = calloc(cl->hcap > 0 ? cl->hcap : 1, sizeof(*cl->hist));
	cl->rng = ks->seed ^ name_hash(cl->name);
	ks_sim_opcfg_reset(&cl->op);
	stats_reset(&cl->st);
}

static void
hev_clear(struct ks_hev *h)
{
	json_decref(h->obj);
	json_decref(h->prev);
	memset(h, 0, sizeof(*h));
}

void
ks_hist_compact(struct ks_cluster *cl)
{
	size_t i;

	for (i = 0; i < cl->hlen; i++)
		hev_clear(&cl->hist[(cl->hstart + i) % cl->hcap]);
	cl->hstart = cl->hlen = 0;
	cl->compacted = cl->rv;
	pthread_cond_broadcast(&cl->ks->cv);
}

int
ks_hist_resize(struct ks_cluster *cl, size_t cap)
{
	struct ks_hev *nh;
	size_t i, keep, skip;

	if ((nh = calloc(cap > 0 ? cap : 1, sizeof(*nh))) == NULL)
		return -1;
	keep = cl->hlen < cap ? cl->hlen : cap;
	skip = cl->hlen - keep;
	for (i = 0; i < cl->hlen; i++) {
		struct ks_hev *h = &cl->hist[(cl->hstart + i) % cl->hcap];

		if (i < skip) {
			cl->compacted = h->rv;
			hev_clear(h);
		} else
			nh[i - skip] = *h;
	}
	free(cl->hist);
	cl->hist = nh;
	cl->hcap = cap;
	cl->hstart = 0;
	cl->hlen = keep;
	if (keep == 0)
		cl->compacted = cl->rv;
	pthread_cond_broadcast(&cl->ks->cv);
	return 0;
}

/* The oldest resourceVersion a watch can still be served from. */
uint64_t
ks_hist_oldest(const struct ks_cluster *cl)
{
	if (cl->hlen > 0)
		return cl->hist[cl->hstart].rv;
	return cl->compacted + 1;
}

const struct ks_hev *
ks_hist_at(const struct ks_cluster *cl, size_t i)
{
	if (i >= cl->hlen)
		return NULL;
	return &cl->hist[(cl->hstart + i) % cl->hcap];
}

static void
hist_push(struct ks_cluster *cl, enum ks_res res, enum ks_evtype type,
    json_t *obj, json_t *prev)
{
	struct ks_hev *h;

	if (cl->hcap == 0) {
		cl->compacted = cl->rv;
		json_decref(obj);
		json_decref(prev);
		return;
	}
	if (cl->hlen == cl->hcap) {
		h = &cl->hist[cl->hstart];
		cl->compacted = h->rv;
		hev_clear(h);
		cl->hstart = (cl->hstart + 1) % cl->hcap;
		cl->hlen--;
	}
	h = &cl->hist[(cl->hstart + cl->hlen) % cl->hcap];
	h->rv = cl->rv;
	h->res = res;
	h->type = type;
	h->obj = obj;
	h->prev = prev;
	cl->hlen++;
}

static int
set_rv(json_t *obj, uint64_t rv)
{
	char buf[32];
	json_t *meta = json_object_get(obj, "metadata");

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)rv);
	return json_object_set_new(meta, "resourceVersion", json_string(buf));
}

static char *
obj_key(const json_t *obj)
{
	const char *ns = ks_meta_str(obj, "namespace");
	const char *name = ks_meta_str(obj, "name");

	if (name == NULL)
		return NULL;
	return ks_key(ns, name);
}

json_t *
ks_get(struct ks_cluster *cl, enum ks_res res, const char *ns,
    const char *name)
{
	char *k;
	json_t *o;

	if ((k = ks_key(ns, name)) == NULL)
		return NULL;
	o = json_object_get(cl->objs[res], k);
	free(k);
	return o;
}

int
ks_add(struct ks_cluster *cl, enum ks_res res, json_t *obj)
{
	char *k;

	if ((k = obj_key(obj)) == NULL) {
		json_decref(obj);
		return -1;
	}
	cl->rv++;
	if (set_rv(obj, cl->rv) != 0 ||
	    json_object_set(cl->objs[res], k, obj) != 0) {
		free(k);
		json_decref(obj);
		return -1;
	}
	free(k);
	hist_push(cl, res, KS_ADDED, obj, NULL);
	pthread_cond_broadcast(&cl->ks->cv);
	return 0;
}

int
ks_replace(struct ks_cluster *cl, enum ks_res res, json_t *obj)
{
	json_t *prev;
	char *k;

	if ((k = obj_key(obj)) == NULL ||
	    (prev = json_object_get(cl->objs[res], k)) == NULL) {
		free(k);
		json_decref(obj);
		return -1;
	}
	json_incref(prev);
	cl->rv++;
	if (set_rv(obj, cl->rv) != 0 ||
	    json_object_set(cl->objs[res], k, obj) != 0) {
		free(k);
		json_decref(prev);
		json_decref(obj);
		return -1;
	}
	free(k);
	hist_push(cl, res, KS_MODIFIED, obj, prev);
	pthread_cond_broadcast(&cl->ks->cv);
	return 0;
}

int
ks_remove(struct ks_cluster *cl, enum ks_res res, const char *ns,
    const char *name, json_t **gone)
{
	json_t *old, *copy;
	char *k;

	if (gone != NULL)
		*gone = NULL;
	if ((k = ks_key(ns, name)) == NULL)
		return -1;
	if ((old = json_object_get(cl->objs[res], k)) == NULL ||
	    (copy = json_deep_copy(old)) == NULL) {
		free(k);
		return -1;
	}
	/* A DELETED event carries the resourceVersion of the deletion. */
	cl->rv++;
	set_rv(copy, cl->rv);
	/* The object as it was, for reads at older versions. */
	json_incref(old);
	json_object_del(cl->objs[res], k);
	free(k);
	if (gone != NULL)
		*gone = json_incref(copy);
	hist_push(cl, res, KS_DELETED, copy, old);
	pthread_cond_broadcast(&cl->ks->cv);
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* The objects of the map objs in ns (NULL: all), sorted by key (new). */
static json_t *
list_of(json_t *objs, const char *ns)
{
	const char **keys, *k;
	json_t *v, *out;
	size_t n = 0, i, nslen = ns != NULL ? strlen(ns) : 0;

	if ((out = json_array()) == NULL)
		return NULL;
	keys = calloc(json_object_size(objs) + 1, sizeof(*keys));
	if (keys == NULL) {
		json_decref(out);
		return NULL;
	}
	json_object_foreach(objs, k, v) {
		if (ns != NULL && (strncmp(k, ns, nslen) != 0 ||
		    k[nslen] != '/'))
			continue;
		keys[n++] = k;
	}
	/* etcd returns keys in byte order: namespace, then name. */
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 0; i < n; i++)
		if (json_array_append(out, json_object_get(objs,
		    keys[i])) != 0) {
			json_decref(out);
			out = NULL;
			break;
		}
	free(keys);
	return out;
}

json_t *
ks_list(struct ks_cluster *cl, enum ks_res res, const char *ns)
{
	return list_of(cl->objs[res], ns);
}

json_t *
ks_list_at(struct ks_cluster *cl, enum ks_res res, const char *ns,
    uint64_t rv)
{
	const struct ks_hev *h;
	json_t *snap, *out = NULL;
	char *k;
	size_t i;

	if (rv >= cl->rv)
		return ks_list(cl, res, ns);
	if ((snap = json_object()) == NULL ||
	    json_object_update(snap, cl->objs[res]) != 0)
		goto out;
	/* Newest first, every change after rv undone. */
	for (i = cl->hlen; i-- > 0;) {
		if ((h = ks_hist_at(cl, i)) == NULL || h->rv <= rv)
			break;
		if (h->res != res || (k = obj_key(h->obj)) == NULL)
			continue;
		if (h->type == KS_ADDED)
			json_object_del(snap, k);
		else if (h->prev != NULL)
			json_object_set(snap, k, h->prev);
		free(k);
	}
	out = list_of(snap, ns);
out:
	json_decref(snap);
	return out;
}

int
ks_parse_rv(const char *s, uint64_t *rv)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*rv = v;
	return 0;
}

void
ks_cluster_reset(struct ks_cluster *cl)
{
	json_t *items, *o;
	size_t i;
	int r;

	/* Deletions are watched like any other, so watchers stay right. */
	for (r = 0; r < KS_RES__MAX; r++) {
		if ((items = ks_list(cl, (enum ks_res)r, NULL)) == NULL)
			continue;
		json_array_foreach(items, i, o)
			(void)ks_remove(cl, (enum ks_res)r,
			    ks_meta_str(o, "namespace"), ks_meta_str(o, "name"),
			    NULL);
		json_decref(items);
	}
	json_object_clear(cl->logs);
	json_object_clear(cl->opstate);
	json_array_clear(cl->pending);
	(void)ks_hist_resize(cl, cl->ks->hist_default);
	ks_hist_compact(cl);
	cl->nfaults = 0;
	ks_release_held(cl);
	cl->rng = cl->ks->seed ^ name_hash(cl->name);
	ks_sim_opcfg_reset(&cl->op);
	stats_reset(&cl->st);
	pthread_cond_broadcast(&cl->ks->cv);
}

void
ks_release_held(struct ks_cluster *cl)
{
	cl->hold_gen++;
	pthread_cond_broadcast(&cl->ks->cv);
}

void
ks_cluster_free(struct ks_cluster *cl)
{
	size_t i;
	int r;

	for (i = 0; i < cl->hlen; i++)
		hev_clear(&cl->hist[(cl->hstart + i) % cl->hcap]);
	free(cl->hist);
	cl->hist = NULL;
	cl->hlen = 0;
	for (r = 0; r < KS_RES__MAX; r++) {
		json_decref(cl->objs[r]);
		cl->objs[r] = NULL;
	}
	json_decref(cl->logs);
	json_decref(cl->opstate);
	json_decref(cl->pending);
	json_decref(cl->op.apps);
	json_decref(cl->st.methods);
	json_decref(cl->st.codes);
	cl->logs = cl->opstate = cl->op.apps = cl->pending = NULL;
	cl->st.methods = cl->st.codes = NULL;
}
