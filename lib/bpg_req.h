/*
 * The submit request (POST /spark body, bpg-reference sections 1.1, 2.1):
 * JSON (jansson) or YAML (libyaml through bpg_yaml) bound to one typed
 * struct.  Everything a later stage reads is checked here, once: types,
 * sizes, and the shapes of nested objects.  Nested Kubernetes objects the
 * gateway only copies into the CR (env, volume mounts, affinity, ...) are
 * kept as jansson trees rebuilt from their known fields only, so unknown
 * nested fields are dropped as BPG drops them.
 */
#ifndef BPG_REQ_H
#define BPG_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_err.h"

/* DriverSpec / ExecutorSpec (section 1.1). */
struct bpg_pod_req {
	bool present;			/* the object was in the request */
	bool has_cores;
	int64_t cores;
	char *core_request;
	char *core_limit;
	char *memory;
	char *memory_overhead;
	char *image;
	json_t *env;			/* array of {name, value | valueFrom} */
	json_t *labels;			/* object of strings */
	json_t *annotations;		/* object of strings */
	bool has_termination_grace_period_seconds;
	int64_t termination_grace_period_seconds;
	char *service_account;
	json_t *volume_mounts;		/* array of VolumeMount */
	json_t *security_context;	/* {privileged, runAsUser, ...} */
	json_t *affinity;		/* {nodeAffinity: {...}} */
	json_t *dns_config;		/* PodDNSConfig */
	char *java_options;
	/* driver only */
	char *pod_name;
	char *kubernetes_master;
	/* executor only */
	bool has_instances;
	int64_t instances;
	bool has_delete_on_termination;
	bool delete_on_termination;
};

struct bpg_submit_req {
	char *submission_id_suffix;
	char *application_name;
	char *type;
	char *mode;			/* accepted and ignored */
	char *image;
	bool spot_instance;
	char *spark_version;
	char *main_class;
	char *main_application_file;
	json_t *arguments;		/* array of strings, or NULL */
	json_t *spark_conf;		/* object of strings, or NULL */
	json_t *volumes;		/* array of Volume, or NULL */
	struct bpg_pod_req driver;
	struct bpg_pod_req executor;
	json_t *driver_overhead_factor;	/* number; stored, not used */
	json_t *executor_overhead_factor;
	json_t *overhead_factor;
	json_t *deps;			/* Dependencies, or NULL */
	char *python_version;
	char *image_pull_policy;
	json_t *restart_policy;		/* RestartPolicy, or NULL */
	char *cluster_id;
	char *queue;
	char *queue_token;		/* secret: never logged or stored */
	char *idempotency_key;		/* unchecked (bpg_idem_pick()); not stored */
	json_t *depends_on;		/* array of strings (bpg_deps.h), or NULL */
	char *dependency_policy;	/* checked by bpg_deps_from_req() */
	json_t *retry_policy;		/* checked (bpg_retry_parse()), or NULL */
	/* (ours) webhooks, as sent (bpg_notify_parse() checks it); not in
	 * request_body */
	json_t *notify;
};

enum bpg_req_format {
	BPG_REQ_JSON,
	BPG_REQ_YAML,
};

/*
 * Format from a Content-Type value (NULL allowed): YAML when it contains
 * "yaml" in any case, else JSON (section 1.1).
 */
enum bpg_req_format bpg_req_format_of(const char *content_type);

/*
 * Parse body[0..len) into *out (zeroed first; free with bpg_req_reset()
 * even on error).  On error ei->msg is BPG's text without the exception
 * prefix, e.g. "Invalid JSON request: ..." or "Invalid YAML request: ...",
 * or the "looks like a file path" text (section 2.1, Appendix A);
 * BPG_EINVAL, BPG_ETOOBIG, BPG_ENOMEM.  An unknown top-level field, a
 * wrong type, and a null body are errors.
 *
 * BPG_ETOOBIG is any size limit of bpg_limits.h: the body over
 * BPG_MAX_BODY, nesting over BPG_MAX_DEPTH, a map or list over
 * BPG_MAX_ENTRIES, a string over BPG_MAX_STRING, more than BPG_MAX_BODY
 * bytes of text in all (YAML aliases), or a YAML document over
 * BPG_MAX_YAML_NODES.  Everything else the client sent wrong is
 * BPG_EINVAL; both are 400s with the "Invalid ... request: " text.
 * body may be NULL (an empty body); ei may be NULL.  ei->msg is valid
 * UTF-8 without control characters, whatever the body held.
 */
enum bpg_err bpg_req_parse(const char *body, size_t len,
    enum bpg_req_format fmt, struct bpg_submit_req *out,
    struct bpg_errinfo *ei) BPG_WUR;

/*
 * The same through the tree alone (the reference of the streaming
 * binder, for tests): the same results by definition.
 */
enum bpg_err bpg_req_parse_ref(const char *body, size_t len,
    enum bpg_req_format fmt, struct bpg_submit_req *out,
    struct bpg_errinfo *ei) BPG_WUR;

/* a and b hold the same request, field by field (the trees as the same
 * text, members in the same order). */
bool bpg_req_same(const struct bpg_submit_req *a,
    const struct bpg_submit_req *b);

/* Free everything the struct owns and zero it. */
void bpg_req_reset(struct bpg_submit_req *);

/*
 * The request as BPG stores it in request_body (section 2.20): fields in
 * BPG's model order, nulls omitted, env lists removed, queueToken "***",
 * spotInstance always present.  New reference, or NULL on ENOMEM; it
 * shares nothing with the struct (deep copies).  Dump it with
 * JSON_COMPACT | JSON_PRESERVE_ORDER to get BPG's bytes.
 */
json_t *bpg_req_sanitized(const struct bpg_submit_req *);

/*
 * The text of bpg_json_dump(bpg_req_sanitized(r)), written without the
 * tree: a new string, or NULL when that would be NULL (out of memory).
 */
char *bpg_req_sanitized_text(const struct bpg_submit_req *r);

/*
 * The text of bpg_db_request_summary(bpg_req_sanitized(r)) (the parts a
 * history row shows), written without either tree: a new string, or
 * NULL when memory runs out.
 */
char *bpg_req_summary_text(const struct bpg_submit_req *r);

/*
 * The request body as JSON that bpg_req_parse(BPG_REQ_JSON) binds to the
 * same request: a JSON body as it is, a YAML one as its tree (scalars as
 * strings, which the binder coerces as it does YAML's).  Call it only on a
 * body that parsed.  Everything is kept, secrets too (queueToken, env):
 * for the database only.  New string, NULL on ENOMEM.
 */
char *bpg_req_json_text(const char *body, size_t len,
    enum bpg_req_format fmt);

/* True if the whole body looks like a file path (section 2.1). */
bool bpg_req_looks_like_path(const char *body, size_t len);

#endif
