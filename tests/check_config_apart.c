/*
 * Tests for lib/bpg_config_apart.c: the configuration loaded by a thread
 * of its own is the same as bpg_config_load()'s, with the same errors,
 * and lies outside the main arena's heap (the brk [heap] of
 * /proc/self/maps), where a forked worker's own allocations go.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_config_apart.h"
#include "testutil.h"

/* The [heap] mapping of this process; false if it has none. */
static bool
brk_heap(uintptr_t *lo, uintptr_t *hi)
{
	char line[512];
	unsigned long a, b;
	bool found = false;
	FILE *f;

	ck_assert_ptr_nonnull(f = fopen("/proc/self/maps", "r"));
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, "[heap]") != NULL &&
		    sscanf(line, "%lx-%lx", &a, &b) == 2) {
			*lo = a;
			*hi = b;
			found = true;
		}
	fclose(f);
	return found;
}

static bool
in(const void *p, uintptr_t lo, uintptr_t hi)
{
	return (uintptr_t)p >= lo && (uintptr_t)p < hi;
}

START_TEST(test_apart)
{
	struct bpg_config_error err;
	struct bpg_config *cfg;
	char *path = tu_data_path("config", "minimal.yaml");
	uintptr_t lo, hi;
	char *mine;

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(bpg_config_load_apart(path, &cfg, &err), BPG_OK);
	ck_assert_uint_eq(cfg->nclusters, 1);
	ck_assert_str_eq(cfg->clusters[0].id, "c01");
	ck_assert_str_eq(cfg->clusters[0].master_url,
	    "https://127.0.0.1:6443");
	/*
	 * Where this thread's small blocks come from the brk heap (glibc's
	 * main arena; not under ASan's allocator), the configuration's do
	 * not.
	 */
	ck_assert_ptr_nonnull(mine = malloc(64));
	if (brk_heap(&lo, &hi) && in(mine, lo, hi)) {
		ck_assert(!in(cfg, lo, hi));
		ck_assert(!in(cfg->clusters, lo, hi));
		ck_assert(!in(cfg->clusters[0].id, lo, hi));
		ck_assert(!in(cfg->clusters[0].master_url, lo, hi));
	}
	free(mine);
	bpg_config_free(cfg);
	free(path);
}
END_TEST

/* Errors as bpg_config_load()'s: the code and the details. */
START_TEST(test_errors)
{
	static const char *const names[] = { "bad-configmap.yaml",
		"no-such-file.yaml" };
	struct bpg_config_error e1, e2;
	struct bpg_config *c1, *c2;
	enum bpg_err r1, r2;
	char *path;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path = tu_data_path("config", names[i]);
		memset(&e1, 0, sizeof(e1));
		memset(&e2, 0, sizeof(e2));
		r1 = bpg_config_load(path, &c1, &e1);
		r2 = bpg_config_load_apart(path, &c2, &e2);
		ck_assert_int_ne(r1, BPG_OK);
		ck_assert_int_eq(r2, r1);
		ck_assert_int_eq(e2.line, e1.line);
		ck_assert_str_eq(e2.path, e1.path);
		ck_assert_str_eq(e2.msg, e1.msg);
		free(path);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config_apart");
	TCase *tc = tcase_create("config_apart");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_apart);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
