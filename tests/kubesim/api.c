/*
 * The Kubernetes API of one simulated cluster, served over HTTPS by
 * libmicrohttpd with a thread per connection (watches and log follows
 * block in their content callbacks, which that mode allows).
 *
 * Semantics follow kube-apiserver for the paths the gateway uses
 * (Kubernetes API conventions; "API Concepts": efficient detection of
 * changes, resource versions, chunking; apiextensions for custom
 * resources):
 *   - every error is a Status object with the server's reason and text;
 *   - creating a SparkApplication decodes, prunes unknown fields (warning
 *     about them, or failing with fieldValidation=Strict), applies the
 *     spark-operator's mutating webhook defaults, validates ObjectMeta and
 *     the CRD schema (422 with every cause), then the operator's validating
 *     webhook (DNS-1035 name), then stores (409 if the name is taken);
 *   - lists are sorted like etcd keys and support labelSelector,
 *     fieldSelector, limit and continue;
 *   - watches start with synthetic ADDED events (no or "0"
 *     resourceVersion) or replay history after resourceVersion; a version
 *     older than the kept history gets one ERROR event with a 410 Expired
 *     Status and the stream ends, as with the watch cache.
 * Faults set through the control API: down, drop and latency act on
 * arrival, before anything else; error and throttle answer in place of
 * the API once the request is authenticated.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bpg_base64.h"
#include "http.h"
#include "kubesim.h"

#define MAX_SEGS		12
#define WEBHOOK_VALIDATE	"validate-sparkapplication.sparkoperator.k8s.io"
#define GEN_NAME_CHARS		"bcdfghjklmnpqrstvwxz2456789"
#define MSG_NOT_ALLOWED		"the server does not allow this method on " \
	"the requested resource"
#define MSG_NO_RESOURCE		"the server could not find the requested " \
	"resource"
#define MSG_CONTINUE_EXPIRED	"The provided continue parameter is too " \
	"old to display a consistent list result. You can start a new list " \
	"without the continue parameter, or use the continue token in this " \
	"response to retrieve the remainder of the results. Continuing with " \
	"the provided token results in an inconsistent list - objects that " \
	"were created, modified, or deleted between the time the first chunk " \
	"was returned and now may show up in the list."

struct route {
	int		 res;		/* enum ks_res, or -1 */
	const char	*ns;		/* NULL: all namespaces */
	const char	*name;		/* NULL: the collection */
	const char	*sub;		/* "status", "log" or NULL */
	const char	*special;	/* "version", "healthz", ... or NULL */
	char		 buf[2048];
	char		*seg[MAX_SEGS];
	int		 nseg;
};

/* ---- small helpers ------------------------------------------------------- */

static json_t *
details(const char *name, enum ks_res res, const char *uid)
{
	json_t *d = json_object();

	if (d == NULL)
		return NULL;
	if (name != NULL)
		json_object_set_new(d, "name", json_string(name));
	if (ks_res[res].group[0] != '\0')
		json_object_set_new(d, "group",
		    json_string(ks_res[res].group));
	json_object_set_new(d, "kind", json_string(ks_res[res].plural));
	if (uid != NULL)
		json_object_set_new(d, "uid", json_string(uid));
	return d;
}

static enum MHD_Result
not_found(struct MHD_Connection *c, struct ks_req *r, enum ks_res res,
    const char *name)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s \"%s\" not found",
	    ks_res[res].qualified, name);
	return ks_respond_status(c, r, 404, "NotFound", msg,
	    details(name, res, NULL));
}

static enum MHD_Result
bad_request(struct MHD_Connection *c, struct ks_req *r, const char *msg)
{
	return ks_respond_status(c, r, 400, "BadRequest", msg, NULL);
}

static enum MHD_Result
method_not_allowed(struct MHD_Connection *c, struct ks_req *r)
{
	return ks_respond_status(c, r, 405, "MethodNotAllowed",
	    MSG_NOT_ALLOWED, json_object());
}

static enum MHD_Result
internal_error(struct MHD_Connection *c, struct ks_req *r, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "Internal error occurred: %s", why);
	return ks_respond_status(c, r, 500, "InternalError", msg,
	    json_pack("{s:[{s:s}]}", "causes", "message", why));
}

static enum MHD_Result
conflict_modified(struct MHD_Connection *c, struct ks_req *r,
    enum ks_res res, const char *name)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "Operation cannot be fulfilled on %s "
	    "\"%s\": the object has been modified; please apply your changes "
	    "to the latest version and try again", ks_res[res].qualified,
	    name);
	return ks_respond_status(c, r, 409, "Conflict", msg,
	    details(name, res, NULL));
}

/* 422 Invalid; causes stolen.  prefix (may be NULL) is a webhook's. */
static enum MHD_Result
invalid(struct MHD_Connection *c, struct ks_req *r, const char *kind,
    const char *group, const char *name, json_t *causes, const char *prefix)
{
	char *msg, *full = NULL;
	json_t *d;
	enum MHD_Result ret;

	if ((msg = schema_invalid_message(kind, group, name, causes)) ==
	    NULL) {
		json_decref(causes);
		return internal_error(c, r, "out of memory");
	}
	if (prefix != NULL && asprintf(&full, "%s%s", prefix, msg) < 0)
		full = NULL;
	d = json_pack("{s:s, s:s, s:s, s:o}", "name", name, "group", group,
	    "kind", kind, "causes", causes);
	if (d != NULL && *group == '\0')
		json_object_del(d, "group");
	ret = ks_respond_status(c, r, 422, "Invalid", full ? full : msg, d);
	free(full);
	free(msg);
	return ret;
}

/* Kubernetes' reason for a status code (Kubernetes API conventions). */
static const char *
reason_for(int code)
{
	switch (code) {
	case 400:
		return "BadRequest";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "NotFound";
	case 405:
		return "MethodNotAllowed";
	case 406:
		return "NotAcceptable";
	case 409:
		return "Conflict";
	case 410:
		return "Expired";
	case 413:
		return "RequestEntityTooLarge";
	case 415:
		return "UnsupportedMediaType";
	case 422:
		return "Invalid";
	case 429:
		return "TooManyRequests";
	case 500:
		return "InternalError";
	case 503:
		return "ServiceUnavailable";
	case 504:
		return "Timeout";
	default:
		return "";
	}
}

/* The header "Warning: 299 - \"text\"" (RFC 7234 section 5.5). */
static void
add_warning(struct ks_req *r, const char *text)
{
	char *q, *w;

	if ((q = schema_quote(text)) == NULL)
		return;
	if (asprintf(&w, "299 - %s", q) >= 0) {
		if (r->warnings == NULL)
			r->warnings = json_array();
		json_array_append_new(r->warnings, json_string(w));
		free(w);
	}
	free(q);
}

static int
parse_int_arg(const char *s, long long *out)
{
	char *end;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno != 0 || *end != '\0') ? -1 : 0;
}

static void
stoppable_sleep(struct kubesim *ks, long ms)
{
	long long until = ks_now_ms() + ms;

	pthread_mutex_lock(&ks->mu);
	while (!ks->stopping && ks_now_ms() < until)
		ks_wait(ks, until - ks_now_ms());
	pthread_mutex_unlock(&ks->mu);
}

/* ---- routing ------------------------------------------------------------- */

static int
res_by_plural(const char *plural, int core)
{
	int i;

	for (i = 0; i < KS_RES__MAX; i++)
		if (strcmp(ks_res[i].plural, plural) == 0 &&
		    (ks_res[i].group[0] == '\0') == core)
			return i;
	return -1;
}

/* 0 if the path is served here, -1 for 404. */
static int
route_parse(const char *url, struct route *rt)
{
	char *p, *save = NULL;
	int core, rest, i;

	memset(rt, 0, sizeof(*rt));
	rt->res = -1;
	snprintf(rt->buf, sizeof(rt->buf), "%s", url);
	for (p = strtok_r(rt->buf, "/", &save); p != NULL;
	    p = strtok_r(NULL, "/", &save)) {
		if (rt->nseg == MAX_SEGS)
			return -1;
		rt->seg[rt->nseg++] = p;
	}
	if (rt->nseg == 0) {
		rt->special = "root";
		return 0;
	}
	if (rt->nseg == 1 && (!strcmp(rt->seg[0], "version") ||
	    !strcmp(rt->seg[0], "healthz") || !strcmp(rt->seg[0], "livez") ||
	    !strcmp(rt->seg[0], "readyz") || !strcmp(rt->seg[0], "api") ||
	    !strcmp(rt->seg[0], "apis"))) {
		rt->special = rt->seg[0];
		return 0;
	}
	if (!strcmp(rt->seg[0], "api")) {
		if (strcmp(rt->seg[1], "v1") != 0)
			return -1;
		core = 1;
		rest = 2;
	} else if (!strcmp(rt->seg[0], "apis")) {
		if (strcmp(rt->seg[1], ks_res[KS_APP].group) != 0)
			return -1;
		if (rt->nseg == 2) {
			rt->special = "group";
			return 0;
		}
		if (strcmp(rt->seg[2], ks_res[KS_APP].version) != 0)
			return -1;
		core = 0;
		rest = 3;
	} else
		return -1;
	if (rt->nseg == rest) {
		rt->special = core ? "corev1" : "groupversion";
		return 0;
	}
	i = rest;
	if (!strcmp(rt->seg[i], "namespaces")) {
		if (rt->nseg == i + 1)
			return -1;
		rt->ns = rt->seg[i + 1];
		if (rt->nseg == i + 2) {
			if (!core)
				return -1;
			rt->special = "namespace";
			return 0;
		}
		i += 2;
	}
	if ((rt->res = res_by_plural(rt->seg[i], core)) < 0)
		return -1;
	if (rt->nseg > i + 1) {
		if (rt->ns == NULL)	/* namespaced kinds only */
			return -1;
		rt->name = rt->seg[i + 1];
	}
	if (rt->nseg > i + 2)
		rt->sub = rt->seg[i + 2];
	if (rt->nseg > i + 3)
		return -1;
	if (rt->sub != NULL && !((rt->res == KS_APP &&
	    !strcmp(rt->sub, "status")) || (rt->res == KS_POD &&
	    !strcmp(rt->sub, "log"))))
		return -1;
	return 0;
}

/* ---- faults -------------------------------------------------------------- */

static int
fault_applies(struct ks_cluster *cl, const struct ks_fault *f,
    const struct ks_req *r, const char *url)
{
	if (f->count == 0)
		return 0;
	if (f->method[0] != '\0' && strcasecmp(f->method, r->method) != 0)
		return 0;
	if (f->path[0] != '\0' && strncmp(url, f->path, strlen(f->path)))
		return 0;
	if (f->rate < 1.0 && ks_rand01(&cl->rng) >= f->rate)
		return 0;
	return 1;
}

static void
fault_used(struct ks_cluster *cl, struct ks_fault *f)
{
	cl->st.faults[f->kind]++;
	if (f->count > 0)
		f->count--;
}

static void
faults_purge(struct ks_cluster *cl)
{
	size_t i, j = 0;

	for (i = 0; i < cl->nfaults; i++)
		if (cl->faults[i].count != 0)
			cl->faults[j++] = cl->faults[i];
	cl->nfaults = j;
}

/*
 * Network faults of a new request (lock held): returns 1 if the connection
 * is to be dropped, else adds injected latency to *ms.
 */
static int
faults_network(struct ks_cluster *cl, struct ks_req *r, const char *url,
    long *ms)
{
	struct ks_fault *f;
	size_t i;
	int drop = 0;

	*ms = 0;
	for (i = 0; i < cl->nfaults && !drop; i++) {
		f = &cl->faults[i];
		if ((f->kind == KS_F_DOWN || f->kind == KS_F_DROP) &&
		    fault_applies(cl, f, r, url)) {
			fault_used(cl, f);
			drop = 1;
		}
	}
	for (i = 0; i < cl->nfaults && !drop; i++) {
		f = &cl->faults[i];
		if (f->kind == KS_F_LATENCY && fault_applies(cl, f, r, url)) {
			fault_used(cl, f);
			*ms += f->ms;
		}
	}
	faults_purge(cl);
	return drop;
}

/*
 * Status and timing faults, decided once the request is authenticated (as
 * priority and fairness throttles only authenticated requests): the first
 * that applies decides (r->fault, r->late_ms or r->commit_ms).
 */
static void
faults_status(struct ks_cluster *cl, struct ks_req *r, const char *url)
{
	struct ks_fault *f;
	size_t i;

	pthread_mutex_lock(&cl->ks->mu);
	for (i = 0; i < cl->nfaults && r->fault < 0 && r->late_ms == 0 &&
	    r->commit_ms == 0; i++) {
		f = &cl->faults[i];
		if ((f->kind != KS_F_ERROR && f->kind != KS_F_THROTTLE &&
		    f->kind != KS_F_GARBAGE && f->kind != KS_F_LATEANSWER &&
		    f->kind != KS_F_LATECOMMIT) ||
		    (f->kind == KS_F_LATECOMMIT && strcmp(r->method, "POST")) ||
		    !fault_applies(cl, f, r, url))
			continue;
		fault_used(cl, f);
		if (f->kind == KS_F_LATEANSWER) {
			r->late_ms = f->ms;
			continue;
		}
		if (f->kind == KS_F_LATECOMMIT) {
			r->commit_ms = f->ms;
			r->commit_code = f->code;
			continue;
		}
		r->fault = (int)f->kind;
		r->fault_code = f->kind == KS_F_THROTTLE ? 429 : f->code;
		r->fault_retry = f->retry_after;
		/* A read has nothing to carry out first. */
		r->fault_commit = f->commit && strcmp(r->method, "GET") != 0;
		r->fault_close = f->close;
		snprintf(r->fault_msg, sizeof(r->fault_msg), "%s", f->message);
	}
	faults_purge(cl);
	pthread_mutex_unlock(&cl->ks->mu);
}

/*
 * A request a "hold" fault applies to, once its body has arrived, waits
 * until the fault is released (removed), then is carried out as usual,
 * whether or not its client is still there: an API server whose storage
 * stalls (a slow etcd) keeps the write it was given, and it lands after
 * the client gave up.  Nothing of it is stored or answered meanwhile.
 */
static void
faults_hold(struct ks_cluster *cl, struct ks_req *r, const char *url)
{
	struct ks_fault *f;
	uint64_t gen;
	size_t i;
	int hold = 0;

	pthread_mutex_lock(&cl->ks->mu);
	for (i = 0; i < cl->nfaults && !hold; i++) {
		f = &cl->faults[i];
		if (f->kind == KS_F_HOLD && fault_applies(cl, f, r, url)) {
			fault_used(cl, f);
			hold = 1;
		}
	}
	faults_purge(cl);
	if (hold) {
		gen = cl->hold_gen;
		cl->held++;
		while (!cl->ks->stopping && cl->hold_gen == gen)
			ks_wait(cl->ks, 1000);
		cl->held--;
	}
	pthread_mutex_unlock(&cl->ks->mu);
}

static enum MHD_Result
fault_respond(struct MHD_Connection *c, struct ks_req *r)
{
	const char *reason = reason_for(r->fault_code);
	const char *msg = r->fault_msg;
	json_t *d = NULL;

	if (r->fault == KS_F_GARBAGE) {
		/* A truncated list: what a broken proxy might pass on. */
		static const char junk[] = "{\"kind\":\"SparkApplicationList\","
		    "\"items\":[{\"metadata\":";
		char *b = strdup(junk);

		return ks_respond(c, r, 200, "application/json", b,
		    b != NULL ? sizeof(junk) - 1 : 0);
	}
	if (r->fault == KS_F_THROTTLE) {
		r->retry_after = r->fault_retry > 0 ? r->fault_retry : 1;
		return ks_respond_status(c, r, 429, "TooManyRequests",
		    *msg ? msg : "Too many requests, please try again later.",
		    json_pack("{s:i}", "retryAfterSeconds", r->retry_after));
	}
	if (*msg == '\0') {
		switch (r->fault_code) {
		case 500:
			msg = "Internal error occurred: injected fault";
			d = json_pack("{s:[{s:s}]}", "causes", "message",
			    "injected fault");
			break;
		case 503:
			msg = "the server is currently unable to handle the "
			    "request";
			break;
		case 504:
			msg = "Timeout: request did not complete within "
			    "requested timeout - context deadline exceeded";
			d = json_object();
			break;
		default:
			msg = "injected fault";
			break;
		}
	}
	return ks_respond_status(c, r, (unsigned)r->fault_code, reason, msg, d);
}

/* ---- authentication ------------------------------------------------------ */

/* 1 if "Authorization: Bearer <token>" carries the cluster's token. */
static int
auth_ok(struct MHD_Connection *c, const char *token, int *present)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	size_t i, n, tn = strlen(token);
	unsigned char diff = 0;

	*present = v != NULL;
	if (v == NULL || strncasecmp(v, "Bearer ", 7) != 0)
		return 0;
	v += 7;
	while (*v == ' ')
		v++;
	n = strlen(v);
	while (n > 0 && v[n - 1] == ' ')
		n--;
	if (n != tn)
		return 0;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(v[i] ^ token[i]);
	return diff == 0;
}

/* ---- object helpers ------------------------------------------------------ */

static int
obj_matches(const json_t *o, const char *ns, const struct ks_lsel *ls,
    const struct ks_fsel *fs)
{
	const char *ons = ks_meta_str(o, "namespace");

	if (ns != NULL && (ons == NULL || strcmp(ns, ons) != 0))
		return 0;
	if (!ks_lsel_match(ls, json_object_get(json_object_get(o,
	    "metadata"), "labels")))
		return 0;
	return ks_fsel_match(fs, o);
}

static void
rv_str(char *buf, size_t len, uint64_t rv)
{
	snprintf(buf, len, "%llu", (unsigned long long)rv);
}

/* Parse a JSON request body into an object, or answer 400. */
static json_t *
body_object(struct MHD_Connection *c, struct ks_req *r, enum ks_res res,
    enum MHD_Result *ret)
{
	json_error_t je;
	json_t *o;
	char msg[1024];
	const char *t;

	if (r->too_big) {
		*ret = ks_respond_status(c, r, 413, "RequestEntityTooLarge",
		    "Request entity too large: limit is 3145728", NULL);
		return NULL;
	}
	o = json_loadb(r->body ? r->body : "", r->len, JSON_DECODE_ANY |
	    JSON_DISABLE_EOF_CHECK, &je);
	if (o == NULL) {
		snprintf(msg, sizeof(msg), "%s%s",
		    res == KS_APP ? "couldn't get version/kind; json parse "
		    "error: " : "", je.text);
		*ret = bad_request(c, r, msg);
		return NULL;
	}
	if (!json_is_object(o)) {
		t = json_is_array(o) ? "array" : json_is_string(o) ? "string" :
		    json_is_number(o) ? "number" : json_is_boolean(o) ? "bool" :
		    "null";
		snprintf(msg, sizeof(msg), "couldn't get version/kind; json "
		    "parse error: json: cannot unmarshal %s into Go value of "
		    "type struct { APIVersion string \"json:\\\"apiVersion,"
		    "omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty"
		    "\\\"\" }", t);
		json_decref(o);
		*ret = bad_request(c, r, msg);
		return NULL;
	}
	return o;
}

/*
 * Type and object metadata checks common to create and update.  Returns
 * 0 to go on; else a response was queued (*ret).  *kind_bad is set when
 * a custom resource names another kind (a 422 cause, not a 400).
 */
static int
check_typemeta(struct MHD_Connection *c, struct ks_req *r, enum ks_res res,
    const char *path_ns, json_t *o, int *kind_bad, enum MHD_Result *ret)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *av = json_string_value(json_object_get(o, "apiVersion"));
	json_t *meta = json_object_get(o, "metadata");
	const char *ns;
	char msg[1024], *body;

	*kind_bad = 0;
	if (res == KS_APP && (kind == NULL || *kind == '\0')) {
		/* runtime.NewMissingKindErr */
		body = json_dumps(o, JSON_COMPACT);
		snprintf(msg, sizeof(msg), "Object 'Kind' is missing in '%s'",
		    body ? body : "");
		free(body);
		*ret = bad_request(c, r, msg);
		return -1;
	}
	if (av == NULL || *av == '\0')
		json_object_set_new(o, "apiVersion",
		    json_string(ks_res[res].apiversion));
	else if (strcmp(av, ks_res[res].apiversion) != 0) {
		snprintf(msg, sizeof(msg), "the API version in the data (%s) "
		    "does not match the expected API version (%s)", av,
		    ks_res[res].apiversion);
		*ret = bad_request(c, r, msg);
		return -1;
	}
	if (kind == NULL || *kind == '\0')
		json_object_set_new(o, "kind", json_string(ks_res[res].kind));
	else if (strcmp(kind, ks_res[res].kind) != 0) {
		if (res == KS_APP)
			*kind_bad = 1;
		else {
			snprintf(msg, sizeof(msg), "%s in version \"v1\" "
			    "cannot be handled as a %s: converting (v1.%s) "
			    "to (core.%s): unknown conversion", kind,
			    ks_res[res].kind, kind, ks_res[res].kind);
			*ret = bad_request(c, r, msg);
			return -1;
		}
	}
	if (meta == NULL) {
		meta = json_object();
		json_object_set_new(o, "metadata", meta);
	} else if (!json_is_object(meta)) {
		snprintf(msg, sizeof(msg), "%s in version \"%s\" cannot be "
		    "handled as a %s: json: cannot unmarshal %s into Go struct "
		    "field %s.metadata of type v1.ObjectMeta", ks_res[res].kind,
		    ks_res[res].version, ks_res[res].kind,
		    json_is_array(meta) ? "array" : json_is_string(meta) ?
		    "string" : "number", ks_res[res].kind);
		*ret = bad_request(c, r, msg);
		return -1;
	}
	ns = json_string_value(json_object_get(meta, "namespace"));
	if (ns != NULL && *ns != '\0' && strcmp(ns, path_ns) != 0) {
		*ret = bad_request(c, r, "the namespace of the provided object "
		    "does not match the namespace sent on the request");
		return -1;
	}
	json_object_set_new(meta, "namespace", json_string(path_ns));
	return 0;
}

/*
 * ObjectMeta keeps only its own fields (the rest is lost in decoding into
 * the Go struct); unknown ones are reported as unknown fields.
 */
static void
meta_coerce(json_t *meta, json_t *unknown)
{
	static const char *const known[] = { "name", "generateName",
	    "namespace", "selfLink", "uid", "resourceVersion", "generation",
	    "creationTimestamp", "deletionTimestamp",
	    "deletionGracePeriodSeconds", "labels", "annotations",
	    "ownerReferences", "finalizers", "managedFields", NULL };
	const char *k;
	json_t *v, *tmp;
	char path[512];
	size_t i;

	json_object_foreach_safe(meta, tmp, k, v) {
		for (i = 0; known[i] != NULL; i++)
			if (strcmp(known[i], k) == 0)
				break;
		if (known[i] != NULL)
			continue;
		snprintf(path, sizeof(path), "metadata.%s", k);
		if (unknown != NULL)
			json_array_append_new(unknown, json_string(path));
		json_object_del(meta, k);
	}
	json_object_del(meta, "selfLink");
	json_object_del(meta, "managedFields");
}

/* labels/annotations must be maps of strings: a decoding error if not. */
static int
meta_maps_ok(json_t *meta, char *why, size_t len)
{
	static const char *const maps[] = { "labels", "annotations", NULL };
	const char *k;
	json_t *m, *v;
	size_t i;

	for (i = 0; maps[i] != NULL; i++) {
		if ((m = json_object_get(meta, maps[i])) == NULL ||
		    json_is_null(m))
			continue;
		if (!json_is_object(m)) {
			snprintf(why, len, "json: cannot unmarshal %s into Go "
			    "struct field ObjectMeta.metadata.%s of type "
			    "map[string]string", json_is_array(m) ? "array" :
			    "string", maps[i]);
			return -1;
		}
		json_object_foreach(m, k, v)
			if (!json_is_string(v)) {
				snprintf(why, len, "json: cannot unmarshal %s "
				    "into Go struct field ObjectMeta.metadata."
				    "%s of type string", json_is_number(v) ?
				    "number" : json_is_boolean(v) ? "bool" :
				    json_is_object(v) ? "object" : "array",
				    maps[i]);
				return -1;
			}
	}
	return 0;
}

/* ObjectMeta validation (ValidateObjectMetaAccessor, NameIsDNSSubdomain). */
static enum bpg_err
meta_validate(json_t *meta, json_t *causes)
{
	const char *name = json_string_value(json_object_get(meta, "name"));
	enum bpg_err e;

	if (name == NULL || *name == '\0')
		e = schema_cause_add(causes, "FieldValueRequired",
		    "metadata.name", "Required value: name or generateName is "
		    "required");
	else
		e = ks_check_subdomain(causes, "metadata.name", name);
	if (e == BPG_OK)
		e = ks_check_labels(causes, "metadata.labels",
		    json_object_get(meta, "labels"));
	if (e == BPG_OK)
		e = ks_check_annotations(causes, "metadata.annotations",
		    json_object_get(meta, "annotations"));
	return e;
}

static void
set_default(json_t *obj, const char *key, json_t *v)
{
	const json_t *cur = json_object_get(obj, key);

	if (cur == NULL || json_is_null(cur) || (json_is_string(cur) &&
	    json_string_length(cur) == 0))
		json_object_set_new(obj, key, v);
	else
		json_decref(v);
}

static int
conf_set(const json_t *conf, const char *key)
{
	const char *v = json_string_value(json_object_get(conf, key));

	return v != NULL && *v != '\0';
}

/*
 * The spark-operator's mutating webhook (SparkApplicationDefaulter):
 * mode, restartPolicy, driver and executor cores and memory, executor
 * instances.  XXX: applied to driver and executor only when present; the
 * operator's Go round trip would also materialise absent required fields
 * as null or "", which would hide "Required value" errors.
 */
static void
operator_defaults(json_t *app)
{
	json_t *spec = json_object_get(app, "spec"), *rp, *d, *e, *da;
	const json_t *conf;
	const char *t, *dyn;
	int dynamic;

	if (!json_is_object(spec))
		return;
	conf = json_object_get(spec, "sparkConf");
	if (!json_is_object(conf))
		conf = NULL;
	set_default(spec, "mode", json_string("cluster"));
	if (!json_is_object(rp = json_object_get(spec, "restartPolicy"))) {
		rp = json_object();
		json_object_set_new(spec, "restartPolicy", rp);
	}
	set_default(rp, "type", json_string("Never"));
	t = json_string_value(json_object_get(rp, "type"));
	if (t != NULL && strcmp(t, "Never") != 0) {
		set_default(rp, "onSubmissionFailureRetryInterval",
		    json_integer(5));
		set_default(rp, "onFailureRetryInterval", json_integer(5));
	}
	if (json_is_object(d = json_object_get(spec, "driver"))) {
		if (!conf_set(conf, "spark.driver.cores"))
			set_default(d, "cores", json_integer(1));
		if (!conf_set(conf, "spark.driver.memory"))
			set_default(d, "memory", json_string("1g"));
	}
	if (json_is_object(e = json_object_get(spec, "executor"))) {
		if (!conf_set(conf, "spark.executor.cores"))
			set_default(e, "cores", json_integer(1));
		if (!conf_set(conf, "spark.executor.memory"))
			set_default(e, "memory", json_string("1g"));
		da = json_object_get(spec, "dynamicAllocation");
		dynamic = json_is_true(json_object_get(da, "enabled"));
		/* As the operator does: only with a sparkConf map. */
		if (json_object_get(e, "instances") == NULL && !dynamic &&
		    conf != NULL) {
			dyn = json_string_value(json_object_get(conf,
			    "spark.dynamicAllocation.enabled"));
			if (dyn != NULL && (!strcasecmp(dyn, "true") ||
			    !strcmp(dyn, "1") || !strcmp(dyn, "t")))
				dynamic = 1;
			if (!dynamic && !conf_set(conf,
			    "spark.executor.instances"))
				json_object_set_new(e, "instances",
				    json_integer(1));
		}
	}
}

/* Compare dotted versions numerically ("3.10.0" > "3.9"). */
static int
version_cmp(const char *a, const char *b)
{
	long x, y;
	char *ea, *eb;

	for (;;) {
		x = strtol(a, &ea, 10);
		y = strtol(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		if (*ea != '.' || *eb != '.')
			return (*ea == '.') - (*eb == '.');
		a = ea + 1;
		b = eb + 1;
	}
}

/*
 * The operator's validating webhook.  Returns 0, or a response was queued:
 * 422 for the DNS-1035 name rule (an Invalid status), 403 for the
 * spec rules (plain denials).
 */
static int
operator_validate(struct MHD_Connection *c, struct ks_req *r, json_t *app,
    enum MHD_Result *ret)
{
	const char *name = ks_meta_str(app, "name");
	json_t *spec = json_object_get(app, "spec"), *causes;
	const char *deny = NULL, *ver;
	char msg[512];

	if ((causes = json_array()) == NULL ||
	    ks_check_dns1035(causes, "metadata.name", name) != BPG_OK) {
		json_decref(causes);
		*ret = internal_error(c, r, "out of memory");
		return -1;
	}
	if (json_array_size(causes) > 0) {
		*ret = invalid(c, r, ks_res[KS_APP].kind, ks_res[KS_APP].group,
		    name, causes, "admission webhook \"" WEBHOOK_VALIDATE
		    "\" denied the request: ");
		return -1;
	}
	json_decref(causes);
	if (json_object_get(spec, "nodeSelector") != NULL &&
	    (json_object_get(json_object_get(spec, "driver"),
	    "nodeSelector") != NULL || json_object_get(json_object_get(spec,
	    "executor"), "nodeSelector") != NULL))
		deny = "node selector cannot be defined at both "
		    "SparkApplication and Driver/Executor";
	ver = json_string_value(json_object_get(spec, "sparkVersion"));
	if ((json_object_get(json_object_get(spec, "driver"), "template") ||
	    json_object_get(json_object_get(spec, "executor"), "template")) &&
	    version_cmp(ver ? ver : "", "3.0.0") < 0)
		deny = "pod template feature requires Spark version 3.0.0 or "
		    "higher";
	if (deny == NULL)
		return 0;
	snprintf(msg, sizeof(msg), "admission webhook \"%s\" denied the "
	    "request: %s", WEBHOOK_VALIDATE, deny);
	*ret = ks_respond_status(c, r, 403, "Forbidden", msg, NULL);
	return -1;
}

/*
 * Prune (custom resources), coerce metadata and act on unknown fields as
 * fieldValidation says: Warn (default) adds Warning headers, Strict fails.
 */
static int
handle_unknown(struct MHD_Connection *c, struct ks_req *r, enum ks_res res,
    json_t *o, enum MHD_Result *ret)
{
	const char *fv = ks_arg(c, "fieldValidation");
	json_t *unknown = NULL, *u;
	char *msg = NULL, *q, *t;
	size_t i;

	if (res == KS_APP) {
		if (schema_prune(r->cl->ks->schema, o, &unknown) != BPG_OK) {
			*ret = internal_error(c, r, "out of memory");
			return -1;
		}
	} else
		unknown = json_array();
	meta_coerce(json_object_get(o, "metadata"), unknown);
	if (fv != NULL && strcmp(fv, "Strict") && strcmp(fv, "Warn") &&
	    strcmp(fv, "Ignore")) {
		json_decref(unknown);
		*ret = bad_request(c, r, "fieldValidation parameter "
		    "unsupported, must be one of: Ignore, Warn, Strict");
		return -1;
	}
	if (json_array_size(unknown) == 0 || (fv && !strcmp(fv, "Ignore"))) {
		json_decref(unknown);
		return 0;
	}
	if (fv == NULL || strcmp(fv, "Strict") != 0) {
		json_array_foreach(unknown, i, u) {
			if (asprintf(&t, "unknown field \"%s\"",
			    json_string_value(u)) >= 0) {
				add_warning(r, t);
				free(t);
			}
		}
		json_decref(unknown);
		return 0;
	}
	json_array_foreach(unknown, i, u) {
		q = schema_quote(json_string_value(u));
		t = msg;
		if (asprintf(&msg, "%s%sunknown field %s", t ? t : "",
		    t ? ", " : "", q ? q : "") < 0)
			msg = NULL;
		free(t);
		free(q);
	}
	json_decref(unknown);
	if (asprintf(&t, "strict decoding error: %s", msg ? msg : "") < 0)
		t = NULL;
	*ret = bad_request(c, r, t ? t : "strict decoding error");
	free(t);
	free(msg);
	return -1;
}

/* ---- list and watch ------------------------------------------------------ */

struct watch {
	struct kubesim		*ks;
	struct ks_cluster	*cl;
	enum ks_res		 res;
	char			*ns;
	struct ks_lsel		*ls;
	struct ks_fsel		*fs;
	uint64_t		 pos;		/* rv delivered up to */
	json_t			*initial;	/* ADDED to send first */
	size_t			 init_i;
	int			 bookmarks;
	int			 initial_end;	/* sendInitialEvents */
	long long		 deadline;
	long long		 next_bookmark;
	json_t			*error;		/* ERROR event to end with */
	int			 done;
	int			 cut;		/* break after out is sent */
	char			*target;	/* path and query, for faults */
	int			 fd;		/* the connection's socket */
	struct bpg_buf		 out;
	size_t			 outoff;
};

static void
watch_free(void *cls)
{
	struct watch *w = cls;

	pthread_mutex_lock(&w->ks->mu);
	w->cl->st.active_watches--;
	pthread_mutex_unlock(&w->ks->mu);
	json_decref(w->initial);
	json_decref(w->error);
	ks_lsel_free(w->ls);
	ks_fsel_free(w->fs);
	free(w->ns);
	free(w->target);
	free(w->out.p);
	free(w);
}

static void
watch_queue(struct watch *w, const char *type, json_t *obj)
{
	json_t *ev = json_pack("{s:s, s:O}", "type", type, "object", obj);
	char *s;
	size_t n;

	if (ev == NULL)
		return;
	s = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (s == NULL)
		return;
	n = strlen(s);
	s[n] = '\n';	/* in place of the NUL: the event's line */
	/* Out of memory: the event is lost, as a broken stream loses it. */
	(void)!bpg_buf_append(&w->out, s, n + 1, 0);
	free(s);
}

static void
watch_bookmark(struct watch *w, int initial_end)
{
	char rv[32];
	json_t *o;

	rv_str(rv, sizeof(rv), w->pos);
	o = json_pack("{s:s, s:s, s:{s:s}}", "kind", ks_res[w->res].kind,
	    "apiVersion", ks_res[w->res].apiversion, "metadata",
	    "resourceVersion", rv);
	if (o != NULL && initial_end)
		json_object_set_new(json_object_get(o, "metadata"),
		    "annotations", json_pack("{s:s}",
		    "k8s.io/initial-events-end", "true"));
	if (o != NULL)
		watch_queue(w, "BOOKMARK", o);
	json_decref(o);
}

static int
watch_match(const struct watch *w, const json_t *o)
{
	return o != NULL && obj_matches(o, w->ns, w->ls, w->fs);
}

static json_t *
expired_status(uint64_t asked, uint64_t oldest)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "too old resource version: %llu (%llu)",
	    (unsigned long long)asked, (unsigned long long)oldest);
	return ks_status(410, "Expired", msg, NULL);
}

/* Queue what is due (lock held).  Returns 1 if something was queued. */
static int
watch_fill(struct watch *w)
{
	const struct ks_hev *h;
	uint64_t oldest;
	size_t i, queued = 0;
	long long now = ks_now_ms();
	int cur, old;

	if (w->cl->ks->stopping) {
		w->done = 1;
		return 0;
	}
	while (w->initial != NULL && w->init_i < json_array_size(w->initial) &&
	    queued < KS_MAX_WATCH_BATCH) {
		watch_queue(w, "ADDED", json_array_get(w->initial,
		    w->init_i++));
		queued++;
	}
	if (queued > 0)
		return 1;
	if (w->initial_end) {
		w->initial_end = 0;
		watch_bookmark(w, 1);
		return 1;
	}
	if (w->error != NULL) {
		watch_queue(w, "ERROR", w->error);
		w->done = 1;
		return 1;
	}
	oldest = ks_hist_oldest(w->cl);
	if (w->pos + 1 < oldest) {
		/* Fell behind the history: as the watch cache does. */
		json_t *st = expired_status(w->pos, oldest - 1);

		watch_queue(w, "ERROR", st);
		json_decref(st);
		w->done = 1;
		return 1;
	}
	for (i = 0; (h = ks_hist_at(w->cl, i)) != NULL &&
	    queued < KS_MAX_WATCH_BATCH; i++) {
		if (h->rv <= w->pos)
			continue;
		w->pos = h->rv;
		if (h->res != w->res)
			continue;
		cur = watch_match(w, h->obj);
		switch (h->type) {
		case KS_ADDED:
			if (cur)
				watch_queue(w, "ADDED", h->obj);
			break;
		case KS_DELETED:
			if (cur)
				watch_queue(w, "DELETED", h->obj);
			break;
		case KS_MODIFIED:
			old = watch_match(w, h->prev);
			/* An object entering or leaving the selection. */
			if (cur && old)
				watch_queue(w, "MODIFIED", h->obj);
			else if (cur)
				watch_queue(w, "ADDED", h->obj);
			else if (old)
				watch_queue(w, "DELETED", h->obj);
			else
				continue;
			break;
		}
		queued++;
	}
	if (queued == 0 && w->pos < w->cl->rv)
		w->pos = w->cl->rv;	/* nothing of ours in between */
	if (queued > 0)
		return 1;
	if (w->bookmarks && now >= w->next_bookmark) {
		w->next_bookmark = now + w->cl->ks->bookmark_ms;
		watch_bookmark(w, 0);
		return 1;
	}
	if (now >= w->deadline) {
		w->done = 1;
		return 0;
	}
	return 0;
}

/*
 * A stream fault of kind k that applies to w (lock held), used up; NULL
 * if none.  Stream faults hit running watches, so a test can break the
 * stream a client already has.
 */
static struct ks_fault *
watch_fault(struct watch *w, enum ks_fkind k, int use)
{
	struct ks_cluster *cl = w->cl;
	struct ks_fault *f;
	size_t i;

	for (i = 0; i < cl->nfaults; i++) {
		f = &cl->faults[i];
		if (f->kind != k || f->count == 0 || (f->method[0] != '\0' &&
		    strcasecmp(f->method, "GET") != 0) || (f->path[0] != '\0' &&
		    (w->target == NULL || strncmp(w->target, f->path,
		    strlen(f->path)) != 0)) || (f->rate < 1.0 &&
		    ks_rand01(&cl->rng) >= f->rate))
			continue;
		if (use) {
			cl->st.faults[k]++;
			if (f->count > 0)
				f->count--;
		}
		return f;
	}
	return NULL;
}

/* Before a new batch of events goes out: watchcut, watchgarbage. */
static void
watch_batch_faults(struct watch *w)
{
	static const char junk[] = "this is not JSON {\n";
	const char *nl;

	pthread_mutex_lock(&w->ks->mu);
	if (watch_fault(w, KS_F_WATCHCUT, 1) != NULL) {
		/* Half of the first event, then the connection breaks. */
		nl = memchr(w->out.p, '\n', w->out.len);
		w->out.len = ((nl != NULL ? (size_t)(nl - w->out.p) :
		    w->out.len) + 1) / 2;
		w->cut = 1;
	} else if (watch_fault(w, KS_F_WATCHGARBAGE, 1) != NULL) {
		struct bpg_buf g = { NULL, 0, 0 };

		if (bpg_buf_append(&g, junk, sizeof(junk) - 1, 0) == BPG_OK &&
		    bpg_buf_append(&g, w->out.p, w->out.len, 0) == BPG_OK) {
			bpg_buf_free(&w->out);
			w->out = g;
		} else
			bpg_buf_free(&g);
	}
	faults_purge(w->cl);
	pthread_mutex_unlock(&w->ks->mu);
}

/*
 * The client closed its end: kube-apiserver (Go's net/http) sees that at
 * once, as its connection reader gets EOF and cancels the request.  A
 * watch client sends nothing while its stream runs, so a hang-up (or an
 * error) on the socket is the client going away.
 */
static int
watch_client_gone(const struct watch *w)
{
	struct pollfd p = { w->fd, POLLRDHUP, 0 };

	if (w->fd < 0)
		return 0;
	return poll(&p, 1, 0) == 1 &&
	    (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

static ssize_t
watch_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct watch *w = cls;
	long long wait;
	size_t n;
	int down;

	(void)pos;
	for (;;) {
		if (w->outoff < w->out.len) {
			if (w->outoff == 0 && !w->cut)
				watch_batch_faults(w);
			n = w->out.len - w->outoff;
			if (n > max)
				n = max;
			memcpy(buf, w->out.p + w->outoff, n);
			w->outoff += n;
			return (ssize_t)n;
		}
		w->outoff = w->out.len = 0;
		/* A cut stream, or the API server going down, breaks it. */
		if (w->cut)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (w->done)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (watch_client_gone(w))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		pthread_mutex_lock(&w->ks->mu);
		down = watch_fault(w, KS_F_DOWN, 0) != NULL;
		pthread_mutex_unlock(&w->ks->mu);
		if (down)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		pthread_mutex_lock(&w->ks->mu);
		if (!watch_fill(w) && !w->done) {
			wait = w->deadline - ks_now_ms();
			if (w->bookmarks && w->next_bookmark - ks_now_ms() <
			    wait)
				wait = w->next_bookmark - ks_now_ms();
			if (wait > 1000)
				wait = 1000;
			ks_wait(w->ks, wait > 0 ? wait : 1);
		}
		pthread_mutex_unlock(&w->ks->mu);
	}
}

static enum MHD_Result
start_watch(struct MHD_Connection *c, struct ks_req *r, enum ks_res res,
    const char *ns, struct ks_lsel *ls, struct ks_fsel *fs)
{
	struct ks_cluster *cl = r->cl;
	const char *rvs = ks_arg(c, "resourceVersion");
	long long tmo = KS_DEFAULT_WATCH_S;
	uint64_t asked = 0;
	const union MHD_ConnectionInfo *ci;
	struct watch *w;
	json_t *items, *o;
	size_t i;
	char msg[256];

	if (ks_arg(c, "timeoutSeconds") != NULL &&
	    (parse_int_arg(ks_arg(c, "timeoutSeconds"), &tmo) != 0 ||
	    tmo < 0)) {
		ks_lsel_free(ls);
		ks_fsel_free(fs);
		return bad_request(c, r, "invalid timeoutSeconds");
	}
	if (rvs != NULL && *rvs != '\0' && strcmp(rvs, "0") != 0 &&
	    ks_parse_rv(rvs, &asked) != 0) {
		ks_lsel_free(ls);
		ks_fsel_free(fs);
		snprintf(msg, sizeof(msg), "resourceVersion: Invalid value: "
		    "\"%.64s\": strconv.ParseUint: parsing \"%.64s\": invalid "
		    "syntax", rvs, rvs);
		return bad_request(c, r, msg);
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		ks_lsel_free(ls);
		ks_fsel_free(fs);
		return internal_error(c, r, "out of memory");
	}
	w->ks = cl->ks;
	w->cl = cl;
	w->res = res;
	w->ns = ns ? strdup(ns) : NULL;
	w->ls = ls;
	w->fs = fs;
	w->bookmarks = ks_arg_true(c, "allowWatchBookmarks");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	w->fd = ci != NULL ? ci->connect_fd : -1;
	w->target = r->target != NULL ? strdup(r->target) : NULL;
	w->deadline = ks_now_ms() + (tmo > 0 ? tmo : KS_DEFAULT_WATCH_S) *
	    1000;
	pthread_mutex_lock(&cl->ks->mu);
	cl->st.watches++;
	cl->st.active_watches++;
	w->next_bookmark = ks_now_ms() + cl->ks->bookmark_ms;
	if (asked == 0) {
		/* "Get state and start at most recent": ADDED for all. */
		w->initial = json_array();
		if ((items = ks_list(cl, res, ns)) != NULL) {
			json_array_foreach(items, i, o)
				if (watch_match(w, o))
					json_array_append(w->initial, o);
			json_decref(items);
		}
		w->pos = cl->rv;
		w->initial_end = w->bookmarks &&
		    ks_arg_true(c, "sendInitialEvents");
	} else if (asked + 1 < ks_hist_oldest(cl)) {
		w->error = expired_status(asked, ks_hist_oldest(cl) - 1);
		w->pos = asked;
	} else if (asked > cl->rv) {
		/* The cache waits up to 3 s for a future version. */
		long long until = ks_now_ms() + 3000;

		while (asked > cl->rv && ks_now_ms() < until &&
		    !cl->ks->stopping)
			ks_wait(cl->ks, until - ks_now_ms());
		if (asked > cl->rv) {
			snprintf(msg, sizeof(msg), "Too large resource "
			    "version: %llu, current: %llu",
			    (unsigned long long)asked,
			    (unsigned long long)cl->rv);
			w->error = ks_status(504, "Timeout", msg, json_pack(
			    "{s:[{s:s, s:s}], s:i}", "causes", "reason",
			    "ResourceVersionTooLarge", "message",
			    "Too large resource version", "retryAfterSeconds",
			    1));
		}
		w->pos = asked;
	} else
		w->pos = asked;
	pthread_mutex_unlock(&cl->ks->mu);
	return ks_respond_stream(c, r, "application/json", watch_read, w,
	    watch_free);
}

/*
 * Continue tokens as kube-apiserver writes them: base64url without padding
 * of {"v":"meta.k8s.io/v1","rv":N,"start":K}, K the key after the last one
 * returned; rv -1 continues at the latest version, inconsistently.
 */
static char *
continue_token(int64_t rv, const char *lastkey)
{
	json_t *t;
	char *s, *out = NULL, *p, *start;
	size_t n;

	n = strlen(lastkey);
	if ((start = malloc(n + 2)) == NULL)
		return NULL;
	/* The next key: the last one and a NUL byte ("\u0000" in JSON). */
	memcpy(start, lastkey, n);
	start[n] = '\0';
	t = json_pack("{s:s, s:I, s:s%}", "v", "meta.k8s.io/v1", "rv",
	    (json_int_t)rv, "start", start, n + 1);
	free(start);
	if (t == NULL || (s = json_dumps(t, JSON_COMPACT)) == NULL) {
		json_decref(t);
		return NULL;
	}
	json_decref(t);
	if (bpg_base64_encode((const unsigned char *)s, strlen(s), &out,
	    NULL) != BPG_OK)
		out = NULL;
	free(s);
	for (p = out; p != NULL && *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
		else if (*p == '=') {
			*p = '\0';
			break;
		}
	}
	return out;
}

/* *lastkey: the continue key without its final NUL (a new string). */
static int
continue_parse(const char *tok, int64_t *rv, char **lastkey, char *err,
    size_t errlen)
{
	unsigned char *raw = NULL;
	size_t rawlen, i, klen;
	char *std;
	json_t *t;
	const char *k, *v;
	json_int_t n;

	if ((std = strdup(tok)) == NULL)
		return -1;
	for (i = 0; std[i] != '\0'; i++) {
		if (std[i] == '+' || std[i] == '/' || std[i] == '=' ||
		    std[i] == ' ')
			break;
		if (std[i] == '-')
			std[i] = '+';
		else if (std[i] == '_')
			std[i] = '/';
	}
	if (std[i] != '\0' || bpg_base64_decode(std, i, &raw, &rawlen) !=
	    BPG_OK) {
		free(std);
		snprintf(err, errlen, "continue key is not valid: illegal "
		    "base64 data at input byte %zu", i);
		return -1;
	}
	free(std);
	t = json_loadb((const char *)raw, rawlen, JSON_ALLOW_NUL, NULL);
	free(raw);
	k = json_string_value(json_object_get(t, "start"));
	klen = json_string_length(json_object_get(t, "start"));
	v = json_string_value(json_object_get(t, "v"));
	n = json_integer_value(json_object_get(t, "rv"));
	if (t == NULL || k == NULL || klen == 0 || k[klen - 1] != '\0' ||
	    !json_is_integer(json_object_get(t, "rv")) || n == 0 ||
	    n < -1 || v == NULL || strcmp(v, "meta.k8s.io/v1") != 0) {
		json_decref(t);
		snprintf(err, errlen, "continue key is not valid: incorrect "
		    "encoded start resourceVersion (version meta.k8s.io/v1)");
		return -1;
	}
	*rv = n;
	*lastkey = strndup(k, klen - 1);
	json_decref(t);
	return *lastkey != NULL ? 0 : -1;
}

/* The "expire" fault: a continued list finds its version compacted. */
static int
fault_expire(struct ks_cluster *cl, struct ks_req *r, const char *url)
{
	size_t i;
	int hit = 0;

	for (i = 0; i < cl->nfaults && !hit; i++)
		if (cl->faults[i].kind == KS_F_EXPIRE &&
		    fault_applies(cl, &cl->faults[i], r, url)) {
			fault_used(cl, &cl->faults[i]);
			hit = 1;
		}
	faults_purge(cl);
	return hit;
}

/*
 * Lists with limit and continue as kube-apiserver's etcd3 store serves
 * them ("API Concepts: retrieving large results sets in chunks"): every
 * chunk is read at the first one's resourceVersion (410 Expired once
 * that is compacted, with a token to go on inconsistently); a chunk that
 * is full and has keys after it carries a continue token;
 * remainingItemCount counts the objects after it, and only when there is
 * no selector (with one, the count would be a guess).
 */
static enum MHD_Result
do_list(struct MHD_Connection *c, struct ks_req *r, const struct route *rt)
{
	struct ks_cluster *cl = r->cl;
	enum ks_res res = (enum ks_res)rt->res;
	struct ks_lsel *ls = NULL;
	struct ks_fsel *fs = NULL;
	const char *w = ks_arg(c, "watch"), *cont = ks_arg(c, "continue");
	const char *lsel = ks_arg(c, "labelSelector");
	const char *fsel = ks_arg(c, "fieldSelector");
	char err[1024], rv[32], *lastkey = NULL, *tok = NULL;
	char *last = NULL;
	long long limit = 0;
	int64_t listrv = 0;
	struct ks_view view;
	json_t *out, *o, *meta, *st;
	size_t taken = 0, after = 0;
	int full = 0;

	if (ks_lsel_parse(lsel, &ls, err, sizeof(err)) != 0)
		return bad_request(c, r, err);
	if (ks_fsel_parse(fsel, res, &fs, err, sizeof(err)) != 0) {
		ks_lsel_free(ls);
		return bad_request(c, r, err);
	}
	if (w != NULL && (!strcmp(w, "true") || !strcmp(w, "1")))
		return start_watch(c, r, res, rt->ns, ls, fs);
	if (ks_arg(c, "limit") != NULL &&
	    (parse_int_arg(ks_arg(c, "limit"), &limit) != 0 || limit < 0))
		limit = 0;
	if (cont != NULL && *cont != '\0' &&
	    continue_parse(cont, &listrv, &lastkey, err, sizeof(err)) != 0) {
		ks_lsel_free(ls);
		ks_fsel_free(fs);
		return bad_request(c, r, err);
	}
	if ((out = json_array()) == NULL)
		goto oom;
	pthread_mutex_lock(&cl->ks->mu);
	if (lastkey != NULL && listrv > 0 && ((uint64_t)listrv <
	    cl->compacted || fault_expire(cl, r, r->target))) {
		pthread_mutex_unlock(&cl->ks->mu);
		json_decref(out);
		tok = continue_token(-1, lastkey);
		free(lastkey);
		ks_lsel_free(ls);
		ks_fsel_free(fs);
		st = ks_status(410, "Expired", MSG_CONTINUE_EXPIRED, NULL);
		if (st != NULL && tok != NULL)
			json_object_set_new(st, "metadata", json_pack("{s:s}",
			    "continue", tok));
		free(tok);
		return ks_respond_json(c, r, 410, st);
	}
	if (lastkey == NULL || listrv < 0)
		listrv = (int64_t)cl->rv;
	if (ks_view_open(&view, cl, res, rt->ns, (uint64_t)listrv,
	    lastkey) != 0) {
		pthread_mutex_unlock(&cl->ks->mu);
		json_decref(out);
		goto oom;
	}
	while (!full && (o = ks_view_next(&view)) != NULL) {
		if (!obj_matches(o, rt->ns, ls, fs))
			continue;
		json_array_append(out, o);
		if (limit > 0 && ++taken == (size_t)limit)
			full = 1;
	}
	if (full)
		after = ks_view_rest(&view);
	ks_view_close(&view);
	pthread_mutex_unlock(&cl->ks->mu);
	free(lastkey);
	ks_lsel_free(ls);
	ks_fsel_free(fs);
	rv_str(rv, sizeof(rv), (uint64_t)listrv);
	meta = json_pack("{s:s}", "resourceVersion", rv);
	if (after > 0 && meta != NULL) {
		o = json_array_get(out, json_array_size(out) - 1);
		last = ks_key(ks_meta_str(o, "namespace"),
		    ks_meta_str(o, "name"));
		tok = last ? continue_token(listrv, last) : NULL;
		free(last);
		json_object_set_new(meta, "continue", json_string(tok ? tok :
		    ""));
		if ((lsel == NULL || *lsel == '\0') &&
		    (fsel == NULL || *fsel == '\0'))
			json_object_set_new(meta, "remainingItemCount",
			    json_integer((json_int_t)after));
		free(tok);
	}
	return ks_respond_json(c, r, 200, json_pack("{s:s, s:s, s:o, s:o}",
	    "apiVersion", ks_res[res].apiversion, "kind", ks_res[res].listkind,
	    "metadata", meta, "items", out));
oom:
	free(lastkey);
	ks_lsel_free(ls);
	ks_fsel_free(fs);
	return internal_error(c, r, "out of memory");
}

/* ---- pod logs ------------------------------------------------------------ */

struct logf {
	struct kubesim		*ks;
	struct ks_cluster	*cl;
	char			*ns, *pod, *key;
	size_t			 next;		/* next line to send */
	int			 timestamps;
	long long		 limit;		/* bytes left, -1 none */
	long long		 deadline;	/* a bound, like a watch's */
	int			 done;
	struct bpg_buf		 out;
	size_t			 outoff;
};

static void
logf_free(void *cls)
{
	struct logf *l = cls;

	free(l->ns);
	free(l->pod);
	free(l->key);
	free(l->out.p);
	free(l);
}

static void
log_append(struct bpg_buf *out, const char *line, int timestamps,
    long long *limit)
{
	const char *text = timestamps ? line : strchr(line, ' ');
	size_t n;

	text = text == NULL ? line : (timestamps ? text : text + 1);
	n = strlen(text);
	if (*limit >= 0 && (long long)(n + 1) > *limit) {
		n = *limit > 0 ? (size_t)*limit - 1 : 0;
		if (*limit == 0)
			return;
	}
	if (bpg_buf_append(out, text, n, 0) != BPG_OK ||
	    bpg_buf_append(out, "\n", 1, 0) != BPG_OK)
		return;
	if (*limit >= 0)
		*limit -= (long long)(n + 1);
}

static int
pod_terminated(const json_t *pod)
{
	const char *ph = json_string_value(json_object_get(json_object_get(pod,
	    "status"), "phase"));

	return ph != NULL && (!strcmp(ph, "Succeeded") ||
	    !strcmp(ph, "Failed"));
}

static ssize_t
logf_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct logf *l = cls;
	json_t *lines, *pod;
	size_t n;

	(void)pos;
	for (;;) {
		if (l->outoff < l->out.len) {
			n = l->out.len - l->outoff;
			if (n > max)
				n = max;
			memcpy(buf, l->out.p + l->outoff, n);
			l->outoff += n;
			return (ssize_t)n;
		}
		l->outoff = l->out.len = 0;
		if (l->done || l->limit == 0)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&l->ks->mu);
		lines = json_object_get(l->cl->logs, l->key);
		while (l->next < json_array_size(lines) && l->out.len < 16384)
			log_append(&l->out, json_string_value(
			    json_array_get(lines, l->next++)), l->timestamps,
			    &l->limit);
		if (l->out.len == 0) {
			pod = ks_get(l->cl, KS_POD, l->ns, l->pod);
			/* Follow ends when the container has terminated. */
			if (pod == NULL || pod_terminated(pod) ||
			    l->ks->stopping || ks_now_ms() >= l->deadline)
				l->done = 1;
			else
				ks_wait(l->ks, 1000);
		}
		pthread_mutex_unlock(&l->ks->mu);
	}
}

static enum MHD_Result
do_log(struct MHD_Connection *c, struct ks_req *r, const struct route *rt)
{
	struct ks_cluster *cl = r->cl;
	const char *cont = ks_arg(c, "container");
	const char *phase;
	json_t *pod, *lines;
	long long tail = -1, limit = -1;
	size_t n, start, i;
	char msg[1024], *key;
	struct bpg_buf out = { NULL, 0, 0 };
	struct logf *l;
	int ts = ks_arg_true(c, "timestamps");

	if (ks_arg(c, "tailLines") != NULL &&
	    (parse_int_arg(ks_arg(c, "tailLines"), &tail) != 0 || tail < 0))
		return bad_request(c, r, "tailLines: Invalid value: must be "
		    "greater than or equal to 0");
	if (ks_arg(c, "limitBytes") != NULL &&
	    (parse_int_arg(ks_arg(c, "limitBytes"), &limit) != 0 ||
	    limit < 1))
		return bad_request(c, r, "limitBytes: Invalid value: must be "
		    "greater than 0");
	pthread_mutex_lock(&cl->ks->mu);
	if ((pod = ks_get(cl, KS_POD, rt->ns, rt->name)) == NULL) {
		pthread_mutex_unlock(&cl->ks->mu);
		return not_found(c, r, KS_POD, rt->name);
	}
	phase = json_string_value(json_object_get(json_object_get(pod,
	    "status"), "phase"));
	if (cont != NULL && *cont != '\0' &&
	    strcmp(cont, KS_DRIVER_CONTAINER) != 0) {
		pthread_mutex_unlock(&cl->ks->mu);
		snprintf(msg, sizeof(msg), "container %s is not valid for pod "
		    "%s", cont, rt->name);
		return bad_request(c, r, msg);
	}
	if (ks_arg_true(c, "previous")) {
		pthread_mutex_unlock(&cl->ks->mu);
		snprintf(msg, sizeof(msg), "previous terminated container "
		    "\"%s\" in pod \"%s\" not found", KS_DRIVER_CONTAINER,
		    rt->name);
		return bad_request(c, r, msg);
	}
	if (phase == NULL || strcmp(phase, "Pending") == 0) {
		pthread_mutex_unlock(&cl->ks->mu);
		snprintf(msg, sizeof(msg), "container \"%s\" in pod \"%s\" is "
		    "waiting to start: ContainerCreating", KS_DRIVER_CONTAINER,
		    rt->name);
		return bad_request(c, r, msg);
	}
	key = ks_key(rt->ns, rt->name);
	lines = key ? json_object_get(cl->logs, key) : NULL;
	n = json_array_size(lines);
	start = (tail >= 0 && (size_t)tail < n) ? n - (size_t)tail : 0;
	if (!ks_arg_true(c, "follow")) {
		for (i = start; i < n; i++)
			log_append(&out, json_string_value(
			    json_array_get(lines, i)), ts, &limit);
		pthread_mutex_unlock(&cl->ks->mu);
		free(key);
		return ks_respond(c, r, 200, "text/plain", out.p, out.len);
	}
	cl->st.log_follows++;
	pthread_mutex_unlock(&cl->ks->mu);
	if (key == NULL || (l = calloc(1, sizeof(*l))) == NULL) {
		free(key);
		return internal_error(c, r, "out of memory");
	}
	l->ks = cl->ks;
	l->cl = cl;
	l->ns = strdup(rt->ns);
	l->pod = strdup(rt->name);
	l->key = key;
	l->next = start;
	l->timestamps = ts;
	l->limit = limit;
	l->deadline = ks_now_ms() + KS_DEFAULT_WATCH_S * 1000LL;
	if (l->ns == NULL || l->pod == NULL) {
		logf_free(l);
		return internal_error(c, r, "out of memory");
	}
	return ks_respond_stream(c, r, "text/plain", logf_read, l, logf_free);
}

/* ---- create, get, update, patch, delete ---------------------------------- */

static void
fill_system_meta(struct ks_cluster *cl, json_t *o, enum ks_res res)
{
	json_t *meta = json_object_get(o, "metadata");
	const char *gen = json_string_value(json_object_get(meta,
	    "generateName"));
	const char *name = json_string_value(json_object_get(meta, "name"));
	char uid[40], now[32], *nm;
	size_t i, base;

	if ((name == NULL || *name == '\0') && gen != NULL && *gen != '\0') {
		/* names.SimpleNameGenerator: 5 random characters. */
		base = strlen(gen);
		if ((nm = malloc(base + 6)) != NULL) {
			memcpy(nm, gen, base);
			for (i = 0; i < 5; i++)
				nm[base + i] = GEN_NAME_CHARS[
				    ks_rand(&cl->rng) %
				    (sizeof(GEN_NAME_CHARS) - 1)];
			nm[base + 5] = '\0';
			json_object_set_new(meta, "name", json_string(nm));
			free(nm);
		}
	}
	ks_uuid(uid);
	ks_rfc3339(now, sizeof(now), ks_wall_ms());
	json_object_set_new(meta, "uid", json_string(uid));
	json_object_set_new(meta, "creationTimestamp", json_string(now));
	json_object_del(meta, "deletionTimestamp");
	json_object_del(meta, "deletionGracePeriodSeconds");
	if (res == KS_APP)
		json_object_set_new(meta, "generation", json_integer(1));
	else
		json_object_del(meta, "generation");
}

/* Secret data must be base64; stringData is merged into data. */
static int
secret_prepare(json_t *o, char *err, size_t errlen)
{
	json_t *data = json_object_get(o, "data"), *sd, *v;
	const char *k;
	unsigned char *raw;
	size_t rawlen;
	char *enc;

	if (data != NULL && !json_is_object(data)) {
		snprintf(err, errlen, "Secret in version \"v1\" cannot be "
		    "handled as a Secret: json: cannot unmarshal into Go "
		    "struct field Secret.data of type map[string][]uint8");
		return -1;
	}
	json_object_foreach(data, k, v) {
		if (!json_is_string(v) || bpg_base64_decode(
		    json_string_value(v), json_string_length(v), &raw,
		    &rawlen) != BPG_OK) {
			snprintf(err, errlen, "Secret in version \"v1\" cannot "
			    "be handled as a Secret: illegal base64 data at "
			    "input byte 0");
			return -1;
		}
		free(raw);
	}
	if (json_is_object(sd = json_object_get(o, "stringData"))) {
		if (data == NULL) {
			data = json_object();
			json_object_set_new(o, "data", data);
		}
		json_object_foreach(sd, k, v) {
			if (!json_is_string(v))
				continue;
			if (bpg_base64_encode((const unsigned char *)
			    json_string_value(v), json_string_length(v), &enc,
			    NULL) != BPG_OK)
				return -1;
			json_object_set_new(data, k, json_string(enc));
			free(enc);
		}
	}
	json_object_del(o, "stringData");
	if (json_object_get(o, "type") == NULL)
		json_object_set_new(o, "type", json_string("Opaque"));
	return 0;
}

static enum MHD_Result
do_create(struct MHD_Connection *c, struct ks_req *r, const struct route *rt)
{
	struct ks_cluster *cl = r->cl;
	enum ks_res res = (enum ks_res)rt->res;
	enum MHD_Result ret;
	json_t *o, *causes = NULL, *more = NULL, *stored;
	const char *name, *dry = ks_arg(c, "dryRun");
	char msg[1024], err[512];
	int kind_bad;

	if ((o = body_object(c, r, res, &ret)) == NULL)
		return ret;
	if (check_typemeta(c, r, res, rt->ns, o, &kind_bad, &ret) != 0)
		goto out_ret;
	{
		char why[512];

		if (meta_maps_ok(json_object_get(o, "metadata"), why,
		    sizeof(why)) != 0) {
			snprintf(msg, sizeof(msg), "%s in version \"%s\" "
			    "cannot be handled as a %s: %s", ks_res[res].kind,
			    ks_res[res].version, ks_res[res].kind, why);
			ret = bad_request(c, r, msg);
			goto out_ret;
		}
	}
	if (ks_meta_str(o, "resourceVersion") != NULL &&
	    *ks_meta_str(o, "resourceVersion") != '\0') {
		ret = internal_error(c, r, "resourceVersion should not be set "
		    "on objects to be created");
		goto out_ret;
	}
	if (res == KS_APP)
		json_object_del(o, "status");	/* status subresource */
	if (res == KS_SECRET && secret_prepare(o, err, sizeof(err)) != 0) {
		ret = bad_request(c, r, err);
		goto out_ret;
	}
	if (handle_unknown(c, r, res, o, &ret) != 0)
		goto out_ret;
	pthread_mutex_lock(&cl->ks->mu);
	fill_system_meta(cl, o, res);
	pthread_mutex_unlock(&cl->ks->mu);
	name = ks_meta_str(o, "name");
	if (name == NULL)
		name = "";
	if ((causes = json_array()) == NULL)
		goto oom;
	if (kind_bad) {
		/* customResourceValidator.ValidateTypeMeta */
		char *q = schema_quote(json_string_value(json_object_get(o,
		    "kind")));

		if (q == NULL || schema_cause_add(causes, "FieldValueInvalid",
		    "kind", "Invalid value: %s: must be %s", q,
		    ks_res[res].kind) != BPG_OK) {
			free(q);
			goto oom;
		}
		free(q);
		ret = invalid(c, r, ks_res[res].kind, ks_res[res].group, name,
		    causes, NULL);
		causes = NULL;
		goto out_ret;
	}
	if (res == KS_APP)
		operator_defaults(o);
	if (meta_validate(json_object_get(o, "metadata"), causes) != BPG_OK)
		goto oom;
	if (res == KS_APP) {
		switch (schema_validate(cl->ks->schema, o, 0, &more)) {
		case BPG_OK:
			break;
		case BPG_EINVAL:
			if (json_array_extend(causes, more) != 0)
				goto oom;
			break;
		default:
			goto oom;
		}
	}
	if (json_array_size(causes) > 0) {
		ret = invalid(c, r, ks_res[res].kind, ks_res[res].group, name,
		    causes, NULL);
		causes = NULL;
		goto out_ret;
	}
	if (res == KS_APP && operator_validate(c, r, o, &ret) != 0)
		goto out_ret;
	pthread_mutex_lock(&cl->ks->mu);
	if (ks_get(cl, res, rt->ns, name) != NULL) {
		pthread_mutex_unlock(&cl->ks->mu);
		snprintf(msg, sizeof(msg), "%s \"%s\" already exists",
		    ks_res[res].qualified, name);
		ret = ks_respond_status(c, r, 409, "AlreadyExists", msg,
		    details(name, res, NULL));
		goto out_ret;
	}
	if (dry != NULL && strcmp(dry, "All") == 0) {
		pthread_mutex_unlock(&cl->ks->mu);
		ret = ks_respond_json(c, r, 201, json_incref(o));
		goto out_ret;
	}
	if (res == KS_APP && r->commit_ms > 0) {
		/* Answered now, stored later (ks_sim_commits()). */
		if (json_array_append_new(cl->pending, json_pack("{s:I, s:O}",
		    "due", (json_int_t)(ks_now_ms() + r->commit_ms), "obj",
		    o)) != 0) {
			pthread_mutex_unlock(&cl->ks->mu);
			goto oom;
		}
		pthread_cond_broadcast(&cl->ks->cv);
		pthread_mutex_unlock(&cl->ks->mu);
		r->fault = KS_F_ERROR;
		r->fault_code = r->commit_code;
		r->fault_msg[0] = '\0';
		ret = fault_respond(c, r);
		goto out_ret;
	}
	if (ks_add(cl, res, json_incref(o)) != 0) {
		pthread_mutex_unlock(&cl->ks->mu);
		goto oom;
	}
	stored = json_deep_copy(ks_get(cl, res, rt->ns, name));
	if (res == KS_APP)
		ks_sim_app_created(cl, ks_get(cl, res, rt->ns, name));
	pthread_mutex_unlock(&cl->ks->mu);
	ret = ks_respond_json(c, r, 201, stored);
	goto out_ret;
oom:
	ret = internal_error(c, r, "out of memory");
out_ret:
	json_decref(more);
	json_decref(causes);
	json_decref(o);
	return ret;
}

static enum MHD_Result
do_get(struct MHD_Connection *c, struct ks_req *r, const struct route *rt)
{
	json_t *o;

	pthread_mutex_lock(&r->cl->ks->mu);
	o = ks_get(r->cl, (enum ks_res)rt->res, rt->ns, rt->name);
	o = o ? json_deep_copy(o) : NULL;
	pthread_mutex_unlock(&r->cl->ks->mu);
	if (o == NULL)
		return not_found(c, r, (enum ks_res)rt->res, rt->name);
	return ks_respond_json(c, r, 200, o);
}

/* RFC 7386 JSON merge patch; target stolen, result new. */
static json_t *
merge_patch(json_t *target, const json_t *patch)
{
	const char *k;
	json_t *v, *sub;

	if (!json_is_object(patch)) {
		json_decref(target);
		return json_deep_copy(patch);
	}
	if (!json_is_object(target)) {
		json_decref(target);
		target = json_object();
	}
	json_object_foreach((json_t *)(uintptr_t)patch, k, v) {
		if (json_is_null(v)) {
			json_object_del(target, k);
			continue;
		}
		sub = json_object_get(target, k);
		sub = merge_patch(sub ? json_incref(sub) : NULL, v);
		json_object_set_new(target, k, sub);
	}
	return target;
}

/* RFC 6901 pointer: the parent container and the last token. */
static json_t *
jp_parent(json_t *root, const char *ptr, char *last, size_t lastlen)
{
	json_t *cur = root;
	char tok[512];
	const char *p = ptr, *slash;
	size_t i, j, n;
	char *end;

	if (*p != '/')
		return NULL;
	for (;;) {
		p++;
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		for (i = 0, j = 0; i < n && j + 1 < sizeof(tok); i++) {
			if (p[i] == '~' && i + 1 < n && p[i + 1] == '1')
				tok[j++] = '/', i++;
			else if (p[i] == '~' && i + 1 < n && p[i + 1] == '0')
				tok[j++] = '~', i++;
			else
				tok[j++] = p[i];
		}
		tok[j] = '\0';
		if (slash == NULL) {
			snprintf(last, lastlen, "%s", tok);
			return cur;
		}
		if (json_is_object(cur))
			cur = json_object_get(cur, tok);
		else if (json_is_array(cur)) {
			errno = 0;
			i = strtoul(tok, &end, 10);
			cur = (*tok && !*end && !errno) ?
			    json_array_get(cur, i) : NULL;
		} else
			cur = NULL;
		if (cur == NULL)
			return NULL;
		p = slash;
	}
}

static json_t *
jp_get(json_t *root, const char *ptr)
{
	char last[512], *end;
	json_t *parent;
	size_t i;

	if (*ptr == '\0')
		return root;
	if ((parent = jp_parent(root, ptr, last, sizeof(last))) == NULL)
		return NULL;
	if (json_is_object(parent))
		return json_object_get(parent, last);
	i = strtoul(last, &end, 10);
	return *end ? NULL : json_array_get(parent, i);
}

static int
jp_remove(json_t *root, const char *ptr)
{
	char last[512], *end;
	json_t *parent = jp_parent(root, ptr, last, sizeof(last));
	size_t i;

	if (json_is_object(parent))
		return json_object_del(parent, last);
	if (!json_is_array(parent))
		return -1;
	i = strtoul(last, &end, 10);
	return *end ? -1 : json_array_remove(parent, i);
}

/* v stolen. */
static int
jp_add(json_t *root, const char *ptr, json_t *v, int replace)
{
	char last[512], *end;
	json_t *parent = jp_parent(root, ptr, last, sizeof(last));
	size_t i;

	if (json_is_object(parent)) {
		if (replace && json_object_get(parent, last) == NULL) {
			json_decref(v);
			return -1;
		}
		return json_object_set_new(parent, last, v);
	}
	if (!json_is_array(parent)) {
		json_decref(v);
		return -1;
	}
	if (strcmp(last, "-") == 0 && !replace)
		return json_array_append_new(parent, v);
	i = strtoul(last, &end, 10);
	if (*end || *last == '\0') {
		json_decref(v);
		return -1;
	}
	if (replace)
		return json_array_set_new(parent, i, v);
	return json_array_insert_new(parent, i, v);
}

/* RFC 6902 JSON patch applied to doc in place. */
static int
json_patch(json_t *doc, const json_t *ops, char *err, size_t errlen)
{
	const json_t *op;
	const char *kind, *path, *from;
	json_t *v, *val;
	size_t i;

	if (!json_is_array(ops)) {
		snprintf(err, errlen, "json: cannot unmarshal object into Go "
		    "value of type jsonpatch.Patch");
		return -1;
	}
	json_array_foreach((json_t *)(uintptr_t)ops, i, op) {
		kind = json_string_value(json_object_get(op, "op"));
		path = json_string_value(json_object_get(op, "path"));
		from = json_string_value(json_object_get(op, "from"));
		val = json_object_get(op, "value");
		if (kind == NULL || path == NULL)
			goto bad;
		if (!strcmp(kind, "add") || !strcmp(kind, "replace")) {
			if (val == NULL || jp_add(doc, path,
			    json_deep_copy(val), kind[0] == 'r') != 0)
				goto bad;
		} else if (!strcmp(kind, "remove")) {
			if (jp_remove(doc, path) != 0)
				goto bad;
		} else if (!strcmp(kind, "test")) {
			if (val == NULL ||
			    !json_equal(jp_get(doc, path), val)) {
				snprintf(err, errlen, "testing value %s "
				    "failed: test failed", path);
				return -1;
			}
		} else if (!strcmp(kind, "move") || !strcmp(kind, "copy")) {
			if (from == NULL || (v = jp_get(doc, from)) == NULL)
				goto bad;
			v = json_deep_copy(v);
			if (kind[0] == 'm' && jp_remove(doc, from) != 0) {
				json_decref(v);
				goto bad;
			}
			if (jp_add(doc, path, v, 0) != 0)
				goto bad;
		} else
			goto bad;
	}
	return 0;
bad:
	snprintf(err, errlen, "the server rejected our request due to an "
	    "error in our request");
	return -1;
}

/*
 * Update (PUT) and patch share this path: newobj is the full object the
 * client wants (stolen).  require_rv: an update must carry
 * metadata.resourceVersion; a patch need not.
 */
static enum MHD_Result
apply_update(struct MHD_Connection *c, struct ks_req *r,
    const struct route *rt, json_t *newobj, int require_rv)
{
	struct ks_cluster *cl = r->cl;
	enum ks_res res = (enum ks_res)rt->res;
	enum MHD_Result ret;
	json_t *cur = NULL, *causes = NULL, *more = NULL, *meta, *nmeta;
	const char *bname, *brv, *crv;
	char msg[1024], why[512];
	int kind_bad, status_only = rt->sub != NULL, spec_changed;
	json_int_t gen;

	if (check_typemeta(c, r, res, rt->ns, newobj, &kind_bad, &ret) != 0)
		goto out;
	nmeta = json_object_get(newobj, "metadata");
	if (meta_maps_ok(nmeta, why, sizeof(why)) != 0) {
		snprintf(msg, sizeof(msg), "%s in version \"%s\" cannot be "
		    "handled as a %s: %s", ks_res[res].kind,
		    ks_res[res].version, ks_res[res].kind, why);
		ret = bad_request(c, r, msg);
		goto out;
	}
	bname = json_string_value(json_object_get(nmeta, "name"));
	if (bname == NULL || strcmp(bname, rt->name) != 0) {
		snprintf(msg, sizeof(msg), "the name of the object (%s) does "
		    "not match the name on the URL (%s)", bname ? bname : "",
		    rt->name);
		ret = bad_request(c, r, msg);
		goto out;
	}
	if (res == KS_SECRET && secret_prepare(newobj, why, sizeof(why))) {
		ret = bad_request(c, r, why);
		goto out;
	}
	if (handle_unknown(c, r, res, newobj, &ret) != 0)
		goto out;
	pthread_mutex_lock(&cl->ks->mu);
	cur = ks_get(cl, res, rt->ns, rt->name);
	cur = cur ? json_deep_copy(cur) : NULL;
	pthread_mutex_unlock(&cl->ks->mu);
	if (cur == NULL) {
		ret = not_found(c, r, res, rt->name);
		goto out;
	}
	meta = json_object_get(cur, "metadata");
	brv = json_string_value(json_object_get(nmeta, "resourceVersion"));
	crv = json_string_value(json_object_get(meta, "resourceVersion"));
	if (require_rv && res == KS_APP && (brv == NULL || *brv == '\0')) {
		/* Custom resources do not allow unconditional updates. */
		if ((causes = json_array()) == NULL ||
		    schema_cause_add(causes, "FieldValueInvalid",
		    "metadata.resourceVersion", "Invalid value: 0: must be "
		    "specified for an update") != BPG_OK)
			goto oom;
		ret = invalid(c, r, ks_res[res].plural, ks_res[res].group,
		    rt->name, causes, NULL);
		causes = NULL;
		goto out;
	}
	if (brv != NULL && *brv != '\0' && (crv == NULL ||
	    strcmp(brv, crv) != 0)) {
		ret = conflict_modified(c, r, res, rt->name);
		goto out;
	}
	/* Server-owned metadata stays; the status subresource splits. */
	json_object_set(nmeta, "uid", json_object_get(meta, "uid"));
	json_object_set(nmeta, "creationTimestamp", json_object_get(meta,
	    "creationTimestamp"));
	if (res == KS_APP) {
		if (status_only) {
			/* Only status comes from the request. */
			json_t *st = json_incref(json_object_get(newobj,
			    "status"));

			json_decref(newobj);
			newobj = json_deep_copy(cur);
			if (st != NULL)
				json_object_set_new(newobj, "status", st);
			else
				json_object_del(newobj, "status");
			json_object_set(json_object_get(newobj, "metadata"),
			    "resourceVersion", json_object_get(meta,
			    "resourceVersion"));
			nmeta = json_object_get(newobj, "metadata");
		} else {
			if (json_object_get(cur, "status") != NULL)
				json_object_set(newobj, "status",
				    json_object_get(cur, "status"));
			else
				json_object_del(newobj, "status");
			spec_changed = !json_equal(json_object_get(newobj,
			    "spec"), json_object_get(cur, "spec"));
			gen = json_integer_value(json_object_get(meta,
			    "generation"));
			json_object_set_new(nmeta, "generation",
			    json_integer(gen + (spec_changed ? 1 : 0)));
		}
	}
	if ((causes = json_array()) == NULL)
		goto oom;
	if (kind_bad) {
		char *q = schema_quote(json_string_value(json_object_get(newobj,
		    "kind")));

		if (q == NULL || schema_cause_add(causes, "FieldValueInvalid",
		    "kind", "Invalid value: %s: must be %s", q,
		    ks_res[res].kind) != BPG_OK) {
			free(q);
			goto oom;
		}
		free(q);
	} else {
		if (meta_validate(nmeta, causes) != BPG_OK)
			goto oom;
		if (res == KS_APP) {
			switch (schema_validate(cl->ks->schema, newobj, 0,
			    &more)) {
			case BPG_OK:
				break;
			case BPG_EINVAL:
				if (json_array_extend(causes, more) != 0)
					goto oom;
				break;
			default:
				goto oom;
			}
		}
	}
	if (json_array_size(causes) > 0) {
		ret = invalid(c, r, ks_res[res].kind, ks_res[res].group,
		    rt->name, causes, NULL);
		causes = NULL;
		goto out;
	}
	if (res == KS_APP && !status_only &&
	    operator_validate(c, r, newobj, &ret) != 0)
		goto out;
	pthread_mutex_lock(&cl->ks->mu);
	{
		json_t *now = ks_get(cl, res, rt->ns, rt->name);

		if (now == NULL) {
			pthread_mutex_unlock(&cl->ks->mu);
			ret = not_found(c, r, res, rt->name);
			goto out;
		}
		if (!json_equal(json_object_get(json_object_get(now,
		    "metadata"), "resourceVersion"), json_object_get(meta,
		    "resourceVersion"))) {
			pthread_mutex_unlock(&cl->ks->mu);
			ret = conflict_modified(c, r, res, rt->name);
			goto out;
		}
	}
	if (ks_replace(cl, res, json_incref(newobj)) != 0) {
		pthread_mutex_unlock(&cl->ks->mu);
		goto oom;
	}
	json_decref(cur);
	cur = json_deep_copy(ks_get(cl, res, rt->ns, rt->name));
	pthread_mutex_unlock(&cl->ks->mu);
	ret = ks_respond_json(c, r, 200, cur);
	cur = NULL;
	goto out;
oom:
	ret = internal_error(c, r, "out of memory");
out:
	json_decref(more);
	json_decref(causes);
	json_decref(cur);
	json_decref(newobj);
	return ret;
}

static enum MHD_Result
do_put(struct MHD_Connection *c, struct ks_req *r, const struct route *rt)
{
	enum MHD_Result ret;
	json_t *o;

	if ((o = body_object(c, r, (enum ks_res)rt->res, &ret)) == NULL)
		return ret;
	return apply_update(c, r, rt, o, 1);
}

static enum MHD_Result
do_patch(struct MHD_Connection *c, struct ks_req *r, const struct route *rt)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_TYPE);
	enum ks_res res = (enum ks_res)rt->res;
	json_t *patch, *cur;
	json_error_t je;
	char err[512];
	int merge;

	if (ct == NULL)
		ct = "";
	if (!strncmp(ct, "application/merge-patch+json", 28) ||
	    !strncmp(ct, "application/apply-patch+yaml", 28) ||
	    (res != KS_APP &&
	    !strncmp(ct, "application/strategic-merge-patch+json", 38)))
		merge = 1;
	else if (!strncmp(ct, "application/json-patch+json", 27))
		merge = 0;
	else
		return ks_respond_status(c, r, 415, "UnsupportedMediaType",
		    "the body of the request was in an unknown format - "
		    "accepted media types include: application/json-patch+json"
		    ", application/merge-patch+json, "
		    "application/apply-patch+yaml", NULL);
	if ((patch = json_loadb(r->body ? r->body : "", r->len,
	    JSON_DECODE_ANY, &je)) == NULL)
		return bad_request(c, r, je.text);
	pthread_mutex_lock(&r->cl->ks->mu);
	cur = ks_get(r->cl, res, rt->ns, rt->name);
	cur = cur ? json_deep_copy(cur) : NULL;
	pthread_mutex_unlock(&r->cl->ks->mu);
	if (cur == NULL) {
		json_decref(patch);
		return not_found(c, r, res, rt->name);
	}
	if (merge)
		cur = merge_patch(cur, patch);
	else if (json_patch(cur, patch, err, sizeof(err)) != 0) {
		json_decref(patch);
		json_decref(cur);
		return ks_respond_status(c, r, 422, "Invalid", err, NULL);
	}
	json_decref(patch);
	if (cur == NULL)
		return internal_error(c, r, "out of memory");
	/* Preconditions only if the patch itself carried a version. */
	return apply_update(c, r, rt, cur, 0);
}

static enum MHD_Result
do_delete(struct MHD_Connection *c, struct ks_req *r, const struct route *rt)
{
	struct ks_cluster *cl = r->cl;
	enum ks_res res = (enum ks_res)rt->res;
	json_t *opts = NULL, *cur, *pre, *gone = NULL, *np;
	const char *prop = ks_arg(c, "propagationPolicy"), *puid, *prv;
	const char *dry = ks_arg(c, "dryRun");
	long long grace = 30;
	char msg[1024], uid[64], now[32], propbuf[72], drybuf[16];
	size_t i;

	if (r->len > 0 && (opts = json_loadb(r->body, r->len, 0, NULL)) ==
	    NULL)
		return bad_request(c, r, "couldn't decode DeleteOptions");
	if (prop == NULL)
		prop = json_string_value(json_object_get(opts,
		    "propagationPolicy"));
	if (json_is_integer(json_object_get(opts, "gracePeriodSeconds")))
		grace = json_integer_value(json_object_get(opts,
		    "gracePeriodSeconds"));
	if (ks_arg(c, "gracePeriodSeconds") != NULL)
		(void)parse_int_arg(ks_arg(c, "gracePeriodSeconds"), &grace);
	if (dry == NULL)
		dry = json_string_value(json_array_get(json_object_get(opts,
		    "dryRun"), 0));
	/* Copies: opts goes before the last use of either. */
	if (prop != NULL) {
		snprintf(propbuf, sizeof(propbuf), "%s", prop);
		prop = propbuf;
	}
	if (dry != NULL) {
		snprintf(drybuf, sizeof(drybuf), "%s", dry);
		dry = drybuf;
	}
	if (prop != NULL && strcmp(prop, "Orphan") && strcmp(prop,
	    "Background") && strcmp(prop, "Foreground")) {
		json_decref(opts);
		snprintf(msg, sizeof(msg), "DeleteOptions.meta.k8s.io \"\" is "
		    "invalid: propagationPolicy: Unsupported value: \"%.64s\": "
		    "supported values: \"Foreground\", \"Background\", "
		    "\"Orphan\"", prop);
		return ks_respond_status(c, r, 422, "Invalid", msg, NULL);
	}
	pre = json_object_get(opts, "preconditions");
	pthread_mutex_lock(&cl->ks->mu);
	if ((cur = ks_get(cl, res, rt->ns, rt->name)) == NULL) {
		pthread_mutex_unlock(&cl->ks->mu);
		json_decref(opts);
		return not_found(c, r, res, rt->name);
	}
	puid = json_string_value(json_object_get(pre, "uid"));
	prv = json_string_value(json_object_get(pre, "resourceVersion"));
	if (puid != NULL && strcmp(puid, ks_meta_str(cur, "uid")) != 0)
		snprintf(msg, sizeof(msg), "Precondition failed: UID in "
		    "precondition: %s, UID in object meta: %s", puid,
		    ks_meta_str(cur, "uid"));
	else if (prv != NULL && strcmp(prv, ks_meta_str(cur,
	    "resourceVersion")) != 0)
		snprintf(msg, sizeof(msg), "Precondition failed: "
		    "ResourceVersion in precondition: %s, ResourceVersion in "
		    "object meta: %s", prv, ks_meta_str(cur,
		    "resourceVersion"));
	else
		msg[0] = '\0';
	json_decref(opts);
	if (msg[0] != '\0') {
		pthread_mutex_unlock(&cl->ks->mu);
		return ks_respond_status(c, r, 409, "Conflict", msg,
		    details(rt->name, res, NULL));
	}
	snprintf(uid, sizeof(uid), "%s", ks_meta_str(cur, "uid") ?
	    ks_meta_str(cur, "uid") : "");
	if (dry != NULL && strcmp(dry, "All") == 0) {
		pthread_mutex_unlock(&cl->ks->mu);
		if (res == KS_POD)
			return do_get(c, r, rt);
		return ks_respond_status(c, r, 200, NULL, NULL,
		    details(rt->name, res, uid));
	}
	if (res == KS_POD && grace > 0) {
		/* Graceful: Terminating until the kubelet's next tick. */
		np = json_deep_copy(cur);
		ks_rfc3339(now, sizeof(now), ks_wall_ms() + grace * 1000);
		json_object_set_new(json_object_get(np, "metadata"),
		    "deletionTimestamp", json_string(now));
		json_object_set_new(json_object_get(np, "metadata"),
		    "deletionGracePeriodSeconds", json_integer(grace));
		(void)ks_replace(cl, res, np);
		gone = json_deep_copy(ks_get(cl, res, rt->ns, rt->name));
		pthread_mutex_unlock(&cl->ks->mu);
		return ks_respond_json(c, r, 200, gone);
	}
	if (res == KS_APP && prop != NULL) {
		json_t *pods = ks_list(cl, KS_POD, rt->ns), *p, *ref;
		size_t j;

		json_array_foreach(pods, i, p) {
			json_array_foreach(json_object_get(json_object_get(p,
			    "metadata"), "ownerReferences"), j, ref) {
				const char *ouid = json_string_value(
				    json_object_get(ref, "uid"));

				if (ouid == NULL || strcmp(ouid, uid) != 0)
					continue;
				if (!strcmp(prop, "Foreground"))
					(void)ks_remove(cl, KS_POD, rt->ns,
					    ks_meta_str(p, "name"), NULL);
				else if (!strcmp(prop, "Orphan")) {
					np = json_deep_copy(p);
					json_object_del(json_object_get(np,
					    "metadata"), "ownerReferences");
					(void)ks_replace(cl, KS_POD, np);
				}
				break;
			}
		}
		json_decref(pods);
	}
	(void)ks_remove(cl, res, rt->ns, rt->name, &gone);
	if (res == KS_APP) {
		char *key = ks_key(rt->ns, rt->name);

		if (key != NULL)
			json_object_del(cl->opstate, key);
		free(key);
	}
	pthread_mutex_unlock(&cl->ks->mu);
	if (res == KS_POD)
		return ks_respond_json(c, r, 200, gone);
	json_decref(gone);
	return ks_respond_status(c, r, 200, NULL, NULL,
	    details(rt->name, res, uid));
}

/* ---- discovery and other fixed paths ------------------------------------- */

static json_t *
resource_list(int core)
{
	json_t *l = json_array(), *e;
	int i;

	for (i = 0; i < KS_RES__MAX; i++) {
		if ((ks_res[i].group[0] == '\0') != core)
			continue;
		e = json_pack("{s:s, s:s, s:b, s:s, s:[s, s, s, s, s, s, s]}",
		    "name", ks_res[i].plural, "singularName", "", "namespaced",
		    1, "kind", ks_res[i].kind, "verbs", "create", "delete",
		    "get", "list", "patch", "update", "watch");
		json_array_append_new(l, e);
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "kind", "APIResourceList",
	    "apiVersion", "v1", "groupVersion", core ? "v1" :
	    ks_res[KS_APP].apiversion, "resources", l);
}

static enum MHD_Result
do_special(struct MHD_Connection *c, struct ks_req *r, const struct route *rt)
{
	const char *s = rt->special;
	json_t *gv;

	if (strcmp(r->method, "GET") != 0)
		return method_not_allowed(c, r);
	if (!strcmp(s, "healthz") || !strcmp(s, "livez") ||
	    !strcmp(s, "readyz"))
		return ks_respond(c, r, 200, "text/plain", strdup("ok"), 2);
	if (!strcmp(s, "version"))
		return ks_respond_json(c, r, 200, json_pack("{s:s, s:s, s:s,"
		    " s:s, s:s, s:s, s:s, s:s, s:s}",
		    "major", "1", "minor", "30", "gitVersion", "v1.30.0",
		    "gitCommit", "kubesim", "gitTreeState", "clean",
		    "buildDate", "2024-04-17T17:27:03Z", "goVersion",
		    "go1.22.2", "compiler", "gc", "platform", "linux/amd64"));
	if (!strcmp(s, "root"))
		return ks_respond_json(c, r, 200, json_pack("{s:[s, s, s, s, s,"
		    " s]}", "paths", "/api", "/api/v1", "/apis",
		    "/apis/sparkoperator.k8s.io",
		    "/apis/sparkoperator.k8s.io/v1beta2", "/version"));
	if (!strcmp(s, "api"))
		return ks_respond_json(c, r, 200, json_pack("{s:s, s:[s],"
		    " s:[{s:s, s:s}]}", "kind", "APIVersions", "versions", "v1",
		    "serverAddressByClientCIDRs", "clientCIDR", "0.0.0.0/0",
		    "serverAddress", "127.0.0.1:6443"));
	gv = json_pack("{s:s, s:s}", "groupVersion", ks_res[KS_APP].apiversion,
	    "version", ks_res[KS_APP].version);
	if (!strcmp(s, "apis"))
		return ks_respond_json(c, r, 200, json_pack("{s:s, s:s,"
		    " s:[{s:s, s:[O], s:O}]}", "kind", "APIGroupList",
		    "apiVersion", "v1", "groups", "name", ks_res[KS_APP].group,
		    "versions", gv, "preferredVersion", gv));
	if (!strcmp(s, "group")) {
		return ks_respond_json(c, r, 200, json_pack("{s:s, s:s, s:s,"
		    " s:[o], s:O}", "kind", "APIGroup", "apiVersion", "v1",
		    "name", ks_res[KS_APP].group, "versions", gv,
		    "preferredVersion", gv));
	}
	json_decref(gv);
	if (!strcmp(s, "corev1") || !strcmp(s, "groupversion"))
		return ks_respond_json(c, r, 200, resource_list(
		    !strcmp(s, "corev1")));
	/* namespace: every namespace exists and is Active. */
	return ks_respond_json(c, r, 200, json_pack("{s:s, s:s, s:{s:s,"
	    " s:{s:s}}, s:{s:[s]}, s:{s:s}}", "kind", "Namespace",
	    "apiVersion", "v1", "metadata", "name", rt->ns, "labels",
	    "kubernetes.io/metadata.name", rt->ns, "spec", "finalizers",
	    "kubernetes", "status", "phase", "Active"));
}

/* ---- dispatch ------------------------------------------------------------ */

/*
 * How long after a "close" fault's answer the connection's next request is
 * closed unanswered: the race of a client that reuses a connection before
 * the server's close reaches it.  A request after it is served, as a
 * client that had seen the close would have sent it on a new connection.
 */
#define KS_CLOSE_RACE_MS	1000

/* Per connection: its next request before drop_until is dropped. */
struct ks_conn {
	long long	 drop_until;	/* ks_now_ms(), 0 for none */
};

static struct ks_conn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/*
 * A fault with "close": the server closes the connection after this
 * answer, but a client that sends its next request there within
 * KS_CLOSE_RACE_MS learns it only then: that request is read and the
 * connection closed unanswered.
 */
static enum MHD_Result
fault_close(struct MHD_Connection *c, struct ks_req *r, enum MHD_Result ret)
{
	struct ks_conn *kc;

	if (r->fault_close && (kc = conn_of(c)) != NULL)
		kc->drop_until = ks_now_ms() + KS_CLOSE_RACE_MS;
	return ret;
}

static enum MHD_Result serve(struct MHD_Connection *, struct ks_req *,
    const struct route *);

static enum MHD_Result
dispatch(struct MHD_Connection *c, struct ks_req *r, const char *url)
{
	struct route rt;
	int present;

	if (route_parse(url, &rt) != 0) {
		if (!auth_ok(c, r->cl->ks->token, &present))
			goto unauthorized;
		return ks_respond_status(c, r, 404, "NotFound",
		    MSG_NO_RESOURCE, json_object());
	}
	/* system:public-info-viewer: anonymous clients may read these. */
	if (!auth_ok(c, r->cl->ks->token, &present) && (present ||
	    rt.special == NULL || (strcmp(rt.special, "version") &&
	    strcmp(rt.special, "healthz") && strcmp(rt.special, "livez") &&
	    strcmp(rt.special, "readyz"))))
		goto unauthorized;
	faults_status(r->cl, r, url);
	if (r->fault >= 0 && !r->fault_commit)
		return fault_close(c, r, fault_respond(c, r));
	if (r->fault >= 0) {
		/* Carried out, then the fault answers instead. */
		r->hold = 1;
		(void)serve(c, r, &rt);
		r->hold = 0;
		return fault_close(c, r, fault_respond(c, r));
	}
	return serve(c, r, &rt);
unauthorized:
	return ks_respond_status(c, r, 401, "Unauthorized", "Unauthorized",
	    NULL);
}

/* The API proper, once the request is authenticated and not faulted. */
static enum MHD_Result
serve(struct MHD_Connection *c, struct ks_req *r, const struct route *rtp)
{
	struct route rt = *rtp;
	const char *m = r->method;
	int coll, app, pod, secret;

	if (rt.special != NULL)
		return do_special(c, r, &rt);
	coll = rt.name == NULL;
	app = rt.res == KS_APP;
	pod = rt.res == KS_POD;
	secret = rt.res == KS_SECRET;
	if (coll && !strcmp(m, "GET"))
		return do_list(c, r, &rt);
	if (coll && !strcmp(m, "POST") && rt.ns != NULL && (app || secret))
		return do_create(c, r, &rt);
	if (coll)
		return method_not_allowed(c, r);
	if (rt.sub != NULL && !strcmp(rt.sub, "log"))
		return strcmp(m, "GET") ? method_not_allowed(c, r) :
		    do_log(c, r, &rt);
	if (!strcmp(m, "GET"))
		return do_get(c, r, &rt);
	if (!strcmp(m, "PUT") && (app || secret))
		return do_put(c, r, &rt);
	if (!strcmp(m, "PATCH") && (app || secret))
		return do_patch(c, r, &rt);
	if (!strcmp(m, "DELETE") && rt.sub == NULL && (app || pod || secret))
		return do_delete(c, r, &rt);
	return method_not_allowed(c, r);
}

static enum MHD_Result
api_access(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct ks_cluster *cl = cls;
	struct ks_req *r = *con_cls;
	struct ks_conn *kc;
	enum MHD_Result ret;
	json_t *v;
	long ms;
	int drop;

	(void)version;
	if (r == NULL) {
		if ((r = ks_req_new(c, url, method, KS_MAX_BODY)) == NULL)
			return MHD_NO;
		r->cl = cl;
		*con_cls = r;
		pthread_mutex_lock(&cl->ks->mu);
		cl->st.requests++;
		v = json_object_get(cl->st.methods, r->method);
		json_object_set_new(cl->st.methods, r->method,
		    json_integer(v ? json_integer_value(v) + 1 : 1));
		drop = faults_network(cl, r, url, &ms);
		if ((kc = conn_of(c)) != NULL && kc->drop_until != 0) {
			if (!drop && ks_now_ms() <= kc->drop_until) {
				cl->st.faults[KS_F_DROP]++;
				drop = 1;
			}
			kc->drop_until = 0;
		}
		pthread_mutex_unlock(&cl->ks->mu);
		if (drop)
			return MHD_NO;	/* closes the connection unanswered */
		if (ms > 0)
			stoppable_sleep(cl->ks, ms);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		ks_req_append(r, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	faults_hold(cl, r, url);
	ret = dispatch(c, r, url);
	if (r->late_ms > 0) {
		/* The answer is queued; it leaves once this returns. */
		ms = r->late_ms;
		r->late_ms = 0;
		stoppable_sleep(cl->ks, ms);
	}
	return ret;
}

static void
api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct ks_cluster *cl = cls;
	struct ks_req *r = *con_cls;

	(void)c;
	(void)toe;
	if (r == NULL)
		return;
	if (!cl->ks->quiet)
		ks_req_log(cl->name, r);
	ks_req_free(r);
	*con_cls = NULL;
}

static void
api_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
    enum MHD_ConnectionNotificationCode toe)
{
	struct ks_cluster *cl = cls;

	(void)c;
	pthread_mutex_lock(&cl->ks->mu);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		cl->st.connections++;
		cl->st.active_connections++;
		*socket_ctx = calloc(1, sizeof(struct ks_conn));
	} else {
		cl->st.active_connections--;
		free(*socket_ctx);
		*socket_ctx = NULL;
	}
	pthread_mutex_unlock(&cl->ks->mu);
}

static void mhd_log(void *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fprintf(stderr, "kubesim: libmicrohttpd: ");
	vfprintf(stderr, fmt, ap);
}

int
ks_api_start(struct ks_cluster *cl, const char *cert, const char *key,
    char *err, size_t errlen)
{
	struct sockaddr_in sin;
	struct MHD_Daemon *d;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)cl->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG,
	    (uint16_t)cl->port, NULL, NULL, api_access, cl,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
	    MHD_OPTION_HTTPS_MEM_CERT, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key,
	    MHD_OPTION_NOTIFY_COMPLETED, api_completed, cl,
	    MHD_OPTION_NOTIFY_CONNECTION, api_connection, cl,
	    MHD_OPTION_END);
	if (d == NULL) {
		snprintf(err, errlen, "cluster %s: cannot listen on "
		    "127.0.0.1:%u", cl->name, cl->port);
		return -1;
	}
	if (cl->port == 0) {
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d,
		    MHD_DAEMON_INFO_BIND_PORT);

		if (di != NULL)
			cl->port = di->port;
	}
	cl->daemon = d;
	return 0;
}

void
ks_api_stop(struct ks_cluster *cl)
{
	if (cl->daemon != NULL)
		MHD_stop_daemon(cl->daemon);
	cl->daemon = NULL;
}
