/* capture.bpf.h - evidence at the exit: the bytes of a region a call made executable (chunk records) and whether the call itself was made from anonymous memory (call_from_anon). */
/* Included by mapwatch.bpf.c after effect.bpf.h: uses its maps, counters and struct mw_effect. */
#ifndef MW_CAPTURE_BPF_H
#define MW_CAPTURE_BPF_H

#include "capture_abi.h"

/* the per-second budget: the second it counts, and the bytes taken in it */
__u64 cap_window = 0;
__u64 cap_used = 0;

#define MW_CAP_PAGE 4096ull
#define MW_CAP_PAGES_MAX (1u << 16)  /* 256 MiB: --capture-max is checked against it */

/* What backs a VMA: 0 nothing (anonymous), 1 a regular file (on disk, or
 * linked on the tmpfs that is the host's "/"), 2 a file that is not one on
 * disk (tmpfs/shmem: memfd, /dev/shm; hugetlbfs; deleted), 3 the vDSO and
 * other special mappings. */
struct backing_ctx {
	__u64 addr;
	__u64 start, end, vm_flags;
	int backing;
};

static __always_inline int file_backing(struct file *f)
{
	struct inode *ino;
	__u64 magic;

	if (!f)
		return 0;
	ino = BPF_CORE_READ(f, f_inode);
	if (BPF_CORE_READ(ino, i_nlink) == 0)
		return 2; /* memfd, unlinked, O_TMPFILE */
	magic = BPF_CORE_READ(ino, i_sb, s_magic);
	/* a tmpfs that is the host's root file system (an initramfs: the VM
	 * stages' programs, a system booted from RAM) is where programs live,
	 * as exec_file_check (lifecycle.bpf.h) judges it: static programs'
	 * own calls there came from a file, not from a drop zone */
	if (magic == MW_TMPFS_MAGIC && root_dev && BPF_CORE_READ(ino, i_sb, s_dev) == root_dev)
		return 1;
	if (magic == MW_TMPFS_MAGIC || magic == MW_HUGETLBFS_MAGIC)
		return 2;
	return 1;
}

static long backing_read(struct task_struct *task, struct vm_area_struct *vma, struct backing_ctx *c)
{
	c->start = vma->vm_start;
	c->end = vma->vm_end;
	c->vm_flags = vma->vm_flags;
	c->backing = file_backing(vma->vm_file);
	/* the vDSO has no file either: a 32-bit task's every call goes
	 * through __kernel_vsyscall there. Anonymous memory is what the kernel
	 * calls so (vma_is_anonymous: no vm_ops); the vDSO, vvar and the other
	 * special mappings have vm_ops (the address test alone missed the
	 * vDSO of 32-bit tasks on Debian's 6.1) */
	if (c->backing == 0 && (vma->vm_ops || c->start == (__u64)BPF_CORE_READ(task, mm, context.vdso)))
		c->backing = 3;
	return 0;
}

/* The backing of the VMA holding addr in the current task; -1 when it
 * could not be read (no VMA, lock contended). */
static __always_inline int vma_backing(__u64 addr)
{
	struct backing_ctx c = { .addr = addr, .backing = -1 };

	if (bpf_find_vma(bpf_get_current_task_btf(), addr, backing_read, &c, 0))
		return -1;
	return c.backing;
}

struct cap_ctx {
	__u64 start;      /* first page */
	__u64 ts;
	__u64 region_len;
	__u32 pid, tid;
	__u32 count;      /* pages to send */
	__u16 flags;      /* MW_CHUNK_TRUNC / BUDGET for every chunk */
	__u16 sent;       /* at least one chunk went out */
};

static long cap_page(__u32 i, struct cap_ctx *c)
{
	struct mw_chunk_rec *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);

	if (!r) {
		count(MW_CNT_CAP_RB_FULL);
		return 1;
	}
	r->type = MW_REC_CHUNK;
	r->flags = c->flags | (i + 1 == c->count ? MW_CHUNK_LAST : 0);
	r->pid = c->pid;
	r->tid = c->tid;
	r->index = i;
	r->count = c->count;
	r->pad = 0;
	r->ts = c->ts;
	r->addr = c->start + (__u64)i * MW_CAP_PAGE;
	r->region_len = c->region_len;
	/* not present (never touched, swapped out, a file page not yet
	 * mapped): the read fails without faulting and zeroes the page */
	if (bpf_probe_read_user(r->data, MW_CHUNK_BYTES, (void *)r->addr))
		r->flags |= MW_CHUNK_UNREAD;
	bpf_ringbuf_submit(r, 0);
	count(MW_CNT_CAP_PAGES);
	c->sent = 1;
	return 0;
}

/* Bytes the budget grants of want (whole pages, possibly 0). */
static __always_inline __u64 cap_grant(__u64 want)
{
	__u64 sec = bpf_ktime_get_boot_ns() / 1000000000ull;
	__u64 before;

	if (!capture_rate)
		return want;
	if (cap_window != sec) {
		/* racy between CPUs at a second's turn: at worst a second's
		 * budget is granted twice */
		cap_window = sec;
		cap_used = 0;
	}
	before = __sync_fetch_and_add(&cap_used, want);
	if (before >= capture_rate)
		return 0;
	if (before + want > capture_rate)
		return (capture_rate - before) & ~(MW_CAP_PAGE - 1);
	return want;
}

/* The pages of [start, end) (page-aligned) into chunk records marked flags,
 * bounded by --capture-max and the per-second budget: the tail every
 * capture shares. Global: verified once. Returns 1 when chunks went out. */
__noinline int mw_cap_region(__u64 start, __u64 end, __u64 ts, __u64 id, __u32 flags)
{
	struct cap_ctx c = {};
	__u64 want, got, pages;

	if (end <= start)
		return 0;
	c.region_len = end - start;
	want = c.region_len < capture_max ? c.region_len : capture_max;
	got = cap_grant(want);
	c.flags = flags;
	if (got < want) {
		count(MW_CNT_CAP_BUDGET);
		c.flags |= MW_CHUNK_BUDGET;
	}
	if (got < c.region_len)
		c.flags |= MW_CHUNK_TRUNC;
	pages = got / MW_CAP_PAGE;
	if (pages == 0)
		return 0;
	if (pages > MW_CAP_PAGES_MAX)
		pages = MW_CAP_PAGES_MAX;
	c.start = start;
	c.ts = ts;
	c.pid = id >> 32;
	c.tid = (__u32)id;
	c.count = pages;
	bpf_loop(pages, cap_page, &c, 0);
	return c.sent;
}

/* The call gave PROT_EXEC (ef: the VMA at exit, read by mw_effect_of) to
 * memory not backed by a regular file, or to writable memory (W+X): send
 * the region's bytes, page by page, before the event. Global: verified
 * once, not in every exit program. Returns 1 when chunks went out. */
__noinline int mw_capture(struct pending *p, struct mw_effect *ef, long ret, __u32 pid, __u32 tid)
{
	__u64 addr, len, start, end;

	if (!p || !ef || !capture_max)
		return 0;
	if (ef->status != MW_EFF_OK || !(ef->vm_flags & MW_VM_EXEC))
		return 0;
	if (ret < 0 && ret >= -4095)
		return 0;
	switch (p->event) {
	case MW_EV_MMAP:
	case MW_EV_MMAP2:
		addr = (__u64)ret;
		len = p->args[1];
		break;
	case MW_EV_MPROTECT:
	case MW_EV_PKEY_MPROTECT:
		addr = p->args[0];
		len = p->args[1];
		break;
	case MW_EV_SHMAT:
		addr = (__u64)ret;
		len = ef->end - addr;
		break;
	default:
		return 0;
	}
	if (!(ef->vm_flags & MW_VM_WRITE) && vma_backing(addr) == 1)
		return 0; /* code from a file on disk: its hash is the file's */
	start = addr & ~(MW_CAP_PAGE - 1);
	end = (addr + len + MW_CAP_PAGE - 1) & ~(MW_CAP_PAGE - 1);
	return mw_cap_region(start, end, p->ts, ((__u64)pid << 32) | tid, 0);
}

/* The end of the VMA holding addr when it is writable and executable now,
 * else 0. Global, its lookup's context on its own frame: the entry's call
 * chain (fn_enter) stays well under the 6.1 verifier's 512 bytes. */
__noinline __u64 mw_wx_vma_end(__u64 addr)
{
	struct backing_ctx b = { .addr = addr, .backing = -1 };

	if (bpf_find_vma(bpf_get_current_task_btf(), addr, backing_read, &b, 0) || b.start > addr)
		return 0;
	if ((b.vm_flags & (MW_VM_WRITE | MW_VM_EXEC)) != (MW_VM_WRITE | MW_VM_EXEC))
		return 0;
	return b.end;
}

/* The entry of a munmap or mprotect of memory that is writable and
 * executable now (mapped W+X, its code written after): its bytes before
 * the call unmaps them or takes a permission away, marked
 * MW_CHUNK_ENTRY. Returns 1 when chunks went out (the exit then copies
 * nothing more). Its own frame holds nothing but registers' spills. */
__noinline int mw_capture_wx_before(__u64 addr, __u64 len, __u64 ts, __u64 id)
{
	__u64 start, end, vend;

	if (!capture_max || !len)
		return 0;
	vend = mw_wx_vma_end(addr);
	if (!vend)
		return 0;
	start = addr & ~(MW_CAP_PAGE - 1);
	end = (addr + len + MW_CAP_PAGE - 1) & ~(MW_CAP_PAGE - 1);
	if (end > vend)
		end = vend; /* this VMA only */
	return mw_cap_region(start, end, ts, id, MW_CHUNK_ENTRY);
}

/* W+X regions per process (the start of the VMA a call left writable and
 * executable), copied again when the process exits: a region mapped W+X
 * whose code was written later and that is never unmapped or protected
 * again. A few per process: a JIT's many are one region or the same few. */
#define MW_WX_TRACK 8
struct wx_track {
	__u64 start[MW_WX_TRACK];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct wx_track);
} wx_track SEC(".maps");

/* A call left [start, ...) writable and executable in process tgid. */
__noinline int mw_wx_track_add(__u32 tgid, __u64 start)
{
	struct wx_track *w = bpf_map_lookup_elem(&wx_track, &tgid);
	struct wx_track z = {};
	int slot = -1;

	if (!w) {
		bpf_map_update_elem(&wx_track, &tgid, &z, BPF_NOEXIST);
		w = bpf_map_lookup_elem(&wx_track, &tgid);
		if (!w)
			return 0; /* map full: this region is copied at munmap/mprotect only */
	}
	for (int i = 0; i < MW_WX_TRACK; i++) {
		if (w->start[i] == start)
			return 0;
		if (!w->start[i] && slot < 0)
			slot = i;
	}
	if (slot < 0)
		slot = (start >> 12) % MW_WX_TRACK; /* all taken: one gives way */
	w->start[slot & (MW_WX_TRACK - 1)] = start;
	return 1;
}

/* The last thread of process tgid is exiting, its memory still there (the
 * sched_process_exit tracepoint runs before exit_mm since Linux 6.16; on
 * older kernels task->mm is gone by then and the caller does not come
 * here): the regions still writable and executable, marked MW_CHUNK_EXIT,
 * each one a capture of its own (the same ts; user space takes each at its
 * last chunk). Returns the captures sent. */
__noinline int mw_capture_exit(__u32 tgid, __u32 tid)
{
	struct wx_track *w = bpf_map_lookup_elem(&wx_track, &tgid);
	__u64 ts = bpf_ktime_get_boot_ns(), id = ((__u64)tgid << 32) | tid;
	int sent = 0;

	if (!w || !capture_max)
		return 0;
	for (int i = 0; i < MW_WX_TRACK; i++) {
		struct backing_ctx b = { .backing = -1 };
		__u64 a = w->start[i];

		if (!a || bpf_find_vma(bpf_get_current_task_btf(), a, backing_read, &b, 0) || b.start > a)
			continue;
		if ((b.vm_flags & (MW_VM_WRITE | MW_VM_EXEC)) != (MW_VM_WRITE | MW_VM_EXEC))
			continue;
		sent += mw_cap_region(b.start, b.end, ts, id, MW_CHUNK_EXIT);
	}
	return sent;
}

/* Was the current call made from memory no regular file backs? 1: its user
 * instruction pointer (the address after the syscall instruction) lies
 * there; 2: the instruction is a regular file's (a "syscall; ret" in libc
 * reached by a call from shellcode) but the return address the call left
 * (64-bit x86: the word at the stack pointer, arm64: the link register)
 * points into executable memory of that kind; 0: neither. */
__noinline int mw_call_from_anon(int compat)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct backing_ctx b = { .backing = -1 };
	__u64 ra = 0;
	int back;

	if (!regs)
		return 0;
	back = vma_backing(PT_REGS_IP_CORE(regs));
	if (back == 0 || back == 2)
		return 1;
	if (back != 1 || compat)
		return 0; /* (a 32-bit call goes through the vDSO: no return address at a fixed place) */
#if defined(__TARGET_ARCH_x86)
	if (bpf_probe_read_user(&ra, sizeof(ra), (void *)PT_REGS_SP_CORE(regs)))
		return 0;
#elif defined(__TARGET_ARCH_arm64)
	ra = PT_REGS_RET_CORE(regs);
#endif
	if (!ra || bpf_find_vma(bpf_get_current_task_btf(), ra, backing_read, &b, 0) || b.start > ra)
		return 0;
	return (b.vm_flags & MW_VM_EXEC) && (b.backing == 0 || b.backing == 2) ? 2 : 0;
}

#endif
