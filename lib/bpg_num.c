/*
 * Whole numbers as Java reads them (bpg_num.h).
 */
#include <stddef.h>

#include <string.h>

#include "bpg_num.h"

bool
bpg_parse_long(const char *s, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	bool neg = false;

	if (s == NULL)
		return false;
	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	if (s[i] == '\0')
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return true;
}

bool
bpg_parse_int(const char *s, int64_t *out)
{
	int64_t v;

	if (!bpg_parse_long(s, &v) || v > INT32_MAX || v < INT32_MIN)
		return false;
	*out = v;
	return true;
}

size_t
bpg_fmt_ll(char *buf, long long v)
{
	char num[BPG_FMT_LL_MAX];
	size_t i = sizeof(num), n;
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		num[--i] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		num[--i] = '-';
	n = sizeof(num) - i;
	memcpy(buf, num + i, n);
	buf[n] = '\0';
	return n;
}
