/* hook32.c - a 32-bit program for the hook-switch test: waits, maps MARKS distinct lengths, unmaps them, exits. */
/* Build: gcc -m32 -static. Usage: hook32 WAIT_MS|- ID. Lengths are
 * 4096 * (1000 + ID * 16 + k) for k < 8, so each run's calls can be found.
 * WAIT "-": wait for one byte (or EOF) on standard input instead of a time:
 * the test says when (once mapwatch reports the dispatcher attached). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int wait_ms = argc > 1 ? atoi(argv[1]) : 0, id = argc > 2 ? atoi(argv[2]) : 0;
	char c;

	if (argc > 1 && argv[1][0] == '-') {
		if (read(0, &c, 1) < 0)
			return 2;
	} else {
		usleep(wait_ms * 1000);
	}
	for (int k = 0; k < 8; k++) {
		size_t len = 4096ul * (1000 + id * 16 + k);
		long p = syscall(SYS_mmap2, 0, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == -1)
			return 1;
		syscall(SYS_munmap, p, len);
	}
	return 0;
}
