/*
 * Shared token buckets as GCRA cells.  A bucket holds one number, the
 * "theoretical arrival time" (tat): the time at which the bucket would be
 * full again.  Taking a token moves tat forward by one emission interval
 * T = 1 s / rate; it is refused when that would put tat more than
 * burst * T ahead of now, i.e. when no token is left.  Being one word,
 * the state is updated with a single compare-and-swap, which works across
 * processes on a shared mapping because the atomic is lock-free.
 */
#include <sys/mman.h>

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "bpg_ratelimit.h"

/* Lock-free 64-bit atomics do not depend on a per-process lock. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
    "64-bit atomics must be lock-free to be shared between processes");

/* Before any clock reading, fake or real: a bucket starts full. */
#define TAT_EMPTY (INT64_MIN / 4)
#define MAX_RATE 1000000u
#define MAX_INTERVAL_NS 1e12

/*
 * A keyed cell: the hash of its key (0: never used) and its tat.  Keys
 * are set once into an unused cell, or replace the key of an idle one;
 * a cell never becomes unused again, so a lookup ends at the first
 * unused cell of its probe sequence.
 */
struct cell {
	_Atomic unsigned long long key;
	_Atomic long long tat;
};

struct bpg_ratelimit {
	int64_t interval_ns;		/* T */
	int64_t tolerance_ns;		/* burst * T */
	size_t maplen;
	_Atomic long long tat[BPG_RATELIMIT__MAX];
	_Atomic long long overflow[BPG_RATELIMIT_KIND__MAX];
	struct cell cells[BPG_RATELIMIT_CELLS];
};

enum bpg_err
bpg_ratelimit_new_shared(unsigned int rate, unsigned int burst,
    struct bpg_ratelimit **out, struct bpg_errinfo *ei)
{
	struct bpg_ratelimit *rl;
	long page = sysconf(_SC_PAGESIZE);
	size_t len = sizeof(*rl);
	int i;

	*out = NULL;
	if (rate == 0 || rate > MAX_RATE || burst == 0 || burst > MAX_RATE)
		return bpg_errf(ei, BPG_EINVAL, "rate limit: rate and burst "
		    "must be 1 to %u", MAX_RATE);
	if (page > 0)
		len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	rl = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (rl == MAP_FAILED)
		return bpg_errf(ei, BPG_ENOMEM, "rate limit: cannot map shared "
		    "memory");
	rl->interval_ns = 1000000000LL / (int64_t)rate;
	rl->tolerance_ns = rl->interval_ns * (int64_t)burst;
	rl->maplen = len;
	for (i = 0; i < BPG_RATELIMIT__MAX; i++)
		atomic_init(&rl->tat[i], TAT_EMPTY);
	for (i = 0; i < BPG_RATELIMIT_KIND__MAX; i++)
		atomic_init(&rl->overflow[i], TAT_EMPTY);
	for (i = 0; i < BPG_RATELIMIT_CELLS; i++) {
		atomic_init(&rl->cells[i].key, 0);
		atomic_init(&rl->cells[i].tat, TAT_EMPTY);
	}
	*out = rl;
	return BPG_OK;
}

void
bpg_ratelimit_free(struct bpg_ratelimit *rl)
{
	if (rl != NULL)
		munmap(rl, rl->maplen);
}

/* One GCRA take from *cell; on refusal *wait_ns says for how long. */
static bool
gcra_take(_Atomic long long *cell, int64_t interval_ns, int64_t tolerance_ns,
    int64_t now_ns, int64_t *wait_ns)
{
	long long tat, next;

	tat = atomic_load(cell);
	for (;;) {
		next = (tat > now_ns ? tat : now_ns) + interval_ns;
		if (next - now_ns > tolerance_ns) {
			if (wait_ns != NULL)
				*wait_ns = next - now_ns - tolerance_ns;
			return false;
		}
		/* On failure tat is reloaded: another process took one. */
		if (atomic_compare_exchange_weak(cell, &tat, next))
			return true;
	}
}

bool
bpg_ratelimit_try(struct bpg_ratelimit *rl, enum bpg_ratelimit_bucket b,
    int64_t now_ns)
{
	if ((unsigned int)b >= BPG_RATELIMIT__MAX)
		return false;
	return gcra_take(&rl->tat[b], rl->interval_ns, rl->tolerance_ns,
	    now_ns, NULL);
}

/* T and burst * T of r; false if r is out of range. */
static bool
key_params(const struct bpg_ratelimit_rate *r, int64_t *interval_ns,
    int64_t *tolerance_ns)
{
	double t;

	/* !(a > b) also refuses NaN. */
	if (r == NULL || !(r->rate > 0) || r->rate > MAX_RATE ||
	    r->burst < 1 || r->burst > MAX_RATE)
		return false;
	t = 1e9 / r->rate;
	/* A token every 1000 s at the slowest, so that burst * T (at most
	 * 1e18 ns) cannot overflow. */
	if (t > MAX_INTERVAL_NS)
		t = MAX_INTERVAL_NS;
	*interval_ns = t < 1 ? 1 : (int64_t)t;
	*tolerance_ns = *interval_ns * r->burst;
	return true;
}

/* FNV-1a (64 bits) of the kind and the key; never 0 (an unused cell). */
static unsigned long long
key_hash(enum bpg_ratelimit_kind kind, const char *key)
{
	unsigned long long h = 0xcbf29ce484222325ULL;
	const unsigned char *p = (const unsigned char *)key;

	h = (h ^ (unsigned char)kind) * 0x100000001b3ULL;
	for (; *p != '\0'; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return h == 0 ? 1 : h;
}

/*
 * The cell of key h, made when claim is true: its own if it has one in
 * its probe sequence, else the first unused cell there, else the first
 * idle one (tat <= now: its bucket is full, so it is as good as new for
 * any key and its tat is kept).  NULL when none (or !claim and no cell).
 */
static struct cell *
find_cell(struct bpg_ratelimit *rl, unsigned long long h, int64_t now_ns,
    bool claim)
{
	struct cell *c, *unused, *idle;
	unsigned long long k;
	size_t i, start = (size_t)(h % BPG_RATELIMIT_CELLS);
	int round;

	/* A claim lost to another key's claim looks again, a few times. */
	for (round = 0; round < 4; round++) {
		unused = idle = NULL;
		for (i = 0; i < BPG_RATELIMIT_PROBE; i++) {
			c = &rl->cells[(start + i) % BPG_RATELIMIT_CELLS];
			k = atomic_load(&c->key);
			if (k == h)
				return c;
			if (k == 0) {
				unused = c;
				break;
			}
			if (idle == NULL && atomic_load(&c->tat) <= now_ns)
				idle = c;
		}
		if (!claim)
			return NULL;
		c = unused != NULL ? unused : idle;
		if (c == NULL)
			return NULL;
		k = unused != NULL ? 0 : atomic_load(&c->key);
		if (unused == NULL && atomic_load(&c->tat) > now_ns)
			continue;
		/* On failure k is the key another process put there. */
		if (atomic_compare_exchange_strong(&c->key, &k, h) || k == h)
			return c;
	}
	return NULL;
}

bool
bpg_ratelimit_try_key(struct bpg_ratelimit *rl, enum bpg_ratelimit_kind kind,
    const char *key, const struct bpg_ratelimit_rate *r, int64_t now_ns,
    int64_t *wait_ns)
{
	int64_t interval, tolerance;
	struct cell *c;

	if (wait_ns != NULL)
		*wait_ns = 0;
	if ((unsigned int)kind >= BPG_RATELIMIT_KIND__MAX || key == NULL ||
	    !key_params(r, &interval, &tolerance))
		return false;
	c = find_cell(rl, key_hash(kind, key), now_ns, true);
	return gcra_take(c != NULL ? &c->tat : &rl->overflow[kind], interval,
	    tolerance, now_ns, wait_ns);
}

void
bpg_ratelimit_refund_key(struct bpg_ratelimit *rl,
    enum bpg_ratelimit_kind kind, const char *key,
    const struct bpg_ratelimit_rate *r)
{
	int64_t interval, tolerance;
	struct cell *c;

	if ((unsigned int)kind >= BPG_RATELIMIT_KIND__MAX || key == NULL ||
	    !key_params(r, &interval, &tolerance))
		return;
	/* Not claiming: the key's cell is found, none is made.  A key
	 * without one took its token from the overflow cell. */
	c = find_cell(rl, key_hash(kind, key), INT64_MAX, false);
	atomic_fetch_sub(c != NULL ? &c->tat : &rl->overflow[kind],
	    (long long)interval);
}

int64_t
bpg_ratelimit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
