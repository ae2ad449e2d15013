/*
 * Integration tests: the command-line client bpg ($BUILD/bpg-cli) run as a
 * program against the real stack, through the web server (lighttpd or
 * Apache) as a user would run it.
 *   - Every command, and its exit status: submit (JSON and YAML, --queue,
 *     --wait, --follow-log), status (--wait), logs, delete, list (--all),
 *     spec, describe, upload, version, help.
 *   - --wait ends with 0 on COMPLETED and 1 on FAILED (the stand-in's
 *     operator made to fail every job), and with 3 when --timeout passes
 *     first (a job that never ends); answers of a busy gateway (502
 *     while the cluster's API fails) are asked again, silently.
 *   - -o json prints the API's answer byte for byte (the same request made
 *     directly gives the same body).
 *   - -u user without a password asks on the terminal (a pty here), and
 *     what is typed is not echoed.
 *   - Credentials from a netrc file ($HOME/.netrc, --netrc-file, NETRC); a wrong
 *     password is exit 3 with the web server's message, and no password
 *     shows in any output, -v included; no server is exit 4; a usage
 *     error is exit 2.
 *   - A 50 MB upload with --progress: the bar is drawn, the object is
 *     stored, and the client's peak RSS (wait4()) stays within 16 MB of
 *     what bpg version peaks at: the file is streamed, not read whole.
 *     Under ASan the allocator's quarantine is turned off for these two
 *     runs: it keeps every freed TLS and HTTP/2 buffer (up to 256 MB).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "integ.h"

#define PASSWORD "alice-pw"
/*
 * A 50 MB upload may peak at most this much above bpg version's peak RSS
 * (the same program, its libraries and a TLS connection): the file held
 * whole would pass it.
 */
/* A submission ID of the right form that no submission has. */
#define GONE_ID "spark-cluster-a-00000000000000000000000000000000"
#define UPLOAD_SIZE (50L * 1024 * 1024)
#define UPLOAD_RSS_MARGIN_KB (16L * 1024)

/* One run of bpg: exit status (-1 if it did not exit), output, peak RSS. */
struct run {
	int status;
	char *out, *err;
	size_t outlen;
	long maxrss_kb;
};

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

static char *
stack_file(const char *name)
{
	char *p;

	ck_assert_int_ge(asprintf(&p, "%s/%s", integ_env("BPG_STACK_DIR"),
	    name), 0);
	return p;
}

/*
 * Runs bpg with args (NULL-terminated) in an environment of its own:
 * PATH, BPG_URL and BPG_CA_BUNDLE of the stack, HOME an empty directory
 * (no ~/.netrc), then the NAME=value strings of env (NULL-terminated, may
 * be NULL; "NAME=" removes NAME).  stdin is /dev/null and there is no
 * controlling terminal.
 */
static struct run
cli(const char *const *env, const char *const *args)
{
	const char *build = getenv("BUILD"), *argv[32], *envp[32];
	char bin[512], *outp = stack_file("cli.out"), *errp =
	    stack_file("cli.err"), *home = stack_file("cli-home");
	char url[512], ca[512], homev[600];
	struct rusage ru;
	struct run r;
	int n = 0, m = 0, i, j, st, fd;
	pid_t pid;

	memset(&r, 0, sizeof(r));
	snprintf(bin, sizeof(bin), "%s/bpg-cli",
	    build != NULL && build[0] != '\0' ? build : "build");
	argv[n++] = bin;
	for (i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	(void)mkdir(home, 0700);
	snprintf(url, sizeof(url), "BPG_URL=%s", integ_env("BPG_URL"));
	snprintf(ca, sizeof(ca), "BPG_CA_BUNDLE=%s", integ_env("BPG_CA"));
	snprintf(homev, sizeof(homev), "HOME=%s", home);
	envp[m++] = "PATH=/usr/bin:/bin";
	envp[m++] = url;
	envp[m++] = ca;
	envp[m++] = homev;
	for (i = 0; env != NULL && env[i] != NULL && m < 31; i++) {
		size_t k = strcspn(env[i], "=") + 1;

		for (j = 0; j < m; j++)
			if (strncmp(envp[j], env[i], k) == 0)
				break;
		if (env[i][k] == '\0') {	/* "NAME=": removed */
			if (j < m)
				envp[j] = envp[--m];
			continue;
		}
		envp[j] = env[i];
		if (j == m)
			m++;
	}
	envp[m] = NULL;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		(void)setsid();	/* no terminal: no password prompt */
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		fd = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execve(bin, (char *const *)(uintptr_t)argv,
		    (char *const *)(uintptr_t)envp);
		_exit(127);
	}
	ck_assert_int_eq(wait4(pid, &st, 0, &ru), pid);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r.maxrss_kb = ru.ru_maxrss;
	r.out = integ_slurp(outp, &r.outlen);
	r.err = integ_slurp(errp, NULL);
	free(outp);
	free(errp);
	free(home);
	return r;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define ALICE ((const char *const[]){ "BPG_USER=alice", \
	"BPG_PASSWORD=" PASSWORD, NULL })

/* A run that must have ended with status want. */
static struct run
cli_expect(int want, const char *const *env, const char *const *args)
{
	struct run r = cli(env, args);

	/* Under the sanitizers a report may end bpg with a status a test
	 * expects (ASan's is 1): its text fails the test instead. */
	ck_assert_msg(strstr(r.err, "Sanitizer") == NULL &&
	    strstr(r.err, "runtime error:") == NULL, "bpg %s: %s", args[0],
	    r.err);
	ck_assert_msg(r.status == want, "bpg %s %s: exit %d, not %d; stderr: "
	    "%s", args[0], args[1] != NULL ? args[1] : "", r.status, want,
	    r.err);
	return r;
}

/* The SparkPi request written to the stack's directory; its path. */
static char *
sparkpi_file(void)
{
	char *p = stack_file("cli-sparkpi.json"), *body = integ_sparkpi(NULL);

	integ_spit(p, body);
	free(body);
	return p;
}

/* The first line of s, as a new string. */
static char *
first_line(const char *s)
{
	return strndup(s, strcspn(s, "\n"));
}

/* -o json printed the body of the same request made directly. */
static void
assert_same_body(const struct run *r, const char *method, const char *path)
{
	struct integ_http h = integ_api(method, path, INTEG_ALICE, NULL, NULL);

	ck_assert_int_eq(h.status, 200);
	ck_assert_msg(r->outlen == h.len && memcmp(r->out, h.body, h.len) == 0,
	    "%s %s: bpg printed \"%s\", the API answered \"%s\"", method, path,
	    r->out, h.body);
	integ_http_free(&h);
}

static void
operator_outcome(const char *outcome)
{
	char body[128];
	json_t *j;

	snprintf(body, sizeof(body), "{\"outcome\":\"%s\"}", outcome);
	j = integ_control("a", "POST", "/operator", body);
	json_decref(j);
	j = integ_control("b", "POST", "/operator", body);
	json_decref(j);
}

/* Run in the parent after the failing-job tests, whatever they did. */
static void
outcome_reset(void)
{
	operator_outcome("COMPLETED");
}

START_TEST(test_help_usage)
{
	struct run r;

	r = cli_expect(0, NULL, ARGS("--help"));
	ck_assert_ptr_nonnull(strstr(r.out, "usage: bpg"));
	ck_assert_ptr_nonnull(strstr(r.out, "Exit status"));
	run_free(&r);
	r = cli_expect(0, NULL, ARGS("help", "submit"));
	ck_assert_ptr_nonnull(strstr(r.out, "--follow-log"));
	run_free(&r);
	r = cli_expect(0, NULL, ARGS("logs", "--help"));
	ck_assert_ptr_nonnull(strstr(r.out, "--executor"));
	run_free(&r);
	r = cli_expect(2, NULL, ARGS("frobnicate"));
	ck_assert_ptr_nonnull(strstr(r.err, "unknown command"));
	run_free(&r);
	r = cli_expect(2, NULL, ARGS("status"));
	ck_assert_ptr_nonnull(strstr(r.err, "status needs ID"));
	run_free(&r);
	r = cli_expect(2, ((const char *const[]){ "BPG_URL=", NULL }),
	    ARGS("list"));
	ck_assert_ptr_nonnull(strstr(r.err, "BPG_URL"));
	run_free(&r);
	/* -u without a password, none in BPG_PASSWORD, and no terminal. */
	r = cli_expect(2, NULL, ARGS("-u", "alice", "list"));
	ck_assert_ptr_nonnull(strstr(r.err, "no terminal"));
	run_free(&r);
}
END_TEST

START_TEST(test_submit_wait_completed)
{
	char *file = sparkpi_file(), *id, *path;
	struct integ_http h;
	struct run r;

	/* submit --wait: the ID first, then the final status. */
	r = cli_expect(0, ALICE, ARGS("submit", file, "--wait", "--progress"));
	id = first_line(r.out);
	ck_assert_msg(strncmp(id, "spark-cluster-", 14) == 0, "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "COMPLETED"));
	ck_assert_ptr_nonnull(strstr(r.err, "waiting ["));
	ck_assert_ptr_nonnull(strstr(r.err, "100%"));
	run_free(&r);

	/* status: for people, then as the API wrote it. */
	r = cli_expect(0, ALICE, ARGS("status", id));
	ck_assert_ptr_nonnull(strstr(r.out, "State:             COMPLETED"));
	ck_assert_ptr_nonnull(strstr(r.out, "Created:"));
	run_free(&r);
	r = cli_expect(0, ALICE, ARGS("status", id, "--wait", "-o", "json"));
	ck_assert_int_ge(asprintf(&path, "/spark/%s/status", id), 0);
	assert_same_body(&r, "GET", path);
	free(path);
	run_free(&r);

	r = cli_expect(0, ALICE, ARGS("spec", id, "-o", "json"));
	ck_assert_int_ge(asprintf(&path, "/spark/%s/spec", id), 0);
	assert_same_body(&r, "GET", path);
	free(path);
	run_free(&r);
	r = cli_expect(0, ALICE, ARGS("spec", id));
	ck_assert_ptr_nonnull(strstr(r.out, "\n  \"sparkVersion\": \"3.5.0\""));
	run_free(&r);

	r = cli_expect(0, ALICE, ARGS("describe", id));
	ck_assert_int_ge(asprintf(&path, "/spark/%s/describe", id), 0);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_int_eq(h.status, 200);
	/* Events may be added between the two reads: the spec part. */
	ck_assert_ptr_nonnull(strstr(r.out, "--- Spark Spec ---"));
	ck_assert_int_eq(strncmp(r.out, h.body, 200), 0);
	integ_http_free(&h);
	free(path);
	run_free(&r);

	r = cli_expect(0, ALICE, ARGS("logs", id));
	ck_assert_msg(r.outlen > 0, "no log");
	run_free(&r);

	r = cli_expect(0, ALICE, ARGS("list"));
	ck_assert_ptr_nonnull(strstr(r.out, "SUBMISSION ID"));
	ck_assert_ptr_nonnull(strstr(r.out, id));
	run_free(&r);
	r = cli_expect(0, ALICE, ARGS("list", "-o", "json"));
	h.json = json_loadb(r.out, r.outlen, 0, NULL);
	ck_assert_msg(json_is_array(json_object_get(h.json, "submissions")),
	    "%s", r.out);
	json_decref(h.json);
	run_free(&r);
	/* --all: everyone's, for an admin (NDJSON read line by line). */
	r = cli_expect(0, ((const char *const[]){ "BPG_USER=carol",
	    "BPG_PASSWORD=carol-pw", NULL }), ARGS("list", "--all"));
	ck_assert_ptr_nonnull(strstr(r.out, id));
	run_free(&r);

	/* delete, then -o json against a second delete (200 when gone). */
	r = cli_expect(0, ALICE, ARGS("delete", id));
	ck_assert_ptr_nonnull(strstr(r.out, "deleted"));
	run_free(&r);
	r = cli_expect(0, ALICE, ARGS("delete", id, "-o", "json"));
	ck_assert_int_ge(asprintf(&path, "/spark/%s", id), 0);
	assert_same_body(&r, "DELETE", path);
	free(path);
	run_free(&r);

	free(id);
	free(file);
}
END_TEST

START_TEST(test_submit_yaml_queue_follow)
{
	static const char yaml[] =
	    "applicationName: cli-yaml\n"
	    "queue: nosuch\n"
	    "sparkVersion: 3.5.0\n"
	    "mainApplicationFile: local:///usr/lib/spark/examples/jars/"
	    "spark-examples.jar\n"
	    "mainClass: org.apache.spark.examples.SparkPi\n";
	char *file = stack_file("cli-job.yaml"), *id;
	struct run r;

	integ_spit(file, yaml);
	/* The file's queue does not exist: the API's message, exit 3. */
	r = cli_expect(3, ALICE, ARGS("submit", file));
	ck_assert_ptr_nonnull(strstr(r.err, "The queue nosuch does not exist"));
	ck_assert_ptr_nonnull(strstr(r.err, "HTTP 400"));
	ck_assert_str_eq(r.out, "");
	run_free(&r);

	/* --queue replaces it; --follow-log prints the driver's log, then
	 * the final status. */
	r = cli_expect(0, ALICE, ARGS("submit", file, "--queue", "dev",
	    "--follow-log"));
	id = first_line(r.out);
	ck_assert_msg(strncmp(id, "spark-cluster-", 14) == 0, "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "Pi is roughly"));
	ck_assert_ptr_nonnull(strstr(r.out, "State:             COMPLETED"));
	run_free(&r);

	/* -o json: the API's answer to the submission. */
	r = cli_expect(0, ALICE, ARGS("submit", file, "--queue", "dev", "-o",
	    "json"));
	ck_assert_ptr_nonnull(strstr(r.out, "{\"submissionId\":\"spark-"));
	run_free(&r);
	free(id);
	free(file);
}
END_TEST

START_TEST(test_wait_failed)
{
	char *file = sparkpi_file(), *id;
	struct run r;

	operator_outcome("FAILED");
	r = cli_expect(1, ALICE, ARGS("submit", file, "--wait"));
	id = first_line(r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "State:             FAILED"));
	run_free(&r);
	r = cli_expect(1, ALICE, ARGS("status", id, "--wait"));
	ck_assert_ptr_nonnull(strstr(r.out, "FAILED"));
	run_free(&r);
	/* Without --wait the status is shown, and that is a success. */
	r = cli_expect(0, ALICE, ARGS("status", id));
	run_free(&r);
	free(id);

	/* A job that never ends: --timeout gives up, exit 3. */
	operator_outcome("RUNNING");
	r = cli_expect(3, ALICE, ARGS("submit", file, "--wait", "--timeout",
	    "1"));
	ck_assert_ptr_nonnull(strstr(r.err, "gave up waiting after 1 s"));
	id = first_line(r.out);
	run_free(&r);
	r = cli_expect(0, ALICE, ARGS("delete", id));	/* not left running */
	run_free(&r);
	free(id);
	free(file);
}
END_TEST

START_TEST(test_prompt_no_echo)
{
	char bin[512], url[512], ca[600], buf[4096];
	const char *build = getenv("BUILD");
	size_t len = 0;
	bool sent = false;
	struct pollfd pfd;
	ssize_t n;
	int fd, st;
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/bpg-cli",
	    build != NULL && build[0] != '\0' ? build : "build");
	snprintf(url, sizeof(url), "%s", integ_env("BPG_URL"));
	snprintf(ca, sizeof(ca), "%s", integ_env("BPG_CA"));
	pid = forkpty(&fd, NULL, NULL, NULL);
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* A request that needs the password, with a short answer
		 * (a submission that does not exist is deleted with a 200). */
		execl(bin, "bpg", "--url", url, "--cacert", ca, "-u", "alice",
		    "delete", GONE_ID, "-o", "json", (char *)NULL);
		_exit(127);
	}
	/* Everything the terminal shows, the answer to the prompt typed
	 * once it appears. */
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		ck_assert_msg(poll(&pfd, 1, 60000) == 1, "no output: \"%.*s\"",
		    (int)len, buf);
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)	/* EIO: the program ended */
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (!sent && strstr(buf, "Password for alice: ") != NULL) {
			ck_assert_int_eq(write(fd, PASSWORD "\n",
			    strlen(PASSWORD) + 1), (ssize_t)strlen(PASSWORD) + 1);
			sent = true;
		}
		if (len == sizeof(buf) - 1)	/* keep reading, keep 1 KB */
			len = 1024;
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	close(fd);
	buf[len] = '\0';
	ck_assert_msg(sent, "no prompt: %s", buf);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", buf);
	ck_assert_ptr_nonnull(strstr(buf, "{\"submissionId\":\"" GONE_ID));
	ck_assert_msg(strstr(buf, PASSWORD) == NULL, "echoed: %s", buf);
}
END_TEST

START_TEST(test_wait_retries_busy_gateway)
{
	char *file = sparkpi_file(), *id;
	json_t *j;
	struct run r;

	r = cli_expect(0, ALICE, ARGS("submit", file));
	id = first_line(r.out);
	run_free(&r);
	/* The cluster's API fails twice: the gateway answers 502. */
	j = integ_control(id, "POST", "/faults",
	    "{\"fail_next\":2,\"fail_status\":500}");
	json_decref(j);
	r = cli_expect(0, ALICE, ARGS("-v", "status", id, "--wait"));
	j = integ_control(id, "DELETE", "/faults", NULL);
	json_decref(j);
	ck_assert_msg(strstr(r.err, "< 502") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.err, "bpg:") == NULL, "%s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "COMPLETED"));
	run_free(&r);
	free(id);
	free(file);
}
END_TEST

START_TEST(test_netrc)
{
	char *home = stack_file("cli-netrc-home"), *netrc, *other, *homev;
	char *netrcv;
	char line[256];
	struct run r;

	(void)mkdir(home, 0700);
	ck_assert_int_ge(asprintf(&netrc, "%s/.netrc", home), 0);
	snprintf(line, sizeof(line), "machine 127.0.0.1 login alice password "
	    "%s\n", PASSWORD);
	integ_spit(netrc, line);
	ck_assert_int_eq(chmod(netrc, 0600), 0);
	ck_assert_int_ge(asprintf(&homev, "HOME=%s", home), 0);

	/* ~/.netrc */
	r = cli_expect(0, ((const char *const[]){ homev, NULL }),
	    ARGS("list"));
	ck_assert_ptr_nonnull(strstr(r.out, "no submissions") != NULL ?
	    r.out : strstr(r.out, "SUBMISSION ID"));
	run_free(&r);

	/* --netrc-file, with a wrong password in it */
	other = stack_file("cli-netrc-other");
	integ_spit(other, "machine 127.0.0.1 login alice password nope\n");
	r = cli_expect(3, NULL, ARGS("list", "--netrc-file", other));
	ck_assert_ptr_nonnull(strstr(r.err, "401"));
	run_free(&r);

	/* NETRC names the file, as --netrc-file does. */
	ck_assert_int_ge(asprintf(&netrcv, "NETRC=%s", netrc), 0);
	r = cli_expect(0, ((const char *const[]){ netrcv, NULL }),
	    ARGS("list", "-o", "json"));
	ck_assert_ptr_nonnull(strstr(r.out, "{\"submissions\":"));
	run_free(&r);
	free(netrcv);

	/* No credentials at all: the web server's 401. */
	r = cli_expect(3, NULL, ARGS("list"));
	ck_assert_ptr_nonnull(strstr(r.err, "HTTP 401 Unauthorized."));
	run_free(&r);
	free(other);
	free(homev);
	free(netrc);
	free(home);
}
END_TEST

START_TEST(test_wrong_password_never_printed)
{
	/* "alice:wrong-hunter2-pw" in base64, as Authorization would hold
	 * it, and the password itself: neither is ever printed. */
	static const char b64[] = "YWxpY2U6d3JvbmctaHVudGVyMi1wdw==";
	struct run r;

	r = cli_expect(3, ((const char *const[]){ "BPG_USER=alice",
	    "BPG_PASSWORD=wrong-hunter2-pw", NULL }), ARGS("-v", "list"));
	ck_assert_ptr_nonnull(strstr(r.err, "HTTP 401 Unauthorized."));
	ck_assert_ptr_nonnull(strstr(r.err, "> GET "));
	ck_assert_ptr_null(strstr(r.err, "hunter2"));
	ck_assert_ptr_null(strstr(r.out, "hunter2"));
	ck_assert_ptr_null(strstr(r.err, b64));
	run_free(&r);
	/* -u user:password, -v: the same */
	r = cli_expect(3, NULL, ARGS("-v", "-u", "alice:wrong-hunter2-pw",
	    "status", "spark-cluster-a-00000000000000000000000000000000"));
	ck_assert_ptr_null(strstr(r.err, "hunter2"));
	ck_assert_ptr_null(strstr(r.err, b64));
	run_free(&r);
}
END_TEST

START_TEST(test_server_down)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char url[128];
	struct run r;
	int s;

	/* A port that was free a moment ago and has no listener. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sa, &len), 0);
	close(s);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/skatev2",
	    ntohs(sa.sin_port));
	r = cli_expect(4, ALICE, ARGS("--url", url, "list"));
	ck_assert_ptr_nonnull(strstr(r.err, "cannot reach"));
	run_free(&r);
	/* A certificate nobody vouches for: not reached either. */
	r = cli_expect(4, ((const char *const[]){ "BPG_USER=alice",
	    "BPG_PASSWORD=" PASSWORD, "BPG_CA_BUNDLE=/etc/ssl/certs/"
	    "ca-certificates.crt", NULL }), ARGS("list"));
	run_free(&r);
}
END_TEST

START_TEST(test_upload_50mb_streamed)
{
	char *file = stack_file("cli-upload-50m.bin"), want[128], *asan;
	const char *parent = getenv("ASAN_OPTIONS");
	const char *env[4];
	struct run r;
	long base_kb;
	FILE *f;

	ck_assert_int_ge(asprintf(&asan, "ASAN_OPTIONS=%s%squarantine_size_mb"
	    "=0", parent != NULL ? parent : "", parent != NULL &&
	    parent[0] != '\0' ? ":" : ""), 0);
	env[0] = "BPG_USER=alice";
	env[1] = "BPG_PASSWORD=" PASSWORD;
	env[2] = asan;
	env[3] = NULL;
	f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), UPLOAD_SIZE), 0);
	fclose(f);

	r = cli_expect(0, env, ARGS("version"));
	base_kb = r.maxrss_kb;
	run_free(&r);
	r = cli_expect(0, env, ARGS("upload", file, "--folder", "cli",
	    "--progress"));
	ck_assert_msg(r.maxrss_kb < base_kb + UPLOAD_RSS_MARGIN_KB, "peak RSS "
	    "%ld kB for a %ld-byte upload, %ld kB for bpg version",
	    r.maxrss_kb, UPLOAD_SIZE, base_kb);
	snprintf(want, sizeof(want), "/cli/cli-upload-50m.bin\n");
	ck_assert_msg(strncmp(r.out, "s3a://", 6) == 0 &&
	    strstr(r.out, want) != NULL, "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.err, "upload ["));
	ck_assert_ptr_nonnull(strstr(r.err, "100%  50.0 MiB / 50.0 MiB"));
	run_free(&r);

	/* -o json: the API's answer, once more (the same user may replace
	 * an object of its own). */
	r = cli_expect(0, ALICE, ARGS("upload", file, "--folder", "cli", "-o",
	    "json"));
	ck_assert_msg(strncmp(r.out, "{\"url\":\"s3a://", 14) == 0, "%s",
	    r.out);
	ck_assert_ptr_null(strstr(r.err, "upload ["));	/* no tty, no bar */
	run_free(&r);
	ck_assert_int_eq(unlink(file), 0);
	free(asan);
	free(file);
}
END_TEST

START_TEST(test_version)
{
	struct run r;

	r = cli_expect(0, NULL, ARGS("version", "-o", "json"));
	assert_same_body(&r, "GET", "/admin/version");
	run_free(&r);
	r = cli_expect(0, NULL, ARGS("version"));
	ck_assert_ptr_nonnull(strstr(r.out, "bpg "));
	ck_assert_ptr_nonnull(strstr(r.out, "gateway "));
	run_free(&r);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");
	TCase *failed = tcase_create("failed");

	tcase_set_timeout(tc, 600);
	tcase_set_timeout(failed, 600);
	tcase_add_test(tc, test_help_usage);
	tcase_add_test(tc, test_submit_wait_completed);
	tcase_add_test(tc, test_submit_yaml_queue_follow);
	tcase_add_test(tc, test_wait_retries_busy_gateway);
	tcase_add_test(tc, test_prompt_no_echo);
	tcase_add_test(tc, test_netrc);
	tcase_add_test(tc, test_wrong_password_never_printed);
	tcase_add_test(tc, test_server_down);
	tcase_add_test(tc, test_upload_50mb_streamed);
	tcase_add_test(tc, test_version);
	/* The operator made to fail jobs, then reset whatever happened. */
	tcase_add_unchecked_fixture(failed, NULL, outcome_reset);
	tcase_add_test(failed, test_wait_failed);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, failed);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
