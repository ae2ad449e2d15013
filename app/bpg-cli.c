/*
 * bpg: the gateway's command-line client.  Everything but the process's
 * edges (environment, exit status) is in lib/bpg_cli*.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "bpg_cli.h"
#include "bpg_cli_cmd.h"

static const char *
env(const char *name)
{
	return getenv(name);
}

int
main(int argc, char *argv[])
{
	struct bpg_cli_opts o;
	struct bpg_errinfo ei = { "" };
	int rc;

	if (bpg_cli_parse(argc, argv, env, &o, &ei) != BPG_OK) {
		fprintf(stderr, "bpg: %s\n", ei.msg);
		fprintf(stderr, "bpg --help for the usage\n");
		return BPG_CLI_EXIT_USAGE;
	}
	if (o.help) {
		bpg_cli_help(stdout, o.cmd);
		return fflush(stdout) == 0 ? BPG_CLI_EXIT_OK :
		    BPG_CLI_EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "bpg: libcurl cannot start\n");
		return BPG_CLI_EXIT_API;
	}
	rc = bpg_cli_run(&o, stdout, stderr);
	curl_global_cleanup();
	if (fflush(stdout) != 0 && rc == BPG_CLI_EXIT_OK)
		rc = BPG_CLI_EXIT_API;
	return rc;
}
