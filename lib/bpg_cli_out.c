/* bpg's output for people (bpg_cli_out.h). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_buf.h"
#include "bpg_cli_out.h"

/* The longest cell kept; longer ones are cut. */
#define CELL_MAX 256

void
bpg_cli_clean(char *out, size_t outsz, const char *s, size_t n)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n && i + 1 < outsz; i++) {
		c = (unsigned char)s[i];
		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[i] = '\0';
}

void
bpg_cli_ago(char *out, size_t outsz, int64_t then_ms, int64_t now_ms)
{
	int64_t d = now_ms - then_ms;
	bool future = d < 0;
	int64_t s = (future ? -d : d) / 1000;
	char amount[48];

	if (s < 5) {
		snprintf(out, outsz, "just now");
		return;
	}
	if (s < 60)
		snprintf(amount, sizeof(amount), "%" PRId64 " s", s);
	else if (s < 3600)
		snprintf(amount, sizeof(amount), "%" PRId64 " min", s / 60);
	else if (s < 86400)
		snprintf(amount, sizeof(amount), "%" PRId64 " h", s / 3600);
	else
		snprintf(amount, sizeof(amount), "%" PRId64 " day%s",
		    s / 86400, s / 86400 == 1 ? "" : "s");
	snprintf(out, outsz, future ? "in %s" : "%s ago", amount);
}

void
bpg_cli_duration(char *out, size_t outsz, int64_t ms)
{
	int64_t s;

	if (ms < 0)
		ms = 0;
	s = ms / 1000;
	if (ms < 1000 && ms > 0)
		snprintf(out, outsz, "%" PRId64 " ms", ms);
	else if (s < 60)
		snprintf(out, outsz, "%" PRId64 " s", s);
	else if (s < 3600)
		snprintf(out, outsz, "%" PRId64 " min %02" PRId64 " s", s / 60,
		    s % 60);
	else if (s < 86400)
		snprintf(out, outsz, "%" PRId64 " h %02" PRId64 " min",
		    s / 3600, s / 60 % 60);
	else
		snprintf(out, outsz, "%" PRId64 " d %02" PRId64 " h",
		    s / 86400, s / 3600 % 24);
}

void
bpg_cli_bytes(char *out, size_t outsz, uint64_t n)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(out, outsz, "%" PRIu64 " B", n);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	snprintf(out, outsz, "%.1f %s", v, unit[u]);
}

void
bpg_cli_bar(char *out, size_t outsz, const char *label, uint64_t done,
    uint64_t total, int width, const char *tail)
{
	char bar[128];
	int fill = 0, pct = 0, i;

	if (width < 1)
		width = 1;
	if (width > (int)sizeof(bar) - 1)
		width = (int)sizeof(bar) - 1;
	if (total > 0) {
		if (done > total)
			done = total;
		/* In floating point: done * width may overflow 64 bits. */
		fill = (int)((double)done / (double)total * width);
		pct = (int)((double)done / (double)total * 100);
	}
	for (i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = '\0';
	snprintf(out, outsz, "%s [%s] %3d%%%s%s", label, bar, pct,
	    tail != NULL ? "  " : "", tail != NULL ? tail : "");
}

int
bpg_cli_state_step(const char *state)
{
	static const struct {
		const char *state;
		int step;
	} steps[] = {
		{ "SUBMITTED", 1 }, { "PENDING_RERUN", 1 }, { "RUNNING", 2 },
		{ "SUCCEEDING", 3 }, { "FAILING", 3 }, { "INVALIDATING", 3 },
		{ "COMPLETED", 4 }, { "FAILED", 4 }, { "SUBMISSION_FAILED", 4 },
		{ "FAILED_SUBMISSION", 4 }, { "LOST", 4 },
	};
	size_t i;

	for (i = 0; state != NULL && i < sizeof(steps) / sizeof(steps[0]); i++)
		if (strcmp(state, steps[i].state) == 0)
			return steps[i].step;
	return 0;
}

/* ---- tables --------------------------------------------------------- */

struct bpg_cli_table {
	size_t ncols, nrows, cap;	/* rows allocated at cells */
	char **cells;			/* (nrows + 1) * ncols, headers first */
};

static char *
cell_dup(const char *s)
{
	char buf[CELL_MAX + 1];

	if (s == NULL)
		s = "";
	bpg_cli_clean(buf, sizeof(buf), s, strlen(s));
	return strdup(buf);
}

struct bpg_cli_table *
bpg_cli_table_new(size_t ncols, const char *const *headers)
{
	struct bpg_cli_table *t;

	if (ncols == 0 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->ncols = ncols;
	if (bpg_cli_table_add(t, headers) != BPG_OK) {
		bpg_cli_table_free(t);
		return NULL;
	}
	t->nrows = 0;
	return t;
}

enum bpg_err
bpg_cli_table_add(struct bpg_cli_table *t, const char *const *cells)
{
	size_t have = t->cells == NULL ? 0 : t->nrows + 1, i, ncap;
	char **np;

	if (have == t->cap) {
		ncap = t->cap < 8 ? 8 : t->cap * 2;
		if ((np = reallocarray(t->cells, ncap * t->ncols,
		    sizeof(*np))) == NULL)
			return BPG_ENOMEM;
		t->cells = np;
		t->cap = ncap;
	}
	for (i = 0; i < t->ncols; i++) {
		if ((t->cells[have * t->ncols + i] = cell_dup(cells[i])) ==
		    NULL) {
			while (i-- > 0)
				free(t->cells[have * t->ncols + i]);
			return BPG_ENOMEM;
		}
	}
	if (have > 0)
		t->nrows++;
	return BPG_OK;
}

size_t
bpg_cli_table_rows(const struct bpg_cli_table *t)
{
	return t->nrows;
}

/* Columns on a terminal, counted as UTF-8 code points. */
static size_t
text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
bpg_cli_table_print(const struct bpg_cli_table *t, FILE *f)
{
	size_t r, c, w, last, *width;
	const char *s;

	if ((width = calloc(t->ncols, sizeof(*width))) == NULL)
		return;
	for (r = 0; r <= t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			w = text_width(t->cells[r * t->ncols + c]);
			if (w > width[c])
				width[c] = w;
		}
	for (r = 0; r <= t->nrows; r++) {
		/* Up to the last cell with text: no trailing blanks. */
		last = t->ncols;
		while (last > 1 && t->cells[r * t->ncols + last - 1][0] == '\0')
			last--;
		for (c = 0; c < last; c++) {
			s = t->cells[r * t->ncols + c];
			fputs(s, f);
			if (c + 1 < last)
				fprintf(f, "%*s", (int)(width[c] -
				    text_width(s) + 2), "");
		}
		fputc('\n', f);
	}
	free(width);
}

void
bpg_cli_table_free(struct bpg_cli_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->cells != NULL)
		for (i = 0; i < (t->nrows + 1) * t->ncols; i++)
			free(t->cells[i]);
	free(t->cells);
	free(t);
}

/* ---- renderings ----------------------------------------------------- */

/* A JSON integer (or a real, truncated) as int64; false if neither. */
static bool
jint(const json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		*out = json_integer_value(v);
	else if (json_is_real(v))
		*out = (int64_t)json_real_value(v);
	else
		return false;
	return true;
}

static void
kv(FILE *f, const char *key, const char *value)
{
	char buf[1024];

	if (value == NULL || value[0] == '\0')
		return;
	bpg_cli_clean(buf, sizeof(buf), value, strlen(value));
	fprintf(f, "%-18s %s\n", key, buf);
}

void
bpg_cli_print_status(FILE *f, const char *id, const json_t *st, int64_t now_ms)
{
	char a[64], b[160];
	int64_t v, created = 0;
	bool have_created;

	kv(f, "Submission:", id);
	kv(f, "State:", json_string_value(json_object_get(st,
	    "applicationState")));
	kv(f, "Application ID:", json_string_value(json_object_get(st,
	    "sparkApplicationId")));
	if ((have_created = jint(st, "creationTime", &created))) {
		bpg_cli_ago(a, sizeof(a), created, now_ms);
		kv(f, "Created:", a);
	}
	if (jint(st, "terminationTime", &v)) {
		bpg_cli_ago(a, sizeof(a), v, now_ms);
		kv(f, "Terminated:", a);
	}
	if (jint(st, "duration", &v) && (v > 0 || have_created)) {
		bpg_cli_duration(a, sizeof(a), v);
		kv(f, "Duration:", a);
	}
	if (jint(st, "executionAttempts", &v)) {
		snprintf(b, sizeof(b), "%" PRId64, v);
		kv(f, "Attempts:", b);
	}
	kv(f, "Error:", json_string_value(json_object_get(st,
	    "applicationErrorMessage")));
	kv(f, "Spark UI:", json_string_value(json_object_get(st,
	    "sparkUIUrl")));
}

struct bpg_cli_table *
bpg_cli_summary_table(void)
{
	static const char *const h[] = { "SUBMISSION ID", "STATE", "USER",
		"QUEUE", "CREATED", "DURATION", "NAME" };

	return bpg_cli_table_new(sizeof(h) / sizeof(h[0]), h);
}

enum bpg_err
bpg_cli_summary_add(struct bpg_cli_table *t, const json_t *s, int64_t now_ms)
{
	const char *cells[7];
	char created[64] = "", dur[64] = "";
	int64_t v;
	size_t i;
	json_t *e;
	enum bpg_err err;

	if (json_is_array(s)) {
		json_array_foreach((json_t *)(uintptr_t)s, i, e)
			if ((err = bpg_cli_summary_add(t, e, now_ms)) != BPG_OK)
				return err;
		return BPG_OK;
	}
	if (!json_is_object(s))
		return BPG_EINVAL;
	if (jint(s, "creationTime", &v))
		bpg_cli_ago(created, sizeof(created), v, now_ms);
	if (jint(s, "duration", &v))
		bpg_cli_duration(dur, sizeof(dur), v);
	cells[0] = json_string_value(json_object_get(s, "submissionId"));
	cells[1] = json_string_value(json_object_get(s, "applicationState"));
	cells[2] = json_string_value(json_object_get(s, "user"));
	cells[3] = json_string_value(json_object_get(s, "queue"));
	cells[4] = created;
	cells[5] = dur;
	cells[6] = json_string_value(json_object_get(s, "applicationName"));
	return bpg_cli_table_add(t, cells);
}
