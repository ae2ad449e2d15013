/*
 * Metrics in a shared mapping (bpg_metrics.h).  A series is a cell of an
 * open-addressing table keyed by a 64-bit hash of its metric and label
 * values.  A cell is claimed by one compare-and-swap of its key (0 to the
 * hash); the claimer then writes the metric and the escaped label text
 * and publishes them by setting ready (release).  Render reads only ready
 * cells (acquire).  Values are 64-bit atomics: counters and bucket counts
 * plain counts, a histogram's sum in nanoseconds.  A cell is never freed:
 * the label sets are bounded, so the table fills only by a mistake, and
 * then new series are dropped (and counted), never old ones overwritten.
 */
#include <sys/mman.h>

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpg_metrics.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
    "64-bit atomics must be lock-free to be shared between processes");

struct desc {
	const char *name;
	enum bpg_metric_type type;
	const char *labels;
	enum bpg_metrics_buckets buckets;
	const char *help;
};

#define DESC_(id, name, type, labels, buckets, help) \
	[BPG_METRIC_##id] = { name, BPG_METRIC_##type, labels, \
	    BPG_METRICS_##buckets, help },
static const struct desc descs[BPG_METRIC__MAX] = {
	BPG_METRICS_LIST(DESC_)
};
#undef DESC_

/* Upper bounds (seconds, ascending); +Inf is implied. */
static const double latency_b[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
	0.5, 1, 2.5, 5, 10, 30, 60 };
static const double delay_b[] = { 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10, 30, 60, 300 };
static const double fine_delay_b[] = { 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300 };

static const struct {
	const double *b;
	size_t n;
} bucket_sets[BPG_METRICS_BUCKETS__MAX] = {
	[BPG_METRICS_NOBUCKETS] = { NULL, 0 },
	[BPG_METRICS_LATENCY] = { latency_b,
	    sizeof(latency_b) / sizeof(latency_b[0]) },
	[BPG_METRICS_DELAY] = { delay_b, sizeof(delay_b) / sizeof(delay_b[0]) },
	[BPG_METRICS_FINE_DELAY] = { fine_delay_b,
	    sizeof(fine_delay_b) / sizeof(fine_delay_b[0]) },
};

_Static_assert(sizeof(latency_b) / sizeof(latency_b[0]) <
    BPG_METRICS_MAX_BUCKETS, "too many buckets");
_Static_assert(sizeof(delay_b) / sizeof(delay_b[0]) <
    BPG_METRICS_MAX_BUCKETS, "too many buckets");
_Static_assert(sizeof(fine_delay_b) / sizeof(fine_delay_b[0]) <
    BPG_METRICS_MAX_BUCKETS, "too many buckets");

struct cell {
	_Atomic unsigned long long key;	/* 0: unused */
	_Atomic int ready;		/* metric and labels are written */
	unsigned int metric;
	char labels[BPG_METRICS_LABEL_TEXT];	/* a="x",b="y" */
	_Atomic long long value;	/* counter, gauge; histogram: count */
	_Atomic unsigned long long sum_ns;
	/* Per bucket (not cumulative); the last one counts above all. */
	_Atomic unsigned long long bucket[BPG_METRICS_MAX_BUCKETS];
};

struct bpg_metrics {
	size_t maplen;
	/* bpg_metrics_dropped_total: outside the table it counts for. */
	_Atomic long long dropped;
	struct cell cells[BPG_METRICS_CELLS];
};

enum bpg_err
bpg_metrics_new_shared(struct bpg_metrics **out, struct bpg_errinfo *ei)
{
	struct bpg_metrics *m;
	long page = sysconf(_SC_PAGESIZE);
	size_t len = sizeof(*m);

	*out = NULL;
	if (page > 0)
		len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	/* Anonymous pages are zero: every cell unused, every count 0. */
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (m == MAP_FAILED)
		return bpg_errf(ei, BPG_ENOMEM, "metrics: cannot map shared "
		    "memory");
	m->maplen = len;
	*out = m;
	return BPG_OK;
}

void
bpg_metrics_free(struct bpg_metrics *m)
{
	if (m != NULL)
		munmap(m, m->maplen);
}

const char *
bpg_metrics_name(enum bpg_metric id)
{
	return (unsigned int)id < BPG_METRIC__MAX ? descs[id].name : NULL;
}

/* Whether any of the 8 bytes of x is a backslash, a double quote or a
 * line feed: the bytes a label value escapes. */
static inline bool
any_escaped8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\'),
	    l = x ^ (ones * '\n');

	return (((q - ones) & ~q) | ((b - ones) & ~b) | ((l - ones) & ~l)) &
	    highs;
}

/*
 * Appends value v (n bytes) to out at *o, escaped as the text format 0.0.4
 * says (backslash, double quote and line feed as \\, \" and \n), leaving
 * room for two more bytes.  false when it does not fit.
 */
static bool
label_value(const char *v, size_t n, char *out, size_t outsz, size_t *o)
{
	size_t i = 0, k = *o;
	uint64_t x = 0;

	/* A short one (most are) at once when plain; the zeros added do
	 * not count as escaped. */
	if (n < 8) {
		memcpy(&x, v, n);
		if (!any_escaped8(x)) {
			if (k + n + 2 >= outsz)
				return false;
			memcpy(out + k, v, n);
			*o = k + n;
			return true;
		}
	}
	/* Plain runs of 8 go as they are; the rest a byte at a time. */
	while (n - i >= 8) {
		memcpy(&x, v + i, 8);
		if (any_escaped8(x))
			break;
		if (k + 8 + 2 >= outsz)
			return false;
		memcpy(out + k, v + i, 8);
		k += 8;
		i += 8;
	}
	for (; i < n; i++) {
		const char *esc = v[i] == '\\' ? "\\\\" : v[i] == '"' ?
		    "\\\"" : v[i] == '\n' ? "\\n" : NULL;
		size_t el = esc != NULL ? 2 : 1;

		if (k + el + 2 >= outsz)
			return false;
		if (esc != NULL)
			memcpy(out + k, esc, 2);
		else
			out[k] = v[i];
		k += el;
	}
	*o = k;
	return true;
}

/*
 * The label text of lv for d: name="value",... with each value escaped
 * (label_value()).  Its length in *len; false when it does not fit.
 */
static bool
label_text(const struct desc *d, const char *const *lv, char *out,
    size_t outsz, size_t *len)
{
	const char *name = d->labels, *v;
	size_t o = 0, i, nl;

	out[0] = '\0';
	for (i = 0; *name != '\0'; i++) {
		for (nl = 0; name[nl] != ',' && name[nl] != '\0'; nl++)
			;
		if (o + nl + 3 >= outsz)
			return false;
		if (i > 0)
			out[o++] = ',';
		memcpy(out + o, name, nl);
		o += nl;
		out[o++] = '=';
		out[o++] = '"';
		v = lv[i] != NULL ? lv[i] : "";
		if (!label_value(v, strlen(v), out, outsz, &o))
			return false;
		out[o++] = '"';
		name += nl;
		if (*name == ',')
			name++;
	}
	out[o] = '\0';
	*len = o;
	return true;
}

/* A 64-bit hash of the metric and its label text (n bytes), eight bytes
 * a step, finished with MurmurHash3's fmix64; never 0. */
static unsigned long long
series_hash(unsigned int metric, const char *text, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ULL;
	uint64_t h = (metric + 1) * k ^ n, x;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, text + i, 8);
		h = (h ^ x) * k;
		h ^= h >> 29;
	}
	if (i < n) {
		x = 0;
		memcpy(&x, text + i, n - i);
		h = (h ^ x) * k;
		h ^= h >> 29;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb3fe1a85ec53ULL;
	h ^= h >> 33;
	return h == 0 ? 1 : h;
}

/* The cell of (id, lv), claimed if new; NULL when it cannot be had. */
static struct cell *
series(struct bpg_metrics *m, enum bpg_metric id, const char *const *lv)
{
	char text[BPG_METRICS_LABEL_TEXT];
	unsigned long long h, k;
	struct cell *c;
	size_t i, start, len;

	if ((unsigned int)id >= BPG_METRIC__MAX || id == BPG_METRIC_DROPPED)
		return NULL;
	if (descs[id].labels[0] != '\0' && lv == NULL)
		return NULL;
	if (!label_text(&descs[id], lv, text, sizeof(text), &len))
		return NULL;
	h = series_hash((unsigned int)id, text, len);
	start = (size_t)(h % BPG_METRICS_CELLS);
	for (i = 0; i < BPG_METRICS_CELLS; i++) {
		c = &m->cells[(start + i) % BPG_METRICS_CELLS];
		k = atomic_load(&c->key);
		if (k == 0) {
			/* On failure k is the key another process put. */
			if (atomic_compare_exchange_strong(&c->key, &k, h)) {
				c->metric = (unsigned int)id;
				memcpy(c->labels, text, len + 1);
				atomic_store_explicit(&c->ready, 1,
				    memory_order_release);
				return c;
			}
		}
		if (k == h)
			return c;
	}
	return NULL;
}

static void
dropped(struct bpg_metrics *m)
{
	atomic_fetch_add(&m->dropped, 1);
}

void
bpg_metrics_add(struct bpg_metrics *m, enum bpg_metric id,
    const char *const *lv, int64_t n)
{
	struct cell *c;

	if (m == NULL)
		return;
	if ((unsigned int)id >= BPG_METRIC__MAX ||
	    descs[id].type == BPG_METRIC_HISTOGRAM ||
	    (c = series(m, id, lv)) == NULL) {
		dropped(m);
		return;
	}
	atomic_fetch_add(&c->value, (long long)n);
}

void
bpg_metrics_set(struct bpg_metrics *m, enum bpg_metric id,
    const char *const *lv, int64_t v)
{
	struct cell *c;

	if (m == NULL)
		return;
	if ((unsigned int)id >= BPG_METRIC__MAX ||
	    descs[id].type != BPG_METRIC_GAUGE ||
	    (c = series(m, id, lv)) == NULL) {
		dropped(m);
		return;
	}
	atomic_store(&c->value, (long long)v);
}

void
bpg_metrics_observe(struct bpg_metrics *m, enum bpg_metric id,
    const char *const *lv, double v)
{
	struct cell *c;
	size_t i, nb;
	const double *b;

	if (m == NULL)
		return;
	if ((unsigned int)id >= BPG_METRIC__MAX ||
	    descs[id].type != BPG_METRIC_HISTOGRAM ||
	    (c = series(m, id, lv)) == NULL) {
		dropped(m);
		return;
	}
	/* !(v > 0) also takes NaN; 1e9 s (31 years) at most. */
	if (!(v > 0))
		v = 0;
	if (v > 1e9)
		v = 1e9;
	b = bucket_sets[descs[id].buckets].b;
	nb = bucket_sets[descs[id].buckets].n;
	for (i = 0; i < nb && v > b[i]; i++)
		;
	atomic_fetch_add(&c->bucket[i], 1);
	atomic_fetch_add(&c->sum_ns, (unsigned long long)llround(v * 1e9));
	atomic_fetch_add(&c->value, 1);
}

/* ---- rendering ---------------------------------------------------- */

static enum bpg_err put(struct bpg_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum bpg_err
put(struct bpg_buf *out, const char *fmt, ...)
{
	char line[BPG_METRICS_LABEL_TEXT + 256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		return BPG_ENOMEM;
	return bpg_buf_append(out, line, (size_t)n, 0);
}

/*
 * An upper bound as Prometheus' own clients print one ("0.005", "1",
 * "60", "0.0025"): the bounds above have at most four decimals.
 */
static void
fmt_le(char *dst, size_t n, double v)
{
	size_t len;

	snprintf(dst, n, "%.6f", v);
	len = strlen(dst);
	while (len > 0 && dst[len - 1] == '0')
		dst[--len] = '\0';
	if (len > 0 && dst[len - 1] == '.')
		dst[--len] = '\0';
}

static enum bpg_err
render_histogram(const struct desc *d, const struct cell *c,
    struct bpg_buf *out)
{
	const double *b = bucket_sets[d->buckets].b;
	size_t i, nb = bucket_sets[d->buckets].n;
	unsigned long long cum = 0, sum;
	const char *sep = c->labels[0] != '\0' ? "," : "";
	char le[40];
	enum bpg_err e;

	for (i = 0; i <= nb; i++) {
		cum += atomic_load(&c->bucket[i]);
		if (i < nb)
			fmt_le(le, sizeof(le), b[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		if ((e = put(out, "%s_bucket{%s%sle=\"%s\"} %llu\n", d->name,
		    c->labels, sep, le, cum)) != BPG_OK)
			return e;
	}
	sum = atomic_load(&c->sum_ns);
	/*
	 * _count is the +Inf bucket's count, so that the two agree in one
	 * scrape even while another process observes (the text format
	 * requires them equal).
	 */
	if ((e = put(out, "%s_sum%s%s%s %llu.%09llu\n", d->name,
	    c->labels[0] ? "{" : "", c->labels, c->labels[0] ? "}" : "",
	    sum / 1000000000ULL, sum % 1000000000ULL)) != BPG_OK)
		return e;
	return put(out, "%s_count%s%s%s %llu\n", d->name,
	    c->labels[0] ? "{" : "", c->labels, c->labels[0] ? "}" : "", cum);
}

/* Whether metric id belongs to the programs of mask. */
static bool
in_mask(enum bpg_metric id, unsigned int mask)
{
	unsigned int prog;

	if (id == BPG_METRIC_BUILD_INFO || id == BPG_METRIC_DROPPED)
		prog = BPG_METRICS_GATEWAY | BPG_METRICS_MONITOR;
	else if (id < BPG_METRIC_MON_APPS)
		prog = BPG_METRICS_GATEWAY;
	else
		prog = BPG_METRICS_MONITOR;
	return (prog & mask) != 0;
}

static const char *const type_names[] = {
	[BPG_METRIC_COUNTER] = "counter",
	[BPG_METRIC_GAUGE] = "gauge",
	[BPG_METRIC_HISTOGRAM] = "histogram",
};

enum bpg_err
bpg_metrics_render(const struct bpg_metrics *m, unsigned int mask,
    struct bpg_buf *out)
{
	const struct desc *d;
	const struct cell *c;
	unsigned int id;
	size_t i;
	bool any;
	enum bpg_err e;

	for (id = 0; id < BPG_METRIC__MAX; id++) {
		if (!in_mask((enum bpg_metric)id, mask))
			continue;
		d = &descs[id];
		if ((e = put(out, "# HELP %s %s\n# TYPE %s %s\n", d->name,
		    d->help, d->name, type_names[d->type])) != BPG_OK)
			return e;
		any = false;
		for (i = 0; i < BPG_METRICS_CELLS; i++) {
			c = &m->cells[i];
			if (!atomic_load_explicit(&c->ready,
			    memory_order_acquire) || c->metric != id)
				continue;
			any = true;
			if (d->type == BPG_METRIC_HISTOGRAM)
				e = render_histogram(d, c, out);
			else
				e = put(out, "%s%s%s%s %lld\n", d->name,
				    c->labels[0] ? "{" : "", c->labels,
				    c->labels[0] ? "}" : "",
				    (long long)atomic_load(&c->value));
			if (e != BPG_OK)
				return e;
		}
		/* A metric without labels has its one series from the start. */
		if (!any && d->labels[0] == '\0') {
			struct cell zero;

			memset(&zero, 0, sizeof(zero));
			if (d->type == BPG_METRIC_HISTOGRAM)
				e = render_histogram(d, &zero, out);
			else
				e = put(out, "%s %lld\n", d->name,
				    id == BPG_METRIC_DROPPED ?
				    (long long)atomic_load(&m->dropped) : 0);
			if (e != BPG_OK)
				return e;
		}
	}
	return bpg_buf_append(out, "", 0, 0);
}
