/*
 * Tests for lib/bpg_crd_text.c: the SparkApplication written as text is
 * the reference's (bpg_crd_build(), bpg_crd_check(), bpg_json_dump())
 * byte for byte, and a request the reference refuses is refused with the
 * same code and text.  Requests go through the real parser, against
 * tests/data/crd/text-config.yaml, on both its clusters.  tests/check_crd.c
 * compares the two for every CR it builds as well.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_crd_text.h"
#include "bpg_json.h"
#include "bpg_num.h"
#include "testutil.h"

#define ID "c01-0123456789abcdef0123456789abcdef"

static struct bpg_config *
config(void)
{
	struct bpg_config_error err;
	struct bpg_config *cfg = NULL;
	char *text;
	size_t len;

	text = tu_track(tu_slurp_data("crd", "text-config.yaml", &len));
	ck_assert_msg(bpg_config_parse(text, len, &cfg, &err) == BPG_OK,
	    "config: %s at %s", err.msg, err.path);
	/* As the gateway loads it: the parts of the configuration alone
	 * written once (tests/check_crd.c compares the CRs written without
	 * them). */
	ck_assert(bpg_crd_text_prepare(cfg));
	ck_assert_ptr_nonnull(cfg->derived);
	return cfg;
}

/*
 * body (JSON, or YAML when it does not start with '{') built both ways on
 * cluster c of cfg for queue; the two agree.  Returns the outcome, the
 * text (tracked) or the message in *msg.
 */
static enum bpg_err
both_req(const struct bpg_config *cfg, size_t c, struct bpg_submit_req *req,
    const char *queue, const char *proxy_user, struct bpg_zones *zones,
    const char **out)
{
	static struct bpg_errinfo ei_t, ei_r;
	struct bpg_crd_ctx ctx = { ID, "alice", NULL, NULL };
	struct bpg_zones *z;
	char *text = NULL, *ref;
	size_t len = 0;
	enum bpg_err et, er;

	ctx.proxy_user = proxy_user;
	ctx.queue = queue;
	ck_assert_int_eq(bpg_zones_dup(zones, &z), BPG_OK);
	ei_t.msg[0] = ei_r.msg[0] = '\0';
	et = bpg_crd_text(cfg, &cfg->clusters[c], req, &ctx, z, &text, &len,
	    &ei_t);
	bpg_zones_free(z);
	er = bpg_crd_text_ref(cfg, &cfg->clusters[c], req, &ctx, zones, &ref,
	    NULL, &ei_r);
	if (ref != NULL)
		tu_track(ref);
	ck_assert_msg(et == er, "text: %s \"%s\"; tree: %s \"%s\"",
	    bpg_strerror(et), ei_t.msg, bpg_strerror(er), ei_r.msg);
	if (et != BPG_OK) {
		ck_assert_ptr_null(text);
		ck_assert_str_eq(ei_t.msg, ei_r.msg);
		*out = ei_t.msg;
		return et;
	}
	tu_track(text);
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_msg(strcmp(text, ref) == 0, "text:\n%s\ntree:\n%s", text,
	    ref);
	*out = text;
	return et;
}

static enum bpg_err
both(const struct bpg_config *cfg, size_t c, const char *body,
    const char *queue, const char *proxy_user, struct bpg_zones *zones,
    const char **out)
{
	struct bpg_submit_req req;
	struct bpg_errinfo ei;
	enum bpg_err e;

	ck_assert_msg(bpg_req_parse(body, strlen(body), body[0] == '{' ?
	    BPG_REQ_JSON : BPG_REQ_YAML, &req, &ei) == BPG_OK,
	    "request: %s", ei.msg);
	e = both_req(cfg, c, &req, queue, proxy_user, zones, out);
	bpg_req_reset(&req);
	return e;
}

/* ---- rows: each on both clusters --------------------------------------- */

#define BASE "\"applicationName\":\"Pi\",\"sparkVersion\":\"3.5.0\"," \
	"\"mainApplicationFile\":\"local:///x.jar\",\"mainClass\":\"a.B\""

static const struct row {
	const char *name;
	const char *queue;
	const char *body;
	const char *want;	/* in the text, or in the error (NULL: OK) */
	bool fails;
} rows[] = {
	{ "sparkpi", "dev", "{" BASE ",\"driver\":{\"cores\":1,\"memory\":"
	    "\"2g\",\"labels\":{\"version\":\"3.5.0\"}},\"executor\":"
	    "{\"instances\":2,\"cores\":1,\"memory\":\"2g\"}}",
	    "\"instances\":2", false },
	{ "yaml", "poc", "applicationName: Pi\nsparkVersion: 3.5.0\n"
	    "mainApplicationFile: local:///x.jar\ndriver: {memory: 512m}\n",
	    "\"memory\":\"512m\"", false },
	/* zones, buffer ratios, the Ranger gate (a custom image) */
	{ "zones and ratios", "poc", "{" BASE ",\"image\":\"my/img:1\","
	    "\"sparkConf\":{\"spark.b\":\"2\"},\"driver\":{\"cores\":2}}",
	    "\"topology.kubernetes.io/zone\"", false },
	{ "picked zones given", "poc", "{" BASE ",\"sparkConf\":"
	    "{\"bpg.pickedZones\":\",z9,,z8,\"}}",
	    "\"topology.kubernetes.io/zone\"", false },
	{ "spot", "dev", "{" BASE ",\"spotInstance\":true}", "\"spot\"",
	    false },
	{ "conf nulls and placeholder", "poc", "{" BASE ",\"sparkConf\":"
	    "{\"spark.a\":null,\"spark.x\":\"/{spark-application-resource-"
	    "name}/\",\"spark.authenticate\":\"false\"}}",
	    "\"spark.authenticate\":\"true\"", false },
	{ "conf past the linear table", "poc", NULL, "\"spark.k99\":\"99\"",
	    false },
	{ "labels normalised", "poc", "{" BASE ",\"driver\":{\"labels\":"
	    "{\"dag_name\":\"My DAG!\",\"task_name\":null,\"x\":\"y\"}}}",
	    "\"dag_name\":\"", false },
	{ "driver annotations", "poc", "{" BASE ",\"driver\":{\"annotations\":"
	    "{\"cluster-autoscaler.kubernetes.io/safe-to-evict\":\"true\","
	    "\"Big/Key\":\"x\",\"n\":null}}}", "\"Big/Key\":\"x\"", false },
	{ "executor annotations null", "poc", "applicationName: Pi\n"
	    "sparkVersion: 3.5.0\nmainApplicationFile: local:///x.jar\n"
	    "executor: {annotations: ~, labels: {}}\n", "\"labels\":{}",
	    false },
	{ "executor annotations given", "poc", "{" BASE ",\"executor\":"
	    "{\"annotations\":{\"a\":\"b\"}}}", "\"annotations\":{\"a\":\"b\"}",
	    false },
	{ "nested nulls", "poc", "{" BASE ",\"arguments\":[\"a\",\"b\"],"
	    "\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"path\":\"/p\","
	    "\"type\":null}}],\"driver\":{\"env\":[{\"name\":\"A\","
	    "\"value\":null},{\"name\":\"A\",\"value\":\"2\"}],"
	    "\"volumeMounts\":[{\"name\":\"v\",\"mountPath\":\"/m\","
	    "\"subPath\":null}],\"securityContext\":{\"privileged\":null,"
	    "\"runAsUser\":5}},\"deps\":{\"jars\":[\"a\"],\"files\":null}}",
	    "\"hostPath\":{\"path\":\"/p\"}", false },
	{ "executor options", "dev", "{" BASE ",\"executor\":{\"instances\":3,"
	    "\"deleteOnTermination\":false,\"coreLimit\":\"3\",\"memory\":"
	    "\"1.5g\",\"cores\":2,\"terminationGracePeriodSeconds\":30},"
	    "\"restartPolicy\":{\"type\":\"Never\"},\"pythonVersion\":\"3\"}",
	    "\"deleteOnTermination\":false", false },
	/* refused by the build */
	{ "bad core limit", "poc", "{" BASE ",\"driver\":{\"coreLimit\":"
	    "\"x\"}}", "driver.coreLimit", true },
	{ "bad memory", "poc", "{" BASE ",\"executor\":{\"memory\":\"g\"}}",
	    "executor.memory", true },
	{ "no image", "poc", "{\"sparkVersion\":\"9.9\",\"mainClass\":\"a\","
	    "\"mainApplicationFile\":\"x\"}",
	    "Spark image not found", true },
	/* refused by the check */
	{ "no sparkVersion", "poc", "{\"mainApplicationFile\":\"x\","
	    "\"image\":\"i\"}", "spec.sparkVersion: Required value", true },
	{ "bad type", "poc", "{" BASE ",\"type\":\"Go\",\"image\":\"i\"}",
	    "spec.type", true },
	{ "bad python", "poc", "{" BASE ",\"pythonVersion\":\"4\"}",
	    "spec.pythonVersion", true },
	{ "cores past int32 after the ratio", "poc", "{" BASE ",\"driver\":"
	    "{\"cores\":2147483647}}", "driver.cores: out of range", true },
	{ "bad pod name", "poc", "{" BASE ",\"driver\":{\"podName\":"
	    "\"My_Pod\"}}", "spec.driver.podName", true },
	{ "bad label", "poc", "{" BASE ",\"executor\":{\"labels\":{\"bad\":"
	    "\"a b\"}}}", "spec.executor.labels[\"bad\"]", true },
	{ "bad annotation key", "poc", "{" BASE ",\"driver\":{\"annotations\":"
	    "{\"a/b/c\":\"x\"}}}", "spec.driver.annotations[\"a/b/c\"]", true },
	{ "bad restart policy", "poc", "{" BASE ",\"restartPolicy\":{\"type\":"
	    "\"Sometimes\"}}", "spec.restartPolicy.type", true },
	{ "bad affinity", "poc", "{" BASE ",\"executor\":{\"affinity\":"
	    "{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuring"
	    "Execution\":{\"nodeSelectorTerms\":[{\"matchExpressions\":"
	    "[{\"key\":\"k\",\"operator\":null}]}]}}}}}",
	    "matchExpressions[0].operator: Required value", true },
	{ "bad user label", "poc:Bob Smith", "{" BASE "}", NULL, false },
};

/* 80 sparkConf keys: more than the text writer's table holds. */
static const char *
big_conf_body(void)
{
	char *b = NULL;
	size_t len = 0, cap = 0;
	char item[64];
	int i, n;

	tu_append(&b, &len, &cap, "{" BASE ",\"sparkConf\":{",
	    strlen("{" BASE ",\"sparkConf\":{"));
	for (i = 0; i < 100; i++) {
		n = snprintf(item, sizeof(item), "%s\"spark.k%d\":\"%d\"",
		    i > 0 ? "," : "", i, i);
		tu_append(&b, &len, &cap, item, (size_t)n);
	}
	tu_append(&b, &len, &cap, "}}", 3);
	return tu_track(b);
}

START_TEST(test_rows)
{
	const struct row *r = &rows[_i];
	struct bpg_config *cfg = config();
	struct bpg_zones *zones;
	const char *body = r->body != NULL ? r->body : big_conf_body();
	const char *queue = r->queue, *colon, *proxy = "alice", *out;
	char q[32];
	enum bpg_err e;
	size_t c;

	if ((colon = strchr(queue, ':')) != NULL) {
		snprintf(q, sizeof(q), "%.*s", (int)(colon - queue), queue);
		queue = q;
		proxy = colon + 1;
	}
	ck_assert_int_eq(bpg_zones_new(&zones), BPG_OK);
	for (c = 0; c < cfg->nclusters; c++) {
		e = both(cfg, c, body, queue, proxy, zones, &out);
		/* The rows are about the requests: the same on either
		 * cluster but for the image check, which only c01 passes
		 * for a Python version (c02's is the same). */
		ck_assert_msg((e != BPG_OK) == r->fails, "row %s, cluster %zu: "
		    "%s", r->name, c, out);
		if (r->want != NULL)
			ck_assert_msg(strstr(out, r->want) != NULL, "row %s, "
			    "cluster %zu: no %s in %s", r->name, c, r->want,
			    out);
	}
	bpg_zones_free(zones);
	bpg_config_free(cfg);
}
END_TEST

/* The zone counter moves as the tree's does: a run of submissions on a
 * queue with zones pins them in turn, the same ones both ways. */
START_TEST(test_zone_turns)
{
	struct bpg_config *cfg = config();
	struct bpg_zones *zones;
	const char *out;
	int i;

	ck_assert_int_eq(bpg_zones_new(&zones), BPG_OK);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(both(cfg, 0, "{" BASE ",\"sparkConf\":{}}",
		    "poc", "alice", zones, &out), BPG_OK);
		ck_assert_ptr_nonnull(strstr(out, i % 2 == 0 ?
		    "\"bpg.pickedZones\":\"z1\"" :
		    "\"bpg.pickedZones\":\"z2\""));
	}
	bpg_zones_free(zones);
	bpg_config_free(cfg);
}
END_TEST

/* Every request of the fuzzer's seed corpus, both ways. */
START_TEST(test_corpus)
{
	static const char *const seeds[] = { "full-json", "full-yaml",
		"retry-json", "sample-scala-json", "sample-scala-yaml",
		"sparkpi-yaml", "conf-nulls-json", "pod-edges-json",
		"nested-nulls-json", "bad-limit-json", "yaml-nulls-yaml",
		"big-conf-json", NULL };
	struct bpg_config *cfg = config();
	struct bpg_submit_req req;
	struct bpg_errinfo ei;
	struct bpg_zones *zones;
	const char *out;
	char *seed;
	size_t i, c, len;

	ck_assert_int_eq(bpg_zones_new(&zones), BPG_OK);
	for (i = 0; seeds[i] != NULL; i++) {
		seed = tu_track(tu_slurp_data("../fuzz/corpus/crd_text",
		    seeds[i], &len));
		/* The first byte is the fuzzer's format switch. */
		ck_assert_int_eq(bpg_req_parse(seed + 1, len - 1, (seed[0] & 1) ?
		    BPG_REQ_YAML : BPG_REQ_JSON, &req, &ei), BPG_OK);
		bpg_req_reset(&req);
		for (c = 0; c < cfg->nclusters; c++) {
			char *body = tu_track(strndup(seed + 1, len - 1));

			/* both() takes JSON when it starts with '{'. */
			if ((seed[0] & 1) && body[0] == '{')
				continue;
			(void)both(cfg, c, body, "poc", "alice", zones, &out);
		}
	}
	bpg_zones_free(zones);
	bpg_config_free(cfg);
}
END_TEST

/*
 * A null in the request's sparkConf removes the key of the layers under
 * it (quirk 39); a later layer that sets it again puts it last, as the
 * tree's hash table does.  (The parser keeps no nulls there; the struct
 * may still hold them.)
 */
START_TEST(test_conf_null)
{
	struct bpg_config *cfg = config();
	struct bpg_submit_req req;
	struct bpg_errinfo ei;
	struct bpg_zones *zones;
	const char *out, *body = "{" BASE ",\"sparkConf\":{\"spark.z\":"
	    "\"1\"}}";

	ck_assert_int_eq(bpg_zones_new(&zones), BPG_OK);
	ck_assert_int_eq(both(cfg, 1, body, "dev", "alice", zones, &out),
	    BPG_OK);
	ck_assert_ptr_nonnull(strstr(out, "\"spark.a\":\"1\",\"spark.b\":\"f\""));
	ck_assert_int_eq(bpg_req_parse(body, strlen(body), BPG_REQ_JSON, &req,
	    &ei), BPG_OK);
	ck_assert_int_eq(json_object_set_new(req.spark_conf, "spark.b",
	    json_null()), 0);
	ck_assert_int_eq(json_object_set_new(req.spark_conf, "spark.a",
	    json_null()), 0);
	ck_assert_int_eq(both_req(cfg, 1, &req, "dev", "alice", zones, &out),
	    BPG_OK);
	ck_assert_ptr_null(strstr(out, "\"spark.a\""));
	ck_assert_ptr_nonnull(strstr(out, "\"spark.z\":\"1\","
	    "\"spark.authenticate\":\"true\",\"spark.b\":\"f\""));
	bpg_req_reset(&req);
	bpg_zones_free(zones);
	bpg_config_free(cfg);
}
END_TEST

/*
 * A sparkConf just under the text writer's table, on a queue with zones:
 * the zone pick adds bpg.pickedZones to the request's sparkConf after
 * the size was counted, and the CR must still be written (as the tree
 * writes it), not refused for want of room.  Without overlapping keys
 * between the layers, so that every key takes an entry.
 */
START_TEST(test_conf_fill)
{
	struct bpg_config *cfg = config();
	struct bpg_zones *zones;
	const char *out;
	char *b, item[48];
	size_t len, cap, keep = cfg->fixed_spark_conf.n, r, r0;
	int i, n;

	/* fixedSparkConf without spark.b, which defaultSparkConf has. */
	ck_assert_str_eq(cfg->fixed_spark_conf.v[1].key, "spark.b");
	cfg->fixed_spark_conf.n = 1;
	/* Cluster c02 (no sparkConf): default 4 + request + fixed 1 + the
	 * app name 1 keys; r0 request keys make 64 of them, the table's
	 * size, and the zone one more. */
	r0 = 64 - (cfg->default_spark_conf.n + cfg->clusters[1].spark_conf.n +
	    cfg->fixed_spark_conf.n + 1);
	ck_assert_int_eq(bpg_zones_new(&zones), BPG_OK);
	for (r = r0 - 1; r <= r0; r++) {
		b = NULL;
		len = cap = 0;
		tu_append(&b, &len, &cap, "{" BASE ",\"sparkConf\":{",
		    strlen("{" BASE ",\"sparkConf\":{"));
		for (i = 0; i < (int)r; i++) {
			n = snprintf(item, sizeof(item), "%s\"spark.f%d\":"
			    "\"%d\"", i > 0 ? "," : "", i, i);
			tu_append(&b, &len, &cap, item, (size_t)n);
		}
		tu_append(&b, &len, &cap, "}}", 3);
		tu_track(b);
		ck_assert_int_eq(both(cfg, 1, b, "poc", "alice", zones, &out),
		    BPG_OK);
		ck_assert_ptr_nonnull(strstr(out, "\"bpg.pickedZones\":"));
	}
	bpg_zones_free(zones);
	cfg->fixed_spark_conf.n = keep;
	bpg_config_free(cfg);
}
END_TEST

/*
 * A layer's sparkConf value with placeholders (the request's own are
 * kept as they are), replaced on the stack when the result fits its 256
 * bytes and on the heap when not: results of 250 to 262 bytes, with one
 * placeholder first, inside or last, or three.
 */
START_TEST(test_conf_placeholder)
{
	static const char ph[] = "{spark-application-resource-name}";
	struct bpg_config *cfg = config();
	struct bpg_kv *kv = &cfg->clusters[0].spark_conf.v[0];
	struct bpg_zones *zones;
	const char *out;
	char *keep = kv->value, *b, *want, *w;
	size_t len, cap, total, pad, k, nph, at, step;
	int shape;

	ck_assert_str_eq(kv->key, "spark.kubernetes.executor.podNamePrefix");
	ck_assert_int_eq(bpg_zones_new(&zones), BPG_OK);
	for (shape = 0; shape < 4; shape++)
		for (total = 250; total <= 262; total++) {
			nph = shape == 3 ? 3 : 1;
			pad = total - nph * strlen(ID);
			step = pad / 2 + 1;
			/* The padding after the one placeholder, around it,
			 * before it; or three placeholders spread. */
			at = shape == 0 ? 0 : shape == 2 ? pad : pad / 2;
			b = NULL;
			len = cap = 0;
			want = tu_track(calloc(1, total + 1));
			w = want;
			for (k = 0; k < pad + nph; k++) {
				if (shape == 3 ? k % step == 0 && k / step < 3 :
				    k == at) {
					tu_append(&b, &len, &cap, ph, strlen(ph));
					memcpy(w, ID, strlen(ID));
					w += strlen(ID);
				} else {
					tu_append(&b, &len, &cap, "v", 1);
					*w++ = 'v';
				}
			}
			tu_append(&b, &len, &cap, "", 1);
			kv->value = tu_track(b);
			ck_assert_uint_eq((size_t)(w - want), total);
			ck_assert_int_eq(both(cfg, 0, "{" BASE "}", "poc",
			    "alice", zones, &out), BPG_OK);
			ck_assert_msg(strstr(out, want) != NULL, "shape %d, "
			    "%zu bytes: no %s in %s", shape, total, want, out);
			ck_assert_ptr_null(strstr(out, ph));
		}
	kv->value = keep;
	bpg_zones_free(zones);
	bpg_config_free(cfg);
}
END_TEST

START_TEST(test_fmt_ll)
{
	static const long long v[] = { 0, 7, -7, 1000, INT64_MAX, INT64_MIN };
	char buf[BPG_FMT_LL_MAX], want[32];
	long long x, p;
	size_t i, n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		n = bpg_fmt_ll(buf, v[i]);
		snprintf(want, sizeof(want), "%lld", v[i]);
		ck_assert_str_eq(buf, want);
		ck_assert_uint_eq(n, strlen(want));
	}
	/* Every value to 10,000, and each side of each power of ten. */
	for (x = -10000; x <= 10000; x++) {
		n = bpg_fmt_ll(buf, x);
		snprintf(want, sizeof(want), "%lld", x);
		ck_assert_str_eq(buf, want);
		ck_assert_uint_eq(n, strlen(want));
	}
	for (p = 10; p <= INT64_MAX / 10; p *= 10)
		for (x = p - 1; x <= p + 1; x++) {
			bpg_fmt_ll(buf, x);
			snprintf(want, sizeof(want), "%lld", x);
			ck_assert_str_eq(buf, want);
			bpg_fmt_ll(buf, -x);
			snprintf(want, sizeof(want), "%lld", -x);
			ck_assert_str_eq(buf, want);
		}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crd_text");
	TCase *tc = tcase_create("text");

	tcase_add_loop_test(tc, test_rows, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, test_zone_turns);
	tcase_add_test(tc, test_corpus);
	tcase_add_test(tc, test_conf_null);
	tcase_add_test(tc, test_conf_fill);
	tcase_add_test(tc, test_conf_placeholder);
	tcase_add_test(tc, test_fmt_ll);
	suite_add_tcase(s, tc);
	return tu_run(s);
}
