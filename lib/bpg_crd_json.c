/*
 * The small JSON helpers the SparkApplication builder uses (bpg_crd_int.h).
 *
 * Keys and string values are set with jansson's _nocheck calls: each is a
 * literal, text of a tree jansson read (it checked the UTF-8 then), text
 * of the configuration (libyaml refuses input that is not UTF-8, and
 * escapes that are not characters), or made from those by ASCII edits
 * (the submission ID, normalized labels).  jansson's check of each again
 * was a tenth of a submission's own instructions.  The CR's writer
 * (bpg_json_dump()) still checks every string and key on the way out.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_crd_int.h"
#include "bpg_limits.h"

/*
 * Deep copy of in without JSON nulls (object members and array elements
 * that are null are left out).  *out is NULL when in is NULL or null.
 */
enum bpg_err
crd_clean_copy(const json_t *in, json_t **out)
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
			if ((e = crd_clean_copy(v, &c)) != BPG_OK) {
				json_decref(res);
				return e;
			}
			if (c != NULL &&
			    json_object_set_new_nocheck(res, k, c) != 0) {
				json_decref(res);
				return BPG_ENOMEM;
			}
		}
	} else if (json_is_array(in)) {
		if ((res = json_array()) == NULL)
			return BPG_ENOMEM;
		json_array_foreach(in, i, v) {
			if ((e = crd_clean_copy(v, &c)) != BPG_OK) {
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
int
crd_put_new(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return 0;
	return json_object_set_new_nocheck(o, k, v);
}

/* Move *v (may be NULL: nothing to set) into o[k]; *v is NULL after. */
int
crd_put_take(json_t *o, const char *k, json_t **v)
{
	json_t *x = *v;

	*v = NULL;
	return crd_put_new(o, k, x);
}

/* Set o[k] = v, a value just allocated: NULL means out of memory. */
int
crd_put_alloc(json_t *o, const char *k, json_t *v)
{
	if (v == NULL)
		return -1;
	return json_object_set_new_nocheck(o, k, v);
}

/* {k: v} and [v], taking v (released on failure): NULL means out of
 * memory.  Cheaper than json_pack(), which parses its format each time. */
json_t *
crd_obj1(const char *k, json_t *v)
{
	json_t *o;

	if (v == NULL)
		return NULL;
	if ((o = json_object()) == NULL ||
	    json_object_set_new_nocheck(o, k, v) != 0) {
		if (o == NULL)
			json_decref(v);
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
crd_arr1(json_t *v)
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
int
crd_put_str(json_t *o, const char *k, const char *v)
{
	json_t *s;

	if (v == NULL)
		return 0;
	if ((s = json_string_nocheck(v)) == NULL)
		return -1;
	return json_object_set_new_nocheck(o, k, s);
}

/* Set o[k] = copy of v (nulls removed) unless v is NULL or null. */
int
crd_put_copy(json_t *o, const char *k, const json_t *v)
{
	json_t *c;

	if (crd_clean_copy(v, &c) != BPG_OK)
		return -1;
	return crd_put_new(o, k, c);
}

/* s with every PLACEHOLDER replaced by id; new string or NULL (ENOMEM). */
size_t
crd_replace_placeholder_in(const char *s, const char *id, char *buf,
    size_t size)
{
	const size_t plen = sizeof(PLACEHOLDER) - 1, idlen = strlen(id);
	const char *p, *q;
	size_t n = 0, k;

	/* One pass: the pieces are copied while they fit, counted always. */
	for (p = s; ; p = q + plen) {
		q = strstr(p, PLACEHOLDER);
		k = q != NULL ? (size_t)(q - p) : strlen(p);
		if (n + k < size)
			memcpy(buf + n, p, k);
		n += k;
		if (q == NULL)
			break;
		if (n + idlen < size)
			memcpy(buf + n, id, idlen);
		n += idlen;
	}
	if (n < size)
		buf[n] = '\0';
	return n;
}

char *
crd_replace_placeholder(const char *s, const char *id)
{
	size_t len = crd_replace_placeholder_in(s, id, NULL, 0);
	char *out;

	if ((out = malloc(len + 1)) != NULL)
		(void)crd_replace_placeholder_in(s, id, out, len + 1);
	return out;
}

/* o[k] = v with the placeholder replaced. */
int
crd_put_replaced(json_t *o, const char *k, const char *v, const char *id)
{
	char *r;
	int rc;

	if ((r = crd_replace_placeholder(v, id)) == NULL)
		return -1;
	rc = crd_put_str(o, k, r);
	free(r);
	return rc;
}

bool
crd_strlist_has_icase(const struct bpg_strlist *l, const char *s)
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
const char *
crd_req_conf(const struct bpg_submit_req *req, const char *key)
{
	return json_string_value(json_object_get(req->spark_conf, key));
}

static bool
has_null(const json_t *v, int depth)
{
	const char *k;
	json_t *el;
	size_t i;

	if (depth > BPG_MAX_DEPTH + 8)
		return true;	/* let the copy decide */
	switch (json_typeof(v)) {
	case JSON_NULL:
		return true;
	case JSON_OBJECT:
		json_object_foreach((json_t *)(uintptr_t)v, k, el)
			if (has_null(el, depth + 1))
				return true;
		return false;
	case JSON_ARRAY:
		json_array_foreach(v, i, el)
			if (has_null(el, depth + 1))
				return true;
		return false;
	default:
		return false;
	}
}

bool
crd_has_null(const json_t *v)
{
	return has_null(v, 0);
}
