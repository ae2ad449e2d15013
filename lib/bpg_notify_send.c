/*
 * One delivery of a notification (bpg_notify_send.h).
 */
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "bpg_notify_send.h"

curl_socket_t
bpg_notify_opensocket(void *clientp, curlsocktype purpose,
    struct curl_sockaddr *a)
{
	struct bpg_notify_send *s = clientp;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	if (!s->allow_private &&
	    bpg_notify_addr_private(&a->addr, (socklen_t)a->addrlen)) {
		s->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* The configured CAs added to the store curl loaded the system's into. */
static CURLcode
ssl_ctx(CURL *h, void *sslctx, void *arg)
{
	struct bpg_notify_send *s = arg;
	X509_STORE *store = SSL_CTX_get_cert_store(sslctx);
	BIO *bio;
	X509 *x;
	int n = 0;

	(void)h;
	if (s->ca_pem == NULL)
		return CURLE_OK;
	if ((bio = BIO_new_mem_buf(s->ca_pem, -1)) == NULL)
		return CURLE_OUT_OF_MEMORY;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		/* Already there (the same CA twice) is fine. */
		(void)X509_STORE_add_cert(store, x);
		X509_free(x);
		n++;
	}
	BIO_free(bio);
	return n > 0 ? CURLE_OK : CURLE_SSL_CACERT_BADFILE;
}

/* The answer's body: not ours to read. */
static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

void
bpg_notify_send_reset(struct bpg_notify_send *s)
{
	if (s->h != NULL)
		curl_easy_cleanup(s->h);
	curl_slist_free_all(s->headers);
	free(s->body);
	memset(s, 0, sizeof(*s));
}

static bool
add_header(struct bpg_notify_send *s, const char *h)
{
	struct curl_slist *l = curl_slist_append(s->headers, h);

	if (l == NULL)
		return false;
	s->headers = l;
	return true;
}

enum bpg_err
bpg_notify_send_init(struct bpg_notify_send *s,
    const struct bpg_notify_send_conf *conf, const char *url,
    const char *event_id, const char *body, struct bpg_errinfo *ei)
{
	char host[BPG_NOTIFY_MAX_HOST + 1], sig[BPG_NOTIFY_SIG_LEN + 1];
	char hdr[BPG_NOTIFY_SIG_LEN + 400];
	enum bpg_err e;
	size_t i;
	int port;

	memset(s, 0, sizeof(*s));
	if ((e = bpg_notify_check_url(url, &conf->policy, "url", host,
	    sizeof(host), &port, ei)) != BPG_OK)
		return e;
	if (conf->secret == NULL || conf->secret[0] == '\0')
		return bpg_errf(ei, BPG_EINVAL, "no notificationSecretSOPS");
	/* The event ID is ours (submission ID, state, index): no CR or LF. */
	for (i = 0; event_id[i] != '\0'; i++)
		if ((unsigned char)event_id[i] < 0x20)
			return bpg_errf(ei, BPG_EINVAL, "bad event ID");
	if ((e = bpg_notify_sign(conf->secret, strlen(conf->secret), body,
	    strlen(body), sig, ei)) != BPG_OK)
		return e;
	s->allow_private = conf->policy.allow_private;
	s->ca_pem = conf->ca_pem;
	if ((s->body = strdup(body)) == NULL || (s->h = curl_easy_init()) ==
	    NULL)
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	snprintf(hdr, sizeof(hdr), "X-BPG-Signature: %s", sig);
	if (!add_header(s, "Content-Type: application/json") ||
	    !add_header(s, hdr) ||
	    snprintf(hdr, sizeof(hdr), "X-BPG-Event-Id: %s", event_id) >=
	    (int)sizeof(hdr) || !add_header(s, hdr) ||
	    !add_header(s, "Expect:"))
		return bpg_errf(ei, BPG_ENOMEM, "out of memory");
	curl_easy_setopt(s->h, CURLOPT_URL, url);
	curl_easy_setopt(s->h, CURLOPT_POST, 1L);
	curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, s->body);
	curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(s->h, CURLOPT_USERAGENT, "bpg-monitor");
	curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->h, CURLOPT_PROTOCOLS_STR,
	    conf->policy.allow_http ? "http,https" : "https");
	curl_easy_setopt(s->h, CURLOPT_FOLLOWLOCATION, 0L);
	/*
	 * Every try on a connection of its own, closed after it: on a kept
	 * connection the receiver closed, libcurl sends the request again by
	 * itself, a try the receiver gets and the outbox never counts.
	 */
	curl_easy_setopt(s->h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(s->h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(s->h, CURLOPT_PROXY, "");
	curl_easy_setopt(s->h, CURLOPT_CONNECTTIMEOUT_MS,
	    BPG_NOTIFY_CONNECT_MS);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT_MS, BPG_NOTIFY_TIMEOUT_MS);
	curl_easy_setopt(s->h, CURLOPT_OPENSOCKETFUNCTION,
	    bpg_notify_opensocket);
	curl_easy_setopt(s->h, CURLOPT_OPENSOCKETDATA, s);
	curl_easy_setopt(s->h, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	if (s->ca_pem != NULL) {
		/* A store of our own for each handle, not a shared cache. */
		curl_easy_setopt(s->h, CURLOPT_CA_CACHE_TIMEOUT, 0L);
		if (curl_easy_setopt(s->h, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx) !=
		    CURLE_OK)
			return bpg_errf(ei, BPG_EINVAL, "this libcurl cannot "
			    "add CAs (not built with OpenSSL)");
		curl_easy_setopt(s->h, CURLOPT_SSL_CTX_DATA, s);
	}
	/* The answer's body is not read: it is discarded. */
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, discard);
	return BPG_OK;
}

bool
bpg_notify_send_done(struct bpg_notify_send *s, CURLcode rc, long *status,
    char *why, size_t size)
{
	long code = 0;

	curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &code);
	*status = code;
	if (rc == CURLE_OK && code >= 200 && code < 300) {
		why[0] = '\0';
		return true;
	}
	if (rc != CURLE_OK && s->refused)
		snprintf(why, size, "refused to connect to a private, "
		    "loopback or link-local address");
	else if (rc != CURLE_OK)
		snprintf(why, size, "%s", s->errbuf[0] != '\0' ? s->errbuf :
		    curl_easy_strerror(rc));
	else
		snprintf(why, size, "HTTP %ld", code);
	return false;
}
