/* soakgen.c - soak-test load generator: forks and execs RATE processes a second for SECONDS; each (mode "child") maps and unmaps 4 recognisable regions, and 2 threads of it 2 each; the parent logs every child's pid to LOG. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAIN_LEN 0x3a3a000ul   /* lengths of the main thread's calls: + k pages */
#define THREAD_LEN 0x3b3b000ul /* of the threads' calls */

static void calls(unsigned long base, int n)
{
	for (int k = 0; k < n; k++) {
		long a = syscall(SYS_mmap, 0, base + k * 4096ul, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (a != -1)
			syscall(SYS_munmap, a, base + k * 4096ul);
	}
}

static void *thread_main(void *arg)
{
	calls(THREAD_LEN, 2);
	return arg;
}

static int child(void)
{
	pthread_t t[2];

	calls(MAIN_LEN, 4);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, thread_main, NULL))
			return 1;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "child"))
		return child();
	if (argc < 4) {
		fprintf(stderr, "usage: soakgen LOG SECONDS RATE\n");
		return 2;
	}
	FILE *log = fopen(argv[1], "w");
	double secs = atof(argv[2]);
	int rate = atoi(argv[3]), failed = 0;
	long n = (long)(secs * rate), period_ns = 1000000000l / rate;
	struct timespec next;
	char self[4096];
	ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (!log || rate <= 0 || sl <= 0)
		return 2;
	self[sl] = 0; /* exec the real path: the children's comm is its name */
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			execl(self, argv[0], "child", (char *)NULL);
			_exit(127);
		}
		if (p > 0)
			fprintf(log, "%d\n", p);
		int st;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			failed += !WIFEXITED(st) || WEXITSTATUS(st);
		next.tv_nsec += period_ns;
		while (next.tv_nsec >= 1000000000l) {
			next.tv_nsec -= 1000000000l;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	int st;
	while (wait(&st) > 0)
		failed += !WIFEXITED(st) || WEXITSTATUS(st);
	fclose(log);
	if (failed)
		fprintf(stderr, "soakgen: %d children failed\n", failed);
	return failed ? 1 : 0;
}
