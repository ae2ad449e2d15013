/*
 * Error codes shared by every module.  Fallible functions return
 * enum bpg_err; BPG_OK is zero.  The HTTP status for a code is chosen only
 * at the edge (bpg_api.c), never here.
 */
#ifndef BPG_ERR_H
#define BPG_ERR_H

#include <stddef.h>

#define BPG_WUR __attribute__((warn_unused_result))

enum bpg_err {
	BPG_OK = 0,
	BPG_ENOMEM,	/* allocation failed */
	BPG_EINVAL,	/* caller input is invalid (client's fault) */
	BPG_ENOTFOUND,	/* object does not exist */
	BPG_EEXIST,	/* object already exists */
	BPG_ECONFLICT,	/* request conflicts with server configuration */
	BPG_EAUTH,	/* not authenticated */
	BPG_EFORBIDDEN, /* authenticated but not allowed */
	BPG_ERATE,	/* rate limited (here or upstream) */
	BPG_EUPSTREAM,	/* Kubernetes or another upstream failed */
	BPG_ETIMEOUT,	/* upstream timed out */
	BPG_EDB,	/* database unavailable or failed */
	BPG_EIO,	/* local I/O failed */
	BPG_ECONFIG,	/* server configuration is invalid */
	BPG_ETOOBIG,	/* input over a size limit */
	BPG_ERR__MAX
};

/*
 * Detail for an error: a human-readable message meant for the client (it
 * never contains secrets).  Filled by the function that fails.
 */
struct bpg_errinfo {
	char msg[512];
};

/* Static, never NULL. */
const char *bpg_strerror(enum bpg_err);

/*
 * A printable ASCII copy of s for a message: bytes outside 0x20..0x7e,
 * '\\' and '"' become \xNN; at most max bytes of s are copied, and
 * "..." marks a cut.  out is always terminated (outsz > 0).
 */
void bpg_echo(char *out, size_t outsz, const char *s, size_t max);

/* printf into ei->msg (truncating); ei may be NULL.  Returns e. */
enum bpg_err bpg_errf(struct bpg_errinfo *ei, enum bpg_err e,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
