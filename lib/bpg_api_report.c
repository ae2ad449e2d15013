/*
 * GET /admin/report and GET /report (ours): usage and cost of the
 * submissions created in an interval, from the database (bpg_report.h
 * for the parameters and the answer, bpg_db_report.h for the reads).
 *
 *   ?from=&to=&groupBy=queue|user|cluster|day&format=json|csv
 *
 * /admin/report covers every user's rows and is for adminUsers only (a
 * 403 for others, before the parameters are looked at: it says nothing
 * about them).  /report covers the rows of the caller, byte for byte,
 * and is for any authenticated user.  A bad parameter is a 400 naming
 * it; no database configured is a 409, one that fails a 503.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "bpg_api_report.h"
#include "bpg_api_util.h"
#include "bpg_authz.h"
#include "bpg_db_report.h"
#include "bpg_log.h"
#include "bpg_report.h"

#define FORBIDDEN_TEXT "only adminUsers may see every user's report; " \
	"GET /report shows your own"

static const char *const params[] = { "from", "to", "groupBy", "format" };
#define NPARAMS (sizeof(params) / sizeof(params[0]))

/* Whether query has a parameter `name`, decodable or not. */
static bool
has_param(const char *query, const char *name)
{
	size_t n = strlen(name);
	const char *p = query;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, n) == 0 && (p[n] == '=' || p[n] == '&' ||
		    p[n] == '\0'))
			return true;
		if ((p = strchr(p, '&')) != NULL)
			p++;
	}
	return false;
}

static void
report(struct route_ctx *rc, const char *user)
{
	struct bpg_api *api = rc->api;
	struct bpg_report r = { NULL, 0, 0 };
	struct bpg_report_query q;
	struct bpg_errinfo ei = { "" };
	char *v[NPARAMS] = { NULL, NULL, NULL, NULL }, *csv, text[128];
	size_t i, len;
	enum bpg_err e;

	for (i = 0; i < NPARAMS; i++) {
		if (rc->query == NULL || !has_param(rc->query, params[i]))
			continue;
		if ((v[i] = api_query_param(rc->query, params[i])) == NULL) {
			snprintf(text, sizeof(text), "%s is not a valid "
			    "percent-encoded value", params[i]);
			api_reply_error(rc->resp, 400, WAE, text);
			goto out;
		}
	}
	if ((e = bpg_report_parse(v[0], v[1], v[2], v[3], api_now_ms(), &q,
	    &ei)) != BPG_OK) {
		api_reply_err(rc->resp, e, &ei);
		goto out;
	}
	if (api->db == NULL) {
		api_reply_error(rc->resp, 409, WAE, "Reports need the database "
		    "(dbStorageSOPS): none is configured.");
		goto out;
	}
	q.user = user;
	if ((e = bpg_db_report(api->db, &q, &r, &ei)) != BPG_OK) {
		bpg_log(e == BPG_ETOOBIG ? LOG_INFO : LOG_ERR, "report: %s",
		    ei.msg);
		api_reply_err(rc->resp, e, &ei);
		goto out;
	}
	if (q.format == BPG_REPORT_CSV) {
		csv = bpg_report_csv(&r, &q, api->cfg, &len);
		api_reply_text_n(rc->resp, 200, "text/csv; charset=utf-8", csv,
		    len);
	} else
		api_reply_json(rc->resp, 200, bpg_report_json(&r, &q,
		    api->cfg));
out:
	bpg_report_free(&r);
	for (i = 0; i < NPARAMS; i++)
		free(v[i]);
}

void
api_h_admin_report(struct route_ctx *rc)
{
	if (!bpg_authz_is_admin(rc->api->cfg, rc->user)) {
		bpg_log(LOG_INFO, "admin/report by %s refused", rc->user);
		api_reply_error(rc->resp, 403, WAE, FORBIDDEN_TEXT);
		return;
	}
	report(rc, NULL);
}

void
api_h_report(struct route_ctx *rc)
{
	report(rc, rc->user);
}
