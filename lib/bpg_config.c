/*
 * config.yaml (bpg-reference section 7) bound to struct bpg_config.
 *
 * The file is read into a jansson tree by bpg_yaml_load() in typed mode
 * (the way Jackson's YAML reader types plain scalars), then every key of
 * section 7.2 is bound by hand.  Binding follows BPG's rules (section 7.1):
 * unknown keys are ignored at every level, duplicate keys are resolved by
 * the reader (last wins), string fields take integers, booleans and floats
 * as the text Java would print, and a YAML null is an absent key.  What
 * BPG would only discover per request (section 13, quirk 18) is checked
 * here, once, and reported with the key path and the line.
 *
 * Every value is copied out of the tree; the tree is wiped of secrets and
 * freed before bpg_config_parse() returns.
 *
 * This file holds the entry points, freeing and the lookups.  The rest,
 * sharing bpg_config_int.h: the keys as descriptor tables
 * (bpg_config_keys.c) bound by one binder (bpg_config_bind.c) out of the
 * values read from the tree (bpg_config_value.c); the structured sections
 * (bpg_config_sections.c), secret references (bpg_config_refs.c) and the
 * checks across keys (bpg_config_steps.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpg_config_int.h"

/* ------------------------------------------------------------------ */
/* Entry points                                                        */

enum bpg_err
bpg_config_parse(const char *buf, size_t len, struct bpg_config **out,
    struct bpg_config_error *err)
{
	struct bpg_yaml_lines *lines = NULL;
	struct bpg_errinfo ei = { { 0 } };
	struct bpg_config *cfg;
	json_t *root = NULL;
	struct ctx c;
	enum bpg_err e;
	int line;

	*out = NULL;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if (len > BPG_MAX_CONFIG) {
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "the configuration "
			    "is larger than %d bytes", BPG_MAX_CONFIG);
		return BPG_ETOOBIG;
	}
	if (buf == NULL && len > 0)
		return BPG_EINVAL;
	e = bpg_yaml_load(buf ? buf : "", len, BPG_YAML_TYPED, &root, &lines,
	    &ei);
	if (e != BPG_OK) {
		if (err != NULL) {
			if (sscanf(ei.msg, "line %d", &line) == 1)
				err->line = line;
			memcpy(err->msg, ei.msg, sizeof(err->msg) - 1);
			err->msg[sizeof(err->msg) - 1] = '\0';
		}
		return e;
	}
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		e = BPG_ENOMEM;
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.lines = lines;
	c.err = err;
	c.cfg = cfg;
	e = cfg_bind_root(&c, root);
	/* Secrets are read at load only: the client goes now. */
	bpg_secret_client_free(c.secrets);
	if (e != BPG_OK) {
		bpg_config_free(cfg);
		goto out;
	}
	*out = cfg;
out:
	cfg_scrub_keys(root, cfg_root_keys, cfg_root_nkeys);
	json_decref(root);
	bpg_yaml_lines_free(lines);
	return e;
}

/* Read fd to the end into *buf (wiped when replaced); at most
 * BPG_MAX_CONFIG bytes. */
static enum bpg_err
read_all(int fd, size_t hint, char **bufp, size_t *lenp)
{
	size_t cap = hint < 4096 ? 4096 : hint + 1, len = 0;
	char *buf, *nbuf;
	ssize_t r;

	if (cap > BPG_MAX_CONFIG + 1)
		cap = BPG_MAX_CONFIG + 1;
	if ((buf = malloc(cap)) == NULL)
		return BPG_ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > BPG_MAX_CONFIG) {
				explicit_bzero(buf, len);
				free(buf);
				return BPG_ETOOBIG;
			}
			cap = cap > BPG_MAX_CONFIG / 2 ? BPG_MAX_CONFIG + 1 :
			    cap * 2;
			/* Not realloc(): the old block would keep a copy. */
			if ((nbuf = malloc(cap)) == NULL) {
				explicit_bzero(buf, len);
				free(buf);
				return BPG_ENOMEM;
			}
			memcpy(nbuf, buf, len);
			explicit_bzero(buf, len);
			free(buf);
			buf = nbuf;
		}
		r = read(fd, buf + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			explicit_bzero(buf, len);
			free(buf);
			return BPG_EIO;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	*bufp = buf;
	*lenp = len;
	return BPG_OK;
}

enum bpg_err
bpg_config_load(const char *path, struct bpg_config **out,
    struct bpg_config_error *err)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	enum bpg_err e;
	int fd, saved;

	*out = NULL;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		saved = errno;
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "%s: %s", path,
			    strerror(saved));
		return BPG_EIO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		e = BPG_EIO;
		if (err != NULL)
			snprintf(err->msg, sizeof(err->msg), "%s: not a "
			    "readable regular file", path);
	} else if (st.st_size > BPG_MAX_CONFIG) {
		e = BPG_ETOOBIG;
	} else
		e = read_all(fd, (size_t)st.st_size, &buf, &len);
	saved = errno;
	close(fd);
	if (e == BPG_ETOOBIG && err != NULL)
		snprintf(err->msg, sizeof(err->msg), "%s: larger than %d bytes",
		    path, BPG_MAX_CONFIG);
	else if (e == BPG_EIO && err != NULL && err->msg[0] == '\0')
		snprintf(err->msg, sizeof(err->msg), "%s: %s", path,
		    strerror(saved));
	else if (e == BPG_ENOMEM && err != NULL)
		snprintf(err->msg, sizeof(err->msg), "out of memory");
	if (e != BPG_OK)
		return e;
	e = bpg_config_parse(buf, len, out, err);
	explicit_bzero(buf, len);
	free(buf);
	return e;
}
/* The credentials are secret. */
static void
s3conf_free(struct bpg_s3conf *s)
{
	free(s->endpoint);
	free(s->region);
	bpg_secret_wipe_free(s->access_key_id);
	bpg_secret_wipe_free(s->secret_access_key);
	bpg_secret_wipe_free(s->session_token);
	memset(s, 0, sizeof(*s));
}


void
bpg_config_free(struct bpg_config *cfg)
{
	if (cfg == NULL)
		return;
	cfg_free_keys(cfg_root_keys, cfg_root_nkeys, (char *)cfg);
	/* What no row binds: the environment's credentials, the log
	 * bucket's settings, the warnings. */
	s3conf_free(&cfg->s3);
	s3conf_free(&cfg->s3_log);
	cfg_strlist_free(&cfg->warnings, false);
	if (cfg->derived_free != NULL)
		cfg->derived_free(cfg->derived);
	free(cfg);
}

const struct bpg_cluster *
bpg_config_cluster(const struct bpg_config *cfg, const char *id)
{
	size_t i;

	if (cfg == NULL || id == NULL)
		return NULL;
	for (i = 0; i < cfg->nclusters; i++)
		if (strcmp(cfg->clusters[i].id, id) == 0)
			return &cfg->clusters[i];
	return NULL;
}

const struct bpg_queue *
bpg_config_queue_exact(const struct bpg_config *cfg, const char *name)
{
	return name == NULL ? NULL :
	    bpg_config_queue_exact_n(cfg, name, strlen(name));
}

const struct bpg_queue *
bpg_config_queue_exact_n(const struct bpg_config *cfg, const char *name,
    size_t n)
{
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->nqueues; i++)
		if (cfg->queues[i].name != NULL &&
		    strlen(cfg->queues[i].name) == n &&
		    strncmp(cfg->queues[i].name, name, n) == 0)
			return &cfg->queues[i];
	return NULL;
}

/* ASCII-only, whatever the locale: names are compared as BPG compares
 * them, not as the C library's locale would. */
static bool
ascii_caseeq(const char *a, const char *b)
{
	unsigned char x, y;

	for (;; a++, b++) {
		x = (unsigned char)*a;
		y = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
		if (x == '\0')
			return true;
	}
}

const struct bpg_queue *
bpg_config_queue_icase(const struct bpg_config *cfg, const char *name,
    bool last)
{
	const struct bpg_queue *found = NULL;
	size_t i;

	if (cfg == NULL || name == NULL)
		return NULL;
	for (i = 0; i < cfg->nqueues; i++)
		if (ascii_caseeq(cfg->queues[i].name, name)) {
			found = &cfg->queues[i];
			if (!last)
				break;
		}
	return found;
}

const char *
bpg_kvmap_get(const struct bpg_kvmap *m, const char *key)
{
	size_t i;

	if (m == NULL || key == NULL)
		return NULL;
	for (i = 0; i < m->n; i++)
		if (strcmp(m->v[i].key, key) == 0)
			return m->v[i].value;
	return NULL;
}

bool
bpg_strlist_has(const struct bpg_strlist *l, const char *s, bool icase)
{
	size_t i;

	if (l == NULL || s == NULL)
		return false;
	for (i = 0; i < l->n; i++)
		if (icase ? ascii_caseeq(l->v[i], s) : strcmp(l->v[i], s) == 0)
			return true;
	return false;
}
