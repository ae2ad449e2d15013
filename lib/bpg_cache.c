/*
 * The status cache: a chained hash table for lookups plus a list in write
 * order.  A write moves its entry to the tail, so the head is always the
 * entry written longest ago: the first to expire and the one evicted when
 * the table is full.  Both operations are O(1).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_cache.h"

struct entry {
	char *key;
	json_t *value;
	int64_t written;
	struct entry *hnext;		/* hash chain */
	struct entry *prev, *next;	/* write order, oldest first */
};

struct bpg_cache {
	struct entry **buckets;
	size_t nbuckets;		/* a power of two */
	size_t n, max;
	int64_t ttl;
	struct entry *head, *tail;
};

/* FNV-1a, 64 bits. */
static uint64_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

enum bpg_err
bpg_cache_new(size_t max_entries, int64_t ttl_ms, struct bpg_cache **out)
{
	struct bpg_cache *c;
	size_t nb = 16;

	*out = NULL;
	if (max_entries == 0)
		return BPG_EINVAL;
	/* Load factor at most 1/2. */
	while (nb < max_entries * 2 && nb < ((size_t)1 << 30))
		nb *= 2;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return BPG_ENOMEM;
	if ((c->buckets = calloc(nb, sizeof(*c->buckets))) == NULL) {
		free(c);
		return BPG_ENOMEM;
	}
	c->nbuckets = nb;
	c->max = max_entries;
	c->ttl = ttl_ms;
	*out = c;
	return BPG_OK;
}

static struct entry **
slot_of(struct bpg_cache *c, const char *key)
{
	struct entry **p = &c->buckets[hash(key) & (c->nbuckets - 1)];

	while (*p != NULL && strcmp((*p)->key, key) != 0)
		p = &(*p)->hnext;
	return p;
}

static void
list_unlink(struct bpg_cache *c, struct entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
list_append(struct bpg_cache *c, struct entry *e)
{
	e->prev = c->tail;
	e->next = NULL;
	if (c->tail != NULL)
		c->tail->next = e;
	else
		c->head = e;
	c->tail = e;
}

static void
drop(struct bpg_cache *c, struct entry *e)
{
	struct entry **p = slot_of(c, e->key);

	if (*p == e)
		*p = e->hnext;
	list_unlink(c, e);
	json_decref(e->value);
	free(e->key);
	free(e);
	c->n--;
}

static bool
expired(const struct bpg_cache *c, const struct entry *e, int64_t now)
{
	return c->ttl <= 0 || now - e->written >= c->ttl;
}

/* Drop expired entries from the old end. */
static void
sweep(struct bpg_cache *c, int64_t now)
{
	while (c->head != NULL && expired(c, c->head, now))
		drop(c, c->head);
}

json_t *
bpg_cache_get(struct bpg_cache *c, const char *key, int64_t now_ms)
{
	struct entry *e = *slot_of(c, key);

	if (e == NULL)
		return NULL;
	if (expired(c, e, now_ms)) {
		drop(c, e);
		return NULL;
	}
	return json_incref(e->value);
}

enum bpg_err
bpg_cache_put(struct bpg_cache *c, const char *key, json_t *value,
    int64_t now_ms)
{
	struct entry **p, *e;

	sweep(c, now_ms);
	if ((e = *slot_of(c, key)) != NULL) {
		json_decref(e->value);
		e->value = json_incref(value);
		e->written = now_ms;
		list_unlink(c, e);
		list_append(c, e);
		return BPG_OK;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return BPG_ENOMEM;
	if ((e->key = strdup(key)) == NULL) {
		free(e);
		return BPG_ENOMEM;
	}
	if (c->n == c->max)
		drop(c, c->head);
	e->value = json_incref(value);
	e->written = now_ms;
	p = slot_of(c, key);
	e->hnext = *p;
	*p = e;
	list_append(c, e);
	c->n++;
	return BPG_OK;
}

void
bpg_cache_remove(struct bpg_cache *c, const char *key)
{
	struct entry *e = *slot_of(c, key);

	if (e != NULL)
		drop(c, e);
}

size_t
bpg_cache_size(const struct bpg_cache *c)
{
	return c->n;
}

void
bpg_cache_free(struct bpg_cache *c)
{
	struct entry *e, *next;

	if (c == NULL)
		return;
	for (e = c->head; e != NULL; e = next) {
		next = e->next;
		json_decref(e->value);
		free(e->key);
		free(e);
	}
	free(c->buckets);
	free(c);
}
