/*
 * libFuzzer target: cron expressions and time zone names of schedules
 * (lib/bpg_cron.c), which come from users.
 *
 * Input: byte 0 chooses what is fuzzed.  '!': the rest is a zone name
 * for bpg_cron_zone_n().  Else byte 0 picks a zone of zones[], bytes 1-5
 * a time t (big-endian, modulo the last one handled) and the rest is the
 * expression.  Besides memory errors and undefined behaviour it checks
 * what the module promises: a refusal says why in printable ASCII and
 * leaves the result untouched; a next fire time lies after t, shows a
 * matching wall-clock minute, is the only fire in (t, next], and no
 * minute before it (near enough to try them all) matches; "@every" fires
 * on its anchor's grid.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_cron.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* UTC, the two of the tests, 30-minute DST, a +05:45 offset, and a zone
 * whose midnight a DST change skipped. */
static const char *const zones[] = { "UTC", "Europe/Berlin",
	"America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu",
	"America/Sao_Paulo" };

static void
check_msg(const struct bpg_errinfo *ei)
{
	size_t i;

	if (ei->msg[0] == '\0' || memchr(ei->msg, '\0', sizeof(ei->msg)) ==
	    NULL)
		abort();
	for (i = 0; ei->msg[i] != '\0'; i++)
		if ((unsigned char)ei->msg[i] < 0x20 ||
		    (unsigned char)ei->msg[i] > 0x7e)
			abort();
}

static void
zone_name(const uint8_t *data, size_t size)
{
	struct bpg_errinfo ei;
	struct bpg_cron c, before;

	memset(&c, 0, sizeof(c));
	memcpy(c.zone, "UTC", 4);
	before = c;
	ei.msg[0] = '\0';
	if (bpg_cron_zone_n(&c, (const char *)data, size, &ei) != BPG_OK) {
		check_msg(&ei);
		if (memcmp(&c, &before, sizeof(c)) != 0)
			abort();
		return;
	}
	/* Accepted: a plain name, never a path out of the zone directory. */
	if (size == 0 || size > BPG_CRON_TZ_MAX || data[0] == '/' ||
	    memmem(data, size, "..", 2) != NULL ||
	    strlen(c.zone) != size || memcmp(c.zone, data, size) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_errinfo ei;
	struct bpg_cron c, before;
	const char *zone;
	time_t t = 0, anchor, next, after, out[2];
	size_t i, n;
	bool more;
	int64_t span, u;

	if (size < 1)
		return 0;
	if (data[0] == '!') {
		zone_name(data + 1, size - 1);
		return 0;
	}
	if (size < 6)
		return 0;
	zone = zones[data[0] % (sizeof(zones) / sizeof(zones[0]))];
	for (i = 1; i < 6; i++)
		t = t << 8 | data[i];
	t %= BPG_CRON_TIME_MAX + 1;
	anchor = t / 2;
	memset(&c, 0x5a, sizeof(c));
	before = c;
	ei.msg[0] = '\0';
	if (bpg_cron_parse_n(&c, (const char *)data + 6, size - 6, &ei) !=
	    BPG_OK) {
		check_msg(&ei);
		if (memcmp(&c, &before, sizeof(c)) != 0)
			abort();
		return 0;
	}
	if (size - 6 > BPG_CRON_MAX_LEN)
		abort();
	if (bpg_cron_zone_n(&c, zone, strlen(zone), &ei) != BPG_OK)
		return 0;	/* a system without that zone */
	switch (bpg_cron_next(&c, anchor, t, &next)) {
	case BPG_OK:
		break;
	case BPG_ENOTFOUND:
		/* Only near the end of time: a valid expression fires
		 * within the search's years, "@every" within its period. */
		if (c.every ? t + c.period_s <= BPG_CRON_TIME_MAX :
		    t < BPG_CRON_TIME_MAX - 10 * 366 * 86400LL)
			abort();
		return 0;
	default:
		abort();
	}
	if (next <= t || next > BPG_CRON_TIME_MAX)
		abort();
	if (c.every) {
		if ((next - anchor) % c.period_s != 0 ||
		    next - t > c.period_s)
			abort();
	} else if (!bpg_cron_matches(&c, next))
		abort();
	/* (t, next] holds next only. */
	if (bpg_cron_list(&c, anchor, t, next, out, 2, &n, &more) != BPG_OK ||
	    n != 1 || more || out[0] != next)
		abort();
	/* No earlier minute matches (tried where that is quick). */
	span = strcmp(zone, "UTC") == 0 ? 2 * 86400 : 3 * 3600;
	if (!c.every && next - t <= span)
		for (u = t + 60 - t % 60; u < next; u += 60)
			if (bpg_cron_matches(&c, (time_t)u))
				abort();
	/* The one after is later still. */
	if (bpg_cron_next(&c, anchor, next, &after) == BPG_OK && after <= next)
		abort();
	return 0;
}
