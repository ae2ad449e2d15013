#include <pthread.h>
#include <stddef.h>

#include "bpg_config_apart.h"
#include "bpg_crd_text.h"

struct load_job {
	const char *path;
	struct bpg_config *cfg;
	struct bpg_config_error *err;
	enum bpg_err e;
};

static void *
load_run(void *arg)
{
	struct load_job *j = arg;

	j->e = bpg_config_load(j->path, &j->cfg, j->err);
	/* Out of memory only costs the copies: they are written each time. */
	if (j->e == BPG_OK)
		(void)bpg_crd_text_prepare(j->cfg);
	return NULL;
}

enum bpg_err
bpg_config_load_apart(const char *path, struct bpg_config **out,
    struct bpg_config_error *err)
{
	struct load_job j = { path, NULL, err, BPG_OK };
	pthread_t t;

	if (pthread_create(&t, NULL, load_run, &j) != 0)
		(void)load_run(&j);
	else
		(void)pthread_join(t, NULL);
	*out = j.cfg;
	return j.e;
}
