/*
 * Helpers shared by the integration programs (tests/integ/check_*.c): the
 * running stack's settings, HTTP requests to the gateway, the Kubernetes
 * stand-in and its control API, MariaDB, files and the gateway's
 * processes.
 *
 * The stack is the one tests/stack.sh starts; its addresses come from the
 * variables it writes to $BPG_STACK_DIR/env (BPG_URL, BPG_KUBE_A, ...),
 * which tests/integ.sh sources before running each program.
 *
 * Every helper checks what it does with Check's ck_assert*(): a failure
 * (a variable not set, a file not there, a transfer that did not complete,
 * a query the database refused) ends the running test, so none of them
 * returns an error.  Strings they return are the caller's to free(); JSON
 * values are new references, the caller's to json_decref().
 */
#ifndef INTEG_H
#define INTEG_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <check.h>
#include <jansson.h>
#include <mysql.h>

/* The namespace of the SparkApplications and their collection's path. */
#define INTEG_NS "spark-applications"
#define INTEG_APPS                                                             \
	"/apis/sparkoperator.k8s.io/v1beta2/namespaces/" INTEG_NS              \
	"/sparkapplications"
/* A user of the stack's htpasswd with no special rights. */
#define INTEG_ALICE "alice:alice-pw"
#define INTEG_JSON "application/json"

/* integ_run() flags. */
#define INTEG_KEEPALIVE 0x01 /* one connection for all requests */

/*
 * Runs the suite (Check's fork mode, CK_NORMAL output) between
 * curl_global_init() and curl_global_cleanup(); returns the exit status
 * for main(): 0 when every test passed, else 1.  With INTEG_KEEPALIVE,
 * integ_request() keeps one curl handle per test process, so requests
 * reuse its connections (for tests that time many quick requests);
 * without, every request has a handle, and a connection, of its own.
 */
int integ_run(Suite *s, unsigned flags);

/* The stack's variable name (tests/stack.sh): it must be set, not empty. */
const char *integ_env(const char *name);

/*
 * The file at path, NUL-terminated, in a new buffer; *len (if len is not
 * NULL) gets its size.  The file must exist.
 */
char *integ_slurp(const char *path, size_t *len);

/* Writes text to path through path.tmp and a rename: readers see the old
 * file or the new one, never half of it. */
void integ_spit(const char *path, const char *text);

/* ---- HTTP --------------------------------------------------------- */

/* An answer: status, body (never NULL, "" when empty) and its parse. */
struct integ_http {
	long status;
	char *body; /* NUL-terminated; len bytes before it */
	size_t len;
	size_t cap; /* room allocated at body */
	char ctype[128]; /* Content-Type, "" when none */
	char retry_after[32]; /* Retry-After, "" when none */
	json_t *json; /* the body as JSON, NULL if it is not */
};

/* Frees the body and the JSON and zeroes h; h may be zeroed already. */
void integ_http_free(struct integ_http *h);

/* One request; fields left zero take the default given. */
struct integ_req {
	const char *method; /* "GET", "POST", "DELETE", ... */
	const char *url; /* absolute, or a path after $BPG_URL ("/...") */
	const char *ca; /* CA file; NULL: $BPG_CA */
	const char *userpw; /* "user:password" (RFC 7617), or NULL */
	const char *bearer; /* token for "Authorization: Bearer", or NULL */
	const char *ctype; /* Content-Type sent, or NULL for none */
	/*
	 * The body: bytes in memory (len of them; 0: strlen(body)), or a
	 * file streamed from its position (len bytes; -1: a length nobody
	 * announces, so no Content-Length, chunked on HTTP/1.1).  Neither:
	 * no body, and no Content-Length either, whatever the method.
	 */
	const char *body;
	FILE *file;
	long long len;
	/*
	 * HTTP/1.1 instead of HTTP/2: a web server that refuses a request
	 * before reading its body answers and resets the HTTP/2 stream
	 * (RFC 9113 §8.1 allows RST_STREAM NO_ERROR after a complete
	 * response), which libcurl 7.88 reports as an error instead of
	 * returning the answer.
	 */
	bool http11;
	long timeout; /* seconds for the whole transfer; 0: 60 */
	/*
	 * A connection of its own even with INTEG_KEEPALIVE.  Under the
	 * sanitizers, a request sent on a kept HTTP/2 connection to lighttpd
	 * right after an answer that took several seconds failed now and
	 * then ("Error in the HTTP2 framing layer") without reaching
	 * lighttpd's access log: the connection was going away (likely
	 * server.max-keep-alive-idle, 5 s), and libcurl 7.88 does not send
	 * such a request again.  XXX: not reproduced in isolation.
	 */
	bool fresh;
	/* More header lines ("Name: value"; "Name;" sends it empty), up to
	 * a NULL; NULL: none. */
	const char *const *headers;
};

/*
 * Sends r and returns the answer (freed with integ_http_free()).  The path
 * goes out as written (no dot-segment removal): tests send "..".  Every
 * request has "Expect:" emptied, so bodies go without a 100-continue wait.
 */
struct integ_http integ_request(const struct integ_req *r);

/*
 * n copies of r sent at once, each on a connection of its own; the
 * answers go to out[0..n) (each freed with integ_http_free()), in no
 * particular order.  Every transfer must end without a transport error.
 */
void integ_parallel(const struct integ_req *r, int n, struct integ_http *out);

/* A request to the gateway at $BPG_URL + path; body (a string) and ctype
 * may be NULL. */
struct integ_http integ_api(const char *method, const char *path,
    const char *userpw, const char *ctype, const char *body);

/*
 * "spark-cluster-a" or "spark-cluster-b", the stand-in's cluster named by
 * cluster: "a", "b", or a submission ID ("spark-cluster-a-...").
 */
const char *integ_cluster(const char *cluster);

/* A request to a simulated cluster's Kubernetes API (cluster as for
 * integ_cluster()), with the stack's token; body (JSON) may be NULL. */
struct integ_http integ_kube(const char *cluster, const char *method,
    const char *path, const char *body);

/*
 * A request to the stand-in's control API (faults, operator, stats):
 * path after $BPG_KUBE_CONTROL, or with cluster (as for integ_cluster())
 * after $BPG_KUBE_CONTROL/clusters/<cluster>.  body (JSON) may be NULL.
 * The answer must be a 2xx; its JSON is returned (NULL if none).
 */
json_t *integ_control(const char *cluster, const char *method, const char *path,
    const char *body);

/*
 * A counter of the stand-in's statistics of cluster (GET .../stats) at a
 * dotted path ("activeWatches", "methods.GET"); 0 if it has none there.
 */
json_int_t integ_kube_stat(const char *cluster, const char *path);

/* The SparkApplications in a simulated cluster (the list must be a 200). */
size_t integ_cr_count(const char *cluster);

/*
 * h is one of BPG's JSON errors: its status is status, its body a JSON
 * object whose "code" is that status and whose "message" holds text.
 */
void integ_assert_error(
    const struct integ_http *h, long status, const char *text);

/* ---- JSON --------------------------------------------------------- */

/* The string at a dotted path of objects ("metadata.labels.queue"), or
 * NULL if anything on the way is missing or not a string. */
const char *integ_jstr(const json_t *o, const char *path);

/* The integer at a dotted path; it must be one. */
json_int_t integ_jint(const json_t *o, const char *path);

/* ---- submissions -------------------------------------------------- */

/* The SparkPi request of the shared specs ($BPG_SHARED_DIR/spec),
 * NUL-terminated; *len (if not NULL) gets its length. */
char *integ_sparkpi(size_t *len);

/*
 * Submits the SparkPi request as userpw, with its top-level key set to
 * value (stolen) when key is not NULL; the answer must be a 200 with a
 * submissionId, which is returned.
 */
char *integ_submit(const char *userpw, const char *key, json_t *value);

/*
 * Polls id's status as alice, every 0.1 s, until its applicationState is
 * want or seconds have passed; every answer must be a 200.  Returns the
 * last answer's JSON: the caller checks the state it holds.
 */
json_t *integ_wait_state(const char *id, const char *want, int seconds);

/* ---- the database ------------------------------------------------- */

/* A new connection to the stack's MariaDB (mysql_close() it). */
MYSQL *integ_db_open(void);

/* Rows of bpg.application_submission, all or WHERE where (SQL). */
long integ_db_count(const char *where);

/*
 * id's row of bpg.application_submission: whether there is one, and the
 * n columns of the select list cols in out[0..n-1], each a new string or
 * NULL for SQL NULL (all NULL when there is no row).
 */
bool integ_db_row(const char *id, const char *cols, char **out, int n);

/* Run the statement printf(fmt, ...) (the test fails if it fails). */
void integ_db_exec(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The first column of the first row of printf(fmt, ...): a new string,
 * NULL when there is no row or it is SQL NULL. */
char *integ_db_str(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* The same as a number; -1 when there is none. */
long integ_db_long(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* ---- time ---------------------------------------------------------- */

/* CLOCK_MONOTONIC in ms. */
long long integ_now_ms(void);

/* Sleep ms, resumed after a signal. */
void integ_sleep_ms(long ms);

/* The same control call to both simulated clusters (answers dropped). */
void integ_control_both(const char *method, const char *path,
    const char *body);

/* ---- monitors ------------------------------------------------------- */

/*
 * build/bpg-monitor processes ($BUILD/bpg-monitor) on the stack's config
 * with -v and the test's extra arguments (NULL-terminated), each logging
 * to $BPG_STACK_DIR/monitor-<tag>-<index>.log (emptied at start), and
 * killed with the test process whatever happens to it.  At most
 * INTEG_MAX_MON per test process; integ_mon_stop_all() (in a
 * teardown) kills them all and starts the count again.
 */
#define INTEG_MAX_MON 4

int integ_mon_start(const char *tag, ...);
/* Signal monitor i, wait for it (at most 60 s, then SIGKILL); its wait
 * status, -1 if it was not running. */
int integ_mon_stop(int i, int sig);
void integ_mon_stop_all(void);
bool integ_mon_alive(int i);
pid_t integ_mon_pid(int i);
const char *integ_mon_log(int i);
/* Lines of monitor i's log holding text. */
int integ_mon_count(int i, const char *text);
/* Whether such a line shows up within seconds. */
bool integ_mon_wait(int i, const char *text, int seconds);

/* ---- the gateway's processes -------------------------------------- */

/*
 * Write text to cfgpath (the stack's config.yaml), SIGHUP the supervisor
 * and wait (at most 60 s) until every worker is a new one, which has read
 * it.
 */
void integ_reload(const char *cfgpath, const char *text);

/* The supervisor's pid, from $BPG_STACK_DIR/gateway.pid. */
pid_t integ_supervisor(void);

/* The supervisor's children (its workers), at most max, in ascending
 * order; how many there are. */
int integ_workers(pid_t super, pid_t *out, int max);

#endif
