/* wxprog.c - --kill-wx test helper: "wx" maps RWX memory, "mprotect" makes RW memory RWX, "rw" stays within the rules; prints "survived" if it lives. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "rw";
	long a = syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE | (strcmp(mode, "wx") ? 0 : PROT_EXEC),
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!strcmp(mode, "mprotect"))
		syscall(SYS_mprotect, a, 4096, PROT_READ | PROT_WRITE | PROT_EXEC);
	if (!strcmp(mode, "rw"))
		usleep(300 * 1000);
	printf("survived %s\n", mode);
	return 0;
}
