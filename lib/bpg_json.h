/*
 * Compact JSON text for the documents the gateway sends: answers, the
 * SparkApplication it creates, the request it stores.
 */
#ifndef BPG_JSON_H
#define BPG_JSON_H

#include <stddef.h>

#include <jansson.h>

/*
 * doc as compact JSON (RFC 8259): exactly the bytes of json_dumps(doc,
 * JSON_COMPACT), in a new NUL-terminated string the caller frees; *len
 * (if len is not NULL) is its length.  doc is borrowed.  NULL when
 * json_dumps() would give NULL (doc NULL or not an object or array, a
 * string that is not UTF-8) or memory runs out.
 *
 * Objects, arrays, ASCII strings, integers, true, false and null are
 * written here, several times faster than by jansson; a document with a
 * real, non-ASCII text or nesting deeper than 64 is handed to json_dumps().
 */
char *bpg_json_dump(const json_t *doc, size_t *len);

#endif
