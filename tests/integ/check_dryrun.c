/*
 * Integration tests: POST /spark?dryRun=true on the real stack.
 *   - A dry run writes nothing: the database rows, the SparkApplications
 *     of both simulated clusters and every request the stand-in counted
 *     are as they were.
 *   - Its CR is the one a real submission of the same request then
 *     creates, apart from the name and the generated ID, and with secrets
 *     masked (env values, a secret-looking sparkConf key) where the real
 *     one holds them.  The dry run shows the CR the gateway sends; the
 *     API server prunes the fields its CRD does not know before storing
 *     it, so the comparison prunes the one shown the same way (the
 *     stand-in's pruning, with the shared CRD), and adds the one default
 *     of the operator's webhook that the gateway leaves to it.
 *   - Its errors are a real submission's; dryRun=maybe is a 400 naming
 *     the parameter and the value, before anything else is looked at.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "integ.h"
#include "schema.h"

#define ENV_SECRET "env-hunter2-value"
#define CONF_KEY "spark.hadoop.fs.s3a.secret.key"
#define CONF_SECRET "conf-hunter2-value"

/* What a dry run must leave as it is. */
struct world {
	long rows;
	size_t crs[2];
	json_int_t requests[2];
};

static const char *const clusters[] = { "a", "b" };

static struct world
world_now(void)
{
	struct world w;
	size_t i;

	w.rows = integ_db_count(NULL);
	/* Counters first: integ_cr_count() is a request too. */
	for (i = 0; i < 2; i++)
		w.requests[i] = integ_kube_stat(clusters[i], "requests");
	for (i = 0; i < 2; i++)
		w.crs[i] = integ_cr_count(clusters[i]);
	return w;
}

static void
world_same(const struct world *before)
{
	size_t i;
	long rows = integ_db_count(NULL);

	ck_assert_msg(rows == before->rows, "rows %ld, were %ld", rows,
	    before->rows);
	for (i = 0; i < 2; i++) {
		json_int_t n = integ_kube_stat(clusters[i], "requests");

		/* Only the list of world_now() (the control API's stats
		 * reads are not counted). */
		ck_assert_msg(n == before->requests[i] + 1,
		    "cluster %s: %lld requests, %lld before", clusters[i],
		    (long long)n, (long long)before->requests[i]);
		ck_assert_uint_eq(integ_cr_count(clusters[i]),
		    before->crs[i]);
	}
}

/* The SparkPi request pinned to cluster a, with a secret in an env value
 * and one in sparkConf. */
static char *
request_body(void)
{
	char *text = integ_sparkpi(NULL), *out;
	json_t *req = json_loads(text, 0, NULL), *driver, *conf, *env;

	ck_assert_ptr_nonnull(req);
	ck_assert_int_eq(json_object_set_new(req, "clusterId",
	    json_string("spark-cluster-a")), 0);
	if ((conf = json_object_get(req, "sparkConf")) == NULL) {
		conf = json_object();
		ck_assert_int_eq(json_object_set_new(req, "sparkConf", conf),
		    0);
	}
	ck_assert_int_eq(json_object_set_new(conf, CONF_KEY,
	    json_string(CONF_SECRET)), 0);
	if ((driver = json_object_get(req, "driver")) == NULL) {
		driver = json_object();
		ck_assert_int_eq(json_object_set_new(req, "driver", driver),
		    0);
	}
	env = json_pack("[{s:s, s:s}]", "name", "DB_PASSWORD", "value",
	    ENV_SECRET);
	ck_assert_int_eq(json_object_set_new(driver, "env", env), 0);
	out = json_dumps(req, JSON_COMPACT);
	ck_assert_ptr_nonnull(out);
	json_decref(req);
	free(text);
	return out;
}

/* text with every id replaced by "<ID>"; new string. */
static char *
replace_id(const char *text, const char *id)
{
	size_t idlen = strlen(id), n = 0;
	const char *p, *q;
	char *out, *o;

	for (p = text; (q = strstr(p, id)) != NULL; p = q + idlen)
		n++;
	out = malloc(strlen(text) + n * 4 + 1);
	ck_assert_ptr_nonnull(out);
	o = out;
	for (p = text; (q = strstr(p, id)) != NULL; p = q + idlen) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, "<ID>", 4);
		o += 4;
	}
	strcpy(o, p);
	return out;
}

/* cr without what the API server adds, as sorted text, the ID replaced. */
static char *
normalized(const json_t *cr, const char *id)
{
	static const char *const server[] = { "uid", "resourceVersion",
		"creationTimestamp", "generation", "managedFields" };
	json_t *c = json_deep_copy(cr), *meta;
	char *text, *out;
	size_t i;

	ck_assert_ptr_nonnull(c);
	json_object_del(c, "status");
	meta = json_object_get(c, "metadata");
	for (i = 0; i < sizeof(server) / sizeof(server[0]); i++)
		json_object_del(meta, server[i]);
	text = json_dumps(c, JSON_SORT_KEYS | JSON_INDENT(1));
	ck_assert_ptr_nonnull(text);
	out = replace_id(text, id);
	free(text);
	json_decref(c);
	return out;
}

/* The CRD of the shared specs, as the stand-in's API server loads it. */
static const struct schema *
crd_schema(void)
{
	static struct schema *sc;
	char path[4096], err[256];

	if (sc == NULL) {
		snprintf(path, sizeof(path),
		    "%s/spec/sparkapplications-crd.yaml",
		    integ_env("BPG_SHARED_DIR"));
		sc = schema_load(path, err, sizeof(err));
		ck_assert_msg(sc != NULL, "%s: %s", path, err);
	}
	return sc;
}

/*
 * What the spark-operator's defaulting webhook adds to a CR of the
 * gateway (the stand-in's operator_defaults(), tests/kubesim/api.c): the
 * gateway sets mode, cores, memory and instances itself, but no
 * restartPolicy.
 */
static void
operator_defaults(json_t *cr)
{
	json_t *spec = json_object_get(cr, "spec");

	if (json_object_get(spec, "restartPolicy") == NULL)
		ck_assert_int_eq(json_object_set_new(spec, "restartPolicy",
		    json_pack("{s:s}", "type", "Never")), 0);
}

/* a and b equal; else the lines around the first difference. */
static void
assert_same_text(const char *a, const char *b)
{
	size_t i, start;

	for (i = 0; a[i] != '\0' && a[i] == b[i]; i++)
		;
	if (a[i] == b[i])
		return;
	for (start = i; start > 0 && i - start < 300; start--)
		;
	ck_abort_msg("differ at %zu:\ndry run: ...%.400s\nreal: ...%.400s",
	    i, a + start, b + start);
}

START_TEST(test_dryrun_creates_nothing_and_shows_the_cr)
{
	char *body = request_body(), *id, *dry_id, *a, *b, path[512];
	struct integ_http h, k, r;
	struct world before;
	json_t *shown, *real, *env, *ent, *pod, *pruned;
	const char *const pods[] = { "driver", "executor" };
	size_t i, j;

	before = world_now();
	h = integ_api("POST", "/spark?dryRun=true", INTEG_ALICE, INTEG_JSON,
	    body);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	world_same(&before);
	ck_assert_str_eq(integ_jstr(h.json, "cluster"), "spark-cluster-a");
	ck_assert_str_eq(integ_jstr(h.json, "queue"), "dev");
	dry_id = strdup(integ_jstr(h.json, "submissionId"));
	ck_assert_ptr_nonnull(dry_id);
	ck_assert(strncmp(dry_id, "spark-cluster-a-", 16) == 0);
	ck_assert(json_is_array(json_object_get(h.json, "warnings")));
	shown = json_object_get(h.json, "sparkApplication");
	ck_assert_str_eq(integ_jstr(shown, "metadata.name"), dry_id);
	/* No secret in the answer; masked where the real CR holds them. */
	ck_assert_msg(strstr(h.body, "hunter2") == NULL, "%s", h.body);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(shown, "spec"), "sparkConf"), CONF_KEY)), "***");

	/* The real submission, and the CR it created. */
	r = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
	ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
	id = strdup(integ_jstr(r.json, "submissionId"));
	ck_assert_ptr_nonnull(id);
	ck_assert(strcmp(id, dry_id) != 0);
	integ_http_free(&r);
	snprintf(path, sizeof(path), INTEG_APPS "/%s", id);
	k = integ_kube(id, "GET", path, NULL);
	ck_assert_msg(k.status == 200, "%ld %s", k.status, k.body);
	real = k.json;
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    json_object_get(real, "spec"), "sparkConf"), CONF_KEY)),
	    CONF_SECRET);
	ck_assert_msg(strstr(k.body, ENV_SECRET) != NULL, "%s", k.body);
	/* Masked as the dry run shows it: every env value, the key. */
	for (j = 0; j < 2; j++) {
		pod = json_object_get(json_object_get(real, "spec"), pods[j]);
		env = json_object_get(pod, "env");
		json_array_foreach(env, i, ent)
			if (json_object_get(ent, "value") != NULL)
				ck_assert_int_eq(json_object_set_new(ent,
				    "value", json_string("***")), 0);
	}
	ck_assert_int_eq(json_object_set_new(json_object_get(
	    json_object_get(real, "spec"), "sparkConf"), CONF_KEY,
	    json_string("***")), 0);
	pruned = json_deep_copy(shown);
	ck_assert_ptr_nonnull(pruned);
	ck_assert_int_eq(schema_prune(crd_schema(), pruned, NULL), BPG_OK);
	operator_defaults(pruned);
	a = normalized(pruned, dry_id);
	json_decref(pruned);
	b = normalized(real, id);
	assert_same_text(a, b);
	free(a);
	free(b);
	integ_http_free(&h);
	integ_http_free(&k);
	free(id);
	free(dry_id);
	free(body);
}
END_TEST

/* A YAML body takes the parameter as a JSON one does. */
START_TEST(test_dryrun_yaml)
{
	const char *yaml =
	    "applicationName: SparkPiYaml\n"
	    "queue: dev\n"
	    "sparkVersion: \"3.5.0\"\n"
	    "mainClass: org.apache.spark.examples.SparkPi\n"
	    "mainApplicationFile: local:///opt/spark/examples/jars/x.jar\n"
	    "driver:\n"
	    "  env:\n"
	    "    - {name: API_TOKEN, value: " ENV_SECRET "}\n";
	struct world before = world_now();
	struct integ_http h;

	h = integ_api("POST", "/spark?dryRun=TRUE", INTEG_ALICE,
	    "application/x-yaml", yaml);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	world_same(&before);
	ck_assert_str_eq(integ_jstr(h.json,
	    "sparkApplication.metadata.labels.queue"), "root.dev");
	ck_assert_msg(strstr(h.body, "hunter2") == NULL, "%s", h.body);
	integ_http_free(&h);
}
END_TEST

/* Errors are the same as a real submission's, and nothing is written. */
START_TEST(test_dryrun_errors)
{
	static const char *const bodies[] = {
		/* no such queue */
		"{\"queue\":\"nosuch\",\"sparkVersion\":\"3.5.0\","
		"\"mainClass\":\"P\",\"mainApplicationFile\":\"s3a://b/x.jar\"}",
		/* an unknown field */
		"{\"nosuch\":1}",
		/* a label Kubernetes refuses */
		"{\"queue\":\"dev\",\"sparkVersion\":\"3.5.0\","
		"\"mainClass\":\"P\",\"mainApplicationFile\":\"s3a://b/x.jar\","
		"\"driver\":{\"labels\":{\"bad key!\":\"v\"}}}",
	};
	struct world before;
	struct integ_http d, r;
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		before = world_now();
		d = integ_api("POST", "/spark?dryRun=true", INTEG_ALICE,
		    INTEG_JSON, bodies[i]);
		world_same(&before);
		r = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON,
		    bodies[i]);
		ck_assert_msg(d.status >= 400 && d.status < 500, "%zu: %ld %s",
		    i, d.status, d.body);
		ck_assert_msg(d.status == r.status && strcmp(d.body, r.body) ==
		    0, "%zu: dry run %ld %s, real %ld %s", i, d.status, d.body,
		    r.status, r.body);
		integ_http_free(&d);
		integ_http_free(&r);
	}
}
END_TEST

/* dryRun=maybe and friends: a 400 naming the problem, nothing written,
 * even with a body that would be refused for another reason. */
START_TEST(test_dryrun_bad_param)
{
	static const struct {
		const char *query;
		const char *text;
	} rows[] = {
		{ "dryRun=maybe", "Invalid value for query parameter dryRun: "
		  "\"maybe\" (expected true or false)" },
		{ "dryRun=", "dryRun: \"\"" },
		{ "dryRun=yes", "dryRun: \"yes\"" },
		{ "dryRun=%74rue", "dryRun: \"%74rue\"" },
		{ "dryRun=true&dryRun=false", "dryRun: given more than once" },
	};
	char *body = integ_sparkpi(NULL), path[256];
	struct world before;
	struct integ_http h;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(path, sizeof(path), "/spark?%s", rows[i].query);
		before = world_now();
		h = integ_api("POST", path, INTEG_ALICE, INTEG_JSON, body);
		integ_assert_error(&h, 400, rows[i].text);
		world_same(&before);
		integ_http_free(&h);
		h = integ_api("POST", path, INTEG_ALICE, INTEG_JSON, "{\"x\"");
		integ_assert_error(&h, 400, rows[i].text);
		integ_http_free(&h);
	}
	free(body);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("dryrun");
	TCase *tc = tcase_create("dryrun");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_dryrun_creates_nothing_and_shows_the_cr);
	tcase_add_test(tc, test_dryrun_yaml);
	tcase_add_test(tc, test_dryrun_errors);
	tcase_add_test(tc, test_dryrun_bad_param);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(suite(), 0);
}
