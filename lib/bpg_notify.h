/*
 * Notifications by webhook: the pure parts.
 *
 *  - the request field `notify` (an object, or a list of up to
 *    BPG_NOTIFY_MAX of them) and a queue's default `queues[].notify`,
 *    checked once at the edge into struct bpg_notify_spec;
 *  - the checks of a receiver's URL: https only (http with
 *    notificationAllowHttp), a host in notificationAllowedHosts (exact, or
 *    "*.domain" for any name under domain), and no address in a loopback,
 *    link-local, private or otherwise internal range (SSRF) unless
 *    notificationAllowPrivateAddresses;
 *  - the event (JSON) and its Slack/Mattermost text ({"text": ...}),
 *    built from fields the monitor reads from the row: never an env value,
 *    a token or any other part of the request;
 *  - the signature (HMAC-SHA256 of the body, OpenSSL) and the back-off
 *    schedule of the sender.
 * No I/O but getaddrinfo() in bpg_notify_resolve_check().
 */
#ifndef BPG_NOTIFY_H
#define BPG_NOTIFY_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_err.h"

#define BPG_NOTIFY_MAX 4		/* receivers of one submission */
#define BPG_NOTIFY_MAX_URL 2000		/* bytes of a receiver's URL */
#define BPG_NOTIFY_MAX_HOST 253		/* a DNS name */
#define BPG_NOTIFY_SIG_LEN (7 + 64)	/* "sha256=" and the hex digest */
#define BPG_NOTIFY_BACKOFF_MIN_MS 1000LL
#define BPG_NOTIFY_BACKOFF_MAX_MS 600000LL /* 10 min */
#define BPG_NOTIFY_GIVE_UP_MS 86400000LL  /* 24 h */
/* notificationRetentionDays: default and bound. */
#define BPG_NOTIFY_RETENTION_DAYS 30
#define BPG_NOTIFY_MAX_RETENTION_DAYS 3650

/* The states an event is sent for (bits of bpg_notify_target.on). */
enum bpg_notify_state {
	BPG_NOTIFY_RUNNING,
	BPG_NOTIFY_COMPLETED,
	BPG_NOTIFY_FAILED,
	BPG_NOTIFY_LOST,
	BPG_NOTIFY_SUBMISSION_FAILED,
	/* Never submitted: a dependency failed, or cancelled while waiting
	 * (bpg_deps.h).  New states go last: rows keep their bits. */
	BPG_NOTIFY_DEPENDENCY_FAILED,
	BPG_NOTIFY_CANCELLED,
	BPG_NOTIFY__MAX
};
#define BPG_NOTIFY_ON_ALL ((1u << BPG_NOTIFY__MAX) - 1)

enum bpg_notify_format {
	BPG_NOTIFY_FMT_JSON,
	BPG_NOTIFY_FMT_SLACK,
	BPG_NOTIFY_FMT__MAX
};

struct bpg_notify_target {
	char url[BPG_NOTIFY_MAX_URL + 1];
	unsigned on;			/* bits of enum bpg_notify_state */
	enum bpg_notify_format format;
};

/* A request's receivers and its queue's, BPG_NOTIFY_MAX of each. */
#define BPG_NOTIFY_MAX_ALL (2 * BPG_NOTIFY_MAX)
struct bpg_notify_spec {
	struct bpg_notify_target t[BPG_NOTIFY_MAX_ALL];
	size_t n;
};

/* What config allows (pointers borrowed from struct bpg_config). */
struct bpg_notify_policy {
	bool allow_http;
	bool allow_private;
	const char *const *hosts;	/* notificationAllowedHosts */
	size_t nhosts;
};

/*
 * Parse v (an object, a list of 1..BPG_NOTIFY_MAX objects, or NULL / JSON
 * null: none) into *out.  Fields: url (required), on (a list of state
 * names; absent: all), format ("json", the default, or "slack"); other
 * fields are errors.  BPG_EINVAL with ei->msg naming the field as
 * `<where>.url`, `<where>[1].on` ...; where is the name the client knows
 * ("notify" for the request, "queues[].notify" for config).  The URL's
 * shape is checked here, not the policy (bpg_notify_check_url()).
 * Only out->t[0..out->n) is written (out->n is 0 on an error): the rest of
 * *out is left as it was, so that a request without receivers costs no
 * clearing of its 16 KiB.
 */
enum bpg_err bpg_notify_parse(const json_t *v, const char *where,
    struct bpg_notify_spec *out, struct bpg_errinfo *ei) BPG_WUR;

/* The spec as JSON (a list of objects), for storage; NULL on ENOMEM. */
json_t *bpg_notify_spec_json(const struct bpg_notify_spec *);

/* The bit of a state name, or -1 when no event is sent for it. */
int bpg_notify_state_bit(const char *state);

/* Name of a format ("json", "slack"); its value from a name, or -1. */
const char *bpg_notify_format_name(enum bpg_notify_format);
int bpg_notify_format_of(const char *name);

/*
 * Check url against the policy; on success host (the name, IPv6 literals
 * without brackets) and *port are set.  BPG_EINVAL with ei->msg starting
 * with field (e.g. "notify.url") on a scheme, host or address refused.
 * An IP literal is checked against the private ranges here; names are
 * checked by bpg_notify_resolve_check().
 */
enum bpg_err bpg_notify_check_url(const char *url,
    const struct bpg_notify_policy *, const char *field, char *host,
    size_t hostsz, int *port, struct bpg_errinfo *ei) BPG_WUR;

/* Whether host matches a pattern of hosts[] (exact, or "*.domain"). */
bool bpg_notify_host_allowed(
    const char *host, const char *const *hosts, size_t nhosts);

/*
 * Whether the address is loopback, link-local, private, unspecified,
 * multicast, shared (100.64/10), reserved, or an IPv6 form of such an IPv4
 * address (mapped, compatible, NAT64 64:ff9b::/96, 6to4 2002::/16).
 */
bool bpg_notify_addr_private(const struct sockaddr *sa, socklen_t len);

/*
 * Resolve host and refuse it (BPG_EINVAL, ei->msg starting with field)
 * when any address it resolves to is private and the policy does not
 * allow that, or when it does not resolve.
 */
enum bpg_err bpg_notify_resolve_check(const char *host, int port,
    const struct bpg_notify_policy *, const char *field,
    struct bpg_errinfo *ei) BPG_WUR;

/* What an event says; strings may be NULL (JSON null). */
struct bpg_notify_event {
	const char *event_id, *submission_id, *state, *previous_state;
	const char *user, *queue, *cluster, *app_id, *error_message;
	int64_t attempt;		/* < 1: null */
	int64_t time_ms;
	bool has_cost;
	double cost;
};

/* The event as JSON (every field present); NULL on ENOMEM. */
json_t *bpg_notify_event_json(const struct bpg_notify_event *);

/*
 * The body to post for an event (as bpg_notify_event_json() made it):
 * the compact event for json, {"text": "..."} for slack.  Owned by the
 * caller; NULL on ENOMEM.
 */
char *bpg_notify_body(const json_t *event, enum bpg_notify_format);

/*
 * "sha256=<hex of HMAC-SHA256(key, body)>" into out (NUL-terminated);
 * BPG_EINVAL without a key, BPG_ENOMEM if OpenSSL fails.
 */
enum bpg_err bpg_notify_sign(const void *key, size_t keylen,
    const void *body, size_t len, char out[BPG_NOTIFY_SIG_LEN + 1],
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * Delay before the next try after `attempts` failed ones (1 s, doubled
 * each time, at most 10 min).
 */
long long bpg_notify_backoff_ms(unsigned attempts);

/* Whether an event first due at first_ms is given up at now_ms (24 h). */
bool bpg_notify_expired(long long first_ms, long long now_ms);

#endif
