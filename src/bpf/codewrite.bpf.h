/* codewrite.bpf.h - writes into executable memory from outside the mapping calls (issue #22): ptrace POKETEXT/POKEDATA, process_vm_writev, write()/pwrite() to /proc/PID/mem; the "code_write" event the alert engine judges. */
/* Included by mapwatch.bpf.c at this point of it: uses what it defines above. */
#ifndef MW_CODEWRITE_BPF_H
#define MW_CODEWRITE_BPF_H

/*
 * In alerts mode only: in dispatcher mode one more program on the raw
 * sys_exit tracepoint the dispatcher uses (cw_disp_exit: a per-syscall
 * tracepoint would put perf's syscall tracepoint path on every syscall of
 * the host); in the other modes "route" programs (hooks/load.c, PK_ROUTE)
 * on the exit tracepoints of ptrace, process_vm_writev, open/openat/openat2
 * and the write calls. A write call costs one hash lookup at its exit
 * unless its process opened a procfs "mem" file for writing (marked at the
 * open's exit in cw_memproc, inherited at fork). At the exit of a call
 * that succeeded the target's VMA at the address is read (bpf_find_vma on
 * the writer itself, or on a task from bpf_task_from_pid/_vpid where the
 * kernel has those kfuncs); an executable one, or one that could not be
 * read (user space then reads /proc/PID/maps), makes a code_write event.
 */

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern struct task_struct *bpf_task_from_vpid(s32 vpid) __ksym __weak; /* 6.13+: in current's pid namespace */
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

/* libbpf's bpf_ksym_exists() where its headers are older: a weak kfunc the
 * kernel lacks resolves to 0, and the verifier drops the branch that calls it */
#define cw_ksym_exists(sym) (!!(sym))

const volatile bool codewrite_on = false; /* alerts mode: set by hooks/load.c */
const volatile bool codewrite_in_disp = false; /* dispatcher mode: cw_disp_exit judges the routes */

#define MW_PTRACE_POKETEXT 4
#define MW_PTRACE_POKEDATA 5
#define MW_PROC_SUPER_MAGIC 0x9fa0
#define MW_FMODE_WRITE 0x2
#define MW_CW_IOV_MAX 8 /* remote iovecs of one process_vm_writev judged */

/* The call being judged: its route, number and target. */
struct cw_pending {
	__u32 pid;     /* target tgid/pid (ptrace, process_vm_writev: the caller's view) */
	__u16 nr;      /* syscall number */
	__u8 via;      /* enum mw_cw_via */
	__u8 pad;
};

/* Processes (tgids) that opened a procfs mem file for writing: their write
 * calls are looked at (the fd may be dup'ed or used by another thread). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} cw_memproc SEC(".maps");

/* The target VMA as the lookup saw it. */
struct cw_vma {
	__u64 addr, vm_flags, start, end, file;
	long r;
};

static long cw_vma_read(struct task_struct *task, struct vm_area_struct *vma, struct cw_vma *c)
{
	c->vm_flags = vma->vm_flags;
	c->start = vma->vm_start;
	c->end = vma->vm_end;
	c->file = (__u64)BPF_CORE_READ(vma, vm_file);
	return 0;
}

/* The lookup itself, into c (on the caller's stack, as bpf_find_vma wants). */
static __always_inline long cw_lookup_task(__u32 pid, __u64 addr, struct cw_vma *c, bool ns_pid)
{
	struct task_struct *cur = bpf_get_current_task_btf(), *t;
	long r;

	if (!ns_pid && pid == cur->tgid)
		return bpf_find_vma(cur, addr, cw_vma_read, c, 0);
	if (!cw_ksym_exists(bpf_task_release))
		return -1; /* Debian 6.1: user space reads /proc/PID/maps */
	if (!ns_pid && cw_ksym_exists(bpf_task_from_pid))
		t = bpf_task_from_pid(pid);
	else if (ns_pid && cw_ksym_exists(bpf_task_from_vpid))
		t = bpf_task_from_vpid(pid);
	else
		return -1;
	if (!t)
		return -MW_ENOENT;
	r = bpf_find_vma(t, addr, cw_vma_read, c, 0);
	bpf_task_release(t);
	return r;
}

/* Per-CPU room for what would not fit the 512 bytes of stack of the
 * dispatcher's exit chain (Debian 6.1's verifier): the call's registers and
 * the last lookup's VMA. */
struct cw_tmp {
	__u64 a[6];
	__u64 vm_flags, start, end, file;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cw_tmp);
} cw_tmp_map SEC(".maps");

static __always_inline struct cw_tmp *cw_tmp(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&cw_tmp_map, &zero);
}

/* Look up addr in the target: 0 with the VMA in cw_tmp, -ENOENT without a
 * VMA there, another negative number when it could not be judged here. */
static __noinline long cw_lookup(__u32 pid, __u64 addr, bool ns_pid)
{
	struct cw_tmp *o = cw_tmp();
	struct cw_vma c = { .addr = addr, .r = -1 };

	if (!o)
		return -1;
	c.r = cw_lookup_task(pid, addr, &c, ns_pid);
	o->vm_flags = c.vm_flags;
	o->start = c.start;
	o->end = c.end;
	o->file = c.file;
	return c.r;
}

/* Is file a procfs mem file (/proc/PID/mem, /proc/PID/task/TID/mem) open
 * for writing? Its target pid (host view) into *pid. Nobody can name a
 * file "mem" on procfs but the kernel. */
static __always_inline bool cw_is_mem_file(struct file *file, __u32 *pid)
{
	char name[4] = {};
	struct inode *ino = BPF_CORE_READ(file, f_inode);

	if (!file || !(BPF_CORE_READ(file, f_mode) & MW_FMODE_WRITE) ||
	    BPF_CORE_READ(ino, i_sb, s_magic) != MW_PROC_SUPER_MAGIC)
		return false;
	if (bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name)) != 4 ||
	    name[0] != 'm' || name[1] != 'e' || name[2] != 'm')
		return false;
	struct proc_inode *pi = container_of(ino, struct proc_inode, vfs_inode);
	*pid = BPF_CORE_READ(pi, pid, numbers[0].nr);
	return true;
}

static __always_inline struct file *cw_fd_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	unsigned int max = BPF_CORE_READ(fdt, max_fds);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= max || bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return NULL;
	return file;
}

/* Send the code_write event: the writer's context, the target's VMA (and
 * its file) as the call's effect. */
static __noinline int cw_emit(struct cw_pending *p, long ret, __u64 addr, __u64 len)
{
	struct scratch *s = get_scratch();
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct cw_tmp *c = cw_tmp();
	long r;

	if (!s || !c || !reporting)
		return 0;
	if (!((in_scope(tgid) && scope_ok(id)) || (follow_only && bpf_map_lookup_elem(&traced, &p->pid))))
		return 0;
	/* ptrace and process_vm_writev name the target in the writer's pid
	 * namespace: outside the host's, the kernel looks it up there
	 * (bpf_task_from_vpid, 6.13+), else user space judges it from the
	 * writer's own /proc (args[4] = 1) */
	bool ns_pid = p->via != MW_CW_PROC_MEM && task->thread_pid->level != 0;
	r = cw_lookup(p->pid, addr, ns_pid);
	/* a write that starts in data and runs on past its VMA: judged by its last byte's too */
	if (r == 0 && !(c->vm_flags & MW_VM_EXEC) && len > 1 && addr + len - 1 >= c->end)
		r = cw_lookup(p->pid, addr + len - 1, ns_pid);
	if (r == 0 && !(c->vm_flags & MW_VM_EXEC))
		return 0; /* data, not code: no event */
	if (r == -MW_ENOENT)
		return 0;
	struct mw_event *e = &s->ev;
	bool exe_ok = maybe_send_exe(s, task, tgid);
	__u32 plen = 0;
	e->flags = exe_ok ? 0 : MW_F_EXE_UNSENT;
	if (r == 0 && c->file) {
		describe_file(task, (struct file *)c->file, &e->file, &s->pb, NULL);
		plen = path_len_clamp(s->pb.len);
		bpf_probe_read_kernel(s->evpath, plen, s->pb.data);
		e->file.flags |= s->pb.flags;
		e->flags |= MW_F_HAS_FILE;
	} else {
		__builtin_memset(&e->file, 0, sizeof(e->file));
	}
	e->type = MW_REC_EVENT;
	e->event = MW_EV_CODE_WRITE;
	e->syscall_nr = p->nr;
	e->ts = bpf_ktime_get_boot_ns();
	e->args[0] = p->via;
	e->args[1] = p->pid;
	e->args[2] = addr;
	e->args[3] = len;
	e->args[4] = ns_pid;
	e->args[5] = 0;
	e->ret = ret;
	e->duration_ns = 0;
	e->file_age_s = 0;
	e->personality = 0;
	e->alias_pid = e->alias_pad = 0;
	e->alias_addr = 0;
	e->eff_flags = exe_allowed(tgid) ? MW_EFFF_ALLOWED : 0;
	if (r == 0) {
		e->eff_status = MW_EFF_OK;
		e->vm_flags = c->vm_flags;
		e->vma_start = c->start;
		e->vma_end = c->end;
	} else {
		e->eff_status = r == -MW_EBUSY ? MW_EFF_BUSY : MW_EFF_ERROR;
		e->vm_flags = e->vma_start = e->vma_end = 0;
	}
	if (mw_context(id)) {
		__builtin_memcpy(&e->cgroup_id, &s->cx.cgroup_id,
				 __builtin_offsetof(struct mw_event, duration_ns) -
					 __builtin_offsetof(struct mw_event, cgroup_id));
		__builtin_memcpy(e->comm, s->cx.comm, sizeof(e->comm));
	}
	e->path_len = plen;
	if (bpf_ringbuf_output(&rb, e, sizeof(*e) + plen, wake_flag(sizeof(*e) + plen)))
		count(MW_CNT_RB_FULL);
	else
		count(MW_CNT_SUBMITTED);
	return 0;
}

/* Every route is judged at the exit of its call alone, its arguments read
 * from the registers still saved in pt_regs: one hook per call (write is
 * the busiest call there is), and in dispatcher mode no hook of its own at
 * all but cw_disp_exit beside the dispatcher's. */

/* ---- ptrace(PTRACE_POKETEXT/POKEDATA, pid, addr, data) ---- */
static __always_inline int cw_ptrace_exit(long nr, long ret, const __u64 *a)
{
	struct cw_pending p = { .via = MW_CW_PTRACE, .nr = (__u16)nr, .pid = (__u32)a[1] };

	if (ret != 0 || (a[0] != MW_PTRACE_POKETEXT && a[0] != MW_PTRACE_POKEDATA))
		return 0;
	return cw_emit(&p, ret, a[2], sizeof(long));
}

/* ---- process_vm_writev(pid, local_iov, liovcnt, remote_iov, riovcnt, flags) ----
 * The remote iovecs are read from the writer's memory at the exit. */
struct cw_iov_walk {
	__u64 iov;     /* user address of the remote iovec array */
	__u64 n;
	__u32 pid;
	__u64 addr, len; /* the first remote range that lies in executable memory or could not be judged */
	__u8 hit;
};

static long cw_iov_step(__u32 i, struct cw_iov_walk *w)
{
	struct { __u64 base, len; } v = {};
	struct cw_tmp *c = cw_tmp();
	long r;

	if (!c || i >= w->n || bpf_probe_read_user(&v, sizeof(v), (void *)(w->iov + i * sizeof(v))))
		return 1;
	if (!v.len)
		return 0;
	r = cw_lookup(w->pid, v.base, bpf_get_current_task_btf()->thread_pid->level != 0);
	if ((r == 0 && (c->vm_flags & MW_VM_EXEC)) || (r != 0 && r != -MW_ENOENT)) {
		w->addr = v.base;
		w->len = v.len;
		w->hit = 1;
		return 1;
	}
	return 0;
}

static __noinline int cw_pvw_exit(long nr, long ret, const __u64 *a)
{
	struct cw_pending p = { .via = MW_CW_PVW, .nr = (__u16)nr, .pid = (__u32)a[0] };
	struct cw_iov_walk w = { .iov = a[3], .n = a[4], .pid = (__u32)a[0] };

	if (ret <= 0)
		return 0;
	bpf_loop(MW_CW_IOV_MAX, cw_iov_step, &w, 0);
	return w.hit ? cw_emit(&p, ret, w.addr, w.len) : 0;
}

/* ---- open of a procfs mem file for writing: mark the process ---- */
static __always_inline int cw_open_exit(long ret)
{
	__u32 pid, tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 one = 1;

	if (ret < 0 || !cw_is_mem_file(cw_fd_file((int)ret), &pid))
		return 0;
	bpf_map_update_elem(&cw_memproc, &tgid, &one, BPF_ANY);
	return 0;
}

/* ---- write calls of marked processes on a mem file ----
 * pos_arg: 3 for the offset argument (pwrite64, pwritev, pwritev2; -1 there
 * means the file position), -1 for the file position (write, writev), which
 * the call has already moved on by ret. */
static __always_inline int cw_write_exit(long nr, long ret, const __u64 *a, int pos_arg)
{
	struct cw_pending p = { .via = MW_CW_PROC_MEM, .nr = (__u16)nr };
	struct file *file = cw_fd_file((int)a[0]);
	__s64 pos;

	if (!cw_is_mem_file(file, &p.pid))
		return 0;
	pos = pos_arg == 3 ? (__s64)a[3] : -1;
	if (pos < 0)
		pos = BPF_CORE_READ(file, f_pos) - ret;
	return cw_emit(&p, ret, (__u64)pos, (__u64)ret);
}

/* Syscall numbers of the routes, native ABI. */
#if defined(__TARGET_ARCH_arm64)
#define MW_NR_CW_PTRACE 117
#define MW_NR_CW_PVW 271
#define MW_NR_CW_OPEN -1 /* arm64 has no open */
#define MW_NR_CW_OPENAT 56
#define MW_NR_CW_WRITE 64
#define MW_NR_CW_WRITEV 66
#define MW_NR_CW_PWRITE64 68
#define MW_NR_CW_PWRITEV 70
#define MW_NR_CW_PWRITEV2 287
#else
#define MW_NR_CW_PTRACE 101
#define MW_NR_CW_PVW 311
#define MW_NR_CW_OPEN 2
#define MW_NR_CW_OPENAT 257
#define MW_NR_CW_WRITE 1
#define MW_NR_CW_WRITEV 20
#define MW_NR_CW_PWRITE64 18
#define MW_NR_CW_PWRITEV 296
#define MW_NR_CW_PWRITEV2 328
#endif
#define MW_NR_CW_OPENAT2 437

/* The exit of native syscall nr with result ret: the route's judgement,
 * if nr is one. Cheap for every other call (a switch), and for a write
 * of a process that never opened a mem file for writing (one hash lookup). */
static __noinline int cw_route_exit(long nr, long ret)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct cw_tmp *t = cw_tmp();
	__u64 *a;

	if (!codewrite_on || !t)
		return 0;
	a = t->a;
	switch (nr) {
	case MW_NR_CW_OPEN:
	case MW_NR_CW_OPENAT:
	case MW_NR_CW_OPENAT2:
		return cw_open_exit(ret);
	case MW_NR_CW_PTRACE:
		args_from_regs(bpf_get_current_task_btf(), false, a);
		return cw_ptrace_exit(nr, ret, a);
	case MW_NR_CW_PVW:
		args_from_regs(bpf_get_current_task_btf(), false, a);
		return cw_pvw_exit(nr, ret, a);
	case MW_NR_CW_WRITE:
	case MW_NR_CW_WRITEV:
	case MW_NR_CW_PWRITE64:
	case MW_NR_CW_PWRITEV:
	case MW_NR_CW_PWRITEV2:
		if (ret <= 0 || !bpf_map_lookup_elem(&cw_memproc, &tgid))
			return 0;
		args_from_regs(bpf_get_current_task_btf(), false, a);
		return cw_write_exit(nr, ret, a, nr == MW_NR_CW_WRITE || nr == MW_NR_CW_WRITEV ? -1 : 3);
	}
	return 0;
}

/* Dispatcher mode: one more program on the raw sys_exit tracepoint the
 * dispatcher runs on already (no perf syscall tracepoint for every syscall
 * of the host, and a stack of its own beside disp_exit's). */
SEC("tp_btf/sys_exit")
int BPF_PROG(cw_disp_exit, struct pt_regs *regs, long ret)
{
	if (!codewrite_in_disp || task_in_compat_syscall(bpf_get_current_task_btf()))
		return 0;
	return cw_route_exit(regs_syscall_nr(regs), ret);
}

/* Tracepoint and function modes: a tracepoint per route (the dispatcher
 * is not attached, or not for native calls all the time). */
#define CW_TP(name)                                                             \
	SEC("tracepoint/syscalls/sys_exit_" #name)                              \
	int cw_exit_##name(struct trace_event_raw_sys_exit *ctx)                \
	{                                                                       \
		return cw_route_exit(ctx->id, ctx->ret);                        \
	}
CW_TP(ptrace)
CW_TP(process_vm_writev)
CW_TP(open)
CW_TP(openat)
CW_TP(openat2)
CW_TP(write)
CW_TP(pwrite64)
CW_TP(writev)
CW_TP(pwritev)
CW_TP(pwritev2)

/* fork: a child of a marked process inherits its fds (lifecycle.bpf.h) */
static __always_inline void cw_on_fork(__u32 ptgid, __u32 ctgid)
{
	__u8 one = 1;

	if (codewrite_on && bpf_map_lookup_elem(&cw_memproc, &ptgid))
		bpf_map_update_elem(&cw_memproc, &ctgid, &one, BPF_ANY);
}

static __always_inline void cw_on_exit(__u32 tgid)
{
	if (codewrite_on)
		bpf_map_delete_elem(&cw_memproc, &tgid);
}

#endif
