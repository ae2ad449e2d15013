/*
 * Tests of lib/bpg_cache.c with a fake clock: expiry after write, the
 * size bound, replacement, and that reads do not extend an entry's life.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_cache.h"
#include "testutil.h"

/* The fake clock, in milliseconds. */
static int64_t now;

static struct bpg_cache *
make(size_t max, int64_t ttl)
{
	struct bpg_cache *c = NULL;

	ck_assert_int_eq(bpg_cache_new(max, ttl, &c), BPG_OK);
	ck_assert_ptr_nonnull(c);
	return c;
}

static void
put_int(struct bpg_cache *c, const char *key, json_int_t v)
{
	json_t *j = json_integer(v);

	ck_assert_int_eq(bpg_cache_put(c, key, j, now), BPG_OK);
	json_decref(j);
}

/* The value under key, or -1 when there is none. */
static json_int_t
get_int(struct bpg_cache *c, const char *key)
{
	json_t *v = bpg_cache_get(c, key, now);
	json_int_t i;

	if (v == NULL)
		return -1;
	i = json_integer_value(v);
	json_decref(v);
	return i;
}

START_TEST(test_expiry)
{
	struct bpg_cache *c = make(16, 990);

	now = 1000;
	ck_assert_int_eq(get_int(c, "a"), -1);
	put_int(c, "a", 1);
	ck_assert_int_eq(get_int(c, "a"), 1);
	now += 989;
	ck_assert_int_eq(get_int(c, "a"), 1);
	/* Reads do not extend the life: expireAfterWrite. */
	now += 1;
	ck_assert_int_eq(get_int(c, "a"), -1);
	ck_assert_uint_eq(bpg_cache_size(c), 0);
	bpg_cache_free(c);
}
END_TEST

START_TEST(test_rewrite_restarts_life)
{
	struct bpg_cache *c = make(16, 100);

	now = 0;
	put_int(c, "a", 1);
	now = 60;
	put_int(c, "a", 2);
	now = 150;
	ck_assert_int_eq(get_int(c, "a"), 2);
	now = 160;
	ck_assert_int_eq(get_int(c, "a"), -1);
	ck_assert_uint_eq(bpg_cache_size(c), 0);
	bpg_cache_free(c);
}
END_TEST

START_TEST(test_bounded)
{
	struct bpg_cache *c = make(3, 1000);
	char key[16];
	int i;

	now = 0;
	for (i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put_int(c, key, i);
		now++;
	}
	ck_assert_uint_eq(bpg_cache_size(c), 3);
	/* Full: the entry written longest ago goes. */
	put_int(c, "k3", 3);
	ck_assert_uint_eq(bpg_cache_size(c), 3);
	ck_assert_int_eq(get_int(c, "k0"), -1);
	ck_assert_int_eq(get_int(c, "k1"), 1);
	ck_assert_int_eq(get_int(c, "k3"), 3);
	/* Rewriting k1 makes k2 the oldest. */
	put_int(c, "k1", 11);
	put_int(c, "k4", 4);
	ck_assert_int_eq(get_int(c, "k2"), -1);
	ck_assert_int_eq(get_int(c, "k1"), 11);
	ck_assert_int_eq(get_int(c, "k4"), 4);
	/* Many more keys than room: never more than the bound. */
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "x%d", i);
		put_int(c, key, i);
		ck_assert_uint_le(bpg_cache_size(c), 3);
	}
	ck_assert_int_eq(get_int(c, "x9999"), 9999);
	ck_assert_int_eq(get_int(c, "x9996"), -1);
	bpg_cache_free(c);
}
END_TEST

START_TEST(test_expired_swept_on_write)
{
	struct bpg_cache *c = make(100, 10);
	char key[16];
	int i;

	now = 0;
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		put_int(c, key, i);
	}
	ck_assert_uint_eq(bpg_cache_size(c), 50);
	now = 10;
	put_int(c, "fresh", 1);
	ck_assert_uint_eq(bpg_cache_size(c), 1);
	bpg_cache_free(c);
}
END_TEST

START_TEST(test_values_are_shared_safely)
{
	struct bpg_cache *c = make(4, 1000);
	json_t *v = json_pack("{s:i}", "code", 404), *got;

	now = 5;
	ck_assert_int_eq(bpg_cache_put(c, "id", v, now), BPG_OK);
	/* The caller's reference stays its own. */
	json_object_set_new(v, "code", json_integer(200));
	got = bpg_cache_get(c, "id", now);
	ck_assert_ptr_eq(got, v);
	json_decref(got);
	json_decref(v);
	bpg_cache_remove(c, "id");
	ck_assert_ptr_null(bpg_cache_get(c, "id", now));
	bpg_cache_remove(c, "absent");
	bpg_cache_free(c);
}
END_TEST

START_TEST(test_zero_ttl_and_errors)
{
	struct bpg_cache *c = make(4, 0);

	now = 0;
	put_int(c, "a", 1);
	ck_assert_int_eq(get_int(c, "a"), -1);
	bpg_cache_free(c);
	ck_assert_int_eq(bpg_cache_new(0, 10, &c), BPG_EINVAL);
	ck_assert_ptr_null(c);
	bpg_cache_free(NULL);
}
END_TEST

/* Keys that collide in a small table still find their own entries. */
START_TEST(test_many_keys)
{
	struct bpg_cache *c = make(4096, 1000);
	char key[48];
	int i;

	now = 0;
	for (i = 0; i < 4096; i++) {
		snprintf(key, sizeof(key), "c01-%032x", i);
		put_int(c, key, i);
	}
	for (i = 0; i < 4096; i++) {
		snprintf(key, sizeof(key), "c01-%032x", i);
		ck_assert_int_eq(get_int(c, key), i);
	}
	bpg_cache_free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_rewrite_restarts_life);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_expired_swept_on_write);
	tcase_add_test(tc, test_values_are_shared_safely);
	tcase_add_test(tc, test_zero_ttl_and_errors);
	tcase_add_test(tc, test_many_keys);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
