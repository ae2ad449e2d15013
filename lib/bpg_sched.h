/*
 * What a schedule's turn does at a given time: the pure part of the
 * monitor's schedule task (bpg_monitor_sched.c), no I/O, the clock passed
 * in (Kubernetes CronJob semantics).
 *
 * A schedule whose stored next fire time is due has fire times in
 * [next_fire, now].  Those older than now - startingDeadlineSeconds are
 * missed: skipped and logged.  Of the others only the latest is made (a
 * monitor down for an hour makes one run, not sixty); the earlier ones
 * are missed too.  The new next fire time is the first after now.
 */
#ifndef BPG_SCHED_H
#define BPG_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpg_cron.h"
#include "bpg_err.h"

/* Most missed fire times counted one by one (more: "at least"). */
#define BPG_SCHED_MAX_COUNT 1000

struct bpg_sched_plan {
	int64_t fire; /* the fire time to make now; -1: none */
	int64_t next; /* the next fire time after now; -1: none ever */
	size_t missed; /* due fire times not made (at most the cap) */
	bool missed_more; /* more than BPG_SCHED_MAX_COUNT */
	int64_t first_missed; /* the earliest missed; -1 when none */
};

/*
 * The plan at now of a schedule c (anchor: its "@every" anchor) whose
 * stored next fire time is next_fire (-1: none, nothing due) and
 * deadline_s its startingDeadlineSeconds (-1: none).  BPG_EINVAL for a
 * time out of bpg_cron's range.
 */
enum bpg_err bpg_sched_plan(const struct bpg_cron *c, int64_t anchor,
    int64_t next_fire, int64_t deadline_s, int64_t now,
    struct bpg_sched_plan *p, struct bpg_errinfo *ei) BPG_WUR;

#endif
