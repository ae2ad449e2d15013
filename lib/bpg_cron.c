/*
 * Cron expressions: the parser, the zone check, and fire times.
 *
 * Fire times are found field by field on the calendar (month, day, hour,
 * minute: a jump to the next set bit, never a walk minute by minute), on
 * the "naive" local time of a stretch of constant UTC offset; where the
 * offset changes before the candidate, the search goes on from the
 * change with the new offset.  That gives robfig/cron v3's results at the
 * DST changes (see bpg_cron.h) for any zone glibc knows.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpg_cron.h"
#include "bpg_label.h"

#define DAY_S 86400
#define SHOW_MAX 32	/* bytes of a bad token shown in a message */
#define DEFAULT_TZDIR "/usr/share/zoneinfo"

enum { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, F__MAX };

static const char *const month_names[] = { "jan", "feb", "mar", "apr",
	"may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const dow_names[] = { "sun", "mon", "tue", "wed", "thu",
	"fri", "sat", NULL };

/*
 * min..max are the values a token may name; end is where '*' and "a/n"
 * stop (day-of-week: 6, 7 being only another name of Sunday); nvals
 * bounds a step.  names[i] is the value first + i.
 */
static const struct field {
	const char *name;
	int min, max, end, nvals;
	const char *const *names;
	int first;
	bool query;	/* '?' allowed */
} fields[F__MAX] = {
	[F_MINUTE] = { "minute", 0, 59, 59, 60, NULL, 0, false },
	[F_HOUR] = { "hour", 0, 23, 23, 24, NULL, 0, false },
	[F_DOM] = { "day-of-month", 1, 31, 31, 31, NULL, 0, true },
	[F_MONTH] = { "month", 1, 12, 12, 12, month_names, 1, false },
	[F_DOW] = { "day-of-week", 0, 7, 6, 7, dow_names, 0, true },
};

static const struct {
	const char *name, *expr;
} descriptors[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/*
 * s[0..n) as a message shows it: printable ASCII but quote and backslash
 * as they are, other bytes as \xNN, cut after SHOW_MAX bytes with "...".
 */
static const char *
show(char *dst, size_t size, const char *s, size_t n)
{
	size_t i, o = 0;
	unsigned char ch;

	for (i = 0; i < n && i < SHOW_MAX && o + 5 < size; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch <= 0x7e && ch != '\'' && ch != '\\')
			dst[o++] = (char)ch;
		else
			o += (size_t)snprintf(dst + o, size - o, "\\x%02x", ch);
	}
	if (i < n && o + 4 <= size) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o] = '\0';
	return dst;
}

static bool
is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* ---- fields --------------------------------------------------------- */

/*
 * The value of s[0..n): decimal digits (saturating above 9999) or, where
 * the field has names, one of them in any case.  -1 when it is neither.
 */
static int
value(const struct field *f, const char *s, size_t n)
{
	size_t i;
	int v = 0;

	if (n == 0)
		return -1;
	if (isdigit((unsigned char)s[0])) {
		for (i = 0; i < n; i++) {
			if (!isdigit((unsigned char)s[i]))
				return -1;
			if (v <= 9999)
				v = v * 10 + (s[i] - '0');
		}
		return v;
	}
	if (f->names == NULL || n != 3)
		return -1;
	for (i = 0; f->names[i] != NULL; i++)
		if (strncasecmp(f->names[i], s, 3) == 0)
			return f->first + (int)i;
	return -1;
}

/*
 * A value of the field, s[0..n), checked against its range; a bad token
 * is shown as the whole item it is part of, item[0..in).
 */
static enum bpg_err
bounded(const struct field *f, const char *s, size_t n, const char *item,
    size_t in, int *out, struct bpg_errinfo *ei)
{
	char tok[SHOW_MAX * 4 + 8];

	*out = value(f, s, n);
	if (*out < 0)
		return bpg_errf(ei, BPG_EINVAL, "cron: field '%s': bad token "
		    "'%s'", f->name, show(tok, sizeof(tok), item, in));
	if (*out < f->min || *out > f->max)
		return bpg_errf(ei, BPG_EINVAL, "cron: field '%s': value %s "
		    "out of range %d-%d", f->name,
		    show(tok, sizeof(tok), s, n), f->min, f->max);
	return BPG_OK;
}

/* One item of a list: "*", "?", "a", "a-b", each with an optional "/n". */
static enum bpg_err
item(const struct field *f, const char *s, size_t n, uint64_t *bits,
    bool *star, struct bpg_errinfo *ei)
{
	char tok[SHOW_MAX * 4 + 8];
	const char *slash, *dash;
	size_t rn;
	int lo, hi, step = 1, v;
	bool any = false;
	enum bpg_err e;

	if (n == 0)
		return bpg_errf(ei, BPG_EINVAL, "cron: field '%s': empty list "
		    "item", f->name);
	slash = memchr(s, '/', n);
	rn = slash != NULL ? (size_t)(slash - s) : n;
	if (rn == 1 && (s[0] == '*' || (s[0] == '?' && f->query))) {
		any = true;
		lo = f->min;
		hi = f->end;
	} else if ((dash = memchr(s, '-', rn)) != NULL) {
		if ((e = bounded(f, s, (size_t)(dash - s), s, n, &lo,
		    ei)) != BPG_OK || (e = bounded(f, dash + 1,
		    rn - (size_t)(dash - s) - 1, s, n, &hi, ei)) != BPG_OK)
			return e;
		if (lo > hi)
			return bpg_errf(ei, BPG_EINVAL, "cron: field '%s': range "
			    "'%s' starts after it ends", f->name,
			    show(tok, sizeof(tok), s, rn));
	} else {
		if ((e = bounded(f, s, rn, s, n, &lo, ei)) != BPG_OK)
			return e;
		/* robfig: "a/n" is "a-<end>/n". */
		hi = slash != NULL ? (lo > f->end ? lo : f->end) : lo;
	}
	if (slash != NULL) {
		v = value(&fields[F_MINUTE], slash + 1, n - rn - 1);
		if (v < 0)
			return bpg_errf(ei, BPG_EINVAL, "cron: field '%s': bad "
			    "token '%s'", f->name, show(tok, sizeof(tok), s, n));
		if (v < 1 || v > f->nvals)
			return bpg_errf(ei, BPG_EINVAL, "cron: field '%s': step "
			    "%s out of range 1-%d", f->name, show(tok,
			    sizeof(tok), slash + 1, n - rn - 1), f->nvals);
		step = v;
	}
	for (v = lo; v <= hi; v += step)
		*bits |= (uint64_t)1 << v;
	if (any && step == 1)
		*star = true;
	return BPG_OK;
}

/* A field: items separated by ','. */
static enum bpg_err
field(const struct field *f, const char *s, size_t n, uint64_t *bits,
    bool *star, struct bpg_errinfo *ei)
{
	const char *comma;
	size_t len;
	enum bpg_err e;

	*bits = 0;
	*star = false;
	for (;;) {
		comma = memchr(s, ',', n);
		len = comma != NULL ? (size_t)(comma - s) : n;
		if ((e = item(f, s, len, bits, star, ei)) != BPG_OK)
			return e;
		if (comma == NULL)
			return BPG_OK;
		s += len + 1;
		n -= len + 1;
	}
}

static bool
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int64_t y, int m)
{
	static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/*
 * Whether the days of month can ever meet the months when the day of the
 * week does not help (it is '*': both must match).  Exact: 29 February
 * counts, since it comes every 4 to 8 years.
 */
static bool
ever_fires(const struct bpg_cron *c)
{
	int m, d;

	if (!c->dow_star || c->dom_star)
		return true;
	for (m = 1; m <= 12; m++)
		for (d = 1; d <= (m == 2 ? 29 : mdays(2001, m)); d++)
			if ((c->month >> m & 1) && (c->dom >> d & 1))
				return true;
	return false;
}

static enum bpg_err
fields5(struct bpg_cron *c, const char *s, size_t n, struct bpg_errinfo *ei)
{
	const char *tok[F__MAX];
	size_t len[F__MAX], i = 0, k = 0, start;
	uint64_t bits[F__MAX];
	bool star[F__MAX];
	enum bpg_err e;

	while (i < n) {
		while (i < n && is_space(s[i]))
			i++;
		if (i == n)
			break;
		start = i;
		while (i < n && !is_space(s[i]))
			i++;
		if (k < F__MAX) {
			tok[k] = s + start;
			len[k] = i - start;
		}
		k++;
	}
	if (k != F__MAX)
		return bpg_errf(ei, BPG_EINVAL, "cron: expected 5 fields "
		    "(minute hour day-of-month month day-of-week), got %zu", k);
	for (k = 0; k < F__MAX; k++)
		if ((e = field(&fields[k], tok[k], len[k], &bits[k], &star[k],
		    ei)) != BPG_OK)
			return e;
	c->minute = bits[F_MINUTE];
	c->hour = (uint32_t)bits[F_HOUR];
	c->dom = (uint32_t)bits[F_DOM];
	c->month = (uint16_t)bits[F_MONTH];
	/* 7 is Sunday too. */
	c->dow = (uint8_t)((bits[F_DOW] | bits[F_DOW] >> 7) & 0x7f);
	c->dom_star = star[F_DOM];
	c->dow_star = star[F_DOW];
	if (!ever_fires(c))
		return bpg_errf(ei, BPG_EINVAL, "cron: never fires: no month of "
		    "field 'month' has a day of field 'day-of-month'");
	return BPG_OK;
}

/* ---- @every: Go's time.ParseDuration, whole seconds ------------------- */

static const struct {
	const char *name;
	uint64_t ns;
} units[] = {
	{ "ns", 1 },
	{ "us", 1000 },
	{ "\xc2\xb5s", 1000 },	/* U+00B5 micro sign */
	{ "\xce\xbcs", 1000 },	/* U+03BC Greek mu */
	{ "ms", 1000000 },
	{ "s", 1000000000 },
	{ "m", 60ULL * 1000000000 },
	{ "h", 3600ULL * 1000000000 },
};

#define NS_MAX ((uint64_t)BPG_CRON_EVERY_MAX_S * 1000000000)

static enum bpg_err
duration(struct bpg_cron *c, const char *s, size_t n, struct bpg_errinfo *ei)
{
	char tok[SHOW_MAX * 4 + 8];
	uint64_t total = 0, ip, fp, scale, q, r, unit;
	size_t i = 0, j, ulen, u, best;
	bool digits, inexact = false;

	if (n == 0)
		return bpg_errf(ei, BPG_EINVAL, "cron: field '@every': missing "
		    "duration");
	if (n == 1 && s[0] == '0')
		goto small;
	while (i < n) {
		ip = 0;
		fp = 0;
		scale = 1;
		digits = false;
		/* Beyond NS_MAX (3.2e16) the value is too long anyway. */
		for (; i < n && isdigit((unsigned char)s[i]); i++, digits = true)
			if (ip <= NS_MAX)
				ip = ip * 10 + (uint64_t)(s[i] - '0');
		if (i < n && s[i] == '.') {
			for (i++; i < n && isdigit((unsigned char)s[i]); i++) {
				digits = true;
				if (scale < 1000000000) {
					fp = fp * 10 + (uint64_t)(s[i] - '0');
					scale *= 10;
				} else if (s[i] != '0')
					inexact = true;
			}
		}
		if (!digits)
			goto bad;
		for (j = i; j < n && !isdigit((unsigned char)s[j]) &&
		    s[j] != '.'; j++)
			;
		ulen = j - i;
		best = sizeof(units) / sizeof(units[0]);
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (strlen(units[u].name) == ulen &&
			    memcmp(units[u].name, s + i, ulen) == 0)
				best = u;
		if (best == sizeof(units) / sizeof(units[0]))
			goto bad;
		unit = units[best].ns;
		i = j;
		if (ip > NS_MAX / unit)
			goto big;
		total += ip * unit;
		/* fp / scale of a unit, exactly: unit = q * scale + r. */
		q = unit / scale;
		r = unit % scale;
		total += fp * q + fp * r / scale;
		if (fp * r % scale != 0)
			inexact = true;
		if (total > NS_MAX)
			goto big;
	}
	if (total < (uint64_t)BPG_CRON_EVERY_MIN_S * 1000000000)
		goto small;
	if (inexact || total % 1000000000 != 0)
		return bpg_errf(ei, BPG_EINVAL, "cron: field '@every': duration "
		    "'%s' is not a whole number of seconds",
		    show(tok, sizeof(tok), s, n));
	c->every = true;
	c->period_s = (int64_t)(total / 1000000000);
	return BPG_OK;
small:
	return bpg_errf(ei, BPG_EINVAL, "cron: field '@every': duration '%s' "
	    "is below the minimum of %ds", show(tok, sizeof(tok), s, n),
	    BPG_CRON_EVERY_MIN_S);
big:
	return bpg_errf(ei, BPG_EINVAL, "cron: field '@every': duration '%s' "
	    "is above the maximum of %dh", show(tok, sizeof(tok), s, n),
	    BPG_CRON_EVERY_MAX_S / 3600);
bad:
	return bpg_errf(ei, BPG_EINVAL, "cron: field '@every': bad duration "
	    "'%s' (a Go duration such as 30s, 1m30s or 2h)",
	    show(tok, sizeof(tok), s, n));
}

enum bpg_err
bpg_cron_parse_n(struct bpg_cron *c, const char *expr, size_t n,
    struct bpg_errinfo *ei)
{
	char tok[SHOW_MAX * 4 + 8];
	struct bpg_cron p;
	size_t i, w;
	enum bpg_err e;

	if (n > BPG_CRON_MAX_LEN)
		return bpg_errf(ei, BPG_EINVAL, "cron: expression longer than "
		    "%d bytes", BPG_CRON_MAX_LEN);
	while (n > 0 && is_space(expr[0])) {
		expr++;
		n--;
	}
	while (n > 0 && is_space(expr[n - 1]))
		n--;
	if (n == 0)
		return bpg_errf(ei, BPG_EINVAL, "cron: empty expression");
	memset(&p, 0, sizeof(p));
	memcpy(p.zone, "UTC", 4);
	if (expr[0] != '@') {
		if ((e = fields5(&p, expr, n, ei)) != BPG_OK)
			return e;
		*c = p;
		return BPG_OK;
	}
	for (w = 0; w < n && !is_space(expr[w]); w++)
		;
	if (w == 6 && strncasecmp(expr, "@every", 6) == 0) {
		for (i = w; i < n && is_space(expr[i]); i++)
			;
		for (w = i; w < n && !is_space(expr[w]); w++)
			;
		if (w < n)
			return bpg_errf(ei, BPG_EINVAL, "cron: field '@every': "
			    "one duration expected, got '%s'",
			    show(tok, sizeof(tok), expr + i, n - i));
		if ((e = duration(&p, expr + i, n - i, ei)) != BPG_OK)
			return e;
		*c = p;
		return BPG_OK;
	}
	for (i = 0; i < sizeof(descriptors) / sizeof(descriptors[0]); i++)
		if (strlen(descriptors[i].name) == n &&
		    strncasecmp(descriptors[i].name, expr, n) == 0) {
			if ((e = fields5(&p, descriptors[i].expr,
			    strlen(descriptors[i].expr), ei)) != BPG_OK)
				return e;
			*c = p;
			return BPG_OK;
		}
	for (i = 0; i < sizeof(descriptors) / sizeof(descriptors[0]); i++)
		if (strlen(descriptors[i].name) == w &&
		    strncasecmp(descriptors[i].name, expr, w) == 0) {
			while (is_space(expr[w]))
				w++;
			return bpg_errf(ei, BPG_EINVAL, "cron: unexpected '%s' "
			    "after '%s'", show(tok, sizeof(tok), expr + w,
			    n - w), descriptors[i].name);
		}
	return bpg_errf(ei, BPG_EINVAL, "cron: unknown shortcut '%s' (@yearly, "
	    "@annually, @monthly, @weekly, @daily, @midnight, @hourly, @every "
	    "<duration>)", show(tok, sizeof(tok), expr, w));
}

/* ---- zones ------------------------------------------------------------ */

enum bpg_err
bpg_cron_zone_n(struct bpg_cron *c, const char *tz, size_t n,
    struct bpg_errinfo *ei)
{
	char tok[SHOW_MAX * 4 + 8], path[PATH_MAX], magic[4];
	const char *dir;
	struct stat st;
	size_t i;
	ssize_t got;
	int fd, len;
	bool ok;

	if (n == 3 && memcmp(tz, "UTC", 3) == 0)
		goto set;
	if (n == 0)
		return bpg_errf(ei, BPG_EINVAL, "timezone: empty name");
	if (n > BPG_CRON_TZ_MAX)
		return bpg_errf(ei, BPG_EINVAL, "timezone: name longer than %d "
		    "bytes", BPG_CRON_TZ_MAX);
	/*
	 * IANA names are '/'-separated parts of [A-Za-z0-9_+-] (tz-link,
	 * "Names of timezones"): no '.', so no "..", and no empty part, so
	 * no leading '/' (an absolute path) nor "//".
	 */
	ok = tz[0] != '/' && tz[n - 1] != '/';
	for (i = 0; ok && i < n; i++) {
		if (tz[i] == '/')
			ok = tz[i + 1] != '/';
		else
			ok = (tz[i] >= 'a' && tz[i] <= 'z') ||
			    (tz[i] >= 'A' && tz[i] <= 'Z') ||
			    (tz[i] >= '0' && tz[i] <= '9') || tz[i] == '_' ||
			    tz[i] == '-' || tz[i] == '+';
	}
	if (!ok)
		return bpg_errf(ei, BPG_EINVAL, "timezone: '%s' is not a time "
		    "zone name (such as UTC or Europe/Berlin)",
		    show(tok, sizeof(tok), tz, n));
	/* The file glibc would read for TZ=":<name>". */
	if ((dir = getenv("TZDIR")) == NULL || dir[0] == '\0')
		dir = DEFAULT_TZDIR;
	len = snprintf(path, sizeof(path), "%s/%.*s", dir, (int)n, tz);
	if (len < 0 || (size_t)len >= sizeof(path))
		goto unknown;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		goto unknown;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	if (ok) {
		do
			got = read(fd, magic, sizeof(magic));
		while (got < 0 && errno == EINTR);
		/* RFC 8536 section 3.1: a TZif file starts with "TZif". */
		ok = got == 4 && memcmp(magic, "TZif", 4) == 0;
	}
	close(fd);
	if (!ok)
		goto unknown;
set:
	memcpy(c->zone, tz, n);
	c->zone[n] = '\0';
	return BPG_OK;
unknown:
	return bpg_errf(ei, BPG_EINVAL, "timezone: unknown time zone '%s'",
	    show(tok, sizeof(tok), tz, n));
}

/* ---- calendar (proleptic Gregorian, days since 1970-01-01) ------------ */

struct civil {
	int64_t y;
	int mo, d, h, mi, wd;
};

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static void
civil_from_secs(int64_t s, struct civil *c)
{
	int64_t z = floordiv(s, DAY_S), sod = s - z * DAY_S;
	int64_t era, doe, yoe, doy, mp;

	c->wd = (int)(((z % 7) + 11) % 7);	/* 1970-01-01: Thursday */
	c->h = (int)(sod / 3600);
	c->mi = (int)(sod % 3600 / 60);
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	c->d = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->mo = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->y = yoe + era * 400 + (c->mo <= 2);
}

static int
weekday(int64_t y, int m, int d)
{
	return (int)(((bpg_days_from_civil(y, m, d) % 7) + 11) % 7);
}

static bool
day_matches(const struct bpg_cron *c, int64_t y, int m, int d)
{
	bool dom = c->dom >> d & 1, dow = c->dow >> weekday(y, m, d) & 1;

	/* robfig/cron v3 dayMatches(): either, unless one is '*'. */
	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

/* The lowest set bit of bits at or above from, or -1. */
static int
next_bit(uint64_t bits, int from)
{
	if (from > 63)
		return -1;
	bits &= ~(uint64_t)0 << from;
	return bits == 0 ? -1 : __builtin_ctzll(bits);
}

/*
 * The first naive local time (seconds, as if UTC; before 1970 in a zone
 * west of UTC) at or after l at which the fields match, in *out; false
 * if there is none before the year ylimit ends.
 */
static bool
local_next(const struct bpg_cron *c, int64_t l, int64_t ylimit,
    int64_t *out)
{
	struct civil t;
	int64_t y;
	int mo, d, h, mi, v;

	l = floordiv(l + 59, 60) * 60;
	civil_from_secs(l, &t);
	y = t.y;
	mo = t.mo;
	d = t.d;
	h = t.h;
	mi = t.mi;
	for (;;) {
		if (y > ylimit)
			return false;
		if ((v = next_bit(c->month, mo)) != mo) {
			if (v < 0) {
				y++;
				v = next_bit(c->month, 1);
			}
			mo = v;
			d = 1;
			h = mi = 0;
			continue;
		}
		if (d > mdays(y, mo)) {
			if (++mo > 12) {
				y++;
				mo = 1;
			}
			d = 1;
			h = mi = 0;
			continue;
		}
		if (!day_matches(c, y, mo, d)) {
			d++;
			h = mi = 0;
			continue;
		}
		if ((v = next_bit(c->hour, h)) < 0) {
			d++;
			h = mi = 0;
			continue;
		}
		if (v != h) {
			h = v;
			mi = 0;
		}
		if ((v = next_bit(c->minute, mi)) < 0) {
			mi = 0;
			if (++h == 24) {
				h = 0;
				d++;
			}
			continue;
		}
		*out = bpg_days_from_civil(y, mo, d) * DAY_S + h * 3600 +
		    v * 60;
		return true;
	}
}

/* ---- the zone switch: the one place that touches TZ ------------------- */

struct zone {
	bool utc;	/* no switch: offset 0 */
	bool had;	/* TZ was set before */
	char *old;	/* its value */
};

/*
 * Makes c's zone the local one (TZ=":<zone>" and tzset()), keeping what
 * to restore in *z.  Not thread-safe (bpg_cron.h).
 */
static enum bpg_err
zone_enter(const struct bpg_cron *c, struct zone *z)
{
	char tz[BPG_CRON_TZ_MAX + 2];
	const char *old;

	memset(z, 0, sizeof(*z));
	if (strcmp(c->zone, "UTC") == 0) {
		z->utc = true;
		return BPG_OK;
	}
	if ((old = getenv("TZ")) != NULL) {
		z->had = true;
		if ((z->old = strdup(old)) == NULL)
			return BPG_ENOMEM;
	}
	snprintf(tz, sizeof(tz), ":%s", c->zone);
	if (setenv("TZ", tz, 1) != 0) {
		free(z->old);
		return BPG_ENOMEM;
	}
	tzset();
	return BPG_OK;
}

static void
zone_leave(struct zone *z)
{
	if (z->utc)
		return;
	if (z->had)
		(void)setenv("TZ", z->old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(z->old);
	z->old = NULL;
}

/* UTC offset at t in the entered zone; false if localtime_r() fails. */
static bool
offset_at(const struct zone *z, int64_t t, int64_t *off)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (z->utc) {
		*off = 0;
		return true;
	}
	if (localtime_r(&tt, &tm) == NULL)
		return false;
	*off = tm.tm_gmtoff;
	return true;
}

/*
 * The first instant in (a, b] whose offset is not off, or 0 when there
 * is none.  Probes a day apart, then bisects: it assumes an offset lasts
 * more than a day.  In tzdata 2025 the shortest since 1970 lasts 6.96
 * days (Brazil in October 2000; Gaza's predicted Ramadan changes).
 */
static int64_t
offset_change(const struct zone *z, int64_t a, int64_t b, int64_t off)
{
	int64_t lo = a, hi, mid, o;

	if (z->utc)
		return 0;
	for (;;) {
		hi = b - lo > DAY_S ? lo + DAY_S : b;
		if (!offset_at(z, hi, &o))
			return 0;
		if (o != off)
			break;
		if (hi == b)
			return 0;
		lo = hi;
	}
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (offset_at(z, mid, &o) && o == off)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

static int64_t
year_of(int64_t t)
{
	struct civil c;

	civil_from_secs(t, &c);
	return c.y;
}

/* bpg_cron_next() of the fields, in the entered zone. */
static enum bpg_err
fields_next(const struct bpg_cron *c, const struct zone *z, int64_t t,
    int64_t *next)
{
	int64_t u = t + 1, off, l, cand, change;
	int64_t ylimit = year_of(t) + BPG_CRON_SEARCH_YEARS;
	int i;

	/* Each round passes an offset change: a few a year at most. */
	for (i = 0; i < 8 * BPG_CRON_SEARCH_YEARS; i++) {
		if (!offset_at(z, u, &off))
			return BPG_ENOTFOUND;
		if (!local_next(c, u + off, ylimit, &l))
			return BPG_ENOTFOUND;
		cand = l - off;
		if (cand > BPG_CRON_TIME_MAX)
			return BPG_ENOTFOUND;
		if ((change = offset_change(z, u, cand, off)) == 0) {
			*next = cand;
			return BPG_OK;
		}
		u = change;
	}
	return BPG_ENOTFOUND;
}

static enum bpg_err
every_next(const struct bpg_cron *c, int64_t anchor, int64_t t,
    int64_t *next)
{
	int64_t k = t < anchor ? 1 : (t - anchor) / c->period_s + 1;

	if (k > (BPG_CRON_TIME_MAX - anchor) / c->period_s)
		return BPG_ENOTFOUND;
	*next = anchor + k * c->period_s;
	return BPG_OK;
}

static bool
in_range(int64_t t)
{
	return t >= 0 && t <= BPG_CRON_TIME_MAX;
}

/*
 * What bpg_cron_parse_n() and bpg_cron_zone_n() leave: a struct made
 * otherwise (zeroed, say) would send the search past its tables.
 */
static bool
well_formed(const struct bpg_cron *c)
{
	if (memchr(c->zone, '\0', sizeof(c->zone)) == NULL)
		return false;
	if (c->every)
		return c->period_s >= BPG_CRON_EVERY_MIN_S &&
		    c->period_s <= BPG_CRON_EVERY_MAX_S;
	return (c->minute & ((1ULL << 60) - 1)) != 0 && c->minute >> 60 == 0 &&
	    (c->hour & 0xffffff) != 0 && c->hour >> 24 == 0 &&
	    (c->dom & 0xfffffffe) != 0 && (c->month & 0x1ffe) != 0 &&
	    c->month >> 13 == 0 && (c->dow & 0x7f) != 0 && ever_fires(c);
}

enum bpg_err
bpg_cron_next(const struct bpg_cron *c, time_t anchor, time_t t,
    time_t *next)
{
	struct zone z;
	int64_t n;
	enum bpg_err e;

	if (!in_range(t) || !in_range(anchor) || !well_formed(c))
		return BPG_EINVAL;
	if (c->every) {
		if ((e = every_next(c, anchor, t, &n)) == BPG_OK)
			*next = (time_t)n;
		return e;
	}
	if ((e = zone_enter(c, &z)) != BPG_OK)
		return e;
	if ((e = fields_next(c, &z, t, &n)) == BPG_OK)
		*next = (time_t)n;
	zone_leave(&z);
	return e;
}

enum bpg_err
bpg_cron_list(const struct bpg_cron *c, time_t anchor, time_t a, time_t b,
    time_t *out, size_t cap, size_t *n, bool *more)
{
	struct zone z;
	int64_t t = a, next;
	enum bpg_err e = BPG_OK;

	memset(&z, 0, sizeof(z));
	*n = 0;
	if (more != NULL)
		*more = false;
	if (!in_range(a) || !in_range(b) || !in_range(anchor) ||
	    !well_formed(c))
		return BPG_EINVAL;
	if (!c->every && (e = zone_enter(c, &z)) != BPG_OK)
		return e;
	while (t < b) {
		e = c->every ? every_next(c, anchor, t, &next) :
		    fields_next(c, &z, t, &next);
		if (e != BPG_OK || next > b)
			break;
		if (*n == cap) {
			if (more != NULL)
				*more = true;
			break;
		}
		out[(*n)++] = (time_t)next;
		t = next;
	}
	if (!c->every)
		zone_leave(&z);
	return e == BPG_ENOTFOUND ? BPG_OK : e;
}

bool
bpg_cron_matches(const struct bpg_cron *c, time_t t)
{
	struct zone z;
	struct civil l;
	int64_t off;
	bool ok;

	if (c->every || !in_range(t) || !well_formed(c) ||
	    zone_enter(c, &z) != BPG_OK)
		return false;
	ok = offset_at(&z, t, &off);
	zone_leave(&z);
	if (!ok)
		return false;
	if ((t + off) % 60 != 0)
		return false;
	civil_from_secs(t + off, &l);
	return (c->month >> l.mo & 1) && day_matches(c, l.y, l.mo, l.d) &&
	    (c->hour >> l.h & 1) && (c->minute >> l.mi & 1);
}
