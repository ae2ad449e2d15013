/*
 * Kubernetes API stand-in: state shared by its modules.
 *
 * One process simulates several clusters.  Every cluster has its own object
 * store, resourceVersion counter, watch history, simulated spark-operator,
 * faults and statistics.  All of it is guarded by the one mutex ks->mu;
 * functions of store.c, sim.c and select.c expect it held.  Watchers and
 * log followers sleep on ks->cv, which is broadcast on every change.
 */
#ifndef KUBESIM_H
#define KUBESIM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_buf.h"
#include "bpg_err.h"
#include "schema.h"

#define KS_MAX_CLUSTERS		16
#define KS_MAX_NAME		63	/* cluster names */
/* kube-apiserver's limit on request bodies. */
#define KS_MAX_BODY		(3 * 1024 * 1024)
#define KS_MAX_CONTROL_BODY	(1024 * 1024)
#define KS_MAX_FAULTS		64
#define KS_DEFAULT_HISTORY	1000	/* watch events kept per cluster */
#define KS_MAX_HISTORY		1000000
#define KS_MAX_LOG_LINES	10000	/* per pod */
#define KS_FIRST_RV		1000	/* resourceVersion when empty */
#define KS_DEFAULT_WATCH_S	1800	/* --min-request-timeout default */
#define KS_MAX_WATCH_BATCH	64	/* events queued per wake-up */
#define KS_DRIVER_CONTAINER	"spark-kubernetes-driver"
/*
 * Longest delay of a "latecommit" fault: kube-apiserver's default
 * --request-timeout (1m0s) bounds how long a request's handler runs, and
 * with it how long after its answer a create may still be stored.
 */
#define KS_MAX_LATE_COMMIT_MS	60000
#define KS_NODE_NAME		"kubesim-node-1"

/* Resources served; the order is the order of GET /clusters/X/objects. */
enum ks_res {
	KS_APP = 0,
	KS_POD,
	KS_EVENT,
	KS_SECRET,
	KS_RES__MAX
};

struct ks_resdef {
	const char	*plural;	/* "sparkapplications" */
	const char	*group;		/* "" for the core group */
	const char	*version;
	const char	*apiversion;	/* "sparkoperator.k8s.io/v1beta2" */
	const char	*kind;
	const char	*listkind;
	const char	*qualified;	/* plural.group, or plural */
};

extern const struct ks_resdef ks_res[KS_RES__MAX];

enum ks_evtype {
	KS_ADDED = 0,
	KS_MODIFIED,
	KS_DELETED,
};

/* One entry of a cluster's watch history (a bounded ring). */
struct ks_hev {
	uint64_t	 rv;
	enum ks_res	 res;
	enum ks_evtype	 type;
	json_t		*obj;	/* the object after the change (owned) */
	json_t		*prev;	/* before it, for MODIFIED and DELETED
				 * (owned), or NULL */
};

enum ks_fkind {
	KS_F_LATENCY = 0,
	KS_F_ERROR,
	KS_F_DROP,
	KS_F_THROTTLE,
	KS_F_DOWN,
	KS_F_GARBAGE,		/* 200 with a body that is not JSON */
	KS_F_WATCHCUT,		/* a watch stream breaks mid-event */
	KS_F_WATCHGARBAGE,	/* a watch stream sends a non-JSON line */
	KS_F_LATEANSWER,	/* served at once, answered ms later */
	KS_F_LATECOMMIT,	/* a create answered at once, stored ms later */
	KS_F_EXPIRE,		/* a continued list finds its version
				 * compacted (410 Expired) */
	KS_F_HOLD,		/* held until released, then carried out */
	KS_F__MAX
};

struct ks_fault {
	enum ks_fkind	 kind;
	char		 method[16];	/* "" for any */
	char		 path[256];	/* prefix, "" for any */
	long		 count;		/* requests left, -1 for no limit */
	double		 rate;		/* probability, 0..1 */
	int		 code;		/* KS_F_ERROR */
	int		 retry_after;	/* KS_F_THROTTLE, seconds */
	long		 ms;		/* KS_F_LATENCY */
	char		 message[256];	/* KS_F_ERROR, "" for the default */
	int		 commit;	/* KS_F_ERROR: serve, then answer it */
	int		 close;		/* KS_F_ERROR: close at the next request */
};

/* What the simulated spark-operator does with new applications. */
struct ks_opcfg {
	int	 frozen;
	char	 outcome[32];		/* COMPLETED, FAILED, ... */
	json_t	*apps;			/* app name -> outcome */
	int	 submit_ticks;		/* "" to SUBMITTED */
	int	 pending_ticks;		/* SUBMITTED to RUNNING */
	int	 run_ticks;		/* RUNNING to SUCCEEDING/FAILING */
	char	 error_message[256];	/* for FAILED, "" for the default */
};

struct ks_stats {
	long	 connections;		/* TLS connections accepted */
	long	 active_connections;
	long	 requests;
	json_t	*methods;		/* "GET" -> count */
	json_t	*codes;			/* "200" -> count */
	long	 faults[KS_F__MAX];
	long	 watches;
	long	 active_watches;
	long	 log_follows;
};

struct kubesim;

/* The keys of a cluster's objects of one kind in byte order, as etcd
 * keeps them; rebuilt on the first read after a key came or went. */
struct ks_index {
	char		**keys;
	size_t		 n;
	int		 fresh;
};

/* A read of one kind's objects at a resourceVersion, in key order, from
 * after a key on (a list page): the sorted keys of the objects as they are
 * now, merged with the keys the history after rv changed, which carry
 * their object as it was at rv (NULL: none then). */
struct ks_view_ov {
	const char	*key;
	json_t		*obj;
};

struct ks_view {
	json_t		*objs;		/* the kind's objects now */
	char		**keys;		/* of objs, sorted (the index's) */
	size_t		 nkeys, i;
	json_t		*ovmap;		/* key -> object at rv, or null */
	struct ks_view_ov *ov;		/* ovmap's entries, sorted */
	size_t		 nov, j;
	const char	*ns;
	size_t		 nslen;
};

struct ks_cluster {
	struct kubesim	*ks;
	char		 name[KS_MAX_NAME + 1];
	unsigned	 port;
	void		*daemon;	/* struct MHD_Daemon */
	uint64_t	 rv;		/* last resourceVersion handed out */
	json_t		*objs[KS_RES__MAX];	/* "ns/name" -> object */
	json_t		*logs;		/* "ns/pod" -> array of lines */
	json_t		*opstate;	/* "ns/app" -> operator bookkeeping */
	struct ks_hev	*hist;
	size_t		 hcap, hstart, hlen;
	uint64_t	 compacted;	/* rv up to which history is gone */
	struct ks_fault	 faults[KS_MAX_FAULTS];
	size_t		 nfaults;
	uint64_t	 rng;
	struct ks_opcfg	 op;
	struct ks_stats	 st;
	uint64_t	 serial;	/* for names of events */
	json_t		*pending;	/* late commits: [{"due","obj"}] */
	uint64_t	 hold_gen;	/* bumped when held requests go on */
	long		 held;		/* requests held now (KS_F_HOLD) */
	struct ks_index	 idx[KS_RES__MAX];	/* keys of objs, sorted */
};

struct kubesim {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* CLOCK_MONOTONIC */
	int		 stopping;
	struct schema	*schema;
	const char	*token;
	struct ks_cluster clusters[KS_MAX_CLUSTERS];
	size_t		 nclusters;
	long		 tick_ms;
	double		 ttl_scale;
	long		 bookmark_ms;
	size_t		 hist_default;
	uint64_t	 seed;
	char		 default_ns[KS_MAX_NAME + 1];
	int		 quiet;
};

/* util.c */
long long	 ks_now_ms(void);	/* CLOCK_MONOTONIC */
long long	 ks_wall_ms(void);	/* CLOCK_REALTIME */
/* RFC 3339 UTC, seconds ("2024-05-01T10:00:00Z"), into buf[21+]. */
void		 ks_rfc3339(char *buf, size_t len, long long wall_ms);
/* RFC 3339 with nanoseconds, as log timestamps. */
void		 ks_rfc3339nano(char *buf, size_t len, long long wall_ms);
uint64_t	 ks_rand(uint64_t *state);
double		 ks_rand01(uint64_t *state);
/* n lower-case hex digits into buf (n + 1 bytes). */
void		 ks_hex(uint64_t *state, char *buf, size_t n);
/* A version 4 UUID, 37 bytes. */
void		 ks_uuid(char *buf);
/* Wait on ks->cv at most ms milliseconds (lock held). */
void		 ks_wait(struct kubesim *, long long ms);
/* "ns/name", a new string. */
char		*ks_key(const char *ns, const char *name);
const char	*ks_meta_str(const json_t *obj, const char *field);
/* DNS-1123 / DNS-1035 / label checks; Kubernetes' messages into causes. */
enum bpg_err	 ks_check_subdomain(json_t *causes, const char *field,
		    const char *value) BPG_WUR;
enum bpg_err	 ks_check_dns1035(json_t *causes, const char *field,
		    const char *value) BPG_WUR;
enum bpg_err	 ks_check_labels(json_t *causes, const char *field,
		    json_t *labels) BPG_WUR;
enum bpg_err	 ks_check_annotations(json_t *causes, const char *field,
		    json_t *annotations) BPG_WUR;
enum bpg_err	 ks_check_qualified(json_t *causes, const char *field,
		    const char *value) BPG_WUR;
/* Non-zero if value is a valid label value. */
int		 ks_label_value_ok(const char *value);
/* A Status object (Kubernetes API conventions: Status). */
json_t		*ks_status(int code, const char *reason, const char *message,
		    json_t *details);

/* store.c (lock held) */
void		 ks_cluster_init(struct kubesim *, struct ks_cluster *);
void		 ks_cluster_reset(struct ks_cluster *);
void		 ks_cluster_free(struct ks_cluster *);
/* Requests held by a "hold" fault go on (they are carried out). */
void		 ks_release_held(struct ks_cluster *);
/* The stored object (borrowed; never changed in place), or NULL. */
json_t		*ks_get(struct ks_cluster *, enum ks_res, const char *ns,
		    const char *name);
/* Store obj (reference stolen): new rv, history, wake-up.  0 or -1. */
int		 ks_add(struct ks_cluster *, enum ks_res, json_t *obj);
/* Replace the object of the same namespace and name (MODIFIED). */
int		 ks_replace(struct ks_cluster *, enum ks_res, json_t *obj);
/* Remove; *gone (if not NULL) receives the final object. */
int		 ks_remove(struct ks_cluster *, enum ks_res, const char *ns,
		    const char *name, json_t **gone);
/* Objects of res in ns (NULL: all) sorted by namespace, name (new). */
json_t		*ks_list(struct ks_cluster *, enum ks_res, const char *ns);
/*
 * The objects of res in ns (NULL: all) as they were at resourceVersion
 * rv, which must not be older than cl->compacted (the history after rv
 * undone, as etcd reads at an old revision), in key order, those with a
 * key after `after` (NULL: all).  Costs the history after rv plus a binary
 * search, not a copy of the store: a list page of a large store stays
 * cheap.  ks_view_next() gives each object (borrowed), then NULL.  The
 * view is valid while ks->mu stays held.
 */
int		 ks_view_open(struct ks_view *, struct ks_cluster *,
		    enum ks_res, const char *ns, uint64_t rv,
		    const char *after) BPG_WUR;
json_t		*ks_view_next(struct ks_view *);
/* How many objects ks_view_next() has yet to give, without them. */
size_t		 ks_view_rest(struct ks_view *);
void		 ks_view_close(struct ks_view *);
uint64_t	 ks_hist_oldest(const struct ks_cluster *);
const struct ks_hev *ks_hist_at(const struct ks_cluster *, size_t i);
int		 ks_hist_resize(struct ks_cluster *, size_t cap);
void		 ks_hist_compact(struct ks_cluster *);
int		 ks_parse_rv(const char *s, uint64_t *rv);

/* sim.c (lock held) */
void		 ks_sim_tick(struct ks_cluster *, int force);
void		 ks_sim_app_created(struct ks_cluster *, json_t *app);
void		 ks_sim_opcfg_reset(struct ks_opcfg *);
/*
 * Store the late commits that are due (a name taken meanwhile loses its
 * commit, as the losing create of two gets AlreadyExists); returns when
 * the next one is due (ks_now_ms() time), or 0 if none is left.
 */
long long	 ks_sim_commits(struct ks_cluster *);
/* An event about obj (borrowed). */
int		 ks_event(struct ks_cluster *, const json_t *obj,
		    const char *type, const char *reason, const char *component,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void		*ks_ticker(void *);

/* select.c */
struct ks_lsel;
struct ks_fsel;
/* NULL or "" selects everything.  Parse errors go to err. */
int		 ks_lsel_parse(const char *s, struct ks_lsel **,
		    char *err, size_t errlen);
int		 ks_lsel_match(const struct ks_lsel *, const json_t *labels);
void		 ks_lsel_free(struct ks_lsel *);
int		 ks_fsel_parse(const char *s, enum ks_res, struct ks_fsel **,
		    char *err, size_t errlen);
int		 ks_fsel_match(const struct ks_fsel *, const json_t *obj);
void		 ks_fsel_free(struct ks_fsel *);

/* api.c, control.c: MHD access handlers and their bookkeeping. */
int		 ks_api_start(struct ks_cluster *, const char *cert,
		    const char *key, char *err, size_t errlen);
void		 ks_api_stop(struct ks_cluster *);
/* *port 0 picks a free port and receives it. */
void		*ks_control_start(struct kubesim *, const char *addr,
		    unsigned *port, char *err, size_t errlen);
void		 ks_control_stop(void *);

#endif
