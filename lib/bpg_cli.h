/*
 * The command-line client bpg: its arguments, help texts and exit
 * statuses.  Pure functions of their inputs (the environment comes in
 * through a lookup function), so every rule is unit-tested without a
 * network; bpg_cli_cmd.h runs the parsed command.
 *
 * Exit statuses (the contract scripts rely on):
 *   0 success; 1 the job ended FAILED, SUBMISSION_FAILED or LOST (with
 *   --wait); 2 usage error; 3 the API answered an error (its envelope's
 *   message on stderr); 4 the gateway cannot be reached (connection,
 *   name, TLS or timeout).
 */
#ifndef BPG_CLI_H
#define BPG_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "bpg_err.h"

enum bpg_cli_exit {
	BPG_CLI_EXIT_OK = 0,
	BPG_CLI_EXIT_JOB_FAILED = 1,
	BPG_CLI_EXIT_USAGE = 2,
	BPG_CLI_EXIT_API = 3,
	BPG_CLI_EXIT_CONNECT = 4
};

enum bpg_cli_cmd {
	BPG_CLI_NONE = 0,
	BPG_CLI_SUBMIT,
	BPG_CLI_STATUS,
	BPG_CLI_LOGS,
	BPG_CLI_DELETE,
	BPG_CLI_LIST,
	BPG_CLI_SPEC,
	BPG_CLI_DESCRIBE,
	BPG_CLI_UPLOAD,
	BPG_CLI_VERSION,
	BPG_CLI_HELP,
	BPG_CLI__MAX
};

/* The default wait of --wait, in seconds (--timeout changes it). */
#define BPG_CLI_WAIT_DEFAULT_S 3600L

/*
 * Parsed arguments.  Strings point into argv or into what the env lookup
 * returned: they are borrowed, never freed.  NULL is "not given".
 */
struct bpg_cli_opts {
	enum bpg_cli_cmd cmd;
	const char *arg;	/* FILE (submit, upload), ID, or the command
				 * help is asked for */
	const char *url;	/* --url, else BPG_URL */
	const char *user;	/* -u user[:password], else BPG_USER */
	const char *password;	/* BPG_PASSWORD (never from argv) */
	const char *cacert;	/* --cacert, else BPG_CA_BUNDLE */
	const char *netrc_file; /* --netrc-file, else NETRC */
	const char *queue;	/* submit --queue */
	const char *folder;	/* upload --folder */
	const char *executor;	/* logs --executor N (digits) */
	long timeout_s;		/* --timeout for --wait (seconds, > 0) */
	bool wait;		/* submit/status --wait */
	bool follow_log;	/* submit --follow-log */
	bool follow;		/* logs -f */
	bool all;		/* list --all */
	bool json;		/* -o json */
	bool verbose;		/* -v */
	bool progress;		/* --progress: bars even without a tty */
	bool help;		/* --help or -h */
};

/*
 * Parses argv[1..argc) into *o (zeroed first): global and per-command
 * options, in any order around the command, "--opt value" or
 * "--opt=value", "--" ending the options.  env (may be NULL) looks up
 * BPG_URL, BPG_USER, BPG_PASSWORD, BPG_CA_BUNDLE and NETRC; options win
 * over the environment.  BPG_EINVAL with ei->msg naming the argument on
 * a usage error (exit status 2).  No command and no --help is an error;
 * "--help" alone, "help", "help CMD" and "CMD --help" set o->help (and
 * o->cmd to the command asked about, BPG_CLI_NONE for the overview).
 */
enum bpg_err bpg_cli_parse(int argc, char *const argv[],
    const char *(*env)(const char *name), struct bpg_cli_opts *o,
    struct bpg_errinfo *ei) BPG_WUR;

/* The command's name ("submit"), "" for BPG_CLI_NONE; never NULL. */
const char *bpg_cli_cmd_name(enum bpg_cli_cmd);

/* The overview (cmd BPG_CLI_NONE) or one command's manual page, to f. */
void bpg_cli_help(FILE *f, enum bpg_cli_cmd cmd);

/*
 * The exit status for an HTTP answer: 0 for 2xx, 3 for anything else
 * (including 1xx and 3xx, which a client that follows no redirects
 * reports as errors).
 */
int bpg_cli_exit_http(long status);

/* The exit status for a libcurl result code (CURLcode as an int):
 * 0 for CURLE_OK, 4 for failures to reach the gateway, else 3. */
int bpg_cli_exit_curl(int curl_code);

/*
 * Whether the operator's applicationState is final (COMPLETED, FAILED,
 * SUBMISSION_FAILED, LOST, or the gateway's FAILED_SUBMISSION) and, when
 * it is, the exit status of --wait: 0 for COMPLETED, 1 otherwise.
 * state may be NULL (not final).
 */
bool bpg_cli_state_final(const char *state, int *exit_status);

/*
 * The message of an API error body for stderr: the "message" of BPG's
 * envelope (without the "jakarta.ws.rs.WebApplicationException: " class
 * prefix), or Livy's "msg", or else the body's first line; printable
 * ASCII only, cut to fit out (outsz > 0).  "HTTP <status>" when empty.
 */
void bpg_cli_api_message(const char *body, size_t len, long status, char *out,
    size_t outsz);

#endif
