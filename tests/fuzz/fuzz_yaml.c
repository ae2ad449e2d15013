/* libFuzzer target: the YAML reader in both modes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bpg_yaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_yaml_lines *lines;
	struct bpg_errinfo ei;
	json_t *root;
	char *s;

	if (size == 0)
		return 0;
	if (bpg_yaml_load((const char *)data + 1, size - 1,
	    data[0] & 1 ? BPG_YAML_TEXT : BPG_YAML_TYPED, &root, &lines,
	    &ei) == BPG_OK) {
		s = json_dumps(root, JSON_ENCODE_ANY);
		free(s);
		(void)bpg_yaml_line(lines, root);
		json_decref(root);
		bpg_yaml_lines_free(lines);
	}
	return 0;
}
