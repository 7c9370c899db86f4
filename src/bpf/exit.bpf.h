/* exit.bpf.h - the exit of a traced call: the caller's context, the event record, and the exit in named stages (slot, arguments only the exit can complete, effect and --kill-wx, record); included by mapwatch.bpf.c only, after the entry. */
#ifndef MW_EXIT_BPF_H
#define MW_EXIT_BPF_H

/* ---- exit ---- */
/* The caller's context. Plain loads through the BTF task pointer (no helper
 * call per field: see task_comm()); pid-namespace numbers need a variable index, so those few
 * go through bpf_probe_read_kernel, and only outside the root namespace. */
static __always_inline void fill_context(struct mw_event *e, __u64 id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *parent = task->real_parent;
	struct pid *tp = task->thread_pid;
	unsigned int level = tp->level;
	const struct cred *cred = task->cred;
	struct upid up = {};

	e->pid = id >> 32;
	e->tid = (__u32)id;
	e->ppid = parent->tgid;
	e->uid = cred->uid.val;
	e->gid = cred->gid.val;
	e->cgroup_id = task_cgroup_id(task);
	e->mntns = task->nsproxy->mnt_ns->ns.inum;
	task_comm(task, e->comm);

	level &= 31;
	if (level == 0) { /* the host's namespace: nothing to translate (direct loads, cheaper than probe reads) */
		e->ns_tid = tp->numbers[0].nr;
		e->pidns = tp->numbers[0].ns->ns.inum;
		e->ns_pid = e->pid;
		e->ns_ppid = e->ppid;
		return;
	}
	bpf_probe_read_kernel(&up, sizeof(up), &tp->numbers[level]);
	e->ns_tid = up.nr;
	e->pidns = BPF_CORE_READ(up.ns, ns.inum);
	struct pid_namespace *ns = up.ns;
	struct pid *lp = task->group_leader->thread_pid;
	e->ns_pid = 0;
	if (lp->level >= level) {
		bpf_probe_read_kernel(&up, sizeof(up), &lp->numbers[level]);
		e->ns_pid = up.ns == ns ? up.nr : 0;
	}
	struct pid *pp = parent->group_leader->thread_pid;
	e->ns_ppid = 0;
	if (pp->level >= level) {
		bpf_probe_read_kernel(&up, sizeof(up), &pp->numbers[level]);
		if (up.ns == ns)
			e->ns_ppid = up.nr;
	}
}

/* At most MW_PATH_MAX bytes of path data. The mask first gives the verifier
 * a bound on the very register used afterwards (the clamp alone may be
 * applied to a copy); it keeps MW_PATH_MAX itself intact, unlike a mask
 * with MW_PATH_MAX - 1, which turned a path of exactly 4096 bytes into 0. */
static __always_inline __u32 path_len_clamp(__u32 len)
{
	len &= 2 * MW_PATH_MAX - 1;
	return len > MW_PATH_MAX ? MW_PATH_MAX : len;
}

/* Wake the reader once, when this record makes the queue cross wake_bytes.
 * Waking on every record past the threshold made each one ~5x dearer while
 * the reader lagged; records below it wait for the reader's next poll. The
 * reader waits edge-triggered (tracer.c): a crossing missed here leaves it
 * asleep, so the queue's length must be taken without this record: before
 * bpf_ringbuf_output (wake_output) it is not queued yet; after
 * bpf_ringbuf_reserve (wake_submit) it is. (When one test served both, a
 * reserved record that crossed right after a copied one woke nobody.) */
static __always_inline __u64 wake_crossing(__u64 before, __u64 took)
{
	return before < wake_bytes && before + took >= wake_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* what a record of size bytes takes in the ring: an 8-byte header, 8-byte aligned */
static __always_inline __u64 ring_took(__u64 size)
{
	return ((size + 7) & ~7ull) + 8;
}

static __always_inline __u64 wake_output(__u64 size)
{
	return wake_crossing(bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA), ring_took(size));
}

static __always_inline __u64 wake_submit(__u64 size)
{
	__u64 avail = bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA), took = ring_took(size);

	return wake_crossing(avail > took ? avail - took : 0, took);
}

/* Send the executable path of the current process once per exec. exe_seen
 * is set only once the record is in the ring buffer: after a drop the next
 * event tries again, so no event goes out under an older program's path.
 * Returns false when the record could not be sent (the event is flagged). */
static __always_inline bool maybe_send_exe(struct scratch *s, struct task_struct *task, __u32 tgid)
{
	__u8 one = 1;
	struct file *exe;

	if (bpf_map_lookup_elem(&exe_seen, &tgid))
		return true;
	exe = BPF_CORE_READ(task, mm, exe_file);
	if (!exe) {
		bpf_map_update_elem(&exe_seen, &tgid, &one, BPF_ANY);
		return true;
	}
	__u16 fl = 0;
	__u32 len = walk_path(task, BPF_CORE_READ(exe, f_path.dentry), BPF_CORE_READ(exe, f_path.mnt),
			      1, &fl, NULL);
	/* the record header is 16 bytes; move it right before the path */
	struct mw_proc_rec *h = (struct mw_proc_rec *)(s->evpath - sizeof(*h));
	len = path_len_clamp(len);
	h->type = MW_REC_PROC;
	h->path_len = len;
	h->pid = tgid;
	h->flags = fl;
	h->pad = 0;
	if (bpf_ringbuf_output(&rb, h, sizeof(*h) + len, wake_output(sizeof(*h) + len))) {
		count(MW_CNT_PROC_RB_FULL);
		return false;
	}
	count(MW_CNT_SUBMITTED);
	bpf_map_update_elem(&exe_seen, &tgid, &one, BPF_ANY);
	return true;
}

#include "effect.bpf.h"
#include "capture.bpf.h"

/* fill_context() into the scratch's cx, as a global function: each plain
 * load of a pointer through the BTF task pointer costs the 6.18 verifier
 * three linear searches of the kernel's BTF (its *__safe_trusted names),
 * and inlined at each of the exit's three record paths they were most of
 * the time it took to verify an exit (BENCHMARKS.md). Verified once here.
 * Returns 1, 0 when there is no scratch. */
__noinline int mw_context(__u64 id)
{
	struct scratch *s = get_scratch();

	if (!s)
		return 0;
	fill_context(&s->cx, id);
	return 1;
}

/* The context (mw_context(), in s->cx) into a record: every record that
 * carries a caller (a call's exit, an exec, a code_write) takes it so. */
static __always_inline void copy_context(struct mw_event *e, const struct scratch *s, __u64 id)
{
	if (mw_context(id)) {
		__builtin_memcpy(&e->cgroup_id, &s->cx.cgroup_id,
				 __builtin_offsetof(struct mw_event, duration_ns) -
					 __builtin_offsetof(struct mw_event, cgroup_id));
		__builtin_memcpy(e->comm, s->cx.comm, sizeof(e->comm));
	}
}

/* Fill an event record (all but path_len) from the stored entry and the result. */
static __always_inline void fill_event(struct mw_event *e, const struct pending *p, long ret, __u64 id)
{
	__u64 now = bpf_ktime_get_boot_ns();

	e->type = MW_REC_EVENT;
	e->event = p->event;
	e->syscall_nr = p->nr;
	e->flags = p->flags;
	e->ts = p->ts;
	__builtin_memcpy(e->args, p->args, sizeof(e->args));
	/* A 32-bit task's result: arm64 sign-extends it at sys_exit (mmap2's
	 * 0xf7bce000 reads as -138612736 there). Only -4095..-1 are errors; the
	 * rest is an unsigned 32-bit value, as the task itself sees it. */
	if ((p->flags & MW_F_COMPAT) && (ret < -4095 || ret >= 0))
		ret = (__u32)ret;
	e->ret = ret;
	e->duration_ns = now - p->ts > 0xffffffffull ? 0xffffffff : now - p->ts;
	e->file = p->file;
	e->file_age_s = 0;
	/* the context read once per program (mw_context()), copied here */
	struct scratch *s = get_scratch();
	if (s)
		copy_context(e, s, id);
}

/* Is the current task under a seccomp filter (SECCOMP_MODE_FILTER)? */
static __always_inline bool seccomp_filtered(struct task_struct *task)
{
	return BPF_CORE_READ(task, seccomp.mode) == 2;
}

/* The syscall's arguments as they are still saved in pt_regs at exit. */
static __always_inline void args_from_regs(struct task_struct *task, bool compat, __u64 *a)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

#if defined(__TARGET_ARCH_x86)
	if (compat) {
		a[0] = (__u32)BPF_CORE_READ(regs, bx);
		a[1] = (__u32)BPF_CORE_READ(regs, cx);
		a[2] = (__u32)BPF_CORE_READ(regs, dx);
		a[3] = (__u32)BPF_CORE_READ(regs, si);
		a[4] = (__u32)BPF_CORE_READ(regs, di);
		a[5] = (__u32)BPF_CORE_READ(regs, bp);
	} else {
		a[0] = BPF_CORE_READ(regs, di);
		a[1] = BPF_CORE_READ(regs, si);
		a[2] = BPF_CORE_READ(regs, dx);
		a[3] = BPF_CORE_READ(regs, r10);
		a[4] = BPF_CORE_READ(regs, r8);
		a[5] = BPF_CORE_READ(regs, r9);
	}
#elif defined(__TARGET_ARCH_arm64)
	for (int i = 1; i < 6; i++)
		a[i] = BPF_CORE_READ(regs, regs[i]);
	a[0] = BPF_CORE_READ(regs, orig_x0);
	if (compat)
		for (int i = 0; i < 6; i++)
			a[i] = (__u32)a[i];
#endif
}

/* A call whose exit fired without its entry while the task is under a
 * seccomp filter: seccomp ran before the entry tracepoint and most likely
 * refused it. Built into the thread's slot from the exit alone
 * (MW_F_EXIT_ONLY): the arguments read from the saved registers, the fd not
 * resolved. Returns 0 when the call is not to be reported. Shares the
 * rest of the exit path, so the verifier sees that code once per program;
 * global, so its locals stay out of the exit's frame. */
__noinline int mw_exit_only_entry(struct pending *p, int ev, __u32 nr, __u32 flags)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (!p)
		return 0;

	p->ts = 0;
	p->event = ev;
	p->nr = nr;
	p->flags = flags | MW_F_EXIT_ONLY;
	p->has_path = 0;
	p->filtered = 0;
	__builtin_memset(&p->file, 0, sizeof(p->file));
	args_from_regs(task, flags & MW_F_COMPAT, p->args);
	if (mw_is_old_mmap(ev, flags, nr)) {
		/* old_mmap: the six values live in user memory */
		p->flags |= MW_F_TOCTOU;
		if (mw_read_old_mmap(p->args)) {
			p->flags |= MW_F_ARGS_FAULT;
			p->args[1] = p->args[2] = p->args[3] = p->args[4] = p->args[5] = 0;
		}
	}
	if (ev == MW_EV_MMAP && (flags & MW_F_COMPAT))
		p->args[4] = (__u64)(__s64)(__s32)p->args[4];
	if (!args_ok(ev, p->args, &p->file, false, false, false))
		return false;
	p->ts = bpf_ktime_get_boot_ns();
	return true;
}

/* The user memory the call wrote (its OUT arguments), read at a successful
 * exit. Global, for the reason mw_effect_of() is. Returns 0. */
__noinline int mw_udata_out(struct mw_udata *ud, const struct pending *p)
{
	if (ud && p)
		udata_pass_ev(ud, p->event, p->args, p->flags & MW_F_COMPAT, true);
	return 0;
}

/* Emit the record of the call stored under key (pid_tgid for syscalls,
 * pid_tgid | DM_KEY for do_mmap), now that it returned ret. ev, nr and
 * flags name the syscall at its exit (ev < 0 for do_mmap). */
/* ---- the exit, in stages ----
 * Each stage is __always_inline: in the per-syscall programs ev and flags
 * are constants, and the compiler still folds every stage's event tests
 * away, as it did when this was one body. */

/* Stage 1: the thread's slot of this call. The entry's, or, for a call
 * refused by seccomp before the entry hook ran, one built from the exit
 * alone; NULL when there is nothing to report (counted where it is a loss). */
static __always_inline struct pending *exit_slot(__u64 key, __u64 id, int ev, __u16 nr, __u16 flags)
{
	struct pending *p = pending_slot(key, false);

	if (p && p->ts)
		return p;
	/* no entry: rejected by an argument filter (marked), out of scope
	 * or rejected by a scope filter (re-checked: rare path), refused
	 * by seccomp before the entry tracepoint (reported from the exit),
	 * or the call began before mapwatch attached (an unmatched exit) */
	if (p && p->filtered) {
		p->filtered = 0;
		p->exited = 1;
		return NULL;
	}
	if (p && p->exited) {
		/* while hooks switch both are attached: a second hook's
		 * exit of the call just handled stays silent (outside a
		 * switch the flag is stale: ignored) */
		p->exited = 0;
		if (hooks_overlap)
			return NULL;
	}
	if (!in_scope(id >> 32) || !scope_ok(id))
		return NULL;
	if (ev < 0 || !seccomp_filtered(bpf_get_current_task_btf())) {
		count(MW_CNT_NO_ENTRY);
		return NULL;
	}
	p = pending_slot(key, true);
	if (!p) {
		count(MW_CNT_PENDING_FULL);
		return NULL;
	}
	if (!mw_exit_only_entry(p, ev, nr, flags)) {
		count(MW_CNT_FILTERED);
		return NULL;
	}
	count(MW_CNT_EXIT_ONLY);
	return p;
}

/* Stage 2: what only the exit can complete: an i386 old_mmap struct that
 * faulted at entry, read again; ipc(SHMAT)'s address, from *third.
 * Returns the call's result as reported. */
static __always_inline long exit_complete_args(struct pending *p, __u64 key, long ret, int ev, __u16 flags,
					       struct mw_effect *ef)
{
	/* flags and ev are constants in the per-syscall programs: only the
	 * dispatcher and the function hooks carry this code */
	if ((flags & MW_F_COMPAT) && ev == MW_EV_MMAP)
		mw_reread_old_mmap(p, key, ef);
	if ((flags & MW_F_COMPAT) && (p->flags & MW_F_IPC) && p->event == MW_EV_SHMAT && ret == 0) {
		/* old i386 convention: ipc(SHMAT) returns 0 and writes the address to *third */
		__u32 addr = 0;
		if (bpf_probe_read_user(&addr, sizeof(addr), (void *)p->aux) == 0)
			ret = addr;
		else
			p->flags |= MW_F_ARGS_FAULT;
	}
	return ret;
}

/* Stage 3: what the call did (the VMA it made or changed, the
 * personality, the --allow verdict), and --kill-wx's decision on it. */
static __always_inline void exit_effect_enforce(struct pending *p, long ret, int ev, __u32 tgid,
						struct mw_effect *ef)
{
	/* -c counts calls: no VMA lookup (and no --kill-wx with it). A call
	 * that changes no mapping (ev is a constant in the per-syscall
	 * programs: this folds) needs only the personality, read here,
	 * sparing it the global call (BENCHMARKS.md) */
	if (!summary_on) {
		if (ev < 0 || effect_addr_of(ev) || allow_on)
			mw_effect_of(ef, p->event, p->args[0], ret, tgid);
		else
			effect_personality(ef);
	}
	/* --kill-wx: a SIGKILL sent here is delivered on the way back to user
	 * space, before the task runs another instruction: nothing of the
	 * mapping can be used. An enforced call is always reported. */
	if (kill_wx && !(ef->flags & MW_EFFF_ALLOWED) && wx_verdict(p, ef) &&
	    bpf_send_signal(MW_SIGKILL) == 0)
		p->flags |= MW_F_ENFORCED;
	/* --kill-wx with no verdict to be had: an old_mmap (its struct is user
	 * memory another thread can change under the kernel) whose VMA could
	 * not be read. The process is stopped (delivered before it runs on,
	 * like the SIGKILL) once its record is out; user space reads
	 * /proc/PID/maps, then kills or continues it (src/verify.c). */
	if (kill_wx && !(p->flags & MW_F_ENFORCED) && !(ef->flags & MW_EFFF_ALLOWED) &&
	    ef->status == MW_EFF_BUSY && (p->flags & MW_F_TOCTOU) && !(ret < 0 && ret >= -4095))
		ef->flags |= MW_EFFF_VERIFY;
}

/* Stage 4: the record, in one of its three shapes (with the arguments'
 * user memory, plain, with a path), or the -c count instead. True when a
 * record went into the ring buffer. */
static __always_inline bool exit_record(struct pending *p, __u64 key, __u64 id, long ret, int ev,
					const struct mw_effect *ef)
{
	__u32 tgid = id >> 32;
	struct scratch *s;
	struct task_struct *task;

	if (!result_ok(ret) && !(p->flags & MW_F_ENFORCED)) {
		count(MW_CNT_FILTERED);
		if (p->has_path)
			bpf_map_delete_elem(&pending_path, &key);
		return false;
	}
	s = get_scratch();
	if (!s)
		return false;
	count(MW_CNT_SEEN);
	task = (struct task_struct *)bpf_get_current_task();
	/* a flag in the thread's slot saves the exe_seen lookup on every event */
	__u16 xflags = 0;
	if (!p->exe_sent) {
		if (maybe_send_exe(s, task, tgid))
			p->exe_sent = 1;
		else
			xflags = MW_F_EXE_UNSENT;
	}
	if (summary_on) {
		/* -c: counted in the kernel, no record per call */
		summary__add(p, ret, id);
		if (p->has_path)
			bpf_map_delete_elem(&pending_path, &key);
		return false;
	}
	/* --stack: the caller's user stack goes first, marked in the event */
	if (stack_on && stack__emit(id, p->flags & MW_F_COMPAT))
		p->flags |= MW_F_STACK;

	/* ev is a constant in the programs of one syscall: their user-memory
	 * code folds away at compile time */
	if ((ev < 0 || mw_has_udata(ev)) && (p->flags & MW_F_UDATA)) {
		/* the user memory of the arguments travels after the record */
		struct pending_slots *ps = bpf_task_storage_get(&pending, bpf_get_current_task_btf(), 0, 0);
		struct mw_event *r;
		if (!ps)
			return false;
		if (ret >= 0 || ret < -4095)
			mw_udata_out(&ps->ud, p);
		r = bpf_ringbuf_reserve(&rb, sizeof(*r) + sizeof(struct mw_udata), 0);
		if (!r) {
			count(MW_CNT_RB_FULL);
			return false;
		}
		fill_event(r, p, ret, id);
		fill_effect(r, ef);
		r->path_len = sizeof(struct mw_udata);
		bpf_probe_read_kernel(r + 1, sizeof(struct mw_udata), &ps->ud);
		bpf_ringbuf_submit(r, wake_submit(sizeof(*r) + sizeof(struct mw_udata)));
		count(MW_CNT_SUBMITTED);
		return false; /* (not a shape --kill-wx's stop waits on) */
	}

	if (!p->has_path) {
		/* the common case, no path: build the record in the ring buffer itself */
		struct mw_event *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
		if (!r) {
			count(MW_CNT_RB_FULL);
			return false;
		}
		fill_event(r, p, ret, id);
		r->flags |= xflags;
		fill_effect(r, ef);
		r->path_len = 0;
		bpf_ringbuf_submit(r, (ef->flags & MW_EFFF_VERIFY) ? BPF_RB_FORCE_WAKEUP : wake_submit(sizeof(*r)));
		count(MW_CNT_SUBMITTED);
		return true;
	}
	struct mw_event *e = &s->ev;
	__u32 len = 0;
	fill_event(e, p, ret, id);
	e->flags |= xflags;
	fill_effect(e, ef);
	struct path_buf *pb = bpf_map_lookup_elem(&pending_path, &key);
	if (pb) {
		len = path_len_clamp(pb->len);
		bpf_probe_read_kernel(s->evpath, len, pb->data);
		e->file.flags |= pb->flags;
	}
	bpf_map_delete_elem(&pending_path, &key);
	e->path_len = len;
	if (bpf_ringbuf_output(&rb, e, sizeof(*e) + len,
			       (ef->flags & MW_EFFF_VERIFY) ? BPF_RB_FORCE_WAKEUP : wake_output(sizeof(*e) + len))) {
		count(MW_CNT_RB_FULL);
		return false;
	}
	count(MW_CNT_SUBMITTED);
	return true;
}

/* The exit of a call: its slot, the arguments only the exit can complete,
 * its effect and --kill-wx's verdict, its record; then the slot is done. */
static __always_inline int emit_exit(__u64 key, long ret, int ev, __u16 nr, __u16 flags)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct mw_effect ef = {};
	struct pending *p;
	bool submitted;

	if (!reporting)
		return 0;
	p = exit_slot(key, id, ev, nr, flags);
	if (!p)
		return 0;
	ret = exit_complete_args(p, key, ret, ev, flags, &ef);
	exit_effect_enforce(p, ret, ev, id >> 32, &ef);
	/* evidence (capture.bpf.h): the bytes made executable go out before
	 * the event; a SIGKILL sent above is only delivered on the way back to
	 * user space, so the memory is still whole here */
	if (capture_max && !summary_on && !(p->flags & MW_F_CAPTURE) && mw_capture(p, &ef, ret, id >> 32, (__u32)id))
		p->flags |= MW_F_CAPTURE;
	/* W+X now: copied again at the process's exit if it is still so then
	 * (not when --kill-wx killed it here: it runs nothing more, the copy
	 * above is what it had) */
	if (capture_max && !summary_on && ef.status == MW_EFF_OK && !(p->flags & MW_F_ENFORCED) &&
	    (ef.vm_flags & (MW_VM_WRITE | MW_VM_EXEC)) == (MW_VM_WRITE | MW_VM_EXEC))
		mw_wx_track_add(id >> 32, ef.start);
	if (callsite_on && !summary_on && ev >= 0 && effect_addr_of(ev)) {
		int how = mw_call_from_anon(p->flags & MW_F_COMPAT);
		if (how)
			p->flags |= MW_F_CALL_ANON | (how == 2 ? MW_F_CALL_ANON_RET : 0);
	}
	submitted = exit_record(p, key, id, ret, ev, &ef);
	/* nobody would continue a process whose record was lost: kill it */
	if (ef.flags & MW_EFFF_VERIFY)
		bpf_send_signal(submitted ? MW_SIGSTOP : MW_SIGKILL);
	p->ts = 0;
	p->exited = 1;
	return 0;
}

static __always_inline int on_exit(int ev, __u16 nr, __u16 flags, long ret)
{
	return emit_exit(bpf_get_current_pid_tgid(), ret, ev, nr, flags);
}

#endif
