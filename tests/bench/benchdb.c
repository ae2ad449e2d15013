/* MariaDB as a gateway worker uses it: see benchdb.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchdb.h"

MYSQL *
benchdb_connect(const struct benchdb *d, const char *prog)
{
	unsigned int proto = MYSQL_PROTOCOL_TCP;
	MYSQL *my;

	if ((my = mysql_init(NULL)) == NULL)
		return NULL;
	mysql_options(my, MYSQL_OPT_PROTOCOL, &proto);
	mysql_options(my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(my, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (mysql_real_connect(my, d->host, d->user, d->password, d->db,
	    d->port, NULL, 0) == NULL) {
		fprintf(stderr, "%s: connect: %s\n", prog, mysql_error(my));
		mysql_close(my);
		return NULL;
	}
	return my;
}

MYSQL_STMT *
benchdb_prepare_insert(MYSQL *my, const struct benchdb *d, const char *prog)
{
	MYSQL_STMT *st;
	char sql[512];

	snprintf(sql, sizeof(sql),
	    "INSERT INTO `%s`.application_submission (submission_id, `user`, "
	    "spark_version, request_body, queue, app_name, "
	    "bpg_request_summary) VALUES (?, ?, ?, ?, ?, ?, ?) "
	    "ON DUPLICATE KEY UPDATE `user` = ?, spark_version = ?, "
	    "request_body = ?, queue = ?, app_name = ?, "
	    "bpg_request_summary = ?", d->db);
	if ((st = mysql_stmt_init(my)) == NULL ||
	    mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)) != 0) {
		fprintf(stderr, "%s: prepare: %s\n", prog, mysql_error(my));
		if (st != NULL)
			mysql_stmt_close(st);
		return NULL;
	}
	return st;
}

int
benchdb_insert(MYSQL_STMT *st, const char *id, const char *body,
    const char *summary)
{
	const char *v[7] = { id, "alice", "3.5.0", body, "dev", "SparkPiDemo",
		summary };
	unsigned long len[7];
	MYSQL_BIND b[13];
	int i, k;

	for (i = 0; i < 7; i++)
		len[i] = (unsigned long)strlen(v[i]);
	/* Columns 1-7, then the 6 of the update (all but the key). */
	for (i = 0; i < 13; i++) {
		k = i < 7 ? i : i - 6;
		memset(&b[i], 0, sizeof(b[i]));
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = (void *)(uintptr_t)v[k];
		b[i].buffer_length = len[k];
		b[i].length = &len[k];
	}
	if (mysql_stmt_bind_param(st, b) != 0 || mysql_stmt_execute(st) != 0)
		return -1;
	return 0;
}

void
benchdb_read_text(const char *prog, const char *path, char *buf)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		exit(1);
	}
	n = fread(buf, 1, BENCHDB_MAX_TEXT, f);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	fclose(f);
}
