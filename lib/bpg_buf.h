/*
 * A growable byte buffer, always NUL-terminated once anything was
 * appended.  It grows geometrically: n appends of any sizes cost O(total)
 * copies, where a realloc() to the exact new size per append is quadratic
 * under allocators that move every block (ASan's does).
 */
#ifndef BPG_BUF_H
#define BPG_BUF_H

#include <stddef.h>

#include "bpg_err.h"

/* Zero-initialise ({ NULL, 0, 0 }) before the first use.  p is owned by the
 * buffer until bpg_buf_take(); p is NULL until the first append. */
struct bpg_buf {
	char *p;
	size_t len, cap;
};

/* Append s[0..n); BPG_ENOMEM (buffer unchanged) when no room can be had
 * or len would pass max (0: no bound).  n may be 0 (the buffer then holds
 * at least the terminating NUL). */
enum bpg_err bpg_buf_append(struct bpg_buf *, const void *s, size_t n,
    size_t max) BPG_WUR;

/* The contents (caller frees; "" allocated when empty, NULL on ENOMEM);
 * the buffer is empty afterwards. */
char *bpg_buf_take(struct bpg_buf *);

/* Free the contents; the buffer is empty afterwards.  NULL is a no-op. */
void bpg_buf_free(struct bpg_buf *);

#endif
