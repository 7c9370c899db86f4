/* mmapcalls.c - makes every mapping syscall through syscall(2), successes and failures, and logs what it did as JSON lines. */
/* Usage: mmapcalls LOG DIR   (DIR: a scratch directory for files to map)
 * Each line of LOG is one call: {"event":..,"tid":..,"args":[..],"ret":..,...}
 * plus one "context" line and "file" facts taken with stat(). The test
 * compares mapwatch's events against this log field by field. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#include "calllog.h"

static const long PG = 4096;

static long do_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off,
		    const char *path)
{
	uint64_t a[6] = { addr, len, (uint64_t)(uint32_t)prot, (uint64_t)(uint32_t)flags,
			  (uint64_t)(uint32_t)fd, off };
	long r = ret_of(syscall(SYS_mmap, addr, len, prot, flags, fd, off));
	return logcall("mmap", 6, a, r, path);
}

static long do_munmap(uint64_t addr, uint64_t len)
{
	uint64_t a[2] = { addr, len };
	return logcall("munmap", 2, a, ret_of(syscall(SYS_munmap, addr, len)), NULL);
}

static long do_mprotect(uint64_t addr, uint64_t len, int prot)
{
	uint64_t a[3] = { addr, len, (uint64_t)(uint32_t)prot };
	return logcall("mprotect", 3, a, ret_of(syscall(SYS_mprotect, addr, len, prot)), NULL);
}

static long do_pkey_mprotect(uint64_t addr, uint64_t len, int prot, int pkey)
{
	uint64_t a[4] = { addr, len, (uint64_t)(uint32_t)prot, (uint64_t)(uint32_t)pkey };
	return logcall("pkey_mprotect", 4, a,
		       ret_of(syscall(SYS_pkey_mprotect, addr, len, prot, pkey)), NULL);
}

static long do_mremap(uint64_t old, uint64_t olds, uint64_t news, int flags, uint64_t newa)
{
	uint64_t a[5] = { old, olds, news, (uint64_t)(uint32_t)flags, newa };
	return logcall("mremap", 5, a, ret_of(syscall(SYS_mremap, old, olds, news, flags, newa)),
		       NULL);
}

static long do_msync(uint64_t addr, uint64_t len, int flags)
{
	uint64_t a[3] = { addr, len, (uint64_t)(uint32_t)flags };
	return logcall("msync", 3, a, ret_of(syscall(SYS_msync, addr, len, flags)), NULL);
}

static int make_file(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		perror(path);
		exit(3);
	}
	return fd;
}

static void *thread_fn(void *arg)
{
	long r = do_mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, NULL);
	if (r > 0)
		do_munmap((uint64_t)r, PG);
	return arg;
}

int main(int argc, char **argv)
{
	char p_rw[512], p_evil[512], p_del[512], p_ro[512];
	long r, a, b;
	int fd, fdro, fdevil, fddel, fdm, fdz;

	if (argc != 3) {
		fprintf(stderr, "usage: mmapcalls LOG DIR\n");
		return 2;
	}
	logf = fopen(argv[1], "w");
	if (!logf) {
		perror(argv[1]);
		return 2;
	}
	log_context();

	snprintf(p_rw, sizeof(p_rw), "%s/data.bin", argv[2]);
	snprintf(p_ro, sizeof(p_ro), "%s/readonly.bin", argv[2]);
	snprintf(p_evil, sizeof(p_evil), "%s/evil\nname\x1b[31m\"q\\", argv[2]);
	snprintf(p_del, sizeof(p_del), "%s/deleted.bin", argv[2]);
	fd = make_file(p_rw, 4 * PG);
	close(make_file(p_ro, 2 * PG));
	fdro = open(p_ro, O_RDONLY);
	fdevil = make_file(p_evil, PG);

	/* marker: the test starts matching after this call (length 0: EINVAL) */
	do_munmap(0x5a5a5000, 0);

	/* mmap: anonymous, file at 0 and at an offset, and each failure */
	a = do_mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, NULL);
	b = do_mmap(0, PG, PROT_READ, MAP_SHARED, fd, 0, p_rw);
	r = do_mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 2 * PG, p_rw);
	do_msync((uint64_t)r, PG, MS_SYNC);
	do_msync((uint64_t)r, PG, MS_ASYNC | MS_INVALIDATE);
	do_msync((uint64_t)r, PG, MS_ASYNC | MS_SYNC);               /* EINVAL */
	do_munmap((uint64_t)r, PG);
	do_msync((uint64_t)r, PG, MS_SYNC);                          /* ENOMEM: unmapped */
	do_mmap(0, PG, PROT_READ, MAP_PRIVATE, 999, 0, NULL);        /* EBADF */
	do_mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fdro, 0, p_ro); /* EACCES */
	do_mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, NULL); /* EINVAL */
	do_mmap(0, 1ull << 56, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0,
		NULL);                                               /* ENOMEM */
	do_mmap((uint64_t)a, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
		0, NULL);                                            /* EEXIST */
	do_mmap(0, PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, fdevil, 0, p_evil);
	r = do_mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_STACK |
		    MAP_HUGETLB * 0 | 0x400000 * 0, -1, 0, NULL);
	do_munmap((uint64_t)r, PG);

	/* mprotect / pkey_mprotect */
	do_mprotect((uint64_t)a, PG, PROT_READ);
	do_mprotect((uint64_t)a + 1, PG, PROT_READ);                 /* EINVAL: unaligned */
	do_mprotect((uint64_t)a, PG, PROT_READ | PROT_WRITE | PROT_EXEC);
	do_mprotect(0x1000, PG, PROT_READ);                          /* ENOMEM: unmapped */
	do_pkey_mprotect((uint64_t)a, PG, PROT_READ, -1);
	do_pkey_mprotect((uint64_t)a, PG, PROT_READ, 15);            /* EINVAL: unallocated key */

	/* mremap: grow in place or move, fixed move, bad flags */
	r = do_mremap((uint64_t)a, 2 * PG, 4 * PG, MREMAP_MAYMOVE, 0);
	if (r > 0) {
		long dst = do_mmap(0, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, NULL);
		long moved = do_mremap((uint64_t)r, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
				       (uint64_t)dst);
		do_mremap((uint64_t)moved, 4 * PG, 4 * PG, 0x40, 0);   /* EINVAL: unknown flag */
		do_munmap((uint64_t)moved, 4 * PG);
	}
	do_munmap((uint64_t)b, PG);
	do_munmap((uint64_t)b + 1, PG);                             /* EINVAL */

	/* kinds of file: deleted, memfd, /dev/shm, character device */
	fddel = make_file(p_del, PG);
	do_mmap(0, PG, PROT_READ, MAP_PRIVATE, fddel, 0, p_del);     /* logged before unlink */
	unlink(p_del);
	fprintf(logf, "{\"type\":\"note\",\"deleted_path\":");
	jstr(logf, p_del);
	fputs("}\n", logf);
	do_mmap(0, PG, PROT_READ, MAP_PRIVATE, fddel, 0, NULL);      /* now deleted */
	fdm = (int)syscall(SYS_memfd_create, "mwtest", 0);
	if (fdm >= 0 && ftruncate(fdm, PG) == 0)
		do_mmap(0, PG, PROT_READ, MAP_SHARED, fdm, 0, NULL);
	{
		char shm[128];
		snprintf(shm, sizeof(shm), "/dev/shm/mapwatch-test-%d", getpid());
		int fs = make_file(shm, PG);
		do_mmap(0, PG, PROT_READ, MAP_SHARED, fs, 0, shm);
		unlink(shm);
		close(fs);
	}
	fdz = open("/dev/zero", O_RDWR);
	if (fdz >= 0)
		do_mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fdz, 0, "/dev/zero");

	/* another thread, and a child process */
	{
		pthread_t t;
		pthread_create(&t, NULL, thread_fn, NULL);
		pthread_join(t, NULL);
	}
	pid_t c = fork();
	if (c == 0) {
		thread_fn(NULL);
		fflush(logf);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	fclose(logf);
	return 0;
}
