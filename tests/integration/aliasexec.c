/* aliasexec.c - test program (issue #22): code run through an executable view of memory that another view, or an fd, writes (the double-mapping trick), and near misses that must stay quiet. */
/* Usage: aliasexec MODE DIR; DIR holds the files (a disk directory, not tmpfs: the
 * alias must be caught on its own, not as fileless code). The attack modes put
 * the payload (mov eax,42; ret) in through the writable view, run it through the
 * executable one and exit with what it returned (42): proof the code ran.
 *   file     a regular file mapped MAP_SHARED twice: RW and RX
 *   reverse  the file mapped RX first (opened read-only, no writer left); a forked child
 *            opens it read-write, maps it RW and writes
 *   pwrite   the file mapped RX only (MAP_PRIVATE); the code put in with pwrite() on the fd
 *   shanon   MAP_SHARED|MAP_ANONYMOUS PROT_READ; a forked child makes its view RW and
 *            writes while the parent makes its own view RX
 *   mremap   MAP_SHARED|MAP_ANONYMOUS RW; a second view by mremap(old, 0, len, MAYMOVE)
 *            made RX
 *   memfd    a memfd mapped MAP_SHARED twice: RW and RX
 *   clonevm  a clone(CLONE_VM) child maps a page RW and writes the code; the parent
 *            (same memory, another process) makes it RX
 *   vfork    the same with a vfork child
 * Near misses (exit 0, no payload):
 *   split    MAP_SHARED|MAP_ANONYMOUS RW over two pages, the second page made RX:
 *            the writable view left covers only the first page
 *   readonly the file (opened read-only, no writer anywhere) mapped MAP_SHARED RX
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static const unsigned char code[] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3 }; /* mov eax,42; ret */

static void die(const char *what)
{
	fprintf(stderr, "aliasexec: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int run(void *x)
{
	return ((int (*)(void))x)();
}

/* DIR/alias.bin, PG * pages bytes, opened with flags. */
static int file_in(const char *dir, int flags, int pages)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/alias.bin", dir);
	fd = open(path, flags | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		die(path);
	if ((flags & O_ACCMODE) != O_RDONLY && ftruncate(fd, (off_t)PG * pages))
		die("ftruncate");
	return fd;
}

static void *map(void *addr, int prot, int flags, int fd)
{
	void *p = mmap(addr, PG, prot, flags, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

static void rd(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		die("read pipe");
}

static void wr(int fd)
{
	if (write(fd, "x", 1) != 1)
		die("write pipe");
}

static int two_views(int fd)
{
	unsigned char *w = map(NULL, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	void *x = map(NULL, PROT_READ | PROT_EXEC, MAP_SHARED, fd);
	memcpy(w, code, sizeof code);
	return run(x);
}

static int reverse(const char *dir)
{
	close(file_in(dir, O_RDWR | O_TRUNC, 1));
	int fd = file_in(dir, O_RDONLY, 1);
	void *x = map(NULL, PROT_READ | PROT_EXEC, MAP_SHARED, fd);
	pid_t pid;
	int st;

	close(fd);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		unsigned char *w = map(NULL, PROT_READ | PROT_WRITE, MAP_SHARED, file_in(dir, O_RDWR, 1));
		memcpy(w, code, sizeof code);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		die("child");
	return run(x);
}

static int pwrite_code(const char *dir)
{
	int fd = file_in(dir, O_RDWR | O_TRUNC, 1);
	void *x = map(NULL, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd);
	if (pwrite(fd, code, sizeof code, 0) != (ssize_t)sizeof code)
		die("pwrite");
	return run(x);
}

/* The child writes through its own view of shared anonymous memory while the
 * parent holds the other view RX; the child stays until the parent ran it. */
static int shanon(void)
{
	unsigned char *m = map(NULL, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1);
	int up[2], down[2], st, r;
	pid_t pid;

	if (pipe(up) || pipe(down))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(up[0]);
		close(down[1]); /* EOF when the parent is gone */
		if (mprotect(m, PG, PROT_READ | PROT_WRITE))
			die("child mprotect");
		memcpy(m, code, sizeof code);
		wr(up[1]);
		rd(down[0]);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	rd(up[0]);
	if (mprotect(m, PG, PROT_READ | PROT_EXEC))
		die("mprotect");
	r = run(m);
	wr(down[1]);
	if (waitpid(pid, &st, 0) != pid)
		die("waitpid");
	return r;
}

static int mremap_view(void)
{
	unsigned char *w = map(NULL, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1);
	void *x = mremap(w, 0, PG, MREMAP_MAYMOVE);

	if (x == MAP_FAILED)
		die("mremap");
	if (mprotect(x, PG, PROT_READ | PROT_EXEC))
		die("mprotect");
	memcpy(w, code, sizeof code);
	return run(x);
}

static int memfd(void)
{
	int fd = memfd_create("mw-alias", MFD_CLOEXEC);

	if (fd < 0)
		die("memfd_create");
	if (ftruncate(fd, PG))
		die("ftruncate");
	return two_views(fd);
}

/* Written by a process that shares this one's memory (CLONE_VM, vfork). */
static unsigned char *volatile child_page;

static int clone_child(void *unused)
{
	(void)unused;
	unsigned char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	memcpy(p, code, sizeof code);
	child_page = p;
	return 0;
}

static int shared_mm(int use_vfork)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	pid_t pid;
	int st;

	if (use_vfork) {
		pid = vfork();
		if (pid == 0)
			_exit(clone_child(NULL));
	} else {
		pid = clone(clone_child, stack + sizeof stack, CLONE_VM | SIGCHLD, NULL);
	}
	if (pid < 0)
		die("clone");
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) || !child_page)
		die("child");
	if (mprotect(child_page, PG, PROT_READ | PROT_EXEC))
		die("mprotect");
	return run(child_page);
}

static int split(void)
{
	unsigned char *w = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (w == MAP_FAILED)
		die("mmap");
	w[0] = 1;
	if (mprotect(w + PG, PG, PROT_READ | PROT_EXEC))
		die("mprotect");
	return 0;
}

static int readonly(const char *dir)
{
	close(file_in(dir, O_RDWR | O_TRUNC, 1));
	int fd = file_in(dir, O_RDONLY, 1);
	map(NULL, PROT_READ | PROT_EXEC, MAP_SHARED, fd);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *dir = argc > 2 ? argv[2] : ".";

	if (!strcmp(mode, "file"))
		return two_views(file_in(dir, O_RDWR | O_TRUNC, 1));
	if (!strcmp(mode, "reverse"))
		return reverse(dir);
	if (!strcmp(mode, "pwrite"))
		return pwrite_code(dir);
	if (!strcmp(mode, "shanon"))
		return shanon();
	if (!strcmp(mode, "mremap"))
		return mremap_view();
	if (!strcmp(mode, "memfd"))
		return memfd();
	if (!strcmp(mode, "clonevm") || !strcmp(mode, "vfork"))
		return shared_mm(!strcmp(mode, "vfork"));
	if (!strcmp(mode, "split"))
		return split();
	if (!strcmp(mode, "readonly"))
		return readonly(dir);
	fprintf(stderr, "usage: aliasexec file|reverse|pwrite|shanon|mremap|memfd|clonevm|vfork|split|readonly DIR\n");
	return 2;
}
