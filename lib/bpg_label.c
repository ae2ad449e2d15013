/*
 * Kubernetes label values and the times in the API's answers
 * (bpg-reference sections 2.21, 3.3).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_label.h"
#include "bpg_limits.h"

/* Label value bytes: 1 a letter or a digit, 2 '-', '_' or '.'. */
#define L_ALNUM 1
#define L_MID 2
static const unsigned char label_bytes[256] = {
	['-'] = L_MID, ['.'] = L_MID, ['_'] = L_MID,
	['0'] = L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM,
	L_ALNUM, L_ALNUM, L_ALNUM,
	['A'] = L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM,
	L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM,
	L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM,
	L_ALNUM, L_ALNUM, L_ALNUM,
	['a'] = L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM,
	L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM,
	L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM, L_ALNUM,
	L_ALNUM, L_ALNUM, L_ALNUM,
};

bool
bpg_label_alnum(unsigned char c)
{
	return label_bytes[c] == L_ALNUM;
}

bool
bpg_label_value_valid(const char *s)
{
	size_t i, n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n == 0)
		return true;
	if (n > BPG_MAX_LABEL_VALUE || !bpg_label_alnum((unsigned char)s[0]) ||
	    !bpg_label_alnum((unsigned char)s[n - 1]))
		return false;
	for (i = 1; i + 1 < n; i++)
		if (label_bytes[(unsigned char)s[i]] == 0)
			return false;
	return true;
}

/*
 * How many UTF-16 units the UTF-8 sequence at p stands for (1, or 2 above
 * U+FFFF), and its length in *len.  A byte that does not start a
 * well-formed sequence counts as one unit of one byte.
 */
static size_t
utf16_units(const unsigned char *p, size_t *len)
{
	size_t n, i;
	uint32_t cp;

	*len = 1;
	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 1, cp = *p & 0x1f;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 2, cp = *p & 0x0f;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 3, cp = *p & 0x07;
	else
		return 1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 1;
	*len = n + 1;
	return n == 3 ? 2 : 1;
}

bool
bpg_utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;

	for (; *p != '\0'; p += len) {
		len = 1;
		if (*p >= 0x80 && (utf16_units(p, &len), len == 1))
			return false;
	}
	return true;
}

/*
 * Java walks UTF-16 units; this walks UTF-8 and writes one '0' per unit a
 * non-ASCII character would have in Java (one for U+0080..U+FFFF, two
 * above), so well-formed input gives Java's result byte for byte.  A byte
 * that is not part of well-formed UTF-8 gives one '0'.  The output is
 * ASCII, so its 63 characters are 63 bytes.
 */
char *
bpg_label_normalize(const char *s)
{
	const unsigned char *p;
	char *out;
	size_t o = 0, units, len, i;

	if (s == NULL)
		return NULL;
	if ((out = malloc(BPG_MAX_LABEL_VALUE + 1)) == NULL)
		return NULL;
	for (p = (const unsigned char *)s; *p != '\0' &&
	    o < BPG_MAX_LABEL_VALUE; p += len) {
		units = utf16_units(p, &len);
		if (len == 1 && (bpg_label_alnum(*p) ||
		    (o > 0 && (*p == '-' || *p == '_' || *p == '.')))) {
			out[o++] = (char)*p;
			continue;
		}
		for (i = 0; i < units && o < BPG_MAX_LABEL_VALUE; i++)
			out[o++] = '0';
	}
	if (o > 0 && !bpg_label_alnum((unsigned char)out[o - 1]))
		out[o - 1] = '0';
	out[o] = '\0';
	return out;
}

char *
bpg_label_user(const char *user)
{
	if (user == NULL)
		return NULL;
	return bpg_label_value_valid(user) ? strdup(user) :
	    bpg_label_normalize(user);
}

/* Exactly n decimal digits at s. */
static bool
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

int64_t
bpg_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * "YYYY-MM-DDTHH:MM:SS[.fraction](Z|z|+HH:MM|-HH:MM)", the RFC 3339
 * date-time that Kubernetes writes; the fraction is cut to milliseconds.
 * Instants before 1970 are refused, since -1 is the "not a time" value.
 */
int64_t
bpg_time_parse_ms(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec, oh, om, ms = 0, i, dim;
	const char *p;
	int64_t t, off = 0;

	if (s == NULL || strlen(s) < 20)
		return -1;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (i = 0; *p >= '0' && *p <= '9'; p++, i++)
			if (i < 3)
				ms = ms * 10 + (*p - '0');
		for (; i < 3; i++)
			ms *= 10;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		off = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    digits(p + 1, 2, &oh) && p[3] == ':' && digits(p + 4, 2, &om) &&
	    oh <= 23 && om <= 59)
		off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	else
		return -1;
	if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
		return -1;
	dim = mdays[mo - 1];
	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	if (d < 1 || d > dim)
		return -1;
	t = bpg_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	    off;
	if (t < 0)
		return -1;
	return t * 1000 + ms;
}
