/* bpg's commands (bpg_cli_cmd.h). */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bpg_buf.h"
#include "bpg_cli_cmd.h"
#include "bpg_cli_http.h"
#include "bpg_cli_out.h"

/* --wait's intervals: from the first, growing by half, up to the last. */
#define WAIT_FIRST_MS 500
#define WAIT_MAX_MS 10000
/* A log of a running job without -f ends after this long without bytes. */
#define LOG_QUIET_S 3

struct ctx {
	const struct bpg_cli_opts *o;
	struct bpg_cli_http *http;
	FILE *out, *err;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) *
		1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The body as the API wrote it (-o json): unchanged, byte for byte. */
static void
print_raw(struct ctx *c, const struct bpg_cli_resp *r)
{
	if (r->body.len > 0)
		fwrite(r->body.p, 1, r->body.len, c->out);
}

/* The answer's JSON, or NULL (then an error is printed). */
static json_t *
parse_json(struct ctx *c, const struct bpg_cli_resp *r)
{
	json_error_t je;
	json_t *j;

	j = json_loadb(r->body.p != NULL ? r->body.p : "", r->body.len,
	    JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		fprintf(c->err, "bpg: the gateway's answer is not JSON: %s\n",
		    je.text);
	return j;
}

/* "/spark/<escaped id><suffix>" */
static char *
id_path(const char *prefix, const char *id, const char *suffix)
{
	char *e = bpg_cli_http_escape(id), *p = NULL;

	if (e != NULL && asprintf(&p, "%s%s%s", prefix, e, suffix) < 0)
		p = NULL;
	free(e);
	return p;
}

static int
oom(struct ctx *c)
{
	fprintf(c->err, "bpg: out of memory\n");
	return BPG_CLI_EXIT_API;
}

static int
get(struct ctx *c, const char *path, struct bpg_cli_resp *r)
{
	struct bpg_cli_call call = { .method = "GET", .path = path };

	return bpg_cli_http_call(c->http, &call, r);
}

/* ---- status and --wait ---------------------------------------------- */

static void
draw_wait(struct ctx *c, const char *state, int64_t started)
{
	char line[256], tail[128], d[48];

	bpg_cli_duration(d, sizeof(d), mono_ms() - started);
	snprintf(tail, sizeof(tail), "%-17s %s", state != NULL &&
	    state[0] != '\0' ? state : "UNKNOWN", d);
	bpg_cli_bar(line, sizeof(line), "waiting", (uint64_t)
	    bpg_cli_state_step(state), 4, 20, tail);
	/* Clear the rest of a longer line drawn before. */
	fprintf(c->err, "\r%s\033[K", line);
	fflush(c->err);
}

/* Whether an answer is worth asking again: the gateway or its cluster
 * was busy or briefly away. */
static bool
transient(const struct bpg_cli_resp *r, int rc)
{
	return rc == BPG_CLI_EXIT_CONNECT || r->status == 429 ||
	    r->status == 502 || r->status == 503 || r->status == 504;
}

/*
 * Polls id's status until it is final (or, with until_running, has
 * started), with growing intervals, for at most o->timeout_s.  *last gets
 * the last status answer.  Returns the exit status.
 */
static int
wait_status(struct ctx *c, const char *id, bool until_running,
    struct bpg_cli_resp *last)
{
	int64_t started = mono_ms(), deadline, delay = WAIT_FIRST_MS;
	bool bars = bpg_cli_http_bars(c->http) && !until_running;
	char *path = id_path("/spark/", id, "/status");
	const char *state = NULL;
	json_t *j = NULL;
	int rc, code = BPG_CLI_EXIT_OK;

	memset(last, 0, sizeof(*last));
	if (path == NULL)
		return oom(c);
	deadline = started + (int64_t)c->o->timeout_s * 1000;
	for (;;) {
		struct bpg_cli_call call = { .method = "GET", .path = path,
			.quiet = true };

		bpg_buf_free(&last->body);
		rc = bpg_cli_http_call(c->http, &call, last);
		/* A busy or restarting gateway is asked again, silently
		 * unless it is the last answer. */
		if (rc != BPG_CLI_EXIT_OK && !(transient(last, rc) &&
		    mono_ms() + delay < deadline)) {
			if (bars)
				fputc('\n', c->err);
			bars = false;
			fprintf(c->err, "bpg: %s\n", last->msg);
			goto out;
		}
		if (rc == BPG_CLI_EXIT_OK) {
			json_decref(j);
			if ((j = parse_json(c, last)) == NULL) {
				rc = BPG_CLI_EXIT_API;
				goto out;
			}
			state = json_string_value(json_object_get(j,
			    "applicationState"));
			if (bars)
				draw_wait(c, state, started);
			if (bpg_cli_state_final(state, &code) ||
			    (until_running && bpg_cli_state_step(state) >= 2)) {
				rc = code;
				goto out;
			}
		}
		if (mono_ms() + delay >= deadline) {
			if (bars)
				fputc('\n', c->err);
			bars = false;
			fprintf(c->err, "bpg: gave up waiting after %ld s; %s is "
			    "%s\n", c->o->timeout_s, id, state != NULL ?
			    state : "not final");
			rc = BPG_CLI_EXIT_API;
			goto out;
		}
		sleep_ms(delay);
		delay = delay * 3 / 2 > WAIT_MAX_MS ? WAIT_MAX_MS : delay * 3 / 2;
	}
out:
	if (bars)
		fputc('\n', c->err);
	json_decref(j);
	free(path);
	return rc;
}

/* Prints a status answer, for people or as written. */
static void
show_status(struct ctx *c, const char *id, const struct bpg_cli_resp *r)
{
	json_t *j;

	if (c->o->json) {
		print_raw(c, r);
		return;
	}
	if ((j = parse_json(c, r)) != NULL)
		bpg_cli_print_status(c->out, id, j, now_ms());
	json_decref(j);
}

static int
cmd_status(struct ctx *c)
{
	struct bpg_cli_resp r;
	char *path;
	int rc;

	if (c->o->wait)
		rc = wait_status(c, c->o->arg, false, &r);
	else {
		if ((path = id_path("/spark/", c->o->arg, "/status")) == NULL)
			return oom(c);
		rc = get(c, path, &r);
		free(path);
	}
	/* A final state reached (exit 0 or 1) is shown, as is any 2xx. */
	if (r.status >= 200 && r.status <= 299 &&
	    (rc == BPG_CLI_EXIT_OK || rc == BPG_CLI_EXIT_JOB_FAILED ||
	    c->o->wait))
		show_status(c, c->o->arg, &r);
	bpg_buf_free(&r.body);
	return rc;
}

/* ---- logs ----------------------------------------------------------- */

static int
stream_log(struct ctx *c, const char *id, const char *exec, bool follow)
{
	struct bpg_cli_call call = { .method = "GET", .sink = c->out };
	struct bpg_cli_resp r;
	char *eid = bpg_cli_http_escape(id), *path = NULL;
	int rc;

	if (eid == NULL || asprintf(&path, "/log?subId=%s%s%s", eid,
	    exec != NULL ? "&execId=" : "", exec != NULL ? exec : "") < 0) {
		free(eid);
		return oom(c);
	}
	call.path = path;
	call.quiet_end_s = follow ? 0 : LOG_QUIET_S;
	rc = bpg_cli_http_call(c->http, &call, &r);
	bpg_buf_free(&r.body);
	free(path);
	free(eid);
	return rc;
}

static int
cmd_logs(struct ctx *c)
{
	struct bpg_cli_resp r;
	bool follow = c->o->follow;
	char *path;
	json_t *j;
	int rc, code;

	/*
	 * The gateway follows a running driver's log until the pod ends.
	 * Without -f, a log of a job that has not ended is printed as far
	 * as it is written: the stream ends when it goes quiet.
	 */
	if (!follow) {
		if ((path = id_path("/spark/", c->o->arg, "/status")) == NULL)
			return oom(c);
		rc = get(c, path, &r);
		free(path);
		if (rc != BPG_CLI_EXIT_OK) {
			bpg_buf_free(&r.body);
			return rc;
		}
		j = json_loadb(r.body.p, r.body.len, 0, NULL);
		follow = bpg_cli_state_final(json_string_value(
		    json_object_get(j, "applicationState")), &code);
		json_decref(j);
		bpg_buf_free(&r.body);
	}
	return stream_log(c, c->o->arg, c->o->executor, follow);
}

/* ---- submit --------------------------------------------------------- */

char *
bpg_cli_yaml_queue(const char *y, size_t n, const char *q)
{
	struct bpg_buf b = { NULL, 0, 0 };
	const char *line, *end, *lim = y + n;
	bool done = false;
	size_t i;

	for (i = 0; q[i] != '\0'; i++)
		if ((unsigned char)q[i] < 0x20 || q[i] == 0x7f)
			return NULL;
	for (line = y; line < lim; line = end) {
		end = memchr(line, '\n', (size_t)(lim - line));
		end = end != NULL ? end + 1 : lim;
		if (!done && (size_t)(end - line) >= 6 &&
		    strncmp(line, "queue:", 6) == 0) {
			done = true;
			if (bpg_buf_append(&b, "queue: \"", 8, 0) != BPG_OK)
				goto fail;
			for (i = 0; q[i] != '\0'; i++)
				if ((q[i] == '"' || q[i] == '\\' ?
				    bpg_buf_append(&b, "\\", 1, 0) : BPG_OK) !=
				    BPG_OK || bpg_buf_append(&b, q + i, 1, 0) !=
				    BPG_OK)
					goto fail;
			if (bpg_buf_append(&b, "\"\n", 2, 0) != BPG_OK)
				goto fail;
			continue;
		}
		if (bpg_buf_append(&b, line, (size_t)(end - line), 0) != BPG_OK)
			goto fail;
	}
	if (!done) {
		if (b.len > 0 && b.p[b.len - 1] != '\n' &&
		    bpg_buf_append(&b, "\n", 1, 0) != BPG_OK)
			goto fail;
		/* the quoted scalar once more, through the same path */
		if (bpg_buf_append(&b, "queue: x\n", 9, 0) != BPG_OK)
			goto fail;
		{
			char *t = bpg_buf_take(&b), *r;

			if (t == NULL)
				return NULL;
			r = bpg_cli_yaml_queue(t, strlen(t), q);
			free(t);
			return r;
		}
	}
	return bpg_buf_take(&b);
fail:
	bpg_buf_free(&b);
	return NULL;
}

static bool
is_yaml(const char *file)
{
	size_t n = strlen(file);

	return (n >= 5 && strcasecmp(file + n - 5, ".yaml") == 0) ||
	    (n >= 4 && strcasecmp(file + n - 4, ".yml") == 0);
}

/* The job spec from file, with --queue applied, in *body. */
static int
read_spec(struct ctx *c, char **body, size_t *len)
{
	struct bpg_buf b = { NULL, 0, 0 };
	const char *file = c->o->arg;
	char chunk[8192], *t;
	json_error_t je;
	json_t *j;
	size_t n;
	FILE *f;

	*body = NULL;
	if (strcmp(file, "-") == 0)
		f = stdin;
	else if ((f = fopen(file, "r")) == NULL) {
		fprintf(c->err, "bpg: %s: %s\n", file, strerror(errno));
		return BPG_CLI_EXIT_USAGE;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (bpg_buf_append(&b, chunk, n, BPG_CLI_SPEC_MAX) != BPG_OK) {
			fprintf(c->err, "bpg: %s: over the gateway's limit of "
			    "1 MiB\n", file);
			goto fail;
		}
	if (ferror(f)) {
		fprintf(c->err, "bpg: %s: %s\n", file, strerror(errno));
		goto fail;
	}
	if (f != stdin)
		fclose(f);
	f = NULL;
	if (bpg_buf_append(&b, "", 0, 0) != BPG_OK)
		goto fail;
	if (c->o->queue == NULL) {
		*len = b.len;
		*body = bpg_buf_take(&b);
		return *body != NULL ? BPG_CLI_EXIT_OK : oom(c);
	}
	if (is_yaml(file)) {
		t = bpg_cli_yaml_queue(b.p, b.len, c->o->queue);
		bpg_buf_free(&b);
		if (t == NULL) {
			fprintf(c->err, "bpg: --queue: not a queue name\n");
			return BPG_CLI_EXIT_USAGE;
		}
		*body = t;
		*len = strlen(t);
		return BPG_CLI_EXIT_OK;
	}
	j = json_loadb(b.p, b.len, JSON_REJECT_DUPLICATES, &je);
	bpg_buf_free(&b);
	if (!json_is_object(j)) {
		fprintf(c->err, "bpg: %s: %s\n", file, j == NULL ? je.text :
		    "not a JSON object");
		json_decref(j);
		return BPG_CLI_EXIT_USAGE;
	}
	json_object_set_new(j, "queue", json_string(c->o->queue));
	*body = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (*body == NULL)
		return oom(c);
	*len = strlen(*body);
	return BPG_CLI_EXIT_OK;
fail:
	if (f != NULL && f != stdin)
		fclose(f);
	bpg_buf_free(&b);
	return BPG_CLI_EXIT_USAGE;
}

static int
cmd_submit(struct ctx *c)
{
	struct bpg_cli_call call = { .method = "POST", .path = "/spark" };
	struct bpg_cli_resp r, st;
	const char *id;
	char *body = NULL, *sid = NULL;
	json_t *j = NULL;
	size_t len = 0;
	int rc;

	if ((rc = read_spec(c, &body, &len)) != BPG_CLI_EXIT_OK)
		return rc;
	call.ctype = is_yaml(c->o->arg) ? "application/yaml" :
	    "application/json";
	call.body = body;
	call.len = len;
	rc = bpg_cli_http_call(c->http, &call, &r);
	free(body);
	if (rc != BPG_CLI_EXIT_OK)
		goto out;
	if ((j = parse_json(c, &r)) == NULL || (id = json_string_value(
	    json_object_get(j, "submissionId"))) == NULL ||
	    (sid = strdup(id)) == NULL) {
		if (j != NULL)
			fprintf(c->err, "bpg: no submissionId in the answer\n");
		rc = BPG_CLI_EXIT_API;
		goto out;
	}
	if (c->o->json)
		print_raw(c, &r);
	else
		fprintf(c->out, "%s\n", sid);
	fflush(c->out);
	if (c->o->follow_log) {
		/* Until the driver runs (or the job ended without one). */
		rc = wait_status(c, sid, true, &st);
		bpg_buf_free(&st.body);
		if (rc == BPG_CLI_EXIT_OK && (rc = stream_log(c, sid, NULL,
		    true)) != BPG_CLI_EXIT_OK)
			goto out;
	}
	if (c->o->wait || c->o->follow_log) {
		rc = wait_status(c, sid, false, &st);
		if (st.status >= 200 && st.status <= 299)
			show_status(c, sid, &st);
		bpg_buf_free(&st.body);
	}
out:
	json_decref(j);
	free(sid);
	bpg_buf_free(&r.body);
	return rc;
}

/* ---- delete, spec, describe ----------------------------------------- */

static int
cmd_delete(struct ctx *c)
{
	struct bpg_cli_call call = { .method = "DELETE" };
	struct bpg_cli_resp r;
	char *path = id_path("/spark/", c->o->arg, "");
	int rc;

	if (path == NULL)
		return oom(c);
	call.path = path;
	rc = bpg_cli_http_call(c->http, &call, &r);
	if (rc == BPG_CLI_EXIT_OK) {
		if (c->o->json)
			print_raw(c, &r);
		else
			fprintf(c->out, "deleted %s\n", c->o->arg);
	}
	bpg_buf_free(&r.body);
	free(path);
	return rc;
}

static int
cmd_spec(struct ctx *c)
{
	struct bpg_cli_resp r;
	char *path = id_path("/spark/", c->o->arg, "/spec"), *s;
	json_t *j;
	int rc;

	if (path == NULL)
		return oom(c);
	rc = get(c, path, &r);
	free(path);
	if (rc == BPG_CLI_EXIT_OK) {
		if (c->o->json)
			print_raw(c, &r);
		else if ((j = parse_json(c, &r)) != NULL) {
			s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
			if (s != NULL)
				fprintf(c->out, "%s\n", s);
			free(s);
			json_decref(j);
		} else
			rc = BPG_CLI_EXIT_API;
	}
	bpg_buf_free(&r.body);
	return rc;
}

static int
cmd_describe(struct ctx *c)
{
	struct bpg_cli_resp r;
	char *path = id_path("/spark/", c->o->arg, "/describe");
	int rc;

	if (path == NULL)
		return oom(c);
	rc = get(c, path, &r);
	free(path);
	if (rc == BPG_CLI_EXIT_OK)
		print_raw(c, &r);
	bpg_buf_free(&r.body);
	return rc;
}

/* ---- list ----------------------------------------------------------- */

static int
by_creation_desc(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a,
	    "creationTime"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b,
	    "creationTime"));

	return x < y ? 1 : x > y ? -1 : 0;
}

static int
cmd_list(struct ctx *c)
{
	struct bpg_cli_table *t = NULL;
	struct bpg_cli_resp r;
	json_t *arr = NULL, *e, **v = NULL;
	const char *p, *end, *lim;
	int rc;
	size_t i, n;
	int64_t now = now_ms();

	rc = get(c, c->o->all ? "/admin/submissions" : "/spark/mySubmissions",
	    &r);
	if (rc != BPG_CLI_EXIT_OK || c->o->json) {
		if (rc == BPG_CLI_EXIT_OK)
			print_raw(c, &r);
		goto out;
	}
	if (!c->o->all) {
		json_t *j = parse_json(c, &r);

		arr = json_incref(json_object_get(j, "submissions"));
		json_decref(j);
		if (!json_is_array(arr)) {
			fprintf(c->err, "bpg: no submissions in the answer\n");
			rc = BPG_CLI_EXIT_API;
			goto out;
		}
	} else {
		/* NDJSON: one SubmissionSummary a line (reference 1.10). */
		arr = json_array();
		lim = r.body.p + r.body.len;
		for (p = r.body.p; arr != NULL && p != NULL && p < lim;
		    p = end) {
			end = memchr(p, '\n', (size_t)(lim - p));
			end = end != NULL ? end + 1 : lim;
			if (end - p <= 1)
				continue;
			e = json_loadb(p, (size_t)(end - p), 0, NULL);
			if (e == NULL) {
				fprintf(c->err, "bpg: a line of the answer is "
				    "not JSON\n");
				rc = BPG_CLI_EXIT_API;
				goto out;
			}
			json_array_append_new(arr, e);
		}
	}
	if (arr == NULL || (t = bpg_cli_summary_table()) == NULL) {
		rc = oom(c);
		goto out;
	}
	n = json_array_size(arr);
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL) {
		rc = oom(c);
		goto out;
	}
	json_array_foreach(arr, i, e)
		v[i] = e;
	if (n > 0)
		qsort(v, n, sizeof(*v), by_creation_desc);
	for (i = 0; i < n; i++)
		if (bpg_cli_summary_add(t, v[i], now) != BPG_OK) {
			rc = oom(c);
			goto out;
		}
	if (n == 0)
		fprintf(c->out, "no submissions\n");
	else
		bpg_cli_table_print(t, c->out);
out:
	free(v);
	bpg_cli_table_free(t);
	json_decref(arr);
	bpg_buf_free(&r.body);
	return rc;
}

/* ---- upload --------------------------------------------------------- */

static int
cmd_upload(struct ctx *c)
{
	struct bpg_cli_call call = { .method = "POST",
		.ctype = "application/octet-stream", .bar = "upload" };
	struct bpg_cli_resp r;
	char *copy = NULL, *name = NULL, *folder = NULL, *path = NULL;
	const char *url;
	struct stat sb;
	json_t *j;
	FILE *f;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((f = fopen(c->o->arg, "rb")) == NULL) {
		fprintf(c->err, "bpg: %s: %s\n", c->o->arg, strerror(errno));
		return BPG_CLI_EXIT_USAGE;
	}
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fprintf(c->err, "bpg: %s: not a regular file\n", c->o->arg);
		fclose(f);
		return BPG_CLI_EXIT_USAGE;
	}
	if ((copy = strdup(c->o->arg)) == NULL ||
	    (name = bpg_cli_http_escape(basename(copy))) == NULL ||
	    (c->o->folder != NULL && (folder = bpg_cli_http_escape(
	    c->o->folder)) == NULL) || asprintf(&path, "/s3/%s?content-length="
	    "%jd%s%s", name, (intmax_t)sb.st_size, folder != NULL ?
	    "&folder=" : "", folder != NULL ? folder : "") < 0) {
		path = NULL;
		rc = oom(c);
		goto out;
	}
	call.path = path;
	call.upload = f;
	call.upload_len = (uint64_t)sb.st_size;
	rc = bpg_cli_http_call(c->http, &call, &r);
	if (rc != BPG_CLI_EXIT_OK)
		goto out;
	if (c->o->json)
		print_raw(c, &r);
	else if ((j = parse_json(c, &r)) != NULL) {
		url = json_string_value(json_object_get(j, "url"));
		fprintf(c->out, "%s\n", url != NULL ? url : "");
		json_decref(j);
	}
out:
	fclose(f);
	bpg_buf_free(&r.body);
	free(path);
	free(folder);
	free(name);
	free(copy);
	return rc;
}

/* ---- version -------------------------------------------------------- */

static int
cmd_version(struct ctx *c)
{
	struct bpg_cli_resp r;
	json_t *j;
	int rc;

	rc = get(c, "/admin/version", &r);
	if (c->o->json) {
		if (rc == BPG_CLI_EXIT_OK)
			print_raw(c, &r);
	} else {
		fprintf(c->out, "bpg %s (%s)\n", BPG_VERSION, BPG_GIT_REV);
		if (rc == BPG_CLI_EXIT_OK && (j = parse_json(c, &r)) != NULL) {
			const char *v[3];
			char clean[3][128];
			int i;

			v[0] = json_string_value(json_object_get(j,
			    "version"));
			v[1] = json_string_value(json_object_get(j,
			    "gitCommit"));
			v[2] = json_string_value(json_object_get(j,
			    "buildTime"));
			for (i = 0; i < 3; i++)
				bpg_cli_clean(clean[i], sizeof(clean[i]),
				    v[i] != NULL ? v[i] : "?", strlen(v[i] !=
				    NULL ? v[i] : "?"));
			fprintf(c->out, "gateway %s (%s, built %s)\n",
			    clean[0], clean[1], clean[2]);
			json_decref(j);
		}
	}
	bpg_buf_free(&r.body);
	return rc;
}

/* ---- dispatch ------------------------------------------------------- */

int
bpg_cli_run(const struct bpg_cli_opts *o, FILE *out, FILE *err)
{
	static int (*const run[BPG_CLI__MAX])(struct ctx *) = {
		[BPG_CLI_SUBMIT] = cmd_submit, [BPG_CLI_STATUS] = cmd_status,
		[BPG_CLI_LOGS] = cmd_logs, [BPG_CLI_DELETE] = cmd_delete,
		[BPG_CLI_LIST] = cmd_list, [BPG_CLI_SPEC] = cmd_spec,
		[BPG_CLI_DESCRIBE] = cmd_describe,
		[BPG_CLI_UPLOAD] = cmd_upload, [BPG_CLI_VERSION] = cmd_version,
	};
	struct ctx c = { o, NULL, out, err };
	char *user = NULL, *colon, pw[256] = "";
	const char *password = o->password;
	int rc;

	if (o->cmd <= BPG_CLI_NONE || o->cmd >= BPG_CLI__MAX ||
	    run[o->cmd] == NULL) {
		bpg_cli_help(err, BPG_CLI_NONE);
		return BPG_CLI_EXIT_USAGE;
	}
	if (o->user != NULL) {
		if ((user = strdup(o->user)) == NULL)
			return oom(&c);
		if ((colon = strchr(user, ':')) != NULL) {
			*colon = '\0';
			password = colon + 1;
		} else if (password == NULL) {
			if (bpg_cli_prompt_password(user, pw, sizeof(pw)) !=
			    BPG_OK) {
				fprintf(err, "bpg: no terminal to ask for %s's "
				    "password: set BPG_PASSWORD or use a "
				    "netrc file\n", user);
				free(user);
				return BPG_CLI_EXIT_USAGE;
			}
			password = pw;
		}
	}
	c.http = bpg_cli_http_new(o, user, password, err);
	explicit_bzero(pw, sizeof(pw));
	if (user != NULL) {
		explicit_bzero(user, strlen(o->user));
		free(user);
	}
	if (c.http == NULL)
		return oom(&c);
	rc = run[o->cmd](&c);
	fflush(out);
	bpg_cli_http_free(c.http);
	return rc;
}
