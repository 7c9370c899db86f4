/* effect.bpf.h - what a call did: the VMA it made or changed (bpf_find_vma), the personality, the --allow verdict, and --kill-wx's W+X judgement on them. */
/* Included by mapwatch.bpf.c at this point of it: uses what it defines above. */
#ifndef MW_EFFECT_BPF_H
#define MW_EFFECT_BPF_H

/* ---- what the kernel did: the effective protection, read from the VMA ---- */

/* The effect of one call, carried into its record by fill_effect(). */
struct mw_effect {
	__u64 vm_flags, start, end;
	__u32 personality;
	__u16 status;  /* enum mw_eff_status */
	__u16 flags;   /* MW_EFFF_* */
	__u32 alias_pid;  /* MW_EFFF_ALIAS_VIEW/XVIEW: the other view's process (alias.bpf.h) */
	__u16 age_s;      /* MW_EFFF_FILE_AGE: struct mw_event.file_age_s (in alias_pid's padding) */
	__u64 alias_addr; /* and its address there */
};

#include "alias.bpf.h"

struct vma_ctx {
	__u64 addr;
	__u64 vm_flags, start, end;
	__u64 file, pgoff;      /* for the alias check (alias.bpf.h), read as numbers */
	__u64 mm_anon;          /* vm_mm, | 1 when vma->anon_vma is set (private pages written:
				 * MW_EFFF_ANON_WRITTEN); one word, not two: the frame is on the
				 * exit's longest call chain (512 bytes in all) */
	long r;
};

/* struct inode's times across kernels (CO-RE picks the one that exists; the
 * vmlinux.h of each arch is from one kernel only): 6.11 made them
 * i_{m,c}time_sec/_nsec, 6.7 __i_mtime and 6.6 __i_ctime, before that
 * i_mtime and i_ctime. */
struct inode___v611 {
	time64_t i_mtime_sec, i_ctime_sec;
	__u32 i_mtime_nsec, i_ctime_nsec;
} __attribute__((preserve_access_index));
struct inode___v67 {
	struct timespec64 __i_mtime, __i_ctime;
} __attribute__((preserve_access_index));
struct inode___v66 {
	struct timespec64 i_mtime, __i_ctime;
} __attribute__((preserve_access_index));
struct inode___v61 {
	struct timespec64 i_mtime, i_ctime;
} __attribute__((preserve_access_index));

#define MW_NSEC_MASK 0x3fffffffu

static __always_inline __s64 ts_ns(__s64 sec, __s64 nsec)
{
	return sec * 1000000000ll + nsec;
}

/* "Dropped code": how long ago inode ino's data was written (seconds,
 * 65535: or more) and whether it was written (MW_EFFF_WRITTEN_AFTER_START)
 * or changed (MW_EFFF_CHANGED_AFTER_START) after task's thread group was
 * created (the leader's fork, in CLOCK_REALTIME). Returns those bits and
 * MW_EFFF_FILE_AGE. Shared by the exit's VMA (vma_file_age) and the exec
 * (lifecycle.bpf.h's exec_file_check). */
static __always_inline __u16 inode_file_age(struct inode *ino, struct task_struct *task, __u16 *age_s)
{
	__s64 mt, ct, start, now, age;
	__u16 fl = MW_EFFF_FILE_AGE;

	if (bpf_core_field_exists(((struct inode___v611 *)ino)->i_mtime_sec)) {
		struct inode___v611 *i = (void *)ino;
		/* 6.13+ multigrain timestamps keep a flag in i_ctime_nsec's top
		 * bit (I_CTIME_QUERIED: someone stat'ed the file since its last
		 * change); read raw it adds 2.1 s to the ctime. Nanoseconds fit
		 * in 30 bits: the mask changes nothing else, on any kernel. */
		mt = ts_ns(BPF_CORE_READ(i, i_mtime_sec), BPF_CORE_READ(i, i_mtime_nsec) & MW_NSEC_MASK);
		ct = ts_ns(BPF_CORE_READ(i, i_ctime_sec), BPF_CORE_READ(i, i_ctime_nsec) & MW_NSEC_MASK);
	} else if (bpf_core_field_exists(((struct inode___v67 *)ino)->__i_mtime)) {
		struct inode___v67 *i = (void *)ino;
		mt = ts_ns(BPF_CORE_READ(i, __i_mtime.tv_sec), BPF_CORE_READ(i, __i_mtime.tv_nsec));
		ct = ts_ns(BPF_CORE_READ(i, __i_ctime.tv_sec), BPF_CORE_READ(i, __i_ctime.tv_nsec));
	} else if (bpf_core_field_exists(((struct inode___v66 *)ino)->__i_ctime)) {
		struct inode___v66 *i = (void *)ino;
		mt = ts_ns(BPF_CORE_READ(i, i_mtime.tv_sec), BPF_CORE_READ(i, i_mtime.tv_nsec));
		ct = ts_ns(BPF_CORE_READ(i, __i_ctime.tv_sec), BPF_CORE_READ(i, __i_ctime.tv_nsec));
	} else {
		struct inode___v61 *i = (void *)ino;
		mt = ts_ns(BPF_CORE_READ(i, i_mtime.tv_sec), BPF_CORE_READ(i, i_mtime.tv_nsec));
		ct = ts_ns(BPF_CORE_READ(i, i_ctime.tv_sec), BPF_CORE_READ(i, i_ctime.tv_nsec));
	}
	start = (__s64)BPF_CORE_READ(task, group_leader, start_boottime) + real_minus_boot_ns;
	now = (__s64)bpf_ktime_get_boot_ns() + real_minus_boot_ns;
	age = now - mt;
	/* unsigned division: the BPF ISA (clang 14) has no signed one */
	*age_s = age < 0 ? 0 : age >= 65535ll * 1000000000ll ? 65535 : (__u64)age / 1000000000ull;
	if (mt >= start)
		fl |= MW_EFFF_WRITTEN_AFTER_START;
	else if (ct >= start)
		fl |= MW_EFFF_CHANGED_AFTER_START;
	return fl;
}

/* "Dropped code" (alerts.c) of the file behind an executable VMA: its age
 * (inode_file_age). Regular files of disk file systems only. */
static __noinline int vma_file_age(struct mw_effect *ef, __u64 file, __u64 vm_flags)
{
	struct file *f = (struct file *)file;
	struct task_struct *task = bpf_get_current_task_btf();
	struct inode *ino;

	/* after the lookup, from the VMA's file pointer the callback kept, in a
	 * subprogram of its own: neither the callback's frame nor the exit's
	 * carries its locals (the exit's call chains stay under 512 bytes of
	 * stack on Debian 6.1's verifier too) */
	if (!real_minus_boot_ns || !(vm_flags & MW_VM_EXEC) || !f)
		return 0;
	ino = BPF_CORE_READ(f, f_inode);
	if ((BPF_CORE_READ(ino, i_mode) & MW_S_IFMT) != MW_S_IFREG)
		return 0;
	/* shared anonymous memory, memfds, tmpfs and hugetlbfs files are memory, not dropped
	 * files: x_after_w and exec_fileless judge them */
	__u64 magic = BPF_CORE_READ(ino, i_sb, s_magic);
	if (magic == MW_TMPFS_MAGIC || magic == MW_HUGETLBFS_MAGIC)
		return 0;
	/* the program's own file: the kernel mapped it at exec, and the exec
	 * itself judged it (exec_file_check) */
	if (BPF_CORE_READ(task, mm, exe_file, f_inode) == ino)
		return 0;
	ef->flags |= inode_file_age(ino, task, &ef->age_s);
	return 0;
}

static long vma_read(struct task_struct *task, struct vm_area_struct *vma, struct vma_ctx *c)
{
	c->vm_flags = vma->vm_flags;
	c->start = vma->vm_start;
	c->end = vma->vm_end;
	c->file = (__u64)BPF_CORE_READ(vma, vm_file);
	c->mm_anon = (__u64)BPF_CORE_READ(vma, vm_mm) | (vma->anon_vma != NULL); /* mm: aligned */
	c->pgoff = vma->vm_pgoff;
	return 0;
}

/* One try of the lookup; returns 1 (stop) unless the mmap lock was taken. */
static long vma_try(__u32 i, struct vma_ctx *c)
{
	c->r = bpf_find_vma(bpf_get_current_task_btf(), c->addr, vma_read, c, 0);
	return c->r != -MW_EBUSY;
}

/* Look up the VMA holding addr in the current task and record its real
 * vm_flags in ef. This is the one mechanism for every call that creates or
 * changes a mapping: call it at syscall exit with the address the kernel
 * returned (mmap, mmap2, old_mmap, mremap; shmat and the other calls of the
 * catalogue that return an address) or the address the call was given
 * (mprotect, pkey_mprotect, madvise-like calls), and add the call to the
 * switch in effect_of(). bpf_find_vma() only try-locks the mmap lock: while
 * another thread of the process holds it for writing the lookup fails with
 * -EBUSY. It is tried again, up to MW_VMA_TRIES times (a writer holds the
 * lock for microseconds); if it still fails, ef says MW_EFF_BUSY. Nothing is
 * ever guessed. */
#define MW_VMA_TRIES 256
static __always_inline void effect_lookup(struct mw_effect *ef, __u64 addr)
{
	struct vma_ctx c = { .addr = addr };

	/* the first try outside bpf_loop: it nearly always succeeds */
	c.r = bpf_find_vma(bpf_get_current_task_btf(), addr, vma_read, &c, 0);
	if (c.r == -MW_EBUSY)
		bpf_loop(MW_VMA_TRIES - 1, vma_try, &c, 0);
	if (c.r == 0) {
		ef->status = MW_EFF_OK;
		ef->vm_flags = c.vm_flags;
		ef->start = c.start;
		ef->end = c.end;
		vma_file_age(ef, c.file, c.vm_flags);
		if (c.mm_anon & 1)
			ef->flags |= MW_EFFF_ANON_WRITTEN;
		if (c.file)
			mw_alias_of(ef, c.file, c.mm_anon & ~1ull, c.pgoff);
	} else {
		ef->status = c.r == -MW_EBUSY ? MW_EFF_BUSY : c.r == -MW_ENOENT ? MW_EFF_NOVMA : MW_EFF_ERROR;
	}
}

/* Is the current process's executable in --allow (its inode, or that of a
 * directory above it, the walk crossing mounts up to the top of the mount
 * tree)? Cached per tgid until its next exec. */
struct allow_walk {
	struct dentry *d;
	struct mount *mnt;
	__u64 mnt_off;
	__u8 hit;
};

static long allow_step(__u32 i, struct allow_walk *c)
{
	/* locals: a CO-RE read must not go through this (non-kernel) struct */
	struct dentry *d = c->d;
	struct mount *mnt = c->mnt;
	struct mw_inode_key k = inode_key(BPF_CORE_READ(d, d_inode));
	struct vfsmount *vm = (struct vfsmount *)((void *)mnt + c->mnt_off);

	if (bpf_map_lookup_elem(&allow_ino, &k)) {
		c->hit = 1;
		return 1;
	}
	if (d == BPF_CORE_READ(vm, mnt_root)) {
		struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);
		if (mp == mnt)
			return 1;
		c->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		c->mnt = mp;
		return 0;
	}
	struct dentry *parent = BPF_CORE_READ(d, d_parent);
	if (parent == d)
		return 1;
	c->d = parent;
	return 0;
}

static __always_inline bool exe_allowed(__u32 tgid)
{
	__u8 *v, val;
	struct task_struct *task;
	struct file *exe;

	if (!allow_on)
		return false;
	v = bpf_map_lookup_elem(&allow_cache, &tgid);
	if (v)
		return *v == 2;
	task = (struct task_struct *)bpf_get_current_task();
	exe = BPF_CORE_READ(task, mm, exe_file);
	val = 1;
	if (exe) {
		struct allow_walk c = {
			.d = BPF_CORE_READ(exe, f_path.dentry),
			.mnt_off = bpf_core_field_offset(struct mount, mnt),
		};
		c.mnt = (struct mount *)((void *)BPF_CORE_READ(exe, f_path.mnt) - c.mnt_off);
		bpf_loop(MW_PATH_DEPTH, allow_step, &c, 0);
		if (c.hit)
			val = 2;
	}
	bpf_map_update_elem(&allow_cache, &tgid, &val, BPF_ANY);
	return val == 2;
}

/* old_mmap (i386 MW_I386_NR_OLD_MMAP) whose argument struct could not be read at entry (its
 * page not yet faulted in): the kernel's own copy has faulted it in, so read
 * it again now, and resolve the file it names. Global (verified once, its
 * locals in its own frame): a rare path kept out of the exit's stack. */
__noinline int mw_reread_old_mmap(struct pending *p, __u64 key, struct mw_effect *ef)
{
#if defined(__TARGET_ARCH_x86)
	__u64 a[6];
	struct scratch *s;

	if (!p || !ef)
		return 0;
	if (!(p->flags & MW_F_ARGS_FAULT) || !mw_is_old_mmap(p->event, p->flags, p->nr))
		return 0;
	for (int i = 0; i < 6; i++)
		a[i] = p->args[i];
	if (mw_read_old_mmap(a))
		return 0;
	for (int i = 0; i < 6; i++)
		p->args[i] = a[i];
	p->flags &= ~MW_F_ARGS_FAULT;
	ef->flags |= MW_EFFF_ARGS_REREAD;
	if (a[3] & MW_MAP_ANONYMOUS)
		return 0;
	p->flags |= MW_F_HAS_FILE;
	s = get_scratch();
	if (s && resolve_fd((struct task_struct *)bpf_get_current_task(), (int)a[4], &p->file, &s->pb, NULL)) {
		s->pb.flags = p->file.flags;
		if (bpf_map_update_elem(&pending_path, &key, &s->pb, BPF_ANY) == 0)
			p->has_path = 1;
	}
#endif
	return 0;
}

/* Which address of a call the VMA lookup reads: 1 the one it returned, 2
 * its first argument (calls that change a given range), 0 none (no lookup). */
static __always_inline int effect_addr_of(__u32 event)
{
	__u32 cl = mw_classes(event); /* the catalogue row's (a constant where event is) */

	if (cl & MW_CL_KERNEL)
		return 0; /* do_mmap: the kernel's own arguments, reported as they are */
	return cl & MW_CL_MAPS ? 1 : cl & MW_CL_PROTECTS ? 2 : 0;
}

/* The task's personality, into the effect when it has READ_IMPLIES_EXEC. */
static __always_inline void effect_personality(struct mw_effect *ef)
{
	__u32 pers = bpf_get_current_task_btf()->personality;

	if (pers & MW_READ_IMPLIES_EXEC)
		ef->personality = pers;
}

/* What the call did: the VMA it created or changed (for the calls that do),
 * the task's READ_IMPLIES_EXEC personality, and the --allow verdict.
 * A global function: the verifier checks it once, on its own, instead of
 * once per path of the exit that calls it (the dispatcher's exit, with the
 * event unknown, passed the 1M-instruction limit with it inlined), and its
 * lookup contexts live in its own frame, not the exit's. addr0 is the
 * call's first argument. Returns 0. */
__noinline int mw_effect_of(struct mw_effect *ef, __u32 event, __u64 addr0, long ret, __u32 tgid)
{
	bool ok = !(ret < 0 && ret >= -4095);

	if (!ef)
		return 0;
	effect_personality(ef);
	if (exe_allowed(tgid))
		ef->flags |= MW_EFFF_ALLOWED;
	switch (effect_addr_of(event)) {
	case 1:
		if (ok)
			effect_lookup(ef, (__u64)ret);
		break;
	case 2:
		/* ENOMEM: the kernel changed the mappings up to the first hole */
		if (ok || ret == -MW_ENOMEM)
			effect_lookup(ef, addr0);
		break;
	}
	return 0;
}

/* The --kill-wx verdict: memory both writable and executable, judged on the
 * VMA when it could be read, on the request otherwise (a call the kernel
 * refused, or a lookup that failed), READ_IMPLIES_EXEC included. mremap only
 * moves memory: its protection was judged when it was given. */
static __always_inline bool wx_verdict(const struct pending *p, const struct mw_effect *ef)
{
	int pi = mw_arg_by_fmt(p->event, MW_D_PROT);
	__u64 prot;

	if (p->event == MW_EV_MREMAP || p->event == MW_EV_DO_MMAP)
		return false;
	if (ef->flags & (MW_EFFF_ALIAS_VIEW | MW_EFFF_ALIAS_XVIEW | MW_EFFF_ALIAS_FD))
		return true; /* executable memory writable through another view (alias.bpf.h) */
	if (ef->status == MW_EFF_OK)
		return (ef->vm_flags & (MW_VM_WRITE | MW_VM_EXEC)) == (MW_VM_WRITE | MW_VM_EXEC);
	if (p->event == MW_EV_SHMAT && !(p->flags & MW_F_ARGS_FAULT)) {
		/* the request: SHM_EXEC on a segment attached writable */
		int si = mw_arg_by_fmt(p->event, MW_D_SHMAT_FLAGS);
		return si >= 0 && (p->args[si & 7] & MW_SHM_EXEC) && !(p->args[si & 7] & MW_SHM_RDONLY);
	}
	if (pi < 0 || (p->flags & MW_F_ARGS_FAULT))
		return false; /* nothing known: the record says so */
	prot = p->args[pi & 7];
	if ((ef->personality & MW_READ_IMPLIES_EXEC) && (prot & MW_PROT_READ))
		prot |= MW_PROT_EXEC;
	return (prot & (MW_PROT_WRITE | MW_PROT_EXEC)) == (MW_PROT_WRITE | MW_PROT_EXEC);
}

static __always_inline void fill_effect(struct mw_event *e, const struct mw_effect *ef)
{
	e->vm_flags = ef->vm_flags;
	e->vma_start = ef->start;
	e->vma_end = ef->end;
	e->personality = ef->personality;
	e->eff_status = ef->status;
	e->eff_flags = ef->flags;
	e->file_age_s = ef->age_s;
	e->alias_pid = ef->alias_pid;
	e->alias_addr = ef->alias_addr;
}

#endif
