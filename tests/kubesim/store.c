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
	cl->idx[res].fresh = 0;
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
	cl->idx[res].fresh = 0;
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

static void
index_clear(struct ks_index *ix)
{
	size_t i;

	for (i = 0; i < ix->n; i++)
		free(ix->keys[i]);
	free(ix->keys);
	memset(ix, 0, sizeof(*ix));
}

/* The sorted keys of res, rebuilt only if a key came or went since. */
static struct ks_index *
index_of(struct ks_cluster *cl, enum ks_res res)
{
	struct ks_index *ix = &cl->idx[res];
	const char *k;
	json_t *v;
	size_t n = 0;

	if (ix->fresh)
		return ix;
	index_clear(ix);
	if ((ix->keys = calloc(json_object_size(cl->objs[res]) + 1,
	    sizeof(*ix->keys))) == NULL)
		return NULL;
	json_object_foreach(cl->objs[res], k, v) {
		if ((ix->keys[n] = strdup(k)) == NULL) {
			ix->n = n;
			index_clear(ix);
			return NULL;
		}
		n++;
	}
	ix->n = n;
	/* etcd returns keys in byte order: namespace, then name. */
	qsort(ix->keys, n, sizeof(*ix->keys), key_cmp);
	ix->fresh = 1;
	return ix;
}

/* The first of the n sorted keys that sorts after `after` (NULL: 0), or
 * with eq, the first not before it. */
static size_t
keys_after(char *const *keys, size_t n, const char *after, int eq)
{
	size_t lo = 0, hi = n, mid;
	int c;

	while (after != NULL && lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(keys[mid], after);
		if (c < 0 || (c == 0 && !eq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t
ov_after(const struct ks_view_ov *ov, size_t n, const char *after)
{
	size_t lo = 0, hi = n, mid;

	while (after != NULL && lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(ov[mid].key, after) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
in_ns(const struct ks_view *v, const char *k)
{
	return v->ns == NULL || (strncmp(k, v->ns, v->nslen) == 0 &&
	    k[v->nslen] == '/');
}

static int
ov_cmp(const void *a, const void *b)
{
	const struct ks_view_ov *x = a, *y = b;

	return strcmp(x->key, y->key);
}

int
ks_view_open(struct ks_view *v, struct ks_cluster *cl, enum ks_res res,
    const char *ns, uint64_t rv, const char *after)
{
	const struct ks_index *ix;
	const struct ks_hev *h;
	const char *k;
	json_t *o;
	char *hk;
	size_t i, n = 0;

	memset(v, 0, sizeof(*v));
	if ((ix = index_of(cl, res)) == NULL)
		return -1;
	v->objs = cl->objs[res];
	v->keys = ix->keys;
	v->nkeys = ix->n;
	v->i = keys_after(ix->keys, ix->n, after, 0);
	v->ns = ns;
	v->nslen = ns != NULL ? strlen(ns) : 0;
	if (rv >= cl->rv)
		return 0;
	if ((v->ovmap = json_object()) == NULL)
		return -1;
	/* Newest first: what the oldest change after rv found stays. */
	for (i = cl->hlen; i-- > 0;) {
		if ((h = ks_hist_at(cl, i)) == NULL || h->rv <= rv)
			break;
		if (h->res != res || (hk = obj_key(h->obj)) == NULL)
			continue;
		o = h->type == KS_ADDED || h->prev == NULL ? json_null() :
		    json_incref(h->prev);
		if (json_object_set_new(v->ovmap, hk, o) != 0) {
			free(hk);
			ks_view_close(v);
			return -1;
		}
		free(hk);
	}
	if ((v->ov = calloc(json_object_size(v->ovmap) + 1,
	    sizeof(*v->ov))) == NULL) {
		ks_view_close(v);
		return -1;
	}
	json_object_foreach(v->ovmap, k, o) {
		v->ov[n].key = k;
		v->ov[n].obj = json_is_null(o) ? NULL : o;
		n++;
	}
	qsort(v->ov, n, sizeof(*v->ov), ov_cmp);
	v->nov = n;
	v->j = ov_after(v->ov, n, after);
	return 0;
}

json_t *
ks_view_next(struct ks_view *v)
{
	const char *k;
	json_t *o;
	int c;

	for (;;) {
		if (v->i < v->nkeys && v->j < v->nov)
			c = strcmp(v->keys[v->i], v->ov[v->j].key);
		else if (v->i < v->nkeys)
			c = -1;
		else if (v->j < v->nov)
			c = 1;
		else
			return NULL;
		if (c < 0) {
			k = v->keys[v->i++];
			o = in_ns(v, k) ? json_object_get(v->objs, k) : NULL;
		} else {
			/* Changed after rv: as it was then, if it was. */
			k = v->ov[v->j].key;
			o = in_ns(v, k) ? v->ov[v->j].obj : NULL;
			v->j++;
			if (c == 0)
				v->i++;
		}
		if (o != NULL)
			return o;
	}
}

size_t
ks_view_rest(struct ks_view *v)
{
	size_t from = v->i, to = v->nkeys, n, j;
	char *b;
	int now;

	/* The keys of ns are those from "ns/" up to "ns0". */
	if (v->ns != NULL && (b = ks_key(v->ns, "")) != NULL) {
		if ((n = keys_after(v->keys, v->nkeys, b, 1)) > from)
			from = n;
		b[v->nslen] = '0';
		to = keys_after(v->keys, v->nkeys, b, 1);
		free(b);
	} else if (v->ns != NULL) {
		for (n = 0; ks_view_next(v) != NULL; n++)
			;
		return n;
	}
	n = to > from ? to - from : 0;
	/* The keys changed after rv: gone since, or come since. */
	for (j = v->j; j < v->nov; j++) {
		if (!in_ns(v, v->ov[j].key))
			continue;
		now = json_object_get(v->objs, v->ov[j].key) != NULL;
		if (now && v->ov[j].obj == NULL)
			n--;
		else if (!now && v->ov[j].obj != NULL)
			n++;
	}
	v->i = v->nkeys;
	v->j = v->nov;
	return n;
}

void
ks_view_close(struct ks_view *v)
{
	free(v->ov);
	json_decref(v->ovmap);
	memset(v, 0, sizeof(*v));
}

json_t *
ks_list(struct ks_cluster *cl, enum ks_res res, const char *ns)
{
	struct ks_view v;
	json_t *out, *o;

	if ((out = json_array()) == NULL)
		return NULL;
	if (ks_view_open(&v, cl, res, ns, cl->rv, NULL) != 0) {
		json_decref(out);
		return NULL;
	}
	while ((o = ks_view_next(&v)) != NULL)
		if (json_array_append(out, o) != 0) {
			json_decref(out);
			out = NULL;
			break;
		}
	ks_view_close(&v);
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
		index_clear(&cl->idx[r]);
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
