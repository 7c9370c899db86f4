/* alias.bpf.h - alias views (issue #22): whether the pages of an executable file-backed VMA are
 * writable through another view (a writable shared mapping of the same file pages, in any process,
 * or an fd open for writing), and whether a new writable shared view covers pages mapped executable. */
/* Included by effect.bpf.h: uses what mapwatch.bpf.c defines above it. */
#ifndef MW_ALIAS_BPF_H
#define MW_ALIAS_BPF_H

/*
 * The kernel keeps, per file (struct address_space), every VMA that maps it in
 * an interval tree (i_mmap, ordered by vm_pgoff) and a count of the shared
 * mappings that may be written (i_mmap_writable). A MAP_SHARED|MAP_ANONYMOUS
 * region is a shmem file too: fork, mremap(old, 0, ...) and split VMAs keep
 * it in that file's tree. So, at the exit of a call that left:
 *  - an executable VMA of a regular file: the file open for writing anywhere
 *    (i_writecount > 0: write()/pwrite() reach the page cache the VMA maps)
 *    is MW_EFFF_ALIAS_FD; a writable shared VMA other than this one that
 *    covers some of the same file pages is MW_EFFF_ALIAS_VIEW. The tree is
 *    walked only when i_mmap_writable counts a writable shared mapping other
 *    than this one (a library's tree, with a VMA per process, is not);
 *  - a writable shared VMA of a regular file: an executable VMA other than
 *    this one that covers some of the same pages is MW_EFFF_ALIAS_XVIEW (the
 *    reverse order: code mapped first, a writable view made later).
 * The other view's process (mm->owner's tgid, 0 where the kernel has no
 * owner) and address go into the effect. The tree is read without its lock
 * (the walk only reads, through probe reads, and is bounded by
 * MW_ALIAS_STEPS): a tree changed under the walk can hide a view, never
 * crash or hang it. A tree larger than the bound is not fully seen.
 */
#define MW_ALIAS_STEPS 2048

/* The walk's state lives in a per-CPU map, not in a frame: mw_alias_of()
 * and its callback sit at the end of the exit's longest call chain, which
 * the verifier holds to 512 bytes of stack in all (6.1 counts the callback's
 * frame too). Like the event scratch (scratch_map), a program that preempts
 * this one on its CPU can spoil a walk: it then finds nothing, or a view
 * that is not one, never more than MW_ALIAS_STEPS steps. */
struct alias_walk {
	__u64 n;            /* current rb_node */
	__u64 self_mm, self_start; /* the VMA judged (skipped) */
	__u64 lo, hi;       /* its file pages, [lo, hi) */
	__u64 found;        /* the other view's address covering the first shared page */
	__u64 mm;           /* its mm */
	__u32 want;         /* vm_flags the other view must have (low bits) */
	__u32 state;        /* 0 visit n, 1 descend left from n, 2 ascend from n */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct alias_walk);
} alias_walk_map SEC(".maps");

static __always_inline struct alias_walk *alias_state(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&alias_walk_map, &zero);
}

static __always_inline int alias_visit(struct alias_walk *w)
{
	struct vm_area_struct *v = (struct vm_area_struct *)(w->n - bpf_core_field_offset(struct vm_area_struct, shared));
	__u64 fl = BPF_CORE_READ(v, vm_flags), pg = BPF_CORE_READ(v, vm_pgoff);
	__u64 s = BPF_CORE_READ(v, vm_start), e = BPF_CORE_READ(v, vm_end);
	__u64 pend = pg + ((e - s) >> 12), mm = (__u64)BPF_CORE_READ(v, vm_mm);

	if (pg >= w->hi)
		return 1; /* in-order is by first page: nothing later overlaps */
	if ((mm != w->self_mm || s != w->self_start) && (fl & w->want) == w->want && pend > w->lo) {
		w->found = s + ((pg < w->lo ? w->lo - pg : 0) << 12);
		w->mm = mm;
		return 1;
	}
	return 0;
}

/* One move of an in-order walk of the rb tree (parent pointers, no stack). */
static long alias_step(__u32 i, void *unused)
{
	struct alias_walk *w = alias_state();
	struct rb_node *n, *x;

	if (!w || !w->n)
		return 1;
	n = (struct rb_node *)w->n;
	switch (w->state) {
	case 0:
		if (alias_visit(w))
			return 1;
		x = BPF_CORE_READ(n, rb_right);
		if (x) {
			w->n = (__u64)x;
			w->state = 1;
		} else {
			w->state = 2;
		}
		return 0;
	case 1:
		x = BPF_CORE_READ(n, rb_left);
		if (x)
			w->n = (__u64)x;
		else
			w->state = 0;
		return 0;
	default: {
		struct rb_node *parent = (struct rb_node *)(BPF_CORE_READ(n, __rb_parent_color) & ~3ul);
		if (!parent) {
			w->n = 0;
			return 1;
		}
		if (BPF_CORE_READ(parent, rb_left) == n)
			w->state = 0;
		w->n = (__u64)parent;
		return 0;
	}
	}
}

/* Walk the file's i_mmap for a view other than self with want's vm_flags
 * over pages [lo, hi); fills the effect's alias fields. True when found. */
static __always_inline bool alias_find(struct mw_effect *ef, struct address_space *m, __u64 self_mm,
				       __u64 lo, __u64 hi, __u64 want)
{
	struct alias_walk *w = alias_state();

	if (!w)
		return false;
	*w = (struct alias_walk){
		.n = (__u64)BPF_CORE_READ(m, i_mmap.rb_leftmost),
		.self_mm = self_mm, .self_start = ef->start, .lo = lo, .hi = hi, .want = (__u32)want,
	};
	bpf_loop(MW_ALIAS_STEPS, alias_step, NULL, 0);
	w = alias_state(); /* the verifier forgets it across the call */
	if (!w || !w->found)
		return false;
	ef->alias_addr = w->found;
	if (bpf_core_field_exists(struct mm_struct, owner)) {
		struct mm_struct *mm = (struct mm_struct *)w->mm;
		ef->alias_pid = BPF_CORE_READ(mm, owner, tgid);
	}
	return true;
}

/* An executable VMA of any process over file pages [lo, hi) of m: its
 * address (of the first such page) into *addr, its mm into *mm. For
 * code_write's file route: a write through an fd into pages mapped
 * executable. The tree is walked only when it holds a VMA at all, for at
 * most steps moves. */
static __always_inline bool alias_exec_view(struct address_space *m, __u64 lo, __u64 hi, __u32 steps, __u64 *addr,
					    __u64 *mm)
{
	struct alias_walk *w = alias_state();

	if (!w || !m || !BPF_CORE_READ(m, i_mmap.rb_root.rb_node))
		return false;
	*w = (struct alias_walk){ .n = (__u64)BPF_CORE_READ(m, i_mmap.rb_leftmost), .lo = lo, .hi = hi,
				  .want = MW_VM_EXEC };
	bpf_loop(steps, alias_step, NULL, 0);
	w = alias_state(); /* the verifier forgets it across the call */
	if (!w || !w->found)
		return false;
	*addr = w->found;
	*mm = w->mm;
	return true;
}

/* The alias flags of the VMA the effect describes (status MW_EFF_OK), whose
 * vm_file, vm_mm and vm_pgoff the lookup read (as numbers: the VMA is not
 * held here). A global function, as
 * mw_effect_of() is, with the walk's state in its own frame. Returns 0. */
__noinline int mw_alias_of(struct mw_effect *ef, __u64 file, __u64 mm, __u64 pgoff)
{
	struct file *f = (struct file *)file;
	struct inode *ino;
	struct address_space *m;
	__u64 vmf, hi;

	if (!ef || !f)
		return 0;
	ino = BPF_CORE_READ(f, f_inode);
	if ((BPF_CORE_READ(ino, i_mode) & MW_S_IFMT) != MW_S_IFREG)
		return 0; /* devices, sockets: their mappings are not file pages */
	m = BPF_CORE_READ(f, f_mapping);
	vmf = ef->vm_flags;
	hi = pgoff + ((ef->end - ef->start) >> 12);
	if (vmf & MW_VM_EXEC) {
		int self_w = (vmf & (MW_VM_SHARED | MW_VM_MAYWRITE)) == (MW_VM_SHARED | MW_VM_MAYWRITE);
		if (BPF_CORE_READ(ino, i_writecount.counter) > 0)
			ef->flags |= MW_EFFF_ALIAS_FD;
		if (BPF_CORE_READ(m, i_mmap_writable.counter) > self_w &&
		    alias_find(ef, m, mm, pgoff, hi, MW_VM_SHARED | MW_VM_WRITE))
			ef->flags |= MW_EFFF_ALIAS_VIEW;
	} else if ((vmf & (MW_VM_SHARED | MW_VM_WRITE)) == (MW_VM_SHARED | MW_VM_WRITE)) {
		if (alias_find(ef, m, mm, pgoff, hi, MW_VM_EXEC))
			ef->flags |= MW_EFFF_ALIAS_XVIEW;
	}
	return 0;
}

#endif
