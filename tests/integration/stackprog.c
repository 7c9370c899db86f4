/* stackprog.c - a known call chain main -> a -> b -> c -> mmap, exiting right after the call; for the --stack tests (64-bit and -m32). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LEN (77 * 4096)  /* a length no loader uses: the test finds this call by it */

volatile uintptr_t sink;

__attribute__((noinline)) void *c(void)
{
	void *p = mmap(NULL, LEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__asm__ volatile("" ::: "memory"); /* keep the call a call, not a jump */
	return p;
}

__attribute__((noinline)) void *b(void)
{
#ifdef BIG_FRAME
	/* a frame too big for the return address of a() to be found by scanning */
	volatile char buf[4096];
	buf[0] = 1;
	sink = (uintptr_t)buf[0];
#endif
	void *p = c();
	__asm__ volatile("" ::: "memory");
	return p;
}

__attribute__((noinline)) void *a(void)
{
	void *p = b();
	__asm__ volatile("" ::: "memory");
	return p;
}

/* Prints the addresses of a, b, c and main, then exits at once after the call. */
int main(void)
{
	printf("{\"pid\":%d,\"a\":\"%p\",\"b\":\"%p\",\"c\":\"%p\",\"main\":\"%p\"}\n", getpid(), (void *)a,
	       (void *)b, (void *)c, (void *)main);
	fflush(stdout);
	void *p = a();
	_exit(p == MAP_FAILED);
}
