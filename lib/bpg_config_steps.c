/*
 * The checks of config.yaml across keys: the KT_STEP rows of the tables
 * (cluster ids, master URLs, namespaces, tokens, the database, S3, the
 * context path), run once the rows above them are bound (quirk 18).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_config_int.h"

/* ------------------------------------------------------------------ */
/* Checks                                                              */

/* DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most max. */
/*
 * Cluster ids start submission IDs, which are Kubernetes object names:
 * a DNS-1123 label of at most BPG_MAX_CLUSTER_ID.  '-' is allowed: IDs
 * are resolved by the longest configured prefix, the compatible fix of
 * quirk 1.
 */
static bool
valid_cluster_id(const char *s)
{
	return bpg_name_label(s, strlen(s), BPG_MAX_CLUSTER_ID);
}

/*
 * The submission IDs of cluster id s pass the name rule bpg_crd_check()
 * applies to metadata.name (the ID is the CR name, section 2.6), so that
 * a cluster whose submissions would all be refused with a 400 fails at
 * load instead.  IDs are "<id>-<32 hex>" and, with a submissionIdSuffix,
 * "-<DNS label>" up to BPG_MAX_SUBMISSION_ID in all (bpg_route_new_id(),
 * quirk 33).  The shortest and the longest are tried, with digits for the
 * generated and suffix characters: the rule looks only at the characters
 * and the length.  For an s that passed valid_cluster_id() only its first
 * character can fail it: DNS-1035 wants a letter where DNS-1123 also
 * takes a digit.
 */
static bool
cluster_id_names_ok(const char *s)
{
	char id[BPG_MAX_SUBMISSION_ID + 1];
	size_t n = strlen(s);

	if (n + 1 + BPG_ID_HEX_LEN > BPG_MAX_SUBMISSION_ID)
		return false;
	memcpy(id, s, n);
	id[n] = '-';
	memset(id + n + 1, '0', BPG_ID_HEX_LEN);
	id[n + 1 + BPG_ID_HEX_LEN] = '\0';
	if (!bpg_name_app(id))
		return false;
	/* "-" and a suffix of at least one character. */
	if (n + 3 + BPG_ID_HEX_LEN > BPG_MAX_SUBMISSION_ID)
		return true;
	id[n + 1 + BPG_ID_HEX_LEN] = '-';
	memset(id + n + 2 + BPG_ID_HEX_LEN, '0',
	    BPG_MAX_SUBMISSION_ID - n - 2 - BPG_ID_HEX_LEN);
	id[BPG_MAX_SUBMISSION_ID] = '\0';
	return bpg_name_app(id);
}

/* RFC 9110 token characters, for a header name. */
static bool
valid_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!cfg_is_alnum(*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return false;
	return true;
}

/* masterUrl: http:// or https:// and a host; the scheme is stored in
 * lower case and trailing '/' removed, since paths are appended. */
static enum bpg_err
check_master_url(struct ctx *c, const json_t *cl, char *url)
{
	const json_t *node = cfg_member(cl, "masterUrl");
	size_t mark = cfg_path_key(c, "masterUrl"), n, skip;
	enum bpg_err e = BPG_OK;
	const char *p;

	if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else {
		e = cfg_fail(c, node, cl,
		    "must start with http:// or https://");
		goto out;
	}
	for (n = 0; n < skip; n++)
		if (url[n] >= 'A' && url[n] <= 'Z')
			url[n] = (char)(url[n] - 'A' + 'a');
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' ||
		    *p == '#') {
			e = cfg_fail(c, node, cl,
			    "must be a URL without spaces, "
			    "control characters, query or fragment");
			goto out;
		}
	n = strlen(url);
	while (n > skip && url[n - 1] == '/')
		url[--n] = '\0';
	if (n == skip || url[skip] == '/')
		e = cfg_fail(c, node, cl, "has no host");
out:
	cfg_path_pop(c, mark);
	return e;
}

/* A failure at key of o. */
static enum bpg_err __attribute__((format(printf, 4, 5)))
fail_at(struct ctx *c, const json_t *o, const char *key, const char *fmt,
    ...)
{
	char msg[sizeof(((struct bpg_config_error *)0)->msg)];
	enum bpg_err e;
	va_list ap;
	size_t mark;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mark = cfg_path_key(c, key);
	e = cfg_fail(c, cfg_member(o, key), o, "%s", msg);
	cfg_path_pop(c, mark);
	return e;
}

enum bpg_err
cfg_step_cluster_id(struct ctx *c, const json_t *o, const struct key *k,
    char *base)
{
	const struct bpg_cluster *cl = (const void *)base;

	(void)k;
	if (!valid_cluster_id(cl->id))
		return fail_at(c, o, "id", "must be 1 to %d characters of "
		    "[a-z0-9-], not starting or ending with '-' (it starts "
		    "Kubernetes object names)", BPG_MAX_CLUSTER_ID);
	if (!cluster_id_names_ok(cl->id))
		return fail_at(c, o, "id", "must start with a lower-case "
		    "letter: its submission IDs \"%s-<32 hex>\" are "
		    "SparkApplication names, which must be DNS-1035 labels "
		    "([a-z] first, then [a-z0-9-])", cl->id);
	return BPG_OK;
}

enum bpg_err
cfg_step_master_url(struct ctx *c, const json_t *o, const struct key *k,
    char *base)
{
	(void)k;
	return check_master_url(c, o, ((struct bpg_cluster *)(void *)base)->
	    master_url);
}

enum bpg_err
cfg_step_namespace(struct ctx *c, const json_t *o, const struct key *k,
    char *base)
{
	const struct bpg_cluster *cl = (const void *)base;

	(void)k;
	if (!bpg_name_label(cl->namespace, strlen(cl->namespace),
	    BPG_MAX_K8S_NAME))
		return fail_at(c, o, "sparkApplicationNamespace", "must be a "
		    "DNS-1123 label (at most %d characters of [a-z0-9-], "
		    "alphanumeric at both ends)", BPG_MAX_K8S_NAME);
	if (cl->http_proxy != NULL && cfg_has_ctl(cl->http_proxy))
		return fail_at(c, o, "httpProxy", "contains control characters");
	if (cl->https_proxy != NULL && cfg_has_ctl(cl->https_proxy))
		return fail_at(c, o, "httpsProxy",
		    "contains control characters");
	return BPG_OK;
}

/* The token goes into an HTTP header (section 3.1): no control bytes.
 * Quirk 18: an unusable token on a routable cluster is a start-up error,
 * not a 500 per request. */
enum bpg_err
cfg_step_token(struct ctx *c, const json_t *o, const struct key *k, char *base)
{
	const struct bpg_cluster *cl = (const void *)base;

	(void)k;
	if (cl->token == NULL)
		return BPG_OK;
	if (cfg_has_ctl(cl->token))
		return fail_at(c, o, "userTokenSOPS", "contains control "
		    "characters (a trailing newline?)");
	if (cl->token[0] == '\0' && cl->weight > 0)
		return fail_at(c, o, "userTokenSOPS", "must not be empty on a "
		    "cluster with weight > 0");
	return BPG_OK;
}

/* Cluster ids are unique: the entries before this one are bound. */
enum bpg_err
cfg_step_cluster_unique(struct ctx *c, const json_t *o, const struct key *k,
    char *base)
{
	const struct bpg_cluster *cl = (const void *)base;
	const struct bpg_cluster *all = c->cfg->clusters;
	size_t j;

	(void)k;
	for (j = 0; all + j < cl; j++)
		if (strcmp(all[j].id, cl->id) == 0)
			return fail_at(c, o, "id", "duplicate cluster id (also "
			    "sparkClusters[%zu])", j);
	return BPG_OK;
}

/* dbStorageSOPS (sections 7.2, 9.1): dbName, then what the connection
 * needs, so that -t refuses what it could not honour. */
enum bpg_err
cfg_step_db(struct ctx *c, const json_t *root, const struct key *k, char *base)
{
	struct bpg_dbconf *db = &((struct bpg_config *)(void *)base)->db;
	const json_t *o = cfg_member(root, "dbStorageSOPS");
	struct bpg_errinfo ei;
	enum bpg_err e = BPG_OK;
	const char *p;
	char buf[80];
	size_t mark;

	(void)k;
	/* An explicit empty name is replaced by the default first. */
	if (db->db_name == NULL || db->db_name[0] == '\0') {
		free(db->db_name);
		if ((db->db_name = strdup(BPG_DB_DEFAULT_NAME)) == NULL)
			return cfg_nomem(c);
	}
	for (p = db->db_name; *p != '\0'; p++)
		if (!cfg_is_alnum(*p) && *p != '$' && *p != '_')
			break;
	mark = cfg_path_key(c, "dbStorageSOPS");
	cfg_path_key(c, "dbName");
	if (*p != '\0') {
		cfg_sanitize(buf, sizeof(buf), db->db_name);
		e = cfg_fail(c, cfg_member(o, "dbName"), o,
		    "DB name should include only [^0-9a-zA-Z$_]: %s", buf);
	} else if (strlen(db->db_name) > BPG_DB_MAX_NAME)
		e = cfg_fail(c, cfg_member(o, "dbName"), o,
		    "DB name is longer than %d characters", BPG_DB_MAX_NAME);
	cfg_path_pop(c, mark);
	if (e != BPG_OK)
		return e;
	/* The message names the key. */
	if (bpg_db_check_conf(db, &ei) != BPG_OK)
		e = cfg_fail(c, cfg_member(o, "connectionString"), o, "%s",
		    ei.msg);
	return e;
}

/*
 * S3 settings (our keys, documented in bpg_config.h).  BPG gets them from
 * the AWS SDK's default chain and fixes the region to us-west-2; the
 * environment is read here, once, and never per request.
 */
#define S3_DEFAULT_REGION "us-west-2"

/* A copy of s (NULL stays NULL); false when out of memory. */
static bool
dup_opt(const char *s, char **out)
{
	*out = NULL;
	return s == NULL || (*out = strdup(s)) != NULL;
}

/* getenv(name) copied, NULL when unset or empty; false when out of
 * memory. */
static bool
dup_env(const char *name, char **out)
{
	const char *v = getenv(name);

	return dup_opt(v != NULL && v[0] != '\0' ? v : NULL, out);
}

/* Try the settings the way a worker will (no network I/O). */
static enum bpg_err
check_s3(struct ctx *c, const json_t *root, const char *bucket_key,
    const struct bpg_s3conf *conf)
{
	struct bpg_errinfo ei = { { 0 } };
	struct bpg_s3 *s3;
	enum bpg_err e;

	if ((e = bpg_s3_new(conf, &s3, &ei)) == BPG_OK) {
		bpg_s3_free(s3);
		return BPG_OK;
	}
	if (e == BPG_ENOMEM)
		return cfg_nomem(c);
	return fail_at(c, root, bucket_key, "S3 settings: %s", ei.msg);
}

/*
 * The rows bound s3Endpoint, s3Region, s3PathStyle and the keys into
 * cfg->s3, sparkLogS3Endpoint into cfg->s3_log.endpoint; here the
 * environment fills the gaps and the log bucket gets the rest.
 */
enum bpg_err
cfg_step_s3(struct ctx *c, const json_t *root, const struct key *k, char *base)
{
	struct bpg_config *cfg = (struct bpg_config *)(void *)base;
	struct bpg_s3conf *up = &cfg->s3, *lg = &cfg->s3_log;
	bool path_style = up->path_style, has_path_style;
	char *log_ep = lg->endpoint;
	const char *missing;
	enum bpg_err e;
	size_t mark;

	(void)k;
	has_path_style = cfg_member(root, "s3PathStyle") != NULL;
	lg->endpoint = NULL;
	if (up->region == NULL && !dup_env("AWS_REGION", &up->region))
		goto cfg_nomem;
	if (up->region == NULL &&
	    (up->region = strdup(S3_DEFAULT_REGION)) == NULL)
		goto cfg_nomem;
	if ((up->access_key_id == NULL) != (up->secret_access_key == NULL)) {
		missing = up->access_key_id == NULL ? "s3AccessKeyId" :
		    "s3SecretAccessKey";
		mark = cfg_path_key(c, missing);
		e = cfg_fail(c, NULL, root, "is required when %s is set",
		    up->access_key_id == NULL ? "s3SecretAccessKey" :
		    "s3AccessKeyId");
		cfg_path_pop(c, mark);
		goto out;
	}
	if (up->access_key_id == NULL) {
		/* The AWS SDK's environment credentials. */
		if (!dup_env("AWS_ACCESS_KEY_ID", &up->access_key_id) ||
		    !dup_env("AWS_SECRET_ACCESS_KEY", &up->secret_access_key) ||
		    !dup_env("AWS_SESSION_TOKEN", &up->session_token))
			goto cfg_nomem;
		if ((up->access_key_id == NULL) !=
		    (up->secret_access_key == NULL)) {
			bpg_secret_wipe_free(up->access_key_id);
			bpg_secret_wipe_free(up->secret_access_key);
			up->access_key_id = up->secret_access_key = NULL;
			if ((e = cfg_warn(c,
			    "only one of AWS_ACCESS_KEY_ID and "
			    "AWS_SECRET_ACCESS_KEY is set; S3 requests are "
			    "sent without credentials")) != BPG_OK)
				goto out;
		}
		if (up->access_key_id == NULL) {
			bpg_secret_wipe_free(up->session_token);
			up->session_token = NULL;
		}
	}
	up->path_style = has_path_style ? path_style : up->endpoint != NULL;

	/* The log bucket: same settings, its own endpoint if given. */
	if (!dup_opt(log_ep != NULL ? log_ep : up->endpoint, &lg->endpoint) ||
	    !dup_opt(up->region, &lg->region) ||
	    !dup_opt(up->access_key_id, &lg->access_key_id) ||
	    !dup_opt(up->secret_access_key, &lg->secret_access_key) ||
	    !dup_opt(up->session_token, &lg->session_token))
		goto cfg_nomem;
	lg->path_style = has_path_style ? path_style : lg->endpoint != NULL;

	if (cfg->s3_bucket != NULL && cfg->s3_bucket[0] != '\0' &&
	    strncasecmp(cfg->s3_bucket, "gs://", 5) != 0 &&
	    (e = check_s3(c, root, "s3Bucket", up)) != BPG_OK)
		goto out;
	if (cfg->spark_log_s3_bucket != NULL &&
	    cfg->spark_log_s3_bucket[0] != '\0')
		e = check_s3(c, root, "sparkLogS3Bucket", lg);
	goto out;
cfg_nomem:
	e = cfg_nomem(c);
out:
	free(log_ep);
	return e;
}

/* applicationContextPath: default /skatev2, a plain path, no trailing
 * '/'. */
enum bpg_err
cfg_step_context_path(struct ctx *c, const json_t *root, const struct key *k,
    char *base)
{
	const char *key = "applicationContextPath";
	struct bpg_config *cfg = (struct bpg_config *)(void *)base;
	enum bpg_err e = BPG_OK;
	const char *p;
	size_t n, mark;

	(void)k;
	if (cfg->context_path == NULL || cfg->context_path[0] == '\0') {
		free(cfg->context_path);
		cfg->context_path = strdup(DEFAULT_CONTEXT_PATH);
		return cfg->context_path == NULL ? cfg_nomem(c) : BPG_OK;
	}
	mark = cfg_path_key(c, key);
	if (cfg->context_path[0] != '/')
		e = cfg_fail(c, cfg_member(root, key), root,
		    "must start with '/'");
	for (p = cfg->context_path; e == BPG_OK && *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' ||
		    *p == '#' || *p == '%')
			e = cfg_fail(c, cfg_member(root, key), root,
			    "must be a plain "
			    "URL path (no spaces, '?', '#' or '%%')");
	cfg_path_pop(c, mark);
	if (e != BPG_OK)
		return e;
	n = strlen(cfg->context_path);
	while (n > 0 && cfg->context_path[n - 1] == '/')
		cfg->context_path[--n] = '\0';
	return BPG_OK;
}

/*
 * inClusterApiServer and inClusterServiceAccountDir (our keys): where the
 * k8s:secret: references of section 7.3 are read.  The URL is checked
 * here so that a typo is reported with its line even when no reference
 * uses it.
 */
enum bpg_err
cfg_step_incluster(struct ctx *c, const json_t *root, const struct key *k,
    char *base)
{
	struct bpg_secret_client *sc = NULL;
	struct bpg_errinfo ei = { { 0 } };
	enum bpg_err e;

	(void)k;
	if ((e = cfg_secret_client((struct bpg_config *)(void *)base, &sc,
	    &ei)) == BPG_ENOMEM)
		return cfg_nomem(c);
	bpg_secret_client_free(sc);
	if (e != BPG_OK)
		e = fail_at(c, root, "inClusterApiServer", "%s", ei.msg);
	return e;
}

enum bpg_err
cfg_step_trusted_header(struct ctx *c, const json_t *root, const struct key *k,
    char *base)
{
	const char *h = ((struct bpg_config *)(void *)base)->
	    trusted_user_header;

	(void)k;
	if (h != NULL && !valid_token(h))
		return fail_at(c, root, "trustedUserHeader",
		    "must be an HTTP header name");
	return BPG_OK;
}
