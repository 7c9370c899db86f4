/* codewrite.bpf.h - writes into executable memory from outside the mapping calls (issue #22): ptrace POKETEXT/POKEDATA, process_vm_writev, write()/pwrite() to /proc/PID/mem, userfaultfd UFFDIO_COPY/CONTINUE/MOVE; the "code_write" event the alert engine judges. */
/* Included by mapwatch.bpf.c at this point of it: uses what it defines above. */
#ifndef MW_CODEWRITE_BPF_H
#define MW_CODEWRITE_BPF_H

/*
 * These "route" programs are loaded and attached in alerts mode only
 * (hooks/load.c, PK_ROUTE), on the per-syscall tracepoints of rare calls
 * (ptrace, process_vm_writev) and of open/openat/openat2 and the write
 * calls. A write call costs one hash lookup at its exit unless its process
 * opened a procfs "mem" file for writing (marked at the open's exit in
 * cw_memproc, inherited at fork). At the exit of a call that
 * succeeded the target's VMA at the address is read (bpf_find_vma on the
 * target: the writer itself, or a task from bpf_task_from_pid where the
 * kernel has that kfunc); an executable one, or one that could not be read
 * (user space then reads /proc/PID/maps), makes a code_write event.
 */

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym __weak;
extern struct task_struct *bpf_task_from_vpid(s32 vpid) __ksym __weak; /* 6.13+: in current's pid namespace */
extern void bpf_task_release(struct task_struct *p) __ksym __weak;

/* libbpf's bpf_ksym_exists() where its headers are older: a weak kfunc the
 * kernel lacks resolves to 0, and the verifier drops the branch that calls it */
#define cw_ksym_exists(sym) (!!(sym))

const volatile bool codewrite_on = false; /* alerts mode: set by hooks/load.c */

#define MW_PTRACE_POKETEXT 4
#define MW_PTRACE_POKEDATA 5
#define MW_PROC_SUPER_MAGIC 0x9fa0
#define MW_FMODE_WRITE 0x2
#define MW_CW_IOV_MAX 8 /* remote iovecs of one process_vm_writev judged */

/* A call of a route between its entry and exit (task storage). */
struct cw_pending {
	__u64 addr;    /* target address (process_vm_writev: the remote iovec array) */
	__u64 len;     /* requested length (process_vm_writev: the iovec count) */
	__u32 pid;     /* target tgid/pid, host view (ptrace, process_vm_writev: the caller's view) */
	__u16 nr;      /* syscall number */
	__u8 via;      /* enum mw_cw_via; 0: nothing pending */
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct cw_pending);
} cw_pend SEC(".maps");

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

/* Look up addr in the target. Returns 0 with c filled, -ENOENT without a
 * VMA there, another negative number when it could not be judged here. */
static __noinline long cw_lookup(__u32 pid, __u64 addr, struct cw_vma *c, bool ns_pid)
{
	struct task_struct *cur = bpf_get_current_task_btf(), *t;

	c->addr = addr;
	c->r = -1;
	if (!ns_pid && pid == cur->tgid) {
		c->r = bpf_find_vma(cur, addr, cw_vma_read, c, 0);
		return c->r;
	}
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
	c->r = bpf_find_vma(t, addr, cw_vma_read, c, 0);
	bpf_task_release(t);
	return c->r;
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

static __always_inline void cw_put(__u8 via, __u16 nr, __u32 pid, __u64 addr, __u64 len)
{
	struct cw_pending *p = bpf_task_storage_get(&cw_pend, bpf_get_current_task_btf(), 0,
						    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!p)
		return;
	p->via = via;
	p->nr = nr;
	p->pid = pid;
	p->addr = addr;
	p->len = len;
}

/* The call's pending route, taken (cleared); NULL when none. */
static __always_inline bool cw_take(struct cw_pending *out)
{
	struct cw_pending *p = bpf_task_storage_get(&cw_pend, bpf_get_current_task_btf(), 0, 0);

	if (!p || !p->via)
		return false;
	*out = *p;
	p->via = 0;
	return true;
}

/* Send the code_write event: the writer's context, the target's VMA (and
 * its file) as the call's effect. */
static __noinline int cw_emit(struct cw_pending *p, long ret, __u64 addr, __u64 len)
{
	struct scratch *s = get_scratch();
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	struct cw_vma c = {};
	long r;

	if (!s || !reporting)
		return 0;
	if (!((in_scope(tgid) && scope_ok(id)) || (follow_only && bpf_map_lookup_elem(&traced, &p->pid))))
		return 0;
	/* ptrace and process_vm_writev name the target in the writer's pid
	 * namespace: outside the host's, the kernel looks it up there
	 * (bpf_task_from_vpid, 6.13+), else user space judges it from the
	 * writer's own /proc (args[4] = 1) */
	bool ns_pid = p->via != MW_CW_PROC_MEM && p->via != MW_CW_UFFD && task->thread_pid->level != 0;
	r = cw_lookup(p->pid, addr, &c, ns_pid);
	/* a write that starts in data and runs on past its VMA: judged by its last byte's too */
	if (r == 0 && !(c.vm_flags & MW_VM_EXEC) && len > 1 && addr + len - 1 >= c.end)
		r = cw_lookup(p->pid, addr + len - 1, &c, ns_pid);
	if (r == 0 && !(c.vm_flags & MW_VM_EXEC))
		return 0; /* data, not code: no event */
	if (r == -MW_ENOENT)
		return 0;
	struct mw_event *e = &s->ev;
	bool exe_ok = maybe_send_exe(s, task, tgid);
	__u32 plen = 0;
	e->flags = exe_ok ? 0 : MW_F_EXE_UNSENT;
	if (r == 0 && c.file) {
		describe_file(task, (struct file *)c.file, &e->file, &s->pb, NULL);
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
		e->vm_flags = c.vm_flags;
		e->vma_start = c.start;
		e->vma_end = c.end;
	} else {
		e->eff_status = r == -MW_EBUSY ? MW_EFF_BUSY : MW_EFF_ERROR;
		e->vm_flags = e->vma_start = e->vma_end = 0;
	}
	copy_context(e, s, id);
	e->path_len = plen;
	if (bpf_ringbuf_output(&rb, e, sizeof(*e) + plen, wake_flag(sizeof(*e) + plen)))
		count(MW_CNT_RB_FULL);
	else
		count(MW_CNT_SUBMITTED);
	return 0;
}

/* ---- ptrace(PTRACE_POKETEXT/POKEDATA, pid, addr, data) ---- */
SEC("tracepoint/syscalls/sys_enter_ptrace")
int cw_enter_ptrace(struct trace_event_raw_sys_enter *ctx)
{
	long req = ctx->args[0];

	if (!codewrite_on || (req != MW_PTRACE_POKETEXT && req != MW_PTRACE_POKEDATA))
		return 0;
	cw_put(MW_CW_PTRACE, (__u16)ctx->id, (__u32)ctx->args[1], ctx->args[2], sizeof(long));
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_ptrace")
int cw_exit_ptrace(struct trace_event_raw_sys_exit *ctx)
{
	struct cw_pending p;

	if (!codewrite_on || !cw_take(&p) || ctx->ret != 0)
		return 0;
	return cw_emit(&p, ctx->ret, p.addr, p.len);
}

/* ---- process_vm_writev(pid, local_iov, liovcnt, remote_iov, riovcnt, flags) ---- */
SEC("tracepoint/syscalls/sys_enter_process_vm_writev")
int cw_enter_pvw(struct trace_event_raw_sys_enter *ctx)
{
	if (codewrite_on)
		cw_put(MW_CW_PVW, (__u16)ctx->id, (__u32)ctx->args[0], ctx->args[3], ctx->args[4]);
	return 0;
}

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
	struct cw_vma c = {};
	long r;

	if (i >= w->n || bpf_probe_read_user(&v, sizeof(v), (void *)(w->iov + i * sizeof(v))))
		return 1;
	if (!v.len)
		return 0;
	r = cw_lookup(w->pid, v.base, &c, bpf_get_current_task_btf()->thread_pid->level != 0);
	if ((r == 0 && (c.vm_flags & MW_VM_EXEC)) || (r != 0 && r != -MW_ENOENT)) {
		w->addr = v.base;
		w->len = v.len;
		w->hit = 1;
		return 1;
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_process_vm_writev")
int cw_exit_pvw(struct trace_event_raw_sys_exit *ctx)
{
	struct cw_pending p;
	struct cw_iov_walk w = {};

	if (!codewrite_on || !cw_take(&p) || ctx->ret <= 0)
		return 0;
	w.iov = p.addr;
	w.n = p.len;
	w.pid = p.pid;
	bpf_loop(MW_CW_IOV_MAX, cw_iov_step, &w, 0);
	if (!w.hit)
		return 0;
	return cw_emit(&p, ctx->ret, w.addr, w.len);
}

/* ---- open of a procfs mem file for writing: mark the process ---- */
static __always_inline int cw_open_exit(long ret)
{
	__u32 pid, tgid = bpf_get_current_pid_tgid() >> 32;
	__u8 one = 1;

	if (!codewrite_on || ret < 0 || !cw_is_mem_file(cw_fd_file((int)ret), &pid))
		return 0;
	bpf_map_update_elem(&cw_memproc, &tgid, &one, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_open")
int cw_exit_open(struct trace_event_raw_sys_exit *ctx)
{
	return cw_open_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int cw_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	return cw_open_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int cw_exit_openat2(struct trace_event_raw_sys_exit *ctx)
{
	return cw_open_exit(ctx->ret);
}

/* ---- write calls of marked processes on a mem file ----
 * At the exit only (one tracepoint per call, not two: write is the busiest
 * call there is): a call that wrote something, of a marked process, has its
 * fd and offset read from the registers still saved in pt_regs.
 * pos_arg: 3 for the offset argument (pwrite64, pwritev, pwritev2; -1 there
 * means the file position), -1 for the file position (write, writev), which
 * the call has already moved on by ret. */
static __always_inline int cw_write_exit(long nr, long ret, int pos_arg)
{
	__u32 pid, tgid = bpf_get_current_pid_tgid() >> 32;
	struct cw_pending p = {};
	struct file *file;
	__u64 a[6];
	__s64 pos;

	if (!codewrite_on || ret <= 0 || !bpf_map_lookup_elem(&cw_memproc, &tgid))
		return 0;
	args_from_regs(bpf_get_current_task_btf(), false, a);
	file = cw_fd_file((int)a[0]);
	if (!cw_is_mem_file(file, &pid))
		return 0;
	pos = pos_arg == 3 ? (__s64)a[3] : -1;
	if (pos < 0)
		pos = BPF_CORE_READ(file, f_pos) - ret;
	p.via = MW_CW_PROC_MEM;
	p.nr = (__u16)nr;
	p.pid = pid;
	return cw_emit(&p, ret, (__u64)pos, (__u64)ret);
}

SEC("tracepoint/syscalls/sys_exit_write")
int cw_exit_write(struct trace_event_raw_sys_exit *ctx) { return cw_write_exit(ctx->id, ctx->ret, -1); }
SEC("tracepoint/syscalls/sys_exit_pwrite64")
int cw_exit_pwrite64(struct trace_event_raw_sys_exit *ctx) { return cw_write_exit(ctx->id, ctx->ret, 3); }
SEC("tracepoint/syscalls/sys_exit_writev")
int cw_exit_writev(struct trace_event_raw_sys_exit *ctx) { return cw_write_exit(ctx->id, ctx->ret, -1); }
SEC("tracepoint/syscalls/sys_exit_pwritev")
int cw_exit_pwritev(struct trace_event_raw_sys_exit *ctx) { return cw_write_exit(ctx->id, ctx->ret, 3); }
SEC("tracepoint/syscalls/sys_exit_pwritev2")
int cw_exit_pwritev2(struct trace_event_raw_sys_exit *ctx) { return cw_write_exit(ctx->id, ctx->ret, 3); }

/* ---- ioctl(uffd, UFFDIO_COPY/UFFDIO_CONTINUE/UFFDIO_MOVE, arg) ----
 * The page of a region registered with a userfaultfd supplied by its
 * handler (on first touch, or moved in): a write into that region that no
 * mapping call sees. At the exit only, as the write calls: ioctl is busy
 * (terminals, sockets, drivers). A call that failed returns at once, the
 * others after one read of the saved command register. The three commands'
 * structs start with the destination; the length is at 16 (copy, move) or
 * 8 (continue). A partial copy (-EAGAIN, some pages in) is not judged.
 * The target is the userfaultfd context's mm (the fd may have been passed
 * to another process or inherited over a fork): the caller's own VMA when
 * it is the caller's mm, else the VMA of mm->owner's process (CONFIG_MEMCG
 * kernels; cw_lookup: bpf_task_from_pid, or user space's /proc/PID/maps on
 * 6.1). Without mm->owner another process's region is not judged. The
 * 32-bit ioctl (compat) is not seen: its syscall tracepoints do not fire. */
#define MW_UFFDIO_CMD(nr, size) (0xc0000000u | ((__u32)(size) << 16) | 0xaa00u | (nr))
#define MW_UFFDIO_COPY MW_UFFDIO_CMD(0x03, sizeof(struct uffdio_copy))
/* 6.8+: struct uffdio_move is { dst, src, len, mode, move }, five __u64 (the
 * UAPI's fixed layout); written as a size, since the types the arm64 object
 * is built against (Debian 6.1's) have no such struct */
#define MW_UFFDIO_MOVE MW_UFFDIO_CMD(0x05, 5 * sizeof(__u64))
#define MW_UFFDIO_CONTINUE MW_UFFDIO_CMD(0x07, sizeof(struct uffdio_continue)) /* 5.13+ */

/* The userfaultfd context behind file (NULL when file is no userfaultfd):
 * its anonymous inode's dentry is named "[userfaultfd]". */
static __always_inline struct userfaultfd_ctx *cw_uffd_ctx(struct file *file)
{
	static const char want[14] = "[userfaultfd]";
	char name[14] = {};

	if (!file || bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name)) != 14)
		return NULL;
#pragma unroll
	for (int i = 0; i < 13; i++)
		if (name[i] != want[i])
			return NULL;
	return (struct userfaultfd_ctx *)BPF_CORE_READ(file, private_data);
}

/* The host tgid of the process whose mm is mm: the caller's, else mm->owner's; 0 when unknown. */
static __always_inline __u32 cw_mm_tgid(struct mm_struct *mm)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!mm)
		return 0;
	if (mm == task->mm)
		return task->tgid;
	if (!bpf_core_field_exists(mm->owner))
		return 0;
	return BPF_CORE_READ(mm, owner, tgid);
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int cw_exit_ioctl(struct trace_event_raw_sys_exit *ctx)
{
	struct cw_pending p = {};
	struct pt_regs *regs;
	__u64 a[6], v[3] = {};
	__u32 cmd;

	if (!codewrite_on || ctx->ret != 0)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	cmd = (__u32)PT_REGS_PARM2_CORE(regs);
	if (cmd != MW_UFFDIO_COPY && cmd != MW_UFFDIO_CONTINUE && cmd != MW_UFFDIO_MOVE)
		return 0;
	args_from_regs(bpf_get_current_task_btf(), false, a);
	struct userfaultfd_ctx *uctx = cw_uffd_ctx(cw_fd_file((int)a[0]));
	if (!uctx || bpf_probe_read_user(v, sizeof(v), (void *)a[2]))
		return 0;
	p.pid = cw_mm_tgid(BPF_CORE_READ(uctx, mm));
	if (!p.pid)
		return 0;
	p.via = MW_CW_UFFD;
	p.nr = (__u16)ctx->id;
	return cw_emit(&p, ctx->ret, v[0], cmd == MW_UFFDIO_CONTINUE ? v[1] : v[2]);
}

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
