/* mmaparm.c - 32-bit ARM (EABI) test program: mmap2, the other mapping calls and the memory family through svc with chosen arguments, logged as JSON lines. */
/* Build: clang --target=arm-linux-gnueabihf -marm -static (runs as a compat
 * task on arm64). Usage: mmaparm LOG DIR. Arguments are logged as the 32-bit
 * values the kernel receives, results as a 64-bit kernel holds them (an
 * address is unsigned); the VM test compares mapwatch's events with this log
 * field by field. Numbers that are no event on this ABI are logged with
 * "type":"nonevent". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "../integration/calllog.h"

/* arm EABI numbers (arch/arm/tools/syscall.tbl) */
#define NR_OLD_MMAP 90 /* OABI only: not in the EABI table, ENOSYS */
#define NR_MUNMAP 91
#define NR_MPROTECT 125
#define NR_MSYNC 144
#define NR_MREMAP 163
#define NR_MMAP2 192
#define NR_PKEY_MPROTECT 394

static const uint32_t PG = 4096;

/* svc #0 with the number in r7 and six arguments in r0-r5 (ARM state: r7 is
 * not the frame pointer there). */
static long long sys6(long nr, uint32_t a, uint32_t b, uint32_t c, uint32_t d, uint32_t e, uint32_t f)
{
	register uint32_t r0 __asm__("r0") = a;
	register uint32_t r1 __asm__("r1") = b;
	register uint32_t r2 __asm__("r2") = c;
	register uint32_t r3 __asm__("r3") = d;
	register uint32_t r4 __asm__("r4") = e;
	register uint32_t r5 __asm__("r5") = f;
	register long r7 __asm__("r7") = nr;

	__asm__ volatile("svc #0"
			 : "+r"(r0)
			 : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r7)
			 : "memory");
	int32_t r = (int32_t)r0;
	return r < 0 && r >= -4095 ? (long long)r : (long long)r0;
}

static long long do_mmap2(uint32_t addr, uint32_t len, uint32_t prot, uint32_t flags, uint32_t fd,
			  uint32_t pgoff, const char *path)
{
	uint64_t a[6] = { addr, len, prot, flags, fd, pgoff };
	return logcall("mmap2", 6, a, sys6(NR_MMAP2, addr, len, prot, flags, fd, pgoff), path);
}

static long long do2(const char *ev, long nr, int n, uint32_t a, uint32_t b, uint32_t c, uint32_t d,
		     uint32_t e)
{
	uint64_t v[5] = { a, b, c, d, e };
	return logcall(ev, n, v, sys6(nr, a, b, c, d, e, 0), NULL);
}

static long long do6(const char *ev, long nr, int n, uint32_t a, uint32_t b, uint32_t c, uint32_t d,
		     uint32_t e, uint32_t f)
{
	uint64_t v[6] = { a, b, c, d, e, f };
	return logcall(ev, n, v, sys6(nr, a, b, c, d, e, f), NULL);
}

/* A number that is no event on this ABI: logged as a "nonevent". */
static void nonevent(long nr, uint32_t a, uint32_t b, uint32_t c)
{
	long long r = sys6(nr, a, b, c, 0, 0, 0);
	fprintf(logf, "{\"type\":\"nonevent\",\"nr\":%ld,\"ret\":%lld}\n", nr, r);
}

/* The memory family beyond mapping (arm EABI numbers, arch/arm/tools/syscall.tbl):
 * chosen arguments, successes and failures; on Debian's 6.1 the newest ones
 * (map_shadow_stack, mseal) are ENOSYS. */
static void memory_family(uint32_t a)
{
	static char name[] = "mwarm";
	static unsigned char vec[4];
	long long fd;

	do2("brk", 45, 1, 0, 0, 0, 0, 0);
	do2("madvise", 220, 3, a, PG, 4 /* MADV_DONTNEED */, 0, 0);
	do2("madvise", 220, 3, a + 1, PG, 4, 0, 0);                          /* EINVAL */
	do2("mincore", 219, 3, a, PG, (uint32_t)(uintptr_t)vec, 0, 0);
	do2("mincore", 219, 3, a, PG, 16, 0, 0);                              /* EFAULT */
	do2("mlock", 150, 2, a, PG, 0, 0, 0);
	do2("munlock", 151, 2, a, PG, 0, 0, 0);
	do2("mlock2", 390, 3, a, PG, 1 /* MLOCK_ONFAULT */, 0, 0);
	do2("mlock2", 390, 3, a, PG, 0x80, 0, 0);                              /* EINVAL */
	do2("mlockall", 152, 1, 1 /* MCL_CURRENT */, 0, 0, 0, 0);
	do2("munlockall", 153, 0, 0, 0, 0, 0, 0);
	do2("remap_file_pages", 253, 5, a, PG, 0, 0, 0);                       /* EINVAL: anonymous */
	do6("mbind", 319, 6, a, PG, 0 /* MPOL_DEFAULT */, 0, 0, 0);
	do2("set_mempolicy", 321, 3, 0, 0, 0, 0, 0);
	do2("get_mempolicy", 320, 5, 0, 0, 0, 0, 0);
	do2("set_mempolicy_home_node", 450, 4, a, PG, 0, 1, 0);                /* EINVAL: flags */
	do2("migrate_pages", 400, 4, 0, 0, 0, 0, 0);
	do6("move_pages", 344, 6, 0, 0, 0, 0, 0, 0);
	do2("process_madvise", 440, 5, (uint32_t)-1, 0, 0, 4, 0);              /* EBADF */
	do2("mseal", 462, 3, a, PG, 0, 0, 0);
	do2("map_shadow_stack", 453, 3, 0, PG, 0, 0, 0);
	do2("shmat", 305, 3, (uint32_t)-1, 0, 0, 0, 0);                        /* EINVAL */
	do2("shmdt", 306, 1, 0, 0, 0, 0, 0);                                   /* EINVAL */
	fd = do2("memfd_create", 385, 2, (uint32_t)(uintptr_t)name, 0, 0, 0, 0);
	if (fd >= 0)
		close((int)fd);
	do2("memfd_create", 385, 2, 16, 0, 0, 0, 0);                           /* EFAULT */
	/* memfd_secret has no arm EABI number: 447 is no event here */
	nonevent(447, 0, 0, 0);
}

int main(int argc, char **argv)
{
	char p_rw[512];
	long long a, r, w;
	int fd;

	fd = calllog_start(argc, argv, "mmaparm", "dataarm.bin", p_rw, sizeof(p_rw));

	/* marker: matching starts here (munmap length 0: EINVAL) */
	do2("munmap", NR_MUNMAP, 2, 0x5a5a5000, 0, 0, 0, 0);

	/* mmap2: anonymous (fd -1), a file at page offset 2, a chosen address
	 * above 2 GiB, and failures */
	a = do_mmap2(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0, NULL);
	r = do_mmap2(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2, p_rw);
	do2("msync", NR_MSYNC, 3, (uint32_t)r, PG, MS_SYNC, 0, 0);
	do2("msync", NR_MSYNC, 3, (uint32_t)r, PG, MS_SYNC | MS_ASYNC, 0, 0);   /* EINVAL */
	do2("munmap", NR_MUNMAP, 2, (uint32_t)r, PG, 0, 0, 0);
	r = do_mmap2(0xa0000000u, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, (uint32_t)-1, 0,
		     NULL);
	do2("munmap", NR_MUNMAP, 2, (uint32_t)r, 3 * PG, 0, 0, 0);
	do_mmap2(0, PG, PROT_READ, MAP_PRIVATE, 999, 0, NULL);                 /* EBADF */
	do_mmap2(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0, NULL); /* EINVAL */
	do_mmap2(0, 0xfff00000u, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0, NULL); /* ENOMEM */

	/* i386's old_mmap number: no such call in the EABI table, so no event */
	nonevent(NR_OLD_MMAP, 0, PG, PROT_READ);

	/* mprotect, pkey_mprotect (ENOSYS without pkeys), mremap, msync */
	do2("mprotect", NR_MPROTECT, 3, (uint32_t)a, PG, PROT_READ, 0, 0);
	do2("mprotect", NR_MPROTECT, 3, (uint32_t)a + 1, PG, PROT_READ, 0, 0);   /* EINVAL */
	do2("pkey_mprotect", NR_PKEY_MPROTECT, 4, (uint32_t)a, PG, PROT_READ | PROT_WRITE, (uint32_t)-1, 0);
	/* (pkey_mprotect did not undo the split: one VMA again, or mremap says EFAULT) */
	do2("mprotect", NR_MPROTECT, 3, (uint32_t)a, PG, PROT_READ | PROT_WRITE, 0, 0);
	r = do2("mremap", NR_MREMAP, 5, (uint32_t)a, 2 * PG, 8 * PG, MREMAP_MAYMOVE, 0);
	do2("mremap", NR_MREMAP, 5, (uint32_t)r, 8 * PG, 8 * PG, 0x40, 0);      /* EINVAL */
	do2("msync", NR_MSYNC, 3, (uint32_t)r, PG, MS_ASYNC, 0, 0);
	memory_family((uint32_t)r);
	do2("munmap", NR_MUNMAP, 2, (uint32_t)r, 8 * PG, 0, 0, 0);

	/* alerts: a W+X mapping, and RW memory flipped to RX */
	w = do_mmap2(0, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0, NULL);
	do2("munmap", NR_MUNMAP, 2, (uint32_t)w, PG, 0, 0, 0);
	w = do_mmap2(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0, NULL);
	do2("mprotect", NR_MPROTECT, 3, (uint32_t)w, PG, PROT_READ | PROT_EXEC, 0, 0);
	do2("munmap", NR_MUNMAP, 2, (uint32_t)w, PG, 0, 0, 0);
	fclose(logf);
	return 0;
}
