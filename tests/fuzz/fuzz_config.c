/*
 * libFuzzer target: the config binder (bpg_config_parse) on arbitrary
 * bytes.  Seeds: tests/fuzz/corpus/config/ (copies of tests/data/config/).
 * A successful parse is walked through the lookups so that every bound
 * field is read at least once under ASan.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpg_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
touch_list(const struct bpg_strlist *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += strlen(l->v[i]);
	return n;
}

static size_t
touch_map(const struct bpg_kvmap *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->n; i++)
		n += strlen(m->v[i].key) + strlen(m->v[i].value);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bpg_config_error err;
	struct bpg_config *cfg;
	volatile size_t sink = 0;
	size_t i;
	char *s;

	if (bpg_config_parse((const char *)data, size, &cfg, &err) != BPG_OK) {
		/* The error must be terminated strings. */
		sink += strlen(err.msg) + strlen(err.path);
		return 0;
	}
	sink += strlen(cfg->context_path) + strlen(cfg->db.db_name);
	sink += touch_map(&cfg->default_spark_conf) +
	    touch_map(&cfg->fixed_spark_conf);
	for (i = 0; i < cfg->nclusters; i++) {
		const struct bpg_cluster *cl = &cfg->clusters[i];

		if (bpg_config_cluster(cfg, cl->id) != cl)
			abort();
		sink += strlen(cl->master_url) + strlen(cl->namespace);
		sink += touch_list(&cl->spark_versions) +
		    touch_list(&cl->queues) + touch_map(&cl->spark_conf);
		if (cl->ca_cert != NULL && cl->ca_cert_len == 0)
			abort();
		if (cl->spark_ui_options != NULL) {
			s = json_dumps(cl->spark_ui_options, 0);
			free(s);
		}
		if (cl->volumes != NULL) {
			s = json_dumps(cl->volumes, 0);
			free(s);
		}
	}
	for (i = 0; i < cfg->nqueues; i++) {
		sink += touch_list(&cfg->queues[i].allowed_zones);
		(void)bpg_config_queue_icase(cfg, cfg->queues[i].name, true);
	}
	for (i = 0; i < cfg->nimages; i++)
		sink += strlen(cfg->images[i].name) +
		    touch_list(&cfg->images[i].types);
	sink += touch_list(&cfg->warnings) + touch_list(&cfg->allowed_users);
	(void)sink;
	bpg_config_free(cfg);
	return 0;
}
