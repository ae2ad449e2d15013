/*
 * The monitor's table of the apps of one namespace (bpg_monitor_int.h):
 * a hash table on the app's name, doubled when it holds twice as many
 * entries as buckets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_monitor_int.h"

static size_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

struct bpg_monitor_entry *
bpg_monitor_tab_get(const struct bpg_monitor_table *t, const char *name)
{
	struct bpg_monitor_entry *e;

	if (t->nb == 0)
		return NULL;
	for (e = t->b[name_hash(name) & (t->nb - 1)]; e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

struct bpg_monitor_entry *
bpg_monitor_tab_add(struct bpg_monitor_table *t, const char *name)
{
	struct bpg_monitor_entry *e, **nb, *next;
	size_t i, n, len = strlen(name);

	if (t->n + 1 > t->nb * 2) {
		n = t->nb ? t->nb * 2 : 64;
		if ((nb = calloc(n, sizeof(*nb))) == NULL)
			return NULL;
		for (i = 0; i < t->nb; i++)
			for (e = t->b[i]; e != NULL; e = next) {
				next = e->next;
				e->next = nb[name_hash(e->name) & (n - 1)];
				nb[name_hash(e->name) & (n - 1)] = e;
			}
		free(t->b);
		t->b = nb;
		t->nb = n;
	}
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return NULL;
	memcpy(e->name, name, len + 1);
	e->created_ms = -1;
	i = name_hash(name) & (t->nb - 1);
	e->next = t->b[i];
	t->b[i] = e;
	t->n++;
	return e;
}

void
bpg_monitor_tab_del(struct bpg_monitor_table *t, struct bpg_monitor_entry *e)
{
	struct bpg_monitor_entry **p;

	for (p = &t->b[name_hash(e->name) & (t->nb - 1)]; *p != NULL;
	     p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			free(e);
			t->n--;
			return;
		}
}

void
bpg_monitor_tab_clear(struct bpg_monitor_table *t)
{
	struct bpg_monitor_entry *e, *next;
	size_t i;

	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

