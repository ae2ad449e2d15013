/*
 * libFuzzer target: bpg_jfast_load(), the one-pass reader of request
 * bodies, against the request reader's own path (req_json_load_ref():
 * the number rewrite and jansson).  Besides memory errors it checks what
 * the reader promises: for any text, the same tree with members in the
 * same order when that path reads it, and EINVAL when it does not.  The
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
	struct bpg_errinfo ei = { "" };
	json_t *fast = NULL, *ref = NULL;
	enum bpg_err ef, er;
	char *a, *b;
	size_t bom;

	/* The caller skips a byte order mark before either reader. */
	bom = size >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	ef = bpg_jfast_load((const char *)data + bom, size - bom,
	    BPG_MAX_DEPTH, &fast);
	er = req_json_load_ref((const char *)data, size, &ref, &ei);
	if (ef == BPG_ENOMEM || er == BPG_ENOMEM)
		goto out;
	if (er != BPG_OK) {
		if (ef != BPG_EINVAL || fast != NULL)
			abort();
		goto out;
	}
	if (ef != BPG_OK)
		abort();
	a = json_dumps(fast, JSON_COMPACT | JSON_ENCODE_ANY);
	b = json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY);
	if (a == NULL || b == NULL || strcmp(a, b) != 0)
		abort();
	free(a);
	free(b);
out:
	json_decref(fast);
	json_decref(ref);
	return 0;
}
