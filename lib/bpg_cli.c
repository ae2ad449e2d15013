/*
 * bpg's arguments (a table of options, each naming the commands that take
 * it), its help texts and the mapping of outcomes to exit statuses.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bpg_cli.h"
#include "bpg_cli_out.h"

#define C(x) (1u << (x))
#define ALLCMDS 0xffffffffu

enum opt_kind { OPT_FLAG, OPT_STR, OPT_SECONDS, OPT_DIGITS, OPT_OUTPUT };

/* One option: its names, what it sets and which commands take it. */
struct opt {
	const char *lname;	/* "--url" */
	const char *sname;	/* "-u", or NULL */
	enum opt_kind kind;
	size_t off;		/* into struct bpg_cli_opts */
	unsigned cmds;		/* C(BPG_CLI_...) mask */
};

static const struct opt opts[] = {
	{ "--url", NULL, OPT_STR, offsetof(struct bpg_cli_opts, url), ALLCMDS },
	{ "--user", "-u", OPT_STR, offsetof(struct bpg_cli_opts, user),
	    ALLCMDS },
	{ "--cacert", NULL, OPT_STR, offsetof(struct bpg_cli_opts, cacert),
	    ALLCMDS },
	{ "--netrc-file", NULL, OPT_STR,
	    offsetof(struct bpg_cli_opts, netrc_file), ALLCMDS },
	{ "--output", "-o", OPT_OUTPUT, offsetof(struct bpg_cli_opts, json),
	    ALLCMDS },
	{ "--verbose", "-v", OPT_FLAG, offsetof(struct bpg_cli_opts, verbose),
	    ALLCMDS },
	{ "--help", "-h", OPT_FLAG, offsetof(struct bpg_cli_opts, help),
	    ALLCMDS },
	{ "--progress", NULL, OPT_FLAG,
	    offsetof(struct bpg_cli_opts, progress),
	    C(BPG_CLI_SUBMIT) | C(BPG_CLI_STATUS) | C(BPG_CLI_UPLOAD) },
	{ "--queue", NULL, OPT_STR, offsetof(struct bpg_cli_opts, queue),
	    C(BPG_CLI_SUBMIT) },
	{ "--wait", NULL, OPT_FLAG, offsetof(struct bpg_cli_opts, wait),
	    C(BPG_CLI_SUBMIT) | C(BPG_CLI_STATUS) },
	{ "--timeout", NULL, OPT_SECONDS,
	    offsetof(struct bpg_cli_opts, timeout_s),
	    C(BPG_CLI_SUBMIT) | C(BPG_CLI_STATUS) },
	{ "--follow-log", NULL, OPT_FLAG,
	    offsetof(struct bpg_cli_opts, follow_log), C(BPG_CLI_SUBMIT) },
	{ "--executor", NULL, OPT_DIGITS,
	    offsetof(struct bpg_cli_opts, executor), C(BPG_CLI_LOGS) },
	{ "--follow", "-f", OPT_FLAG, offsetof(struct bpg_cli_opts, follow),
	    C(BPG_CLI_LOGS) },
	{ "--all", NULL, OPT_FLAG, offsetof(struct bpg_cli_opts, all),
	    C(BPG_CLI_LIST) },
	{ "--folder", NULL, OPT_STR, offsetof(struct bpg_cli_opts, folder),
	    C(BPG_CLI_UPLOAD) },
};

/* A command: its name, whether it takes FILE or ID, and its manual. */
struct cmd {
	const char *name;
	const char *argname;	/* "FILE", "ID" or NULL (none) */
	const char *synopsis;
	const char *text;
};

static const struct cmd cmds[BPG_CLI__MAX] = {
	[BPG_CLI_SUBMIT] = { "submit", "FILE",
	    "submit FILE.{json,yaml} [--queue Q] [--wait [--timeout S]] "
	    "[--follow-log]",
	    "Submits the job spec in FILE (a SubmitApplicationRequest, JSON,\n"
	    "or YAML when the name ends in .yaml or .yml; - reads JSON from\n"
	    "standard input) with POST /spark and prints the submission ID.\n"
	    "  --queue Q     submit to queue Q (replaces the file's \"queue\")\n"
	    "  --wait        poll the status until the job ends (growing\n"
	    "                intervals, 0.5 s to 10 s); exit 1 when it ended\n"
	    "                FAILED, SUBMISSION_FAILED or LOST\n"
	    "  --timeout S   give up waiting after S seconds (default 3600;\n"
	    "                exit 3)\n"
	    "  --follow-log  print the driver's log as it is written, then\n"
	    "                the final state\n"
	    "  --progress    draw the progress bar even when stderr is not\n"
	    "                a terminal\n" },
	[BPG_CLI_STATUS] = { "status", "ID",
	    "status ID [--wait [--timeout S]]",
	    "Prints the status of submission ID (GET /spark/ID/status): state,\n"
	    "Spark application ID, times, attempts, error message, Spark UI.\n"
	    "  --wait        poll until the job ends; exit 1 when it ended\n"
	    "                FAILED, SUBMISSION_FAILED or LOST\n"
	    "  --timeout S   give up waiting after S seconds (default 3600)\n" },
	[BPG_CLI_LOGS] = { "logs", "ID", "logs ID [--executor N] [-f]",
	    "Prints the driver's log of submission ID (GET /log), or executor\n"
	    "N's.  A running job's log is printed as far as it is written;\n"
	    "with -f it is followed until the pod ends or the gateway's\n"
	    "logFollowMaxSeconds.\n"
	    "  --executor N  executor N's log instead of the driver's\n"
	    "  -f, --follow  keep printing as the log grows\n" },
	[BPG_CLI_DELETE] = { "delete", "ID", "delete ID",
	    "Deletes submission ID (DELETE /spark/ID): the SparkApplication\n"
	    "and its pods.  Only its submitter or an admin may.\n" },
	[BPG_CLI_LIST] = { "list", NULL, "list [--all]",
	    "Lists your submissions on every cluster (GET\n"
	    "/spark/mySubmissions) as a table, newest first.\n"
	    "  --all         everyone's (GET /admin/submissions; admins and\n"
	    "                viewers, or everyone under readAccess: all)\n" },
	[BPG_CLI_SPEC] = { "spec", "ID", "spec ID",
	    "Prints the SparkApplication spec of submission ID (GET\n"
	    "/spark/ID/spec), indented.\n" },
	[BPG_CLI_DESCRIBE] = { "describe", "ID", "describe ID",
	    "Prints the spec as YAML and the application's and driver's\n"
	    "events (GET /spark/ID/describe).\n" },
	[BPG_CLI_UPLOAD] = { "upload", "FILE", "upload FILE [--folder F]",
	    "Uploads FILE to S3 through the gateway (POST /s3/NAME, NAME the\n"
	    "file's base name), streamed: the file is never read into memory\n"
	    "whole.  Prints the s3a:// URL to use in a job spec.\n"
	    "  --folder F    under folder F of the gateway's s3Folder\n"
	    "  --progress    draw the progress bar even when stderr is not\n"
	    "                a terminal\n" },
	[BPG_CLI_VERSION] = { "version", NULL, "version",
	    "Prints this client's version and the gateway's (GET\n"
	    "/admin/version).\n" },
	[BPG_CLI_HELP] = { "help", NULL, "help [COMMAND]",
	    "Prints the overview, or COMMAND's manual.\n" },
};

static const char overview_head[] =
    "usage: bpg [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "A command-line client of the Batch Processing Gateway: submits Spark\n"
    "jobs and follows them.\n"
    "\n"
    "Commands:\n";

static const char overview_tail[] =
    "\n"
    "Options (every command):\n"
    "  --url URL           the gateway's API, with its applicationContextPath,\n"
    "                      e.g. https://bpg.example.com/skatev2 (BPG_URL)\n"
    "  -u, --user U[:P]    user (and password); without a password it is\n"
    "                      BPG_PASSWORD, else asked for on the terminal\n"
    "                      without echo (BPG_USER)\n"
    "  --netrc-file F      credentials from F instead of ~/.netrc (NETRC)\n"
    "  --cacert F          CA certificates (PEM) to verify the gateway\n"
    "                      (BPG_CA_BUNDLE)\n"
    "  -o json             print the API's answers unchanged, for scripts\n"
    "  -v, --verbose       print each request and its status on stderr\n"
    "                      (never a credential)\n"
    "  -h, --help          this text; with a command, its manual\n"
    "\n"
    "Credentials, first found: -u, BPG_USER and BPG_PASSWORD, the netrc\n"
    "file's entry for the gateway's host.\n"
    "\n"
    "Exit status: 0 success, 1 the job ended FAILED, SUBMISSION_FAILED or\n"
    "LOST (--wait), 2 usage error, 3 API error (its message on stderr),\n"
    "4 cannot connect.\n";

const char *
bpg_cli_cmd_name(enum bpg_cli_cmd c)
{
	if (c <= BPG_CLI_NONE || c >= BPG_CLI__MAX)
		return "";
	return cmds[c].name;
}

void
bpg_cli_help(FILE *f, enum bpg_cli_cmd c)
{
	int i;

	if (c <= BPG_CLI_NONE || c >= BPG_CLI__MAX) {
		fputs(overview_head, f);
		for (i = BPG_CLI_NONE + 1; i < BPG_CLI__MAX; i++)
			fprintf(f, "  bpg %s\n", cmds[i].synopsis);
		fputs("\nbpg help COMMAND or bpg COMMAND --help for a "
		    "command's manual.\n", f);
		fputs(overview_tail, f);
		return;
	}
	fprintf(f, "usage: bpg [OPTIONS] %s\n\n%s", cmds[c].synopsis,
	    cmds[c].text);
	fputs("\nbpg --help lists the options every command takes (--url, "
	    "-u, -o json, ...)\nand the exit statuses.\n", f);
}

static enum bpg_cli_cmd
cmd_lookup(const char *s)
{
	int i;

	for (i = BPG_CLI_NONE + 1; i < BPG_CLI__MAX; i++)
		if (strcmp(s, cmds[i].name) == 0)
			return (enum bpg_cli_cmd)i;
	return BPG_CLI_NONE;
}

/* The option arg names ("--url", "--url=x", "-u"), or NULL; *inl gets the
 * text after '=' for the long form. */
static const struct opt *
opt_lookup(const char *arg, const char **inl)
{
	size_t i, n;

	*inl = NULL;
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		n = strlen(opts[i].lname);
		if (strncmp(arg, opts[i].lname, n) == 0) {
			if (arg[n] == '\0')
				return &opts[i];
			if (arg[n] == '=') {
				*inl = arg + n + 1;
				return &opts[i];
			}
		}
		if (opts[i].sname != NULL && strcmp(arg, opts[i].sname) == 0)
			return &opts[i];
	}
	return NULL;
}

static bool
all_digits(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9' || i >= max)
			return false;
	return i > 0;
}

/* Stores the value v of option p into o. */
static enum bpg_err
opt_set(struct bpg_cli_opts *o, const struct opt *p, const char *v,
    struct bpg_errinfo *ei)
{
	char *base = (char *)o;
	char echo[64];

	switch (p->kind) {
	case OPT_FLAG:
		*(bool *)(void *)(base + p->off) = true;
		return BPG_OK;
	case OPT_STR:
		if (v[0] == '\0')
			return bpg_errf(ei, BPG_EINVAL, "%s: an empty value",
			    p->lname);
		*(const char **)(void *)(base + p->off) = v;
		return BPG_OK;
	case OPT_DIGITS:
		if (!all_digits(v, 9)) {
			bpg_echo(echo, sizeof(echo), v, 32);
			return bpg_errf(ei, BPG_EINVAL, "%s: \"%s\" is not a "
			    "number", p->lname, echo);
		}
		*(const char **)(void *)(base + p->off) = v;
		return BPG_OK;
	case OPT_SECONDS:
		if (!all_digits(v, 9) || atol(v) <= 0) {
			bpg_echo(echo, sizeof(echo), v, 32);
			return bpg_errf(ei, BPG_EINVAL, "%s: \"%s\" is not a "
			    "number of seconds above 0", p->lname, echo);
		}
		*(long *)(void *)(base + p->off) = atol(v);
		return BPG_OK;
	case OPT_OUTPUT:
		if (strcmp(v, "json") != 0) {
			bpg_echo(echo, sizeof(echo), v, 32);
			return bpg_errf(ei, BPG_EINVAL, "-o: \"%s\" is not an "
			    "output format (json)", echo);
		}
		o->json = true;
		return BPG_OK;
	}
	return bpg_errf(ei, BPG_EINVAL, "%s: unknown kind", p->lname);
}

static const char *
env_get(const char *(*env)(const char *), const char *name)
{
	const char *v;

	if (env == NULL)
		return NULL;
	v = env(name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

enum bpg_err
bpg_cli_parse(int argc, char *const argv[],
    const char *(*env)(const char *name), struct bpg_cli_opts *o,
    struct bpg_errinfo *ei)
{
	const struct opt *p, *seen[sizeof(opts) / sizeof(opts[0])];
	const char *pos[3], *inl, *v;
	size_t nseen = 0, npos = 0, i, j;
	bool dashdash = false;
	enum bpg_err e;
	char echo[64];

	memset(o, 0, sizeof(*o));
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i];

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			if (npos == sizeof(pos) / sizeof(pos[0])) {
				bpg_echo(echo, sizeof(echo), a, 32);
				return bpg_errf(ei, BPG_EINVAL, "too many "
				    "arguments: \"%s\"", echo);
			}
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = true;
			continue;
		}
		if ((p = opt_lookup(a, &inl)) == NULL) {
			bpg_echo(echo, sizeof(echo), a, 32);
			return bpg_errf(ei, BPG_EINVAL, "unknown option \"%s\"",
			    echo);
		}
		for (j = 0; j < nseen; j++)
			if (seen[j] == p && p->kind != OPT_FLAG)
				return bpg_errf(ei, BPG_EINVAL, "%s given twice",
				    p->lname);
		seen[nseen < sizeof(seen) / sizeof(seen[0]) ? nseen++ : nseen]
		    = p;
		if (p->kind == OPT_FLAG) {
			if (inl != NULL)
				return bpg_errf(ei, BPG_EINVAL, "%s takes no "
				    "value", p->lname);
			v = NULL;
		} else if (inl != NULL)
			v = inl;
		else if (i + 1 < (size_t)argc)
			v = argv[++i];
		else
			return bpg_errf(ei, BPG_EINVAL, "%s needs a value",
			    p->lname);
		if ((e = opt_set(o, p, v, ei)) != BPG_OK)
			return e;
	}

	if (npos > 0) {
		o->cmd = cmd_lookup(pos[0]);
		if (o->cmd == BPG_CLI_NONE) {
			bpg_echo(echo, sizeof(echo), pos[0], 32);
			return bpg_errf(ei, BPG_EINVAL, "unknown command \"%s\" "
			    "(bpg --help lists them)", echo);
		}
	}
	if (o->cmd == BPG_CLI_HELP) {
		o->help = true;
		o->cmd = BPG_CLI_NONE;
		if (npos > 2)
			return bpg_errf(ei, BPG_EINVAL, "help takes one "
			    "command");
		if (npos == 2 && (o->cmd = cmd_lookup(pos[1])) ==
		    BPG_CLI_NONE) {
			bpg_echo(echo, sizeof(echo), pos[1], 32);
			return bpg_errf(ei, BPG_EINVAL, "unknown command \"%s\"",
			    echo);
		}
		return BPG_OK;
	}
	if (o->help)
		return BPG_OK;
	if (o->cmd == BPG_CLI_NONE)
		return bpg_errf(ei, BPG_EINVAL, "no command given (bpg --help "
		    "lists them)");

	/* Options the command does not take. */
	for (j = 0; j < nseen; j++)
		if ((seen[j]->cmds & C(o->cmd)) == 0)
			return bpg_errf(ei, BPG_EINVAL, "%s does not take %s",
			    cmds[o->cmd].name, seen[j]->lname);
	if (cmds[o->cmd].argname != NULL) {
		if (npos < 2)
			return bpg_errf(ei, BPG_EINVAL, "%s needs %s",
			    cmds[o->cmd].name, cmds[o->cmd].argname);
		o->arg = pos[1];
	}
	if (npos > (cmds[o->cmd].argname != NULL ? 2u : 1u)) {
		bpg_echo(echo, sizeof(echo), pos[npos - 1], 32);
		return bpg_errf(ei, BPG_EINVAL, "%s: unexpected argument "
		    "\"%s\"", cmds[o->cmd].name, echo);
	}
	if (o->timeout_s != 0 && !o->wait)
		return bpg_errf(ei, BPG_EINVAL, "--timeout needs --wait");
	if (o->follow_log && o->wait)
		return bpg_errf(ei, BPG_EINVAL, "--follow-log and --wait: "
		    "choose one (--follow-log waits too)");
	if (o->timeout_s == 0)
		o->timeout_s = BPG_CLI_WAIT_DEFAULT_S;

	if (o->url == NULL)
		o->url = env_get(env, "BPG_URL");
	if (o->url == NULL)
		return bpg_errf(ei, BPG_EINVAL, "no gateway: give --url or set "
		    "BPG_URL (e.g. https://bpg.example.com/skatev2)");
	if (strncmp(o->url, "https://", 8) != 0 &&
	    strncmp(o->url, "http://", 7) != 0)
		return bpg_errf(ei, BPG_EINVAL, "--url: an http:// or "
		    "https:// URL");
	if (o->user == NULL)
		o->user = env_get(env, "BPG_USER");
	if (o->user != NULL)
		o->password = env_get(env, "BPG_PASSWORD");
	if (o->cacert == NULL)
		o->cacert = env_get(env, "BPG_CA_BUNDLE");
	if (o->netrc_file == NULL)
		o->netrc_file = env_get(env, "NETRC");
	return BPG_OK;
}

int
bpg_cli_exit_http(long status)
{
	return status >= 200 && status <= 299 ? BPG_CLI_EXIT_OK :
	    BPG_CLI_EXIT_API;
}

int
bpg_cli_exit_curl(int curl_code)
{
	switch ((CURLcode)curl_code) {
	case CURLE_OK:
		return BPG_CLI_EXIT_OK;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return BPG_CLI_EXIT_CONNECT;
	default:
		return BPG_CLI_EXIT_API;
	}
}

bool
bpg_cli_state_final(const char *state, int *exit_status)
{
	static const char *const failed[] = { "FAILED", "SUBMISSION_FAILED",
		"FAILED_SUBMISSION", "LOST" };
	size_t i;

	if (state == NULL)
		return false;
	if (strcmp(state, "COMPLETED") == 0) {
		*exit_status = BPG_CLI_EXIT_OK;
		return true;
	}
	for (i = 0; i < sizeof(failed) / sizeof(failed[0]); i++)
		if (strcmp(state, failed[i]) == 0) {
			*exit_status = BPG_CLI_EXIT_JOB_FAILED;
			return true;
		}
	return false;
}

#define JAKARTA "jakarta.ws.rs.WebApplicationException: "

void
bpg_cli_api_message(const char *body, size_t len, long status, char *out,
    size_t outsz)
{
	json_t *j = NULL;
	const char *m = NULL;
	size_t n;

	out[0] = '\0';
	if (body != NULL && len > 0)
		j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(j)) {
		m = json_string_value(json_object_get(j, "message"));
		if (m == NULL)
			m = json_string_value(json_object_get(j, "msg"));
	}
	if (m != NULL) {
		if (strncmp(m, JAKARTA, strlen(JAKARTA)) == 0)
			m += strlen(JAKARTA);
		bpg_cli_clean(out, outsz, m, strlen(m));
	} else if (body != NULL && len > 0 && j == NULL) {
		n = 0;
		while (n < len && body[n] != '\n' && body[n] != '\r' &&
		    body[n] != '\0')
			n++;
		bpg_cli_clean(out, outsz, body, n);
	}
	json_decref(j);
	if (out[0] == '\0')
		snprintf(out, outsz, "HTTP %ld", status);
}
