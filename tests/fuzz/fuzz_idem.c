/*
 * libFuzzer target: the checks of an Idempotency-Key (bpg_idem_pick),
 * whose header value and body field come from the client.  Besides
 * memory errors, it checks what they promise: a key accepted is 1 to 128
 * printable ASCII bytes, a refusal says why in printable ASCII only (the
 * key is never echoed), and the request hash of any body is 64 hex
 * digits.  The input is split at its first NUL into header and field.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_idem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
printable_or_abort(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_errinfo ei;
	struct bpg_idem_req r;
	char hash[BPG_IDEM_HASH_HEX + 1];
	const char *key = NULL, *field = NULL;
	char *buf;
	size_t n;

	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	n = strlen(buf);
	if (n < size)
		field = buf + n + 1;
	ei.msg[0] = '\0';
	if (bpg_idem_pick(buf, field, &key, &ei) == BPG_OK) {
		if (key == NULL || strlen(key) == 0 ||
		    strlen(key) > BPG_IDEM_MAX_KEY)
			abort();
		printable_or_abort(key);
	} else {
		if (key != NULL || ei.msg[0] == '\0' ||
		    memchr(ei.msg, '\0', sizeof(ei.msg)) == NULL)
			abort();
		printable_or_abort(ei.msg);
	}
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.path = "/spark";
	r.body = (const char *)data;
	r.body_len = size;
	if (bpg_idem_hash(&r, hash, &ei) == BPG_OK &&
	    strspn(hash, "0123456789abcdef") != BPG_IDEM_HASH_HEX)
		abort();
	free(buf);
	return 0;
}
