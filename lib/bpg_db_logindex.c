/*
 * GET /log (S6, S7): which submission an application belongs to, and the
 * log objects of a container from logindex.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysql.h>

#include <jansson.h>

#include "bpg_db_int.h"

static const char *const logindex_sql[ST__MAX] = {
    /* S6; LIMIT 2 tells one row from several. */
    [ST_LOG_SUBMISSION] =
	"SELECT submission_id FROM @DB@.application_submission "
	"WHERE app_id = ? LIMIT 2",
    /* S7, bounded (BPG_DB_MAX_LOG_KEYS). */
    [ST_LOG_KEYS] =
	"SELECT logs3key FROM @DB@.logindex WHERE containerId = ? "
	"ORDER BY logs3key LIMIT 100000",
};

void
db_logindex_sql(struct bpg_db *db)
{
	db_sql_table(db, logindex_sql);
}

/* logindex.logs3key is a VARCHAR(500): up to 4 bytes a character. */
#define DB_MAX_LOG_KEY (500 * 4)

struct app_sub_args {
	char *out;
	size_t outlen;
};

static enum bpg_err
op_log_submission(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct app_sub_args *a = out;
	char id[BPG_DB_MAX_TEXT_FIELD];
	MYSQL_BIND param, res;
	unsigned long plen, len = 0;
	my_bool pnull, null = 0, err = 0;
	MYSQL_STMT *st;
	enum bpg_err e;
	int rc, rows = 0;

	if ((e = db_prepared(db, ST_LOG_SUBMISSION, &st, ei)) != BPG_OK)
		return e;
	db_bind_str(&param, in, &plen, &pnull);
	db_bind_out(&res, MYSQL_TYPE_STRING, id, sizeof(id), &len, &null, &err);
	if ((e = db_stmt_query(db, st, &param, &res,
	    "find submission of application", ei)) != BPG_OK)
		goto out;
	a->out[0] = '\0';
	while ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED) {
		/* Only exactly one row names the submission (S6). */
		if (++rows > 1) {
			a->out[0] = '\0';
			break;
		}
		if (!null && len < sizeof(id) && len < a->outlen) {
			memcpy(a->out, id, len);
			a->out[len] = '\0';
		}
	}
	if (rows <= 1 && rc != MYSQL_NO_DATA)
		e = db_stmt_fail(db, st, "find submission of application", ei);
out:
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_app_submission(struct bpg_db *db, const char *app_id, char *out,
    size_t outlen, struct bpg_errinfo *ei)
{
	struct app_sub_args a = {out, outlen};

	if (db == NULL || out == NULL || outlen == 0)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or buffer");
	out[0] = '\0';
	if (app_id == NULL || app_id[0] == '\0' ||
	    strlen(app_id) > BPG_DB_MAX_TEXT_FIELD)
		return bpg_errf(ei, BPG_EINVAL, "database: bad application ID");
	if (!db->enabled)
		return BPG_OK;
	return db_with_retry(db, op_log_submission, app_id, &a, ei);
}

/* Where a row of ST_LOG_KEYS lands. */
struct key_row {
	char key[DB_MAX_LOG_KEY + 1];
	unsigned long len;
	my_bool null, err;
};

static json_t *
key_row_json(void *ctx, enum bpg_err *e, struct bpg_errinfo *ei)
{
	struct key_row *r = ctx;
	json_t *v;

	/* A cut key would name another object: skip it. */
	if (r->null || r->len >= sizeof(r->key))
		return NULL;
	r->key[r->len] = '\0';
	if ((v = json_stringn(r->key, r->len)) == NULL)
		*e = bpg_errf(ei, BPG_ENOMEM, "database: out of memory");
	return v;
}

static enum bpg_err
op_log_keys(struct bpg_db *db, const void *in, void *out,
    struct bpg_errinfo *ei)
{
	struct key_row r;
	MYSQL_BIND param, res;
	unsigned long plen;
	my_bool pnull;
	MYSQL_STMT *st;
	enum bpg_err e;

	if ((e = db_prepared(db, ST_LOG_KEYS, &st, ei)) != BPG_OK)
		return e;
	r.len = 0;
	r.null = 0;
	r.err = 0;
	db_bind_str(&param, in, &plen, &pnull);
	db_bind_out(&res, MYSQL_TYPE_STRING, r.key, sizeof(r.key), &r.len,
	    &r.null, &r.err);
	if ((e = db_stmt_query(db, st, &param, &res,
	    "read log index", ei)) == BPG_OK)
		e = db_fetch_list(
		    db, st, key_row_json, &r, "read log index", out, ei);
	mysql_stmt_free_result(st);
	return e;
}

enum bpg_err
bpg_db_log_keys(struct bpg_db *db, const char *container_id, json_t **keys,
    struct bpg_errinfo *ei)
{
	if (db == NULL || keys == NULL)
		return bpg_errf(ei, BPG_EINVAL, "database: no handle or list");
	*keys = NULL;
	if (container_id == NULL || container_id[0] == '\0' ||
	    strlen(container_id) > BPG_DB_MAX_TEXT_FIELD)
		return bpg_errf(ei, BPG_EINVAL, "database: bad container ID");
	if (!db->enabled)
		return db_empty_list(keys, ei);
	return db_with_retry(db, op_log_keys, container_id, keys, ei);
}
