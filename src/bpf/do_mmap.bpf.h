/* do_mmap.bpf.h - the kernel-function hook on do_mmap (--events do_mmap): kprobe/kretprobe or fentry/fexit, the kernel's own arguments. */
/* Included by mapwatch.bpf.c at this point of it: uses what it defines above. */
#ifndef MW_DO_MMAP_BPF_H
#define MW_DO_MMAP_BPF_H

/* ---- kernel-function hook on do_mmap (--events do_mmap) ----
 * Every mapping goes through do_mmap: the syscalls, and the kernel's own
 * (ELF loader at execve, shmat, drivers). Attached as fentry/fexit where the
 * kernel allows it, kprobe/kretprobe otherwise (user space probes which). */
const volatile bool dm_has_vmflags = false; /* 6.3+ signature: vm_flags before pgoff */

static __always_inline int dm_enter(struct file *file, __u64 addr, __u64 len, __u64 prot,
				    __u64 flags, __u64 vm_flags, __u64 pgoff)
{
	__u64 id = bpf_get_current_pid_tgid(), key = id | DM_KEY;
	struct task_struct *task = bpf_get_current_task_btf();
	struct pending p = {};
	struct scratch *s = NULL;
	bool has_file = false, path_hit = false;

	if (!entry_wanted(MW_EV_DO_MMAP, id, key))
		return 0;
	p.ts = bpf_ktime_get_boot_ns();
	p.event = MW_EV_DO_MMAP;
	p.args[0] = addr;
	p.args[1] = len;
	p.args[2] = prot;
	p.args[3] = flags;
	p.args[4] = vm_flags;
	p.args[5] = pgoff;
	/* the syscall in progress, if any: a mapping syscall, or execve (the ELF loader), ... */
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	long nr = -1;
#if defined(__TARGET_ARCH_x86)
	nr = BPF_CORE_READ(regs, orig_ax);
#elif defined(__TARGET_ARCH_arm64)
	nr = BPF_CORE_READ(regs, syscallno);
#endif
	bool compat = task_in_compat_syscall(task);
	p.nr = nr < 0 ? 0xffff : (__u16)nr;
	if (compat)
		p.flags |= MW_F_COMPAT;
	if (nr >= 0 && nr_to_event(nr, compat) >= 0)
		p.flags |= MW_F_IN_SYSCALL;
	if (!dm_has_vmflags)
		p.flags |= MW_F_NO_VMFLAGS;
	if (file) {
		s = get_scratch();
		if (s) {
			describe_file(task, file, &p.file, &s->pb, &path_hit);
			s->pb.flags = p.file.flags;
			has_file = true;
		}
		p.flags |= MW_F_HAS_FILE;
	}
	if (!args_ok(MW_EV_DO_MMAP, p.args, &p.file, file != NULL, has_file, path_hit)) {
		struct pending *slot = pending_slot(key, true);
		count(MW_CNT_FILTERED);
		if (slot) {
			slot->ts = 0;
			slot->filtered = 1;
		}
		return 0;
	}
	if (has_file && s && !summary_on && bpf_map_update_elem(&pending_path, &key, &s->pb, BPF_ANY) == 0)
		p.has_path = 1;
	if (pending_put(key, &p))
		count(MW_CNT_PENDING_FULL);
	return 0;
}

SEC("kprobe/do_mmap")
int dm_kprobe(struct pt_regs *ctx)
{
	/* this libbpf's BPF_KPROBE stops at five arguments: read the registers */
	struct file *file = (struct file *)PT_REGS_PARM1(ctx);
	__u64 a6 = 0, pgoff, vmf = 0;

#if defined(__TARGET_ARCH_x86)
	a6 = ctx->r9;
#elif defined(__TARGET_ARCH_arm64)
	a6 = ctx->regs[5];
#endif
	pgoff = a6;
	if (dm_has_vmflags) {
		/* do_mmap(file, addr, len, prot, flags, vm_flags, pgoff, ...): the
		 * seventh argument is on the stack, above the return address */
		vmf = a6;
		pgoff = 0;
#if defined(__TARGET_ARCH_x86)
		bpf_probe_read_kernel(&pgoff, sizeof(pgoff), (void *)(PT_REGS_SP(ctx) + 8));
#elif defined(__TARGET_ARCH_arm64)
		pgoff = ctx->regs[6];
#endif
	}
	return dm_enter(file, PT_REGS_PARM2(ctx), PT_REGS_PARM3(ctx), PT_REGS_PARM4(ctx),
			PT_REGS_PARM5(ctx), vmf, pgoff);
}

SEC("kretprobe/do_mmap")
int BPF_KRETPROBE(dm_kretprobe, long ret)
{
	return emit_exit(bpf_get_current_pid_tgid() | DM_KEY, ret, -1, 0, 0);
}

/* fentry/fexit need the 6.3+ nine-argument signature (and trampolines that
 * pass stack arguments); user space only loads them when BTF says so. */
SEC("fentry/do_mmap")
int BPF_PROG(dm_fentry, struct file *file, unsigned long addr, unsigned long len,
	     unsigned long prot, unsigned long flags, unsigned long vm_flags, unsigned long pgoff)
{
	return dm_enter(file, addr, len, prot, flags, vm_flags, pgoff);
}

SEC("fexit/do_mmap")
int BPF_PROG(dm_fexit, struct file *file, unsigned long addr, unsigned long len,
	     unsigned long prot, unsigned long flags, unsigned long vm_flags, unsigned long pgoff,
	     unsigned long *populate, struct list_head *uf, long ret)
{
	return emit_exit(bpf_get_current_pid_tgid() | DM_KEY, ret, -1, 0, 0);
}

#endif
