/*
 * Loading the configuration apart from the process's main malloc arena,
 * for a process that forks workers after loading it (bpg-gateway).
 *
 * Reading the configuration takes several times the memory its result
 * keeps (the file, the YAML's events, the JSON tree), and the result is
 * spread among what was freed.  Loaded in the supervisor's main heap, the
 * workers' own allocations after fork() filled those gaps, each one
 * copying the page it landed in: every configured cluster cost each
 * worker about 6 kB it never used (tests/bench/clusters.sh, STATUS=0).
 * Loaded by a thread of its own, the configuration is allocated in that
 * thread's malloc arena (glibc gives a new thread an arena of its own
 * while there are fewer than MALLOC_ARENA_MAX), which single-threaded
 * workers, allocating from the main arena, only ever read, so its pages
 * stay shared.  Freed (bpg_config_free()) from any thread.
 */
#ifndef BPG_CONFIG_APART_H
#define BPG_CONFIG_APART_H

#include "bpg_config.h"

/*
 * bpg_config_load(), run by a thread made for it and waited for; by the
 * calling thread if none can be made.  Same results and errors.
 */
enum bpg_err bpg_config_load_apart(const char *path, struct bpg_config **out,
    struct bpg_config_error *err) BPG_WUR;

#endif
