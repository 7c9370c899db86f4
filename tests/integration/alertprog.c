/* alertprog.c - performs each pattern the alert engine knows (and near misses) for real, and logs the alerts it expects. */
/* Usage: alertprog LOG DIR   (DIR: a scratch directory for files to map)
 * LOG gets one JSON line per call (calllog.h) and one line per alert the
 * call must raise: {"type":"expect","kind":..,"pid":..,"start":..,"end":..}
 * (start/end: the region the alert names; both 0 when it names none).
 * Patterns whose calls the kernel refuses here (no /dev/mem, a noexec
 * /dev/shm) are logged as refused and expect nothing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "calllog.h"

#define PG 4096L
#define RW (PROT_READ | PROT_WRITE)
#define RX (PROT_READ | PROT_EXEC)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static long do_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off,
		    const char *path)
{
	uint64_t a[6] = { addr, len, (uint64_t)(uint32_t)prot, (uint64_t)(uint32_t)flags,
			  (uint64_t)(uint32_t)fd, off };
	return logcall("mmap", 6, a, ret_of(syscall(SYS_mmap, addr, len, prot, flags, fd, off)), path);
}

static long do_mprotect(uint64_t addr, uint64_t len, int prot)
{
	uint64_t a[3] = { addr, len, (uint64_t)(uint32_t)prot };
	return logcall("mprotect", 3, a, ret_of(syscall(SYS_mprotect, addr, len, prot)), NULL);
}

static long do_pkey_mprotect(uint64_t addr, uint64_t len, int prot, int pkey)
{
	uint64_t a[4] = { addr, len, (uint64_t)(uint32_t)prot, (uint64_t)(uint32_t)pkey };
	return logcall("pkey_mprotect", 4, a, ret_of(syscall(SYS_pkey_mprotect, addr, len, prot, pkey)),
		       NULL);
}

static long do_munmap(uint64_t addr, uint64_t len)
{
	uint64_t a[2] = { addr, len };
	return logcall("munmap", 2, a, ret_of(syscall(SYS_munmap, addr, len)), NULL);
}

static int ok(long r)
{
	return r >= 0 || r < -4095;
}

static void expect(const char *kind, long start, long end)
{
	fprintf(logf, "{\"type\":\"expect\",\"kind\":\"%s\",\"pid\":%d,\"start\":%ld,\"end\":%ld}\n", kind,
		getpid(), start, end);
	fflush(logf);
}

static void note(const char *what, long r)
{
	fprintf(logf, "{\"type\":\"note\",\"what\":\"%s\",\"ret\":%ld}\n", what, r);
	fflush(logf);
}

/* Current protection of the page at addr from /proc/self/maps; -1 if unmapped. */
static int prot_now(long addr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int prot = -1;

	while (f && fgets(line, sizeof line, f)) {
		unsigned long s, e;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 && (unsigned long)addr >= s &&
		    (unsigned long)addr < e) {
			prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
			       (perms[2] == 'x' ? PROT_EXEC : 0);
			break;
		}
	}
	if (f)
		fclose(f);
	return prot;
}

static int make_file(const char *path, size_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0700);
	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		perror(path);
		exit(3);
	}
	return fd;
}

int main(int argc, char **argv)
{
	char path[600];
	long a, r;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: alertprog LOG DIR\n");
		return 2;
	}
	logf = fopen(argv[1], "w");
	if (!logf) {
		perror(argv[1]);
		return 2;
	}
	log_context();

	/* 1. anonymous W+X mapping: wx_mapping */
	a = do_mmap(0, PG, RWX, ANON, -1, 0, NULL);
	if (ok(a))
		expect("wx_mapping", a, a + PG);

	/* 2. RW -> RX: x_after_w over both pages */
	a = do_mmap(0, 2 * PG, RW, ANON, -1, 0, NULL);
	memset((void *)a, 0xc3, 2 * PG);
	if (ok(do_mprotect(a, 2 * PG, RX)))
		expect("x_after_w", a, a + 2 * PG);

	/* 3. near miss: RW -> RO */
	a = do_mmap(0, PG, RW, ANON, -1, 0, NULL);
	do_mprotect(a, PG, PROT_READ);

	/* 4. near miss: RX mapping of a regular file installed long before this process */
	fd = open("/bin/true", O_RDONLY);
	do_mmap(0, PG, RX, MAP_PRIVATE, fd, 0, "/bin/true");
	close(fd);

	/* 4c. a regular file this process wrote, closed, then mapped RX: dropped_code */
	snprintf(path, sizeof path, "%s/regular.bin", argv[2]);
	close(make_file(path, PG));
	fd = open(path, O_RDONLY);
	a = do_mmap(0, PG, RX, MAP_PRIVATE, fd, 0, path);
	if (ok(a))
		expect("dropped_code", a, a + PG);
	close(fd);

	/* 4b. RX mapping of a regular file this process holds open read-write
	 * (pwrite changes the code): wx_alias; it wrote the file too: dropped_code */
	snprintf(path, sizeof path, "%s/written.bin", argv[2]);
	fd = make_file(path, PG);
	a = do_mmap(0, PG, RX, MAP_PRIVATE, fd, 0, path);
	if (ok(a)) {
		expect("dropped_code", a, a + PG);
		expect("wx_alias", a, a + PG);
	}
	close(fd);

	/* 5. memfd mapped PROT_EXEC: exec_fileless */
	fd = (int)syscall(SYS_memfd_create, "alert-jit", 0);
	if (fd >= 0 && ftruncate(fd, 4 * PG) == 0) {
		a = do_mmap(0, PG, RX, MAP_SHARED, fd, 0, NULL);
		if (ok(a))
			expect("exec_fileless", a, a + PG);
		/* 6. the same memfd mapped R, then made RX: exec_fileless */
		a = do_mmap(0, PG, PROT_READ, MAP_SHARED, fd, PG, NULL);
		if (ok(a) && ok(do_mprotect(a, PG, RX)))
			expect("exec_fileless", a, a + PG);
		/* 7. W+X memfd (the double-mapping JIT trick's RX view, made RWX): both */
		a = do_mmap(0, PG, RWX, MAP_SHARED, fd, 2 * PG, NULL);
		if (ok(a)) {
			expect("wx_mapping", a, a + PG);
			expect("exec_fileless", a, a + PG);
		}
	} else {
		note("memfd_create", fd);
	}

	/* 8. a deleted file mapped executable: exec_fileless */
	snprintf(path, sizeof path, "%s/deleted.bin", argv[2]);
	fd = make_file(path, PG);
	unlink(path);
	a = do_mmap(0, PG, RX, MAP_PRIVATE, fd, 0, NULL);
	if (ok(a)) {
		expect("exec_fileless", a, a + PG);
		expect("wx_alias", a, a + PG); /* still open read-write */
	}
	close(fd);

	/* 9. a file on /dev/shm mapped executable: exec_fileless (EPERM if noexec) */
	snprintf(path, sizeof path, "/dev/shm/mapwatch-alertprog-%d", getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0700);
	if (fd >= 0 && ftruncate(fd, PG) == 0) {
		a = do_mmap(0, PG, RX, MAP_SHARED, fd, 0, path);
		if (ok(a)) {
			expect("exec_fileless", a, a + PG);
			expect("wx_alias", a, a + PG); /* open read-write */
		}
	} else {
		note("/dev/shm", -errno);
	}
	if (fd >= 0) {
		unlink(path);
		close(fd);
	}

	/* 10. /dev/zero: anonymous memory, not device memory: no alert */
	fd = open("/dev/zero", O_RDWR);
	if (fd >= 0) {
		do_mmap(0, PG, RW, MAP_PRIVATE, fd, 0, "/dev/zero");
		do_mmap(0, PG, RW, MAP_SHARED, fd, 0, "/dev/zero");
		close(fd);
	}

	/* 11. /dev/mem: device_mapping (high), where the kernel allows it */
	fd = open("/dev/mem", O_RDONLY);
	if (fd < 0 && errno == ENOENT) {
		snprintf(path, sizeof path, "%s/mem", argv[2]);
		if (mknod(path, S_IFCHR | 0600, makedev(1, 1)) == 0)
			fd = open(path, O_RDONLY);
	} else {
		snprintf(path, sizeof path, "/dev/mem");
	}
	if (fd >= 0) {
		a = do_mmap(0, PG, PROT_READ, MAP_SHARED, fd, 0, path);
		if (ok(a))
			expect("device_mapping", a, a + PG);
		close(fd);
	} else {
		note("open /dev/mem", -errno);
	}

	/* 12. RW -> RWX by mprotect: wx_mprotect only (no x_after_w as well) */
	a = do_mmap(0, PG, RW, ANON, -1, 0, NULL);
	if (ok(do_mprotect(a, PG, RWX)))
		expect("wx_mprotect", a, a + PG);

	/* 13. R -> RWX by pkey_mprotect (no key): wx_mprotect */
	a = do_mmap(0, PG, PROT_READ, ANON, -1, 0, NULL);
	if (ok(do_pkey_mprotect(a, PG, RWX, -1)))
		expect("wx_mprotect", a, a + PG);

	/* 14. RW -> R -> RX: writable earlier still counts */
	a = do_mmap(0, PG, RW, ANON, -1, 0, NULL);
	do_mprotect(a, PG, PROT_READ);
	if (ok(do_mprotect(a, PG, RX)))
		expect("x_after_w", a, a + PG);

	/* 15. near miss: never-writable memory made executable */
	a = do_mmap(0, PG, PROT_READ, ANON, -1, 0, NULL);
	do_mprotect(a, PG, RX);

	/* 16. mprotect past the end of a RW mapping: ENOMEM, but Linux changed the
	 * first page before it met the hole: x_after_w for that page */
	a = do_mmap(0, 2 * PG, RW, ANON, -1, 0, NULL);
	do_munmap(a + PG, PG);
	r = do_mprotect(a, 2 * PG, RX);
	if (r == -ENOMEM && prot_now(a) == RX)
		expect("x_after_w", a, a + PG);
	else
		note("partial mprotect did not change the first page", r);

	/* 17. fork: the child makes an inherited RW region executable; the alert
	 * belongs to the child, and the parent's map is untouched */
	a = do_mmap(0, PG, RW, ANON, -1, 0, NULL);
	fflush(logf);
	pid_t c = fork();
	if (c == 0) {
		if (ok(do_mprotect(a, PG, RX)))
			expect("x_after_w", a, a + PG);
		fflush(logf);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	do_mprotect(a, PG, PROT_READ);
	fclose(logf);
	return 0;
}
