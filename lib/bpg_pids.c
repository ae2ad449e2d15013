#include <stdint.h>
#include <stdlib.h>

#include "bpg_pids.h"

bool
bpg_pids_has(const struct bpg_pids *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == pid)
			return true;
	return false;
}

enum bpg_err
bpg_pids_add(struct bpg_pids *s, pid_t pid)
{
	if (pid <= 0)
		return BPG_EINVAL;
	if (bpg_pids_has(s, pid))
		return BPG_OK;
	if (s->n == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 16;
		pid_t *nv;

		if (ncap < s->cap || ncap > SIZE_MAX / sizeof(*nv) ||
		    (nv = realloc(s->v, ncap * sizeof(*nv))) == NULL)
			return BPG_ENOMEM;
		s->v = nv;
		s->cap = ncap;
	}
	s->v[s->n++] = pid;
	return BPG_OK;
}

bool
bpg_pids_remove(struct bpg_pids *s, pid_t pid)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i] == pid) {
			s->v[i] = s->v[--s->n];
			return true;
		}
	return false;
}

void
bpg_pids_free(struct bpg_pids *s)
{
	if (s == NULL)
		return;
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
