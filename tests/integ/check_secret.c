/*
 * Integration test: k8s:secret: references (bpg-reference section 7.3)
 * read from the Kubernetes API stand-in of the running stack
 * (tests/stack.sh), as a gateway running in a pod reads them from its own
 * cluster.
 *
 * Secrets are created through the stand-in's real API (POST
 * /api/v1/namespaces/{ns}/secrets with the bearer token).  A copy of the
 * stack's config takes the database password and the clusters' token from
 * them, with inClusterApiServer pointing at cluster A and
 * inClusterServiceAccountDir at a directory holding the token, the
 * stand-in's CA and a namespace.  Then:
 *   - "bpg-gateway -t -c" accepts it, and warns (never showing a value)
 *     when a key is missing;
 *   - a second gateway started with it (spawn-fcgi, behind its own lighttpd
 *     from tests/stack.sh web-start) records submissions in MariaDB and
 *     creates their SparkApplications: the password and the token from the
 *     Secrets are the ones in use;
 *   - the Secrets are read once, at start-up, not per request (the
 *     stand-in's request log);
 *   - with a wrong password in the Secret the same submission gets 503 and
 *     writes nothing, so the value really comes from the Secret.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "bpg_base64.h"
#include "integ.h"

#define SECRET_NS "bpg-system"
#define STACK_TOKEN_REF "userTokenSOPS: plaintext:kubesim-test-token-" \
	"0123456789"
#define STACK_PW_REF "password: plaintext:bpg-test-pw"
#define DB_PASSWORD "bpg-test-pw"

/* ---- files and processes ------------------------------------------------ */

/* s with every from replaced by to (a new string); count must match. */
static char *
replace_all(const char *s, const char *from, const char *to, int count)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	const char *p, *q;
	char *out, *o;
	int found = 0;

	for (p = s; (q = strstr(p, from)) != NULL; p = q + fl)
		found++;
	ck_assert_msg(found == count, "\"%s\" found %d times, want %d", from,
	    found, count);
	ck_assert_ptr_nonnull(out = malloc(strlen(s) + (size_t)found * tl + 1));
	for (p = s, o = out; (q = strstr(p, from)) != NULL; p = q + fl) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, to, tl);
		o += tl;
		n++;
	}
	strcpy(o, p);
	return out;
}

/* The repository (build/tests/integ/check_secret -> ../../..) and the
 * build directory. */
static char top[PATH_MAX], build[PATH_MAX];

static void
find_dirs(void)
{
	char exe[PATH_MAX], rel[PATH_MAX + 8], *d;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	d = dirname(exe);			/* build/tests/integ */
	snprintf(rel, sizeof(rel), "%s/../..", d);
	ck_assert_ptr_nonnull(realpath(rel, build));
	snprintf(rel, sizeof(rel), "%s/..", build);
	ck_assert_ptr_nonnull(realpath(rel, top));
}

/*
 * Run cmd through the shell; its stdout and stderr go to out_path.
 * Returns the exit status.
 */
static int
run(const char *cmd, const char *out_path)
{
	char line[8192];
	int st;

	snprintf(line, sizeof(line), "%s >%s 2>&1", cmd, out_path);
	st = system(line);
	ck_assert_msg(st != -1 && WIFEXITED(st), "%s did not run", cmd);
	return WEXITSTATUS(st);
}

/* spawn-fcgi with a gateway on dir/gateway.sock; returns its pid. */
static pid_t
start_gateway(const char *dir, const char *config)
{
	char sock[PATH_MAX + 32], gw[PATH_MAX + 32], log[PATH_MAX + 32];
	struct group *www = geteuid() == 0 ? getgrnam("www-data") : NULL;
	struct stat st;
	pid_t pid;
	int i, fd;

	snprintf(sock, sizeof(sock), "%s/gateway.sock", dir);
	snprintf(gw, sizeof(gw), "%s/bpg-gateway", build);
	snprintf(log, sizeof(log), "%s/gateway.log", dir);
	unlink(sock);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Check stops a test's whole process group on SIGTERM. */
		signal(SIGTERM, SIG_DFL);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		/* The web server runs as www-data when we are root. */
		if (www != NULL)
			execlp("spawn-fcgi", "spawn-fcgi", "-s", sock, "-M",
			    "0660", "-G", "www-data", "-n", "--", gw, "-c",
			    config, "-w", "2", (char *)NULL);
		else
			execlp("spawn-fcgi", "spawn-fcgi", "-s", sock, "-M",
			    "0660", "-n", "--", gw, "-c", config, "-w", "2",
			    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 100 && stat(sock, &st) != 0; i++)
		usleep(100000);
	ck_assert_msg(stat(sock, &st) == 0, "the gateway did not start; see "
	    "%s", log);
	return pid;
}

static void
stop_gateway(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

/* Two free loopback ports p and p + 8 (stack.sh's HTTPS and HTTP). */
static int
free_port_base(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, fd2, port = 0, tries;

	for (tries = 0; tries < 20 && port == 0; tries++) {
		ck_assert_int_ge(fd = socket(AF_INET, SOCK_STREAM, 0), 0);
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
		    0);
		ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl),
		    0);
		port = ntohs(sa.sin_port);
		ck_assert_int_ge(fd2 = socket(AF_INET, SOCK_STREAM, 0), 0);
		sa.sin_port = htons((uint16_t)(port + 8));
		if (port > 65000 || bind(fd2, (struct sockaddr *)&sa,
		    sizeof(sa)) != 0)
			port = 0;
		close(fd2);
		close(fd);
	}
	ck_assert_int_ne(port, 0);
	return port;
}

/* Lines of the stand-in's request log that read the Secret name. */
static int
secret_reads(const char *name)
{
	char path[PATH_MAX], line[1024], want[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/kubesim.log",
	    integ_env("BPG_STACK_DIR"));
	snprintf(want, sizeof(want), "spark-cluster-a GET /api/v1/namespaces/"
	    SECRET_NS "/secrets/%s ", name);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, want) != NULL)
			n++;
	fclose(f);
	return n;
}

/*
 * The stand-in logs a request after answering it, so the line can come a
 * moment after the client is done: wait (bounded) for the count to reach
 * want, then return it.  Used for "exactly this many" checks, so a later
 * extra read would still show.
 */
static int
secret_reads_settled(const char *name, int want)
{
	int i, n = 0;

	for (i = 0; i < 50; i++) {
		if ((n = secret_reads(name)) >= want)
			break;
		usleep(100000);
	}
	return n;
}

static bool
db_has(const char *id)
{
	return integ_db_row(id, "1", NULL, 0);
}

/* The port of a URL ("https://127.0.0.1:20201" -> "20201"). */
static const char *
url_port(const char *url)
{
	const char *p = strrchr(url, ':');

	ck_assert_ptr_nonnull(p);
	return p + 1;
}

/*
 * The stack's config, made from tests/stack-config.yaml.in as
 * tests/stack.sh makes it (other tests may change the stack's copy).
 */
static char *
stack_config(void)
{
	static const char *const keys[] = { "@CA@", "@PORT_A@", "@PORT_B@",
		"@DB_PORT@", "@S3_PORT@", NULL };
	char path[PATH_MAX + 64], *text, *ca, *next, *p;
	const char *vals[5];
	int i, n;

	snprintf(path, sizeof(path), "%s/pki/ca.b64",
	    integ_env("BPG_STACK_DIR"));
	ca = integ_slurp(path, NULL);
	ca[strcspn(ca, "\r\n")] = '\0';
	vals[0] = ca;
	vals[1] = url_port(integ_env("BPG_KUBE_A"));
	vals[2] = url_port(integ_env("BPG_KUBE_B"));
	vals[3] = integ_env("BPG_DB_PORT");
	vals[4] = integ_env("BPG_S3_PORT");
	snprintf(path, sizeof(path), "%s/tests/stack-config.yaml.in", top);
	text = integ_slurp(path, NULL);
	for (i = 0; keys[i] != NULL; i++) {
		for (n = 0, p = text; (p = strstr(p, keys[i])) != NULL; p++)
			n++;
		next = replace_all(text, keys[i], vals[i], n);
		free(text);
		text = next;
	}
	free(ca);
	return text;
}

/* ---- the Secrets -------------------------------------------------------- */

static void
put_secret(const char *name, const char *data_json)
{
	char path[256], body[2048];
	struct integ_http a;

	snprintf(path, sizeof(path), "/api/v1/namespaces/" SECRET_NS
	    "/secrets/%s", name);
	a = integ_kube("a", "DELETE", path, NULL);
	ck_assert_msg(a.status == 200 || a.status == 404, "delete %s: %ld",
	    name, a.status);
	integ_http_free(&a);
	snprintf(body, sizeof(body), "{\"apiVersion\":\"v1\",\"kind\":"
	    "\"Secret\",\"metadata\":{\"name\":\"%s\",\"namespace\":\""
	    SECRET_NS "\"},%s}", name, data_json);
	a = integ_kube("a", "POST", "/api/v1/namespaces/" SECRET_NS "/secrets",
	    body);
	ck_assert_msg(a.status == 201, "create %s: %ld %s", name, a.status,
	    a.body);
	integ_http_free(&a);
}

START_TEST(test_secrets_from_the_cluster)
{
	char dir[PATH_MAX], sa[PATH_MAX + 8], path[PATH_MAX + 64];
	char cmd[4 * PATH_MAX], url[256], ca[PATH_MAX + 32];
	char *stack_cfg, *cfg, *tmp, *out, *body, *b64, data[512];
	const char *id;
	struct integ_http a;
	struct integ_req sub = { .method = "POST", .url = url, .ca = ca,
		.userpw = INTEG_ALICE, .ctype = INTEG_JSON };
	pid_t gw;
	int base, reads_db, reads_kube, i;
	size_t crs;

	/* The test writes the stack's directory; the gateway it starts and
	 * the web server in front of it are stopped at the end. */

	find_dirs();

	/* The Secrets: the DB password (and a wrong one), the token. */
	ck_assert_int_eq(bpg_base64_encode((const unsigned char *)
	    integ_env("BPG_KUBE_TOKEN"), strlen(integ_env("BPG_KUBE_TOKEN")),
	    &b64, NULL), BPG_OK);
	snprintf(data, sizeof(data), "\"data\":{\"token\":\"%s\"}", b64);
	free(b64);
	put_secret("bpg-kube", data);
	put_secret("bpg-db", "\"stringData\":{\"password\":\"" DB_PASSWORD
	    "\",\"wrong\":\"not-the-password\"}");

	/* The service account a pod would have. */
	snprintf(dir, sizeof(dir), "%s/secret", integ_env("BPG_STACK_DIR"));
	mkdir(dir, 0755);
	snprintf(sa, sizeof(sa), "%s/sa", dir);
	mkdir(sa, 0755);
	snprintf(path, sizeof(path), "%s/token", sa);
	integ_spit(path, integ_env("BPG_KUBE_TOKEN"));
	snprintf(path, sizeof(path), "%s/namespace", sa);
	integ_spit(path, SECRET_NS);
	snprintf(path, sizeof(path), "%s/ca.crt", sa);
	tmp = integ_slurp(integ_env("BPG_KUBE_CA"), NULL);
	integ_spit(path, tmp);
	free(tmp);

	/* The stack's config, password and tokens from the Secrets. */
	stack_cfg = stack_config();
	tmp = replace_all(stack_cfg, STACK_PW_REF,
	    "password: k8s:secret::bpg-db:password", 1);
	cfg = replace_all(tmp, STACK_TOKEN_REF,
	    "userTokenSOPS: k8s:secret:" SECRET_NS ":bpg-kube:token", 2);
	free(tmp);
	ck_assert_int_gt(asprintf(&tmp, "%sinClusterApiServer: %s\n"
	    "inClusterServiceAccountDir: %s\n", cfg, integ_env("BPG_KUBE_A"),
	    sa), 0);
	free(cfg);
	cfg = tmp;
	ck_assert_ptr_null(strstr(cfg, DB_PASSWORD));
	ck_assert_ptr_null(strstr(cfg, integ_env("BPG_KUBE_TOKEN")));
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	integ_spit(path, cfg);

	/* 1. bpg-gateway -t accepts it, without a warning. */
	reads_db = secret_reads("bpg-db");
	reads_kube = secret_reads("bpg-kube");
	snprintf(cmd, sizeof(cmd), "%s/bpg-gateway -t -c %s/config.yaml",
	    build, dir);
	snprintf(path, sizeof(path), "%s/check.out", dir);
	ck_assert_msg(run(cmd, path) == 0, "%s failed: %s", cmd,
	    tmp = integ_slurp(path, NULL));
	out = integ_slurp(path, NULL);
	ck_assert_msg(strstr(out, "config.yaml: OK") != NULL, "%s", out);
	ck_assert_msg(strstr(out, "reference text itself") == NULL, "%s", out);
	free(out);
	/* One read of each Secret for the whole config. */
	ck_assert_int_eq(secret_reads_settled("bpg-db", reads_db + 1),
	    reads_db + 1);
	ck_assert_int_eq(secret_reads_settled("bpg-kube", reads_kube + 1),
	    reads_kube + 1);

	/* 2. A missing key: the text itself, a warning naming the Secret,
	 * never a value. */
	reads_db = secret_reads("bpg-db");
	reads_kube = secret_reads("bpg-kube");
	tmp = replace_all(cfg, "k8s:secret::bpg-db:password",
	    "k8s:secret::bpg-db:nokey", 1);
	snprintf(path, sizeof(path), "%s/config-nokey.yaml", dir);
	integ_spit(path, tmp);
	free(tmp);
	snprintf(cmd, sizeof(cmd), "%s/bpg-gateway -t -c %s/config-nokey.yaml",
	    build, dir);
	snprintf(path, sizeof(path), "%s/check-nokey.out", dir);
	ck_assert_int_eq(run(cmd, path), 0);
	out = integ_slurp(path, NULL);
	ck_assert_msg(strstr(out, "dbStorageSOPS.password: Secret " SECRET_NS
	    "/bpg-db has no key \"nokey\"; the reference text itself is used")
	    != NULL, "%s", out);
	ck_assert_ptr_null(strstr(out, DB_PASSWORD));
	ck_assert_ptr_null(strstr(out, "not-the-password"));
	free(out);
	/* Its reads are counted before step 3 takes its own baseline. */
	ck_assert_int_eq(secret_reads_settled("bpg-db", reads_db + 1),
	    reads_db + 1);
	ck_assert_int_eq(secret_reads_settled("bpg-kube", reads_kube + 1),
	    reads_kube + 1);

	/* 3. A gateway with it, behind its own web server. */
	reads_db = secret_reads("bpg-db");
	reads_kube = secret_reads("bpg-kube");
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	gw = start_gateway(dir, path);
	/* The supervisor read each Secret once, before forking. */
	ck_assert_int_eq(secret_reads_settled("bpg-db", reads_db + 1),
	    reads_db + 1);
	ck_assert_int_eq(secret_reads_settled("bpg-kube", reads_kube + 1),
	    reads_kube + 1);
	base = free_port_base();
	snprintf(cmd, sizeof(cmd), "sh %s/tests/stack.sh web-start %s %d", top,
	    dir, base);
	snprintf(path, sizeof(path), "%s/web-start.out", dir);
	ck_assert_msg(run(cmd, path) == 0, "web-start: %s",
	    integ_slurp(path, NULL));
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/skatev2/spark", base);
	snprintf(ca, sizeof(ca), "%s/pki/ca.pem", dir);
	sub.body = body = integ_sparkpi(NULL);

	/* 4. Submissions are recorded (the password) and created (the
	 * token); the Secrets are not read again. */
	for (i = 0; i < 3; i++) {
		a = integ_request(&sub);
		ck_assert_msg(a.status == 200, "submit: %ld %s", a.status,
		    a.body);
		id = json_string_value(json_object_get(a.json,
		    "submissionId"));
		ck_assert_ptr_nonnull(id);
		ck_assert_msg(db_has(id), "no row for %s", id);
		integ_http_free(&a);
	}
	ck_assert_int_eq(secret_reads_settled("bpg-db", reads_db + 1),
	    reads_db + 1);
	ck_assert_int_eq(secret_reads_settled("bpg-kube", reads_kube + 1),
	    reads_kube + 1);

	/* 5. The wrong password from the Secret: 503, nothing created. */
	stop_gateway(gw);
	tmp = replace_all(cfg, "k8s:secret::bpg-db:password",
	    "k8s:secret::bpg-db:wrong", 1);
	snprintf(path, sizeof(path), "%s/config-wrong.yaml", dir);
	integ_spit(path, tmp);
	free(tmp);
	gw = start_gateway(dir, path);
	crs = integ_cr_count("a");
	a = integ_request(&sub);
	ck_assert_msg(a.status == 503, "want 503: %ld %s", a.status, a.body);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(a.json,
	    "message")), "could not be recorded"));
	integ_http_free(&a);
	ck_assert_uint_eq(integ_cr_count("a"), crs);

	stop_gateway(gw);
	snprintf(cmd, sizeof(cmd), "sh %s/tests/stack.sh web-stop %s", top,
	    dir);
	snprintf(path, sizeof(path), "%s/web-stop.out", dir);
	run(cmd, path);
	free(body);
	free(cfg);
	free(stack_cfg);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("secret");
	TCase *tc = tcase_create("in-cluster");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, test_secrets_from_the_cluster);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
