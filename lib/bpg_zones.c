/* Round-robin zone pickers, one counter per queue (bpg-reference section 2.9). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_zones.h"

struct zone_counter {
	char *queue;
	size_t next;
};

struct bpg_zones {
	struct zone_counter *v;
	size_t n, cap;
};

enum bpg_err
bpg_zones_new(struct bpg_zones **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return BPG_ENOMEM;
	return BPG_OK;
}

void
bpg_zones_free(struct bpg_zones *z)
{
	size_t i;

	if (z == NULL)
		return;
	for (i = 0; i < z->n; i++)
		free(z->v[i].queue);
	free(z->v);
	free(z);
}

enum bpg_err
bpg_zones_dup(const struct bpg_zones *z, struct bpg_zones **out)
{
	struct bpg_zones *d;
	size_t i;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return BPG_ENOMEM;
	if (z->n > 0 && (d->v = calloc(z->n, sizeof(*d->v))) == NULL) {
		free(d);
		return BPG_ENOMEM;
	}
	d->cap = z->n;
	for (; d->n < z->n; d->n++) {
		i = d->n;
		if ((d->v[i].queue = strdup(z->v[i].queue)) == NULL) {
			bpg_zones_free(d);
			return BPG_ENOMEM;
		}
		d->v[i].next = z->v[i].next;
	}
	*out = d;
	return BPG_OK;
}

enum bpg_err
bpg_zones_next(struct bpg_zones *z, const struct bpg_queue *q,
    const char **zone, struct bpg_errinfo *ei)
{
	const struct bpg_strlist *az;
	const char *name;
	struct zone_counter *c = NULL, *nv;
	size_t i;

	*zone = NULL;
	if (q == NULL || q->allowed_zones.n == 0)
		return BPG_OK;
	az = &q->allowed_zones;
	for (i = 0; i < az->n; i++)
		if (az->v[i] == NULL || az->v[i][0] == '\0')
			return bpg_errf(ei, BPG_ECONFIG,
			    "Invalid allowedZones: Some zone is empty");
	name = q->name != NULL ? q->name : "";
	for (i = 0; i < z->n; i++)
		if (strcmp(z->v[i].queue, name) == 0) {
			c = &z->v[i];
			break;
		}
	if (c == NULL) {
		if (z->n == z->cap) {
			size_t ncap = z->cap ? z->cap * 2 : 8;

			nv = reallocarray(z->v, ncap, sizeof(*nv));
			if (nv == NULL)
				return bpg_errf(ei, BPG_ENOMEM,
				    "out of memory");
			z->v = nv;
			z->cap = ncap;
		}
		c = &z->v[z->n];
		if ((c->queue = strdup(name)) == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		c->next = 0;
		z->n++;
	}
	/* The modulo also copes with a list that shrank. */
	*zone = az->v[c->next % az->n];
	c->next = (c->next % az->n + 1) % az->n;
	return BPG_OK;
}

const char *
bpg_zones_pick(struct bpg_zones *z, const struct bpg_queue *q)
{
	const char *zone;

	if (bpg_zones_next(z, q, &zone, NULL) != BPG_OK)
		return NULL;
	return zone;
}
