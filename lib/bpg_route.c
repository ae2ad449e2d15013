/*
 * Routing of a submission (bpg-reference sections 2.2-2.6, 8.3).
 *
 * Deliberate differences from BPG (section 13), each a fix the project
 * decided on:
 *   quirk 1   cluster ids may contain '-': an ID is matched against the
 *             configured ids (longest first) instead of being cut at its
 *             first '-';
 *   quirk 2   the queue is resolved once per submission (the caller passes
 *             the result of bpg_route_queue() to the later steps);
 *   quirk 3   an unknown queue (or no queues section) is BPG_EINVAL (400)
 *             with BPG's text, not a 500;
 *   quirk 33  the submissionIdSuffix must be a DNS label and the whole ID
 *             at most BPG_MAX_SUBMISSION_ID characters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "bpg_jwt.h"
#include "bpg_name.h"
#include "bpg_num.h"
#include "bpg_route.h"

/* Section 2.2 step 3: the default (and YuniKorn's default) queue. */
#define DEFAULT_QUEUE "poc"
/* Section 2.4: executor limit of a queue that sets none. */
#define DEFAULT_MAX_EXECUTORS 5000
/* IDs longer than this, or with unprintable bytes, are never echoed. */
#define ID_ECHO_MAX 300
/* How much of such an ID a message shows (escaped). */
#define ID_PREFIX_SHOW 24

/* ---- random numbers ------------------------------------------------- */

/*
 * xoroshiro128+ (Blackman and Vigna, 2018), seeded through splitmix64 so
 * that any seed, 0 included, gives a non-zero state.  Not cryptographic:
 * it only spreads load and makes IDs unique, as java.util.Random and
 * UUID.randomUUID() did for BPG.
 */
static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
bpg_rng_seed_with(struct bpg_rng *r, uint64_t seed)
{
	r->s[0] = splitmix64(&seed);
	r->s[1] = splitmix64(&seed);
	if (r->s[0] == 0 && r->s[1] == 0)
		r->s[1] = 1;
}

enum bpg_err
bpg_rng_seed(struct bpg_rng *r)
{
	uint64_t seed[2];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(seed)) {
		n = getrandom((char *)seed + got, sizeof(seed) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return BPG_EIO;
		}
		got += (size_t)n;
	}
	/* Mix both words so that a weak half cannot dominate. */
	bpg_rng_seed_with(r, seed[0] ^ rotl(seed[1], 32));
	r->s[1] ^= seed[1];
	if (r->s[0] == 0 && r->s[1] == 0)
		r->s[1] = 1;
	return BPG_OK;
}

uint64_t
bpg_rng_next(struct bpg_rng *r)
{
	uint64_t s0 = r->s[0], s1 = r->s[1], res = s0 + s1;

	s1 ^= s0;
	r->s[0] = rotl(s0, 24) ^ s1 ^ (s1 << 16);
	r->s[1] = rotl(s1, 37);
	return res;
}

uint64_t
bpg_rng_below(struct bpg_rng *r, uint64_t n)
{
	uint64_t x, min;

	if (n <= 1)
		return 0;
	/* Reject the lowest (2^64 mod n) values: no modulo bias. */
	min = -n % n;
	do
		x = bpg_rng_next(r);
	while (x < min);
	return x % n;
}

/* ---- small helpers -------------------------------------------------- */

/* l holds s[0..n), ASCII case-insensitively; an empty s never matches. */
static bool
strlist_has_icase_n(const struct bpg_strlist *l, const char *s, size_t n)
{
	size_t i;

	if (s == NULL || n == 0)
		return false;
	/* Bytes equal but for case are equal once 0x20 is set. */
	for (i = 0; i < l->n; i++)
		if (l->v[i] != NULL && (l->v[i][0] | 0x20) == (s[0] | 0x20) &&
		    strlen(l->v[i]) == n && strncasecmp(l->v[i], s, n) == 0)
			return true;
	return false;
}

static bool
strlist_has_icase(const struct bpg_strlist *l, const char *s)
{
	return s != NULL && strlist_has_icase_n(l, s, strlen(s));
}

/* First (or last) queue config named name, ASCII case-insensitively. */
static const struct bpg_queue *
queue_icase(const struct bpg_config *cfg, const char *name, bool last)
{
	const struct bpg_queue *found = NULL;
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < cfg->nqueues; i++) {
		if (cfg->queues[i].name == NULL ||
		    strcasecmp(cfg->queues[i].name, name) != 0)
			continue;
		found = &cfg->queues[i];
		if (!last)
			break;
	}
	return found;
}

/* True if s may be repeated in a message as it is. */
static bool
echoable(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= ID_ECHO_MAX || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static bool
lowhex_n(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * True if s is "<32 lower-case hex>" or "<32 lower-case hex>-<DNS label>":
 * what follows "<cluster id>-" in a submission ID.
 */
static bool
id_tail_ok(const char *s)
{
	size_t len = strlen(s);

	if (len < BPG_ID_HEX_LEN || !lowhex_n(s, BPG_ID_HEX_LEN))
		return false;
	if (len == BPG_ID_HEX_LEN)
		return true;
	return s[BPG_ID_HEX_LEN] == '-' &&
	    bpg_name_label(s + BPG_ID_HEX_LEN + 1, len - BPG_ID_HEX_LEN - 1,
	    BPG_MAX_K8S_NAME);
}

/* ---- queue (section 2.2) -------------------------------------------- */

char *
bpg_route_normalize_queue(const char *q, bool *oom)
{
	char *out;
	size_t i, o = 0;

	if (oom != NULL)
		*oom = false;
	if (q == NULL)
		return NULL;
	if ((out = malloc(strlen(q) + 1)) == NULL) {
		if (oom != NULL)
			*oom = true;
		return NULL;
	}
	for (i = 0; q[i] != '\0'; i++) {
		/* Drop leading dots and all but the first of a run. */
		if (q[i] == '.' && (o == 0 || out[o - 1] == '.'))
			continue;
		out[o++] = q[i];
	}
	if (o > 0 && out[o - 1] == '.')
		o--;
	out[o] = '\0';
	if (o == 0) {
		free(out);
		return NULL;
	}
	return out;
}

enum bpg_err
bpg_route_check_token(const struct bpg_config *cfg, const char *token,
    const char *queue, time_t now, struct bpg_errinfo *ei)
{
	const struct bpg_queue *qc;

	/* Section 8.3 steps 1 and 2. */
	if (!cfg->has_queues)
		return BPG_OK;
	qc = queue_icase(cfg, queue, false);
	if (qc == NULL || !qc->secure)
		return BPG_OK;
	/* Step 3. */
	if (token == NULL || token[0] == '\0')
		return bpg_errf(ei, BPG_EINVAL, "Please specify queueToken for "
		    "queue %s", queue);
	if (!cfg->has_queue_token)
		return bpg_errf(ei, BPG_ECONFIG, "Server hit configuration "
		    "error: no queue token configure");
	if (cfg->queue_token_secrets.n == 0)
		return bpg_errf(ei, BPG_ECONFIG, "Server not configured with "
		    "secrets to verify queue token");
	/* Steps 4 and 5. */
	return bpg_jwt_check_queue(token, cfg->queue_token_secrets.v,
	    cfg->queue_token_secrets.n, queue, now, ei);
}

enum bpg_err
bpg_route_queue(const struct bpg_config *cfg,
    const struct bpg_submit_req *req, const char *user, struct bpg_rng *rng,
    char **queue, struct bpg_errinfo *ei)
{
	const struct bpg_queue *qc;
	char *q = NULL;
	size_t i, n = 0, pick;
	bool oom;
	enum bpg_err e;

	*queue = NULL;
	if (req->queue != NULL && req->queue[0] != '\0') {
		q = bpg_route_normalize_queue(req->queue, &oom);
		if (oom)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	} else if (cfg->has_queues && user != NULL) {
		/* Step 2: a uniform pick among the queues listing the user,
		 * as BPG's shuffle-then-first is. */
		for (i = 0; i < cfg->nqueues; i++)
			if (strlist_has_icase(&cfg->queues[i].users, user))
				n++;
		if (n > 0) {
			pick = (size_t)bpg_rng_below(rng, n);
			for (i = 0; i < cfg->nqueues; i++) {
				qc = &cfg->queues[i];
				if (!strlist_has_icase(&qc->users, user))
					continue;
				if (pick-- > 0)
					continue;
				if (qc->name != NULL &&
				    (q = strdup(qc->name)) == NULL)
					return bpg_errf(ei, BPG_ENOMEM,
					    "out of memory");
				break;
			}
		}
	}
	if (q == NULL || q[0] == '\0') {
		free(q);
		if ((q = strdup(DEFAULT_QUEUE)) == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	e = bpg_route_check_token(cfg, req->queue_token, q, time(NULL), ei);
	if (e != BPG_OK) {
		free(q);
		return e;
	}
	*queue = q;
	return BPG_OK;
}

/* ---- validation (section 2.4) --------------------------------------- */

enum bpg_err
bpg_route_validate(const struct bpg_config *cfg,
    const struct bpg_submit_req *req, const char *queue,
    struct bpg_errinfo *ei)
{
	const struct bpg_queue *qc;
	const json_t *v;
	int64_t limit, n;

	/* Step 1: the last entry wins, as in BPG; quirk 3 makes a missing
	 * one a client error. */
	qc = queue_icase(cfg, queue, true);
	if (qc == NULL)
		return bpg_errf(ei, BPG_EINVAL, "The queue %s does not exist. "
		    "Please check the queue name and try again.",
		    queue ? queue : "null");
	limit = qc->has_max_executor_instances ? qc->max_executor_instances :
	    DEFAULT_MAX_EXECUTORS;
	/* Step 2. */
	if (req->executor.present && req->executor.has_instances &&
	    req->executor.instances > limit)
		return bpg_errf(ei, BPG_EINVAL, "Executor instances in Spark "
		    "config (%lld) exceeds limit (%lld)",
		    (long long)req->executor.instances, (long long)limit);
	/* Step 3. */
	if (json_is_object(req->spark_conf) &&
	    (v = json_object_get(req->spark_conf,
	    "spark.executor.instances")) != NULL) {
		if (!bpg_parse_int(json_string_value(v), &n))
			return bpg_errf(ei, BPG_EINVAL, "Invalid value (%s) "
			    "for Spark config: (spark.executor.instances)",
			    json_is_string(v) ? json_string_value(v) : "null");
		if (n > limit)
			return bpg_errf(ei, BPG_EINVAL, "Executor instances in "
			    "Spark config (%lld) exceeds limit (%lld)",
			    (long long)n, (long long)limit);
	}
	return BPG_OK;
}

/* ---- cluster choice (section 2.5) ----------------------------------- */

bool
bpg_route_cluster_has_version(const struct bpg_cluster *c,
    const char *version)
{
	return strlist_has_icase(&c->spark_versions, version);
}

bool
bpg_route_cluster_has_queue(const struct bpg_cluster *c, const char *queue)
{
	return strlist_has_icase(&c->queues, queue);
}

bool
bpg_route_cluster_has_queue_n(const struct bpg_cluster *c, const char *queue,
    size_t n)
{
	return strlist_has_icase_n(&c->queues, queue, n);
}

enum bpg_err
bpg_route_cluster(const struct bpg_config *cfg,
    const struct bpg_submit_req *req, const char *queue, struct bpg_rng *rng,
    const struct bpg_cluster **out, struct bpg_errinfo *ei)
{
	const struct bpg_cluster *c;
	const char *ver = req->spark_version ? req->spark_version : "null";
	uint64_t sum = 0, r;
	size_t i, nver = 0, plen;

	*out = NULL;
	/* Step 1: an explicit cluster; weight and queues do not matter. */
	if (req->cluster_id != NULL && req->cluster_id[0] != '\0') {
		for (i = 0; i < cfg->nclusters; i++) {
			c = &cfg->clusters[i];
			if (c->id != NULL &&
			    strcmp(c->id, req->cluster_id) == 0 &&
			    bpg_route_cluster_has_version(c,
			    req->spark_version)) {
				*out = c;
				return BPG_OK;
			}
		}
		return bpg_errf(ei, BPG_EINVAL, "Cluster with id %s having "
		    "Spark version %s not found", req->cluster_id, ver);
	}
	/*
	 * Step 2, the clusters of the version, and step 4, those of them
	 * with the parent queue (the text before the first '.'), in one
	 * walk.  Step 3 (the second queue resolution) is gone: quirk 2.
	 */
	if (queue == NULL)
		queue = "";
	plen = strcspn(queue, ".");
	for (i = 0; i < cfg->nclusters; i++) {
		c = &cfg->clusters[i];
		if (c->weight <= 0 ||
		    !bpg_route_cluster_has_version(c, req->spark_version))
			continue;
		nver++;
		if (!strlist_has_icase_n(&c->queues, queue, plen))
			continue;
		if (sum > UINT64_MAX - (uint64_t)c->weight)
			return bpg_errf(ei, BPG_ECONFIG, "The sum of the "
			    "sparkClusters weights is too large");
		sum += (uint64_t)c->weight;
	}
	if (nver == 0)
		return bpg_errf(ei, BPG_EINVAL, "Spark version not supported: "
		    "%s", ver);
	if (sum == 0)
		return bpg_errf(ei, BPG_EINVAL, "Cluster with queue %s having "
		    "Spark version %s not found", queue, ver);
	/* Step 5: P(cluster i) = weight_i / sum, walking in config order. */
	r = bpg_rng_below(rng, sum);
	for (i = 0; i < cfg->nclusters; i++) {
		c = &cfg->clusters[i];
		if (c->weight <= 0 ||
		    !bpg_route_cluster_has_version(c, req->spark_version) ||
		    !strlist_has_icase_n(&c->queues, queue, plen))
			continue;
		if (r < (uint64_t)c->weight) {
			*out = c;
			return BPG_OK;
		}
		r -= (uint64_t)c->weight;
	}
	/* Not reached: r < sum. */
	return bpg_errf(ei, BPG_ECONFIG, "cluster choice failed");
}

/* ---- submission IDs (section 2.6) ----------------------------------- */

enum bpg_err
bpg_route_new_id(const struct bpg_cluster *c, const char *suffix,
    struct bpg_rng *rng, char out[BPG_MAX_SUBMISSION_ID + 1],
    struct bpg_errinfo *ei)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	char esc[ID_PREFIX_SHOW * 4 + 8];
	size_t idlen, slen, total, i;
	uint64_t w = 0;

	out[0] = '\0';
	idlen = c->id != NULL ? strlen(c->id) : 0;
	if (idlen == 0 || idlen + 1 + BPG_ID_HEX_LEN > BPG_MAX_SUBMISSION_ID)
		return bpg_errf(ei, BPG_ECONFIG, "Cluster id %s cannot prefix "
		    "submission IDs (1 to %d characters)",
		    c->id ? c->id : "null",
		    BPG_MAX_SUBMISSION_ID - 1 - BPG_ID_HEX_LEN);
	slen = suffix != NULL ? strlen(suffix) : 0;
	total = idlen + 1 + BPG_ID_HEX_LEN + (slen ? slen + 1 : 0);
	/* Quirk 33: the ID becomes the CR name and "<id>-ui-svc". */
	if (slen > 0 && !bpg_name_label(suffix, slen, BPG_MAX_K8S_NAME)) {
		bpg_echo(esc, sizeof(esc), suffix, ID_PREFIX_SHOW);
		return bpg_errf(ei, BPG_EINVAL, "submissionIdSuffix \"%s\" is "
		    "invalid: it must consist of lower-case letters, digits "
		    "and '-', and start and end with a letter or digit", esc);
	}
	if (total > BPG_MAX_SUBMISSION_ID)
		return bpg_errf(ei, BPG_EINVAL, "submissionIdSuffix %s is too "
		    "long: the submission ID would have %zu characters, at "
		    "most %d are allowed (the suffix may have at most %zu)",
		    suffix, total, BPG_MAX_SUBMISSION_ID,
		    (size_t)BPG_MAX_SUBMISSION_ID - idlen - 2 - BPG_ID_HEX_LEN);
	/* A version 4 UUID (RFC 4122 section 4.4) without its dashes, as
	 * BPG's UUID.randomUUID(). */
	for (i = 0; i < sizeof(b); i++) {
		if (i % 8 == 0)
			w = bpg_rng_next(rng);
		b[i] = (unsigned char)(w >> (8 * (i % 8)));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	memcpy(out, c->id, idlen);
	out[idlen] = '-';
	for (i = 0; i < sizeof(b); i++) {
		out[idlen + 1 + 2 * i] = hex[b[i] >> 4];
		out[idlen + 2 + 2 * i] = hex[b[i] & 0xf];
	}
	i = idlen + 1 + BPG_ID_HEX_LEN;
	if (slen > 0) {
		out[i++] = '-';
		memcpy(out + i, suffix, slen);
		i += slen;
	}
	out[i] = '\0';
	return BPG_OK;
}

enum bpg_err
bpg_route_cluster_of_id(const struct bpg_config *cfg, const char *id,
    const struct bpg_cluster **out, struct bpg_errinfo *ei)
{
	const struct bpg_cluster *best = NULL;
	const char *dash;
	char esc[ID_PREFIX_SHOW * 4 + 8];
	size_t i, len, bestlen = 0;

	*out = NULL;
	if (id == NULL)
		return bpg_errf(ei, BPG_EINVAL, "submissionId null is invalid");
	if (!echoable(id)) {
		bpg_echo(esc, sizeof(esc), id, ID_PREFIX_SHOW);
		return bpg_errf(ei, BPG_EINVAL, "submissionId is invalid (it "
		    "starts with \"%s\")", esc);
	}
	/* Quirk 1: the longest configured id followed by a valid tail. */
	for (i = 0; i < cfg->nclusters; i++) {
		const struct bpg_cluster *c = &cfg->clusters[i];

		if (c->id == NULL || (len = strlen(c->id)) == 0 ||
		    len <= bestlen || strncmp(id, c->id, len) != 0 ||
		    id[len] != '-' || !id_tail_ok(id + len + 1))
			continue;
		best = c;
		bestlen = len;
	}
	if (best != NULL) {
		*out = best;
		return BPG_OK;
	}
	/* Well formed but unknown: name the text before the first place
	 * where a valid tail starts. */
	for (dash = strchr(id, '-'); dash != NULL; dash = strchr(dash + 1,
	    '-')) {
		if (dash == id || !id_tail_ok(dash + 1))
			continue;
		return bpg_errf(ei, BPG_EINVAL, "Cluster %.*s (in "
		    "submissionId: %s) not exists", (int)(dash - id), id, id);
	}
	return bpg_errf(ei, BPG_EINVAL, "submissionId %s is invalid", id);
}

enum bpg_err
bpg_route_submission(const struct bpg_config *cfg,
    const struct bpg_submit_req *req, const char *user, struct bpg_rng *rng,
    char **queue, const struct bpg_cluster **cluster, struct bpg_errinfo *ei)
{
	enum bpg_err e;

	*queue = NULL;
	*cluster = NULL;
	if ((e = bpg_route_queue(cfg, req, user, rng, queue, ei)) != BPG_OK)
		return e;
	if ((e = bpg_route_validate(cfg, req, *queue, ei)) != BPG_OK ||
	    (e = bpg_route_cluster(cfg, req, *queue, rng, cluster,
	    ei)) != BPG_OK) {
		free(*queue);
		*queue = NULL;
	}
	return e;
}
