/* codewrite.c - test program (issue #22): code written into executable memory from outside the mapping calls (/proc/PID/mem, ptrace, process_vm_writev), then run. */
/* Usage: codewrite MODE. Each attack writes the payload (mov eax,42; ret)
 * into memory that is executable and never writable through a mapping call,
 * and runs it: exit 42.
 *   self_mem      /proc/self/mem pwrite() into an RX anonymous page of its own
 *   child_mem     the parent writes a child's /proc/PID/mem (write() at an
 *                 lseek'd offset) into the child's RX page; the child runs it
 *   child_libc    the parent patches libc's labs() in a child through its
 *                 /proc/PID/mem; the child calls labs(-1)
 *   poketext      ptrace(PTRACE_POKETEXT) into a traced child's RX page
 *   pvw           process_vm_writev into a child's RWX page
 *   straddle      /proc/self/mem pwrite() of 16 bytes starting 8 bytes before an RX page,
 *                 in the RW page below it: the payload lands at the RX page's start
 *   poke_repeat   poketext, the same word written 5 times (a debugger re-inserting a breakpoint)
 *   uffd          an RX anonymous page registered with a userfaultfd (missing pages); the main
 *                 thread calls into it, the handler thread supplies the page holding the
 *                 payload with UFFDIO_COPY
 *   uffd_move     uffd, the page moved in (UFFDIO_MOVE, 6.8+) instead of copied, into an RWX
 *                 page (the kernel moves only between writable VMAs of the same protection):
 *                 exit 42, or exit 77 where the kernel has no UFFDIO_MOVE
 *   uffd_remote   a child registers its RX page with a userfaultfd and passes the fd to the
 *                 parent (SCM_RIGHTS); the parent answers the child's fault with UFFDIO_COPY
 *   uffd_continue a memfd page mapped twice, MAP_SHARED: RW (the payload written through it,
 *                 into the page cache) and RX, the RX view registered for minor faults
 *                 (UFFDIO_REGISTER_MODE_MINOR); the main thread calls into the RX view, the
 *                 handler maps the cached page there with UFFDIO_CONTINUE: exit 42, or exit 77
 *                 where the kernel refuses minor faults on shmem (5.14+, CONFIG_USERFAULTFD)
 * Built -m32 as well (test_codewrite.py's compat test): the same attacks by
 * a 32-bit writer, whose calls arrive through the 32-bit syscall ABI
 * (ptrace pokes 4 bytes at a time there).
 * Near misses (exit 0, nothing written into code):
 *   self_mem_read   /proc/self/mem read (pread) of the RX page
 *   self_mem_data   /proc/self/mem written into an RW (non-executable) page
 *   peektext        ptrace(PTRACE_PEEKTEXT) of a traced child's RX page
 *   pokedata_data   ptrace(PTRACE_POKEDATA) into a traced child's RW page
 *   attach          ptrace(PTRACE_SEIZE), PTRACE_INTERRUPT, detach: no write
 *   pvw_data        process_vm_writev into a child's RW page
 *   uffd_data       uffd's UFFDIO_COPY into an RW (non-executable) page, read, not run
 *   uffd_continue_data  uffd_continue into a read-only (non-executable) view, read, not run */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

#if defined(__aarch64__)
static const unsigned char code[8] = { 0x40, 0x05, 0x80, 0x52, 0xc0, 0x03, 0x5f, 0xd6 }; /* mov w0,#42; ret */
#elif defined(__arm__)
static const unsigned char code[8] = { 0x2a, 0x00, 0xa0, 0xe3, 0x1e, 0xff, 0x2f, 0xe1 }; /* (A32) mov r0,#42; bx lr */
#else
static const unsigned char code[8] = { 0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3, 0x90, 0x90 }; /* mov eax,42; ret */
#endif

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static unsigned char *map(int prot)
{
	void *p = mmap(NULL, PG, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("codewrite: mmap");
	return p;
}

static int run(unsigned char *p)
{
	return ((int (*)(void))p)();
}

/* A child that waits for a byte on fd, then runs fn(p); returns its pid. */
static pid_t child_waiting(int fd[2], int (*fn)(unsigned char *), unsigned char *p)
{
	pid_t pid = fork();
	char c;

	if (pid < 0)
		die("codewrite: fork");
	if (pid == 0) {
		close(fd[1]);
		if (read(fd[0], &c, 1) != 1)
			_exit(3);
		_exit(fn(p));
	}
	close(fd[0]);
	return pid;
}

static int reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		die("codewrite: waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int call_labs(unsigned char *unused)
{
	long (*f)(long) = (long (*)(long))dlsym(RTLD_DEFAULT, "labs");

	(void)unused;
	return f ? (int)f(-1) : 3;
}

static int check_data(unsigned char *p)
{
	return memcmp(p, code, sizeof code) == 0 ? 0 : 4; /* the write landed: data, not run */
}

static int open_mem(pid_t pid, int flags)
{
	char name[64];
	int fd;

	snprintf(name, sizeof name, "/proc/%d/mem", (int)pid);
	fd = open(name, flags);
	if (fd < 0)
		die("codewrite: open mem");
	return fd;
}

static int self_mem(int exec)
{
	unsigned char *p = map(exec ? PROT_READ | PROT_EXEC : PROT_READ | PROT_WRITE);
	int fd = open_mem(getpid(), O_RDWR);

	if (pwrite(fd, code, sizeof code, (off_t)(uintptr_t)p) != (ssize_t)sizeof code)
		die("codewrite: pwrite mem");
	close(fd);
	return exec ? run(p) : check_data(p);
}

static int straddle(void)
{
	unsigned char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), buf[16];
	int fd = open_mem(getpid(), O_RDWR);

	if (p == MAP_FAILED || mprotect(p, PG, PROT_READ | PROT_WRITE))
		die("codewrite: mmap/mprotect");
	memset(buf, 0x90, 8);
	memcpy(buf + 8, code, sizeof code);
	if (pwrite(fd, buf, sizeof buf, (off_t)(uintptr_t)(p + PG - 8)) != (ssize_t)sizeof buf)
		die("codewrite: pwrite mem");
	close(fd);
	return run(p + PG);
}

static int self_mem_read(void)
{
	unsigned char *p = map(PROT_READ | PROT_EXEC), buf[8];
	int fd = open_mem(getpid(), O_RDONLY);

	if (pread(fd, buf, sizeof buf, (off_t)(uintptr_t)p) != (ssize_t)sizeof buf)
		die("codewrite: pread mem");
	close(fd);
	return buf[0] == 0 ? 0 : 5;
}

static int child_mem(int libc)
{
	unsigned char *p = libc ? (unsigned char *)dlsym(RTLD_DEFAULT, "labs") : map(PROT_READ | PROT_EXEC);
	int fd[2];

	if (!p || pipe(fd))
		die("codewrite: labs/pipe");
	pid_t pid = child_waiting(fd, libc ? call_labs : run, p);
	int mem = open_mem(pid, O_RDWR);
	if (lseek(mem, (off_t)(uintptr_t)p, SEEK_SET) < 0 || write(mem, code, sizeof code) != (ssize_t)sizeof code)
		die("codewrite: write child mem");
	close(mem);
	if (write(fd[1], "g", 1) != 1)
		die("codewrite: pipe write");
	return reap(pid);
}

/* A traced child stopped before it runs fn(p); the parent does what it
 * does, then lets it go. */
static int traced(int mode, int prot, int (*fn)(unsigned char *))
{
	unsigned char *p = map(prot);
	long word;
	int st;
	pid_t pid = fork();

	if (pid < 0)
		die("codewrite: fork");
	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(3);
		raise(SIGSTOP);
		_exit(fn(p));
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st))
		die("codewrite: child did not stop");
	/* a word at a time: one 8-byte poke, or two 4-byte ones from a 32-bit build */
	for (size_t off = 0; off < sizeof code; off += sizeof word) {
		memcpy(&word, code + off, sizeof word);
		for (int i = 0; i < (mode == 'r' ? 5 : mode == 'p'); i++)
			if (ptrace(PTRACE_POKETEXT, pid, p + off, (void *)word))
				die("codewrite: PTRACE_POKETEXT");
		if (mode == 'd' && ptrace(PTRACE_POKEDATA, pid, p + off, (void *)word))
			die("codewrite: PTRACE_POKEDATA");
	}
	if (mode == 'k') {
		errno = 0;
		long v = ptrace(PTRACE_PEEKTEXT, pid, p, NULL);
		if (v != 0 || errno)
			die("codewrite: PTRACE_PEEKTEXT");
	}
	if (ptrace(PTRACE_CONT, pid, NULL, NULL))
		die("codewrite: PTRACE_CONT");
	return reap(pid);
}

static int zero(unsigned char *p)
{
	return p[0];
}

/* A debugger's attach: seize a running child, stop it, let it go, no write. */
static int attach(void)
{
	int fd[2], st;

	if (pipe(fd))
		die("codewrite: pipe");
	pid_t pid = child_waiting(fd, zero, map(PROT_READ | PROT_EXEC));
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) || ptrace(PTRACE_INTERRUPT, pid, NULL, NULL))
		die("codewrite: PTRACE_SEIZE");
	if (waitpid(pid, &st, 0) < 0)
		die("codewrite: waitpid");
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL))
		die("codewrite: PTRACE_DETACH");
	if (write(fd[1], "g", 1) != 1)
		die("codewrite: pipe write");
	return reap(pid);
}

static int pvw(int exec)
{
	unsigned char *p = map(exec ? PROT_READ | PROT_WRITE | PROT_EXEC : PROT_READ | PROT_WRITE);
	int fd[2];

	if (pipe(fd))
		die("codewrite: pipe");
	pid_t pid = child_waiting(fd, exec ? run : check_data, p);
	struct iovec local = { (void *)code, sizeof code }, remote = { p, sizeof code };
	if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof code)
		die("codewrite: process_vm_writev");
	if (write(fd[1], "g", 1) != 1)
		die("codewrite: pipe write");
	return reap(pid);
}

/* UFFDIO_MOVE (Linux 6.8) where the installed headers predate it */
#ifndef UFFDIO_MOVE
struct uffdio_move {
	uint64_t dst, src, len, mode;
	int64_t move;
};
#define UFFDIO_MOVE _IOWR(UFFDIO, 0x05, struct uffdio_move)
#define UFFD_FEATURE_MOVE (1ULL << 16)
#endif

static int uffd_moves; /* uffd_move: the handler moves the page in */

/* The userfaultfd's handler: one missing-page fault, answered with a
 * page whose start holds the payload. */
static void *uffd_handler(void *arg)
{
	int uffd = *(int *)arg;
	struct uffd_msg msg;
	unsigned char *src = map(PROT_READ | PROT_WRITE);

	memcpy(src, code, sizeof code);
	if (read(uffd, &msg, sizeof msg) != (ssize_t)sizeof msg || msg.event != UFFD_EVENT_PAGEFAULT)
		die("codewrite: read uffd");
	uint64_t dst = msg.arg.pagefault.address & ~(uint64_t)(PG - 1);
	if (uffd_moves) { /* the kernel moves only between writable VMAs of the same protection */
		if (mprotect(src, PG, PROT_READ | PROT_WRITE | PROT_EXEC))
			die("codewrite: mprotect");
		struct uffdio_move mv = { .dst = dst, .src = (uintptr_t)src, .len = PG, .mode = 0 };
		if (ioctl(uffd, UFFDIO_MOVE, &mv) || mv.move != PG)
			die("codewrite: UFFDIO_MOVE");
		return NULL;
	}
	struct uffdio_copy c = { .dst = dst, .src = (uintptr_t)src, .len = PG, .mode = 0 };
	if (ioctl(uffd, UFFDIO_COPY, &c) || c.copy != PG)
		die("codewrite: UFFDIO_COPY");
	return NULL;
}

/* A userfaultfd that handles p's missing page. */
static int uffd_on(unsigned char *p)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	struct uffdio_api api = { .api = UFFD_API, .features = uffd_moves ? UFFD_FEATURE_MOVE : 0 };
	struct uffdio_register reg = { .range = { (uintptr_t)p, PG }, .mode = UFFDIO_REGISTER_MODE_MISSING };

	if (fd >= 0 && ioctl(fd, UFFDIO_API, &api) && uffd_moves && errno == EINVAL)
		exit(77); /* no UFFDIO_MOVE in this kernel */
	if (fd < 0 || ioctl(fd, UFFDIO_REGISTER, &reg))
		die("codewrite: userfaultfd");
	return fd;
}

static int uffd(int exec)
{
	unsigned char *p = map(uffd_moves ? PROT_READ | PROT_WRITE | PROT_EXEC : exec ? PROT_READ | PROT_EXEC : PROT_READ | PROT_WRITE);
	int fd = uffd_on(p);
	pthread_t th;

	if (pthread_create(&th, NULL, uffd_handler, &fd))
		die("codewrite: pthread_create");
	int r = exec ? run(p) : check_data(p); /* the first touch faults; the handler answers */
	pthread_join(th, NULL);
	close(fd);
	return r;
}

/* The child owns the region and its userfaultfd; the parent, handed the
 * fd over a socket, supplies the page: the write lands in another mm. */
static int uffd_remote(void)
{
	unsigned char *p = map(PROT_READ | PROT_EXEC);
	int sv[2];
	char b = 0;
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } cm;
	struct iovec io = { &b, 1 };
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof cm.buf };

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("codewrite: socketpair");
	memset(&cm, 0, sizeof cm);
	pid_t pid = fork();
	if (pid < 0)
		die("codewrite: fork");
	if (pid == 0) {
		int fd = uffd_on(p);
		struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(h), &fd, sizeof fd);
		if (sendmsg(sv[1], &mh, 0) != 1)
			_exit(3);
		_exit(run(p)); /* waits in the fault until the parent answers */
	}
	if (recvmsg(sv[0], &mh, 0) != 1 || !CMSG_FIRSTHDR(&mh))
		die("codewrite: recvmsg");
	int fd;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof fd);
	uffd_handler(&fd);
	return reap(pid);
}

/* UFFDIO_CONTINUE's minor-fault handler: the page is in the memfd's page
 * cache already (written through the other view); map it where it faulted. */
static void *uffd_continue_handler(void *arg)
{
	int uffd = *(int *)arg;
	struct uffd_msg msg;

	if (read(uffd, &msg, sizeof msg) != (ssize_t)sizeof msg || msg.event != UFFD_EVENT_PAGEFAULT ||
	    !(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR))
		die("codewrite: read uffd (minor fault)");
	uint64_t dst = msg.arg.pagefault.address & ~(uint64_t)(PG - 1);
	struct uffdio_continue c = { .range = { dst, PG }, .mode = 0 };
	if (ioctl(uffd, UFFDIO_CONTINUE, &c) || c.mapped != PG)
		die("codewrite: UFFDIO_CONTINUE");
	return NULL;
}

/* uffd_continue: exec 1 maps the second view RX and runs it, 0 maps it
 * read-only and reads it. */
static int uffd_continue(int exec)
{
	int mfd = (int)syscall(SYS_memfd_create, "mw-cw-continue", MFD_CLOEXEC);
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_MINOR_SHMEM };
	pthread_t th;

	if (mfd < 0 || ftruncate(mfd, PG))
		die("codewrite: memfd");
	unsigned char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	unsigned char *x = mmap(NULL, PG, exec ? PROT_READ | PROT_EXEC : PROT_READ, MAP_SHARED, mfd, 0);
	if (w == MAP_FAILED || x == MAP_FAILED)
		die("codewrite: mmap memfd");
	memcpy(w, code, sizeof code); /* into the page cache: the RX view's page is now "minor" */
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fd < 0 || ioctl(fd, UFFDIO_API, &api))
		exit(77); /* no userfaultfd, or no minor faults on shmem here */
	struct uffdio_register reg = { .range = { (uintptr_t)x, PG }, .mode = UFFDIO_REGISTER_MODE_MINOR };
	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		exit(77);
	if (pthread_create(&th, NULL, uffd_continue_handler, &fd))
		die("codewrite: pthread_create");
	int r = exec ? run(x) : check_data(x); /* the first touch faults (minor); the handler answers */
	pthread_join(th, NULL);
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	if (!strcmp(m, "self_mem"))
		return self_mem(1);
	if (!strcmp(m, "self_mem_data"))
		return self_mem(0);
	if (!strcmp(m, "straddle"))
		return straddle();
	if (!strcmp(m, "self_mem_read"))
		return self_mem_read();
	if (!strcmp(m, "child_mem"))
		return child_mem(0);
	if (!strcmp(m, "child_libc"))
		return child_mem(1);
	if (!strcmp(m, "poketext"))
		return traced('p', PROT_READ | PROT_EXEC, run);
	if (!strcmp(m, "poke_repeat"))
		return traced('r', PROT_READ | PROT_EXEC, run);
	if (!strcmp(m, "peektext"))
		return traced('k', PROT_READ | PROT_EXEC, zero);
	if (!strcmp(m, "pokedata_data"))
		return traced('d', PROT_READ | PROT_WRITE, check_data);
	if (!strcmp(m, "attach"))
		return attach();
	if (!strcmp(m, "pvw"))
		return pvw(1);
	if (!strcmp(m, "pvw_data"))
		return pvw(0);
	if (!strcmp(m, "uffd"))
		return uffd(1);
	if (!strcmp(m, "uffd_move")) {
		uffd_moves = 1;
		return uffd(1);
	}
	if (!strcmp(m, "uffd_remote"))
		return uffd_remote();
	if (!strcmp(m, "uffd_data"))
		return uffd(0);
	if (!strcmp(m, "uffd_continue"))
		return uffd_continue(1);
	if (!strcmp(m, "uffd_continue_data"))
		return uffd_continue(0);
	fprintf(stderr, "usage: codewrite self_mem|child_mem|child_libc|poketext|pvw|straddle|poke_repeat|uffd|uffd_move|uffd_remote|uffd_continue|self_mem_read|self_mem_data|peektext|pokedata_data|attach|pvw_data|uffd_data|uffd_continue_data\n");
	return 2;
}
