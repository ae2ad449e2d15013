/*
 * Queue tokens (bpg-reference section 8.3): HS256 JSON Web Tokens
 * (RFC 7519, RFC 7515) whose "allowedQueues" claim names the secure
 * queues a submission may use.  Verification goes through libjwt 1.10;
 * the structure checks around it reproduce the order and the messages of
 * the Java library BPG uses, so clients see the same texts.
 *
 * Error classes: texts BPG returns with 400 come back as BPG_EINVAL; texts
 * BPG returns with 500 ("Server failed to verify queue token...") come
 * back as BPG_ECONFIG, which the edge maps to 500 with BPG's prefix (the
 * only way verification fails without a token problem is a secret libjwt
 * cannot use, i.e. a configuration problem), or BPG_ENOMEM.
 */
#ifndef BPG_JWT_H
#define BPG_JWT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "bpg_err.h"

/* Longest token looked at; longer ones are malformed (400). */
#define BPG_JWT_MAX_TOKEN 8192

/*
 * Verify token with each of secrets[0..n) in turn (secret rotation); the
 * first that verifies wins.  A token verifies when it has three parts, its
 * header and payload are JSON objects, the header's "alg" is HS256, the
 * HMAC-SHA256 signature matches the secret's bytes, and the time claims
 * exp, nbf and iat, where present, hold at now (seconds since the epoch,
 * no leeway).  An empty or NULL secret is never used: libjwt would skip
 * the signature check for an empty key.
 *
 * On success *claims (if claims is not NULL) is a new reference to the
 * payload object.  On failure *claims is NULL and ei->msg is section
 * 8.3's "Queue token is not valid: <reason>. Please provide..." text
 * (BPG_EINVAL), or "Server failed to verify queue token. Please contact
 * service support." (BPG_ECONFIG) when the last secret tried failed for a
 * reason other than the token, or BPG_ENOMEM.  token NULL is treated as
 * "".
 */
enum bpg_err bpg_jwt_verify(const char *token, char *const *secrets,
    size_t n, time_t now, json_t **claims, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Section 8.3 steps 4 and 5: verify token as above, then check the claims
 * in BPG's order: issuer present, issuer "admin" or "airflow" (any case),
 * claim allowedQueues present and not null, a non-empty array, containing
 * queue (case-sensitive).  The subject is not checked.  BPG_EINVAL with
 * BPG's texts, BPG_ECONFIG, BPG_ENOMEM.
 */
enum bpg_err bpg_jwt_check_queue(const char *token, char *const *secrets,
    size_t n, const char *queue, time_t now,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * A queue token as BPG's generator makes it: header {"alg":"HS256",
 * "typ":"JWT"}, claims iss=issuer, sub=subject (each left out when NULL),
 * allowedQueues=queues[0..n) (an array, possibly empty), and exp when exp
 * is not 0.  *out is a new string the caller frees.  BPG_EINVAL for a NULL
 * or empty secret (an empty HMAC key would make libjwt emit an unsigned
 * token), BPG_ENOMEM.
 */
enum bpg_err bpg_jwt_make(const char *secret, const char *issuer,
    const char *subject, const char *const *queues, size_t n, int64_t exp,
    char **out) BPG_WUR;

#endif
