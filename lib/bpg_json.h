/*
 * Compact JSON text for the documents the gateway sends: answers, the
 * SparkApplication it creates, the request it stores.
 */
#ifndef BPG_JSON_H
#define BPG_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * doc as compact JSON (RFC 8259): the bytes of json_dumps(doc,
 * JSON_COMPACT) but for reals, which are written by bpg_json_real_text(),
 * in a new NUL-terminated string the caller frees; *len (if len is not
 * NULL) is its length.  doc is borrowed.  NULL when json_dumps() would
 * give NULL (doc NULL or not an object or array, a string that is not
 * UTF-8) or memory runs out.
 *
 * Written here, several times faster than by jansson; only a document
 * nested deeper than 64 is handed to json_dumps() (XXX: its reals then
 * have 17 digits; requests are at most BPG_MAX_DEPTH deep).
 */
char *bpg_json_dump(const json_t *doc, size_t *len);

/*
 * How many of the bytes at s[0..n) are plain string text (printable
 * ASCII other than '"' and '\\', which a JSON string carries as they
 * are), looked at 16 at a time with SSE2: the exact length of the plain
 * run when it ends within the last whole 16 bytes, else the whole
 * 16-byte blocks.  The caller's byte loop does the rest.  0 without SSE2.
 */
static inline size_t
bpg_json_plain16(const unsigned char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(0x20), q = _mm_set1_epi8('"');
	const __m128i bs = _mm_set1_epi8('\\');
	__m128i x;
	int m;

	for (; n - i >= 16; i += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* Signed: below 0x20 are the controls and every non-ASCII
		 * byte (0x80-0xff). */
		m = _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(x, sp),
		    _mm_or_si128(_mm_cmpeq_epi8(x, q),
		    _mm_cmpeq_epi8(x, bs))));
		if (m != 0)
			return i + (size_t)__builtin_ctz((unsigned int)m);
	}
#else
	(void)s;
	(void)n;
#endif
	return i;
}

/*
 * Length of the UTF-8 sequence at u[0..n) (RFC 3629 §4: no overlong
 * forms, no surrogates, nothing past U+10FFFF; 1 for ASCII), 0 if it is
 * not one: the sequences jansson accepts.  n >= 1.
 */
size_t bpg_utf8_len(const unsigned char *u, size_t n);
/* s[0..len) is a JSON number (RFC 8259 §6); c may be part of one. */
bool bpg_json_is_number(const char *s, size_t len);
bool bpg_json_number_char(unsigned char c);

/*
 * The same writer a piece at a time, for documents of a fixed shape that
 * need no tree: the caller writes the punctuation and keys with
 * bpg_jw_raw() / bpg_jw_str(), and values.  A failure (out of memory,
 * text that is not UTF-8, a value nested deeper than 64) is kept, and
 * bpg_jw_finish() then gives NULL.
 */
struct bpg_jw {
	char *buf;
	size_t len, cap;
	bool ok; /* false: out of memory, or json_dumps() must do it */
};

/* An empty writer (nothing allocated yet). */
void bpg_jw_init(struct bpg_jw *);
/* n bytes of s as they are ("{", ",", a literal key with its quotes). */
void bpg_jw_raw(struct bpg_jw *, const char *s, size_t n);
/* The NUL-terminated s as a JSON string. */
void bpg_jw_str(struct bpg_jw *, const char *s);
/* s[0..n) as a JSON string. */
void bpg_jw_strn(struct bpg_jw *, const char *s, size_t n);
/* Room for n more bytes at once (a failure is kept, as any). */
void bpg_jw_reserve(struct bpg_jw *, size_t n);
void bpg_jw_int(struct bpg_jw *, long long);
/* Any value v (borrowed), as bpg_json_dump() writes it in a document. */
void bpg_jw_value(struct bpg_jw *, const json_t *v);
/*
 * The text written, NUL-terminated, the caller's to free(); *len (if len
 * is not NULL) its length.  NULL after any failure.  The writer is empty
 * again after.
 */
char *bpg_jw_finish(struct bpg_jw *, size_t *len);

/* Room for any text of bpg_json_real_text(), NUL included. */
#define BPG_JSON_REAL_MAX 32

/*
 * The finite double d as the shortest of "%.15g", "%.16g" and "%.17g"
 * that strtod() reads back as d (0.1 as "0.1", where jansson writes
 * "0.10000000000000001"; Java's Double.toString() is also the shortest
 * that reads back), with jansson's touches: ".0" when it would read as an
 * integer ("1.0"), no '+' or leading zeros in the exponent ("1e300").
 * Into buf (size bytes, BPG_JSON_REAL_MAX are enough), NUL-terminated;
 * returns the length.
 */
size_t bpg_json_real_text(double d, char *buf, size_t size);

#endif
