/* filterwork.c - a mixed workload for the filter tests: several processes, comms, uids, a pid+mount namespace and cgroup, all kinds of calls. */
/* Usage: filterwork LOG DIR CGROUPDIR   (waits for a line on stdin, then works)
 * Logs {"type":"proc","role":R,"pid":HOSTPID} for each process it creates. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "calllog.h"

static const long PG = 4096;

static long mm(uint64_t addr, uint64_t len, int prot, int flags, int fd, const char *path)
{
	uint64_t a[6] = { addr, len, (uint32_t)prot, (uint32_t)flags, (uint32_t)fd, 0 };
	return logcall("mmap", 6, a, ret_of(syscall(SYS_mmap, addr, len, prot, flags, fd, 0)), path);
}

static long mp(uint64_t addr, uint64_t len, int prot)
{
	uint64_t a[3] = { addr, len, (uint32_t)prot };
	return logcall("mprotect", 3, a, ret_of(syscall(SYS_mprotect, addr, len, prot)), NULL);
}

static long mu(uint64_t addr, uint64_t len)
{
	uint64_t a[2] = { addr, len };
	return logcall("munmap", 2, a, ret_of(syscall(SYS_munmap, addr, len)), NULL);
}

static void logproc(const char *role, pid_t pid)
{
	fprintf(logf, "{\"type\":\"proc\",\"role\":\"%s\",\"pid\":%d}\n", role, (int)pid);
	fflush(logf);
}

/* A small, fixed set of calls every process makes. */
static void basic(void)
{
	long r = mm(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, NULL);
	mm(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, NULL); /* EINVAL */
	if (r > 0)
		mu((uint64_t)r, PG);
}

static void *thread_fn(void *arg)
{
	basic();
	return arg;
}

int main(int argc, char **argv)
{
	char p_file[512], go[8];
	long a, r;
	int fd, lib;
	pid_t c;

	if (argc != 4)
		return 2;
	logf = fopen(argv[1], "w");
	if (!logf)
		return 2;
	snprintf(p_file, sizeof(p_file), "%s/fw.bin", argv[2]);
	fd = open(p_file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 4 * PG))
		return 3;
	if (!fgets(go, sizeof(go), stdin))
		return 4;
	logproc("main", getpid());

	/* the main process: every kind of argument */
	a = mm(0, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, NULL);
	r = mm(0, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, NULL);
	mu((uint64_t)r, PG);
	r = mm(0, PG, PROT_READ, MAP_PRIVATE, fd, p_file);
	mu((uint64_t)r, PG);
	r = mm(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, p_file);
	mu((uint64_t)r, PG);
	mm((uint64_t)a, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, NULL);
	r = mm(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, NULL);
	mu((uint64_t)r, PG);
	r = mm(0, 2 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, NULL);
	mu((uint64_t)r, 2 << 20);
	mm(0, PG, PROT_READ, MAP_PRIVATE, 999, NULL);  /* EBADF */
	mp((uint64_t)a + PG, PG, PROT_READ | PROT_EXEC);
	mp((uint64_t)a + 1, PG, PROT_READ);             /* EINVAL */
	lib = open("/usr/lib/x86_64-linux-gnu/libc.so.6", O_RDONLY);
	if (lib >= 0) {
		r = mm(0, PG, PROT_READ, MAP_PRIVATE, lib, "/usr/lib/x86_64-linux-gnu/libc.so.6");
		mu((uint64_t)r, PG);
	}
	{
		int m = (int)syscall(SYS_memfd_create, "fw", 0);
		if (m >= 0 && ftruncate(m, PG) == 0)
			mm(0, PG, PROT_READ, MAP_SHARED, m, NULL);
	}
	mu((uint64_t)a, 4 * PG);
	{
		pthread_t t;
		pthread_create(&t, NULL, thread_fn, NULL);
		pthread_join(t, NULL);
	}

	/* a child with another comm */
	if ((c = fork()) == 0) {
		prctl(PR_SET_NAME, "fw-child");
		basic();
		_exit(0);
	}
	logproc("comm", c);
	waitpid(c, NULL, 0);
	/* a child with another uid */
	if ((c = fork()) == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(5);
		basic();
		_exit(0);
	}
	logproc("uid", c);
	waitpid(c, NULL, 0);
	/* a child that runs another executable */
	if ((c = fork()) == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(6);
	}
	logproc("exec", c);
	waitpid(c, NULL, 0);
	/* a child in its own pid and mount namespaces and in its own cgroup */
	if ((c = fork()) == 0) {
		pid_t g;
		if (unshare(CLONE_NEWNS | CLONE_NEWPID))
			_exit(7);
		if ((g = fork()) == 0) {
			char procs[1100];
			snprintf(procs, sizeof(procs), "%s/cgroup.procs", argv[3]);
			int cf = open(procs, O_WRONLY);
			if (cf < 0 || write(cf, "0", 1) != 1)
				_exit(8);
			close(cf);
			prctl(PR_SET_NAME, "fw-ns");
			/* enough calls that the filters rejecting this process (--mntns,
			 * --pidns) reject more than the few calls other processes have
			 * in flight when an instance attaches (test_filters tells them apart) */
			for (int i = 0; i < 20; i++)
				basic();
			_exit(0);
		}
		logproc("ns", g);
		waitpid(g, NULL, 0);
		_exit(0);
	}
	logproc("nsparent", c);
	waitpid(c, NULL, 0);
	fclose(logf);
	return 0;
}
