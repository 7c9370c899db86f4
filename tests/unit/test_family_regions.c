/* test_family_regions.c - the alert engine's region map follows brk, shmat/shmdt, madvise and the mapping calls: random real calls in a child, its /proc/PID/maps as the judge. */
#include "t.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alerts.h"
#include "regions_dump.h"
#include "regions.h"

#define PG 4096ul
#define WIN 128        /* pages in the child's window */
#define OPS 400
#define MAPS_MAX (256 * 1024)

/* One real call the child made, as mapwatch would have reported it. */
struct op {
	uint16_t event;
	uint64_t args[6];
	int64_t ret;
};

static uint64_t rng = 0x243f6a8885a308d3ull;
static unsigned below(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static long sys_ret(long r)
{
	return r == -1 ? -errno : r;
}

static void put(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w <= 0)
			_exit(3);
		c += w;
		n -= (size_t)w;
	}
}

/* The child: no malloc (brk is under test), only syscalls and static data. */
static char maps_buf[MAPS_MAX];
static void child(int out, int go, uint64_t win, int seg)
{
	static struct op ops[OPS];
	char c;
	uint64_t brk0 = (uint64_t)syscall(SYS_brk, 0), brk = brk0;
	int n = 0;

	if (read(go, &c, 1) != 1) /* the parent has seeded its model from our maps */
		_exit(2);
	ops[n].event = MW_EV_BRK; /* what libc does first: where is the break? */
	ops[n++].ret = (int64_t)brk0;
	for (int i = 1; i < OPS; i++) {
		struct op *o = &ops[n++];
		uint64_t a = win + below(WIN - 8) * PG, len = (1 + below(6)) * PG;
		static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC };
		int prot = prots[below(4)];
		memset(o, 0, sizeof *o);
		switch (below(7)) {
		case 0:
			o->event = MW_EV_MMAP;
			o->args[0] = a; o->args[1] = len; o->args[2] = (uint64_t)prot;
			o->args[3] = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED; o->args[4] = (uint64_t)-1;
			o->ret = sys_ret(syscall(SYS_mmap, a, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
			break;
		case 1:
			o->event = MW_EV_MPROTECT;
			o->args[0] = a; o->args[1] = len; o->args[2] = (uint64_t)prot;
			o->ret = sys_ret(syscall(SYS_mprotect, a, len, prot));
			break;
		case 2:
			o->event = MW_EV_MUNMAP;
			o->args[0] = a; o->args[1] = len;
			o->ret = sys_ret(syscall(SYS_munmap, a, len));
			break;
		case 3: { /* brk: grow or shrink the heap by a few pages, never below its start */
			uint64_t want = brk0 + below(16) * PG + (below(2) ? 123 : 0);
			o->event = MW_EV_BRK;
			o->args[0] = want;
			o->ret = syscall(SYS_brk, want);
			brk = (uint64_t)o->ret;
			break;
		}
		case 4: { /* shmat over the window (SHM_REMAP replaces what is there) */
			int fl = 040000 /* SHM_REMAP */ | (below(2) ? 010000 /* SHM_RDONLY */ : 0) |
				 (below(3) == 0 ? 0100000 /* SHM_EXEC */ : 0);
			o->event = MW_EV_SHMAT;
			o->args[0] = (uint64_t)(uint32_t)seg; o->args[1] = a; o->args[2] = (uint64_t)(uint32_t)fl;
			o->ret = sys_ret(syscall(SYS_shmat, seg, a, fl));
			break;
		}
		case 5: /* shmdt of the start of a recent attach, or of anything */
			o->event = MW_EV_SHMDT;
			for (int k = n - 2; k >= 0; k--)
				if (ops[k].event == MW_EV_SHMAT && ops[k].ret > 0 && below(2)) {
					a = (uint64_t)ops[k].ret;
					break;
				}
			o->args[0] = a;
			o->ret = sys_ret(syscall(SYS_shmdt, a));
			break;
		default: { /* madvise changes contents, never the mappings */
			static const int adv[] = { MADV_DONTNEED, MADV_REMOVE, MADV_WILLNEED, MADV_NORMAL };
			o->event = MW_EV_MADVISE;
			o->args[0] = a; o->args[1] = len; o->args[2] = (uint64_t)adv[below(4)];
			o->ret = sys_ret(syscall(SYS_madvise, a, len, o->args[2]));
			break;
		}
		}
	}
	(void)brk;
	put(out, &n, sizeof n);
	put(out, ops, sizeof(struct op) * (size_t)n);
	int mf = open("/proc/self/maps", O_RDONLY);
	ssize_t r, tot = 0;
	while (mf >= 0 && (r = read(mf, maps_buf + tot, sizeof maps_buf - 1 - (size_t)tot)) > 0)
		tot += r;
	put(out, &tot, sizeof tot);
	put(out, maps_buf, (size_t)tot);
	/* stay until the parent has read /proc/PID/maps no more: it reads our dump */
	_exit(0);
}

static void get(int fd, void *p, size_t n)
{
	char *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r <= 0)
			return;
		c += r;
		n -= (size_t)r;
	}
}

/* valgrind emulates brk and keeps its own books on shm attaches (it
 * asserts on a shmdt of a random address): the ASan run is the judge. */
static int under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");
	return p && strstr(p, "vgpreload");
}

TEST(family_regions_random_vs_proc_maps)
{
	if (under_valgrind()) {
		fprintf(stderr, "  (family_regions: not under valgrind, which emulates brk and shm; see the ASan run)\n");
		return;
	}
	int seg = shmget(IPC_PRIVATE, 3 * PG, IPC_CREAT | 0600);
	int to[2], from[2];
	CHECK(seg >= 0);
	if (seg < 0 || pipe(to) || pipe(from))
		return;
	/* the window: reserved here, inherited by the child */
	void *w = mmap(NULL, WIN * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(w != MAP_FAILED);
	uint64_t win = (uint64_t)(uintptr_t)w;
	pid_t pid = fork();
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		child(from[1], to[0], win, seg);
	}
	close(to[0]);
	close(from[1]);

	struct mw_alerts *a = mw_alerts_new();
	CHECK(a != NULL);
	/* the first event seeds the model from the live child's maps */
	struct mw_event seed = { .type = MW_REC_EVENT, .event = MW_EV_MUNMAP, .pid = (uint32_t)pid,
				 .tid = (uint32_t)pid, .ret = -EINVAL };
	struct mw_view v = { .e = &seed };
	struct mw_alert al[MW_ALERTS_MAX];
	mw_alerts_event(a, &v, al, MW_ALERTS_MAX);
	if (write(to[1], "g", 1) != 1)
		CHECK(0);

	int n = 0;
	static struct op ops[OPS];
	get(from[0], &n, sizeof n);
	CHECK(n > 0 && n <= OPS);
	if (n <= 0 || n > OPS)
		n = 0;
	get(from[0], ops, sizeof(struct op) * (size_t)n);
	ssize_t tot = 0;
	get(from[0], &tot, sizeof tot);
	char *maps = calloc(1, (size_t)tot + 1);
	if (maps && tot > 0)
		get(from[0], maps, (size_t)tot);
	waitpid(pid, NULL, 0);

	int shm_seen = 0;
	uint64_t brk_lo = 0, brk_hi = 0;
	for (int i = 0; i < n; i++) {
		struct mw_event e = { .type = MW_REC_EVENT, .event = ops[i].event, .pid = (uint32_t)pid,
				      .tid = (uint32_t)pid, .ret = ops[i].ret };
		memcpy(e.args, ops[i].args, sizeof e.args);
		if (e.event == MW_EV_SHMAT && !mw_is_error(e.ret))
			shm_seen++;
		if (e.event == MW_EV_BRK) {
			uint64_t b = (uint64_t)e.ret;
			if (!brk_lo || b < brk_lo)
				brk_lo = b;
			if (b > brk_hi)
				brk_hi = b;
		}
		struct mw_view ev = { .e = &e };
		mw_alerts_event(a, &ev, al, MW_ALERTS_MAX);
	}
	CHECK(shm_seen > 5);
	/* judge: the window and the heap span, rwx bits, against the child's last maps */
	struct mw_regions *truth = mw_regions_new();
	CHECK(maps && mw_regions_seed_maps(truth, 1, maps, (size_t)tot, NULL) > 0);
	uint64_t at = 0;
	int same = mw_regions_compare(mw_alerts_regions(a), (uint32_t)pid, truth, 1, win, win + WIN * PG, 0, &at);
	if (same != 0)
		fprintf(stderr, "  window differs at 0x%llx\n", (unsigned long long)at);
	CHECK_INT(same, 0);
	/* the heap above its lowest break seen: what brk grew and shrank */
	uint64_t lo = (brk_lo + PG - 1) & ~(PG - 1), hi = (brk_hi + PG - 1) & ~(PG - 1);
	if (hi > lo) {
		same = mw_regions_compare(mw_alerts_regions(a), (uint32_t)pid, truth, 1, lo, hi, 0, &at);
		if (same != 0)
			fprintf(stderr, "  heap differs at 0x%llx\n", (unsigned long long)at);
		CHECK_INT(same, 0);
	}
	mw_regions_free(truth);
	mw_alerts_free(a);
	free(maps);
	munmap(w, WIN * PG);
	shmctl(seg, IPC_RMID, NULL);
}
