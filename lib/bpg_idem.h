/*
 * Idempotent submission (Idempotency-Key, IETF httpapi
 * draft-ietf-httpapi-idempotency-key-header): the key's checks, the hash
 * of what defines a request, and what to do with the row a key already
 * has.  No I/O: the table is bpg_db_idem.c's, the HTTP glue
 * bpg_api_idem.c's.
 *
 * A key's life, one row per (user, key) in the database, whose unique key
 * picks the one request that runs:
 *   pending   the winner runs; its submission ID is recorded before its
 *             SparkApplication is created
 *   done      the answer (2xx or 4xx) is stored and replayed byte for byte
 *   unknown   the winner answered 504: the create's outcome is not known;
 *             the submission row, which the monitor settles, tells later
 * A 5xx after which nothing was created (and a 429) deletes the row, so
 * that a retry runs afresh.
 */
#ifndef BPG_IDEM_H
#define BPG_IDEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpg_err.h"

/* A key: 1 to 128 printable ASCII characters. */
#define BPG_IDEM_MAX_KEY 128
/* The request hash: SHA-256 as lower-case hex. */
#define BPG_IDEM_HASH_HEX 64
/* A row's owner token: 128 random bits as hex. */
#define BPG_IDEM_OWNER_HEX 32
/* Stored answers: larger ones are not kept (the key is then released). */
#define BPG_IDEM_MAX_ANSWER 65535
/* idempotencyTtlSeconds: default and bounds. */
#define BPG_IDEM_DEFAULT_TTL_S 86400
#define BPG_IDEM_MIN_TTL_S 60
#define BPG_IDEM_MAX_TTL_S (30 * 86400)
/*
 * A loser polls the winner's row at most this long (and never past its
 * request's deadline), the waits growing from the first to the last
 * value, then answers 409.
 */
#define BPG_IDEM_WAIT_MS 30000
#define BPG_IDEM_POLL_MS 20
#define BPG_IDEM_POLL_MAX_MS 500
/*
 * A pending row older than the longest a request may run
 * (requestDeadlineSeconds) plus this margin has lost its owner (the
 * worker was killed): it is resolved, never left pending.
 */
#define BPG_IDEM_STALE_MARGIN_S 30

enum bpg_idem_state {
	BPG_IDEM_PENDING,
	BPG_IDEM_DONE,
	BPG_IDEM_UNKNOWN,
	BPG_IDEM__MAX
};

/* "pending", "done", "unknown" (the state column's values). */
const char *bpg_idem_state_name(enum bpg_idem_state);
/* The state of a column value; false if it is none of them. */
bool bpg_idem_state_of(const char *s, enum bpg_idem_state *out);

/*
 * key[0..len) is a valid key: BPG_EINVAL naming what is wrong (empty,
 * longer than 128, a control or non-ASCII byte at a position) and where
 * it came from (what, e.g. "Idempotency-Key header").  The key's bytes
 * are never quoted (they may be anything).
 */
enum bpg_err bpg_idem_check_key(const char *key, size_t len, const char *what,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * The key of a request from the header (NULL: absent) and the body's
 * idempotencyKey field (NULL: absent): each checked, and when both are
 * given they must be equal.  *key is one of the two (borrowed) or NULL
 * when neither is given.  BPG_EINVAL with the reason.
 */
enum bpg_err bpg_idem_pick(const char *header, const char *field,
    const char **key, struct bpg_errinfo *ei) BPG_WUR;

/* What defines a request, for its hash (all borrowed; NULL: absent). */
struct bpg_idem_req {
	const char *method;
	const char *path;
	const char *content_type;
	const char *dag_user;		/* the Airflow account's dagUser */
	const char *body;
	size_t body_len;
};

/*
 * SHA-256 over the fields of r, each length-prefixed so that no two
 * requests share an input, as lower-case hex into out.  BPG_ENOMEM.
 */
enum bpg_err bpg_idem_hash(const struct bpg_idem_req *r,
    char out[BPG_IDEM_HASH_HEX + 1], struct bpg_errinfo *ei) BPG_WUR;

/* What a request does about the row its key has. */
enum bpg_idem_verdict {
	BPG_IDEM_REPLAY,	/* send the stored answer */
	BPG_IDEM_MISMATCH,	/* another request used the key: 422 */
	BPG_IDEM_WAIT,		/* the winner runs: poll again */
	BPG_IDEM_RESOLVE,	/* ask the submission row */
	BPG_IDEM_TAKEOVER,	/* nothing was created: run afresh */
};

/* The parts of a row the verdict needs. */
struct bpg_idem_seen {
	enum bpg_idem_state state;
	bool same_hash;
	bool has_submission;	/* a submission ID was recorded */
	int64_t age_s;		/* since the row was (re)claimed */
};

/* stale_s: the age after which a pending row has lost its owner. */
enum bpg_idem_verdict bpg_idem_judge(const struct bpg_idem_seen *,
    int64_t stale_s);

/* What the submission row of an unsettled key says. */
struct bpg_idem_sub {
	bool found;
	bool has_status;
	const char *status;
	bool has_app_id;
	bool started;
	bool never_seen;	/* LOST: no SparkApplication ever appeared */
	bool has_next;		/* a later attempt carries the job on */
};

enum bpg_idem_outcome {
	BPG_IDEM_CREATED,	/* the SparkApplication was there */
	BPG_IDEM_NOT_CREATED,	/* it never was: the key may run again */
	BPG_IDEM_UNSETTLED,	/* not known yet */
};

/*
 * The outcome of a submission whose owner is gone (stale: the row is past
 * the stale age, so no create of its owner can still be under way):
 *   no row: its owner died before recording it, and so before any create
 *     (stale) -- or the monitor has not written it yet (not stale);
 *   status NULL: the monitor has not seen a SparkApplication yet;
 *   a later attempt (a move, a retry): the job goes on there, so the
 *     submission is the answer whatever its own state;
 *   SUBMISSION_FAILED: the create was refused;
 *   LOST and never seen (BPG_DB_NEVER_SEEN): no SparkApplication ever
 *     appeared, past the longest a late create can take;
 *   any other status, LOST included: the monitor saw it, and it may have
 *     run, so it is the answer.
 */
enum bpg_idem_outcome bpg_idem_settle(const struct bpg_idem_sub *, bool stale);

/* A new owner token of 32 hex digits from 16 random bytes. */
void bpg_idem_owner(const unsigned char rnd[16],
    char out[BPG_IDEM_OWNER_HEX + 1]);

#endif
