/* memfdexec.c - the fileless loader chains: memfd_create, then an executable mmap of it, or an execveat of it. */
/* Usage: memfdexec mmap FLAGS          memfd_create("mw-payload", FLAGS), write a "ret", mmap it PROT_READ|PROT_EXEC, call it
 *        memfdexec exec PROGRAM        memfd_create("mw-prog", MFD_CLOEXEC), copy PROGRAM into it, execveat(fd, "", AT_EMPTY_PATH)
 * Exits 0 when the payload ran (the exec'd program's status otherwise). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	if (!strcmp(argv[1], "mmap")) {
		int fd = (int)syscall(SYS_memfd_create, "mw-payload", (unsigned)strtoul(argv[2], NULL, 0));
		unsigned char ret = 0xc3;
		if (fd < 0 || write(fd, &ret, 1) != 1 || ftruncate(fd, 4096))
			return 1;
		void *x = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		if (x == MAP_FAILED)
			return 3;
		((void (*)(void))x)();
		return 0;
	}
	int fd = (int)syscall(SYS_memfd_create, "mw-prog", 1u /* MFD_CLOEXEC */);
	int in = open(argv[2], O_RDONLY);
	char buf[65536];
	ssize_t n;
	if (fd < 0 || in < 0)
		return 1;
	while ((n = read(in, buf, sizeof buf)) > 0)
		if (write(fd, buf, (size_t)n) != n)
			return 1;
	char *args[] = { "mw-prog", NULL }, *env[] = { NULL };
	syscall(SYS_execveat, fd, "", args, env, AT_EMPTY_PATH);
	return 4;
}
