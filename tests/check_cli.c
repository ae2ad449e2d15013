/*
 * Tests for lib/bpg_cli.c: bpg's arguments (accepted forms, the
 * environment, usage errors as a table naming the failing row), help,
 * and the mapping of outcomes to exit statuses.  No network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <curl/curl.h>

#include "bpg_cli.h"
#include "testutil.h"

#define URL "https://bpg.example.com/skatev2"

/* The environment the tests see: a NULL-terminated list of NAME=value. */
static const char *const *fake_env;

static const char *
env(const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; fake_env != NULL && fake_env[i] != NULL; i++)
		if (strncmp(fake_env[i], name, n) == 0 && fake_env[i][n] == '=')
			return fake_env[i] + n + 1;
	return NULL;
}

/* Splits s at blanks into argv (argv[0] "bpg"); parses it. */
static enum bpg_err
parse(const char *s, struct bpg_cli_opts *o, struct bpg_errinfo *ei)
{
	static char buf[1024];
	static char *argv[64];
	int argc = 0;
	char *t;

	snprintf(buf, sizeof(buf), "%s", s);
	argv[argc++] = (char *)(uintptr_t)"bpg";
	for (t = strtok(buf, " "); t != NULL && argc < 63; t = strtok(NULL,
	    " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	ei->msg[0] = '\0';
	return bpg_cli_parse(argc, argv, env, o, ei);
}

START_TEST(test_commands)
{
	struct bpg_cli_opts o;
	struct bpg_errinfo ei;

	fake_env = NULL;
	ck_assert_int_eq(parse("--url " URL " submit job.yaml --queue dev "
	    "--wait --timeout 60", &o, &ei), BPG_OK);
	ck_assert_int_eq(o.cmd, BPG_CLI_SUBMIT);
	ck_assert_str_eq(o.arg, "job.yaml");
	ck_assert_str_eq(o.queue, "dev");
	ck_assert(o.wait);
	ck_assert_int_eq(o.timeout_s, 60);
	ck_assert_str_eq(o.url, URL);

	/* Options after the argument, --opt=value, -o json. */
	ck_assert_int_eq(parse("status ID-1 --wait -o json --url=" URL, &o,
	    &ei), BPG_OK);
	ck_assert_int_eq(o.cmd, BPG_CLI_STATUS);
	ck_assert_str_eq(o.arg, "ID-1");
	ck_assert(o.json);
	ck_assert_int_eq(o.timeout_s, BPG_CLI_WAIT_DEFAULT_S);

	ck_assert_int_eq(parse("--url " URL " logs X --executor 3 -f", &o, &ei),
	    BPG_OK);
	ck_assert_int_eq(o.cmd, BPG_CLI_LOGS);
	ck_assert_str_eq(o.executor, "3");
	ck_assert(o.follow);

	ck_assert_int_eq(parse("--url " URL " list --all", &o, &ei), BPG_OK);
	ck_assert_int_eq(o.cmd, BPG_CLI_LIST);
	ck_assert(o.all);
	ck_assert_ptr_null(o.arg);

	ck_assert_int_eq(parse("--url " URL " upload f.jar --folder a/b "
	    "--progress", &o, &ei), BPG_OK);
	ck_assert_str_eq(o.folder, "a/b");
	ck_assert(o.progress);

	/* "--" ends the options: a file named like one. */
	ck_assert_int_eq(parse("--url " URL " upload -- --odd", &o, &ei),
	    BPG_OK);
	ck_assert_str_eq(o.arg, "--odd");

	ck_assert_int_eq(parse("--url " URL " delete X", &o, &ei), BPG_OK);
	ck_assert_int_eq(o.cmd, BPG_CLI_DELETE);
	ck_assert_int_eq(parse("--url " URL " spec X", &o, &ei), BPG_OK);
	ck_assert_int_eq(o.cmd, BPG_CLI_SPEC);
	ck_assert_int_eq(parse("--url " URL " describe X", &o, &ei), BPG_OK);
	ck_assert_int_eq(o.cmd, BPG_CLI_DESCRIBE);
	ck_assert_int_eq(parse("--url " URL " version", &o, &ei), BPG_OK);
	ck_assert_int_eq(o.cmd, BPG_CLI_VERSION);
}
END_TEST

START_TEST(test_environment)
{
	static const char *const e[] = { "BPG_URL=" URL, "BPG_USER=alice",
		"BPG_PASSWORD=pw", "BPG_CA_BUNDLE=/ca.pem",
		"NETRC=/n", NULL };
	struct bpg_cli_opts o;
	struct bpg_errinfo ei;

	fake_env = e;
	ck_assert_int_eq(parse("list", &o, &ei), BPG_OK);
	ck_assert_str_eq(o.url, URL);
	ck_assert_str_eq(o.user, "alice");
	ck_assert_str_eq(o.password, "pw");
	ck_assert_str_eq(o.cacert, "/ca.pem");
	ck_assert_str_eq(o.netrc_file, "/n");

	/* Options win over the environment. */
	ck_assert_int_eq(parse("list --url http://other/x -u bob --cacert "
	    "/b.pem --netrc-file /m", &o, &ei), BPG_OK);
	ck_assert_str_eq(o.url, "http://other/x");
	ck_assert_str_eq(o.user, "bob");
	ck_assert_str_eq(o.cacert, "/b.pem");
	ck_assert_str_eq(o.netrc_file, "/m");

	/* No user: no password either, whatever BPG_PASSWORD says (netrc). */
	static const char *const e2[] = { "BPG_URL=" URL, "BPG_PASSWORD=pw",
		NULL };
	fake_env = e2;
	ck_assert_int_eq(parse("list", &o, &ei), BPG_OK);
	ck_assert_ptr_null(o.user);
	ck_assert_ptr_null(o.password);

	/* Empty variables are unset. */
	static const char *const e3[] = { "BPG_URL=", NULL };
	fake_env = e3;
	ck_assert_int_eq(parse("list", &o, &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "BPG_URL"));
}
END_TEST

START_TEST(test_help)
{
	struct bpg_cli_opts o;
	struct bpg_errinfo ei;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int c;

	fake_env = NULL;
	ck_assert_int_eq(parse("--help", &o, &ei), BPG_OK);
	ck_assert(o.help);
	ck_assert_int_eq(o.cmd, BPG_CLI_NONE);
	ck_assert_int_eq(parse("help", &o, &ei), BPG_OK);
	ck_assert(o.help);
	ck_assert_int_eq(o.cmd, BPG_CLI_NONE);
	ck_assert_int_eq(parse("help upload", &o, &ei), BPG_OK);
	ck_assert(o.help);
	ck_assert_int_eq(o.cmd, BPG_CLI_UPLOAD);
	/* CMD --help needs neither the URL nor CMD's argument. */
	ck_assert_int_eq(parse("submit --help", &o, &ei), BPG_OK);
	ck_assert(o.help);
	ck_assert_int_eq(o.cmd, BPG_CLI_SUBMIT);
	ck_assert_int_eq(parse("help nosuch", &o, &ei), BPG_EINVAL);

	/* Every command has a manual naming its options. */
	for (c = BPG_CLI_NONE; c < BPG_CLI__MAX; c++) {
		f = open_memstream(&text, &len);
		bpg_cli_help(f, (enum bpg_cli_cmd)c);
		fclose(f);
		ck_assert_msg(strstr(text, "usage: bpg") != NULL, "%d", c);
		if (c != BPG_CLI_NONE)
			ck_assert_ptr_nonnull(strstr(text,
			    bpg_cli_cmd_name((enum bpg_cli_cmd)c)));
		else
			ck_assert_ptr_nonnull(strstr(text, "Exit status"));
		free(text);
		text = NULL;
	}
	f = open_memstream(&text, &len);
	bpg_cli_help(f, BPG_CLI_SUBMIT);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "--follow-log"));
	ck_assert_ptr_nonnull(strstr(text, "--queue"));
	free(text);
}
END_TEST

/* Usage errors: each row is an argument list and a part of its message. */
static const struct {
	const char *args, *msg;
} bad[] = {
	{ "", "no command" },
	{ "frobnicate", "unknown command \"frobnicate\"" },
	{ "list --bogus", "unknown option \"--bogus\"" },
	{ "submit", "submit needs FILE" },
	{ "status", "status needs ID" },
	{ "status a b", "unexpected argument \"b\"" },
	{ "list extra", "unexpected argument \"extra\"" },
	{ "list --wait", "list does not take --wait" },
	{ "status X --queue q", "status does not take --queue" },
	{ "delete X --all", "delete does not take --all" },
	{ "upload f --executor 1", "upload does not take --executor" },
	{ "logs X --executor one", "--executor: \"one\" is not a number" },
	{ "--url " URL " logs X --executor", "--executor needs a value" },
	{ "status X --wait --timeout 0", "above 0" },
	{ "status X --wait --timeout 5s", "above 0" },
	{ "status X --timeout 5", "--timeout needs --wait" },
	{ "submit f --wait --follow-log", "choose one" },
	{ "list -o yaml", "\"yaml\" is not an output format" },
	{ "list --wait=1", "" },
	{ "list --all=yes", "--all takes no value" },
	{ "list --queue", "" },
	{ "list --url ftp://x", "http:// or https://" },
	{ "list --url=", "--url: an empty value" },
	{ "list -u a -u b", "--user given twice" },
	{ "help a b", "help takes one command" },
	{ "status a b c d", "too many arguments" },
};

START_TEST(test_usage_errors)
{
	struct bpg_cli_opts o;
	struct bpg_errinfo ei;
	char args[256];

	fake_env = NULL;
	snprintf(args, sizeof(args), "%s%s", bad[_i].args,
	    strstr(bad[_i].args, "--url") != NULL ? "" : " --url " URL);
	ck_assert_msg(parse(args, &o, &ei) == BPG_EINVAL, "row %d (%s): "
	    "accepted", _i, bad[_i].args);
	ck_assert_msg(strstr(ei.msg, bad[_i].msg) != NULL, "row %d (%s): "
	    "message \"%s\"", _i, bad[_i].args, ei.msg);
}
END_TEST

START_TEST(test_no_url)
{
	struct bpg_cli_opts o;
	struct bpg_errinfo ei;

	fake_env = NULL;
	ck_assert_int_eq(parse("list", &o, &ei), BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "--url"));
}
END_TEST

START_TEST(test_exit_statuses)
{
	int code = -1;

	/* HTTP answers: 2xx is success, anything else an API error. */
	ck_assert_int_eq(bpg_cli_exit_http(200), 0);
	ck_assert_int_eq(bpg_cli_exit_http(204), 0);
	ck_assert_int_eq(bpg_cli_exit_http(101), 3);
	ck_assert_int_eq(bpg_cli_exit_http(302), 3);
	ck_assert_int_eq(bpg_cli_exit_http(400), 3);
	ck_assert_int_eq(bpg_cli_exit_http(401), 3);
	ck_assert_int_eq(bpg_cli_exit_http(503), 3);

	/* Transfer failures: reaching the gateway is 4, the rest 3. */
	ck_assert_int_eq(bpg_cli_exit_curl(CURLE_OK), 0);
	ck_assert_int_eq(bpg_cli_exit_curl(CURLE_COULDNT_CONNECT), 4);
	ck_assert_int_eq(bpg_cli_exit_curl(CURLE_COULDNT_RESOLVE_HOST), 4);
	ck_assert_int_eq(bpg_cli_exit_curl(CURLE_OPERATION_TIMEDOUT), 4);
	ck_assert_int_eq(bpg_cli_exit_curl(CURLE_PEER_FAILED_VERIFICATION), 4);
	ck_assert_int_eq(bpg_cli_exit_curl(CURLE_SSL_CONNECT_ERROR), 4);
	ck_assert_int_eq(bpg_cli_exit_curl(CURLE_WRITE_ERROR), 3);
	ck_assert_int_eq(bpg_cli_exit_curl(CURLE_ABORTED_BY_CALLBACK), 3);

	/* --wait: COMPLETED 0, the failures 1, the rest not final. */
	ck_assert(bpg_cli_state_final("COMPLETED", &code));
	ck_assert_int_eq(code, 0);
	ck_assert(bpg_cli_state_final("FAILED", &code));
	ck_assert_int_eq(code, 1);
	ck_assert(bpg_cli_state_final("SUBMISSION_FAILED", &code));
	ck_assert_int_eq(code, 1);
	ck_assert(bpg_cli_state_final("LOST", &code));
	ck_assert_int_eq(code, 1);
	ck_assert(!bpg_cli_state_final("RUNNING", &code));
	ck_assert(!bpg_cli_state_final("SUBMITTED", &code));
	ck_assert(!bpg_cli_state_final("FAILING", &code));
	ck_assert(!bpg_cli_state_final("UNKNOWN", &code));
	ck_assert(!bpg_cli_state_final("", &code));
	ck_assert(!bpg_cli_state_final("completed", &code));
	ck_assert(!bpg_cli_state_final(NULL, &code));
}
END_TEST

START_TEST(test_api_message)
{
	char m[128];
	const char *b;

	b = "{\"code\":400,\"message\":\"jakarta.ws.rs.WebApplicationException"
	    ": Unsupported queue: nope\"}";
	bpg_cli_api_message(b, strlen(b), 400, m, sizeof(m));
	ck_assert_str_eq(m, "Unsupported queue: nope");
	b = "{\"code\":\"401\",\"message\":\"HTTP 401 Unauthorized.\"}";
	bpg_cli_api_message(b, strlen(b), 401, m, sizeof(m));
	ck_assert_str_eq(m, "HTTP 401 Unauthorized.");
	b = "{\"msg\":\"Session '7' not found.\"}";
	bpg_cli_api_message(b, strlen(b), 404, m, sizeof(m));
	ck_assert_str_eq(m, "Session '7' not found.");
	/* Not JSON: the first line, control bytes made harmless. */
	b = "<html>\033[31mBad\r\nGateway</html>";
	bpg_cli_api_message(b, strlen(b), 502, m, sizeof(m));
	ck_assert_str_eq(m, "<html>?[31mBad");
	bpg_cli_api_message("", 0, 503, m, sizeof(m));
	ck_assert_str_eq(m, "HTTP 503");
	b = "{\"other\":1}";
	bpg_cli_api_message(b, strlen(b), 500, m, sizeof(m));
	ck_assert_str_eq(m, "HTTP 500");
	/* Cut to fit. */
	b = "{\"message\":\"0123456789abcdef\"}";
	bpg_cli_api_message(b, strlen(b), 400, m, 8);
	ck_assert_str_eq(m, "0123456");
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("cli");
	TCase *tc = tcase_create("cli");

	tcase_add_test(tc, test_commands);
	tcase_add_test(tc, test_environment);
	tcase_add_test(tc, test_help);
	tcase_add_loop_test(tc, test_usage_errors, 0,
	    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_no_url);
	tcase_add_test(tc, test_exit_statuses);
	tcase_add_test(tc, test_api_message);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
