/* dropcode.c - the attacker's "dropped code" routes (issue #22): code written to a regular file,
 * then mapped executable and run. Each mode really runs its payload (mov eax, 42; ret) and exits
 * with what it returned (42), or 1 when a step failed.
 *   dropcode self FILE       write FILE, mmap it PROT_READ|PROT_EXEC, call it
 *   dropcode mprotect FILE   write FILE, mmap it PROT_READ, mprotect it PROT_READ|PROT_EXEC, call it
 *   dropcode remap FILE      the payload mapped RX from a file written before this process (by
 *                            the test), munmap, pwrite new code, mmap at the same address again
 *   dropcode backdate FILE   write FILE, set its mtime back to 2001 (utimensat), mmap it RX
 *   dropcode child FILE      write FILE, then run "dropcode load FILE" (a new process, begun after
 *                            the write) which maps it RX
 *   dropcode load FILE       mmap FILE RX and call it (the file is not written here)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const unsigned char payload[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov eax, 42; ret */

static int write_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700);
	if (fd < 0 || write(fd, payload, sizeof payload) != (ssize_t)sizeof payload || ftruncate(fd, 4096))
		return -1;
	return close(fd);
}

static int run(void *p)
{
	return ((int (*)(void))p)();
}

static int map_and_run(const char *path, int prot)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	void *p = mmap(NULL, 4096, prot, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 1;
	if (!(prot & PROT_EXEC) && mprotect(p, 4096, PROT_READ | PROT_EXEC))
		return 1;
	return run(p);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *mode = argv[1], *path = argv[2];
	static const char *const modes[] = { "load", "remap", "self", "mprotect", "backdate", "child" };
	int known = 0;

	for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++)
		known |= !strcmp(mode, modes[i]);
	if (!known)
		return 2; /* nothing written */
	if (!strcmp(mode, "load"))
		return map_and_run(path, PROT_READ | PROT_EXEC);
	if (!strcmp(mode, "remap")) {
		int fd = open(path, O_RDWR);
		if (fd < 0)
			return 1;
		void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED || run(p) != 42 || munmap(p, 4096))
			return 1;
		static const unsigned char other[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0x90, 0xc3 };
		if (pwrite(fd, other, sizeof other, 0) != (ssize_t)sizeof other)
			return 1;
		void *q = mmap(p, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd, 0);
		close(fd);
		return q == MAP_FAILED ? 1 : run(q);
	}
	if (write_file(path))
		return 1;
	if (!strcmp(mode, "self"))
		return map_and_run(path, PROT_READ | PROT_EXEC);
	if (!strcmp(mode, "mprotect"))
		return map_and_run(path, PROT_READ);
	if (!strcmp(mode, "backdate")) {
		struct timespec t[2] = { { 978307200, 0 }, { 978307200, 0 } }; /* 2001-01-01 */
		if (utimensat(AT_FDCWD, path, t, 0))
			return 1;
		return map_and_run(path, PROT_READ | PROT_EXEC);
	}
	if (!strcmp(mode, "child")) {
		pid_t c = fork();
		if (c == 0) {
			execl("/proc/self/exe", "dropcode", "load", path, (char *)NULL);
			_exit(127);
		}
		int st;
		if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st))
			return 1;
		return WEXITSTATUS(st);
	}
	return 2;
}
