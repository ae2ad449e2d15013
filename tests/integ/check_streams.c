/*
 * Long requests through the running stack: followed logs of a quiet
 * running driver and uploads whose client stalls after a few bytes.
 * More of them than there are workers must not stop the gateway: past
 * streamWorkerShare of the workers they get a 429, while health checks
 * and submissions still answer and the admitted streams stay open.  A
 * client that goes away frees its stream; a reload ends the streams of
 * the workers it replaces (within a second or two, not hours);
 * logFollowMaxSeconds ends a follow and the low-speed limit a stalled
 * upload; streamsPerUser refuses a user's extra follow, not another's;
 * the slot of a worker killed mid-stream is freed by the supervisor.
 *
 * What the gateway did is read from its log; what the client sees of an
 * upload the gateway answered early depends on the web server: lighttpd
 * passes the answer on at once, Apache's mod_proxy_fcgi only once it has
 * read the rest of the body, which a stalled client never sends (its
 * Timeout ends that).  So a stalled upload's answer is checked behind
 * lighttpd only; the gateway's worker is free either way.
 *
 * Every wait here is bounded by a generous deadline and ends as soon as
 * what it waits for happens: no timing is asserted beyond "before the
 * deadline", and the deadlines are far below what the old behaviour
 * (streams open for hours) would take.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <curl/curl.h>

#include "bpg_limits.h"
#include "bpg_streams.h"
#include "integ.h"

/* Bounds on waits, far above what any of them needs. */
#define DEADLINE_S 60
#define MAX_STREAMS 64

/* Who may follow alice's log: she, victor (a viewer), carol (an admin). */
static const char *const users[] = { "alice:alice-pw", "victor:victor-pw",
	"carol:carol-pw" };

struct stream {
	CURL *c;
	bool upload;
	bool done;		/* the transfer ended */
	bool sent;		/* the upload's few bytes went */
	long status;		/* when done, or once the head came */
	size_t got;		/* body bytes received */
	char last;		/* the last of them */
	char body[512];		/* the start of the body */
	char retry_after[32];
};

struct streams {
	CURLM *multi;
	struct stream s[MAX_STREAMS];
	int n;
};

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct stream *s = arg;
	size_t len = sz * n, room = sizeof(s->body) - 1 - s->got;

	if (s->got < sizeof(s->body) - 1)
		memcpy(s->body + s->got, p, len < room ? len : room);
	s->got += len;
	if (len > 0)
		s->last = p[len - 1];
	return len;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct stream *s = arg;
	size_t len = sz * n;

	if (len > 13 && strncasecmp(p, "Retry-After: ", 13) == 0)
		snprintf(s->retry_after, sizeof(s->retry_after), "%.*s",
		    (int)(len - 13 > 20 ? 20 : len - 13), p + 13);
	return len;
}

/*
 * Ten bytes, then nothing: the client stalls for good, or until the
 * answer came (streams_step() resumes it then, and it gives up).
 */
static size_t
on_read_stall(char *buf, size_t sz, size_t n, void *arg)
{
	struct stream *s = arg;

	if (s->sent && s->status != 0)
		return CURL_READFUNC_ABORT;
	if (s->sent)
		return CURL_READFUNC_PAUSE;
	s->sent = true;
	(void)sz;
	(void)n;
	memcpy(buf, "0123456789", 10);
	return 10;
}

static void
streams_init(struct streams *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->multi = curl_multi_init();
	ck_assert_ptr_nonnull(ss->multi);
}

static struct stream *
stream_add(struct streams *ss, const char *path, const char *userpw,
    bool upload)
{
	struct stream *s;
	char url[1024];

	ck_assert_int_lt(ss->n, MAX_STREAMS);
	s = &ss->s[ss->n++];
	s->upload = upload;
	s->c = curl_easy_init();
	ck_assert_ptr_nonnull(s->c);
	snprintf(url, sizeof(url), "%s%s", integ_env("BPG_URL"), path);
	curl_easy_setopt(s->c, CURLOPT_URL, url);
	curl_easy_setopt(s->c, CURLOPT_USERPWD, userpw);
	curl_easy_setopt(s->c, CURLOPT_CAINFO, integ_env("BPG_CA"));
	curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(s->c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->c, CURLOPT_HEADERDATA, s);
	/* One connection each: HTTP/1.1 (see check_reload.c). */
	curl_easy_setopt(s->c, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(s->c, CURLOPT_PRIVATE, (char *)s);
	if (upload) {
		static struct curl_slist *hdrs;

		if (hdrs == NULL) {
			hdrs = curl_slist_append(NULL, "Expect:");
			hdrs = curl_slist_append(hdrs,
			    "Content-Type: application/octet-stream");
		}
		curl_easy_setopt(s->c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(s->c, CURLOPT_POST, 1L);
		curl_easy_setopt(s->c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)100000);
		curl_easy_setopt(s->c, CURLOPT_READFUNCTION, on_read_stall);
		curl_easy_setopt(s->c, CURLOPT_READDATA, s);
	}
	ck_assert_int_eq(curl_multi_add_handle(ss->multi, s->c), CURLM_OK);
	return s;
}

/* Drive the transfers for up to ms; true if any of them ended. */
static bool
streams_step(struct streams *ss, int ms)
{
	struct stream *s;
	CURLMsg *msg;
	int running, left;
	bool ended = false;

	curl_multi_perform(ss->multi, &running);
	curl_multi_poll(ss->multi, NULL, 0, ms, NULL);
	curl_multi_perform(ss->multi, &running);
	while ((msg = curl_multi_info_read(ss->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&s);
		s->done = true;
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
		ended = true;
	}
	for (int i = 0; i < ss->n; i++) {
		s = &ss->s[i];
		if (s->done)
			continue;
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->status);
		/* An upload answered early: stop sending, keep the answer. */
		if (s->upload && s->status != 0 && s->got > 0)
			curl_easy_pause(s->c, CURLPAUSE_CONT);
	}
	return ended;
}

static int
streams_count(const struct streams *ss, bool done, long status)
{
	int i, n = 0;

	for (i = 0; i < ss->n; i++)
		n += ss->s[i].done == done &&
		    (status == 0 || ss->s[i].status == status);
	return n;
}

/* Drive until pred(ss, arg) holds; fail after DEADLINE_S. */
static void
streams_until(struct streams *ss, bool (*pred)(const struct streams *,
    const void *), const void *arg, const char *what)
{
	time_t end = time(NULL) + DEADLINE_S;

	while (!pred(ss, arg)) {
		ck_assert_msg(time(NULL) < end, "not within %d s: %s",
		    DEADLINE_S, what);
		streams_step(ss, 200);
	}
}

static void
streams_free(struct streams *ss)
{
	int i;

	for (i = 0; i < ss->n; i++) {
		curl_multi_remove_handle(ss->multi, ss->s[i].c);
		curl_easy_cleanup(ss->s[i].c);
	}
	curl_multi_cleanup(ss->multi);
	memset(ss, 0, sizeof(*ss));
}

/* A submission whose driver keeps running and, after its start-up
 * lines, logs nothing. */
static char *
quiet_running_app(void)
{
	char ctl[256], *id = integ_submit(INTEG_ALICE, NULL, NULL);
	json_t *st;
	const char *state;

	ck_assert_msg(strncmp(id, "spark-cluster-", 14) == 0, "%s", id);
	snprintf(ctl, sizeof(ctl), "{\"apps\":{\"%s\":\"RUNNING\"}}", id);
	json_decref(integ_control(id, "POST", "/operator", ctl));
	st = integ_wait_state(id, "RUNNING", DEADLINE_S);
	state = integ_jstr(st, "applicationState");
	ck_assert_msg(state != NULL && strcmp(state, "RUNNING") == 0,
	    "%s never ran", id);
	json_decref(st);
	return id;
}

static int
nworkers(void)
{
	pid_t w[BPG_MAX_WORKERS];
	int n = integ_workers(integ_supervisor(), w, BPG_MAX_WORKERS);

	ck_assert_int_gt(n, 0);
	return n;
}

static void
follow_path(char *buf, size_t len, const char *id)
{
	snprintf(buf, len, "/log?subId=%s", id);
}

static void
upload_path(char *buf, size_t len, int i)
{
	snprintf(buf, len, "/s3/stall.bin?folder=it-streams-%d-%ld-%d",
	    (int)getpid(), (long)time(NULL), i);
}

struct want {
	int done;
	long status;
};

static bool
have_done(const struct streams *ss, const void *arg)
{
	const struct want *w = arg;

	return streams_count(ss, true, w->status) >= w->done;
}

/* Streams answered 429 with their whole JSON body. */
static int
refused(const struct streams *ss)
{
	int i, n = 0;

	for (i = 0; i < ss->n; i++)
		n += ss->s[i].status == 429 && ss->s[i].got > 0 &&
		    ss->s[i].got < sizeof(ss->s[i].body) &&
		    ss->s[i].body[ss->s[i].got - 1] == '}';
	return n;
}

static bool
have_refused(const struct streams *ss, const void *arg)
{
	return refused(ss) >= *(const int *)arg;
}

/* Each follow in s[from..to) has its head (a 200) and some lines. */
static bool
follows_open(const struct streams *ss, const void *arg)
{
	const int *range = arg;
	int i;

	for (i = range[0]; i < range[1]; i++)
		if (ss->s[i].upload || ss->s[i].status != 200 ||
		    ss->s[i].got == 0)
			return false;
	return true;
}

static struct integ_http
timed_api(const char *method, const char *path, const char *body)
{
	struct integ_req r = { .method = method, .url = path,
		.userpw = INTEG_ALICE, .ctype = body ? INTEG_JSON : NULL,
		.body = body, .http11 = true, .timeout = DEADLINE_S };

	return integ_request(&r);
}

/* Lines of the gateway's log from byte off that hold text. */
static int
log_count(size_t off, const char *text)
{
	char path[1024], *log, *p;
	size_t len;
	int n = 0;

	snprintf(path, sizeof(path), "%s/gateway.log",
	    integ_env("BPG_STACK_DIR"));
	log = integ_slurp(path, &len);
	for (p = len > off ? log + off : log + len;
	    (p = strstr(p, text)) != NULL; p += strlen(text))
		n++;
	free(log);
	return n;
}

/* The gateway's log from byte off holds text n times (within
 * DEADLINE_S), driving ss (if not NULL) meanwhile. */
static void
wait_log_n(size_t off, const char *text, int n, struct streams *ss)
{
	time_t end = time(NULL) + DEADLINE_S;

	while (log_count(off, text) < n) {
		ck_assert_msg(time(NULL) < end, "not %d \"%s\" in the "
		    "gateway's log within %d s", n, text, DEADLINE_S);
		if (ss != NULL)
			streams_step(ss, 200);
		else
			usleep(200000);
	}
}

static void
wait_log(size_t off, const char *text, struct streams *ss)
{
	wait_log_n(off, text, 1, ss);
}

/* The web server passes on an answer to an upload it has not read
 * whole (see the top). */
static bool
early_answers_pass(void)
{
	return strcmp(integ_env("BPG_WEB"), "lighttpd") == 0;
}

static size_t
log_size(void)
{
	char path[1024];
	size_t len;

	snprintf(path, sizeof(path), "%s/gateway.log",
	    integ_env("BPG_STACK_DIR"));
	free(integ_slurp(path, &len));
	return len;
}

/* Every follow in ss is refused (a JSON 429) or open (200, lines). */
static bool
follows_settled(const struct streams *ss, const void *arg)
{
	const struct stream *s;
	int i;

	(void)arg;
	for (i = 0; i < ss->n; i++) {
		s = &ss->s[i];
		if (s->upload)
			continue;
		if (s->status == 429 ? !(s->got > 0 && s->got <
		    sizeof(s->body) && s->body[s->got - 1] == '}') :
		    !(s->status == 200 && s->got > 0))
			return false;
	}
	return true;
}

/*
 * workers + 1 quiet follows and workers + 1 stalled uploads at once: the
 * gateway admits its share of the workers and refuses the rest with 429;
 * health and a submission still answer while the admitted ones are open.
 * Then the clients go away, and the gateway notices and frees the slots.
 */
START_TEST(test_more_streams_than_workers)
{
	struct streams ss;
	struct integ_http h;
	char *id = quiet_running_app(), path[512], *sub;
	int n = nworkers(), cap, i, total, open_follows = 0, range[2];
	size_t off = log_size();

	cap = (int)bpg_streams_total_for((unsigned int)n,
	    BPG_STREAM_WORKER_SHARE);
	streams_init(&ss);
	follow_path(path, sizeof(path), id);
	for (i = 0; i <= n; i++)
		stream_add(&ss, path, users[i % 3], false);
	for (i = 0; i <= n; i++) {
		upload_path(path, sizeof(path), i);
		stream_add(&ss, path, users[i % 3], true);
	}
	total = ss.n;

	/* All but cap are refused; the follows see a JSON 429 with
	 * Retry-After. */
	wait_log_n(off, " refused: ", total - cap, &ss);
	streams_until(&ss, follows_settled, NULL, "every follow refused or "
	    "open");
	for (i = 0; i < total; i++) {
		json_t *j;

		if (ss.s[i].status != 429)
			continue;
		j = json_loads(ss.s[i].body, 0, NULL);
		ck_assert_msg(json_integer_value(json_object_get(j, "code")) ==
		    429, "%s", ss.s[i].body);
		ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
		    j, "message")), "Too many followed logs and uploads"));
		json_decref(j);
		ck_assert_str_eq(ss.s[i].retry_after, "30\r\n");
	}
	for (i = 0; i <= n; i++)
		open_follows += ss.s[i].status == 200;
	/* The admitted uploads wait for their bodies. */
	wait_log_n(off, " started", cap - open_follows, &ss);

	/* Health and a submission answer; every admitted stream is open. */
	h = timed_api("GET", "/healthcheck/status", NULL);
	ck_assert_msg(h.status == 200, "health: %ld %s", h.status, h.body);
	integ_http_free(&h);
	sub = integ_submit(INTEG_ALICE, NULL, NULL);
	free(sub);
	streams_step(&ss, 0);
	ck_assert_int_eq(log_count(off, " refused: "), total - cap);
	ck_assert_int_eq(log_count(off, " started"), cap - open_follows);
	ck_assert_int_eq(log_count(off, " ended") + log_count(off, " cut ") +
	    log_count(off, " failed after "), 0);
	for (i = 0; i <= n; i++)
		ck_assert_msg(ss.s[i].status == 429 || !ss.s[i].done,
		    "admitted follow %d ended: %ld", i, ss.s[i].status);

	/* The clients go away: the gateway sees it and frees the slots. */
	off = log_size();
	streams_free(&ss);
	wait_log_n(off, "ended: the client went away", open_follows, NULL);
	wait_log_n(off, " failed after 10 bytes", cap - open_follows, NULL);
	streams_init(&ss);
	follow_path(path, sizeof(path), id);
	for (i = 0; i < cap; i++)
		stream_add(&ss, path, users[i % 3], false);
	range[0] = 0;
	range[1] = cap;
	streams_until(&ss, follows_open, range, "new follows admitted after "
	    "the old clients went away");
	streams_free(&ss);
	free(id);
}
END_TEST

/* A reload ends the follows of the workers it replaces. */
START_TEST(test_reload_ends_follow)
{
	struct streams ss;
	struct want w = { 1, 0 };
	char *id = quiet_running_app(), path[512];
	int range[2] = { 0, 1 }, tries;

	follow_path(path, sizeof(path), id);
	/*
	 * The slots of the test before may still be held: behind Apache a
	 * stalled upload's client is seen gone only by the low-speed cut.
	 * Until they are free the follow is a 429: ask again.
	 */
	for (tries = 0;; tries++) {
		streams_init(&ss);
		stream_add(&ss, path, "alice:alice-pw", false);
		streams_until(&ss, follows_settled, NULL, "the follow answered");
		if (ss.s[0].status != 429)
			break;
		ck_assert_msg(tries < DEADLINE_S, "the follow refused for %d s",
		    tries);
		streams_free(&ss);
		sleep(1);
	}
	streams_until(&ss, follows_open, range, "the follow open");
	ck_assert_int_eq(kill(integ_supervisor(), SIGHUP), 0);
	streams_until(&ss, have_done, &w, "the follow ended by the reload");
	/* It ends as a log does. */
	ck_assert_int_eq(ss.s[0].status, 200);
	ck_assert(ss.s[0].got > 0 && ss.s[0].last == '\n');
	streams_free(&ss);
	free(id);
}
END_TEST

/* A reload ends the stalled uploads of the workers it replaces: 503. */
START_TEST(test_reload_ends_upload)
{
	struct streams ss;
	struct want w = { 1, 0 };
	char path[512];
	size_t off;

	streams_init(&ss);
	upload_path(path, sizeof(path), 0);
	off = log_size();
	stream_add(&ss, path, "bob:bob-pw", true);
	/* A worker of the running configuration waits for its body. */
	wait_log(off, "by bob started", &ss);
	ck_assert_int_eq(kill(integ_supervisor(), SIGHUP), 0);
	wait_log(off, "cut after 10 bytes: the gateway is stopping", &ss);
	if (early_answers_pass()) {
		streams_until(&ss, have_done, &w, "the upload's answer");
		ck_assert_msg(ss.s[0].status == 503, "%ld %s", ss.s[0].status,
		    ss.s[0].body);
		ck_assert_str_eq(ss.s[0].retry_after, "1\r\n");
	}
	streams_free(&ss);
}
END_TEST

/* Replace the workers with config + extra, and wait until they are. */
static void
reconfigure(const char *cfgpath, const char *orig, const char *extra)
{
	pid_t before[BPG_MAX_WORKERS], now[BPG_MAX_WORKERS];
	pid_t super = integ_supervisor();
	time_t end = time(NULL) + DEADLINE_S;
	char *text;
	int nb, nn, i, j, same;

	nb = integ_workers(super, before, BPG_MAX_WORKERS);
	ck_assert_int_ne(asprintf(&text, "%s\n%s", orig, extra), -1);
	integ_spit(cfgpath, text);
	free(text);
	ck_assert_int_eq(kill(super, SIGHUP), 0);
	for (;;) {
		nn = integ_workers(super, now, BPG_MAX_WORKERS);
		for (same = 0, i = 0; i < nn; i++)
			for (j = 0; j < nb; j++)
				same += now[i] == before[j];
		if (nn == nb && same == 0)
			break;
		ck_assert_msg(time(NULL) < end, "workers not replaced");
		usleep(100000);
	}
}

/* logFollowMaxSeconds ends a follow; the low-speed limit a stall. */
START_TEST(test_configured_bounds)
{
	struct streams ss;
	struct want w;
	char cfgpath[1024], *orig, *id = quiet_running_app(), path[512];
	size_t off;

	snprintf(cfgpath, sizeof(cfgpath), "%s/config.yaml",
	    integ_env("BPG_STACK_DIR"));
	orig = integ_slurp(cfgpath, NULL);
	reconfigure(cfgpath, orig, "logFollowMaxSeconds: 2\n"
	    "uploadLowSpeedLimit: 100\nuploadLowSpeedSeconds: 2\n");

	streams_init(&ss);
	off = log_size();
	follow_path(path, sizeof(path), id);
	stream_add(&ss, path, "alice:alice-pw", false);
	upload_path(path, sizeof(path), 0);
	stream_add(&ss, path, "bob:bob-pw", true);
	w.done = 1;
	w.status = 200;
	streams_until(&ss, have_done, &w, "the follow ended");
	ck_assert_msg(ss.s[0].got > 0 && ss.s[0].last == '\n', "no lines");
	wait_log(off, "ended after logFollowMaxSeconds (2 s)", &ss);
	wait_log(off, "cut after 10 bytes: the client sent too slowly", &ss);
	if (early_answers_pass()) {
		w.done = 2;
		w.status = 0;
		streams_until(&ss, have_done, &w, "the upload's answer");
		ck_assert_msg(ss.s[1].status == 408, "%ld %s", ss.s[1].status,
		    ss.s[1].body);
		ck_assert_ptr_nonnull(strstr(ss.s[1].body, "slower than 100 "
		    "bytes a second over 2 s"));
	}
	streams_free(&ss);

	reconfigure(cfgpath, orig, "");
	free(orig);
	free(id);
}
END_TEST

/* streamsPerUser: a user's second follow is refused, another's not. */
START_TEST(test_per_user_limit)
{
	struct streams ss;
	char cfgpath[1024], *orig, *id = quiet_running_app(), path[512];
	int range[2] = { 0, 1 }, one = 1;

	snprintf(cfgpath, sizeof(cfgpath), "%s/config.yaml",
	    integ_env("BPG_STACK_DIR"));
	orig = integ_slurp(cfgpath, NULL);
	reconfigure(cfgpath, orig,
	    "streamsPerUser: 1\nstreamWorkerShare: 1\n");
	streams_init(&ss);
	follow_path(path, sizeof(path), id);
	stream_add(&ss, path, "alice:alice-pw", false);
	streams_until(&ss, follows_open, range, "alice's first follow open");
	stream_add(&ss, path, "alice:alice-pw", false);
	streams_until(&ss, have_refused, &one, "alice's second follow refused");
	ck_assert_ptr_nonnull(strstr(ss.s[1].body, "1 per user"));
	stream_add(&ss, path, "victor:victor-pw", false);
	range[0] = 2;
	range[1] = 3;
	streams_until(&ss, follows_open, range, "victor's follow open");
	ck_assert(!ss.s[0].done);
	streams_free(&ss);
	reconfigure(cfgpath, orig, "");
	free(orig);
	free(id);
}
END_TEST

/* A worker killed mid-stream: the supervisor frees its slot. */
START_TEST(test_dead_worker_frees_slot)
{
	struct streams ss;
	pid_t w[BPG_MAX_WORKERS];
	char *id = quiet_running_app(), path[512];
	int n = nworkers(), cap, i, range[2];
	size_t off;

	cap = (int)bpg_streams_total_for((unsigned int)n,
	    BPG_STREAM_WORKER_SHARE);
	streams_init(&ss);
	follow_path(path, sizeof(path), id);
	for (i = 0; i < cap; i++)
		stream_add(&ss, path, users[i % 3], false);
	range[0] = 0;
	range[1] = cap;
	streams_until(&ss, follows_open, range, "the follows open");
	off = log_size();
	n = integ_workers(integ_supervisor(), w, BPG_MAX_WORKERS);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(kill(w[i], SIGKILL), 0);
	wait_log_n(off, "freed the stream slot of worker", cap, &ss);
	streams_free(&ss);

	streams_init(&ss);
	for (i = 0; i < cap; i++)
		stream_add(&ss, path, users[i % 3], false);
	streams_until(&ss, follows_open, range, "new follows admitted");
	streams_free(&ss);
	free(id);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("streams");
	TCase *tc = tcase_create("streams");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_more_streams_than_workers);
	tcase_add_test(tc, test_reload_ends_follow);
	tcase_add_test(tc, test_reload_ends_upload);
	tcase_add_test(tc, test_configured_bounds);
	tcase_add_test(tc, test_per_user_limit);
	tcase_add_test(tc, test_dead_worker_frees_slot);
	suite_add_tcase(s, tc);
	return integ_run(s, 0);
}
