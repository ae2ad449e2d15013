/*
 * Usage and cost reports: parameters, rows, JSON and CSV (bpg_report.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "bpg_buf.h"
#include "bpg_config.h"
#include "bpg_json.h"
#include "bpg_label.h"
#include "bpg_report.h"

static const char *const group_names[BPG_REPORT_GROUP__MAX] = {
	[BPG_REPORT_QUEUE] = "queue",
	[BPG_REPORT_USER] = "user",
	[BPG_REPORT_CLUSTER] = "cluster",
	[BPG_REPORT_DAY] = "day",
};

/* The final states of bpg_monitor_terminal(), in column order. */
static const char *const state_names[BPG_REPORT_STATE__MAX] = {
	[BPG_REPORT_COMPLETED] = "COMPLETED",
	[BPG_REPORT_FAILED] = "FAILED",
	[BPG_REPORT_SUBMISSION_FAILED] = "SUBMISSION_FAILED",
	[BPG_REPORT_FAILED_SUBMISSION] = "FAILED_SUBMISSION",
	[BPG_REPORT_LOST] = "LOST",
	[BPG_REPORT_UNFINISHED] = "UNFINISHED",
};

const char *
bpg_report_group_name(enum bpg_report_group g)
{
	return g < BPG_REPORT_GROUP__MAX ? group_names[g] : "";
}

const char *
bpg_report_state_name(enum bpg_report_state s)
{
	return s < BPG_REPORT_STATE__MAX ? state_names[s] : "";
}

enum bpg_report_state
bpg_report_state_of(const char *status)
{
	size_t i;

	for (i = 0; status != NULL && i < BPG_REPORT_UNFINISHED; i++)
		if (strcasecmp(status, state_names[i]) == 0)
			return (enum bpg_report_state)i;
	return BPG_REPORT_UNFINISHED;
}

enum bpg_report_state
bpg_report_state_at(long long place)
{
	return place >= 1 && place <= BPG_REPORT_UNFINISHED ?
	    (enum bpg_report_state)(place - 1) : BPG_REPORT_UNFINISHED;
}

/* ---- parameters ------------------------------------------------------- */

/*
 * An RFC 3339 full-date or date-time as epoch ms (bpg_time_parse_ms()),
 * -1 if neither; *date_only tells which.
 */
static int64_t
parse_time(const char *s, bool *date_only)
{
	char buf[64];
	size_t n = strlen(s);

	*date_only = n == 10;
	if (n == 10) {
		/* full-date = date-fullyear "-" date-month "-" date-mday */
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		return bpg_time_parse_ms(buf);
	}
	if (n < 20 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n + 1);
	/* "...T10:00:00 01:00": a '+' sent unencoded, decoded as a space. */
	if (n >= 6 && buf[n - 6] == ' ' && buf[n - 3] == ':')
		buf[n - 6] = '+';
	return bpg_time_parse_ms(buf);
}

/* ceil(ms / 1000) for ms >= 0: the first whole second at or after ms. */
static int64_t
ceil_s(int64_t ms)
{
	return (ms + 999) / 1000;
}

enum bpg_err
bpg_report_parse(const char *from, const char *to, const char *group_by,
    const char *format, int64_t now_ms, struct bpg_report_query *q,
    struct bpg_errinfo *ei)
{
	bool date_only;
	size_t i;

	memset(q, 0, sizeof(*q));
	q->group = BPG_REPORT_QUEUE;
	q->format = BPG_REPORT_JSON;
	if (group_by != NULL) {
		for (i = 0; i < BPG_REPORT_GROUP__MAX; i++)
			if (strcmp(group_by, group_names[i]) == 0)
				break;
		if (i == BPG_REPORT_GROUP__MAX)
			return bpg_errf(ei, BPG_EINVAL, "groupBy must be one "
			    "of queue, user, cluster, day");
		q->group = (enum bpg_report_group)i;
	}
	if (format != NULL) {
		if (strcmp(format, "json") == 0)
			q->format = BPG_REPORT_JSON;
		else if (strcmp(format, "csv") == 0)
			q->format = BPG_REPORT_CSV;
		else
			return bpg_errf(ei, BPG_EINVAL,
			    "format must be json or csv");
	}
	if (to != NULL) {
		if ((q->to_ms = parse_time(to, &date_only)) < 0)
			return bpg_errf(ei, BPG_EINVAL, "to must be an RFC 3339 "
			    "date (2026-11-30) or date-time "
			    "(2026-11-30T12:00:00Z)");
		if (date_only)
			q->to_ms += 86400 * 1000LL;
	} else
		q->to_ms = now_ms;
	if (from != NULL) {
		if ((q->from_ms = parse_time(from, &date_only)) < 0)
			return bpg_errf(ei, BPG_EINVAL, "from must be an RFC 3339 "
			    "date (2026-11-01) or date-time "
			    "(2026-11-01T00:00:00Z)");
	} else
		q->from_ms = q->to_ms - BPG_REPORT_DEFAULT_SPAN_S * 1000;
	if (q->to_ms <= q->from_ms)
		return bpg_errf(ei, BPG_EINVAL, "to must be after from");
	if (q->to_ms - q->from_ms > BPG_REPORT_MAX_SPAN_S * 1000)
		return bpg_errf(ei, BPG_EINVAL, "from and to may be at most "
		    "%lld days apart", BPG_REPORT_MAX_SPAN_S / 86400);
	if (q->from_ms < BPG_REPORT_MIN_S * 1000 ||
	    q->to_ms > (BPG_REPORT_MAX_S + 1) * 1000)
		return bpg_errf(ei, BPG_EINVAL, "from and to must lie between "
		    "1970-01-01T00:00:01Z and 2038-01-19T03:14:08Z");
	/* Rows hold whole seconds: second S is in [from, to) iff
	 * ceil(from) <= S < ceil(to). */
	q->from_s = ceil_s(q->from_ms);
	q->to_s = ceil_s(q->to_ms);
	return BPG_OK;
}

/* ---- aggregation ------------------------------------------------------ */

uint64_t
bpg_report_rank(unsigned int p, uint64_t n)
{
	uint64_t r;

	if (n == 0)
		return 0;
	if (p > 100)
		p = 100;
	/* ceil(p * n / 100) without overflow for any n. */
	r = n / 100 * p + ((n % 100) * p + 99) / 100;
	return r < 1 ? 1 : r;
}

void
bpg_report_pick_init(struct bpg_report_pick *pk, uint64_t n)
{
	pk->seen = 0;
	pk->r50 = bpg_report_rank(50, n);
	pk->r95 = bpg_report_rank(95, n);
	pk->p50 = pk->p95 = -1;
}

void
bpg_report_pick(struct bpg_report_pick *pk, int64_t value, uint64_t count)
{
	/* This value holds ranks seen + 1 to seen + count. */
	if (pk->r50 > pk->seen && pk->r50 - pk->seen <= count)
		pk->p50 = value;
	if (pk->r95 > pk->seen && pk->r95 - pk->seen <= count)
		pk->p95 = value;
	pk->seen += count;
}

enum bpg_err
bpg_report_hist_add(struct bpg_report_hist *h, int64_t value, uint64_t count)
{
	struct bpg_report_bin *bins;
	size_t cap;

	if (h->n > 0 && h->bins[h->n - 1].value == value) {
		h->bins[h->n - 1].count += count;
		return BPG_OK;
	}
	if (h->n == h->cap) {
		cap = h->cap == 0 ? 256 : h->cap * 2;
		if ((bins = realloc(h->bins, cap * sizeof(*bins))) == NULL)
			return BPG_ENOMEM;
		h->bins = bins;
		h->cap = cap;
	}
	h->bins[h->n].value = value;
	h->bins[h->n].count = count;
	h->n++;
	return BPG_OK;
}

void
bpg_report_hist_done(struct bpg_report_hist *h, struct bpg_report_row *row)
{
	struct bpg_report_pick pk;
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < h->n; i++)
		total += h->bins[i].count;
	bpg_report_pick_init(&pk, total);
	for (i = 0; i < h->n; i++)
		bpg_report_pick(&pk, h->bins[i].value, h->bins[i].count);
	row->p50_ms = pk.p50;
	row->p95_ms = pk.p95;
	h->n = 0;
}

void
bpg_report_hist_free(struct bpg_report_hist *h)
{
	if (h == NULL)
		return;
	free(h->bins);
	h->bins = NULL;
	h->n = h->cap = 0;
}

void
bpg_report_free(struct bpg_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++)
		free(r->rows[i].key);
	free(r->rows);
	r->rows = NULL;
	r->n = r->cap = 0;
}

enum bpg_err
bpg_report_add(struct bpg_report *r, const char *key, size_t len,
    struct bpg_report_row **row, struct bpg_errinfo *ei)
{
	struct bpg_report_row *rows, *w;
	size_t cap;
	char *k;

	if (r->n >= BPG_REPORT_MAX_ROWS)
		return bpg_errf(ei, BPG_ETOOBIG, "the report would have more "
		    "than %d rows: choose a shorter interval or another "
		    "groupBy", BPG_REPORT_MAX_ROWS);
	if (r->n == r->cap) {
		cap = r->cap == 0 ? 16 : r->cap * 2;
		if ((rows = realloc(r->rows, cap * sizeof(*rows))) == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		r->rows = rows;
		r->cap = cap;
	}
	if ((k = malloc(len + 1)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	memcpy(k, key, len);
	k[len] = '\0';
	w = &r->rows[r->n++];
	memset(w, 0, sizeof(*w));
	w->key = k;
	w->key_len = len;
	w->p50_ms = w->p95_ms = -1;
	*row = w;
	return BPG_OK;
}

/* memcmp order, a prefix first: the order of a binary ORDER BY. */
static int
key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

struct bpg_report_row *
bpg_report_find(struct bpg_report *r, const char *key, size_t len)
{
	size_t lo = 0, hi = r->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = key_cmp(r->rows[mid].key, r->rows[mid].key_len, key, len);
		if (c == 0)
			return &r->rows[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- rendering -------------------------------------------------------- */

/* Money to the cent, as the cost column holds it. */
static double
cents(double v)
{
	return round(v * 100) / 100;
}

/* ms as RFC 3339 in UTC, with milliseconds only when there are some. */
static void
rfc3339(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	if (ms % 1000 != 0)
		snprintf(buf, size, "%s.%03dZ", s, (int)(ms % 1000));
	else
		snprintf(buf, size, "%sZ", s);
}

/* What groupBy cluster adds to a row. */
struct share {
	bool known;
	int64_t weight;
	double weight_share, share;
};

static int64_t
total_jobs(const struct bpg_report *r)
{
	int64_t t = 0;
	size_t i;

	for (i = 0; i < r->n; i++)
		t += r->rows[i].jobs;
	return t;
}

static struct share
share_of(const struct bpg_report_row *row, int64_t total,
    const struct bpg_config *cfg)
{
	struct share s = { false, 0, 0, 0 };
	int64_t sum = 0;
	size_t i;

	s.share = total > 0 ? (double)row->jobs / (double)total : 0;
	for (i = 0; cfg != NULL && i < cfg->nclusters; i++) {
		sum += cfg->clusters[i].weight;
		if (cfg->clusters[i].id != NULL &&
		    strcmp(cfg->clusters[i].id, row->key) == 0) {
			s.known = true;
			s.weight = cfg->clusters[i].weight;
		}
	}
	if (s.known && sum > 0)
		s.weight_share = (double)s.weight / (double)sum;
	return s;
}

/* A share rounded to 4 decimals, so answers stay short. */
static double
ratio(double v)
{
	return round(v * 10000) / 10000;
}

static json_t *
opt_int(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *
row_json(const struct bpg_report_row *row, const struct bpg_report_query *q,
    int64_t total, const struct bpg_config *cfg)
{
	json_t *o, *st;
	struct share s;
	size_t i;

	if ((st = json_object()) == NULL)
		return NULL;
	for (i = 0; i < BPG_REPORT_STATE__MAX; i++)
		if (json_object_set_new(st, state_names[i],
		    json_integer(row->states[i])) != 0) {
			json_decref(st);
			return NULL;
		}
	o = json_pack("{s:s%, s:I, s:o, s:o, s:o, s:I, s:I, s:o}",
	    "key", row->key, row->key_len, "jobs", (json_int_t)row->jobs,
	    "states", st, "durationP50Ms", opt_int(row->p50_ms),
	    "durationP95Ms", opt_int(row->p95_ms),
	    "vcoreSeconds", (json_int_t)row->vcore_s,
	    "mbSeconds", (json_int_t)row->mb_s,
	    "cost", row->has_cost ? json_real(cents(row->cost)) : json_null());
	if (o == NULL || q->group != BPG_REPORT_CLUSTER)
		return o;
	s = share_of(row, total, cfg);
	if (json_object_set_new(o, "weight", s.known ?
	    json_integer(s.weight) : json_null()) != 0 ||
	    json_object_set_new(o, "weightShare", s.known ?
	    json_real(ratio(s.weight_share)) : json_null()) != 0 ||
	    json_object_set_new(o, "share", json_real(ratio(s.share))) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
bpg_report_json(const struct bpg_report *r, const struct bpg_report_query *q,
    const struct bpg_config *cfg)
{
	char from[40], to[40];
	json_t *rows, *row;
	int64_t total = total_jobs(r);
	size_t i;

	if ((rows = json_array()) == NULL)
		return NULL;
	for (i = 0; i < r->n; i++)
		if ((row = row_json(&r->rows[i], q, total, cfg)) == NULL ||
		    json_array_append_new(rows, row) != 0) {
			json_decref(rows);
			return NULL;
		}
	rfc3339(q->from_ms, from, sizeof(from));
	rfc3339(q->to_ms, to, sizeof(to));
	return json_pack("{s:s, s:s, s:s, s:o}", "from", from, "to", to,
	    "groupBy", group_names[q->group], "rows", rows);
}

enum bpg_err
bpg_report_csv_field(struct bpg_buf *b, const char *s, size_t n)
{
	size_t i, start;
	bool quote = false;

	for (i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' ||
		    s[i] == '\n';
	if (!quote)
		return bpg_buf_append(b, s, n, 0);
	if (bpg_buf_append(b, "\"", 1, 0) != BPG_OK)
		return BPG_ENOMEM;
	/* RFC 4180 2.7: a quote inside is written twice. */
	for (start = 0, i = 0; i < n; i++)
		if (s[i] == '"') {
			if (bpg_buf_append(b, s + start, i + 1 - start, 0) !=
			    BPG_OK)
				return BPG_ENOMEM;
			start = i;
		}
	if (bpg_buf_append(b, s + start, n - start, 0) != BPG_OK)
		return BPG_ENOMEM;
	return bpg_buf_append(b, "\"", 1, 0);
}

/* ",<v>" where v is printed with fmt; nothing after the comma for null. */
static enum bpg_err
csv_int(struct bpg_buf *b, int64_t v, bool null)
{
	char num[32];
	int n;

	if (null)
		return bpg_buf_append(b, ",", 1, 0);
	n = snprintf(num, sizeof(num), ",%lld", (long long)v);
	return bpg_buf_append(b, num, (size_t)n, 0);
}

static enum bpg_err
csv_real(struct bpg_buf *b, double v, bool null)
{
	char num[BPG_JSON_REAL_MAX + 1];
	size_t n;

	if (null)
		return bpg_buf_append(b, ",", 1, 0);
	num[0] = ',';
	n = bpg_json_real_text(v, num + 1, sizeof(num) - 1);
	return bpg_buf_append(b, num, n + 1, 0);
}

static enum bpg_err
csv_row(struct bpg_buf *b, const struct bpg_report_row *row,
    const struct bpg_report_query *q, int64_t total,
    const struct bpg_config *cfg)
{
	struct share s;
	size_t i;

	if (bpg_report_csv_field(b, row->key, row->key_len) != BPG_OK ||
	    csv_int(b, row->jobs, false) != BPG_OK)
		return BPG_ENOMEM;
	for (i = 0; i < BPG_REPORT_STATE__MAX; i++)
		if (csv_int(b, row->states[i], false) != BPG_OK)
			return BPG_ENOMEM;
	if (csv_int(b, row->p50_ms, row->p50_ms < 0) != BPG_OK ||
	    csv_int(b, row->p95_ms, row->p95_ms < 0) != BPG_OK ||
	    csv_int(b, row->vcore_s, false) != BPG_OK ||
	    csv_int(b, row->mb_s, false) != BPG_OK ||
	    csv_real(b, cents(row->cost), !row->has_cost) != BPG_OK)
		return BPG_ENOMEM;
	if (q->group == BPG_REPORT_CLUSTER) {
		s = share_of(row, total, cfg);
		if (csv_int(b, s.weight, !s.known) != BPG_OK ||
		    csv_real(b, ratio(s.weight_share), !s.known) != BPG_OK ||
		    csv_real(b, ratio(s.share), false) != BPG_OK)
			return BPG_ENOMEM;
	}
	return bpg_buf_append(b, "\r\n", 2, 0);
}

char *
bpg_report_csv(const struct bpg_report *r, const struct bpg_report_query *q,
    const struct bpg_config *cfg, size_t *len)
{
	struct bpg_buf b = { NULL, 0, 0 };
	int64_t total = total_jobs(r);
	size_t i;
	const char *s;

	if (bpg_buf_append(&b, "key,jobs", 8, 0) != BPG_OK)
		goto fail;
	for (i = 0; i < BPG_REPORT_STATE__MAX; i++)
		if (bpg_buf_append(&b, ",", 1, 0) != BPG_OK ||
		    bpg_buf_append(&b, state_names[i], strlen(state_names[i]),
		    0) != BPG_OK)
			goto fail;
	s = ",durationP50Ms,durationP95Ms,vcoreSeconds,mbSeconds,cost";
	if (bpg_buf_append(&b, s, strlen(s), 0) != BPG_OK)
		goto fail;
	s = ",weight,weightShare,share";
	if (q->group == BPG_REPORT_CLUSTER &&
	    bpg_buf_append(&b, s, strlen(s), 0) != BPG_OK)
		goto fail;
	if (bpg_buf_append(&b, "\r\n", 2, 0) != BPG_OK)
		goto fail;
	for (i = 0; i < r->n; i++)
		if (csv_row(&b, &r->rows[i], q, total, cfg) != BPG_OK)
			goto fail;
	*len = b.len;
	return bpg_buf_take(&b);
fail:
	bpg_buf_free(&b);
	return NULL;
}
