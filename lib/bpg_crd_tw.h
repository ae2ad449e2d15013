/*
 * The SparkApplication's text writer (bpg_crd_text.c, bpg_crd_prep.c): a
 * JSON writer that knows where commas go, with its keys as literals.  Not
 * a public interface.
 */
#ifndef BPG_CRD_TW_H
#define BPG_CRD_TW_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "bpg_json.h"

struct tw {
	struct bpg_jw w;
	bool first[16];	/* the CR nests 11 deep */
	int depth;
};

#define LIT(s) s, sizeof(s) - 1

/* n bytes as they are: in place when there is room (there mostly is,
 * TEXT_RESERVE), else through the writer, which grows. */
static inline void
tw_put(struct tw *t, const char *s, size_t n)
{
	struct bpg_jw *w = &t->w;

	if (w->ok && n < w->cap - w->len) {
		memcpy(w->buf + w->len, s, n);
		w->len += n;
	} else
		bpg_jw_raw(w, s, n);
}

static inline __attribute__((always_inline)) void
tw_open(struct tw *t, char c)
{
	tw_put(t, &c, 1);
	t->first[++t->depth] = true;
}

static inline __attribute__((always_inline)) void
tw_close(struct tw *t, char c)
{
	tw_put(t, &c, 1);
	t->depth--;
}

/* The comma before a member or element. */
static inline __attribute__((always_inline)) void
tw_next(struct tw *t)
{
	if (!t->first[t->depth])
		tw_put(t, ",", 1);
	t->first[t->depth] = false;
}

/* "key": given as that literal, quotes and colon included. */
static inline __attribute__((always_inline)) void
tw_lkey(struct tw *t, const char *qkey, size_t n)
{
	tw_next(t);
	tw_put(t, qkey, n);
}
#define KEY(t, s) tw_lkey(t, LIT("\"" s "\":"))

static inline void
tw_key(struct tw *t, const char *key)
{
	tw_next(t);
	bpg_jw_str(&t->w, key);
	tw_put(t, ":", 1);
}

/* "key":"v" unless v is NULL (crd_put_str). */
static inline void
tw_str(struct tw *t, const char *key, size_t klen, const char *v)
{
	if (v == NULL)
		return;
	tw_lkey(t, key, klen);
	bpg_jw_str(&t->w, v);
}
#define STR(t, k, v) tw_str(t, LIT("\"" k "\":"), v)
/* "key":"v" with v a literal that needs no escaping. */
#define LSTR(t, k, v) tw_lkey(t, LIT("\"" k "\":\"" v "\""))

/* "key":v unless v is NULL (crd_put_copy of a null-free value). */
static inline void
tw_val(struct tw *t, const char *key, size_t klen, const json_t *v)
{
	if (v == NULL)
		return;
	tw_lkey(t, key, klen);
	bpg_jw_value(&t->w, v);
}
#define VAL(t, k, v) tw_val(t, LIT("\"" k "\":"), v)

static inline void
tw_int(struct tw *t, const char *key, size_t klen, long long v)
{
	tw_lkey(t, key, klen);
	bpg_jw_int(&t->w, v);
}
#define INT(t, k, v) tw_int(t, LIT("\"" k "\":"), v)

#endif
