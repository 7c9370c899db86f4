/* alias_loop.c - benchmark workload for the alias check (src/bpf/alias.bpf.h): mmap+munmap of one page of a file, executable, in a loop. */
/* usage: alias_loop FILE MODE PAIRS; MODE plain: FILE opened read-only, no other view (the check
 * reads two counters); view: a writable MAP_SHARED view of FILE is held meanwhile, so that every
 * executable mapping walks the file's mappings and finds it (FILE opened read-write). Prints
 * "mode= pairs= ns_per_pair=". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec a, b;
	int view = argc > 2 && !strcmp(argv[2], "view");
	long pairs = argc > 3 ? atol(argv[3]) : 100000;
	int fd = argc > 1 ? open(argv[1], view ? O_RDWR | O_CREAT : O_RDONLY, 0600) : -1;

	if (fd < 0 || (view && ftruncate(fd, 4096)) || pairs <= 0) {
		fprintf(stderr, "usage: alias_loop FILE plain|view PAIRS (FILE of at least one page)\n");
		return 2;
	}
	if (view && mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < pairs; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			return 1;
		munmap(p, 4096);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("mode=%s pairs=%ld ns_per_pair=%.0f\n", view ? "view" : "plain", pairs,
	       ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)pairs);
	return 0;
}
