/*
 * libFuzzer target: the JDBC URL parser (bpg_db_parse_url), which reads
 * dbStorageSOPS.connectionString.  Besides memory errors, it checks what
 * the parser promises on success.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_db_url u;
	struct bpg_errinfo ei;
	size_t i, n;

	ei.msg[0] = '\0';
	if (bpg_db_parse_url((const char *)data, size, &u, &ei) != BPG_OK) {
		/* A message, NUL-terminated, naming no raw input byte. */
		if (ei.msg[0] == '\0' ||
		    memchr(ei.msg, '\0', sizeof(ei.msg)) == NULL)
			abort();
		return 0;
	}
	/* One host at least, each named, each with a port. */
	if (u.nhosts < 1 || u.nhosts > BPG_DB_MAX_HOSTS)
		abort();
	for (i = 0; i < u.nhosts; i++) {
		n = strnlen(u.hosts[i].host, sizeof(u.hosts[i].host));
		if (n == 0 || n == sizeof(u.hosts[i].host))
			abort();
		if (u.hosts[i].port < 1 || u.hosts[i].port > 65535)
			abort();
	}
	if (strnlen(u.database, sizeof(u.database)) == sizeof(u.database))
		abort();
	if (u.connect_timeout_ms < -1 || u.socket_timeout_ms < -1)
		abort();
	if ((unsigned)u.ssl_mode >= BPG_DB_SSL__MAX)
		abort();
	return 0;
}
