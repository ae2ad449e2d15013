/*
 * Kubernetes label values (bpg-reference section 2.21) and the API's
 * times (section 3.3).
 */
#ifndef BPG_LABEL_H
#define BPG_LABEL_H

#include <stdbool.h>
#include <stdint.h>

/* An ASCII letter or digit: what a label value starts and ends with. */
bool bpg_label_alnum(unsigned char c);

/* True for well-formed UTF-8 (RFC 3629). */
bool bpg_utf8_valid(const char *s);

/* True if s is a valid Kubernetes label value (empty included). */
bool bpg_label_value_valid(const char *s);

/*
 * normalizeLabelValue (section 2.21): a valid label value of at most 63
 * characters.  New string; NULL for NULL input or ENOMEM.
 *
 * Java walks UTF-16 units; this walks UTF-8 bytes and writes one '0' for
 * each UTF-16 unit a character has (one for U+0080..U+FFFF, two above), so
 * well-formed UTF-8 gives Java's result exactly ("caf\xc3\xa9" is "caf0",
 * an emoji "00").  Each byte that is not part of well-formed UTF-8 gives
 * one '0'.  The output is ASCII: never more than 63 bytes.
 */
char *bpg_label_normalize(const char *s);

/*
 * The proxyUser label value of user's SparkApplications: the name itself
 * when it is a valid label value, else bpg_label_normalize() of it (quirk
 * 10: Kubernetes refuses other values).  New string; NULL for NULL input
 * or ENOMEM.
 */
char *bpg_label_user(const char *user);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms"); m 1-12, d 1-31.
 */
int64_t bpg_days_from_civil(int64_t y, int m, int d);

/* RFC 3339 / ISO-8601 instant to epoch ms (section 3.3); -1 if not one. */
int64_t bpg_time_parse_ms(const char *s);

#endif
