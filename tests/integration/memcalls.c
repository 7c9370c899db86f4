/* memcalls.c - makes each memory-family syscall of issue #14 through syscall(2), successes and failures, and logs them as JSON lines. */
/* Usage: memcalls LOG   (builds 64-bit and, with -m32, 32-bit)
 * Each line of LOG is one call, {"event":..,"args":[..],"ret":..}, as the
 * kernel saw it (args zero-extended from the caller's registers; for i386
 * ipc() the shmat/shmdt arguments as mapwatch reports them). The test
 * compares mapwatch's events against it field by field, and strace's
 * decoding of the same run against mapwatch's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "calllog.h"

/* numbers the C library headers of Debian 12 may lack (checked against the kernel's tables) */
#if defined(__x86_64__)
#define NR_mseal 462
#define NR_map_shadow_stack 453
#define NR_set_mempolicy_home_node 450
#define NR_memfd_secret 447
#define NR_process_madvise 440
#define NR_pidfd_open 434
#elif defined(__i386__)
#define NR_mseal 462
#define NR_map_shadow_stack 453
#define NR_set_mempolicy_home_node 450
#define NR_memfd_secret 447
#define NR_process_madvise 440
#define NR_pidfd_open 434
#define NR_ipc 117
#endif

#define PG 4096ul
typedef unsigned long ul;

/* the register value of an argument as the kernel sees it */
#define U(x) ((uint64_t)(ul)(x))
#define I(x) ((uint64_t)(uint32_t)(int)(x))

static long call(const char *ev, int n, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		 uint64_t a4, uint64_t a5, long nr)
{
	uint64_t a[6] = { a0, a1, a2, a3, a4, a5 };
	long r = ret_of(syscall(nr, (ul)a0, (ul)a1, (ul)a2, (ul)a3, (ul)a4, (ul)a5));
	/* an address above 2 GiB is negative in a 32-bit long: log what the kernel returned */
	logcall(ev, n, a, r < 0 && r >= -4095 ? (long long)r : (long long)(ul)r, NULL);
	return r;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: memcalls LOG\n");
		return 2;
	}
	logf = fopen(argv[1], "w");
	if (!logf)
		return 1;
	log_context();
	/* the marker the checker starts from */
	{
		uint64_t a[2] = { 0x5a5a5000, 0 };
		logcall("munmap", 2, a, ret_of(syscall(SYS_munmap, 0x5a5a5000ul, 0ul)), NULL);
	}
	char *p = mmap(NULL, 16 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	memset(p, 1, 16 * PG);

	/* brk: query, grow, a refused break (returns the old one), shrink back */
	long cur = call("brk", 1, 0, 0, 0, 0, 0, 0, SYS_brk);
	call("brk", 1, U(cur + 8192), 0, 0, 0, 0, 0, SYS_brk);
	call("brk", 1, U(4096), 0, 0, 0, 0, 0, SYS_brk);
	call("brk", 1, U(cur), 0, 0, 0, 0, 0, SYS_brk);

	/* madvise */
	call("madvise", 3, U(p), U(PG), I(MADV_DONTNEED), 0, 0, 0, SYS_madvise);
	call("madvise", 3, U(p + PG), U(PG), I(8 /* MADV_FREE */), 0, 0, 0, SYS_madvise);
	call("madvise", 3, U(p), U(PG), I(22 /* MADV_POPULATE_READ */), 0, 0, 0, SYS_madvise);
	call("madvise", 3, U(p + 1), U(PG), I(MADV_WILLNEED), 0, 0, 0, SYS_madvise);
	call("madvise", 3, U(p), U(PG), I(77), 0, 0, 0, SYS_madvise);

	/* process_madvise on our own pidfd */
	{
		int pfd = (int)syscall(NR_pidfd_open, getpid(), 0);
		struct iovec iov = { p + 2 * PG, PG };
		call("process_madvise", 5, I(pfd), U(&iov), 1, I(20 /* MADV_COLD */), 0, 0, NR_process_madvise);
		call("process_madvise", 5, I(-1), U(&iov), 1, I(20), 0, 0, NR_process_madvise);
		close(pfd);
	}

	/* mlock family */
	call("mlock", 2, U(p), U(PG), 0, 0, 0, 0, SYS_mlock);
	call("mlock", 2, U(0x10000), U(PG), 0, 0, 0, 0, SYS_mlock);
	call("mlock2", 3, U(p + PG), U(PG), 1 /* MLOCK_ONFAULT */, 0, 0, 0, SYS_mlock2);
	call("mlock2", 3, U(p + PG), U(PG), 6, 0, 0, 0, SYS_mlock2);
	call("munlock", 2, U(p), U(2 * PG), 0, 0, 0, 0, SYS_munlock);
	call("munlock", 2, U(0x10000), U(PG), 0, 0, 0, 0, SYS_munlock);
	call("mlockall", 1, I(MCL_FUTURE | 4 /* MCL_ONFAULT */), 0, 0, 0, 0, 0, SYS_mlockall);
	call("mlockall", 1, I(0x10), 0, 0, 0, 0, 0, SYS_mlockall);
	call("munlockall", 0, 0, 0, 0, 0, 0, 0, SYS_munlockall);

	/* mincore */
	{
		unsigned char vec[2];
		call("mincore", 3, U(p), U(2 * PG), U(vec), 0, 0, 0, SYS_mincore);
		call("mincore", 3, U(p + 1), U(PG), U(vec), 0, 0, 0, SYS_mincore);
	}

	/* remap_file_pages: a shared file mapping, then on anonymous memory (EINVAL) */
	{
		int fd = (int)syscall(SYS_memfd_create, "mw-rfp", 0);
		if (fd >= 0 && ftruncate(fd, 2 * PG) == 0) {
			char *s = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			if (s != MAP_FAILED)
				call("remap_file_pages", 5, U(s), U(PG), 0, 1, 0, 0, SYS_remap_file_pages);
		}
		call("remap_file_pages", 5, U(p), U(PG), 0, 1, I(MAP_NONBLOCK), 0, SYS_remap_file_pages);
		if (fd >= 0)
			close(fd);
	}

	/* NUMA policies: node 0 always exists */
	{
		ul mask = 1, out = 0;
		int mode = -1;
		call("mbind", 6, U(p + 4 * PG), U(PG), 2 /* MPOL_BIND */, U(&mask), 2, 0, SYS_mbind);
		call("mbind", 6, U(p + 4 * PG), U(PG), 2 | (1 << 15) /* MPOL_F_STATIC_NODES */, U(&mask), 2,
		     1 /* MPOL_MF_STRICT */, SYS_mbind);
		call("mbind", 6, U(p + 4 * PG), U(PG), 99, U(&mask), 2, 0, SYS_mbind);
		call("set_mempolicy_home_node", 4, U(p + 4 * PG), U(PG), 0, 0, 0, 0, NR_set_mempolicy_home_node);
		call("set_mempolicy_home_node", 4, U(p + 4 * PG), U(PG), 0, 1, 0, 0, NR_set_mempolicy_home_node);
		call("set_mempolicy", 3, 1 /* MPOL_PREFERRED */, U(&mask), 2, 0, 0, 0, SYS_set_mempolicy);
		call("set_mempolicy", 3, 0, 0, 0, 0, 0, 0, SYS_set_mempolicy);
		call("set_mempolicy", 3, 77, 0, 0, 0, 0, 0, SYS_set_mempolicy);
		call("get_mempolicy", 5, U(&mode), U(&out), 64, 0, 0, 0, SYS_get_mempolicy);
		call("get_mempolicy", 5, U(&mode), U(&out), 64, 0, 0x80, 0, SYS_get_mempolicy);
		call("migrate_pages", 4, 0, 2, U(&mask), U(&mask), 0, 0, SYS_migrate_pages);
		call("migrate_pages", 4, I(0x7ffffff0), 2, U(&mask), U(&mask), 0, 0, SYS_migrate_pages);
		void *pages[1] = { p + 5 * PG };
		int status[1] = { -1 };
		call("move_pages", 6, 0, 1, U(pages), 0, U(status), I(2 /* MPOL_MF_MOVE */), SYS_move_pages);
		call("move_pages", 6, 0, 1, U(pages), 0, U(status), I(0x80), SYS_move_pages);
	}

	/* mseal (its own mapping: sealed memory cannot be unmapped) and shadow stacks */
	{
		char *m = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		call("mseal", 3, U(m), U(PG), 0, 0, 0, 0, NR_mseal);
		call("mseal", 3, U(m + 1), U(PG), 0, 0, 0, 0, NR_mseal);
		call("map_shadow_stack", 3, 0, U(PG), 1 /* SHADOW_STACK_SET_TOKEN */, 0, 0, 0,
		     NR_map_shadow_stack);
		call("map_shadow_stack", 3, 0, U(PG), 0x80, 0, 0, 0, NR_map_shadow_stack);
	}

	/* SysV shared memory */
	{
		int id = shmget(IPC_PRIVATE, 2 * PG, IPC_CREAT | 0600);
		long a = call("shmat", 3, I(id), 0, I(SHM_RDONLY), 0, 0, 0, SYS_shmat);
		if (a < -4095 || a > 0)
			call("shmdt", 1, U(a), 0, 0, 0, 0, 0, SYS_shmdt);
		call("shmat", 3, I(-1), 0, 0, 0, 0, 0, SYS_shmat);
		call("shmdt", 1, U(p + 3), 0, 0, 0, 0, 0, SYS_shmdt);
#if defined(__i386__)
		/* the ipc() multiplexer: SHMAT (21) writes the address to *third */
		{
			ul raddr = 0;
			long r = ret_of(syscall(NR_ipc, 21, id, 0, &raddr, (void *)0, 0));
			uint64_t aa[3] = { I(id), 0, 0 };
			logcall("shmat", 3, aa, r == 0 ? (long long)raddr : (long long)r, NULL);
			uint64_t ab[3] = { I(-1), 0, 0 };
			r = ret_of(syscall(NR_ipc, 21, -1, 0, &raddr, (void *)0, 0));
			logcall("shmat", 3, ab, r, NULL);
			if (raddr) {
				uint64_t ad[1] = { U(raddr) };
				logcall("shmdt", 1, ad, ret_of(syscall(NR_ipc, 22, 0, 0, 0, (void *)raddr, 0)), NULL);
			}
		}
#endif
		shmctl(id, IPC_RMID, NULL);
	}

	/* memfd */
	{
		long fd = call("memfd_create", 2, U("mw-memfd"), I(MFD_CLOEXEC | MFD_ALLOW_SEALING), 0, 0, 0, 0,
			       SYS_memfd_create);
		if (fd >= 0)
			close((int)fd);
		call("memfd_create", 2, U("mw-bad"), I(0x1000), 0, 0, 0, 0, SYS_memfd_create);
		fd = call("memfd_secret", 1, I(O_CLOEXEC), 0, 0, 0, 0, 0, NR_memfd_secret);
		if (fd >= 0)
			close((int)fd);
		call("memfd_secret", 1, I(1), 0, 0, 0, 0, 0, NR_memfd_secret);
	}
	fclose(logf);
	return 0;
}
