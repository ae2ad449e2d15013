/*
 * The generic binder of config.yaml's descriptor tables:
 * cfg_bind_keys() and its per-type binders, and the walks over the same
 * tables that wipe the parsed tree's secrets and free what was bound.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_config_int.h"

/* An empty string is an absent value. */
static void
drop_empty(char **s, bool secret)
{
	if (*s != NULL && (*s)[0] == '\0') {
		if (secret)
			bpg_secret_wipe_free(*s);
		else
			free(*s);
		*s = NULL;
	}
}

/* A KT_ENUM: the text of one of k->names. */
static enum bpg_err
get_enum(struct ctx *c, const json_t *obj, const struct key *k, int *out)
{
	char *s = NULL, msg[128];
	enum bpg_err e;
	size_t mark, i, n = 0;

	if ((e = cfg_get_str(c, obj, k->name, &s)) != BPG_OK || s == NULL)
		return e;
	for (i = 0; k->names[i] != NULL; i++)
		if (strcmp(s, k->names[i]) == 0)
			break;
	free(s);
	if (k->names[i] != NULL) {
		*out = (int)i;
		return BPG_OK;
	}
	/* "must be a, b or c" */
	msg[0] = '\0';
	for (i = 0; k->names[i] != NULL && n < sizeof(msg); i++)
		n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s",
		    i == 0 ? "" : k->names[i + 1] == NULL ? " or " : ", ",
		    k->names[i]);
	mark = cfg_path_key(c, k->name);
	e = cfg_fail(c, cfg_member(obj, k->name), obj, "must be %s", msg);
	cfg_path_pop(c, mark);
	return e;
}

/* A KT_OBJ: the mapping at k->name, bound by k->sub. */
static enum bpg_err
bind_obj(struct ctx *c, const json_t *obj, const struct key *k, char *base)
{
	enum bpg_err e;
	size_t mark;
	json_t *o;

	if ((e = cfg_get_obj(c, obj, k->name, &o)) != BPG_OK || o == NULL)
		return e;
	if (k->has != 0)
		*(bool *)(void *)(base + k->has - 1) = true;
	mark = cfg_path_key(c, k->name);
	e = cfg_bind_keys(c, o, k->sub, k->nsub, base + k->off);
	cfg_path_pop(c, mark);
	return e;
}

/* A KT_LIST: an array of k->size entries, each bound by k->sub. */
static enum bpg_err
bind_list(struct ctx *c, const json_t *obj, const struct key *k, char *base)
{
	json_t *list, *ent;
	enum bpg_err e;
	size_t mark, mark2, i, n;
	char *v;

	if ((e = cfg_get_list(c, obj, k->name, &list)) != BPG_OK ||
	    list == NULL)
		return e;
	if (k->has != 0)
		*(bool *)(void *)(base + k->has - 1) = true;
	if ((n = json_array_size(list)) == 0)
		return BPG_OK;
	if ((v = calloc(n, k->size)) == NULL)
		return cfg_nomem(c);
	/* Set before the entries are bound: steps look at earlier ones. */
	memcpy(base + k->off, &v, sizeof(v));
	memcpy(base + k->aux, &n, sizeof(n));
	mark = cfg_path_key(c, k->name);
	json_array_foreach(list, i, ent) {
		mark2 = cfg_path_index(c, i);
		if ((e = cfg_need_obj(c, ent, list)) == BPG_OK)
			e = cfg_bind_keys(c, ent, k->sub, k->nsub,
			    v + i * k->size);
		cfg_path_pop(c, mark2);
		if (e != BPG_OK)
			break;
	}
	cfg_path_pop(c, mark);
	return e;
}

static enum bpg_err
bind_key(struct ctx *c, const json_t *obj, const struct key *k, char *base)
{
	bool *has = k->has != 0 ? (bool *)(void *)(base + k->has - 1) : NULL;
	void *p = base + k->off;
	enum bpg_config_ref kind;
	enum bpg_err e = BPG_OK;
	json_t *v;
	size_t mark;
	int en;

	switch (k->type) {
	case KT_STR:
		e = (k->flags & KF_REQUIRED) ?
		    cfg_get_req_str(c, obj, k->name, p) :
		    cfg_get_str(c, obj, k->name, p);
		if (e == BPG_OK && (k->flags & KF_VERSION) &&
		    (v = cfg_member(obj, k->name)) != NULL && json_is_real(v)) {
			mark = cfg_path_key(c, k->name);
			e = cfg_warn(c,
			    "unquoted number read as \"%s\" (section "
			    "7.1); quote versions", *(char **)p);
			cfg_path_pop(c, mark);
		}
		break;
	case KT_SECRET:
		e = cfg_get_secret(c, obj, k->name, p, &kind);
		break;
	case KT_INT:
		e = cfg_get_int(c, obj, k->name, k->imin, k->imax, p, has);
		break;
	case KT_NUM:
		e = cfg_get_num(c, obj, k->name, k->dmin, k->flags & KF_ABOVE,
		    p, has);
		break;
	case KT_BOOL:
		e = cfg_get_bool(c, obj, k->name, p);
		break;
	case KT_ENUM:
		memcpy(&en, p, sizeof(en));
		if ((e = get_enum(c, obj, k, &en)) == BPG_OK)
			memcpy(p, &en, sizeof(en));
		break;
	case KT_STRLIST:
		e = cfg_get_strlist(c, obj, k->name, p,
		    k->flags & (SL_NONEMPTY | SL_VERSION));
		break;
	case KT_KVMAP:
		e = cfg_get_kvmap(c, obj, k->name, p);
		break;
	case KT_OBJ:
		e = bind_obj(c, obj, k, base);
		break;
	case KT_LIST:
		e = bind_list(c, obj, k, base);
		break;
	case KT_FN:
	case KT_STEP:
		if (!(k->flags & KF_LATE))
			e = k->fn(c, obj, k, base);
		break;
	}
	if (e == BPG_OK && (k->flags & KF_EMPTY_NULL))
		drop_empty(p, k->type == KT_SECRET);
	return e;
}

/* The checks that wait for every row: upper bounds of numbers, late
 * steps. */
static enum bpg_err
bind_late(struct ctx *c, const json_t *obj, const struct key *k, char *base)
{
	enum bpg_err e;
	size_t mark;
	double d;

	if (k->type == KT_STEP && (k->flags & KF_LATE))
		return k->fn(c, obj, k, base);
	if (k->type != KT_NUM || !(k->flags & KF_MAX) ||
	    cfg_member(obj, k->name) == NULL)
		return BPG_OK;
	memcpy(&d, base + k->off, sizeof(d));
	if (d <= k->dmax)
		return BPG_OK;
	mark = cfg_path_key(c, k->name);
	e = cfg_fail(c, cfg_member(obj, k->name), obj, "must be at most %g",
	    k->dmax);
	cfg_path_pop(c, mark);
	return e;
}

/* Bind the mapping obj to the struct at base by the rows t[0..n). */
enum bpg_err
cfg_bind_keys(struct ctx *c, const json_t *obj, const struct key *t, size_t n,
    char *base)
{
	enum bpg_err e = BPG_OK;
	size_t i;
	int en;

	for (i = 0; i < n; i++)
		if (t[i].type == KT_INT)
			memcpy(base + t[i].off, &t[i].idef, sizeof(int64_t));
		else if (t[i].type == KT_NUM)
			memcpy(base + t[i].off, &t[i].ddef, sizeof(double));
		else if (t[i].type == KT_ENUM) {
			en = (int)t[i].idef;
			memcpy(base + t[i].off, &en, sizeof(en));
		}
	for (i = 0; e == BPG_OK && i < n; i++)
		e = bind_key(c, obj, &t[i], base);
	for (i = 0; e == BPG_OK && i < n; i++)
		e = bind_late(c, obj, &t[i], base);
	return e;
}
/* Overwrite a string node of the tree in place before it is freed. */
static void
scrub_node(json_t *v)
{
	if (json_is_string(v))
		explicit_bzero((char *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
}

/* Wipe the secret values of the rows t[0..n) out of the parsed mapping
 * obj (jansson frees strings without clearing them). */
void
cfg_scrub_keys(const json_t *obj, const struct key *t, size_t n)
{
	json_t *v, *ent;
	size_t i, j;

	if (!json_is_object(obj))
		return;
	for (i = 0; i < n; i++) {
		if (t[i].name == NULL)
			continue;
		v = json_object_get(obj, t[i].name);
		if (t[i].type == KT_SECRET)
			scrub_node(v);
		else if (t[i].type == KT_STRLIST && (t[i].flags & KF_SECRET) &&
		    json_is_array(v))
			json_array_foreach(v, j, ent)
				scrub_node(ent);
		else if (t[i].type == KT_OBJ)
			cfg_scrub_keys(v, t[i].sub, t[i].nsub);
		else if (t[i].type == KT_LIST && json_is_array(v))
			json_array_foreach(v, j, ent)
				cfg_scrub_keys(ent, t[i].sub, t[i].nsub);
	}
}

/* ------------------------------------------------------------------ */
/* Freeing and lookups                                                 */

void
cfg_strlist_free(struct bpg_strlist *l, bool secret)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (secret)
			bpg_secret_wipe_free(l->v[i]);
		else
			free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void
cfg_kvmap_free(struct bpg_kvmap *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].key);
		free(m->v[i].value);
	}
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* Free what the rows t[0..n) bound in the struct at base, clearing it. */
void
cfg_free_keys(const struct key *t, size_t n, char *base)
{
	char *v, **sp;
	size_t i, j, cnt;

	for (i = 0; i < n; i++) {
		sp = (char **)(void *)(base + t[i].off);
		switch (t[i].type) {
		case KT_STR:
			free(*sp);
			*sp = NULL;
			break;
		case KT_SECRET:
			bpg_secret_wipe_free(*sp);
			*sp = NULL;
			break;
		case KT_STRLIST:
			cfg_strlist_free((void *)sp, t[i].flags & KF_SECRET);
			break;
		case KT_KVMAP:
			cfg_kvmap_free((void *)sp);
			break;
		case KT_OBJ:
			cfg_free_keys(t[i].sub, t[i].nsub, base + t[i].off);
			break;
		case KT_LIST:
			memcpy(&v, sp, sizeof(v));
			memcpy(&cnt, base + t[i].aux, sizeof(cnt));
			for (j = 0; j < cnt; j++)
				cfg_free_keys(t[i].sub, t[i].nsub,
				    v + j * t[i].size);
			free(v);
			v = NULL;
			cnt = 0;
			memcpy(sp, &v, sizeof(v));
			memcpy(base + t[i].aux, &cnt, sizeof(cnt));
			break;
		case KT_FN:
			if (t[i].release != NULL)
				t[i].release(&t[i], base);
			break;
		case KT_INT:
		case KT_NUM:
		case KT_BOOL:
		case KT_ENUM:
		case KT_STEP:
			break;
		}
	}
}
