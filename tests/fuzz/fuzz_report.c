/*
 * libFuzzer target: the query parameters of GET /report and GET
 * /admin/report (lib/bpg_report.c), which come from users.
 *
 * Input: the four parameters from, to, groupBy and format, separated by
 * '\n' (a missing one stays absent).  Besides memory errors and
 * undefined behaviour it checks what the module promises: a refusal says
 * why in printable ASCII; an accepted query has from < to within the
 * span and the table's range, and its whole seconds cover it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2026-12-06T12:00:00Z */
#define NOW_MS 1796558400000LL

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_report_query q;
	struct bpg_errinfo ei;
	char *buf, *field[4] = { NULL, NULL, NULL, NULL }, *p, *nl;
	size_t i;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (i = 0, p = buf; i < 4 && p != NULL; i++) {
		field[i] = p;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		p = nl;
	}
	ei.msg[0] = '\0';
	if (bpg_report_parse(field[0], field[1], field[2], field[3], NOW_MS,
	    &q, &ei) != BPG_OK) {
		if (ei.msg[0] == '\0')
			abort();
		for (i = 0; ei.msg[i] != '\0'; i++)
			if ((unsigned char)ei.msg[i] < 0x20 ||
			    (unsigned char)ei.msg[i] > 0x7e)
				abort();
	} else if (q.to_ms <= q.from_ms ||
	    q.to_ms - q.from_ms > BPG_REPORT_MAX_SPAN_S * 1000 ||
	    q.from_s < BPG_REPORT_MIN_S || q.to_s > BPG_REPORT_MAX_S + 1 ||
	    q.from_s * 1000 < q.from_ms || q.to_s * 1000 < q.to_ms ||
	    q.group >= BPG_REPORT_GROUP__MAX || q.user != NULL)
		abort();
	free(buf);
	return 0;
}
