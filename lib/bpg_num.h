/*
 * Whole numbers in strings, read as Java reads them (BPG's
 * Integer.parseInt and Long.parseLong): an optional sign, then one or
 * more ASCII digits, nothing else (no spaces), within the type's range;
 * and written as "%lld" writes them.
 */
#ifndef BPG_NUM_H
#define BPG_NUM_H

#include <stdbool.h>
#include <stdint.h>

/* Long.parseLong: false (and *out untouched) if s is not one. */
bool bpg_parse_long(const char *s, int64_t *out);

/* Integer.parseInt: the same within [INT32_MIN, INT32_MAX]. */
bool bpg_parse_int(const char *s, int64_t *out);

/* Room for any text of bpg_fmt_ll(), NUL included. */
#define BPG_FMT_LL_MAX 21

/* v as snprintf("%lld") writes it, into buf (BPG_FMT_LL_MAX bytes),
 * NUL-terminated; returns the length.  No printf on a hot path. */
size_t bpg_fmt_ll(char *buf, long long v);

#endif
