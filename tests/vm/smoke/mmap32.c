/* mmap32.c - VM smoke test: a static i386 program calling mmap2 (192) and old_mmap (90) through the compat ABI. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if !defined(__i386__)
#error "build with gcc -m32"
#endif

/* Raw int $0x80 with one argument (ebx); returns the kernel's value (-errno on error). */
static long int80_1(long nr, long a1)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "0"(nr), "b"(a1) : "memory");
	return ret;
}

/* Returns 0 when ret is a usable, writable 4096-byte mapping. */
static int check(const char *what, long ret)
{
	if (ret < 0 && ret > -4096) {
		printf("mmap32: %s = %ld (error)\n", what, ret);
		return 1;
	}
	volatile unsigned char *p = (volatile unsigned char *)(uintptr_t)(unsigned long)ret;
	p[0] = 0x5a;
	p[4095] = 0xa5;
	if (p[0] != 0x5a || p[4095] != 0xa5) {
		printf("mmap32: %s = %#lx, but the page is not writable\n", what, (unsigned long)ret);
		return 1;
	}
	printf("mmap32: %s = %#lx\n", what, (unsigned long)ret);
	return 0;
}

int main(void)
{
	int bad = 0;

	/* 1. mmap2 (i386 192) through glibc's syscall(): anonymous, pgoffset 0. */
	long r1 = syscall(192, 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r1 == -1)
		r1 = -errno;
	if (check("mmap2(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)", r1))
		bad = 1;
	else
		printf("mmap32: munmap = %ld\n", syscall(91, r1, 4096));

	/* 2. old_mmap (i386 90): one pointer to six 32-bit words. */
	uint32_t args[6] = { 0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0 };
	long r2 = int80_1(90, (long)(uintptr_t)args);
	if (check("old_mmap({NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0})", r2))
		bad = 1;
	else
		printf("mmap32: munmap = %ld\n", syscall(91, r2, 4096));

	/* 3. old_mmap with an offset that is not page-aligned: the kernel answers EINVAL. */
	uint32_t badargs[6] = { 0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 1 };
	long r3 = int80_1(90, (long)(uintptr_t)badargs);
	printf("mmap32: old_mmap({..., offset=1}) = %ld (want %d)\n", r3, -EINVAL);
	if (r3 != -EINVAL)
		bad = 1;

	printf("mmap32: %s\n", bad ? "FAIL" : "OK");
	return bad;
}
