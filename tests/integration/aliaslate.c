/* aliaslate.c - test program (issue #22): the alias routes where the two views never exist at once:
 * a file opened for writing only after it was mapped executable, and a writable view closed
 * (munmap) before the executable one was made. Each mode puts the payload (mov eax,42; ret) in
 * through the writer and runs it through the executable view: exit 42 (the code ran), 1 when a
 * step failed. FILE is a page-sized file written before this process began (by the test, its
 * mtime set back), so that its age alone says nothing.
 *   lateopen FILE        FILE opened read-only and mapped MAP_PRIVATE RX, the descriptor closed;
 *                        then FILE opened write-only and the code pwrite()n into it
 *   lateopen_shared FILE the same with a MAP_SHARED RX view
 *   lateopen_child FILE  the same, the descriptor opened and written by a forked child (the
 *                        executable view is another process's)
 * Near misses (exit 0, no code written where it is mapped executable):
 *   lateopen_data FILE   FILE's first page mapped RX, FILE opened for writing later, the code
 *                        written into its second page (mapped nowhere)
 *   lateopen_ro FILE     FILE mapped read-only (no PROT_EXEC), then opened for writing and the
 *                        code written into the mapped page (read back, not run)
 *   closed_file FILE     FILE mapped MAP_SHARED RW, the code stored through it, unmapped and
 *                        closed; then mapped RX from a read-only descriptor
 *   closed_memfd         a memfd mapped RW, the code stored, unmapped; then mapped RX
 *   closed_shanon        MAP_SHARED|MAP_ANONYMOUS PROT_READ; a forked child makes its view RW,
 *                        stores the code, unmaps it and exits; then the parent makes its view RX
 *   closed_mremap        MAP_SHARED|MAP_ANONYMOUS PROT_READ, a second view by mremap(old, 0, ...);
 *                        the first made RW, the code stored, unmapped; the second made RX */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static const unsigned char code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov eax,42; ret */

static void die(const char *what)
{
	fprintf(stderr, "aliaslate: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int run(void *x)
{
	return ((int (*)(void))x)();
}

static void *map(void *addr, int prot, int flags, int fd)
{
	void *p = mmap(addr, PG, prot, flags, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static int openf(const char *file, int flags)
{
	int fd = open(file, flags | O_CLOEXEC);
	if (fd < 0)
		die(file);
	return fd;
}

static int late_open(const char *file, int share)
{
	int fd = openf(file, O_RDONLY);
	void *x = map(NULL, PROT_READ | PROT_EXEC, share, fd);

	close(fd);
	fd = openf(file, O_WRONLY); /* the writer comes after the executable view */
	if (pwrite(fd, code, sizeof code, 0) != (ssize_t)sizeof code)
		die("pwrite");
	close(fd);
	return run(x);
}

/* The writer is a forked child: the executable view is its parent's. */
static int late_open_child(const char *file)
{
	int fd = openf(file, O_RDONLY), st;
	void *x = map(NULL, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd);
	pid_t pid;

	close(fd);
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		fd = openf(file, O_WRONLY);
		_exit(pwrite(fd, code, sizeof code, 0) == (ssize_t)sizeof code ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
	return run(x);
}

/* Near misses: a write beside the executable page, or into a page mapped without PROT_EXEC. */
static int late_open_near(const char *file, int exec)
{
	int fd = openf(file, O_RDONLY);
	unsigned char *x = map(NULL, exec ? PROT_READ | PROT_EXEC : PROT_READ, MAP_PRIVATE, fd);

	close(fd);
	fd = openf(file, O_WRONLY);
	if (pwrite(fd, code, sizeof code, exec ? PG : 0) != (ssize_t)sizeof code)
		die("pwrite");
	close(fd);
	return exec ? (x[0] == 0 ? 0 : 3) : (memcmp(x, code, sizeof code) == 0 ? 0 : 4);
}

static int closed_file(const char *file)
{
	int fd = openf(file, O_RDWR);
	unsigned char *w = map(NULL, PROT_READ | PROT_WRITE, MAP_SHARED, fd);

	memcpy(w, code, sizeof code);
	if (munmap(w, PG))
		die("munmap");
	close(fd);
	fd = openf(file, O_RDONLY);
	void *x = map(NULL, PROT_READ | PROT_EXEC, MAP_SHARED, fd);
	close(fd);
	return run(x);
}

static int closed_memfd(void)
{
	int fd = memfd_create("mw-late", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, PG))
		die("memfd");
	unsigned char *w = map(NULL, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	memcpy(w, code, sizeof code);
	if (munmap(w, PG))
		die("munmap");
	return run(map(NULL, PROT_READ | PROT_EXEC, MAP_SHARED, fd));
}

static int closed_shanon(void)
{
	unsigned char *m = map(NULL, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1);
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (mprotect(m, PG, PROT_READ | PROT_WRITE))
			_exit(1);
		memcpy(m, code, sizeof code);
		_exit(munmap(m, PG) ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
	if (mprotect(m, PG, PROT_READ | PROT_EXEC))
		die("mprotect");
	return run(m);
}

static int closed_mremap(void)
{
	unsigned char *w = map(NULL, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1);
	void *x = mremap(w, 0, PG, MREMAP_MAYMOVE);

	if (x == MAP_FAILED)
		die("mremap");
	if (mprotect(w, PG, PROT_READ | PROT_WRITE))
		die("mprotect RW");
	memcpy(w, code, sizeof code);
	if (munmap(w, PG))
		die("munmap");
	if (mprotect(x, PG, PROT_READ | PROT_EXEC))
		die("mprotect RX");
	return run(x);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *file = argc > 2 ? argv[2] : "";

	if (!strcmp(mode, "lateopen"))
		return late_open(file, MAP_PRIVATE);
	if (!strcmp(mode, "lateopen_shared"))
		return late_open(file, MAP_SHARED);
	if (!strcmp(mode, "lateopen_child"))
		return late_open_child(file);
	if (!strcmp(mode, "lateopen_data"))
		return late_open_near(file, 1);
	if (!strcmp(mode, "lateopen_ro"))
		return late_open_near(file, 0);
	if (!strcmp(mode, "closed_file"))
		return closed_file(file);
	if (!strcmp(mode, "closed_memfd"))
		return closed_memfd();
	if (!strcmp(mode, "closed_shanon"))
		return closed_shanon();
	if (!strcmp(mode, "closed_mremap"))
		return closed_mremap();
	fprintf(stderr, "usage: aliaslate lateopen|lateopen_shared|lateopen_child|lateopen_data|lateopen_ro|closed_file FILE, or closed_memfd|closed_shanon|closed_mremap\n");
	return 2;
}
