/* mmap32.c - 32-bit (i386) test program: mmap2, old_mmap through int 0x80, and the other mapping calls, logged as JSON lines. */
/* Build: gcc -m32 -static. Usage: mmap32 LOG DIR. Arguments are logged as the
 * 32-bit values the kernel receives; the VM test compares mapwatch's events
 * with this log field by field. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "../integration/calllog.h"

#define NR_OLD_MMAP 90
#define NR_MUNMAP 91
#define NR_MPROTECT 125
#define NR_MSYNC 144
#define NR_MREMAP 163
#define NR_MMAP2 192
#define NR_PKEY_MPROTECT 380

static const uint32_t PG = 4096;

struct mmap_arg_struct32 {
	uint32_t addr, len, prot, flags, fd, offset;
};

/* Raw int 0x80 with six arguments in the i386 registers (ebx ecx edx esi edi
 * ebp). ebx and ebp are saved by hand: the compiler may use them itself. */
static long long sys6(long nr, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e, uint32_t f)
{
	uint32_t v[6] = { a, b, c, d, e, f };
	uint32_t *p = v;
	long r;

	__asm__ volatile("push %%ebp\n\t"
			 "push %%ebx\n\t"
			 "mov 20(%%ecx), %%ebp\n\t"
			 "mov 16(%%ecx), %%edi\n\t"
			 "mov 12(%%ecx), %%esi\n\t"
			 "mov 8(%%ecx), %%edx\n\t"
			 "mov 0(%%ecx), %%ebx\n\t"
			 "mov 4(%%ecx), %%ecx\n\t"
			 "int $0x80\n\t"
			 "pop %%ebx\n\t"
			 "pop %%ebp"
			 : "=a"(r), "+c"(p)
			 : "a"(nr)
			 : "edx", "esi", "edi", "memory");
	/* the kernel's answer as a 64-bit kernel holds it: an address is unsigned */
	return r < 0 && r >= -4095 ? (long long)r : (long long)(uint32_t)r;
}

static long long do_mmap2(uint32_t addr, uint32_t len, uint32_t prot, uint32_t flags, uint32_t fd,
		     uint32_t pgoff, const char *path)
{
	uint64_t a[6] = { addr, len, prot, flags, fd, pgoff };
	return logcall("mmap2", 6, a, sys6(NR_MMAP2, addr, len, prot, flags, fd, pgoff), path);
}

static long long do_old_mmap(struct mmap_arg_struct32 *s, const char *path)
{
	uint64_t a[6] = { s->addr, s->len, s->prot, s->flags, s->fd, s->offset };
	return logcall("mmap", 6, a, sys6(NR_OLD_MMAP, (uint32_t)(uintptr_t)s, 0, 0, 0, 0, 0), path);
}

static long long do2(const char *ev, long nr, int n, uint32_t a, uint32_t b, uint32_t c, uint32_t d,
		uint32_t e)
{
	uint64_t v[5] = { a, b, c, d, e };
	return logcall(ev, n, v, sys6(nr, a, b, c, d, e, 0), NULL);
}

int main(int argc, char **argv)
{
	char p_rw[512];
	long long a, r;
	int fd;

	fd = calllog_start(argc, argv, "mmap32", "data32.bin", p_rw, sizeof(p_rw));

	/* marker: matching starts here (munmap length 0: EINVAL) */
	do2("munmap", NR_MUNMAP, 2, 0x5a5a5000, 0, 0, 0, 0);

	/* mmap2: anonymous, a file at page offset 2, and failures */
	a = do_mmap2(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0, NULL);
	r = do_mmap2(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2, p_rw);
	do2("msync", NR_MSYNC, 3, (uint32_t)r, PG, MS_SYNC, 0, 0);
	do2("msync", NR_MSYNC, 3, (uint32_t)r, PG, MS_SYNC | MS_ASYNC, 0, 0);   /* EINVAL */
	do2("munmap", NR_MUNMAP, 2, (uint32_t)r, PG, 0, 0, 0);
	do_mmap2(0, PG, PROT_READ, MAP_PRIVATE, 999, 0, NULL);                 /* EBADF */
	do_mmap2(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0, NULL); /* EINVAL */
	do_mmap2(0, 0xfff00000u, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0, NULL); /* ENOMEM */

	/* old_mmap: six words in a struct in user memory */
	{
		struct mmap_arg_struct32 s = { 0, PG, PROT_READ | PROT_WRITE | PROT_EXEC,
					       MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0 };
		r = do_old_mmap(&s, NULL);
		struct mmap_arg_struct32 f = { 0, PG, PROT_READ, MAP_PRIVATE, (uint32_t)fd, PG };
		do_old_mmap(&f, p_rw);
		struct mmap_arg_struct32 bad = { 0, PG, PROT_READ, MAP_PRIVATE, (uint32_t)fd, 1 };
		do_old_mmap(&bad, p_rw);                                       /* EINVAL: offset */
		/* an unreadable struct: EFAULT, logged with the pointer only */
		uint64_t z[6] = { 16, 0, 0, 0, 0, 0 };
		logcall("mmap_fault", 6, z, sys6(NR_OLD_MMAP, 16, 0, 0, 0, 0, 0), NULL);
		do2("munmap", NR_MUNMAP, 2, (uint32_t)r, PG, 0, 0, 0);
	}

	/* mprotect, pkey_mprotect, mremap, msync */
	do2("mprotect", NR_MPROTECT, 3, (uint32_t)a, PG, PROT_READ, 0, 0);
	do2("mprotect", NR_MPROTECT, 3, (uint32_t)a + 1, PG, PROT_READ, 0, 0);   /* EINVAL */
	do2("pkey_mprotect", NR_PKEY_MPROTECT, 4, (uint32_t)a, PG, PROT_READ | PROT_WRITE, (uint32_t)-1, 0);
	r = do2("mremap", NR_MREMAP, 5, (uint32_t)a, 2 * PG, 8 * PG, MREMAP_MAYMOVE, 0);
	do2("mremap", NR_MREMAP, 5, (uint32_t)r, 8 * PG, 8 * PG, 0x40, 0);      /* EINVAL */
	do2("msync", NR_MSYNC, 3, (uint32_t)r, PG, MS_ASYNC, 0, 0);
	do2("munmap", NR_MUNMAP, 2, (uint32_t)r, 8 * PG, 0, 0, 0);
	fclose(logf);
	return 0;
}
