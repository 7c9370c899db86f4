/* dmprog.c - do_mmap test program: one anonymous mapping of a distinctive length through the mmap syscall, then exits. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	long a = syscall(SYS_mmap, 0, 12345 * 4096L, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return a > 0 ? 0 : 1;
}
