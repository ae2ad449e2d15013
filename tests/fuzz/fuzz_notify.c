/*
 * libFuzzer target: the request field `notify` (bpg_notify_parse) and the
 * URL policy (bpg_notify_check_url) on what a client sends.  Besides
 * memory errors it checks that an accepted URL's host is one of the
 * allowed names and that a refusal names the field.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpg_notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const hosts[] = { "hooks.example.com",
		"*.example.org" };
	struct bpg_notify_policy p = { false, false, hosts, 2 };
	struct bpg_notify_spec s;
	struct bpg_errinfo ei;
	char host[BPG_NOTIFY_MAX_HOST + 1];
	json_error_t je;
	json_t *v;
	size_t i;
	int port;

	v = json_loadb((const char *)data, size,
	    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (v == NULL)
		return 0;
	if (bpg_notify_parse(v, "notify", &s, &ei) != BPG_OK) {
		if (strncmp(ei.msg, "notify", 6) != 0)
			abort();
	} else
		for (i = 0; i < s.n; i++) {
			if (bpg_notify_check_url(s.t[i].url, &p, "notify.url",
				host, sizeof(host), &port, &ei) != BPG_OK) {
				if (strncmp(ei.msg, "notify.url: ", 12) != 0)
					abort();
			} else if (!bpg_notify_host_allowed(host, hosts, 2) ||
			    port < 1 || port > 65535)
				abort();
		}
	json_decref(v);
	return 0;
}
