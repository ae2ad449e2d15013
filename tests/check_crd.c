/*
 * Tests for lib/bpg_crd.c: the SparkApplication of bpg-reference section
 * 2.24 byte for byte (tests/data/crd/sparkpi-golden.json, values and key
 * order), built both from hand-made structs and through the real config
 * and request parsers; the variants listed under 2.24; section 12's
 * ApplicationSubmissionHelperTest (getSparkConf, getVolumes, populateEnv),
 * SparkPodNodeAffinityHelperTest, SparkSpecHelperTest.copyEnv,
 * ZoneManagerTest, KubernetesHelperTest (normalizeLabelValue) and
 * DateTimeUtilsTest tables; and named tables of bad inputs with the error
 * code and text each gets.  Every CR built here is also checked to hold no
 * JSON null.
 *
 * Every CR built here is also checked against Kubernetes itself: the real
 * CRD schema (shared/spec/sparkapplications-crd.yaml, through the stand-in's
 * validator), the API server's label and annotation rules, the operator's
 * webhook name rule and the pod name rule (the stand-in's implementations
 * of them, tests/kubesim/util.c).  bpg_crd_check() must accept exactly the
 * CRs those accept, and a named table of requests that build invalid CRs
 * shows that it names the same field they do.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "bpg_crd.h"
#include "bpg_crd_text.h"
#include "bpg_json.h"
#include "bpg_route.h"
#include "kubesim.h"
#include "testutil.h"

#define SUBMISSION_ID "c01-4f1d2b7e9a0c4d3e8b6a5f4e3d2c1b0a"
#define MEM_MSG "(expected a number followed by a unit, e.g. \"2g\" or " \
	"\"512m\")"
#define LIMIT_MSG "(expected a whole number of cores, e.g. \"2\")"

/* ---- test arena (testutil.h): freed after each test ------------------- */

/* Short names for the rows below. */
#define S(s) tu_str(s)
#define L(csv) tu_strlist(csv)
#define J(text) tu_json(text)

/* A present map from "key=value" strings, NULL-terminated. */
static struct bpg_kvmap
KV(const char *first, ...)
{
	struct bpg_kvmap m = { NULL, 0, true };
	const char *s, *eq;
	va_list ap;
	size_t n = 0;

	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *))
		n++;
	va_end(ap);
	m.v = tu_track(calloc(n + 1, sizeof(*m.v)));
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		eq = strchr(s, '=');
		ck_assert_ptr_nonnull(eq);
		m.v[m.n].key = tu_track(strndup(s, (size_t)(eq - s)));
		m.v[m.n].value = S(eq + 1);
		m.n++;
	}
	va_end(ap);
	return m;
}

/* ---- files ------------------------------------------------------------ */

/* tests/data/crd/<name> (testutil.h), tracked. */
static char *
data_path(const char *name)
{
	return tu_track(tu_data_path("crd", name));
}

static json_t *
load_json(const char *name)
{
	json_error_t err;
	json_t *j = json_load_file(data_path(name), JSON_REJECT_DUPLICATES,
	    &err);

	ck_assert_msg(j != NULL, "%s: %s", name, err.text);
	return tu_jtrack(j);
}

/* ---- assertions ------------------------------------------------------- */

/* No JSON null anywhere in v (the CR is sent with nulls omitted). */
static void
assert_no_nulls_at(const json_t *v, const char *path)
{
	const char *k;
	json_t *c;
	size_t i;
	char sub[512];

	ck_assert_msg(!json_is_null(v), "null at %s", path);
	if (json_is_object(v)) {
		json_object_foreach((json_t *)(uintptr_t)v, k, c) {
			snprintf(sub, sizeof(sub), "%s.%s", path, k);
			assert_no_nulls_at(c, sub);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			assert_no_nulls_at(c, sub);
		}
	}
}

static void
assert_no_nulls(const json_t *cr)
{
	ck_assert_ptr_nonnull(cr);
	assert_no_nulls_at(cr, "$");
}

/*
 * Equal values and the same key order (compact dumps compared).  Messages
 * show the text around the first difference: Check caps their size.
 */
static void
assert_same(const json_t *got, const json_t *want, const char *what)
{
	char *g = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
	char *w = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t i = 0, from;

	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_nonnull(w);
	while (g[i] != '\0' && g[i] == w[i])
		i++;
	from = i > 100 ? i - 100 : 0;
	ck_assert_msg(json_equal(got, want), "%s differs at byte %zu:\n"
	    " got ...%.200s\nwant ...%.200s", what, i, g + from, w + from);
	ck_assert_msg(g[i] == '\0' && w[i] == '\0', "%s key order differs at "
	    "byte %zu:\n got ...%.200s\nwant ...%.200s", what, i, g + from,
	    w + from);
	free(g);
	free(w);
}

/* The value at a dotted path ("spec.driver.cores"). */
static json_t *
at(json_t *v, const char *path)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok != NULL && v != NULL;
	    tok = strtok_r(NULL, ".", &save))
		v = json_object_get(v, tok);
	return v;
}

static const char *
at_str(json_t *v, const char *path)
{
	return json_string_value(at(v, path));
}

/* ---- Kubernetes as the judge ----------------------------------------- */

#define CHECK_PREFIX "Invalid SparkApplication: "

/* The real CRD's schema, loaded once in main(). */
static struct schema *crd_schema;

static struct schema *
load_crd_schema(void)
{
	char *path, err[256];
	struct schema *sc = NULL;

	if ((path = tu_shared_path("sparkapplications-crd.yaml")) == NULL)
		fprintf(stderr, "check_crd: no shared spec/"
		    "sparkapplications-crd.yaml (set BPG_SHARED_DIR)\n");
	else if ((sc = schema_load(path, err, sizeof(err))) == NULL)
		fprintf(stderr, "check_crd: the CRD schema: %s (set "
		    "BPG_SHARED_DIR)\n", err);
	free(path);
	return sc;
}

/*
 * Everything Kubernetes would say against cr, as StatusCauses (a new,
 * tracked array; empty: it would take it): the CRD schema after pruning,
 * as the API server applies it; the webhook's DNS-1035 name rule; the API
 * server's ObjectMeta rules for metadata labels and annotations; the same
 * rules where the operator copies labels and annotations onto the pods
 * and the ingress; and the pod name rule for driver.podName.
 */
static json_t *
kubernetes_causes(const json_t *cr)
{
	static const char *const pods[] = { "driver", "executor" };
	json_t *copy, *causes = NULL, *all, *meta, *spec, *pod, *v;
	char field[64];
	enum bpg_err e;
	int i;

	ck_assert_msg(crd_schema != NULL, "no CRD schema");
	all = tu_jtrack(json_array());
	copy = json_deep_copy(cr);
	ck_assert_ptr_nonnull(copy);
	e = schema_validate(crd_schema, copy, 1, &causes);
	ck_assert(e == BPG_OK || e == BPG_EINVAL);
	if (causes != NULL)
		json_array_extend(all, causes);
	json_decref(causes);
	json_decref(copy);
	meta = json_object_get(cr, "metadata");
	v = json_object_get(meta, "name");
	ck_assert_int_eq(ks_check_dns1035(all, "metadata.name",
	    json_is_string(v) ? json_string_value(v) : ""), BPG_OK);
	ck_assert_int_eq(ks_check_labels(all, "metadata.labels",
	    json_object_get(meta, "labels")), BPG_OK);
	ck_assert_int_eq(ks_check_annotations(all, "metadata.annotations",
	    json_object_get(meta, "annotations")), BPG_OK);
	spec = json_object_get(cr, "spec");
	for (i = 0; i < 2; i++) {
		pod = json_object_get(spec, pods[i]);
		snprintf(field, sizeof(field), "spec.%s.labels", pods[i]);
		ck_assert_int_eq(ks_check_labels(all, field,
		    json_object_get(pod, "labels")), BPG_OK);
		snprintf(field, sizeof(field), "spec.%s.annotations", pods[i]);
		ck_assert_int_eq(ks_check_annotations(all, field,
		    json_object_get(pod, "annotations")), BPG_OK);
	}
	v = json_object_get(json_object_get(spec, "driver"), "podName");
	if (json_is_string(v))
		ck_assert_int_eq(ks_check_subdomain(all, "spec.driver.podName",
		    json_string_value(v)), BPG_OK);
	ck_assert_int_eq(ks_check_annotations(all,
	    "spec.sparkUIOptions.ingressAnnotations", json_object_get(
	    json_object_get(spec, "sparkUIOptions"), "ingressAnnotations")),
	    BPG_OK);
	return all;
}

/* Does the check's message name the field of cause c (or one in it)? */
static bool
names_field(const char *msg, const json_t *c)
{
	const char *f = json_string_value(json_object_get(c, "field"));
	size_t n = strlen(CHECK_PREFIX), fl;

	if (f == NULL || strncmp(msg, CHECK_PREFIX, n) != 0)
		return false;
	fl = strlen(f);
	return strncmp(msg + n, f, fl) == 0 && (msg[n + fl] == ':' ||
	    msg[n + fl] == '[' || msg[n + fl] == '.');
}

/*
 * bpg_crd_check() refuses cr exactly when Kubernetes would, and then names
 * a field Kubernetes names.  Returns the check's code; *causes (may be
 * NULL) gets Kubernetes' causes.
 */
static enum bpg_err
agree(const json_t *cr, struct bpg_errinfo *ei, json_t **causes)
{
	json_t *all = kubernetes_causes(cr), *c;
	enum bpg_err e;
	bool named = false;
	char *dump;
	size_t i;

	ei->msg[0] = '\0';
	e = bpg_crd_check(cr, ei);
	dump = json_dumps(all, JSON_COMPACT);
	ck_assert_msg((e == BPG_OK) == (json_array_size(all) == 0),
	    "bpg_crd_check: %s (%s); Kubernetes: %s", bpg_strerror(e), ei->msg,
	    dump);
	if (e != BPG_OK) {
		ck_assert_int_eq(e, BPG_EINVAL);
		json_array_foreach(all, i, c)
			named = named || names_field(ei->msg, c);
		ck_assert_msg(named, "bpg_crd_check names another field: %s; "
		    "Kubernetes: %s", ei->msg, dump);
	}
	free(dump);
	if (causes != NULL)
		*causes = all;
	return e;
}

/* ---- the SparkPi fixture of section 2.24, by hand --------------------- */

struct fx {
	struct bpg_config cfg;
	struct bpg_cluster cl;
	struct bpg_queue q[2];
	struct bpg_image im[2];
	struct bpg_submit_req req;
	struct bpg_crd_ctx ctx;
	struct bpg_zones *zones;
	/* bpg_crd_check() of the last CR built (agreeing with Kubernetes) */
	enum bpg_err check;
	struct bpg_errinfo check_ei;
};

static void
queue_defaults(struct bpg_queue *q, const char *name)
{
	memset(q, 0, sizeof(*q));
	q->name = S(name);
	q->driver_cpu_ratio = q->executor_cpu_ratio = 1.0;
	q->driver_mem_ratio = q->executor_mem_ratio = 1.0;
	q->max_executor_instances = 5000;
}

static void
sparkpi(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->cfg.default_spark_conf = KV(
	    "spark.kubernetes.submission.connectionTimeout=30000",
	    "spark.kubernetes.submission.requestTimeout=30000",
	    "spark.kubernetes.driver.connectionTimeout=30000",
	    "spark.kubernetes.driver.requestTimeout=30000", NULL);
	f->cfg.fixed_spark_conf = KV("spark.authenticate=true", NULL);

	f->cl.id = S("c01");
	f->cl.weight = 100;
	f->cl.eks_cluster = S("eks-dev-1");
	f->cl.master_url = S("https://k8s-api.example.com");
	f->cl.namespace = S("spark-applications");
	f->cl.service_account = S("spark");
	f->cl.spark_versions = L("3.5.0");
	f->cl.queues = L("poc,dev");
	f->cl.has_ttl_seconds = true;
	f->cl.ttl_seconds = 86400;
	f->cl.timeout_millis = 180000;
	f->cl.spark_ui_url = S("https://sparkui.example.com");
	f->cl.batch_scheduler = S("yunikorn");
	f->cl.spark_conf = KV(
	    "spark.kubernetes.executor.podNamePrefix="
	    "{spark-application-resource-name}",
	    "spark.eventLog.enabled=true", NULL);
	f->cl.spark_ui_options = J("{\"servicePort\":4040,"
	    "\"ingressAnnotations\":{\"kubernetes.io/ingress.class\":\"nginx\","
	    "\"nginx.ingress.kubernetes.io/proxy-redirect-to\":"
	    "\"/spark-applications/{spark-application-resource-name}/\"},"
	    "\"ingressTLS\":[{\"hosts\":[\"sparkui.example.com\"],"
	    "\"secretName\":\"sparkui-tls\"}]}");
	f->cl.driver.env = J("[{\"name\":\"STATSD_SERVER_IP\",\"valueFrom\":"
	    "{\"fieldRef\":{\"fieldPath\":\"status.hostIP\"}}},"
	    "{\"name\":\"STATSD_SERVER_PORT\",\"value\":\"8125\"}]");
	f->cl.executor.env = J("[{\"name\":\"STATSD_SERVER_PORT\","
	    "\"value\":\"8125\"}]");
	f->cfg.clusters = &f->cl;
	f->cfg.nclusters = 1;

	f->im[0].name = S("apache/spark:3.5.0");
	f->im[0].types = L("Java,Scala");
	f->im[0].version = S("3.5.0");
	f->im[1].name = S("apache/spark-py:3.5.0");
	f->im[1].types = L("Python");
	f->im[1].version = S("3.5.0");
	f->cfg.images = f->im;
	f->cfg.nimages = 2;
	f->cfg.allowed_users = L("*");

	queue_defaults(&f->q[0], "poc");
	queue_defaults(&f->q[1], "dev");
	f->q[1].has_max_running_millis = true;
	f->q[1].max_running_millis = 86400000;
	f->q[1].driver_node_label_key = S("node_group_category");
	f->q[1].driver_node_label_values = L("spark_driver");
	f->q[1].executor_node_label_key = S("node_group_category");
	f->q[1].executor_node_label_values = L("spark_executor");
	f->cfg.queues = f->q;
	f->cfg.nqueues = 2;
	f->cfg.has_queues = true;

	f->req.application_name = S("SparkPiDemo");
	f->req.queue = S("dev");
	f->req.spark_version = S("3.5.0");
	f->req.main_application_file =
	    S("local:///usr/lib/spark/examples/jars/spark-examples.jar");
	f->req.main_class = S("org.apache.spark.examples.SparkPi");
	f->req.driver.present = true;
	f->req.driver.has_cores = true;
	f->req.driver.cores = 1;
	f->req.driver.memory = S("2g");
	f->req.driver.service_account = S("emr-containers-sa-spark");
	f->req.driver.labels = J("{\"version\":\"3.5.0\"}");
	f->req.executor.present = true;
	f->req.executor.has_instances = true;
	f->req.executor.instances = 1;
	f->req.executor.has_cores = true;
	f->req.executor.cores = 1;
	f->req.executor.memory = S("2g");
	f->req.executor.labels = J("{\"version\":\"3.5.0\"}");

	f->ctx.submission_id = SUBMISSION_ID;
	f->ctx.user = "alice";
	f->ctx.proxy_user = "alice";
	f->ctx.queue = "dev";
	ck_assert_int_eq(bpg_zones_new(&f->zones), BPG_OK);
}

static void
fx_done(struct fx *f)
{
	bpg_zones_free(f->zones);
	f->zones = NULL;
}

/*
 * bpg_crd_text() on the same input as a bpg_crd_build() about to run
 * (zones copied, so both pick the same zone): its result is kept in *t
 * for twin_same().
 */
struct twin {
	enum bpg_err e;
	struct bpg_errinfo ei;
	char *text;
	size_t len;
};

static void
twin_run(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx,
    const struct bpg_zones *zones, struct twin *t)
{
	struct bpg_zones *z = NULL;

	if (zones != NULL)
		ck_assert_int_eq(bpg_zones_dup(zones, &z), BPG_OK);
	t->ei.msg[0] = '\0';
	t->e = bpg_crd_text(cfg, cl, req, ctx, z, &t->text, &t->len, &t->ei);
	if (t->text != NULL)
		tu_track(t->text);
	bpg_zones_free(z);
}

/*
 * The text is what bpg_json_dump() makes of the CR built (e OK, check
 * OK), else it failed as the build did (e), or as the check did.
 */
static void
twin_same(const struct twin *t, enum bpg_err e, const struct bpg_errinfo *ei,
    const json_t *cr, enum bpg_err check, const struct bpg_errinfo *cei)
{
	char *dump;
	size_t len;

	if (e == BPG_OK && check != BPG_OK) {
		e = check;
		ei = cei;
	}
	if (e != BPG_OK) {
		ck_assert_msg(t->e == e && strcmp(t->ei.msg, ei->msg) == 0,
		    "text: %s \"%s\"; tree: %s \"%s\"", bpg_strerror(t->e),
		    t->ei.msg, bpg_strerror(e), ei->msg);
		ck_assert_ptr_null(t->text);
		return;
	}
	ck_assert_msg(t->e == BPG_OK, "text: %s \"%s\"", bpg_strerror(t->e),
	    t->ei.msg);
	dump = tu_track(bpg_json_dump(cr, &len));
	ck_assert_ptr_nonnull(dump);
	ck_assert_msg(t->len == len && strcmp(t->text, dump) == 0,
	    "text:\n%s\ntree:\n%s", t->text, dump);
}

/*
 * Build; on success the CR is tracked, checked for nulls, and judged by
 * bpg_crd_check() and Kubernetes, who must agree (f->check).  The text
 * writer must give the same (twin_same()).
 */
static enum bpg_err
build(struct fx *f, json_t **cr, struct bpg_errinfo *ei)
{
	struct twin t;
	enum bpg_err e;

	ei->msg[0] = '\0';
	f->check = BPG_OK;
	f->check_ei.msg[0] = '\0';
	twin_run(&f->cfg, &f->cl, &f->req, &f->ctx, f->zones, &t);
	e = bpg_crd_build(&f->cfg, &f->cl, &f->req, &f->ctx, f->zones, cr,
	    ei);
	if (e == BPG_OK) {
		tu_jtrack(*cr);
		assert_no_nulls(*cr);
		f->check = agree(*cr, &f->check_ei, NULL);
	} else
		ck_assert_ptr_null(*cr);
	twin_same(&t, e, ei, *cr, f->check, &f->check_ei);
	return e;
}

/* Built, and a CR Kubernetes takes. */
static json_t *
build_ok(struct fx *f)
{
	struct bpg_errinfo ei;
	json_t *cr;

	ck_assert_msg(build(f, &cr, &ei) == BPG_OK, "build: %s", ei.msg);
	ck_assert_msg(f->check == BPG_OK, "check: %s", f->check_ei.msg);
	return cr;
}

/* Built, but a CR Kubernetes refuses: the check names field. */
static json_t *
build_refused(struct fx *f, const char *field)
{
	struct bpg_errinfo ei;
	json_t *cr;
	size_t n = strlen(CHECK_PREFIX);

	ck_assert_msg(build(f, &cr, &ei) == BPG_OK, "build: %s", ei.msg);
	ck_assert_msg(f->check == BPG_EINVAL, "check passed, want %s", field);
	ck_assert_msg(strncmp(f->check_ei.msg, CHECK_PREFIX, n) == 0 &&
	    strncmp(f->check_ei.msg + n, field, strlen(field)) == 0,
	    "check says \"%s\", want %s", f->check_ei.msg, field);
	return cr;
}

/* ---- golden (section 2.24) ------------------------------------------- */

START_TEST(test_golden_by_hand)
{
	struct fx f;
	json_t *cr;

	sparkpi(&f);
	cr = build_ok(&f);
	assert_same(cr, load_json("sparkpi-golden.json"), "SparkPi CR");
	/* The request's sparkConf was absent and stays so (quirk 5). */
	ck_assert_ptr_null(f.req.spark_conf);
	fx_done(&f);
}
END_TEST

START_TEST(test_golden_through_parsers)
{
	struct bpg_config *cfg = NULL;
	struct bpg_config_error cerr;
	struct bpg_submit_req req;
	struct bpg_errinfo ei = { "" };
	struct bpg_crd_ctx ctx = { SUBMISSION_ID, "alice", "alice", NULL };
	struct bpg_zones *zones;
	struct bpg_rng rng;
	struct twin t;
	const struct bpg_cluster *cl;
	char *queue = NULL, id[BPG_MAX_SUBMISSION_ID + 1];
	const char *body;
	json_t *cr = NULL;
	size_t len;

	memset(&cerr, 0, sizeof(cerr));
	ck_assert_msg(bpg_config_load(data_path("sparkpi-config.yaml"), &cfg,
	    &cerr) == BPG_OK, "config: %s: %s", cerr.path, cerr.msg);
	body = tu_track(tu_slurp_data("crd", "sparkpi-request.json",
	    &len));
	ck_assert_msg(bpg_req_parse(body, len, BPG_REQ_JSON, &req, &ei) ==
	    BPG_OK, "request: %s", ei.msg);
	ck_assert_int_eq(bpg_zones_new(&zones), BPG_OK);

	/* The whole route of section 2, as the edge runs it. */
	bpg_rng_seed_with(&rng, 1);
	ck_assert_int_eq(bpg_route_queue(cfg, &req, "alice", &rng, &queue,
	    &ei), BPG_OK);
	ck_assert_str_eq(queue, "dev");
	ck_assert_int_eq(bpg_route_validate(cfg, &req, queue, &ei), BPG_OK);
	ck_assert_int_eq(bpg_route_cluster(cfg, &req, queue, &rng, &cl, &ei),
	    BPG_OK);
	ck_assert_str_eq(cl->id, "c01");
	ck_assert_int_eq(bpg_route_new_id(cl, req.submission_id_suffix, &rng,
	    id, &ei), BPG_OK);
	ck_assert_int_eq(strncmp(id, "c01-", 4), 0);
	ck_assert_uint_eq(strlen(id), 36);
	ctx.queue = queue;
	/* The golden file fixes the ID. */
	twin_run(cfg, cl, &req, &ctx, zones, &t);
	ck_assert_msg(bpg_crd_build(cfg, cl, &req, &ctx, zones, &cr, &ei) ==
	    BPG_OK, "build: %s", ei.msg);
	tu_jtrack(cr);
	assert_no_nulls(cr);
	ck_assert_msg(agree(cr, &ei, NULL) == BPG_OK, "check: %s", ei.msg);
	assert_same(cr, load_json("sparkpi-golden.json"), "SparkPi CR");
	twin_same(&t, BPG_OK, &ei, cr, BPG_OK, &ei);

	free(queue);
	bpg_zones_free(zones);
	bpg_req_reset(&req);
	bpg_config_free(cfg);
}
END_TEST

START_TEST(test_golden_yaml_request)
{
	static const char yaml[] =
	    "applicationName: SparkPiDemo\n"
	    "queue: dev\n"
	    "sparkVersion: 3.5.0\n"
	    "mainApplicationFile: "
	    "local:///usr/lib/spark/examples/jars/spark-examples.jar\n"
	    "mainClass: org.apache.spark.examples.SparkPi\n"
	    "driver: {cores: 1, memory: 2g, serviceAccount: "
	    "emr-containers-sa-spark, labels: {version: 3.5.0}}\n"
	    "executor: {instances: 1, cores: 1, memory: 2g, labels: "
	    "{version: 3.5.0}}\n";
	struct fx f;
	struct bpg_submit_req req;
	struct bpg_errinfo ei = { "" };
	json_t *cr;

	sparkpi(&f);
	ck_assert_msg(bpg_req_parse(yaml, sizeof(yaml) - 1, BPG_REQ_YAML,
	    &req, &ei) == BPG_OK, "request: %s", ei.msg);
	f.req = req;
	cr = build_ok(&f);
	assert_same(cr, load_json("sparkpi-golden.json"), "SparkPi CR (YAML)");
	bpg_req_reset(&req);
	fx_done(&f);
}
END_TEST

/* ---- variants of section 2.24 ---------------------------------------- */

START_TEST(test_variant_no_node_labels)
{
	struct fx f;
	json_t *cr, *want;

	sparkpi(&f);
	f.q[1].driver_node_label_values = L(NULL);
	f.q[1].executor_node_label_values = L("");
	cr = build_ok(&f);
	want = tu_jtrack(json_deep_copy(load_json("sparkpi-golden.json")));
	json_object_set_new(at(want, "spec.driver"), "affinity",
	    json_pack("{s:{}}", "nodeAffinity"));
	json_object_set_new(at(want, "spec.executor"), "affinity",
	    json_pack("{s:{}}", "nodeAffinity"));
	assert_same(cr, want, "CR without node labels");
	fx_done(&f);
}
END_TEST

START_TEST(test_variant_zones)
{
	struct fx f;
	json_t *cr, *zexpr_a, *zexpr_b, *conf_keys;
	const char *k;
	json_t *v;

	sparkpi(&f);
	f.q[1].allowed_zones = L("us-west-2a,us-west-2b");
	zexpr_a = J("{\"key\":\"topology.kubernetes.io/zone\","
	    "\"operator\":\"In\",\"values\":[\"us-west-2a\"]}");
	zexpr_b = J("{\"key\":\"topology.kubernetes.io/zone\","
	    "\"operator\":\"In\",\"values\":[\"us-west-2b\"]}");

	/* First submission with "sparkConf": {}. */
	f.req.spark_conf = J("{}");
	cr = build_ok(&f);
	ck_assert_str_eq(json_string_value(json_object_get(at(cr,
	    "spec.sparkConf"), "bpg.pickedZones")), "us-west-2a");
	/* The request shows it too (the stored request body). */
	ck_assert_str_eq(json_string_value(json_object_get(f.req.spark_conf,
	    "bpg.pickedZones")), "us-west-2a");
	/* The request layer sits between the cluster and fixed layers. */
	conf_keys = tu_jtrack(json_array());
	json_object_foreach(at(cr, "spec.sparkConf"), k, v)
		json_array_append_new(conf_keys, json_string(k));
	ck_assert_str_eq(json_string_value(json_array_get(conf_keys, 6)),
	    "bpg.pickedZones");
	ck_assert_str_eq(json_string_value(json_array_get(conf_keys, 7)),
	    "spark.authenticate");
	{
		json_t *d = at(cr, "spec.driver.affinity.nodeAffinity."
		    "requiredDuringSchedulingIgnoredDuringExecution");
		json_t *me = json_object_get(json_array_get(
		    json_object_get(d, "nodeSelectorTerms"), 0),
		    "matchExpressions");

		ck_assert_uint_eq(json_array_size(me), 2);
		ck_assert_str_eq(json_string_value(json_object_get(
		    json_array_get(me, 0), "key")), "node_group_category");
		assert_same(json_array_get(me, 1), zexpr_a, "driver zone");
		d = at(cr, "spec.executor.affinity.nodeAffinity."
		    "requiredDuringSchedulingIgnoredDuringExecution");
		me = json_object_get(json_array_get(json_object_get(d,
		    "nodeSelectorTerms"), 0), "matchExpressions");
		ck_assert_uint_eq(json_array_size(me), 2);
		assert_same(json_array_get(me, 1), zexpr_a, "executor zone");
	}

	/* The next submission gets the next zone. */
	f.req.spark_conf = J("{}");
	cr = build_ok(&f);
	ck_assert_str_eq(json_string_value(json_object_get(at(cr,
	    "spec.sparkConf"), "bpg.pickedZones")), "us-west-2b");

	/* Quirk 5, kept: no sparkConf, no zone, but the pick is used up. */
	f.req.spark_conf = NULL;
	cr = build_ok(&f);
	ck_assert_ptr_null(json_object_get(at(cr, "spec.sparkConf"),
	    "bpg.pickedZones"));
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(
	    json_object_get(at(cr, "spec.driver.affinity.nodeAffinity."
	    "requiredDuringSchedulingIgnoredDuringExecution"),
	    "nodeSelectorTerms"), 0), "matchExpressions")), 1);
	f.req.spark_conf = J("{}");
	cr = build_ok(&f);
	{
		json_t *me = json_object_get(json_array_get(json_object_get(
		    at(cr, "spec.executor.affinity.nodeAffinity."
		    "requiredDuringSchedulingIgnoredDuringExecution"),
		    "nodeSelectorTerms"), 0), "matchExpressions");

		assert_same(json_array_get(me, 1), zexpr_b, "fourth zone");
	}
	fx_done(&f);
}
END_TEST

START_TEST(test_variant_picked_zones_not_injectable)
{
	struct fx f;
	json_t *cr;

	/* dev has no allowedZones: a user's bpg.pickedZones is removed. */
	sparkpi(&f);
	f.req.spark_conf = J("{\"bpg.pickedZones\":\"evil-zone\","
	    "\"spark.x\":\"1\"}");
	cr = build_ok(&f);
	ck_assert_ptr_null(json_object_get(at(cr, "spec.sparkConf"),
	    "bpg.pickedZones"));
	ck_assert_ptr_null(json_object_get(f.req.spark_conf,
	    "bpg.pickedZones"));
	ck_assert_str_eq(json_string_value(json_object_get(at(cr,
	    "spec.sparkConf"), "spark.x")), "1");
	assert_same(at(cr, "spec.driver.affinity"),
	    at(load_json("sparkpi-golden.json"), "spec.driver.affinity"),
	    "driver affinity");
	fx_done(&f);
}
END_TEST

START_TEST(test_variant_airflow)
{
	struct fx f;
	json_t *cr;

	/* The caller resolved ?dagUser=bob for airflow_system_account. */
	sparkpi(&f);
	f.ctx.user = "airflow_system_account";
	f.ctx.proxy_user = "bob";
	cr = build_ok(&f);
	ck_assert_str_eq(at_str(cr, "spec.originalUser"),
	    "airflow_system_account");
	ck_assert_str_eq(at_str(cr, "spec.proxyUser"), "bob");
	ck_assert_str_eq(at_str(cr, "metadata.labels.proxyUser"), "bob");
	/* Without the parameter BPG uses the literal "dagUser" (quirk 34). */
	f.ctx.proxy_user = "dagUser";
	cr = build_ok(&f);
	ck_assert_str_eq(at_str(cr, "metadata.labels.proxyUser"), "dagUser");
	fx_done(&f);
}
END_TEST

START_TEST(test_variant_proxy_user_label)
{
	struct fx f;
	json_t *cr;

	/* Quirk 10: the label is normalised, the spec keeps the name. */
	sparkpi(&f);
	f.ctx.user = f.ctx.proxy_user = "alice@example.com";
	cr = build_ok(&f);
	ck_assert_str_eq(at_str(cr, "metadata.labels.proxyUser"),
	    "alice0example.com");
	ck_assert_str_eq(at_str(cr, "spec.proxyUser"), "alice@example.com");
	ck_assert_str_eq(at_str(cr, "spec.originalUser"), "alice@example.com");
	f.ctx.proxy_user = "Jean.Dupont";
	cr = build_ok(&f);
	ck_assert_str_eq(at_str(cr, "metadata.labels.proxyUser"),
	    "Jean.Dupont");
	f.ctx.proxy_user = "Jos\xc3\xa9";
	cr = build_ok(&f);
	ck_assert_str_eq(at_str(cr, "metadata.labels.proxyUser"), "Jos0");
	ck_assert_str_eq(at_str(cr, "spec.proxyUser"), "Jos\xc3\xa9");
	/* Invalid UTF-8 never reaches the JSON. */
	f.ctx.proxy_user = "bad\xff";
	{
		struct bpg_errinfo ei;

		ck_assert_int_eq(build(&f, &cr, &ei), BPG_EINVAL);
	}
	fx_done(&f);
}
END_TEST

/* ---- bad inputs ------------------------------------------------------- */

static const struct {
	const char *name;
	const char *driver_memory;
	const char *executor_memory;
	const char *driver_core_limit;
	const char *executor_core_limit;
	const char *max_running;	/* request bpg.maxRunningMillis */
	const char *version;
	const char *type;
	const char *queue;		/* ctx queue; NULL: dev */
	enum bpg_err code;
	const char *msg;
} bad_rows[] = {
	{ "memory_no_unit", "2048", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  BPG_EINVAL, "Invalid value for driver.memory: \"2048\" " MEM_MSG },
	{ "memory_unit_only", "g", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  BPG_EINVAL, "Invalid value for driver.memory: \"g\" " MEM_MSG },
	{ "memory_negative", "-1g", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  BPG_EINVAL, "Invalid value for driver.memory: \"-1g\" " MEM_MSG },
	{ "memory_empty", "", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  BPG_EINVAL, "Invalid value for driver.memory: \"\" " MEM_MSG },
	{ "memory_two_dots", "1.2.3g", NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, BPG_EINVAL, "Invalid value for driver.memory: \"1.2.3g\" "
	  MEM_MSG },
	{ "memory_dot_only", ".g", NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	  BPG_EINVAL, "Invalid value for driver.memory: \".g\" " MEM_MSG },
	{ "memory_space_first", " 2g", NULL, NULL, NULL, NULL, NULL, NULL,
	  NULL, BPG_EINVAL, "Invalid value for driver.memory: \" 2g\" "
	  MEM_MSG },
	{ "memory_control_bytes_escaped", "\x1b" "2g", NULL, NULL, NULL, NULL,
	  NULL, NULL, NULL, BPG_EINVAL, "Invalid value for driver.memory: "
	  "\"\\x1b2g\" " MEM_MSG },
	{ "memory_too_large", "99999999999g", NULL, NULL, NULL, NULL, NULL,
	  NULL, NULL, BPG_EINVAL, "Invalid value for driver.memory: "
	  "\"99999999999g\" (the number is too large)" },
	{ "executor_memory_no_unit", NULL, "4096", NULL, NULL, NULL, NULL,
	  NULL, NULL, BPG_EINVAL, "Invalid value for executor.memory: "
	  "\"4096\" " MEM_MSG },
	{ "coreLimit_millicores", NULL, NULL, "1500m", NULL, NULL, NULL, NULL,
	  NULL, BPG_EINVAL, "Invalid value for driver.coreLimit: \"1500m\" "
	  LIMIT_MSG },
	{ "coreLimit_fraction", NULL, NULL, "1.5", NULL, NULL, NULL, NULL,
	  NULL, BPG_EINVAL, "Invalid value for driver.coreLimit: \"1.5\" "
	  LIMIT_MSG },
	{ "coreLimit_over_int", NULL, NULL, "3000000000", NULL, NULL, NULL,
	  NULL, NULL, BPG_EINVAL, "Invalid value for driver.coreLimit: "
	  "\"3000000000\" " LIMIT_MSG },
	{ "executor_coreLimit_text", NULL, NULL, NULL, "abc", NULL, NULL,
	  NULL, NULL, BPG_EINVAL, "Invalid value for executor.coreLimit: "
	  "\"abc\" " LIMIT_MSG },
	{ "maxRunningMillis_abc", NULL, NULL, NULL, NULL, "abc", NULL, NULL,
	  NULL, BPG_EINVAL, "Invalid value for config bpg.maxRunningMillis: "
	  "abc" },
	{ "maxRunningMillis_fraction", NULL, NULL, NULL, NULL, "1.5", NULL,
	  NULL, NULL, BPG_EINVAL, "Invalid value for config "
	  "bpg.maxRunningMillis: 1.5" },
	{ "maxRunningMillis_over_long", NULL, NULL, NULL, NULL,
	  "9223372036854775808", NULL, NULL, NULL, BPG_EINVAL,
	  "Invalid value for config bpg.maxRunningMillis: "
	  "9223372036854775808" },
	{ "maxRunningMillis_over_queue_max", NULL, NULL, NULL, NULL,
	  "86400001", NULL, NULL, NULL, BPG_EINVAL, "maxRunningMillis "
	  "86400001 is too large than allowed 86400000 for queue dev" },
	{ "maxRunningMillis_over_default_max", NULL, NULL, NULL, NULL,
	  "43200001", NULL, NULL, "poc", BPG_EINVAL, "maxRunningMillis "
	  "43200001 is too large than allowed 43200000 for queue poc" },
	{ "maxRunningMillis_child_queue_uses_parent", NULL, NULL, NULL, NULL,
	  "86400001", NULL, NULL, "dev.team1", BPG_EINVAL, "maxRunningMillis "
	  "86400001 is too large than allowed 86400000 for queue dev.team1" },
	{ "image_not_found_version", NULL, NULL, NULL, NULL, NULL, "9.9",
	  NULL, NULL, BPG_EINVAL, "Spark image not found for type: Java, "
	  "version: 9.9" },
	{ "image_not_found_type", NULL, NULL, NULL, NULL, NULL, NULL, "R",
	  NULL, BPG_EINVAL, "Spark image not found for type: R, version: "
	  "3.5.0" },
	{ "precedence_memory_before_image", "2048", NULL, NULL, NULL, NULL,
	  "9.9", NULL, NULL, BPG_EINVAL, "Invalid value for driver.memory: "
	  "\"2048\" " MEM_MSG },
	{ "precedence_driver_before_executor", "2048", "4096", NULL, NULL,
	  NULL, NULL, NULL, NULL, BPG_EINVAL, "Invalid value for "
	  "driver.memory: \"2048\" " MEM_MSG },
	{ "precedence_executor_before_image", NULL, "4096", NULL, NULL, NULL,
	  "9.9", NULL, NULL, BPG_EINVAL, "Invalid value for executor.memory: "
	  "\"4096\" " MEM_MSG },
	{ "precedence_coreLimit_before_memory", "2048", NULL, "1500m", NULL,
	  NULL, NULL, NULL, NULL, BPG_EINVAL, "Invalid value for "
	  "driver.coreLimit: \"1500m\" " LIMIT_MSG },
	{ "precedence_image_before_maxRunningMillis", NULL, NULL, NULL, NULL,
	  "abc", "9.9", NULL, NULL, BPG_EINVAL, "Spark image not found for "
	  "type: Java, version: 9.9" },
};

START_TEST(test_bad_inputs)
{
	struct fx f;
	struct bpg_errinfo ei;
	json_t *cr = NULL;
	enum bpg_err e;

	sparkpi(&f);
	if (bad_rows[_i].driver_memory)
		f.req.driver.memory = S(bad_rows[_i].driver_memory);
	if (bad_rows[_i].executor_memory)
		f.req.executor.memory = S(bad_rows[_i].executor_memory);
	f.req.driver.core_limit = S(bad_rows[_i].driver_core_limit);
	f.req.executor.core_limit = S(bad_rows[_i].executor_core_limit);
	if (bad_rows[_i].max_running) {
		f.req.spark_conf = tu_jtrack(json_object());
		json_object_set_new(f.req.spark_conf, "bpg.maxRunningMillis",
		    json_string(bad_rows[_i].max_running));
	}
	if (bad_rows[_i].version)
		f.req.spark_version = S(bad_rows[_i].version);
	if (bad_rows[_i].type)
		f.req.type = S(bad_rows[_i].type);
	if (bad_rows[_i].queue)
		f.ctx.queue = bad_rows[_i].queue;
	e = build(&f, &cr, &ei);
	ck_assert_msg(e == bad_rows[_i].code, "row %s: %d (%s)",
	    bad_rows[_i].name, e, ei.msg);
	ck_assert_msg(strcmp(ei.msg, bad_rows[_i].msg) == 0,
	    "row %s: got \"%s\"", bad_rows[_i].name, ei.msg);
	fx_done(&f);
}
END_TEST

START_TEST(test_bad_config)
{
	struct fx f;
	struct bpg_errinfo ei;
	json_t *cr;

	/* ingressTLS without hosts: BPG's NullPointerException, a 500. */
	sparkpi(&f);
	f.cl.spark_ui_options = J("{\"ingressTLS\":[{\"hosts\":[\"h\"]},"
	    "{\"secretName\":\"s\"}]}");
	ck_assert_int_eq(build(&f, &cr, &ei), BPG_ECONFIG);
	ck_assert_str_eq(ei.msg, "sparkUIOptions of cluster c01: "
	    "ingressTLS[1] has no hosts");
	/* ... raised after the image (section 2.25 rows 14 and 15). */
	f.req.spark_version = S("9.9");
	ck_assert_int_eq(build(&f, &cr, &ei), BPG_EINVAL);
	fx_done(&f);

	/* An empty zone: BPG's RuntimeException, before the pods. */
	sparkpi(&f);
	f.q[1].allowed_zones = L("us-west-2a,");
	f.q[1].allowed_zones.v[1][0] = '\0';
	f.req.driver.memory = S("2048");
	ck_assert_int_eq(build(&f, &cr, &ei), BPG_ECONFIG);
	ck_assert_str_eq(ei.msg, "Invalid allowedZones: Some zone is empty");
	fx_done(&f);
}
END_TEST

/* ---- requests that build CRs Kubernetes refuses ---------------------- */

/*
 * Each row builds (BPG would send it) and bpg_crd_check() refuses it,
 * naming field; Kubernetes refuses the same CR, with a cause at judge:
 * the CRD schema, the webhook's name rule (metadata.name), the API
 * server's metadata rules (metadata.labels), or the rules the pods and
 * the ingress get (spec.*.labels, spec.*.annotations, podName,
 * ingressAnnotations).  build() also checks that the two agree.
 */
#define REQ_BASE "\"applicationName\":\"SparkPiDemo\",\"queue\":\"dev\"," \
	"\"sparkVersion\":\"3.5.0\",\"mainClass\":" \
	"\"org.apache.spark.examples.SparkPi\""
#define REQ(x) "{" REQ_BASE ",\"mainApplicationFile\":\"local:///x.jar\"" x "}"
#define NODE_AFF "\"affinity\":{\"nodeAffinity\":"
#define TERMS "\"requiredDuringSchedulingIgnoredDuringExecution\":" \
	"{\"nodeSelectorTerms\":"

static const struct {
	const char *name;
	const char *request;		/* JSON */
	double driver_cpu_ratio;	/* of queue dev; 0: 1.0 */
	double executor_cpu_ratio;
	const char *submission_id;	/* NULL: the fixture's */
	const char *queue;		/* NULL: dev */
	const char *ui_options;		/* the cluster's, JSON */
	const char *field;
	const char *judge;
} refused_rows[] = {
	{ "type_java_in_lower_case", REQ(",\"type\":\"java\""), 0, 0, NULL,
	  NULL, NULL, "spec.type: Unsupported value: \"java\"", "spec.type" },
	{ "type_unknown", REQ(",\"type\":\"Kotlin\",\"image\":\"my/img:1\""), 0,
	  0, NULL, NULL, NULL, "spec.type: Unsupported value", "spec.type" },
	{ "missing_mainApplicationFile", "{" REQ_BASE "}", 0, 0, NULL, NULL,
	  NULL, "spec.mainApplicationFile: Required value",
	  "spec.mainApplicationFile" },
	{ "driver_cores_rounded_to_0_by_queue_ratio_0.1", REQ(""), 0.1, 0,
	  NULL, NULL, NULL, "spec.driver.cores: Invalid value: 0: must be "
	  "greater than or equal to 1", "spec.driver.cores" },
	{ "executor_cores_rounded_to_0_by_queue_ratio_0.1", REQ(""), 0, 0.1,
	  NULL, NULL, NULL, "spec.executor.cores: Invalid value: 0",
	  "spec.executor.cores" },
	{ "driver_label_value_with_space",
	  REQ(",\"driver\":{\"labels\":{\"team\":\"data eng\"}}"), 0, 0, NULL,
	  NULL, NULL, "spec.driver.labels[\"team\"]: Invalid value: "
	  "\"data eng\"", "spec.driver.labels" },
	{ "executor_label_key_with_two_slashes",
	  REQ(",\"executor\":{\"labels\":{\"a.io/b/c\":\"x\"}}"), 0, 0, NULL,
	  NULL, NULL, "spec.executor.labels[\"a.io/b/c\"]: Invalid key",
	  "spec.executor.labels" },
	{ "label_value_of_64_characters",
	  REQ(",\"driver\":{\"labels\":{\"v\":\"a2345678901234567890123456789"
	  "01234567890123456789012345678901234\"}}"), 0, 0, NULL, NULL, NULL,
	  "spec.driver.labels[\"v\"]: Invalid value", "spec.driver.labels" },
	{ "label_value_starting_with_dash",
	  REQ(",\"driver\":{\"labels\":{\"v\":\"-x\"}}"), 0, 0, NULL, NULL,
	  NULL, "spec.driver.labels[\"v\"]: Invalid value: \"-x\"",
	  "spec.driver.labels" },
	{ "label_value_unicode",
	  REQ(",\"driver\":{\"labels\":{\"v\":\"caf\\u00e9\"}}"), 0, 0, NULL,
	  NULL, NULL, "spec.driver.labels[\"v\"]: Invalid value: "
	  "\"caf\\xc3\\xa9\"", "spec.driver.labels" },
	{ "label_key_with_empty_prefix",
	  REQ(",\"driver\":{\"labels\":{\"/name\":\"x\"}}"), 0, 0, NULL, NULL,
	  NULL, "spec.driver.labels[\"/name\"]: Invalid key \"/name\": prefix "
	  "part must be non-empty", "spec.driver.labels" },
	{ "label_key_with_upper_case_prefix",
	  REQ(",\"driver\":{\"labels\":{\"Example.com/x\":\"x\"}}"), 0, 0,
	  NULL, NULL, NULL, "spec.driver.labels[\"Example.com/x\"]: Invalid "
	  "key", "spec.driver.labels" },
	{ "driver_annotation_key_with_space",
	  REQ(",\"driver\":{\"annotations\":{\"bad key\":\"v\"}}"), 0, 0,
	  NULL, NULL, NULL, "spec.driver.annotations[\"bad key\"]: Invalid "
	  "key", "spec.driver.annotations" },
	{ "executor_annotation_key_with_two_slashes",
	  REQ(",\"executor\":{\"annotations\":{\"a/b/c\":\"v\"}}"), 0, 0,
	  NULL, NULL, NULL, "spec.executor.annotations[\"a/b/c\"]: Invalid "
	  "key", "spec.executor.annotations" },
	{ "negative_maxRunningMillis_is_no_label_value",
	  REQ(",\"sparkConf\":{\"bpg.maxRunningMillis\":\"-5\"}"), 0, 0, NULL,
	  NULL, NULL, "metadata.labels[\"maxRunningMillis\"]: Invalid value: "
	  "\"-5\"", "metadata.labels" },
	{ "queue_label_over_63_characters", REQ(""), 0, 0, NULL,
	  "dev.a234567890123456789012345678901234567890123456789012345678",
	  NULL, "metadata.labels[\"queue\"]: Invalid value",
	  "metadata.labels" },
	{ "name_starting_with_a_digit", REQ(""), 0, 0,
	  "1c01-4f1d2b7e9a0c4d3e8b6a5f4e3d2c1b0a", NULL, NULL,
	  "metadata.name: Invalid value: \"1c01-", "metadata.name" },
	{ "name_with_upper_case_suffix", REQ(""), 0, 0,
	  "c01-4f1d2b7e9a0c4d3e8b6a5f4e3d2c1b0a-Nightly", NULL, NULL,
	  "metadata.name: Invalid value", "metadata.name" },
	{ "podName_with_underscore",
	  REQ(",\"driver\":{\"podName\":\"my_driver\"}"), 0, 0, NULL, NULL,
	  NULL, "spec.driver.podName: Invalid value: \"my_driver\"",
	  "spec.driver.podName" },
	{ "podName_in_upper_case", REQ(",\"driver\":{\"podName\":\"DRIVER\"}"),
	  0, 0, NULL, NULL, NULL, "spec.driver.podName",
	  "spec.driver.podName" },
	{ "restartPolicy_type_unknown",
	  REQ(",\"restartPolicy\":{\"type\":\"Sometimes\"}"), 0, 0, NULL, NULL,
	  NULL, "spec.restartPolicy.type: Unsupported value: \"Sometimes\": "
	  "supported values: \"Never\", \"Always\", \"OnFailure\"",
	  "spec.restartPolicy.type" },
	{ "pythonVersion_3.11", REQ(",\"pythonVersion\":\"3.11\""), 0, 0, NULL,
	  NULL, NULL, "spec.pythonVersion: Unsupported value: \"3.11\"",
	  "spec.pythonVersion" },
	{ "volume_without_name",
	  REQ(",\"volumes\":[{\"hostPath\":{\"path\":\"/a\"}}]"), 0, 0, NULL,
	  NULL, NULL, "spec.volumes[0].name: Required value",
	  "spec.volumes[0].name" },
	{ "hostPath_without_path",
	  REQ(",\"volumes\":[{\"name\":\"v\",\"hostPath\":{\"type\":"
	  "\"Directory\"}}]"), 0, 0, NULL, NULL, NULL,
	  "spec.volumes[0].hostPath.path: Required value",
	  "spec.volumes[0].hostPath.path" },
	{ "volumeMount_without_mountPath",
	  REQ(",\"driver\":{\"volumeMounts\":[{\"name\":\"v\"}]}"), 0, 0,
	  NULL, NULL, NULL, "spec.driver.volumeMounts[0].mountPath: Required "
	  "value", "spec.driver.volumeMounts[0].mountPath" },
	{ "env_without_name",
	  REQ(",\"executor\":{\"env\":[{\"value\":\"x\"}]}"), 0, 0, NULL,
	  NULL, NULL, "spec.executor.env[0].name: Required value",
	  "spec.executor.env[0].name" },
	{ "fieldRef_without_fieldPath",
	  REQ(",\"driver\":{\"env\":[{\"name\":\"A\",\"valueFrom\":"
	  "{\"fieldRef\":{}}}]}"), 0, 0, NULL, NULL, NULL,
	  "spec.driver.env[0].valueFrom.fieldRef.fieldPath: Required value",
	  "spec.driver.env[0].valueFrom.fieldRef.fieldPath" },
	{ "matchExpression_without_operator",
	  REQ(",\"driver\":{" NODE_AFF "{" TERMS "[{\"matchExpressions\":"
	  "[{\"key\":\"k\"}]}]}}}}"), 0, 0, NULL, NULL, NULL,
	  "spec.driver.affinity.nodeAffinity.requiredDuringSchedulingIgnored"
	  "DuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: "
	  "Required value", "spec.driver.affinity.nodeAffinity.requiredDuring"
	  "SchedulingIgnoredDuringExecution.nodeSelectorTerms[0]."
	  "matchExpressions[0].operator" },
	{ "preferred_term_without_preference",
	  REQ(",\"executor\":{" NODE_AFF "{\"preferredDuringSchedulingIgnored"
	  "DuringExecution\":[{\"weight\":1}]}}}"), 0, 0, NULL, NULL, NULL,
	  "spec.executor.affinity.nodeAffinity.preferredDuringScheduling"
	  "IgnoredDuringExecution[0].preference: Required value",
	  "spec.executor.affinity.nodeAffinity.preferredDuringScheduling"
	  "IgnoredDuringExecution[0].preference" },
	{ "required_term_without_nodeSelectorTerms",
	  REQ(",\"driver\":{" NODE_AFF "{\"requiredDuringSchedulingIgnored"
	  "DuringExecution\":{}}}}"), 0, 0, NULL, NULL, NULL,
	  "spec.driver.affinity.nodeAffinity.requiredDuringSchedulingIgnored"
	  "DuringExecution.nodeSelectorTerms: Required value",
	  "spec.driver.affinity.nodeAffinity.requiredDuringSchedulingIgnored"
	  "DuringExecution.nodeSelectorTerms" },
	{ "ingressAnnotations_key_from_the_config", REQ(""), 0, 0, NULL, NULL,
	  "{\"ingressAnnotations\":{\"bad key\":\"x\"}}",
	  "spec.sparkUIOptions.ingressAnnotations[\"bad key\"]: Invalid key",
	  "spec.sparkUIOptions.ingressAnnotations" },
	{ "servicePort_over_int32_from_the_config", REQ(""), 0, 0, NULL, NULL,
	  "{\"servicePort\":3000000000}", "spec.sparkUIOptions.servicePort: "
	  "Invalid value: 3000000000: must be less than or equal to "
	  "2147483647", "spec.sparkUIOptions.servicePort" },
};

START_TEST(test_refused)
{
	struct fx f;
	struct bpg_submit_req req;
	struct bpg_errinfo ei = { "" };
	json_t *cr, *causes, *c;
	const char *name = refused_rows[_i].name;
	bool judged = false;
	size_t i, n = strlen(CHECK_PREFIX);

	sparkpi(&f);
	ck_assert_msg(bpg_req_parse(refused_rows[_i].request,
	    strlen(refused_rows[_i].request), BPG_REQ_JSON, &req, &ei) ==
	    BPG_OK, "row %s: request: %s", name, ei.msg);
	f.req = req;
	if (refused_rows[_i].driver_cpu_ratio > 0)
		f.q[1].driver_cpu_ratio = refused_rows[_i].driver_cpu_ratio;
	if (refused_rows[_i].executor_cpu_ratio > 0)
		f.q[1].executor_cpu_ratio = refused_rows[_i].executor_cpu_ratio;
	if (refused_rows[_i].submission_id != NULL)
		f.ctx.submission_id = refused_rows[_i].submission_id;
	if (refused_rows[_i].queue != NULL)
		f.ctx.queue = refused_rows[_i].queue;
	if (refused_rows[_i].ui_options != NULL)
		f.cl.spark_ui_options = J(refused_rows[_i].ui_options);
	/* Built as BPG builds it; build() checks that the check and
	 * Kubernetes agree, field included. */
	ck_assert_msg(build(&f, &cr, &ei) == BPG_OK, "row %s: build: %s",
	    name, ei.msg);
	ck_assert_msg(f.check == BPG_EINVAL, "row %s: not refused", name);
	ck_assert_msg(strncmp(f.check_ei.msg, CHECK_PREFIX, n) == 0 &&
	    strncmp(f.check_ei.msg + n, refused_rows[_i].field,
	    strlen(refused_rows[_i].field)) == 0, "row %s: check says \"%s\"",
	    name, f.check_ei.msg);
	causes = kubernetes_causes(cr);
	json_array_foreach(causes, i, c)
		judged = judged || strcmp(json_string_value(json_object_get(c,
		    "field")), refused_rows[_i].judge) == 0;
	ck_assert_msg(judged, "row %s: Kubernetes has no cause at %s", name,
	    refused_rows[_i].judge);
	bpg_req_reset(&req);
	fx_done(&f);
}
END_TEST

/* The check's own rules on hand-made objects (what no build gives). */
static const struct {
	const char *name;
	const char *cr;
	const char *msg;
} check_rows[] = {
	{ "not_an_object", "[]", "Invalid SparkApplication: Invalid value: "
	  "must be an object" },
	{ "wrong_apiVersion", "{\"apiVersion\":\"v1\",\"kind\":"
	  "\"SparkApplication\"}", "Invalid SparkApplication: apiVersion: "
	  "Unsupported value: must be \"sparkoperator.k8s.io/v1beta2\"" },
	{ "no_metadata", "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\","
	  "\"kind\":\"SparkApplication\"}", "Invalid SparkApplication: "
	  "metadata: Required value" },
	{ "name_not_a_string", "{\"apiVersion\":\"sparkoperator.k8s.io/"
	  "v1beta2\",\"kind\":\"SparkApplication\",\"metadata\":{\"name\":"
	  "5}}", "Invalid SparkApplication: metadata.name: Invalid value: "
	  "must be a string" },
	{ "no_spec", "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\","
	  "\"kind\":\"SparkApplication\",\"metadata\":{\"name\":\"a\"}}",
	  "Invalid SparkApplication: spec: Required value" },
	{ "mode_unknown", "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\","
	  "\"kind\":\"SparkApplication\",\"metadata\":{\"name\":\"a\"},"
	  "\"spec\":{\"type\":\"Java\",\"sparkVersion\":\"3\","
	  "\"mainApplicationFile\":\"x\",\"mode\":\"local\",\"driver\":{},"
	  "\"executor\":{}}}", "Invalid SparkApplication: spec.mode: "
	  "Unsupported value: \"local\": supported values: \"cluster\", "
	  "\"client\"" },
	{ "instances_0", "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\","
	  "\"kind\":\"SparkApplication\",\"metadata\":{\"name\":\"a\"},"
	  "\"spec\":{\"type\":\"Java\",\"sparkVersion\":\"3\","
	  "\"mainApplicationFile\":\"x\",\"driver\":{},\"executor\":"
	  "{\"instances\":0}}}", "Invalid SparkApplication: "
	  "spec.executor.instances: Invalid value: 0: must be greater than or "
	  "equal to 1" },
	{ "retries_negative", "{\"apiVersion\":\"sparkoperator.k8s.io/"
	  "v1beta2\",\"kind\":\"SparkApplication\",\"metadata\":{\"name\":"
	  "\"a\"},\"spec\":{\"type\":\"Java\",\"sparkVersion\":\"3\","
	  "\"mainApplicationFile\":\"x\",\"driver\":{},\"executor\":{},"
	  "\"restartPolicy\":{\"onFailureRetries\":-1}}}",
	  "Invalid SparkApplication: spec.restartPolicy.onFailureRetries: "
	  "Invalid value: -1: must be greater than or equal to 0" },
	{ "annotations_over_256KiB", NULL, "Invalid SparkApplication: "
	  "metadata.annotations: Too long: must have at most 262144 bytes" },
	/* A prefix part longer than 63 is still a DNS-1123 subdomain. */
	{ "label_key_prefix_part_of_64", "{\"apiVersion\":\"sparkoperator.k8s.io/"
	  "v1beta2\",\"kind\":\"SparkApplication\",\"metadata\":{\"name\":"
	  "\"a\",\"labels\":{\"a23456789012345678901234567890123456789012345"
	  "6789012345678901234.example/x\":\"v\"}},\"spec\":{\"type\":\"R\","
	  "\"sparkVersion\":\"3\",\"mainApplicationFile\":\"\",\"driver\":{},"
	  "\"executor\":{}}}", NULL },
	{ "minimal_valid", "{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\","
	  "\"kind\":\"SparkApplication\",\"metadata\":{\"name\":\"a\"},"
	  "\"spec\":{\"type\":\"R\",\"sparkVersion\":\"3\","
	  "\"mainApplicationFile\":\"\",\"driver\":{},\"executor\":{}}}",
	  NULL },
};

START_TEST(test_check_rules)
{
	struct bpg_errinfo ei = { "" };
	json_t *cr;
	char *big;
	enum bpg_err e;

	if (check_rows[_i].cr != NULL)
		cr = J(check_rows[_i].cr);
	else {
		/* Two annotations of 128 KiB and a bit. */
		big = tu_track(malloc(131073));
		memset(big, 'v', 131072);
		big[131072] = '\0';
		cr = J("{\"apiVersion\":\"sparkoperator.k8s.io/v1beta2\","
		    "\"kind\":\"SparkApplication\",\"metadata\":{\"name\":"
		    "\"a\",\"annotations\":{}}}");
		json_object_set_new(at(cr, "metadata.annotations"), "a",
		    json_string(big));
		json_object_set_new(at(cr, "metadata.annotations"), "b",
		    json_string(big));
	}
	e = bpg_crd_check(cr, &ei);
	if (check_rows[_i].msg == NULL) {
		ck_assert_msg(e == BPG_OK, "row %s: %s", check_rows[_i].name,
		    ei.msg);
		ck_assert_msg(agree(cr, &ei, NULL) == BPG_OK, "row %s",
		    check_rows[_i].name);
		return;
	}
	ck_assert_msg(e == BPG_EINVAL, "row %s: passed", check_rows[_i].name);
	ck_assert_msg(strcmp(ei.msg, check_rows[_i].msg) == 0, "row %s: got "
	    "\"%s\"", check_rows[_i].name, ei.msg);
	if (json_is_object(at(cr, "spec")))
		ck_assert_int_eq(agree(cr, &ei, NULL), BPG_EINVAL);
}
END_TEST

/* ---- accepted values: cores, coreLimit, memory ----------------------- */

static const struct {
	const char *name;
	int64_t cores;
	const char *core_limit;
	const char *memory;
	double cpu_ratio, mem_ratio;
	int64_t want_cores;
	const char *want_limit;
	const char *want_memory;
	const char *refused;	/* the field bpg_crd_check() names, or NULL */
} val_rows[] = {
	{ "defaults", 1, NULL, "2g", 1.0, 1.0, 1, "1000.0m", "2g", NULL },
	{ "two_cores", 2, NULL, "2g", 1.0, 1.0, 2, "2000.0m", "2g", NULL },
	{ "fraction_truncated", 1, NULL, "2.5g", 1.0, 1.0, 1, "1000.0m", "2g",
	  NULL },
	{ "gi_unit_kept", 1, NULL, "2Gi", 1.0, 1.0, 1, "1000.0m", "2Gi", NULL },
	{ "megabytes", 1, NULL, "512m", 1.0, 1.0, 1, "1000.0m", "512m", NULL },
	{ "unknown_unit_kept_as_bpg", 1, NULL, "1.5x", 1.0, 1.0, 1, "1000.0m",
	  "1x", NULL },
	{ "leading_dot", 1, NULL, ".5g", 1.0, 1.0, 1, "1000.0m", "0g", NULL },
	{ "trailing_dot", 1, NULL, "1.g", 1.0, 1.0, 1, "1000.0m", "1g", NULL },
	{ "ratio_applied_twice", 2, NULL, "2g", 1.25, 1.0, 3, "3750.0m",
	  "2g", NULL },
	{ "ratio_float_error_as_java", 3, NULL, "3g", 1.1, 1.1, 3, "3301.0m",
	  "4g", NULL },
	{ "mem_ratio", 1, NULL, "2g", 1.0, 1.5, 1, "1000.0m", "3g", NULL },
	{ "user_core_limit", 2, "2", "2g", 1.25, 1.0, 3, "3", "2g", NULL },
	{ "user_core_limit_plus", 1, "+2", "2g", 1.0, 1.0, 1, "2", "2g", NULL },
	{ "round_half_up", 1, NULL, "1g", 0.5, 1.0, 1, "500.0m", "1g", NULL },
	/* Built as BPG does, then refused before anything is written:
	 * the CRD's minimum is 1. */
	{ "round_down_to_zero", 1, NULL, "1g", 0.4, 1.0, 0, "0.0m", "1g",
	  "spec.driver.cores" },
	{ "empty_core_limit_is_default", 1, "", "1g", 1.0, 1.0, 1, "1000.0m",
	  "1g", NULL },
};

START_TEST(test_values)
{
	struct fx f;
	json_t *cr;
	int p;
	static const char *const pods[] = { "spec.driver", "spec.executor" };
	char path[64];

	sparkpi(&f);
	f.q[1].driver_cpu_ratio = f.q[1].executor_cpu_ratio =
	    val_rows[_i].cpu_ratio;
	f.q[1].driver_mem_ratio = f.q[1].executor_mem_ratio =
	    val_rows[_i].mem_ratio;
	f.req.driver.cores = f.req.executor.cores = val_rows[_i].cores;
	f.req.driver.core_limit = f.req.executor.core_limit =
	    S(val_rows[_i].core_limit);
	f.req.driver.memory = f.req.executor.memory = S(val_rows[_i].memory);
	cr = val_rows[_i].refused != NULL ? build_refused(&f,
	    val_rows[_i].refused) : build_ok(&f);
	for (p = 0; p < 2; p++) {
		snprintf(path, sizeof(path), "%s.cores", pods[p]);
		ck_assert_msg(json_integer_value(at(cr, path)) ==
		    val_rows[_i].want_cores, "row %s: %s", val_rows[_i].name,
		    path);
		snprintf(path, sizeof(path), "%s.coreLimit", pods[p]);
		ck_assert_msg(strcmp(at_str(cr, path),
		    val_rows[_i].want_limit) == 0, "row %s: %s = %s",
		    val_rows[_i].name, path, at_str(cr, path));
		snprintf(path, sizeof(path), "%s.memory", pods[p]);
		ck_assert_msg(strcmp(at_str(cr, path),
		    val_rows[_i].want_memory) == 0, "row %s: %s = %s",
		    val_rows[_i].name, path, at_str(cr, path));
	}
	fx_done(&f);
}
END_TEST

START_TEST(test_pod_defaults_without_specs)
{
	struct fx f;
	json_t *cr;

	/* No driver or executor in the request: cores 1, memory 1g,
	 * instances 1, the driver's account from the cluster. */
	sparkpi(&f);
	memset(&f.req.driver, 0, sizeof(f.req.driver));
	memset(&f.req.executor, 0, sizeof(f.req.executor));
	cr = build_ok(&f);
	ck_assert_int_eq(json_integer_value(at(cr, "spec.driver.cores")), 1);
	ck_assert_str_eq(at_str(cr, "spec.driver.memory"), "1g");
	ck_assert_str_eq(at_str(cr, "spec.driver.coreLimit"), "1000.0m");
	ck_assert_str_eq(at_str(cr, "spec.driver.serviceAccount"), "spark");
	ck_assert_ptr_null(at(cr, "spec.executor.serviceAccount"));
	ck_assert_int_eq(json_integer_value(at(cr, "spec.executor.instances")),
	    1);
	ck_assert_str_eq(at_str(cr, "spec.executor.memory"), "1g");
	ck_assert_ptr_null(at(cr, "spec.driver.labels"));
	/* Cluster env still comes in. */
	ck_assert_uint_eq(json_array_size(at(cr, "spec.driver.env")), 2);
	ck_assert_uint_eq(json_array_size(at(cr, "spec.executor.env")), 1);
	fx_done(&f);
}
END_TEST

/* ---- everything a request can carry, and the key order of 2.23 ------- */

static const char *const spec_order[] = { "type", "sparkVersion", "mode",
	"originalUser", "proxyUser", "image", "imagePullPolicy", "mainClass",
	"mainApplicationFile", "arguments", "sparkConf", "batchScheduler",
	"batchSchedulerOptions", "volumes", "driver", "executor", "deps",
	"restartPolicy", "pythonVersion", "timeToLiveSeconds",
	"sparkUIOptions", NULL };
static const char *const driver_order[] = { "cores", "coreRequest",
	"coreLimit", "memory", "memoryOverhead", "image", "env", "labels",
	"annotations", "terminationGracePeriodSeconds", "serviceAccount",
	"volumeMounts", "securityContext", "affinity", "javaOptions",
	"podName", "kubernetesMaster", NULL };
static const char *const executor_order[] = { "cores", "coreRequest",
	"coreLimit", "memory", "memoryOverhead", "image", "env", "labels",
	"annotations", "terminationGracePeriodSeconds", "serviceAccount",
	"volumeMounts", "securityContext", "affinity", "dnsConfig",
	"javaOptions", "instances", "deleteOnTermination", NULL };

/* obj's keys are exactly order[], in that order. */
static void
assert_keys(json_t *obj, const char *const *order, const char *what)
{
	const char *k;
	json_t *v;
	size_t i = 0;

	json_object_foreach(obj, k, v) {
		ck_assert_msg(order[i] != NULL, "%s: extra key %s", what, k);
		ck_assert_msg(strcmp(k, order[i]) == 0, "%s: key %zu is %s, "
		    "want %s", what, i, k, order[i]);
		i++;
	}
	ck_assert_msg(order[i] == NULL, "%s: missing %s", what, order[i]);
}

static void
full_request(struct fx *f)
{
	struct bpg_pod_req *p;
	int i;

	f->req.image = S("my/image:1");
	f->req.image_pull_policy = S("Always");
	f->req.arguments = J("[\"1000\",\"x\"]");
	f->req.spark_conf = J("{\"spark.x\":\"y\"}");
	f->req.volumes = J("[{\"name\":\"v1\",\"hostPath\":{\"path\":\"/a\","
	    "\"type\":\"Directory\"}}]");
	f->req.deps = J("{\"jars\":[\"s3://b/x.jar\"],\"files\":[]}");
	f->req.restart_policy = J("{\"type\":\"OnFailure\","
	    "\"onFailureRetries\":3}");
	f->req.python_version = S("3");
	for (i = 0; i < 2; i++) {
		p = i == 0 ? &f->req.driver : &f->req.executor;
		p->core_request = S("500m");
		p->memory_overhead = S("512m");
		p->image = S("my/pod-image:1");
		p->env = J("[{\"name\":\"B\",\"value\":\"1\"},"
		    "{\"name\":\"STATSD_SERVER_PORT\",\"value\":\"9999\"}]");
		p->labels = J("{\"dag_name\":\"My DAG!\",\"task_name\":"
		    "\"_task_\",\"team\":\"x\"}");
		p->annotations = J("{\"a\":\"b\"}");
		p->has_termination_grace_period_seconds = true;
		p->termination_grace_period_seconds = 30;
		p->service_account = S("sa");
		p->volume_mounts = J("[{\"name\":\"v1\","
		    "\"mountPath\":\"/m\"}]");
		p->security_context = J("{\"runAsUser\":0}");
		p->java_options = S("-Dx=1");
		p->dns_config = J("{\"nameservers\":[\"1.1.1.1\"]}");
	}
	f->req.driver.pod_name = S("my-driver");
	f->req.driver.kubernetes_master = S("k8s://x");
	f->req.executor.has_delete_on_termination = true;
	f->req.executor.delete_on_termination = false;
}

START_TEST(test_full_request)
{
	struct fx f;
	json_t *cr;

	sparkpi(&f);
	full_request(&f);
	cr = build_ok(&f);
	assert_keys(at(cr, "spec"), spec_order, "spec");
	assert_keys(at(cr, "spec.driver"), driver_order, "driver");
	assert_keys(at(cr, "spec.executor"), executor_order, "executor");

	ck_assert_str_eq(at_str(cr, "spec.image"), "my/image:1");
	/* Section 2.19: request entries first, then the cluster's others. */
	assert_same(at(cr, "spec.driver.env"), J("[{\"name\":\"B\","
	    "\"value\":\"1\"},{\"name\":\"STATSD_SERVER_PORT\",\"value\":"
	    "\"9999\"},{\"name\":\"STATSD_SERVER_IP\",\"valueFrom\":"
	    "{\"fieldRef\":{\"fieldPath\":\"status.hostIP\"}}}]"),
	    "driver env");
	assert_same(at(cr, "spec.executor.env"), J("[{\"name\":\"B\","
	    "\"value\":\"1\"},{\"name\":\"STATSD_SERVER_PORT\",\"value\":"
	    "\"9999\"}]"), "executor env");
	/* dag_name and task_name normalised, other labels kept. */
	assert_same(at(cr, "spec.driver.labels"), J("{\"dag_name\":"
	    "\"My0DAG0\",\"task_name\":\"0task0\",\"team\":\"x\"}"),
	    "driver labels");
	assert_same(at(cr, "spec.executor.labels"), at(cr,
	    "spec.driver.labels"), "executor labels");
	/* Annotations: the driver always gets safe-to-evict; the executor
	 * not when the request has some (quirk 9). */
	assert_same(at(cr, "spec.driver.annotations"), J("{\"a\":\"b\","
	    "\"cluster-autoscaler.kubernetes.io/safe-to-evict\":\"false\"}"),
	    "driver annotations");
	assert_same(at(cr, "spec.executor.annotations"), J("{\"a\":\"b\"}"),
	    "executor annotations");
	/* dnsConfig: dropped for the driver, fixed for the executor. */
	ck_assert_ptr_null(at(cr, "spec.driver.dnsConfig"));
	assert_same(at(cr, "spec.executor.dnsConfig"), J("{\"options\":"
	    "[{\"name\":\"ndots\",\"value\":\"1\"}]}"), "executor dnsConfig");
	/* Volumes once (quirk 6), request mounts kept. */
	assert_same(at(cr, "spec.volumes"), f.req.volumes, "volumes");
	assert_same(at(cr, "spec.driver.volumeMounts"),
	    f.req.driver.volume_mounts, "driver mounts");
	ck_assert_str_eq(at_str(cr, "spec.executor.serviceAccount"), "sa");
	ck_assert(json_is_false(at(cr, "spec.executor.deleteOnTermination")));
	assert_same(at(cr, "spec.deps"), f.req.deps, "deps");
	assert_same(at(cr, "spec.restartPolicy"), f.req.restart_policy,
	    "restartPolicy");
	assert_same(at(cr, "spec.arguments"), f.req.arguments, "arguments");
	/* The Ranger gate has nothing to drop here; the request's key is
	 * there. */
	ck_assert_str_eq(json_string_value(json_object_get(at(cr,
	    "spec.sparkConf"), "spark.x")), "y");
	fx_done(&f);
}
END_TEST

START_TEST(test_request_affinity_kept)
{
	struct fx f;
	json_t *cr, *aff;

	/* A request's own affinity is used as is: no labels, no zones. */
	sparkpi(&f);
	f.q[1].allowed_zones = L("z1");
	f.req.spark_conf = J("{}");
	aff = J("{\"nodeAffinity\":{\"preferredDuringSchedulingIgnoredDuring"
	    "Execution\":[{\"weight\":1,\"preference\":{\"matchExpressions\":"
	    "[{\"key\":\"k\",\"operator\":\"In\",\"values\":[\"v\"]}]}}]}}");
	f.req.driver.affinity = aff;
	cr = build_ok(&f);
	assert_same(at(cr, "spec.driver.affinity"), aff, "driver affinity");
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(
	    json_object_get(at(cr, "spec.executor.affinity.nodeAffinity."
	    "requiredDuringSchedulingIgnoredDuringExecution"),
	    "nodeSelectorTerms"), 0), "matchExpressions")), 2);
	fx_done(&f);
}
END_TEST

START_TEST(test_cluster_volumes_and_mounts)
{
	struct fx f;
	json_t *cr, *cvol, *cmounts;

	sparkpi(&f);
	cvol = J("[{\"name\":\"c1\",\"hostPath\":{\"path\":\"/c\"}}]");
	cmounts = J("[{\"name\":\"c1\",\"mountPath\":\"/c\"}]");
	f.cl.volumes = cvol;
	f.cl.driver.volume_mounts = cmounts;
	/* The request's mounts without request volumes are replaced by the
	 * cluster's (section 2.10 step 4). */
	f.req.driver.volume_mounts = J("[{\"name\":\"r\",\"mountPath\":"
	    "\"/r\"}]");
	f.req.executor.volume_mounts = J("[{\"name\":\"r\",\"mountPath\":"
	    "\"/r\"}]");
	cr = build_ok(&f);
	assert_same(at(cr, "spec.volumes"), cvol, "cluster volumes");
	assert_same(at(cr, "spec.driver.volumeMounts"), cmounts,
	    "driver mounts");
	/* The executor block has env but no mounts: its mounts go. */
	ck_assert_ptr_null(at(cr, "spec.executor.volumeMounts"));

	/* An empty request list counts as none. */
	f.req.volumes = J("[]");
	cr = build_ok(&f);
	assert_same(at(cr, "spec.volumes"), cvol, "cluster volumes");
	fx_done(&f);
}
END_TEST

START_TEST(test_other_spec_fields)
{
	struct fx f;
	json_t *cr;

	sparkpi(&f);
	/* No UI options, no YuniKorn, no TTL: all omitted. */
	f.cl.spark_ui_options = NULL;
	f.cl.batch_scheduler = S("default");
	f.cl.has_ttl_seconds = false;
	f.req.main_class = NULL;
	f.req.application_name = S("");
	cr = build_ok(&f);
	ck_assert_ptr_null(at(cr, "spec.sparkUIOptions"));
	ck_assert_ptr_null(at(cr, "spec.batchScheduler"));
	ck_assert_ptr_null(at(cr, "spec.batchSchedulerOptions"));
	ck_assert_ptr_null(at(cr, "spec.timeToLiveSeconds"));
	/* No mainClass: Python, and its image. */
	ck_assert_str_eq(at_str(cr, "spec.type"), "Python");
	ck_assert_str_eq(at_str(cr, "spec.image"), "apache/spark-py:3.5.0");
	/* An empty name: an empty label, no spark.app.name. */
	ck_assert_str_eq(at_str(cr, "metadata.labels.applicationName"), "");
	ck_assert_ptr_null(json_object_get(at(cr, "spec.sparkConf"),
	    "spark.app.name"));
	/* The type is copied as given; images match it in any case; the
	 * CRD's enum is case-sensitive, so the check refuses "scala". */
	f.req.type = S("scala");
	cr = build_refused(&f, "spec.type: Unsupported value: \"scala\"");
	ck_assert_str_eq(at_str(cr, "spec.type"), "scala");
	ck_assert_str_eq(at_str(cr, "spec.image"), "apache/spark:3.5.0");
	f.req.type = S("Scala");
	/* No applicationName at all: no label. */
	f.req.application_name = NULL;
	cr = build_ok(&f);
	ck_assert_ptr_null(at(cr, "metadata.labels.applicationName"));
	/* A child queue: labels and YuniKorn use the full name, limits the
	 * parent's. */
	f.ctx.queue = "dev.team1";
	f.cl.batch_scheduler = S("yunikorn");
	cr = build_ok(&f);
	ck_assert_str_eq(at_str(cr, "metadata.labels.queue"), "root.dev.team1");
	ck_assert_str_eq(at_str(cr, "spec.batchSchedulerOptions.queue"),
	    "root.dev.team1");
	ck_assert_uint_eq(json_array_size(json_object_get(json_array_get(
	    json_object_get(at(cr, "spec.driver.affinity.nodeAffinity."
	    "requiredDuringSchedulingIgnoredDuringExecution"),
	    "nodeSelectorTerms"), 0), "matchExpressions")), 1);
	/* A value under the queue's maximum is taken. */
	f.req.spark_conf = J("{\"bpg.maxRunningMillis\":\"86400000\"}");
	cr = build_ok(&f);
	ck_assert_str_eq(at_str(cr, "metadata.labels.maxRunningMillis"),
	    "86400000");
	ck_assert_str_eq(json_string_value(json_object_get(at(cr,
	    "spec.sparkConf"), "bpg.maxRunningMillis")), "86400000");
	/* Negative values pass BPG's checks, but "-1" is no label value:
	 * the API server would refuse it, so the check does. */
	f.req.spark_conf = J("{\"bpg.maxRunningMillis\":\"-1\"}");
	cr = build_refused(&f,
	    "metadata.labels[\"maxRunningMillis\"]: Invalid value: \"-1\"");
	ck_assert_str_eq(at_str(cr, "metadata.labels.maxRunningMillis"), "-1");
	f.req.spark_conf = J("{\"bpg.maxRunningMillis\":\"0\"}");
	cr = build_ok(&f);
	ck_assert_str_eq(at_str(cr, "metadata.labels.maxRunningMillis"), "0");
	fx_done(&f);
}
END_TEST

START_TEST(test_spot_instances)
{
	struct fx f;
	json_t *cr, *me;

	sparkpi(&f);
	f.req.spot_instance = true;
	/* No spot values: no label expression, no fallback. */
	cr = build_ok(&f);
	assert_same(at(cr, "spec.executor.affinity"),
	    J("{\"nodeAffinity\":{}}"), "spot without spot values");
	f.q[1].executor_spot_node_label_values = L("spot1,spot2");
	f.q[1].executor_node_label_key = NULL;
	cr = build_ok(&f);
	me = json_object_get(json_array_get(json_object_get(at(cr,
	    "spec.executor.affinity.nodeAffinity."
	    "requiredDuringSchedulingIgnoredDuringExecution"),
	    "nodeSelectorTerms"), 0), "matchExpressions");
	assert_same(me, J("[{\"key\":\"node_group_category\",\"operator\":"
	    "\"In\",\"values\":[\"spot1\",\"spot2\"]}]"), "spot expression");
	fx_done(&f);
}
END_TEST

/* ---- ApplicationSubmissionHelperTest.getSparkConf ------------------- */

static json_t *
conf(struct fx *f)
{
	json_t *c = NULL;

	ck_assert_int_eq(bpg_crd_spark_conf(&f->cfg, &f->cl, &f->req,
	    "submission1", &c), BPG_OK);
	if (c != NULL)
		tu_jtrack(c);
	return c;
}

static const char *
cval(json_t *c, const char *k)
{
	return json_string_value(json_object_get(c, k));
}

static void
conf_fixture(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->cl.id = S("c01");
}

/* ApplicationSubmissionHelperTest.getSparkConf_nullDefaultSparkConf */
START_TEST(test_get_spark_conf_null_default)
{
	struct fx f;
	json_t *c;

	conf_fixture(&f);
	ck_assert_ptr_null(conf(&f));
	f.cl.spark_conf.present = true;
	c = conf(&f);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(json_object_size(c), 0);
	f.cl.spark_conf = KV("key1=value1", "key2=value2", NULL);
	ck_assert_uint_eq(json_object_size(conf(&f)), 2);
	f.req.spark_conf = J("{}");
	ck_assert_uint_eq(json_object_size(conf(&f)), 2);
	f.req.spark_conf = J("{\"key2\":\"value2_overwrite\","
	    "\"key3\":\"value3\"}");
	c = conf(&f);
	ck_assert_uint_eq(json_object_size(c), 3);
	ck_assert_str_eq(cval(c, "key2"), "value2_overwrite");
	ck_assert_ptr_null(json_object_get(c, "spark.app.name"));
	f.req.application_name = S("app1");
	c = conf(&f);
	ck_assert_uint_eq(json_object_size(c), 4);
	ck_assert_str_eq(cval(c, "spark.app.name"), "app1");
	f.cl.spark_conf = KV("key1=value-{spark-application-resource-name}",
	    NULL);
	ck_assert_str_eq(cval(conf(&f), "key1"), "value-submission1");
}
END_TEST

/* ApplicationSubmissionHelperTest.getSparkConf_emptyDefaultSparkConf */
START_TEST(test_get_spark_conf_empty_default)
{
	struct fx f;
	json_t *c;

	conf_fixture(&f);
	f.cfg.default_spark_conf.present = true;
	c = conf(&f);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(json_object_size(c), 0);
	f.cl.spark_conf = KV("key1=value1", "key2=value2", NULL);
	ck_assert_uint_eq(json_object_size(conf(&f)), 2);
	f.req.spark_conf = J("{\"key2\":\"value2_overwrite\","
	    "\"key3\":\"value3\"}");
	c = conf(&f);
	ck_assert_uint_eq(json_object_size(c), 3);
	ck_assert_str_eq(cval(c, "key2"), "value2_overwrite");
	f.req.application_name = S("app1");
	ck_assert_uint_eq(json_object_size(conf(&f)), 4);
	f.cl.spark_conf = KV("key1=value-{spark-application-resource-name}",
	    NULL);
	ck_assert_str_eq(cval(conf(&f), "key1"), "value-submission1");
}
END_TEST

/* ApplicationSubmissionHelperTest.getSparkConf_nonEmptyDefaultSparkConf */
START_TEST(test_get_spark_conf_non_empty_default)
{
	struct fx f;
	json_t *c;

	conf_fixture(&f);
	f.cfg.default_spark_conf = KV("defaultKey1=defaultValue1",
	    "defaultKey2=defaultValue2", NULL);
	c = conf(&f);
	assert_same(c, J("{\"defaultKey1\":\"defaultValue1\","
	    "\"defaultKey2\":\"defaultValue2\"}"), "defaults alone");
	f.cl.spark_conf = KV("key1=value1", "key2=value2", NULL);
	ck_assert_uint_eq(json_object_size(conf(&f)), 4);
	f.req.spark_conf = J("{\"key3\":\"value3\"}");
	ck_assert_uint_eq(json_object_size(conf(&f)), 5);
	f.cl.spark_conf = KV("key1=value1", "key2=value2",
	    "defaultKey2=clusterValue2", NULL);
	f.req.spark_conf = J("{\"key3\":\"value3\","
	    "\"defaultKey1\":\"requestValue1\"}");
	c = conf(&f);
	ck_assert_uint_eq(json_object_size(c), 5);
	ck_assert_str_eq(cval(c, "defaultKey2"), "clusterValue2");
	ck_assert_str_eq(cval(c, "defaultKey1"), "requestValue1");
	f.req.application_name = S("app1");
	ck_assert_uint_eq(json_object_size(conf(&f)), 6);
	/* The placeholder in both the default and the cluster layer. */
	f.cfg.default_spark_conf = KV(
	    "defaultKey1=value-{spark-application-resource-name}",
	    "defaultKey2=value-{spark-application-resource-name}", NULL);
	f.cl.spark_conf = KV(
	    "defaultKey2=value2-{spark-application-resource-name}", NULL);
	f.req.spark_conf = NULL;
	c = conf(&f);
	ck_assert_str_eq(cval(c, "defaultKey1"), "value-submission1");
	ck_assert_str_eq(cval(c, "defaultKey2"), "value2-submission1");
	/* Every occurrence; the request layer is verbatim. */
	f.cl.spark_conf = KV("k={spark-application-resource-name}/"
	    "{spark-application-resource-name}", NULL);
	f.req.spark_conf = J("{\"r\":\"{spark-application-resource-name}\"}");
	c = conf(&f);
	ck_assert_str_eq(cval(c, "k"), "submission1/submission1");
	ck_assert_str_eq(cval(c, "r"), "{spark-application-resource-name}");
}
END_TEST

/* ApplicationSubmissionHelperTest.getSparkConf_nonEmptyFixedSparkConf */
START_TEST(test_get_spark_conf_fixed)
{
	struct fx f;
	json_t *c;

	conf_fixture(&f);
	f.cfg.default_spark_conf = KV("defaultKey1=defaultValue1",
	    "defaultKey2=defaultValue2", NULL);
	f.cfg.fixed_spark_conf = KV("defaultKey1=fixedValue1",
	    "defaultKey2=fixedValue2", NULL);
	f.req.spark_conf = J("{\"defaultKey1\":\"requestValue1\","
	    "\"defaultKey2\":\"requestValue2\"}");
	c = conf(&f);
	assert_same(c, J("{\"defaultKey1\":\"fixedValue1\","
	    "\"defaultKey2\":\"fixedValue2\"}"), "fixed wins");
	/* Fixed values are verbatim: no placeholder replacement. */
	f.cfg.fixed_spark_conf = KV("f={spark-application-resource-name}",
	    NULL);
	ck_assert_str_eq(cval(conf(&f), "f"),
	    "{spark-application-resource-name}");
	/* Only a fixed layer: still a map. */
	memset(&f.cfg.default_spark_conf, 0, sizeof(f.cfg.default_spark_conf));
	f.req.spark_conf = NULL;
	ck_assert_uint_eq(json_object_size(conf(&f)), 1);
}
END_TEST

static const struct {
	const char *name;
	const char *image;
	const char *ranger;	/* RangerOnCustomImage, or NULL */
	bool dropped;
} ranger_rows[] = {
	{ "no_custom_image", NULL, NULL, false },
	{ "custom_image_no_switch", "my/img", NULL, true },
	{ "custom_image_switch_on", "my/img", "On", false },
	{ "custom_image_switch_on_lower", "my/img", "on", false },
	{ "custom_image_switch_off", "my/img", "Off", true },
	{ "empty_image_is_non_null", "", NULL, true },
};

START_TEST(test_ranger_gate)
{
	struct fx f;
	json_t *c;
	char rg[64];

	conf_fixture(&f);
	snprintf(rg, sizeof(rg), "RangerOnCustomImage=%s",
	    ranger_rows[_i].ranger ? ranger_rows[_i].ranger : "");
	if (ranger_rows[_i].ranger)
		f.cfg.default_spark_conf = KV("spark.sql.extensions=ext",
		    "spark.ranger.plugin.spark.env=env", "other=1", rg, NULL);
	else
		f.cfg.default_spark_conf = KV("spark.sql.extensions=ext",
		    "spark.ranger.plugin.spark.env=env", "other=1", NULL);
	f.req.image = S(ranger_rows[_i].image);
	c = conf(&f);
	ck_assert_msg((json_object_get(c, "spark.sql.extensions") == NULL) ==
	    ranger_rows[_i].dropped, "row %s", ranger_rows[_i].name);
	ck_assert_msg((json_object_get(c, "spark.ranger.plugin.spark.env") ==
	    NULL) == ranger_rows[_i].dropped, "row %s", ranger_rows[_i].name);
	ck_assert_msg(json_object_get(c, "other") != NULL, "row %s",
	    ranger_rows[_i].name);
	/* Quirk 26: the switch itself is passed on. */
	if (ranger_rows[_i].ranger)
		ck_assert_msg(json_object_get(c, "RangerOnCustomImage") !=
		    NULL, "row %s", ranger_rows[_i].name);
}
END_TEST

START_TEST(test_spark_conf_nulls)
{
	struct fx f;
	json_t *c;

	/* Quirk 39: a null from any layer never reaches the CR. */
	conf_fixture(&f);
	f.cfg.default_spark_conf = KV("a=1", "b=2", NULL);
	f.cfg.default_spark_conf.v[1].value = NULL;
	f.req.spark_conf = J("{\"a\":null,\"c\":\"3\"}");
	c = conf(&f);
	assert_same(c, J("{\"c\":\"3\"}"), "nulls dropped");
}
END_TEST

/*
 * SparkPodSpecTest: a pod spec with only dnsConfig serialises exactly as
 * {"dnsConfig":{"options":[{"name":"ndots","value":"1"}]}} and reads back
 * the same; it is also the executor's dnsConfig in the CR.
 */
START_TEST(test_spark_pod_spec_dns_config)
{
	static const char pod[] = "{\"dnsConfig\":{\"options\":[{\"name\":"
	    "\"ndots\",\"value\":\"1\"}]}}";
	struct bpg_submit_req req, again;
	struct bpg_errinfo ei = { "" };
	char body[256], *dump;
	json_t *san;
	struct fx f;
	json_t *cr;

	snprintf(body, sizeof(body), "{\"executor\":%s}", pod);
	ck_assert_int_eq(bpg_req_parse(body, strlen(body), BPG_REQ_JSON, &req,
	    &ei), BPG_OK);
	san = tu_jtrack(bpg_req_sanitized(&req));
	dump = tu_track(json_dumps(json_object_get(san, "executor"),
	    JSON_COMPACT | JSON_PRESERVE_ORDER));
	ck_assert_str_eq(dump, pod);
	/* It reads back as the executor of a request. */
	snprintf(body, sizeof(body), "{\"executor\":%s}", dump);
	ck_assert_int_eq(bpg_req_parse(body, strlen(body), BPG_REQ_JSON,
	    &again, &ei), BPG_OK);
	ck_assert(json_equal(again.executor.dns_config,
	    req.executor.dns_config));
	bpg_req_reset(&again);

	sparkpi(&f);
	f.req.executor.dns_config = req.executor.dns_config;
	cr = build_ok(&f);
	ck_assert_ptr_nonnull(dump = json_dumps(at(cr, "spec.executor"
	    ".dnsConfig"), JSON_COMPACT | JSON_PRESERVE_ORDER));
	ck_assert_str_eq(dump, "{\"options\":[{\"name\":\"ndots\",\"value\":"
	    "\"1\"}]}");
	free(dump);
	f.req.executor.dns_config = NULL;
	bpg_req_reset(&req);
	fx_done(&f);
}
END_TEST

/* ---- ApplicationSubmissionHelperTest.getVolumes ---------------------- */

START_TEST(test_get_volumes)
{
	struct fx f;
	json_t *v;

	conf_fixture(&f);
	ck_assert_int_eq(bpg_crd_volumes(&f.cl, &f.req, &v), BPG_OK);
	ck_assert_ptr_null(v);
	f.cl.volumes = J("[{\"name\":\"volume1\",\"hostPath\":{\"path\":"
	    "\"/path1\",\"type\":\"Directory\"}},{\"name\":\"volume2\","
	    "\"hostPath\":{\"path\":\"/path2\",\"type\":\"Directory\"}}]");
	ck_assert_int_eq(bpg_crd_volumes(&f.cl, &f.req, &v), BPG_OK);
	assert_same(tu_jtrack(v), f.cl.volumes, "cluster volumes");
	f.req.volumes = J("[{\"name\":\"volume5\",\"hostPath\":{\"path\":"
	    "\"/path5\",\"type\":\"Directory\"}},{\"name\":\"volume6\","
	    "\"hostPath\":{\"path\":\"/path6\",\"type\":\"Directory\"}}]");
	ck_assert_int_eq(bpg_crd_volumes(&f.cl, &f.req, &v), BPG_OK);
	assert_same(tu_jtrack(v), f.req.volumes, "request volumes");
}
END_TEST

/* ---- populateEnv and copyEnv ---------------------------------------- */

START_TEST(test_populate_env)
{
	struct fx f;
	json_t *spec = J("{}");

	conf_fixture(&f);
	ck_assert_int_eq(bpg_crd_populate_env(spec, &f.cl, &f.req), BPG_OK);
	ck_assert_ptr_null(json_object_get(spec, "driver"));
	ck_assert_ptr_null(json_object_get(spec, "executor"));

	f.cl.driver.env = J("[{\"name\":\"env1\",\"value\":\"value1\"},"
	    "{\"name\":\"env2\",\"value\":\"value2\"}]");
	ck_assert_int_eq(bpg_crd_populate_env(spec, &f.cl, &f.req), BPG_OK);
	assert_same(at(spec, "driver.env"), f.cl.driver.env, "driver env");
	ck_assert_ptr_null(json_object_get(spec, "executor"));

	spec = J("{}");
	f.cl.executor.env = J("[{\"name\":\"env3\",\"value\":\"value3\"},"
	    "{\"name\":\"env4\",\"value\":\"value4\"}]");
	ck_assert_int_eq(bpg_crd_populate_env(spec, &f.cl, &f.req), BPG_OK);
	assert_same(at(spec, "executor.env"), f.cl.executor.env,
	    "executor env");

	spec = J("{}");
	f.req.driver.present = true;
	f.req.driver.env = J("[{\"name\":\"env2\",\"value\":"
	    "\"value2_overwrite\"},{\"name\":\"env3\",\"value\":\"value3\"}]");
	ck_assert_int_eq(bpg_crd_populate_env(spec, &f.cl, &f.req), BPG_OK);
	assert_same(at(spec, "driver.env"), J("[{\"name\":\"env1\","
	    "\"value\":\"value1\"},{\"name\":\"env2\",\"value\":"
	    "\"value2_overwrite\"},{\"name\":\"env3\",\"value\":\"value3\"}]"),
	    "merged driver env");

	spec = J("{}");
	f.req.executor.present = true;
	f.req.executor.env = J("[{\"name\":\"env4\",\"value\":"
	    "\"value4_overwrite\"},{\"name\":\"env5\",\"value\":\"value5\"}]");
	ck_assert_int_eq(bpg_crd_populate_env(spec, &f.cl, &f.req), BPG_OK);
	assert_same(at(spec, "executor.env"), J("[{\"name\":\"env3\","
	    "\"value\":\"value3\"},{\"name\":\"env4\",\"value\":"
	    "\"value4_overwrite\"},{\"name\":\"env5\",\"value\":\"value5\"}]"),
	    "merged executor env");
}
END_TEST

/* SparkSpecHelperTest.copyEnv: each step starts from the previous one. */
static const struct {
	const char *name;
	const char *src;
	const char *want;
} copy_env_rows[] = {
	{ "copyEnv_two_new", "[{\"name\":\"key1\",\"value\":\"value1\"},"
	  "{\"name\":\"key2\",\"value\":\"value2\"}]",
	  "[{\"name\":\"key1\",\"value\":\"value1\"},"
	  "{\"name\":\"key2\",\"value\":\"value2\"}]" },
	{ "copyEnv_update_in_place", "[{\"name\":\"key1\",\"value\":"
	  "\"value1\"},{\"name\":\"key2\",\"value\":\"value2a\"}]",
	  "[{\"name\":\"key1\",\"value\":\"value1\"},"
	  "{\"name\":\"key2\",\"value\":\"value2a\"}]" },
	{ "copyEnv_update_and_append", "[{\"name\":\"key1\",\"value\":"
	  "\"value1a\"},{\"name\":\"key3\",\"value\":\"value3\"}]",
	  "[{\"name\":\"key1\",\"value\":\"value1a\"},"
	  "{\"name\":\"key2\",\"value\":\"value2a\"},"
	  "{\"name\":\"key3\",\"value\":\"value3\"}]" },
	{ "copyEnv_same_name_twice_last_wins", "[{\"name\":\"key1\","
	  "\"value\":\"value1b\"},{\"name\":\"key1\",\"value\":\"value1c\"}]",
	  "[{\"name\":\"key1\",\"value\":\"value1c\"},"
	  "{\"name\":\"key2\",\"value\":\"value2a\"},"
	  "{\"name\":\"key3\",\"value\":\"value3\"}]" },
	{ "copyEnv_value_and_valueFrom", "[{\"name\":\"key1\",\"value\":"
	  "\"value1b\"},{\"name\":\"key1\",\"value\":\"value1d\","
	  "\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"status.hostIP\"}}}]",
	  "[{\"name\":\"key1\",\"value\":\"value1d\",\"valueFrom\":"
	  "{\"fieldRef\":{\"fieldPath\":\"status.hostIP\"}}},"
	  "{\"name\":\"key2\",\"value\":\"value2a\"},"
	  "{\"name\":\"key3\",\"value\":\"value3\"}]" },
	/* Quirk 27, kept: a new name given twice is appended twice. */
	{ "copyEnv_new_name_twice_appended_twice", "[{\"name\":\"key4\","
	  "\"value\":\"a\"},{\"name\":\"key4\",\"value\":\"b\"}]",
	  "[{\"name\":\"key1\",\"value\":\"value1d\",\"valueFrom\":"
	  "{\"fieldRef\":{\"fieldPath\":\"status.hostIP\"}}},"
	  "{\"name\":\"key2\",\"value\":\"value2a\"},"
	  "{\"name\":\"key3\",\"value\":\"value3\"},"
	  "{\"name\":\"key4\",\"value\":\"a\"},"
	  "{\"name\":\"key4\",\"value\":\"b\"}]" },
	/* Duplicates in the destination: the last one is replaced. */
	{ "copyEnv_duplicate_destination_last_replaced",
	  "[{\"name\":\"key4\",\"value\":\"c\"}]",
	  "[{\"name\":\"key1\",\"value\":\"value1d\",\"valueFrom\":"
	  "{\"fieldRef\":{\"fieldPath\":\"status.hostIP\"}}},"
	  "{\"name\":\"key2\",\"value\":\"value2a\"},"
	  "{\"name\":\"key3\",\"value\":\"value3\"},"
	  "{\"name\":\"key4\",\"value\":\"a\"},"
	  "{\"name\":\"key4\",\"value\":\"c\"}]" },
};

START_TEST(test_copy_env)
{
	json_t *dest = tu_jtrack(json_array());
	size_t i;

	for (i = 0; i < sizeof(copy_env_rows) / sizeof(copy_env_rows[0]);
	    i++) {
		ck_assert_msg(bpg_crd_copy_env(dest, J(copy_env_rows[i].src))
		    == BPG_OK, "row %s", copy_env_rows[i].name);
		assert_same(dest, J(copy_env_rows[i].want),
		    copy_env_rows[i].name);
	}
	/* The source is copied, not shared. */
	ck_assert_int_eq(bpg_crd_copy_env(dest, NULL), BPG_OK);
	ck_assert_int_eq(bpg_crd_copy_env(NULL, dest), BPG_EINVAL);
}
END_TEST

/* ---- SparkPodNodeAffinityHelperTest ---------------------------------- */

static const struct {
	const char *name;
	const char *conf;
	const char *want;
} zone_rows[] = {
	{ "empty_sparkConf", "{}", "{}" },
	{ "no_sparkConf", NULL, "{}" },
	{ "empty_pickedZones", "{\"bpg.pickedZones\":\"\"}", "{}" },
	{ "one_zone", "{\"bpg.pickedZones\":\"ZoneA\"}",
	  "{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	  "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":"
	  "\"topology.kubernetes.io/zone\",\"operator\":\"In\",\"values\":"
	  "[\"ZoneA\"]}]}]}}" },
	{ "two_zones", "{\"bpg.pickedZones\":\"ZoneA,ZoneB\"}",
	  "{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	  "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":"
	  "\"topology.kubernetes.io/zone\",\"operator\":\"In\",\"values\":"
	  "[\"ZoneA\",\"ZoneB\"]}]}]}}" },
	{ "empty_pieces_skipped", "{\"bpg.pickedZones\":\",ZoneA,,\"}",
	  "{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	  "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":"
	  "\"topology.kubernetes.io/zone\",\"operator\":\"In\",\"values\":"
	  "[\"ZoneA\"]}]}]}}" },
	{ "only_commas", "{\"bpg.pickedZones\":\",,\"}", "{}" },
};

START_TEST(test_zone_affinity)
{
	struct bpg_submit_req req;
	json_t *na;
	int ex;

	memset(&req, 0, sizeof(req));
	req.spark_conf = J(zone_rows[_i].conf);
	for (ex = 0; ex < 2; ex++) {
		ck_assert_int_eq(bpg_crd_node_affinity(NULL, &req, ex != 0,
		    &na), BPG_OK);
		tu_jtrack(na);
		assert_same(na, J(zone_rows[_i].want), zone_rows[_i].name);
	}
}
END_TEST

START_TEST(test_affinity_consistency)
{
	struct bpg_queue q;
	struct bpg_submit_req req;
	json_t *d, *e, *want;

	/* Queue test-queue without node labels, zone ZoneA: the driver and
	 * the executors get exactly the zone expression. */
	queue_defaults(&q, "test-queue");
	memset(&req, 0, sizeof(req));
	req.spark_conf = J("{\"bpg.pickedZones\":\"ZoneA\"}");
	want = J("{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	    "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":"
	    "\"topology.kubernetes.io/zone\",\"operator\":\"In\",\"values\":"
	    "[\"ZoneA\"]}]}]}}");
	ck_assert_int_eq(bpg_crd_node_affinity(&q, &req, false, &d), BPG_OK);
	ck_assert_int_eq(bpg_crd_node_affinity(&q, &req, true, &e), BPG_OK);
	tu_jtrack(d);
	tu_jtrack(e);
	assert_same(d, want, "driver");
	assert_same(e, want, "executor");

	/* Labels come first; a custom key is used. */
	q.driver_node_label_key = S("pool");
	q.driver_node_label_values = L("d1");
	ck_assert_int_eq(bpg_crd_node_affinity(&q, &req, false, &d), BPG_OK);
	tu_jtrack(d);
	assert_same(d, J("{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	    "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"pool\","
	    "\"operator\":\"In\",\"values\":[\"d1\"]},{\"key\":"
	    "\"topology.kubernetes.io/zone\",\"operator\":\"In\",\"values\":"
	    "[\"ZoneA\"]}]}]}}"), "driver with label");
}
END_TEST


static Suite *
crd_suite(void)
{
	Suite *s = suite_create("crd");
	TCase *tc;

	tc = tcase_create("golden");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_test(tc, test_golden_by_hand);
	tcase_add_test(tc, test_golden_through_parsers);
	tcase_add_test(tc, test_golden_yaml_request);
	tcase_add_test(tc, test_variant_no_node_labels);
	tcase_add_test(tc, test_variant_zones);
	tcase_add_test(tc, test_variant_picked_zones_not_injectable);
	tcase_add_test(tc, test_variant_airflow);
	tcase_add_test(tc, test_variant_proxy_user_label);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_loop_test(tc, test_bad_inputs, 0, TU_NROWS(bad_rows));
	tcase_add_test(tc, test_bad_config);
	tcase_add_loop_test(tc, test_values, 0, TU_NROWS(val_rows));
	tcase_add_test(tc, test_pod_defaults_without_specs);
	tcase_add_test(tc, test_full_request);
	tcase_add_test(tc, test_request_affinity_kept);
	tcase_add_test(tc, test_cluster_volumes_and_mounts);
	tcase_add_test(tc, test_other_spec_fields);
	tcase_add_test(tc, test_spot_instances);
	tcase_add_loop_test(tc, test_refused, 0, TU_NROWS(refused_rows));
	tcase_add_loop_test(tc, test_check_rules, 0, TU_NROWS(check_rows));
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_test(tc, test_get_spark_conf_null_default);
	tcase_add_test(tc, test_get_spark_conf_empty_default);
	tcase_add_test(tc, test_get_spark_conf_non_empty_default);
	tcase_add_test(tc, test_get_spark_conf_fixed);
	tcase_add_loop_test(tc, test_ranger_gate, 0, TU_NROWS(ranger_rows));
	tcase_add_test(tc, test_spark_conf_nulls);
	tcase_add_test(tc, test_spark_pod_spec_dns_config);
	tcase_add_test(tc, test_get_volumes);
	tcase_add_test(tc, test_populate_env);
	tcase_add_test(tc, test_copy_env);
	tcase_add_loop_test(tc, test_zone_affinity, 0, TU_NROWS(zone_rows));
	tcase_add_test(tc, test_affinity_consistency);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	int rc;

	/* Before the tests fork: each one inherits it. */
	if ((crd_schema = load_crd_schema()) == NULL)
		return EXIT_FAILURE;
	rc = tu_run(crd_suite());
	schema_free(crd_schema);
	return rc;
}
