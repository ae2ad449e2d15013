/*
 * Integration tests of notifications by webhook on the running stack: a
 * submission's `notify` names an HTTPS receiver (build/webhook, started
 * here with the stack's certificate; the stack's config allows host
 * localhost, private addresses and the stack's CA), the stand-in drives
 * the application to RUNNING then COMPLETED, and the monitor (started
 * here, logs in $BPG_STACK_DIR/notify-<test>-<n>.log) posts an event for
 * each change.  The receiver checks each event's HMAC with the secret of
 * the stack's config, records it, and is told to answer 500, hang or drop.
 * Every wait is bounded; no timing is asserted.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <mysql.h>

#include "integ.h"

#define SECRET "notify-test-secret-0123456789" /* tests/stack-config */

static const char *
build_dir(void)
{
	const char *b = getenv("BUILD");

	return b != NULL && b[0] != '\0' ? b : "build";
}

/* ---- processes: the receiver and monitors ----------------------------- */

static pid_t hook_pid;
static unsigned hook_port;

static pid_t
spawn(const char *log, const char *const argv[])
{
	pid_t pid;
	int fd;

	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", log, strerror(errno));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fd, 2);
		dup2(fd, 1);
		/* execv() takes char *const[]; it changes nothing. */
		execv(argv[0], (char *const *)(uintptr_t)argv);
		_exit(127);
	}
	close(fd);
	return pid;
}

static void
reap(pid_t *pid)
{
	int status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	waitpid(*pid, &status, 0);
	*pid = 0;
}

static void
hook_start(void)
{
	const char *dir = integ_env("BPG_STACK_DIR");
	char bin[512], cert[512], key[512], sec[512], ports[512], log[512];
	long long until = integ_now_ms() + 20000;
	char *text = NULL;
	json_t *j;

	snprintf(bin, sizeof(bin), "%s/webhook", build_dir());
	snprintf(cert, sizeof(cert), "%s/pki/server.pem", dir);
	snprintf(key, sizeof(key), "%s/pki/server.key", dir);
	snprintf(sec, sizeof(sec), "%s/notify-secret", dir);
	snprintf(ports, sizeof(ports), "%s/webhook.ports", dir);
	snprintf(log, sizeof(log), "%s/webhook.log", dir);
	integ_spit(sec, SECRET "\n");
	unlink(ports);
	{
		const char *const argv[] = { bin, "--cert", cert, "--key", key,
			"--secret-file", sec, "--ports-file", ports, NULL };

		hook_pid = spawn(log, argv);
	}
	while (access(ports, R_OK) != 0 && integ_now_ms() < until)
		integ_sleep_ms(50);
	text = integ_slurp(ports, NULL);
	j = json_loads(text, 0, NULL);
	ck_assert_msg(j != NULL, "webhook ports: %s", text);
	hook_port = (unsigned)integ_jint(j, "port");
	json_decref(j);
	free(text);
}

/* A request to the receiver's control paths; the answer's JSON. */
static json_t *
hook(const char *method, const char *path, const char *body)
{
	char url[256];
	struct integ_req r = { 0 };
	struct integ_http h;
	json_t *out;

	snprintf(url, sizeof(url), "https://localhost:%u%s", hook_port, path);
	r.method = method;
	r.url = url;
	r.body = body;
	r.ctype = body != NULL ? INTEG_JSON : NULL;
	r.http11 = true;
	r.timeout = 15;
	h = integ_request(&r);
	ck_assert_msg(h.status == 200, "webhook %s: %ld %s", path, h.status,
	    h.body);
	out = json_incref(h.json);
	integ_http_free(&h);
	return out;
}

static void
hook_mode(const char *mode)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"mode\":\"%s\"}", mode);
	json_decref(hook("POST", "/_control/mode", body));
}

/* ---- what the receiver got ---------------------------------------------- */

/* The receiver's records of id's events (a new array). */
static json_t *
got(const char *id)
{
	json_t *all = hook("GET", "/_control/deliveries", NULL), *out, *d, *b;
	size_t i;

	out = json_array();
	json_array_foreach(all, i, d) {
		b = json_loads(integ_jstr(d, "body"), 0, NULL);
		if (b != NULL && integ_jstr(b, "submissionId") != NULL &&
		    strcmp(integ_jstr(b, "submissionId"), id) == 0) {
			json_object_set(d, "event", b);
			json_array_append(out, d);
		}
		json_decref(b);
	}
	json_decref(all);
	return out;
}

/* Records of id whose answer was a 204 (delivered), in order. */
static json_t *
delivered(const char *id)
{
	json_t *all = got(id), *out = json_array(), *d;
	size_t i;

	json_array_foreach(all, i, d)
		if (json_integer_value(json_object_get(d, "answer")) == 204)
			json_array_append(out, d);
	json_decref(all);
	return out;
}

/* Wait until id has n delivered events; they are returned. */
static json_t *
wait_delivered(const char *id, size_t n, int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;
	json_t *d = NULL;

	do {
		json_decref(d);
		d = delivered(id);
		if (json_array_size(d) >= n)
			return d;
		integ_sleep_ms(200);
	} while (integ_now_ms() < until);
	ck_abort_msg("%s: %zu of %zu events delivered after %d s", id,
	    json_array_size(d), n, seconds);
	return NULL;
}

/* Whether the first request for id is still hanging open. */
static bool
first_open(const char *id)
{
	json_t *ds = got(id);
	bool open;

	open = json_is_true(json_object_get(json_array_get(ds, 0), "open"));
	json_decref(ds);
	return open;
}

/* Wait until the receiver has seen at least n requests for id. */
static void
wait_requests(const char *id, size_t n, int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;
	json_t *d;
	size_t have;

	do {
		d = got(id);
		have = json_array_size(d);
		json_decref(d);
		if (have >= n)
			return;
		integ_sleep_ms(100);
	} while (integ_now_ms() < until);
	ck_abort_msg("%s: %zu of %zu requests after %d s", id, have, n,
	    seconds);
}

/* id's status when its row is finished (a new string), else NULL. */
static char *
finished_status(const char *id)
{
	char sql[1024], *out = NULL;
	MYSQL *my = integ_db_open();
	MYSQL_RES *res;
	MYSQL_ROW row;

	snprintf(sql, sizeof(sql), "SELECT status FROM "
	    "bpg.application_submission WHERE submission_id = '%s' AND "
	    "finished_time IS NOT NULL", id);
	if (mysql_query(my, sql) != 0 ||
	    (res = mysql_store_result(my)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(my));
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL)
		out = strdup(row[0]);
	mysql_free_result(res);
	mysql_close(my);
	return out;
}

/* Wait until id's row is finished with status want (the monitor wrote it). */
static void
wait_finished(const char *id, const char *want, int seconds)
{
	long long until = integ_now_ms() + seconds * 1000LL;
	char *s = NULL;

	do {
		free(s);
		s = finished_status(id);
		if (s != NULL && strcmp(s, want) == 0) {
			free(s);
			return;
		}
		integ_sleep_ms(100);
	} while (integ_now_ms() < until);
	ck_abort_msg("%s: row %s, not finished %s after %d s", id,
	    s ? s : "(unfinished)", want, seconds);
}

/* SparkPi with notify: the receiver for RUNNING and COMPLETED. */
static char *
submit(void)
{
	char url[128];

	snprintf(url, sizeof(url), "https://localhost:%u/hook/a", hook_port);
	return integ_submit(INTEG_ALICE, "notify", json_pack("{s:s, s:[s, s]}",
	    "url", url, "on", "RUNNING", "COMPLETED"));
}

/*
 * ds holds one event for RUNNING and one for COMPLETED (in either order:
 * retries may swap them), each signed, with its stable ID, posted to path.
 */
static void
check_events(json_t *ds, const char *id, const char *path)
{
	const char *want[] = { "RUNNING", "COMPLETED" };
	char eid[512];
	json_t *d, *by[2] = { NULL, NULL };
	size_t i, k;

	ck_assert_uint_eq(json_array_size(ds), 2);
	json_array_foreach(ds, i, d)
		for (k = 0; k < 2; k++)
			if (strcmp(integ_jstr(d, "event.state"), want[k]) == 0) {
				ck_assert_ptr_null(by[k]);
				by[k] = d;
			}
	for (k = 0; k < 2; k++) {
		d = by[k];
		ck_assert_msg(d != NULL, "no %s event", want[k]);
		ck_assert(json_is_true(json_object_get(d, "signatureOk")));
		snprintf(eid, sizeof(eid), "%s.%s.0", id, want[k]);
		ck_assert_str_eq(integ_jstr(d, "eventId"), eid);
		ck_assert_str_eq(integ_jstr(d, "event.eventId"), eid);
		ck_assert_str_eq(integ_jstr(d, "event.user"), "alice");
		ck_assert_str_eq(integ_jstr(d, "path"), path);
	}
	/* The operator's states in between (SUCCEEDING) have no event but
	 * are the previous state all the same. */
	ck_assert_str_eq(integ_jstr(by[1], "event.previousState"),
	    "SUCCEEDING");
}

static void
setup(void)
{
	static const char *const cl[] = { "a", "b" };
	size_t i;

	/* The stand-in as a test before may have left it: apps complete. */
	for (i = 0; i < 2; i++) {
		json_decref(integ_control(cl[i], "DELETE", "/faults", NULL));
		json_decref(integ_control(cl[i], "POST", "/operator",
		    "{\"frozen\":false,\"outcome\":\"COMPLETED\"}"));
	}
	hook_start();
}

static void
teardown(void)
{
	integ_mon_stop_all();
	reap(&hook_pid);
}

/* ---- tests -------------------------------------------------------------- */

/*
 * One event per change of state, each signed, each delivered once; the
 * attempts are listed by GET /spark/{id}/notifications for the owner.
 */
/*
 * Monitor m leads: a test that submits after this sees every state of
 * its submission (a monitor started while an earlier test's killed one
 * still holds the lease waits for it to run out first).
 */
static void
lead(int m)
{
	ck_assert_msg(integ_mon_wait(m, "leader: holding", 60),
	    "monitor %d does not lead: %s", m, integ_mon_log(m));
	/* And watches both clusters: an app that ends before its cluster's
	 * first list is seen ended, its earlier states not at all. */
	ck_assert_msg(integ_mon_wait(m, "spark-cluster-a/" INTEG_NS
	    ": listed", 120) && integ_mon_wait(m, "spark-cluster-b/"
	    INTEG_NS ": listed", 120), "monitor %d lists no cluster: %s", m,
	    integ_mon_log(m));
}

/* The monitor's own metrics (-m) listen on the stack's base port + 23. */
static void
monitor_metrics_addr(char *buf, size_t len)
{
	snprintf(buf, len, "127.0.0.1:%d",
	    atoi(integ_env("BPG_HTTPS_PORT")) + 23);
}

/* The value of the sample line that starts with name in the monitor's
 * /metrics; -1 if there is none. */
static double
monitor_sample(const char *addr, const char *name)
{
	char url[128];
	struct integ_req r = { .method = "GET", .url = url };
	struct integ_http h;
	const char *p;
	double v = -1;

	snprintf(url, sizeof(url), "http://%s/metrics", addr);
	h = integ_request(&r);
	ck_assert_msg(h.status == 200, "GET %s: %ld", url, h.status);
	for (p = h.body; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, name, strlen(name)) == 0 &&
		    p[strlen(name)] == ' ') {
			v = strtod(p + strlen(name) + 1, NULL);
			break;
		}
	}
	integ_http_free(&h);
	return v;
}

START_TEST(test_delivered_once)
{
	struct integ_http h;
	json_t *ds, *l;
	char path[512], addr[64], *id;

	monitor_metrics_addr(addr, sizeof(addr));
	lead(integ_mon_start("once", "-m", addr, (char *)NULL));
	id = submit();
	wait_finished(id, "COMPLETED", 120);
	ds = wait_delivered(id, 2, 60);
	json_decref(ds);
	/* Nothing more comes: a resync replays no change. */
	integ_sleep_ms(1500);
	ds = got(id);
	check_events(ds, id, "/hook/a");
	json_decref(ds);
	snprintf(path, sizeof(path), "/spark/%s/notifications", id);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	l = json_object_get(h.json, "notifications");
	ck_assert_uint_eq(json_array_size(l), 2);
	ck_assert_str_eq(integ_jstr(json_array_get(l, 0), "state"), "sent");
	l = json_object_get(h.json, "deliveries");
	ck_assert_uint_eq(json_array_size(l), 2);
	ck_assert_int_eq(integ_jint(json_array_get(l, 0), "statusCode"), 204);
	ck_assert_ptr_nonnull(integ_jstr(json_array_get(l, 0), "time"));
	integ_http_free(&h);
	/* The monitor counted both deliveries. */
	ck_assert_msg(monitor_sample(addr, "bpg_monitor_notifications_total"
	    "{outcome=\"sent\"}") >= 2, "bpg_monitor_notifications_total "
	    "does not count the deliveries");
	/* Another user reads nothing. */
	h = integ_api("GET", path, "bob:bob-pw", NULL, NULL);
	ck_assert_int_eq(h.status, 404);
	integ_http_free(&h);
	free(id);
}
END_TEST

/*
 * The receiver answers 500, then drops the connection: the event stays
 * pending and is retried with the same event ID until it is delivered.
 */
/*
 * A schedule's request with notify: POST /schedules checks its URL as
 * POST /spark would (a host not allowed is a 400 naming notify.url), and
 * the submission the monitor makes from it tells the receiver of its
 * state changes like any other.
 */
START_TEST(test_schedule_notified)
{
	struct integ_http h;
	json_t *req, *body, *subs, *ds;
	char url[128], path[256], *text, *sid, *id = NULL;
	long long until;

	snprintf(url, sizeof(url), "https://localhost:%u/hook/s", hook_port);
	ck_assert_ptr_nonnull(text = integ_sparkpi(NULL));
	ck_assert_ptr_nonnull(req = json_loads(text, 0, NULL));
	free(text);
	json_object_set_new(req, "notify", json_pack("{s:s, s:[s, s]}",
	    "url", "https://elsewhere.example.com/hook", "on", "RUNNING",
	    "COMPLETED"));
	body = json_pack("{s:s, s:s, s:O}", "name", "notified", "cron",
	    "0 0 1 1 *", "request", req);
	text = json_dumps(body, JSON_COMPACT);
	h = integ_api("POST", "/schedules", INTEG_ALICE, INTEG_JSON, text);
	integ_assert_error(&h, 400, "notify.url");
	integ_http_free(&h);
	free(text);
	json_object_set_new(req, "notify", json_pack("{s:s, s:[s, s]}",
	    "url", url, "on", "RUNNING", "COMPLETED"));
	json_object_set(body, "request", req);
	text = json_dumps(body, JSON_COMPACT);
	h = integ_api("POST", "/schedules", INTEG_ALICE, INTEG_JSON, text);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_ptr_nonnull(sid = strdup(integ_jstr(h.json, "scheduleId")));
	integ_http_free(&h);
	free(text);
	json_decref(body);
	json_decref(req);
	lead(integ_mon_start("schedule", (char *)NULL));
	snprintf(path, sizeof(path), "/schedules/%s/trigger", sid);
	h = integ_api("POST", path, INTEG_ALICE, INTEG_JSON, "{}");
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	snprintf(path, sizeof(path), "/schedules/%s", sid);
	until = integ_now_ms() + 120000;
	while (id == NULL && integ_now_ms() < until) {
		h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
		subs = json_object_get(h.json, "submissions");
		if (json_array_size(subs) > 0 && integ_jstr(json_array_get(subs,
		    0), "submissionId") != NULL)
			id = strdup(integ_jstr(json_array_get(subs, 0),
			    "submissionId"));
		integ_http_free(&h);
		if (id == NULL)
			integ_sleep_ms(200);
	}
	ck_assert_msg(id != NULL, "the schedule made no submission");
	wait_finished(id, "COMPLETED", 120);
	ds = wait_delivered(id, 2, 120);
	json_decref(ds);
	ds = got(id);
	check_events(ds, id, "/hook/s");
	json_decref(ds);
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	free(id);
	free(sid);
}
END_TEST

START_TEST(test_outage)
{
	struct integ_http h;
	json_t *ds, *d;
	char path[512], *id;
	const char *eid = NULL, *body = NULL;
	size_t i, n500 = 0, ndrop = 0, nfailed = 0;

	hook_mode("500");
	lead(integ_mon_start("outage", (char *)NULL));
	id = submit();
	wait_requests(id, 2, 60);
	hook_mode("drop");
	wait_requests(id, 3, 60);
	hook_mode("ok");
	wait_finished(id, "COMPLETED", 120);
	ds = wait_delivered(id, 2, 120);
	json_decref(ds);
	ds = got(id);
	json_array_foreach(ds, i, d) {
		/* Every failed try of either event, as the receiver saw it. */
		if (json_integer_value(json_object_get(d, "answer")) == 500)
			nfailed++;
		if (json_is_string(json_object_get(d, "answer")))
			nfailed++;
		if (strcmp(integ_jstr(d, "event.state"), "RUNNING") != 0)
			continue;
		if (eid == NULL) {
			eid = integ_jstr(d, "eventId");
			body = integ_jstr(d, "body");
		}
		/* The same event, byte for byte, on every attempt (the
		 * COMPLETED event's may come in between). */
		ck_assert_str_eq(integ_jstr(d, "eventId"), eid);
		ck_assert_str_eq(integ_jstr(d, "body"), body);
		if (json_integer_value(json_object_get(d, "answer")) == 500)
			n500++;
		if (json_is_string(json_object_get(d, "answer")))
			ndrop++;
	}
	ck_assert_uint_ge(n500, 1);
	json_decref(ds);
	ds = delivered(id);
	check_events(ds, id, "/hook/a");
	json_decref(ds);
	snprintf(path, sizeof(path), "/spark/%s/notifications", id);
	h = integ_api("GET", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	/* Every try is counted: each failed one the receiver saw (at least
	 * the two it answered 500, and the dropped one unless both events'
	 * tries came before the drop began) and the two deliveries. */
	ck_assert_uint_ge(nfailed, 2);
	{
		json_t *l = json_object_get(h.json, "notifications"), *n;
		json_int_t tries = 0;

		json_array_foreach(l, i, n)
			tries += integ_jint(n, "attempts");
		ck_assert_int_ge(tries, (json_int_t)nfailed + 2);
	}
	ck_assert_int_eq(integ_jint(json_array_get(json_object_get(h.json,
	    "deliveries"), 0), "statusCode"), 500);
	integ_http_free(&h);
	(void)ndrop;
	free(id);
}
END_TEST

/*
 * A receiver that hangs delays no state: another submission's finish is
 * recorded meanwhile.  Then the monitor is SIGKILLed mid-send; a new one
 * resumes from the outbox and delivers, with the same event IDs.
 */
START_TEST(test_hang_and_kill)
{
	char *id, *other;
	json_t *ds;
	int m;

	hook_mode("hang");
	m = integ_mon_start("hang", (char *)NULL);
	lead(m);
	id = submit();
	/* RUNNING's event is in flight, unanswered. */
	wait_requests(id, 1, 60);
	other = integ_submit(INTEG_ALICE, NULL, NULL);
	wait_finished(other, "COMPLETED", 120);
	/*
	 * Recorded while the first request is still open: the monitor did
	 * not wait for it (a sender that waited would record nothing until
	 * its 10 s timeout closed it; the stand-in finishes an app in a few
	 * of its 0.4 s operator steps).
	 */
	ck_assert_msg(first_open(id), "%s: the first request was closed "
	    "before another submission's finish was recorded", id);
	wait_finished(id, "COMPLETED", 120);
	/* The monitor dies mid-send: nothing was recorded as sent. */
	integ_mon_stop(m, SIGKILL);
	hook_mode("ok");
	ds = delivered(id);
	ck_assert_uint_eq(json_array_size(ds), 0);
	json_decref(ds);
	integ_mon_start("resumed", (char *)NULL);
	ds = wait_delivered(id, 2, 120);
	json_decref(ds);
	ds = delivered(id);
	check_events(ds, id, "/hook/a");
	json_decref(ds);
	free(other);
	free(id);
}
END_TEST

/* Receivers refused at submission: 400 naming the field, nothing made. */
START_TEST(test_refused)
{
	static const struct {
		const char *name, *notify, *msg;
	} rows[] = {
		{ "host", "{\"url\":\"https://hooks.example.net/x\"}",
		  "notify.url: host hooks.example.net is not in "
		  "notificationAllowedHosts" },
		{ "http", "{\"url\":\"http://localhost/x\"}",
		  "notify.url: must be https://" },
		{ "private literal", "{\"url\":\"https://127.0.0.1/x\"}",
		  "notify.url: host 127.0.0.1 is not in" },
		{ "list", "[{\"url\":\"https://localhost/x\"},"
		  "{\"url\":\"https://example.org/\"}]",
		  "notify[1].url: host example.org is not in" },
		{ "state", "{\"url\":\"https://localhost/x\",\"on\":[\"DONE\"]}",
		  "notify.on[0]: must be one of" },
		{ "field", "{\"url\":\"https://localhost/x\",\"token\":\"t\"}",
		  "notify: unknown field" },
	};
	char *sparkpi = integ_sparkpi(NULL), *body;
	struct integ_http h;
	json_t *req;
	long before = integ_db_count(NULL);
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		req = json_loads(sparkpi, 0, NULL);
		json_object_set_new(req, "notify", json_loads(rows[i].notify,
		    JSON_DECODE_ANY, NULL));
		body = json_dumps(req, JSON_COMPACT);
		h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
		ck_assert_msg(h.status == 400, "row %s: %ld %s", rows[i].name,
		    h.status, h.body);
		ck_assert_msg(strstr(h.body, rows[i].msg) != NULL,
		    "row %s: %s", rows[i].name, h.body);
		integ_http_free(&h);
		free(body);
		json_decref(req);
	}
	ck_assert_int_eq(integ_db_count(NULL), before);
	free(sparkpi);
}
END_TEST

/* POST /spark of SparkPi depending on dep, told of at path; its ID. */
static char *
submit_dependent(const char *dep, const char *path)
{
	struct integ_http h;
	char url[128], *text, *body, *id;
	json_t *req;

	snprintf(url, sizeof(url), "https://localhost:%u%s", hook_port, path);
	ck_assert_ptr_nonnull(text = integ_sparkpi(NULL));
	ck_assert_ptr_nonnull(req = json_loads(text, 0, NULL));
	free(text);
	ck_assert_int_eq(json_object_set_new(req, "dependsOn",
	    json_pack("[s]", dep)), 0);
	ck_assert_int_eq(json_object_set_new(req, "notify", json_pack(
	    "{s:s, s:[s, s]}", "url", url, "on", "DEPENDENCY_FAILED",
	    "CANCELLED")), 0);
	ck_assert_ptr_nonnull(body = json_dumps(req, JSON_COMPACT));
	json_decref(req);
	h = integ_api("POST", "/spark", INTEG_ALICE, INTEG_JSON, body);
	free(body);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	ck_assert_ptr_nonnull(id = strdup(integ_jstr(h.json,
	    "submissionId")));
	integ_http_free(&h);
	return id;
}

/*
 * A submission that never runs is told of all the same: one waiting on
 * a job that fails ends DEPENDENCY_FAILED, one deleted while waiting
 * CANCELLED, each event once, with the reason.
 */
START_TEST(test_dependency_notified)
{
	struct integ_http h;
	char ops[256], path[512], *dep, *failed, *cancelled;
	json_t *ds, *d;

	lead(integ_mon_start("deps", (char *)NULL));
	integ_control_both("POST", "/operator", "{\"frozen\":true}");
	dep = integ_submit(INTEG_ALICE, NULL, NULL);
	failed = submit_dependent(dep, "/hook/f");
	cancelled = submit_dependent(dep, "/hook/c");
	snprintf(path, sizeof(path), "/spark/%s", cancelled);
	h = integ_api("DELETE", path, INTEG_ALICE, NULL, NULL);
	ck_assert_msg(h.status == 200, "%ld %s", h.status, h.body);
	integ_http_free(&h);
	snprintf(ops, sizeof(ops), "{\"apps\":{\"%s\":\"FAILED\"}}", dep);
	json_decref(integ_control(dep, "POST", "/operator", ops));
	integ_control_both("POST", "/operator", "{\"frozen\":false}");

	ds = wait_delivered(cancelled, 1, 60);
	d = json_array_get(ds, 0);
	ck_assert_str_eq(integ_jstr(d, "event.state"), "CANCELLED");
	ck_assert_str_eq(integ_jstr(d, "event.previousState"), "WAITING");
	ck_assert_str_eq(integ_jstr(d, "path"), "/hook/c");
	ck_assert(json_is_true(json_object_get(d, "signatureOk")));
	json_decref(ds);
	ds = wait_delivered(failed, 1, 120);
	d = json_array_get(ds, 0);
	ck_assert_str_eq(integ_jstr(d, "event.state"), "DEPENDENCY_FAILED");
	ck_assert_str_eq(integ_jstr(d, "event.previousState"), "WAITING");
	ck_assert_str_eq(integ_jstr(d, "path"), "/hook/f");
	ck_assert_msg(strstr(integ_jstr(d, "event.errorMessage"), dep) !=
	    NULL, "%s", integ_jstr(d, "event.errorMessage"));
	json_decref(ds);
	/* Once each: the monitor's later turns add nothing. */
	integ_sleep_ms(1500);
	ds = got(failed);
	ck_assert_uint_eq(json_array_size(ds), 1);
	json_decref(ds);
	ds = got(cancelled);
	ck_assert_uint_eq(json_array_size(ds), 1);
	json_decref(ds);
	free(dep);
	free(failed);
	free(cancelled);
}
END_TEST

/*
 * The leading monitor deletes notifications finished more than
 * notificationRetentionDays (the stack's 30) ago, with their attempts;
 * a pending one, however old, and a recent one stay.
 */
START_TEST(test_purged)
{
	long long old = (long long)time(NULL) * 1000 - 31LL * 86400000;
	long long until;
	long left = -1;

	integ_db_exec("DELETE FROM bpg.bpg_notify_outbox WHERE submission_id "
	    "LIKE 'purge-%%'");
	integ_db_exec("INSERT INTO bpg.bpg_notify_outbox (event_id, "
	    "submission_id, url, body, attempts, first_ms, next_ms, state) "
	    "VALUES ('purge-old.COMPLETED.0', 'purge-old', 'https://h/', '{}', "
	    "1, %lld, %lld, 'sent'), ('purge-pending.RUNNING.0', "
	    "'purge-pending', 'https://h/', '{}', 2, %lld, %lld, 'pending'), "
	    "('purge-new.COMPLETED.0', 'purge-new', 'https://h/', '{}', 1, "
	    "%lld, %lld, 'sent')", old, old, old, old + 86400000LL * 365,
	    old + 86400000LL * 30, old + 86400000LL * 30);
	integ_db_exec("INSERT INTO bpg.bpg_notify_delivery (event_id, "
	    "submission_id, attempt, status_code, time_ms) VALUES "
	    "('purge-old.COMPLETED.0', 'purge-old', 1, 204, %lld)", old);
	lead(integ_mon_start("purge", (char *)NULL));
	until = integ_now_ms() + 60000;
	while (integ_now_ms() < until && (left = integ_db_long("SELECT "
	    "COUNT(*) FROM bpg.bpg_notify_outbox WHERE submission_id = "
	    "'purge-old'")) != 0)
		integ_sleep_ms(200);
	ck_assert_int_eq(left, 0);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM "
	    "bpg.bpg_notify_delivery WHERE submission_id = 'purge-old'"), 0);
	ck_assert_int_eq(integ_db_long("SELECT COUNT(*) FROM "
	    "bpg.bpg_notify_outbox WHERE submission_id IN ('purge-pending', "
	    "'purge-new')"), 2);
	integ_db_exec("DELETE FROM bpg.bpg_notify_outbox WHERE submission_id "
	    "LIKE 'purge-%%'");
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("webhook");

	tcase_set_timeout(tc, 600);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_delivered_once);
	tcase_add_test(tc, test_schedule_notified);
	tcase_add_test(tc, test_outage);
	tcase_add_test(tc, test_hang_and_kill);
	tcase_add_test(tc, test_dependency_notified);
	tcase_add_test(tc, test_purged);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return integ_run(notify_suite(), 0);
}
