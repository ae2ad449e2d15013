/*
 * The resident memory of a group of processes, each page counted once:
 *
 *   memgroup PID...
 *
 * prints "kb=<N>": the number of distinct physical pages mapped and
 * present in any of the processes, in kB.  Summed VmRSS counts a page
 * shared by n processes n times (the shared libraries' text, and every
 * copy-on-write page a worker inherited from its supervisor); summed Pss
 * splits it among its mappers, including processes outside the group.
 * This is the memory the group holds, as a cgroup holding only these
 * processes would see it (page cache of files counted where mapped).
 *
 * Page frame numbers come from /proc/PID/pagemap (proc(5)), which gives
 * them to CAP_SYS_ADMIN only; without it the frames read as 0 and the
 * program prints "kb=-" and exits 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)

static uint64_t *frames;
static size_t nframes, capframes;

static int
add_frame(uint64_t pfn)
{
	uint64_t *nf;

	if (nframes == capframes) {
		capframes = capframes ? capframes * 2 : 65536;
		if ((nf = realloc(frames, capframes * sizeof(*nf))) == NULL)
			return -1;
		frames = nf;
	}
	frames[nframes++] = pfn;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Add the present pages of pid; -1 on error, 1 if frames are hidden. */
static int
scan(const char *pid, long psz)
{
	char path[64], line[512];
	uint64_t buf[512], lo, hi, va;
	FILE *maps;
	FILE *pm;
	size_t i, n = 0, want;
	int hidden = 0, rc = 0;

	snprintf(path, sizeof(path), "/proc/%s/maps", pid);
	if ((maps = fopen(path, "r")) == NULL)
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/pagemap", pid);
	if ((pm = fopen(path, "rb")) == NULL) {
		fclose(maps);
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), maps) != NULL) {
		if (sscanf(line, "%" SCNx64 "-%" SCNx64, &lo, &hi) != 2)
			continue;
		/* [vsyscall] is not in the page tables' reach. */
		if (strstr(line, "[vsyscall]") != NULL)
			continue;
		for (va = lo; va < hi; va += (uint64_t)psz * n) {
			want = (size_t)((hi - va) / (uint64_t)psz);
			if (want > sizeof(buf) / sizeof(buf[0]))
				want = sizeof(buf) / sizeof(buf[0]);
			if (fseeko(pm, (off_t)(va / (uint64_t)psz * 8),
			    SEEK_SET) != 0 ||
			    (n = fread(buf, 8, want, pm)) == 0) {
				rc = -1;
				break;
			}
			for (i = 0; i < n; i++) {
				if (!(buf[i] & PM_PRESENT))
					continue;
				if ((buf[i] & PM_PFN_MASK) == 0)
					hidden = 1;
				else if (add_frame(buf[i] & PM_PFN_MASK) != 0)
					rc = -1;
			}
		}
	}
	fclose(pm);
	fclose(maps);
	return rc != 0 ? rc : hidden;
}

int
main(int argc, char **argv)
{
	long psz = sysconf(_SC_PAGESIZE);
	size_t i, uniq = 0;
	int a, r;

	if (argc < 2) {
		fprintf(stderr, "usage: memgroup PID...\n");
		return 2;
	}
	for (a = 1; a < argc; a++) {
		if ((r = scan(argv[a], psz)) < 0) {
			fprintf(stderr, "memgroup: %s: %s\n", argv[a],
			    strerror(errno ? errno : EIO));
			return 1;
		}
		if (r == 1) {
			printf("kb=-\n");
			return 2;
		}
	}
	qsort(frames, nframes, sizeof(*frames), cmp_u64);
	for (i = 0; i < nframes; i++)
		if (i == 0 || frames[i] != frames[i - 1])
			uniq++;
	printf("kb=%zu\n", uniq * (size_t)psz / 1024);
	free(frames);
	return 0;
}
