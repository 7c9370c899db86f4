/* lossload.c - loss-test workload: waits for GOFILE, then makes N mmap+munmap pairs of 3 pages, then creates GOFILE.done. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct stat st;
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char done[4096];
	long n;

	if (argc != 3)
		return 2;
	n = atol(argv[2]);
	while (stat(argv[1], &st) != 0)
		nanosleep(&ts, NULL);
	for (long i = 0; i < n; i++) {
		long a = syscall(SYS_mmap, 0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		syscall(SYS_munmap, a, 3 * 4096);
	}
	snprintf(done, sizeof(done), "%s.done", argv[1]);
	close(open(done, O_WRONLY | O_CREAT, 0644));
	return 0;
}
