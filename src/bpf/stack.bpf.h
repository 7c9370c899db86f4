/* stack.bpf.h - --stack: the caller's user stack, walked in the kernel at syscall exit and sent just before the event. */
#ifndef MW_STACK_BPF_H
#define MW_STACK_BPF_H

#include "stack_abi.h"

const volatile bool stack_on = false;
const volatile __u32 stack_depth = 32;  /* frames, 1..MW_STACK_MAX */

#define MW_VM_EXEC_FLAG 0x4
#define MW_STACK_SPAN (8u << 20)        /* a frame pointer lies this close above the stack pointer */
#define MW_SCAN_WORDS 32                /* words above the stack pointer searched for return addresses (a power of two) */

struct stack_buf {
	struct mw_stack_rec h;
	struct mw_stack_frame f[MW_STACK_MAX + 1];
	__u64 words[MW_SCAN_WORDS];  /* the top of the user stack, copied in one read */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_buf);
} stack_scratch SEC(".maps");

/* The state of one walk, carried through bpf_loop. */
struct unwind {
	__u64 sp, bp, vdso;
	__u64 vstart, vend, vbase, vino;  /* the last mapping looked up (a cache) */
	__u32 vdev;
	__u16 vflags;                     /* MW_SF_FILE / MW_SF_VDSO of it; 0xffff: not executable */
	__u16 stop;                       /* MW_ST_* */
	__u32 ws;                         /* word size: 4 (compat) or 8 */
	__u32 n, max;
	__u8 have_bp;
	__u8 copied;                      /* words[] holds the top of the stack */
};

struct vma_info {
	__u64 start, end, base, ino;
	__u32 dev;
	__u16 flags;
	__u8 exec;
};

static long stack_vma_cb(struct task_struct *task, struct vm_area_struct *vma, struct vma_info *vi)
{
	struct file *f = vma->vm_file;

	vi->start = vma->vm_start;
	vi->end = vma->vm_end;
	vi->exec = (vma->vm_flags & MW_VM_EXEC_FLAG) != 0;
	vi->base = vma->vm_start; /* offsets from the mapping's start */
	if (f) {
		struct inode *ino = f->f_inode;
		vi->flags = MW_SF_FILE;
		vi->base = vma->vm_start - (vma->vm_pgoff << 12);
		vi->ino = BPF_CORE_READ(ino, i_ino);
		vi->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	}
	return 0;
}

static __always_inline struct stack_buf *stack_buf(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&stack_scratch, &zero);
}

/* Is addr in an executable mapping? Fills the cache in u. */
static __always_inline bool stack_exec_addr(struct unwind *u, __u64 addr)
{
	if (addr >= u->vstart && addr < u->vend)
		return u->vflags != 0xffff;
	struct vma_info vi = {};
	long r = bpf_find_vma(bpf_get_current_task_btf(), addr, stack_vma_cb, &vi, 0);
	if (r) {
		if (r == -16) /* EBUSY */
			u->stop |= MW_ST_BUSY;
		return false;
	}
	u->vstart = vi.start;
	u->vend = vi.end;
	u->vbase = vi.base;
	u->vino = vi.ino;
	u->vdev = vi.dev;
	u->vflags = vi.exec ? vi.flags : 0xffff;
	if (vi.exec && vi.start == u->vdso)
		u->vflags |= MW_SF_VDSO;
	return vi.exec;
}

/* Append addr (known to be in the cached executable mapping). 1: full. */
static __always_inline int stack_push(struct unwind *u, __u64 addr, __u16 how)
{
	struct stack_buf *b = stack_buf();
	__u32 i = u->n;

	if (!b || i >= u->max || i >= MW_STACK_MAX) {
		u->stop |= MW_ST_DEPTH;
		return 1;
	}
	b->f[i].addr = addr;
	b->f[i].off = addr - u->vbase;
	b->f[i].ino = (u->vflags & MW_SF_FILE) ? u->vino : 0;
	b->f[i].dev = (u->vflags & MW_SF_FILE) ? u->vdev : 0;
	b->f[i].flags = how | (u->vflags & (MW_SF_FILE | MW_SF_VDSO));
	b->f[i].pad = 0;
	u->n = i + 1;
	return 0;
}

static __always_inline __u64 read_word(struct unwind *u, __u64 at, bool *ok)
{
	__u64 w = 0;
	__u32 w32 = 0;

	if (u->ws == 4) {
		*ok = bpf_probe_read_user(&w32, 4, (void *)at) == 0;
		return w32;
	}
	*ok = bpf_probe_read_user(&w, 8, (void *)at) == 0;
	return w;
}

/* Does a call instruction end right before ret? (x86: call rel32, or call
 * through a register or memory: ff /2 with any addressing form.) */
static __always_inline bool after_call(__u64 ret)
{
#if defined(__TARGET_ARCH_x86)
	__u8 b[8] = {};

	if (ret < 8 || bpf_probe_read_user(b, sizeof(b), (void *)(ret - 8)))
		return false;
	if (b[3] == 0xe8)
		return true;                                                  /* call rel32 */
	if (b[6] == 0xff && (b[7] & 0x38) == 0x10 && ((b[7] >> 6) == 3 || ((b[7] >> 6) == 0 && (b[7] & 7) != 4 && (b[7] & 7) != 5)))
		return true;                                                  /* call *%reg, *(%reg) */
	if (b[5] == 0xff && (b[6] & 0x38) == 0x10 && (b[6] >> 6) == 1 && (b[6] & 7) != 4)
		return true;                                                  /* call *d8(%reg) */
	if (b[4] == 0xff && (b[5] & 0x38) == 0x10 && (((b[5] >> 6) == 1 && (b[5] & 7) == 4) || ((b[5] >> 6) == 0 && (b[5] & 7) == 4)))
		return true;                                                  /* call *d8(sib), *(sib) */
	if (b[2] == 0xff && (b[3] & 0x38) == 0x10 && (((b[3] >> 6) == 2 && (b[3] & 7) != 4) || (b[3] & 0xc7) == 0x05))
		return true;                                                  /* call *d32(%reg), *d32(%rip), *%gs:d32 */
	if (b[1] == 0xff && (b[2] & 0x38) == 0x10 && (b[2] >> 6) == 2 && (b[2] & 7) == 4)
		return true;                                                  /* call *d32(sib) */
	return false;
#elif defined(__TARGET_ARCH_arm64)
	__u32 insn = 0;

	if (ret < 4 || bpf_probe_read_user(&insn, 4, (void *)(ret - 4)))
		return false;
	return (insn & 0xfc000000) == 0x94000000 || (insn & 0xfffffc1f) == 0xd63f0000; /* bl, blr */
#else
	return false;
#endif
}

/* A plausible frame pointer: above the stack pointer, aligned, not too far. */
static __always_inline bool fp_ok(struct unwind *u, __u64 fp, __u64 above)
{
	return fp > above && fp - u->sp < MW_STACK_SPAN && !(fp & (u->ws - 1));
}

/* Phase 1: words just above the stack pointer, below the first frame: the
 * return addresses of callers that keep no frame pointer (libc's syscall
 * wrappers, the vDSO). A word also serves as the frame pointer when the
 * registers had none (i386 passes a sixth argument in ebp). */
static long scan_step(__u32 i, struct unwind *u)
{
	__u64 at = u->sp + (__u64)i * u->ws;
	bool ok;

	if (u->have_bp && at >= u->bp)
		return 1;
	__u64 w;
	struct stack_buf *b = u->copied ? stack_buf() : NULL;
	if (b) {
		__u32 k = i & (MW_SCAN_WORDS - 1);
		w = u->ws == 4 ? ((__u32 *)b->words)[k] : b->words[k];
	} else {
		w = read_word(u, at, &ok);
		if (!ok)
			return 1;
	}
	if (!u->have_bp && fp_ok(u, w, at)) {
		__u64 r = read_word(u, w + u->ws, &ok);
		if (ok && stack_exec_addr(u, r) && after_call(r)) {
			u->bp = w;
			u->have_bp = 1;
			return 0;
		}
	}
	/* cheapest tests first: not a small number, not a pointer into the stack,
	 * a call instruction before it (a read of user memory), then in
	 * executable memory (a VMA lookup, the dearest test, cached) */
	if (w > 0x1000 && (w < u->sp || w - u->sp >= MW_STACK_SPAN) && after_call(w) && stack_exec_addr(u, w))
		return stack_push(u, w, MW_SF_SCAN);
	return 0;
}

/* Phase 2: the frame-pointer chain. */
static long fp_step(__u32 i, struct unwind *u)
{
	bool ok1, ok2;
	__u64 next = read_word(u, u->bp, &ok1);
	__u64 ret = read_word(u, u->bp + u->ws, &ok2);

	if (!ok1 || !ok2 || !ret) {
		u->stop |= ok1 && ok2 ? MW_ST_END : MW_ST_CUT;
		return 1;
	}
	if (!stack_exec_addr(u, ret)) {
		u->stop |= MW_ST_CUT;
		return 1;
	}
	if (stack_push(u, ret, MW_SF_FP))
		return 1;
	if (!next) {
		u->stop |= MW_ST_END;
		return 1;
	}
	if (!fp_ok(u, next, u->bp)) {
		u->stop |= MW_ST_CUT;
		return 1;
	}
	u->bp = next;
	return 0;
}

/* Walk the current task's user stack and send it as a MW_REC_STACK record.
 * Returns 1 when a record was committed. A global function: the verifier
 * checks it once, not again in every exit path of every program (inlined,
 * it took the dispatcher's exit past the verifier's 1M-instruction limit). */
__noinline int stack__emit(__u64 id, int compat)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct stack_buf *b = stack_buf();
	struct unwind u = {};
	__u64 ip;

	if (!b)
		return false;
	u.ws = compat ? 4 : 8;
	u.max = stack_depth < MW_STACK_MAX ? stack_depth : MW_STACK_MAX;
	u.vflags = 0xffff;
#if defined(__TARGET_ARCH_x86)
	ip = BPF_CORE_READ(regs, ip);
	u.sp = BPF_CORE_READ(regs, sp);
	u.bp = BPF_CORE_READ(regs, bp);
	u.vdso = (__u64)BPF_CORE_READ(task, mm, context.vdso);
#elif defined(__TARGET_ARCH_arm64)
	ip = BPF_CORE_READ(regs, pc);
	u.sp = BPF_CORE_READ(regs, sp);
	u.bp = BPF_CORE_READ(regs, regs[29]);
	u.vdso = (__u64)BPF_CORE_READ(task, mm, context.vdso);
#else
	return false;
#endif
	if (compat) {
		ip = (__u32)ip;
		u.sp = (__u32)u.sp;
		u.bp = (__u32)u.bp;
	}
	if (stack_exec_addr(&u, ip))
		stack_push(&u, ip, MW_SF_IP);
	u.have_bp = fp_ok(&u, u.bp, u.sp);
#if defined(__TARGET_ARCH_arm64)
	{
		/* a leaf's caller is in the link register */
		__u64 lr = BPF_CORE_READ(regs, regs[30]);
		if (compat)
			lr = (__u32)lr;
		if (after_call(lr) && stack_exec_addr(&u, lr))
			stack_push(&u, lr, MW_SF_SCAN);
	}
#else
	/* one read for the words to scan (word by word near the top of the stack) */
	if (compat)
		u.copied = bpf_probe_read_user(b->words, MW_SCAN_WORDS * 4, (void *)u.sp) == 0;
	else
		u.copied = bpf_probe_read_user(b->words, MW_SCAN_WORDS * 8, (void *)u.sp) == 0;
	bpf_loop(MW_SCAN_WORDS, scan_step, &u, 0);
#endif
	if (u.have_bp)
		bpf_loop(MW_STACK_MAX, fp_step, &u, 0);
	else
		u.stop |= MW_ST_NOFP;
	b->h.type = MW_REC_STACK;
	b->h.nframes = u.n;
	b->h.pid = id >> 32;
	b->h.tid = (__u32)id;
	b->h.flags = u.stop;
	b->h.compat = compat;
	__u32 n = u.n;
	if (n > MW_STACK_MAX)
		n = MW_STACK_MAX;
	if (bpf_ringbuf_output(&rb, b, sizeof(b->h) + (__u64)n * sizeof(struct mw_stack_frame), 0)) {
		count(MW_CNT_RB_FULL);
		return false;
	}
	count(MW_CNT_SUBMITTED);
	return true;
}

#endif
