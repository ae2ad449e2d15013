/*
 * Kubernetes watch streams ("API Concepts: efficient detection of
 * changes"), several at once on one curl multi handle, so that one
 * single-threaded process can follow many (API server, namespace) pairs.
 *
 * A watch is a GET of a collection with watch=true that answers with one
 * JSON object per line, {"type": T, "object": O}, where T is ADDED,
 * MODIFIED, DELETED, BOOKMARK or ERROR (O then is a Status).  The caller
 * lists first and starts the watch at the list's resourceVersion; this
 * module tracks the newest resourceVersion seen (events and bookmarks)
 * and reports how a stream ended, so the caller can resume from there
 * (clean end), re-list (410 Expired) or back off and re-list (anything
 * else).  Lines are parsed with bpg_watch_parse_line(), which accepts only
 * well-formed events; a stream that carries anything else is treated as
 * broken.
 *
 * Each watch owns its own curl easy handle (its own TLS connection), set
 * up as bpg_kube does (bpg_kube_setup_easy()).  Nothing here blocks
 * except bpg_watchset_run(), for at most the time it is given.  Not
 * thread-safe.
 */
#ifndef BPG_WATCH_H
#define BPG_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "bpg_config.h"
#include "bpg_err.h"

/* Longest line (one event) of a stream; etcd keeps objects under 1.5 MB. */
#define BPG_WATCH_MAX_LINE (8 * 1024 * 1024)
/* Longest resourceVersion kept (they are opaque strings to clients). */
#define BPG_WATCH_MAX_RV 64
/* Nesting depth accepted in an event line. */
#define BPG_WATCH_MAX_DEPTH 64

enum bpg_watch_type {
	BPG_WATCH_ADDED,
	BPG_WATCH_MODIFIED,
	BPG_WATCH_DELETED,
	BPG_WATCH_BOOKMARK,
	BPG_WATCH_ERROR,
	BPG_WATCH__MAX
};

/* One parsed line. */
struct bpg_watch_event {
	enum bpg_watch_type type;
	/*
	 * The object (for ERROR, the Status), a reference owned by the event:
	 * bpg_watch_event_clear() drops it.  Always a JSON object.
	 */
	json_t *object;
	/*
	 * metadata.resourceVersion: required for ADDED, MODIFIED, DELETED and
	 * BOOKMARK (1 to BPG_WATCH_MAX_RV printable ASCII characters, no
	 * blanks); "" for ERROR.
	 */
	char rv[BPG_WATCH_MAX_RV + 1];
	/* ERROR only: Status code (0 if absent) and reason ("" if absent,
	 * printable ASCII, cut to fit). */
	long code;
	char reason[64];
};

/* Static name of a type ("ADDED", ...), "?" if out of range. */
const char *bpg_watch_type_name(enum bpg_watch_type);

/*
 * Parse one line, line[0..len) (need not be NUL-terminated; a trailing
 * '\r' is ignored), into *ev.  JSON with duplicate keys rejected, at most
 * BPG_WATCH_MAX_DEPTH deep, at most BPG_WATCH_MAX_LINE bytes; the type
 * must be one of the five; the object must be an object; its
 * resourceVersion is checked as above.  On error *ev holds no object and
 * ei says why (never quoting the input): BPG_EINVAL, BPG_ETOOBIG,
 * BPG_ENOMEM.
 */
enum bpg_err bpg_watch_parse_line(const char *line, size_t len,
    struct bpg_watch_event *ev, struct bpg_errinfo *ei) BPG_WUR;

/* Drop ev's object; ev may then be reused.  NULL is a no-op. */
void bpg_watch_event_clear(struct bpg_watch_event *ev);

/* How a stream ended. */
enum bpg_watch_end {
	BPG_WATCH_END_CLOSED, /* the server ended it (timeoutSeconds):
			       * resume from bpg_watch_rv() */
	BPG_WATCH_END_EXPIRED, /* 410 Gone / Expired: re-list */
	BPG_WATCH_END_ERROR, /* transport or HTTP error, a bad or cut
			      * line, an ERROR event: back off, re-list */
	BPG_WATCH_END__MAX
};

/*
 * Called for each ADDED, MODIFIED or DELETED event, in stream order.  The
 * event (and its object) is borrowed for the call.  The callback may call
 * bpg_watch_stop() on its own watch; no more events of that stream are
 * then delivered.
 */
typedef void bpg_watch_event_fn(void *arg, const struct bpg_watch_event *);
/*
 * Called once when a started stream ends by itself (never after
 * bpg_watch_stop()).  detail is a printable message for the log.
 */
typedef void bpg_watch_end_fn(
    void *arg, enum bpg_watch_end, const char *detail);

struct bpg_watchset;
struct bpg_watch;

enum bpg_err bpg_watchset_new(
    struct bpg_watchset **, struct bpg_errinfo *) BPG_WUR;
/* Frees the set and every watch still in it.  NULL is a no-op. */
void bpg_watchset_free(struct bpg_watchset *);

/*
 * A watch of the collection at path (starting with '/', appended to the
 * cluster's masterUrl; e.g. the namespaced sparkapplications path), in
 * set.  The cluster is borrowed and must outlive the watch; path is
 * copied.  ev and end are called from bpg_watchset_run() with arg.  The
 * watch is idle until bpg_watch_start().  BPG_ENOMEM, BPG_ECONFIG (CA),
 * BPG_EINVAL (path too long).
 */
enum bpg_err bpg_watch_new(struct bpg_watchset *set, const struct bpg_cluster *,
    const char *path, bpg_watch_event_fn *ev, bpg_watch_end_fn *end, void *arg,
    struct bpg_watch **, struct bpg_errinfo *) BPG_WUR;
/* Stops and frees; NULL is a no-op. */
void bpg_watch_free(struct bpg_watch *);

/*
 * Start a stream at resourceVersion rv (a value from a list, an event or a
 * bookmark, checked as in struct bpg_watch_event), with bookmarks and the
 * server-side timeout timeout_s (1 to 3600 s).  A running stream is
 * stopped first.  BPG_EINVAL, BPG_ENOMEM, BPG_EUPSTREAM (curl refused).
 */
enum bpg_err bpg_watch_start(struct bpg_watch *, const char *rv, long timeout_s,
    struct bpg_errinfo *) BPG_WUR;
/* Abandon the stream, if any, without calling end.  Idempotent. */
void bpg_watch_stop(struct bpg_watch *);
/* Whether a stream is running. */
bool bpg_watch_active(const struct bpg_watch *);
/* The newest resourceVersion seen: start's, then events' and bookmarks'. */
const char *bpg_watch_rv(const struct bpg_watch *);
/* Milliseconds (CLOCK_MONOTONIC) at which the running stream started. */
long long bpg_watch_started_ms(const struct bpg_watch *);

/*
 * Run the set's transfers: wait up to timeout_ms for data, then deliver
 * the complete lines that arrived and the ends of streams.  Returns early
 * when something happened.  BPG_EUPSTREAM if curl's multi interface
 * fails.
 */
enum bpg_err bpg_watchset_run(
    struct bpg_watchset *, int timeout_ms, struct bpg_errinfo *) BPG_WUR;

/* CLOCK_MONOTONIC in milliseconds. */
long long bpg_watch_now_ms(void);

#endif
