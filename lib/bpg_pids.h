/*
 * A set of process IDs that grows as needed: the supervisor's workers
 * that are finishing their last request (after a reload or a failed
 * replacement) and must be told again, waited for and, at a stop, killed.
 * Every pid added is kept, however many: one dropped would be neither
 * waited for nor killed.
 *
 * Zero-initialise (struct bpg_pids s = { 0 }); free with bpg_pids_free().
 * Not thread-safe; no allocation in bpg_pids_remove(), so a reaping loop
 * never fails.
 */
#ifndef BPG_PIDS_H
#define BPG_PIDS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "bpg_err.h"

struct bpg_pids {
	pid_t *v;		/* v[0..n), in no particular order */
	size_t n, cap;
};

/* Adds pid (> 0; already there: nothing changes).  BPG_EINVAL for a pid
 * of 0 or less, BPG_ENOMEM (the set is unchanged). */
enum bpg_err bpg_pids_add(struct bpg_pids *, pid_t) BPG_WUR;
/* Removes pid; whether it was there. */
bool bpg_pids_remove(struct bpg_pids *, pid_t);
bool bpg_pids_has(const struct bpg_pids *, pid_t);
/* Frees the storage and empties the set; NULL is a no-op. */
void bpg_pids_free(struct bpg_pids *);

#endif
