/* mmap64.c - VM smoke test: a static x86_64 program calling mmap (9), mprotect (10) and munmap (11). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "build for x86_64"
#endif

int main(void)
{
	int bad = 0;

	/* 1. mmap through the raw syscall. */
	long r = syscall(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == -1) {
		printf("mmap64: mmap = -1 (%s)\n", strerror(errno));
		bad = 1;
	} else {
		char *p = (char *)r;
		memset(p, 0x5a, 8192);
		printf("mmap64: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = %#lx\n", r);
		printf("mmap64: mprotect(PROT_READ) = %ld\n", syscall(SYS_mprotect, r, 8192, PROT_READ));
		printf("mmap64: munmap = %ld\n", syscall(SYS_munmap, r, 8192));
	}

	/* 2. mmap through libc, with an error: a bad fd without MAP_ANONYMOUS gives EBADF. */
	void *q = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 12345, 0);
	printf("mmap64: mmap(fd=12345) = %p (%s, want EBADF)\n", q, q == MAP_FAILED ? strerror(errno) : "no error");
	if (q != MAP_FAILED || errno != EBADF)
		bad = 1;

	printf("mmap64: %s\n", bad ? "FAIL" : "OK");
	return bad;
}
