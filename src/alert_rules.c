/* alert_rules.c - the alert rules: one function per judgement, a table of the calls each applies to, one dispatch (kinds and their defaults: alert.c; the region upkeep the rules judge on: alerts.c). */
#include "alert_rules.h"

#include <string.h>
#include <sys/mman.h>

#include "alert_codewrite.h"
#include "capture_abi.h"
#include "fileid.h"

#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define WX (PROT_WRITE | PROT_EXEC)

/* ---- what the rules share ---- */

/* The protection a call is judged on: the effective one, read by the kernel
 * from the VMA at syscall exit, when the event carries it (*from_vma = 1);
 * else the request, with READ_IMPLIES_EXEC applied as the kernel applies it
 * (*from_vma = 0); -1 when neither is known (old_mmap arguments unreadable
 * at entry and at exit, and no VMA). Only the PROT_READ|WRITE|EXEC bits. */
int mw_judged_prot(const struct mw_event *e, int *from_vma)
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

/* Why the file behind a mapping makes executable memory fileless. */
enum mw_fileless_cause mw_fileless_cause(const struct mw_event *e, uint64_t mflags)
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

/* /dev/zero (1:5) and /dev/null (1:3) mappings are anonymous memory, not device memory. */
static int anon_chardev(uint32_t rdev)
{
	return mw_kdev_major(rdev) == 1 && (mw_kdev_minor(rdev) == 5 || mw_kdev_minor(rdev) == 3);
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

/* ---- the rules, in the order of the table ---- */

/* wx_mapping: a new mapping writable and executable. */
static void rule_wx_mapping(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	if ((j->prot & WX) == WX)
		take_range(mw_alert_add(al, n, MW_AL_WX_MAPPING), &j->proto);
}

/* exec_fileless (mapping): executable memory mapped from a memfd, a deleted
 * file or a file on tmpfs. */
static void rule_fileless_mapping(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	if ((j->prot & PROT_EXEC) && j->fl != MW_FL_NONE) {
		struct mw_alert *x = mw_alert_add(al, n, MW_AL_EXEC_FILELESS);
		take_range(x, &j->proto);
		describe_fileless(x, j->fl);
	}
}

/* device_mapping: a character device mapped (not /dev/zero, /dev/null). */
static void rule_device_mapping(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	if (j->chardev && !anon_chardev(j->e->file.rdev)) {
		struct mw_alert *x = mw_alert_add(al, n, MW_AL_DEVICE_MAPPING);
		take_range(x, &j->proto);
		describe_device(x, j->e->file.rdev);
	}
}

/* A program run from a memfd, tmpfs or unlinked file (the "exec" event the
 * kernel sends at exec, before the program's first instruction): one
 * exec_fileless, judged at exec, whether or not the program ever makes a
 * mapping call. A memfd's alert gets its chain from alerts_family.c. */
static void rule_exec_fileless(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	const struct mw_event *e = j->e;
	static const char *const d[] = {
		[MW_FL_MEMFD] = "program executed from a memfd: no file on disk",
		[MW_FL_DELETED] = "program executed from a file with no link left (unlinked, or O_TMPFILE)",
		[MW_FL_TMPFS] = "program executed from a file on tmpfs (/dev/shm or another memory file system)",
	};
	enum mw_fileless_cause c = mw_fileless_cause(e, 0);

	if (c == MW_FL_NONE)
		return;
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_EXEC_FILELESS);
	x->fileless = (uint8_t)c;
	x->description = d[c];
	x->at_exec = 1;
}

/* wx_mprotect: writable and executable asked for, unless the range was all
 * RWX already (a JIT re-protecting its code cache: no transition); a call
 * --kill-wx killed is always reported. */
static void rule_wx_mprotect(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	const struct mw_event *e = j->e;
	const struct mw_mprot *m = &j->m;

	if ((m->prot & WX) != WX)
		return;
	if (!(e->flags & MW_F_ENFORCED) && mw_snap_all_wx(j->snap, m->s, m->end))
		return;
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_WX_MPROTECT);
	mw_alert_region(x, m->s, m->end);
	mw_snap_describe(j->snap, m->s, m->end, x);
}

/* x_after_w: executable without writable given to memory that lacked
 * PROT_EXEC and was writable now or earlier (never with wx_mprotect: a W+X
 * request is that rule's). */
static void rule_x_after_w(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	const struct mw_event *e = j->e;
	const struct mw_mprot *m = &j->m;
	uint64_t rs = 0, re = 0;

	if ((m->prot & WX) == WX || !(m->prot & PROT_EXEC))
		return;
	if (m->applied && !m->c.x_after_w && e->eff_status == MW_EFF_OK && (e->eff_flags & MW_EFFF_ANON_WRITTEN) &&
	    (m->c.gap_bytes || (m->c.history_unknown && e->ts < mw_regions_seeded_at(j->regions, e->pid)))) {
		/* memory the map never saw (the kernel mapped it: stack,
		 * .data/.bss, the interpreter's; or the process's seed
		 * failed), or saw only in a /proc read made after this call
		 * (which shows its effect already) and no traced call has
		 * mapped since: the kernel says some of its pages were
		 * written. A range a traced mmap made (RWX, say) keeps its
		 * known history: RWX -> RX adds no exec. */
		struct mw_alert *x = mw_alert_add(al, n, MW_AL_X_AFTER_W);
		mw_alert_region(x, m->s, m->end);
		mw_snap_describe(j->snap, m->s, m->end, x);
		x->anon_written = 1;
		x->description = "memory of unknown history whose pages were written made executable "
				 "(stack, .data/.bss: code staged where the kernel mapped memory)";
		return;
	}
	if (m->applied ? !m->c.x_after_w : !mw_snap_exec_added(j->snap, m->s, m->end, 1, &rs, &re))
		return;
	if (m->applied)
		rs = m->c.xw_start, re = m->c.xw_end;
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_X_AFTER_W);
	mw_alert_region(x, rs, re);
	mw_snap_describe(j->snap, rs, re, x);
}

/* exec_fileless (region): PROT_EXEC given to memory mapped from a memfd,
 * deleted or tmpfs file that lacked it. */
static void rule_fileless_region(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	const struct mw_mprot *m = &j->m;
	uint64_t rs = 0, re = 0;

	if (!(m->prot & PROT_EXEC) || !mw_snap_exec_added(j->fsnap, m->s, m->end, 0, &rs, &re))
		return;
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_EXEC_FILELESS);
	describe_fileless(x, MW_FL_REGION);
	mw_alert_region(x, rs, re);
	mw_snap_describe(j->snap, rs, re, x);
}

/* A dropped_code alert for the file the event carries the age of, with its
 * cause (written after the process began: high; changed after it began or
 * written under MW_DROPPED_WINDOW_S ago: medium); NULL when none holds. Both
 * dropped_code rules, at the mapping and at exec, end here. */
static struct mw_alert *dropped_add(const struct mw_event *e, struct mw_alert *al, int *n)
{
	enum mw_dropped_cause c;

	if (e->eff_flags & MW_EFFF_WRITTEN_AFTER_START)
		c = MW_DR_WRITTEN_AFTER_START;
	else if (e->eff_flags & MW_EFFF_CHANGED_AFTER_START)
		c = MW_DR_CHANGED_AFTER_START;
	else if (e->file_age_s < MW_DROPPED_WINDOW_S)
		c = MW_DR_RECENT;
	else
		return NULL;
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_DROPPED_CODE);
	x->dropped = (uint8_t)c;
	x->file_age_s = e->file_age_s;
	if (c == MW_DR_WRITTEN_AFTER_START)
		x->severity = MW_SEV_HIGH;
	return x;
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
static void rule_dropped_code(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	const struct mw_event *e = j->e;
	unsigned asked = (unsigned)(e->args[2] & RWX);

	if (!(e->eff_flags & MW_EFFF_FILE_AGE) || *n >= MW_ALERTS_MAX)
		return;
	if ((e->personality & MW_READ_IMPLIES_EXEC) && (asked & PROT_READ))
		asked |= PROT_EXEC;
	if (!(asked & PROT_EXEC) || (e->flags & MW_F_ARGS_FAULT))
		return;
	for (int i = 0; i < *n; i++)
		if (al[i].kind == MW_AL_EXEC_FILELESS)
			return;
	struct mw_alert *x = dropped_add(e, al, n);
	if (x && e->eff_status == MW_EFF_OK)
		mw_alert_region(x, e->vma_start, e->vma_end);
}

/* dropped_code at exec: the program just exec'd is a regular file of a disk
 * file system written after the process that exec'd it began (high),
 * changed after it began (medium) or written less than MW_DROPPED_WINDOW_S
 * ago (medium): the kernel sends such an exec with the file's age
 * (lifecycle.bpf.h's exec_file_check), before the program runs an
 * instruction, whether or not it ever makes a mapping call. */
static void rule_dropped_exec(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	const struct mw_event *e = j->e;

	/* the program mapwatch was told to run is the operator's choice */
	if (!(e->eff_flags & MW_EFFF_FILE_AGE) || j->command_exec || *n >= MW_ALERTS_MAX)
		return;
	struct mw_alert *x = dropped_add(e, al, n);
	if (!x)
		return;
	x->at_exec = 1;
	x->description = "a program file written while the process ran (or just before) executed: dropped code";
}

/* wx_alias: the kernel found the VMA the call left reachable through another
 * view of the same pages (src/bpf/alias.bpf.h): executable memory with a
 * writable shared view, a writable shared view of executable memory, or
 * executable memory of a file open for writing. Only the calls that make or
 * change a mapping by request (the table's row; shmat's segments are
 * alerts_family.c's). */
static void rule_wx_alias(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	const struct mw_event *e = j->e;
	unsigned f = e->eff_flags;

	if (e->eff_status != MW_EFF_OK || !(f & (MW_EFFF_ALIAS_VIEW | MW_EFFF_ALIAS_XVIEW | MW_EFFF_ALIAS_FD)) ||
	    *n >= MW_ALERTS_MAX)
		return;
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

/* The memory family's calls (shmat, shmdt, brk, memfd_create) and the
 * memfd-program check at a process's first event after exec: their rules
 * and their upkeep are alerts_family.c's. */
static void rule_family(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	if (mw_family_event(j->fam, j->regions, j->fileless, j->v, al, n, j->errors))
		(*j->errors)++;
}

/* An mmap's exec_fileless of a memfd gets the chain memfd_create -> mmap. */
static void rule_memfd_chain(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	mw_family_chain_mmap(j->fam, j->e, al, *n);
}

/* --kill-wx: the kernel killed the caller: that is always reported, in
 * the kind its call deserves, even where the region map would not have
 * judged it so. */
static void rule_killed(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	const struct mw_event *e = j->e;

	if (!(e->flags & MW_F_ENFORCED))
		return;
	int has = 0;
	for (int i = 0; i < *n; i++)
		has |= al[i].kind == MW_AL_WX_MAPPING || al[i].kind == MW_AL_WX_MPROTECT ||
		       al[i].kind == MW_AL_WX_ALIAS;
	if (!has && *n < MW_ALERTS_MAX) {
		struct mw_alert *x = mw_alert_add(al, n, e->event == MW_EV_MPROTECT ||
							 e->event == MW_EV_PKEY_MPROTECT
							 ? MW_AL_WX_MPROTECT : MW_AL_WX_MAPPING);
		if (e->eff_status == MW_EFF_OK)
			mw_alert_region(x, e->vma_start, e->vma_end);
	}
}

/* call_from_anon: the kernel found the caller's instruction pointer in
 * memory no regular file backs (capture.bpf.h): staged shellcode, or a JIT. */
static void rule_call_from_anon(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	const struct mw_event *e = j->e;

	if (!(e->flags & MW_F_CALL_ANON) || *n >= MW_ALERTS_MAX)
		return;
	struct mw_alert *x = mw_alert_add(al, n, MW_AL_CALL_FROM_ANON);
	if (e->eff_status == MW_EFF_OK)
		mw_alert_region(x, e->vma_start, e->vma_end);
	x->call_via_ret = (e->flags & MW_F_CALL_ANON_RET) != 0;
}

/* code_write: executable memory written from outside the mapping calls
 * (the rule is alert_codewrite.c's) */
static void rule_code_write(const struct mw_judge *j, struct mw_alert *al, int *n)
{
	if (*n < MW_ALERTS_MAX)
		*n += mw_code_write_rule(j->e, j->proc_root, al + *n);
}

/* ---- the table and its dispatch ---- */

#define EV(x) MW_EVBIT(MW_EV_##x)
#define MAPS (EV(MMAP) | EV(MMAP2) | EV(DO_MMAP))
#define PROTECTS (EV(MPROTECT) | EV(PKEY_MPROTECT))
#define ALL_CALLS (~0ull)

/* What a row needs of the call besides its event. */
enum {
	NEED_OK = 1,       /* the call succeeded */
	NEED_MAPPING = 2,  /* a mapping to judge (j->mapping) */
	NEED_RANGE = 4,    /* an mprotect range to judge (j->range) */
};

/* The rules in the order their alerts appear, each with the calls it
 * judges (event bits, MW_EVBIT). The engine drops do_mmap events the
 * syscall's own event judges before it gets here. A new kind of alert is a
 * rule function and a row here. */
static const struct rule {
	uint64_t calls;
	unsigned need;
	void (*fn)(const struct mw_judge *j, struct mw_alert *al, int *n);
} rules[] = {
	{ MAPS, NEED_MAPPING, rule_wx_mapping },
	{ MAPS, NEED_MAPPING, rule_fileless_mapping },
	{ MAPS, NEED_MAPPING, rule_device_mapping },
	{ EV(EXEC), 0, rule_exec_fileless },
	{ EV(EXEC), 0, rule_dropped_exec },
	{ EV(CODE_WRITE), 0, rule_code_write },
	{ PROTECTS, NEED_RANGE, rule_wx_mprotect },
	{ PROTECTS, NEED_RANGE, rule_x_after_w },
	{ PROTECTS, NEED_RANGE, rule_fileless_region },
	{ EV(MMAP) | EV(MMAP2) | PROTECTS, NEED_OK, rule_dropped_code },
	{ EV(MMAP) | EV(MMAP2), 0, rule_memfd_chain },
	{ ALL_CALLS & ~EV(DO_MMAP), 0, rule_family },
	{ EV(MMAP) | EV(MMAP2) | PROTECTS | EV(MREMAP), NEED_OK, rule_wx_alias },
	{ ALL_CALLS, 0, rule_killed },
	{ ALL_CALLS, 0, rule_call_from_anon },
};

int mw_judge_run(const struct mw_judge *j, struct mw_alert *al)
{
	const struct mw_event *e = j->e;
	int n = 0, from_vma;

	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
		const struct rule *r = &rules[i];
		if (!(r->calls & MW_EVBIT(e->event)) || ((r->need & NEED_OK) && !j->ok) ||
		    ((r->need & NEED_MAPPING) && !j->mapping) || ((r->need & NEED_RANGE) && !j->range))
			continue;
		r->fn(j, al, &n);
	}
	if (!n)
		return 0;
	mw_judged_prot(e, &from_vma);
	for (int i = 0; i < n; i++)
		al[i].judged_on_request = e->event != MW_EV_MUNMAP && e->event != MW_EV_MREMAP &&
					  e->event != MW_EV_EXEC && e->event != MW_EV_CODE_WRITE && !from_vma;
	return n;
}
