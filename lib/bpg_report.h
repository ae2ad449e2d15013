/*
 * Usage and cost reports from the submission history (GET /admin/report,
 * GET /report): the query's parameters, the rows a report holds, and the
 * JSON and CSV a client gets.  Pure: no database, no clock (callers pass
 * the time), no globals.  bpg_db_report.h fills a report from the table.
 *
 * A report covers the submissions CREATED in the half-open interval
 * [from, to), grouped by queue, user, cluster (the submission ID's
 * prefix) or UTC day of creation.  Each row counts its jobs by state (a
 * fixed, ordered set: the final states, then UNFINISHED for every other
 * status), the nearest-rank p50 and p95 of their run times (start to
 * finish, as the cost counts them), the vCore-seconds and MB-seconds
 * they used and the sum of the cost the monitor recorded for each job
 * (bpg_db_monitor.c, from memoryMbSecondCost and vCoreSecondCost).
 */
#ifndef BPG_REPORT_H
#define BPG_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_err.h"

struct bpg_config;

/* The longest interval one report covers (a leap year). */
#define BPG_REPORT_MAX_SPAN_S (366LL * 86400)
/* What `from` is when not given: this long before `to`. */
#define BPG_REPORT_DEFAULT_SPAN_S (30LL * 86400)
/* TIMESTAMP's range: what the table can hold. */
#define BPG_REPORT_MIN_S 1LL
#define BPG_REPORT_MAX_S 2147483647LL
/* The longest key (VARCHAR(255) in utf8mb4). */
#define BPG_REPORT_MAX_KEY 1020
/* Groups one report may hold before it is refused as too big. */
#define BPG_REPORT_MAX_ROWS 100000

enum bpg_report_group {
	BPG_REPORT_QUEUE,
	BPG_REPORT_USER,
	BPG_REPORT_CLUSTER,
	BPG_REPORT_DAY,
	BPG_REPORT_GROUP__MAX
};

enum bpg_report_format {
	BPG_REPORT_JSON,
	BPG_REPORT_CSV,
};

/*
 * The final states as an SQL list, in the order of the enum below: the
 * database reports a status as its place in it (FIELD(), 0 for none).
 */
#define BPG_REPORT_FINAL_STATES_SQL \
	"'COMPLETED', 'FAILED', 'SUBMISSION_FAILED', 'FAILED_SUBMISSION', " \
	"'LOST'"

/* The state columns, in their order in JSON and CSV. */
enum bpg_report_state {
	BPG_REPORT_COMPLETED,
	BPG_REPORT_FAILED,
	BPG_REPORT_SUBMISSION_FAILED,
	BPG_REPORT_FAILED_SUBMISSION,
	BPG_REPORT_LOST,
	BPG_REPORT_UNFINISHED,
	BPG_REPORT_STATE__MAX
};

struct bpg_report_query {
	int64_t from_ms, to_ms; /* [from, to), epoch milliseconds */
	int64_t from_s, to_s; /* the same on the table's whole seconds */
	enum bpg_report_group group;
	enum bpg_report_format format;
	const char *user; /* borrowed; NULL: every user's rows */
};

/*
 * The query of a request's parameters (decoded values, NULL: not given)
 * at time now_ms:
 *   from, to	RFC 3339 full-date ("2026-11-01", midnight UTC; as `to`
 *		the END of that day, so that from=2026-11-01&to=2026-11-30
 *		is all of November) or date-time (with Z or an offset; the
 *		end is exclusive; a space where the offset's '+' belongs is
 *		taken for it, as an unencoded '+' arrives as one).
 *		Defaults: to = now, from = to - 30 days.
 *   groupBy	queue (default), user, cluster, day
 *   format	json (default), csv
 * to must be after from, at most BPG_REPORT_MAX_SPAN_S later, both within
 * what a TIMESTAMP holds.  q->user is set to NULL.  BPG_EINVAL with ei
 * naming the parameter.
 */
enum bpg_err bpg_report_parse(const char *from, const char *to,
    const char *group_by, const char *format, int64_t now_ms,
    struct bpg_report_query *q, struct bpg_errinfo *ei) BPG_WUR;

/* "queue", "user", "cluster", "day" (static). */
const char *bpg_report_group_name(enum bpg_report_group);
/* "COMPLETED", ..., "UNFINISHED" (static). */
const char *bpg_report_state_name(enum bpg_report_state);
/* The column of a status as stored (case-insensitive; NULL: UNFINISHED). */
enum bpg_report_state bpg_report_state_of(const char *status);
/* The column of a place in BPG_REPORT_FINAL_STATES_SQL (1-based; any
 * other: UNFINISHED). */
enum bpg_report_state bpg_report_state_at(long long place);

/*
 * The 1-based rank of the p-th percentile (0 < p <= 100) of n sorted
 * values by the nearest-rank method: ceil(p / 100 * n), at least 1; 0
 * when n is 0.
 */
uint64_t bpg_report_rank(unsigned int p, uint64_t n);

struct bpg_report_row {
	char *key; /* owned, NUL-terminated */
	size_t key_len;
	int64_t jobs;
	int64_t states[BPG_REPORT_STATE__MAX];
	int64_t runs; /* jobs with a run time (started and finished) */
	int64_t p50_ms, p95_ms; /* -1: no run time */
	int64_t vcore_s, mb_s; /* sums over the jobs that have them */
	bool has_cost;
	double cost; /* if has_cost */
};

/* Zero-initialise before use; free with bpg_report_free(). */
struct bpg_report {
	struct bpg_report_row *rows; /* owned, sorted by key bytes */
	size_t n, cap;
};

void bpg_report_free(struct bpg_report *);
/*
 * A new row for key[0..len) at the end (keys must be added in ascending
 * byte order), zeroed but for p50_ms/p95_ms (-1); *row borrowed from r.
 * BPG_ETOOBIG past BPG_REPORT_MAX_ROWS, BPG_ENOMEM.
 */
enum bpg_err bpg_report_add(struct bpg_report *r, const char *key,
    size_t len, struct bpg_report_row **row, struct bpg_errinfo *ei) BPG_WUR;
/* The row of key[0..len), or NULL. */
struct bpg_report_row *bpg_report_find(
    struct bpg_report *r, const char *key, size_t len);

/*
 * Picks p50 and p95 while a group's run times stream past in ascending
 * order: start with bpg_report_pick_init(&p, n) for n values, then feed
 * each distinct value with how many times it occurs; O(1) memory.
 */
struct bpg_report_pick {
	uint64_t seen, r50, r95;
	int64_t p50, p95; /* -1 until reached */
};
void bpg_report_pick_init(struct bpg_report_pick *, uint64_t n);
void bpg_report_pick(struct bpg_report_pick *, int64_t value, uint64_t count);

/*
 * One group's run times as a histogram, in ascending order: (value,
 * count) pairs, as the database hands them over grouped, so that its
 * size is the number of distinct values (whole seconds), not of jobs.
 * Zero-initialise; reused from group to group (bpg_report_hist_done()
 * empties it, keeping its room); bpg_report_hist_free() at the end.
 */
struct bpg_report_hist {
	struct bpg_report_bin {
		int64_t value;
		uint64_t count;
	} *bins;
	size_t n, cap;
};
/* value (>= the last one added) counted count more times; BPG_ENOMEM. */
enum bpg_err bpg_report_hist_add(struct bpg_report_hist *, int64_t value,
    uint64_t count) BPG_WUR;
/* row's p50_ms and p95_ms from the histogram, then empty it. */
void bpg_report_hist_done(struct bpg_report_hist *,
    struct bpg_report_row *row);
void bpg_report_hist_free(struct bpg_report_hist *);

/*
 * The JSON answer (new reference; NULL: no memory):
 *   {"from","to","groupBy","rows":[{"key","jobs","states":{...},
 *    "durationP50Ms","durationP95Ms","vcoreSeconds","mbSeconds","cost"}]}
 * With groupBy cluster each row also has "weight" (the cluster's
 * configured weight, null if cfg has no such cluster), "weightShare"
 * (weight over all configured weights) and "share" (its part of the
 * report's jobs), so that routing can be checked against the weights.
 * Percentiles and cost are null when no job has them.  cfg may be NULL.
 */
json_t *bpg_report_json(const struct bpg_report *r,
    const struct bpg_report_query *q, const struct bpg_config *cfg);
/*
 * The CSV answer (RFC 4180: CRLF, fields with a comma, a quote, CR or LF
 * quoted, quotes doubled): a header of the JSON's columns, every state as
 * a column of its own, then one line per row; null is an empty field.
 * New string (caller frees) with its length in *len, NULL: no memory.
 */
char *bpg_report_csv(const struct bpg_report *r,
    const struct bpg_report_query *q, const struct bpg_config *cfg,
    size_t *len);
/* s[0..n) as one CSV field appended to b (quoted when needed). */
struct bpg_buf;
enum bpg_err bpg_report_csv_field(
    struct bpg_buf *b, const char *s, size_t n) BPG_WUR;

#endif
