/* file_loop.c - benchmark workload: openat+close of one file, write of 8 bytes to /dev/null, or ioctl(FIONREAD) on a pipe, in a loop; or openat for writing+close of a new regular file (openw), also while this process maps it executable (openw_mapped: the kernel walks its i_mmap at each open); prints CPU ns per iteration (the cost of hooks on openat, write and ioctl). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Usage: file_loop open|write|ioctl|openw|openw_mapped N   Prints: mode=M iters=N cpu_ns_per_iter=X */
int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "open";
	long long n = argc > 2 ? atoll(argv[2]) : 200000;
	struct timespec ca, cb;
	int w = !strcmp(mode, "write"), io = !strcmp(mode, "ioctl"), fd = w ? open("/dev/null", O_WRONLY) : -1;
	int pfd[2], avail;
	char buf[8] = "01234567";
	int ow = !strncmp(mode, "openw", 5);
	char wpath[] = "/tmp/file_loop.XXXXXX";

	if ((w && fd < 0) || (io && pipe(pfd)))
		return 1;
	if (ow) { /* a regular file of one page, mapped executable for openw_mapped */
		int t = mkstemp(wpath);
		if (t < 0 || ftruncate(t, 4096))
			return 1;
		if (!strcmp(mode, "openw_mapped") && mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, t, 0) == MAP_FAILED)
			return 1;
		close(t);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	for (long long i = 0; i < n; i++) {
		if (io) {
			if (ioctl(pfd[0], FIONREAD, &avail))
				return 1;
		} else if (w) {
			if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
				return 1;
		} else if (ow) {
			int f = openat(AT_FDCWD, wpath, O_WRONLY);
			if (f < 0)
				return 1;
			close(f);
		} else {
			int f = openat(AT_FDCWD, "/etc/hostname", O_RDONLY);
			if (f < 0)
				return 1;
			close(f);
		}
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	uint64_t cpu = (uint64_t)(cb.tv_sec - ca.tv_sec) * 1000000000ull + (uint64_t)cb.tv_nsec - (uint64_t)ca.tv_nsec;
	if (ow)
		unlink(wpath);
	printf("mode=%s iters=%lld cpu_ns_per_iter=%.1f\n", mode, n, n ? (double)cpu / (double)n : 0.0);
	return 0;
}
