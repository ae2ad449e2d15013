/*
 * Kubernetes API client, one handle per Spark cluster per worker process.
 *
 * A handle owns one libcurl easy handle, so the TLS connection to the API
 * server is kept alive and reused across requests (BPG builds a new client
 * for every call; bpg-reference section 3.1).  The server certificate is
 * verified against the cluster's CA (CURLOPT_CAINFO_BLOB); requests carry
 * "Authorization: Bearer <token>", which is never logged.
 *
 * Kubernetes errors are mapped from their HTTP status and "Status" object
 * (Kubernetes API conventions: Status kind) onto enum bpg_err:
 *   404 BPG_ENOTFOUND, 409 BPG_EEXIST, 400/422 BPG_EINVAL, 429 BPG_ERATE,
 *   401/403/5xx/transport failures BPG_EUPSTREAM, timeouts BPG_ETIMEOUT.
 * ei->msg then reads "Failure executing: <VERB> at: <url>. Message: <text>."
 * with the Status message or the transport error.
 */
#ifndef BPG_KUBE_H
#define BPG_KUBE_H

#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bpg_config.h"
#include "bpg_err.h"

struct bpg_kube;

/* The cluster is borrowed and must outlive the handle. */
enum bpg_err bpg_kube_new(const struct bpg_cluster *, struct bpg_kube **,
    struct bpg_errinfo *) BPG_WUR;
/* NULL is a no-op. */
void bpg_kube_free(struct bpg_kube *);

/*
 * One request.  path starts with '/' and is appended to masterUrl; body
 * (JSON) may be NULL.  On success *out (if out is not NULL) is the parsed
 * JSON response, a new reference.  *http is the HTTP status (0 if none was
 * received); http may be NULL.
 */
enum bpg_err bpg_kube_request(struct bpg_kube *, const char *method,
    const char *path, const json_t *body, json_t **out, long *http,
    struct bpg_errinfo *) BPG_WUR;

/* SparkApplications in the cluster's namespace (section 3.2). */
enum bpg_err bpg_kube_create_app(struct bpg_kube *, const json_t *cr,
    json_t **out, struct bpg_errinfo *) BPG_WUR;
enum bpg_err bpg_kube_get_app(struct bpg_kube *, const char *name,
    json_t **out, struct bpg_errinfo *) BPG_WUR;
/* DeleteOptions with propagationPolicy Background. */
enum bpg_err bpg_kube_delete_app(struct bpg_kube *, const char *name,
    struct bpg_errinfo *) BPG_WUR;
/* label_selector may be NULL; it is URL-encoded here. */
enum bpg_err bpg_kube_list_apps(struct bpg_kube *, const char *label_selector,
    json_t **out, struct bpg_errinfo *) BPG_WUR;
enum bpg_err bpg_kube_get_pod(struct bpg_kube *, const char *name,
    json_t **out, struct bpg_errinfo *) BPG_WUR;
/*
 * The EventList of the events whose involvedObject.name is name, in the
 * cluster's namespace (section 3.2; name is URL-encoded here).
 */
enum bpg_err bpg_kube_list_events(struct bpg_kube *, const char *name,
    json_t **out, struct bpg_errinfo *) BPG_WUR;

/* TLS connections opened by this handle so far (connection reuse). */
long bpg_kube_connects(const struct bpg_kube *);

/*
 * GET path (as for bpg_kube_request()) and hand the body of a 2xx answer
 * to write(ctx, buf, n) piece by piece as it arrives, never holding it
 * whole: pod logs with follow=true (section 3.2).  write returns 0, or -1
 * to stop the transfer (then BPG_EIO).  write is never called for an
 * error answer, which maps to enum bpg_err like bpg_kube_request(); a
 * transfer that fails after write was called returns BPG_EUPSTREAM or
 * BPG_ETIMEOUT too, so callers that must know whether bytes went out keep
 * count themselves.  Uses the handle's connection.
 *
 * A followed log of a quiet container sends nothing for hours, so no
 * low-speed limit applies; instead the transfer lasts at most max_ms
 * (then BPG_ETIMEOUT), and cancel(ctx), when not NULL, is asked about once
 * a second, data or not: true stops the transfer (then BPG_EIO, as when
 * write stops it).
 */
enum bpg_err bpg_kube_stream(struct bpg_kube *, const char *path,
    long max_ms, int (*write)(void *ctx, const char *buf, size_t n),
    bool (*cancel)(void *ctx), void *ctx, struct bpg_errinfo *) BPG_WUR;

/*
 * Give another easy handle (a watch stream, which needs its own
 * connection) the settings of bpg_kube_new(): bearer token, Accept,
 * User-Agent "bpg", TLS 1.2+ verified against the cluster's CA, proxy,
 * connect timeout, TCP keepalive, no signals.  It sets no URL, no write
 * callback and no overall timeout.  *headers receives the header list,
 * which curl uses until the handle is cleaned up; free it afterwards with
 * bpg_kube_free_headers().  The cluster is borrowed.  BPG_ENOMEM,
 * BPG_ECONFIG (CA not usable); nothing to free on error.
 */
enum bpg_err bpg_kube_setup_easy(CURL *curl, const struct bpg_cluster *,
    struct curl_slist **headers, struct bpg_errinfo *) BPG_WUR;
/* Wipe (the bearer token) and free a list from bpg_kube_setup_easy(). */
void bpg_kube_free_headers(struct curl_slist *);

#endif
