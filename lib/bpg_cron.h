/*
 * Cron expressions and time zones of schedules: parsing with errors that
 * name the field and the bad token, and fire times computed from a given
 * time (never the machine's clock).
 *
 * Syntax (README "Cron expressions"): the standard 5 fields
 * "minute hour day-of-month month day-of-week" with '*', '?' (day fields,
 * as '*'), numbers, names (jan-dec, sun-sat, any case), ranges "a-b",
 * steps "*\/n", "a-b/n" and "a/n" (a to the field's end), lists
 * "x,y,z"; 0 and 7 are Sunday.  The shortcuts @yearly (@annually),
 * @monthly, @weekly, @daily (@midnight), @hourly, and "@every <d>" with a
 * Go duration (time.ParseDuration: "30s", "1m30s", "1.5h") of whole
 * seconds from BPG_CRON_EVERY_MIN_S to BPG_CRON_EVERY_MAX_S.
 *
 * Semantics are those of robfig/cron v3 (Kubernetes CronJob):
 * - When day-of-month and day-of-week are both restricted, a day matches
 *   if either does; a field is unrestricted when it is '*', '?' or "*\/1"
 *   ("*\/2" restricts it, unlike Vixie cron).
 * - A schedule fires at every instant at which the wall clock of its zone
 *   shows a matching minute (second 0).  So a local time skipped by a
 *   spring-forward does not fire that day (02:30 in New York on the
 *   second Sunday of March: the next fire is a day later), and one
 *   repeated by a fall-back fires twice (01:30 in New York on the first
 *   Sunday of November: at 01:30 EDT and again at 01:30 EST).
 * - "@every d" fires at anchor + k*d, k >= 1, whatever the zone: the
 *   anchor is the schedule's own time (when it was made or last changed),
 *   not the wall clock.
 *
 * Time zones: "UTC", or an IANA name (letters, digits, '_', '-', '+',
 * '/'-separated) whose file under $TZDIR (default /usr/share/zoneinfo)
 * is a TZif file.  Computing in a zone other than UTC sets TZ to it,
 * calls tzset() and restores the previous TZ before returning, all in
 * one place of bpg_cron.c: the functions that take a zone are not
 * thread-safe and must not run beside anything else that reads local
 * time.  The gateway's workers and the monitor are single-threaded.
 * glibc reads a zone file it cannot load as UTC, silently: a caller
 * that keeps a struct bpg_cron for long checks its zone again
 * (bpg_cron_zone_n()) when it loads it anew.
 *
 * Times are seconds since the epoch, from 0 to BPG_CRON_TIME_MAX.
 */
#ifndef BPG_CRON_H
#define BPG_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bpg_err.h"
#include "bpg_limits.h"	/* BPG_CRON_MAX_LEN, BPG_CRON_TZ_MAX, ... */

/* Latest time handled: 9999-12-31T23:59:59Z. */
#define BPG_CRON_TIME_MAX ((int64_t)253402300799)
/*
 * How far the search for a next fire goes, in years: a valid expression
 * fires at least every 8 years (29 February, across 2100).
 */
#define BPG_CRON_SEARCH_YEARS 9

/* A parsed expression and its zone: a plain value, no heap. */
struct bpg_cron {
	bool every;		/* "@every": period_s; else the fields */
	int64_t period_s;
	uint64_t minute;	/* bit n: minute n matches */
	uint32_t hour;
	uint32_t dom;		/* bits 1-31 */
	uint16_t month;		/* bits 1-12 */
	uint8_t dow;		/* bits 0-6, 0 Sunday */
	bool dom_star, dow_star; /* unrestricted, for the either rule */
	char zone[BPG_CRON_TZ_MAX + 1]; /* "UTC" or an IANA name */
};

/*
 * Parses expr[0..n) into *c and sets its zone to UTC.  BPG_EINVAL with a
 * message in ei ("cron: field 'hour': value 24 out of range 0-23") when
 * it is malformed, longer than BPG_CRON_MAX_LEN, or never fires ("0 0 30 2
 * *"); the message shows bad bytes only as printable ASCII.  expr may
 * hold any bytes (no NUL needed); nothing is allocated.
 */
enum bpg_err bpg_cron_parse_n(struct bpg_cron *c, const char *expr,
    size_t n, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Checks the zone name tz[0..n) and sets it as c's zone.  "UTC" is
 * always known; any other name must be an IANA name (no "..", no leading
 * '/', no byte outside [A-Za-z0-9_+-/]) of a readable regular TZif file
 * under $TZDIR or /usr/share/zoneinfo.  BPG_EINVAL ("timezone: unknown
 * time zone 'Mars/Olympus'") else, c unchanged.
 */
enum bpg_err bpg_cron_zone_n(struct bpg_cron *c, const char *tz, size_t n,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * The first fire time of c strictly after t, in *next; anchor is the
 * schedule's anchor ("@every" only, else unused).  BPG_EINVAL when t or
 * anchor is outside 0..BPG_CRON_TIME_MAX, or c is no struct that
 * bpg_cron_parse_n() and bpg_cron_zone_n() made; BPG_ENOTFOUND when there is
 * none within BPG_CRON_SEARCH_YEARS or before BPG_CRON_TIME_MAX;
 * BPG_ENOMEM when the previous TZ cannot be saved.
 */
enum bpg_err bpg_cron_next(const struct bpg_cron *c, time_t anchor,
    time_t t, time_t *next) BPG_WUR;

/*
 * The fire times in (a, b], earliest first: at most cap of them into
 * out[], their number in *n; *more (may be NULL) tells whether more lie
 * in (out[cap - 1], b].  For missed fires after a downtime: a caller
 * keeping only those within a deadline passes a = max(a, b - deadline)
 * and counts the rest with another call.  Errors as bpg_cron_next();
 * BPG_ENOTFOUND is no error here (none in the interval).
 */
enum bpg_err bpg_cron_list(const struct bpg_cron *c, time_t anchor,
    time_t a, time_t b, time_t *out, size_t cap, size_t *n, bool *more)
    BPG_WUR;

/*
 * Whether the wall clock of c's zone at t shows a minute c fires at (at
 * second 0).  Fields only; false for "@every" and for t out of range.
 */
bool bpg_cron_matches(const struct bpg_cron *c, time_t t);

#endif
