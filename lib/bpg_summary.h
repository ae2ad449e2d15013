/*
 * What the read endpoints say about a submission, from its
 * SparkApplication or, once that is gone, from its database row:
 * GetSubmissionStatusResponse (bpg-reference sections 1.3, 4.2, 4.3) and
 * SubmissionSummary (section 1.14).  Pure functions of their inputs and
 * of the time passed in, so every rule is unit-tested.
 *
 * Every object returned is a new reference in BPG's field order, with
 * absent values left out (Jackson NON_NULL) and the primitive fields
 * always present; NULL means out of memory.
 */
#ifndef BPG_SUMMARY_H
#define BPG_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "bpg_config.h"

/*
 * Spark's byteStringAsGb (JavaUtils.byteStringAs), which BPG uses for
 * driverMemoryGB and executorMemoryGB: the text trimmed and lower-cased
 * must be <digits>[b|k|kb|m|mb|g|gb|t|tb|p|pb], no suffix meaning GiB;
 * the value is converted to GiB with truncation ("2432m" is 2, "512m" 0).
 * false for NULL, fractions ("1.5g"), other suffixes ("2Gi") and values
 * that overflow a Java long; *gib is then 0.
 */
bool bpg_summary_memory_gib(const char *s, int64_t *gib);

/*
 * GetSubmissionStatusResponse of a CR (section 4.2) of cluster c, with
 * duration computed at now_ms.  remarks adds the maxRunningMillis texts
 * of section 4.3 to applicationErrorMessage (the status endpoint does,
 * SubmissionSummary does not).
 */
json_t *bpg_summary_status(const struct bpg_cluster *c, const json_t *cr,
    bool remarks, int64_t now_ms);

/*
 * The same answer from a database row (the object of
 * bpg_db_get_submission() or a bpg_db_history() entry), for a submission
 * whose CR is gone: applicationState is the row's status ("UNKNOWN" when
 * NULL), sparkApplicationId its app_id, creationTime and terminationTime
 * its created_time and finished_time, applicationErrorMessage its
 * error_message; no executionAttempts and no sparkUIUrl (the driver and
 * its UI are gone with the CR).
 */
json_t *bpg_summary_status_row(const json_t *row, int64_t now_ms);

/*
 * Set "duration" of a status object (either kind) for now_ms, by section
 * 4.2's rule: 0 without creationTime; terminationTime - creationTime when
 * terminated; now_ms - creationTime while the state is exactly RUNNING or
 * SUBMITTED; else 0.  Answers kept in the status cache are re-timed with
 * this when they are written out, as BPG computes duration on output.
 */
void bpg_summary_set_duration(json_t *status, int64_t now_ms);

/*
 * The same rule, split for answers written out many times: true when the
 * duration runs with the clock (it is now_ms - *base), false when it is
 * fixed (it is *base).
 */
bool bpg_summary_duration_base(const json_t *status, int64_t *base);

/*
 * SubmissionSummary of a CR listed in cluster c (section 1.14).  One
 * deliberate difference: a CR without spec.driver or spec.executor gets
 * the defaults instead of failing the whole list (BPG's
 * NullPointerException).  sparkUIUrl follows BPG, including
 * "https://null/history/null" when sparkHistoryDns or the application id
 * is missing (quirk 25).
 */
json_t *bpg_summary_of_cr(const struct bpg_config *cfg,
    const struct bpg_cluster *c, const json_t *cr, int64_t now_ms);

/*
 * SubmissionSummary of a database row whose CR is gone (a bpg_db_history()
 * entry): status fields as bpg_summary_status_row() (no
 * executionAttempts); user the row's user; queue "root." and the stored
 * queue as normalised for the CR, or "" when none was sent; dagName the
 * row's dag_name, else the stored request's driver label; cores, memory
 * and arguments from the stored request with BPG's defaults (the queue's
 * buffer ratios are not known and count as 1.0); sparkUIUrl only for
 * COMPLETED and FAILED (the history server outlives the CR).
 */
json_t *bpg_summary_of_row(const struct bpg_config *cfg, const json_t *row,
    int64_t now_ms);

#endif
