/* hooks.bpf.h - how calls reach on_enter/on_exit: tp_btf dispatcher, function hooks, 32-bit process tracker. */
/* Included by mapwatch.bpf.c after on_enter/on_exit. Every hook here only
 * supplies the syscall number, the arguments and the result; the body of
 * entry and exit is one (on_enter/on_exit) whatever the hook. hooks.c
 * chooses which of these programs load and attach. */

/* ---- which syscall numbers are ours ----
 * Key: nr for native calls, MW_NR_SLOTS + nr for 32-bit ones; value: event
 * id + 1, MW_NR_ROUTE + route for code_write's routes the dispatcher judges
 * (alerts mode), 0 when neither. Filled by user space from the
 * catalogue's per-ABI numbers and --events, before attaching. An array
 * lookup is inlined by the verifier: a load and a compare. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * MW_NR_SLOTS);
	__type(key, __u32);
	__type(value, __u8);
} nr_event SEC(".maps");

static __always_inline int nr_value(long nr, bool compat)
{
	__u32 k;
	__u8 *v;

	if ((unsigned long)nr >= MW_NR_SLOTS)
		return 0;
	k = (__u32)nr + (compat ? MW_NR_SLOTS : 0);
	v = bpf_map_lookup_elem(&nr_event, &k);
	return v ? *v : 0;
}

static __always_inline int nr_to_event(long nr, bool compat)
{
	int v = nr_value(nr, compat);

	return v && v < MW_NR_ROUTE ? v - 1 : -1;
}

/* The calling ABI, read with a direct BTF load (no probe-read helper). */
static __always_inline bool task_in_compat_syscall(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	return task->thread_info.status & MW_TS_COMPAT;
#elif defined(__TARGET_ARCH_arm64)
	return task->thread_info.flags & (1ul << 22); /* TIF_32BIT */
#else
	return false;
#endif
}

/* The number of the syscall in progress, from its saved registers. */
static __always_inline long regs_syscall_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#else
	return regs->syscallno;
#endif
}

/* Arguments of a native call from its registers. */
static __always_inline void args_native(struct pt_regs *regs, __u64 a[6])
{
#if defined(__TARGET_ARCH_x86)
	a[0] = regs->di;
	a[1] = regs->si;
	a[2] = regs->dx;
	a[3] = regs->r10;
	a[4] = regs->r8;
	a[5] = regs->r9;
#elif defined(__TARGET_ARCH_arm64)
	a[0] = regs->orig_x0;
	a[1] = regs->regs[1];
	a[2] = regs->regs[2];
	a[3] = regs->regs[3];
	a[4] = regs->regs[4];
	a[5] = regs->regs[5];
#endif
}

/* Arguments of a 32-bit call; *flags gets MW_F_TOCTOU/MW_F_ARGS_FAULT for
 * i386 old_mmap, whose six values live in user memory. */
static __always_inline void args_compat(struct pt_regs *regs, int ev, __u64 a[6], __u16 *flags)
{
#if defined(__TARGET_ARCH_x86)
	a[0] = (__u32)regs->bx;
	a[1] = (__u32)regs->cx;
	a[2] = (__u32)regs->dx;
	a[3] = (__u32)regs->si;
	a[4] = (__u32)regs->di;
	a[5] = (__u32)regs->bp;
	if (ev == MW_EV_MMAP) {
		/* old_mmap(struct mmap_arg_struct32 *) */
		*flags |= MW_F_TOCTOU;
		if (mw_read_old_mmap(a)) {
			*flags |= MW_F_ARGS_FAULT;
			a[1] = a[2] = a[3] = a[4] = a[5] = 0; /* a[0] keeps the struct pointer */
		}
	}
#elif defined(__TARGET_ARCH_arm64)
	a[0] = (__u32)regs->orig_x0;
	a[1] = (__u32)regs->regs[1];
	a[2] = (__u32)regs->regs[2];
	a[3] = (__u32)regs->regs[3];
	a[4] = (__u32)regs->regs[4];
	a[5] = (__u32)regs->regs[5];
#endif
	/* an int fd: sign-extend so -1 stays -1 */
	int fi = mw_arg_by_fmt(ev, MW_D_FD);
	if (fi >= 0 && mw_arg_is_int(ev, fi))
		a[fi & 7] = (__u64)(__s64)(__s32)a[fi & 7];
}

/* Native registers or 32-bit ones: fill a and flags from regs for event ev. */
static __always_inline void args_of(struct pt_regs *regs, int ev, bool compat, __u64 a[6], __u16 *flags)
{
	if (compat) {
		*flags = MW_F_COMPAT;
		args_compat(regs, ev, a, flags);
	} else {
		args_native(regs, a);
	}
}

/* Not inlined: The dispatcher's own frame stays small, so that either path from
 * it, a call's exit or a route's (cw_route_exit, cw_emit), fits the 512
 * bytes one call chain may use on kernels without private BPF stacks (6.1). */
static __noinline int on_exit_call(int ev, long nr, __u16 flags, long ret)
{
	return on_exit(ev, nr, flags, ret);
}

#if defined(__TARGET_ARCH_x86)
/* i386 ipc(call, first, second, third, ptr, fifth), the dispatcher's and
 * function mode's (__ia32_compat_sys_ipc) entry: SHMAT becomes
 * shmat(first, ptr, second), its address written to *third; SHMDT
 * shmdt(ptr); any other call is not ours. */
static __always_inline int ipc_enter(struct pt_regs *regs, long nr)
{
	int ev = mw_ipc_event((__u32)regs->bx);
	__u64 a[6] = {};

	if (ev < 0 || !(event_mask & MW_EVBIT(ev)))
		return 0;
	__u64 first = (__u32)regs->cx, second = (__u32)regs->dx, third = (__u32)regs->si;
	__u64 ptr = (__u32)regs->di;
	if (ev == MW_EV_SHMAT) {
		a[0] = first;
		a[1] = ptr;
		a[2] = second;
	} else {
		a[0] = ptr;
	}
	return on_enter_aux(ev, nr, MW_F_COMPAT | MW_F_IPC, a, ev == MW_EV_SHMAT ? third : 0);
}

/* Its exit: the entry decided whether this ipc() was a shm call worth a record. */
static __always_inline int ipc_exit(long nr, long ret)
{
	struct pending *p = pending_slot(bpf_get_current_pid_tgid(), false);

	if (!p || (!p->ts && !p->filtered))
		return 0;
	return on_exit_call(p->event < MW_EV_MAX ? p->event : -1, nr, MW_F_COMPAT, ret);
}
#endif

/* ---- the dispatcher: one tp_btf pair for every syscall, native and 32-bit ----
 * Attached only while a 32-bit process is in scope (or with --hook
 * dispatcher): it runs on every syscall of the host, so it does the least
 * it can before it knows the call is one of ours. */
SEC("tp_btf/sys_enter")
int BPF_PROG(disp_enter, struct pt_regs *regs, long nr)
{
	bool compat = task_in_compat_syscall(bpf_get_current_task_btf());
	int ev = nr_to_event(nr, compat);
	__u64 a[6] = {};
	__u16 flags = 0;

#if defined(__TARGET_ARCH_x86)
	if (ev < 0 && compat && nr == MW_I386_NR_IPC)
		return ipc_enter(regs, nr);
#endif
	/* a 32-bit call is the dispatcher's alone (no per-syscall tracepoint
	 * sees one), a native one only while it is the live hook */
	if (ev < 0 || !entry_turn(compat || disp_live))
		return 0;
	args_of(regs, ev, compat, a, &flags);
	return on_enter(ev, nr, flags, a);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(disp_exit, struct pt_regs *regs, long ret)
{
	bool compat = task_in_compat_syscall(bpf_get_current_task_btf());
	long nr = regs_syscall_nr(regs);
	int v = nr_value(nr, compat), ev = v - 1;

	if (v >= MW_NR_ROUTE)
		return cw_route_exit(v - MW_NR_ROUTE, nr, compat, ret); /* code_write (codewrite.bpf.h) */
#if defined(__TARGET_ARCH_x86)
	if (!v && compat && nr == MW_I386_NR_IPC)
		return ipc_exit(nr, ret);
#endif
	if (!v || !(event_mask & MW_EVBIT(ev)))
		return 0;
	return on_exit_call(ev, nr, compat ? MW_F_COMPAT : 0, ret);
}

/* ---- function hooks: fentry/fexit on the syscall entry functions ----
 * One slot per (event, ABI); user space finds the function in the kernel's
 * BTF (__x64_sys_mmap, __ia32_compat_sys_ia32_mmap, __arm64_sys_mmap, ...),
 * sets the slot's event and ABI here and its attach target, and loads only
 * the slots it filled. Nothing runs on any other syscall. */
const volatile __u8 fn_event[MW_FN_SLOTS] = {};
const volatile __u8 fn_compat[MW_FN_SLOTS] = {}; /* 0 native, 1 32-bit, 2 ask the task */

/* Is the call through this slot's function a 32-bit one? */
static __always_inline bool fn_slot_compat(int slot)
{
	return fn_compat[slot] == 1 ||
	       (fn_compat[slot] == 2 && task_in_compat_syscall(bpf_get_current_task_btf()));
}

/* Not inlined: the 64 slots' entries share one copy of the body in the
 * object (inlined, each slot carried the whole entry for every event, as
 * the compiler cannot fold a slot's event: 7.6 MB of the 22 MB object,
 * most of the 0.17 s libbpf took to open it). The verifier still checks it
 * in each slot's context, where the slot, and so its event, is known. */
static __noinline int fn_enter(int slot, struct pt_regs *regs)
{
	__u64 a[6] = {};
	__u16 flags = 0;
	int ev = fn_event[slot];
	bool compat = fn_slot_compat(slot);
	long nr = regs_syscall_nr(regs);

#if defined(__TARGET_ARCH_x86)
	if (ev == MW_FN_IPC)
		return ipc_enter(regs, nr);
#endif
	args_of(regs, ev, compat, a, &flags);
	return on_enter(ev, nr, flags, a);
}

static __always_inline int fn_exit(int slot, struct pt_regs *regs, long ret)
{
	bool compat = fn_slot_compat(slot);
	long nr = regs_syscall_nr(regs);

#if defined(__TARGET_ARCH_x86)
	if (fn_event[slot] == MW_FN_IPC)
		return ipc_exit(nr, ret);
#endif
	return on_exit_call(fn_event[slot], nr, compat ? MW_F_COMPAT : 0, ret);
}

#define FN_SLOT(i)                                                             \
	SEC("fentry")                                                          \
	int BPF_PROG(fn_enter_##i, struct pt_regs *regs)                       \
	{                                                                      \
		return fn_enter(i, regs);                                      \
	}                                                                      \
	SEC("fexit")                                                           \
	int BPF_PROG(fn_exit_##i, struct pt_regs *regs, long ret)              \
	{                                                                      \
		return fn_exit(i, regs, ret);                                  \
	}
MW_FN_SLOT_LIST(FN_SLOT)
#undef FN_SLOT

/* ---- code_write's routes outside the dispatcher (alerts mode) ----
 * The dispatcher judges the routes it gets by number (disp_exit above).
 * Function mode: fexit on the routes' entry functions, one slot per
 * (route, ABI) found in BTF (hooks/plan.c), like the call slots: nothing
 * runs on any other syscall. Tracepoint mode: the routes' sys_exit
 * tracepoints (native calls; the dispatcher, once attached, the 32-bit ones). */
const volatile __u8 rt_route[MW_RT_SLOTS] = {};
const volatile __u8 rt_compat[MW_RT_SLOTS] = {}; /* 0 native, 1 32-bit, 2 ask the task */

#define RT_SLOT(i)                                                             \
	SEC("fexit")                                                           \
	int BPF_PROG(rt_exit_##i, struct pt_regs *regs, long ret)              \
	{                                                                      \
		bool compat = rt_compat[i] == 1 || (rt_compat[i] == 2 &&        \
			task_in_compat_syscall(bpf_get_current_task_btf()));    \
		return cw_route_exit(rt_route[i], regs_syscall_nr(regs), compat, ret); \
	}
MW_RT_SLOT_LIST(RT_SLOT)
#undef RT_SLOT

#define RT_TP(ID, name, ...)                                                   \
	SEC("tracepoint/syscalls/sys_exit_" #name)                             \
	int cw_exit_##name(struct trace_event_raw_sys_exit *ctx)               \
	{                                                                      \
		return cw_route_exit(MW_RT_##ID, ctx->id, false, ctx->ret);    \
	}
MW_ROUTES(RT_TP)
#undef RT_TP

/* ---- 32-bit process tracker (tracepoint mode) ----
 * Per-syscall tracepoints never fire for 32-bit calls, so while a 32-bit
 * process is in scope the dispatcher must be attached instead. The
 * lifecycle programs keep the set of such processes here and tell user
 * space (ctl_rb, woken at once) whenever it changes. */
__s64 compat_live = 0; /* entries of compat_procs: +1/-1 with each insert/delete (here and in user space) */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);   /* tgid */
	__type(value, __u64); /* CLOCK_BOOTTIME ns it became 32-bit */
} compat_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} ctl_rb SEC(".maps");

/* Did the program just loaded by exec start in 32-bit mode? Read from the
 * registers exec set up for the first return to user space. */
static __always_inline bool image_is_compat(struct task_struct *p)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(p);

	if (!regs)
		return false;
#if defined(__TARGET_ARCH_x86)
	return regs->cs == 0x23;          /* __USER32_CS */
#elif defined(__TARGET_ARCH_arm64)
	return regs->pstate & 0x10;       /* PSR_MODE32_BIT */
#else
	return false;
#endif
}

static __always_inline void compat_note(__u32 tgid, __s32 delta, __u64 ts)
{
	struct mw_compat_rec *r;

	r = bpf_ringbuf_reserve(&ctl_rb, sizeof(*r), 0);
	if (!r) {
		count(MW_CNT_PROC_RB_FULL);
		return;
	}
	r->type = MW_REC_COMPAT;
	r->pad = 0;
	r->pid = tgid;
	r->delta = delta;
	r->ts = ts;
	bpf_ringbuf_submit(r, BPF_RB_FORCE_WAKEUP);
}

static __always_inline void compat_on_exec(struct task_struct *p, __u32 tgid)
{
	bool is32, was;
	__u64 now;

	if (!track_compat || !in_scope(tgid))
		return;
	is32 = image_is_compat(p);
	was = bpf_map_lookup_elem(&compat_procs, &tgid) != NULL;
	if (is32 == was)
		return;
	now = bpf_ktime_get_boot_ns();
	if (is32) {
		if (bpf_map_update_elem(&compat_procs, &tgid, &now, BPF_NOEXIST) == 0)
			__sync_fetch_and_add(&compat_live, 1);
		compat_note(tgid, 1, now);
		if (!disp_live)
			count(MW_CNT_HOOK_GAP); /* its first calls may come before the dispatcher */
	} else {
		if (bpf_map_delete_elem(&compat_procs, &tgid) == 0)
			__sync_fetch_and_add(&compat_live, -1);
		compat_note(tgid, -1, now);
	}
}

static __always_inline void compat_on_fork(__u32 ptgid, __u32 ctgid)
{
	__u64 now;

	if (!track_compat || !bpf_map_lookup_elem(&compat_procs, &ptgid) || !in_scope(ctgid))
		return;
	now = bpf_ktime_get_boot_ns();
	if (bpf_map_update_elem(&compat_procs, &ctgid, &now, BPF_NOEXIST) == 0)
		__sync_fetch_and_add(&compat_live, 1);
	compat_note(ctgid, 1, now);
	if (!disp_live)
		count(MW_CNT_HOOK_GAP); /* a fork cannot wait here: the parent's window */
}

static __always_inline void compat_on_exit(__u32 tgid)
{
	if (track_compat && bpf_map_delete_elem(&compat_procs, &tgid) == 0) {
		__sync_fetch_and_add(&compat_live, -1);
		compat_note(tgid, -1, bpf_ktime_get_boot_ns());
	}
}
