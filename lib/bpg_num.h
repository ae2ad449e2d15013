/*
 * Whole numbers in strings, read as Java reads them (BPG's
 * Integer.parseInt and Long.parseLong): an optional sign, then one or
 * more ASCII digits, nothing else (no spaces), within the type's range.
 */
#ifndef BPG_NUM_H
#define BPG_NUM_H

#include <stdbool.h>
#include <stdint.h>

/* Long.parseLong: false (and *out untouched) if s is not one. */
bool bpg_parse_long(const char *s, int64_t *out);

/* Integer.parseInt: the same within [INT32_MIN, INT32_MAX]. */
bool bpg_parse_int(const char *s, int64_t *out);

#endif
