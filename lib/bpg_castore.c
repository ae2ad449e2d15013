#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "bpg_castore.h"

struct castore_entry {
	char *pem;		/* the CA's PEM text; NULL: libcurl's defaults */
	size_t len;
	X509_STORE *store;	/* one reference is the set's */
};

struct bpg_castore {
	struct castore_entry *v;
	size_t n, cap;
};

enum bpg_err
bpg_castore_new(struct bpg_castore **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return BPG_ENOMEM;
	return BPG_OK;
}

void
bpg_castore_free(struct bpg_castore *cas)
{
	size_t i;

	if (cas == NULL)
		return;
	for (i = 0; i < cas->n; i++) {
		X509_STORE_free(cas->v[i].store);
		free(cas->v[i].pem);
	}
	free(cas->v);
	free(cas);
}

size_t
bpg_castore_count(const struct bpg_castore *cas)
{
	return cas->n;
}

/*
 * The certificates and CRLs of a PEM bundle into st, as libcurl 7.88's
 * load_cacert_from_memory() does for CURLOPT_CAINFO_BLOB: false if one
 * cannot be added or there is none.
 */
static bool
load_pem(X509_STORE *st, const char *pem, size_t len)
{
	STACK_OF(X509_INFO) *inf;
	X509_INFO *it;
	BIO *bio;
	int i, count = 0;
	bool ok = true;

	if (len > INT_MAX || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return false;
	inf = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (inf == NULL)
		return false;
	for (i = 0; ok && i < sk_X509_INFO_num(inf); i++) {
		it = sk_X509_INFO_value(inf, i);
		if (it->x509 != NULL && (ok = X509_STORE_add_cert(st,
		    it->x509) == 1))
			count++;
		if (ok && it->crl != NULL && (ok = X509_STORE_add_crl(st,
		    it->crl) == 1))
			count++;
	}
	sk_X509_INFO_pop_free(inf, X509_INFO_free);
	return ok && count > 0;
}

/*
 * What libcurl 7.88's populate_x509_store() loads for a handle given
 * pem (or none) and its defaults cafile and capath: a CA blob replaces
 * the CA file, and the CA directory stays, a failure to add it ignored
 * when the blob was loaded.  NULL where libcurl would fail (or no memory).
 */
static X509_STORE *
make_store(const char *pem, size_t len, const char *cafile,
    const char *capath)
{
	X509_STORE *st;

	if ((st = X509_STORE_new()) == NULL)
		return NULL;
	if (pem != NULL) {
		if (!load_pem(st, pem, len))
			goto fail;
		if (capath != NULL)
			(void)X509_STORE_load_path(st, capath);
	} else {
		if (cafile != NULL && !X509_STORE_load_file(st, cafile))
			goto fail;
		if (capath != NULL && !X509_STORE_load_path(st, capath))
			goto fail;
	}
	ERR_clear_error();
	return st;
fail:
	ERR_clear_error();
	X509_STORE_free(st);
	return NULL;
}

/* libcurl calls this with each new connection's SSL_CTX, before its
 * handshake. */
static CURLcode
on_ssl_ctx(CURL *curl, void *sslctx, void *arg)
{
	(void)curl;
	SSL_CTX_set1_cert_store(sslctx, arg);
	return CURLE_OK;
}

static bool
is_tls_url(const char *s)
{
	return s != NULL && strncasecmp(s, "https:", 6) == 0;
}

/*
 * Would the handle's connection go through a TLS proxy?  The SSL_CTX
 * callback reaches the proxy's SSL_CTX too.  bpg_kube_setup_easy() sets
 * CURLOPT_PROXY from the cluster for its scheme; else libcurl reads the
 * environment (libcurl-env(3)).
 */
static bool
tls_proxy(const struct bpg_cluster *c)
{
	static const char *const env[] = { "https_proxy", "HTTPS_PROXY",
		"all_proxy", "ALL_PROXY" };
	size_t i;

	/* A proxy without a scheme is an HTTP one (CURLOPT_PROXY). */
	if (c->https_proxy != NULL)
		return is_tls_url(c->https_proxy);
	for (i = 0; i < sizeof(env) / sizeof(env[0]); i++)
		if (is_tls_url(getenv(env[i])))
			return true;
	return false;
}

static struct castore_entry *
lookup(struct bpg_castore *cas, const char *pem, size_t len)
{
	size_t i;

	for (i = 0; i < cas->n; i++)
		if (pem == NULL ? cas->v[i].pem == NULL :
		    cas->v[i].pem != NULL && cas->v[i].len == len &&
		    memcmp(cas->v[i].pem, pem, len) == 0)
			return &cas->v[i];
	return NULL;
}

enum bpg_err
bpg_castore_setup_easy(struct bpg_castore *cas, CURL *curl,
    const struct bpg_cluster *c)
{
	struct castore_entry *ent, *nv;
	char *cafile = NULL, *capath = NULL, *copy = NULL;
	X509_STORE *st;
	size_t ncap;

	/* No TLS to the server, or the callback would reach a proxy's. */
	if (!is_tls_url(c->master_url) || tls_proxy(c))
		return BPG_OK;
	if ((ent = lookup(cas, c->ca_cert, c->ca_cert_len)) == NULL) {
		if (cas->n == cas->cap) {
			ncap = cas->cap ? cas->cap * 2 : 4;
			if ((nv = realloc(cas->v, ncap * sizeof(*nv))) == NULL)
				return BPG_ENOMEM;
			cas->v = nv;
			cas->cap = ncap;
		}
		if (c->ca_cert != NULL) {
			if ((copy = malloc(c->ca_cert_len)) == NULL)
				return BPG_ENOMEM;
			memcpy(copy, c->ca_cert, c->ca_cert_len);
		}
		/* The built-in defaults the handle would use (7.84+). */
		curl_easy_getinfo(curl, CURLINFO_CAINFO, &cafile);
		curl_easy_getinfo(curl, CURLINFO_CAPATH, &capath);
		if ((st = make_store(c->ca_cert, c->ca_cert_len, cafile,
		    capath)) == NULL) {
			/* libcurl loads it per connection and says why
			 * it fails. */
			free(copy);
			return BPG_OK;
		}
		ent = &cas->v[cas->n++];
		ent->pem = copy;
		ent->len = c->ca_cert_len;
		ent->store = st;
	}
	/*
	 * libcurl loads nothing: no blob, file or directory; no cache of its
	 * own of a store, which would replace the callback's.  It still sets
	 * the store's flags (X509_V_FLAG_TRUSTED_FIRST, PARTIAL_CHAIN) on
	 * each connection, the same for every handle.
	 */
	if (curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx) !=
	    CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, ent->store) !=
	    CURLE_OK)
		return BPG_OK;	/* no callback: libcurl loads the CA */
	curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, NULL);
	curl_easy_setopt(curl, CURLOPT_CAINFO, NULL);
	curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(curl, CURLOPT_CA_CACHE_TIMEOUT, 0L);
	return BPG_OK;
}
