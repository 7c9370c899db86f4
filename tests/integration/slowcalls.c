/* slowcalls.c - delivery test helper: makes N mmap calls PERIOD_MS apart, each of length BASE + i pages (so each call is recognisable), and unmaps nothing. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5;
	long period_ms = argc > 2 ? atol(argv[2]) : 1000;
	unsigned long base = argc > 3 ? strtoul(argv[3], NULL, 0) : 0x5a5a000;

	for (int i = 0; i < n; i++) {
		struct timespec ts = { period_ms / 1000, (period_ms % 1000) * 1000000 };
		if (i)
			nanosleep(&ts, NULL);
		syscall(SYS_mmap, 0, base + (unsigned long)i * 4096, PROT_READ,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	}
	return 0;
}
