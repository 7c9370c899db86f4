/* int80wx.c - a 64-bit program that makes its W+X request through the i386 entry (int 0x80), not the 64-bit one. */
/* Usage: int80wx MARKER. Maps one RW page below 4 GiB (MAP_32BIT: i386
 * registers hold 32 bits), then asks i386 mprotect(page, 4096, RWX) with
 * int 0x80: the kernel runs it as a 32-bit call (TS_COMPAT) of this 64-bit
 * process, which no per-syscall tracepoint reports. Then the "payload": it
 * creates MARKER and exits 0. Exit 3 if the i386 call failed (no ia32
 * emulation). Without MARKER: the probe, exit 0 after the call. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	long r;

	if (p == MAP_FAILED)
		return 2;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(125L /* i386 __NR_mprotect */), "b"((long)p), "c"(4096L),
			   "d"(7L /* PROT_READ|PROT_WRITE|PROT_EXEC */)
			 : "memory");
	if (r != 0)
		return 3;
	if (argc > 1) {
		int fd = open(argv[1], O_WRONLY | O_CREAT, 0600);
		if (fd < 0)
			return 4;
		close(fd);
	}
	return 0;
}
