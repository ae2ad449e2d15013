/*
 * Retries of a job: the policy, the back-off, the decision (bpg_retry.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bpg_retry.h"

static const struct {
	const char *name;
	unsigned bit;
} states[] = {
	{ "FAILED", BPG_RETRY_ON_FAILED },
	{ "SUBMISSION_FAILED", BPG_RETRY_ON_SUBMISSION_FAILED },
	{ "LOST", BPG_RETRY_ON_LOST },
};

#define NSTATES (sizeof(states) / sizeof(states[0]))

unsigned
bpg_retry_state_bit(const char *state)
{
	size_t i;

	for (i = 0; state != NULL && i < NSTATES; i++)
		if (strcmp(state, states[i].name) == 0)
			return states[i].bit;
	return 0;
}

static enum bpg_err
bad(struct bpg_errinfo *ei, const char *what)
{
	return bpg_errf(ei, BPG_EINVAL, "retryPolicy.%s", what);
}

static enum bpg_err
parse_states(const json_t *v, unsigned *out, struct bpg_errinfo *ei)
{
	const json_t *s;
	unsigned bit;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) == 0)
		return bad(ei, "onStates must be a non-empty list of FAILED, "
		    "SUBMISSION_FAILED, LOST");
	*out = 0;
	json_array_foreach(v, i, s) {
		if ((bit = bpg_retry_state_bit(json_string_value(s))) == 0)
			return bad(ei, "onStates may hold only FAILED, "
			    "SUBMISSION_FAILED, LOST");
		*out |= bit;
	}
	return BPG_OK;
}

enum bpg_err
bpg_retry_parse(const json_t *v, struct bpg_retry_policy *p,
    struct bpg_errinfo *ei)
{
	const char *key;
	json_t *f;
	double d;
	json_int_t n;

	p->max_attempts = 3;
	p->backoff_s = 30;
	p->multiplier = 2.0;
	p->on_states = BPG_RETRY_ON_DEFAULT;
	p->any_cluster = false;
	if (!json_is_object(v))
		return bpg_errf(ei, BPG_EINVAL, "retryPolicy must be an object");
	/* json_object_foreach takes no const object; nothing is changed. */
	json_object_foreach((json_t *)(uintptr_t)v, key, f) {
		if (strcmp(key, "maxAttempts") == 0) {
			n = json_integer_value(f);
			if (!json_is_integer(f) || n < 1 ||
			    n > BPG_RETRY_MAX_ATTEMPTS)
				return bad(ei, "maxAttempts must be 1..10");
			p->max_attempts = (int)n;
		} else if (strcmp(key, "backoffSeconds") == 0) {
			n = json_integer_value(f);
			if (!json_is_integer(f) || n < 0 ||
			    n > BPG_RETRY_MAX_BACKOFF_S)
				return bad(ei, "backoffSeconds must be "
				    "0..86400");
			p->backoff_s = n;
		} else if (strcmp(key, "backoffMultiplier") == 0) {
			d = json_number_value(f);
			if (!json_is_number(f) || !isfinite(d) || d < 1.0 ||
			    d > BPG_RETRY_MAX_MULTIPLIER)
				return bad(ei, "backoffMultiplier must be "
				    "1..100");
			p->multiplier = d;
		} else if (strcmp(key, "onStates") == 0) {
			if (parse_states(f, &p->on_states, ei) != BPG_OK)
				return BPG_EINVAL;
		} else if (strcmp(key, "anyCluster") == 0) {
			if (!json_is_boolean(f))
				return bad(ei, "anyCluster must be true or "
				    "false");
			p->any_cluster = json_is_true(f);
		} else
			return bpg_errf(ei, BPG_EINVAL, "retryPolicy: unknown "
			    "field \"%.64s\"", key);
	}
	return BPG_OK;
}

json_t *
bpg_retry_json(const struct bpg_retry_policy *p)
{
	json_t *o, *l;
	size_t i;

	if ((l = json_array()) == NULL)
		return NULL;
	for (i = 0; i < NSTATES; i++)
		if ((p->on_states & states[i].bit) != 0 &&
		    json_array_append_new(l, json_string(states[i].name)) != 0) {
			json_decref(l);
			return NULL;
		}
	o = json_pack("{s:i, s:I, s:f, s:o, s:b}", "maxAttempts",
	    p->max_attempts, "backoffSeconds", (json_int_t)p->backoff_s,
	    "backoffMultiplier", p->multiplier, "onStates", l, "anyCluster",
	    p->any_cluster);
	return o;
}

int64_t
bpg_retry_backoff_s(const struct bpg_retry_policy *p, int n)
{
	double s = (double)p->backoff_s;
	int i;

	/* Doubles stay exact enough; the loop stops at the cap, so at most
	 * a few dozen rounds whatever n is. */
	for (i = 1; i < n && s < BPG_RETRY_MAX_BACKOFF_S; i++)
		s *= p->multiplier;
	if (!(s < BPG_RETRY_MAX_BACKOFF_S))
		return BPG_RETRY_MAX_BACKOFF_S;
	return (int64_t)s;
}

bool
bpg_retry_due(const struct bpg_retry_policy *p, const char *state, int n)
{
	unsigned bit = bpg_retry_state_bit(state);

	return bit != 0 && (p->on_states & bit) != 0 && n >= 1 &&
	    n < p->max_attempts;
}
