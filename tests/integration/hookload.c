/* hookload.c - a steady 64-bit mmap+munmap load for the hook-switch test: counts its calls and prints the count. */
/* Usage: hookload SECONDS. Each round maps and unmaps one page (length
 * 4096 * (1 + round % 7)); at the end it prints "calls N" (N pairs). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	struct timespec t0, t;
	long n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		size_t len = 4096 * (1 + n % 7);
		long p = syscall(SYS_mmap, 0, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE /* its mark */, -1, 0);
		if (p == -1)
			return 1;
		syscall(SYS_munmap, p, len);
		n++;
		if (n % 8 == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if (t.tv_sec - t0.tv_sec + (t.tv_nsec - t0.tv_nsec) / 1e9 >= secs)
				break;
			usleep(1000); /* a steady, modest rate: the reader keeps up on a busy machine */
		}
	}
	printf("calls %ld\n", n);
	return 0;
}
