/*
 * Stream slots shared by the worker processes, and the low-speed rule
 * (bpg_streams.h).
 */
#include <sys/mman.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "bpg_streams.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2,
    "64-bit atomics must be lock-free to be shared between processes");

#define MAX_SLOTS 65536u

struct bpg_streams {
	size_t maplen;
	unsigned int nslots;
	/* 0: free; else pid << 32 | user hash. */
	_Atomic unsigned long long slot[];
};

/* FNV-1a, 32 bits. */
static uint32_t
user_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static unsigned long long
word_of(pid_t pid, uint32_t hash)
{
	return (unsigned long long)(uint32_t)pid << 32 | hash;
}

static pid_t
pid_of(unsigned long long w)
{
	return (pid_t)(w >> 32);
}

enum bpg_err
bpg_streams_new_shared(unsigned int nslots, struct bpg_streams **out,
    struct bpg_errinfo *ei)
{
	struct bpg_streams *st;
	long page = sysconf(_SC_PAGESIZE);
	size_t len;
	unsigned int i;

	*out = NULL;
	if (nslots == 0 || nslots > MAX_SLOTS)
		return bpg_errf(ei, BPG_EINVAL, "stream slots: 1 to %u",
		    MAX_SLOTS);
	len = sizeof(*st) + (size_t)nslots * sizeof(st->slot[0]);
	if (page > 0)
		len = (len + (size_t)page - 1) / (size_t)page * (size_t)page;
	st = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (st == MAP_FAILED)
		return bpg_errf(ei, BPG_ENOMEM, "stream slots: cannot map "
		    "shared memory");
	st->maplen = len;
	st->nslots = nslots;
	for (i = 0; i < nslots; i++)
		atomic_init(&st->slot[i], 0);
	*out = st;
	return BPG_OK;
}

void
bpg_streams_free(struct bpg_streams *st)
{
	if (st != NULL)
		munmap(st, st->maplen);
}

/* Slots held in all (*all) and with hash h (return value). */
static unsigned int
count(struct bpg_streams *st, bool by_user, uint32_t h, unsigned int *all)
{
	unsigned long long w;
	unsigned int i, n = 0, a = 0;

	for (i = 0; i < st->nslots; i++) {
		w = atomic_load(&st->slot[i]);
		if (w == 0)
			continue;
		a++;
		if (by_user && (uint32_t)w == h)
			n++;
	}
	if (all != NULL)
		*all = a;
	return n;
}

bool
bpg_streams_take(struct bpg_streams *st, pid_t pid, const char *user,
    unsigned int total, unsigned int per_user)
{
	unsigned long long want, free_word;
	uint32_t h;
	unsigned int i, all, mine;

	if (pid <= 0 || user == NULL || total == 0 || per_user == 0)
		return false;
	h = user_hash(user);
	want = word_of(pid, h);
	for (i = 0; i < st->nslots; i++) {
		free_word = 0;
		if (atomic_compare_exchange_strong(&st->slot[i], &free_word,
		    want))
			break;
	}
	if (i == st->nslots)
		return false;
	/* Counted with our own slot in: over a limit, give it back. */
	mine = count(st, true, h, &all);
	if (all > total || mine > per_user) {
		atomic_store(&st->slot[i], 0);
		return false;
	}
	return true;
}

void
bpg_streams_release(struct bpg_streams *st, pid_t pid)
{
	(void)bpg_streams_reap(st, pid);
}

unsigned int
bpg_streams_reap(struct bpg_streams *st, pid_t pid)
{
	unsigned long long w;
	unsigned int i, n = 0;

	if (st == NULL || pid <= 0)
		return 0;
	for (i = 0; i < st->nslots; i++) {
		w = atomic_load(&st->slot[i]);
		/* Only pid itself (or its reaper) frees pid's slot. */
		if (w != 0 && pid_of(w) == pid &&
		    atomic_compare_exchange_strong(&st->slot[i], &w, 0))
			n++;
	}
	return n;
}

unsigned int
bpg_streams_count(struct bpg_streams *st, const char *user)
{
	unsigned int all, n;

	n = count(st, user != NULL, user != NULL ? user_hash(user) : 0, &all);
	return user != NULL ? n : all;
}

unsigned int
bpg_streams_total_for(unsigned int workers, double share)
{
	double d;
	unsigned int n;

	if (workers == 0)
		return 1;
	if (!(share > 0))
		share = 0;
	if (share > 1)
		share = 1;
	d = (double)workers * share;
	n = (unsigned int)d;
	if (n < 1)
		n = 1;
	if (workers >= 2 && n > workers - 1)
		n = workers - 1;
	return n;
}

void
bpg_lowspeed_start(struct bpg_lowspeed *ls, long long limit, int64_t time_ms,
    int64_t now_ms, long long bytes)
{
	ls->limit = limit > 0 ? limit : 0;
	ls->time_ms = time_ms > 0 ? time_ms : 1;
	ls->start_ms = now_ms;
	ls->start_bytes = bytes;
}

bool
bpg_lowspeed_slow(struct bpg_lowspeed *ls, int64_t now_ms, long long bytes)
{
	long long need;

	if (ls->limit == 0 || now_ms - ls->start_ms < ls->time_ms)
		return false;
	/* limit bytes a second over the window (bounds: bpg_config_keys.c). */
	need = ls->limit * ls->time_ms / 1000;
	if (need < 1)
		need = 1;
	if (bytes - ls->start_bytes < need)
		return true;
	ls->start_ms = now_ms;
	ls->start_bytes = bytes;
	return false;
}
