/*
 * libFuzzer target: the Livy batch body parser (bpg_livy_translate) and
 * the log window (bpg_livy_log_*).  The input is the body; its first
 * bytes also pick a log window, and the body is fed to it as log text in
 * pieces.  The seeds in corpus/livy are batch bodies.
 *
 * Besides memory errors it checks what the module promises:
 * - an error carries a printable ASCII message and leaves no output;
 * - a translated body is a request bpg_req_parse() accepts or refuses
 *   with a message, never crashes on, and its proxyUser is a string;
 * - a log window holds at most its size lines, and says how many lines
 *   the text had whatever the pieces.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpg_livy.h"
#include "bpg_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_msg(const char *msg)
{
	size_t i, n = strnlen(msg, sizeof(((struct bpg_errinfo *)0)->msg));

	if (n == 0 || n == sizeof(((struct bpg_errinfo *)0)->msg))
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
			abort();
}

static int64_t
lines_of(const char *p, size_t n)
{
	int64_t count = 0;
	size_t i;

	for (i = 0; i < n; i++)
		count += p[i] == '\n';
	return count + (n > 0 && p[n - 1] != '\n');
}

static void
log_window(const uint8_t *data, size_t size)
{
	struct bpg_livy_log l;
	int64_t from, first;
	size_t step, k;
	json_t *a;

	if (size < 3)
		return;
	from = data[0] < 128 ? data[0] % 16 : -1;
	bpg_livy_log_init(&l, from, data[1] % 8);
	step = (size_t)data[2] % 7 + 1;
	for (k = 0; k < size; k += step)
		if (bpg_livy_log_feed(&l, (const char *)data + k, size - k < step ?
		    size - k : step) != 0)
			abort();
	if (bpg_livy_log_end(&l) != 0)
		abort();
	if (l.total != lines_of((const char *)data, size))
		abort();
	if ((a = bpg_livy_log_lines(&l, &first)) == NULL)
		abort();
	if ((int64_t)json_array_size(a) > l.size || first < 0)
		abort();
	json_decref(a);
	bpg_livy_log_free(&l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_submit_req r;
	struct bpg_errinfo ei;
	json_t *req = NULL;
	char *proxy = NULL, *text;

	log_window(data, size);
	memset(&ei, 0, sizeof(ei));
	if (bpg_livy_translate((const char *)data, size, "3.5", &req, &proxy,
	    &ei) != BPG_OK) {
		check_msg(ei.msg);
		if (req != NULL || proxy != NULL)
			abort();
		return 0;
	}
	if (!json_is_object(req) || json_object_get(req,
	    "mainApplicationFile") == NULL)
		abort();
	if ((text = json_dumps(req, JSON_COMPACT)) == NULL)
		abort();
	memset(&ei, 0, sizeof(ei));
	if (bpg_req_parse(text, strlen(text), BPG_REQ_JSON, &r, &ei) != BPG_OK &&
	    ei.msg[0] == '\0')
		abort();
	bpg_req_reset(&r);
	free(text);
	free(proxy);
	json_decref(req);
	return 0;
}
