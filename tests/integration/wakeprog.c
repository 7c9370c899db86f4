/* wakeprog.c - reader wake-up test helper: one mmap of the file named by
 * argv[1] (a long record when its path is long), a pause, then one anonymous
 * mmap of 0x7a000 bytes (a record of fixed size); prints "mapped" once both
 * calls returned, then waits until its standard input closes. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec pause = { 0, 300 * 1000000 };
	char c;
	int fd = argc > 1 ? open(argv[1], O_RDONLY) : -1;

	if (fd < 0)
		return 2;
	if (syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0) < 0)
		return 1;
	nanosleep(&pause, NULL);
	if (syscall(SYS_mmap, 0, 0x7a000, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) < 0)
		return 1;
	printf("mapped\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
