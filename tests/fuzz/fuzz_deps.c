/*
 * libFuzzer target: dependsOn and dependencyPolicy (bpg_deps_from_req,
 * bpg_deps_id_ok).  The first byte picks the format of the rest (odd:
 * YAML, even: JSON), a whole request body; the seeds are in corpus/deps.
 *
 * Besides memory errors it checks what the module promises:
 * - accepted: at most BPG_DEPS_MAX IDs, each well formed and of the
 *   request, none twice, and a known policy;
 * - refused: an empty result and a message naming the field, valid for
 *   JSON, without control bytes;
 * - bpg_deps_id_ok() takes only lower-case letters, digits and '-'.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bpg_deps.h"
#include "bpg_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_id_ok(const char *s)
{
	size_t i;

	if (!bpg_deps_id_ok(s))
		return;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			abort();
	if (i > BPG_MAX_SUBMISSION_ID)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_submit_req r;
	struct bpg_errinfo ei;
	struct bpg_deps d;
	enum bpg_deps_policy p;
	json_t *j;
	char *copy;
	size_t i, k;

	if (size < 1)
		return 0;
	if ((copy = malloc(size)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	check_id_ok(copy);
	free(copy);
	if (bpg_req_parse((const char *)data + 1, size - 1, (data[0] & 1) ?
	    BPG_REQ_YAML : BPG_REQ_JSON, &r, NULL) != BPG_OK) {
		bpg_req_reset(&r);
		return 0;
	}
	memset(&ei, 0, sizeof(ei));
	if (bpg_deps_from_req(r.depends_on, r.dependency_policy, &d, &ei) !=
	    BPG_OK) {
		if (d.n != 0 || (strncmp(ei.msg, "dependsOn", 9) != 0 &&
		    strncmp(ei.msg, "dependencyPolicy", 16) != 0))
			abort();
		for (i = 0; ei.msg[i] != '\0'; i++)
			if ((unsigned char)ei.msg[i] < 0x20)
				abort();
		if ((j = json_string(ei.msg)) == NULL)
			abort();
		json_decref(j);
		bpg_req_reset(&r);
		return 0;
	}
	if (d.n > BPG_DEPS_MAX || d.n != json_array_size(r.depends_on) ||
	    bpg_deps_policy_name(d.policy) == NULL)
		abort();
	if (r.dependency_policy != NULL && (!bpg_deps_policy_of(
	    r.dependency_policy, &p) || p != d.policy))
		abort();
	for (i = 0; i < d.n; i++) {
		if (!bpg_deps_id_ok(d.ids[i]) || strcmp(d.ids[i],
		    json_string_value(json_array_get(r.depends_on, i))) != 0)
			abort();
		for (k = 0; k < i; k++)
			if (strcmp(d.ids[k], d.ids[i]) == 0)
				abort();
	}
	bpg_req_reset(&r);
	return 0;
}
