/*
 * Apache Livy's batches API (bpg_api_livy.h).
 *
 * POST /batches translates the Livy body (bpg_livy.h) and runs POST
 * /spark's pipeline on it, with a hook that records the batch's integer
 * ID for each submission ID a try chooses, before that submission's row
 * is written (bpg_db_livy.h).  The reads call the /spark/{id} and /log
 * handlers on the batch's submission ID and reshape their answers; a
 * batch's log is read once, not followed.
 *
 * proxyUser (and ?doAs=, which wins) names the user the batch runs as:
 * the caller, or anyone for the Airflow account and adminUsers, as
 * dagUser does for POST /spark.  Anyone else naming another user: 403.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "bpg_api_apps.h"
#include "bpg_api_livy.h"
#include "bpg_api_log.h"
#include "bpg_api_submit.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_db_livy.h"
#include "bpg_json.h"
#include "bpg_label.h"
#include "bpg_livy.h"
#include "bpg_log.h"
#include "bpg_req.h"

/* ---- answers -------------------------------------------------------- */

static void
reply_msg(struct bpg_http_resp *r, int status, const char *msg)
{
	api_reply_json(r, status, json_pack("{s:s}", "msg", msg));
}

/* "java.pkg.Class: text" -> "text" (BPG's class prefixes, quirk 32). */
static const char *
strip_class(const char *m)
{
	const char *sep = strstr(m, ": ");
	const char *p;

	if (sep == NULL)
		return m;
	for (p = m; p < sep; p++)
		if (*p == ' ')
			return m;
	if (memchr(m, '.', (size_t)(sep - m)) == NULL)
		return m;
	/* Both prefixes of a Kubernetes failure go. */
	return strip_class(sep + 2);
}

void
api_livy_error_shape(struct bpg_http_resp *r)
{
	json_t *doc;
	const char *m;

	if (r->streamed || r->status < 400 || r->body == NULL)
		return;
	doc = json_loadb(r->body, r->body_len, 0, NULL);
	m = api_jstr(doc, "message");
	if (m != NULL) {
		char *copy = strdup(strip_class(m));
		int status = r->status;

		free(r->body);
		r->body = NULL;
		r->body_len = 0;
		if (copy == NULL)
			api_reply_nomem(r);
		else {
			reply_msg(r, status, copy);
			free(copy);
		}
	}
	json_decref(doc);
}

/* ---- common steps ----------------------------------------------------- */

static bool
livy_on(struct route_ctx *rc)
{
	if (rc->api->cfg->livy.enabled)
		return true;
	reply_msg(rc->resp, 404, "Not Found");
	return false;
}

static bool
need_db(struct route_ctx *rc)
{
	if (rc->api->db != NULL)
		return true;
	reply_msg(rc->resp, 503, "Livy batches need the database "
	    "(dbStorageSOPS)");
	return false;
}

/*
 * Who the request acts for: ?doAs=, else asked (the body's proxyUser),
 * else the caller.  Another user only for the Airflow account and
 * adminUsers; else a 403 is answered and NULL returned.  *own gets a
 * copy to free (or NULL).
 */
static const char *
acting_user(struct route_ctx *rc, const char *asked, char **own)
{
	char text[2 * BPG_MAX_USER + 96], esc[4 * 64 + 8];
	char *doas = rc->query != NULL ? api_query_param(rc->query, "doAs") :
	    NULL;
	const char *who, *p;

	*own = doas;
	who = doas != NULL && doas[0] != '\0' ? doas : asked;
	if (who == NULL || who[0] == '\0' || strcmp(who, rc->user) == 0)
		return rc->user;
	/* It becomes a row's user and the CR's proxyUser: a user name, as
	 * the web server's REMOTE_USER would be. */
	for (p = who; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			break;
	if (*p != '\0' || strlen(who) > BPG_MAX_USER || !bpg_utf8_valid(who)) {
		reply_msg(rc->resp, 400, "Invalid proxyUser: at most 255 bytes "
		    "of UTF-8 without control characters");
		return NULL;
	}
	if (strcmp(rc->user, AIRFLOW_ACCOUNT) == 0 ||
	    bpg_authz_is_admin(rc->api->cfg, rc->user))
		return who;
	bpg_echo(esc, sizeof(esc), who, 64);
	snprintf(text, sizeof(text), "User '%s' not allowed to impersonate "
	    "'%s'.", rc->user, esc);
	reply_msg(rc->resp, 403, text);
	return NULL;
}

/* A whole number 0..INT64_MAX in decimal digits only. */
static bool
parse_uint(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0)
		return false;
	*out = v;
	return true;
}

/* A batch ID: 1..INT64_MAX. */
static bool
parse_id(const char *s, int64_t *id)
{
	int64_t v;

	if (!parse_uint(s, &v) || v == 0)
		return false;
	*id = v;
	return true;
}

/* A non-negative query number (def when absent); false: a 400 answered. */
static bool
query_num(struct route_ctx *rc, const char *name, int64_t def, int64_t *out)
{
	char *v = rc->query != NULL ? api_query_param(rc->query, name) : NULL;
	char text[96];
	bool ok = true;

	*out = def;
	if (v != NULL && !parse_uint(v, out)) {
		snprintf(text, sizeof(text), "Invalid %s: a whole number at "
		    "least 0 is expected", name);
		reply_msg(rc->resp, 400, text);
		ok = false;
	}
	free(v);
	return ok;
}

/* The batch of rc->segs[1]; false: the answer is given. */
static bool
batch_of(struct route_ctx *rc, struct bpg_db_livy_batch *b)
{
	struct bpg_errinfo ei = { "" };
	char text[128];
	bool found = false;
	int64_t id;

	if (!livy_on(rc) || !need_db(rc))
		return false;
	if (!parse_id(rc->segs[1], &id)) {
		reply_msg(rc->resp, 400, "Invalid batch id: a positive integer "
		    "is expected");
		return false;
	}
	if (bpg_db_livy_get(rc->api->db, id, b, &found, &ei) != BPG_OK) {
		bpg_log(LOG_ERR, "Livy batch %" PRId64 ": %s", id, ei.msg);
		reply_msg(rc->resp, 503, "The batch cannot be read now (database "
		    "unavailable); please try again later.");
		return false;
	}
	if (!found) {
		snprintf(text, sizeof(text), "Session '%" PRId64 "' not found.",
		    id);
		reply_msg(rc->resp, 404, text);
		return false;
	}
	return true;
}

/*
 * Run handler fn of /spark/{id}[/tail] on submission sid, as rc's user,
 * into sub's own answer *resp (freed by the caller).
 */
static void
call_on(struct route_ctx *rc, const char *sid, const char *tail,
    void (*fn)(struct route_ctx *), struct bpg_http_resp *resp)
{
	struct route_ctx sub;
	char *segs[3] = { (char *)(uintptr_t)"spark", (char *)(uintptr_t)sid,
	    (char *)(uintptr_t)tail };

	memset(resp, 0, sizeof(*resp));
	memset(&sub, 0, sizeof(sub));
	sub.api = rc->api;
	sub.req = rc->req;
	sub.resp = resp;
	sub.user = rc->user;
	memcpy(sub.segs, segs, sizeof(segs));
	sub.nsegs = tail != NULL ? 3 : 2;
	fn(&sub);
}

static void
resp_move(struct bpg_http_resp *to, struct bpg_http_resp *from)
{
	free(to->body);
	*to = *from;
	memset(from, 0, sizeof(*from));
}

/*
 * A failed answer of a /spark handler about batch id as this API's: a 404
 * (no such submission, or one the caller may not see) says what a batch
 * that does not exist says, so the two cannot be told apart.
 */
static void
sub_failed(struct route_ctx *rc, struct bpg_http_resp *sr, int64_t id)
{
	char text[128];

	if (sr->status == 404) {
		free(sr->body);
		memset(sr, 0, sizeof(*sr));
		snprintf(text, sizeof(text), "Session '%" PRId64 "' not found.",
		    id);
		reply_msg(rc->resp, 404, text);
		return;
	}
	resp_move(rc->resp, sr);
	if (rc->resp->status < 400)
		api_reply_nomem(rc->resp);
	api_livy_error_shape(rc->resp);
}

/* s as a JSON string, or null when it is NULL or empty. */
static json_t *
str_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? json_string(s) : json_null();
}

/* Livy's Batch object: every field present, null when unknown. */
static json_t *
batch_json(const struct route_ctx *rc, int64_t id, const char *sid,
    const char *owner, const char *name, const char *state,
    const char *app_id, const char *ui_url)
{
	char *log_url = NULL;
	json_t *o;

	if (asprintf(&log_url, "%s/log?subId=%s", rc->api->cfg->context_path,
	    sid) < 0)
		return NULL;
	o = json_pack("{s:I, s:o, s:s, s:s, s:s, s:o, s:{s:s, s:o, s:s}, "
	    "s:[]}", "id", (json_int_t)id, "name", str_or_null(name), "owner",
	    owner, "proxyUser", owner, "state", state, "appId",
	    str_or_null(app_id), "appInfo", "submissionId", sid, "sparkUiUrl",
	    str_or_null(ui_url), "driverLogUrl", log_url, "log");
	free(log_url);
	return o;
}

/* ---- POST /batches -------------------------------------------------- */

struct create {
	int64_t id;
	const char *owner;
	const char *name;
};

static enum bpg_err
on_chosen(struct route_ctx *rc, void *arg, const char *sid,
    struct bpg_errinfo *ei)
{
	struct create *c = arg;
	enum bpg_err e;

	/* The first ID chosen gets the batch's integer, a failover's next
	 * ID takes it over: before any row or CR of that ID exists. */
	if (c->id == 0)
		e = bpg_db_livy_insert(rc->api->db, c->owner, sid, &c->id, ei);
	else
		e = bpg_db_livy_bind(rc->api->db, c->id, sid, ei);
	if (e == BPG_OK)
		return BPG_OK;
	bpg_log(LOG_ERR, "Livy batch of %s not recorded: %s", sid, ei->msg);
	return bpg_errf(ei, BPG_EDB, "The batch could not be recorded "
	    "(database unavailable); nothing was submitted. Please try again "
	    "later.");
}

static void
on_made(struct route_ctx *rc, void *arg, const char *sid)
{
	struct create *c = arg;

	bpg_log(LOG_INFO, "Livy batch %" PRId64 " is %s", c->id, sid);
	api_reply_json(rc->resp, 201, batch_json(rc, c->id, sid, c->owner,
	    c->name, "starting", NULL, NULL));
}

void
api_h_livy_create(struct route_ctx *rc)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_submit_req req;
	struct create c = { 0, NULL, NULL };
	struct api_submit_hooks hooks = { on_chosen, on_made, &c };
	json_t *tr = NULL;
	char *asked = NULL, *doas = NULL, *text = NULL;
	const char *who;
	enum bpg_err e;

	memset(&req, 0, sizeof(req));
	if (!livy_on(rc) || !need_db(rc))
		return;
	if ((e = bpg_livy_translate(rc->body, rc->body_len,
	    rc->api->cfg->livy.default_spark_version, &tr, &asked, &ei)) !=
	    BPG_OK)
		goto fail;
	if ((who = acting_user(rc, asked, &doas)) == NULL)
		goto out;
	if ((text = bpg_json_dump(tr, NULL)) == NULL) {
		e = bpg_errf(&ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}
	if ((e = bpg_req_parse(text, strlen(text), BPG_REQ_JSON, &req,
	    &ei)) != BPG_OK)
		goto fail;
	c.owner = who;
	c.name = req.application_name;
	api_submit_run(rc, &req, who, false, &hooks);
	api_livy_error_shape(rc->resp);
	goto out;
fail:
	reply_msg(rc->resp, api_status_of(e), ei.msg);
out:
	bpg_req_reset(&req);
	free(text);
	free(doas);
	free(asked);
	json_decref(tr);
}

/* ---- GET /batches/{id}, /state -------------------------------------- */

/* The /spark/{id}/status answer of b: its body, or NULL (answered). */
static json_t *
status_of(struct route_ctx *rc, const struct bpg_db_livy_batch *b)
{
	struct bpg_http_resp sr;
	json_t *doc = NULL;

	call_on(rc, b->submission_id, "status", api_h_status, &sr);
	if (sr.status == 200 && (doc = json_loadb(sr.body, sr.body_len, 0,
	    NULL)) != NULL && json_is_object(doc)) {
		free(sr.body);
		return doc;
	}
	json_decref(doc);
	sub_failed(rc, &sr, b->id);
	return NULL;
}

void
api_h_livy_get(struct route_ctx *rc)
{
	struct bpg_db_livy_batch b;
	json_t *st;

	if (!batch_of(rc, &b) || (st = status_of(rc, &b)) == NULL)
		return;
	api_reply_json(rc->resp, 200, batch_json(rc, b.id, b.submission_id,
	    b.owner, b.app_name, bpg_livy_batch_state(api_jstr(st,
	    "applicationState"), b.deleted), api_jstr(st, "sparkApplicationId"),
	    api_jstr(st, "sparkUIUrl")));
	json_decref(st);
}

void
api_h_livy_state(struct route_ctx *rc)
{
	struct bpg_db_livy_batch b;
	json_t *st;

	if (!batch_of(rc, &b) || (st = status_of(rc, &b)) == NULL)
		return;
	api_reply_json(rc->resp, 200, json_pack("{s:I, s:s}", "id",
	    (json_int_t)b.id, "state", bpg_livy_batch_state(api_jstr(st,
	    "applicationState"), b.deleted)));
	json_decref(st);
}

/* ---- GET /batches/{id}/log ------------------------------------------ */

/* The log as /log streams it, caught into a window of lines. */
struct catch {
	struct bpg_livy_log lines;
	int status;
};

static int
catch_head(void *ctx, int status, const char *ctype, const char *headers,
    long long len)
{
	struct catch *c = ctx;

	(void)ctype;
	(void)headers;
	(void)len;
	c->status = status;
	return 0;
}

static int
catch_write(void *ctx, const char *buf, size_t n)
{
	struct catch *c = ctx;

	if (n == 0 || c->status != 200)
		return 0;
	return bpg_livy_log_feed(&c->lines, buf, n);
}

static long
catch_read(void *ctx, char *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

void
api_h_livy_log(struct route_ctx *rc)
{
	struct bpg_db_livy_batch b;
	struct bpg_http_io io = { catch_read, catch_head, catch_write, NULL,
	    NULL };
	struct bpg_http_req req = *rc->req;
	struct bpg_http_resp sr;
	struct route_ctx sub;
	struct catch c;
	int64_t from, size, first;
	json_t *lines, *st;

	if (!batch_of(rc, &b) || !query_num(rc, "from", -1, &from) ||
	    !query_num(rc, "size", BPG_LIVY_LOG_SIZE, &size))
		return;
	/* Those who may not read the batch learn nothing of it (404), as
	 * GET /batches/{id} answers them. */
	if ((st = status_of(rc, &b)) == NULL)
		return;
	json_decref(st);
	memset(&c, 0, sizeof(c));
	bpg_livy_log_init(&c.lines, from, size);
	io.ctx = &c;
	req.io = &io;
	memset(&sr, 0, sizeof(sr));
	memset(&sub, 0, sizeof(sub));
	sub.api = rc->api;
	sub.req = &req;
	sub.resp = &sr;
	sub.user = rc->user;
	/* Read once: a batch's log is a page, never followed. */
	api_log_send(&sub, b.submission_id, "", true, false);
	if (!sr.streamed) {
		sub_failed(rc, &sr, b.id);
		goto out;
	}
	free(sr.body);
	(void)bpg_livy_log_end(&c.lines);
	if (c.lines.oom || (lines = bpg_livy_log_lines(&c.lines, &first)) ==
	    NULL) {
		reply_msg(rc->resp, 500, "out of memory");
		goto out;
	}
	api_reply_json(rc->resp, 200, json_pack("{s:I, s:I, s:I, s:o}", "id",
	    (json_int_t)b.id, "from", (json_int_t)first, "total",
	    (json_int_t)c.lines.total, "log", lines));
out:
	bpg_livy_log_free(&c.lines);
}

/* ---- DELETE /batches/{id} ------------------------------------------- */

void
api_h_livy_delete(struct route_ctx *rc)
{
	struct bpg_db_livy_batch b;
	struct bpg_http_resp sr;
	struct bpg_errinfo ei = { "" };

	if (!batch_of(rc, &b))
		return;

	call_on(rc, b.submission_id, NULL, api_h_delete, &sr);
	if (sr.status >= 200 && sr.status < 300) {
		free(sr.body);
		/* The application is gone: the batch reads killed, unless it
		 * had ended by itself.  Not recorded: it reads as the
		 * application's row says (LOST: dead), nothing worse. */
		if (bpg_db_livy_deleted(rc->api->db, b.id, &ei) != BPG_OK)
			bpg_log(LOG_WARNING, "Livy batch %" PRId64 ": cannot record "
			    "the delete: %s", b.id, ei.msg);
		reply_msg(rc->resp, 200, "deleted");
		return;
	}
	sub_failed(rc, &sr, b.id);
}

/* ---- GET /batches --------------------------------------------------- */

void
api_h_livy_list(struct route_ctx *rc)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_db_livy_batch *rows = NULL;
	json_t *sessions = NULL, *o;
	char *doas = NULL;
	const char *who;
	int64_t from, size, total;
	size_t i, n;

	if (!livy_on(rc) || !need_db(rc) ||
	    (who = acting_user(rc, NULL, &doas)) == NULL ||
	    !query_num(rc, "from", 0, &from) ||
	    !query_num(rc, "size", BPG_LIVY_LIST_SIZE, &size))
		goto out;
	if (size > BPG_LIVY_LIST_MAX_SIZE)
		size = BPG_LIVY_LIST_MAX_SIZE;
	if ((size > 0 && (rows = calloc((size_t)size, sizeof(*rows))) ==
	    NULL) || (sessions = json_array()) == NULL) {
		reply_msg(rc->resp, 500, "out of memory");
		goto out;
	}
	if (bpg_db_livy_list(rc->api->db, who, from, (size_t)size, rows, &n,
	    &total, &ei) != BPG_OK) {
		bpg_log(LOG_ERR, "Livy batches of %s: %s", who, ei.msg);
		reply_msg(rc->resp, 503, "The batches cannot be read now "
		    "(database unavailable); please try again later.");
		goto out;
	}
	/* States as the rows record them (the monitor keeps them). */
	for (i = 0; i < n; i++) {
		o = batch_json(rc, rows[i].id, rows[i].submission_id,
		    rows[i].owner, rows[i].app_name,
		    bpg_livy_batch_state(rows[i].status, rows[i].deleted),
		    rows[i].app_id, NULL);
		if (o == NULL || json_array_append_new(sessions, o) != 0) {
			reply_msg(rc->resp, 500, "out of memory");
			goto out;
		}
	}
	api_reply_json(rc->resp, 200, json_pack("{s:I, s:I, s:O}", "from",
	    (json_int_t)from, "total", (json_int_t)total, "sessions",
	    sessions));
out:
	json_decref(sessions);
	free(rows);
	free(doas);
}
