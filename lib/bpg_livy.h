/*
 * Apache Livy's batch API, as far as it is pure translation: a Livy
 * batch body (POST /batches, Livy REST API "Batch" request) checked and
 * turned into our SubmitApplicationRequest (bpg_req.h), our application
 * states mapped onto Livy's batch states, and the window of log lines
 * GET /batches/{id}/log answers.  No I/O: bpg_api_livy.c does that.
 */
#ifndef BPG_LIVY_H
#define BPG_LIVY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_err.h"

/* The sparkConf key that names the Spark version of a Livy batch. */
#define BPG_LIVY_VERSION_CONF "spark.bpg.version"
/* Log lines a GET /batches/{id}/log answers by default and at most. */
#define BPG_LIVY_LOG_SIZE 100
#define BPG_LIVY_LOG_MAX_SIZE 1000
/* Bytes of one log line kept (longer lines are cut). */
#define BPG_LIVY_LOG_MAX_LINE 8192
/* Batches GET /batches lists by default and at most. */
#define BPG_LIVY_LIST_SIZE 100
#define BPG_LIVY_LIST_MAX_SIZE 1000

/*
 * Parse the Livy batch body[0..len) (JSON, duplicate keys refused) and
 * translate it.  Every field's type is checked; an unknown field, a
 * missing or empty "file", a memory size that is not "<n>[k|m|g|t|p][b]"
 * are BPG_EINVAL with ei naming the field.  *request gets a new
 * SubmitApplicationRequest object (the caller's; feed its text to
 * bpg_req_parse(), which runs every check of POST /spark), *proxy_user a
 * new string when the body has "proxyUser", else NULL.  The Spark version
 * is conf["spark.bpg.version"] (removed from sparkConf), else
 * default_version (NULL: none; the request then names none).  On error
 * both outputs are NULL.  BPG_EINVAL, BPG_ETOOBIG (over BPG_MAX_BODY),
 * BPG_ENOMEM.  ei->msg is printable ASCII whatever the body held.
 */
enum bpg_err bpg_livy_translate(const char *body, size_t len,
    const char *default_version, json_t **request, char **proxy_user,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * A Livy memory size ("4g", "512m", "2GB", "1024": MiB, as Spark reads a
 * size without a unit) as our request's memory: digits and one of k, m,
 * g, t, p in lower case, written to out (size bytes).  false if s is not
 * such a size, is zero, or does not fit.
 */
bool bpg_livy_memory(const char *s, char *out, size_t size);

/*
 * The Livy batch state of one of our application states (the operator's,
 * the gateway's LOST and BPG's FAILED_SUBMISSION; NULL or "" is a
 * submission not yet seen by the operator).  Case is ignored.  Static
 * string, never NULL; a state it does not know reads "starting" (not
 * terminal: the client polls on).
 */
const char *bpg_livy_state(const char *state);

/*
 * The Livy state of a batch whose application is in state (as for
 * bpg_livy_state()) and which was deleted through DELETE /batches/{id}
 * (deleted): "killed" unless the application had already ended by
 * itself (COMPLETED, FAILED, SUBMISSION_FAILED, FAILED_SUBMISSION); a
 * LOST application that was deleted was lost by the delete.
 */
const char *bpg_livy_batch_state(const char *state, bool deleted);

/* Is a Livy batch state terminal (success, dead, killed, error)? */
bool bpg_livy_state_terminal(const char *livy_state);

/* Is one of our states terminal (COMPLETED, FAILED, SUBMISSION_FAILED,
 * FAILED_SUBMISSION, LOST)? */
bool bpg_livy_app_terminal(const char *state);

/*
 * The lines of a log in the window GET /batches/{id}/log answers: from
 * (0-based; < 0: the last size lines) and size lines.  Lines end at
 * "\n" (a "\r" before it is dropped); a last line without one counts.
 * Only the window's lines are held, each cut to BPG_LIVY_LOG_MAX_LINE
 * bytes.  Use: bpg_livy_log_init(), feed() the bytes, end(), read
 * total, first and the lines with bpg_livy_log_lines(), free().
 */
struct bpg_livy_log {
	int64_t from;		/* asked; < 0: the tail */
	int64_t size;		/* lines wanted */
	int64_t total;		/* lines seen */
	char **ring;		/* size slots */
	size_t nring;		/* slots used */
	char *part;		/* the line being read */
	size_t plen, pcap;
	bool cut;		/* part is full: drop the rest of the line */
	bool oom;
};

/* size is clamped to 0..BPG_LIVY_LOG_MAX_SIZE. */
void bpg_livy_log_init(struct bpg_livy_log *, int64_t from, int64_t size);
/* 0, or -1 when memory ran out (the log is then incomplete). */
int bpg_livy_log_feed(struct bpg_livy_log *, const char *p, size_t n);
int bpg_livy_log_end(struct bpg_livy_log *);
/*
 * The window's first line number (what Livy answers as "from") in *from,
 * and its lines as a new JSON array of strings (in a line that is not
 * UTF-8, bytes above 0x7f become '?'); NULL when memory runs out.
 */
json_t *bpg_livy_log_lines(const struct bpg_livy_log *, int64_t *from);
void bpg_livy_log_free(struct bpg_livy_log *);

#endif
