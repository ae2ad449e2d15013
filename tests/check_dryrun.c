/*
 * Tests for lib/bpg_dryrun.c: the dryRun query parameter (a table of good
 * and bad values, each row named), the masking of what may carry a
 * secret in the CR shown, the warnings, and that a dry run answers the CR
 * a submission would build without advancing the zone counters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_crd.h"
#include "bpg_dryrun.h"
#include "bpg_req.h"
#include "testutil.h"

#define ID "c01-0123456789abcdef0123456789abcdef"

static const char *config_yaml =
    "sparkClusters:\n"
    "  - id: c01\n"
    "    weight: 100\n"
    "    masterUrl: https://127.0.0.1:1\n"
    "    userTokenSOPS: plaintext:0123456789abcdef\n"
    "    sparkApplicationNamespace: spark-applications\n"
    "    sparkVersions: ['3.5.0']\n"
    "    queues: [poc, dev]\n"
    "    driver:\n"
    "      env:\n"
    "        - {name: CLUSTER_PASSWORD, value: cluster-s3cret}\n"
    "sparkImages:\n"
    "  - {name: 'apache/spark:3.5.0', types: [Java], version: '3.5.0'}\n"
    "queues:\n"
    "  - name: poc\n"
    "  - name: dev\n"
    "    driverCPUBufferRatio: 1.5\n"
    "    executorMemBufferRatio: 2.0\n"
    "    allowedZones: [zone-a, zone-b]\n";

/* ---- the parameter ---------------------------------------------------- */

static const struct param_row {
	const char *name;
	const char *query;
	enum bpg_err err;
	bool on;
	const char *msg;	/* in ei.msg on error */
} param_rows[] = {
	{ "no query", NULL, BPG_OK, false, NULL },
	{ "empty query", "", BPG_OK, false, NULL },
	{ "other parameter", "dagUser=x", BPG_OK, false, NULL },
	{ "longer name", "dryRunX=maybe", BPG_OK, false, NULL },
	{ "shorter name", "dryRu=maybe", BPG_OK, false, NULL },
	{ "no value", "dryRun", BPG_OK, false, NULL },
	{ "true", "dryRun=true", BPG_OK, true, NULL },
	{ "TRUE", "dryRun=TRUE", BPG_OK, true, NULL },
	{ "false", "dryRun=false", BPG_OK, false, NULL },
	{ "after another", "dagUser=x&dryRun=true", BPG_OK, true, NULL },
	{ "before another", "dryRun=true&dagUser=x", BPG_OK, true, NULL },
	{ "maybe", "dryRun=maybe", BPG_EINVAL, false,
	  "Invalid value for query parameter dryRun: \"maybe\" (expected "
	  "true or false)" },
	{ "empty value", "dryRun=", BPG_EINVAL, false, "dryRun: \"\"" },
	{ "1", "dryRun=1", BPG_EINVAL, false, "dryRun: \"1\"" },
	{ "encoded", "dryRun=%74rue", BPG_EINVAL, false, "\"%74rue\"" },
	{ "control bytes", "dryRun=a\x01\"b", BPG_EINVAL, false,
	  "dryRun: \"a??b\"" },
	{ "long value cut",
	  "dryRun=0123456789012345678901234567890123456789", BPG_EINVAL, false,
	  "\"01234567890123456789012345678901...\"" },
	{ "twice", "dryRun=true&dryRun=false", BPG_EINVAL, false,
	  "Invalid query parameter dryRun: given more than once" },
	{ "twice, bad second", "dryRun=true&dryRun=maybe", BPG_EINVAL, false,
	  "dryRun: given more than once" },
};

START_TEST(test_param)
{
	const struct param_row *r = &param_rows[_i];
	struct bpg_errinfo ei = { "" };
	bool on = !r->on;

	ck_assert_msg(bpg_dryrun_param(r->query, &on, &ei) == r->err,
	    "%s: error %d", r->name, r->err);
	ck_assert_msg(on == r->on, "%s: on %d", r->name, on);
	if (r->msg != NULL)
		ck_assert_msg(strstr(ei.msg, r->msg) != NULL,
		    "%s: message \"%s\"", r->name, ei.msg);
}
END_TEST

/* ---- masking ---------------------------------------------------------- */

START_TEST(test_mask)
{
	const char *text =
	    "{\"spec\": {"
	    " \"sparkConf\": {\"spark.hadoop.fs.s3a.secret.key\": \"k1\","
	    "   \"spark.db.PASSWORD\": \"p1\", \"spark.auth.Token\": \"t1\","
	    "   \"spark.app.name\": \"pi\"},"
	    " \"hadoopConf\": {\"fs.s3a.secret.key\": \"k2\","
	    "   \"fs.defaultFS\": \"s3a://b\"},"
	    " \"driver\": {\"cores\": 1, \"env\": ["
	    "   {\"name\": \"A\", \"value\": \"va\"},"
	    "   {\"name\": \"NODE\", \"valueFrom\": {\"fieldRef\":"
	    "     {\"fieldPath\": \"spec.nodeName\"}}}]},"
	    " \"executor\": {\"env\": [{\"name\": \"B\", \"value\": \"\"}]}}}";
	const char *want =
	    "{\"spec\": {"
	    " \"sparkConf\": {\"spark.hadoop.fs.s3a.secret.key\": \"***\","
	    "   \"spark.db.PASSWORD\": \"***\", \"spark.auth.Token\": \"***\","
	    "   \"spark.app.name\": \"pi\"},"
	    " \"hadoopConf\": {\"fs.s3a.secret.key\": \"***\","
	    "   \"fs.defaultFS\": \"s3a://b\"},"
	    " \"driver\": {\"cores\": 1, \"env\": ["
	    "   {\"name\": \"A\", \"value\": \"***\"},"
	    "   {\"name\": \"NODE\", \"valueFrom\": {\"fieldRef\":"
	    "     {\"fieldPath\": \"spec.nodeName\"}}}]},"
	    " \"executor\": {\"env\": [{\"name\": \"B\", \"value\": \"***\"}]}}}";
	json_t *cr = tu_json(text), *orig = tu_json(text);
	json_t *m = tu_jtrack(bpg_dryrun_mask(cr));

	ck_assert(json_equal(m, tu_json(want)));
	/* The CR that would be sent is not changed. */
	ck_assert(json_equal(cr, orig));
	/* A CR without the masked parts is copied as it is. */
	cr = tu_json("{\"metadata\": {\"name\": \"x\"}, \"spec\": {}}");
	ck_assert(json_equal(tu_jtrack(bpg_dryrun_mask(cr)), cr));
}
END_TEST

/* ---- the whole dry run ------------------------------------------------ */

static json_t *
must_run(const struct bpg_config *cfg, const char *body,
    struct bpg_zones *zones, json_t **built)
{
	struct bpg_submit_req req, req2;
	struct bpg_errinfo ei = { "" };
	struct bpg_crd_ctx ctx = { ID, "alice", "alice", "dev" };
	json_t *out = NULL, *cr = NULL;
	struct bpg_zones *copy = NULL;

	ck_assert_int_eq(bpg_req_parse(body, strlen(body), BPG_REQ_JSON, &req,
	    &ei), BPG_OK);
	ck_assert_int_eq(bpg_req_parse(body, strlen(body), BPG_REQ_JSON,
	    &req2, &ei), BPG_OK);
	/* What a submission builds with the same counters. */
	ck_assert_int_eq(bpg_zones_dup(zones, &copy), BPG_OK);
	ck_assert_int_eq(bpg_crd_build(cfg, &cfg->clusters[0], &req2, &ctx,
	    copy, &cr, &ei), BPG_OK);
	*built = tu_jtrack(cr);
	ck_assert_msg(bpg_dryrun_run(cfg, &cfg->clusters[0], &req, &ctx,
	    zones, &out, &ei) == BPG_OK, "%s", ei.msg);
	bpg_zones_free(copy);
	bpg_req_reset(&req2);
	bpg_req_reset(&req);
	return tu_jtrack(out);
}

static bool
has_warning(const json_t *a, const char *needle)
{
	json_t *w;
	size_t i;

	json_array_foreach(a, i, w)
		if (strstr(json_string_value(w), needle) != NULL)
			return true;
	return false;
}

START_TEST(test_run)
{
	struct bpg_config *cfg = tu_config(config_yaml, NULL);
	struct bpg_zones *zones;
	const char *body =
	    "{\"sparkVersion\": \"3.5.0\", \"mainClass\": \"Pi\","
	    " \"mainApplicationFile\": \"s3a://b/pi.jar\","
	    " \"sparkConf\": {\"spark.hadoop.fs.s3a.secret.key\": \"k1\"},"
	    " \"driver\": {\"cores\": 2, \"memory\": \"2g\", \"env\":"
	    "   [{\"name\": \"MY_TOKEN\", \"value\": \"user-s3cret\"}]}}";
	json_t *out, *built, *shown, *w;
	char *text;

	ck_assert_int_eq(bpg_zones_new(&zones), BPG_OK);
	out = must_run(cfg, body, zones, &built);
	ck_assert_str_eq(json_string_value(json_object_get(out, "cluster")),
	    "c01");
	ck_assert_str_eq(json_string_value(json_object_get(out, "queue")),
	    "dev");
	ck_assert_str_eq(json_string_value(json_object_get(out,
	    "submissionId")), ID);
	/* The CR shown is the CR built, masked. */
	shown = json_object_get(out, "sparkApplication");
	ck_assert(json_equal(shown, tu_jtrack(bpg_dryrun_mask(built))));
	ck_assert(!json_equal(shown, built));
	text = tu_track(json_dumps(out, 0));
	ck_assert_msg(strstr(text, "s3cret") == NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"k1\"") == NULL, "%s", text);

	w = json_object_get(out, "warnings");
	ck_assert(json_is_array(w));
	ck_assert_msg(has_warning(w, "zone zone-a chosen from queue dev's "
	    "allowedZones"), "%s", text);
	ck_assert_msg(has_warning(w, "queue dev's driver CPU buffer ratio 1.5 "
	    "applied: cores 3"), "%s", text);
	ck_assert_msg(has_warning(w, "queue dev's executor memory buffer "
	    "ratio 2 applied: memory 2g"), "%s", text);
	ck_assert_msg(has_warning(w, "executor.cores not given: defaulted to "
	    "1"), "%s", text);
	ck_assert_msg(has_warning(w, "executor.instances not given: "
	    "defaulted to 1"), "%s", text);
	ck_assert_msg(has_warning(w, "image not given: apache/spark:3.5.0"),
	    "%s", text);
	ck_assert_msg(!has_warning(w, "driver.cores not given"), "%s", text);
	ck_assert_msg(!has_warning(w, "driver.memory not given"), "%s", text);

	/* The dry run did not advance the zone counter: the next pick is
	 * still the first zone, and a second dry run shows it again. */
	out = must_run(cfg, body, zones, &built);
	ck_assert_msg(has_warning(json_object_get(out, "warnings"),
	    "zone zone-a chosen"), "%s", (char *)tu_track(json_dumps(out, 0)));
	ck_assert_str_eq(bpg_zones_pick(zones, &cfg->queues[1]), "zone-a");
	bpg_zones_free(zones);
	bpg_config_free(cfg);
}
END_TEST

START_TEST(test_run_errors)
{
	struct bpg_config *cfg = tu_config(config_yaml, NULL);
	const char *body =
	    "{\"sparkVersion\": \"3.5.0\", \"type\": \"Python\","
	    " \"mainApplicationFile\": \"s3a://b/pi.py\"}";
	struct bpg_submit_req req;
	struct bpg_errinfo ei = { "" }, ei2 = { "" };
	struct bpg_crd_ctx ctx = { ID, "alice", "alice", "dev" };
	json_t *out = NULL, *cr = NULL;

	/* No image for Python: the error of a real submission. */
	ck_assert_int_eq(bpg_req_parse(body, strlen(body), BPG_REQ_JSON, &req,
	    &ei), BPG_OK);
	ck_assert_int_eq(bpg_dryrun_run(cfg, &cfg->clusters[0], &req, &ctx,
	    NULL, &out, &ei), BPG_EINVAL);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(bpg_crd_build(cfg, &cfg->clusters[0], &req, &ctx,
	    NULL, &cr, &ei2), BPG_EINVAL);
	ck_assert_str_eq(ei.msg, ei2.msg);
	bpg_req_reset(&req);

	/* What bpg_crd_check() refuses is refused as in a submission. */
	body = "{\"sparkVersion\": \"3.5.0\", \"mainClass\": \"Pi\","
	    " \"mainApplicationFile\": \"s3a://b/pi.jar\","
	    " \"driver\": {\"labels\": {\"bad key!\": \"v\"}}}";
	ck_assert_int_eq(bpg_req_parse(body, strlen(body), BPG_REQ_JSON, &req,
	    &ei), BPG_OK);
	ck_assert_int_eq(bpg_dryrun_run(cfg, &cfg->clusters[0], &req, &ctx,
	    NULL, &out, &ei), BPG_EINVAL);
	ck_assert_msg(strstr(ei.msg, "Invalid SparkApplication: ") != NULL,
	    "%s", ei.msg);
	ck_assert_ptr_null(out);
	bpg_req_reset(&req);
	bpg_config_free(cfg);
}
END_TEST

START_TEST(test_zones_dup)
{
	struct bpg_config *cfg = tu_config(config_yaml, NULL);
	const struct bpg_queue *dev = &cfg->queues[1];
	struct bpg_zones *z, *d;

	ck_assert_int_eq(bpg_zones_new(&z), BPG_OK);
	ck_assert_int_eq(bpg_zones_dup(z, &d), BPG_OK);
	ck_assert_str_eq(bpg_zones_pick(d, dev), "zone-a");
	bpg_zones_free(d);
	ck_assert_str_eq(bpg_zones_pick(z, dev), "zone-a");
	ck_assert_int_eq(bpg_zones_dup(z, &d), BPG_OK);
	/* The copy goes on from where z was, and z does not move. */
	ck_assert_str_eq(bpg_zones_pick(d, dev), "zone-b");
	ck_assert_str_eq(bpg_zones_pick(d, dev), "zone-a");
	ck_assert_str_eq(bpg_zones_pick(z, dev), "zone-b");
	bpg_zones_free(d);
	bpg_zones_free(z);
	bpg_config_free(cfg);
}
END_TEST

static Suite *
dryrun_suite(void)
{
	Suite *s = suite_create("dryrun");
	TCase *tc = tcase_create("dryrun");

	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_param, 0, TU_NROWS(param_rows));
	tcase_add_test(tc, test_mask);
	tcase_add_test(tc, test_run);
	tcase_add_test(tc, test_run_errors);
	tcase_add_test(tc, test_zones_dup);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return tu_run(dryrun_suite());
}
