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

static const char digits2[] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

size_t
bpg_fmt_ll(char *buf, long long v)
{
	unsigned long long u =
	    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v, t;
	size_t n = v < 0, i;

	/* Its length first, then the digits from the end, two a division:
	 * no copy. */
	for (t = u, n++; t >= 10; t /= 10)
		n++;
	buf[0] = '-';
	buf[n] = '\0';
	i = n;
	while (u >= 100) {
		size_t d = (size_t)(u % 100) * 2;

		u /= 100;
		buf[--i] = digits2[d + 1];
		buf[--i] = digits2[d];
	}
	if (u >= 10) {
		buf[--i] = digits2[u * 2 + 1];
		buf[--i] = digits2[u * 2];
	} else
		buf[--i] = (char)('0' + u);
	return n;
}
