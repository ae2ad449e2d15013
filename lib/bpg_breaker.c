/*
 * Circuit breakers shared by the worker processes (bpg_breaker.h).
 *
 * One robust process-shared mutex guards the table: every operation is a
 * lookup among at most BPG_BREAKER_CELLS short ids and a few stores, no
 * I/O, so the lock is held for microseconds.  A holder that dies leaves
 * the mutex EOWNERDEAD; the next locker marks it consistent and goes on,
 * because every field is read in a way that any mix of old and new
 * values still makes a valid state (the error text is cut at its last
 * byte, counts are clamped).
 */
#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "bpg_breaker.h"

/* Longer than any cluster id the config accepts (20). */
#define ID_MAX 64
#define RING 60

struct cell {
	char id[ID_MAX];		/* "" : unused */
	int64_t failures;		/* consecutive */
	bool open;
	bool last_ok;
	int64_t opened_ms;		/* monotonic: when the cooldown began */
	int64_t lease_until_ms;		/* the trial's lease; 0: none */
	int64_t last_success_ms;
	int64_t last_error_wall_ms;
	int64_t open_since_wall_ms;
	char last_error[BPG_BREAKER_ERRLEN];
	/* Submissions per second of the last minute: ring[i] counts the
	 * second sec[i] (monotonic seconds). */
	int64_t sec[RING];
	int64_t count[RING];
};

struct bpg_breaker {
	pthread_mutex_t mu;
	size_t maplen;
	struct cell cells[BPG_BREAKER_CELLS];
};

enum bpg_err
bpg_breaker_new_shared(struct bpg_breaker **out, struct bpg_errinfo *ei)
{
	struct bpg_breaker *b;
	pthread_mutexattr_t attr;
	long page = sysconf(_SC_PAGESIZE);
	size_t len = sizeof(*b), i, j;
	bool ok;

	*out = NULL;
	if (page > 0)
		len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (b == MAP_FAILED)
		return bpg_errf(ei, BPG_ENOMEM, "cluster breakers: cannot map "
		    "shared memory");
	/* The mapping is zeroed: every cell unused, closed. */
	b->maplen = len;
	for (i = 0; i < BPG_BREAKER_CELLS; i++)
		for (j = 0; j < RING; j++)
			b->cells[i].sec[j] = -1;
	ok = pthread_mutexattr_init(&attr) == 0;
	if (ok) {
		ok = pthread_mutexattr_setpshared(&attr,
		    PTHREAD_PROCESS_SHARED) == 0 &&
		    pthread_mutexattr_setrobust(&attr,
		    PTHREAD_MUTEX_ROBUST) == 0 &&
		    pthread_mutex_init(&b->mu, &attr) == 0;
		pthread_mutexattr_destroy(&attr);
	}
	if (!ok) {
		munmap(b, len);
		return bpg_errf(ei, BPG_EIO, "cluster breakers: cannot make a "
		    "process-shared mutex");
	}
	*out = b;
	return BPG_OK;
}

void
bpg_breaker_free(struct bpg_breaker *b)
{
	if (b != NULL)
		munmap(b, b->maplen);
}

static void
lock(struct bpg_breaker *b)
{
	/* A holder died: what it left is readable (see the top). */
	if (pthread_mutex_lock(&b->mu) == EOWNERDEAD)
		pthread_mutex_consistent(&b->mu);
}

static void
unlock(struct bpg_breaker *b)
{
	pthread_mutex_unlock(&b->mu);
}

/* Cell of id (lock held); made if claim and there is room; else NULL. */
static struct cell *
find(struct bpg_breaker *b, const char *id, bool claim)
{
	struct cell *c, *unused = NULL;
	size_t i;

	if (id == NULL || id[0] == '\0' || strlen(id) >= ID_MAX)
		return NULL;
	for (i = 0; i < BPG_BREAKER_CELLS; i++) {
		c = &b->cells[i];
		if (c->id[0] == '\0') {
			if (unused == NULL)
				unused = c;
			continue;
		}
		if (strncmp(c->id, id, ID_MAX) == 0)
			return c;
	}
	if (!claim || unused == NULL)
		return NULL;
	/* A holder killed while copying leaves a cell of a partial id:
	 * one cell lost, no state mixed up. */
	memcpy(unused->id, id, strlen(id) + 1);
	return unused;
}

static enum bpg_breaker_state
state_of(const struct cell *c, const struct bpg_breaker_conf *conf,
    int64_t now_ms)
{
	if (c == NULL || !c->open)
		return BPG_BREAKER_CLOSED;
	if (now_ms - c->opened_ms < conf->cooldown_ms)
		return BPG_BREAKER_OPEN;
	return BPG_BREAKER_HALF_OPEN;
}

enum bpg_breaker_verdict
bpg_breaker_acquire(struct bpg_breaker *b, const char *id,
    const struct bpg_breaker_conf *conf, int64_t now_ms, int64_t lease_ms,
    int64_t *retry_ms)
{
	enum bpg_breaker_verdict v = BPG_BREAKER_ALLOW;
	struct cell *c;
	int64_t wait = 0;

	if (b == NULL || id == NULL)
		return BPG_BREAKER_ALLOW;
	lock(b);
	c = find(b, id, false);
	switch (state_of(c, conf, now_ms)) {
	case BPG_BREAKER_CLOSED:
		break;
	case BPG_BREAKER_OPEN:
		v = BPG_BREAKER_DENY;
		wait = c->opened_ms + conf->cooldown_ms - now_ms;
		break;
	default:
		if (c->lease_until_ms > now_ms) {
			v = BPG_BREAKER_DENY;
			wait = c->lease_until_ms - now_ms;
		} else {
			v = BPG_BREAKER_TRIAL;
			c->lease_until_ms = now_ms + (lease_ms > 0 ?
			    lease_ms : 1);
		}
		break;
	}
	unlock(b);
	if (retry_ms != NULL)
		*retry_ms = v == BPG_BREAKER_DENY ? (wait > 0 ? wait : 1) : 0;
	return v;
}

void
bpg_breaker_success(struct bpg_breaker *b, const char *id, int64_t now_ms)
{
	struct cell *c;

	if (b == NULL)
		return;
	lock(b);
	if ((c = find(b, id, true)) != NULL) {
		c->failures = 0;
		c->open = false;
		c->lease_until_ms = 0;
		c->open_since_wall_ms = 0;
		c->last_success_ms = now_ms;
		c->last_ok = true;
	}
	unlock(b);
}

void
bpg_breaker_failure(struct bpg_breaker *b, const char *id,
    const struct bpg_breaker_conf *conf, int64_t now_ms, int64_t wall_ms,
    const char *reason)
{
	struct cell *c;

	if (b == NULL)
		return;
	lock(b);
	if ((c = find(b, id, true)) == NULL)
		goto out;
	if (c->failures < INT64_MAX)
		c->failures++;
	c->last_ok = false;
	c->last_error_wall_ms = wall_ms;
	/* Cut to the buffer, and never without its NUL. */
	strncpy(c->last_error, reason != NULL ? reason : "",
	    sizeof(c->last_error) - 1);
	c->last_error[sizeof(c->last_error) - 1] = '\0';
	if (c->open) {
		/*
		 * A failed trial (or a late failure after the cooldown):
		 * another cooldown.  A late failure of a request let through
		 * before the breaker opened does not prolong the cooldown.
		 */
		if (state_of(c, conf, now_ms) == BPG_BREAKER_HALF_OPEN) {
			c->opened_ms = now_ms;
			c->lease_until_ms = 0;
		}
	} else if (c->failures >= conf->threshold) {
		c->opened_ms = now_ms;
		c->lease_until_ms = 0;
		c->open_since_wall_ms = wall_ms;
		c->open = true;
	}
out:
	unlock(b);
}

void
bpg_breaker_count_submission(struct bpg_breaker *b, const char *id,
    int64_t now_ms)
{
	struct cell *c;
	int64_t sec = now_ms / 1000;
	size_t i = (size_t)(sec % RING);

	if (b == NULL)
		return;
	lock(b);
	if ((c = find(b, id, true)) != NULL) {
		if (c->sec[i] != sec) {
			c->sec[i] = sec;
			c->count[i] = 0;
		}
		c->count[i]++;
	}
	unlock(b);
}

/* The view; full: with the last error and the submissions of the last
 * minute too (which the submit path does not read). */
static void
view(struct bpg_breaker *b, const char *id,
    const struct bpg_breaker_conf *conf, int64_t now_ms,
    struct bpg_breaker_view *out, bool full)
{
	struct cell *c;
	int64_t sec = now_ms / 1000, n = 0;
	size_t i;

	if (full)
		memset(out, 0, sizeof(*out));
	else {
		out->last_error[0] = '\0';
		out->consecutive_failures = out->last_error_wall_ms = 0;
		out->open_since_wall_ms = out->submissions_last_minute = 0;
		out->trial_in_ms = out->last_success_ms = 0;
		out->last_ok = false;
	}
	out->state = BPG_BREAKER_CLOSED;
	if (b == NULL)
		return;
	lock(b);
	if ((c = find(b, id, false)) == NULL)
		goto out;
	out->state = state_of(c, conf, now_ms);
	out->consecutive_failures = c->failures;
	out->last_error_wall_ms = c->last_error_wall_ms;
	out->open_since_wall_ms = c->open ? c->open_since_wall_ms : 0;
	if (full) {
		memcpy(out->last_error, c->last_error,
		    sizeof(out->last_error));
		out->last_error[sizeof(out->last_error) - 1] = '\0';
		for (i = 0; i < RING; i++)
			if (c->sec[i] <= sec && sec - c->sec[i] < RING &&
			    c->count[i] > 0)
				n += c->count[i];
		out->submissions_last_minute = n;
	}
	if (out->state == BPG_BREAKER_OPEN)
		out->trial_in_ms = c->opened_ms + conf->cooldown_ms - now_ms;
	else if (out->state == BPG_BREAKER_HALF_OPEN &&
	    c->lease_until_ms > now_ms)
		out->trial_in_ms = c->lease_until_ms - now_ms;
	out->last_ok = c->last_ok;
	out->last_success_ms = c->last_success_ms;
out:
	unlock(b);
}

void
bpg_breaker_view(struct bpg_breaker *b, const char *id,
    const struct bpg_breaker_conf *conf, int64_t now_ms,
    struct bpg_breaker_view *out)
{
	view(b, id, conf, now_ms, out, true);
}

void
bpg_breaker_peek(struct bpg_breaker *b, const char *id,
    const struct bpg_breaker_conf *conf, int64_t now_ms,
    struct bpg_breaker_view *out)
{
	view(b, id, conf, now_ms, out, false);
}

const char *
bpg_breaker_state_name(enum bpg_breaker_state s)
{
	static const char *const names[BPG_BREAKER_STATE__MAX] = {
		[BPG_BREAKER_CLOSED] = "closed",
		[BPG_BREAKER_OPEN] = "open",
		[BPG_BREAKER_HALF_OPEN] = "half-open",
	};

	return (unsigned int)s < BPG_BREAKER_STATE__MAX ? names[s] : "closed";
}
