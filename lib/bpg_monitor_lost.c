/*
 * The monitor's LOST sweep (bpg_monitor_int.h), run after each complete
 * list of a namespace: apps that the table had and the list no longer
 * has, and rows of the namespace's clusters left unfinished without a
 * CR, vanished while nobody watched.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_db.h"
#include "bpg_deps.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"

/* The row id prefixes ("<cluster id>-") of every cluster of a target. */
struct prefixes {
	char **p;
	size_t n;
};

/* The task's state: the prefixes of each target, in the same order. */
struct lost {
	struct prefixes *tp;
	size_t nt;
};

/* Apps of the table that the last list did not have. */
static void
sweep(struct bpg_monitor_target *t)
{
	struct bpg_monitor_entry *e, *next;
	const char *status;
	size_t i;

	for (i = 0; i < t->apps.nb; i++)
		for (e = t->apps.b[i]; e != NULL; e = next) {
			next = e->next;
			if (e->gen == t->gen)
				continue;
			if (!e->k.finished) {
				status = e->k.has_status &&
					bpg_monitor_terminal(e->k.status)
				    ? e->k.status
				    : BPG_MONITOR_LOST;
				if (bpg_monitor_record_finish(
					t, e->name, status, -1) != BPG_OK)
					continue; /* next list */
				bpg_monitor_log(t->m, BPG_MONITOR_LOG_INFO,
				    "%s: %s: gone "
				    "while unwatched (was %s): recorded as %s",
				    t->label, e->name,
				    e->k.has_status ? e->k.status
						    : "without a state",
				    status);
			}
			bpg_monitor_tab_del(&t->apps, e);
		}
}

/* "<prefix><32 lower-case hex>" optionally followed by "-<suffix>". */
static bool
gateway_id(const char *prefix, const char *id)
{
	size_t n = strlen(prefix), i;

	if (strncmp(id, prefix, n) != 0)
		return false;
	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)id[n + i]) ||
		    isupper((unsigned char)id[n + i]))
			return false;
	return id[n + 32] == '\0' || id[n + 32] == '-';
}

/*
 * Rows of this namespace's clusters that are not finished and have no CR
 * in the list just done: the app vanished while nobody watched.  A row
 * without a status is left alone for BPG_MONITOR_ORPHAN_GRACE_S, since
 * the gateway writes it just before it creates the CR.
 */
static void
scan_rows(struct bpg_monitor_target *t, const struct prefixes *pf)
{
	struct bpg_errinfo ei;
	json_t *rows, *r;
	const char *id, *status, *final;
	json_int_t age;
	size_t i, j;
	enum bpg_err e;

	for (i = 0; i < pf->n; i++) {
		if ((e = bpg_db_monitor_unfinished(
			 t->m->db, pf->p[i], &rows, &ei)) != BPG_OK) {
			bpg_monitor_step_failed(t, e, pf->p[i],
			    "reading unfinished "
			    "rows",
			    ei.msg);
			continue;
		}
		json_array_foreach(rows, j, r)
		{
			id = json_string_value(json_object_get(r, "id"));
			status =
			    json_string_value(json_object_get(r, "status"));
			age = json_is_integer(json_object_get(r, "age"))
			    ? json_integer_value(json_object_get(r, "age"))
			    : BPG_MONITOR_ORPHAN_GRACE_S;
			if (id == NULL || !gateway_id(pf->p[i], id) ||
			    bpg_monitor_tab_get(&t->apps, id) != NULL)
				continue;
			if (status == NULL && age < BPG_MONITOR_ORPHAN_GRACE_S)
				continue;
			/* Waiting for its dependencies: no CR yet, by design
			 * (bpg_monitor_deps.c releases it). */
			if (status != NULL && strcmp(status,
			    BPG_DEPS_WAITING) == 0)
				continue;
			final = status != NULL && bpg_monitor_terminal(status)
			    ? status
			    : BPG_MONITOR_LOST;
			if (bpg_monitor_record_finish(t, id, final, -1) !=
			    BPG_OK)
				continue;
			/* Never had a state: nothing of it ever ran. */
			if (status == NULL && (e = bpg_db_monitor_never_seen(
			    t->m->db, id, &ei)) != BPG_OK)
				bpg_monitor_step_failed(t, e, id,
				    "marking it never seen", ei.msg);
			bpg_monitor_log(t->m, BPG_MONITOR_LOG_INFO,
			    "%s: %s: no "
			    "SparkApplication (row status %s): recorded as %s",
			    t->label, id, status != NULL ? status : "NULL",
			    final);
		}
		json_decref(rows);
	}
}

static enum bpg_err
add_prefix(struct prefixes *pf, const char *id)
{
	char **np, *p;
	size_t i;

	if (asprintf(&p, "%s-", id) < 0)
		return BPG_ENOMEM;
	for (i = 0; i < pf->n; i++)
		if (strcmp(pf->p[i], p) == 0) {
			free(p);
			return BPG_OK;
		}
	if ((np = realloc(pf->p, (pf->n + 1) * sizeof(*np))) == NULL) {
		free(p);
		return BPG_ENOMEM;
	}
	pf->p = np;
	pf->p[pf->n++] = p;
	return BPG_OK;
}

static void
lost_listed(struct bpg_monitor *m, void *state, struct bpg_monitor_target *t)
{
	struct lost *l = state;

	sweep(t);
	if (!t->dirty)
		scan_rows(t, &l->tp[t - m->t]);
}

static void
lost_free(void *state)
{
	struct lost *l = state;
	size_t i, j;

	if (l == NULL)
		return;
	for (i = 0; i < l->nt; i++) {
		for (j = 0; j < l->tp[i].n; j++)
			free(l->tp[i].p[j]);
		free(l->tp[i].p);
	}
	free(l->tp);
	free(l);
}

/* The prefixes of every configured cluster with a target's pair. */
static enum bpg_err
lost_init(struct bpg_monitor *m, void **state, struct bpg_errinfo *ei)
{
	const struct bpg_config *cfg = m->o.cfg;
	const struct bpg_cluster *c;
	struct lost *l;
	size_t i, j;

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->tp = calloc(m->nt, sizeof(*l->tp))) == NULL) {
		free(l);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	l->nt = m->nt;
	*state = l;
	for (i = 0; i < m->nt; i++) {
		c = m->t[i].cluster;
		for (j = 0; j < cfg->nclusters; j++) {
			if (!bpg_monitor_same_pair(&cfg->clusters[j], c))
				continue;
			if (add_prefix(&l->tp[i], cfg->clusters[j].id) != BPG_OK)
				return bpg_errf(
				    ei, BPG_ENOMEM, "out of memory");
		}
	}
	return BPG_OK;
}

const struct bpg_monitor_task bpg_monitor_task_lost = {
	.name = "lost",
	.init = lost_init,
	.listed = lost_listed,
	.free = lost_free,
};
