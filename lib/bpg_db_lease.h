/*
 * The leader lease in the database (tables bpg_lease and bpg_lease_term).
 *
 * A row per lease name: its holder, its fencing token and its expiry,
 * computed by the database's clock (NOW(6)), so that holders on different
 * machines never compare clocks.  It is taken and renewed in a
 * transaction that reads the row FOR UPDATE and then changes it with a
 * conditional UPDATE: a renewal only while the caller holds it under the
 * same token and it has not expired; a take only once it has expired,
 * with the token raised by one.  Works alike on one server and on a
 * Galera cluster: on Galera two takes on different nodes conflict on the
 * row and one fails certification (error 1213), so at most one wins.
 * The term a take ends (holder, token, when it was taken, its first and
 * last fenced write and their count) is copied to bpg_lease_term: the
 * record of who acted when, for tests and operators.
 *
 * Fencing (bpg_db_set_fence()): a handle fenced by a lease runs every
 * statement in a transaction that first updates the lease row where name,
 * holder and token are its own and the lease has not expired, and
 * refuses the statement when no row matched.  The exceptions are the
 * plain reads of bpg_db_monitor_read() and bpg_db_monitor_unfinished(),
 * which change nothing and which the monitor's catch-up runs once per
 * app.  A deposed holder's late
 * writes are thus refused by the database itself, and on Galera the
 * lease row in the transaction's write set makes it conflict with a
 * takeover on another node.
 *
 * Names are 1 to BPG_DB_LEASE_MAX_NAME characters, holders 1 to
 * BPG_DB_LEASE_MAX_HOLDER.  Errors: BPG_EINVAL (a bad argument), BPG_EDB.
 * On a disabled handle (no database) the lease is always held with
 * token 1 and fencing refuses nothing.
 */
#ifndef BPG_DB_LEASE_H
#define BPG_DB_LEASE_H

#include <stdbool.h>

#include "bpg_db.h"
#include "bpg_err.h"

#define BPG_DB_LEASE_MAX_NAME 64
#define BPG_DB_LEASE_MAX_HOLDER 128

struct bpg_db_lease {
	bool held; /* by the caller now */
	long long token; /* held: the caller's; else the holder's (0: none) */
	char holder[BPG_DB_LEASE_MAX_HOLDER + 1]; /* "" if none */
	long long remaining_ms; /* until the row's expiry (<= 0: expired) */
};

/*
 * Take or renew lease name for holder, for duration_ms (1 to
 * BPG_DB_LEASE_MAX_MS) from the database's now.  token is the caller's
 * current token, 0 if it holds none: a renewal succeeds only under that
 * token and before the expiry; otherwise an expired lease is taken with
 * a new, higher token.  *out says what holds now.  Connects if needed.
 */
#define BPG_DB_LEASE_MAX_MS 86400000LL
enum bpg_err bpg_db_lease_acquire(struct bpg_db *db, const char *name,
    const char *holder, long long token, long long duration_ms,
    struct bpg_db_lease *out, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Let lease name expire now if holder holds it under token, so that a
 * standby can take it at once.  BPG_OK also when it was not held.
 */
enum bpg_err bpg_db_lease_release(struct bpg_db *db, const char *name,
    const char *holder, long long token, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Fence db's statements by lease name, holder and token: from now on each
 * runs as described above; token 0 refuses every statement (a standby).
 * name and holder are copied.  NULL name lifts the fence.
 */
enum bpg_err bpg_db_set_fence(struct bpg_db *db, const char *name,
    const char *holder, long long token, struct bpg_errinfo *ei) BPG_WUR;

/* Whether db's last statement was refused by its fence. */
bool bpg_db_fence_refused(const struct bpg_db *db);

#endif
