/*
 * Queue tokens (bpg-reference section 8.3).
 *
 * libjwt 1.10 checks the HMAC; everything around it is done here because
 * libjwt neither enforces the time claims nor reports why a token failed,
 * and BPG's clients see the Java library's reason in the message
 * ("Queue token is not valid: <reason>. ...").  The checks run in the
 * Java library's order: structure (three parts, JSON header and payload,
 * numeric date claims), algorithm, signature, time claims.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jwt.h>

#include "bpg_jwt.h"

#define TOKEN_INVALID_FMT "Queue token is not valid: %s. Please provide a " \
	"valid queue token, or contact service support."
#define TOKEN_HINT ". Please provide a valid queue token, or contact " \
	"service support."

/* How much of a decoded header or payload a message may repeat. */
#define ECHO_MAX 64

/*
 * Printable ASCII copy of s[0..len) for a message: other bytes become
 * \xNN, and the copy stops at max input bytes with "..." appended.
 */
static void
escape_n(char *out, size_t outsz, const char *s, size_t len, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	unsigned char c;

	if (outsz == 0)
		return;
	for (i = 0; i < len && i < max; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	if (i < len && o + 3 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/* base64url (RFC 4648 section 5), padding optional.  -1 for a bad byte. */
static int
b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decode s[0..len) into a new NUL-terminated buffer.  BPG_EINVAL for a
 * byte outside the alphabet or a dangling 6-bit group, BPG_ENOMEM.
 */
static enum bpg_err
b64url_decode(const char *s, size_t len, char **out, size_t *outlen)
{
	unsigned char *buf;
	uint32_t acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	*out = NULL;
	*outlen = 0;
	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return BPG_EINVAL;
	if ((buf = malloc(len / 4 * 3 + 3)) == NULL)
		return BPG_ENOMEM;
	for (i = 0; i < len; i++) {
		if ((v = b64url_val((unsigned char)s[i])) < 0) {
			free(buf);
			return BPG_EINVAL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	buf[o] = '\0';
	*out = (char *)buf;
	*outlen = o;
	return BPG_OK;
}

/* The parts of a token and what was learnt from them. */
struct token {
	const char *part[3];
	size_t partlen[3];
	json_t *header;
	json_t *payload;
	bool has_exp, has_nbf, has_iat;
	double exp, nbf, iat;
};

static void
token_clear(struct token *t)
{
	json_decref(t->header);
	json_decref(t->payload);
	memset(t, 0, sizeof(*t));
}

/*
 * Parts of s the way Java's String.split("\\.") counts them (trailing
 * empty strings dropped, no separator at all gives one part), with the
 * Java library's special case of "a.b." (an empty signature) being three
 * parts.
 */
static size_t
java_split(const char *s, struct token *t)
{
	const char *p = s, *dot;
	size_t total = 0, keep = 0, len;

	for (;;) {
		dot = strchr(p, '.');
		len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (total < 3) {
			t->part[total] = p;
			t->partlen[total] = len;
		}
		total++;
		if (len > 0)
			keep = total;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	if (total == 1)
		return 1;
	if (keep == 2 && s[strlen(s) - 1] == '.')
		return 3;	/* piece 2 is the empty signature */
	return keep;
}

/* Decode one part as a JSON object, or write the Java library's reason. */
static enum bpg_err
part_json(const char *p, size_t len, json_t **out, char *why, size_t whysz)
{
	char *text = NULL, esc[ECHO_MAX * 4 + 8];
	size_t tlen;
	enum bpg_err e;

	*out = NULL;
	e = b64url_decode(p, len, &text, &tlen);
	if (e == BPG_ENOMEM)
		return e;
	/* Duplicate members are refused: libjwt reads the same bytes, and
	 * two readers must never disagree on what a token grants. */
	if (e == BPG_OK && strlen(text) == tlen)
		*out = json_loadb(text, tlen, JSON_REJECT_DUPLICATES, NULL);
	if (*out != NULL && json_is_object(*out)) {
		free(text);
		return BPG_OK;
	}
	json_decref(*out);
	*out = NULL;
	if (text != NULL)
		escape_n(esc, sizeof(esc), text, tlen, ECHO_MAX);
	else
		escape_n(esc, sizeof(esc), p, len, ECHO_MAX);
	snprintf(why, whysz, "The string '%s' doesn't have a valid JSON format",
	    esc);
	free(text);
	return BPG_EINVAL;
}

/* A numeric date claim; false (with a reason) if present but not one. */
static bool
date_claim(const json_t *payload, const char *name, bool *has, double *v,
    char *why, size_t whysz)
{
	const json_t *c = json_object_get(payload, name);

	*has = false;
	if (c == NULL || json_is_null(c))
		return true;
	if (!json_is_number(c) || !isfinite(json_number_value(c)) ||
	    fabs(json_number_value(c)) > 9.2e15) {
		snprintf(why, whysz, "The claim '%s' contained a non-numeric "
		    "date value", name);
		return false;
	}
	*has = true;
	*v = floor(json_number_value(c));
	return true;
}

/*
 * Everything that does not depend on the secret: the three parts, JSON
 * header and payload, numeric date claims, alg HS256.  BPG_EINVAL with the
 * reason in why, BPG_ENOMEM.
 */
static enum bpg_err
token_parse(const char *s, struct token *t, char *why, size_t whysz)
{
	const json_t *alg, *typ;
	char esc[ECHO_MAX * 4 + 8];
	size_t nparts;
	enum bpg_err e;

	memset(t, 0, sizeof(*t));
	if (strlen(s) > BPG_JWT_MAX_TOKEN) {
		snprintf(why, whysz, "The token is longer than %d characters",
		    BPG_JWT_MAX_TOKEN);
		return BPG_EINVAL;
	}
	nparts = java_split(s, t);
	if (nparts != 3) {
		snprintf(why, whysz, "The token was expected to have 3 parts, "
		    "but got %zu", nparts);
		return BPG_EINVAL;
	}
	if ((e = part_json(t->part[0], t->partlen[0], &t->header, why,
	    whysz)) != BPG_OK)
		return e;
	if ((e = part_json(t->part[1], t->partlen[1], &t->payload, why,
	    whysz)) != BPG_OK)
		return e;
	if (!date_claim(t->payload, "exp", &t->has_exp, &t->exp, why, whysz) ||
	    !date_claim(t->payload, "nbf", &t->has_nbf, &t->nbf, why, whysz) ||
	    !date_claim(t->payload, "iat", &t->has_iat, &t->iat, why, whysz))
		return BPG_EINVAL;
	alg = json_object_get(t->header, "alg");
	if (!json_is_string(alg) || strcmp(json_string_value(alg), "HS256")) {
		snprintf(why, whysz, "The provided Algorithm doesn't match the "
		    "one defined in the JWT's Header");
		return BPG_EINVAL;
	}
	/*
	 * XXX: libjwt 1.10 refuses a string "typ" other than "JWT" (any
	 * case), which the Java library ignores.  Say so rather than
	 * blaming the signature.
	 */
	typ = json_object_get(t->header, "typ");
	if (json_is_string(typ) && strcasecmp(json_string_value(typ), "JWT")) {
		escape_n(esc, sizeof(esc), json_string_value(typ),
		    strlen(json_string_value(typ)), ECHO_MAX);
		snprintf(why, whysz, "The token's header has typ \"%s\"; only "
		    "\"JWT\" is supported", esc);
		return BPG_EINVAL;
	}
	return BPG_OK;
}

/* java.util.Date.toString() of t seconds, in UTC. */
static void
java_date(char *out, size_t outsz, double t)
{
	static const char *const wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mo[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL) {
		snprintf(out, outsz, "%.0f", t);
		return;
	}
	snprintf(out, outsz, "%s %s %02d %02d:%02d:%02d UTC %d",
	    wd[tm.tm_wday % 7], mo[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

/* Time claims at now, no leeway (RFC 7519 sections 4.1.4-4.1.6). */
static bool
token_times(const struct token *t, time_t now, char *why, size_t whysz)
{
	char d[64];

	if (t->has_exp && (double)now >= t->exp) {
		java_date(d, sizeof(d), t->exp);
		snprintf(why, whysz, "The Token has expired on %s", d);
		return false;
	}
	if (t->has_nbf && t->nbf > (double)now) {
		java_date(d, sizeof(d), t->nbf);
		snprintf(why, whysz, "The Token can't be used before %s", d);
		return false;
	}
	if (t->has_iat && t->iat > (double)now) {
		java_date(d, sizeof(d), t->iat);
		snprintf(why, whysz, "The Token can't be used before %s", d);
		return false;
	}
	return true;
}

enum bpg_err
bpg_jwt_verify(const char *token, char *const *secrets, size_t n,
    time_t now, json_t **claims, struct bpg_errinfo *ei)
{
	struct token t;
	char why[384] = "";
	enum bpg_err perr, last = BPG_ECONFIG;
	jwt_t *j;
	size_t i, klen;
	int r;

	if (claims != NULL)
		*claims = NULL;
	if (token == NULL)
		token = "";
	perr = token_parse(token, &t, why, sizeof(why));
	if (perr == BPG_ENOMEM) {
		token_clear(&t);
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		if (secrets == NULL || secrets[i] == NULL ||
		    (klen = strlen(secrets[i])) == 0 || klen > INT_MAX) {
			/* The Java HMAC refuses an empty key: not a token
			 * problem. */
			last = BPG_ECONFIG;
			continue;
		}
		if (perr != BPG_OK) {
			last = BPG_EINVAL;
			continue;
		}
		j = NULL;
		r = jwt_decode(&j, token, (const unsigned char *)secrets[i],
		    (int)klen);
		if (r == ENOMEM) {
			last = BPG_ENOMEM;
			continue;
		}
		if (r != 0 || j == NULL || jwt_get_alg(j) != JWT_ALG_HS256) {
			jwt_free(j);
			snprintf(why, sizeof(why), "The Token's Signature "
			    "resulted invalid when verified using the "
			    "Algorithm: HmacSHA256");
			last = BPG_EINVAL;
			continue;
		}
		jwt_free(j);
		if (!token_times(&t, now, why, sizeof(why))) {
			last = BPG_EINVAL;
			continue;
		}
		if (claims != NULL)
			*claims = json_incref(t.payload);
		token_clear(&t);
		return BPG_OK;
	}
	token_clear(&t);
	if (last == BPG_EINVAL)
		return bpg_errf(ei, BPG_EINVAL, TOKEN_INVALID_FMT, why);
	if (last == BPG_ENOMEM)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	return bpg_errf(ei, BPG_ECONFIG, "Server failed to verify queue token. "
	    "Please contact service support.");
}

/*
 * The issuer as the Java library reads it: text of a scalar, "" for an
 * object or array, NULL when absent or null.
 */
static const char *
issuer_text(const json_t *iss, char *buf, size_t bufsz)
{
	if (iss == NULL || json_is_null(iss))
		return NULL;
	if (json_is_string(iss))
		return json_string_value(iss);
	if (json_is_integer(iss)) {
		snprintf(buf, bufsz, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(iss));
		return buf;
	}
	if (json_is_real(iss)) {
		snprintf(buf, bufsz, "%.17g", json_real_value(iss));
		return buf;
	}
	if (json_is_boolean(iss))
		return json_is_true(iss) ? "true" : "false";
	return "";
}

enum bpg_err
bpg_jwt_check_queue(const char *token, char *const *secrets, size_t n,
    const char *queue, time_t now, struct bpg_errinfo *ei)
{
	json_t *claims = NULL;
	const json_t *aq, *v;
	const char *iss;
	char buf[64], esc[ECHO_MAX * 4 + 8];
	enum bpg_err e;
	size_t i;
	bool found = false;

	if ((e = bpg_jwt_verify(token, secrets, n, now, &claims, ei)) !=
	    BPG_OK)
		return e;
	iss = issuer_text(json_object_get(claims, "iss"), buf, sizeof(buf));
	if (iss == NULL || iss[0] == '\0') {
		e = bpg_errf(ei, BPG_EINVAL, TOKEN_INVALID_FMT, "no issuer");
		goto out;
	}
	if (strcasecmp(iss, "admin") != 0 && strcasecmp(iss, "airflow") != 0) {
		escape_n(esc, sizeof(esc), iss, strlen(iss), ECHO_MAX);
		e = bpg_errf(ei, BPG_EINVAL, "Queue token is not valid due to "
		    "unsupported issuer: %s" TOKEN_HINT, esc);
		goto out;
	}
	aq = json_object_get(claims, "allowedQueues");
	if (aq == NULL || json_is_null(aq)) {
		e = bpg_errf(ei, BPG_EINVAL, "Queue token is not valid due to "
		    "no claim: allowedQueues" TOKEN_HINT);
		goto out;
	}
	if (!json_is_array(aq) || json_array_size(aq) == 0) {
		e = bpg_errf(ei, BPG_EINVAL, "Queue token has no allowed "
		    "queues" TOKEN_HINT);
		goto out;
	}
	json_array_foreach(aq, i, v) {
		if (queue != NULL && json_is_string(v) &&
		    strcmp(json_string_value(v), queue) == 0) {
			found = true;
			break;
		}
	}
	if (!found) {
		e = bpg_errf(ei, BPG_EINVAL, "Queue token does not allow queue "
		    "%s" TOKEN_HINT, queue ? queue : "null");
		goto out;
	}
	e = BPG_OK;
out:
	json_decref(claims);
	return e;
}

enum bpg_err
bpg_jwt_make(const char *secret, const char *issuer, const char *subject,
    const char *const *queues, size_t n, int64_t exp, char **out)
{
	jwt_t *j = NULL;
	json_t *grants = NULL, *arr;
	char *text = NULL;
	enum bpg_err e = BPG_ENOMEM;
	size_t i, klen;

	*out = NULL;
	if (secret == NULL || (klen = strlen(secret)) == 0 || klen > INT_MAX)
		return BPG_EINVAL;
	if ((grants = json_object()) == NULL ||
	    (arr = json_array()) == NULL ||
	    json_object_set_new(grants, "allowedQueues", arr) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (queues[i] == NULL ||
		    json_array_append_new(arr, json_string(queues[i])) != 0) {
			e = queues[i] == NULL ? BPG_EINVAL : BPG_ENOMEM;
			goto out;
		}
	if (issuer != NULL &&
	    json_object_set_new(grants, "iss", json_string(issuer)) != 0)
		goto out;
	if (subject != NULL &&
	    json_object_set_new(grants, "sub", json_string(subject)) != 0)
		goto out;
	if (exp != 0 &&
	    json_object_set_new(grants, "exp", json_integer(exp)) != 0)
		goto out;
	if ((text = json_dumps(grants, JSON_COMPACT)) == NULL)
		goto out;
	if (jwt_new(&j) != 0 || jwt_add_grants_json(j, text) != 0)
		goto out;
	if (jwt_set_alg(j, JWT_ALG_HS256, (const unsigned char *)secret,
	    (int)klen) != 0) {
		e = BPG_EINVAL;
		goto out;
	}
	if ((*out = jwt_encode_str(j)) == NULL)
		goto out;
	e = BPG_OK;
out:
	jwt_free(j);
	free(text);
	json_decref(grants);
	return e;
}
