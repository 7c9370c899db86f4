/* codewrite.bpf.h - writes into executable memory from outside the mapping calls (issue #22): ptrace POKETEXT/POKEDATA, process_vm_writev, write()/pwrite() to /proc/PID/mem, userfaultfd UFFDIO_COPY/CONTINUE/MOVE; the "code_write" event the alert engine judges. */
/* Included by mapwatch.bpf.c at this point of it: uses what it defines above. */
#ifndef MW_CODEWRITE_BPF_H
#define MW_CODEWRITE_BPF_H

/*
 * The routes (mw_calls.h's MW_ROUTES) are judged at their exit by one
 * function, cw_route_exit, whichever hook brought the call there (hooks.bpf.h:
 * the dispatcher by number, function mode's fexit slots, or per-syscall
 * tracepoints), for native and 32-bit calls alike; the arguments are read
 * from the registers pt_regs still holds at the exit. Alerts mode only. A
 * write call costs one hash lookup at its exit unless its process opened a
 * procfs "mem" file for writing (marked at the open's exit in cw_memproc,
 * inherited at fork). At the exit of a call that succeeded the target's VMA
 * at the address is read (bpf_find_vma on the target: the writer itself, or
 * a task from bpf_task_from_pid where the kernel has that kfunc); an
 * executable one, or one that could not be read (user space then reads
 * /proc/PID/maps), makes a code_write event.
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
/* VMAs of a file opened for writing looked at for an executable one (an
 * open is frequent, a file mapped by more processes than this rare; the
 * writes of a process marked so walk only the pages they wrote) */
#define MW_CW_OPEN_STEPS 256

/* The route call being judged. */
struct cw_call {
	__u64 addr;    /* target address (process_vm_writev: the remote iovec array) */
	__u64 len;     /* requested length (process_vm_writev: the iovec count) */
	__u32 pid;     /* target tgid/pid, host view (ptrace, process_vm_writev: the caller's view) */
	__u16 nr;      /* syscall number */
	__u8 via;      /* enum mw_cw_via */
	__u8 compat;   /* a 32-bit call */
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

/* A route call's arguments, its description and its target's VMA, off the stack: the
 * dispatcher's exit, cw_route_exit and cw_emit must fit one call chain's
 * 512 bytes. Per CPU: a program runs to its end on its CPU. */
struct cw_scratch {
	__u64 a[6];
	struct cw_call p;
	struct cw_vma c;  /* cw_emit's target VMA */
	__u64 v[3];       /* a userfaultfd command's first words */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cw_scratch);
} cw_scratch_map SEC(".maps");

static long cw_vma_read(struct task_struct *task, struct vm_area_struct *vma, struct cw_vma *c)
{
	c->vm_flags = vma->vm_flags;
	c->start = vma->vm_start;
	c->end = vma->vm_end;
	c->file = (__u64)BPF_CORE_READ(vma, vm_file);
	return 0;
}

/* Look up addr in the target. Returns 0 with *out filled, -ENOENT without
 * a VMA there, another negative number when it could not be judged here.
 * out may be map memory: bpf_find_vma's context is a copy on this frame. */
static __noinline long cw_lookup(__u32 pid, __u64 addr, struct cw_vma *out, bool ns_pid)
{
	struct task_struct *cur = bpf_get_current_task_btf(), *t;
	struct cw_vma c = { .addr = addr, .r = -1 };

	if (!ns_pid && pid == cur->tgid) {
		c.r = bpf_find_vma(cur, addr, cw_vma_read, &c, 0);
		goto out;
	}
	if (!cw_ksym_exists(bpf_task_release))
		goto out; /* Debian 6.1: user space reads /proc/PID/maps */
	if (!ns_pid && cw_ksym_exists(bpf_task_from_pid))
		t = bpf_task_from_pid(pid);
	else if (ns_pid && cw_ksym_exists(bpf_task_from_vpid))
		t = bpf_task_from_vpid(pid);
	else
		goto out;
	if (!t) {
		c.r = -MW_ENOENT;
		goto out;
	}
	c.r = bpf_find_vma(t, addr, cw_vma_read, &c, 0);
	bpf_task_release(t);
out:
	*out = c;
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
static __noinline int cw_emit(struct cw_call *p, long ret, __u64 addr, __u64 len)
{
	struct scratch *s = get_scratch();
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0, tgid = id >> 32;
	struct cw_scratch *x = bpf_map_lookup_elem(&cw_scratch_map, &zero);
	long r;

	if (!s || !x || !reporting)
		return 0;
	struct cw_vma *c = &x->c; /* off the stack: this frame is on the dispatcher's chain */
	if (!((in_scope(tgid) && scope_ok(id)) || (follow_only && bpf_map_lookup_elem(&traced, &p->pid))))
		return 0;
	/* ptrace and process_vm_writev name the target in the writer's pid
	 * namespace: outside the host's, the kernel looks it up there
	 * (bpf_task_from_vpid, 6.13+), else user space judges it from the
	 * writer's own /proc (args[4] = 1) */
	bool ns_pid = p->via != MW_CW_PROC_MEM && p->via != MW_CW_UFFD && task->thread_pid->level != 0;
	r = cw_lookup(p->pid, addr, c, ns_pid);
	/* a write that starts in data and runs on past its VMA: judged by its last byte's too */
	if (r == 0 && !(c->vm_flags & MW_VM_EXEC) && len > 1 && addr + len - 1 >= c->end)
		r = cw_lookup(p->pid, addr + len - 1, c, ns_pid);
	if (r == 0 && !(c->vm_flags & MW_VM_EXEC))
		return 0; /* data, not code: no event */
	if (r == -MW_ENOENT)
		return 0;
	struct mw_event *e = &s->ev;
	bool exe_ok = maybe_send_exe(s, task, tgid);
	__u32 plen = 0;
	e->flags = (exe_ok ? 0 : MW_F_EXE_UNSENT) | (p->compat ? MW_F_COMPAT : 0);
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
	copy_context(e, s, id);
	e->path_len = plen;
	if (bpf_ringbuf_output(&rb, e, sizeof(*e) + plen, wake_output(sizeof(*e) + plen)))
		count(MW_CNT_RB_FULL);
	else
		count(MW_CNT_SUBMITTED);
	return 0;
}

/* ---- ptrace(PTRACE_POKETEXT/POKEDATA, pid, addr, data) ----
 * A word into the tracee: 8 bytes, 4 from a 32-bit tracer (compat_ulong_t). */
static __always_inline int cw_ptrace_exit(struct cw_call *p, const __u64 *a, long ret)
{
	long req = (long)a[0];

	if (ret != 0 || (req != MW_PTRACE_POKETEXT && req != MW_PTRACE_POKEDATA))
		return 0;
	p->via = MW_CW_PTRACE;
	p->pid = (__u32)a[1];
	p->addr = a[2];
	p->len = p->compat ? 4 : sizeof(long);
	return cw_emit(p, ret, p->addr, p->len);
}

/* ---- process_vm_writev(pid, local_iov, liovcnt, remote_iov, riovcnt, flags) ----
 * The remote iovecs, read from the caller's memory at the exit: 16 bytes
 * each, 8 (two __u32) from a 32-bit caller. */
struct cw_iov_walk {
	__u64 iov;     /* user address of the remote iovec array */
	__u64 n;
	__u32 pid;
	__u32 stride;  /* sizeof one iovec in the caller's ABI */
	__u64 addr, len; /* the first remote range that lies in executable memory or could not be judged */
	__u8 hit;
};

static long cw_iov_step(__u32 i, struct cw_iov_walk *w)
{
	struct { __u64 base, len; } v = {};
	struct cw_vma c = {};
	long r;

	if (i >= w->n || bpf_probe_read_user(&v, w->stride == 8 ? 8 : sizeof(v), (void *)(w->iov + i * w->stride)))
		return 1;
	if (w->stride == 8) {
		v.len = v.base >> 32;
		v.base = (__u32)v.base;
	}
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

static __always_inline int cw_pvw_exit(struct cw_call *p, const __u64 *a, long ret)
{
	struct cw_iov_walk w = {};

	if (ret <= 0)
		return 0;
	p->via = MW_CW_PVW;
	p->pid = (__u32)a[0];
	p->addr = a[3];
	p->len = a[4];
	w.iov = a[3];
	w.n = a[4];
	w.pid = p->pid;
	w.stride = p->compat ? 8 : 16;
	bpf_loop(MW_CW_IOV_MAX, cw_iov_step, &w, 0);
	if (!w.hit)
		return 0;
	return cw_emit(p, ret, w.addr, w.len);
}

/* A regular file whose pages [lo, hi) some process maps executable: that
 * view's address into *addr and its process (host tgid; 0 when the kernel
 * has no mm->owner to say) into *pid. */
static __always_inline bool cw_file_exec_view(struct file *file, __u64 lo, __u64 hi, __u32 steps, __u64 *addr, __u32 *pid)
{
	struct inode *ino = BPF_CORE_READ(file, f_inode);
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 mm;

	if (!file || (BPF_CORE_READ(ino, i_mode) & MW_S_IFMT) != MW_S_IFREG ||
	    !alias_exec_view(BPF_CORE_READ(file, f_mapping), lo, hi, steps, addr, &mm))
		return false;
	if (mm == (__u64)task->mm)
		*pid = task->tgid;
	else
		*pid = bpf_core_field_exists(struct mm_struct, owner) ? BPF_CORE_READ((struct mm_struct *)mm, owner, tgid) : 0;
	return true;
}

/* ---- open for writing: mark the process ----
 * A procfs mem file, or a regular file some process maps executable (its
 * writes would change that code with no mapping call after them: the
 * executable view came first, so the mapping's alias check saw no writer).
 * A file opened for writing before it is mapped executable is the mapping's
 * alias check's (wx_alias, its fd writable). */
static __always_inline int cw_open_exit(long ret)
{
	__u32 pid, tgid = bpf_get_current_pid_tgid() >> 32;
	struct file *file;
	__u64 addr;
	__u8 one = 1;

	if (ret < 0 || !(file = cw_fd_file((int)ret)) || !(BPF_CORE_READ(file, f_mode) & MW_FMODE_WRITE))
		return 0;
	if (!cw_is_mem_file(file, &pid) && !cw_file_exec_view(file, 0, ~0ull, MW_CW_OPEN_STEPS, &addr, &pid))
		return 0;
	bpf_map_update_elem(&cw_memproc, &tgid, &one, BPF_ANY);
	return 0;
}

/* ---- write calls of marked processes on a mem file ----
 * At the exit only: a call that wrote something, of a marked process, has
 * its fd and offset read from the registers. The offset: pwrite64, pwritev
 * and pwritev2 take one (a 32-bit caller passes it as two halves, after a
 * padding register for arm EABI's pwrite64; pwritev2's -1 means the file
 * position); write and writev use the file position, which the call has
 * already moved on by ret. */
static __always_inline __s64 cw_write_pos(int route, bool compat, const __u64 *a)
{
	if (route == MW_RT_WRITE || route == MW_RT_WRITEV)
		return -1;
	if (!compat)
		return (__s64)a[3];
#if defined(__TARGET_ARCH_arm64)
	if (route == MW_RT_PWRITE64)
		return (__s64)(a[4] | a[5] << 32);
#endif
	return (__s64)(a[3] | a[4] << 32);
}

static __always_inline int cw_write_exit(struct cw_call *p, int route, const __u64 *a, long ret)
{
	struct file *file = cw_fd_file((int)a[0]);
	__u64 addr;
	__u32 pid;
	__s64 pos;

	if (!file)
		return 0;
	pos = cw_write_pos(route, p->compat, a);
	if (pos < 0)
		pos = BPF_CORE_READ(file, f_pos) - ret;
	if (cw_is_mem_file(file, &pid)) {
		p->via = MW_CW_PROC_MEM;
		p->pid = pid;
		return cw_emit(p, ret, (__u64)pos, (__u64)ret);
	}
	/* a regular file: the written pages mapped executable somewhere (an
	 * O_APPEND write's position is the file's end, read after the call) */
	if (!cw_file_exec_view(file, (__u64)pos >> 12, ((__u64)pos + ret + 4095) >> 12, MW_ALIAS_STEPS, &addr, &pid) || !pid)
		return 0;
	p->via = MW_CW_FILE;
	p->pid = pid;
	return cw_emit(p, ret, addr, (__u64)ret); /* addr: the view's first written page */
}

/* ---- ioctl(uffd, UFFDIO_COPY/UFFDIO_CONTINUE/UFFDIO_MOVE, arg) ----
 * The page of a region registered with a userfaultfd supplied by its
 * handler (on first touch, or moved in): a write into that region that no
 * mapping call sees. A call that failed returns at once, the others after
 * one look at the command. The three commands' structs start with the
 * destination; the length is at 16 (copy, move) or 8 (continue); their
 * layout and numbers are the same for 32-bit callers (__u64 fields). A
 * partial copy (-EAGAIN, some pages in) is not judged.
 * The target is the userfaultfd context's mm (the fd may have been passed
 * to another process or inherited over a fork): the caller's own VMA when
 * it is the caller's mm, else the VMA of mm->owner's process (CONFIG_MEMCG
 * kernels; cw_lookup: bpf_task_from_pid, or user space's /proc/PID/maps on
 * 6.1). Without mm->owner another process's region is not judged. */
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

static __always_inline int cw_ioctl_exit(struct cw_call *p, const __u64 *a, __u64 *v, long ret)
{
	__u32 cmd = (__u32)a[1];

	if (ret != 0 || (cmd != MW_UFFDIO_COPY && cmd != MW_UFFDIO_CONTINUE && cmd != MW_UFFDIO_MOVE))
		return 0;
	struct userfaultfd_ctx *uctx = cw_uffd_ctx(cw_fd_file((int)a[0]));
	if (!uctx || bpf_probe_read_user(v, 3 * sizeof(__u64), (void *)a[2]))
		return 0;
	p->pid = cw_mm_tgid(BPF_CORE_READ(uctx, mm));
	if (!p->pid)
		return 0;
	p->via = MW_CW_UFFD;
	return cw_emit(p, ret, v[0], cmd == MW_UFFDIO_CONTINUE ? v[1] : v[2]);
}

/* ---- a route call's exit, whichever hook saw it ----
 * route: enum mw_route; nr: its number in the caller's ABI; compat: a
 * 32-bit call; ret: its result. Not inlined: the dispatcher calls it on
 * every write, open and ioctl of the host, and its frame stays out of the
 * dispatcher's own (the exit path's stack limit, 512 bytes on 6.1). */
static __noinline int cw_route_exit(int route, long nr, bool compat, long ret)
{
	__u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	struct cw_scratch *x;

	if (!codewrite_on || ret < 0)
		return 0;
	if (route == MW_RT_OPEN || route == MW_RT_OPENAT || route == MW_RT_OPENAT2)
		return cw_open_exit(ret);
	if (route == MW_RT_IOCTL && ret != 0)
		return 0;
	if (route >= MW_RT_WRITE && route <= MW_RT_PWRITEV2 &&
	    (ret == 0 || !bpf_map_lookup_elem(&cw_memproc, &tgid)))
		return 0;
	x = bpf_map_lookup_elem(&cw_scratch_map, &zero);
	if (!x)
		return 0;
	args_from_regs(bpf_get_current_task_btf(), compat, x->a);
	__builtin_memset(&x->p, 0, sizeof(x->p));
	x->p.nr = (__u16)nr;
	x->p.compat = compat;
	if (route == MW_RT_PTRACE)
		return cw_ptrace_exit(&x->p, x->a, ret);
	if (route == MW_RT_PVW)
		return cw_pvw_exit(&x->p, x->a, ret);
	if (route == MW_RT_IOCTL)
		return cw_ioctl_exit(&x->p, x->a, x->v, ret);
	if (route >= MW_RT_WRITE && route <= MW_RT_PWRITEV2)
		return cw_write_exit(&x->p, route, x->a, ret);
	return 0;
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
