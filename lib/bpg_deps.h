/*
 * Dependencies between submissions (request fields dependsOn and
 * dependencyPolicy): their checks and the decision on a waiting
 * submission.  Pure: no I/O, no database; the gateway (bpg_api_deps.c)
 * and the monitor (bpg_monitor_deps.c) read the states and ask here.
 *
 * A submission with dependencies is recorded in state WAITING and gets no
 * SparkApplication until every dependency (the last attempt of its
 * chain) is COMPLETED (allSucceeded, the default) or finished in any
 * state (allFinished).  Under allSucceeded a dependency that finishes
 * otherwise makes it DEPENDENCY_FAILED; DELETE makes a WAITING one
 * CANCELLED.  Cycles cannot happen: a dependency must exist before the
 * submission that names it.
 */
#ifndef BPG_DEPS_H
#define BPG_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "bpg_err.h"
#include "bpg_limits.h"

/* Most dependencies one submission may name. */
#define BPG_DEPS_MAX 32

/* The row states of application_submission this feature writes. */
#define BPG_DEPS_WAITING "WAITING"
#define BPG_DEPS_FAILED "DEPENDENCY_FAILED"
#define BPG_DEPS_CANCELLED "CANCELLED"

enum bpg_deps_policy {
	BPG_DEPS_ALL_SUCCEEDED,
	BPG_DEPS_ALL_FINISHED,
	BPG_DEPS_POLICY__MAX
};

struct bpg_deps {
	size_t n; /* 0: none (a plain submission) */
	char ids[BPG_DEPS_MAX][BPG_MAX_SUBMISSION_ID + 1];
	enum bpg_deps_policy policy;
};

/*
 * The request's dependsOn (NULL or a JSON array of strings, as
 * bpg_req_parse() bound it) and dependencyPolicy (NULL: allSucceeded)
 * checked into *out: at most BPG_DEPS_MAX IDs, each well formed
 * (bpg_deps_id_ok()), none twice, and a known policy.  A
 * dependencyPolicy without dependsOn is accepted and means nothing.
 * BPG_EINVAL with a message naming the field; *out is then empty.
 */
enum bpg_err bpg_deps_from_req(const json_t *depends_on, const char *policy,
    struct bpg_deps *out, struct bpg_errinfo *ei) BPG_WUR;

/*
 * Whether id has the form of a submission ID the gateway makes:
 * "<cluster id>-<32 lower-case hex>" with an optional "-<DNS label>",
 * at most BPG_MAX_SUBMISSION_ID characters, lower-case letters, digits
 * and '-' only.  Whether its cluster exists is the caller's to check.
 */
bool bpg_deps_id_ok(const char *id);

/* "allSucceeded" / "allFinished"; NULL for a bad value. */
const char *bpg_deps_policy_name(enum bpg_deps_policy);
/* The policy named s (exact case); false if none. */
bool bpg_deps_policy_of(const char *s, enum bpg_deps_policy *out);

/* Where one dependency stands, from its last attempt. */
enum bpg_deps_dep {
	BPG_DEPS_DEP_OPEN,	/* not finished, or to be retried */
	BPG_DEPS_DEP_COMPLETED,	/* finished COMPLETED */
	BPG_DEPS_DEP_ENDED	/* finished otherwise, and final */
};

/*
 * A dependency from its last attempt's row: status (NULL: none),
 * finished (the row has a finished_time), and retry (that attempt will
 * still be retried).  A row that is missing is ENDED (nothing will run).
 */
enum bpg_deps_dep bpg_deps_dep_of(bool found, const char *status,
    bool finished, bool retry);

enum bpg_deps_decision {
	BPG_DEPS_WAIT,		/* not yet */
	BPG_DEPS_RELEASE,	/* create its SparkApplication now */
	BPG_DEPS_FAIL		/* DEPENDENCY_FAILED */
};

/*
 * The decision for a waiting submission whose n dependencies stand as
 * dep[0..n): allSucceeded fails as soon as one is ENDED (*failed, may be
 * NULL, its index) and releases when all are COMPLETED; allFinished
 * releases when none is OPEN and never fails.  n 0 releases.
 */
enum bpg_deps_decision bpg_deps_decide(enum bpg_deps_policy,
    const enum bpg_deps_dep *dep, size_t n, size_t *failed);

#endif
