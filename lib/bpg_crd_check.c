/*
 * Checks of a SparkApplication before anything is written (bpg_crd_check):
 * what the CRD's schema and the API server's rules would refuse.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_crd_int.h"
#include "bpg_label.h"
#include "bpg_limits.h"
#include "bpg_name.h"

#define CHK_PREFIX "Invalid SparkApplication: "
/* ObjectMeta: the size of all annotations (TotalAnnotationSizeLimitB). */
#define MAX_ANNOTATION_BYTES (256 * 1024)
/* Kubernetes qualified names: a DNS subdomain prefix, a 63-byte name. */
#define MAX_PREFIX 253
#define MAX_QNAME 63

/* Append n bytes of s to the field path, cut at its end. */
static void
chk_put(struct crd_chk *k, const char *s, size_t n)
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
chk_push_key(struct crd_chk *k, const char *key)
{
	size_t old = k->plen;

	if (old > 0)
		chk_put(k, ".", 1);
	chk_put(k, key, strlen(key));
	return old;
}

/* Append "[i]". */
static size_t
chk_push_index(struct crd_chk *k, size_t i)
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
chk_pop(struct crd_chk *k, size_t old)
{
	k->plen = old;
	k->path[old] = '\0';
}

/* "Invalid SparkApplication: <path>: <reason>", BPG_EINVAL. */
static enum bpg_err __attribute__((format(printf, 2, 3)))
chk_fail(struct crd_chk *k, const char *fmt, ...)
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
chk_fail_at(struct crd_chk *k, const char *key, const char *fmt, ...)
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
chk_push_mapkey(struct crd_chk *k, const char *key)
{
	char esc[ECHO_MAX * 4 + 8];
	size_t old = k->plen;

	bpg_echo(esc, sizeof(esc), key, ECHO_MAX);
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
chk_val(struct crd_chk *k, const char *key, const json_t *v, enum ckind t,
    bool required, const json_t **out)
{
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
chk_get(struct crd_chk *k, const json_t *o, const char *key, enum ckind t,
    bool required, const json_t **out)
{
	return chk_val(k, key, json_object_get(o, key), t, required, out);
}

static enum bpg_err
chk_str(struct crd_chk *k, const json_t *o, const char *key, bool required)
{
	const json_t *v;

	return chk_get(k, o, key, C_STR, required, &v);
}

static enum bpg_err
chk_bool(struct crd_chk *k, const json_t *o, const char *key)
{
	const json_t *v;

	return chk_get(k, o, key, C_BOOL, false, &v);
}

/* An integer in [min, max] (the schema's minimum and int32/int64). */
static enum bpg_err
chk_int(struct crd_chk *k, const json_t *o, const char *key, bool required,
    int64_t min, int64_t max)
{
	const json_t *v;
	enum bpg_err e;

	if ((e = chk_get(k, o, key, C_INT, required, &v)) != BPG_OK ||
	    v == NULL)
		return e;
	return crd_chk_int(k, key, json_integer_value(v), min, max);
}

enum bpg_err
crd_chk_int(struct crd_chk *k, const char *key, int64_t n, int64_t min,
    int64_t max)
{
	if (n < min)
		return chk_fail_at(k, key, "Invalid value: %lld: must be "
		    "greater than or equal to %lld", (long long)n,
		    (long long)min);
	if (n > max)
		return chk_fail_at(k, key, "Invalid value: %lld: must be "
		    "less than or equal to %lld", (long long)n, (long long)max);
	return BPG_OK;
}

#define I32_RANGE INT32_MIN, INT32_MAX
#define I64_RANGE INT64_MIN, INT64_MAX

/* One of vals (NULL-terminated), compared exactly. */
static enum bpg_err
chk_enum(struct crd_chk *k, const json_t *o, const char *key, bool required,
    const char *const *vals)
{
	const json_t *v;
	enum bpg_err e;

	if ((e = chk_get(k, o, key, C_STR, required, &v)) != BPG_OK ||
	    v == NULL)
		return e;
	return crd_chk_enum(k, key, json_string_value(v), vals);
}

enum bpg_err
crd_chk_enum(struct crd_chk *k, const char *key, const char *s,
    const char *const *vals)
{
	char esc[ECHO_MAX * 4 + 8], list[256];
	size_t i, n = 0;

	for (i = 0; vals[i] != NULL; i++)
		if (strcmp(s, vals[i]) == 0)
			return BPG_OK;
	list[0] = '\0';
	for (i = 0; vals[i] != NULL && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"%s\"",
		    i > 0 ? ", " : "", vals[i]);
	bpg_echo(esc, sizeof(esc), s, ECHO_MAX);
	return chk_fail_at(k, key, "Unsupported value: \"%s\": supported "
	    "values: %s", esc, list);
}

/* A list of strings. */
static enum bpg_err
chk_strlist_v(struct crd_chk *k, const char *key, const json_t *v0)
{
	const json_t *v, *el;
	size_t i, m;
	enum bpg_err e = BPG_OK;

	if ((e = chk_val(k, key, v0, C_ARR, false, &v)) != BPG_OK || v == NULL)
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

static enum bpg_err
chk_strlist(struct crd_chk *k, const json_t *o, const char *key)
{
	return chk_strlist_v(k, key, json_object_get(o, key));
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? over s[0..n), n > 0. */
static bool
qname_chars(const char *s, size_t n)
{
	size_t i;

	if (!bpg_label_alnum((unsigned char)s[0]) || !bpg_label_alnum((unsigned char)s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!bpg_label_alnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' &&
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
	MAP_LABEL_VALUES,/* label values (keys known to be valid) */
	MAP_ANNOTATIONS,/* annotation keys, total size */
};

/*
 * One entry mk: s (NULL: not a string) of a map of strings, with the
 * rules of its kind, at k's path (the map's).  Annotations add their size
 * to *total.
 */
static enum bpg_err
map_entry(struct crd_chk *k, const char *mk, const char *s, size_t slen,
    enum mapkind kind, size_t *total)
{
	char esc[ECHO_MAX * 4 + 8], *lower = NULL;
	const char *why = NULL;
	size_t m2, i;
	enum bpg_err e;

	/* The path names the key only in a failure: most entries pass. */
	if (s == NULL) {
		m2 = chk_push_mapkey(k, mk);
		e = chk_fail(k, "Invalid value: must be a string");
		chk_pop(k, m2);
		return e;
	}
	if (kind == MAP_LABELS)
		why = qualified_name_problem(mk);
	else if (kind == MAP_ANNOTATIONS) {
		/* Annotation keys are checked in lower case. */
		for (i = 0; mk[i] != '\0' && !(mk[i] >= 'A' && mk[i] <= 'Z');
		    i++)
			;
		if (mk[i] != '\0') {
			if ((lower = strdup(mk)) == NULL)
				return bpg_errf(k->ei, BPG_ENOMEM,
				    "out of memory");
			for (; lower[i] != '\0'; i++)
				if (lower[i] >= 'A' && lower[i] <= 'Z')
					lower[i] = (char)(lower[i] - 'A' +
					    'a');
		}
		why = qualified_name_problem(lower != NULL ? lower : mk);
		free(lower);
		*total += strlen(mk) + slen;
	}
	if (why != NULL) {
		m2 = chk_push_mapkey(k, mk);
		bpg_echo(esc, sizeof(esc), mk, ECHO_MAX);
		e = chk_fail(k, "Invalid key \"%s\": %s", esc, why);
		chk_pop(k, m2);
		return e;
	}
	if ((kind == MAP_LABELS || kind == MAP_LABEL_VALUES) &&
	    !bpg_label_value_valid(s)) {
		m2 = chk_push_mapkey(k, mk);
		bpg_echo(esc, sizeof(esc), s, ECHO_MAX);
		e = chk_fail(k, "Invalid value: \"%s\": %s", esc,
		    strlen(s) > BPG_MAX_LABEL_VALUE ? "a label value "
		    "must be no more than 63 characters" : "a label "
		    "value must be empty or consist of alphanumeric "
		    "characters, '-', '_' or '.', and must start and "
		    "end with an alphanumeric character");
		chk_pop(k, m2);
		return e;
	}
	return BPG_OK;
}

static enum bpg_err
map_total(struct crd_chk *k, size_t total)
{
	if (total > MAX_ANNOTATION_BYTES)
		return chk_fail(k, "Too long: must have at most %d bytes",
		    MAX_ANNOTATION_BYTES);
	return BPG_OK;
}

/* A map of strings v (NULL: absent) as member key, with the rules of its
 * kind. */
static enum bpg_err
chk_map_v(struct crd_chk *k, const char *key, const json_t *v0,
    enum mapkind kind)
{
	const char *mk;
	const json_t *v;
	json_t *val;
	size_t m, total = 0;
	enum bpg_err e = BPG_OK;

	if ((e = chk_val(k, key, v0, C_OBJ, false, &v)) != BPG_OK ||
	    v == NULL)
		return e;
	m = chk_push_key(k, key);
	json_object_foreach((json_t *)(uintptr_t)v, mk, val) {
		e = map_entry(k, mk, json_string_value(val),
		    json_string_length(val), kind, &total);
		if (e != BPG_OK)
			break;
	}
	if (e == BPG_OK)
		e = map_total(k, total);
	chk_pop(k, m);
	return e;
}

static enum bpg_err
chk_map(struct crd_chk *k, const json_t *o, const char *key, enum mapkind kind)
{
	return chk_map_v(k, key, json_object_get(o, key), kind);
}

enum bpg_err
crd_chk_label(struct crd_chk *k, const char *key, const char *s)
{
	size_t total = 0;

	return map_entry(k, key, s, s != NULL ? strlen(s) : 0, MAP_LABELS,
	    &total);
}

enum bpg_err
crd_chk_label_value(struct crd_chk *k, const char *key, const char *s)
{
	size_t total = 0;

	return map_entry(k, key, s, strlen(s), MAP_LABEL_VALUES, &total);
}

enum bpg_err
crd_chk_annotation(struct crd_chk *k, const char *key, const char *s,
    size_t slen, size_t *total)
{
	return map_entry(k, key, s, slen, MAP_ANNOTATIONS, total);
}

enum bpg_err
crd_chk_annotations_total(struct crd_chk *k, size_t total)
{
	return map_total(k, total);
}

/* Each element of o[key] is an object checked by fn. */
static enum bpg_err
chk_objlist_v(struct crd_chk *k, const char *key, const json_t *v0,
    bool required, enum bpg_err (*fn)(struct crd_chk *, const json_t *))
{
	const json_t *v, *el;
	size_t i, m, m2;
	enum bpg_err e;

	if ((e = chk_val(k, key, v0, C_ARR, required, &v)) != BPG_OK ||
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

static enum bpg_err
chk_objlist(struct crd_chk *k, const json_t *o, const char *key,
    bool required, enum bpg_err (*fn)(struct crd_chk *, const json_t *))
{
	return chk_objlist_v(k, key, json_object_get(o, key), required, fn);
}

/* v as member key is an object checked by fn (nothing when absent). */
static enum bpg_err
chk_obj_v(struct crd_chk *k, const char *key, const json_t *v0,
    bool required, enum bpg_err (*fn)(struct crd_chk *, const json_t *))
{
	const json_t *v;
	size_t m;
	enum bpg_err e;

	if ((e = chk_val(k, key, v0, C_OBJ, required, &v)) != BPG_OK ||
	    v == NULL)
		return e;
	m = chk_push_key(k, key);
	e = fn(k, v);
	chk_pop(k, m);
	return e;
}

static enum bpg_err
chk_obj(struct crd_chk *k, const json_t *o, const char *key, bool required,
    enum bpg_err (*fn)(struct crd_chk *, const json_t *))
{
	return chk_obj_v(k, key, json_object_get(o, key), required, fn);
}

/* NodeSelectorRequirement: key and operator required. */
static enum bpg_err
chk_nsreq(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "key", true)) != BPG_OK ||
	    (e = chk_str(k, o, "operator", true)) != BPG_OK)
		return e;
	return chk_strlist(k, o, "values");
}

static enum bpg_err
chk_nsterm(struct crd_chk *k, const json_t *o)
{
	return chk_objlist(k, o, "matchExpressions", false, chk_nsreq);
}

static enum bpg_err
chk_prefterm(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_obj(k, o, "preference", true, chk_nsterm)) != BPG_OK)
		return e;
	return chk_int(k, o, "weight", true, I32_RANGE);
}

static enum bpg_err
chk_reqterm(struct crd_chk *k, const json_t *o)
{
	return chk_objlist(k, o, "nodeSelectorTerms", true, chk_nsterm);
}

static enum bpg_err
chk_nodeaff(struct crd_chk *k, const json_t *o)
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
chk_affinity(struct crd_chk *k, const json_t *o)
{
	return chk_obj(k, o, "nodeAffinity", false, chk_nodeaff);
}

static enum bpg_err
chk_fieldref(struct crd_chk *k, const json_t *o)
{
	return chk_str(k, o, "fieldPath", true);
}

static enum bpg_err
chk_envsrc(struct crd_chk *k, const json_t *o)
{
	return chk_obj(k, o, "fieldRef", false, chk_fieldref);
}

static enum bpg_err
chk_env(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "name", true)) != BPG_OK ||
	    (e = chk_str(k, o, "value", false)) != BPG_OK)
		return e;
	return chk_obj(k, o, "valueFrom", false, chk_envsrc);
}

static enum bpg_err
chk_mount(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "name", true)) != BPG_OK ||
	    (e = chk_str(k, o, "mountPath", true)) != BPG_OK ||
	    (e = chk_bool(k, o, "readOnly")) != BPG_OK)
		return e;
	return chk_str(k, o, "subPath", false);
}

static enum bpg_err
chk_secctx(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_bool(k, o, "privileged")) != BPG_OK ||
	    (e = chk_bool(k, o, "allowPrivilegeEscalation")) != BPG_OK)
		return e;
	return chk_int(k, o, "runAsUser", false, I64_RANGE);
}

static enum bpg_err
chk_dnsopt(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "name", false)) != BPG_OK)
		return e;
	return chk_str(k, o, "value", false);
}

static enum bpg_err
chk_dns(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_strlist(k, o, "nameservers")) != BPG_OK ||
	    (e = chk_strlist(k, o, "searches")) != BPG_OK)
		return e;
	return chk_objlist(k, o, "options", false, chk_dnsopt);
}

/* SparkPodSpec and the driver's or executor's own fields. */
static enum bpg_err
chk_pod(struct crd_chk *k, const json_t *o, bool executor)
{
	static const char *const strs[] = { "coreRequest", "coreLimit",
		"memory", "memoryOverhead", "image", "serviceAccount",
		"javaOptions", "kubernetesMaster", NULL };
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
	if (v != NULL &&
	    (e = crd_chk_podname(k, json_string_value(v))) != BPG_OK)
		return e;
	if (executor &&
	    (e = chk_int(k, o, "instances", false, 1, INT32_MAX)) != BPG_OK)
		return e;
	return chk_bool(k, o, "deleteOnTermination");
}

static enum bpg_err
chk_driver(struct crd_chk *k, const json_t *o)
{
	return chk_pod(k, o, false);
}

static enum bpg_err
chk_executor(struct crd_chk *k, const json_t *o)
{
	return chk_pod(k, o, true);
}

static enum bpg_err
chk_hostpath(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "path", true)) != BPG_OK)
		return e;
	return chk_str(k, o, "type", false);
}

static enum bpg_err
chk_configmap(struct crd_chk *k, const json_t *o)
{
	return chk_str(k, o, "name", false);
}

static enum bpg_err
chk_volume(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_str(k, o, "name", true)) != BPG_OK ||
	    (e = chk_obj(k, o, "hostPath", false, chk_hostpath)) != BPG_OK)
		return e;
	return chk_obj(k, o, "configMap", false, chk_configmap);
}

static enum bpg_err
chk_deps(struct crd_chk *k, const json_t *o)
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
chk_restart(struct crd_chk *k, const json_t *o)
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
chk_scheduler(struct crd_chk *k, const json_t *o)
{
	return chk_str(k, o, "queue", false);
}

static enum bpg_err
chk_tls(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_strlist(k, o, "hosts")) != BPG_OK)
		return e;
	return chk_str(k, o, "secretName", false);
}

static enum bpg_err
chk_ui(struct crd_chk *k, const json_t *o)
{
	enum bpg_err e;

	if ((e = chk_int(k, o, "servicePort", false, I32_RANGE)) != BPG_OK ||
	    (e = chk_map(k, o, "ingressAnnotations", MAP_ANNOTATIONS)) !=
	    BPG_OK)
		return e;
	return chk_objlist(k, o, "ingressTLS", false, chk_tls);
}

static enum bpg_err
chk_spec(struct crd_chk *k, const json_t *spec)
{
	static const char *const required[] = { "type", "sparkVersion",
		"mainApplicationFile", "driver", "executor", NULL };
	static const char *const modes[] = { "cluster", "client", NULL };
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
	if ((e = chk_enum(k, spec, "type", true, crd_types)) != BPG_OK ||
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
	    (e = chk_enum(k, spec, "pythonVersion", false,
	    crd_pythons)) !=
	    BPG_OK ||
	    (e = chk_int(k, spec, "timeToLiveSeconds", false, I64_RANGE)) !=
	    BPG_OK)
		return e;
	return chk_obj(k, spec, "sparkUIOptions", false, chk_ui);
}

static enum bpg_err
chk_meta(struct crd_chk *k, const json_t *meta)
{
	const json_t *v;
	enum bpg_err e;

	if ((e = chk_get(k, meta, "name", C_STR, true, &v)) != BPG_OK ||
	    (e = crd_chk_name(k, json_string_value(v))) != BPG_OK)
		return e;
	if ((e = chk_get(k, meta, "namespace", C_STR, false, &v)) != BPG_OK)
		return e;
	if (v != NULL &&
	    (e = crd_chk_namespace(k, json_string_value(v))) != BPG_OK)
		return e;
	if ((e = chk_map(k, meta, "labels", MAP_LABELS)) != BPG_OK)
		return e;
	return chk_map(k, meta, "annotations", MAP_ANNOTATIONS);
}

enum bpg_err
bpg_crd_check(const json_t *cr, struct bpg_errinfo *ei)
{
	struct bpg_errinfo dummy;
	const char *s;
	struct crd_chk k;
	enum bpg_err e;

	crd_chk_init(&k, ei != NULL ? ei : &dummy);
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

/* ---- the same rules for bpg_crd_text.c (bpg_crd_int.h) -------------- */

const char *const crd_types[] = { "Java", "Python", "Scala", "R", NULL };
const char *const crd_pythons[] = { "2", "3", NULL };

void
crd_chk_init(struct crd_chk *k, struct bpg_errinfo *ei)
{
	k->ei = ei;
	k->plen = 0;
	k->path[0] = '\0';
}

size_t
crd_chk_push(struct crd_chk *k, const char *key)
{
	return chk_push_key(k, key);
}

void
crd_chk_pop(struct crd_chk *k, size_t old)
{
	chk_pop(k, old);
}

enum bpg_err
crd_chk_required(struct crd_chk *k, const char *key)
{
	return chk_fail_at(k, key, "Required value");
}

enum bpg_err
crd_chk_member(struct crd_chk *k, const char *key, const json_t *v,
    enum crd_member what)
{
	switch (what) {
	case CRD_M_STRLIST:
		return chk_strlist_v(k, key, v);
	case CRD_M_VOLUMES:
		return chk_objlist_v(k, key, v, false, chk_volume);
	case CRD_M_ENV:
		return chk_objlist_v(k, key, v, false, chk_env);
	case CRD_M_ANNOTATIONS:
		return chk_map_v(k, key, v, MAP_ANNOTATIONS);
	case CRD_M_MOUNTS:
		return chk_objlist_v(k, key, v, false, chk_mount);
	case CRD_M_SECCTX:
		return chk_obj_v(k, key, v, false, chk_secctx);
	case CRD_M_AFFINITY:
		return chk_obj_v(k, key, v, false, chk_affinity);
	case CRD_M_DEPS:
		return chk_obj_v(k, key, v, false, chk_deps);
	case CRD_M_RESTART:
		return chk_obj_v(k, key, v, false, chk_restart);
	case CRD_M_UI:
		return chk_obj_v(k, key, v, false, chk_ui);
	}
	return BPG_OK;
}

enum bpg_err
crd_chk_name(struct crd_chk *k, const char *s)
{
	char esc[ECHO_MAX * 4 + 8];

	if (bpg_name_app(s))
		return BPG_OK;
	bpg_echo(esc, sizeof(esc), s, ECHO_MAX);
	return chk_fail_at(k, "name", "Invalid value: \"%s\": %s", esc,
	    strlen(s) > BPG_MAX_K8S_NAME ? "must be no more than 63 "
	    "characters" : "a DNS-1035 label must consist of lower "
	    "case alphanumeric characters or '-', start with a letter "
	    "and end with a letter or digit");
}

enum bpg_err
crd_chk_namespace(struct crd_chk *k, const char *s)
{
	char esc[ECHO_MAX * 4 + 8];

	if (bpg_name_label(s, strlen(s), BPG_MAX_K8S_NAME))
		return BPG_OK;
	bpg_echo(esc, sizeof(esc), s, ECHO_MAX);
	return chk_fail_at(k, "namespace", "Invalid value: \"%s\": a "
	    "namespace must be a DNS-1123 label", esc);
}

enum bpg_err
crd_chk_podname(struct crd_chk *k, const char *s)
{
	char esc[ECHO_MAX * 4 + 8];

	if (bpg_name_subdomain(s, strlen(s), MAX_PREFIX))
		return BPG_OK;
	bpg_echo(esc, sizeof(esc), s, ECHO_MAX);
	return chk_fail_at(k, "podName", "Invalid value: \"%s\": a pod "
	    "name must be a lowercase DNS-1123 subdomain (at most 253 "
	    "characters of [a-z0-9-.], alphanumeric at both ends of "
	    "each '.'-separated part)", esc);
}
