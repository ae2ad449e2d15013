/* Kubernetes' name rules (see bpg_name.h). */
#include <string.h>

#include "bpg_limits.h"
#include "bpg_name.h"

/* RFC 1123 label bytes: 1 a lower-case letter or a digit, 2 a hyphen. */
#define ALNUM 1
#define HYPHEN 2
static const unsigned char dns[256] = {
	['-'] = HYPHEN,
	['0'] = ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM,
	ALNUM,
	['a'] = ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM,
	ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM,
	ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM, ALNUM,
};

static bool
lower_alnum(char c)
{
	return dns[(unsigned char)c] == ALNUM;
}

bool
bpg_name_label(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n == 0 || n > max || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (dns[(unsigned char)s[i]] == 0)
			return false;
	return true;
}

bool
bpg_name_subdomain(const char *s, size_t n, size_t max)
{
	const char *end = s + n, *dot;

	if (n == 0 || n > max)
		return false;
	for (;;) {
		dot = memchr(s, '.', (size_t)(end - s));
		/* IsDNS1123Subdomain: the pattern and the total length; a
		 * part may be longer than a label's 63. */
		if (!bpg_name_label(s, dot ? (size_t)(dot - s) :
		    (size_t)(end - s), max))
			return false;
		if (dot == NULL)
			return true;
		s = dot + 1;
	}
}

bool
bpg_name_app(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	return n > 0 && s[0] >= 'a' && s[0] <= 'z' &&
	    bpg_name_label(s, n, BPG_MAX_K8S_NAME);
}
