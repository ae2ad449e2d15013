/*
 * The JDBC URL of dbStorageSOPS.connectionString (host, port, database and
 * the parameters we honour, TLS among them) and the dbName check.  Pure
 * parsing: no connection, no libmariadb.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bpg_db.h"

/* Largest JDBC timeout: a Java int of milliseconds. */
#define URL_MAX_TIMEOUT_MS 2147483647L

/*
 * JDBC URL
 */

static enum bpg_err
url_fail(struct bpg_errinfo *ei, size_t off, const char *why)
{
	return bpg_errf(ei, BPG_EINVAL, "JDBC URL: %s (at byte %zu)", why, off);
}

static int
is_host_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_';
}

static int
is_name_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '$' || c == '_';
}

/* Case-insensitive prefix test on a length-carrying string. */
static int
has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* Decimal digits s[0..n) into *v, at most max; no sign, no blanks. */
static int
parse_decimal(const char *s, size_t n, unsigned long max, unsigned long *v)
{
	unsigned long acc = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (acc > (max - (unsigned long)(s[i] - '0')) / 10)
			return 0;
		acc = acc * 10 + (unsigned long)(s[i] - '0');
	}
	*v = acc;
	return 1;
}

/* Host part s[0..n) at offset off, with any port, into url. */
static enum bpg_err
parse_host(const char *s, size_t n, size_t off, struct bpg_db_addr *url,
    struct bpg_errinfo *ei)
{
	struct in6_addr a6;
	char tmp[INET6_ADDRSTRLEN];
	const char *colon;
	size_t hlen, i;
	unsigned long port;

	if (n > 0 && s[0] == '[') {
		const char *end = memchr(s, ']', n);

		if (end == NULL)
			return url_fail(ei, off, "unterminated '[' in host");
		hlen = (size_t)(end - s) - 1;
		if (hlen == 0 || hlen >= sizeof(tmp))
			return url_fail(ei, off, "invalid IPv6 address");
		memcpy(tmp, s + 1, hlen);
		tmp[hlen] = '\0';
		if (inet_pton(AF_INET6, tmp, &a6) != 1)
			return url_fail(ei, off + 1, "invalid IPv6 address");
		memcpy(url->host, tmp, hlen + 1);
		i = hlen + 2;
		if (i < n && s[i] != ':')
			return url_fail(ei, off + i,
			    "expected ':' or '/' after the IPv6 address");
		colon = i < n ? s + i : NULL;
	} else {
		colon = memchr(s, ':', n);
		hlen = colon != NULL ? (size_t)(colon - s) : n;
		if (colon != NULL &&
		    memchr(colon + 1, ':', n - hlen - 1) != NULL)
			return url_fail(
			    ei, off, "an IPv6 address must be in brackets");
		if (hlen > BPG_DB_MAX_HOST)
			return url_fail(ei, off, "host name too long");
		for (i = 0; i < hlen; i++)
			if (!is_host_char((unsigned char)s[i]))
				return url_fail(
				    ei, off + i, "invalid character in host");
		if (hlen == 0)
			/* As Connector/J: no host means localhost. */
			memcpy(url->host, "localhost", sizeof("localhost"));
		else {
			memcpy(url->host, s, hlen);
			url->host[hlen] = '\0';
		}
	}

	url->port = BPG_DB_DEFAULT_PORT;
	if (colon != NULL) {
		size_t poff = (size_t)(colon - s) + 1;

		if (!parse_decimal(colon + 1, n - poff, 65535, &port) ||
		    port == 0)
			return url_fail(ei, off + poff,
			    "port must be a number from 1 to 65535");
		url->port = (unsigned int)port;
	}
	return BPG_OK;
}

/* The authority: one host[:port] or several, separated by commas. */
static enum bpg_err
parse_authority(const char *s, size_t n, size_t off, struct bpg_db_url *url,
    struct bpg_errinfo *ei)
{
	const char *comma;
	size_t len;
	enum bpg_err e;

	if (memchr(s, '@', n) != NULL)
		return url_fail(ei, off,
		    "credentials in the URL are not supported; use "
		    "dbStorageSOPS.user and dbStorageSOPS.password");
	for (;;) {
		comma = memchr(s, ',', n);
		len = comma != NULL ? (size_t)(comma - s) : n;
		if (url->nhosts == BPG_DB_MAX_HOSTS)
			return bpg_errf(ei, BPG_EINVAL, "JDBC URL: more than "
			    "%d hosts (at byte %zu)", BPG_DB_MAX_HOSTS, off);
		if (len == 0 && (comma != NULL || url->nhosts > 0))
			return url_fail(ei, off, "empty host in the list");
		e = parse_host(s, len, off, &url->hosts[url->nhosts], ei);
		if (e != BPG_OK)
			return e;
		url->nhosts++;
		if (comma == NULL)
			return BPG_OK;
		s += len + 1;
		n -= len + 1;
		off += len + 1;
	}
}

/*
 * The URL's TLS parameters: sslMode, or Connector/J 5.1's three booleans
 * (-1 when absent), resolved by tls_resolve() once all are read.
 */
struct tls_params {
	enum bpg_db_ssl mode; /* BPG_DB_SSL_NONE: no sslMode */
	int use, require, verify;
};

/* sslMode values, Connector/J's and MariaDB Connector/J's. */
static const struct {
	const char *name;
	enum bpg_db_ssl mode;
} ssl_modes[] = {
    {"DISABLED", BPG_DB_SSL_DISABLED},
    {"PREFERRED", BPG_DB_SSL_PREFERRED},
    {"REQUIRED", BPG_DB_SSL_REQUIRED},
    {"VERIFY_CA", BPG_DB_SSL_VERIFY_CA},
    {"VERIFY_IDENTITY", BPG_DB_SSL_VERIFY_IDENTITY},
    {"disable", BPG_DB_SSL_DISABLED},
    {"trust", BPG_DB_SSL_REQUIRED},
    {"verify-ca", BPG_DB_SSL_VERIFY_CA},
    {"verify-full", BPG_DB_SSL_VERIFY_IDENTITY},
};

/* Whether v[0..n) is exactly word, ignoring case. */
static int
word_is(const char *v, size_t n, const char *word)
{
	return n == strlen(word) && strncasecmp(v, word, n) == 0;
}

/* A TLS parameter key[0..klen) = v[0..n): 1 if it is one, 0 if not. */
static int
parse_tls_param(const char *key, size_t klen, const char *v, size_t n,
    bool has_value, struct tls_params *tls, size_t off,
    struct bpg_errinfo *ei, enum bpg_err *e)
{
	static const char *const flags[] = {
	    "useSSL", "useSsl", "requireSSL", "verifyServerCertificate"};
	char msg[160];
	size_t i;
	int *f;

	*e = BPG_OK;
	if (klen == strlen("sslMode") && memcmp(key, "sslMode", klen) == 0) {
		for (i = 0; has_value && i < sizeof(ssl_modes) /
		    sizeof(ssl_modes[0]); i++)
			if (word_is(v, n, ssl_modes[i].name)) {
				tls->mode = ssl_modes[i].mode;
				return 1;
			}
		*e = url_fail(ei, off,
		    "sslMode must be DISABLED, PREFERRED, REQUIRED, VERIFY_CA "
		    "or VERIFY_IDENTITY");
		return 1;
	}
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (klen == strlen(flags[i]) &&
		    memcmp(key, flags[i], klen) == 0)
			break;
	if (i == sizeof(flags) / sizeof(flags[0]))
		return 0;
	f = i < 2 ? &tls->use : i == 2 ? &tls->require : &tls->verify;
	if (has_value && (word_is(v, n, "true") || word_is(v, n, "yes")))
		*f = 1;
	else if (has_value && (word_is(v, n, "false") || word_is(v, n, "no")))
		*f = 0;
	else {
		snprintf(msg, sizeof(msg), "%s must be true or false",
		    flags[i]);
		*e = url_fail(ei, off, msg);
	}
	return 1;
}

/* Connector/J's rules: sslMode wins; else the 5.1 booleans. */
static enum bpg_db_ssl
tls_resolve(const struct tls_params *tls)
{
	if (tls->mode != BPG_DB_SSL_NONE)
		return tls->mode;
	if (tls->use == 0)
		return BPG_DB_SSL_DISABLED;
	if (tls->verify == 1)
		return BPG_DB_SSL_VERIFY_CA;
	if (tls->require == 1)
		return BPG_DB_SSL_REQUIRED;
	if (tls->use == 1)
		return BPG_DB_SSL_PREFERRED;
	return BPG_DB_SSL_NONE;
}

/* One key[=value] parameter s[0..n) at offset off. */
static enum bpg_err
parse_param(const char *s, size_t n, size_t off, struct bpg_db_url *url,
    struct tls_params *tls, struct bpg_errinfo *ei)
{
	const struct {
		const char *key;
		long *field;
	} known[] = {
	    {"connectTimeout", &url->connect_timeout_ms},
	    {"socketTimeout", &url->socket_timeout_ms},
	};
	const char *eq;
	size_t klen, i;
	unsigned long v;
	char msg[128];
	enum bpg_err e;

	if (n == 0)
		return BPG_OK; /* "a=1&&b=2", a trailing '&' */
	eq = memchr(s, '=', n);
	klen = eq != NULL ? (size_t)(eq - s) : n;
	if (klen == 0)
		return url_fail(ei, off, "parameter without a name");
	if (parse_tls_param(s, klen, eq != NULL ? eq + 1 : s + n,
	    eq != NULL ? n - klen - 1 : 0, eq != NULL, tls, off, ei, &e))
		return e;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (klen != strlen(known[i].key) ||
		    memcmp(s, known[i].key, klen) != 0)
			continue;
		if (eq == NULL ||
		    !parse_decimal(
			eq + 1, n - klen - 1, URL_MAX_TIMEOUT_MS, &v)) {
			snprintf(msg, sizeof(msg),
			    "%s must be a number of milliseconds from 0 to "
			    "%ld",
			    known[i].key, URL_MAX_TIMEOUT_MS);
			return url_fail(ei, off, msg);
		}
		*known[i].field = (long)v;
		return BPG_OK;
	}
	return BPG_OK; /* Connector/J options we do not map are ignored. */
}

enum bpg_err
bpg_db_parse_url(
    const char *s, size_t len, struct bpg_db_url *url, struct bpg_errinfo *ei)
{
	static const char *const schemes[] = {
	    "jdbc:mysql://", "jdbc:mariadb://"};
	struct tls_params tls = {BPG_DB_SSL_NONE, -1, -1, -1};
	const char *p, *end, *seg;
	size_t i, n, off;
	enum bpg_err e;

	if (s == NULL || url == NULL)
		return bpg_errf(ei, BPG_EINVAL, "JDBC URL: missing");
	memset(url, 0, sizeof(*url));
	url->connect_timeout_ms = -1;
	url->socket_timeout_ms = -1;
	if (len == 0)
		return url_fail(ei, 0, "empty");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return url_fail(ei, i,
			    "only printable ASCII without blanks is allowed");
	}

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (has_prefix(s, len, schemes[i]))
			break;
	if (i == sizeof(schemes) / sizeof(schemes[0])) {
		if (has_prefix(s, len, "jdbc:mysql") ||
		    has_prefix(s, len, "jdbc:mariadb"))
			return url_fail(ei, 0,
			    "only plain jdbc:mysql:// and jdbc:mariadb:// "
			    "URLs are supported (no load balancing, "
			    "replication or DNS SRV; list several hosts "
			    "in a plain URL for failover)");
		return url_fail(
		    ei, 0, "must start with jdbc:mysql:// or jdbc:mariadb://");
	}
	p = s + strlen(schemes[i]);
	end = s + len;

	/* Authority: up to the first '/', '?' or '#'. */
	for (seg = p; p < end && *p != '/' && *p != '?' && *p != '#'; p++)
		;
	e = parse_authority(seg, (size_t)(p - seg), (size_t)(seg - s), url, ei);
	if (e != BPG_OK)
		return e;

	if (p < end && *p == '/') {
		for (seg = ++p; p < end && *p != '?' && *p != '#'; p++) {
			off = (size_t)(p - s);
			if (!is_name_char((unsigned char)*p) && *p != '-')
				return url_fail(ei, off,
				    "invalid character in database name");
		}
		n = (size_t)(p - seg);
		if (n > BPG_DB_MAX_NAME)
			return url_fail(ei, (size_t)(seg - s),
			    "database name longer than 64 characters");
		memcpy(url->database, seg, n);
		url->database[n] = '\0';
	}

	if (p < end && *p == '?') {
		for (seg = ++p;; p++) {
			if (p < end && *p == '#')
				break;
			if (p < end && *p != '&')
				continue;
			e = parse_param(seg, (size_t)(p - seg),
			    (size_t)(seg - s), url, &tls, ei);
			if (e != BPG_OK)
				return e;
			if (p == end)
				break;
			seg = p + 1;
		}
	}
	if (p < end)
		return url_fail(
		    ei, (size_t)(p - s), "fragments ('#') are not supported");
	url->ssl_mode = tls_resolve(&tls);
	return BPG_OK;
}

/*
 * dbName
 */

/* Printable copy of s for a message: other bytes as \xNN, cut with "...". */
static void
escape_for_msg(char *dst, size_t dstsz, const char *s)
{
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (o + 8 >= dstsz) {
			memcpy(dst + o, "...", 4);
			return;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			dst[o++] = (char)c;
		else
			o += (size_t)snprintf(dst + o, dstsz - o, "\\x%02x", c);
	}
	dst[o] = '\0';
}

enum bpg_err
bpg_db_check_name(const char *name, struct bpg_errinfo *ei)
{
	char shown[96];
	size_t i;

	if (name == NULL || name[0] == '\0')
		return bpg_errf(
		    ei, BPG_ECONFIG, "DB name should not be null or empty");
	for (i = 0; name[i] != '\0'; i++) {
		if (!is_name_char((unsigned char)name[i])) {
			escape_for_msg(shown, sizeof(shown), name);
			return bpg_errf(ei, BPG_ECONFIG,
			    "DB name should include only [0-9a-zA-Z$_]: "
			    "\"%s\"",
			    shown);
		}
	}
	if (i > BPG_DB_MAX_NAME)
		return bpg_errf(ei, BPG_ECONFIG,
		    "DB name is longer than %d characters", BPG_DB_MAX_NAME);
	return BPG_OK;
}
