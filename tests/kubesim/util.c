/*
 * Small helpers of the Kubernetes API stand-in: clocks, randomness, names
 * checked with the rules and messages of k8s.io/apimachinery/pkg/util/
 * validation, and Status objects (Kubernetes API conventions: Status).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uuid/uuid.h>

#include "kubesim.h"

const struct ks_resdef ks_res[KS_RES__MAX] = {
	[KS_APP] = { "sparkapplications", "sparkoperator.k8s.io", "v1beta2",
	    "sparkoperator.k8s.io/v1beta2", "SparkApplication",
	    "SparkApplicationList", "sparkapplications.sparkoperator.k8s.io" },
	[KS_POD] = { "pods", "", "v1", "v1", "Pod", "PodList", "pods" },
	[KS_EVENT] = { "events", "", "v1", "v1", "Event", "EventList",
	    "events" },
	[KS_SECRET] = { "secrets", "", "v1", "v1", "Secret", "SecretList",
	    "secrets" },
};

long long
ks_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
ks_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
ks_rfc3339(char *buf, size_t len, long long wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
ks_rfc3339nano(char *buf, size_t len, long long wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	char sec[32];

	gmtime_r(&t, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03d000000Z", sec, (int)(wall_ms % 1000));
}

/* xorshift64*: reproducible for a given seed, which is all tests need. */
uint64_t
ks_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

double
ks_rand01(uint64_t *s)
{
	return (double)(ks_rand(s) >> 11) / 9007199254740992.0;
}

void
ks_hex(uint64_t *s, char *buf, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t r = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i % 16 == 0)
			r = ks_rand(s);
		buf[i] = hex[r & 0xf];
		r >>= 4;
	}
	buf[n] = '\0';
}

void
ks_uuid(char *buf)
{
	uuid_t u;

	uuid_generate_random(u);
	uuid_unparse_lower(u, buf);
}

void
ks_wait(struct kubesim *ks, long long ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&ks->cv, &ks->mu, &ts);
}

char *
ks_key(const char *ns, const char *name)
{
	char *k;

	if (asprintf(&k, "%s/%s", ns != NULL ? ns : "", name) < 0)
		return NULL;
	return k;
}

const char *
ks_meta_str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj,
	    "metadata"), field));
}

/* ---- names (k8s.io/apimachinery/pkg/util/validation) --------------------- */

#define DNS1123_SUBDOMAIN_MSG "a lowercase RFC 1123 subdomain must consist " \
	"of lower case alphanumeric characters, '-' or '.', and must start " \
	"and end with an alphanumeric character (e.g. 'example.com', regex " \
	"used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]" \
	"([-a-z0-9]*[a-z0-9])?)*')"
#define DNS1035_LABEL_MSG "a DNS-1035 label must consist of lower case " \
	"alphanumeric characters or '-', start with an alphabetic character, " \
	"and end with an alphanumeric character (e.g. 'my-name',  or " \
	"'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
#define QUALIFIED_NAME_MSG "must consist of alphanumeric characters, '-', " \
	"'_' or '.', and must start and end with an alphanumeric character " \
	"(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for " \
	"validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABEL_VALUE_MSG "a valid label must be an empty string or consist " \
	"of alphanumeric characters, '-', '_' or '.', and must start and end " \
	"with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or " \
	"'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)" \
	"?[A-Za-z0-9])?')"

static int
lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static int
dns1123_label_match(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !lower_alnum((unsigned char)s[0]) ||
	    !lower_alnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!lower_alnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int
subdomain_match(const char *s)
{
	const char *dot;

	for (;;) {
		dot = strchr(s, '.');
		if (!dns1123_label_match(s, dot ? (size_t)(dot - s) :
		    strlen(s)))
			return 0;
		if (dot == NULL)
			return 1;
		s = dot + 1;
	}
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static int
qualified_match(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

static enum bpg_err
invalid(json_t *causes, const char *field, const char *value, const char *msg)
{
	char *q;
	enum bpg_err e;

	if ((q = schema_quote(value)) == NULL)
		return BPG_ENOMEM;
	e = schema_cause_add(causes, "FieldValueInvalid", field,
	    "Invalid value: %s: %s", q, msg);
	free(q);
	return e;
}

enum bpg_err
ks_check_subdomain(json_t *causes, const char *field, const char *value)
{
	enum bpg_err e = BPG_OK;

	if (strlen(value) > 253)
		e = invalid(causes, field, value,
		    "must be no more than 253 characters");
	if (e == BPG_OK && !subdomain_match(value))
		e = invalid(causes, field, value, DNS1123_SUBDOMAIN_MSG);
	return e;
}

enum bpg_err
ks_check_dns1035(json_t *causes, const char *field, const char *value)
{
	size_t i, n = strlen(value);
	int ok = n > 0 && value[0] >= 'a' && value[0] <= 'z' &&
	    lower_alnum((unsigned char)value[n - 1]);
	enum bpg_err e = BPG_OK;

	for (i = 0; ok && i < n; i++)
		if (!lower_alnum((unsigned char)value[i]) && value[i] != '-')
			ok = 0;
	if (n > 63)
		e = invalid(causes, field, value,
		    "must be no more than 63 characters");
	if (e == BPG_OK && !ok)
		e = invalid(causes, field, value, DNS1035_LABEL_MSG);
	return e;
}

/* validation.IsQualifiedName, message by message. */
static enum bpg_err
qualified_name(json_t *causes, const char *field, const char *value,
    const char *shown)
{
	const char *slash = strchr(value, '/'), *name = value;
	char *prefix = NULL, msg[1024];
	enum bpg_err e = BPG_OK;

	if (slash != NULL && strchr(slash + 1, '/') != NULL) {
		snprintf(msg, sizeof(msg), "a qualified name %s with an "
		    "optional DNS subdomain prefix and '/' (e.g. "
		    "'example.com/MyName')", QUALIFIED_NAME_MSG);
		return invalid(causes, field, shown, msg);
	}
	if (slash != NULL) {
		if ((prefix = strndup(value, (size_t)(slash - value))) == NULL)
			return BPG_ENOMEM;
		name = slash + 1;
		if (*prefix == '\0')
			e = invalid(causes, field, shown,
			    "prefix part must be non-empty");
		else {
			if (strlen(prefix) > 253)
				e = invalid(causes, field, shown, "prefix "
				    "part must be no more than 253 characters");
			if (e == BPG_OK && !subdomain_match(prefix))
				e = invalid(causes, field, shown, "prefix "
				    "part " DNS1123_SUBDOMAIN_MSG);
		}
		free(prefix);
		if (e != BPG_OK)
			return e;
	}
	if (*name == '\0')
		e = invalid(causes, field, shown,
		    "name part must be non-empty");
	else if (strlen(name) > 63)
		e = invalid(causes, field, shown,
		    "name part must be no more than 63 characters");
	if (e == BPG_OK && !qualified_match(name, strlen(name)))
		e = invalid(causes, field, shown,
		    "name part " QUALIFIED_NAME_MSG);
	return e;
}

enum bpg_err
ks_check_qualified(json_t *causes, const char *field, const char *value)
{
	return qualified_name(causes, field, value, value);
}

int
ks_label_value_ok(const char *v)
{
	size_t n = strlen(v);

	return n == 0 || (n <= 63 && qualified_match(v, n));
}

static int
str_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;

	return strcmp(*x, *y);
}

/* The keys of obj, sorted (Go validates in map order; this is stable). */
static const char **
sorted_keys(json_t *obj, size_t *n)
{
	const char **keys, *k;
	json_t *v;
	size_t i = 0;

	*n = json_object_size(obj);
	if ((keys = calloc(*n + 1, sizeof(*keys))) == NULL)
		return NULL;
	json_object_foreach(obj, k, v)
		keys[i++] = k;
	qsort(keys, *n, sizeof(*keys), str_cmp);
	return keys;
}

enum bpg_err
ks_check_labels(json_t *causes, const char *field, json_t *labels)
{
	const char **keys, *v;
	enum bpg_err e = BPG_OK;
	size_t i, n;

	if (!json_is_object(labels))
		return BPG_OK;
	if ((keys = sorted_keys(labels, &n)) == NULL)
		return BPG_ENOMEM;
	for (i = 0; i < n && e == BPG_OK; i++) {
		e = qualified_name(causes, field, keys[i], keys[i]);
		v = json_string_value(json_object_get(labels, keys[i]));
		if (e != BPG_OK || v == NULL)
			continue;
		if (strlen(v) > 63)
			e = invalid(causes, field, v,
			    "must be no more than 63 characters");
		if (e == BPG_OK && !(strlen(v) == 0 ||
		    qualified_match(v, strlen(v))))
			e = invalid(causes, field, v, LABEL_VALUE_MSG);
	}
	free(keys);
	return e;
}

enum bpg_err
ks_check_annotations(json_t *causes, const char *field, json_t *ann)
{
	const char **keys, *v;
	char *lower;
	enum bpg_err e = BPG_OK;
	size_t i, j, n, total = 0;

	if (!json_is_object(ann))
		return BPG_OK;
	if ((keys = sorted_keys(ann, &n)) == NULL)
		return BPG_ENOMEM;
	for (i = 0; i < n && e == BPG_OK; i++) {
		if ((lower = strdup(keys[i])) == NULL) {
			e = BPG_ENOMEM;
			break;
		}
		for (j = 0; lower[j] != '\0'; j++)
			lower[j] = (char)tolower((unsigned char)lower[j]);
		e = qualified_name(causes, field, lower, keys[i]);
		free(lower);
		v = json_string_value(json_object_get(ann, keys[i]));
		total += strlen(keys[i]) + (v != NULL ? strlen(v) : 0);
	}
	free(keys);
	if (e == BPG_OK && total > 256 * 1024)
		e = schema_cause_add(causes, "FieldValueTooLong", field,
		    "Too long: may not be more than %d bytes", 256 * 1024);
	return e;
}

json_t *
ks_status(int code, const char *reason, const char *message, json_t *details)
{
	json_t *s;

	s = json_pack("{s:s, s:s, s:{}, s:s}", "kind", "Status", "apiVersion",
	    "v1", "metadata", "status", code < 400 ? "Success" : "Failure");
	if (s == NULL) {
		json_decref(details);
		return NULL;
	}
	if (message != NULL)
		json_object_set_new(s, "message", json_string(message));
	if (reason != NULL && *reason != '\0')
		json_object_set_new(s, "reason", json_string(reason));
	if (details != NULL)
		json_object_set_new(s, "details", details);
	/* metav1.Status.Code is omitted when zero, as on deletions. */
	if (code >= 300)
		json_object_set_new(s, "code", json_integer(code));
	return s;
}
