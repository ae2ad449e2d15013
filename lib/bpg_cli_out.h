/*
 * bpg's output for people: aligned tables, human times and sizes, the
 * progress bar, the status and list renderings.  Text from the gateway is
 * untrusted on a terminal: every cell passes bpg_cli_clean() (no escape
 * sequences reach the screen).  Pure functions of their inputs and of the
 * time passed in.
 */
#ifndef BPG_CLI_OUT_H
#define BPG_CLI_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "bpg_err.h"

/*
 * s[0..n) for a terminal: control bytes (below 0x20, 0x7f) become '?',
 * other bytes (UTF-8 included) are kept; cut to fit out (outsz > 0),
 * always terminated.
 */
void bpg_cli_clean(char *out, size_t outsz, const char *s, size_t n);

/*
 * then_ms relative to now_ms: "just now" (under 5 s), "42 s ago",
 * "3 min ago", "5 h ago", "2 days ago", "in 3 min" for the future.
 */
void bpg_cli_ago(char *out, size_t outsz, int64_t then_ms, int64_t now_ms);

/* A duration: "850 ms", "42 s", "3 min 05 s", "2 h 07 min", "3 d 04 h";
 * negative is "0 s". */
void bpg_cli_duration(char *out, size_t outsz, int64_t ms);

/* A size: "512 B", "1.5 KiB", "50.0 MiB", "2.0 GiB". */
void bpg_cli_bytes(char *out, size_t outsz, uint64_t n);

/*
 * One line of a progress bar, for stderr after a '\r': "label [####
 * ....] 45%" and the text tail (may be NULL).  done > total counts as
 * total; total 0 draws an empty bar.  width is the bar's cells.
 */
void bpg_cli_bar(char *out, size_t outsz, const char *label, uint64_t done,
    uint64_t total, int width, const char *tail);

/*
 * The progress of a job by its applicationState, out of 4 steps: none or
 * UNKNOWN 0, SUBMITTED/PENDING_RERUN 1, RUNNING 2, SUCCEEDING/FAILING/
 * INVALIDATING 3, a final state 4.
 */
int bpg_cli_state_step(const char *state);

/* ---- tables --------------------------------------------------------- */

/* Rows of cells printed with every column as wide as its widest cell. */
struct bpg_cli_table;

/* A table with ncols columns and these headers (copied); NULL on ENOMEM. */
struct bpg_cli_table *bpg_cli_table_new(size_t ncols,
    const char *const *headers);

/* Appends a row of ncols cells (copied through bpg_cli_clean(); NULL is
 * ""). */
enum bpg_err bpg_cli_table_add(struct bpg_cli_table *,
    const char *const *cells) BPG_WUR;

/* Rows so far (headers not counted). */
size_t bpg_cli_table_rows(const struct bpg_cli_table *);

/* Prints the headers and rows, columns two spaces apart, no trailing
 * blanks. */
void bpg_cli_table_print(const struct bpg_cli_table *, FILE *f);

/* NULL is a no-op. */
void bpg_cli_table_free(struct bpg_cli_table *);

/* ---- renderings of API answers -------------------------------------- */

/*
 * A GetSubmissionStatusResponse as "Field: value" lines (state, Spark
 * application, created "3 min ago", terminated, duration, attempts, error,
 * Spark UI), to f.
 */
void bpg_cli_print_status(FILE *f, const char *id, const json_t *st,
    int64_t now_ms);

/*
 * Adds SubmissionSummary objects (an array's elements, or one object) to
 * a table made by bpg_cli_summary_table().
 */
enum bpg_err bpg_cli_summary_add(struct bpg_cli_table *, const json_t *s,
    int64_t now_ms) BPG_WUR;

/* An empty table with the columns of a submission list. */
struct bpg_cli_table *bpg_cli_summary_table(void);

#endif
