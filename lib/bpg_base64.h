/*
 * Base64 with the standard alphabet (RFC 4648 section 4), used for the
 * config's caCertDataSOPS (bpg-reference sections 3.1, 7.3), for Basic
 * authentication (section 8.1) and for Kubernetes Secret data.
 */
#ifndef BPG_BASE64_H
#define BPG_BASE64_H

#include <stddef.h>

#include "bpg_err.h"

/*
 * Decode in[0..len) into *out, a new buffer the caller frees, holding
 * *outlen bytes followed by a NUL that *outlen does not count (so decoded
 * text can be used as a C string when it has no NUL of its own).
 *
 * Accepted: the standard alphabet; ASCII white space (space, tab, CR, LF,
 * VT, FF) anywhere, ignored, as in PEM and folded YAML; '=' padding at the
 * end, which may be left out (as Java's basic decoder allows).  Rejected
 * with BPG_EINVAL: any other byte, '=' followed by data, more padding than
 * the length calls for, and a final group of one character (which cannot
 * encode a byte).  Unused bits in the last group are ignored, as Java does.
 * Empty input decodes to zero bytes.  BPG_ENOMEM.  On error *out is NULL
 * and *outlen 0.  in may be NULL only when len is 0.
 */
enum bpg_err bpg_base64_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen) BPG_WUR;

/*
 * Encode in[0..len) into *out, a new NUL-terminated string the caller
 * frees, with '=' padding and no line breaks; *outlen (if outlen is not
 * NULL) is its length.  BPG_ENOMEM, or BPG_ETOOBIG if the result would not
 * fit in a size_t.
 */
enum bpg_err bpg_base64_encode(const unsigned char *in, size_t len,
    char **out, size_t *outlen) BPG_WUR;

#endif
