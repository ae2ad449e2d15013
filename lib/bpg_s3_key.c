/* S3 object keys and bucket names: what the client accepts (see bpg_s3.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bpg_s3_int.h"
/*
 * UTF-8 (RFC 3629 section 4)
 */

/*
 * Length of the well-formed UTF-8 sequence at p[0..n), n >= 1, storing its
 * code point in *cp; 0 if it is not well-formed (overlong forms,
 * surrogates, past U+10FFFF, truncated).
 */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	uint32_t c = p[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* C0 controls, DEL and C1 controls (Unicode general category Cc). */
static bool
is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * Check s: 1 to BPG_S3_MAX_KEY bytes of UTF-8 without control characters;
 * and, when part is true, the upload name and folder rules of
 * bpg_s3_check_key_part().
 */
enum bpg_err
s3_check_key(const char *s, const char *what, bool part, struct bpg_errinfo *ei)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i, len, seg;
	uint32_t cp;

	if (s == NULL || s[0] == '\0')
		return bpg_errf(ei, BPG_EINVAL, "%s is empty", what);
	n = strnlen(s, BPG_S3_MAX_KEY + 1);
	if (n > BPG_S3_MAX_KEY)
		return bpg_errf(ei, BPG_EINVAL, "%s is longer than %d bytes",
		    what, BPG_S3_MAX_KEY);
	for (i = 0; i < n; i += len) {
		if ((len = utf8_seq(p + i, n - i, &cp)) == 0)
			return bpg_errf(ei, BPG_EINVAL,
			    "%s is not valid UTF-8 (at byte %zu)", what, i);
		if (is_control(cp))
			return bpg_errf(ei, BPG_EINVAL,
			    "%s contains a control character (at byte %zu)",
			    what, i);
		if (part && cp == '\\')
			return bpg_errf(ei, BPG_EINVAL,
			    "%s contains a backslash (at byte %zu)", what, i);
	}
	if (!part)
		return BPG_OK;
	if (s[0] == '/')
		return bpg_errf(
		    ei, BPG_EINVAL, "%s must not start with '/'", what);
	if (s[n - 1] == '/')
		return bpg_errf(
		    ei, BPG_EINVAL, "%s must not end with '/'", what);
	/*
	 * Dot segments mean "this folder" and "the parent" to every tool
	 * that maps keys onto paths (RFC 3986 section 5.2.4, s3a, the
	 * console), and empty ones make keys that differ only by a '/'.
	 */
	for (i = 0; i < n; i += seg + 1) {
		seg = strcspn(s + i, "/");
		if (seg == 0)
			return bpg_errf(ei, BPG_EINVAL,
			    "%s contains an empty path segment (\"//\")", what);
		if (seg == 2 && s[i] == '.' && s[i + 1] == '.')
			return bpg_errf(ei, BPG_EINVAL,
			    "%s must not contain a \"..\" path segment", what);
		if (seg == 1 && s[i] == '.')
			return bpg_errf(ei, BPG_EINVAL,
			    "%s must not contain a \".\" path segment", what);
	}
	return BPG_OK;
}

enum bpg_err
bpg_s3_check_key_part(const char *s, const char *what, struct bpg_errinfo *ei)
{
	return s3_check_key(s, what != NULL ? what : "key part", true, ei);
}

/*
 * Bucket names (S3 "Bucket naming rules"): 3 to 63 characters of lower-case
 * letters, digits, '.' and '-', beginning and ending with a letter or
 * digit.  Checked because the name goes into the URL's path or host.
 */
enum bpg_err
s3_check_bucket(const char *b, struct bpg_errinfo *ei)
{
	size_t n, i;

	if (b == NULL || (n = strnlen(b, 64)) < 3 || n > 63)
		return bpg_errf(ei, BPG_EINVAL,
		    "bucket name must be 3 to 63 characters long");
	for (i = 0; i < n; i++) {
		char c = b[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && ((c != '.' && c != '-') || i == 0 || i == n - 1))
			return bpg_errf(ei, BPG_EINVAL,
			    "bucket name is not valid (S3 bucket naming "
			    "rules)");
	}
	return BPG_OK;
}

enum bpg_err
bpg_s3_uri_encode(const char *s, size_t n, bool keep_slash, char *dst,
    size_t dstlen, size_t *outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, j = 0;

	*outlen = 0;
	if (dstlen == 0)
		return BPG_ETOOBIG;
	dst[0] = '\0';
	if (s == NULL && n != 0)
		return BPG_EINVAL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (c == '/' && keep_slash)) {
			if (dstlen - j < 2)
				goto toobig;
			dst[j++] = (char)c;
		} else {
			if (dstlen - j < 4)
				goto toobig;
			dst[j++] = '%';
			dst[j++] = hex[c >> 4];
			dst[j++] = hex[c & 0x0f];
		}
	}
	dst[j] = '\0';
	*outlen = j;
	return BPG_OK;
toobig:
	dst[0] = '\0';
	return BPG_ETOOBIG;
}

/* A metadata name: 1 to BPG_S3_MAX_META_NAME of [a-z0-9-]. */
bool
s3_meta_name_ok(const char *n)
{
	size_t i;

	for (i = 0; n[i] != '\0'; i++)
		if (i >= BPG_S3_MAX_META_NAME ||
		    !((n[i] >= 'a' && n[i] <= 'z') ||
			(n[i] >= '0' && n[i] <= '9') || n[i] == '-'))
			return false;
	return i > 0;
}
