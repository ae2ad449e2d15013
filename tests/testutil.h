/*
 * Fixtures shared by the unit test programs (tests/check_*.c): the suite
 * runner, test files (tests/data/ and the shared specs), a per-test arena,
 * configs parsed from YAML text, and the ports of the test servers.
 *
 * Helpers that can fail check what they do with Check's ck_assert*(): a
 * failure ends the running test, so they return no error and are for use
 * inside a test or its checked fixture.  The exceptions assert nothing and
 * may also be called from main(): tu_run(), and tu_slurp() and
 * tu_shared_path(), which return NULL for a file that is not there.
 */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <check.h>
#include <jansson.h>

#include "bpg_config.h"

/* The number of rows of a table, as tcase_add_loop_test() takes it. */
#define TU_NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/*
 * Runs the suite (fork mode unless CK_FORK=no, CK_NORMAL output) and frees
 * it; returns the exit status for main(): EXIT_SUCCESS when every test
 * passed, else EXIT_FAILURE.
 */
int tu_run(Suite *s);

/* ---- files ------------------------------------------------------------ */

/*
 * The file at path, NUL-terminated, in a new buffer (the caller's to
 * free()); *len gets its size.  NULL when it cannot be opened or read,
 * or memory runs out.
 */
char *tu_slurp(const char *path, size_t *len);

/*
 * The path of tests/data/<dir>/<name>, new, the caller's to free():
 * under $BPG_TEST_DATA instead of tests/data when that variable is set;
 * else tests/data/<dir>/<name> when it is readable from the working
 * directory (the repository root); else the one beside the program
 * (<BUILD>/tests/check_x -> ../../tests/data/<dir>/<name>), readable or
 * not.
 */
char *tu_data_path(const char *dir, const char *name);

/* tu_slurp() of tu_data_path(dir, name); the file must be readable. */
char *tu_slurp_data(const char *dir, const char *name, size_t *len);

/*
 * The path of the shared spec file spec/<name>, new, the caller's to
 * free(), or NULL when none is readable.  Tried in turn:
 * ../shared/spec/<name> (from the repository root),
 * $BPG_SHARED_DIR/spec/<name>, and ../shared beside the repository of the
 * program (<BUILD>/tests/check_x -> ../../../shared/spec/<name>).
 */
char *tu_shared_path(const char *name);

/* tu_slurp() of tu_shared_path(name); the file must be readable. */
char *tu_slurp_shared(const char *name, size_t *len);

/* ---- the arena: what a test allocates, freed after it ----------------- */

/*
 * p into the arena, returned; tu_arena_free() frees it.  NULL (an
 * allocation that failed) ends the test, as does a full arena: it holds
 * 8192 pointers and 1024 JSON values.
 */
void *tu_track(void *p);

/* A JSON value into the arena, returned; tu_arena_free() drops the
 * reference.  NULL ends the test. */
json_t *tu_jtrack(json_t *j);

/* Frees all the arena holds, newest first: a checked teardown. */
void tu_arena_free(void);

/* A tracked copy of s; NULL for NULL. */
char *tu_str(const char *s);

/* "a,b,c" as a tracked list; NULL: absent; "": present and empty. */
struct bpg_strlist tu_strlist(const char *csv);

/* Test JSON text, parsed with duplicate keys rejected, tracked; NULL for
 * NULL. */
json_t *tu_json(const char *text);

/* ---- configs ---------------------------------------------------------- */

/*
 * The config of yaml followed by extra (NULL or "": nothing more), new,
 * the caller's to bpg_config_free(); a parse error ends the test with its
 * key path and line.
 */
struct bpg_config *tu_config(const char *yaml, const char *extra);

/* Whether one of cfg's warnings contains needle. */
bool tu_has_warning(const struct bpg_config *cfg, const char *needle);

/* ---- test servers ----------------------------------------------------- */

/*
 * The port in the variable name (tests/run-unit.sh sets it), 1 to 65535;
 * the test ends when it is unset or not a port.  script names the
 * tests/ script that starts such a server by hand.
 */
unsigned int tu_env_port(const char *name, const char *script);

/* A loopback TCP port with nothing listening. */
unsigned int tu_closed_port(void);

/*
 * Append s[0..n) to the NUL-terminated buffer *p of *len bytes and *cap
 * bytes of room, growing it geometrically (lib/bpg_buf.h): output sinks
 * that take many small chunks stay linear, under ASan too.
 */
void tu_append(char **p, size_t *len, size_t *cap, const void *s, size_t n);

#endif
