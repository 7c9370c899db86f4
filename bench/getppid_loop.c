/* getppid_loop.c - benchmark workload: getppid via raw syscall() in a loop, prints ns per call (cost on unrelated syscalls). */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Usage: getppid_loop N   Prints: calls=N elapsed_ns=T ns_per_call=X */
int main(int argc, char **argv)
{
	struct timespec a, b, ca, cb;
	long long n = argc > 1 ? atoll(argv[1]) : 1000000;
	long sink = 0;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long long i = 0; i < n; i++)
		sink += syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &b);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	/* CPU time excludes the time other processes took the CPU (a shared machine) */
	uint64_t cpu = (uint64_t)(cb.tv_sec - ca.tv_sec) * 1000000000ull + (uint64_t)cb.tv_nsec - (uint64_t)ca.tv_nsec;
	uint64_t el = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ull + (uint64_t)b.tv_nsec - (uint64_t)a.tv_nsec;
	printf("calls=%lld elapsed_ns=%llu ns_per_call=%.1f sink=%ld cpu_ns_per_call=%.1f\n", n,
	       (unsigned long long)el, n ? (double)el / (double)n : 0.0, sink & 1,
	       n ? (double)cpu / (double)n : 0.0);
	return 0;
}
