/* wxloop.c - fleet test helper: maps COUNT pages writable+executable, one every MS milliseconds (each unmapped again); prints how many it made. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 1;
	int ms = argc > 2 ? atoi(argv[2]) : 0;
	int made = 0;

	for (int i = 0; i < count; i++) {
		long a = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a != -1) {
			made++;
			syscall(SYS_munmap, a, 4096);
		}
		if (ms) {
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	printf("%d\n", made);
	return 0;
}
