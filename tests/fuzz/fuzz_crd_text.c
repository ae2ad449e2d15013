/*
 * libFuzzer target: the SparkApplication written as text (bpg_crd_text)
 * against the reference, the tree (bpg_crd_build, bpg_crd_check,
 * bpg_json_dump).  The input is a submit request as in fuzz_req (first
 * byte odd: YAML, even: JSON); one that parses is built both ways for
 * each cluster of tests/data/crd/text-config.yaml (one with every
 * cluster-side part, one with none), the zone counters copied so both pick the same zone,
 * with the configuration as parsed and as the gateway loads it (the parts
 * of the configuration alone written once, bpg_crd_text_prepare()).
 * Both must give the same bytes, or the same error code and message.
 * Seeds: corpus/crd_text (requests of tests/data/req and the shapes the
 * text writer treats apart: nulls, big sparkConf, bad labels).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bpg_crd.h"
#include "bpg_crd_text.h"
#include "bpg_json.h"
#include "bpg_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tests/data/crd/text-config.yaml, found from the binary's place
 * (build-fuzz/). */
static char *
read_config(size_t *len)
{
	char path[4096], *slash, *buf = NULL;
	ssize_t n;
	FILE *f;
	long sz;

	if ((n = readlink("/proc/self/exe", path, sizeof(path) - 64)) <= 0)
		return NULL;
	path[n] = '\0';
	if ((slash = strrchr(path, '/')) == NULL)
		return NULL;
	strcpy(slash, "/../tests/data/crd/text-config.yaml");
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)sz)) != NULL &&
	    fread(buf, 1, (size_t)sz, f) == (size_t)sz)
		*len = (size_t)sz;
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static struct bpg_config *cfgs[2];	/* as parsed, prepared */
static struct bpg_zones *zones;

static void
setup(void)
{
	struct bpg_config_error err = { 0 };
	size_t len = 0;
	char *text = read_config(&len);

	if (text == NULL || bpg_config_parse(text, len, &cfgs[0], &err) !=
	    BPG_OK || bpg_config_parse(text, len, &cfgs[1], &err) != BPG_OK ||
	    !bpg_crd_text_prepare(cfgs[1]) || bpg_zones_new(&zones) != BPG_OK) {
		fprintf(stderr, "fuzz_crd_text: tests/data/crd/"
		    "text-config.yaml: %s at %s\n", err.msg, err.path);
		abort();
	}
	free(text);
}

static void
compare(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx)
{
	struct bpg_errinfo ei_t = { "" }, ei_r = { "" };
	struct bpg_zones *z;
	char *text = NULL, *ref = NULL;
	size_t len = 0, rlen = 0;
	enum bpg_err et, er;

	if (bpg_zones_dup(zones, &z) != BPG_OK)
		abort();
	et = bpg_crd_text(cfg, cl, req, ctx, z, &text, &len, &ei_t);
	bpg_zones_free(z);
	er = bpg_crd_text_ref(cfg, cl, req, ctx, zones, &ref, &rlen, &ei_r);
	if (et != er || (et == BPG_OK && (len != rlen ||
	    memcmp(text, ref, len) != 0)) ||
	    (et != BPG_OK && (text != NULL || strcmp(ei_t.msg, ei_r.msg) != 0))) {
		fprintf(stderr, "text: %d %s\n%s\ntree: %d %s\n%s\n", et,
		    ei_t.msg, text ? text : "", er, ei_r.msg, ref ? ref : "");
		abort();
	}
	free(text);
	free(ref);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const queues[] = { "poc", "dev", "dev.team1" };
	struct bpg_submit_req req;
	struct bpg_errinfo ei;
	struct bpg_crd_ctx ctx;
	size_t c, k;

	if (cfgs[0] == NULL)
		setup();
	if (size < 1)
		return 0;
	if (bpg_req_parse((const char *)data + 1, size - 1, (data[0] & 1) ?
	    BPG_REQ_YAML : BPG_REQ_JSON, &req, &ei) == BPG_OK) {
		ctx.submission_id = "c01-0123456789abcdef0123456789abcdef";
		ctx.user = "alice";
		ctx.proxy_user = req.queue != NULL && req.queue[0] == 'x' ?
		    "Bob Smith" : "alice";
		ctx.queue = queues[size % 3];
		for (k = 0; k < 2; k++)
			for (c = 0; c < cfgs[k]->nclusters; c++)
				compare(cfgs[k], &cfgs[k]->clusters[c], &req,
				    &ctx);
	}
	bpg_req_reset(&req);
	return 0;
}
