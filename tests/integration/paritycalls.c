/* paritycalls.c - every catalogue call with the arguments strace's own tests use to provoke
 * decoding faults: lengths near 2^63 and 2^64, garbage in the upper half of int arguments,
 * invalid modes with valid flags, node masks of 1..129 bits, arrays and strings that run into
 * an unmapped page. Run under mapwatch and strace at once (test_parity.py); the calls start
 * after the marker munmap(0x5a5a5000, 0). Built 64-bit and i386 (-m32 -static). */
#define _GNU_SOURCE
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef __NR_memfd_secret
#define __NR_memfd_secret 447
#endif
#ifndef __NR_process_madvise
#define __NR_process_madvise 440
#endif
#ifndef __NR_pkey_mprotect
#define __NR_pkey_mprotect (sizeof(long) == 8 ? 329 : 380)
#endif

#define W (8 * sizeof(unsigned long))
/* garbage for the upper half of a 64-bit register; nothing on i386 (32-bit registers) */
#define HI(x) ((unsigned long)(sizeof(long) == 8 ? (unsigned long)(x) << 16 << 16 : 0))

static long sc(long nr, unsigned long a, unsigned long b, unsigned long c, unsigned long d, unsigned long e,
	       unsigned long f)
{
	return syscall(nr, a, b, c, d, e, f);
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	/* two pages: the first readable, the second PROT_NONE */
	char *two = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *page = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long *mask = (unsigned long *)page, *tailmask;
	struct iovec *iov;
	void **pages;
	int *status, *nodes;
	char *name;

	if (two == MAP_FAILED || page == MAP_FAILED || mprotect(two + pg, pg, PROT_NONE))
		return 1;
	mask[0] = 1, mask[1] = ~0ul, mask[2] = ~0ul, mask[3] = ~0ul;
	tailmask = (unsigned long *)(two + pg - sizeof(long)); /* one word, then the hole */
	*tailmask = 1;

	munmap((void *)0x5a5a5000, 0); /* marker */

	/* 1. lengths of 2^63 and more */
	sc(SYS_munmap, 0x10000, -4096ul, 0, 0, 0, 0);
	sc(SYS_mprotect, 0x10000, (unsigned long)-1 / 2 + 1, PROT_READ, 0, 0, 0);
	sc(__NR_pkey_mprotect, 0x10000, (unsigned long)(uint64_t)-374151785318711296ll, PROT_READ, -1ul, 0, 0);
	sc(SYS_msync, 0x10000, ~0ul, MS_SYNC, 0, 0, 0);
	sc(SYS_mremap, 0x10000, 4096, ~0ul, 0, 0, 0);
	sc(SYS_mlock, 0x10000, -4096ul, 0, 0, 0, 0);
	sc(SYS_madvise, 0x10000, (unsigned long)-1 / 2, MADV_NORMAL, 0, 0, 0);

	/* 2. upper halves of int arguments: the kernel does not read them */
	sc(SYS_madvise, (unsigned long)page, pg, HI(0xfacefeed) | MADV_RANDOM, 0, 0, 0);
	sc(SYS_msync, (unsigned long)page, pg, HI(0xbad) | MS_ASYNC, 0, 0, 0);
	sc(SYS_mlockall, HI(0xdead) | 0x10, 0, 0, 0, 0, 0);
	sc(SYS_mlock2, (unsigned long)page, pg, HI(1) | 0, 0, 0, 0);
	sc(SYS_munlock, (unsigned long)page, pg, 0, 0, 0, 0);
	sc(SYS_set_mempolicy, HI(0xffffffff) | 7, 0, 0, 0, 0, 0);
	sc(SYS_mbind, (unsigned long)page, pg, HI(0x1234) | 7, 0, 0, HI(0xff) | 0x80);
	sc(__NR_memfd_secret, HI(1) | 0x10, 0, 0, 0, 0, 0);
	sc(SYS_move_pages, 0, 0, 0, 0, 0, HI(0xabc) | 0x80);

	/* 4. invalid modes with valid flags */
	sc(SYS_set_mempolicy, 0xffffffff, 0, 0, 0, 0, 0);
	sc(SYS_mbind, (unsigned long)page, pg, 0x8007, 0, 0, 0);
	sc(SYS_set_mempolicy, 0x4000 | 0x2000 | 9, 0, 0, 0, 0, 0);

	/* 3. node masks of 1, 63, 64, 65, 128, 129 bits (the kernel reads maxnode - 1) */
	static const unsigned long maxnodes[] = { 1, 63, 64, 65, 128, 129 };
	for (unsigned i = 0; i < sizeof(maxnodes) / sizeof(maxnodes[0]); i++) {
		unsigned long m = maxnodes[i] * (W / 64 ? 1 : 1);
		if (W == 32 && m > 64)
			m -= 64 - 32; /* the same boundaries in 32-bit words: 33, 64, 65 */
		sc(SYS_set_mempolicy, 0x1 /* MPOL_PREFERRED */, (unsigned long)mask, m, 0, 0, 0);
		sc(SYS_mbind, (unsigned long)page, pg, 0x1, (unsigned long)mask, m, 0);
	}
	sc(SYS_set_mempolicy, 0, 0, 0, 0, 0, 0);
	/* a mask that runs into the hole: one readable word of two */
	sc(SYS_set_mempolicy, 0x2, (unsigned long)tailmask, 2 * W + 1, 0, 0, 0);

	/* 5. remap_file_pages: huge page size bits */
	sc(SYS_remap_file_pages, (unsigned long)page, pg, 0, 0, 0x40000 | (21ul << 26), 0);

	/* 6. move_pages: a page that is not mapped (status -EFAULT / -ENOENT) */
	pages = (void **)(page + 256);
	status = (int *)(page + 512);
	pages[0] = page, pages[1] = (void *)0x10000;
	status[0] = status[1] = 12345;
	sc(SYS_move_pages, 0, 2, (unsigned long)pages, 0, (unsigned long)status, 0);
	/* the same pages moved to node 0 (nodes read at entry, status written) */
	nodes = (int *)(page + 768);
	nodes[0] = nodes[1] = 0;
	status[0] = status[1] = 12345;
	sc(SYS_move_pages, 0, 2, (unsigned long)pages, (unsigned long)nodes, (unsigned long)status, 0);

	/* 7. partly readable arrays and strings */
	name = two + pg - 250; /* 250 bytes, no NUL, then the hole */
	memset(name, 'x', 250);
	sc(SYS_memfd_create, (unsigned long)name, 0, 0, 0, 0, 0);
	iov = (struct iovec *)(two + pg - sizeof(struct iovec)); /* one readable iovec of two */
	iov->iov_base = page, iov->iov_len = pg;
	sc(__NR_process_madvise, -1ul, (unsigned long)iov, 2, MADV_COLD, 0, 0);
	pages = (void **)(two + pg - sizeof(void *));
	pages[0] = page;
	sc(SYS_move_pages, 0, 2, (unsigned long)pages, 0, (unsigned long)status, 0);

	munmap((void *)0x5a5a5000, 0); /* end marker */
	return 0;
}
