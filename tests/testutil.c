/*
 * Fixtures shared by the unit test programs; see testutil.h.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpg_buf.h"
#include "testutil.h"

int
tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, CK_FORK_GETENV);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- files ------------------------------------------------------------ */

char *
tu_slurp(const char *path, size_t *len)
{
	FILE *f;
	char *buf;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/*
 * <the running program's directory>/<rel><name>, new; NULL when
 * /proc/self/exe cannot be read.
 */
static char *
beside_exe(const char *rel, const char *name)
{
	char exe[PATH_MAX], *p;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return NULL;
	exe[n] = '\0';
	if (asprintf(&p, "%s/%s%s", dirname(exe), rel, name) < 0)
		return NULL;
	return p;
}

char *
tu_data_path(const char *dir, const char *name)
{
	const char *env = getenv("BPG_TEST_DATA");
	char *p, *rel;

	ck_assert_int_gt(asprintf(&rel, "%s/%s", dir, name), 0);
	if (env != NULL) {
		ck_assert_int_gt(asprintf(&p, "%s/%s", env, rel), 0);
		goto out;
	}
	ck_assert_int_gt(asprintf(&p, "tests/data/%s", rel), 0);
	if (access(p, R_OK) == 0)
		goto out;
	free(p);
	/* <BUILD>/tests/check_x -> the repository root */
	p = beside_exe("../../tests/data/", rel);
	ck_assert_msg(p != NULL, "tests/data/%s: the program's directory is "
	    "not known", rel);
out:
	free(rel);
	return p;
}

char *
tu_slurp_data(const char *dir, const char *name, size_t *len)
{
	char *path = tu_data_path(dir, name), *buf;

	buf = tu_slurp(path, len);
	ck_assert_msg(buf != NULL, "cannot read %s (run from the repository "
	    "root or set BPG_TEST_DATA)", path);
	free(path);
	return buf;
}

char *
tu_shared_path(const char *name)
{
	const char *dir = getenv("BPG_SHARED_DIR");
	char *p;

	/* ../shared beside the repository (make runs from its root). */
	if (asprintf(&p, "../shared/spec/%s", name) < 0)
		return NULL;
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	if (dir != NULL) {
		if (asprintf(&p, "%s/spec/%s", dir, name) < 0)
			return NULL;
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	/* <BUILD>/tests/check_x -> ../shared of the repository */
	if ((p = beside_exe("../../../shared/spec/", name)) != NULL &&
	    access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

char *
tu_slurp_shared(const char *name, size_t *len)
{
	char *path = tu_shared_path(name), *buf;

	ck_assert_msg(path != NULL, "cannot find shared spec/%s: run from the "
	    "repository root or set BPG_SHARED_DIR", name);
	buf = tu_slurp(path, len);
	ck_assert_msg(buf != NULL, "cannot read %s", path);
	free(path);
	return buf;
}

/* ---- the arena -------------------------------------------------------- */

static void *arena[8192];
static size_t narena;
static json_t *jarena[1024];
static size_t njarena;

void *
tu_track(void *p)
{
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_lt(narena, sizeof(arena) / sizeof(arena[0]));
	arena[narena++] = p;
	return p;
}

json_t *
tu_jtrack(json_t *j)
{
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_lt(njarena, sizeof(jarena) / sizeof(jarena[0]));
	jarena[njarena++] = j;
	return j;
}

void
tu_arena_free(void)
{
	while (narena > 0)
		free(arena[--narena]);
	while (njarena > 0)
		json_decref(jarena[--njarena]);
}

char *
tu_str(const char *s)
{
	return s != NULL ? tu_track(strdup(s)) : NULL;
}

struct bpg_strlist
tu_strlist(const char *csv)
{
	struct bpg_strlist l = { NULL, 0, false };
	const char *p, *comma;
	size_t n = 1;

	if (csv == NULL)
		return l;
	l.present = true;
	if (csv[0] == '\0')
		return l;
	for (p = csv; *p; p++)
		n += *p == ',';
	l.v = tu_track(calloc(n, sizeof(char *)));
	for (p = csv; ; p = comma + 1) {
		comma = strchr(p, ',');
		l.v[l.n++] = tu_track(comma ? strndup(p, (size_t)(comma - p)) :
		    strdup(p));
		if (comma == NULL)
			break;
	}
	return l;
}

json_t *
tu_json(const char *text)
{
	json_error_t err;
	json_t *j;

	if (text == NULL)
		return NULL;
	j = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	ck_assert_msg(j != NULL, "bad test JSON %s: %s", text, err.text);
	return tu_jtrack(j);
}

/* ---- configs ---------------------------------------------------------- */

struct bpg_config *
tu_config(const char *yaml, const char *extra)
{
	struct bpg_config_error err;
	struct bpg_config *cfg = NULL;
	char *text;
	enum bpg_err e;

	ck_assert_int_ne(asprintf(&text, "%s%s", yaml,
	    extra != NULL ? extra : ""), -1);
	e = bpg_config_parse(text, strlen(text), &cfg, &err);
	free(text);
	ck_assert_msg(e == BPG_OK, "config: %s at %s line %d", err.msg,
	    err.path, err.line);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

bool
tu_has_warning(const struct bpg_config *cfg, const char *needle)
{
	size_t i;

	for (i = 0; i < cfg->warnings.n; i++)
		if (strstr(cfg->warnings.v[i], needle) != NULL)
			return true;
	return false;
}

/* ---- test servers ----------------------------------------------------- */

unsigned int
tu_env_port(const char *name, const char *script)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (s == NULL || s[0] == '\0')
		ck_abort_msg("%s is not set: run through tests/run-unit.sh, "
		    "or start a server with 'sh tests/%s start DIR PORT' and "
		    "export %s=PORT", name, script, name);
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > 65535)
		ck_abort_msg("%s is not a port: %s", name, s);
	return (unsigned int)v;
}

unsigned int
tu_closed_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

void
tu_append(char **p, size_t *len, size_t *cap, const void *s, size_t n)
{
	struct bpg_buf b = { *p, *len, *cap };

	ck_assert_int_eq(bpg_buf_append(&b, s, n, 0), BPG_OK);
	*p = b.p;
	*len = b.len;
	*cap = b.cap;
}
