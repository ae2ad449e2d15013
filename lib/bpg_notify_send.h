/*
 * One delivery of a notification over libcurl (easy handle; the caller
 * drives it, with a multi handle in the monitor): the request a receiver
 * gets, and the checks that hold while it is sent.
 *
 *   POST <url>, Content-Type: application/json, X-BPG-Event-Id: <id>,
 *   X-BPG-Signature: sha256=<hex HMAC-SHA256 of the body>
 *
 * The receiver's URL is checked again against the policy (config may have
 * changed since the submission).  No redirect is followed, no proxy used,
 * and only https (and http with notificationAllowHttp) spoken.  Unless
 * private addresses are allowed, every address curl is about to connect to
 * is checked in its open-socket callback: the address checked is the
 * address connected to, so a DNS answer that changes between the check at
 * submission and the delivery (rebinding) cannot reach an internal one.
 * Certificates are checked against the system CAs plus the configured
 * ones (notificationCaCertDataSOPS).
 */
#ifndef BPG_NOTIFY_SEND_H
#define BPG_NOTIFY_SEND_H

#include <curl/curl.h>

#include "bpg_err.h"
#include "bpg_notify.h"

#define BPG_NOTIFY_INFLIGHT 8		/* deliveries at once */
#define BPG_NOTIFY_CONNECT_MS 5000L	/* connect (TCP and TLS) */
#define BPG_NOTIFY_TIMEOUT_MS 10000L	/* the whole request */
#define BPG_NOTIFY_POLL_MS 1000LL	/* the outbox is read this often */

/* What a delivery needs of config (pointers borrowed). */
struct bpg_notify_send_conf {
	struct bpg_notify_policy policy;
	const char *secret;		/* the HMAC key; NULL: nothing sent */
	const char *ca_pem;		/* extra CAs, or NULL */
};

/* A delivery in flight: owns the easy handle and what it points to. */
struct bpg_notify_send {
	CURL *h;
	struct curl_slist *headers;
	char *body;
	bool allow_private;
	bool refused;			/* an address was refused */
	const char *ca_pem;
	char errbuf[CURL_ERROR_SIZE];
};

/*
 * Set up s for a POST of body (copied) to url as event event_id.
 * BPG_EINVAL with ei->msg when the URL is refused by the policy now or no
 * secret is configured (a permanent failure); BPG_ENOMEM.
 * bpg_notify_send_reset() frees s in every case.
 */
enum bpg_err bpg_notify_send_init(struct bpg_notify_send *s,
    const struct bpg_notify_send_conf *conf, const char *url,
    const char *event_id, const char *body, struct bpg_errinfo *ei) BPG_WUR;
void bpg_notify_send_reset(struct bpg_notify_send *s);

/*
 * After the transfer ended with rc: *status (the HTTP status, 0 without
 * an answer), and whether it was delivered (a 2xx).  On failure, why into
 * why[size] (never the body or the secret).
 */
bool bpg_notify_send_done(struct bpg_notify_send *s, CURLcode rc,
    long *status, char *why, size_t size);

/*
 * The open-socket callback (CURLOPT_OPENSOCKETFUNCTION) with clientp a
 * struct bpg_notify_send: refuses (CURL_SOCKET_BAD) an address in a
 * private range unless allowed.  Public for tests.
 */
curl_socket_t bpg_notify_opensocket(void *clientp, curlsocktype purpose,
    struct curl_sockaddr *address);

#endif
