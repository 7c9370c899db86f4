/* alerts.c - the alert engine: region maps per process, seeded from /proc and kept from the calls and lifecycle records; the rules that judge each call: alert_rules.c (one alert's construction and lines: alert.c). */
#include "alerts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "alert_rules.h"
#include "alerts_family.h"
#include "mmshare.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif

#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

struct mw_alerts {
	struct mw_regions *regions;   /* every region of every known process */
	struct mw_regions *fileless;  /* only the regions mapped from memfd/deleted/tmpfs files */
	char *proc_root;              /* NULL: no seeding */
	struct strbuf text, filt;     /* /proc/PID/maps, and its fileless lines */
	struct mw_snap snap, fsnap;  /* both maps over a call's range, before it */
	struct mw_alerts_stats st;
	struct mw_family *fam;        /* SysV shm, brk, memfd chains (alerts_family.c) */
	DIR *seed_dir;                /* seeding in progress (mw_alerts_seed_step) */
	struct mw_mmshare *share;     /* CLONE_VM/vfork children: whose map holds their memory */
	uint32_t cmd_pid;             /* the -- COMMAND mapwatch started (mw_alerts_set_command), 0: none */
	unsigned cmd_execs;           /* its execs seen, up to 2 */
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
	mw_snap_free(&a->snap);
	mw_snap_free(&a->fsnap);
	free(a);
}

void mw_alerts_set_command(struct mw_alerts *a, uint32_t pid)
{
	a->cmd_pid = pid;
	a->cmd_execs = 0;
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
		if (a->cmd_pid && r->pid == a->cmd_pid && a->cmd_execs < 2)
			a->cmd_execs++;
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

/* ---- applying a call to the region maps, for the rules to judge ---- */

/* End of [addr, addr+len) rounded up to unit; 0 when it would wrap. */
static uint64_t range_end(uint64_t addr, uint64_t len, uint64_t unit)
{
	if (len > UINT64_MAX - (unit - 1))
		return 0;
	uint64_t rl = (len + unit - 1) & ~(unit - 1);
	return rl > UINT64_MAX - addr ? 0 : addr + rl;
}

/* A mmap, mmap2 or old_mmap to judge (succeeded, or refused and judged on
 * its arguments): its region and what the range held into j, then, when it
 * succeeded, into the region maps. */
static void on_mmap(struct mw_alerts *a, const struct mw_event *e, int ok, struct mw_judge *j)
{
	uint32_t pid = e->pid;
	uint64_t len = e->args[1];
	int from_vma, jp = mw_judged_prot(e, &from_vma);
	unsigned prot = jp < 0 ? 0 : (unsigned)jp;
	uint64_t flags = e->args[3] & 0xffffffffu;
	uint64_t addr = (e->flags & MW_F_COMPAT) ? (uint32_t)e->ret : (uint64_t)e->ret;

	if ((e->flags & MW_F_ARGS_FAULT) && from_vma) {
		/* old_mmap unreadable twice: the VMA says where and how much */
		len = e->vma_end > addr ? e->vma_end - addr : MW_PAGE_SIZE;
		flags = (e->vm_flags & MW_VM_SHARED) ? MAP_SHARED : MAP_PRIVATE;
	}
	uint64_t unit = MW_PAGE_SIZE, end = 0;
	enum mw_fileless_cause fl = mw_fileless_cause(e, flags);
	int chardev = (e->flags & MW_F_HAS_FILE) && !(flags & MAP_ANONYMOUS) &&
		      e->file.kind == MW_FK_CHARDEV;
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
			mw_snap_take(&a->snap, a->regions, pid, addr, end);
			mw_snap_describe(&a->snap, addr, end, &proto);
		}
	}
	j->mapping = 1;
	j->prot = prot;
	j->fl = fl;
	j->chardev = chardev;
	j->proto = proto;
	if (!ok)
		return;
	if (mw_regions_mmap(a->regions, pid, addr, len, prot, flags))
		a->st.model_errors++;
	if (fl != MW_FL_NONE) {
		if (mw_regions_mmap(a->fileless, pid, addr, len, prot, flags))
			a->st.model_errors++;
	} else if (end > addr && mw_regions_state(a->fileless, pid) != MW_PROC_ABSENT) {
		if (mw_regions_munmap(a->fileless, pid, addr, end - addr))
			a->st.model_errors++;
	}
}

/* A mapping the kernel made on its own (do_mmap outside a mapping syscall:
 * the ELF loader at execve, shmat, drivers): judged by the same rules as
 * mmap, without touching the region maps (exec re-seeds them from /proc). */
static void on_kernel_mmap(const struct mw_event *e, struct mw_judge *j)
{
	unsigned prot = (unsigned)(e->args[2] & 0xffffffffu);
	uint64_t flags = e->args[3] & 0xffffffffu;
	enum mw_fileless_cause fl = mw_fileless_cause(e, flags);
	uint64_t addr = (uint64_t)e->ret;
	struct mw_alert proto;

	memset(&proto, 0, sizeof proto);
	uint64_t end = range_end(addr, e->args[1], MW_PAGE_SIZE);
	if (end > addr)
		mw_alert_region(&proto, addr, end);
	j->mapping = 1;
	j->prot = prot;
	j->fl = fl;
	j->chardev = (e->flags & MW_F_HAS_FILE) && e->file.kind == MW_FK_CHARDEV;
	j->proto = proto;
}

/* Snapshot both maps over the call's range, then apply the call to the
 * region map (a success, or an ENOMEM failure: Linux changed the mappings
 * up to the first hole). Fills *m; returns 0 when there is nothing to
 * judge (a range the kernel refuses, a failure that changed nothing and is
 * not enforced, an empty range). */
static int mprotect_apply(struct mw_alerts *a, const struct mw_event *e, int ok, struct mw_mprot *m)
{
	uint32_t pid = e->pid;
	uint64_t addr = e->args[0], len = e->args[1];
	int from_vma;
	uint64_t hi = range_end(addr, len, MW_PAGE_SIZE), lo = addr;

	memset(m, 0, sizeof *m);
	m->prot = (unsigned)(e->args[2] & 0xffffffffu & ~(unsigned)RWX) | (unsigned)mw_judged_prot(e, &from_vma);
	if (!hi || (addr & (MW_PAGE_SIZE - 1)))
		return 0;  /* the kernel refuses these: nothing was changed */
	if (m->prot & PROT_GROWSDOWN)
		lo = 0;    /* the change may extend down the stack mapping */
	mw_snap_take(&a->snap, a->regions, pid, lo, hi);
	mw_snap_take(&a->fsnap, a->fileless, pid, lo, hi);
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

/* The fileless map follows the region map's change, where it has regions. */
static void fileless_mprotect(struct mw_alerts *a, const struct mw_event *e, const struct mw_mprot *m)
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

/* A mprotect or pkey_mprotect: applied to both maps, its range into j
 * when there is one to judge. */
static void on_mprotect(struct mw_alerts *a, const struct mw_event *e, int ok, struct mw_judge *j)
{
	if (!mprotect_apply(a, e, ok, &j->m))
		return;
	j->range = 1;
	fileless_mprotect(a, e, &j->m);
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
	int ok = !mw_is_error(e->ret), n;
	/* refused requests are judged on their arguments too: killed by
	 * --kill-wx, or refused by seccomp (seen at exit only) */
	int judge = ok || (e->flags & (MW_F_ENFORCED | MW_F_EXIT_ONLY));
	struct mw_judge j;

	if (e->event >= MW_EV_MAX ||
	    (e->event <= MW_EV_DO_MMAP && (e->flags & MW_F_ARGS_FAULT) && mw_effective_prot(e) < 0))
		return 0;
	if (e->event == MW_EV_DO_MMAP && (!ok || (e->flags & MW_F_IN_SYSCALL)))
		return 0; /* the syscall's own event judges that mapping */
	if (e->event != MW_EV_DO_MMAP)
		know_process(a, e->pid);
	memset(&j, 0, sizeof j);
	j.v = v;
	j.e = e;
	j.ok = ok;
	j.snap = &a->snap;
	j.fsnap = &a->fsnap;
	j.regions = a->regions;
	j.fileless = a->fileless;
	j.fam = a->fam;
	j.errors = &a->st.model_errors;
	j.proc_root = a->proc_root;
	j.command_exec = e->event == MW_EV_EXEC && a->cmd_pid && e->pid == a->cmd_pid && a->cmd_execs == 1;
	switch (e->event) {
	case MW_EV_DO_MMAP:
		on_kernel_mmap(e, &j);
		break;
	case MW_EV_MMAP:
	case MW_EV_MMAP2:
		if (judge)
			on_mmap(a, e, ok, &j);
		break;
	case MW_EV_MPROTECT:
	case MW_EV_PKEY_MPROTECT:
		on_mprotect(a, e, ok, &j);
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
	n = mw_judge_run(&j, al);
	if (!n)
		return 0;
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
