/*
 * libFuzzer target: bpg_jfast_load(), the one-pass reader of request
 * bodies, against the request reader's own path (req_json_load_ref():
 * the number rewrite and jansson).  Besides memory errors it checks what
 * the reader promises: for any text, the request reader that uses it
 * gives the old path's tree (members in the same order) or its error
 * message; bpg_jfast_load() alone gives that tree or EINVAL, and refuses
 * what the old path reads only when the text has a raw NUL byte (which
 * jansson's reader skips).  The
 * seeds in corpus/jfast are the JSON files of tests/data/req and the
 * SparkPi request.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpg_jfast.h"
#include "bpg_limits.h"
#include "bpg_req_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_errinfo ei = { "" }, eir = { "" };
	json_t *fast = NULL, *ref = NULL, *both = NULL;
	const char *s = (const char *)data;
	enum bpg_err ef, er, eb;
	char *a = NULL, *b = NULL, *c = NULL;
	size_t bom;

	/* The reader skips a byte order mark before either path. */
	bom = size >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	ef = bpg_jfast_load(s + bom, size - bom, BPG_MAX_DEPTH, &fast);
	er = req_json_load_ref(s, size, &ref, &eir);
	eb = req_json_load(s, size, &both, &ei);
	if (ef == BPG_ENOMEM || er == BPG_ENOMEM || eb == BPG_ENOMEM)
		goto out;
	/* The reader answers as the old path, tree or message. */
	if (eb != er)
		abort();
	if (er != BPG_OK) {
		if (strcmp(ei.msg, eir.msg) != 0 || ef != BPG_EINVAL ||
		    fast != NULL)
			abort();
		goto out;
	}
	a = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);
	b = json_dumps(both, JSON_COMPACT | JSON_ENCODE_ANY);
	if (a == NULL || b == NULL || strcmp(a, b) != 0)
		abort();
	/* Read here, the same tree; refused here, only for a raw NUL. */
	if (ef != BPG_OK) {
		if (memchr(s, '\0', size) == NULL)
			abort();
		goto out;
	}
	c = json_dumps(fast, JSON_COMPACT | JSON_ENCODE_ANY);
	if (c == NULL || strcmp(a, c) != 0)
		abort();
out:
	free(a);
	free(b);
	free(c);
	json_decref(fast);
	json_decref(ref);
	json_decref(both);
	return 0;
}
