/* policyprog.c - policy test helper: renames itself (COMM, "-" keeps its name), then maps COUNT pages writable+executable (0: until the file STOP exists), one every MS milliseconds (each unmapped again), as a shellcode loader stages code; with COUNT and STOP, then waits for STOP before it exits; prints how many it made. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *comm = argc > 1 ? argv[1] : "-";
	int count = argc > 2 ? atoi(argv[2]) : 1;
	int ms = argc > 3 ? atoi(argv[3]) : 0;
	const char *stop = argc > 4 ? argv[4] : NULL;
	int made = 0;

	if (strcmp(comm, "-"))
		prctl(PR_SET_NAME, comm, 0, 0, 0); /* a name is no identity: rules must not trust it */
	for (int i = 0; count ? i < count : stop && access(stop, F_OK) != 0; i++) {
		long a = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a != -1) {
			((unsigned char *)a)[0] = 0xc3; /* ret */
			made++;
			syscall(SYS_munmap, a, 4096);
		}
		if (ms) {
			struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	while (count && stop && access(stop, F_OK) != 0) {
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL); /* alive until the test has seen its calls */
	}
	printf("%d\n", made);
	return 0;
}
