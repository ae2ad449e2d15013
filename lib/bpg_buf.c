/* A growable byte buffer (bpg_buf.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_buf.h"

/* The first allocation; later ones double. */
#define BUF_MIN 256

enum bpg_err
bpg_buf_append(struct bpg_buf *b, const void *s, size_t n, size_t max)
{
	size_t need, ncap;
	char *np;

	if (n > SIZE_MAX - 1 - b->len || (max > 0 && b->len + n > max))
		return BPG_ENOMEM;
	need = b->len + n + 1;
	if (need > b->cap) {
		ncap = b->cap < BUF_MIN ? BUF_MIN : b->cap;
		while (ncap < need)
			ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return BPG_ENOMEM;
		b->p = np;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return BPG_OK;
}

char *
bpg_buf_take(struct bpg_buf *b)
{
	char *p = b->p;

	if (p == NULL)
		p = strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void
bpg_buf_free(struct bpg_buf *b)
{
	if (b == NULL)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
