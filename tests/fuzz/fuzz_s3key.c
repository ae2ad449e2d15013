/*
 * libFuzzer target: the upload name and folder check
 * (bpg_s3_check_key_part), which sees client input of POST /s3/{name},
 * and the SigV4 URI encoder (bpg_s3_uri_encode), which turns keys into
 * request paths.  Besides memory errors, it checks what each promises:
 * an accepted key part breaks none of the rules, checked here byte by
 * byte; an encoding holds only unreserved characters and %XX escapes and
 * decodes back to the input; a buffer too small gives BPG_ETOOBIG and "".
 *
 * The first input byte picks options; the rest is the string.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1; /* lower case is not canonical (SigV4) */
}

/*
 * Well-formed UTF-8 by the byte table of RFC 3629 section 4 (the library
 * decodes code points instead).
 */
static bool
utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;
	unsigned char lo, hi;

	while (i < n) {
		unsigned char c = s[i];

		lo = 0x80;
		hi = 0xbf;
		if (c <= 0x7f) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			if (c == 0xe0)
				lo = 0xa0;
			if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			if (c == 0xf0)
				lo = 0x90;
			if (c == 0xf4)
				hi = 0x8f;
		} else
			return false;
		if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (k = 2; k < len; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += len;
	}
	return true;
}

/* Independent re-check of an accepted key part. */
static void
check_accepted(const char *s)
{
	size_t n = strlen(s), i, seg;

	if (n == 0 || n > BPG_S3_MAX_KEY || s[0] == '/' || s[n - 1] == '/')
		abort();
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			abort();
		/* C1 controls, U+0080..U+009F, are C2 80..C2 9F. */
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			abort();
	}
	if (!utf8_ok((const unsigned char *)s, n))
		abort();
	for (i = 0; i < n; i += seg + 1) {
		seg = strcspn(s + i, "/");
		if (seg == 0 || (seg == 1 && s[i] == '.') ||
		    (seg == 2 && s[i] == '.' && s[i + 1] == '.'))
			abort();
	}
}

static void
fuzz_key_part(const char *s)
{
	struct bpg_errinfo ei;
	size_t i;

	ei.msg[0] = '\0';
	if (bpg_s3_check_key_part(s, "name", &ei) == BPG_OK) {
		check_accepted(s);
		return;
	}
	/* A message, NUL-terminated, naming no raw input byte. */
	if (ei.msg[0] == '\0' || memchr(ei.msg, '\0', sizeof(ei.msg)) == NULL)
		abort();
	if (strncmp(ei.msg, "name ", 5) != 0)
		abort();
	for (i = 0; ei.msg[i] != '\0'; i++)
		if (ei.msg[i] < 0x20 || ei.msg[i] > 0x7e)
			abort();
}

static void
fuzz_encode(const char *s, size_t n, bool keep_slash, size_t short_by)
{
	size_t cap = 3 * n + 1, len = 0, i, j;
	char *dst = malloc(cap);
	char *small;

	if (dst == NULL)
		return;
	if (bpg_s3_uri_encode(s, n, keep_slash, dst, cap, &len) != BPG_OK)
		abort();
	if (len > 3 * n || dst[len] != '\0' || strlen(dst) != len)
		abort();
	/* Decode and compare: the encoding is exact and reversible. */
	for (i = j = 0; i < len; j++) {
		unsigned char c = (unsigned char)dst[i];

		if (j >= n)
			abort();
		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				abort();
			hi = hexval((unsigned char)dst[i + 1]);
			lo = hexval((unsigned char)dst[i + 2]);
			if (hi < 0 || lo < 0)
				abort();
			c = (unsigned char)(hi << 4 | lo);
			/* Nothing is escaped that need not be. */
			if (unreserved(c) || (c == '/' && keep_slash))
				abort();
			i += 3;
		} else {
			if (!unreserved(c) && !(c == '/' && keep_slash))
				abort();
			i++;
		}
		if ((unsigned char)s[j] != c)
			abort();
	}
	if (j != n)
		abort();

	/* One byte less than needed, or fewer: refused, cleanly. */
	if (short_by > len + 1)
		short_by = len + 1;
	if (short_by > 0) {
		size_t slen = len + 1 - short_by;

		if ((small = malloc(slen > 0 ? slen : 1)) != NULL) {
			if (bpg_s3_uri_encode(s, n, keep_slash, small, slen,
				&len) != BPG_ETOOBIG)
				abort();
			if (len != 0 || (slen > 0 && small[0] != '\0'))
				abort();
			free(small);
		}
	}
	free(dst);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t n;

	if (size == 0)
		return 0;
	n = size - 1;
	if ((s = malloc(n + 1)) == NULL)
		return 0;
	memcpy(s, data + 1, n);
	s[n] = '\0';
	/* The key part check reads a C string: up to the first NUL. */
	fuzz_key_part(s);
	/* The encoder takes a length: NUL bytes are data. */
	fuzz_encode(s, n, (data[0] & 1) != 0, (size_t)(data[0] >> 1) & 7);
	free(s);
	return 0;
}
