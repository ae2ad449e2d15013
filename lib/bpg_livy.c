/*
 * Livy batch bodies into SubmitApplicationRequests, states into Livy's
 * batch states, log windows (bpg_livy.h).
 *
 * The body's fields are Livy's REST API "Batch" request: file (required),
 * proxyUser, className, args, jars, pyFiles, files, driverMemory,
 * driverCores, executorMemory, executorCores, numExecutors, archives,
 * queue, name, conf.  Each is a row of the table below; the translation
 * is a table too, so README's mapping table and the code say one thing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_limits.h"
#include "bpg_livy.h"

/* ---- the body ------------------------------------------------------- */

enum ftype { F_STR, F_STRLIST, F_INT, F_MEM, F_CONF };

/* Where a field goes: a top-level key, or a key of an object in it. */
static const struct field {
	const char *name;
	enum ftype type;
	const char *obj;	/* NULL: top level */
	const char *key;	/* NULL: not copied here (file, conf, ...) */
} fields[] = {
	{ "file", F_STR, NULL, "mainApplicationFile" },
	{ "proxyUser", F_STR, NULL, NULL },
	{ "className", F_STR, NULL, "mainClass" },
	{ "args", F_STRLIST, NULL, "arguments" },
	{ "jars", F_STRLIST, "deps", "jars" },
	{ "pyFiles", F_STRLIST, "deps", "pyFiles" },
	{ "files", F_STRLIST, "deps", "files" },
	{ "archives", F_STRLIST, "deps", "archives" },
	{ "driverMemory", F_MEM, "driver", "memory" },
	{ "driverCores", F_INT, "driver", "cores" },
	{ "executorMemory", F_MEM, "executor", "memory" },
	{ "executorCores", F_INT, "executor", "cores" },
	{ "numExecutors", F_INT, "executor", "instances" },
	{ "queue", F_STR, NULL, "queue" },
	{ "name", F_STR, NULL, "applicationName" },
	{ "conf", F_CONF, NULL, NULL },
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))
#define ECHO 64

static const struct field *
field_of(const char *name)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

static enum bpg_err
bad_type(struct bpg_errinfo *ei, const char *name, const char *want,
    const json_t *v)
{
	return bpg_errf(ei, BPG_EINVAL, "Invalid batch request: \"%s\" must "
	    "be %s, found %s", name, want, type_name(v));
}

bool
bpg_livy_memory(const char *s, char *out, size_t size)
{
	size_t nd = strspn(s, "0123456789"), i;
	const char *u = s + nd;
	char unit;

	/* Spark's JavaUtils.byteStringAs units; none is MiB for memory. */
	if (nd == 0 || nd > 9)
		return false;
	for (i = 0; i < nd && s[i] == '0'; i++)
		;
	if (i == nd)
		return false;	/* zero */
	if (*u == '\0')
		unit = 'm';
	else {
		unit = (char)tolower((unsigned char)*u);
		if (strchr("kmgtp", unit) == NULL)
			return false;
		u++;
		if (*u == 'b' || *u == 'B')
			u++;
		if (*u != '\0')
			return false;
	}
	return (size_t)snprintf(out, size, "%.*s%c", (int)(nd - i), s + i,
	    unit) < size;
}

/* o[key] of the object o[obj], made on first use. */
static json_t *
sub_object(json_t *o, const char *obj)
{
	json_t *v;

	if (obj == NULL)
		return o;
	if ((v = json_object_get(o, obj)) != NULL)
		return v;
	if ((v = json_object()) == NULL || json_object_set_new(o, obj, v) != 0)
		return NULL;
	return v;
}

static enum bpg_err
check_strlist(const char *name, const json_t *v, struct bpg_errinfo *ei)
{
	const json_t *x;
	size_t i;

	if (!json_is_array(v))
		return bad_type(ei, name, "an array of strings", v);
	if (json_array_size(v) > BPG_MAX_ENTRIES)
		return bpg_errf(ei, BPG_ETOOBIG, "Invalid batch request: "
		    "\"%s\" has more than %d entries", name, BPG_MAX_ENTRIES);
	json_array_foreach(v, i, x)
		if (!json_is_string(x))
			return bpg_errf(ei, BPG_EINVAL, "Invalid batch request: "
			    "\"%s\"[%zu] must be a string, found %s", name, i,
			    type_name(x));
	return BPG_OK;
}

/*
 * conf into sparkConf: string values, and integers and booleans as their
 * text (Livy's Map[String, String] takes them so); the version key taken
 * out into *version (borrowed from conf).
 */
static enum bpg_err
put_conf(json_t *req, json_t *conf, const char **version,
    struct bpg_errinfo *ei)
{
	char key[ECHO * 4 + 8], num[32];
	const char *k;
	json_t *sc, *x, *s;

	if (!json_is_object(conf))
		return bad_type(ei, "conf", "an object of strings", conf);
	if (json_object_size(conf) > BPG_MAX_ENTRIES)
		return bpg_errf(ei, BPG_ETOOBIG, "Invalid batch request: "
		    "\"conf\" has more than %d entries", BPG_MAX_ENTRIES);
	if ((sc = json_object()) == NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	json_object_foreach(conf, k, x) {
		if (json_is_string(x))
			s = json_copy(x);
		else if (json_is_integer(x)) {
			snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(x));
			s = json_string(num);
		} else if (json_is_boolean(x))
			s = json_string(json_is_true(x) ? "true" : "false");
		else {
			json_decref(sc);
			bpg_echo(key, sizeof(key), k, ECHO);
			return bpg_errf(ei, BPG_EINVAL, "Invalid batch request: "
			    "\"conf\".\"%s\" must be a string, found %s", key,
			    type_name(x));
		}
		if (strcmp(k, BPG_LIVY_VERSION_CONF) == 0) {
			if (!json_is_string(x)) {
				json_decref(s);
				json_decref(sc);
				return bad_type(ei, "conf." BPG_LIVY_VERSION_CONF,
				    "a string", x);
			}
			json_decref(s);
			*version = json_string_value(x);
			continue;
		}
		if (s == NULL || json_object_set_new(sc, k, s) != 0) {
			json_decref(sc);
			return bpg_errf(ei, BPG_ENOMEM, "out of memory");
		}
	}
	if (json_object_size(sc) == 0) {
		json_decref(sc);
		return BPG_OK;
	}
	if (json_object_set_new(req, "sparkConf", sc) != 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

/* One field of the body into req. */
static enum bpg_err
put_field(json_t *req, const struct field *f, json_t *v,
    struct bpg_errinfo *ei)
{
	char mem[32], esc[ECHO * 4 + 8];
	json_t *o, *copy;
	enum bpg_err e;

	if (f->key == NULL && f->type == F_STR) {
		/* proxyUser: checked here, taken by the caller. */
		if (!json_is_string(v))
			return bad_type(ei, f->name, "a string", v);
		if (json_string_length(v) > BPG_MAX_STRING)
			return bpg_errf(ei, BPG_ETOOBIG, "Invalid batch request: "
			    "\"%s\" is longer than %d bytes", f->name,
			    BPG_MAX_STRING);
		return BPG_OK;
	}
	switch (f->type) {
	case F_STR:
		if (!json_is_string(v))
			return bad_type(ei, f->name, "a string", v);
		if (json_string_length(v) > BPG_MAX_STRING)
			return bpg_errf(ei, BPG_ETOOBIG, "Invalid batch request: "
			    "\"%s\" is longer than %d bytes", f->name,
			    BPG_MAX_STRING);
		copy = json_copy(v);
		break;
	case F_STRLIST:
		if ((e = check_strlist(f->name, v, ei)) != BPG_OK)
			return e;
		copy = json_deep_copy(v);
		break;
	case F_INT:
		if (!json_is_integer(v))
			return bad_type(ei, f->name, "an integer", v);
		if (json_integer_value(v) < 1 ||
		    json_integer_value(v) > INT32_MAX)
			return bpg_errf(ei, BPG_EINVAL, "Invalid batch request: "
			    "\"%s\" must be between 1 and %d", f->name,
			    INT32_MAX);
		copy = json_integer(json_integer_value(v));
		break;
	case F_MEM:
		if (!json_is_string(v))
			return bad_type(ei, f->name, "a string", v);
		if (!bpg_livy_memory(json_string_value(v), mem, sizeof(mem))) {
			bpg_echo(esc, sizeof(esc), json_string_value(v), ECHO);
			return bpg_errf(ei, BPG_EINVAL, "Invalid batch request: "
			    "\"%s\" is \"%s\", not a size such as \"4g\" or "
			    "\"512m\"", f->name, esc);
		}
		copy = json_string(mem);
		break;
	default:
		return BPG_OK;
	}
	if (copy == NULL || (o = sub_object(req, f->obj)) == NULL ||
	    json_object_set_new(o, f->key, copy) != 0)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return BPG_OK;
}

/* Python for a .py file, R for .r/.R, Java (Scala too) for the rest. */
static const char *
type_of(const char *file)
{
	size_t n = strlen(file);
	const char *slash = strrchr(file, '/'), *q;

	/* Before a query or fragment of a URL. */
	if ((q = strpbrk(slash != NULL ? slash : file, "?#")) != NULL)
		n = (size_t)(q - file);
	if (n >= 3 && strncasecmp(file + n - 3, ".py", 3) == 0)
		return "Python";
	if (n >= 2 && strncasecmp(file + n - 2, ".r", 2) == 0)
		return "R";
	return "Java";
}

enum bpg_err
bpg_livy_translate(const char *body, size_t len, const char *default_version,
    json_t **request, char **proxy_user, struct bpg_errinfo *ei)
{
	json_t *doc = NULL, *req = NULL, *v;
	json_error_t jerr;
	const struct field *f;
	const char *k, *version = default_version, *file;
	char esc[ECHO * 4 + 8];
	enum bpg_err e;

	*request = NULL;
	*proxy_user = NULL;
	if (len > BPG_MAX_BODY)
		return bpg_errf(ei, BPG_ETOOBIG, "Invalid batch request: larger "
		    "than %d bytes", BPG_MAX_BODY);
	if (body == NULL || len == 0)
		return bpg_errf(ei, BPG_EINVAL, "Invalid batch request: empty "
		    "body");
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		bpg_echo(esc, sizeof(esc), jerr.text, ECHO * 2);
		return bpg_errf(ei, BPG_EINVAL, "Invalid batch request: not "
		    "JSON: %s at line %d column %d", esc, jerr.line,
		    jerr.column);
	}
	if (!json_is_object(doc)) {
		e = bad_type(ei, "the body", "an object", doc);
		goto fail;
	}
	if ((req = json_object()) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}
	json_object_foreach(doc, k, v) {
		if ((f = field_of(k)) == NULL) {
			bpg_echo(esc, sizeof(esc), k, ECHO);
			e = bpg_errf(ei, BPG_EINVAL, "Invalid batch request: "
			    "unknown field \"%s\"", esc);
			goto fail;
		}
		/* A JSON null is an absent field, as in Livy. */
		if (json_is_null(v))
			continue;
		if (f->type == F_CONF)
			e = put_conf(req, v, &version, ei);
		else
			e = put_field(req, f, v, ei);
		if (e != BPG_OK)
			goto fail;
	}
	if ((v = json_object_get(doc, "file")) == NULL || json_is_null(v) ||
	    json_string_length(v) == 0) {
		e = bpg_errf(ei, BPG_EINVAL, "Invalid batch request: \"file\" "
		    "is required");
		goto fail;
	}
	file = json_string_value(v);
	if (json_object_set_new(req, "type", json_string(type_of(file))) !=
	    0 || (version != NULL && version[0] != '\0' &&
	    json_object_set_new(req, "sparkVersion", json_string(version)) !=
	    0)) {
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}
	if ((v = json_object_get(doc, "proxyUser")) != NULL &&
	    json_is_string(v) &&
	    (*proxy_user = strdup(json_string_value(v))) == NULL) {
		e = bpg_errf(ei, BPG_ENOMEM, "out of memory");
		goto fail;
	}
	json_decref(doc);
	*request = req;
	return BPG_OK;
fail:
	json_decref(req);
	json_decref(doc);
	return e;
}

/* ---- states --------------------------------------------------------- */

/*
 * Ours -> Livy's (README "Livy batch states").  Terminal states of ours
 * map onto Livy's terminal ones only; FAILED is dead, never success.
 */
static const struct {
	const char *ours;
	const char *livy;
	bool terminal;
} states[] = {
	{ "", "starting", false },
	{ "SUBMITTED", "starting", false },
	{ "PENDING_RERUN", "starting", false },
	{ "INVALIDATING", "starting", false },
	{ "RUNNING", "running", false },
	{ "UNKNOWN", "running", false },
	{ "SUCCEEDING", "shutting_down", false },
	{ "FAILING", "shutting_down", false },
	{ "COMPLETED", "success", true },
	{ "FAILED", "dead", true },
	{ "LOST", "dead", true },
	{ "SUBMISSION_FAILED", "error", true },
	{ "FAILED_SUBMISSION", "error", true },
	/* A submission waiting for its dependencies (dependsOn). */
	{ "WAITING", "starting", false },
	{ "DEPENDENCY_FAILED", "dead", true },
	{ "CANCELLED", "killed", true },
};

#define NSTATES (sizeof(states) / sizeof(states[0]))

const char *
bpg_livy_state(const char *state)
{
	size_t i;

	if (state == NULL)
		state = "";
	for (i = 0; i < NSTATES; i++)
		if (strcasecmp(state, states[i].ours) == 0)
			return states[i].livy;
	return "starting";
}

const char *
bpg_livy_batch_state(const char *state, bool deleted)
{
	const char *livy = bpg_livy_state(state);

	if (!deleted || (bpg_livy_app_terminal(state) &&
	    (state == NULL || strcasecmp(state, "LOST") != 0)))
		return livy;
	return "killed";
}

bool
bpg_livy_app_terminal(const char *state)
{
	size_t i;

	for (i = 0; state != NULL && i < NSTATES; i++)
		if (strcasecmp(state, states[i].ours) == 0)
			return states[i].terminal;
	return false;
}

bool
bpg_livy_state_terminal(const char *s)
{
	return s != NULL && (strcmp(s, "success") == 0 ||
	    strcmp(s, "dead") == 0 || strcmp(s, "killed") == 0 ||
	    strcmp(s, "error") == 0);
}

/* ---- log windows ---------------------------------------------------- */

void
bpg_livy_log_init(struct bpg_livy_log *l, int64_t from, int64_t size)
{
	memset(l, 0, sizeof(*l));
	if (size < 0)
		size = 0;
	if (size > BPG_LIVY_LOG_MAX_SIZE)
		size = BPG_LIVY_LOG_MAX_SIZE;
	l->from = from;
	l->size = size;
}

/* The line in part is complete: keep it if the window wants it. */
static int
line_done(struct bpg_livy_log *l)
{
	int64_t n = l->total++;
	size_t slot;
	char *s;

	if (l->plen > 0 && l->part[l->plen - 1] == '\r')
		l->plen--;
	l->cut = false;
	if (l->size == 0 || (l->from >= 0 && (n < l->from ||
	    n >= l->from + l->size)))
		goto out;
	if (l->ring == NULL &&
	    (l->ring = calloc((size_t)l->size, sizeof(*l->ring))) == NULL)
		goto oom;
	if ((s = malloc(l->plen + 1)) == NULL)
		goto oom;
	memcpy(s, l->part != NULL ? l->part : "", l->plen);
	s[l->plen] = '\0';
	/* The tail keeps the last size lines in a ring. */
	slot = (size_t)(l->from >= 0 ? n - l->from : n % l->size);
	free(l->ring[slot]);
	l->ring[slot] = s;
	if (l->nring < (size_t)l->size)
		l->nring++;
out:
	l->plen = 0;
	return 0;
oom:
	l->oom = true;
	l->plen = 0;
	return -1;
}

int
bpg_livy_log_feed(struct bpg_livy_log *l, const char *p, size_t n)
{
	const char *nl;
	size_t k, room;
	char *np;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		room = BPG_LIVY_LOG_MAX_LINE - l->plen;
		if (!l->cut && k > 0) {
			size_t take = k < room ? k : room;

			if (take > 0 && l->plen + take > l->pcap) {
				size_t cap = l->pcap ? l->pcap : 128;

				while (cap < l->plen + take)
					cap *= 2;
				if (cap > BPG_LIVY_LOG_MAX_LINE)
					cap = BPG_LIVY_LOG_MAX_LINE;
				if ((np = realloc(l->part, cap)) == NULL) {
					l->oom = true;
					return -1;
				}
				l->part = np;
				l->pcap = cap;
			}
			if (take > 0)
				memcpy(l->part + l->plen, p, take);
			l->plen += take;
			if (take < k)
				l->cut = true;
		}
		if (nl == NULL)
			break;
		if (line_done(l) != 0)
			return -1;
		p = nl + 1;
		n -= k + 1;
	}
	return 0;
}

int
bpg_livy_log_end(struct bpg_livy_log *l)
{
	if (l->plen == 0 && !l->cut)
		return 0;
	return line_done(l);
}

/* A line as a JSON string: bytes of a line not UTF-8 above 0x7f '?'. */
static json_t *
line_string(const char *s)
{
	json_t *v;
	char *c, *p;

	if ((v = json_string(s)) != NULL)
		return v;
	if ((c = strdup(s)) == NULL)
		return NULL;
	for (p = c; *p != '\0'; p++)
		if ((unsigned char)*p > 0x7f)
			*p = '?';
	v = json_string(c);
	free(c);
	return v;
}

json_t *
bpg_livy_log_lines(const struct bpg_livy_log *l, int64_t *from)
{
	json_t *a;
	size_t i, start = 0;

	if ((a = json_array()) == NULL)
		return NULL;
	if (l->from >= 0)
		*from = l->from;
	else {
		*from = l->total - (int64_t)l->nring;
		/* The oldest kept line of a full ring is the next slot. */
		if (l->nring == (size_t)l->size && l->size > 0)
			start = (size_t)(l->total % l->size);
	}
	for (i = 0; i < l->nring; i++) {
		const char *s = l->ring[(start + i) % (l->nring ? l->nring :
		    1)];

		if (json_array_append_new(a, line_string(s)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

void
bpg_livy_log_free(struct bpg_livy_log *l)
{
	size_t i;

	if (l->ring != NULL)
		for (i = 0; i < (size_t)l->size; i++)
			free(l->ring[i]);
	free(l->ring);
	free(l->part);
	memset(l, 0, sizeof(*l));
}
