/* demo.c - the README's example program: one of each kind of mapping call, successes and failures (built by make as build/demo). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096L

static long sys_mmap(long addr, long len, long prot, long flags, long fd, long off)
{
	return syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

int main(void)
{
	long a, b;
	int fd;

	/* a file, read-only: mapped privately, then refused as shared writable (EACCES) */
	fd = open("/etc/hostname", O_RDONLY);
	if (fd >= 0) {
		a = sys_mmap(0, PG, PROT_READ, MAP_PRIVATE, fd, 0);
		sys_mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (a > 0)
			syscall(SYS_munmap, a, PG);
		close(fd);
	}
	/* anonymous memory: W+X, then protections, flush, resize, bad unmap */
	a = sys_mmap(0, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = sys_mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b > 0) {
		syscall(SYS_mprotect, b, PG, PROT_READ | PROT_EXEC);
		syscall(SYS_msync, b, PG, MS_SYNC | MS_INVALIDATE);
		syscall(SYS_munmap, b + 1, PG);                        /* EINVAL: not page aligned */
		syscall(SYS_mremap, b, 2 * PG, 4 * PG, MREMAP_MAYMOVE, 0);
	}
	if (a > 0)
		syscall(SYS_munmap, a, PG);
	/* code from a memfd: fileless */
	fd = (int)syscall(SYS_memfd_create, "payload", 0);
	if (fd >= 0 && ftruncate(fd, PG) == 0)
		sys_mmap(0, PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	/* /dev/zero: anonymous memory through a character device */
	fd = open("/dev/zero", O_RDONLY);
	if (fd >= 0)
		sys_mmap(0, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	return 0;
}
