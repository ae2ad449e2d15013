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

struct bpg_ratelimit {
	int64_t interval_ns;		/* T */
	int64_t tolerance_ns;		/* burst * T */
	size_t maplen;
	_Atomic long long tat[BPG_RATELIMIT__MAX];
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
	*out = rl;
	return BPG_OK;
}

void
bpg_ratelimit_free(struct bpg_ratelimit *rl)
{
	if (rl != NULL)
		munmap(rl, rl->maplen);
}

bool
bpg_ratelimit_try(struct bpg_ratelimit *rl, enum bpg_ratelimit_bucket b,
    int64_t now_ns)
{
	long long tat, next;

	if ((unsigned int)b >= BPG_RATELIMIT__MAX)
		return false;
	tat = atomic_load(&rl->tat[b]);
	for (;;) {
		next = (tat > now_ns ? tat : now_ns) + rl->interval_ns;
		if (next - now_ns > rl->tolerance_ns)
			return false;
		/* On failure tat is reloaded: another process took one. */
		if (atomic_compare_exchange_weak(&rl->tat[b], &tat, next))
			return true;
	}
}

int64_t
bpg_ratelimit_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
