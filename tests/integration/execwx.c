/* execwx.c - lost-process-record test helper. "old NEWPATH": one mmap, prints "ready1", waits for a line on stdin, makes FILL munmap calls (to fill a small ring buffer), then execs NEWPATH as "new". "new": one W+X mmap, prints "ready2", waits for a line, then a second W+X mmap. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static void wait_line(void)
{
	char buf[64];

	if (!fgets(buf, sizeof(buf), stdin))
		exit(3);
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "old")) {
		int fill = argc > 3 ? atoi(argv[3]) : 2000;
		syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		printf("ready1\n");
		fflush(stdout);
		wait_line();
		for (int i = 0; i < fill; i++)
			syscall(SYS_munmap, 0x10000, 4096);
		execl(argv[2], argv[2], "new", (char *)NULL);
		return 2;
	}
	if (argc > 1 && !strcmp(argv[1], "new")) {
		syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		printf("ready2\n");
		fflush(stdout);
		wait_line();
		syscall(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return 0;
	}
	return 2;
}
