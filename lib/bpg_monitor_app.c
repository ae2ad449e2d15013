/*
 * What the monitor reads (see bpg_monitor.h): Kubernetes quantities and
 * Spark sizes, SparkApplications and driver pods, and the pure decision
 * of what one observation means for an application's row.  No I/O.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_crd.h"
#include "bpg_db.h"
#include "bpg_monitor.h"
#include "bpg_monitor_int.h"

/* The spark-operator's driver container (Spark on Kubernetes). */
#define DRIVER_CONTAINER "spark-kubernetes-driver"
/* Longest quantity text accepted. */
#define MAX_QUANTITY 64
/* Significant digits of a quantity (they fit a uint64_t). */
#define MAX_DIGITS 18
/* Decimal exponents beyond these are refused (no request is that big or
 * that small, and the exact arithmetic below stays within 128 bits). */
#define MAX_EXP10 30

/*
 * Quantities
 */

/* Digits [.digits] at s[*pos..len) into mant and exp10. */
static enum bpg_err
parse_decimal(const char *s, size_t len, size_t *pos, struct bpg_quantity *q,
    struct bpg_errinfo *ei)
{
	char dig[MAX_QUANTITY + 1];
	size_t i = *pos, nd = 0, nint = 0, nfrac = 0, lead = 0, k;
	bool dot = false;

	for (; i < len; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (nd == MAX_QUANTITY)
				return bpg_errf(
				    ei, BPG_EINVAL, "quantity: too long");
			dig[nd++] = s[i];
			if (dot)
				nfrac++;
			else
				nint++;
		} else if (s[i] == '.' && !dot)
			dot = true;
		else
			break;
	}
	if (nint + nfrac == 0)
		return bpg_errf(ei, BPG_EINVAL, "quantity: no digits");
	q->exp10 = -(int)nfrac;
	/* Trailing zeros go to the exponent, leading ones are nothing. */
	while (nd > 0 && dig[nd - 1] == '0') {
		nd--;
		q->exp10++;
	}
	while (lead < nd && dig[lead] == '0')
		lead++;
	if (nd - lead > MAX_DIGITS)
		return bpg_errf(ei, BPG_EINVAL,
		    "quantity: more than %d significant digits", MAX_DIGITS);
	q->mant = 0;
	for (k = lead; k < nd; k++)
		q->mant = q->mant * 10 + (uint64_t)(dig[k] - '0');
	if (q->mant == 0)
		q->exp10 = 0;
	*pos = i;
	return BPG_OK;
}

enum bpg_err
bpg_monitor_quantity_parse(
    const char *s, size_t len, struct bpg_quantity *q, struct bpg_errinfo *ei)
{
	static const struct {
		const char *sfx;
		int exp10, exp2;
	} sfx[] = {
	    {"Ki", 0, 10},
	    {"Mi", 0, 20},
	    {"Gi", 0, 30},
	    {"Ti", 0, 40},
	    {"Pi", 0, 50},
	    {"Ei", 0, 60},
	    {"n", -9, 0},
	    {"u", -6, 0},
	    {"m", -3, 0},
	    {"", 0, 0},
	    {"k", 3, 0},
	    {"M", 6, 0},
	    {"G", 9, 0},
	    {"T", 12, 0},
	    {"P", 15, 0},
	    {"E", 18, 0},
	};
	size_t pos = 0, i, rest;
	enum bpg_err e;
	int x = 0, sign = 1;

	memset(q, 0, sizeof(*q));
	if (s == NULL || len == 0)
		return bpg_errf(ei, BPG_EINVAL, "quantity: empty");
	if (len > MAX_QUANTITY)
		return bpg_errf(ei, BPG_EINVAL, "quantity: too long");
	if (s[0] == '-')
		return bpg_errf(ei, BPG_EINVAL, "quantity: negative");
	if (s[0] == '+')
		pos++;
	if ((e = parse_decimal(s, len, &pos, q, ei)) != BPG_OK)
		return e;
	rest = len - pos;
	/* Kubernetes: "e"/"E" and a signed integer is an exponent; a bare
	 * "E" is exa. */
	if (rest >= 2 && (s[pos] == 'e' || s[pos] == 'E') &&
	    (s[pos + 1] == '+' || s[pos + 1] == '-' ||
		(s[pos + 1] >= '0' && s[pos + 1] <= '9'))) {
		i = pos + 1;
		if (s[i] == '+' || s[i] == '-')
			sign = s[i++] == '-' ? -1 : 1;
		if (i == len)
			return bpg_errf(
			    ei, BPG_EINVAL, "quantity: bad exponent");
		for (; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return bpg_errf(
				    ei, BPG_EINVAL, "quantity: bad exponent");
			if (x > 1000)
				return bpg_errf(ei, BPG_EINVAL,
				    "quantity: exponent out of range");
			x = x * 10 + (s[i] - '0');
		}
		q->exp10 += sign * x;
	} else {
		for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++)
			if (strlen(sfx[i].sfx) == rest &&
			    memcmp(s + pos, sfx[i].sfx, rest) == 0)
				break;
		if (i == sizeof(sfx) / sizeof(sfx[0]))
			return bpg_errf(
			    ei, BPG_EINVAL, "quantity: unknown suffix");
		q->exp10 += sfx[i].exp10;
		q->exp2 = sfx[i].exp2;
	}
	if (q->mant == 0)
		q->exp10 = q->exp2 = 0;
	if (q->exp10 > MAX_EXP10 || q->exp10 < -MAX_EXP10)
		return bpg_errf(ei, BPG_EINVAL, "quantity: out of range");
	return BPG_OK;
}

enum bpg_err
bpg_monitor_spark_size_parse(
    const char *s, size_t len, struct bpg_quantity *q, struct bpg_errinfo *ei)
{
	static const struct {
		const char *unit;
		int exp2;
	} units[] = {
	    {"", 20},
	    {"b", 0},
	    {"k", 10},
	    {"kb", 10},
	    {"m", 20},
	    {"mb", 20},
	    {"g", 30},
	    {"gb", 30},
	    {"t", 40},
	    {"tb", 40},
	    {"p", 50},
	    {"pb", 50},
	};
	char u[3];
	size_t pos = 0, i, n;
	enum bpg_err e;

	memset(q, 0, sizeof(*q));
	if (s == NULL)
		return bpg_errf(ei, BPG_EINVAL, "size: empty");
	/* Spark trims the string (JavaUtils.byteStringAs). */
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	while (pos < len && isspace((unsigned char)s[pos]))
		pos++;
	if (pos == len)
		return bpg_errf(ei, BPG_EINVAL, "size: empty");
	if (len - pos > MAX_QUANTITY)
		return bpg_errf(ei, BPG_EINVAL, "size: too long");
	if ((e = parse_decimal(s, len, &pos, q, ei)) != BPG_OK)
		return e;
	n = len - pos;
	if (n > 2)
		return bpg_errf(ei, BPG_EINVAL, "size: unknown unit");
	for (i = 0; i < n; i++)
		u[i] = (char)tolower((unsigned char)s[pos + i]);
	u[n] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(units[i].unit, u) == 0)
			break;
	if (i == sizeof(units) / sizeof(units[0]))
		return bpg_errf(ei, BPG_EINVAL, "size: unknown unit");
	q->exp2 = q->mant == 0 ? 0 : units[i].exp2;
	if (q->exp10 > MAX_EXP10 || q->exp10 < -MAX_EXP10)
		return bpg_errf(ei, BPG_EINVAL, "size: out of range");
	return BPG_OK;
}

enum bpg_err
bpg_monitor_quantity_ceil(const struct bpg_quantity *q, unsigned int unit_exp2,
    int64_t max, int64_t *out, struct bpg_errinfo *ei)
{
	const unsigned __int128 top = ~(unsigned __int128)0;
	unsigned __int128 n, d = 1, r;
	int e10 = q->exp10, e2 = q->exp2 - (int)unit_exp2;

	*out = 0;
	if (q->mant == 0)
		return BPG_OK;
	if (e10 > MAX_EXP10 || e10 < -MAX_EXP10 || e2 > 128 || e2 < -128)
		return bpg_errf(ei, BPG_ETOOBIG, "quantity: out of range");
	n = q->mant;
	for (; e10 > 0; e10--) {
		if (n > top / 10)
			return bpg_errf(ei, BPG_ETOOBIG, "quantity: too large");
		n *= 10;
	}
	for (; e10 < 0; e10++)
		d *= 10; /* at most 10^30 < 2^100 */
	for (; e2 > 0; e2--) {
		if (n > top / 2)
			return bpg_errf(ei, BPG_ETOOBIG, "quantity: too large");
		n *= 2;
	}
	for (; e2 < 0; e2++) {
		if (d > top / 2)
			return bpg_errf(ei, BPG_ETOOBIG, "quantity: too small");
		d *= 2;
	}
	r = n / d + (n % d != 0);
	if (r > (unsigned __int128)max)
		return bpg_errf(ei, BPG_ETOOBIG, "quantity: too large");
	*out = (int64_t)r;
	return BPG_OK;
}

enum bpg_err
bpg_monitor_cpu_cores(const char *s, int64_t *out, struct bpg_errinfo *ei)
{
	struct bpg_quantity q;
	enum bpg_err e;

	*out = -1;
	if ((e = bpg_monitor_quantity_parse(s, strlen(s), &q, ei)) != BPG_OK)
		return e;
	return bpg_monitor_quantity_ceil(&q, 0, BPG_DB_MAX_SMALLINT, out, ei);
}

enum bpg_err
bpg_monitor_mem_mb(const char *s, int64_t *out, struct bpg_errinfo *ei)
{
	struct bpg_quantity q;
	enum bpg_err e;

	*out = -1;
	if ((e = bpg_monitor_quantity_parse(s, strlen(s), &q, ei)) != BPG_OK)
		return e;
	return bpg_monitor_quantity_ceil(&q, 20, BPG_DB_MAX_INT, out, ei);
}

enum bpg_err
bpg_monitor_spark_mb(const char *s, int64_t *out, struct bpg_errinfo *ei)
{
	struct bpg_quantity q;
	enum bpg_err e;

	*out = -1;
	if ((e = bpg_monitor_spark_size_parse(s, strlen(s), &q, ei)) != BPG_OK)
		return e;
	return bpg_monitor_quantity_ceil(&q, 20, BPG_DB_MAX_INT, out, ei);
}

/*
 * SparkApplications and pods
 */

static void
add_bad(char *bad, size_t size, const char *field)
{
	size_t n = strlen(bad);

	if (n + strlen(field) + 3 >= size)
		return;
	snprintf(bad + n, size - n, "%s%s", n > 0 ? ", " : "", field);
}

/* DNS-1123 subdomain (max) or label (dots not allowed). */
static bool
dns_ok(const char *s, size_t max, bool dots)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (alnum)
			continue;
		if (i == 0 || i == n - 1 || !(c == '-' || (dots && c == '.')))
			return false;
	}
	return true;
}

/*
 * The string at o.key: NULL if absent or JSON null; NULL and the field
 * marked bad if of another type or holding a NUL byte.
 */
static const char *
get_str(const json_t *o, const char *key, const char *field, char *bad,
    size_t badsz)
{
	const json_t *v = json_object_get(o, key);
	const char *s;

	if (v == NULL || json_is_null(v))
		return NULL;
	s = json_string_value(v);
	if (s == NULL || strlen(s) != json_string_length(v)) {
		add_bad(bad, badsz, field);
		return NULL;
	}
	return s;
}

/* An object at o.key, or NULL (marked bad if of another type). */
static const json_t *
get_obj(const json_t *o, const char *key, const char *field, char *bad,
    size_t badsz)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return NULL;
	if (!json_is_object(v)) {
		add_bad(bad, badsz, field);
		return NULL;
	}
	return v;
}

/* An integer in [lo, hi] at o.key, or -1 (marked bad if not). */
static int64_t
get_int(const json_t *o, const char *key, int64_t lo, int64_t hi,
    const char *field, char *bad, size_t badsz)
{
	const json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return -1;
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		add_bad(bad, badsz, field);
		return -1;
	}
	return (int64_t)json_integer_value(v);
}

/* Printable ASCII without blanks, 1 to max bytes. */
static bool
token_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return i > 0 && i <= max;
}

/*
 * Text for a VARCHAR(255): no control characters, at most 255 characters
 * (jansson has already checked it is UTF-8) and max bytes.
 */
static bool
text_ok(const char *s, size_t max)
{
	size_t i, chars = 0;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		if ((c & 0xc0) != 0x80)
			chars++;
	}
	return i <= max && chars <= 255;
}

void
bpg_monitor_take(char *dst, size_t dstsz, const char *s)
{
	size_t n = strnlen(s, dstsz - 1);

	memcpy(dst, s, n);
	dst[n] = '\0';
}

static bool
state_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return i > 0 && i <= BPG_MONITOR_MAX_STATE;
}

/* Decimal digits only, 1 to 18 of them, above 0. */
static int64_t
parse_millis(const char *s)
{
	int64_t v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 18)
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return i > 0 && v > 0 ? v : -1;
}

/* cores (an integer) or coreRequest (a quantity) of a spec pod block. */
static int64_t
spec_cores(const json_t *pod, const char *field, char *bad, size_t badsz)
{
	char f[64];
	const char *req;
	int64_t v;
	struct bpg_errinfo ei;

	snprintf(f, sizeof(f), "spec.%s.coreRequest", field);
	if ((req = get_str(pod, "coreRequest", f, bad, badsz)) != NULL) {
		if (bpg_monitor_cpu_cores(req, &v, &ei) == BPG_OK)
			return v;
		add_bad(bad, badsz, f);
	}
	snprintf(f, sizeof(f), "spec.%s.cores", field);
	return get_int(pod, "cores", 1, BPG_DB_MAX_SMALLINT, f, bad, badsz);
}

static int64_t
spec_memory(const json_t *pod, const char *field, char *bad, size_t badsz)
{
	char f[64];
	const char *s;
	int64_t v;
	struct bpg_errinfo ei;

	snprintf(f, sizeof(f), "spec.%s.memory", field);
	if ((s = get_str(pod, "memory", f, bad, badsz)) == NULL)
		return -1;
	if (bpg_monitor_spark_mb(s, &v, &ei) != BPG_OK) {
		add_bad(bad, badsz, f);
		return -1;
	}
	return v;
}

enum bpg_err
bpg_monitor_app_parse(
    const json_t *obj, struct bpg_monitor_app *app, struct bpg_errinfo *ei)
{
	const json_t *meta, *labels, *status, *as, *di, *spec, *driver,
	    *executor, *dl, *conf;
	const char *s;
	char *bad = app->bad;
	size_t bsz = sizeof(app->bad);
	int64_t v;

	memset(app, 0, sizeof(*app));
	app->created_ms = app->terminated_ms = -1;
	app->driver_cores = app->driver_memory_mb = -1;
	app->executor_instances = app->executor_cores = -1;
	app->executor_memory_mb = -1;
	app->max_running_ms = BPG_MONITOR_DEFAULT_MAX_RUNNING_MS;
	if (!json_is_object(obj))
		return bpg_errf(ei, BPG_EINVAL, "not a JSON object");
	meta = json_object_get(obj, "metadata");
	s = json_string_value(json_object_get(meta, "name"));
	if (!json_is_object(meta) || s == NULL ||
	    strlen(s) != json_string_length(json_object_get(meta, "name")) ||
	    !dns_ok(s, BPG_MONITOR_MAX_NAME, true))
		return bpg_errf(ei, BPG_EINVAL,
		    "metadata.name missing or not a DNS-1123 subdomain");
	bpg_monitor_take(app->name, sizeof(app->name), s);

	if ((s = get_str(meta, "namespace", "metadata.namespace", bad, bsz)) !=
	    NULL) {
		if (dns_ok(s, BPG_MONITOR_MAX_NS, false))
			bpg_monitor_take(app->ns, sizeof(app->ns), s);
		else
			add_bad(bad, bsz, "metadata.namespace");
	}
	if ((s = get_str(meta, "uid", "metadata.uid", bad, bsz)) != NULL) {
		if (token_ok(s, BPG_MONITOR_MAX_UID))
			bpg_monitor_take(app->uid, sizeof(app->uid), s);
		else
			add_bad(bad, bsz, "metadata.uid");
	}
	if ((s = get_str(meta, "creationTimestamp",
		 "metadata.creationTimestamp", bad, bsz)) != NULL &&
	    (app->created_ms = bpg_time_parse_ms(s)) < 0)
		add_bad(bad, bsz, "metadata.creationTimestamp");
	labels = get_obj(meta, "labels", "metadata.labels", bad, bsz);
	if ((s = get_str(labels, "maxRunningMillis",
		 "metadata.labels.maxRunningMillis", bad, bsz)) != NULL) {
		if ((v = parse_millis(s)) > 0)
			app->max_running_ms = v;
		else
			add_bad(bad, bsz, "metadata.labels.maxRunningMillis");
	}

	if ((s = get_str(labels, "queue", "metadata.labels.queue", bad,
		 bsz)) != NULL) {
		if (token_ok(s, BPG_MONITOR_MAX_LABEL))
			bpg_monitor_take(app->queue, sizeof(app->queue), s);
		else
			add_bad(bad, bsz, "metadata.labels.queue");
	}

	status = get_obj(obj, "status", "status", bad, bsz);
	as = get_obj(
	    status, "applicationState", "status.applicationState", bad, bsz);
	if ((s = get_str(as, "state", "status.applicationState.state", bad,
		 bsz)) != NULL &&
	    s[0] != '\0') {
		if (state_ok(s)) {
			app->has_state = true;
			bpg_monitor_take(app->state, sizeof(app->state), s);
		} else
			add_bad(bad, bsz, "status.applicationState.state");
	}
	if ((s = get_str(status, "sparkApplicationId",
		 "status.sparkApplicationId", bad, bsz)) != NULL &&
	    s[0] != '\0') {
		if (token_ok(s, 255)) {
			app->has_app_id = true;
			bpg_monitor_take(app->app_id, sizeof(app->app_id), s);
		} else
			add_bad(bad, bsz, "status.sparkApplicationId");
	}
	if ((s = get_str(status, "terminationTime", "status.terminationTime",
		 bad, bsz)) != NULL &&
	    s[0] != '\0' && (app->terminated_ms = bpg_time_parse_ms(s)) < 0)
		add_bad(bad, bsz, "status.terminationTime");
	di = get_obj(status, "driverInfo", "status.driverInfo", bad, bsz);
	if ((s = get_str(di, "podName", "status.driverInfo.podName", bad,
		 bsz)) != NULL &&
	    s[0] != '\0') {
		if (dns_ok(s, BPG_MONITOR_MAX_NAME, true)) {
			app->has_driver_pod = true;
			bpg_monitor_take(
			    app->driver_pod, sizeof(app->driver_pod), s);
		} else
			add_bad(bad, bsz, "status.driverInfo.podName");
	}

	spec = get_obj(obj, "spec", "spec", bad, bsz);
	driver = get_obj(spec, "driver", "spec.driver", bad, bsz);
	executor = get_obj(spec, "executor", "spec.executor", bad, bsz);
	dl = get_obj(driver, "labels", "spec.driver.labels", bad, bsz);
	if ((s = get_str(dl, "dag_name", "spec.driver.labels.dag_name", bad,
		 bsz)) != NULL) {
		if (text_ok(s, BPG_MONITOR_MAX_TEXT)) {
			app->has_dag_name = true;
			bpg_monitor_take(
			    app->dag_name, sizeof(app->dag_name), s);
		} else
			add_bad(bad, bsz, "spec.driver.labels.dag_name");
	}
	if ((s = get_str(dl, "task_name", "spec.driver.labels.task_name", bad,
		 bsz)) != NULL) {
		if (text_ok(s, BPG_MONITOR_MAX_TEXT)) {
			app->has_task_name = true;
			bpg_monitor_take(
			    app->task_name, sizeof(app->task_name), s);
		} else
			add_bad(bad, bsz, "spec.driver.labels.task_name");
	}
	conf = get_obj(spec, "sparkConf", "spec.sparkConf", bad, bsz);
	if ((s = get_str(conf, "spark.app.name",
		 "spec.sparkConf.spark.app.name", bad, bsz)) != NULL) {
		if (text_ok(s, BPG_MONITOR_MAX_TEXT)) {
			app->has_app_name = true;
			bpg_monitor_take(
			    app->app_name, sizeof(app->app_name), s);
		} else
			add_bad(bad, bsz, "spec.sparkConf.spark.app.name");
	}
	if (driver != NULL) {
		app->driver_cores = spec_cores(driver, "driver", bad, bsz);
		app->driver_memory_mb = spec_memory(driver, "driver", bad, bsz);
	}
	if (executor != NULL) {
		app->executor_instances = get_int(executor, "instances", 0,
		    BPG_DB_MAX_SMALLINT, "spec.executor.instances", bad, bsz);
		app->executor_cores =
		    spec_cores(executor, "executor", bad, bsz);
		app->executor_memory_mb =
		    spec_memory(executor, "executor", bad, bsz);
	}
	return BPG_OK;
}

enum bpg_err
bpg_monitor_pod_parse(
    const json_t *obj, struct bpg_monitor_pod *pod, struct bpg_errinfo *ei)
{
	const json_t *status, *spec, *containers, *c = NULL, *res, *req;
	const char *s;
	char *bad = pod->bad;
	size_t bsz = sizeof(pod->bad), i;
	struct bpg_errinfo sub;

	memset(pod, 0, sizeof(*pod));
	pod->start_ms = pod->cores = pod->memory_mb = -1;
	if (!json_is_object(obj))
		return bpg_errf(ei, BPG_EINVAL, "pod: not a JSON object");
	status = get_obj(obj, "status", "status", bad, bsz);
	if ((s = get_str(status, "startTime", "status.startTime", bad, bsz)) !=
		NULL &&
	    (pod->start_ms = bpg_time_parse_ms(s)) < 0)
		add_bad(bad, bsz, "status.startTime");
	spec = get_obj(obj, "spec", "spec", bad, bsz);
	containers = json_object_get(spec, "containers");
	if (containers != NULL && !json_is_array(containers))
		add_bad(bad, bsz, "spec.containers");
	for (i = 0; i < json_array_size(containers); i++) {
		const json_t *x = json_array_get(containers, i);

		s = json_string_value(json_object_get(x, "name"));
		if (s != NULL && strcmp(s, DRIVER_CONTAINER) == 0) {
			c = x;
			break;
		}
	}
	if (c == NULL)
		c = json_array_get(containers, 0);
	if (c != NULL && !json_is_object(c)) {
		add_bad(bad, bsz, "spec.containers[]");
		c = NULL;
	}
	res = get_obj(c, "resources", "resources", bad, bsz);
	req = get_obj(res, "requests", "resources.requests", bad, bsz);
	if ((s = get_str(req, "cpu", "resources.requests.cpu", bad, bsz)) !=
		NULL &&
	    bpg_monitor_cpu_cores(s, &pod->cores, &sub) != BPG_OK) {
		pod->cores = -1;
		add_bad(bad, bsz, "resources.requests.cpu");
	}
	if ((s = get_str(req, "memory", "resources.requests.memory", bad,
		 bsz)) != NULL &&
	    bpg_monitor_mem_mb(s, &pod->memory_mb, &sub) != BPG_OK) {
		pod->memory_mb = -1;
		add_bad(bad, bsz, "resources.requests.memory");
	}
	return BPG_OK;
}

/*
 * Decisions
 */

bool
bpg_monitor_terminal(const char *state)
{
	static const char *const terminal[] = {"COMPLETED", "FAILED",
	    "SUBMISSION_FAILED", "FAILED_SUBMISSION", BPG_MONITOR_LOST};
	size_t i;

	for (i = 0; state != NULL && i < sizeof(terminal) / sizeof(terminal[0]);
	     i++)
		if (strcasecmp(state, terminal[i]) == 0)
			return true;
	return false;
}

/* States in which the driver has run (or runs). */
static bool
has_run(const char *state)
{
	static const char *const ran[] = {
	    "RUNNING", "SUCCEEDING", "FAILING", "COMPLETED", "FAILED"};
	size_t i;

	for (i = 0; i < sizeof(ran) / sizeof(ran[0]); i++)
		if (strcasecmp(state, ran[i]) == 0)
			return true;
	return false;
}

unsigned int
bpg_monitor_decide(const struct bpg_monitor_known *k,
    const struct bpg_monitor_app *app, enum bpg_monitor_event ev)
{
	unsigned int a = 0;
	bool term = app->has_state && bpg_monitor_terminal(app->state);
	bool differs, new_id;

	if (app->has_state) {
		differs = !k->has_status || strcmp(k->status, app->state) != 0;
		new_id = app->has_app_id &&
		    (!k->has_app_id || strcmp(k->app_id, app->app_id) != 0);
		if (!k->found || new_id || (differs && !k->finished))
			a |= BPG_MONITOR_DO_STATE;
		if (!k->started && !k->start_checked && has_run(app->state))
			a |= BPG_MONITOR_DO_START;
		if (term && !k->finished)
			a |= BPG_MONITOR_DO_FINISH;
	}
	if (ev == BPG_MONITOR_EV_DELETED && !term && !k->finished)
		a |= BPG_MONITOR_DO_LOST;
	/* FINISH and LOST compute the cost themselves. */
	if ((a & BPG_MONITOR_DO_START) != 0 && k->finished)
		a |= BPG_MONITOR_DO_COST;
	if (app->has_state && strcasecmp(app->state, "RUNNING") == 0 &&
	    ev != BPG_MONITOR_EV_DELETED)
		a |= BPG_MONITOR_DO_TRACK;
	else
		a |= BPG_MONITOR_DO_FORGET;
	return a;
}

void
bpg_monitor_known_apply(struct bpg_monitor_known *k,
    const struct bpg_monitor_app *app, unsigned int done)
{
	if ((done & BPG_MONITOR_DO_STATE) != 0) {
		k->found = true;
		if (!k->finished && app->has_state) {
			k->has_status = true;
			bpg_monitor_take(
			    k->status, sizeof(k->status), app->state);
		}
		if (app->has_app_id) {
			k->has_app_id = true;
			bpg_monitor_take(
			    k->app_id, sizeof(k->app_id), app->app_id);
		}
	}
	if ((done & BPG_MONITOR_DO_START) != 0)
		k->started = true;
	if ((done & (BPG_MONITOR_DO_FINISH | BPG_MONITOR_DO_LOST)) != 0 &&
	    !k->finished) {
		k->found = k->finished = k->has_status = true;
		bpg_monitor_take(k->status, sizeof(k->status),
		    (done & BPG_MONITOR_DO_FINISH) != 0 ? app->state
							: BPG_MONITOR_LOST);
	}
}

