/*
 * Tests for lib/bpg_cron.c: cron expressions, zones and fire times.
 * Every time is passed in; nothing reads the machine's clock except the
 * timing of test_timing, which is printed, never asserted.  The rows of
 * test_robfig are robfig/cron v3's spec_test.go TestNext cases, the
 * seconds field dropped (the behaviour of Kubernetes CronJob).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "bpg_cron.h"
#include "testutil.h"

/* "2012-03-11T00:00:00-0500", "...Z" or "...+0100" as seconds. */
static time_t
iso(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, n = 0;
	char sign = 'Z';

	memset(&tm, 0, sizeof(tm));
	ck_assert_msg(sscanf(s, "%d-%d-%dT%d:%d:%d%n", &y, &mo, &d, &h, &mi,
	    &sec, &n) == 6, "bad test time %s", s);
	if (s[n] == '+' || s[n] == '-') {
		sign = s[n];
		ck_assert_msg(sscanf(s + n + 1, "%2d%2d", &oh, &om) == 2,
		    "bad test offset %s", s);
	} else
		ck_assert_msg(strcmp(s + n, "Z") == 0, "bad test zone %s", s);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	return timegm(&tm) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
}

static const char *
utc(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static struct bpg_cron
parse(const char *expr, const char *zone)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_cron c;

	ck_assert_msg(bpg_cron_parse_n(&c, expr, strlen(expr), &ei) == BPG_OK,
	    "%s: %s", expr, ei.msg);
	if (zone != NULL)
		ck_assert_msg(bpg_cron_zone_n(&c, zone, strlen(zone), &ei) ==
		    BPG_OK, "%s: %s", zone, ei.msg);
	return c;
}

/* ---- parsing ---------------------------------------------------------- */

static const struct {
	const char *expr;
	uint64_t minute;
	uint32_t hour, dom;
	uint16_t month;
	uint8_t dow;
	bool dom_star, dow_star;
} good[] = {
	{ "0 2 * * *", 1, 1 << 2, 0xfffffffe, 0x1ffe, 0x7f, true, true },
	{ "  0\t2 * *  *  ", 1, 1 << 2, 0xfffffffe, 0x1ffe, 0x7f, true, true },
	{ "@hourly", 1, 0xffffff, 0xfffffffe, 0x1ffe, 0x7f, true, true },
	{ "@Daily", 1, 1, 0xfffffffe, 0x1ffe, 0x7f, true, true },
	{ "@midnight", 1, 1, 0xfffffffe, 0x1ffe, 0x7f, true, true },
	{ "@weekly", 1, 1, 0xfffffffe, 0x1ffe, 1, true, false },
	{ "@monthly", 1, 1, 1 << 1, 0x1ffe, 0x7f, false, true },
	{ "@yearly", 1, 1, 1 << 1, 1 << 1, 0x7f, false, true },
	{ "@annually", 1, 1, 1 << 1, 1 << 1, 0x7f, false, true },
	/* 0 and 7 are Sunday, names in any case. */
	{ "0 0 * * 7", 1, 1, 0xfffffffe, 0x1ffe, 1, true, false },
	{ "0 0 * * SUN", 1, 1, 0xfffffffe, 0x1ffe, 1, true, false },
	{ "0 0 * * 5-7", 1, 1, 0xfffffffe, 0x1ffe, 0x61, true, false },
	{ "0 0 * * Mon-fri", 1, 1, 0xfffffffe, 0x1ffe, 0x3e, true, false },
	{ "0 0 * * */2", 1, 1, 0xfffffffe, 0x1ffe, 0x55, true, false },
	{ "0 0 1 JAN-mar/2 *", 1, 1, 1 << 1, 0xa, 0x7f, false, true },
	/* "a/n" is "a-<end>/n" (robfig). */
	{ "5/15 * * * *", 1ULL << 5 | 1ULL << 20 | 1ULL << 35 | 1ULL << 50,
	    0xffffff, 0xfffffffe, 0x1ffe, 0x7f, true, true },
	{ "1,3-4,10-20/5 * * * *", 1ULL << 1 | 1ULL << 3 | 1ULL << 4 |
	    1ULL << 10 | 1ULL << 15 | 1ULL << 20, 0xffffff, 0xfffffffe,
	    0x1ffe, 0x7f, true, true },
	/* '?' and "*\/1" leave a day field unrestricted, "*\/2" does not. */
	{ "0 0 ? * 1", 1, 1, 0xfffffffe, 0x1ffe, 2, true, false },
	{ "0 0 */1 * 1", 1, 1, 0xfffffffe, 0x1ffe, 2, true, false },
	{ "0 0 */2 * 1", 1, 1, 0xaaaaaaaa, 0x1ffe, 2, false, false },
	{ "0 0 * * ?", 1, 1, 0xfffffffe, 0x1ffe, 0x7f, true, true },
	{ "007 23 31 12 6", 1 << 7, 1 << 23, 1U << 31, 1 << 12, 1 << 6, false,
	    false },
	{ "59 0-23/23 1-31 1-12 0-7", 1ULL << 59, 1 | 1 << 23, 0xfffffffe,
	    0x1ffe, 0x7f, false, false },
	/* Never fires unless either day rule helps. */
	{ "0 0 30 2 mon", 1, 1, 1 << 30, 1 << 2, 2, false, false },
	{ "0 0 31 4,5 *", 1, 1, 1U << 31, 0x30, 0x7f, false, true },
	{ "0 0 29 2 *", 1, 1, 1 << 29, 1 << 2, 0x7f, false, true },
};

START_TEST(test_good)
{
	struct bpg_cron c = parse(good[_i].expr, NULL);

	ck_assert_msg(!c.every, "%s", good[_i].expr);
	ck_assert_msg(c.minute == good[_i].minute, "%s: minute %llx",
	    good[_i].expr, (unsigned long long)c.minute);
	ck_assert_msg(c.hour == good[_i].hour, "%s: hour %x", good[_i].expr,
	    c.hour);
	ck_assert_msg(c.dom == good[_i].dom, "%s: dom %x", good[_i].expr,
	    c.dom);
	ck_assert_msg(c.month == good[_i].month, "%s: month %x",
	    good[_i].expr, c.month);
	ck_assert_msg(c.dow == good[_i].dow, "%s: dow %x", good[_i].expr,
	    c.dow);
	ck_assert_msg(c.dom_star == good[_i].dom_star &&
	    c.dow_star == good[_i].dow_star, "%s: stars", good[_i].expr);
	ck_assert_str_eq(c.zone, "UTC");
}
END_TEST

static const struct {
	const char *expr;
	int64_t period;
} every[] = {
	{ "@every 30s", 30 },
	{ "@every 1m30s", 90 },
	{ "@every 2h", 7200 },
	{ "@every 1.5m", 90 },
	{ "@every 1h0m10s", 3610 },
	{ "@every 10s", 10 },
	{ "@EVERY\t10s ", 10 },
	{ "@every 10000ms", 10 },
	{ "@every 10000000us", 10 },
	{ "@every 10000000\xc2\xb5s", 10 },
	{ "@every 10000000\xce\xbcs", 10 },
	{ "@every 10000000000ns", 10 },
	{ "@every 0.25h", 900 },
	{ "@every 10.000000000s", 10 },
	{ "@every 1.s", -1 },	/* Go takes "1.s"; below the minimum here */
	{ "@every 8760h", 8760 * 3600 },
	{ "@every 525600m", 8760 * 3600 },
	{ "@every 1s1s1s1s1s1s1s1s1s1s", 10 },
};

START_TEST(test_every)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_cron c;
	enum bpg_err e;

	e = bpg_cron_parse_n(&c, every[_i].expr, strlen(every[_i].expr), &ei);
	if (every[_i].period < 0) {
		ck_assert_msg(e == BPG_EINVAL, "%s", every[_i].expr);
		return;
	}
	ck_assert_msg(e == BPG_OK, "%s: %s", every[_i].expr, ei.msg);
	ck_assert_msg(c.every && c.period_s == every[_i].period, "%s: %lld",
	    every[_i].expr, (long long)c.period_s);
}
END_TEST

#define NEVER "cron: never fires: no month of field 'month' has a day of " \
	"field 'day-of-month'"

static const struct {
	const char *expr, *msg;
} bad[] = {
	{ "", "cron: empty expression" },
	{ " \t ", "cron: empty expression" },
	{ "* * * *", "cron: expected 5 fields (minute hour day-of-month month "
	    "day-of-week), got 4" },
	{ "0 * * * * *", "cron: expected 5 fields (minute hour day-of-month "
	    "month day-of-week), got 6" },
	{ "60 * * * *", "cron: field 'minute': value 60 out of range 0-59" },
	{ "* 24 * * *", "cron: field 'hour': value 24 out of range 0-23" },
	{ "* * 0 * *", "cron: field 'day-of-month': value 0 out of range "
	    "1-31" },
	{ "* * 32 * *", "cron: field 'day-of-month': value 32 out of range "
	    "1-31" },
	{ "* * * 0 *", "cron: field 'month': value 0 out of range 1-12" },
	{ "* * * 13 *", "cron: field 'month': value 13 out of range 1-12" },
	{ "* * * * 8", "cron: field 'day-of-week': value 8 out of range 0-7" },
	{ "99999999999999999999 * * * *", "cron: field 'minute': value "
	    "99999999999999999999 out of range 0-59" },
	{ "0 1-24 * * *", "cron: field 'hour': value 24 out of range 0-23" },
	{ "x * * * *", "cron: field 'minute': bad token 'x'" },
	{ "jan * * * *", "cron: field 'minute': bad token 'jan'" },
	{ "* * * foo *", "cron: field 'month': bad token 'foo'" },
	{ "* * * january *", "cron: field 'month': bad token 'january'" },
	{ "* * * * mon-", "cron: field 'day-of-week': bad token 'mon-'" },
	{ "-1 * * * *", "cron: field 'minute': bad token '-1'" },
	{ "1-2-3 * * * *", "cron: field 'minute': bad token '1-2-3'" },
	{ "? * * * *", "cron: field 'minute': bad token '?'" },
	{ "* * * ? *", "cron: field 'month': bad token '?'" },
	{ "** * * * *", "cron: field 'minute': bad token '**'" },
	{ "*/x * * * *", "cron: field 'minute': bad token '*/x'" },
	{ "*/ * * * *", "cron: field 'minute': bad token '*/'" },
	{ "*/5/2 * * * *", "cron: field 'minute': bad token '*/5/2'" },
	{ "1\x01 * * * *", "cron: field 'minute': bad token '1\\x01'" },
	{ "'\\ * * * *", "cron: field 'minute': bad token '\\x27\\x5c'" },
	{ "5-2 * * * *", "cron: field 'minute': range '5-2' starts after it "
	    "ends" },
	{ "* * * * fri-mon", "cron: field 'day-of-week': range 'fri-mon' "
	    "starts after it ends" },
	{ "*/0 * * * *", "cron: field 'minute': step 0 out of range 1-60" },
	{ "*/61 * * * *", "cron: field 'minute': step 61 out of range 1-60" },
	{ "* */25 * * *", "cron: field 'hour': step 25 out of range 1-24" },
	{ "* * * * */8", "cron: field 'day-of-week': step 8 out of range "
	    "1-7" },
	{ "1,,2 * * * *", "cron: field 'minute': empty list item" },
	{ "1, * * * *", "cron: field 'minute': empty list item" },
	{ "* * * * ,", "cron: field 'day-of-week': empty list item" },
	{ "0 0 30 2 *", NEVER },
	{ "0 0 30 2 ?", NEVER },
	{ "0 0 31 2,4,6,9,11 *", NEVER },
	{ "0 0 30-31 feb *", NEVER },
	{ "@foo", "cron: unknown shortcut '@foo' (@yearly, @annually, "
	    "@monthly, @weekly, @daily, @midnight, @hourly, @every "
	    "<duration>)" },
	{ "@", "cron: unknown shortcut '@' (@yearly, @annually, @monthly, "
	    "@weekly, @daily, @midnight, @hourly, @every <duration>)" },
	{ "@every1m", "cron: unknown shortcut '@every1m' (@yearly, "
	    "@annually, @monthly, @weekly, @daily, @midnight, @hourly, @every "
	    "<duration>)" },
	{ "@daily 0", "cron: unexpected '0' after '@daily'" },
	{ "TZ=UTC 0 * * * *", "cron: expected 5 fields (minute hour "
	    "day-of-month month day-of-week), got 6" },
	{ "@every", "cron: field '@every': missing duration" },
	{ "@every ", "cron: field '@every': missing duration" },
	{ "@every 1s", "cron: field '@every': duration '1s' is below the "
	    "minimum of 10s" },
	{ "@every 9s", "cron: field '@every': duration '9s' is below the "
	    "minimum of 10s" },
	{ "@every 9999ms", "cron: field '@every': duration '9999ms' is below "
	    "the minimum of 10s" },
	{ "@every 0", "cron: field '@every': duration '0' is below the "
	    "minimum of 10s" },
	{ "@every 0s", "cron: field '@every': duration '0s' is below the "
	    "minimum of 10s" },
	{ "@every 10.5s", "cron: field '@every': duration '10.5s' is not a "
	    "whole number of seconds" },
	{ "@every 10s1ns", "cron: field '@every': duration '10s1ns' is not a "
	    "whole number of seconds" },
	{ "@every 10.0000000001s", "cron: field '@every': duration "
	    "'10.0000000001s' is not a whole number of seconds" },
	{ "@every 8760h1s", "cron: field '@every': duration '8760h1s' is "
	    "above the maximum of 8760h" },
	{ "@every 99999999999999999999999h", "cron: field '@every': duration "
	    "'99999999999999999999999h' is above the maximum of 8760h" },
	{ "@every 18446744073709551617ns", "cron: field '@every': duration "
	    "'18446744073709551617ns' is above the maximum of 8760h" },
	{ "@every 10", "cron: field '@every': bad duration '10' (a Go "
	    "duration such as 30s, 1m30s or 2h)" },
	{ "@every 10x", "cron: field '@every': bad duration '10x' (a Go "
	    "duration such as 30s, 1m30s or 2h)" },
	{ "@every -10s", "cron: field '@every': bad duration '-10s' (a Go "
	    "duration such as 30s, 1m30s or 2h)" },
	{ "@every +10s", "cron: field '@every': bad duration '+10s' (a Go "
	    "duration such as 30s, 1m30s or 2h)" },
	{ "@every .s", "cron: field '@every': bad duration '.s' (a Go "
	    "duration such as 30s, 1m30s or 2h)" },
	{ "@every 1d", "cron: field '@every': bad duration '1d' (a Go "
	    "duration such as 30s, 1m30s or 2h)" },
	{ "@every 10S", "cron: field '@every': bad duration '10S' (a Go "
	    "duration such as 30s, 1m30s or 2h)" },
	{ "@every 1 h", "cron: field '@every': one duration expected, got "
	    "'1 h'" },
};

START_TEST(test_bad)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_cron c;

	memset(&c, 0x5a, sizeof(c));
	ck_assert_msg(bpg_cron_parse_n(&c, bad[_i].expr, strlen(bad[_i].expr),
	    &ei) == BPG_EINVAL, "row %d accepted: %s", _i, bad[_i].expr);
	ck_assert_msg(strcmp(ei.msg, bad[_i].msg) == 0,
	    "row %d: got \"%s\"", _i, ei.msg);
	/* Nothing is written on failure. */
	ck_assert_int_eq(c.minute, 0x5a5a5a5a5a5a5a5aULL);
}
END_TEST

START_TEST(test_bounds)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_cron c;
	char buf[BPG_CRON_MAX_LEN + 2], *long_tok;

	/* The bound counts the whole input, spaces included. */
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, "0 2 * * *", 9);
	ck_assert(bpg_cron_parse_n(&c, buf, BPG_CRON_MAX_LEN, &ei) == BPG_OK);
	ck_assert(bpg_cron_parse_n(&c, buf, BPG_CRON_MAX_LEN + 1, &ei) ==
	    BPG_EINVAL);
	ck_assert_str_eq(ei.msg, "cron: expression longer than 256 bytes");
	/* Only n bytes are read: no NUL needed. */
	ck_assert(bpg_cron_parse_n(&c, "0 2 * * *X", 9, &ei) == BPG_OK);
	/* A long bad token is cut short in the message. */
	long_tok = tu_track(malloc(200));
	memset(long_tok, 'x', 200);
	memcpy(long_tok + 195, " * *", 4);
	long_tok[100] = ' ';
	long_tok[150] = ' ';
	ck_assert(bpg_cron_parse_n(&c, long_tok, 199, &ei) == BPG_EINVAL);
	ck_assert_str_eq(ei.msg, "cron: field 'minute': bad token "
	    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'");
	/* A NUL byte is a bad byte like any other. */
	ck_assert(bpg_cron_parse_n(&c, "0\0 * * * *", 10, &ei) == BPG_EINVAL);
	ck_assert_str_eq(ei.msg, "cron: field 'minute': bad token '0\\x00'");
}
END_TEST

/*
 * The fuzzer's seed files (tests/fuzz/fuzz_cron.c: byte 0 '!' and a zone
 * name, or a zone index, 5 bytes of time and an expression): "bad-*" must
 * be refused, the others accepted with a next fire time.  Paths are
 * relative to the repository root, where make runs the tests.
 */
START_TEST(test_corpus)
{
	static const char dir[] = "tests/fuzz/corpus/cron";
	struct bpg_errinfo ei = { "" };
	struct bpg_cron c;
	struct dirent *de;
	char path[512], buf[512];
	time_t n;
	size_t len;
	FILE *f;
	DIR *d;
	int seen = 0;
	enum bpg_err e;

	if ((d = opendir(dir)) == NULL)
		ck_abort_msg("%s: cannot open (run from the repository root)",
		    dir);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_ptr_nonnull(f = fopen(path, "rb"));
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		ck_assert_msg(len >= 1, "%s: empty", path);
		memset(&c, 0, sizeof(c));
		if (buf[0] == '!')
			e = bpg_cron_zone_n(&c, buf + 1, len - 1, &ei);
		else {
			ck_assert_msg(len >= 6, "%s: short", path);
			e = bpg_cron_parse_n(&c, buf + 6, len - 6, &ei);
			if (e == BPG_OK)
				ck_assert(bpg_cron_next(&c, 0,
				    iso("2026-01-01T00:00:00Z"), &n) == BPG_OK);
		}
		if (strncmp(de->d_name, "bad-", 4) == 0)
			ck_assert_msg(e == BPG_EINVAL, "%s: accepted", path);
		else
			ck_assert_msg(e == BPG_OK, "%s: %s", path, ei.msg);
		seen++;
	}
	closedir(d);
	ck_assert_int_gt(seen, 0);
}
END_TEST

/* ---- zones -------------------------------------------------------------- */

static const struct {
	const char *tz, *msg;	/* msg NULL: known */
} zones[] = {
	{ "UTC", NULL },
	{ "Europe/Berlin", NULL },
	{ "America/New_York", NULL },
	{ "America/Argentina/Buenos_Aires", NULL },
	{ "America/Port-au-Prince", NULL },
	{ "Etc/GMT+5", NULL },
	{ "Etc/UTC", NULL },
	{ "", "timezone: empty name" },
	{ "Mars/Olympus", "timezone: unknown time zone 'Mars/Olympus'" },
	{ "utc", "timezone: unknown time zone 'utc'" },
	{ "Europe", "timezone: unknown time zone 'Europe'" },
	{ "leapseconds", "timezone: unknown time zone 'leapseconds'" },
	{ "../../../etc/passwd", "timezone: '../../../etc/passwd' is not a "
	    "time zone name (such as UTC or Europe/Berlin)" },
	{ "Europe/../../etc/passwd", "timezone: 'Europe/../../etc/passwd' is "
	    "not a time zone name (such as UTC or Europe/Berlin)" },
	{ "/etc/localtime", "timezone: '/etc/localtime' is not a time zone "
	    "name (such as UTC or Europe/Berlin)" },
	{ "/usr/share/zoneinfo/UTC", "timezone: '/usr/share/zoneinfo/UTC' is "
	    "not a time zone name (such as UTC or Europe/Berlin)" },
	{ "Europe//Berlin", "timezone: 'Europe//Berlin' is not a time zone "
	    "name (such as UTC or Europe/Berlin)" },
	{ "Europe/Berlin/", "timezone: 'Europe/Berlin/' is not a time zone "
	    "name (such as UTC or Europe/Berlin)" },
	{ "zone.tab", "timezone: 'zone.tab' is not a time zone name (such as "
	    "UTC or Europe/Berlin)" },
	{ "Europe/Ber lin", "timezone: 'Europe/Ber lin' is not a time zone "
	    "name (such as UTC or Europe/Berlin)" },
	{ "Europe/Berlin\n", "timezone: 'Europe/Berlin\\x0a' is not a time "
	    "zone name (such as UTC or Europe/Berlin)" },
	{ ":Europe/Berlin", "timezone: ':Europe/Berlin' is not a time zone "
	    "name (such as UTC or Europe/Berlin)" },
	{ "CET-1CEST,M3.5.0,M10.5.0/3", "timezone: "
	    "'CET-1CEST,M3.5.0,M10.5.0/3' is not a time zone name (such as UTC "
	    "or Europe/Berlin)" },
	{ "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "timezone: name longer than 64 bytes" },
};

START_TEST(test_zones)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_cron c = parse("0 2 * * *", NULL);
	enum bpg_err e;

	e = bpg_cron_zone_n(&c, zones[_i].tz, strlen(zones[_i].tz), &ei);
	if (zones[_i].msg == NULL) {
		ck_assert_msg(e == BPG_OK, "%s: %s", zones[_i].tz, ei.msg);
		ck_assert_str_eq(c.zone, zones[_i].tz);
		return;
	}
	ck_assert_msg(e == BPG_EINVAL, "row %d accepted", _i);
	ck_assert_msg(strcmp(ei.msg, zones[_i].msg) == 0, "row %d: \"%s\"",
	    _i, ei.msg);
	ck_assert_str_eq(c.zone, "UTC");
}
END_TEST

/* $TZDIR is where glibc looks, and so does the check: a file there must
 * be a TZif file. */
START_TEST(test_zone_tzdir)
{
	struct bpg_errinfo ei = { "" };
	struct bpg_cron c = parse("0 2 * * *", NULL);
	char dir[] = "/tmp/check_cron.XXXXXX", path[256], *old;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/Fake", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/Fake/Text", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("not a zone\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/Fake/Short", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("TZ", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/Fake/Zone", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("TZif2", f);
	fclose(f);
	/* Put back after: under CK_FORK=no (make valgrind) tests share it. */
	old = getenv("TZDIR") != NULL ? tu_str(getenv("TZDIR")) : NULL;
	ck_assert_int_eq(setenv("TZDIR", dir, 1), 0);
	ck_assert(bpg_cron_zone_n(&c, "Fake/Zone", 9, &ei) == BPG_OK);
	ck_assert(bpg_cron_zone_n(&c, "Fake/Text", 9, &ei) == BPG_EINVAL);
	ck_assert_str_eq(ei.msg, "timezone: unknown time zone 'Fake/Text'");
	ck_assert(bpg_cron_zone_n(&c, "Fake/Short", 10, &ei) == BPG_EINVAL);
	ck_assert(bpg_cron_zone_n(&c, "Fake", 4, &ei) == BPG_EINVAL);
	/* Not found there, though the system has it. */
	ck_assert(bpg_cron_zone_n(&c, "Europe/Berlin", 13, &ei) == BPG_EINVAL);
	/* UTC needs no file. */
	ck_assert(bpg_cron_zone_n(&c, "UTC", 3, &ei) == BPG_OK);
	ck_assert_str_eq(c.zone, "UTC");
	ck_assert_int_eq(old != NULL ? setenv("TZDIR", old, 1) :
	    unsetenv("TZDIR"), 0);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

/* ---- fire times --------------------------------------------------------- */

static const struct {
	const char *zone, *expr, *from, *want;	/* want NULL: none */
} next_rows[] = {
	/* robfig spec_test.go TestNext: simple cases */
	{ "UTC", "0/15 * * * *", "2012-07-09T14:45:00Z",
	    "2012-07-09T15:00:00Z" },
	{ "UTC", "0/15 * * * *", "2012-07-09T14:59:00Z",
	    "2012-07-09T15:00:00Z" },
	{ "UTC", "0/15 * * * *", "2012-07-09T14:59:59Z",
	    "2012-07-09T15:00:00Z" },
	/* wrap around hours */
	{ "UTC", "20-35/15 * * * *", "2012-07-09T15:45:00Z",
	    "2012-07-09T16:20:00Z" },
	/* wrap around days */
	{ "UTC", "*/15 * * * *", "2012-07-09T23:46:00Z",
	    "2012-07-10T00:00:00Z" },
	{ "UTC", "20-35/15 * * * *", "2012-07-09T23:45:00Z",
	    "2012-07-10T00:20:00Z" },
	{ "UTC", "20-35/15 1/2 * * *", "2012-07-09T23:35:51Z",
	    "2012-07-10T01:20:00Z" },
	{ "UTC", "20-35/15 10-12 * * *", "2012-07-09T23:35:51Z",
	    "2012-07-10T10:20:00Z" },
	{ "UTC", "20-35/15 1/2 */2 * *", "2012-07-09T23:35:51Z",
	    "2012-07-11T01:20:00Z" },
	{ "UTC", "20-35/15 * 9-20 * *", "2012-07-09T23:35:51Z",
	    "2012-07-10T00:20:00Z" },
	{ "UTC", "20-35/15 * 9-20 Jul *", "2012-07-09T23:35:51Z",
	    "2012-07-10T00:20:00Z" },
	/* wrap around months */
	{ "UTC", "0 0 9 Apr-Oct ?", "2012-07-09T23:35:00Z",
	    "2012-08-09T00:00:00Z" },
	{ "UTC", "0 0 */5 Apr,Aug,Oct Mon", "2012-07-09T23:35:00Z",
	    "2012-08-01T00:00:00Z" },
	{ "UTC", "0 0 */5 Oct Mon", "2012-07-09T23:35:00Z",
	    "2012-10-01T00:00:00Z" },
	/* wrap around years */
	{ "UTC", "0 0 * Feb Mon", "2012-07-09T23:35:00Z",
	    "2013-02-04T00:00:00Z" },
	{ "UTC", "0 0 * Feb Mon/2", "2012-07-09T23:35:00Z",
	    "2013-02-01T00:00:00Z" },
	/* wrap around minute, hour, day, month and year */
	{ "UTC", "* * * * *", "2012-12-31T23:59:45Z",
	    "2013-01-01T00:00:00Z" },
	/* leap year */
	{ "UTC", "0 0 29 Feb ?", "2012-07-09T23:35:00Z",
	    "2016-02-29T00:00:00Z" },
	/* DST: 2am EST (-5) -> 3am EDT (-4) */
	{ "America/New_York", "30 2 11 Mar ?", "2012-03-11T00:00:00-0500",
	    "2013-03-11T02:30:00-0400" },
	/* hourly job */
	{ "America/New_York", "0 * * * ?", "2012-03-11T00:00:00-0500",
	    "2012-03-11T01:00:00-0500" },
	{ "America/New_York", "0 * * * ?", "2012-03-11T01:00:00-0500",
	    "2012-03-11T03:00:00-0400" },
	{ "America/New_York", "0 * * * ?", "2012-03-11T03:00:00-0400",
	    "2012-03-11T04:00:00-0400" },
	{ "America/New_York", "0 * * * ?", "2012-03-11T04:00:00-0400",
	    "2012-03-11T05:00:00-0400" },
	/* 1am nightly job */
	{ "America/New_York", "0 1 * * ?", "2012-03-11T00:00:00-0500",
	    "2012-03-11T01:00:00-0500" },
	{ "America/New_York", "0 1 * * ?", "2012-03-11T01:00:00-0500",
	    "2012-03-12T01:00:00-0400" },
	/* 2am nightly job (skipped) */
	{ "America/New_York", "0 2 * * ?", "2012-03-11T00:00:00-0500",
	    "2012-03-12T02:00:00-0400" },
	/* DST: 2am EDT (-4) -> 1am EST (-5) */
	{ "America/New_York", "30 2 04 Nov ?", "2012-11-04T00:00:00-0400",
	    "2012-11-04T02:30:00-0500" },
	{ "America/New_York", "30 1 04 Nov ?", "2012-11-04T01:45:00-0400",
	    "2012-11-04T01:30:00-0500" },
	/* hourly job */
	{ "America/New_York", "0 * * * ?", "2012-11-04T00:00:00-0400",
	    "2012-11-04T01:00:00-0400" },
	{ "America/New_York", "0 * * * ?", "2012-11-04T01:00:00-0400",
	    "2012-11-04T01:00:00-0500" },
	{ "America/New_York", "0 * * * ?", "2012-11-04T01:00:00-0500",
	    "2012-11-04T02:00:00-0500" },
	/* 1am nightly job (runs twice) */
	{ "America/New_York", "0 1 * * ?", "2012-11-04T00:00:00-0400",
	    "2012-11-04T01:00:00-0400" },
	{ "America/New_York", "0 1 * * ?", "2012-11-04T01:00:00-0400",
	    "2012-11-04T01:00:00-0500" },
	{ "America/New_York", "0 1 * * ?", "2012-11-04T01:00:00-0500",
	    "2012-11-05T01:00:00-0500" },
	/* 2am nightly job */
	{ "America/New_York", "0 2 * * ?", "2012-11-04T00:00:00-0400",
	    "2012-11-04T02:00:00-0500" },
	{ "America/New_York", "0 2 * * ?", "2012-11-04T02:00:00-0500",
	    "2012-11-05T02:00:00-0500" },
	/* 3am nightly job */
	{ "America/New_York", "0 3 * * ?", "2012-11-04T00:00:00-0400",
	    "2012-11-04T03:00:00-0500" },
	{ "America/New_York", "0 3 * * ?", "2012-11-04T03:00:00-0500",
	    "2012-11-05T03:00:00-0500" },
	/* monthly job */
	{ "America/New_York", "0 3 3 * ?", "2012-11-04T00:00:00-0400",
	    "2012-12-03T03:00:00-0500" },
	/* midnight skipped by DST (robfig issue 157) */
	{ "America/Sao_Paulo", "0 9 10 * ?", "2018-10-17T05:00:00-0400",
	    "2018-11-10T06:00:00-0500" },
	{ "America/Sao_Paulo", "0 9 22 * ?", "2018-02-14T05:00:00-0500",
	    "2018-02-22T07:00:00-0500" },
	/* unsatisfiable is refused by the parser (test_bad) */

	/* Berlin: CET -> CEST on 2026-03-29 at 02:00 (01:00Z) */
	{ "Europe/Berlin", "30 2 * * *", "2026-03-28T02:30:00+0100",
	    "2026-03-30T02:30:00+0200" },
	{ "Europe/Berlin", "0 * * * *", "2026-03-29T01:00:00+0100",
	    "2026-03-29T03:00:00+0200" },
	{ "Europe/Berlin", "59 1 * * *", "2026-03-28T12:00:00+0100",
	    "2026-03-29T01:59:00+0100" },
	{ "Europe/Berlin", "0 3 * * *", "2026-03-29T01:59:00+0100",
	    "2026-03-29T03:00:00+0200" },
	/* CEST -> CET on 2026-10-25 at 03:00 (01:00Z): 02:xx twice */
	{ "Europe/Berlin", "30 2 * * *", "2026-10-24T12:00:00+0200",
	    "2026-10-25T02:30:00+0200" },
	{ "Europe/Berlin", "30 2 * * *", "2026-10-25T02:30:00+0200",
	    "2026-10-25T02:30:00+0100" },
	{ "Europe/Berlin", "30 2 * * *", "2026-10-25T02:30:00+0100",
	    "2026-10-26T02:30:00+0100" },
	{ "Europe/Berlin", "*/30 * * * *", "2026-10-25T02:30:00+0200",
	    "2026-10-25T02:00:00+0100" },
	{ "Europe/Berlin", "0 3 * * *", "2026-10-25T02:00:00+0200",
	    "2026-10-25T03:00:00+0100" },
	/* the same instants, UTC */
	{ "UTC", "30 2 * * *", "2026-03-29T00:00:00Z",
	    "2026-03-29T02:30:00Z" },

	/* leap years */
	{ "UTC", "0 0 29 2 *", "2025-01-01T00:00:00Z",
	    "2028-02-29T00:00:00Z" },
	{ "UTC", "0 0 29 2 *", "2096-02-29T00:00:00Z",
	    "2104-02-29T00:00:00Z" },	/* 2100 is no leap year */
	{ "UTC", "0 12 28-29 2 *", "2100-02-28T12:00:00Z",
	    "2101-02-28T12:00:00Z" },
	{ "UTC", "0 0 29 2 *", "2399-03-01T00:00:00Z",
	    "2400-02-29T00:00:00Z" },	/* 2400 is */
	{ "UTC", "0 0 * * *", "2024-02-28T00:00:00Z",
	    "2024-02-29T00:00:00Z" },
	{ "Europe/Berlin", "0 0 29 2 *", "2027-03-01T00:00:00Z",
	    "2028-02-28T23:00:00Z" },
	/* the last second of a year */
	{ "UTC", "* * * * *", "2026-12-31T23:59:59Z",
	    "2027-01-01T00:00:00Z" },
	{ "UTC", "@yearly", "2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z" },
	{ "UTC", "59 23 31 12 *", "2026-12-31T23:58:59Z",
	    "2026-12-31T23:59:00Z" },
	{ "UTC", "59 23 31 12 *", "2026-12-31T23:59:00Z",
	    "2027-12-31T23:59:00Z" },
	{ "America/New_York", "@yearly", "2026-12-31T23:59:59-0500",
	    "2027-01-01T00:00:00-0500" },
	{ "UTC", "* * * * *", "9999-12-31T23:58:00Z",
	    "9999-12-31T23:59:00Z" },
	{ "UTC", "* * * * *", "9999-12-31T23:59:00Z", NULL },
	{ "UTC", "* * * * *", "1970-01-01T00:00:00Z",
	    "1970-01-01T00:01:00Z" },
	{ "America/New_York", "0 0 1 1 *", "1970-01-01T00:00:00Z",
	    "1970-01-01T05:00:00Z" },
	/* a daily midnight that a DST change skips (Sao Paulo, 2018) */
	{ "America/Sao_Paulo", "0 0 * * *", "2018-11-03T12:00:00-0300",
	    "2018-11-05T00:00:00-0200" },
	/* a fire before 1970 in local time (found by fuzz_cron) */
	{ "America/Sao_Paulo", "0 * 31 * 5", "1970-01-01T01:08:24Z",
	    "1969-12-31T23:00:00-0300" },
	/* day-of-month and day-of-week: either when both are restricted */
	{ "UTC", "0 0 13 * 5", "2026-02-06T00:00:00Z",
	    "2026-02-13T00:00:00Z" },	/* a Friday the 13th */
	{ "UTC", "0 0 13 * 5", "2026-02-13T00:00:00Z",
	    "2026-02-20T00:00:00Z" },	/* a Friday */
	{ "UTC", "0 0 13 * 5", "2026-03-06T00:00:00Z",
	    "2026-03-13T00:00:00Z" },	/* the 13th, a Friday too */
	{ "UTC", "0 0 13 * 5", "2026-04-10T00:00:00Z",
	    "2026-04-13T00:00:00Z" },	/* a Monday the 13th */
	{ "UTC", "0 0 * * 5", "2026-04-10T00:00:00Z",
	    "2026-04-17T00:00:00Z" },
	{ "UTC", "0 0 13 * *", "2026-04-10T00:00:00Z",
	    "2026-04-13T00:00:00Z" },
	{ "UTC", "0 0 13 * 7", "2026-04-10T00:00:00Z",
	    "2026-04-12T00:00:00Z" },	/* Sunday as 7 */
};

START_TEST(test_next)
{
	struct bpg_cron c;
	char got[32], want[32];
	time_t n = 0, from;
	enum bpg_err e;

	c = parse(next_rows[_i].expr, next_rows[_i].zone);
	from = iso(next_rows[_i].from);
	e = bpg_cron_next(&c, 0, from, &n);
	if (next_rows[_i].want == NULL) {
		ck_assert_msg(e == BPG_ENOTFOUND, "row %d: %s", _i,
		    utc(n, got, sizeof(got)));
		return;
	}
	ck_assert_msg(e == BPG_OK, "row %d: %s", _i, bpg_strerror(e));
	ck_assert_msg(n == iso(next_rows[_i].want), "row %d (%s, %s): got %s, "
	    "want %s", _i, next_rows[_i].zone, next_rows[_i].expr,
	    utc(n, got, sizeof(got)), utc(iso(next_rows[_i].want), want,
	    sizeof(want)));
	ck_assert_msg(bpg_cron_matches(&c, n), "row %d: no match", _i);
	ck_assert_msg(!bpg_cron_matches(&c, from + 1) || from + 1 == n ||
	    (from + 1) % 60 != 0, "row %d: skipped a match", _i);
}
END_TEST

/*
 * The fire times around both DST changes of 2012 in New York and 2026 in
 * Berlin, against every minute the wall clock shows: a skipped local time
 * never fires, a repeated one fires twice, the rest once.
 */
static const struct {
	const char *zone, *expr, *a, *b;
	int fires;
} window_rows[] = {
	{ "America/New_York", "30 2 * * *", "2012-03-10T00:00:00-0500",
	    "2012-03-13T00:00:00-0400", 2 },
	{ "America/New_York", "30 1 * * *", "2012-11-03T00:00:00-0400",
	    "2012-11-06T00:00:00-0500", 4 },
	{ "America/New_York", "*/20 1-3 * * *", "2012-11-03T00:00:00-0400",
	    "2012-11-05T00:00:00-0500", 21 },
	{ "America/New_York", "*/20 1-3 * * *", "2012-03-10T00:00:00-0500",
	    "2012-03-12T00:00:00-0400", 15 },
	{ "Europe/Berlin", "30 2 * * *", "2026-03-28T00:00:00+0100",
	    "2026-03-31T00:00:00+0200", 2 },
	{ "Europe/Berlin", "30 2 * * *", "2026-10-24T00:00:00+0200",
	    "2026-10-27T00:00:00+0100", 4 },
	{ "Europe/Berlin", "0,15,30,45 * * * *", "2026-10-25T00:00:00+0200",
	    "2026-10-26T00:00:00+0100", 100 },
	{ "Europe/Berlin", "0,15,30,45 * * * *", "2026-03-29T00:00:00+0100",
	    "2026-03-30T00:00:00+0200", 92 },
	{ "UTC", "7 */3 * * 1-5", "2026-03-27T00:00:00Z",
	    "2026-03-31T00:00:00Z", 16 },
};

START_TEST(test_window)
{
	struct bpg_cron c = parse(window_rows[_i].expr, window_rows[_i].zone);
	time_t a = iso(window_rows[_i].a), b = iso(window_rows[_i].b), t;
	time_t out[256];
	size_t n = 0, k = 0;
	bool more = true;
	char buf[32];

	ck_assert(bpg_cron_list(&c, 0, a, b, out, 256, &n, &more) == BPG_OK);
	ck_assert(!more);
	ck_assert_msg(n == (size_t)window_rows[_i].fires, "row %d: %zu fires",
	    _i, n);
	for (t = a + 60 - a % 60; t <= b; t += 60) {
		if (!bpg_cron_matches(&c, t))
			continue;
		ck_assert_msg(k < n && out[k] == t, "row %d: %s missing", _i,
		    utc(t, buf, sizeof(buf)));
		k++;
	}
	ck_assert_uint_eq(k, n);
}
END_TEST

/* "@every": from the anchor, not the wall clock, in any zone. */
START_TEST(test_every_anchor)
{
	struct bpg_cron c = parse("@every 30s", NULL);
	struct bpg_cron z = parse("@every 30s", "America/New_York");
	const time_t anchor = 1767225607;	/* 2026-01-01T00:00:07Z */
	time_t n, out[8];
	size_t cnt;
	bool more;

	ck_assert(bpg_cron_next(&c, anchor, anchor, &n) == BPG_OK);
	ck_assert_int_eq(n, anchor + 30);
	ck_assert_int_ne(n % 30, 0);
	ck_assert(bpg_cron_next(&c, anchor, anchor - 1000, &n) == BPG_OK);
	ck_assert_int_eq(n, anchor + 30);
	ck_assert(bpg_cron_next(&c, anchor, anchor + 29, &n) == BPG_OK);
	ck_assert_int_eq(n, anchor + 30);
	ck_assert(bpg_cron_next(&c, anchor, anchor + 30, &n) == BPG_OK);
	ck_assert_int_eq(n, anchor + 60);
	ck_assert(bpg_cron_next(&c, anchor, anchor + 86400 * 400 + 5, &n) ==
	    BPG_OK);
	ck_assert_int_eq(n, anchor + 86400 * 400 + 30);
	ck_assert(bpg_cron_next(&z, anchor, anchor + 86400 * 400 + 5, &n) ==
	    BPG_OK);
	ck_assert_int_eq(n, anchor + 86400 * 400 + 30);
	/* (a, b]: a itself excluded, b included. */
	ck_assert(bpg_cron_list(&c, anchor, anchor + 30, anchor + 120, out, 8,
	    &cnt, &more) == BPG_OK);
	ck_assert_uint_eq(cnt, 3);
	ck_assert(!more);
	ck_assert_int_eq(out[0], anchor + 60);
	ck_assert_int_eq(out[2], anchor + 120);
	ck_assert(bpg_cron_list(&c, anchor, anchor, anchor + 120, out, 2,
	    &cnt, &more) == BPG_OK);
	ck_assert_uint_eq(cnt, 2);
	ck_assert(more);
	ck_assert_int_eq(out[1], anchor + 60);
	/* Past the end of time: none. */
	ck_assert(bpg_cron_next(&c, anchor, BPG_CRON_TIME_MAX - 10, &n) ==
	    BPG_ENOTFOUND);
	ck_assert(bpg_cron_list(&c, anchor, BPG_CRON_TIME_MAX - 10,
	    BPG_CRON_TIME_MAX, out, 8, &cnt, NULL) == BPG_OK);
	ck_assert_uint_eq(cnt, 0);
	/* Out of range times. */
	ck_assert(bpg_cron_next(&c, anchor, -1, &n) == BPG_EINVAL);
	ck_assert(bpg_cron_next(&c, -1, anchor, &n) == BPG_EINVAL);
	ck_assert(bpg_cron_next(&c, anchor, BPG_CRON_TIME_MAX + 1, &n) ==
	    BPG_EINVAL);
	ck_assert(!bpg_cron_matches(&c, anchor + 30));
}
END_TEST

/* A struct the parser did not make is refused, never searched. */
START_TEST(test_ill_formed)
{
	struct bpg_cron c;
	time_t n, out[2];
	size_t cnt;

	memset(&c, 0, sizeof(c));
	ck_assert(bpg_cron_next(&c, 0, 0, &n) == BPG_EINVAL);
	ck_assert(bpg_cron_list(&c, 0, 0, 100, out, 2, &cnt, NULL) ==
	    BPG_EINVAL);
	ck_assert(!bpg_cron_matches(&c, 0));
	c = parse("0 0 * * *", NULL);
	c.month |= 1 << 13;
	ck_assert(bpg_cron_next(&c, 0, 0, &n) == BPG_EINVAL);
	c = parse("0 0 * * *", NULL);
	memset(c.zone, 'x', sizeof(c.zone));
	ck_assert(bpg_cron_next(&c, 0, 0, &n) == BPG_EINVAL);
	c = parse("@every 10s", NULL);
	c.period_s = 0;
	ck_assert(bpg_cron_next(&c, 0, 0, &n) == BPG_EINVAL);
}
END_TEST

/* Missed fires after a downtime: the list, its bound, and (a, b]. */
START_TEST(test_list)
{
	struct bpg_cron c = parse("0 * * * *", "Europe/Berlin");
	time_t a = iso("2026-06-01T10:00:00Z"), out[4];
	size_t n;
	bool more;

	ck_assert(bpg_cron_list(&c, 0, a, a + 10 * 3600, out, 4, &n, &more) ==
	    BPG_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert(more);
	ck_assert_int_eq(out[0], a + 3600);
	ck_assert_int_eq(out[3], a + 4 * 3600);
	ck_assert(bpg_cron_list(&c, 0, out[3], a + 6 * 3600, out, 4, &n,
	    &more) == BPG_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert(!more);
	/* Exactly cap fires: no more. */
	ck_assert(bpg_cron_list(&c, 0, a, a + 4 * 3600, out, 4, &n, &more) ==
	    BPG_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert(!more);
	ck_assert(bpg_cron_list(&c, 0, a, a, out, 4, &n, &more) == BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert(bpg_cron_list(&c, 0, a + 10, a, out, 4, &n, &more) ==
	    BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert(bpg_cron_list(&c, 0, a, a + 3600, out, 0, &n, &more) ==
	    BPG_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert(more);
}
END_TEST

/* The caller's TZ is the same after, set or not. */
START_TEST(test_tz_restored)
{
	struct bpg_cron c = parse("0 2 * * *", "Europe/Berlin");
	time_t n, t = iso("2026-06-30T12:00:00Z");
	struct tm tm;
	char *old = getenv("TZ") != NULL ? tu_str(getenv("TZ")) : NULL;

	ck_assert_int_eq(setenv("TZ", "Asia/Tokyo", 1), 0);
	tzset();
	ck_assert(bpg_cron_next(&c, 0, t, &n) == BPG_OK);
	ck_assert_int_eq(n, iso("2026-07-01T02:00:00+0200"));
	ck_assert_str_eq(getenv("TZ"), "Asia/Tokyo");
	ck_assert_ptr_nonnull(localtime_r(&t, &tm));
	ck_assert_int_eq(tm.tm_gmtoff, 9 * 3600);
	ck_assert(bpg_cron_matches(&c, n));
	ck_assert_str_eq(getenv("TZ"), "Asia/Tokyo");
	ck_assert_int_eq(unsetenv("TZ"), 0);
	ck_assert(bpg_cron_next(&c, 0, t, &n) == BPG_OK);
	ck_assert_ptr_null(getenv("TZ"));
	ck_assert_int_eq(old != NULL ? setenv("TZ", old, 1) : 0, 0);
	tzset();
}
END_TEST

/*
 * 10,000 next fire times of each kind, chained or spread over years;
 * each is checked, the time each batch took is printed (never asserted:
 * tests do not depend on the machine's speed).
 */
static const struct {
	const char *zone, *expr;
	bool chain;
} timing_rows[] = {
	{ "UTC", "*/5 * * * *", true },
	{ "UTC", "0 2 * * *", false },
	{ "Europe/Berlin", "0 2 * * *", false },
	{ "America/New_York", "30 1 * * *", true },
	{ "America/New_York", "@yearly", false },
	{ "UTC", "0 0 29 2 *", false },
	{ "Europe/Berlin", "0 0 29 2 mon", false },
	{ "UTC", "@every 10s", true },
};

START_TEST(test_timing)
{
	struct bpg_cron c = parse(timing_rows[_i].expr, timing_rows[_i].zone);
	struct timespec t0, t1;
	time_t base = iso("2026-01-01T00:00:00Z"), t = base;
	time_t *from = tu_track(calloc(10000, sizeof(*from)));
	time_t *n = tu_track(calloc(10000, sizeof(*n)));
	enum bpg_err e = BPG_OK;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 10000 && e == BPG_OK; i++) {
		from[i] = timing_rows[_i].chain ? t :
		    base + (time_t)i * 7919 * 13;
		e = bpg_cron_next(&c, base, from[i], &n[i]);
		t = n[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_msg(e == BPG_OK, "next %d: %s", i, bpg_strerror(e));
	for (i = 0; i < 10000; i++) {
		ck_assert(n[i] > from[i]);
		ck_assert(c.every || bpg_cron_matches(&c, n[i]));
	}
	fprintf(stderr, "cron: 10000 next fire times of \"%s\" in %s: %.1f "
	    "ms\n", timing_rows[_i].expr, timing_rows[_i].zone,
	    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("cron");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	tcase_add_loop_test(tc, test_good, 0, TU_NROWS(good));
	tcase_add_loop_test(tc, test_every, 0, TU_NROWS(every));
	tcase_add_loop_test(tc, test_bad, 0, TU_NROWS(bad));
	tcase_add_test(tc, test_bounds);
	tcase_add_loop_test(tc, test_zones, 0, TU_NROWS(zones));
	tcase_add_test(tc, test_zone_tzdir);
	tcase_add_test(tc, test_corpus);
	suite_add_tcase(su, tc);
	tc = tcase_create("fire");
	tcase_add_checked_fixture(tc, NULL, tu_arena_free);
	/* Generous: a guard against a hang only, never a speed test. */
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, test_next, 0, TU_NROWS(next_rows));
	tcase_add_loop_test(tc, test_window, 0, TU_NROWS(window_rows));
	tcase_add_test(tc, test_every_anchor);
	tcase_add_test(tc, test_ill_formed);
	tcase_add_test(tc, test_list);
	tcase_add_test(tc, test_tz_restored);
	tcase_add_loop_test(tc, test_timing, 0, TU_NROWS(timing_rows));
	suite_add_tcase(su, tc);
	return tu_run(su);
}
