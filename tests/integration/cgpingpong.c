/* cgpingpong.c - container-cache test helper: two children, one in cgroup A and one in cgroup B, take turns (through pipes) making one munmap call each, PAIRS times, so that events of the two cgroups alternate. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void join(const char *cg)
{
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/cgroup.procs", cg);
	f = fopen(p, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
		perror(p);
		exit(2);
	}
}

static void player(const char *cg, int in, int out, int pairs, int first)
{
	char c = 'x';

	join(cg);
	for (int i = 0; i < pairs; i++) {
		if (!(first && i == 0) && read(in, &c, 1) != 1)
			exit(3);
		syscall(SYS_munmap, 0x10000 + (first ? 0 : 0x100000), 4096);
		if ((first || i + 1 < pairs) && write(out, &c, 1) != 1)
			exit(3); /* (the second player's last turn has nobody to hand over to) */
	}
	exit(0);
}

int main(int argc, char **argv)
{
	int ab[2], ba[2], st, rc = 0;

	if (argc < 4)
		return 2;
	int pairs = atoi(argv[3]);
	if (pipe(ab) || pipe(ba))
		return 2;
	if (fork() == 0)
		player(argv[1], ba[0], ab[1], pairs, 1);
	if (fork() == 0)
		player(argv[2], ab[0], ba[1], pairs, 0);
	close(ab[0]); close(ab[1]); close(ba[0]); close(ba[1]);
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			rc = 1;
	return rc;
}
