/* alerts.c - the alert engine: region maps per process and the rules of alerts.h (one alert's construction and lines: alert.c). */
#include "alerts.h"
#include "capture_abi.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "alert_codewrite.h"
#include "alerts_family.h"
#include "fileid.h"
#include "mmshare.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define WX (PROT_WRITE | PROT_EXEC)

/* A copy of the regions of one process inside a window, taken before a call
 * changes them, so that what the range held can be described afterwards. */
struct snap {
	struct mw_region *v;
	size_t n, cap;
};

struct mw_alerts {
	struct mw_regions *regions;   /* every region of every known process */
	struct mw_regions *fileless;  /* only the regions mapped from memfd/deleted/tmpfs files */
	char *proc_root;              /* NULL: no seeding */
	struct strbuf text, filt;     /* /proc/PID/maps, and its fileless lines */
	struct snap snap, fsnap;
	struct mw_alerts_stats st;
	struct mw_family *fam;        /* SysV shm, brk, memfd chains (alerts_family.c) */
	DIR *seed_dir;                /* seeding in progress (mw_alerts_seed_step) */
	struct mw_mmshare *share;     /* CLONE_VM/vfork children: whose map holds their memory */
};

/* ---- engine life ---- */

struct mw_alerts *mw_alerts_new(void)
{
	struct mw_alerts *a = calloc(1, sizeof *a);

	if (!a)
		goto oom;
	a->regions = mw_regions_new();
	a->fileless = mw_regions_new();
	a->proc_root = strdup("/proc");
	a->fam = mw_family_new();
	a->share = mw_mmshare_new();
	if (!a->regions || !a->fileless || !a->proc_root || !a->fam || !a->share)
		goto oom;
	return a;
oom:
	mw_alerts_free(a);
	errno = ENOMEM;
	return NULL;
}

void mw_alerts_free(struct mw_alerts *a)
{
	if (!a)
		return;
	mw_regions_free(a->regions);
	mw_regions_free(a->fileless);
	mw_family_free(a->fam);
	mw_mmshare_free(a->share);
	free(a->proc_root);
	if (a->seed_dir)
		closedir(a->seed_dir);
	sb_free(&a->text);
	sb_free(&a->filt);
	free(a->snap.v);
	free(a->fsnap.v);
	free(a);
}

int mw_alerts_set_proc_root(struct mw_alerts *a, const char *root)
{
	char *c = NULL;

	if (root && !(c = strdup(root))) {
		errno = ENOMEM;
		return -1;
	}
	free(a->proc_root);
	a->proc_root = c;
	return 0;
}

const struct mw_regions *mw_alerts_regions(const struct mw_alerts *a)
{
	return a->regions;
}

void mw_alerts_get_stats(const struct mw_alerts *a, struct mw_alerts_stats *st)
{
	*st = a->st;
}

int mw_alerts_allowed(const struct mw_event *e)
{
	return (e->eff_flags & MW_EFFF_ALLOWED) != 0;
}

/* ---- seeding from /proc ---- */

/* Read <root>/<pid>/maps into a->text. 0 or -1. */
static int read_maps(struct mw_alerts *a, uint32_t pid)
{
	struct strbuf name = { 0 };
	char buf[16384];
	int fd;

	sb_printf(&name, "%s/%u/maps", a->proc_root, (unsigned)pid);
	fd = name.oom ? -1 : open(name.p, O_RDONLY | O_CLOEXEC);
	sb_free(&name);
	if (fd < 0)
		return -1;
	sb_reset(&a->text);
	for (;;) {
		ssize_t got = read(fd, buf, sizeof buf);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			close(fd);
			return got < 0 || a->text.oom ? -1 : 0;
		}
		sb_put(&a->text, buf, (size_t)got);
	}
}

static int starts_with(const char *s, size_t n, const char *pre)
{
	size_t l = strlen(pre);
	return n >= l && !memcmp(s, pre, l);
}

static int ends_with(const char *s, size_t n, const char *suf)
{
	size_t l = strlen(suf);
	return n >= l && !memcmp(s + n - l, suf, l);
}

/* Copy into a->filt the lines of a->text whose path names a memfd, a file on
 * /dev/shm, or a deleted file. */
static void filter_fileless(struct mw_alerts *a)
{
	const char *s = a->text.p, *end = a->text.p + a->text.len;

	sb_reset(&a->filt);
	while (s && s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end, *p = s;
		/* the path is what follows the fifth field */
		for (int f = 0; f < 5 && p < le; f++) {
			while (p < le && *p == ' ')
				p++;
			while (p < le && *p != ' ')
				p++;
		}
		while (p < le && *p == ' ')
			p++;
		size_t pl = (size_t)(le - p);
		if (pl && p[pl - 1] == '\r')
			pl--;
		if (starts_with(p, pl, "/memfd:") || starts_with(p, pl, "/dev/shm/") ||
		    ends_with(p, pl, " (deleted)")) {
			sb_put(&a->filt, s, (size_t)(le - s));
			sb_putc(&a->filt, '\n');
		}
		s = nl ? nl + 1 : end;
	}
}

/* Forget pid everywhere. */
static void forget(struct mw_alerts *a, uint32_t pid)
{
	mw_regions_exit(a->regions, pid);
	mw_regions_exit(a->fileless, pid);
}

/* Seed pid from <proc root>/pid/maps. Returns 0, or the errno of the read
 * (nothing changed then). */
static int seed_process(struct mw_alerts *a, uint32_t pid)
{
	struct timespec now;

	clock_gettime(CLOCK_BOOTTIME, &now); /* the events' clock */
	mw_regions_exit(a->fileless, pid);
	if (read_maps(a, pid)) {
		int err = errno ? errno : EIO;
		a->st.seed_failed++;
		return err;
	}
	if (mw_regions_seed_maps(a->regions, pid, a->text.p ? a->text.p : "", a->text.len, NULL) < 0) {
		a->st.model_errors++;
		return 0;
	}
	a->st.seeded++;
	if (mw_regions_set_seeded_at(a->regions, pid, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec))
		a->st.model_errors++;
	filter_fileless(a);
	if (a->filt.oom)
		a->st.model_errors++;
	else if (a->filt.len && mw_regions_seed_maps(a->fileless, pid, a->filt.p, a->filt.len, NULL) < 0)
		a->st.model_errors++;
	return 0;
}

/* Make sure pid is known before its event is applied: seed it from /proc
 * when the engine has never seen it (or forgot it at exec). */
static void know_process(struct mw_alerts *a, uint32_t pid)
{
	if (mw_regions_state(a->regions, pid) != MW_PROC_ABSENT || !a->proc_root)
		return;
	/* after a failure: known from now on, empty: no second read */
	if (seed_process(a, pid) && mw_regions_exec(a->regions, pid))
		a->st.model_errors++;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int mw_alerts_seed_step(struct mw_alerts *a, uint32_t skip, struct mw_seed_report *r, uint64_t budget_ns)
{
	struct dirent *de;
	uint64_t end = budget_ns ? mono_ns() + budget_ns : 0;

	if (!a->proc_root)
		return 0;
	if (!a->seed_dir) {
		memset(r, 0, sizeof *r);
		a->seed_dir = opendir(a->proc_root);
		if (!a->seed_dir) {
			r->dir_errno = errno;
			return -1;
		}
	}
	while ((de = readdir(a->seed_dir))) {
		char *e;
		unsigned long pid = strtoul(de->d_name, &e, 10);
		if (*e || e == de->d_name || pid == 0 || pid > UINT32_MAX || pid == skip ||
		    mw_regions_state(a->regions, (uint32_t)pid) != MW_PROC_ABSENT)
			continue;
		int err = seed_process(a, (uint32_t)pid);
		if (!err)
			r->seeded++;
		else if (err == ENOENT || err == ESRCH)
			r->gone++;
		else if (err == EACCES || err == EPERM)
			r->denied++;
		else
			r->other++, r->other_errno = err;
		if (end && mono_ns() >= end)
			return 1; /* more next time */
	}
	closedir(a->seed_dir);
	a->seed_dir = NULL;
	return 0;
}

int mw_alerts_seed_all(struct mw_alerts *a, uint32_t skip, struct mw_seed_report *r)
{
	memset(r, 0, sizeof *r);
	return mw_alerts_seed_step(a, skip, r, 0) < 0 ? -1 : 0;
}

/* ---- lifecycle ---- */

/* pid stops using its memory (exec, exit): when it held the map of memory
 * that CLONE_VM children still use, the map moves to one of them. */
static void leave_memory(struct mw_alerts *a, uint32_t pid)
{
	uint32_t heir = mw_mmshare_leave(a->share, pid);

	if (!heir || mw_regions_state(a->regions, pid) == MW_PROC_ABSENT)
		return;
	if (mw_regions_fork(a->regions, pid, heir))
		a->st.model_errors++;
	if (mw_regions_state(a->fileless, pid) == MW_PROC_ABSENT)
		mw_regions_exit(a->fileless, heir);
	else if (mw_regions_fork(a->fileless, pid, heir))
		a->st.model_errors++;
}

void mw_alerts_task(struct mw_alerts *a, const struct mw_task_rec *r)
{
	mw_family_task(a->fam, r);
	if (r->type == MW_REC_EXEC || r->type == MW_REC_EXIT)
		leave_memory(a, r->pid);
	switch (r->type) {
	case MW_REC_FORK:
		if (r->pid == r->ppid)
			return;
		if ((r->flags & MW_TASK_F_SHARED_MM) && mw_mmshare_add(a->share, r->pid, r->ppid) == 0) {
			/* vfork, clone(CLONE_VM): the same memory, kept in one map (its owner's) */
			forget(a, r->pid);
			return;
		}
		if (mw_regions_state(a->regions, r->ppid) == MW_PROC_ABSENT) {
			forget(a, r->pid);  /* seeded from its own /proc at its first event */
			return;
		}
		if (mw_regions_fork(a->regions, r->ppid, r->pid)) {
			a->st.model_errors++;
			forget(a, r->pid);
			return;
		}
		if (mw_regions_state(a->fileless, r->ppid) == MW_PROC_ABSENT) {
			mw_regions_exit(a->fileless, r->pid);
		} else if (mw_regions_fork(a->fileless, r->ppid, r->pid)) {
			a->st.model_errors++;
			forget(a, r->pid);
		}
		return;
	case MW_REC_EXEC:
		if (a->proc_root) {
			forget(a, r->pid);
		} else {
			mw_regions_exit(a->fileless, r->pid);
			if (mw_regions_exec(a->regions, r->pid))
				a->st.model_errors++;
		}
		return;
	case MW_REC_EXIT:
		forget(a, r->pid);
		return;
	default:
		return;
	}
}

/* ---- looking at a range before a call changes it ---- */

/* Copy the regions of pid overlapping [lo, hi), clipped to it. */
static void snap_take(struct snap *s, const struct mw_regions *t, uint32_t pid, uint64_t lo,
		      uint64_t hi)
{
	size_t n, i = 0, k;
	const struct mw_region *r = mw_regions_list(t, pid, &n);
	size_t l = 0, h = n;

	s->n = 0;
	while (l < h) {  /* first region ending after lo */
		size_t m = l + (h - l) / 2;
		if (r[m].end > lo)
			h = m;
		else
			l = m + 1;
	}
	i = l;
	for (k = i; k < n && r[k].start < hi; k++)
		;
	if (k - i > s->cap) {
		struct mw_region *nv = realloc(s->v, (k - i) * sizeof *nv);
		if (!nv)
			return;  /* described as unknown: alerts lose only their previousProt */
		s->v = nv;
		s->cap = k - i;
	}
	for (; i < k; i++) {
		struct mw_region c = r[i];
		if (c.start < lo)
			c.start = lo;
		if (c.end > hi)
			c.end = hi;
		s->v[s->n++] = c;
	}
}

/* What the snapshot held in [lo, hi), into al's previous-protection fields. */
static void snap_describe(const struct snap *s, uint64_t lo, uint64_t hi, struct mw_alert *al)
{
	uint64_t known = 0;
	unsigned por = 0, pand = RWX;
	int ww = 0;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t b = s->v[i].start > lo ? s->v[i].start : lo;
		uint64_t e = s->v[i].end < hi ? s->v[i].end : hi;
		if (b >= e)
			continue;
		known += e - b;
		por |= s->v[i].prot;
		pand &= s->v[i].prot;
		ww |= s->v[i].was_writable;
	}
	al->prev_known = known != 0;
	al->prev_prot = known ? (uint8_t)por : 0;
	al->prev_mixed = known && (por != pand || known < hi - lo);
	al->was_writable = known && ww;
}

/* Smallest range holding the parts of the snapshot inside [lo, hi) that
 * lack PROT_EXEC (and, with need_w, were writable now or earlier). 0 if none. */
static int snap_exec_added(const struct snap *s, uint64_t lo, uint64_t hi, int need_w,
			   uint64_t *rs, uint64_t *re)
{
	int found = 0;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t b = s->v[i].start > lo ? s->v[i].start : lo;
		uint64_t e = s->v[i].end < hi ? s->v[i].end : hi;
		if (b >= e || (s->v[i].prot & PROT_EXEC) || (need_w && !s->v[i].was_writable))
			continue;
		if (!found)
			*rs = b;
		*re = e;
		found = 1;
	}
	return found;
}

/* 1 when [lo, hi) was entirely known and already writable and executable
 * before the call: a W+X request there changes nothing (no new alert). */
static int snap_all_wx(const struct snap *s, uint64_t lo, uint64_t hi)
{
	uint64_t at = lo;

	for (size_t i = 0; i < s->n && at < hi; i++) {
		if (s->v[i].end <= at)
			continue;
		if (s->v[i].start > at || (s->v[i].prot & WX) != WX)
			return 0;
		at = s->v[i].end;
	}
	return at >= hi;
}

/* /dev/zero (1:5) and /dev/null (1:3) mappings are anonymous memory, not device memory. */
static int anon_chardev(uint32_t rdev)
{
	return mw_kdev_major(rdev) == 1 && (mw_kdev_minor(rdev) == 5 || mw_kdev_minor(rdev) == 3);
}

/* ---- rules ---- */

/* Copy the region and previous-protection fields of from into x. */
static void take_range(struct mw_alert *x, const struct mw_alert *from)
{
	x->has_region = from->has_region;
	x->start = from->start;
	x->end = from->end;
	x->prev_known = from->prev_known;
	x->prev_prot = from->prev_prot;
	x->prev_mixed = from->prev_mixed;
	x->was_writable = from->was_writable;
}

/* Why the file behind a mapping makes executable memory fileless. */
static enum mw_fileless_cause fileless_cause(const struct mw_event *e, uint64_t mflags)
{
	const struct mw_file *f = &e->file;

	if (!(e->flags & MW_F_HAS_FILE) || (mflags & MAP_ANONYMOUS))
		return MW_FL_NONE;
	if (f->kind == MW_FK_MEMFD)
		return MW_FL_MEMFD;
	if (f->kind == MW_FK_DELETED || (f->flags & MW_FILE_DELETED))
		return MW_FL_DELETED;
	if (f->kind == MW_FK_SHM || (f->flags & MW_FILE_TMPFS))
		return MW_FL_TMPFS;
	return MW_FL_NONE;
}

static void describe_fileless(struct mw_alert *x, enum mw_fileless_cause c)
{
	static const char *const d[] = {
		[MW_FL_MEMFD] = "executable mapping of a memfd (code with no file on disk)",
		[MW_FL_DELETED] = "executable mapping of a deleted file",
		[MW_FL_TMPFS] = "executable mapping of a file on tmpfs (/dev/shm or another memory file system)",
		[MW_FL_REGION] = "memory mapped from a memfd, deleted or tmpfs file made executable",
	};
	x->fileless = (uint8_t)c;
	if (c > MW_FL_NONE && c <= MW_FL_REGION)
		x->description = d[c];
}

static void describe_device(struct mw_alert *x, uint32_t rdev)
{
	x->rdev = rdev;
	if (mw_kdev_major(rdev) != 1)
		return;
	switch (mw_kdev_minor(rdev)) {
	case 1: x->description = "/dev/mem mapped: direct access to physical memory"; break;
	case 2: x->description = "/dev/kmem mapped: direct access to kernel memory"; break;
	case 4: x->description = "/dev/port mapped: direct access to I/O ports"; break;
	default: return;
	}
	x->severity = MW_SEV_HIGH;
	x->mitre = "T1014";
	x->technique = "Rootkit";
}

/* End of [addr, addr+len) rounded up to unit; 0 when it would wrap. */
static uint64_t range_end(uint64_t addr, uint64_t len, uint64_t unit)
{
	if (len > UINT64_MAX - (unit - 1))
		return 0;
	uint64_t rl = (len + unit - 1) & ~(unit - 1);
	return rl > UINT64_MAX - addr ? 0 : addr + rl;
}

/* The alerts a new mapping raises by itself (W+X, fileless code, device),
 * each covering proto's region; returns how many were written to al. */
static int judge_mapping(const struct mw_event *e, unsigned prot, enum mw_fileless_cause fl,
			 int chardev, const struct mw_alert *proto, struct mw_alert *al)
{
	int n = 0;

	if ((prot & WX) == WX)
		take_range(mw_alert_add(al, &n, MW_AL_WX_MAPPING), proto);
	if ((prot & PROT_EXEC) && fl != MW_FL_NONE) {
		struct mw_alert *x = mw_alert_add(al, &n, MW_AL_EXEC_FILELESS);
		take_range(x, proto);
		describe_fileless(x, fl);
	}
	if (chardev && !anon_chardev(e->file.rdev)) {
		struct mw_alert *x = mw_alert_add(al, &n, MW_AL_DEVICE_MAPPING);
		take_range(x, proto);
		describe_device(x, e->file.rdev);
	}
	return n;
}

/* The protection a call is judged on: the effective one, read by the kernel
 * from the VMA at syscall exit, when the event carries it (*from_vma = 1);
 * else the request, with READ_IMPLIES_EXEC applied as the kernel applies it
 * (*from_vma = 0); -1 when neither is known (old_mmap arguments unreadable
 * at entry and at exit, and no VMA). Only the PROT_READ|WRITE|EXEC bits. */
static int judged_prot(const struct mw_event *e, int *from_vma)
{
	int ep = mw_effective_prot(e);
	unsigned prot;

	*from_vma = ep >= 0;
	if (ep >= 0)
		return ep;
	if (e->flags & MW_F_ARGS_FAULT)
		return -1;
	prot = (unsigned)(e->args[2] & RWX);
	if ((e->personality & MW_READ_IMPLIES_EXEC) && (prot & PROT_READ))
		prot |= PROT_EXEC;
	return (int)prot;
}

static int on_mmap(struct mw_alerts *a, const struct mw_event *e, int ok, struct mw_alert *al)
{
	uint32_t pid = e->pid;
	uint64_t len = e->args[1];
	int from_vma, jp = judged_prot(e, &from_vma);
	unsigned prot = jp < 0 ? 0 : (unsigned)jp;
	uint64_t flags = e->args[3] & 0xffffffffu;
	uint64_t addr = (e->flags & MW_F_COMPAT) ? (uint32_t)e->ret : (uint64_t)e->ret;

	if ((e->flags & MW_F_ARGS_FAULT) && from_vma) {
		/* old_mmap unreadable twice: the VMA says where and how much */
		len = e->vma_end > addr ? e->vma_end - addr : MW_PAGE_SIZE;
		flags = (e->vm_flags & MW_VM_SHARED) ? MAP_SHARED : MAP_PRIVATE;
	}
	uint64_t unit = MW_PAGE_SIZE, end = 0;
	enum mw_fileless_cause fl = fileless_cause(e, flags);
	int chardev = (e->flags & MW_F_HAS_FILE) && !(flags & MAP_ANONYMOUS) &&
		      e->file.kind == MW_FK_CHARDEV;
	int n = 0;
	struct mw_alert proto;

	memset(&proto, 0, sizeof proto);
	if (ok) {
		if (flags & MAP_HUGETLB) {
			unsigned sh = (unsigned)(flags >> MAP_HUGE_SHIFT) & 0x3f;
			unit = sh ? (sh >= 12 && sh < 63 ? (uint64_t)1 << sh : MW_PAGE_SIZE) : 2u << 20;
		}
		end = range_end(addr, len, unit);
		if (end > addr && !(addr & (MW_PAGE_SIZE - 1))) {
			mw_alert_region(&proto, addr, end);
			snap_take(&a->snap, a->regions, pid, addr, end);
			snap_describe(&a->snap, addr, end, &proto);
		}
	}
	n = judge_mapping(e, prot, fl, chardev, &proto, al);
	if (!ok)
		return n;
	if (mw_regions_mmap(a->regions, pid, addr, len, prot, flags))
		a->st.model_errors++;
	if (fl != MW_FL_NONE) {
		if (mw_regions_mmap(a->fileless, pid, addr, len, prot, flags))
			a->st.model_errors++;
	} else if (end > addr && mw_regions_state(a->fileless, pid) != MW_PROC_ABSENT) {
		if (mw_regions_munmap(a->fileless, pid, addr, end - addr))
			a->st.model_errors++;
	}
	return n;
}

/* A mapping the kernel made on its own (do_mmap outside a mapping syscall:
 * the ELF loader at execve, shmat, drivers): judged by the same rules as
 * mmap, without touching the region maps (exec re-seeds them from /proc). */
static int on_kernel_mmap(const struct mw_event *e, struct mw_alert *al)
{
	unsigned prot = (unsigned)(e->args[2] & 0xffffffffu);
	uint64_t flags = e->args[3] & 0xffffffffu;
	enum mw_fileless_cause fl = fileless_cause(e, flags);
	uint64_t addr = (uint64_t)e->ret;
	struct mw_alert proto;

	memset(&proto, 0, sizeof proto);
	uint64_t end = range_end(addr, e->args[1], MW_PAGE_SIZE);
	if (end > addr)
		mw_alert_region(&proto, addr, end);
	return judge_mapping(e, prot, fl, (e->flags & MW_F_HAS_FILE) && e->file.kind == MW_FK_CHARDEV,
			     &proto, al);
}

/* A program run from a memfd, tmpfs or unlinked file (the "exec" event the
 * kernel sends at exec, before the program's first instruction): one
 * exec_fileless, judged at exec, whether or not the program ever makes a
 * mapping call. A memfd's alert gets its chain from alerts_family.c. */
static int on_exec_file(const struct mw_event *e, struct mw_alert *al)
{
	static const char *const d[] = {
		[MW_FL_MEMFD] = "program executed from a memfd: no file on disk",
		[MW_FL_DELETED] = "program executed from a file with no link left (unlinked, or O_TMPFILE)",
		[MW_FL_TMPFS] = "program executed from a file on tmpfs (/dev/shm or another memory file system)",
	};
	enum mw_fileless_cause c = fileless_cause(e, 0);
	int n = 0;

	if (c == MW_FL_NONE)
		return 0;
	struct mw_alert *x = mw_alert_add(al, &n, MW_AL_EXEC_FILELESS);
	x->fileless = (uint8_t)c;
	x->description = d[c];
	x->at_exec = 1;
	return n;
}

/* What an mprotect did to the region map, for the rules below to judge. */
struct mprot {
	unsigned prot;              /* rwx as the kernel made them; PROT_GROWSDOWN etc. as asked */
	uint64_t s, end;            /* the range judged, [s, end) */
	int applied;                /* the region map was changed: c says how */
	struct mw_prot_change c;
};

/* Snapshot both maps over the call's range, then apply the call to the
 * region map (a success, or an ENOMEM failure: Linux changed the mappings
 * up to the first hole). Fills *m; returns 0 when there is nothing to
 * judge (a range the kernel refuses, a failure that changed nothing and is
 * not enforced, an empty range). */
static int mprotect_apply(struct mw_alerts *a, const struct mw_event *e, int ok, struct mprot *m)
{
	uint32_t pid = e->pid;
	uint64_t addr = e->args[0], len = e->args[1];
	int from_vma;
	uint64_t hi = range_end(addr, len, MW_PAGE_SIZE), lo = addr;

	memset(m, 0, sizeof *m);
	m->prot = (unsigned)(e->args[2] & 0xffffffffu & ~(unsigned)RWX) | (unsigned)judged_prot(e, &from_vma);
	if (!hi || (addr & (MW_PAGE_SIZE - 1)))
		return 0;  /* the kernel refuses these: nothing was changed */
	if (m->prot & PROT_GROWSDOWN)
		lo = 0;    /* the change may extend down the stack mapping */
	snap_take(&a->snap, a->regions, pid, lo, hi);
	snap_take(&a->fsnap, a->fileless, pid, lo, hi);
	if (ok || e->ret == -ENOMEM) {
		int r = ok ? mw_regions_mprotect(a->regions, pid, addr, len, m->prot, &m->c)
			   : mw_regions_mprotect_enomem(a->regions, pid, addr, len, m->prot, &m->c);
		if (r)
			a->st.model_errors++;
		else
			m->applied = 1;
	}
	if (m->applied && (m->c.start < m->c.end || !(e->flags & MW_F_ENFORCED))) {
		m->s = m->c.start;
		m->end = m->c.end;
	} else if (ok || (e->flags & (MW_F_ENFORCED | MW_F_EXIT_ONLY))) {
		m->applied = 0;  /* judged from the arguments: the map was not changed */
		m->s = addr;
		m->end = hi;
	} else {
		return 0;
	}
	return m->s < m->end;
}

/* wx_mprotect: writable and executable asked for, unless the range was all
 * RWX already (a JIT re-protecting its code cache: no transition); a call
 * --kill-wx killed is always reported. */
static void rule_wx_mprotect(struct mw_alerts *a, const struct mw_event *e, const struct mprot *m,
			     struct mw_alert *al, int *n)
{
	if ((m->prot & WX) != WX)
		return;
	if (!(e->flags & MW_F_ENFORCED) && snap_all_wx(&a->snap, m->s, m->end))
		return;
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_WX_MPROTECT);
	mw_alert_region(x, m->s, m->end);
	snap_describe(&a->snap, m->s, m->end, x);
}

/* x_after_w: executable without writable given to memory that lacked
 * PROT_EXEC and was writable now or earlier (never with wx_mprotect: a W+X
 * request is that rule's). */
static void rule_x_after_w(struct mw_alerts *a, const struct mw_event *e, const struct mprot *m,
			   struct mw_alert *al, int *n)
{
	uint64_t rs = 0, re = 0;

	if ((m->prot & WX) == WX || !(m->prot & PROT_EXEC))
		return;
	if (m->applied && !m->c.x_after_w && e->eff_status == MW_EFF_OK && (e->eff_flags & MW_EFFF_ANON_WRITTEN) &&
	    (m->c.gap_bytes || (m->c.history_unknown && e->ts < mw_regions_seeded_at(a->regions, e->pid)))) {
		/* memory the map never saw (the kernel mapped it: stack,
		 * .data/.bss, the interpreter's; or the process's seed
		 * failed), or saw only in a /proc read made after this call
		 * (which shows its effect already) and no traced call has
		 * mapped since: the kernel says some of its pages were
		 * written. A range a traced mmap made (RWX, say) keeps its
		 * known history: RWX -> RX adds no exec. */
		struct mw_alert *x = mw_alert_add(al, n, MW_AL_X_AFTER_W);
		mw_alert_region(x, m->s, m->end);
		snap_describe(&a->snap, m->s, m->end, x);
		x->anon_written = 1;
		x->description = "memory of unknown history whose pages were written made executable "
				 "(stack, .data/.bss: code staged where the kernel mapped memory)";
		return;
	}
	if (m->applied ? !m->c.x_after_w : !snap_exec_added(&a->snap, m->s, m->end, 1, &rs, &re))
		return;
	if (m->applied)
		rs = m->c.xw_start, re = m->c.xw_end;
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_X_AFTER_W);
	mw_alert_region(x, rs, re);
	snap_describe(&a->snap, rs, re, x);
}

/* exec_fileless (region): PROT_EXEC given to memory mapped from a memfd,
 * deleted or tmpfs file that lacked it. */
static void rule_fileless_region(struct mw_alerts *a, const struct mprot *m, struct mw_alert *al, int *n)
{
	uint64_t rs = 0, re = 0;

	if (!(m->prot & PROT_EXEC) || !snap_exec_added(&a->fsnap, m->s, m->end, 0, &rs, &re))
		return;
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_EXEC_FILELESS);
	describe_fileless(x, MW_FL_REGION);
	mw_alert_region(x, rs, re);
	snap_describe(&a->snap, rs, re, x);
}

/* The fileless map follows the region map's change, where it has regions. */
static void fileless_mprotect(struct mw_alerts *a, const struct mw_event *e, const struct mprot *m)
{
	if (!m->applied)
		return;
	for (size_t i = 0; i < a->fsnap.n; i++) {
		uint64_t b = a->fsnap.v[i].start > m->s ? a->fsnap.v[i].start : m->s;
		uint64_t t = a->fsnap.v[i].end < m->end ? a->fsnap.v[i].end : m->end;
		if (b < t && mw_regions_mprotect(a->fileless, e->pid, b, t - b, m->prot & RWX, NULL))
			a->st.model_errors++;
	}
}

static int on_mprotect(struct mw_alerts *a, const struct mw_event *e, int ok, struct mw_alert *al)
{
	struct mprot m;
	int n = 0;

	if (!mprotect_apply(a, e, ok, &m))
		return 0;
	rule_wx_mprotect(a, e, &m, al, &n);
	rule_x_after_w(a, e, &m, al, &n);
	rule_fileless_region(a, &m, al, &n);
	fileless_mprotect(a, e, &m);
	return n;
}

static void on_munmap(struct mw_alerts *a, const struct mw_event *e)
{
	if (mw_regions_munmap(a->regions, e->pid, e->args[0], e->args[1]))
		a->st.model_errors++;
	if (mw_regions_state(a->fileless, e->pid) != MW_PROC_ABSENT &&
	    mw_regions_munmap(a->fileless, e->pid, e->args[0], e->args[1]))
		a->st.model_errors++;
}

static void on_mremap(struct mw_alerts *a, const struct mw_event *e)
{
	uint64_t na = (e->flags & MW_F_COMPAT) ? (uint32_t)e->ret : (uint64_t)e->ret;
	uint64_t fl = e->args[3] & 0xffffffffu;

	if (mw_regions_mremap(a->regions, e->pid, e->args[0], e->args[1], e->args[2], fl, na))
		a->st.model_errors++;
	if (mw_regions_state(a->fileless, e->pid) != MW_PROC_ABSENT &&
	    mw_regions_mremap(a->fileless, e->pid, e->args[0], e->args[1], e->args[2], fl, na))
		a->st.model_errors++;
}

/* dropped_code: a mapping or protection call that leaves executable memory
 * backed by a regular file written after the process began (its mtime, high),
 * changed after it began (its ctime only: renamed, chmod, an mtime set back;
 * medium), or written less than MW_DROPPED_WINDOW_S ago (medium: a dropper
 * that starts another process to load its file). The kernel side reads the
 * file's times from the VMA at exit (MW_EFFF_FILE_AGE); the call must have
 * asked for PROT_EXEC (or READ_IMPLIES_EXEC), so a loader's later mprotect
 * of data is not judged. Files on tmpfs, memfds and unlinked files are
 * exec_fileless's. */
static void rule_dropped_code(const struct mw_event *e, struct mw_alert *al, int *n)
{
	unsigned asked = (unsigned)(e->args[2] & RWX);
	enum mw_dropped_cause c;

	if (!(e->eff_flags & MW_EFFF_FILE_AGE) || *n >= MW_ALERTS_MAX)
		return;
	if ((e->personality & MW_READ_IMPLIES_EXEC) && (asked & PROT_READ))
		asked |= PROT_EXEC;
	if (!(asked & PROT_EXEC) || (e->flags & MW_F_ARGS_FAULT))
		return;
	for (int i = 0; i < *n; i++)
		if (al[i].kind == MW_AL_EXEC_FILELESS)
			return;
	if (e->eff_flags & MW_EFFF_WRITTEN_AFTER_START)
		c = MW_DR_WRITTEN_AFTER_START;
	else if (e->eff_flags & MW_EFFF_CHANGED_AFTER_START)
		c = MW_DR_CHANGED_AFTER_START;
	else if (e->file_age_s < MW_DROPPED_WINDOW_S)
		c = MW_DR_RECENT;
	else
		return;
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_DROPPED_CODE);
	x->dropped = (uint8_t)c;
	x->file_age_s = e->file_age_s;
	if (c == MW_DR_WRITTEN_AFTER_START)
		x->severity = MW_SEV_HIGH;
	if (e->eff_status == MW_EFF_OK)
		mw_alert_region(x, e->vma_start, e->vma_end);
}

/* wx_alias: the kernel found the VMA the call left reachable through another
 * view of the same pages (src/bpf/alias.bpf.h): executable memory with a
 * writable shared view, a writable shared view of executable memory, or
 * executable memory of a file open for writing. Only the calls that make or
 * change a mapping by request (shmat's segments are alerts_family.c's). */
static void rule_alias(const struct mw_event *e, struct mw_alert *al, int *n)
{
	unsigned f = e->eff_flags;

	if (e->eff_status != MW_EFF_OK || !(f & (MW_EFFF_ALIAS_VIEW | MW_EFFF_ALIAS_XVIEW | MW_EFFF_ALIAS_FD)) ||
	    *n >= MW_ALERTS_MAX)
		return;
	switch (e->event) {
	case MW_EV_MMAP: case MW_EV_MMAP2: case MW_EV_MPROTECT: case MW_EV_PKEY_MPROTECT: case MW_EV_MREMAP:
		break;
	default:
		return;
	}
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_WX_ALIAS);
	mw_alert_region(x, e->vma_start, e->vma_end);
	x->alias_fd = (f & MW_EFFF_ALIAS_FD) != 0;
	x->alias_via = (f & MW_EFFF_ALIAS_VIEW) ? MW_ALIAS_WRITABLE_VIEW
		       : (f & MW_EFFF_ALIAS_XVIEW) ? MW_ALIAS_EXEC_VIEW : MW_ALIAS_OPEN_FD;
	if (x->alias_via != MW_ALIAS_OPEN_FD) {
		x->alias_pid = e->alias_pid;
		x->alias_addr = e->alias_addr;
	}
	if (x->alias_via == MW_ALIAS_EXEC_VIEW)
		x->description = "writable view made of memory that is executable elsewhere";
	else if (x->alias_via == MW_ALIAS_OPEN_FD) {
		/* a capability, not a second mapping: also what a program that
		 * wrote a file and maps it while still holding it open shows */
		x->severity = MW_SEV_MEDIUM;
		x->description = "executable mapping of a file open for writing (write/pwrite change the code)";
	}
}

int mw_alerts_event(struct mw_alerts *a, const struct mw_view *v, struct mw_alert *out, int max)
{
	uint32_t owner = mw_mmshare_owner(a->share, v->e->pid);
	struct mw_event shared_e;
	struct mw_view shared_v;

	if (owner != v->e->pid) {
		/* a CLONE_VM child: its calls change its parent's memory, so they
		 * are judged on, and applied to, the map held under the owner */
		shared_e = *v->e;
		shared_e.pid = owner;
		shared_v = *v;
		shared_v.e = &shared_e;
		v = &shared_v;
	}
	const struct mw_event *e = v->e;
	struct mw_alert al[MW_ALERTS_MAX];
	int ok = !mw_is_error(e->ret), n = 0;
	/* refused requests are judged on their arguments too: killed by
	 * --kill-wx, or refused by seccomp (seen at exit only) */
	int judge = ok || (e->flags & (MW_F_ENFORCED | MW_F_EXIT_ONLY));

	if (e->event >= MW_EV_MAX ||
	    (e->event <= MW_EV_DO_MMAP && (e->flags & MW_F_ARGS_FAULT) && mw_effective_prot(e) < 0))
		return 0;
	if (e->event == MW_EV_DO_MMAP && (!ok || (e->flags & MW_F_IN_SYSCALL)))
		return 0; /* the syscall's own event judges that mapping */
	if (e->event != MW_EV_DO_MMAP)
		know_process(a, e->pid);
	switch (e->event) {
	case MW_EV_DO_MMAP:
		n = on_kernel_mmap(e, al);
		break;
	case MW_EV_EXEC:
		n = on_exec_file(e, al);
		break;
	case MW_EV_CODE_WRITE:
		n = mw_code_write_rule(e, a->proc_root, al); /* alert_codewrite.c */
		break;
	case MW_EV_MMAP:
	case MW_EV_MMAP2:
		if (judge)
			n = on_mmap(a, e, ok, al);
		if (ok)
			rule_dropped_code(e, al, &n);
		break;
	case MW_EV_MPROTECT:
	case MW_EV_PKEY_MPROTECT:
		n = on_mprotect(a, e, ok, al);
		if (ok)
			rule_dropped_code(e, al, &n);
		break;
	case MW_EV_MUNMAP:
		if (ok)
			on_munmap(a, e);
		break;
	case MW_EV_MREMAP:
		if (ok)
			on_mremap(a, e);
		break;
	default:
		break;
	}
	if (e->event != MW_EV_DO_MMAP) {
		/* the memory family (src/alerts_family.c), and the memfd-program check */
		mw_family_chain_mmap(a->fam, e, al, n);
		if (mw_family_event(a->fam, a->regions, a->fileless, v, al, &n, &a->st.model_errors))
			a->st.model_errors++;
		if (ok)
			rule_alias(e, al, &n);
	}
	if (e->flags & MW_F_ENFORCED) {
		/* the kernel killed the caller: that is always reported, in
		 * the kind its call deserves, even where the region map
		 * would not have judged it so */
		int has = 0;
		for (int i = 0; i < n; i++)
			has |= al[i].kind == MW_AL_WX_MAPPING || al[i].kind == MW_AL_WX_MPROTECT ||
			       al[i].kind == MW_AL_WX_ALIAS;
		if (!has && n < MW_ALERTS_MAX) {
			struct mw_alert *x = mw_alert_add(al, &n, e->event == MW_EV_MPROTECT ||
								       e->event == MW_EV_PKEY_MPROTECT
								       ? MW_AL_WX_MPROTECT : MW_AL_WX_MAPPING);
			if (e->eff_status == MW_EFF_OK)
				mw_alert_region(x, e->vma_start, e->vma_end);
		}
	}
	if ((e->flags & MW_F_CALL_ANON) && n < MW_ALERTS_MAX) {
		/* the kernel found the caller's instruction pointer in memory no
		 * regular file backs (capture.bpf.h): staged shellcode, or a JIT */
		struct mw_alert *x = mw_alert_add(al, &n, MW_AL_CALL_FROM_ANON);
		if (e->eff_status == MW_EFF_OK)
			mw_alert_region(x, e->vma_start, e->vma_end);
		x->call_via_ret = (e->flags & MW_F_CALL_ANON_RET) != 0;
	}
	if (!n)
		return 0;
	int from_vma;
	judged_prot(e, &from_vma);
	for (int i = 0; i < n; i++)
		al[i].judged_on_request = e->event != MW_EV_MUNMAP && e->event != MW_EV_MREMAP &&
					  e->event != MW_EV_EXEC && e->event != MW_EV_CODE_WRITE && !from_vma;
	if (mw_alerts_allowed(e) && !(e->flags & MW_F_ENFORCED)) {
		a->st.suppressed += (uint64_t)n;
		return 0;
	}
	if (n > max)
		n = max > 0 ? max : 0;
	if (n)
		memcpy(out, al, (size_t)n * sizeof *al);
	a->st.raised += (uint64_t)n;
	return n;
}
