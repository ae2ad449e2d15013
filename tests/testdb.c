/*
 * The unit tests' scratch schema: see testdb.h.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "testdb.h"
#include "testutil.h"

/* The account tests/mariadb.sh makes. */
#define TEST_USER "bpg"
#define TEST_PASSWORD "bpg-test-pw"

static char test_user[] = TEST_USER;
static char test_password[] = TEST_PASSWORD;

static void
vquery(struct tu_db *d, const char *fmt, va_list ap)
{
	char sql[8192];
	int n = vsnprintf(sql, sizeof(sql), fmt, ap);

	ck_assert_msg(n >= 0 && (size_t)n < sizeof(sql), "SQL too long");
	if (mysql_query(d->admin, sql) != 0)
		ck_abort_msg("%s: %s", sql, mysql_error(d->admin));
}

void
tu_db_exec(struct tu_db *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vquery(d, fmt, ap);
	va_end(ap);
	/* A statement with a result (EXPLAIN, ANALYZE) has it dropped. */
	mysql_free_result(mysql_store_result(d->admin));
}

static bool
vfirst(struct tu_db *d, const char *fmt, va_list ap)
{
	MYSQL_RES *res;
	MYSQL_ROW row;
	bool found = false;

	vquery(d, fmt, ap);
	if ((res = mysql_store_result(d->admin)) == NULL)
		ck_abort_msg("no result: %s", mysql_error(d->admin));
	d->out[0] = '\0';
	if ((row = mysql_fetch_row(res)) != NULL && row[0] != NULL) {
		snprintf(d->out, sizeof(d->out), "%s", row[0]);
		found = true;
	}
	mysql_free_result(res);
	return found;
}

const char *
tu_db_str(struct tu_db *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)vfirst(d, fmt, ap);
	va_end(ap);
	return d->out;
}

const char *
tu_db_explain_key(struct tu_db *d, const char *fmt, ...)
{
	char sql[8192] = "EXPLAIN ";
	MYSQL_RES *res;
	MYSQL_ROW row;
	unsigned i, nf;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sql + 8, sizeof(sql) - 8, fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0 && (size_t)n < sizeof(sql) - 8, "SQL too long");
	if (mysql_query(d->admin, sql) != 0 ||
	    (res = mysql_store_result(d->admin)) == NULL)
		ck_abort_msg("%s: %s", sql, mysql_error(d->admin));
	d->out[0] = '\0';
	nf = mysql_num_fields(res);
	if ((row = mysql_fetch_row(res)) != NULL)
		for (i = 0; i < nf; i++)
			if (strcmp(mysql_fetch_field_direct(res, i)->name,
			    "key") == 0 && row[i] != NULL)
				snprintf(d->out, sizeof(d->out), "%s", row[i]);
	mysql_free_result(res);
	return d->out;
}

long long
tu_db_long(struct tu_db *d, const char *fmt, ...)
{
	va_list ap;
	bool found;

	va_start(ap, fmt);
	found = vfirst(d, fmt, ap);
	va_end(ap);
	return found ? strtoll(d->out, NULL, 10) : -1;
}

void
tu_db_open(struct tu_db *d, const char *tag)
{
	unsigned int port = tu_env_port("BPG_TEST_DB_PORT", "mariadb.sh");
	unsigned int proto = MYSQL_PROTOCOL_TCP;
	struct bpg_errinfo ei = { "" };

	memset(d, 0, sizeof(*d));
	snprintf(d->schema, sizeof(d->schema), "bpgt_%s_%ld", tag,
	    (long)getpid());
	snprintf(d->url, sizeof(d->url), "jdbc:mysql://127.0.0.1:%u/bpg?"
	    "connectTimeout=5000&socketTimeout=30000", port);
	d->conf.connection_string = d->url;
	d->conf.user = test_user;
	d->conf.password = test_password;
	d->conf.db_name = d->schema;
	ck_assert_ptr_nonnull(d->admin = mysql_init(NULL));
	mysql_options(d->admin, MYSQL_OPT_PROTOCOL, &proto);
	if (mysql_real_connect(d->admin, "127.0.0.1", TEST_USER, TEST_PASSWORD,
	    NULL, port, NULL, 0) == NULL)
		ck_abort_msg("cannot connect to 127.0.0.1:%u: %s", port,
		    mysql_error(d->admin));
	tu_db_exec(d, "DROP SCHEMA IF EXISTS `%s`", d->schema);
	ck_assert_msg(bpg_db_new(&d->conf, &d->db, &ei) == BPG_OK, "%s",
	    ei.msg);
	ck_assert_msg(bpg_db_connect(d->db, &ei) == BPG_OK, "%s", ei.msg);
}

void
tu_db_close(struct tu_db *d)
{
	bpg_db_free(d->db);
	d->db = NULL;
	tu_db_exec(d, "DROP SCHEMA IF EXISTS `%s`", d->schema);
	mysql_close(d->admin);
	d->admin = NULL;
}
