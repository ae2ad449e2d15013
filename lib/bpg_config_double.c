/*
 * Java's Double.toString(), which is how BPG turns a YAML float bound to a
 * String field into text (bpg-reference section 7.1): config values and
 * the request fields bound the same way print as BPG would print them.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_config.h"

static const uint64_t pow10_tab[] = {
	1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
	10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
	100000000000ULL, 1000000000000ULL, 10000000000000ULL,
	100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
	100000000000000000ULL,
};

static bool
reads_back(uint64_t m, int q, double x)
{
	char tmp[48];

	snprintf(tmp, sizeof(tmp), "%" PRIu64 "e%d", m, q);
	return strtod(tmp, NULL) == x;
}

/*
 * The decimal Java 19+ prints for x > 0 (finite): among the decimals that
 * round to x, those of the least length, but at least 2 digits; of those
 * the closest to x, ties to an even last digit.  (Java 18 and older
 * sometimes printed one digit more, JDK-4511638; the specification is the
 * shortest form and so is this.)  Result: x ~ m * 10^q.
 *
 * For each length p, printf's correctly rounded "%.*e" gives the p-digit
 * decimal nearest to x.  If it does not read back as x, the only other
 * candidate of that length is its neighbour on the far side of x (the
 * rounding interval is convex and contains x).
 */
static void
shortest_decimal(double x, uint64_t *mp, int *qp)
{
	char tmp[48], *dot, *e;
	uint64_t m, m2;
	int p, exp10, q, q2;

	for (p = 2; p <= 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*e", p - 1, x);
		/* "d.ddde+XX": digits before 'e', '.' skipped. */
		m = 0;
		for (dot = tmp; *dot != 'e'; dot++)
			if (*dot != '.')
				m = m * 10 + (uint64_t)(*dot - '0');
		e = dot + 1;
		exp10 = (int)strtol(e, NULL, 10);
		q = exp10 - (p - 1);
		if (strtod(tmp, NULL) == x) {
			*mp = m;
			*qp = q;
			return;
		}
		if (strtod(tmp, NULL) > x) {
			if (m == pow10_tab[p - 1]) {
				m2 = pow10_tab[p] - 1;
				q2 = q - 1;
			} else {
				m2 = m - 1;
				q2 = q;
			}
		} else {
			m2 = m + 1;
			q2 = q;
			if (m2 == pow10_tab[p]) {
				m2 = pow10_tab[p - 1];
				q2 = q + 1;
			}
		}
		if (reads_back(m2, q2, x)) {
			*mp = m2;
			*qp = q2;
			return;
		}
	}
	/* Not reached: 17 digits always read back.  Keep the 17. */
	snprintf(tmp, sizeof(tmp), "%.16e", x);
	m = 0;
	for (dot = tmp; *dot != 'e'; dot++)
		if (*dot != '.')
			m = m * 10 + (uint64_t)(*dot - '0');
	*mp = m;
	*qp = (int)strtol(dot + 1, NULL, 10) - 16;
}

size_t
bpg_config_java_double(double d, char *buf, size_t size)
{
	char out[BPG_JAVA_DOUBLE_MAX], digits[24];
	size_t n, len = 0, i;
	uint64_t m;
	int q, e;

	if (isnan(d))
		snprintf(out, sizeof(out), "NaN");
	else if (isinf(d))
		snprintf(out, sizeof(out), "%sInfinity", d < 0 ? "-" : "");
	else if (d == 0)
		snprintf(out, sizeof(out), "%s0.0", signbit(d) ? "-" : "");
	else {
		shortest_decimal(fabs(d), &m, &q);
		while (m >= 10 && m % 10 == 0) {
			m /= 10;
			q++;
		}
		n = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, m);
		e = q + (int)n - 1;	/* x = d.ddd * 10^e */
		if (signbit(d))
			out[len++] = '-';
		if (e >= 7 || e < -3) {
			/* Computerized scientific notation. */
			out[len++] = digits[0];
			out[len++] = '.';
			if (n == 1)
				out[len++] = '0';
			for (i = 1; i < n; i++)
				out[len++] = digits[i];
			snprintf(out + len, sizeof(out) - len, "E%d", e);
		} else if (e >= 0) {
			for (i = 0; i <= (size_t)e; i++)
				out[len++] = i < n ? digits[i] : '0';
			out[len++] = '.';
			if (n <= (size_t)e + 1)
				out[len++] = '0';
			for (i = (size_t)e + 1; i < n; i++)
				out[len++] = digits[i];
			out[len] = '\0';
		} else {
			out[len++] = '0';
			out[len++] = '.';
			for (i = 1; i < (size_t)-e; i++)
				out[len++] = '0';
			for (i = 0; i < n; i++)
				out[len++] = digits[i];
			out[len] = '\0';
		}
	}
	len = strlen(out);
	if (size > 0) {
		n = len < size - 1 ? len : size - 1;
		memcpy(buf, out, n);
		buf[n] = '\0';
	}
	return len;
}
