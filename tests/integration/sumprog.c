/* sumprog.c - known numbers of each mapping call, with known failures, logged; for the summary (-c) tests (64-bit and -m32). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include "calllog.h"

#ifndef SYS_pkey_mprotect
#define SYS_pkey_mprotect 329
#endif

static char logbuf[1 << 16];

/* Raw syscalls, so libc cannot swap one call for another; each is logged. */
static long call(const char *ev, long nr, int n, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		 uint64_t a4, uint64_t a5)
{
	uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	long r = ret_of(syscall(nr, (long)a0, (long)a1, (long)a2, (long)a3, (long)a4, (long)a5));
	logcall(ev, n, a, r, NULL);
	return r;
}

static long do_mmap(uint64_t addr, uint64_t len, uint64_t prot, uint64_t flags, int64_t fd)
{
#if defined(__i386__)
	return call("mmap2", SYS_mmap2, 6, addr, len, prot, flags, (uint32_t)fd, 0);
#else
	return call("mmap", SYS_mmap, 6, addr, len, prot, flags, (uint64_t)fd, 0);
#endif
}

static void round_of_calls(void)
{
	const uint64_t pg = 4096;
	long a = do_mmap(0, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	do_mmap(0, pg, PROT_READ, MAP_PRIVATE, 999);                  /* EBADF */
	do_mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);    /* EINVAL */
	call("mprotect", SYS_mprotect, 3, a, pg, PROT_READ, 0, 0, 0);
	call("mprotect", SYS_mprotect, 3, a + pg, 2 * pg, PROT_READ | PROT_WRITE, 0, 0, 0);
	call("mprotect", SYS_mprotect, 3, 0, pg, PROT_READ, 0, 0, 0); /* ENOMEM: nothing mapped at 0 */
	call("pkey_mprotect", SYS_pkey_mprotect, 4, a, pg, PROT_READ | PROT_WRITE, (uint32_t)-1, 0, 0);
	call("pkey_mprotect", SYS_pkey_mprotect, 4, a, pg, PROT_READ, 12345, 0, 0); /* EINVAL */
	call("msync", SYS_msync, 3, a, pg, MS_SYNC, 0, 0, 0);
	call("msync", SYS_msync, 3, a + 1, pg, MS_SYNC, 0, 0, 0);     /* EINVAL: unaligned */
	long b = call("mremap", SYS_mremap, 5, a, 3 * pg, 5 * pg, MREMAP_MAYMOVE, 0, 0);
	call("mremap", SYS_mremap, 5, b, pg, pg, 0x80, 0, 0);         /* EINVAL: unknown flag */
	call("munmap", SYS_munmap, 2, b, 5 * pg, 0, 0, 0, 0);
	call("munmap", SYS_munmap, 2, b + 1, pg, 0, 0, 0, 0);         /* EINVAL: unaligned */
}

static void sleep_until(const struct timespec *t0, double s)
{
	struct timespec t = { t0->tv_sec + (time_t)s, t0->tv_nsec + (long)((s - (long)s) * 1e9) };

	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
}

/* sumprog LOG [ROUNDS [GAP_S [TOTAL_S]]]: ROUNDS rounds GAP_S apart, then
 * sleep until TOTAL_S after the start. The calls are made under the comm
 * "mw-sum-body" (set first), so a --comm filter can isolate them. */
int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[2]) : 1;
	double gap = argc > 3 ? atof(argv[3]) : 0, total = argc > 4 ? atof(argv[4]) : 0;
	struct timespec t0;

	logf = fopen(argc > 1 ? argv[1] : "/dev/null", "w");
	if (!logf)
		return 1;
	setvbuf(logf, logbuf, _IOFBF, sizeof(logbuf));
	log_context();
	fflush(logf);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	prctl(PR_SET_NAME, "mw-sum-body");
	for (int i = 0; i < rounds; i++) {
		sleep_until(&t0, i * gap);
		round_of_calls();
	}
	if (total > 0)
		sleep_until(&t0, total);
	fclose(logf);
	return 0;
}
