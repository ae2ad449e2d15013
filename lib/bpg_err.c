#include <stdarg.h>
#include <stdio.h>

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
