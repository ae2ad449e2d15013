/*
 * libmicrohttpd glue shared by the Kubernetes API and the control API of
 * the stand-in: one struct ks_req per request (its body, the status sent,
 * response headers to add) and the response helpers.
 */
#ifndef KUBESIM_HTTP_H
#define KUBESIM_HTTP_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>
#include <microhttpd.h>

#include "kubesim.h"

struct ks_req {
	struct ks_cluster *cl;		/* NULL on the control API */
	char		 method[16];
	char		*target;	/* path and query, for the log */
	char		*body;		/* NUL-terminated, may be NULL */
	size_t		 len, cap, max;
	int		 too_big;
	unsigned	 code;		/* status sent, 0 if none */
	json_t		*warnings;	/* Warning header texts, or NULL */
	int		 retry_after;	/* seconds, 0 for no header */
	long long	 start;		/* ks_now_ms() at arrival */
	int		 fault;		/* KS_F_ERROR/KS_F_THROTTLE or -1 */
	int		 fault_code;
	int		 fault_retry;
	char		 fault_msg[256];
	int		 fault_commit;	/* serve first, then answer the fault */
	int		 fault_close;	/* drop the connection's next request */
	int		 hold;		/* ks_respond() queues nothing */
	long		 late_ms;	/* answer this much later */
	long		 commit_ms;	/* a create is stored this much later */
	int		 commit_code;	/* and answered at once with this */
};

/* A new request record; NULL on ENOMEM.  max bounds the body. */
struct ks_req	*ks_req_new(struct MHD_Connection *, const char *url,
		    const char *method, size_t max);
/* NULL is a no-op. */
void		 ks_req_free(struct ks_req *);
/* Append upload data; sets too_big past max (and keeps nothing more). */
void		 ks_req_append(struct ks_req *, const char *, size_t);

/* Queue a response; body (may be NULL) is taken and freed. */
enum MHD_Result	 ks_respond(struct MHD_Connection *, struct ks_req *,
		    unsigned code, const char *ctype, char *body, size_t len);
/* j is stolen; serialised compactly with a final newline. */
enum MHD_Result	 ks_respond_json(struct MHD_Connection *, struct ks_req *,
		    unsigned code, json_t *j);
/* A Status object (details stolen, may be NULL). */
enum MHD_Result	 ks_respond_status(struct MHD_Connection *, struct ks_req *,
		    unsigned code, const char *reason, const char *message,
		    json_t *details);
/* Queue a streaming response (chunked, HTTP/1.1). */
enum MHD_Result	 ks_respond_stream(struct MHD_Connection *, struct ks_req *,
		    const char *ctype, MHD_ContentReaderCallback,
		    void *cls, MHD_ContentReaderFreeCallback);

/* A query argument, or NULL. */
const char	*ks_arg(struct MHD_Connection *, const char *name);
/* "true" or "1". */
int		 ks_arg_true(struct MHD_Connection *, const char *name);

/* Log one finished request to stderr (never headers, so never tokens). */
void		 ks_req_log(const char *who, const struct ks_req *);

#endif
