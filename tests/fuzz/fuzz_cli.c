/*
 * libFuzzer target: the gateway's answers as bpg reads them (they come
 * from the network): an error body's message (bpg_cli_api_message), a
 * status, and a list of submissions (a {"submissions":[...]} object or
 * NDJSON lines) rendered as a table.  Besides memory errors, it checks
 * what bpg promises a terminal: no control byte of an answer reaches its
 * message or its table.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpg_cli.h"
#include "bpg_cli_out.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
no_controls(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\n') ||
		    s[i] == 0x7f)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct bpg_cli_table *t;
	char msg[600], *text = NULL;
	size_t len = 0;
	json_t *j;
	FILE *f;

	bpg_cli_api_message(p, size, 400, msg, sizeof(msg));
	if (msg[0] == '\0')
		abort();
	no_controls(msg, strlen(msg));

	if ((t = bpg_cli_summary_table()) == NULL)
		return 0;
	j = json_loadb(p, size, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(j) && json_object_get(j, "submissions") != NULL)
		(void)bpg_cli_summary_add(t, json_object_get(j, "submissions"),
		    1700000000000LL);
	else if (j != NULL)
		(void)bpg_cli_summary_add(t, j, 1700000000000LL);
	if ((f = open_memstream(&text, &len)) != NULL) {
		bpg_cli_table_print(t, f);
		if (json_is_object(j))
			bpg_cli_print_status(f, "id", j, 1700000000000LL);
		fclose(f);
		no_controls(text, len);
		free(text);
	}
	json_decref(j);
	bpg_cli_table_free(t);
	return 0;
}
