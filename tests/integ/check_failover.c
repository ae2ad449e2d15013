/*
 * Failover and the clusters' circuit breakers on the running stack.
 *
 * One cluster's API down: cluster a fails in four ways in turn (429 on
 * creates, connections dropped, 503 on every request, answers slower
 * than the gateway's timeout); each time a burst of concurrent
 * submissions all answer 200 on cluster b, each answered ID has its row
 * and its CR, nothing is created on a, a create a refused leaves a row
 * marked SUBMISSION_FAILED that names the ID that replaced it, and a's
 * breaker opens after clusterFailureThreshold failures: a gets no more
 * creates until the cooldown (the creates it got are bounded by the
 * threshold, the workers and the elapsed time).  Once a is back, a
 * submission after the cooldown reaches it and its breaker is closed.
 * GET /admin/clusters shows each state.
 *
 * Both clusters down: every answer is a 502 (or a 503 with Retry-After
 * once both breakers are open, or a 504 when a create's outcome is
 * unknown), the rows are marked, and no CR is made.
 *
 * The config gets a short clusterCooldownMillis through a reload
 * (SIGHUP) and is put back at the end; the breakers are closed again
 * before (they outlive reloads).  Timings are printed, not asserted.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "integ.h"

#define THRESHOLD 3
#define COOLDOWN_MS 5000
#define BURST 50
#define CAROL "carol:carol-pw"

static const char breaker_yaml[] =
    "\nclusterFailureThreshold: 3\n"
    "clusterCooldownMillis: 5000\n";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* SparkPi named name (and on cluster when not NULL), as JSON text. */
static char *
sparkpi(const char *name, const char *cluster)
{
	char *text = integ_sparkpi(NULL), *out;
	json_t *o = json_loads(text, 0, NULL);

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(json_object_set_new(o, "applicationName",
	    json_string(name)), 0);
	if (cluster != NULL)
		ck_assert_int_eq(json_object_set_new(o, "clusterId",
		    json_string(integ_cluster(cluster))), 0);
	ck_assert_ptr_nonnull(out = json_dumps(o, JSON_COMPACT));
	json_decref(o);
	free(text);
	return out;
}

/* The SparkApplications of cluster as the stand-in holds them (its
 * control API: the cluster's faults do not apply). */
static size_t
crs_on(const char *cluster)
{
	json_t *j = integ_control(cluster, "GET",
	    "/objects/sparkapplications", NULL);
	json_t *items = json_is_array(j) ? j : json_object_get(j, "items");
	size_t n;

	ck_assert_msg(json_is_array(items), "objects of %s", cluster);
	n = json_array_size(items);
	json_decref(j);
	return n;
}

static long
rows(const char *name, const char *and)
{
	char where[512];

	snprintf(where, sizeof(where), "app_name = '%s'%s", name, and);
	return integ_db_count(where);
}

/* Cluster's entry of GET /admin/clusters (json_decref() it). */
static json_t *
health(const char *cluster)
{
	struct integ_http h = integ_api("GET", "/admin/clusters", CAROL,
	    NULL, NULL);
	json_t *l, *c, *out = NULL;
	size_t i;

	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	l = json_object_get(h.json, "clusters");
	ck_assert(json_is_array(l));
	json_array_foreach(l, i, c) {
		if (strcmp(integ_jstr(c, "id"), integ_cluster(cluster)) == 0)
			out = json_incref(c);
	}
	integ_http_free(&h);
	ck_assert_msg(out != NULL, "%s not listed", cluster);
	return out;
}

static char *
state(const char *cluster)
{
	json_t *c = health(cluster);
	char *s = strdup(integ_jstr(c, "state"));

	json_decref(c);
	return s;
}

/* Poll (0.1 s) until cluster's breaker is not open: at most the cooldown
 * and a margin. */
static void
wait_not_open(const char *cluster)
{
	char *s = NULL;
	int i;

	for (i = 0; i < COOLDOWN_MS / 100 + 600; i++) {
		free(s);
		s = state(cluster);
		if (strcmp(s, "open") != 0)
			break;
		usleep(100000);
	}
	ck_assert_msg(strcmp(s, "open") != 0, "%s still open", cluster);
	free(s);
}

/* Faults off, and cluster's breaker closed by a submission forced to it
 * (a trial when half-open). */
static void
heal(const char *cluster)
{
	struct integ_http h;
	char *body = sparkpi("failover-heal", cluster), *s;

	json_decref(integ_control(cluster, "DELETE", "/faults", NULL));
	wait_not_open(cluster);
	s = state(cluster);
	if (strcmp(s, "closed") != 0) {
		h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
		ck_assert_msg(h.status == 200, "heal %s: %ld %s", cluster,
		    h.status, h.body);
		integ_http_free(&h);
		free(s);
		s = state(cluster);
	}
	ck_assert_str_eq(s, "closed");
	free(s);
	free(body);
}

/* text without its top-level breaker keys, in a new string. */
static char *
without_breaker_keys(const char *text)
{
	char *out = strdup(text), *line, *end;

	ck_assert_ptr_nonnull(out);
	for (line = out; *line != '\0'; line = end) {
		end = strchr(line, '\n');
		end = end != NULL ? end + 1 : line + strlen(line);
		if (strncmp(line, "clusterCooldownMillis:", 22) == 0 ||
		    strncmp(line, "clusterFailureThreshold:", 24) == 0) {
			memmove(line, end, strlen(end) + 1);
			end = line;
		}
	}
	return out;
}

/* The stack's config, read before the tests and put back after them even
 * when one fails (unchecked fixtures run in this process). */
static char cfgpath[1024];
static char *orig, *breaker_cfg;

static void
setup(void)
{
	char *cfg, *base;

	snprintf(cfgpath, sizeof(cfgpath), "%s/config.yaml",
	    integ_env("BPG_STACK_DIR"));
	orig = integ_slurp(cfgpath, NULL);
	base = without_breaker_keys(orig);
	ck_assert_int_ne(asprintf(&cfg, "%s%s", base, breaker_yaml), -1);
	integ_reload(cfgpath, cfg);
	breaker_cfg = cfg;
	free(base);
	heal("a");
	heal("b");
}

static void
teardown(void)
{
	heal("a");
	heal("b");
	integ_reload(cfgpath, orig);
	free(orig);
	free(breaker_cfg);
	orig = breaker_cfg = NULL;
}

struct fault {
	const char *name;
	const char *json;
	bool creates_reach;	/* the probe passes, the create is refused */
};

static const struct fault faults[] = {
	{ "throttle", "{\"type\":\"throttle\",\"retryAfter\":1,"
	  "\"method\":\"POST\",\"count\":-1}", true },
	{ "down", "{\"type\":\"down\"}", false },
	{ "error503", "{\"type\":\"error\",\"code\":503,\"count\":-1}", false },
	{ "hang", "{\"type\":\"latency\",\"ms\":7000}", false },
};
#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

START_TEST(test_one_cluster_down)
{
	struct integ_req r = { .method = "POST", .url = "/spark",
		.userpw = INTEG_ALICE, .ctype = INTEG_JSON };
	struct integ_http h[BURST], one;
	pid_t workers[64];
	char name[128], *body, *s, *cols[2];
	json_t *c;
	size_t a0, b0, f, i;
	long posts0, posts, moved, bound, failed_rows;
	double t0, elapsed, wall0, open_ms;
	int nworkers, tries;

	nworkers = integ_workers(integ_supervisor(), workers, 64);
	for (f = 0; f < NFAULTS; f++) {
		snprintf(name, sizeof(name), "failover-%s-%ld", faults[f].name,
		    (long)time(NULL));
		body = sparkpi(name, NULL);
		r.body = body;
		/* a is not open: the burst meets the fault, not the breaker. */
		wait_not_open("a");
		a0 = crs_on("a");
		b0 = crs_on("b");
		posts0 = (long)integ_kube_stat("a", "methods.POST");
		json_decref(integ_control("a", "POST", "/faults",
		    faults[f].json));
		wall0 = wall_ms();
		t0 = now_s();
		integ_parallel(&r, BURST, h);
		elapsed = now_s() - t0;
		for (i = 0; i < BURST; i++) {
			const char *id = integ_jstr(h[i].json, "submissionId");

			ck_assert_msg(h[i].status == 200 && id != NULL,
			    "%s: %ld %s", faults[f].name, h[i].status,
			    h[i].body);
			ck_assert_msg(strncmp(id, "spark-cluster-b-", 16) == 0,
			    "%s: %s", faults[f].name, id);
			/* Its row, not marked failed. */
			ck_assert(integ_db_row(id, "status, error_message",
			    cols, 2));
			ck_assert_msg(cols[0] == NULL ||
			    strcmp(cols[0], "SUBMISSION_FAILED") != 0, "%s: %s",
			    id, cols[1]);
			free(cols[0]);
			free(cols[1]);
			integ_http_free(&h[i]);
		}
		posts = (long)integ_kube_stat("a", "methods.POST") - posts0;
		c = health("a");
		s = strdup(integ_jstr(c, "state"));
		/* Opened in this burst, or (open since an earlier one) its
		 * trial failed in it. */
		open_ms = (double)json_integer_value(json_object_get(c,
		    "openSince")) - wall0;
		if (open_ms < 0)
			open_ms = (double)json_integer_value(json_object_get(c,
			    "lastErrorTime")) - wall0;
		printf("failover %s: %d submissions in %.3f s, all on b; a got "
		    "%ld creates; a's breaker %s, %lld failures, (re)opened "
		    "%.0f ms after the fault\n", faults[f].name, BURST,
		    elapsed, posts, s, (long long)json_integer_value(
		    json_object_get(c, "consecutiveFailures")), open_ms);
		/* Opened during the burst, and says why. */
		ck_assert_msg(strcmp(s, "open") == 0 ||
		    strcmp(s, "half-open") == 0, "%s: a is %s",
		    faults[f].name, s);
		ck_assert_int_ge(json_integer_value(json_object_get(c,
		    "consecutiveFailures")), faults[f].creates_reach ?
		    THRESHOLD : 1);
		ck_assert_ptr_nonnull(integ_jstr(c, "lastError"));
		ck_assert(json_is_integer(json_object_get(c, "lastErrorTime")));
		ck_assert(json_is_integer(json_object_get(c, "openSince")));
		json_decref(c);
		free(s);
		/* Nothing on a; every answer's CR on b. */
		ck_assert_uint_eq(crs_on("a"), a0);
		ck_assert_uint_eq(crs_on("b"), b0 + BURST);
		/*
		 * The breaker stops the creates: per open cycle (one every
		 * cooldown at most) the threshold, and the creates of the
		 * other workers already under way.
		 */
		/*
		 * Each create refused (those a got, and any a transport error
		 * stopped before it was sent) left a row marked failed, naming
		 * the ID on b; no other row.  A failed probe leaves none.
		 */
		failed_rows = rows(name, " AND status = 'SUBMISSION_FAILED' "
		    "AND error_message LIKE '%resubmitted as spark-cluster-b-%'");
		moved = failed_rows;
		ck_assert_int_ge(moved, posts);
		ck_assert_int_eq(rows(name, ""), BURST + moved);
		bound = (THRESHOLD + nworkers) *
		    (1 + (long)(elapsed * 1000 / COOLDOWN_MS));
		ck_assert_msg(moved <= bound, "%s: %ld creates on a, bound %ld",
		    faults[f].name, moved, bound);
		if (faults[f].creates_reach)
			ck_assert_int_ge(posts, 1);
		else
			ck_assert_int_eq(moved, 0);
		json_decref(integ_control("a", "DELETE", "/faults", NULL));
		free(body);
	}

	/* A submission forced to a while it is half-open is the trial: it
	 * fails (no failover), and a is open again, refused at once. */
	wait_not_open("a");
	json_decref(integ_control("a", "POST", "/faults",
	    "{\"type\":\"error\",\"code\":503,\"count\":-1}"));
	body = sparkpi("failover-forced", "a");
	one = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
	ck_assert_msg(one.status == 502, "%ld %s", one.status, one.body);
	integ_http_free(&one);
	s = state("a");
	ck_assert_str_eq(s, "open");
	free(s);
	posts0 = (long)integ_kube_stat("a", "methods.POST");
	one = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
	integ_assert_error(&one, 503, "circuit breaker");
	ck_assert_int_ge(atoi(one.retry_after), 1);
	ck_assert_int_le(atoi(one.retry_after), COOLDOWN_MS / 1000);
	integ_http_free(&one);
	/* Without a create (nor a probe: see the gateway's log). */
	ck_assert_int_eq((long)integ_kube_stat("a", "methods.POST"), posts0);
	free(body);

	/* a is back: after the cooldown a submission reaches it. */
	json_decref(integ_control("a", "DELETE", "/faults", NULL));
	t0 = now_s();
	wait_not_open("a");
	body = sparkpi("failover-back", NULL);
	for (tries = 0; tries < 100; tries++) {
		one = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON,
		    body);
		ck_assert_msg(one.status == 200, "%ld %s", one.status,
		    one.body);
		s = strdup(integ_jstr(one.json, "submissionId"));
		integ_http_free(&one);
		if (strncmp(s, "spark-cluster-a-", 16) == 0) {
			free(s);
			break;
		}
		free(s);
	}
	ck_assert_int_lt(tries, 100);
	printf("failover: a closed again %.3f s after it came back (%d "
	    "submissions on b first)\n", now_s() - t0, tries);
	c = health("a");
	ck_assert_str_eq(integ_jstr(c, "state"), "closed");
	ck_assert_int_eq(integ_jint(c, "consecutiveFailures"), 0);
	ck_assert(json_is_null(json_object_get(c, "openSince")));
	ck_assert_int_ge(integ_jint(c, "submissionsLastMinute"), 1);
	json_decref(c);
	free(body);
}
END_TEST

/*
 * a's API server refuses connections (its masterUrl now names a port
 * bound but not listening) right after a success, so the first creates
 * go out at once: each is refused before it is sent, its row is marked
 * failed naming the ID on b, and the submission is answered from b.
 */
START_TEST(test_refused_connection)
{
	struct integ_req r = { .method = "POST", .url = "/spark",
		.userpw = INTEG_ALICE, .ctype = INTEG_JSON };
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct integ_http h[BURST], one;
	const char *url_a = integ_env("BPG_KUBE_A");
	char name[128], *body, *cfg, *at, url[64];
	size_t b0, i;
	long failed;
	int fd;

	/* A port nobody listens on, held so that nobody can. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%u",
	    (unsigned)ntohs(sa.sin_port));
	ck_assert_ptr_nonnull(at = strstr(breaker_cfg, url_a));
	ck_assert_int_ne(asprintf(&cfg, "%.*s%s%s", (int)(at - breaker_cfg),
	    breaker_cfg, url, at + strlen(url_a)), -1);

	/* a answered just now: the next creates are not probed. */
	heal("a");
	body = sparkpi("failover-refused-fresh", "a");
	one = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
	ck_assert_msg(one.status == 200, "%ld %s", one.status, one.body);
	integ_http_free(&one);
	free(body);
	integ_reload(cfgpath, cfg);

	snprintf(name, sizeof(name), "failover-refused-%ld", (long)time(NULL));
	body = sparkpi(name, NULL);
	r.body = body;
	b0 = crs_on("b");
	integ_parallel(&r, BURST, h);
	for (i = 0; i < BURST; i++) {
		const char *id = integ_jstr(h[i].json, "submissionId");

		ck_assert_msg(h[i].status == 200 && id != NULL, "%ld %s",
		    h[i].status, h[i].body);
		ck_assert_msg(strncmp(id, "spark-cluster-b-", 16) == 0, "%s",
		    id);
		integ_http_free(&h[i]);
	}
	ck_assert_uint_eq(crs_on("b"), b0 + BURST);
	failed = rows(name, " AND status = 'SUBMISSION_FAILED' AND "
	    "error_message LIKE '%resubmitted as spark-cluster-b-%'");
	printf("failover refused: %d submissions, all on b; %ld creates "
	    "refused on a and moved\n", BURST, failed);
	ck_assert_int_ge(failed, 1);
	ck_assert_int_eq(rows(name, ""), BURST + failed);
	ck_assert_int_eq(rows(name, " AND status = 'SUBMISSION_FAILED' AND "
	    "error_message NOT LIKE '%connect%'"), 0);
	free(body);
	integ_reload(cfgpath, breaker_cfg);
	close(fd);
	free(cfg);
}
END_TEST

START_TEST(test_both_clusters_down)
{
	static const char *const kinds[] = {
		"{\"type\":\"throttle\",\"retryAfter\":1,\"method\":\"POST\","
		"\"count\":-1}",
		"{\"type\":\"down\"}",
	};
	struct integ_req r = { .method = "POST", .url = "/spark",
		.userpw = INTEG_ALICE, .ctype = INTEG_JSON };
	struct integ_http h[20];
	char name[128], *body;
	size_t a0, b0, k, i;
	int n502, n503, n504;

	for (k = 0; k < 2; k++) {
		snprintf(name, sizeof(name), "failover-both-%zu-%ld", k,
		    (long)time(NULL));
		body = sparkpi(name, NULL);
		r.body = body;
		wait_not_open("a");
		wait_not_open("b");
		a0 = crs_on("a");
		b0 = crs_on("b");
		json_decref(integ_control("a", "POST", "/faults", kinds[k]));
		json_decref(integ_control("b", "POST", "/faults", kinds[k]));
		integ_parallel(&r, 20, h);
		n502 = n503 = n504 = 0;
		for (i = 0; i < 20; i++) {
			switch (h[i].status) {
			case 502:
				n502++;
				integ_assert_error(&h[i], 502, "");
				break;
			case 503:
				n503++;
				integ_assert_error(&h[i], 503,
				    "circuit breaker");
				ck_assert_int_ge(atoi(h[i].retry_after), 1);
				break;
			case 504:
				/* A create's outcome unknown: never moved. */
				n504++;
				integ_assert_error(&h[i], 504, "not known");
				break;
			default:
				ck_abort_msg("%ld %s", h[i].status, h[i].body);
			}
			integ_http_free(&h[i]);
		}
		printf("failover both down (%s): %d x 502, %d x 503, %d x "
		    "504\n", k == 0 ? "429" : "down", n502, n503, n504);
		ck_assert_int_ge(n502, 1);
		/* Refused creates: no 504. */
		if (k == 0)
			ck_assert_int_eq(n504, 0);
		ck_assert_uint_eq(crs_on("a"), a0);
		ck_assert_uint_eq(crs_on("b"), b0);
		/* Every row is marked, but those of unknown outcome. */
		ck_assert_int_eq(rows(name, " AND status IS NOT NULL AND "
		    "status <> 'SUBMISSION_FAILED'"), 0);
		ck_assert_int_eq(rows(name, " AND status IS NULL"), n504);
		json_decref(integ_control("a", "DELETE", "/faults", NULL));
		json_decref(integ_control("b", "DELETE", "/faults", NULL));
		free(body);
	}
}
END_TEST

START_TEST(test_admin_only)
{
	struct integ_http h = integ_api("GET", "/admin/clusters", INTEG_ALICE,
	    NULL, NULL);

	integ_assert_error(&h, 403, "adminUsers");
	integ_http_free(&h);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("failover");
	TCase *tc = tcase_create("breaker");

	tcase_set_timeout(tc, 600);
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_admin_only);
	tcase_add_test(tc, test_one_cluster_down);
	tcase_add_test(tc, test_refused_connection);
	tcase_add_test(tc, test_both_clusters_down);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return integ_run(suite(), 0);
}
