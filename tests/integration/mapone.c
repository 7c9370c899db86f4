/* mapone.c - maps the file named by argv[1] once (read-only); built static so it also runs inside a bare chroot. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int fd = argc > 1 ? open(argv[1], O_RDONLY) : -1;

	if (fd < 0)
		return 2;
	return syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, fd, 0) > 0 ? 0 : 1;
}
