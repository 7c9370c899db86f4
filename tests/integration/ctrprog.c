/* ctrprog.c - the workload run inside the test containers (built static: the rootfs holds nothing else): optionally waits for a file to appear, then maps memory writable, writes to it and makes it executable (a W->X flip the alert engine reports), unmaps it; optionally waits for a second file and does it all once more. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Wait for path to exist (at most 300 s); 0, or -1 on timeout. */
static int wait_for(const char *path)
{
	struct stat st;
	const struct timespec tick = { 0, 10 * 1000 * 1000 };

	for (int i = 0; stat(path, &st) != 0; i++) {
		if (i > 30000)
			return -1;
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* Map, write, make executable, unmap. */
static int work(void)
{
	unsigned char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 1;
	memset(p, 0xc3, 4096); /* ret */
	if (mprotect(p, 4096, PROT_READ | PROT_EXEC))
		return 2;
	munmap(p, 2 * 4096);
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	/* argv[1]: wait before the calls, so the test can start the container
	 * before mapwatch and let it work after; argv[2]: wait, then work once
	 * more before exiting (calls made after mapwatch knew the container) */
	if (argc > 1 && wait_for(argv[1]))
		return 3;
	rc = work();
	if (rc || argc < 3)
		return rc;
	if (wait_for(argv[2]))
		return 4;
	return work();
}
