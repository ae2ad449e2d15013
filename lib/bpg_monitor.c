/*
 * The application monitor (see bpg_monitor.h; bpg-reference sections 9.2,
 * 9.3, 10 and quirks 13 to 17).
 *
 * Per namespace ("target") the monitor keeps a table of the apps it has
 * seen in this run, with what it knows of each app's row.  A row is read
 * from the database the first time an app is seen and again on every list,
 * so the decision for an observation (bpg_monitor_decide()) always starts
 * from the database, not from memory; the table only spares a SELECT per
 * watch event.  Any step that fails for a reason that may pass (database
 * or API server unavailable) marks the target dirty, which schedules a
 * re-list after back-off; the re-list compares everything again, so no
 * transition is lost.  Failures that will not pass (a value that does not
 * fit a column) are logged and skipped.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bpg_crd.h"
#include "bpg_db.h"
#include "bpg_kube.h"
#include "bpg_monitor.h"
#include "bpg_watch.h"

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

/* Copy s into dst, cut to fit (lengths were checked where it matters). */
static void
take(char *dst, size_t dstsz, const char *s)
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
	take(app->name, sizeof(app->name), s);

	if ((s = get_str(meta, "namespace", "metadata.namespace", bad, bsz)) !=
	    NULL) {
		if (dns_ok(s, BPG_MONITOR_MAX_NS, false))
			take(app->ns, sizeof(app->ns), s);
		else
			add_bad(bad, bsz, "metadata.namespace");
	}
	if ((s = get_str(meta, "uid", "metadata.uid", bad, bsz)) != NULL) {
		if (token_ok(s, BPG_MONITOR_MAX_UID))
			take(app->uid, sizeof(app->uid), s);
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

	status = get_obj(obj, "status", "status", bad, bsz);
	as = get_obj(
	    status, "applicationState", "status.applicationState", bad, bsz);
	if ((s = get_str(as, "state", "status.applicationState.state", bad,
		 bsz)) != NULL &&
	    s[0] != '\0') {
		if (state_ok(s)) {
			app->has_state = true;
			take(app->state, sizeof(app->state), s);
		} else
			add_bad(bad, bsz, "status.applicationState.state");
	}
	if ((s = get_str(status, "sparkApplicationId",
		 "status.sparkApplicationId", bad, bsz)) != NULL &&
	    s[0] != '\0') {
		if (token_ok(s, 255)) {
			app->has_app_id = true;
			take(app->app_id, sizeof(app->app_id), s);
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
			take(app->driver_pod, sizeof(app->driver_pod), s);
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
			take(app->dag_name, sizeof(app->dag_name), s);
		} else
			add_bad(bad, bsz, "spec.driver.labels.dag_name");
	}
	if ((s = get_str(dl, "task_name", "spec.driver.labels.task_name", bad,
		 bsz)) != NULL) {
		if (text_ok(s, BPG_MONITOR_MAX_TEXT)) {
			app->has_task_name = true;
			take(app->task_name, sizeof(app->task_name), s);
		} else
			add_bad(bad, bsz, "spec.driver.labels.task_name");
	}
	conf = get_obj(spec, "sparkConf", "spec.sparkConf", bad, bsz);
	if ((s = get_str(conf, "spark.app.name",
		 "spec.sparkConf.spark.app.name", bad, bsz)) != NULL) {
		if (text_ok(s, BPG_MONITOR_MAX_TEXT)) {
			app->has_app_name = true;
			take(app->app_name, sizeof(app->app_name), s);
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
			take(k->status, sizeof(k->status), app->state);
		}
		if (app->has_app_id) {
			k->has_app_id = true;
			take(k->app_id, sizeof(k->app_id), app->app_id);
		}
	}
	if ((done & BPG_MONITOR_DO_START) != 0)
		k->started = true;
	if ((done & (BPG_MONITOR_DO_FINISH | BPG_MONITOR_DO_LOST)) != 0 &&
	    !k->finished) {
		k->found = k->finished = k->has_status = true;
		take(k->status, sizeof(k->status),
		    (done & BPG_MONITOR_DO_FINISH) != 0 ? app->state
							: BPG_MONITOR_LOST);
	}
}

/*
 * The daemon: tables of apps
 */

struct app_entry {
	struct app_entry *next; /* hash chain */
	struct bpg_monitor_known k;
	unsigned long gen; /* list that last saw it */
	bool tracked; /* RUNNING: mind maxRunningMillis */
	int64_t created_ms, max_ms;
	char uid[BPG_MONITOR_MAX_UID + 1];
	long long kill_not_before; /* monotonic ms */
	char name[];
};

struct app_table {
	struct app_entry **b;
	size_t nb, n;
};

static size_t
name_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (size_t)h;
}

static struct app_entry *
tab_get(const struct app_table *t, const char *name)
{
	struct app_entry *e;

	if (t->nb == 0)
		return NULL;
	for (e = t->b[name_hash(name) & (t->nb - 1)]; e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static struct app_entry *
tab_add(struct app_table *t, const char *name)
{
	struct app_entry *e, **nb, *next;
	size_t i, n, len = strlen(name);

	if (t->n + 1 > t->nb * 2) {
		n = t->nb ? t->nb * 2 : 64;
		if ((nb = calloc(n, sizeof(*nb))) == NULL)
			return NULL;
		for (i = 0; i < t->nb; i++)
			for (e = t->b[i]; e != NULL; e = next) {
				next = e->next;
				e->next = nb[name_hash(e->name) & (n - 1)];
				nb[name_hash(e->name) & (n - 1)] = e;
			}
		free(t->b);
		t->b = nb;
		t->nb = n;
	}
	if ((e = calloc(1, sizeof(*e) + len + 1)) == NULL)
		return NULL;
	memcpy(e->name, name, len + 1);
	e->created_ms = -1;
	i = name_hash(name) & (t->nb - 1);
	e->next = t->b[i];
	t->b[i] = e;
	t->n++;
	return e;
}

static void
tab_del(struct app_table *t, struct app_entry *e)
{
	struct app_entry **p;

	for (p = &t->b[name_hash(e->name) & (t->nb - 1)]; *p != NULL;
	     p = &(*p)->next)
		if (*p == e) {
			*p = e->next;
			free(e);
			t->n--;
			return;
		}
}

static void
tab_clear(struct app_table *t)
{
	struct app_entry *e, *next;
	size_t i;

	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

/*
 * The daemon: state
 */

struct bpg_monitor;

/* One (masterUrl, namespace) pair. */
struct target {
	struct bpg_monitor *m;
	const struct bpg_cluster *cluster; /* the last config entry */
	char **prefixes; /* "<cluster id>-" of every cluster here */
	size_t nprefixes;
	char label[160]; /* for the log */
	struct bpg_kube *kube;
	struct bpg_watch *watch;
	bool need_list; /* re-list at next_try_ms */
	bool need_watch; /* resume the watch at next_try_ms */
	long long next_try_ms;
	long backoff_ms; /* 0: none pending */
	long long next_resync_ms;
	bool dirty; /* a step failed: re-list after back-off */
	unsigned long gen; /* lists done */
	size_t listed; /* items of the list under way */
	struct app_table apps;
};

struct bpg_monitor {
	struct bpg_monitor_opts o;
	struct bpg_db *db; /* the statements */
	struct bpg_db *lockdb; /* the leader lock's own session */
	bool leader;
	int announced; /* -1 nothing yet, 0 standby, 1 leader */
	unsigned long holder; /* the other leader's connection */
	char lock_err[256]; /* last lock error logged */
	long long confirmed_ms; /* the lock was last confirmed held */
	char lost_why[256]; /* lost in a watch callback: step down after */
	long long next_lock_ms;
	long long next_kill_ms;
	bool resync;
	const double *mb_cost, *core_cost;
	struct bpg_watchset *ws;
	struct target *t;
	size_t nt;
};

static void mlog(struct bpg_monitor *, enum bpg_monitor_level, const char *,
    ...) __attribute__((format(printf, 3, 4)));

static void
mlog(struct bpg_monitor *m, enum bpg_monitor_level lvl, const char *fmt, ...)
{
	char buf[1024], *p;
	va_list ap;

	if (m->o.log == NULL || (lvl == BPG_MONITOR_LOG_DEBUG && !m->o.verbose))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Names come from the API server: no control bytes in the log. */
	for (p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	m->o.log(m->o.log_arg, lvl, buf);
}

static long long
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long
resync_ms(const struct bpg_monitor *m)
{
	if (m->o.resync_s < 0)
		return -1;
	return (m->o.resync_s > 0 ? m->o.resync_s : BPG_MONITOR_RESYNC_S) *
	    1000L;
}

/* Transient failures: worth a re-list later.  Others are about data. */
static bool
transient(enum bpg_err e)
{
	return e != BPG_EINVAL && e != BPG_ETOOBIG && e != BPG_ENOTFOUND;
}

/* Re-list now (if no back-off is running and now_ok) or after back-off. */
static void
schedule_relist(struct target *t, bool now_ok)
{
	long long now = bpg_watch_now_ms();

	bpg_watch_stop(t->watch);
	t->need_list = true;
	t->need_watch = false;
	if (now_ok && t->backoff_ms == 0) {
		t->next_try_ms = now;
		return;
	}
	if (t->backoff_ms == 0)
		t->backoff_ms = BPG_MONITOR_BACKOFF_MIN_MS;
	else if ((t->backoff_ms *= 2) > BPG_MONITOR_BACKOFF_MAX_MS)
		t->backoff_ms = BPG_MONITOR_BACKOFF_MAX_MS;
	t->next_try_ms = now + t->backoff_ms;
}

/* A step failed: log it; transient failures dirty the target. */
static void
step_failed(struct target *t, enum bpg_err e, const char *name,
    const char *what, const char *msg)
{
	mlog(t->m, BPG_MONITOR_LOG_WARN, "%s: %s: %s failed: %s", t->label,
	    name, what, msg);
	if (transient(e))
		t->dirty = true;
}

/*
 * The daemon: one observation
 */

/* The driver pod's start and resources, then S5 (and S8). */
static enum bpg_err
record_start(
    struct target *t, struct app_entry *ent, const struct bpg_monitor_app *app)
{
	struct bpg_monitor *m = t->m;
	struct bpg_db_app_start s;
	struct bpg_monitor_pod pod;
	struct bpg_errinfo ei;
	char pname[BPG_MONITOR_MAX_NAME + 1];
	json_t *doc = NULL;
	enum bpg_err e;

	/* The CR names its driver pod; "<name>-driver" is only a guess. */
	if (app->has_driver_pod)
		take(pname, sizeof(pname), app->driver_pod);
	else if ((size_t)snprintf(pname, sizeof(pname), "%s-driver",
		     app->name) >= sizeof(pname))
		return BPG_EINVAL;
	e = bpg_kube_get_pod(t->kube, pname, &doc, &ei);
	if (e == BPG_ENOTFOUND) {
		mlog(m, BPG_MONITOR_LOG_INFO,
		    "%s: %s: driver pod %s not "
		    "found; start_time left empty",
		    t->label, app->name, pname);
		ent->k.start_checked = true;
		return e;
	}
	if (e != BPG_OK) {
		/*
		 * Not worth a re-list of the namespace: the start is only
		 * late, and the next event or resync asks again.
		 */
		mlog(m, BPG_MONITOR_LOG_WARN,
		    "%s: %s: reading the driver pod "
		    "failed: %s",
		    t->label, app->name, ei.msg);
		return e;
	}
	e = bpg_monitor_pod_parse(doc, &pod, &ei);
	json_decref(doc);
	if (e != BPG_OK) {
		step_failed(
		    t, BPG_EINVAL, app->name, "reading the driver pod", ei.msg);
		ent->k.start_checked = true;
		return e;
	}
	if (pod.bad[0] != '\0')
		mlog(m, BPG_MONITOR_LOG_WARN,
		    "%s: %s: driver pod %s: ignored "
		    "invalid %s",
		    t->label, app->name, pname, pod.bad);
	if (pod.start_ms < 0) {
		/* Not started: wait for the next event, unless it is over. */
		if (bpg_monitor_terminal(app->state))
			ent->k.start_checked = true;
		return BPG_ENOTFOUND;
	}
	memset(&s, 0, sizeof(s));
	s.start_ms = pod.start_ms;
	/* What Kubernetes reserved; the spec when the pod says nothing. */
	s.driver_core = pod.cores >= 0 ? pod.cores : app->driver_cores;
	s.driver_memory_mb =
	    pod.memory_mb >= 0 ? pod.memory_mb : app->driver_memory_mb;
	s.number_executor = app->executor_instances;
	s.executor_core = app->executor_cores;
	s.executor_memory_mb = app->executor_memory_mb;
	s.dag_name = app->has_dag_name ? app->dag_name : NULL;
	s.task_name = app->has_task_name ? app->task_name : NULL;
	s.app_name = app->has_app_name ? app->app_name : NULL;
	if ((e = bpg_db_monitor_start(m->db, app->name, &s, &ei)) != BPG_OK) {
		step_failed(t, e, app->name, "recording the start", ei.msg);
		if (!transient(e))
			ent->k.start_checked = true;
		return e;
	}
	mlog(m, BPG_MONITOR_LOG_DEBUG,
	    "%s: %s: started at %lld, driver %lld "
	    "cores %lld MiB, %lld executors of %lld cores %lld MiB",
	    t->label, app->name, (long long)s.start_ms,
	    (long long)s.driver_core, (long long)s.driver_memory_mb,
	    (long long)s.number_executor, (long long)s.executor_core,
	    (long long)s.executor_memory_mb);
	return BPG_OK;
}

/* A finish time for the database: the given one if usable, else now. */
static int64_t
finish_time(int64_t ms)
{
	/* TIMESTAMP holds 1970-01-01 00:00:01 to 2038-01-19 03:14:07. */
	if (ms >= 1000 && ms <= 2147483647000LL)
		return ms;
	return wall_ms();
}

static enum bpg_err
record_finish(
    struct target *t, const char *name, const char *status, int64_t ms)
{
	struct bpg_monitor *m = t->m;
	struct bpg_errinfo ei;
	enum bpg_err e;

	if ((e = bpg_db_monitor_finish(m->db, name, status, finish_time(ms),
		 m->mb_cost, m->core_cost, &ei)) != BPG_OK) {
		step_failed(t, e, name, "recording the finish", ei.msg);
		return e;
	}
	return BPG_OK;
}

static void
record_cost(struct target *t, const char *name)
{
	struct bpg_errinfo ei;
	enum bpg_err e;

	if ((e = bpg_db_monitor_cost(t->m->db, name, t->m->mb_cost,
		 t->m->core_cost, &ei)) != BPG_OK)
		step_failed(t, e, name, "recording the cost", ei.msg);
}

/* Carry out the actions; returns those that succeeded. */
static unsigned int
apply(struct target *t, struct app_entry *ent,
    const struct bpg_monitor_app *app, unsigned int act)
{
	struct bpg_monitor *m = t->m;
	struct bpg_errinfo ei;
	unsigned int done = 0;
	enum bpg_err e;

	/*
	 * The start goes first when the row exists, so that a reader who
	 * sees RUNNING also sees start_time; S5 needs the row, so a new one
	 * is created by the state upsert first.
	 */
	if ((act & BPG_MONITOR_DO_START) != 0 && ent->k.found &&
	    record_start(t, ent, app) == BPG_OK)
		done |= BPG_MONITOR_DO_START;
	if ((act & BPG_MONITOR_DO_STATE) != 0) {
		/* A terminal state is written by FINISH, with its time. */
		e = bpg_db_monitor_state(m->db, app->name,
		    (act & BPG_MONITOR_DO_FINISH) != 0 ? NULL : app->state,
		    app->has_app_id ? app->app_id : NULL, &ei);
		if (e != BPG_OK) {
			step_failed(
			    t, e, app->name, "recording the state", ei.msg);
			return done;
		}
		done |= BPG_MONITOR_DO_STATE;
		if (!ent->k.finished &&
		    (!ent->k.has_status ||
			strcmp(ent->k.status, app->state) != 0))
			mlog(m, BPG_MONITOR_LOG_INFO, "%s: %s: %s -> %s",
			    t->label, app->name,
			    ent->k.has_status ? ent->k.status : "(none)",
			    app->state);
	}
	if ((act & BPG_MONITOR_DO_START) != 0 && !ent->k.found &&
	    record_start(t, ent, app) == BPG_OK)
		done |= BPG_MONITOR_DO_START;
	if ((act & BPG_MONITOR_DO_FINISH) != 0) {
		if (record_finish(
			t, app->name, app->state, app->terminated_ms) != BPG_OK)
			return done;
		done |= BPG_MONITOR_DO_FINISH;
		mlog(m, BPG_MONITOR_LOG_INFO, "%s: %s: finished %s", t->label,
		    app->name, app->state);
	}
	if ((act & BPG_MONITOR_DO_LOST) != 0) {
		if (record_finish(t, app->name, BPG_MONITOR_LOST, -1) != BPG_OK)
			return done;
		done |= BPG_MONITOR_DO_LOST;
		mlog(m, BPG_MONITOR_LOG_INFO,
		    "%s: %s: deleted while %s: "
		    "recorded as " BPG_MONITOR_LOST,
		    t->label, app->name,
		    app->has_state ? app->state : "without a state");
	}
	if ((act & BPG_MONITOR_DO_COST) != 0)
		record_cost(t, app->name);
	return done;
}

/* Fill ent->k from the database; false (target dirty) on failure. */
static bool
read_row(struct target *t, struct app_entry *ent)
{
	struct bpg_db_app row;
	struct bpg_errinfo ei;
	enum bpg_err e;
	bool checked = ent->k.start_checked;

	if (!bpg_db_enabled(t->m->db))
		return true;
	if ((e = bpg_db_monitor_read(t->m->db, ent->name, &row, &ei)) !=
	    BPG_OK) {
		step_failed(t, e, ent->name, "reading the row", ei.msg);
		return false;
	}
	memset(&ent->k, 0, sizeof(ent->k));
	ent->k.found = row.found;
	ent->k.has_status = row.has_status;
	take(ent->k.status, sizeof(ent->k.status), row.status);
	ent->k.has_app_id = row.has_app_id;
	take(ent->k.app_id, sizeof(ent->k.app_id), row.app_id);
	ent->k.started = row.started;
	ent->k.finished = row.finished;
	/* Only this run looked at the pod. */
	ent->k.start_checked = checked;
	return true;
}

/* One SparkApplication from a list or a watch event. */
static void
observe(struct target *t, const json_t *obj, enum bpg_monitor_event ev)
{
	struct bpg_monitor *m = t->m;
	struct bpg_monitor_app app;
	struct bpg_errinfo ei;
	struct app_entry *ent;
	unsigned int act, done;
	bool fresh;

	if (bpg_monitor_app_parse(obj, &app, &ei) != BPG_OK) {
		mlog(m, BPG_MONITOR_LOG_WARN,
		    "%s: ignoring a SparkApplication"
		    ": %s",
		    t->label, ei.msg);
		return;
	}
	if (ev != BPG_MONITOR_EV_LIST)
		mlog(m, BPG_MONITOR_LOG_DEBUG, "%s: %s: %s, state %s", t->label,
		    app.name,
		    ev == BPG_MONITOR_EV_ADDED		? "ADDED"
			: ev == BPG_MONITOR_EV_MODIFIED ? "MODIFIED"
							: "DELETED",
		    app.has_state ? app.state : "(none)");
	if (app.bad[0] != '\0')
		mlog(m, BPG_MONITOR_LOG_WARN, "%s: %s: ignored invalid %s",
		    t->label, app.name, app.bad);
	fresh = (ent = tab_get(&t->apps, app.name)) == NULL;
	if (fresh && (ent = tab_add(&t->apps, app.name)) == NULL) {
		step_failed(t, BPG_ENOMEM, app.name, "tracking",
		    "out of "
		    "memory");
		return;
	}
	if (ev == BPG_MONITOR_EV_LIST)
		ent->gen = t->gen;
	/* A list always compares with the database (quirk 16). */
	if ((fresh || ev == BPG_MONITOR_EV_LIST) && !read_row(t, ent))
		return;
	act = bpg_monitor_decide(&ent->k, &app, ev);
	done = apply(t, ent, &app, act);
	bpg_monitor_known_apply(&ent->k, &app, done);
	if ((act & BPG_MONITOR_DO_TRACK) != 0) {
		if (!ent->tracked)
			mlog(m, BPG_MONITOR_LOG_DEBUG,
			    "%s: %s: running, "
			    "maxRunningMillis %lld",
			    t->label, app.name, (long long)app.max_running_ms);
		ent->tracked = true;
		ent->created_ms = app.created_ms;
		ent->max_ms = app.max_running_ms;
		take(ent->uid, sizeof(ent->uid), app.uid);
	} else
		ent->tracked = false;
	if (ev == BPG_MONITOR_EV_DELETED)
		tab_del(&t->apps, ent);
}

/*
 * The daemon: lists and watches
 */

/* Apps of the table that the last list did not have. */
static void
sweep(struct target *t)
{
	struct app_entry *e, *next;
	const char *status;
	size_t i;

	for (i = 0; i < t->apps.nb; i++)
		for (e = t->apps.b[i]; e != NULL; e = next) {
			next = e->next;
			if (e->gen == t->gen)
				continue;
			if (!e->k.finished) {
				status = e->k.has_status &&
					bpg_monitor_terminal(e->k.status)
				    ? e->k.status
				    : BPG_MONITOR_LOST;
				if (record_finish(t, e->name, status, -1) !=
				    BPG_OK)
					continue; /* next list */
				mlog(t->m, BPG_MONITOR_LOG_INFO,
				    "%s: %s: gone "
				    "while unwatched (was %s): recorded as %s",
				    t->label, e->name,
				    e->k.has_status ? e->k.status
						    : "without a state",
				    status);
			}
			tab_del(&t->apps, e);
		}
}

/* "<prefix><32 lower-case hex>" optionally followed by "-<suffix>". */
static bool
gateway_id(const char *prefix, const char *id)
{
	size_t n = strlen(prefix), i;

	if (strncmp(id, prefix, n) != 0)
		return false;
	for (i = 0; i < 32; i++)
		if (!isxdigit((unsigned char)id[n + i]) ||
		    isupper((unsigned char)id[n + i]))
			return false;
	return id[n + 32] == '\0' || id[n + 32] == '-';
}

/*
 * Rows of this namespace's clusters that are not finished and have no CR
 * in the list just done: the app vanished while nobody watched.  A row
 * without a status is left alone for BPG_MONITOR_ORPHAN_GRACE_S, since
 * the gateway writes it just before it creates the CR.
 */
static void
scan_rows(struct target *t)
{
	struct bpg_errinfo ei;
	json_t *rows, *r;
	const char *id, *status, *final;
	json_int_t age;
	size_t i, j;
	enum bpg_err e;

	for (i = 0; i < t->nprefixes; i++) {
		if ((e = bpg_db_monitor_unfinished(
			 t->m->db, t->prefixes[i], &rows, &ei)) != BPG_OK) {
			step_failed(t, e, t->prefixes[i],
			    "reading unfinished "
			    "rows",
			    ei.msg);
			continue;
		}
		json_array_foreach(rows, j, r)
		{
			id = json_string_value(json_object_get(r, "id"));
			status =
			    json_string_value(json_object_get(r, "status"));
			age = json_is_integer(json_object_get(r, "age"))
			    ? json_integer_value(json_object_get(r, "age"))
			    : BPG_MONITOR_ORPHAN_GRACE_S;
			if (id == NULL || !gateway_id(t->prefixes[i], id) ||
			    tab_get(&t->apps, id) != NULL)
				continue;
			if (status == NULL && age < BPG_MONITOR_ORPHAN_GRACE_S)
				continue;
			final = status != NULL && bpg_monitor_terminal(status)
			    ? status
			    : BPG_MONITOR_LOST;
			if (record_finish(t, id, final, -1) != BPG_OK)
				continue;
			mlog(t->m, BPG_MONITOR_LOG_INFO,
			    "%s: %s: no "
			    "SparkApplication (row status %s): recorded as %s",
			    t->label, id, status != NULL ? status : "NULL",
			    final);
		}
		json_decref(rows);
	}
}

static void
start_watch(struct target *t, const char *rv)
{
	struct bpg_errinfo ei;
	long tmo = t->m->o.watch_timeout_s > 0 ? t->m->o.watch_timeout_s
					       : BPG_MONITOR_WATCH_TIMEOUT_S;

	t->need_watch = false;
	if (bpg_watch_start(t->watch, rv, tmo, &ei) != BPG_OK) {
		mlog(t->m, BPG_MONITOR_LOG_WARN, "%s: cannot watch: %s",
		    t->label, ei.msg);
		schedule_relist(t, false);
	}
}

static bool confirm_leader(struct bpg_monitor *);
static bool may_write(struct bpg_monitor *);

/* A list's item: one observation. */
static enum bpg_err
list_item(void *arg, const json_t *it, struct bpg_errinfo *ei)
{
	struct target *t = arg;

	/*
	 * A list can take as long as the cluster's timeout a page: the lock
	 * may have gone meanwhile, so it is confirmed before the first
	 * write, and again every BPG_MONITOR_CONFIRM_EVERY applications.
	 */
	if (t->listed % BPG_MONITOR_CONFIRM_EVERY == 0 &&
	    !confirm_leader(t->m))
		return bpg_errf(ei, BPG_ECONFLICT, "no longer the leader");
	observe(t, it, BPG_MONITOR_EV_LIST);
	t->listed++;
	return BPG_OK;
}

/*
 * The list starts again (bpg_kube_list_apps()): what it saw so far no
 * longer counts as seen by it; sweep() compares with the new pass only.
 */
static void
list_restart(void *arg)
{
	struct target *t = arg;

	mlog(t->m, BPG_MONITOR_LOG_INFO, "%s: the list expired after %zu "
	    "applications; listing again from the start", t->label, t->listed);
	t->gen++;
	t->listed = 0;
}

static void
relist(struct target *t)
{
	struct bpg_monitor *m = t->m;
	struct bpg_errinfo ei;
	char rvbuf[BPG_WATCH_MAX_RV + 1];
	enum bpg_err e;

	bpg_watch_stop(t->watch);
	t->need_list = t->need_watch = false;
	t->dirty = false;
	t->gen++;
	t->listed = 0;
	/* Page by page: a namespace of thousands fits no one answer. */
	if ((e = bpg_kube_list_apps(t->kube, NULL, list_item, list_restart, t,
	    rvbuf, sizeof(rvbuf), &ei)) != BPG_OK) {
		if (!m->leader)
			return;
		schedule_relist(t, false);
		mlog(m, BPG_MONITOR_LOG_WARN,
		    "%s: list failed after %zu applications: %s; retrying "
		    "in %ld ms",
		    t->label, t->listed, ei.msg, t->backoff_ms);
		return;
	}
	/* The sweep writes too: the lock is confirmed once more. */
	if (!m->leader || !confirm_leader(m))
		return;
	sweep(t);
	if (!t->dirty)
		scan_rows(t);
	if (t->dirty) {
		schedule_relist(t, false);
		mlog(m, BPG_MONITOR_LOG_WARN,
		    "%s: some updates failed; "
		    "listing again in %ld ms",
		    t->label, t->backoff_ms);
		return;
	}
	mlog(m, BPG_MONITOR_LOG_DEBUG,
	    "%s: listed %zu applications at "
	    "resourceVersion %s; watching",
	    t->label, t->listed, rvbuf);
	if (resync_ms(m) > 0)
		t->next_resync_ms = bpg_watch_now_ms() + resync_ms(m);
	start_watch(t, rvbuf);
}

static void
on_event(void *arg, const struct bpg_watch_event *ev)
{
	struct target *t = arg;
	enum bpg_monitor_event me;

	switch (ev->type) {
	case BPG_WATCH_ADDED:
		me = BPG_MONITOR_EV_ADDED;
		break;
	case BPG_WATCH_MODIFIED:
		me = BPG_MONITOR_EV_MODIFIED;
		break;
	case BPG_WATCH_DELETED:
		me = BPG_MONITOR_EV_DELETED;
		break;
	default:
		return;
	}
	/* Each batch of events is written on a freshly confirmed lock. */
	if (!may_write(t->m))
		return;
	observe(t, ev->object, me);
	if (t->dirty) {
		schedule_relist(t, false);
		mlog(t->m, BPG_MONITOR_LOG_WARN,
		    "%s: an update failed; "
		    "listing again in %ld ms",
		    t->label, t->backoff_ms);
	}
}

static void
on_end(void *arg, enum bpg_watch_end how, const char *detail)
{
	struct target *t = arg;
	long long now = bpg_watch_now_ms();
	long long age = now - bpg_watch_started_ms(t->watch);

	if (age >= BPG_MONITOR_HEALTHY_MS)
		t->backoff_ms = 0;
	switch (how) {
	case BPG_WATCH_END_CLOSED:
		if (age >= 1000) {
			/* The server's timeout: resume where it ended. */
			mlog(t->m, BPG_MONITOR_LOG_DEBUG,
			    "%s: watch %s; "
			    "resuming at %s",
			    t->label, detail, bpg_watch_rv(t->watch));
			t->need_watch = true;
			t->next_try_ms = now;
			return;
		}
		schedule_relist(t, false);
		mlog(t->m, BPG_MONITOR_LOG_WARN,
		    "%s: watch %s after %lld ms;"
		    " listing again in %ld ms",
		    t->label, detail, age, t->backoff_ms);
		return;
	case BPG_WATCH_END_EXPIRED:
		schedule_relist(t, true);
		mlog(t->m, BPG_MONITOR_LOG_INFO,
		    "%s: watch expired (%s); "
		    "listing again",
		    t->label, detail);
		return;
	default:
		schedule_relist(t, false);
		mlog(t->m, BPG_MONITOR_LOG_WARN,
		    "%s: watch failed: %s; "
		    "listing again in %ld ms",
		    t->label, detail, t->backoff_ms);
		return;
	}
}

/*
 * The daemon: over-long applications (section 10.3, quirk 15 fixed)
 */

/* Whether this process still holds the lock; steps down if not. */
static bool confirm_leader(struct bpg_monitor *);

static void
kill_one(struct target *t, struct app_entry *ent, long long now)
{
	struct bpg_monitor *m = t->m;
	struct bpg_monitor_app app;
	struct bpg_errinfo ei;
	char path[512];
	json_t *doc = NULL;
	enum bpg_err e;
	long long ran;

	/* Look again: it must still be this app, RUNNING, and over time. */
	e = bpg_kube_get_app(t->kube, ent->name, &doc, &ei);
	if (e == BPG_ENOTFOUND) {
		ent->tracked = false;
		return;
	}
	if (e != BPG_OK) {
		mlog(m, BPG_MONITOR_LOG_WARN,
		    "%s: %s: cannot check before "
		    "killing: %s",
		    t->label, ent->name, ei.msg);
		ent->kill_not_before = now + BPG_MONITOR_KILL_RETRY_MS;
		return;
	}
	e = bpg_monitor_app_parse(doc, &app, &ei);
	json_decref(doc);
	if (e != BPG_OK || !app.has_state ||
	    strcasecmp(app.state, "RUNNING") != 0 ||
	    (ent->uid[0] != '\0' && strcmp(ent->uid, app.uid) != 0)) {
		mlog(m, BPG_MONITOR_LOG_INFO,
		    "%s: %s: not killed: no longer "
		    "running",
		    t->label, ent->name);
		ent->tracked = false;
		return;
	}
	ent->created_ms = app.created_ms;
	ent->max_ms = app.max_running_ms;
	ran = wall_ms() - app.created_ms;
	if (app.created_ms < 0 || ran <= app.max_running_ms)
		return;
	if (!app.has_driver_pod) {
		mlog(m, BPG_MONITOR_LOG_WARN,
		    "%s: %s: over maxRunningMillis "
		    "but names no driver pod; not killed",
		    t->label, ent->name);
		ent->tracked = false;
		return;
	}
	if ((size_t)snprintf(path, sizeof(path),
		"/api/v1/namespaces/%s/"
		"pods/%s",
		t->cluster->namespace, app.driver_pod) >= sizeof(path))
		return;
	e = bpg_kube_request(t->kube, "DELETE", path, NULL, NULL, NULL, &ei);
	if (e != BPG_OK && e != BPG_ENOTFOUND) {
		mlog(m, BPG_MONITOR_LOG_WARN, "%s: %s: kill failed: %s",
		    t->label, ent->name, ei.msg);
		ent->kill_not_before = now + BPG_MONITOR_KILL_RETRY_MS;
		return;
	}
	mlog(m, BPG_MONITOR_LOG_INFO,
	    "%s: %s: killed (driver pod %s "
	    "deleted): running %lld ms, maxRunningMillis %lld",
	    t->label, ent->name, app.driver_pod, ran,
	    (long long)app.max_running_ms);
	ent->tracked = false;
}

static void
kill_check(struct bpg_monitor *m)
{
	struct app_entry *e;
	long long wall = wall_ms(), now = bpg_watch_now_ms();
	size_t i, j;

	for (i = 0; i < m->nt; i++) {
		struct target *t = &m->t[i];

		for (j = 0; j < t->apps.nb; j++)
			for (e = t->apps.b[j]; e != NULL; e = e->next) {
				if (!e->tracked || e->created_ms < 0 ||
				    wall - e->created_ms <= e->max_ms ||
				    now < e->kill_not_before)
					continue;
				/* Never kill on a lock we may have lost:
				 * each kill may wait on the cluster. */
				if (!confirm_leader(m))
					return;
				kill_one(t, e, now);
			}
	}
}

/*
 * The daemon: leadership
 */

static void
become_leader(struct bpg_monitor *m)
{
	long long now = bpg_watch_now_ms();
	size_t i;

	m->leader = true;
	m->announced = 1;
	m->confirmed_ms = now;
	m->next_kill_ms = now + BPG_MONITOR_KILL_CHECK_MS;
	for (i = 0; i < m->nt; i++) {
		m->t[i].need_list = true;
		m->t[i].need_watch = false;
		m->t[i].next_try_ms = now;
		m->t[i].backoff_ms = 0;
	}
	mlog(m, BPG_MONITOR_LOG_INFO,
	    "leader: holding lock '%s' on database "
	    "connection %lu; monitoring %zu namespace(s)",
	    BPG_MONITOR_LOCK_NAME, bpg_db_connection_id(m->lockdb), m->nt);
}

static void
become_standby(struct bpg_monitor *m, const char *why)
{
	size_t i;

	m->leader = false;
	m->announced = 0;
	m->holder = 0;
	m->next_lock_ms = bpg_watch_now_ms();
	for (i = 0; i < m->nt; i++) {
		bpg_watch_stop(m->t[i].watch);
		tab_clear(&m->t[i].apps);
		m->t[i].need_list = m->t[i].need_watch = false;
		m->t[i].dirty = false;
	}
	mlog(m, BPG_MONITOR_LOG_WARN,
	    "standby: lost the leader lock (%s); "
	    "stopped acting",
	    why);
}

static bool
confirm_leader(struct bpg_monitor *m)
{
	struct bpg_errinfo ei;
	bool held = false;

	if (bpg_db_lock_held(m->lockdb, BPG_MONITOR_LOCK_NAME, &held, &ei) !=
	    BPG_OK) {
		become_standby(m, ei.msg);
		return false;
	}
	if (!held) {
		become_standby(m, "another session holds it");
		return false;
	}
	m->confirmed_ms = bpg_watch_now_ms();
	return true;
}

/*
 * For a watch callback, which must not stop the other watches: whether
 * this process may write, confirming the lock if that was last done more
 * than BPG_MONITOR_CONFIRM_MS ago.  A lost lock makes this process stop
 * acting at once; bpg_monitor_step() steps down once the callbacks are
 * done.
 */
static bool
may_write(struct bpg_monitor *m)
{
	struct bpg_errinfo ei;
	bool held = false;
	long long now = bpg_watch_now_ms();

	if (!m->leader)
		return false;
	if (now - m->confirmed_ms < BPG_MONITOR_CONFIRM_MS)
		return true;
	if (bpg_db_lock_held(m->lockdb, BPG_MONITOR_LOCK_NAME, &held, &ei) !=
	    BPG_OK)
		take(m->lost_why, sizeof(m->lost_why), ei.msg);
	else if (!held)
		take(m->lost_why, sizeof(m->lost_why),
		    "another session holds it");
	else {
		m->confirmed_ms = now;
		return true;
	}
	m->leader = false;
	return false;
}

/* Step down after may_write() found the lock lost. */
static void
settle_leader(struct bpg_monitor *m)
{
	char why[sizeof(m->lost_why)];

	if (m->lost_why[0] == '\0')
		return;
	memcpy(why, m->lost_why, sizeof(why));
	m->lost_why[0] = '\0';
	become_standby(m, why);
}

/*
 * Try to become the leader.  BPG_ECONFIG (a TLS setting or certificate
 * that cannot work) on the first try is returned, to stop the daemon at
 * start-up with its message; other failures, and later ones (a server
 * whose certificate changed under a running monitor), are logged and
 * retried.
 */
static enum bpg_err
try_lock(struct bpg_monitor *m, struct bpg_errinfo *out)
{
	struct bpg_errinfo ei;
	unsigned long holder = 0;
	bool held = false;
	enum bpg_err e;

	if ((e = bpg_db_lock_try(m->lockdb, BPG_MONITOR_LOCK_NAME, &held,
	    &holder, &ei)) != BPG_OK) {
		if (e == BPG_ECONFIG && m->announced == -1)
			return bpg_errf(out, e, "%s", ei.msg);
		if (strcmp(ei.msg, m->lock_err) != 0)
			mlog(m, BPG_MONITOR_LOG_WARN,
			    "standby: cannot take "
			    "the leader lock: %s; retrying every %d ms",
			    ei.msg, BPG_MONITOR_LOCK_INTERVAL_MS);
		take(m->lock_err, sizeof(m->lock_err), ei.msg);
		m->announced = 0;
		return BPG_OK;
	}
	m->lock_err[0] = '\0';
	if (held) {
		become_leader(m);
		return BPG_OK;
	}
	if (m->announced != 0 || holder != m->holder)
		mlog(m, BPG_MONITOR_LOG_INFO,
		    "standby: lock '%s' is held by "
		    "database connection %lu; retrying every %d ms",
		    BPG_MONITOR_LOCK_NAME, holder,
		    BPG_MONITOR_LOCK_INTERVAL_MS);
	m->announced = 0;
	m->holder = holder;
	return BPG_OK;
}

/*
 * The daemon: set-up and the loop
 */

static enum bpg_err
add_prefix(struct target *t, const char *id)
{
	char **np, *p;
	size_t i;

	if (asprintf(&p, "%s-", id) < 0)
		return BPG_ENOMEM;
	for (i = 0; i < t->nprefixes; i++)
		if (strcmp(t->prefixes[i], p) == 0) {
			free(p);
			return BPG_OK;
		}
	if ((np = realloc(t->prefixes, (t->nprefixes + 1) * sizeof(*np))) ==
	    NULL) {
		free(p);
		return BPG_ENOMEM;
	}
	t->prefixes = np;
	t->prefixes[t->nprefixes++] = p;
	return BPG_OK;
}

static bool
same_pair(const struct bpg_cluster *a, const struct bpg_cluster *b)
{
	return strcmp(a->master_url, b->master_url) == 0 &&
	    strcmp(a->namespace, b->namespace) == 0;
}

/*
 * The lock session's wait_timeout.  A live leader talks on it at least
 * every BPG_MONITOR_LOCK_INTERVAL_MS, and also after each list and
 * before each kill, which may wait one or two of a cluster's timeouts (a
 * timeout of 0, none, counts as BPG_MONITOR_LOCK_IDLE_NO_TIMEOUT_S); the
 * margin covers the writes between.  A leader that vanished without
 * closing its socket thus loses the lock after that, not after the
 * server's 8 hours.
 */
static unsigned int
lock_idle_s(const struct bpg_monitor *m)
{
	int64_t ms, most = 0;
	size_t i;

	for (i = 0; i < m->nt; i++) {
		ms = m->t[i].cluster->timeout_millis;
		if (ms <= 0)
			ms = BPG_MONITOR_LOCK_IDLE_NO_TIMEOUT_S * 1000LL;
		if (ms > most)
			most = ms;
	}
	if (most > BPG_MONITOR_LOCK_IDLE_NO_TIMEOUT_S * 1000LL)
		most = BPG_MONITOR_LOCK_IDLE_NO_TIMEOUT_S * 1000LL;
	/* A kill is two requests: a GET and the DELETE. */
	return 2 * (unsigned int)((most + 999) / 1000) +
	    BPG_MONITOR_LOCK_IDLE_MARGIN_S;
}

enum bpg_err
bpg_monitor_new(const struct bpg_monitor_opts *opts, struct bpg_monitor **out,
    struct bpg_errinfo *ei)
{
	const struct bpg_config *cfg = opts != NULL ? opts->cfg : NULL;
	struct bpg_monitor *m;
	struct target *t;
	char path[512];
	size_t i, j;
	enum bpg_err e;

	*out = NULL;
	if (cfg == NULL)
		return bpg_errf(ei, BPG_EINVAL, "monitor: no configuration");
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	m->o = *opts;
	m->announced = -1;
	if (cfg->has_memory_mb_second_cost)
		m->mb_cost = &cfg->memory_mb_second_cost;
	if (cfg->has_vcore_second_cost)
		m->core_cost = &cfg->vcore_second_cost;
	if ((m->t = calloc(cfg->nclusters + 1, sizeof(*m->t))) == NULL) {
		free(m);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	/* Section 10.2: distinct pairs of weighted clusters, last wins. */
	for (i = 0; i < cfg->nclusters; i++) {
		const struct bpg_cluster *c = &cfg->clusters[i];

		if (c->weight <= 0)
			continue;
		for (j = 0; j < m->nt; j++)
			if (same_pair(m->t[j].cluster, c))
				break;
		if (j == m->nt)
			m->nt++;
		m->t[j].cluster = c;
	}
	if (m->nt == 0) {
		bpg_monitor_free(m);
		return bpg_errf(ei, BPG_ECONFIG,
		    "monitor: no cluster has a weight above 0");
	}
	if ((e = bpg_db_new(&cfg->db, &m->db, ei)) != BPG_OK ||
	    (e = bpg_db_new(&cfg->db, &m->lockdb, ei)) != BPG_OK ||
	    (e = bpg_db_set_idle_timeout(m->lockdb, lock_idle_s(m), ei)) !=
	    BPG_OK ||
	    (e = bpg_watchset_new(&m->ws, ei)) != BPG_OK)
		goto fail;
	for (i = 0; i < m->nt; i++) {
		t = &m->t[i];
		t->m = m;
		snprintf(t->label, sizeof(t->label), "%s/%s", t->cluster->id,
		    t->cluster->namespace);
		for (j = 0; j < cfg->nclusters; j++)
			if (same_pair(&cfg->clusters[j], t->cluster) &&
			    add_prefix(t, cfg->clusters[j].id) != BPG_OK) {
				e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
				goto fail;
			}
		snprintf(path, sizeof(path),
		    "/apis/" BPG_CRD_GROUP "/" BPG_CRD_VERSION
		    "/namespaces/%s/" BPG_CRD_PLURAL,
		    t->cluster->namespace);
		if ((e = bpg_kube_new(t->cluster, &t->kube, ei)) != BPG_OK ||
		    (e = bpg_watch_new(m->ws, t->cluster, path, on_event,
			 on_end, t, &t->watch, ei)) != BPG_OK)
			goto fail;
	}
	*out = m;
	return BPG_OK;
fail:
	bpg_monitor_free(m);
	return e;
}

void
bpg_monitor_resync(struct bpg_monitor *m)
{
	m->resync = true;
}

bool
bpg_monitor_leader(const struct bpg_monitor *m)
{
	return m->leader;
}

struct bpg_db *
bpg_monitor_lock_db(const struct bpg_monitor *m)
{
	return m->lockdb;
}

static long long
min_ll(long long a, long long b)
{
	return a < b ? a : b;
}

enum bpg_err
bpg_monitor_step(struct bpg_monitor *m, int max_wait_ms, struct bpg_errinfo *ei)
{
	long long now = bpg_watch_now_ms(), until = now + max_wait_ms;
	enum bpg_err e;
	size_t i;

	if (!m->leader) {
		if (now >= m->next_lock_ms) {
			m->next_lock_ms = now + BPG_MONITOR_LOCK_INTERVAL_MS;
			if ((e = try_lock(m, ei)) != BPG_OK)
				return e;
			if (m->leader)
				return BPG_OK;
		}
		until = min_ll(until, m->next_lock_ms);
		return bpg_watchset_run(
		    m->ws, (int)(until - now > 0 ? until - now : 0), ei);
	}
	if (now >= m->next_lock_ms) {
		m->next_lock_ms = now + BPG_MONITOR_LOCK_INTERVAL_MS;
		if (!confirm_leader(m))
			return BPG_OK;
	}
	for (i = 0; i < m->nt && m->leader; i++) {
		struct target *t = &m->t[i];

		now = bpg_watch_now_ms();
		/* The periodic full resync is a re-list (section 10.2). */
		if (m->resync ||
		    (resync_ms(m) > 0 && !t->need_list &&
			now >= t->next_resync_ms)) {
			t->need_list = true;
			t->next_try_ms = now;
		}
		if (t->need_list && now >= t->next_try_ms)
			relist(t);
		else if (t->need_watch && now >= t->next_try_ms)
			start_watch(t, bpg_watch_rv(t->watch));
	}
	m->resync = false;
	if (!m->leader)
		return BPG_OK;
	now = bpg_watch_now_ms();
	if (now >= m->next_kill_ms) {
		m->next_kill_ms = now + BPG_MONITOR_KILL_CHECK_MS;
		kill_check(m);
		if (!m->leader)
			return BPG_OK;
	}
	now = bpg_watch_now_ms();
	until = min_ll(until, m->next_lock_ms);
	until = min_ll(until, m->next_kill_ms);
	for (i = 0; i < m->nt; i++) {
		if (m->t[i].need_list || m->t[i].need_watch)
			until = min_ll(until, m->t[i].next_try_ms);
		else if (resync_ms(m) > 0)
			until = min_ll(until, m->t[i].next_resync_ms);
	}
	e = bpg_watchset_run(
	    m->ws, (int)(until - now > 0 ? until - now : 0), ei);
	settle_leader(m);
	return e;
}

void
bpg_monitor_free(struct bpg_monitor *m)
{
	size_t i, j;

	if (m == NULL)
		return;
	if (m->leader) {
		bpg_db_lock_release(m->lockdb, BPG_MONITOR_LOCK_NAME);
		mlog(m, BPG_MONITOR_LOG_INFO, "released lock '%s'",
		    BPG_MONITOR_LOCK_NAME);
	}
	/* The set frees the watches. */
	bpg_watchset_free(m->ws);
	for (i = 0; i < m->nt; i++) {
		bpg_kube_free(m->t[i].kube);
		tab_clear(&m->t[i].apps);
		for (j = 0; j < m->t[i].nprefixes; j++)
			free(m->t[i].prefixes[j]);
		free(m->t[i].prefixes);
	}
	free(m->t);
	bpg_db_free(m->lockdb);
	bpg_db_free(m->db);
	free(m);
}
