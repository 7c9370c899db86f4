/* straceprog.c - the strace parity test's program: mapping calls with every flag rendering the decoders have (built static, run with ASLR off so two runs make the same calls). */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HUGE(n) ((unsigned long)(n) << 26)

int main(void)
{
	long a = syscall(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	syscall(SYS_mmap, 0, 4096, PROT_READ, 0, -1, 0);                      /* MAP_FILE */
	syscall(SYS_mmap, 0, 4096, PROT_READ, 0x20, -1, 0);                   /* MAP_FILE|MAP_ANONYMOUS */
	syscall(SYS_mmap, 0, 4096, PROT_READ, 0x22 | HUGE(16), -1, 0);        /* size bits without HUGETLB */
	syscall(SYS_mmap, 0, 4096, PROT_READ, 0x22 | HUGE(1), -1, 0);         /* bit 26 alone */
	syscall(SYS_mmap, 0, 4096, PROT_READ, 0x22 | HUGE(63), -1, 0);        /* all size bits */
	syscall(SYS_mmap, 0, 4096, PROT_READ, 0x22 | 0x40000 | HUGE(21), -1, 0);
	syscall(SYS_mmap, 0, 4096, PROT_READ, 0x22 | 0x40000 | HUGE(63), -1, 0);
	syscall(SYS_mmap, 0, 4096, PROT_READ, 0x08 | 0x20, -1, 0);            /* MAP_DROPPABLE */
	syscall(SYS_mmap, 0, 4096, PROT_READ, 0x0f | 0x20, -1, 0);            /* unknown type */
	syscall(SYS_mmap, 0, 4096, PROT_READ | 0x100, 0x22 | 0x80, -1, 0);    /* unknown bits */
	syscall(SYS_mmap, 0, 4096, 0x100, 0x02, -1, 0);                       /* no known prot bit */
	syscall(SYS_mmap, 0x10000, 4096, PROT_READ, MAP_SHARED, 0, 0x1000);   /* fd 0, hex offset */
	syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, 99, 0);            /* EBADF */
	syscall(SYS_mprotect, a, 4096, PROT_NONE);
	syscall(SYS_mprotect, a, 4096, 0x100);
	syscall(SYS_pkey_mprotect, a, 4096, PROT_READ, -1);
	syscall(SYS_pkey_mprotect, a, 4096, PROT_READ, 3);
	syscall(SYS_mremap, 0x1000, 4096, 8192, 0x80 | 1, 0x5000);
	syscall(SYS_mremap, 0x1000, 4096, 8192, 0x80, 0x5000);
	syscall(SYS_mremap, 0x1000, 4096, 8192, 3, 0x5000);                 /* 5th argument shown */
	syscall(SYS_mremap, 0x1000, 4096, 8192, 0, 0x5000);                 /* not shown */
	syscall(SYS_mremap, 0x1000, 4096, 8192, 4 | 1, 0x5000);
	syscall(SYS_msync, a, 4096, MS_SYNC | MS_ASYNC | MS_INVALIDATE);
	syscall(SYS_msync, a, 4096, MS_ASYNC | 0x10);
	syscall(SYS_msync, a, 4096, 0x10);
	syscall(SYS_msync, a, 4096, MS_SYNC);
	syscall(SYS_munmap, a + 1, 4096);                                   /* EINVAL */
	syscall(SYS_munmap, a, 8192);
	return 0;
}
