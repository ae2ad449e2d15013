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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <jansson.h>

#include "bpg_config.h"
#include "bpg_err.h"

struct bpg_kube;

/* The cluster is borrowed and must outlive the handle. */
enum bpg_err bpg_kube_new(const struct bpg_cluster *, struct bpg_kube **,
    struct bpg_errinfo *) BPG_WUR;
struct bpg_castore;
/*
 * As bpg_kube_new(), the cluster's CA trusted through cas (bpg_castore.h;
 * borrowed, must outlive the handle): the handles of a process that share
 * a CA share one parsed store of it.  cas NULL: bpg_kube_new().
 */
enum bpg_err bpg_kube_new_shared(const struct bpg_cluster *,
    struct bpg_castore *cas, struct bpg_kube **, struct bpg_errinfo *) BPG_WUR;
/* NULL is a no-op. */
void bpg_kube_free(struct bpg_kube *);
/*
 * Bytes of response body the handle holds between calls (0: a call's body
 * is freed when it ends).
 */
size_t bpg_kube_held_body(const struct bpg_kube *);

/*
 * One request.  path starts with '/' and is appended to masterUrl; body
 * (JSON) may be NULL.  On success *out (if out is not NULL) is the parsed
 * JSON response, a new reference.  *http is the HTTP status (0 if none was
 * received); http may be NULL.
 */
enum bpg_err bpg_kube_request(struct bpg_kube *, const char *method,
    const char *path, const json_t *body, json_t **out, long *http,
    struct bpg_errinfo *) BPG_WUR;

/*
 * As bpg_kube_request(), on a new connection that is closed afterwards,
 * within timeout_ms (<= 0 or more than the cluster's timeout: the
 * cluster's timeout).  For a request whose outcome must be its own: on a
 * reused connection that turns out dead, libcurl resends the request by
 * itself on a new one, but only a fixed number of times per easy handle,
 * not per request (libcurl 7.88, CONN_MAX_RETRIES), so the handle's
 * history would decide whether the request reaches the server at all.
 */
enum bpg_err bpg_kube_request_fresh(struct bpg_kube *, const char *method,
    const char *path, const json_t *body, json_t **out, long *http,
    long timeout_ms, struct bpg_errinfo *) BPG_WUR;

/* SparkApplications in the cluster's namespace (section 3.2). */
enum bpg_err bpg_kube_create_app(struct bpg_kube *, const json_t *cr,
    json_t **out, struct bpg_errinfo *) BPG_WUR;
enum bpg_err bpg_kube_get_app(struct bpg_kube *, const char *name,
    json_t **out, struct bpg_errinfo *) BPG_WUR;
/*
 * Create, and read by name, telling the HTTP status: *http (if not NULL)
 * is 0 if no answer was received.  fresh_ms < 0: on the handle's kept
 * connection; else as bpg_kube_request_fresh() within fresh_ms.  The body
 * of a 2xx answer is not parsed.
 */
enum bpg_err bpg_kube_try_create_app(struct bpg_kube *, const json_t *cr,
    long fresh_ms, long *http, struct bpg_errinfo *) BPG_WUR;
/* The same with the CR's text (bpg_crd_text()), cr[0..len). */
enum bpg_err bpg_kube_try_create_text(struct bpg_kube *, const char *cr,
    size_t len, long fresh_ms, long *http, struct bpg_errinfo *) BPG_WUR;
enum bpg_err bpg_kube_try_get_app(struct bpg_kube *, const char *name,
    long fresh_ms, long *http, struct bpg_errinfo *) BPG_WUR;
/* DeleteOptions with propagationPolicy Background. */
enum bpg_err bpg_kube_delete_app(struct bpg_kube *, const char *name,
    struct bpg_errinfo *) BPG_WUR;

/*
 * Lists come in pages ("API Concepts: retrieving large results sets in
 * chunks"): limit=BPG_KUBE_LIST_LIMIT, then the continue token of each
 * page until a page has none.  Every page is a consistent snapshot at the
 * first page's resourceVersion.  A server that lets a continue token
 * expire (410 Expired, after etcd compacted that version) would only
 * offer an inconsistent rest, so the list starts again from its first
 * page, at most BPG_KUBE_LIST_RESTARTS times.  No page may be larger than
 * BPG_MAX_KUBE_BODY, and a list has at most BPG_KUBE_LIST_MAX_PAGES pages.
 */
#define BPG_KUBE_LIST_LIMIT 500
#define BPG_KUBE_LIST_RESTARTS 3
#define BPG_KUBE_LIST_MAX_PAGES 100000
/* Longest resourceVersion of a list returned (opaque to clients). */
#define BPG_KUBE_MAX_RV 64

/*
 * Called with each item of a list, in the server's order; the item is
 * borrowed for the call.  BPG_OK goes on; any other value ends the list
 * with it (the callback fills ei).
 */
typedef enum bpg_err bpg_kube_item_fn(void *arg, const json_t *item,
    struct bpg_errinfo *);
/*
 * Called when a list starts again from its first page (its continue token
 * expired): items already given come again, and some may be gone.
 */
typedef void bpg_kube_restart_fn(void *arg);

/*
 * Each SparkApplication of the cluster's namespace to item(arg, ...), page
 * by page as above; restart (may be NULL) is called before a list starts
 * again.  label_selector may be NULL; it is URL-encoded here.  rv (may be
 * NULL) receives the list's resourceVersion (at most rvlen - 1 bytes,
 * else BPG_EUPSTREAM), from which a watch starts.  Errors as for
 * bpg_kube_request(), BPG_EUPSTREAM for a page that is not a list, or the
 * callback's.
 */
enum bpg_err bpg_kube_list_apps(struct bpg_kube *, const char *label_selector,
    bpg_kube_item_fn *item, bpg_kube_restart_fn *restart, void *arg,
    char *rv, size_t rvlen, struct bpg_errinfo *) BPG_WUR;
enum bpg_err bpg_kube_get_pod(struct bpg_kube *, const char *name,
    json_t **out, struct bpg_errinfo *) BPG_WUR;
/*
 * The EventList of the events whose involvedObject.name is name, in the
 * cluster's namespace (section 3.2; name is URL-encoded here): its pages'
 * items in one "items" array of a new object.
 */
enum bpg_err bpg_kube_list_events(struct bpg_kube *, const char *name,
    json_t **out, struct bpg_errinfo *) BPG_WUR;

/*
 * The deadline of the request the handle serves, a bpg_kube_now_ms()
 * value (0: none, the default).  Each bpg_kube_request() then takes at
 * most what is left of it, and one made after it is BPG_ETIMEOUT without
 * being sent.  Calls on the kept connection leave
 * BPG_KUBE_SETTLE_RESERVE_MS (at most the cluster's timeoutMillis) of it
 * for bpg_kube_request_fresh(), which may use all of it.
 * bpg_kube_stream() is not bound by it.
 */
void bpg_kube_set_deadline(struct bpg_kube *, int64_t end_ms);

struct bpg_metrics;

/*
 * Count each call's latency (bpg_kube_request_duration_seconds) and
 * failures by reason (bpg_kube_errors_total), labelled with the cluster's
 * id, into m (borrowed; NULL, the default: not counted).  k NULL: no-op.
 */
void bpg_kube_set_metrics(struct bpg_kube *k, struct bpg_metrics *m);
/* CLOCK_MONOTONIC in milliseconds, the clock of deadlines. */
int64_t bpg_kube_now_ms(void);

/* TLS connections opened by this handle so far (connection reuse). */
long bpg_kube_connects(const struct bpg_kube *);

/*
 * After a request failed: true if it certainly never reached the API
 * server: it was refused before it was sent, or connecting failed (name
 * resolution, TCP, TLS handshake) on a request that libcurl cannot have
 * sent on a kept connection first.  false when it may have arrived.
 */
bool bpg_kube_unsent(const struct bpg_kube *);

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
 * The settings every easy handle to the cluster has (bpg_kube_new()'s and
 * a watch stream's, which needs its own connection): bearer token,
 * Accept, User-Agent "bpg", TLS 1.2+ verified against the cluster's CA,
 * proxy, connect timeout, TCP keepalive, no signals.  It sets no URL, no
 * write callback and no overall timeout.  *headers receives the header list,
 * which curl uses until the handle is cleaned up; free it afterwards with
 * bpg_kube_free_headers().  The cluster is borrowed.  BPG_ENOMEM,
 * BPG_ECONFIG (CA not usable); nothing to free on error.
 */
enum bpg_err bpg_kube_setup_easy(CURL *curl, const struct bpg_cluster *,
    struct curl_slist **headers, struct bpg_errinfo *) BPG_WUR;
/* Wipe (the bearer token) and free a list from bpg_kube_setup_easy(). */
void bpg_kube_free_headers(struct curl_slist *);

/*
 * Copy src into dst (dstlen bytes, NUL-terminated, cut to fit) with every
 * byte that is not printable ASCII as '?': text from an API server (Status
 * messages, reasons, curl's errors) reaches logs and answers.
 */
void bpg_kube_clean_copy(char *dst, size_t dstlen, const char *src);

#endif
