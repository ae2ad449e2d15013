/*
 * bpg's commands: each turns parsed options (bpg_cli.h) into requests
 * (bpg_cli_http.h) and prints the answers, for people (bpg_cli_out.h) or,
 * with -o json, as the API wrote them, byte for byte.
 */
#ifndef BPG_CLI_CMD_H
#define BPG_CLI_CMD_H

#include <stdio.h>

#include "bpg_cli.h"

/* The longest job spec submit reads (the gateway's body limit). */
#define BPG_CLI_SPEC_MAX (1024 * 1024)

/*
 * Runs o->cmd (o from bpg_cli_parse(), not a help request) with output
 * to out and messages and bars to err.  Asks for the password on the
 * terminal when o->user names no password and BPG_PASSWORD is unset.
 * Returns the exit status (bpg_cli.h).  Call curl_global_init() first.
 */
int bpg_cli_run(const struct bpg_cli_opts *o, FILE *out, FILE *err);

/*
 * The YAML job spec y[0..n) with its top-level "queue" set to q: a
 * "queue:" line at column 0 replaced, else one appended; q is written as
 * a double-quoted YAML scalar.  A new string (caller frees), or NULL when
 * q holds control bytes or on ENOMEM.
 */
char *bpg_cli_yaml_queue(const char *y, size_t n, const char *q);

#endif
