/*
 * What the monitor's driver (bpg_monitor.c) and its tasks share; not a
 * public interface.
 *
 * The driver holds the leader lease and, while it holds it, runs the tasks
 * of its table in order, as lighttpd runs its plugins' hooks:
 *   bpg_monitor_reconcile.c  list and watch each namespace, write rows
 *   bpg_monitor_lost.c       after a list: rows and apps gone unwatched
 *   bpg_monitor_kill.c       kill apps over their maxRunningMillis
 *   bpg_monitor_idem.c       delete expired idempotency keys
 *   bpg_monitor_reach.c      log clusters unreachable for a cooldown
 *   bpg_monitor_starve.c     move apps pending past maxPendingMillis
 *   bpg_monitor_sched.c      fire due schedules
 *   bpg_monitor_deps.c       release (or fail) submissions waiting for
 *                            their dependencies
 *   bpg_monitor_retry.c      submit the next attempt of failed jobs
 *   bpg_monitor_metrics.c    the applications' gauges
 *   bpg_monitor_notify.c     deliver the outbox's notifications
 * A task is one struct bpg_monitor_task and its module; adding one is a
 * row in the driver's table and its declaration below.  Tasks write only as the leader: they call
 * bpg_monitor_confirm() before a batch of writes that may follow a long
 * wait, and bpg_monitor_may_write() from watch callbacks.
 */
#ifndef BPG_MONITOR_INT_H
#define BPG_MONITOR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpg_config.h"
#include "bpg_db_lease.h"
#include "bpg_err.h"
#include "bpg_lease.h"
#include "bpg_monitor.h"

struct bpg_db;
struct bpg_kube;
struct bpg_watch;
struct bpg_watchset;

/*
 * The apps of one namespace seen in this run (bpg_monitor_table.c), with
 * what is known of each app's row.
 */
struct bpg_monitor_entry {
	struct bpg_monitor_entry *next; /* hash chain */
	struct bpg_monitor_known k;
	unsigned long gen; /* list that last saw it */
	bool tracked; /* RUNNING: mind maxRunningMillis */
	int64_t created_ms, max_ms;
	char uid[BPG_MONITOR_MAX_UID + 1];
	long long kill_not_before; /* monotonic ms */
	/* The starve task's next look (wall ms; 0 now, INT64_MAX never). */
	int64_t move_at_ms;
	char name[];
};

struct bpg_monitor_table {
	struct bpg_monitor_entry **b; /* nb buckets, a power of 2 */
	size_t nb, n;
};

/* The entry for name, or NULL. */
struct bpg_monitor_entry *bpg_monitor_tab_get(
    const struct bpg_monitor_table *, const char *name);
/* A new entry for name (not yet in the table); NULL if out of memory. */
struct bpg_monitor_entry *bpg_monitor_tab_add(
    struct bpg_monitor_table *, const char *name);
/* Remove and free e. */
void bpg_monitor_tab_del(
    struct bpg_monitor_table *, struct bpg_monitor_entry *e);
/* Free every entry; the table is empty and usable again. */
void bpg_monitor_tab_clear(struct bpg_monitor_table *);

/* One (masterUrl, namespace) pair. */
struct bpg_monitor_target {
	struct bpg_monitor *m;
	const struct bpg_cluster *cluster; /* the last config entry */
	char label[160]; /* for the log */
	struct bpg_kube *kube;
	struct bpg_monitor_table apps; /* cleared on stepping down */
	/* The reconcile task's. */
	struct bpg_watch *watch;
	bool need_list; /* re-list at next_try_ms */
	bool need_watch; /* resume the watch at next_try_ms */
	long long next_try_ms;
	long backoff_ms; /* 0: none pending */
	long long next_resync_ms;
	bool dirty; /* a step failed: re-list after back-off */
	unsigned long gen; /* lists done */
	size_t listed; /* items of the list under way */
	/* The reach task's: failing since (monotonic ms; 0: reachable). */
	long long down_since_ms;
	bool down_logged; /* logged unreachable */
	char down_why[256];
};

/*
 * A task.  Every hook may be NULL.  state is what init stored (NULL
 * without init); times are bpg_watch_now_ms().
 *   init     after the targets exist, before any I/O; stores the task's
 *            state.  BPG_ENOMEM, or an error of the task's set-up.
 *   lead     this process just became the leader.
 *   step     one turn as the leader: do what is due.  It may find the
 *            lock lost (m->leader false): the driver then runs no more.
 *   due      when step next has something to do (LLONG_MAX: nothing
 *            timed), so the driver waits no longer than that.
 *   listed   t's list is complete and the lock was confirmed just now;
 *            a failure that may pass sets t->dirty (a re-list follows).
 *   standby  this process stepped down: forget what was under way.
 *   free     free state (NULL is possible).
 */
struct bpg_monitor_task {
	const char *name;
	enum bpg_err (*init)(
	    struct bpg_monitor *, void **state, struct bpg_errinfo *);
	void (*lead)(struct bpg_monitor *, void *state, long long now);
	void (*step)(struct bpg_monitor *, void *state);
	long long (*due)(const struct bpg_monitor *, const void *state);
	void (*listed)(
	    struct bpg_monitor *, void *state, struct bpg_monitor_target *t);
	void (*standby)(struct bpg_monitor *, void *state);
	void (*free)(void *state);
};

extern const struct bpg_monitor_task bpg_monitor_task_reconcile;
extern const struct bpg_monitor_task bpg_monitor_task_lost;
extern const struct bpg_monitor_task bpg_monitor_task_kill;
extern const struct bpg_monitor_task bpg_monitor_task_idem;

/*
 * A periodic sweep's hooks (bpg_monitor_every.c): init, lead (a turn at
 * once) and due as they are; its step asks bpg_monitor_every_turn()
 * whether a turn is due (then the next is planned period_ms on).
 */
struct bpg_monitor_every {
	long long next_ms;
};
enum bpg_err bpg_monitor_every_init(struct bpg_monitor *, void **state,
    struct bpg_errinfo *);
void bpg_monitor_every_lead(struct bpg_monitor *, void *state,
    long long now);
long long bpg_monitor_every_due(const struct bpg_monitor *,
    const void *state);
bool bpg_monitor_every_turn(void *state, long long period_ms);
/*
 * Up to max_batches calls of one (batch rows at most each, *n deleted),
 * each after confirming the lease, until one deletes fewer than batch;
 * *total the rows deleted.  false (ei set) if a call failed; true if all
 * went well or the lease was lost.
 */
typedef enum bpg_err (*bpg_monitor_batch_fn)(struct bpg_db *, size_t batch,
    void *arg, unsigned long long *n, struct bpg_errinfo *);
bool bpg_monitor_batches(struct bpg_monitor *, int max_batches,
    size_t batch, bpg_monitor_batch_fn one, void *arg,
    unsigned long long *total, struct bpg_errinfo *ei);
extern const struct bpg_monitor_task bpg_monitor_task_purge;
extern const struct bpg_monitor_task bpg_monitor_task_reach;

/* t's list or watch failed (why: for the log) / its list succeeded. */
void bpg_monitor_reach_failed(struct bpg_monitor_target *t, const char *why);
void bpg_monitor_reach_ok(struct bpg_monitor_target *t);
extern const struct bpg_monitor_task bpg_monitor_task_starve;

/*
 * An entry's first starve look (bpg_monitor_entry.move_at_ms) from the app
 * as listed or watched: never (INT64_MAX) when its queue label names no
 * queue with maxPendingMillis, so that no app of another queue costs a
 * GET; else when it has waited that long (0: at the task's next check,
 * creation time unknown).
 */
int64_t bpg_monitor_starve_first_look(
    const struct bpg_config *cfg, const struct bpg_monitor_app *app);
extern const struct bpg_monitor_task bpg_monitor_task_sched;
extern const struct bpg_monitor_task bpg_monitor_task_deps;
extern const struct bpg_monitor_task bpg_monitor_task_retry;

/*
 * Before the monitor submits request as owner under id by itself (a
 * schedule's fire, a dependent released): when the request carries a
 * retryPolicy, id becomes the handle of a job with it (bpg_db_retry.h),
 * so that the retry task retries it as POST /spark's.  BPG_OK also when
 * there is none, or the job is there already (a resumed step).
 */
enum bpg_err bpg_monitor_retry_adopt(struct bpg_monitor *, const char *id,
    const char *owner, const char *request, struct bpg_errinfo *) BPG_WUR;
extern const struct bpg_monitor_task bpg_monitor_task_gauges;
extern const struct bpg_monitor_task bpg_monitor_task_notify;

struct bpg_monitor {
	struct bpg_monitor_opts o;
	struct bpg_db *db; /* the statements */
	struct bpg_db *lockdb; /* the lease's own handle, never fenced */
	bool leader;
	int announced; /* -1 nothing yet, 0 standby, 1 leader */
	struct bpg_lease lease;
	char holder_id[BPG_DB_LEASE_MAX_HOLDER + 1]; /* ours in the lease */
	char other[BPG_DB_LEASE_MAX_HOLDER + 1]; /* the holder last logged */
	char lock_err[256]; /* last lease error logged */
	long long confirmed_ms; /* the lease was last renewed */
	char lost_why[256]; /* lost in a watch callback: step down after */
	bool resync; /* re-list every namespace (bpg_monitor_resync()) */
	const double *mb_cost, *core_cost;
	struct bpg_watchset *ws;
	struct bpg_monitor_target *t;
	size_t nt;
	void **state; /* each task's, in the order of the driver's table */
	unsigned long unreachable_episodes; /* the reach task's count */
};

/* Log one line; control bytes become '?'. */
void bpg_monitor_log(struct bpg_monitor *, enum bpg_monitor_level,
    const char *, ...) __attribute__((format(printf, 3, 4)));

/* Copy s into dst, cut to fit (lengths were checked where it matters). */
void bpg_monitor_take(char *dst, size_t dstsz, const char *s);

/* The wall clock in ms (CLOCK_REALTIME). */
long long bpg_monitor_wall_ms(void);

/* The resync interval in ms, -1 for never. */
long bpg_monitor_resync_ms(const struct bpg_monitor *);

/* Transient failures: worth a re-list later.  Others are about data. */
bool bpg_monitor_transient(enum bpg_err);

/* A step for app name failed: log it; transient failures dirty t. */
void bpg_monitor_step_failed(struct bpg_monitor_target *t, enum bpg_err,
    const char *name, const char *what, const char *msg);

/*
 * Record the finish of name with status at ms (-1, or a time a TIMESTAMP
 * cannot hold: now), and its cost.  Failures go to
 * bpg_monitor_step_failed().
 */
enum bpg_err bpg_monitor_record_finish(struct bpg_monitor_target *t,
    const char *name, const char *status, int64_t ms);

/*
 * Whether this process still holds the lease: renews it first if a
 * renewal is due, then checks the deadline on the monotonic clock (no
 * database round trip otherwise).  Steps down (every task's standby) if
 * not.
 */
bool bpg_monitor_confirm(struct bpg_monitor *);

/*
 * For a watch callback, which must not stop the other watches: whether
 * this process may write, by the lease's deadline on the monotonic clock
 * (bpg_monitor_step() keeps the lease renewed).  A lost lease makes this
 * process stop acting at once; bpg_monitor_step() steps down once the
 * callbacks are done.
 */
bool bpg_monitor_may_write(struct bpg_monitor *);

/*
 * After a failed statement: if the database refused it by the fence (the
 * lease is someone else's now), stop acting at once as
 * bpg_monitor_may_write() does.  bpg_monitor_step_failed() calls it.
 */
void bpg_monitor_fenced(struct bpg_monitor *);

/* Whether a and b are the same (masterUrl, namespace) pair. */
bool bpg_monitor_same_pair(
    const struct bpg_cluster *a, const struct bpg_cluster *b);

/* The monitored target of cluster c's pair, NULL if it has none. */
struct bpg_monitor_target *bpg_monitor_target_of(struct bpg_monitor *,
    const struct bpg_cluster *c);

/* t's list is complete: every task's listed hook, in table order. */
void bpg_monitor_listed(struct bpg_monitor *, struct bpg_monitor_target *t);

#endif
