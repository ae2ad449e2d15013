/*
 * The receivers of a submission (lib/bpg_notify_plan.c):
 * the request's field first, then its queue's defaults (the parent's for
 * a child queue); refusals name the field; nothing without a database or
 * a secret.  No server: the database handle is made, never connected.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_notify_plan.h"
#include "bpg_db.h"
#include "testutil.h"

static const char base[] =
    "notificationAllowedHosts: [localhost, hooks.example.com]\n"
    "notificationAllowPrivateAddresses: true\n"
    "queues:\n"
    "- name: poc\n"
    "  notify: [{url: 'https://hooks.example.com/q', on: [FAILED]}]\n"
    "- name: dev\n";

static struct bpg_db *
db_of(void)
{
	static char url[] = "jdbc:mysql://127.0.0.1:1/bpg";
	struct bpg_dbconf conf;
	struct bpg_errinfo ei;
	struct bpg_db *db;

	memset(&conf, 0, sizeof(conf));
	conf.connection_string = url;
	ck_assert_int_eq(bpg_db_new(&conf, &db, &ei), BPG_OK);
	ck_assert(bpg_db_enabled(db));
	return db;
}

START_TEST(test_request_then_queue)
{
	struct bpg_config *cfg = tu_config(base,
	    "notificationSecretSOPS: plaintext:k\n");
	struct bpg_db *db = db_of();
	struct bpg_notify_spec s;
	struct bpg_errinfo ei;
	json_t *f = tu_json("[{\"url\":\"https://localhost:9/a\"}]");

	ck_assert_msg(bpg_notify_plan(cfg, db, f, "poc", &s, &ei) == BPG_OK,
	    "%s", ei.msg);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_str_eq(s.t[0].url, "https://localhost:9/a");
	ck_assert_str_eq(s.t[1].url, "https://hooks.example.com/q");
	ck_assert_uint_eq(s.t[1].on, 1u << BPG_NOTIFY_FAILED);
	/* A child queue takes its parent's; a queue without, none. */
	ck_assert_int_eq(bpg_notify_plan(cfg, db, NULL, "poc.team1", &s, &ei),
	    BPG_OK);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_int_eq(bpg_notify_plan(cfg, db, NULL, "dev", &s, &ei),
	    BPG_OK);
	ck_assert_uint_eq(s.n, 0);
	bpg_db_free(db);
	bpg_config_free(cfg);
	tu_arena_free();
}
END_TEST

static const struct {
	const char *name, *field, *msg;
} bad[] = {
	{ "host", "{\"url\":\"https://evil.example.com/\"}",
	  "notify.url: host evil.example.com is not in" },
	{ "second", "[{\"url\":\"https://localhost/\"},{\"url\":\"ftp://x/\"}]",
	  "notify[1].url: must be https://" },
	{ "shape", "{\"url\":\"https://localhost/\",\"on\":\"FAILED\"}",
	  "notify.on: must be a non-empty list" },
};

START_TEST(test_refused)
{
	struct bpg_config *cfg = tu_config(base,
	    "notificationSecretSOPS: plaintext:k\n");
	struct bpg_db *db = db_of();
	struct bpg_notify_spec s;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_notify_plan(cfg, db, tu_json(bad[_i].field),
	    "poc", &s, &ei), BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, bad[_i].msg) == ei.msg, "row %s: %s",
	    bad[_i].name, ei.msg);
	bpg_db_free(db);
	bpg_config_free(cfg);
	tu_arena_free();
}
END_TEST

/* A private address is refused after resolving unless allowed. */
START_TEST(test_private_resolved)
{
	struct bpg_config *cfg = tu_config(
	    "notificationAllowedHosts: [localhost]\n"
	    "notificationSecretSOPS: plaintext:k\n", NULL);
	struct bpg_db *db = db_of();
	struct bpg_notify_spec s;
	struct bpg_errinfo ei;

	ck_assert_int_eq(bpg_notify_plan(cfg, db,
	    tu_json("{\"url\":\"https://localhost:8443/h\"}"), NULL, &s, &ei),
	    BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, "notify.url: host localhost resolves to")
	    == ei.msg, "%s", ei.msg);
	bpg_db_free(db);
	bpg_config_free(cfg);
	tu_arena_free();
}
END_TEST

/* Without a database or a secret nothing could be sent: refused. */
START_TEST(test_cannot_send)
{
	struct bpg_config *cfg = tu_config(base, NULL);
	struct bpg_config *with = tu_config(base,
	    "notificationSecretSOPS: plaintext:k\n");
	struct bpg_db *db = db_of();
	struct bpg_notify_spec s;
	struct bpg_errinfo ei;
	json_t *f = tu_json("{\"url\":\"https://localhost/\"}");

	ck_assert_int_eq(bpg_notify_plan(cfg, db, f, "poc", &s, &ei),
	    BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "notificationSecretSOPS"));
	ck_assert_int_eq(bpg_notify_plan(with, NULL, f, "poc", &s, &ei),
	    BPG_EINVAL);
	ck_assert_ptr_nonnull(strstr(ei.msg, "no database"));
	/* The queue's defaults alone: dropped quietly, nothing to refuse. */
	ck_assert_int_eq(bpg_notify_plan(cfg, db, NULL, "poc", &s, &ei),
	    BPG_OK);
	ck_assert_uint_eq(s.n, 0);
	bpg_db_free(db);
	bpg_config_free(with);
	bpg_config_free(cfg);
	tu_arena_free();
}
END_TEST

static Suite *
api_notify_suite(void)
{
	Suite *s = suite_create("notify_plan");
	TCase *tc = tcase_create("plan");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_request_then_queue);
	tcase_add_loop_test(tc, test_refused, 0, TU_NROWS(bad));
	tcase_add_test(tc, test_private_resolved);
	tcase_add_test(tc, test_cannot_send);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(api_notify_suite());
}
