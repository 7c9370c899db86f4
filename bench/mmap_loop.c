/* mmap_loop.c - benchmark workload: mmap+munmap of one anonymous page via raw syscall(), optionally rate-limited, time-limited or paced. */
/* With -k fail it makes cheap, failing calls instead (mmap of length 0, munmap of an unaligned address:
 * both EINVAL), which are still events for a tracer: one core then produces more events per second. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"usage: mmap_loop [-n PAIRS] [-r CALLS_PER_SECOND] [-t MAX_SECONDS] [-p PAUSE_US] [-k pair|fail]\n"
	"  -n PAIRS   mmap+munmap pairs to do (default 100000); each pair is 2 calls\n"
	"  -r RATE    aim at RATE calls per second (busy-waits between pairs); 0 = as fast as possible\n"
	"  -t SECS    stop after SECS seconds even if PAIRS are not done\n"
	"  -p US      sleep US microseconds after every pair (prints start_ns first)\n"
	"  -k KIND    pair: map and unmap a page (default); fail: mmap(len 0) and munmap(unaligned), both EINVAL\n"
	"Prints one line: pid= pairs= calls= elapsed_ns= ns_per_pair= calls_per_s= failures=\n";

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long long n = 100000, done = 0;
	double rate = 0, max_s = 0;
	long pause_us = 0, failures = 0;
	int c, failing = 0;

	while ((c = getopt(argc, argv, "n:r:t:p:k:h")) != -1) {
		switch (c) {
		case 'n': n = atoll(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 't': max_s = atof(optarg); break;
		case 'p': pause_us = atol(optarg); break;
		case 'k': failing = optarg[0] == 'f'; break;
		default: fputs(usage, c == 'h' ? stdout : stderr); return c == 'h' ? 0 : 2;
		}
	}
	double ns_per_call = rate > 0 ? 1e9 / rate : 0;
	uint64_t max_ns = max_s > 0 ? (uint64_t)(max_s * 1e9) : 0;
	struct timespec pause = { pause_us / 1000000, (pause_us % 1000000) * 1000 };

	if (pause_us > 0) {
		printf("start_ns=%llu\n", (unsigned long long)now_ns(CLOCK_REALTIME));
		fflush(stdout);
	}
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), t = t0, c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (long long i = 0; i < n; i++) {
		if (failing) {
			/* both must fail: a success would be a bug in this program */
			if (syscall(SYS_mmap, NULL, 0L, (long)(PROT_READ | PROT_WRITE),
				    (long)(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L) != -1)
				failures++;
			if (syscall(SYS_munmap, 4097L, 4096L) != -1)
				failures++;
		} else {
			long p = syscall(SYS_mmap, NULL, 4096L, (long)(PROT_READ | PROT_WRITE),
					 (long)(MAP_PRIVATE | MAP_ANONYMOUS), -1L, 0L);
			if (p == -1)
				failures++;
			else if (syscall(SYS_munmap, p, 4096L) != 0)
				failures++;
		}
		done++;
		if (pause_us > 0) {
			nanosleep(&pause, NULL);
		} else if (rate > 0) {
			/* pace: pair i+1 may not end before 2(i+1) calls' worth of time */
			uint64_t due = t0 + (uint64_t)((double)(2 * (i + 1)) * ns_per_call);
			while ((t = now_ns(CLOCK_MONOTONIC)) < due)
				;
		}
		if (max_ns && (i & 63) == 0 && (rate > 0 ? t : now_ns(CLOCK_MONOTONIC)) - t0 >= max_ns)
			break;
	}
	uint64_t el = now_ns(CLOCK_MONOTONIC) - t0;
	uint64_t cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0; /* excludes time other processes took the CPU */
	printf("pid=%d pairs=%lld calls=%lld elapsed_ns=%llu ns_per_pair=%.1f calls_per_s=%.0f failures=%ld cpu_ns_per_pair=%.1f\n",
	       (int)getpid(), done, 2 * done, (unsigned long long)el, done ? (double)el / (double)done : 0.0,
	       el ? 2e9 * (double)done / (double)el : 0.0, failures, done ? (double)cpu / (double)done : 0.0);
	return failures ? 1 : 0;
}
