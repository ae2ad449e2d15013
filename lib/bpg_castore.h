/*
 * The CA stores of one process's Kubernetes handles, one parsed store per
 * distinct CA instead of one per TLS connection.
 *
 * libcurl 7.88 (OpenSSL) makes an SSL_CTX for every connection it opens
 * and parses the CA it was given (CURLOPT_CAINFO_BLOB, or the default
 * bundle when none) into that SSL_CTX's X509_STORE, which lives as long as
 * the connection.  A worker with a connection to each of 50 clusters
 * held 50 copies of the same parsed CA.  Here each distinct CA is parsed
 * once into an X509_STORE that every connection's SSL_CTX takes a
 * reference to (CURLOPT_SSL_CTX_FUNCTION, SSL_CTX_set1_cert_store()), and
 * libcurl is told to load nothing itself.
 *
 * Verification stays as libcurl's own: the store holds what libcurl would
 * have put in it (the cluster's PEM certificates and CRLs, else its
 * default CA bundle; and its default CA directory), libcurl still sets the
 * store's flags, checks the peer (CURLOPT_SSL_VERIFYPEER) and the host
 * name (CURLOPT_SSL_VERIFYHOST), and whatever else the cluster sends
 * (bearer token) is per handle.  Where a store cannot be made as libcurl
 * would make it (a CA that does not parse, a default file that cannot be
 * read), or the handle's connection would go through a TLS proxy (whose
 * SSL_CTX the same callback would reach), the handle keeps libcurl's own
 * loading, with libcurl's errors at connect time.
 *
 * Single-threaded: one per process (a gateway worker), never shared
 * across fork().
 */
#ifndef BPG_CASTORE_H
#define BPG_CASTORE_H

#include <stddef.h>

#include <curl/curl.h>

#include "bpg_config.h"
#include "bpg_err.h"

struct bpg_castore;

/* An empty set of stores: BPG_ENOMEM. */
enum bpg_err bpg_castore_new(struct bpg_castore **) BPG_WUR;
/*
 * Drops this set's reference to each store; connections still open keep
 * theirs.  Every handle set up with the set must be cleaned up first (its
 * callback points here).  NULL is a no-op.
 */
void bpg_castore_free(struct bpg_castore *);

/*
 * Make curl (already set up by bpg_kube_setup_easy() for c) trust c's CA
 * through the set's store of that CA, parsed now if the set has none yet.
 * Leaves curl as it was (libcurl loads the CA per connection) in the cases
 * above.  The set and the store must outlive curl.  BPG_ENOMEM (curl as
 * it was).
 */
enum bpg_err bpg_castore_setup_easy(struct bpg_castore *, CURL *curl,
    const struct bpg_cluster *c) BPG_WUR;

/* Stores parsed so far: one per distinct CA used. */
size_t bpg_castore_count(const struct bpg_castore *);

#endif
