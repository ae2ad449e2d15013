/*
 * Tests of lib/bpg_authz.c: who owns a CR, and who may read, change and
 * list what, under readAccess owner and all, with viewerUsers.  The user
 * pairs are names that one proxyUser label stands for ("alice_" and
 * "alice0" both normalise to "alice0"), which must not own each other's
 * submissions.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "bpg_authz.h"
#include "bpg_config.h"
#include "testutil.h"

static const char *base_yaml =
    "sparkClusters:\n"
    "  - id: c1\n"
    "    masterUrl: https://127.0.0.1:1\n"
    "    sparkApplicationNamespace: ns\n"
    "allowedUsers: ['*']\n"
    "adminUsers: [carol]\n"
    "viewerUsers: [victor]\n";

/* A CR as this gateway builds it for proxy, its label normalised. */
static json_t *
cr_of(const char *proxy, const char *label)
{
	json_t *cr = json_pack("{s:{s:{s:s}}, s:{s:s}}", "metadata", "labels",
	    "proxyUser", label, "spec", "proxyUser", proxy);

	ck_assert_ptr_nonnull(cr);
	return cr;
}

START_TEST(test_cr_owner)
{
	json_t *cr = cr_of("john.doe@corp.com", "john.doe0corp.com");

	/* The exact name, not the label. */
	ck_assert_str_eq(bpg_authz_cr_owner(cr), "john.doe@corp.com");
	json_decref(cr);
	/* Only a label (not written by BPG or us): the label. */
	cr = tu_json("{\"metadata\":{\"labels\":{\"proxyUser\":\"bob\"}}}");
	ck_assert_str_eq(bpg_authz_cr_owner(cr), "bob");
	/* Neither. */
	cr = tu_json("{\"metadata\":{\"name\":\"x\"},\"spec\":{}}");
	ck_assert_ptr_null(bpg_authz_cr_owner(cr));
	ck_assert_ptr_null(bpg_authz_cr_owner(NULL));
	/* A non-string spec.proxyUser is no owner of its own. */
	cr = tu_json("{\"spec\":{\"proxyUser\":7}}");
	ck_assert_ptr_null(bpg_authz_cr_owner(cr));
}
END_TEST

/* user, owner (NULL: unknown): may change, may read (owner), may read
 * (all). */
static const struct {
	const char *user, *owner;
	bool change, read_owner, read_all;
} rows[] = {
	{ "alice_", "alice_", true, true, true },
	{ "alice0", "alice_", false, false, true },
	{ "alice_", "alice0", false, false, true },
	{ "john.doe@corp.com", "john.doe@corp.com", true, true, true },
	{ "john.doe0corp.com", "john.doe@corp.com", false, false, true },
	{ "john.doe@corp.com", "john.doe0corp.com", false, false, true },
	/* Exact bytes: no case folding, no trailing space. */
	{ "Alice", "alice", false, false, true },
	{ "alice ", "alice", false, false, true },
	{ "bob", "alice", false, false, true },
	{ "bob", NULL, false, false, true },
	{ "carol", "alice", true, true, true },
	{ "carol", NULL, true, true, true },
	{ "victor", "alice", false, true, true },
	{ "victor", NULL, false, true, true },
	{ "airflow_system_account", "dagbob", true, true, true },
	/* The Airflow account's DAG user owns the job. */
	{ "dagbob", "dagbob", true, true, true },
};

START_TEST(test_rows)
{
	struct bpg_config *own = tu_config(base_yaml, NULL);
	struct bpg_config *all = tu_config(base_yaml, "readAccess: all\n");
	const char *u = rows[_i].user, *o = rows[_i].owner;

	ck_assert_int_eq(own->read_access, BPG_READ_OWNER);
	ck_assert_int_eq(all->read_access, BPG_READ_ALL);
	ck_assert_msg(bpg_authz_may_change(own, u, o) == rows[_i].change,
	    "change %s/%s", u, o ? o : "(none)");
	ck_assert_msg(bpg_authz_may_change(all, u, o) == rows[_i].change,
	    "change (all) %s/%s", u, o ? o : "(none)");
	ck_assert_msg(bpg_authz_may_read(own, u, o) == rows[_i].read_owner,
	    "read %s/%s", u, o ? o : "(none)");
	ck_assert_msg(bpg_authz_may_read(all, u, o) == rows[_i].read_all,
	    "read (all) %s/%s", u, o ? o : "(none)");
	bpg_config_free(all);
	bpg_config_free(own);
}
END_TEST

START_TEST(test_list_all)
{
	struct bpg_config *own = tu_config(base_yaml, NULL);
	struct bpg_config *all = tu_config(base_yaml, "readAccess: all\n");
	struct bpg_config *expl = tu_config(base_yaml, "readAccess: owner\n");

	ck_assert(bpg_authz_may_list_all(own, "carol"));
	ck_assert(bpg_authz_may_list_all(own, "victor"));
	ck_assert(!bpg_authz_may_list_all(own, "bob"));
	ck_assert(!bpg_authz_may_list_all(own, "airflow_system_account"));
	ck_assert(!bpg_authz_may_list_all(expl, "bob"));
	/* BPG's behaviour: everyone. */
	ck_assert(bpg_authz_may_list_all(all, "bob"));
	bpg_config_free(expl);
	bpg_config_free(all);
	bpg_config_free(own);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("authz");
	TCase *tc = tcase_create("rules");

	tcase_add_test(tc, test_cr_owner);
	tcase_add_loop_test(tc, test_rows, 0, TU_NROWS(rows));
	tcase_add_test(tc, test_list_all);
	suite_add_tcase(su, tc);
	return tu_run(su);
}
