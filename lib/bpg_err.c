#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpg_err.h"

static const char *const errstr[BPG_ERR__MAX] = {
	[BPG_OK] = "success",
	[BPG_ENOMEM] = "out of memory",
	[BPG_EINVAL] = "invalid input",
	[BPG_ENOTFOUND] = "not found",
	[BPG_EEXIST] = "already exists",
	[BPG_ECONFLICT] = "conflict",
	[BPG_EAUTH] = "not authenticated",
	[BPG_EFORBIDDEN] = "forbidden",
	[BPG_ERATE] = "too many requests",
	[BPG_EUPSTREAM] = "upstream failure",
	[BPG_ETIMEOUT] = "upstream timeout",
	[BPG_EDB] = "database failure",
	[BPG_EIO] = "I/O error",
	[BPG_ECONFIG] = "configuration error",
	[BPG_ETOOBIG] = "too large",
};

const char *
bpg_strerror(enum bpg_err e)
{
	if ((unsigned)e >= BPG_ERR__MAX || errstr[e] == NULL)
		return "unknown error";
	return errstr[e];
}

enum bpg_err
bpg_errf(struct bpg_errinfo *ei, enum bpg_err e, const char *fmt, ...)
{
	va_list ap;

	if (ei != NULL) {
		va_start(ap, fmt);
		vsnprintf(ei->msg, sizeof(ei->msg), fmt, ap);
		va_end(ap);
	}
	return e;
}

void
bpg_echo(char *out, size_t outsz, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; s[i] != '\0' && i < max; i++) {
		c = (unsigned char)s[i];
		if (o + 5 >= outsz)
			break;
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	if (s[i] != '\0' && o + 3 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}
