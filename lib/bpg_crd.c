/*
 * The SparkApplication custom resource (bpg-reference sections 2.8-2.23).
 *
 * The object is built in the key order of section 2.23 (jansson keeps
 * insertion order), so a CR serialises as BPG's does.  Nothing in it is
 * ever a JSON null: absent values are left out, as BPG's NON_NULL
 * serialisation does.
 *
 * Where this differs from BPG on purpose (section 13):
 *   quirk 6   request volumes are not duplicated;
 *   quirk 8   a driver/executor memory that cannot be parsed, or a
 *             coreLimit that is not a whole number, is BPG_EINVAL (400)
 *             with a clear text instead of a Java exception (500);
 *   quirk 10  the proxyUser label is normalised with normalizeLabelValue
 *             when the user name is not a valid label value (spec.proxyUser
 *             keeps the name as it is);
 *   quirk 39  null sparkConf values never reach the CR.
 * Kept as BPG does it: coreLimit "<n>.0m" with the CPU ratio applied twice
 * (quirk 7), memory truncated to an integer ("2.5g" is "2g"; an unknown
 * unit such as "1.5x" passes as "1x", as in BPG), the executor's
 * safe-to-evict annotation skipped when the request sets annotations
 * (quirk 9), copyEnv's order and double append (quirk 27), no default
 * executor serviceAccount (quirk 43), the Ranger key left in sparkConf
 * (quirk 26), and no zone pinning when the request has no sparkConf
 * (quirk 5: the round-robin counter still moves, as in BPG; applying the
 * zone there would change pod placement for existing clients).
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_crd.h"
#include "bpg_limits.h"
#include "bpg_name.h"

#define PLACEHOLDER "{spark-application-resource-name}"
#define SAFE_TO_EVICT "cluster-autoscaler.kubernetes.io/safe-to-evict"
#define DEFAULT_NODE_LABEL_KEY "node_group_category"
#define ZONE_LABEL_KEY "topology.kubernetes.io/zone"
#define PICKED_ZONES "bpg.pickedZones"
#define MAX_RUNNING_KEY "bpg.maxRunningMillis"
/* How much of a bad value a message repeats. */
#define ECHO_MAX 64

/* ---- zones (section 2.9) -------------------------------------------- */

struct zone_counter {
	char *queue;
	size_t next;
};

struct bpg_zones {
	struct zone_counter *v;
	size_t n, cap;
};

enum bpg_err
bpg_zones_new(struct bpg_zones **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return BPG_ENOMEM;
	return BPG_OK;
}

void
bpg_zones_free(struct bpg_zones *z)
{
	size_t i;

	if (z == NULL)
		return;
	for (i = 0; i < z->n; i++)
		free(z->v[i].queue);
	free(z->v);
	free(z);
}

enum bpg_err
bpg_zones_dup(const struct bpg_zones *z, struct bpg_zones **out)
{
	struct bpg_zones *d;
	size_t i;

	*out = NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return BPG_ENOMEM;
	if (z->n > 0 && (d->v = calloc(z->n, sizeof(*d->v))) == NULL) {
		free(d);
		return BPG_ENOMEM;
	}
	d->cap = z->n;
	for (; d->n < z->n; d->n++) {
		i = d->n;
		if ((d->v[i].queue = strdup(z->v[i].queue)) == NULL) {
			bpg_zones_free(d);
			return BPG_ENOMEM;
		}
		d->v[i].next = z->v[i].next;
	}
	*out = d;
	return BPG_OK;
}

enum bpg_err
bpg_zones_next(struct bpg_zones *z, const struct bpg_queue *q,
    const char **zone, struct bpg_errinfo *ei)
{
	const struct bpg_strlist *az;
	const char *name;
	struct zone_counter *c = NULL, *nv;
	size_t i;

	*zone = NULL;
	if (q == NULL || q->allowed_zones.n == 0)
		return BPG_OK;
	az = &q->allowed_zones;
	for (i = 0; i < az->n; i++)
		if (az->v[i] == NULL || az->v[i][0] == '\0')
			return bpg_errf(ei, BPG_ECONFIG,
			    "Invalid allowedZones: Some zone is empty");
	name = q->name != NULL ? q->name : "";
	for (i = 0; i < z->n; i++)
		if (strcmp(z->v[i].queue, name) == 0) {
			c = &z->v[i];
			break;
		}
	if (c == NULL) {
		if (z->n == z->cap) {
			size_t ncap = z->cap ? z->cap * 2 : 8;

			nv = reallocarray(z->v, ncap, sizeof(*nv));
			if (nv == NULL)
				return bpg_errf(ei, BPG_ENOMEM,
				    "out of memory");
			z->v = nv;
			z->cap = ncap;
		}
		c = &z->v[z->n];
		if ((c->queue = strdup(name)) == NULL)
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		c->next = 0;
		z->n++;
	}
	/* The modulo also copes with a list that shrank. */
	*zone = az->v[c->next % az->n];
	c->next = (c->next % az->n + 1) % az->n;
	return BPG_OK;
}

const char *
bpg_zones_pick(struct bpg_zones *z, const struct bpg_queue *q)
{
	const char *zone;

	if (bpg_zones_next(z, q, &zone, NULL) != BPG_OK)
		return NULL;
	return zone;
}

/* ---- JSON helpers ---------------------------------------------------- */

/*
 * Deep copy of in without JSON nulls (object members and array elements
 * that are null are left out).  *out is NULL when in is NULL or null.
 */
static enum bpg_err
clean_copy(const json_t *in, json_t **out)
{
	const char *k;
	json_t *v, *c, *res;
	size_t i;
	enum bpg_err e;

	*out = NULL;
	if (in == NULL || json_is_null(in))
		return BPG_OK;
	if (json_is_object(in)) {
		if ((res = json_object()) == NULL)
			return BPG_ENOMEM;
		/* json_object_foreach wants a non-const object. */
		json_object_foreach((json_t *)(uintptr_t)in, k, v) {
			if ((e = clean_copy(v, &c)) != BPG_OK) {
				json_decref(res);
				return e;
			}
			if (c != NULL && json_object_set_new(res, k, c) != 0) {
				json_decref(res);
				return BPG_ENOMEM;
			}
		}
	} else if (json_is_array(in)) {
		if ((res = json_array()) == NULL)
			return BPG_ENOMEM;
		json_array_foreach(in, i, v) {
			if ((e = clean_copy(v, &c)) != BPG_OK) {
				json_decref(res);
				return e;
			}
			if (c != NULL && json_array_append_new(res, c) != 0) {
				json_decref(res);
				return BPG_ENOMEM;
			}
		}
	} else if ((res = json_deep_copy(in)) == NULL)
		return BPG_ENOMEM;
	*out = res;
	return BPG_OK;
}

/* Set o[k] = v (stolen) unless v is NULL.  -1 on failure. */
static int
put_new(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return 0;
	return json_object_set_new(o, k, v);
}

/* Move *v (may be NULL: nothing to set) into o[k]; *v is NULL after. */
static int
put_take(json_t *o, const char *k, json_t **v)
{
	json_t *x = *v;

	*v = NULL;
	return put_new(o, k, x);
}

/* Set o[k] = v, a value just allocated: NULL means out of memory. */
static int
put_alloc(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new(o, k, v);
}

/* {k: v} and [v], taking v (released on failure): NULL means out of
 * memory.  Cheaper than json_pack(), which parses its format each time. */
static json_t *
obj1(const char *k, json_t *v)
{
	json_t *o;

	if (v == NULL)
		return NULL;
	if ((o = json_object()) == NULL || json_object_set_new(o, k, v) != 0) {
		if (o == NULL)
			json_decref(v);
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *
arr1(json_t *v)
{
	json_t *a;

	if (v == NULL)
		return NULL;
	if ((a = json_array()) == NULL || json_array_append_new(a, v) != 0) {
		if (a == NULL)
			json_decref(v);
		json_decref(a);
		return NULL;
	}
	return a;
}

/* Set o[k] = "v" unless v is NULL. */
static int
put_str(json_t *o, const char *k, const char *v)
{
	json_t *s;

	if (v == NULL)
		return 0;
	if ((s = json_string(v)) == NULL)
		return -1;
	return json_object_set_new(o, k, s);
}

/* Set o[k] = copy of v (nulls removed) unless v is NULL or null. */
static int
put_copy(json_t *o, const char *k, const json_t *v)
{
	json_t *c;

	if (clean_copy(v, &c) != BPG_OK)
		return -1;
	return put_new(o, k, c);
}

/* s with every PLACEHOLDER replaced by id; new string or NULL (ENOMEM). */
static char *
replace_placeholder(const char *s, const char *id)
{
	const size_t plen = sizeof(PLACEHOLDER) - 1;
	size_t idlen = strlen(id), n = 0, len;
	const char *p, *q;
	char *out, *o;

	for (p = s; (q = strstr(p, PLACEHOLDER)) != NULL; p = q + plen)
		n++;
	len = strlen(s) - n * plen + n * idlen;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (p = s, o = out; (q = strstr(p, PLACEHOLDER)) != NULL;
	    p = q + plen) {
		memcpy(o, p, (size_t)(q - p));
		o += q - p;
		memcpy(o, id, idlen);
		o += idlen;
	}
	strcpy(o, p);
	return out;
}

/* o[k] = v with the placeholder replaced. */
static int
put_replaced(json_t *o, const char *k, const char *v, const char *id)
{
	char *r;
	int rc;

	if ((r = replace_placeholder(v, id)) == NULL)
		return -1;
	rc = put_str(o, k, r);
	free(r);
	return rc;
}

/* Printable copy of s for a message, cut at ECHO_MAX bytes. */
static void
escape_value(char *out, size_t outsz, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; s[i] != '\0' && i < ECHO_MAX; i++) {
		c = (unsigned char)s[i];
		if (o + 5 >= outsz)
			break;
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	if (s[i] != '\0' && o + 3 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static bool
strlist_has_icase(const struct bpg_strlist *l, const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < l->n; i++)
		if (l->v[i] != NULL && strcasecmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* The request's sparkConf value for key, if a string. */
static const char *
req_conf(const struct bpg_submit_req *req, const char *key)
{
	return json_string_value(json_object_get(req->spark_conf, key));
}

/* ---- labels and times (sections 2.21, 3.3) -------------------------- */

static bool
alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

bool
bpg_label_value_valid(const char *s)
{
	size_t i, n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n == 0)
		return true;
	if (n > BPG_MAX_LABEL_VALUE || !alnum((unsigned char)s[0]) ||
	    !alnum((unsigned char)s[n - 1]))
		return false;
	for (i = 1; i + 1 < n; i++)
		if (!alnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/*
 * How many UTF-16 units the UTF-8 sequence at p stands for (1, or 2 above
 * U+FFFF), and its length in *len.  A byte that does not start a
 * well-formed sequence counts as one unit of one byte.
 */
static size_t
utf16_units(const unsigned char *p, size_t *len)
{
	size_t n, i;
	uint32_t cp;

	*len = 1;
	if (*p < 0x80)
		return 1;
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 1, cp = *p & 0x1f;
	else if (*p >= 0xe0 && *p <= 0xef)
		n = 2, cp = *p & 0x0f;
	else if (*p >= 0xf0 && *p <= 0xf4)
		n = 3, cp = *p & 0x07;
	else
		return 1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
		return 1;
	*len = n + 1;
	return n == 3 ? 2 : 1;
}

/* True for well-formed UTF-8 (RFC 3629). */
static bool
utf8_valid(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len;

	for (; *p != '\0'; p += len) {
		len = 1;
		if (*p >= 0x80 && (utf16_units(p, &len), len == 1))
			return false;
	}
	return true;
}

/*
 * Java walks UTF-16 units; this walks UTF-8 and writes one '0' per unit a
 * non-ASCII character would have in Java (one for U+0080..U+FFFF, two
 * above), so well-formed input gives Java's result byte for byte.  A byte
 * that is not part of well-formed UTF-8 gives one '0'.  The output is
 * ASCII, so its 63 characters are 63 bytes.
 */
char *
bpg_label_normalize(const char *s)
{
	const unsigned char *p;
	char *out;
	size_t o = 0, units, len, i;

	if (s == NULL)
		return NULL;
	if ((out = malloc(BPG_MAX_LABEL_VALUE + 1)) == NULL)
		return NULL;
	for (p = (const unsigned char *)s; *p != '\0' &&
	    o < BPG_MAX_LABEL_VALUE; p += len) {
		units = utf16_units(p, &len);
		if (len == 1 && (alnum(*p) ||
		    (o > 0 && (*p == '-' || *p == '_' || *p == '.')))) {
			out[o++] = (char)*p;
			continue;
		}
		for (i = 0; i < units && o < BPG_MAX_LABEL_VALUE; i++)
			out[o++] = '0';
	}
	if (o > 0 && !alnum((unsigned char)out[o - 1]))
		out[o - 1] = '0';
	out[o] = '\0';
	return out;
}

char *
bpg_label_user(const char *user)
{
	if (user == NULL)
		return NULL;
	return bpg_label_value_valid(user) ? strdup(user) :
	    bpg_label_normalize(user);
}

/* Exactly n decimal digits at s. */
static bool
digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/*
 * "YYYY-MM-DDTHH:MM:SS[.fraction](Z|z|+HH:MM|-HH:MM)", the RFC 3339
 * date-time that Kubernetes writes; the fraction is cut to milliseconds.
 * Instants before 1970 are refused, since -1 is the "not a time" value.
 */
int64_t
bpg_time_parse_ms(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h, mi, sec, oh, om, ms = 0, i, dim;
	const char *p;
	int64_t t, off = 0;

	if (s == NULL || strlen(s) < 20)
		return -1;
	if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (i = 0; *p >= '0' && *p <= '9'; p++, i++)
			if (i < 3)
				ms = ms * 10 + (*p - '0');
		for (; i < 3; i++)
			ms *= 10;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		off = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    digits(p + 1, 2, &oh) && p[3] == ':' && digits(p + 4, 2, &om) &&
	    oh <= 23 && om <= 59)
		off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	else
		return -1;
	if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
		return -1;
	dim = mdays[mo - 1];
	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	if (d < 1 || d > dim)
		return -1;
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	if (t < 0)
		return -1;
	return t * 1000 + ms;
}

/* ---- sparkConf (section 2.14) ---------------------------------------- */

/* Value of key in m (the last entry wins, as in a YAML map), or NULL. */
static const char *
kv_get(const struct bpg_kvmap *m, const char *key)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->v[i].key != NULL && strcmp(m->v[i].key, key) == 0)
			v = m->v[i].value;
	return v;
}

enum bpg_err
bpg_crd_spark_conf(const struct bpg_config *cfg,
    const struct bpg_cluster *cl, const struct bpg_submit_req *req,
    const char *submission_id, json_t **out)
{
	const struct bpg_kvmap *m;
	const char *ranger, *k, *id;
	json_t *conf, *v;
	bool gate, app;
	size_t i;

	*out = NULL;
	id = submission_id != NULL ? submission_id : PLACEHOLDER;
	app = req->application_name != NULL && req->application_name[0];
	if (!cfg->default_spark_conf.present && !cl->spark_conf.present &&
	    !json_is_object(req->spark_conf) &&
	    !cfg->fixed_spark_conf.present && !app)
		return BPG_OK;
	if ((conf = json_object()) == NULL)
		return BPG_ENOMEM;

	/*
	 * Layer 1: the defaults.  A custom image may not carry the Ranger
	 * plugin, so its keys are left out unless RangerOnCustomImage is
	 * "On"; that switch itself stays in (quirk 26).
	 */
	m = &cfg->default_spark_conf;
	ranger = kv_get(m, "RangerOnCustomImage");
	gate = req->image != NULL &&
	    (ranger == NULL || strcasecmp(ranger, "On") != 0);
	for (i = 0; i < m->n; i++) {
		k = m->v[i].key;
		if (k == NULL || m->v[i].value == NULL)
			continue;	/* quirk 39 */
		if (gate && (strcmp(k, "spark.sql.extensions") == 0 ||
		    strcmp(k, "spark.ranger.plugin.spark.env") == 0))
			continue;
		if (put_replaced(conf, k, m->v[i].value, id) != 0)
			goto nomem;
	}
	/* Layer 2: the cluster's, placeholder replaced. */
	m = &cl->spark_conf;
	for (i = 0; i < m->n; i++)
		if (m->v[i].key != NULL && m->v[i].value != NULL &&
		    put_replaced(conf, m->v[i].key, m->v[i].value, id) != 0)
			goto nomem;
	/* Layer 3: the request's, verbatim. */
	if (json_is_object(req->spark_conf)) {
		json_object_foreach(req->spark_conf, k, v) {
			if (json_is_string(v)) {
				if (put_str(conf, k, json_string_value(v)) != 0)
					goto nomem;
			} else if (json_is_null(v))
				json_object_del(conf, k);
		}
	}
	/* Layer 4: fixed, over everything. */
	m = &cfg->fixed_spark_conf;
	for (i = 0; i < m->n; i++)
		if (m->v[i].key != NULL && m->v[i].value != NULL &&
		    put_str(conf, m->v[i].key, m->v[i].value) != 0)
			goto nomem;
	if (app && put_str(conf, "spark.app.name", req->application_name) != 0)
		goto nomem;
	*out = conf;
	return BPG_OK;
nomem:
	json_decref(conf);
	return BPG_ENOMEM;
}

/* ---- volumes and env (sections 2.16, 2.19) -------------------------- */

enum bpg_err
bpg_crd_volumes(const struct bpg_cluster *cl,
    const struct bpg_submit_req *req, json_t **out)
{
	*out = NULL;
	if (json_array_size(req->volumes) > 0)
		return clean_copy(req->volumes, out);
	if (json_array_size(cl->volumes) > 0)
		return clean_copy(cl->volumes, out);
	return BPG_OK;
}

static const char *
env_name(const json_t *e)
{
	return json_string_value(json_object_get(e, "name"));
}

enum bpg_err
bpg_crd_copy_env(json_t *dest, const json_t *src)
{
	json_t *index, *c;
	const json_t *s, *hit;
	const char *name;
	size_t i, n;
	json_int_t noname = -1, at;
	enum bpg_err e = BPG_ENOMEM;

	if (!json_is_array(dest))
		return BPG_EINVAL;
	if (!json_is_array(src))
		return BPG_OK;
	/*
	 * Name -> index of dest as it is now, the last index winning (a
	 * HashMap filled in order).  Appended entries are not added, so a
	 * new name given twice is appended twice, as in BPG.
	 */
	if ((index = json_object()) == NULL)
		return BPG_ENOMEM;
	n = json_array_size(dest);
	for (i = 0; i < n; i++) {
		name = env_name(json_array_get(dest, i));
		if (name == NULL)
			noname = (json_int_t)i;
		else if (json_object_set_new_nocheck(index, name,
		    json_integer((json_int_t)i)) != 0)
			goto out;
	}
	json_array_foreach(src, i, s) {
		if (json_is_null(s))
			continue;
		if ((e = clean_copy(s, &c)) != BPG_OK)
			goto out;
		e = BPG_ENOMEM;
		name = env_name(s);
		hit = name != NULL ? json_object_get(index, name) : NULL;
		at = name != NULL ? (hit ? json_integer_value(hit) : -1) :
		    noname;
		if (at >= 0) {
			if (json_array_set_new(dest, (size_t)at, c) != 0)
				goto out;
		} else if (json_array_append_new(dest, c) != 0)
			goto out;
	}
	e = BPG_OK;
out:
	json_decref(index);
	return e;
}

/* The env of one pod: the request's, merged with the cluster's, then the
 * request's again (section 2.19), or NULL if neither has one. */
static enum bpg_err
merge_env(const json_t *cluster_env, const json_t *req_env, json_t **out)
{
	const json_t *src[2];
	json_t *env = NULL;
	enum bpg_err e;
	int i;

	*out = NULL;
	if (json_is_array(req_env) &&
	    (e = clean_copy(req_env, &env)) != BPG_OK)
		return e;
	src[0] = cluster_env;
	src[1] = req_env;
	for (i = 0; i < 2; i++) {
		if (!json_is_array(src[i]))
			continue;
		if (env == NULL && (env = json_array()) == NULL)
			return BPG_ENOMEM;
		if ((e = bpg_crd_copy_env(env, src[i])) != BPG_OK) {
			json_decref(env);
			return e;
		}
	}
	*out = env;
	return BPG_OK;
}

enum bpg_err
bpg_crd_populate_env(json_t *spec, const struct bpg_cluster *cl,
    const struct bpg_submit_req *req)
{
	static const char *const podname[2] = { "driver", "executor" };
	const struct bpg_cluster_pod *cp;
	const struct bpg_pod_req *rp;
	const json_t *src[2];
	json_t *pod, *env;
	enum bpg_err e;
	int p, i;

	for (p = 0; p < 2; p++) {
		cp = p == 0 ? &cl->driver : &cl->executor;
		rp = p == 0 ? &req->driver : &req->executor;
		src[0] = cp->env;
		src[1] = rp->present ? rp->env : NULL;
		for (i = 0; i < 2; i++) {
			if (!json_is_array(src[i]))
				continue;
			if ((pod = json_object_get(spec, podname[p])) == NULL) {
				if ((pod = json_object()) == NULL ||
				    json_object_set_new(spec, podname[p],
				    pod) != 0)
					return BPG_ENOMEM;
			}
			if ((env = json_object_get(pod, "env")) == NULL) {
				if ((env = json_array()) == NULL ||
				    json_object_set_new(pod, "env", env) != 0)
					return BPG_ENOMEM;
			}
			if ((e = bpg_crd_copy_env(env, src[i])) != BPG_OK)
				return e;
		}
	}
	return BPG_OK;
}

/* ---- node affinity (section 2.12) ----------------------------------- */

/* {key, operator: In, values}, taking values; NULL on ENOMEM. */
static json_t *
match_expr(const char *key, json_t *values)
{
	json_t *e;

	if (values == NULL)
		return NULL;
	if ((e = json_object()) == NULL) {
		json_decref(values);
		return NULL;
	}
	if (put_str(e, "key", key) != 0 ||
	    put_str(e, "operator", "In") != 0) {
		json_decref(values);
		json_decref(e);
		return NULL;
	}
	if (json_object_set_new(e, "values", values) != 0) {
		json_decref(e);
		return NULL;
	}
	return e;
}

enum bpg_err
bpg_crd_node_affinity(const struct bpg_queue *qc,
    const struct bpg_submit_req *req, bool executor, json_t **out)
{
	const struct bpg_strlist *l = NULL;
	const char *key = NULL, *zones, *p, *comma;
	json_t *exprs = NULL, *vals = NULL, *na = NULL, *t;
	size_t i, len;

	*out = NULL;
	if ((exprs = json_array()) == NULL)
		goto nomem;
	if (qc != NULL) {
		if (!executor) {
			l = &qc->driver_node_label_values;
			key = qc->driver_node_label_key;
		} else {
			/* Spot requests never fall back to the normal
			 * values. */
			l = req->spot_instance ?
			    &qc->executor_spot_node_label_values :
			    &qc->executor_node_label_values;
			key = qc->executor_node_label_key;
		}
		if (key == NULL || key[0] == '\0')
			key = DEFAULT_NODE_LABEL_KEY;
	}
	if (l != NULL && l->n > 0) {
		if ((vals = json_array()) == NULL)
			goto nomem;
		for (i = 0; i < l->n; i++)
			if (l->v[i] != NULL && json_array_append_new(vals,
			    json_string(l->v[i])) != 0)
				goto nomem;
		t = match_expr(key, vals);
		vals = NULL;
		if (t == NULL || json_array_append_new(exprs, t) != 0)
			goto nomem;
	}
	/* The zones of section 2.9, the same for the driver and executors;
	 * empty pieces of the list are skipped. */
	zones = req_conf(req, PICKED_ZONES);
	if (zones != NULL && zones[0] != '\0') {
		if ((vals = json_array()) == NULL)
			goto nomem;
		for (p = zones; ; p = comma + 1) {
			comma = strchr(p, ',');
			len = comma ? (size_t)(comma - p) : strlen(p);
			if (len > 0 && json_array_append_new(vals,
			    json_stringn(p, len)) != 0)
				goto nomem;
			if (comma == NULL)
				break;
		}
		if (json_array_size(vals) > 0) {
			t = match_expr(ZONE_LABEL_KEY, vals);
			vals = NULL;
			if (t == NULL || json_array_append_new(exprs, t) != 0)
				goto nomem;
		}
		json_decref(vals);
		vals = NULL;
	}
	if (json_array_size(exprs) == 0) {
		json_decref(exprs);
		if ((*out = json_object()) == NULL)
			return BPG_ENOMEM;
		return BPG_OK;
	}
	na = obj1("requiredDuringSchedulingIgnoredDuringExecution",
	    obj1("nodeSelectorTerms", arr1(obj1("matchExpressions", exprs))));
	if (na == NULL)
		return BPG_ENOMEM;	/* obj1 took exprs */
	*out = na;
	return BPG_OK;
nomem:
	json_decref(vals);
	json_decref(exprs);
	return BPG_ENOMEM;
}

/* ---- driver and executor (sections 2.10, 2.11) ---------------------- */

/* Java's Math.round(double): the nearest integer, ties upwards. */
static int64_t
java_round(double x)
{
	double r;

	if (isnan(x))
		return 0;
	if (x >= 9.2e18)
		return INT64_MAX;
	if (x <= -9.2e18)
		return INT64_MIN;
	r = floor(x);
	if (x - r >= 0.5)
		r += 1;
	return (int64_t)r;
}

/* Java's Integer.parseInt: optional sign, decimal digits, 32 bits. */
static bool
parse_int32(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;
	bool neg = false;

	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	if (s[i] == '\0')
		return false;
	for (; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
		if (v > (int64_t)INT32_MAX + 1)
			return false;
	}
	v = neg ? -v : v;
	if (v > INT32_MAX || v < INT32_MIN)
		return false;
	*out = v;
	return true;
}

/* Java's Long.parseLong. */
static bool
parse_int64(const char *s, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	bool neg = false;

	if (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-';
		i = 1;
	}
	if (s[i] == '\0')
		return false;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (lim - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return true;
}

/*
 * Section 2.10 step 9: "<digits and dots><unit>", the number truncated to
 * an integer and scaled by ratio (rounded up).  BPG throws a Java
 * exception (500) for no unit or no number; quirk 8 makes it a 400.
 */
static enum bpg_err
scale_memory(const char *pod, const char *mem, double ratio, char *buf,
    size_t bufsz, struct bpg_errinfo *ei)
{
	char num[32], esc[ECHO_MAX * 4 + 8];
	size_t i, ndots = 0, k;
	double v, scaled;

	i = strspn(mem, "0123456789.");
	for (k = 0; k < i; k++)
		ndots += mem[k] == '.';
	if (i == 0 || mem[i] == '\0' || ndots > 1 || i == ndots) {
		escape_value(esc, sizeof(esc), mem);
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for %s.memory: "
		    "\"%s\" (expected a number followed by a unit, e.g. \"2g\" "
		    "or \"512m\")", pod, esc);
	}
	v = 0;
	if (i < sizeof(num)) {
		memcpy(num, mem, i);
		num[i] = '\0';
		v = strtod(num, NULL);
	}
	if (i >= sizeof(num) || v >= 2147483648.0) {
		escape_value(esc, sizeof(esc), mem);
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for %s.memory: "
		    "\"%s\" (the number is too large)", pod, esc);
	}
	scaled = ceil((double)(int64_t)v * ratio);
	if (!(scaled < 2147483648.0) || scaled < 0) {
		escape_value(esc, sizeof(esc), mem);
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for %s.memory: "
		    "\"%s\" (the number is too large)", pod, esc);
	}
	if ((size_t)snprintf(buf, bufsz, "%lld%s", (long long)scaled,
	    mem + i) >= bufsz) {
		escape_value(esc, sizeof(esc), mem);
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for %s.memory: "
		    "\"%s\" (the unit is too long)", pod, esc);
	}
	return BPG_OK;
}

/* labels with dag_name and task_name normalised (section 2.10 step 3). */
static enum bpg_err
pod_labels(const json_t *in, json_t **out)
{
	static const char *const keys[] = { "dag_name", "task_name" };
	const char *v;
	char *norm;
	enum bpg_err e;
	size_t i;
	int rc;

	if ((e = clean_copy(in, out)) != BPG_OK || *out == NULL)
		return e;
	for (i = 0; i < 2; i++) {
		v = json_string_value(json_object_get(*out, keys[i]));
		if (v == NULL)
			continue;
		if ((norm = bpg_label_normalize(v)) == NULL) {
			json_decref(*out);
			*out = NULL;
			return BPG_ENOMEM;
		}
		rc = put_str(*out, keys[i], norm);
		free(norm);
		if (rc != 0) {
			json_decref(*out);
			*out = NULL;
			return BPG_ENOMEM;
		}
	}
	return BPG_OK;
}

#define PUT(x) do { if ((x) != 0) goto nomem; } while (0)

static enum bpg_err
build_pod(const struct bpg_cluster *cl, const struct bpg_submit_req *req,
    const struct bpg_queue *qc, bool executor, json_t **out,
    struct bpg_errinfo *ei)
{
	const struct bpg_pod_req *rp = executor ? &req->executor :
	    &req->driver;
	const struct bpg_cluster_pod *cp = executor ? &cl->executor :
	    &cl->driver;
	const char *pod = executor ? "executor" : "driver";
	const bool pres = rp->present;
	const char *climit = pres ? rp->core_limit : NULL;
	const char *mem = pres && rp->memory != NULL ? rp->memory : "1g";
	const char *sa;
	const json_t *mounts;
	double cpu_ratio = 1.0, mem_ratio = 1.0;
	int64_t cores = 1, lim;
	char limit[64], memory[128], esc[ECHO_MAX * 4 + 8];
	json_t *o = NULL, *env = NULL, *t = NULL, *na, *dns;
	enum bpg_err e;

	*out = NULL;
	if (pres && rp->has_cores)
		cores = rp->cores;
	/* Step 5: the parent queue's buffer ratios. */
	if (qc != NULL) {
		cpu_ratio = executor ? qc->executor_cpu_ratio :
		    qc->driver_cpu_ratio;
		mem_ratio = executor ? qc->executor_mem_ratio :
		    qc->driver_mem_ratio;
	}
	/* Step 7. */
	cores = java_round((double)cores * cpu_ratio);
	if (cores < INT32_MIN || cores > INT32_MAX)
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for %s.cores: "
		    "out of range", pod);
	/* Step 8: the ratio is applied a second time here (quirk 7). */
	if (climit == NULL || climit[0] == '\0') {
		snprintf(limit, sizeof(limit), "%.1fm",
		    ceil((double)(cores * 1000) * cpu_ratio));
	} else {
		if (!parse_int32(climit, &lim)) {
			escape_value(esc, sizeof(esc), climit);
			return bpg_errf(ei, BPG_EINVAL, "Invalid value for "
			    "%s.coreLimit: \"%s\" (expected a whole number of "
			    "cores, e.g. \"2\")", pod, esc);
		}
		snprintf(limit, sizeof(limit), "%lld",
		    (long long)java_round((double)lim * cpu_ratio));
	}
	/* Step 9. */
	if ((e = scale_memory(pod, mem, mem_ratio, memory, sizeof(memory),
	    ei)) != BPG_OK)
		return e;

	if ((o = json_object()) == NULL)
		goto nomem;
	PUT(put_alloc(o, "cores", json_integer(cores)));
	PUT(pres ? put_str(o, "coreRequest", rp->core_request) : 0);
	PUT(put_str(o, "coreLimit", limit));
	PUT(put_str(o, "memory", memory));
	if (pres) {
		PUT(put_str(o, "memoryOverhead", rp->memory_overhead));
		PUT(put_str(o, "image", rp->image));
	}
	/* Section 2.19. */
	if (merge_env(cp->env, pres ? rp->env : NULL, &env) != BPG_OK)
		goto nomem;
	PUT(put_take(o, "env", &env));
	if (pres) {
		if (pod_labels(rp->labels, &t) != BPG_OK)
			goto nomem;
		PUT(put_take(o, "labels", &t));
	}
	/* Step 10 (driver: always) and 2.11 step 8 (executor: only when
	 * the request has no annotations, quirk 9). */
	if (!executor || !pres || rp->annotations == NULL) {
		if (clean_copy(pres && !executor ? rp->annotations : NULL,
		    &t) != BPG_OK)
			goto nomem;
		if (t == NULL && (t = json_object()) == NULL)
			goto nomem;
		PUT(put_str(t, SAFE_TO_EVICT, "false"));
		PUT(put_take(o, "annotations", &t));
	} else
		PUT(put_copy(o, "annotations", rp->annotations));
	if (pres && rp->has_termination_grace_period_seconds)
		PUT(put_alloc(o, "terminationGracePeriodSeconds",
		    json_integer(rp->termination_grace_period_seconds)));
	/* Step 6: only the driver gets the cluster's account (quirk 43). */
	sa = pres ? rp->service_account : NULL;
	if (!executor && (sa == NULL || sa[0] == '\0'))
		sa = cl->service_account;
	PUT(put_str(o, "serviceAccount", sa));
	/*
	 * Step 4.  XXX: the config struct does not say whether the cluster
	 * had a driver/executor block, only what it held; a block with
	 * neither env nor volumeMounts counts as absent (BPG would drop the
	 * request's mounts for such an empty block).
	 */
	mounts = pres ? rp->volume_mounts : NULL;
	if (!(pres && json_array_size(req->volumes) > 0) &&
	    (cp->env != NULL || cp->volume_mounts != NULL) &&
	    json_array_size(cl->volumes) > 0)
		mounts = cp->volume_mounts;
	PUT(put_copy(o, "volumeMounts", mounts));
	if (pres)
		PUT(put_copy(o, "securityContext", rp->security_context));
	/* Step 11. */
	if (pres && rp->affinity != NULL && !json_is_null(rp->affinity)) {
		PUT(put_copy(o, "affinity", rp->affinity));
	} else {
		if (bpg_crd_node_affinity(qc, req, executor, &na) != BPG_OK)
			goto nomem;
		PUT(put_alloc(o, "affinity", obj1("nodeAffinity", na)));
	}
	/* 2.11 step 10: always, overriding the request. */
	if (executor) {
		if ((t = json_object()) == NULL ||
		    put_str(t, "name", "ndots") != 0 ||
		    put_str(t, "value", "1") != 0)
			goto nomem;
		dns = obj1("options", arr1(t));
		t = NULL;	/* taken by arr1 */
		PUT(put_alloc(o, "dnsConfig", dns));
	}
	if (pres)
		PUT(put_str(o, "javaOptions", rp->java_options));
	if (!executor && pres) {
		PUT(put_str(o, "podName", rp->pod_name));
		PUT(put_str(o, "kubernetesMaster", rp->kubernetes_master));
	}
	if (executor) {
		PUT(put_alloc(o, "instances", json_integer(pres &&
		    rp->has_instances ? rp->instances : 1)));
		if (pres && rp->has_delete_on_termination)
			PUT(put_alloc(o, "deleteOnTermination",
			    json_boolean(rp->delete_on_termination)));
	}
	*out = o;
	return BPG_OK;
nomem:
	json_decref(t);
	json_decref(env);
	json_decref(o);
	return bpg_errf(ei, BPG_ENOMEM, "out of memory");
}

/* ---- the rest of the spec ------------------------------------------- */

/* Section 2.13: raised after the pods are built, as in BPG. */
static enum bpg_err
pick_image(const struct bpg_config *cfg, const struct bpg_submit_req *req,
    const char *type, const char **image, struct bpg_errinfo *ei)
{
	const struct bpg_image *im;
	size_t i;

	*image = NULL;
	if (req->image != NULL && req->image[0] != '\0') {
		*image = req->image;
		return BPG_OK;
	}
	for (i = 0; i < cfg->nimages; i++) {
		im = &cfg->images[i];
		if (strlist_has_icase(&im->types, type) &&
		    im->version != NULL && req->spark_version != NULL &&
		    strcasecmp(im->version, req->spark_version) == 0) {
			*image = im->name;
			return BPG_OK;
		}
	}
	return bpg_errf(ei, BPG_EINVAL, "Spark image not found for type: %s, "
	    "version: %s", type, req->spark_version ? req->spark_version :
	    "null");
}

/* Section 2.15; *out NULL when the cluster has no options. */
static enum bpg_err
ui_options(const struct bpg_cluster *cl, const char *id, json_t **out,
    struct bpg_errinfo *ei)
{
	const json_t *in = cl->spark_ui_options, *ann, *tls, *ent, *hosts;
	json_t *o = NULL, *a = NULL, *arr = NULL, *te;
	const char *k;
	json_t *v;
	size_t i;

	*out = NULL;
	if (!json_is_object(in))
		return BPG_OK;
	if ((o = json_object()) == NULL)
		goto nomem;
	PUT(put_copy(o, "servicePort", json_object_get(in, "servicePort")));
	ann = json_object_get(in, "ingressAnnotations");
	if (json_is_object(ann)) {
		if ((a = json_object()) == NULL)
			goto nomem;
		json_object_foreach((json_t *)(uintptr_t)ann, k, v) {
			if (json_is_string(v))
				PUT(put_replaced(a, k, json_string_value(v),
				    id));
			else
				PUT(put_copy(a, k, v));
		}
		PUT(put_take(o, "ingressAnnotations", &a));
	}
	tls = json_object_get(in, "ingressTLS");
	if (json_is_array(tls)) {
		if ((arr = json_array()) == NULL)
			goto nomem;
		json_array_foreach(tls, i, ent) {
			hosts = json_object_get(ent, "hosts");
			if (hosts == NULL || json_is_null(hosts)) {
				json_decref(arr);
				json_decref(o);
				/* BPG fails with a NullPointerException. */
				return bpg_errf(ei, BPG_ECONFIG,
				    "sparkUIOptions of cluster %s: "
				    "ingressTLS[%zu] has no hosts",
				    cl->id ? cl->id : "null", i);
			}
			if ((te = json_object()) == NULL ||
			    json_array_append_new(arr, te) != 0)
				goto nomem;
			PUT(put_copy(te, "hosts", hosts));
			PUT(put_copy(te, "secretName",
			    json_object_get(ent, "secretName")));
		}
		PUT(put_take(o, "ingressTLS", &arr));
	}
	*out = o;
	return BPG_OK;
nomem:
	json_decref(arr);
	json_decref(a);
	json_decref(o);
	return bpg_errf(ei, BPG_ENOMEM, "out of memory");
}

/* Section 2.21: maxRunningMillis, checked against the parent queue. */
static enum bpg_err
max_running(const struct bpg_submit_req *req, const struct bpg_queue *qc,
    const char *queue, int64_t *out, struct bpg_errinfo *ei)
{
	const char *v = req_conf(req, MAX_RUNNING_KEY);
	int64_t want, qmax;

	/* Without a request value the default applies even when the queue
	 * allows less (quirk 12). */
	*out = BPG_DEFAULT_MAX_RUNNING_MILLIS;
	if (v == NULL || v[0] == '\0')
		return BPG_OK;
	if (!parse_int64(v, &want))
		return bpg_errf(ei, BPG_EINVAL, "Invalid value for config "
		    MAX_RUNNING_KEY ": %s", v);
	qmax = qc != NULL && qc->has_max_running_millis ?
	    qc->max_running_millis : BPG_DEFAULT_MAX_RUNNING_MILLIS;
	if (qmax < want)
		return bpg_errf(ei, BPG_EINVAL, "maxRunningMillis %lld is too "
		    "large than allowed %lld for queue %s", (long long)want,
		    (long long)qmax, queue);
	*out = want;
	return BPG_OK;
}

/* Section 2.9 step 4: the request's sparkConf shows the pick. */
static enum bpg_err
apply_zones(const struct bpg_queue *qc, struct bpg_submit_req *req,
    struct bpg_zones *zones, struct bpg_errinfo *ei)
{
	const char *zone = NULL;
	enum bpg_err e;

	if (zones != NULL &&
	    (e = bpg_zones_next(zones, qc, &zone, ei)) != BPG_OK)
		return e;
	/* Quirk 5, kept: no sparkConf, no pinning (the pick is lost). */
	if (!json_is_object(req->spark_conf))
		return BPG_OK;
	if (zone == NULL) {
		json_object_del(req->spark_conf, PICKED_ZONES);
		return BPG_OK;
	}
	if (put_str(req->spark_conf, PICKED_ZONES, zone) != 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

enum bpg_err
bpg_crd_build(const struct bpg_config *cfg, const struct bpg_cluster *cl,
    struct bpg_submit_req *req, const struct bpg_crd_ctx *ctx,
    struct bpg_zones *zones, json_t **cr, struct bpg_errinfo *ei)
{
	const struct bpg_queue *qc;
	const char *type, *image;
	json_t *driver = NULL, *executor = NULL, *conf = NULL, *ui = NULL;
	json_t *vols = NULL, *spec = NULL, *meta = NULL, *labels = NULL;
	json_t *root = NULL;
	char *norm = NULL, mrm[32];
	int64_t max_ms;
	enum bpg_err e;

	*cr = NULL;
	if (ctx->submission_id == NULL || ctx->queue == NULL)
		return bpg_errf(ei, BPG_EINVAL, "no submission ID or queue");
	if ((ctx->user != NULL && !utf8_valid(ctx->user)) ||
	    (ctx->proxy_user != NULL && !utf8_valid(ctx->proxy_user)))
		return bpg_errf(ei, BPG_EINVAL, "The user name is not valid "
		    "UTF-8");
	/* Buffers, node labels, zones and limits use the parent queue,
	 * matched exactly (section 2.2's table). */
	qc = bpg_config_queue_exact_n(cfg, ctx->queue, strcspn(ctx->queue, "."));

	/* Section 2.8. */
	if (req->type != NULL && req->type[0] != '\0')
		type = req->type;
	else if (req->main_class != NULL && req->main_class[0] != '\0')
		type = "Java";
	else
		type = "Python";
	/* Sections 2.9 to 2.13, in BPG's order (it decides which error a
	 * bad request sees first, section 2.25). */
	if ((e = apply_zones(qc, req, zones, ei)) != BPG_OK ||
	    (e = build_pod(cl, req, qc, false, &driver, ei)) != BPG_OK ||
	    (e = build_pod(cl, req, qc, true, &executor, ei)) != BPG_OK ||
	    (e = pick_image(cfg, req, type, &image, ei)) != BPG_OK)
		goto fail;
	if (bpg_crd_spark_conf(cfg, cl, req, ctx->submission_id, &conf) !=
	    BPG_OK)
		goto nomem;
	if ((e = ui_options(cl, ctx->submission_id, &ui, ei)) != BPG_OK)
		goto fail;
	if (bpg_crd_volumes(cl, req, &vols) != BPG_OK)
		goto nomem;
	if ((e = max_running(req, qc, ctx->queue, &max_ms, ei)) != BPG_OK)
		goto fail;

	/* Section 2.23's order. */
	if ((spec = json_object()) == NULL)
		goto nomem;
	PUT(put_str(spec, "type", type));
	PUT(put_str(spec, "sparkVersion", req->spark_version));
	PUT(put_str(spec, "mode", "cluster"));
	PUT(put_str(spec, "originalUser", ctx->user));
	PUT(put_str(spec, "proxyUser", ctx->proxy_user));
	PUT(put_str(spec, "image", image));
	PUT(put_str(spec, "imagePullPolicy", req->image_pull_policy));
	PUT(put_str(spec, "mainClass", req->main_class));
	PUT(put_str(spec, "mainApplicationFile", req->main_application_file));
	PUT(put_copy(spec, "arguments", req->arguments));
	if (json_object_size(conf) > 0)
		PUT(put_take(spec, "sparkConf", &conf));
	/* Section 2.17. */
	if (cl->batch_scheduler != NULL &&
	    strcmp(cl->batch_scheduler, "yunikorn") == 0) {
		PUT(put_str(spec, "batchScheduler", "yunikorn"));
		PUT(put_alloc(spec, "batchSchedulerOptions",
		    json_pack("{s:s+,s:b,s:i}", "queue", "root.", ctx->queue,
		    "gang", 0, "reservationTimeoutInSeconds", 180)));
	}
	PUT(put_take(spec, "volumes", &vols));
	PUT(put_take(spec, "driver", &driver));
	PUT(put_take(spec, "executor", &executor));
	PUT(put_copy(spec, "deps", req->deps));
	PUT(put_copy(spec, "restartPolicy", req->restart_policy));
	PUT(put_str(spec, "pythonVersion", req->python_version));
	if (cl->has_ttl_seconds)
		PUT(put_alloc(spec, "timeToLiveSeconds",
		    json_integer(cl->ttl_seconds)));
	PUT(put_take(spec, "sparkUIOptions", &ui));

	/* Section 2.21. */
	if ((labels = json_object()) == NULL)
		goto nomem;
	if (ctx->proxy_user != NULL) {
		/* Quirk 10: a user name that is no label value would make
		 * Kubernetes refuse the CR. */
		if ((norm = bpg_label_user(ctx->proxy_user)) == NULL)
			goto nomem;
		PUT(put_str(labels, "proxyUser", norm));
		free(norm);
		norm = NULL;
	}
	if (req->application_name != NULL) {
		if ((norm = bpg_label_normalize(req->application_name)) ==
		    NULL)
			goto nomem;
		PUT(put_str(labels, "applicationName", norm));
		free(norm);
		norm = NULL;
	}
	PUT(put_alloc(labels, "queue", json_sprintf("root.%s", ctx->queue)));
	snprintf(mrm, sizeof(mrm), "%lld", (long long)max_ms);
	PUT(put_str(labels, "maxRunningMillis", mrm));

	if ((meta = json_object()) == NULL)
		goto nomem;
	PUT(put_str(meta, "name", ctx->submission_id));
	PUT(put_str(meta, "namespace", cl->namespace));
	PUT(put_take(meta, "labels", &labels));

	if ((root = json_object()) == NULL)
		goto nomem;
	PUT(put_str(root, "apiVersion", BPG_CRD_GROUP "/" BPG_CRD_VERSION));
	PUT(put_str(root, "kind", BPG_CRD_KIND));
	PUT(put_take(root, "metadata", &meta));
	PUT(put_take(root, "spec", &spec));
	*cr = root;
	return BPG_OK;
nomem:
	e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
fail:
	free(norm);
	json_decref(root);
	json_decref(meta);
	json_decref(labels);
	json_decref(spec);
	json_decref(vols);
	json_decref(ui);
	json_decref(conf);
	json_decref(executor);
	json_decref(driver);
	return e;
}

/* ---- checks before anything is written (bpg_crd_check) --------------- */

#define CHK_PREFIX "Invalid SparkApplication: "
/* ObjectMeta: the size of all annotations (TotalAnnotationSizeLimitB). */
#define MAX_ANNOTATION_BYTES (256 * 1024)
/* Kubernetes qualified names: a DNS subdomain prefix, a 63-byte name. */
#define MAX_PREFIX 253
#define MAX_QNAME 63

struct chk {
	struct bpg_errinfo *ei;
	char path[512];
	size_t plen;
};

/* Append n bytes of s to the field path, cut at its end. */
static void
chk_put(struct chk *k, const char *s, size_t n)
{
	if (n > sizeof(k->path) - 1 - k->plen)
		n = sizeof(k->path) - 1 - k->plen;
	memcpy(k->path + k->plen, s, n);
	k->plen += n;
	k->path[k->plen] = '\0';
}

/*
 * The path is built on every step down and read only by a failure, so
 * the pushes copy bytes (no printf): a SparkPi check takes ~200 of them.
 * Each returns the length to go back to.
 */

/* Append ".key" ("key" at the top). */
static size_t
chk_push_key(struct chk *k, const char *key)
{
	size_t old = k->plen;

	if (old > 0)
		chk_put(k, ".", 1);
	chk_put(k, key, strlen(key));
	return old;
}

/* Append "[i]". */
static size_t
chk_push_index(struct chk *k, size_t i)
{
	char num[24];
	size_t n = sizeof(num), old = k->plen;

	num[--n] = ']';
	do
		num[--n] = (char)('0' + i % 10);
	while ((i /= 10) != 0);
	num[--n] = '[';
	chk_put(k, num + n, sizeof(num) - n);
	return old;
}

static void
chk_pop(struct chk *k, size_t old)
{
	k->plen = old;
	k->path[old] = '\0';
}

/* "Invalid SparkApplication: <path>: <reason>", BPG_EINVAL. */
static enum bpg_err __attribute__((format(printf, 2, 3)))
chk_fail(struct chk *k, const char *fmt, ...)
{
	char reason[sizeof(k->ei->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (k->plen == 0)
		return bpg_errf(k->ei, BPG_EINVAL, CHK_PREFIX "%s", reason);
	return bpg_errf(k->ei, BPG_EINVAL, CHK_PREFIX "%s: %s", k->path,
	    reason);
}

/* The same, for the member key of the object at the current path. */
static enum bpg_err __attribute__((format(printf, 3, 4)))
chk_fail_at(struct chk *k, const char *key, const char *fmt, ...)
{
	char reason[sizeof(k->ei->msg)];
	va_list ap;
	size_t m;
	enum bpg_err e;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	m = chk_push_key(k, key);
	e = chk_fail(k, "%s", reason);
	chk_pop(k, m);
	return e;
}

/* Path element for a map key: ["key"], escaped. */
static size_t
chk_push_mapkey(struct chk *k, const char *key)
{
	char esc[ECHO_MAX * 4 + 8];
	size_t old = k->plen;

	escape_value(esc, sizeof(esc), key);
	chk_put(k, "[\"", 2);
	chk_put(k, esc, strlen(esc));
	chk_put(k, "\"]", 2);
	return old;
}

enum ckind {
	C_STR,
	C_INT,
	C_BOOL,
	C_OBJ,
	C_ARR,
};

static const char *
ckind_word(enum ckind t)
{
	switch (t) {
	case C_STR:
		return "a string";
	case C_INT:
		return "an integer";
	case C_BOOL:
		return "a boolean";
	case C_OBJ:
		return "an object";
	default:
		return "a list";
	}
}

static bool
ckind_is(const json_t *v, enum ckind t)
{
	switch (t) {
	case C_STR:
		return json_is_string(v);
	case C_INT:
		return json_is_integer(v);
	case C_BOOL:
		return json_is_boolean(v);
	case C_OBJ:
		return json_is_object(v);
	default:
		return json_is_array(v);
	}
}

/*
 * o[key] of kind t into *out (NULL when absent or null).  "Required value"
 * when required and absent; a value of another type is invalid (the API
 * server's decoder or the schema's "type" refuses it).
 */
static enum bpg_err
chk_get(struct chk *k, const json_t *o, const char *key, enum ckind t,
    bool required, const json_t **out)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return required ? chk_fail_at(k, key, "Required value") :
		    BPG_OK;
	if (!ckind_is(v, t))
		return chk_fail_at(k, key, "Invalid value: must be %s",
		    ckind_word(t));
	*out = v;
	return BPG_OK;
}

static enum bpg_err
chk_str(struct chk *k, const json_t *o, const char *key, bool required)
{
	const json_t *v;

	return chk_get(k, o, key, C_STR, required, &v);
}

static enum bpg_err
chk_bool(struct chk *k, const json_t *o, const char *key)
{
	const json_t *v;

	return chk_get(k, o, key, C_BOOL, false, &v);
}

/* An integer in [min, max] (the schema's minimum and int32/int64). */
static enum bpg_err
chk_int(struct chk *k, const json_t *o, const char *key, bool required,
    json_int_t min, json_int_t max)
{
	const json_t *v;
	json_int_t n;
	enum bpg_err e;

	if ((e = chk_get(k, o, key, C_INT, required, &v)) != BPG_OK ||
	    v == NULL)
		return e;
	n = json_integer_value(v);
	if (n < min)
		return chk_fail_at(k, key, "Invalid value: %"
		    JSON_INTEGER_FORMAT ": must be greater than or equal to %"
		    JSON_INTEGER_FORMAT, n, min);
	if (n > max)
		return chk_fail_at(k, key, "Invalid value: %"
		    JSON_INTEGER_FORMAT ": must be less than or equal to %"
		    JSON_INTEGER_FORMAT, n, max);
	return BPG_OK;
}

#define I32_RANGE INT32_MIN, INT32_MAX
#define I64_RANGE INT64_MIN, INT64_MAX

/* One of vals (NULL-terminated), compared exactly. */
static enum bpg_err
chk_enum(struct chk *k, const json_t *o, const char *key, bool required,
    const char *const *vals)
{
	char esc[ECHO_MAX * 4 + 8], list[256];
	const json_t *v;
	const char *s;
	size_t i, n = 0;
	enum bpg_err e;

	if ((e = chk_get(k, o, key, C_STR, required, &v)) != BPG_OK ||
	    v == NULL)
		return e;
	s = json_string_value(v);
	for (i = 0; vals[i] != NULL; i++)
		if (strcmp(s, vals[i]) == 0)
			return BPG_OK;
	list[0] = '\0';
	for (i = 0; vals[i] != NULL && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"%s\"",
		    i > 0 ? ", " : "", vals[i]);
	escape_value(esc, sizeof(esc), s);
	return chk_fail_at(k, key, "Unsupported value: \"%s\": supported "
	    "values: %s", esc, list);
}

/* A list of strings. */
static enum bpg_err
chk_strlist(struct chk *k, const json_t *o, const char *key)
{
	const json_t *v, *el;
	size_t i, m;
	enum bpg_err e = BPG_OK;

	if ((e = chk_get(k, o, key, C_ARR, false, &v)) != BPG_OK || v == NULL)
		return e;
	m = chk_push_key(k, key);
	json_array_foreach(v, i, el)
		if (!json_is_string(el)) {
			size_t m2 = chk_push_index(k, i);

			e = chk_fail(k, "Invalid value: must be a string");
			chk_pop(k, m2);
			break;
		}
	chk_pop(k, m);
	return e;
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? over s[0..n), n > 0. */
static bool
qname_chars(const char *s, size_t n)
{
	size_t i;

	if (!alnum((unsigned char)s[0]) || !alnum((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return false;
	return true;
}

/*
 * Kubernetes IsQualifiedName (label and annotation keys): an optional
 * DNS-1123 subdomain prefix and '/', then a name of at most 63 characters
 * of [-A-Za-z0-9_.], alphanumeric at both ends.  NULL if valid, else why.
 */
static const char *
qualified_name_problem(const char *s)
{
	const char *slash = strchr(s, '/'), *name = s;

	if (slash != NULL) {
		if (strchr(slash + 1, '/') != NULL)
			return "a qualified name is a name with an optional "
			    "DNS subdomain prefix and one '/' (e.g. "
			    "'example.com/MyName')";
		if (slash == s)
			return "prefix part must be non-empty";
		if ((size_t)(slash - s) > MAX_PREFIX)
			return "prefix part must be no more than 253 "
			    "characters";
		if (!bpg_name_subdomain(s, (size_t)(slash - s), MAX_PREFIX))
			return "prefix part must be a lowercase DNS-1123 "
			    "subdomain (e.g. 'example.com')";
		name = slash + 1;
	}
	if (*name == '\0')
		return "name part must be non-empty";
	if (strlen(name) > MAX_QNAME)
		return "name part must be no more than 63 characters";
	if (!qname_chars(name, strlen(name)))
		return "name part must consist of alphanumeric characters, "
		    "'-', '_' or '.', and must start and end with an "
		    "alphanumeric character";
	return NULL;
}

enum mapkind {
	MAP_PLAIN,	/* sparkConf: strings */
	MAP_LABELS,	/* label keys and values */
	MAP_ANNOTATIONS,/* annotation keys, total size */
};

/* A map of strings, with the rules of its kind. */
static enum bpg_err
chk_map(struct chk *k, const json_t *o, const char *key, enum mapkind kind)
{
	char esc[ECHO_MAX * 4 + 8], *lower = NULL;
	const char *mk, *why, *s;
	const json_t *v;
	json_t *val;
	size_t m, m2, total = 0, i;
	enum bpg_err e = BPG_OK;

	if ((e = chk_get(k, o, key, C_OBJ, false, &v)) != BPG_OK || v == NULL)
		return e;
	m = chk_push_key(k, key);
	json_object_foreach((json_t *)(uintptr_t)v, mk, val) {
		m2 = chk_push_mapkey(k, mk);
		if (!json_is_string(val)) {
			e = chk_fail(k, "Invalid value: must be a string");
			goto next;
		}
		s = json_string_value(val);
		why = NULL;
		if (kind == MAP_LABELS)
			why = qualified_name_problem(mk);
		else if (kind == MAP_ANNOTATIONS) {
			/* Annotation keys are checked in lower case. */
			if ((lower = strdup(mk)) == NULL) {
				e = bpg_errf(k->ei, BPG_ENOMEM,
				    "out of memory");
				goto next;
			}
			for (i = 0; lower[i] != '\0'; i++)
				if (lower[i] >= 'A' && lower[i] <= 'Z')
					lower[i] = (char)(lower[i] - 'A' +
					    'a');
			why = qualified_name_problem(lower);
			free(lower);
			lower = NULL;
			total += strlen(mk) + json_string_length(val);
		}
		if (why != NULL) {
			escape_value(esc, sizeof(esc), mk);
			e = chk_fail(k, "Invalid key \"%s\": %s", esc, why);
			goto next;
		}
		if (kind == MAP_LABELS && !bpg_label_value_valid(s)) {
			escape_value(esc, sizeof(esc), s);
			e = chk_fail(k, "Invalid value: \"%s\": %s", esc,
			    strlen(s) > BPG_MAX_LABEL_VALUE ? "a label value "
			    "must be no more than 63 characters" : "a label "
			    "value must be empty or consist of alphanumeric "
			    "characters, '-', '_' or '.', and must start and "
			    "end with an alphanumeric character");
			goto next;
		}
next:
		chk_pop(k, m2);
		if (e != BPG_OK)
			break;
	}
	if (e == BPG_OK && total > MAX_ANNOTATION_BYTES)
		e = chk_fail(k, "Too long: must have at most %d bytes",
		    MAX_ANNOTATION_BYTES);
	chk_pop(k, m);
	return e;
}

/* Each element of o[key] is an object checked by fn. */
static enum bpg_err
chk_objlist(struct chk *k, const json_t *o, const char *key, bool required,
    enum bpg_err (*fn)(struct chk *, const json_t *))
{
	const json_t *v, *el;
	size_t i, m, m2;
	enum bpg_err e;

	if ((e = chk_get(k, o, key, C_ARR, required, &v)) != BPG_OK ||
	    v == NULL)
		return e;
	m = chk_push_key(k, key);
	json_array_foreach(v, i, el) {
		m2 = chk_push_index(k, i);
		if (!json_is_object(el))
			e = chk_fail(k, "Invalid value: must be an object");
		else
			e = fn(k, el);
		chk_pop(k, m2);
		if (e != BPG_OK)
			break;
	}
	chk_pop(k, m);
	return e;
}

/* o[key] is an object checked by fn (nothing when absent). */
static enum bpg_err
chk_obj(struct chk *k, const json_t *o, const char *key, bool required,
    enum bpg_err (*fn)(struct chk *, const json_t *))
{
	const json_t *v;
	size_t m;
	enum bpg_err e;

	if ((e = chk_get(k, o, key, C_OBJ, required, &v)) != BPG_OK ||
	    v == NULL)
		return e;
	m = chk_push_key(k, key);
	e = fn(k, v);
	chk_pop(k, m);
	return e;
}

/* NodeSelectorRequirement: key and operator required. */
static enum bpg_err
chk_nsreq(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "key", true)) != BPG_OK ||
	    (e = chk_str(k, o, "operator", true)) != BPG_OK)
		return e;
	return chk_strlist(k, o, "values");
}

static enum bpg_err
chk_nsterm(struct chk *k, const json_t *o)
{
	return chk_objlist(k, o, "matchExpressions", false, chk_nsreq);
}

static enum bpg_err
chk_prefterm(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_obj(k, o, "preference", true, chk_nsterm)) != BPG_OK)
		return e;
	return chk_int(k, o, "weight", true, I32_RANGE);
}

static enum bpg_err
chk_reqterm(struct chk *k, const json_t *o)
{
	return chk_objlist(k, o, "nodeSelectorTerms", true, chk_nsterm);
}

static enum bpg_err
chk_nodeaff(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_objlist(k, o,
	    "preferredDuringSchedulingIgnoredDuringExecution", false,
	    chk_prefterm)) != BPG_OK)
		return e;
	return chk_obj(k, o, "requiredDuringSchedulingIgnoredDuringExecution",
	    false, chk_reqterm);
}

static enum bpg_err
chk_affinity(struct chk *k, const json_t *o)
{
	return chk_obj(k, o, "nodeAffinity", false, chk_nodeaff);
}

static enum bpg_err
chk_fieldref(struct chk *k, const json_t *o)
{
	return chk_str(k, o, "fieldPath", true);
}

static enum bpg_err
chk_envsrc(struct chk *k, const json_t *o)
{
	return chk_obj(k, o, "fieldRef", false, chk_fieldref);
}

static enum bpg_err
chk_env(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "name", true)) != BPG_OK ||
	    (e = chk_str(k, o, "value", false)) != BPG_OK)
		return e;
	return chk_obj(k, o, "valueFrom", false, chk_envsrc);
}

static enum bpg_err
chk_mount(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "name", true)) != BPG_OK ||
	    (e = chk_str(k, o, "mountPath", true)) != BPG_OK ||
	    (e = chk_bool(k, o, "readOnly")) != BPG_OK)
		return e;
	return chk_str(k, o, "subPath", false);
}

static enum bpg_err
chk_secctx(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_bool(k, o, "privileged")) != BPG_OK ||
	    (e = chk_bool(k, o, "allowPrivilegeEscalation")) != BPG_OK)
		return e;
	return chk_int(k, o, "runAsUser", false, I64_RANGE);
}

static enum bpg_err
chk_dnsopt(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "name", false)) != BPG_OK)
		return e;
	return chk_str(k, o, "value", false);
}

static enum bpg_err
chk_dns(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_strlist(k, o, "nameservers")) != BPG_OK ||
	    (e = chk_strlist(k, o, "searches")) != BPG_OK)
		return e;
	return chk_objlist(k, o, "options", false, chk_dnsopt);
}

/* SparkPodSpec and the driver's or executor's own fields. */
static enum bpg_err
chk_pod(struct chk *k, const json_t *o, bool executor)
{
	static const char *const strs[] = { "coreRequest", "coreLimit",
		"memory", "memoryOverhead", "image", "serviceAccount",
		"javaOptions", "kubernetesMaster", NULL };
	char esc[ECHO_MAX * 4 + 8];
	const json_t *v;
	size_t i;
	enum bpg_err e;

	if ((e = chk_int(k, o, "cores", false, 1, INT32_MAX)) != BPG_OK)
		return e;
	for (i = 0; strs[i] != NULL; i++)
		if ((e = chk_str(k, o, strs[i], false)) != BPG_OK)
			return e;
	if ((e = chk_objlist(k, o, "env", false, chk_env)) != BPG_OK ||
	    (e = chk_map(k, o, "labels", MAP_LABELS)) != BPG_OK ||
	    (e = chk_map(k, o, "annotations", MAP_ANNOTATIONS)) != BPG_OK ||
	    (e = chk_int(k, o, "terminationGracePeriodSeconds", false,
	    I64_RANGE)) != BPG_OK ||
	    (e = chk_objlist(k, o, "volumeMounts", false, chk_mount)) !=
	    BPG_OK ||
	    (e = chk_obj(k, o, "securityContext", false, chk_secctx)) !=
	    BPG_OK ||
	    (e = chk_obj(k, o, "affinity", false, chk_affinity)) != BPG_OK ||
	    (e = chk_obj(k, o, "dnsConfig", false, chk_dns)) != BPG_OK)
		return e;
	/* The driver pod's name: the pod name rule (the schema's pattern
	 * only asks for some lower-case letter or digit). */
	if ((e = chk_get(k, o, "podName", C_STR, false, &v)) != BPG_OK)
		return e;
	if (v != NULL && !bpg_name_subdomain(json_string_value(v),
	    json_string_length(v), MAX_PREFIX)) {
		escape_value(esc, sizeof(esc), json_string_value(v));
		return chk_fail_at(k, "podName", "Invalid value: \"%s\": a pod "
		    "name must be a lowercase DNS-1123 subdomain (at most 253 "
		    "characters of [a-z0-9-.], alphanumeric at both ends of "
		    "each '.'-separated part)", esc);
	}
	if (executor &&
	    (e = chk_int(k, o, "instances", false, 1, INT32_MAX)) != BPG_OK)
		return e;
	return chk_bool(k, o, "deleteOnTermination");
}

static enum bpg_err
chk_driver(struct chk *k, const json_t *o)
{
	return chk_pod(k, o, false);
}

static enum bpg_err
chk_executor(struct chk *k, const json_t *o)
{
	return chk_pod(k, o, true);
}

static enum bpg_err
chk_hostpath(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "path", true)) != BPG_OK)
		return e;
	return chk_str(k, o, "type", false);
}

static enum bpg_err
chk_configmap(struct chk *k, const json_t *o)
{
	return chk_str(k, o, "name", false);
}

static enum bpg_err
chk_volume(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "name", true)) != BPG_OK ||
	    (e = chk_obj(k, o, "hostPath", false, chk_hostpath)) != BPG_OK)
		return e;
	return chk_obj(k, o, "configMap", false, chk_configmap);
}

static enum bpg_err
chk_deps(struct chk *k, const json_t *o)
{
	static const char *const lists[] = { "jars", "files", "pyFiles",
		"packages", "excludePackages", "repositories", "archives",
		NULL };
	size_t i;
	enum bpg_err e;

	for (i = 0; lists[i] != NULL; i++)
		if ((e = chk_strlist(k, o, lists[i])) != BPG_OK)
			return e;
	return BPG_OK;
}

static enum bpg_err
chk_restart(struct chk *k, const json_t *o)
{
	static const char *const types[] = { "Never", "Always", "OnFailure",
		NULL };
	enum bpg_err e;

	if ((e = chk_enum(k, o, "type", false, types)) != BPG_OK ||
	    (e = chk_int(k, o, "onSubmissionFailureRetries", false, 0,
	    INT32_MAX)) != BPG_OK ||
	    (e = chk_int(k, o, "onFailureRetries", false, 0, INT32_MAX)) !=
	    BPG_OK ||
	    (e = chk_int(k, o, "onSubmissionFailureRetryInterval", false, 1,
	    INT64_MAX)) != BPG_OK)
		return e;
	return chk_int(k, o, "onFailureRetryInterval", false, 1, INT64_MAX);
}

static enum bpg_err
chk_scheduler(struct chk *k, const json_t *o)
{
	return chk_str(k, o, "queue", false);
}

static enum bpg_err
chk_tls(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_strlist(k, o, "hosts")) != BPG_OK)
		return e;
	return chk_str(k, o, "secretName", false);
}

static enum bpg_err
chk_ui(struct chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_int(k, o, "servicePort", false, I32_RANGE)) != BPG_OK ||
	    (e = chk_map(k, o, "ingressAnnotations", MAP_ANNOTATIONS)) !=
	    BPG_OK)
		return e;
	return chk_objlist(k, o, "ingressTLS", false, chk_tls);
}

static enum bpg_err
chk_spec(struct chk *k, const json_t *spec)
{
	static const char *const required[] = { "type", "sparkVersion",
		"mainApplicationFile", "driver", "executor", NULL };
	static const char *const types[] = { "Java", "Python", "Scala", "R",
		NULL };
	static const char *const modes[] = { "cluster", "client", NULL };
	static const char *const pythons[] = { "2", "3", NULL };
	static const char *const strs[] = { "sparkVersion", "proxyUser",
		"image", "imagePullPolicy", "mainClass", "mainApplicationFile",
		"batchScheduler", NULL };
	const json_t *v;
	size_t i;
	enum bpg_err e;

	for (i = 0; required[i] != NULL; i++) {
		v = json_object_get(spec, required[i]);
		if (v == NULL || json_is_null(v))
			return chk_fail_at(k, required[i], "Required value");
	}
	if ((e = chk_enum(k, spec, "type", true, types)) != BPG_OK ||
	    (e = chk_enum(k, spec, "mode", false, modes)) != BPG_OK)
		return e;
	for (i = 0; strs[i] != NULL; i++)
		if ((e = chk_str(k, spec, strs[i], false)) != BPG_OK)
			return e;
	if ((e = chk_strlist(k, spec, "arguments")) != BPG_OK ||
	    (e = chk_map(k, spec, "sparkConf", MAP_PLAIN)) != BPG_OK ||
	    (e = chk_obj(k, spec, "batchSchedulerOptions", false,
	    chk_scheduler)) != BPG_OK ||
	    (e = chk_objlist(k, spec, "volumes", false, chk_volume)) !=
	    BPG_OK ||
	    (e = chk_obj(k, spec, "driver", true, chk_driver)) != BPG_OK ||
	    (e = chk_obj(k, spec, "executor", true, chk_executor)) != BPG_OK ||
	    (e = chk_obj(k, spec, "deps", false, chk_deps)) != BPG_OK ||
	    (e = chk_obj(k, spec, "restartPolicy", false, chk_restart)) !=
	    BPG_OK ||
	    (e = chk_enum(k, spec, "pythonVersion", false, pythons)) !=
	    BPG_OK ||
	    (e = chk_int(k, spec, "timeToLiveSeconds", false, I64_RANGE)) !=
	    BPG_OK)
		return e;
	return chk_obj(k, spec, "sparkUIOptions", false, chk_ui);
}

static enum bpg_err
chk_meta(struct chk *k, const json_t *meta)
{
	char esc[ECHO_MAX * 4 + 8];
	const json_t *v;
	const char *s;
	enum bpg_err e;

	if ((e = chk_get(k, meta, "name", C_STR, true, &v)) != BPG_OK)
		return e;
	s = json_string_value(v);
	if (!bpg_name_app(s)) {
		escape_value(esc, sizeof(esc), s);
		return chk_fail_at(k, "name", "Invalid value: \"%s\": %s", esc,
		    strlen(s) > BPG_MAX_K8S_NAME ? "must be no more than 63 "
		    "characters" : "a DNS-1035 label must consist of lower "
		    "case alphanumeric characters or '-', start with a letter "
		    "and end with a letter or digit");
	}
	if ((e = chk_get(k, meta, "namespace", C_STR, false, &v)) != BPG_OK)
		return e;
	if (v != NULL && !bpg_name_label(json_string_value(v),
	    json_string_length(v), BPG_MAX_K8S_NAME)) {
		escape_value(esc, sizeof(esc), json_string_value(v));
		return chk_fail_at(k, "namespace", "Invalid value: \"%s\": a "
		    "namespace must be a DNS-1123 label", esc);
	}
	if ((e = chk_map(k, meta, "labels", MAP_LABELS)) != BPG_OK)
		return e;
	return chk_map(k, meta, "annotations", MAP_ANNOTATIONS);
}

enum bpg_err
bpg_crd_check(const json_t *cr, struct bpg_errinfo *ei)
{
	struct bpg_errinfo dummy;
	const char *s;
	struct chk k;
	enum bpg_err e;

	memset(&k, 0, sizeof(k));
	k.ei = ei != NULL ? ei : &dummy;
	if (!json_is_object(cr))
		return chk_fail(&k, "Invalid value: must be an object");
	s = json_string_value(json_object_get(cr, "apiVersion"));
	if (s == NULL || strcmp(s, BPG_CRD_GROUP "/" BPG_CRD_VERSION) != 0)
		return chk_fail_at(&k, "apiVersion", "Unsupported value: must "
		    "be \"%s\"", BPG_CRD_GROUP "/" BPG_CRD_VERSION);
	s = json_string_value(json_object_get(cr, "kind"));
	if (s == NULL || strcmp(s, BPG_CRD_KIND) != 0)
		return chk_fail_at(&k, "kind", "Unsupported value: must be "
		    "\"%s\"", BPG_CRD_KIND);
	if ((e = chk_obj(&k, cr, "metadata", true, chk_meta)) != BPG_OK)
		return e;
	return chk_obj(&k, cr, "spec", true, chk_spec);
}
