/* bypass.c - test program: each mode gets writable+executable memory the way an attacker would (issue #11's bypasses), then runs code in it and writes a marker file. */
/* Build: gcc (64-bit) and gcc -m32 (the old_mmap modes need the i386 ABI).
 * Usage: bypass MODE ARGS...; the payload (code run in the mapping, then the
 * MARKER file written) must never run under mapwatch --kill-wx.
 *   probe                      exit 0 (can this ABI run here at all?)
 *   wx MARKER                  mmap(PROT_READ|PROT_WRITE|PROT_EXEC)
 *   rie MARKER                 personality(READ_IMPLIES_EXEC), mmap(PROT_READ|PROT_WRITE)
 *   oldfault MARKER DIR        i386 old_mmap whose struct sits in a file page never touched
 *   race LOG N                 i386 old_mmap N times while a thread flips the struct's prot
 *                              RW <-> RWX; logs what /proc/self/maps shows after each call
 *   racekill MARKER N          the same, and runs the payload at the first RWX outcome
 *   late MARKER GOFILE READY   maps RW and writes code, says READY, waits for GOFILE, then
 *                              mprotect(RX) and runs it (a process older than mapwatch)
 *   shmname MARKER PATH        a plain tmpfs file named like a memfd, mapped shared RWX
 *   memfd MARKER               a real memfd, mapped shared RWX
 *   nearmiss DIR               RW then RO; RX of a regular file; PROT_NONE reservation
 *   oldcontend MARKER N        i386 old_mmap RW N times while two threads hold the mmap lock
 *                              (mmap/munmap in a loop), so that the exit-time VMA lookup often
 *                              finds it taken; then old_mmap RWX and the payload
 *   contend N                  N times mmap RW then RWX while two threads hold the mmap lock
 *                              (mmap/munmap in a loop): the exit-time lookup may find it taken
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096

static void die(const char *what)
{
	fprintf(stderr, "bypass: %s: %s\n", what, strerror(errno));
	exit(1);
}

static volatile int hammer_stop;

static void *hammer(void *unused)
{
	(void)unused;
	while (!hammer_stop) {
		void *p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			munmap(p, PG);
	}
	return NULL;
}

/* Run code in mem (one "ret"), then leave the marker: proof the memory was used. */
static void payload(void *mem, const char *marker)
{
	volatile unsigned char *p = mem;
	int fd;

	p[0] = 0xc3; /* ret, on i386 and x86_64 alike */
	((void (*)(void))mem)();
	fd = open(marker, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "ran\n", 4) != 4)
		die("marker");
	close(fd);
}

#if defined(__i386__)
/* The permissions /proc/self/maps shows for addr ("rwxp"), or "none". */
static void perms_of(uintptr_t addr, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	strcpy(out, "none");
	if (!f)
		die("/proc/self/maps");
	while (fgets(line, sizeof line, f)) {
		unsigned long long s, e;
		char pr[5];
		if (sscanf(line, "%llx-%llx %4s", &s, &e, pr) == 3 && addr >= s && addr < e) {
			memcpy(out, pr, 5);
			break;
		}
	}
	fclose(f);
}

struct mmap_arg_struct32 {
	uint32_t addr, len, prot, flags, fd, offset;
};

static uintptr_t old_mmap(struct mmap_arg_struct32 *s)
{
	long r = syscall(90, s);
	if (r == -1)
		die("old_mmap");
	return (uintptr_t)r;
}

static struct mmap_arg_struct32 race_arg;
static volatile int race_stop;

static void *flipper(void *unused)
{
	volatile uint32_t *prot = &race_arg.prot;
	(void)unused;
	while (!race_stop) {
		*prot = PROT_READ | PROT_WRITE;
		*prot = PROT_READ | PROT_WRITE | PROT_EXEC;
	}
	return NULL;
}

static int race(const char *out, int n, int kill_mode)
{
	pthread_t th;
	FILE *log = NULL;
	int rwx = 0;

	if (!kill_mode && !(log = fopen(out, "w")))
		die("log");
	race_arg = (struct mmap_arg_struct32){ 0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
					       (uint32_t)-1, 0 };
	if (pthread_create(&th, NULL, flipper, NULL))
		die("pthread_create");
	for (int i = 0; i < n; i++) {
		char pr[5];
		uintptr_t a = old_mmap(&race_arg);
		perms_of(a, pr);
		if (kill_mode && !strcmp(pr, "rwxp")) {
			payload((void *)a, out);
			return 0;
		}
		if (log)
			fprintf(log, "{\"i\":%d,\"ret\":%lu,\"perms\":\"%s\"}\n", i, (unsigned long)a, pr);
		rwx += !strcmp(pr, "rwxp");
		munmap((void *)a, PG);
	}
	race_stop = 1;
	pthread_join(th, NULL);
	if (log)
		fclose(log);
	fprintf(stderr, "bypass race: %d calls, %d rwx outcomes\n", n, rwx);
	return kill_mode ? 3 : 0; /* kill mode: no rwx outcome at all, inconclusive */
}

static int oldcontend(const char *marker, int n)
{
	pthread_t hm[2];
	struct mmap_arg_struct32 s = { 0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (uint32_t)-1, 0 };

	for (int i = 0; i < 2; i++)
		if (pthread_create(&hm[i], NULL, hammer, NULL))
			die("pthread_create");
	for (int i = 0; i < n; i++)
		munmap((void *)old_mmap(&s), PG);
	s.prot = PROT_READ | PROT_WRITE | PROT_EXEC;
	payload((void *)old_mmap(&s), marker);
	return 0;
}

/* The struct lives in a file page that nothing has touched: reading it
 * from BPF at entry faults, the kernel's own copy faults it in. */
static int oldfault(const char *marker, const char *dir)
{
	char path[4096];
	struct mmap_arg_struct32 s = { 0, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
				       (uint32_t)-1, 0 };
	snprintf(path, sizeof path, "%s/oldfault.arg", dir);
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0 || write(fd, &s, sizeof s) != sizeof s)
		die("arg file");
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	void *m = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		die("mmap arg file");
	close(fd);
	uintptr_t a = old_mmap(m);
	payload((void *)a, marker);
	return 0;
}
#endif

static int late(const char *marker, const char *go, const char *ready)
{
	struct stat st;
	void *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd;

	if (m == MAP_FAILED)
		die("mmap");
	((volatile unsigned char *)m)[0] = 0xc3; /* code written while writable */
	if ((fd = open(ready, O_CREAT | O_WRONLY, 0644)) < 0)
		die("ready file");
	close(fd);
	for (int i = 0; stat(go, &st); i++) {
		if (i > 6000)
			return 4; /* no go in 60 s */
		usleep(10000);
	}
	if (mprotect(m, PG, PROT_READ | PROT_EXEC))
		die("mprotect");
	((void (*)(void))m)();
	fd = open(marker, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "ran\n", 4) != 4)
		die("marker");
	close(fd);
	return 0;
}

static int contend(int n)
{
	pthread_t th[2];

	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, hammer, NULL))
			die("pthread_create");
	for (int i = 0; i < n; i++) {
		void *a = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		void *b = mmap(NULL, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a == MAP_FAILED || b == MAP_FAILED)
			die("mmap");
		munmap(a, PG);
		munmap(b, PG);
	}
	hammer_stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	return 0;
}

static int shared_rwx(const char *marker, int fd)
{
	if (ftruncate(fd, PG))
		die("ftruncate");
	void *m = mmap(NULL, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		die("mmap shared");
	payload(m, marker);
	return 0;
}

static int nearmiss(const char *dir)
{
	char path[4096];
	/* RW, then read-only */
	void *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || mprotect(m, PG, PROT_READ))
		die("rw then ro");
	/* RX of a regular file installed before this program began (a file this program's
	 * build has just written is a dropped_code route: tests/integration/dropcode.c) */
	int fd = open("/bin/true", O_RDONLY);
	void *x = fd < 0 ? MAP_FAILED : mmap(NULL, PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	if (x == MAP_FAILED)
		die("rx of a file");
	close(fd);
	/* a PROT_NONE reservation, part of it made RW later */
	void *r = mmap(NULL, 64 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED || mprotect(r, PG, PROT_READ | PROT_WRITE))
		die("reservation");
	/* a regular file mapped shared read-write: data, not code */
	snprintf(path, sizeof path, "%s/nearmiss.dat", dir);
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, PG))
		die("data file");
	void *d = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (d == MAP_FAILED)
		die("data mapping");
	close(fd);
	munmap(m, PG);
	munmap(x, PG);
	munmap(r, 64 * PG);
	munmap(d, PG);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	if (!strcmp(mode, "probe"))
		return 0;
	if (!strcmp(mode, "wx") && argc == 3) {
		void *m = mmap(NULL, PG, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			die("mmap");
		payload(m, argv[2]);
		return 0;
	}
	if (!strcmp(mode, "rie") && argc == 3) {
		if (personality(READ_IMPLIES_EXEC) == -1)
			die("personality");
		void *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			die("mmap");
		payload(m, argv[2]);
		return 0;
	}
#if defined(__i386__)
	if (!strcmp(mode, "oldfault") && argc == 4)
		return oldfault(argv[2], argv[3]);
	if (!strcmp(mode, "race") && argc == 4)
		return race(argv[2], atoi(argv[3]), 0);
	if (!strcmp(mode, "racekill") && argc == 4)
		return race(argv[2], atoi(argv[3]), 1);
	if (!strcmp(mode, "oldcontend") && argc == 4)
		return oldcontend(argv[2], atoi(argv[3]));
#endif
	if (!strcmp(mode, "late") && argc == 5)
		return late(argv[2], argv[3], argv[4]);
	if (!strcmp(mode, "shmname") && argc == 4) {
		int fd = open(argv[3], O_CREAT | O_RDWR | O_TRUNC, 0600);
		if (fd < 0)
			die(argv[3]);
		return shared_rwx(argv[2], fd);
	}
	if (!strcmp(mode, "memfd") && argc == 3) {
		int fd = memfd_create("notreally", 0);
		if (fd < 0)
			die("memfd_create");
		return shared_rwx(argv[2], fd);
	}
	if (!strcmp(mode, "contend") && argc == 3)
		return contend(atoi(argv[2]));
	if (!strcmp(mode, "nearmiss") && argc == 3)
		return nearmiss(argv[2]);
	fprintf(stderr, "usage: bypass probe | wx|rie|memfd MARKER | oldfault MARKER DIR | race LOG N |"
			" racekill MARKER N | late MARKER GOFILE READY | shmname MARKER PATH | nearmiss DIR | contend N\n");
	return 2;
}
