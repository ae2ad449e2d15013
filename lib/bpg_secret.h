/*
 * "k8s:secret:<ns>:<name>:<key>" references of config.yaml (bpg-reference
 * section 7.3): a Kubernetes Secret of the cluster the gateway runs in,
 * read through a small in-cluster client (the service account's token and
 * CA, "Accessing the Kubernetes API from a Pod" in the Kubernetes
 * documentation).
 *
 * The config binder resolves every reference once, at start-up, in the
 * supervisor before it forks (BPG re-reads them for every Kubernetes call,
 * quirk 42).  BPG's rules are kept: an empty <ns> is the pod's own
 * namespace (the service account's "namespace" file); a missing Secret,
 * data or key leaves the reference text as it is; a failed read is tried
 * BPG_SECRET_ATTEMPTS times, BPG_SECRET_RETRY_MS apart, and then also
 * leaves the text; a value without exactly three parts after the prefix is
 * not a reference.  The caller decides what to log; nothing here ever
 * puts a secret's value or the token into a message.
 *
 * This module sits below bpg_config (it knows nothing of the config) and
 * uses libcurl directly, so that reading the config needs no other part
 * of the gateway.
 */
#ifndef BPG_SECRET_H
#define BPG_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#include "bpg_err.h"
#include "bpg_limits.h"

#define BPG_SECRET_PREFIX "k8s:secret:"
/* The in-cluster defaults of client libraries (fabric8, client-go). */
#define BPG_SECRET_DEFAULT_API_SERVER "https://kubernetes.default.svc"
#define BPG_SECRET_DEFAULT_SA_DIR                                              \
	"/var/run/secrets/kubernetes.io/serviceaccount"
/* BPG's in-cluster client: 30 s timeouts, 3 attempts 1 s apart. */
#define BPG_SECRET_TIMEOUT_MS 30000
#define BPG_SECRET_ATTEMPTS 3
#define BPG_SECRET_RETRY_MS 1000
/* Secret names are DNS-1123 subdomains; data keys [-._a-zA-Z0-9]+. */
#define BPG_SECRET_MAX_NAME 253
/* Largest Secret response read (a Secret holds at most 1 MiB of data). */
#define BPG_SECRET_MAX_BODY (4 * 1024 * 1024)

/* The three parts of a reference. */
struct bpg_secret_ref {
	char ns[BPG_MAX_K8S_NAME + 1]; /* "": the pod's namespace */
	char name[BPG_SECRET_MAX_NAME + 1];
	char key[BPG_SECRET_MAX_NAME + 1];
};

/* What bpg_secret_parse() and bpg_secret_resolve() found. */
enum bpg_secret_result {
	BPG_SECRET_NOT_REF, /* no "k8s:secret:" prefix */
	BPG_SECRET_MALFORMED, /* not exactly <ns>:<name>:<key> */
	BPG_SECRET_BAD_NAME, /* three parts that cannot name a Secret key
			      * (no request is made) */
	BPG_SECRET_REF, /* parse only: a usable reference */
	BPG_SECRET_FOUND, /* resolved */
	BPG_SECRET_ABSENT, /* no such Secret, no data, or no such key */
	BPG_SECRET_UNUSABLE, /* the value is not base64 or holds a NUL */
	BPG_SECRET_FAILED, /* every attempt failed, or the service
			    * account files cannot be read */
	BPG_SECRET__MAX
};

/*
 * Split value the way BPG does (Java's String.split(":") of the text after
 * the prefix, trailing empty parts dropped): BPG_SECRET_NOT_REF,
 * BPG_SECRET_MALFORMED, BPG_SECRET_BAD_NAME (<ns> not empty and not a
 * DNS-1123 label, <name> not a DNS-1123 subdomain, or <key> not a Secret
 * data key), or BPG_SECRET_REF with *out filled.  value may be NULL
 * (BPG_SECRET_NOT_REF); out may be NULL.
 */
enum bpg_secret_result bpg_secret_parse(
    const char *value, struct bpg_secret_ref *out);

/* How the client reaches the API server. */
struct bpg_secret_opts {
	const char *api_server; /* http:// or https:// URL */
	const char *sa_dir; /* holds token, ca.crt and namespace */
	long timeout_ms; /* connect and whole-request timeout, > 0 */
	int attempts; /* >= 1 */
	long retry_ms; /* pause between attempts, >= 0 */
};

/* BPG's settings: the defaults above. */
void bpg_secret_opts_init(struct bpg_secret_opts *);

struct bpg_secret_client;

/*
 * A client; the strings of opts are copied.  Nothing is read or sent yet:
 * the service account files are read on the first lookup.  BPG_EINVAL
 * (with why) for an api_server that is not an http:// or https:// URL or
 * out-of-range numbers, BPG_ENOMEM.  why may be NULL.
 */
enum bpg_err bpg_secret_client_new(const struct bpg_secret_opts *,
    struct bpg_secret_client **, struct bpg_errinfo *why) BPG_WUR;

/* NULL is a no-op.  Cached Secret data and the token are wiped first. */
void bpg_secret_client_free(struct bpg_secret_client *);

/*
 * Resolve value.  When *result is BPG_SECRET_FOUND, *out is a new string
 * (the decoded data, which the caller should wipe before freeing it);
 * otherwise *out is NULL and the caller keeps value as it is (section
 * 7.3).  For every result but BPG_SECRET_NOT_REF and BPG_SECRET_FOUND, why
 * (may be NULL) says what happened, naming the Secret and key but never a
 * value.  Each Secret is fetched at most once per client, whatever the
 * outcome, so several references to one Secret cost one request.
 * Returns BPG_OK, or BPG_ENOMEM.
 */
enum bpg_err bpg_secret_resolve(struct bpg_secret_client *, const char *value,
    char **out, enum bpg_secret_result *result,
    struct bpg_errinfo *why) BPG_WUR;

/* Requests sent by the client so far (each attempt counts). */
unsigned bpg_secret_requests(const struct bpg_secret_client *);

/* Zero the NUL-terminated secret s, then free it; NULL is a no-op. */
void bpg_secret_wipe_free(char *s);

#endif
