/*
 * bpg's requests to the gateway: one libcurl handle (its connection kept
 * between the requests of one command), credentials, TLS, streamed
 * uploads and downloads, the progress bar, -v.
 *
 * Credentials: user and password set on the handle (basic auth, RFC
 * 7617), else the netrc file (libcurl's CURLOPT_NETRC, optional).  The
 * password is never printed: -v prints its own lines (method, URL
 * without userinfo, status), not libcurl's, which would show the
 * Authorization header.
 */
#ifndef BPG_CLI_HTTP_H
#define BPG_CLI_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bpg_buf.h"
#include "bpg_cli.h"
#include "bpg_err.h"

struct bpg_cli_http;

/*
 * A handle for the gateway at o->url, with o's CA and netrc file; user
 * and password (may be NULL: netrc) are copied, and the copy of the
 * password is wiped when the handle is freed.  Messages go to err.  NULL
 * on ENOMEM or when libcurl cannot start.
 */
struct bpg_cli_http *bpg_cli_http_new(const struct bpg_cli_opts *o,
    const char *user, const char *password, FILE *err);

/* NULL is a no-op. */
void bpg_cli_http_free(struct bpg_cli_http *);

/* One request. */
struct bpg_cli_call {
	const char *method;	/* "GET", "POST", "DELETE" */
	const char *path;	/* after the base URL: "/spark/ID/status" */
	const char *ctype;	/* Content-Type of the body, or NULL */
	const char *body;	/* in memory: len bytes, or NULL */
	size_t len;
	FILE *upload;		/* or streamed from here: upload_len bytes */
	uint64_t upload_len;
	FILE *sink;		/* a 2xx answer's body goes here as it comes
				 * (flushed), instead of into the answer */
	long quiet_end_s;	/* > 0: a transfer that brings nothing for
				 * this many seconds ends (success) */
	const char *bar;	/* upload progress bar label, or NULL */
	bool quiet;		/* failures only in the answer's msg */
};

/* An answer. */
struct bpg_cli_resp {
	long status;		/* 0 when none came */
	struct bpg_buf body;	/* the body unless it went to the sink */
	char msg[1400];		/* a failure's message, "" on success */
};

/*
 * Sends c and fills *r (zeroed first; bpg_buf_free(&r->body) after).
 * Returns the exit status: 0 for a 2xx answer; 3 for another answer,
 * with the API's message; 4 when the gateway could not be reached, 3 for
 * other transfer failures.  A failure's message goes to r->msg and,
 * unless c->quiet, to err ("bpg: <msg>").
 */
int bpg_cli_http_call(struct bpg_cli_http *, const struct bpg_cli_call *c,
    struct bpg_cli_resp *r) BPG_WUR;

/* Draw bars (upload progress, --wait) on err: --progress, or err is a
 * terminal. */
bool bpg_cli_http_bars(const struct bpg_cli_http *);

/* s percent-encoded for a path segment or query value (RFC 3986: only
 * unreserved characters kept); a new string, NULL on ENOMEM. */
char *bpg_cli_http_escape(const char *s);

/*
 * Asks for user's password on the terminal (/dev/tty) with echo off
 * (termios), into out (outsz > 1, terminated, the newline removed).
 * BPG_EIO when there is no terminal.
 */
enum bpg_err bpg_cli_prompt_password(const char *user, char *out,
    size_t outsz) BPG_WUR;

/* The URL u for a message: userinfo ("user:pw@") replaced by "***@". */
void bpg_cli_redact_url(char *out, size_t outsz, const char *u);

#endif
