/*
 * libFuzzer target: the dryRun query parameter (bpg_dryrun_param), which
 * reads the raw query string of POST /spark.  Besides memory errors, it
 * checks what the parser promises: a refusal says why in printable ASCII
 * only (the value is echoed, so no raw byte of the query may reach the
 * log or the answer), and a refusal never leaves a dry run asked for.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_dryrun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_errinfo ei;
	char *query;
	bool on = true;
	size_t i;

	/* A query string is NUL-terminated: stop at the first NUL. */
	if ((query = malloc(size + 1)) == NULL)
		return 0;
	memcpy(query, data, size);
	query[size] = '\0';
	ei.msg[0] = '\0';
	if (bpg_dryrun_param(query, &on, &ei) != BPG_OK) {
		if (on || ei.msg[0] == '\0' ||
		    memchr(ei.msg, '\0', sizeof(ei.msg)) == NULL)
			abort();
		for (i = 0; ei.msg[i] != '\0'; i++)
			if ((unsigned char)ei.msg[i] < 0x20 ||
			    (unsigned char)ei.msg[i] > 0x7e)
				abort();
	}
	free(query);
	return 0;
}
