/*
 * The notifications given up on, for the admins' view
 * (bpg_db_notify_failed(), bpg_db_notify.h).
 *
 * The outbox's index bpg_outbox_due (state, next_ms) serves the query:
 * the failed rows only, read backwards.  The time shown is the last
 * attempt's, from the delivery log (its index on submission_id).
 */
#include <stdio.h>
#include <string.h>

#include <mysql.h>

#include <jansson.h>

#include "bpg_db_int.h"
#include "bpg_db_notify.h"
#include "bpg_notify.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static const char *const failed_sql[ST__MAX] = {
    [ST_NTF_FAILED] =
	"SELECT o.event_id, o.submission_id, o.url, o.attempts, "
	"o.last_status, o.last_error, (SELECT MAX(d.time_ms) FROM "
	"@DB@.bpg_notify_delivery d WHERE d.submission_id = o.submission_id "
	"AND d.event_id = o.event_id) FROM @DB@.bpg_notify_outbox o "
	"WHERE o.state = 'failed' ORDER BY o.next_ms DESC "
	"LIMIT " XSTR(BPG_DB_NOTIFY_MAX_FAILED),
};

void
db_notify_failed_sql(struct bpg_db *db)
{
	db_sql_table(db, failed_sql);
}

struct failed_row {
	char event_id[BPG_DB_NOTIFY_MAX_EVENT_ID + 1];
	char sub[256]; /* VARCHAR(255) */
	char url[BPG_NOTIFY_MAX_URL + 1];
	char error[BPG_DB_NOTIFY_MAX_ERROR + 1];
	long long attempts, status, time;
	unsigned long len[7];
	my_bool null[7], err[7];
};

static void
fetched(char *buf, size_t size, unsigned long len, my_bool null)
{
	if (null)
		len = 0;
	if (len >= size)
		len = size - 1;
	buf[len] = '\0';
}

/*
 * The host (and port) of url into out: what lies between "://" and the
 * next '/', '?' or '#', without any user part.  "" when it has none.
 */
static void
host_of(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://"), *end, *at;
	size_t n;

	out[0] = '\0';
	if (p == NULL)
		return;
	p += 3;
	end = p + strcspn(p, "/?#");
	if ((at = memchr(p, '@', (size_t)(end - p))) != NULL)
		p = at + 1;
	n = (size_t)(end - p);
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* The submission's state an event told: "<id>.<state>.<receiver>". */
static void
state_of(const char *event_id, char *out, size_t size)
{
	const char *a = strchr(event_id, '.'), *b;
	size_t n;

	out[0] = '\0';
	if (a == NULL || (b = strchr(a + 1, '.')) == NULL)
		return;
	n = (size_t)(b - a - 1);
	if (n >= size)
		n = size - 1;
	memcpy(out, a + 1, n);
	out[n] = '\0';
}

static json_t *
failed_row(void *ctx, enum bpg_err *e, struct bpg_errinfo *ei)
{
	struct failed_row *r = ctx;
	char host[BPG_NOTIFY_MAX_HOST + 8], state[32];
	json_t *v;

	fetched(r->event_id, sizeof(r->event_id), r->len[0], r->null[0]);
	fetched(r->sub, sizeof(r->sub), r->len[1], r->null[1]);
	fetched(r->url, sizeof(r->url), r->len[2], r->null[2]);
	fetched(r->error, sizeof(r->error), r->len[5], r->null[5]);
	host_of(r->url, host, sizeof(host));
	state_of(r->event_id, state, sizeof(state));
	v = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o}",
	    "submissionId", r->sub, "eventId", r->event_id, "state", state,
	    "host", host, "attempts", (json_int_t)r->attempts,
	    "lastStatusCode", r->null[4] ? json_null() :
	    json_integer(r->status),
	    "lastError", r->null[5] ? json_null() : json_string(r->error),
	    "time", r->null[6] ? json_null() : json_integer(r->time));
	if (v == NULL)
		*e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return v;
}

static enum bpg_err
op_failed(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	json_t **o = out, *list = NULL;
	struct failed_row r;
	MYSQL_BIND res[7];
	MYSQL_STMT *st;
	enum bpg_err e;

	(void)in;
	memset(&r, 0, sizeof(r));
	if ((e = db_prepared(db, ST_NTF_FAILED, &st, ei)) != BPG_OK)
		return e;
	db_bind_out(&res[0], MYSQL_TYPE_STRING, r.event_id,
	    sizeof(r.event_id), &r.len[0], &r.null[0], &r.err[0]);
	db_bind_out(&res[1], MYSQL_TYPE_STRING, r.sub, sizeof(r.sub),
	    &r.len[1], &r.null[1], &r.err[1]);
	db_bind_out(&res[2], MYSQL_TYPE_STRING, r.url, sizeof(r.url),
	    &r.len[2], &r.null[2], &r.err[2]);
	db_bind_out(&res[3], MYSQL_TYPE_LONGLONG, &r.attempts, 0, &r.len[3],
	    &r.null[3], &r.err[3]);
	db_bind_out(&res[4], MYSQL_TYPE_LONGLONG, &r.status, 0, &r.len[4],
	    &r.null[4], &r.err[4]);
	db_bind_out(&res[5], MYSQL_TYPE_STRING, r.error, sizeof(r.error),
	    &r.len[5], &r.null[5], &r.err[5]);
	db_bind_out(&res[6], MYSQL_TYPE_LONGLONG, &r.time, 0, &r.len[6],
	    &r.null[6], &r.err[6]);
	if ((e = db_stmt_query(db, st, NULL, res, "failed notifications",
	    ei)) != BPG_OK)
		return e;
	e = db_fetch_list(db, st, failed_row, &r, "failed notifications",
	    &list, ei);
	mysql_stmt_free_result(st);
	if (e != BPG_OK)
		return e;
	if ((*o = json_pack("{s:o}", "notifications", list)) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

enum bpg_err
bpg_db_notify_failed(struct bpg_db *db, json_t **out, struct bpg_errinfo *ei)
{
	*out = NULL;
	if (db == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle");
	if (!db->enabled) {
		*out = json_pack("{s:[]}", "notifications");
		return *out != NULL ? BPG_OK :
		    bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	return db_with_retry(db, op_failed, NULL, out, ei);
}
